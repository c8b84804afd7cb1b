/**
 * Change-log oracle (issue 3), types: over a seeded random workload, undoing the log from the
 * current rows rebuilds the table after every transaction exactly, and replaying it forward
 * from the baseline does too, for a table with a column of every common type (NULLs, -0, NaN,
 * infinities, numeric scale, far dates, unicode, quotes, arrays with other lower bounds,
 * composites, ranges, TOASTed values of 100 kB+, generated and identity columns), and for a
 * table of 320 columns. The seed is printed; CHRONICLE_ORACLE_SEED replays it.
 */
import type { Client } from 'pg';
import { connectTo, createDatabase, databaseNameFor, dropDatabase, testServers } from '../helpers/database';
import {
  audit, col, createSchema, createTable, installOracleSupport, intKey, oracleSeed, oracleTransactions, runScript, runWorkload, typesTable, verifyRun,
  wideTable, type TableModel,
  failureReport,
} from '../helpers/oracle';
import type { ServerInfo } from '../helpers/servers/types';

const seed = oracleSeed();
const transactions = oracleTransactions(30);
console.log(`oracle-types: seed ${seed}, ${transactions} transactions (CHRONICLE_ORACLE_SEED=${seed} replays it)`);

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

  it(`undo and replay rebuild a table of every common type after each of ${transactions} random transactions (seed ${seed})`, async () => {
    const model: TableModel = await typesTable(client, server.major, 'oracle_types', { logNewData: true, prefill: 6, seed });
    const run = await runWorkload({ client, major: server.major, seed, transactions, tables: [model], initialRows: 8 });
    const failures = await verifyRun(client, run);
    expect(failureReport(seed, run, failures)).toBe('');
    expect(run.snapshots.get(model)).toHaveLength(transactions + 2);
  });

  it('TOASTed values of 100 kB+ are logged whole on INSERT, DELETE and TRUNCATE, left out of an UPDATE of another column, logged when they change; undo and replay rebuild them', async () => {
    await createSchema(client, 'oracle_toast');
    const model = await createTable(client, {
      schema: 'oracle_toast', name: 'big', key: ['id'], logNewData: true,
      columns: [intKey('id'), col('t', 'text', { wide: true }), col('b', 'bytea', { wide: true }), col('n', 'integer')],
    });
    await audit(client, model);
    const wide = (salt: string, kb: number) => `(SELECT string_agg(md5('${salt}' || i), '') FROM generate_series(1, ${kb * 32}) AS i)`;
    const run = await runScript(client, [model], [
      [`INSERT INTO oracle_toast.big VALUES (1, ${wide('a', 110)}, decode(${wide('b', 220)}, 'hex'), 1), (2, ${wide('c', 120)}, NULL, 2)`],
      [`UPDATE oracle_toast.big SET n = n + 10`],
      [`UPDATE oracle_toast.big SET t = ${wide('d', 130)} WHERE id = 1`, `UPDATE oracle_toast.big SET b = decode(${wide('e', 240)}, 'hex'), t = t WHERE id = 2`],
      [`DELETE FROM oracle_toast.big WHERE id = 2`],
      [`INSERT INTO oracle_toast.big SELECT 3, t, b, 3 FROM oracle_toast.big WHERE id = 1`, 'TRUNCATE oracle_toast.big'],
    ]);
    expect(failureReport(seed, run, await verifyRun(client, run, () => ({ replayFromEmpty: true })))).toBe('');
    const { rows } = await client.query(
      `SELECT e.operation, (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(coalesce(r.old_data, r.new_data)) AS k) AS columns,
              octet_length(coalesce(r.old_data::text, '') || coalesce(r.new_data::text, '')) > 100000 AS wide
       FROM chronicle.table_event_log AS e JOIN chronicle.row_log AS r ON r.event_id = e.id
       WHERE e.table_id = (SELECT table_id FROM chronicle.audited_tables WHERE audited_table = 'oracle_toast.big'::regclass)
       ORDER BY e.id, r.row_key`,
    );
    expect(rows.map((r) => [r.operation, r.columns.join(','), r.wide])).toEqual([
      ['INSERT', 'b,id,n,t', true], ['INSERT', 'b,id,n,t', true],
      ['UPDATE', 'n', false], ['UPDATE', 'n', false],
      ['UPDATE', 't', true], ['UPDATE', 'b', true],
      ['DELETE', 'b,id,n,t', true],
      ['INSERT', 'b,id,n,t', true],
      ['TRUNCATE', 'b,id,n,t', true], ['TRUNCATE', 'b,id,n,t', true],
    ]);
  });

  if (server.major >= 18) {
    it(`virtual generated columns (PostgreSQL 18) are never logged; undo, and replay from the empty table, rebuild every other column after each of ${transactions} random transactions (seed ${seed})`, async () => {
      await createSchema(client, 'oracle_virtual');
      const model = await createTable(client, {
        schema: 'oracle_virtual', name: 'computed', key: ['id'], integerKey: true, logNewData: true,
        columns: [
          intKey('id'), col('a', 'integer'), col('t', 'text'),
          col('twice', 'bigint', { definition: 'GENERATED ALWAYS AS (a::bigint * 2) VIRTUAL', writable: false, virtual: true }),
          col('loud', 'text', { definition: `GENERATED ALWAYS AS (upper(t) || '!') VIRTUAL`, writable: false, virtual: true }),
          col('thrice', 'bigint', { definition: 'GENERATED ALWAYS AS (a::bigint * 3) STORED', writable: false }),
        ],
      });
      await audit(client, model);
      const run = await runWorkload({ client, major: server.major, seed, transactions, tables: [model], initialRows: 8 });
      expect(failureReport(seed, run, await verifyRun(client, run, () => ({ replayFromEmpty: true })))).toBe('');
      const { rows: [logged] } = await client.query(
        `SELECT count(*) FILTER (WHERE old_data ?| ARRAY['twice', 'loud'] OR new_data ?| ARRAY['twice', 'loud']) AS virtual,
                count(*) FILTER (WHERE old_data ? 'thrice' OR new_data ? 'thrice') AS stored
         FROM chronicle.row_log WHERE table_id = (SELECT table_id FROM chronicle.audited_tables WHERE audited_table = 'oracle_virtual.computed'::regclass)`,
      );
      expect([Number(logged.virtual), Number(logged.stored) > 0]).toEqual([0, true]);
    });
  }

  it(`undo rebuilds a table of 320 columns after each of ${transactions} random transactions (seed ${seed})`, async () => {
    const model = await wideTable(client, server.major, 'oracle_wide');
    const run = await runWorkload({ client, major: server.major, seed: seed ^ 0x5a5a, transactions, tables: [model], initialRows: 10 });
    const failures = await verifyRun(client, run);
    expect(failureReport(seed, run, failures)).toBe('');
  });
});
