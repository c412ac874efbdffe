-- Inquiry routing for B2B clients: the decision table, a contact's open
-- orders of its company, both sides of a client on what routing creates,
-- exclusion of both sides, and the responsible manager.
CREATE EXTENSION "returning";
SET client_min_messages = warning;

-- rule excluded (README "Routing inquiries"): its row of the decision table, without a look-up
-- rule attached_to_order (README "Routing inquiries"): its row of the decision table, without a look-up
-- rule attached_to_lead (README "Routing inquiries"): its row of the decision table, without a look-up
-- rule repeat_order (README "Routing inquiries"): its row of the decision table, without a look-up
-- rule repeat_lead (README "Routing inquiries"): its row of the decision table, without a look-up
-- rule attached_to_client (README "Routing inquiries"): its row of the decision table, without a look-up
-- rule new_order (README "Routing inquiries"): its row of the decision table, without a look-up
-- rule new_lead (README "Routing inquiries"): its row of the decision table, without a look-up
-- Each row of the table in src/routing_decide.c, then every one of the 1024
-- combinations of facts against the same table written here in SQL.  The
-- facts, in order:
-- checked channel, listed, client, its open orders, its open repeat leads,
-- lead-free mode, repeat sales, open lead, use_finished_lead, closed lead.
CREATE FUNCTION decide(b boolean[]) RETURNS text LANGUAGE sql AS $$
	SELECT returning_crm._routing_decision(b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10])
$$;
SELECT f.rule, decide(f.facts) AS decision
  FROM (VALUES
	('excluded: email or call, listed',		'{t,t,t,t,t,f,t,t,t,t}'::boolean[]),
	('a web form is not checked',			'{f,t,f,f,f,f,t,f,f,f}'),
	('client with open orders',				'{t,f,t,t,t,f,t,f,f,f}'),
	('client with open repeat leads',		'{t,f,t,f,t,f,t,f,f,f}'),
	('client, lead-free mode',				'{t,f,t,f,t,t,t,f,f,f}'),
	('client, repeat sales on',				'{t,f,t,f,f,f,t,f,f,f}'),
	('client, repeat sales off',			'{t,f,t,f,f,f,f,f,f,f}'),
	('no client, an open lead',				'{t,f,f,f,f,f,t,t,f,f}'),
	('a closed lead, use_finished_lead',	'{t,f,f,f,f,f,t,f,t,t}'),
	('a closed lead, setting off',			'{t,f,f,f,f,f,t,f,f,t}'),
	('nobody, lead-free mode',				'{t,f,f,f,f,t,t,f,f,f}'),
	('nobody',								'{t,f,f,f,f,f,t,f,f,f}')) AS f(rule, facts);
WITH facts AS (
	SELECT array(SELECT (g >> k) & 1 = 1 FROM generate_series(0, 9) k) AS b
	  FROM generate_series(0, 1023) g
), expected AS (
	SELECT b, CASE
		WHEN b[1] AND b[2] THEN 'excluded'
		WHEN b[3] AND b[4] THEN 'attached_to_order'
		WHEN b[3] AND b[5] AND NOT b[6] THEN 'attached_to_lead'
		WHEN b[3] AND b[6] THEN 'repeat_order'
		WHEN b[3] AND b[7] THEN 'repeat_lead'
		WHEN b[3] THEN 'attached_to_client'
		WHEN NOT b[6] AND (b[8] OR (b[9] AND b[10])) THEN 'attached_to_lead'
		WHEN b[6] THEN 'new_order'
		ELSE 'new_lead' END AS decision
	  FROM facts)
SELECT decision, count(*) AS combinations,
	   count(*) FILTER (WHERE decide(b) <> decision) AS mismatches
  FROM expected GROUP BY decision ORDER BY decision;

-- A B2B CRM: contacts work for companies (company_column), every table has
-- a responsible manager.
CREATE SCHEMA b2b;
CREATE TABLE b2b.company (id int PRIMARY KEY, title text, email text, phone text, manager text);
CREATE TABLE b2b.contact (id int PRIMARY KEY, name text, email text, phone text,
						  company_id int, manager text);
CREATE TABLE b2b.lead (id serial PRIMARY KEY, title text, status text NOT NULL DEFAULT 'new',
					   contact_id int, company_id int, email text, phone text, manager text);
CREATE TABLE b2b.deal (id serial PRIMARY KEY, title text, stage text NOT NULL DEFAULT 'new',
					   contact_id int, company_id int, lead_id int, created_at date, manager_id int);
ALTER SEQUENCE b2b.lead_id_seq RESTART 100;
ALTER SEQUENCE b2b.deal_id_seq RESTART 1000;
SELECT returning_crm.attach_companies('b2b.company', title_column => 'title',
	email_columns => '{email}', phone_columns => '{phone}', responsible_column => 'manager');
SELECT returning_crm.attach_contacts('b2b.contact', company_column => 'company_id',
	name_column => 'name', email_columns => '{email}', phone_columns => '{phone}',
	responsible_column => 'manager');
SELECT returning_crm.attach_leads('b2b.lead', title_column => 'title',
	email_columns => '{email}', phone_columns => '{phone}', responsible_column => 'manager');
