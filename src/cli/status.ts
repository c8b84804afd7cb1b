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
  /** schema-qualified, quoted where needed, whatever the session's search_path */
  table: string;
  tableId: number;
  keyColumns: string[];
  logOldData: boolean;
  logNewData: boolean;
  excludedColumns: string[];
  /** when the table's first audit version was created (ISO 8601) */
  auditedSince: string | null;
}

export interface StatusReport extends ExtensionAvailability {
  serverVersion: string;
  database: string;
  /** null when the installed version has no catalog of audited tables yet */
  auditedTables: AuditedTable[] | null;
  /**
   * whether schema changes of audited tables are captured (docs/ddl.md); off where the extension
   * was installed without a superuser; null when the installed version has no DDL capture
   */
  ddlCaptureEnabled: boolean | null;
  /** DDL capture's event triggers that are missing or disabled */
  inactiveEventTriggers: string[];
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
      ddlCaptureEnabled: null,
      inactiveEventTriggers: [],
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
      const audited = await client.query<{
        table: string; table_id: string; key_columns: string[]; log_old_data: boolean; log_new_data: boolean;
        excluded_columns: string[]; audited_since: Date | null;
      }>(
        `SELECT pg_catalog.format('%I.%I', schema_name, table_name) AS table, table_id::bigint AS table_id,
                key_columns::text[] AS key_columns, log_old_data, log_new_data,
                excluded_columns::text[] AS excluded_columns, audited_since
           FROM chronicle.audited_tables
          ORDER BY schema_name, table_name`,
      );
      report.auditedTables = audited.rows.map((r) => ({
        table: r.table,
        tableId: Number(r.table_id),
        keyColumns: r.key_columns,
        logOldData: r.log_old_data,
        logNewData: r.log_new_data,
        excludedColumns: r.excluded_columns,
        auditedSince: r.audited_since === null ? null : r.audited_since.toISOString(),
      }));
    }
    const ddl = await client.query<{ present: boolean }>(
      "SELECT pg_catalog.to_regclass('chronicle.ddl_capture_status') IS NOT NULL AS present",
    );
    if (ddl.rows[0].present) {
      const capture = await client.query<{ enabled: boolean; inactive: string[] }>(
        'SELECT ddl_capture_enabled AS enabled, inactive_event_triggers::text[] AS inactive FROM chronicle.ddl_capture_status',
      );
      report.ddlCaptureEnabled = capture.rows[0].enabled;
      report.inactiveEventTriggers = capture.rows[0].inactive;
    }
    return report;
  });
}
