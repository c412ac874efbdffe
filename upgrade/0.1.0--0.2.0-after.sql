
-- returning 0.1.0 to 0.2.0, the part after the functions of 0.2.0.

-- Attachments of tables that are gone (0.1.0 let a temporary table be
-- attached; its row stayed when the session ended) are removed: their OIDs
-- could name another table one day.
DO $upgrade$
DECLARE
	a record;
BEGIN
	FOR a IN DELETE FROM returning_crm.attachment x
			  WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_class c
								 WHERE c.oid OPERATOR(pg_catalog.=) x.relid::pg_catalog.oid
								   AND c.relpersistence OPERATOR(pg_catalog.<>) 't')
			 RETURNING x.relid::pg_catalog.oid AS relid, x.kind, x.workspace
	LOOP
		RAISE WARNING 'the % table with OID % of workspace "%" no longer exists: its attachment is removed',
			a.kind, a.relid, a.workspace;
	END LOOP;
END
$upgrade$;

-- Workspaces get owners (0.1.0 had none: any role could attach into any
-- workspace).  One whose attached tables all have the same owner belongs to
-- that role.  One whose tables have several owners, or that has settings or
-- exceptions but no table, belongs to the extension's owner until the
-- administrator gives it to the right role:
--   UPDATE returning_crm.workspace SET owner = 'crm_owner' WHERE name = '...';
INSERT INTO returning_crm.workspace (name, owner)
SELECT w.name,
	   CASE WHEN pg_catalog.count(DISTINCT c.relowner) OPERATOR(pg_catalog.=) 1
			THEN pg_catalog.min(c.relowner::pg_catalog.int8)::pg_catalog.oid
			ELSE (SELECT x.extowner FROM pg_catalog.pg_extension x
				   WHERE x.extname OPERATOR(pg_catalog.=) 'returning') END::pg_catalog.regrole
  FROM (SELECT a.workspace AS name FROM returning_crm.attachment a
		UNION SELECT s.workspace FROM returning_crm.workspace_settings s
		UNION SELECT e.workspace FROM returning_crm.exception e) w
  LEFT JOIN returning_crm.attachment a ON a.workspace OPERATOR(pg_catalog.=) w.name
  LEFT JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) a.relid::pg_catalog.oid
 GROUP BY w.name;

DO $upgrade$
DECLARE
	w record;
BEGIN
	FOR w IN SELECT x.name, pg_catalog.string_agg(DISTINCT c.relowner::pg_catalog.regrole::pg_catalog.text, ', ') AS owners
			   FROM returning_crm.workspace x
			   LEFT JOIN returning_crm.attachment a ON a.workspace OPERATOR(pg_catalog.=) x.name
			   LEFT JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) a.relid::pg_catalog.oid
			  WHERE x.owner OPERATOR(pg_catalog.=) (SELECT e.extowner FROM pg_catalog.pg_extension e
													 WHERE e.extname OPERATOR(pg_catalog.=) 'returning')
			  GROUP BY x.name
	LOOP
		RAISE WARNING 'workspace "%" is given to the extension''s owner: %', w.name,
			CASE WHEN w.owners IS NULL THEN 'it has no attached table'
				 ELSE pg_catalog.format('its tables belong to several roles (%s)', w.owners) END
			USING HINT = 'Give it to the role whose members may change it: UPDATE returning_crm.workspace SET owner = ... WHERE name = ...';
	END LOOP;
END
$upgrade$;

-- Tables attached by 0.1.0 get no report view; attaching them again with
-- report_views => true makes one.
UPDATE returning_crm.attachment SET report_views = false;

-- What the attached tables need of 0.2.0, done as each table's owner
-- (_as_owner): the orders' returning_routed column, the indexes of its
-- look-ups (the routing indexes among them), and triggers that carry their
-- configuration (a shard of a distributed table reads it there).  Leads and
-- orders first get their columns and indexes, then their triggers, which
-- carry their partner's configuration too.
DO $upgrade$
DECLARE
	a returning_crm.attachment;
