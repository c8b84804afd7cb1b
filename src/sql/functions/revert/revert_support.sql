-- Support for chronicle.revert_transactions: SQL fragments rendered from the catalog (key
-- matching, column lists), the revert chain, triggers during a revert, and the foreign-key check.

-- The SQL condition matching rows of two aliases of a relation's row type on its key columns,
-- each compared with the equality operator of its type's default btree operator class (the one
-- a unique key uses), named with its schema so that no search_path is needed, e.g.
-- t."id" OPERATOR(pg_catalog.=) s."id". Types without such an operator of their own (arrays,
-- enums, ranges) use pg_catalog's polymorphic one. With right_is_json, right_alias is a logged
-- key (a jsonb expression such as r.row_key) and each key value is read from it as time travel
-- reads keys (chronicle.state_json_key); that skips building a whole record per logged row.
CREATE OR REPLACE FUNCTION chronicle.revert_key_condition(relation regclass, key_columns name[], left_alias text, right_alias text,
                                                          right_is_json boolean DEFAULT false)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT pg_catalog.string_agg(
               pg_catalog.format('%s.%I OPERATOR(%s) %s', left_alias, k.name, coalesce(op.name, 'pg_catalog.='),
                                 CASE WHEN right_is_json THEN chronicle.state_json_key(relation, k.name, right_alias)
                                      ELSE pg_catalog.format('%s.%I', right_alias, k.name) END),
               ' AND ' ORDER BY k.ord)
    FROM pg_catalog.unnest(key_columns) WITH ORDINALITY AS k(name, ord)
    JOIN pg_catalog.pg_attribute AS a ON a.attrelid = relation AND a.attname = k.name AND NOT a.attisdropped
    JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
    LEFT JOIN LATERAL (
        SELECT pg_catalog.format('%I.%s', n.nspname, o.oprname) AS name
        FROM pg_catalog.pg_opclass AS c
        JOIN pg_catalog.pg_am AS am ON am.oid = c.opcmethod AND am.amname = 'btree'
        JOIN pg_catalog.pg_amop AS ao
          ON ao.amopfamily = c.opcfamily AND ao.amoplefttype = c.opcintype
         AND ao.amoprighttype = c.opcintype AND ao.amopstrategy = 3
        JOIN pg_catalog.pg_operator AS o ON o.oid = ao.amopopr
        JOIN pg_catalog.pg_namespace AS n ON n.oid = o.oprnamespace
        WHERE c.opcdefault
          AND c.opcintype = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
        LIMIT 1
    ) AS op ON true
$function$;

COMMENT ON FUNCTION chronicle.revert_key_condition(regclass, name[], text, text, boolean) IS
    'Internal, for revert: the condition matching two row aliases of a relation (or a row alias and a logged key) on its key columns.';

-- The columns a revert writes: every column but dropped and generated ones; without the excluded
-- columns when for_insert (they are not logged, so a re-inserted row gets their default); without
-- identity columns GENERATED ALWAYS when not for_insert (an UPDATE cannot set them).
CREATE OR REPLACE FUNCTION chronicle.revert_columns(relation regclass, excluded_columns name[], for_insert boolean)
RETURNS name[]
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT coalesce(pg_catalog.array_agg(a.attname ORDER BY a.attnum), '{}')
    FROM pg_catalog.pg_attribute AS a
    WHERE a.attrelid = relation AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      AND (NOT for_insert OR a.attname <> ALL (excluded_columns))
      AND (for_insert OR a.attidentity <> 'a')
$function$;

COMMENT ON FUNCTION chronicle.revert_columns(regclass, name[], boolean) IS
    'Internal, for revert: the columns a revert writes (INSERT or UPDATE).';

