/**
 * The workloads, in the order a repetition runs them: each leaves the table in the state the
 * next one starts from (INSERT fills it, the UPDATEs change it, DELETE empties it; each revert
 * undoes the workload before it).
 */
import type { Client } from 'pg';
import format from 'pg-format';
import { median, timed } from './measure';
import type { BenchOptions, Run, WorkloadId } from './results';

export interface WorkloadContext {
  client: Client;
  /** the table to run on and the source of its rows: quoted, schema-qualified names */
  table: string;
  source: string;
  /** names the prepared statements of this table */
  label: 'unaudited' | 'audited';
  options: BenchOptions;
}

export interface Workload {
  id: WorkloadId;
  title: string;
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
 * (logged, itself revertable), on the unaudited one with the hand-written inverse statement.
 * changedRows is the sum of the rows the revert reports per event.
 */
async function revertLast(context: WorkloadContext, inverse: string): Promise<Run> {
  const { client, label } = context;
  if (label === 'unaudited') return statement(context, inverse);
  const { rows: [last] } = await client.query<{ id: string }>('SELECT max(id) AS id FROM chronicle.transaction_log');
  const start = process.hrtime.bigint();
  const { rows: [result] } = await client.query<{ n: string | null }>(
    'SELECT sum(row_count) AS n FROM chronicle.revert_transaction($1::bigint)', [last.id],
  );
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, changedRows: Number(result.n ?? 0) };
}

export const WORKLOADS: Workload[] = [
  {
    id: 'insert',
    title: 'bulk INSERT',
    run: (c) => statement(c, format('INSERT INTO %s SELECT * FROM %s', c.table, c.source)),
  },
  {
    id: 'update',
    title: 'bulk UPDATE of 1 column',
    run: (c) => statement(c, format('UPDATE %s SET a = a + 1', c.table)),
  },
  {
    id: 'revert_update',
    title: 'revert of the bulk UPDATE (vs the inverse UPDATE)',
    run: (c) => revertLast(c, format('UPDATE %s SET a = a - 1', c.table)),
  },
  {
    id: 'single_row_update',
    title: 'single-row UPDATE, per transaction',
    run: (c) => manyUpdates(c, 'bench_single_row_update', 'id = $1::bigint', 1),
  },
  {
    id: 'ten_row_update',
    title: '10-row UPDATE, per statement',
    run: (c) => manyUpdates(c, 'bench_ten_row_update', 'id BETWEEN $1::bigint AND $1::bigint + 9', 10),
  },
  {
    id: 'delete',
    title: 'bulk DELETE',
    run: (c) => statement(c, format('DELETE FROM %s', c.table)),
  },
  {
    id: 'revert_delete',
    title: 'revert of the bulk DELETE (vs an INSERT of the rows)',
    run: (c) => revertLast(c, format('INSERT INTO %s SELECT * FROM %s', c.table, c.source)),
  },
];
