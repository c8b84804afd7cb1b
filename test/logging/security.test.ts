/**
 * Security of the logging core: an application role's writes are logged under its name while the
 * log stays closed to it; chronicle_viewer reads, chronicle_admin configures; functions and
 * operators planted in public or in the caller's search_path are never called by the extension.
 */
import type { Client } from 'pg';
import { connectTo, createDatabase, databaseNameFor, dropDatabase, testServers } from '../helpers/database';
import { canonicalEntries, connectAs, exact, logState, rowLogOf, sqlError } from '../helpers/log-state';
import type { ServerInfo } from '../helpers/servers/types';

const APP = 'chronicle_sec_app';        // writes the audited tables, nothing more
const SNOOP = 'chronicle_sec_snoop';    // like APP, and may look into schema chronicle (USAGE)
const VIEWER = 'chronicle_sec_viewer';  // member of chronicle_viewer
const ADMIN = 'chronicle_sec_admin';    // member of chronicle_admin
const PLANTER = 'chronicle_sec_planter'; // may create objects in public
const ROLES = [APP, SNOOP, VIEWER, ADMIN, PLANTER];

const LOG_TABLES = ['transaction_log', 'table_event_log', 'row_log', 'audit_table_log', 'audit_column_log'];
const WRITES: Record<string, Record<string, string>> = {
  transaction_log: {
    INSERT: "INSERT INTO chronicle.transaction_log (txid, started_at, session_user_name) VALUES (pg_current_xact_id(), now(), 'x')",
    UPDATE: 'UPDATE chronicle.transaction_log SET session_info = NULL',
  },
  table_event_log: {
    INSERT: "INSERT INTO chronicle.table_event_log (transaction_id, table_id, operation, statement_order) VALUES (1, 1, 'INSERT', 1)",
    UPDATE: 'UPDATE chronicle.table_event_log SET operation = operation',
  },
  row_log: {
    INSERT: "INSERT INTO chronicle.row_log (event_id, table_id, row_key) VALUES (1, 1, '{\"id\": 1}')",
    UPDATE: 'UPDATE chronicle.row_log SET new_data = NULL',
  },
  audit_table_log: {
    INSERT: "INSERT INTO chronicle.audit_table_log (table_id, schema_name, table_name, key_columns, log_old_data, log_new_data, excluded_columns, valid_from) VALUES (1, 's', 't', '{id}', true, true, '{}', 1)",
    UPDATE: 'UPDATE chronicle.audit_table_log SET valid_until = NULL',
  },
  audit_column_log: {
    INSERT: "INSERT INTO chronicle.audit_column_log (table_id, column_name, ordinal_position, data_type, not_null, valid_from) VALUES (1, 'c', 1, 'integer', true, 1)",
    UPDATE: 'UPDATE chronicle.audit_column_log SET valid_until = NULL',
  },
};

/** Every way to change the log directly: [table, operation, statement]. */
const logWrites: [string, string, string][] = LOG_TABLES.flatMap((t) => [
  [t, 'INSERT', WRITES[t].INSERT],
  [t, 'UPDATE', WRITES[t].UPDATE],
  [t, 'DELETE', `DELETE FROM chronicle.${t}`],
  [t, 'TRUNCATE', `TRUNCATE chronicle.${t}`],
] as [string, string, string][]);

/** The setup functions, which only chronicle_admin members (and superusers) may call. */
const setupCalls: [string, string][] = [
  ['create_table_audit', "SELECT chronicle.create_table_audit('shop.orders', log_new_data => false)"],
  ['drop_table_audit', "SELECT chronicle.drop_table_audit('shop.orders')"],
  ['log_table_baseline', "SELECT chronicle.log_table_baseline('shop.orders')"],
  ['create_schema_audit', "SELECT chronicle.create_schema_audit('shop')"],
  ['drop_schema_audit', "SELECT chronicle.drop_schema_audit('shop')"],
];

/** The internal functions, which nobody but the extension's own functions may call. */
const internalCalls = (captureId: number): [string, string][] => [
  ['log_transaction', 'SELECT chronicle.log_transaction()'],
  ['install_capture', `SELECT chronicle.install_capture(${captureId}, 'shop.orders')`],
  ['remove_capture', `SELECT chronicle.remove_capture(${captureId}, 'shop.orders')`],
  ['capture_function_definition', `SELECT chronicle.capture_function_definition(${captureId}, 'shop.orders')`],
  ['audit_key_columns', "SELECT chronicle.audit_key_columns('shop.orders')"],
  ['current_table_version', "SELECT chronicle.current_table_version('shop.orders')"],
  ['raise_unpaired_update', `SELECT chronicle.raise_unpaired_update(${captureId})`],
  [`capture_${captureId}`, `SELECT chronicle.capture_${captureId}()`],
];

