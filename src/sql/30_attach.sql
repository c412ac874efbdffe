-- Attaching to an application's tables: validation, added columns, indexes,
-- triggers, and the first set-based classification.

-- The C side.  They check the caller's rights themselves (src/security.c):
-- the attach functions run with the caller's rights and call them.
CREATE OR REPLACE FUNCTION returning_crm._check_owner(regclass, text DEFAULT 'attach, detach or reclassify it')
	RETURNS void
	LANGUAGE C STRICT AS 'MODULE_PATHNAME', 'returning_check_owner';
CREATE OR REPLACE FUNCTION returning_crm._check_workspace(text) RETURNS void
	LANGUAGE C STRICT AS 'MODULE_PATHNAME', 'returning_check_workspace';
CREATE OR REPLACE FUNCTION returning_crm._as_owner(regclass, text) RETURNS bigint
	LANGUAGE C STRICT AS 'MODULE_PATHNAME', 'returning_as_owner';
CREATE OR REPLACE FUNCTION returning_crm._config_write(statement text, workspace text, rel regclass, args jsonb)
	RETURNS SETOF jsonb
	LANGUAGE C AS 'MODULE_PATHNAME', 'returning_config_write';
CREATE OR REPLACE FUNCTION returning_crm._classify(regclass) RETURNS bigint
	LANGUAGE C STRICT AS 'MODULE_PATHNAME', 'returning_classify';
CREATE OR REPLACE FUNCTION returning_crm._won_condition(regclass) RETURNS text
	LANGUAGE C STRICT AS 'MODULE_PATHNAME', 'returning_won_condition';
CREATE OR REPLACE FUNCTION returning_crm._load_states(regclass) RETURNS bigint
	LANGUAGE C STRICT AS 'MODULE_PATHNAME', 'returning_load_states';
CREATE OR REPLACE FUNCTION returning_crm._initial_state(bigint) RETURNS text
	LANGUAGE C STRICT VOLATILE AS 'MODULE_PATHNAME', 'returning_initial_state';
CREATE OR REPLACE FUNCTION returning_crm._has_ordering(regtype) RETURNS boolean
	LANGUAGE C STRICT STABLE AS 'MODULE_PATHNAME', 'returning_has_ordering';
CREATE OR REPLACE FUNCTION returning_crm._index_definitions(regclass)
	RETURNS TABLE (suffix text, definition text, comment text, needed boolean, kept boolean,
				   found regclass)
	LANGUAGE C STRICT AS 'MODULE_PATHNAME', 'returning_index_definitions';
CREATE OR REPLACE FUNCTION returning_crm._extension_triggers(regclass) RETURNS SETOF name
	LANGUAGE C STRICT AS 'MODULE_PATHNAME', 'returning_extension_triggers';
COMMENT ON FUNCTION returning_crm._as_owner(regclass, text) IS
	'Runs one statement on a table as its owner, in a security-restricted operation, and returns the bigint it selects or the number of rows it processed; the caller must own the table.';
COMMENT ON FUNCTION returning_crm._config_write(text, text, regclass, jsonb) IS
	'Writes the extension''s configuration with one of its fixed statements, after checking that the caller owns the table or belongs to the workspace''s owner role.';

-- The triggers: row triggers classify, statement triggers bracket each
-- statement and recompute what its rows changed.
CREATE OR REPLACE FUNCTION returning_crm.order_row_trigger() RETURNS trigger
	LANGUAGE C AS 'MODULE_PATHNAME', 'order_row_trigger';
CREATE OR REPLACE FUNCTION returning_crm.order_statement_trigger() RETURNS trigger
	LANGUAGE C AS 'MODULE_PATHNAME', 'order_statement_trigger';
CREATE OR REPLACE FUNCTION returning_crm.lead_row_trigger() RETURNS trigger
	LANGUAGE C AS 'MODULE_PATHNAME', 'lead_row_trigger';
CREATE OR REPLACE FUNCTION returning_crm.lead_statement_trigger() RETURNS trigger
	LANGUAGE C AS 'MODULE_PATHNAME', 'lead_statement_trigger';
CREATE OR REPLACE FUNCTION returning_crm.lead_truncate_trigger() RETURNS trigger
	LANGUAGE C AS 'MODULE_PATHNAME', 'lead_truncate_trigger';
CREATE OR REPLACE FUNCTION returning_crm.order_truncate_trigger() RETURNS trigger
	LANGUAGE C AS 'MODULE_PATHNAME', 'order_truncate_trigger';

COMMENT ON FUNCTION returning_crm.order_row_trigger() IS
	'Classifies each inserted or updated order of an attached orders table.';
COMMENT ON FUNCTION returning_crm.order_statement_trigger() IS
	'Recomputes the orders of the clients whose history a statement changed.';
COMMENT ON FUNCTION returning_crm.lead_row_trigger() IS
	'Classifies each inserted or updated lead of an attached leads table.';
COMMENT ON FUNCTION returning_crm.lead_statement_trigger() IS
	'Recomputes the orders of the leads whose state a statement changed.';
COMMENT ON FUNCTION returning_crm.lead_truncate_trigger() IS
	'Recomputes the orders of a workspace after its leads table, or a partition of it, is truncated.';
COMMENT ON FUNCTION returning_crm.order_truncate_trigger() IS
	'Recomputes the orders of an attached partitioned orders table after one of its partitions is truncated.';

-- The type of a mapped column, or an error naming the parameter that gave it.
-- allowed: the accepted base types, or NULL for any type.
CREATE OR REPLACE FUNCTION returning_crm._column_type(rel regclass, col name, parameter text,
										   allowed regtype[] DEFAULT NULL)
RETURNS regtype
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	typ regtype;
BEGIN
	IF col IS NULL THEN
		RETURN NULL;
	END IF;
	SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END
	  INTO typ
	  FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
	 WHERE a.attrelid = rel AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
	IF typ IS NULL THEN
		RAISE EXCEPTION 'column "%" of table % does not exist', col, rel
			USING ERRCODE = 'undefined_column',
				  DETAIL = format('It was given as %s.', parameter);
	END IF;
	IF allowed IS NOT NULL AND NOT typ = ANY (allowed) THEN
		RAISE EXCEPTION 'column "%" of table % has type %, which cannot be used as %',
			col, rel, typ, parameter
			USING ERRCODE = 'datatype_mismatch',
				  HINT = format('Use a column of type %s.',
								array_to_string(allowed::text[], ', ', '')),
				  DETAIL = format('The %s must be of one of the accepted types.', parameter);
	END IF;
	RETURN typ;
