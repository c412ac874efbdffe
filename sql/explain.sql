-- returning_crm.explain(): why a row has its state, with the rule and the
-- facts it rests on, and whether the stored state still agrees with them.
CREATE EXTENSION "returning";
SET client_min_messages = warning;
\set SHOW_CONTEXT never

CREATE SCHEMA ex;
CREATE TABLE ex.lead (id int PRIMARY KEY, status text NOT NULL DEFAULT 'new',
					  contact_id int, company_id int);
CREATE TABLE ex.deal (id int PRIMARY KEY, stage text NOT NULL DEFAULT 'new',
					  contact_id int, company_id int, lead_id int, created_at date);
SELECT returning_crm.attach_leads('ex.lead');
SELECT returning_crm.attach_orders('ex.deal', lead_column => 'lead_id', ordered_by => 'created_at');

INSERT INTO ex.lead VALUES (1, 'new', NULL, NULL), (2, 'new', 7, NULL), (3, 'converted', NULL, NULL);
-- Contact 7: a won order on 1 March, one before it and one after it; one
-- order from the repeat lead 2; company 5; an order without a client.
INSERT INTO ex.deal VALUES
	(10, 'won', 7, NULL, NULL, '2024-03-01'),
	(11, 'new', 7, NULL, NULL, '2024-02-01'),
	(12, 'new', 7, NULL, NULL, '2024-04-01'),
	(13, 'new', 8, NULL, 2, '2024-01-01'),
	(14, 'new', 8, 5, NULL, '2024-01-01'),
	(15, 'new', NULL, NULL, 1, '2024-05-01'),
	(16, 'won', 7, NULL, NULL, '2024-03-01');

-- rule 1 (README "Why a row has its state"): rule 1 and the first won order positioned
--    before the row; the won order itself and the one before it are not
--    repeat (rule 3); ties go by id (16 after 10)
-- rule 2 (README "Why a row has its state"): order 13 comes from the repeat lead 2: rule 2,
--    with the lead and its state
-- rule client (README "Why a row has its state"): order 14, a contact's order whose client is a
--    company, is the company's: rule 3; order 15 has no client: rule 3
SELECT d.id, e.* FROM ex.deal d, returning_crm.explain('ex.deal', d.id) e ORDER BY d.id;
-- rule none (README "FAQ"): renaming the table needs nothing: the statements are kept with
--    the table's description and made anew after DDL
ALTER TABLE ex.deal RENAME TO deal_renamed;
SELECT state, rule, first_won_order FROM returning_crm.explain('ex.deal_renamed', 12);
ALTER TABLE ex.deal_renamed RENAME TO deal;
-- rule lead (README "Why a row has its state"): leads: the client makes a lead repeat
SELECT l.id, e.* FROM ex.lead l, returning_crm.explain('ex.lead', l.id) e ORDER BY l.id;

-- rule none (README "Why a row has its state"): a stored state that the rules no longer give
--    is reported (consistent false), not hidden: the triggers disabled, the
--    won order moves after the others; reclassify repairs it
ALTER TABLE ex.deal DISABLE TRIGGER USER;
UPDATE ex.deal SET created_at = '2025-01-01' WHERE id IN (10, 16);
ALTER TABLE ex.deal ENABLE TRIGGER USER;
SELECT state, rule, first_won_order, consistent FROM returning_crm.explain('ex.deal', 12);
SELECT returning_crm.reclassify('ex.deal');
SELECT state, rule, first_won_order, consistent FROM returning_crm.explain('ex.deal', 12);

-- rule none (README "Why a row has its state"): bad input: an unknown row (P0002), a table
--    that is not attached, NULL arguments, a tenant given for a table without
--    tenants
SELECT * FROM returning_crm.explain('ex.deal', 999);
CREATE TABLE ex.other (id int PRIMARY KEY);
SELECT * FROM returning_crm.explain('ex.other', 1);
SELECT * FROM returning_crm.explain(NULL, 1);
SELECT * FROM returning_crm.explain('ex.deal', 10, tenant => 'a');

-- rule 1 (README "Why a row has its state"): tenants: the id is unique per tenant, so the
--    tenant is needed (22004); the other tenant's won orders do not count
CREATE TABLE ex.tdeal (tenant text, id int, stage text NOT NULL DEFAULT 'new', contact_id int,
					   created_at date, PRIMARY KEY (tenant, id));
SELECT returning_crm.attach_orders('ex.tdeal', tenant_column => 'tenant', ordered_by => 'created_at',
								   company_column => NULL, workspace => 'tenants');
INSERT INTO ex.tdeal VALUES ('a', 1, 'won', 3, '2024-01-01'), ('b', 2, 'new', 3, '2024-02-01'),
	('a', 2, 'new', 3, '2024-02-01');
SELECT * FROM returning_crm.explain('ex.tdeal', 2);
SELECT state, rule, client_id, first_won_order, consistent FROM returning_crm.explain('ex.tdeal', 2, 'a');
SELECT state, rule, client_id, first_won_order, consistent FROM returning_crm.explain('ex.tdeal', 2, 'b');

-- rule none (README "Why a row has its state"): look-ups have the caller's rights: without
--    SELECT on the table, no answer (42501)
CREATE ROLE ex_reader;
GRANT USAGE ON SCHEMA ex TO ex_reader;
SET ROLE ex_reader;
SELECT * FROM returning_crm.explain('ex.deal', 12);
RESET ROLE;
GRANT SELECT ON ex.deal TO ex_reader;
SET ROLE ex_reader;
SELECT state, rule, first_won_order FROM returning_crm.explain('ex.deal', 12);
RESET ROLE;
REVOKE ALL ON SCHEMA ex FROM ex_reader;
REVOKE ALL ON ex.deal FROM ex_reader;
DROP ROLE ex_reader;
DROP SCHEMA ex CASCADE;
DROP EXTENSION "returning";
