/** Reads control/ and src/sql/ from a repository checkout. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseControlMetadata } from './control';
import { GeneratorError } from './errors';
import { EXTENSION_DIR, NEXT_STEP, releasedStepPath } from './plan';
import type { DiskState } from './check';
import type { SqlFile, Sources } from './types';

export const IDENTITY_FILE = 'control/extension.json';
export const HISTORY_FILE = 'control/releases.json';
const IDENTITY_SCHEMA = 'control/schema/extension.schema.json';
const HISTORY_SCHEMA = 'control/schema/releases.schema.json';

export function readSources(root: string): Sources {
  const metadata = parseControlMetadata({
    identity: { file: IDENTITY_FILE, text: readRequired(root, IDENTITY_FILE) },
    history: { file: HISTORY_FILE, text: readRequired(root, HISTORY_FILE) },
    identitySchema: readRequired(root, IDENTITY_SCHEMA),
    historySchema: readRequired(root, HISTORY_SCHEMA),
  });
  const migrations = [
    ...metadata.history.releases.map((r) => ({ version: r.version, file: readSql(root, releasedStepPath(r.version)) })),
    { version: metadata.history.next, file: readSql(root, NEXT_STEP) },
  ];
  return {
    metadata,
    migrations,
    functions: sqlFilesUnder(root, 'src/sql/functions'),
    views: sqlFilesUnder(root, 'src/sql/views'),
    eventTriggers: readSql(root, 'src/sql/event_triggers.sql'),
    grants: readSql(root, 'src/sql/grants.sql'),
  };
}

export function readDiskState(root: string): DiskState {
  const dir = join(root, EXTENSION_DIR);
  return {
    extensionFiles: existsSync(dir) ? readdirSync(dir).sort().map((name) => `${EXTENSION_DIR}/${name}`) : [],
    read: (path) => (existsSync(join(root, path)) ? readFileSync(join(root, path), 'utf8') : undefined),
  };
}

function readRequired(root: string, path: string): string {
  try {
    return readFileSync(join(root, path), 'utf8');
  } catch (error) {
    throw new GeneratorError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

function readSql(root: string, path: string): SqlFile {
  return { path, text: readRequired(root, path) };
}

/** Every .sql file below dir, in path order, so output is stable. */
function sqlFilesUnder(root: string, dir: string): SqlFile[] {
  const absolute = join(root, dir);
  if (!existsSync(absolute)) return [];
  const walk = (current: string): string[] =>
    readdirSync(current).sort().flatMap((name) => {
      const full = join(current, name);
      if (statSync(full).isDirectory()) return walk(full);
      return name.endsWith('.sql') ? [full] : [];
    });
  return walk(absolute).map((full) => readSql(root, relative(root, full)));
}
