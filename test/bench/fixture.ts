/**
 * The benchmark's tables: a source table holding the data once, and two tables of the same
 * definition filled from it, one of them audited with chronicle's default options.
 */
import { DatabaseError as PgDatabaseError, type Client } from 'pg';
import format from 'pg-format';
import { ExtensionFilesNotFoundError } from '../../src/errors';
import { createFloor, floorLog } from './floor';

export const BENCH_SCHEMA = 'chronicle_bench';

/** Quoted, schema-qualified names. */
export interface BenchTables {
  source: string;
  unaudited: string;
  audited: string;
  /** audited by the floor's minimal capture (floor.ts) */
  floor: string;
}

/** A log's tables, quoted and qualified, by chronicle's names for them (row_log, ...). */
export type LogTables = Record<string, string>;

/** Eight columns of mixed types, as an application table might have. */
const COLUMNS = `
  id bigint PRIMARY KEY,
  a integer NOT NULL,
  b text NOT NULL,
  c numeric(12,2) NOT NULL,
  d timestamptz NOT NULL,
  e boolean NOT NULL,
  f jsonb NOT NULL,
  g text`;

/** Deterministic rows (no now(), no random()), so every run of the harness writes the same data. */
const SOURCE_ROWS = `
  SELECT i, (i % 1000)::integer, md5(i::text), round(i * 1.37, 2),
         timestamptz '2026-01-01 00:00:00+00' + i * interval '1 second', i % 2 = 0,
         jsonb_build_object('n', i, 'tag', 't' || i % 10),
         CASE WHEN i % 10 <> 0 THEN 'note ' || i END
    FROM generate_series(1, $1::bigint) AS i`;

/** The log tables whose growth is measured, in schema chronicle. */
export const CHRONICLE_LOG: LogTables = Object.fromEntries(
  ['row_log', 'table_event_log', 'transaction_log'].map((t) => [t, format('chronicle.%I', t)]));

export const FLOOR_LOG: LogTables = floorLog(BENCH_SCHEMA);

/**
 * Installs chronicle into the (fresh) database and creates the tables. CREATE EXTENSION, not
 * IF NOT EXISTS: the harness truncates the log tables, so it must never run where a log exists.
 */
export async function createFixture(client: Client, rows: number): Promise<BenchTables> {
  const name = (table: string) => format('%I.%I', BENCH_SCHEMA, table);
  const tables: BenchTables = { source: name('source'), unaudited: name('unaudited'), audited: name('audited'), floor: name('floor') };
  try {
    await client.query('CREATE EXTENSION chronicle');
  } catch (error) {
    if (error instanceof PgDatabaseError && error.code === '58P01') {
      throw new ExtensionFilesNotFoundError(`the server lacks chronicle's files: ${error.message}`,
        'run `make install` for that server (PG_CONFIG=/path/to/its/pg_config), or leave out --db to use an embedded server', { cause: error });
    }
    throw error;
  }
  await client.query(format('CREATE SCHEMA %I', BENCH_SCHEMA));
  await client.query(format('CREATE TABLE %s (%s)', tables.source, COLUMNS));
  await client.query(format('INSERT INTO %s %s', tables.source, SOURCE_ROWS), [rows]);
  // Autovacuum off on every table a run touches: the harness vacuums between runs itself, and a
  // worker starting in the middle of a timed statement would skew that one run.
  for (const table of [tables.unaudited, tables.audited, tables.floor]) {
    await client.query(format('CREATE TABLE %s (%s) WITH (autovacuum_enabled = off)', table, COLUMNS));
  }
  for (const log of Object.values(CHRONICLE_LOG)) await client.query(format('ALTER TABLE %s SET (autovacuum_enabled = off)', log));
  await client.query('SELECT chronicle.create_table_audit($1::regclass)', [tables.audited]);
  await createFloor(client, BENCH_SCHEMA, tables.floor);
  await client.query(format('VACUUM (ANALYZE) %s', tables.source));
  return tables;
}

/**
 * TRUNCATE builds the log's BRIN indexes again, summarizing their (empty) first range; the install
 * leaves the range being filled unsummarized, as a log written for a while has it (src/sql/
 * migrations/next.sql, docs/log-tables.md "Summaries"). The same statement, so that each
 * repetition starts from the state of a fresh install; the floor's copies of the indexes too.
 */
const UNSUMMARIZE_LOG_TAILS = `
  SELECT pg_catalog.brin_desummarize_range(i.indexrelid::pg_catalog.regclass,
             GREATEST(pg_catalog.pg_relation_size(i.indrelid) / pg_catalog.current_setting('block_size')::bigint - 1, 0))
    FROM pg_catalog.pg_index AS i
    JOIN pg_catalog.pg_class AS c ON c.oid = i.indexrelid
    JOIN pg_catalog.pg_am AS a ON a.oid = c.relam
   WHERE c.relnamespace = ANY (ARRAY['chronicle', $1]::pg_catalog.regnamespace[]) AND a.amname = 'brin'`;

/**
 * Empties the benchmark tables and the log, so each repetition starts from the same state. The
 * audit starts again after the log is emptied: time travel needs the transaction that started it.
 */
export async function resetState(client: Client, tables: BenchTables): Promise<void> {
  await client.query(format('TRUNCATE %s, %s, %s', tables.unaudited, tables.audited, tables.floor));
  await client.query('SELECT chronicle.drop_table_audit($1::regclass, keep_log => false)', [tables.audited]);
  await client.query(format('TRUNCATE %s', [...Object.values(CHRONICLE_LOG), ...Object.values(FLOOR_LOG)].join(', ')));
  await client.query(UNSUMMARIZE_LOG_TAILS, [BENCH_SCHEMA]);
  await client.query('SELECT chronicle.create_table_audit($1::regclass)', [tables.audited]);
}
