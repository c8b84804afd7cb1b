/**
 * Change-log oracle (issue 3): the log content equals what actually changed. After every
 * transaction the real tables are snapshot; undoing the logged changes newest first from the
 * current rows must rebuild every snapshot exactly, and, with new data logged, replaying forward
 * from the baseline must too (test/helpers/oracle). Here:
 *
 * - the oracle itself can fail: each way of spoiling the log (a missing, altered, extra or
 *   spurious entry, an unlogged change) is reported;
 * - a seeded random workload over several tables at once (a composite key, a unique key instead
 *   of a primary key, a deferrable primary key next to the unique key chronicle uses instead,
 *   and a schema, table and columns whose names need quoting);
 * - directed cases for each operation, and what cannot be logged exactly (JSON null, json text).
 *
 * The seed is printed; CHRONICLE_ORACLE_SEED replays it, CHRONICLE_ORACLE_TRANSACTIONS scales it.
 */
import type { Client } from 'pg';
import { connectTo, createDatabase, databaseNameFor, dropDatabase, testServers } from '../helpers/database';
import {
  audit, col, compositeKeyTable, createSchema, createTable, deferrablePrimaryKeyTable, installOracleSupport, intKey, oracleSeed,
  oracleTransactions, quotedTable, readLog, runScript, runWorkload, summary, tableId, uniqueKeyTable, verifyRun,
  type TableModel, type WorkloadRun,
  failureReport,
} from '../helpers/oracle';
import type { ServerInfo } from '../helpers/servers/types';

const seed = oracleSeed();
const transactions = oracleTransactions(250);
console.log(`oracle: seed ${seed}, ${transactions} transactions (CHRONICLE_ORACLE_SEED=${seed} replays it)`);

/** A small table for directed cases, with values to_jsonb alone would not keep. */
async function directedTable(client: Client, schema: string): Promise<TableModel> {
  await createSchema(client, schema);
  await client.query(`CREATE TYPE "${schema}".pair AS (a integer, f double precision, arr integer[])`);
  const model = await createTable(client, {
    schema, name: 't', key: ['id'], logNewData: true,
    columns: [
      intKey('id'), col('v', 'text'), col('n', 'numeric'), col('f', 'double precision'), col('a', 'integer[]'),
      col('fa', 'double precision[]'), col('p', `"${schema}".pair`, { value: () => 'NULL' }), col('j', 'json'), col('jb', 'jsonb'),
    ],
  });
  // a baseline with rows, so that replay has a start
  await client.query(`INSERT INTO "${schema}".t (id, v, n) VALUES (1, 'one', 1.50), (2, 'two', 2.0), (3, 'three', NULL)`);
  await audit(client, model, { baseline: true });
  return model;
}

