/**
 * DDL capture (issue 4), directed cases: DDL that touches no audited table runs unchanged and
 * logs nothing; each DDL form that cannot be captured is refused with its error and HINT and
 * changes nothing; chronicle's own objects are protected, and DROP EXTENSION still works;
 * partitions dropped, detached and attached; new tables of auto-audited schemas.
 */
import type { Client } from 'pg';
import { connectTo, createDatabase, databaseNameFor, dropDatabase, testServers } from '../helpers/database';
import { logCounts, snapshot, structureDifferences, tableFingerprint, trackTable, verifyDdlLog } from '../helpers/oracle/ddl';
import type { ServerInfo } from '../helpers/servers/types';

describe.each(testServers().map((s) => [s.name, s] as const))('%s', (_name, server: ServerInfo) => {
  const database = databaseNameFor(__filename);
  let client: Client;

  beforeAll(async () => {
    await createDatabase(server, database);
    client = await connectTo(server, database);
    await client.query(`CREATE EXTENSION chronicle;
      CREATE SCHEMA ref;
      CREATE TYPE ref.mood AS ENUM ('calm', 'angry');
      CREATE DOMAIN ref.positive AS integer CHECK (VALUE > 0);
      CREATE TABLE ref.t (id integer PRIMARY KEY, v text, m ref.mood, p ref.positive);
      INSERT INTO ref.t VALUES (1, 'one', 'calm', 1), (2, 'two', 'angry', 2);
      SELECT chronicle.create_table_audit('ref.t');
      CREATE TABLE ref.parted (id integer PRIMARY KEY, v text) PARTITION BY RANGE (id);
      CREATE TABLE ref.parted_1 PARTITION OF ref.parted FOR VALUES FROM (0) TO (10);
      CREATE TABLE ref.parted_2 PARTITION OF ref.parted FOR VALUES FROM (10) TO (20);
      INSERT INTO ref.parted VALUES (1, 'a'), (11, 'b');
      SELECT chronicle.create_table_audit('ref.parted')`);
  });

  afterAll(async () => {
    await client.end();
    await dropDatabase(server, database);
  });

  it('DDL capture is on', async () => {
    const { rows } = await client.query('SELECT ddl_capture_enabled, inactive_event_triggers::text[] AS inactive FROM chronicle.ddl_capture_status');
    expect(rows).toEqual([{ ddl_capture_enabled: true, inactive: [] }]);
  });

  it('DDL outside audited tables (other schemas, temporary tables, another extension, an unaudited schema dropped) runs and logs nothing', async () => {
    const before = await logCounts(client);
    await client.query(`CREATE SCHEMA other;
      CREATE TABLE other.x (id integer PRIMARY KEY, a text, b integer);
      ALTER TABLE other.x DROP COLUMN a, ALTER COLUMN b TYPE text, ADD COLUMN c integer DEFAULT 1;
      ALTER TABLE other.x RENAME TO y;
      ALTER TABLE other.y RENAME COLUMN c TO d;
      CREATE TABLE other.t (id integer PRIMARY KEY, v text);
      ALTER TABLE other.t DROP COLUMN v;
      DROP TABLE other.t;
      CREATE TEMPORARY TABLE tmp (id integer PRIMARY KEY, v text);
      ALTER TABLE tmp DROP COLUMN v;
      DROP TABLE tmp;
      CREATE INDEX ON ref.t (v);
      COMMENT ON TABLE ref.t IS 'audited';
      CREATE VIEW other.v AS SELECT * FROM ref.t;
      CREATE EXTENSION IF NOT EXISTS pg_trgm;
      DROP EXTENSION pg_trgm;
      DROP SCHEMA other CASCADE;
      CREATE TABLE ref.unaudited (id integer);
      DROP TABLE ref.unaudited`);
    expect(await logCounts(client)).toEqual(before);
    expect(await structureDifferences(client)).toEqual([]);
  });

  it('DDL on a table of the same name in another schema neither locks nor reads the audited one; unqualified names still find it', async () => {
    const before = await logCounts(client);
    await client.query('BEGIN');
    try {
      await client.query(`CREATE SCHEMA samename;
        CREATE TABLE samename.t (id integer PRIMARY KEY, v text);
        ALTER TABLE samename.t DROP COLUMN v, ALTER COLUMN id TYPE bigint;
        DROP TABLE samename.t`);
      // a pre-image would have locked ref.t until the end of this transaction
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'ref.t'::regclass AND pid = pg_backend_pid()`);
      expect(rows[0].n).toBe(0);
    } finally {
      await client.query('ROLLBACK');
    }
    expect(await logCounts(client)).toEqual(before);
    await client.query(`CREATE TABLE ref.bare (id integer PRIMARY KEY, v text);
      INSERT INTO ref.bare VALUES (1, 'kept');
      SELECT chronicle.create_table_audit('ref.bare')`);
    await client.query('BEGIN');
    try {
      await client.query('SET LOCAL search_path = ref, public; DROP TABLE bare');
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
    const { rows } = await client.query(`SELECT r.old_data FROM chronicle.row_log AS r JOIN chronicle.table_event_log AS e ON e.id = r.event_id
      WHERE e.operation = 'DROP TABLE' AND e.ddl ->> 'table' = 'bare'`);
    expect(rows).toEqual([{ old_data: { id: 1, v: 'kept' } }]);
  });

  const refused: [string, string, RegExp, RegExp][] = [
    ['DROP TYPE ... CASCADE removing an audited column', 'DROP TYPE ref.mood CASCADE',
      /cannot drop column ref\.t\.m of an audited table here/, /ALTER TABLE \.\.\. DROP COLUMN naming the table and the column/],
    ['DROP DOMAIN ... CASCADE removing an audited column', 'DROP DOMAIN ref.positive CASCADE',
      /cannot drop column ref\.t\.p of an audited table here/, /not through DROP TYPE\/DOMAIN/],
    ['a column dropped through dynamic SQL', `DO $$ BEGIN EXECUTE format('ALTER TABLE %I.%I DROP COLUMN %I', 'ref', chr(116), chr(118)); END $$`,
      /cannot drop column ref\.t\.v of an audited table here: its values were not logged/, /naming the table and the column in the statement text/],
    ['a table dropped through dynamic SQL', `DO $$ BEGIN EXECUTE 'DROP TABLE ref.' || chr(116); END $$`,
      /cannot drop audited table ref\.t here: its rows were not logged/, /chronicle\.drop_table_audit/],
    ['a partition dropped through dynamic SQL', `DO $$ BEGIN EXECUTE 'DROP TABLE ref.parted_' || 1; END $$`,
      /cannot drop ref\.parted_1 of an audited table here/, /DETACH PARTITION/],
    ['a table dropped under chronicle.ddl_restore_drop (set by restore to skip pre-images of its own drops)', 'SET LOCAL chronicle.ddl_restore_drop = on; DROP TABLE ref.t',
      /cannot drop audited table ref\.t here: its rows were not logged/, /chronicle\.drop_table_audit/],
    ['DROP OWNED of the audited tables\' owner', 'DROP OWNED BY CURRENT_USER',
      /DROP OWNED would drop audited tables/, /REASSIGN OWNED/],
    ['dropping the row key without another', 'ALTER TABLE ref.t DROP CONSTRAINT t_pkey',
      /audited table ref\.t would lose its audit: cannot audit ref\.t: it has no primary key/, /add the new key in the same ALTER TABLE statement/],
    ['a key column retyped so that its logged values change', 'ALTER TABLE ref.t ALTER COLUMN id TYPE text',
      /cannot alter column type id of audited table ref\.t in this statement: the row keys change/, /integer to bigint/],
    ['an audited table attached as a partition of another', `CREATE TABLE ref.extra (id integer PRIMARY KEY, v text);
      SELECT chronicle.create_table_audit('ref.extra');
      ALTER TABLE ref.parted ATTACH PARTITION ref.extra FOR VALUES FROM (100) TO (200)`,
      /cannot attach audited table ref\.extra to audited table ref\.parted/, /drop_table_audit/],
    ['DETACH PARTITION ... CONCURRENTLY', 'ALTER TABLE ref.parted DETACH PARTITION ref.parted_2 CONCURRENTLY',
      /cannot capture DETACH PARTITION \.\.\. CONCURRENTLY/, /without CONCURRENTLY/],
    ['ALTER TABLE of a log table', 'ALTER TABLE chronicle.row_log SET (fillfactor = 90), ADD COLUMN x integer',
      /cannot run ALTER TABLE on table chronicle\.row_log: it belongs to chronicle/, /ALTER EXTENSION chronicle UPDATE/],
    ['an index added to a log table', 'CREATE INDEX ON chronicle.table_event_log (operation)',
      /cannot run CREATE INDEX on index chronicle\..*: it belongs to chronicle/, /ALTER EXTENSION chronicle UPDATE/],
    ['an index of a log table dropped', 'DROP INDEX chronicle.row_log_event_idx',
      /cannot drop index chronicle\.row_log_event_idx: it belongs to chronicle/, /DROP EXTENSION chronicle removes them all/],
    ['a column of a log table dropped', 'ALTER TABLE chronicle.row_log DROP COLUMN new_data',
      /cannot drop table column chronicle\.row_log\.new_data: it belongs to chronicle/, /ALTER EXTENSION chronicle UPDATE/],
    ['a comment on a log table', `COMMENT ON TABLE chronicle.row_log IS 'mine'`,
      /cannot run COMMENT on table chronicle\.row_log: it belongs to chronicle/, /ALTER EXTENSION chronicle UPDATE/],
    ['a log sequence restarted', 'ALTER SEQUENCE chronicle.transaction_log_id_seq RESTART 1',
      /cannot run ALTER SEQUENCE on sequence chronicle\.transaction_log_id_seq: it belongs to chronicle/, /ALTER EXTENSION chronicle UPDATE/],
    ['a log table dropped', 'DROP TABLE chronicle.row_log',
      /cannot drop table chronicle\.row_log because extension chronicle requires it/, /drop extension chronicle instead/],
    ['an event trigger of chronicle dropped', 'DROP EVENT TRIGGER chronicle_sql_drop',
      /cannot drop event trigger chronicle_sql_drop because extension chronicle requires it/, /drop extension chronicle instead/],
  ];

  it.each(refused)('refuses %s, with a HINT, and changes nothing', async (_what, sql, message, hint) => {
    const fingerprints = async () => Promise.all(['ref.t', 'ref.parted'].map((r) => tableFingerprint(client, r)));
    const before = { counts: await logCounts(client), tables: await fingerprints() };
    let error: { message: string; hint?: string } | undefined;
    try {
      // several statements in one query run as one transaction, refused as a whole
      await client.query(sql);
    } catch (e) {
      error = e as { message: string; hint?: string };
    }
    expect(error?.message).toMatch(message);
    expect(error?.hint).toMatch(hint);
    expect({ counts: await logCounts(client), tables: await fingerprints() }).toEqual(before);
    expect(await structureDifferences(client)).toEqual([]);
  });

  it.each([
    ['through dynamic SQL, whose text does not name chronicle', `DO $$ BEGIN EXECUTE 'ALTER TABLE chron' || 'icle.row' || '_log ADD COLUMN x integer'; END $$`],
    ['under chronicle.reverting (set by a revert for its own ALTER TABLEs)', 'SET LOCAL chronicle.reverting = on; ALTER TABLE chronicle.row_log ADD COLUMN x integer'],
  ])('refuses an ALTER TABLE of a log table %s, in a session that ran no other DDL', async (_what, sql) => {
    // a new session: nothing of an earlier statement is left in its settings
    const fresh = await connectTo(server, database);
    try {
      await expect(fresh.query(sql)).rejects.toMatchObject({ message: 'cannot run ALTER TABLE on table chronicle.row_log: it belongs to chronicle' });
    } finally {
      await fresh.end();
    }
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = 'chronicle.row_log'::regclass AND attname = 'x'`);
    expect(rows[0].n).toBe(0);
  });

  it('a table of its own in schema chronicle can still be made, changed and dropped', async () => {
    await client.query('CREATE TABLE chronicle.mine (id integer PRIMARY KEY); ALTER TABLE chronicle.mine ADD COLUMN v text; DROP TABLE chronicle.mine');
  });

  it('an ALTER TABLE of a log table that leaves its structure as it was (storage parameters, statistics) is allowed', async () => {
    await client.query(`ALTER TABLE chronicle.row_log SET (autovacuum_enabled = off);
      ALTER TABLE chronicle.row_log ALTER COLUMN old_data SET STATISTICS 500;
      ALTER TABLE chronicle.row_log RESET (autovacuum_enabled);
      ALTER TABLE chronicle.row_log ALTER COLUMN old_data SET STATISTICS -1`);
  });

  it('places every event of a transaction that writes, alters the table and writes again in the table and column versions of its time', async () => {
    await client.query(`CREATE TABLE ref.versions (id integer PRIMARY KEY, v text);
      SELECT chronicle.create_table_audit('ref.versions')`);
    await client.query(`BEGIN;
      INSERT INTO ref.versions VALUES (1, 'a');
      ALTER TABLE ref.versions RENAME COLUMN v TO w;
      UPDATE ref.versions SET w = 'b';
      ALTER SCHEMA ref RENAME TO ref2;
      DELETE FROM ref2.versions;
      ALTER SCHEMA ref2 RENAME TO ref;
      COMMIT`);
    // for each event: the table version and the name its second column had, found by event id alone
    const { rows } = await client.query(`SELECT e.operation, t.schema_name::text AS schema, c.column_name::text AS second
      FROM chronicle.table_event_log AS e
      JOIN chronicle.audit_table_log AS t ON t.table_id = e.table_id
       AND (t.valid_from_event IS NULL OR t.valid_from_event <= e.id) AND (t.valid_until_event IS NULL OR e.id < t.valid_until_event)
      JOIN chronicle.audit_column_log AS c ON c.table_id = e.table_id AND c.ordinal_position = 2
       AND (c.valid_from_event IS NULL OR c.valid_from_event <= e.id) AND (c.valid_until_event IS NULL OR e.id < c.valid_until_event)
      WHERE e.table_id = (SELECT table_id FROM chronicle.audited_tables WHERE audited_table = 'ref.versions'::regclass)
      ORDER BY e.id`);
    expect(rows).toEqual([
      { operation: 'INSERT', schema: 'ref', second: 'v' },
      { operation: 'RENAME COLUMN', schema: 'ref', second: 'w' },
      { operation: 'UPDATE', schema: 'ref', second: 'w' },
      { operation: 'SET SCHEMA', schema: 'ref2', second: 'w' },
      { operation: 'DELETE', schema: 'ref2', second: 'w' },
      { operation: 'SET SCHEMA', schema: 'ref', second: 'w' },
    ]);
    expect(await structureDifferences(client)).toEqual([]);
  });

  it('excluded columns stay excluded across renames, and leave the list when dropped', async () => {
    await client.query(`CREATE TABLE ref.secret (id integer PRIMARY KEY, v text, pin text, note text);
      INSERT INTO ref.secret VALUES (1, 'a', '1234', 'n');
      SELECT chronicle.create_table_audit('ref.secret', excluded_columns => '{pin,note}');
      ALTER TABLE ref.secret RENAME COLUMN pin TO code;
      UPDATE ref.secret SET code = '9999', v = 'b';
      ALTER TABLE ref.secret DROP COLUMN note`);
    const { rows } = await client.query(`SELECT excluded_columns::text[] AS excluded FROM chronicle.audit_table_log
      WHERE table_id = (SELECT table_id FROM chronicle.audited_tables WHERE audited_table = 'ref.secret'::regclass) ORDER BY id`);
    expect(rows.map((r) => r.excluded)).toEqual([['note', 'pin'], ['code', 'note'], ['code']]);
    const { rows: logged } = await client.query(`SELECT e.operation, r.old_data FROM chronicle.table_event_log AS e
      LEFT JOIN chronicle.row_log AS r ON r.event_id = e.id
      WHERE e.table_id = (SELECT table_id FROM chronicle.audited_tables WHERE audited_table = 'ref.secret'::regclass) ORDER BY e.id`);
    // the excluded column's values are never logged, not even when it is dropped
    expect(logged).toEqual([
      { operation: 'RENAME COLUMN', old_data: null },
      { operation: 'UPDATE', old_data: { v: 'a' } },
      { operation: 'DROP COLUMN', old_data: null },
    ]);
    expect(await structureDifferences(client)).toEqual([]);
  });

  it('generated and identity columns: expression and identity changes are logged, a stored expression replaced keeps the old values', async () => {
    await client.query(`CREATE TABLE ref.gen (id integer PRIMARY KEY, a integer, twice integer GENERATED ALWAYS AS (a * 2) STORED, n integer NOT NULL);
      INSERT INTO ref.gen (id, a, n) VALUES (1, 1, 1), (2, 5, 2);
      SELECT chronicle.create_table_audit('ref.gen')`);
    const table = await trackTable(client, 'ref.gen', 'ref.gen');
    const steps = [
      'ALTER TABLE ref.gen ALTER COLUMN n ADD GENERATED BY DEFAULT AS IDENTITY',
      ...(server.major >= 17 ? ['ALTER TABLE ref.gen ALTER COLUMN twice SET EXPRESSION AS (a * 3)'] : []),
      'ALTER TABLE ref.gen ALTER COLUMN twice DROP EXPRESSION',
      'UPDATE ref.gen SET twice = 0 WHERE id = 1',
      'ALTER TABLE ref.gen ALTER COLUMN n DROP IDENTITY',
    ];
    for (const [i, sql] of steps.entries()) {
      await client.query(sql);
      await snapshot(client, [table], `step ${i + 1}`);
    }
    expect(await structureDifferences(client)).toEqual([]);
    expect(await verifyDdlLog(client, table)).toEqual([]);
    const { rows } = await client.query(`SELECT operation, ddl, (SELECT count(*)::int FROM chronicle.row_log AS r WHERE r.event_id = e.id) AS rows
      FROM chronicle.table_event_log AS e WHERE e.table_id = $1 AND e.operation::text LIKE 'ALTER COLUMN%' ORDER BY e.id`, [table.tableId]);
    expect(rows).toEqual([
      { operation: 'ALTER COLUMN IDENTITY', ddl: expect.objectContaining({ column: 'n', old_identity: null, new_identity: 'BY DEFAULT' }), rows: 0 },
      ...(server.major >= 17 ? [{ operation: 'ALTER COLUMN EXPRESSION', ddl: expect.objectContaining({ column: 'twice', old_expression: '(a * 2)', new_expression: '(a * 3)' }), rows: 2 }] : []),
      { operation: 'ALTER COLUMN EXPRESSION', ddl: expect.objectContaining({ column: 'twice', old_generated: 'STORED', new_generated: null }), rows: 0 },
      { operation: 'ALTER COLUMN IDENTITY', ddl: expect.objectContaining({ column: 'n', old_identity: 'BY DEFAULT', new_identity: null }), rows: 0 },
    ]);
  });

  it('a role that may not alter an audited table gets it neither locked nor read by DDL that names it', async () => {
    const role = `ddl_intruder_${process.pid}`;
    await client.query(`CREATE ROLE ${role} LOGIN; GRANT USAGE ON SCHEMA ref TO ${role}`);
    const intruder = await connectTo({ ...server, user: role, password: '' }, database);
    try {
      await intruder.query('BEGIN');
      await expect(intruder.query('ALTER TABLE ref.t DROP COLUMN v')).rejects.toMatchObject({ message: 'must be owner of table t' });
      // its transaction stays open, aborted: it holds no lock on the table
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'ref.t'::regclass AND pid <> pg_backend_pid()`);
      expect(rows[0].n).toBe(0);
      await intruder.query('ROLLBACK');
    } finally {
      await intruder.end();
      await client.query(`REVOKE USAGE ON SCHEMA ref FROM ${role}; DROP ROLE ${role}`);
    }
  });

  it('a DROP COLUMN that waits for a concurrent writer logs the values that writer committed, after its change', async () => {
    await client.query(`CREATE TABLE ref.conc (id integer PRIMARY KEY, v text);
      INSERT INTO ref.conc VALUES (1, 'a'), (2, 'b');
      SELECT chronicle.create_table_audit('ref.conc')`);
    const table = await trackTable(client, 'ref.conc', 'ref.conc');
    const other = await connectTo(server, database);
    try {
      await other.query(`BEGIN; UPDATE ref.conc SET v = 'by the other session' WHERE id = 1`);
      const dropping = client.query('ALTER TABLE ref.conc DROP COLUMN v');
      for (let waiting = false; !waiting;) {
        const { rows } = await other.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
        waiting = rows[0].n > 0;
      }
      await other.query('COMMIT');
      await dropping;
    } finally {
      await other.end();
    }
    await snapshot(client, [table], 'after the drop');
    expect(await verifyDdlLog(client, table)).toEqual([]);
    const { rows } = await client.query(`SELECT e.operation, r.row_key, r.old_data FROM chronicle.table_event_log AS e
      JOIN chronicle.row_log AS r ON r.event_id = e.id WHERE e.table_id = $1 ORDER BY e.id, r.row_key`, [table.tableId]);
    expect(rows).toEqual([
      { operation: 'UPDATE', row_key: { id: 1 }, old_data: { v: 'a' } },
      { operation: 'DROP COLUMN', row_key: { id: 1 }, old_data: { v: 'by the other session' } },
      { operation: 'DROP COLUMN', row_key: { id: 2 }, old_data: { v: 'b' } },
    ]);
  });

  it('a type renamed (ALTER TYPE ... RENAME) is a new column version, logged without values, which did not change', async () => {
    await client.query(`CREATE TYPE ref.size AS ENUM ('s', 'm');
      CREATE TABLE ref.sized (id integer PRIMARY KEY, s ref.size);
      INSERT INTO ref.sized VALUES (1, 's');
      SELECT chronicle.create_table_audit('ref.sized');
      ALTER TYPE ref.size RENAME TO measure`);
    const { rows } = await client.query(`SELECT operation, ddl, (SELECT count(*)::int FROM chronicle.row_log AS r WHERE r.event_id = e.id) AS rows
      FROM chronicle.table_event_log AS e WHERE e.table_id = (SELECT table_id FROM chronicle.audited_tables WHERE audited_table = 'ref.sized'::regclass)`);
    expect(rows).toEqual([{ operation: 'ALTER COLUMN TYPE', ddl: { column: 's', attnum: 2, old_type: 'ref.size', new_type: 'ref.measure' }, rows: 0 }]);
    expect(await structureDifferences(client)).toEqual([]);
  });

  it('partitions: dropped (its rows logged), detached (rows leave) and attached (rows join), each undone by the oracle', async () => {
    const parted = await trackTable(client, 'ref.parted', 'ref.parted');
    const steps = [
      'CREATE TABLE ref.parted_3 PARTITION OF ref.parted FOR VALUES FROM (20) TO (30)',
      `INSERT INTO ref.parted VALUES (21, 'c'), (22, 'd')`,
      'DROP TABLE ref.parted_3',
      'ALTER TABLE ref.parted DETACH PARTITION ref.parted_2',
      `INSERT INTO ref.parted_2 VALUES (12, 'not audited while detached')`,
      'ALTER TABLE ref.parted ATTACH PARTITION ref.parted_2 FOR VALUES FROM (10) TO (20)',
      'ALTER TABLE ref.parted ADD COLUMN n integer DEFAULT 3',
      `UPDATE ref.parted SET n = 4 WHERE id = 12`,
      'ALTER TABLE ref.parted DROP COLUMN v',
    ];
    for (const [i, sql] of steps.entries()) {
      await client.query(sql);
      await snapshot(client, [parted], `step ${i + 1}`);
    }
    expect(await structureDifferences(client)).toEqual([]);
    expect(await verifyDdlLog(client, parted)).toEqual([]);
    const { rows } = await client.query(`SELECT e.operation, e.ddl, (SELECT count(*)::int FROM chronicle.row_log AS r WHERE r.event_id = e.id) AS rows
      FROM chronicle.table_event_log AS e WHERE e.table_id = $1 AND e.operation::text LIKE '% PARTITION' ORDER BY e.id`, [parted.tableId]);
    expect(rows).toEqual([
      { operation: 'ATTACH PARTITION', ddl: { partition: 'ref.parted_3' }, rows: 0 },
      { operation: 'DROP PARTITION', ddl: { partition: 'ref.parted_3' }, rows: 2 },
      { operation: 'DETACH PARTITION', ddl: { partition: 'ref.parted_2' }, rows: 1 },
      { operation: 'ATTACH PARTITION', ddl: { partition: 'ref.parted_2' }, rows: 2 },
    ]);
  });

  it('auto-audit: tables created later in the schema are audited (CREATE TABLE; CREATE TABLE AS and SELECT INTO once they get a key, with a baseline), except the excluded ones', async () => {
    await client.query(`CREATE SCHEMA auto; CREATE TABLE auto.skipped (id integer PRIMARY KEY);
      SELECT chronicle.create_schema_audit('auto', except_tables => '{skipped}', auto_audit_new_tables => true)`);
    await client.query(`CREATE TABLE auto.created (id integer PRIMARY KEY, v text);
      CREATE TABLE auto.skipped2 (id integer PRIMARY KEY);
      CREATE TABLE auto.as_select AS SELECT g AS id, 'v' || g AS v FROM generate_series(1, 3) AS g;
      ALTER TABLE auto.as_select ADD PRIMARY KEY (id);
      SELECT g AS id INTO auto.select_into FROM generate_series(1, 2) AS g;
      CREATE UNIQUE INDEX ON auto.select_into (id);
      ALTER TABLE auto.select_into ALTER COLUMN id SET NOT NULL;
      CREATE TABLE auto.keyless (v text);
      CREATE TEMPORARY TABLE auto_tmp (id integer PRIMARY KEY);
      INSERT INTO auto.created VALUES (1, 'x')`);
    // a table moved into the schema was not created there: not audited, not even once it has a key
    // (so the ADD PRIMARY KEY of a restored dump, which comes before its capture triggers, audits nothing twice)
    await client.query(`CREATE TABLE public.moved (id integer); ALTER TABLE public.moved SET SCHEMA auto; ALTER TABLE auto.moved ADD PRIMARY KEY (id)`);
    await client.query(`SELECT chronicle.drop_table_audit('auto.skipped2')`);
    await client.query(`ALTER TABLE auto.skipped2 ADD COLUMN v text`);
    const { rows } = await client.query(`SELECT a.table_name::text AS table, array_agg(e.operation::text ORDER BY e.id) FILTER (WHERE e.id IS NOT NULL) AS events,
        sum((SELECT count(*) FROM chronicle.row_log AS r WHERE r.event_id = e.id))::int AS rows
      FROM chronicle.audited_tables AS a LEFT JOIN chronicle.table_event_log AS e ON e.table_id = a.table_id
      WHERE a.schema_name = 'auto' GROUP BY a.table_name ORDER BY a.table_name`);
    expect(rows).toEqual([
      { table: 'as_select', events: ['BASELINE'], rows: 3 },
      { table: 'created', events: ['INSERT'], rows: 1 },
      { table: 'select_into', events: ['BASELINE'], rows: 2 },
    ]);
    const { rows: [schema] } = await client.query(`SELECT except_tables::text[] AS except, pending_tables::text[] AS pending FROM chronicle.auto_audit_schema WHERE schema_name = 'auto'`);
    expect(schema).toEqual({ except: ['skipped', 'skipped2'], pending: ['keyless'] });
    expect(await structureDifferences(client)).toEqual([]);
    await client.query(`SELECT chronicle.drop_schema_audit('auto')`);
    await client.query(`CREATE TABLE auto.after (id integer PRIMARY KEY)`);
    const { rows: after } = await client.query(`SELECT FROM chronicle.audited_tables WHERE schema_name = 'auto'`);
    expect(after).toEqual([]);
  });

  it('a DROP EXTENSION of another extension whose text names chronicle leaves every audit in place', async () => {
    const before = await client.query(`SELECT tgrelid::regclass::text AS relation, tgname FROM pg_trigger WHERE tgname LIKE 'chronicle%' ORDER BY 1, 2`);
    expect(before.rows.length).toBeGreaterThan(0);
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
    await client.query('DROP EXTENSION pg_trgm /* not chronicle */');
    const after = await client.query(`SELECT tgrelid::regclass::text AS relation, tgname FROM pg_trigger WHERE tgname LIKE 'chronicle%' ORDER BY 1, 2`);
    expect(after.rows).toEqual(before.rows);
  });

  it('DROP EXTENSION chronicle, without CASCADE while tables are audited, removes the event triggers, every capture trigger and function, and the tables stay writable', async () => {
    const { rows: audited } = await client.query(`SELECT audited_table::text AS t FROM chronicle.audited_tables ORDER BY 1`);
    expect(audited.length).toBeGreaterThan(0);
    await client.query('DROP EXTENSION chronicle');
    const { rows } = await client.query(`SELECT evtname FROM pg_event_trigger WHERE evtname LIKE 'chronicle%'`);
    expect(rows).toEqual([]);
    const { rows: triggers } = await client.query(`SELECT tgname FROM pg_trigger WHERE tgname LIKE 'chronicle%'`);
    expect(triggers).toEqual([]);
    const { rows: functions } = await client.query(`SELECT proname FROM pg_proc WHERE pronamespace = 'chronicle'::regnamespace`);
    expect(functions).toEqual([]);
    for (const { t } of audited) await client.query(`DELETE FROM ${t}`);
    await client.query('DROP TYPE ref.mood CASCADE');
  });
});
