/**
 * DDL capture oracle (issue 4): a seeded random workload mixing DML with each DDL form (ADD
 * COLUMN with default, DROP COLUMN, RENAME COLUMN, ALTER COLUMN TYPE with USING, SET/DROP
 * DEFAULT, SET/DROP NOT NULL, RENAME TABLE, SET SCHEMA, a primary key change, DETACH and ATTACH
 * PARTITION, then DROP TABLE and DROP SCHEMA ... CASCADE). After each transaction the logged
 * structure must equal the catalog; at the end, undoing the log newest first from the current
 * tables must rebuild every snapshot, dropped columns and tables included.
 *
 * The seed is printed; CHRONICLE_ORACLE_SEED replays it, CHRONICLE_ORACLE_TRANSACTIONS scales it.
 */
import type { Client } from 'pg';
import { connectTo, createDatabase, databaseNameFor, dropDatabase, testServers } from '../helpers/database';
import { oracleSeed, oracleTransactions } from '../helpers/oracle/random';
import { snapshot, structureDifferences, trackTable, verifyDdlLog, type TrackedTable } from '../helpers/oracle/ddl';
import type { ServerInfo } from '../helpers/servers/types';
import { runDdlWorkload } from './workload';

const seed = oracleSeed();
const transactions = oracleTransactions(60);
console.log(`ddl oracle: seed ${seed}, ${transactions} transactions (CHRONICLE_ORACLE_SEED=${seed} replays it)`);

describe.each(testServers().map((s) => [s.name, s] as const))('%s', (_name, server: ServerInfo) => {
  const database = databaseNameFor(__filename);
  let client: Client;

  beforeAll(async () => {
    await createDatabase(server, database);
    client = await connectTo(server, database);
    await client.query('CREATE EXTENSION chronicle');
  });

  afterAll(async () => {
    await client.end();
    await dropDatabase(server, database);
  });

  it(`undo rebuilds every state of ${transactions} random transactions of DML and DDL, dropped columns and tables included (seed ${seed})`, async () => {
    const run = await runDdlWorkload(client, seed, transactions, server.major);
    const failures = [...run.failures];
    // after a failed transaction the model may not match the tables: report the failure alone
    if (failures.length === 0) for (const table of run.tables) failures.push(...await verifyDdlLog(client, table));
    const report = failures.length === 0 ? '' : `seed ${seed}\n${failures.join('\n')}\n--- history ---\n${run.history.join('\n')}`;
    expect(report).toBe('');
    console.log(`ddl oracle ${server.name}: ${[...run.operations].map(([op, n]) => `${op} ${n}`).join(', ')}`);
    // the workload reached the DDL forms it is meant to cover
    for (const op of ['ADD COLUMN', 'DROP COLUMN', 'RENAME COLUMN', 'ALTER COLUMN TYPE', 'DROP TABLE', 'BASELINE']) expect(run.operations.get(op) ?? 0).toBeGreaterThan(0);
  });

  describe('directed history, and the oracle reports each way of spoiling it', () => {
    let table: TrackedTable;

    beforeAll(async () => {
      await client.query(`CREATE SCHEMA directed;
        CREATE TABLE directed.t (id integer PRIMARY KEY, a text, b integer, c numeric(6,2));
        INSERT INTO directed.t VALUES (1, 'one', 10, 1.50), (2, 'two', NULL, 2.25);
        SELECT chronicle.create_table_audit('directed.t')`);
      table = await trackTable(client, 'directed.t', 'directed.t');
      const steps = [
        `ALTER TABLE directed.t ADD COLUMN d integer DEFAULT 4`,
        `UPDATE directed.t SET d = 5 WHERE id = 1`,
        `ALTER TABLE directed.t DROP COLUMN a`,
        `ALTER TABLE directed.t RENAME COLUMN b TO "B b"`,
        `ALTER TABLE directed.t ALTER COLUMN c TYPE integer USING round(c * 10)`,
        `INSERT INTO directed.t VALUES (3, 7, 8, 9)`,
        `ALTER TABLE directed.t RENAME TO u`,
      ];
      for (const [i, sql] of steps.entries()) {
        await client.query(sql);
        if (sql.includes('RENAME TO u')) table.relation = 'directed.u';
        await snapshot(client, [table], `step ${i + 1}`);
        expect(await structureDifferences(client)).toEqual([]);
      }
    });

    it('rebuilds every state', async () => {
      expect(await verifyDdlLog(client, table)).toEqual([]);
      const { rows } = await client.query(`SELECT operation FROM chronicle.table_event_log WHERE table_id = $1 ORDER BY id`, [table.tableId]);
      expect(rows.map((r) => r.operation)).toEqual(['ADD COLUMN', 'UPDATE', 'DROP COLUMN', 'RENAME COLUMN', 'ALTER COLUMN TYPE', 'INSERT', 'RENAME TABLE']);
    });

    const event = (operation: string) => `(SELECT id FROM chronicle.table_event_log WHERE table_id = $1 AND operation = '${operation}')`;
    const cases: [string, string, RegExp][] = [
      ['the values of a dropped column missing', `DELETE FROM chronicle.row_log WHERE event_id = ${event('DROP COLUMN')} AND row_key = '{"id": 2}'`, /values logged for 1 of 2 rows/],
      ['a wrong old value of a retyped column', `UPDATE chronicle.row_log SET old_data = '{"c": 1.51}' WHERE event_id = ${event('ALTER COLUMN TYPE')} AND row_key = '{"id": 1}'`, /after step 4 .*not rebuilt \["\(1,10,1.50,5\)"\]/],
      ['a rename not logged', `DELETE FROM chronicle.table_event_log WHERE id = ${event('RENAME COLUMN')}`, /after step 3 .*columns \["id","b","c","d"\], a rebuilt row has/],
      ['an added column not logged', `DELETE FROM chronicle.table_event_log WHERE id = ${event('ADD COLUMN')}`, /audit start .*a rebuilt row has/],
    ];
    it.each(cases)('reports %s', async (_what, tamper, expected) => {
      await client.query('BEGIN');
      try {
        await client.query(tamper, [table.tableId]);
        expect((await verifyDdlLog(client, table)).join('\n')).toMatch(expected);
      } finally {
        await client.query('ROLLBACK');
      }
    });
  });
});
