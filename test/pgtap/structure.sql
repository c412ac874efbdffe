-- pgTAP: what attach adds to the application's tables, what the extension
-- owns, and what DROP EXTENSION leaves behind.
--
-- Runs in one transaction that is rolled back: nothing stays in the database.
-- Every expectation is computed from the catalogs (or by evaluating the
-- generated expressions), never copied from the extension's own output.

\set ON_ERROR_STOP 1
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;

BEGIN;

CREATE EXTENSION "returning";

SELECT plan(70);

-- ---------------------------------------------------------------------------
-- Fixture: an application schema with a leads and an orders table, attached
-- with the defaults; a second workspace with a tenant column and a prefix.
-- ---------------------------------------------------------------------------
CREATE SCHEMA app;
CREATE TABLE app.lead (
	id         integer PRIMARY KEY,
	contact_id integer,
	company_id integer,
	status     text NOT NULL DEFAULT 'new'
);
CREATE TABLE app.deal (
	id         bigint PRIMARY KEY,
	contact_id integer,
	company_id integer,
	stage      text NOT NULL DEFAULT 'open',
	lead_id    integer,
	created_at timestamptz,
	title      text
);
INSERT INTO app.lead VALUES (1, 5, NULL, 'new'), (2, NULL, NULL, 'new'), (3, NULL, 7, 'junk');
INSERT INTO app.deal VALUES
	(1, 5, NULL, 'won',  NULL, '2024-01-01', 'first'),
	(2, 5, NULL, 'open', 1,    '2024-01-02', 'second'),
	(3, 6, NULL, 'open', 1,    '2024-01-03', 'from a repeat lead'),
	(4, NULL, NULL, 'open', NULL, NULL, 'no client');

DO $$
BEGIN
	PERFORM returning_crm.attach_leads('app.lead');
	PERFORM returning_crm.attach_orders('app.deal', lead_column => 'lead_id', ordered_by => 'created_at');
END
$$;

CREATE TABLE app.lead_t (
	lead_no   bigint PRIMARY KEY,
	tenant_id integer NOT NULL,
	person_id bigint,
	firm_id   bigint,
	state     text NOT NULL DEFAULT 'fresh'
);
CREATE TABLE app.deal_t (
	order_no    bigint PRIMARY KEY,
	tenant_id   integer NOT NULL,
	person_id   bigint,
	firm_id     bigint,
	phase       text NOT NULL DEFAULT 'open',
	origin_lead bigint,
	placed_at   timestamp
);
DO $$
BEGIN
	PERFORM returning_crm.attach_leads('app.lead_t', id_column => 'lead_no', contact_column => 'person_id',
		company_column => 'firm_id', status_column => 'state', tenant_column => 'tenant_id',
		column_prefix => 'x_', workspace => 'tenanted');
	PERFORM returning_crm.attach_orders('app.deal_t', id_column => 'order_no', contact_column => 'person_id',
		company_column => 'firm_id', stage_column => 'phase', lead_column => 'origin_lead',
		ordered_by => 'placed_at', tenant_column => 'tenant_id', column_prefix => 'x_',
		workspace => 'tenanted');
END
$$;

-- Helpers --------------------------------------------------------------------

-- Evaluate the stored expression of generated column gen_col for a row whose
-- state column (named state_col) holds val.
CREATE FUNCTION pg_temp.eval_generated(rel regclass, gen_col name, state_col name, val text)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
	expr text;
	r boolean;
BEGIN
	SELECT pg_get_expr(d.adbin, d.adrelid) INTO STRICT expr
	  FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
	 WHERE d.adrelid = rel AND a.attname = gen_col;
	EXECUTE format('SELECT %s FROM (SELECT $1::text AS %I) s', expr, state_col) INTO r USING val;
	RETURN r;
END
$$;

