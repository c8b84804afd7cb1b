/**
 * `make install` against the machine's PostgreSQL (pg_config; Debian's 15 here): it places the
 * control file and scripts, and CREATE EXTENSION works on a throwaway cluster of that server.
 * CI sets CHRONICLE_REQUIRE_SYSTEM_SERVER=1, so a missing server fails there instead of being
 * reported as not run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { packageRoot } from '../../src/package-root';
import { runCli } from '../helpers/cli';
import { startLocalCluster } from '../helpers/servers/local-cluster';
import { selectedProvider } from '../helpers/servers';
import { findSystemInstallation, make, systemPgConfig } from '../helpers/servers/system';
import { serverUrl } from '../helpers/servers/types';
import { DEFAULT_VERSION } from '../helpers/versions';

const installation = findSystemInstallation();
const packaged = readdirSync(join(packageRoot(), 'extension')).sort();

if (installation === undefined) {
  it('is required where CI asks for it; elsewhere make install names the missing pg_config', () => {
    expect(process.env.CHRONICLE_REQUIRE_SYSTEM_SERVER).not.toBe('1');
    const result = make(['install'], systemPgConfig());
    expect(result.status).not.toBe(0);
    expect(result.output).toContain(`cannot run "${systemPgConfig()} --pgxs"`);
    console.log(`system server tests did not run: "${systemPgConfig()}" not found (Debian: apt-get install postgresql-15)`);
  });
} else {
  describe(`system PostgreSQL ${installation.major} (${installation.pgConfig})`, () => {
    it('make install needs neither Node.js nor npm', () => {
      const dryRun = make(['-n', 'install'], installation.pgConfig);
      expect(dryRun.output).toContain('install -c -m 644');
      expect(dryRun.output).not.toMatch(/\bnpm\b|\bnode\b/);
    });

    it('a server without the files: install says to run make install; after make install the files are in place and CREATE EXTENSION works', async () => {
      // Another test file may use this server's files when it is the selected provider.
      const mayUninstall = selectedProvider() !== 'system';
      if (mayUninstall) {
        const removed = make(['uninstall'], installation.pgConfig);
        expect(removed.status).toBe(0);
        expect(readdirSync(installation.extensionDir).filter((f) => f.startsWith('chronicle'))).toEqual([]);
      }
      const cluster = await startLocalCluster({
        name: `make-install-${installation.major}`, kind: 'system', major: installation.major,
        bindir: installation.bindir, extensionDir: installation.extensionDir, pgConfig: installation.pgConfig,
      });
      try {
        const url = serverUrl(cluster.info, 'postgres');
        if (mayUninstall) {
          const refused = await runCli(['install', '--db', url, '--skip-files']);
          expect(refused.code).toBe(1);
          expect(refused.stderr).toContain('has no chronicle extension files');
          expect(refused.stderr).toContain('hint: run `make install`');
        }
        const installed = make(['install'], installation.pgConfig);
        expect(installed.status).toBe(0);
        for (const file of packaged) {
          expect(readFileSync(join(installation.extensionDir, file), 'utf8')).toBe(readFileSync(join(packageRoot(), 'extension', file), 'utf8'));
        }
        const client = new Client({ connectionString: url });
        await client.connect();
        try {
          await client.query("CREATE EXTENSION chronicle VERSION '0.1.0'");
          await client.query('ALTER EXTENSION chronicle UPDATE');
          const { rows } = await client.query('SELECT chronicle.version() AS version');
          expect(rows[0].version).toBe(DEFAULT_VERSION);
        } finally {
          await client.end();
        }
      } finally {
        await cluster.stop();
      }
    });
  });
}
