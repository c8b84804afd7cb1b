/**
 * The oracle proper: rebuilds every earlier state of a table from its log and compares it,
 * row for row, with the snapshot of the real table taken at that point.
 *
 * - Undo (docs/log-tables.md, "Undoing"): start from the current rows, undo the logged events
 *   newest first; after undoing every event later than a snapshot's cut, the rows must equal it.
 * - Replay (with log_new_data): start from the BASELINE event and apply the events forward.
 *
 * An event is applied as a set: all the rows it names are taken out before any is put back, so
 * an UPDATE that swaps keys is one change. Each UPDATE entry must name exactly the columns that
 * changed (no more: an entry for an unchanged row or column is an error too), whole-row entries
 * exactly the table's logged columns. Every check reports a failure; nothing is thrown.
 */
import type { Client } from 'pg';
import { Canonicalizer } from './canonical';
import type { JsonObject, LogEvent } from './log';
import { comparedColumns, type TableModel } from './model';

export interface Snapshot {
  /** what the snapshot follows, e.g. "transaction 12" */
  label: string;
  /** the largest table_event_log id when it was taken: the cut */
  eventId: number;
  /** canonical rows, sorted */
  rows: string[];
}

type Row = Map<string, string>;

interface UpdateCheck {
  where: string;
  before: Row;
  after: Row;
  /** columns the entry logged */
  logged: string[];
  /** 'all': logged must be exactly the changed columns; 'key': the whole key if a key column changed, else nothing */
  expect: 'all' | 'key';
}

interface Pass {
  method: 'undo' | 'replay';
  /** snapshot index -> the rebuilt rows (never changed in place, so they can be shared) */
  states: Map<number, Row[]>;
  updates: UpdateCheck[];
  problems: string[];
  /** snapshots the pass could not reach (it stopped at a problem, or they precede the baseline) */
  unreached: number[];
}

class LogProblem extends Error {}

function keyOf(model: TableModel, values: JsonObject | Row): string {
  const get = (k: string) => (values instanceof Map ? values.get(k) : values[k]);
  return JSON.stringify(model.key.map((k) => get(k) ?? null));
}

function sameSet(a: string[], b: string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}

function show(values: JsonObject | null): string {
  const text = values === null ? 'null' : `{${Object.entries(values).map(([k, v]) => `${JSON.stringify(k)}: ${v}`).join(', ')}}`;
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}

function wholeRowProblem(model: TableModel, values: JsonObject, where: string, what: string): string | undefined {
  const expected = comparedColumns(model).map((c) => c.name);
  const got = Object.keys(values);
  if (sameSet(expected, got)) return undefined;
  const missing = expected.filter((c) => !got.includes(c));
  const extra = got.filter((c) => !expected.includes(c));
  return `${where}: ${what} is not the whole logged row (missing ${JSON.stringify(missing)}, extra ${JSON.stringify(extra)})`;
}

