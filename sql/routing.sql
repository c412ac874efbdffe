-- Inquiry routing (route_inquiry): the rows of the decision table of the
-- README ("Routing inquiries"), each tagged with its decision.
CREATE EXTENSION "returning";
SET client_min_messages = warning;
CREATE SCHEMA crm;
CREATE TABLE crm.company (
	id serial PRIMARY KEY,
	title text NOT NULL,
	email text,
	phone text
);
CREATE TABLE crm.contact (
	id serial PRIMARY KEY,
	name text NOT NULL,
	email text,
	phone text,
	company_id int
);
CREATE TABLE crm.lead (
	id serial PRIMARY KEY,
	title text NOT NULL,
	status text NOT NULL DEFAULT 'draft'
		CHECK (status IN ('draft', 'new', 'in_progress', 'converted', 'junk')),
	contact_id int,
	company_id int,
	email text,
	phones text[],
	source text,
	budget numeric CHECK (budget >= 0),
	budget_eur numeric GENERATED ALWAYS AS (budget * 1.1) STORED,
	received date
);
CREATE TABLE crm.deal (
	id serial PRIMARY KEY,
	title text,
	stage text NOT NULL DEFAULT 'draft',
	contact_id int,
	company_id int,
	lead_id int,
	created_at date
);
ALTER SEQUENCE crm.deal_id_seq RESTART 1000;
SELECT returning_crm.attach_leads('crm.lead', title_column => 'title',
	email_columns => '{email}', phone_columns => '{phones}');
SELECT returning_crm.attach_orders('crm.deal', lead_column => 'lead_id',
	ordered_by => 'created_at', title_column => 'title');
SELECT returning_crm.attach_contacts('crm.contact', name_column => 'name',
	email_columns => '{email}', phone_columns => '{phone}');
SELECT returning_crm.attach_companies('crm.company', title_column => 'title',
	email_columns => '{email}', phone_columns => '{phone}');
SELECT workspace FROM returning_crm.configure(default_region => 'DE');

-- Shorthands: the result of route_inquiry without the log id, and a lead.
CREATE FUNCTION route(email text DEFAULT NULL, phone text DEFAULT NULL,
		name text DEFAULT NULL, channel text DEFAULT 'email', payload jsonb DEFAULT '{}',
		tenant text DEFAULT NULL, workspace text DEFAULT 'default',
		OUT decision text, OUT lead_id bigint, OUT order_ids bigint[],
		OUT contact_id bigint, OUT company_id bigint)
LANGUAGE sql AS $$
	SELECT r.decision, r.lead_id, r.order_ids, r.contact_id, r.company_id
	  FROM returning_crm.route_inquiry(email, phone, name, NULL, channel, payload,
									   tenant, workspace) r
$$;
CREATE VIEW leads AS
SELECT id, title, status, contact_id AS contact, company_id AS company, email, phones,
	   source, budget, returning_state AS state
  FROM crm.lead ORDER BY id;

-- rule new_lead (README "Routing inquiries"): nobody known: a lead (state new).  Mapped columns (title
--    from the name, status new_status, e-mail normalised, phone in E.164 as
--    an array of one) and the payload's columns (cast from JSON by the column
--    type's input).
SELECT * FROM route('  Anna@Example.ORG ', '030 1234567', 'Anna',
	payload => '{"source": "web", "budget": 1200.50, "received": "2024-05-01"}');
SELECT l.*, c.received FROM leads l JOIN crm.lead c USING (id);

-- rule attached_to_lead (README "Routing inquiries"): no client, but an open lead matches: the same
--    sender again, by e-mail or by phone
SELECT * FROM route('anna@example.org');
SELECT * FROM route(phone => '+49 30 1234567', channel => 'call');
SELECT count(*) AS leads FROM crm.lead;

-- rule excluded (README "Routing inquiries"): an address or number on the exception list, for email and
--    call; web forms and chats are not checked
SELECT value FROM returning_crm.add_exception('noreply@shop.example', 'our own shop');
SELECT value FROM returning_crm.add_exception('+49 30 999999', 'switchboard');
SELECT * FROM route('noreply@shop.example');
SELECT * FROM route(phone => '030 999999', channel => 'call');
SELECT * FROM route('someone@else.example', '030 999999', channel => 'email');
SELECT * FROM route('noreply@shop.example', channel => 'webform');
SELECT * FROM route(phone => '030 999999', channel => 'chat');
SELECT count(*) AS leads FROM crm.lead;

