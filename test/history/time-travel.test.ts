/**
 * Time travel (issue 5), directed cases: as_of, restore_recordset, restore_record(_jsonb),
 * restore_records, restore_table_state, restore_schema_state and table_diff, each compared with
 * copies of the tables taken in the same snapshot as a mark (never with what the functions say
 * about themselves). Key moves and swaps, TRUNCATE, types without equality, unicode and quoted
 * names, changes of shape after the point, dropped tables, views that follow the log, recreated
 * constraints, timestamp and transaction points, privileges, logs written by the last release,
 * and bad input (SQLSTATE, HINT, nothing created).
 */
import type { Client } from 'pg';
import { connectTo, createDatabase, databaseNameFor, dropDatabase, testServers } from '../helpers/database';
import { failure } from '../helpers/transactions';
import type { ServerInfo } from '../helpers/servers/types';
import { LAST_RELEASE } from '../helpers/versions';
import { compressedEntriesTable } from '../helpers/wide-table';

/** the rows of a query as sorted lines of row text */
async function rowsOf(client: Client, sql: string, params: unknown[] = []): Promise<string[]> {
  const { rows } = await client.query<{ r: string }>(`SELECT test_row::text AS r FROM (${sql}) AS test_row`, params);
  return rows.map((r) => r.r).sort();
}

/**
 * Sets a mark and copies the given tables into schema `copies` in one REPEATABLE READ
 * transaction, so that the copies hold exactly the state the mark stands for.
 */
async function markAndCopy(client: Client, mark: string, tables: Record<string, string>): Promise<void> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
  await client.query('SELECT chronicle.set_mark($1)', [mark]);
  await client.query('CREATE SCHEMA IF NOT EXISTS copies');
  for (const [label, relation] of Object.entries(tables)) {
    await client.query(`CREATE TABLE copies.${label}_${mark} AS SELECT * FROM ${relation}`);
  }
  await client.query('COMMIT');
}

