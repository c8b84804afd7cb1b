-- Release under development (control/releases.json "next"): append stateful changes here.

-- One row per transaction that changed audited data. Its id is taken once per transaction (never
-- per statement), so no sequence value is burned.
CREATE TABLE chronicle.transaction_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    txid xid8 NOT NULL,
    started_at timestamptz NOT NULL,
    session_user_name name NOT NULL,
    client_addr inet,
    client_port integer,
    application_name text,
    session_info jsonb,
    CONSTRAINT transaction_log_txid_key UNIQUE (txid)
);

COMMENT ON TABLE chronicle.transaction_log IS
    'One row per transaction that changed audited data, with its session context.';
COMMENT ON COLUMN chronicle.transaction_log.id IS
    'Transaction log id, increasing in the order transactions first wrote audited data.';
COMMENT ON COLUMN chronicle.transaction_log.txid IS
    'The transaction''s 64-bit id (pg_current_xact_id()), unique for the life of the cluster.';
COMMENT ON COLUMN chronicle.transaction_log.started_at IS
    'transaction_timestamp(): when the transaction started.';
COMMENT ON COLUMN chronicle.transaction_log.session_user_name IS
    'session_user of the connection (the login role, whatever SET ROLE says).';
COMMENT ON COLUMN chronicle.transaction_log.client_addr IS
    'inet_client_addr(): the client''s address; NULL over a Unix socket.';
COMMENT ON COLUMN chronicle.transaction_log.client_port IS
    'inet_client_port(): the client''s port; NULL over a Unix socket.';
COMMENT ON COLUMN chronicle.transaction_log.application_name IS
    'application_name of the session when the transaction first wrote audited data.';
COMMENT ON COLUMN chronicle.transaction_log.session_info IS
    'The JSON object of the setting chronicle.session_info when the transaction first wrote audited data; '
    'a value that is not a JSON object is kept as {"invalid_session_info": "<text>"}.';

SELECT pg_catalog.pg_extension_config_dump('chronicle.transaction_log', '');
SELECT pg_catalog.pg_extension_config_dump('chronicle.transaction_log_id_seq', '');