-- The key columns of every index of a table, with its predicate.
CREATE FUNCTION pg_temp.index_keys(rel regclass)
RETURNS TABLE (keys name[], pred text) LANGUAGE sql AS $$
	SELECT (SELECT array_agg(a.attname ORDER BY k.n)
			  FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
			  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum),
		   pg_get_expr(i.indpred, i.indrelid)
	  FROM pg_index i
	 WHERE i.indrelid = rel AND i.indisvalid
$$;

-- The non-internal triggers of a table with the schema of their function.
CREATE FUNCTION pg_temp.triggers(rel regclass)
RETURNS TABLE (tgname name, fn_schema name, fn name, tgtype int2, tgenabled "char")
LANGUAGE sql AS $$
	SELECT t.tgname, n.nspname, p.proname, t.tgtype, t.tgenabled
	  FROM pg_trigger t
	  JOIN pg_proc p ON p.oid = t.tgfoid
	  JOIN pg_namespace n ON n.oid = p.pronamespace
	 WHERE t.tgrelid = rel AND NOT t.tgisinternal
$$;

-- ---------------------------------------------------------------------------
-- rule none (README "Added columns"): the added columns and their types
-- The added columns and their types (12 tests)
-- ---------------------------------------------------------------------------
SELECT col_type_is('app', 'deal', 'returning_state', 'text', 'orders: returning_state is text');
SELECT col_type_is('app', 'deal', 'is_new', 'boolean', 'orders: is_new is boolean');
SELECT col_type_is('app', 'deal', 'is_repeat', 'boolean', 'orders: is_repeat is boolean');
SELECT col_type_is('app', 'deal', 'is_repeated_inquiry', 'boolean', 'orders: is_repeated_inquiry is boolean');
SELECT col_type_is('app', 'lead', 'returning_state', 'text', 'leads: returning_state is text');
SELECT col_type_is('app', 'lead', 'is_repeat', 'boolean', 'leads: is_repeat is boolean');
SELECT hasnt_column('app', 'lead', 'is_new', 'leads: no is_new column');

-- With column_prefix every added column carries the prefix, and only then.
SELECT is(
	(SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute
	  WHERE attrelid = 'app.deal_t'::regclass AND attnum > 0 AND NOT attisdropped
		AND attname NOT IN ('order_no', 'tenant_id', 'person_id', 'firm_id', 'phase', 'origin_lead', 'placed_at')),
	ARRAY['x_returning_state', 'x_is_new', 'x_is_repeat', 'x_is_repeated_inquiry', 'x_returning_routed'],
	'prefixed orders: exactly the five prefixed columns were added');
SELECT is(
	(SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute
	  WHERE attrelid = 'app.lead_t'::regclass AND attnum > 0 AND NOT attisdropped
		AND attname NOT IN ('lead_no', 'tenant_id', 'person_id', 'firm_id', 'state')),
	ARRAY['x_returning_state', 'x_is_repeat'],
	'prefixed leads: exactly the two prefixed columns were added');
SELECT col_type_is('app', 'deal_t', 'x_returning_state', 'text', 'prefixed orders: x_returning_state is text');

-- The application's columns are untouched: same names, types, order.
SELECT is(
	(SELECT array_agg(attname || ' ' || format_type(atttypid, atttypmod) ORDER BY attnum)
	   FROM pg_attribute WHERE attrelid = 'app.deal'::regclass AND attnum BETWEEN 1 AND 7),
	ARRAY['id bigint', 'contact_id integer', 'company_id integer', 'stage text', 'lead_id integer',
		  'created_at timestamp with time zone', 'title text'],
	'orders: the application columns keep their names, types and positions');
SELECT is(
	(SELECT count(*)::integer FROM pg_attribute
	  WHERE attrelid IN ('app.deal'::regclass, 'app.lead'::regclass)
		AND attname IN ('returning_state', 'is_new', 'is_repeat', 'is_repeated_inquiry')
		AND attnotnull),
	0,
	'no added column is NOT NULL (the application can still insert without them)');

