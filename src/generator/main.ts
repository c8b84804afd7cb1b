#!/usr/bin/env node
/**
 * npm run generate | generate:check | release -- <new-next-version>
 * Exit codes: 0 done, 1 invalid sources or drift, 2 usage.
 */
import { packageRoot } from '../package-root';
import { findDrift, frozenDrift } from './check';
import { DriftError, GeneratorError } from './errors';
import { planExtension } from './plan';
import { planRelease } from './release';
import { readDiskState, readSources } from './sources';
import { removeFiles, writeFiles } from './writer';

const USAGE = 'usage: generator generate | check | release <new-development-version>';

/** Writes extension/ from the sources; returns the paths written. Never touches frozen files. */
export function generate(root: string): string[] {
  const plan = planExtension(readSources(root));
  const disk = readDiskState(root);
  const frozenProblems = frozenDrift(plan, disk);
  if (frozenProblems.length > 0) throw new DriftError(frozenProblems);
  const changed = plan.generated.filter((f) => disk.read(f.path) !== f.text);
  writeFiles(root, changed);
  const known = new Set([...plan.generated.map((f) => f.path), ...plan.frozen.keys()]);
  removeFiles(root, disk.extensionFiles.filter((path) => !known.has(path)));
  return changed.map((f) => f.path);
}

/** Throws DriftError when extension/ differs from what the sources produce. */
export function check(root: string): void {
  const problems = findDrift(planExtension(readSources(root)), readDiskState(root));
  if (problems.length > 0) throw new DriftError(problems);
}

/** Freezes the version under development and opens newNext; returns the released version. */
export function release(root: string, newNext: string, date = new Date().toISOString().slice(0, 10)): string {
  check(root);
  const sources = readSources(root);
  writeFiles(root, planRelease(sources, newNext, date));
  generate(root);
  return sources.metadata.history.next;
}

function main(argv: string[]): number {
  const root = packageRoot();
  const [command, argument, ...rest] = argv;
  try {
    if (command === 'generate' && argument === undefined) {
      const written = generate(root);
      console.log(written.length > 0 ? `wrote ${written.join(', ')}` : 'extension/ is up to date');
    } else if (command === 'check' && argument === undefined) {
      check(root);
      console.log('extension/ is up to date and every released file matches its recorded hash');
    } else if (command === 'release' && argument !== undefined && rest.length === 0) {
      const version = release(root, argument);
      console.log(`released ${version}; development continues on ${argument}`);
    } else {
      console.error(USAGE);
      return 2;
    }
    return 0;
  } catch (error) {
    if (error instanceof GeneratorError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
