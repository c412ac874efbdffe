-- Writes through the coordinator into the workspace :ws (tables in schema
-- :s), each followed by a from-scratch check of every state (see
-- scenarios.sql). Included once per schema.
\if :distribute
SELECT format('%s: %s tables distributed by tenant_id, in %s colocation group', :'s', count(*), count(DISTINCT colocation_id))
	FROM citus_tables WHERE table_name::text LIKE :'s' || '.%' AND distribution_column = 'tenant_id';
\endif
SELECT * FROM citus_check.states(:'s', 'seeded');
-- a rule, added after distribution: it travels to the shards' triggers
SELECT 'rule added: ' || (returning_crm.add_rule(:'s' || '.deal', 'repeat', '{"note": "returning"}') > 0);

INSERT INTO :s.deal (tenant_id, id, stage, contact_id, created_at) VALUES (1, 101, 'won', 1, '2024-01-10');
SELECT * FROM citus_check.states(:'s', '1 single-row insert');

INSERT INTO :s.deal (tenant_id, id, stage, contact_id, company_id, lead_id, created_at) VALUES
	(1, 102, 'new', 1, NULL, NULL, '2024-03-01'),
	(1, 103, 'new', NULL, 5, 12, '2024-02-01'),
	(1, 104, 'new', NULL, NULL, 11, '2024-02-15'),
	(1, 106, 'new', 1, NULL, NULL, '2024-07-01'),
	(2, 101, 'new', 1, NULL, 11, '2024-03-01'),
	(2, 102, 'new', 1, NULL, NULL, '2024-04-01'),
	(3, 101, 'won', 1, NULL, NULL, '2024-01-01'),
	(3, 102, 'new', 1, NULL, NULL, '2024-05-01');
SELECT * FROM citus_check.states(:'s', '2 multi-row multi-tenant insert');
SELECT 'rule fired on: ' || string_agg(format('%s/%s', tenant_id, id), ', ' ORDER BY tenant_id, id)
	FROM :s.deal WHERE note = 'returning';

UPDATE :s.deal SET stage = 'won' WHERE tenant_id = 2 AND id = 101;
SELECT * FROM citus_check.states(:'s', '3 an earlier order won');

UPDATE :s.deal SET contact_id = 2 WHERE tenant_id = 1 AND id = 102;
SELECT * FROM citus_check.states(:'s', '4 an order moved to another client');

DELETE FROM :s.deal WHERE tenant_id = 1 AND id = 101;
SELECT * FROM citus_check.states(:'s', '5 a won order deleted');

INSERT INTO :s.deal (tenant_id, id, stage, contact_id, created_at) VALUES
	(2, 100, 'won', 1, '2023-06-01'),
	(3, 100, 'won', 1, '2023-01-01');
SELECT * FROM citus_check.states(:'s', '6 won orders inserted before all others');

UPDATE :s.deal SET stage = 'lost' WHERE stage = 'won' AND tenant_id IN (2, 3);
SELECT * FROM citus_check.states(:'s', '7 multi-tenant update');

SELECT 'find_matches tenant 1: ' || coalesce(string_agg(entity || ' ' || id, ', ' ORDER BY entity, id), 'none')
	FROM returning_crm.find_matches('ANNA@example.com', NULL, '1', :'ws');
SELECT 'find_matches tenant 2: ' || coalesce(string_agg(entity || ' ' || id, ', ' ORDER BY entity, id), 'none')
	FROM returning_crm.find_matches('anna@example.com', NULL, '2', :'ws');
SELECT 'find_matches by phone, tenant 1: ' || coalesce(string_agg(entity || ' ' || id, ', ' ORDER BY entity, id), 'none')
	FROM returning_crm.find_matches(NULL, '+4930901820', '1', :'ws');
SELECT 'is_excluded: ' || returning_crm.is_excluded('anna@example.com', NULL, '1', :'ws');

SELECT format('route known client with an open order: %s, orders %s, contact %s, lead %s',
		decision, order_ids, contact_id, lead_id IS NOT NULL)
	FROM returning_crm.route_inquiry('anna@example.com', tenant => '1', workspace => :'ws');
-- each shard finds its copies of the extension's indexes (for its direct
-- look-ups) as the coordinator finds the originals
\if :distribute
SELECT format('indexes of %s found: on the coordinator %s, on each shard %s', t,
		(SELECT count(found) FROM returning_crm._index_definitions(t::regclass)),
		(SELECT string_agg(DISTINCT result, ',') FROM run_command_on_shards(t,
			$$SELECT count(found) FROM returning_crm._index_definitions('%s')$$)))
	FROM unnest(ARRAY[:'s' || '.deal', :'s' || '.lead']) t;
\endif
-- routing takes the client's lock where the tenant's shards are, not on the
-- coordinator: the lock the shards' triggers take
\if :distribute
BEGIN;
SELECT 'route in a transaction: ' || decision
	FROM returning_crm.route_inquiry('anna@example.com', tenant => '1', workspace => :'ws');
SELECT 'client locks on the coordinator: ' || count(*) FROM pg_locks
	WHERE locktype = 'advisory' AND objsubid = 21061 AND pid = pg_backend_pid();
SELECT 'client locks on a worker: ' || bool_or(result::int > 0) FROM run_command_on_workers(
	$$SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 21061$$);
ROLLBACK;
\endif
\set line 'route known client without orders or leads: failed'
\set routed_lead 0
SELECT format('route known client without orders or leads: %s, contact %s', decision, contact_id) AS line, lead_id AS routed_lead
	FROM returning_crm.route_inquiry('dora@example.com', tenant => '2', workspace => :'ws') \gset
\echo :line
SELECT 'its lead: ' || returning_state FROM :s.lead WHERE tenant_id = 2 AND id = :'routed_lead';
\set line 'route unknown address: failed'
\set routed_lead 0
SELECT format('route unknown address: %s, contact %s', decision, contact_id) AS line, lead_id AS routed_lead
	FROM returning_crm.route_inquiry('nobody@example.com', tenant => '1', workspace => :'ws') \gset
\echo :line
SELECT 'its lead: ' || returning_state FROM :s.lead WHERE tenant_id = 1 AND id = :'routed_lead';
SELECT 'add_exception: ' || kind || ' ' || value
	FROM returning_crm.add_exception('spam@example.com', tenant => '1', workspace => :'ws');
SELECT format('route excluded address: %s, lead %s', decision, lead_id IS NOT NULL)
	FROM returning_crm.route_inquiry('spam@example.com', tenant => '1', workspace => :'ws');
SELECT * FROM citus_check.states(:'s', '8 after routing');

-- TRUNCATE of distributed leads that orders link to is refused (its trigger
-- fires on the coordinator only); DELETE does it, and the orders follow
\if :distribute
\set VERBOSITY terse
TRUNCATE :s.lead;
\set VERBOSITY default
\endif
DELETE FROM :s.lead;
SELECT * FROM citus_check.states(:'s', '9 delete of the leads');

SELECT 'reclassify orders: ' || returning_crm.reclassify(:'s' || '.deal');
SELECT 'reclassify leads: ' || returning_crm.reclassify(:'s' || '.lead');
SELECT * FROM citus_check.states(:'s', '10 after reclassify');

-- the change log is refused on distributed tables (0A000)
\if :distribute
\set VERBOSITY terse
SELECT returning_crm.configure(:'ws', log_changes => true);
\set VERBOSITY default
\endif
