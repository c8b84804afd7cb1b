-- Undo of whole transactions (docs/revert.md): every data change of the given transactions on
-- every audited table, undone newest first, in the caller's transaction, and logged by the
-- tables' capture triggers like any other change, so that a revert can itself be reverted.
--
-- Per event, a handful of set-based statements read its row_log entries back exactly as the
-- capture wrote them: whole rows with jsonb_populate_record, keys and single columns as time
-- travel reads them (chronicle.state_json_value), which builds no record per entry:
--   INSERT            DELETE the rows by key (and check that each was there)
--   UPDATE            UPDATE the rows by key, setting the columns of each entry's old_data (only
--                     those); entries that moved a row to another key go back in waves, each one
--                     statement moving every row whose old key is free (one wave unless the
--                     statement shifted keys along a chain, e.g. id = id + 1)
--   DELETE, TRUNCATE  INSERT old_data (excluded columns take their default)
-- The revert runs with session_replication_role = replica (set for its time only): foreign-key checks and actions do not
-- fire, since every logged change, cascaded ones too, is undone exactly; chronicle's capture
-- triggers, and the application triggers named in keep_triggers, are set to fire ALWAYS for the
-- time of the revert, every other user trigger of the reverted tables is disabled. Foreign keys
-- from and to the reverted tables are checked once at the end. Rows are written as each table's
-- owner (revert_execute), so the tables' own code never runs with this function's rights.
CREATE OR REPLACE FUNCTION chronicle.revert_transactions(
    transaction_ids bigint[],
    include_later boolean DEFAULT false,
    force boolean DEFAULT false,
    dry_run boolean DEFAULT false,
    keep_triggers name[] DEFAULT '{}')
RETURNS TABLE (reverted_transaction_id bigint, event_id bigint, table_name regclass, action text, row_count bigint)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
#variable_conflict use_column
DECLARE
    v_set bigint[];
    v_bad text;
    v_count bigint;
    v_tables integer[];
    v_relations regclass[];
    v_min_event bigint;
    v_later bigint[];
    v_current bigint;
    v_event record;
    v_sql text;
    v_key_condition text;
    v_changed name[];
    v_columns name[];
    v_expected bigint;
    v_done bigint;
    v_moving bigint;
    v_uniform boolean;
    v_pending jsonb[];
    v_moved jsonb[];
    v_triggers jsonb;
    v_revert_id bigint;
    v_state text;
    v_message text;
    v_detail text;
    v_hint text;
    v_replication_role text;
    v_relation regclass;
    v_key_columns name[];
    v_excluded name[];
    v_is_new boolean;
    v_created regclass[] := '{}';
    v_settings text[];
