/*-------------------------------------------------------------------------
 *
 * leads.c
 *	  The lead rules: new or repeat.
 *
 * A lead is "repeat" when it has a client (a company, or without one a
 * contact), else "new".  An UPDATE recomputes the state the same way, except
 * that a lead whose old or new status is a success value keeps its state: a
 * converted lead does not turn repeat because conversion bound it to the
 * contact it created.  The state needs nothing but the row itself.
 *
 * Orders that came from a repeat lead are repeated inquiries, so when a
 * lead's state changes, or a repeat lead is inserted or deleted, the orders
 * that point to it are recomputed at the end of the statement.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "announce.h"
#include "config.h"
#include "identity.h"
#include "leads.h"
#include "locks.h"
#include "orders.h"
#include "positions.h"
#include "returning.h"
#include "rules.h"
#include "security.h"
#include "statements.h"

PG_FUNCTION_INFO_V1(lead_row_trigger);
PG_FUNCTION_INFO_V1(lead_statement_trigger);
PG_FUNCTION_INFO_V1(lead_truncate_trigger);

static ReturningState
lead_state_of(AttachedTable *at, HeapTuple tuple, TupleDesc tupdesc)
{
	Row			row = row_of_tuple(tuple, tupdesc);
	ClientKey	client = client_of(at, &row);

	return client.kind == CLIENT_NONE ? STATE_NEW : STATE_REPEAT;
}

static bool
lead_is_success(AttachedTable *at, HeapTuple tuple, TupleDesc tupdesc)
{
	bool		isnull;
	Datum		status = heap_getattr(tuple, at->status.attnum, tupdesc, &isnull);

	return status_in_list(at, status, isnull, &at->success);
}

/* Remember a lead whose orders must be recomputed, locking it first */
static void
lead_changed(AttachedTable *at, StatementFrame *frame, HeapTuple tuple,
			 TupleDesc tupdesc)
{
	Row			row = row_of_tuple(tuple, tupdesc);
	bool		isnull;
	int64		id;
	char	   *tenant;

	if (!OidIsValid(at->orders_relid))
		return;
	id = column_int64(&at->id, &row, &isnull);
	if (isnull)
		return;
	tenant = column_tenant(at, &row);
	(void) statement_lock_lead(frame, at, id, tenant);
	statement_mark_lead(frame, id, tenant);
}

/*
 * BEFORE INSERT OR UPDATE OR DELETE FOR EACH ROW on an attached leads table.
 */
static Datum
lead_row(FunctionCallInfo fcinfo)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	tupdesc;
	AttachedTable *at;
	StatementFrame *frame;
	HeapTuple	result;
	ReturningState state = STATE_NONE;
	ReturningState old_state = STATE_NONE;	/* before an UPDATE */

	check_trigger_call(fcinfo, "lead_row_trigger", true, true);
	rel = trigdata->tg_relation;
	tupdesc = RelationGetDescr(rel);
	result = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
		trigdata->tg_newtuple : trigdata->tg_trigtuple;

	if (returning_in_recompute(rel))
	{
		announce_rewrite(trigdata, ATTACH_LEADS);
		return PointerGetDatum(result);
	}

	frame = statement_of_row(trigdata, ATTACH_LEADS, &at);
	if (frame == NULL)
		return PointerGetDatum(result);	/* rows Citus copies into a new shard */

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		/* match_on_insert: a lead without a client may be bound to one */
		if (at->match_on_insert)
			result = identity_bind_lead(at, result, tupdesc);
		state = lead_state_of(at, result, tupdesc);
		if (state == STATE_REPEAT)
			lead_changed(at, frame, result, tupdesc);
	}
	else if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		HeapTuple	oldtuple = trigdata->tg_trigtuple;
		Row			oldrow = row_of_tuple(oldtuple, tupdesc);
		Row			newrow = row_of_tuple(result, tupdesc);
		char	   *old_tenant = column_tenant(at, &oldrow);
		char	   *new_tenant = column_tenant(at, &newrow);
		bool		isnull;

		old_state = stored_state(at, &oldrow);
		if (old_state != STATE_NONE &&
			(lead_is_success(at, oldtuple, tupdesc) || lead_is_success(at, result, tupdesc)))
			state = old_state;
		else
			state = lead_state_of(at, result, tupdesc);

		if (state != old_state ||
			column_int64(&at->id, &oldrow, &isnull) !=
			column_int64(&at->id, &newrow, &isnull) ||
			(old_tenant == NULL) != (new_tenant == NULL) ||
			(old_tenant != NULL && strcmp(old_tenant, new_tenant) != 0))
		{
			lead_changed(at, frame, oldtuple, tupdesc);
			lead_changed(at, frame, result, tupdesc);
		}
	}
	else
	{
		Row			deleted = row_of_tuple(result, tupdesc);

		if (stored_state(at, &deleted) == STATE_REPEAT)
			lead_changed(at, frame, result, tupdesc);
	}

	if (state != STATE_NONE)
	{
		Row			row = row_of_tuple(result, tupdesc);

		announce_change(at, &row, old_state, state);
		result = set_state(at, &row, result, tupdesc, state);
		/* the row gets the state by its own write: its rules fire */
		if (state != old_state)
			result = rules_apply(at, result, tupdesc, state);
	}
	return PointerGetDatum(result);
}

