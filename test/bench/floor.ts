/**
 * The floor: the least any capture built the way DESIGN.md prescribes must write, measured on a
 * third copy of the table. Its trigger is the design's skeleton with everything that is a choice
 * of chronicle's taken out: one SECURITY DEFINER PL/pgSQL function with a locked search_path
 * (DESIGN.md §3, security), fired once per statement with transition tables, writing a
 * transaction row, an event row and one row_log row per changed row, with the row's key as
 * jsonb, into tables of the log's shape with the log's indexes. What it leaves out:
 * - finding the transaction's row (each benchmark statement is its own transaction, so it just
 *   inserts one) and the commit stamp;
 * - the order of nested statements (the BEFORE statement trigger);
 * - pairing old and new rows and comparing them: the workloads change only column a, which the
 *   floor knows, so it logs that column's old value without looking at the new row;
 * - everything a statement that changed no row, or a key, or a partition, would need.
 * So chronicle cannot be cheaper than the floor; the distance between the two is what its
 * choices cost, and a target below the floor cannot be met by this design.
 *
 * The floor of a revert is its inverse statement written by hand over the floor's log, reading
 * the logged values as chronicle's revert reads them, and logged by the floor's capture (a
 * revert is itself logged): without conflict checks, guards, or anything else a revert must do
 * besides.
 */
import type { Client } from 'pg';
import format from 'pg-format';

/** chronicle's log table whose shape it copies -> the floor's log table, in the benchmark schema */
const FLOOR_LOG_TABLES: Record<string, string> = {
  row_log: 'floor_row_log',
  table_event_log: 'floor_table_event_log',
  transaction_log: 'floor_transaction_log',
};

/** The key as chronicle's capture writes it for a bigint key named id (its cheapest form measured). */
const key = (alias: string) => `('{"id": ' || (${alias}.id)::pg_catalog.text || '}')::pg_catalog.jsonb`;

function captureFunction(schema: string): string {
  const log = (table: string) => format('%I.%I', schema, table);
  return `
CREATE FUNCTION ${format('%I.floor_capture', schema)}() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $floor$
DECLARE
    v_transaction bigint;
    v_event bigint;
BEGIN
    INSERT INTO ${log('floor_transaction_log')} (txid, started_at, session_user_name, client_addr, client_port, application_name)
    VALUES (pg_catalog.pg_current_xact_id(), pg_catalog.transaction_timestamp(), session_user, pg_catalog.inet_client_addr(),
            pg_catalog.inet_client_port(), pg_catalog.current_setting('application_name'))
    RETURNING id INTO v_transaction;
    INSERT INTO ${log('floor_table_event_log')} (transaction_id, table_id, operation, statement_at, nesting_depth, statement_order)
    VALUES (v_transaction, 1, TG_OP::chronicle.event_operation, pg_catalog.statement_timestamp(), 1, 0)
    RETURNING id INTO v_event;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO ${log('floor_row_log')} (event_id, table_id, row_key)
        SELECT v_event, 1, ${key('n')} FROM new_rows AS n;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO ${log('floor_row_log')} (event_id, table_id, row_key, old_data)
        SELECT v_event, 1, ${key('o')}, pg_catalog.jsonb_build_object('a', o.a) FROM old_rows AS o;
    ELSE
        INSERT INTO ${log('floor_row_log')} (event_id, table_id, row_key, old_data)
        SELECT v_event, 1, ${key('o')}, pg_catalog.to_jsonb(o.*) FROM old_rows AS o;
    END IF;
    RETURN NULL;
END
$floor$`;
}

/**
 * Creates the floor's log tables (columns, identity and indexes of chronicle's, BRIN options
 * included; no defaults: the trigger gives every value) and puts its triggers on table.
 */
export async function createFloor(client: Client, schema: string, table: string): Promise<void> {
  for (const [shape, name] of Object.entries(FLOOR_LOG_TABLES)) {
    await client.query(format('CREATE TABLE %I.%I (LIKE chronicle.%I INCLUDING IDENTITY INCLUDING INDEXES) WITH (autovacuum_enabled = off)',
      schema, name, shape));
  }
  await client.query(captureFunction(schema));
  // UPDATE keeps the new rows too, although the floor does not read them: any capture must, to
  // see which columns changed and to log nothing for a row that did not change.
  const triggers: [string, string][] = [
    ['INSERT', 'NEW TABLE AS new_rows'], ['UPDATE', 'OLD TABLE AS old_rows NEW TABLE AS new_rows'], ['DELETE', 'OLD TABLE AS old_rows'],
  ];
  for (const [operation, transition] of triggers) {
    await client.query(format('CREATE TRIGGER %I AFTER %s ON %s REFERENCING %s FOR EACH STATEMENT EXECUTE FUNCTION %I.floor_capture()',
      `floor_capture_${operation.toLowerCase()}`, operation, table, transition, schema));
  }
}

/** The floor's last event (that of the statement a floor revert undoes). */
export function floorLastEvent(schema: string): string {
  return format('SELECT max(id)::text AS id FROM %I.floor_table_event_log', schema);
}

/**
 * A floor revert's transaction: the statement with the memory chronicle's revert gives itself
 * (work_mem of 64MB, so that the capture's transition tables stay in memory, as they do in
 * chronicle's revert).
 */
function floorRevert(statement: string): string {
  return `BEGIN; SET LOCAL work_mem = '64MB'; ${statement}; COMMIT`;
}

/** The floor's revert of the bulk UPDATE of column a, event. */
export function floorRevertUpdate(schema: string, table: string, event: string): string {
  return floorRevert(format(`UPDATE %s AS t SET a = (r.old_data ->> 'a')::integer FROM %I.floor_row_log AS r
                              WHERE r.event_id = %L::bigint AND t.id = (r.row_key ->> 'id')::bigint`, table, schema, event));
}

/** The floor's revert of the bulk DELETE, event: the logged rows inserted again. */
export function floorRevertDelete(schema: string, table: string, event: string): string {
  return floorRevert(format(`INSERT INTO %s (id, a, b, c, d, e, f, g)
                 SELECT (r.old_data ->> 'id')::bigint, (r.old_data ->> 'a')::integer, r.old_data ->> 'b', (r.old_data ->> 'c')::numeric(12,2),
                        (r.old_data ->> 'd')::timestamptz, (r.old_data ->> 'e')::boolean, r.old_data -> 'f', r.old_data ->> 'g'
                   FROM %I.floor_row_log AS r WHERE r.event_id = %L::bigint`, table, schema, event));
}

/** The floor's log tables, quoted and qualified, by the name of chronicle's table they copy. */
export function floorLog(schema: string): Record<string, string> {
  return Object.fromEntries(Object.entries(FLOOR_LOG_TABLES).map(([shape, name]) => [shape, format('%I.%I', schema, name)]));
}
