/**
 * Seeded random workloads: transactions of 1-4 statements over one or several audited tables,
 * some rolled back (whole, or to a savepoint after some writes, sometimes after a statement that
 * fails), with a snapshot of every table after every transaction. The snapshots and the log
 * then go to verifyLog.
 *
 * Each transaction is also checked as it ends: a rolled-back one leaves no event and no
 * transaction_log row; a committed one adds one transaction_log row exactly when it logged
 * events, and all its events carry that row's id.
 */
import type { Client } from 'pg';
import { DatabaseError } from 'pg';
import { canonicalRow, currentRows, rowString } from './canonical';
import { readLog, tableId } from './log';
import { ident, tableName, type TableModel, type TargetModel } from './model';
import { Rng } from './random';
import { verifyLog, type Snapshot, type VerifyOptions } from './reconstruct';
import { block, failing, GENERATORS, insert, statementContext, type Statement, type StatementContext, type StatementKind } from './statements';

export const DEFAULT_WEIGHTS: Record<StatementKind, number> = {
  insert: 22,
  update: 26,
  updateKey: 10,
  delete: 12,
  truncate: 1.5,
  upsert: 9,
  merge: 8,
  replaceFunction: 4,
  cteReinsert: 3,
  block: 4,
};

export interface WorkloadOptions {
  client: Client;
  major: number;
  seed: number;
  transactions: number;
  tables: TableModel[];
  weights?: Partial<Record<StatementKind, number>>;
  /** weight of each relation a statement may name, by kind (default: the table itself 3, others 1 each) */
  targetWeight?: (target: TargetModel) => number;
  /** probability that a transaction ends with ROLLBACK */
  rollback?: number;
  /** probability that a transaction has a savepoint around some statements */
  savepoint?: number;
  /** rows inserted into each table by the first transaction (default 12) */
  initialRows?: number;
  /** the PL/pgSQL function that runs an array of statements (see installOracleSupport) */
  runner?: string;
  /** probability that a transaction changes the session's output settings (DateStyle, IntervalStyle, extra_float_digits, ...) */
  sessionSettings?: number;
}

/**
 * Settings that change how values are written as text, set (SET LOCAL) by some transactions:
 * what is logged must not depend on them. The oracle reads the log with the defaults.
 */
export const OUTPUT_SETTINGS: Record<string, string[]> = {
  DateStyle: ["'SQL, DMY'", "'German'", "'Postgres, MDY'", "'ISO, DMY'"],
  IntervalStyle: ["'sql_standard'", "'iso_8601'", "'postgres_verbose'"],
  extra_float_digits: ['0', '-15', '3'],
  bytea_output: ["'escape'"],
  TimeZone: ["'Asia/Kathmandu'", "'America/St_Johns'", "'UTC'", "'Pacific/Chatham'"],
};

export interface WorkloadRun {
  snapshots: Map<TableModel, Snapshot[]>;
  /** one line per transaction: what it ran and how it ended */
  history: string[];
  /** what went wrong while running (unexpected errors, trace left by a rollback, ...) */
  failures: string[];
  /** statements run, by kind */
  counts: Record<string, number>;
}

export const ORACLE_RUNNER = 'public.oracle_exec';

/** Support objects the workloads use: a PL/pgSQL function that runs statements given as text. */
export async function installOracleSupport(client: Client): Promise<void> {
  await client.query(`CREATE OR REPLACE FUNCTION ${ORACLE_RUNNER}(statements text[]) RETURNS void LANGUAGE plpgsql AS $f$
    DECLARE s text;
    BEGIN
      FOREACH s IN ARRAY statements LOOP EXECUTE s; END LOOP;
    END $f$`);
}

async function logPosition(client: Client): Promise<{ eventId: number; transactions: number }> {
  const { rows: [r] } = await client.query<{ event_id: string | null; transactions: string }>(
    'SELECT (SELECT max(id) FROM chronicle.table_event_log) AS event_id, (SELECT count(*) FROM chronicle.transaction_log) AS transactions',
  );
  return { eventId: Number(r.event_id ?? 0), transactions: Number(r.transactions) };
}

export async function snapshot(client: Client, model: TableModel, label: string, eventId: number): Promise<Snapshot> {
  const { rows } = await client.query<{ c: (string | null)[] }>(`SELECT ${canonicalRow(model, 'r')} AS c FROM ${tableName(model)} AS r`);
  return { label, eventId, rows: rows.map((r) => rowString(r.c)).sort() };
}

async function keysOf(client: Client, model: TableModel, target: TargetModel): Promise<string[][]> {
  const { rows } = await client.query<{ k: string[] }>(
    `SELECT ARRAY[${model.key.map((k) => `t.${ident(k)}::text`).join(', ')}] AS k FROM ${target.relation} AS t ORDER BY 1`,
  );
  return rows.map((r) => r.k);
}

function clip(sql: string, n = 600): string {
  const flat = sql.replace(/\s+/g, ' ');
  return flat.length > n ? `${flat.slice(0, n)}...` : flat;
}

