/**
 * The workloads, in the order a repetition runs them: each leaves the table in the state the
 * next one starts from (INSERT fills it, the UPDATEs change it, DELETE empties it; each revert
 * undoes the writing workload before it). The time-travel workloads read the log at the point
 * after the INSERT: one after the bulk UPDATE, one at the end, when the log holds about five
 * entries per row (a million for 200k rows).
 */
import type { Client, QueryResult } from 'pg';
import format from 'pg-format';
import { BENCH_SCHEMA } from './fixture';
import { floorLastEvent, floorRevertDelete, floorRevertUpdate } from './floor';
import { median, timed } from './measure';
import type { BenchOptions, Run, WorkloadId } from './results';

export type TableLabel = 'unaudited' | 'audited' | 'floor';

export interface WorkloadContext {
  client: Client;
  /** the table to run on and the source of its rows: quoted, schema-qualified names */
  table: string;
  source: string;
  /** names the prepared statements of this table */
  label: TableLabel;
  options: BenchOptions;
}

export interface Workload {
  id: WorkloadId;
  title: string;
  /** false for the workloads that only read the log (time travel): nothing is logged */
  writes: boolean;
  /** runs on the floor's table too (floor.ts): the capture workloads and the reverts, not time travel */
  floor: boolean;
  run(context: WorkloadContext): Promise<Run>;
}

async function statement(context: WorkloadContext, sql: string): Promise<Run> {
  const { ms, rowCount } = await timed(context.client, sql);
  return { ms, changedRows: rowCount };
}

/**
 * Runs options.transactions autocommit UPDATEs of the rows that where selects (width of them,
 * from the id $1), with first ids spread evenly over the table, so no row is updated twice when
 * it has enough rows. Reports the median latency.
 */
async function manyUpdates(context: WorkloadContext, name: string, where: string, width: number): Promise<Run> {
  const { client, table, label, options } = context;
  const text = format('UPDATE %s SET a = a + 1 WHERE %s', table, where);
  const span = options.rows - width + 1;
  const latencies: number[] = [];
  let changedRows = 0;
  for (let k = 0; k < options.transactions; k += 1) {
    const first = 1 + Math.floor((k * span) / options.transactions);
    // A named statement is parsed once per connection, as an application's driver would do.
    const { ms, rowCount } = await timed(client, { name: `${name}_${label}`, text, values: [first] });
    latencies.push(ms);
    changedRows += rowCount;
  }
  return { ms: median(latencies), changedRows };
}

/**
 * Undoes the table's last transaction: on the audited table with chronicle.revert_transaction
 * (logged, itself revertable), on the unaudited one with the hand-written inverse statement, on
 * the floor's table with the floor's revert of its last event (floor.ts). changedRows is the
 * sum of the rows the revert reports per event.
 */
async function revertLast(context: WorkloadContext, inverse: string, floorRevert: (schema: string, table: string, event: string) => string): Promise<Run> {
  const { client, label, table } = context;
  if (label === 'unaudited') return statement(context, inverse);
  if (label === 'floor') {
    const { rows: [last] } = await client.query<{ id: string }>(floorLastEvent(BENCH_SCHEMA));
    // BEGIN; SET LOCAL; the statement; COMMIT: one round trip, the statement's result third
    const start = process.hrtime.bigint();
    const results = await client.query(floorRevert(BENCH_SCHEMA, table, last.id)) as unknown as QueryResult[];
    return { ms: Number(process.hrtime.bigint() - start) / 1e6, changedRows: results[2].rowCount ?? 0 };
  }
  const { rows: [last] } = await client.query<{ id: string }>('SELECT max(id) AS id FROM chronicle.transaction_log');
  const start = process.hrtime.bigint();
  const { rows: [result] } = await client.query<{ n: string | null }>(
    'SELECT sum(row_count) AS n FROM chronicle.revert_transaction($1::bigint)', [last.id],
  );
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, changedRows: Number(result.n ?? 0) };
}

/** The repetition's bulk INSERT, before every other workload changed the table. */
async function firstTransaction(client: Client): Promise<string> {
  const { rows: [first] } = await client.query<{ id: string }>(
    "SELECT min(transaction_id)::text AS id FROM chronicle.table_event_log WHERE operation = 'INSERT'",
  );
  return first.id;
}

const RESTORE_SCHEMA = 'chronicle_bench_restored';

/**
 * The table as it was after the bulk INSERT, before the bulk UPDATE, built as a new table: on
 * the audited table by chronicle.restore_table_state from the log (the new table takes the
 * audited table's name), on the unaudited one by CREATE TABLE AS of the table (the same rows,
 * read from the heap). changedRows is the rows the new table holds.
 */
