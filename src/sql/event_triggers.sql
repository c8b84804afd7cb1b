-- Triggers on chronicle's own tables that call its functions, recreated by every install and
-- upgrade script after the functions exist.

-- The commit stamp (chronicle.stamp_commit): deferred, so it runs as the transaction commits.
DO $log_triggers$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_trigger AS t
                   WHERE t.tgrelid = 'chronicle.transaction_log'::pg_catalog.regclass AND t.tgname = 'chronicle_stamp_commit') THEN
        CREATE CONSTRAINT TRIGGER chronicle_stamp_commit
            AFTER INSERT ON chronicle.transaction_log
            DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW EXECUTE FUNCTION chronicle.stamp_commit();
    END IF;
    -- ALWAYS: a revert writes (and logs) under session_replication_role = replica, where a trigger
    -- left ENABLE would never be queued and its transaction never stamped
    ALTER TABLE chronicle.transaction_log ENABLE ALWAYS TRIGGER chronicle_stamp_commit;
END
$log_triggers$;

-- Event triggers, recreated by every install and upgrade script: DDL capture (docs/ddl.md).
-- Creating an event trigger needs a superuser. Where the script runs without one, the extension
-- still installs and audits DML; DDL capture is then off, which chronicle.ddl_capture_status and
-- the CLI's status report.
DO $event_triggers$
BEGIN
    DROP EVENT TRIGGER IF EXISTS chronicle_ddl_command_start;
    DROP EVENT TRIGGER IF EXISTS chronicle_ddl_command_end;
    DROP EVENT TRIGGER IF EXISTS chronicle_sql_drop;
    CREATE EVENT TRIGGER chronicle_ddl_command_start ON ddl_command_start
        WHEN TAG IN ('ALTER TABLE', 'DROP TABLE', 'DROP SCHEMA', 'DROP OWNED', 'DROP EXTENSION')
        EXECUTE FUNCTION chronicle.ddl_command_start();
    CREATE EVENT TRIGGER chronicle_ddl_command_end ON ddl_command_end
        WHEN TAG IN ('ALTER TABLE', 'DROP TABLE', 'DROP SCHEMA', 'ALTER SCHEMA', 'CREATE INDEX', 'DROP INDEX',
                     'ALTER INDEX', 'DROP TYPE', 'DROP DOMAIN', 'ALTER TYPE', 'ALTER DOMAIN', 'DROP OWNED',
                     'CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'DROP SEQUENCE', 'DROP EXTENSION',
                     'DROP COLLATION', 'CREATE TRIGGER', 'CREATE RULE', 'CREATE POLICY', 'ALTER POLICY',
                     'COMMENT', 'ALTER SEQUENCE')
        EXECUTE FUNCTION chronicle.ddl_command_end();
    CREATE EVENT TRIGGER chronicle_sql_drop ON sql_drop
        EXECUTE FUNCTION chronicle.ddl_sql_drop();
    -- ALWAYS: DDL is captured whatever session_replication_role says; a revert undoes DDL under
    -- replica (so that foreign-key triggers stay quiet), and its DDL must be logged like any other
    ALTER EVENT TRIGGER chronicle_ddl_command_start ENABLE ALWAYS;
    ALTER EVENT TRIGGER chronicle_ddl_command_end ENABLE ALWAYS;
    ALTER EVENT TRIGGER chronicle_sql_drop ENABLE ALWAYS;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'chronicle: DDL capture is off (creating event triggers needs a superuser); DML auditing works'
        USING HINT = 'Install or update the extension as a superuser to capture schema changes of audited tables.';
END
$event_triggers$;