BEGIN
	FOR a IN SELECT * FROM returning_crm.attachment x
			  WHERE x.kind OPERATOR(pg_catalog.=) ANY ('{leads,orders}'::pg_catalog.text[])
			  ORDER BY x.relid::pg_catalog.oid
	LOOP
		PERFORM returning_crm._add_columns(a.relid, a.kind, a.column_prefix);
		PERFORM returning_crm._create_indexes(a);
	END LOOP;
	FOR a IN SELECT * FROM returning_crm.attachment x
			  WHERE x.kind OPERATOR(pg_catalog.=) ANY ('{leads,orders}'::pg_catalog.text[])
			  ORDER BY x.relid::pg_catalog.oid
	LOOP
		PERFORM returning_crm._create_triggers(a.relid);
		IF (SELECT c.relkind FROM pg_catalog.pg_class c
			 WHERE c.oid OPERATOR(pg_catalog.=) a.relid::pg_catalog.oid) OPERATOR(pg_catalog.=) 'p' THEN
			PERFORM returning_crm._partition_triggers(a.relid);
		END IF;
	END LOOP;
END
$upgrade$;

-- 0.1.0 kept the orders that routing created for a known client in
-- lead-free mode in returning_crm.routed_order; 0.2.0 keeps that in the
-- order itself.  Each orders table is updated by its owner; its triggers
-- (0.2.0's now) keep the states, which this does not change.
DO $upgrade$
DECLARE
	a returning_crm.attachment;
BEGIN
	FOR a IN SELECT * FROM returning_crm.attachment x
			  WHERE x.kind OPERATOR(pg_catalog.=) 'orders'
				AND EXISTS (SELECT FROM returning_crm.routed_order r
							 WHERE r.relid OPERATOR(pg_catalog.=) x.relid)
	LOOP
		PERFORM returning_crm._as_owner(a.relid, pg_catalog.format(
			'UPDATE %s o SET %I = true FROM returning_crm.routed_order r'
			' WHERE r.relid::pg_catalog.oid OPERATOR(pg_catalog.=) %s'
			'   AND r.order_id OPERATOR(pg_catalog.=) o.%I::pg_catalog.int8'
			'   AND r.tenant IS NOT DISTINCT FROM %s',
			a.relid, a.column_prefix || 'returning_routed', a.relid::pg_catalog.oid, a.id_column,
			CASE WHEN a.tenant_column IS NULL THEN 'NULL::pg_catalog.text'
				 ELSE pg_catalog.format('o.%I::pg_catalog.text', a.tenant_column) END));
	END LOOP;
END
$upgrade$;
DROP TABLE returning_crm.routed_order;

-- The administrators' EXECUTE grants, again: on the function of the same
-- name and arguments, or on every function of that name when 0.2.0 changed
-- its arguments (configure, exclude_lead, exclude_order, ...).
DO $upgrade$
DECLARE
	g record;
BEGIN
	FOR g IN
		SELECT p.oid::pg_catalog.regprocedure AS f, u.grantee, u.grantable
		  FROM returning_crm._upgrade_grants u
		  JOIN pg_catalog.pg_proc p ON p.proname OPERATOR(pg_catalog.=) u.name
		 WHERE p.pronamespace OPERATOR(pg_catalog.=) 'returning_crm'::pg_catalog.regnamespace
		   AND (pg_catalog.pg_get_function_identity_arguments(p.oid) OPERATOR(pg_catalog.=) u.arguments
				OR NOT EXISTS (SELECT FROM pg_catalog.pg_proc q
								WHERE q.proname OPERATOR(pg_catalog.=) u.name
								  AND q.pronamespace OPERATOR(pg_catalog.=) p.pronamespace
								  AND pg_catalog.pg_get_function_identity_arguments(q.oid)
									  OPERATOR(pg_catalog.=) u.arguments))
		   AND EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) u.grantee)
	LOOP
		EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %s%s', g.f,
								  g.grantee::pg_catalog.regrole,
								  CASE WHEN g.grantable THEN ' WITH GRANT OPTION' ELSE '' END);
	END LOOP;
END
$upgrade$;
DROP TABLE returning_crm._upgrade_grants;
