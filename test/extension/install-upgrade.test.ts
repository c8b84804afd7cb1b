/**
 * On every server: each release installs, every upgrade path ends in the same catalog as a
 * fresh install of the version under development, and DROP EXTENSION removes every object.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareVersions } from '../../src/generator/control';
import { splitStatements } from '../../src/generator/sql-text';
import { packageRoot } from '../../src/package-root';
import { catalogSnapshot } from '../helpers/catalog';
import { connectTo, createDatabase, databaseNameFor, dropDatabase, testServers } from '../helpers/database';
import type { ServerInfo } from '../helpers/servers/types';

const history = JSON.parse(readFileSync(join(packageRoot(), 'control', 'releases.json'), 'utf8')) as {
  next: string;
  releases: { version: string }[];
};
const released = history.releases.map((r) => r.version);

async function snapshotAfter(server: ServerInfo, label: string, statements: string[]) {
  const name = databaseNameFor(__filename, label);
  await createDatabase(server, name);
  const client = await connectTo(server, name);
  try {
    for (const sql of statements) await client.query(sql);
    return await catalogSnapshot(client);
  } finally {
    await client.end();
    await dropDatabase(server, name);
  }
}

describe.each(testServers().map((s) => [s.name, s] as const))('%s', (_name, server) => {
  it(`installs ${history.next} (the default version) with the expected objects`, async () => {
    const snapshot = await snapshotAfter(server, 'fresh', ['CREATE EXTENSION chronicle']);
    expect(snapshot.extension).toEqual([`chronicle ${history.next} schema=chronicle relocatable=f`]);
    expect(snapshot.members).toContain('function chronicle.version()');
    expect(snapshot.routines.join('\n')).toContain('SET search_path TO \'pg_catalog\', \'pg_temp\'');
  });

  it.each(released)(`upgrading from %s gives the same catalog as a fresh install of ${history.next}`, async (from) => {
    const fresh = await snapshotAfter(server, 'fresh', ['CREATE EXTENSION chronicle']);
    const upgraded = await snapshotAfter(server, `from_${from.replace(/\./g, '_')}`, [
      `CREATE EXTENSION chronicle VERSION '${from}'`,
      'ALTER EXTENSION chronicle UPDATE',
    ]);
    expect(upgraded).toEqual(fresh);
    expect(fresh.members.length).toBeGreaterThan(0);
  });

  it.each(released)('release %s still installs from its frozen script', async (version) => {
    const snapshot = await snapshotAfter(server, 'old', [`CREATE EXTENSION chronicle VERSION '${version}'`]);
    expect(snapshot.extension).toEqual([`chronicle ${version} schema=chronicle relocatable=f`]);
  });

  it('the catalog snapshot sees a changed function, privilege, comment and table (so the equality above can fail)', async () => {
    const fresh = await snapshotAfter(server, 'fresh', ['CREATE EXTENSION chronicle']);
    const changes: [string, string][] = [
      ['routines', "ALTER FUNCTION chronicle.version() SET work_mem = '1MB'"],
      ['routines', 'REVOKE EXECUTE ON FUNCTION chronicle.version() FROM PUBLIC'],
      ['routines', "COMMENT ON FUNCTION chronicle.version() IS 'changed'"],
      ['columns', 'CREATE TABLE chronicle.extra (id int PRIMARY KEY)'],
    ];
    for (const [section, change] of changes) {
      const changed = await snapshotAfter(server, 'changed', ['CREATE EXTENSION chronicle', change]);
      expect(changed[section]).not.toEqual(fresh[section]);
    }
  });

  it(`sync_table_structure generates again, after the upgrade from ${released[released.length - 1]}, the capture functions the release wrote, logging nothing`, async () => {
    const name = databaseNameFor(__filename, 'captures');
    await createDatabase(server, name);
    const client = await connectTo(server, name);
    const capture = async () => (await client.query(
      `SELECT p.xmin::text AS version, p.prosrc,
              chronicle.capture_function_source(t.table_id, t.audited_table) AS rendered
         FROM chronicle.audited_tables AS t JOIN pg_proc AS p ON p.oid = format('chronicle.capture_%s()', t.table_id)::regprocedure`,
    )).rows[0];
    const logged = async () => (await client.query(
      'SELECT (SELECT count(*) FROM chronicle.table_event_log)::int AS events, (SELECT count(*) FROM chronicle.transaction_log)::int AS transactions',
    )).rows[0];
    try {
      await client.query(`CREATE EXTENSION chronicle VERSION '${released[released.length - 1]}'`);
      await client.query(`CREATE TABLE public.t (id integer PRIMARY KEY, v text);
        SELECT chronicle.create_table_audit('public.t'); INSERT INTO public.t VALUES (1, 'a')`);
      const warnings: string[] = [];
      client.on('notice', (n) => { if (n.severity === 'WARNING') warnings.push(n.message ?? ''); });
      await client.query('ALTER EXTENSION chronicle UPDATE');
      // (the warning is part of the step to 0.3.0, which fixed how the functions name their table)
      expect(warnings).toEqual(compareVersions(released[released.length - 1], '0.3.0') < 0
        ? ['the capture functions of 1 audited tables were generated by an earlier version of chronicle'] : []);
      const before = await capture();
      const log = await logged();
      expect((await client.query("SELECT chronicle.sync_table_structure('public.t') AS events")).rows[0].events).toBe('0');
      const after = await capture();
      expect(after.prosrc).toBe(after.rendered);
      // regenerated only when the release's capture differs from this version's
      expect(after.version !== before.version).toBe(before.prosrc !== before.rendered);
      // up to date: called again, it changes nothing
      await client.query("SELECT chronicle.sync_table_structure('public.t')");
      expect((await capture()).version).toBe(after.version);
      expect(await logged()).toEqual(log);
      await client.query("UPDATE public.t SET v = 'b'");
      expect((await client.query('SELECT row_key, old_data FROM chronicle.row_log ORDER BY event_id DESC LIMIT 1')).rows)
        .toEqual([{ row_key: { id: 1 }, old_data: { v: 'a' } }]);
    } finally {
      await client.end();
      await dropDatabase(server, name);
    }
  });

  // A summarized range has its summary updated by every write into it: the install and the upgrade
  // leave the range being filled without one, as VACUUM does (docs/log-tables.md, "Summaries").
  it.each([[`a fresh install of ${history.next}`, null], [`the upgrade from ${released[released.length - 1]}`, released[released.length - 1]]])(
    'after %s, the log BRIN indexes have no summary of the range being filled',
    async (_label, from) => {
      const name = databaseNameFor(__filename, 'brin_tails');
      await createDatabase(server, name);
      const client = await connectTo(server, name);
      const writes = `INSERT INTO public.t SELECT i, 'v' || i FROM generate_series(1, 500) AS i;
        UPDATE public.t SET v = 'w' WHERE id = 1; DELETE FROM public.t WHERE id = 2`;
      try {
        await client.query(from === null ? 'CREATE EXTENSION chronicle' : `CREATE EXTENSION chronicle VERSION '${from}'`);
        await client.query("CREATE TABLE public.t (id integer PRIMARY KEY, v text); SELECT chronicle.create_table_audit('public.t')");
        await client.query(writes);
        if (from !== null) await client.query('ALTER EXTENSION chronicle UPDATE');
        await client.query(writes.replace('generate_series(1, 500)', 'generate_series(501, 1000)').replace(/id = ([12])/g, 'id = 50$1'));
        // brin_summarize_range counts the ranges it summarized: 1 where the range had no summary
        // (rolled back, so that the check leaves the indexes as they were)
        await client.query('BEGIN');
        const summarized = (await client.query(`
          SELECT c.relname AS index, pg_catalog.brin_summarize_range(i.indexrelid::regclass,
                   greatest(pg_relation_size(i.indrelid) / current_setting('block_size')::bigint - 1, 0))::int AS summarized
            FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid JOIN pg_am AS a ON a.oid = c.relam
           WHERE c.relnamespace = 'chronicle'::regnamespace AND a.amname = 'brin' ORDER BY 1`)).rows;
        await client.query('ROLLBACK');
        expect(summarized).toEqual(['row_log_event_idx', 'row_log_row_key_idx', 'table_event_log_transaction_idx', 'transaction_log_committed_at_idx']
          .map((index) => ({ index, summarized: 1 })));
      } finally {
        await client.end();
        await dropDatabase(server, name);
      }
    },
  );

  it('DROP EXTENSION removes every object it created', async () => {
    const snapshot = await snapshotAfter(server, 'dropped', ['CREATE EXTENSION chronicle', 'DROP EXTENSION chronicle']);
    const leftovers = Object.entries(snapshot).filter(([section, lines]) => section !== 'schema' && lines.length > 0);
    expect(leftovers).toEqual([]);
  });

  it('refuses to install into a schema "chronicle" that already holds objects, and creates nothing', async () => {
    const name = databaseNameFor(__filename, 'planted');
    await createDatabase(server, name);
    const client = await connectTo(server, name);
    try {
      await client.query('CREATE SCHEMA chronicle');
      await client.query('CREATE FUNCTION chronicle.version() RETURNS text LANGUAGE sql AS $$ SELECT \'planted\' $$');
      await expect(client.query('CREATE EXTENSION chronicle')).rejects.toMatchObject({
        code: '42P06',
        message: 'schema "chronicle" already contains objects',
        hint: expect.stringContaining('Drop or rename the existing schema'),
      });
      const { rows } = await client.query("SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'chronicle'");
      expect(rows[0].n).toBe(0);
    } finally {
      await client.end();
      await dropDatabase(server, name);
    }
  });
});

it('the install script cannot be run by hand in psql, locks its search_path and never replaces', () => {
  const script = readFileSync(join(packageRoot(), 'extension', `chronicle--${history.next}.sql`), 'utf8');
  expect(script).toMatch(/^\\echo Use "CREATE EXTENSION chronicle" to load this file\. \\quit$/m);
  expect(script).toMatch(/^SET LOCAL search_path = pg_catalog, pg_temp;$/m);
  const statements = splitStatements(script);
  expect(statements.some((statement) => /^CREATE\s+FUNCTION/i.test(statement.head))).toBe(true);
  // Only top-level statements count: function bodies may build CREATE OR REPLACE statements.
  expect(statements.filter((statement) => /^CREATE\s+OR\s+REPLACE/i.test(statement.head))).toEqual([]);
});
