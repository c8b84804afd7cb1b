/**
 * A seeded random workload mixing DML with every DDL form DDL capture follows, over a plain
 * table, a partitioned one and a table whose names need quoting. Each transaction holds one to
 * three steps (DML and DDL mixed); after each commit every table is snapshot and the logged
 * structure compared with the catalog. The last transaction drops one table by DROP TABLE and
 * another with its schema (DROP SCHEMA ... CASCADE).
 */
import type { Client } from 'pg';
import { ident, literal, qualified } from '../helpers/oracle/model';
import { Rng } from '../helpers/oracle/random';
import { snapshot, structureDifferences, trackTable, type TrackedTable } from '../helpers/oracle/ddl';

type Kind = 'int' | 'bigint' | 'text' | 'numeric' | 'boolean' | 'date';

interface Col {
  name: string;
  kind: Kind;
  notNull?: boolean;
}

interface Table {
  tracked: TrackedTable;
  schema: string;
  name: string;
  cols: Col[];
  /** the key column (an integer) */
  key: string;
  partitioned: boolean;
  /** the partition the workload detaches and attaches again (it stays in its schema) */
  low?: string;
  /** the audit's excluded columns (they follow renames, and leave with a drop) */
  excluded: string[];
}

const SQL_TYPE: Record<Kind, string> = {
  int: 'integer', bigint: 'bigint', text: 'text', numeric: 'numeric(12,2)', boolean: 'boolean', date: 'date',
};

/** type changes and their USING expressions (%s: the column) */
const RETYPES: Record<Kind, [Kind, string][]> = {
  int: [['bigint', '%s'], ['text', '%s::text'], ['numeric', '%s::numeric(12,2) / 4']],
  bigint: [['int', '%s::integer'], ['text', '%s::text']],
  numeric: [['text', '%s::text'], ['int', 'round(%s)::integer']],
  // the same type with new values: only the values say it changed
  text: [['text', "upper(%s) || '!'"]],
  boolean: [['text', '%s::text'], ['int', '%s::integer']],
  date: [['text', '%s::text'], ['date', "%s + 1"]],
};

const TEXTS = ['plain', "it's", 'ünïcode ✓', 'a"b', '', 'back\\slash', '%s %1$s'];

export interface DdlRun {
  tables: TrackedTable[];
  history: string[];
  failures: string[];
  /** operations of the DDL events the workload logged, with their counts */
  operations: Map<string, number>;
}

function value(rng: Rng, kind: Kind, notNull = false): string {
  if (!notNull && rng.chance(0.15)) return 'NULL';
  switch (kind) {
    case 'int':
    case 'bigint':
      return String(rng.int(-1000, 1000));
    case 'text':
      return literal(`${rng.pick(TEXTS)}${rng.int(0, 99)}`);
    case 'numeric':
      return (rng.int(-999999, 999999) / 100).toFixed(2);
    case 'boolean':
      return rng.chance(0.5) ? 'true' : 'false';
    case 'date':
      return `DATE '2020-01-01' + ${rng.int(0, 2000)}`;
  }
}

function rel(t: Table): string {
  return qualified(t.schema, t.name);
}

/** Kinds of step that make the DDL forms the oracle checks: each is forced once, early. */
const COVERED_FORMS = ['addColumn', 'dropColumn', 'renameColumn', 'retype', 'recreate'];

