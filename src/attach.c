/*-------------------------------------------------------------------------
 *
 * attach.c
 *	  The C side of attaching: the ownership check, the set-based
 *	  classification of a whole table, and cache invalidation.
 *
 * The attach_* and detach functions themselves are written in SQL
 * (src/sql/30_attach.sql): they validate the mapping, add the columns,
 * indexes and triggers, and record the attachment, and call these.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/memutils.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "announce.h"
#include "config.h"
#include "leads.h"
#include "orders.h"
#include "positions.h"
#include "returning.h"
#include "security.h"

PG_FUNCTION_INFO_V1(returning_check_owner);
PG_FUNCTION_INFO_V1(returning_invalidate);
PG_FUNCTION_INFO_V1(returning_classify);
PG_FUNCTION_INFO_V1(returning_check_workspace);
PG_FUNCTION_INFO_V1(returning_won_condition);

/*
 * _check_owner(regclass, action text): the current role owns the table.
 * The attach functions run with the caller's rights and check this first;
 * the action completes "Only the table's owner can ...".
 *
 * 0.1.0 declared it with the table alone, and called it from functions that
 * were SECURITY DEFINER: there the current role is their owner, not the
 * caller, and no check made here would be the one 0.1.0 made.  Until the
 * extension is updated (catalog_is_legacy), those functions are refused.
 */
Datum
returning_check_owner(PG_FUNCTION_ARGS)
{
	if (PG_NARGS() < 2)
		require_current_catalog("attaching, detaching or reclassifying a table");
	check_table_owner(PG_GETARG_OID(0),
					  PG_NARGS() < 2 ? "attach, detach or reclassify it"
					  : text_to_cstring(PG_GETARG_TEXT_PP(1)));
	PG_RETURN_VOID();
}

/*
 * _invalidate(regclass), of 0.1.0's attach and detach functions: forget
 * what this and every backend knows of the table.  0.2.0 relies on the
 * relcache invalidations of the DDL its functions run instead.
 */
Datum
returning_invalidate(PG_FUNCTION_ARGS)
{
	CacheInvalidateRelcacheByRelid(PG_GETARG_OID(0));
	PG_RETURN_VOID();
}

/*
 * _check_workspace(text): the current role may attach into the workspace
 * (and claims it when it has no owner yet).
 */
Datum
returning_check_workspace(PG_FUNCTION_ARGS)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	check_workspace_member(text_to_cstring(PG_GETARG_TEXT_PP(0)), true);
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * _classify(regclass): recompute the state of every row of an attached
 * table, set-based; returns the number of rows whose state changed.  Leads
 * are followed by their orders, whose repeated inquiries depend on them.
 * The statements run as each table's owner (execute_recompute).
 */
Datum
returning_classify(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	AttachedTable *at;
	volatile uint64 changed = 0;

	/* 0.1.0's callers were SECURITY DEFINER (returning_check_owner) */
	require_current_catalog("attaching or reclassifying a table");
	check_table_owner(relid, "attach or reclassify it");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	at = get_attached_table(relid, ATTACH_ANY);
	/* a whole-table pass: the states it sets are not announced */
	announce_suspend();
	PG_TRY();
	{
		if (at->kind == ATTACH_LEADS)
		{
			changed = leads_recompute_all(at);
			if (OidIsValid(at->orders_relid))
				orders_recompute_all(get_attached_table(at->orders_relid, ATTACH_ORDERS));
		}
		else if (at->kind == ATTACH_ORDERS)
			changed = orders_recompute_all(at);
	}
	PG_FINALLY();
	{
		announce_resume();
	}
	PG_END_TRY();
	SPI_finish();
	PG_RETURN_INT64((int64) changed);
}

/*
 * _won_condition(regclass): the predicate of the partial indexes on won
 * orders, the same text the look-ups use (positions.c).
 */
Datum
returning_won_condition(PG_FUNCTION_ARGS)
{
	AttachedTable *at = get_attached_table(PG_GETARG_OID(0), ATTACH_ORDERS);
	StringInfoData buf;

	initStringInfo(&buf);
	append_won_condition(&buf, at, NULL);
	PG_RETURN_TEXT_P(cstring_to_text(buf.data));
}

/*
 * Attaching an orders table in one rewrite.
 *
 * Adding the generated columns rewrites the table anyway; classifying its
 * rows with an UPDATE afterwards would write every row a second time.  So
 * attach first computes every order's state with one set-based SELECT
 * (_load_states), keeping the ids of the orders that are not new in two
 * sorted arrays, and then adds the generated columns and fills the state
 * column in the same ALTER TABLE, with _initial_state(id) as the USING
 * expression of the state column.  The arrays live in transaction memory,
 * 8 bytes per order that is not new, and are gone when the transaction ends.
 */
