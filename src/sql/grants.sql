-- Privileges, re-emitted by every install and upgrade script.
GRANT EXECUTE ON FUNCTION chronicle.version() TO PUBLIC;
