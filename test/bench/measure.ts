/** Measuring: client-side timing, medians, log growth, and the server state between runs. */
import type { Client, QueryConfig } from 'pg';
import type { LogTables } from './fixture';
import type { ServerDescription } from './results';

export interface Timed {
  ms: number;
  rowCount: number;
}

/** Wall-clock time of one statement as the client sees it (round trip included, no EXPLAIN). */
export async function timed(client: Client, query: string | QueryConfig): Promise<Timed> {
  const start = process.hrtime.bigint();
  const result = await client.query(query);
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, rowCount: result.rowCount ?? 0 };
}

export function median(values: number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export interface LogState {
  /** rows in the log's row_log */
  rows: number;
  /** pg_total_relation_size (heap, indexes, TOAST, free space and visibility maps) by log table */
  bytes: Record<string, number>;
}

export async function logState(client: Client, log: LogTables): Promise<LogState> {
  const names = Object.keys(log);
  const sizes = await client.query<{ name: string; bytes: string }>(
    'SELECT n AS name, pg_total_relation_size(r::regclass) AS bytes FROM unnest($1::text[], $2::text[]) AS t(n, r)',
    [names, names.map((n) => log[n])],
  );
  const count = await client.query<{ rows: string }>(`SELECT count(*) AS rows FROM ${log.row_log}`);
  return {
    rows: Number(count.rows[0].rows),
    bytes: Object.fromEntries(sizes.rows.map((r) => [r.name, Number(r.bytes)])),
  };
}

export function logGrowth(before: LogState, after: LogState): { loggedRows: number; logBytes: Record<string, number> } {
  return {
    loggedRows: after.rows - before.rows,
    logBytes: Object.fromEntries(Object.entries(after.bytes).map(([name, bytes]) => [name, bytes - (before.bytes[name] ?? 0)])),
  };
}

/**
 * Before each timed run: vacuum the relations it touches, so it neither pays for the previous
 * run's dead rows nor sets their hint bits, and checkpoint, so it does not pay for flushing the
 * previous run's dirty buffers.
 */
export async function settle(client: Client, relations: string[]): Promise<void> {
  await client.query(`VACUUM (ANALYZE) ${relations.join(', ')}`);
  await client.query('CHECKPOINT');
}

/** The settings that move the figures, printed and saved with them. */
const SETTINGS = ['fsync', 'synchronous_commit', 'full_page_writes', 'wal_level', 'shared_buffers', 'work_mem', 'max_wal_size', 'jit'];

export async function describeServer(client: Client): Promise<ServerDescription> {
  const settings = await client.query<{ name: string; value: string }>(
    'SELECT name, current_setting(name) AS value FROM unnest($1::text[]) AS name', [SETTINGS],
  );
  const versions = await client.query<{ server: string; chronicle: string }>(
    "SELECT current_setting('server_version') AS server, (SELECT extversion FROM pg_extension WHERE extname = 'chronicle') AS chronicle",
  );
  return {
    version: versions.rows[0].server,
    chronicleVersion: versions.rows[0].chronicle,
    settings: Object.fromEntries(settings.rows.map((r) => [r.name, r.value])),
  };
}
