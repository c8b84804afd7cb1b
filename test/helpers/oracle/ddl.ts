/**
 * The DDL oracle (issue 4): tables whose structure changes along a seeded workload.
 *
 * After every transaction each tracked table is copied, typed, into a snapshot table (CREATE
 * TABLE ... AS SELECT), and the structure chronicle logged is compared with the catalog. At the
 * end the logged history of each table is undone newest first from its current rows (or from
 * nothing, for a dropped table), DDL events included: an ADD COLUMN is undone by removing the
 * column, a DROP COLUMN or ALTER COLUMN TYPE by putting back the logged old values, a RENAME
 * COLUMN by the old name, a DROP TABLE or a DETACH/DROP PARTITION by putting back its rows. Each
 * state reached at a snapshot's cut is turned into rows of the snapshot's own type by the server
 * (jsonb_populate_recordset) and compared with the snapshot, row for row, as text.
 */
import type { Client } from 'pg';
import { ident, literal, qualified } from './model';

/** a JSON object as a map from key to the JSON text of its value */
type Json = Record<string, string>;
type Row = Map<string, string>;

export interface DdlEntry {
  rowKey: Json;
  oldData: Json | null;
  newData: Json | null;
}

export interface DdlEvent {
  id: number;
  operation: string;
  ddl: Record<string, unknown> | null;
  entries: DdlEntry[];
}

export interface DdlSnapshot {
  label: string;
  /** the largest table_event_log id when it was taken */
  eventId: number;
  /** the snapshot table, or null when the table did not exist */
  relation: string | null;
  /** its columns, in order (logged ones only) */
  columns: string[];
}

/** A table followed by the oracle, by its chronicle table id (stable across renames and versions). */
export interface TrackedTable {
  tableId: number;
  label: string;
  /** qualified, quoted name now, or null once dropped */
  relation: string | null;
  /** columns never logged (excluded), left out of snapshots */
  excluded: string[];
  snapshots: DdlSnapshot[];
}

export const SNAPSHOT_SCHEMA = 'ddl_oracle_snapshots';

