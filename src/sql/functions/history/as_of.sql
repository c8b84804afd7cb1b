-- Reading the past (docs/time-travel.md): as_of and restore_recordset. Each takes a point as a
-- mark name or a timestamp (text), a timestamptz, or a transaction_log id (bigint); see cut.sql.
-- They run as the caller, who needs to read the log (chronicle_viewer) and the table.

-- The table_id of an audited table, by its current name.
CREATE OR REPLACE FUNCTION chronicle.history_table_id(relation regclass)
RETURNS integer
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_table_id integer;
BEGIN
    IF relation IS NULL THEN
        RAISE EXCEPTION 'the table is NULL' USING ERRCODE = 'null_value_not_allowed', HINT = 'Name an audited table.';
    END IF;
    SELECT v.table_id INTO v_table_id
    FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    JOIN chronicle.audit_table_log AS v ON v.schema_name = n.nspname AND v.table_name = c.relname AND v.valid_until IS NULL
    WHERE c.oid = relation;
    IF v_table_id IS NULL THEN
        RAISE EXCEPTION 'table % is not audited', relation
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'chronicle keeps the history of audited tables only (chronicle.audited_tables); a dropped one is rebuilt with chronicle.restore_schema_state.';
    END IF;
    RETURN v_table_id;
END
$function$;

-- The rows of an audited table at a cut, in today's row type (columns added later and columns
-- not logged are NULL).
CREATE OR REPLACE FUNCTION chronicle.as_of_cut(relation anyelement, cut chronicle.cut)
RETURNS SETOF anyelement
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, MDY'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 1
SET bytea_output = 'hex'
SET lc_monetary = 'C'
-- a state sorts and hashes every changed row once: in memory, not in temporary files
SET work_mem = '64MB'
AS $function$
DECLARE
    v_relation regclass;
BEGIN
    SELECT t.typrelid::regclass INTO v_relation
    FROM pg_catalog.pg_type AS t JOIN pg_catalog.pg_class AS c ON c.oid = t.typrelid AND c.relkind IN ('r', 'p')
    WHERE t.oid = pg_catalog.pg_typeof(relation);
    IF v_relation IS NULL THEN
        RAISE EXCEPTION 'as_of takes a row of an audited table, not %', pg_catalog.pg_typeof(relation)
            USING ERRCODE = 'wrong_object_type', HINT = 'Pass the table''s row type, e.g. chronicle.as_of(NULL::public.orders, ''2026-11-01'').';
    END IF;
    RETURN QUERY EXECUTE chronicle.state_query(chronicle.history_table_id(v_relation), cut, 'now');
END
$function$;

CREATE OR REPLACE FUNCTION chronicle.as_of(relation anyelement, point text)
RETURNS SETOF anyelement
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT * FROM chronicle.as_of_cut(relation, chronicle.cut(point))
$function$;

CREATE OR REPLACE FUNCTION chronicle.as_of(relation anyelement, point timestamptz)
RETURNS SETOF anyelement
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT * FROM chronicle.as_of_cut(relation, chronicle.cut(point))
$function$;

CREATE OR REPLACE FUNCTION chronicle.as_of(relation anyelement, point bigint)
RETURNS SETOF anyelement
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT * FROM chronicle.as_of_cut(relation, chronicle.cut(point))
$function$;

-- The jsonb of a row of a state in the table's shape then (a row of state_query(..., 'then')
-- named row_alias), with values as the log writes them: to_jsonb's form, or the text form where
-- to_jsonb would lose part of a value (float -0, array lower bounds; see capture_value.sql), so
-- that jsonb_populate_record reads every value back exactly. Run it with the settings of the
-- capture (extra_float_digits and the others), as state_rows_jsonb and state_row do.
CREATE OR REPLACE FUNCTION chronicle.state_jsonb_expression(table_id integer, cut chronicle.cut, row_alias text)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_corrections text;
BEGIN
    SELECT pg_catalog.string_agg(' || ' || chronicle.capture_text_correction(x.column_name, x.condition, x.value), '' ORDER BY x.n)
    INTO v_corrections
    FROM (SELECT c.n, c.column_name, pg_catalog.format('%s.%I', row_alias, c.column_name) AS value,
                 chronicle.capture_lossy_condition(c.data_type::pg_catalog.regtype, pg_catalog.format('%s.%I', row_alias, c.column_name)) AS condition
          FROM chronicle.state_columns(table_id, cut) WITH ORDINALITY AS c(column_name, data_type, logged, current_name, n)) AS x
    WHERE x.condition IS NOT NULL;
    RETURN pg_catalog.format('(pg_catalog.to_jsonb(%s.*)%s)', row_alias, coalesce(v_corrections, ''));
