-- One row's past (docs/time-travel.md, "One row"): restore_record at a point, restore_records for
-- every version. A row is named by its key at the point, as a jsonb object of the key columns.

-- The key object as the log writes it: each value cast to its column's type then and written
-- back by to_jsonb, so {"day": "2026-11-01"} finds a date key however the caller spelled it.
CREATE OR REPLACE FUNCTION chronicle.state_key(table_id integer, cut chronicle.cut, key jsonb)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, MDY'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 1
SET bytea_output = 'hex'
SET lc_monetary = 'C'
AS $function$
DECLARE
    v_version chronicle.audit_table_log := chronicle.state_version(table_id, cut);
    v_columns text;
    v_key jsonb;
BEGIN
    IF key IS NULL OR pg_catalog.jsonb_typeof(key) <> 'object'
       OR (SELECT pg_catalog.array_agg(k ORDER BY k) FROM pg_catalog.jsonb_object_keys(key) AS k)
          IS DISTINCT FROM (SELECT pg_catalog.array_agg(k::text ORDER BY k::text) FROM pg_catalog.unnest(v_version.key_columns) AS k) THEN
        RAISE EXCEPTION 'the key % does not name a row of %.%', key, v_version.schema_name, v_version.table_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = pg_catalog.format('Pass a JSON object of the row key columns at that point, %s, e.g. %s.',
                                           v_version.key_columns, (SELECT pg_catalog.jsonb_object_agg(k, '...') FROM pg_catalog.unnest(v_version.key_columns) AS k));
    END IF;
    SELECT pg_catalog.string_agg(pg_catalog.format('%I %s', c.column_name, c.data_type), ', ')
    INTO v_columns
    FROM chronicle.state_columns(table_id, cut) AS c
    WHERE c.column_name = ANY (v_version.key_columns);
    EXECUTE pg_catalog.format('SELECT pg_catalog.to_jsonb(x.*) FROM pg_catalog.jsonb_to_record($1) AS x(%s)', v_columns) INTO v_key USING key;
    RETURN v_key;
END
$function$;

-- One row at a cut in today's row type, found through the row_log index on its key: its entries
-- after the cut, newest first, laid over the row now (jsonb_populate_record with the row as its
-- base) or over the image of its delete. NULL when that cannot tell: when the row's key changed
-- after the cut (the entry that moved it away is logged under its new key), when it was inserted
-- or moved here later or is gone (no row may have had the key then), or when the table's shape
-- changed; the callers then take the row from the whole state. key is as the log writes it.
CREATE OR REPLACE FUNCTION chronicle.state_row_fast(relation anyelement, table_id integer, cut chronicle.cut,
                                                    version chronicle.audit_table_log, key jsonb)
RETURNS anyelement
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, MDY'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 1
SET bytea_output = 'hex'
SET lc_monetary = 'C'
AS $function$
DECLARE
    v_relation regclass;
    v_first_kind text;
    v_end_kind text;
    v_end_data jsonb;
    v_updates jsonb;
    v_unlogged jsonb;
    v_result ALIAS FOR $0;