export async function trackTable(client: Client, relation: string, label: string, excluded: string[] = []): Promise<TrackedTable> {
  const { rows } = await client.query<{ table_id: string }>(
    'SELECT table_id FROM chronicle.audited_tables WHERE audited_table = $1::regclass', [relation]);
  if (rows.length !== 1) throw new Error(`${relation} is not audited`);
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${SNAPSHOT_SCHEMA}`);
  const table: TrackedTable = { tableId: Number(rows[0].table_id), label, relation, excluded, snapshots: [] };
  await snapshot(client, [table], 'audit start');
  return table;
}

let snapshotCounter = 0;

/** Snapshots every tracked table (after a committed transaction). */
export async function snapshot(client: Client, tables: TrackedTable[], label: string): Promise<void> {
  const { rows: [cut] } = await client.query<{ id: string }>('SELECT coalesce(max(id), 0) AS id FROM chronicle.table_event_log');
  for (const table of tables) {
    if (table.relation === null) {
      table.snapshots.push({ label, eventId: Number(cut.id), relation: null, columns: [] });
      continue;
    }
    snapshotCounter += 1;
    const name = qualified(SNAPSHOT_SCHEMA, `s${table.tableId}_${snapshotCounter}`);
    const { rows } = await client.query<{ name: string }>(
      `SELECT a.attname AS name FROM pg_catalog.pg_attribute AS a
        WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated <> 'v' ORDER BY a.attnum`,
      [table.relation]);
    const columns = rows.map((r) => r.name).filter((c) => !table.excluded.includes(c));
    await client.query(`CREATE TABLE ${name} AS SELECT ${columns.map(ident).join(', ')} FROM ${table.relation}`);
    table.snapshots.push({ label, eventId: Number(cut.id), relation: name, columns });
  }
}

/**
 * Differences between the structure chronicle logs as current and the catalog, for every audited
 * table: name and schema, key, and each column's name, position, type, default and NOT NULL.
 */
export async function structureDifferences(client: Client): Promise<string[]> {
  const { rows } = await client.query<{ problem: string }>(`
    WITH audited AS (
        SELECT v.table_id, v.schema_name, v.table_name, v.key_columns, c.oid AS relid
        FROM chronicle.audit_table_log AS v
        LEFT JOIN pg_catalog.pg_namespace AS n ON n.nspname = v.schema_name
        LEFT JOIN pg_catalog.pg_class AS c ON c.relnamespace = n.oid AND c.relname = v.table_name
        WHERE v.valid_until IS NULL
    ), logged AS (
        SELECT a.table_id, l.column_name::text AS name, l.ordinal_position::int AS attnum, l.data_type, l.column_default, l.not_null
        FROM audited AS a JOIN chronicle.audit_column_log AS l ON l.table_id = a.table_id AND l.valid_until IS NULL
    ), actual AS (
        SELECT au.table_id, a.attname::text, a.attnum::int, pg_catalog.format_type(a.atttypid, a.atttypmod),
               pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attnotnull
        FROM audited AS au
        JOIN pg_catalog.pg_attribute AS a ON a.attrelid = au.relid AND a.attnum > 0 AND NOT a.attisdropped
        LEFT JOIN pg_catalog.pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    )
    SELECT pg_catalog.format('table id %s: logged as %I.%I, which does not exist', table_id, schema_name, table_name) AS problem
    FROM audited WHERE relid IS NULL
    UNION ALL
    SELECT pg_catalog.format('table id %s: logged key %s, but the key is %s', table_id, key_columns, chronicle.audit_key_columns(relid::regclass))
    FROM audited WHERE relid IS NOT NULL AND key_columns <> chronicle.audit_key_columns(relid::regclass)
    UNION ALL
    SELECT pg_catalog.format('table id %s: logged column %s not in the catalog', x.table_id, pg_catalog.to_jsonb(x))
    FROM (SELECT * FROM logged EXCEPT SELECT * FROM actual) AS x
    UNION ALL
    SELECT pg_catalog.format('table id %s: catalog column %s not logged', x.table_id, pg_catalog.to_jsonb(x))
    FROM (SELECT * FROM actual EXCEPT SELECT * FROM logged) AS x`);
  return rows.map((r) => r.problem);
}

/** The table's events in id order, with their entries (values as their JSON text). */
export async function readDdlLog(client: Client, tableId: number): Promise<DdlEvent[]> {
  const asMap = (column: string) =>
    `CASE WHEN r.${column} IS NULL THEN NULL ELSE coalesce((SELECT pg_catalog.jsonb_object_agg(x.key, x.value::text) FROM pg_catalog.jsonb_each(r.${column}) AS x), '{}') END`;
  const { rows } = await client.query<{ id: string; operation: string; ddl: Record<string, unknown> | null; has: boolean; row_key: Json; old_data: Json | null; new_data: Json | null }>(
    `SELECT e.id, e.operation, e.ddl, r.event_id IS NOT NULL AS has,
            ${asMap('row_key')} AS row_key, ${asMap('old_data')} AS old_data, ${asMap('new_data')} AS new_data
       FROM chronicle.table_event_log AS e
       LEFT JOIN chronicle.row_log AS r ON r.event_id = e.id
      WHERE e.table_id = $1
      ORDER BY e.id, r.row_key`, [tableId]);
  const events: DdlEvent[] = [];
  for (const r of rows) {
    const id = Number(r.id);
    if (events.length === 0 || events[events.length - 1].id !== id) events.push({ id, operation: r.operation, ddl: r.ddl, entries: [] });
    if (r.has) events[events.length - 1].entries.push({ rowKey: r.row_key, oldData: r.old_data, newData: r.new_data });
  }
  return events;
}

/** The table's rows now, each value as its JSON text (to_jsonb's form). */
async function currentRows(client: Client, table: TrackedTable): Promise<Row[]> {
  if (table.relation === null) return [];
  const { rows } = await client.query<{ row: Json }>(
    `SELECT coalesce((SELECT pg_catalog.jsonb_object_agg(e.key, e.value::text) FROM pg_catalog.jsonb_each(pg_catalog.to_jsonb(t.*)) AS e), '{}') AS row FROM ${table.relation} AS t`);
  return rows.map((r) => {
    const row = new Map(Object.entries(r.row));
    for (const c of table.excluded) row.delete(c);
    return row;
  });
}

class UndoProblem extends Error {}

function show(values: Json | null): string {
  const text = JSON.stringify(values);
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

/** Undoes the log newest first; returns the state at each snapshot's cut (index -> rows, or null: no table). */
function undo(events: DdlEvent[], current: Row[] | null, snapshots: DdlSnapshot[], problems: string[]): Map<number, Row[] | null> {
  let state: Row[] | null = current === null ? null : current.map((r) => new Map(r));
  const states = new Map<number, Row[] | null>();
  const order = snapshots.map((s, i) => ({ s, i })).sort((a, b) => b.s.eventId - a.s.eventId);
  let next = 0;
  const record = (below: number) => {
    for (; next < order.length && order[next].s.eventId >= below; next += 1) {
      states.set(order[next].i, state === null ? null : state.map((r) => new Map(r)));
    }
  };
  const find = (rows: Row[], key: Json, where: string): number => {
    const matches = rows.map((row, i) => ({ row, i })).filter(({ row }) => Object.entries(key).every(([k, v]) => row.get(k) === v));
    if (matches.length !== 1) throw new UndoProblem(`${where}: ${matches.length} rows have key ${show(key)}`);
    return matches[0].i;
  };
  try {
    for (let e = events.length - 1; e >= 0; e -= 1) {
      const event = events[e];
      record(event.id);
      const where = `undo of event ${event.id} (${event.operation} ${event.ddl ? JSON.stringify(event.ddl) : ''})`;
      const ddl = (event.ddl ?? {}) as Record<string, string>;
      if (event.operation === 'DROP TABLE') {
        if (state !== null) throw new UndoProblem(`${where}: the table exists after it was dropped`);
        state = [];
      }
      if (state === null) throw new UndoProblem(`${where}: the table does not exist at this point`);
      const rows = state;
      switch (event.operation) {
        case 'INSERT':
        case 'ATTACH PARTITION':
          for (const entry of event.entries) rows.splice(find(rows, entry.rowKey, where), 1);
          break;
        case 'UPDATE': {
          const taken = event.entries.map((entry) => {
            const i = find(rows, entry.rowKey, where);
            return { entry, row: rows[i] };
          });
          for (const { entry, row } of taken) {
            if (entry.oldData === null) throw new UndoProblem(`${where}: no old_data`);
            for (const [k, v] of Object.entries(entry.oldData)) row.set(k, v);
          }
          break;
        }
        case 'DELETE':
        case 'TRUNCATE':
        case 'DETACH PARTITION':
        case 'DROP PARTITION':
        case 'DROP TABLE':
          for (const entry of event.entries) {
            if (entry.oldData === null) throw new UndoProblem(`${where}: no old_data for ${show(entry.rowKey)}`);
            rows.push(new Map(Object.entries(entry.oldData)));
          }
          break;
        case 'ADD COLUMN':
          for (const row of rows) row.delete(ddl.column);
          break;
        case 'DROP COLUMN':
        case 'ALTER COLUMN TYPE':
        case 'ALTER COLUMN EXPRESSION': {
          const seen = new Set<number>();
          for (const entry of event.entries) {
            const i = find(rows, entry.rowKey, where);
            if (!entry.oldData || !(ddl.column in entry.oldData)) throw new UndoProblem(`${where}: entry ${show(entry.rowKey)} lacks ${ddl.column}`);
            rows[i].set(ddl.column, entry.oldData[ddl.column]);
            seen.add(i);
          }
          // a column never logged (excluded) is dropped without entries; the shape check below
          // catches a logged one whose values are missing altogether
          if (event.operation === 'DROP COLUMN' && event.entries.length > 0 && seen.size !== rows.length) {
            throw new UndoProblem(`${where}: values logged for ${seen.size} of ${rows.length} rows`);
          }
          break;
        }
        case 'RENAME COLUMN':
          for (const row of rows) {
            if (row.has(ddl.new_name)) {
              row.set(ddl.old_name, row.get(ddl.new_name) as string);
              row.delete(ddl.new_name);
            }
          }
          break;
        case 'BASELINE':
        case 'ALTER COLUMN DEFAULT':
        case 'ALTER COLUMN NOT NULL':
        case 'ALTER COLUMN IDENTITY':
        case 'RENAME TABLE':
        case 'SET SCHEMA':
        case 'ALTER KEY':
          break;
        default:
          throw new UndoProblem(`${where}: unknown operation`);
      }
    }
    record(-Infinity);
  } catch (error) {
    if (!(error instanceof UndoProblem)) throw error;
    problems.push(error.message);
  }
  return states;
}

/** Rebuilds every snapshot of the table from its log; returns every difference found. */
export async function verifyDdlLog(client: Client, table: TrackedTable): Promise<string[]> {
  const name = `${table.label} (table id ${table.tableId})`;
  const problems: string[] = [];
  const events = await readDdlLog(client, table.tableId);
  const pending = events.filter((e) => e.operation === 'DDL PRE-IMAGE');
  if (pending.length > 0) problems.push(`${pending.length} DDL PRE-IMAGE events were left in the log`);
  const current = table.relation === null ? null : await currentRows(client, table);
  const states = undo(events, current, table.snapshots, problems);
  for (const [i, snap] of table.snapshots.entries()) {
    if (!states.has(i)) {
      problems.push(`undo never reached the state after ${snap.label}`);
      continue;
    }
    const rows = states.get(i) as Row[] | null;
    if (snap.relation === null || rows === null) {
      if ((snap.relation === null) !== (rows === null)) {
        problems.push(`after ${snap.label}: the table ${snap.relation === null ? 'did not exist' : 'existed'}, but undo ${rows === null ? 'has no table' : 'rebuilt one'}`);
      }
      continue;
    }
    const columns = new Set(snap.columns);
    const wrongShape = rows.find((r) => r.size !== columns.size || [...r.keys()].some((k) => !columns.has(k)));
    if (wrongShape) {
      problems.push(`after ${snap.label} (event ${snap.eventId}): the table had columns ${JSON.stringify(snap.columns)}, a rebuilt row has ${JSON.stringify([...wrongShape.keys()])}`);
      continue;
    }
    const json = `[${rows.map((r) => `{${[...r].map(([k, v]) => `${JSON.stringify(k)}: ${v}`).join(', ')}}`).join(', ')}]`;
    const { rows: [diff] } = await client.query<{ missing: string[] | null; extra: string[] | null }>(
      `WITH rebuilt AS (SELECT (x_row.*)::text AS r FROM pg_catalog.jsonb_populate_recordset(NULL::${snap.relation}, $1::jsonb) AS x_row),
            real AS (SELECT (x_row.*)::text AS r FROM ${snap.relation} AS x_row)
       SELECT (SELECT pg_catalog.array_agg(r) FROM (SELECT r FROM real EXCEPT ALL SELECT r FROM rebuilt) AS x) AS missing,
              (SELECT pg_catalog.array_agg(r) FROM (SELECT r FROM rebuilt EXCEPT ALL SELECT r FROM real) AS x) AS extra`,
      [json]);
    if (diff.missing || diff.extra) {
      problems.push(`after ${snap.label} (event ${snap.eventId}): rows of the table not rebuilt ${JSON.stringify((diff.missing ?? []).slice(0, 4))}, rebuilt rows not in the table ${JSON.stringify((diff.extra ?? []).slice(0, 4))}`);
    }
  }
  return problems.map((p) => `${name}: ${p}`);
}

/** Counts of every log table: DDL that does not touch audited tables must leave them as they are. */
export async function logCounts(client: Client): Promise<Record<string, number>> {
  const { rows: [counts] } = await client.query<Record<string, string>>(
    `SELECT (SELECT count(*) FROM chronicle.transaction_log) AS transaction_log,
            (SELECT count(*) FROM chronicle.table_event_log) AS table_event_log,
            (SELECT count(*) FROM chronicle.row_log) AS row_log,
            (SELECT count(*) FROM chronicle.audit_table_log) AS audit_table_log,
            (SELECT count(*) FROM chronicle.audit_column_log) AS audit_column_log,
            (SELECT count(*) FROM chronicle.auto_audit_schema) AS auto_audit_schema`);
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, Number(v)]));
}

/** The catalog entry of a table and its rows, to show a refused statement changed nothing. */
export async function tableFingerprint(client: Client, relation: string): Promise<string> {
  const { rows: [r] } = await client.query<{ f: string }>(
    `SELECT pg_catalog.format('%s | %s | %s',
              (SELECT pg_catalog.string_agg(pg_catalog.format('%s %s %s', a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull), ', ' ORDER BY a.attnum)
                 FROM pg_catalog.pg_attribute AS a WHERE a.attrelid = ${literal(relation)}::regclass AND a.attnum > 0 AND NOT a.attisdropped),
              (SELECT pg_catalog.string_agg(pg_catalog.pg_get_constraintdef(c.oid), ', ' ORDER BY c.conname) FROM pg_catalog.pg_constraint AS c WHERE c.conrelid = ${literal(relation)}::regclass),
              (SELECT pg_catalog.string_agg(t::text, ', ' ORDER BY t::text) FROM ${relation} AS t)) AS f`);
  return r.f;
}