-- The FROM item of the entries of event $1 as r, with old_data and the other_columns listed
-- (e.g. 'r.row_key, '), for a write run as the table's owner (revert_execute: it reads them
-- through pg_temp.chronicle_revert_entries); without detoast_once, PostgreSQL folds it into the
-- statement. Every read
-- of a value from a large old_data (compressed, or stored out of line) decompresses all of it
-- again: with several reads per entry (many columns of a wide row), detoast_once reads each
-- entry's old_data once into memory first ("|| '{}'" returns its operand, in memory; OFFSET 0
-- keeps that from being folded back into each read).
CREATE OR REPLACE FUNCTION chronicle.revert_entries(detoast_once boolean, other_columns text)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT pg_catalog.format('(SELECT %sr.old_data%s AS old_data FROM pg_temp.chronicle_revert_entries AS r WHERE r.event_id = $1%s) AS r',
                             other_columns,
                             CASE WHEN detoast_once THEN ' OPERATOR(pg_catalog.||) ''{}''::pg_catalog.jsonb' ELSE '' END,
                             CASE WHEN detoast_once THEN ' OFFSET 0' ELSE '' END)
$function$;

COMMENT ON FUNCTION chronicle.revert_entries(boolean, text) IS
    'Internal, for revert: the FROM item of an event''s entries, their old_data detoasted once where it is read several times.';

-- The revert in force of a transaction: the transaction that reverted it and was not itself
-- reverted (recursively), or NULL when the transaction's changes stand.
CREATE OR REPLACE FUNCTION chronicle.revert_active_revert(transaction_id bigint)
RETURNS bigint
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_revert bigint;
BEGIN
    FOR v_revert IN
        SELECT r.revert_transaction_id FROM chronicle.revert_log AS r
        WHERE r.reverted_transaction_id = revert_active_revert.transaction_id
        ORDER BY r.revert_transaction_id DESC
    LOOP
        IF chronicle.revert_active_revert(v_revert) IS NULL THEN
            RETURN v_revert;
        END IF;
    END LOOP;
    RETURN NULL;
END
$function$;

COMMENT ON FUNCTION chronicle.revert_active_revert(bigint) IS
    'Internal, for revert: the transaction whose revert of the given transaction is in force (not itself reverted), or NULL.';

-- The relations a revert writes: the given ones and every partition of them (pg_partition_tree
-- lists nothing for a table that is not partitioned).
CREATE OR REPLACE FUNCTION chronicle.revert_written_relations(relations regclass[])
RETURNS SETOF regclass
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT r.relation FROM pg_catalog.unnest(relations) AS r(relation)
    UNION
    SELECT p.relid FROM pg_catalog.unnest(relations) AS r(relation),
           LATERAL pg_catalog.pg_partition_tree(r.relation) AS p
$function$;

COMMENT ON FUNCTION chronicle.revert_written_relations(regclass[]) IS
    'Internal, for revert: the relations and all their partitions.';

-- Sets the user triggers of the relations (and their partitions) for a revert, or back:
-- when starting, chronicle's capture triggers and the triggers named in keep fire ALWAYS (the
-- revert runs with session_replication_role = replica, so that foreign-key actions and checks
-- do not fire and the logged changes of every table are undone exactly), every other user
-- trigger is disabled; returns what to restore. When restoring, sets each back as it was.
CREATE OR REPLACE FUNCTION chronicle.revert_set_triggers(relations regclass[], keep name[], restore jsonb)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_trigger record;
    v_saved jsonb := '[]';
    v_item jsonb;
    v_current "char";
