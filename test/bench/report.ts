/** Renders benchmark results as text: the conditions, then one aligned table of medians. Pure. */
import type { InstructionResults } from './instructions';
import type { BenchResults } from './results';

/** Milliseconds: three decimals for latencies, one for bulk statements. */
export function formatMs(ms: number): string {
  return ms < 10 ? ms.toFixed(3) : ms.toFixed(1);
}

const HEADERS = ['workload', 'unaudited ms', 'audited ms', 'audited/unaudited', 'log bytes per changed row'];

export function renderReport(results: BenchResults): string {
  const { options, server } = results;
  const cells = results.summary.map((r) => [
    r.workload,
    formatMs(r.unauditedMs),
    formatMs(r.auditedMs),
    `${r.ratio.toFixed(2)}x`,
    r.logBytesPerChangedRow === null ? '' : r.logBytesPerChangedRow.toFixed(1),
  ]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i].length)));
  // The workload column reads left to right; the figures line up on their last digit.
  const line = (values: string[]) => ` ${values.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join(' | ')}`;
  return [
    `chronicle ${server.chronicleVersion} on PostgreSQL ${server.version}; ${options.rows} rows, ` +
      `${options.transactions} single-row transactions and 10-row statements; medians of ${options.repetitions} repetition(s)`,
    `settings: ${Object.entries(server.settings).map(([name, value]) => `${name}=${value}`).join(', ')}`,
    '',
    line(HEADERS),
    `-${widths.map((w) => '-'.repeat(w)).join('-+-')}-`,
    ...cells.map(line),
  ].join('\n');
}

const INSTRUCTION_HEADERS = ['workload', 'unaudited instructions', 'audited instructions', 'audited/unaudited'];

/** Renders the instruction counts of `bench --instructions`. Pure. */
export function renderInstructionReport(results: InstructionResults): string {
  const { options } = results;
  const cells = results.rows.map((r) => [
    r.workload, Math.round(r.unaudited).toLocaleString('en-US'), Math.round(r.audited).toLocaleString('en-US'), `${(r.audited / r.unaudited).toFixed(2)}x`,
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
