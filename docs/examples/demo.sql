-- pg-chronicle demo. `make demo` runs this file statement by statement on an embedded server
-- after `pg-chronicle install` and `pg-chronicle upgrade`.

-- The extension is installed in its own schema, at the version the upgrade reached.
SELECT extname, extversion, extnamespace::regnamespace AS schema
  FROM pg_extension WHERE extname = 'chronicle';

-- chronicle.version() reports the installed version to SQL users.
SELECT chronicle.version();

-- An application table, audited. Rows are identified by the primary key.
CREATE TABLE public.orders (
    id bigint PRIMARY KEY,
    customer text NOT NULL,
    status text NOT NULL DEFAULT 'new',
    total numeric(10,2),
    tags text[]
);

INSERT INTO public.orders VALUES
    (1, 'Zoë', 'new', 19.90, '{gift}'),
    (2, 'Ōtani', 'new', 5.00, NULL);

-- Start auditing, logging the two existing rows as a baseline.
SELECT chronicle.create_table_audit('public.orders', log_baseline => true) AS table_id;

-- Calling it again changes nothing, and says so with a NOTICE.
SELECT chronicle.create_table_audit('public.orders', log_baseline => false) AS table_id;

SELECT audited_table, key_columns, log_old_data, log_new_data FROM chronicle.audited_tables;

-- The application names itself; every logged transaction records it.
SET application_name = 'shop-api';

-- A transaction annotated by the application: SET LOCAL works behind transaction poolers.
BEGIN;
SET LOCAL chronicle.session_info = '{"request_id": "r-1001", "user": "alice@example.com"}';
UPDATE public.orders SET status = 'shipped' WHERE id = 1;
INSERT INTO public.orders VALUES (3, 'Nadia', 'new', 42.00, '{"express"}');
COMMIT;

-- An update that changes nothing logs nothing; one that changes the key is one change of one row.
UPDATE public.orders SET status = status;
UPDATE public.orders SET id = 20, total = 4.50 WHERE id = 2;

DELETE FROM public.orders WHERE id = 3;

-- One row per transaction that changed audited data, with its session context.
SELECT id, session_user_name, application_name, session_info::text AS session_info
  FROM chronicle.transaction_log ORDER BY id;

-- One row per statement and table, and one per changed row: the key after the change, and the
-- old values of the changed columns (the whole row for DELETE).
SELECT e.transaction_id AS tx, e.id AS event, e.operation,
       r.row_key::text AS row_key, r.old_data::text AS old_data, r.new_data::text AS new_data
  FROM chronicle.table_event_log AS e
  JOIN chronicle.row_log AS r ON r.event_id = e.id
 ORDER BY e.id, r.row_key;
