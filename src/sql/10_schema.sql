-- returning: the extension's own configuration.
-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION ""returning""" to load this file. \quit

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

-- One row per attached table.  Kept by pg_dump (pg_extension_config_dump),
-- readable by everyone, written only through the attach and detach
-- functions.
CREATE TABLE returning_crm.attachment (
	relid			regclass PRIMARY KEY,
	workspace		text NOT NULL,
	kind			text NOT NULL CHECK (kind IN ('leads', 'orders', 'contacts', 'companies')),
	id_column		name NOT NULL,
	contact_column	name,
	company_column	name,
	status_column	name,
	success_values	text[],
	failure_values	text[],
	lead_column		name,
	ordered_by		name,
	pipeline_column	name,
	amount_column	name,
	new_status		text,
	match_on_insert	boolean NOT NULL DEFAULT false,
	name_column		name,
	title_column	name,
	responsible_column name,
	email_columns	name[] NOT NULL DEFAULT '{}',
	phone_columns	name[] NOT NULL DEFAULT '{}',
	tenant_column	name,
	column_prefix	text NOT NULL DEFAULT '',
	attached_at		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	date_column		name,
	report_views	boolean,
	report_view		regclass,
	last_reclassified_at timestamptz,
	last_reclassify_changed bigint,
	UNIQUE (workspace, kind)
);

COMMENT ON TABLE returning_crm.attachment IS
	'Tables attached to the returning extension, one row each, with the mapping of their columns. Written by the attach_* and detach functions.';
COMMENT ON COLUMN returning_crm.attachment.status_column IS
	'The status column of a leads table, or the stage column of an orders table.';
COMMENT ON COLUMN returning_crm.attachment.success_values IS
	'Closed-success statuses of leads, or won stages of orders.';
COMMENT ON COLUMN returning_crm.attachment.failure_values IS
	'Closed-failure statuses of leads, or lost stages of orders.';
COMMENT ON COLUMN returning_crm.attachment.responsible_column IS
	'The column of the user responsible for a row (a manager), which inquiry routing reads and fills.';
COMMENT ON COLUMN returning_crm.attachment.company_column IS
	'Leads and orders: the company client. Contacts: the company the contact works for (optional), which routing puts beside the contact.';
COMMENT ON COLUMN returning_crm.attachment.new_status IS
	'The status (leads) or stage (orders) of rows that inquiry routing inserts.';
COMMENT ON COLUMN returning_crm.attachment.date_column IS
	'The date of a lead or order (a date, timestamp or timestamptz column) by which the report view counts months; for orders it defaults to ordered_by when that is a date.';
COMMENT ON COLUMN returning_crm.attachment.report_views IS
	'Whether attaching creates the monthly report view beside the table (the report_views parameter).';
COMMENT ON COLUMN returning_crm.attachment.report_view IS
	'The monthly report view that attaching created beside the table, or NULL; detach drops it.';
COMMENT ON COLUMN returning_crm.attachment.last_reclassified_at IS
	'When returning_crm.reclassify() last ran on the table.';
COMMENT ON COLUMN returning_crm.attachment.last_reclassify_changed IS
	'How many rows the last returning_crm.reclassify() of the table changed.';

SELECT pg_catalog.pg_extension_config_dump('returning_crm.attachment', '');

REVOKE ALL ON returning_crm.attachment FROM PUBLIC;
GRANT SELECT ON returning_crm.attachment TO PUBLIC;

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
