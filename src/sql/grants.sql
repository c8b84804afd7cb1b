-- Privileges, re-emitted by every install and upgrade script.
GRANT EXECUTE ON FUNCTION chronicle.version() TO PUBLIC;

-- chronicle_viewer reads the log; chronicle_admin (a member of chronicle_viewer) configures it.
-- Nobody else may read or change it: logs are written only by the extension's SECURITY DEFINER
-- functions.
GRANT USAGE ON SCHEMA chronicle TO chronicle_viewer;
REVOKE ALL ON TABLE chronicle.transaction_log, chronicle.table_event_log, chronicle.row_log,
                    chronicle.audit_table_log, chronicle.audit_column_log, chronicle.audited_tables,
                    chronicle.auto_audit_schema, chronicle.ddl_capture_status
    FROM PUBLIC;
GRANT SELECT ON TABLE chronicle.transaction_log, chronicle.table_event_log, chronicle.row_log,
                      chronicle.audit_table_log, chronicle.audit_column_log, chronicle.audited_tables,
                      chronicle.auto_audit_schema, chronicle.ddl_capture_status
    TO chronicle_viewer;

REVOKE ALL ON FUNCTION
    chronicle.log_transaction(),
    chronicle.log_event(integer, chronicle.event_operation),
    chronicle.stamp_statement(),
    chronicle.statement_stamp(integer),
    chronicle.raise_unpaired_update(bigint),
    chronicle.capture_function_source(bigint, regclass),
    chronicle.capture_function_definition(bigint, regclass),
    chronicle.capture_base_type(oid),
    chronicle.capture_type_may_lose(oid),
    chronicle.capture_type_follows_settings(oid),
    chronicle.capture_type_is_user_defined(oid),
    chronicle.capture_output_text(text),
    chronicle.capture_text_form(text),
    chronicle.capture_text_correction(name, text, text),
    chronicle.capture_lossy_condition(oid, text),
    chronicle.capture_value_expression(oid, text),
    chronicle.capture_object_value(oid, text),
    chronicle.capture_row_corrections(regclass, text, name[]),
    chronicle.capture_concatenation(text[]),
    chronicle.capture_key_rank(name),
    chronicle.capture_unlogged_columns(regclass, name[]),
    chronicle.capture_whole_row(regclass, text, name[]),
    chronicle.capture_whole_row_source(regclass, text, name[]),
    chronicle.capture_key_object(name[], oid[], text[]),
    chronicle.capture_key_expression(regclass, name[], text),
    chronicle.install_capture(bigint, regclass),
    chronicle.remove_capture(bigint, regclass),
    chronicle.audit_key_columns(regclass),
    chronicle.current_table_version(regclass),
    chronicle.create_table_audit(regclass, boolean, boolean, name[], boolean),
    chronicle.drop_table_audit(regclass, boolean),
    chronicle.log_table_baseline(regclass),
    chronicle.create_schema_audit(name, name[], boolean, boolean, boolean, boolean),
    chronicle.drop_schema_audit(name, boolean),
    chronicle.ddl_query_identifiers(text),
    chronicle.ddl_query_relation_names(text),
    chronicle.ddl_audited_relations(),
    chronicle.ddl_named_relations(text[], boolean),
    chronicle.ddl_changed_tables(),
    chronicle.ddl_log_event(integer, text, jsonb),
    chronicle.ddl_log_rows(integer, regclass, boolean, text, jsonb, name[], boolean),
    chronicle.ddl_column_changes(integer, regclass),
    chronicle.ddl_event_from_pre_image(integer, text, jsonb, bigint, name),
    chronicle.ddl_sync_table(integer, regclass, text),
    chronicle.ddl_protected_structure(),
    chronicle.ddl_command_start(),
    chronicle.ddl_command_end(),
    chronicle.ddl_sql_drop(),
    chronicle.sync_table_structure(regclass)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    chronicle.create_table_audit(regclass, boolean, boolean, name[], boolean),
    chronicle.drop_table_audit(regclass, boolean),
    chronicle.log_table_baseline(regclass),
    chronicle.create_schema_audit(name, name[], boolean, boolean, boolean, boolean),
    chronicle.drop_schema_audit(name, boolean),
    chronicle.sync_table_structure(regclass)
    TO chronicle_admin;

