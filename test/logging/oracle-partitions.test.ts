/**
 * Change-log oracle (issue 3), partitioned tables audited at the root: statements name the
 * root, a partition (one whose columns are in another order and which has a dropped column),
 * the sub-partitioned level or its leaves, or a view; UPDATEs move rows between partitions and
 * between sub-partitions; TRUNCATE empties one partition or the whole table. Undoing the log
 * from the current rows, and replaying it from the baseline, must rebuild the table after every
 * transaction. The seed is printed; CHRONICLE_ORACLE_SEED replays it.
 */
import type { Client } from 'pg';
import { connectTo, createDatabase, databaseNameFor, dropDatabase, testServers } from '../helpers/database';
import {
  createSchema, installOracleSupport, oracleSeed, oracleTransactions, partitionedTable, readLog, runScript, runWorkload, summary,
  tableId, verifyRun, type TableModel, type WorkloadRun,
  failureReport,
} from '../helpers/oracle';
import type { ServerInfo } from '../helpers/servers/types';

const seed = oracleSeed();
const transactions = oracleTransactions(300);
console.log(`oracle-partitions: seed ${seed}, ${transactions} transactions (CHRONICLE_ORACLE_SEED=${seed} replays it)`);

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

  it(`undo and replay rebuild a partitioned table after each of ${transactions} random transactions naming the root, its partitions, a sub-partitioned level and a view, with rows moving between partitions (seed ${seed})`, async () => {
    const model = await partitionedTable(client, server.major, 'oracle_parted', { logNewData: true, baseline: true, prefill: 10, seed });
    const run = await runWorkload({
      client, major: server.major, seed, transactions, tables: [model], initialRows: 10,
      weights: { updateKey: 18, truncate: 3 },
      targetWeight: (t) => (t.kind === 'table' ? 4 : 1),
    });
    console.log(`oracle-partitions ${server.name}: ${summary(run)}`);
    expect(failureReport(seed, run, await verifyRun(client, run))).toBe('');
    // rows did move between partitions: UPDATE entries whose old data holds another region
    const { events } = await readLog(client, await tableId(client, model));
    expect(events.some((e) => e.operation === 'UPDATE' && e.entries.some((x) => x.oldData !== null && 'region' in x.oldData))).toBe(true);
  });

  describe('directed cases', () => {
    let model: TableModel;
    const q = (name: string) => `oracle_parted_directed.${name}`;
    const check = async (run: WorkloadRun) => expect(failureReport(seed, run, await verifyRun(client, run))).toBe('');
    const lastEvents = async (n: number) => (await readLog(client, await tableId(client, model))).events.slice(-n);

    beforeAll(async () => {
      await createSchema(client, 'oracle_parted_directed');
      model = await partitionedTable(client, server.major, 'oracle_parted_directed', { logNewData: true });
      await client.query(`INSERT INTO ${q('parted')} (id, region, sub, payload, amount) VALUES
        (1, 1, 5, 'one', 1.50), (2, 2, 5, 'two', 2.50), (3, 3, 10, 'three low', 3.50), (4, 3, 60, 'four high', 4.50), (5, 2, 7, 'five', NULL)`);
      await client.query(`SELECT chronicle.log_table_baseline('${q('parted')}')`);
    });

    it('an UPDATE naming a partition whose columns are in another order (created apart, with a dropped column, then attached) logs the right key and columns', async () => {
      const run = await runScript(client, [model], [
        [`UPDATE ${q('parted_2')} SET payload = 'TWO', amount = 22 WHERE id = 2`],
        [`UPDATE ${q('parted_2')} SET id = 20 WHERE id = 5`],
      ]);
      await check(run);
      const [payload, key] = await lastEvents(2);
      expect(payload.entries).toEqual([{ rowKey: { id: '2', region: '2', sub: '5' }, oldData: { payload: '"two"', amount: '2.50' }, newData: { payload: '"TWO"', amount: '22' } }]);
      expect(key.entries).toEqual([{ rowKey: { id: '20', region: '2', sub: '7' }, oldData: { id: '5' }, newData: { id: '20' } }]);
    });

    it('an UPDATE through the root moving rows to other partitions, and one through the sub-partitioned level moving a row between its leaves, each log one UPDATE of each row', async () => {
      const run = await runScript(client, [model], [
        [`UPDATE ${q('parted')} SET region = CASE id WHEN 1 THEN 2 WHEN 2 THEN 3 END, payload = payload || ' moved' WHERE id IN (1, 2)`],
        [`UPDATE ${q('parted_3')} SET sub = 75 WHERE id = 3`],
      ]);
      await check(run);
      const [moves, sub] = await lastEvents(2);
      expect(moves.operation).toBe('UPDATE');
      expect(moves.entries.map((e) => [e.rowKey, e.oldData?.region])).toEqual([
        [{ id: '1', region: '2', sub: '5' }, '1'],
        [{ id: '2', region: '3', sub: '5' }, '2'],
      ]);
      expect([sub.operation, sub.entries]).toEqual(['UPDATE', [{ rowKey: { id: '3', region: '3', sub: '75' }, oldData: { sub: '10' }, newData: { sub: '75' } }]]);
      const { rows } = await client.query(`SELECT tableoid::regclass::text AS part FROM ${q('parted')} WHERE id IN (1, 2, 3) ORDER BY id`);
      expect(rows.map((r) => r.part)).toEqual([q('parted_2'), q('parted_3_low'), q('parted_3_high')]);
    });

    it('TRUNCATE of one leaf logs its rows only; TRUNCATE of the root logs the rows of every partition; undo puts them back', async () => {
      const run = await runScript(client, [model], [
        [`TRUNCATE ${q('parted_3_high')}`],
        [`INSERT INTO ${q('parted')} (id, region, sub, payload) VALUES (30, 3, 99, 'high again'), (31, 1, 1, 'one again')`],
        [`TRUNCATE ${q('parted')}`],
      ]);
      await check(run);
      const events = (await readLog(client, await tableId(client, model))).events;
      const truncates = events.filter((e) => e.operation === 'TRUNCATE');
      // parted_3_high held rows 3 (moved there above) and 4
      expect(truncates[0].entries.map((x) => x.rowKey.id).sort()).toEqual(['3', '4']);
      // the root: one event per partition that had rows, together every row the table held
      expect(truncates).toHaveLength(5);
      expect(truncates.slice(1).flatMap((e) => e.entries.map((x) => x.rowKey.id)).sort()).toEqual(['1', '2', '20', '30', '31']);
    });

    it('an UPDATE whose moved row a BEFORE INSERT trigger of the new partition skips fails, since its old and new rows cannot be paired; nothing is logged', async () => {
      await client.query(`INSERT INTO ${q('parted')} (id, region, sub, payload) VALUES (40, 1, 1, 'skip me'), (41, 1, 2, 'move me')`);
      await client.query(`CREATE FUNCTION ${q('skip')}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN CASE WHEN NEW.payload = 'skip me' THEN NULL ELSE NEW END; END $$`);
      await client.query(`CREATE TRIGGER skip BEFORE INSERT ON ${q('parted_2')} FOR EACH ROW EXECUTE FUNCTION ${q('skip')}()`);
      try {
        const before = await lastEvents(1);
        await expect(client.query(`UPDATE ${q('parted')} SET region = 2 WHERE id IN (40, 41)`)).rejects.toThrow(/cannot pair the old and new rows of an UPDATE/);
        expect(await lastEvents(1)).toEqual(before);
        const { rows } = await client.query(`SELECT id, region FROM ${q('parted')} WHERE id IN (40, 41) ORDER BY id`);
        expect(rows).toEqual([{ id: 40, region: 1 }, { id: 41, region: 1 }]);
      } finally {
        await client.query(`DROP TRIGGER skip ON ${q('parted_2')}`);
      }
    });

    if (server.major >= 15) {
      it('MERGE (PostgreSQL 15+) into the root: a row it moves to another partition is logged as a DELETE and an INSERT, since PostgreSQL puts it in those transition tables; a row updated in place as an UPDATE; undo and replay still rebuild the table', async () => {
        await client.query(`INSERT INTO ${q('parted')} (id, region, sub, payload) VALUES (50, 1, 1, 'move'), (51, 2, 2, 'delete'), (53, 1, 3, 'update')`);
        const run = await runScript(client, [model], [[
          `MERGE INTO ${q('parted')} AS t USING (VALUES (50, 'm'), (51, 'd'), (52, 'i'), (53, 'u')) AS s(id, op) ON t.id = s.id
           WHEN MATCHED AND s.op = 'd' THEN DELETE
           WHEN MATCHED AND s.op = 'm' THEN UPDATE SET region = 3, sub = 80
           WHEN MATCHED THEN UPDATE SET payload = 'updated'
           WHEN NOT MATCHED THEN INSERT (id, region, sub, payload) VALUES (s.id, 2, 3, 'inserted')`,
        ]]);
        await check(run);
        const events = await lastEvents(3);
        expect(events.map((e) => [e.operation, e.entries.map((x) => [x.rowKey.id, x.rowKey.region, x.rowKey.sub, x.oldData?.payload ?? null])])).toEqual([
          ['DELETE', [['50', '1', '1', '"move"'], ['51', '2', '2', '"delete"']]],
          ['UPDATE', [['53', '1', '3', '"update"']]],
          ['INSERT', [['50', '3', '80', null], ['52', '2', '3', null]]],
        ]);
      });
    }
  });
});
