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
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/lock.h"

#include "statements.h"

#define LOCK_TAG_RETURNING	0x5245	/* "RE" */
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
	return try_bucket(frame, at, SPACE_LEAD, key_hash(lead_id, 'l', tenant));
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

void
lock_lead(AttachedTable *at, int64 lead_id, const char *tenant)
{
	LOCKTAG		tag;

	set_tag(&tag, at->workspace_key, SPACE_LEAD,
			key_hash(lead_id, 'l', tenant) % LOCK_BUCKETS);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
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
				(void) LockAcquire(&tag, ExclusiveLock, false, false);
				BIT_SET(locks->held[space], bucket);
			}

	memset(locks->missed, 0, sizeof(locks->missed));
	locks->contended = false;
	return true;
}
