/**
 * DDL revert oracle (issue 6, item 4): a seeded random workload over several audited tables
 * mixing DML (INSERT, UPDATE, DELETE) with the DDL a revert can undo (ADD COLUMN with or without
 * a default and NOT NULL, DROP COLUMN, RENAME COLUMN, ALTER COLUMN TYPE with lossy USING, SET/DROP
 * DEFAULT, SET/DROP NOT NULL, RENAME TABLE, SET SCHEMA, DROP TABLE), with a copy of both schemas
 * after every transaction: every table's columns (name, type, NOT NULL, default) and its rows as
 * jsonb. Then, for transactions X picked at random, in a transaction rolled back afterwards:
 * a dry run changes nothing, and reverting X and every later transaction gives exactly the copy
 * taken before X (columns and rows); reverting X alone either succeeds or is refused as a
 * conflict (55000) leaving everything as it was. Finally the last transaction is reverted for real
 * and the revert reverted again (each committed), each compared with the copies.
 *
 * The seed is printed; CHRONICLE_ORACLE_SEED replays it, CHRONICLE_ORACLE_TRANSACTIONS scales it.
 */
import type { Client } from 'pg';
import { DatabaseError } from 'pg';
import { connectTo, createDatabase, databaseNameFor, dropDatabase, testServers } from '../helpers/database';
import { ident, literal, qualified } from '../helpers/oracle/model';
import { oracleSeed, oracleTransactions, Rng } from '../helpers/oracle/random';
import type { ServerInfo } from '../helpers/servers/types';

const seed = oracleSeed();
const transactions = oracleTransactions(40);
console.log(`ddl revert oracle: seed ${seed}, ${transactions} transactions (CHRONICLE_ORACLE_SEED=${seed} replays it)`);

const SCHEMAS = ['ddl_rev', 'ddl rev 2'];

type State = Record<string, { columns: string[]; rows: string[] }>;

