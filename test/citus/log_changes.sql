-- A workspace that has log_changes on when its tables are distributed: the
-- shards refuse to write (0A000) until it is turned off (run.sh).
\set VERBOSITY default
SET citus.enable_unsafe_triggers = on;
SET client_min_messages = warning;
CREATE SCHEMA lc;
CREATE TABLE lc.deal (tenant_id int NOT NULL, id bigint NOT NULL, stage text NOT NULL,
	contact_id bigint, company_id bigint, created_at timestamptz NOT NULL,
	PRIMARY KEY (tenant_id, id));
SELECT 'attach: ' || returning_crm.attach_orders('lc.deal', ordered_by => 'created_at',
	tenant_column => 'tenant_id', workspace => 'lc');
SELECT 'log_changes: ' || (returning_crm.configure('lc', log_changes => true)).log_changes;
SELECT 'distributed: ' || create_distributed_table('lc.deal', 'tenant_id');
INSERT INTO lc.deal VALUES (1, 1, 'won', 1, NULL, '2024-01-01');
SELECT 'log_changes: ' || (returning_crm.configure('lc', log_changes => false)).log_changes;
INSERT INTO lc.deal VALUES (1, 1, 'won', 1, NULL, '2024-01-01');
SELECT 'state: ' || returning_state FROM lc.deal;