interface PlanItem {
  statements: number;
  savepoint?: { end: 'rollback' | 'release'; failing: boolean };
}

/**
 * Snapshots every table after each transaction, and checks what a transaction leaves in the log
 * as it ends (see the top of this file).
 */
class Recorder {
  readonly run: WorkloadRun = { snapshots: new Map(), history: [], failures: [], counts: {} };
  private before = { eventId: 0, transactions: 0 };

  constructor(private readonly client: Client, private readonly tables: TableModel[]) {}

  async snapshots(label: string): Promise<void> {
    const { eventId } = await logPosition(this.client);
    for (const model of this.tables) {
      const list = this.run.snapshots.get(model) ?? [];
      list.push(await snapshot(this.client, model, label, eventId));
      this.run.snapshots.set(model, list);
    }
  }

  async begin(): Promise<void> {
    this.before = await logPosition(this.client);
    await this.client.query('BEGIN');
  }

  /** ends the transaction (COMMIT or ROLLBACK), checks its trace, snapshots every table */
  async end(label: string, end: 'COMMIT' | 'ROLLBACK', lines: string[]): Promise<void> {
    const { client, run, before } = this;
    await client.query(end);
    run.history.push(`${label} (${end.toLowerCase()}): ${lines.join('; ')}`);
    const after = await logPosition(client);
    if (end === 'ROLLBACK') {
      if (after.eventId !== before.eventId || after.transactions !== before.transactions) {
        run.failures.push(`${label} rolled back but left a trace: events ${before.eventId} -> ${after.eventId}, transaction_log rows ${before.transactions} -> ${after.transactions}`);
      }
    } else {
      const { rows } = await client.query<{ n: string; ids: string[] | null }>(
        'SELECT count(*) AS n, array_agg(DISTINCT transaction_id::text) AS ids FROM chronicle.table_event_log WHERE id > $1', [before.eventId],
      );
      const events = Number(rows[0].n);
      const added = after.transactions - before.transactions;
      if (added !== (events > 0 ? 1 : 0)) run.failures.push(`${label} logged ${events} events and ${added} transaction_log rows`);
      if (events > 0 && (rows[0].ids ?? []).length !== 1) run.failures.push(`${label}: its events carry several transaction ids ${(rows[0].ids ?? []).join(', ')}`);
    }
    await this.snapshots(label);
  }

  /** runs a statement; false if it failed (an unexpected failure is recorded) */
  async execute(statement: Statement, where: string): Promise<boolean> {
    const { run } = this;
    run.counts[statement.kind] = (run.counts[statement.kind] ?? 0) + 1;
    try {
      await this.client.query(statement.sql);
    } catch (error) {
      const code = error instanceof DatabaseError ? error.code : undefined;
      if (statement.fails && code === statement.fails) return false;
      run.failures.push(`${where}: unexpected error ${code ?? ''} ${(error as Error).message}: ${clip(statement.sql)}`);
      return false;
    }
    if (statement.fails) run.failures.push(`${where}: statement should have failed with ${statement.fails}: ${clip(statement.sql)}`);
    return true;
  }
}

/**
 * Runs transactions given as SQL (directed cases), with the same snapshots and checks as the
 * random workloads. A transaction is a list of statements; 'ROLLBACK' as its last statement
 * rolls it back, and savepoint commands are run as they are.
 */
export async function runScript(client: Client, tables: TableModel[], transactions: string[][], label = 'transaction'): Promise<WorkloadRun> {
  const recorder = new Recorder(client, tables);
  await recorder.snapshots(`the start of the ${label}s`);
  for (const [i, statements] of transactions.entries()) {
    const where = `${label} ${i + 1}`;
    await recorder.begin();
    const rollback = statements[statements.length - 1] === 'ROLLBACK';
    const body = rollback ? statements.slice(0, -1) : statements;
    for (const sql of body) await recorder.execute({ kind: 'script', sql }, where);
    await recorder.end(where, rollback ? 'ROLLBACK' : 'COMMIT', body.map((s) => clip(s, 300)));
  }
  return recorder.run;
}