-- rule repeat_lead (README "Routing inquiries"): a known contact with neither open orders nor open
--    repeat leads, repeat_sales on: a lead bound to the contact, state repeat
INSERT INTO crm.contact (id, name, email, phone) VALUES (100, 'Bert', 'bert@example.org', '+4940111');
SELECT * FROM route('BERT@example.org', name => 'Bert again');
SELECT * FROM leads WHERE contact = 100;

-- rule attached_to_lead (README "Routing inquiries"): the top client has an open repeat lead: bound to
--    it; no second lead
SELECT * FROM route(phone => '040 111', channel => 'call');
SELECT count(*) AS leads_of_bert FROM crm.lead WHERE contact_id = 100;

-- rule attached_to_order (README "Routing inquiries"): the top client has open orders: bound to all of
--    them (won and lost ones are not open), no new lead
INSERT INTO crm.contact (id, name, email) VALUES (200, 'Carla', 'carla@example.org');
INSERT INTO crm.deal (id, stage, contact_id, created_at) VALUES
	(1, 'won', 200, '2024-01-01'), (2, 'new', 200, '2024-02-01'),
	(3, 'lost', 200, '2024-03-01'), (4, 'in_progress', 200, '2024-04-01');
SELECT * FROM route('carla@example.org');
SELECT count(*) AS leads_of_carla FROM crm.lead WHERE contact_id = 200;

-- rule attached_to_lead (README "Routing inquiries"): a company client: its open repeat lead wins over a
--    contact with nothing open (ranking); the company is reported
INSERT INTO crm.company (id, title, email) VALUES (300, 'Dora GmbH', 'info@dora.example');
INSERT INTO crm.contact (id, name, email, company_id) VALUES (301, 'Dora', 'info@dora.example', 300);
INSERT INTO crm.lead (title, status, company_id) VALUES ('Dora lead', 'in_progress', 300);
SELECT * FROM route('info@dora.example');

-- rule ranking (README "Routing inquiries"): several clients match one phone number: clients with open
--    orders first, then clients with open repeat leads, then the most
--    recently active
INSERT INTO crm.contact (id, name, phone) VALUES
	(401, 'E1', '+4989000'), (402, 'E2', '+4989000'), (403, 'E3', '+4989000');
INSERT INTO crm.deal (id, stage, contact_id, created_at) VALUES
	(10, 'won', 401, '2024-06-01'), (11, 'won', 403, '2024-01-01');
INSERT INTO crm.lead (title, status, contact_id) VALUES ('E2 lead', 'in_progress', 402);
-- E2 has an open repeat lead, E1 and E3 nothing open: E2 wins.
SELECT * FROM route(phone => '089 000', channel => 'call');
-- E3 gets an open order: E3 wins over E2's open lead.
INSERT INTO crm.deal (id, stage, contact_id, created_at) VALUES (12, 'new', 403, '2024-07-01');
SELECT * FROM route(phone => '089 000', channel => 'call');
-- Without open orders and leads, the most recently active (latest order)
-- wins: E1 (2024-06-01) over E3 (2024-01-01).
UPDATE crm.deal SET stage = 'lost' WHERE id = 12;
UPDATE crm.deal SET created_at = '2023-01-01' WHERE id = 12;
UPDATE crm.lead SET status = 'junk' WHERE contact_id = 402;
SELECT * FROM route(phone => '089 000', channel => 'call');

-- rule attached_to_client (README "Routing inquiries"): repeat_sales off: a known client with nothing
--    open is only bound to, nothing created
INSERT INTO crm.contact (id, name, email) VALUES (500, 'Fritz', 'fritz@example.org');
SELECT repeat_sales FROM returning_crm.configure(repeat_sales => false);
SELECT * FROM route('fritz@example.org');
SELECT count(*) AS leads_of_fritz FROM crm.lead WHERE contact_id = 500;
SELECT repeat_sales FROM returning_crm.configure(repeat_sales => true);

-- rule attached_to_lead (README "Routing inquiries"): use_finished_lead: only a closed lead matches.
--    Off: a new lead (new_lead); on: bound to the latest closed lead
INSERT INTO crm.lead (id, title, status, email) VALUES
	(900, 'first', 'junk', 'gina@example.org'), (901, 'second', 'converted', 'gina@example.org');
