-- Reporting: the monthly report views that attaching creates beside an
-- attached table, the status of every attached table, and the progress
-- notices of attach and reclassify on large tables.

-- A number of rows from a custom setting (returning_crm.progress_min_rows,
-- returning_crm.status_exact_max_rows), or the default when it is not set.
CREATE OR REPLACE FUNCTION returning_crm._setting_rows(setting text, default_rows bigint)
RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	value text := nullif(btrim(current_setting(setting, true)), '');
BEGIN
	IF value IS NULL THEN
		RETURN default_rows;
	END IF;
	IF value !~ '^[0-9]{1,18}$' THEN
		RAISE EXCEPTION 'invalid value for setting "%": "%"', setting, value
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Set it to a number of rows, or RESET it.';
	END IF;
	RETURN value::bigint;
END
$$;

-- The planner's estimate of a table's rows: pg_class.reltuples, summed over
-- the partitions of a partitioned table; a table that was never vacuumed
-- or analyzed has none and counts as 0.
CREATE OR REPLACE FUNCTION returning_crm._estimated_rows(rel regclass)
RETURNS bigint
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint
	  FROM pg_class c
	 WHERE c.oid IN (SELECT rel UNION SELECT t.relid FROM pg_partition_tree(rel) t)
	   AND c.relkind <> 'p'
$$;

CREATE OR REPLACE FUNCTION returning_crm._report_activity(activity text)
RETURNS void
LANGUAGE C
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'returning_report_activity';

-- A progress notice of attach or reclassify, like VACUUM VERBOSE: the
-- phase just done and its rows in the message, its time in the detail (so
-- that a test can hide it with VERBOSITY terse).  Only on a table of more
-- than returning_crm.progress_min_rows rows (default 1,000,000), by the
-- estimate or by the rows the phase went through.  rows NULL: the estimate.
-- Other sessions see the phase that follows (next_phase) in
-- pg_stat_activity.query, and the statement's own text again after the
-- last phase.  Returns the time the next phase starts.
CREATE OR REPLACE FUNCTION returning_crm._progress(rel regclass, action text, phase text, nrows bigint,
										since timestamptz, changed bigint DEFAULT NULL,
										next_phase text DEFAULT NULL)
RETURNS timestamptz
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	estimate bigint := returning_crm._estimated_rows(rel);
	done timestamptz := clock_timestamp();
BEGIN
	IF greatest(estimate, coalesce(nrows, 0))
	   > returning_crm._setting_rows('returning_crm.progress_min_rows', 1000000) THEN
		RAISE NOTICE '%: % done, % rows%', concat_ws(' ', action, rel), phase,
			coalesce(nrows::text, 'about ' || estimate),
			CASE WHEN changed IS NOT NULL THEN format(', %s changed', changed) ELSE '' END
			USING DETAIL = format('The %s phase took %s s.', phase,
								  to_char(extract(epoch FROM done - since), 'FM999999990.00'));
		PERFORM returning_crm._report_activity(
			CASE WHEN next_phase IS NOT NULL
				 THEN format('-- returning: %s %s: %s done (%s rows), %s since %s', action, rel, phase,
							 coalesce(nrows::text, 'about ' || estimate), next_phase,
							 to_char(done, 'YYYY-MM-DD HH24:MI:SS TZ')) END);
	END IF;
	RETURN clock_timestamp();
END
$$;

-- The base type of a column when it is a date, timestamp or timestamptz
-- (or a domain over one), else NULL; never an error.  attach_orders takes
-- ordered_by as the date of its report view when it is one.
CREATE OR REPLACE FUNCTION returning_crm._date_type(rel regclass, col name)
RETURNS regtype
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT x.typ
	  FROM (SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END::regtype AS typ
			  FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
			 WHERE a.attrelid = rel AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped) x
	 WHERE x.typ IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype)
$$;

-- The monthly report view of an attached leads or orders table with a date:
-- <table>_<prefix>returning_monthly, beside the table, owned by the table's
-- owner (made through _as_owner), security_invoker, in plain SQL over the
-- table's columns (no object of the extension), its time zone fixed as a
-- literal.  Recorded in the attachment by its OID.  Returns the view, or
-- NULL when there is none to make (or the owner may not create it: a
-- notice says so).
CREATE OR REPLACE FUNCTION returning_crm._create_report_view(a returning_crm.attachment)
RETURNS regclass
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	date_type regtype;
	amount_type regtype;
	owner oid;
	nsp oid;
	nspname name;
	view_name name;
	view_oid oid;
	tz text := current_setting('TimeZone');
	what text := CASE a.kind WHEN 'orders' THEN 'order' ELSE 'lead' END;
	won text;
	month_expr text;
	month_note text;
	keys int := 0;
	cols text[] := '{}';		-- the select list: expression AS name
	names text[] := '{}';
	notes text[] := '{}';
	view_note text;
	i int;
