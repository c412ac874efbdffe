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
 * So a row trigger waits only for the first lock its statement asks for (or
 * the first two, of one row, in a fixed order), when the statement holds
 * none of its own that another could wait for; after that it takes a lock
 * only when it is free.  When a lock is busy, the row is classified without
 * it and the statement is marked contended; at its end, the statement gives
 * back the locks it took, takes all of them again in one fixed order
 * (waiting now), and recomputes every client it touched.  So a statement of
 * one row, the way a web application writes, waits for its client like for
 * a row lock and is never contended, unless its wait is given up (below).
 * Locks taken by earlier statements of the transaction are kept, as they
 * must be; like row locks, they can still meet another transaction's in
 * opposite order, and PostgreSQL's deadlock detector then aborts one of
 * them.
 *
 * A contended writer waits at its end while it holds row locks: PostgreSQL
 * locks an updated or deleted row before any trigger runs.  The holder of
 * the client's lock may be waiting for exactly those rows, to rewrite their
 * states (rewrite.c).  That holder writes its rows afresh once its wait
 * ends, seeing what the writer committed; so a writer that finds the
 * holder of a lock it waits for waiting, in a rewrite, for the writer
 * itself (directly, or through others that wait), stops waiting for that lock and goes on without it: its
 * recompute of the lock's clients sees the committed rows, and the holder's
 * rewrite after it sees the writer's.  A holder shows that it is waiting in
 * a rewrite with a lock on a tag of its own virtual transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
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

#include "config.h"
#include "locks.h"
#include "statements.h"

#define LOCK_TAG_RETURNING	0x5245	/* "RE": a bucket's lock */
#define LOCK_TAG_REWRITING	0x5257	/* "RW": waiting in a rewrite */
#define LOCK_WAIT_SLICE		"1ms"	/* how long a writer waits between looks:
										 * a cycle through a rewrite costs it */
#define LOCK_WAIT_SLICES	500		/* how many looks before a plain wait */
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

static bool wait_for_bucket(const LOCKTAG *tag);

/*
 * Take a bucket's lock: waiting when wait is set (see the file's header),
 * else only if it is free.  Returns false when the lock was not taken: the
 * statement is then contended.
 */
static bool
take_bucket(StatementFrame *frame, AttachedTable *at, int space, uint32 hash,
			bool wait)
{
	StatementLocks *locks = &frame->locks;
	int			bucket = hash % LOCK_BUCKETS;
	LOCKTAG		tag;
	bool		taken;

	if (BIT_IS_SET(locks->held[space], bucket))
		return true;
	if (BIT_IS_SET(locks->missed[space], bucket))
		return false;

	locks->workspace_key = at->workspace_key;
	set_tag(&tag, at->workspace_key, space, bucket);
	if (wait)
		taken = wait_for_bucket(&tag);
	else
		taken = LockAcquire(&tag, ExclusiveLock, false, true) != LOCKACQUIRE_NOT_AVAIL;
	if (!taken)
	{
		BIT_SET(locks->missed[space], bucket);
		locks->contended = true;
		return false;
	}
	BIT_SET(locks->held[space], bucket);
	return true;
}

/* The first lock of a statement is waited for, the others are tried */
static bool
try_bucket(StatementFrame *frame, AttachedTable *at, int space, uint32 hash)
{
	bool		first = !frame->locks.asked;

	frame->locks.asked = true;
	return take_bucket(frame, at, space, hash, first);
}

static uint32
client_hash(const ClientKey *client)
{
	return key_hash(client->id, (char) client->kind, client->tenant);
}

bool
statement_lock_client(StatementFrame *frame, AttachedTable *at, const ClientKey *client)
{
	if (client->kind == CLIENT_NONE)
		return true;
	return try_bucket(frame, at, SPACE_CLIENT, client_hash(client));
}

/*
 * The two clients of one row (an order that moves): as the first locks of
 * the statement, both are waited for, the lower bucket first.
 */
