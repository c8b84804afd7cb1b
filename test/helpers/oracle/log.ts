/**
 * Reads the log of one table: its events in the order their statements ran (docs/log-tables.md,
 * "Order of changes"), each with its row_log entries. JSON
 * values are kept as their exact JSON text (a map from key to the value's text), so numbers
 * never pass through a JavaScript double.
 */
import type { Client } from 'pg';
import { tableName, type TableModel } from './model';

/** a JSON object as a map from key to the JSON text of its value */
export type JsonObject = Record<string, string>;

export interface LogEntry {
  rowKey: JsonObject;
  oldData: JsonObject | null;
  newData: JsonObject | null;
}

export interface LogEvent {
  id: number;
  transactionId: number;
  operation: string;
  entries: LogEntry[];
}

export async function tableId(client: Client, model: TableModel): Promise<number> {
  const { rows } = await client.query<{ table_id: string }>(
    'SELECT table_id FROM chronicle.audited_tables WHERE audited_table = $1::regclass',
    [tableName(model)],
  );
  if (rows.length !== 1) throw new Error(`${tableName(model)} is not audited`);
  return Number(rows[0].table_id);
}

/** The table's events and entries; also returns what is malformed about them (no entries, wrong table, not objects). */
export async function readLog(client: Client, id: number): Promise<{ events: LogEvent[]; problems: string[] }> {
  const asMap = (column: string) =>
    `CASE WHEN r.${column} IS NULL THEN NULL ELSE coalesce((SELECT pg_catalog.jsonb_object_agg(x.key, x.value::text) FROM pg_catalog.jsonb_each(r.${column}) AS x), '{}') END`;
  const { rows } = await client.query<{
    id: string; transaction_id: string; operation: string; has_entry: boolean; same_table: boolean; objects: boolean;
    row_key: JsonObject | null; old_data: JsonObject | null; new_data: JsonObject | null;
  }>(
    `SELECT e.id, e.transaction_id, e.operation, r.event_id IS NOT NULL AS has_entry,
            r.table_id IS NOT DISTINCT FROM e.table_id AS same_table,
            (pg_catalog.jsonb_typeof(r.row_key) = 'object'
             AND coalesce(pg_catalog.jsonb_typeof(r.old_data), 'object') = 'object'
             AND coalesce(pg_catalog.jsonb_typeof(r.new_data), 'object') = 'object') AS objects,
            ${asMap('row_key')} AS row_key, ${asMap('old_data')} AS old_data, ${asMap('new_data')} AS new_data
     FROM chronicle.table_event_log AS e
     LEFT JOIN chronicle.row_log AS r ON r.event_id = e.id
     WHERE e.table_id = $1
     ORDER BY pg_catalog.max(e.id) OVER (PARTITION BY e.transaction_id), e.statement_order, e.nesting_depth, e.id, r.row_key`,
    [id],
  );
  const stray = await client.query<{ n: string }>(
    `SELECT count(*) AS n FROM chronicle.row_log AS r
     WHERE r.table_id = $1 AND NOT EXISTS (SELECT FROM chronicle.table_event_log AS e WHERE e.id = r.event_id AND e.table_id = r.table_id)`,
    [id],
  );
  const problems: string[] = [];
  if (Number(stray.rows[0].n) > 0) problems.push(`${stray.rows[0].n} row_log entries of table ${id} belong to no event of the table`);
  const events: LogEvent[] = [];
  for (const r of rows) {
    const eventId = Number(r.id);
    let event = events[events.length - 1];
    if (!event || event.id !== eventId) {
      event = { id: eventId, transactionId: Number(r.transaction_id), operation: r.operation, entries: [] };
      events.push(event);
    }
    if (!r.has_entry) {
      problems.push(`event ${eventId} (${r.operation}) has no row_log entry`);
      continue;
    }
    if (!r.same_table) problems.push(`an entry of event ${eventId} has another table_id`);
    if (!r.objects) problems.push(`an entry of event ${eventId} holds JSON that is not an object`);
    events[events.length - 1].entries.push({ rowKey: r.row_key ?? {}, oldData: r.old_data, newData: r.new_data });
  }
  return { events, problems };
}
