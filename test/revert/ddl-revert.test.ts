/**
 * revert_transaction(s) across DDL (issue 6, item 4), directed cases: each DDL kind undone, with
 * the values the log holds written back; mixed DDL and DML in one transaction; refusals (SQLSTATE,
 * HINT, nothing changed); conflicts of later transactions with a changed structure; reverting the
 * revert; dry runs. Every case compares the schema (tables, their columns with type, NOT NULL and
 * default, and their rows as jsonb, so column order does not matter) with a copy taken before.
 */
import type { Client } from 'pg';
import { connectTo, createDatabase, databaseNameFor, dropDatabase, testServers } from '../helpers/database';
import { failure, lastTransaction, tx } from '../helpers/transactions';
import type { ServerInfo } from '../helpers/servers/types';

interface TableState { columns: string[]; rows: string[] }

/** every table of the schema: its columns (name, type, NOT NULL, default) and its rows as jsonb */
async function stateOf(client: Client, schema: string, withDefaults = true): Promise<Record<string, TableState>> {
  const { rows: tables } = await client.query<{ t: string; oid: number }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS t, c.oid::int AS oid FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY 1`, [schema],
  );
  const out: Record<string, TableState> = {};
  for (const { t, oid } of tables) {
    const { rows: columns } = await client.query<{ c: string }>(
      `SELECT format('%s %s%s%s', a.attname, format_type(a.atttypid, a.atttypmod), CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END,
                     CASE WHEN $2 THEN coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '') ELSE '' END) AS c
         FROM pg_attribute AS a LEFT JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attname`, [oid, withDefaults],
    );
    const { rows } = await client.query<{ r: string }>(`SELECT to_jsonb(r)::text AS r FROM ${t} AS r`);
    out[t] = { columns: columns.map((c) => c.c), rows: rows.map((r) => r.r).sort() };
  }
  return out;
}

interface RevertRow { reverted_transaction_id: string; action: string; table_name: string | null; row_count: string }

async function revert(client: Client, id: number, options = ''): Promise<RevertRow[]> {
  const { rows } = await client.query<RevertRow>(`SELECT * FROM chronicle.revert_transaction($1${options})`, [id]);
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

  /** a fresh audited schema with table t (id, a text, b numeric(10,2) NOT NULL DEFAULT 0, c jsonb) of 30 rows */
  async function setup(schema: string): Promise<void> {
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(`CREATE TABLE ${schema}.t (id integer PRIMARY KEY, a text, b numeric(10,2) NOT NULL DEFAULT 0, c jsonb)`);
    await client.query(`SELECT chronicle.create_table_audit('${schema}.t')`);
    await tx(client, `INSERT INTO ${schema}.t SELECT i, CASE WHEN i % 7 = 0 THEN NULL ELSE 'a' || i END, i * 1.25,
                                                    CASE WHEN i % 5 = 0 THEN NULL ELSE jsonb_build_object('i', i) END
                      FROM generate_series(1, 30) AS i`);
  }

  /** reverts x, checks the state is `before`; reverts the revert, checks the state is `after` */
  async function roundTrip(schema: string, x: number, before: Record<string, TableState>, after: Record<string, TableState>): Promise<RevertRow[]> {
    const result = await revert(client, x);
    expect(await stateOf(client, schema)).toEqual(before);
    const r = await lastTransaction(client);
    await revert(client, r);
    expect(await stateOf(client, schema)).toEqual(after);
    return result;
  }

  it('ADD COLUMN: the column goes (with the values later statements of the transaction wrote); reverting the revert brings it back with them', async () => {
    await setup('add');
    const before = await stateOf(client, 'add');
    const x = await tx(client, `ALTER TABLE add.t ADD COLUMN d integer NOT NULL DEFAULT 7`, `UPDATE add.t SET d = id * 3 WHERE id % 2 = 0`,
      `ALTER TABLE add.t ADD COLUMN e text`);
    const after = await stateOf(client, 'add');
    expect(after['add.t'].columns).toContain('d integer NOT NULL DEFAULT 7');
    const result = await roundTrip('add', x, before, after);
    expect(result.map((r) => [r.action, r.table_name, Number(r.row_count)])).toEqual([
      ['DROP COLUMN', 'add.t', 0], ['UPDATE', 'add.t', 15], ['DROP COLUMN', 'add.t', 0],
    ]);
  });

  it('DROP COLUMN: the column comes back with its type, default, NOT NULL and every value; reverting the revert drops it again', async () => {
    await setup('dropcol');
    const before = await stateOf(client, 'dropcol');
    const x = await tx(client, `ALTER TABLE dropcol.t DROP COLUMN b, DROP COLUMN c`);
    const after = await stateOf(client, 'dropcol');
    const result = await roundTrip('dropcol', x, before, after);
    expect(result.map((r) => [r.action, Number(r.row_count)])).toEqual([['ADD COLUMN', 30], ['ADD COLUMN', 30]]);
    // and again: the revert of the revert of the revert
    await revert(client, await lastTransaction(client));
    expect(await stateOf(client, 'dropcol')).toEqual(before);
  });

  it('RENAME COLUMN, RENAME TABLE and SET SCHEMA are undone, with DML between them', async () => {
    await setup('ren');
    await client.query('CREATE SCHEMA ren2');
    const before = { ...(await stateOf(client, 'ren')), ...(await stateOf(client, 'ren2')) };
    const x = await tx(client, `ALTER TABLE ren.t RENAME COLUMN a TO "A x"`, `UPDATE ren.t SET "A x" = 'z' WHERE id < 4`,
      `ALTER TABLE ren.t RENAME TO "T 2"`, `DELETE FROM ren."T 2" WHERE id > 25`, `ALTER TABLE ren."T 2" SET SCHEMA ren2`,
      `INSERT INTO ren2."T 2" (id, "A x", b) VALUES (100, 'new', 1)`);
    const after = { ...(await stateOf(client, 'ren')), ...(await stateOf(client, 'ren2')) };
    expect(Object.keys(after)).toEqual(['ren2."T 2"']);
    const result = await revert(client, x);
    expect(result.map((r) => r.action)).toEqual(['DELETE', 'SET SCHEMA', 'INSERT', 'RENAME TABLE', 'UPDATE', 'RENAME COLUMN']);
    expect({ ...(await stateOf(client, 'ren')), ...(await stateOf(client, 'ren2')) }).toEqual(before);
    await revert(client, await lastTransaction(client));
    expect({ ...(await stateOf(client, 'ren')), ...(await stateOf(client, 'ren2')) }).toEqual(after);
  });

  it('ALTER COLUMN TYPE: the old type and the exact old values come back where the cast lost them', async () => {
    await setup('retype');
    const before = await stateOf(client, 'retype');
    const x = await tx(client, `ALTER TABLE retype.t ALTER COLUMN b TYPE integer USING round(b)::integer`,
      `ALTER TABLE retype.t ALTER COLUMN a TYPE varchar(2) USING left(a, 2)`, `UPDATE retype.t SET b = b + 1 WHERE id = 1`);
    const after = await stateOf(client, 'retype');
    expect(after['retype.t'].columns).toContain('b integer NOT NULL DEFAULT 0');
    const result = await roundTrip('retype', x, before, after);
    expect(result.map((r) => [r.action, Number(r.row_count)])).toEqual([['UPDATE', 1], ['ALTER COLUMN TYPE', 30], ['ALTER COLUMN TYPE', 30]]);
  });

  it('SET/DROP DEFAULT and SET/DROP NOT NULL, identity added, are undone', async () => {
    await setup('attr');
    const before = await stateOf(client, 'attr');
    const x = await tx(client, `ALTER TABLE attr.t ALTER COLUMN b DROP DEFAULT, ALTER COLUMN b DROP NOT NULL, ALTER COLUMN a SET DEFAULT 'x'`,
      `UPDATE attr.t SET a = coalesce(a, 'n')`, `ALTER TABLE attr.t ALTER COLUMN a SET NOT NULL`, `INSERT INTO attr.t (id) VALUES (500)`);
    const after = await stateOf(client, 'attr');
    await roundTrip('attr', x, before, after);
  });

  it('DROP TABLE: the table comes back (columns, serial and identity sequences, key) with its rows, audited under the same table_id; reverting the revert drops it again', async () => {
    await client.query('CREATE SCHEMA dt');
    await client.query(`CREATE TABLE dt.t (id serial PRIMARY KEY, g integer GENERATED BY DEFAULT AS IDENTITY, a text NOT NULL DEFAULT 'd',
                                           s numeric GENERATED ALWAYS AS (g * 2) STORED, ts timestamptz)`);
    await client.query(`SELECT chronicle.create_table_audit('dt.t')`);
    await tx(client, `INSERT INTO dt.t (a, ts) SELECT 'r' || i, '2024-01-01'::timestamptz + i * interval '1 hour' FROM generate_series(1, 25) AS i`);
    const { rows: [{ table_id: tableId }] } = await client.query(`SELECT table_id FROM chronicle.audited_tables WHERE table_name = 't' AND schema_name = 'dt'`);
    const before = await stateOf(client, 'dt');
    const x = await tx(client, `UPDATE dt.t SET a = 'u' WHERE id < 3`, `DROP TABLE dt.t`);
    const after = await stateOf(client, 'dt');
    expect(after).toEqual({});
    const result = await revert(client, x);
    expect(result.map((r) => [r.action, r.table_name, Number(r.row_count)])).toEqual([['CREATE TABLE', 'dt.t', 25], ['UPDATE', 'dt.t', 2]]);
    expect(await stateOf(client, 'dt')).toEqual(before);
    const { rows: [again] } = await client.query(`SELECT table_id FROM chronicle.audited_tables WHERE table_name = 't' AND schema_name = 'dt'`);
    expect(again.table_id).toBe(tableId);
    // audited and its sequences go on where the rows end
    const y = await tx(client, `INSERT INTO dt.t (a) VALUES ('after') RETURNING id`);
    const { rows: [row] } = await client.query(`SELECT id, g FROM dt.t WHERE a = 'after'`);
    expect([row.id, row.g]).toEqual([26, 26]);
    const { rows: [logged] } = await client.query(`SELECT count(*)::int AS n FROM chronicle.table_event_log WHERE transaction_id = $1 AND operation = 'INSERT'`, [y]);
    expect(logged.n).toBe(1);
    const withY = await stateOf(client, 'dt');
    // reverting the revert (and the later INSERT, include_later) drops it again; reverting that brings both back
    const { rows: [r] } = await client.query(`SELECT max(revert_transaction_id)::int AS r FROM chronicle.revert_log WHERE reverted_transaction_id = $1`, [x]);
    expect((await failure(client, 'SELECT * FROM chronicle.revert_transaction($1)', [r.r])).code).toBe('55000');
    const both = await revert(client, r.r, ', include_later => true');
    expect(both.map((b) => [Number(b.reverted_transaction_id), b.action])).toEqual([[y, 'DELETE'], [r.r, 'UPDATE'], [r.r, 'DELETE'], [r.r, 'DROP TABLE']]);
    expect(await stateOf(client, 'dt')).toEqual(after);
    await revert(client, await lastTransaction(client));
    expect(await stateOf(client, 'dt')).toEqual(withY);
    expect(withY['dt.t'].rows.length).toBe(before['dt.t'].rows.length + 1);
  });

  it('a transaction mixing DML and DDL on two tables is undone in exact reverse order', async () => {
    await setup('mix');
    await client.query('CREATE TABLE mix.u (k text PRIMARY KEY, v integer)');
    await client.query(`SELECT chronicle.create_table_audit('mix.u')`);
    await tx(client, `INSERT INTO mix.u SELECT 'k' || i, i FROM generate_series(1, 10) AS i`);
    const before = await stateOf(client, 'mix');
    const x = await tx(client,
      `INSERT INTO mix.t VALUES (31, 'x', 1, NULL)`,
      `ALTER TABLE mix.t ADD COLUMN d text DEFAULT 'dd'`,
      `UPDATE mix.t SET d = a || '!', a = 'A' WHERE id % 3 = 0`,
      `ALTER TABLE mix.t RENAME COLUMN a TO aa`,
      `DELETE FROM mix.t WHERE id > 28`,
      `ALTER TABLE mix.t DROP COLUMN c`,
      `UPDATE mix.u SET v = -v`,
      `ALTER TABLE mix.u ALTER COLUMN v TYPE text`,
      `UPDATE mix.u SET v = v || 'x' WHERE k = 'k1'`,
      `ALTER TABLE mix.t ALTER COLUMN b TYPE text`,
      `DROP TABLE mix.u`);
    const after = await stateOf(client, 'mix');
    await roundTrip('mix', x, before, after);
  });

  it('DROP COLUMN of identity, stored generated and excluded columns: identity and its sequence come back, the generated column is computed, the excluded one takes its default', async () => {
    await client.query('CREATE SCHEMA kinds');
    await client.query(`CREATE TABLE kinds.t (id integer PRIMARY KEY, n bigint GENERATED ALWAYS AS IDENTITY, v integer NOT NULL,
                                              w integer GENERATED ALWAYS AS (v * 10) STORED, secret text DEFAULT 'hidden')`);
    await client.query(`SELECT chronicle.create_table_audit('kinds.t', excluded_columns => '{secret}')`);
    await tx(client, `INSERT INTO kinds.t (id, v, secret) SELECT i, i, 'hidden' FROM generate_series(1, 12) AS i`);
    const before = await stateOf(client, 'kinds');
    const x = await tx(client, `ALTER TABLE kinds.t DROP COLUMN n, DROP COLUMN w, DROP COLUMN secret`);
    const after = await stateOf(client, 'kinds');
    await roundTrip('kinds', x, before, after);
    await revert(client, await lastTransaction(client));
    expect(await stateOf(client, 'kinds')).toEqual(before);
    const { rows: [next] } = await client.query(`INSERT INTO kinds.t (id, v) VALUES (100, 1) RETURNING n`);
    expect(Number(next.n)).toBe(13);
  });

  it('DROP TABLE in a schema whose new tables are audited: the table comes back under its own table_id, not as a new audit', async () => {
    await client.query('CREATE SCHEMA auto');
    await client.query(`SELECT chronicle.create_schema_audit('auto', auto_audit_new_tables => true)`);
    await client.query(`CREATE TABLE auto.t (id integer PRIMARY KEY, a text)`);
    await tx(client, `INSERT INTO auto.t SELECT i, 'a' || i FROM generate_series(1, 5) AS i`);
    const { rows: [{ table_id: tableId }] } = await client.query(`SELECT table_id FROM chronicle.audited_tables WHERE schema_name = 'auto' AND table_name = 't'`);
    const before = await stateOf(client, 'auto');
    const x = await tx(client, `DROP TABLE auto.t`);
    await revert(client, x);
    expect(await stateOf(client, 'auto')).toEqual(before);
    const { rows } = await client.query(`SELECT table_id FROM chronicle.audited_tables WHERE schema_name = 'auto'`);
    expect(rows).toEqual([{ table_id: tableId }]);
    const { rows: [schema] } = await client.query(`SELECT except_tables::text[] AS except_tables FROM chronicle.auto_audit_schema WHERE schema_name = 'auto'`);
    expect(schema.except_tables).toEqual([]);
  });

  it('ADD and DROP COLUMN on a partitioned table are undone on every partition', async () => {
    await client.query('CREATE SCHEMA part');
    await client.query(`CREATE TABLE part.t (id integer PRIMARY KEY, a text) PARTITION BY RANGE (id)`);
    await client.query(`CREATE TABLE part.t1 PARTITION OF part.t FOR VALUES FROM (0) TO (100)`);
    await client.query(`CREATE TABLE part.t2 PARTITION OF part.t FOR VALUES FROM (100) TO (200)`);
    await client.query(`SELECT chronicle.create_table_audit('part.t')`);
    await tx(client, `INSERT INTO part.t SELECT i, 'a' || i FROM generate_series(1, 199, 7) AS i`);
    const before = await stateOf(client, 'part');
    const x = await tx(client, `ALTER TABLE part.t ADD COLUMN b integer DEFAULT 3`, `UPDATE part.t SET b = id WHERE id > 100`, `ALTER TABLE part.t DROP COLUMN a`);
    const after = await stateOf(client, 'part');
    await roundTrip('part', x, before, after);
  });

  it('dry_run lists the DDL steps and changes nothing', async () => {
    await setup('dry');
    const x = await tx(client, `ALTER TABLE dry.t DROP COLUMN c`, `ALTER TABLE dry.t RENAME COLUMN a TO z`, `DROP TABLE dry.t`);
    const now = await stateOf(client, 'dry');
    const { rows: logged } = await client.query('SELECT count(*)::int AS n FROM chronicle.table_event_log');
    const result = await revert(client, x, ', dry_run => true');
    expect(result.map((r) => [r.action, Number(r.row_count)])).toEqual([['CREATE TABLE', 30], ['RENAME COLUMN', 0], ['ADD COLUMN', 30]]);
    expect(await stateOf(client, 'dry')).toEqual(now);
    const { rows: again } = await client.query('SELECT count(*)::int AS n FROM chronicle.table_event_log');
    expect(again).toEqual(logged);
  });

  describe('refused, nothing changed', () => {
    it('DDL the log cannot undo (a key change) is refused whole with 0A000 and a HINT', async () => {
      await setup('key');
      await client.query(`ALTER TABLE key.t ADD COLUMN code text`);
      await tx(client, `UPDATE key.t SET code = 'c' || id`, `ALTER TABLE key.t ALTER COLUMN code SET NOT NULL`);
      const x = await tx(client, `ALTER TABLE key.t ADD COLUMN e integer`, `UPDATE key.t SET a = 'q'`,
        `ALTER TABLE key.t DROP CONSTRAINT t_pkey, ADD PRIMARY KEY (code)`);
      const now = await stateOf(client, 'key');
      const error = await failure(client, 'SELECT * FROM chronicle.revert_transaction($1)', [x]);
      expect(error.code).toBe('0A000');
      expect(error.message).toMatch(/ALTER KEY/);
      expect(error.hint).toMatch(/Nothing was changed/);
      expect(await stateOf(client, 'key')).toEqual(now);
    });

    it('a later transaction writing a table whose structure the reverted one changed conflicts (55000); include_later reverts it too', async () => {
      await setup('later');
      const before = await stateOf(client, 'later');
      const x = await tx(client, `ALTER TABLE later.t ADD COLUMN d integer`);
      const y = await tx(client, `INSERT INTO later.t (id, d) VALUES (99, 1)`);
      const now = await stateOf(client, 'later');
      const error = await failure(client, 'SELECT * FROM chronicle.revert_transaction($1)', [x]);
      expect(error.code).toBe('55000');
      expect(error.detail).toMatch(/structure/);
      expect(error.hint).toMatch(/include_later/);
      expect(await stateOf(client, 'later')).toEqual(now);
      const result = await revert(client, x, ', include_later => true');
      expect(result.map((r) => Number(r.reverted_transaction_id))).toEqual([y, x]);
      expect(await stateOf(client, 'later')).toEqual(before);
    });

    it('a later DDL on a table whose rows the reverted transaction changed conflicts; include_later reverts it too', async () => {
      await setup('laterddl');
      const before = await stateOf(client, 'laterddl');
      const x = await tx(client, `UPDATE laterddl.t SET a = 'zz' WHERE id < 10`);
      const y = await tx(client, `ALTER TABLE laterddl.t RENAME COLUMN a TO q`);
      const now = await stateOf(client, 'laterddl');
      const error = await failure(client, 'SELECT * FROM chronicle.revert_transaction($1)', [x]);
      expect(error.code).toBe('55000');
      expect(await stateOf(client, 'laterddl')).toEqual(now);
      await revert(client, x, ', include_later => true');
      expect(await stateOf(client, 'laterddl')).toEqual(before);
      expect(y).toBeGreaterThan(x);
    });

    it('a dropped table whose name was taken since is refused (42P07) with a HINT', async () => {
      await setup('taken');
      const x = await tx(client, `DROP TABLE taken.t`);
      await client.query(`CREATE TABLE taken.t (x integer)`);
      const now = await stateOf(client, 'taken');
      const error = await failure(client, 'SELECT * FROM chronicle.revert_transaction($1)', [x]);
      expect(error.code).toBe('42P07');
      expect(error.hint).toMatch(/Nothing was changed/);
      expect(await stateOf(client, 'taken')).toEqual(now);
    });

    it('DROP COLUMN of a table audited without old data is refused (55000)', async () => {
      await client.query('CREATE SCHEMA nold');
      await client.query('CREATE TABLE nold.t (id integer PRIMARY KEY, a text)');
      await client.query(`SELECT chronicle.create_table_audit('nold.t', log_old_data => false)`);
      await tx(client, `INSERT INTO nold.t SELECT i, 'a' FROM generate_series(1, 5) AS i`);
      const x = await tx(client, `ALTER TABLE nold.t DROP COLUMN a`);
      const now = await stateOf(client, 'nold');
      const error = await failure(client, 'SELECT * FROM chronicle.revert_transaction($1)', [x]);
      expect(error.code).toBe('55000');
      expect(error.hint).toBeTruthy();
      expect(await stateOf(client, 'nold')).toEqual(now);
    });
  });
});