END
$$;

-- The comments of the added columns; attach also recognises its own columns
-- by them when a table is attached again after detach.
CREATE OR REPLACE FUNCTION returning_crm._column_comment(kind text, col text)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE kind || '.' || col
		WHEN 'orders.returning_state' THEN
			'Repeat-business state of the order, kept by the returning extension: new, repeat or repeated_inquiry.'
		WHEN 'orders.is_new' THEN
			'True when the order is new: its client has no won order before it and it did not come from a repeat lead.'
		WHEN 'orders.is_repeat' THEN
			'True when the order is a repeat order: its client has a won order positioned before it.'
		WHEN 'orders.is_repeated_inquiry' THEN
			'True when the order is a repeated inquiry: it came from a repeat lead of a client that has no won order before it.'
		WHEN 'orders.returning_routed' THEN
			'True when inquiry routing created the order for a known client in lead-free mode: such an order counts like one from a repeat lead. Set by returning_crm.route_inquiry(); the application may set it too.'
		WHEN 'leads.returning_state' THEN
			'Repeat-business state of the lead, kept by the returning extension: new or repeat.'
		WHEN 'leads.is_repeat' THEN
			'True when the lead is a repeat lead: it was bound to an existing contact or company.'
	END
$$;

-- Add the state column and the generated booleans, or recognise them from an
-- earlier attachment; a column of that name that is not ours is an error.
-- With check_only, only the names are checked.  With state_using, the state
-- column exists already and is filled in the same ALTER TABLE that adds the
-- generated columns (one rewrite), from that expression.
CREATE OR REPLACE FUNCTION returning_crm._add_columns(rel regclass, kind text, prefix text,
										   state_using text DEFAULT NULL,
										   check_only boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	state_col text := prefix || 'returning_state';
	flags text[] := CASE kind WHEN 'orders' THEN '{new,repeat,repeated_inquiry}'::text[]
							  ELSE '{repeat}'::text[] END;
	f text;
	col text;
	comment text;
	existing text;
	adds text[] := '{}';
BEGIN
	FOREACH col IN ARRAY ARRAY['returning_state'] || array(SELECT 'is_' || x FROM unnest(flags) x)
						 || CASE kind WHEN 'orders' THEN '{returning_routed}'::text[] ELSE '{}' END LOOP
		comment := returning_crm._column_comment(kind, col);
		IF length(prefix || col) > 63 THEN
			RAISE EXCEPTION 'column name "%" is too long', prefix || col
				USING ERRCODE = 'name_too_long',
					  HINT = 'Use a shorter column_prefix.';
		END IF;
		SELECT coalesce(col_description(rel, a.attnum), '') INTO existing
		  FROM pg_attribute a
		 WHERE a.attrelid = rel AND a.attname = prefix || col AND a.attnum > 0
		   AND NOT a.attisdropped;
		IF FOUND THEN
			IF existing = comment THEN
				CONTINUE;		-- ours, from an earlier attachment
			END IF;
			RAISE EXCEPTION 'column "%" of table % already exists', prefix || col, rel
				USING ERRCODE = 'duplicate_column',
					  HINT = 'Pass a column_prefix so that the added columns get other names.';
		END IF;
		IF col = 'returning_state' THEN
			adds := adds || format('ADD COLUMN %I pg_catalog.text', prefix || col);
		ELSIF col = 'returning_routed' THEN
			adds := adds || format('ADD COLUMN %I pg_catalog.bool', prefix || col);
		ELSE
			adds := adds || format('ADD COLUMN %I boolean GENERATED ALWAYS AS (%I OPERATOR(pg_catalog.=) %L::pg_catalog.text) STORED',
								   prefix || col, state_col, substr(col, 4));
		END IF;
	END LOOP;

	IF check_only THEN
		RETURN;
	END IF;
	IF state_using IS NOT NULL THEN
		adds := format('ALTER COLUMN %I TYPE pg_catalog.text USING %s', state_col, state_using) || adds;
	END IF;
	IF cardinality(adds) > 0 THEN
		PERFORM returning_crm._as_owner(rel, format('ALTER TABLE %s %s', rel, array_to_string(adds, ', ')));
	END IF;
	FOREACH col IN ARRAY ARRAY['returning_state'] || array(SELECT 'is_' || x FROM unnest(flags) x)
						 || CASE kind WHEN 'orders' THEN '{returning_routed}'::text[] ELSE '{}' END LOOP
		PERFORM returning_crm._as_owner(rel, format('COMMENT ON COLUMN %s.%I IS %L', rel, prefix || col,
					   returning_crm._column_comment(kind, col)));
	END LOOP;
END
$$;

-- A free name for an index of a table: <table>_<suffix>, with the table's
-- name cut and a short digest of it added when that is too long, and a
-- number when the name is taken.
CREATE OR REPLACE FUNCTION returning_crm._index_name(rel regclass, suffix text)
RETURNS name
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	relname text := (SELECT c.relname FROM pg_class c WHERE c.oid = rel);
	nsp oid := (SELECT c.relnamespace FROM pg_class c WHERE c.oid = rel);
	base text := relname;
	tail text := '_' || suffix;
	candidate text;
	n int := 1;
BEGIN
	LOOP
		candidate := base || tail;
		IF octet_length(candidate) > 63 THEN
			-- cut the table's name, marked by a digest of the whole name
			base := relname;
			WHILE octet_length(base || '_' || left(md5(relname), 4) || tail) > 63 LOOP
				base := left(base, -1);
			END LOOP;
			base := base || '_' || left(md5(relname), 4);
			candidate := base || tail;
		END IF;
		EXIT WHEN NOT EXISTS (SELECT FROM pg_class c WHERE c.relname = candidate AND c.relnamespace = nsp);
		n := n + 1;
		tail := '_' || suffix || '_' || n;
	END LOOP;
	RETURN candidate;
END
$$;

-- The indexes the rules need (src/indexes.c defines them).  An index of
-- the extension's that an earlier attachment left with another definition
-- is dropped; one with the same definition is kept.
CREATE OR REPLACE FUNCTION returning_crm._create_indexes(a returning_crm.attachment)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	d record;
	idx regclass;
	idxname name;
	nsp text := (SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
				  WHERE c.oid = a.relid);
BEGIN
	FOR idx IN
		SELECT i.indexrelid::regclass FROM pg_index i
		 WHERE i.indrelid = a.relid
		   AND obj_description(i.indexrelid, 'pg_class') LIKE 'Kept by the returning extension for %'
		   AND obj_description(i.indexrelid, 'pg_class') NOT IN (
				SELECT x.comment FROM returning_crm._index_definitions(a.relid) x WHERE x.needed)
	LOOP
		PERFORM returning_crm._as_owner(a.relid, format('DROP INDEX %s', idx));
	END LOOP;
	FOR d IN SELECT * FROM returning_crm._index_definitions(a.relid) x WHERE x.needed LOOP
		CONTINUE WHEN EXISTS (SELECT FROM pg_index i WHERE i.indrelid = a.relid
							   AND obj_description(i.indexrelid, 'pg_class') = d.comment);
		idxname := returning_crm._index_name(a.relid, a.column_prefix || 'returning_' || d.suffix);
		PERFORM returning_crm._as_owner(a.relid,
			format('CREATE INDEX %I ON %s %s', idxname, a.relid, d.definition));
		PERFORM returning_crm._as_owner(a.relid,
			format('COMMENT ON INDEX %I.%I IS %L', nsp, idxname, d.comment));
	END LOOP;
END
$$;

-- The configuration the triggers of an attached table carry in their
-- argument: its attachment row and that of its partner (the leads table an
-- orders table links to, the orders table that links to a leads table) as
-- jsonb, with the tables by name.  A trigger that fires where the
-- configuration tables do not know the table (a shard of a distributed
-- table, on a worker) reads it from there (src/config.c).  What the
-- triggers do not read (the report view, the last reclassify) stays out: a
-- name there would have to resolve on every node.  The table's rules travel
-- too, in id order (src/rules.c reads them there on a shard), and the names
-- and definitions of the table's indexes for the rules, by which a shard
-- finds its own copies of them (src/indexes.c), and the workspace's
-- notify_channel and log_changes (src/announce.c).  PL/pgSQL: the workspace settings are
-- created later in this script.
CREATE OR REPLACE FUNCTION returning_crm._trigger_config(rel regclass)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN (SELECT (to_jsonb(x) - '{attached_at,report_view,last_reclassified_at,last_reclassify_changed}'::text[]
				|| jsonb_build_object('rules',
				(SELECT coalesce(jsonb_agg(jsonb_build_object('state', r.state, 'set_values', r.set_values)
										  ORDER BY r.id), '[]')
				   FROM returning_crm.rule r WHERE r.relid = x.relid))
				|| jsonb_build_object('indexes',
				(SELECT coalesce(jsonb_object_agg(d.suffix, jsonb_build_object('name', i.relname,
							'definition', substr(pg_get_indexdef(i.oid), strpos(pg_get_indexdef(i.oid), ' USING ')))),
						'{}')
				   FROM returning_crm._index_definitions(x.relid) d
				   JOIN pg_index ix ON ix.indrelid = x.relid
				   JOIN pg_class i ON i.oid = ix.indexrelid
				  WHERE obj_description(i.oid, 'pg_class') = d.comment))
				|| COALESCE((SELECT jsonb_build_object('notify_channel', s.notify_channel,
													 'log_changes', s.log_changes)
							   FROM returning_crm.workspace_settings s
							  WHERE s.workspace = x.workspace), '{}')
				|| jsonb_build_object('partner',
				(SELECT to_jsonb(p) - '{attached_at,report_view,last_reclassified_at,last_reclassify_changed}'::text[]
				   FROM returning_crm.attachment p
				  WHERE p.workspace = x.workspace
					AND ((x.kind = 'orders' AND x.lead_column IS NOT NULL AND p.kind = 'leads')
						 OR (x.kind = 'leads' AND p.kind = 'orders' AND p.lead_column IS NOT NULL)))))::text
		  FROM returning_crm.attachment x WHERE x.relid = rel);
END
$$;

-- The extension's triggers on an attached leads or orders table, made anew
-- with the current configuration.
CREATE OR REPLACE FUNCTION returning_crm._create_triggers(rel regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	kind text := (SELECT x.kind FROM returning_crm.attachment x WHERE x.relid = rel);
	fn text := CASE kind WHEN 'orders' THEN 'order' ELSE 'lead' END;
	config text := returning_crm._trigger_config(rel);
	trg name;
BEGIN
	IF kind NOT IN ('leads', 'orders') THEN
		RETURN;
	END IF;
	FOR trg IN SELECT * FROM returning_crm._extension_triggers(rel) LOOP
		PERFORM returning_crm._as_owner(rel, format('DROP TRIGGER %I ON %s', trg, rel));
	END LOOP;
	PERFORM returning_crm._as_owner(rel, format(
		'CREATE TRIGGER zz_returning_row BEFORE INSERT OR UPDATE OR DELETE ON %s'
		' FOR EACH ROW EXECUTE FUNCTION returning_crm.%s_row_trigger(%L)', rel, fn, config));
	PERFORM returning_crm._as_owner(rel, format(
		'CREATE TRIGGER zz_returning_statement_begin BEFORE INSERT OR UPDATE OR DELETE ON %s'
		' FOR EACH STATEMENT EXECUTE FUNCTION returning_crm.%s_statement_trigger(%L)', rel, fn, config));
	PERFORM returning_crm._as_owner(rel, format(
		'CREATE TRIGGER zz_returning_statement_end AFTER INSERT OR UPDATE OR DELETE ON %s'
		' FOR EACH STATEMENT EXECUTE FUNCTION returning_crm.%s_statement_trigger(%L)', rel, fn, config));
	IF kind = 'leads' THEN
		PERFORM returning_crm._as_owner(rel, format(
			'CREATE TRIGGER zz_returning_truncate AFTER TRUNCATE ON %s'
			' FOR EACH STATEMENT EXECUTE FUNCTION returning_crm.lead_truncate_trigger(%L)', rel, config));
	END IF;
END
$$;

-- The triggers of the partitions of an attached partitioned table.  The row
-- trigger of the partitioned table reaches every partition, also those
-- attached later; statement triggers do not: each partition gets its own,
-- so that a statement aimed at a partition directly is classified like one
-- on the table, and a TRUNCATE of a partition (of orders or of leads)
-- recomputes what it changed.
CREATE OR REPLACE FUNCTION returning_crm._partition_triggers(root regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	kind text := (SELECT x.kind FROM returning_crm.attachment x WHERE x.relid = root);
	fn text := CASE kind WHEN 'orders' THEN 'order' ELSE 'lead' END;
	part regclass;
BEGIN
	IF kind NOT IN ('leads', 'orders') THEN
		RETURN;
	END IF;
	FOR part IN SELECT t.relid FROM pg_partition_tree(root) t WHERE t.relid <> root LOOP
		CONTINUE WHEN EXISTS (SELECT FROM pg_trigger g
							   WHERE g.tgrelid = part AND NOT g.tgisinternal
								 AND g.tgfoid = format('returning_crm.%s_statement_trigger', fn)::regproc);
		PERFORM returning_crm._as_owner(root, format(
			'CREATE TRIGGER zz_returning_statement_begin BEFORE INSERT OR UPDATE OR DELETE ON %s'
			' FOR EACH STATEMENT EXECUTE FUNCTION returning_crm.%s_statement_trigger()', part, fn));
		PERFORM returning_crm._as_owner(root, format(
			'CREATE TRIGGER zz_returning_statement_end AFTER INSERT OR UPDATE OR DELETE ON %s'
			' FOR EACH STATEMENT EXECUTE FUNCTION returning_crm.%s_statement_trigger()', part, fn));
		PERFORM returning_crm._as_owner(root, format(
			'CREATE TRIGGER zz_returning_truncate AFTER TRUNCATE ON %s'
			' FOR EACH STATEMENT EXECUTE FUNCTION returning_crm.%s_truncate_trigger()', part, fn));
	END LOOP;
END
$$;

-- The partitions of the attached partitioned tables, as the DDL event
-- triggers compare them before and after a command.
CREATE OR REPLACE FUNCTION returning_crm._partition_sets()
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce(jsonb_object_agg(x.relid::oid::text,
			(SELECT coalesce(jsonb_agg(t.relid::oid ORDER BY t.relid::oid), '[]')
			   FROM pg_partition_tree(x.relid) t WHERE t.relid <> x.relid)), '{}')
	  FROM returning_crm.attachment x
	  JOIN pg_class c ON c.oid = x.relid AND c.relkind = 'p'
$$;

-- The shared body of attach_leads, attach_orders, attach_contacts and
-- attach_companies.
CREATE OR REPLACE FUNCTION returning_crm._attach(a returning_crm.attachment)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ints regtype[] := '{smallint,integer,bigint}';
	id_num int2;
	tenant_num int2;
	classified bigint;
	saved_work_mem text;
	fn text := CASE a.kind WHEN 'orders' THEN 'order' ELSE 'lead' END;
	phase_at timestamptz;		-- progress notices on large tables
BEGIN
	IF a.relid IS NULL THEN
		RAISE EXCEPTION 'table must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	PERFORM returning_crm._check_owner(a.relid);
	IF (SELECT relkind FROM pg_class WHERE oid = a.relid) NOT IN ('r', 'p') THEN
		RAISE EXCEPTION '% is not a table', a.relid
			USING ERRCODE = 'wrong_object_type',
				  DETAIL = 'Only tables and partitioned tables can be attached; views and foreign tables cannot.';
	END IF;
	IF (SELECT relispartition FROM pg_class WHERE oid = a.relid) THEN
		RAISE EXCEPTION '% is a partition', a.relid
			USING ERRCODE = 'wrong_object_type',
				  HINT = 'Attach the partitioned table it belongs to: its partitions follow.';
	END IF;
	IF EXISTS (SELECT FROM pg_partitioned_table p WHERE p.partrelid = a.relid AND 0 = ANY (p.partattrs)) THEN
		RAISE EXCEPTION 'table % is partitioned by an expression', a.relid
			USING ERRCODE = 'feature_not_supported',
				  DETAIL = 'Only tables partitioned by columns can be attached.';
	END IF;
	IF (SELECT relpersistence FROM pg_class WHERE oid = a.relid) = 't' THEN
		RAISE EXCEPTION '% is a temporary table', a.relid
			USING ERRCODE = 'wrong_object_type',
				  DETAIL = 'A temporary table goes with its session, and its attachment would stay behind.';
	END IF;
	IF a.workspace IS NULL OR a.workspace = '' THEN
		RAISE EXCEPTION 'workspace must not be empty' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF a.id_column IS NULL THEN
		RAISE EXCEPTION 'id_column must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF array_position(a.email_columns, NULL) IS NOT NULL THEN
		RAISE EXCEPTION 'email_columns must not contain NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF array_position(a.phone_columns, NULL) IS NOT NULL THEN
		RAISE EXCEPTION 'phone_columns must not contain NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	a.column_prefix := coalesce(a.column_prefix, '');
	a.match_on_insert := coalesce(a.match_on_insert, false);
	a.email_columns := coalesce(a.email_columns, '{}');
	a.phone_columns := coalesce(a.phone_columns, '{}');
	-- the caller may attach into the workspace (and owns it when it is new)
	PERFORM returning_crm._check_workspace(a.workspace);

	-- Lock the table first, so that nothing changes it between the checks
	-- and the classification.
	PERFORM returning_crm._as_owner(a.relid, format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', a.relid));

	IF EXISTS (SELECT FROM returning_crm.attachment x WHERE x.relid = a.relid) THEN
		RAISE EXCEPTION 'table % is already attached', a.relid
			USING ERRCODE = 'duplicate_object',
				  HINT = 'Use returning_crm.detach() first to attach it with another mapping.';
	END IF;
	IF EXISTS (SELECT FROM returning_crm.attachment x
				WHERE x.workspace = a.workspace AND x.kind = a.kind) THEN
		RAISE EXCEPTION 'workspace "%" already has an attached % table', a.workspace, a.kind
			USING ERRCODE = 'duplicate_object',
				  DETAIL = format('It is %s.', (SELECT x.relid FROM returning_crm.attachment x
												 WHERE x.workspace = a.workspace AND x.kind = a.kind)),
				  HINT = 'Attach the table to another workspace.';
	END IF;

	-- The mapped columns and their types
	PERFORM returning_crm._column_type(a.relid, a.id_column, 'id_column', ints);
	PERFORM returning_crm._column_type(a.relid, a.contact_column, 'contact_column', ints);
	PERFORM returning_crm._column_type(a.relid, a.company_column, 'company_column', ints);
	IF a.kind IN ('leads', 'orders') AND a.contact_column IS NULL AND a.company_column IS NULL THEN
		RAISE EXCEPTION 'a client column is required'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give contact_column, company_column or both.';
	END IF;
	PERFORM returning_crm._column_type(a.relid, a.status_column,
		CASE a.kind WHEN 'orders' THEN 'stage_column' ELSE 'status_column' END);
	IF a.kind IN ('leads', 'orders') AND a.status_column IS NULL THEN
		RAISE EXCEPTION '% must not be NULL',
			CASE a.kind WHEN 'orders' THEN 'stage_column' ELSE 'status_column' END
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	a.success_values := coalesce(a.success_values, '{}');
	a.failure_values := coalesce(a.failure_values, '{}');
	IF array_position(a.success_values, NULL) IS NOT NULL
	   OR array_position(a.failure_values, NULL) IS NOT NULL THEN
		RAISE EXCEPTION 'status and stage value lists must not contain NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF a.success_values && a.failure_values THEN
		RAISE EXCEPTION 'a value cannot be both %',
			CASE a.kind WHEN 'orders' THEN 'won and lost' ELSE 'success and failure' END
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = format('Both lists contain %s.',
								  array_to_string(array(SELECT unnest(a.success_values)
														INTERSECT SELECT unnest(a.failure_values)), ', '));
	END IF;
	-- Every value must be a value of the status or stage column's type
	DECLARE
		v text;
		typ regtype := returning_crm._column_type(a.relid, a.status_column, 'status_column');
	BEGIN
		FOREACH v IN ARRAY a.success_values || a.failure_values LOOP
			BEGIN
				-- the type's input function and a domain's checks are the
				-- owner's code: run as the owner
				PERFORM returning_crm._as_owner(a.relid, format('SELECT %L::%s', v, typ));
			EXCEPTION WHEN data_exception THEN
				RAISE EXCEPTION '"%" is not a value of type % of column "%"', v, typ, a.status_column
					USING ERRCODE = 'invalid_text_representation',
						  DETAIL = 'Every status or stage value must be a value of the column''s type.';
			END;
		END LOOP;
	END;
	PERFORM returning_crm._column_type(a.relid, a.lead_column, 'lead_column', ints);
	PERFORM returning_crm._column_type(a.relid, a.pipeline_column, 'pipeline_column');
	PERFORM returning_crm._column_type(a.relid, a.amount_column, 'amount_column');
	PERFORM returning_crm._column_type(a.relid, a.name_column, 'name_column',
									   '{text,character varying}');
	PERFORM returning_crm._column_type(a.relid, a.title_column, 'title_column',
									   '{text,character varying}');
	PERFORM returning_crm._column_type(a.relid, a.responsible_column, 'responsible_column');
	PERFORM returning_crm._column_type(a.relid, c, 'email_columns',
									   '{text,character varying,text[],character varying[]}')
	   FROM unnest(a.email_columns) c;
	PERFORM returning_crm._column_type(a.relid, c, 'phone_columns',
									   '{text,character varying,text[],character varying[]}')
	   FROM unnest(a.phone_columns) c;
	IF a.ordered_by IS NOT NULL AND NOT returning_crm._has_ordering(
			returning_crm._column_type(a.relid, a.ordered_by, 'ordered_by')) THEN
		RAISE EXCEPTION 'column "%" of table % cannot order orders', a.ordered_by, a.relid
			USING ERRCODE = 'datatype_mismatch',
				  DETAIL = 'The ordered_by column needs a type with a default btree ordering.';
	END IF;
	IF a.tenant_column IS NOT NULL THEN
		PERFORM returning_crm._column_type(a.relid, a.tenant_column, 'tenant_column');
		IF NOT (SELECT attnotnull FROM pg_attribute
				 WHERE attrelid = a.relid AND attname = a.tenant_column) THEN
			RAISE EXCEPTION 'tenant column "%" of table % must be NOT NULL', a.tenant_column, a.relid
				USING ERRCODE = 'invalid_table_definition',
					  HINT = format('ALTER TABLE %s ALTER COLUMN %I SET NOT NULL', a.relid, a.tenant_column);
		END IF;
	END IF;

	-- Rows are told apart by their id: it must be unique
	SELECT attnum INTO id_num FROM pg_attribute WHERE attrelid = a.relid AND attname = a.id_column;
	SELECT attnum INTO tenant_num FROM pg_attribute WHERE attrelid = a.relid AND attname = a.tenant_column;
	-- (with the tenant, and on a partitioned table with its partition key)
	IF NOT EXISTS (
		SELECT FROM pg_index i
		 WHERE i.indrelid = a.relid AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
		   AND id_num = ANY (i.indkey::int2[])
		   AND (i.indkey::int2[])[0:i.indnkeyatts - 1] <@
				(ARRAY[id_num, coalesce(tenant_num, 0::int2)]::int2[]
				 || coalesce((SELECT p.partattrs::int2[] FROM pg_partitioned_table p
							  WHERE p.partrelid = a.relid), '{}'::int2[]))) THEN
		RAISE EXCEPTION 'table % has no unique index on its id column "%"', a.relid, a.id_column
			USING ERRCODE = 'invalid_table_definition',
				  HINT = 'Make the id column the primary key, or give another id_column.';
	END IF;

	IF a.kind = 'orders' AND a.lead_column IS NOT NULL AND NOT EXISTS (
		SELECT FROM returning_crm.attachment x WHERE x.workspace = a.workspace AND x.kind = 'leads') THEN
		RAISE EXCEPTION 'workspace "%" has no attached leads table', a.workspace
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = format('The orders table %s links to leads through "%s".', a.relid, a.lead_column),
				  HINT = 'Attach the leads table with returning_crm.attach_leads() first.';
	END IF;

	a.attached_at := now();
	phase_at := clock_timestamp();
	IF a.kind IN ('leads', 'orders')
	   AND NOT EXISTS (SELECT FROM pg_attribute
					    WHERE attrelid = a.relid AND attname = a.column_prefix || 'returning_state'
						  AND NOT attisdropped)
	   AND (a.kind = 'leads' OR a.tenant_column IS NULL)
	   AND (SELECT relkind FROM pg_class WHERE oid = a.relid) = 'r' THEN
		-- First attachment: compute the states, then add the generated
		-- columns and fill the state column in one rewrite of the table.
		PERFORM returning_crm._add_columns(a.relid, a.kind, a.column_prefix, check_only => true);
		PERFORM returning_crm._as_owner(a.relid, format('ALTER TABLE %s ADD COLUMN %I pg_catalog.text',
														 a.relid, a.column_prefix || 'returning_state'));
		PERFORM returning_crm._as_owner(a.relid, format('COMMENT ON COLUMN %s.%I IS %L', a.relid,
			a.column_prefix || 'returning_state', returning_crm._column_comment(a.kind, 'returning_state')));
		IF a.kind = 'orders' THEN
			-- read by the rules (rule 2): there before the states are computed
			PERFORM returning_crm._as_owner(a.relid, format('ALTER TABLE %s ADD COLUMN %I pg_catalog.bool',
															 a.relid, a.column_prefix || 'returning_routed'));
			PERFORM returning_crm._as_owner(a.relid, format('COMMENT ON COLUMN %s.%I IS %L', a.relid,
				a.column_prefix || 'returning_routed', returning_crm._column_comment(a.kind, 'returning_routed')));
		END IF;
		PERFORM returning_crm._config_write('attach', a.workspace, a.relid, to_jsonb(a));
		IF a.kind = 'orders' THEN
			-- one sort of the whole table: give it memory for the time of it
			saved_work_mem := current_setting('work_mem');
			PERFORM set_config('work_mem', greatest(pg_size_bytes(saved_work_mem) / 1024,
													262144)::text || 'kB', true);
			classified := returning_crm._load_states(a.relid);
			PERFORM set_config('work_mem', saved_work_mem, true);
			phase_at := returning_crm._progress(a.relid, 'attach_orders', 'classify', classified, phase_at,
				next_phase => 'rewrite');
			PERFORM returning_crm._add_columns(a.relid, a.kind, a.column_prefix,
				format('returning_crm._initial_state(%I::pg_catalog.int8)', a.id_column));
		ELSE
			PERFORM returning_crm._add_columns(a.relid, a.kind, a.column_prefix,
				format('CASE WHEN %I::pg_catalog.text OPERATOR(pg_catalog.=) ANY (%L::pg_catalog.text[]) THEN %L WHEN (%s) IS TRUE THEN %L ELSE %L END',
					   a.status_column, a.success_values, 'new',
					   concat_ws(' OR ',
						   CASE WHEN a.company_column IS NOT NULL
								THEN format('%I OPERATOR(pg_catalog.<>) 0', a.company_column) END,
						   CASE WHEN a.contact_column IS NOT NULL
								THEN format('%I OPERATOR(pg_catalog.<>) 0', a.contact_column) END),
					   'repeat', 'new'));
			classified := returning_crm._as_owner(a.relid, format('SELECT pg_catalog.count(*) FROM %s', a.relid));
		END IF;
		phase_at := returning_crm._progress(a.relid, 'attach_' || a.kind, 'rewrite', classified, phase_at,
			next_phase => 'indexes');
	ELSE
		IF a.kind IN ('leads', 'orders') THEN
			PERFORM returning_crm._add_columns(a.relid, a.kind, a.column_prefix);
		END IF;
		PERFORM returning_crm._config_write('attach', a.workspace, a.relid, to_jsonb(a));
		classified := returning_crm._classify(a.relid);
		phase_at := returning_crm._progress(a.relid, 'attach_' || a.kind, 'classify', NULL, phase_at, classified,
			next_phase => 'indexes');
	END IF;
	IF a.kind IN ('leads', 'orders') THEN
		PERFORM returning_crm._create_indexes(a);
	END IF;
	-- Leads, contacts and companies: indexes by normalised e-mail and phone
	PERFORM returning_crm._create_identity_indexes(a);
	phase_at := returning_crm._progress(a.relid, 'attach_' || a.kind, 'indexes', NULL, phase_at);

	-- Contacts and companies get no trigger
	IF a.kind NOT IN ('leads', 'orders') THEN
		RETURN classified;
	END IF;

	PERFORM returning_crm._create_triggers(a.relid);
	-- the partner's triggers carry this table in their configuration
	PERFORM returning_crm._create_triggers(x.relid) FROM returning_crm.attachment x
	  WHERE x.workspace = a.workspace AND x.relid <> a.relid
		AND x.kind = CASE a.kind WHEN 'orders' THEN 'leads' ELSE 'orders' END;
	PERFORM returning_crm._partition_triggers(a.relid);
	-- the monthly report view beside the table (src/sql/35_reports.sql)
	PERFORM returning_crm._create_report_view(a);
	RETURN classified;
END
$$;

CREATE OR REPLACE FUNCTION returning_crm.attach_leads(
	table_name regclass,
	id_column name DEFAULT 'id',
	contact_column name DEFAULT 'contact_id',
	company_column name DEFAULT 'company_id',
	status_column name DEFAULT 'status',
	success_values text[] DEFAULT '{converted}',
	failure_values text[] DEFAULT '{junk}',
	new_status text DEFAULT 'new',
	match_on_insert boolean DEFAULT false,
	title_column name DEFAULT NULL,
	email_columns name[] DEFAULT '{}',
	phone_columns name[] DEFAULT '{}',
	tenant_column name DEFAULT NULL,
	column_prefix text DEFAULT '',
	workspace text DEFAULT 'default',
	responsible_column name DEFAULT NULL,
	date_column name DEFAULT NULL,
	report_views boolean DEFAULT true)
RETURNS bigint
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT returning_crm._attach(jsonb_populate_record(NULL::returning_crm.attachment,
		jsonb_build_object(
			'relid', table_name::oid, 'workspace', workspace, 'kind', 'leads',
			'responsible_column', responsible_column,
			'date_column', date_column, 'report_views', coalesce(report_views, true),
			'id_column', id_column, 'contact_column', contact_column,
			'company_column', company_column, 'status_column', status_column,
			'success_values', success_values, 'failure_values', failure_values,
			'new_status', new_status, 'match_on_insert', coalesce(match_on_insert, false),
			'title_column', title_column,
			'email_columns', coalesce(email_columns, '{}'), 'phone_columns', coalesce(phone_columns, '{}'),
			'tenant_column', tenant_column, 'column_prefix', column_prefix)))
$$;

CREATE OR REPLACE FUNCTION returning_crm.attach_orders(
	table_name regclass,
	id_column name DEFAULT 'id',
	contact_column name DEFAULT 'contact_id',
	company_column name DEFAULT 'company_id',
	stage_column name DEFAULT 'stage',
	won_values text[] DEFAULT '{won}',
	lost_values text[] DEFAULT '{lost}',
	lead_column name DEFAULT NULL,
	ordered_by name DEFAULT NULL,
	pipeline_column name DEFAULT NULL,
	amount_column name DEFAULT NULL,
	new_stage text DEFAULT 'new',
	title_column name DEFAULT NULL,
	email_columns name[] DEFAULT '{}',
	phone_columns name[] DEFAULT '{}',
	tenant_column name DEFAULT NULL,
	column_prefix text DEFAULT '',
	workspace text DEFAULT 'default',
	responsible_column name DEFAULT NULL,
	date_column name DEFAULT NULL,
	report_views boolean DEFAULT true)
RETURNS bigint
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT returning_crm._attach(jsonb_populate_record(NULL::returning_crm.attachment,
		jsonb_build_object(
			'relid', table_name::oid, 'workspace', workspace, 'kind', 'orders',
			'responsible_column', responsible_column,
			-- the report's date: ordered_by when that is a date or timestamp
			'date_column', coalesce(date_column, CASE WHEN returning_crm._date_type(table_name, ordered_by)
															IS NOT NULL THEN ordered_by END),
			'report_views', coalesce(report_views, true),
			'id_column', id_column, 'contact_column', contact_column,
			'company_column', company_column, 'status_column', stage_column,
			'success_values', won_values, 'failure_values', lost_values,
			'lead_column', lead_column, 'ordered_by', ordered_by,
			'pipeline_column', pipeline_column, 'amount_column', amount_column,
			'new_status', new_stage, 'title_column', title_column,
			'email_columns', coalesce(email_columns, '{}'), 'phone_columns', coalesce(phone_columns, '{}'),
			'tenant_column', tenant_column, 'column_prefix', column_prefix)))
$$;

COMMENT ON FUNCTION returning_crm.attach_leads(regclass, name, name, name, name, text[], text[], text,
											   boolean, name, name[], name[], name, text, text, name,
											   name, boolean) IS
	'Attaches a leads table: adds returning_state and is_repeat, installs the triggers and classifies the rows already there; with a date_column, creates the monthly report view beside it.';
COMMENT ON FUNCTION returning_crm.attach_orders(regclass, name, name, name, name, text[], text[], name,
												name, name, name, text, name, name[], name[], name, text, text, name,
												name, boolean) IS
	'Attaches an orders table: adds returning_state, is_new, is_repeat and is_repeated_inquiry, installs the triggers and classifies the rows already there; with a date (date_column, or ordered_by when it is one), creates the monthly report view beside it.';

-- Detach: the triggers and the indexes that served only them (including the
-- matching indexes on e-mail and phone columns) go; the added columns, their
-- data and the indexes on them stay.  The triggers and indexes are the
-- extension's by their functions and comments, whatever their names.
CREATE OR REPLACE FUNCTION returning_crm.detach(table_name regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	a returning_crm.attachment;
	trg name;
	part regclass;
	idx regclass;
	dependent regclass;
BEGIN
	IF table_name IS NULL THEN
		RAISE EXCEPTION 'table must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	PERFORM returning_crm._check_owner(table_name);
	SELECT * INTO a FROM returning_crm.attachment x WHERE x.relid = table_name;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'table % is not attached', table_name
			USING ERRCODE = 'undefined_object';
	END IF;
	IF a.kind = 'leads' THEN
		SELECT x.relid INTO dependent FROM returning_crm.attachment x
		 WHERE x.workspace = a.workspace AND x.kind = 'orders' AND x.lead_column IS NOT NULL;
		IF FOUND THEN
			RAISE EXCEPTION 'orders table % depends on leads table %', dependent, table_name
				USING ERRCODE = 'dependent_objects_still_exist',
					  HINT = 'Detach the orders table first.';
		END IF;
	END IF;

	-- the table's triggers, and those of its partitions
	FOR part IN SELECT table_name
				 UNION
				SELECT t.relid FROM pg_partition_tree(table_name) t LOOP
		FOR trg IN SELECT * FROM returning_crm._extension_triggers(part) LOOP
			CONTINUE WHEN part <> table_name AND trg = 'zz_returning_row';	-- the parent's
			PERFORM returning_crm._as_owner(table_name, format('DROP TRIGGER %I ON %s', trg, part));
		END LOOP;
	END LOOP;
	FOR idx IN
		SELECT i.indexrelid::regclass FROM pg_index i
		 WHERE i.indrelid = table_name
		   AND obj_description(i.indexrelid, 'pg_class') LIKE 'Kept by the returning extension for %; detach drops it.%'
	LOOP
		PERFORM returning_crm._as_owner(table_name, format('DROP INDEX %s', idx));
	END LOOP;
	PERFORM returning_crm._drop_identity_indexes(table_name);
	PERFORM returning_crm._drop_report_view(a);

	PERFORM returning_crm._config_write('detach', a.workspace, table_name, NULL);
	-- the partner's triggers no longer name this table
	PERFORM returning_crm._create_triggers(x.relid) FROM returning_crm.attachment x
	  WHERE x.workspace = a.workspace AND x.kind IN ('leads', 'orders');
END
$$;
COMMENT ON FUNCTION returning_crm.detach(regclass) IS
	'Detaches a table: removes the triggers; the added columns and their data stay.';

-- A dropped table is detached: its attachment goes with it.  As with detach(), a leads table cannot go while
-- an orders table of its workspace links to it and stays.
CREATE OR REPLACE FUNCTION returning_crm._on_drop()
RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	dropped oid[];
	leads_name text;
	dependent regclass;
BEGIN
	SELECT array_agg(d.objid) INTO dropped
	  FROM pg_event_trigger_dropped_objects() d
	 WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0
	   AND d.objid IN (SELECT x.relid FROM returning_crm.attachment x);
	IF dropped IS NULL THEN
		RETURN;
	END IF;

	SELECT d.object_identity, o.relid INTO leads_name, dependent
	  FROM pg_event_trigger_dropped_objects() d
	  JOIN returning_crm.attachment l ON l.relid = d.objid AND l.kind = 'leads'
	  JOIN returning_crm.attachment o ON o.workspace = l.workspace AND o.kind = 'orders'
	   AND o.lead_column IS NOT NULL
	 WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0
	   AND o.relid <> ALL (dropped)
	 LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'cannot drop leads table %: orders table % links to it', leads_name, dependent
			USING ERRCODE = 'dependent_objects_still_exist',
				  HINT = 'Detach the orders table first with returning_crm.detach(), or drop both.';
	END IF;

	-- the tables are gone: _config_write lets anyone remove what is left
	PERFORM returning_crm._config_write('detach', x.workspace, x.relid, NULL)
	   FROM returning_crm.attachment x WHERE x.relid = ANY (dropped);
END
$$;

-- An event trigger function is not called directly; nobody needs EXECUTE.
REVOKE ALL ON FUNCTION returning_crm._on_drop() FROM PUBLIC;

CREATE EVENT TRIGGER returning_drop ON sql_drop
	EXECUTE FUNCTION returning_crm._on_drop();
COMMENT ON EVENT TRIGGER returning_drop IS
	'Detaches tables that are dropped: removes their rows from returning_crm.attachment.';

-- Partitions of attached partitioned tables.  Before ALTER TABLE and DROP
-- TABLE the partitions of those tables are noted; after them, and after
-- CREATE TABLE, every partition gets the extension's triggers, a partition
-- that left (DETACH PARTITION) loses them, and a table whose partitions
-- changed (ATTACH, DETACH or DROP of a partition: its clients' history
-- changed) is reclassified, so that no state is left wrong.
CREATE OR REPLACE FUNCTION returning_crm._on_ddl_start()
RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM set_config('returning.partitions', returning_crm._partition_sets()::text, true);
END
$$;

CREATE OR REPLACE FUNCTION returning_crm._on_ddl_end()
RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	before jsonb := nullif(current_setting('returning.partitions', true), '')::jsonb;
	now jsonb := returning_crm._partition_sets();
	root text;
	gone oid;
	trg name;
BEGIN
	PERFORM set_config('returning.partitions', '', true);
	FOR root IN SELECT jsonb_object_keys(now) LOOP
		PERFORM returning_crm._partition_triggers(root::oid::regclass);
		CONTINUE WHEN before IS NULL OR NOT before ? root OR before -> root = now -> root;
		FOR gone IN SELECT (x #>> '{}')::oid FROM jsonb_array_elements(before -> root) x
					 WHERE NOT (now -> root) @> jsonb_build_array(x) LOOP
			CONTINUE WHEN NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = gone);
			FOR trg IN SELECT * FROM returning_crm._extension_triggers(gone::regclass) LOOP
				PERFORM returning_crm._as_owner(gone::regclass,
					format('DROP TRIGGER %I ON %s', trg, gone::regclass));
			END LOOP;
		END LOOP;
		PERFORM returning_crm.reclassify(root::oid::regclass);
	END LOOP;
END
$$;
REVOKE ALL ON FUNCTION returning_crm._on_ddl_start() FROM PUBLIC;
REVOKE ALL ON FUNCTION returning_crm._on_ddl_end() FROM PUBLIC;

CREATE EVENT TRIGGER returning_ddl_start ON ddl_command_start
	WHEN TAG IN ('ALTER TABLE', 'DROP TABLE')
	EXECUTE FUNCTION returning_crm._on_ddl_start();
CREATE EVENT TRIGGER returning_ddl_end ON ddl_command_end
	WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE', 'DROP TABLE')
	EXECUTE FUNCTION returning_crm._on_ddl_end();
COMMENT ON EVENT TRIGGER returning_ddl_start IS
	'Notes the partitions of attached partitioned tables before ALTER TABLE and DROP TABLE.';
COMMENT ON EVENT TRIGGER returning_ddl_end IS
	'Gives new partitions of attached tables the extension''s triggers and reclassifies a table whose partitions changed.';

CREATE OR REPLACE FUNCTION returning_crm.reclassify(table_name regclass)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ws text;
	changed bigint;
	phase_at timestamptz;
BEGIN
	IF table_name IS NULL THEN
		RAISE EXCEPTION 'table must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	PERFORM returning_crm._check_owner(table_name);
	SELECT x.workspace INTO ws FROM returning_crm.attachment x WHERE x.relid = table_name;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'table % is not attached', table_name
			USING ERRCODE = 'undefined_object';
	END IF;
	PERFORM returning_crm._as_owner(table_name, format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', table_name));
	phase_at := clock_timestamp();
	changed := returning_crm._classify(table_name);
	PERFORM returning_crm._progress(table_name, 'reclassify', 'classify', NULL, phase_at, changed);
	-- for returning_crm.status
	PERFORM returning_crm._config_write('attachment_notes', ws, table_name,
										jsonb_build_object('reclassify_changed', changed));
	RETURN changed;
END
$$;
COMMENT ON FUNCTION returning_crm.reclassify(regclass) IS
	'Recomputes the state of every row of an attached table, set-based, and returns how many rows changed; notes the time and the count for returning_crm.status.';
