-- The change log: every state change of the leads and orders of a workspace
-- configured with log_changes => true, appended by the row triggers in the
-- writer's transaction (src/announce.c).  A worker consumes it, e.g. with
-- DELETE ... RETURNING over rows picked FOR UPDATE SKIP LOCKED.
CREATE TABLE returning_crm.state_change (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	changed_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	workspace	text NOT NULL,
	table_name	regclass NOT NULL,
	kind		text NOT NULL CHECK (kind IN ('orders', 'leads')),
	row_id		bigint NOT NULL,
	tenant		text,
	old_state	text,
	new_state	text NOT NULL
);
COMMENT ON TABLE returning_crm.state_change IS
	'State changes of the leads and orders of workspaces with log_changes on: inserts, the application''s updates and history rewrites. Consume and delete at your own pace.';
COMMENT ON COLUMN returning_crm.state_change.changed_at IS 'Start of the transaction that made the change.';
COMMENT ON COLUMN returning_crm.state_change.table_name IS 'The attached table.';
COMMENT ON COLUMN returning_crm.state_change.row_id IS 'The id of the lead or order.';
COMMENT ON COLUMN returning_crm.state_change.old_state IS 'The state before; NULL for an inserted row.';
COMMENT ON COLUMN returning_crm.state_change.new_state IS 'The state after.';
SELECT pg_catalog.pg_extension_config_dump('returning_crm.state_change', '');
SELECT pg_catalog.pg_extension_config_dump('returning_crm.state_change_id_seq', '');
-- Read and consumed by the roles the DBA grants it to:
--   GRANT SELECT, DELETE ON returning_crm.state_change TO worker;
REVOKE ALL ON returning_crm.state_change FROM PUBLIC;
