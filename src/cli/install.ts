/** `pg-chronicle install`: put the files in place, then CREATE EXTENSION under the installer lock. */
import format from 'pg-format';
import type { ClientConfig } from 'pg';
import { lockForTransaction, INSTALLER_LOCK } from '../db/advisory-lock';
import { describeTarget, inTransaction, withClient } from '../db/connection';
import { ExtensionFilesNotFoundError, UnknownVersionError } from '../errors';
import { copyExtensionFiles, EXTENSION_NAME, resolveExtensionDir, type FileTarget } from './extension-files';
import { readAvailability } from './server-state';

export interface InstallOptions {
  connection: ClientConfig;
  /** where to copy the files first; omit when they are already installed (make install) */
  files?: FileTarget;
  /** version to create; the control file's default_version when omitted */
  version?: string;
}

export interface InstallResult {
  outcome: 'installed' | 'already-installed';
  version: string;
  /** set when files were copied */
  extensionDir?: string;
  /** newer version the server offers than the one installed */
  upgradeAvailable?: string;
}

export async function install(options: InstallOptions): Promise<InstallResult> {
  const extensionDir = options.files ? resolveExtensionDir(options.files) : undefined;
  if (extensionDir) copyExtensionFiles(extensionDir);
  return withClient(options.connection, (client) =>
    inTransaction(client, async () => {
      await lockForTransaction(client, INSTALLER_LOCK);
      const state = await readAvailability(client);
      if (state.installed !== null) {
        const newer = state.defaultVersion !== null && state.defaultVersion !== state.installed ? state.defaultVersion : undefined;
        return { outcome: 'already-installed', version: state.installed, extensionDir, upgradeAvailable: newer };
      }
      if (state.available.length === 0 || state.defaultVersion === null) {
        throw new ExtensionFilesNotFoundError(
          `the server at ${describeTarget(options.connection)} has no chronicle extension files` +
            (extensionDir ? ` (they were copied to ${extensionDir}, which is not this server's extension directory)` : ''),
          'run `make install` (PG_CONFIG=<that server\'s pg_config>) on the server\'s machine, or pass --pg-config / --extension-dir',
        );
      }
      const version = options.version ?? state.defaultVersion;
      if (!state.available.includes(version)) throw new UnknownVersionError(version, state.available);
      await client.query(format('CREATE EXTENSION %I VERSION %L', EXTENSION_NAME, version));
      return { outcome: 'installed', version, extensionDir };
    }),
  );
}
