-- Inquiry routing: the inquiry log and route_inquiry() (src/routing.c).
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

-- Not SECURITY DEFINER: the lead, order or contact it creates is inserted
-- with the caller's privileges (and the application's row-level security,
-- constraints and triggers); only the log lines go in as the log's owner.
CREATE FUNCTION returning_crm.route_inquiry(
	email text DEFAULT NULL,
	phone text DEFAULT NULL,
	name text DEFAULT NULL,
	company_title text DEFAULT NULL,
	channel text DEFAULT 'email',
	payload jsonb DEFAULT '{}',
	tenant text DEFAULT NULL,
	workspace text DEFAULT 'default',
	OUT decision text,
	OUT inquiry_id bigint,
	OUT lead_id bigint,
	OUT order_ids bigint[],
	OUT contact_id bigint,
	OUT company_id bigint,
	OUT responsible text)
RETURNS record
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'route_inquiry';

COMMENT ON FUNCTION returning_crm.route_inquiry(text, text, text, text, text, jsonb, text, text) IS
	'Routes an incoming inquiry to an open order, an open lead, a new or repeat lead or order, or its known client, and logs it in returning_crm.inquiry. Returns the decision; inquiry_id, the log row; lead_id, the lead created or attached to; order_ids, the open orders attached to or the order created; contact_id and company_id, both sides of the client (known, or the contact created); responsible, the responsible user of what it was bound to, else of the client, else of the contact''s company. Rows are created with the caller''s privileges. Payload keys are column names of the table a row would be created in (leads; orders in lead-free mode), checked on every call and applied only when a row is created; an unknown key is an error (42703). An error rolls back everything, the log line included.';

REVOKE ALL ON FUNCTION returning_crm.route_inquiry(text, text, text, text, text, jsonb, text, text) FROM PUBLIC;

-- The decision table alone (src/routing_decide.c), for its tests
CREATE FUNCTION returning_crm._routing_decision(checked_channel boolean, listed boolean,
	client boolean, client_open_orders boolean, client_open_repeat_leads boolean,
	lead_free boolean, repeat_sales boolean, open_lead boolean,
	use_finished_lead boolean, closed_lead boolean)
RETURNS text
LANGUAGE C IMMUTABLE STRICT AS 'MODULE_PATHNAME', 'returning_routing_decision';
COMMENT ON FUNCTION returning_crm._routing_decision(boolean, boolean, boolean, boolean, boolean, boolean, boolean, boolean, boolean, boolean) IS
	'The decision route_inquiry() takes for the given facts, without looking anything up.';

-- The locks that routing takes (a client's, an address's), on the node that
-- holds the tenant's rows: on Citus, route_inquiry() calls this through a
-- query routed by tenant, so that it is the lock the shards' triggers take
-- (src/locks.c).  The caller must be able to write the table.
CREATE FUNCTION returning_crm._lock_bucket(table_name regclass, workspace_key integer,
	space integer, bucket integer) RETURNS void
	LANGUAGE C VOLATILE AS 'MODULE_PATHNAME', 'returning_lock_bucket';
