-- What a state at a cut is built from (docs/time-travel.md, "How a past state is built"): the
-- table's version valid at the cut, its columns then, and the changes of shape after it.

-- The version of an audited table valid at a cut. Refused, with the reason, when there is none
-- (not audited yet, dropped, audit stopped) or when the history from the cut to now has a gap
-- (an audit stopped and started again), since the state is rebuilt by undoing every later change.
CREATE OR REPLACE FUNCTION chronicle.state_version(table_id integer, cut chronicle.cut)
RETURNS chronicle.audit_table_log
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_versions chronicle.audit_table_log[];
    v_count integer;
    v_at integer;
    v_name text;
    v_dropped_by bigint;
    v_started timestamptz;
BEGIN
    SELECT pg_catalog.array_agg(v ORDER BY v.id) INTO v_versions
    FROM chronicle.audit_table_log AS v WHERE v.table_id = state_version.table_id;
    IF v_versions IS NULL THEN
        RAISE EXCEPTION 'table id % has never been audited', table_id
            USING ERRCODE = 'undefined_table', HINT = 'The audited tables are listed in chronicle.audit_table_log.';
    END IF;
    v_count := pg_catalog.array_length(v_versions, 1);
    v_name := pg_catalog.format('%I.%I', v_versions[v_count].schema_name, v_versions[v_count].table_name);
    -- ended by DROP TABLE (the event that ends the last version), as opposed to an audit stopped
    SELECT e.transaction_id INTO v_dropped_by
    FROM chronicle.table_event_log AS e
    WHERE e.id = v_versions[v_count].valid_until_event AND e.operation = 'DROP TABLE';

    FOR i IN 1 .. v_count LOOP
        IF coalesce(chronicle.in_cut(cut, v_versions[i].valid_from), false)
           AND (v_versions[i].valid_until IS NULL OR NOT coalesce(chronicle.in_cut(cut, v_versions[i].valid_until), false)) THEN
            v_at := i;
        END IF;
    END LOOP;

    IF v_at IS NULL THEN
        IF NOT coalesce(chronicle.in_cut(cut, v_versions[1].valid_from), false) THEN
            SELECT t.committed_at INTO v_started FROM chronicle.transaction_log AS t WHERE t.id = v_versions[1].valid_from;
            RAISE EXCEPTION 'table % was not audited yet at %', v_name, (cut).description
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = pg_catalog.format('Its history starts with transaction %s, committed at %s.', v_versions[1].valid_from, v_started),
                      HINT = 'Pass a later point: chronicle knows nothing of a table from before it was audited.';
        END IF;
        IF v_dropped_by IS NOT NULL AND coalesce(chronicle.in_cut(cut, v_dropped_by), false) THEN
            RAISE EXCEPTION 'table % did not exist at %', v_name, (cut).description
                USING ERRCODE = 'undefined_table',
                      DETAIL = pg_catalog.format('It was dropped by transaction %s.', v_dropped_by),
                      HINT = 'Pass an earlier point.';
        END IF;
        RAISE EXCEPTION 'table % was not audited at %', v_name, (cut).description
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Its audit had been stopped (chronicle.drop_table_audit) by then.';
    END IF;

    FOR i IN v_at .. v_count - 1 LOOP
        IF v_versions[i].valid_until IS DISTINCT FROM v_versions[i + 1].valid_from THEN
            RAISE EXCEPTION 'the history of % after % is incomplete', v_name, (cut).description
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = pg_catalog.format('Its audit was stopped by transaction %s and started again by transaction %s; changes in between were not logged.',
                                                 v_versions[i].valid_until, v_versions[i + 1].valid_from),
                      HINT = 'Pass a point after the audit started again.';
        END IF;
    END LOOP;
    IF v_versions[v_count].valid_until IS NOT NULL AND v_dropped_by IS NULL THEN
        RAISE EXCEPTION 'the history of % after % is incomplete', v_name, (cut).description
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('Its audit was stopped by transaction %s; later changes were not logged.', v_versions[v_count].valid_until),
                  HINT = 'Audit the table again (chronicle.create_table_audit) to follow it from now on.';
    END IF;
    RETURN v_versions[v_at];
END
$function$;

-- The columns of a table at a cut, in table order: name and type then, whether their values are
-- logged, and the name they have now (NULL when dropped since).
CREATE OR REPLACE FUNCTION chronicle.state_columns(table_id integer, cut chronicle.cut)
RETURNS TABLE (column_name name, data_type text, logged boolean, current_name name)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_version chronicle.audit_table_log := chronicle.state_version(table_id, cut);
    v_shape record;
    v_names name[];
    v_types text[];
    v_logged boolean[];
    v_current name[];
