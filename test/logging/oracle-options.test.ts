/**
 * Change-log oracle (issue 3), audit options: with excluded columns, undo and replay rebuild
 * every other column after every transaction, and a change to excluded columns only logs
 * nothing; with log_old_data => false and log_new_data => true, replaying forward from the
 * baseline rebuilds the table, key changes included (the old key is the one old value logged).
 * The seed is printed; CHRONICLE_ORACLE_SEED replays it.
 */
import type { Client } from 'pg';
import { connectTo, createDatabase, databaseNameFor, dropDatabase, testServers } from '../helpers/database';
import {
  addReplaceFunction, addView, audit, col, compositeKeyTable, createSchema, createTable, installOracleSupport, intKey, oracleSeed,
  oracleTransactions, prefill, readLog, runScript, runWorkload, summary, tableId, verifyRun, wideBytea, type TableModel,
  failureReport,
} from '../helpers/oracle';
import type { ServerInfo } from '../helpers/servers/types';

const seed = oracleSeed();
const transactions = oracleTransactions(150);
console.log(`oracle-options: seed ${seed}, ${transactions} transactions (CHRONICLE_ORACLE_SEED=${seed} replays it)`);

/** id, name, n, f logged; secret and blob (sometimes 100 kB+) excluded */
async function excludedTable(client: Client, major: number, schema: string, name: string, rows = 0, before?: string): Promise<TableModel> {
  await createSchema(client, schema);
  const model = await createTable(client, {
    schema, name, key: ['id'], integerKey: true, excluded: ['secret', 'blob'], logNewData: true,
    columns: [
      intKey('id'), col('name', 'text'), col('secret', 'text'),
      col('blob', 'bytea', { wide: true, value: (r) => (r.chance(0.3) ? wideBytea(r) : `'\\x${r.int(0, 1e6).toString(16).padStart(6, '0')}'::bytea`) }),
      col('n', 'numeric'), col('f', 'double precision'),
    ],
  });
  await addView(client, model, `${name}_view`, major);
  await addReplaceFunction(client, model, `${name}_replace`);
  if (rows > 0) await prefill(client, model, major, seed, rows);
  if (before) await client.query(before);
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

  it(`with excluded columns, undo and replay rebuild every other column after each of ${transactions} random transactions, and changes to excluded columns only log nothing (seed ${seed})`, async () => {
    const model = await excludedTable(client, server.major, 'oracle_excluded', 'accounts', 6);
    const run = await runWorkload({ client, major: server.major, seed, transactions, tables: [model], initialRows: 10 });
    console.log(`oracle-options ${server.name}, excluded columns: ${summary(run)}`);
    expect(failureReport(seed, run, await verifyRun(client, run))).toBe('');
    const { rows: [logged] } = await client.query(
      `SELECT count(*) AS n FROM chronicle.row_log WHERE table_id = $1 AND (old_data ?| ARRAY['secret', 'blob'] OR new_data ?| ARRAY['secret', 'blob'])`,
      [await tableId(client, model)],
    );
    expect(Number(logged.n)).toBe(0);
  });

  it(`with log_old_data => false and log_new_data => true, replay from the baseline rebuilds two tables (one with a composite key, either part of which changes) after each of ${transactions} random transactions (seed ${seed})`, async () => {
    await createSchema(client, 'oracle_new_only');
    const simple = await createTable(client, {
      schema: 'oracle_new_only', name: 'simple', key: ['id'], integerKey: true, logOldData: false, logNewData: true,
      columns: [intKey('id'), col('v', 'text'), col('n', 'numeric'), col('a', 'integer[]'), col('f', 'real')],
    });
    await addView(client, simple, 'simple_view', server.major);
    await prefill(client, simple, server.major, seed, 5);
    await audit(client, simple, { baseline: true });
    const composite = await compositeKeyTable(client, server.major, 'oracle_new_only', { logOldData: false, logNewData: true, baseline: true, prefill: 5, seed });
    const run = await runWorkload({ client, major: server.major, seed, transactions, tables: [simple, composite], initialRows: 8, weights: { updateKey: 20 } });
    console.log(`oracle-options ${server.name}, new data only: ${summary(run)}`);
    expect(failureReport(seed, run, await verifyRun(client, run))).toBe('');
    // key changes happened, and left their old key as the only old data
    const { events } = await readLog(client, await tableId(client, composite));
    const moves = events.flatMap((e) => e.entries.filter((x) => x.oldData !== null));
    expect(moves.length).toBeGreaterThan(0);
    expect(moves.every((x) => Object.keys(x.oldData ?? {}).every((k) => k === 'a' || k === 'b'))).toBe(true);
  });

  describe('directed cases', () => {
    it('an UPDATE of excluded columns only logs nothing; one of excluded and logged columns logs the logged ones only; INSERT, DELETE and TRUNCATE leave them out', async () => {
      const t = 'oracle_excluded_directed.accounts';
      const model = await excludedTable(client, server.major, 'oracle_excluded_directed', 'accounts', 0,
        `INSERT INTO ${t} (id, name, secret, blob, n) VALUES (1, 'one', 's1', '\\x01', 1), (2, 'two', 's2', NULL, 2)`);
      const run = await runScript(client, [model], [
        [`INSERT INTO ${t} (id, name, secret, blob, n) VALUES (3, 'three', 's3', '\\x03', 3)`],
        [`UPDATE ${t} SET secret = 'changed' WHERE id = 1`, `UPDATE ${t} SET blob = '\\xff', secret = NULL`],
        [`UPDATE ${t} SET secret = 'again', name = 'ONE' WHERE id = 1`],
        [`DELETE FROM ${t} WHERE id = 2`],
        [`TRUNCATE ${t}`],
      ]);
      expect(failureReport(seed, run, await verifyRun(client, run))).toBe('');
      const { events } = await readLog(client, await tableId(client, model));
      expect(events.map((e) => [e.operation, e.entries.map((x) => [x.oldData, x.newData])])).toEqual([
        ['BASELINE', [
          [null, { id: '1', name: '"one"', n: '1', f: 'null' }],
          [null, { id: '2', name: '"two"', n: '2', f: 'null' }],
        ]],
        ['INSERT', [[null, { id: '3', name: '"three"', n: '3', f: 'null' }]]],
        ['UPDATE', [[{ name: '"one"' }, { name: '"ONE"' }]]],
        ['DELETE', [[{ id: '2', name: '"two"', n: '2', f: 'null' }, null]]],
        ['TRUNCATE', [[{ id: '1', name: '"ONE"', n: '1', f: 'null' }, null], [{ id: '3', name: '"three"', n: '3', f: 'null' }, null]]],
      ]);
    });

    it('without old data: an UPDATE changing the key logs the old key as its only old data, other UPDATEs, DELETE and TRUNCATE log none, one changing nothing logs nothing, and replay follows the key', async () => {
      await createSchema(client, 'oracle_new_only_directed');
      const model = await createTable(client, {
        schema: 'oracle_new_only_directed', name: 'pairs', key: ['a', 'b'], logOldData: false, logNewData: true,
        columns: [intKey('a'), col('b', 'text', { nullable: false }), col('v', 'text')],
      });
      const t = 'oracle_new_only_directed.pairs';
      await client.query(`INSERT INTO ${t} VALUES (1, 'x', 'first'), (2, 'y', 'second')`);
      await audit(client, model, { baseline: true });
      const run = await runScript(client, [model], [
        // the last one changes nothing: no entry, no event (the single-row path tests the new data)
        [`UPDATE ${t} SET b = 'x2' WHERE a = 1`, `UPDATE ${t} SET v = 'changed' WHERE a = 1`, `UPDATE ${t} SET v = v WHERE a = 1`],
        [`UPDATE ${t} SET a = 20, b = 'y2', v = 'moved' WHERE a = 2`],
        [`DELETE FROM ${t} WHERE a = 1`, `INSERT INTO ${t} VALUES (1, 'x', 'back')`],
        [`TRUNCATE ${t}`],
      ]);
      expect(failureReport(seed, run, await verifyRun(client, run))).toBe('');
      const { events } = await readLog(client, await tableId(client, model));
      expect(events.slice(1).map((e) => [e.operation, e.entries.map((x) => [x.rowKey, x.oldData, x.newData])])).toEqual([
        ['UPDATE', [[{ a: '1', b: '"x2"' }, { a: '1', b: '"x"' }, { b: '"x2"' }]]],
        ['UPDATE', [[{ a: '1', b: '"x2"' }, null, { v: '"changed"' }]]],
        ['UPDATE', [[{ a: '20', b: '"y2"' }, { a: '2', b: '"y"' }, { a: '20', b: '"y2"', v: '"moved"' }]]],
        ['DELETE', [[{ a: '1', b: '"x2"' }, null, null]]],
        ['INSERT', [[{ a: '1', b: '"x"' }, null, { a: '1', b: '"x"', v: '"back"' }]]],
        ['TRUNCATE', [[{ a: '1', b: '"x"' }, null, null], [{ a: '20', b: '"y2"' }, null, null]]],
      ]);
    });
  });
});
