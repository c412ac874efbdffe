-- Rules: add_rule, remove_rule, returning_crm.rule.  A rule fires when a row
-- gets its state by its own insert or update, never on a history rewrite.
CREATE EXTENSION "returning";
SET client_min_messages = warning;
\set SHOW_CONTEXT never
\set VERBOSITY default

CREATE SCHEMA ru;
CREATE TABLE ru.lead (id int PRIMARY KEY, status text NOT NULL DEFAULT 'new', contact_id int,
					  company_id int, queue text);
CREATE TABLE ru.deal (id int PRIMARY KEY, stage text NOT NULL DEFAULT 'new', contact_id int,
					  company_id int, lead_id int, created_at date, pipeline_id int DEFAULT 1,
					  priority smallint, note text,
					  total numeric GENERATED ALWAYS AS (priority * 10) STORED);
CREATE TABLE ru.contact (id int PRIMARY KEY, name text);
SELECT returning_crm.attach_leads('ru.lead');
SELECT returning_crm.attach_orders('ru.deal', lead_column => 'lead_id', ordered_by => 'created_at',
								   pipeline_column => 'pipeline_id');
SELECT returning_crm.attach_contacts('ru.contact', company_column => NULL, name_column => 'name');

-- rule none (README "Rules"): add_rule() checks the whole rule
-- Every error, each with its SQLSTATE.
\set ON_ERROR_STOP 0
SELECT returning_crm.add_rule('ru.deal', 'repeat', '{"nope": 1}');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.add_rule('ru.deal', 'repeat', '{"contact_id": 1}');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.add_rule('ru.deal', 'repeat', '{"created_at": "2024-01-01"}');
SELECT returning_crm.add_rule('ru.deal', 'repeat', '{"lead_id": 1}');
SELECT returning_crm.add_rule('ru.deal', 'repeat', '{"returning_state": "new"}');
SELECT returning_crm.add_rule('ru.deal', 'repeat', '{"is_repeat": true}');
SELECT returning_crm.add_rule('ru.deal', 'repeat', '{"total": 3}');
SELECT returning_crm.add_rule('ru.deal', 'repeat', '{"stage": "won"}');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.add_rule('ru.deal', 'repeat', '{"stage": "lost"}');
SELECT returning_crm.add_rule('ru.lead', 'repeat', '{"status": "converted"}');
SELECT returning_crm.add_rule('ru.deal', 'repeat', '{"pipeline_id": "two"}');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.add_rule('ru.deal', 'repeat', '{"priority": 70000}');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.add_rule('ru.deal', 'repeat', '{"pipeline_id": true}');
SELECT returning_crm.add_rule('ru.deal', 'repeat', '{"pipeline_id": [2]}');
SELECT returning_crm.add_rule('ru.deal', 'repeat', '{}');
SELECT returning_crm.add_rule('ru.deal', 'repeat', '[1]');
SELECT returning_crm.add_rule('ru.deal', 'won', '{"pipeline_id": 2}');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.add_rule('ru.lead', 'repeated_inquiry', '{"queue": "x"}');
SELECT returning_crm.add_rule('ru.contact', 'repeat', '{"name": "x"}');
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE ru.other (id int PRIMARY KEY);
SELECT returning_crm.add_rule('ru.other', 'repeat', '{"id": 1}');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.add_rule(NULL, 'repeat', '{"pipeline_id": 2}');
\echo :LAST_ERROR_SQLSTATE
-- a role that does not own the table
CREATE ROLE ru_other;
GRANT USAGE ON SCHEMA ru TO ru_other;
SET ROLE ru_other;
SELECT returning_crm.add_rule('ru.deal', 'repeat', '{"pipeline_id": 2}');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO returning_crm.rule (relid, state, set_values) VALUES ('ru.deal', 'repeat', '{"pipeline_id": 2}');
RESET ROLE;
\set ON_ERROR_STOP 1
SELECT count(*) AS no_rule_added FROM returning_crm.rule;