BEGIN
    IF transaction_ids IS NULL OR pg_catalog.cardinality(transaction_ids) = 0
       OR pg_catalog.array_position(transaction_ids, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'no transaction to revert: transaction_ids is NULL, empty or holds NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass ids of chronicle.transaction_log rows.';
    END IF;
    IF include_later IS NULL OR force IS NULL OR dry_run IS NULL OR keep_triggers IS NULL THEN
        RAISE EXCEPTION 'the options of revert_transactions must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Leave an option out to take its default.';
    END IF;
    SELECT pg_catalog.array_agg(DISTINCT x ORDER BY x) INTO v_set FROM pg_catalog.unnest(transaction_ids) AS x;

    SELECT pg_catalog.string_agg(x::text, ', ' ORDER BY x) INTO v_bad
    FROM pg_catalog.unnest(v_set) AS x
    WHERE NOT EXISTS (SELECT FROM chronicle.transaction_log AS t WHERE t.id = x);
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'unknown transaction: % (no such chronicle.transaction_log id)', v_bad
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Find the transaction in chronicle.transaction_log (or with chronicle.table_event_log) and pass its id.';
    END IF;

    SELECT t.id INTO v_current FROM chronicle.transaction_log AS t
    WHERE t.txid = pg_catalog.pg_current_xact_id() AND t.started_at = pg_catalog.transaction_timestamp();
    IF v_current = ANY (v_set) THEN
        RAISE EXCEPTION 'cannot revert transaction %: it is the current transaction', v_current
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Roll back to a savepoint instead, or revert it after it committed.';
    END IF;

    SELECT pg_catalog.string_agg(pg_catalog.format('%s (reverted by transaction %s)', q.x, q.r), ', ' ORDER BY q.x) INTO v_bad
    FROM (SELECT x, chronicle.revert_active_revert(x) AS r FROM pg_catalog.unnest(v_set) AS x) AS q
    WHERE q.r IS NOT NULL AND q.r <> ALL (v_set);
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'already reverted: transaction %', v_bad
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Its changes are undone already. To bring them back, revert the revert (chronicle.revert_transaction(<its id>)).';
    END IF;

    -- The set to revert, with the later transactions it conflicts with when include_later.
    LOOP
        -- DDL: undone by the inverse DDL where the log holds what it needs (chronicle.revert_ddl);
        -- any other is refused before anything is changed.
        SELECT pg_catalog.string_agg(DISTINCT pg_catalog.format('event %s of transaction %s: %s', e.id, e.transaction_id,
                                                                chronicle.revert_ddl_refusal(e.operation::text, e.ddl)), '; ') INTO v_bad
        FROM chronicle.table_event_log AS e
        WHERE e.transaction_id = ANY (v_set) AND chronicle.revert_ddl_refusal(e.operation::text, e.ddl) IS NOT NULL;
        IF v_bad IS NOT NULL THEN
            RAISE EXCEPTION 'cannot revert: the transactions hold DDL that cannot be undone: %', v_bad
                USING ERRCODE = 'feature_not_supported',
                      HINT = 'ADD/DROP/RENAME COLUMN, ALTER COLUMN TYPE/DEFAULT/NOT NULL/IDENTITY, RENAME TABLE, SET SCHEMA and DROP TABLE (of a table that is not partitioned) can be reverted; revert the transactions before or after the others, or undo them by hand. Nothing was changed.';
        END IF;

        IF EXISTS (SELECT FROM chronicle.table_event_log AS e
                   WHERE e.transaction_id = ANY (v_set) AND e.operation::text NOT IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'BASELINE'))
           AND NOT (SELECT s.ddl_capture_enabled FROM chronicle.ddl_capture_status AS s) THEN
            RAISE EXCEPTION 'cannot revert: the transactions changed table structures, and DDL capture is off'
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'The revert of DDL is itself DDL, which must be logged: enable chronicle''s event triggers (see chronicle.ddl_capture_status), or update the extension as a superuser. Nothing was changed.';
        END IF;

        SELECT pg_catalog.array_agg(DISTINCT e.table_id ORDER BY e.table_id), pg_catalog.min(e.id) INTO v_tables, v_min_event
        FROM chronicle.table_event_log AS e
        WHERE e.transaction_id = ANY (v_set) AND e.operation::text <> 'BASELINE';
        v_tables := coalesce(v_tables, '{}');

        -- (a table dropped by a logged DROP TABLE is created again by the revert of the drop, which
        -- is in the set or a conflicting later transaction)
        SELECT pg_catalog.string_agg(pg_catalog.format('%I.%I (table id %s)', v.schema_name, v.table_name, v.table_id), ', ' ORDER BY v.table_id) INTO v_bad
        FROM (SELECT DISTINCT ON (a.table_id) a.* FROM chronicle.audit_table_log AS a
              WHERE a.table_id = ANY (v_tables) ORDER BY a.table_id, a.id DESC) AS v
        WHERE (v.valid_until IS NOT NULL
               AND NOT EXISTS (SELECT FROM chronicle.table_event_log AS d WHERE d.id = v.valid_until_event AND d.operation = 'DROP TABLE'))
           OR (v.valid_until IS NULL AND pg_catalog.to_regclass(pg_catalog.format('%I.%I', v.schema_name, v.table_name)) IS NULL);
        IF v_bad IS NOT NULL THEN
            RAISE EXCEPTION 'cannot revert: the transactions changed tables that are no longer audited: %', v_bad
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'A revert writes only audited tables, so that it is logged itself: audit the table again with chronicle.create_table_audit, then revert. Nothing was changed.';
        END IF;

        SELECT pg_catalog.string_agg(DISTINCT pg_catalog.format('%I.%I', v.schema_name, v.table_name), ', ') INTO v_bad
        FROM chronicle.table_event_log AS e
        JOIN chronicle.audit_table_log AS v
          ON v.table_id = e.table_id AND NOT v.log_old_data
         AND v.valid_from <= e.transaction_id AND (v.valid_until IS NULL OR v.valid_until >= e.transaction_id)
        WHERE e.transaction_id = ANY (v_set)
          AND e.operation::text IN ('UPDATE', 'DELETE', 'TRUNCATE', 'DROP COLUMN', 'ALTER COLUMN TYPE', 'DROP TABLE');
        IF v_bad IS NOT NULL THEN
            RAISE EXCEPTION 'cannot revert: the transactions updated, deleted or dropped data of % while it was audited with log_old_data => false', v_bad
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'Without old data the log cannot tell what the rows were. Audit with log_old_data => true to make later changes revertable. Nothing was changed.';
        END IF;

        SELECT pg_catalog.array_agg(r.relation ORDER BY v.table_id) FILTER (WHERE r.relation IS NOT NULL)
        INTO v_relations
        FROM chronicle.audit_table_log AS v
        CROSS JOIN LATERAL pg_catalog.to_regclass(pg_catalog.format('%I.%I', v.schema_name, v.table_name)) AS r(relation)
        WHERE v.table_id = ANY (v_tables) AND v.valid_until IS NULL;
        v_relations := coalesce(v_relations, '{}');

        -- The revert writes each table as its owner (revert_execute), so the table's own code
        -- runs with the owner's rights, whoever asks. DDL is undone as chronicle's owner, a
        -- superuser: an ADD COLUMN evaluates the logged default, an ALTER COLUMN TYPE casts; and a
        -- dropped table is created again from definitions in the log, whose owner the log does
        -- not keep. So a revert holding DDL is for superusers only. (As in DDL capture,
        -- session_user is who asks: a SECURITY DEFINER function sees no other.) A dry run writes
        -- nothing, and is not refused.
        IF NOT dry_run AND NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles AS r WHERE r.rolname = session_user)
           AND EXISTS (SELECT FROM chronicle.table_event_log AS e
                       WHERE e.transaction_id = ANY (v_set) AND e.operation::text NOT IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'BASELINE')) THEN
            RAISE EXCEPTION 'cannot revert: the transactions changed table structures, and only a superuser may undo that'
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'Undoing DDL runs the logged definitions (defaults, casts, whole tables) with a superuser''s rights. Have a superuser revert. Nothing was changed.';
        END IF;

        -- The rows are written as each table's owner (revert_execute), who must be able to name
        -- the table (USAGE on its schema); and a table that forces row-level security on its owner
        -- would have the owner's policies hide rows from the revert or refuse the rows it writes back.
        SELECT pg_catalog.string_agg(pg_catalog.format('%I may not use schema %I of %s', o.rolname, n.nspname, c.oid::regclass), ', ' ORDER BY c.oid)
        INTO v_bad
        FROM pg_catalog.unnest(v_relations) AS w(relation)
        JOIN pg_catalog.pg_class AS c ON c.oid = w.relation
        JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
        JOIN pg_catalog.pg_roles AS o ON o.oid = c.relowner
        WHERE NOT dry_run AND NOT pg_catalog.has_schema_privilege(c.relowner, n.oid, 'USAGE');
        IF v_bad IS NOT NULL THEN
            RAISE EXCEPTION 'cannot revert: the revert writes each table as its owner, and %', v_bad
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'GRANT USAGE ON SCHEMA to the table''s owner. Nothing was changed.';
        END IF;
        SELECT pg_catalog.string_agg(pg_catalog.format('%s (owned by %I)', c.oid::regclass, o.rolname), ', ' ORDER BY c.oid) INTO v_bad
        FROM pg_catalog.unnest(v_relations) AS w(relation)
        JOIN pg_catalog.pg_class AS c ON c.oid = w.relation
        JOIN pg_catalog.pg_roles AS o ON o.oid = c.relowner
        WHERE NOT dry_run AND c.relrowsecurity AND c.relforcerowsecurity AND NOT o.rolsuper AND NOT o.rolbypassrls;
        IF v_bad IS NOT NULL THEN
            RAISE EXCEPTION 'cannot revert: row-level security is forced on the owner of %, as whom the revert writes', v_bad
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'Its policies would hide rows from the revert, or refuse the rows it writes back. Revert in a transaction that runs ALTER TABLE ... NO FORCE ROW LEVEL SECURITY first (and FORCE again after), or let the owner bypass it (ALTER ROLE ... BYPASSRLS). Nothing was changed.';
        END IF;

        IF pg_catalog.cardinality(v_relations) > 0 THEN
            -- No other writer between the conflict check and the end of the revert.
            EXECUTE pg_catalog.format('LOCK TABLE %s IN EXCLUSIVE MODE',
                                      (SELECT pg_catalog.string_agg(r::text, ', ') FROM pg_catalog.unnest(v_relations) AS r));
        END IF;

        -- Conflicts: a later transaction (not reverted with these) changed a row these changed,
        -- found by the keys of the rows before and after each change. An UPDATE of other columns
        -- of the row, neither moving it to another key, is no conflict: the revert sets back only
        -- its own columns; with force, neither is an UPDATE of the same columns.
        EXIT WHEN v_min_event IS NULL OR NOT EXISTS (
            SELECT FROM chronicle.table_event_log AS e
            WHERE e.id > v_min_event AND e.table_id = ANY (v_tables) AND e.transaction_id <> ALL (v_set)
              AND e.operation::text <> 'BASELINE');

        DROP TABLE IF EXISTS pg_temp.chronicle_revert_conflicts;
        CREATE TEMPORARY TABLE chronicle_revert_conflicts ON COMMIT DROP AS
        WITH keys AS (
            SELECT v.table_id, v.key_columns::text[] AS key_columns, pg_catalog.format('%I.%I', v.schema_name, v.table_name) AS name
            FROM chronicle.audit_table_log AS v WHERE v.table_id = ANY (v_tables) AND v.valid_until IS NULL
        ), entries AS (
            -- the reverted transactions' entries, and later transactions' entries on their tables;
            -- old_key: the row's key before the change
            SELECT e.transaction_id = ANY (v_set) AS mine, e.transaction_id AS tx, e.table_id, r.event_id,
                   e.operation::text AS op, r.row_key, r.old_data,
                   CASE WHEN e.operation::text = 'UPDATE' AND r.old_data ?| k.key_columns
                        THEN (SELECT pg_catalog.jsonb_object_agg(c, coalesce(r.old_data -> c, r.row_key -> c))
                              FROM pg_catalog.jsonb_object_keys(r.row_key) AS c)
                        ELSE r.row_key END AS old_key
            FROM chronicle.table_event_log AS e
            JOIN chronicle.row_log AS r ON r.event_id = e.id
            JOIN keys AS k ON k.table_id = e.table_id
            WHERE (e.transaction_id = ANY (v_set) OR e.id > v_min_event)
              AND e.operation::text IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')
        ), mine AS (
            SELECT * FROM entries WHERE mine
        ), later AS (
            SELECT * FROM entries WHERE NOT mine
        ), mine_keys AS (
            SELECT DISTINCT m.*, x.k FROM mine AS m CROSS JOIN LATERAL (VALUES (m.row_key), (m.old_key)) AS x(k)
        ), later_keys AS (
            SELECT DISTINCT l.*, x.k FROM later AS l CROSS JOIN LATERAL (VALUES (l.row_key), (l.old_key)) AS x(k)
        )
        SELECT DISTINCT k.name, m.k AS row_key, m.tx AS reverted, m.op AS reverted_operation, l.tx AS later, l.op AS later_operation
        FROM mine_keys AS m
        JOIN later_keys AS l ON l.table_id = m.table_id AND l.k = m.k AND l.event_id > m.event_id
        JOIN keys AS k ON k.table_id = m.table_id
        WHERE NOT (m.op = 'UPDATE' AND l.op = 'UPDATE' AND m.row_key = m.old_key AND l.row_key = l.old_key
                   AND l.old_data IS NOT NULL  -- (without old data, the later UPDATE's columns are unknown)
                   AND (force OR NOT m.old_data ?| ARRAY(SELECT pg_catalog.jsonb_object_keys(l.old_data))));
        -- Structure: a later transaction that changed a table after the reverted ones changed its
        -- structure, or that changed the structure of a table the reverted ones changed, conflicts
        -- (its changes were made to, or made, another shape of the table).
        INSERT INTO pg_temp.chronicle_revert_conflicts (name, row_key, reverted, reverted_operation, later, later_operation)
        WITH mine AS (
            SELECT e.id, e.table_id, e.transaction_id, e.operation::text AS op,
                   e.operation::text NOT IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE') AS ddl
            FROM chronicle.table_event_log AS e
            WHERE e.transaction_id = ANY (v_set) AND e.operation::text <> 'BASELINE'
        ), later AS (
            SELECT e.id, e.table_id, e.transaction_id, e.operation::text AS op,
                   e.operation::text NOT IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE') AS ddl
            FROM chronicle.table_event_log AS e
            WHERE e.id > v_min_event AND e.table_id = ANY (v_tables) AND e.transaction_id <> ALL (v_set)
              AND e.operation::text NOT IN ('BASELINE', 'DDL PRE-IMAGE')
        ), pairs AS (
            -- (each side filtered to DDL first, so that the pairs stay few however many rows changed)
            SELECT m.id AS m_id, m.transaction_id AS m_tx, m.op AS m_op, l.table_id, l.transaction_id AS l_tx, l.op AS l_op
            FROM (SELECT * FROM mine WHERE ddl) AS m JOIN later AS l ON l.table_id = m.table_id AND l.id > m.id
            UNION ALL
            SELECT m.id, m.transaction_id, m.op, l.table_id, l.transaction_id, l.op
            FROM (SELECT * FROM later WHERE ddl) AS l JOIN mine AS m ON m.table_id = l.table_id AND m.id < l.id
        )
        SELECT DISTINCT ON (p.table_id, p.l_tx)
               (SELECT pg_catalog.format('%I.%I', a.schema_name, a.table_name) FROM chronicle.audit_table_log AS a
                WHERE a.table_id = p.table_id ORDER BY a.id DESC LIMIT 1),
               NULL::jsonb, p.m_tx, p.m_op, p.l_tx, p.l_op
        FROM pairs AS p
        ORDER BY p.table_id, p.l_tx, p.m_id;

        SELECT pg_catalog.count(*), pg_catalog.array_agg(DISTINCT c.later ORDER BY c.later) INTO v_count, v_later
        FROM pg_temp.chronicle_revert_conflicts AS c;
        EXIT WHEN v_count = 0;
        IF include_later THEN
            SELECT pg_catalog.array_agg(DISTINCT x ORDER BY x) INTO v_set FROM pg_catalog.unnest(v_set || v_later) AS x;
            IF v_current = ANY (v_set) THEN
                RAISE EXCEPTION 'cannot revert: the current transaction changed rows of the reverted transactions'
                    USING ERRCODE = 'invalid_parameter_value', HINT = 'Revert in a transaction of its own.';
            END IF;
            CONTINUE;
        END IF;
        SELECT pg_catalog.string_agg(pg_catalog.format('%s %s: reverted transaction %s (%s), later transaction %s (%s)',
                                                       c.name, coalesce('row ' || c.row_key::text, 'structure'), c.reverted,
                                                       c.reverted_operation, c.later, c.later_operation),
                                     E'\n' ORDER BY c.name, c.row_key::text NULLS FIRST, c.later)
        INTO v_bad
        FROM (SELECT * FROM pg_temp.chronicle_revert_conflicts ORDER BY name, row_key::text NULLS FIRST, later LIMIT 20) AS c;
        RAISE EXCEPTION 'cannot revert: later transactions % changed % rows (or table structures) changed by the reverted transactions', v_later, v_count
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = v_bad || CASE WHEN v_count > 20 THEN E'\n...' ELSE '' END,
                  HINT = 'Revert the later transactions too (include_later => true), or, where both are UPDATEs of the same row, set back only the reverted transactions'' columns (force => true). Nothing was changed.';
    END LOOP;

    IF NOT dry_run THEN
        -- Set here, not as a SET clause of the function: only a superuser may set it, and a SET
        -- clause would keep an extension installed without one from being created at all. Set
        -- back below; an error rolls it back with the rest.
        v_replication_role := pg_catalog.current_setting('session_replication_role');
        -- Bulk events: a hash join of the logged rows with the table (the planner, knowing nothing
        -- of how many entries an event has, would look each row up by index), and room for it and
        -- for the capture's pairing of old and new rows in memory. Set back at the end.
        v_settings := ARRAY[pg_catalog.current_setting('enable_nestloop'), pg_catalog.current_setting('enable_memoize'),
                            pg_catalog.current_setting('work_mem')];
        IF pg_catalog.pg_size_bytes(v_settings[3]) < 64 * 1024 * 1024 THEN
            PERFORM pg_catalog.set_config('work_mem', '64MB', true);
        END IF;
        BEGIN
            PERFORM pg_catalog.set_config('session_replication_role', 'replica', true);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE EXCEPTION 'cannot revert: chronicle was installed without a superuser'
                USING ERRCODE = '42501',
                      HINT = 'A revert turns off foreign-key triggers while it undoes logged changes, which needs chronicle to be installed (or updated) by a superuser. Nothing was changed.';
        END;
        -- (the revert's own ALTER TABLEs need no snapshot of chronicle's structure: ddl_command_start)
        PERFORM pg_catalog.set_config('chronicle.reverting', 'on', true);
        v_triggers := chronicle.revert_set_triggers(v_relations, keep_triggers, NULL);
        v_revert_id := chronicle.log_transaction();
        UPDATE chronicle.transaction_log AS t
        SET session_info = coalesce(t.session_info, '{}')
                           || pg_catalog.jsonb_build_object('chronicle_reverted',
                                  coalesce(t.session_info -> 'chronicle_reverted', '[]') || pg_catalog.to_jsonb(v_set))
        WHERE t.id = v_revert_id;
        INSERT INTO chronicle.revert_log AS l
        SELECT x, v_revert_id FROM pg_catalog.unnest(v_set) AS x
        ON CONFLICT DO NOTHING;
        PERFORM chronicle.revert_begin_writes();
    END IF;

    -- Newest first: transactions in the order of their last events, each one's events in the
    -- order its statements ran (docs/log-tables.md, "Order of changes"), all reversed.
    FOR v_event IN
        SELECT e.id, e.transaction_id, e.table_id, e.operation::text AS op
        FROM (SELECT e.*, pg_catalog.max(e.id) OVER (PARTITION BY e.transaction_id) AS last_event
              FROM chronicle.table_event_log AS e
              WHERE e.transaction_id = ANY (v_set) AND e.operation::text NOT IN ('BASELINE', 'DDL PRE-IMAGE')) AS e
        ORDER BY e.last_event DESC, e.statement_order DESC, e.nesting_depth DESC, e.id DESC
    LOOP
        -- the table as it is now (undoing DDL renames, moves, drops and creates it)
        v_relation := NULL;
        v_key_columns := NULL;
        v_excluded := NULL;
        SELECT pg_catalog.to_regclass(pg_catalog.format('%I.%I', v.schema_name, v.table_name)), v.key_columns, v.excluded_columns
        INTO v_relation, v_key_columns, v_excluded
        FROM chronicle.audit_table_log AS v WHERE v.table_id = v_event.table_id AND v.valid_until IS NULL;
        reverted_transaction_id := v_event.transaction_id;
        event_id := v_event.id;
        table_name := v_relation;
        action := chronicle.revert_action(v_event.op);
        -- (the planner settings of the last bulk event, back as they were; v_settings is NULL in a dry run)
        IF v_settings[1] <> pg_catalog.current_setting('enable_nestloop') OR v_settings[2] <> pg_catalog.current_setting('enable_memoize') THEN
            PERFORM pg_catalog.set_config('enable_nestloop', v_settings[1], true), pg_catalog.set_config('enable_memoize', v_settings[2], true);
        END IF;
        IF v_event.op NOT IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE') THEN
            IF dry_run THEN
                row_count := 0;
                IF v_event.op IN ('DROP COLUMN', 'ALTER COLUMN TYPE', 'DROP TABLE') THEN
                    SELECT pg_catalog.count(*) INTO row_count FROM chronicle.row_log AS r WHERE r.event_id = v_event.id;
                END IF;
            ELSE
                SELECT d.relation, d.row_count, d.created INTO v_relation, row_count, v_is_new FROM chronicle.revert_ddl(v_event.id) AS d;
                IF v_is_new THEN
                    v_created := v_created || v_relation;
                END IF;
                table_name := CASE WHEN v_event.op = 'CREATE TABLE' THEN NULL ELSE v_relation END;
            END IF;
            RETURN NEXT;
            CONTINUE;
        END IF;
        IF dry_run THEN
            SELECT pg_catalog.count(*) INTO row_count FROM chronicle.row_log AS r WHERE r.event_id = v_event.id;
            RETURN NEXT;
            CONTINUE;
        END IF;
        IF v_relation IS NULL THEN
            RAISE EXCEPTION 'cannot revert event % (%) of transaction %: the table (table id %) does not exist', v_event.id, v_event.op, v_event.transaction_id, v_event.table_id
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'The table was dropped or renamed without being logged. Nothing was changed.';
        END IF;
        v_key_condition := chronicle.revert_key_condition(v_relation, v_key_columns, 't', '(s.k)');

        IF v_event.op = 'INSERT' THEN
            SELECT pg_catalog.count(*) INTO v_expected FROM chronicle.row_log AS r WHERE r.event_id = v_event.id;
            IF v_expected > 1000 THEN
                PERFORM pg_catalog.set_config('enable_nestloop', 'off', true), pg_catalog.set_config('enable_memoize', 'off', true);
            END IF;
            v_done := (chronicle.revert_execute(v_relation, pg_catalog.format($sql$
                DELETE FROM %1$s AS t
                USING pg_temp.chronicle_revert_entries AS r
                WHERE r.event_id = $1 AND %2$s$sql$,
                v_relation, chronicle.revert_key_condition(v_relation, v_key_columns, 't', 'r.row_key', true)), v_event.id)).row_count;

        ELSIF v_event.op = 'UPDATE' THEN
            -- The changed columns: usually every entry of a statement names the same ones, checked
            -- in the same scan that counts the entries (and those that moved a row to another key).
            SELECT pg_catalog.array_agg(c::name ORDER BY c) INTO v_changed
            FROM (SELECT r.old_data FROM chronicle.row_log AS r WHERE r.event_id = v_event.id LIMIT 1) AS one,
                 LATERAL pg_catalog.jsonb_object_keys(one.old_data) AS c;
            SELECT pg_catalog.count(*), pg_catalog.count(*) FILTER (WHERE r.old_data ?| v_key_columns::text[]),
                   pg_catalog.bool_and(r.old_data ?& v_changed::text[] AND r.old_data - v_changed::text[] = '{}'::jsonb)
            INTO v_expected, v_moving, v_uniform
            FROM chronicle.row_log AS r WHERE r.event_id = v_event.id;
            IF v_expected > 1000 THEN
                PERFORM pg_catalog.set_config('enable_nestloop', 'off', true), pg_catalog.set_config('enable_memoize', 'off', true);
            END IF;
            IF NOT v_uniform THEN
                SELECT pg_catalog.array_agg(DISTINCT c::name) INTO v_changed
                FROM chronicle.row_log AS r CROSS JOIN LATERAL pg_catalog.jsonb_object_keys(r.old_data) AS c
                WHERE r.event_id = v_event.id;
            END IF;
            SELECT pg_catalog.string_agg(pg_catalog.quote_ident(c), ', ') INTO v_bad
            FROM pg_catalog.unnest(v_changed) AS c
            WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_attribute AS a
                              WHERE a.attrelid = v_relation AND a.attname = c AND a.attnum > 0 AND NOT a.attisdropped);
            IF v_bad IS NOT NULL THEN
                RAISE EXCEPTION 'cannot revert event % of transaction %: % has no column % any more', v_event.id, v_event.transaction_id, v_relation, v_bad
                    USING ERRCODE = 'object_not_in_prerequisite_state',
                          HINT = 'The table''s structure changed since; reverting across DDL is not supported yet. Nothing was changed.';
            END IF;
            SELECT pg_catalog.array_agg(c ORDER BY c) INTO v_columns
            FROM pg_catalog.unnest(chronicle.revert_columns(v_relation, '{}', false)) AS c WHERE c = ANY (v_changed);
            -- Each entry sets back the columns of its old_data: all of v_columns when every entry
            -- names the same ones, else each column only where the entry names it.
            -- (each old value read from old_data as its type, as time travel reads it)
            v_sql := (SELECT pg_catalog.format('(%s) = ROW(%s)',
                                               pg_catalog.string_agg(pg_catalog.quote_ident(x.c), ', ' ORDER BY x.o),
                                               pg_catalog.string_agg(pg_catalog.format(CASE WHEN v_uniform AND v_moving = 0 THEN '%2$s'
                                                                                            ELSE 'CASE WHEN r.old_data ? %1$L THEN %2$s ELSE t.%1$I END' END,
                                                                                       x.c, chronicle.state_json_value(v_relation, x.c, a.atttypid, a.atttypmod, 'r.old_data')),
                                                                     ', ' ORDER BY x.o))
                      FROM pg_catalog.unnest(v_columns) WITH ORDINALITY AS x(c, o)
                      JOIN pg_catalog.pg_attribute AS a ON a.attrelid = v_relation AND a.attname = x.c AND NOT a.attisdropped);
            IF v_sql IS NULL THEN
                -- only columns that cannot be set (generated ones, computed again by the server)
                v_done := v_expected;
                v_moving := 0;
            ELSE
                -- Rows that keep their key: one statement. (row_key || old_data: the key and the old values.)
                v_done := (chronicle.revert_execute(v_relation, pg_catalog.format($sql$
                    UPDATE %1$s AS t SET %2$s
                    FROM %3$s
                    WHERE %5$s %4$s$sql$,
                    v_relation, v_sql,
                    chronicle.revert_entries(pg_catalog.cardinality(v_columns) > 1 OR NOT v_uniform, 'r.row_key, '),
                    CASE WHEN v_moving > 0 THEN 'AND NOT r.old_data ?| $2' ELSE '' END,
                    chronicle.revert_key_condition(v_relation, v_key_columns, 't', 'r.row_key', true)),
                    v_event.id, v_key_columns::text[])).row_count;
            END IF;
            IF v_moving > 0 THEN
                -- Rows moved to another key: back in waves, each moving the rows whose old key is free.
                v_sql := (SELECT pg_catalog.format('(%s) = ROW(%s)',
                                                   pg_catalog.string_agg(pg_catalog.quote_ident(c), ', ' ORDER BY o),
                                                   pg_catalog.string_agg(pg_catalog.format('CASE WHEN s.o ? %L THEN (s.p).%I ELSE t.%I END', c, c, c), ', ' ORDER BY o))
                          FROM pg_catalog.unnest(v_columns) WITH ORDINALITY AS x(c, o));
                SELECT pg_catalog.array_agg(r.row_key) INTO v_pending
                FROM chronicle.row_log AS r WHERE r.event_id = v_event.id AND r.old_data ?| v_key_columns::text[];
                LOOP
                    v_moved := (chronicle.revert_execute(v_relation, pg_catalog.format($sql$
                        WITH s AS MATERIALIZED (
                            SELECT r.row_key AS rk, r.old_data AS o,
                                   pg_catalog.jsonb_populate_record(NULL::%1$s, r.row_key) AS k,
                                   pg_catalog.jsonb_populate_record(NULL::%1$s, r.row_key || r.old_data) AS p
                            FROM pg_temp.chronicle_revert_entries AS r
                            WHERE r.event_id = $1 AND r.row_key IN (SELECT pg_catalog.unnest($3))
                        ), u AS (
                            UPDATE %1$s AS t SET %2$s FROM s
                            WHERE %3$s AND NOT EXISTS (SELECT FROM %1$s AS x WHERE %4$s)
                            RETURNING s.rk
                        )
                        SELECT pg_catalog.array_agg(u.rk) FROM u$sql$,
                        v_relation, v_sql, v_key_condition,
                        chronicle.revert_key_condition(v_relation, v_key_columns, 'x', '(s.p)')),
                        v_event.id, keys => v_pending, returns_keys => true)).returned;
                    EXIT WHEN v_moved IS NULL;
                    v_done := v_done + pg_catalog.cardinality(v_moved);
                    v_pending := ARRAY(SELECT x FROM pg_catalog.unnest(v_pending) AS x EXCEPT SELECT pg_catalog.unnest(v_moved));
                    EXIT WHEN pg_catalog.cardinality(v_pending) = 0;
                END LOOP;
            END IF;

        ELSE -- DELETE, TRUNCATE
            v_columns := chronicle.revert_columns(v_relation, v_excluded, true);
            -- each column read from old_data as its type, as time travel reads it: a fifth cheaper
            -- than building the row with jsonb_populate_record
            v_done := (chronicle.revert_execute(v_relation, pg_catalog.format($sql$
                INSERT INTO %1$s AS t (%2$s) OVERRIDING SYSTEM VALUE
                SELECT %3$s FROM %4$s$sql$,
                v_relation,
                (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(c), ', ' ORDER BY o) FROM pg_catalog.unnest(v_columns) WITH ORDINALITY AS x(c, o)),
                (SELECT pg_catalog.string_agg(chronicle.state_json_value(v_relation, x.c, a.atttypid, a.atttypmod, 'r.old_data'), ', ' ORDER BY x.o)
                 FROM pg_catalog.unnest(v_columns) WITH ORDINALITY AS x(c, o)
                 JOIN pg_catalog.pg_attribute AS a ON a.attrelid = v_relation AND a.attname = x.c AND NOT a.attisdropped),
                chronicle.revert_entries(pg_catalog.cardinality(v_columns) > 1, '')), v_event.id)).row_count;
            v_expected := v_done;
        END IF;

        IF v_done <> v_expected THEN
            RAISE EXCEPTION 'cannot revert event % (%) of transaction % on %: % of its % rows are not as it left them',
                    v_event.id, v_event.op, v_event.transaction_id, v_relation, v_expected - v_done, v_expected
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'The table was changed without being logged (while not audited, or with its capture triggers disabled), so the log no longer describes its rows. Nothing was changed.';
        END IF;
        row_count := v_done;
        RETURN NEXT;
    END LOOP;

    IF NOT dry_run THEN
        PERFORM chronicle.revert_set_triggers(v_relations, keep_triggers, v_triggers);
        -- tables the revert created again: their capture triggers fire as usual (ENABLE)
        FOR v_event IN
            SELECT t.tgrelid::regclass AS relation, t.tgname
            FROM pg_catalog.pg_trigger AS t
            WHERE t.tgrelid = ANY (v_created::oid[]) AND t.tgname LIKE 'chronicle\_capture\_%' AND NOT t.tgisinternal AND t.tgenabled <> 'O'
            ORDER BY t.tgrelid, t.tgname
        LOOP
            EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE TRIGGER %I', v_event.relation, v_event.tgname);
        END LOOP;
        PERFORM chronicle.revert_check_foreign_keys(v_relations || v_created);
        PERFORM chronicle.revert_end_writes();
        PERFORM pg_catalog.set_config('session_replication_role', v_replication_role, true);
        PERFORM pg_catalog.set_config('chronicle.reverting', '', true);
        PERFORM pg_catalog.set_config('enable_nestloop', v_settings[1], true), pg_catalog.set_config('enable_memoize', v_settings[2], true),
                pg_catalog.set_config('work_mem', v_settings[3], true);
    END IF;
    RETURN;
