/*-------------------------------------------------------------------------
 *
 * locks.c
 *	  Serialising the transactions that touch one client or one lead.
 *
 * An order's state depends on the won orders of its client and on the state
 * of its lead.  Two transactions in READ COMMITTED that change these at the
 * same time would each miss the other's uncommitted rows, so every writer
 * that reads or changes a client's history first takes an exclusive lock on
 * the client, kept to the end of its transaction; the same for leads.
 *
 * A lock per client would exhaust the shared lock table when one statement
 * touches a million clients (max_locks_per_transaction), so clients are
 * hashed into a fixed number of buckets per workspace and the bucket is
 * locked: one statement holds at most LOCK_BUCKETS locks of each kind, and
 * two transactions on different clients wait for each other only when
 * their clients share a bucket.  The locks are advisory locks with a tag of
 * their own (field 4), so that they never collide with an application's
 * pg_advisory_lock() calls.  Advisory locks live on the node where the
 * trigger runs, which is the node that holds the client's rows.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/lock.h"

#include "returning.h"

#define LOCK_BUCKETS		512
#define LOCK_TAG_RETURNING	0x5245	/* "RE" */
#define LOCK_SPACE_CLIENT	1
#define LOCK_SPACE_LEAD		2

static void
lock_bucket(AttachedTable *at, int space, uint32 hash)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) at->workspace_key,
						 (uint32) (space << 16) | (hash % LOCK_BUCKETS),
						 LOCK_TAG_RETURNING);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
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

void
lock_client(AttachedTable *at, const ClientKey *client)
{
	if (client->kind == CLIENT_NONE)
		return;
	lock_bucket(at, LOCK_SPACE_CLIENT, key_hash(client->id, (char) client->kind,
												 client->tenant));
}

void
lock_lead(AttachedTable *at, int64 lead_id, const char *tenant)
{
	lock_bucket(at, LOCK_SPACE_LEAD, key_hash(lead_id, 'l', tenant));
}
