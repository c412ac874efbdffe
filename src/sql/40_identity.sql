-- Identity: workspace settings, the exception list, the indexes that find
-- contacts, companies and leads by normalised e-mail address or phone
-- number, and matching (src/identity.c).
--
-- Privileges: the settings table is readable by everyone; the exception
-- list holds personal data and is readable only by its owner.  Neither is
-- writable by PUBLIC: they are written through _config_write (src/security.c),
-- which lets members of the workspace's owner role change them.  The
-- functions that change them (configure, add_exception, remove_exception,
-- import_exceptions, exclude_lead, exclude_order) and the look-ups that
-- reveal them (find_matches, is_excluded) run with the caller's rights and
-- are not executable by PUBLIC; an administrator grants them to the
-- application's role:
--   GRANT EXECUTE ON FUNCTION returning_crm.add_exception(text, text, text, text) TO app;

-- Normalisers of whole arrays, for GIN indexes on text[] columns.
CREATE OR REPLACE FUNCTION returning_crm.normalize_emails(text[])
RETURNS text[]
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'normalize_emails';
COMMENT ON FUNCTION returning_crm.normalize_emails(text[]) IS
	'Returns the distinct normalised e-mail addresses of the array (see normalize_email), sorted, or NULL when there is none.';

CREATE OR REPLACE FUNCTION returning_crm.normalize_phones(text[], region text)
RETURNS text[]
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'normalize_phones';
COMMENT ON FUNCTION returning_crm.normalize_phones(text[], text) IS
	'Returns the distinct phone numbers of the array in E.164 format (see normalize_phone), sorted, or NULL when there is none.';

CREATE OR REPLACE FUNCTION returning_crm.normalize_phones(text[])
RETURNS text[]
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'normalize_phones_international';
COMMENT ON FUNCTION returning_crm.normalize_phones(text[]) IS
	'Returns the distinct phone numbers of the array written in international format, in E.164 format, sorted, or NULL when there is none.';

CREATE OR REPLACE FUNCTION returning_crm._region_is_known(text)
RETURNS boolean
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'returning_region_is_known';
COMMENT ON FUNCTION returning_crm._region_is_known(text) IS
	'True when libphonenumber knows the ISO 3166-1 alpha-2 region (any case).';

