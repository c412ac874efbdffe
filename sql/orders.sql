-- The order rules 1, 2 and 3 of the README ("The rules"), with the client,
-- the position and the history they rest on.
CREATE EXTENSION "returning";
SET client_min_messages = warning;
\set SHOW_CONTEXT never
CREATE SCHEMA crm;
CREATE TABLE crm.lead (
	id serial PRIMARY KEY,
	status text NOT NULL DEFAULT 'new',
	contact_id int,
	company_id int
);
CREATE TABLE crm.deal (
	id serial PRIMARY KEY,
	stage text NOT NULL DEFAULT 'new',
	contact_id int,
	company_id int,
	lead_id int,
	created_at date
);
SELECT returning_crm.attach_leads('crm.lead');
SELECT returning_crm.attach_orders('crm.deal', lead_column => 'lead_id', ordered_by => 'created_at');

-- Every order's state, and whether it matches a from-scratch evaluation of
-- the rules (written here in plain SQL, independently of the extension).
CREATE VIEW expected AS
SELECT d.id,
	   CASE
		   WHEN coalesce(d.company_id, 0) = 0 AND coalesce(d.contact_id, 0) = 0 THEN 'new'
		   WHEN EXISTS (SELECT FROM crm.deal w
						 WHERE w.stage = 'won'
						   AND (CASE WHEN coalesce(w.company_id, 0) <> 0 THEN 'o' || w.company_id
									 WHEN coalesce(w.contact_id, 0) <> 0 THEN 'c' || w.contact_id END)
							 = (CASE WHEN coalesce(d.company_id, 0) <> 0 THEN 'o' || d.company_id
									 ELSE 'c' || d.contact_id END)
						   AND (w.created_at < d.created_at
								OR (w.created_at = d.created_at AND w.id < d.id)
								OR (w.created_at IS NOT NULL AND d.created_at IS NULL)
								OR (w.created_at IS NULL AND d.created_at IS NULL AND w.id < d.id)))
			   THEN 'repeat'
		   WHEN EXISTS (SELECT FROM crm.lead l WHERE l.id = d.lead_id AND l.returning_state = 'repeat')
			   THEN 'repeated_inquiry'
		   ELSE 'new'
	   END AS expected
  FROM crm.deal d;
CREATE VIEW states AS
SELECT d.id, d.stage, d.contact_id AS contact, d.company_id AS company, d.lead_id AS lead,
	   d.created_at, d.returning_state AS state,
	   CASE WHEN d.returning_state IS DISTINCT FROM e.expected THEN 'MISMATCH ' || e.expected ELSE '' END AS verdict
  FROM crm.deal d JOIN expected e USING (id)
 ORDER BY d.id;

-- rule 3 (README "The rules"): a client's first order is new; an order with no client at all is new
INSERT INTO crm.deal (contact_id, created_at) VALUES (1, '2024-01-10');
INSERT INTO crm.deal (contact_id, company_id, created_at) VALUES (NULL, NULL, '2024-01-10');
TABLE states;

-- rule 1 (README "The rules"): once the client has a won order, every later order is repeat
-- rule 1 (README "How the rules map to Bitrix24's"): the first won order (order 1) keeps the state its own position gives it: new
UPDATE crm.deal SET stage = 'won' WHERE id = 1;
INSERT INTO crm.deal (contact_id, created_at) VALUES (1, '2024-02-01'), (1, '2024-03-01');
TABLE states;

-- rule 3 (README "How the rules map to Bitrix24's"): an order positioned before the first won order stays new
INSERT INTO crm.deal (contact_id, created_at) VALUES (1, '2023-12-01');
TABLE states;

-- rule history (README "The rules"): inserting an order before others: a won order inserted before the others
--    moves the first won order, and the orders between it and the old first
--    won order (that one included) turn repeat
INSERT INTO crm.deal (stage, contact_id, created_at) VALUES ('won', 1, '2023-11-01');
TABLE states;

-- rule history (README "The rules"): a stage change out of won, and a deleted order
-- rule 1 (README "How the rules map to Bitrix24's"): losing (or deleting) a client's only won order turns its later orders
--    back from repeat
UPDATE crm.deal SET stage = 'lost' WHERE id = 6;
TABLE states;
DELETE FROM crm.deal WHERE id = 1;
TABLE states;

