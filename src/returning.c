/*-------------------------------------------------------------------------
 *
 * returning.c
 *	  Module entry point and the small pieces every rule file shares: the
 *	  names of the states, the guard that keeps the extension's own
 *	  recomputing UPDATEs from re-entering its triggers, and the check of
 *	  how a trigger function was called.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "commands/trigger.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "config.h"
#include "returning.h"
#include "security.h"
#include "statements.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

static const char *const state_names[STATE_COUNT] = {
	[STATE_NEW] = STATE_NAME_NEW,
	[STATE_REPEAT] = STATE_NAME_REPEAT,
	[STATE_REPEATED_INQUIRY] = STATE_NAME_REPEATED_INQUIRY,
};
static Datum state_datums[STATE_COUNT];

/* The table whose states the extension is rewriting right now, if any */
static Oid	recompute_relid = InvalidOid;

void
_PG_init(void)
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

	for (int i = 0; i < STATE_COUNT; i++)
		state_datums[i] = CStringGetTextDatum(state_names[i]);
	MemoryContextSwitchTo(old);

	config_init();
	statements_init();
}

const char *
state_name(ReturningState state)
{
	Assert(state >= STATE_NEW && state <= STATE_REPEATED_INQUIRY);
	return state_names[state];
}

ReturningState
state_from_name(const char *name)
{
	for (int i = 0; i < STATE_COUNT; i++)
		if (strcmp(name, state_names[i]) == 0)
			return (ReturningState) i;
	return STATE_NONE;
}

/* The state a row holds in the state column; STATE_NONE when NULL */
ReturningState
stored_state(AttachedTable *at, const Row *row)
{
	bool		isnull;
	Datum		value = row_attr(row, at->state.attnum, &isnull);

	return isnull ? STATE_NONE : state_from_name(TextDatumGetCString(value));
}

/* Does a text datum hold exactly this string?  No copy is made. */
bool
text_equals(Datum value, const char *s)
{
	text	   *t = DatumGetTextPP(value);
	size_t		len = VARSIZE_ANY_EXHDR(t);
	bool		result = len == strlen(s) && memcmp(VARDATA_ANY(t), s, len) == 0;

	if ((Pointer) t != DatumGetPointer(value))
		pfree(t);
	return result;
}

Datum
state_datum(ReturningState state)
{
	Assert(state >= STATE_NEW && state <= STATE_REPEATED_INQUIRY);
	return state_datums[state];
}

/*
 * The row with its state set, when the state column and every column after
 * it are NULL in the row, as in an inserted row (the generated columns after
 * it are computed after the BEFORE triggers): the state is appended to a
 * copy of the row, in the form heap_form_tuple gives it (a short varlena,
 * which needs no alignment), instead of taking the row apart and forming it
 * again.  NULL when the row has another shape.
 */
static HeapTuple
append_state(AttachedTable *at, HeapTuple tuple, TupleDesc tupdesc, Datum value)
{
	HeapTupleHeader header = tuple->t_data;
	int			col = at->state.attnum - 1;
	Form_pg_attribute att = TupleDescAttr(tupdesc, col);
	Size		len = VARSIZE_ANY_EXHDR(DatumGetPointer(value));
	Size		added = VARHDRSZ_SHORT + len;
	HeapTuple	result;
	char	   *data;

	if (!HeapTupleHasNulls(tuple) ||
		HeapTupleHeaderGetNatts(header) != tupdesc->natts ||
		att->attlen != -1 || att->attstorage == TYPSTORAGE_PLAIN ||
		!VARATT_CAN_MAKE_SHORT(DatumGetPointer(value)))
		return NULL;
	for (int i = col; i < tupdesc->natts; i++)
		if (!att_isnull(i, header->t_bits))
			return NULL;

	result = (HeapTuple) palloc(HEAPTUPLESIZE + tuple->t_len + added);
	result->t_len = tuple->t_len + added;
	result->t_self = tuple->t_self;
	result->t_tableOid = tuple->t_tableOid;
	result->t_data = (HeapTupleHeader) ((char *) result + HEAPTUPLESIZE);
	memcpy(result->t_data, header, tuple->t_len);

	data = (char *) result->t_data + tuple->t_len;
	SET_VARSIZE_SHORT(data, added);
	memcpy(data + VARHDRSZ_SHORT, VARDATA_ANY(DatumGetPointer(value)), len);
	result->t_data->t_bits[col >> 3] |= 1 << (col & 7);
	result->t_data->t_infomask |= HEAP_HASVARWIDTH;
	return result;
}

/*
 * A row with its state column set, or the row itself when it has that
 * state already: whatever the application wrote there is replaced.  row
 * reads the same row as tuple.
 */
