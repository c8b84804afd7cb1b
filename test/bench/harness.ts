/**
 * runBenchmark: every workload on an unaudited table and on an audited table of the same
 * definition and data, the capture workloads and the reverts also on a table audited by the
 * floor's minimal capture (floor.ts), on one connection to a fresh database, rotating which goes
 * first.
 */
import type { Client } from 'pg';
import { UsageError } from '../../src/errors';
import { BenchIntegrityError } from './errors';
import { CHRONICLE_LOG, createFixture, FLOOR_LOG, resetState } from './fixture';
import { describeServer, logGrowth, logState, settle } from './measure';
import { formatMs } from './report';
import type { AuditedRun, BenchOptions, BenchResults, Run, WorkloadResult } from './results';
import { summarize } from './summary';
import { WORKLOADS, type TableLabel, type WorkloadContext } from './workloads';

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
  const workloads: WorkloadResult[] = WORKLOADS.map((w) => ({ id: w.id, title: w.title, unaudited: [], audited: [], floor: [] }));
  for (let repetition = 0; repetition < options.repetitions; repetition += 1) {
    await resetState(client, tables);
    for (const [index, workload] of WORKLOADS.entries()) {
      const result = workloads[index];
      // Rotate which table goes first, across workloads and repetitions, so none always runs on
      // the warmer cache or right after another's writes.
      const labels: TableLabel[] = workload.floor ? ['unaudited', 'audited', 'floor'] : ['unaudited', 'audited'];
      const shift = (repetition + index) % labels.length;
      for (const label of [...labels.slice(shift), ...labels.slice(0, shift)]) {
        const context: WorkloadContext = { client, table: tables[label], source: tables.source, label, options };
        const log = label === 'floor' ? FLOOR_LOG : CHRONICLE_LOG;
        await settle(client, [context.table, ...Object.values(log)]);
        let run: Run;
        if (label === 'unaudited') {
          run = await workload.run(context);
          result.unaudited.push(run);
        } else {
          const before = await logState(client, log);
          run = await workload.run(context);
          const logged: AuditedRun = { ...run, ...logGrowth(before, await logState(client, log)) };
          // Writing workloads log one row_log entry per changed row; reading ones log nothing.
          if (logged.loggedRows !== (workload.writes ? logged.changedRows : 0)) {
            throw new BenchIntegrityError(`${workload.title}: the ${label} run changed ${logged.changedRows} rows but logged ${logged.loggedRows}`);
          }
          result[label].push(logged);
        }
        progress(`repetition ${repetition + 1}/${options.repetitions}, ${workload.title}, ${label}: ${formatMs(run.ms)} ms`);
      }
      const changed = [result.unaudited, result.audited, result.floor].filter((runs) => runs.length > repetition).map((runs) => runs[repetition].changedRows);
      if (changed.some((n) => n !== changed[0])) {
        throw new BenchIntegrityError(`${workload.title}: the runs on the unaudited, audited (and floor) tables changed ${changed.join(', ')} rows`);
      }
    }
  }
  return { startedAt, options, server, workloads, summary: summarize(workloads) };
}
