-- The audited tables, with their current options.
CREATE OR REPLACE VIEW chronicle.audited_tables AS
SELECT pg_catalog.to_regclass(pg_catalog.format('%I.%I', t.schema_name, t.table_name)) AS audited_table,
       t.table_id,
       t.schema_name,
       t.table_name,
       t.key_columns,
       t.log_old_data,
       t.log_new_data,
       t.excluded_columns,
       first_version.started_at AS audited_since
FROM chronicle.audit_table_log AS t
LEFT JOIN LATERAL (
    SELECT x.started_at
    FROM chronicle.audit_table_log AS v
    JOIN chronicle.transaction_log AS x ON x.id = v.valid_from
    WHERE v.table_id = t.table_id
    ORDER BY v.id
    LIMIT 1
) AS first_version ON true
WHERE t.valid_until IS NULL;

COMMENT ON VIEW chronicle.audited_tables IS 'The tables chronicle audits now, with their options.';
