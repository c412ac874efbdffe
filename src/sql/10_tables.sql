-- returning: the extension's tables: its configuration, the exception list
-- and the logs.  The functions, views and event triggers follow in the other
-- files of this directory, which the upgrade scripts (upgrade/) run again
-- over an earlier version's objects: they create or replace, and this file
-- alone holds what keeps data.
-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION ""returning""" to load this file. \quit

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

-- Identity (src/identity.c, 40_identity.sql): workspace settings and the
-- exception list.

-- Settings per workspace.  A workspace without a row has the defaults.
CREATE TABLE returning_crm.workspace_settings (
	workspace			text PRIMARY KEY CHECK (workspace <> ''),
	repeat_sales		boolean NOT NULL DEFAULT true,
	leads_enabled		boolean,
	use_finished_lead	boolean NOT NULL DEFAULT false,
	default_region		text CHECK (default_region = pg_catalog.upper(default_region)),
	notify_channel		text CHECK (notify_channel <> '' AND pg_catalog.octet_length(notify_channel) < 64),
	log_changes			boolean NOT NULL DEFAULT false
);

COMMENT ON TABLE returning_crm.workspace_settings IS
	'Settings of inquiry routing and matching per workspace, changed with returning_crm.configure(). A workspace without a row has the defaults.';
COMMENT ON COLUMN returning_crm.workspace_settings.workspace IS
	'The workspace the settings apply to.';
COMMENT ON COLUMN returning_crm.workspace_settings.repeat_sales IS
	'When on, an inquiry of a known client without open orders or open repeat leads creates a repeat lead.';
COMMENT ON COLUMN returning_crm.workspace_settings.leads_enabled IS
	'Whether inquiries create leads; NULL means: when the workspace has an attached leads table.';
COMMENT ON COLUMN returning_crm.workspace_settings.use_finished_lead IS
	'When on, an inquiry that matches only a closed lead is attached to that lead.';
COMMENT ON COLUMN returning_crm.workspace_settings.notify_channel IS
	'The channel on which every state change of the workspace''s leads and orders is announced with NOTIFY at commit; NULL sends none.';
COMMENT ON COLUMN returning_crm.workspace_settings.log_changes IS
	'When on, every state change of the workspace''s leads and orders is appended to returning_crm.state_change in the same transaction.';
COMMENT ON COLUMN returning_crm.workspace_settings.default_region IS
	'ISO 3166-1 alpha-2 region (upper case) for phone numbers in national format; NULL accepts only international numbers. Changing it rebuilds the workspace''s phone indexes.';

SELECT pg_catalog.pg_extension_config_dump('returning_crm.workspace_settings', '');
REVOKE ALL ON returning_crm.workspace_settings FROM PUBLIC;
GRANT SELECT ON returning_crm.workspace_settings TO PUBLIC;

-- The exception list: addresses and numbers that never make a repeat lead
-- or bind a lead to a client.  An exception without a tenant applies to
-- every tenant of the workspace.
CREATE TABLE returning_crm.exception (
	id			bigserial PRIMARY KEY,
	workspace	text NOT NULL CHECK (workspace <> ''),
	tenant		text,
	kind		text NOT NULL CHECK (kind IN ('email', 'phone')),
	value		text NOT NULL,
	comment		varchar(255),
	created_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CONSTRAINT exception_value_key UNIQUE NULLS NOT DISTINCT (workspace, kind, value, tenant)
);

COMMENT ON TABLE returning_crm.exception IS
	'E-mail addresses and phone numbers that must never produce a repeat lead, per workspace and tenant. Written through add_exception, import_exceptions, exclude_lead, exclude_order and remove_exception.';
COMMENT ON COLUMN returning_crm.exception.id IS
	'Number of the exception.';
COMMENT ON COLUMN returning_crm.exception.workspace IS
	'The workspace the exception belongs to.';
COMMENT ON COLUMN returning_crm.exception.tenant IS
	'The text form of the tenant the exception applies to; NULL applies it to every tenant of the workspace.';
COMMENT ON COLUMN returning_crm.exception.kind IS
	'email or phone.';
COMMENT ON COLUMN returning_crm.exception.value IS
	'The normalised address (normalize_email) or number in E.164 format (normalize_phone).';
COMMENT ON COLUMN returning_crm.exception.comment IS
	'Why the address or number is on the list, up to 255 characters.';
COMMENT ON COLUMN returning_crm.exception.created_at IS
	'When the exception was added.';

SELECT pg_catalog.pg_extension_config_dump('returning_crm.exception', '');
SELECT pg_catalog.pg_extension_config_dump('returning_crm.exception_id_seq', '');
REVOKE ALL ON returning_crm.exception FROM PUBLIC;
REVOKE ALL ON SEQUENCE returning_crm.exception_id_seq FROM PUBLIC;

-- Inquiry routing (src/routing.c, 50_routing.sql): the inquiry log.
-- That routing created an order for a known client in lead-free mode is
-- kept in the order itself, in <prefix>returning_routed.

-- Every inquiry, whatever was decided.  Personal data: no privileges for
-- PUBLIC.  route_inquiry() writes it as the table's owner, so callers need
-- no privileges on it; reading it is granted explicitly.
CREATE TABLE returning_crm.inquiry (
	id				bigserial PRIMARY KEY,
	received_at		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	workspace		text NOT NULL,
	tenant			text,
	channel			text NOT NULL CHECK (channel IN ('email', 'call', 'webform', 'chat')),
	email			text,
	phone			text,
	name			text,
	company_title	text,
	payload			jsonb,
	decision		text NOT NULL CHECK (decision IN ('excluded', 'attached_to_order',
									'attached_to_lead', 'repeat_order', 'repeat_lead',
									'attached_to_client', 'new_lead', 'new_order')),
	lead_id			bigint,
	order_ids		bigint[],
	contact_id		bigint,
	company_id		bigint,
	responsible		text
);
CREATE INDEX inquiry_workspace_received_at_idx
	ON returning_crm.inquiry (workspace, received_at);
COMMENT ON INDEX returning_crm.inquiry_workspace_received_at_idx IS
	'Finds the inquiries of a workspace by time.';

COMMENT ON TABLE returning_crm.inquiry IS
	'Every inquiry routed by returning_crm.route_inquiry(), exclusions included, with the decision and the entities it was bound to. Holds personal data: no privileges for PUBLIC.';
COMMENT ON COLUMN returning_crm.inquiry.id IS 'Number of the inquiry, returned by route_inquiry() as inquiry_id.';
COMMENT ON COLUMN returning_crm.inquiry.received_at IS 'Start of the transaction that routed the inquiry.';
COMMENT ON COLUMN returning_crm.inquiry.workspace IS 'Workspace the inquiry was routed in.';
COMMENT ON COLUMN returning_crm.inquiry.tenant IS 'Tenant the inquiry was routed for, or NULL in a workspace without tenants.';
COMMENT ON COLUMN returning_crm.inquiry.channel IS 'How the inquiry came in: email, call, webform or chat.';
COMMENT ON COLUMN returning_crm.inquiry.email IS 'E-mail address as given.';
COMMENT ON COLUMN returning_crm.inquiry.phone IS 'Phone number as given.';
COMMENT ON COLUMN returning_crm.inquiry.name IS 'Name of the sender as given.';
COMMENT ON COLUMN returning_crm.inquiry.company_title IS 'Company of the sender as given.';
COMMENT ON COLUMN returning_crm.inquiry.payload IS 'Further column values for the lead or order routing creates, as given.';
COMMENT ON COLUMN returning_crm.inquiry.decision IS
	'What routing decided: excluded, attached_to_order, attached_to_lead, repeat_order, repeat_lead, attached_to_client, new_lead or new_order.';
COMMENT ON COLUMN returning_crm.inquiry.lead_id IS 'Lead created (new_lead, repeat_lead) or attached to (attached_to_lead).';
COMMENT ON COLUMN returning_crm.inquiry.order_ids IS 'Open orders attached to (attached_to_order) or the order created (repeat_order, new_order).';
COMMENT ON COLUMN returning_crm.inquiry.contact_id IS 'Contact the inquiry belongs to: the known contact, the contact of a known company that the inquiry matched, or the one created by new_order.';
COMMENT ON COLUMN returning_crm.inquiry.company_id IS 'Company the inquiry belongs to: the known company, or the company of the known contact.';
COMMENT ON COLUMN returning_crm.inquiry.responsible IS 'The responsible user routing chose (text form of the responsible column), or NULL.';

SELECT pg_catalog.pg_extension_config_dump('returning_crm.inquiry', '');
SELECT pg_catalog.pg_extension_config_dump('returning_crm.inquiry_id_seq', '');
REVOKE ALL ON returning_crm.inquiry FROM PUBLIC;
REVOKE ALL ON SEQUENCE returning_crm.inquiry_id_seq FROM PUBLIC;
