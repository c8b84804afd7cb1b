/**
 * The generator on copies of this repository: metadata validation, frozen releases, drift,
 * source rules, upgrade drops and the release step. No server needed.
 */
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/package-root';
import { check, generate, release } from '../../src/generator/main';
import { ControlMetadataError, DriftError, SourceRuleError } from '../../src/generator/errors';
import { DEFAULT_VERSION, FIRST_RELEASE, LAST_RELEASE, nextMinorVersion } from '../helpers/versions';

const RELEASED = `extension/chronicle--${FIRST_RELEASE}.sql`;
const INSTALL = `extension/chronicle--${DEFAULT_VERSION}.sql`;
const UPGRADE = `extension/chronicle--${LAST_RELEASE}--${DEFAULT_VERSION}.sql`;
const AFTER = nextMinorVersion(DEFAULT_VERSION);

const fixtures: string[] = [];

/** A throwaway copy of the parts of the repository the generator reads and writes. */
function copyOfRepository(): string {
  const dir = mkdtempSync(join(tmpdir(), 'chronicle-generator-'));
  for (const part of ['control', 'src/sql', 'extension', 'package.json']) {
    cpSync(join(packageRoot(), part), join(dir, part), { recursive: true });
  }
  fixtures.push(dir);
  return dir;
}

function editJson(path: string, edit: (value: any) => void): void {
  const value = JSON.parse(readFileSync(path, 'utf8'));
  edit(value);
  writeFileSync(path, JSON.stringify(value, null, 2));
}

