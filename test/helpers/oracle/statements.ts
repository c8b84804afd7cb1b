/**
 * Random statements against one relation of a table (the table, a view over it, a partition):
 * INSERT, UPDATE of random columns on random rows (new values, the same value, NULL), UPDATE
 * of the key (fresh keys, id + n moves), DELETE,
 * TRUNCATE, INSERT ... ON CONFLICT DO UPDATE / DO NOTHING, MERGE, a SQL function that deletes
 * and re-inserts rows, a writable CTE that does the same in one statement, and a PL/pgSQL block
 * running two statements in one call. Each generator reads nothing from the database but the
 * keys it is given; every value is a literal cast to its column's type.
 */
import { cast, column, ident, literal, nullOf, tableName, writableColumns, type ColumnModel, type TableModel, type TargetModel } from './model';
import type { Rng } from './random';

export type StatementKind =
  | 'insert' | 'update' | 'updateKey' | 'delete' | 'truncate' | 'upsert' | 'merge'
  | 'replaceFunction' | 'cteReinsert' | 'block';

export interface Statement {
  kind: StatementKind | 'failing' | 'script';
  sql: string;
  /** SQLSTATE the statement must fail with (only inside a savepoint that is rolled back) */
  fails?: string;
}

/** What a generator knows: the table, the relation it names, the keys there now (as text), fresh keys. */
export interface StatementContext {
  rng: Rng;
  major: number;
  model: TableModel;
  target: TargetModel;
  /** key values (text form, key order) of the rows the target holds now */
  keys: string[][];
  /** keys (JSON of the text values) changed earlier in this transaction: preferred, so rows change several times */
  touched: Set<string>;
  /** a number never used before for this table's fresh keys */
  fresh(): number;
  /** reserve `size` consecutive fresh numbers and return the first */
  freshRange(size: number): number;
}

const keyId = (values: string[]) => JSON.stringify(values);

/** a context for the given keys; fresh numbers come from the model's counter */
export function statementContext(rng: Rng, major: number, model: TableModel, target: TargetModel, keys: string[][], touched = new Set<string>()): StatementContext {
  return {
    rng,
    major,
    model,
    target,
    keys,
    touched,
    fresh: () => {
      model.nextKey += 1;
      return model.nextKey - 1;
    },
    freshRange: (size: number) => {
      model.nextKey += size;
      return model.nextKey - size;
    },
  };
}

function keyLiteral(model: TableModel, name: string, text: string): string {
  return `${literal(text)}::${column(model, name).type}`;
}

function keyLiterals(ctx: StatementContext, values: string[]): string[] {
  return ctx.model.key.map((k, i) => keyLiteral(ctx.model, k, values[i]));
}

/** a value for column c of a row that goes to the target (its fixed values win) */
function valueFor(ctx: StatementContext, c: ColumnModel, allowNull = true): string {
  const fixed = ctx.target.fixed?.[c.name];
  if (fixed) return cast(fixed(ctx.rng), c.type);
  if (allowNull && c.nullable && ctx.rng.chance(0.15)) return nullOf(c);
  if (!c.value) throw new Error(`column ${c.name} has no value maker`);
  return c.value(ctx.rng);
}

/** a fresh key: fixed values for the target, fresh ones elsewhere */
function freshKey(ctx: StatementContext): string[] {
  const n = ctx.fresh();
  return ctx.model.key.map((k) => {
    const c = column(ctx.model, k);
    const fixed = ctx.target.fixed?.[k];
    if (fixed) return cast(fixed(ctx.rng), c.type);
    if (!c.fresh) throw new Error(`key column ${k} has no fresh values`);
    return c.fresh(n, ctx.rng);
  });
}

/** up to n existing keys, preferring rows already changed in this transaction */
function chooseRows(ctx: StatementContext, min: number, max: number): string[][] {
  const n = ctx.rng.int(min, max);
  const hot = ctx.keys.filter((k) => ctx.touched.has(keyId(k)));
  const chosen = ctx.rng.chance(0.5) ? ctx.rng.sample(hot, n) : [];
  const rest = ctx.rng.sample(ctx.keys.filter((k) => !chosen.includes(k)), n - chosen.length);
  const rows = [...chosen, ...rest];
  rows.forEach((k) => ctx.touched.add(keyId(k)));
  return rows;
}

const nonKeyWritable = (ctx: StatementContext) =>
  writableColumns(ctx.model).filter((c) => !ctx.model.key.includes(c.name) && !ctx.target.fixed?.[c.name]);

function keyMatch(ctx: StatementContext, tableAlias: string, valuesAlias: string, prefix = 'o'): string {
  return ctx.model.key.map((k, i) => `${tableAlias}.${ident(k)} = ${valuesAlias}.${prefix}_${i}`).join(' AND ');
}