BEGIN
	IF a.kind NOT IN ('leads', 'orders') THEN
		RETURN NULL;
	END IF;
	date_type := returning_crm._column_type(a.relid, a.date_column, 'date_column',
											'{date,timestamp,timestamptz}');
	IF date_type IS NULL OR NOT coalesce(a.report_views, true) THEN
		RETURN NULL;
	END IF;

	SELECT c.relowner, c.relnamespace, n.nspname INTO owner, nsp, nspname
	  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	 WHERE c.oid = a.relid;
	IF NOT has_schema_privilege(owner, nsp, 'CREATE') THEN
		RAISE NOTICE 'no report view for table %: its owner % may not create in schema %',
			a.relid, owner::regrole, nspname
			USING DETAIL = 'The report view is created beside the table, as the table''s owner.',
				  HINT = format('GRANT CREATE ON SCHEMA %I TO %I, then detach and attach the table again; or attach it with report_views => false.',
								nspname, owner::regrole);
		RETURN NULL;
	END IF;

	-- the month, in the time zone in force now for a timestamptz
	IF date_type = 'timestamptz'::regtype THEN
		month_expr := format('pg_catalog.date_trunc(%L, t.%I AT TIME ZONE %L)::pg_catalog.date',
							 'month', a.date_column, tz);
		month_note := format(' in time zone %s (the time zone when the view was created)', tz);
	ELSIF date_type = 'timestamp'::regtype THEN
		month_expr := format('pg_catalog.date_trunc(%L, t.%I)::pg_catalog.date', 'month', a.date_column);
		month_note := '';
	ELSE
		month_expr := format('pg_catalog.date_trunc(%L, t.%I::pg_catalog.timestamp)::pg_catalog.date',
							 'month', a.date_column);
		month_note := '';
	END IF;

	IF a.tenant_column IS NOT NULL THEN
		cols := cols || format('t.%I', a.tenant_column);
		names := names || 'tenant'::text;
		notes := notes || format('The tenant (column %s of %s).', a.tenant_column, a.relid);
		keys := keys + 1;
	END IF;
	cols := cols || month_expr;
	names := names || 'month'::text;
	notes := notes || format('The first day of the month of the %s''s %s%s; NULL for %ss without one.',
							 what, a.date_column, month_note, what);
	keys := keys + 1;

	IF a.kind = 'orders' THEN
		cols := cols || CASE WHEN a.pipeline_column IS NULL THEN 'NULL::pg_catalog.text'
							 ELSE format('t.%I::pg_catalog.text', a.pipeline_column) END;
		names := names || 'pipeline'::text;
		notes := notes || CASE WHEN a.pipeline_column IS NULL
							   THEN 'The pipeline: NULL, since the orders table was attached without a pipeline_column.'
							   ELSE format('The pipeline (column %s, as text).', a.pipeline_column) END;
		keys := keys + 1;
		cols := cols || 'pg_catalog.count(*)'::text
					 || format('pg_catalog.count(*) FILTER (WHERE t.%I)', a.column_prefix || 'is_new')
					 || format('pg_catalog.count(*) FILTER (WHERE t.%I)', a.column_prefix || 'is_repeat')
					 || format('pg_catalog.count(*) FILTER (WHERE t.%I)', a.column_prefix || 'is_repeated_inquiry');
		names := names || '{orders,new_orders,repeat_orders,repeated_inquiries}'::text[];
		notes := notes || 'Orders of the month.'::text
					   || 'New orders: their client has no won order before them and they did not come from a repeat lead.'::text
					   || 'Repeat orders: their client has a won order positioned before them.'::text
					   || 'Repeated inquiries: orders from a repeat lead of a client that has no won order before them.'::text;

		amount_type := returning_crm._column_type(a.relid, a.amount_column, 'amount_column');
		IF amount_type IS NOT NULL
		   AND (SELECT t.typcategory FROM pg_type t WHERE t.oid = amount_type) <> 'N' THEN
			RAISE NOTICE 'report view of table % has no amount columns: column "%" has type %, which is not a number',
				a.relid, a.amount_column, amount_type;
			amount_type := NULL;
		END IF;
		IF amount_type IS NOT NULL THEN
			won := format('t.%I::pg_catalog.text OPERATOR(pg_catalog.=) ANY (%L::pg_catalog.text[])',
						  a.status_column, a.success_values);
			FOR i IN 0..1 LOOP
				cols := cols
					|| format('coalesce(pg_catalog.sum(t.%I::pg_catalog.numeric)%s, 0)', a.amount_column,
							  CASE i WHEN 1 THEN format(' FILTER (WHERE %s)', won) ELSE '' END)
					|| format('coalesce(pg_catalog.sum(t.%I::pg_catalog.numeric) FILTER (WHERE %st.%I), 0)',
							  a.amount_column, CASE i WHEN 1 THEN won || ' AND ' ELSE '' END,
							  a.column_prefix || 'is_new')
					|| format('coalesce(pg_catalog.sum(t.%I::pg_catalog.numeric) FILTER (WHERE %st.%I), 0)',
							  a.amount_column, CASE i WHEN 1 THEN won || ' AND ' ELSE '' END,
							  a.column_prefix || 'is_repeat')
					|| format('coalesce(pg_catalog.sum(t.%I::pg_catalog.numeric) FILTER (WHERE %st.%I), 0)',
							  a.amount_column, CASE i WHEN 1 THEN won || ' AND ' ELSE '' END,
							  a.column_prefix || 'is_repeated_inquiry');
				IF i = 1 THEN
					-- the count of won orders goes before their amounts
					cols := cols[1:cardinality(cols) - 4] || format('pg_catalog.count(*) FILTER (WHERE %s)', won)
							|| cols[cardinality(cols) - 3:];
					names := names || '{won_orders,won_amount,won_new_amount,won_repeat_amount,won_repeated_inquiry_amount}'::text[];
					notes := notes
						|| format('Won orders of the month (stage %s).', array_to_string(a.success_values, ', '))
						|| format('Sum of %s of the won orders.', a.amount_column)
						|| format('Sum of %s of the won new orders.', a.amount_column)
						|| format('Sum of %s of the won repeat orders.', a.amount_column)
						|| format('Sum of %s of the won repeated inquiries.', a.amount_column);
				ELSE
					names := names || '{amount,new_amount,repeat_amount,repeated_inquiry_amount}'::text[];
					notes := notes
						|| format('Sum of %s of the orders of the month, won or not.', a.amount_column)
						|| format('Sum of %s of the new orders.', a.amount_column)
						|| format('Sum of %s of the repeat orders.', a.amount_column)
						|| format('Sum of %s of the repeated inquiries.', a.amount_column);
				END IF;
			END LOOP;
		END IF;
		view_note := format('Orders of %s by month%s and pipeline: new, repeat and repeated-inquiry orders%s, from the columns that the returning extension keeps. Made by returning_crm.attach_orders(); returning_crm.detach() drops it.',
							a.relid, CASE WHEN a.tenant_column IS NOT NULL THEN ', tenant' ELSE '' END,
							CASE WHEN amount_type IS NOT NULL THEN ' and their amounts' ELSE '' END);
	ELSE
		cols := cols || 'pg_catalog.count(*)'::text
					 || format('pg_catalog.count(*) FILTER (WHERE t.%I)', a.column_prefix || 'is_repeat')
					 || format('pg_catalog.round(pg_catalog.count(*) FILTER (WHERE t.%I)::pg_catalog.numeric'
							   ' OPERATOR(pg_catalog.*) 100 OPERATOR(pg_catalog./) pg_catalog.count(*), 1)',
							   a.column_prefix || 'is_repeat');
		names := names || '{leads,repeat_leads,repeat_share}'::text[];
		notes := notes || 'Leads of the month.'::text
					   || 'Repeat leads: bound to an existing contact or company.'::text
					   || 'Share of repeat leads among the leads of the month, in percent, one decimal.'::text;
		view_note := format('Leads of %s by month%s: all leads and repeat leads, from the columns that the returning extension keeps. Made by returning_crm.attach_leads(); returning_crm.detach() drops it.',
							a.relid, CASE WHEN a.tenant_column IS NOT NULL THEN ' and tenant' ELSE '' END);
	END IF;

	view_name := returning_crm._index_name(a.relid, a.column_prefix || 'returning_monthly');
	PERFORM returning_crm._as_owner(a.relid, format(
		'CREATE VIEW %I.%I WITH (security_invoker = true) AS SELECT %s FROM %s t GROUP BY %s',
		nspname, view_name,
		(SELECT string_agg(format('%s AS %I', c.expr, names[c.n]), ', ' ORDER BY c.n)
		   FROM unnest(cols) WITH ORDINALITY AS c(expr, n)),
		a.relid,
		(SELECT string_agg(g::text, ', ' ORDER BY g) FROM generate_series(1, keys) g)));
	SELECT c.oid INTO view_oid FROM pg_class c WHERE c.relname = view_name AND c.relnamespace = nsp;
	PERFORM returning_crm._as_owner(a.relid, format('COMMENT ON VIEW %I.%I IS %L', nspname, view_name, view_note));
	FOR i IN 1..cardinality(names) LOOP
		PERFORM returning_crm._as_owner(a.relid, format('COMMENT ON COLUMN %I.%I.%I IS %L',
														 nspname, view_name, names[i], notes[i]));
	END LOOP;
	-- security_invoker: a reader needs SELECT on the table as well
	PERFORM returning_crm._as_owner(a.relid, format('GRANT SELECT ON %I.%I TO PUBLIC', nspname, view_name));
	PERFORM returning_crm._config_write('attachment_notes', a.workspace, a.relid,
										jsonb_build_object('report_view', view_oid));
	RETURN view_oid::regclass;
