-- What "returning" must do on Citus: tables distributed by tenant_id and
-- co-located, written through the coordinator. Run by test/citus/run.sh on the
-- coordinator (psql -qtA, errors included in the output) and compared with
-- expected.out. With -v distribute=0 it runs the same on one plain node.
--
-- After each step, citus_check.states() compares every order's
-- returning_state with the rules evaluated from scratch per tenant (and every
-- lead's, for leads without a success status), and prints the counts and each
-- mismatch.
\set ON_ERROR_STOP 0
\set VERBOSITY verbose
\if :{?distribute}
\else
\set distribute 1
\endif
SET citus.enable_unsafe_triggers = on;
SET client_min_messages = warning;

CREATE SCHEMA citus_check;
CREATE FUNCTION citus_check.states(s text, step text) RETURNS SETOF text
LANGUAGE plpgsql AS $fn$
DECLARE
	n_orders bigint;
	n_leads bigint;
	wrong text[];
BEGIN
	EXECUTE format('SELECT count(*) FROM %I.deal', s) INTO n_orders;
	EXECUTE format('SELECT count(*) FROM %I.lead', s) INTO n_leads;
	EXECUTE format($q$
		SELECT coalesce(array_agg(format('  wrong: %%s tenant %%s id %%s is %%s, expected %%s',
				t, tenant_id, id, coalesce(got, 'NULL'), want) ORDER BY t, tenant_id, id), '{}')
		FROM (
			SELECT 'order' AS t, d.tenant_id, d.id, d.returning_state AS got,
				CASE
				WHEN NOT coalesce(d.company_id <> 0 OR d.contact_id <> 0, false) THEN 'new'
				WHEN EXISTS (SELECT FROM %1$I.deal w
						WHERE w.tenant_id = d.tenant_id AND w.stage = 'won'
						  AND (w.created_at, w.id) < (d.created_at, d.id)
						  AND CASE WHEN d.company_id <> 0 THEN w.company_id = d.company_id
							  ELSE coalesce(w.company_id, 0) = 0 AND w.contact_id = d.contact_id END)
					THEN 'repeat'
				WHEN EXISTS (SELECT FROM %1$I.lead l
						WHERE l.tenant_id = d.tenant_id AND l.id = d.lead_id AND l.returning_state = 'repeat')
					THEN 'repeated_inquiry'
				ELSE 'new'
				END AS want
			FROM %1$I.deal d
			UNION ALL
			SELECT 'lead', l.tenant_id, l.id, l.returning_state,
				CASE WHEN coalesce(l.company_id <> 0 OR l.contact_id <> 0, false) THEN 'repeat' ELSE 'new' END
			FROM %1$I.lead l WHERE l.status <> 'converted'
		) x
		WHERE got IS DISTINCT FROM want$q$, s) INTO wrong;
	RETURN NEXT format('%s %s: %s orders, %s leads, %s wrong', s, step, n_orders, n_leads, cardinality(wrong));
	RETURN QUERY SELECT unnest(wrong);
EXCEPTION WHEN OTHERS THEN
	RETURN NEXT format('%s %s: check failed: %s %s', s, step, SQLSTATE, SQLERRM);
END
$fn$;

-- (a) Empty tables, distributed by tenant_id and co-located, then attached.
\set s crm
\set ws default
\ir tables.sql
\if :distribute
SELECT 'distributed crm.lead' FROM create_distributed_table('crm.lead', 'tenant_id');
SELECT 'distributed crm.deal' FROM create_distributed_table('crm.deal', 'tenant_id', colocate_with => 'crm.lead');
SELECT 'distributed crm.contact' FROM create_distributed_table('crm.contact', 'tenant_id', colocate_with => 'crm.lead');
SELECT 'distributed crm.company' FROM create_distributed_table('crm.company', 'tenant_id', colocate_with => 'crm.lead');
\endif
\ir attach.sql
\ir seed.sql
\ir steps.sql

-- (b) Tables with rows, attached, then distributed; Citus copies the rows into
-- the shards, and the coordinator's local copies are truncated afterwards.
\set s crm2
\set ws w2
\ir tables.sql
\ir seed.sql
\ir attach.sql
SELECT * FROM citus_check.states(:'s', 'attached before distribution');
\if :distribute
SELECT 'distributed crm2.lead' FROM create_distributed_table('crm2.lead', 'tenant_id');
SELECT 'distributed crm2.deal' FROM create_distributed_table('crm2.deal', 'tenant_id', colocate_with => 'crm2.lead');
SELECT 'distributed crm2.contact' FROM create_distributed_table('crm2.contact', 'tenant_id', colocate_with => 'crm2.lead');
SELECT 'distributed crm2.company' FROM create_distributed_table('crm2.company', 'tenant_id', colocate_with => 'crm2.lead');
SELECT 'truncated local data of crm2.lead' FROM truncate_local_data_after_distributing_table('crm2.lead');
SELECT 'truncated local data of crm2.deal' FROM truncate_local_data_after_distributing_table('crm2.deal');
SELECT 'truncated local data of crm2.contact' FROM truncate_local_data_after_distributing_table('crm2.contact');
SELECT 'truncated local data of crm2.company' FROM truncate_local_data_after_distributing_table('crm2.company');
\endif
\ir steps.sql

-- (c) Wrong distribution is refused: a table distributed by another column
-- than its tenant column, at attach and at the first write after it was
-- distributed so; match_on_insert on a distributed leads table.
\if :distribute
\set VERBOSITY terse
CREATE TABLE crm3_deal (tenant_id int NOT NULL, id int NOT NULL, stage text, contact_id int,
						company_id int, PRIMARY KEY (tenant_id, id));
SELECT create_distributed_table('crm3_deal', 'id');
SELECT returning_crm.attach_orders('crm3_deal', tenant_column => 'tenant_id', workspace => 'w3');
CREATE TABLE crm3_late (tenant_id int NOT NULL, id int NOT NULL, stage text, contact_id int,
						company_id int, PRIMARY KEY (tenant_id, id));
SELECT 'attached: ' || returning_crm.attach_orders('crm3_late', tenant_column => 'tenant_id', workspace => 'w4');
SELECT create_distributed_table('crm3_late', 'id');
INSERT INTO crm3_late VALUES (1, 1, 'won', 1, NULL);
CREATE TABLE crm3_lead (tenant_id int NOT NULL, id int NOT NULL, status text NOT NULL DEFAULT 'new',
						contact_id int, company_id int, email text, PRIMARY KEY (tenant_id, id));
SELECT create_distributed_table('crm3_lead', 'tenant_id');
SELECT returning_crm.attach_leads('crm3_lead', tenant_column => 'tenant_id', match_on_insert => true,
	email_columns => '{email}', workspace => 'w5');
\set VERBOSITY default
\endif