describe.each(testServers().map((s) => [s.name, s] as const))('%s', (_name, server: ServerInfo) => {
  const database = databaseNameFor(__filename);
  let client: Client;

  beforeAll(async () => {
    await createDatabase(server, database);
    client = await connectTo(server, database);
    await client.query('CREATE EXTENSION chronicle');
    await installOracleSupport(client);
  });

  afterAll(async () => {
    await client.end();
    await dropDatabase(server, database);
  });

  describe('the oracle reports every way of spoiling the log', () => {
    let model: TableModel;
    let run: WorkloadRun;
    let id: number;

    beforeAll(async () => {
      await createSchema(client, 'oracle_self');
      model = await createTable(client, {
        schema: 'oracle_self', name: 'items', key: ['id'], integerKey: true, logNewData: true,
        columns: [intKey('id'), col('v', 'text'), col('n', 'numeric'), col('at', 'timestamptz')],
      });
      await client.query(`INSERT INTO oracle_self.items VALUES (1, 'a', 1.50, '2020-01-01 00:00+00'), (2, 'b', NULL, NULL)`);
      model.nextKey = 3;
      await audit(client, model, { baseline: true });
      run = await runWorkload({
        client, major: server.major, seed, transactions: 12, tables: [model], rollback: 0,
        weights: { truncate: 0, cteReinsert: 0, replaceFunction: 0, insert: 20, update: 30, updateKey: 10, delete: 15 },
      });
      // the last transaction: one row changed in each way the cases below spoil
      const more = await runScript(client, [model], [[
        `INSERT INTO oracle_self.items VALUES (900001, 'x', 2.50, '2021-01-01 00:00+00'), (900002, 'y', 3.25, NULL), (900003, 'z', 4.125, NULL)`,
      ], [
        `UPDATE oracle_self.items SET v = 'x2' WHERE id = 900001`,
        `DELETE FROM oracle_self.items WHERE id = 900002`,
      ]], 'final transaction');
      run.snapshots.get(model)?.push(...(more.snapshots.get(model) ?? []).slice(1));
      run.history.push(...more.history);
      run.failures.push(...more.failures);
      id = await tableId(client, model);
    });

    it(`rebuilds every state of the untouched log (seed ${seed})`, async () => {
      expect(failureReport(seed, run, await verifyRun(client, run))).toBe('');
    });

    const newest = (operation: string, where = 'true') => `(SELECT r.ctid FROM chronicle.row_log AS r JOIN chronicle.table_event_log AS e ON e.id = r.event_id
      WHERE r.table_id = $1 AND e.operation = '${operation}' AND ${where} ORDER BY r.event_id DESC LIMIT 1)`;
    const cases: [string, string, RegExp][] = [
      ['a missing UPDATE entry', `DELETE FROM chronicle.row_log WHERE ctid = ${newest('UPDATE')}`, /undo to the state after .*differs|replay/],
      ['a wrong old value', `UPDATE chronicle.row_log SET old_data = old_data || '{"v": "tampered"}' WHERE ctid = ${newest('UPDATE', `r.old_data ? 'v'`)}`, /undo to the state after .* v: table/],
      ['numeric scale changed (2.50 -> 2.500)', `UPDATE chronicle.row_log SET new_data = new_data || '{"n": 2.500}' WHERE ctid = ${newest('INSERT', `r.row_key = '{"id": 900001}'`)}`, /replay to the state after .* n: table "2.50", rebuilt "2.500"/],
      ['a timestamp one microsecond off', `UPDATE chronicle.row_log SET new_data = new_data || '{"at": "2021-01-01T00:00:00.000001+00:00"}' WHERE ctid = ${newest('INSERT', `r.row_key = '{"id": 900001}'`)}`, /replay to the state after .* at: table/],
      ['an unchanged column in an UPDATE entry', `UPDATE chronicle.row_log SET old_data = old_data || '{"n": 2.50}', new_data = new_data || '{"n": 2.50}' WHERE ctid = ${newest('UPDATE', `r.row_key = '{"id": 900001}'`)}`, /logged columns \["n","v"\], but \["v"\] changed/],
      ['an UPDATE entry for a row that did not change', `WITH e AS (INSERT INTO chronicle.table_event_log (transaction_id, table_id, operation) SELECT max(transaction_id), $1::integer, 'UPDATE' FROM chronicle.table_event_log RETURNING id)
        INSERT INTO chronicle.row_log (event_id, table_id, row_key, old_data, new_data) SELECT e.id, $1::integer, '{"id": 900001}', '{}', '{}' FROM e`, /did not change/],
      ['a column missing from a deleted row', `UPDATE chronicle.row_log SET old_data = old_data - 'at' WHERE ctid = ${newest('DELETE', `r.row_key = '{"id": 900002}'`)}`, /old_data is not the whole logged row \(missing \["at"\]/],
      ['an unknown column in a deleted row', `UPDATE chronicle.row_log SET old_data = old_data || '{"nope": 1}' WHERE ctid = ${newest('DELETE', `r.row_key = '{"id": 900002}'`)}`, /extra \["nope"\]/],
      ['a wrong key on an INSERT entry', `UPDATE chronicle.row_log SET row_key = '{"id": 424242}' WHERE ctid = ${newest('INSERT', `r.row_key = '{"id": 900003}'`)}`, /no such row to remove|new_data has another key/],
      ['a whole DELETE event missing', `WITH d AS (DELETE FROM chronicle.row_log WHERE ctid = ${newest('DELETE', `r.row_key = '{"id": 900002}'`)} RETURNING event_id)
        DELETE FROM chronicle.table_event_log WHERE id IN (SELECT event_id FROM d)`, /row \["900002"\] missing/],
      ['an event with no entry', `INSERT INTO chronicle.table_event_log (transaction_id, table_id, operation) SELECT max(transaction_id), $1::integer, 'DELETE' FROM chronicle.table_event_log`, /has no row_log entry/],
      ['a change made with capture disabled', `SET LOCAL session_replication_role = replica; UPDATE oracle_self.items SET v = 'unlogged' WHERE id = 900001; SELECT $1::integer`, /undo to the state after final transaction 2 .* v: table "x2", rebuilt "unlogged"/],
    ];

    it.each(cases)('reports %s', async (_what, tamper, expected) => {
      await client.query('BEGIN');
      try {
        if (tamper.includes('; ')) {
          // several statements: no parameters in the simple protocol
          await client.query(tamper.replace('$1::integer', String(id)));
        } else {
          await client.query(tamper, [id]);
        }
        const failures = await verifyRun(client, { ...run, failures: [] });
        expect(failures.join('\n')).toMatch(expected);
      } finally {
        await client.query('ROLLBACK');
      }
    });
  });

  it(`undo rebuilds, after each of ${transactions} random transactions over four tables at once, a composite key, a unique key, a deferrable primary key keyed by a unique key instead, and quoted names (replayed too) (seed ${seed})`, async () => {
    await createSchema(client, 'oracle_multi');
    const tables = [
      await compositeKeyTable(client, server.major, 'oracle_multi'),
      await uniqueKeyTable(client, server.major, 'oracle_multi'),
      await deferrablePrimaryKeyTable(client, server.major, 'oracle_multi'),
      await quotedTable(client, server.major, { logNewData: true, baseline: true, prefill: 5, seed }),
    ];
    const run = await runWorkload({ client, major: server.major, seed, transactions, tables, initialRows: 8 });
    console.log(`oracle ${server.name}, four tables: ${summary(run)}`);
    const failures = await verifyRun(client, run);
    expect(failureReport(seed, run, failures)).toBe('');
    // several tables changed in one transaction, and the key permutations happened
    const { rows: [mixed] } = await client.query(`SELECT count(*) AS n FROM (SELECT transaction_id FROM chronicle.table_event_log GROUP BY transaction_id HAVING count(DISTINCT table_id) > 1) AS t`);
    expect(Number(mixed.n)).toBeGreaterThan(0);
  });

  describe('directed cases', () => {
    let model: TableModel;
    const t = 'oracle_directed.t';
    const check = async (run: WorkloadRun) => expect(failureReport(seed, run, await verifyRun(client, run))).toBe('');
    /** how many events each transaction of the run logged for the table (ids are not dense: rolled-back events burn theirs) */
    const eventsOf = async (run: WorkloadRun, table = model) => {
      const snaps = run.snapshots.get(table) ?? [];
      const { events } = await readLog(client, await tableId(client, table));
      return snaps.slice(1).map((s, i) => events.filter((e) => e.id > snaps[i].eventId && e.id <= s.eventId).length);
    };

    beforeAll(async () => {
      model = await directedTable(client, 'oracle_directed');
    });

    it('an UPDATE to the same values, an ON CONFLICT DO UPDATE to the same values, and a statement changing no row log nothing', async () => {
      const u = await createTable(client, {
        schema: 'oracle_directed', name: 'u', key: ['id'], logNewData: true,
        columns: [intKey('id'), col('v', 'text'), col('n', 'numeric'), col('f', 'double precision')],
      });
      await client.query(`INSERT INTO oracle_directed.u VALUES (1, 'one', 1.50, NULL), (2, NULL, NULL, NULL)`);
      await audit(client, u, { baseline: true });
      const run = await runScript(client, [u], [
        [`UPDATE oracle_directed.u SET f = '-0' WHERE id = 1`],
        [`UPDATE oracle_directed.u SET v = v, n = n, f = f`],
        [`INSERT INTO oracle_directed.u VALUES (1, 'one', 1.50, '-0'), (2, NULL, NULL, NULL) ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v, n = EXCLUDED.n, f = EXCLUDED.f`],
        [`INSERT INTO oracle_directed.u VALUES (1, 'other', 0, 0) ON CONFLICT (id) DO NOTHING`],
        [`UPDATE oracle_directed.u SET v = 'never' WHERE false`, `DELETE FROM oracle_directed.u WHERE id < 0`],
        [`UPDATE oracle_directed.u SET n = 1.500 WHERE id = 1`], // the same number, another scale: a change
        [`UPDATE oracle_directed.u SET f = 0 WHERE id = 1`], // 0 after -0: a change
      ]);
      await check(run);
      expect(await eventsOf(run, u)).toEqual([1, 0, 0, 0, 0, 1, 1]);
    });

    it('one UPDATE shifting keys 4 -> 5 -> 6 (possible with an immediate key when the rows are updated in this order) is one event, undone and replayed as a set; id + 1000 moves too', async () => {
      const run = await runScript(client, [model], [
        [`INSERT INTO ${t} (id, v) VALUES (5, 'five'), (4, 'four')`],
        // a sequential scan updates 5 first (it was inserted first), so 4 -> 5 finds 5 already gone
        ['SET LOCAL enable_indexscan = off', 'SET LOCAL enable_bitmapscan = off', `UPDATE ${t} SET id = id + 1 WHERE id IN (4, 5)`],
        [`UPDATE ${t} SET id = id + 1000 WHERE id IN (5, 6)`, `UPDATE ${t} SET id = id - 1000, v = 'back' WHERE id > 1000`],
      ]);
      await check(run);
      expect(await eventsOf(run)).toEqual([1, 1, 2]);
      const { events } = await readLog(client, await tableId(client, model));
      const shift = events.find((e) => e.operation === 'UPDATE' && e.entries.some((x) => x.rowKey.id === '6' && x.oldData?.id === '5'));
      expect(shift?.entries.map((x) => [x.rowKey.id, x.oldData?.id])).toEqual([['5', '4'], ['6', '5']]);
      await client.query(`DELETE FROM ${t} WHERE id IN (5, 6)`);
    });

    it('a row changed by several statements of one transaction, a savepoint rolled back after writes, a failed statement, and a rolled-back transaction', async () => {
      const run = await runScript(client, [model], [
        [`UPDATE ${t} SET v = 'a' WHERE id = 1`, `UPDATE ${t} SET v = 'b', n = 7 WHERE id = 1`, `UPDATE ${t} SET id = 100 WHERE id = 1`, `UPDATE ${t} SET v = NULL WHERE id = 100`],
        [`SAVEPOINT s`, `UPDATE ${t} SET v = 'gone' WHERE id = 2`, `DELETE FROM ${t} WHERE id = 3`, `ROLLBACK TO SAVEPOINT s`, `UPDATE ${t} SET v = 'kept' WHERE id = 2`],
        [`SAVEPOINT s`, `INSERT INTO ${t} (id, v) VALUES (50, 'fifty')`, `ROLLBACK TO SAVEPOINT s`],
        [`UPDATE ${t} SET v = 'rolled back' WHERE id = 2`, `DELETE FROM ${t}`, 'ROLLBACK'],
      ]);
      await check(run);
      expect(await eventsOf(run)).toEqual([4, 1, 0, 0]);
    });

    it('TRUNCATE logs every row before it goes, also two tables in one statement; undo puts them back', async () => {
      const other = await createTable(client, { schema: 'oracle_directed', name: 'other', key: ['k'], columns: [intKey('k'), col('f', 'real')] });
      await audit(client, other);
      const run = await runScript(client, [model, other], [
        [`INSERT INTO oracle_directed.other VALUES (1, '-0'), (2, 'NaN'), (3, NULL)`, `UPDATE ${t} SET f = '-0', a = '[0:1]={1,2}' WHERE id = 2`],
        [`TRUNCATE ${t}, oracle_directed.other`],
        [`INSERT INTO ${t} (id, v) VALUES (1, 'again')`, `TRUNCATE ${t}`, `INSERT INTO ${t} (id, v) VALUES (1, 'and again')`],
      ]);
      await check(run);
      const { events } = await readLog(client, await tableId(client, other));
      const truncated = events.find((e) => e.operation === 'TRUNCATE');
      expect(truncated?.entries.map((e) => [e.rowKey.k, e.oldData?.f])).toEqual([['1', '"-0"'], ['2', '"NaN"'], ['3', 'null']]);
    });

    it('every operation, TRUNCATE too, on a table whose schema, table and column names hold %, quotes, spaces, dots and unicode', async () => {
      const quoted = await quotedTable(client, server.major, { logNewData: true }, 'Trunc "%s" ä');
      const t = '"Ünïcode ""Schema"" ✓ %s"."Trunc ""%s"" ä"';
      const run = await runScript(client, [quoted], [
        [`INSERT INTO ${t} ("Key Col %s", "pct %1$s %%", "with.dot", "r") VALUES (1, '-0', '{"a": 1}', '2020-02-29'), (2, 1.5, NULL, NULL)`],
        [`UPDATE ${t} SET "pct %1$s %%" = 0, "Key Col %s" = 10 WHERE "Key Col %s" = 1`, `DELETE FROM ${t} WHERE "Key Col %s" = 2`],
        [`INSERT INTO ${t} ("Key Col %s", "pct %1$s %%") VALUES (3, '-0')`, `TRUNCATE ${t}`],
      ]);
      expect(failureReport(seed, run, await verifyRun(client, run, () => ({ replayFromEmpty: true })))).toBe('');
      const { events } = await readLog(client, await tableId(client, quoted));
      expect(events.map((e) => e.operation)).toEqual(['INSERT', 'UPDATE', 'DELETE', 'INSERT', 'TRUNCATE']);
      expect(events[4].entries.map((x) => [x.rowKey['Key Col %s'], x.oldData?.['pct %1$s %%']])).toEqual([['3', '"-0"'], ['10', '0']]);
    });

    it('writes through a view, a SQL function (DELETE then INSERT of the same key in one call) and a writable CTE are logged against the table, in order', async () => {
      await client.query(`CREATE VIEW oracle_directed.v AS SELECT * FROM ${t}`);
      await client.query(`CREATE FUNCTION oracle_directed.replace(p_id integer, p_v text) RETURNS void LANGUAGE sql AS $$
        DELETE FROM oracle_directed.t WHERE id = p_id; INSERT INTO oracle_directed.t (id, v) VALUES (p_id, p_v) $$`);
      const run = await runScript(client, [model], [
        [`INSERT INTO oracle_directed.v (id, v) VALUES (20, 'view')`, `UPDATE oracle_directed.v SET v = 'view 2' WHERE id = 20`],
        [`SELECT oracle_directed.replace(20, 'function')`],
        [`WITH d AS (DELETE FROM ${t} WHERE id = 20 RETURNING *) INSERT INTO ${t} (id, v, n) SELECT id, v || ' cte', 9 FROM d`],
      ]);
      await check(run);
      const { events } = await readLog(client, await tableId(client, model));
      expect(events.slice(-5).map((e) => e.operation)).toEqual(['UPDATE', 'DELETE', 'INSERT', 'DELETE', 'INSERT']);
    });

    it('float -0, arrays with lower bounds other than 1, and composites holding them are logged as text and rebuilt exactly', async () => {
      const run = await runScript(client, [model], [
        [`INSERT INTO ${t} (id, f, a, fa, p) VALUES (30, '-0', '[0:1]={5,6}', '{0,-0}', '(1,-0,"[2:2]={7}")'), (31, 0, '{5,6}', '{0,0}', '(1,0,{7})')`],
        [`UPDATE ${t} SET f = 0, a = '{5,6}', fa = '{0,0}', p = '(1,0,{7})' WHERE id = 30`, `UPDATE ${t} SET f = '-0', a = '[-1:0][3:3]={{5},{6}}', fa = '{-0}', p = '(1,-0,)' WHERE id = 31`],
        [`DELETE FROM ${t} WHERE id IN (30, 31)`],
      ]);
      await check(run);
      const { events } = await readLog(client, await tableId(client, model));
      const update = events.filter((e) => e.operation === 'UPDATE').slice(-2);
      expect(update[0].entries[0].oldData).toEqual({ f: '"-0"', a: '"[0:1]={5,6}"', fa: '"{0,-0}"', p: '"(1,-0,[2:2]={7})"' });
      expect(update[1].entries[0].newData).toEqual({ f: '"-0"', a: '"[-1:0][3:3]={{5},{6}}"', fa: '"{-0}"', p: '"(1,-0,)"' });
      expect(update[1].entries[0].oldData).toEqual({ f: '0', a: '[5, 6]', fa: '[0, 0]', p: '{"a": 1, "f": 0, "arr": [7]}' });
    });

    if (server.major >= 15) {
      it('MERGE (PostgreSQL 15+) logs one event per kind of action: update, key move, delete, insert and DO NOTHING in one statement', async () => {
        await client.query(`DELETE FROM ${t} WHERE id BETWEEN 60 AND 64 OR id = 161`);
        await client.query(`INSERT INTO ${t} (id, v) VALUES (60, 'a'), (61, 'b'), (62, 'c'), (63, 'd')`);
        const run = await runScript(client, [model], [[
          `MERGE INTO ${t} AS t USING (VALUES (60, 'u', 60), (61, 'm', 161), (62, 'd', 62), (63, 'n', 63), (64, 'i', 64)) AS s(id, op, new_id) ON t.id = s.id
           WHEN MATCHED AND s.op = 'd' THEN DELETE
           WHEN MATCHED AND s.op = 'n' THEN DO NOTHING
           WHEN MATCHED THEN UPDATE SET id = s.new_id, v = t.v || '+'
           WHEN NOT MATCHED THEN INSERT (id, v) VALUES (s.id, 'new')`,
        ]]);
        await check(run);
        const { events } = await readLog(client, await tableId(client, model));
        expect(events.slice(-3).map((e) => [e.operation, e.entries.length]).sort()).toEqual([['DELETE', 1], ['INSERT', 1], ['UPDATE', 2]]);
      });
    }

    it('a table whose primary key is deferrable is keyed by its unique key instead: while a transaction holds two rows with one primary key, the log still names each row', async () => {
      const deferred = await createTable(client, {
        schema: 'oracle_directed', name: 'deferred', key: ['code'], keyKind: 'unique', logNewData: true,
        columns: [col('id', 'integer', { nullable: false }), col('code', 'text', { nullable: false }), col('v', 'text')],
        constraints: ['PRIMARY KEY (id) DEFERRABLE INITIALLY IMMEDIATE'],
      });
      await client.query(`INSERT INTO oracle_directed.deferred VALUES (1, 'a', 'old')`);
      await audit(client, deferred, { baseline: true });
      const { rows: [audited] } = await client.query(`SELECT key_columns::text[] AS key FROM chronicle.audited_tables WHERE audited_table = 'oracle_directed.deferred'::regclass`);
      expect(audited.key).toEqual(['code']);
      const run = await runScript(client, [deferred], [
        // between these statements the table holds two rows with primary key 1; at commit it is unique again
        ['SET CONSTRAINTS ALL DEFERRED', `INSERT INTO oracle_directed.deferred VALUES (1, 'b', 'new')`, `UPDATE oracle_directed.deferred SET id = 2 WHERE code = 'a'`],
      ]);
      expect(failureReport(seed, run, await verifyRun(client, run))).toBe('');
      const { rows } = await client.query('SELECT id, code, v FROM oracle_directed.deferred ORDER BY id');
      expect(rows).toEqual([{ id: 1, code: 'b', v: 'new' }, { id: 2, code: 'a', v: 'old' }]);
    });

    it('cannot tell JSON null from SQL NULL in json and jsonb columns: both are logged as JSON null, which jsonb_populate_record reads back as SQL NULL (a limit of the log format)', async () => {
      const run = await runScript(client, [model], [
        [`INSERT INTO ${t} (id, j, jb) VALUES (70, 'null', 'null'), (71, NULL, NULL)`],
        [`UPDATE ${t} SET j = NULL, jb = NULL WHERE id = 70`, `UPDATE ${t} SET j = 'null', jb = 'null' WHERE id = 71`],
      ]);
      const { events } = await readLog(client, await tableId(client, model));
      const update = events.slice(-2);
      // both changes are seen, but old and new values are the same JSON
      expect(update.map((e) => [e.entries[0].oldData, e.entries[0].newData])).toEqual([
        [{ j: 'null', jb: 'null' }, { j: 'null', jb: 'null' }],
        [{ j: 'null', jb: 'null' }, { j: 'null', jb: 'null' }],
      ]);
      const failures = (await verifyRun(client, run)).join('\n');
      expect(failures).toMatch(/row \["70"\] differs in j: table "null", rebuilt null; jb: table "null", rebuilt null/);
      await client.query(`DELETE FROM ${t} WHERE id IN (70, 71)`);
    });

    it('keeps the JSON value of a json column, not its spelling: undo rebuilds it as jsonb writes it', async () => {
      await client.query(`INSERT INTO ${t} (id, j) VALUES (80, '{"b": 1,  "a": [1, 2], "a": 3}')`);
      await client.query(`UPDATE ${t} SET j = '[]' WHERE id = 80`);
      const { events } = await readLog(client, await tableId(client, model));
      expect(events[events.length - 1].entries[0].oldData).toEqual({ j: '{"a": 3, "b": 1}' });
      const { rows: [back] } = await client.query(`SELECT (jsonb_populate_record(NULL::${t}, '{"j": {"a": 3, "b": 1}}')).j::text AS j`);
      expect(back.j).toBe('{"a": 3, "b": 1}');
    });
  });
});