END
$$;
COMMENT ON FUNCTION returning_crm._create_report_view(returning_crm.attachment) IS
	'Creates the monthly report view of an attached leads or orders table with a date column, beside the table and as its owner, and records it in the attachment.';

-- detach: the report view goes, found by its OID, when it is still a view
-- on the table.  A view of the application's on top of it stops detach.
CREATE OR REPLACE FUNCTION returning_crm._drop_report_view(a returning_crm.attachment)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	detail text;
BEGIN
	IF a.report_view IS NULL OR NOT EXISTS (
		SELECT FROM pg_class c
		  JOIN pg_rewrite r ON r.ev_class = c.oid
		  JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
		 WHERE c.oid = a.report_view AND c.relkind = 'v'
		   AND d.refclassid = 'pg_class'::regclass AND d.refobjid = a.relid) THEN
		RETURN;
	END IF;
	BEGIN
		PERFORM returning_crm._as_owner(a.relid, format('DROP VIEW %s', a.report_view));
	EXCEPTION WHEN dependent_objects_still_exist THEN
		GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
		RAISE EXCEPTION 'cannot drop report view % of table %: other objects depend on it', a.report_view, a.relid
			USING ERRCODE = 'dependent_objects_still_exist',
				  DETAIL = detail,
				  HINT = 'Drop the objects that use the report view first, then detach the table.';
	END;
