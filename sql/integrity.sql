-- Integrity under DDL: the extension dropped and created again, mapped
-- columns changed, renamed tables, schemas and columns, long table names,
-- temporary tables, application triggers, single triggers disabled,
-- mapping errors, and exception files that are not UTF-8.
CREATE EXTENSION "returning";
SET client_min_messages = warning;
\set SHOW_CONTEXT never
CREATE SCHEMA integ;

-- Every order of a table with its state, and whether it matches a
-- from-scratch evaluation of rules 1 and 3 of the README ("The rules") in
-- plain SQL (no leads here): an order is repeat when its client (company when set and not 0, else
-- contact when set and not 0) has an order of a won stage positioned
-- before it by (ordered_by, id), NULL ordered_by last, or by id alone;
-- else new.  A wrong state shows as 'MISMATCH, expected ...' in verdict.
CREATE FUNCTION integ.check(tbl regclass, won text[], ob name DEFAULT NULL)
RETURNS TABLE (id bigint, stage text, client text, pos text, state text, verdict text)
LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY EXECUTE format($q$
		WITH r AS (
			SELECT t.id::bigint AS id, t.stage::text AS stage, %1$s AS p,
				   CASE WHEN coalesce(t.company_id, 0) <> 0 THEN 'company ' || t.company_id
						WHEN coalesce(t.contact_id, 0) <> 0 THEN 'contact ' || t.contact_id END AS client,
				   t.returning_state AS state
			  FROM %2$s t)
		SELECT d.id, d.stage, d.client, d.p::text, d.state,
			   CASE WHEN d.state IS DISTINCT FROM e.expected
					THEN 'MISMATCH, expected ' || e.expected ELSE '' END
		  FROM r d
		 CROSS JOIN LATERAL (
			SELECT CASE WHEN EXISTS (
					SELECT FROM r w
					 WHERE w.client = d.client AND w.stage = ANY ($1)
					   AND (w.p < d.p OR (w.p IS NOT NULL AND d.p IS NULL)
							OR (w.p IS NOT DISTINCT FROM d.p AND w.id < d.id)))
				   THEN 'repeat' ELSE 'new' END AS expected) e
		 ORDER BY d.id$q$,
		CASE WHEN ob IS NULL THEN 'NULL::int' ELSE format('t.%I', ob) END, tbl)
	USING won;
END
$$;
-- The extension's indexes, recognised by their comment, with their tables
CREATE VIEW integ.rule_indexes AS
SELECT i.indrelid::regclass AS tbl, c.relname AS index_name,
	   pg_get_expr(i.indpred, i.indrelid) AS predicate
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE obj_description(i.indexrelid, 'pg_class') LIKE 'Kept by the returning extension for %';

-- rule 1 (README "Indexes that attaching creates"): an index left by an
--    earlier attachment with another mapping is not used; attaching again
--    replaces it
-- DROP EXTENSION CASCADE, CREATE EXTENSION, and the same orders table
-- attached again with other won stages: first '{won}', then '{paid}'.
CREATE TABLE integ.deal (id int PRIMARY KEY, stage text NOT NULL DEFAULT 'new',
						 contact_id int, company_id int, created_at date);
INSERT INTO integ.deal VALUES
	(1, 'won', 1, NULL, '2024-01-01'), (2, 'new', 1, NULL, '2024-02-01'),
	(3, 'paid', 2, NULL, '2024-01-01'), (4, 'new', 2, NULL, '2024-02-01'),
	(5, 'won', NULL, 10, '2024-01-01'), (6, 'new', 3, 10, '2024-02-01');
SELECT returning_crm.attach_orders('integ.deal', ordered_by => 'created_at', won_values => '{won}');
INSERT INTO integ.deal VALUES (7, 'paid', NULL, 20, '2024-01-01'), (8, 'new', NULL, 20, '2024-03-01'),
	(9, 'new', 1, NULL, '2024-03-01');