-- rule 2 (README "The rules"): an order from a repeat lead, while the client never won, is a repeated
--    inquiry; an order from a new lead is new
INSERT INTO crm.lead (contact_id) VALUES (2);		-- lead 1: repeat (has a client)
INSERT INTO crm.lead (contact_id) VALUES (NULL);	-- lead 2: new
INSERT INTO crm.deal (contact_id, lead_id, created_at) VALUES (2, 1, '2024-01-01'), (2, 2, '2024-01-02');
TABLE states;

-- rule 1 (README "The rules"): rule 1 comes before rule 2: the client wins an earlier order, and the
--    repeated inquiry is repeat
INSERT INTO crm.deal (stage, contact_id, created_at) VALUES ('won', 2, '2023-06-01');
TABLE states;
DELETE FROM crm.deal WHERE contact_id = 2 AND stage = 'won';

-- rule client (README "The rules"): a company client and a contact client are different clients: contact 3
--    has a won order, but an order of company 30 (with contact 3) is company 30's
INSERT INTO crm.deal (stage, contact_id, created_at) VALUES ('won', 3, '2024-01-01');
INSERT INTO crm.deal (contact_id, company_id, created_at) VALUES (3, 30, '2024-02-01');
INSERT INTO crm.deal (contact_id, created_at) VALUES (3, '2024-02-01');
TABLE states;

-- rule client (README "The rules"): company id 0 means no company: the order is contact 3's
INSERT INTO crm.deal (contact_id, company_id, created_at) VALUES (3, 0, '2024-03-01');
TABLE states;

-- rule position (README "The rules"): ties on ordered_by are broken by id
INSERT INTO crm.deal (stage, contact_id, created_at) VALUES ('won', 4, '2024-05-05');
INSERT INTO crm.deal (contact_id, created_at) VALUES (4, '2024-05-05');
UPDATE crm.deal SET created_at = '2024-05-05' WHERE id = (SELECT min(id) FROM crm.deal WHERE contact_id = 4 AND stage = 'new');
TABLE states;
-- the later id is repeat, an earlier id at the same date would not be:
UPDATE crm.deal SET stage = 'won' WHERE contact_id = 4 AND stage = 'new';
UPDATE crm.deal SET stage = 'new' WHERE id = (SELECT min(id) FROM crm.deal WHERE contact_id = 4);
TABLE states;

-- rule position (README "The rules"): NULL ordered_by sorts after every date
INSERT INTO crm.deal (contact_id, created_at) VALUES (5, NULL);
INSERT INTO crm.deal (stage, contact_id, created_at) VALUES ('won', 5, '2030-01-01');
TABLE states;

-- rule history (README "The rules"): a client change recomputes both clients: the won order of contact 5
--    moves to contact 6
INSERT INTO crm.deal (contact_id, created_at) VALUES (6, '2031-01-01');
UPDATE crm.deal SET contact_id = 6 WHERE contact_id = 5 AND stage = 'won';
TABLE states;

-- rule history (README "The rules"): an ordered_by change: the won order of contact 6 moves after the others
UPDATE crm.deal SET created_at = '2032-01-01' WHERE contact_id = 6 AND stage = 'won';
TABLE states;

-- rule history (README "The rules"): a change to the lead an order points to, a change of the lead's own
--    state, a deleted lead
-- rule 2 (README "The rules"): the order follows the state of the lead it points to
INSERT INTO crm.lead (contact_id) VALUES (7);		-- lead 3: repeat
INSERT INTO crm.deal (contact_id, lead_id, created_at) VALUES (7, 2, '2024-01-01');
UPDATE crm.deal SET lead_id = 3 WHERE contact_id = 7;
TABLE states;
UPDATE crm.lead SET contact_id = NULL WHERE id = 3;	-- lead 3 loses its client: new
TABLE states;
UPDATE crm.lead SET contact_id = 7 WHERE id = 3;	-- and gets it back: repeat
DELETE FROM crm.lead WHERE id = 3;					-- a deleted lead is no repeat lead
TABLE states;

-- rule history (README "The rules"): multi-row UPDATE and DELETE across several clients
INSERT INTO crm.deal (stage, contact_id, created_at)
SELECT CASE WHEN g % 3 = 0 THEN 'won' ELSE 'new' END, 100 + g % 4, date '2024-01-01' + g
  FROM generate_series(1, 24) g;
