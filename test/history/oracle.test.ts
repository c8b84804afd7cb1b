/**
 * The time-travel oracle (issue 5): a seeded random workload of DML and DDL over audited tables
 * of one schema (every common type, NULLs, unicode, quotes in names, a composite key, a unique
 * key, an excluded column, key updates, TRUNCATE, ADD/DROP/RENAME COLUMN, key columns renamed
 * too), written by three sessions whose transactions interleave: some stay open while others
 * commit, across marks. A session picks rows no other open transaction holds (their xmax is not
 * in progress) and gives up waiting for a lock after lock_timeout (the statement is rolled back
 * to its savepoint); DDL and TRUNCATE run only on tables no other open transaction has touched,
 * and commit at once (a copy would wait for their lock).
 *
 * At several points a separate session sets a mark and copies every table in the same
 * REPEATABLE READ transaction (so the copies hold exactly the mark's state), noting the columns
 * valid then. At a quiet point (no transaction open) it also notes the time and the last
 * committed transaction. Afterwards, at every mark, each of these must equal the copies row for
 * row (values compared as text, in the C collation; json through jsonb, whose normalization and
 * JSON null read as SQL NULL are documented limits; excluded columns NULL, also documented):
 *
 * - restore_schema_state as TABLE and as VIEW, and restore_table_state: every table, its columns
 *   of then (names, order, types) and its rows;
 * - as_of(NULL::t, point) in today's row type: every column of today that existed at the point
 *   (by identity: a column renamed since is compared under its name of today) equals the copy's
 *   column, every column added since is NULL; the same for the timestamp and transaction points
 *   of quiet marks;
 * - restore_recordset: jsonb objects with exactly the column names of then, read back into the
 *   copy's row type;
 * - restore_record and restore_record_jsonb for a sample of keys from every copy and from now
 *   (keys that existed then, and keys inserted, moved or deleted at other times, which give no row);
 * - table_diff between consecutive marks: the rows inserted, deleted and updated according to the
 *   copies, each with its values; for an UPDATE, exactly the columns whose values differ.
 *
 * The seed is printed; CHRONICLE_ORACLE_SEED replays it, CHRONICLE_ORACLE_TRANSACTIONS scales it.
 */
import { Client, DatabaseError } from 'pg';
import { connectTo, createDatabase, databaseNameFor, dropDatabase, testServers } from '../helpers/database';
import {
  col, compositeKeyTable, DEFAULT_WEIGHTS, GENERATORS, block, ident, installOracleSupport, literal, oracleSeed, oracleTransactions,
  ORACLE_RUNNER, OUTPUT_SETTINGS, qualified, Rng, statementContext, tableName, typesTable, uniqueKeyTable,
  type ColumnModel, type Statement, type StatementKind, type TableModel,
} from '../helpers/oracle';
import { serverUrl, type ServerInfo } from '../helpers/servers/types';

const seed = oracleSeed();
const transactions = oracleTransactions(60);
const MARKS = Math.max(4, Math.min(12, Math.round(transactions / 10)));
/** longer workloads (CHRONICLE_ORACLE_TRANSACTIONS) get longer to check */
const TIMEOUT = Math.round(180_000 * Math.max(1, (transactions / 60) ** 2));
console.log(`time-travel oracle: seed ${seed}, ${transactions} transactions, ${MARKS} marks (CHRONICLE_ORACLE_SEED=${seed} replays it)`);

const SCHEMA = 'tt "Oracle" ü';
const COPIES = 'tt_oracle_copies';
const RESTORED = 'tt_oracle_restored';
const RESTORED_VIEWS = 'tt_oracle_views';
const RESTORED_ONE = 'tt_oracle_one';

/** a column as it was at a mark: the column (its identity) and its name then */
interface ColumnThen {
  column: ColumnModel;
  name: string;
  /** excluded from the log: NULL in every restored row (a documented limit) */
  excluded?: boolean;
}

interface Copy {
  mark: string;
  model: TableModel;
  /** the table's name (it is never renamed) */
  table: string;
  /** the copy, qualified */
  relation: string;
  columns: ColumnThen[];
  /** the key columns then, by name */
  key: string[];
}

interface Mark {
  name: string;
  copies: Copy[];
  /** a quiet mark: a time and a transaction id standing for the same state */
  timestamp?: string;
  transactionId?: string;
  /** sessions with a transaction open when the mark was set */
  open: number;
}

/** the canonical text of a value: text in the C collation; json through jsonb (its text is normalized, JSON null is SQL NULL) */
function canon(alias: string, name: string, c: ColumnModel): string {
  const v = `${alias}.${ident(name)}`;
  if (/^jsonb?$/i.test(c.type)) return `(NULLIF((${v})::pg_catalog.jsonb, 'null'::pg_catalog.jsonb))::pg_catalog.text COLLATE "C"`;
  return `((${v})::pg_catalog.text COLLATE "C")`;
}