BEGIN
    IF EXISTS (SELECT FROM chronicle.state_shape_events(table_id, cut)) THEN
        RETURN NULL;
    END IF;
    -- the row's entries after the cut in the log's order, up to the first delete or arrival
    WITH entries AS (
        SELECT e.id AS event_id, e.statement_order, e.nesting_depth,
               pg_catalog.max(e.id) OVER (PARTITION BY e.transaction_id) AS transaction_order,
               CASE WHEN e.operation IN ('INSERT', 'ATTACH PARTITION') THEN 'a'
                    WHEN e.operation IN ('DELETE', 'TRUNCATE', 'DROP TABLE', 'DETACH PARTITION', 'DROP PARTITION') THEN 'd'
                    WHEN r.old_data ?| version.key_columns::text[] THEN 'a'  -- moved here from another key
                    ELSE 'u' END AS kind,
               r.old_data
        FROM chronicle.row_log AS r
        JOIN chronicle.table_event_log AS e ON e.id = r.event_id
        WHERE r.table_id = state_row_fast.table_id AND pg_catalog.jsonb_hash(r.row_key) = pg_catalog.jsonb_hash(key) AND r.row_key = key
          AND e.operation IN ('INSERT', 'ATTACH PARTITION', 'DELETE', 'TRUNCATE', 'DROP TABLE', 'DETACH PARTITION', 'DROP PARTITION',
                              'UPDATE', 'DROP COLUMN', 'ALTER COLUMN TYPE', 'ALTER COLUMN EXPRESSION')
          AND NOT coalesce(chronicle.in_cut(cut, e.transaction_id), false)
    ), ordered AS (
        SELECT x.*, pg_catalog.row_number() OVER (ORDER BY x.transaction_order, x.statement_order, x.nesting_depth, x.event_id) AS pos
        FROM entries AS x
    ), first_segment AS (
        SELECT o.* FROM ordered AS o
        WHERE o.pos <= coalesce((SELECT pg_catalog.min(b.pos) FROM ordered AS b WHERE b.kind <> 'u'), 9223372036854775807)
    )
    SELECT (SELECT o.kind FROM ordered AS o ORDER BY o.pos LIMIT 1),
           (SELECT f.kind FROM first_segment AS f WHERE f.kind <> 'u'),
           (SELECT f.old_data FROM first_segment AS f WHERE f.kind = 'd'),
           (SELECT chronicle.jsonb_merge(f.old_data ORDER BY f.pos DESC) FROM first_segment AS f WHERE f.kind = 'u')
    INTO v_first_kind, v_end_kind, v_end_data, v_updates;
    IF v_first_kind = 'a' OR v_end_kind = 'a' THEN
        RETURN NULL;
    END IF;

    -- columns the log does not hold are NULL
    SELECT pg_catalog.jsonb_object_agg(a.attname, NULL) INTO v_unlogged
    FROM pg_catalog.pg_attribute AS a
    WHERE a.attrelid = (SELECT t.typrelid FROM pg_catalog.pg_type AS t WHERE t.oid = pg_catalog.pg_typeof(relation))
      AND a.attnum > 0 AND NOT a.attisdropped
      AND (a.attname = ANY (version.excluded_columns) OR a.attgenerated = 'v');
    v_updates := coalesce(v_updates, '{}') || coalesce(v_unlogged, '{}');
    IF v_end_kind = 'd' THEN
        RETURN pg_catalog.jsonb_populate_record(relation, v_end_data || v_updates);
    END IF;
    -- untouched since the cut, or updated only: laid over the row now, if it is still there
    SELECT t.typrelid::regclass INTO v_relation FROM pg_catalog.pg_type AS t WHERE t.oid = pg_catalog.pg_typeof(relation);
    EXECUTE pg_catalog.format('SELECT (pg_catalog.jsonb_populate_record(chronicle_row, $2)).* FROM %s AS chronicle_row WHERE %s', v_relation,
                              (SELECT pg_catalog.string_agg(pg_catalog.format('chronicle_row.%I = ($1 ->> %L)::%s', k, k, pg_catalog.format_type(a.atttypid, a.atttypmod)), ' AND ')
                               FROM pg_catalog.unnest(version.key_columns) AS k
                               JOIN pg_catalog.pg_attribute AS a ON a.attrelid = v_relation AND a.attname = k AND NOT a.attisdropped))
    INTO v_result USING key, v_updates;
    RETURN v_result;
END
$function$;

