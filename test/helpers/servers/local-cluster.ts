/**
 * A throwaway cluster run from a directory of PostgreSQL binaries (initdb, pg_ctl, postgres):
 * data in a temporary directory, listening on 127.0.0.1 on a free port. PostgreSQL refuses to
 * run as root, so when the tests run as root the cluster runs as an unprivileged OS user.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerProviderError, type RunningServer, type ServerInfo } from './types';

/** The OS user that runs test clusters when the tests run as root. */
export const CLUSTER_OS_USER = 'chronicle_pg';

interface RunAs {
  uid: number;
  gid: number;
}

function runAsUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = () => spawnSync('id', ['-u', CLUSTER_OS_USER], { encoding: 'utf8' });
  if (lookup().status !== 0) {
    const created = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', CLUSTER_OS_USER], { encoding: 'utf8' });
    if (created.status !== 0 && lookup().status !== 0) {
      throw new ServerProviderError(`cannot create the OS user ${CLUSTER_OS_USER} to run PostgreSQL (it refuses root): ${created.stderr}`);
    }
  }
  const uid = Number(execFileSync('id', ['-u', CLUSTER_OS_USER], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', CLUSTER_OS_USER], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function run(binary: string, args: string[], runAs: RunAs | undefined, what: string): void {
  const result = spawnSync(binary, args, {
    encoding: 'utf8',
    ...(runAs ?? {}),
    env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
    timeout: 120_000,
  });
  if (result.status !== 0) {
    throw new ServerProviderError(`${what} failed (${binary} ${args.join(' ')}): ${result.error?.message ?? ''}${result.stderr}${result.stdout}`);
  }
}

export interface LocalClusterOptions {
  name: string;
  kind: ServerInfo['kind'];
  major: number;
  bindir: string;
  extensionDir: string;
  pgConfig?: string;
  /** keep PostgreSQL's durable defaults (fsync, synchronous_commit, full_page_writes on); the
   * tests turn them off, since they measure nothing of a commit's flush */
  durable?: boolean;
}

export async function startLocalCluster(options: LocalClusterOptions): Promise<RunningServer> {
  const runAs = runAsUser();
  const base = mkdtempSync(join(tmpdir(), `chronicle-${options.name}-`));
  if (runAs) chownSync(base, runAs.uid, runAs.gid);
  const data = join(base, 'data');
  run(join(options.bindir, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], runAs, `initdb for ${options.name}`);
  let port = 0;
  for (let attempt = 1; ; attempt += 1) {
    port = await freePort();
    const settings = [
      `-p ${port}`, '-c listen_addresses=127.0.0.1', `-c unix_socket_directories=${base}`,
      ...(options.durable ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']), '-c max_connections=60',
    ].join(' ');
    try {
      run(join(options.bindir, 'pg_ctl'), ['-D', data, '-o', settings, '-l', join(base, 'server.log'), '-w', '-t', '60', 'start'], runAs, `starting ${options.name}`);
      break;
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
  const info: ServerInfo = {
    name: options.name, kind: options.kind, major: options.major,
    host: '127.0.0.1', port, user: 'postgres', password: '',
    extensionDir: options.extensionDir, pgConfig: options.pgConfig,
  };
  return {
    info,
    stop: async () => {
      spawnSync(join(options.bindir, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], { ...(runAs ?? {}), encoding: 'utf8' });
      rmSync(base, { recursive: true, force: true });
    },
    local: {
      bindir: options.bindir,
      dataDirectory: data,
      runAs,
      shutDown: () => run(join(options.bindir, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop'], runAs, `stopping ${options.name}`),
    },
  };
}
