/** The printed figures: medians over the repetitions, one row per comparison. Pure. */
import { median } from './measure';
import type { AuditedRun, Run, SummaryRow, WorkloadId, WorkloadResult } from './results';

function bytesPerChangedRow(run: AuditedRun): number {
  const bytes = Object.values(run.logBytes).reduce((sum, b) => sum + b, 0);
  return bytes / run.changedRows;
}

function row(workload: string, unaudited: Run[], audited: Run[], floor: Run[], logBytesPerChangedRow: number | null): SummaryRow {
  const unauditedMs = median(unaudited.map((r) => r.ms));
  const auditedMs = median(audited.map((r) => r.ms));
  const floorMs = floor.length > 0 ? median(floor.map((r) => r.ms)) : null;
  return {
    workload, unauditedMs, auditedMs, ratio: auditedMs / unauditedMs, floorMs, floorRatio: floorMs === null ? null : floorMs / unauditedMs, logBytesPerChangedRow,
  };
}

function measured(w: WorkloadResult): SummaryRow {
  return row(w.title, w.unaudited, w.audited, w.floor, median(w.audited.map(bytesPerChangedRow)));
}

export function summarize(workloads: WorkloadResult[]): SummaryRow[] {
  const find = (id: WorkloadId): WorkloadResult => {
    const found = workloads.find((w) => w.id === id);
    if (!found) throw new RangeError(`no results for workload ${id}`);
    return found;
  };
  const [insert, update, del, single, ten, revertUpdate, revertDelete, restoreState, restoreRecord] =
    (['insert', 'update', 'delete', 'single_row_update', 'ten_row_update', 'revert_update', 'revert_delete',
      'restore_before_update', 'restore_record'] as const).map(find);
  return [
    measured(insert),
    measured(update),
    measured(del),
    // An unaudited DELETE only marks rows dead, while an audited one also writes each of them to
    // the log: its cost is also stated against inserting the same rows.
    row(`${del.title}, audited vs unaudited INSERT`, insert.unaudited, del.audited, del.floor, null),
    measured(single),
    measured(ten),
    // revert_transaction (logged, itself revertable) against the hand-written inverse statement
    // on the unaudited table: the inverse UPDATE, and an INSERT of the deleted rows.
    measured(revertUpdate),
    measured(revertDelete),
    // Time travel reads the log and writes nothing to it.
    row(restoreState.title, restoreState.unaudited, restoreState.audited, [], null),
    row(restoreRecord.title, restoreRecord.unaudited, restoreRecord.audited, [], null),
  ];
}
