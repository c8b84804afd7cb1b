/**
 * DDL capture needs event triggers, which only a superuser may create. Installed by a role that
 * is no superuser, the extension still installs and audits DML, and says DDL capture is off;
 * with its event triggers disabled by hand, `pg-chronicle status` says so too.
 *
 * The extension's control file requires a superuser, so the install without one uses a copy of
 * its files under another extension name whose control file does not (superuser = false): the
 * script runs as the installing role, as on a server where the extension is made installable by
 * other roles.
 */
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client, DatabaseError } from 'pg';
import type { NoticeMessage } from 'pg-protocol/dist/messages';
import { packageRoot } from '../../src/package-root';
import { runCli } from '../helpers/cli';
import { connectTo, createDatabase, databaseNameFor, dropDatabase, testServers } from '../helpers/database';
import { structureDifferences } from '../helpers/oracle/ddl';
import { serverUrl, type ServerInfo } from '../helpers/servers/types';

const releases = JSON.parse(readFileSync(join(packageRoot(), 'control', 'releases.json'), 'utf8')) as { next: string };

describe.each(testServers().map((s) => [s.name, s] as const))('%s', (_name, server: ServerInfo) => {
  const database = databaseNameFor(__filename);
  const role = `nosu_${process.pid}_${server.major}`;
  const copy = `chronicle_nosu_${process.pid}`;
  let admin: Client;
  let client: Client;
  const notices: NoticeMessage[] = [];

  // the embedded and system providers know the server's extension directory (container ones do not)
  const dir = server.extensionDir as string;

  beforeAll(async () => {
    const control = readFileSync(join(packageRoot(), 'extension', 'chronicle.control'), 'utf8').replace(/^superuser = true$/m, 'superuser = false');
    writeFileSync(join(dir, `${copy}.control`), control);
    copyFileSync(join(packageRoot(), 'extension', `chronicle--${releases.next}.sql`), join(dir, `${copy}--${releases.next}.sql`));
    admin = await connectTo(server, 'postgres');
    await admin.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEROLE`);
    // the cluster-wide roles exist once any database installed the extension
    await admin.query(`DO $$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'chronicle_viewer') THEN CREATE ROLE chronicle_viewer NOLOGIN; END IF;
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'chronicle_admin') THEN CREATE ROLE chronicle_admin NOLOGIN IN ROLE chronicle_viewer; END IF;
      EXCEPTION WHEN unique_violation OR duplicate_object THEN NULL; END $$`);
    await admin.query(`CREATE DATABASE "${database}" OWNER ${role}`);
    client = await connectTo({ ...server, user: role, password: '' }, database);
    client.on('notice', (n) => notices.push(n));
  });

  afterAll(async () => {
    await client.end();
    await dropDatabase(server, database);
    await admin.query(`DROP ROLE ${role}`);
    await admin.end();
    for (const file of [`${copy}.control`, `${copy}--${releases.next}.sql`]) rmSync(join(dir, file), { force: true });
  });

  it('installs without a superuser, with DDL capture off and a warning that says so', async () => {
    await client.query(`CREATE EXTENSION ${copy}`);
    expect(notices.map((n) => [n.severity, n.message])).toContainEqual(['WARNING', 'chronicle: DDL capture is off (creating event triggers needs a superuser); DML auditing works']);
    const { rows } = await client.query('SELECT ddl_capture_enabled, inactive_event_triggers::text[] AS inactive FROM chronicle.ddl_capture_status');
    expect(rows).toEqual([{ ddl_capture_enabled: false, inactive: ['chronicle_ddl_command_start', 'chronicle_ddl_command_end', 'chronicle_sql_drop'] }]);
  });

  it('audits DML', async () => {
    await client.query(`CREATE TABLE public.t (id integer PRIMARY KEY, v text);
      SELECT chronicle.create_table_audit('public.t');
      INSERT INTO public.t VALUES (1, 'a'), (2, 'b');
      UPDATE public.t SET v = 'c' WHERE id = 2`);
    const { rows } = await client.query(`SELECT e.operation, r.row_key, r.old_data FROM chronicle.table_event_log AS e
      JOIN chronicle.row_log AS r ON r.event_id = e.id ORDER BY e.id, r.row_key`);
    expect(rows).toEqual([
      { operation: 'INSERT', row_key: { id: 1 }, old_data: null },
      { operation: 'INSERT', row_key: { id: 2 }, old_data: null },
      { operation: 'UPDATE', row_key: { id: 2 }, old_data: { v: 'b' } },
    ]);
  });

  it('refuses a revert, which needs a superuser install, with 42501 and a HINT, changing nothing', async () => {
    const { rows: [last] } = await client.query('SELECT max(id) AS id FROM chronicle.transaction_log');
    const before = (await client.query('SELECT * FROM public.t ORDER BY id')).rows;
    const error = await client.query('SELECT * FROM chronicle.revert_transaction($1)', [last.id]).then(() => undefined, (e: DatabaseError) => e);
    expect(error?.code).toBe('42501');
    expect(error?.message).toBe('cannot revert: chronicle was installed without a superuser');
    expect(error?.hint).toMatch(/installed \(or updated\) by a superuser/);
    expect((await client.query('SELECT * FROM public.t ORDER BY id')).rows).toEqual(before);
  });

  it('a column change unseen breaks the capture of the table until sync_table_structure records the new shape, saying which values were not logged', async () => {
    await client.query('ALTER TABLE public.t DROP COLUMN v, ADD COLUMN z integer');
    await expect(client.query('UPDATE public.t SET z = 1 WHERE id = 1')).rejects.toMatchObject({ message: expect.stringMatching(/column .*v does not exist/) });
    const { rows: [synced] } = await client.query(`SELECT chronicle.sync_table_structure('public.t') AS events`);
    expect(Number(synced.events)).toBe(2);
    await client.query('UPDATE public.t SET z = 1 WHERE id = 1');
    const { rows } = await client.query(`SELECT e.operation, e.ddl, r.old_data FROM chronicle.table_event_log AS e
      LEFT JOIN chronicle.row_log AS r ON r.event_id = e.id WHERE e.operation IN ('DROP COLUMN', 'ADD COLUMN') OR r.old_data ? 'z' ORDER BY e.id`);
    expect(rows).toEqual([
      { operation: 'DROP COLUMN', ddl: { column: 'v', attnum: 2, data_type: 'text', values_logged: false }, old_data: null },
      { operation: 'ADD COLUMN', ddl: expect.objectContaining({ column: 'z', attnum: 3 }), old_data: null },
      { operation: 'UPDATE', ddl: null, old_data: { z: null } },
    ]);
    expect(await structureDifferences(client)).toEqual([]);
    // nothing left to record
    expect(Number((await client.query(`SELECT chronicle.sync_table_structure('public.t') AS events`)).rows[0].events)).toBe(0);
  });

  it('refuses to audit the new tables of a schema, since nothing would see them created', async () => {
    await expect(client.query(`SELECT chronicle.create_schema_audit('public', auto_audit_new_tables => true)`)).rejects.toMatchObject({
      code: '55000', message: 'cannot audit the new tables of schema "public": DDL capture is off', hint: expect.stringMatching(/superuser/),
    });
  });

  it('pg-chronicle status says DDL capture is off when its event triggers are disabled', async () => {
    const name = databaseNameFor(__filename, 'status');
    await createDatabase(server, name);
    const other = await connectTo(server, name);
    try {
      await other.query('CREATE EXTENSION chronicle; ALTER EVENT TRIGGER chronicle_sql_drop DISABLE');
      const json = JSON.parse((await runCli(['status', '--db', serverUrl(server, name), '--json'])).stdout);
      expect(json).toMatchObject({ ddlCaptureEnabled: false, inactiveEventTriggers: ['chronicle_sql_drop'] });
      const text = await runCli(['status', '--db', serverUrl(server, name)]);
      expect(text.stdout).toMatch(/^DDL capture: {8}off \(inactive event triggers: chronicle_sql_drop; install or update the extension as a superuser\)$/m);
    } finally {
      await other.end();
      await dropDatabase(server, name);
    }
  });
});