UPDATE crm.deal SET stage = CASE stage WHEN 'won' THEN 'new' ELSE 'won' END WHERE contact_id >= 100;
DELETE FROM crm.deal WHERE contact_id >= 100 AND created_at < '2024-01-10';
SELECT count(*) AS orders, count(*) FILTER (WHERE verdict <> '') AS mismatches FROM states;

-- rule history (README "The rules"): COPY goes through the same triggers
COPY crm.deal (stage, contact_id, created_at) FROM stdin;
new	200	2024-02-01
won	200	2024-01-01
new	200	2023-12-01
\.
SELECT id, stage, contact, created_at, state, verdict FROM states WHERE contact = 200;

-- rule history (README "The rules"): the application cannot set returning_state: whatever it writes is
--    replaced
INSERT INTO crm.deal (contact_id, created_at, returning_state) VALUES (200, '2025-01-01', 'new');
UPDATE crm.deal SET returning_state = 'bogus' WHERE contact_id = 200;
UPDATE crm.deal SET returning_state = NULL WHERE contact_id = 200 AND stage = 'won';
SELECT id, stage, contact, created_at, state, verdict FROM states WHERE contact = 200;

-- rule history (README "The rules"): the triggers keep every state equal to the rules, so reclassify
--    (README "Attaching") changes no row of the table they kept
SELECT returning_crm.reclassify('crm.deal') AS changed_by_reclassify;
SELECT count(*) AS mismatches FROM states WHERE verdict <> '';

-- rule history (README "FAQ"): INSERT ... ON CONFLICT DO UPDATE and MERGE keep the states
INSERT INTO crm.deal (id, stage, contact_id, created_at) VALUES (1000, 'won', 300, '2024-01-01');
INSERT INTO crm.deal (id, contact_id, created_at) VALUES (1001, 300, '2024-02-01');
INSERT INTO crm.deal (id, stage, contact_id, created_at) VALUES (1000, 'lost', 300, '2024-01-01')
	ON CONFLICT (id) DO UPDATE SET stage = excluded.stage;
SELECT id, stage, contact, created_at, state, verdict FROM states WHERE contact = 300;
MERGE INTO crm.deal d USING (VALUES (1000, 'won'), (1002, 'new')) AS v(id, stage) ON d.id = v.id
	WHEN MATCHED THEN UPDATE SET stage = v.stage
	WHEN NOT MATCHED THEN INSERT (id, stage, contact_id, created_at) VALUES (v.id, v.stage, 300, '2024-03-01');
SELECT id, stage, contact, created_at, state, verdict FROM states WHERE contact = 300;

-- rule history (README "The rules"): a statement that fails half-way (the second row violates the
--    primary key after the triggers saw the first) and is rolled back to a
--    savepoint leaves the next statements working
BEGIN;
SAVEPOINT s;
INSERT INTO crm.deal (id, stage, contact_id, created_at)
	VALUES (900, 'won', 400, '2023-01-01'), (900, 'new', 400, '2023-01-02');
ROLLBACK TO SAVEPOINT s;
INSERT INTO crm.deal (stage, contact_id, created_at) VALUES ('won', 400, '2024-01-01'), ('new', 400, '2024-01-02');
COMMIT;
SELECT id, stage, contact, created_at, state, verdict FROM states WHERE contact = 400;

-- rule history (README "The rules"): TRUNCATE of the orders table, then new orders classify as before;
--    TRUNCATE of the leads table turns repeated inquiries new (rule 2)
TRUNCATE crm.deal;
INSERT INTO crm.lead (contact_id) VALUES (500);
INSERT INTO crm.deal (contact_id, lead_id, created_at)
	VALUES (500, (SELECT max(id) FROM crm.lead), '2024-01-01');
SELECT id, contact, lead, state, verdict FROM states;
TRUNCATE crm.lead;
SELECT id, contact, lead, state, verdict FROM states;

-- rule none (README "Indexes that attaching creates"): a stage column of an enum type (its text form
--    is not immutable, its equality is): the partial index on won orders
--    serves the look-up of a client's first won order
CREATE TYPE crm.phase AS ENUM ('open', 'won', 'paid', 'lost');
CREATE TABLE crm.deal_enum (id int PRIMARY KEY, phase crm.phase NOT NULL, contact_id int, company_id int);
SELECT returning_crm.attach_orders('crm.deal_enum', stage_column => 'phase', won_values => '{won,paid}',
	workspace => 'enum');
