-- The objects of the extension, each with what defines it, in an order that
-- does not depend on how they were made: an updated database and one that
-- created the current version must print the same.
\pset format unaligned
\pset tuples_only on
WITH ext AS (SELECT oid FROM pg_extension WHERE extname = 'returning'),
members AS (
	SELECT d.classid, d.objid FROM pg_depend d, ext
	 WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
)
SELECT line FROM (
	SELECT pg_describe_object(m.classid, m.objid, 0) || ': ' || CASE m.classid
		WHEN 'pg_proc'::regclass THEN pg_get_functiondef(m.objid)
			|| ' public=' || has_function_privilege('public', m.objid, 'EXECUTE')
		WHEN 'pg_class'::regclass THEN (
			SELECT c.relkind::text || ' acl=' || coalesce(c.relacl::text, '')
				|| ' view=' || coalesce(pg_get_viewdef(c.oid), '')
				|| ' config=' || (c.oid = ANY (SELECT unnest(x.extconfig) FROM pg_extension x WHERE x.extname = 'returning'))
				|| ' columns=' || coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
							|| CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
							|| coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), '')
							|| coalesce(' -- ' || col_description(c.oid, a.attnum), ''), ', ' ORDER BY a.attname)
						  FROM pg_attribute a LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
						 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '')
				|| ' constraints=' || coalesce((SELECT string_agg(pg_get_constraintdef(k.oid), ', ' ORDER BY pg_get_constraintdef(k.oid))
						  FROM pg_constraint k WHERE k.conrelid = c.oid), '')
				|| ' indexes=' || coalesce((SELECT string_agg(pg_get_indexdef(i.indexrelid), ', ' ORDER BY pg_get_indexdef(i.indexrelid))
						  FROM pg_index i WHERE i.indrelid = c.oid), '')
			  FROM pg_class c WHERE c.oid = m.objid)
		WHEN 'pg_event_trigger'::regclass THEN (
			SELECT e.evtevent || ' ' || e.evtfoid::regproc::text || ' ' || coalesce(e.evttags::text, '')
			  FROM pg_event_trigger e WHERE e.oid = m.objid)
		ELSE ''
	END || coalesce(' comment=' || obj_description(m.objid, (SELECT relname FROM pg_class WHERE oid = m.classid)), '') AS line
	  FROM members m
	UNION ALL
	SELECT 'schema privileges of PUBLIC: ' || string_agg(a.privilege_type, ',' ORDER BY a.privilege_type)
	  FROM pg_namespace n, aclexplode(n.nspacl) a
	 WHERE n.nspname = 'returning_crm' AND a.grantee = 0
) x ORDER BY line;
