/** The extension's versions, read from control/releases.json, so tests follow each release. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/package-root';

const history = JSON.parse(readFileSync(join(packageRoot(), 'control', 'releases.json'), 'utf8')) as {
  next: string;
  releases: { version: string }[];
};

/** the version under development: the control file's default_version */
export const DEFAULT_VERSION = history.next;

/** every version a server can install, oldest first */
export const ALL_VERSIONS = [...history.releases.map((r) => r.version), history.next];

/** the oldest release, whose scripts are frozen for good */
export const FIRST_RELEASE = history.releases[0].version;

/** the newest release: upgrades to the version under development start here */
export const LAST_RELEASE = history.releases[history.releases.length - 1].version;

/** the minor version after `version`, as a release step would open it */
export function nextMinorVersion(version: string): string {
  const [major, minor] = version.split('.').map(Number);
  return `${major}.${minor + 1}.0`;
}
