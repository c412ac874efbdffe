/*-------------------------------------------------------------------------
 *
 * rules.c
 *	  Applying the rules of returning_crm.rule in the row triggers.
 *
 * add_rule() checks a rule completely (the columns exist, the rules do not
 * read them, the values are of their types and close no row) and makes the
 * triggers anew, so that the rules travel in their configuration to the
 * shards of a distributed table, which read them there; here the values
 * are read once per table description into the columns' types, so
 * that applying a rule costs one heap_modify_tuple_by_cols() and a table
 * without rules one test.  add_rule() and remove_rule() send the relcache
 * invalidation that rebuilds the description.
 *
 * A rule fires only when a row gets its state by its own insert or update:
 * the row triggers call rules_apply() then, and the rewrites of other rows'
 * states (history changes) pass through the triggers without it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "config.h"
#include "rules.h"
#include "security.h"

static const char *const rules_query =
"SELECT r.state, e.key, e.value OPERATOR(pg_catalog.#>>) '{}'::pg_catalog.text[]"
"  FROM returning_crm.rule r, pg_catalog.jsonb_each(r.set_values) e"
" WHERE r.relid::pg_catalog.oid OPERATOR(pg_catalog.=) $1"
" ORDER BY r.id, e.key";

/* The same from the configuration a shard's trigger carries (_trigger_config) */
static const char *const config_rules_query =
"SELECT x.r OPERATOR(pg_catalog.->>) 'state', e.key, e.value OPERATOR(pg_catalog.#>>) '{}'::pg_catalog.text[]"
"  FROM pg_catalog.jsonb_array_elements(COALESCE($1::pg_catalog.jsonb OPERATOR(pg_catalog.->) 'rules', '[]'::pg_catalog.jsonb))"
"       WITH ORDINALITY AS x(r, n),"
"       pg_catalog.jsonb_each(x.r OPERATOR(pg_catalog.->) 'set_values') e"
" ORDER BY x.n, e.key";

/* One value of a rule, read with its column's input function */
static bool
read_action(AttachedTable *at, HeapTuple tup, TupleDesc desc, MemoryContext cxt,
			RuleAction *action)
{
	char	   *state = SPI_getvalue(tup, desc, 1);
	char	   *column = SPI_getvalue(tup, desc, 2);
	char	   *value = SPI_getvalue(tup, desc, 3);
	Oid			typid;
	int32		typmod;
	Oid			collation;
	Oid			input;
	Oid			ioparam;
	MemoryContext old;

	/* a column dropped since the rule was added sets nothing */
	action->attnum = get_attnum(at->relid, column);
	if (action->attnum == InvalidAttrNumber || value == NULL)
		return false;
	get_atttypetypmodcoll(at->relid, action->attnum, &typid, &typmod, &collation);
	getTypeInputInfo(typid, &input, &ioparam);
	action->state = state_from_name(state);
	action->sets_status = action->attnum == at->status.attnum;
	old = MemoryContextSwitchTo(cxt);
	action->value = OidInputFunctionCall(input, value, ioparam, typmod);
	MemoryContextSwitchTo(old);
	return true;
}

/* The table's rules, read on first use into the description */
static void
load_rules(AttachedTable *at)
{
	MemoryContext cxt = GetMemoryChunkContext(at);
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1] = {ObjectIdGetDatum(at->attached_relid)};
	static SPIPlanPtr plan = NULL;
	static SPIPlanPtr config_plan = NULL;
	UserSwitch	us;
	int			rc;

	if (at->config == NULL && catalog_is_legacy())
	{
		/* 0.1.0 has no rules (config.c) */
		at->n_rules = 0;
		at->rules_loaded = true;
		return;
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (at->config != NULL)
	{
		/* a shard: the rules the coordinator put in its trigger */
		argtypes[0] = TEXTOID;
		if (config_plan == NULL)
			config_plan = keep_plan(config_rules_query, 1, argtypes);
		args[0] = CStringGetTextDatum(at->config);
		rc = SPI_execute_plan(config_plan, args, NULL, true, 0);
	}
	else
	{
		if (plan == NULL)
			plan = keep_plan(rules_query, 1, argtypes);
		switch_to_config_owner(&us);
		rc = SPI_execute_plan(plan, args, NULL, true, 0);
		switch_back(&us);
	}
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read returning_crm.rule");
	at->n_rules = 0;
	if (SPI_processed > 0)
		at->rules = MemoryContextAlloc(cxt, sizeof(RuleAction) * SPI_processed);
	for (uint64 i = 0; i < SPI_processed; i++)
		if (read_action(at, SPI_tuptable->vals[i], SPI_tuptable->tupdesc, cxt,
						&at->rules[at->n_rules]))
			at->n_rules++;
	SPI_finish();
	at->rules_loaded = true;
}

/* Is the row closed: won or lost, success or failure? */
static bool
row_is_closed(AttachedTable *at, HeapTuple tuple, TupleDesc tupdesc)
{
	bool		isnull;
	Datum		status;

	if (at->status.attnum == InvalidAttrNumber)
		return false;
	status = heap_getattr(tuple, at->status.attnum, tupdesc, &isnull);
	return status_in_list(at, status, isnull, &at->success) ||
		status_in_list(at, status, isnull, &at->failure);
}

HeapTuple
rules_apply(AttachedTable *at, HeapTuple tuple, TupleDesc tupdesc, ReturningState state)
{
	int			ncols = 0;
	int		   *cols;
	Datum	   *values;
	bool	   *nulls;
	bool		closed = false;
	bool		closed_known = false;

	if (!at->rules_loaded)
		load_rules(at);
	if (at->n_rules == 0)
		return tuple;

	cols = palloc(sizeof(int) * at->n_rules);
	values = palloc(sizeof(Datum) * at->n_rules);
	nulls = palloc0(sizeof(bool) * at->n_rules);
	for (int i = 0; i < at->n_rules; i++)
	{
		RuleAction *action = &at->rules[i];
		int			slot;

		if (action->state != state)
			continue;
		if (action->sets_status)
		{
			if (!closed_known)
				closed = row_is_closed(at, tuple, tupdesc);
			closed_known = true;
			if (closed)
				continue;
		}
		/* a later rule on the same column wins: the rules apply in id order */
		for (slot = 0; slot < ncols; slot++)
			if (cols[slot] == action->attnum)
				break;
		cols[slot] = action->attnum;
		values[slot] = action->value;
		if (slot == ncols)
			ncols++;
	}
	if (ncols > 0)
		tuple = heap_modify_tuple_by_cols(tuple, tupdesc, ncols, cols, values, nulls);
	pfree(cols);
	pfree(values);
	pfree(nulls);
	return tuple;
}
