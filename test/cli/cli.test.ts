/**
 * The pg-chronicle CLI against real servers: install, upgrade, status, and every failure with
 * its exit code and message.
 */
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, connectionConfig } from '../../src/db/connection';
import { packageRoot } from '../../src/package-root';
import { catalogSnapshot } from '../helpers/catalog';
import { runCli } from '../helpers/cli';
import { connectTo, createDatabase, databaseNameFor, dropDatabase, testServers } from '../helpers/database';
import { serverUrl, type ServerInfo } from '../helpers/servers/types';
import { ALL_VERSIONS, DEFAULT_VERSION, LAST_RELEASE } from '../helpers/versions';

const servers = testServers();
const created: [ServerInfo, string][] = [];

async function freshDatabase(server: ServerInfo, label: string): Promise<{ name: string; url: string }> {
  const name = databaseNameFor(__filename, label);
  const url = await createDatabase(server, name);
  created.push([server, name]);
  return { name, url };
}

async function installedVersion(server: ServerInfo, database: string): Promise<string | null> {
  const client = await connectTo(server, database);
  try {
    const { rows } = await client.query("SELECT extversion FROM pg_extension WHERE extname = 'chronicle'");
    return rows[0]?.extversion ?? null;
  } finally {
    await client.end();
  }
}

/** Copy files where the server reads them (containers have them baked in). */
function filesOption(server: ServerInfo): string[] {
  return server.extensionDir ? ['--extension-dir', server.extensionDir] : ['--skip-files'];
}

afterAll(async () => {
  for (const [server, name] of created) await dropDatabase(server, name);
});

