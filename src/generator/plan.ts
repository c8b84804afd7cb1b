/**
 * What extension/ must contain, and what the release history says is frozen. Pure.
 */
import { createHash } from 'node:crypto';
import { renderControlFile, renderInstallScript, renderUpgradeScript } from './render';
import { checkSourceRules } from './sql-objects';
import type { GeneratedFile, Release, Sources } from './types';

export const EXTENSION_DIR = 'extension';
export const MIGRATIONS_DIR = 'src/sql/migrations';
export const NEXT_STEP = `${MIGRATIONS_DIR}/next.sql`;

export function installScriptPath(name: string, version: string): string {
  return `${EXTENSION_DIR}/${name}--${version}.sql`;
}

export function upgradeScriptPath(name: string, from: string, to: string): string {
  return `${EXTENSION_DIR}/${name}--${from}--${to}.sql`;
}

export function releasedStepPath(version: string): string {
  return `${MIGRATIONS_DIR}/${version}.sql`;
}

export function hashText(text: string): string {
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

export interface ExtensionPlan {
  /** files rendered from the current sources (control file, next version's scripts) */
  generated: GeneratedFile[];
  /** path -> hash of every file a past release froze */
  frozen: Map<string, string>;
}

export function planExtension(sources: Sources): ExtensionPlan {
  const { identity, history } = sources.metadata;
  checkAllSourceRules(sources);
  const lastRelease: Release | undefined = history.releases[history.releases.length - 1];
  const generated: GeneratedFile[] = [
    { path: `${EXTENSION_DIR}/${identity.name}.control`, text: renderControlFile(identity, history.next) },
    { path: installScriptPath(identity.name, history.next), text: renderInstallScript(sources) },
  ];
  if (lastRelease) {
    generated.push({
      path: upgradeScriptPath(identity.name, lastRelease.version, history.next),
      text: renderUpgradeScript(sources, lastRelease),
    });
  }
  const frozen = new Map<string, string>();
  for (const release of history.releases) {
    for (const [path, hash] of Object.entries(release.frozen)) frozen.set(path, hash);
  }
  return { generated, frozen };
}

function checkAllSourceRules(sources: Sources): void {
  const schema = sources.metadata.identity.schema;
  for (const m of sources.migrations) checkSourceRules(m.file, 'migration', schema);
  for (const f of [...sources.functions, ...sources.views, sources.eventTriggers, sources.grants]) {
    checkSourceRules(f, 'replaceable', schema);
  }
}