async function schemaExists(client: Client, schema: string): Promise<boolean> {
  const { rows } = await client.query('SELECT FROM pg_namespace WHERE nspname = $1', [schema]);
  return rows.length === 1;
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

  it('as_of, restore_recordset, restore_record and restore_table_state equal the copies at every mark, through key moves, swaps, TRUNCATE and many types', async () => {
    await client.query('CREATE SCHEMA dml');
    await client.query(`CREATE TYPE dml.mood AS ENUM ('sad', 'ok', 'happy')`);
    await client.query('CREATE DOMAIN dml.positive AS integer CHECK (VALUE > 0)');
    await client.query('CREATE TYPE dml.pair AS (x integer, y text)');
    await client.query(`CREATE TABLE dml."Wide ""t"" ü" (
        id integer PRIMARY KEY, txt text, num numeric(12, 3), f8 float8, ts timestamptz, d date, iv interval,
        j json, jb jsonb, x xml, pt point, arr integer[], b bytea, m dml.mood, pos dml.positive, pr dml.pair,
        rng int4range, "Ünï code" text)`);
    await client.query('CREATE TABLE dml.k (a integer, b text, v text, PRIMARY KEY (a, b))');
    await client.query(`SELECT chronicle.create_schema_audit('dml')`);
    const t = 'dml."Wide ""t"" ü"';
    const tables = { w: t, k: 'dml.k' };
    await client.query(`INSERT INTO ${t}
      SELECT i, 'row ' || i, i * 1.5, i / 7.0, '2026-01-01 10:00+00'::timestamptz + i * interval '1 hour', DATE '2026-02-01' + i,
             i * interval '1 minute', json_build_object('i', i), jsonb_build_object('n', i, 'arr', jsonb_build_array(i, NULL)),
             xmlparse(content '<a>' || i || '</a>'), point(i, -i), ARRAY[i, i + 1], decode(lpad(to_hex(i), 2, '0'), 'hex'),
             (ARRAY['sad', 'ok', 'happy']::dml.mood[])[1 + i % 3], i, ROW(i, 'p' || i)::dml.pair, int4range(i, i + 10), 'ünï ' || i
      FROM generate_series(1, 30) AS i`);
    await client.query(`INSERT INTO dml.k SELECT i, 'b' || i, 'v' || i FROM generate_series(1, 10) AS i`);
    await markAndCopy(client, 'dml1', tables);
    await client.query(`UPDATE ${t} SET txt = NULL, jb = '{"changed": true}', x = xmlparse(content '<b/>') WHERE id % 3 = 0`);
    await client.query(`UPDATE ${t} SET id = id + 1000 WHERE id BETWEEN 10 AND 12`);
    // a swap of keys in one transaction, through a free key
    await client.query('BEGIN');
    await client.query(`UPDATE ${t} SET id = -1, "Ünï code" = 'swapped' WHERE id = 1`);
    await client.query(`UPDATE ${t} SET id = 1 WHERE id = 2`);
    await client.query(`UPDATE ${t} SET id = 2 WHERE id = -1`);
    await client.query('COMMIT');
    await client.query(`DELETE FROM ${t} WHERE id BETWEEN 20 AND 25`);
    await client.query(`INSERT INTO ${t} (id, txt, pt, arr) VALUES (20, 'reused key', point(0, 0), '{}'), (99, 'new', NULL, NULL)`);
    await client.query(`UPDATE dml.k SET b = b || 'x', v = 'moved' WHERE a <= 3`);
    await markAndCopy(client, 'dml2', tables);
    await client.query(`UPDATE ${t} SET id = id + 100 WHERE id >= 1000`);
    await client.query(`UPDATE ${t} SET num = num * 2, pr = ROW(0, 'zero')`);
    await client.query('BEGIN');
    await client.query(`TRUNCATE ${t}`);
    await client.query(`INSERT INTO ${t} (id, txt) VALUES (1, 'after truncate'), (5, 'again')`);
    await client.query(`UPDATE ${t} SET txt = txt || '!' WHERE id = 5`);
    await client.query('COMMIT');
    await client.query(`DELETE FROM dml.k WHERE a > 8`);
    await markAndCopy(client, 'dml3', tables);
    await client.query(`UPDATE ${t} SET id = 7 WHERE id = 5`);
    await client.query(`UPDATE dml.k SET v = 'last'`);

    // json is compared by its jsonb form: the log holds JSON values, not json's text
    const projection: Record<string, string> = {
      w: 'id, txt, num, f8, ts, d, iv, j::jsonb, jb, x, pt, arr, b, m, pos, pr, rng, "Ünï code"',
      k: '*',
    };
    const compared = (label: string, sql: string) => `SELECT ${projection[label]} FROM (${sql}) AS s`;
    for (const mark of ['dml1', 'dml2', 'dml3']) {
      for (const [label, relation] of Object.entries(tables)) {
        const copy = await rowsOf(client, compared(label, `SELECT * FROM copies.${label}_${mark}`));
        expect(copy.length).toBeGreaterThan(0);
        expect(await rowsOf(client, compared(label, `SELECT * FROM chronicle.as_of(NULL::${relation}, $1)`), [mark])).toEqual(copy);
        expect(await rowsOf(client, compared(label,
          `SELECT (jsonb_populate_record(NULL::copies.${label}_${mark}, r)).* FROM chronicle.restore_recordset($1::regclass, $2) AS r`),
        [relation, mark])).toEqual(copy);
        // every key of the copy, one by one, and keys that did not exist then
        const keyColumns = label === 'w' ? ['id'] : ['a', 'b'];
        const { rows: keys } = await client.query<{ key: object }>(
          `SELECT jsonb_build_object(${keyColumns.map((k) => `'${k}', c.${k}`).join(', ')}) AS key FROM copies.${label}_${mark} AS c`);
        const one = await rowsOf(client, compared(label,
          `SELECT (chronicle.restore_record(NULL::${relation}, k.key, $1)).* FROM jsonb_array_elements($2::jsonb) AS k(key)`),
        [mark, JSON.stringify(keys.map((k) => k.key))]);
        expect(one).toEqual(copy);
        const missing = label === 'w' ? [{ id: 5000 }, { id: 1011 }, { id: 99 }] : [{ a: 1, b: 'nope' }, { a: 1, b: 'b1' }, { a: 1, b: 'b1x' }];
        for (const key of missing) {
          const { rows: [r] } = await client.query(`SELECT chronicle.restore_record_jsonb($1, $2, $3) AS j`, [relation, key, mark]);
          const inCopy = await client.query(
            `SELECT FROM copies.${label}_${mark} AS c WHERE ${Object.keys(key).map((k, i) => `c.${k}::text = $${i + 1}`).join(' AND ')}`,
            Object.values(key).map(String));
          expect({ mark, key, found: r.j !== null }).toEqual({ mark, key, found: inCopy.rows.length > 0 });
        }
        await client.query(`SELECT chronicle.restore_table_state($1, $2, 'restored_${label}_${mark}')`, [mark, relation]);
        const { rows: [restored] } = await client.query<{ r: string }>(
          `SELECT format('%I.%I', n.nspname, c.relname) AS r FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace WHERE n.nspname = $1`,
          [`restored_${label}_${mark}`]);
        expect(await rowsOf(client, compared(label, `SELECT * FROM ${restored.r}`))).toEqual(copy);
      }
    }
    // the comparison sees a single changed value
    await client.query(`UPDATE copies.k_dml2 SET v = v || '.' WHERE a = 5`);
    expect(await rowsOf(client, `SELECT * FROM chronicle.as_of(NULL::dml.k, 'dml2')`)).not.toEqual(await rowsOf(client, 'SELECT * FROM copies.k_dml2'));
  });

  it('after UPDATEs only (the fast path), values of every kind come back exactly: arrays with bounds, composites, json, -0, domains over arrays', async () => {
    await client.query('CREATE SCHEMA upd');
    await client.query('CREATE TYPE upd.inner AS (a integer[], b text)');
    await client.query('CREATE DOMAIN upd.ints AS integer[] CHECK (cardinality(VALUE) < 10)');
    await client.query(`CREATE TABLE upd.t (id integer PRIMARY KEY, f4 real, f8 float8, arr integer[], txt text[], nested upd.inner, j json,
        jb jsonb, d upd.ints, ts timestamptz, n numeric, b bytea, "quoted ""col""" text, skipped text)`);
    await client.query(`SELECT chronicle.create_table_audit('upd.t', excluded_columns => '{skipped}')`);
    await client.query(`INSERT INTO upd.t VALUES
        (1, -0, '-0', '[0:1]={5,6}', '{"a b","c\\"d",NULL}', ROW('{1,2}', 'x'), '{"k": [1, {"z": null}]}', '[1, "two", null]', '{7,8}', '2026-03-01 12:00+01', 'NaN', '\\x00ff', 'q"1', 's1'),
        (2, 'Infinity', 1e-300, '{}', '{}', NULL, '"null"', '{}', '{}', 'infinity', 1.50, '\\x', '', 's2'),
        (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`);
    await markAndCopy(client, 'upd1', { t: 'upd.t' });
    await client.query(`UPDATE upd.t SET f4 = 1, f8 = 2, arr = '{9}', txt = '{z}', nested = ROW('{3}', 'y'), j = '[]', jb = '{"a": 1}', d = '{1}',
        ts = now(), n = 0, b = '\\x01', "quoted ""col""" = 'changed', skipped = 'changed'`);
    await client.query(`UPDATE upd.t SET f8 = 3, arr = NULL WHERE id = 1`);
    const projection = 'id, f4::text, f8::text, arr::text, txt, nested, j::jsonb, jb, d::text, ts, n, b, "quoted ""col"""';
    const copy = await rowsOf(client, `SELECT ${projection} FROM copies.t_upd1`);
    expect(await rowsOf(client, `SELECT ${projection} FROM chronicle.as_of(NULL::upd.t, 'upd1')`)).toEqual(copy);
    await client.query(`SELECT chronicle.restore_table_state('upd1', 'upd.t', 'upd_then')`);
    expect(await rowsOf(client, `SELECT ${projection} FROM upd_then.t`)).toEqual(copy);
    expect(await rowsOf(client, 'SELECT skipped FROM upd_then.t WHERE skipped IS NOT NULL')).toEqual([]);
    expect(await rowsOf(client, `SELECT ${projection} FROM (SELECT (chronicle.restore_record(NULL::upd.t, jsonb_build_object('id', i), 'upd1')).* FROM generate_series(1, 3) AS i) AS r`))
      .toEqual(copy);
  });

  it('after one UPDATE of every column of a wide table, whose entries are stored compressed, the fast path reads each entry once and exactly', async () => {
    const wide = compressedEntriesTable('wide.t');
    await client.query(`CREATE SCHEMA wide; ${wide.create}`);
    await client.query(wide.insert(30));
    await markAndCopy(client, 'wide1', { t: 'wide.t' });
    await client.query(wide.updateAll('id <= 20'));
    const { rows } = await client.query(`SELECT pg_catalog.bool_and(pg_catalog.pg_column_compression(r.old_data) IS NOT NULL) AS compressed, count(*)::integer AS n
        FROM chronicle.row_log AS r JOIN chronicle.table_event_log AS e ON e.id = r.event_id
        WHERE e.table_id = (SELECT table_id FROM chronicle.audited_tables WHERE audited_table = 'wide.t'::regclass) AND e.operation = 'UPDATE'`);
    expect(rows).toEqual([{ compressed: true, n: 20 }]);
    const copy = await rowsOf(client, 'SELECT * FROM copies.t_wide1');
    expect(await rowsOf(client, `SELECT * FROM chronicle.as_of(NULL::wide.t, 'wide1')`)).toEqual(copy);
  });

  it('after UPDATEs only (the fast path), keys of every kind are read back: arrays, text with quotes, numeric, timestamps', async () => {
    await client.query('CREATE SCHEMA keys');
    await client.query('CREATE TABLE keys.t (a integer[], b text, c numeric, d timestamptz, v integer, PRIMARY KEY (a, b, c, d))');
    await client.query(`SELECT chronicle.create_table_audit('keys.t')`);
    await client.query(`INSERT INTO keys.t SELECT ARRAY[i, i + 1], 'q"' || i, i / 4.0, timestamptz '2026-01-01 00:00+00' + i * interval '1 hour', i FROM generate_series(1, 20) AS i`);
    await markAndCopy(client, 'keys1', { t: 'keys.t' });
    await client.query('UPDATE keys.t SET v = v * 10 WHERE v % 3 = 0');
    const { rows: [{ query }] } = await client.query(
      `SELECT chronicle.state_query(v.table_id, chronicle.cut('keys1'), 'then') AS query FROM chronicle.audited_tables AS v WHERE v.audited_table = 'keys.t'::regclass`);
    expect(query.startsWith('/* chronicle: overlay */')).toBe(true);
    const copy = await rowsOf(client, 'SELECT * FROM copies.t_keys1');
    expect(copy).toHaveLength(20);
    expect(await rowsOf(client, `SELECT * FROM chronicle.as_of(NULL::keys.t, 'keys1')`)).toEqual(copy);
    await client.query(`SELECT chronicle.restore_table_state('keys1', 'keys.t', 'keys_then')`);
    expect(await rowsOf(client, 'SELECT * FROM keys_then.t')).toEqual(copy);
  });

  it('restore_table_state of a table in key order (merge join along the key index) equals the copies, after one UPDATE and after several', async () => {
    await client.query('CREATE SCHEMA ordered');
    await client.query('CREATE TABLE ordered.t (id integer PRIMARY KEY, a integer, b text, c jsonb)');
    await client.query(`SELECT chronicle.create_table_audit('ordered.t')`);
    await client.query(`INSERT INTO ordered.t SELECT i, i % 7, CASE WHEN i % 5 <> 0 THEN 'ü' || i END, jsonb_build_object('i', i) FROM generate_series(1, 3000) AS i`);
    await markAndCopy(client, 'ord1', { t: 'ordered.t' });
    // UPDATEs of every row write the new versions in key order, so the table stays in it
    await client.query('UPDATE ordered.t SET a = a + 1, b = CASE WHEN id % 3 = 0 THEN NULL ELSE b END');
    await markAndCopy(client, 'ord2', { t: 'ordered.t' });
    await client.query(`UPDATE ordered.t SET c = CASE WHEN id % 2 = 0 THEN '{}' ELSE c END`);
    await client.query('ANALYZE ordered.t');
    // the conditions of the merge join hold: a table in key order, and the overlay query
    expect((await client.query(`SELECT chronicle.state_key_ordered('ordered.t') AS ordered`)).rows).toEqual([{ ordered: true }]);
    for (const mark of ['ord1', 'ord2']) {
      const { rows: [{ query }] } = await client.query(
        `SELECT chronicle.state_query(v.table_id, chronicle.cut($1::text), 'then') AS query FROM chronicle.audited_tables AS v WHERE v.audited_table = 'ordered.t'::regclass`, [mark]);
      expect(query.startsWith('/* chronicle: overlay */')).toBe(true);
      await client.query(`SELECT chronicle.restore_table_state($1::text, 'ordered.t', 'ordered_then', replace => true)`, [mark]);
      expect(await rowsOf(client, 'SELECT * FROM ordered_then.t ORDER BY id')).toEqual(await rowsOf(client, `SELECT * FROM copies.t_${mark} ORDER BY id`));
    }
    // hash joins are the planner's again afterwards
    expect((await client.query(`SELECT current_setting('enable_hashjoin') AS s`)).rows).toEqual([{ s: 'on' }]);
    // rows out of key order, or no statistics: the planner's choice
    await client.query('CREATE TABLE ordered.shuffled (id integer PRIMARY KEY, a integer)');
    await client.query(`SELECT chronicle.create_table_audit('ordered.shuffled')`);
    expect((await client.query(`SELECT chronicle.state_key_ordered('ordered.shuffled') AS ordered`)).rows).toEqual([{ ordered: false }]);
    await client.query('INSERT INTO ordered.shuffled SELECT i, i FROM generate_series(1, 3000) AS i ORDER BY md5(i::text)');
    await client.query('ANALYZE ordered.shuffled');
    expect((await client.query(`SELECT chronicle.state_key_ordered('ordered.shuffled') AS ordered`)).rows).toEqual([{ ordered: false }]);
  });

  it('restore_record finds a row\'s history through the BRIN bloom key index, in summarized ranges and in ranges not summarized yet', async () => {
    await client.query('CREATE SCHEMA bloom');
    await client.query('CREATE TABLE bloom.t (region text, n integer, v integer, note text, PRIMARY KEY (region, n))');
    await client.query(`SELECT chronicle.create_table_audit('bloom.t')`);
    await client.query(`INSERT INTO bloom.t SELECT CASE WHEN i % 2 = 0 THEN 'nörd' ELSE 'süd "x"' END, i, i % 11, 'n' || i FROM generate_series(1, 3000) AS i`);
    await markAndCopy(client, 'bloom1', { t: 'bloom.t' });
    await client.query('UPDATE bloom.t SET v = v + 1 WHERE n % 3 = 0');
    await client.query('DELETE FROM bloom.t WHERE n % 7 = 0');
    await client.query(`UPDATE bloom.t SET n = n + 100000 WHERE n % 13 = 0`);
    // every full range so far gets its bloom filter; what follows lands in ranges without one
    const { rows: [{ ranges }] } = await client.query(`SELECT brin_summarize_new_values('chronicle.row_log_row_key_idx') AS ranges`);
    expect(Number(ranges)).toBeGreaterThan(0);
    await markAndCopy(client, 'bloom2', { t: 'bloom.t' });
    await client.query('UPDATE bloom.t SET note = NULL WHERE n % 5 = 0');
    await client.query(`INSERT INTO bloom.t SELECT 'nörd', i, 0, NULL FROM generate_series(3001, 3200) AS i`);
    await client.query('ANALYZE chronicle.row_log');
    await client.query('SET enable_seqscan = off');
    try {
      // the look-up of docs/log-tables.md reads the index
      const { rows: [explained] } = await client.query(`EXPLAIN (FORMAT JSON) SELECT * FROM chronicle.row_log AS r
        WHERE r.table_id = (SELECT v.table_id FROM chronicle.audited_tables AS v WHERE v.audited_table = 'bloom.t'::regclass)
          AND pg_catalog.jsonb_hash(r.row_key) = pg_catalog.jsonb_hash('{"region": "nörd", "n": 42}') AND r.row_key = '{"region": "nörd", "n": 42}'`);
      expect(JSON.stringify(explained['QUERY PLAN'])).toContain('"Index Name":"row_log_row_key_idx"');
      // keys of then (moved, deleted, updated or not), and keys that exist only now
      const keys = JSON.stringify([...Array.from({ length: 3200 }, (_, i) => i + 1).filter((n) => n % 60 === 0 || (n < 500 && (n % 13 === 0 || n % 7 === 0)) || n > 3195),
        ...[13, 26, 39].map((n) => n + 100000)].map((n) => ({ region: n % 2 === 0 ? 'nörd' : 'süd "x"', n })));
      for (const mark of ['bloom1', 'bloom2']) {
        // (a key that did not exist then gives NULL, a row of NULLs here)
        const restored = await rowsOf(client, `SELECT * FROM (SELECT (chronicle.restore_record(NULL::bloom.t, k.key, $1)).* FROM jsonb_array_elements($2::jsonb) AS k(key)) AS r
          WHERE r.n IS NOT NULL`, [mark, keys]);
        const copied = await rowsOf(client, `SELECT c.* FROM copies.t_${mark} AS c JOIN jsonb_array_elements($1::jsonb) AS k(key) ON c.region = k.key ->> 'region' AND c.n = (k.key ->> 'n')::integer`, [keys]);
        expect(restored).toEqual(copied);
        expect(restored.length).toBeGreaterThan(40);
      }
    } finally {
      await client.query('RESET enable_seqscan');
    }
  });

  it('restore_recordset, restore_record_jsonb, restore_recordsets and table_diff write values as the log does (-0, array bounds), see a change of numeric scale, and find rows whose key column was renamed since', async () => {
    await client.query('CREATE SCHEMA exact');
    await client.query('CREATE TABLE exact.t (id integer PRIMARY KEY, f8 float8, arr integer[], n numeric, v text)');
    await client.query(`SELECT chronicle.create_table_audit('exact.t')`);
    await client.query(`INSERT INTO exact.t VALUES (1, '-0', '[0:1]={5,6}', 1.5, 'a'), (2, 1, '{1}', 2, 'b')`);
    await markAndCopy(client, 'exact1', { t: 'exact.t' });
    await client.query('UPDATE exact.t SET n = 1.50 WHERE id = 1');
    await client.query(`UPDATE exact.t SET f8 = 2, arr = '[2:2]={7}' WHERE id = 2`);
    await markAndCopy(client, 'exact2', { t: 'exact.t' });
    const projection = 'id, f8::text, arr::text, n::text, v';
    for (const mark of ['exact1', 'exact2']) {
      const copy = await rowsOf(client, `SELECT ${projection} FROM copies.t_${mark}`);
      // jsonb read back into the row type gives the values exactly
      expect(await rowsOf(client, `SELECT ${projection} FROM chronicle.restore_recordset('exact.t', $1::text) AS j, jsonb_populate_record(NULL::exact.t, j)`, [mark])).toEqual(copy);
      expect(await rowsOf(client, `SELECT ${projection} FROM generate_series(1, 2) AS i,
          jsonb_populate_record(NULL::exact.t, chronicle.restore_record_jsonb('exact.t', jsonb_build_object('id', i), $1::text))`, [mark])).toEqual(copy);
    }
    expect(await rowsOf(client, `SELECT change, row_key::text, old_values::text, new_values::text FROM chronicle.table_diff('exact.t', 'exact1', 'exact2')`)).toEqual([
      '(UPDATE,"{""id"": 1}","{""n"": 1.5}","{""n"": 1.50}")',
      '(UPDATE,"{""id"": 2}","{""f8"": 1, ""arr"": [1]}","{""f8"": 2, ""arr"": ""[2:2]={7}""}")',
    ]);
    const { rows: versions } = await client.query(`SELECT row_data::text AS r FROM chronicle.restore_recordsets('exact.t', 'exact1', 'exact2') ORDER BY transaction_id`);
    expect(versions.map((v) => v.r)).toEqual([
      '{"n": 1.50, "v": "a", "f8": "-0", "id": 1, "arr": "[0:1]={5,6}"}',
      '{"n": 2, "v": "b", "f8": 2, "id": 2, "arr": "[2:2]={7}"}',
    ]);
    // the key column renamed after the point: the row is named by its key column then
    await client.query('ALTER TABLE exact.t RENAME COLUMN id TO "Id now"');
    const { rows: [row] } = await client.query(`SELECT chronicle.restore_record_jsonb('exact.t', '{"id": 1}', 'exact2')::text AS r`);
    expect(row.r).toBe('{"n": 1.50, "v": "a", "f8": "-0", "id": 1, "arr": "[0:1]={5,6}"}');
  });

  it('across changes of shape: restore_table_state rebuilds the columns of then, as_of maps them onto today\'s row type', async () => {
    await client.query('CREATE SCHEMA ddl');
    await client.query('CREATE TABLE ddl.t (id integer PRIMARY KEY, "Old name" text, price integer, gone text, later_retyped integer)');
    await client.query(`SELECT chronicle.create_table_audit('ddl.t')`);
    await client.query(`INSERT INTO ddl.t SELECT i, 'n' || i, i * 10, 'g' || i, i FROM generate_series(1, 12) AS i`);
    await markAndCopy(client, 'ddl1', { t: 'ddl.t' });
    await client.query('ALTER TABLE ddl.t RENAME COLUMN "Old name" TO name');
    await client.query('UPDATE ddl.t SET name = upper(name) WHERE id <= 4');
    await client.query('ALTER TABLE ddl.t ADD COLUMN added date DEFAULT DATE \'2026-11-01\'');
    await client.query('DELETE FROM ddl.t WHERE id = 12');
    await markAndCopy(client, 'ddl2', { t: 'ddl.t' });
    await client.query('ALTER TABLE ddl.t DROP COLUMN gone');
    await client.query('ALTER TABLE ddl.t ALTER COLUMN later_retyped TYPE text USING \'#\' || later_retyped');
    await client.query('UPDATE ddl.t SET price = price + 1, added = NULL WHERE id % 2 = 0');
    await client.query('INSERT INTO ddl.t (id, name, price, later_retyped) VALUES (50, \'fifty\', 5, \'x\')');

    for (const mark of ['ddl1', 'ddl2']) {
      const copy = await rowsOf(client, `SELECT * FROM copies.t_${mark}`);
      await client.query(`SELECT chronicle.restore_table_state($1, 'ddl.t', $2)`, [mark, `shape_${mark}`]);
      expect(await rowsOf(client, `SELECT * FROM shape_${mark}.t`)).toEqual(copy);
      const { rows: columns } = await client.query(
        `SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 ORDER BY attnum`, [`shape_${mark}.t`]);
      const { rows: copyColumns } = await client.query(
        `SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 ORDER BY attnum`, [`copies.t_${mark}`]);
      expect(columns).toEqual(copyColumns);
    }
    // today's row type: the renamed column under its name now, added and dropped ones as they must be
    const today = await rowsOf(client, `SELECT id, name, price, added, later_retyped FROM chronicle.as_of(NULL::ddl.t, 'ddl1')`);
    expect(today).toEqual(await rowsOf(client, `SELECT id, "Old name", price, NULL::date, later_retyped::text FROM copies.t_ddl1`));
    expect(await rowsOf(client, `SELECT id, name, price, added, later_retyped FROM chronicle.as_of(NULL::ddl.t, 'ddl2')`))
      .toEqual(await rowsOf(client, `SELECT id, name, price, added, later_retyped::text FROM copies.t_ddl2`));
    expect(await rowsOf(client, `SELECT (chronicle.restore_record(NULL::ddl.t, '{"id": 3}', 'ddl1')).*`))
      .toEqual(await rowsOf(client, `SELECT id, "Old name", price, later_retyped::text, NULL::date FROM copies.t_ddl1 WHERE id = 3`));
  });

  it('restore_schema_state rebuilds tables dropped since, leaves out tables created later, and recreates keys, constraints, indexes and foreign keys on request', async () => {
    await client.query('CREATE SCHEMA shop');
    await client.query(`CREATE TABLE shop.customer (id integer PRIMARY KEY, name text NOT NULL DEFAULT 'anon', email text UNIQUE, CHECK (length(name) < 40))`);
    await client.query('CREATE TABLE shop.orders (id bigint PRIMARY KEY, customer integer REFERENCES shop.customer, total numeric(10, 2))');
    await client.query('CREATE INDEX orders_customer ON shop.orders (customer) WHERE total > 0');
    await client.query('CREATE TABLE shop.notes (id integer PRIMARY KEY, body text)');
    await client.query(`SELECT chronicle.create_schema_audit('shop', auto_audit_new_tables => true)`);
    await client.query(`INSERT INTO shop.customer SELECT i, 'c' || i, 'c' || i || '@x' FROM generate_series(1, 6) AS i`);
    await client.query(`INSERT INTO shop.orders SELECT i, 1 + i % 6, i * 2.5 FROM generate_series(1, 20) AS i`);
    await client.query(`INSERT INTO shop.notes VALUES (1, 'kept in the log'), (2, 'ü')`);
    await markAndCopy(client, 'shop1', { customer: 'shop.customer', orders: 'shop.orders', notes: 'shop.notes' });
    await client.query('CREATE TABLE shop.later (id integer PRIMARY KEY)');
    await client.query('INSERT INTO shop.later VALUES (1)');
    await client.query('DELETE FROM shop.orders WHERE customer = 2');
    await client.query('DELETE FROM shop.notes WHERE id = 1');
    await client.query('DROP TABLE shop.notes');
    await client.query(`UPDATE shop.customer SET name = 'renamed' WHERE id = 3`);

    const created = await client.query<{ r: string }>(`SELECT r::text FROM chronicle.restore_schema_state('shop1', 'shop', 'shop_then', constraints => true) AS r`);
    expect(created.rows.map((r) => r.r).sort()).toEqual(['shop_then.customer', 'shop_then.notes', 'shop_then.orders']);
    for (const table of ['customer', 'orders', 'notes']) {
      expect(await rowsOf(client, `SELECT * FROM shop_then.${table}`)).toEqual(await rowsOf(client, `SELECT * FROM copies.${table}_shop1`));
    }
    const { rows: constraints } = await client.query<{ c: string }>(
      `SELECT conrelid::regclass::text || ' ' || pg_get_constraintdef(oid) AS c FROM pg_constraint
        WHERE connamespace = 'shop_then'::regnamespace AND contype <> 'n' ORDER BY 1`);
    expect(constraints.map((r) => r.c)).toEqual([
      'shop_then.customer CHECK ((length(name) < 40))',
      'shop_then.customer PRIMARY KEY (id)',
      'shop_then.customer UNIQUE (email)',
      'shop_then.notes PRIMARY KEY (id)',
      'shop_then.orders FOREIGN KEY (customer) REFERENCES shop_then.customer(id)',
      'shop_then.orders PRIMARY KEY (id)',
    ]);
    const { rows: [customer] } = await client.query(
      `SELECT a.attnotnull, pg_get_expr(d.adbin, d.adrelid) AS def FROM pg_attribute AS a LEFT JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = 'shop_then.customer'::regclass AND a.attname = 'name'`);
    expect(customer).toEqual({ attnotnull: true, def: "'anon'::text" });
    // today's partial index comes along; the dropped table gets its key only (nothing records its other indexes)
    const { rows: indexes } = await client.query<{ i: string }>(
      `SELECT pg_get_indexdef(indexrelid) AS i FROM pg_index WHERE indrelid IN ('shop_then.orders'::regclass, 'shop_then.notes'::regclass) ORDER BY 1`);
    expect(indexes.map((r) => r.i.replace(/INDEX \S+ ON/, 'INDEX ON'))).toEqual([
      'CREATE INDEX ON shop_then.orders USING btree (customer) WHERE (total > (0)::numeric)',
      'CREATE UNIQUE INDEX ON shop_then.notes USING btree (id)',
      'CREATE UNIQUE INDEX ON shop_then.orders USING btree (id)',
    ]);
  });

  it('a restored VIEW follows the log: it keeps showing the state of its point while the table changes on', async () => {
    await client.query('CREATE SCHEMA live');
    await client.query('CREATE TABLE live.t (id integer PRIMARY KEY, v text)');
    await client.query(`SELECT chronicle.create_table_audit('live.t')`);
    await client.query(`INSERT INTO live.t SELECT i, 'v' || i FROM generate_series(1, 10) AS i`);
    await markAndCopy(client, 'live1', { t: 'live.t' });
    await client.query(`SELECT chronicle.restore_table_state('live1', 'live.t', 'live_view', 'VIEW')`);
    const copy = await rowsOf(client, 'SELECT * FROM copies.t_live1');
    expect(await rowsOf(client, 'SELECT * FROM live_view.t')).toEqual(copy);
    await client.query(`UPDATE live.t SET v = 'later', id = id + 100 WHERE id < 5`);
    await client.query('DELETE FROM live.t WHERE id > 8');
    expect(await rowsOf(client, 'SELECT * FROM live.t')).not.toEqual(copy);
    expect(await rowsOf(client, 'SELECT * FROM live_view.t')).toEqual(copy);
  });

  it('timestamp and transaction points give the state committed by then', async () => {
    await client.query('CREATE SCHEMA points');
    await client.query('CREATE TABLE points.t (id integer PRIMARY KEY, v integer)');
    await client.query(`SELECT chronicle.create_table_audit('points.t')`);
    await client.query('INSERT INTO points.t SELECT i, 0 FROM generate_series(1, 5) AS i');
    await client.query('UPDATE points.t SET v = 1 WHERE id <= 2');
    const { rows: [first] } = await client.query('SELECT max(id) AS id, clock_timestamp()::text AS at FROM chronicle.transaction_log');
    const copy = await rowsOf(client, 'SELECT * FROM points.t');
    await client.query('UPDATE points.t SET v = 2');
    await client.query('DELETE FROM points.t WHERE id = 5');
    expect(await rowsOf(client, 'SELECT * FROM chronicle.as_of(NULL::points.t, $1::bigint)', [first.id])).toEqual(copy);
    expect(await rowsOf(client, 'SELECT * FROM chronicle.as_of(NULL::points.t, $1::timestamptz)', [first.at])).toEqual(copy);
    expect(await rowsOf(client, `SELECT * FROM chronicle.as_of(NULL::points.t, '${first.at}')`)).toEqual(copy);
    expect(await rowsOf(client, 'SELECT * FROM chronicle.as_of(NULL::points.t, now())')).toEqual(await rowsOf(client, 'SELECT * FROM points.t'));
  });

  it('restore_records lists every version of a row with its transaction, and table_diff the changes between two points', async () => {
    await client.query('CREATE SCHEMA hist');
    await client.query('CREATE TABLE hist.t (id integer PRIMARY KEY, v text, n integer)');
    await client.query(`SELECT chronicle.create_table_audit('hist.t')`);
    await client.query(`INSERT INTO hist.t VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 3)`);
    await client.query(`SELECT chronicle.set_mark('hist1')`);
    await client.query(`SET application_name = 'history test'`);
    await client.query(`UPDATE hist.t SET v = 'a2' WHERE id = 1`);
    await client.query('BEGIN');
    await client.query(`UPDATE hist.t SET n = 10 WHERE id = 1`);
    await client.query(`UPDATE hist.t SET v = 'a3' WHERE id = 1`);
    await client.query('COMMIT');
    await client.query('DELETE FROM hist.t WHERE id IN (1, 2)');
    await client.query(`INSERT INTO hist.t VALUES (1, 'reborn', 0), (4, 'd', 4)`);
    await client.query(`UPDATE hist.t SET n = n + 1 WHERE id = 3`);
    await client.query(`SELECT chronicle.set_mark('hist2')`);

    const { rows } = await client.query(`SELECT operations, row_data, application_name FROM chronicle.restore_records('hist.t', '{"id": 1}')`);
    expect(rows).toEqual([
      { operations: ['INSERT'], row_data: { id: 1, v: 'a', n: 1 }, application_name: expect.any(String) },
      { operations: ['UPDATE'], row_data: { id: 1, v: 'a2', n: 1 }, application_name: 'history test' },
      { operations: ['UPDATE', 'UPDATE'], row_data: { id: 1, v: 'a3', n: 10 }, application_name: 'history test' },
      { operations: ['DELETE'], row_data: null, application_name: 'history test' },
      { operations: ['INSERT'], row_data: { id: 1, v: 'reborn', n: 0 }, application_name: 'history test' },
    ]);
    const { rows: versions } = await client.query(
      `SELECT row_key, operations, row_data FROM chronicle.restore_recordsets('hist.t', 'hist1', 'hist2') ORDER BY transaction_id, row_key::text`);
    expect(versions).toEqual([
      { row_key: { id: 1 }, operations: ['UPDATE'], row_data: { id: 1, v: 'a2', n: 1 } },
      { row_key: { id: 1 }, operations: ['UPDATE', 'UPDATE'], row_data: { id: 1, v: 'a3', n: 10 } },
      { row_key: { id: 1 }, operations: ['DELETE'], row_data: null },
      { row_key: { id: 2 }, operations: ['DELETE'], row_data: null },
      { row_key: { id: 1 }, operations: ['INSERT'], row_data: { id: 1, v: 'reborn', n: 0 } },
      { row_key: { id: 4 }, operations: ['INSERT'], row_data: { id: 4, v: 'd', n: 4 } },
      { row_key: { id: 3 }, operations: ['UPDATE'], row_data: { id: 3, v: 'c', n: 4 } },
    ]);
    const { rows: diff } = await client.query(`SELECT change, row_key, old_values, new_values FROM chronicle.table_diff('hist.t', 'hist1', 'hist2') ORDER BY row_key->>'id'`);
    expect(diff).toEqual([
      { change: 'UPDATE', row_key: { id: 1 }, old_values: { v: 'a', n: 1 }, new_values: { v: 'reborn', n: 0 } },
      { change: 'DELETE', row_key: { id: 2 }, old_values: { id: 2, v: 'b', n: 2 }, new_values: null },
      { change: 'UPDATE', row_key: { id: 3 }, old_values: { n: 3 }, new_values: { n: 4 } },
      { change: 'INSERT', row_key: { id: 4 }, old_values: null, new_values: { id: 4, v: 'd', n: 4 } },
    ]);
  });

  it('refuses bad input with SQLSTATE and HINT and creates nothing', async () => {
    await client.query('CREATE SCHEMA bad');
    await client.query('CREATE TABLE bad.t (id integer PRIMARY KEY, v text)');
    await client.query('CREATE TABLE bad.never (id integer PRIMARY KEY)');
    await client.query(`SELECT chronicle.set_mark('before_bad')`);
    await client.query(`SELECT chronicle.create_table_audit('bad.t')`);
    await client.query(`INSERT INTO bad.t VALUES (1, 'x')`);
    await client.query(`SELECT chronicle.set_mark('bad1')`);
    await client.query('CREATE SCHEMA occupied');
    await client.query('CREATE TABLE occupied.something (x integer)');
    const cases: [string, string, string][] = [
      [`SELECT * FROM chronicle.as_of(NULL::bad.t, 'no such mark')`, '42704', 'mark name'],
      [`SELECT * FROM chronicle.as_of(NULL::bad.t, 'before_bad')`, '22023', 'later point'],
      [`SELECT * FROM chronicle.as_of(NULL::bad.never, 'bad1')`, '55000', 'audited'],
      [`SELECT * FROM chronicle.as_of(NULL::bad.t, 999999::bigint)`, '22023', 'transaction_log id'],
      [`SELECT * FROM chronicle.as_of(NULL::bad.t, now() + interval '1 day')`, '22023', 'now()'],
      [`SELECT * FROM chronicle.as_of(NULL::bad.t, NULL::text)`, '22004', 'mark name'],
      [`SELECT * FROM chronicle.as_of(1, 'bad1')`, '42809', 'row type'],
      [`SELECT chronicle.restore_record(NULL::bad.t, '{"nope": 1}', 'bad1')`, '22023', 'key columns'],
      [`SELECT chronicle.restore_table_state('bad1', 'bad.t', 'occupied')`, '42P06', 'replace'],
      [`SELECT chronicle.restore_table_state('bad1', 'bad.t', 'bad')`, '22023', 'schema of its own'],
      [`SELECT chronicle.restore_table_state('bad1', 'bad.t', 'chronicle')`, '22023', 'schema of your own'],
      [`SELECT chronicle.restore_table_state('bad1', 'bad.t', 'fresh_bad', 'TABLES')`, '22023', 'VIEW'],
      [`SELECT chronicle.restore_table_state('bad1', 'bad.t', 'fresh_bad', 'VIEW', constraints => true)`, '22023', 'TABLE'],
      [`SELECT chronicle.restore_table_state('bad1', 'bad.never', 'fresh_bad')`, '55000', 'audited'],
      [`SELECT chronicle.restore_schema_state('bad1', 'no_schema', 'fresh_bad')`, '22023', 'audit_table_log'],
    ];
    for (const [sql, code, hint] of cases) {
      const error = await failure(client, sql);
      expect({ sql, code: error.code }).toEqual({ sql, code });
      expect(error.hint ?? '').toContain(hint);
    }
    expect(await schemaExists(client, 'fresh_bad')).toBe(false);
    expect(await rowsOf(client, `SELECT relname FROM pg_class WHERE relnamespace = 'occupied'::regnamespace`)).toEqual(['(something)']);
    // replace => true replaces what has the restored table's name and leaves the rest
    await client.query(`CREATE TABLE occupied.t (stale boolean)`);
    await client.query('BEGIN');
    try {
      await client.query(`SELECT chronicle.restore_table_state('bad1', 'bad.t', 'occupied', replace => true)`);
      // dropping the old occupied.t logged no pre-image of the audited bad.t, nor locked it against readers
      expect(await rowsOf(client, `SELECT mode FROM pg_locks WHERE relation = 'bad.t'::regclass AND pid = pg_backend_pid() AND mode <> 'AccessShareLock'`)).toEqual([]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
    expect(await rowsOf(client, 'SELECT * FROM occupied.t')).toEqual(['(1,x)']);
    expect(await rowsOf(client, `SELECT relname FROM pg_class WHERE relnamespace = 'occupied'::regnamespace AND relkind = 'r'`)).toEqual(['(something)', '(t)']);
    // a change of the row key after the point cannot be crossed
    await client.query('ALTER TABLE bad.t ADD COLUMN code text');
    await client.query(`UPDATE bad.t SET code = 'c' || id`);
    await client.query('ALTER TABLE bad.t ALTER COLUMN code SET NOT NULL');
    await client.query('ALTER TABLE bad.t DROP CONSTRAINT t_pkey, ADD PRIMARY KEY (code)');
    const keyChange = await failure(client, `SELECT * FROM chronicle.as_of(NULL::bad.t, 'bad1')`);
    expect(keyChange.code).toBe('0A000');
    expect(keyChange.hint).toContain('after it');
  });

  it('runs with the privileges of the caller: chronicle_viewer reads the past of tables it may read, other roles cannot', async () => {
    await client.query('CREATE SCHEMA priv');
    await client.query('CREATE TABLE priv.t (id integer PRIMARY KEY, v text)');
    await client.query(`SELECT chronicle.create_table_audit('priv.t')`);
    await client.query(`INSERT INTO priv.t VALUES (1, 'one')`);
    await client.query(`SELECT chronicle.set_mark('priv1')`);
    await client.query('DELETE FROM priv.t');
    await client.query('DROP ROLE IF EXISTS tt_viewer');
    await client.query('DROP ROLE IF EXISTS tt_outsider');
    await client.query('CREATE ROLE tt_viewer IN ROLE chronicle_viewer');
    await client.query('CREATE ROLE tt_outsider');
    await client.query('GRANT USAGE ON SCHEMA priv TO tt_viewer, tt_outsider');
    await client.query('GRANT SELECT ON priv.t TO tt_viewer, tt_outsider');
    try {
      await client.query('SET ROLE tt_viewer');
      expect(await rowsOf(client, `SELECT * FROM chronicle.as_of(NULL::priv.t, 'priv1')`)).toEqual(['(1,one)']);
      expect((await failure(client, `SELECT chronicle.restore_table_state('priv1', 'priv.t', 'priv_copy')`)).code).toBe('42501');
      await client.query('SET ROLE tt_outsider');
      expect((await failure(client, `SELECT * FROM chronicle.as_of(NULL::priv.t, 'priv1')`)).code).toBe('42501');
    } finally {
      await client.query('RESET ROLE');
    }
  });

  it(`rebuilds states from logs written by ${LAST_RELEASE} after ALTER EXTENSION chronicle UPDATE`, async () => {
    const name = databaseNameFor(__filename, 'upgrade');
    await createDatabase(server, name);
    const old = await connectTo(server, name);
    try {
      await old.query(`CREATE EXTENSION chronicle VERSION '${LAST_RELEASE}'`);
      await old.query('CREATE TABLE public.t (id integer PRIMARY KEY, v text)');
      await old.query(`SELECT chronicle.create_table_audit('public.t')`);
      await old.query(`INSERT INTO public.t SELECT i, 'v' || i FROM generate_series(1, 8) AS i`);
      await old.query(`UPDATE public.t SET v = 'changed', id = id + 10 WHERE id < 3`);
      const { rows: [point] } = await old.query('SELECT max(id) AS id FROM chronicle.transaction_log');
      const copy = await rowsOf(old, 'SELECT * FROM public.t');
      await old.query(`DELETE FROM public.t WHERE id > 5`);
      await old.query(`UPDATE public.t SET v = NULL`);
      await old.query('ALTER EXTENSION chronicle UPDATE');
      await old.query(`UPDATE public.t SET v = 'after update'`);
      expect(await rowsOf(old, 'SELECT * FROM chronicle.as_of(NULL::public.t, $1::bigint)', [point.id])).toEqual(copy);
    } finally {
      await old.end();
      await dropDatabase(server, name);
    }
  });
});
