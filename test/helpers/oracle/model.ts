/**
 * What the oracle knows about a table it writes to: its columns (how to make values, which
 * can be written), its key, its audit options, and the relations a statement may name to
 * change it (the table, a view over it, its partitions).
 */
import type { Rng } from './random';

/** "name" quoted as an SQL identifier, always (so upper case, spaces and quotes survive) */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function qualified(schema: string, name: string): string {
  return `${ident(schema)}.${ident(name)}`;
}

/** 'text' as an SQL string literal (standard_conforming_strings is on) */
export function literal(text: string): string {
  if (text.includes('\0')) throw new Error('text values cannot hold NUL');
  return `'${text.replace(/'/g, "''")}'`;
}

export interface ColumnModel {
  name: string;
  /** the type as written in DDL and casts, e.g. numeric(10,2) or "My Schema".mood */
  type: string;
  /** the rest of the column definition, e.g. NOT NULL or GENERATED ALWAYS AS (...) STORED */
  definition?: string;
  /** a random non-NULL value of the column, as an SQL expression of its type */
  value?: (rng: Rng) => string;
  nullable: boolean;
  /** generated columns and GENERATED ALWAYS identities are never written by the workload */
  writable: boolean;
  /** json: compared by its jsonb form, since the log keeps JSON values, not their spelling */
  json?: boolean;
  /** values may be large (TOAST): compared by length and md5 of their text */
  wide?: boolean;
  /** a virtual generated column (PostgreSQL 18): computed when read, never logged, so not compared */
  virtual?: boolean;
  /** key columns: a value never used before in this table, from the table's counter n */
  fresh?: (n: number, rng: Rng) => string;
}

/** A relation a statement may name to change the table. */
export interface TargetModel {
  /** qualified, quoted SQL name */
  relation: string;
  kind: 'table' | 'view' | 'partition';
  /** values a row must have to belong here (partition bounds), as SQL expressions */
  fixed?: Record<string, (rng: Rng) => string>;
  truncate: boolean;
  /** INSERT ... ON CONFLICT (key) works here */
  upsert: boolean;
  /** MERGE works here (PostgreSQL 15+; views 17+) */
  merge: boolean;
}

export interface TableModel {
  schema: string;
  name: string;
  columns: ColumnModel[];
  /** the key the audit uses, in key order */
  key: string[];
  /** a single integer key: moves like SET id = id + n */
  integerKey?: boolean;
  excluded: string[];
  logOldData: boolean;
  logNewData: boolean;
  /** the relations statements may name (the table itself first) */
  targets: TargetModel[];
  /** SQL function replacing rows by key (a DELETE and an INSERT in one call), if created */
  replaceFunction?: string;
  /** the next number for fresh key values: never reused, so fresh keys never collide */
  nextKey: number;
}

export function tableName(model: TableModel): string {
  return qualified(model.schema, model.name);
}

export function column(model: TableModel, name: string): ColumnModel {
  const found = model.columns.find((c) => c.name === name);
  if (!found) throw new Error(`no column ${name} in ${model.name}`);
  return found;
}

/** the columns the oracle compares, and that the log holds: every column but the excluded and the virtual ones */
export function comparedColumns(model: TableModel): ColumnModel[] {
  return model.columns.filter((c) => !model.excluded.includes(c.name) && !c.virtual);
}

export function writableColumns(model: TableModel): ColumnModel[] {
  return model.columns.filter((c) => c.writable);
}

/** value (an SQL expression) cast to type; parenthesized, so -1 cast to smallint is (-1)::smallint */
export function cast(value: string, type: string): string {
  return `(${value})::${type}`;
}

export function nullOf(c: ColumnModel): string {
  return `NULL::${c.type}`;
}