-- ---------------------------------------------------------------------------
-- rule none (README "Added columns"): the generated columns
-- Generated columns: STORED, and computed from the state column (9 tests)
-- ---------------------------------------------------------------------------
SELECT is(
	(SELECT array_agg(attname::text ORDER BY attname) FROM pg_attribute
	  WHERE attrelid = 'app.deal'::regclass AND attgenerated = 's'),
	ARRAY['is_new', 'is_repeat', 'is_repeated_inquiry'],
	'orders: the is_* columns, and only they, are STORED generated');
SELECT is(
	(SELECT array_agg(attname::text ORDER BY attname) FROM pg_attribute
	  WHERE attrelid = 'app.lead'::regclass AND attgenerated = 's'),
	ARRAY['is_repeat'],
	'leads: is_repeat, and only it, is STORED generated');
SELECT is(
	(SELECT array_agg(attname::text ORDER BY attname) FROM pg_attribute
	  WHERE attrelid = 'app.deal_t'::regclass AND attgenerated = 's'),
	ARRAY['x_is_new', 'x_is_repeat', 'x_is_repeated_inquiry'],
	'prefixed orders: the x_is_* columns are STORED generated');
SELECT is(
	(SELECT attgenerated FROM pg_attribute WHERE attrelid = 'app.deal'::regclass AND attname = 'returning_state'),
	''::"char",
	'orders: returning_state itself is a plain column (kept by the triggers)');

-- Each flag, evaluated for each state, is true exactly for its own state.
SELECT is(
	ARRAY[pg_temp.eval_generated('app.deal', 'is_new', 'returning_state', 'new'),
		  pg_temp.eval_generated('app.deal', 'is_new', 'returning_state', 'repeat'),
		  pg_temp.eval_generated('app.deal', 'is_new', 'returning_state', 'repeated_inquiry')],
	ARRAY[true, false, false],
	'orders: is_new is true for new only');
SELECT is(
	ARRAY[pg_temp.eval_generated('app.deal', 'is_repeat', 'returning_state', 'new'),
		  pg_temp.eval_generated('app.deal', 'is_repeat', 'returning_state', 'repeat'),
		  pg_temp.eval_generated('app.deal', 'is_repeat', 'returning_state', 'repeated_inquiry')],
	ARRAY[false, true, false],
	'orders: is_repeat is true for repeat only');
SELECT is(
	ARRAY[pg_temp.eval_generated('app.deal', 'is_repeated_inquiry', 'returning_state', 'new'),
		  pg_temp.eval_generated('app.deal', 'is_repeated_inquiry', 'returning_state', 'repeat'),
		  pg_temp.eval_generated('app.deal', 'is_repeated_inquiry', 'returning_state', 'repeated_inquiry')],
	ARRAY[false, false, true],
	'orders: is_repeated_inquiry is true for repeated_inquiry only');
SELECT is(
	ARRAY[pg_temp.eval_generated('app.lead', 'is_repeat', 'returning_state', 'new'),
		  pg_temp.eval_generated('app.lead', 'is_repeat', 'returning_state', 'repeat')],
	ARRAY[false, true],
	'leads: is_repeat is true for repeat only');
SELECT is(
	ARRAY[pg_temp.eval_generated('app.deal_t', 'x_is_repeat', 'x_returning_state', 'new'),
		  pg_temp.eval_generated('app.deal_t', 'x_is_repeat', 'x_returning_state', 'repeat')],
	ARRAY[false, true],
	'prefixed orders: x_is_repeat is computed from x_returning_state');

-- ---------------------------------------------------------------------------
-- rule 1 (README "Attaching"): attach classifies the rows already there
-- rule 2 (README "Attaching"): the same
-- rule 3 (README "Attaching"): the same
-- Rows that were there before attach are classified, flags consistent
-- (3 tests). Expected: order 1 is the client's first (won) -> new; 2 has
-- the won order 1 before it -> repeat; 3 (contact 6, no won order) comes
-- from lead 1, which has a client -> repeated_inquiry; 4 has no client.
-- ---------------------------------------------------------------------------
SELECT is(
	(SELECT array_agg(returning_state ORDER BY id) FROM app.deal),
	ARRAY['new', 'repeat', 'repeated_inquiry', 'new'],
	'attach classified the existing orders');
