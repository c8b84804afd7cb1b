/** Jest global teardown: stops the servers global setup started. */
export default async function globalTeardown(): Promise<void> {
  const servers = globalThis.chronicleTestServers ?? [];
  await Promise.all(servers.map((s) => s.stop()));
}