describe.each(servers.map((s) => [s.name, s] as const))('%s', (_name, server) => {
  it('installs the default version, then reports it installed and does nothing more', async () => {
    const { name, url } = await freshDatabase(server, 'install');
    const first = await runCli(['install', '--db', url, ...filesOption(server)]);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toContain(`installed chronicle ${DEFAULT_VERSION}`);
    expect(await installedVersion(server, name)).toBe(DEFAULT_VERSION);
    const second = await runCli(['install', '--db', url, '--skip-files']);
    expect(second).toMatchObject({ code: 0 });
    expect(second.stdout).toContain(`chronicle ${DEFAULT_VERSION} is already installed; nothing to do`);
  });

  it('installs an older version, upgrades it printing from -> to, and reports status', async () => {
    const { name, url } = await freshDatabase(server, 'upgrade');
    expect((await runCli(['install', '--db', url, '--skip-files', '--version', '0.1.0'])).code).toBe(0);
    const installed = await runCli(['install', '--db', url, '--skip-files']);
    expect(installed.stdout).toContain(`version ${DEFAULT_VERSION} is available: run \`pg-chronicle upgrade\``);
    const upgraded = await runCli(['upgrade', '--db', url]);
    expect(upgraded).toMatchObject({ code: 0, stdout: `chronicle 0.1.0 -> ${DEFAULT_VERSION}\n` });
    expect(await installedVersion(server, name)).toBe(DEFAULT_VERSION);
    const again = await runCli(['upgrade', '--db', url]);
    expect(again).toMatchObject({ code: 0, stdout: `chronicle ${DEFAULT_VERSION} is already at ${DEFAULT_VERSION}; nothing to do\n` });
    const report = await runCli(['status', '--db', url, '--json']);
    expect(report.code).toBe(0);
    expect(JSON.parse(report.stdout)).toMatchObject({
      installed: DEFAULT_VERSION, defaultVersion: DEFAULT_VERSION, available: ALL_VERSIONS, database: name, auditedTables: [],
      ddlCaptureEnabled: true, inactiveEventTriggers: [],
      logTables: ['audit_column_log', 'audit_table_log', 'auto_audit_schema', 'mark', 'revert_log', 'row_log', 'table_event_log', 'transaction_log']
        .map((t) => ({ table: `chronicle.${t}`, rows: 0, bytes: expect.any(Number) })),
    });
    const text = await runCli(['status', '--db', url]);
    expect(text.stdout.split('\n')).toContain(`installed version:  ${DEFAULT_VERSION}`);
    expect(text.stdout).toMatch(/^ {2}chronicle\.transaction_log: ~0 rows, \d+\.\d kB$/m);
    expect(text.stdout).toContain(`PostgreSQL ${server.major}.`);
    expect(text.stdout).toMatch(/^audited tables: {5}0$/m);
    expect(text.stdout).toMatch(/^DDL capture: {8}on$/m);
  });

  it(`upgrading from ${LAST_RELEASE} generates again the capture functions of audited tables, and warns of those it cannot`, async () => {
    const { name, url } = await freshDatabase(server, 'upgrade_captures');
    expect((await runCli(['install', '--db', url, '--skip-files', '--version', LAST_RELEASE])).code).toBe(0);
    const client = await connectTo(server, name);
    const sources = async () => new Map((await client.query(
      `SELECT p.proname, p.prosrc FROM pg_proc AS p WHERE p.pronamespace = 'chronicle'::regnamespace AND p.proname ~ '^capture_[0-9]+$'`,
    )).rows.map((r) => [r.proname as string, r.prosrc as string]));
    try {
      await client.query(`CREATE TABLE public.kept (id integer PRIMARY KEY, v text);
        CREATE TABLE public.keyless (id integer PRIMARY KEY, v text);
        SELECT chronicle.create_table_audit('public.kept');
        SELECT chronicle.create_table_audit('public.keyless');
        INSERT INTO public.kept VALUES (1, 'a'), (2, 'b');
        -- a key dropped while DDL capture was off: sync_table_structure refuses this table
        ALTER EVENT TRIGGER chronicle_ddl_command_start DISABLE; ALTER EVENT TRIGGER chronicle_ddl_command_end DISABLE;
        ALTER TABLE public.keyless DROP CONSTRAINT keyless_pkey;
        ALTER EVENT TRIGGER chronicle_ddl_command_start ENABLE; ALTER EVENT TRIGGER chronicle_ddl_command_end ENABLE`);
      const ids = Object.fromEntries((await client.query('SELECT table_name, table_id FROM chronicle.audited_tables')).rows
        .map((r) => [r.table_name as string, `capture_${r.table_id}`]));
      const before = await sources();

      const upgraded = await runCli(['upgrade', '--db', url]);
      expect(upgraded.code).toBe(0);
      const after = await sources();
      // every capture function the new version can generate is now exactly its rendering
      const rendered = (await client.query(
        `SELECT chronicle.capture_function_source(t.table_id, t.audited_table) AS body
           FROM chronicle.audited_tables AS t WHERE t.table_name = 'kept'`)).rows[0].body;
      expect(after.get(ids.kept)).toBe(rendered);
      expect(after.get(ids.keyless)).toBe(before.get(ids.keyless));
      const changed = [...after].filter(([fn, src]) => before.get(fn) !== src).length;
      expect(upgraded.stdout).toBe(`chronicle ${LAST_RELEASE} -> ${DEFAULT_VERSION}\n`
        + (changed > 0 ? `capture functions generated again: ${changed} audited table${changed === 1 ? '' : 's'}\n` : ''));
      expect(upgraded.stderr).toMatch(/^warning: the capture function of public\.keyless was left as it was \(it keeps logging\): audited table public\.keyless would lose its audit/);
      // both tables still log
      await client.query("UPDATE public.kept SET v = 'c' WHERE id = 1; INSERT INTO public.keyless VALUES (3, 'x')");
      const { rows } = await client.query(
        `SELECT t.table_name, e.operation::text AS op, r.row_key, r.old_data FROM chronicle.row_log AS r
           JOIN chronicle.table_event_log AS e ON e.id = r.event_id JOIN chronicle.audited_tables AS t ON t.table_id = r.table_id
          ORDER BY r.event_id`);
      expect(rows.slice(-2)).toEqual([
        { table_name: 'kept', op: 'UPDATE', row_key: { id: 1 }, old_data: { v: 'a' } },
        { table_name: 'keyless', op: 'INSERT', row_key: { id: 3 }, old_data: null },
      ]);
    } finally {
      await client.end();
    }
  });

  it('keeps running when the server ends a connection between queries: the next query fails instead', async () => {
    const { url } = await freshDatabase(server, 'terminated');
    const client = await connect(connectionConfig({ url }));
    const admin = await connectTo(server, 'postgres');
    try {
      const { rows: [backend] } = await client.query('SELECT pg_backend_pid() AS pid');
      await admin.query('SELECT pg_terminate_backend($1)', [backend.pid]);
      // the termination reaches the idle client as an 'error' event, which without a listener
      // would end this process
      await new Promise((resolve) => setTimeout(resolve, 300));
      await expect(client.query('SELECT 1')).rejects.toThrow();
    } finally {
      await admin.end();
      await client.end().catch(() => undefined);
    }
  });

  it('reports the audited tables with their options, schema-qualified, as text and as JSON', async () => {
    const { name, url } = await freshDatabase(server, 'status_audited');
    expect((await runCli(['install', '--db', url, '--skip-files'])).code).toBe(0);
    const client = await connectTo(server, name);
    try {
      await client.query(`CREATE TABLE public.orders (id integer PRIMARY KEY, item text, secret text);
        CREATE SCHEMA "Odd Schema";
        CREATE TABLE "Odd Schema"."Line Items" (order_id integer, line integer, PRIMARY KEY (order_id, line));
        CREATE TABLE public.unaudited (id integer PRIMARY KEY);
        SELECT chronicle.create_table_audit('public.orders', log_new_data => true, excluded_columns => '{secret}');
        SELECT chronicle.create_table_audit('"Odd Schema"."Line Items"', log_old_data => false)`);
    } finally {
      await client.end();
    }
    const json = await runCli(['status', '--db', url, '--json']);
    expect(json).toMatchObject({ code: 0, stderr: '' });
    const report = JSON.parse(json.stdout);
    expect(report.auditedTables).toEqual([
      {
        table: '"Odd Schema"."Line Items"', tableId: expect.any(Number), keyColumns: ['order_id', 'line'],
        logOldData: false, logNewData: false, excludedColumns: [], auditedSince: expect.any(String),
      },
      {
        table: 'public.orders', tableId: expect.any(Number), keyColumns: ['id'],
        logOldData: true, logNewData: true, excludedColumns: ['secret'], auditedSince: expect.any(String),
      },
    ]);
    expect(Number.isNaN(Date.parse(report.auditedTables[0].auditedSince))).toBe(false);
    const text = await runCli(['status', '--db', url]);
    expect(text).toMatchObject({ code: 0, stderr: '' });
    expect(text.stdout).toContain('audited tables:     2\n  "Odd Schema"."Line Items"\n  public.orders\n');
    expect(text.stdout).not.toContain('unaudited');
  });
});

