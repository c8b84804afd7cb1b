/**
 * make bench --instructions: what auditing costs a short statement, counted in CPU instructions
 * instead of timed. Callgrind counts the instructions the server executes, which repeat exactly
 * from run to run whatever else the machine is doing, where timings on a shared 2-core machine
 * move by a third.
 *
 * The benchmark tables are created on an embedded server, which is then shut down; each workload
 * runs in single-user mode (`postgres --single`, one process, no client round trips) under
 * callgrind, once with n statements and once with 2n, so the server's start and the first
 * statement's planning cancel out: (count(2n) - count(n)) / n is the cost of one statement,
 * its transaction's commit included.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import format from 'pg-format';
import { connectionConfig, withClient } from '../../src/db/connection';
import { ChronicleError } from '../../src/errors';
import { startEmbedded } from '../helpers/servers/embedded';
import { serverUrl, type LocalCluster } from '../helpers/servers/types';
import { createFixture, type BenchTables } from './fixture';

/** valgrind is missing, or the server failed under it. */
export class ValgrindError extends ChronicleError {}

export interface InstructionOptions {
  major: number;
  rows: number;
  /** statements in the shorter run (the longer runs twice as many) */
  statements: number;
}

export interface InstructionRow {
  workload: string;
  /** instructions per statement */
  unaudited: number;
  audited: number;
  /** on the table audited by the floor's minimal capture (floor.ts) */
  floor: number;
}

export interface InstructionResults {
  startedAt: string;
  options: InstructionOptions;
  rows: InstructionRow[];
}

const DATABASE = 'chronicle_bench';

interface Workload {
  title: string;
  /** the i-th statement (i from 0) on a table */
  statement(table: string, i: number, rows: number): string;
}

/** Keys spread over the table, as the timed harness spreads them. */
const key = (i: number, rows: number, span: number) => 1 + ((i * 7919) % (rows - span));

const WORKLOADS: Workload[] = [
  { title: 'single-row UPDATE, per transaction', statement: (t, i, rows) => format('UPDATE %s SET a = a + 1 WHERE id = %s', t, key(i, rows, 0)) },
  {
    title: '10-row UPDATE, per statement',
    statement: (t, i, rows) => format('UPDATE %s SET a = a + 1 WHERE id BETWEEN %s AND %s', t, key(i, rows, 10), key(i, rows, 10) + 9),
  },
];

export function checkValgrind(): void {
  const probe = spawnSync('valgrind', ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new ValgrindError('valgrind is not installed', 'install it (Debian: apt-get install valgrind) to count instructions', { cause: probe.error });
  }
}

/** Instructions the single-user server executes for these statements, start and shutdown included. */
function countInstructions(cluster: LocalCluster, statements: string[]): number {
  const result = spawnSync(
    'valgrind',
    ['--tool=callgrind', '--callgrind-out-file=/dev/null', join(cluster.bindir, 'postgres'), '--single', '-D', cluster.dataDirectory,
      '-c', 'fsync=off', '-c', 'synchronous_commit=off', DATABASE],
    { ...(cluster.runAs ?? {}), input: `${statements.join(';\n')};\n`, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const collected = /Collected : (\d+)/.exec(result.stderr ?? '');
  const failed = /^(ERROR|FATAL|PANIC):.*$/m.exec(result.stdout ?? '') ?? /^(ERROR|FATAL|PANIC):.*$/m.exec(result.stderr ?? '');
  if (result.status !== 0 || !collected || failed) {
    throw new ValgrindError(`postgres --single under callgrind failed (exit ${result.status}): ${failed?.[0] ?? result.stderr?.slice(-500) ?? ''}`);
  }
  return Number(collected[1]);
}

async function prepare(url: string, rows: number): Promise<BenchTables> {
  return withClient(connectionConfig({ url }), async (client) => {
    const tables = await createFixture(client, rows);
    for (const table of [tables.unaudited, tables.audited, tables.floor]) {
      await client.query(format('INSERT INTO %s SELECT * FROM %s', table, tables.source));
      await client.query(format('VACUUM (ANALYZE) %s', table));
    }
    return tables;
  });
}

export async function measureInstructions(options: InstructionOptions, progress: (line: string) => void = () => {}): Promise<InstructionResults> {
  checkValgrind();
  const startedAt = new Date().toISOString();
  const server = await startEmbedded(options.major);
  try {
    const cluster = server.local;
    if (!cluster) throw new ValgrindError('the embedded server gave no access to its files');
    const admin = serverUrl(server.info, 'postgres');
    await withClient(connectionConfig({ url: admin }), (client) => client.query(format('CREATE DATABASE %I', DATABASE)));
    const tables = await prepare(serverUrl(server.info, DATABASE), options.rows);
    cluster.shutDown();
    const perStatement = (table: string, workload: Workload) => {
      const run = (n: number) => countInstructions(cluster, Array.from({ length: n }, (_, i) => workload.statement(table, i, options.rows)));
      const short = run(options.statements);
      const long = run(2 * options.statements);
      return (long - short) / options.statements;
    };
    const rows = WORKLOADS.map((workload) => {
      progress(`counting instructions: ${workload.title}`);
      return {
        workload: workload.title,
        unaudited: perStatement(tables.unaudited, workload),
        audited: perStatement(tables.audited, workload),
        floor: perStatement(tables.floor, workload),
      };
    });
    return { startedAt, options, rows };
  } finally {
    await server.stop();
  }
}
