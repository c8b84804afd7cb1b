/**
 * Connections for the CLI: from --db, DATABASE_URL, or the libpq variables (PGHOST, PGPORT,
 * PGUSER, PGDATABASE, PGPASSWORD), which the pg driver reads itself.
 */
import { Client, type ClientConfig, DatabaseError as PgDatabaseError } from 'pg';
import { ConnectionError, DatabaseError, UsageError } from '../errors';

export interface ConnectionOptions {
  /** a postgres:// or postgresql:// URL; overrides DATABASE_URL and the PG* variables */
  url?: string;
  env?: NodeJS.ProcessEnv;
}

export function connectionConfig(options: ConnectionOptions): ClientConfig {
  const env = options.env ?? process.env;
  const url = options.url ?? env.DATABASE_URL;
  const base: ClientConfig = { connectionTimeoutMillis: 10_000, application_name: 'pg-chronicle' };
  if (url === undefined || url === '') return base;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new UsageError(`not a connection URL: "${redact(url)}"`, 'use postgresql://user:password@host:port/database', { cause: error });
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new UsageError(`unsupported URL scheme "${parsed.protocol}" in "${redact(url)}"`, 'use postgresql://user:password@host:port/database');
  }
  return { ...base, connectionString: url };
}

/** Hides the password of a URL for messages. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}

export function describeTarget(config: ClientConfig, env: NodeJS.ProcessEnv = process.env): string {
  if (config.connectionString) return redact(config.connectionString);
  const host = env.PGHOST ?? 'localhost';
  const port = env.PGPORT ?? '5432';
  return `${host}:${port}/${env.PGDATABASE ?? env.PGUSER ?? 'postgres'}`;
}

export async function connect(config: ClientConfig): Promise<Client> {
  const client = new Client(config);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new ConnectionError(
      `cannot connect to ${describeTarget(config)}: ${(error as Error).message}`,
      'check that the server is running and that --db, DATABASE_URL or PGHOST/PGPORT/PGUSER/PGDATABASE point at it',
      { cause: error },
    );
  }
  // A connection the server ends while no query runs (its backend terminated, the database
  // dropped, a restart) is reported as an 'error' event, which would end the process if nobody
  // listened. The client's next query fails and says so; a query running then fails itself.
  client.on('error', () => undefined);
  return client;
}

export async function withClient<T>(config: ClientConfig, work: (client: Client) => Promise<T>): Promise<T> {
  const client = await connect(config);
  try {
    return await work(client);
  } catch (error) {
    throw asChronicleError(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Runs work in one transaction; rolls back on any error. */
export async function inTransaction<T>(client: Client, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Server errors keep their SQLSTATE, message and hint. */
export function asChronicleError(error: unknown): unknown {
  if (error instanceof PgDatabaseError) {
    const hint = error.hint ?? (error.code === '42501' ? 'connect as a superuser (the extension creates event triggers)' : undefined);
    return new DatabaseError(`${error.message} (SQLSTATE ${error.code ?? 'unknown'})`, error.code, hint, { cause: error });
  }
  return error;
}
