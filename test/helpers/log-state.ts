/**
 * What the logging core has written, read back for comparison: the five log tables, the capture
 * triggers and capture functions (with their row versions, so a replaced trigger or function
 * counts as a change), and helpers to catch a statement's error and its notices.
 */
import type { Client, DatabaseError } from 'pg';
import { Client as PgClient } from 'pg';
import type { NoticeMessage } from 'pg-protocol/dist/messages';
import { serverUrl, type ServerInfo } from './servers/types';

export interface LogState {
  transaction_log: Record<string, unknown>[];
  table_event_log: Record<string, unknown>[];
  row_log: Record<string, unknown>[];
  audit_table_log: Record<string, unknown>[];
  audit_column_log: Record<string, unknown>[];
  triggers: Record<string, unknown>[];
  captureFunctions: Record<string, unknown>[];
}

/** Every row of every log table (jsonb as text, so numeric scale counts), and every chronicle trigger. */
export async function logState(client: Client): Promise<LogState> {
  const read = async (sql: string) => (await client.query(sql)).rows;
  return {
    transaction_log: await read('SELECT * FROM chronicle.transaction_log ORDER BY id'),
    table_event_log: await read('SELECT * FROM chronicle.table_event_log ORDER BY id'),
    row_log: await read(`SELECT event_id, table_id, row_key::text AS row_key, old_data::text AS old_data, new_data::text AS new_data
                           FROM chronicle.row_log ORDER BY event_id, row_key::text`),
    audit_table_log: await read('SELECT * FROM chronicle.audit_table_log ORDER BY id'),
    audit_column_log: await read('SELECT * FROM chronicle.audit_column_log ORDER BY id'),
    triggers: await read(`SELECT t.tgrelid::regclass::text AS relation, t.tgname, t.tgfoid::regprocedure::text AS function,
                                 t.tgtype, t.tgenabled, t.xmin::text AS version
                            FROM pg_catalog.pg_trigger AS t
                           WHERE t.tgname LIKE 'chronicle%' ORDER BY 1, 2`),
    captureFunctions: await read(`SELECT p.oid::regprocedure::text AS function, p.prosrc, p.proacl::text AS acl, p.xmin::text AS version
                                    FROM pg_catalog.pg_proc AS p
                                   WHERE p.pronamespace = 'chronicle'::regnamespace AND p.proname LIKE 'capture\\_%'
                                   ORDER BY 1`),
  };
}

/** The error a statement raised; fails the test if it succeeded. */
export async function sqlError(work: Promise<unknown>): Promise<DatabaseError> {
  try {
    await work;
  } catch (error) {
    return error as DatabaseError;
  }
  throw new Error('the statement succeeded, but it should have failed');
}

/** Runs work and returns its result and the notices (NOTICE, WARNING, ...) the server sent meanwhile. */
export async function withNotices<T>(client: Client, work: () => Promise<T>): Promise<{ result: T; notices: NoticeMessage[] }> {
  const notices: NoticeMessage[] = [];
  const listener = (notice: NoticeMessage) => { notices.push(notice); };
  client.on('notice', listener);
  try {
    const result = await work();
    return { result, notices };
  } finally {
    client.off('notice', listener);
  }
}

/** Connects over TCP as another role (the test clusters trust local connections). */
export async function connectAs(server: ServerInfo, database: string, role: string, options: { applicationName?: string } = {}): Promise<Client> {
  const client = new PgClient({
    connectionString: serverUrl({ ...server, user: role, password: '' }, database),
    application_name: options.applicationName,
  });
  await client.connect();
  return client;
}

/**
 * The row_log entries of one table in event order, with their operation, and jsonb as its text
 * (numbers keep their scale).
 */
export async function rowLogOf(client: Client, tableId: number | string): Promise<[string, string, string | null, string | null][]> {
  const { rows } = await client.query(
    `SELECT e.operation, r.row_key::text AS row_key, r.old_data::text AS old_data, r.new_data::text AS new_data
       FROM chronicle.row_log AS r JOIN chronicle.table_event_log AS e ON e.id = r.event_id
      WHERE r.table_id = $1
      ORDER BY r.event_id, r.row_key::text`,
    [tableId],
  );
  return rows.map((r) => [r.operation, r.row_key, r.old_data, r.new_data]);
}

/** A number written as raw JSON text, so its scale is kept: exact('10.00'). */
export class RawJson { constructor(readonly text: string) {} }
export const exact = (text: string) => new RawJson(text);

/** JSON text of a value whose numbers may be RawJson. */
export function jsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(jsonText).join(', ')}]`;
  return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${jsonText(v)}`).join(', ')}}`;
}

/**
 * Expected row_log entries written as JSON text (or values for jsonText), put in the form rowLogOf reads:
 * the server's jsonb text, so key order and numeric scale are the server's.
 */
export async function canonicalEntries(
  client: Client,
  entries: [string, unknown, unknown, unknown][],
): Promise<[string, string, string | null, string | null][]> {
  const asText = (value: unknown) => (value === null ? null : typeof value === 'string' ? value : jsonText(value));
  const texts = entries.flatMap(([, key, oldData, newData]) => [asText(key), asText(oldData), asText(newData)]);
  const { rows } = await client.query('SELECT t.value::jsonb::text AS text FROM pg_catalog.unnest($1::text[]) WITH ORDINALITY AS t(value, n) ORDER BY t.n', [texts]);
  return entries.map(([operation], i) => [operation, rows[3 * i].text, rows[3 * i + 1].text, rows[3 * i + 2].text]);
}