/*
 * The rules read a client's whole history, which the writer may not see:
 * the trigger runs as the owner of its table, as the foreign-key triggers
 * do (security.c), and needs no grant of the writer's.
 */
Datum
lead_row_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	UserSwitch	us;
	Datum		result;

	if (!CALLED_AS_TRIGGER(fcinfo))
		check_trigger_call(fcinfo, "lead_row_trigger", true, true);
	switch_to_owner(trigdata->tg_relation->rd_rel->relowner, false, &us);
	result = lead_row(fcinfo);
	switch_back(&us);
	return result;
}

/* Recompute the orders of the leads a statement changed */
static void
recompute_changed_leads(AttachedTable *at, StatementFrame *frame)
{
	long		n = hash_get_num_entries(frame->leads);
	Datum	   *ids = palloc(sizeof(Datum) * n);
	Datum	   *tenants = palloc(sizeof(Datum) * n);
	int			count;
	AttachedTable *orders;
	Datum		tenant_array = (Datum) 0;

	statement_collect_leads(frame, ids, tenants, &count);
	if (count == 0)
		return;
	orders = partner_table(at);
	if (orders->tenant.attnum != InvalidAttrNumber)
	{
		for (int i = 0; i < count; i++)
			if (tenants[i] == (Datum) 0)
				tenants[i] = CStringGetTextDatum("");
		tenant_array = PointerGetDatum(construct_array(tenants, count, TEXTOID, -1,
													   false, TYPALIGN_INT));
	}
	orders_recompute_leads(orders,
						   PointerGetDatum(construct_array(ids, count, INT8OID, 8,
														   FLOAT8PASSBYVAL,
														   TYPALIGN_DOUBLE)),
						   tenant_array, count);
}

/*
 * The end of a statement on a leads table: a busy lead lock is waited for
 * now, with the others, in order; then the orders of the changed leads are
 * recomputed.
 */
static void
leads_statement_end(TriggerData *trigdata, StatementFrame *frame)
{
	(void) locks_settle(frame);
	if (frame->leads != NULL)
	{
		AttachedTable *at;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		at = trigger_table(trigdata, ATTACH_LEADS);
		if (OidIsValid(at->orders_relid))
			recompute_changed_leads(at, frame);
		SPI_finish();
	}
}

/*
 * BEFORE and AFTER ... FOR EACH STATEMENT on an attached leads table.
 */
Datum
lead_statement_trigger(PG_FUNCTION_ARGS)
{
	return statement_trigger(fcinfo, "lead_statement_trigger", leads_statement_end);
}

/*
 * AFTER TRUNCATE on an attached leads table: no lead is left, so no order is
 * a repeated inquiry any more.
 */
