/**
 * The extension's files shipped with this package (extension/), and copying them into a
 * server's extension directory, found with pg_config or given as a path.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ExtensionFilesCopyError, ExtensionFilesNotFoundError, PgConfigError } from '../errors';
import { packageRoot } from '../package-root';

export const EXTENSION_NAME = 'chronicle';

/** extension/ of this package. */
export const PACKAGED_EXTENSION_DIR = join(packageRoot(), 'extension');

/** Where the files go: a server's pg_config, or an extension directory given directly. */
export type FileTarget = { pgConfig: string } | { extensionDir: string };

export function packagedFiles(sourceDir: string = PACKAGED_EXTENSION_DIR): string[] {
  const files = existsSync(sourceDir)
    ? readdirSync(sourceDir).filter((name) => name === `${EXTENSION_NAME}.control` || (name.startsWith(`${EXTENSION_NAME}--`) && name.endsWith('.sql')))
    : [];
  if (!files.includes(`${EXTENSION_NAME}.control`)) {
    throw new ExtensionFilesNotFoundError(
      `the extension files are missing from ${sourceDir}`,
      'run `npm run generate` in the pg-chronicle checkout, or reinstall the package',
    );
  }
  return files.sort();
}

/** The extension directory a pg_config reports (its sharedir + /extension). */
export function extensionDirOf(pgConfig: string): string {
  try {
    const sharedir = execFileSync(pgConfig, ['--sharedir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    return join(sharedir, 'extension');
  } catch (error) {
    throw new PgConfigError(
      `cannot run "${pgConfig} --sharedir": ${(error as Error).message.split('\n')[0]}`,
      'install PostgreSQL\'s pg_config (Debian: postgresql-client-15), pass --pg-config /path/to/pg_config, or --extension-dir',
      { cause: error },
    );
  }
}

export function resolveExtensionDir(target: FileTarget): string {
  return 'pgConfig' in target ? extensionDirOf(target.pgConfig) : target.extensionDir;
}

/**
 * Copies every packaged file into dir. Each file is written under a temporary name and renamed,
 * so a server (or a concurrent installer) never reads half a script.
 */
export function copyExtensionFiles(dir: string, sourceDir: string = PACKAGED_EXTENSION_DIR): string[] {
  const files = packagedFiles(sourceDir);
  try {
    mkdirSync(dir, { recursive: true });
    for (const name of files) {
      const temporary = join(dir, `.${name}.${process.pid}.tmp`);
      copyFileSync(join(sourceDir, name), temporary);
      renameSync(temporary, join(dir, name));
    }
  } catch (error) {
    for (const name of files) rmSync(join(dir, `.${name}.${process.pid}.tmp`), { force: true });
    throw new ExtensionFilesCopyError(
      `cannot copy the extension files into ${dir}: ${(error as Error).message}`,
      'run as a user who may write there (for example `sudo make install`), or pass --extension-dir',
      { cause: error },
    );
  }
  return files;
}
