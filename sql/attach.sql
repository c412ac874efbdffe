-- Attaching, detaching and every error of attach with its SQLSTATE.
CREATE EXTENSION "returning";
SET client_min_messages = warning;
\set SHOW_CONTEXT never
CREATE TABLE lead (id int PRIMARY KEY, status text, contact_id int, company_id int);
CREATE TABLE deal (id int PRIMARY KEY, stage text, contact_id int, company_id int,
				   lead_id int, created_at timestamptz, note text);
INSERT INTO deal VALUES (1, 'won', 1, NULL, NULL, '2024-01-01'), (2, 'new', 1, NULL, NULL, '2024-02-01');
CREATE TABLE deal2 (id int PRIMARY KEY, stage text, contact_id int, company_id int,
					lead_id int, created_at timestamptz);

-- rule none (README "Attaching"): attach errors
-- Unknown table and unknown column
SELECT returning_crm.attach_orders('no_such_table');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.attach_orders('deal', stage_column => 'phase');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.attach_orders('deal', ordered_by => 'nope');
\echo :LAST_ERROR_SQLSTATE
-- rule none (README "Attaching"): attach checks every mapped column's type
-- Unusable types: a text id, a text client column, an array as ordered_by,
-- an integer e-mail column
SELECT returning_crm.attach_orders('deal', id_column => 'note');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.attach_orders('deal', contact_column => 'stage');
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE deal ADD COLUMN tags text[], ADD COLUMN pos point;
SELECT returning_crm.attach_orders('deal', ordered_by => 'pos');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.attach_orders('deal', email_columns => '{contact_id}');
\echo :LAST_ERROR_SQLSTATE
-- rule none (README "Attaching"): attach errors
-- NULL where something is needed
SELECT returning_crm.attach_orders(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.attach_orders('deal', stage_column => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.attach_orders('deal', contact_column => NULL, company_column => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.attach_orders('deal', won_values => '{won,NULL}');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.attach_orders('deal', won_values => '{won}', lost_values => '{won}');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.attach_orders('deal', workspace => '');
\echo :LAST_ERROR_SQLSTATE
-- rule none (README "Attaching"): an orders table with a lead_column needs the
--    leads table of its workspace attached first
-- An orders table with a lead column needs the workspace's leads table
SELECT returning_crm.attach_orders('deal', lead_column => 'lead_id');
\echo :LAST_ERROR_SQLSTATE
-- rule none (README "Attaching"): a table or partitioned table, not a view
-- Not a table
CREATE VIEW deal_view AS SELECT * FROM deal;
SELECT returning_crm.attach_orders('deal_view');
\echo :LAST_ERROR_SQLSTATE
-- rule none (README "Attaching"): a unique index on the id column
-- No unique id
CREATE TABLE loose (id int, stage text, contact_id int, company_id int);
SELECT returning_crm.attach_orders('loose');
\echo :LAST_ERROR_SQLSTATE
-- rule none (README "Attaching"): a tenant column must be NOT NULL
-- A tenant column that may be NULL
CREATE TABLE tdeal (id int PRIMARY KEY, tenant text, stage text, contact_id int, company_id int);
SELECT returning_crm.attach_orders('tdeal', tenant_column => 'tenant');
\echo :LAST_ERROR_SQLSTATE
-- rule none (README "Attaching"): a taken column name is an error:
--    column_prefix
-- A name collision on the added columns, then the prefix that avoids it
ALTER TABLE deal ADD COLUMN is_repeat boolean;
SELECT returning_crm.attach_orders('deal');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.attach_orders('deal', column_prefix => repeat('x', 60));
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.attach_orders('deal', ordered_by => 'created_at', column_prefix => 'crm_') AS classified;
SELECT id, stage, crm_returning_state, crm_is_new, crm_is_repeat, crm_is_repeated_inquiry, is_repeat FROM deal ORDER BY id;
-- rule none (README "Attaching"): a failed attach changes nothing
-- A failed attach left nothing behind: exactly one attachment, the right one
SELECT relid, workspace, kind, ordered_by, column_prefix FROM returning_crm.attachment;
-- rule none (README "Attaching"): a workspace holds at most one table of each
--    kind
-- A table attached twice, and a second orders table in the workspace
SELECT returning_crm.attach_orders('deal');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.attach_orders('deal2', column_prefix => 'crm_');
\echo :LAST_ERROR_SQLSTATE

-- rule none (README "Triggers"): the trigger functions refuse to run elsewhere
-- Trigger functions called by hand or fired the wrong way
SELECT returning_crm.order_row_trigger();
\echo :LAST_ERROR_SQLSTATE
CREATE TRIGGER wrong AFTER INSERT ON deal2 FOR EACH ROW EXECUTE FUNCTION returning_crm.order_row_trigger();
INSERT INTO deal2 (id, stage, contact_id) VALUES (1, 'new', 1);
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER wrong ON deal2;
CREATE TRIGGER wrong BEFORE INSERT ON deal2 FOR EACH ROW EXECUTE FUNCTION returning_crm.order_row_trigger();
INSERT INTO deal2 (id, stage, contact_id) VALUES (1, 'new', 1);
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER wrong ON deal2;
CREATE TRIGGER wrong BEFORE INSERT ON deal FOR EACH ROW EXECUTE FUNCTION returning_crm.lead_row_trigger();
INSERT INTO deal (id, stage, contact_id) VALUES (3, 'new', 1);
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER wrong ON deal;
CREATE TRIGGER wrong BEFORE TRUNCATE ON deal2 FOR EACH STATEMENT EXECUTE FUNCTION returning_crm.lead_truncate_trigger();
TRUNCATE deal2;
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER wrong ON deal2;

-- rule none (README "Privileges"): only the table's owner attaches and
--    detaches
-- Only the owner attaches
CREATE ROLE regress_app_reader;
GRANT USAGE ON SCHEMA returning_crm TO regress_app_reader;
GRANT ALL ON deal2 TO regress_app_reader;
SET ROLE regress_app_reader;
SELECT returning_crm.attach_orders('deal2', column_prefix => 'crm_');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.detach('deal');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO returning_crm.attachment (relid, workspace, kind, id_column) VALUES ('deal2', 'x', 'orders', 'id');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- rule none (README "Attaching"): detach
-- Detach: triggers go, columns and data stay, and the table works unattached
SELECT returning_crm.detach('deal');
SELECT returning_crm.detach('deal');
\echo :LAST_ERROR_SQLSTATE
SELECT tgname FROM pg_trigger WHERE tgrelid = 'deal'::regclass AND NOT tgisinternal;
INSERT INTO deal (id, stage, contact_id, created_at) VALUES (3, 'new', 1, '2024-03-01');
SELECT id, crm_returning_state FROM deal ORDER BY id;
-- rule none (README "Attaching"): attaching again recognises the columns
-- Attached again, the columns are recognised and the rows classified
SELECT returning_crm.attach_orders('deal', ordered_by => 'created_at', column_prefix => 'crm_') AS classified;
SELECT id, crm_returning_state FROM deal ORDER BY id;

-- rule none (README "Attaching"): a leads table cannot be detached while an
--    orders table links to it
-- A leads table that an orders table depends on cannot be detached first
SELECT returning_crm.attach_leads('lead', workspace => 'w2');
SELECT returning_crm.attach_orders('deal2', lead_column => 'lead_id', column_prefix => 'crm_', workspace => 'w2');
SELECT returning_crm.detach('lead');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.detach('deal2');
SELECT returning_crm.detach('lead');

-- rule client (README "Attaching"): a client's history is that of its
--    workspace
-- Workspaces do not see each other: contact 1 won in the default
-- workspace, not in w3.
CREATE TABLE deal3 (id int PRIMARY KEY, stage text, contact_id int, company_id int);
SELECT returning_crm.attach_orders('deal3', workspace => 'w3');
INSERT INTO deal3 VALUES (1, 'new', 1, NULL);
SELECT id, returning_state FROM deal3;

-- rule client (README "Attaching"): with a tenant_column, every client is
--    scoped to the row's tenant
-- Tenants: the same client id in two tenants is two clients.
ALTER TABLE tdeal ALTER COLUMN tenant SET NOT NULL;
SELECT returning_crm.attach_orders('tdeal', tenant_column => 'tenant', workspace => 'tenants');
INSERT INTO tdeal VALUES (1, 'a', 'won', 1, NULL), (2, 'b', 'new', 1, NULL), (3, 'a', 'new', 1, NULL);
SELECT id, tenant, stage, contact_id, returning_state FROM tdeal ORDER BY id;
UPDATE tdeal SET tenant = 'b' WHERE id = 1;
SELECT id, tenant, stage, contact_id, returning_state FROM tdeal ORDER BY id;

-- rule none (README "Privileges"): no object on the caller's search_path takes
--    the place of a built-in one
-- Immune to the caller's search_path: objects that shadow pg_catalog's
-- operators in a schema searched first change nothing.
CREATE SCHEMA evil;
CREATE FUNCTION evil.always(int, int) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE OPERATOR evil.= (LEFTARG = int, RIGHTARG = int, FUNCTION = evil.always);
CREATE OPERATOR evil.<> (LEFTARG = int, RIGHTARG = int, FUNCTION = evil.always);
SET search_path = evil, public, pg_catalog;
INSERT INTO deal3 VALUES (2, 'won', 2, NULL), (3, 'new', 2, NULL), (4, 'new', 4, NULL);
SELECT id, returning_state FROM deal3 ORDER BY id;
RESET search_path;

-- rule none (README "Attaching"): DROP TABLE of an attached table detaches it
-- DROP TABLE detaches: the attachment goes, and the workspace takes
-- another table.  A leads table that an orders table of its workspace
-- links to cannot be dropped alone (as with detach); with it, it can.
CREATE TABLE dlead (id int PRIMARY KEY, status text NOT NULL DEFAULT 'new',
					contact_id int, company_id int);
CREATE TABLE ddeal (id int PRIMARY KEY, stage text NOT NULL DEFAULT 'new',
					contact_id int, company_id int, lead_id int);
SELECT returning_crm.attach_leads('dlead', workspace => 'dropped');
SELECT returning_crm.attach_orders('ddeal', lead_column => 'lead_id', workspace => 'dropped');
INSERT INTO dlead (id, contact_id) VALUES (1, 5);
INSERT INTO ddeal (id, contact_id, lead_id) VALUES (1, 6, 1);
DROP TABLE dlead;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO ddeal (id, contact_id, lead_id) VALUES (2, 6, 1);
SELECT id, returning_state FROM ddeal ORDER BY id;
DROP TABLE ddeal;
CREATE TABLE ddeal (id int PRIMARY KEY, stage text NOT NULL DEFAULT 'new',
					contact_id int, company_id int, lead_id int);
SELECT returning_crm.attach_orders('ddeal', workspace => 'dropped');
SELECT kind FROM returning_crm.attachment WHERE workspace = 'dropped' ORDER BY kind;
DROP TABLE dlead, ddeal;
SELECT count(*) AS attachments_left FROM returning_crm.attachment WHERE workspace = 'dropped';

-- rules 1 to 3 at attach: the states that attach computes ahead of its
-- rewrite (each client's first won order, then every order against it) are
-- those of a recompute, with positions that tie, NULL ordered_by (last), a
-- company's orders and a contact's, and without ordered_by.
CREATE TABLE aorder (id int PRIMARY KEY, stage text NOT NULL, contact_id int,
					 company_id int, created_at date);
INSERT INTO aorder
SELECT g, CASE WHEN g % 4 = 1 THEN 'won' ELSE 'new' END, 1 + g % 7,
	   CASE WHEN g % 3 = 0 THEN 1 + g % 2 END,
	   CASE WHEN g % 5 <> 0 THEN date '2024-01-01' + (g * 37) % 11 END
FROM generate_series(1, 300) g;
CREATE TABLE aorder2 (LIKE aorder INCLUDING ALL);
INSERT INTO aorder2 SELECT * FROM aorder;
SELECT returning_crm.attach_orders('aorder', ordered_by => 'created_at', workspace => 'atone');
SELECT returning_crm.attach_orders('aorder2', workspace => 'attwo');
CREATE TEMP TABLE attached_states AS
SELECT 1 AS t, id, returning_state FROM aorder UNION ALL SELECT 2, id, returning_state FROM aorder2;
SELECT returning_crm.reclassify('aorder') AS changed_1, returning_crm.reclassify('aorder2') AS changed_2;
SELECT t, s.returning_state, count(*) FROM attached_states s GROUP BY 1, 2 ORDER BY 1, 2;
SELECT count(*) AS differ FROM attached_states s
LEFT JOIN aorder a ON s.t = 1 AND a.id = s.id LEFT JOIN aorder2 b ON s.t = 2 AND b.id = s.id
WHERE s.returning_state IS DISTINCT FROM coalesce(a.returning_state, b.returning_state);
SELECT returning_crm.detach('aorder'), returning_crm.detach('aorder2');
DROP TABLE aorder, aorder2;

-- rule none (README "FAQ"): DROP EXTENSION CASCADE
-- DROP EXTENSION CASCADE removes triggers and functions, never an app
-- column or row.
SELECT count(*) AS rows_before FROM deal;
DROP EXTENSION "returning" CASCADE;
SELECT count(*) AS rows_after FROM deal;
SELECT attname FROM pg_attribute WHERE attrelid = 'deal'::regclass AND attname LIKE 'crm\_%' ORDER BY attnum;
SELECT count(*) AS triggers_left FROM pg_trigger WHERE tgrelid = 'deal'::regclass AND NOT tgisinternal;
INSERT INTO deal (id, stage, contact_id) VALUES (10, 'new', 1);

DROP SCHEMA evil CASCADE;
DROP VIEW deal_view;
-- CASCADE: the report view of deal goes with it
DROP TABLE lead, deal, deal2, deal3, loose, tdeal CASCADE;
DROP OWNED BY regress_app_reader;
DROP ROLE regress_app_reader;