END
$$;

-- Whether all of the extension's triggers on an attached leads or orders
-- table (and its partitions) fire in an ordinary session: enabled, or
-- ENABLE ALWAYS; a trigger ENABLE REPLICA fires only in replication.  NULL
-- for contacts and companies, which have none.
CREATE OR REPLACE FUNCTION returning_crm._triggers_enabled(rel regclass)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN x.kind IN ('leads', 'orders') THEN
			coalesce((SELECT bool_and(g.tgenabled IN ('O', 'A'))
						FROM (SELECT rel UNION SELECT t.relid FROM pg_partition_tree(rel) t) p(relid)
						CROSS JOIN LATERAL returning_crm._extension_triggers(p.relid) AS e(name)
						JOIN pg_trigger g ON g.tgrelid = p.relid AND g.tgname = e.name), false)
		   END
	  FROM returning_crm.attachment x WHERE x.relid = rel
$$;

-- The rows of an attached leads or orders table by state, as jsonb (every
-- state of the kind, 0 when it has none; "unclassified" for rows without
-- one), read with the caller's rights (row-level security applies): counted
-- when the table has up to returning_crm.status_exact_max_rows rows by the
-- planner's estimate (default 1,000,000), else estimated from a block
-- sample of about 100,000 rows (TABLESAMPLE SYSTEM) scaled to the
-- estimate.  NULL for contacts and companies, for a caller without SELECT
-- on the table, and for a state column that is no longer text.
CREATE OR REPLACE FUNCTION returning_crm._rows_by_state(rel regclass, OUT rows_by_state jsonb, OUT rows_exact boolean)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	a returning_crm.attachment;
	estimate bigint;
	sampled bigint := 0;
	counts jsonb := '{}';
	r record;