describe.each(testServers().map((s) => [s.name, s] as const))('%s', (_name, server: ServerInfo) => {
  const database = databaseNameFor(__filename);
  let client: Client;
  let ordersId: number;
  const sessions: Client[] = [];
  const as = async (role: string, applicationName?: string) => {
    const session = await connectAs(server, database, role, { applicationName });
    sessions.push(session);
    return session;
  };

  beforeAll(async () => {
    await createDatabase(server, database);
    client = await connectTo(server, database);
    await client.query('CREATE EXTENSION chronicle');
    for (const role of ROLES) await client.query(`DROP ROLE IF EXISTS ${role}; CREATE ROLE ${role} LOGIN`);
    await client.query(`
      GRANT chronicle_viewer TO ${VIEWER};
      GRANT chronicle_admin TO ${ADMIN};
      GRANT USAGE ON SCHEMA chronicle TO ${SNOOP};
      CREATE SCHEMA shop;
      CREATE TABLE shop.orders (id integer PRIMARY KEY, item text NOT NULL, qty integer, price numeric(6,2));
      CREATE TABLE shop.items (sku text PRIMARY KEY, label text, secret text);
      INSERT INTO shop.items VALUES ('a-1', 'first', 's'), ('b-2', 'second', 't');
      GRANT USAGE ON SCHEMA shop TO ${APP}, ${SNOOP}, ${ADMIN}, ${VIEWER};
      CREATE SCHEMA vault;
      CREATE TABLE vault.secrets (id integer PRIMARY KEY, v text);
      GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON shop.orders TO ${APP}, ${SNOOP}`);
    ordersId = Number((await client.query("SELECT chronicle.create_table_audit('shop.orders', log_new_data => true) AS id")).rows[0].id);
    await client.query("SELECT chronicle.create_table_audit('vault.secrets')");
  });

  afterAll(async () => {
    for (const session of sessions) await session.end();
    await client.end();
    await dropDatabase(server, database);
    for (const role of ROLES) await (async () => {
      const admin = await connectTo(server, 'postgres');
      try {
        await admin.query(`DROP ROLE IF EXISTS ${role}`);
      } finally {
        await admin.end();
      }
    })();
  });

  it('logs every change an application role makes, under its own name', async () => {
    const app = await as(APP, 'chronicle-sec-app');
    const firstEvent = Number((await client.query('SELECT coalesce(max(id), 0) AS id FROM chronicle.table_event_log')).rows[0].id);
    await app.query("INSERT INTO shop.orders VALUES (1, 'pen', 2, 1.50), (2, 'ink', 1, 7.00)");
    await app.query('BEGIN');
    await app.query('UPDATE shop.orders SET qty = 3 WHERE id = 1');
    await app.query('UPDATE shop.orders SET id = 20 WHERE id = 2');
    await app.query('COMMIT');
    await app.query('DELETE FROM shop.orders WHERE id = 1');
    await app.query("INSERT INTO shop.orders VALUES (3, 'cap', 1, 0.99)");
    await app.query("INSERT INTO shop.orders VALUES (3, 'cap', 5, 0.99) ON CONFLICT (id) DO UPDATE SET qty = excluded.qty");
    await app.query('TRUNCATE shop.orders');
    const { rows: [session] } = await app.query('SELECT host(inet_client_addr()) AS addr, inet_client_port() AS port');

    const pen = { id: 1, item: 'pen', qty: 2, price: exact('1.50') };
    const ink = { id: 2, item: 'ink', qty: 1, price: exact('7.00') };
    expect(await rowLogOf(client, ordersId)).toEqual(await canonicalEntries(client, [
      ['INSERT', { id: 1 }, null, pen],
      ['INSERT', { id: 2 }, null, ink],
      ['UPDATE', { id: 1 }, { qty: 2 }, { qty: 3 }],
      ['UPDATE', { id: 20 }, { id: 2 }, { id: 20 }],
      ['DELETE', { id: 1 }, { ...pen, qty: 3 }, null],
      ['INSERT', { id: 3 }, null, { id: 3, item: 'cap', qty: 1, price: exact('0.99') }],
      ['UPDATE', { id: 3 }, { qty: 1 }, { qty: 5 }],
      ['TRUNCATE', { id: 20 }, { ...ink, id: 20 }, null],
      ['TRUNCATE', { id: 3 }, { id: 3, item: 'cap', qty: 5, price: exact('0.99') }, null],
    ]));
    const transactions = (await client.query(
      `SELECT x.id, x.session_user_name, x.application_name, host(x.client_addr) AS addr, x.client_port, array_agg(e.operation::text ORDER BY e.id) AS operations
         FROM chronicle.table_event_log AS e JOIN chronicle.transaction_log AS x ON x.id = e.transaction_id
        WHERE e.table_id = $1 AND e.id > $2 GROUP BY x.id ORDER BY x.id`, [ordersId, firstEvent],
    )).rows;
    const by = { session_user_name: APP, application_name: 'chronicle-sec-app', addr: session.addr, client_port: session.port };
    expect(transactions.map(({ id, ...rest }) => rest)).toEqual([
      { ...by, operations: ['INSERT'] },
      { ...by, operations: ['UPDATE', 'UPDATE'] },
      { ...by, operations: ['DELETE'] },
      { ...by, operations: ['INSERT'] },
      { ...by, operations: ['UPDATE'] },
      { ...by, operations: ['TRUNCATE'] },
    ]);
  });

  it('logs the login role as session_user_name, whatever SET ROLE says', async () => {
    await client.query(`SET ROLE ${APP}`);
    try {
      await client.query("INSERT INTO shop.orders VALUES (7, 'as app', 1, 1)");
    } finally {
      await client.query('RESET ROLE');
    }
    const { rows: [logged] } = await client.query(
      `SELECT x.session_user_name FROM chronicle.row_log AS r JOIN chronicle.table_event_log AS e ON e.id = r.event_id
         JOIN chronicle.transaction_log AS x ON x.id = e.transaction_id WHERE r.table_id = $1 AND r.row_key = '{"id": 7}'`, [ordersId],
    );
    expect(logged.session_user_name).toBe(server.user);
  });

  it('does not let a role log its writes under another transaction by setting chronicle.transaction_log_id', async () => {
    const victim = (await client.query('SELECT min(id) AS id FROM chronicle.transaction_log')).rows[0].id;
    const app = await as(APP);
    await app.query('BEGIN');
    await app.query(`SELECT set_config('chronicle.transaction_log_id', pg_current_xact_id()::text || ':' || $1, false)`, [victim]);
    await app.query("INSERT INTO shop.orders VALUES (8, 'forged', 1, 1)");
    await app.query("SELECT set_config('chronicle.transaction_log_id', 'garbage', false)");
    await app.query("INSERT INTO shop.orders VALUES (9, 'forged', 1, 1)");
    await app.query('COMMIT');
    const { rows } = await client.query(
      `SELECT x.id, x.session_user_name FROM chronicle.row_log AS r JOIN chronicle.table_event_log AS e ON e.id = r.event_id
         JOIN chronicle.transaction_log AS x ON x.id = e.transaction_id
        WHERE r.table_id = $1 AND r.row_key IN ('{"id": 8}', '{"id": 9}') ORDER BY e.id`, [ordersId],
    );
    expect(rows).toHaveLength(2);
    expect(rows[0].id).not.toBe(victim);
    expect(rows[1].id).toBe(rows[0].id);
    expect(rows.map((r) => r.session_user_name)).toEqual([APP, APP]);
  });

  describe.each([
    // without USAGE on schema chronicle, nothing in it can even be named
    [APP, (_what: string): string => 'permission denied for schema chronicle'],
    [SNOOP, (what: string): string => `permission denied for ${what}`],
  ] as const)('%s, which writes an audited table', (role, denial) => {
    let session: Client;
    beforeAll(async () => { session = await as(role); });

    const denied = async (sql: string, message: string) => {
      const before = await logState(client);
      const error = await sqlError(session.query(sql));
      expect({ code: error.code, message: error.message }).toEqual({ code: '42501', message });
      expect(await logState(client)).toEqual(before);
    };

    it.each(LOG_TABLES)('cannot read chronicle.%s', async (table) => {
      await denied(`SELECT * FROM chronicle.${table}`, denial(`table ${table}`));
    });

    it('cannot read the view chronicle.audited_tables', async () => {
      await denied('SELECT * FROM chronicle.audited_tables', denial('view audited_tables'));
    });

    it.each(logWrites)('cannot change chronicle.%s: %s', async (table, _operation, sql) => {
      await denied(sql, denial(`table ${table}`));
    });

    it.each(setupCalls)('cannot call chronicle.%s', async (fn, sql) => {
      await denied(sql, denial(`function ${fn}`));
    });

    it('cannot call log_transaction, install_capture, the capture function or any other internal function', async () => {
      for (const [fn, sql] of internalCalls(ordersId)) await denied(sql, denial(`function ${fn}`));
    });
  });

  it('(control) the functions refused above exist and run for a superuser', async () => {
    const error = await sqlError(client.query(`SELECT chronicle.capture_${ordersId}()`));
    expect(error).toMatchObject({ code: '0A000', message: 'trigger functions can only be called as triggers' });
    expect((await client.query("SELECT chronicle.audit_key_columns('shop.orders') AS k")).rows[0].k).toBe('{id}');
  });

  describe('chronicle_viewer members', () => {
    let viewer: Client;
    beforeAll(async () => { viewer = await as(VIEWER); });

    it('read every log table and the view, as a superuser sees them', async () => {
      for (const relation of [...LOG_TABLES, 'audited_tables']) {
        const sql = `SELECT * FROM chronicle.${relation} ORDER BY 1, 2`;
        const seen = (await viewer.query(sql)).rows;
        expect(seen.length).toBeGreaterThan(0);
        expect(seen).toEqual((await client.query(sql)).rows);
      }
    });

    it('list every audited table, also those in schemas they may not use', async () => {
      await expect(viewer.query('SELECT * FROM vault.secrets')).rejects.toMatchObject({ code: '42501', message: 'permission denied for schema vault' });
      const { rows } = await viewer.query("SELECT audited_table::text, schema_name, table_name FROM chronicle.audited_tables WHERE schema_name = 'vault'");
      expect(rows).toEqual([{ audited_table: 'vault.secrets', schema_name: 'vault', table_name: 'secrets' }]);
    });

    it.each(logWrites)('cannot change chronicle.%s: %s', async (table, _operation, sql) => {
      const before = await logState(client);
      expect(await sqlError(viewer.query(sql))).toMatchObject({ code: '42501', message: `permission denied for table ${table}` });
      expect(await logState(client)).toEqual(before);
    });

    it('cannot run the setup functions nor the internal ones', async () => {
      for (const [fn, sql] of [...setupCalls, ...internalCalls(ordersId)]) {
        const before = await logState(client);
        expect(await sqlError(viewer.query(sql))).toMatchObject({ code: '42501', message: `permission denied for function ${fn}` });
        expect(await logState(client)).toEqual(before);
      }
    });
  });

  describe('chronicle_admin members', () => {
    let admin: Client;
    beforeAll(async () => { admin = await as(ADMIN, 'chronicle-sec-admin'); });

    it('run the setup functions on a table they have no privilege on, and read the log', async () => {
      await expect(admin.query('SELECT * FROM shop.items')).rejects.toMatchObject({ code: '42501' });
      const id = Number((await admin.query("SELECT chronicle.create_table_audit('shop.items', excluded_columns => '{secret}', log_baseline => true) AS id")).rows[0].id);
      await admin.query("SELECT chronicle.create_table_audit('shop.items', log_new_data => true, excluded_columns => '{secret}')");
      expect((await admin.query("SELECT chronicle.log_table_baseline('shop.items') AS n")).rows[0].n).toBe('2');
      await client.query("UPDATE shop.items SET label = 'FIRST' WHERE sku = 'a-1'");
      const baseline = [
        ['BASELINE', { sku: 'a-1' }, null, { sku: 'a-1', label: 'first' }],
        ['BASELINE', { sku: 'b-2' }, null, { sku: 'b-2', label: 'second' }],
      ] as [string, unknown, unknown, unknown][];
      expect(await rowLogOf(admin, id)).toEqual(await canonicalEntries(client, [
        ...baseline, ...baseline, ['UPDATE', { sku: 'a-1' }, { label: 'first' }, { label: 'FIRST' }],
      ]));
      expect((await admin.query('SELECT audited_table::text, log_new_data, excluded_columns FROM chronicle.audited_tables WHERE table_id = $1', [id])).rows)
        .toEqual([{ audited_table: 'shop.items', log_new_data: true, excluded_columns: '{secret}' }]);
      // the setup transactions are logged under the admin's name
      const setupBy = (await client.query(
        `SELECT DISTINCT x.session_user_name, x.application_name FROM chronicle.audit_table_log AS t
           JOIN chronicle.transaction_log AS x ON x.id = t.valid_from WHERE t.table_id = $1`, [id],
      )).rows;
      expect(setupBy).toEqual([{ session_user_name: ADMIN, application_name: 'chronicle-sec-admin' }]);

      await admin.query("SELECT chronicle.drop_table_audit('shop.items', keep_log => false)");
      expect((await client.query('SELECT FROM chronicle.audit_table_log WHERE table_id = $1', [id])).rowCount).toBe(0);
      await client.query('CREATE SCHEMA adm; CREATE TABLE adm.a (id integer PRIMARY KEY); CREATE TABLE adm.b (id integer PRIMARY KEY)');
      expect((await admin.query("SELECT chronicle.create_schema_audit('adm') AS n")).rows[0].n).toBe(2);
      expect((await admin.query("SELECT chronicle.drop_schema_audit('adm') AS n")).rows[0].n).toBe(2);
    });

    it('cannot change the log directly nor call the internal functions', async () => {
      for (const [table, , sql] of logWrites) {
        expect(await sqlError(admin.query(sql))).toMatchObject({ code: '42501', message: `permission denied for table ${table}` });
      }
      const before = await logState(client);
      for (const [fn, sql] of internalCalls(ordersId)) {
        expect(await sqlError(admin.query(sql))).toMatchObject({ code: '42501', message: `permission denied for function ${fn}` });
      }
      expect(await logState(client)).toEqual(before);
    });
  });

  describe('objects planted in public and in the search_path', () => {
    // Functions, each of which records that it was called. The ones with exact argument types
    // would beat pg_catalog's polymorphic or variadic functions wherever they are visible.
    const functions: [string, string, string, string][] = [
      // name, arguments, result, returned expression
      ['to_jsonb', 'anyelement', 'jsonb', 'pg_catalog.to_jsonb($1)'],
      ['to_jsonb', 'public.target', 'jsonb', 'pg_catalog.to_jsonb($1)'],
      ['to_jsonb', 'record', 'jsonb', 'pg_catalog.to_jsonb($1)'],
      ['jsonb_build_object', 'text, integer', 'jsonb', 'pg_catalog.jsonb_build_object($1, $2)'],
      ['jsonb_build_object', 'text, text', 'jsonb', 'pg_catalog.jsonb_build_object($1, $2)'],
      ['jsonb_build_object', 'text, numeric', 'jsonb', 'pg_catalog.jsonb_build_object($1, $2)'],
      ['jsonb_build_object', 'text, public.mood', 'jsonb', 'pg_catalog.jsonb_build_object($1, $2)'],
      ['format', 'text, text', 'text', 'pg_catalog.format($1, $2)'],
      ['format', 'text, regclass', 'text', 'pg_catalog.format($1, $2)'],
      ['format', 'text, bigint', 'text', 'pg_catalog.format($1, $2)'],
      ['format', 'text, name, name', 'text', 'pg_catalog.format($1, $2, $3)'],
      ['log_transaction', '', 'bigint', '-1'],
      ['row_number', '', 'bigint', '-1'],
      ['now', '', 'timestamptz', 'pg_catalog.now()'],
      ['statement_timestamp', '', 'timestamptz', 'pg_catalog.statement_timestamp()'],
      ['transaction_timestamp', '', 'timestamptz', 'pg_catalog.transaction_timestamp()'],
      ['current_setting', 'text', 'text', 'pg_catalog.current_setting($1)'],
      ['current_setting', 'text, boolean', 'text', 'pg_catalog.current_setting($1, $2)'],
      ['set_config', 'text, text, boolean', 'text', 'pg_catalog.set_config($1, $2, $3)'],
      ['pg_current_xact_id', '', 'xid8', 'pg_catalog.pg_current_xact_id()'],
      ['inet_client_addr', '', 'inet', 'pg_catalog.inet_client_addr()'],
      ['inet_client_port', '', 'integer', 'pg_catalog.inet_client_port()'],
      ['split_part', 'text, text, integer', 'text', 'pg_catalog.split_part($1, $2, $3)'],
      ['jsonb_typeof', 'jsonb', 'text', 'pg_catalog.jsonb_typeof($1)'],
      ['jsonb_hash', 'jsonb', 'integer', 'pg_catalog.jsonb_hash($1)'],
      ['quote_ident', 'text', 'text', 'pg_catalog.quote_ident($1)'],
      ['cardinality', 'name[]', 'integer', 'pg_catalog.cardinality($1)'],
      ['array_position', 'name[], name', 'integer', 'pg_catalog.array_position($1, $2)'],
      ['format_type', 'oid, integer', 'text', 'pg_catalog.format_type($1, $2)'],
      ['pg_get_expr', 'pg_node_tree, oid', 'text', 'pg_catalog.pg_get_expr($1, $2)'],
      ['to_regclass', 'text', 'regclass', 'pg_catalog.to_regclass($1)'],
      ['to_regprocedure', 'text', 'regprocedure', 'pg_catalog.to_regprocedure($1)'],
      ['nextval', 'regclass', 'bigint', 'pg_catalog.nextval($1)'],
      ['substr', 'text, integer', 'text', 'pg_catalog.substr($1, $2)'],
      ['lower', 'text', 'text', 'pg_catalog.lower($1)'],
    ];
    // Operators: name, left type, right type, the pg_catalog operator the function falls back on.
    const operators: [string, string, string, string][] = [
      ['=', 'name[]', 'name[]', '$1::text[] OPERATOR(pg_catalog.=) $2::text[]'],
      ['&&', 'name[]', 'name[]', '$1::text[] OPERATOR(pg_catalog.&&) $2::text[]'],
      ['<>', 'name[]', 'name[]', '$1::text[] OPERATOR(pg_catalog.<>) $2::text[]'],
      ['=', 'text', 'text', '$1 OPERATOR(pg_catalog.=) $2'],
      ['<>', 'text', 'text', '$1 OPERATOR(pg_catalog.<>) $2'],
      ['=', 'integer', 'integer', '$1 OPERATOR(pg_catalog.=) $2'],
      ['=', 'bigint', 'bigint', '$1 OPERATOR(pg_catalog.=) $2'],
      ['=', 'public.mood', 'public.mood', '$1 OPERATOR(pg_catalog.=) $2'],
      ['=', 'xid8', 'xid8', '$1 OPERATOR(pg_catalog.=) $2'],
      ['=', 'timestamptz', 'timestamptz', '$1 OPERATOR(pg_catalog.=) $2'],
      ['*<>', 'record', 'record', '$1 OPERATOR(pg_catalog.*<>) $2'],
      ['*<>', 'public.target', 'public.target', '$1 OPERATOR(pg_catalog.*<>) $2'],
      ['||', 'jsonb', 'jsonb', '$1 OPERATOR(pg_catalog.||) $2'],
      ['-', 'jsonb', 'text[]', '$1 OPERATOR(pg_catalog.-) $2'],
    ];
    let planter: Client;
    const PLANTED = 'planted';
    const calls = async () => (await client.query('SELECT what FROM planted.calls ORDER BY what')).rows.map((r) => r.what);

    beforeAll(async () => {
      await client.query(`
        GRANT CREATE ON SCHEMA public TO ${PLANTER};
        CREATE SCHEMA ${PLANTED} AUTHORIZATION ${PLANTER};
        CREATE TYPE public.mood AS ENUM ('ok', 'meh');
        CREATE TABLE public.target (id integer PRIMARY KEY, name text, qty integer, price numeric(8,2), mood public.mood,
                                    tags text[], doc jsonb, note varchar(20), at timestamptz);
        CREATE TABLE public.target2 (id integer PRIMARY KEY, secret text, v text);
        INSERT INTO public.target2 VALUES (1, 's', 'a'), (2, 't', 'b');
        CREATE SCHEMA plantzone;
        CREATE TABLE plantzone.z (id integer PRIMARY KEY, v text);
        GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON public.target TO ${APP}`);
      planter = await as(PLANTER);
      await planter.query(`
        CREATE TABLE ${PLANTED}.calls (what text NOT NULL, by_role name NOT NULL DEFAULT current_user);
        GRANT USAGE ON SCHEMA ${PLANTED} TO PUBLIC`);
      for (const schema of ['public', PLANTED]) {
        for (const [name, args, result, expression] of functions) {
          const what = `${schema}.${name}(${args})`;
          await planter.query(`CREATE FUNCTION ${schema}.${name}(${args}) RETURNS ${result} LANGUAGE plpgsql SECURITY DEFINER AS $plant$
            BEGIN INSERT INTO ${PLANTED}.calls (what) VALUES (${literal(what)}); RETURN ${expression}; END $plant$`);
        }
        await planter.query(`CREATE FUNCTION ${schema}.unnest(name[]) RETURNS SETOF name LANGUAGE plpgsql SECURITY DEFINER AS $plant$
          BEGIN INSERT INTO ${PLANTED}.calls (what) VALUES (${literal(`${schema}.unnest(name[])`)}); RETURN QUERY SELECT pg_catalog.unnest($1); END $plant$`);
        for (const [i, [op, left, right, expression]] of operators.entries()) {
          const what = `${schema}.${op}(${left}, ${right})`;
          const returns = op === '||' || op === '-' ? 'jsonb' : 'boolean';
          await planter.query(`CREATE FUNCTION ${schema}.chronicle_plant_${i}(${left}, ${right}) RETURNS ${returns} LANGUAGE plpgsql SECURITY DEFINER AS $plant$
            BEGIN INSERT INTO ${PLANTED}.calls (what) VALUES (${literal(what)}); RETURN ${expression}; END $plant$`);
          await planter.query(`CREATE OPERATOR ${schema}.${op} (LEFTARG = ${left}, RIGHTARG = ${right}, FUNCTION = ${schema}.chronicle_plant_${i})`);
        }
      }
    });

    it('(control) the planted objects win where the search_path is not locked', async () => {
      await client.query(`SET search_path = ${PLANTED}, public`);
      try {
        // (a plant with the very signature of a pg_catalog function never wins: pg_catalog is
        // searched first unless the search_path names it later)
        await client.query(`SELECT ARRAY['a']::name[] = ARRAY['a']::name[],
                                   to_jsonb(ROW(1, 'x', 1, 1, 'ok', '{}', '{}', 'n', now())::public.target),
                                   format('%I.%I', 'a'::name, 'b'::name),
                                   jsonb_build_object('k', 1)`);
      } finally {
        await client.query('RESET search_path');
      }
      expect(await calls()).toEqual([
        `${PLANTED}.=(name[], name[])`, `${PLANTED}.format(text, name, name)`,
        `${PLANTED}.jsonb_build_object(text, integer)`, `${PLANTED}.to_jsonb(public.target)`,
      ].sort());
      await client.query('TRUNCATE planted.calls');
    });

    it('are never called by capture, whoever writes, whatever the search_path', async () => {
      await client.query(`SET search_path = ${PLANTED}, public`);
      let id: number;
      try {
        id = Number((await client.query("SELECT chronicle.create_table_audit('target', log_new_data => true) AS id")).rows[0].id);
      } finally {
        await client.query('RESET search_path');
      }
      const app = await as(APP);
      await app.query(`SET search_path = ${PLANTED}, public;
        CREATE TEMP TABLE new_rows (id integer); CREATE TEMP TABLE old_rows (id integer);
        CREATE TEMP TABLE event (id bigint); CREATE TEMP TABLE changes (row_key jsonb)`);
      await app.query(`INSERT INTO target VALUES
        (1, 'one', 1, 1.10, 'ok', '{a}', '{"k": 1}', 'n1', '2024-01-01 00:00+00'),
        (2, 'two', 2, 2.20, 'meh', '{b,c}', '[1]', 'n2', NULL)`);
      await app.query(`UPDATE target SET qty = qty + 1, price = 1.2, mood = 'meh', tags = '{a,z}', doc = '{"k": 1.0}', note = 'N1' WHERE id = 1`);
      await app.query("UPDATE target SET id = 3, name = 'three' WHERE id = 2");
      await app.query("INSERT INTO target VALUES (3, 'x') ON CONFLICT (id) DO UPDATE SET name = excluded.name");
      await app.query('DELETE FROM target WHERE id = 1');
      await app.query('TRUNCATE target');
      await app.query('RESET search_path');
      expect(await rowLogOf(client, id)).toEqual(await canonicalEntries(client, [
        ['INSERT', { id: 1 }, null, '{"id": 1, "name": "one", "qty": 1, "price": 1.10, "mood": "ok", "tags": ["a"], "doc": {"k": 1}, "note": "n1", "at": "2024-01-01T00:00:00+00:00"}'],
        ['INSERT', { id: 2 }, null, '{"id": 2, "name": "two", "qty": 2, "price": 2.20, "mood": "meh", "tags": ["b", "c"], "doc": [1], "note": "n2", "at": null}'],
        ['UPDATE', { id: 1 }, '{"qty": 1, "price": 1.10, "mood": "ok", "tags": ["a"], "doc": {"k": 1}, "note": "n1"}',
          '{"qty": 2, "price": 1.20, "mood": "meh", "tags": ["a", "z"], "doc": {"k": 1.0}, "note": "N1"}'],
        ['UPDATE', { id: 3 }, { id: 2, name: 'two' }, { id: 3, name: 'three' }],
        ['UPDATE', { id: 3 }, { name: 'three' }, { name: 'x' }],
        ['DELETE', { id: 1 }, '{"id": 1, "name": "one", "qty": 2, "price": 1.20, "mood": "meh", "tags": ["a", "z"], "doc": {"k": 1.0}, "note": "N1", "at": "2024-01-01T00:00:00+00:00"}', null],
        ['TRUNCATE', { id: 3 }, '{"id": 3, "name": "x", "qty": 2, "price": 2.20, "mood": "meh", "tags": ["b", "c"], "doc": [1], "note": "n2", "at": null}', null],
      ]));
      expect(await calls()).toEqual([]);
    });

    it('are never called by the setup functions, whatever the search_path', async () => {
      await client.query(`SET search_path = ${PLANTED}, public`);
      let id: number;
      try {
        id = Number((await client.query("SELECT chronicle.create_table_audit('target2', excluded_columns => '{secret}', log_baseline => true) AS id")).rows[0].id);
        await client.query("SELECT chronicle.create_table_audit('target2', excluded_columns => '{secret}')");
        await client.query("SELECT chronicle.create_table_audit('target2', log_new_data => true, excluded_columns => '{secret}')");
        await client.query("UPDATE target2 SET v = 'A', secret = 'S' WHERE id = 1");
        await client.query("SELECT chronicle.log_table_baseline('target2')");
        await client.query('SELECT * FROM chronicle.audited_tables');
        await client.query("SELECT chronicle.create_schema_audit('plantzone', log_new_data => true)");
        await client.query("INSERT INTO plantzone.z VALUES (1, 'z')");
        await client.query("SELECT chronicle.drop_schema_audit('plantzone')");
        await client.query("SELECT chronicle.drop_table_audit('target2')");
      } finally {
        await client.query('RESET search_path');
      }
      expect(await rowLogOf(client, id)).toEqual(await canonicalEntries(client, [
        ['BASELINE', { id: 1 }, null, { id: 1, v: 'a' }],
        ['BASELINE', { id: 2 }, null, { id: 2, v: 'b' }],
        ['UPDATE', { id: 1 }, { v: 'a' }, { v: 'A' }],
        ['BASELINE', { id: 1 }, null, { id: 1, v: 'A' }],
        ['BASELINE', { id: 2 }, null, { id: 2, v: 'b' }],
      ]));
      const z = (await client.query("SELECT table_id FROM chronicle.audit_table_log WHERE schema_name = 'plantzone'")).rows[0].table_id;
      expect(await rowLogOf(client, z)).toEqual(await canonicalEntries(client, [['INSERT', { id: 1 }, null, { id: 1, v: 'z' }]]));
      expect(await calls()).toEqual([]);
    });
  });

  describe('values of types a role created', () => {
    // to_jsonb converts a value of a type that is not built in with the type's cast to json, when
    // there is one, and a cast to text is the owner's too: the capture runs as a superuser, so it
    // must never call them. Each cast here records who calls it.
    it('are logged as their text forms, and no cast of theirs runs, when an application role writes and drops them', async () => {
      await client.query(`CREATE TABLE public.chronicle_sec_casts (who name, superuser boolean);
        GRANT INSERT ON public.chronicle_sec_casts TO PUBLIC;
        CREATE SCHEMA lure_types;
        GRANT USAGE, CREATE ON SCHEMA lure_types TO ${APP};
        SELECT chronicle.create_schema_audit('lure_types', auto_audit_new_tables => true)`);
      const app = await as(APP);
      const note = `INSERT INTO public.chronicle_sec_casts SELECT current_user, r.rolsuper FROM pg_roles AS r WHERE r.rolname = current_user`;
      await app.query(`
        CREATE TYPE lure_types.mood AS ENUM ('ok', 'sad');
        CREATE TYPE lure_types.span AS RANGE (subtype = integer);
        CREATE TYPE lure_types.pair AS (n integer, m lure_types.mood);
        CREATE FUNCTION lure_types.mood_json(lure_types.mood) RETURNS json LANGUAGE plpgsql AS $f$ BEGIN ${note}; RETURN '"cast"'; END $f$;
        CREATE FUNCTION lure_types.mood_text(lure_types.mood) RETURNS text LANGUAGE plpgsql AS $f$ BEGIN ${note}; RETURN 'cast'; END $f$;
        CREATE FUNCTION lure_types.span_json(lure_types.span) RETURNS json LANGUAGE plpgsql AS $f$ BEGIN ${note}; RETURN '"cast"'; END $f$;
        CREATE FUNCTION lure_types.pair_text(lure_types.pair) RETURNS text LANGUAGE plpgsql AS $f$ BEGIN ${note}; RETURN 'cast'; END $f$;
        CREATE CAST (lure_types.mood AS json) WITH FUNCTION lure_types.mood_json(lure_types.mood);
        CREATE CAST (lure_types.mood AS text) WITH FUNCTION lure_types.mood_text(lure_types.mood);
        CREATE CAST (lure_types.span AS json) WITH FUNCTION lure_types.span_json(lure_types.span);
        CREATE CAST (lure_types.pair AS text) WITH FUNCTION lure_types.pair_text(lure_types.pair);
        CREATE TABLE lure_types.t (id integer PRIMARY KEY, m lure_types.mood, ms lure_types.mood[], r lure_types.span,
                                   p lure_types.pair, f float8[], gone lure_types.mood);
        CREATE TABLE lure_types.k (m lure_types.mood PRIMARY KEY, v integer)`);
      await app.query(`
        INSERT INTO lure_types.t VALUES (1, 'ok', '{ok,sad}', '[1,5)', '(1,ok)', '[0:0]={-0}', 'sad'), (2, NULL, NULL, NULL, NULL, NULL, NULL);
        UPDATE lure_types.t SET m = 'sad', ms = '{sad}', r = '[2,3)', p = '(2,sad)', f = '{1.5}' WHERE id = 1;
        INSERT INTO lure_types.k VALUES ('ok', 1); UPDATE lure_types.k SET m = 'sad'; DELETE FROM lure_types.k`);
      await client.query("SELECT chronicle.log_table_baseline('lure_types.t')");
      await app.query(`ALTER TABLE lure_types.t DROP COLUMN gone; DELETE FROM lure_types.t WHERE id = 2; TRUNCATE lure_types.t`);

      expect((await client.query('SELECT who::text, superuser FROM public.chronicle_sec_casts')).rows).toEqual([]);
      const ids = Object.fromEntries((await client.query(
        "SELECT table_name, table_id FROM chronicle.audited_tables WHERE schema_name = 'lure_types'")).rows.map((r) => [r.table_name, r.table_id]));
      const row1 = { id: 1, m: 'ok', ms: '{ok,sad}', r: '[1,5)', p: '(1,ok)', f: '[0:0]={-0}', gone: 'sad' };
      const row2 = { id: 2, m: null, ms: null, r: null, p: null, f: null, gone: null };
      const row1After = { ...row1, m: 'sad', ms: '{sad}', r: '[2,3)', p: '(2,sad)', f: [1.5] };
      const without = ({ gone: _gone, ...rest }: Record<string, unknown>) => rest;
      expect(await rowLogOf(client, ids.t)).toEqual(await canonicalEntries(client, [
        ['INSERT', { id: 1 }, null, null],
        ['INSERT', { id: 2 }, null, null],
        ['UPDATE', { id: 1 }, { m: 'ok', ms: '{ok,sad}', r: '[1,5)', p: '(1,ok)', f: '[0:0]={-0}' }, null],
        ['BASELINE', { id: 1 }, null, row1After],
        ['BASELINE', { id: 2 }, null, row2],
        // the dropped column's values, logged by DDL capture
        ['DROP COLUMN', { id: 1 }, { gone: 'sad' }, null],
        ['DROP COLUMN', { id: 2 }, { gone: null }, null],
        ['DELETE', { id: 2 }, without(row2), null],
        ['TRUNCATE', { id: 1 }, without(row1After), null],
      ]));
      expect(await rowLogOf(client, ids.k)).toEqual(await canonicalEntries(client, [
        ['INSERT', { m: 'ok' }, null, null],
        ['UPDATE', { m: 'sad' }, { m: 'ok' }, null],
        ['DELETE', { m: 'sad' }, { m: 'sad', v: 1 }, null],
      ]));
    });
  });

  describe('names made to break out of the generated capture code', () => {
    // A line break ends the comment that names the table in the capture function; "$capture$"
    // was the tag of its dollar quotes. Both came from the table's creator, who need not be
    // trusted where new tables are audited on creation.
    const lineBreak = 'x\nDECLARE p int := public.chronicle_sec_pwned(); --';
    const dollars = ['$capture$', 'a$capture_$b', '$capture'];

    it('are logged as any name, and run nothing, when an application role creates them in an auto-audited schema', async () => {
      await client.query(`CREATE TABLE public.chronicle_sec_calls (n integer);
        CREATE FUNCTION public.chronicle_sec_pwned() RETURNS integer LANGUAGE sql
          AS $$ INSERT INTO public.chronicle_sec_calls VALUES (1) RETURNING 1 $$;
        GRANT EXECUTE ON FUNCTION public.chronicle_sec_pwned() TO PUBLIC;
        CREATE SCHEMA lure;
        GRANT USAGE, CREATE ON SCHEMA lure TO ${APP};
        SELECT chronicle.create_schema_audit('lure', auto_audit_new_tables => true)`);
      const app = await as(APP);
      const table = `lure."${lineBreak.replace(/"/g, '""')}"`;
      await app.query(`CREATE TABLE ${table} (id integer PRIMARY KEY, v text)`);
      await app.query(`CREATE TABLE lure."x$capture$" (id integer PRIMARY KEY, ${dollars.map((c) => `"${c}" text`).join(', ')})`);
      await app.query(`INSERT INTO ${table} VALUES (1, 'a'); UPDATE ${table} SET v = 'b'; DELETE FROM ${table}`);
      await app.query(`INSERT INTO lure."x$capture$" VALUES (1, 'p', 'q', 'r');
        UPDATE lure."x$capture$" SET "$capture$" = 'P', "$capture" = 'R'; TRUNCATE lure."x$capture$"`);

      expect((await client.query('SELECT count(*)::int AS n FROM public.chronicle_sec_calls')).rows[0].n).toBe(0);
      const ids = Object.fromEntries((await client.query(
        "SELECT table_name, table_id FROM chronicle.audited_tables WHERE schema_name = 'lure'")).rows.map((r) => [r.table_name, r.table_id]));
      expect(Object.keys(ids).sort()).toEqual([lineBreak, 'x$capture$'].sort());
      expect(await rowLogOf(client, ids[lineBreak])).toEqual(await canonicalEntries(client, [
        ['INSERT', { id: 1 }, null, null],
        ['UPDATE', { id: 1 }, { v: 'a' }, null],
        ['DELETE', { id: 1 }, { id: 1, v: 'b' }, null],
      ]));
      expect(await rowLogOf(client, ids['x$capture$'])).toEqual(await canonicalEntries(client, [
        ['INSERT', { id: 1 }, null, null],
        ['UPDATE', { id: 1 }, { $capture: 'r', $capture$: 'p' }, null],
        ['TRUNCATE', { id: 1 }, { id: 1, $capture: 'R', $capture$: 'P', a$capture_$b: 'q' }, null],
      ]));
    });
  });
});

function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
