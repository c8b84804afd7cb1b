/**
 * chronicle.log_transaction(): exactly one transaction_log row per transaction, with its session
 * context, no sequence value burned per call, and session_info taken from the setting; first
 * called directly, then through real writes to audited tables.
 */
import type { Client } from 'pg';
import { connectTo, createDatabase, databaseNameFor, dropDatabase, testServers } from '../helpers/database';
import { connectAs, withNotices } from '../helpers/log-state';
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
    await client.query('CREATE EXTENSION chronicle');
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
  describe('through writes to audited tables', () => {
    beforeAll(async () => {
      await client.query(`CREATE SCHEMA tx;
        CREATE TABLE tx.a (id integer PRIMARY KEY, v text);
        CREATE TABLE tx.b (id integer PRIMARY KEY, v text, hidden text);
        CREATE TABLE tx.empty (id integer PRIMARY KEY);
        SELECT chronicle.create_table_audit('tx.a', log_new_data => true);
        SELECT chronicle.create_table_audit('tx.b', excluded_columns => '{hidden}');
        SELECT chronicle.create_table_audit('tx.empty')`);
    });

    beforeEach(async () => {
      await client.query('TRUNCATE chronicle.table_event_log, chronicle.row_log, tx.a, tx.b');
      await client.query('TRUNCATE chronicle.transaction_log');
    });

    /** [operation, table, transaction_id] of every event, in order */
    const events = async () => (await client.query(
      `SELECT e.operation, t.table_name, e.transaction_id FROM chronicle.table_event_log AS e
         JOIN chronicle.audit_table_log AS t ON t.table_id = e.table_id AND t.valid_until IS NULL ORDER BY e.id`,
    )).rows.map((r) => [r.operation, r.table_name, r.transaction_id]);
    const keys = async () => (await client.query(
      'SELECT r.row_key::text AS key FROM chronicle.row_log AS r ORDER BY r.event_id, r.row_key::text',
    )).rows.map((r) => r.key);

    it('logs one row for a transaction of several statements on several tables', async () => {
      const before = await sequenceValue();
      await client.query('BEGIN');
      await client.query("INSERT INTO tx.a VALUES (1, 'a'), (2, 'b')");
      await client.query("INSERT INTO tx.b VALUES (1, 'x', 'h')");
      await client.query("UPDATE tx.a SET v = 'c' WHERE id = 1");
      await client.query('DELETE FROM tx.b');
      const { rows: [tx] } = await client.query('SELECT pg_current_xact_id()::text AS txid, transaction_timestamp() AS started');
      await client.query('COMMIT');
      const rows = await logged();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ txid: tx.txid, started_at: tx.started, session_user_name: server.user, application_name: 'chronicle-test' });
      expect(await events()).toEqual([
        ['INSERT', 'a', rows[0].id], ['INSERT', 'b', rows[0].id], ['UPDATE', 'a', rows[0].id], ['DELETE', 'b', rows[0].id],
      ]);
      expect(await sequenceValue()).toBe(before + 1n);
    });

    it('logs nothing for a transaction that only reads, or whose writes change nothing logged', async () => {
      await client.query("INSERT INTO tx.a VALUES (1, 'a'), (2, 'b'); INSERT INTO tx.b VALUES (1, 'x', 'h')");
      await client.query('TRUNCATE chronicle.transaction_log');
      const before = await sequenceValue();
      const eventsBefore = await events();
      await client.query('BEGIN');
      await client.query('SELECT * FROM tx.a JOIN tx.b USING (id)');
      // the capture takes one path for a single updated row and another for several
      await client.query('UPDATE tx.a SET v = v');
      await client.query('UPDATE tx.a SET v = v WHERE id = 1');
      await client.query('TRUNCATE tx.empty');
      await client.query("UPDATE tx.a SET v = 'z' WHERE false");
      await client.query('DELETE FROM tx.b WHERE id < 0');
      await client.query("UPDATE tx.b SET hidden = 'only an excluded column'");
      await client.query('INSERT INTO tx.a SELECT * FROM tx.a WHERE false');
      await client.query('COMMIT');
      expect(await logged()).toEqual([]);
      expect(await events()).toEqual(eventsBefore);
      expect(await sequenceValue()).toBe(before);
      // nor for one that rolls back (its id is burned: sequences do not roll back)
      await client.query("BEGIN; DELETE FROM tx.a; INSERT INTO tx.a VALUES (1, 'a'); ROLLBACK");
      expect(await logged()).toEqual([]);
      expect(await events()).toEqual(eventsBefore);
    });

    it('keeps one consistent row when writes are rolled back to a savepoint, before or after the first logged write', async () => {
      // the first logged write is rolled back: the row goes with it, and the next write logs the transaction again
      await client.query('BEGIN');
      await client.query("SAVEPOINT s; INSERT INTO tx.a VALUES (1, 'gone'); ROLLBACK TO SAVEPOINT s");
      await client.query("INSERT INTO tx.a VALUES (2, 'kept')");
      await client.query('COMMIT');
      // writes after the first logged write are rolled back: the row stays
      await client.query('BEGIN');
      await client.query("INSERT INTO tx.a VALUES (3, 'kept')");
      await client.query("SAVEPOINT s; INSERT INTO tx.b VALUES (3, 'gone'); UPDATE tx.a SET v = 'gone'; ROLLBACK TO SAVEPOINT s");
      await client.query("INSERT INTO tx.b VALUES (4, 'kept')");
      await client.query('COMMIT');
      // a PL/pgSQL exception block is a subtransaction too
      await client.query(`DO $$ BEGIN
          BEGIN INSERT INTO tx.a VALUES (5, 'gone'); RAISE EXCEPTION 'undo'; EXCEPTION WHEN raise_exception THEN NULL; END;
          INSERT INTO tx.a VALUES (6, 'kept');
        END $$`);
      const rows = await logged();
      expect(rows).toHaveLength(3);
      expect(await events()).toEqual([
        ['INSERT', 'a', rows[0].id], ['INSERT', 'a', rows[1].id], ['INSERT', 'b', rows[1].id], ['INSERT', 'a', rows[2].id],
      ]);
      expect(await keys()).toEqual(['{"id": 2}', '{"id": 3}', '{"id": 4}', '{"id": 6}']);
      const referenced = (await client.query(
        'SELECT count(*)::int AS n FROM chronicle.table_event_log AS e WHERE NOT EXISTS (SELECT FROM chronicle.transaction_log AS x WHERE x.id = e.transaction_id)',
      )).rows[0].n;
      expect(referenced).toBe(0);
    });

    it('keeps one row when the session resets every setting in the middle of the transaction', async () => {
      await client.query('BEGIN');
      await client.query("INSERT INTO tx.a VALUES (1, 'a')");
      await client.query('RESET ALL');
      await client.query("INSERT INTO tx.a VALUES (2, 'b')");
      await client.query('COMMIT');
      await client.query("SET application_name = 'chronicle-test'");
      const rows = await logged();
      expect(rows).toHaveLength(1);
      expect(await events()).toEqual([['INSERT', 'a', rows[0].id], ['INSERT', 'a', rows[0].id]]);
    });

    it('takes session_info from SET LOCAL or SET, read at the first logged write', async () => {
      await client.query('BEGIN');
      await client.query(`SET LOCAL chronicle.session_info = '{"request_id": "r-1", "user": "zoë"}'`);
      await client.query("INSERT INTO tx.a VALUES (1, 'a')");
      await client.query(`SET LOCAL chronicle.session_info = '{"request_id": "too late"}'`);
      await client.query("INSERT INTO tx.b VALUES (1, 'b')");
      await client.query('COMMIT');
      await client.query("INSERT INTO tx.a VALUES (2, 'a')");
      await client.query(`SET chronicle.session_info = '{"batch": 7}'`);
      await client.query("INSERT INTO tx.a VALUES (3, 'a')");
      await client.query("UPDATE tx.a SET v = 'z'");
      await client.query(`BEGIN; SET LOCAL chronicle.session_info = '{"batch": 8}'; DELETE FROM tx.a WHERE id = 1; COMMIT`);
      await client.query('RESET chronicle.session_info');
      await client.query('DELETE FROM tx.a');
      expect((await logged()).map((r) => r.session_info)).toEqual([
        { request_id: 'r-1', user: 'zoë' }, null, { batch: 7 }, { batch: 7 }, { batch: 8 }, null,
      ]);
    });

    it('records application_name as it is at the first logged write, and the client address and port over TCP', async () => {
      const other = await connectAs(server, database, server.user, { applicationName: 'chronicle-app-one' });
      try {
        await other.query("INSERT INTO tx.a VALUES (1, 'a')");
        await other.query("SET application_name = 'chronicle-app-two'");
        await other.query("BEGIN; INSERT INTO tx.a VALUES (2, 'a'); SET LOCAL application_name = 'ignored'; INSERT INTO tx.a VALUES (3, 'a'); COMMIT");
        const { rows: [session] } = await other.query('SELECT host(inet_client_addr()) AS addr, inet_client_port() AS port');
        const rows = await logged();
        expect(rows.map((r) => [r.application_name, r.client_addr, r.client_port, r.session_user_name])).toEqual([
          ['chronicle-app-one', session.addr, session.port, server.user],
          ['chronicle-app-two', session.addr, session.port, server.user],
        ]);
        expect(session.addr).toBe('127.0.0.1');
        expect(session.port).toEqual(expect.any(Number));
      } finally {
        await other.end();
      }
    });

    it.each([
      ['malformed JSON', '{"request_id": '],
      ['an array', '[1, 2]'],
      ['a JSON string', '"just text"'],
      ['JSON null', 'null'],
      ['a \\u0000 escape, which jsonb refuses', '{"a": "\\u0000"}'],
      ['a number out of range', '{"a": 1e1000000}'],
      ['nesting too deep', '['.repeat(100000)],
      ['blanks only', '   '],
    ])('keeps session_info that is %s as invalid_session_info with a WARNING, and the write succeeds', async (_what, text) => {
      const { notices } = await withNotices(client, async () => {
        await client.query('BEGIN');
        await client.query("SELECT set_config('chronicle.session_info', $1, true)", [text]);
        await client.query("INSERT INTO tx.a VALUES (1, 'a')");
        await client.query("INSERT INTO tx.b VALUES (1, 'b')");
        await client.query('COMMIT');
      });
      const rows = await logged();
      expect(rows.map((r) => r.session_info)).toEqual([{ invalid_session_info: text }]);
      expect(await events()).toEqual([['INSERT', 'a', rows[0].id], ['INSERT', 'b', rows[0].id]]);
      expect(notices.map((m) => [m.severity, m.message, m.hint])).toEqual([[
        'WARNING', 'chronicle.session_info is not a JSON object; logged as {"invalid_session_info": ...}',
        'SET chronicle.session_info to a JSON object, e.g. \'{"request_id": "42"}\'.',
      ]]);
    });

    it('finds the transaction by index, also in a session that first planned the look-up on an empty log', async () => {
      await client.query('VACUUM ANALYZE chronicle.transaction_log');
      const other = await connectTo(server, database);
      try {
        await other.query("INSERT INTO tx.a VALUES (1, 'a')");
        await other.query("BEGIN; INSERT INTO chronicle.transaction_log (txid, started_at, session_user_name) SELECT (1000000000000 + g)::text::xid8, now(), 'filler' FROM generate_series(1, 2000) AS g");
        await other.query("INSERT INTO tx.a VALUES (2, 'a'); UPDATE tx.a SET v = 'b'; DELETE FROM tx.a WHERE id = 1; INSERT INTO tx.b VALUES (1, 'b')");
        const { rows: [scans] } = await other.query(
          "SELECT seq_scan, idx_scan FROM pg_stat_xact_user_tables WHERE relid = 'chronicle.transaction_log'::regclass",
        );
        await other.query('ROLLBACK');
        expect(Number(scans.seq_scan)).toBe(0);
        expect(Number(scans.idx_scan)).toBeGreaterThanOrEqual(4);
      } finally {
        await other.end();
      }
    });

    it('logs a transaction apart from a row of the same txid restored from another cluster', async () => {
      await client.query('BEGIN');
      const { rows: [tx] } = await client.query('SELECT pg_current_xact_id()::text AS txid');
      // what a log restored from a cluster whose transaction ids ran further would hold
      const { rows: [restored] } = await client.query(
        "INSERT INTO chronicle.transaction_log (txid, started_at, session_user_name) VALUES ($1, now() - interval '1 year', 'someone else') RETURNING id",
        [tx.txid],
      );
      await client.query("INSERT INTO tx.a VALUES (1, 'a')");
      await client.query("INSERT INTO tx.a VALUES (2, 'b')");
      const { rows } = await client.query(
        `SELECT t.id, t.session_user_name, t.started_at = now() AS ours,
                (SELECT count(*)::int FROM chronicle.table_event_log AS e WHERE e.transaction_id = t.id) AS events
           FROM chronicle.transaction_log AS t WHERE t.txid = $1 ORDER BY t.id`,
        [tx.txid],
      );
      await client.query('ROLLBACK');
      expect(rows).toHaveLength(2);
      // both statements are logged under this transaction's own row, never the restored one
      expect(rows[0]).toMatchObject({ id: restored.id, session_user_name: 'someone else', ours: false, events: 0 });
      expect(rows[1]).toMatchObject({ session_user_name: server.user, ours: true, events: 2 });
    });

    it('cannot empty transaction_log in a transaction that logged a change (docs/log-tables.md), and then changes nothing', async () => {
      await client.query("INSERT INTO tx.a VALUES (1, 'a'), (2, 'b')");
      const state = async () => (await client.query(
        `SELECT (SELECT count(*)::int FROM tx.a) AS rows, (SELECT count(*)::int FROM chronicle.transaction_log) AS transactions,
                (SELECT count(*)::int FROM chronicle.row_log) AS entries`,
      )).rows[0];
      const before = await state();
      expect(before).toEqual({ rows: 2, transactions: 1, entries: 2 });
      // the audited table first: its rows are logged, then the log they went to is truncated
      await expect(client.query('TRUNCATE tx.a, chronicle.transaction_log, chronicle.table_event_log, chronicle.row_log'))
        .rejects.toThrow(/could not read block/);
      expect(await state()).toEqual(before);
      await client.query('BEGIN');
      await client.query("INSERT INTO tx.a VALUES (3, 'c')");
      await expect(client.query('TRUNCATE chronicle.transaction_log, chronicle.table_event_log, chronicle.row_log'))
        .rejects.toThrow(/cannot TRUNCATE "transaction_log" because it has pending trigger events/);
      await client.query('ROLLBACK');
      expect(await state()).toEqual(before);
      // as separate transactions: the table's TRUNCATE is logged, then the log is emptied
      await client.query('TRUNCATE tx.a');
      await client.query('TRUNCATE chronicle.transaction_log, chronicle.table_event_log, chronicle.row_log');
      expect(await state()).toEqual({ rows: 0, transactions: 0, entries: 0 });
    });
  });
});
