/** Renders benchmark results as text: the conditions, then one aligned table of medians. Pure. */
import type { InstructionResults } from './instructions';
import type { BenchResults } from './results';

/** Milliseconds: three decimals for latencies, one for bulk statements. */
export function formatMs(ms: number): string {
  return ms < 10 ? ms.toFixed(3) : ms.toFixed(1);
}

const HEADERS = ['workload', 'unaudited ms', 'audited ms', 'audited/unaudited', 'floor ms', 'floor/unaudited', 'log bytes per changed row'];

export function renderReport(results: BenchResults): string {
  const { options, server } = results;
  const cells = results.summary.map((r) => [
    r.workload,
    formatMs(r.unauditedMs),
    formatMs(r.auditedMs),
    `${r.ratio.toFixed(2)}x`,
    r.floorMs === null ? '' : formatMs(r.floorMs),
    r.floorRatio === null ? '' : `${r.floorRatio.toFixed(2)}x`,
    r.logBytesPerChangedRow === null ? '' : r.logBytesPerChangedRow.toFixed(1),
  ]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i].length)));
  // The workload column reads left to right; the figures line up on their last digit.
  const line = (values: string[]) => ` ${values.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join(' | ')}`;
  return [
    `chronicle ${server.chronicleVersion} on PostgreSQL ${server.version}; ${options.rows} rows, ` +
      `${options.transactions} single-row transactions and 10-row statements; medians of ${options.repetitions} repetition(s)`,
    `settings: ${Object.entries(server.settings).map(([name, value]) => `${name}=${value}`).join(', ')}`,
    'floor: the same workload on a table whose capture writes only what the design requires, the cheapest way (test/bench/floor.ts)',
    '',
    line(HEADERS),
    `-${widths.map((w) => '-'.repeat(w)).join('-+-')}-`,
    ...cells.map(line),
  ].join('\n');
}

const INSTRUCTION_HEADERS = ['workload', 'unaudited instructions', 'audited instructions', 'audited/unaudited', 'floor instructions', 'floor/unaudited'];

/** Renders the instruction counts of `bench --instructions`. Pure. */
export function renderInstructionReport(results: InstructionResults): string {
  const { options } = results;
  const count = (n: number) => Math.round(n).toLocaleString('en-US');
  const cells = results.rows.map((r) => [
    r.workload, count(r.unaudited), count(r.audited), `${(r.audited / r.unaudited).toFixed(2)}x`, count(r.floor), `${(r.floor / r.unaudited).toFixed(2)}x`,
  ]);
  const widths = INSTRUCTION_HEADERS.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i].length)));
  const line = (values: string[]) => ` ${values.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join(' | ')}`;
  return [
    `CPU instructions per statement (callgrind), embedded PostgreSQL ${options.major} in single-user mode, fsync off; ` +
      `${options.rows} rows; difference of runs of ${options.statements} and ${2 * options.statements} statements`,
    '',
    line(INSTRUCTION_HEADERS),
    `-${widths.map((w) => '-'.repeat(w)).join('-+-')}-`,
    ...cells.map(line),
  ].join('\n');
}
