-- Inquiry routing: route_inquiry() (src/routing.c); its log is
-- returning_crm.inquiry (10_tables.sql).  That routing created an order for
-- a known client in lead-free mode is kept in the order itself, in
-- <prefix>returning_routed.

-- Not SECURITY DEFINER: the lead, order or contact it creates is inserted
-- with the caller's privileges (and the application's row-level security,
-- constraints and triggers); only the log lines go in as the log's owner.
CREATE OR REPLACE FUNCTION returning_crm.route_inquiry(
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
CREATE OR REPLACE FUNCTION returning_crm._routing_decision(checked_channel boolean, listed boolean,
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
CREATE OR REPLACE FUNCTION returning_crm._lock_bucket(table_name regclass, workspace_key integer,
	space integer, bucket integer) RETURNS void
	LANGUAGE C VOLATILE AS 'MODULE_PATHNAME', 'returning_lock_bucket';
