/**
 * Points in time (issue 5): chronicle.cut(point) for a mark name, a timestamptz and a
 * transaction_log id, chronicle.transactions_after and chronicle.in_cut. Overload resolution of
 * untyped literals, marks that are exact without blocking writers, timestamps that mean commit
 * order under concurrent writers whose commit order differs from their start order, the caller's
 * own transaction, bad input (SQLSTATE and HINT, nothing created), privileges, and the upgrade
 * from the last release (committed_at backfilled, new transactions stamped).
 */
import type { Client, DatabaseError } from 'pg';
import { connectTo, createDatabase, databaseNameFor, dropDatabase, testServers } from '../helpers/database';
import { connectAs, sqlError } from '../helpers/log-state';
import type { ServerInfo } from '../helpers/servers/types';
import { DEFAULT_VERSION, LAST_RELEASE } from '../helpers/versions';

const APP = 'chronicle_points_app';       // may look into schema chronicle, nothing more
const VIEWER = 'chronicle_points_viewer'; // member of chronicle_viewer
const ADMIN = 'chronicle_points_admin';   // member of chronicle_admin
const ROLES = [APP, VIEWER, ADMIN];

const HINT_FOR_POINTS = /mark name.*timestamptz.*transaction_log id/;

/** the caller's own open transaction's transaction_log id, found as log_transaction finds it */
async function ownTransactionId(session: Client): Promise<number> {
  const { rows } = await session.query<{ id: string }>(
    `SELECT id FROM chronicle.transaction_log
      WHERE txid = pg_current_xact_id_if_assigned() AND started_at = transaction_timestamp()`,
  );
  if (rows.length !== 1) throw new Error('the session has no open transaction that wrote audited data');
  return Number(rows[0].id);
}

/** runs statements in one transaction and returns its transaction_log id */
async function committedTransaction(session: Client, ...statements: string[]): Promise<number> {
  await session.query('BEGIN');
  try {
    for (const statement of statements) await session.query(statement);
    const id = await ownTransactionId(session);
    await session.query('COMMIT');
    return id;
  } catch (error) {
    await session.query('ROLLBACK');
    throw error;
  }
}

/** the ids chronicle.transactions_after returns for a cut, ascending */
async function transactionsAfter(session: Client, cutSql: string, params: unknown[] = []): Promise<number[]> {
  const { rows } = await session.query<{ id: string }>(
    `SELECT id FROM chronicle.transactions_after(${cutSql}) AS id ORDER BY id`, params,
  );
  return rows.map((r) => Number(r.id));
}

async function inCut(session: Client, cutSql: string, transactionId: number, params: unknown[] = []): Promise<boolean> {
  const { rows: [row] } = await session.query<{ in_cut: boolean }>(
    `SELECT chronicle.in_cut(${cutSql}, $${params.length + 1}) AS in_cut`, [...params, transactionId],
  );
  return row.in_cut;
}