void
statement_lock_clients(StatementFrame *frame, AttachedTable *at,
					   const ClientKey *a, bool *a_locked,
					   const ClientKey *b, bool *b_locked)
{
	uint32		ha = client_hash(a);
	uint32		hb = client_hash(b);
	bool		wait = !frame->locks.asked;

	frame->locks.asked = true;
	*a_locked = *b_locked = true;
	if (a->kind == CLIENT_NONE)
		*b_locked = b->kind == CLIENT_NONE || take_bucket(frame, at, SPACE_CLIENT, hb, wait);
	else if (b->kind == CLIENT_NONE)
		*a_locked = take_bucket(frame, at, SPACE_CLIENT, ha, wait);
	else if (ha % LOCK_BUCKETS <= hb % LOCK_BUCKETS)
	{
		*a_locked = take_bucket(frame, at, SPACE_CLIENT, ha, wait);
		*b_locked = take_bucket(frame, at, SPACE_CLIENT, hb, wait && *a_locked);
	}
	else
	{
		*b_locked = take_bucket(frame, at, SPACE_CLIENT, hb, wait);
		*a_locked = take_bucket(frame, at, SPACE_CLIENT, ha, wait && *b_locked);
	}
}

bool
statement_lock_lead(StatementFrame *frame, AttachedTable *at, int64 lead_id,
					const char *tenant)
{
	return try_bucket(frame, at, SPACE_LEAD, key_hash(lead_id, KEY_LEAD, tenant));
}

static void
wait_bucket_lock(int32 workspace_key, int space, uint32 bucket)
{
	LOCKTAG		tag;

	set_tag(&tag, workspace_key, space, (int) bucket);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
}

/*
 * Take a bucket's lock through a query that Citus routes by tenant to the
 * node of the tenant's shard, in the connection that the transaction's later
 * statements on that shard use: the lock the shard's triggers take.  The
 * aggregate gives one row even for a tenant without rows.
 */