function keyAliases(ctx: StatementContext, prefix = 'o'): string[] {
  return ctx.model.key.map((_, i) => `${prefix}_${i}`);
}

export function insert(ctx: StatementContext, rows = ctx.rng.int(1, ctx.rng.chance(0.3) ? 20 : 5)): Statement {
  const cols = writableColumns(ctx.model);
  const values: string[] = [];
  for (let r = 0; r < rows; r += 1) {
    const key = freshKey(ctx);
    values.push(`(${cols.map((c) => {
      const k = ctx.model.key.indexOf(c.name);
      return k >= 0 ? key[k] : valueFor(ctx, c);
    }).join(', ')})`);
  }
  return { kind: 'insert', sql: `INSERT INTO ${ctx.target.relation} (${cols.map((c) => ident(c.name)).join(', ')}) VALUES ${values.join(', ')}` };
}

export function update(ctx: StatementContext): Statement | undefined {
  const candidates = nonKeyWritable(ctx);
  if (ctx.keys.length === 0 || candidates.length === 0) return undefined;
  const cols = ctx.rng.chance(0.1) ? candidates : ctx.rng.sample(candidates, ctx.rng.int(1, 3));
  if (ctx.rng.chance(0.08)) {
    // every row of the relation, one value (or the same value) for all
    const sets = cols.map((c) => `${ident(c.name)} = ${ctx.rng.chance(0.3) ? `t.${ident(c.name)}` : valueFor(ctx, c)}`);
    ctx.keys.forEach((k) => ctx.touched.add(keyId(k)));
    return { kind: 'update', sql: `UPDATE ${ctx.target.relation} AS t SET ${sets.join(', ')}` };
  }
  const rows = chooseRows(ctx, 1, 8);
  const values = rows.map((k) => `(${[...keyLiterals(ctx, k), ...cols.flatMap((c) => {
    const same = ctx.rng.chance(0.25);
    return [same ? 'true' : 'false', same ? nullOf(c) : valueFor(ctx, c)];
  })].join(', ')})`);
  const aliases = [...keyAliases(ctx), ...cols.flatMap((_, i) => [`same_${i}`, `v_${i}`])];
  const sets = cols.map((c, i) => `${ident(c.name)} = CASE WHEN v.same_${i} THEN t.${ident(c.name)} ELSE v.v_${i} END`);
  return {
    kind: 'update',
    sql: `UPDATE ${ctx.target.relation} AS t SET ${sets.join(', ')} FROM (VALUES ${values.join(', ')}) AS v(${aliases.join(', ')}) WHERE ${keyMatch(ctx, 't', 'v')}`,
  };
}

export function updateKey(ctx: StatementContext): Statement | undefined {
  if (ctx.keys.length === 0) return undefined;
  const rows = chooseRows(ctx, 1, 4);
  const { model, rng } = ctx;
  if (model.integerKey && !ctx.target.fixed && rng.chance(0.35)) {
    // the classic move: SET id = id + n, n chosen so that every new id is unused (ids within
    // 1000 of each other only, so that fresh ids grow slowly)
    const first = Math.min(...rows.map((k) => Number(k[0])));
    const ids = rows.map((k) => Number(k[0])).filter((id) => id - first < 1000);
    const low = first;
    const high = Math.max(...ids);
    const offset = ctx.freshRange(high - low + 1) - low;
    const k = ident(model.key[0]);
    return { kind: 'updateKey', sql: `UPDATE ${ctx.target.relation} SET ${k} = ${k} + ${offset} WHERE ${k} IN (${ids.join(', ')})` };
  }
  const changed = rng.chance(0.5) ? model.key : rng.sample(model.key, rng.int(1, model.key.length));
  const newKeys = rows.map((k) => {
    const fresh = freshKey(ctx);
    return model.key.map((name, i) => (changed.includes(name) ? fresh[i] : keyLiteral(model, name, k[i])));
  });
  const extra = rng.chance(0.3) ? rng.sample(nonKeyWritable(ctx), 1) : [];
  const values = rows.map((k, r) => `(${[...keyLiterals(ctx, k), ...newKeys[r], ...extra.map((c) => valueFor(ctx, c))].join(', ')})`);
  const aliases = [...keyAliases(ctx), ...keyAliases(ctx, 'n'), ...extra.map((_, i) => `v_${i}`)];
  const sets = [...model.key.map((k, i) => `${ident(k)} = v.n_${i}`), ...extra.map((c, i) => `${ident(c.name)} = v.v_${i}`)];
  return {
    kind: 'updateKey',
    sql: `UPDATE ${ctx.target.relation} AS t SET ${sets.join(', ')} FROM (VALUES ${values.join(', ')}) AS v(${aliases.join(', ')}) WHERE ${keyMatch(ctx, 't', 'v')}`,
  };
}

