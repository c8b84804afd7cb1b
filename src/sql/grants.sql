-- Privileges, re-emitted by every install and upgrade script.
GRANT EXECUTE ON FUNCTION chronicle.version() TO PUBLIC;

-- Logs are written only by the extension's SECURITY DEFINER functions.
REVOKE ALL ON FUNCTION chronicle.log_transaction() FROM PUBLIC;
REVOKE ALL ON TABLE chronicle.transaction_log FROM PUBLIC;
