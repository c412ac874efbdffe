-- Partitioned tables: attached on the parent, the rules span partitions,
-- rows move between partitions, writes aimed at a partition, partitions
-- created, attached, detached, dropped and truncated.  After each step
-- every order is compared with a from-scratch evaluation of the rules
-- (mismatches are shown).
CREATE EXTENSION "returning";
SET client_min_messages = warning;
\set SHOW_CONTEXT never
CREATE SCHEMA part;
-- rule none (README "Attaching"): partitioned tables are attached on the
--    parent
-- A leads table partitioned by status list, an orders table by year,
-- with rows; the unique index on the id includes the partition key.
CREATE TABLE part.lead (id int, status text NOT NULL DEFAULT 'new', contact_id int, company_id int,
						PRIMARY KEY (id, status)) PARTITION BY LIST (status);
CREATE TABLE part.lead_open PARTITION OF part.lead FOR VALUES IN ('new', 'in_progress');
CREATE TABLE part.lead_closed PARTITION OF part.lead DEFAULT;
CREATE TABLE part.deal (id int, stage text NOT NULL DEFAULT 'new', contact_id int, company_id int,
						lead_id int, created_at date NOT NULL, PRIMARY KEY (id, created_at))
	PARTITION BY RANGE (created_at);
CREATE TABLE part.deal_2023 PARTITION OF part.deal FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE part.deal_2024 PARTITION OF part.deal FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE part.deal_2025 PARTITION OF part.deal FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO part.lead VALUES (1, 'new', 5, NULL), (2, 'new', NULL, NULL), (3, 'converted', 6, NULL);
INSERT INTO part.deal VALUES
	(1, 'won', 1, NULL, NULL, '2023-05-01'), (2, 'new', 1, NULL, NULL, '2025-02-01'),
	(3, 'new', 2, NULL, NULL, '2024-03-01'), (4, 'new', 5, NULL, 1, '2024-04-01'),
	(5, 'new', NULL, 9, NULL, '2025-06-01');
SELECT returning_crm.attach_leads('part.lead');
SELECT returning_crm.attach_orders('part.deal', lead_column => 'lead_id', ordered_by => 'created_at');
-- The README's rules ("The rules") in plain SQL: rule 1 (a won order of the
-- client positioned before), rule 2 (from a repeat lead, or routed), and
-- else rule 3 (new)
CREATE FUNCTION part.mismatches() RETURNS TABLE (id int, created_at date, state text, expected text)
LANGUAGE sql AS $$
	WITH o AS (
		SELECT d.id, d.created_at, d.stage, d.lead_id, d.returning_state, d.returning_routed,
			   CASE WHEN coalesce(d.company_id, 0) <> 0 THEN 'o' || d.company_id
					WHEN coalesce(d.contact_id, 0) <> 0 THEN 'c' || d.contact_id END AS client
		  FROM part.deal d)
	SELECT o.id, o.created_at, o.returning_state, e.expected
	  FROM o CROSS JOIN LATERAL (
		SELECT CASE
			WHEN o.client IS NULL THEN 'new'
			WHEN EXISTS (SELECT FROM o w WHERE w.client = o.client AND w.stage = 'won'
							AND (w.created_at, w.id) < (o.created_at, o.id)) THEN 'repeat'
			WHEN o.returning_routed
				 OR EXISTS (SELECT FROM part.lead l WHERE l.id = o.lead_id AND l.returning_state = 'repeat')
				THEN 'repeated_inquiry'
			ELSE 'new' END AS expected) e
	 WHERE o.returning_state IS DISTINCT FROM e.expected
	 ORDER BY o.id
$$;
CREATE VIEW part.states AS
	SELECT tableoid::regclass AS partition, id, stage, contact_id, company_id, created_at, returning_state
	  FROM part.deal ORDER BY id;

SELECT * FROM part.states;
SELECT * FROM part.mismatches();
-- The triggers reach every partition: the row trigger is the parent's,
-- the statement and truncate triggers each partition's own
SELECT tgrelid::regclass AS tbl, string_agg(tgname, ', ' ORDER BY tgname) AS triggers
  FROM pg_trigger WHERE tgrelid::regclass::text LIKE 'part.%' AND NOT tgisinternal
 GROUP BY 1 ORDER BY 1;
-- rule none (README "Attaching"): a partition cannot be attached on its own
-- A partition is not attached on its own
SELECT returning_crm.attach_orders('part.deal_2024');
\echo :LAST_ERROR_SQLSTATE

-- rule 1 (README "Attaching"): the rules span partitions
-- Writes through the parent span partitions: a won order in 2024 makes
-- client 2's later orders (2025) repeat, an earlier one in 2023 too
INSERT INTO part.deal VALUES (6, 'new', 2, NULL, NULL, '2025-03-01'), (7, 'won', 2, NULL, NULL, '2024-01-15');
SELECT * FROM part.mismatches();
UPDATE part.deal SET stage = 'won' WHERE id = 3;
INSERT INTO part.deal VALUES (8, 'won', 2, NULL, NULL, '2023-02-01');
SELECT id, created_at, returning_state FROM part.deal WHERE contact_id = 2 ORDER BY created_at;
SELECT * FROM part.mismatches();