function checkEntryShape(model: TableModel, event: LogEvent, problems: string[]): void {
  const keyNames = model.key;
  for (const entry of event.entries) {
    const where = `event ${event.id} (${event.operation}) key ${show(entry.rowKey)}`;
    if (!sameSet(Object.keys(entry.rowKey), keyNames)) problems.push(`${where}: row_key does not hold exactly the key columns ${JSON.stringify(keyNames)}`);
    const op = event.operation;
    if (op === 'INSERT' || op === 'BASELINE') {
      if (entry.oldData !== null) problems.push(`${where}: old_data must be NULL, is ${show(entry.oldData)}`);
      if (op === 'BASELINE' || model.logNewData) {
        if (entry.newData === null) problems.push(`${where}: new_data is missing`);
        else {
          const p = wholeRowProblem(model, entry.newData, where, 'new_data');
          if (p) problems.push(p);
        }
      } else if (entry.newData !== null) problems.push(`${where}: new_data must be NULL without log_new_data, is ${show(entry.newData)}`);
    } else if (op === 'DELETE' || op === 'TRUNCATE') {
      if (entry.newData !== null) problems.push(`${where}: new_data must be NULL, is ${show(entry.newData)}`);
      if (model.logOldData) {
        if (entry.oldData === null) problems.push(`${where}: old_data is missing`);
        else {
          const p = wholeRowProblem(model, entry.oldData, where, 'old_data');
          if (p) problems.push(p);
        }
      } else if (entry.oldData !== null) problems.push(`${where}: old_data must be NULL without log_old_data, is ${show(entry.oldData)}`);
    } else if (op === 'UPDATE') {
      const allowed = comparedColumns(model).map((c) => c.name);
      for (const [name, data] of [['old_data', entry.oldData], ['new_data', entry.newData]] as const) {
        if (data === null) continue;
        const unknown = Object.keys(data).filter((k) => !allowed.includes(k));
        if (unknown.length > 0) problems.push(`${where}: ${name} holds columns that are not logged: ${JSON.stringify(unknown)}`);
      }
      if (model.logOldData && entry.oldData === null) problems.push(`${where}: old_data is missing`);
      if (!model.logOldData && entry.oldData !== null && Object.keys(entry.oldData).some((k) => !keyNames.includes(k))) {
        problems.push(`${where}: without log_old_data, old_data may hold only the old key, holds ${show(entry.oldData)}`);
      }
      if (model.logNewData && entry.newData === null) problems.push(`${where}: new_data is missing`);
      if (!model.logNewData && entry.newData !== null) problems.push(`${where}: new_data must be NULL without log_new_data`);
    } else {
      problems.push(`event ${event.id}: unknown operation ${op}`);
    }
  }
}

function toRow(values: JsonObject): Row {
  return new Map(Object.entries(values));
}

/** Undo, newest first, from the current rows. */
function undoPass(model: TableModel, events: LogEvent[], current: JsonObject[], snapshots: Snapshot[]): Pass {
  const pass: Pass = { method: 'undo', states: new Map(), updates: [], problems: [], unreached: [] };
  const state = new Map<string, Row>();
  for (const values of current) state.set(keyOf(model, values), toRow(values));
  const order = snapshots.map((s, i) => ({ s, i })).sort((a, b) => b.s.eventId - a.s.eventId || b.i - a.i);
  let next = 0;
  const record = (below: number) => {
    while (next < order.length && order[next].s.eventId >= below) {
      pass.states.set(order[next].i, [...state.values()]);
      next += 1;
    }
  };
  try {
    for (let e = events.length - 1; e >= 0; e -= 1) {
      const event = events[e];
      record(event.id);
      const where = (key: JsonObject) => `undo of event ${event.id} (${event.operation}) key ${show(key)}`;
      switch (event.operation) {
        case 'INSERT':
          for (const entry of event.entries) {
            if (!state.delete(keyOf(model, entry.rowKey))) throw new LogProblem(`${where(entry.rowKey)}: no such row to remove`);
          }
          break;
        case 'UPDATE': {
          const taken = event.entries.map((entry) => {
            const row = state.get(keyOf(model, entry.rowKey));
            if (!row) throw new LogProblem(`${where(entry.rowKey)}: no such row (or two entries name it)`);
            state.delete(keyOf(model, entry.rowKey));
            return { entry, row };
          });
          for (const { entry, row } of taken) {
            if (entry.oldData === null) throw new LogProblem(`${where(entry.rowKey)}: no old_data to undo with`);
            const before = new Map(row);
            for (const [k, v] of Object.entries(entry.oldData)) before.set(k, v);
            const key = keyOf(model, before);
            if (state.has(key)) throw new LogProblem(`${where(entry.rowKey)}: its old key ${key} is taken`);
            state.set(key, before);
            const at = `event ${event.id} (UPDATE) key ${show(entry.rowKey)}`;
            pass.updates.push({ where: `${at} old_data`, before, after: row, logged: Object.keys(entry.oldData), expect: 'all' });
            if (entry.newData !== null) {
              pass.updates.push({ where: `${at} new_data`, before, after: row, logged: Object.keys(entry.newData), expect: 'all' });
            }
          }
          break;
        }
        case 'DELETE':
        case 'TRUNCATE':
          for (const entry of event.entries) {
            if (entry.oldData === null) throw new LogProblem(`${where(entry.rowKey)}: no old_data to put back`);
            const key = keyOf(model, entry.oldData);
            if (key !== keyOf(model, entry.rowKey)) throw new LogProblem(`${where(entry.rowKey)}: old_data has another key ${key}`);
            if (state.has(key)) throw new LogProblem(`${where(entry.rowKey)}: key already present`);
            state.set(key, toRow(entry.oldData));
          }
          break;
        case 'BASELINE':
          break;
        default:
          throw new LogProblem(`event ${event.id}: unknown operation ${event.operation}`);
      }
    }
    record(-Infinity);
  } catch (error) {
    if (!(error instanceof LogProblem)) throw error;
    pass.problems.push(error.message);
    for (; next < order.length; next += 1) pass.unreached.push(order[next].i);
  }
  return pass;
}