INSERT INTO crm.deal_enum VALUES (1, 'open', 1, NULL), (2, 'paid', 1, NULL), (3, 'open', 1, NULL);
SELECT id, phase, returning_state FROM crm.deal_enum ORDER BY id;
SELECT pg_get_expr(i.indpred, i.indrelid) AS won_predicate
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid = 'crm.deal_enum'::regclass AND c.relname LIKE '%won_contact';
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM crm.deal_enum o
 WHERE (o.company_id IS NULL OR o.company_id = 0) AND o.contact_id <> 0 AND o.contact_id = 1
   AND o.phase OPERATOR(pg_catalog.=) ANY ('{"won","paid"}'::crm.phase[])
   AND (o.returning_state IS NULL OR o.returning_state OPERATOR(pg_catalog.<>) 'repeat'::text)
 ORDER BY o.id LIMIT 1;
RESET enable_seqscan;
-- a value that is not of the type is an error at attach
CREATE TABLE crm.deal_enum2 (LIKE crm.deal_enum INCLUDING ALL);
SELECT returning_crm.attach_orders('crm.deal_enum2', stage_column => 'phase', won_values => '{gewonnen}',
	workspace => 'enum2');

-- rule 2 (README "Indexes that attaching creates"): whether a lead is repeat is looked up in the
--    partial index of repeat leads; after VACUUM its page is all-visible and
--    the lead's row is not read.  A lead that stopped being repeat is not
--    found through the entry of its old row, before VACUUM and after.
INSERT INTO crm.lead (id, contact_id) VALUES (900, 90), (901, NULL), (902, 92);
VACUUM crm.lead;
INSERT INTO crm.deal (contact_id, lead_id, created_at) VALUES
	(90, 900, '2024-05-01'), (91, 901, '2024-05-01'), (92, 902, '2024-05-01');
UPDATE crm.lead SET contact_id = NULL WHERE id = 902;
INSERT INTO crm.deal (contact_id, lead_id, created_at) VALUES (93, 902, '2024-05-02');
VACUUM crm.lead;
INSERT INTO crm.deal (contact_id, lead_id, created_at) VALUES
	(94, 902, '2024-05-03'), (95, 900, '2024-05-03');
SELECT * FROM states WHERE contact >= 90;

-- rule none (README "Added columns"): the state is written into rows of every shape, and the
--    rows stay whole: a column added after attaching (NULL or set), a state
--    column stored PLAIN, a wide row.  The generated columns, computed from
--    the written state, agree with it, and amcheck finds no damaged tuple.
CREATE EXTENSION amcheck;
CREATE TABLE crm.shape (
	id int PRIMARY KEY,
	stage text NOT NULL DEFAULT 'new',
	contact_id int,
	company_id int,
	title text
);
SELECT returning_crm.attach_orders('crm.shape', workspace => 'shape');
ALTER TABLE crm.shape ADD COLUMN note text;
INSERT INTO crm.shape (id, stage, contact_id, title, note) VALUES
	(1, 'won', 1, 'first', NULL),
	(2, 'new', 1, repeat('wide ', 400), NULL),
	(3, 'new', 1, 'noted', 'a note after the state column'),
	(4, 'new', NULL, NULL, NULL);
ALTER TABLE crm.shape ALTER COLUMN returning_state SET STORAGE PLAIN;
INSERT INTO crm.shape (id, stage, contact_id, title) VALUES (5, 'new', 1, 'plain storage');
SELECT id, stage, contact_id, length(title) AS title_length, note, returning_state,
	   is_new, is_repeat, is_repeated_inquiry
  FROM crm.shape ORDER BY id;
SELECT count(*) AS damaged_tuples FROM verify_heapam('crm.shape');
DROP EXTENSION amcheck;

-- rule none (README "Triggers"): a statement that fails after its row trigger opened
--    look-ups (a duplicate key in its second row) never reaches its statement
--    trigger at the end: the look-ups are closed with the aborted
--    subtransaction's resources, and the next statements and the commit
--    work.  Disabling the statement trigger at the end is refused.
BEGIN;
SAVEPOINT s;
INSERT INTO crm.shape (id, stage, contact_id) VALUES (6, 'new', 1), (6, 'new', 2);
ROLLBACK TO SAVEPOINT s;
INSERT INTO crm.shape (id, stage, contact_id) VALUES (6, 'new', 1);
INSERT INTO crm.shape (id, stage, contact_id) VALUES (7, 'new', 2);
SAVEPOINT s;
ALTER TABLE crm.shape DISABLE TRIGGER zz_returning_statement_end;
INSERT INTO crm.shape (id, stage, contact_id) VALUES (8, 'new', 1);
ROLLBACK TO SAVEPOINT s;
INSERT INTO crm.shape (id, stage, contact_id) VALUES (8, 'new', 1);
COMMIT;
SELECT id, returning_state FROM crm.shape WHERE id >= 6 ORDER BY id;