EXCEPTION WHEN OTHERS THEN
    -- Every failure leaves the data unchanged (this block's changes are rolled back); errors
    -- raised by the statements themselves (a unique key taken, a NOT NULL column excluded from
    -- the log) get a HINT.
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
    IF coalesce(v_hint, '') = '' AND v_state = '42501' THEN
        v_message := 'revert failed: ' || v_message;
        v_hint := 'The revert writes each table as the table''s owner (docs/revert.md): grant the owner what it lacks. Nothing was changed.';
    ELSIF coalesce(v_hint, '') = '' THEN
        v_message := 'revert failed: ' || v_message;
        v_hint := 'A row the revert would write conflicts with the table as it is now (a key taken by a row inserted without being logged, a NOT NULL column excluded from the log, a check constraint). Nothing was changed.';
    END IF;
    RAISE EXCEPTION USING ERRCODE = v_state, MESSAGE = v_message, DETAIL = coalesce(v_detail, ''), HINT = v_hint;
END
$function$;

COMMENT ON FUNCTION chronicle.revert_transactions(bigint[], boolean, boolean, boolean, name[]) IS
    'Undoes the data changes of the given transactions (newest first, in one transaction, itself logged); refuses on conflicts with later transactions unless include_later or force; dry_run returns the plan. One row per event undone.';

-- Every transaction from first_id to last_id (chronicle.transaction_log ids, inclusive).
CREATE OR REPLACE FUNCTION chronicle.revert_transactions(
    first_id bigint,
    last_id bigint,
    include_later boolean DEFAULT false,
    force boolean DEFAULT false,
    dry_run boolean DEFAULT false,
    keep_triggers name[] DEFAULT '{}')
RETURNS TABLE (reverted_transaction_id bigint, event_id bigint, table_name regclass, action text, row_count bigint)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_ids bigint[];
BEGIN
    IF first_id IS NULL OR last_id IS NULL OR first_id > last_id THEN
        RAISE EXCEPTION 'no transaction to revert between % and %', first_id, last_id
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass the first and the last chronicle.transaction_log id of the range.';
    END IF;
    SELECT pg_catalog.array_agg(t.id ORDER BY t.id) INTO v_ids
    FROM chronicle.transaction_log AS t WHERE t.id BETWEEN first_id AND last_id;
    IF v_ids IS NULL THEN
        RAISE EXCEPTION 'no transaction to revert between % and %', first_id, last_id
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass the first and the last chronicle.transaction_log id of the range.';
    END IF;
    RETURN QUERY SELECT * FROM chronicle.revert_transactions(v_ids, include_later, force, dry_run, keep_triggers);
END
$function$;

COMMENT ON FUNCTION chronicle.revert_transactions(bigint, bigint, boolean, boolean, boolean, name[]) IS
    'Undoes the data changes of every transaction from first_id to last_id (see revert_transactions(bigint[], ...)).';

CREATE OR REPLACE FUNCTION chronicle.revert_transaction(
    transaction_id bigint,
    include_later boolean DEFAULT false,
    force boolean DEFAULT false,
    dry_run boolean DEFAULT false,
    keep_triggers name[] DEFAULT '{}')
RETURNS TABLE (reverted_transaction_id bigint, event_id bigint, table_name regclass, action text, row_count bigint)
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT * FROM chronicle.revert_transactions(ARRAY[transaction_id], include_later, force, dry_run, keep_triggers)
$function$;

COMMENT ON FUNCTION chronicle.revert_transaction(bigint, boolean, boolean, boolean, name[]) IS
    'Undoes the data changes of one transaction (see revert_transactions).';