BEGIN
    IF restore IS NOT NULL THEN
        FOR v_item IN SELECT x FROM pg_catalog.jsonb_array_elements(restore) AS x LOOP
            SELECT t.tgenabled INTO v_current FROM pg_catalog.pg_trigger AS t
            WHERE t.tgrelid = (v_item ->> 'relation')::oid AND t.tgname = (v_item ->> 'trigger');
            CONTINUE WHEN v_current IS NULL OR v_current = (v_item ->> 'enabled')::"char";
            EXECUTE pg_catalog.format('ALTER TABLE %s %s TRIGGER %I', (v_item ->> 'relation')::oid::regclass,
                CASE v_item ->> 'enabled' WHEN 'O' THEN 'ENABLE' WHEN 'A' THEN 'ENABLE ALWAYS'
                                          WHEN 'R' THEN 'ENABLE REPLICA' ELSE 'DISABLE' END,
                v_item ->> 'trigger');
        END LOOP;
        RETURN NULL;
    END IF;
    FOR v_trigger IN
        SELECT t.tgrelid, t.tgname, t.tgenabled,
               CASE WHEN t.tgname LIKE 'chronicle\_capture\_%' OR t.tgname = ANY (keep) THEN 'A' ELSE 'D' END AS wanted
        FROM pg_catalog.pg_trigger AS t
        WHERE NOT t.tgisinternal
          AND t.tgrelid IN (SELECT w.relation FROM chronicle.revert_written_relations(relations) AS w(relation))
        ORDER BY t.tgrelid, t.tgname
    LOOP
        v_saved := v_saved || pg_catalog.jsonb_build_object('relation', v_trigger.tgrelid::bigint, 'trigger', v_trigger.tgname,
                                                             'enabled', v_trigger.tgenabled::text);
    END LOOP;
    FOR v_item IN SELECT x FROM pg_catalog.jsonb_array_elements(v_saved) AS x LOOP
        -- (re-read: altering a partitioned table's trigger may have altered its partitions' clones)
        SELECT t.tgenabled INTO v_current FROM pg_catalog.pg_trigger AS t
        WHERE t.tgrelid = (v_item ->> 'relation')::oid AND t.tgname = (v_item ->> 'trigger');
        IF (v_item ->> 'trigger') LIKE 'chronicle\_capture\_%' OR (v_item ->> 'trigger') = ANY (keep) THEN
            CONTINUE WHEN v_current = 'A';
            EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', (v_item ->> 'relation')::oid::regclass, v_item ->> 'trigger');
        ELSE
            CONTINUE WHEN v_current = 'D';
            EXECUTE pg_catalog.format('ALTER TABLE %s DISABLE TRIGGER %I', (v_item ->> 'relation')::oid::regclass, v_item ->> 'trigger');
        END IF;
    END LOOP;
    RETURN v_saved;
END
$function$;

COMMENT ON FUNCTION chronicle.revert_set_triggers(regclass[], name[], jsonb) IS
    'Internal, for revert: sets the user triggers of the reverted tables for the revert (capture and kept triggers ALWAYS, others disabled), or restores them.';

-- After a revert (which runs without foreign-key triggers): raises foreign_key_violation if a
-- foreign key from or to one of the relations is not satisfied, one anti-join per constraint.
CREATE OR REPLACE FUNCTION chronicle.revert_check_foreign_keys(relations regclass[])
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_constraint record;
    v_bad text;
BEGIN
    FOR v_constraint IN
        SELECT c.conname, c.conrelid::regclass AS child, c.confrelid::regclass AS parent,
               pg_catalog.string_agg(pg_catalog.format('c.%I IS NOT NULL', ca.attname), ' AND ' ORDER BY k.ord) AS not_null,
               pg_catalog.string_agg(pg_catalog.format('p.%I OPERATOR(%I.%s) c.%I', pa.attname, n.nspname, o.oprname, ca.attname),
                                     ' AND ' ORDER BY k.ord) AS matches,
               pg_catalog.string_agg(pg_catalog.format('c.%I::text', ca.attname), ' || '', '' || ' ORDER BY k.ord) AS shown
        FROM pg_catalog.pg_constraint AS c
        CROSS JOIN LATERAL ROWS FROM (pg_catalog.unnest(c.conkey), pg_catalog.unnest(c.confkey), pg_catalog.unnest(c.conpfeqop))
                           WITH ORDINALITY AS k(child_col, parent_col, op, ord)
        JOIN pg_catalog.pg_attribute AS ca ON ca.attrelid = c.conrelid AND ca.attnum = k.child_col
        JOIN pg_catalog.pg_attribute AS pa ON pa.attrelid = c.confrelid AND pa.attnum = k.parent_col
        JOIN pg_catalog.pg_operator AS o ON o.oid = k.op
        JOIN pg_catalog.pg_namespace AS n ON n.oid = o.oprnamespace
        WHERE c.contype = 'f' AND c.conparentid = 0
          AND (c.conrelid = ANY (relations::oid[]) OR c.confrelid = ANY (relations::oid[]))
        GROUP BY c.oid, c.conname, c.conrelid, c.confrelid
        ORDER BY c.conname
    LOOP
        EXECUTE pg_catalog.format(
            'SELECT %s FROM %s AS c WHERE %s AND NOT EXISTS (SELECT FROM %s AS p WHERE %s) LIMIT 1',
            v_constraint.shown, v_constraint.child, v_constraint.not_null, v_constraint.parent, v_constraint.matches)
        INTO v_bad;
        IF v_bad IS NOT NULL THEN
            RAISE EXCEPTION 'revert would violate foreign key % of %: a row references (%) in %, which would not exist',
                    v_constraint.conname, v_constraint.child, v_bad, v_constraint.parent
                USING ERRCODE = 'foreign_key_violation',
                      HINT = 'A change to a table that is not audited (or not reverted) depends on the reverted rows: revert it by hand first, or include the transactions that made it (include_later => true). Nothing was changed.';
        END IF;
    END LOOP;
