/**
 * Per test file: the running servers, and a fresh database on each (one database per test
 * file, dropped at the end).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Client } from 'pg';
import { SERVERS_FILE_VARIABLE } from './global-setup';
import { serverUrl, type ServerInfo } from './servers/types';

export function testServers(): ServerInfo[] {
  const file = process.env[SERVERS_FILE_VARIABLE];
  if (!file) throw new Error(`${SERVERS_FILE_VARIABLE} is not set: run the tests through jest (its global setup starts the servers)`);
  return JSON.parse(readFileSync(file, 'utf8')) as ServerInfo[];
}

export async function connectTo(server: ServerInfo, database: string): Promise<Client> {
  const client = new Client({ connectionString: serverUrl(server, database) });
  await client.connect();
  return client;
}

/** A database name unique to the calling test file and this run. */
export function databaseNameFor(testFile: string, suffix = ''): string {
  const stem = basename(testFile).replace(/\.test\.ts$/, '').replace(/[^a-z0-9]+/gi, '_').toLowerCase();
  return `t_${stem}${suffix ? `_${suffix}` : ''}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`.slice(0, 63);
}

export async function createDatabase(server: ServerInfo, name: string): Promise<string> {
  const admin = await connectTo(server, 'postgres');
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return serverUrl(server, name);
}

export async function dropDatabase(server: ServerInfo, name: string): Promise<void> {
  const admin = await connectTo(server, 'postgres');
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** Creates a database for the duration of work, then drops it. */
export async function withDatabase<T>(server: ServerInfo, name: string, work: (client: Client, url: string) => Promise<T>): Promise<T> {
  const url = await createDatabase(server, name);
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client, url);
  } finally {
    await client.end();
    await dropDatabase(server, name);
  }
}