BEGIN
	SELECT * INTO a FROM returning_crm.attachment x WHERE x.relid = rel;
	IF NOT FOUND OR a.kind NOT IN ('leads', 'orders') OR NOT has_table_privilege(rel, 'SELECT') THEN
		RETURN;
	END IF;
	-- grouped with text's own operators only: a state column whose type
	-- was changed (whose equality would be the owner's code) is not read
	IF NOT EXISTS (SELECT FROM pg_attribute x
					WHERE x.attrelid = rel AND x.attname = a.column_prefix || 'returning_state'
					  AND x.atttypid = 'text'::regtype AND NOT x.attisdropped) THEN
		RETURN;
	END IF;
	estimate := returning_crm._estimated_rows(rel);
	rows_exact := estimate <= returning_crm._setting_rows('returning_crm.status_exact_max_rows', 1000000);
	FOR r IN EXECUTE format('SELECT coalesce(t.%I, %L) AS state, pg_catalog.count(*) AS n FROM %s t%s GROUP BY 1',
							a.column_prefix || 'returning_state', 'unclassified', rel,
							CASE WHEN NOT rows_exact
								 THEN format(' TABLESAMPLE pg_catalog.system (%s)', least(100, 100.0 * 100000 / estimate)) END)
	LOOP
		counts := counts || jsonb_build_object(r.state, r.n);
		sampled := sampled + r.n;
	END LOOP;
	IF NOT rows_exact AND sampled > 0 THEN
		SELECT jsonb_object_agg(e.key, round(e.value::numeric * estimate / sampled)::bigint)
		  INTO counts FROM jsonb_each_text(counts) e;
	END IF;
	rows_by_state := CASE a.kind WHEN 'orders' THEN '{"new": 0, "repeat": 0, "repeated_inquiry": 0}'::jsonb
								 ELSE '{"new": 0, "repeat": 0}'::jsonb END || counts;
END
$$;

-- One row per attached table that the caller may read.
CREATE OR REPLACE VIEW returning_crm.status WITH (security_invoker = true) AS
SELECT x.workspace,
	   x.relid AS table_name,
	   x.kind,
	   returning_crm._triggers_enabled(x.relid) AS triggers_enabled,
	   s.rows_by_state,
	   s.rows_exact,
	   x.attached_at,
	   x.last_reclassified_at,
	   x.last_reclassify_changed
  FROM returning_crm.attachment x
  CROSS JOIN LATERAL returning_crm._rows_by_state(x.relid) s
 WHERE has_table_privilege(x.relid, 'SELECT');
GRANT SELECT ON returning_crm.status TO PUBLIC;
COMMENT ON VIEW returning_crm.status IS
	'The attached tables that the caller may read: whether the extension''s triggers are enabled, the rows by state, when the table was attached and last reclassified.';
COMMENT ON COLUMN returning_crm.status.table_name IS 'The attached table.';
COMMENT ON COLUMN returning_crm.status.kind IS 'leads, orders, contacts or companies.';
COMMENT ON COLUMN returning_crm.status.triggers_enabled IS
	'True when all of the extension''s triggers on the table (and its partitions) are enabled; NULL for contacts and companies, which have none.';
COMMENT ON COLUMN returning_crm.status.rows_by_state IS
	'Rows by state, e.g. {"new": 10, "repeat": 3}; "unclassified" counts rows without a state. Counted exactly up to returning_crm.status_exact_max_rows estimated rows (default 1,000,000), estimated from a sample above.';
COMMENT ON COLUMN returning_crm.status.rows_exact IS
	'True when rows_by_state was counted, false when it was estimated.';
COMMENT ON COLUMN returning_crm.status.last_reclassified_at IS
	'When returning_crm.reclassify() last ran on the table (also after partitions were attached, detached or dropped).';
COMMENT ON COLUMN returning_crm.status.last_reclassify_changed IS
	'How many rows that reclassify changed.';

-- Why a row has its state: the rule that gives it, with the facts it rests
-- on, read with the caller's rights.
CREATE OR REPLACE FUNCTION returning_crm.explain(table_name regclass, id bigint, tenant text DEFAULT NULL,
	OUT state text, OUT rule text, OUT client_kind text, OUT client_id bigint,
	OUT first_won_order bigint, OUT lead_id bigint, OUT lead_state text,
	OUT routed boolean, OUT consistent boolean)
LANGUAGE C STABLE SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'returning_explain';
COMMENT ON FUNCTION returning_crm.explain(regclass, bigint, text) IS
	'Why the order or lead has its state: the rule (1, 2, 3 or lead), its client, the won order before it, its lead and that lead''s state, whether routing created it, and whether the stored state equals the rules evaluated now.';
