
-- The tables and privileges that 0.2.0 added.  The install script creates
-- them after 10_tables.sql, and the upgrade from 0.1.0 runs this file as it
-- is (upgrade/0.1.0--0.2.0-before.sql, Makefile).

-- The schema holds the functions that applications call and the trigger
-- functions of their tables: every role may look into it.  What a role may
-- do there is decided per function (EXECUTE) and per table.
GRANT USAGE ON SCHEMA returning_crm TO PUBLIC;

-- Workspaces and the roles they belong to: the role that attached a
-- workspace's first table (or first changed its settings or exception list)
-- owns it, and only members of that role (or superusers) may attach into it,
-- configure it and change its exception list.
CREATE TABLE returning_crm.workspace (
	name		text PRIMARY KEY CHECK (name <> ''),
	owner		regrole NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE returning_crm.workspace IS
	'Workspaces and their owner roles. Written by the extension''s functions when a workspace is first used.';
COMMENT ON COLUMN returning_crm.workspace.owner IS
	'The role that owns the workspace: its members may attach tables to it, configure it and change its exception list.';
SELECT pg_catalog.pg_extension_config_dump('returning_crm.workspace', '');
REVOKE ALL ON returning_crm.workspace FROM PUBLIC;
GRANT SELECT ON returning_crm.workspace TO PUBLIC;

-- Rules of attached orders and leads tables (src/rules.c, src/sql/37_rules.sql)
CREATE TABLE returning_crm.rule (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	relid		regclass NOT NULL REFERENCES returning_crm.attachment (relid) ON DELETE CASCADE,
	state		text NOT NULL CHECK (state IN ('new', 'repeat', 'repeated_inquiry')),
	set_values	jsonb NOT NULL CHECK (pg_catalog.jsonb_typeof(set_values) = 'object'),
	name		text,
	created_at	timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX ON returning_crm.rule (relid);
COMMENT ON TABLE returning_crm.rule IS
	'Rules of attached orders and leads tables: a row that gets the state by its own insert or update has the columns of set_values set, in id order. Written with returning_crm.add_rule() and remove_rule(); detach removes a table''s rules.';
COMMENT ON COLUMN returning_crm.rule.set_values IS
	'Column names and the values they are set to, read as the columns'' types.';
SELECT pg_catalog.pg_extension_config_dump('returning_crm.rule', '');
SELECT pg_catalog.pg_extension_config_dump('returning_crm.rule_id_seq', '');
REVOKE ALL ON returning_crm.rule FROM PUBLIC;
GRANT SELECT ON returning_crm.rule TO PUBLIC;

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
