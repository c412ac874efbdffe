/*-------------------------------------------------------------------------
 *
 * locks.c
 *	  Serialising the transactions that touch one client or one lead.
 *
 * An order's state depends on the won orders of its client and on the state
 * of its lead.  Two transactions in READ COMMITTED that change these at the
 * same time would each miss the other's uncommitted rows, so a writer that
 * reads or changes a client's history holds an exclusive lock on the client
 * to the end of its transaction; the same for leads.
 *
 * A lock per client would exhaust the shared lock table when one statement
 * touches a million clients (max_locks_per_transaction), so clients are
 * hashed into LOCK_BUCKETS buckets per workspace, and the bucket is locked:
 * a transaction holds at most 2 * LOCK_BUCKETS of these locks, and two
 * transactions on different clients wait for each other only when their
 * clients share a bucket.  The locks are advisory locks with a tag of their
 * own (field 4), so that they never collide with an application's
 * pg_advisory_lock() calls.  Advisory locks live on the node where the
 * trigger runs, which is the node that holds the client's rows.
 *
 * Deadlocks.  Row triggers meet clients in the order of the statement's
 * rows, and two statements could meet the same clients in opposite orders.
 * So a row trigger never waits: it takes a lock only when it is free.  When
 * a lock is busy, the row is classified without it and the statement is
 * marked contended; at its end, the statement gives back the locks it took,
 * takes all of them again in one fixed order (waiting now), and recomputes
 * every client it touched.  Locks taken by earlier statements of the
 * transaction are kept, as they must be; like row locks, they can still
 * meet another transaction's in opposite order, and PostgreSQL's deadlock
 * detector then aborts one of them.
 *
 * A contended writer waits at its end while it holds row locks: PostgreSQL
 * locks an updated or deleted row before any trigger runs.  The holder of
 * the client's lock may be waiting for exactly those rows, to rewrite their
 * states (rewrite.c).  That holder writes its rows afresh once its wait
 * ends, seeing what the writer committed; so a writer that finds the
 * holder of a lock it waits for waiting, in a rewrite, for the writer
 * itself, stops waiting for that lock and goes on without it: its
 * recompute of the lock's clients sees the committed rows, and the holder's
 * rewrite after it sees the writer's.  A holder shows that it is waiting in
 * a rewrite with a lock on a tag of its own virtual transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "storage/sinvaladt.h"
#include "utils/array.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "statements.h"

#define LOCK_TAG_RETURNING	0x5245	/* "RE": a bucket's lock */
#define LOCK_TAG_REWRITING	0x5257	/* "RW": waiting in a rewrite */
#define LOCK_WAIT_SLICE		"10ms"	/* how long a writer waits between looks */
#define LOCK_WAIT_SLICES	50		/* how many looks before a plain wait */
#define SPACE_CLIENT		0
#define SPACE_LEAD			1

#define BIT_IS_SET(bits, n)	(((bits)[(n) / 8] & (1 << ((n) % 8))) != 0)
#define BIT_SET(bits, n)	((bits)[(n) / 8] |= (1 << ((n) % 8)))

static void
set_tag(LOCKTAG *tag, int32 workspace_key, int space, int bucket)
{
	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, (uint32) workspace_key,
						 (uint32) ((space + 1) << 16) | (uint32) bucket,
						 LOCK_TAG_RETURNING);
}

static uint32
key_hash(int64 id, char kind, const char *tenant)
{
	uint32		h = hash_bytes_uint32((uint32) id) ^ hash_bytes_uint32((uint32) (id >> 32));

	h = hash_combine(h, (uint32) kind);
	if (tenant)
		h = hash_combine(h, hash_bytes((const unsigned char *) tenant, strlen(tenant)));
	return h;
}

/*
 * Take a bucket's lock if it is free.  Returns false when another
 * transaction holds it: the statement is then contended.
 */
static bool
try_bucket(StatementFrame *frame, AttachedTable *at, int space, uint32 hash)
{
	StatementLocks *locks = &frame->locks;
	int			bucket = hash % LOCK_BUCKETS;
	LOCKTAG		tag;

	if (BIT_IS_SET(locks->held[space], bucket))
		return true;
	if (BIT_IS_SET(locks->missed[space], bucket))
		return false;

	locks->workspace_key = at->workspace_key;
	set_tag(&tag, at->workspace_key, space, bucket);
	if (LockAcquire(&tag, ExclusiveLock, false, true) == LOCKACQUIRE_NOT_AVAIL)
	{
		BIT_SET(locks->missed[space], bucket);
		locks->contended = true;
		return false;
	}
	BIT_SET(locks->held[space], bucket);
	return true;
}

bool
statement_lock_client(StatementFrame *frame, AttachedTable *at, const ClientKey *client)
{
	if (client->kind == CLIENT_NONE)
		return true;
	return try_bucket(frame, at, SPACE_CLIENT,
					  key_hash(client->id, (char) client->kind, client->tenant));
}

bool
statement_lock_lead(StatementFrame *frame, AttachedTable *at, int64 lead_id,
					const char *tenant)
{
	return try_bucket(frame, at, SPACE_LEAD, key_hash(lead_id, KEY_LEAD, tenant));
}

/*
 * Outside the row triggers (inquiry routing), a lock is simply waited for:
 * the caller takes few of them, in an order of its own.
 */