-- The key slots whose entries decide the row that had key at the cut: its own, and every key a
-- row moved to from a slot of the set after the cut (an UPDATE that changed a key is logged under
-- the new key, with the old key columns in old_data). NULL when the shape of the table changed
-- after the cut (its entries then name key columns otherwise): the caller reads the whole state.
-- Finding the moves reads the entries after the cut, not the table.
CREATE OR REPLACE FUNCTION chronicle.state_row_slots(table_id integer, cut chronicle.cut, key_columns name[], key jsonb)
RETURNS jsonb[]
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_slots jsonb[];
BEGIN
    IF EXISTS (SELECT FROM chronicle.state_shape_events(table_id, cut)) THEN
        RETURN NULL;
    END IF;
    WITH RECURSIVE later_updates AS MATERIALIZED (
        SELECT e.id FROM chronicle.table_event_log AS e
        WHERE e.table_id = state_row_slots.table_id AND e.operation = 'UPDATE'
          AND e.transaction_id IN (SELECT chronicle.transactions_after(cut))
    ), moves AS MATERIALIZED (
        SELECT r.row_key AS new_key,
               r.row_key || (SELECT pg_catalog.jsonb_object_agg(k, coalesce(r.old_data -> k, r.row_key -> k))
                             FROM pg_catalog.unnest(key_columns::text[]) AS k) AS old_key
        FROM chronicle.row_log AS r
        -- one range scan of the event_id BRIN index, not one per event
        WHERE r.event_id BETWEEN (SELECT pg_catalog.min(u.id) FROM later_updates AS u) AND (SELECT pg_catalog.max(u.id) FROM later_updates AS u)
          AND r.event_id = ANY (ARRAY(SELECT u.id FROM later_updates AS u))
          AND r.old_data ?| key_columns::text[]
    ), slots(slot) AS (
        SELECT key
        UNION
        SELECT m.new_key FROM moves AS m JOIN slots AS s ON m.old_key = s.slot
    )
    SELECT pg_catalog.array_agg(s.slot) INTO v_slots FROM slots AS s;
    RETURN v_slots;
END
$function$;

-- The row with the key (its key columns then) from the state at the cut, in either shape of
-- state_query, as the query for EXECUTE ... USING key: built from the entries of slots only
-- (state_row_slots), or from the whole state when slots is NULL.
CREATE OR REPLACE FUNCTION chronicle.state_row_query(table_id integer, cut chronicle.cut, shape text, result text, slots jsonb[])
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT pg_catalog.format('SELECT %s FROM (%s) AS s WHERE %s', result, chronicle.state_query(table_id, cut, shape, slots),
                             pg_catalog.string_agg(pg_catalog.format('s.%I = ($1 ->> %L)::%s',
                                                                     CASE WHEN shape = 'now' THEN c.current_name ELSE c.column_name END,
                                                                     c.column_name, c.data_type), ' AND '))
    FROM chronicle.state_columns(table_id, cut) AS c
    WHERE c.column_name = ANY ((chronicle.state_version(table_id, cut)).key_columns)
$function$;

-- One row at a cut as jsonb in the table's shape then (as restore_recordset writes rows), or NULL.
CREATE OR REPLACE FUNCTION chronicle.state_row(table_id integer, cut chronicle.cut, key jsonb)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, MDY'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 1
SET bytea_output = 'hex'
SET lc_monetary = 'C'
AS $function$
DECLARE
    v_version chronicle.audit_table_log := chronicle.state_version(table_id, cut);
    v_key jsonb := chronicle.state_key(table_id, cut, key);
    v_relation regclass;
    v_result jsonb;
BEGIN
    SELECT pg_catalog.to_regclass(pg_catalog.format('%I.%I', v.schema_name, v.table_name)) INTO v_relation
    FROM chronicle.audit_table_log AS v WHERE v.table_id = state_row.table_id AND v.valid_until IS NULL;
    IF v_relation IS NOT NULL THEN
        -- a row of NULLs is no row: its key is never NULL (its key columns may have other names
        -- now, so no column is named); values as the log writes them (see state_jsonb_expression)
        EXECUTE pg_catalog.format('SELECT pg_catalog.to_jsonb(r.*)%s FROM chronicle.state_row_fast(NULL::%s, $1, $2, $3, $4) AS r WHERE NOT (r IS NULL)',
                                  chronicle.capture_row_corrections(v_relation, 'r', '{}'), v_relation)
        INTO v_result USING table_id, cut, v_version, v_key;
    END IF;
    IF v_result IS NULL THEN
        EXECUTE chronicle.state_row_query(table_id, cut, 'then', chronicle.state_jsonb_expression(table_id, cut, 's'),
                                          chronicle.state_row_slots(table_id, cut, v_version.key_columns, v_key))
        INTO v_result USING v_key;
    END IF;
    RETURN v_result;
END
$function$;