-- rule none (README "Rules"): a rule applies when a row gets its state by its
--    own write
-- Rules on insert and on update, several of one state in id order (the
-- later wins on the same column), a stage set only on open rows.
SELECT returning_crm.add_rule('ru.deal', 'repeat', '{"pipeline_id": 2, "stage": "NEW"}', 'repeat pipeline') AS r1 \gset
SELECT returning_crm.add_rule('ru.deal', 'repeat', '{"priority": 5, "pipeline_id": 3}') AS r2 \gset
SELECT returning_crm.add_rule('ru.deal', 'repeated_inquiry', '{"note": "call back"}') AS r3 \gset
SELECT returning_crm.add_rule('ru.lead', 'repeat', '{"queue": "returning"}') AS r4 \gset
SELECT id = :r1 AS first, relid, state, set_values, name FROM returning_crm.rule ORDER BY id;
INSERT INTO ru.deal (id, stage, contact_id, created_at) VALUES (1, 'won', 7, '2024-01-01');
-- repeat on insert; a won repeat order keeps its stage
INSERT INTO ru.deal (id, stage, contact_id, created_at) VALUES (2, 'new', 7, '2024-02-01'),
	(3, 'won', 7, '2024-03-01');
-- a repeat lead, and its order a repeated inquiry
INSERT INTO ru.lead (id, contact_id) VALUES (1, 8), (2, NULL);
INSERT INTO ru.deal (id, contact_id, lead_id, created_at) VALUES (4, 8, 1, '2024-01-01');
-- an update that makes the order repeat: contact 9's order moves to contact 7
INSERT INTO ru.deal (id, contact_id, created_at) VALUES (5, 9, '2024-05-01');
UPDATE ru.deal SET contact_id = 7 WHERE id = 5;
-- an update that changes nothing of the state fires nothing: the
-- application may move the order back to pipeline 1
UPDATE ru.deal SET pipeline_id = 1 WHERE id = 5;
-- a lead that gets a client by an update
UPDATE ru.lead SET contact_id = 8 WHERE id = 2;
SELECT id, stage, returning_state, pipeline_id, priority, note FROM ru.deal ORDER BY id;
SELECT id, returning_state, queue FROM ru.lead ORDER BY id;

-- rule none (README "Rules"): a state that a history change gives a row fires
--    no rule
-- A history rewrite fires no rule: an earlier won order makes order 6
-- repeat, announced but not moved.
INSERT INTO ru.deal (id, contact_id, created_at) VALUES (6, 10, '2024-06-01');
INSERT INTO ru.deal (id, stage, contact_id, created_at) VALUES (7, 'won', 10, '2024-01-01');
SELECT id, stage, returning_state, pipeline_id, priority FROM ru.deal WHERE id IN (6, 7) ORDER BY id;

-- rule none (README "Rules"): remove_rule(); detach removes the table's rules
-- remove_rule; detach removes the table's rules.
SELECT returning_crm.remove_rule(:r2), returning_crm.remove_rule(:r2);
INSERT INTO ru.deal (id, contact_id, created_at) VALUES (8, 7, '2024-08-01');
SELECT id, returning_state, pipeline_id, priority FROM ru.deal WHERE id = 8;
SET ROLE ru_other;
\set ON_ERROR_STOP 0
SELECT returning_crm.remove_rule(:r1);
\echo :LAST_ERROR_SQLSTATE
\set ON_ERROR_STOP 1
RESET ROLE;
SELECT returning_crm.detach('ru.deal');
SELECT relid, state FROM returning_crm.rule ORDER BY id;

-- rule none (README "Rules"): a column dropped later is no longer set
-- A rule whose column is dropped later sets nothing for it.
ALTER TABLE ru.lead DROP COLUMN queue;
INSERT INTO ru.lead (id, contact_id) VALUES (3, 8);
SELECT id, returning_state FROM ru.lead WHERE id = 3;

REVOKE ALL ON SCHEMA ru FROM ru_other;
DROP ROLE ru_other;
DROP SCHEMA ru CASCADE;
DROP EXTENSION "returning";
