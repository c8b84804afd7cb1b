/**
 * Creating the tables the oracle works on: DDL from a model, a view over the table, a SQL
 * function that replaces rows by key (DELETE then INSERT in one call), and the audit itself.
 */
import type { Client } from 'pg';
import { ident, literal, qualified, tableName, writableColumns, type TableModel, type TargetModel } from './model';
import { Rng } from './random';
import { insert, statementContext } from './statements';

export interface TableOptions {
  schema: string;
  name: string;
  columns: TableModel['columns'];
  key: string[];
  /** PRIMARY KEY (default), or a UNIQUE key on NOT NULL columns */
  keyKind?: 'primary' | 'unique';
  excluded?: string[];
  logOldData?: boolean;
  logNewData?: boolean;
  /** more table constraints, e.g. a deferrable primary key next to the audited unique key */
  constraints?: string[];
  /** trailing DDL of CREATE TABLE, e.g. PARTITION BY ... */
  suffix?: string;
  integerKey?: boolean;
}

export function tableModel(options: TableOptions): TableModel {
  return {
    schema: options.schema,
    name: options.name,
    columns: options.columns,
    key: options.key,
    integerKey: options.integerKey,
    excluded: options.excluded ?? [],
    logOldData: options.logOldData ?? true,
    logNewData: options.logNewData ?? false,
    nextKey: 1,
    targets: [{ relation: qualified(options.schema, options.name), kind: 'table', truncate: true, upsert: true, merge: true }],
  };
}

export function createTableSql(options: TableOptions): string {
  const cols = options.columns.map((c) => `${ident(c.name)} ${c.type}${c.definition ? ` ${c.definition}` : ''}${options.key.includes(c.name) || !c.nullable ? ' NOT NULL' : ''}`);
  const key = options.key.map(ident).join(', ');
  const constraint = options.keyKind === 'unique' ? `UNIQUE (${key})` : `PRIMARY KEY (${key})`;
  return `CREATE TABLE ${qualified(options.schema, options.name)} (${[...cols, constraint, ...(options.constraints ?? [])].join(', ')})${options.suffix ? ` ${options.suffix}` : ''}`;
}

/** CREATE TABLE from the options, and its model */
export async function createTable(client: Client, options: TableOptions): Promise<TableModel> {
  await client.query(createTableSql(options));
  return tableModel(options);
}

/** an automatically updatable view over the whole table, added to the model's targets */
export async function addView(client: Client, model: TableModel, name: string, major: number): Promise<TargetModel> {
  const relation = qualified(model.schema, name);
  await client.query(`CREATE VIEW ${relation} AS SELECT * FROM ${tableName(model)}`);
  const target: TargetModel = { relation, kind: 'view', truncate: false, upsert: true, merge: major >= 17 };
  model.targets.push(target);
  return target;
}

/** a LANGUAGE sql function that deletes the rows with the keys of the given rows, then inserts the given rows */
export async function addReplaceFunction(client: Client, model: TableModel, name: string): Promise<void> {
  const fn = qualified(model.schema, name);
  const cols = writableColumns(model).map((c) => ident(c.name)).join(', ');
  const match = model.key.map((k) => `t.${ident(k)} = k.${ident(k)}`).join(' AND ');
  await client.query(`CREATE FUNCTION ${fn}(p_rows ${tableName(model)}[]) RETURNS void LANGUAGE sql AS $f$
    DELETE FROM ${tableName(model)} AS t USING pg_catalog.unnest(p_rows) AS k WHERE ${match};
    INSERT INTO ${tableName(model)} (${cols}) SELECT ${cols} FROM pg_catalog.unnest(p_rows) AS k;
  $f$`);
  model.replaceFunction = fn;
}

/** Inserts random rows through the table itself, before auditing it, so that a baseline has rows. */
export async function prefill(client: Client, model: TableModel, major: number, seed: number, rows: number): Promise<void> {
  await client.query(insert(statementContext(new Rng(seed), major, model, model.targets[0], []), rows).sql);
}

/** starts auditing the table with the model's options */
export async function audit(client: Client, model: TableModel, options: { baseline?: boolean } = {}): Promise<number> {
  const { rows } = await client.query<{ id: string }>(
    `SELECT chronicle.create_table_audit(${literal(tableName(model))}::regclass, log_old_data => $1, log_new_data => $2, excluded_columns => $3::name[], log_baseline => $4) AS id`,
    [model.logOldData, model.logNewData, model.excluded, options.baseline ?? model.logNewData],
  );
  return Number(rows[0].id);
}