SELECT is(
	(SELECT array_agg(returning_state ORDER BY id) FROM app.lead),
	ARRAY['repeat', 'new', 'repeat'],
	'attach classified the existing leads (a client makes a lead repeat)');
SELECT is(
	(SELECT count(*)::integer FROM app.deal
	  WHERE is_new IS DISTINCT FROM (returning_state = 'new')
		 OR is_repeat IS DISTINCT FROM (returning_state = 'repeat')
		 OR is_repeated_inquiry IS DISTINCT FROM (returning_state = 'repeated_inquiry')),
	0,
	'orders: the stored flags agree with the state of every row');

-- ---------------------------------------------------------------------------
-- rule none (README "Triggers"): the extension's triggers
-- Triggers (8 tests)
-- ---------------------------------------------------------------------------
SELECT cmp_ok(
	(SELECT count(*)::integer FROM pg_temp.triggers('app.deal') WHERE fn_schema = 'returning_crm'),
	'>', 0, 'orders: triggers calling returning_crm functions exist');
SELECT is(
	(SELECT count(*)::integer FROM pg_temp.triggers('app.deal') WHERE fn_schema <> 'returning_crm'),
	0, 'orders: every trigger attach installed calls a returning_crm function');
-- tgtype bits: 1 = row, 4 = insert, 8 = delete, 16 = update, 32 = truncate
SELECT ok(
	(SELECT bool_or(tgtype & 1 = 1 AND tgtype & 4 <> 0) AND bool_or(tgtype & 1 = 1 AND tgtype & 16 <> 0)
		AND bool_or(tgtype & 8 <> 0)
	   FROM pg_temp.triggers('app.deal') WHERE fn_schema = 'returning_crm'),
	'orders: row triggers cover INSERT and UPDATE, and DELETE is covered');
SELECT ok(
	(SELECT bool_and(tgenabled = 'O') FROM pg_temp.triggers('app.deal')),
	'orders: the triggers are enabled');
SELECT ok(
	(SELECT bool_or(tgtype & 1 = 1 AND tgtype & 4 <> 0) AND bool_or(tgtype & 1 = 1 AND tgtype & 16 <> 0)
		AND bool_or(tgtype & 8 <> 0)
	   FROM pg_temp.triggers('app.lead') WHERE fn_schema = 'returning_crm'),
	'leads: row triggers cover INSERT and UPDATE, and DELETE is covered');
SELECT ok(
	(SELECT bool_or(tgtype & 32 <> 0) FROM pg_temp.triggers('app.lead') WHERE fn_schema = 'returning_crm'),
	'leads: a TRUNCATE trigger keeps the orders of a truncated leads table right');
SELECT is(
	(SELECT count(*)::integer FROM pg_temp.triggers('app.lead') WHERE fn_schema <> 'returning_crm'),
	0, 'leads: every trigger attach installed calls a returning_crm function');
SELECT cmp_ok(
	(SELECT count(*)::integer FROM pg_temp.triggers('app.deal_t') WHERE fn_schema = 'returning_crm'),
	'>', 0, 'prefixed orders: triggers exist too');

-- ---------------------------------------------------------------------------
-- rule none (README "Indexes that attaching creates"): the indexes
-- Indexes the rules need (7 tests)
-- ---------------------------------------------------------------------------
SELECT ok(EXISTS (SELECT FROM pg_temp.index_keys('app.deal') WHERE keys[1] = 'company_id'),
	'orders: an index leads with the company column');
SELECT ok(EXISTS (SELECT FROM pg_temp.index_keys('app.deal') WHERE keys[1] = 'contact_id'),
	'orders: an index leads with the contact column');