SELECT decision FROM route('gina@example.org');
DELETE FROM crm.lead WHERE id = (SELECT max(id) FROM crm.lead WHERE email = 'gina@example.org' AND status = 'new');
SELECT use_finished_lead FROM returning_crm.configure(use_finished_lead => true);
SELECT * FROM route('gina@example.org');
SELECT use_finished_lead FROM returning_crm.configure(use_finished_lead => false);

-- rule none (README "Routing inquiries"): payload: unknown (42703), generated, extension and client
--    columns are errors; so are a payload that is not an object and a bad
--    channel
\set VERBOSITY terse
SELECT * FROM route('x@example.org', payload => '{"colour": "red"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM route('x@example.org', payload => '{"budget_eur": 1}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM route('x@example.org', payload => '{"returning_state": "repeat"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM route('x@example.org', payload => '{"contact_id": 100}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM route('x@example.org', payload => '[1, 2]');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM route('x@example.org', channel => 'fax');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM route('x@example.org', channel => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM route('x@example.org', payload => '{"received": "not a date"}');
\echo :LAST_ERROR_SQLSTATE

-- rule none (README "Routing inquiries"): an error rolls back everything, the log line included: a
--    failing application constraint's error and SQLSTATE reach the caller
SELECT count(*) AS leads_before, (SELECT count(*) FROM returning_crm.inquiry) AS log_before
  FROM crm.lead \gset
SELECT * FROM route('y@example.org', payload => '{"budget": -1}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM route('y@example.org', payload => '{"status": "lost"}');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SELECT count(*) - :leads_before AS leads_added,
	   (SELECT count(*) FROM returning_crm.inquiry) - :log_before AS log_added
  FROM crm.lead;

-- rule repeat_order (README "Routing inquiries"): lead-free mode (leads_enabled off): a known client
--    without open orders gets an order, repeated_inquiry when it never won,
--    repeat when it did
SELECT leads_enabled FROM returning_crm.configure(leads_enabled => false);
INSERT INTO crm.contact (id, name, email) VALUES (600, 'Hans', 'hans@example.org'),
	(700, 'Ida', 'ida@example.org');
INSERT INTO crm.deal (id, stage, contact_id, created_at) VALUES (70, 'won', 700, '2020-01-01');
SELECT * FROM route('hans@example.org', name => 'Hans', payload => '{"created_at": "2024-08-01"}');
SELECT * FROM route('ida@example.org', payload => '{"created_at": "2024-08-01"}');
SELECT id, title, stage, contact_id, returning_state FROM crm.deal WHERE contact_id IN (600, 700) ORDER BY id;
-- rule 2 (README "Added columns"): rule 2 counts a routed order (returning_routed) like an
--    order from a repeat lead: it stays a repeated inquiry when its client's
--    history is recomputed, a won order inserted before it (rule 1), then
--    deleted again
INSERT INTO crm.deal (id, stage, contact_id, created_at) VALUES (60, 'won', 600, '2024-01-01');
SELECT id, stage, returning_state FROM crm.deal WHERE contact_id = 600 ORDER BY id;
DELETE FROM crm.deal WHERE id = 60;
SELECT id, stage, returning_state FROM crm.deal WHERE contact_id = 600 ORDER BY id;
-- ... and when it is updated, and when the whole table is reclassified.
UPDATE crm.deal SET title = 'renamed' WHERE contact_id = 600;
SELECT returning_crm.reclassify('crm.deal');
SELECT id, title, returning_state FROM crm.deal WHERE contact_id = 600 ORDER BY id;
-- rule 2 (README "Why a row has its state"): explain() names rule 2 through the routing
--    mark, the won order through rule 1
SELECT d.id, e.state, e.rule, e.routed, e.first_won_order, e.consistent
  FROM crm.deal d, returning_crm.explain('crm.deal', d.id) e
 WHERE d.contact_id IN (600, 700) ORDER BY d.id;
-- rule attached_to_order (README "Routing inquiries"): Hans has an open order now: the next inquiry is
--    bound to it
SELECT decision, order_ids = ARRAY[(SELECT max(id) FROM crm.deal WHERE contact_id = 600)::bigint] AS its_order
  FROM route('hans@example.org');
-- rule new_order (README "Routing inquiries"): lead-free mode, nothing matches: a new contact and an
--    order for it
SELECT decision, contact_id IS NOT NULL AS has_contact, cardinality(order_ids) AS orders
  FROM route('jo@example.org', '+49 221 555', 'Jo');
SELECT c.name, c.email, c.phone, d.title, d.stage, d.returning_state
  FROM crm.contact c JOIN crm.deal d ON d.contact_id = c.id WHERE c.email = 'jo@example.org';
SELECT leads_enabled FROM returning_crm.configure(leads_enabled => true);

-- rule none (README "Attaching"): workspaces and tenants do not see each other: every
--    lookup, client and match is scoped to the row's tenant
CREATE TABLE crm.t_contact (id int, tenant int NOT NULL, name text, email text,
	PRIMARY KEY (id, tenant));
CREATE TABLE crm.t_lead (id serial, tenant int NOT NULL, title text, status text NOT NULL DEFAULT 'new',
	contact_id int, email text, PRIMARY KEY (id, tenant));
SELECT returning_crm.attach_leads('crm.t_lead', company_column => NULL, title_column => 'title',
	email_columns => '{email}', tenant_column => 'tenant', workspace => 'tenants');
SELECT returning_crm.attach_contacts('crm.t_contact', company_column => NULL, name_column => 'name',
	email_columns => '{email}', tenant_column => 'tenant', workspace => 'tenants');
INSERT INTO crm.t_contact VALUES (1, 1, 'Kim', 'kim@example.org');
-- bert@example.org is a contact of workspace default, not of "tenants"
SELECT * FROM route('bert@example.org', tenant => '1', workspace => 'tenants');
SELECT * FROM route('kim@example.org', tenant => '1', workspace => 'tenants');
SELECT * FROM route('kim@example.org', tenant => '2', workspace => 'tenants');
SELECT * FROM route('kim@example.org', tenant => '2', workspace => 'tenants');
SELECT tenant, title, contact_id, returning_state FROM crm.t_lead ORDER BY tenant, id;
\set VERBOSITY terse
SELECT * FROM route('kim@example.org', workspace => 'tenants');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM route('kim@example.org', tenant => '1');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM route('kim@example.org', workspace => 'nowhere');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default

-- rule none (README "Routing inquiries"): the log (returning_crm.inquiry): every inquiry, exclusions
--    included, with what it was bound to
SELECT id, workspace, tenant, channel, email, phone, name, payload, decision,
	   lead_id, order_ids, contact_id, company_id
  FROM returning_crm.inquiry ORDER BY id;
SELECT count(*) AS logged, count(*) FILTER (WHERE decision = 'excluded') AS excluded
  FROM returning_crm.inquiry;

-- rule attached_to_lead (README "Routing inquiries"): of several open repeat leads of the top client, bound
--    to the latest (as with closed leads above, the one inserted last)
INSERT INTO crm.contact (id, name, email) VALUES (800, 'Lena', 'lena@example.org');
INSERT INTO crm.lead (id, title, status, contact_id) VALUES
	(950, 'older', 'in_progress', 800), (951, 'newer', 'new', 800);
SELECT * FROM route('lena@example.org');
SELECT count(*) AS leads_of_lena FROM crm.lead WHERE contact_id = 800;

-- rule repeat_order (README "Routing inquiries"): lead-free mode without a leads table: a known client
--    gets an order, a repeated inquiry since it never won (rule 2 counts the
--    routed order)
CREATE TABLE crm.n_contact (id serial PRIMARY KEY, name text, email text);
CREATE TABLE crm.n_deal (id serial PRIMARY KEY, stage text NOT NULL DEFAULT 'new',
	contact_id int, company_id int, created_at date);
SELECT returning_crm.attach_orders('crm.n_deal', ordered_by => 'created_at', workspace => 'nolead');
SELECT returning_crm.attach_contacts('crm.n_contact', company_column => NULL, name_column => 'name',
	email_columns => '{email}', workspace => 'nolead');
INSERT INTO crm.n_contact (id, name, email) VALUES (100, 'Ola', 'ola@example.org');
SELECT * FROM route('ola@example.org', workspace => 'nolead');
-- rule new_order (README "Routing inquiries"): lead-free mode without a leads table, nothing matches: a
--    new contact and an order for it, new (its client's first order, not
--    routed for a known client)
SELECT * FROM route('nobody@example.org', name => 'Nobody', workspace => 'nolead');
SELECT d.id, d.contact_id, c.name, d.returning_state, d.returning_routed
  FROM crm.n_deal d JOIN crm.n_contact c ON c.id = d.contact_id ORDER BY d.id;

DROP VIEW leads;
DROP FUNCTION route;
DROP SCHEMA crm CASCADE;
DROP EXTENSION "returning";
