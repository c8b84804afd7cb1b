/**
 * Reads what the SQL sources define (routines, views, event triggers) and checks the project's
 * rules for them. Pure functions over source text.
 */
import { SourceRuleError } from './errors';
import {
  matchParenthesis,
  normalizeWhitespace,
  splitSegments,
  splitStatements,
  splitTopLevelCommas,
} from './sql-text';
import type { ObjectManifest, RoutineSignature, SqlFile } from './types';

const ROUTINE_START = /^CREATE\s+OR\s+REPLACE\s+(FUNCTION|PROCEDURE)\s+/i;
const VIEW_START = /^CREATE\s+OR\s+REPLACE\s+VIEW\s+([^\s(]+)/i;
const EVENT_TRIGGER_START = /^CREATE\s+EVENT\s+TRIGGER\s+([^\s]+)/i;
const EVENT_TRIGGER_ANYWHERE = /\bCREATE\s+EVENT\s+TRIGGER\s+([^\s]+)/gi;
const ANY_CREATE = /^CREATE\s+(OR\s+REPLACE\s+)?(?:UNIQUE\s+)?(TABLE|VIEW|MATERIALIZED\s+VIEW|FUNCTION|PROCEDURE|SEQUENCE|TYPE|DOMAIN|INDEX|AGGREGATE|OPERATOR|CAST|EVENT\s+TRIGGER|TRIGGER|SCHEMA|ROLE)\b/i;
/** clauses that end a RETURNS clause */
const ROUTINE_OPTION = /\b(LANGUAGE|AS|IMMUTABLE|STABLE|VOLATILE|SECURITY|SET|PARALLEL|STRICT|CALLED|RETURNS\s+NULL|LEAKPROOF|NOT\s+LEAKPROOF|COST|ROWS|WINDOW|SUPPORT|TRANSFORM|EXTERNAL|BEGIN\s+ATOMIC)\b/i;
const ARGUMENT_MODES = new Set(['IN', 'OUT', 'INOUT', 'VARIADIC']);

/** Routine headers (name, arguments, result) found in a source file. */
export function routinesIn(file: SqlFile): RoutineSignature[] {
  return splitStatements(file.text).flatMap((statement) => {
    const start = ROUTINE_START.exec(statement.head);
    if (!start) return [];
    const kind = start[1].toUpperCase() as RoutineSignature['kind'];
    const afterKeyword = statement.head.slice(start[0].length);
    const open = afterKeyword.indexOf('(');
    if (open === -1) throw new SourceRuleError(file.path, `${kind} without an argument list`);
    const name = afterKeyword.slice(0, open).trim();
    const close = matchParenthesis(afterKeyword, open);
    const argumentList = afterKeyword.slice(open + 1, close - 1);
    const result = kind === 'FUNCTION' ? returnsClause(file.path, afterKeyword.slice(close)) : '';
    return [{
      kind,
      name,
      identityArguments: identityArguments(file.path, name, argumentList),
      header: normalizeWhitespace(`${name}(${argumentList})${result ? ` ${result}` : ''}`),
    }];
  });
}

function returnsClause(path: string, rest: string): string {
  const trimmed = rest.trimStart();
  if (!/^RETURNS\b/i.test(trimmed)) return '';
  const afterReturns = trimmed.slice('RETURNS'.length).trimStart();
  if (/^TABLE\s*\(/i.test(afterReturns)) {
    const open = afterReturns.indexOf('(');
    return `RETURNS ${afterReturns.slice(0, matchParenthesis(afterReturns, open))}`;
  }
  const end = ROUTINE_OPTION.exec(afterReturns);
  if (!end) throw new SourceRuleError(path, 'cannot find the end of a RETURNS clause');
  return `RETURNS ${afterReturns.slice(0, end.index).trim()}`;
}

/**
 * The argument types that identify a routine, as DROP FUNCTION takes them. The project's rule:
 * every argument is named, so the first word after the mode is the name and the rest the type.
 */
function identityArguments(path: string, routine: string, argumentList: string): string {
  return splitTopLevelCommas(argumentList)
    .flatMap((argument) => {
      const withoutDefault = argument.split(/\s+DEFAULT\s+|\s*=\s*/i)[0].trim();
      const words = withoutDefault.split(/\s+/);
      const mode = ARGUMENT_MODES.has(words[0].toUpperCase()) ? words.shift()!.toUpperCase() : 'IN';
      if (words.length < 2) {
        throw new SourceRuleError(path, `argument "${argument}" of ${routine} has no name; name every argument`);
      }
      if (mode === 'OUT') return [];
      const type = words.slice(1).join(' ');
      return [mode === 'VARIADIC' ? `VARIADIC ${type}` : type];
    })
    .join(', ');
}

export function viewsIn(file: SqlFile): string[] {
  return splitStatements(file.text).flatMap((s) => {
    const match = VIEW_START.exec(s.head);
    return match ? [match[1]] : [];
  });
}

/**
 * Event triggers created by the file: at the start of a statement, or inside a DO block (which
 * lets an install without a superuser go on without them).
 */
export function eventTriggersIn(file: SqlFile): string[] {
  return splitStatements(file.text).flatMap((s) => {
    const match = EVENT_TRIGGER_START.exec(s.head);
    if (match) return [match[1]];
    if (!/^DO\b/i.test(s.head)) return [];
    return [...s.text.matchAll(EVENT_TRIGGER_ANYWHERE)].map((m) => m[1]);
  });
}

export function manifestOf(files: {
  functions: SqlFile[];
  views: SqlFile[];
  eventTriggers: SqlFile;
}): ObjectManifest {
  return {
    routines: files.functions.flatMap(routinesIn),
    views: files.views.flatMap(viewsIn),
    eventTriggers: eventTriggersIn(files.eventTriggers),
  };
}

/**
 * Checks the rules every source follows: objects are qualified with the extension's schema;
 * functions and views are written CREATE OR REPLACE (they are re-emitted by upgrades);
 * migration steps never replace (they hold state and run exactly once).
 */
export function checkSourceRules(file: SqlFile, role: 'migration' | 'replaceable', schema: string): void {
  for (const statement of splitStatements(file.text)) {
    const create = ANY_CREATE.exec(statement.head);
    if (!create) continue;
    const orReplace = Boolean(create[1]);
    const objectKind = create[2].toUpperCase().replace(/\s+/g, ' ');
    const firstLine = statement.head.split('\n')[0];
    if (role === 'migration' && orReplace) {
      throw new SourceRuleError(file.path, `migration steps must not use CREATE OR REPLACE: ${firstLine}`);
    }
    if (role === 'replaceable' && !orReplace && ['FUNCTION', 'PROCEDURE', 'VIEW'].includes(objectKind)) {
      throw new SourceRuleError(file.path, `write CREATE OR REPLACE ${objectKind} (re-emitted by upgrades): ${firstLine}`);
    }
    const qualified = qualifiedTarget(statement.head, objectKind, schema);
    if (!qualified) {
      throw new SourceRuleError(file.path, `${objectKind} must be qualified with schema "${schema}": ${firstLine}`);
    }
  }
}

function qualifiedTarget(head: string, objectKind: string, schema: string): boolean {
  const prefix = `(?:${schema}|"${schema}")\\.`;
  switch (objectKind) {
    case 'INDEX':
    case 'TRIGGER':
      return new RegExp(`\\bON\\s+(ONLY\\s+)?${prefix}`, 'i').test(head);
    case 'EVENT TRIGGER':
    case 'CAST':
    case 'SCHEMA':
    case 'ROLE':
      return true;
    default:
      return new RegExp(
        `^CREATE\\s+(OR\\s+REPLACE\\s+)?(UNIQUE\\s+)?${objectKind.replace(' ', '\\s+')}\\s+(IF\\s+NOT\\s+EXISTS\\s+)?${prefix}`,
        'i',
      ).test(head);
  }
}

/** Turns CREATE OR REPLACE into CREATE, for install scripts (nothing exists to replace). */
export function withoutOrReplace(text: string): string {
  return splitSegments(text)
    .map((segment) => {
      if (!/^CREATE\s+OR\s+REPLACE\s+/i.test(segment.head)) return segment.text;
      const headAt = segment.text.length - segment.head.length;
      return segment.text.slice(0, headAt) + segment.head.replace(/^CREATE\s+OR\s+REPLACE\s+/i, 'CREATE ');
    })
    .join('');
}
