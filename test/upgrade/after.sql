-- After ALTER EXTENSION "returning" UPDATE: the states, triggers, indexes,
-- grants and configuration of the 0.1.0 database, and 0.2.0's features.
SELECT extversion FROM pg_extension WHERE extname = 'returning';

-- the states are those of the rules: reclassify changes nothing, and every
-- row is consistent by explain()
SELECT returning_crm.reclassify(t) AS changed FROM unnest('{crm.deal,crm.lead,crm.shop_order}'::regclass[]) t;
SELECT 'crm.deal' AS t, d.id, e.state, e.rule, e.consistent
  FROM crm.deal d, returning_crm.explain('crm.deal', d.id) e ORDER BY d.id;
SELECT d.id, e.state, e.routed, e.consistent
  FROM crm.shop_order d, returning_crm.explain('crm.shop_order', d.id) e ORDER BY d.id;
-- the routed order is marked in the order itself now
SELECT id, returning_routed FROM crm.shop_order ORDER BY id;
SELECT to_regclass('returning_crm.routed_order') AS routed_order_table;

-- triggers carry their configuration; the routing indexes are there
SELECT tgrelid::regclass, tgname, tgnargs FROM pg_trigger
 WHERE tgrelid IN ('crm.deal'::regclass, 'crm.lead'::regclass, 'crm.shop_order'::regclass) AND NOT tgisinternal
 ORDER BY tgrelid::regclass::text, tgname;
SELECT t, x.suffix, x.needed, x.found IS NOT NULL AS found
  FROM unnest('{crm.deal,crm.lead,crm.shop_order}'::regclass[]) t, returning_crm._index_definitions(t) x
 WHERE x.needed ORDER BY t::text, x.suffix;

-- configuration: the attachments, the workspaces' owners, the settings and
-- the exception list
SELECT relid, kind, workspace, report_views FROM returning_crm.attachment ORDER BY relid::text;
SELECT name, owner FROM returning_crm.workspace ORDER BY name;
SELECT workspace, repeat_sales, notify_channel, log_changes FROM returning_crm.workspace_settings ORDER BY 1;
SELECT workspace, kind, value, comment FROM returning_crm.exception ORDER BY id;

-- the administrator's grants: on the same functions, and on the new
-- signatures of those that changed
SELECT p.oid::regprocedure AS function FROM pg_proc p
 WHERE p.pronamespace = 'returning_crm'::regnamespace AND has_function_privilege('upg_app', p.oid, 'EXECUTE')
   AND NOT has_function_privilege('public', p.oid, 'EXECUTE')
 ORDER BY p.oid::regprocedure::text;

-- writes after the update, as the application
SET ROLE upg_app;
INSERT INTO crm.deal (contact_id, stage, created_at) VALUES (1, 'won', '2023-12-01');
INSERT INTO crm.lead (contact_id) VALUES (1);
SELECT decision, order_ids FROM returning_crm.route_inquiry(email => 'cid@example.com', workspace => 'shop');
SELECT returning_crm.is_excluded('office@example.com', NULL) AS excluded;
-- the workspace belongs to the role that attached its tables now
\set VERBOSITY terse
SELECT returning_crm.configure('shop', log_changes => true);
\set VERBOSITY default
RESET ROLE;
SELECT id, stage, returning_state, returning_routed FROM crm.shop_order ORDER BY id;
SELECT id, stage, returning_state FROM crm.deal ORDER BY id;

-- 0.2.0's features, as the tables' owner (whom the administrator grants
-- configure)
GRANT EXECUTE ON FUNCTION returning_crm.configure(text, boolean, boolean, boolean, text, text, boolean) TO upg_owner;
SET ROLE upg_owner;
SELECT (returning_crm.configure('shop', log_changes => true)).log_changes;
SELECT returning_crm.add_rule('crm.shop_order', 'repeat', '{"stage": "repeat_customer"}') > 0 AS rule_added;
RESET ROLE;
SET ROLE upg_app;
INSERT INTO crm.shop_order (contact_id, created_at) VALUES (1, '2031-01-01');
RESET ROLE;
SELECT id, stage, returning_state FROM crm.shop_order ORDER BY id;
SELECT table_name, row_id, old_state, new_state FROM returning_crm.state_change ORDER BY id;
SELECT table_name, kind, triggers_enabled, rows_by_state FROM returning_crm.status ORDER BY table_name::text;