/** Replay forward from the BASELINE event. */
function replayPass(model: TableModel, events: LogEvent[], snapshots: Snapshot[], fromEmpty: boolean): Pass {
  const pass: Pass = { method: 'replay', states: new Map(), updates: [], problems: [], unreached: [] };
  let start = events.findIndex((e) => e.operation === 'BASELINE');
  const order = snapshots.map((s, i) => ({ s, i })).sort((a, b) => a.s.eventId - b.s.eventId || a.i - b.i);
  if (start < 0 && !fromEmpty) {
    pass.problems.push('replay: the log has no BASELINE event');
    pass.unreached = order.map((o) => o.i);
    return pass;
  }
  const state = new Map<string, Row>();
  if (start >= 0) {
    for (const entry of events[start].entries) state.set(keyOf(model, entry.rowKey), toRow(entry.newData ?? {}));
  }
  const startId = start >= 0 ? events[start].id : -Infinity;
  if (start < 0) start = -1; // from an empty table, before the first event
  let next = 0;
  for (; next < order.length && order[next].s.eventId < startId; next += 1) pass.unreached.push(order[next].i);
  const record = (above: number) => {
    while (next < order.length && order[next].s.eventId < above) {
      pass.states.set(order[next].i, [...state.values()]);
      next += 1;
    }
  };
  try {
    for (let e = start + 1; e < events.length; e += 1) {
      const event = events[e];
      record(event.id);
      const where = (key: JsonObject) => `replay of event ${event.id} (${event.operation}) key ${show(key)}`;
      switch (event.operation) {
        case 'INSERT':
          for (const entry of event.entries) {
            if (entry.newData === null) throw new LogProblem(`${where(entry.rowKey)}: no new_data to insert`);
            const key = keyOf(model, entry.newData);
            if (key !== keyOf(model, entry.rowKey)) throw new LogProblem(`${where(entry.rowKey)}: new_data has another key ${key}`);
            if (state.has(key)) throw new LogProblem(`${where(entry.rowKey)}: key already present`);
            state.set(key, toRow(entry.newData));
          }
          break;
        case 'UPDATE': {
          const taken = event.entries.map((entry) => {
            const oldKey: JsonObject = { ...entry.rowKey };
            for (const k of model.key) if (entry.oldData && k in entry.oldData) oldKey[k] = entry.oldData[k];
            const row = state.get(keyOf(model, oldKey));
            if (!row) throw new LogProblem(`${where(entry.rowKey)}: no row with the old key ${keyOf(model, oldKey)} (or two entries name it)`);
            state.delete(keyOf(model, oldKey));
            return { entry, row };
          });
          for (const { entry, row } of taken) {
            if (entry.newData === null) throw new LogProblem(`${where(entry.rowKey)}: no new_data to apply`);
            const after = new Map(row);
            for (const [k, v] of Object.entries(entry.newData)) after.set(k, v);
            const key = keyOf(model, after);
            if (key !== keyOf(model, entry.rowKey)) throw new LogProblem(`${where(entry.rowKey)}: the updated row has key ${key}, not row_key`);
            if (state.has(key)) throw new LogProblem(`${where(entry.rowKey)}: its new key is taken`);
            state.set(key, after);
            const at = `event ${event.id} (UPDATE) key ${show(entry.rowKey)}`;
            pass.updates.push({ where: `${at} new_data`, before: row, after, logged: Object.keys(entry.newData), expect: 'all' });
            if (!model.logOldData) {
              pass.updates.push({ where: `${at} old_data`, before: row, after, logged: Object.keys(entry.oldData ?? {}), expect: 'key' });
            }
          }
          break;
        }
        case 'DELETE':
        case 'TRUNCATE':
          for (const entry of event.entries) {
            if (!state.delete(keyOf(model, entry.rowKey))) throw new LogProblem(`${where(entry.rowKey)}: no such row to remove`);
          }
          break;
        case 'BASELINE':
          throw new LogProblem(`event ${event.id}: a second BASELINE (the oracle replays from the first only)`);
        default:
          throw new LogProblem(`event ${event.id}: unknown operation ${event.operation}`);
      }
    }
    record(Infinity);
  } catch (error) {
    if (!(error instanceof LogProblem)) throw error;
    pass.problems.push(error.message);
    for (; next < order.length; next += 1) pass.unreached.push(order[next].i);
  }
  return pass;
}

