/**
 * Change-log oracle (issue 3), nested statements: application triggers that change the row their
 * statement just changed, two levels deep, log after the statement that ran them finished, yet
 * undo newest first in the documented order (statement_order, nesting_depth) rebuilds every
 * snapshot. A foreign-key cascade into another audited table is covered the same way.
 * The seed is printed; CHRONICLE_ORACLE_SEED replays it.
 */
import type { Client } from 'pg';
import { connectTo, createDatabase, databaseNameFor, dropDatabase, testServers } from '../helpers/database';
import {
  audit, col, createSchema, createTable, failureReport, installOracleSupport, intKey, oracleSeed, oracleTransactions,
  prefill, readLog, runScript, runWorkload, summary, tableId, verifyRun,
} from '../helpers/oracle';
import type { ServerInfo } from '../helpers/servers/types';

const seed = oracleSeed();
const transactions = oracleTransactions(150);
console.log(`oracle-nested: seed ${seed}, ${transactions} transactions (CHRONICLE_ORACLE_SEED=${seed} replays it)`);

/**
 * After an UPDATE that changes name, a row trigger appends '!' to that same row's name, and again
 * from the nested UPDATE (trigger depth 2); after an INSERT of an even id it bumps n of that row.
 */
const NESTED_TRIGGERS = (table: string) => `
  CREATE FUNCTION ${table}_renamed() RETURNS trigger LANGUAGE plpgsql AS $f$
  BEGIN
    IF pg_trigger_depth() <= 2 AND NEW.name IS DISTINCT FROM OLD.name AND NEW.id % 3 <> 1 THEN
      UPDATE ${table} SET name = NEW.name || '!' WHERE id = NEW.id;
    END IF;
    RETURN NULL;
  END $f$;
  CREATE TRIGGER renamed AFTER UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION ${table}_renamed();
  CREATE FUNCTION ${table}_inserted() RETURNS trigger LANGUAGE plpgsql AS $f$
  BEGIN
    IF NEW.id % 2 = 0 THEN
      UPDATE ${table} SET n = coalesce(n, 0) + 1, name = 'inserted' WHERE id = NEW.id;
    END IF;
    RETURN NULL;
  END $f$;
  CREATE TRIGGER inserted AFTER INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION ${table}_inserted();`;

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

  it(`with row triggers that change the same rows again (two levels deep), undo and replay rebuild every snapshot of ${transactions} random transactions (seed ${seed})`, async () => {
    await createSchema(client, 'oracle_nested');
    const model = await createTable(client, {
      schema: 'oracle_nested', name: 'items', key: ['id'], integerKey: true, logNewData: true,
      columns: [intKey('id'), col('name', 'text'), col('n', 'numeric')],
    });
    await prefill(client, model, server.major, seed, 5);
    await client.query(NESTED_TRIGGERS('oracle_nested.items'));
    await audit(client, model, { baseline: true });
    const run = await runWorkload({ client, major: server.major, seed, transactions, tables: [model], initialRows: 10 });
    console.log(`oracle-nested ${server.name}: ${summary(run)}`);
    expect(failureReport(seed, run, await verifyRun(client, run))).toBe('');
    // the triggers did run nested statements, and some logged before the statement around them
    const { rows: [nested] } = await client.query(
      `SELECT count(*) FILTER (WHERE nesting_depth = 2) AS depth2, count(*) FILTER (WHERE nesting_depth = 3) AS depth3,
              count(*) FILTER (WHERE nesting_depth = 1 AND statement_order < id) AS reordered
       FROM chronicle.table_event_log WHERE table_id = $1`,
      [await tableId(client, model)],
    );
    expect(Number(nested.depth2)).toBeGreaterThan(0);
    expect(Number(nested.depth3)).toBeGreaterThan(0);
    expect(Number(nested.reordered)).toBeGreaterThan(0);
  });

  describe('directed cases', () => {
    it('a row trigger that changes the column its statement changed: the statement orders first, so undo gives the value before both', async () => {
      await createSchema(client, 'nested_directed');
      const model = await createTable(client, {
        schema: 'nested_directed', name: 't', key: ['id'], integerKey: true, logNewData: true,
        columns: [intKey('id'), col('v', 'text')],
      });
      const t = 'nested_directed.t';
      await client.query(`INSERT INTO ${t} VALUES (1, 'a')`);
      await audit(client, model, { baseline: true });
      await client.query(`CREATE FUNCTION nested_directed.to_c() RETURNS trigger LANGUAGE plpgsql AS $f$
        BEGIN IF NEW.v = 'b' THEN UPDATE ${t} SET v = 'c' WHERE id = NEW.id; END IF; RETURN NULL; END $f$;
        CREATE TRIGGER to_c AFTER UPDATE ON ${t} FOR EACH ROW EXECUTE FUNCTION nested_directed.to_c()`);
      const run = await runScript(client, [model], [[`UPDATE ${t} SET v = 'b' WHERE id = 1`]]);
      expect(failureReport(seed, run, await verifyRun(client, run))).toBe('');
      const { events } = await readLog(client, await tableId(client, model));
      expect(events.slice(1).map((e) => [e.entries.map((x) => [x.oldData, x.newData])])).toEqual([
        [[[{ v: '"a"' }, { v: '"b"' }]]],
        [[[{ v: '"b"' }, { v: '"c"' }]]],
      ]);
    });

    it('an ON UPDATE CASCADE into an audited child that a child trigger changes again: both tables rebuild', async () => {
      await createSchema(client, 'nested_cascade');
      const parent = await createTable(client, {
        schema: 'nested_cascade', name: 'parent', key: ['id'], integerKey: true,
        columns: [intKey('id'), col('v', 'text')],
      });
      const child = await createTable(client, {
        schema: 'nested_cascade', name: 'child', key: ['id'], integerKey: true,
        columns: [intKey('id'), col('parent_id', 'integer'), col('note', 'text')],
      });
      await client.query(`INSERT INTO nested_cascade.parent VALUES (1, 'p1'), (2, 'p2');
        INSERT INTO nested_cascade.child VALUES (10, 1, 'x'), (11, 1, 'y'), (20, 2, 'z');
        ALTER TABLE nested_cascade.child ADD FOREIGN KEY (parent_id) REFERENCES nested_cascade.parent ON UPDATE CASCADE ON DELETE CASCADE;
        CREATE FUNCTION nested_cascade.moved() RETURNS trigger LANGUAGE plpgsql AS $f$
        BEGIN UPDATE nested_cascade.child SET note = note || ' moved', parent_id = parent_id WHERE id = NEW.id; RETURN NULL; END $f$;
        CREATE TRIGGER moved AFTER UPDATE OF parent_id ON nested_cascade.child FOR EACH ROW
          WHEN (pg_trigger_depth() < 3) EXECUTE FUNCTION nested_cascade.moved()`);
      await audit(client, parent, { baseline: true });
      await audit(client, child, { baseline: true });
      const run = await runScript(client, [parent, child], [
        ['UPDATE nested_cascade.parent SET id = id + 100', "UPDATE nested_cascade.child SET note = 'again' WHERE id = 10"],
        ['DELETE FROM nested_cascade.parent WHERE id = 101'],
      ]);
      expect(failureReport(seed, run, await verifyRun(client, run))).toBe('');
      const { rows } = await client.query(
        `SELECT count(*) FILTER (WHERE nesting_depth > 1) AS nested FROM chronicle.table_event_log WHERE table_id = $1`,
        [await tableId(client, child)],
      );
      expect(Number(rows[0].nested)).toBeGreaterThan(0);
    });
  });
});
