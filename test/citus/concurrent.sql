-- Concurrent writers on Citus (run.sh): orders of two tenants, five
-- contacts each, distributed by tenant and attached; pgbench then toggles won
-- and moves orders between contacts from several sessions at once.
SET citus.enable_unsafe_triggers = on;
SET client_min_messages = warning;
CREATE SCHEMA cc;
CREATE TABLE cc.deal (
	tenant_id  int NOT NULL,
	id         bigint NOT NULL,
	stage      text NOT NULL,
	contact_id bigint,
	company_id bigint,
	created_at timestamptz NOT NULL,
	PRIMARY KEY (tenant_id, id)
);
SELECT create_distributed_table('cc.deal', 'tenant_id');
SELECT returning_crm.attach_orders('cc.deal', ordered_by => 'created_at',
	tenant_column => 'tenant_id', workspace => 'cc');
INSERT INTO cc.deal
SELECT t, g, CASE WHEN g % 7 = 0 THEN 'won' ELSE 'new' END, 1 + g % 5, NULL,
	'2024-01-01'::timestamptz + g * interval '1 hour'
FROM generate_series(1, 2) t, generate_series(1, 100) g;