async function restoreBeforeUpdate(context: WorkloadContext): Promise<Run> {
  const { client, table, label } = context;
  const copy = format('%I.%I', BENCH_SCHEMA, 'copy');
  const build = label === 'audited'
    ? {
      query: { text: 'SELECT chronicle.restore_table_state($1::bigint, $2::regclass, $3, replace => true)', values: [await firstTransaction(client), table, RESTORE_SCHEMA] },
      built: format('%I.%I', RESTORE_SCHEMA, 'audited'),
      cleanup: format('DROP SCHEMA %I CASCADE', RESTORE_SCHEMA),
    }
    : { query: { text: format('CREATE TABLE %s AS SELECT * FROM %s', copy, table), values: [] }, built: copy, cleanup: format('DROP TABLE %s', copy) };
  const { ms } = await timed(client, build.query);
  const { rows: [count] } = await client.query<{ n: string }>(format('SELECT count(*) AS n FROM %s', build.built));
  await client.query(build.cleanup);
  return { ms, changedRows: Number(count.n) };
}

/**
 * options.transactions look-ups of one row each, keys spread over the table: on the audited table
 * chronicle.restore_record at the repetition's first transaction (the log then holds every
 * workload's entries, about 5 per row), on the unaudited one a SELECT of the row by key.
 * Reports the median latency; changedRows counts the rows found.
 */
async function restoreRecords(context: WorkloadContext): Promise<Run> {
  const { client, table, label, options } = context;
  const point = label === 'audited' ? await firstTransaction(client) : undefined;
  const lookUp = point === undefined
    ? { text: format('SELECT t.* FROM %s AS t WHERE t.id = $1::bigint', table), extra: [] }
    : { text: format("SELECT r.* FROM chronicle.restore_record(NULL::%s, jsonb_build_object('id', $1::bigint), $2::bigint) AS r WHERE r.id IS NOT NULL", table), extra: [point] };
  const latencies: number[] = [];
  let found = 0;
  for (let k = 0; k < options.transactions; k += 1) {
    const id = 1 + Math.floor((k * options.rows) / options.transactions);
    const { ms, rowCount } = await timed(client, { name: `bench_restore_record_${label}`, text: lookUp.text, values: [id, ...lookUp.extra] });
    latencies.push(ms);
    found += rowCount;
  }
  return { ms: median(latencies), changedRows: found };
}

export const WORKLOADS: Workload[] = [
  {
    id: 'insert',
    title: 'bulk INSERT',
    writes: true,
    floor: true,
    run: (c) => statement(c, format('INSERT INTO %s SELECT * FROM %s', c.table, c.source)),
  },
  {
    id: 'update',
    title: 'bulk UPDATE of 1 column',
    writes: true,
    floor: true,
    run: (c) => statement(c, format('UPDATE %s SET a = a + 1', c.table)),
  },
  {
    id: 'restore_before_update',
    title: 'restore_table_state before the bulk UPDATE (vs CREATE TABLE AS)',
    writes: false,
    floor: false,
    run: restoreBeforeUpdate,
  },
  {
    id: 'revert_update',
    title: 'revert of the bulk UPDATE (vs the inverse UPDATE)',
    writes: true,
    floor: true,
    run: (c) => revertLast(c, format('UPDATE %s SET a = a - 1', c.table), floorRevertUpdate),
  },
  {
    id: 'single_row_update',
    title: 'single-row UPDATE, per transaction',
    writes: true,
    floor: true,
    run: (c) => manyUpdates(c, 'bench_single_row_update', 'id = $1::bigint', 1),
  },
  {
    id: 'ten_row_update',
    title: '10-row UPDATE, per statement',
    writes: true,
    floor: true,
    run: (c) => manyUpdates(c, 'bench_ten_row_update', 'id BETWEEN $1::bigint AND $1::bigint + 9', 10),
  },
  {
    id: 'delete',
    title: 'bulk DELETE',
    writes: true,
    floor: true,
    run: (c) => statement(c, format('DELETE FROM %s', c.table)),
  },
  {
    id: 'revert_delete',
    title: 'revert of the bulk DELETE (vs an INSERT of the rows)',
    writes: true,
    floor: true,
    run: (c) => revertLast(c, format('INSERT INTO %s SELECT * FROM %s', c.table, c.source), floorRevertDelete),
  },
  {
    id: 'restore_record',
    title: 'restore_record of one key (vs SELECT by key)',
    writes: false,
    floor: false,
    run: restoreRecords,
  },
];