SELECT ok(EXISTS (SELECT FROM pg_temp.index_keys('app.deal')
				   WHERE keys = '{company_id,created_at,id}' AND pred ~ 'stage' AND pred ~ 'won'),
	'orders: a partial index finds a company''s won orders by position');
SELECT ok(EXISTS (SELECT FROM pg_temp.index_keys('app.deal')
				   WHERE keys = '{contact_id,created_at,id}' AND pred ~ 'stage' AND pred ~ 'won'),
	'orders: a partial index finds a contact''s won orders by position');
SELECT ok(EXISTS (SELECT FROM pg_temp.index_keys('app.deal') WHERE 'lead_id' = ANY (keys[1:1])),
	'orders: an index leads with the lead column');
SELECT ok(EXISTS (SELECT FROM pg_temp.index_keys('app.deal_t')
				   WHERE keys[1:2] = '{tenant_id,firm_id}' AND pred ~ 'phase'),
	'tenanted orders: the won-order index is scoped by tenant first');
SELECT ok(EXISTS (SELECT FROM pg_temp.index_keys('app.deal_t') WHERE keys[1:2] = '{tenant_id,person_id}'),
	'tenanted orders: the contact index is scoped by tenant first');

-- ---------------------------------------------------------------------------
-- rule none (README "Added columns"): every added column carries a COMMENT
-- Every added column has a COMMENT (BI tools show it) (3 tests)
-- ---------------------------------------------------------------------------
SELECT is(
	(SELECT array_agg(c.relname || '.' || a.attname ORDER BY c.relname, a.attname)
	   FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
	  WHERE c.oid IN ('app.deal'::regclass, 'app.lead'::regclass)
		AND a.attname IN ('returning_state', 'is_new', 'is_repeat', 'is_repeated_inquiry')
		AND coalesce(col_description(a.attrelid, a.attnum), '') = ''),
	NULL,
	'every added column has a non-empty comment');
SELECT is(
	(SELECT count(*)::integer FROM pg_attribute a
	  WHERE a.attrelid IN ('app.deal_t'::regclass, 'app.lead_t'::regclass)
		AND a.attname LIKE 'x\_%' AND col_description(a.attrelid, a.attnum) IS NOT NULL),
	7,
	'every prefixed added column has a comment');
SELECT is(
	(SELECT count(*)::integer FROM pg_attribute a
	  WHERE a.attrelid = 'app.deal'::regclass AND a.attname IN ('title', 'stage')
		AND col_description(a.attrelid, a.attnum) IS NOT NULL),
	0,
	'the application''s own columns get no comment');

-- ---------------------------------------------------------------------------
-- rule none (README "Configuration tables"): returning_crm.attachment
-- The configuration table (9 tests)
-- ---------------------------------------------------------------------------
SELECT has_table('returning_crm', 'attachment', 'returning_crm.attachment exists');
SELECT is(
	(SELECT array_agg(relid::text || ':' || kind || ':' || workspace ORDER BY relid::text)
	   FROM returning_crm.attachment),
	ARRAY['app.deal:orders:default', 'app.deal_t:orders:tenanted',
		  'app.lead:leads:default', 'app.lead_t:leads:tenanted'],
	'one row per attached table, with its kind and workspace');
SELECT ok(
	'returning_crm.attachment'::regclass = ANY (
		(SELECT extconfig FROM pg_extension WHERE extname = 'returning')::oid[]),
	'returning_crm.attachment is registered with pg_extension_config_dump');

CREATE ROLE returning_tap_nobody NOLOGIN;
SELECT ok(NOT has_table_privilege('returning_tap_nobody', 'returning_crm.attachment', 'INSERT'),
	'a fresh role cannot INSERT into the configuration');
SELECT ok(NOT has_table_privilege('returning_tap_nobody', 'returning_crm.attachment', 'UPDATE'),
	'a fresh role cannot UPDATE the configuration');
SELECT ok(NOT has_table_privilege('returning_tap_nobody', 'returning_crm.attachment', 'DELETE'),
	'a fresh role cannot DELETE from the configuration');
