/**
 * `pg-chronicle upgrade`: ALTER EXTENSION chronicle UPDATE [TO v] under the installer lock, then
 * the capture functions of tables audited before it generated again, in the same transaction.
 */
import format from 'pg-format';
import type { ClientConfig } from 'pg';
import { lockForTransaction, INSTALLER_LOCK } from '../db/advisory-lock';
import { inTransaction, withClient } from '../db/connection';
import { NotInstalledError, UnknownVersionError } from '../errors';
import { type CaptureRegeneration, regenerateCaptureFunctions } from './capture-functions';
import { EXTENSION_NAME } from './extension-files';
import { readAvailability } from './server-state';

export interface UpgradeOptions {
  connection: ClientConfig;
  /** target version; the control file's default_version when omitted */
  version?: string;
}

export interface UpgradeResult {
  outcome: 'upgraded' | 'up-to-date';
  from: string;
  to: string;
  /** capture functions of audited tables generated again by the new version */
  captures: CaptureRegeneration;
}

export async function upgrade(options: UpgradeOptions): Promise<UpgradeResult> {
  return withClient(options.connection, (client) =>
    inTransaction(client, async () => {
      await lockForTransaction(client, INSTALLER_LOCK);
      const state = await readAvailability(client);
      if (state.installed === null) {
        throw new NotInstalledError('chronicle is not installed in this database', 'run `pg-chronicle install` first');
      }
      const target = options.version ?? state.defaultVersion ?? state.installed;
      if (!state.available.includes(target)) throw new UnknownVersionError(target, state.available);
      if (target === state.installed) return { outcome: 'up-to-date', from: state.installed, to: target, captures: { regenerated: 0, failures: [] } };
      await client.query(format('ALTER EXTENSION %I UPDATE TO %L', EXTENSION_NAME, target));
      const captures = await regenerateCaptureFunctions(client);
      return { outcome: 'upgraded', from: state.installed, to: target, captures };
    }),
  );
}
