-- Contacts and companies, matching indexes, matching across workspaces and
-- tenants, match_on_insert with exclusions and ranking, configure.
CREATE EXTENSION "returning";
SET client_min_messages = warning;
\set SHOW_CONTEXT never
CREATE TABLE contact (id bigint PRIMARY KEY, name text, email text, phone text, mobiles text[], company_id bigint);
CREATE TABLE company (id int PRIMARY KEY, title text, email varchar(100), phone text, tag int);
CREATE TABLE lead (id bigint PRIMARY KEY, status text DEFAULT 'new', contact_id bigint, company_id int,
				   email text, phone text);
CREATE TABLE deal (id bigint PRIMARY KEY, stage text DEFAULT 'new', contact_id bigint, company_id int,
				   created_at timestamptz);

-- rule none (README "Workspace settings"): configure() validates its arguments
-- configure: validation and defaults
SELECT * FROM returning_crm.configure(default_region => 'xx');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM returning_crm.configure(workspace => '');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM returning_crm.configure(default_region => ' de ');
SELECT * FROM returning_crm.configure(repeat_sales => false);
SELECT * FROM returning_crm.configure(repeat_sales => true, use_finished_lead => true, leads_enabled => false);

-- rule none (README "Contacts and companies"): attach_contacts and
--    attach_companies check the columns
-- attach_contacts and attach_companies errors
SELECT returning_crm.attach_contacts('contact', email_columns => '{nope}');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.attach_contacts('contact', phone_columns => '{company_id}');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.attach_contacts('contact', id_column => 'name');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.attach_companies('company', title_column => 'tag');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.attach_companies(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.attach_contacts('contact', name_column => 'name', email_columns => '{email}',
									 phone_columns => '{phone,mobiles}');
SELECT returning_crm.attach_contacts('contact');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.attach_companies('company', title_column => 'title', email_columns => '{email}',
									  phone_columns => '{phone}');
SELECT returning_crm.attach_leads('lead', email_columns => '{email}', phone_columns => '{phone}',
								  match_on_insert => true);
SELECT returning_crm.attach_orders('deal', ordered_by => 'created_at');
-- rule none (README "Contacts and companies"): contacts and companies get no
--    columns and no triggers, and indexes on the normalised values
-- No state column and no trigger on contacts and companies
SELECT count(*) FROM pg_trigger WHERE tgrelid IN ('contact'::regclass, 'company'::regclass);
SELECT indexrelid::regclass, pg_get_indexdef(indexrelid) FROM pg_index
 WHERE indrelid IN ('contact'::regclass, 'company'::regclass, 'lead'::regclass)
   AND obj_description(indexrelid, 'pg_class') LIKE 'Normalised%' ORDER BY indexrelid::regclass::text;

INSERT INTO contact VALUES (1, 'Anna', ' Anna@Example.DE', '030 1234567', '{"0171 2345678"}', NULL),
						   (2, 'Bob', 'bob@example.de', NULL, NULL, 5),
						   (3, 'Carl', 'shared@example.de', NULL, NULL, NULL),
						   (4, 'Dora', 'shared@example.de', NULL, NULL, NULL);
INSERT INTO company VALUES (5, 'Example GmbH', 'info@example.de', '+49 30 9999999', NULL),
						   (6, 'Shared AG', 'shared@example.de', NULL, NULL);
INSERT INTO lead (id, status, email, phone) VALUES (100, 'new', 'open@example.de', NULL),
												  (101, 'junk', 'open@example.de', NULL);

-- rule none (README "Matching"): find_matches() by normalised address or
--    number
-- Matching: e-mail, text[] phone, national and international phone forms
SELECT * FROM returning_crm.find_matches('ANNA@example.de', NULL);
SELECT * FROM returning_crm.find_matches(NULL, '+49 171 2345678');
SELECT * FROM returning_crm.find_matches('info@example.de', '030/1234567');
SELECT * FROM returning_crm.find_matches('open@example.de', NULL);
SELECT * FROM returning_crm.find_matches('nobody@example.de', 'garbage');
SELECT * FROM returning_crm.find_matches(NULL, NULL);
SELECT * FROM returning_crm.find_matches('anna@example.de', NULL, workspace => NULL);
\echo :LAST_ERROR_SQLSTATE

-- rule none (README "Contacts and companies"): finding an address is one index
--    probe per column
-- Each look-up is an index probe: the statements use the same expressions
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT t.id FROM contact t
 WHERE returning_crm.normalize_email(t.email) OPERATOR(pg_catalog.=) 'anna@example.de';
EXPLAIN (COSTS OFF) SELECT t.id FROM contact t
 WHERE returning_crm.normalize_phones(t.mobiles, 'DE') OPERATOR(pg_catalog.@>) ARRAY['+491712345678'];
EXPLAIN (COSTS OFF) SELECT t.id FROM company t
 WHERE returning_crm.normalize_email(t.email) OPERATOR(pg_catalog.=) 'info@example.de';
RESET enable_seqscan;

-- rule lead (README "Matching"): with match_on_insert, a lead without a client
--    but with a known client's address is bound to it, so repeat
-- match_on_insert: bound to the one known client, so repeat
INSERT INTO lead (id, email) VALUES (1, 'anna@example.de');
INSERT INTO lead (id, phone) VALUES (2, '+49 30 9999999');
INSERT INTO lead (id, email) VALUES (3, 'stranger@example.de');
-- A lead that already has a client keeps it
INSERT INTO lead (id, contact_id, email) VALUES (4, 2, 'anna@example.de');
-- rule ranking (README "Matching"): clients with open orders first, then open
--    repeat leads, then the most recently active, then companies before
--    contacts
-- Ranking: three clients share an address; a client with an open order wins
INSERT INTO deal VALUES (10, 'won', 3, NULL, '2024-01-01'), (11, 'new', 4, NULL, '2023-01-01');
INSERT INTO lead (id, email) VALUES (5, 'shared@example.de');
-- Without open orders, open repeat leads come next
UPDATE deal SET stage = 'lost' WHERE id = 11;
INSERT INTO lead (id, status, contact_id) VALUES (6, 'in_progress', 3);
INSERT INTO lead (id, email) VALUES (7, 'shared@example.de');
-- Then the most recently active: the latest order
UPDATE lead SET status = 'converted' WHERE id IN (5, 6, 7);
INSERT INTO deal VALUES (12, 'lost', NULL, 6, '2025-01-01');
INSERT INTO lead (id, email) VALUES (8, 'shared@example.de');
SELECT id, contact_id, company_id, returning_state FROM lead WHERE id < 100 ORDER BY id;

-- rule lead (README "Exception lists"): an address on the exception list never
--    produces a repeat lead
-- An excluded address is never bound, even when the other one matches
SELECT (returning_crm.add_exception('030 1234567')).kind;
INSERT INTO lead (id, email, phone) VALUES (9, 'anna@example.de', '030 1234567');
SELECT id, contact_id, company_id, returning_state FROM lead WHERE id = 9;
SELECT returning_crm.is_excluded('x@example.de', '+49301234567'), returning_crm.is_excluded('anna@example.de', NULL);

-- rule none (README "Contacts and companies"): configure() rebuilds the phone
--    indexes when default_region changes
-- Changing the default region rebuilds the phone indexes
SELECT default_region FROM returning_crm.configure(default_region => 'GB');
SELECT pg_get_indexdef('contact_phone_returning_phone'::regclass);
SELECT * FROM returning_crm.find_matches(NULL, '030 1234567');
SELECT * FROM returning_crm.find_matches(NULL, '+49 30 1234567');
SELECT default_region FROM returning_crm.configure(default_region => '');
SELECT pg_get_indexdef('contact_phone_returning_phone'::regclass);
SELECT default_region FROM returning_crm.configure(default_region => 'DE');

-- rule none (README "Attaching"): every lookup and match is scoped to the
--    workspace and the tenant
-- Workspaces and tenants do not see each other
CREATE TABLE tcontact (id bigint, tenant int NOT NULL, email text, PRIMARY KEY (tenant, id));
SELECT returning_crm.attach_contacts('tcontact', company_column => NULL, email_columns => '{email}',
									 tenant_column => 'tenant', workspace => 'w2');
INSERT INTO tcontact VALUES (1, 1, 'anna@example.de'), (2, 2, 'anna@example.de');
SELECT * FROM returning_crm.find_matches('anna@example.de', NULL, tenant => '1', workspace => 'w2');
SELECT * FROM returning_crm.find_matches('anna@example.de', NULL, tenant => '2', workspace => 'w2');
SELECT * FROM returning_crm.find_matches('anna@example.de', NULL, tenant => '3', workspace => 'w2');
SELECT * FROM returning_crm.find_matches('anna@example.de', NULL, workspace => 'w3');
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT t.id FROM tcontact t
 WHERE returning_crm.normalize_email(t.email) OPERATOR(pg_catalog.=) 'anna@example.de'
   AND t.tenant OPERATOR(pg_catalog.=) '1'::text::integer;
RESET enable_seqscan;
-- rule none (README "Exception lists"): an exception's tenant (NULL: every
--    tenant)
-- An exception of one tenant does not apply to another; one without a tenant applies to all
SELECT (returning_crm.add_exception('anna@example.de', tenant => '1', workspace => 'w2')).tenant;
SELECT returning_crm.is_excluded('anna@example.de', NULL, '1', 'w2'), returning_crm.is_excluded('anna@example.de', NULL, '2', 'w2');

-- rule none (README "Attaching"): detach drops the indexes that served only
--    the extension
-- Detach drops the matching indexes and nothing else
SELECT returning_crm.detach('tcontact');
SELECT returning_crm.detach('contact');
SELECT indexrelid::regclass FROM pg_index WHERE indrelid IN ('contact'::regclass, 'tcontact'::regclass) ORDER BY indexrelid::regclass::text;
SELECT count(*) FROM contact;

DROP EXTENSION "returning" CASCADE;
-- CASCADE: the report view of deal goes with it
DROP TABLE contact, company, lead, deal, tcontact CASCADE;