void
lock_client(AttachedTable *at, const ClientKey *client)
{
	LOCKTAG		tag;

	if (client->kind == CLIENT_NONE)
		return;
	set_tag(&tag, at->workspace_key, SPACE_CLIENT,
			key_hash(client->id, (char) client->kind, client->tenant) % LOCK_BUCKETS);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
}

/* The tag that shows a transaction waiting in a rewrite */
static void
set_rewriting_tag(LOCKTAG *tag, BackendId backend, LocalTransactionId lxid)
{
	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, (uint32) backend, (uint32) lxid,
						 LOCK_TAG_REWRITING);
}

/* Show, or stop showing, that this transaction waits in a rewrite */
void
lock_show_rewriting(bool waiting)
{
	LOCKTAG		tag;

	set_rewriting_tag(&tag, MyBackendId, MyProc->lxid);
	if (waiting)
		(void) LockAcquire(&tag, ShareLock, false, false);
	else
		LockRelease(&tag, ShareLock, false);
}

/*
 * Is a holder of the lock waiting, in a rewrite, for this backend?  A
 * holder is waiting in a rewrite when it holds its rewriting tag; that it
 * waits for us, PostgreSQL's own list of blockers tells.
 */
static bool
holder_waits_for_us(const LOCKTAG *tag)
{
	VirtualTransactionId *holders = GetLockConflicts(tag, ExclusiveLock, NULL);

	for (; VirtualTransactionIdIsValid(*holders); holders++)
	{
		LOCKTAG		rewriting;
		PGPROC	   *proc;
		ArrayType  *blockers;
		Datum	   *pids;
		int			npids;

		set_rewriting_tag(&rewriting, holders->backendId, holders->localTransactionId);
		if (LockAcquire(&rewriting, ExclusiveLock, false, true) != LOCKACQUIRE_NOT_AVAIL)
		{
			LockRelease(&rewriting, ExclusiveLock, false);
			continue;
		}
		proc = BackendIdGetProc(holders->backendId);
		if (proc == NULL)
			continue;
		blockers = DatumGetArrayTypeP(DirectFunctionCall1(pg_blocking_pids,
														  Int32GetDatum(proc->pid)));
		deconstruct_array(blockers, INT4OID, 4, true, TYPALIGN_INT, &pids, NULL, &npids);
		for (int i = 0; i < npids; i++)
			if (DatumGetInt32(pids[i]) == MyProcPid)
				return true;
	}
	return false;
}

/*
 * Wait for a bucket's lock at most LOCK_WAIT_SLICE, in a subtransaction, so
 * that the wait can end without the lock.  A lock taken in it passes to the
 * transaction.
 */
static bool
acquire_within_slice(const LOCKTAG *tag)
{
	MemoryContext context = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool acquired = true;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(context);
	PG_TRY();
	{
		int			level = NewGUCNestLevel();

		(void) set_config_option("lock_timeout", LOCK_WAIT_SLICE, PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
		(void) LockAcquire(tag, ExclusiveLock, false, false);
		AtEOXact_GUC(true, level);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(context);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		if (edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE)
		{
			CurrentResourceOwner = owner;
			ReThrowError(edata);
		}
		FreeErrorData(edata);
		acquired = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(context);
	CurrentResourceOwner = owner;
	return acquired;
}

/*
 * Wait for a bucket's lock, unless its holder waits, in a rewrite, for this
 * transaction: then go on without it (see the file's header).  Returns
 * whether the lock is held.
 */
static bool
wait_for_bucket(const LOCKTAG *tag)
{
	if (LockAcquire(tag, ExclusiveLock, false, true) != LOCKACQUIRE_NOT_AVAIL)
		return true;
	for (int slice = 0; slice < LOCK_WAIT_SLICES; slice++)
	{
		if (acquire_within_slice(tag))
			return true;
		if (holder_waits_for_us(tag))
			return false;
	}

	/*
	 * A wait in slices shorter than deadlock_timeout never runs the deadlock
	 * check; a long one ends as a plain wait, which does.
	 */
	(void) LockAcquire(tag, ExclusiveLock, false, false);
	return true;
}

/*
 * At the end of a contended statement: give back the locks it took, then
 * take every lock it needed in one order, waiting.  Returns whether the
 * statement was contended; if so, the caller recomputes what it touched.
 */
bool
locks_settle(StatementFrame *frame)
{
	StatementLocks *locks = &frame->locks;
	LOCKTAG		tag;

	if (!locks->contended)
		return false;

	for (int space = 0; space < 2; space++)
		for (int bucket = 0; bucket < LOCK_BUCKETS; bucket++)
			if (BIT_IS_SET(locks->held[space], bucket))
			{
				set_tag(&tag, locks->workspace_key, space, bucket);
				LockRelease(&tag, ExclusiveLock, false);
			}

	for (int space = 0; space < 2; space++)
		for (int bucket = 0; bucket < LOCK_BUCKETS; bucket++)
			if (BIT_IS_SET(locks->held[space], bucket) ||
				BIT_IS_SET(locks->missed[space], bucket))
			{
				set_tag(&tag, locks->workspace_key, space, bucket);
				if (wait_for_bucket(&tag))
					BIT_SET(locks->held[space], bucket);
			}

	memset(locks->missed, 0, sizeof(locks->missed));
	locks->contended = false;
	return true;
}