async function backendPid(session: Client): Promise<number> {
  return (await session.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
}

/** waits until the backend waits for a lock (held by a transaction the test keeps open) */
async function blockedOnLock(observer: Client, pid: number): Promise<boolean> {
  const isWaiting = async () => (await observer.query<{ waiting: boolean }>(
    `SELECT count(*) = 1 AS waiting FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'`, [pid])).rows[0].waiting;
  for (let attempt = 0; attempt < 400; attempt++) {
    if (await isWaiting()) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return false;
}

async function markCount(session: Client): Promise<number> {
  const { rows: [row] } = await session.query<{ n: string }>('SELECT count(*) AS n FROM chronicle.mark');
  return Number(row.n);
}

describe.each(testServers().map((s) => [s.name, s] as const))('%s', (_name, server: ServerInfo) => {
  const database = databaseNameFor(__filename);
  let client: Client;
  const sessions: Client[] = [];
  let nextRowId = 1;

  /** another connection to the test database (as the superuser unless a role is given) */
  const openSession = async (role?: string): Promise<Client> => {
    const session = role ? await connectAs(server, database, role) : await connectTo(server, database);
    sessions.push(session);
    return session;
  };
  /** an INSERT of a new row of the audited table */
  const insertRow = () => `INSERT INTO pts.t VALUES (${nextRowId++}, 'row')`;

  beforeAll(async () => {
    await createDatabase(server, database);
    client = await connectTo(server, database);
    await client.query('CREATE EXTENSION chronicle');
    for (const role of ROLES) await client.query(`DROP ROLE IF EXISTS ${role}; CREATE ROLE ${role} LOGIN`);
    await client.query(`
      GRANT USAGE ON SCHEMA chronicle TO ${APP};
      GRANT chronicle_viewer TO ${VIEWER};
      GRANT chronicle_admin TO ${ADMIN};
      CREATE SCHEMA pts;
      CREATE TABLE pts.t (id integer PRIMARY KEY, v text);
      SELECT chronicle.create_table_audit('pts.t');`);
  });

  afterAll(async () => {
    for (const session of sessions) await session.end();
    await client.end();
    await dropDatabase(server, database);
    const admin = await connectTo(server, 'postgres');
    try {
      for (const role of ROLES) await admin.query(`DROP ROLE IF EXISTS ${role}`);
    } finally {
      await admin.end();
    }
  });

  describe('overload resolution', () => {
    it("an untyped literal such as '2026-11-01' is the timestamp, even when a mark of that name exists", async () => {
      const timestampOf = async (sql: string, params: unknown[] = []) => (await client.query(
        `SELECT c.description, c.snapshot IS NULL AS no_snapshot, c.through_transaction_id,
                c.committed_until = '2026-11-01 00:00:00'::timestamptz AS is_that_day
           FROM ${sql} AS c`, params)).rows[0];
      const expected = { description: expect.stringMatching(/^timestamp 2026-11-01 00:00:00/), no_snapshot: true, through_transaction_id: null, is_that_day: true };
      expect(await timestampOf(`chronicle.cut('2026-11-01')`)).toEqual(expected);
      // a driver's untyped parameter resolves like the literal
      expect(await timestampOf('chronicle.cut($1)', ['2026-11-01'])).toEqual(expected);
      // set_mark refuses such a name, but a mark row can still come from elsewhere (a dump edited
      // by hand): the literal still means the timestamp
      await client.query(`INSERT INTO chronicle.mark (name, snapshot, last_transaction_id, set_at, set_by)
                          VALUES ('2026-11-01', pg_current_snapshot(), 0, now(), 'test')`);
      try {
        expect(await timestampOf(`chronicle.cut('2026-11-01')`)).toEqual(expected);
      } finally {
        await client.query(`DELETE FROM chronicle.mark WHERE name = '2026-11-01'`);
      }
    });

    it('an integer literal is a transaction_log id, a typed timestamptz a timestamp, other text a mark name', async () => {
      const id = await committedTransaction(client, insertRow());
      const { rows: [byId] } = await client.query(
        `SELECT c.description, c.snapshot IS NULL AS no_snapshot, c.through_transaction_id::int AS through,
                c.committed_until = (SELECT committed_at FROM chronicle.transaction_log WHERE id = ${id}) AS until_its_commit
           FROM chronicle.cut(${id}) AS c`);
      expect(byId).toEqual({ description: `transaction ${id}`, no_snapshot: true, through: id, until_its_commit: true });

      const { rows: [byTimestamp] } = await client.query(
        `SELECT c.description LIKE 'timestamp %' AS is_timestamp, c.committed_until = now() AS is_now, c.through_transaction_id
           FROM chronicle.cut(now()) AS c`);
      expect(byTimestamp).toEqual({ is_timestamp: true, is_now: true, through_transaction_id: null });

      await client.query(`SELECT chronicle.set_mark('overload-mark')`);
      const { rows: [byMark] } = await client.query(
        `SELECT c.description, c.snapshot::text = m.snapshot::text AS its_snapshot,
                c.last_transaction_id = m.last_transaction_id AS its_last_id, c.committed_until
           FROM chronicle.cut('overload-mark') AS c, chronicle.mark AS m WHERE m.name = 'overload-mark'`);
      expect(byMark).toEqual({ description: 'mark "overload-mark"', its_snapshot: true, its_last_id: true, committed_until: null });
    });

    it.each([
      ['2026-11-01'], ['today'], ['now'], ['epoch'], ['tomorrow'], ['infinity'], ['20261101'], ['42'], [' -7 '],
    ])('refuses the mark name %p, which reads as a timestamp or an integer (SQLSTATE, HINT, no mark)', async (name) => {
      const before = await markCount(client);
      const error = await sqlError(client.query('SELECT chronicle.set_mark($1)', [name]));
      expect(error.code).toBe('22023');
      expect(error.message).toContain('reads as a timestamp or a transaction id');
      expect(error.hint).toMatch(/timestamp whenever it reads as one/);
      expect(await markCount(client)).toBe(before);
    });

    it('refuses a name that reads as a timestamp only in another DateStyle field order', async () => {
      const session = await openSession();
      await session.query(`SET DateStyle = 'ISO, MDY'`);
      // not a timestamp here (month 13), but one in a DMY session, where it must not mean a mark
      expect((await sqlError(session.query(`SELECT '13/01/2026'::timestamptz`))).code).toBe('22008');
      const error = await sqlError(session.query(`SELECT chronicle.set_mark('13/01/2026')`));
      expect([error.code, error.hint]).toEqual(['22023', expect.stringMatching(/timestamp whenever/)]);
      expect((await session.query<{ n: string }>(`SELECT count(*) AS n FROM chronicle.mark WHERE name = '13/01/2026'`)).rows[0].n).toBe('0');
      // set_mark tries every field order but leaves the session's DateStyle as it was
      await session.query(`SELECT chronicle.set_mark('datestyle-kept')`);
      expect((await session.query<{ DateStyle: string }>('SHOW DateStyle')).rows[0].DateStyle).toBe('ISO, MDY');
    });
  });

  describe('marks', () => {
    it('are exact without blocking writers: an open transaction is after the mark, one that began before it but committed first is in it', async () => {
      const earlier = await committedTransaction(client, insertRow());
      const open = await openSession();
      const committedFirst = await openSession();
      const marker = await openSession();
      // the open writer takes the smaller id, so the snapshot (not the id) must exclude it
      await open.query('BEGIN');
      await open.query(`UPDATE pts.t SET v = 'open' WHERE id = (SELECT min(id) FROM pts.t)`);
      const openId = await ownTransactionId(open);
      await committedFirst.query('BEGIN');
      await committedFirst.query(insertRow());
      const committedFirstId = await ownTransactionId(committedFirst);
      await committedFirst.query('COMMIT');
      expect(committedFirstId).toBeGreaterThan(openId);

      // would wait forever if set_mark waited for the open writer: the timeouts make that an error
      await marker.query('BEGIN');
      await marker.query(`SET LOCAL lock_timeout = '1s'; SET LOCAL statement_timeout = '10s'`);
      await marker.query(`SELECT chronicle.set_mark('exact', 'while a writer is open')`);
      await marker.query('COMMIT');
      await open.query('COMMIT');
      const later = await committedTransaction(client, insertRow());

      const after = await transactionsAfter(client, `chronicle.cut('exact')`);
      expect(after).toEqual(expect.arrayContaining([openId, later]));
      expect(after).not.toContain(earlier);
      expect(after).not.toContain(committedFirstId);
      const { rows: [mark] } = await client.query(`SELECT last_transaction_id::int AS last, comment FROM chronicle.mark WHERE name = 'exact'`);
      expect(mark).toEqual({ last: committedFirstId, comment: 'while a writer is open' });
      for (const [id, expected] of [[earlier, true], [committedFirstId, true], [openId, false], [later, false]] as const) {
        expect([id, await inCut(client, `chronicle.cut('exact')`, id)]).toEqual([id, expected]);
      }
    });

    it('set in a REPEATABLE READ transaction, use its snapshot: a writer that committed after its first statement is after the mark', async () => {
      const marker = await openSession();
      const writer = await openSession();
      await marker.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await marker.query('SELECT count(*) FROM pts.t'); // takes the transaction's snapshot
      const rowId = nextRowId;
      const written = await committedTransaction(writer, insertRow());
      await marker.query(`SELECT chronicle.set_mark('repeatable')`);
      // copies taken in this transaction see exactly the mark's state
      const { rows: [inside] } = await marker.query(
        `SELECT (SELECT count(*) FROM pts.t WHERE id = ${rowId})::int AS written_rows,
                (SELECT snapshot::text FROM chronicle.mark WHERE name = 'repeatable') = pg_current_snapshot()::text AS same_snapshot`);
      expect(inside).toEqual({ written_rows: 0, same_snapshot: true });
      await marker.query('COMMIT');
      expect(await transactionsAfter(client, `chronicle.cut('repeatable')`)).toContain(written);
      expect(await inCut(client, `chronicle.cut('repeatable')`, written)).toBe(false);
    });

    it('are refused in a transaction that already changed audited tables, also after SET CONSTRAINTS ALL IMMEDIATE stamped it early', async () => {
      for (const setup of ['', 'SET CONSTRAINTS ALL IMMEDIATE']) {
        const before = await markCount(client);
        await client.query('BEGIN');
        let refusal: DatabaseError | undefined;
        try {
          if (setup) await client.query(setup);
          await client.query(insertRow());
          refusal = await sqlError(client.query(`SELECT chronicle.set_mark('after-own-writes')`));
        } finally {
          await client.query('ROLLBACK');
        }
        expect([setup, refusal?.code, refusal?.hint]).toEqual([setup, '25000', expect.stringMatching(/before the changes/)]);
        expect(await markCount(client)).toBe(before);
      }
    });

    it('of the same name set concurrently: the second is refused with the same error as a duplicate', async () => {
      const first = await openSession();
      const second = await openSession();
      await first.query('BEGIN');
      await first.query(`SELECT chronicle.set_mark('race')`);
      // the second does not see the first's uncommitted mark, so its insert waits on the name's unique index
      const secondPid = await backendPid(second);
      const racing = sqlError(second.query(`SELECT chronicle.set_mark('race')`));
      expect(await blockedOnLock(client, secondPid)).toBe(true);
      await first.query('COMMIT');
      const error = await racing;
      expect([error.code, error.message, error.hint]).toEqual(['42710', 'mark "race" already exists', expect.stringMatching(/delete_mark/)]);
      expect((await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM chronicle.mark WHERE name = 'race'`)).rows[0].n).toBe(1);
    });

    it('refuse a duplicate or empty name; delete_mark deletes, and refuses an unknown mark', async () => {
      await client.query(`SELECT chronicle.set_mark('to-delete')`);
      const before = await markCount(client);
      const duplicate = await sqlError(client.query(`SELECT chronicle.set_mark('to-delete')`));
      expect([duplicate.code, duplicate.hint]).toEqual(['42710', expect.stringMatching(/delete_mark/)]);
      const empty = await sqlError(client.query(`SELECT chronicle.set_mark('  ')`));
      expect([empty.code, empty.hint]).toEqual(['22023', expect.stringMatching(/Pass a name/)]);
      expect(await markCount(client)).toBe(before);

      await client.query(`SELECT chronicle.delete_mark('to-delete')`);
      expect(await markCount(client)).toBe(before - 1);
      const gone = await sqlError(client.query(`SELECT chronicle.cut('to-delete')`));
      expect(gone.code).toBe('42704');
      const unknown = await sqlError(client.query(`SELECT chronicle.delete_mark('to-delete')`));
      expect([unknown.code, unknown.message, unknown.hint]).toEqual(['42704', 'there is no mark "to-delete"', expect.stringMatching(/chronicle\.mark/)]);
    });
  });

  describe('timestamps mean commit order', () => {
    it('with T1 started and written first but committed after T2, a time between the commits includes T2 and not T1', async () => {
      const first = await openSession();
      const second = await openSession();
      await first.query('BEGIN');
      await first.query(insertRow());
      const t1 = await ownTransactionId(first);
      await second.query('BEGIN');
      await second.query(insertRow());
      const t2 = await ownTransactionId(second);
      await second.query('COMMIT');
      const { rows: [{ between }] } = await client.query<{ between: string }>('SELECT clock_timestamp()::text AS between');
      await first.query('COMMIT');

      // start order and id order are T1, T2; commit order is T2, T1
      expect(t1).toBeLessThan(t2);
      const { rows: [order] } = await client.query(
        `SELECT t1.started_at < t2.started_at AS t1_started_first, t2.committed_at < t1.committed_at AS t2_committed_first,
                t2.committed_at <= $3::timestamptz AND $3::timestamptz < t1.committed_at AS between_the_stamps
           FROM chronicle.transaction_log AS t1, chronicle.transaction_log AS t2 WHERE t1.id = $1 AND t2.id = $2`,
        [t1, t2, between]);
      expect(order).toEqual({ t1_started_first: true, t2_committed_first: true, between_the_stamps: true });

      for (const cutSql of ['chronicle.cut($1::timestamptz)', 'chronicle.cut($1)']) {
        const after = await transactionsAfter(client, cutSql, [between]);
        expect([cutSql, after.includes(t1), after.includes(t2)]).toEqual([cutSql, true, false]);
        expect([cutSql, await inCut(client, cutSql, t1, [between]), await inCut(client, cutSql, t2, [between])]).toEqual([cutSql, false, true]);
      }

      // a transaction point is a commit-order point too: T2's cut excludes T1, whose id is smaller
      const afterT2 = await transactionsAfter(client, `chronicle.cut(${t2}::bigint)`);
      expect([afterT2.includes(t1), afterT2.includes(t2)]).toEqual([true, false]);
      expect([await inCut(client, `chronicle.cut(${t2})`, t1), await inCut(client, `chronicle.cut(${t2})`, t2)]).toEqual([false, true]);
      const afterT1 = await transactionsAfter(client, `chronicle.cut(${t1})`);
      expect([afterT1.includes(t1), afterT1.includes(t2)]).toEqual([false, false]);
    });

    it('a revert (which writes under session_replication_role = replica) is stamped and ordered like any transaction', async () => {
      const rowId = nextRowId;
      await committedTransaction(client, insertRow());
      const changed = await committedTransaction(client, `UPDATE pts.t SET v = 'changed' WHERE id = ${rowId}`);
      await client.query('SELECT chronicle.revert_transaction($1)', [changed]);
      const { rows: [revert] } = await client.query<{ id: number; stamped: boolean }>(
        `SELECT id::int, committed_at IS NOT NULL AS stamped FROM chronicle.transaction_log
          WHERE session_info -> 'chronicle_reverted' @> to_jsonb($1::bigint)`, [changed]);
      expect(revert.stamped).toBe(true);
      expect(await transactionsAfter(client, `chronicle.cut(${changed})`)).toEqual([revert.id]);
      expect(await inCut(client, `chronicle.cut(${revert.id})`, revert.id)).toBe(true);
    });

    it('a writer that waited for a row lock stamps after the holder committed', async () => {
      const holder = await openSession();
      const waiter = await openSession();
      const rowId = nextRowId;
      await committedTransaction(client, insertRow());
      await holder.query('BEGIN');
      await holder.query(`UPDATE pts.t SET v = 'holder' WHERE id = ${rowId}`);
      const holderId = await ownTransactionId(holder);
      await waiter.query('BEGIN');
      await waiter.query(insertRow()); // its log row exists before the holder commits; its stamp waits for its own commit
      const waiterId = await ownTransactionId(waiter);
      const waiterPid = await backendPid(waiter);
      const waiting = waiter.query(`UPDATE pts.t SET v = 'waiter' WHERE id = ${rowId}`);
      expect(await blockedOnLock(client, waiterPid)).toBe(true);
      await holder.query('COMMIT');
      await waiting;
      await waiter.query('COMMIT');
      const { rows: [order] } = await client.query(
        `SELECT h.committed_at < w.committed_at AS holder_first FROM chronicle.transaction_log AS h, chronicle.transaction_log AS w
          WHERE h.id = $1 AND w.id = $2`, [holderId, waiterId]);
      expect(order.holder_first).toBe(true);
      expect(await inCut(client, `chronicle.cut(${holderId})`, waiterId)).toBe(false);
    });
  });

  describe('the caller\'s own transaction and bad points', () => {
    it('the own uncommitted transaction is after every cut and cannot be a point, also when SET CONSTRAINTS ALL IMMEDIATE stamped it early', async () => {
      await client.query(`SELECT chronicle.set_mark('before-own')`);
      for (const setup of ['', 'SET CONSTRAINTS ALL IMMEDIATE']) {
        await client.query('BEGIN');
        try {
          if (setup) await client.query(setup);
          await client.query(insertRow());
          const own = await ownTransactionId(client);
          const { rows: [stamp] } = await client.query(`SELECT committed_at IS NOT NULL AS stamped FROM chronicle.transaction_log WHERE id = ${own}`);
          expect([setup, stamp.stamped]).toEqual([setup, setup !== '']);
          for (const cutSql of [`chronicle.cut(clock_timestamp())`, `chronicle.cut('before-own')`, `chronicle.cut((SELECT max(id) FROM chronicle.transaction_log WHERE id < ${own}))`]) {
            expect([setup, cutSql, (await transactionsAfter(client, cutSql)).includes(own)]).toEqual([setup, cutSql, true]);
            expect([setup, cutSql, await inCut(client, cutSql, own)]).toEqual([setup, cutSql, false]);
          }
          await client.query('SAVEPOINT point');
          const error = await sqlError(client.query(`SELECT chronicle.cut(${own})`));
          await client.query('ROLLBACK TO SAVEPOINT point');
          expect([setup, error.code, error.message, error.hint]).toEqual(
            [setup, '55000', `transaction ${own} has not committed`, expect.stringMatching(/committed transaction/)]);
        } finally {
          await client.query('ROLLBACK');
        }
      }
    });

    it('another session\'s uncommitted transaction is not a point', async () => {
      const writer = await openSession();
      await writer.query('BEGIN');
      await writer.query(insertRow());
      const running = await ownTransactionId(writer);
      try {
        const error = await sqlError(client.query(`SELECT chronicle.cut(${running})`));
        expect([error.code, error.message, error.hint]).toEqual(
          ['22023', `transaction ${running} is not in chronicle.transaction_log`, expect.stringMatching(/transaction_log id/)]);
      } finally {
        await writer.query('ROLLBACK');
      }
    });

    it.each([
      ['an unknown transaction id', 'SELECT chronicle.cut(999999999)', '22023', /is not in chronicle\.transaction_log/, /transaction_log id/],
      ['an unknown mark', `SELECT chronicle.cut('no-such-mark')`, '42704', /^there is no mark "no-such-mark"$/, HINT_FOR_POINTS],
      ['a transaction id given as text', `SELECT chronicle.cut('4711')`, '42704', /^there is no mark "4711"$/, /as a number.*chronicle\.cut\(4711\)/],
      ['an untyped NULL', 'SELECT chronicle.cut(NULL)', '22004', /is NULL/, HINT_FOR_POINTS],
      ['a NULL text', 'SELECT chronicle.cut(NULL::text)', '22004', /is NULL/, HINT_FOR_POINTS],
      ['a NULL timestamptz', 'SELECT chronicle.cut(NULL::timestamptz)', '22004', /is NULL/, HINT_FOR_POINTS],
      ['a NULL transaction id', 'SELECT chronicle.cut(NULL::bigint)', '22004', /is NULL/, HINT_FOR_POINTS],
      ['a future timestamptz', `SELECT chronicle.cut(now() + interval '1 day')`, '22023', /is in the future/, /now\(\)/],
      ['a future timestamp as text', `SELECT chronicle.cut('2999-01-01')`, '22023', /is in the future/, /now\(\)/],
      ['infinity', `SELECT chronicle.cut('infinity')`, '22023', /is in the future/, /now\(\)/],
    ])('%s is a clear error with SQLSTATE and HINT', async (_what, sql, code, message, hint) => {
      const before = await markCount(client);
      const error = await sqlError(client.query(sql));
      expect([error.code, error.message, error.hint]).toEqual([code, expect.stringMatching(message), expect.stringMatching(hint)]);
      expect(await markCount(client)).toBe(before);
    });
  });

  describe('privileges', () => {
    it('an ordinary role can neither set marks, read chronicle.mark nor resolve cuts', async () => {
      await client.query(`SELECT chronicle.set_mark('for-roles')`);
      const app = await openSession(APP);
      const before = await markCount(client);
      for (const sql of [
        `SELECT chronicle.set_mark('by-app')`, `SELECT chronicle.delete_mark('for-roles')`, 'SELECT * FROM chronicle.mark',
        `SELECT chronicle.cut(now())`, `SELECT chronicle.cut('for-roles')`,
      ]) {
        expect([sql, (await sqlError(app.query(sql))).code]).toEqual([sql, '42501']);
      }
      expect(await markCount(client)).toBe(before);
    });

    it('chronicle_viewer resolves cuts of every kind but cannot set or delete marks; chronicle_admin can', async () => {
      const id = await committedTransaction(client, insertRow());
      const viewer = await openSession(VIEWER);
      const admin = await openSession(ADMIN);
      await admin.query(`SELECT chronicle.set_mark('by-admin')`);
      const { rows: [mark] } = await viewer.query(`SELECT set_by FROM chronicle.mark WHERE name = 'by-admin'`);
      expect(mark.set_by).toBe(ADMIN);
      const later = await committedTransaction(client, insertRow());
      expect(await transactionsAfter(viewer, `chronicle.cut('by-admin')`)).toEqual([later]);
      expect(await transactionsAfter(viewer, `chronicle.cut(${id})`)).toEqual([later]);
      expect(await transactionsAfter(viewer, 'chronicle.cut(now())')).toEqual([]);
      expect(await inCut(viewer, `chronicle.cut('by-admin')`, id)).toBe(true);
      for (const sql of [`SELECT chronicle.set_mark('by-viewer')`, `SELECT chronicle.delete_mark('by-admin')`]) {
        expect([sql, (await sqlError(viewer.query(sql))).code]).toEqual([sql, '42501']);
      }
      await admin.query(`SELECT chronicle.delete_mark('by-admin')`);
      expect((await viewer.query(`SELECT count(*)::int AS n FROM chronicle.mark WHERE name = 'by-admin'`)).rows[0].n).toBe(0);
    });
  });

  it(`upgrading from ${LAST_RELEASE} backfills committed_at of every logged transaction, and new transactions are stamped`, async () => {
    const name = databaseNameFor(__filename, 'upgrade');
    await createDatabase(server, name);
    const old = await connectTo(server, name);
    try {
      await old.query(`CREATE EXTENSION chronicle VERSION '${LAST_RELEASE}'`);
      await old.query(`CREATE TABLE public.u (id integer PRIMARY KEY, v text); SELECT chronicle.create_table_audit('public.u')`);
      const lastLogged = async () => Number((await old.query<{ id: string }>('SELECT max(id) AS id FROM chronicle.transaction_log')).rows[0].id);
      await old.query(`INSERT INTO public.u VALUES (1, 'a')`);
      const single = await lastLogged();
      // statements of one transaction some time apart: the backfill takes the last one's time
      await old.query('BEGIN');
      await old.query(`INSERT INTO public.u VALUES (2, 'b')`);
      await old.query('SELECT pg_sleep(0.05)');
      await old.query(`UPDATE public.u SET v = 'c' WHERE id = 1`);
      await old.query('COMMIT');
      const twoStatements = await lastLogged();
      await old.query(`DELETE FROM public.u WHERE id = 2`);
      const last = await lastLogged();
      expect([single < twoStatements, twoStatements < last]).toEqual([true, true]);

      await old.query('ALTER EXTENSION chronicle UPDATE');
      expect((await old.query(`SELECT extversion FROM pg_extension WHERE extname = 'chronicle'`)).rows[0].extversion).toBe(DEFAULT_VERSION);
      // every row (the audit's own setup included) is stamped at its last statement, or at its
      // start when it logged no statement
      const { rows: backfill } = await old.query(
        `SELECT t.id::int, t.committed_at IS NOT NULL AS stamped,
                t.committed_at = greatest(t.started_at, (SELECT max(e.statement_at) FROM chronicle.table_event_log AS e WHERE e.transaction_id = t.id)) AS at_last_statement,
                t.committed_at > t.started_at AS after_start
           FROM chronicle.transaction_log AS t ORDER BY t.id`);
      expect(backfill.length).toBeGreaterThanOrEqual(3);
      expect(backfill.filter((r) => !r.stamped || !r.at_last_statement)).toEqual([]);
      expect(backfill.find((r) => r.id === twoStatements)?.after_start).toBe(true);

      const fresh = await committedTransaction(old, `INSERT INTO public.u VALUES (3, 'd')`);
      const { rows: [stamped] } = await old.query(
        `SELECT committed_at IS NOT NULL AS stamped, committed_at > (SELECT max(committed_at) FROM chronicle.transaction_log WHERE id < $1) AS latest
           FROM chronicle.transaction_log WHERE id = $1`, [fresh]);
      expect(stamped).toEqual({ stamped: true, latest: true });
      // the backfilled rows are points like any other
      expect(await transactionsAfter(old, `chronicle.cut(${last})`)).toEqual([fresh]);
      expect(await transactionsAfter(old, `chronicle.cut(${single})`)).toEqual([twoStatements, last, fresh]);
    } finally {
      await old.end();
      await dropDatabase(server, name);
    }
  });
});
