/** The shape of a benchmark run's results, as returned by runBenchmark and written as JSON. */
import { writeFileSync } from 'node:fs';

export interface BenchOptions {
  /** rows in the benchmark table */
  rows: number;
  repetitions: number;
  /** single-row UPDATE transactions, and 10-row UPDATE statements, per run */
  transactions: number;
}

export interface ServerDescription {
  version: string;
  chronicleVersion: string;
  /** the settings that move the figures (fsync, shared_buffers, ...), as SHOW prints them */
  settings: Record<string, string>;
}

/** One timed run of a workload on one table. */
export interface Run {
  /** bulk workloads: the statement; latency workloads: the median transaction or statement */
  ms: number;
  /** rows the workload's statements reported changed */
  changedRows: number;
}

/** An audited run also measures what it logged. */
export interface AuditedRun extends Run {
  /** rows added to chronicle.row_log */
  loggedRows: number;
  /** growth of pg_total_relation_size of each log table, by table name */
  logBytes: Record<string, number>;
}

export type WorkloadId = 'insert' | 'update' | 'restore_before_update' | 'revert_update' | 'single_row_update' | 'ten_row_update' | 'delete' |
  'revert_delete' | 'restore_record';

export interface WorkloadResult {
  id: WorkloadId;
  title: string;
  /** one entry per repetition */
  unaudited: Run[];
  audited: AuditedRun[];
  /** on the table audited by the floor's minimal capture (floor.ts); empty for the workloads it has no part in */
  floor: AuditedRun[];
}

/** One line of the printed table: medians over the repetitions. */
export interface SummaryRow {
  workload: string;
  unauditedMs: number;
  auditedMs: number;
  /** auditedMs / unauditedMs */
  ratio: number;
  /** the same on the floor's table, and floorMs / unauditedMs: what chronicle cannot beat (null: no floor for this row) */
  floorMs: number | null;
  floorRatio: number | null;
  /** growth of the log tables divided by the rows changed; null where the row compares runs of two workloads */
  logBytesPerChangedRow: number | null;
}

export interface BenchResults {
  startedAt: string;
  options: BenchOptions;
  server: ServerDescription;
  workloads: WorkloadResult[];
  summary: SummaryRow[];
}

export function writeResultsFile(path: string, results: BenchResults): void {
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
}