SELECT * FROM integ.check('integ.deal', '{won}', 'created_at');
DROP EXTENSION "returning" CASCADE;
-- the columns, rows and the indexes on built-in functions stay: the won
-- indexes still name 'won'
SELECT index_name, predicate FROM integ.rule_indexes WHERE tbl = 'integ.deal'::regclass ORDER BY 1;
-- written while nothing classifies: the states go stale
INSERT INTO integ.deal VALUES (10, 'paid', 1, NULL, '2023-06-01'), (11, 'new', NULL, 10, '2024-04-01');
UPDATE integ.deal SET stage = 'paid' WHERE id = 5;
CREATE EXTENSION "returning";
SELECT returning_crm.attach_orders('integ.deal', ordered_by => 'created_at', won_values => '{paid}') AS classified;
-- right immediately after attach
SELECT * FROM integ.check('integ.deal', '{paid}', 'created_at');
-- the won indexes of the first attachment were replaced: they name 'paid'
SELECT index_name, predicate FROM integ.rule_indexes WHERE tbl = 'integ.deal'::regclass ORDER BY 1;
-- and further writes: a paid order before others, a won order (no longer
-- won), a paid order lost, a deleted one
INSERT INTO integ.deal VALUES (12, 'paid', 2, NULL, '2023-01-01'), (13, 'won', 4, NULL, '2024-01-01'),
	(14, 'new', 4, NULL, '2024-02-01'), (15, 'new', NULL, 20, '2023-12-01');
UPDATE integ.deal SET stage = 'lost' WHERE id = 10;
DELETE FROM integ.deal WHERE id = 7;
INSERT INTO integ.deal VALUES (16, 'paid', NULL, 20, '2024-02-15');
SELECT * FROM integ.check('integ.deal', '{paid}', 'created_at');

-- rule none (README "FAQ"): a mapped column changed to another type
-- A mapped column changed to a type the rules cannot read is an error
-- at the next write that names it; to bigint, everything keeps working,
-- ids beyond the integer range included.
CREATE TABLE integ.typed (id int PRIMARY KEY, stage text NOT NULL DEFAULT 'new',
						  contact_id int, company_id int);
SELECT returning_crm.attach_orders('integ.typed', workspace => 'integ_typed');
INSERT INTO integ.typed VALUES (1, 'won', 1, NULL), (2, 'new', 1, NULL);
BEGIN;
ALTER TABLE integ.typed ALTER COLUMN contact_id TYPE numeric;
INSERT INTO integ.typed VALUES (3, 'new', 1, NULL);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
ALTER TABLE integ.typed ALTER COLUMN contact_id TYPE bigint;
-- 705032704 is 5000000000 cut to 32 bits: another client
INSERT INTO integ.typed VALUES (3, 'new', 1, NULL), (4, 'won', 5000000000, NULL),
	(5, 'new', 5000000000, NULL), (6, 'new', 705032704, NULL);
UPDATE integ.typed SET stage = 'won' WHERE id = 3;
UPDATE integ.typed SET stage = 'lost' WHERE id = 1;
DELETE FROM integ.typed WHERE id = 2;
INSERT INTO integ.typed VALUES (7, 'new', 1, NULL), (8, 'new', 5000000000, NULL);
SELECT * FROM integ.check('integ.typed', '{won}');

-- rule none (README "FAQ"): renaming the table or its schema needs nothing; a
--    mapped column renamed fails the next write with a hint
-- Renaming the attached table, then its schema: writes afterwards still
-- classify right, and the statements that the extension prepared under
-- the old names are not used (each phase wins a client's order before
-- others and loses it again, which the extension does with prepared
-- statements).  The leads table of the schema, attached with
-- match_on_insert, still binds a lead to the contact with its address
-- (each phase ends with such a lead, so that the rename meets prepared
-- look-ups of the contacts).
CREATE SCHEMA integ_ren;
CREATE TABLE integ_ren.deal (id int PRIMARY KEY, stage text NOT NULL DEFAULT 'new',
							 contact_id int, company_id int, created_at date);
CREATE TABLE integ_ren.contact (id int PRIMARY KEY, company_id int, email text);
CREATE TABLE integ_ren.lead (id int PRIMARY KEY, status text NOT NULL DEFAULT 'new',
							 contact_id int, company_id int, email text);
SELECT returning_crm.attach_orders('integ_ren.deal', ordered_by => 'created_at', workspace => 'integ_ren');
SELECT returning_crm.attach_contacts('integ_ren.contact', email_columns => '{email}', workspace => 'integ_ren');
SELECT returning_crm.attach_leads('integ_ren.lead', email_columns => '{email}', match_on_insert => true,
								  workspace => 'integ_ren');
INSERT INTO integ_ren.contact VALUES
	(1, NULL, 'first@example.com'), (2, NULL, 'second@example.com'), (3, NULL, 'third@example.com');