-- A row at a cut in today's row type (columns added later and columns not logged are NULL).
CREATE OR REPLACE FUNCTION chronicle.restore_record_at(relation anyelement, key jsonb, cut chronicle.cut)
RETURNS anyelement
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, MDY'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 1
SET bytea_output = 'hex'
SET lc_monetary = 'C'
AS $function$
DECLARE
    v_relation regclass;
    v_table_id integer;
    v_version chronicle.audit_table_log;
    v_key jsonb;
    v_result ALIAS FOR $0;
BEGIN
    SELECT t.typrelid::regclass INTO v_relation
    FROM pg_catalog.pg_type AS t JOIN pg_catalog.pg_class AS c ON c.oid = t.typrelid AND c.relkind IN ('r', 'p')
    WHERE t.oid = pg_catalog.pg_typeof(relation);
    IF v_relation IS NULL THEN
        RAISE EXCEPTION 'restore_record takes a row of an audited table, not %', pg_catalog.pg_typeof(relation)
            USING ERRCODE = 'wrong_object_type', HINT = 'Pass the table''s row type, e.g. chronicle.restore_record(NULL::public.orders, ''{"id": 1}'', ''2026-11-01'').';
    END IF;
    v_table_id := chronicle.history_table_id(v_relation);
    v_key := chronicle.state_key(v_table_id, cut, key);
    v_version := chronicle.state_version(v_table_id, cut);
    v_result := chronicle.state_row_fast(relation, v_table_id, cut, v_version, v_key);
    IF v_result IS NULL THEN
        EXECUTE chronicle.state_row_query(v_table_id, cut, 'now', 's.*', chronicle.state_row_slots(v_table_id, cut, v_version.key_columns, v_key))
        INTO v_result USING v_key;
    END IF;
    RETURN v_result;
END
$function$;

CREATE OR REPLACE FUNCTION chronicle.restore_record(relation anyelement, key jsonb, point text)
RETURNS anyelement LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $function$ SELECT chronicle.restore_record_at(relation, key, chronicle.cut(point)) $function$;

CREATE OR REPLACE FUNCTION chronicle.restore_record(relation anyelement, key jsonb, point timestamptz)
RETURNS anyelement LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $function$ SELECT chronicle.restore_record_at(relation, key, chronicle.cut(point)) $function$;

CREATE OR REPLACE FUNCTION chronicle.restore_record(relation anyelement, key jsonb, point bigint)
RETURNS anyelement LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $function$ SELECT chronicle.restore_record_at(relation, key, chronicle.cut(point)) $function$;

CREATE OR REPLACE FUNCTION chronicle.restore_record_jsonb(relation regclass, key jsonb, point text)
RETURNS jsonb LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $function$ SELECT chronicle.state_row(chronicle.history_table_id(relation), chronicle.cut(point), key) $function$;

CREATE OR REPLACE FUNCTION chronicle.restore_record_jsonb(relation regclass, key jsonb, point timestamptz)
RETURNS jsonb LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $function$ SELECT chronicle.state_row(chronicle.history_table_id(relation), chronicle.cut(point), key) $function$;

CREATE OR REPLACE FUNCTION chronicle.restore_record_jsonb(relation regclass, key jsonb, point bigint)
RETURNS jsonb LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $function$ SELECT chronicle.state_row(chronicle.history_table_id(relation), chronicle.cut(point), key) $function$;

-- Every version of the row that has (or last had) the key: one row per transaction that
-- inserted, updated or deleted it under that key, oldest first, with the row after the
-- transaction (NULL once deleted) in the table's shape of the time.
CREATE OR REPLACE FUNCTION chronicle.restore_records(relation regclass, key jsonb)
RETURNS TABLE (transaction_id bigint, committed_at timestamptz, session_user_name text, application_name text,
               session_info jsonb, operations text[], row_data jsonb)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_table_id integer := chronicle.history_table_id(relation);
    v_key jsonb;
    v_transaction record;
