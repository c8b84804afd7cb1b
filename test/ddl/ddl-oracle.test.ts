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
import { verifyDdlLog } from '../helpers/oracle/ddl';
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
    for (const op of ['ADD COLUMN', 'DROP COLUMN', 'RENAME COLUMN', 'ALTER COLUMN TYPE', 'DROP TABLE']) expect(run.operations.get(op) ?? 0).toBeGreaterThan(0);
  });
});