export async function runDdlWorkload(client: Client, seed: number, transactions: number, major: number): Promise<DdlRun> {
  const rng = new Rng(seed);
  const history: string[] = [];
  const failures: string[] = [];
  let nextKey = 1;
  let counter = 0;
  const fresh = (prefix: string) => `${prefix}${(counter += 1)}`;

  await client.query(`CREATE SCHEMA ddl_a; CREATE SCHEMA ddl_b; CREATE SCHEMA "ddl ""Q"" ü"; CREATE SCHEMA ddl_auto;
    SELECT chronicle.create_schema_audit('ddl_auto', auto_audit_new_tables => true)`);
  const columnsOf = (): Col[] => [{ name: 'id', kind: 'int', notNull: true }, { name: 't', kind: 'text' }, { name: 'n', kind: 'numeric' }, { name: 'Odd "col" ✓', kind: 'int' }, { name: 'd', kind: 'date' }];
  /** creates, fills and audits a table (the statements, for a transaction of the workload) */
  const creation = (t: Table): string[] => {
    const relation = rel(t);
    if (t.schema === 'ddl_auto') {
      // audited by the schema's auto-audit once it has a key, with a baseline
      return [
        `CREATE TABLE ${relation} AS SELECT * FROM (VALUES (0::integer, ''::text, 0::numeric(12,2), 0::integer, DATE '2020-01-01')) AS v(${t.cols.map((c) => ident(c.name)).join(', ')}) WHERE false`,
        insertRows(t, 4),
        `ALTER TABLE ${relation} ADD PRIMARY KEY (id)`,
      ];
    }
    return [
      `CREATE TABLE ${relation} (${t.cols.map((c) => `${ident(c.name)} ${SQL_TYPE[c.kind]}`).join(', ')}, PRIMARY KEY (id))${t.partitioned ? ' PARTITION BY RANGE (id)' : ''}`,
      ...(t.partitioned ? [
        `CREATE TABLE ${qualified(t.schema, `${t.name}_low`)} PARTITION OF ${relation} FOR VALUES FROM (MINVALUE) TO (40)`,
        `CREATE TABLE ${qualified(t.schema, `${t.name}_rest`)} PARTITION OF ${relation} DEFAULT`,
      ] : []),
      insertRows(t, 4),
      `SELECT chronicle.create_table_audit(${literal(relation)}::regclass, excluded_columns => ARRAY[${t.excluded.map(literal).join(', ')}]::name[])`,
    ];
  };
  const make = async (schema: string, name: string, partitioned: boolean, excluded: string[] = []): Promise<Table> => {
    const t: Table = {
      tracked: undefined as unknown as TrackedTable, schema, name, cols: columnsOf(), key: 'id', partitioned,
      low: partitioned ? qualified(schema, `${name}_low`) : undefined, excluded,
    };
    for (const sql of creation(t)) await client.query(sql);
    t.tracked = await trackTable(client, rel(t), `${schema}.${name}`, t.excluded);
    return t;
  };
  const insertRows = (t: Table, n: number) => {
    const rows = Array.from({ length: n }, () => `(${t.cols.map((c) => (c.name === t.key ? String(nextKey++) : value(rng, c.kind, c.notNull))).join(', ')})`);
    return `INSERT INTO ${rel(t)} (${t.cols.map((c) => ident(c.name)).join(', ')}) VALUES ${rows.join(', ')}`;
  };

  const tables = [
    await make('ddl_a', 'plain', false),
    await make('ddl_b', 'parted', true),
    await make('ddl "Q" ü', 'Mixed Case "t"', false, ['Odd "col" ✓']),
    await make('ddl_auto', 'made', false),
  ];
  const tracked = tables.map((t) => t.tracked);
  /** tables dropped and created again by this transaction: tracked anew once it commits */
  const recreated: Table[] = [];
  const dropColumn = (t: Table, c: Col) => {
    t.cols.splice(t.cols.indexOf(c), 1);
    t.excluded = t.excluded.filter((e) => e !== c.name);
    t.tracked.excluded = t.excluded;
  };

  const nonKey = (t: Table) => t.cols.filter((c) => c.name !== t.key);
  const pkName = async (t: Table) => {
    const { rows } = await client.query<{ conname: string }>(`SELECT conname FROM pg_constraint WHERE conrelid = ${literal(rel(t))}::regclass AND contype = 'p'`);
    return rows[0].conname;
  };

  /** one step: statements to run, and the model change once they committed */
  const step = async (t: Table, forced?: string): Promise<{ sql: string[]; apply: () => void }> => {
    const kind = forced ?? rng.weighted({
      insert: 14, update: 16, delete: 6, addColumn: 6, dropColumn: 5, renameColumn: 4, retype: 6, dropAdd: 2,
      setDefault: 3, notNull: 3, renameTable: 2, setSchema: 2, changeKey: t.partitioned ? 0 : 2, detachAttach: t.partitioned ? 3 : 0,
      recreate: t.partitioned || recreated.includes(t) ? 0 : 1,
    });
    const none = () => undefined;
    const some = nonKey(t);
    switch (kind) {
      case 'insert':
        return { sql: [insertRows(t, rng.int(1, 3))], apply: none };
      case 'update': {
        if (some.length === 0) return { sql: [], apply: none };
        const c = rng.pick(some);
        return { sql: [`UPDATE ${rel(t)} SET ${ident(c.name)} = ${value(rng, c.kind, c.notNull)} WHERE ${ident(t.key)} % 3 = ${rng.int(0, 2)}`], apply: none };
      }
      case 'delete':
        return { sql: [`DELETE FROM ${rel(t)} WHERE ${ident(t.key)} % 7 = ${rng.int(0, 6)}`], apply: none };
      case 'addColumn': {
        const c: Col = { name: fresh(rng.pick(['c', 'Col ', 'ä'])), kind: rng.pick<Kind>(['int', 'text', 'numeric', 'boolean', 'date']) };
        const withDefault = rng.chance(0.6);
        return {
          sql: [`ALTER TABLE ${rel(t)} ADD COLUMN ${ident(c.name)} ${SQL_TYPE[c.kind]}${withDefault ? ` DEFAULT ${value(rng, c.kind)}` : ''}`],
          apply: () => t.cols.push(c),
        };
      }
      case 'dropColumn': {
        if (some.length <= 1) return { sql: [], apply: none };
        const c = rng.pick(some);
        return { sql: [`ALTER TABLE ${rel(t)} DROP COLUMN ${ident(c.name)}`], apply: () => dropColumn(t, c) };
      }
      case 'dropAdd': {
        // one statement drops a column and adds another of the same name
        if (some.length <= 1) return { sql: [], apply: none };
        const c = rng.pick(some);
        const kind2 = rng.pick<Kind>(['int', 'text']);
        return {
          sql: [`ALTER TABLE ${rel(t)} DROP COLUMN ${ident(c.name)}, ADD COLUMN ${ident(c.name)} ${SQL_TYPE[kind2]} DEFAULT ${kind2 === 'int' ? '5' : "'new'"}`],
          apply: () => { dropColumn(t, c); t.cols.push({ name: c.name, kind: kind2 }); },
        };
      }
      case 'renameColumn': {
        const c = rng.pick(t.cols);
        if (t.partitioned && c.name === t.key) return { sql: [], apply: none };
        const to = fresh(rng.pick(['r', 'Renamed "', 'ö']));
        return {
          sql: [`ALTER TABLE ${rel(t)} RENAME COLUMN ${ident(c.name)} TO ${ident(to)}`],
          apply: () => {
            if (t.key === c.name) t.key = to;
            t.excluded = t.excluded.map((e) => (e === c.name ? to : e));
            t.tracked.excluded = t.excluded;
            c.name = to;
          },
        };
      }
      case 'retype': {
        const candidates = t.cols.filter((c) => c.name !== t.key || (!t.partitioned && (c.kind === 'int' || c.kind === 'bigint')));
        const c = rng.pick(candidates);
        const options = c.name === t.key ? RETYPES[c.kind].filter(([k]) => k === 'int' || k === 'bigint') : RETYPES[c.kind];
        if (options.length === 0) return { sql: [], apply: none };
        const [to, using] = rng.pick(options);
        const col = ident(c.name);
        const more = rng.chance(0.3) ? `, ALTER COLUMN ${col} SET DEFAULT (${value(rng, to, true)})::${SQL_TYPE[to]}` : '';
        return {
          // a default that does not cast to the new type would fail the statement: it goes first
          sql: [`ALTER TABLE ${rel(t)} ALTER COLUMN ${col} DROP DEFAULT, ALTER COLUMN ${col} TYPE ${SQL_TYPE[to]} USING ${using.replace(/%s/g, col)}${more}`],
          apply: () => { c.kind = to; },
        };
      }
      case 'setDefault': {
        const c = rng.pick(some.length > 0 ? some : t.cols);
        return {
          sql: [rng.chance(0.6) ? `ALTER TABLE ${rel(t)} ALTER COLUMN ${ident(c.name)} SET DEFAULT ${value(rng, c.kind)}` : `ALTER TABLE ${rel(t)} ALTER COLUMN ${ident(c.name)} DROP DEFAULT`],
          apply: none,
        };
      }
      case 'notNull': {
        if (some.length === 0) return { sql: [], apply: none };
        const c = rng.pick(some);
        const fill = c.kind === 'text' ? "'filled'" : c.kind === 'boolean' ? 'false' : c.kind === 'date' ? "DATE '2000-01-01'" : '0';
        return rng.chance(0.5)
          ? { sql: [`UPDATE ${rel(t)} SET ${ident(c.name)} = ${fill} WHERE ${ident(c.name)} IS NULL`, `ALTER TABLE ${rel(t)} ALTER COLUMN ${ident(c.name)} SET NOT NULL`], apply: () => { c.notNull = true; } }
          : { sql: [`ALTER TABLE ${rel(t)} ALTER COLUMN ${ident(c.name)} DROP NOT NULL`], apply: () => { c.notNull = false; } };
      }
      case 'renameTable': {
        const to = fresh(rng.pick(['renamed', 'Tab "x" ', 'tä']));
        const moved = { ...t, name: to };
        return {
          sql: [`ALTER TABLE ${rel(t)} RENAME TO ${ident(to)}`],
          // a table dropped and created again in this transaction is tracked anew after it
          // commits (under its name then); its old tracking ended with the drop
          apply: () => { t.name = to; if (!recreated.includes(t)) t.tracked.relation = rel(moved); },
        };
      }
      case 'setSchema': {
        const to = t.schema === 'ddl_a' ? 'ddl_b' : 'ddl_a';
        const taken = tables.some((o) => o !== t && o.schema === to && o.name === t.name);
        if (taken) return { sql: [], apply: none };
        return {
          sql: [`ALTER TABLE ${rel(t)} SET SCHEMA ${ident(to)}`],
          apply: () => { t.schema = to; if (!recreated.includes(t)) t.tracked.relation = rel(t); },
        };
      }
      case 'changeKey': {
        const k = fresh('key');
        const pk = await pkName(t);
        return {
          sql: [
            `ALTER TABLE ${rel(t)} ADD COLUMN ${ident(k)} integer`,
            `UPDATE ${rel(t)} SET ${ident(k)} = ${ident(t.key)} + 1000000 * ${counter}`,
            `ALTER TABLE ${rel(t)} ALTER COLUMN ${ident(k)} SET NOT NULL, DROP CONSTRAINT ${ident(pk)}, ADD PRIMARY KEY (${ident(k)})`,
          ],
          // the old key column stays NOT NULL
          apply: () => { t.cols.push({ name: k, kind: 'int', notNull: true }); t.key = k; },
        };
      }
      case 'recreate': {
        // dropped, and a new table of the same name created and audited: a new table id
        const old = t.tracked;
        const fresh2: Table = { ...t, cols: columnsOf(), key: 'id', excluded: [] };
        return {
          sql: [`DROP TABLE ${rel(t)}`, ...creation(fresh2)],
          apply: () => {
            old.relation = null;
            Object.assign(t, { cols: fresh2.cols, key: 'id', excluded: [] });
            recreated.push(t);
          },
        };
      }
      case 'detachAttach': {
        const low = t.low as string;
        return {
          sql: [
            `ALTER TABLE ${rel(t)} DETACH PARTITION ${low}`,
            // unlogged: the table is no partition now; its rows join the table again, changed, with ATTACH
            ...(some.length > 0 ? [`UPDATE ${low} SET ${ident(some[0].name)} = ${value(rng, some[0].kind, true)}`] : []),
            `ALTER TABLE ${rel(t)} ATTACH PARTITION ${low} FOR VALUES FROM (MINVALUE) TO (40)`,
          ],
          apply: none,
        };
      }
    }
    return { sql: [], apply: none };
  };

  for (let x = 1; x <= transactions; x += 1) {
    // each step is generated inside the transaction, after the earlier ones ran
    const sql: string[] = [];
    try {
      await client.query('BEGIN');
      // the first transactions each start with one of the forms the oracle must cover, so that
      // no seed misses one; the rest are random
      const forced = COVERED_FORMS[x - 1];
      for (let s = rng.int(1, 3) + (forced ? 1 : 0); s > 0; s -= 1) {
        const first = forced !== undefined && sql.length === 0;
        const next = first ? await step(rng.pick(tables.filter((t) => !t.partitioned && !recreated.includes(t))), forced) : await step(rng.pick(tables));
        for (const statement of next.sql) {
          sql.push(statement);
          await client.query(statement);
        }
        next.apply();
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      failures.push(`transaction ${x} failed: ${(error as Error).message}\n  ${sql.join(';\n  ')}`);
      break;
    }
    history.push(`transaction ${x}:\n  ${sql.join(';\n  ')}`);
    for (const t of recreated.splice(0)) {
      t.tracked = await trackTable(client, rel(t), `${t.schema}.${t.name} (created again in transaction ${x})`, t.excluded);
      tracked.push(t.tracked);
    }
    await snapshot(client, tracked, `transaction ${x}`);
    const structure = await structureDifferences(client);
    if (structure.length > 0) {
      failures.push(`after transaction ${x}, the logged structure differs from the catalog:\n  ${structure.join('\n  ')}`);
      break;
    }
  }

  // the end: one table dropped by name, the others with their schemas
  if (failures.length === 0) {
    const [first, ...others] = tables;
    const schemas = [...new Set(others.map((t) => t.schema).filter((s) => s !== first.schema))];
    const sql = [`DROP TABLE ${rel(first)}`, ...schemas.map((s) => `DROP SCHEMA ${ident(s)} CASCADE`)];
    history.push(`final transaction:\n  ${sql.join(';\n  ')}`);
    try {
      await client.query('BEGIN');
      for (const statement of sql) await client.query(statement);
      await client.query('COMMIT');
      for (const t of tables) if (t === first || schemas.includes(t.schema)) t.tracked.relation = null;
      await snapshot(client, tracked, 'final transaction');
    } catch (error) {
      await client.query('ROLLBACK');
      failures.push(`final transaction failed: ${(error as Error).message}`);
    }
  }
  const { rows } = await client.query<{ operation: string; n: string }>('SELECT operation, count(*) AS n FROM chronicle.table_event_log GROUP BY operation');
  void major;
  return { tables: tracked, history, failures, operations: new Map(rows.map((r) => [r.operation, Number(r.n)])) };
}