export function del(ctx: StatementContext): Statement | undefined {
  if (ctx.keys.length === 0) return undefined;
  const nullable = nonKeyWritable(ctx).filter((c) => c.nullable);
  if (nullable.length > 0 && ctx.rng.chance(0.1)) {
    ctx.keys.forEach((k) => ctx.touched.add(keyId(k)));
    return { kind: 'delete', sql: `DELETE FROM ${ctx.target.relation} AS t WHERE t.${ident(ctx.rng.pick(nullable).name)} IS NULL` };
  }
  const rows = chooseRows(ctx, 1, 6);
  return {
    kind: 'delete',
    sql: `DELETE FROM ${ctx.target.relation} AS t USING (VALUES ${rows.map((k) => `(${keyLiterals(ctx, k).join(', ')})`).join(', ')}) AS v(${keyAliases(ctx).join(', ')}) WHERE ${keyMatch(ctx, 't', 'v')}`,
  };
}

export function truncate(ctx: StatementContext): Statement | undefined {
  if (!ctx.target.truncate) return undefined;
  return { kind: 'truncate', sql: `TRUNCATE ${ctx.target.relation}` };
}

export function upsert(ctx: StatementContext): Statement | undefined {
  if (!ctx.target.upsert) return undefined;
  const cols = writableColumns(ctx.model);
  const existing = chooseRows(ctx, 0, 4);
  const fresh = ctx.rng.int(existing.length === 0 ? 1 : 0, 3);
  const keys = [...existing.map((k) => keyLiterals(ctx, k)), ...Array.from({ length: fresh }, () => freshKey(ctx))];
  const values = ctx.rng.shuffle(keys).map((key) => `(${cols.map((c) => {
    const k = ctx.model.key.indexOf(c.name);
    return k >= 0 ? key[k] : valueFor(ctx, c);
  }).join(', ')})`);
  const conflict = `ON CONFLICT (${ctx.model.key.map(ident).join(', ')})`;
  const updatable = nonKeyWritable(ctx);
  let action = 'DO NOTHING';
  if (updatable.length > 0 && ctx.rng.chance(0.7)) {
    const sets = ctx.rng.sample(updatable, ctx.rng.int(1, 3)).map((c) => `${ident(c.name)} = ${ctx.rng.chance(0.25) ? 't' : 'EXCLUDED'}.${ident(c.name)}`);
    const ids = existing.map((k) => Number(k[0]));
    if (ctx.model.integerKey && !ctx.target.fixed && existing.length > 0 && Math.max(...ids) - Math.min(...ids) < 1000 && ctx.rng.chance(0.25)) {
      // the conflicting rows move to unused keys
      const offset = ctx.freshRange(Math.max(...ids) - Math.min(...ids) + 1) - Math.min(...ids);
      sets.push(`${ident(ctx.model.key[0])} = t.${ident(ctx.model.key[0])} + ${offset}`);
    }
    action = `DO UPDATE SET ${sets.join(', ')}`;
  }
  return {
    kind: 'upsert',
    sql: `INSERT INTO ${ctx.target.relation} AS t (${cols.map((c) => ident(c.name)).join(', ')}) VALUES ${values.join(', ')} ${conflict} ${action}`,
  };
}

export function merge(ctx: StatementContext): Statement | undefined {
  if (ctx.major < 15 || !ctx.target.merge) return undefined;
  const { model, rng } = ctx;
  const cols = nonKeyWritable(ctx).concat(writableColumns(model).filter((c) => !model.key.includes(c.name) && ctx.target.fixed?.[c.name]));
  const existing = chooseRows(ctx, 0, 5);
  const rows: string[] = [];
  for (const k of existing) {
    const op = rng.pick(['d', 'n', 'u', 'u', 'm']);
    const old = keyLiterals(ctx, k);
    const moved = op === 'm' ? freshKey(ctx) : old;
    rows.push(`(${[...old, literal(op), ...moved, ...cols.map((c) => valueFor(ctx, c))].join(', ')})`);
  }
  for (let i = rng.int(existing.length === 0 ? 1 : 0, 3); i > 0; i -= 1) {
    const key = freshKey(ctx);
    rows.push(`(${[...key, literal('i'), ...key, ...cols.map((c) => valueFor(ctx, c))].join(', ')})`);
  }
  const aliases = [...keyAliases(ctx), 'op', ...keyAliases(ctx, 'n'), ...cols.map((_, i) => `v_${i}`)];
  const updated = rng.sample(cols.map((c, i) => ({ c, i })).filter(({ c }) => !ctx.target.fixed?.[c.name]), rng.int(0, 3));
  const sets = [...model.key.map((k, i) => `${ident(k)} = s.n_${i}`), ...updated.map(({ c, i }) => `${ident(c.name)} = s.v_${i}`)];
  const insertCols = [...model.key.map(ident), ...cols.map((c) => ident(c.name))];
  const insertValues = [...model.key.map((_, i) => `s.o_${i}`), ...cols.map((_, i) => `s.v_${i}`)];
  return {
    kind: 'merge',
    sql: `MERGE INTO ${ctx.target.relation} AS t USING (VALUES ${rows.join(', ')}) AS s(${aliases.join(', ')}) ON ${keyMatch(ctx, 't', 's')}
      WHEN MATCHED AND s.op = 'd' THEN DELETE
      WHEN MATCHED AND s.op = 'n' THEN DO NOTHING
      WHEN MATCHED THEN UPDATE SET ${sets.join(', ')}
      WHEN NOT MATCHED THEN INSERT (${insertCols.join(', ')}) VALUES (${insertValues.join(', ')})`,
  };
}