-- Revert (issue 6): chronicle_admin reverts; chronicle_viewer reads which transactions were reverted.
REVOKE ALL ON TABLE chronicle.revert_log FROM PUBLIC;
GRANT SELECT ON TABLE chronicle.revert_log TO chronicle_viewer;
REVOKE ALL ON FUNCTION
    chronicle.revert_key_condition(regclass, name[], text, text, boolean),
    chronicle.revert_columns(regclass, name[], boolean),
    chronicle.revert_entries(boolean, text),
    chronicle.revert_active_revert(bigint),
    chronicle.revert_written_relations(regclass[]),
    chronicle.revert_begin_writes(),
    chronicle.revert_execute(regclass, text, bigint, text[], jsonb[], boolean),
    chronicle.revert_end_writes(),
    chronicle.revert_set_triggers(regclass[], name[], jsonb),
    chronicle.revert_check_foreign_keys(regclass[]),
    chronicle.revert_transactions(bigint[], boolean, boolean, boolean, name[]),
    chronicle.revert_transactions(bigint, bigint, boolean, boolean, boolean, name[]),
    chronicle.revert_transaction(bigint, boolean, boolean, boolean, name[])
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    chronicle.revert_transactions(bigint[], boolean, boolean, boolean, name[]),
    chronicle.revert_transactions(bigint, bigint, boolean, boolean, boolean, name[]),
    chronicle.revert_transaction(bigint, boolean, boolean, boolean, name[])
    TO chronicle_admin;