SELECT ok(NOT has_table_privilege('returning_tap_nobody', 'returning_crm.attachment', 'TRUNCATE'),
	'a fresh role cannot TRUNCATE the configuration');
SELECT is(
	(SELECT array_agg(c.oid::regclass::text ORDER BY c.relname)
	   FROM pg_class c
	  WHERE c.relnamespace = 'returning_crm'::regnamespace AND c.relkind IN ('r', 'p')
		AND (has_table_privilege('returning_tap_nobody', c.oid, 'INSERT')
			 OR has_table_privilege('returning_tap_nobody', c.oid, 'UPDATE')
			 OR has_table_privilege('returning_tap_nobody', c.oid, 'DELETE')
			 OR has_table_privilege('returning_tap_nobody', c.oid, 'TRUNCATE'))),
	NULL,
	'no table of returning_crm is writable by PUBLIC');

-- Attaching needs ownership of the table.
CREATE TABLE app.not_mine (id integer PRIMARY KEY, contact_id integer, company_id integer, stage text);
GRANT USAGE ON SCHEMA app TO returning_tap_nobody;
GRANT ALL ON app.not_mine TO returning_tap_nobody;
SET ROLE returning_tap_nobody;
SELECT throws_ok($$SELECT returning_crm.attach_orders('app.not_mine')$$, '42501', NULL,
	'a role that does not own the table cannot attach it');
RESET ROLE;

-- ---------------------------------------------------------------------------
-- rule none (README "Attaching"): every object lives in returning_crm; DROP
--    TABLE detaches
-- Functions live in returning_crm; DROP TABLE detaches (8 tests)
-- ---------------------------------------------------------------------------
SELECT is((SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'returning'),
	'returning_crm', 'the extension''s schema is returning_crm');
SELECT has_function('returning_crm', 'attach_leads', 'attach_leads is in returning_crm');
SELECT has_function('returning_crm', 'attach_orders', 'attach_orders is in returning_crm');
SELECT has_function('returning_crm', 'detach', ARRAY['regclass'], 'detach(regclass) is in returning_crm');
SELECT has_function('returning_crm', 'reclassify', ARRAY['regclass'], 'reclassify(regclass) is in returning_crm');
SELECT is(
	(SELECT array_agg(p.oid::regprocedure::text)
	   FROM pg_depend d JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
	  WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
		AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'returning')
		AND p.pronamespace <> 'returning_crm'::regnamespace),
	NULL,
	'every function of the extension is in returning_crm');
SELECT is(
	(SELECT format('%s %s %s', evtevent, evtfoid::regproc, evtenabled)
	   FROM pg_event_trigger WHERE evtname = 'returning_drop'),
	'sql_drop returning_crm._on_drop O',
	'the event trigger returning_drop detaches dropped tables');
SELECT ok(NOT has_function_privilege('public', 'returning_crm._on_drop()', 'execute'),
	'PUBLIC cannot execute returning_crm._on_drop()');

-- Every function runs with its caller's rights; none sets its own rights
SELECT is((SELECT count(*) FROM pg_proc
			WHERE pronamespace = 'returning_crm'::regnamespace AND prosecdef), 0::bigint,
	'no function of the extension is SECURITY DEFINER');
-- Every SQL and PL/pgSQL function fixes its search_path
SELECT is((SELECT count(*) FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
			WHERE p.pronamespace = 'returning_crm'::regnamespace AND l.lanname IN ('sql', 'plpgsql')
			  AND NOT coalesce(p.proconfig @> '{"search_path=pg_catalog, pg_temp"}', false)), 0::bigint,
	'every SQL and PL/pgSQL function of the extension runs with search_path pg_catalog, pg_temp');
-- The configuration is written only through the checked _config_write()
SELECT is((SELECT count(*) FROM information_schema.role_table_grants
			WHERE table_schema = 'returning_crm' AND grantee = 'PUBLIC'
			  AND privilege_type <> 'SELECT'), 0::bigint,
	'PUBLIC may not write any table of the extension');

