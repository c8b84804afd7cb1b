/**
 * DDL capture through pg_dump / pg_restore: the restore runs DDL on audited tables and in
 * auto-audited schemas while DDL capture is on (the extension is created first). It must neither
 * log that DDL, nor audit a table a second time, nor refuse it; afterwards the structure log
 * matches the catalog and DDL is captured as before. Uses the system pg_dump (Debian's 15 here)
 * against the embedded server of the same major.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import { connectTo, createDatabase, databaseNameFor, dropDatabase, testServers } from '../helpers/database';
import { structureDifferences } from '../helpers/oracle/ddl';
import { findSystemInstallation } from '../helpers/servers/system';
import { serverUrl } from '../helpers/servers/types';

const installation = findSystemInstallation();
const server = testServers().find((s) => s.major === installation?.major);

/**
 * every log table's rows as text, in id order; column versions without their attribute number,
 * which a restore renumbers (dropped columns leave no gap in a restored table)
 */
async function logRows(client: Client): Promise<Record<string, string[]>> {
  const result: Record<string, string[]> = {};
  for (const [table, order] of [['transaction_log', 'id'], ['table_event_log', 'id'], ['row_log', 'event_id, row_key'],
    ['audit_table_log', 'id'], ['audit_column_log', 'id'], ['auto_audit_schema', 'schema_name']]) {
    const { rows } = await client.query(`SELECT (pg_catalog.to_jsonb(t) - 'ordinal_position')::text AS r FROM chronicle.${table} AS t ORDER BY ${order}`);
    result[table] = rows.map((r) => r.r);
  }
  return result;
}

if (installation === undefined || server === undefined) {
  it('needs a system pg_dump whose major matches a test server; CI requires one', () => {
    expect(process.env.CHRONICLE_REQUIRE_SYSTEM_SERVER).not.toBe('1');
    console.log(`pg_dump test did not run: no system pg_dump matching a test server (system: ${installation ? installation.major : 'none'})`);
  });
} else {
  it(`restores a database with DDL history and an auto-audited schema without logging or auditing anything again (PostgreSQL ${server.major})`, async () => {
    const source = databaseNameFor(__filename, 'source');
    const target = databaseNameFor(__filename, 'target');
    const dir = mkdtempSync(join(tmpdir(), 'chronicle-ddl-dump-'));
    await createDatabase(server, source);
    await createDatabase(server, target);
    try {
      const client = await connectTo(server, source);
      let before: Record<string, string[]>;
      try {
        await client.query(`CREATE EXTENSION chronicle;
          CREATE SCHEMA shop;
          CREATE TABLE shop.orders (id integer PRIMARY KEY, item text, price numeric(6,2));
          INSERT INTO shop.orders VALUES (1, 'pen', 1.50), (2, 'ink', 7.00);
          SELECT chronicle.create_schema_audit('shop', auto_audit_new_tables => true);
          ALTER TABLE shop.orders ADD COLUMN qty integer DEFAULT 1;
          ALTER TABLE shop.orders DROP COLUMN item;
          ALTER TABLE shop.orders RENAME COLUMN price TO amount;
          CREATE TABLE shop.lines (order_id integer, line integer, PRIMARY KEY (order_id, line)) PARTITION BY RANGE (order_id);
          CREATE TABLE shop.lines_1 PARTITION OF shop.lines FOR VALUES FROM (0) TO (100);
          INSERT INTO shop.lines VALUES (1, 1);
          CREATE TABLE shop.copied AS SELECT id, amount FROM shop.orders;
          ALTER TABLE shop.copied ADD PRIMARY KEY (id);
          CREATE TABLE shop.keyless (v text)`);
        before = await logRows(client);
        expect(before.auto_audit_schema).toEqual(['{"schema_name": "shop", "log_new_data": false, "log_old_data": true, "except_tables": [], "pending_tables": ["keyless"]}']);
      } finally {
        await client.end();
      }
      const file = join(dir, 'dump.custom');
      const dump = spawnSync(join(installation.bindir, 'pg_dump'), ['-Fc', '-f', file, '-d', serverUrl(server, source)], { encoding: 'utf8' });
      expect(dump.stderr).toBe('');
      expect(dump.status).toBe(0);
      const restore = spawnSync(join(installation.bindir, 'pg_restore'), ['--exit-on-error', '-d', serverUrl(server, target), file], { encoding: 'utf8' });
      expect(restore.stderr).toBe('');
      expect(restore.status).toBe(0);

      const restored = await connectTo(server, target);
      try {
        expect(await logRows(restored)).toEqual(before);
        // the current column versions of shop.orders took the restored attribute numbers
        expect(await structureDifferences(restored)).toEqual([]);
        await restored.query('ALTER TABLE shop.orders DROP COLUMN qty; ALTER TABLE shop.keyless ADD COLUMN id integer PRIMARY KEY');
        const { rows } = await restored.query(`SELECT e.operation, t.table_name::text AS table FROM chronicle.table_event_log AS e
          JOIN chronicle.audit_table_log AS t ON t.table_id = e.table_id AND t.valid_until IS NULL
          WHERE e.id > (SELECT max(id) FROM chronicle.table_event_log) - 2 ORDER BY e.id`);
        expect(rows).toEqual([{ operation: 'DROP COLUMN', table: 'orders' }]);
        const { rows: audited } = await restored.query(`SELECT table_name::text AS t FROM chronicle.audited_tables ORDER BY 1`);
        expect(audited.map((r) => r.t)).toEqual(['copied', 'keyless', 'lines', 'orders']);
        expect(await structureDifferences(restored)).toEqual([]);
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