/** rows of the table's row type, for the replace function: unwritten columns NULL */
function rowOfTable(ctx: StatementContext, key: string[]): string {
  const values = ctx.model.columns.map((c) => {
    const k = ctx.model.key.indexOf(c.name);
    if (k >= 0) return key[k];
    return c.writable ? valueFor(ctx, c) : nullOf(c);
  });
  return `ROW(${values.join(', ')})::${tableName(ctx.model)}`;
}

export function replaceFunction(ctx: StatementContext): Statement | undefined {
  if (!ctx.model.replaceFunction || ctx.target.kind !== 'table') return undefined;
  const existing = chooseRows(ctx, 0, 3);
  const keys = [...existing.map((k) => keyLiterals(ctx, k)), ...Array.from({ length: ctx.rng.int(existing.length === 0 ? 1 : 0, 2) }, () => freshKey(ctx))];
  return { kind: 'replaceFunction', sql: `SELECT ${ctx.model.replaceFunction}(ARRAY[${keys.map((k) => rowOfTable(ctx, k)).join(', ')}])` };
}

export function cteReinsert(ctx: StatementContext): Statement | undefined {
  if (ctx.target.kind !== 'table' || ctx.keys.length === 0) return undefined;
  const rows = chooseRows(ctx, 1, 3);
  const cols = writableColumns(ctx.model);
  const changed = ctx.rng.chance(0.7) ? ctx.rng.pick(nonKeyWritable(ctx).length > 0 ? nonKeyWritable(ctx) : cols) : undefined;
  const select = cols.map((c) => (c === changed ? valueFor(ctx, c) : `d.${ident(c.name)}`));
  return {
    kind: 'cteReinsert',
    sql: `WITH d AS (DELETE FROM ${ctx.target.relation} AS t USING (VALUES ${rows.map((k) => `(${keyLiterals(ctx, k).join(', ')})`).join(', ')}) AS v(${keyAliases(ctx).join(', ')}) WHERE ${keyMatch(ctx, 't', 'v')} RETURNING t.*)
      INSERT INTO ${ctx.target.relation} (${cols.map((c) => ident(c.name)).join(', ')}) SELECT ${select.join(', ')} FROM d`,
  };
}

/** an INSERT that fails on a duplicate key after inserting a fresh row first */
export function failing(ctx: StatementContext): Statement | undefined {
  if (ctx.keys.length === 0) return undefined;
  const cols = writableColumns(ctx.model);
  const dup = keyLiterals(ctx, ctx.rng.pick(ctx.keys));
  const fresh = freshKey(ctx);
  const row = (key: string[]) => `(${cols.map((c) => {
    const k = ctx.model.key.indexOf(c.name);
    return k >= 0 ? key[k] : valueFor(ctx, c);
  }).join(', ')})`;
  return { kind: 'failing', sql: `INSERT INTO ${ctx.target.relation} (${cols.map((c) => ident(c.name)).join(', ')}) VALUES ${row(fresh)}, ${row(dup)}`, fails: '23505' };
}

/** two statements run by one call of a PL/pgSQL function (one client statement) */
export function block(ctx: StatementContext, runner: string): Statement | undefined {
  const parts: Statement[] = [];
  for (const make of ctx.rng.sample([insert, update, del, updateKey] as const, 2)) {
    const s = make(ctx);
    if (s) parts.push(s);
  }
  if (parts.length === 0) return undefined;
  return { kind: 'block', sql: `SELECT ${runner}(ARRAY[${parts.map((p) => literal(p.sql)).join(', ')}])` };
}

export const GENERATORS: Record<Exclude<StatementKind, 'block'>, (ctx: StatementContext) => Statement | undefined> = {
  insert,
  update,
  updateKey,
  delete: del,
  truncate,
  upsert,
  merge,
  replaceFunction,
  cteReinsert,
};