BEGIN
    v_key := chronicle.state_key(v_table_id, ROW('now', NULL, NULL, pg_catalog.clock_timestamp(), NULL)::chronicle.cut, key);
    FOR v_transaction IN
        SELECT t.id, t.committed_at, t.session_user_name, t.application_name, t.session_info,
               pg_catalog.array_agg(e.operation::text ORDER BY e.statement_order, e.nesting_depth, e.id) AS operations,
               pg_catalog.max(e.id) AS last_event
        FROM chronicle.row_log AS r
        JOIN chronicle.table_event_log AS e ON e.id = r.event_id
        JOIN chronicle.transaction_log AS t ON t.id = e.transaction_id
        WHERE r.table_id = v_table_id AND pg_catalog.jsonb_hash(r.row_key) = pg_catalog.jsonb_hash(v_key) AND r.row_key = v_key
          AND e.operation NOT IN ('BASELINE', 'DDL PRE-IMAGE') AND t.committed_at IS NOT NULL
        GROUP BY t.id
        ORDER BY last_event
    LOOP
        transaction_id := v_transaction.id;
        committed_at := v_transaction.committed_at;
        session_user_name := v_transaction.session_user_name;
        application_name := v_transaction.application_name;
        session_info := v_transaction.session_info;
        operations := v_transaction.operations;
        row_data := chronicle.state_row(v_table_id, chronicle.cut(v_transaction.id), v_key);
        RETURN NEXT;
    END LOOP;
END
$function$;

COMMENT ON FUNCTION chronicle.state_key(integer, chronicle.cut, jsonb) IS 'Internal: a row key object as the log writes it.';
COMMENT ON FUNCTION chronicle.state_row_fast(anyelement, integer, chronicle.cut, chronicle.audit_table_log, jsonb) IS 'Internal: one row of an audited table at a cut read through the key index; NULL when that cannot tell.';
COMMENT ON FUNCTION chronicle.state_row_query(integer, chronicle.cut, text, text, jsonb[]) IS 'Internal: the query of one row of the state at a cut, from the entries of some slots or the whole state.';
COMMENT ON FUNCTION chronicle.state_row_slots(integer, chronicle.cut, name[], jsonb) IS 'Internal: the key slots whose entries decide one row at a cut.';
COMMENT ON FUNCTION chronicle.state_row(integer, chronicle.cut, jsonb) IS 'Internal: one row of an audited table at a cut, as jsonb in its shape then.';
COMMENT ON FUNCTION chronicle.restore_record_at(anyelement, jsonb, chronicle.cut) IS 'Internal: restore_record at a cut.';
COMMENT ON FUNCTION chronicle.restore_record(anyelement, jsonb, text) IS
    'One row of an audited table at a point (a mark name or a timestamp), by its key then, in today''s row type; NULL if there was none.';
COMMENT ON FUNCTION chronicle.restore_record(anyelement, jsonb, timestamptz) IS 'One row of an audited table at a timestamp, in today''s row type.';
COMMENT ON FUNCTION chronicle.restore_record(anyelement, jsonb, bigint) IS 'One row of an audited table right after a transaction, in today''s row type.';
COMMENT ON FUNCTION chronicle.restore_record_jsonb(regclass, jsonb, text) IS
    'One row of an audited table at a point (a mark name or a timestamp), by its key then, as jsonb in the table''s shape then.';
COMMENT ON FUNCTION chronicle.restore_record_jsonb(regclass, jsonb, timestamptz) IS 'One row of an audited table at a timestamp, as jsonb in its shape then.';
COMMENT ON FUNCTION chronicle.restore_record_jsonb(regclass, jsonb, bigint) IS 'One row of an audited table right after a transaction, as jsonb in its shape then.';
COMMENT ON FUNCTION chronicle.restore_records(regclass, jsonb) IS
    'Every version of a row of an audited table, by its key: one row per transaction that changed it, with the row after it.';

-- Every version of every row changed between two points: one row per transaction and row it
-- changed, with the row after the transaction (NULL once deleted), oldest first. Set-based: the
-- value of a row before each of its entries is the merge of the row now and of every later
-- entry's old values, newest first (a window over the row's entries), and the row after a
-- transaction is the value before the row's next entry. Rows are followed by key: a table whose
-- keys or shape changed after from_point is refused.
CREATE OR REPLACE FUNCTION chronicle.restore_recordsets_at(table_id integer, from_cut chronicle.cut, to_cut chronicle.cut)
RETURNS TABLE (transaction_id bigint, committed_at timestamptz, row_key jsonb, operations text[], row_data jsonb)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, MDY'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 1
SET bytea_output = 'hex'
SET lc_monetary = 'C'
SET work_mem = '64MB'
AS $function$
DECLARE
    v_version chronicle.audit_table_log := chronicle.state_version(table_id, from_cut);
    v_relation regclass;
    v_current chronicle.audit_table_log;
