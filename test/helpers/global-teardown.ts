/** Jest global teardown: stops the servers global setup started and removes the file naming them. */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { SERVERS_FILE_VARIABLE } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const servers = globalThis.chronicleTestServers ?? [];
  await Promise.all(servers.map((s) => s.stop()));
  const file = process.env[SERVERS_FILE_VARIABLE];
  if (file) rmSync(dirname(file), { recursive: true, force: true });
}
