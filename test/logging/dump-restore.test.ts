/**
 * Logs survive pg_dump / pg_restore into a new database: the log tables are extension
 * configuration tables, so their rows and id sequences are dumped, and the capture functions and
 * triggers of audited tables come back with them. Uses the system pg_dump (Debian's 15 here)
 * against the embedded server of the same major.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import { connectTo, createDatabase, databaseNameFor, dropDatabase, testServers } from '../helpers/database';
import { canonicalEntries, exact, logState, rowLogOf, type LogState } from '../helpers/log-state';
import { findSystemInstallation } from '../helpers/servers/system';
import { serverUrl } from '../helpers/servers/types';

const installation = findSystemInstallation();
const server = testServers().find((s) => s.major === installation?.major);

/** The log as it must survive: rows of the five log tables; triggers and capture functions without their row versions. */
function portable(state: LogState) {
  const { triggers, captureFunctions, ...tables } = state;
  return {
    ...tables,
    triggers: triggers.map(({ version, ...t }) => t),
    captureFunctions: captureFunctions.map(({ version, ...f }) => f),
  };
}

const maxId = async (client: Client, table: string) => Number((await client.query(`SELECT max(id) AS id FROM chronicle.${table}`)).rows[0].id);

if (installation === undefined || server === undefined) {
  it('needs a system pg_dump whose major matches a test server; CI requires one', () => {
    expect(process.env.CHRONICLE_REQUIRE_SYSTEM_SERVER).not.toBe('1');
    console.log(`pg_dump test did not run: no system pg_dump matching a test server (system: ${installation ? installation.major : 'none'})`);
  });
} else {
  it(`keeps the whole log, its id sequences and the audit of the tables through pg_dump -Fc / pg_restore (PostgreSQL ${server.major})`, async () => {
    const source = databaseNameFor(__filename, 'source');
    const target = databaseNameFor(__filename, 'target');
    const dir = mkdtempSync(join(tmpdir(), 'chronicle-dump-'));
    await createDatabase(server, source);
    await createDatabase(server, target);
    try {
      const client = await connectTo(server, source);
      let before: ReturnType<typeof portable>;
      let ordersId: number;
      try {
        await client.query('CREATE EXTENSION chronicle');
        await client.query(`CREATE SCHEMA shop;
          CREATE TABLE shop.orders (id integer PRIMARY KEY, item text NOT NULL, price numeric(6,2), secret text);
          CREATE TABLE shop.old (id integer PRIMARY KEY);
          INSERT INTO shop.orders VALUES (1, 'pen', 1.50, 's')`);
        ordersId = Number((await client.query(
          "SELECT chronicle.create_table_audit('shop.orders', excluded_columns => '{secret}', log_baseline => true) AS id",
        )).rows[0].id);
        await client.query("SELECT chronicle.create_table_audit('shop.old'); INSERT INTO shop.old VALUES (1); SELECT chronicle.drop_table_audit('shop.old')");
        for (const info of ['{"n": 1}', '{"n": 2, "who": "zoë"}']) {
          await client.query(`BEGIN; SET LOCAL chronicle.session_info = '${info}';
            INSERT INTO shop.orders VALUES (1 + (SELECT max(id) FROM shop.orders), 'ink', 7.00, 't');
            UPDATE shop.orders SET price = price + 1 WHERE id = 1; COMMIT`);
        }
        await client.query("SELECT chronicle.create_table_audit('shop.orders', log_new_data => true, excluded_columns => '{secret}')");
        await client.query("UPDATE shop.orders SET id = 10 WHERE id = 3; DELETE FROM shop.orders WHERE id = 2; TRUNCATE shop.orders; INSERT INTO shop.orders VALUES (5, 'cap', 0.99, 'u')");
        before = portable(await logState(client));
      } finally {
        await client.end();
      }
      // the log is not trivial: every table holds rows, and a closed version is among them
      for (const table of ['transaction_log', 'table_event_log', 'row_log', 'audit_table_log', 'audit_column_log'] as const) {
        expect(before[table].length).toBeGreaterThan(1);
      }
      expect(before.audit_table_log.filter((t) => t.valid_until !== null)).toHaveLength(2);
      // the five capture triggers of shop.orders, and the commit stamp of transaction_log
      expect(before.triggers).toHaveLength(6);

      const file = join(dir, 'dump.custom');
      const dump = spawnSync(join(installation.bindir, 'pg_dump'), ['-Fc', '-f', file, '-d', serverUrl(server, source)], { encoding: 'utf8' });
      expect(dump.stderr).toBe('');
      expect(dump.status).toBe(0);
      const restore = spawnSync(join(installation.bindir, 'pg_restore'), ['--exit-on-error', '-d', serverUrl(server, target), file], { encoding: 'utf8' });
      expect(restore.stderr).toBe('');
      expect(restore.status).toBe(0);

      const restored = await connectTo(server, target);
      try {
        expect(portable(await logState(restored))).toEqual(before);
        const maxima = {
          transaction: await maxId(restored, 'transaction_log'), event: await maxId(restored, 'table_event_log'),
          version: await maxId(restored, 'audit_table_log'), column: await maxId(restored, 'audit_column_log'),
        };
        const logged = await rowLogOf(restored, ordersId);

        // still audited: a new write is logged, with ids above the restored ones
        await restored.query("BEGIN; SET LOCAL chronicle.session_info = '{\"after\": \"restore\"}'; UPDATE shop.orders SET item = 'CAP' WHERE id = 5; COMMIT");
        expect(await rowLogOf(restored, ordersId)).toEqual([
          ...logged, ...(await canonicalEntries(restored, [['UPDATE', { id: 5 }, { item: 'cap' }, { item: 'CAP' }]])),
        ]);
        const { rows: [event] } = await restored.query(
          'SELECT e.id, e.transaction_id, x.session_info FROM chronicle.table_event_log AS e JOIN chronicle.transaction_log AS x ON x.id = e.transaction_id ORDER BY e.id DESC LIMIT 1',
        );
        expect(Number(event.id)).toBeGreaterThan(maxima.event);
        expect(Number(event.transaction_id)).toBeGreaterThan(maxima.transaction);
        expect(event.session_info).toEqual({ after: 'restore' });
        expect((await restored.query('SELECT audited_table::text, table_id, log_new_data, excluded_columns FROM chronicle.audited_tables')).rows)
          .toEqual([{ audited_table: 'shop.orders', table_id: ordersId, log_new_data: true, excluded_columns: '{secret}' }]);

        // and the setup functions go on from the restored sequences
        const oldId = Number((await restored.query("SELECT chronicle.create_table_audit('shop.old') AS id")).rows[0].id);
        expect(oldId).toBeGreaterThan(maxima.version);
        expect(await maxId(restored, 'audit_column_log')).toBeGreaterThan(maxima.column);
        await restored.query('INSERT INTO shop.old VALUES (2)');
        expect(await rowLogOf(restored, oldId)).toEqual(await canonicalEntries(restored, [['INSERT', { id: 2 }, null, null]]));
        // the values kept their scale through the dump
        expect(logged[0]).toEqual((await canonicalEntries(restored, [['BASELINE', { id: 1 }, null, { id: 1, item: 'pen', price: exact('1.50') }]]))[0]);
      } finally {
        await restored.end();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await dropDatabase(server, source);
      await dropDatabase(server, target);
    }
  });
}
