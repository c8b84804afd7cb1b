/**
 * Revert oracle (issue 6): a seeded random workload (test/helpers/oracle) over several audited
 * tables at once (a composite key, a unique key, quoted names, every common type, 320 columns, a
 * partitioned table written through its partitions), with a copy (snapshot) of every table after every transaction. Then, for
 * transactions X picked at random, each in a transaction rolled back afterwards:
 *
 * - reverting X and every later transaction gives exactly the copy taken before X;
 * - reverting X alone: the test works out from the copies alone whether a later transaction
 *   changed a row X changed (other than an UPDATE of other columns of the same row); if not, the
 *   revert must succeed and give exactly "now minus X", computed here from the copies (rows X
 *   changed take their values from before X, column by column where a later transaction changed
 *   other columns); if so, it must be refused as a conflict and leave the tables unchanged;
 * - a dry run changes nothing.
 *
 * Finally one X is reverted for real and the revert reverted again (each committed), compared
 * with the copies, and the log oracle checks that both reverts were logged exactly.
 *
 * The copies net a transaction's changes; a transaction may also touch a row and leave it as it
 * was (the log shows the touch, the copies do not). A refusal the copies do not explain is
 * accepted only if the log shows such a touch of a row by X and by a later transaction.
 */
import type { Client } from 'pg';
import { DatabaseError } from 'pg';
import { connectTo, createDatabase, databaseNameFor, dropDatabase, testServers } from '../helpers/database';
import {
  canonicalTable, comparedColumns, compositeKeyTable, failureReport, installOracleSupport, oracleSeed, oracleTransactions,
  partitionedTable, quotedTable, Rng, runWorkload, snapshot, summary, typesTable, uniqueKeyTable, verifyRun, wideTable,
  type TableModel, type WorkloadRun,
} from '../helpers/oracle';
import type { ServerInfo } from '../helpers/servers/types';

const seed = oracleSeed();
const transactions = oracleTransactions(60);
console.log(`revert oracle: seed ${seed}, ${transactions} transactions (CHRONICLE_ORACLE_SEED=${seed} replays it)`);

type Rows = Map<string, (string | null)[]>;

function rowsByKey(model: TableModel, rows: string[]): Rows {
  const names = comparedColumns(model).map((c) => c.name);
  const keyIndexes = model.key.map((k) => names.indexOf(k));
  const map: Rows = new Map();
  for (const row of rows) {
    const values = JSON.parse(row) as (string | null)[];
    map.set(JSON.stringify(keyIndexes.map((i) => values[i])), values);
  }
  return map;
}

/** the columns (indexes) in which two versions of a row differ; null when the row is absent from one */
function changedColumns(a: (string | null)[] | undefined, b: (string | null)[] | undefined): number[] | null {
  if (!a || !b) return null;
  return a.map((v, i) => (v === b[i] ? -1 : i)).filter((i) => i >= 0);
}

interface Step {
  /** index of the snapshot after it */
  index: number;
  id: number;
}