-- before any rename
INSERT INTO integ_ren.deal VALUES (1, 'new', 1, NULL, '2024-03-01'), (2, 'new', 1, NULL, '2024-04-01');
INSERT INTO integ_ren.deal VALUES (3, 'won', 1, NULL, '2024-01-01');
UPDATE integ_ren.deal SET stage = 'lost' WHERE id = 3;
INSERT INTO integ_ren.lead (id, email) VALUES (1, 'First@Example.com');
-- the table renamed
ALTER TABLE integ_ren.deal RENAME TO renamed_deal;
INSERT INTO integ_ren.renamed_deal VALUES (4, 'new', 2, NULL, '2024-03-01'), (5, 'new', 2, NULL, '2024-04-01');
INSERT INTO integ_ren.renamed_deal VALUES (6, 'won', 2, NULL, '2024-01-01');
UPDATE integ_ren.renamed_deal SET stage = 'lost' WHERE id = 6;
INSERT INTO integ_ren.renamed_deal VALUES (7, 'won', 2, NULL, '2024-03-15');
SELECT * FROM integ.check('integ_ren.renamed_deal', '{won}', 'created_at');
INSERT INTO integ_ren.lead (id, email) VALUES (2, 'second@example.com');
-- the schema renamed
ALTER SCHEMA integ_ren RENAME TO integ_moved;
INSERT INTO integ_moved.lead (id, email) VALUES (3, 'third@example.com');
SELECT id, contact_id, email, returning_state FROM integ_moved.lead ORDER BY id;
SELECT * FROM returning_crm.find_matches('third@example.com', NULL, workspace => 'integ_ren') ORDER BY 1, 2;
INSERT INTO integ_moved.renamed_deal VALUES (8, 'new', 3, NULL, '2024-03-01'), (9, 'new', 3, NULL, '2024-04-01');
INSERT INTO integ_moved.renamed_deal VALUES (10, 'won', 3, NULL, '2024-01-01');
UPDATE integ_moved.renamed_deal SET stage = 'lost' WHERE id IN (7, 10);
INSERT INTO integ_moved.renamed_deal VALUES (11, 'won', 3, NULL, '2024-03-15');
SELECT * FROM integ.check('integ_moved.renamed_deal', '{won}', 'created_at');
-- A mapped column renamed: the next write fails with a hint; renamed
-- back, writes work again.
ALTER TABLE integ_moved.renamed_deal RENAME COLUMN contact_id TO person_id;
INSERT INTO integ_moved.renamed_deal VALUES (12, 'new', 3, NULL, '2024-05-01');
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE integ_moved.renamed_deal RENAME COLUMN person_id TO contact_id;
INSERT INTO integ_moved.renamed_deal VALUES (12, 'new', 3, NULL, '2024-05-01'), (13, 'new', 3, NULL, '2024-02-01');
SELECT * FROM integ.check('integ_moved.renamed_deal', '{won}', 'created_at') WHERE id >= 8;

-- rule none (README "Indexes that attaching creates"): a long table name is
--    cut and marked with a digest
-- Two tables whose 50-character names differ only at the end, attached
-- as orders in two workspaces: each gets its own indexes, with names
-- that are distinct and readable (cut, with a short suffix).  Detaching
-- one leaves every index of the other, which goes on working (the
-- detached one keeps only its index on repeated inquiries, as detach does).
CREATE TABLE integ.orders_of_the_northern_sales_region_archive_2024_a (
	id int PRIMARY KEY, stage text NOT NULL DEFAULT 'new', contact_id int, company_id int);
CREATE TABLE integ.orders_of_the_northern_sales_region_archive_2024_b (
	LIKE integ.orders_of_the_northern_sales_region_archive_2024_a INCLUDING ALL);
SELECT returning_crm.attach_orders('integ.orders_of_the_northern_sales_region_archive_2024_a', workspace => 'integ_a');
SELECT returning_crm.attach_orders('integ.orders_of_the_northern_sales_region_archive_2024_b', workspace => 'integ_b');
SELECT tbl, index_name, length(index_name)
  FROM integ.rule_indexes WHERE tbl::text LIKE 'integ.orders\_of\_the\_northern%' ORDER BY 1, 2;
SELECT count(DISTINCT index_name) AS distinct_names FROM integ.rule_indexes
 WHERE tbl::text LIKE 'integ.orders\_of\_the\_northern%';