function canonRow(alias: string, columns: ColumnThen[]): string {
  return `ARRAY[${columns.map((c) => canon(alias, c.name, c.column)).join(', ')}]::pg_catalog.text[]`;
}

const NULL_TEXT = 'NULL::pg_catalog.text COLLATE "C"';

/** a copy's column as a restored row must have it: its value, or NULL where it is not logged */
function expectedCanon(alias: string, c: ColumnThen): string {
  return c.excluded ? NULL_TEXT : canon(alias, c.name, c.column);
}

function expectedRow(alias: string, columns: ColumnThen[]): string {
  return `ARRAY[${columns.map((c) => expectedCanon(alias, c)).join(', ')}]::pg_catalog.text[]`;
}

function clip(text: string, n = 700): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > n ? `${flat.slice(0, n)}...` : flat;
}

/** where two rows (or two JSON objects held in a value) differ: the values or keys that are not the same */
function difference(a: (string | null)[], b: (string | null)[]): string {
  const parts: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    if (a[i] === b[i]) continue;
    let objects: [Record<string, unknown>, Record<string, unknown>] | undefined;
    try {
      const x = JSON.parse(a[i] ?? 'null') as unknown;
      const y = JSON.parse(b[i] ?? 'null') as unknown;
      if (x && y && typeof x === 'object' && typeof y === 'object' && !Array.isArray(x) && !Array.isArray(y)) objects = [x as Record<string, unknown>, y as Record<string, unknown>];
    } catch {
      objects = undefined;
    }
    if (objects) {
      const [x, y] = objects;
      const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].filter((k) => JSON.stringify(x[k]) !== JSON.stringify(y[k]));
      parts.push(`[${i}] ${keys.map((k) => `${k}: ${k in x ? clip(JSON.stringify(x[k]), 200) : '(absent)'} / ${k in y ? clip(JSON.stringify(y[k]), 200) : '(absent)'}`).join(', ')}`);
    } else {
      parts.push(`[${i}] ${clip(JSON.stringify(a[i]), 300)} / ${clip(JSON.stringify(b[i]), 300)}`);
    }
  }
  return parts.join('; ');
}

/** Rows of two queries (each giving a text[] column r) compared as multisets; a description of the difference, or '' */
async function compareRows(client: Client, expected: string, got: string, params: unknown[] = []): Promise<{ problem: string; rows: number }> {
  const { rows } = await client.query<{ side: string; r: (string | null)[] | null; n: string }>(
    `WITH e AS (${expected}), g AS (${got})
     SELECT 'missing' AS side, x.r, NULL AS n FROM (SELECT r FROM e EXCEPT ALL SELECT r FROM g) AS x
     UNION ALL SELECT 'extra', x.r, NULL FROM (SELECT r FROM g EXCEPT ALL SELECT r FROM e) AS x
     UNION ALL SELECT 'count', NULL, (SELECT pg_catalog.count(*) FROM e)::pg_catalog.text`, params);
  const count = Number(rows.find((r) => r.side === 'count')?.n ?? 0);
  const missing = rows.filter((r) => r.side === 'missing').map((r) => r.r ?? []);
  const extra = rows.filter((r) => r.side === 'extra').map((r) => r.r ?? []);
  if (missing.length === 0 && extra.length === 0) return { problem: '', rows: count };
  const lines = [`${missing.length} expected rows missing, ${extra.length} rows not expected`];
  // pair rows by their first two values (the key, or the change and the key), to show what differs
  const pairs = missing.map((m) => ({ m, x: extra.find((x) => x[0] === m[0] && (m.length < 2 || x[1] === m[1])) }));
  for (const { m, x } of pairs.slice(0, 3)) lines.push(x ? `  differs (expected / got): ${difference(m, x)}` : `  missing: ${clip(JSON.stringify(m), 500)}`);
  for (const x of extra.filter((e) => !pairs.some((p) => p.x === e)).slice(0, 3)) lines.push(`  not expected: ${clip(JSON.stringify(x), 500)}`);
  return { problem: lines.join('\n'), rows: count };
}

interface Session {
  name: string;
  client: Client;
  open: boolean;
  /** tables read or written by the open transaction */
  tables: Set<TableModel>;
  touched: Map<TableModel, Set<string>>;
  statements: number;
  lines: string[];
}

const DML_WEIGHTS: Partial<Record<StatementKind, number>> = { ...DEFAULT_WEIGHTS, truncate: 0, replaceFunction: 0 };

