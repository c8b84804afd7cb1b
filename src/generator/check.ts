/**
 * Compares extension/ and the released sources on disk with the plan. Pure: the caller reads
 * the files.
 */
import { hashText, type ExtensionPlan } from './plan';

export interface DiskState {
  /** repository-relative paths of the files now in extension/ */
  extensionFiles: string[];
  /** text of a repository-relative path, or undefined when the file does not exist */
  read(path: string): string | undefined;
}

export function findDrift(plan: ExtensionPlan, disk: DiskState): string[] {
  return [...generatedDrift(plan, disk), ...frozenDrift(plan, disk)];
}

/** Generated files that are missing, out of date, or unknown files in extension/. */
export function generatedDrift(plan: ExtensionPlan, disk: DiskState): string[] {
  const problems: string[] = [];
  for (const file of plan.generated) {
    const text = disk.read(file.path);
    if (text === undefined) problems.push(`${file.path} is missing: run \`npm run generate\``);
    else if (text !== file.text) problems.push(`${file.path} is out of date with src/sql and control/: run \`npm run generate\``);
  }
  const known = new Set([...plan.generated.map((f) => f.path), ...plan.frozen.keys()]);
  for (const path of disk.extensionFiles) {
    if (!known.has(path)) problems.push(`${path} is neither generated nor frozen by a release: delete it or run \`npm run generate\``);
  }
  return problems;
}

/** Files a release froze that are missing or changed: only a person can repair those. */
export function frozenDrift(plan: ExtensionPlan, disk: DiskState): string[] {
  const problems: string[] = [];
  for (const [path, hash] of plan.frozen) {
    const text = disk.read(path);
    if (text === undefined) {
      problems.push(`${path} was frozen by a release but is missing: restore it from git`);
    } else if (hashText(text) !== hash) {
      problems.push(`${path} was frozen by a release and has been modified (recorded ${hash}, now ${hashText(text)}): ` +
        'released files never change; restore it from git and put the change into src/sql/migrations/next.sql');
    }
  }
  return problems;
}
