-- The SQL of an audited table's state at a cut (docs/time-travel.md, "How a past state is built").
--
-- The state is the table now with every change after the cut undone. Undoing is done per row
-- slot (a key value) and set-based: the logged entries after the cut become items on the slots
-- they touched, in the order of the log. On a slot, a delete or a move of the row to another key
-- ends a segment of the slot's life, an insert or a move from another key starts one. A
-- segment's value at its start is its end's value (the deleted row's logged image, the moved
-- row's value just before the move, or the row now) with the old values of its updates laid over
-- it, newest first, so the oldest wins: one jsonb_merge per segment, whatever the number of
-- columns. A move's value comes from the segment it started on the other slot, so chains of key
-- changes are followed by a recursive CTE, one step per key change of a row. The state at the
-- cut is the first segment of every slot that did not start with an insert or a move, plus the
-- rows now on slots no later change touched, read as they are.
--
-- shape 'then': the columns of the cut, with their names and types then (restore_table_state,
-- restore_recordset). shape 'now': the relation's row type today (as_of): columns added later and
-- columns not logged are NULL, renamed ones are under today's name.
--
-- Values are read back as the capture wrote them: run the query with the settings the capture
-- functions fix (DateStyle, IntervalStyle, extra_float_digits, bytea_output, lc_monetary).
CREATE OR REPLACE FUNCTION chronicle.state_query(table_id integer, cut chronicle.cut, shape text DEFAULT 'then', slots jsonb[] DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_version chronicle.audit_table_log := chronicle.state_version(table_id, cut);
    v_current chronicle.audit_table_log;
    v_relation regclass;
    v_cut text := pg_catalog.format('%L::chronicle.cut', cut::text);
    v_shape_ops text[];
    v_shape_first text[];
    v_shape_second text[];
    v_shape_steps text := '0';
    v_undo_format text := '%s';
    v_key_then name[];
    v_key_now name[];
    v_live_join text;
    v_live_row text;
    v_old_key text;
    v_record_columns text;
    v_then_columns text;
    v_live_columns text;
    v_now_columns text;
    v_now_live_columns text;
    v_renamed text;
    v_select_changed text;
    v_select_untouched text;
    v_later_events bigint[];
    v_updates_only boolean;
BEGIN
    IF shape IS NULL OR shape NOT IN ('then', 'now') THEN
        RAISE EXCEPTION 'unknown shape %', shape USING ERRCODE = 'invalid_parameter_value', HINT = 'Use ''then'' or ''now''.';
    END IF;
    SELECT * INTO v_current FROM chronicle.audit_table_log AS v WHERE v.table_id = state_query.table_id AND v.valid_until IS NULL;
    IF FOUND THEN
        v_relation := pg_catalog.to_regclass(pg_catalog.format('%I.%I', v_current.schema_name, v_current.table_name));
    END IF;

    -- changes of shape after the cut: the step of an event is how many are older than it
    SELECT pg_catalog.array_agg(s.operation ORDER BY s.n), pg_catalog.array_agg(s.first_name ORDER BY s.n),
           pg_catalog.array_agg(s.second_name ORDER BY s.n),
           'CASE' || pg_catalog.string_agg(pg_catalog.format(' WHEN (x.transaction_order, x.statement_order, x.nesting_depth, x.event_id) > (%s, %s, %s, %s) THEN %s',
                                                              s.transaction_order, s.statement_order, s.nesting_depth, s.event_id, s.n), '' ORDER BY s.n DESC) || ' ELSE 0 END'
    INTO v_shape_ops, v_shape_first, v_shape_second, v_shape_steps
    FROM (SELECT e.*, pg_catalog.row_number() OVER (ORDER BY e.transaction_order, e.statement_order, e.nesting_depth, e.event_id) AS n
          FROM chronicle.state_shape_events(table_id, cut) AS e) AS s;
    IF 'ALTER KEY' = ANY (v_shape_ops) THEN
        RAISE EXCEPTION 'the row key of %.% changed after %', v_version.schema_name, v_version.table_name, (cut).description
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Rows are named by their key in the log; a state before a change of key cannot be rebuilt. Pass a point after it.';
    END IF;
    IF v_shape_ops IS NULL THEN
        v_shape_steps := '0';
    ELSE
        v_undo_format := pg_catalog.format('chronicle.state_undo_shape(%%s, %L::text[], %L::text[], %L::text[], ev.step)',
                                           v_shape_ops, v_shape_first, v_shape_second);
    END IF;

    -- the key: names then (slots are written with them), names now (to find live rows)
    v_key_then := v_version.key_columns;
    SELECT pg_catalog.array_agg(c.current_name ORDER BY k.ord)
    INTO v_key_now
    FROM pg_catalog.unnest(v_key_then) WITH ORDINALITY AS k(name, ord)
    JOIN chronicle.state_columns(table_id, cut) AS c ON c.column_name = k.name;
    SELECT pg_catalog.string_agg(pg_catalog.format('t.%I = (s.slot ->> %L)::%s', v_key_now[i], v_key_then[i], a.type_now), ' AND ' ORDER BY i),
           pg_catalog.string_agg(pg_catalog.format('%L, coalesce(k.old -> %L, k.ka -> %L)', v_key_then[i], v_key_then[i], v_key_then[i]), ', ' ORDER BY i)
    INTO v_live_join, v_old_key
    FROM pg_catalog.generate_subscripts(v_key_then, 1) AS i
    LEFT JOIN LATERAL (SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) AS type_now
                       FROM pg_catalog.pg_attribute AS a
                       WHERE a.attrelid = v_relation AND a.attname = v_key_now[i] AND NOT a.attisdropped) AS a ON true;

    -- columns: as a record of then; then-typed from the live row; today's, from either
    SELECT pg_catalog.string_agg(pg_catalog.format('%I %s', c.column_name, c.data_type), ', ' ORDER BY c.n),
           pg_catalog.string_agg(CASE WHEN c.logged THEN pg_catalog.format('x.%I', c.column_name)
                                      ELSE pg_catalog.format('NULL::%s AS %I', c.data_type, c.column_name) END, ', ' ORDER BY c.n),
           pg_catalog.string_agg(CASE WHEN c.logged AND a.attname IS NOT NULL AND pg_catalog.format_type(a.atttypid, a.atttypmod) = c.data_type
                                      THEN pg_catalog.format('t.%I', a.attname)
                                      ELSE pg_catalog.format('NULL::%s', c.data_type) END
                                 || pg_catalog.format(' AS %I', c.column_name), ', ' ORDER BY c.n)
    INTO v_record_columns, v_then_columns, v_live_columns
    FROM chronicle.state_columns(table_id, cut) WITH ORDINALITY AS c(column_name, data_type, logged, current_name, n)
    LEFT JOIN pg_catalog.pg_attribute AS a ON a.attrelid = v_relation AND a.attname = c.current_name AND NOT a.attisdropped;

    IF v_relation IS NOT NULL THEN
        v_live_row := pg_catalog.format(v_undo_format, chronicle.capture_whole_row(v_relation, 't', v_current.excluded_columns));
        v_live_row := replace(v_live_row, 'ev.step', (SELECT pg_catalog.count(*) FROM pg_catalog.unnest(v_shape_ops))::text);
    END IF;

    IF shape = 'now' THEN
        IF v_relation IS NULL THEN
            RAISE EXCEPTION 'table %.% does not exist any more', v_current.schema_name, v_current.table_name
                USING ERRCODE = 'undefined_table', HINT = 'Its past states can be rebuilt with chronicle.restore_table_state or restore_recordset.';
        END IF;
        -- today's columns: the value of the column they were at the cut, if logged then
        SELECT pg_catalog.string_agg(CASE WHEN c.logged THEN pg_catalog.format('p.%I', a.attname)
                                          ELSE pg_catalog.format('NULL::%s', pg_catalog.format_type(a.atttypid, a.atttypmod)) END, ', ' ORDER BY a.attnum),
               pg_catalog.string_agg(CASE WHEN c.logged THEN pg_catalog.format('t.%I', a.attname)
                                          ELSE pg_catalog.format('NULL::%s', pg_catalog.format_type(a.atttypid, a.atttypmod)) END, ', ' ORDER BY a.attnum)
        INTO v_now_columns, v_now_live_columns
        FROM pg_catalog.pg_attribute AS a
        LEFT JOIN (SELECT * FROM chronicle.state_columns(table_id, cut)) AS c ON c.current_name = a.attname
        WHERE a.attrelid = v_relation AND a.attnum > 0 AND NOT a.attisdropped;
        -- the value under today's names: renamed columns moved, columns gone since removed
        SELECT '(r.value - ' || pg_catalog.quote_literal(coalesce(pg_catalog.array_agg(c.column_name) FILTER (WHERE c.current_name IS DISTINCT FROM c.column_name), '{}')::text) || '::text[])'
               || coalesce(' || pg_catalog.jsonb_build_object(' || pg_catalog.string_agg(pg_catalog.format('%L, r.value -> %L', c.current_name, c.column_name), ', ')
                           FILTER (WHERE c.current_name IS NOT NULL AND c.current_name <> c.column_name) || ')', '')
        INTO v_renamed
        FROM chronicle.state_columns(table_id, cut) AS c;
        v_select_changed := pg_catalog.format(
            'SELECT %s FROM resolved AS r CROSS JOIN LATERAL pg_catalog.jsonb_populate_record(NULL::%s, %s) AS p WHERE r.segment = 0 AND r.first_kind <> ''a''',
            v_now_columns, v_relation, v_renamed);
        v_select_untouched := v_now_live_columns;
    ELSE
        v_select_changed := pg_catalog.format(
            'SELECT %s FROM resolved AS r CROSS JOIN LATERAL pg_catalog.jsonb_to_record(r.value) AS x(%s) WHERE r.segment = 0 AND r.first_kind <> ''a''',
            v_then_columns, v_record_columns);
        v_select_untouched := v_live_columns;
    END IF;

    -- The common case, and the one to be fast: since the cut the table kept its shape and saw
    -- only UPDATEs that kept every row's key. Then the state is each row now with the old values
    -- of its entries laid over it (jsonb_populate_record with the row as its base), no segments.
    IF v_relation IS NOT NULL AND v_shape_ops IS NULL AND slots IS NULL THEN
        SELECT pg_catalog.array_agg(e.id), pg_catalog.bool_and(e.operation = 'UPDATE')
        INTO v_later_events, v_updates_only
        FROM chronicle.table_event_log AS e
        WHERE e.table_id = state_query.table_id AND e.transaction_id IN (SELECT chronicle.transactions_after(cut))
          AND e.operation NOT IN ('BASELINE', 'DDL PRE-IMAGE', 'ALTER COLUMN DEFAULT', 'ALTER COLUMN NOT NULL', 'ALTER COLUMN IDENTITY',
                                  'RENAME TABLE', 'SET SCHEMA');
        IF v_later_events IS NULL OR (v_updates_only AND NOT EXISTS (
               SELECT FROM chronicle.row_log AS r
               WHERE r.event_id = ANY (v_later_events) AND r.event_id >= (SELECT pg_catalog.min(x) FROM pg_catalog.unnest(v_later_events) AS x)
                 AND r.old_data ?| v_key_then::text[])) THEN
            RETURN chronicle.state_query_updates_only(table_id, cut, v_relation, v_version, v_key_then,
                                                      coalesce(pg_catalog.cardinality(v_later_events), 0) <= 1);
        END IF;
    END IF;

    RETURN pg_catalog.format($query$
WITH RECURSIVE later_events AS MATERIALIZED (
    SELECT x.event_id, x.class, %1$s AS step,
           pg_catalog.row_number() OVER (ORDER BY x.transaction_order, x.statement_order, x.nesting_depth, x.event_id) AS pos
    FROM (SELECT e.id AS event_id, e.statement_order, e.nesting_depth,
                 pg_catalog.max(e.id) OVER (PARTITION BY e.transaction_id) AS transaction_order,
                 CASE WHEN e.operation IN ('INSERT', 'ATTACH PARTITION') THEN 'i'
                      WHEN e.operation IN ('DELETE', 'TRUNCATE', 'DROP TABLE', 'DETACH PARTITION', 'DROP PARTITION') THEN 'd'
                      WHEN e.operation IN ('UPDATE', 'DROP COLUMN', 'ALTER COLUMN TYPE', 'ALTER COLUMN EXPRESSION') THEN 'u' END AS class
          FROM chronicle.table_event_log AS e
          WHERE e.table_id = %2$s AND e.transaction_id IN (SELECT chronicle.transactions_after(%3$s))) AS x
    WHERE x.class IS NOT NULL
), entries AS (
    SELECT ev.pos, ev.class, %4$s AS ka, %5$s AS old
    FROM later_events AS ev
    JOIN chronicle.row_log AS r ON r.event_id = ev.event_id
    WHERE r.event_id >= (SELECT pg_catalog.min(l.event_id) FROM later_events AS l)
    %11$s
), keyed AS MATERIALIZED (
    SELECT k.pos, k.class, k.ka, k.old,
           CASE WHEN k.class = 'u' AND k.old ?| %6$L::text[] THEN k.ka || pg_catalog.jsonb_build_object(%7$s) ELSE k.ka END AS kb
    FROM entries AS k
), moves AS MATERIALIZED (
    SELECT pg_catalog.row_number() OVER () AS move, k.pos, k.kb, k.ka, k.old FROM keyed AS k WHERE k.class = 'u' AND k.kb <> k.ka
), items AS (
    SELECT k.ka AS slot, k.pos, 0 AS sub, 'u' AS kind, k.old AS data, NULL::bigint AS move FROM keyed AS k WHERE k.class = 'u' AND k.kb = k.ka
    UNION ALL SELECT k.kb, k.pos, 0, 'd', k.old, NULL FROM keyed AS k WHERE k.class = 'd'
    UNION ALL SELECT k.ka, k.pos, 1, 'a', NULL, NULL FROM keyed AS k WHERE k.class = 'i'
    UNION ALL SELECT m.kb, m.pos, 0, 'l', NULL, m.move FROM moves AS m
    UNION ALL SELECT m.ka, m.pos, 1, 'a', NULL, m.move FROM moves AS m
), numbered AS (
    SELECT i.*, pg_catalog.count(*) FILTER (WHERE i.kind IN ('d', 'l'))
                    OVER (PARTITION BY i.slot ORDER BY i.pos, i.sub ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS segment
    FROM items AS i
), segments AS MATERIALIZED (
    SELECT n.slot, n.segment,
           (pg_catalog.array_agg(n.kind ORDER BY n.pos, n.sub))[1] AS first_kind,
           -- the move that started the segment (its first item is the row arriving)
           (pg_catalog.array_agg(CASE WHEN n.kind = 'a' THEN n.move END ORDER BY n.pos, n.sub))[1] AS first_move,
           (pg_catalog.array_agg(n.kind ORDER BY n.pos DESC, n.sub DESC))[1] AS last_kind,
           (pg_catalog.array_agg(n.data ORDER BY n.pos DESC, n.sub DESC))[1] AS last_data,
           (pg_catalog.array_agg(n.move ORDER BY n.pos DESC, n.sub DESC))[1] AS last_move,
           chronicle.jsonb_merge(n.data ORDER BY n.pos DESC, n.sub DESC) FILTER (WHERE n.kind = 'u') AS updates
    FROM numbered AS n
    GROUP BY n.slot, n.segment
), live AS (
    %8$s
), resolved AS (
    SELECT s.slot, s.segment, s.first_kind, s.first_move,
           CASE WHEN s.last_kind = 'd' THEN s.last_data ELSE l.data END || coalesce(s.updates, '{}') AS value
    FROM segments AS s
    LEFT JOIN live AS l ON l.slot = s.slot AND s.last_kind <> 'd'
    WHERE s.last_kind <> 'l' AND ((s.segment = 0 AND s.first_kind <> 'a') OR s.first_move IS NOT NULL)
    UNION ALL
    SELECT s.slot, s.segment, s.first_kind, s.first_move, (r.value || m.old) || coalesce(s.updates, '{}')
    FROM resolved AS r
    JOIN moves AS m ON m.move = r.first_move
    JOIN segments AS s ON s.last_kind = 'l' AND s.last_move = m.move
)
%9$s
%10$s$query$,
        v_shape_steps, table_id, v_cut,
        pg_catalog.format(v_undo_format, 'r.row_key'), pg_catalog.format(v_undo_format, 'r.old_data'),
        v_key_then, v_old_key,
        CASE WHEN v_relation IS NULL THEN 'SELECT NULL::jsonb AS slot, NULL::jsonb AS data WHERE false'
             ELSE pg_catalog.format('SELECT s.slot, %s AS data FROM segments AS s JOIN %s AS t ON %s%s WHERE s.last_kind IN (''u'', ''a'')',
                                    v_live_row, v_relation, v_live_join,
                                    chronicle.capture_whole_row_source(v_relation, 't', v_current.excluded_columns)) END,
        v_select_changed,
        CASE WHEN v_relation IS NULL THEN ''
             ELSE pg_catalog.format('UNION ALL SELECT %s FROM %s AS t WHERE NOT EXISTS (SELECT FROM segments AS s WHERE s.segment = 0 AND %s)',
                                    v_select_untouched, v_relation, v_live_join) END,
        -- only the entries of some slots (found through the row_log key index)
        CASE WHEN slots IS NULL THEN ''
             ELSE pg_catalog.format('AND r.table_id = %s AND pg_catalog.jsonb_hash(r.row_key) = ANY (%L::integer[]) AND r.row_key = ANY (%L::jsonb[])',
                                    table_id, (SELECT pg_catalog.array_agg(pg_catalog.jsonb_hash(x)) FROM pg_catalog.unnest(slots) AS x), slots) END);
END
$function$;

-- state_query's common case (see there): only UPDATEs since the cut, no key changed, the same shape.
-- Each column is its logged old value where the row's entries hold one (read as its type, see
-- state_json_value), else the row's value now. With a single UPDATE since the cut, each row has
-- one entry at most: no merge is needed.
CREATE OR REPLACE FUNCTION chronicle.state_query_updates_only(table_id integer, cut chronicle.cut, relation regclass,
                                                              version chronicle.audit_table_log, key_columns name[],
                                                              single_event boolean)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    -- (the leading comment tells restore_state_at which kind of query this is)
    SELECT pg_catalog.format($query$/* chronicle: overlay */
WITH later_events AS MATERIALIZED (
    SELECT x.event_id, pg_catalog.row_number() OVER (ORDER BY x.transaction_order, x.statement_order, x.nesting_depth, x.event_id) AS pos
    FROM (SELECT e.id AS event_id, e.statement_order, e.nesting_depth, e.operation,
                 pg_catalog.max(e.id) OVER (PARTITION BY e.transaction_id) AS transaction_order
          FROM chronicle.table_event_log AS e
          WHERE e.table_id = %1$s AND e.transaction_id IN (SELECT chronicle.transactions_after(%2$L::chronicle.cut))) AS x
    WHERE x.operation = 'UPDATE'
), overlay AS (
    SELECT %3$s, %4$s AS old_data
    FROM later_events AS ev
    JOIN chronicle.row_log AS r ON r.event_id = ev.event_id
    WHERE r.event_id >= (SELECT pg_catalog.min(l.event_id) FROM later_events AS l)
    %8$s
)
SELECT %5$s
FROM %6$s AS chronicle_row
LEFT JOIN overlay AS o ON %7$s$query$,
        table_id, cut::text,
        -- (the table has the shape it had then: its key columns are those of then)
        pg_catalog.string_agg(pg_catalog.format('%s AS k%s', chronicle.state_json_key(relation, k.name, 'r.row_key'), k.ord), ', ' ORDER BY k.ord),
        -- (a single entry's old_data read into memory once: every column is read from it, and
        -- each read of a large one would decompress it all again; OFFSET 0, below, keeps the read
        -- from being folded into each column's)
        CASE WHEN single_event THEN 'r.old_data OPERATOR(pg_catalog.||) ''{}''::pg_catalog.jsonb' ELSE 'chronicle.jsonb_merge(r.old_data ORDER BY ev.pos DESC)' END,
        -- key columns are never in old_data here (no entry moved a row)
        (SELECT pg_catalog.string_agg(CASE WHEN a.attname = ANY (key_columns) THEN pg_catalog.format('chronicle_row.%I', a.attname)
                                           WHEN a.attname = ANY (version.excluded_columns) OR a.attgenerated = 'v'
                                           THEN pg_catalog.format('NULL::%s', pg_catalog.format_type(a.atttypid, a.atttypmod))
                                           ELSE pg_catalog.format('CASE WHEN o.old_data ? %L THEN %s ELSE chronicle_row.%I END',
                                                                  a.attname, chronicle.state_json_value(relation, a.attname, a.atttypid, a.atttypmod, 'o.old_data'), a.attname) END
                                      || pg_catalog.format(' AS %I', a.attname), ', ' ORDER BY a.attnum)
         FROM pg_catalog.pg_attribute AS a WHERE a.attrelid = relation AND a.attnum > 0 AND NOT a.attisdropped),
        relation,
        pg_catalog.string_agg(pg_catalog.format('chronicle_row.%I = o.k%s', k.name, k.ord), ' AND ' ORDER BY k.ord),
        CASE WHEN single_event THEN 'OFFSET 0' ELSE 'GROUP BY ' || pg_catalog.string_agg(pg_catalog.format('k%s', k.ord), ', ' ORDER BY k.ord) END)
    FROM pg_catalog.unnest(key_columns) WITH ORDINALITY AS k(name, ord)
$function$;

-- The SQL expression reading column_name of a logged jsonb (the expression source, e.g.
-- o.old_data) as its type, as jsonb_populate_record would: a cast of its text for scalars (->>
-- gives the text of a JSON scalar, or the text form a lossy value was logged as); for json and
-- jsonb the value itself, JSON null read as NULL (jsonb_populate_record does the same, and a
-- whole record per value cost a fifth of a revert of a DELETE); jsonb_populate_record itself for
-- values logged as JSON arrays or objects (arrays, composites, types with a cast to json or
-- jsonb, and domains over those).
CREATE OR REPLACE FUNCTION chronicle.state_json_value(relation regclass, column_name name, value_type oid, value_typmod integer, source text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    WITH RECURSIVE base(oid, typtype, typcategory, typbasetype) AS (
        SELECT t.oid, t.typtype, t.typcategory, t.typbasetype FROM pg_catalog.pg_type AS t WHERE t.oid = value_type
        UNION ALL
        SELECT t.oid, t.typtype, t.typcategory, t.typbasetype FROM base AS b JOIN pg_catalog.pg_type AS t ON t.oid = b.typbasetype WHERE b.typtype = 'd'
    )
    SELECT CASE WHEN b.oid IN ('pg_catalog.json'::pg_catalog.regtype, 'pg_catalog.jsonb'::pg_catalog.regtype)
                THEN pg_catalog.format('(NULLIF(%s -> %L, ''null''::pg_catalog.jsonb))::%s',
                                       source, column_name, pg_catalog.format_type(value_type, value_typmod))
                WHEN b.typtype = 'c' OR b.typcategory = 'A'
                     OR EXISTS (SELECT FROM pg_catalog.pg_cast AS c
                                WHERE c.castsource = b.oid AND c.casttarget IN ('pg_catalog.json'::pg_catalog.regtype, 'pg_catalog.jsonb'::pg_catalog.regtype))
                THEN pg_catalog.format('(pg_catalog.jsonb_populate_record(NULL::%s, pg_catalog.jsonb_build_object(%L, %s -> %L))).%I',
                                       relation, column_name, source, column_name, column_name)
                ELSE pg_catalog.format('(%s ->> %L)::%s', source, column_name, pg_catalog.format_type(value_type, value_typmod)) END
    FROM base AS b WHERE b.typtype <> 'd'
$function$;

-- The SQL expression reading a key column of a relation from a logged key (the jsonb expression
-- source, e.g. r.row_key) as its type: integers straight from their JSON numbers (jsonb casts to
-- them, and a key is never NULL), other types as state_json_value reads any column.
CREATE OR REPLACE FUNCTION chronicle.state_json_key(relation regclass, column_name name, source text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT CASE WHEN a.atttypid IN ('pg_catalog.int2'::pg_catalog.regtype, 'pg_catalog.int4'::pg_catalog.regtype, 'pg_catalog.int8'::pg_catalog.regtype)
                THEN pg_catalog.format('(%s -> %L)::%s', source, column_name, pg_catalog.format_type(a.atttypid, a.atttypmod))
                ELSE chronicle.state_json_value(relation, column_name, a.atttypid, a.atttypmod, source) END
    FROM pg_catalog.pg_attribute AS a
    WHERE a.attrelid = relation AND a.attname = column_name AND a.attnum > 0 AND NOT a.attisdropped
$function$;

COMMENT ON FUNCTION chronicle.state_json_value(regclass, name, oid, integer, text) IS
    'Internal, for time travel: the SQL reading a column of a logged jsonb as its type.';
COMMENT ON FUNCTION chronicle.state_json_key(regclass, name, text) IS
    'Internal, for time travel and revert: the SQL reading a key column of a logged key as its type.';
COMMENT ON FUNCTION chronicle.state_query_updates_only(integer, chronicle.cut, regclass, chronicle.audit_table_log, name[], boolean) IS
    'Internal, for time travel: state_query when the table saw only key-preserving UPDATEs since the cut.';
COMMENT ON FUNCTION chronicle.state_query(integer, chronicle.cut, text, jsonb[]) IS
    'Internal, for time travel: the SQL of an audited table''s rows at a cut, in its shape then or today''s row type.';