describe.each(testServers().map((s) => [s.name, s] as const))('%s', (_name, server: ServerInfo) => {
  const database = databaseNameFor(__filename);
  let client: Client;
  const sessions: Session[] = [];
  let tables: TableModel[] = [];
  const marks: Mark[] = [];
  const history: string[] = [];
  const failures: string[] = [];
  const counts: Record<string, number> = {};
  const count = (what: string) => { counts[what] = (counts[what] ?? 0) + 1; };

  beforeAll(async () => {
    await createDatabase(server, database);
    client = await connectTo(server, database);
    await client.query('CREATE EXTENSION chronicle');
    await installOracleSupport(client);
    tables = [
      await typesTable(client, server.major, SCHEMA),
      await compositeKeyTable(client, server.major, SCHEMA),
      // an excluded column: NULL in every restored row
      await uniqueKeyTable(client, server.major, SCHEMA, { excluded: ['ratio'] }),
    ];
    // views and replace functions would stop DROP and RENAME COLUMN: statements name the tables only
    for (const model of tables) {
      for (const target of model.targets.slice(1)) await client.query(`DROP VIEW ${target.relation}`);
      model.targets = model.targets.slice(0, 1);
      if (model.replaceFunction) await client.query(`DROP FUNCTION ${model.replaceFunction}`);
      model.replaceFunction = undefined;
    }
    await client.query(`CREATE SCHEMA ${COPIES}`);
    for (let i = 1; i <= 3; i += 1) {
      const c = new Client({ connectionString: serverUrl(server, database), application_name: `oracle session ${i}` });
      await c.connect();
      // a statement that would wait for a row another open transaction holds gives up instead
      await c.query(`SET lock_timeout = '150ms'`);
      sessions.push({ name: `s${i}`, client: c, open: false, tables: new Set(), touched: new Map(), statements: 0, lines: [] });
    }
  });

  afterAll(async () => {
    for (const s of sessions) await s.client.end();
    await client.end();
    await dropDatabase(server, database);
  });

  /** keys (text, key order) of the rows of the table the session sees and no other open transaction holds */
  async function freeKeys(session: Session, model: TableModel): Promise<string[][]> {
    const select = `SELECT ARRAY[${model.key.map((k) => `t.${ident(k)}::pg_catalog.text`).join(', ')}] AS k FROM ${tableName(model)} AS t`;
    await session.client.query('SAVEPOINT keys');
    try {
      const { rows } = await session.client.query<{ k: string[] }>(
        `${select} WHERE t.xmax::pg_catalog.text = '0' OR pg_catalog.pg_xact_status(t.xmax::pg_catalog.text::pg_catalog.xid8) IS DISTINCT FROM 'in progress' ORDER BY 1`);
      await session.client.query('RELEASE SAVEPOINT keys');
      return rows.map((r) => r.k);
    } catch {
      // an xmax that is a multixact id is no transaction id: take every key (lock_timeout is the safety net)
      await session.client.query('ROLLBACK TO SAVEPOINT keys');
      count('keys without xmax filter');
      const { rows } = await session.client.query<{ k: string[] }>(`${select} ORDER BY 1`);
      return rows.map((r) => r.k);
    }
  }

  /** runs a statement in the session's open transaction, under a savepoint; false if it failed */
  async function execute(session: Session, sql: string, kind: string): Promise<boolean> {
    count(kind);
    session.lines.push(clip(sql, 300));
    await session.client.query('SAVEPOINT st');
    try {
      await session.client.query(sql);
      await session.client.query('RELEASE SAVEPOINT st');
      return true;
    } catch (error) {
      await session.client.query('ROLLBACK TO SAVEPOINT st');
      const code = error instanceof DatabaseError ? error.code : undefined;
      if (code === '55P03') {
        count('lock timeouts');
        session.lines.push('(gave up waiting for a lock)');
      } else {
        failures.push(`${session.name}: unexpected error ${code ?? ''} ${(error as Error).message}: ${clip(sql)}`);
      }
      return false;
    }
  }

  /** begins a transaction; some change the session's output settings, which what is logged must not depend on */
  async function begin(session: Session, rng: Rng): Promise<void> {
    await session.client.query('BEGIN');
    session.open = true;
    session.statements = 0;
    session.lines = [];
    if (rng.chance(0.3)) {
      for (const name of rng.sample(Object.keys(OUTPUT_SETTINGS), rng.int(1, 3))) {
        const setting = `SET LOCAL ${name} = ${rng.pick(OUTPUT_SETTINGS[name])}`;
        await session.client.query(setting);
        session.lines.push(setting);
      }
    }
    session.tables.clear();
    session.touched.clear();
  }

  async function end(session: Session, commit: boolean): Promise<void> {
    await session.client.query(commit ? 'COMMIT' : 'ROLLBACK');
    history.push(`${session.name} ${commit ? 'commit' : 'rollback'}: ${session.lines.join('; ')}`);
    session.open = false;
    session.tables.clear();
  }

  /** a DML statement of the workload's generators on a table no other open transaction holds exclusively */
  async function dml(rng: Rng, session: Session, model: TableModel, kind?: StatementKind): Promise<void> {
    session.tables.add(model);
    const touched = session.touched.get(model) ?? new Set<string>();
    session.touched.set(model, touched);
    const keys = await freeKeys(session, model);
    for (let attempt = 0; attempt < 8; attempt += 1) {
      const ctx = statementContext(rng, server.major, model, model.targets[0], keys, touched);
      const k = attempt > 5 ? 'insert' : kind ?? rng.weighted(DML_WEIGHTS);
      const statement: Statement | undefined = k === 'block' ? block(ctx, ORACLE_RUNNER) : GENERATORS[k as Exclude<StatementKind, 'block'>](ctx);
      if (statement) {
        await execute(session, statement.sql, statement.kind);
        return;
      }
    }
  }

  let columnCounter = 0;
  const ADDED_TYPES = ['integer', 'text', 'numeric', 'jsonb', 'json', 'timestamptz', 'text[]', 'bytea', 'boolean', 'interval', 'double precision'];

  /** one DDL statement: ADD, DROP or RENAME COLUMN (key columns renamed too); the model follows once it ran */
  async function ddl(rng: Rng, session: Session, model: TableModel): Promise<void> {
    const table = tableName(model);
    const kind = rng.weighted({ add: 4, drop: 3, rename: 3 });
    columnCounter += 1;
    if (kind === 'add') {
      const type = rng.pick(ADDED_TYPES);
      const c = col(`added ${columnCounter} "ü" ✓`, type);
      const withDefault = rng.chance(0.4) && c.value ? ` DEFAULT ${c.value(rng)}` : '';
      if (await execute(session, `ALTER TABLE ${table} ADD COLUMN ${ident(c.name)} ${type}${withDefault}`, 'ADD COLUMN')) model.columns.push(c);
    } else if (kind === 'drop') {
      // not the key, not what a generated column reads, not a generated column
      const droppable = model.columns.filter((c) => !model.key.includes(c.name) && c.writable && c.nullable && !c.definition && !model.excluded.includes(c.name)
        && !(model.name === 'all_types' && c.name === 'c_text'));
      if (droppable.length <= 2) return;
      const c = rng.pick(droppable);
      if (await execute(session, `ALTER TABLE ${table} DROP COLUMN ${ident(c.name)}`, 'DROP COLUMN')) model.columns = model.columns.filter((x) => x !== c);
    } else {
      const c = rng.pick(model.columns.filter((x) => !model.excluded.includes(x.name)));
      const name = `${rng.pick(['renamed', 'Renamed', 'nöm'])} ${columnCounter} '"`;
      if (await execute(session, `ALTER TABLE ${table} RENAME COLUMN ${ident(c.name)} TO ${ident(name)}`, model.key.includes(c.name) ? 'RENAME KEY COLUMN' : 'RENAME COLUMN')) {
        model.key = model.key.map((k) => (k === c.name ? name : k));
        c.name = name;
      }
    }
  }

  /** the columns of a table now, in order (generated virtual columns are never logged: the fixtures have none) */
  async function columnsNow(model: TableModel): Promise<string[]> {
    const { rows } = await client.query<{ name: string }>(
      `SELECT a.attname AS name FROM pg_catalog.pg_attribute AS a WHERE a.attrelid = $1::pg_catalog.regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [tableName(model)]);
    return rows.map((r) => r.name);
  }

  /** sets a mark and copies every table in one REPEATABLE READ transaction of the checking session */
  async function mark(quiet: boolean): Promise<void> {
    const name = `m${marks.length}`;
    const m: Mark = { name, copies: [], open: sessions.filter((s) => s.open).length };
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await client.query('SELECT chronicle.set_mark($1)', [name]);
    for (const model of tables) {
      const names = await columnsNow(model);
      const byName = new Map(model.columns.map((c) => [c.name, c]));
      if (names.length !== model.columns.length || names.some((n) => !byName.has(n))) throw new Error(`${model.name}: the model ${JSON.stringify(model.columns.map((c) => c.name))} is not the table ${JSON.stringify(names)}`);
      const relation = qualified(COPIES, `${name}_${model.name}`);
      await client.query(`CREATE TABLE ${relation} AS SELECT * FROM ${tableName(model)}`);
      m.copies.push({ mark: name, model, table: model.name, relation, columns: names.map((n) => ({ column: byName.get(n) as ColumnModel, name: n, excluded: model.excluded.includes(n) })), key: [...model.key] });
    }
    await client.query('COMMIT');
    if (quiet) {
      const { rows: [r] } = await client.query<{ ts: string; id: string }>(
        `SELECT pg_catalog.clock_timestamp()::pg_catalog.text AS ts,
                (SELECT t.id FROM chronicle.transaction_log AS t WHERE t.committed_at IS NOT NULL ORDER BY t.committed_at DESC, t.id DESC LIMIT 1)::pg_catalog.text AS id`);
      m.timestamp = r.ts;
      m.transactionId = r.id;
    }
    marks.push(m);
    history.push(`mark ${name}${quiet ? ' (quiet)' : ` (${m.open} transactions open)`}`);
  }

  it(`a random workload of several sessions ran, with a mark and a copy of every table at ${MARKS + 1} points (seed ${seed})`, async () => {
    const rng = new Rng(seed);
    const started = Date.now();
    // the first rows, then the first mark
    await begin(sessions[0], rng);
    for (const model of tables) await dml(rng, sessions[0], model, 'insert');
    await end(sessions[0], true);
    await mark(true);
    let done = 0;
    let nextMark = 1;
    while (done < transactions) {
      const session = rng.pick(sessions);
      const others = sessions.filter((s) => s !== session && s.open);
      if (session.open) {
        if (session.statements < 4 && rng.chance(0.45)) {
          const model = rng.pick(tables.filter((t) => !others.some((o) => o.tables.has(t) && o.lines.some((l) => l.startsWith('TRUNCATE') || l.startsWith('ALTER')))));
          await dml(rng, session, model);
          session.statements += 1;
        } else {
          await end(session, !rng.chance(0.1));
          done += 1;
        }
      } else {
        const free = tables.filter((t) => !others.some((o) => o.tables.has(t)));
        const exclusive = free.length > 0 ? rng.weighted({ ddl: 10, truncate: 3, none: 87 }) : 'none';
        await begin(session, rng);
        if (exclusive !== 'none') {
          // DDL and TRUNCATE lock the table: only where no other transaction is open on it, and committed at once (a copy would wait for them)
          const model = rng.pick(free);
          session.tables.add(model);
          if (exclusive === 'ddl') await ddl(rng, session, model);
          else await execute(session, `TRUNCATE ${tableName(model)}`, 'truncate');
          for (let i = rng.int(0, 2); i > 0; i -= 1) await dml(rng, session, model, rng.pick(['insert', 'update', 'updateKey'] as const));
          await end(session, true);
          done += 1;
        } else {
          const model = rng.pick(tables.filter((t) => !others.some((o) => o.tables.has(t) && o.lines.some((l) => l.startsWith('TRUNCATE') || l.startsWith('ALTER')))));
          await dml(rng, session, model);
          session.statements = 1;
        }
      }
      if (done >= (nextMark * transactions) / MARKS && nextMark < MARKS) {
        nextMark += 1;
        // the second mark is never quiet; a mark that is not quiet has a transaction open that wrote (after the mark, though it began before)
        const quiet = nextMark > 2 && rng.chance(0.4);
        if (quiet) {
          for (const s of sessions.filter((x) => x.open)) {
            await end(s, true);
            done += 1;
          }
        } else if (!sessions.some((x) => x.open)) {
          const s = rng.pick(sessions);
          await begin(s, rng);
          await dml(rng, s, rng.pick(tables), 'update');
          s.statements = 1;
        }
        await mark(quiet);
      }
    }
    for (const s of sessions.filter((x) => x.open)) await end(s, true);
    await mark(true);
    const report = failures.length === 0 ? '' : `seed ${seed}\n${failures.join('\n')}\n--- history ---\n${history.join('\n')}`;
    expect(report).toBe('');
    console.log(`time-travel oracle ${server.name}: workload of ${history.length} transactions in ${Date.now() - started} ms; ${Object.entries(counts).sort().map(([k, n]) => `${k} ${n}`).join(', ')}; marks set with ${marks.map((m) => m.open).join(', ')} transactions open`);
    expect(marks.length).toBe(MARKS + 1);
    expect(marks.some((m) => m.open > 0)).toBe(true);
  }, TIMEOUT);

  const copyOf = (m: Mark, model: TableModel) => m.copies.find((c) => c.model === model) as Copy;

  /** today's columns, each compared with its column at the copy's mark (by identity) or NULL when it did not exist then */
  function asOfRows(copy: Copy, alias: string): { expected: string; got: string } {
    const now = copy.model.columns;
    const then = (c: ColumnModel) => copy.columns.find((x) => x.column === c);
    const expected = `ARRAY[${now.map((c) => { const t = then(c); return t ? expectedCanon('x', t) : NULL_TEXT; }).join(', ')}]::pg_catalog.text[]`;
    const got = `ARRAY[${now.map((c) => canon(alias, c.name, c)).join(', ')}]::pg_catalog.text[]`;
    return { expected, got };
  }

  /** the columns (name and type, in order) of a relation */
  async function shape(relation: string): Promise<string[]> {
    const { rows } = await client.query<{ c: string }>(
      `SELECT a.attname || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod) AS c FROM pg_catalog.pg_attribute AS a
        WHERE a.attrelid = $1::pg_catalog.regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, [relation]);
    return rows.map((r) => r.c);
  }

  let compared = 0;
  async function check(label: string, expected: string, got: string, params: unknown[] = []): Promise<void> {
    try {
      const { problem, rows } = await compareRows(client, expected, got, params);
      compared += rows;
      if (problem) failures.push(`${label}: ${problem}`);
    } catch (error) {
      failures.push(`${label}: ${(error as DatabaseError).code ?? ''} ${(error as Error).message}`);
    }
  }

  /** a restored table or view: the columns of then, and the copy's rows */
  async function checkRestored(label: string, copy: Copy, relation: string): Promise<void> {
    const want = await shape(copy.relation);
    const have = await shape(relation);
    if (JSON.stringify(want) !== JSON.stringify(have)) failures.push(`${label}: columns ${JSON.stringify(have)}, the copy has ${JSON.stringify(want)}`);
    else await check(label, `SELECT ${expectedRow('x', copy.columns)} AS r FROM ${copy.relation} AS x`, `SELECT ${canonRow('x', copy.columns)} AS r FROM ${relation} AS x`);
  }

  /** the failures of a check (the workload's history is in the report of the first test) */
  const report = () => (failures.length === 0 ? '' : `seed ${seed}\n${failures.slice(0, 30).join('\n')}${failures.length > 30 ? `\n... ${failures.length - 30} more` : ''}`);

  it(`restore_schema_state (TABLE and VIEW) and restore_table_state equal the copies at every mark (seed ${seed})`, async () => {
    failures.length = 0;
    for (const m of marks) {
      for (const [mode, target] of [['TABLE', RESTORED], ['VIEW', RESTORED_VIEWS]] as const) {
        const { rows } = await client.query<{ r: string }>(
          'SELECT r::pg_catalog.text AS r FROM chronicle.restore_schema_state($1::pg_catalog.text, $2, $3, mode => $4, replace => true) AS r', [m.name, SCHEMA, target, mode]);
        const want = m.copies.map((c) => qualified(target, c.table)).sort();
        const got = rows.map((r) => r.r).sort();
        // regclass output quotes only where needed: compare through regclass
        const { rows: [same] } = await client.query<{ ok: boolean }>('SELECT $1::pg_catalog.regclass[]::pg_catalog.text[] = $2::pg_catalog.regclass[]::pg_catalog.text[] AS ok', [want, got]);
        if (!same.ok) failures.push(`${m.name} restore_schema_state ${mode}: restored ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
        for (const c of m.copies) await checkRestored(`${m.name} restore_schema_state ${mode} ${c.table}`, c, qualified(target, c.table));
      }
      for (const c of m.copies) {
        const { rows: [r] } = await client.query<{ r: string }>(
          'SELECT chronicle.restore_table_state($1::pg_catalog.text, $2::pg_catalog.regclass, $3, replace => true)::pg_catalog.text AS r', [m.name, tableName(c.model), RESTORED_ONE]);
        await checkRestored(`${m.name} restore_table_state ${c.table}`, c, r.r);
      }
    }
    expect(report()).toBe('');
    expect(compared).toBeGreaterThan(0);
  }, TIMEOUT);

  it(`as_of at every mark, and at the time and transaction of quiet marks, equals the copies on the columns of then that exist now; columns added since are NULL (seed ${seed})`, async () => {
    failures.length = 0;
    let points = 0;
    for (const m of marks) {
      const kinds: [string, string, string][] = [['mark', m.name, 'text']];
      if (m.timestamp) kinds.push(['timestamp', m.timestamp, 'timestamptz']);
      if (m.transactionId) kinds.push(['transaction', m.transactionId, 'bigint']);
      for (const [kind, point, type] of kinds) {
        points += 1;
        for (const c of m.copies) {
          const { expected, got } = asOfRows(c, 'y');
          await check(`${m.name} as_of(${kind} ${point}) ${c.table}`, `SELECT ${expected} AS r FROM ${c.relation} AS x`,
            `SELECT ${got} AS r FROM chronicle.as_of(NULL::${tableName(c.model)}, $1::${type}) AS y`, [point]);
        }
      }
    }
    expect(report()).toBe('');
    expect(points).toBeGreaterThan(marks.length);
  }, TIMEOUT);

  it(`restore_recordset at every mark gives the copies in the shape of then (seed ${seed})`, async () => {
    failures.length = 0;
    for (const m of marks) {
      for (const c of m.copies) {
        const label = `${m.name} restore_recordset ${c.table}`;
        const { rows: [k] } = await client.query<{ n: string }>(
          `SELECT pg_catalog.count(*) AS n FROM chronicle.restore_recordset($1::pg_catalog.regclass, $2::pg_catalog.text) AS j
            WHERE ARRAY(SELECT x FROM pg_catalog.jsonb_object_keys(j) AS x ORDER BY x) <> ARRAY(SELECT x FROM pg_catalog.unnest($3::pg_catalog.text[]) AS x ORDER BY x)`,
          [tableName(c.model), m.name, c.columns.map((x) => x.name)]);
        if (Number(k.n) !== 0) failures.push(`${label}: ${k.n} rows do not have exactly the columns of then ${JSON.stringify(c.columns.map((x) => x.name))}`);
        await check(label, `SELECT ${expectedRow('x', c.columns)} AS r FROM ${c.relation} AS x`,
          `SELECT ${canonRow('y', c.columns)} AS r FROM chronicle.restore_recordset($1::pg_catalog.regclass, $2::pg_catalog.text) AS j
             CROSS JOIN LATERAL pg_catalog.jsonb_populate_record(NULL::${c.relation}, j) AS y`, [tableName(c.model), m.name]);
      }
    }
    expect(report()).toBe('');
  }, TIMEOUT);

  it(`restore_record and restore_record_jsonb at every mark, for keys of then and keys of other times, give the copy's row or none (seed ${seed})`, async () => {
    failures.length = 0;
    const rng = new Rng(seed).fork('keys');
    let found = 0;
    let none = 0;
    for (const model of tables) {
      // every key of every copy and of now, as the values of the key columns (by identity)
      const keyColumns = model.key.map((k) => model.columns.find((c) => c.name === k) as ColumnModel);
      const all = new Map<string, unknown[]>();
      const sources = [...marks.map((m) => copyOf(m, model)).map((c) => ({ relation: c.relation, names: keyColumns.map((k) => (c.columns.find((x) => x.column === k) as ColumnThen).name) })),
        { relation: tableName(model), names: model.key }];
      const now = new Set<string>();
      for (const source of sources) {
        const { rows } = await client.query<{ k: unknown[] }>(`SELECT pg_catalog.jsonb_build_array(${source.names.map((n) => `x.${ident(n)}`).join(', ')}) AS k FROM ${source.relation} AS x`);
        for (const r of rows) all.set(JSON.stringify(r.k), r.k);
        if (source.relation === tableName(model)) rows.forEach((r) => now.add(JSON.stringify(r.k)));
      }
      for (const m of marks) {
        const c = copyOf(m, model);
        const names = keyColumns.map((k) => (c.columns.find((x) => x.column === k) as ColumnThen).name);
        const object = (values: unknown[]) => JSON.stringify(Object.fromEntries(names.map((n, i) => [n, values[i]])));
        const { rows } = await client.query<{ k: unknown[] }>(`SELECT pg_catalog.jsonb_build_array(${names.map((n) => `x.${ident(n)}`).join(', ')}) AS k FROM ${c.relation} AS x`);
        const present = new Set(rows.map((r) => JSON.stringify(r.k)));
        // a key of then that is gone now (deleted or moved since), two others of then, two that were not keys then
        const gone = rng.sample(rows.filter((r) => !now.has(JSON.stringify(r.k))).map((r) => r.k), 1);
        const sample = [...gone, ...rng.sample(rows.map((r) => r.k).filter((k) => !gone.includes(k)), 2),
          ...rng.sample([...all].filter(([k]) => !present.has(k)).map(([, v]) => v), 2)];
        for (const values of sample) {
          const key = object(values);
          const there = present.has(JSON.stringify(values));
          if (there) found += 1; else none += 1;
          const where = `pg_catalog.jsonb_build_object(${names.map((n) => `${literal(n)}, x.${ident(n)}`).join(', ')}) = $1::pg_catalog.jsonb`;
          const { expected, got } = asOfRows(c, 'y');
          await check(`${m.name} restore_record ${c.table} ${key}`, `SELECT ${expected} AS r FROM ${c.relation} AS x WHERE ${where}`,
            `SELECT ${got} AS r FROM chronicle.restore_record(NULL::${tableName(model)}, $1::pg_catalog.jsonb, $2::pg_catalog.text) AS y WHERE NOT (y IS NULL)`, [key, m.name]);
          await check(`${m.name} restore_record_jsonb ${c.table} ${key}`,
            `SELECT ${expectedRow('x', c.columns)} || ARRAY(SELECT x FROM pg_catalog.unnest($3::pg_catalog.text[]) AS x ORDER BY x) AS r FROM ${c.relation} AS x WHERE ${where}`,
            `SELECT ${canonRow('y', c.columns)} || ARRAY(SELECT x FROM pg_catalog.jsonb_object_keys(j) AS x ORDER BY x) AS r
               FROM chronicle.restore_record_jsonb($4::pg_catalog.regclass, $1::pg_catalog.jsonb, $2::pg_catalog.text) AS j
               CROSS JOIN LATERAL pg_catalog.jsonb_populate_record(NULL::${c.relation}, j) AS y WHERE j IS NOT NULL`,
            [key, m.name, c.columns.map((x) => x.name), tableName(model)]);
        }
      }
    }
    expect(report()).toBe('');
    expect(found).toBeGreaterThan(0);
    expect(none).toBeGreaterThan(0);
  }, TIMEOUT);

  it(`table_diff between consecutive marks gives the rows the copies differ in, with their values (seed ${seed})`, async () => {
    failures.length = 0;
    let changes = 0;
    for (let i = 1; i < marks.length; i += 1) {
      for (const model of tables) {
        const b = copyOf(marks[i - 1], model);
        const a = copyOf(marks[i], model);
        const keyCols = (c: Copy) => c.key.map((k) => c.columns.find((x) => x.name === k) as ColumnThen);
        const keyRow = (alias: string, c: Copy) => canonRow(alias, keyCols(c));
        const object = (alias: string, c: Copy) => `pg_catalog.jsonb_object(ARRAY[${c.columns.map((x) => literal(x.name)).join(', ')}]::pg_catalog.text[], ${expectedRow(alias, c.columns)})`;
        /** the canonical object of the columns of copy c that jsonb j names, read from record p of c's type */
        const named = (p: string, c: Copy, j: string) => `(SELECT pg_catalog.jsonb_object_agg(n.k, n.v) FROM (VALUES ${c.columns.map((x) => `(${literal(x.name)}, ${canon(p, x.name, x.column)})`).join(', ')}) AS n(k, v) WHERE ${j} ? n.k)`;
        const only = (o: string, other: string) => `(SELECT pg_catalog.jsonb_object_agg(e.key, e.value) FROM pg_catalog.jsonb_each(${o}) AS e WHERE NOT (${other} ? e.key AND ${other} -> e.key = e.value))`;
        const expected = `WITH bs AS (SELECT ${keyRow('x', b)} AS k, ${object('x', b)} AS o FROM ${b.relation} AS x),
               af AS (SELECT ${keyRow('x', a)} AS k, ${object('x', a)} AS o FROM ${a.relation} AS x)
          SELECT ARRAY[CASE WHEN bs.k IS NULL THEN 'INSERT' WHEN af.k IS NULL THEN 'DELETE' ELSE 'UPDATE' END,
                       coalesce(af.k, bs.k)::pg_catalog.text,
                       (CASE WHEN bs.k IS NULL THEN NULL WHEN af.k IS NULL THEN bs.o ELSE ${only('bs.o', 'af.o')} END)::pg_catalog.text,
                       (CASE WHEN af.k IS NULL THEN NULL WHEN bs.k IS NULL THEN af.o ELSE ${only('af.o', 'bs.o')} END)::pg_catalog.text] AS r
          FROM bs FULL JOIN af ON af.k = bs.k WHERE bs.o IS DISTINCT FROM af.o`;
        const got = `SELECT ARRAY[d.change,
                       (CASE WHEN d.change = 'DELETE' THEN ${keyRow('kb', b)} ELSE ${keyRow('ka', a)} END)::pg_catalog.text,
                       (CASE WHEN d.old_values IS NULL THEN NULL ELSE ${named('ob', b, 'd.old_values')} END)::pg_catalog.text,
                       (CASE WHEN d.new_values IS NULL THEN NULL ELSE ${named('na', a, 'd.new_values')} END)::pg_catalog.text] AS r
          FROM chronicle.table_diff($1::pg_catalog.regclass, $2::pg_catalog.text, $3::pg_catalog.text) AS d
          CROSS JOIN LATERAL pg_catalog.jsonb_populate_record(NULL::${b.relation}, d.row_key) AS kb
          CROSS JOIN LATERAL pg_catalog.jsonb_populate_record(NULL::${a.relation}, d.row_key) AS ka
          CROSS JOIN LATERAL pg_catalog.jsonb_populate_record(NULL::${b.relation}, d.old_values) AS ob
          CROSS JOIN LATERAL pg_catalog.jsonb_populate_record(NULL::${a.relation}, d.new_values) AS na`;
        const before = compared;
        await check(`table_diff ${model.name} ${b.mark} -> ${a.mark}`, expected, got, [tableName(model), b.mark, a.mark]);
        changes += compared - before;
      }
    }
    expect(report()).toBe('');
    expect(changes).toBeGreaterThan(0);
  }, TIMEOUT);
});