BEGIN
    SELECT pg_catalog.array_agg(c.column_name ORDER BY c.ordinal_position),
           pg_catalog.array_agg(c.data_type ORDER BY c.ordinal_position),
           pg_catalog.array_agg(c.column_name <> ALL (v_version.excluded_columns) AND c.generated IS DISTINCT FROM 'VIRTUAL'
                                ORDER BY c.ordinal_position)
    INTO v_names, v_types, v_logged
    FROM chronicle.audit_column_log AS c
    WHERE c.table_id = state_columns.table_id
      AND coalesce(chronicle.in_cut(cut, c.valid_from), false)
      AND (c.valid_until IS NULL OR NOT coalesce(chronicle.in_cut(cut, c.valid_until), false));
    v_current := v_names;
    -- follow renames and drops forward, oldest first
    FOR v_shape IN SELECT * FROM chronicle.state_shape_events(table_id, cut) LOOP
        FOR i IN 1 .. coalesce(pg_catalog.array_length(v_current, 1), 0) LOOP
            IF v_current[i] = v_shape.first_name THEN
                v_current[i] := CASE v_shape.operation WHEN 'RENAME COLUMN' THEN v_shape.second_name::name
                                                       WHEN 'DROP COLUMN' THEN NULL ELSE v_current[i] END;
            END IF;
        END LOOP;
    END LOOP;
    RETURN QUERY SELECT v_names[i], v_types[i], v_logged[i], v_current[i]
                 FROM pg_catalog.generate_subscripts(v_names, 1) AS i ORDER BY i;
END
$function$;

-- The changes of shape of a table after a cut, oldest first, in the order of the log (see
-- docs/log-tables.md, "Order of changes"): found through the column and table versions they
-- started, so no scan of the event log is needed. first_name is the column added, renamed (its
-- old name) or dropped; second_name the new name of a rename.
CREATE OR REPLACE FUNCTION chronicle.state_shape_events(table_id integer, cut chronicle.cut)
RETURNS TABLE (event_id bigint, operation text, first_name name, second_name name,
               transaction_order bigint, statement_order bigint, nesting_depth smallint)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_events bigint[];
BEGIN
    SELECT pg_catalog.array_agg(DISTINCT x.event_id) INTO v_events
    FROM (SELECT v.valid_from_event AS event_id FROM chronicle.audit_column_log AS v
          WHERE v.table_id = state_shape_events.table_id AND NOT coalesce(chronicle.in_cut(cut, v.valid_from), false)
          UNION ALL
          SELECT v.valid_until_event FROM chronicle.audit_column_log AS v
          WHERE v.table_id = state_shape_events.table_id AND v.valid_until IS NOT NULL
            AND NOT coalesce(chronicle.in_cut(cut, v.valid_until), false)
          UNION ALL
          SELECT v.valid_from_event FROM chronicle.audit_table_log AS v
          WHERE v.table_id = state_shape_events.table_id AND NOT coalesce(chronicle.in_cut(cut, v.valid_from), false)) AS x
    WHERE x.event_id IS NOT NULL;
    IF v_events IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
    SELECT e.id, e.operation::text,
           (CASE WHEN e.operation = 'RENAME COLUMN' THEN e.ddl ->> 'old_name' ELSE e.ddl ->> 'column' END)::name,
           (e.ddl ->> 'new_name')::name,
           (SELECT pg_catalog.max(x.id) FROM chronicle.table_event_log AS x
            WHERE x.transaction_id = e.transaction_id AND x.table_id = e.table_id),
           e.statement_order, e.nesting_depth
    FROM chronicle.table_event_log AS e
    WHERE e.id = ANY (v_events)
      AND e.operation IN ('ADD COLUMN', 'RENAME COLUMN', 'DROP COLUMN', 'ALTER KEY')
    ORDER BY 5, 6, 7, 1;
END
$function$;

-- A logged row (row_key or old_data, written with the column names of its event's time) with
-- the changes of shape between the cut and that event undone, newest first: renamed columns get
-- their old names back, columns added since are removed. operations, first_names and
-- second_names are state_shape_events' columns; steps is how many of them are older than the
-- event.
CREATE OR REPLACE FUNCTION chronicle.state_undo_shape(value jsonb, operations text[], first_names text[], second_names text[], steps integer)
RETURNS jsonb
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    FOR i IN REVERSE steps .. 1 LOOP
        IF operations[i] = 'RENAME COLUMN' AND value ? second_names[i] THEN
            value := (value - second_names[i]) || pg_catalog.jsonb_build_object(first_names[i], value -> second_names[i]);
        ELSIF operations[i] = 'ADD COLUMN' THEN
            value := value - first_names[i];
        END IF;
    END LOOP;
    RETURN value;
END
$function$;

COMMENT ON FUNCTION chronicle.state_version(integer, chronicle.cut) IS
    'Internal, for time travel: the version of an audited table valid at a cut, with a complete history since.';
COMMENT ON FUNCTION chronicle.state_columns(integer, chronicle.cut) IS
    'Internal, for time travel: the columns of an audited table at a cut, and their names now.';
COMMENT ON FUNCTION chronicle.state_shape_events(integer, chronicle.cut) IS
    'Internal, for time travel: the ADD/RENAME/DROP COLUMN and ALTER KEY events of a table after a cut, oldest first.';
COMMENT ON FUNCTION chronicle.state_undo_shape(jsonb, text[], text[], text[], integer) IS
    'Internal, for time travel: a logged row with later renames and added columns undone.';