BEGIN
    PERFORM chronicle.state_version(table_id, to_cut);
    SELECT * INTO v_current FROM chronicle.audit_table_log AS v WHERE v.table_id = restore_recordsets_at.table_id AND v.valid_until IS NULL;
    IF FOUND THEN
        v_relation := pg_catalog.to_regclass(pg_catalog.format('%I.%I', v_current.schema_name, v_current.table_name));
    END IF;
    IF v_relation IS NULL OR EXISTS (SELECT FROM chronicle.state_shape_events(table_id, from_cut)) THEN
        RAISE EXCEPTION 'the shape of %.% changed after %, or it was dropped', v_version.schema_name, v_version.table_name, (from_cut).description
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Versions of all rows are followed while the table keeps its columns; use restore_table_state at each point of interest instead.';
    END IF;
    IF EXISTS (SELECT FROM chronicle.table_event_log AS e
               JOIN chronicle.row_log AS r ON r.event_id = e.id
               WHERE e.table_id = restore_recordsets_at.table_id AND e.operation = 'UPDATE'
                 AND e.transaction_id IN (SELECT chronicle.transactions_after(from_cut))
                 AND r.old_data ?| v_version.key_columns::text[]) THEN
        RAISE EXCEPTION 'keys of %.% changed after %', v_version.schema_name, v_version.table_name, (from_cut).description
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Versions of all rows are followed by key; use restore_records for one row, or restore_table_state at each point of interest.';
    END IF;
    RETURN QUERY EXECUTE pg_catalog.format($query$
        WITH later_events AS MATERIALIZED (
            SELECT x.event_id, x.transaction_id, x.operation, x.class,
                   pg_catalog.row_number() OVER (ORDER BY x.transaction_order, x.statement_order, x.nesting_depth, x.event_id) AS pos
            FROM (SELECT e.id AS event_id, e.transaction_id, e.operation::text AS operation, e.statement_order, e.nesting_depth,
                         pg_catalog.max(e.id) OVER (PARTITION BY e.transaction_id) AS transaction_order,
                         CASE WHEN e.operation IN ('INSERT', 'ATTACH PARTITION') THEN 'i'
                              WHEN e.operation IN ('DELETE', 'TRUNCATE', 'DROP TABLE', 'DETACH PARTITION', 'DROP PARTITION') THEN 'd'
                              WHEN e.operation IN ('UPDATE', 'ALTER COLUMN TYPE', 'ALTER COLUMN EXPRESSION') THEN 'u' END AS class
                  FROM chronicle.table_event_log AS e
                  WHERE e.table_id = %1$s AND e.transaction_id IN (SELECT chronicle.transactions_after(%2$L::chronicle.cut))) AS x
            WHERE x.class IS NOT NULL
        ), entries AS MATERIALIZED (
            SELECT ev.pos, ev.transaction_id, ev.operation, ev.class, r.row_key AS slot, r.old_data
            FROM later_events AS ev JOIN chronicle.row_log AS r ON r.event_id = ev.event_id
            WHERE r.event_id >= (SELECT pg_catalog.min(l.event_id) FROM later_events AS l)
        ), live AS (
            SELECT s.slot, %4$s AS data
            FROM (SELECT DISTINCT e.slot FROM entries AS e) AS s
            JOIN %5$s AS t ON %6$s%9$s
        ), items AS (
            SELECT e.pos, e.transaction_id, e.operation, e.class, e.slot, CASE WHEN e.class = 'i' THEN NULL ELSE e.old_data END AS data
            FROM entries AS e
            UNION ALL
            SELECT 9223372036854775807, NULL, NULL, 'now', l.slot, l.data FROM live AS l
        ), before_each AS (
            -- the row's value right before each item (for the row now: the row now)
            SELECT i.*, CASE WHEN i.class = 'i' THEN NULL
                             ELSE chronicle.jsonb_merge(i.data) OVER (PARTITION BY i.slot ORDER BY i.pos DESC ROWS UNBOUNDED PRECEDING) END AS value
            FROM items AS i
        ), after_each AS (
            SELECT b.*, pg_catalog.lead(b.value) OVER (PARTITION BY b.slot ORDER BY b.pos) AS value_after,
                        pg_catalog.lead(b.transaction_id) OVER (PARTITION BY b.slot ORDER BY b.pos) AS next_transaction
            FROM before_each AS b
        )
        SELECT a.transaction_id, t.committed_at, a.slot,
               pg_catalog.array_agg(a.operation ORDER BY a.pos),
               (pg_catalog.array_agg(CASE WHEN a.class = 'd' THEN NULL ELSE
                    (SELECT pg_catalog.to_jsonb(p.*)%8$s FROM pg_catalog.jsonb_populate_record(NULL::%5$s, a.value_after) AS p) END ORDER BY a.pos DESC))[1]
        FROM after_each AS a
        JOIN chronicle.transaction_log AS t ON t.id = a.transaction_id
        WHERE a.class <> 'now' AND chronicle.in_cut(%7$L::chronicle.cut, a.transaction_id)
        GROUP BY a.transaction_id, t.committed_at, a.slot
        ORDER BY pg_catalog.max(a.pos)$query$,
        table_id, from_cut::text, v_version.key_columns,
        chronicle.capture_whole_row(v_relation, 't', v_current.excluded_columns), v_relation,
        (SELECT pg_catalog.string_agg(pg_catalog.format('t.%I = (s.slot ->> %L)::%s', k, k, pg_catalog.format_type(a.atttypid, a.atttypmod)), ' AND ')
         FROM pg_catalog.unnest(v_version.key_columns) AS k
         JOIN pg_catalog.pg_attribute AS a ON a.attrelid = v_relation AND a.attname = k AND NOT a.attisdropped),
        to_cut::text,
        -- values as the log writes them (see state_jsonb_expression)
        chronicle.capture_row_corrections(v_relation, 'p', '{}'),
        chronicle.capture_whole_row_source(v_relation, 't', v_current.excluded_columns));