describe.each(testServers().map((s) => [s.name, s] as const))('%s', (_name, server: ServerInfo) => {
  const database = databaseNameFor(__filename);
  let client: Client;
  let tables: TableModel[];
  let run: WorkloadRun;
  let steps: Step[];

  const snapshotsOf = (model: TableModel) => run.snapshots.get(model) ?? [];
  const now = async (model: TableModel) => canonicalTable(client, model);

  beforeAll(async () => {
    await createDatabase(server, database);
    client = await connectTo(server, database);
    await client.query('CREATE EXTENSION chronicle');
    await installOracleSupport(client);
    tables = [
      await compositeKeyTable(client, server.major, 'revert_oracle'),
      await uniqueKeyTable(client, server.major, 'revert_oracle'),
      await quotedTable(client, server.major),
      await typesTable(client, server.major, 'revert_types'),
      await wideTable(client, server.major, 'revert_wide'),
      await partitionedTable(client, server.major, 'revert_parted'),
    ];
    run = await runWorkload({ client, major: server.major, seed, transactions, tables, initialRows: 40 });
    console.log(`revert oracle ${server.name}: ${summary(run)}`);
    // the transaction_log id of every committed transaction that logged something
    const cuts = snapshotsOf(tables[0]).map((s) => s.eventId);
    steps = [];
    for (let i = 1; i < cuts.length; i += 1) {
      if (cuts[i] === cuts[i - 1]) continue;
      const { rows } = await client.query<{ id: string }>(
        'SELECT DISTINCT transaction_id AS id FROM chronicle.table_event_log WHERE id > $1 AND id <= $2', [cuts[i - 1], cuts[i]],
      );
      if (rows.length !== 1) throw new Error(`snapshot ${i}: ${rows.length} transactions logged`);
      steps.push({ index: i, id: Number(rows[0].id) });
    }
  });

  afterAll(async () => {
    await client.end();
    await dropDatabase(server, database);
  });

  it(`the workload ran without unexpected errors and logged exactly (seed ${seed})`, async () => {
    expect(failureReport(seed, run, await verifyRun(client, run))).toBe('');
    expect(steps.length).toBeGreaterThan(10);
  });

  /** the expected outcome of reverting step s alone, from the copies */
  function expectation(s: number): { conflicts: string[]; expected: Map<TableModel, string[]> } {
    const step = steps[s];
    const conflicts: string[] = [];
    const expected = new Map<TableModel, string[]>();
    for (const model of tables) {
      const snaps = snapshotsOf(model);
      const before = rowsByKey(model, snaps[step.index - 1].rows);
      const after = rowsByKey(model, snaps[step.index].rows);
      const current = rowsByKey(model, snaps[snaps.length - 1].rows);
      const changed = [...new Set([...before.keys(), ...after.keys()])].filter((k) => JSON.stringify(before.get(k)) !== JSON.stringify(after.get(k)));
      const result = new Map(current);
      for (const key of changed) {
        const mine = changedColumns(before.get(key), after.get(key));
        let touchedLater = false;
        for (const later of steps.slice(s + 1)) {
          const b = rowsByKey(model, snaps[later.index - 1].rows).get(key);
          const a = rowsByKey(model, snaps[later.index].rows).get(key);
          if (JSON.stringify(a) === JSON.stringify(b)) continue;
          touchedLater = true;
          const theirs = changedColumns(b, a);
          const disjoint = mine !== null && theirs !== null && !mine.some((i) => theirs.includes(i));
          if (!disjoint) conflicts.push(`${model.name} ${key}: later transaction ${later.id}`);
        }
        if (!touchedLater) {
          const old = before.get(key);
          if (old) result.set(key, old);
          else result.delete(key);
        } else {
          // only UPDATEs of other columns later: X's columns go back, theirs stay
          const row = [...(current.get(key) ?? [])];
          for (const i of mine ?? []) row[i] = (before.get(key) as (string | null)[])[i];
          result.set(key, row);
        }
      }
      expected.set(model, [...result.values()].map((r) => JSON.stringify(r)).sort());
    }
    return { conflicts, expected };
  }

  /** whether the log shows a row touched by transaction x and by a later transaction (a refusal the copies cannot see) */
  async function loggedTouch(x: number): Promise<boolean> {
    const { rows: [r] } = await client.query<{ touched: boolean }>(
      `SELECT EXISTS (
         SELECT FROM chronicle.row_log AS a JOIN chronicle.table_event_log AS ea ON ea.id = a.event_id
         JOIN chronicle.row_log AS b ON b.table_id = a.table_id AND b.event_id > a.event_id
         JOIN chronicle.table_event_log AS eb ON eb.id = b.event_id
         WHERE ea.transaction_id = $1 AND eb.transaction_id > $1
           AND (b.row_key = a.row_key OR b.row_key @> (a.row_key || coalesce(a.old_data, '{}')) - ARRAY(SELECT jsonb_object_keys(coalesce(a.old_data, '{}')) EXCEPT SELECT jsonb_object_keys(a.row_key))
                OR (a.row_key || coalesce(b.old_data, '{}')) @> b.row_key)) AS touched`, [x],
    );
    return r.touched;
  }

  it(`reverting a transaction and every later one gives the copy taken before it; reverting it alone gives "now minus it", or a conflict exactly when a later transaction changed its rows (seed ${seed})`, async () => {
    const rng = new Rng(seed ^ 0x5eed);
    const failures: string[] = [];
    // half of the picks among transactions the copies say nothing later conflicts with, half among the others
    const free = steps.map((_, i) => i).filter((i) => expectation(i).conflicts.length === 0);
    const busy = steps.map((_, i) => i).filter((i) => !free.includes(i));
    const some = (from: number[]) => (from.length === 0 ? [] : Array.from({ length: 7 }, () => rng.pick(from)));
    const picks = [...new Set([0, steps.length - 1, ...some(free), ...some(busy)])].sort((a, b) => a - b);
    const nowRows = new Map<TableModel, string[]>();
    for (const model of tables) nowRows.set(model, await now(model));
    let succeeded = 0;
    let refused = 0;
    let touched = 0;
    for (const s of picks) {
      const step = steps[s];
      const label = `X = transaction ${step.id} (step ${s})`;
      // X and everything after it
      await client.query('BEGIN');
      try {
        const dry = await client.query('SELECT * FROM chronicle.revert_transactions($1::bigint[], dry_run => true)', [steps.slice(s).map((x) => x.id)]);
        if (dry.rows.length === 0) failures.push(`${label}: the dry run planned nothing`);
        for (const model of tables) {
          if (JSON.stringify(await now(model)) !== JSON.stringify(nowRows.get(model))) failures.push(`${label}: the dry run changed ${model.name}`);
        }
        await client.query('SELECT * FROM chronicle.revert_transactions($1::bigint[])', [steps.slice(s).map((x) => x.id)]);
        for (const model of tables) {
          const want = snapshotsOf(model)[step.index - 1].rows;
          const got = await now(model);
          if (JSON.stringify(got) !== JSON.stringify(want)) {
            const missing = want.filter((r) => !got.includes(r)).slice(0, 2);
            const extra = got.filter((r) => !want.includes(r)).slice(0, 2);
            failures.push(`${label} and later: ${model.name} differs from the copy before X: missing ${missing.join(' ').slice(0, 600)} extra ${extra.join(' ').slice(0, 600)}`);
          }
        }
      } catch (error) {
        failures.push(`${label} and later: ${(error as Error).message}`);
      } finally {
        await client.query('ROLLBACK');
      }
      // X alone
      const { conflicts, expected } = expectation(s);
      await client.query('BEGIN');
      try {
        let error: DatabaseError | undefined;
        try {
          await client.query('SAVEPOINT x');
          await client.query('SELECT * FROM chronicle.revert_transaction($1)', [step.id]);
        } catch (e) {
          if (!(e instanceof DatabaseError)) throw e;
          error = e;
          await client.query('ROLLBACK TO SAVEPOINT x');
        }
        if (conflicts.length > 0) {
          if (!error) failures.push(`${label} alone: should conflict (${conflicts.slice(0, 3).join('; ')}) but succeeded`);
          else if (error.code !== '55000' || !/later transactions/.test(error.message) || !error.hint) failures.push(`${label} alone: expected a conflict error, got ${error.code} ${error.message}`);
          else refused += 1;
        } else if (error) {
          if (/later transactions/.test(error.message) && error.code === '55000' && (await loggedTouch(step.id))) touched += 1;
          else failures.push(`${label} alone: should succeed, failed with ${error.code} ${error.message} ${error.detail ?? ''}`);
        } else {
          succeeded += 1;
          for (const model of tables) {
            const got = await now(model);
            const want = expected.get(model) ?? [];
            if (JSON.stringify(got) !== JSON.stringify(want)) {
              const missing = want.filter((r) => !got.includes(r)).slice(0, 2);
              const extra = got.filter((r) => !want.includes(r)).slice(0, 2);
              failures.push(`${label} alone: ${model.name} is not now minus X: missing ${missing.join(' ').slice(0, 600)} extra ${extra.join(' ').slice(0, 600)}`);
            }
          }
        }
        if (error) {
          for (const model of tables) {
            if (JSON.stringify(await now(model)) !== JSON.stringify(nowRows.get(model))) failures.push(`${label}: the refused revert changed ${model.name}`);
          }
        }
      } finally {
        await client.query('ROLLBACK');
      }
    }
    console.log(`revert oracle ${server.name}: ${picks.length} transactions reverted with all later ones; alone: ${succeeded} reverted, ${refused} refused as conflicts the copies show, ${touched} as conflicts only the log shows`);
    expect(failureReport(seed, run, failures)).toBe('');
    expect(succeeded).toBeGreaterThan(0);
  });

  it(`a committed revert and the revert of that revert give the copies, and both are logged exactly (seed ${seed})`, async () => {
    // the last transaction: nothing later can conflict
    const s = steps.length - 1;
    const step = steps[s];
    const { expected } = expectation(s);
    const cut = async () => Number((await client.query<{ id: string }>('SELECT max(id) AS id FROM chronicle.table_event_log')).rows[0].id);
    await client.query('SELECT * FROM chronicle.revert_transaction($1)', [step.id]);
    const revertId = Number((await client.query<{ id: string }>('SELECT max(id) AS id FROM chronicle.transaction_log')).rows[0].id);
    for (const model of tables) {
      expect(await now(model)).toEqual(expected.get(model));
      snapshotsOf(model).push(await snapshot(client, model, 'the revert', await cut()));
    }
    // X is reverted: a second revert of it is refused
    await expect(client.query('SELECT * FROM chronicle.revert_transaction($1)', [step.id])).rejects.toMatchObject({ code: '55000', message: expect.stringMatching(/already reverted/) });
    await client.query('SELECT * FROM chronicle.revert_transaction($1)', [revertId]);
    for (const model of tables) {
      const snaps = snapshotsOf(model);
      expect(await now(model)).toEqual(snaps[snaps.length - 2].rows);
      snaps.push(await snapshot(client, model, 'the revert of the revert', await cut()));
    }
    expect(failureReport(seed, run, await verifyRun(client, run))).toBe('');
  });
});
