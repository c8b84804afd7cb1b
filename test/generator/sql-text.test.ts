import { splitSegments, splitStatements } from '../../src/generator/sql-text';
import { routinesIn, withoutOrReplace } from '../../src/generator/sql-objects';

describe('splitStatements', () => {
  it('splits at top-level semicolons only', () => {
    const script = [
      "SELECT 'a;b', \"x;y\" FROM t; -- c;d",
      "/* e; /* nested; */ f; */ SELECT E'g\\';h';",
      'CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; SELECT $$;$$ $body$ LANGUAGE sql;',
      'SELECT $1;',
    ].join('\n');
    expect(splitStatements(script).map((s) => s.head.split('\n')[0])).toEqual([
      "SELECT 'a;b', \"x;y\" FROM t;",
      "SELECT E'g\\';h';",
      'CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; SELECT $$;$$ $body$ LANGUAGE sql;',
      'SELECT $1;',
    ]);
    expect(splitSegments(script).map((s) => s.text).join('')).toBe(script);
  });

  it('reports an unterminated dollar quote', () => {
    expect(() => splitStatements('SELECT $x$ never closed')).toThrow('unterminated dollar quote $x$');
  });
});

describe('routinesIn', () => {
  it('reads names, identity arguments and headers', () => {
    const [routine] = routinesIn({
      path: 'f.sql',
      text: `CREATE OR REPLACE FUNCTION chronicle.f(p_table regclass, OUT n bigint, VARIADIC p_columns text[] DEFAULT '{}')
             RETURNS SETOF record LANGUAGE sql AS $$ SELECT 1 $$;`,
    });
    expect(routine).toEqual({
      kind: 'FUNCTION',
      name: 'chronicle.f',
      identityArguments: 'regclass, VARIADIC text[]',
      header: "chronicle.f(p_table regclass, OUT n bigint, VARIADIC p_columns text[] DEFAULT '{}') RETURNS SETOF record",
    });
  });

  it('reads RETURNS TABLE and procedures', () => {
    const routines = routinesIn({
      path: 'f.sql',
      text: `CREATE OR REPLACE FUNCTION chronicle.t(p_x double precision) RETURNS TABLE (a int, b text) LANGUAGE sql AS 'SELECT 1, 2';
             CREATE OR REPLACE PROCEDURE chronicle.p(p_x int) LANGUAGE sql AS 'SELECT 1';`,
    });
    expect(routines.map((r) => [r.kind, r.identityArguments, r.header])).toEqual([
      ['FUNCTION', 'double precision', 'chronicle.t(p_x double precision) RETURNS TABLE (a int, b text)'],
      ['PROCEDURE', 'int', 'chronicle.p(p_x int)'],
    ]);
  });
});

describe('withoutOrReplace', () => {
  it('rewrites statement heads only, keeping comments and bodies', () => {
    const text = "-- note\nCREATE OR REPLACE FUNCTION chronicle.f() RETURNS text AS $$ SELECT 'CREATE OR REPLACE x' $$ LANGUAGE sql;\n";
    expect(withoutOrReplace(text)).toBe("-- note\nCREATE FUNCTION chronicle.f() RETURNS text AS $$ SELECT 'CREATE OR REPLACE x' $$ LANGUAGE sql;\n");
  });
});
