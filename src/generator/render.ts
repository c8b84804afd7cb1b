/**
 * Pure renderers: (sources, version) -> the text of one extension file.
 *
 * Install script of V  = every migration step up to V, then all functions, views, event
 *                        triggers and grants (CREATE, never OR REPLACE: nothing exists yet).
 * Upgrade script A->B  = views of A dropped, routines of A that B removed or changed dropped,
 *                        steps after A up to B, then all functions (CREATE OR REPLACE), views,
 *                        event triggers (dropped and recreated) and grants.
 * So a fresh install and every upgrade path build the same catalog.
 */
import { compareVersions } from './control';
import { manifestOf, withoutOrReplace } from './sql-objects';
import type { ExtensionIdentity, ObjectManifest, Release, RoutineSignature, SqlFile, Sources } from './types';

const GENERATED_NOTICE = 'GENERATED FILE, do not edit: made by `npm run generate` from src/sql/ and control/.';

export function renderControlFile(identity: ExtensionIdentity, defaultVersion: string): string {
  return [
    `# ${GENERATED_NOTICE}`,
    `comment = '${identity.comment}'`,
    `default_version = '${defaultVersion}'`,
    `relocatable = ${identity.relocatable}`,
    `schema = ${identity.schema}`,
    `superuser = ${identity.superuser}`,
    `trusted = ${identity.trusted}`,
    '',
  ].join('\n');
}

/** The install script of the version under development. */
export function renderInstallScript(sources: Sources): string {
  const { identity, history } = sources.metadata;
  return [
    scriptPreamble(`${identity.name} ${history.next} install script`, `CREATE EXTENSION ${identity.name}`),
    ...sources.migrations.map(migrationSection),
    ...replaceableSections(sources, withoutOrReplace),
  ].join('\n');
}

/** The upgrade script from a released version to the version under development. */
export function renderUpgradeScript(sources: Sources, from: Release): string {
  const { identity, history } = sources.metadata;
  const current = manifestOf(sources);
  const steps = sources.migrations.filter((m) => compareVersions(m.version, from.version) > 0);
  return [
    scriptPreamble(
      `${identity.name} upgrade script ${from.version} -> ${history.next}`,
      `ALTER EXTENSION ${identity.name} UPDATE TO '${history.next}'`,
    ),
    dropSection(from.objects, current),
    ...steps.map(migrationSection),
    ...replaceableSections(sources, (text) => text),
  ].join('\n');
}

function scriptPreamble(title: string, howToRun: string): string {
  return [
    `-- ${title}`,
    `-- ${GENERATED_NOTICE}`,
    '',
    '-- complain if this script is sourced in psql rather than run by the extension machinery',
    `\\echo Use "${howToRun}" to load this file. \\quit`,
    '',
    '-- every name below is schema-qualified; nothing may resolve through the caller\'s path',
    'SET LOCAL search_path = pg_catalog, pg_temp;',
    '',
  ].join('\n');
}

function section(title: string, file: SqlFile, text: string): string {
  return `-- ==== ${title} (${file.path})\n${text.trimEnd()}\n`;
}

/** Titled by version only: a step's file is renamed from next.sql when its version is released. */
function migrationSection(step: { version: string; file: SqlFile }): string {
  return `-- ==== migration step ${step.version}\n${step.file.text.trimEnd()}\n`;
}

function replaceableSections(sources: Sources, transform: (text: string) => string): string[] {
  return [
    ...sources.functions.map((f) => section('functions', f, transform(f.text))),
    ...sources.views.map((v) => section('views', v, transform(v.text))),
    section('event triggers', sources.eventTriggers, sources.eventTriggers.text),
    section('grants', sources.grants, sources.grants.text),
  ];
}

/**
 * What an upgrade drops before re-creating: every view of the old version (views are
 * recreated, so column changes need no special care), routines whose signature, argument
 * names, defaults or result changed or that are gone (CREATE OR REPLACE cannot change those),
 * and event triggers (recreated so their definition always matches the sources).
 */
function dropSection(old: ObjectManifest, current: ObjectManifest): string {
  const currentHeaders = new Set(current.routines.map((r) => r.header));
  const statements = [
    ...[...old.views].reverse().map((view) => `DROP VIEW IF EXISTS ${view};`),
    ...old.routines.filter((r) => !currentHeaders.has(r.header)).map(dropRoutine),
    ...old.eventTriggers.map((trigger) => `DROP EVENT TRIGGER IF EXISTS ${trigger};`),
  ];
  const body = statements.length > 0 ? statements.join('\n') : '-- nothing to drop';
  return `-- ==== objects of the old version that are dropped before being re-created or removed\n${body}\n`;
}

function dropRoutine(routine: RoutineSignature): string {
  return `DROP ${routine.kind} IF EXISTS ${routine.name}(${routine.identityArguments});`;
}