END
$function$;

COMMENT ON FUNCTION chronicle.revert_check_foreign_keys(regclass[]) IS
    'Internal, for revert: raises foreign_key_violation if a foreign key from or to the relations is not satisfied.';

-- The revert writes each table as the table's owner, as PostgreSQL's own maintenance commands
-- run index expressions as the owner: the table's code (check constraints, defaults, generated
-- columns, kept triggers, functions these call) then runs with its owner's rights, whoever asks
-- for the revert. The revert itself runs as chronicle's owner (a superuser: it sets
-- session_replication_role), and a SECURITY DEFINER function cannot SET ROLE; but it can call a
-- SECURITY DEFINER function owned by another role, which runs as that role. So the revert creates,
-- in the session's temporary schema, one such function per owner (pg_temp.chronicle_revert_as_<oid>,
-- executable by nobody else), runs each write through it, and drops it at the end.
--
-- The owner may not read the log: the writes read the entries through a temporary view
-- (pg_temp.chronicle_revert_entries, a security barrier) that shows only entries of the
-- transactions the current transaction is reverting, on tables whose owner the reader is a member
-- of. Made by revert_begin_writes, dropped by revert_end_writes.
CREATE OR REPLACE FUNCTION chronicle.revert_begin_writes()
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    -- (whatever of these names the session holds already, it may have made itself: gone first)
    PERFORM chronicle.revert_end_writes();
    CREATE TEMPORARY VIEW chronicle_revert_entries WITH (security_barrier) AS
    SELECT r.event_id, r.row_key, r.old_data, r.new_data
    FROM chronicle.row_log AS r
    WHERE r.event_id IN (
        SELECT e.id
        FROM chronicle.transaction_log AS t
        JOIN chronicle.revert_log AS l ON l.revert_transaction_id = t.id
        JOIN chronicle.table_event_log AS e ON e.transaction_id = l.reverted_transaction_id
        JOIN chronicle.audit_table_log AS v ON v.table_id = e.table_id AND v.valid_until IS NULL
        JOIN pg_catalog.pg_class AS c ON c.oid = pg_catalog.to_regclass(pg_catalog.format('%I.%I', v.schema_name, v.table_name))
        WHERE t.txid = pg_catalog.pg_current_xact_id() AND t.started_at = pg_catalog.transaction_timestamp()
          AND pg_catalog.pg_has_role(c.relowner, 'MEMBER'));
    REVOKE ALL ON pg_temp.chronicle_revert_entries FROM PUBLIC;
    GRANT SELECT ON pg_temp.chronicle_revert_entries TO PUBLIC;
END
$function$;

COMMENT ON FUNCTION chronicle.revert_begin_writes() IS
    'Internal, for revert: creates the temporary view through which the writes, run as each table''s owner, read the entries being reverted.';

-- Runs one write of a revert as the owner of the relation: the statement reads the entries from
-- pg_temp.chronicle_revert_entries, with $1 the event, $2 the key columns and $3 keys (jsonb[]);
-- with returns_keys it returns an array of keys (SELECT ... INTO), else it counts the rows written.
CREATE OR REPLACE FUNCTION chronicle.revert_execute(relation regclass, statement text, event_id bigint, key_columns text[] DEFAULT NULL,
                                                   keys jsonb[] DEFAULT NULL, returns_keys boolean DEFAULT false,
                                                   OUT row_count bigint, OUT returned jsonb[])
