/**
 * Capture functions after an upgrade. They belong to no extension (so that pg_dump keeps them),
 * so ALTER EXTENSION UPDATE cannot replace them: sync_table_structure generates again those an
 * earlier version wrote, table by table.
 */
import { DatabaseError as PgDatabaseError, type Client } from 'pg';

export interface CaptureRegeneration {
  /** capture functions generated again */
  regenerated: number;
  /** tables sync_table_structure refused, each left as it was (their capture keeps working) */
  failures: { table: string; message: string }[];
}

/** md5 of each capture function's source, by oid. */
async function captureSources(client: Client): Promise<Map<string, string>> {
  const { rows } = await client.query<{ oid: string; source: string }>(
    `SELECT p.oid::text AS oid, pg_catalog.md5(p.prosrc) AS source
       FROM pg_catalog.pg_proc AS p
      WHERE p.pronamespace = 'chronicle'::pg_catalog.regnamespace AND p.proname ~ '^capture_[0-9]+$'`,
  );
  return new Map(rows.map((r) => [r.oid, r.source]));
}

/**
 * Runs sync_table_structure on every audited table, where the installed version has it, each
 * under a savepoint of the caller's transaction.
 */
export async function regenerateCaptureFunctions(client: Client): Promise<CaptureRegeneration> {
  const { rows: [found] } = await client.query<{ present: boolean }>(
    "SELECT pg_catalog.to_regprocedure('chronicle.sync_table_structure(regclass)') IS NOT NULL AS present",
  );
  if (!found.present) return { regenerated: 0, failures: [] };
  const before = await captureSources(client);
  const { rows: tables } = await client.query<{ name: string }>(
    `SELECT pg_catalog.format('%I.%I', t.schema_name, t.table_name) AS name
       FROM chronicle.audited_tables AS t WHERE t.audited_table IS NOT NULL ORDER BY t.table_id`,
  );
  const failures: CaptureRegeneration['failures'] = [];
  for (const { name } of tables) {
    await client.query('SAVEPOINT chronicle_capture');
    try {
      await client.query('SELECT chronicle.sync_table_structure($1::regclass)', [name]);
      await client.query('RELEASE SAVEPOINT chronicle_capture');
    } catch (error) {
      if (!(error instanceof PgDatabaseError)) throw error;
      await client.query('ROLLBACK TO SAVEPOINT chronicle_capture');
      failures.push({ table: name, message: error.message });
    }
  }
  const after = await captureSources(client);
  const regenerated = [...after].filter(([oid, source]) => before.has(oid) && before.get(oid) !== source).length;
  return { regenerated, failures };
}
