-- Differential test: schema and tables.
--
-- Two workspaces are attached side by side and exercised in the same run:
--
--   'default'   app.lead / app.orders with the default column names, no tenant,
--               ordered_by a timestamptz column.
--   'tenanted'  app.lead_t / app.deal_t with custom column names, an enum
--               stage, a tenant column, several won and success values and the
--               column prefix 'x_'.
--
-- Lead ids of the two workspaces overlap on purpose (both start at 1), so an
-- order that would resolve its lead in the wrong workspace or tenant shows up.
-- Each workspace is pre-populated before it is attached, so the set-based
-- classification done by attach is checked too.
--
-- The expected lead states cannot be computed from the current rows alone (a
-- converted lead keeps the state it had before), so an independent PL/pgSQL
-- trigger keeps them in diff.lead_shadow, applying the lead rules to OLD/NEW.

\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET timezone = 'UTC';

CREATE EXTENSION "returning";

CREATE SCHEMA app;
CREATE SCHEMA diff;

-- ---------------------------------------------------------------------------
-- Application tables
-- ---------------------------------------------------------------------------
CREATE TABLE app.lead (
	id         serial PRIMARY KEY,
	contact_id integer,
	company_id integer,
	status     text NOT NULL DEFAULT 'new',
	title      text
);

CREATE SEQUENCE app.orders_id_seq START 1000000;
-- Ids handed out downwards from here are "older" by primary key than every
-- id of the ascending sequence: an insert placed before existing orders.
CREATE SEQUENCE app.orders_old_id_seq START 999999 INCREMENT -1 MINVALUE 1 MAXVALUE 999999;
CREATE TABLE app.orders (
	id         bigint PRIMARY KEY DEFAULT nextval('app.orders_id_seq'),
	contact_id integer,
	company_id integer,
	stage      text NOT NULL DEFAULT 'open',
	lead_id    integer,
	created_at timestamptz,
	amount     numeric NOT NULL DEFAULT 0 CHECK (amount >= 0)
);

CREATE TYPE app.phase AS ENUM ('open', 'negotiation', 'won', 'paid', 'lost');

CREATE TABLE app.lead_t (
	lead_no     bigserial PRIMARY KEY,
	tenant_id   integer NOT NULL,
	person_id   bigint,
	firm_id     bigint,
	lead_status text NOT NULL DEFAULT 'fresh'
);

CREATE SEQUENCE app.deal_t_no_seq START 1000000;
CREATE SEQUENCE app.deal_t_old_no_seq START 999999 INCREMENT -1 MINVALUE 1 MAXVALUE 999999;
CREATE TABLE app.deal_t (
	order_no    bigint PRIMARY KEY DEFAULT nextval('app.deal_t_no_seq'),
	tenant_id   integer NOT NULL,
	person_id   bigint,
	firm_id     bigint,
	phase       app.phase NOT NULL DEFAULT 'open',
	origin_lead bigint,
	placed_at   timestamp,
	amount      numeric NOT NULL DEFAULT 0 CHECK (amount >= 0)
);

-- ---------------------------------------------------------------------------
-- Test bookkeeping
-- ---------------------------------------------------------------------------

-- How to reach each workspace's tables and columns (used to build dynamic SQL).
CREATE TABLE diff.ws (
	ws          text PRIMARY KEY,
	leads       text NOT NULL,     -- qualified, quoted table names
	orders      text NOT NULL,
	o_id        text NOT NULL,
	o_contact   text NOT NULL,
	o_company   text NOT NULL,
	o_stage     text NOT NULL,
	o_lead      text NOT NULL,
	o_at        text NOT NULL,
	l_id        text NOT NULL,
	l_contact   text NOT NULL,
	l_company   text NOT NULL,
	l_status    text NOT NULL,
	tenant      text,              -- NULL: no tenant column
	prefix      text NOT NULL,
	o_seq       text NOT NULL,     -- ascending order id sequence
	o_old_seq   text NOT NULL,     -- descending order id sequence
	stage_type  text NOT NULL,     -- type of the stage column
	stages      text[] NOT NULL,   -- values drawn for the stage column
	won         text[] NOT NULL,
	lead_statuses text[] NOT NULL,
	success     text[] NOT NULL,
	ntenants    integer NOT NULL
);

INSERT INTO diff.ws VALUES
	('default', 'app.lead', 'app.orders', 'id', 'contact_id', 'company_id', 'stage',
	 'lead_id', 'created_at', 'id', 'contact_id', 'company_id', 'status', NULL, '',
	 'app.orders_id_seq', 'app.orders_old_id_seq', 'text',
	 '{open,won,lost,negotiation,won}', '{won}',
	 '{new,in_progress,converted,junk}', '{converted}', 1),
	('tenanted', 'app.lead_t', 'app.deal_t', 'order_no', 'person_id', 'firm_id', 'phase',
	 'origin_lead', 'placed_at', 'lead_no', 'person_id', 'firm_id', 'lead_status',
	 'tenant_id', 'x_',
	 'app.deal_t_no_seq', 'app.deal_t_old_no_seq', 'app.phase',
	 '{open,won,paid,lost,negotiation}', '{won,paid}',
	 '{fresh,working,converted,won_over,junk,spam}', '{converted,won_over}', 3);

