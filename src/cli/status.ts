/** `pg-chronicle status`: versions, audited tables and log sizes of one database. */
import type { ClientConfig } from 'pg';
import { withClient } from '../db/connection';
import { EXTENSION_NAME } from './extension-files';
import { readAvailability, type ExtensionAvailability } from './server-state';

export interface LogTableSize {
  table: string;
  rows: number;
  bytes: number;
}

export interface AuditedTable {
  table: string;
}

export interface StatusReport extends ExtensionAvailability {
  serverVersion: string;
  database: string;
  /** null when the installed version has no catalog of audited tables yet */
  auditedTables: AuditedTable[] | null;
  logTables: LogTableSize[];
}

export async function status(options: { connection: ClientConfig }): Promise<StatusReport> {
  return withClient(options.connection, async (client) => {
    const availability = await readAvailability(client);
    const server = await client.query<{ server_version: string; database: string }>(
      'SELECT pg_catalog.current_setting(\'server_version\') AS server_version, pg_catalog.current_database() AS database',
    );
    const report: StatusReport = {
      ...availability,
      serverVersion: server.rows[0].server_version,
      database: server.rows[0].database,
      auditedTables: null,
      logTables: [],
    };
    if (availability.installed === null) return report;
    const logs = await client.query<{ table: string; rows: string; bytes: string }>(
      `SELECT c.oid::pg_catalog.regclass::text AS table,
              GREATEST(c.reltuples, 0)::bigint AS rows,
              pg_catalog.pg_total_relation_size(c.oid) AS bytes
         FROM pg_catalog.pg_depend d
         JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = $1
         JOIN pg_catalog.pg_class c ON c.oid = d.objid AND d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
        WHERE d.deptype = 'e' AND c.relkind IN ('r', 'p')
        ORDER BY 1`,
      [EXTENSION_NAME],
    );
    report.logTables = logs.rows.map((r) => ({ table: r.table, rows: Number(r.rows), bytes: Number(r.bytes) }));
    const catalog = await client.query<{ present: boolean }>(
      "SELECT pg_catalog.to_regclass('chronicle.audited_tables') IS NOT NULL AS present",
    );
    if (catalog.rows[0].present) {
      const audited = await client.query<{ table: string }>('SELECT audited_table::text AS table FROM chronicle.audited_tables ORDER BY 1');
      report.auditedTables = audited.rows;
    }
    return report;
  });
}
