/**
 * chronicle.log_transaction(): exactly one transaction_log row per transaction, with its session
 * context, no sequence value burned per call, and session_info taken from the setting.
 */
import type { Client } from 'pg';
import { connectTo, createDatabase, databaseNameFor, dropDatabase, testServers } from '../helpers/database';
import { createChronicle } from '../helpers/install-chronicle';
import type { ServerInfo } from '../helpers/servers/types';

interface Logged {
  id: string;
  txid: string;
  session_user_name: string;
  client_addr: string | null;
  client_port: number | null;
  application_name: string;
  session_info: unknown;
  started_at: Date;
}

describe.each(testServers().map((s) => [s.name, s] as const))('%s', (_name, server: ServerInfo) => {
  const database = databaseNameFor(__filename);
  let client: Client;

  beforeAll(async () => {
    await createDatabase(server, database);
    client = await connectTo(server, database);
    await createChronicle(client);
  });

  afterAll(async () => {
    await client.end();
    await dropDatabase(server, database);
  });

  beforeEach(async () => {
    await client.query('TRUNCATE chronicle.transaction_log; RESET chronicle.session_info; SET application_name = \'chronicle-test\'');
  });

  const logged = async () => (await client.query<Logged>('SELECT * FROM chronicle.transaction_log ORDER BY id')).rows;
  /** how many values the id sequence has handed out */
  const sequenceValue = async () => BigInt((await client.query(
    'SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END AS used FROM chronicle.transaction_log_id_seq',
  )).rows[0].used);

  it('logs one row per transaction however often it is called, burning no sequence value', async () => {
    const before = await sequenceValue();
    await client.query('BEGIN');
    const ids = [];
    for (let i = 0; i < 5; i += 1) ids.push((await client.query('SELECT chronicle.log_transaction() AS id')).rows[0].id);
    const { rows: [tx] } = await client.query('SELECT pg_current_xact_id()::text AS txid, transaction_timestamp() AS started, inet_client_port() AS port');
    await client.query('COMMIT');
    expect(new Set(ids).size).toBe(1);
    await client.query('BEGIN; SELECT chronicle.log_transaction(); SELECT chronicle.log_transaction(); COMMIT');
    const rows = await logged();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      id: ids[0], txid: tx.txid, session_user_name: server.user, client_addr: '127.0.0.1',
      client_port: tx.port, application_name: 'chronicle-test', session_info: null, started_at: tx.started,
    });
    expect(await sequenceValue()).toBe(before + 2n);
  });

  it('logs nothing for a transaction that rolls back, and follows savepoints', async () => {
    await client.query('BEGIN; SELECT chronicle.log_transaction(); ROLLBACK');
    expect(await logged()).toEqual([]);
    await client.query('BEGIN');
    await client.query('SAVEPOINT s; SELECT chronicle.log_transaction(); ROLLBACK TO SAVEPOINT s');
    const { rows: [again] } = await client.query('SELECT chronicle.log_transaction() AS id');
    const { rows: [same] } = await client.query('SELECT chronicle.log_transaction() AS id');
    await client.query('COMMIT');
    const rows = await logged();
    expect(rows.map((r) => r.id)).toEqual([again.id]);
    expect(same.id).toBe(again.id);
  });

  it('keeps session_info set with SET LOCAL or SET, per transaction', async () => {
    await client.query(`BEGIN; SET LOCAL chronicle.session_info = '{"request_id": "r-1", "user": "zoë"}'; SELECT chronicle.log_transaction(); COMMIT`);
    await client.query('BEGIN; SELECT chronicle.log_transaction(); COMMIT');
    await client.query(`SET chronicle.session_info = '{"batch": 7}'`);
    await client.query('BEGIN; SELECT chronicle.log_transaction(); COMMIT');
    expect((await logged()).map((r) => r.session_info)).toEqual([{ request_id: 'r-1', user: 'zoë' }, null, { batch: 7 }]);
  });

  it.each([
    ['malformed JSON', '{"request_id": '],
    ['JSON that is not an object', '[1, 2]'],
  ])('keeps %s as invalid_session_info with a WARNING, never failing the write', async (_what, text) => {
    const warnings: string[] = [];
    const listener = (notice: { severity?: string; message?: string }) => { if (notice.severity === 'WARNING') warnings.push(notice.message ?? ''); };
    client.on('notice', listener);
    try {
      await client.query('BEGIN');
      await client.query('SELECT set_config(\'chronicle.session_info\', $1, true)', [text]);
      await client.query('SELECT chronicle.log_transaction()');
      await client.query('COMMIT');
    } finally {
      client.off('notice', listener);
    }
    expect((await logged()).map((r) => r.session_info)).toEqual([{ invalid_session_info: text }]);
    expect(warnings).toEqual(['chronicle.session_info is not a JSON object; logged as {"invalid_session_info": ...}']);
  });

  it('is closed to ordinary roles, and so is the log', async () => {
    await client.query('DROP ROLE IF EXISTS chronicle_tx_app; CREATE ROLE chronicle_tx_app');
    await client.query('BEGIN; SET LOCAL ROLE chronicle_tx_app');
    await expect(client.query('SELECT chronicle.log_transaction()')).rejects.toMatchObject({ code: '42501' });
    await client.query('ROLLBACK; BEGIN; SET LOCAL ROLE chronicle_tx_app');
    await expect(client.query('SELECT * FROM chronicle.transaction_log')).rejects.toMatchObject({ code: '42501' });
    await client.query('ROLLBACK');
  });
});
