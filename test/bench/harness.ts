/**
 * runBenchmark: every workload on an unaudited table and on an audited table of the same
 * definition and data, on one connection to a fresh database, alternating which goes first.
 */
import type { Client } from 'pg';
import { UsageError } from '../../src/errors';
import { BenchIntegrityError } from './errors';
import { createFixture, LOG_RELATIONS, resetState } from './fixture';
import { describeServer, logGrowth, logState, settle } from './measure';
import { formatMs } from './report';
import type { AuditedRun, BenchOptions, BenchResults, Run, WorkloadResult } from './results';
import { summarize } from './summary';
import { WORKLOADS, type WorkloadContext } from './workloads';

export function checkOptions(options: BenchOptions): void {
  const wrong = (name: string, least: number, value: number) =>
    !Number.isInteger(value) || value < least ? `--${name} must be an integer of at least ${least}, not ${value}` : undefined;
  // 10 rows at least: the 10-row UPDATE needs them.
  const problems = [wrong('rows', 10, options.rows), wrong('repetitions', 1, options.repetitions), wrong('transactions', 1, options.transactions)]
    .filter((p): p is string => p !== undefined);
  if (problems.length > 0) throw new UsageError(problems.join('; '));
}

/**
 * Runs on a database without chronicle (it creates the extension and truncates its log between
 * repetitions). progress receives one line per timed run.
 */
export async function runBenchmark(client: Client, options: BenchOptions, progress: (line: string) => void = () => undefined): Promise<BenchResults> {
  checkOptions(options);
  const startedAt = new Date().toISOString();
  const tables = await createFixture(client, options.rows);
  const server = await describeServer(client);
  const workloads: WorkloadResult[] = WORKLOADS.map((w) => ({ id: w.id, title: w.title, unaudited: [], audited: [] }));
  for (let repetition = 0; repetition < options.repetitions; repetition += 1) {
    await resetState(client, tables);
    for (const [index, workload] of WORKLOADS.entries()) {
      const result = workloads[index];
      // Alternate which table goes first, across workloads and repetitions, so neither always
      // runs on the warmer cache or right after the other's writes.
      const order = (repetition + index) % 2 === 0 ? (['unaudited', 'audited'] as const) : (['audited', 'unaudited'] as const);
      for (const label of order) {
        const context: WorkloadContext = { client, table: tables[label], source: tables.source, label, options };
        await settle(client, [context.table, ...LOG_RELATIONS]);
        let run: Run;
        if (label === 'unaudited') {
          run = await workload.run(context);
          result.unaudited.push(run);
        } else {
          const before = await logState(client);
          run = await workload.run(context);
          const audited: AuditedRun = { ...run, ...logGrowth(before, await logState(client)) };
          // Writing workloads log one row_log entry per changed row; reading ones log nothing.
          if (audited.loggedRows !== (workload.writes ? audited.changedRows : 0)) {
            throw new BenchIntegrityError(`${workload.title}: the audited run changed ${audited.changedRows} rows but logged ${audited.loggedRows}`);
          }
          result.audited.push(audited);
        }
        progress(`repetition ${repetition + 1}/${options.repetitions}, ${workload.title}, ${label}: ${formatMs(run.ms)} ms`);
      }
      const changed = [result.unaudited[repetition].changedRows, result.audited[repetition].changedRows];
      if (changed[0] !== changed[1]) {
        throw new BenchIntegrityError(`${workload.title}: the unaudited run changed ${changed[0]} rows, the audited run ${changed[1]}`);
      }
    }
  }
  return { startedAt, options, server, workloads, summary: summarize(workloads) };
}