-- rule 1 (README "The rules"): a multi-row INSERT whose won orders come before orders already
--    there or earlier in the statement: afterwards the orders after each
--    client's new first won order are repeat, and no other order changed; of
--    two such won orders of a client the earlier counts.  Both kinds of
--    client, a tie on ordered_by, NULL ordered_by.
INSERT INTO crm.deal (stage, contact_id, created_at) VALUES
	('new', 40, '2024-06-01'), ('won', 40, '2024-09-01'), ('new', 40, '2024-10-01');
INSERT INTO crm.deal (stage, contact_id, company_id, created_at) VALUES
	('new', 41, NULL, '2024-05-01'),
	('new', 41, NULL, '2024-07-01'),
	('new', 41, NULL, NULL),
	('new', 40, 400, '2024-03-01'),
	('won', 40, 400, '2024-04-01'),
	('won', 40, NULL, '2024-08-01'),
	('won', 41, NULL, '2024-06-15'),
	('won', 41, NULL, '2024-06-01'),
	('new', 41, NULL, '2024-06-01'),
	('won', 40, 400, '2024-02-01');
SELECT * FROM states WHERE contact IN (40, 41);
-- rule position (README "The rules"): the same with tenants and a text ordered_by (tenant a: 1
--    and 4 come after the won order 3; tenant b's order 2 is another
--    client's), and without ordered_by, by id alone (5 and 3 come after the
--    won order 2).
CREATE TABLE crm.ticket (id int PRIMARY KEY, org text NOT NULL, stage text NOT NULL,
						 contact_id int, company_id int, ref text);
SELECT returning_crm.attach_orders('crm.ticket', ordered_by => 'ref',
								   tenant_column => 'org', workspace => 'tickets');
INSERT INTO crm.ticket (id, org, stage, contact_id, ref) VALUES
	(1, 'a', 'new', 1, 'b'), (2, 'b', 'new', 1, 'c'), (3, 'a', 'won', 1, 'a'),
	(4, 'a', 'new', 1, 'a');
SELECT id, org, ref, returning_state FROM crm.ticket ORDER BY id;
CREATE TABLE crm.job (id int PRIMARY KEY, stage text NOT NULL, contact_id int, company_id int);
SELECT returning_crm.attach_orders('crm.job', workspace => 'jobs');
INSERT INTO crm.job (id, stage, contact_id) VALUES
	(5, 'new', 1), (2, 'won', 1), (3, 'new', 1), (1, 'new', 1);
SELECT id, stage, returning_state FROM crm.job ORDER BY id;
DROP TABLE crm.ticket, crm.job;

-- rule 1 (README "The rules"): a won order inserted for a client whose orders are all the
--    statement's is compared with the client's last order so far, unless
--    the statement also wrote orders the other way: an update (here
--    ON CONFLICT moves order 900 to contact 71) or a nested statement
--    (here a BEFORE trigger inserts an order of contact 72 on day 9).
--    Either way the later order turns repeat.
INSERT INTO crm.deal (id, stage, contact_id, created_at) VALUES (900, 'new', 70, '2024-01-09');
INSERT INTO crm.deal (id, stage, contact_id, created_at) VALUES
	(901, 'new', 71, '2024-01-01'),
	(900, 'new', 71, '2024-01-09'),
	(902, 'won', 71, '2024-01-05')
ON CONFLICT (id) DO UPDATE SET contact_id = EXCLUDED.contact_id, created_at = EXCLUDED.created_at;
CREATE FUNCTION crm.echo() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.stage = 'echo' THEN
		INSERT INTO crm.deal (stage, contact_id, created_at)
			VALUES ('new', NEW.contact_id, NEW.created_at + 7);
		NEW.stage := 'new';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER echo BEFORE INSERT ON crm.deal FOR EACH ROW EXECUTE FUNCTION crm.echo();
INSERT INTO crm.deal (stage, contact_id, created_at) VALUES
	('new', 72, '2024-01-01'), ('echo', 72, '2024-01-02'), ('won', 72, '2024-01-05');