-- Expected state of every lead, maintained from OLD/NEW by diff.shadow_lead().
CREATE TABLE diff.lead_shadow (
	ws     text NOT NULL,
	id     bigint NOT NULL,
	tenant integer,
	state  text NOT NULL,
	PRIMARY KEY (ws, id)
);

CREATE TABLE diff.mismatch (
	batch    integer NOT NULL,
	ws       text NOT NULL,
	kind     text NOT NULL,        -- 'order' or 'lead'
	id       bigint,
	actual   text,
	expected text,
	detail   text
);

-- Statements that failed although they should not have.
CREATE TABLE diff.error (
	batch     integer,
	ws        text,
	op        text,
	sqlstate  text,
	message   text,
	statement text
);

CREATE TABLE diff.opcount (
	ws text,
	op text,
	n  bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (ws, op)
);

CREATE TABLE diff.stat (
	key   text PRIMARY KEY,
	value bigint NOT NULL DEFAULT 0
);
INSERT INTO diff.stat VALUES ('batches', 0), ('rows_checked', 0), ('mismatches', 0),
	('expected_errors', 0), ('copy_rows', 0), ('attached', 0);

-- Whether the tables are attached yet (the state columns exist only then).
CREATE FUNCTION diff.attached() RETURNS boolean
LANGUAGE sql STABLE AS $$ SELECT value = 1 FROM diff.stat WHERE key = 'attached' $$;

-- Staging rows for COPY (written to a file by psql, then copied in).
CREATE TABLE diff.copy_orders (seq serial, id bigint, tenant integer, contact bigint,
	company bigint, stage text, lead bigint, at timestamp, amount numeric);
CREATE TABLE diff.copy_leads (seq serial, tenant integer, contact bigint, company bigint,
	status text);

-- ---------------------------------------------------------------------------
-- The lead rules, written independently of the extension:
--   client      = company if set (not NULL, not 0), else contact if set, else none
--   INSERT      -> 'repeat' iff the lead has a client
--   UPDATE      -> the same, unless OLD or NEW status is a success value: then the
--                  expected state stays what it was
--   DELETE      -> gone
-- Trigger arguments: workspace, id, contact, company, status, tenant column
-- ('' for none), success values as a text[] literal.
-- ---------------------------------------------------------------------------
CREATE FUNCTION diff.has_client(contact text, company text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT coalesce(company::numeric, 0) <> 0 OR coalesce(contact::numeric, 0) <> 0
$$;

CREATE FUNCTION diff.shadow_lead() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	v_ws text := TG_ARGV[0];
	c_id text := TG_ARGV[1];
	c_contact text := TG_ARGV[2];
	c_company text := TG_ARGV[3];
	c_status text := TG_ARGV[4];
	c_tenant text := TG_ARGV[5];
	success text[] := TG_ARGV[6]::text[];
	n jsonb;
	o jsonb;
	st text;
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		o := to_jsonb(OLD);
		DELETE FROM diff.lead_shadow s WHERE s.ws = v_ws AND s.id = (o->>c_id)::bigint
			RETURNING s.state INTO st;
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		n := to_jsonb(NEW);
		IF TG_OP = 'UPDATE' AND ((o->>c_status) = ANY (success) OR (n->>c_status) = ANY (success)) THEN
			NULL;   -- a lead touching closed-success keeps its state
		ELSE
			st := CASE WHEN diff.has_client(n->>c_contact, n->>c_company) THEN 'repeat' ELSE 'new' END;
		END IF;
		INSERT INTO diff.lead_shadow VALUES (v_ws, (n->>c_id)::bigint,
			CASE WHEN c_tenant <> '' THEN (n->>c_tenant)::integer END, st);
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER zz_diff_shadow AFTER INSERT OR UPDATE OR DELETE ON app.lead
	FOR EACH ROW EXECUTE FUNCTION diff.shadow_lead('default', 'id', 'contact_id', 'company_id',
		'status', '', '{converted}');
CREATE TRIGGER zz_diff_shadow AFTER INSERT OR UPDATE OR DELETE ON app.lead_t
	FOR EACH ROW EXECUTE FUNCTION diff.shadow_lead('tenanted', 'lead_no', 'person_id', 'firm_id',
		'lead_status', 'tenant_id', '{converted,won_over}');
