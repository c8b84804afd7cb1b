/**
 * Freezing the version under development: its install and upgrade scripts and its migration
 * step are recorded by hash in control/releases.json and never change again; a new empty step
 * opens the next version. Pure: returns the files to write.
 */
import { compareVersions } from './control';
import { GeneratorError } from './errors';
import { hashText, NEXT_STEP, planExtension, releasedStepPath } from './plan';
import { manifestOf } from './sql-objects';
import { HISTORY_FILE } from './sources';
import type { GeneratedFile, ReleaseHistory, Sources } from './types';

export const NEXT_STEP_TEMPLATE =
  '-- Release under development (control/releases.json "next"): append stateful changes here.\n';

export function planRelease(sources: Sources, newNext: string, date: string): GeneratedFile[] {
  const { history } = sources.metadata;
  const version = history.next;
  if (!/^\d+\.\d+\.\d+$/.test(newNext) || compareVersions(newNext, version) <= 0) {
    throw new GeneratorError(`the new development version must be a version greater than ${version}, got "${newNext}"`);
  }
  const scripts = planExtension(sources).generated.filter((f) => f.path.endsWith('.sql'));
  const step = sources.migrations[sources.migrations.length - 1].file;
  const releasedStep: GeneratedFile = { path: releasedStepPath(version), text: step.text };
  const frozen: Record<string, string> = {};
  for (const file of [...scripts, releasedStep]) frozen[file.path] = hashText(file.text);
  const newHistory: ReleaseHistory = {
    next: newNext,
    releases: [...history.releases, { version, released: date, frozen, objects: manifestOf(sources) }],
  };
  return [
    ...scripts,
    releasedStep,
    { path: NEXT_STEP, text: NEXT_STEP_TEMPLATE },
    { path: HISTORY_FILE, text: renderHistory(newHistory) },
  ];
}

export function renderHistory(history: ReleaseHistory): string {
  return `${JSON.stringify({ $schema: './schema/releases.schema.json', ...history }, null, 2)}\n`;
}
