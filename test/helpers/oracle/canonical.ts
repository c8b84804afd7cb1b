/**
 * Canonical row text, computed by the server: one text per compared column, as the type's
 * output function writes it, so numeric scale, -0, NaN, infinities, timestamps, unicode and
 * bytea are compared exactly. json is compared by its jsonb form (the log holds JSON values,
 * not their spelling); wide values by their length and md5.
 *
 * Rows rebuilt from the log are JSON objects; the server turns them back into typed rows with
 * jsonb_populate_record(NULL::table, row) and gives their canonical text the same way.
 */
import type { Client } from 'pg';
import { comparedColumns, ident, literal, tableName, type ColumnModel, type TableModel } from './model';

/** canonical text of column c of record alias */
export function canonicalColumn(alias: string, c: ColumnModel): string {
  const value = `${alias}.${ident(c.name)}`;
  const text = c.json ? `(${value})::pg_catalog.jsonb::text` : `(${value})::text`;
  return c.wide
    ? `CASE WHEN pg_catalog.octet_length(${text}) > 2000 THEN 'wide ' || pg_catalog.length(${text}) || ' md5 ' || pg_catalog.md5(${text}) ELSE ${text} END`
    : text;
}

export function canonicalRow(model: TableModel, alias: string): string {
  return `ARRAY[${comparedColumns(model).map((c) => canonicalColumn(alias, c)).join(', ')}]::text[]`;
}

/** a canonical row as one string, for sorting and comparing */
export function rowString(values: (string | null)[]): string {
  return JSON.stringify(values);
}

/** the canonical rows of a table (or any relation of its row type) now, sorted */
export async function canonicalTable(client: Client, model: TableModel, relation = tableName(model)): Promise<string[]> {
  const { rows } = await client.query<{ c: (string | null)[] }>(`SELECT ${canonicalRow(model, 'r')} AS c FROM ${relation} AS r`);
  return rows.map((r) => rowString(r.c)).sort();
}

/**
 * Canonical text of logged values, by the server, one column at a time: each distinct JSON
 * value of a column is turned back into the column's type with
 * jsonb_populate_record(NULL::table, {column: value}) and written as canonicalColumn writes it.
 * A rebuilt row's canonical row is then made of its columns' canonical values, so that each
 * value, however many row versions hold it, goes to the server once.
 */
export class Canonicalizer {
  private readonly values = new Map<string, Map<string, string | null>>();
  private readonly pending = new Map<string, Set<string>>();

  constructor(private readonly client: Client, private readonly model: TableModel) {
    for (const c of comparedColumns(model)) {
      this.values.set(c.name, new Map([['null', null]]));
      this.pending.set(c.name, new Set());
    }
  }

  /** notes the values of a row (a map from column to the JSON text of its value) */
  add(row: Map<string, string>): void {
    for (const [name, known] of this.values) {
      const raw = row.get(name) ?? 'null';
      if (!known.has(raw)) this.pending.get(name)?.add(raw);
    }
  }

  /** logged values the server could not read back as their column's type */
  readonly unreadable: string[] = [];

  async resolve(): Promise<void> {
    const limit = 4 * 1024 * 1024;
    for (const c of comparedColumns(this.model)) {
      const pending = [...(this.pending.get(c.name) ?? [])];
      const known = this.values.get(c.name) as Map<string, string | null>;
      for (let start = 0; start < pending.length;) {
        let end = start;
        for (let size = 0; end < pending.length && (end === start || size + pending[end].length < limit); end += 1) size += pending[end].length;
        await this.resolveBatch(c, pending.slice(start, end), known);
        start = end;
      }
      this.pending.get(c.name)?.clear();
    }
  }

  private async resolveBatch(c: ColumnModel, batch: string[], known: Map<string, string | null>): Promise<void> {
    const sql = `SELECT j.i, ${canonicalColumn('r', c)} AS c
       FROM pg_catalog.jsonb_array_elements($1::jsonb) WITH ORDINALITY AS j(v, i)
       CROSS JOIN LATERAL pg_catalog.jsonb_populate_record(NULL::${tableName(this.model)}, pg_catalog.jsonb_build_object($2::text, j.v)) AS r`;
    try {
      const { rows } = await this.client.query<{ i: string; c: string | null }>(sql, [`[${batch.join(',')}]`, c.name]);
      if (rows.length !== batch.length) throw new Error(`canonical values of ${c.name}: sent ${batch.length}, got ${rows.length}`);
      for (const r of rows) known.set(batch[Number(r.i) - 1], r.c);
    } catch (error) {
      if (batch.length > 1) {
        // find the values that cannot be read, one by one
        for (const value of batch) await this.resolveBatch(c, [value], known);
        return;
      }
      const text = batch[0].length > 200 ? `${batch[0].slice(0, 200)}...` : batch[0];
      this.unreadable.push(`column ${c.name}: the logged value ${text} cannot be read back: ${(error as Error).message.slice(0, 200)}`);
      known.set(batch[0], `unreadable ${batch[0]}`);
    }
  }

  /** canonical values of a row, in compared-column order (after resolve) */
  canonicalValues(row: Map<string, string>): (string | null)[] {
    return comparedColumns(this.model).map((c) => {
      const raw = row.get(c.name) ?? 'null';
      const known = this.values.get(c.name) as Map<string, string | null>;
      if (!known.has(raw)) throw new Error(`canonical value of ${c.name} not resolved: ${raw.slice(0, 100)}`);
      return known.get(raw) as string | null;
    });
  }

  /** the canonical row, as canonicalTable writes it (after resolve) */
  rowString(row: Map<string, string>): string {
    return rowString(this.canonicalValues(row));
  }
}

/**
 * The table's rows now as JSON objects of their real values, each value as its JSON text:
 * to_jsonb's form when jsonb_populate_record reads it back to the same value, else the value's
 * text form as a JSON string (which jsonb_populate_record also reads back: -0, arrays with other
 * lower bounds). Values are kept as text so that no number goes through a JavaScript double.
 */
export async function currentRows(client: Client, model: TableModel): Promise<Record<string, string>[]> {
  const table = tableName(model);
  const encode = (c: ColumnModel) => {
    const v = `t.${ident(c.name)}`;
    if (c.json || /^(integer|bigint|smallint|text|boolean|uuid|date|bytea|varchar\(\d+\))$/i.test(c.type)) return `pg_catalog.to_jsonb(${v})`;
    const back = `(pg_catalog.jsonb_populate_record(NULL::${table}, pg_catalog.jsonb_build_object(${literal(c.name)}, pg_catalog.to_jsonb(${v})))).${ident(c.name)}`;
    return `CASE WHEN (${back})::text IS NOT DISTINCT FROM (${v})::text THEN pg_catalog.to_jsonb(${v}) ELSE pg_catalog.to_jsonb((${v})::text) END`;
  };
  const chunks: string[] = [];
  for (let i = 0; i < model.columns.length; i += 40) {
    const part = model.columns.slice(i, i + 40);
    chunks.push(`pg_catalog.jsonb_build_object(${part.map((c) => `${literal(c.name)}, ${encode(c)}`).join(', ')})`);
  }
  const { rows } = await client.query<{ row: Record<string, string> }>(
    `SELECT (SELECT pg_catalog.jsonb_object_agg(e.key, e.value::text) FROM pg_catalog.jsonb_each(${chunks.join(' || ')}) AS e) AS row FROM ${table} AS t`,
  );
  return rows.map((r) => r.row);
}
