/** Serializes installers and upgraders of one database. */
import type { Client } from 'pg';

/** Every pg-chronicle installer takes this lock, so two never race on one database. */
export const INSTALLER_LOCK = 'pg-chronicle installer';

/** Takes a transaction-scoped advisory lock; waits for another holder to commit. */
export async function lockForTransaction(client: Client, name: string): Promise<void> {
  await client.query('SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext($1))', [name]);
}