function errorOf(work: () => unknown): Error {
  try {
    work();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error, none was thrown');
}

afterAll(() => {
  for (const dir of fixtures) rmSync(dir, { recursive: true, force: true });
});

describe('the committed extension/', () => {
  it('is exactly what the sources and control/ produce, and released files match their hashes', () => {
    expect(() => check(packageRoot())).not.toThrow();
  });
});

describe('control metadata validation', () => {
  it.each([
    ['a malformed version', (h: any) => { h.releases[0].version = '0.1'; }, '/releases/0/version: must match pattern'],
    ['a missing field', (h: any) => { delete h.next; }, '(top level): missing required field "next"'],
    ['an unknown field', (h: any) => { h.releases[0].notes = 'x'; }, '/releases/0: unknown field "notes"'],
    ['a bad hash', (h: any) => { h.releases[0].frozen[RELEASED] = 'md5:1'; }, `/releases/0/frozen/extension~1chronicle--${FIRST_RELEASE}.sql: must match pattern "^sha256:[0-9a-f]{64}$"`],
    ['a development version not after the last release', (h: any) => { h.next = LAST_RELEASE; }, `/next: ${LAST_RELEASE} must be greater than the last release ${LAST_RELEASE}`],
    ['a wrong routine kind', (h: any) => { h.releases[0].objects.routines[0].kind = 'TRIGGER'; }, '/releases/0/objects/routines/0/kind: must be one of "FUNCTION", "PROCEDURE"'],
  ])('refuses releases.json with %s, naming the file, the field and what was expected', (_what, edit, expected) => {
    const dir = copyOfRepository();
    editJson(join(dir, 'control/releases.json'), edit);
    const error = errorOf(() => check(dir));
    expect(error).toBeInstanceOf(ControlMetadataError);
    expect(error.message).toContain('control/releases.json is invalid');
    expect(error.message).toContain(expected);
  });

  it('refuses extension.json that is not JSON', () => {
    const dir = copyOfRepository();
    writeFileSync(join(dir, 'control/extension.json'), '{ "name": "chronicle", ');
    const error = errorOf(() => check(dir));
    expect(error).toBeInstanceOf(ControlMetadataError);
    expect(error.message).toMatch(/control\/extension.json is invalid:\n {2}- not valid JSON: /);
  });

  it('refuses an extension name that is not an identifier', () => {
    const dir = copyOfRepository();
    editJson(join(dir, 'control/extension.json'), (e) => { e.name = 'Chronicle!'; });
    expect(errorOf(() => check(dir)).message).toContain('/name: must match pattern "^[a-z_][a-z0-9_]*$"');
  });
});

describe('frozen releases and drift', () => {
  it('detects a modified released install script', () => {
    const dir = copyOfRepository();
    appendFileSync(join(dir, RELEASED), '\n-- edited\n');
    const error = errorOf(() => check(dir));
    expect(error).toBeInstanceOf(DriftError);
    expect(error.message).toContain(`${RELEASED} was frozen by a release and has been modified`);
  });

  it('detects a modified released migration step, and generate refuses to paper over it', () => {
    const dir = copyOfRepository();
    appendFileSync(join(dir, `src/sql/migrations/${FIRST_RELEASE}.sql`), '\nCREATE TABLE chronicle.sneaky (id int);\n');
    expect(errorOf(() => check(dir)).message).toContain(`src/sql/migrations/${FIRST_RELEASE}.sql was frozen by a release and has been modified`);
    expect(errorOf(() => generate(dir))).toBeInstanceOf(DriftError);
  });

  it('detects extension/ out of date with a changed function, and generate brings it up to date', () => {
    const dir = copyOfRepository();
    const source = join(dir, 'src/sql/functions/core/version.sql');
    writeFileSync(source, readFileSync(source, 'utf8').replace("'Version of the", "'Installed version of the"));
    expect(errorOf(() => check(dir)).message).toContain(`${INSTALL} is out of date`);
    const written = generate(dir);
    expect(written.sort()).toEqual([UPGRADE, INSTALL].sort());
    expect(() => check(dir)).not.toThrow();
    expect(readFileSync(join(dir, INSTALL), 'utf8')).toContain("'Installed version of the");
    expect(readFileSync(join(dir, RELEASED), 'utf8')).not.toContain("'Installed version of the");
  });

  it('detects a stray file in extension/, and generate removes it', () => {
    const dir = copyOfRepository();
    writeFileSync(join(dir, 'extension/chronicle--0.0.9--0.1.0.sql'), 'SELECT 1;\n');
    expect(errorOf(() => check(dir)).message).toContain('extension/chronicle--0.0.9--0.1.0.sql is neither generated nor frozen');
    generate(dir);
    expect(() => check(dir)).not.toThrow();
  });
});

describe('source rules', () => {
  it('refuses a function not qualified with the extension schema', () => {
    const dir = copyOfRepository();
    writeFileSync(join(dir, 'src/sql/functions/core/bad.sql'), 'CREATE OR REPLACE FUNCTION helper() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\n');
    const error = errorOf(() => generate(dir));
    expect(error).toBeInstanceOf(SourceRuleError);
    expect(error.message).toBe('src/sql/functions/core/bad.sql: FUNCTION must be qualified with schema "chronicle": CREATE OR REPLACE FUNCTION helper() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;');
  });

  it('refuses a function written without OR REPLACE (upgrades re-emit it)', () => {
    const dir = copyOfRepository();
    writeFileSync(join(dir, 'src/sql/functions/core/bad.sql'), 'CREATE FUNCTION chronicle.helper() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\n');
    expect(errorOf(() => generate(dir)).message).toContain('write CREATE OR REPLACE FUNCTION');
  });

  it('refuses CREATE OR REPLACE in a migration step (steps run once)', () => {
    const dir = copyOfRepository();
    appendFileSync(join(dir, 'src/sql/migrations/next.sql'), 'CREATE OR REPLACE VIEW chronicle.v AS SELECT 1;\n');
    expect(errorOf(() => generate(dir)).message).toContain('src/sql/migrations/next.sql: migration steps must not use CREATE OR REPLACE');
  });

  it('refuses an unnamed argument, which would make the dropped signature ambiguous', () => {
    const dir = copyOfRepository();
    writeFileSync(join(dir, 'src/sql/functions/core/bad.sql'), 'CREATE OR REPLACE FUNCTION chronicle.helper(integer) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\n');
    expect(errorOf(() => generate(dir)).message).toContain('argument "integer" of chronicle.helper has no name');
  });

  it('ignores CREATE statements inside function bodies and strings', () => {
    const dir = copyOfRepository();
    writeFileSync(join(dir, 'src/sql/functions/core/dynamic.sql'), [
      'CREATE OR REPLACE FUNCTION chronicle.make_helper(p_name name) RETURNS void LANGUAGE plpgsql AS $body$',
      'BEGIN',
      "  EXECUTE format('CREATE FUNCTION %I() RETURNS int LANGUAGE sql AS ''SELECT 1''; -- not ours', p_name);",
      'END',
      '$body$;',
      '',
    ].join('\n'));
    expect(() => generate(dir)).not.toThrow();
    const install = readFileSync(join(dir, INSTALL), 'utf8');
    expect(install).toContain('CREATE FUNCTION chronicle.make_helper(p_name name)');
    expect(install).toContain("EXECUTE format('CREATE FUNCTION %I()");
  });
});

describe('upgrade scripts', () => {
  it('drop a routine whose signature changed before re-creating it, and keep unchanged ones', () => {
    const dir = copyOfRepository();
    expect(readFileSync(join(dir, UPGRADE), 'utf8')).not.toContain('DROP FUNCTION IF EXISTS chronicle.version();');
    const source = join(dir, 'src/sql/functions/core/version.sql');
    writeFileSync(source, readFileSync(source, 'utf8')
      .replace('chronicle.version()\nRETURNS text', 'chronicle.version(p_verbose boolean DEFAULT false)\nRETURNS text')
      .replace(/chronicle\.version\(\) IS/, 'chronicle.version(boolean) IS'));
    writeFileSync(join(dir, 'src/sql/grants.sql'), 'GRANT EXECUTE ON FUNCTION chronicle.version(boolean) TO PUBLIC;\n');
    generate(dir);
    const upgradeScript = readFileSync(join(dir, UPGRADE), 'utf8');
    expect(upgradeScript).toContain('DROP FUNCTION IF EXISTS chronicle.version();');
    expect(upgradeScript).toContain('CREATE OR REPLACE FUNCTION chronicle.version(p_verbose boolean DEFAULT false)');
  });
});

describe('release', () => {
  it('freezes the version under development and opens the next one', () => {
    const dir = copyOfRepository();
    appendFileSync(join(dir, 'src/sql/migrations/next.sql'), 'CREATE TABLE chronicle.settings (name text PRIMARY KEY);\n');
    generate(dir);
    const installBefore = readFileSync(join(dir, INSTALL), 'utf8');
    expect(release(dir, AFTER, '2026-12-01')).toBe(DEFAULT_VERSION);
    const history = JSON.parse(readFileSync(join(dir, 'control/releases.json'), 'utf8'));
    expect(history.next).toBe(AFTER);
    expect(history.releases.map((r: any) => r.version).slice(-2)).toEqual([LAST_RELEASE, DEFAULT_VERSION]);
    expect(Object.keys(history.releases[history.releases.length - 1].frozen).sort()).toEqual(
      [UPGRADE, INSTALL, `src/sql/migrations/${DEFAULT_VERSION}.sql`].sort(),
    );
    expect(readFileSync(join(dir, INSTALL), 'utf8')).toBe(installBefore);
    expect(readFileSync(join(dir, `src/sql/migrations/${DEFAULT_VERSION}.sql`), 'utf8')).toContain('CREATE TABLE chronicle.settings');
    expect(readFileSync(join(dir, 'src/sql/migrations/next.sql'), 'utf8')).not.toContain('CREATE TABLE');
    expect(readFileSync(join(dir, 'extension/chronicle.control'), 'utf8')).toContain(`default_version = '${AFTER}'`);
    expect(readFileSync(join(dir, `extension/chronicle--${DEFAULT_VERSION}--${AFTER}.sql`), 'utf8')).not.toContain('CREATE TABLE chronicle.settings');
    expect(readFileSync(join(dir, `extension/chronicle--${AFTER}.sql`), 'utf8')).toContain('CREATE TABLE chronicle.settings');
    expect(() => check(dir)).not.toThrow();
  });

  it('records the event triggers created inside a DO block, so that the next upgrade drops them before re-creating them', () => {
    const dir = copyOfRepository();
    release(dir, AFTER, '2026-12-01');
    const history = JSON.parse(readFileSync(join(dir, 'control/releases.json'), 'utf8'));
    const released = history.releases[history.releases.length - 1];
    expect(released.objects.eventTriggers).toEqual(['chronicle_ddl_command_start', 'chronicle_ddl_command_end', 'chronicle_sql_drop']);
    const upgrade = readFileSync(join(dir, `extension/chronicle--${DEFAULT_VERSION}--${AFTER}.sql`), 'utf8');
    for (const trigger of released.objects.eventTriggers) expect(upgrade).toContain(`DROP EVENT TRIGGER IF EXISTS ${trigger};`);
  });

  it('refuses a next version that is not greater', () => {
    const dir = copyOfRepository();
    expect(errorOf(() => release(dir, DEFAULT_VERSION)).message).toContain(`must be a version greater than ${DEFAULT_VERSION}`);
  });
});
