-- Differential test: the random operations.
--
-- Every random choice goes through random(), so a run is reproduced by its
-- seed (setseed() at the start of the session). Statements are built as text
-- from templates whose {placeholders} name the workspace's tables and columns,
-- and run one by one; each runs in its own sub-block, so an unexpected error is
-- recorded in diff.error (and fails the run) without stopping the others.

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

-- ---------------------------------------------------------------------------
-- Random helpers
-- ---------------------------------------------------------------------------

-- An integer in 1..n.
CREATE FUNCTION diff.rnd(n integer) RETURNS integer
LANGUAGE sql VOLATILE AS $$ SELECT 1 + floor(random() * n)::integer $$;

CREATE FUNCTION diff.chance(p float8) RETURNS boolean
LANGUAGE sql VOLATILE AS $$ SELECT random() < p $$;

CREATE FUNCTION diff.pick(a text[]) RETURNS text
LANGUAGE sql VOLATILE AS $$ SELECT a[1 + floor(random() * cardinality(a))::integer] $$;

-- Literals for the client columns: NULL, 0 (means "none") or a small id, so
-- that clients have many orders. Company and contact ids overlap on purpose:
-- company 5 and contact 5 are different clients.
CREATE FUNCTION diff.lit_company() RETURNS text
LANGUAGE sql VOLATILE AS $$
	SELECT CASE WHEN r < 0.45 THEN 'NULL' WHEN r < 0.55 THEN '0' ELSE diff.rnd(20)::text END
	FROM (SELECT random() AS r) x
$$;

CREATE FUNCTION diff.lit_contact() RETURNS text
LANGUAGE sql VOLATILE AS $$
	SELECT CASE WHEN r < 0.15 THEN 'NULL' WHEN r < 0.20 THEN '0' ELSE diff.rnd(50)::text END
	FROM (SELECT random() AS r) x
$$;

-- Positions: 40 days x 3 times of day, so ties are frequent; some NULLs (they
-- sort last).
CREATE FUNCTION diff.lit_at() RETURNS text
LANGUAGE sql VOLATILE AS $$
	SELECT CASE WHEN random() < 0.08 THEN 'NULL'
		ELSE quote_literal(timestamp '2024-01-01' + diff.rnd(40) * interval '1 day'
			+ (diff.rnd(3) - 1) * interval '6 hours') END
$$;

-- The same choices as SQL expressions evaluated once per row (multi-row inserts).
CREATE FUNCTION diff.expr_company() RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT $e$(CASE WHEN random() < 0.45 THEN NULL WHEN random() < 0.2 THEN 0
		ELSE 1 + floor(random() * 20)::integer END)$e$
$$;

CREATE FUNCTION diff.expr_contact() RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT $e$(CASE WHEN random() < 0.15 THEN NULL WHEN random() < 0.06 THEN 0
		ELSE 1 + floor(random() * 50)::integer END)$e$
$$;

CREATE FUNCTION diff.expr_at() RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT $e$(CASE WHEN random() < 0.08 THEN NULL ELSE timestamp '2024-01-01'
		+ (1 + floor(random() * 40)) * interval '1 day'
		+ floor(random() * 3) * interval '6 hours' END)$e$
$$;

