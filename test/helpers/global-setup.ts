/** Jest global setup: starts the selected servers once for the whole run. */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServers } from './servers';
import type { RunningServer } from './servers/types';

export const SERVERS_FILE_VARIABLE = 'CHRONICLE_TEST_SERVERS_FILE';

declare global {
  var chronicleTestServers: RunningServer[] | undefined;
}

export default async function globalSetup(): Promise<void> {
  const servers = await startServers();
  globalThis.chronicleTestServers = servers;
  const file = join(mkdtempSync(join(tmpdir(), 'chronicle-servers-')), 'servers.json');
  writeFileSync(file, JSON.stringify(servers.map((s) => s.info), null, 2));
  process.env[SERVERS_FILE_VARIABLE] = file;
  console.log(`\ntest servers: ${servers.map((s) => `${s.info.name} on port ${s.info.port}`).join(', ')}`);
}