export async function runWorkload(options: WorkloadOptions): Promise<WorkloadRun> {
  const { client, major, tables } = options;
  const rng = new Rng(options.seed);
  const weights = { ...DEFAULT_WEIGHTS, ...options.weights };
  const runner = options.runner ?? ORACLE_RUNNER;
  const recorder = new Recorder(client, tables);
  const { run } = recorder;
  const targetWeight = options.targetWeight ?? ((t: TargetModel) => (t.kind === 'table' ? 3 : 1));

  const contextFor = async (model: TableModel, target: TargetModel, touched: Set<string>): Promise<StatementContext> =>
    statementContext(rng, major, model, target, await keysOf(client, model, target), touched);

  const pickTarget = (model: TableModel): TargetModel => {
    const total = model.targets.reduce((s, t) => s + targetWeight(t), 0);
    let x = rng.next() * total;
    for (const t of model.targets) {
      x -= targetWeight(t);
      if (x < 0) return t;
    }
    return model.targets[0];
  };

  const touchedBy = new Map<TableModel, Set<string>>();
  const generate = async (): Promise<Statement> => {
    for (let attempt = 0; ; attempt += 1) {
      const model = rng.pick(tables);
      const target = pickTarget(model);
      const touched = touchedBy.get(model) ?? new Set<string>();
      touchedBy.set(model, touched);
      const ctx = await contextFor(model, target, touched);
      const kind = attempt > 5 ? 'insert' : rng.weighted(weights);
      const statement = kind === 'block' ? block(ctx, runner) : GENERATORS[kind](ctx);
      if (statement) return statement;
    }
  };

  const execute = (statement: Statement, where: string) => recorder.execute(statement, where);

  // Transaction 0: initial rows in every table.
  await recorder.snapshots('the start');
  {
    await recorder.begin();
    const lines: string[] = [];
    for (const model of tables) {
      const ctx = await contextFor(model, model.targets[0], new Set());
      const s = insert(ctx, options.initialRows ?? 12);
      lines.push(clip(s.sql, 200));
      await execute(s, 'transaction 0');
    }
    await recorder.end('transaction 0', 'COMMIT', lines);
  }

  for (let tx = 1; tx <= options.transactions; tx += 1) {
    touchedBy.clear();
    const count = rng.int(1, 4);
    const plan: PlanItem[] = [];
    if (rng.chance(options.savepoint ?? 0.25)) {
      const inside = rng.int(1, count);
      const beforeBlock = rng.int(0, count - inside);
      const end = rng.chance(0.6) ? 'rollback' : 'release';
      if (beforeBlock > 0) plan.push({ statements: beforeBlock });
      plan.push({ statements: inside, savepoint: { end, failing: end === 'rollback' && rng.chance(0.4) } });
      if (count - inside - beforeBlock > 0) plan.push({ statements: count - inside - beforeBlock });
    } else {
      plan.push({ statements: count });
    }
    const commit = !rng.chance(options.rollback ?? 0.12);
    const where = `transaction ${tx}`;
    const lines: string[] = [];
    let aborted = false;
    await recorder.begin();
    if (rng.chance(options.sessionSettings ?? 0.3)) {
      const settings = rng.sample(Object.keys(OUTPUT_SETTINGS), rng.int(1, 3)).map((name) => `SET LOCAL ${name} = ${rng.pick(OUTPUT_SETTINGS[name])}`);
      for (const setting of settings) await client.query(setting);
      lines.push(...settings);
    }
    for (const item of plan) {
      if (aborted) break;
      if (item.savepoint) {
        await client.query('SAVEPOINT oracle');
        lines.push('SAVEPOINT oracle');
      }
      let failed = false;
      for (let i = 0; i < item.statements && !failed; i += 1) {
        const statement = await generate();
        lines.push(clip(statement.sql, 300));
        failed = !(await execute(statement, where));
      }
      if (item.savepoint?.failing && !failed) {
        const model = rng.pick(tables);
        const s = failing(await contextFor(model, model.targets[0], new Set()));
        if (s) {
          lines.push(clip(s.sql, 300));
          failed = !(await execute(s, where));
        }
      }
      if (item.savepoint) {
        const end = failed || item.savepoint.end === 'rollback' ? 'ROLLBACK TO SAVEPOINT oracle' : 'RELEASE SAVEPOINT oracle';
        await client.query(end);
        lines.push(end);
        if (failed && !item.savepoint.failing) aborted = true; // an unexpected error: already reported
      } else if (failed) {
        aborted = true;
      }
    }
    await recorder.end(where, commit && !aborted ? 'COMMIT' : 'ROLLBACK', lines);
  }
  return run;
}

/** one line about a run: transactions committed and rolled back, statements by kind */
export function summary(run: WorkloadRun): string {
  const rolledBack = run.history.filter((h) => /^[^:]*\(rollback\)/.test(h)).length;
  const kinds = Object.entries(run.counts).sort().map(([k, n]) => `${k} ${n}`).join(', ');
  return `${run.history.length} transactions (${rolledBack} rolled back, more to savepoints), statements: ${kinds}`;
}

/** Verifies every table of a run: its log rebuilds every snapshot (undo and/or replay). */
export async function verifyRun(client: Client, run: WorkloadRun, options: (model: TableModel) => VerifyOptions = () => ({})): Promise<string[]> {
  const failures = [...run.failures];
  for (const [model, snapshots] of run.snapshots) {
    const log = await readLog(client, await tableId(client, model));
    const current = await currentRows(client, model);
    failures.push(...(await verifyLog(client, model, snapshots, log, current, options(model))));
  }
  return failures;
}

/** The failure message of a checked run: empty when it passed, else the seed, the failures and the statements run. */
export function failureReport(seed: number, run: WorkloadRun, failures: string[]): string {
  return failures.length === 0 ? '' : `seed ${seed}\n${failures.join('\n')}\n--- history ---\n${run.history.join('\n')}`;
}