HeapTuple
set_state(AttachedTable *at, const Row *row, HeapTuple tuple, TupleDesc tupdesc,
		  ReturningState state)
{
	int			column = at->state.attnum;
	Datum		value = state_datum(state);
	bool		null = false;
	HeapTuple	result;

	/* the usual inserted row: no state yet, seen in its null bitmap */
	if (heap_attisnull(tuple, column, tupdesc))
	{
		if ((result = append_state(at, tuple, tupdesc, value)) != NULL)
			return result;
	}
	else
	{
		bool		isnull;
		Datum		current = row_attr(row, column, &isnull);

		if (text_equals(current, state_name(state)))
			return tuple;
	}
	return heap_modify_tuple_by_cols(tuple, tupdesc, 1, &column, &value, &null);
}

/*
 * While the extension rewrites states of a table with a set-based UPDATE,
 * its own triggers on that table let the rows pass unchanged.
 */
bool
returning_in_recompute(Relation rel)
{
	if (!OidIsValid(recompute_relid))
		return false;
	if (RelationGetRelid(rel) == recompute_relid)
		return true;
	/* a partition of the table being rewritten */
	return rel->rd_rel->relispartition &&
		get_attached_table(RelationGetRelid(rel), ATTACH_ANY)->attached_relid == recompute_relid;
}

static void
returning_begin_recompute(Oid relid, Oid *saved)
{
	*saved = recompute_relid;
	recompute_relid = relid;
}

static void
returning_end_recompute(Oid saved)
{
	recompute_relid = saved;
}

/*
 * The snapshot of the statements that read and rewrite a client's history,
 * taken when they run, with the client's lock held.  Under REPEATABLE READ
 * the transaction's snapshot would not see what the lock's previous holder
 * committed after it was taken, and states computed from it would be wrong
 * (an order after a won order committed meanwhile would stay new, an order
 * committed meanwhile would not be rewritten).  As the checks of foreign
 * keys do, these statements then read the latest snapshot instead: the
 * client's lock orders its writers, and each computes from all that the
 * others committed.  READ COMMITTED takes a new snapshot for each statement
 * anyway (InvalidSnapshot: SPI's own), and SERIALIZABLE keeps the
 * transaction's, whose conflict detection fails one of two transactions
 * that changed one client's history at the same time (40001).
 */
Snapshot
history_snapshot(void)
{
	if (XactIsoLevel == XACT_REPEATABLE_READ)
		return GetLatestSnapshot();
	return InvalidSnapshot;
}

/* SPI_execute_plan, with history_snapshot() */
int
execute_history_plan(SPIPlanPtr plan, Datum *args, const char *nulls,
					 bool read_only, long tcount)
{
	Snapshot	snapshot = history_snapshot();

	if (snapshot == InvalidSnapshot)
		return SPI_execute_plan(plan, args, nulls, read_only, tcount);
	return SPI_execute_snapshot(plan, args, nulls, snapshot, InvalidSnapshot,
								read_only, true, tcount);
}

/*
 * Run a statement that rewrites states of a table (a kept plan, or SQL text
 * run once), with the table's own triggers letting its rows pass.  Returns
 * the number of rows written, or for a SELECT around the UPDATE (rewrite.c)
 * the number of rows it returned, left in SPI_tuptable.
 */
uint64
execute_recompute(Oid relid, SPIPlanPtr plan, const char *sql, Datum *args,
				  const char *nulls)
{
	Oid			saved;
	UserSwitch	us;
	volatile int rc = 0;

	returning_begin_recompute(relid, &saved);
	PG_TRY();
	{
		/* as the table's owner, whose code the UPDATE may run (security.c) */
		switch_to_table_owner(relid, true, &us);
		if (plan != NULL)
			rc = execute_history_plan(plan, args, nulls, false, 0);
		else if (history_snapshot() == InvalidSnapshot)
			rc = SPI_execute(sql, false, 0);
		else
		{
			SPIPlanPtr	once = SPI_prepare(sql, 0, NULL);

			if (once == NULL)
				elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql,
					 SPI_result_code_string(SPI_result));
			rc = execute_history_plan(once, NULL, NULL, false, 0);
			SPI_freeplan(once);
		}
		switch_back(&us);
	}
	PG_FINALLY();
	{
		returning_end_recompute(saved);
	}
	PG_END_TRY();
	if (rc != SPI_OK_UPDATE && rc != SPI_OK_SELECT)
		elog(ERROR, "could not recompute the states of \"%s\": %s",
			 get_rel_name(relid), SPI_result_code_string(rc));
	return SPI_processed;
}

/*
 * Complain unless the function was called by the trigger manager, at the
 * level and time it was written for.
 */
void
check_trigger_call(FunctionCallInfo fcinfo, const char *funcname,
				   bool row_level, bool before)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by trigger manager",
						funcname),
				 errhint("It is installed on attached tables by the returning_crm.attach_* functions.")));

	if ((TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) != 0) != row_level ||
		(TRIGGER_FIRED_BEFORE(trigdata->tg_event) != 0) != before)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired %s %s", funcname,
						before ? "BEFORE" : "AFTER",
						row_level ? "FOR EACH ROW" : "FOR EACH STATEMENT")));
}
