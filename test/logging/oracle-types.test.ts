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
  audit, col, createSchema, createTable, installOracleSupport, intKey, oracleSeed, oracleTransactions, runWorkload, typesTable, verifyRun,
  wideTable, type TableModel, type WorkloadRun,
} from '../helpers/oracle';
import type { ServerInfo } from '../helpers/servers/types';

const seed = oracleSeed();
const transactions = oracleTransactions(40);
console.log(`oracle-types: seed ${seed}, ${transactions} transactions (CHRONICLE_ORACLE_SEED=${seed} replays it)`);

function report(run: WorkloadRun, failures: string[]): string {
  return failures.length === 0 ? '' : `seed ${seed}\n${failures.join('\n')}\n--- history ---\n${run.history.join('\n')}`;
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

  it(`undo and replay rebuild a table of every common type after each of ${transactions} random transactions (seed ${seed})`, async () => {
    const model: TableModel = await typesTable(client, server.major, 'oracle_types', { logNewData: true, prefill: 6, seed });
    const run = await runWorkload({ client, major: server.major, seed, transactions, tables: [model], initialRows: 8 });
    const failures = await verifyRun(client, run);
    expect(report(run, failures)).toBe('');
    expect(run.snapshots.get(model)).toHaveLength(transactions + 2);
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
      expect(report(run, await verifyRun(client, run, () => ({ replayFromEmpty: true })))).toBe('');
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
    expect(report(run, failures)).toBe('');
  });
});