function short(text: string, n = 200): string {
  return text.length > n ? `${text.slice(0, n)}...` : text;
}

/**
 * Differences between two sorted lists of canonical rows, for a failure message: rows with the
 * same key are shown column by column, others whole.
 */
function rowDiff(model: TableModel, expected: string[], rebuilt: string[]): string | undefined {
  const count = (rows: string[]) => rows.reduce((m, r) => m.set(r, (m.get(r) ?? 0) + 1), new Map<string, number>());
  const e = count(expected);
  const r = count(rebuilt);
  const missing = [...e].filter(([row, n]) => (r.get(row) ?? 0) < n).map(([row]) => row);
  const extra = [...r].filter(([row, n]) => (e.get(row) ?? 0) < n).map(([row]) => row);
  if (missing.length === 0 && extra.length === 0) return undefined;
  const names = comparedColumns(model).map((c) => c.name);
  const keyIndexes = model.key.map((k) => names.indexOf(k));
  const parse = (row: string) => JSON.parse(row) as (string | null)[];
  const keyOfRow = (values: (string | null)[]) => JSON.stringify(keyIndexes.map((i) => values[i]));
  const extraByKey = new Map(extra.map((row) => [keyOfRow(parse(row)), parse(row)]));
  const details: string[] = [];
  for (const row of missing.slice(0, 4)) {
    const want = parse(row);
    const got = extraByKey.get(keyOfRow(want));
    if (got) {
      extraByKey.delete(keyOfRow(want));
      const cols = names.map((n, i) => ({ n, i })).filter(({ i }) => want[i] !== got[i])
        .map(({ n, i }) => `${n}: table ${short(JSON.stringify(want[i]))}, rebuilt ${short(JSON.stringify(got[i]))}`);
      details.push(`row ${keyOfRow(want)} differs in ${cols.join('; ')}`);
    } else {
      details.push(`row ${keyOfRow(want)} missing: ${short(row, 400)}`);
    }
  }
  for (const got of [...extraByKey.values()].slice(0, 4)) details.push(`row ${keyOfRow(got)} unexpected: ${short(JSON.stringify(got), 400)}`);
  return `${expected.length} rows in the table, ${rebuilt.length} rebuilt, ${missing.length} rows differ: ${details.join(' | ')}`;
}