-- Time travel (issue 5): chronicle_viewer reads the past; chronicle_admin sets marks and restores.
REVOKE ALL ON TABLE chronicle.mark FROM PUBLIC;
GRANT SELECT ON TABLE chronicle.mark TO chronicle_viewer;
REVOKE ALL ON FUNCTION
    chronicle.stamp_commit(),
    chronicle.cut(timestamptz),
    chronicle.cut(bigint),
    chronicle.cut(text),
    chronicle.as_timestamp(text),
    chronicle.transactions_after(chronicle.cut),
    chronicle.in_cut(chronicle.cut, bigint),
    chronicle.set_mark(text, text),
    chronicle.delete_mark(text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    chronicle.cut(timestamptz),
    chronicle.cut(bigint),
    chronicle.cut(text),
    chronicle.as_timestamp(text),
    chronicle.transactions_after(chronicle.cut),
    chronicle.in_cut(chronicle.cut, bigint)
    TO chronicle_viewer;
GRANT EXECUTE ON FUNCTION
    chronicle.set_mark(text, text),
    chronicle.delete_mark(text)
    TO chronicle_admin;
REVOKE ALL ON FUNCTION
    chronicle.state_version(integer, chronicle.cut),
    chronicle.state_columns(integer, chronicle.cut),
    chronicle.state_shape_events(integer, chronicle.cut),
    chronicle.state_undo_shape(jsonb, text[], text[], text[], integer),
    chronicle.state_query(integer, chronicle.cut, text, jsonb[]),
    chronicle.state_json_value(regclass, name, oid, integer, text),
    chronicle.state_json_key(regclass, name, text),
    chronicle.state_query_updates_only(integer, chronicle.cut, regclass, chronicle.audit_table_log, name[], boolean),
    chronicle.history_table_id(regclass),
    chronicle.as_of_cut(anyelement, chronicle.cut),
    chronicle.as_of(anyelement, text),
    chronicle.as_of(anyelement, timestamptz),
    chronicle.as_of(anyelement, bigint),
    chronicle.state_jsonb_expression(integer, chronicle.cut, text),
    chronicle.state_rows_jsonb(integer, chronicle.cut),
    chronicle.restore_recordset(regclass, text),
    chronicle.restore_recordset(regclass, timestamptz),
    chronicle.restore_recordset(regclass, bigint)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    chronicle.state_version(integer, chronicle.cut),
    chronicle.state_columns(integer, chronicle.cut),
    chronicle.state_shape_events(integer, chronicle.cut),
    chronicle.state_undo_shape(jsonb, text[], text[], text[], integer),
    chronicle.state_query(integer, chronicle.cut, text, jsonb[]),
    chronicle.state_json_value(regclass, name, oid, integer, text),
    chronicle.state_json_key(regclass, name, text),
    chronicle.state_query_updates_only(integer, chronicle.cut, regclass, chronicle.audit_table_log, name[], boolean),
    chronicle.history_table_id(regclass),
    chronicle.as_of_cut(anyelement, chronicle.cut),
    chronicle.as_of(anyelement, text),
    chronicle.as_of(anyelement, timestamptz),
    chronicle.as_of(anyelement, bigint),
    chronicle.state_jsonb_expression(integer, chronicle.cut, text),
    chronicle.state_rows_jsonb(integer, chronicle.cut),
    chronicle.restore_recordset(regclass, text),
    chronicle.restore_recordset(regclass, timestamptz),
    chronicle.restore_recordset(regclass, bigint)
    TO chronicle_viewer;
REVOKE ALL ON FUNCTION
    chronicle.state_rows(integer, chronicle.cut),
    chronicle.restore_state_at(chronicle.cut, integer[], name, text, boolean, boolean),
    chronicle.restore_table_constraints(integer, chronicle.cut, regclass, regclass),
    chronicle.state_key_ordered(regclass),
    chronicle.schema_tables_at(chronicle.cut, name),
    chronicle.restore_table_state(text, regclass, name, text, boolean, boolean),
    chronicle.restore_table_state(timestamptz, regclass, name, text, boolean, boolean),
    chronicle.restore_table_state(bigint, regclass, name, text, boolean, boolean),
    chronicle.restore_schema_state(text, name, name, text, boolean, boolean),
    chronicle.restore_schema_state(timestamptz, name, name, text, boolean, boolean),
    chronicle.restore_schema_state(bigint, name, name, text, boolean, boolean)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chronicle.state_rows(integer, chronicle.cut) TO chronicle_viewer;
GRANT EXECUTE ON FUNCTION
    chronicle.restore_state_at(chronicle.cut, integer[], name, text, boolean, boolean),
    chronicle.restore_table_constraints(integer, chronicle.cut, regclass, regclass),
    chronicle.state_key_ordered(regclass),
    chronicle.schema_tables_at(chronicle.cut, name),
    chronicle.restore_table_state(text, regclass, name, text, boolean, boolean),
    chronicle.restore_table_state(timestamptz, regclass, name, text, boolean, boolean),
    chronicle.restore_table_state(bigint, regclass, name, text, boolean, boolean),
    chronicle.restore_schema_state(text, name, name, text, boolean, boolean),
    chronicle.restore_schema_state(timestamptz, name, name, text, boolean, boolean),
    chronicle.restore_schema_state(bigint, name, name, text, boolean, boolean)
    TO chronicle_admin;
REVOKE ALL ON FUNCTION
    chronicle.state_key(integer, chronicle.cut, jsonb),
    chronicle.state_row_fast(anyelement, integer, chronicle.cut, chronicle.audit_table_log, jsonb),
    chronicle.state_row_query(integer, chronicle.cut, text, text, jsonb[]),
    chronicle.state_row_slots(integer, chronicle.cut, name[], jsonb),
    chronicle.state_row(integer, chronicle.cut, jsonb),
    chronicle.restore_record_at(anyelement, jsonb, chronicle.cut),
    chronicle.restore_record(anyelement, jsonb, text),
    chronicle.restore_record(anyelement, jsonb, timestamptz),
    chronicle.restore_record(anyelement, jsonb, bigint),
    chronicle.restore_record_jsonb(regclass, jsonb, text),
    chronicle.restore_record_jsonb(regclass, jsonb, timestamptz),
    chronicle.restore_record_jsonb(regclass, jsonb, bigint),
    chronicle.restore_records(regclass, jsonb),
    chronicle.restore_recordsets_at(integer, chronicle.cut, chronicle.cut),
    chronicle.restore_recordsets(regclass, text, text),
    chronicle.restore_recordsets(regclass, timestamptz, timestamptz),
    chronicle.restore_recordsets(regclass, bigint, bigint),
    chronicle.table_diff_at(integer, chronicle.cut, chronicle.cut),
    chronicle.table_diff(regclass, text, text),
    chronicle.table_diff(regclass, timestamptz, timestamptz),
    chronicle.table_diff(regclass, bigint, bigint)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    chronicle.state_key(integer, chronicle.cut, jsonb),
    chronicle.state_row_fast(anyelement, integer, chronicle.cut, chronicle.audit_table_log, jsonb),
    chronicle.state_row_query(integer, chronicle.cut, text, text, jsonb[]),
    chronicle.state_row_slots(integer, chronicle.cut, name[], jsonb),
    chronicle.state_row(integer, chronicle.cut, jsonb),
    chronicle.restore_record_at(anyelement, jsonb, chronicle.cut),
    chronicle.restore_record(anyelement, jsonb, text),
    chronicle.restore_record(anyelement, jsonb, timestamptz),
    chronicle.restore_record(anyelement, jsonb, bigint),
    chronicle.restore_record_jsonb(regclass, jsonb, text),
    chronicle.restore_record_jsonb(regclass, jsonb, timestamptz),
    chronicle.restore_record_jsonb(regclass, jsonb, bigint),
    chronicle.restore_records(regclass, jsonb),
    chronicle.restore_recordsets_at(integer, chronicle.cut, chronicle.cut),
    chronicle.restore_recordsets(regclass, text, text),
    chronicle.restore_recordsets(regclass, timestamptz, timestamptz),
    chronicle.restore_recordsets(regclass, bigint, bigint),
    chronicle.table_diff_at(integer, chronicle.cut, chronicle.cut),
    chronicle.table_diff(regclass, text, text),
    chronicle.table_diff(regclass, timestamptz, timestamptz),
    chronicle.table_diff(regclass, bigint, bigint)
    TO chronicle_viewer;
-- the time-travel functions run as the caller and render the log's value forms with these
GRANT EXECUTE ON FUNCTION
    chronicle.capture_base_type(oid),
    chronicle.capture_type_may_lose(oid),
    chronicle.capture_type_is_user_defined(oid),
    chronicle.capture_output_text(text),
    chronicle.capture_text_form(text),
    chronicle.capture_text_correction(name, text, text),
    chronicle.capture_lossy_condition(oid, text),
    chronicle.capture_value_expression(oid, text),
    chronicle.capture_row_corrections(regclass, text, name[]),
    chronicle.capture_concatenation(text[]),
    chronicle.capture_key_rank(name),
    chronicle.capture_unlogged_columns(regclass, name[]),
    chronicle.capture_whole_row(regclass, text, name[]),
    chronicle.capture_whole_row_source(regclass, text, name[])
    TO chronicle_viewer;

-- DDL revert (issue 6): internal functions of revert_transactions, for no one else.
REVOKE ALL ON FUNCTION
    chronicle.revert_ddl_refusal(text, jsonb),
    chronicle.revert_action(text),
    chronicle.revert_logged_value(jsonb),
    chronicle.revert_ddl_execute(text, regclass),
    chronicle.revert_ddl_pre_image(integer, regclass, name[]),
    chronicle.revert_column_definition(chronicle.audit_column_log, boolean),
    chronicle.revert_create_sequences(chronicle.audit_column_log[]),
    chronicle.revert_set_sequences(regclass, name[]),
    chronicle.revert_ddl(bigint)
    FROM PUBLIC;
