-- sql_drop: the authoritative list of what a statement dropped. An audited table, a partition of
-- one or an audited column dropped here must have been logged when the statement started
-- (ddl_command_start); its pre-image then becomes the DROP TABLE / DROP PARTITION event (a
-- dropped column's becomes DROP COLUMN in ddl_command_end, which sees the table's new shape).
-- Anything else would be lost silently, so the statement is refused. Objects of chronicle itself
-- may only be dropped by DROP EXTENSION chronicle.
CREATE OR REPLACE FUNCTION chronicle.ddl_sql_drop()
RETURNS event_trigger
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_dropped record;
    v_transaction_id bigint;
BEGIN
    IF TG_TAG = 'DROP EXTENSION' AND EXISTS (
            SELECT FROM pg_catalog.pg_event_trigger_dropped_objects() AS o
            WHERE o.object_type = 'extension' AND o.object_name = 'chronicle') THEN
        RETURN;
    END IF;
    -- Parts of chronicle's tables (the tables themselves belong to the extension, which PostgreSQL
    -- protects); a table someone else made in the schema may go with its parts.
    SELECT o.object_type, o.object_identity INTO v_dropped
    FROM pg_catalog.pg_event_trigger_dropped_objects() AS o
    WHERE o.schema_name = 'chronicle'
      AND o.object_type IN ('index', 'table constraint', 'table column', 'default value', 'rule', 'policy', 'sequence')
      AND NOT EXISTS (SELECT FROM pg_catalog.pg_event_trigger_dropped_objects() AS t
                      WHERE t.schema_name = 'chronicle' AND t.object_type = 'table')
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'cannot drop % %: it belongs to chronicle', v_dropped.object_type, v_dropped.object_identity
            USING ERRCODE = '42501',
                  HINT = 'chronicle''s log tables and their indexes change only with ALTER EXTENSION chronicle UPDATE; DROP EXTENSION chronicle removes them all.';
    END IF;
    IF TG_TAG IN ('DROP TRIGGER', 'DROP FUNCTION') AND NOT EXISTS (
            SELECT FROM pg_catalog.pg_event_trigger_dropped_objects() AS o
            WHERE o.object_type NOT IN ('function', 'trigger')) THEN
        -- chronicle's own remove_capture, or a user's DROP TRIGGER: nothing of a table's data goes.
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT FROM chronicle.audit_table_log AS t WHERE t.valid_until IS NULL) THEN
        RETURN;
    END IF;
    SELECT x.id INTO v_transaction_id FROM chronicle.transaction_log AS x
    WHERE x.txid = pg_catalog.pg_current_xact_id() AND x.started_at = pg_catalog.transaction_timestamp();

    -- Audited tables.
    FOR v_dropped IN
        SELECT v.id AS version_id, v.table_id, v.schema_name, v.table_name,
               (SELECT e.id FROM chronicle.table_event_log AS e
                WHERE e.transaction_id = v_transaction_id AND e.table_id = v.table_id
                  AND e.operation = 'DDL PRE-IMAGE' AND e.ddl->>'partition' = 'false'
                  AND e.ddl->>'schema' = v.schema_name AND e.ddl->>'table' = v.table_name
                ORDER BY e.id DESC LIMIT 1) AS pre_image
        FROM pg_catalog.pg_event_trigger_dropped_objects() AS o
        JOIN chronicle.audit_table_log AS v
          ON v.valid_until IS NULL AND v.schema_name = o.schema_name AND v.table_name = o.object_name
        WHERE o.object_type = 'table'
        ORDER BY v.table_id
    LOOP
        IF v_dropped.pre_image IS NULL THEN
            RAISE EXCEPTION 'cannot drop audited table %.% here: its rows were not logged before the drop',
                            pg_catalog.quote_ident(v_dropped.schema_name), pg_catalog.quote_ident(v_dropped.table_name)
                USING ERRCODE = '0A000',
                      HINT = 'Drop it with DROP TABLE or DROP SCHEMA ... CASCADE, naming it in the statement text (not through DROP OWNED, an extension or dynamic SQL), or stop auditing it first with chronicle.drop_table_audit.';
        END IF;
        UPDATE chronicle.table_event_log AS e
        SET operation = 'DROP TABLE',
            ddl = pg_catalog.jsonb_build_object('schema', v_dropped.schema_name, 'table', v_dropped.table_name,
                                                'partitions', e.ddl->'partitions')
        WHERE e.id = v_dropped.pre_image;
        UPDATE chronicle.audit_table_log AS t
        SET valid_until = v_transaction_id, valid_until_event = v_dropped.pre_image
        WHERE t.id = v_dropped.version_id;
        UPDATE chronicle.audit_column_log AS c
        SET valid_until = v_transaction_id, valid_until_event = v_dropped.pre_image
        WHERE c.table_id = v_dropped.table_id AND c.valid_until IS NULL;
        EXECUTE pg_catalog.format('DROP FUNCTION IF EXISTS chronicle.%I()', 'capture_' || v_dropped.table_id);
    END LOOP;

    -- Partitions of audited tables whose table stays: each carried the capture triggers, so it is
    -- seen by its dropped capture trigger, whose identity names the partition.
    FOR v_dropped IN
        SELECT o.object_identity,
               (SELECT e.id FROM chronicle.table_event_log AS e
                WHERE e.transaction_id = v_transaction_id AND e.operation = 'DDL PRE-IMAGE' AND e.ddl->>'partition' = 'true'
                  AND 'chronicle_capture_insert on ' || (e.ddl->>'relation') = o.object_identity
                ORDER BY e.id DESC LIMIT 1) AS pre_image
        FROM pg_catalog.pg_event_trigger_dropped_objects() AS o
        WHERE o.object_type = 'trigger' AND o.object_identity LIKE 'chronicle\_capture\_insert on %'
          -- partitions of a table dropped whole are in its DROP TABLE event
          AND NOT EXISTS (SELECT FROM chronicle.table_event_log AS e
                          WHERE e.transaction_id = v_transaction_id AND e.operation = 'DROP TABLE'
                            AND (e.ddl->'partitions' ? pg_catalog.substr(o.object_identity, pg_catalog.length('chronicle_capture_insert on ') + 1)
                                 OR 'chronicle_capture_insert on ' || pg_catalog.format('%I.%I', e.ddl->>'schema', e.ddl->>'table') = o.object_identity))
    LOOP
        IF v_dropped.pre_image IS NULL THEN
            RAISE EXCEPTION 'cannot drop % of an audited table here: its rows were not logged before the drop',
                            pg_catalog.substr(v_dropped.object_identity, pg_catalog.length('chronicle_capture_insert on ') + 1)
                USING ERRCODE = '0A000',
                      HINT = 'Drop the partition with DROP TABLE naming it in the statement text, or detach it first (ALTER TABLE ... DETACH PARTITION).';
        END IF;
        UPDATE chronicle.table_event_log AS e
        SET operation = 'DROP PARTITION',
            ddl = pg_catalog.jsonb_build_object('partition', e.ddl->>'relation')
        WHERE e.id = v_dropped.pre_image;
    END LOOP;

    -- Columns of audited tables (ALTER TABLE ... DROP COLUMN, or a cascade from DROP TYPE and the like).
    FOR v_dropped IN
        SELECT o.object_identity, v.table_id, col.column_name
        FROM pg_catalog.pg_event_trigger_dropped_objects() AS o
        JOIN chronicle.audit_table_log AS v
          ON v.valid_until IS NULL AND v.schema_name = o.address_names[1] AND v.table_name = o.address_names[2]
        JOIN chronicle.audit_column_log AS col
          ON col.table_id = v.table_id AND col.valid_until IS NULL AND col.column_name = o.address_names[3]
        WHERE o.object_type = 'table column'
          AND v.log_old_data AND col.column_name <> ALL (v.excluded_columns) AND col.generated IS DISTINCT FROM 'VIRTUAL'
          AND NOT EXISTS (SELECT FROM chronicle.table_event_log AS e
                          WHERE e.transaction_id = v_transaction_id AND e.table_id = v.table_id
                            AND e.operation = 'DDL PRE-IMAGE' AND e.ddl->'columns' ? col.column_name)
    LOOP
        RAISE EXCEPTION 'cannot drop column % of an audited table here: its values were not logged before the drop', v_dropped.object_identity
            USING ERRCODE = '0A000',
                  HINT = 'Drop the column with ALTER TABLE ... DROP COLUMN naming the table and the column in the statement text (not through DROP TYPE/DOMAIN/FUNCTION ... CASCADE or dynamic SQL).';
    END LOOP;
END
$function$;

COMMENT ON FUNCTION chronicle.ddl_sql_drop() IS
    'Internal, event trigger: turns the pre-images of dropped audited tables and partitions into DDL events; refuses drops that were not logged.';
