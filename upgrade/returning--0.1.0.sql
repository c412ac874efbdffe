-- returning: the extension's own configuration.
-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION ""returning""" to load this file. \quit

-- One row per attached table.  Kept by pg_dump (pg_extension_config_dump),
-- readable by everyone, written only through the attach and detach
-- functions.
CREATE TABLE returning_crm.attachment (
	relid			regclass PRIMARY KEY,
	workspace		text NOT NULL,
	kind			text NOT NULL CHECK (kind IN ('leads', 'orders', 'contacts', 'companies')),
	id_column		name NOT NULL,
	contact_column	name,
	company_column	name,
	status_column	name,
	success_values	text[],
	failure_values	text[],
	lead_column		name,
	ordered_by		name,
	pipeline_column	name,
	amount_column	name,
	new_status		text,
	match_on_insert	boolean NOT NULL DEFAULT false,
	name_column		name,
	title_column	name,
	email_columns	name[] NOT NULL DEFAULT '{}',
	phone_columns	name[] NOT NULL DEFAULT '{}',
	tenant_column	name,
	column_prefix	text NOT NULL DEFAULT '',
	attached_at		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	UNIQUE (workspace, kind)
);

COMMENT ON TABLE returning_crm.attachment IS
	'Tables attached to the returning extension, one row each, with the mapping of their columns. Written by the attach_* and detach functions.';
COMMENT ON COLUMN returning_crm.attachment.status_column IS
	'The status column of a leads table, or the stage column of an orders table.';
COMMENT ON COLUMN returning_crm.attachment.success_values IS
	'Closed-success statuses of leads, or won stages of orders.';
COMMENT ON COLUMN returning_crm.attachment.failure_values IS
	'Closed-failure statuses of leads, or lost stages of orders.';
COMMENT ON COLUMN returning_crm.attachment.new_status IS
	'The status (leads) or stage (orders) of rows that inquiry routing inserts.';

SELECT pg_catalog.pg_extension_config_dump('returning_crm.attachment', '');

REVOKE ALL ON returning_crm.attachment FROM PUBLIC;
GRANT SELECT ON returning_crm.attachment TO PUBLIC;
-- Normalised e-mail addresses and phone numbers (src/normalize.c).

CREATE FUNCTION returning_crm.normalize_email(text)
RETURNS text
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'normalize_email';

COMMENT ON FUNCTION returning_crm.normalize_email(text) IS
'Returns the e-mail address in the field, trimmed and lower-cased (ASCII letters only), or NULL when it holds no valid address. A display name ("Anna <anna@example.de>") is dropped, and of several addresses separated by commas or semicolons the first valid one is taken.';

CREATE FUNCTION returning_crm.normalize_phone(text, region text)
RETURNS text
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'normalize_phone';

COMMENT ON FUNCTION returning_crm.normalize_phone(text, text) IS
'Returns the phone number in E.164 format (+4930123456), or NULL when libphonenumber does not judge it a valid number. The region is an ISO 3166-1 alpha-2 code (any case) used for numbers in national format; an unknown region is an error. Extensions are dropped.';

CREATE FUNCTION returning_crm.normalize_phone(text)
RETURNS text
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'normalize_phone_international';

COMMENT ON FUNCTION returning_crm.normalize_phone(text) IS
'Returns the phone number in E.164 format (+4930123456) when it is written in international format (with + or 00) and valid, else NULL. Extensions are dropped.';
-- Attaching to an application's tables: validation, added columns, indexes,
-- triggers, and the first set-based classification.

CREATE FUNCTION returning_crm._check_owner(regclass) RETURNS void
	LANGUAGE C STRICT AS 'MODULE_PATHNAME', 'returning_check_owner';
CREATE FUNCTION returning_crm._classify(regclass) RETURNS bigint
	LANGUAGE C STRICT AS 'MODULE_PATHNAME', 'returning_classify';
CREATE FUNCTION returning_crm._invalidate(regclass) RETURNS void
	LANGUAGE C STRICT AS 'MODULE_PATHNAME', 'returning_invalidate';
CREATE FUNCTION returning_crm._won_condition(regclass) RETURNS text
	LANGUAGE C STRICT AS 'MODULE_PATHNAME', 'returning_won_condition';
CREATE FUNCTION returning_crm._load_states(regclass) RETURNS bigint
	LANGUAGE C STRICT AS 'MODULE_PATHNAME', 'returning_load_states';
CREATE FUNCTION returning_crm._initial_state(bigint) RETURNS text
	LANGUAGE C STRICT VOLATILE AS 'MODULE_PATHNAME', 'returning_initial_state';
REVOKE ALL ON FUNCTION returning_crm._check_owner(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION returning_crm._classify(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION returning_crm._invalidate(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION returning_crm._won_condition(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION returning_crm._load_states(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION returning_crm._initial_state(bigint) FROM PUBLIC;

-- The triggers: row triggers classify, statement triggers bracket each
-- statement and recompute what its rows changed.
CREATE FUNCTION returning_crm.order_row_trigger() RETURNS trigger
	LANGUAGE C AS 'MODULE_PATHNAME', 'order_row_trigger';
CREATE FUNCTION returning_crm.order_statement_trigger() RETURNS trigger
	LANGUAGE C AS 'MODULE_PATHNAME', 'order_statement_trigger';
CREATE FUNCTION returning_crm.lead_row_trigger() RETURNS trigger
	LANGUAGE C AS 'MODULE_PATHNAME', 'lead_row_trigger';
CREATE FUNCTION returning_crm.lead_statement_trigger() RETURNS trigger
	LANGUAGE C AS 'MODULE_PATHNAME', 'lead_statement_trigger';
CREATE FUNCTION returning_crm.lead_truncate_trigger() RETURNS trigger
	LANGUAGE C AS 'MODULE_PATHNAME', 'lead_truncate_trigger';

COMMENT ON FUNCTION returning_crm.order_row_trigger() IS
	'Classifies each inserted or updated order of an attached orders table.';
COMMENT ON FUNCTION returning_crm.order_statement_trigger() IS
	'Recomputes the orders of the clients whose history a statement changed.';
COMMENT ON FUNCTION returning_crm.lead_row_trigger() IS
	'Classifies each inserted or updated lead of an attached leads table.';
COMMENT ON FUNCTION returning_crm.lead_statement_trigger() IS
	'Recomputes the orders of the leads whose state a statement changed.';
COMMENT ON FUNCTION returning_crm.lead_truncate_trigger() IS
	'Recomputes the orders of a workspace after its leads table is truncated.';

-- The type of a mapped column, or an error naming the parameter that gave it.
-- allowed: the accepted base types, or NULL for any type.
CREATE FUNCTION returning_crm._column_type(rel regclass, col name, parameter text,
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
CREATE FUNCTION returning_crm._column_comment(kind text, col text)
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
CREATE FUNCTION returning_crm._add_columns(rel regclass, kind text, prefix text,
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
	FOREACH col IN ARRAY ARRAY['returning_state'] || array(SELECT 'is_' || x FROM unnest(flags) x) LOOP
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
			adds := adds || format('ADD COLUMN %I text', prefix || col);
		ELSE
			adds := adds || format('ADD COLUMN %I boolean GENERATED ALWAYS AS (%I = %L) STORED',
								   prefix || col, state_col, substr(col, 4));
		END IF;
	END LOOP;

	IF check_only THEN
		RETURN;
	END IF;
	IF state_using IS NOT NULL THEN
		adds := format('ALTER COLUMN %I TYPE text USING %s', state_col, state_using) || adds;
	END IF;
	IF cardinality(adds) > 0 THEN
		EXECUTE format('ALTER TABLE %s %s', rel, array_to_string(adds, ', '));
	END IF;
	FOREACH col IN ARRAY ARRAY['returning_state'] || array(SELECT 'is_' || x FROM unnest(flags) x) LOOP
		EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', rel, prefix || col,
					   returning_crm._column_comment(kind, col));
	END LOOP;
END
$$;

-- Does an index of the table start with these columns?
CREATE FUNCTION returning_crm._has_index_on(rel regclass, cols name[])
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT EXISTS (
		SELECT FROM pg_index i
		 WHERE i.indrelid = rel AND i.indisvalid AND i.indpred IS NULL
		   AND (SELECT array_agg(a.attname ORDER BY k.n)
				  FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
				  JOIN pg_attribute a ON a.attrelid = rel AND a.attnum = k.attnum
				 WHERE k.n <= cardinality(cols)) = cols)
$$;

-- The indexes the rules need and the partial indexes that make the rarer
-- states cheap to pick out.
CREATE FUNCTION returning_crm._create_indexes(a returning_crm.attachment)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	base text := left((SELECT relname FROM pg_class WHERE oid = a.relid), 36)
				 || '_' || a.column_prefix || 'returning';
	t text := CASE WHEN a.tenant_column IS NULL THEN '' ELSE format('%I, ', a.tenant_column) END;
	pos text := CASE WHEN a.ordered_by IS NULL THEN format('%I', a.id_column)
					 ELSE format('%I, %I', a.ordered_by, a.id_column) END;
	company_cond text := CASE WHEN a.company_column IS NOT NULL
						 THEN format('%I <> 0', a.company_column) END;
	contact_cond text := CASE WHEN a.contact_column IS NULL THEN NULL
						 WHEN a.company_column IS NULL THEN format('%I <> 0', a.contact_column)
						 ELSE format('(%I IS NULL OR %I = 0) AND %I <> 0', a.company_column,
									 a.company_column, a.contact_column) END;
	won_cond text := CASE WHEN a.kind = 'orders' THEN returning_crm._won_condition(a.relid) END;
	-- A won order is repeat unless it is its client's first won order
	first_cond text := format('%I IS DISTINCT FROM %L', a.column_prefix || 'returning_state', 'repeat');
	tenant_cols name[] := CASE WHEN a.tenant_column IS NULL THEN '{}'::name[] ELSE ARRAY[a.tenant_column] END;
BEGIN
	IF a.kind = 'orders' THEN
		-- Finding a client's orders: the application's own index on the
		-- client column serves when there is one.
		-- A client's first won order: the partial indexes hold the won
		-- orders that are not repeat, which are exactly the first won order
		-- of each client (a later one has a won order before it).  So they
		-- hold one row per client that ever won, not every won order.  They
		-- test the stage first: most rows are not won, and an insert then
		-- skips the rest of the predicate.
		IF a.company_column IS NOT NULL THEN
			IF NOT returning_crm._has_index_on(a.relid, tenant_cols || a.company_column) THEN
				EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s (%s%I, %s) WHERE %s',
							   left(base || '_company', 63), a.relid, t, a.company_column, pos, company_cond);
			END IF;
			EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s (%s%I, %s) WHERE %s AND %s AND %s',
						   left(base || '_won_company', 63), a.relid, t, a.company_column, pos,
						   won_cond, first_cond, company_cond);
		END IF;
		IF a.contact_column IS NOT NULL THEN
			IF NOT returning_crm._has_index_on(a.relid, tenant_cols || a.contact_column) THEN
				EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s (%s%I, %s) WHERE %s',
							   left(base || '_contact', 63), a.relid, t, a.contact_column, pos, contact_cond);
			END IF;
			EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s (%s%I, %s) WHERE %s AND %s AND %s',
						   left(base || '_won_contact', 63), a.relid, t, a.contact_column, pos,
						   won_cond, first_cond, contact_cond);
		END IF;
		IF a.lead_column IS NOT NULL
		   AND NOT returning_crm._has_index_on(a.relid, ARRAY[a.lead_column])
		   AND NOT returning_crm._has_index_on(a.relid, tenant_cols || a.lead_column) THEN
			EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s (%s%I)',
						   left(base || '_lead', 63), a.relid, t, a.lead_column);
		END IF;
		-- Repeated inquiries are the rarest state: picking them out reads
		-- only them.
		EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s (%s) WHERE %I',
					   left(base || '_repeated_inquiry', 63), a.relid, pos,
					   a.column_prefix || 'is_repeated_inquiry');
	ELSIF a.kind = 'leads' THEN
		EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s (%I) WHERE %I',
					   left(base || '_repeat', 63), a.relid, a.id_column,
					   a.column_prefix || 'is_repeat');
	END IF;
END
$$;

-- The shared body of attach_leads, attach_orders, attach_contacts and
-- attach_companies.
CREATE FUNCTION returning_crm._attach(a returning_crm.attachment)
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
BEGIN
	IF a.relid IS NULL THEN
		RAISE EXCEPTION 'table must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	PERFORM returning_crm._check_owner(a.relid);
	IF (SELECT relkind FROM pg_class WHERE oid = a.relid) <> 'r' THEN
		RAISE EXCEPTION '% is not a table', a.relid
			USING ERRCODE = 'wrong_object_type',
				  DETAIL = 'Only ordinary tables can be attached; partitioned tables, views and foreign tables cannot.';
	END IF;
	IF a.workspace IS NULL OR a.workspace = '' THEN
		RAISE EXCEPTION 'workspace must not be empty' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	a.column_prefix := coalesce(a.column_prefix, '');
	a.match_on_insert := coalesce(a.match_on_insert, false);
	a.email_columns := coalesce(a.email_columns, '{}');
	a.phone_columns := coalesce(a.phone_columns, '{}');

	-- Lock the table first, so that nothing changes it between the checks
	-- and the classification.
	EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', a.relid);

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
				EXECUTE format('SELECT %L::%s', v, typ);
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
	PERFORM returning_crm._column_type(a.relid, c, 'email_columns',
									   '{text,character varying,text[],character varying[]}')
	   FROM unnest(a.email_columns) c;
	PERFORM returning_crm._column_type(a.relid, c, 'phone_columns',
									   '{text,character varying,text[],character varying[]}')
	   FROM unnest(a.phone_columns) c;
	IF a.ordered_by IS NOT NULL AND NOT EXISTS (
		SELECT FROM pg_opclass o
		 WHERE o.opcmethod = (SELECT oid FROM pg_am WHERE amname = 'btree') AND o.opcdefault
		   AND o.opcintype = returning_crm._column_type(a.relid, a.ordered_by, 'ordered_by')) THEN
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
	IF NOT EXISTS (
		SELECT FROM pg_index i
		 WHERE i.indrelid = a.relid AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
		   AND ((i.indnkeyatts = 1 AND i.indkey[0] = id_num)
				OR (tenant_num IS NOT NULL AND i.indnkeyatts = 2
					AND ARRAY[i.indkey[0], i.indkey[1]] @> ARRAY[id_num, tenant_num]))) THEN
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
	IF a.kind IN ('leads', 'orders')
	   AND NOT EXISTS (SELECT FROM pg_attribute
					    WHERE attrelid = a.relid AND attname = a.column_prefix || 'returning_state'
						  AND NOT attisdropped)
	   AND (a.kind = 'leads' OR a.tenant_column IS NULL) THEN
		-- First attachment: compute the states, then add the generated
		-- columns and fill the state column in one rewrite of the table.
		PERFORM returning_crm._add_columns(a.relid, a.kind, a.column_prefix, check_only => true);
		EXECUTE format('ALTER TABLE %s ADD COLUMN %I text', a.relid, a.column_prefix || 'returning_state');
		EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', a.relid, a.column_prefix || 'returning_state',
					   returning_crm._column_comment(a.kind, 'returning_state'));
		INSERT INTO returning_crm.attachment SELECT a.*;
		IF a.kind = 'orders' THEN
			-- one sort of the whole table: give it memory for the time of it
			saved_work_mem := current_setting('work_mem');
			PERFORM set_config('work_mem', greatest(pg_size_bytes(saved_work_mem) / 1024,
													262144)::text || 'kB', true);
			classified := returning_crm._load_states(a.relid);
			PERFORM set_config('work_mem', saved_work_mem, true);
			PERFORM returning_crm._add_columns(a.relid, a.kind, a.column_prefix,
				format('returning_crm._initial_state(%I::bigint)', a.id_column));
		ELSE
			PERFORM returning_crm._add_columns(a.relid, a.kind, a.column_prefix,
				format('CASE WHEN %I::text = ANY (%L::text[]) THEN %L WHEN (%s) IS TRUE THEN %L ELSE %L END',
					   a.status_column, a.success_values, 'new',
					   concat_ws(' OR ',
						   CASE WHEN a.company_column IS NOT NULL THEN format('%I <> 0', a.company_column) END,
						   CASE WHEN a.contact_column IS NOT NULL THEN format('%I <> 0', a.contact_column) END),
					   'repeat', 'new'));
			EXECUTE format('SELECT count(*) FROM %s', a.relid) INTO classified;
		END IF;
	ELSE
		IF a.kind IN ('leads', 'orders') THEN
			PERFORM returning_crm._add_columns(a.relid, a.kind, a.column_prefix);
		END IF;
		INSERT INTO returning_crm.attachment SELECT a.*;
		classified := returning_crm._classify(a.relid);
	END IF;
	IF a.kind IN ('leads', 'orders') THEN
		PERFORM returning_crm._create_indexes(a);
	END IF;
	-- Leads, contacts and companies: indexes by normalised e-mail and phone
	PERFORM returning_crm._create_identity_indexes(a);

	-- Contacts and companies get no trigger
	IF a.kind NOT IN ('leads', 'orders') THEN
		PERFORM returning_crm._invalidate(x.relid)
		   FROM returning_crm.attachment x WHERE x.workspace = a.workspace;
		RETURN classified;
	END IF;

	EXECUTE format('CREATE TRIGGER zz_returning_row BEFORE INSERT OR UPDATE OR DELETE ON %s'
				   ' FOR EACH ROW EXECUTE FUNCTION returning_crm.%s_row_trigger()', a.relid, fn);
	EXECUTE format('CREATE TRIGGER zz_returning_statement_begin BEFORE INSERT OR UPDATE OR DELETE ON %s'
				   ' FOR EACH STATEMENT EXECUTE FUNCTION returning_crm.%s_statement_trigger()', a.relid, fn);
	EXECUTE format('CREATE TRIGGER zz_returning_statement_end AFTER INSERT OR UPDATE OR DELETE ON %s'
				   ' FOR EACH STATEMENT EXECUTE FUNCTION returning_crm.%s_statement_trigger()', a.relid, fn);
	IF a.kind = 'leads' THEN
		EXECUTE format('CREATE TRIGGER zz_returning_truncate AFTER TRUNCATE ON %s'
					   ' FOR EACH STATEMENT EXECUTE FUNCTION returning_crm.lead_truncate_trigger()', a.relid);
	END IF;

	-- Every backend reloads its description of the workspace's tables
	PERFORM returning_crm._invalidate(x.relid)
	   FROM returning_crm.attachment x WHERE x.workspace = a.workspace;
	RETURN classified;
END
$$;
REVOKE ALL ON FUNCTION returning_crm._attach(returning_crm.attachment) FROM PUBLIC;

CREATE FUNCTION returning_crm.attach_leads(
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
	workspace text DEFAULT 'default')
RETURNS bigint
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT returning_crm._attach(jsonb_populate_record(NULL::returning_crm.attachment,
		jsonb_build_object(
			'relid', table_name::oid, 'workspace', workspace, 'kind', 'leads',
			'id_column', id_column, 'contact_column', contact_column,
			'company_column', company_column, 'status_column', status_column,
			'success_values', success_values, 'failure_values', failure_values,
			'new_status', new_status, 'match_on_insert', coalesce(match_on_insert, false),
			'title_column', title_column,
			'email_columns', coalesce(email_columns, '{}'), 'phone_columns', coalesce(phone_columns, '{}'),
			'tenant_column', tenant_column, 'column_prefix', column_prefix)))
$$;

CREATE FUNCTION returning_crm.attach_orders(
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
	workspace text DEFAULT 'default')
RETURNS bigint
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT returning_crm._attach(jsonb_populate_record(NULL::returning_crm.attachment,
		jsonb_build_object(
			'relid', table_name::oid, 'workspace', workspace, 'kind', 'orders',
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
											   boolean, name, name[], name[], name, text, text) IS
	'Attaches a leads table: adds returning_state and is_repeat, installs the triggers and classifies the rows already there.';
COMMENT ON FUNCTION returning_crm.attach_orders(regclass, name, name, name, name, text[], text[], name,
												name, name, name, text, name, name[], name[], name, text, text) IS
	'Attaches an orders table: adds returning_state, is_new, is_repeat and is_repeated_inquiry, installs the triggers and classifies the rows already there.';

-- Detach: the triggers and the indexes that served only them (including the
-- matching indexes on e-mail and phone columns) go; the added columns, their
-- data and the indexes on them stay.
CREATE FUNCTION returning_crm.detach(table_name regclass)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	a returning_crm.attachment;
	base text;
	trg text;
	dependent regclass;
BEGIN
	PERFORM returning_crm._check_owner(table_name);
	SELECT * INTO a FROM returning_crm.attachment x WHERE x.relid = table_name FOR UPDATE;
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

	FOREACH trg IN ARRAY '{zz_returning_row,zz_returning_statement_begin,zz_returning_statement_end,zz_returning_truncate}'::text[] LOOP
		EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', trg, table_name);
	END LOOP;
	base := left((SELECT relname FROM pg_class WHERE oid = a.relid), 36) || '_' || a.column_prefix || 'returning';
	FOREACH trg IN ARRAY '{_company,_contact,_won_company,_won_contact,_lead}'::text[] LOOP
		EXECUTE format('DROP INDEX IF EXISTS %I.%I',
					   (SELECT nspname FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid
						 WHERE c.oid = a.relid), left(base || trg, 63));
	END LOOP;

	PERFORM returning_crm._drop_identity_indexes(table_name);

	DELETE FROM returning_crm.attachment x WHERE x.relid = table_name;
	PERFORM returning_crm._invalidate(table_name);
	PERFORM returning_crm._invalidate(x.relid)
	   FROM returning_crm.attachment x WHERE x.workspace = a.workspace;
END
$$;
COMMENT ON FUNCTION returning_crm.detach(regclass) IS
	'Detaches a table: removes the triggers; the added columns and their data stay.';

-- A dropped table is detached: its attachment and the routing records of
-- its orders go with it.  As with detach(), a leads table cannot go while
-- an orders table of its workspace links to it and stays.
CREATE FUNCTION returning_crm._on_drop()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER
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

	DELETE FROM returning_crm.routed_order r WHERE r.relid = ANY (dropped);
	DELETE FROM returning_crm.attachment x WHERE x.relid = ANY (dropped);
END
$$;
REVOKE ALL ON FUNCTION returning_crm._on_drop() FROM PUBLIC;

CREATE EVENT TRIGGER returning_drop ON sql_drop
	EXECUTE FUNCTION returning_crm._on_drop();
COMMENT ON EVENT TRIGGER returning_drop IS
	'Detaches tables that are dropped: removes their rows from returning_crm.attachment and returning_crm.routed_order.';

CREATE FUNCTION returning_crm.reclassify(table_name regclass)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM returning_crm._check_owner(table_name);
	IF NOT EXISTS (SELECT FROM returning_crm.attachment x WHERE x.relid = table_name) THEN
		RAISE EXCEPTION 'table % is not attached', table_name
			USING ERRCODE = 'undefined_object';
	END IF;
	EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', table_name);
	RETURN returning_crm._classify(table_name);
END
$$;
COMMENT ON FUNCTION returning_crm.reclassify(regclass) IS
	'Recomputes the state of every row of an attached table, set-based, and returns how many rows changed.';
-- Identity: workspace settings, the exception list, the indexes that find
-- contacts, companies and leads by normalised e-mail address or phone
-- number, and matching (src/identity.c).
--
-- Privileges: the settings table is readable by everyone; the exception
-- list holds personal data and is readable only by its owner.  Neither is
-- writable by PUBLIC.  The functions that change them (configure,
-- add_exception, remove_exception, import_exceptions, exclude_lead,
-- exclude_order) and the look-ups that reveal them (find_matches,
-- is_excluded) are SECURITY DEFINER and not executable by PUBLIC; an
-- administrator grants them to the application's role:
--   GRANT EXECUTE ON FUNCTION returning_crm.add_exception(text, text, text, text) TO app;

-- Settings per workspace.  A workspace without a row has the defaults.
CREATE TABLE returning_crm.workspace_settings (
	workspace			text PRIMARY KEY CHECK (workspace <> ''),
	repeat_sales		boolean NOT NULL DEFAULT true,
	leads_enabled		boolean,
	use_finished_lead	boolean NOT NULL DEFAULT false,
	default_region		text CHECK (default_region = pg_catalog.upper(default_region))
);

COMMENT ON TABLE returning_crm.workspace_settings IS
	'Settings of inquiry routing and matching per workspace, changed with returning_crm.configure(). A workspace without a row has the defaults.';
COMMENT ON COLUMN returning_crm.workspace_settings.workspace IS
	'The workspace the settings apply to.';
COMMENT ON COLUMN returning_crm.workspace_settings.repeat_sales IS
	'When on, an inquiry of a known client without open orders or open repeat leads creates a repeat lead.';
COMMENT ON COLUMN returning_crm.workspace_settings.leads_enabled IS
	'Whether inquiries create leads; NULL means: when the workspace has an attached leads table.';
COMMENT ON COLUMN returning_crm.workspace_settings.use_finished_lead IS
	'When on, an inquiry that matches only a closed lead is attached to that lead.';
COMMENT ON COLUMN returning_crm.workspace_settings.default_region IS
	'ISO 3166-1 alpha-2 region (upper case) for phone numbers in national format; NULL accepts only international numbers. Changing it rebuilds the workspace''s phone indexes.';

SELECT pg_catalog.pg_extension_config_dump('returning_crm.workspace_settings', '');
REVOKE ALL ON returning_crm.workspace_settings FROM PUBLIC;
GRANT SELECT ON returning_crm.workspace_settings TO PUBLIC;

-- The exception list: addresses and numbers that never make a repeat lead
-- or bind a lead to a client.  An exception without a tenant applies to
-- every tenant of the workspace.
CREATE TABLE returning_crm.exception (
	id			bigserial PRIMARY KEY,
	workspace	text NOT NULL CHECK (workspace <> ''),
	tenant		text,
	kind		text NOT NULL CHECK (kind IN ('email', 'phone')),
	value		text NOT NULL,
	comment		varchar(255),
	created_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CONSTRAINT exception_value_key UNIQUE NULLS NOT DISTINCT (workspace, kind, value, tenant)
);

COMMENT ON TABLE returning_crm.exception IS
	'E-mail addresses and phone numbers that must never produce a repeat lead, per workspace and tenant. Written through add_exception, import_exceptions, exclude_lead, exclude_order and remove_exception.';
COMMENT ON COLUMN returning_crm.exception.id IS
	'Number of the exception.';
COMMENT ON COLUMN returning_crm.exception.workspace IS
	'The workspace the exception belongs to.';
COMMENT ON COLUMN returning_crm.exception.tenant IS
	'The text form of the tenant the exception applies to; NULL applies it to every tenant of the workspace.';
COMMENT ON COLUMN returning_crm.exception.kind IS
	'email or phone.';
COMMENT ON COLUMN returning_crm.exception.value IS
	'The normalised address (normalize_email) or number in E.164 format (normalize_phone).';
COMMENT ON COLUMN returning_crm.exception.comment IS
	'Why the address or number is on the list, up to 255 characters.';
COMMENT ON COLUMN returning_crm.exception.created_at IS
	'When the exception was added.';

SELECT pg_catalog.pg_extension_config_dump('returning_crm.exception', '');
SELECT pg_catalog.pg_extension_config_dump('returning_crm.exception_id_seq', '');
REVOKE ALL ON returning_crm.exception FROM PUBLIC;
REVOKE ALL ON SEQUENCE returning_crm.exception_id_seq FROM PUBLIC;

-- Normalisers of whole arrays, for GIN indexes on text[] columns.
CREATE FUNCTION returning_crm.normalize_emails(text[])
RETURNS text[]
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'normalize_emails';
COMMENT ON FUNCTION returning_crm.normalize_emails(text[]) IS
	'Returns the distinct normalised e-mail addresses of the array (see normalize_email), sorted, or NULL when there is none.';

CREATE FUNCTION returning_crm.normalize_phones(text[], region text)
RETURNS text[]
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'normalize_phones';
COMMENT ON FUNCTION returning_crm.normalize_phones(text[], text) IS
	'Returns the distinct phone numbers of the array in E.164 format (see normalize_phone), sorted, or NULL when there is none.';

CREATE FUNCTION returning_crm.normalize_phones(text[])
RETURNS text[]
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'normalize_phones_international';
COMMENT ON FUNCTION returning_crm.normalize_phones(text[]) IS
	'Returns the distinct phone numbers of the array written in international format, in E.164 format, sorted, or NULL when there is none.';

CREATE FUNCTION returning_crm._region_is_known(text)
RETURNS boolean
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'returning_region_is_known';
COMMENT ON FUNCTION returning_crm._region_is_known(text) IS
	'True when libphonenumber knows the ISO 3166-1 alpha-2 region (any case).';

-- The normalised value and kind of an exception as the user wrote it: an
-- e-mail address when normalize_email finds one, else a phone number.
CREATE FUNCTION returning_crm._exception_value(value text, region text,
											   OUT kind text, OUT normalized text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN e IS NOT NULL THEN 'email' WHEN p IS NOT NULL THEN 'phone' END,
		   coalesce(e, p)
	  FROM (SELECT returning_crm.normalize_email(value) AS e) x,
	  LATERAL (SELECT CASE WHEN e IS NOT NULL THEN NULL
						   WHEN region IS NULL THEN returning_crm.normalize_phone(value)
						   ELSE returning_crm.normalize_phone(value, region) END AS p) y
$$;
COMMENT ON FUNCTION returning_crm._exception_value(text, text) IS
	'The kind (email or phone) and normalised form of a value for the exception list, or NULLs when it is neither.';

CREATE FUNCTION returning_crm._region(workspace text)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT s.default_region FROM returning_crm.workspace_settings s WHERE s.workspace = _region.workspace
$$;
COMMENT ON FUNCTION returning_crm._region(text) IS
	'The default region of a workspace, or NULL.';

-- The index expressions.  src/identity.c writes the same text in its
-- queries, so that the planner matches them with the indexes.
CREATE FUNCTION returning_crm._identity_expr(kind text, col name, is_array boolean, region text,
											 alias text DEFAULT NULL)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT format('returning_crm.normalize_%s%s(%s%s)',
				  CASE WHEN kind = 'email' THEN 'email' ELSE 'phone' END,
				  CASE WHEN is_array THEN 's' ELSE '' END,
				  coalesce(alias || '.', '') || quote_ident(col),
				  CASE WHEN kind <> 'email' AND region IS NOT NULL THEN format(', %L', region) ELSE '' END)
$$;
COMMENT ON FUNCTION returning_crm._identity_expr(text, name, boolean, text, text) IS
	'The SQL expression of a matching index on an e-mail or phone column, optionally with the column qualified by a table alias.';

-- The extension recognises its matching indexes by their comments.
CREATE FUNCTION returning_crm._identity_index_comment(kind text, col name)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT format('Normalised %s of column %I, for matching; kept by the returning extension and dropped by returning_crm.detach().',
				  CASE kind WHEN 'email' THEN 'e-mail addresses' ELSE 'phone numbers' END, col)
$$;
COMMENT ON FUNCTION returning_crm._identity_index_comment(text, name) IS
	'The comment that marks a matching index made by the extension.';

-- Drop the matching indexes of a table (of one kind, or all).
CREATE FUNCTION returning_crm._drop_identity_indexes(rel regclass, only_kind text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	idx regclass;
BEGIN
	FOR idx IN
		SELECT i.indexrelid::regclass FROM pg_index i
		 WHERE i.indrelid = rel
		   AND obj_description(i.indexrelid, 'pg_class') LIKE 'Normalised % for matching; kept by the returning extension%'
		   AND (only_kind IS NULL
				OR obj_description(i.indexrelid, 'pg_class') LIKE
				   CASE only_kind WHEN 'email' THEN 'Normalised e-mail%' ELSE 'Normalised phone%' END)
	LOOP
		EXECUTE format('DROP INDEX %s', idx);
	END LOOP;
END
$$;
REVOKE ALL ON FUNCTION returning_crm._drop_identity_indexes(regclass, text) FROM PUBLIC;
COMMENT ON FUNCTION returning_crm._drop_identity_indexes(regclass, text) IS
	'Drops the matching indexes the extension made on a table.';

-- One index per e-mail and phone column: btree on (tenant, expression) for
-- text columns, GIN on the array expression for text[] columns.  Names are
-- chosen free of collisions; the comment marks them as the extension's.
CREATE FUNCTION returning_crm._create_identity_indexes(a returning_crm.attachment,
													   only_kind text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	region text := returning_crm._region(a.workspace);
	nsp oid := (SELECT relnamespace FROM pg_class WHERE oid = a.relid);
	relname text := (SELECT c.relname FROM pg_class c WHERE c.oid = a.relid);
	k text;
	col name;
	typ regtype;
	is_array boolean;
	idxname text;
	n int;
BEGIN
	IF a.kind NOT IN ('leads', 'contacts', 'companies') THEN
		RETURN;
	END IF;
	FOREACH k IN ARRAY ARRAY['email', 'phone'] LOOP
		CONTINUE WHEN only_kind IS NOT NULL AND only_kind <> k;
		FOREACH col IN ARRAY CASE k WHEN 'email' THEN a.email_columns ELSE a.phone_columns END LOOP
			typ := returning_crm._column_type(a.relid, col, k || '_columns');
			is_array := typ IN ('text[]'::regtype, 'character varying[]'::regtype);
			idxname := left(format('%s_%s_returning_%s', relname, col, k), 63);
			n := 1;
			WHILE EXISTS (SELECT FROM pg_class c WHERE c.relname = idxname AND c.relnamespace = nsp) LOOP
				n := n + 1;
				idxname := left(format('%s_%s_returning_%s', relname, col, k), 60 - length(n::text)) || '_' || n;
			END LOOP;
			IF is_array THEN
				EXECUTE format('CREATE INDEX %I ON %s USING gin (%s)', idxname, a.relid,
							   returning_crm._identity_expr(k, col, true, region));
			ELSE
				EXECUTE format('CREATE INDEX %I ON %s (%s%s)', idxname, a.relid,
							   CASE WHEN a.tenant_column IS NULL THEN ''
									ELSE format('%I, ', a.tenant_column) END,
							   returning_crm._identity_expr(k, col, false, region));
			END IF;
			EXECUTE format('COMMENT ON INDEX %I.%I IS %L', (SELECT nspname FROM pg_namespace WHERE oid = nsp),
						   idxname, returning_crm._identity_index_comment(k, col));
		END LOOP;
	END LOOP;
END
$$;
REVOKE ALL ON FUNCTION returning_crm._create_identity_indexes(returning_crm.attachment, text) FROM PUBLIC;
COMMENT ON FUNCTION returning_crm._create_identity_indexes(returning_crm.attachment, text) IS
	'Creates the matching indexes of an attached leads, contacts or companies table.';

CREATE FUNCTION returning_crm.attach_contacts(
	table_name regclass,
	id_column name DEFAULT 'id',
	company_column name DEFAULT 'company_id',
	name_column name DEFAULT NULL,
	email_columns name[] DEFAULT '{}',
	phone_columns name[] DEFAULT '{}',
	tenant_column name DEFAULT NULL,
	workspace text DEFAULT 'default')
RETURNS bigint
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT returning_crm._attach(jsonb_populate_record(NULL::returning_crm.attachment,
		jsonb_build_object(
			'relid', table_name::oid, 'workspace', workspace, 'kind', 'contacts',
			'id_column', id_column, 'company_column', company_column,
			'name_column', name_column,
			'email_columns', coalesce(email_columns, '{}'), 'phone_columns', coalesce(phone_columns, '{}'),
			'tenant_column', tenant_column)))
$$;
COMMENT ON FUNCTION returning_crm.attach_contacts(regclass, name, name, name, name[], name[], name, text) IS
	'Attaches a contacts table: its e-mail and phone columns get matching indexes, and inquiry routing fills its name column. Adds no column and no trigger.';

CREATE FUNCTION returning_crm.attach_companies(
	table_name regclass,
	id_column name DEFAULT 'id',
	title_column name DEFAULT NULL,
	email_columns name[] DEFAULT '{}',
	phone_columns name[] DEFAULT '{}',
	tenant_column name DEFAULT NULL,
	workspace text DEFAULT 'default')
RETURNS bigint
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT returning_crm._attach(jsonb_populate_record(NULL::returning_crm.attachment,
		jsonb_build_object(
			'relid', table_name::oid, 'workspace', workspace, 'kind', 'companies',
			'id_column', id_column, 'title_column', title_column,
			'email_columns', coalesce(email_columns, '{}'), 'phone_columns', coalesce(phone_columns, '{}'),
			'tenant_column', tenant_column)))
$$;
COMMENT ON FUNCTION returning_crm.attach_companies(regclass, name, name, name[], name[], name, text) IS
	'Attaches a companies table: its e-mail and phone columns get matching indexes, and inquiry routing fills its title column. Adds no column and no trigger.';

-- Settings
CREATE FUNCTION returning_crm.configure(
	workspace text DEFAULT 'default',
	repeat_sales boolean DEFAULT NULL,
	leads_enabled boolean DEFAULT NULL,
	use_finished_lead boolean DEFAULT NULL,
	default_region text DEFAULT NULL)
RETURNS returning_crm.workspace_settings
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ws text := configure.workspace;
	region text := upper(btrim(configure.default_region));
	old_region text;
	r returning_crm.workspace_settings;
	a returning_crm.attachment;
BEGIN
	IF ws IS NULL OR ws = '' THEN
		RAISE EXCEPTION 'workspace must not be empty' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF region <> '' AND NOT returning_crm._region_is_known(region) THEN
		RAISE EXCEPTION 'unknown region "%"', configure.default_region
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give an ISO 3166-1 alpha-2 code such as DE or GB, or an empty string for none.';
	END IF;

	INSERT INTO returning_crm.workspace_settings AS s (workspace) VALUES (ws)
		ON CONFLICT ON CONSTRAINT workspace_settings_pkey DO NOTHING;
	SELECT s.default_region INTO old_region
	  FROM returning_crm.workspace_settings s WHERE s.workspace = ws FOR UPDATE;
	UPDATE returning_crm.workspace_settings s
	   SET repeat_sales = coalesce(configure.repeat_sales, s.repeat_sales),
		   leads_enabled = coalesce(configure.leads_enabled, s.leads_enabled),
		   use_finished_lead = coalesce(configure.use_finished_lead, s.use_finished_lead),
		   default_region = CASE WHEN region IS NULL THEN s.default_region
								 ELSE nullif(region, '') END
	 WHERE s.workspace = ws
	RETURNING s.* INTO r;

	-- The phone indexes have the region in their expression: rebuild them
	IF r.default_region IS DISTINCT FROM old_region THEN
		FOR a IN SELECT * FROM returning_crm.attachment x
				  WHERE x.workspace = ws AND cardinality(x.phone_columns) > 0
		LOOP
			PERFORM returning_crm._drop_identity_indexes(a.relid, 'phone');
			PERFORM returning_crm._create_identity_indexes(a, 'phone');
		END LOOP;
	END IF;

	-- Every backend reloads the settings at its next look-up
	PERFORM returning_crm._invalidate('returning_crm.workspace_settings'::regclass);
	RETURN r;
END
$$;
REVOKE ALL ON FUNCTION returning_crm.configure(text, boolean, boolean, boolean, text) FROM PUBLIC;
COMMENT ON FUNCTION returning_crm.configure(text, boolean, boolean, boolean, text) IS
	'Changes the settings of a workspace and returns them; a NULL argument leaves that setting as it is, an empty default_region removes it. Changing default_region rebuilds the workspace''s phone indexes.';

-- Exceptions
CREATE FUNCTION returning_crm.add_exception(
	value text,
	comment text DEFAULT NULL,
	tenant text DEFAULT NULL,
	workspace text DEFAULT 'default')
RETURNS returning_crm.exception
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v record;
	r returning_crm.exception;
BEGIN
	IF workspace IS NULL OR workspace = '' THEN
		RAISE EXCEPTION 'workspace must not be empty' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF value IS NULL THEN
		RAISE EXCEPTION 'value must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF length(comment) > 255 THEN
		RAISE EXCEPTION 'comment is longer than 255 characters'
			USING ERRCODE = 'string_data_right_truncation',
				  DETAIL = format('It has %s characters.', length(comment));
	END IF;
	v := returning_crm._exception_value(value, returning_crm._region(workspace));
	IF v.kind IS NULL THEN
		RAISE EXCEPTION '"%" is neither an e-mail address nor a phone number',
			CASE WHEN length(value) > 80 THEN left(value, 77) || '...' ELSE value END
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = CASE WHEN returning_crm._region(workspace) IS NULL
						 THEN 'Write phone numbers in international format, or set the workspace''s default_region with returning_crm.configure().'
						 ELSE 'Write an e-mail address or a valid phone number.' END;
	END IF;

	INSERT INTO returning_crm.exception AS e (workspace, tenant, kind, value, comment)
	VALUES (add_exception.workspace, add_exception.tenant, v.kind, v.normalized, nullif(add_exception.comment, ''))
	ON CONFLICT ON CONSTRAINT exception_value_key DO NOTHING
	RETURNING e.* INTO r;
	IF NOT FOUND THEN
		-- Already on the list: the existing entry is returned unchanged
		SELECT e.* INTO r FROM returning_crm.exception e
		 WHERE e.workspace = add_exception.workspace AND e.kind = v.kind
		   AND e.value = v.normalized AND e.tenant IS NOT DISTINCT FROM add_exception.tenant;
	END IF;
	RETURN r;
END
$$;
REVOKE ALL ON FUNCTION returning_crm.add_exception(text, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION returning_crm.add_exception(text, text, text, text) IS
	'Puts an e-mail address or phone number (the kind is detected) on the exception list of a workspace and tenant, and returns the entry. Adding a value that is already there returns the existing entry unchanged.';

CREATE FUNCTION returning_crm.remove_exception(
	value text,
	tenant text DEFAULT NULL,
	workspace text DEFAULT 'default')
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v record := returning_crm._exception_value(value, returning_crm._region(workspace));
BEGIN
	DELETE FROM returning_crm.exception e
	 WHERE e.workspace = remove_exception.workspace AND e.kind = v.kind
	   AND e.value = v.normalized AND e.tenant IS NOT DISTINCT FROM remove_exception.tenant;
	RETURN FOUND;
END
$$;
REVOKE ALL ON FUNCTION returning_crm.remove_exception(text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION returning_crm.remove_exception(text, text, text) IS
	'Removes an e-mail address or phone number from the exception list of a workspace and tenant; returns whether it was there.';

CREATE FUNCTION returning_crm.import_exceptions(
	lines text,
	tenant text DEFAULT NULL,
	workspace text DEFAULT 'default')
RETURNS TABLE (line integer, value text, status text, reason text)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	region text := returning_crm._region(workspace);
BEGIN
	IF workspace IS NULL OR workspace = '' THEN
		RAISE EXCEPTION 'workspace must not be empty' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- One set-based pass: split, check, normalise, deduplicate, insert.
	CREATE TEMP TABLE IF NOT EXISTS returning_import (
		line int, value text, comment text, kind text, normalized text, reason text, first int
	) ON COMMIT DROP;
	TRUNCATE pg_temp.returning_import;

	INSERT INTO pg_temp.returning_import
	SELECT p.line, p.raw, p.comment, v.kind, v.normalized,
		   CASE WHEN p.problem IS NOT NULL THEN p.problem
				WHEN v.kind IS NULL THEN 'neither an e-mail address nor a phone number' END,
		   NULL
	  FROM (SELECT t.n::int AS line,
				   left(btrim(split_part(x.l, ';', 1)), 1000) AS raw,
				   CASE WHEN strpos(x.l, ';') > 0 THEN nullif(btrim(substr(x.l, strpos(x.l, ';') + 1)), '') END AS comment,
				   CASE WHEN btrim(x.l, E' \t') = '' THEN 'blank line'
						WHEN length(x.l) > 2000 THEN 'malformed: line longer than 2000 characters'
						WHEN translate(x.l, E'\t', ' ') ~ '[[:cntrl:]]' THEN 'malformed: control character in line'
						WHEN btrim(split_part(x.l, ';', 1), E' \t') = '' THEN 'malformed: no value before ";"'
						WHEN length(btrim(substr(x.l, strpos(x.l, ';') + 1))) > 255 AND strpos(x.l, ';') > 0
							THEN 'comment longer than 255 characters'
				   END AS problem
			  FROM string_to_table(CASE WHEN right(lines, 1) = E'\n' THEN left(lines, -1) ELSE lines END, E'\n')
				   WITH ORDINALITY AS t(l0, n),
			  LATERAL (SELECT rtrim(t.l0, E'\r') AS l) x(l)
		   ) AS p
	  LEFT JOIN LATERAL returning_crm._exception_value(CASE WHEN p.problem IS NULL THEN p.raw END, region) v ON true;

	UPDATE pg_temp.returning_import i SET first = f.first
	  FROM (SELECT j.kind, j.normalized, min(j.line) AS first FROM pg_temp.returning_import j
			 WHERE j.reason IS NULL GROUP BY j.kind, j.normalized) f
	 WHERE i.reason IS NULL AND i.kind = f.kind AND i.normalized = f.normalized;

	RETURN QUERY
	WITH added AS (
		INSERT INTO returning_crm.exception AS e (workspace, tenant, kind, value, comment)
		SELECT import_exceptions.workspace, import_exceptions.tenant, i.kind, i.normalized, i.comment
		  FROM pg_temp.returning_import i WHERE i.reason IS NULL AND i.line = i.first
		ON CONFLICT ON CONSTRAINT exception_value_key DO NOTHING
		RETURNING e.kind, e.value
	)
	SELECT i.line, coalesce(i.normalized, i.value)::text,
		   CASE WHEN i.reason IS NOT NULL THEN 'skipped'
				WHEN i.line <> i.first OR a.value IS NULL THEN 'duplicate'
				ELSE 'added' END,
		   CASE WHEN i.reason IS NOT NULL THEN i.reason
				WHEN i.line <> i.first THEN format('same %s as line %s',
												   CASE i.kind WHEN 'email' THEN 'address' ELSE 'number' END, i.first)
				WHEN a.value IS NULL THEN 'already on the exception list' END
	  FROM pg_temp.returning_import i
	  LEFT JOIN added a ON a.kind = i.kind AND a.value = i.normalized AND i.line = i.first
	 ORDER BY i.line;
	DROP TABLE pg_temp.returning_import;
END
$$;
REVOKE ALL ON FUNCTION returning_crm.import_exceptions(text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION returning_crm.import_exceptions(text, text, text) IS
	'Imports exceptions, one "value;comment" per line (the comment is optional), and reports every line: added, duplicate (within the input or already on the list) or skipped with the reason (blank, malformed, comment too long, neither an address nor a number).';

-- The kind, tenant and normalised addresses of one row of an attached table
CREATE FUNCTION returning_crm._row_addresses(rel regclass, row_id bigint, row_tenant text DEFAULT NULL)
RETURNS TABLE (tenant text, kind text, value text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	a returning_crm.attachment;
	region text;
	k text;
	col name;
	parts text[] := '{}';
BEGIN
	SELECT * INTO a FROM returning_crm.attachment x WHERE x.relid = rel;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	region := returning_crm._region(a.workspace);
	FOREACH k IN ARRAY ARRAY['email', 'phone'] LOOP
		FOREACH col IN ARRAY CASE k WHEN 'email' THEN a.email_columns ELSE a.phone_columns END LOOP
			parts := parts || format(
				'SELECT %s::text, %L::text, x FROM %s t, unnest(%s) x WHERE t.%I = $1 %s',
				CASE WHEN a.tenant_column IS NULL THEN 'NULL' ELSE format('t.%I', a.tenant_column) END,
				k, a.relid,
				CASE WHEN returning_crm._column_type(a.relid, col, k) IN ('text[]'::regtype, 'character varying[]'::regtype)
					 THEN returning_crm._identity_expr(k, col, true, region, 't')
					 ELSE format('ARRAY[%s]', returning_crm._identity_expr(k, col, false, region, 't')) END,
				a.id_column,
				CASE WHEN a.tenant_column IS NULL OR row_tenant IS NULL THEN ''
					 ELSE format('AND t.%I::text = $2', a.tenant_column) END);
		END LOOP;
	END LOOP;
	IF cardinality(parts) > 0 THEN
		RETURN QUERY EXECUTE format('SELECT * FROM (%s) s WHERE s.x IS NOT NULL',
									array_to_string(parts, ' UNION ')) USING row_id, row_tenant;
	END IF;
END
$$;
REVOKE ALL ON FUNCTION returning_crm._row_addresses(regclass, bigint, text) FROM PUBLIC;
COMMENT ON FUNCTION returning_crm._row_addresses(regclass, bigint, text) IS
	'The normalised e-mail addresses and phone numbers of one row of an attached table, with the row''s tenant.';

-- The addresses of a lead or order and of its client, put on the list
CREATE FUNCTION returning_crm._exclude(kind text, row_id bigint, workspace text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	a returning_crm.attachment;
	c record;
	clients regclass;
	added bigint := 0;
	n bigint;
	found_row boolean := false;
BEGIN
	SELECT * INTO a FROM returning_crm.attachment x WHERE x.workspace = _exclude.workspace AND x.kind = _exclude.kind;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'workspace "%" has no attached % table', workspace, kind
			USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
	FOR c IN EXECUTE format('SELECT %s::text AS tenant, %s::bigint AS company, %s::bigint AS contact FROM %s t WHERE t.%I = $1',
							CASE WHEN a.tenant_column IS NULL THEN 'NULL' ELSE format('t.%I', a.tenant_column) END,
							coalesce(format('t.%I', a.company_column), 'NULL'),
							coalesce(format('t.%I', a.contact_column), 'NULL'),
							a.relid, a.id_column) USING row_id
	LOOP
		found_row := true;
		-- The row's own addresses (leads have them; orders rarely)
		INSERT INTO returning_crm.exception AS e (workspace, tenant, kind, value, comment)
		SELECT DISTINCT _exclude.workspace, r.tenant, r.kind, r.value,
			   format('Excluded with %s %s.', rtrim(_exclude.kind, 's'), row_id)
		  FROM returning_crm._row_addresses(a.relid, row_id, c.tenant) r
		ON CONFLICT ON CONSTRAINT exception_value_key DO NOTHING;
		GET DIAGNOSTICS n = ROW_COUNT;
		added := added + n;
		-- Its client's: the company when set, else the contact
		IF coalesce(c.company, 0) <> 0 THEN
			clients := (SELECT x.relid FROM returning_crm.attachment x
						 WHERE x.workspace = _exclude.workspace AND x.kind = 'companies');
		ELSIF coalesce(c.contact, 0) <> 0 THEN
			clients := (SELECT x.relid FROM returning_crm.attachment x
						 WHERE x.workspace = _exclude.workspace AND x.kind = 'contacts');
		ELSE
			clients := NULL;
		END IF;
		IF clients IS NOT NULL THEN
			INSERT INTO returning_crm.exception AS e (workspace, tenant, kind, value, comment)
			SELECT DISTINCT _exclude.workspace, c.tenant, r.kind, r.value,
				   format('Excluded with %s %s.', rtrim(_exclude.kind, 's'), row_id)
			  FROM returning_crm._row_addresses(clients,
					CASE WHEN coalesce(c.company, 0) <> 0 THEN c.company ELSE c.contact END, c.tenant) r
			ON CONFLICT ON CONSTRAINT exception_value_key DO NOTHING;
			GET DIAGNOSTICS n = ROW_COUNT;
			added := added + n;
		END IF;
	END LOOP;
	IF NOT found_row THEN
		RAISE EXCEPTION '% % does not exist in workspace "%"', rtrim(kind, 's'), row_id, workspace
			USING ERRCODE = 'no_data_found';
	END IF;
	RETURN added;
END
$$;
REVOKE ALL ON FUNCTION returning_crm._exclude(text, bigint, text) FROM PUBLIC;
COMMENT ON FUNCTION returning_crm._exclude(text, bigint, text) IS
	'The shared body of exclude_lead and exclude_order.';

CREATE FUNCTION returning_crm.exclude_lead(id bigint, workspace text DEFAULT 'default')
RETURNS bigint
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT returning_crm._exclude('leads', id, workspace) $$;
REVOKE ALL ON FUNCTION returning_crm.exclude_lead(bigint, text) FROM PUBLIC;
COMMENT ON FUNCTION returning_crm.exclude_lead(bigint, text) IS
	'Puts the e-mail addresses and phone numbers of a lead, and of its client when it has one, on the exception list; returns how many were added.';

CREATE FUNCTION returning_crm.exclude_order(id bigint, workspace text DEFAULT 'default')
RETURNS bigint
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT returning_crm._exclude('orders', id, workspace) $$;
REVOKE ALL ON FUNCTION returning_crm.exclude_order(bigint, text) FROM PUBLIC;
COMMENT ON FUNCTION returning_crm.exclude_order(bigint, text) IS
	'Puts the e-mail addresses and phone numbers of an order''s client (and any of the order itself) on the exception list; returns how many were added.';

-- Matching, for SQL callers
CREATE FUNCTION returning_crm.find_matches(email text, phone text,
										   tenant text DEFAULT NULL, workspace text DEFAULT 'default')
RETURNS TABLE (entity text, id bigint)
LANGUAGE C STABLE
AS 'MODULE_PATHNAME', 'returning_find_matches';
REVOKE ALL ON FUNCTION returning_crm.find_matches(text, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION returning_crm.find_matches(text, text, text, text) IS
	'The attached contacts, companies and open leads of a workspace and tenant with this e-mail address or phone number (raw; both are normalised), one index probe per mapped column.';

CREATE FUNCTION returning_crm.is_excluded(email text, phone text,
										  tenant text DEFAULT NULL, workspace text DEFAULT 'default')
RETURNS boolean
LANGUAGE C STABLE
AS 'MODULE_PATHNAME', 'returning_is_excluded';
REVOKE ALL ON FUNCTION returning_crm.is_excluded(text, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION returning_crm.is_excluded(text, text, text, text) IS
	'True when the e-mail address or the phone number (raw; both are normalised) is on the exception list of the workspace, for the tenant or for every tenant.';
-- Inquiry routing: the inquiry log, the orders routed for known clients in
-- lead-free mode, and route_inquiry() (src/routing.c).

-- Every inquiry, whatever was decided.  Personal data: no privileges for
-- PUBLIC.  route_inquiry() writes it as the table's owner, so callers need
-- no privileges on it; reading it is granted explicitly.
CREATE TABLE returning_crm.inquiry (
	id				bigserial PRIMARY KEY,
	received_at		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	workspace		text NOT NULL,
	tenant			text,
	channel			text NOT NULL CHECK (channel IN ('email', 'call', 'webform', 'chat')),
	email			text,
	phone			text,
	name			text,
	company_title	text,
	payload			jsonb,
	decision		text NOT NULL CHECK (decision IN ('excluded', 'attached_to_order',
									'attached_to_lead', 'repeat_order', 'repeat_lead',
									'attached_to_client', 'new_lead', 'new_order')),
	lead_id			bigint,
	order_ids		bigint[],
	contact_id		bigint,
	company_id		bigint
);
CREATE INDEX inquiry_workspace_received_at_idx
	ON returning_crm.inquiry (workspace, received_at);
COMMENT ON INDEX returning_crm.inquiry_workspace_received_at_idx IS
	'Finds the inquiries of a workspace by time.';

COMMENT ON TABLE returning_crm.inquiry IS
	'Every inquiry routed by returning_crm.route_inquiry(), exclusions included, with the decision and the entities it was bound to. Holds personal data: no privileges for PUBLIC.';
COMMENT ON COLUMN returning_crm.inquiry.id IS 'Number of the inquiry, returned by route_inquiry() as inquiry_id.';
COMMENT ON COLUMN returning_crm.inquiry.received_at IS 'Start of the transaction that routed the inquiry.';
COMMENT ON COLUMN returning_crm.inquiry.workspace IS 'Workspace the inquiry was routed in.';
COMMENT ON COLUMN returning_crm.inquiry.tenant IS 'Tenant the inquiry was routed for, or NULL in a workspace without tenants.';
COMMENT ON COLUMN returning_crm.inquiry.channel IS 'How the inquiry came in: email, call, webform or chat.';
COMMENT ON COLUMN returning_crm.inquiry.email IS 'E-mail address as given.';
COMMENT ON COLUMN returning_crm.inquiry.phone IS 'Phone number as given.';
COMMENT ON COLUMN returning_crm.inquiry.name IS 'Name of the sender as given.';
COMMENT ON COLUMN returning_crm.inquiry.company_title IS 'Company of the sender as given.';
COMMENT ON COLUMN returning_crm.inquiry.payload IS 'Further column values for the lead or order routing creates, as given.';
COMMENT ON COLUMN returning_crm.inquiry.decision IS
	'What routing decided: excluded, attached_to_order, attached_to_lead, repeat_order, repeat_lead, attached_to_client, new_lead or new_order.';
COMMENT ON COLUMN returning_crm.inquiry.lead_id IS 'Lead created (new_lead, repeat_lead) or attached to (attached_to_lead).';
COMMENT ON COLUMN returning_crm.inquiry.order_ids IS 'Open orders attached to (attached_to_order) or the order created (repeat_order, new_order).';
COMMENT ON COLUMN returning_crm.inquiry.contact_id IS 'Contact the inquiry belongs to (a known client, or the one created by new_order).';
COMMENT ON COLUMN returning_crm.inquiry.company_id IS 'Company the inquiry belongs to, when the known client is a company.';

SELECT pg_catalog.pg_extension_config_dump('returning_crm.inquiry', '');
SELECT pg_catalog.pg_extension_config_dump('returning_crm.inquiry_id_seq', '');
REVOKE ALL ON returning_crm.inquiry FROM PUBLIC;
REVOKE ALL ON SEQUENCE returning_crm.inquiry_id_seq FROM PUBLIC;

-- Orders created by routing an inquiry of a known client in lead-free mode:
-- repeated inquiries by rule 2 (README), like orders from a
-- repeat lead.  The order trigger and the set-based recomputation of
-- orders.c read it, with the privileges of whoever changes the orders, so
-- it is readable by all; it holds no personal data.
CREATE TABLE returning_crm.routed_order (
	relid			regclass NOT NULL,
	order_id		bigint NOT NULL,
	tenant			text,
	routed_at		timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE UNIQUE INDEX routed_order_key
	ON returning_crm.routed_order (relid, order_id, tenant) NULLS NOT DISTINCT;
COMMENT ON INDEX returning_crm.routed_order_key IS
	'One row per routed order; serves the look-ups of the order trigger and of the set-based recomputation.';

COMMENT ON TABLE returning_crm.routed_order IS
	'Orders that returning_crm.route_inquiry() created for a known client in lead-free mode; they count as coming from a repeat lead (repeated inquiry unless the client won before).';
COMMENT ON COLUMN returning_crm.routed_order.relid IS 'The attached orders table.';
COMMENT ON COLUMN returning_crm.routed_order.order_id IS 'The id of the order.';
COMMENT ON COLUMN returning_crm.routed_order.tenant IS 'The text form of the order''s tenant, or NULL without a tenant column.';
COMMENT ON COLUMN returning_crm.routed_order.routed_at IS 'When the order was created.';

SELECT pg_catalog.pg_extension_config_dump('returning_crm.routed_order', '');
REVOKE ALL ON returning_crm.routed_order FROM PUBLIC;
GRANT SELECT ON returning_crm.routed_order TO PUBLIC;

-- Not SECURITY DEFINER: the lead, order or contact it creates is inserted
-- with the caller's privileges (and the application's row-level security,
-- constraints and triggers); only the log lines go in as the log's owner.
CREATE FUNCTION returning_crm.route_inquiry(
	email text DEFAULT NULL,
	phone text DEFAULT NULL,
	name text DEFAULT NULL,
	company_title text DEFAULT NULL,
	channel text DEFAULT 'email',
	payload jsonb DEFAULT '{}',
	tenant text DEFAULT NULL,
	workspace text DEFAULT 'default',
	OUT decision text,
	OUT inquiry_id bigint,
	OUT lead_id bigint,
	OUT order_ids bigint[],
	OUT contact_id bigint,
	OUT company_id bigint)
RETURNS record
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'route_inquiry';

COMMENT ON FUNCTION returning_crm.route_inquiry(text, text, text, text, text, jsonb, text, text) IS
	'Routes an incoming inquiry to an open order, an open lead, a new or repeat lead or order, or its known client, and logs it in returning_crm.inquiry. Returns the decision; inquiry_id, the log row; lead_id, the lead created or attached to; order_ids, the open orders attached to or the order created; contact_id and company_id, the client (known, or the contact created). Rows are created with the caller''s privileges. Payload keys are column names of the table a row would be created in (leads; orders in lead-free mode), checked on every call and applied only when a row is created; an unknown key is an error (42703). An error rolls back everything, the log line included.';

REVOKE ALL ON FUNCTION returning_crm.route_inquiry(text, text, text, text, text, jsonb, text, text) FROM PUBLIC;
