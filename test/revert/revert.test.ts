/**
 * revert_transaction / revert_transactions (issue 6), directed cases: each compares the tables
 * after a revert with copies of them taken before the reverted transaction (never with what the
 * revert says it did). Foreign-key chains, triggers, key moves and swaps, types without
 * equality, a 300-column table, conflicts and their options, dry runs, reverting a revert, and
 * bad input (nothing changed, SQLSTATE and HINT).
 */
import type { Client } from 'pg';
import { connectTo, createDatabase, databaseNameFor, dropDatabase, testServers } from '../helpers/database';
import { connectAs, withNotices } from '../helpers/log-state';
import { failure, lastTransaction, tx } from '../helpers/transactions';
import { compressedEntriesTable } from '../helpers/wide-table';
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

async function revert(client: Client, sql: string, params: unknown[] = []): Promise<{ action: string; table_name: string; row_count: string }[]> {
  const { rows } = await client.query(sql, params);
  return rows;
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
  describe('foreign keys and triggers', () => {
    beforeAll(async () => {
      await client.query('CREATE SCHEMA fk');
      await client.query(`CREATE TABLE fk.parent (id integer PRIMARY KEY, name text)`);
      await client.query(`CREATE TABLE fk.child (id integer PRIMARY KEY, parent_id integer NOT NULL REFERENCES fk.parent ON DELETE CASCADE ON UPDATE CASCADE, v text)`);
      await client.query(`CREATE TABLE fk.grandchild (id integer PRIMARY KEY, child_id integer REFERENCES fk.child ON DELETE CASCADE, w text)`);
      await client.query(`CREATE TABLE fk.node (id integer PRIMARY KEY, up integer REFERENCES fk.node ON DELETE CASCADE, label text)`);
      await client.query(`CREATE TABLE fk.deferred_child (id integer PRIMARY KEY, parent_id integer REFERENCES fk.parent ON DELETE CASCADE ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED)`);
      for (const t of ['parent', 'child', 'grandchild', 'node', 'deferred_child']) await client.query(`SELECT chronicle.create_table_audit('fk.${t}')`);
      await tx(client,
        `INSERT INTO fk.parent SELECT i, 'p' || i FROM generate_series(1, 5) AS i`,
        `INSERT INTO fk.child SELECT i, 1 + i % 5, 'c' || i FROM generate_series(1, 15) AS i`,
        `INSERT INTO fk.grandchild SELECT i, 1 + i % 15, 'g' || i FROM generate_series(1, 30) AS i`,
        `INSERT INTO fk.node VALUES (1, NULL, 'root'), (2, 1, 'a'), (3, 2, 'b'), (4, 3, 'c'), (5, 1, 'd')`,
        `INSERT INTO fk.deferred_child SELECT i, 1 + i % 5 FROM generate_series(1, 5) AS i`);
    });

    it('a DELETE cascading over parent, child and grandchild, and a self-referencing cascade, revert: parents come back before children', async () => {
      const before = await copyOf(client, 'fk');
      const x = await tx(client, 'DELETE FROM fk.parent WHERE id IN (1, 2)', 'DELETE FROM fk.node WHERE id = 2');
      expect((await copyOf(client, 'fk'))['fk.grandchild'].length).toBeLessThan(before['fk.grandchild'].length);
      await revert(client, 'SELECT * FROM chronicle.revert_transaction($1)', [x]);
      expect(await copyOf(client, 'fk')).toEqual(before);
    });

    it('inserts of parents and children (children removed before parents), and a key UPDATE cascading to children, revert', async () => {
      const before = await copyOf(client, 'fk');
      const x = await tx(client,
        `INSERT INTO fk.parent VALUES (10, 'ten')`, `INSERT INTO fk.child VALUES (100, 10, 'c100')`, `INSERT INTO fk.grandchild VALUES (1000, 100, 'g')`,
        `INSERT INTO fk.node VALUES (10, 1, 'x'), (11, 10, 'y')`,
        `UPDATE fk.parent SET id = 30 WHERE id = 3`, `UPDATE fk.node SET up = 5 WHERE id = 3`);
      await revert(client, 'SELECT * FROM chronicle.revert_transaction($1)', [x]);
      expect(await copyOf(client, 'fk')).toEqual(before);
    });

    it('a revert that would leave a row of a table it does not revert without its parent is refused (23503, HINT), nothing changed', async () => {
      await client.query('CREATE TABLE fk.unaudited (id integer PRIMARY KEY, parent_id integer REFERENCES fk.parent)');
      const x = await tx(client, `INSERT INTO fk.parent VALUES (50, 'fifty')`);
      await tx(client, 'INSERT INTO fk.unaudited VALUES (1, 50)');
      const before = await copyOf(client, 'fk');
      const error = await failure(client, 'SELECT * FROM chronicle.revert_transaction($1)', [x]);
      expect(error.code).toBe('23503');
      expect(error.hint).toBeTruthy();
      expect(await copyOf(client, 'fk')).toEqual(before);
      await client.query('DROP TABLE fk.unaudited');
    });

    it('application triggers are off during a revert unless kept (keep_triggers); chronicle capture stays on and the triggers are as they were after it', async () => {
      await client.query('CREATE TABLE fk.audit_trail (n serial PRIMARY KEY, what text)');
      await client.query(`CREATE FUNCTION fk.trail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO fk.audit_trail (what) VALUES (TG_NAME || ' ' || TG_OP); RETURN NULL; END $$`);
      await client.query('CREATE TRIGGER app_row AFTER INSERT OR UPDATE OR DELETE ON fk.parent FOR EACH ROW EXECUTE FUNCTION fk.trail()');
      await client.query('CREATE TRIGGER app_kept AFTER INSERT OR UPDATE OR DELETE ON fk.parent FOR EACH STATEMENT EXECUTE FUNCTION fk.trail()');
      await client.query('ALTER TABLE fk.parent ENABLE ALWAYS TRIGGER app_kept');
      const x = await tx(client, `UPDATE fk.parent SET name = 'renamed' WHERE id = 4`);
      await client.query('TRUNCATE fk.audit_trail');
      const triggers = `SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'fk.parent'::regclass AND NOT tgisinternal ORDER BY 1`;
      const states = (await client.query(triggers)).rows;
      const r = await tx(client, `SELECT * FROM chronicle.revert_transaction(${x})`);
      expect((await client.query('SELECT what FROM fk.audit_trail')).rows).toEqual([]);
      expect((await client.query(`SELECT name FROM fk.parent WHERE id = 4`)).rows).toEqual([{ name: 'p4' }]);
      expect((await client.query(triggers)).rows).toEqual(states);
      await tx(client, `SELECT * FROM chronicle.revert_transaction(${r}, keep_triggers => '{app_kept}')`);
      expect((await client.query('SELECT what FROM fk.audit_trail')).rows).toEqual([{ what: 'app_kept UPDATE' }]);
      expect((await client.query(`SELECT name FROM fk.parent WHERE id = 4`)).rows).toEqual([{ name: 'renamed' }]);
      expect((await client.query(triggers)).rows).toEqual(states);
      await client.query('DROP TRIGGER app_row ON fk.parent; DROP TRIGGER app_kept ON fk.parent');
    });
  });

  describe('keys, types and wide rows', () => {
    it('key moves along a chain (50 -> 51 -> 52 in one statement, undone in two waves), a key swap over two statements, and a composite key revert', async () => {
      await client.query('CREATE SCHEMA keys');
      await client.query('CREATE TABLE keys.t (id integer PRIMARY KEY, v text)');
      await client.query('CREATE TABLE keys.c (a integer, b text, v integer, PRIMARY KEY (a, b))');
      await client.query(`SELECT chronicle.create_table_audit('keys.t'), chronicle.create_table_audit('keys.c')`);
      await tx(client, `INSERT INTO keys.t SELECT i, 'v' || i FROM generate_series(1, 10) AS i`, `INSERT INTO keys.c VALUES (1, 'x', 1), (1, 'y', 2)`);
      const before = await copyOf(client, 'keys');
      const x = await tx(client,
        // a sequential scan meets 51 before 50 (inserted in that order), so 51 -> 52 frees 51 for 50 -> 51
        'SET LOCAL enable_indexscan = off', 'SET LOCAL enable_bitmapscan = off',
        `INSERT INTO keys.t VALUES (51, 'v51'), (50, 'v50')`,
        `UPDATE keys.t SET id = id + 1 WHERE id IN (50, 51)`,
        `UPDATE keys.t SET id = 100 WHERE id = 1`, `UPDATE keys.t SET id = 1 WHERE id = 2`, `UPDATE keys.t SET id = 2, v = 'moved' WHERE id = 100`,
        `UPDATE keys.c SET b = 'z' WHERE b = 'x'`, `UPDATE keys.c SET a = 2, v = 20 WHERE b = 'y'`);
      const { rows } = await client.query(`SELECT count(*)::integer AS n FROM chronicle.row_log r JOIN chronicle.table_event_log e ON e.id = r.event_id WHERE e.transaction_id = $1 AND r.old_data ? 'id' AND r.row_key = '{"id": 52}'`, [x]);
      expect(rows[0].n).toBe(1);
      await revert(client, 'SELECT * FROM chronicle.revert_transaction($1)', [x]);
      expect(await copyOf(client, 'keys')).toEqual(before);
    });

    it('json, xml, point, float -0, arrays with other bounds, numeric scale, and a 300-column table revert exactly', async () => {
      await client.query('CREATE SCHEMA types');
      await client.query(`CREATE TABLE types.t (id integer PRIMARY KEY, j json, x xml, p point, f double precision, a integer[], n numeric, r int4range, ts timestamptz, b bytea, gen text GENERATED ALWAYS AS (n::text || '!') STORED, ident integer GENERATED ALWAYS AS IDENTITY)`);
      const cols = Array.from({ length: 300 }, (_, i) => `c${i} ${['integer', 'text', 'jsonb', 'numeric'][i % 4]}`).join(', ');
      await client.query(`CREATE TABLE types.wide (id integer PRIMARY KEY, ${cols})`);
      await client.query(`SELECT chronicle.create_table_audit('types.t'), chronicle.create_table_audit('types.wide')`);
      await tx(client,
        `INSERT INTO types.t (id, j, x, p, f, a, n, r, ts, b) VALUES (1, '{"b": 1, "a": [1, 2]}', '<a x="1">t</a>', '(1,2)', '-0', '[0:1]={5,6}', 1.50, '[1,5)', '2020-01-01 00:00:00.123456+05:30', '\\x00ff'), (2, '[]', '<b/>', '(0,0)', 'NaN', '{1}', 2, 'empty', 'infinity', '')`,
        `INSERT INTO types.wide (id, c0, c1, c2, c3, c299) SELECT i, i, 't' || i, jsonb_build_object('i', i), i * 1.5, i FROM generate_series(1, 20) AS i`);
      const before = await copyOf(client, 'types');
      const x = await tx(client,
        `UPDATE types.t SET j = '{"c": 3}', x = '<c/>', p = '(9,9)', f = 0, a = '{5,6}', n = 1.500, r = '[2,3)', ts = now(), b = '\\x01' WHERE id = 1`,
        `DELETE FROM types.t WHERE id = 2`,
        `UPDATE types.wide SET c1 = 'changed', c297 = 'x', c150 = '{}' WHERE id <= 10`, `DELETE FROM types.wide WHERE id > 15`);
      await revert(client, 'SELECT * FROM chronicle.revert_transaction($1)', [x]);
      expect(await copyOf(client, 'types')).toEqual(before);
    });
    it('a wide table whose entries are stored compressed reverts exactly, UPDATE of every column and DELETE', async () => {
      // each entry's old_data is read once into memory however many columns are read from it
      const large = compressedEntriesTable('large.t');
      await client.query(`CREATE SCHEMA large; ${large.create}`);
      await tx(client, large.insert(30));
      const before = await copyOf(client, 'large');
      const x = await tx(client, large.updateAll('id <= 20'), 'DELETE FROM large.t WHERE id > 10');
      const { rows } = await client.query(
        `SELECT e.operation::text AS op, pg_catalog.bool_and(pg_catalog.pg_column_compression(r.old_data) IS NOT NULL) AS compressed,
                pg_catalog.min(pg_catalog.jsonb_array_length(pg_catalog.jsonb_path_query_array(r.old_data, '$.keyvalue()'))) AS columns
           FROM chronicle.row_log AS r JOIN chronicle.table_event_log AS e ON e.id = r.event_id
          WHERE e.transaction_id = $1 GROUP BY 1 ORDER BY 1`, [x]);
      expect(rows).toEqual([{ op: 'DELETE', compressed: true, columns: 61 }, { op: 'UPDATE', compressed: true, columns: 60 }]);
      await revert(client, 'SELECT * FROM chronicle.revert_transaction($1)', [x]);
      expect(await copyOf(client, 'large')).toEqual(before);
    });
  });

  describe('conflicts', () => {
    let before: Record<string, string[]>;
    let x: number;
    let y: number;
    let z: number;

    beforeAll(async () => {
      await client.query('CREATE SCHEMA conflicts');
      await client.query('CREATE TABLE conflicts.t (id integer PRIMARY KEY, a integer, b integer)');
      await client.query(`SELECT chronicle.create_table_audit('conflicts.t')`);
      await tx(client, 'INSERT INTO conflicts.t SELECT i, i, i FROM generate_series(1, 10) AS i');
      before = await copyOf(client, 'conflicts');
      x = await tx(client, 'UPDATE conflicts.t SET a = -a WHERE id <= 3', 'DELETE FROM conflicts.t WHERE id = 10');
      y = await tx(client, 'UPDATE conflicts.t SET b = 100 WHERE id = 1'); // other columns: no conflict
      z = await tx(client, 'UPDATE conflicts.t SET a = 42 WHERE id = 2', `INSERT INTO conflicts.t VALUES (10, 0, 0)`);
    });

    it('a later UPDATE of the same columns, or a later INSERT of a deleted key, is refused by default: the error lists rows and transactions, nothing changes', async () => {
      const now = await copyOf(client, 'conflicts');
      const error = await failure(client, 'SELECT * FROM chronicle.revert_transaction($1)', [x]);
      expect(error.code).toBe('55000');
      expect(error.message).toContain(`later transactions {${z}}`);
      expect(error.detail).toContain(`conflicts.t row {"id": 2}: reverted transaction ${x} (UPDATE), later transaction ${z} (UPDATE)`);
      expect(error.detail).toContain(`conflicts.t row {"id": 10}: reverted transaction ${x} (DELETE), later transaction ${z} (INSERT)`);
      expect(error.detail).not.toContain(`transaction ${y}`);
      expect(error.hint).toMatch(/include_later/);
      expect(await copyOf(client, 'conflicts')).toEqual(now);
    });

    it('dry_run returns the planned changes, and changes nothing', async () => {
      const now = await copyOf(client, 'conflicts');
      const plan = await revert(client, 'SELECT reverted_transaction_id::integer AS t, table_name::text, action, row_count::integer AS n FROM chronicle.revert_transaction($1, include_later => true, dry_run => true)', [x]);
      expect(plan).toEqual([
        { t: z, table_name: 'conflicts.t', action: 'DELETE', n: 1 }, { t: z, table_name: 'conflicts.t', action: 'UPDATE', n: 1 },
        { t: x, table_name: 'conflicts.t', action: 'INSERT', n: 1 }, { t: x, table_name: 'conflicts.t', action: 'UPDATE', n: 3 },
      ]);
      expect(await copyOf(client, 'conflicts')).toEqual(now);
    });

    it('force sets back only the reverted transaction\'s columns where both are UPDATEs of a row, but still refuses a deleted key inserted again', async () => {
      const error = await failure(client, 'SELECT * FROM chronicle.revert_transaction($1, force => true)', [x]);
      expect(error.code).toBe('55000');
      expect(error.detail).toContain('{"id": 10}');
      expect(error.detail).not.toContain('{"id": 2}');
      const w = await tx(client, 'UPDATE conflicts.t SET a = 500 WHERE id = 5');
      await tx(client, 'UPDATE conflicts.t SET a = 501, b = 501 WHERE id = 5');
      expect((await failure(client, 'SELECT * FROM chronicle.revert_transaction($1)', [w])).code).toBe('55000');
      await revert(client, 'SELECT * FROM chronicle.revert_transaction($1, force => true)', [w]);
      expect((await client.query('SELECT a, b FROM conflicts.t WHERE id = 5')).rows).toEqual([{ a: 5, b: 501 }]);
      await client.query('UPDATE conflicts.t SET b = 5 WHERE id = 5');
    });

    it('include_later reverts the later conflicting transactions too, newest first, and leaves the UPDATE of other columns', async () => {
      await revert(client, 'SELECT * FROM chronicle.revert_transaction($1, include_later => true)', [x]);
      const { rows } = await client.query('SELECT id, a, b FROM conflicts.t WHERE id <= 3 ORDER BY id');
      expect(rows).toEqual([{ id: 1, a: 1, b: 100 }, { id: 2, a: 2, b: 2 }, { id: 3, a: 3, b: 3 }]);
      const r = await lastTransaction(client);
      const { rows: [info] } = await client.query('SELECT session_info FROM chronicle.transaction_log WHERE id = $1', [r]);
      expect(info.session_info).toEqual({ chronicle_reverted: [x, z] });
      // and y, then everything, back to the start
      await revert(client, 'SELECT * FROM chronicle.revert_transaction($1)', [y]);
      expect(await copyOf(client, 'conflicts')).toEqual(before);
    });
  });

  it('a later UPDATE logged without old data is a conflict even on other columns: its columns are unknown', async () => {
    await client.query('CREATE SCHEMA blind');
    await client.query('CREATE TABLE blind.t (id integer PRIMARY KEY, a integer, b integer)');
    await client.query(`SELECT chronicle.create_table_audit('blind.t')`);
    await tx(client, 'INSERT INTO blind.t VALUES (1, 1, 1)');
    const x = await tx(client, 'UPDATE blind.t SET a = 2 WHERE id = 1');
    await client.query(`SELECT chronicle.create_table_audit('blind.t', log_old_data => false)`);
    const y = await tx(client, 'UPDATE blind.t SET b = 2 WHERE id = 1');
    const error = await failure(client, 'SELECT * FROM chronicle.revert_transaction($1, force => true)', [x]);
    expect([error.code, error.message]).toEqual(['55000', expect.stringContaining(`later transactions {${y}}`)]);
    expect((await client.query('SELECT a, b FROM blind.t')).rows).toEqual([{ a: 2, b: 2 }]);
  });

  describe('bad input: a clear error (SQLSTATE, HINT) and nothing changed', () => {
    let x: number;
    let before: Record<string, string[]>;

    beforeAll(async () => {
      await client.query('CREATE SCHEMA bad');
      await client.query('CREATE TABLE bad.t (id integer PRIMARY KEY, v text)');
      await client.query('CREATE TABLE bad.gone (id integer PRIMARY KEY)');
      await client.query('CREATE TABLE bad.no_old (id integer PRIMARY KEY, v text)');
      await client.query(`SELECT chronicle.create_table_audit('bad.t'), chronicle.create_table_audit('bad.gone'), chronicle.create_table_audit('bad.no_old', log_old_data => false)`);
      x = await tx(client, `INSERT INTO bad.t VALUES (1, 'one')`);
      before = await copyOf(client, 'bad');
    });

    const cases: [string, () => string, string, RegExp][] = [
      ['an unknown transaction', () => 'SELECT * FROM chronicle.revert_transaction(999999)', '22023', /unknown transaction: 999999/],
      ['NULL', () => 'SELECT * FROM chronicle.revert_transaction(NULL)', '22004', /NULL/],
      ['an empty list', () => `SELECT * FROM chronicle.revert_transactions('{}'::bigint[])`, '22004', /empty/],
      ['an empty range', () => 'SELECT * FROM chronicle.revert_transactions(5, 4)', '22023', /no transaction to revert/],
    ];
    it.each(cases)('%s', async (_what, sql, code, message) => {
      const error = await failure(client, sql());
      expect([error.code, error.message]).toEqual([code, expect.stringMatching(message)]);
      expect(error.hint).toBeTruthy();
      expect(await copyOf(client, 'bad')).toEqual(before);
    });

    it('an already reverted transaction', async () => {
      await revert(client, 'SELECT * FROM chronicle.revert_transaction($1)', [x]);
      const after = await copyOf(client, 'bad');
      const error = await failure(client, 'SELECT * FROM chronicle.revert_transaction($1)', [x]);
      expect([error.code, error.message]).toEqual(['55000', expect.stringMatching(`already reverted: transaction ${x} \\(reverted by transaction`)]);
      expect(error.hint).toMatch(/revert the revert/);
      expect(await copyOf(client, 'bad')).toEqual(after);
    });

    it('a transaction on a table no longer audited, even with other tables', async () => {
      const y = await tx(client, 'INSERT INTO bad.gone VALUES (1)', `INSERT INTO bad.t VALUES (2, 'two')`);
      await client.query(`SELECT chronicle.drop_table_audit('bad.gone')`);
      const now = await copyOf(client, 'bad');
      const error = await failure(client, 'SELECT * FROM chronicle.revert_transaction($1)', [y]);
      expect([error.code, error.message]).toEqual(['55000', expect.stringMatching(/no longer audited: bad.gone/)]);
      expect(error.hint).toMatch(/create_table_audit/);
      expect(await copyOf(client, 'bad')).toEqual(now);
    });

    it('an UPDATE or DELETE of a table audited without old data; an INSERT there is revertable', async () => {
      const i = await tx(client, `INSERT INTO bad.no_old VALUES (1, 'a'), (2, 'b')`);
      const u = await tx(client, `UPDATE bad.no_old SET v = 'c' WHERE id = 1`, `INSERT INTO bad.t VALUES (3, 'three')`);
      const now = await copyOf(client, 'bad');
      const error = await failure(client, 'SELECT * FROM chronicle.revert_transaction($1)', [u]);
      expect([error.code, error.message]).toEqual(['55000', expect.stringMatching(/log_old_data => false/)]);
      expect(error.hint).toBeTruthy();
      expect(await copyOf(client, 'bad')).toEqual(now);
      await client.query(`DELETE FROM bad.no_old WHERE id = 1`);
      await client.query(`SELECT chronicle.create_table_audit('bad.no_old', log_old_data => true)`);
      // the INSERT of row 2 (row 1 was deleted later: a conflict)
      expect((await failure(client, 'SELECT * FROM chronicle.revert_transaction($1)', [i])).code).toBe('55000');
    });

    it('a change made without being logged: the row a revert needs is gone', async () => {
      const y = await tx(client, `INSERT INTO bad.t VALUES (4, 'four')`);
      await client.query(`SET session_replication_role = replica; DELETE FROM bad.t WHERE id = 4; SET session_replication_role = origin`);
      const now = await copyOf(client, 'bad');
      const error = await failure(client, 'SELECT * FROM chronicle.revert_transaction($1)', [y]);
      expect([error.code, error.message]).toEqual(['55000', expect.stringMatching(/1 of its 1 rows are not as it left them/)]);
      expect(error.hint).toMatch(/without being logged/);
      expect(await copyOf(client, 'bad')).toEqual(now);
    });

    it('a transaction holding an event other than a data change (DDL, from a later version) is refused whole, with a HINT', async () => {
      await client.query(`ALTER TYPE chronicle.event_operation ADD VALUE IF NOT EXISTS 'TEST DDL'`);
      const y = await tx(client, `INSERT INTO bad.t VALUES (5, 'five')`);
      await client.query(`INSERT INTO chronicle.table_event_log (transaction_id, table_id, operation, statement_order) SELECT $1, table_id, 'TEST DDL', 0 FROM chronicle.audited_tables WHERE audited_table = 'bad.t'::regclass`, [y]);
      const now = await copyOf(client, 'bad');
      const error = await failure(client, 'SELECT * FROM chronicle.revert_transaction($1)', [y]);
      expect([error.code, error.message]).toEqual(['0A000', expect.stringMatching(/transaction \d+: TEST DDL cannot be undone/)]);
      expect(error.hint).toMatch(/can be reverted.*Nothing was changed/);
      expect(await copyOf(client, 'bad')).toEqual(now);
    });

    it('only chronicle_admin (and superusers) may revert; chronicle_viewer reads revert_log, other roles do not', async () => {
      await client.query('CREATE ROLE revert_nobody LOGIN');
      await client.query('GRANT USAGE ON SCHEMA chronicle TO revert_nobody');
      await client.query('SET ROLE revert_nobody');
      try {
        expect((await failure(client, 'SELECT * FROM chronicle.revert_transaction($1)', [x])).code).toBe('42501');
        expect((await failure(client, 'SELECT * FROM chronicle.revert_transactions(ARRAY[$1::bigint])', [x])).code).toBe('42501');
        expect((await failure(client, 'SELECT * FROM chronicle.revert_log')).code).toBe('42501');
        await client.query('RESET ROLE');
        await client.query('GRANT chronicle_viewer TO revert_nobody');
        await client.query('SET ROLE revert_nobody');
        expect((await client.query('SELECT * FROM chronicle.revert_log WHERE reverted_transaction_id = $1', [x])).rows).toHaveLength(1);
        expect((await failure(client, 'SELECT * FROM chronicle.revert_transaction($1)', [x])).code).toBe('42501');
      } finally {
        await client.query('RESET ROLE');
        await client.query('REVOKE USAGE ON SCHEMA chronicle FROM revert_nobody');
        await client.query('DROP ROLE revert_nobody');
      }
    });
  });
  it('writes each table as its owner, whoever reverts: the table\'s own code never runs with a superuser\'s rights; DDL only for superusers', async () => {
    await client.query(`DROP ROLE IF EXISTS rv_owner; DROP ROLE IF EXISTS rv_admin;
      CREATE ROLE rv_owner; CREATE ROLE rv_admin LOGIN; GRANT chronicle_admin TO rv_admin;
      CREATE SCHEMA owned AUTHORIZATION rv_owner`);
    // The owner's CHECK constraint records whose rights it runs with, tries to make its owner a
    // superuser (that works only if it runs as one), and makes the function the revert writes
    // through run as whoever calls it (the revert, a superuser) the next time.
    await client.query(`SET ROLE rv_owner;
      CREATE TABLE owned.seen (who name, superuser boolean);
      CREATE FUNCTION owned.note() RETURNS boolean LANGUAGE plpgsql AS $note$
      BEGIN
          INSERT INTO owned.seen SELECT current_user, r.rolsuper FROM pg_roles AS r WHERE r.rolname = current_user;
          BEGIN
              EXECUTE 'ALTER ROLE rv_owner SUPERUSER';
          EXCEPTION WHEN insufficient_privilege THEN NULL;
          END;
          EXECUTE format($f$CREATE OR REPLACE FUNCTION pg_temp.%I(statement text, event_id bigint, key_columns text[], keys jsonb[],
                  returns_keys boolean, OUT row_count bigint, OUT returned jsonb[]) LANGUAGE plpgsql SECURITY INVOKER AS $b$
              BEGIN PERFORM owned.note(); EXECUTE statement USING event_id, key_columns, keys; GET DIAGNOSTICS row_count = ROW_COUNT; END $b$$f$,
              'chronicle_revert_as_' || (SELECT r.oid FROM pg_roles AS r WHERE r.rolname = 'rv_owner'));
          RETURN true;
      END $note$;
      CREATE TABLE owned.t (id integer PRIMARY KEY, v integer CHECK (owned.note()));
      CREATE TABLE owned.p (id integer PRIMARY KEY) PARTITION BY RANGE (id);
      RESET ROLE;
      CREATE TABLE owned.p1 PARTITION OF owned.p FOR VALUES FROM (0) TO (100);
      CREATE TABLE owned.other (id integer PRIMARY KEY);
      CREATE TABLE owned.gone (id integer PRIMARY KEY)`);
    await client.query(`SELECT chronicle.create_table_audit(t) FROM unnest('{owned.t, owned.p, owned.other, owned.gone}'::regclass[]) AS t`);
    await tx(client, 'SET LOCAL ROLE rv_owner', 'INSERT INTO owned.t VALUES (1, 1), (2, 1)');
    // two statements: the revert writes through the function twice
    const changed = await tx(client, 'SET LOCAL ROLE rv_owner', 'UPDATE owned.t SET v = 2 WHERE id = 1', 'DELETE FROM owned.t WHERE id = 2');
    const partitioned = await tx(client, 'SET LOCAL ROLE rv_owner', 'INSERT INTO owned.p VALUES (1)');
    const altered = await tx(client, 'ALTER TABLE owned.other ADD COLUMN w integer');
    const dropped = await tx(client, 'DROP TABLE owned.gone');
    await client.query('TRUNCATE owned.seen');
    const seen = async () => (await client.query('SELECT who::text, superuser FROM owned.seen')).rows;
    const rows = async (table: string) => (await client.query(`SELECT * FROM ${table} ORDER BY id`)).rows;
    const leftovers = async () => (await client.query(
      "SELECT count(*)::int AS n FROM pg_class WHERE relname = 'chronicle_revert_entries' UNION ALL SELECT count(*)::int FROM pg_proc WHERE proname LIKE 'chronicle_revert_as_%'",
    )).rows.map((r) => r.n);
    const admin = await connectAs(server, database, 'rv_admin');
    try {
      // an admin that is not the owner (nor a member of it) reverts, having made a function of the
      // name the revert uses, to run as the revert; the CHECK runs as the owner, every time
      await admin.query(`CREATE FUNCTION pg_temp.chronicle_revert_as_${(await client.query("SELECT oid FROM pg_roles WHERE rolname = 'rv_owner'")).rows[0].oid}(
          statement text, event_id bigint, key_columns text[], keys jsonb[], returns_keys boolean, OUT row_count bigint, OUT returned jsonb[])
        LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'planted function called'; END $$`);
      // (and tells the client nothing about the temporary objects it makes and drops)
      const { notices } = await withNotices(admin, () => admin.query('SELECT * FROM chronicle.revert_transaction($1)', [changed]));
      expect(notices.map((n) => n.message)).toEqual([]);
      expect(await rows('owned.t')).toEqual([{ id: 1, v: 1 }, { id: 2, v: 1 }]);
      expect(await seen()).toEqual([{ who: 'rv_owner', superuser: false }, { who: 'rv_owner', superuser: false }]);
      // through a partitioned table's owner into a partition of another owner
      await admin.query('SELECT * FROM chronicle.revert_transaction($1)', [partitioned]);
      expect(await rows('owned.p')).toEqual([]);
      // a superuser's revert writes as the owner too
      await client.query('TRUNCATE owned.seen');
      const again = await tx(client, 'SET LOCAL ROLE rv_owner', 'DELETE FROM owned.t WHERE id = 1');
      await client.query('SELECT * FROM chronicle.revert_transaction($1)', [again]);
      expect(await seen()).toEqual([{ who: 'rv_owner', superuser: false }]);
      expect((await client.query("SELECT rolsuper FROM pg_roles WHERE rolname = 'rv_owner'")).rows).toEqual([{ rolsuper: false }]);
      // the temporary function and view the writes went through are gone
      expect(await leftovers()).toEqual([0, 0]);

      // DDL is undone with a superuser's rights: refused to others, dry runs allowed
      for (const [transaction, label] of [[altered, 'ADD COLUMN'], [dropped, 'DROP TABLE']] as const) {
        const refused = await failure(admin, 'SELECT * FROM chronicle.revert_transaction($1)', [transaction]);
        expect([label, refused.code, refused.message, refused.hint]).toEqual([label, '42501',
          'cannot revert: the transactions changed table structures, and only a superuser may undo that', expect.stringContaining('Nothing was changed.')]);
        expect((await admin.query('SELECT * FROM chronicle.revert_transaction($1, dry_run => true)', [transaction])).rows).toHaveLength(1);
      }
      expect(await client.query("SELECT to_regclass('owned.gone') AS t")).toMatchObject({ rows: [{ t: null }] });
      expect((await client.query("SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = 'owned.other'::regclass AND attname = 'w'")).rows).toEqual([{ n: 1 }]);
    } finally {
      await admin.end();
      await client.query(`DROP SCHEMA owned CASCADE; REVOKE ALL ON SCHEMA chronicle FROM rv_admin;
        DROP OWNED BY rv_admin; DROP ROLE rv_admin; DROP OWNED BY rv_owner; DROP ROLE rv_owner`);
    }
  });

  it('refuses a table that forces row-level security on its owner (as whom it writes), with a HINT that works', async () => {
    await client.query(`DROP ROLE IF EXISTS rv_rls; CREATE ROLE rv_rls;
      CREATE SCHEMA rls; CREATE TABLE rls.t (id integer PRIMARY KEY, tenant integer);
      ALTER TABLE rls.t OWNER TO rv_rls;
      ALTER TABLE rls.t ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
      CREATE POLICY only_one ON rls.t USING (tenant = 1);
      SELECT chronicle.create_table_audit('rls.t')`);
    try {
      await tx(client, 'INSERT INTO rls.t VALUES (1, 1), (2, 2)');
      const deleted = await tx(client, 'DELETE FROM rls.t');
      // the owner cannot even name its table
      const unusable = await failure(client, 'SELECT * FROM chronicle.revert_transaction($1)', [deleted]);
      expect([unusable.code, unusable.message, unusable.hint]).toEqual(['42501',
        'cannot revert: the revert writes each table as its owner, and rv_rls may not use schema rls of rls.t', expect.stringMatching(/^GRANT USAGE/)]);
      await client.query('GRANT USAGE ON SCHEMA rls TO rv_rls');
      const error = await failure(client, 'SELECT * FROM chronicle.revert_transaction($1)', [deleted]);
      expect([error.code, error.message]).toEqual(['55000', 'cannot revert: row-level security is forced on the owner of rls.t (owned by rv_rls), as whom the revert writes']);
      expect(error.hint).toMatch(/NO FORCE ROW LEVEL SECURITY.*Nothing was changed/);
      expect((await client.query('SELECT count(*)::int AS n FROM rls.t')).rows).toEqual([{ n: 0 }]);
      // what the HINT says
      await client.query('BEGIN');
      await client.query('ALTER TABLE rls.t NO FORCE ROW LEVEL SECURITY');
      await client.query('SELECT * FROM chronicle.revert_transaction($1)', [deleted]);
      await client.query('ALTER TABLE rls.t FORCE ROW LEVEL SECURITY');
      await client.query('COMMIT');
      expect((await client.query('SELECT id, tenant FROM rls.t ORDER BY id')).rows).toEqual([{ id: 1, tenant: 1 }, { id: 2, tenant: 2 }]);
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
      await client.query('DROP SCHEMA rls CASCADE; DROP OWNED BY rv_rls; DROP ROLE rv_rls');
    }
  });

  it('turns foreign-key triggers off for the revert only: in the same transaction afterwards, session_replication_role is back and a foreign key is enforced again', async () => {
    await client.query('CREATE SCHEMA role_back');
    await client.query('CREATE TABLE role_back.p (id integer PRIMARY KEY)');
    await client.query('CREATE TABLE role_back.c (id integer PRIMARY KEY, p integer REFERENCES role_back.p)');
    await client.query(`SELECT chronicle.create_table_audit('role_back.p'), chronicle.create_table_audit('role_back.c')`);
    await tx(client, 'INSERT INTO role_back.p VALUES (1)');
    const added = await tx(client, 'INSERT INTO role_back.c VALUES (10, 1)');
    await client.query('BEGIN');
    try {
      await client.query('SELECT * FROM chronicle.revert_transaction($1)', [added]);
      const { rows: [role] } = await client.query('SHOW session_replication_role');
      expect(role.session_replication_role).toBe('origin');
      const error = await failure(client, 'INSERT INTO role_back.c VALUES (11, 2)');
      expect(error.code).toBe('23503');
    } finally {
      await client.query('ROLLBACK');
    }
  });
});