RETURNS record
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_owner oid := (SELECT c.relowner FROM pg_catalog.pg_class AS c WHERE c.oid = relation);
    v_runner text := 'chronicle_revert_as_' || v_owner;
    v_other text;
BEGIN
    -- The owner's code that the last write ran may have replaced the function, which the owner
    -- owns, or created one of that name: whatever is called here must be a SECURITY DEFINER
    -- function of the owner (then it runs as the owner, whatever it does), else it would run as
    -- the revert, a superuser. Anything else of that name is dropped, and the function made again.
    FOR v_other IN
        SELECT pg_catalog.pg_get_function_identity_arguments(p.oid) FROM pg_catalog.pg_proc AS p
        WHERE p.pronamespace = pg_catalog.pg_my_temp_schema() AND p.proname = v_runner
          AND NOT (p.prosecdef AND p.proowner = v_owner AND pg_catalog.oidvectortypes(p.proargtypes) = 'text, bigint, text[], jsonb[], boolean')
    LOOP
        EXECUTE pg_catalog.format('DROP FUNCTION pg_temp.%I(%s)', v_runner, v_other);
    END LOOP;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_proc AS p
                   WHERE p.pronamespace = pg_catalog.pg_my_temp_schema() AND p.proname = v_runner) THEN
        EXECUTE pg_catalog.format($create$
            CREATE FUNCTION pg_temp.%1$I(statement text, event_id bigint, key_columns text[], keys jsonb[], returns_keys boolean,
                                         OUT row_count bigint, OUT returned jsonb[])
            RETURNS record
            LANGUAGE plpgsql
            VOLATILE
            SECURITY DEFINER
            SET search_path = pg_catalog, pg_temp
            AS $body$
            BEGIN
                IF returns_keys THEN
                    EXECUTE statement INTO returned USING event_id, key_columns, keys;
                ELSE
                    EXECUTE statement USING event_id, key_columns, keys;
                    GET DIAGNOSTICS row_count = ROW_COUNT;
                END IF;
            END
            $body$$create$, v_runner);
        EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION pg_temp.%I(text, bigint, text[], jsonb[], boolean) FROM PUBLIC', v_runner);
        EXECUTE pg_catalog.format('ALTER FUNCTION pg_temp.%I(text, bigint, text[], jsonb[], boolean) OWNER TO %I',
                                  v_runner, pg_catalog.pg_get_userbyid(v_owner));
    END IF;
    EXECUTE pg_catalog.format('SELECT r.row_count, r.returned FROM pg_temp.%I($1, $2, $3, $4, $5) AS r', v_runner)
    INTO row_count, returned
    USING statement, event_id, key_columns, keys, returns_keys;
END
$function$;

COMMENT ON FUNCTION chronicle.revert_execute(regclass, text, bigint, text[], jsonb[], boolean) IS
    'Internal, for revert: runs one write of a revert as the owner of the relation (through a temporary SECURITY DEFINER function owned by it).';

-- Drops what revert_begin_writes and revert_execute created.
CREATE OR REPLACE FUNCTION chronicle.revert_end_writes()
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_runner text;
BEGIN
    FOR v_runner IN
        SELECT pg_catalog.format('pg_temp.%I(%s)', p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid))
        FROM pg_catalog.pg_proc AS p
        WHERE p.pronamespace = pg_catalog.pg_my_temp_schema() AND p.proname LIKE 'chronicle\_revert\_as\_%'
    LOOP
        EXECUTE 'DROP FUNCTION ' || v_runner;
    END LOOP;
    -- (not DROP ... IF EXISTS: that tells the client when there is nothing to drop)
    IF EXISTS (SELECT FROM pg_catalog.pg_class AS c
               WHERE c.relnamespace = pg_catalog.pg_my_temp_schema() AND c.relname = 'chronicle_revert_entries') THEN
        DROP VIEW pg_temp.chronicle_revert_entries;
    END IF;
END
$function$;

COMMENT ON FUNCTION chronicle.revert_end_writes() IS
    'Internal, for revert: drops the temporary view and functions through which the revert wrote as each table''s owner.';
