/**
 * The install creates the cluster-wide roles chronicle_viewer and chronicle_admin when missing.
 * Two databases of a fresh cluster installing at the same moment both find them missing; the
 * second must use the roles the first made instead of failing on pg_authid's unique index.
 * A fresh cluster is needed (the shared test servers have the roles already): one embedded
 * major is enough, the role block is the same SQL on every major.
 */
import { Client } from 'pg';
import { startEmbedded } from '../helpers/servers/embedded';
import { serverUrl, type RunningServer } from '../helpers/servers/types';

let server: RunningServer;

beforeAll(async () => {
  server = await startEmbedded(17);
});

afterAll(async () => {
  await server?.stop();
});

async function connect(database: string): Promise<Client> {
  const client = new Client({ connectionString: serverUrl(server.info, database) });
  await client.connect();
  return client;
}

/** Polls until a session of the database waits on a lock (true), or 10 s pass (false). */
async function waitUntilBlocked(observer: Client, database: string): Promise<boolean> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const { rows } = await observer.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'",
      [database],
    );
    if (rows[0].n > 0) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

it('two databases of a fresh cluster can create the extension at the same moment', async () => {
  const admin = await connect('postgres');
  try {
    await admin.query('CREATE DATABASE race_one');
    await admin.query('CREATE DATABASE race_two');
    const { rows: before } = await admin.query("SELECT rolname FROM pg_roles WHERE rolname LIKE 'chronicle%'");
    expect(before).toEqual([]);
  } finally {
    await admin.end();
  }

  const first = await connect('race_one');
  const second = await connect('race_two');
  try {
    await first.query('BEGIN');
    await first.query('CREATE EXTENSION chronicle');
    // the second install must really wait on the first one's uncommitted roles
    const secondInstall = second.query('CREATE EXTENSION chronicle').then(() => undefined, (error: unknown) => error);
    expect(await waitUntilBlocked(first, 'race_two')).toBe(true);
    await first.query('COMMIT');
    expect(await secondInstall).toBeUndefined();

    for (const client of [first, second]) {
      const { rows } = await client.query("SELECT extversion FROM pg_extension WHERE extname = 'chronicle'");
      expect(rows).toHaveLength(1);
    }
    const { rows: roles } = await second.query(
      `SELECT r.rolname, pg_has_role('chronicle_admin', 'chronicle_viewer', 'MEMBER') AS admin_is_viewer
         FROM pg_roles AS r WHERE r.rolname LIKE 'chronicle%' ORDER BY 1`,
    );
    expect(roles).toEqual([
      { rolname: 'chronicle_admin', admin_is_viewer: true },
      { rolname: 'chronicle_viewer', admin_is_viewer: true },
    ]);
  } finally {
    await first.end();
    await second.end();
  }
});
