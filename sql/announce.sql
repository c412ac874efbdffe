-- Announcements: configure(notify_channel, log_changes) and the change log,
-- returning_crm.state_change.  (The NOTIFY payloads are read back by a
-- listening session in the isolation spec announce.spec.)
CREATE EXTENSION "returning";
SET client_min_messages = warning;
\set SHOW_CONTEXT never

CREATE SCHEMA an;
CREATE TABLE an.lead (id int PRIMARY KEY, status text NOT NULL DEFAULT 'new', contact_id int, company_id int);
CREATE TABLE an.deal (id int PRIMARY KEY, stage text NOT NULL DEFAULT 'new', contact_id int,
					  company_id int, lead_id int, created_at date);
INSERT INTO an.deal VALUES (1, 'new', 7, NULL, NULL, '2024-01-01');
SELECT returning_crm.attach_leads('an.lead');
-- rule none (README "Announcements"): the whole-table pass of attach is not
--    announced
-- attach classifies order 1: not announced (nothing is configured yet, and
-- whole-table passes never announce)
SELECT returning_crm.attach_orders('an.deal', lead_column => 'lead_id', ordered_by => 'created_at');

-- rule none (README "Workspace settings"): notify_channel and log_changes
-- The settings: new parameters after default_region; '' clears the channel.
SELECT workspace, notify_channel, log_changes FROM returning_crm.configure(log_changes => true);
SELECT workspace, notify_channel, log_changes FROM returning_crm.configure(notify_channel => 'crm_states');
SELECT workspace, notify_channel, log_changes FROM returning_crm.configure(default_region => 'DE');
SELECT notify_channel, log_changes FROM returning_crm.configure('default', NULL, NULL, NULL, NULL, '', NULL);
SELECT returning_crm.configure(notify_channel => repeat('x', 64));

-- rule none (README "Announcements"): every state change is announced:
--    inserts, an application's UPDATE, history rewrites
-- What is logged: inserts (old NULL), history rewrites, leads, the
-- orders that a lead's change rewrites, and the rows of a multi-row
-- statement that its end rewrites.
INSERT INTO an.deal VALUES (2, 'won', 7, NULL, NULL, '2024-02-01'), (3, 'new', 7, NULL, NULL, '2024-03-01');
-- order 2 moves before order 1: 1 turns repeat, announced as a rewrite
UPDATE an.deal SET created_at = '2023-12-01' WHERE id = 2;
-- an update that changes no state announces nothing
UPDATE an.deal SET stage = 'negotiation' WHERE id = 3;
INSERT INTO an.lead VALUES (1, 'new', 8, NULL);
INSERT INTO an.deal VALUES (4, 'new', 8, NULL, 1, '2024-01-01');
-- the lead loses its client: the lead and its order change
UPDATE an.lead SET contact_id = NULL WHERE id = 1;
-- a multi-row insert whose won order comes after an order of its client
-- in the same statement: order 5 is first new, then rewritten
INSERT INTO an.deal VALUES (5, 'new', 9, NULL, NULL, '2024-05-01'), (6, 'won', 9, NULL, NULL, '2024-04-01');
SELECT table_name, kind, row_id, tenant, old_state, new_state, changed_at IS NOT NULL AS dated
  FROM returning_crm.state_change ORDER BY id;

-- rule none (README "Announcements"): deletes, rolled-back changes and
--    whole-table passes are not announced
-- Not logged: a rolled-back change, DELETE, reclassify, attach.
TRUNCATE returning_crm.state_change;
BEGIN;
UPDATE an.deal SET stage = 'won' WHERE id = 4;
SELECT count(*) AS in_transaction FROM returning_crm.state_change;
ROLLBACK;
DELETE FROM an.deal WHERE id = 3;
ALTER TABLE an.deal DISABLE TRIGGER USER;
UPDATE an.deal SET returning_state = NULL;
ALTER TABLE an.deal ENABLE TRIGGER USER;
SELECT returning_crm.reclassify('an.deal') > 0 AS reclassified;
SELECT count(*) AS logged FROM returning_crm.state_change;
-- a savepoint rolled back takes its changes with it
BEGIN;
SAVEPOINT s;
INSERT INTO an.deal VALUES (7, 'new', 7, NULL, NULL, '2025-01-01');
ROLLBACK TO SAVEPOINT s;
INSERT INTO an.deal VALUES (8, 'new', 7, NULL, NULL, '2025-01-01');
COMMIT;
SELECT row_id, old_state, new_state FROM returning_crm.state_change ORDER BY id;

-- rule none (README "Announcements"): the log carries the tenant
-- Tenants are in the log; log_changes off stops it.
CREATE TABLE an.tdeal (tenant text, id int, stage text NOT NULL DEFAULT 'new', contact_id int,
					   created_at date, PRIMARY KEY (tenant, id));
SELECT returning_crm.attach_orders('an.tdeal', tenant_column => 'tenant', ordered_by => 'created_at',
								   company_column => NULL, workspace => 'tenants');
SELECT log_changes FROM returning_crm.configure('tenants', log_changes => true);
TRUNCATE returning_crm.state_change;
INSERT INTO an.tdeal VALUES ('a', 1, 'won', 3, '2024-01-01'), ('b', 1, 'new', 3, '2024-02-01'),
	('a', 2, 'new', 3, '2024-02-01');
SELECT log_changes FROM returning_crm.configure('tenants', log_changes => false);
INSERT INTO an.tdeal VALUES ('a', 3, 'new', 3, '2024-03-01');
SELECT workspace, table_name, row_id, tenant, old_state, new_state FROM returning_crm.state_change ORDER BY id;

-- rule none (README "Announcements"): the log belongs to the extension
-- The log is the extension's: a writer of the tables cannot read or
-- forge it, and still logs through the triggers.
CREATE ROLE an_writer;
GRANT USAGE ON SCHEMA an TO an_writer;
GRANT INSERT, SELECT, UPDATE ON an.deal TO an_writer;
TRUNCATE returning_crm.state_change;
SET ROLE an_writer;
INSERT INTO an.deal VALUES (9, 'new', 11, NULL, NULL, '2024-01-01');
SELECT count(*) FROM returning_crm.state_change;
INSERT INTO returning_crm.state_change (workspace, table_name, kind, row_id, new_state)
	VALUES ('default', 'an.deal', 'orders', 1, 'repeat');
RESET ROLE;
SELECT row_id, new_state FROM returning_crm.state_change ORDER BY id;
-- rule none (README "Configuration tables"): state_change is kept by pg_dump
-- dumped with the extension's configuration
SELECT extconfig::regclass[] @> ARRAY['returning_crm.state_change'::regclass] AS dumped
  FROM pg_extension WHERE extname = 'returning';
REVOKE ALL ON SCHEMA an FROM an_writer;
REVOKE ALL ON an.deal FROM an_writer;
DROP ROLE an_writer;
DROP SCHEMA an CASCADE;
DROP EXTENSION "returning";
