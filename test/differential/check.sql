-- Differential test: the from-scratch evaluation of the rules and the check.
--
-- Expected order state, evaluated in plain SQL on the current rows only:
--   client   = 'company <id>' if the company column is set (not NULL, not 0),
--              else 'contact <id>' if the contact column is set, else none;
--              scoped by tenant when the workspace has a tenant column
--   position = (ordered_by ASC NULLS LAST, id ASC)
--   state    = 'new'              without a client
--              'repeat'           if a won order of the same client is positioned
--                                 strictly before (a window count over the
--                                 preceding rows of the client's partition)
--              'repeated_inquiry' else, if the lead column names a lead of the
--                                 same workspace (and tenant) whose expected
--                                 state is 'repeat'
--              'new'              otherwise
-- The generated flags must agree with the expected state. Expected lead states
-- come from diff.lead_shadow (see setup.sql), and the set of leads in the
-- shadow must equal the set in the table.

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

CREATE FUNCTION diff.expected_orders_sql(w diff.ws) RETURNS text
LANGUAGE sql STABLE AS $$
SELECT diff.t(w, $q$
	WITH o AS (
		SELECT {id}::bigint AS id,
			{tenant} AS tenant,
			CASE WHEN coalesce({company}, 0) <> 0 THEN 'company ' || {company}
				WHEN coalesce({contact}, 0) <> 0 THEN 'contact ' || {contact}
			END AS client,
			{stage}::text = ANY ({won}) AS won,
			{lead}::bigint AS lead_ref,
			{at} AS at,
			{state} AS actual,
			{is_new} AS f_new, {is_repeat} AS f_repeat, {is_ri} AS f_ri,
			to_jsonb(t) - ARRAY['amount'] AS row_data
		FROM {O} t
	), p AS (
		SELECT o.*,
			count(*) FILTER (WHERE won) OVER (
				PARTITION BY tenant, client
				ORDER BY at ASC NULLS LAST, id ASC
				ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS won_before,
			(SELECT s.state FROM diff.lead_shadow s
			  WHERE s.ws = $2 AND s.id = o.lead_ref
			    AND s.tenant IS NOT DISTINCT FROM o.tenant) AS lead_state
		FROM o
	)
	SELECT p.*,
		CASE WHEN client IS NULL THEN 'new'
			WHEN won_before > 0 THEN 'repeat'
			WHEN lead_state = 'repeat' THEN 'repeated_inquiry'
			ELSE 'new'
		END AS expected
	FROM p
$q$)
$$;

-- Compare every row of both tables of every workspace; record mismatches.
-- Returns the number of mismatching rows in this check.
CREATE FUNCTION diff.check(batch integer) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	w diff.ws;
	n_orders bigint;
	n_leads bigint;
	bad integer := 0;
	k integer;
	already bigint;
	r record;
BEGIN
	SELECT value INTO already FROM diff.stat WHERE key = 'mismatches';
	FOR w IN SELECT * FROM diff.ws ORDER BY ws LOOP
		EXECUTE format($q$
			INSERT INTO diff.mismatch (batch, ws, kind, id, actual, expected, detail)
			SELECT $1, $2, 'order', id, actual, expected,
				format('%%s client=%%s won_before=%%s lead_state=%%s flags(new,repeat,ri)=(%%s,%%s,%%s)',
					row_data, coalesce(client, 'none'), won_before, coalesce(lead_state, 'none'),
					f_new, f_repeat, f_ri)
			FROM (%s) e
			WHERE actual IS DISTINCT FROM expected
			   OR f_new IS DISTINCT FROM (expected = 'new')
			   OR f_repeat IS DISTINCT FROM (expected = 'repeat')
			   OR f_ri IS DISTINCT FROM (expected = 'repeated_inquiry')$q$,
			diff.expected_orders_sql(w)) USING batch, w.ws;
		GET DIAGNOSTICS k = ROW_COUNT;
		bad := bad + k;

		EXECUTE diff.t(w, $q$
			INSERT INTO diff.mismatch (batch, ws, kind, id, actual, expected, detail)
			SELECT $1, $2, 'lead', coalesce(l.id, s.id), l.actual, s.state,
				CASE WHEN l.id IS NULL THEN 'lead missing from the table but expected'
					WHEN s.id IS NULL THEN 'lead not expected (no shadow row)'
					ELSE format('%s is_repeat=%s', l.row_data, l.f_repeat) END
			FROM (SELECT {lid}::bigint AS id, {state} AS actual, {is_repeat} AS f_repeat,
					to_jsonb(t) AS row_data
				FROM {L} t) l
			FULL JOIN (SELECT * FROM diff.lead_shadow WHERE ws = $2) s ON s.id = l.id
			WHERE l.id IS NULL OR s.id IS NULL
			   OR l.actual IS DISTINCT FROM s.state
			   OR l.f_repeat IS DISTINCT FROM (s.state = 'repeat')$q$) USING batch, w.ws;
		GET DIAGNOSTICS k = ROW_COUNT;
		bad := bad + k;

		EXECUTE diff.t(w, 'SELECT count(*) FROM {O}') INTO n_orders;
		EXECUTE diff.t(w, 'SELECT count(*) FROM {L}') INTO n_leads;
		UPDATE diff.stat SET value = value + n_orders + n_leads WHERE key = 'rows_checked';
	END LOOP;

	UPDATE diff.stat SET value = value + 1 WHERE key = 'batches';
	UPDATE diff.stat SET value = value + bad WHERE key = 'mismatches';

	-- Show the first mismatches (a few per batch, 40 in all).
	IF bad > 0 AND already < 40 THEN
		FOR r IN SELECT * FROM diff.mismatch m WHERE m.batch = $1 ORDER BY ws, kind, id LIMIT 5 LOOP
			RAISE WARNING 'MISMATCH batch % % % id=%: actual=% expected=% | %',
				r.batch, r.ws, r.kind, r.id, coalesce(r.actual, 'NULL'), coalesce(r.expected, 'NULL'), r.detail;
		END LOOP;
	END IF;
	RETURN bad;
END
$$;