-- rule history (README "Attaching"): an UPDATE that moves a row to another
--    partition is classified like any other
-- An UPDATE that moves a row to another partition: client 1's won order
-- moves from 2023 to 2025, after its other order
UPDATE part.deal SET created_at = '2025-09-01' WHERE id = 1;
SELECT * FROM part.states WHERE contact_id = 1;
SELECT * FROM part.mismatches();

-- rule history (README "Attaching"): a statement aimed at a partition directly
--    keeps every state right
-- Writes aimed at a partition directly are classified like the others
INSERT INTO part.deal_2024 VALUES (9, 'won', 1, NULL, NULL, '2024-06-01');
UPDATE part.deal_2025 SET stage = 'lost' WHERE id = 1;
DELETE FROM part.deal_2023 WHERE id = 8;
SELECT * FROM part.states WHERE contact_id IN (1, 2);
SELECT * FROM part.mismatches();

-- rule lead (README "The rules"): a lead's state in a partitioned leads table
-- rule 2 (README "The rules"): the orders from those leads follow
-- A lead's state follows its partition's rows: lead 2 gets a client
-- (repeat), lead 1 loses it; the orders that came from them follow
UPDATE part.lead SET contact_id = 7 WHERE id = 2;
INSERT INTO part.deal VALUES (10, 'new', 7, NULL, 2, '2025-01-05');
UPDATE part.lead SET contact_id = NULL WHERE id = 1;
SELECT id, status, contact_id, returning_state FROM part.lead ORDER BY id;
SELECT * FROM part.mismatches();

-- rule none (README "Attaching"): partitions created later get the triggers
-- A partition created later has the triggers and the rules
CREATE TABLE part.deal_2026 PARTITION OF part.deal FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
SELECT count(*) AS triggers_of_2026 FROM pg_trigger WHERE tgrelid = 'part.deal_2026'::regclass;
INSERT INTO part.deal_2026 VALUES (11, 'new', 2, NULL, NULL, '2026-02-01');
SELECT id, returning_state FROM part.deal WHERE id = 11;

-- rule history (README "Attaching"): ATTACH PARTITION changes clients'
--    histories: the table is reclassified
-- ATTACH PARTITION of a table with rows: its orders join their clients'
-- history (client 2's won order of 2022 comes first now)
CREATE TABLE part.deal_2022 (LIKE part.deal INCLUDING DEFAULTS INCLUDING GENERATED);
INSERT INTO part.deal_2022 (id, stage, contact_id, created_at) VALUES (12, 'won', 1, '2022-03-01'),
	(13, 'new', 3, '2022-04-01');
ALTER TABLE part.deal ATTACH PARTITION part.deal_2022 FOR VALUES FROM ('2022-01-01') TO ('2023-01-01');
SELECT * FROM part.states WHERE contact_id IN (1, 3);
SELECT * FROM part.mismatches();

-- rule history (README "Attaching"): DETACH PARTITION: the table is
--    reclassified; the detached partition loses the triggers, keeps its rows
-- DETACH PARTITION: the remaining orders lose that history; the
-- detached table keeps its rows and none of the extension's triggers
ALTER TABLE part.deal DETACH PARTITION part.deal_2022;
SELECT * FROM part.mismatches();
SELECT count(*) AS triggers_left FROM pg_trigger WHERE tgrelid = 'part.deal_2022'::regclass;
INSERT INTO part.deal_2022 (id, stage, contact_id, created_at) VALUES (14, 'new', 1, '2022-05-01');
SELECT count(*) FROM part.deal_2022;

-- rule history (README "Attaching"): DROP TABLE and TRUNCATE of a partition
-- DROP of a partition (retention) and TRUNCATE of one: client 2's first
-- won orders are in 2024; without them its 2025 orders are not repeat
SELECT id, created_at, returning_state FROM part.deal WHERE contact_id = 2 ORDER BY created_at;
TRUNCATE part.deal_2024;
SELECT id, created_at, returning_state FROM part.deal WHERE contact_id = 2 ORDER BY created_at;
SELECT * FROM part.mismatches();
INSERT INTO part.deal VALUES (15, 'won', 1, NULL, NULL, '2023-01-10');
DROP TABLE part.deal_2023;
SELECT * FROM part.states WHERE contact_id = 1;
SELECT * FROM part.mismatches();
-- rule 2 (README "Attaching"): TRUNCATE of a leads partition
-- ... and TRUNCATE of the leads' partition turns its orders back
TRUNCATE part.lead_open;
SELECT * FROM part.mismatches();

-- rule none (README "Attaching"): reclassify and detach of a partitioned table
-- reclassify and detach of a partitioned table
SELECT returning_crm.reclassify('part.deal') AS changed;
SELECT returning_crm.detach('part.deal');
SELECT count(*) AS triggers_left FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = 'part'::regnamespace AND c.relname LIKE 'deal%' AND NOT t.tgisinternal;

DROP EXTENSION "returning" CASCADE;
DROP SCHEMA part CASCADE;
