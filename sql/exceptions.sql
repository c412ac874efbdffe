-- The exception list: kinds, duplicates, comment length, import,
-- exclude_lead and exclude_order.
CREATE EXTENSION "returning";
SET client_min_messages = warning;
\set SHOW_CONTEXT never
CREATE TABLE contact (id bigint PRIMARY KEY, name text, email text, phones text[], company_id bigint);
CREATE TABLE company (id bigint PRIMARY KEY, title text, email text);
CREATE TABLE lead (id bigint PRIMARY KEY, status text DEFAULT 'new', contact_id bigint, company_id bigint,
				   email text, phone text);
CREATE TABLE deal (id bigint PRIMARY KEY, stage text DEFAULT 'new', contact_id bigint, company_id bigint);
SELECT default_region FROM returning_crm.configure(default_region => 'DE');
SELECT returning_crm.attach_contacts('contact', email_columns => '{email}', phone_columns => '{phones}');
SELECT returning_crm.attach_companies('company', email_columns => '{email}');
SELECT returning_crm.attach_leads('lead', email_columns => '{email}', phone_columns => '{phone}');
SELECT returning_crm.attach_orders('deal');

-- rule none (README "Exception lists"): add_exception() finds the kind and
--    normalises the value
-- Kinds are detected and values normalised
SELECT kind, value, comment FROM returning_crm.add_exception(' Spam@Example.COM ', 'spammer');
SELECT kind, value, comment FROM returning_crm.add_exception('+44 20 7946 0958');
SELECT kind, value, comment FROM returning_crm.add_exception('030 / 123 45 67', 'national, region DE');
-- rule none (README "Exception lists"): adding a value twice returns the row
--    that is there
-- A duplicate returns the existing entry unchanged
SELECT kind, value, comment FROM returning_crm.add_exception('spam@example.com', 'again');
SELECT count(*) FROM returning_crm.exception;
-- rule none (README "Exception lists"): unique per workspace, tenant, kind and
--    value
-- The same value for a tenant is another entry
SELECT kind, value, tenant FROM returning_crm.add_exception('spam@example.com', tenant => 't1');
-- rule none (README "Exception lists"): add_exception() errors (22023),
--    comment up to 255 characters
-- Errors
SELECT returning_crm.add_exception('hello world');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.add_exception('');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.add_exception(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.add_exception('a@example.com', repeat('x', 256));
\echo :LAST_ERROR_SQLSTATE
SELECT length(comment) FROM returning_crm.add_exception('b@example.com', repeat('ä', 255));
SELECT returning_crm.add_exception(repeat('1', 1000000));
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.add_exception('a@example.com', workspace => '');
\echo :LAST_ERROR_SQLSTATE
-- rule none (README "Exception lists"): remove_exception()
-- Remove
SELECT returning_crm.remove_exception('SPAM@example.com', tenant => 't1');
SELECT returning_crm.remove_exception('spam@example.com', tenant => 't1');
SELECT returning_crm.remove_exception('not a value');

-- rule none (README "Exception lists"): import_exceptions() returns every line
--    with its status and reason
-- Import: good, blank, duplicate, malformed, overlong and control characters
SELECT line, left(value, 30) AS value, status, reason FROM returning_crm.import_exceptions(
	E'new1@example.com;first\n' ||
	E'\n' ||
	E'   \t \n' ||
	E'NEW1@example.com;same again\n' ||
	E'spam@example.com;already there\n' ||
	E'+49 171 2345678\n' ||
	E';only a comment\n' ||
	E'no-address-here;x\n' ||
	E'new2@example.com;' || repeat('c', 256) || E'\n' ||
	E'new3@exa\x01mple.com;control character\n' ||
	repeat('z', 3000) || E'\n' ||
	E'0171 2345678;the same number, national\r\n' ||
	E'new4@example.com;comment; with; semicolons\n');
SELECT kind, value, comment FROM returning_crm.exception WHERE value LIKE 'new%' OR value LIKE '+49171%' ORDER BY value;
SELECT count(*) FROM returning_crm.import_exceptions('');

-- rule none (README "Exception lists"): import_exceptions() of a large file
-- Import of 100,000 lines in one call
SELECT status, count(*) FROM returning_crm.import_exceptions(
	(SELECT string_agg(CASE WHEN g % 10 = 0 THEN '+4930' || (1000000 + g) ELSE 'bulk' || g || '@example.com' END
					   || ';bulk', E'\n') FROM generate_series(1, 100000) g),
	workspace => 'bulk') GROUP BY status ORDER BY status;

-- rule none (README "Exception lists"): exclude_lead() and exclude_order() add
--    the addresses of the row and of both sides
-- exclude_lead: the lead's addresses and those of its client
INSERT INTO company VALUES (1, 'Acme', 'office@acme.example');
INSERT INTO contact VALUES (1, 'Eve', 'eve@acme.example', '{"+49 30 7777777", "0171 9999999"}', 1);
INSERT INTO lead (id, contact_id, email, phone) VALUES (1, 1, 'eve.private@example.com', NULL);
INSERT INTO lead (id, email, phone) VALUES (2, 'walkin@example.com', 'not a number');
INSERT INTO deal (id, company_id) VALUES (1, 1);
INSERT INTO deal (id) VALUES (2);
SELECT returning_crm.exclude_lead(1);
SELECT returning_crm.exclude_lead(1);
SELECT returning_crm.exclude_lead(2);
SELECT returning_crm.exclude_order(1);
SELECT returning_crm.exclude_order(2);
SELECT returning_crm.exclude_lead(99);
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.exclude_order(1, workspace => 'nowhere');
\echo :LAST_ERROR_SQLSTATE
SELECT kind, value, comment FROM returning_crm.exception WHERE comment LIKE 'Excluded%' ORDER BY comment, kind, value;
-- rule none (README "Exception lists"): the extension never deletes an
--    application's row
-- No record of the application was deleted
SELECT (SELECT count(*) FROM lead), (SELECT count(*) FROM contact), (SELECT count(*) FROM deal);

DROP EXTENSION "returning" CASCADE;
DROP TABLE contact, company, lead, deal;