SELECT returning_crm.attach_orders('b2b.deal', lead_column => 'lead_id', ordered_by => 'created_at',
	title_column => 'title', responsible_column => 'manager_id');
SELECT workspace FROM returning_crm.configure(default_region => 'DE');
INSERT INTO b2b.company VALUES
	(1, 'Acme', 'office@acme.example', NULL, 'anna'),
	(2, 'Bolt', 'office@bolt.example', NULL, 'boris'),
	(3, 'Cargo', NULL, '+49 30 3333333', 'carla'),
	(4, 'Dune', 'office@dune.example', NULL, NULL),
	(5, 'Echo', 'office@echo.example', NULL, NULL);
INSERT INTO b2b.contact VALUES
	(11, 'Ada', 'ada@acme.example', NULL, 1, 'alex'),
	(12, 'Ben', 'ben@bolt.example', NULL, 2, NULL),
	(13, 'Cid', 'cid@cargo.example', NULL, 3, 'chris'),
	(14, 'Dot', NULL, '+49 30 4444444', 4, 'dora'),
	(15, 'Eli', 'eli@example.com', NULL, NULL, 'eric'),
	(16, 'Fay', 'fay@echo.example', NULL, 5, NULL);
-- Acme's open order names Ada; Bolt's open order names nobody; Echo's open
-- repeat lead names Fay
INSERT INTO b2b.deal (id, stage, company_id, contact_id, created_at, manager_id) VALUES
	(1, 'won', 1, 11, '2024-01-01', 7), (2, 'new', 1, 11, '2024-03-01', 8),
	(3, 'new', 1, 11, '2024-02-01', 9), (4, 'new', 2, NULL, '2024-02-01', 6);
INSERT INTO b2b.lead (id, status, company_id, contact_id, manager) VALUES (50, 'new', 5, 16, 'fred');

CREATE FUNCTION route(email text DEFAULT NULL, phone text DEFAULT NULL, channel text DEFAULT 'email',
		OUT decision text, OUT lead_id bigint, OUT order_ids bigint[],
		OUT contact_id bigint, OUT company_id bigint, OUT responsible text)
LANGUAGE sql AS $$
	SELECT r.decision, r.lead_id, r.order_ids, r.contact_id, r.company_id, r.responsible
	  FROM returning_crm.route_inquiry(email, phone, channel => channel) r
$$;
CREATE FUNCTION new_lead(id bigint) RETURNS TABLE (company_id int, contact_id int,
		manager text, returning_state text)
LANGUAGE sql AS $$
	SELECT l.company_id, l.contact_id, l.manager, l.returning_state FROM b2b.lead l WHERE l.id = new_lead.id
$$;

