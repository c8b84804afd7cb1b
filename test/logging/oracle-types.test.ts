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
  installOracleSupport, oracleSeed, oracleTransactions, runWorkload, typesTable, verifyRun, wideTable, type TableModel, type WorkloadRun,
} from '../helpers/oracle';
import type { ServerInfo } from '../helpers/servers/types';

const seed = oracleSeed();
const transactions = oracleTransactions(30);
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

  it(`undo rebuilds a table of 320 columns after each of ${transactions} random transactions (seed ${seed})`, async () => {
    const model = await wideTable(client, server.major, 'oracle_wide');
    const run = await runWorkload({ client, major: server.major, seed: seed ^ 0x5a5a, transactions, tables: [model], initialRows: 10 });
    const failures = await verifyRun(client, run);
    expect(report(run, failures)).toBe('');
  });
});
