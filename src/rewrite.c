/*-------------------------------------------------------------------------
 *
 * rewrite.c
 *	  Rewriting the states of rows that other transactions may hold.
 *
 * When a statement changes a client's history (or a lead's state), it
 * rewrites the states of the client's other orders at its end, holding the
 * client's lock (locks.c).  Another transaction may hold some of those rows:
 * PostgreSQL locks a row that a statement updates or deletes before any
 * trigger runs, and that transaction may be a writer that now waits for the
 * client's lock.  Waiting for its rows would close a cycle; so would
 * keeping rows that the writer, in turn, has to rewrite.  So a rewrite first
 * tries one plain UPDATE that gives up after a very short wait for a row
 * lock, in a subtransaction rolled back then; and when it gave up, it runs
 * in rounds.
 *
 * A round runs in a subtransaction.  It writes the rows that no other
 * transaction holds (FOR NO KEY UPDATE SKIP LOCKED) and returns the rows it
 * left.  When it left none, it is kept and the rewrite is done.  Otherwise
 * it is rolled back, which gives back the rows it locked, and the rewrite
 * waits for the rows it left, one at a time, each in a subtransaction that
 * is rolled back too, while it shows that it waits in a rewrite.  A writer
 * that holds those rows and waits for a lock this transaction holds sees
 * that and goes on without the lock (locks.c): the writer's recompute finds
 * none of this transaction's rewritten rows held, and this transaction's
 * next round, in a new snapshot, sees what the writer committed.
 *
 * Invariant: when a rewrite returns, every row of its keys has the state
 * the rules give in the last round's snapshot, and what committed after
 * that snapshot either held the keys' locks or waited for this transaction
 * to end.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "config.h"
#include "locks.h"
#include "rewrite.h"
#include "statements.h"

/* How long the first try of a rewrite waits for a row lock */
#define REWRITE_TRY_WAIT	"1ms"

/* The rows a round left to other transactions */
typedef struct HeldRows
{
	int			count;
	Datum	   *ids;
	Datum	   *tenants;		/* text, or (Datum) 0 for NULL */
} HeldRows;

/* The rewrite as one UPDATE, which waits for rows that others hold */
char *
rewrite_waiting_sql(AttachedTable *at, const RewriteParts *parts)
{
	StringInfoData sql;

	initStringInfo(&sql);
	appendStringInfo(&sql, "UPDATE %s AS t SET %s = %s", at->qualified_name,
					 at->state.name, parts->state);
	if (parts->from)
		appendStringInfo(&sql, " FROM %s", parts->from);
	appendStringInfo(&sql, " WHERE %s", parts->where);
	return sql.data;
}

/*
 * The rewrite that writes only rows no other transaction holds, and
 * returns (id, tenant) of the rows it left: r, the rows to write with their
 * new states; k, those of them locked now, skipping the held ones (the lock
 * looks again at a row that changed since the snapshot); u, those written.
 */
char *
rewrite_skipping_sql(AttachedTable *at, const RewriteParts *parts)
{
	StringInfoData sql;
	bool		has_tenant = at->tenant.attnum != InvalidAttrNumber;
	const char *state = at->state.name;
	const char *id = at->id.name;

	initStringInfo(&sql);
	appendStringInfo(&sql, "WITH r AS MATERIALIZED (SELECT t.%s AS id, ", id);
	if (has_tenant)
		appendStringInfo(&sql, "t.%s AS tenant, ", at->tenant.name);
	appendStringInfo(&sql, "%s AS state FROM %s AS t", parts->state, at->qualified_name);
	if (parts->from)
		appendStringInfo(&sql, ", %s", parts->from);
	appendStringInfo(&sql, " WHERE %s), ", parts->where);

	appendStringInfo(&sql, "k AS (SELECT r.id, %sr.state FROM %s AS l JOIN r ON"
					 " l.%s OPERATOR(pg_catalog.=) r.id",
					 has_tenant ? "r.tenant, " : "", at->qualified_name, id);
	append_tenant_match(&sql, at, "l", at->tenant.name, "r");
	appendStringInfo(&sql, " WHERE (l.%s IS NULL OR l.%s OPERATOR(pg_catalog.<>) r.state)"
					 " FOR NO KEY UPDATE OF l SKIP LOCKED), ", state, state);

	appendStringInfo(&sql, "u AS (UPDATE %s AS t SET %s = k.state FROM k"
					 " WHERE t.%s OPERATOR(pg_catalog.=) k.id",
					 at->qualified_name, state, id);
	append_tenant_match(&sql, at, "t", at->tenant.name, "k");
	appendStringInfo(&sql, " RETURNING t.%s AS id", id);
	if (has_tenant)
		appendStringInfo(&sql, ", t.%s AS tenant", at->tenant.name);

	/* a row without an id cannot be told apart: none is left for it */
	appendStringInfo(&sql, ") SELECT r.id::pg_catalog.int8, %s FROM r WHERE r.id IS NOT NULL AND NOT EXISTS"
					 " (SELECT FROM u WHERE u.id OPERATOR(pg_catalog.=) r.id",
					 has_tenant ? "r.tenant::pg_catalog.text" : "NULL::pg_catalog.text");
	append_tenant_match(&sql, at, "u", "tenant", "r");
	appendStringInfoChar(&sql, ')');
	return sql.data;
}

/*
 * Run one round of a skipping rewrite in a subtransaction: kept when it left
 * no row, else rolled back.  Returns whether it was kept; the rows it left
 * are copied into the current memory context.
 */
