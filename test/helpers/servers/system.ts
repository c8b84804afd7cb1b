/**
 * The machine's own PostgreSQL, found with pg_config (CHRONICLE_PG_CONFIG to choose); the
 * extension goes in with `make install`, as a user would do it.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../../src/package-root';
import { startLocalCluster } from './local-cluster';
import { ServerProviderError, type RunningServer } from './types';

export interface SystemInstallation {
  pgConfig: string;
  major: number;
  bindir: string;
  extensionDir: string;
}

export function systemPgConfig(): string {
  return process.env.CHRONICLE_PG_CONFIG ?? 'pg_config';
}

/** The installation pg_config describes, or undefined when there is no pg_config. */
export function findSystemInstallation(pgConfig = systemPgConfig()): SystemInstallation | undefined {
  const ask = (flag: string) => {
    const result = spawnSync(pgConfig, [flag], { encoding: 'utf8' });
    return result.status === 0 ? result.stdout.trim() : undefined;
  };
  const version = ask('--version');
  const bindir = ask('--bindir');
  const sharedir = ask('--sharedir');
  if (!version || !bindir || !sharedir) return undefined;
  const major = Number(/PostgreSQL (\d+)/.exec(version)?.[1]);
  return { pgConfig, major, bindir, extensionDir: join(sharedir, 'extension') };
}

/** Runs make in this repository against pg_config (e.g. ['install'] or ['-n', 'install']). */
export function make(args: string[], pgConfig: string): { status: number; output: string } {
  const result = spawnSync('make', ['--no-print-directory', ...args, `PG_CONFIG=${pgConfig}`], { cwd: packageRoot(), encoding: 'utf8' });
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

export async function startSystem(): Promise<RunningServer> {
  const installation = findSystemInstallation();
  if (!installation) {
    throw new ServerProviderError(`no system PostgreSQL: "${systemPgConfig()}" not found or failing (Debian: apt-get install postgresql-15)`);
  }
  const installed = make(['install'], installation.pgConfig);
  if (installed.status !== 0) throw new ServerProviderError(`make install failed:\n${installed.output}`);
  return startLocalCluster({
    name: `system-${installation.major}`, kind: 'system', major: installation.major,
    bindir: installation.bindir, extensionDir: installation.extensionDir, pgConfig: installation.pgConfig,
  });
}