DROP TRIGGER echo ON crm.deal;
DROP FUNCTION crm.echo();
SELECT * FROM states WHERE contact IN (70, 71, 72);

-- rule 1 (README "FAQ"): INSERT ... ON CONFLICT runs the row trigger on rows it then does
--    not insert: a won order proposed and skipped must not make the
--    statement's later orders of its client repeat, nor turn the client's
--    orders repeat.  Also inside a subtransaction.
INSERT INTO crm.deal (id, stage, contact_id, created_at) VALUES
	(950, 'new', 80, '2024-01-05'), (960, 'new', 81, '2024-01-01');
INSERT INTO crm.deal (id, stage, contact_id, created_at) VALUES
	(950, 'won', 80, '2024-01-01'), (951, 'new', 80, '2024-01-03')
ON CONFLICT (id) DO UPDATE SET lead_id = NULL;
INSERT INTO crm.deal (id, stage, contact_id, created_at) VALUES
	(960, 'won', 81, '2024-01-09'), (961, 'new', 81, '2024-01-10')
ON CONFLICT (id) DO NOTHING;
BEGIN;
SAVEPOINT s;
INSERT INTO crm.deal (id, stage, contact_id, created_at) VALUES
	(970, 'won', 82, '2024-01-09'), (970, 'won', 83, '2024-01-09'),
	(971, 'new', 83, '2024-01-10')
ON CONFLICT (id) DO NOTHING;
RELEASE SAVEPOINT s;
COMMIT;
-- without the statistics' counts, in a new session's first statement
\c
SET client_min_messages = warning;
SET track_counts = off;
INSERT INTO crm.deal (id, stage, contact_id, created_at) VALUES
	(960, 'won', 84, '2024-01-09'), (962, 'new', 84, '2024-01-10'),
	(963, 'won', 85, '2024-01-02'), (964, 'new', 85, '2024-01-01')
ON CONFLICT (id) DO NOTHING;
RESET track_counts;
SELECT * FROM states WHERE contact BETWEEN 80 AND 85;

-- rule 2 (README "How the rules map to Bitrix24's"): a won order that came from a repeat lead stays repeated_inquiry:
--    winning it does not change where it came from; it makes the client's
--    later orders repeat (rule 1)
INSERT INTO crm.lead (id, contact_id) VALUES (600, 600);	-- lead 600: repeat
INSERT INTO crm.deal (id, stage, contact_id, lead_id, created_at) VALUES
	(1100, 'new', 600, 600, '2024-01-01'), (1101, 'new', 600, NULL, '2024-02-01'),
	(1102, 'new', 600, NULL, '2024-03-01');
SELECT * FROM states WHERE contact = 600;
UPDATE crm.deal SET stage = 'won' WHERE id = 1100;
SELECT * FROM states WHERE contact = 600;

-- rule history (README "The rules"): only rows whose state changes are written: a won order
--    inserted before the others turns order 1100 repeat; 1101 and 1102 were
--    repeat already, and their rows are not written again (same xmin)
CREATE TEMP TABLE deal_xmin AS SELECT id, xmin::text AS x FROM crm.deal WHERE contact_id = 600;
INSERT INTO crm.deal (id, stage, contact_id, created_at) VALUES (1103, 'won', 600, '2023-12-01');
SELECT d.id, d.stage, d.returning_state, d.xmin::text = b.x AS row_not_written
  FROM crm.deal d JOIN deal_xmin b USING (id) ORDER BY d.id;
SELECT * FROM states WHERE contact = 600;
DROP TABLE deal_xmin;

