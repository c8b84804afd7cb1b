-- Whether DDL capture is on: its three event triggers exist and fire (enabled, not disabled or
-- replica-only). It is off where the extension was installed without a superuser, or when an
-- event trigger was disabled by hand.
CREATE OR REPLACE VIEW chronicle.ddl_capture_status AS
SELECT pg_catalog.count(e.oid) FILTER (WHERE e.evtenabled IN ('O', 'A')) = 3 AS ddl_capture_enabled,
       ARRAY(SELECT w.name FROM pg_catalog.unnest(ARRAY['chronicle_ddl_command_start', 'chronicle_ddl_command_end',
                                                        'chronicle_sql_drop']::name[]) AS w(name)
             WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_event_trigger AS x
                               WHERE x.evtname = w.name AND x.evtenabled IN ('O', 'A'))) AS inactive_event_triggers
FROM pg_catalog.pg_event_trigger AS e
WHERE e.evtname IN ('chronicle_ddl_command_start', 'chronicle_ddl_command_end', 'chronicle_sql_drop');

COMMENT ON VIEW chronicle.ddl_capture_status IS
    'Whether DDL capture is on (ddl_capture_enabled), and which of its event triggers are missing or disabled.';