-- ---------------------------------------------------------------------------
-- rule none (README "Attaching"): reclassify returns 0 on a table the triggers
--    have kept
-- reclassify right after attach changes nothing (1 test)
-- ---------------------------------------------------------------------------
SELECT is(returning_crm.reclassify('app.deal'), 0::bigint, 'reclassify after attach changes no order');

-- ---------------------------------------------------------------------------
-- rule none (README "FAQ"): DROP EXTENSION CASCADE keeps the application's
--    columns and rows
-- DROP EXTENSION ... CASCADE keeps the application's columns and rows
-- (7 tests). Snapshot the columns (with types) and the full row contents
-- before, compare after.
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE before_drop AS
SELECT c.oid::regclass::text AS rel,
	(SELECT array_agg(attname || ' ' || format_type(atttypid, atttypmod) ORDER BY attnum)
	   FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped) AS cols,
	NULL::text AS content
FROM pg_class c WHERE c.oid IN ('app.deal'::regclass, 'app.lead'::regclass, 'app.deal_t'::regclass);
UPDATE before_drop SET content = (SELECT md5(string_agg(t::text, ';' ORDER BY t.id)) FROM app.deal t) WHERE rel = 'app.deal';
UPDATE before_drop SET content = (SELECT md5(string_agg(t::text, ';' ORDER BY t.id)) FROM app.lead t) WHERE rel = 'app.lead';

DROP EXTENSION "returning" CASCADE;

SELECT is(
	(SELECT array_agg(attname || ' ' || format_type(atttypid, atttypmod) ORDER BY attnum)
	   FROM pg_attribute WHERE attrelid = 'app.deal'::regclass AND attnum > 0 AND NOT attisdropped),
	(SELECT cols FROM before_drop WHERE rel = 'app.deal'),
	'after DROP EXTENSION: every column of the orders table is still there, state columns included');
SELECT is(
	(SELECT array_agg(attname || ' ' || format_type(atttypid, atttypmod) ORDER BY attnum)
	   FROM pg_attribute WHERE attrelid = 'app.lead'::regclass AND attnum > 0 AND NOT attisdropped),
	(SELECT cols FROM before_drop WHERE rel = 'app.lead'),
	'after DROP EXTENSION: every column of the leads table is still there');
SELECT is(
	(SELECT array_agg(attname || ' ' || format_type(atttypid, atttypmod) ORDER BY attnum)
	   FROM pg_attribute WHERE attrelid = 'app.deal_t'::regclass AND attnum > 0 AND NOT attisdropped),
	(SELECT cols FROM before_drop WHERE rel = 'app.deal_t'),
	'after DROP EXTENSION: the prefixed columns are still there');
SELECT is(
	(SELECT md5(string_agg(t::text, ';' ORDER BY t.id)) FROM app.deal t),
	(SELECT content FROM before_drop WHERE rel = 'app.deal'),
	'after DROP EXTENSION: every order row is unchanged');
SELECT is(
	(SELECT md5(string_agg(t::text, ';' ORDER BY t.id)) FROM app.lead t),
	(SELECT content FROM before_drop WHERE rel = 'app.lead'),
	'after DROP EXTENSION: every lead row is unchanged');
SELECT is(
	(SELECT count(*)::integer FROM pg_trigger
	  WHERE tgrelid IN ('app.deal'::regclass, 'app.lead'::regclass) AND NOT tgisinternal),
	0,
	'after DROP EXTENSION: no trigger is left on the tables');
SELECT lives_ok(
	$$INSERT INTO app.deal (id, contact_id, stage) VALUES (100, 5, 'open');
	  UPDATE app.deal SET stage = 'won' WHERE id = 2;
	  DELETE FROM app.lead WHERE id = 3$$,
	'after DROP EXTENSION: the application can still write its tables');

SELECT * FROM finish();
ROLLBACK;