static void
lock_bucket_routed(AttachedTable *at, const char *tenant, int space, uint32 bucket)
{
	Datum		args[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	int			rc;

	if (at->lock_plan == NULL)
	{
		StringInfoData sql;
		Oid			argtypes[5] = {REGCLASSOID, INT4OID, INT4OID, INT4OID, TEXTOID};

		initStringInfo(&sql);
		appendStringInfo(&sql, "SELECT returning_crm._lock_bucket($1, $2, $3, $4)"
						 " FROM (SELECT pg_catalog.count(*) FROM %s AS t WHERE true",
						 at->qualified_name);
		append_tenant_param(&sql, at, "t", 5);
		appendStringInfoString(&sql, ") AS s");
		at->lock_plan = keep_table_plan(at, sql.data, 5, argtypes);
		pfree(sql.data);
	}
	args[0] = ObjectIdGetDatum(at->relid);
	args[1] = Int32GetDatum(at->workspace_key);
	args[2] = Int32GetDatum(space);
	args[3] = Int32GetDatum((int32) bucket);
	if (tenant != NULL)
		args[4] = CStringGetTextDatum(tenant);
	else
	{
		args[4] = (Datum) 0;
		nulls[4] = 'n';
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute_plan(at->lock_plan, args, nulls, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not take a lock of \"%s\": %s",
			 get_rel_name(at->relid), SPI_result_code_string(rc));
	SPI_finish();
}

/*
 * Outside the row triggers (inquiry routing), a lock is simply waited for:
 * the caller takes few of them, in an order of its own.  On Citus it is
 * taken where the tenant's rows live.
 */
void
lock_bucket(AttachedTable *at, const char *tenant, int space, uint32 bucket)
{
	if (at->distributed && !at->on_shard)
		lock_bucket_routed(at, tenant, space, bucket);
	else
		wait_bucket_lock(at->workspace_key, space, bucket);
}

void
lock_client(AttachedTable *at, const ClientKey *client)
{
	if (client->kind == CLIENT_NONE)
		return;
	lock_bucket(at, client->tenant, SPACE_CLIENT, client_hash(client) % LOCK_BUCKETS);
}

/*
 * returning_crm._lock_bucket(table_name, workspace_key, space, bucket): wait
 * for a bucket's lock on this node, for lock_bucket_routed().  The caller
 * must be able to write the table.
 */
PG_FUNCTION_INFO_V1(returning_lock_bucket);

Datum
returning_lock_bucket(PG_FUNCTION_ARGS)
{
	Oid			relid;
	int32		space;
	int32		bucket;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the arguments of returning_crm._lock_bucket must not be null")));
	relid = PG_GETARG_OID(0);
	space = PG_GETARG_INT32(2);
	bucket = PG_GETARG_INT32(3);
	if (space < SPACE_CLIENT || space > LOCK_SPACE_ADDRESS || bucket < 0 ||
		bucket >= (space == LOCK_SPACE_ADDRESS ? ADDRESS_BUCKETS : LOCK_BUCKETS))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid lock bucket %d of space %d", bucket, space)));
	if (pg_class_aclcheck(relid, GetUserId(), ACL_INSERT | ACL_UPDATE) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to take a lock of table %s", get_rel_name(relid)),
				 errdetail("Taking one of the extension's locks needs INSERT or UPDATE on the table.")));
	wait_bucket_lock(PG_GETARG_INT32(1), space, (uint32) bucket);
	PG_RETURN_VOID();
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
 * Does the backend pid wait, directly or through a chain of waiting
 * backends, for this one?  PostgreSQL's own list of blockers tells; the
 * chain is followed through at most CHAIN_MAX backends.
 */
#define CHAIN_MAX	16

static bool
waits_for_us(int pid)
{
	int			chain[CHAIN_MAX];
	int			n = 0;

	chain[n++] = pid;
	for (int next = 0; next < n; next++)
	{
		ArrayType  *blockers;
		Datum	   *pids;
		int			npids;

		blockers = DatumGetArrayTypeP(DirectFunctionCall1(pg_blocking_pids,
														  Int32GetDatum(chain[next])));
		deconstruct_array(blockers, INT4OID, 4, true, TYPALIGN_INT, &pids, NULL, &npids);
		for (int i = 0; i < npids; i++)
		{
			int			blocker = DatumGetInt32(pids[i]);
			bool		seen = false;

			if (blocker == MyProcPid)
				return true;
			for (int j = 0; j < n; j++)
				seen |= chain[j] == blocker;
			if (!seen && n < CHAIN_MAX)
				chain[n++] = blocker;
		}
	}
	return false;
}

/*
 * Is a holder of the lock waiting, in a rewrite, for this backend?  A
 * holder is waiting in a rewrite when it holds its rewriting tag.
 */
static bool
holder_waits_for_us(const LOCKTAG *tag)
{
	VirtualTransactionId *holders = GetLockConflicts(tag, ExclusiveLock, NULL);

	for (; VirtualTransactionIdIsValid(*holders); holders++)
	{
		LOCKTAG		rewriting;
		PGPROC	   *proc;

		set_rewriting_tag(&rewriting, holders->backendId, holders->localTransactionId);
		if (LockAcquire(&rewriting, ExclusiveLock, false, true) != LOCKACQUIRE_NOT_AVAIL)
		{
			LockRelease(&rewriting, ExclusiveLock, false);
			continue;
		}
		proc = BackendIdGetProc(holders->backendId);
		if (proc != NULL && waits_for_us(proc->pid))
			return true;
	}
	return false;
}

/*
 * Run work(arg) in a subtransaction in which lock waits give up after
 * timeout: returns true when it ran to its end (the subtransaction is kept,
 * and what it locked passes to the transaction), false when a lock wait
 * gave up (the subtransaction is rolled back).  Other errors are thrown.
 */
bool
locks_within(const char *timeout, void (*work) (void *arg), void *arg)
{
	MemoryContext context = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool done = true;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(context);
	PG_TRY();
	{
		int			level = NewGUCNestLevel();

		(void) set_config_option("lock_timeout", timeout, PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
		work(arg);

		/*
		 * A timeout that fired as the lock was granted is still pending: it
		 * would cancel whatever the transaction runs next.  Take it here,
		 * where it means that the wait gave up.
		 */
		CHECK_FOR_INTERRUPTS();
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
		done = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(context);
	CurrentResourceOwner = owner;
	return done;
}

static void
acquire_bucket(void *tag)
{
	(void) LockAcquire((const LOCKTAG *) tag, ExclusiveLock, false, false);
}

/*
 * A lock taken in a subtransaction belongs, once that ends, to the
 * resource owner of the (sub)transaction; make it the current owner's, like
 * a lock taken without waiting, so that settling can give it back.
 */
static void
own_lock(const LOCKTAG *tag)
{
	ResourceOwner owner = CurrentResourceOwner;

	if (owner == CurTransactionResourceOwner)
		return;
	(void) LockAcquire(tag, ExclusiveLock, false, true);
	CurrentResourceOwner = CurTransactionResourceOwner;
	LockRelease(tag, ExclusiveLock, false);
	CurrentResourceOwner = owner;
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
		/* a slice of the wait, which can end without the lock */
		if (locks_within(LOCK_WAIT_SLICE, acquire_bucket, (void *) tag))
		{
			own_lock(tag);
			return true;
		}
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