describe('failures', () => {
  const server = servers[0];

  it('refuses to upgrade to an unknown version, listing the available ones, and changes nothing', async () => {
    const { name, url } = await freshDatabase(server, 'unknown');
    await runCli(['install', '--db', url, '--skip-files', '--version', '0.1.0']);
    const result = await runCli(['upgrade', '--db', url, '--to', '9.9.9']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`pg-chronicle: chronicle version "9.9.9" is not available on this server\nhint: available versions: ${ALL_VERSIONS.join(', ')}\n`);
    expect(await installedVersion(server, name)).toBe('0.1.0');
  });

  it('refuses to install an unknown version and creates nothing', async () => {
    const { name, url } = await freshDatabase(server, 'unknown_install');
    const result = await runCli(['install', '--db', url, '--skip-files', '--version', '7.0.0']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('chronicle version "7.0.0" is not available on this server');
    expect(await installedVersion(server, name)).toBeNull();
  });

  it('refuses to upgrade where chronicle is not installed', async () => {
    const { url } = await freshDatabase(server, 'not_installed');
    const result = await runCli(['upgrade', '--db', url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('chronicle is not installed in this database\nhint: run `pg-chronicle install` first');
  });

  it('reports an unreachable server with exit code 1', async () => {
    const result = await runCli(['status', '--db', 'postgresql://postgres@127.0.0.1:1/postgres']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('pg-chronicle: cannot connect to postgresql://postgres@127.0.0.1:1/postgres: connect ECONNREFUSED');
    expect(result.stderr).toContain('hint: check that the server is running');
  });

  it.each([
    ['not a URL', 'no-such-thing', 'not a connection URL: "no-such-thing"'],
    ['another scheme, password hidden', 'mysql://root:secret@localhost/db', 'unsupported URL scheme "mysql:" in "mysql://root:***@localhost/db"'],
  ])('refuses a bad URL (%s) as a usage error, exit code 2', async (_what, url, message) => {
    const result = await runCli(['status', '--db', url]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toContain('secret');
  });

  it.each([
    [['frobnicate'], 'Unknown argument: frobnicate'],
    [[], 'name a command: install, upgrade or status'],
    [['install', '--skip-files', '--extension-dir', '/tmp'], '--pg-config, --extension-dir and --skip-files exclude each other'],
    [['status', '--bogus'], 'Unknown argument: bogus'],
  ])('exits 2 on a wrong command line: %j', async (args, message) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it('prints help for every command with exit code 0', async () => {
    for (const command of ['install', 'upgrade', 'status']) {
      const result = await runCli([command, '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`pg-chronicle ${command}`);
      expect(result.stdout).toContain('--db');
    }
  });

  it('names pg_config when it cannot run it', async () => {
    const { url } = await freshDatabase(server, 'pgconfig');
    const result = await runCli(['install', '--db', url, '--pg-config', '/nonexistent/pg_config']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot run "/nonexistent/pg_config --sharedir"');
    expect(result.stderr).toContain('hint: install PostgreSQL\'s pg_config');
  });

  it('says where the package lacks its extension files, and how to fix it', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'chronicle-cli-'));
    try {
      cpSync(join(packageRoot(), 'dist'), join(copy, 'dist'), { recursive: true });
      cpSync(join(packageRoot(), 'package.json'), join(copy, 'package.json'));
      symlinkSync(join(packageRoot(), 'node_modules'), join(copy, 'node_modules'));
      const { url } = await freshDatabase(server, 'nofiles');
      const result = await runCli(['install', '--db', url, '--extension-dir', join(copy, 'target')], { entry: join(copy, 'dist/src/cli/main.js') });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`the extension files are missing from ${join(copy, 'extension')}`);
      expect(result.stderr).toContain('hint: run `npm run generate`');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('reports the SQLSTATE when the role may not create the extension', async () => {
    const { name } = await freshDatabase(server, 'nosuper');
    const admin = await connectTo(server, name);
    await admin.query("DROP ROLE IF EXISTS chronicle_cli_app; CREATE ROLE chronicle_cli_app LOGIN PASSWORD 'app'");
    await admin.query(`GRANT CREATE ON DATABASE "${name}" TO chronicle_cli_app`);
    await admin.end();
    const appUrl = serverUrl({ ...server, user: 'chronicle_cli_app', password: 'app' }, name);
    const result = await runCli(['install', '--db', appUrl, '--skip-files']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('pg-chronicle: permission denied to create extension "chronicle" (SQLSTATE 42501)\nhint: Must be superuser to create this extension.');
    expect(await installedVersion(server, name)).toBeNull();
  });

  it('takes the connection from DATABASE_URL, then from the PG* variables', async () => {
    const { name, url } = await freshDatabase(server, 'env');
    const viaUrl = await runCli(['status', '--json'], { env: { DATABASE_URL: url } });
    expect(JSON.parse(viaUrl.stdout).database).toBe(name);
    const viaLibpq = await runCli(['status', '--json'], {
      env: { PGHOST: server.host, PGPORT: String(server.port), PGUSER: server.user, PGPASSWORD: server.password, PGDATABASE: name },
    });
    expect(viaLibpq.code).toBe(0);
    expect(JSON.parse(viaLibpq.stdout).database).toBe(name);
  });

  it('lets two concurrent installs finish without corrupting anything', async () => {
    const { name, url } = await freshDatabase(server, 'race');
    const results = await Promise.all([1, 2, 3].map(() => runCli(['install', '--db', url, ...filesOption(server)])));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    const outcomes = results.map((r) => (r.stdout.includes(`installed chronicle ${DEFAULT_VERSION}`) ? 'installed' : r.stdout.includes('already installed') ? 'already' : r.stdout));
    expect(outcomes.sort()).toEqual(['already', 'already', 'installed']);
    const reference = await freshDatabase(server, 'race_ref');
    const [raced, fresh] = await Promise.all([name, reference.name].map(async (db) => {
      const client = await connectTo(server, db);
      try {
        if (db === reference.name) await client.query('CREATE EXTENSION chronicle');
        return await catalogSnapshot(client);
      } finally {
        await client.end();
      }
    }));
    expect(raced).toEqual(fresh);
  });
});