export interface VerifyOptions {
  /** undo from the current rows (needs log_old_data); default: when the table logs old data */
  undo?: boolean;
  /** replay from the baseline (needs log_new_data); default: when the table logs new data */
  replay?: boolean;
  /** replay from an empty table when the log has no BASELINE (the table was empty when its audit started) */
  replayFromEmpty?: boolean;
}

/**
 * Rebuilds every snapshot of the table from its log and returns every difference found, each
 * as one line naming the table, the method and the snapshot. An empty list means the log is
 * complete and exact for this history.
 */
export async function verifyLog(
  client: Client,
  model: TableModel,
  snapshots: Snapshot[],
  log: { events: LogEvent[]; problems: string[] },
  current: JsonObject[],
  options: VerifyOptions = {},
): Promise<string[]> {
  const name = `${model.schema}.${model.name}`;
  const failures = log.problems.map((p) => `${name}: ${p}`);
  for (const event of log.events) {
    const shape: string[] = [];
    checkEntryShape(model, event, shape);
    failures.push(...shape.map((p) => `${name}: ${p}`));
  }
  const passes: Pass[] = [];
  if (options.undo ?? model.logOldData) passes.push(undoPass(model, log.events, current, snapshots));
  if (options.replay ?? model.logNewData) passes.push(replayPass(model, log.events, snapshots, options.replayFromEmpty ?? false));
  if (passes.length === 0) throw new Error(`${name}: nothing to verify (neither undo nor replay)`);

  const canonical = new Canonicalizer(client, model);
  for (const pass of passes) {
    for (const rows of pass.states.values()) rows.forEach((r) => canonical.add(r));
    for (const u of pass.updates) {
      canonical.add(u.before);
      canonical.add(u.after);
    }
  }
  await canonical.resolve();
  failures.push(...canonical.unreadable.map((u) => `${name}: ${u}`));
  const names = comparedColumns(model).map((c) => c.name);
  const rowStrings = new WeakMap<Row, string>();
  const rowString = (row: Row) => {
    let text = rowStrings.get(row);
    if (text === undefined) rowStrings.set(row, (text = canonical.rowString(row)));
    return text;
  };

  for (const pass of passes) {
    failures.push(...pass.problems.map((p) => `${name}: ${p}`));
    for (const i of pass.unreached) {
      if (pass.method === 'replay' && pass.problems.length === 0) continue; // before the baseline: nothing to replay
      failures.push(`${name}: ${pass.method} never reached the state after ${snapshots[i].label}`);
    }
    let differing = 0;
    for (const [i, rows] of [...pass.states].sort((a, b) => a[0] - b[0])) {
      const rebuilt = rows.map(rowString).sort();
      const diff = rowDiff(model, snapshots[i].rows, rebuilt);
      if (!diff) continue;
      differing += 1;
      // the first few in full: one wrong entry usually spoils every earlier state
      if (differing <= 3) failures.push(`${name}: ${pass.method} to the state after ${snapshots[i].label} (event ${snapshots[i].eventId}): ${diff}`);
    }
    if (differing > 3) failures.push(`${name}: ${pass.method}: ${differing - 3} more states differ`);
    for (const u of pass.updates) {
      const before = canonical.canonicalValues(u.before);
      const after = canonical.canonicalValues(u.after);
      const changed = names.filter((_, i) => before[i] !== after[i]);
      // without old data, a key change logs the whole old key (docs/log-tables.md), anything else nothing
      const expected = u.expect === 'all' ? changed : changed.some((c) => model.key.includes(c)) ? model.key : [];
      if (u.expect === 'all' && changed.length === 0) failures.push(`${name}: ${u.where}: logged an UPDATE of a row that did not change (columns ${JSON.stringify(u.logged)})`);
      else if (!sameSet(u.logged, expected)) {
        failures.push(`${name}: ${u.where}: logged columns ${JSON.stringify(u.logged.sort())}, but ${JSON.stringify(expected)} changed`);
      }
    }
  }
  return failures;
}