SELECT returning_crm.detach('integ.orders_of_the_northern_sales_region_archive_2024_a');
SELECT tbl, index_name
  FROM integ.rule_indexes WHERE tbl::text LIKE 'integ.orders\_of\_the\_northern%' ORDER BY 1, 2;
INSERT INTO integ.orders_of_the_northern_sales_region_archive_2024_b VALUES
	(1, 'new', 1, NULL), (2, 'won', 1, NULL), (3, 'new', 1, NULL), (4, 'new', NULL, 5), (5, 'won', 2, 5);
UPDATE integ.orders_of_the_northern_sales_region_archive_2024_b SET stage = 'won' WHERE id = 4;
SELECT * FROM integ.check('integ.orders_of_the_northern_sales_region_archive_2024_b', '{won}');

-- rule none (README "FAQ"): a temporary table cannot be attached (42809)
-- A temporary table cannot be attached.
CREATE TEMPORARY TABLE integ_temp_deal (id int PRIMARY KEY, stage text, contact_id int, company_id int);
SELECT returning_crm.attach_orders('integ_temp_deal', workspace => 'integ_temp');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS attachments FROM returning_crm.attachment WHERE workspace = 'integ_temp';
DROP TABLE integ_temp_deal;

-- rule none (README "Triggers"): an application BEFORE ROW trigger that sorts
--    after zz_returning_row is refused (55000)
-- An application BEFORE ROW trigger whose name sorts after the
-- extension's row trigger would change the row behind its back: INSERTs
-- are refused with a hint.  Renamed to sort before, the state reflects
-- the contact it set.
CREATE TABLE integ.trg (id int PRIMARY KEY, stage text NOT NULL DEFAULT 'new',
						contact_id int, company_id int);
SELECT returning_crm.attach_orders('integ.trg', workspace => 'integ_trg');
INSERT INTO integ.trg VALUES (1, 'won', 7, NULL);
CREATE FUNCTION integ.set_contact() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.contact_id := coalesce(NEW.contact_id, 7);
	RETURN NEW;
END
$$;
CREATE TRIGGER zzz_set_contact BEFORE INSERT ON integ.trg
	FOR EACH ROW EXECUTE FUNCTION integ.set_contact();
INSERT INTO integ.trg (id) VALUES (2);
\echo :LAST_ERROR_SQLSTATE
ALTER TRIGGER zzz_set_contact ON integ.trg RENAME TO aa_set_contact;
INSERT INTO integ.trg (id) VALUES (2);
SELECT * FROM integ.check('integ.trg', '{won}');
DROP TRIGGER aa_set_contact ON integ.trg;

-- rule none (README "Triggers"): one of the extension's triggers disabled
--    while the others are not: refused
-- Each of the extension's triggers disabled alone: INSERT, UPDATE and
-- DELETE are refused; enabled again, they work.
ALTER TABLE integ.trg DISABLE TRIGGER zz_returning_row;
INSERT INTO integ.trg VALUES (3, 'new', 7, NULL);
\echo :LAST_ERROR_SQLSTATE
UPDATE integ.trg SET stage = 'lost' WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM integ.trg WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE integ.trg ENABLE TRIGGER zz_returning_row;
ALTER TABLE integ.trg DISABLE TRIGGER zz_returning_statement_begin;
INSERT INTO integ.trg VALUES (3, 'new', 7, NULL);
\echo :LAST_ERROR_SQLSTATE
UPDATE integ.trg SET stage = 'lost' WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM integ.trg WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE integ.trg ENABLE TRIGGER zz_returning_statement_begin;
ALTER TABLE integ.trg DISABLE TRIGGER zz_returning_statement_end;
INSERT INTO integ.trg VALUES (3, 'new', 7, NULL);
\echo :LAST_ERROR_SQLSTATE
UPDATE integ.trg SET stage = 'lost' WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM integ.trg WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE integ.trg ENABLE TRIGGER zz_returning_statement_end;
-- nothing was written by the refused statements
SELECT * FROM integ.check('integ.trg', '{won}');
INSERT INTO integ.trg VALUES (3, 'new', 7, NULL);
UPDATE integ.trg SET stage = 'lost' WHERE id = 1;
SELECT * FROM integ.check('integ.trg', '{won}');
DELETE FROM integ.trg WHERE id = 1;
UPDATE integ.trg SET stage = 'won' WHERE id = 2;
SELECT * FROM integ.check('integ.trg', '{won}');

