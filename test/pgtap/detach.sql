-- rule none (README "Attaching"): detach removes the triggers and keeps the
--    added columns and their data
-- pgTAP: detach removes the triggers and keeps the columns and their data;
-- the application cannot set the state itself while attached.

\set ON_ERROR_STOP 1
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;

BEGIN;
CREATE EXTENSION "returning";
SELECT plan(9);

CREATE TABLE public.deal (
	id         integer PRIMARY KEY,
	contact_id integer,
	company_id integer,
	stage      text NOT NULL DEFAULT 'open'
);
DO $$ BEGIN PERFORM returning_crm.attach_orders('public.deal'); END $$;

-- rule history (README "The rules"): the application cannot set
--    returning_state
-- rule 1 (README "The rules"): order 2 is repeat
-- rule 3 (README "The rules"): orders 1 and 3 are new
-- Whatever the application writes into the state column is replaced: order 1
-- (first of contact 1) is new, order 2 (after a won order) is repeat, order 3
-- has no client.
INSERT INTO deal (id, contact_id, company_id, stage, returning_state) VALUES
	(1, 1, NULL, 'won',  'repeat'),
	(2, 1, NULL, 'open', 'new'),
	(3, NULL, 0, 'open', 'repeated_inquiry');
SELECT is((SELECT array_agg(returning_state ORDER BY id) FROM deal),
	ARRAY['new', 'repeat', 'new'], 'a state written by INSERT is replaced by the rules');
UPDATE deal SET returning_state = 'repeated_inquiry';
SELECT is((SELECT array_agg(returning_state ORDER BY id) FROM deal),
	ARRAY['new', 'repeat', 'new'], 'a state written by UPDATE is replaced by the rules');

CREATE TEMP TABLE snapshot AS SELECT * FROM deal;
SELECT returning_crm.detach('public.deal') IS NULL AS detached \gset

SELECT is((SELECT count(*)::integer FROM pg_trigger WHERE tgrelid = 'public.deal'::regclass AND NOT tgisinternal),
	0, 'detach removes the triggers');
SELECT is((SELECT count(*)::integer FROM returning_crm.attachment WHERE relid = 'public.deal'::regclass),
	0, 'detach removes the configuration row');
SELECT has_column('public', 'deal', 'returning_state', 'detach keeps the state column');
SELECT has_column('public', 'deal', 'is_repeat', 'detach keeps the generated columns');
SELECT set_eq('SELECT * FROM deal', 'SELECT * FROM snapshot', 'detach keeps every row and state');

-- Detached: nothing classifies new rows any more, and reclassify refuses.
INSERT INTO deal (id, contact_id, stage) VALUES (4, 1, 'open');
SELECT is((SELECT returning_state FROM deal WHERE id = 4), NULL, 'a detached table is no longer classified');
SELECT throws_ok($$SELECT returning_crm.reclassify('public.deal')$$, '42704', NULL,
	'reclassify of a detached table fails with undefined_object');

SELECT * FROM finish();
ROLLBACK;