-- Replace the {placeholders} of a statement template by the workspace's names.
CREATE FUNCTION diff.t(w diff.ws, tpl text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
	r text := tpl;
BEGIN
	r := replace(r, '{O}', w.orders);
	r := replace(r, '{L}', w.leads);
	r := replace(r, '{id}', quote_ident(w.o_id));
	r := replace(r, '{contact}', quote_ident(w.o_contact));
	r := replace(r, '{company}', quote_ident(w.o_company));
	r := replace(r, '{stage}', quote_ident(w.o_stage));
	r := replace(r, '{stype}', w.stage_type);
	r := replace(r, '{lead}', quote_ident(w.o_lead));
	r := replace(r, '{at}', quote_ident(w.o_at));
	r := replace(r, '{lid}', quote_ident(w.l_id));
	r := replace(r, '{lcontact}', quote_ident(w.l_contact));
	r := replace(r, '{lcompany}', quote_ident(w.l_company));
	r := replace(r, '{lstatus}', quote_ident(w.l_status));
	r := replace(r, '{tenant}', coalesce(quote_ident(w.tenant), 'NULL::integer'));
	r := replace(r, '{state}', quote_ident(w.prefix || 'returning_state'));
	r := replace(r, '{is_new}', quote_ident(w.prefix || 'is_new'));
	r := replace(r, '{is_repeat}', quote_ident(w.prefix || 'is_repeat'));
	r := replace(r, '{is_ri}', quote_ident(w.prefix || 'is_repeated_inquiry'));
	r := replace(r, '{won}', quote_literal(w.won::text) || '::text[]');
	r := replace(r, '{wonlit}', quote_literal(w.won[1]));
	r := replace(r, '{seq}', quote_literal(w.o_seq));
	r := replace(r, '{oldseq}', quote_literal(w.o_old_seq));
	RETURN r;
END
$$;

-- An existing order id / lead id, chosen uniformly (NULL if the table is empty).
CREATE FUNCTION diff.some_order(w diff.ws) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	n bigint;
	r bigint;
BEGIN
	EXECUTE diff.t(w, 'SELECT count(*) FROM {O}') INTO n;
	IF n = 0 THEN RETURN NULL; END IF;
	EXECUTE diff.t(w, 'SELECT {id} FROM {O} ORDER BY {id} OFFSET $1 LIMIT 1')
		INTO r USING floor(random() * n)::bigint;
	RETURN r;
END
$$;

CREATE FUNCTION diff.some_lead(w diff.ws) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	n bigint;
	r bigint;
BEGIN
	EXECUTE diff.t(w, 'SELECT count(*) FROM {L}') INTO n;
	IF n = 0 THEN RETURN NULL; END IF;
	EXECUTE diff.t(w, 'SELECT {lid} FROM {L} ORDER BY {lid} OFFSET $1 LIMIT 1')
		INTO r USING floor(random() * n)::bigint;
	RETURN r;
END
$$;

-- A value for the lead column of an order: mostly an existing lead (of any
-- tenant), sometimes an id that does not exist, sometimes NULL.
CREATE FUNCTION diff.lit_lead(w diff.ws) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	r float8 := random();
	m bigint;
BEGIN
	IF r < 0.3 THEN
		RETURN 'NULL';
	ELSIF r < 0.4 THEN
		EXECUTE diff.t(w, 'SELECT coalesce(max({lid}), 0) FROM {L}') INTO m;
		RETURN (m + diff.rnd(20))::text;
	END IF;
	RETURN coalesce(diff.some_lead(w)::text, 'NULL');
END
$$;

-- ---------------------------------------------------------------------------
-- Statement builders. Each returns the SQL of one random operation of its kind.
-- ---------------------------------------------------------------------------

-- One order. A quarter get an id below every id handed out so far (earlier by
-- primary key), a tenth try to write the state column themselves.
CREATE FUNCTION diff.sql_order_insert(w diff.ws) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	cols text := '{contact}, {company}, {stage}, {lead}, {at}, amount';
	vals text;
BEGIN
	vals := format('%s, %s, %L, %s, %s, %s', diff.lit_contact(), diff.lit_company(),
		diff.pick(w.stages), diff.lit_lead(w), diff.lit_at(), diff.rnd(100));
	IF w.tenant IS NOT NULL THEN
		cols := cols || ', {tenant}';
		vals := vals || ', ' || diff.rnd(w.ntenants);
	END IF;
	IF diff.chance(0.25) THEN
		cols := cols || ', {id}';
		vals := vals || ', nextval({oldseq})';
	END IF;
	IF diff.chance(0.1) AND diff.attached() THEN
		cols := cols || ', {state}';
		vals := vals || ', ' || quote_literal(diff.pick('{new,repeat,repeated_inquiry}'));
	END IF;
	RETURN diff.t(w, format('INSERT INTO {O} (%s) VALUES (%s)', cols, vals));
END
$$;

-- 2..8 orders in one statement: either all for one client, or random clients;
-- ids from either sequence, so the new rows land before and after others.
CREATE FUNCTION diff.sql_order_insert_multi(w diff.ws) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	contact text;
	company text;
	maxlead bigint;
BEGIN
	EXECUTE diff.t(w, 'SELECT coalesce(max({lid}), 0) + 5 FROM {L}') INTO maxlead;
	IF diff.chance(0.5) THEN
		contact := diff.lit_contact();
		company := diff.lit_company();
	ELSE
		contact := diff.expr_contact();
		company := diff.expr_company();
	END IF;
	RETURN diff.t(w, format(
		'INSERT INTO {O} ({id}, {contact}, {company}, {stage}, {lead}, {at}, amount%s) '
		'SELECT CASE WHEN random() < 0.3 THEN nextval({oldseq}) ELSE nextval({seq}) END, %s, %s, '
		'(%L::text[])[1 + floor(random() * %s)]::{stype}, '
		'CASE WHEN random() < 0.4 THEN NULL ELSE 1 + floor(random() * %s) END, %s, 1%s '
		'FROM generate_series(1, %s)',
		CASE WHEN w.tenant IS NOT NULL THEN ', {tenant}' END,
		contact, company, w.stages, cardinality(w.stages), maxlead, diff.expr_at(),
		CASE WHEN w.tenant IS NOT NULL THEN ', ' || diff.rnd(w.ntenants) END,
		1 + diff.rnd(7)));
END
$$;

-- A WHERE clause selecting several orders: one client's, or a scattered set
-- across many clients.
CREATE FUNCTION diff.where_orders(w diff.ws) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	r float8 := random();
BEGIN
	IF r < 0.35 THEN
		RETURN format('{contact} = %s', diff.rnd(50));
	ELSIF r < 0.65 THEN
		RETURN format('{company} = %s', diff.rnd(20));
	ELSIF r < 0.75 AND w.tenant IS NOT NULL THEN
		RETURN format('{tenant} = %s AND {contact} = %s', diff.rnd(w.ntenants), diff.rnd(50));
	ELSE
		RETURN format('{id} %% %s = %s', 5 + diff.rnd(20), diff.rnd(5) - 1);
	END IF;
END
$$;

CREATE FUNCTION diff.sql_order_stage(w diff.ws) RETURNS text
LANGUAGE sql VOLATILE AS $$
	SELECT diff.t(w, format('UPDATE {O} SET {stage} = %L WHERE {id} = %s',
		diff.pick(w.stages), coalesce(diff.some_order(w), 0)))
$$;

-- Several stage changes at once: flip won <-> open, set all to one stage, or a
-- per-row random stage.
CREATE FUNCTION diff.sql_order_stage_multi(w diff.ws) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	r float8 := random();
	setx text;
BEGIN
	IF r < 0.4 THEN
		setx := $s$CASE WHEN {stage}::text = ANY ({won}) THEN 'open' ELSE {wonlit} END::{stype}$s$;
	ELSIF r < 0.7 THEN
		setx := quote_literal(diff.pick(w.stages));
	ELSE
		setx := format('(%L::text[])[1 + floor(random() * %s)]::{stype}', w.stages, cardinality(w.stages));
	END IF;
	RETURN diff.t(w, format('UPDATE {O} SET {stage} = %s WHERE %s', setx, diff.where_orders(w)));
END
$$;

-- Move one order to another client: new contact, new company, company cleared
-- to 0 or NULL (back to the contact as client), or both.
CREATE FUNCTION diff.sql_order_client(w diff.ws) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	r float8 := random();
	setx text;
BEGIN
	IF r < 0.3 THEN
		setx := '{contact} = ' || diff.lit_contact();
	ELSIF r < 0.55 THEN
		setx := '{company} = ' || diff.lit_company();
	ELSIF r < 0.75 THEN
		setx := '{company} = ' || diff.pick('{0,"NULL"}');
	ELSE
		setx := format('{contact} = %s, {company} = %s', diff.lit_contact(), diff.lit_company());
	END IF;
	RETURN diff.t(w, format('UPDATE {O} SET %s WHERE {id} = %s', setx,
		coalesce(diff.some_order(w), 0)));
END
$$;

-- Move many orders: merge two companies, move a contact's orders to another
-- contact, or drop the company of all orders of a contact.
CREATE FUNCTION diff.sql_order_client_multi(w diff.ws) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	r float8 := random();
BEGIN
	IF r < 0.35 THEN
		RETURN diff.t(w, format('UPDATE {O} SET {company} = %s WHERE {company} = %s',
			diff.rnd(20), diff.rnd(20)));
	ELSIF r < 0.7 THEN
		RETURN diff.t(w, format('UPDATE {O} SET {contact} = %s WHERE {contact} = %s',
			diff.rnd(50), diff.rnd(50)));
	ELSIF r < 0.85 THEN
		RETURN diff.t(w, format('UPDATE {O} SET {company} = %s WHERE {contact} = %s',
			diff.pick('{0,"NULL"}'), diff.rnd(50)));
	ELSE
		-- swap contact and company ids: every row changes client
		RETURN diff.t(w, format('UPDATE {O} SET {contact} = {company}, {company} = {contact} WHERE %s',
			diff.where_orders(w)));
	END IF;
END
$$;

CREATE FUNCTION diff.sql_order_at(w diff.ws) RETURNS text
LANGUAGE sql VOLATILE AS $$
	SELECT diff.t(w, format('UPDATE {O} SET {at} = %s WHERE {id} = %s',
		diff.lit_at(), coalesce(diff.some_order(w), 0)))
$$;

-- Shift, clear or equalise the positions of several orders.
CREATE FUNCTION diff.sql_order_at_multi(w diff.ws) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	r float8 := random();
BEGIN
	IF r < 0.35 THEN
		RETURN diff.t(w, format('UPDATE {O} SET {at} = {at} + %s * interval ''1 day'' WHERE %s',
			diff.rnd(11) - 6, diff.where_orders(w)));
	ELSIF r < 0.55 THEN
		RETURN diff.t(w, format('UPDATE {O} SET {at} = NULL WHERE %s', diff.where_orders(w)));
	ELSIF r < 0.8 THEN
		RETURN diff.t(w, format('UPDATE {O} SET {at} = %s WHERE %s', diff.lit_at(), diff.where_orders(w)));
	ELSE
		RETURN diff.t(w, format('UPDATE {O} SET {at} = %s WHERE %s', diff.expr_at(), diff.where_orders(w)));
	END IF;
END
$$;

CREATE FUNCTION diff.sql_order_lead(w diff.ws) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
	IF diff.chance(0.8) THEN
		RETURN diff.t(w, format('UPDATE {O} SET {lead} = %s WHERE {id} = %s',
			diff.lit_lead(w), coalesce(diff.some_order(w), 0)));
	END IF;
	RETURN diff.t(w, format('UPDATE {O} SET {lead} = %s WHERE %s',
		diff.lit_lead(w), diff.where_orders(w)));
END
$$;

-- Change an order's primary key (moves it among ties and NULL positions).
CREATE FUNCTION diff.sql_order_id(w diff.ws) RETURNS text
LANGUAGE sql VOLATILE AS $$
	SELECT diff.t(w, format('UPDATE {O} SET {id} = nextval(%s) WHERE {id} = %s',
		CASE WHEN random() < 0.5 THEN '{oldseq}' ELSE '{seq}' END,
		coalesce(diff.some_order(w), 0)))
$$;

CREATE FUNCTION diff.sql_order_delete(w diff.ws) RETURNS text
LANGUAGE sql VOLATILE AS $$
	SELECT diff.t(w, format('DELETE FROM {O} WHERE {id} = %s', coalesce(diff.some_order(w), 0)))
$$;

CREATE FUNCTION diff.sql_order_delete_multi(w diff.ws) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
	IF diff.chance(0.5) THEN
		-- a client's won orders, or all its orders
		RETURN diff.t(w, format('DELETE FROM {O} WHERE %s AND (%s OR {stage}::text = ANY ({won}))',
			diff.where_orders(w), diff.pick('{true,false}')));
	END IF;
	RETURN diff.t(w, format('DELETE FROM {O} WHERE {id} IN (SELECT {id} FROM {O} ORDER BY {id} '
		'OFFSET (SELECT count(*) * random() FROM {O})::bigint LIMIT %s)', diff.rnd(6)));
END
$$;

-- Statements that change nothing the rules look at.
CREATE FUNCTION diff.sql_order_noop(w diff.ws) RETURNS text
LANGUAGE sql VOLATILE AS $$
	SELECT diff.t(w, format(CASE WHEN random() < 0.5
		THEN 'UPDATE {O} SET {stage} = {stage}, {company} = {company} WHERE %s'
		ELSE 'UPDATE {O} SET amount = amount + 1 WHERE %s' END, diff.where_orders(w)))
$$;

-- The application writes the state column: the extension must overwrite it.
CREATE FUNCTION diff.sql_order_state_write(w diff.ws) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	v text := diff.pick('{new,repeat,repeated_inquiry,new,repeat,"NULL"}');
BEGIN
	v := CASE WHEN v = 'NULL' THEN 'NULL' ELSE quote_literal(v) END;
	IF diff.chance(0.5) THEN
		RETURN diff.t(w, format('UPDATE {O} SET {state} = %s WHERE {id} = %s', v,
			coalesce(diff.some_order(w), 0)));
	END IF;
	RETURN diff.t(w, format('UPDATE {O} SET {state} = %s, {stage} = %L WHERE %s', v,
		diff.pick(w.stages), diff.where_orders(w)));
END
$$;

-- A statement that fails part-way (a CHECK constraint on a later row) after the
-- triggers ran for earlier rows; run in a sub-block, everything must roll back.
CREATE FUNCTION diff.sql_order_fail(w diff.ws) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	victim bigint := diff.some_order(w);
BEGIN
	IF victim IS NULL THEN RETURN NULL; END IF;
	RETURN diff.t(w, format('UPDATE {O} SET {stage} = CASE WHEN {stage}::text = ANY ({won}) '
		'THEN ''open'' ELSE {wonlit} END::{stype}, amount = CASE WHEN {id} = %s THEN -1 ELSE amount END '
		'WHERE %s OR {id} = %s', victim, diff.where_orders(w), victim));
END
$$;

-- Move an order to another tenant (tenanted workspace only).
CREATE FUNCTION diff.sql_order_tenant(w diff.ws) RETURNS text
LANGUAGE sql VOLATILE AS $$
	SELECT CASE WHEN w.tenant IS NOT NULL THEN diff.t(w, format(
		'UPDATE {O} SET {tenant} = %s WHERE {id} = %s', diff.rnd(w.ntenants),
		coalesce(diff.some_order(w), 0))) END
$$;

-- Leads -----------------------------------------------------------------------

CREATE FUNCTION diff.sql_lead_insert(w diff.ws) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	cols text := '{lcontact}, {lcompany}, {lstatus}';
	vals text;
BEGIN
	vals := format('%s, %s, %L', diff.lit_contact(), diff.lit_company(), diff.pick(w.lead_statuses));
	IF w.tenant IS NOT NULL THEN
		cols := cols || ', {tenant}';
		vals := vals || ', ' || diff.rnd(w.ntenants);
	END IF;
	IF diff.chance(0.1) AND diff.attached() THEN
		cols := cols || ', {state}';
		vals := vals || ', ' || quote_literal(diff.pick('{new,repeat}'));
	END IF;
	RETURN diff.t(w, format('INSERT INTO {L} (%s) VALUES (%s)', cols, vals));
END
$$;

-- Attach a client later, drop it, or move the lead to another client.
CREATE FUNCTION diff.sql_lead_client(w diff.ws) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	r float8 := random();
	setx text;
BEGIN
	IF r < 0.4 THEN
		setx := '{lcontact} = ' || diff.lit_contact();
	ELSIF r < 0.7 THEN
		setx := '{lcompany} = ' || diff.lit_company();
	ELSE
		setx := format('{lcontact} = %s, {lcompany} = %s', diff.lit_contact(), diff.lit_company());
	END IF;
	RETURN diff.t(w, format('UPDATE {L} SET %s WHERE {lid} = %s', setx,
		coalesce(diff.some_lead(w), 0)));
END
$$;

CREATE FUNCTION diff.sql_lead_status(w diff.ws) RETURNS text
LANGUAGE sql VOLATILE AS $$
	SELECT diff.t(w, format('UPDATE {L} SET {lstatus} = %L WHERE {lid} = %s',
		diff.pick(w.lead_statuses), coalesce(diff.some_lead(w), 0)))
$$;

-- Status and client in one statement (e.g. converted and bound to a contact).
CREATE FUNCTION diff.sql_lead_both(w diff.ws) RETURNS text
LANGUAGE sql VOLATILE AS $$
	SELECT diff.t(w, format('UPDATE {L} SET {lstatus} = %L, {lcontact} = %s, {lcompany} = %s WHERE {lid} = %s',
		diff.pick(w.lead_statuses), diff.lit_contact(), diff.lit_company(),
		coalesce(diff.some_lead(w), 0)))
$$;

CREATE FUNCTION diff.sql_lead_multi(w diff.ws) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	r float8 := random();
BEGIN
	IF r < 0.3 THEN
		RETURN diff.t(w, format('UPDATE {L} SET {lcontact} = %s WHERE {lcontact} IS NULL AND {lid} %% %s = 0',
			diff.rnd(50), 3 + diff.rnd(5)));
	ELSIF r < 0.6 THEN
		RETURN diff.t(w, format('UPDATE {L} SET {lstatus} = %L WHERE {lcontact} = %s',
			diff.pick(w.lead_statuses), diff.rnd(50)));
	ELSIF r < 0.8 THEN
		RETURN diff.t(w, format('UPDATE {L} SET {lcompany} = %s WHERE {lcompany} = %s',
			diff.pick('{0,"NULL",1,2,3}'), diff.rnd(20)));
	ELSE
		RETURN diff.t(w, format('UPDATE {L} SET {state} = %L, {lcontact} = {lcontact} WHERE {lid} %% %s = 1',
			diff.pick('{new,repeat}'), 2 + diff.rnd(5)));
	END IF;
END
$$;

CREATE FUNCTION diff.sql_lead_delete(w diff.ws) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
	IF diff.chance(0.75) THEN
		RETURN diff.t(w, format('DELETE FROM {L} WHERE {lid} = %s', coalesce(diff.some_lead(w), 0)));
	END IF;
	RETURN diff.t(w, format('DELETE FROM {L} WHERE {lcontact} = %s', diff.rnd(50)));
END
$$;

CREATE FUNCTION diff.sql_lead_state_write(w diff.ws) RETURNS text
LANGUAGE sql VOLATILE AS $$
	SELECT diff.t(w, format('UPDATE {L} SET {state} = %L WHERE {lid} = %s',
		diff.pick('{new,repeat}'), coalesce(diff.some_lead(w), 0)))
$$;

-- ---------------------------------------------------------------------------
-- The operation mix: name and weight.
-- ---------------------------------------------------------------------------
CREATE TABLE diff.op_weight (op text PRIMARY KEY, weight integer NOT NULL, insert_only boolean NOT NULL DEFAULT false);
INSERT INTO diff.op_weight VALUES
	('order_insert', 18, true), ('order_insert_multi', 4, true),
	('order_stage', 14, false), ('order_stage_multi', 4, false),
	('order_client', 7, false), ('order_client_multi', 2, false),
	('order_at', 5, false), ('order_at_multi', 2, false),
	('order_lead', 5, false), ('order_id', 1, false),
	('order_delete', 5, false), ('order_delete_multi', 2, false),
	('order_noop', 2, false), ('order_state_write', 2, false),
	('order_fail', 1, false), ('order_tenant', 1, false),
	('lead_insert', 9, true), ('lead_client', 5, false), ('lead_status', 6, false),
	('lead_both', 5, false), ('lead_multi', 2, false), ('lead_delete', 3, false),
	('lead_state_write', 1, false);

CREATE FUNCTION diff.choose_op(insert_only boolean) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	total integer;
	x integer;
	r record;
BEGIN
	SELECT sum(weight) INTO total FROM diff.op_weight o WHERE o.insert_only OR NOT choose_op.insert_only;
	x := diff.rnd(total);
	FOR r IN SELECT op, weight FROM diff.op_weight o WHERE o.insert_only OR NOT choose_op.insert_only ORDER BY op LOOP
		x := x - r.weight;
		IF x <= 0 THEN RETURN r.op; END IF;
	END LOOP;
	RAISE EXCEPTION 'unreachable';
END
$$;

-- Run one random operation on a random workspace. Returns the number of
-- statements run (0 when the chosen operation does not apply).
CREATE FUNCTION diff.run_op(batch integer, insert_only boolean) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	w diff.ws;
	opname text := diff.choose_op(insert_only);
	stmt text;
	st text;
	msg text;
BEGIN
	SELECT * INTO w FROM diff.ws ORDER BY ws OFFSET floor(random() * 2)::integer LIMIT 1;
	EXECUTE format('SELECT diff.sql_%s($1)', opname) INTO stmt USING w;
	IF stmt IS NULL THEN RETURN 0; END IF;
	BEGIN
		EXECUTE stmt;
		IF opname = 'order_fail' THEN
			INSERT INTO diff.error VALUES (batch, w.ws, opname, NULL, 'statement expected to fail succeeded', stmt);
		END IF;
	EXCEPTION WHEN OTHERS THEN
		GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
		IF opname = 'order_fail' AND st = '23514' THEN
			UPDATE diff.stat SET value = value + 1 WHERE key = 'expected_errors';
		ELSE
			INSERT INTO diff.error VALUES (batch, w.ws, opname, st, msg, stmt);
			RAISE WARNING 'batch %: unexpected error % (%) in: %', batch, st, msg, stmt;
		END IF;
	END;
	INSERT INTO diff.opcount VALUES (w.ws, opname, 1)
		ON CONFLICT (ws, op) DO UPDATE SET n = diff.opcount.n + 1;
	RETURN 1;
END
$$;

-- A batch of operations; commits now and then so that some batches are one
-- transaction and others many.
CREATE PROCEDURE diff.run_batch(batch integer, nops integer, insert_only boolean DEFAULT false)
LANGUAGE plpgsql AS $$
DECLARE
	done integer := 0;
BEGIN
	WHILE done < nops LOOP
		done := done + diff.run_op(batch, insert_only);
		IF random() < 0.03 THEN
			COMMIT;
		END IF;
	END LOOP;
END
$$;

-- Rows for COPY into the orders / leads table of a workspace.
CREATE FUNCTION diff.stage_copy(wsname text, n integer) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	w diff.ws;
BEGIN
	SELECT * INTO w FROM diff.ws WHERE ws = wsname;
	TRUNCATE diff.copy_orders, diff.copy_leads;
	EXECUTE diff.t(w, format(
		'INSERT INTO diff.copy_orders (id, tenant, contact, company, stage, lead, at, amount) '
		'SELECT CASE WHEN random() < 0.3 THEN nextval({oldseq}) ELSE nextval({seq}) END, '
		'  1 + floor(random() * %s), %s, %s, (%L::text[])[1 + floor(random() * %s)], '
		'  CASE WHEN random() < 0.4 THEN NULL ELSE 1 + floor(random() * '
		'    (SELECT coalesce(max({lid}), 0) + 5 FROM {L})) END, %s, 1 '
		'FROM generate_series(1, %s)',
		w.ntenants, diff.expr_contact(), diff.expr_company(), w.stages, cardinality(w.stages),
		diff.expr_at(), n));
	INSERT INTO diff.copy_leads (tenant, contact, company, status)
	SELECT 1 + floor(random() * w.ntenants),
		CASE WHEN random() < 0.3 THEN NULL ELSE 1 + floor(random() * 50) END,
		CASE WHEN random() < 0.6 THEN NULL WHEN random() < 0.2 THEN 0 ELSE 1 + floor(random() * 20) END,
		w.lead_statuses[1 + floor(random() * cardinality(w.lead_statuses))]
	FROM generate_series(1, n / 2);
	UPDATE diff.stat SET value = value + n + n / 2 WHERE key = 'copy_rows';
END
$$;