END
$function$;

CREATE OR REPLACE FUNCTION chronicle.restore_recordsets(relation regclass, from_point text, to_point text)
RETURNS TABLE (transaction_id bigint, committed_at timestamptz, row_key jsonb, operations text[], row_data jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $function$ SELECT * FROM chronicle.restore_recordsets_at(chronicle.history_table_id(relation), chronicle.cut(from_point), chronicle.cut(to_point)) $function$;

CREATE OR REPLACE FUNCTION chronicle.restore_recordsets(relation regclass, from_point timestamptz, to_point timestamptz)
RETURNS TABLE (transaction_id bigint, committed_at timestamptz, row_key jsonb, operations text[], row_data jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $function$ SELECT * FROM chronicle.restore_recordsets_at(chronicle.history_table_id(relation), chronicle.cut(from_point), chronicle.cut(to_point)) $function$;

CREATE OR REPLACE FUNCTION chronicle.restore_recordsets(relation regclass, from_point bigint, to_point bigint)
RETURNS TABLE (transaction_id bigint, committed_at timestamptz, row_key jsonb, operations text[], row_data jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $function$ SELECT * FROM chronicle.restore_recordsets_at(chronicle.history_table_id(relation), chronicle.cut(from_point), chronicle.cut(to_point)) $function$;

COMMENT ON FUNCTION chronicle.restore_recordsets_at(integer, chronicle.cut, chronicle.cut) IS 'Internal: restore_recordsets between two cuts.';
COMMENT ON FUNCTION chronicle.restore_recordsets(regclass, text, text) IS
    'Every version of every row changed between two points (mark names or timestamps): the row after each transaction that changed it.';
COMMENT ON FUNCTION chronicle.restore_recordsets(regclass, timestamptz, timestamptz) IS 'Every version of every row changed between two timestamps.';
COMMENT ON FUNCTION chronicle.restore_recordsets(regclass, bigint, bigint) IS 'Every version of every row changed between two transactions.';