-- rule B2B contacts (README "Routing inquiries"): Ada mails: Acme's open orders name her, so the mail
--    goes to them (attached_to_order, not a new lead)
-- rule responsible user (README "Routing inquiries"): of several open orders, the latest by position
--    (order 2, March: manager 8)
SELECT * FROM route('Ada@Acme.example');
-- rule B2B contacts (README "Routing inquiries"): Ben mails: Bolt's open order does not name him, and
--    he has none of his own: a repeat lead (repeat_lead)
-- rule both sides (README "Routing inquiries"): the lead carries Bolt and Ben; its client is Bolt, so
--    it is repeat (rule lead)
-- rule responsible user (README "Routing inquiries"): Ben has none, so Bolt's (boris)
SELECT * FROM route('ben@bolt.example');
SELECT * FROM new_lead(100);
-- rule attached_to_lead (README "Routing inquiries"): ... and Ben again: attached to that lead, not a
--    second one
SELECT * FROM route('ben@bolt.example');
SELECT count(*) AS leads_of_ben FROM b2b.lead WHERE contact_id = 12;
-- rule ranking (README "Routing inquiries"): a contact and a company matched by one inquiry (Cid's
--    e-mail, Cargo's phone), Cid works for Cargo: the company ranks first
-- rule both sides (README "Routing inquiries"): the repeat lead carries both
-- rule responsible user (README "Routing inquiries"): Cargo's (carla), the top client's
SELECT * FROM route('cid@cargo.example', '030 3333333');
SELECT * FROM new_lead(101);
-- rule both sides (README "Routing inquiries"): only the contact is matched (Dot's phone): her company
--    Dune comes from company_column
-- rule responsible user (README "Routing inquiries"): Dot's own (dora)
SELECT * FROM route(NULL, '+49 30 4444444', 'call');
SELECT * FROM new_lead(102);
-- rule both sides (README "Routing inquiries"): a contact without a company: the lead carries the
--    contact only
SELECT * FROM route('eli@example.com');
SELECT * FROM new_lead(103);
-- rule B2B contacts (README "Routing inquiries"): Fay's mail goes to the open repeat lead of her company
--    Echo that names her (attached_to_lead)
-- rule responsible user (README "Routing inquiries"): the lead's (fred)
SELECT * FROM route('fay@echo.example');
-- rule attached_to_lead (README "Routing inquiries"): Dune (no responsible of its own) mails: the open
--    repeat lead made for Dot above names Dune, so it takes the mail
-- rule responsible user (README "Routing inquiries"): that lead's
SELECT * FROM route('office@dune.example');
SELECT count(*) AS no_new_lead FROM b2b.lead WHERE id = 104;
-- rule both sides (README "Routing inquiries"): the log keeps both sides and the responsible
SELECT decision, contact_id, company_id, responsible FROM returning_crm.inquiry ORDER BY id;

-- rule none (README "Exception lists"): exclude_order excludes both sides: an order of a
--    company and a contact, of a company only, of a contact only;
--    exclude_lead a lead's own address, its company's and its contact's
INSERT INTO b2b.deal (id, company_id, contact_id) VALUES (20, 2, 12), (21, 4, NULL), (22, NULL, 15);
SELECT returning_crm.exclude_order(20) AS both_sides,
	   returning_crm.exclude_order(21) AS company_only,
	   returning_crm.exclude_order(22) AS contact_only;
INSERT INTO b2b.lead (id, email, company_id, contact_id) VALUES (60, 'own@lead.example', 3, 13);
SELECT returning_crm.exclude_lead(60) AS lead_and_both_sides;
SELECT kind, value, comment FROM returning_crm.exception ORDER BY comment, kind, value;
-- rule excluded (README "Routing inquiries"): Ben's next mail is excluded now, and so is Bolt's
SELECT decision FROM route('ben@bolt.example');
SELECT decision FROM route('office@bolt.example');

-- rule both sides (README "Routing inquiries"): contacts without a company column, tenants: the
--    contact's company is not known
-- rule responsible user (README "Routing inquiries"): no responsible column anywhere: nothing is
--    responsible
CREATE TABLE b2b.tcontact (id int, tenant int NOT NULL, email text, company_id int,
						   PRIMARY KEY (tenant, id));
CREATE TABLE b2b.tlead (id serial, tenant int NOT NULL, status text NOT NULL DEFAULT 'new',
						contact_id int, company_id int, email text, PRIMARY KEY (tenant, id));
ALTER SEQUENCE b2b.tlead_id_seq RESTART 500;
SELECT returning_crm.attach_contacts('b2b.tcontact', email_columns => '{email}',
	tenant_column => 'tenant', workspace => 'plain');
SELECT returning_crm.attach_leads('b2b.tlead', email_columns => '{email}',
	tenant_column => 'tenant', workspace => 'plain');
INSERT INTO b2b.tcontact VALUES (1, 1, 'gus@example.com', 9), (1, 2, 'hal@example.com', 9);
SELECT decision, lead_id, contact_id, company_id, responsible
  FROM returning_crm.route_inquiry('gus@example.com', tenant => '1', workspace => 'plain');
SELECT decision, lead_id, contact_id, company_id, responsible
  FROM returning_crm.route_inquiry('gus@example.com', tenant => '2', workspace => 'plain');
SELECT tenant, id, contact_id, company_id, returning_state FROM b2b.tlead ORDER BY tenant, id;
-- rule none (README "Exception lists"): ids are unique per tenant there: exclusion takes
--    the tenant (22004 without)
\set SHOW_CONTEXT never
SELECT returning_crm.exclude_lead(500, 'plain');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.exclude_lead(500, 'plain', tenant => '1') AS excluded_in_tenant_1;
SELECT tenant, kind, value FROM returning_crm.exception WHERE workspace = 'plain';

-- rule indexes (README "Indexes"): tables with primary keys only: every look-up of
--    routing reads through an index that attach created (here the orders'
--    company index serves both the rules and routing), none reads a whole
--    table.  A new session, so that no plan is kept from before.
\c
SET client_min_messages = warning;
SET enable_seqscan = off;
SELECT c.relname AS index_of_b2b_deal FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid = 'b2b.deal'::regclass ORDER BY c.relname COLLATE "C";
BEGIN;
SELECT decision, order_ids, company_id FROM returning_crm.route_inquiry('ada@acme.example');
SELECT decision, company_id FROM returning_crm.route_inquiry('office@echo.example');
SELECT relname, seq_scan FROM pg_stat_xact_user_tables
 WHERE schemaname = 'b2b' AND relname IN ('deal', 'lead', 'contact', 'company') ORDER BY relname;
ROLLBACK;
RESET enable_seqscan;
-- rule indexes (README "Indexes"): an index of the extension's own never stands in for
--    an application's: with a routing index on the company column such as
--    an earlier version made, the company index of the rules is still needed
--    (else the next attach or update would drop it), the routing one is not
CREATE INDEX deal_old_route ON b2b.deal (company_id);
COMMENT ON INDEX b2b.deal_old_route IS 'Kept by the returning extension for routing inquiries to the rows of a company; detach drops it. Definition 000000000000.';
SELECT suffix, needed FROM returning_crm._index_definitions('b2b.deal')
 WHERE suffix IN ('company', 'route_company') ORDER BY suffix;
DROP INDEX b2b.deal_old_route;

DROP EXTENSION "returning" CASCADE;
DROP SCHEMA b2b CASCADE;
DROP FUNCTION decide(boolean[]), route(text, text, text), new_lead(bigint);