-- rule 2 (README "The rules"): the lead an order points to is a lead of the same tenant: lead 1
--    of tenant a is repeat, lead 1 of tenant b is new, and tenant b has no
--    lead 2 (tenant a's lead 2 is repeat)
CREATE TABLE crm.tlead (tenant text NOT NULL, id int, status text NOT NULL DEFAULT 'new',
						contact_id int, company_id int, PRIMARY KEY (tenant, id));
CREATE TABLE crm.tdeal (tenant text NOT NULL, id int, stage text NOT NULL DEFAULT 'new',
						contact_id int, company_id int, lead_id int, PRIMARY KEY (tenant, id));
SELECT returning_crm.attach_leads('crm.tlead', tenant_column => 'tenant', workspace => 'tenant_leads');
SELECT returning_crm.attach_orders('crm.tdeal', lead_column => 'lead_id', tenant_column => 'tenant',
								   workspace => 'tenant_leads');
INSERT INTO crm.tlead (tenant, id, contact_id) VALUES ('a', 1, 5), ('b', 1, NULL), ('a', 2, 6);
INSERT INTO crm.tdeal (tenant, id, contact_id, lead_id) VALUES ('a', 1, 5, 1), ('b', 1, 5, 1), ('b', 2, 6, 2);
SELECT tenant, id, contact_id, lead_id, returning_state FROM crm.tdeal ORDER BY tenant, id;
-- tenant b's lead 1 gets a client: tenant b's order from it follows, tenant a's does not change
UPDATE crm.tlead SET contact_id = 5 WHERE tenant = 'b' AND id = 1;
SELECT tenant, id, contact_id, lead_id, returning_state FROM crm.tdeal ORDER BY tenant, id;
DROP TABLE crm.tdeal, crm.tlead;

-- rule 1 (README "The rules"): a client's first won order is read off its
--    entry in the partial index of won orders once VACUUM has made its page
--    all-visible, and its position there decides which orders come after it:
--    with ordered_by, with a NULL ordered_by, for a company, and (crm.tvac)
--    with a tenant and no ordered_by.
INSERT INTO crm.deal (id, stage, contact_id, company_id, created_at) VALUES
	(201, 'won', 96, NULL, '2024-03-01'), (202, 'won', 97, NULL, NULL), (203, 'won', NULL, 98, '2024-03-01');
VACUUM crm.deal;
INSERT INTO crm.deal (id, contact_id, company_id, created_at) VALUES
	(204, 96, NULL, '2024-02-01'), (205, 96, NULL, '2024-04-01'), (206, 97, NULL, '2024-04-01'),
	(207, 97, NULL, NULL), (208, NULL, 98, '2024-02-01'), (209, NULL, 98, '2024-03-02');
SELECT * FROM states WHERE id BETWEEN 201 AND 209;
CREATE TABLE crm.tvac (id int, tenant int, stage text NOT NULL DEFAULT 'new', contact_id int,
					   company_id int, PRIMARY KEY (tenant, id));
SELECT returning_crm.attach_orders('crm.tvac', tenant_column => 'tenant', workspace => 'tvac');
INSERT INTO crm.tvac VALUES (5, 1, 'won', 1), (5, 2, 'new', 1);
VACUUM crm.tvac;
INSERT INTO crm.tvac VALUES (3, 1, 'new', 1), (6, 1, 'new', 1), (3, 2, 'new', 1), (8, 2, 'new', 1);
SELECT tenant, id, stage, returning_state FROM crm.tvac ORDER BY tenant, id;
DROP TABLE crm.tvac;

-- rule 1 (README "Indexes that attaching creates"): a rewrite of one client
--    reads the client's orders by an index scan, never a bitmap scan, which
--    would read again, at every rewrite, the entries of the row versions that
--    earlier updates left (an index scan marks them dead as it meets them).
--    A new session, so that the rewrite's plan is made here.
CREATE TABLE crm.churn (id int PRIMARY KEY, stage text NOT NULL DEFAULT 'new', contact_id int,
						company_id int, created_at timestamptz);
CREATE INDEX churn_contact ON crm.churn (contact_id);
INSERT INTO crm.churn SELECT g, CASE WHEN g = 150 THEN 'won' ELSE 'new' END, 1 + g % 2, NULL,
	timestamptz '2024-01-01' + g * interval '1 day' FROM generate_series(1, 400) g;
SELECT returning_crm.attach_orders('crm.churn', ordered_by => 'created_at', workspace => 'churn');
ANALYZE crm.churn;
\c
SET client_min_messages = warning;
BEGIN;
UPDATE crm.churn SET stage = 'won' WHERE id = 100;
SELECT pg_stat_get_xact_numscans('crm.churn_contact'::regclass) > 0 AS read_by_index,
	   pg_stat_get_xact_tuples_fetched('crm.churn_contact'::regclass) > 0 AS by_index_scan;
COMMIT;
SELECT returning_state, count(*) FROM crm.churn WHERE contact_id = 1 GROUP BY 1 ORDER BY 1;
DROP TABLE crm.churn CASCADE;

DROP VIEW states;
DROP VIEW expected;
DROP SCHEMA crm CASCADE;
DROP EXTENSION "returning";
