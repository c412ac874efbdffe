-- Rules: when a lead or an order gets a state by its own insert or update,
-- set columns of the row to fixed values, in the row trigger before the row
-- is written (src/rules.c).  History rewrites fire no rule.

-- (The table returning_crm.rule is in 10_schema.sql: the triggers'
-- configuration, _trigger_config(), reads it.)

-- Everything about one rule column at once: the column exists, the rules do
-- not read it, the value is one of its type and never closes a row.
CREATE OR REPLACE FUNCTION returning_crm._check_rule_column(a returning_crm.attachment, col text, val jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	att record;
	value text := val #>> '{}';
	read_columns name[] := ARRAY[a.id_column, a.contact_column, a.company_column, a.lead_column,
								 a.tenant_column, a.ordered_by,
								 (a.column_prefix || 'returning_state')::name,
								 (a.column_prefix || 'returning_routed')::name];
BEGIN
	SELECT t.attname, t.atttypid, t.atttypmod, t.attgenerated INTO att
	  FROM pg_attribute t
	 WHERE t.attrelid = a.relid AND t.attname = col AND t.attnum > 0 AND NOT t.attisdropped;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'column "%" of table % does not exist', col, a.relid
			USING ERRCODE = 'undefined_column';
	END IF;
	IF att.attname = ANY (read_columns) OR att.attgenerated <> '' THEN
		RAISE EXCEPTION 'a rule cannot set column "%" of table %', col, a.relid
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = CASE WHEN att.attgenerated <> '' THEN 'It is a generated column.'
							ELSE 'The classification rules read it.' END;
	END IF;
	IF jsonb_typeof(val) NOT IN ('string', 'number') THEN
		RAISE EXCEPTION 'the value of column "%" must be a JSON string or number, not %', col, jsonb_typeof(val)
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- the type's input function is the table owner's code: run as the owner
	BEGIN
		PERFORM returning_crm._as_owner(a.relid,
			format('SELECT %L::%s', value, format_type(att.atttypid, att.atttypmod)));
	EXCEPTION WHEN others THEN
		RAISE EXCEPTION 'value "%" is not valid for column "%" of type %', value, col,
			format_type(att.atttypid, att.atttypmod)
			USING ERRCODE = SQLSTATE, DETAIL = SQLERRM;
	END;
	IF att.attname = a.status_column
	   AND value = ANY (coalesce(a.success_values, '{}') || coalesce(a.failure_values, '{}')) THEN
		RAISE EXCEPTION 'a rule cannot set column "%" to "%"', col, value
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = format('"%s" closes the %s: a rule never changes a client''s history.', value,
								  CASE a.kind WHEN 'orders' THEN 'order (won or lost)' ELSE 'lead (success or failure)' END);
	END IF;
END
$$;

CREATE OR REPLACE FUNCTION returning_crm.add_rule(table_name regclass, state text, set_values jsonb,
									   name text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	a returning_crm.attachment;
	e record;
	saved jsonb;
BEGIN
	IF table_name IS NULL OR state IS NULL OR set_values IS NULL THEN
		RAISE EXCEPTION 'table_name, state and set_values must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	SELECT * INTO a FROM returning_crm.attachment x WHERE x.relid = add_rule.table_name;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'table % is not attached to returning', table_name
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Use returning_crm.attach_orders() or attach_leads() to attach it.';
	END IF;
	IF a.kind NOT IN ('orders', 'leads') THEN
		RAISE EXCEPTION 'table % is attached as %, which have no state', table_name, a.kind
			USING ERRCODE = 'wrong_object_type';
	END IF;
	PERFORM returning_crm._check_owner(table_name, 'change its rules');
	IF NOT (state = ANY (CASE a.kind WHEN 'orders' THEN '{new,repeat,repeated_inquiry}'::text[]
								ELSE '{new,repeat}'::text[] END)) THEN
		RAISE EXCEPTION 'unknown state "%" of %', state, a.kind
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = CASE a.kind WHEN 'orders' THEN 'The states of orders are new, repeat and repeated_inquiry.'
						 ELSE 'The states of leads are new and repeat.' END;
	END IF;
	IF jsonb_typeof(set_values) <> 'object' OR set_values = '{}' THEN
		RAISE EXCEPTION 'set_values must be a JSON object of column names and values'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'For example ''{"pipeline_id": 2, "stage": "NEW"}''.';
	END IF;
	FOR e IN SELECT * FROM jsonb_each(set_values) LOOP
		PERFORM returning_crm._check_rule_column(a, e.key, e.value);
	END LOOP;

	-- the table's owner only (src/security.c)
	SELECT x INTO saved FROM returning_crm._config_write('add_rule', a.workspace, table_name,
		jsonb_build_object('state', state, 'set_values', set_values, 'name', name)) x;
	-- the rules travel in the triggers' configuration (to Citus's shards)
	PERFORM returning_crm._create_triggers(table_name);
	RETURN (saved->>'id')::bigint;
END
$$;
COMMENT ON FUNCTION returning_crm.add_rule(regclass, text, jsonb, text) IS
	'Adds a rule: a row of the orders or leads table that gets the state by its own insert or update has the columns of set_values set before it is written. Returns the rule''s id.';

CREATE OR REPLACE FUNCTION returning_crm.remove_rule(id bigint)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r returning_crm.rule;
BEGIN
	SELECT * INTO r FROM returning_crm.rule x WHERE x.id = remove_rule.id;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	PERFORM returning_crm._config_write('remove_rule',
		(SELECT a.workspace FROM returning_crm.attachment a WHERE a.relid = r.relid),
		r.relid, jsonb_build_object('id', r.id));
	PERFORM returning_crm._create_triggers(r.relid);
	RETURN true;
END
$$;
COMMENT ON FUNCTION returning_crm.remove_rule(bigint) IS
	'Removes a rule; false when there is none with this id.';