static MemoryContext states_context = NULL;
static LocalTransactionId states_lxid = InvalidLocalTransactionId;
static int64 *state_ids[2];		/* repeat, repeated_inquiry */
static int64 state_counts[2];

PG_FUNCTION_INFO_V1(returning_load_states);
PG_FUNCTION_INFO_V1(returning_initial_state);

static int
int64_cmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

Datum
returning_load_states(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	AttachedTable *at;
	Portal		portal;
	int64		capacity[2] = {1024, 1024};
	int64		total = 0;
	int			level;
	UserSwitch	us;

	require_current_catalog("attaching a table");	/* as _classify */
	if (states_context != NULL && states_lxid == MyProc->lxid)
		MemoryContextDelete(states_context);
	states_context = AllocSetContextCreate(TopTransactionContext,
										   "returning attach states",
										   ALLOCSET_DEFAULT_SIZES);
	states_lxid = MyProc->lxid;
	for (int k = 0; k < 2; k++)
	{
		state_ids[k] = MemoryContextAllocHuge(states_context, capacity[k] * sizeof(int64));
		state_counts[k] = 0;
	}

	check_table_owner(relid, "attach it");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	at = get_attached_table(relid, ATTACH_ORDERS);
	switch_to_table_owner(relid, true, &us);

	/*
	 * The query joins every order with its client's first won order: in a
	 * hash of the clients, never by sorting the whole table for a merge
	 * join, nor in a loop; and the cursor is read to its end.
	 */
	level = NewGUCNestLevel();
	(void) set_config_option("cursor_tuple_fraction", "1", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("enable_mergejoin", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("enable_nestloop", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	portal = SPI_cursor_open_with_args(NULL, orders_states_sql(at), 0, NULL, NULL, NULL,
									   true, CURSOR_OPT_NO_SCROLL);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, 10000);
		if (SPI_processed == 0)
			break;
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			HeapTuple	row = SPI_tuptable->vals[i];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			Row			r = row_of_tuple(row, desc);
			bool		isnull;
			int64		id = column_int64(&(MappedColumn) {.attnum = 1, .typid = at->id.typid, .typlen = at->id.typlen},
										  &r, &isnull);
			Datum		state = SPI_getbinval(row, desc, desc->natts, &isnull);
			int			k;

			total++;
			/* compared in place: nothing is allocated per order */
			if (text_equals(state, state_name(STATE_REPEAT)))
				k = 0;
			else if (text_equals(state, state_name(STATE_REPEATED_INQUIRY)))
				k = 1;
			else
				continue;
			if (state_counts[k] == capacity[k])
			{
				capacity[k] *= 2;
				state_ids[k] = repalloc_huge(state_ids[k], capacity[k] * sizeof(int64));
			}
			state_ids[k][state_counts[k]++] = id;
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	AtEOXact_GUC(true, level);
	switch_back(&us);
	SPI_finish();

	for (int k = 0; k < 2; k++)
		qsort(state_ids[k], state_counts[k], sizeof(int64), int64_cmp);
	PG_RETURN_INT64(total);
}

Datum
returning_initial_state(PG_FUNCTION_ARGS)
{
	int64		id = PG_GETARG_INT64(0);

	if (states_context == NULL || states_lxid != MyProc->lxid)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the states of the table being attached are not loaded"),
				 errhint("It is called by returning_crm.attach_orders() only.")));
	if (bsearch(&id, state_ids[0], state_counts[0], sizeof(int64), int64_cmp))
		PG_RETURN_DATUM(state_datum(STATE_REPEAT));
	if (bsearch(&id, state_ids[1], state_counts[1], sizeof(int64), int64_cmp))
		PG_RETURN_DATUM(state_datum(STATE_REPEATED_INQUIRY));
	PG_RETURN_DATUM(state_datum(STATE_NEW));
}

/*
 * _has_ordering(regtype): has the type a default btree ordering, which
 * orders positions?  varchar (through text's), enums and domains have one.
 */
PG_FUNCTION_INFO_V1(returning_has_ordering);

Datum
returning_has_ordering(PG_FUNCTION_ARGS)
{
	TypeCacheEntry *typentry = lookup_type_cache(getBaseType(PG_GETARG_OID(0)),
												 TYPECACHE_CMP_PROC);

	PG_RETURN_BOOL(OidIsValid(typentry->cmp_proc));
}
