/**
 * Where the benchmark runs: a fresh database on a new embedded server, or on a server given by
 * URL. Either way the database is created for the run and dropped afterwards.
 */
import format from 'pg-format';
import { connectionConfig, redact, withClient } from '../../src/db/connection';
import { startEmbedded } from '../helpers/servers/embedded';
import { serverUrl } from '../helpers/servers/types';

export interface BenchDatabase {
  url: string;
  /** for messages: the server and database, without password */
  description: string;
  /** drops the database (and stops the server the harness started); safe to call twice */
  close(): Promise<void>;
}

function once(action: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= action());
}

/**
 * A database with a fresh name on the server that adminUrl reaches; on a server of your own, the
 * extension's files must be installed there (make install).
 */
export async function databaseOnServer(adminUrl: string): Promise<BenchDatabase> {
  const name = `chronicle_bench_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = connectionConfig({ url: adminUrl });
  await withClient(admin, (client) => client.query(format('CREATE DATABASE %I', name)));
  const url = new URL(adminUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return {
    url: url.toString(),
    description: redact(url.toString()),
    close: once(async () => {
      await withClient(admin, (client) => client.query(format('DROP DATABASE IF EXISTS %I WITH (FORCE)', name)));
    }),
  };
}

/**
 * A database on an embedded server of this major, started with the extension files copied in;
 * durable keeps PostgreSQL's default fsync, synchronous_commit and full_page_writes.
 */
export async function databaseOnEmbeddedServer(major: number, durable = false): Promise<BenchDatabase> {
  const server = await startEmbedded(major, { durable });
  try {
    const database = await databaseOnServer(serverUrl(server.info, 'postgres'));
    return { ...database, description: `embedded PostgreSQL ${major}, ${database.description}`, close: once(() => server.stop()) };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