-- The normalised value and kind of an exception as the user wrote it: an
-- e-mail address when normalize_email finds one, else a phone number.
CREATE OR REPLACE FUNCTION returning_crm._exception_value(value text, region text,
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

CREATE OR REPLACE FUNCTION returning_crm._region(workspace text)
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
CREATE OR REPLACE FUNCTION returning_crm._identity_expr(kind text, col name, is_array boolean, region text,
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
CREATE OR REPLACE FUNCTION returning_crm._identity_index_comment(kind text, col name)
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
CREATE OR REPLACE FUNCTION returning_crm._drop_identity_indexes(rel regclass, only_kind text DEFAULT NULL)
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
		PERFORM returning_crm._as_owner(rel, format('DROP INDEX %s', idx));
	END LOOP;
END
$$;
COMMENT ON FUNCTION returning_crm._drop_identity_indexes(regclass, text) IS
	'Drops the matching indexes the extension made on a table.';

-- One index per e-mail and phone column: btree on (tenant, expression) for
-- text columns, GIN on the array expression for text[] columns.  Names are
-- chosen free of collisions; the comment marks them as the extension's.
CREATE OR REPLACE FUNCTION returning_crm._create_identity_indexes(a returning_crm.attachment,
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
				PERFORM returning_crm._as_owner(a.relid, format('CREATE INDEX %I ON %s USING gin (%s)',
					idxname, a.relid, returning_crm._identity_expr(k, col, true, region)));
			ELSE
				PERFORM returning_crm._as_owner(a.relid, format('CREATE INDEX %I ON %s (%s%s)',
					idxname, a.relid,
					CASE WHEN a.tenant_column IS NULL THEN '' ELSE format('%I, ', a.tenant_column) END,
					returning_crm._identity_expr(k, col, false, region)));
			END IF;
			PERFORM returning_crm._as_owner(a.relid, format('COMMENT ON INDEX %I.%I IS %L',
				(SELECT nspname FROM pg_namespace WHERE oid = nsp),
				idxname, returning_crm._identity_index_comment(k, col)));
		END LOOP;
	END LOOP;
END
$$;
COMMENT ON FUNCTION returning_crm._create_identity_indexes(returning_crm.attachment, text) IS
	'Creates the matching indexes of an attached leads, contacts or companies table.';

CREATE OR REPLACE FUNCTION returning_crm.attach_contacts(
	table_name regclass,
	id_column name DEFAULT 'id',
	company_column name DEFAULT NULL,
	name_column name DEFAULT NULL,
	email_columns name[] DEFAULT '{}',
	phone_columns name[] DEFAULT '{}',
	tenant_column name DEFAULT NULL,
	workspace text DEFAULT 'default',
	responsible_column name DEFAULT NULL)
RETURNS bigint
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT returning_crm._attach(jsonb_populate_record(NULL::returning_crm.attachment,
		jsonb_build_object(
			'relid', table_name::oid, 'workspace', workspace, 'kind', 'contacts',
			'responsible_column', responsible_column,
			'id_column', id_column, 'company_column', company_column,
			'name_column', name_column,
			'email_columns', coalesce(email_columns, '{}'), 'phone_columns', coalesce(phone_columns, '{}'),
			'tenant_column', tenant_column)))
$$;
COMMENT ON FUNCTION returning_crm.attach_contacts(regclass, name, name, name, name[], name[], name, text, name) IS
	'Attaches a contacts table: its e-mail and phone columns get matching indexes, and inquiry routing fills its name column. Adds no column and no trigger.';

CREATE OR REPLACE FUNCTION returning_crm.attach_companies(
	table_name regclass,
	id_column name DEFAULT 'id',
	title_column name DEFAULT NULL,
	email_columns name[] DEFAULT '{}',
	phone_columns name[] DEFAULT '{}',
	tenant_column name DEFAULT NULL,
	workspace text DEFAULT 'default',
	responsible_column name DEFAULT NULL)
RETURNS bigint
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT returning_crm._attach(jsonb_populate_record(NULL::returning_crm.attachment,
		jsonb_build_object(
			'relid', table_name::oid, 'workspace', workspace, 'kind', 'companies',
			'responsible_column', responsible_column,
			'id_column', id_column, 'title_column', title_column,
			'email_columns', coalesce(email_columns, '{}'), 'phone_columns', coalesce(phone_columns, '{}'),
			'tenant_column', tenant_column)))
$$;
COMMENT ON FUNCTION returning_crm.attach_companies(regclass, name, name, name[], name[], name, text, name) IS
	'Attaches a companies table: its e-mail and phone columns get matching indexes, and inquiry routing fills its title column. Adds no column and no trigger.';

-- Settings
CREATE OR REPLACE FUNCTION returning_crm.configure(
	workspace text DEFAULT 'default',
	repeat_sales boolean DEFAULT NULL,
	leads_enabled boolean DEFAULT NULL,
	use_finished_lead boolean DEFAULT NULL,
	default_region text DEFAULT NULL,
	notify_channel text DEFAULT NULL,
	log_changes boolean DEFAULT NULL)
RETURNS returning_crm.workspace_settings
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ws text := configure.workspace;
	region text := upper(btrim(configure.default_region));
	saved jsonb;
	r returning_crm.workspace_settings;
	a returning_crm.attachment;
	distributed text;
BEGIN
	IF ws IS NULL OR ws = '' THEN
		RAISE EXCEPTION 'workspace must not be empty' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF region <> '' AND NOT returning_crm._region_is_known(region) THEN
		RAISE EXCEPTION 'unknown region "%"', configure.default_region
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give an ISO 3166-1 alpha-2 code such as DE or GB, or an empty string for none.';
	END IF;

	IF octet_length(configure.notify_channel) >= 64 THEN
		RAISE EXCEPTION 'notify_channel "%" is too long', configure.notify_channel
			USING ERRCODE = 'name_too_long',
				  DETAIL = 'A channel name has at most 63 bytes.';
	END IF;

	-- The change log is a table of this node: the shards of a distributed
	-- table could not write it in their transactions.
	IF configure.log_changes AND to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
		EXECUTE 'SELECT pg_catalog.string_agg(x.relid::pg_catalog.text, '', '' ORDER BY x.relid::pg_catalog.text)'
				'  FROM returning_crm.attachment x, pg_catalog.pg_dist_partition p'
				' WHERE p.logicalrelid OPERATOR(pg_catalog.=) x.relid AND x.workspace OPERATOR(pg_catalog.=) $1'
			INTO distributed USING ws;
		IF distributed IS NOT NULL THEN
			RAISE EXCEPTION 'log_changes is not supported on distributed tables'
				USING ERRCODE = 'feature_not_supported',
					  DETAIL = format('Workspace "%s" has the distributed tables %s.', ws, distributed),
					  HINT = 'Leave log_changes off for this workspace: the states stay readable in the tables.';
		END IF;
	END IF;

	-- members of the workspace's owner role only (src/security.c)
	SELECT x INTO saved FROM returning_crm._config_write('settings', ws, NULL,
		jsonb_build_object('repeat_sales', configure.repeat_sales,
						   'leads_enabled', configure.leads_enabled,
						   'use_finished_lead', configure.use_finished_lead,
						   'default_region', region,
						   'notify_channel', configure.notify_channel,
						   'log_changes', configure.log_changes)) x;
	r := jsonb_populate_record(NULL::returning_crm.workspace_settings, saved);

	-- The shards of distributed tables read notify_channel (and log_changes,
	-- which they refuse) from their triggers' configuration: where Citus is
	-- installed, make the triggers anew, also of the tables not distributed
	-- yet (as the tables' owners: the caller must own them)
	IF (configure.notify_channel IS NOT NULL OR configure.log_changes IS NOT NULL)
	   AND to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
		PERFORM returning_crm._create_triggers(x.relid) FROM returning_crm.attachment x
		  WHERE x.workspace = ws AND x.kind IN ('leads', 'orders');
	END IF;

	-- The phone indexes have the region in their expression: rebuild them
	-- (as the tables' owners: the caller must own them)
	IF r.default_region IS DISTINCT FROM saved->>'old_region' THEN
		FOR a IN SELECT * FROM returning_crm.attachment x
				  WHERE x.workspace = ws AND cardinality(x.phone_columns) > 0
		LOOP
			PERFORM returning_crm._drop_identity_indexes(a.relid, 'phone');
			PERFORM returning_crm._create_identity_indexes(a, 'phone');
		END LOOP;
	END IF;
	RETURN r;
END
$$;
REVOKE ALL ON FUNCTION returning_crm.configure(text, boolean, boolean, boolean, text, text, boolean) FROM PUBLIC;
COMMENT ON FUNCTION returning_crm.configure(text, boolean, boolean, boolean, text, text, boolean) IS
	'Changes the settings of a workspace and returns them; a NULL argument leaves that setting as it is, an empty default_region or notify_channel removes it. Changing default_region rebuilds the workspace''s phone indexes.';

-- Exceptions
CREATE OR REPLACE FUNCTION returning_crm.add_exception(
	value text,
	comment text DEFAULT NULL,
	tenant text DEFAULT NULL,
	workspace text DEFAULT 'default')
RETURNS returning_crm.exception
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v record;
	entry jsonb;
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

	entry := jsonb_build_object('tenant', add_exception.tenant, 'kind', v.kind, 'value', v.normalized,
								'comment', nullif(add_exception.comment, ''));
	SELECT x INTO entry FROM returning_crm._config_write('add_exceptions', workspace, NULL,
														  jsonb_build_array(entry)) x;
	IF entry IS NULL THEN
		-- Already on the list: the existing entry is returned unchanged
		SELECT x INTO entry FROM returning_crm._config_write('get_exception', workspace, NULL,
			jsonb_build_object('tenant', add_exception.tenant, 'kind', v.kind, 'value', v.normalized)) x;
	END IF;
	RETURN jsonb_populate_record(NULL::returning_crm.exception, entry);
END
$$;
REVOKE ALL ON FUNCTION returning_crm.add_exception(text, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION returning_crm.add_exception(text, text, text, text) IS
	'Puts an e-mail address or phone number (the kind is detected) on the exception list of a workspace and tenant, and returns the entry. Adding a value that is already there returns the existing entry unchanged.';

CREATE OR REPLACE FUNCTION returning_crm.remove_exception(
	value text,
	tenant text DEFAULT NULL,
	workspace text DEFAULT 'default')
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v record := returning_crm._exception_value(value, returning_crm._region(workspace));
BEGIN
	RETURN EXISTS (SELECT FROM returning_crm._config_write('remove_exception', workspace, NULL,
		jsonb_build_object('tenant', remove_exception.tenant, 'kind', v.kind, 'value', v.normalized)));
END
$$;
REVOKE ALL ON FUNCTION returning_crm.remove_exception(text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION returning_crm.remove_exception(text, text, text) IS
	'Removes an e-mail address or phone number from the exception list of a workspace and tenant; returns whether it was there.';

-- The lines of an import, split and checked for their encoding (src/import.c)
CREATE OR REPLACE FUNCTION returning_crm._split_lines(text)
RETURNS TABLE (line integer, content text, problem text)
LANGUAGE C STRICT IMMUTABLE AS 'MODULE_PATHNAME', 'returning_split_lines_text';
CREATE OR REPLACE FUNCTION returning_crm._split_lines(bytea)
RETURNS TABLE (line integer, content text, problem text)
LANGUAGE C STRICT IMMUTABLE AS 'MODULE_PATHNAME', 'returning_split_lines_bytea';

-- The shared body of both import_exceptions: one set-based pass that
-- checks, normalises, deduplicates and inserts the lines and reports each.
CREATE OR REPLACE FUNCTION returning_crm._import_lines(contents text[], problems text[],
											tenant text, workspace text)
RETURNS TABLE (line integer, value text, status text, reason text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	region text := returning_crm._region(workspace);
BEGIN
	IF workspace IS NULL OR workspace = '' THEN
		RAISE EXCEPTION 'workspace must not be empty' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN QUERY
	WITH p AS (
		SELECT t.n::int AS line,
			   left(btrim(split_part(t.l, ';', 1)), 1000) AS raw,
			   CASE WHEN strpos(t.l, ';') > 0 THEN nullif(btrim(substr(t.l, strpos(t.l, ';') + 1)), '') END AS comment,
			   CASE WHEN t.pre IS NOT NULL THEN t.pre
					WHEN btrim(t.l, E' \t') = '' THEN 'blank line'
					WHEN length(t.l) > 2000 THEN 'malformed: line longer than 2000 characters'
					WHEN translate(t.l, E'\t', ' ') ~ '[[:cntrl:]]' THEN 'malformed: control character in line'
					WHEN btrim(split_part(t.l, ';', 1), E' \t') = '' THEN 'malformed: no value before ";"'
					WHEN length(btrim(substr(t.l, strpos(t.l, ';') + 1))) > 255 AND strpos(t.l, ';') > 0
						THEN 'comment longer than 255 characters'
			   END AS problem
		  FROM unnest(contents, problems) WITH ORDINALITY AS t(l, pre, n)
	), v AS (
		SELECT p.line, p.raw, p.comment, e.kind, e.normalized,
			   CASE WHEN p.problem IS NOT NULL THEN p.problem
					WHEN e.kind IS NULL THEN 'neither an e-mail address nor a phone number' END AS reason
		  FROM p
		  LEFT JOIN LATERAL returning_crm._exception_value(CASE WHEN p.problem IS NULL THEN p.raw END,
														   region) e ON true
	), f AS (
		SELECT v.*, CASE WHEN v.reason IS NULL
						 THEN min(v.line) FILTER (WHERE v.reason IS NULL)
								 OVER (PARTITION BY v.kind, v.normalized) END AS first
		  FROM v
	), added AS (
		SELECT x->>'kind' AS kind, x->>'value' AS value
		  FROM returning_crm._config_write('add_exceptions', workspace, NULL,
				(SELECT coalesce(jsonb_agg(jsonb_build_object('tenant', _import_lines.tenant,
						'kind', f.kind, 'value', f.normalized, 'comment', f.comment)), '[]')
				   FROM f WHERE f.reason IS NULL AND f.line = f.first)) x
	)
	SELECT f.line, coalesce(f.normalized, f.raw)::text,
		   CASE WHEN f.reason IS NOT NULL THEN 'skipped'
				WHEN f.line <> f.first OR a.value IS NULL THEN 'duplicate'
				ELSE 'added' END,
		   CASE WHEN f.reason IS NOT NULL THEN f.reason
				WHEN f.line <> f.first THEN format('same %s as line %s',
												   CASE f.kind WHEN 'email' THEN 'address' ELSE 'number' END, f.first)
				WHEN a.value IS NULL THEN 'already on the exception list' END
	  FROM f
	  LEFT JOIN added a ON a.kind = f.kind AND a.value = f.normalized AND f.line = f.first
	 ORDER BY f.line;
END
$$;

CREATE OR REPLACE FUNCTION returning_crm.import_exceptions(
	lines text,
	tenant text DEFAULT NULL,
	workspace text DEFAULT 'default')
RETURNS TABLE (line integer, value text, status text, reason text)
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT i.* FROM (SELECT array_agg(s.content ORDER BY s.line) AS contents,
							array_agg(s.problem ORDER BY s.line) AS problems
					   FROM returning_crm._split_lines(lines) s) a,
		LATERAL returning_crm._import_lines(COALESCE(a.contents, '{}'), COALESCE(a.problems, '{}'),
											tenant, workspace) i
$$;
REVOKE ALL ON FUNCTION returning_crm.import_exceptions(text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION returning_crm.import_exceptions(text, text, text) IS
	'Imports exceptions, one "value;comment" per line (the comment is optional), and reports every line: added, duplicate (within the input or already on the list) or skipped with the reason (blank, malformed, not UTF-8 in an SQL_ASCII database, comment too long, neither an address nor a number).';

CREATE OR REPLACE FUNCTION returning_crm.import_exceptions(
	lines bytea,
	tenant text DEFAULT NULL,
	workspace text DEFAULT 'default')
RETURNS TABLE (line integer, value text, status text, reason text)
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT i.* FROM (SELECT array_agg(s.content ORDER BY s.line) AS contents,
							array_agg(s.problem ORDER BY s.line) AS problems
					   FROM returning_crm._split_lines(lines) s) a,
		LATERAL returning_crm._import_lines(COALESCE(a.contents, '{}'), COALESCE(a.problems, '{}'),
											tenant, workspace) i
$$;
REVOKE ALL ON FUNCTION returning_crm.import_exceptions(bytea, text, text) FROM PUBLIC;
COMMENT ON FUNCTION returning_crm.import_exceptions(bytea, text, text) IS
	'Imports exceptions from a file of unknown encoding, as import_exceptions(text): a line that is not UTF-8, or holds a character the database cannot store, is skipped with its number.';

-- The text of a row's tenant in SQL that reads a table with the caller's
-- rights: by the type's output function (format), never by a cast to text,
-- which the type's owner could have defined to run code as the caller.
-- A text NULL without a tenant column.
CREATE OR REPLACE FUNCTION returning_crm._tenant_text(tenant_column name, alias text)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN tenant_column IS NULL THEN 'NULL::pg_catalog.text'
				ELSE format('CASE WHEN %1$s.%2$I IS NOT NULL THEN pg_catalog.format(''%%s'', %1$s.%2$I) END',
							alias, tenant_column) END
$$;
COMMENT ON FUNCTION returning_crm._tenant_text(name, text) IS
	'SQL for the text of a row''s tenant by its type''s output function, for statements that run with the caller''s rights.';

-- The kind, tenant and normalised addresses of one row of an attached table
CREATE OR REPLACE FUNCTION returning_crm._row_addresses(rel regclass, row_id bigint, row_tenant text DEFAULT NULL)
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
				'SELECT %s, %L::text, x FROM %s t, unnest(%s) x WHERE t.%I = $1 %s',
				returning_crm._tenant_text(a.tenant_column, 't'),
				k, a.relid,
				CASE WHEN returning_crm._column_type(a.relid, col, k) IN ('text[]'::regtype, 'character varying[]'::regtype)
					 THEN returning_crm._identity_expr(k, col, true, region, 't')
					 ELSE format('ARRAY[%s]', returning_crm._identity_expr(k, col, false, region, 't')) END,
				a.id_column,
				CASE WHEN a.tenant_column IS NULL OR row_tenant IS NULL THEN ''
					 ELSE format('AND %s = $2', returning_crm._tenant_text(a.tenant_column, 't')) END);
		END LOOP;
	END LOOP;
	IF cardinality(parts) > 0 THEN
		RETURN QUERY EXECUTE format('SELECT * FROM (%s) s WHERE s.x IS NOT NULL',
									array_to_string(parts, ' UNION ')) USING row_id, row_tenant;
	END IF;
END
$$;
COMMENT ON FUNCTION returning_crm._row_addresses(regclass, bigint, text) IS
	'The normalised e-mail addresses and phone numbers of one row of an attached table, with the row''s tenant.';

-- The addresses of a lead or order, of its company and of its contact, put
-- on the list: both sides, so that the contact of a company's order does
-- not stay routable.  Read with the caller's rights.
CREATE OR REPLACE FUNCTION returning_crm._exclude(kind text, row_id bigint, workspace text,
									   row_tenant text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	a returning_crm.attachment;
	c record;
	side record;
	added bigint := 0;
	n bigint;
	found_row boolean := false;
BEGIN
	SELECT * INTO a FROM returning_crm.attachment x WHERE x.workspace = _exclude.workspace AND x.kind = _exclude.kind;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'workspace "%" has no attached % table', workspace, kind
			USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
	-- ids may be unique per tenant only: the tenant is read through its column's type
	IF a.tenant_column IS NOT NULL AND row_tenant IS NULL THEN
		RAISE EXCEPTION 'tenant must be given for workspace "%"', workspace
			USING ERRCODE = 'null_value_not_allowed',
				  DETAIL = format('Table %s has the tenant column %I.', a.relid, a.tenant_column);
	END IF;
	IF a.tenant_column IS NULL AND row_tenant IS NOT NULL THEN
		RAISE EXCEPTION 'workspace "%" has no tenants', workspace
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass tenant => NULL.';
	END IF;
	FOR c IN EXECUTE format('SELECT %s AS tenant, %s::bigint AS company, %s::bigint AS contact FROM %s t WHERE t.%I = $1%s',
							returning_crm._tenant_text(a.tenant_column, 't'),
							coalesce(format('t.%I', a.company_column), 'NULL'),
							coalesce(format('t.%I', a.contact_column), 'NULL'),
							a.relid, a.id_column,
							CASE WHEN a.tenant_column IS NULL THEN ''
								 ELSE format(' AND %s = $2', returning_crm._tenant_text(a.tenant_column, 't')) END)
		USING row_id, row_tenant
	LOOP
		found_row := true;
		-- The row's own addresses (leads have them; orders rarely), then
		-- those of its company and of its contact, when set
		FOR side IN
			SELECT a.relid AS rel, row_id AS id
			UNION ALL
			SELECT x.relid, c.company FROM returning_crm.attachment x
			 WHERE x.workspace = _exclude.workspace AND x.kind = 'companies' AND coalesce(c.company, 0) <> 0
			UNION ALL
			SELECT x.relid, c.contact FROM returning_crm.attachment x
			 WHERE x.workspace = _exclude.workspace AND x.kind = 'contacts' AND coalesce(c.contact, 0) <> 0
		LOOP
			SELECT count(*) INTO n
			  FROM returning_crm._config_write('add_exceptions', _exclude.workspace, NULL,
					(SELECT coalesce(jsonb_agg(DISTINCT jsonb_build_object('tenant', c.tenant, 'kind', r.kind,
							'value', r.value,
							'comment', format('Excluded with %s %s.', rtrim(_exclude.kind, 's'), row_id))), '[]')
					   FROM returning_crm._row_addresses(side.rel, side.id, c.tenant) r));
			added := added + n;
		END LOOP;
	END LOOP;
	IF NOT found_row THEN
		RAISE EXCEPTION '% % does not exist in workspace "%"', rtrim(kind, 's'), row_id, workspace
			USING ERRCODE = 'no_data_found';
	END IF;
	RETURN added;
END
$$;
COMMENT ON FUNCTION returning_crm._exclude(text, bigint, text, text) IS
	'The shared body of exclude_lead and exclude_order.';

CREATE OR REPLACE FUNCTION returning_crm.exclude_lead(id bigint, workspace text DEFAULT 'default',
										   tenant text DEFAULT NULL)
RETURNS bigint
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$ SELECT returning_crm._exclude('leads', id, workspace, tenant) $$;
REVOKE ALL ON FUNCTION returning_crm.exclude_lead(bigint, text, text) FROM PUBLIC;
COMMENT ON FUNCTION returning_crm.exclude_lead(bigint, text, text) IS
	'Puts the e-mail addresses and phone numbers of a lead, of its company and of its contact on the exception list; returns how many were added.';

CREATE OR REPLACE FUNCTION returning_crm.exclude_order(id bigint, workspace text DEFAULT 'default',
											tenant text DEFAULT NULL)
RETURNS bigint
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$ SELECT returning_crm._exclude('orders', id, workspace, tenant) $$;
REVOKE ALL ON FUNCTION returning_crm.exclude_order(bigint, text, text) FROM PUBLIC;
COMMENT ON FUNCTION returning_crm.exclude_order(bigint, text, text) IS
	'Puts the e-mail addresses and phone numbers of an order''s company and of its contact (and any of the order itself) on the exception list; returns how many were added.';

-- Matching, for SQL callers
CREATE OR REPLACE FUNCTION returning_crm.find_matches(email text, phone text,
										   tenant text DEFAULT NULL, workspace text DEFAULT 'default')
RETURNS TABLE (entity text, id bigint)
LANGUAGE C STABLE
AS 'MODULE_PATHNAME', 'returning_find_matches';
REVOKE ALL ON FUNCTION returning_crm.find_matches(text, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION returning_crm.find_matches(text, text, text, text) IS
	'The attached contacts, companies and open leads of a workspace and tenant with this e-mail address or phone number (raw; both are normalised), one index probe per mapped column.';

CREATE OR REPLACE FUNCTION returning_crm.is_excluded(email text, phone text,
										  tenant text DEFAULT NULL, workspace text DEFAULT 'default')
RETURNS boolean
LANGUAGE C STABLE
AS 'MODULE_PATHNAME', 'returning_is_excluded';
REVOKE ALL ON FUNCTION returning_crm.is_excluded(text, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION returning_crm.is_excluded(text, text, text, text) IS
	'True when the e-mail address or the phone number (raw; both are normalised) is on the exception list of the workspace, for the tenant or for every tenant.';
