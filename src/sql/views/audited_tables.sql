-- The audited tables, with their current options. The table is found by joining the catalogs
-- on its logged schema and name, never by a name look-up such as to_regclass(), which would need
-- USAGE on the table's schema: chronicle_viewer must be able to list every audited table.
CREATE OR REPLACE VIEW chronicle.audited_tables AS
SELECT c.oid::pg_catalog.regclass AS audited_table,
       t.table_id,
       t.schema_name,
       t.table_name,
       t.key_columns,
       t.log_old_data,
       t.log_new_data,
       t.excluded_columns,
       first_version.started_at AS audited_since
FROM chronicle.audit_table_log AS t
LEFT JOIN pg_catalog.pg_namespace AS n ON n.nspname = t.schema_name
LEFT JOIN pg_catalog.pg_class AS c
       ON c.relnamespace = n.oid AND c.relname = t.table_name AND c.relkind IN ('r', 'p')
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