static bool
rewrite_round(AttachedTable *at, SPIPlanPtr plan, Datum *args, const char *nulls,
			  HeldRows *held)
{
	MemoryContext context = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	uint64		n;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(context);

	/* an error rolls back the subtransaction with the transaction */
	n = execute_recompute(at->sql_relid, plan, NULL, args, nulls);
	held->count = 0;
	held->ids = palloc(sizeof(Datum) * Max(n, 1));
	held->tenants = palloc(sizeof(Datum) * Max(n, 1));
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;
		Datum		tenant;

		held->ids[held->count] = SPI_getbinval(SPI_tuptable->vals[i],
											   SPI_tuptable->tupdesc, 1, &isnull);
		tenant = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull);
		held->tenants[held->count] = isnull ? (Datum) 0 :
			PointerGetDatum(MemoryContextStrdup(context, TextDatumGetCString(tenant)));
		held->count++;
	}
	SPI_freetuptable(SPI_tuptable);

	if (n == 0)
		ReleaseCurrentSubTransaction();
	else
		RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(context);
	CurrentResourceOwner = owner;
	return n == 0;
}

/*
 * The statement that waits for one row, $1 its id and $2 its tenant as
 * text, and locks it as the rewrite would.
 */
static SPIPlanPtr
held_row_plan(AttachedTable *at)
{
	if (at->held_row_plan == NULL)
	{
		StringInfoData sql;
		Oid			argtypes[2] = {INT8OID, TEXTOID};

		initStringInfo(&sql);
		appendStringInfo(&sql, "SELECT FROM %s AS t WHERE t.%s OPERATOR(pg_catalog.=) $1",
						 at->qualified_name, at->id.name);
		if (at->tenant.attnum != InvalidAttrNumber)
			append_tenant_param(&sql, at, "t", 2);
		appendStringInfoString(&sql, " FOR NO KEY UPDATE");
		at->held_row_plan = keep_plan(sql.data, 2, argtypes);
		pfree(sql.data);
	}
	return at->held_row_plan;
}

/*
 * Wait until no other transaction holds the rows, keeping none of them: each
 * is locked in a subtransaction that is then rolled back.
 */
static void
wait_for_rows(AttachedTable *at, const HeldRows *held)
{
	MemoryContext context = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	SPIPlanPtr	plan = held_row_plan(at);

	for (int i = 0; i < held->count; i++)
	{
		Datum		args[2];
		char		nulls[2] = {' ', ' '};

		args[0] = held->ids[i];
		if (held->tenants[i] == (Datum) 0)
		{
			args[1] = (Datum) 0;
			nulls[1] = 'n';
		}
		else
			args[1] = CStringGetTextDatum((const char *) DatumGetPointer(held->tenants[i]));

		BeginInternalSubTransaction(NULL);
		MemoryContextSwitchTo(context);
		(void) execute_recompute(at->sql_relid, plan, NULL, args, nulls);
		SPI_freetuptable(SPI_tuptable);
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(context);
		CurrentResourceOwner = owner;
	}
}

/* A rewrite's statement and arguments, for locks_within() */
typedef struct RewriteCall
{
	AttachedTable *at;
	SPIPlanPtr	plan;
	Datum	   *args;
	const char *nulls;
} RewriteCall;

static void
run_rewrite(void *arg)
{
	RewriteCall *call = (RewriteCall *) arg;

	(void) execute_recompute(call->at->sql_relid, call->plan, NULL, call->args,
							 call->nulls);
}

/*
 * The first try: the rewrite as one UPDATE, in a subtransaction that gives
 * up (and is rolled back) when a row lock is not granted within
 * REWRITE_TRY_WAIT.  Most rewrites meet no held row, and then write each
 * row once, without the locking pass of a round.  The wait ends by itself,
 * so it never closes a cycle; a contended writer that waits for this
 * transaction's lock meanwhile looks again after its next slice (locks.c)
 * and finds the rounds' wait.  Returns whether it ran to its end.
 */
static bool
rewrite_try(AttachedTable *at, SPIPlanPtr plan, Datum *args, const char *nulls)
{
	RewriteCall call = {at, plan, args, nulls};

	return locks_within(REWRITE_TRY_WAIT, run_rewrite, &call);
}

/*
 * Rewrite the states of some keys' rows with kept plans (plans[0] the
 * waiting UPDATE, plans[1] the skipping one): a first try, then rounds, as
 * the file's header says.  The keys are locked by the caller.
 *
 * The plans of one key (one_key, keep_one_key_plan()) are made once, at
 * their first run or after an invalidation, whatever the table's size is
 * then, and kept while it grows: they are planned, and run, with sequential
 * scans disabled, so that they read the key's rows through an index even
 * when the table was nearly empty when they were made.  Bitmap scans are
 * disabled too: a plain index scan marks the entries of dead row versions
 * as it meets them, so that the next rewrite of the client skips them,
 * while a bitmap scan reads them all again.  A client's orders churn (each
 * state written is a new row version with new entries), so under a steady
 * stream of writes that is most of what a bitmap scan would read.
 */
void
rewrite_rows(AttachedTable *at, SPIPlanPtr *plans, Datum *args, const char *nulls,
			 bool one_key)
{
	HeldRows	held;
	int			level = 0;

	if (one_key)
	{
		level = NewGUCNestLevel();
		(void) set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		(void) set_config_option("enable_bitmapscan", "off", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	}
	if (!rewrite_try(at, plans[0], args, nulls))
		while (!rewrite_round(at, plans[1], args, nulls, &held))
		{
			lock_show_rewriting(true);
			wait_for_rows(at, &held);
			lock_show_rewriting(false);
		}
	if (one_key)
		AtEOXact_GUC(true, level);
}