END
$function$;

-- The rows of an audited table at a cut as jsonb, in the table's shape then: the columns of the
-- time under their names of the time (columns not logged are null).
CREATE OR REPLACE FUNCTION chronicle.state_rows_jsonb(table_id integer, cut chronicle.cut)
RETURNS SETOF jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, MDY'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 1
SET bytea_output = 'hex'
SET lc_monetary = 'C'
-- a state sorts and hashes every changed row once: in memory, not in temporary files
SET work_mem = '64MB'
AS $function$
BEGIN
    RETURN QUERY EXECUTE pg_catalog.format('SELECT %s FROM (%s) AS s', chronicle.state_jsonb_expression(table_id, cut, 's'),
                                           chronicle.state_query(table_id, cut, 'then'));
END
$function$;

CREATE OR REPLACE FUNCTION chronicle.restore_recordset(relation regclass, point text)
RETURNS SETOF jsonb
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT * FROM chronicle.state_rows_jsonb(chronicle.history_table_id(relation), chronicle.cut(point))
$function$;

CREATE OR REPLACE FUNCTION chronicle.restore_recordset(relation regclass, point timestamptz)
RETURNS SETOF jsonb
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT * FROM chronicle.state_rows_jsonb(chronicle.history_table_id(relation), chronicle.cut(point))
$function$;

CREATE OR REPLACE FUNCTION chronicle.restore_recordset(relation regclass, point bigint)
RETURNS SETOF jsonb
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT * FROM chronicle.state_rows_jsonb(chronicle.history_table_id(relation), chronicle.cut(point))
$function$;

COMMENT ON FUNCTION chronicle.history_table_id(regclass) IS 'Internal, for time travel: the table_id of an audited table.';
COMMENT ON FUNCTION chronicle.as_of_cut(anyelement, chronicle.cut) IS 'Internal: as_of at a cut.';
COMMENT ON FUNCTION chronicle.as_of(anyelement, text) IS
    'The rows of an audited table at a point (a mark name or a timestamp), in today''s row type: SELECT * FROM chronicle.as_of(NULL::public.orders, ''2026-11-01'').';
COMMENT ON FUNCTION chronicle.as_of(anyelement, timestamptz) IS 'The rows of an audited table at a timestamp, in today''s row type.';
COMMENT ON FUNCTION chronicle.as_of(anyelement, bigint) IS 'The rows of an audited table right after a transaction (a transaction_log id), in today''s row type.';
COMMENT ON FUNCTION chronicle.state_jsonb_expression(integer, chronicle.cut, text) IS 'Internal: the jsonb of a row of a state in its shape then, values as the log writes them.';
COMMENT ON FUNCTION chronicle.state_rows_jsonb(integer, chronicle.cut) IS 'Internal: the rows of an audited table at a cut, as jsonb in its shape then.';
COMMENT ON FUNCTION chronicle.restore_recordset(regclass, text) IS
    'The rows of an audited table at a point (a mark name or a timestamp), as jsonb in the table''s shape then.';
COMMENT ON FUNCTION chronicle.restore_recordset(regclass, timestamptz) IS 'The rows of an audited table at a timestamp, as jsonb in its shape then.';
COMMENT ON FUNCTION chronicle.restore_recordset(regclass, bigint) IS 'The rows of an audited table right after a transaction, as jsonb in its shape then.';