-- rule position (README "The rules"): ordered_by of type varchar and of an
--    enum type (ordered as declared)
-- Mapping errors: NULL where a column is needed.  An ordered_by of type
-- varchar and of an enum type (ordered as declared, not as text) order
-- orders right.
CREATE TABLE integ.mapped (id int PRIMARY KEY, stage text NOT NULL DEFAULT 'new',
						   contact_id int, company_id int, ref varchar(20), email text);
SELECT returning_crm.attach_orders('integ.mapped', id_column => NULL, workspace => 'integ_mapped');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.attach_contacts('integ.mapped', email_columns => '{NULL}', workspace => 'integ_mapped');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS attachments FROM returning_crm.attachment WHERE workspace = 'integ_mapped';
SELECT returning_crm.attach_orders('integ.mapped', ordered_by => 'ref', workspace => 'integ_mapped');
INSERT INTO integ.mapped (id, stage, contact_id, ref) VALUES
	(1, 'new', 1, 'R0300'), (2, 'won', 1, 'R0200'), (3, 'new', 1, 'R0100'), (4, 'new', 1, NULL),
	(5, 'new', 1, 'R0200');
UPDATE integ.mapped SET ref = 'R0050' WHERE id = 2;
INSERT INTO integ.mapped (id, stage, contact_id, ref) VALUES (6, 'won', 2, NULL), (7, 'new', 2, 'R0900');
SELECT * FROM integ.check('integ.mapped', '{won}', 'ref');
CREATE TYPE integ.season AS ENUM ('spring', 'summer', 'autumn', 'winter');
CREATE TABLE integ.seasonal (id int PRIMARY KEY, stage text NOT NULL DEFAULT 'new',
							 contact_id int, company_id int, season integ.season);
SELECT returning_crm.attach_orders('integ.seasonal', ordered_by => 'season', workspace => 'integ_seasonal');
INSERT INTO integ.seasonal (id, stage, contact_id, season) VALUES
	(1, 'new', 1, 'autumn'), (2, 'new', 1, 'spring'), (3, 'won', 1, 'summer'), (4, 'new', 1, 'winter');
UPDATE integ.seasonal SET season = 'spring' WHERE id = 3;
INSERT INTO integ.seasonal (id, stage, contact_id, season) VALUES (5, 'new', 1, 'summer');
SELECT * FROM integ.check('integ.seasonal', '{won}', 'season');

-- rule none (README "Exception lists"): import_exceptions() skips lines that
--    are not UTF-8
-- Importing exceptions from a file that is not all UTF-8: the bytea
-- overload reports a Latin-1 line (byte E9 alone) as skipped with its
-- number and imports the others; UTF-8 in a comment is kept.
SELECT * FROM returning_crm.import_exceptions(
	convert_to(E'valid@example.com;fine\n', 'UTF8') ||
	decode('6361666540657861e96d706c652e636f6d3b6c6174696e2d310a', 'hex') ||	-- caf@exa\xe9mple.com;latin-1
	convert_to(E'\n', 'UTF8') ||
	convert_to(E'utf8@example.com;café\r\n', 'UTF8'),
	workspace => 'integ');
SELECT kind, value, comment FROM returning_crm.exception WHERE workspace = 'integ' ORDER BY value;
-- In an SQL_ASCII database a text argument can carry any byte: the line
-- that is not UTF-8 is skipped with its number, the others processed.
SELECT current_database() AS regress_db \gset
DROP DATABASE IF EXISTS integ_ascii;
CREATE DATABASE integ_ascii ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
\c integ_ascii
SET client_min_messages = warning;
CREATE EXTENSION "returning";
SELECT pg_encoding_to_char(encoding) AS encoding FROM pg_database WHERE datname = current_database();
SELECT * FROM returning_crm.import_exceptions(convert_from(decode(
	-- valid@example.com;fine \n caf@exa\xe9mple.com \n \n other@example.com
	'76616c6964406578616d706c652e636f6d3b66696e650a' ||
	'6361666540657861e96d706c652e636f6d0a' ||
	'0a' ||
	'6f74686572406578616d706c652e636f6d', 'hex'), 'SQL_ASCII'));
SELECT kind, value, comment FROM returning_crm.exception ORDER BY value;
\c :regress_db
SET client_min_messages = warning;
DROP DATABASE integ_ascii;

DROP SCHEMA integ_moved CASCADE;
DROP SCHEMA integ CASCADE;
DROP EXTENSION "returning";