static Datum
lead_truncate(FunctionCallInfo fcinfo)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	AttachedTable *at;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired for TRUNCATE", "lead_truncate_trigger")));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	at = trigger_table(trigdata, ATTACH_LEADS);
	/* on a shard (a trigger made before distribution): the coordinator's decides */
	if (at == NULL || at->on_shard)
	{
		SPI_finish();
		return PointerGetDatum(NULL);
	}
	if (at->distributed)
	{
		const char *propagate = GetConfigOption("citus.enable_ddl_propagation", true, false);

		/*
		 * Citus's truncate_local_data_after_distributing_table() empties
		 * the coordinator's own copy of the rows, with DDL propagation off:
		 * the shards keep theirs, and no order changes.
		 */
		if (propagate != NULL && strcmp(propagate, "off") == 0)
		{
			SPI_finish();
			return PointerGetDatum(NULL);
		}
	}
	if (at->distributed && OidIsValid(at->orders_relid))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot truncate distributed leads table \"%s\" that an orders table links to",
						get_rel_name(at->relid)),
				 errdetail("The trigger of TRUNCATE fires on the coordinator only, where the orders' states cannot be recomputed in the same transaction."),
				 errhint("Delete the leads with DELETE instead: their orders are recomputed on the shards.")));
	if (OidIsValid(at->orders_relid))
		orders_recompute_all(partner_table(at));
	SPI_finish();
	return PointerGetDatum(NULL);
}

/*
 * The rules read a client's whole history, which the writer may not see:
 * the trigger runs as the owner of its table, as the foreign-key triggers
 * do (security.c), and needs no grant of the writer's.
 */
Datum
lead_truncate_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	UserSwitch	us;
	Datum		result;

	if (!CALLED_AS_TRIGGER(fcinfo))
		check_trigger_call(fcinfo, "lead_truncate_trigger", true, true);
	switch_to_owner(trigdata->tg_relation->rd_rel->relowner, false, &us);
	result = lead_truncate(fcinfo);
	switch_back(&us);
	return result;
}

/*
 * Classify the leads that have no state yet, set-based: attach, and
 * reclassify as a repair.  A lead's state depends on its history (a lead
 * keeps its state through a success status), which the row alone does not
 * show, so a lead that has a state keeps it; only a missing or unknown
 * state is computed from the row.  A lead with a success status is then
 * new, since its client may well be the one its conversion created.
 */
uint64
leads_recompute_all(AttachedTable *at)
{
	StringInfoData sql;
	StringInfoData computed;
	StringInfoData success;
	uint64		changed;

	initStringInfo(&success);
	append_array_literal(&success, &at->success);

	initStringInfo(&computed);
	appendStringInfo(&computed,
					 "CASE WHEN l.%s::pg_catalog.text OPERATOR(pg_catalog.=) ANY (%s::pg_catalog.text[])"
					 " THEN '" STATE_NAME_NEW "' WHEN (",
					 at->status.name, quote_literal_cstr(success.data));
	if (at->company.attnum != InvalidAttrNumber)
	{
		append_client_condition(&computed, at, "l", CLIENT_COMPANY);
		appendStringInfoString(&computed, " OR ");
	}
	if (at->contact.attnum != InvalidAttrNumber)
		append_client_condition(&computed, at, "l", CLIENT_CONTACT);
	else
		appendStringInfoString(&computed, "false");
	appendStringInfoString(&computed, ") IS TRUE THEN '" STATE_NAME_REPEAT "' ELSE '" STATE_NAME_NEW "' END");

	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "UPDATE %s AS l SET %s = %s"
					 " WHERE l.%s IS NULL OR l.%s OPERATOR(pg_catalog.<>) ALL ('{" STATE_NAME_NEW "," STATE_NAME_REPEAT "}'::pg_catalog.text[])",
					 at->qualified_name, at->state.name, computed.data,
					 at->state.name, at->state.name);

	changed = execute_recompute(at->sql_relid, NULL, sql.data, NULL, NULL);
	pfree(sql.data);
	pfree(computed.data);
	pfree(success.data);
	return changed;
}
