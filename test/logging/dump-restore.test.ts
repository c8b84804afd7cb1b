/**
 * Logs survive pg_dump / pg_restore into a new database: the log tables are extension
 * configuration tables, so their rows and the id sequence are dumped. Uses the system pg_dump
 * (Debian's 15 here) against the embedded server of the same major.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectTo, createDatabase, databaseNameFor, dropDatabase, testServers } from '../helpers/database';
import { findSystemInstallation } from '../helpers/servers/system';
import { serverUrl } from '../helpers/servers/types';

const installation = findSystemInstallation();
const server = testServers().find((s) => s.major === installation?.major);

if (installation === undefined || server === undefined) {
  it('needs a system pg_dump whose major matches a test server; CI requires one', () => {
    expect(process.env.CHRONICLE_REQUIRE_SYSTEM_SERVER).not.toBe('1');
    console.log(`pg_dump test did not run: no system pg_dump matching a test server (system: ${installation ? installation.major : 'none'})`);
  });
} else {
  it(`keeps transaction_log rows and its id sequence through pg_dump -Fc / pg_restore (PostgreSQL ${server.major})`, async () => {
    const source = databaseNameFor(__filename, 'source');
    const target = databaseNameFor(__filename, 'target');
    const dir = mkdtempSync(join(tmpdir(), 'chronicle-dump-'));
    await createDatabase(server, source);
    await createDatabase(server, target);
    try {
      const client = await connectTo(server, source);
      await client.query('CREATE EXTENSION chronicle');
      for (const info of ['{"n": 1}', '{"n": 2, "who": "zoë"}']) {
        await client.query(`BEGIN; SET LOCAL chronicle.session_info = '${info}'; SELECT chronicle.log_transaction(); COMMIT`);
      }
      const before = (await client.query('SELECT id, txid::text, session_info FROM chronicle.transaction_log ORDER BY id')).rows;
      await client.end();

      const file = join(dir, 'dump.custom');
      const dump = spawnSync(join(installation.bindir, 'pg_dump'), ['-Fc', '-f', file, '-d', serverUrl(server, source)], { encoding: 'utf8' });
      expect(dump.stderr).toBe('');
      expect(dump.status).toBe(0);
      const restore = spawnSync(join(installation.bindir, 'pg_restore'), ['--exit-on-error', '-d', serverUrl(server, target), file], { encoding: 'utf8' });
      expect(restore.stderr).toBe('');
      expect(restore.status).toBe(0);

      const restored = await connectTo(server, target);
      try {
        const after = (await restored.query('SELECT id, txid::text, session_info FROM chronicle.transaction_log ORDER BY id')).rows;
        expect(after).toEqual(before);
        expect(before).toHaveLength(2);
        const { rows: [next] } = await restored.query('SELECT chronicle.log_transaction() AS id');
        expect(Number(next.id)).toBeGreaterThan(Number(before[1].id));
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