async function stateOf(client: Client): Promise<State> {
  const { rows: tables } = await client.query<{ t: string; oid: number }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS t, c.oid::int AS oid FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY ($1) AND c.relkind = 'r' ORDER BY 1`, [SCHEMAS],
  );
  const out: State = {};
  for (const { t, oid } of tables) {
    const { rows: columns } = await client.query<{ c: string }>(
      `SELECT format('%I %s%s%s', a.attname, format_type(a.atttypid, a.atttypmod), CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END,
                     coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')) AS c
         FROM pg_attribute AS a LEFT JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attname`, [oid],
    );
    const { rows } = await client.query<{ r: string }>(`SELECT to_jsonb(r)::text AS r FROM ${t} AS r`);
    out[t] = { columns: columns.map((c) => c.c), rows: rows.map((r) => r.r).sort() };
  }
  return out;
}

function differences(want: State, got: State): string[] {
  const out: string[] = [];
  for (const t of new Set([...Object.keys(want), ...Object.keys(got)])) {
    const w = want[t];
    const g = got[t];
    if (!w || !g) { out.push(`${t}: ${w ? 'missing' : 'extra table'}`); continue; }
    if (JSON.stringify(w.columns) !== JSON.stringify(g.columns)) out.push(`${t}: columns ${JSON.stringify(g.columns)}, expected ${JSON.stringify(w.columns)}`);
    else if (JSON.stringify(w.rows) !== JSON.stringify(g.rows)) {
      const missing = w.rows.filter((r) => !g.rows.includes(r)).slice(0, 2);
      const extra = g.rows.filter((r) => !w.rows.includes(r)).slice(0, 2);
      out.push(`${t}: rows differ: missing ${missing.join(' ')} extra ${extra.join(' ')}`);
    }
  }
  return out;
}

interface Column { name: string; type: string; notNull: boolean; hasDefault: boolean }
interface Table { schema: string; name: string; key: string[]; columns: Column[]; nextId: number }

const TYPES = ['integer', 'bigint', 'text', 'numeric(8,2)', 'boolean', 'date', 'jsonb', 'character varying(3)'];

function value(rng: Rng, type: string, nullable = true): string {
  if (nullable && rng.chance(0.15)) return 'NULL';
  switch (type) {
    case 'integer': case 'bigint': return String(rng.int(-500, 500));
    case 'numeric(8,2)': case 'numeric(10,1)': return (rng.int(-99999, 99999) / 100).toFixed(2);
    case 'boolean': return rng.chance(0.5) ? 'true' : 'false';
    case 'date': return `date '2024-01-01' + ${rng.int(0, 900)}`;
    case 'jsonb': return literal(JSON.stringify({ k: rng.int(0, 9), s: rng.pick(['a', "it's", 'ü', '"q"']) })) + '::jsonb';
    case 'character varying(3)': return literal(rng.pick(['a', 'bc', "d'e", 'ü✓', '']));
    default: return literal(rng.pick(['x', "it's", 'mañana ✓', 'say "hi"', '', 'a\\b']) + rng.int(0, 99));
  }
}

/** ALTER COLUMN TYPE targets from a type, with the USING expression (some lose information) */
function retypes(type: string, c: string): [string, string][] {
  const out: [string, string][] = [['text', `${c}::text`]];
  if (type === 'integer') out.push(['bigint', c], ['numeric(8,2)', `${c}::numeric(8,2)`]);
  if (type === 'bigint') out.push(['integer', `${c}::integer`]);
  if (type === 'numeric(8,2)') out.push(['integer', `round(${c})::integer`], ['numeric(10,1)', `${c}::numeric(10,1)`]);
  if (type === 'numeric(10,1)') out.push(['numeric(8,2)', `${c}::numeric(8,2)`]);
  if (type === 'text') out.push(['integer', `length(${c})`], ['character varying(3)', `left(${c}, 3)`]);
  if (type === 'character varying(3)') out.push(['text', c]);
  return out.filter(([t]) => t !== type);
}

describe.each(testServers().map((s) => [s.name, s] as const))('%s', (_name, server: ServerInfo) => {
  const database = databaseNameFor(__filename);
  let client: Client;
  /** copies[i]: the state after transaction ids[i - 1] (copies[0]: before the first) */
  const copies: State[] = [];
  const ids: number[] = [];
  const history: string[] = [];
  const operations = new Map<string, number>();

  beforeAll(async () => {
    await createDatabase(server, database);
    client = await connectTo(server, database);
    await client.query('CREATE EXTENSION chronicle');
    for (const s of SCHEMAS) await client.query(`CREATE SCHEMA ${ident(s)}`);
    const rng = new Rng(seed);
    const tables: Table[] = [
      { schema: SCHEMAS[0], name: 't1', key: ['id'], columns: [], nextId: 1 },
      { schema: SCHEMAS[0], name: 'Quoted "T"', key: ['id'], columns: [], nextId: 1 },
      { schema: SCHEMAS[1], name: 't3', key: ['id'], columns: [], nextId: 1 },
      { schema: SCHEMAS[0], name: 't4', key: ['id'], columns: [], nextId: 1 },
    ];
    for (const t of tables) {
      t.columns = [{ name: 'id', type: 'integer', notNull: true, hasDefault: false },
        ...rng.sample(TYPES, 3).map((type, i) => ({ name: i === 1 ? `Col ${i}` : `c${i}`, type, notNull: false, hasDefault: false }))];
      await client.query(`CREATE TABLE ${qualified(t.schema, t.name)} (${t.columns.map((c) => `${ident(c.name)} ${c.type}${c.name === 'id' ? ' PRIMARY KEY' : ''}`).join(', ')})`);
      await client.query(`SELECT chronicle.create_table_audit($1)`, [qualified(t.schema, t.name)]);
      for (let i = 0; i < 15; i += 1) {
        await client.query(`INSERT INTO ${qualified(t.schema, t.name)} (${t.columns.map((c) => ident(c.name)).join(', ')})
          VALUES (${t.columns.map((c) => (c.name === 'id' ? String(t.nextId++) : value(rng, c.type))).join(', ')})`);
      }
    }
    copies.push(await stateOf(client));
    let columnCounter = 0;
    const live = () => tables.filter((t) => t.schema !== '');
    for (let n = 0; n < transactions; n += 1) {
      const statements: string[] = [];
      const count = rng.int(1, 4);
      for (let s = 0; s < count; s += 1) {
        const candidates = live();
        if (candidates.length === 0) break;
        const t = rng.pick(candidates);
        const name = qualified(t.schema, t.name);
        const others = t.columns.filter((c) => !t.key.includes(c.name));
        const op = rng.weighted({
          insert: 4, update: 5, delete: 2, add: 2, drop: others.length > 1 ? 2 : 0, rename: others.length > 0 ? 1.5 : 0,
          retype: others.length > 0 ? 2 : 0, default: others.length > 0 ? 1 : 0, notnull: others.length > 0 ? 1 : 0,
          renameTable: 0.7, setSchema: 0.7, dropTable: candidates.length > 2 ? 0.4 : 0,
        });
        operations.set(op, (operations.get(op) ?? 0) + 1);
        const col = others.length > 0 ? rng.pick(others) : undefined;
        switch (op) {
          case 'insert': {
            const rows = Array.from({ length: rng.int(1, 3) }, () => `(${t.columns.map((c) => (c.name === 'id' ? String(t.nextId++) : value(rng, c.type, !c.notNull))).join(', ')})`);
            statements.push(`INSERT INTO ${name} (${t.columns.map((c) => ident(c.name)).join(', ')}) VALUES ${rows.join(', ')}`);
            break;
          }
          case 'update': {
            if (!col) break;
            statements.push(`UPDATE ${name} SET ${ident(col.name)} = ${value(rng, col.type, !col.notNull)} WHERE id % ${rng.int(2, 5)} = ${rng.int(0, 1)}`);
            break;
          }
          case 'delete':
            statements.push(`DELETE FROM ${name} WHERE id % ${rng.int(5, 9)} = ${rng.int(0, 4)}`);
            break;
          case 'add': {
            columnCounter += 1;
            const c: Column = { name: rng.chance(0.3) ? `New "${columnCounter}"` : `n${columnCounter}`, type: rng.pick(TYPES), notNull: false, hasDefault: false };
            let def = '';
            if (rng.chance(0.5)) { def = ` DEFAULT ${value(rng, c.type, false)}`; c.hasDefault = true; if (rng.chance(0.5)) { def += ' NOT NULL'; c.notNull = true; } }
            statements.push(`ALTER TABLE ${name} ADD COLUMN ${ident(c.name)} ${c.type}${def}`);
            t.columns.push(c);
            break;
          }
          case 'drop':
            statements.push(`ALTER TABLE ${name} DROP COLUMN ${ident(col!.name)}`);
            t.columns = t.columns.filter((c) => c !== col);
            break;
          case 'rename': {
            columnCounter += 1;
            const to = rng.chance(0.3) ? `Renamed ${columnCounter}` : `r${columnCounter}`;
            statements.push(`ALTER TABLE ${name} RENAME COLUMN ${ident(col!.name)} TO ${ident(to)}`);
            col!.name = to;
            break;
          }
          case 'retype': {
            const [type, using] = rng.pick(retypes(col!.type, ident(col!.name)));
            // a default of the old type may not cast: dropped in the same statement
            statements.push(`ALTER TABLE ${name} ALTER COLUMN ${ident(col!.name)} DROP DEFAULT, ALTER COLUMN ${ident(col!.name)} TYPE ${type} USING ${using}`);
            col!.type = type;
            col!.hasDefault = false;
            break;
          }
          case 'default':
            if (col!.hasDefault && rng.chance(0.5)) { statements.push(`ALTER TABLE ${name} ALTER COLUMN ${ident(col!.name)} DROP DEFAULT`); col!.hasDefault = false; }
            else { statements.push(`ALTER TABLE ${name} ALTER COLUMN ${ident(col!.name)} SET DEFAULT ${value(rng, col!.type, false)}`); col!.hasDefault = true; }
            break;
          case 'notnull':
            if (col!.notNull) { statements.push(`ALTER TABLE ${name} ALTER COLUMN ${ident(col!.name)} DROP NOT NULL`); col!.notNull = false; }
            else {
              statements.push(`UPDATE ${name} SET ${ident(col!.name)} = ${value(rng, col!.type, false)} WHERE ${ident(col!.name)} IS NULL`);
              statements.push(`ALTER TABLE ${name} ALTER COLUMN ${ident(col!.name)} SET NOT NULL`);
              col!.notNull = true;
            }
            break;
          case 'renameTable': {
            columnCounter += 1;
            const to = `${t.name.replace(/ v\d+$/, '')} v${columnCounter}`;
            statements.push(`ALTER TABLE ${name} RENAME TO ${ident(to)}`);
            t.name = to;
            break;
          }
          case 'setSchema': {
            const to = SCHEMAS.find((x) => x !== t.schema)!;
            statements.push(`ALTER TABLE ${name} SET SCHEMA ${ident(to)}`);
            t.schema = to;
            break;
          }
          case 'dropTable':
            statements.push(`DROP TABLE ${name}`);
            t.schema = '';
            break;
          default:
            break;
        }
      }
      if (statements.length === 0) continue;
      const before = (await client.query<{ id: string }>('SELECT coalesce(max(id), 0) AS id FROM chronicle.transaction_log')).rows[0].id;
      await client.query('BEGIN');
      try {
        for (const s of statements) await client.query(s);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`seed ${seed}, transaction ${n}: ${(error as Error).message}\n${statements.join(';\n')}`);
      }
      const after = Number((await client.query<{ id: string }>('SELECT coalesce(max(id), 0) AS id FROM chronicle.transaction_log')).rows[0].id);
      if (after === Number(before)) continue;
      ids.push(after);
      history.push(`transaction ${after}: ${statements.join('; ')}`);
      copies.push(await stateOf(client));
    }
  });

  afterAll(async () => {
    await client.end();
    await dropDatabase(server, database);
  });

  it(`reverting a transaction and every later one gives the copy taken before it, columns and rows (seed ${seed})`, async () => {
    const rng = new Rng(seed ^ 0xdd1);
    const failures: string[] = [];
    const now = copies[copies.length - 1];
    const picks = [...new Set([0, ids.length - 1, ...Array.from({ length: 6 }, () => rng.int(0, ids.length - 1))])].sort((a, b) => a - b);
    let alone = 0;
    let refused = 0;
    for (const s of picks) {
      const label = `X = transaction ${ids[s]}`;
      await client.query('BEGIN');
      try {
        const dry = await client.query('SELECT * FROM chronicle.revert_transactions($1::bigint[], dry_run => true)', [ids.slice(s)]);
        if (dry.rows.length === 0) failures.push(`${label}: the dry run planned nothing`);
        for (const d of differences(now, await stateOf(client))) failures.push(`${label}: the dry run changed ${d}`);
        await client.query('SELECT * FROM chronicle.revert_transactions($1::bigint[])', [ids.slice(s)]);
        for (const d of differences(copies[s], await stateOf(client))) failures.push(`${label} and later: ${d}`);
      } catch (error) {
        failures.push(`${label} and later: ${(error as Error).message} ${(error as DatabaseError).where ?? ''}`);
      } finally {
        await client.query('ROLLBACK');
      }
      // X alone: done, or refused as a conflict with nothing changed
      await client.query('BEGIN');
      try {
        await client.query('SAVEPOINT x');
        await client.query('SELECT * FROM chronicle.revert_transaction($1)', [ids[s]]);
        alone += 1;
        if (s === ids.length - 1) for (const d of differences(copies[s], await stateOf(client))) failures.push(`${label} alone: ${d}`);
      } catch (error) {
        await client.query('ROLLBACK TO SAVEPOINT x');
        const e = error as DatabaseError;
        if (e.code !== '55000' || !/later transactions/.test(e.message) || !e.hint) failures.push(`${label} alone: ${e.code} ${e.message}`);
        else refused += 1;
        for (const d of differences(now, await stateOf(client))) failures.push(`${label}: the refused revert changed ${d}`);
      } finally {
        await client.query('ROLLBACK');
      }
    }
    console.log(`ddl revert oracle ${server.name}: ${ids.length} transactions (${[...operations].map(([op, n]) => `${op} ${n}`).join(', ')}); `
      + `${picks.length} reverted with all later ones; alone: ${alone} reverted, ${refused} refused as conflicts`);
    expect(failures.length === 0 ? '' : `seed ${seed}\n${failures.join('\n')}\n--- history ---\n${history.join('\n')}`).toBe('');
    for (const op of ['add', 'drop', 'rename', 'retype']) expect(operations.get(op) ?? 0).toBeGreaterThan(0);
  });

  it(`a committed revert of the last transaction and the revert of that revert give the copies (seed ${seed})`, async () => {
    await client.query('SELECT * FROM chronicle.revert_transaction($1)', [ids[ids.length - 1]]);
    expect(differences(copies[copies.length - 2], await stateOf(client))).toEqual([]);
    const revertId = Number((await client.query<{ id: string }>('SELECT max(id) AS id FROM chronicle.transaction_log')).rows[0].id);
    await client.query('SELECT * FROM chronicle.revert_transaction($1)', [revertId]);
    expect(differences(copies[copies.length - 1], await stateOf(client))).toEqual([]);
  });
});
