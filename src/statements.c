/*-------------------------------------------------------------------------
 *
 * statements.c
 *	  The memory of one statement on an attached table.
 *
 * A BEFORE STATEMENT trigger opens a frame, the row triggers fill it, and
 * the AFTER STATEMENT trigger acts on it and closes it.  Frames nest, for
 * statements run by triggers of other statements.  A frame lives in the
 * memory of the (sub)transaction that opened it, so an error that aborts
 * the (sub)transaction frees it; the callbacks below drop such frames from
 * the stack.
 *
 * The cache of clients is bounded: beyond CLIENT_CACHE_SIZE entries it is
 * emptied and refilled from the table, which sees the statement's earlier
 * rows.  The sets of dirty clients and changed leads are not bounded; they
 * hold only what must be recomputed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "commands/trigger.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "catalog/pg_class.h"
#include "utils/rel.h"
#include "utils/memutils.h"

#include "config.h"
#include "positions.h"
#include "probes.h"
#include "returning.h"
#include "security.h"
#include "statements.h"
#include "triggers.h"

#define CLIENT_CACHE_SIZE	100000
#define CLIENT_CACHE_FIRST	16		/* its first size: most statements write a
									 * row or a few; it doubles as it fills */

void		statements_init(void);

static StatementFrame *current_frame = NULL;

static inline uint32
client_hash(const ClientKey *k)
{
	uint32		h = murmurhash32((uint32) k->id ^ (uint32) (k->id >> 32));

	h = hash_combine(h, (uint32) k->kind);
	if (k->tenant)
		h = hash_combine(h, hash_bytes((const unsigned char *) k->tenant,
									   strlen(k->tenant)));
	return h;
}

static uint32
client_key_hash(const void *key, Size keysize)
{
	return client_hash(key);
}

/*
 * The statement's cache of clients: simplehash, which keeps the entries in
 * one array, so that a look-up of a client among many costs one or two
 * cache misses.
 */
#define SH_PREFIX		clientcache
#define SH_ELEMENT_TYPE ClientEntry
#define SH_KEY_TYPE		ClientKey
#define SH_KEY			key
#define SH_HASH_KEY(tb, k) client_hash(&(k))
#define SH_EQUAL(tb, a, b) client_equal(&(a), &(b))
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_STORE_HASH
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

static int
client_key_match(const void *a, const void *b, Size keysize)
{
	return client_equal(a, b) ? 0 : 1;
}

static uint32
lead_key_hash(const void *key, Size keysize)
{
	const LeadKey *k = key;
	uint32		h = hash_bytes((const unsigned char *) &k->id, sizeof(k->id));

	if (k->tenant)
		h = hash_combine(h, hash_bytes((const unsigned char *) k->tenant,
									   strlen(k->tenant)));
	return h;
}

static int
lead_key_match(const void *a, const void *b, Size keysize)
{
	const LeadKey *x = a;
	const LeadKey *y = b;

	if (x->id != y->id)
		return 1;
	if (x->tenant == NULL || y->tenant == NULL)
		return x->tenant == y->tenant ? 0 : 1;
	return strcmp(x->tenant, y->tenant);
}

static HTAB *
make_set(const char *name, MemoryContext cxt, Size keysize, Size entrysize,
		 HashValueFunc hash, HashCompareFunc match)
{
	HASHCTL		ctl;

	ctl.keysize = keysize;
	ctl.entrysize = entrysize;
	ctl.hash = hash;
	ctl.match = match;
	ctl.hcxt = cxt;
	return hash_create(name, 256, &ctl,
					   HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
}

/*
 * The rows the table's heap received so far in the current (sub)transaction,
 * as the cumulative statistics count them, and at which level; -1 when they
 * are not counted (track_counts off).
 */
static int64
rows_inserted(Relation rel, void **level)
{
	PgStat_TableStatus *stat = rel->pgstat_info;

	*level = NULL;
	if (stat == NULL)
		return rel->pgstat_enabled ? 0 : -1;
	*level = stat->trans;
	return stat->trans ? stat->trans->tuples_inserted : 0;
}

/*
 * Did the heap receive exactly the rows the row trigger passed on?  An
 * INSERT ... ON CONFLICT runs the row trigger on rows it then does not
 * insert (DO NOTHING, DO UPDATE), as does a BEFORE trigger that sorts after
 * this extension's and drops the row; what the statement's rows told the
 * client cache is then not all true.  The rows passed on are counted by
 * the orders' row trigger.  When the counts cannot be followed (a nested
 * statement ran on the table, the statistics do not count, or their
 * subtransaction level is not the statement's), the answer is no.
 */
bool
statement_wrote_all_rows(StatementFrame *frame, Relation rel)
{
	void	   *level;
	int64		now = rows_inserted(rel, &level);

	if (frame->nested || frame->inserts_before < 0 || now < 0)
		return false;
	if (level == frame->insert_level)
		return now - frame->inserts_before == frame->rows_passed;
	/* the statement's first insert opened the counts of a subtransaction */
	if (level != NULL &&
		((PgStat_TableXactStatus *) level)->upper == frame->insert_level)
		return now == frame->rows_passed;
	return false;
}

StatementFrame *
statement_begin(Relation rel)
{
	/* a statement on a partition is one on the attached table */
	Oid			relid = rel->rd_rel->relispartition ?
		get_attached_table(RelationGetRelid(rel), ATTACH_ANY)->attached_relid :
		RelationGetRelid(rel);
	MemoryContext cxt = AllocSetContextCreate(CurTransactionContext,
											  "returning statement",
											  ALLOCSET_DEFAULT_SIZES);
	StatementFrame *frame = MemoryContextAllocZero(cxt, sizeof(StatementFrame));

	frame->relid = relid;
	frame->nest_level = GetCurrentTransactionNestLevel();
	frame->context = cxt;
	frame->outer = current_frame;
	current_frame = frame;
	/* the statements this one runs inside do not see its rows go by */
	for (StatementFrame *f = frame->outer; f != NULL; f = f->outer)
		if (f->relid == relid)
			f->others_wrote = f->nested = true;
	/* the rows of a partitioned table are counted by partition: not followed */
	if (rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE || rel->rd_rel->relispartition)
		frame->inserts_before = -1;
	else
		frame->inserts_before = rows_inserted(rel, &frame->insert_level);
	return frame;
}

/* The innermost open frame of a table, or NULL */
StatementFrame *
statement_current(Oid relid)
{
	for (StatementFrame *f = current_frame; f != NULL; f = f->outer)
		if (f->relid == relid)
			return f;
	return NULL;
}

/*
 * Close a frame.  clean is false while an error unwinds: the (sub)transaction's
 * abort then releases what the frame's scans hold.
 */
void
statement_end(StatementFrame *frame, bool clean)
{
	StatementFrame **link = &current_frame;

	if (clean)
		probes_close(frame);

	while (*link != NULL && *link != frame)
		link = &(*link)->outer;
	if (*link == frame)
		*link = frame->outer;
	MemoryContextDelete(frame->context);
}

/*
 * The frame of the statement a row trigger fires in, and the attached table
 * it writes (*table): looked up on the statement's first row, and again
 * only when an invalidation marked the description stale.
 */
StatementFrame *
statement_of_row(TriggerData *trigdata, AttachKind kind, AttachedTable **table)
{
	Relation	rel = trigdata->tg_relation;
	Oid			relid = RelationGetRelid(rel);
	StatementFrame *frame = statement_current(relid);
	AttachedTable *at;

	/* the statement's own table: its description is kept in the frame */
	if (frame != NULL && frame->table != NULL && frame->table->valid &&
		frame->table->kind == kind)
	{
		*table = frame->table;
		return frame;
	}
	/* a partition's rows are read with its own description (its columns) */
	at = trigger_table(trigdata, kind);
	if (at == NULL)
	{
		*table = NULL;
		return NULL;
	}
	if (frame == NULL)
		frame = statement_current(at->attached_relid);
	if (frame == NULL)
	{
		/* a disabled statement trigger is reported by name */
		check_trigger_set(rel, 0);
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("statement trigger of attached table \"%s\" did not run",
						RelationGetRelationName(rel)),
				 errhint("Do not disable single triggers of an attached table; use returning_crm.detach().")));
	}
	if (at->relid == frame->relid)
		frame->table = at;
	*table = at;
	return frame;
}

/*
 * The body of the statement triggers of leads and orders: BEFORE opens the
 * statement's frame, AFTER runs on_end on it and closes it.
 */
Datum
statement_trigger(FunctionCallInfo fcinfo, const char *funcname,
				  void (*on_end) (TriggerData *trigdata, StatementFrame *frame))
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	Oid			relid;
	StatementFrame *frame;
	UserSwitch	us;

	if (!CALLED_AS_TRIGGER(fcinfo) || TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		check_trigger_call(fcinfo, funcname, false, false);
	rel = trigdata->tg_relation;
	if (returning_in_recompute(rel))
		return PointerGetDatum(NULL);
	relid = rel->rd_rel->relispartition ?
		get_attached_table(RelationGetRelid(rel), ATTACH_ANY)->attached_relid :
		RelationGetRelid(rel);

	if (TRIGGER_FIRED_BEFORE(trigdata->tg_event))
	{
		/* the table's description, from the trigger's argument on a shard */
		if (trigger_table(trigdata, ATTACH_ANY) == NULL)
			return PointerGetDatum(NULL);
		/* a statement that the other triggers would get wrong is refused */
		check_trigger_set(rel, trigdata->tg_event);
		statement_begin(rel);
		return PointerGetDatum(NULL);
	}

	frame = statement_current(relid);
	if (frame == NULL)
	{
		/* the BEFORE trigger did not run: is it disabled? */
		check_trigger_set(rel, trigdata->tg_event);
		return PointerGetDatum(NULL);
	}
	/* as the owner of the table, like the row trigger (security.c) */
	switch_to_owner(rel->rd_rel->relowner, false, &us);
	PG_TRY();
	{
		on_end(trigdata, frame);
	}
	PG_CATCH();
	{
		statement_end(frame, false);
		PG_RE_THROW();
	}
	PG_END_TRY();
	statement_end(frame, true);
	switch_back(&us);
	return PointerGetDatum(NULL);
}

static char *
frame_strdup(StatementFrame *frame, const char *s)
{
	return s ? MemoryContextStrdup(frame->context, s) : NULL;
}

/*
 * Start loading the cache line where the client's entry is likely to be:
 * the look-up that follows a little later then waits less for memory.
 */
void
statement_prefetch_client(StatementFrame *frame, const ClientKey *key)
{
#ifdef __GNUC__
	ClientCache *cache = frame->clients;

	if (cache != NULL)
		__builtin_prefetch(&cache->data[client_hash(key) & cache->sizemask]);
#endif
}

/*
 * The statement's entry for a client, made (and not filled) when missing.
 * Beyond CLIENT_CACHE_SIZE clients the cache starts empty again, with its
 * memory: what it held can be looked up again.
 */
ClientEntry *
statement_client(StatementFrame *frame, const ClientKey *key, bool *found)
{
	ClientEntry *entry;

	if (frame->clients == NULL || frame->clients->members >= CLIENT_CACHE_SIZE)
	{
		if (frame->cache_context == NULL)
			frame->cache_context = AllocSetContextCreate(frame->context,
														 "returning clients",
														 ALLOCSET_DEFAULT_SIZES);
		else
			MemoryContextReset(frame->cache_context);
		frame->clients = clientcache_create(frame->cache_context, CLIENT_CACHE_FIRST, NULL);
	}
	entry = clientcache_insert(frame->clients, *key, found);
	if (!*found)
	{
		entry->key.tenant = key->tenant ?
			MemoryContextStrdup(frame->cache_context, key->tenant) : NULL;
		entry->has_first_won = false;
		entry->statement_only = false;
		entry->pos_isnull = true;
		entry->pos_value = (Datum) 0;
		entry->pos_id = 0;
	}
	return entry;
}

/* Keep a copy of a position in a client's entry, in place of the last one */
void
statement_keep_position(StatementFrame *frame, AttachedTable *at,
						ClientEntry *entry, const Position *pos)
{
	MemoryContext old = MemoryContextSwitchTo(frame->cache_context);
	Position	copy = position_copy(at, pos);

	MemoryContextSwitchTo(old);
	if (!entry->pos_isnull && !at->ordered_by.typbyval)
		pfree(DatumGetPointer(entry->pos_value));
	entry->pos_value = copy.value;
	entry->pos_isnull = copy.isnull;
	entry->pos_id = copy.id;
}

void
statement_forget_client(StatementFrame *frame, const ClientKey *key)
{
	if (frame->clients)
		clientcache_delete(frame->clients, *key);
}

static void
add_client(StatementFrame *frame, HTAB **set, const char *name, const ClientKey *key)
{
	ClientKey  *entry;
	bool		found;

	if (key->kind == CLIENT_NONE)
		return;
	if (*set == NULL)
		*set = make_set(name, frame->context, sizeof(ClientKey), sizeof(ClientKey),
						client_key_hash, client_key_match);
	entry = hash_search(*set, key, HASH_ENTER, &found);
	if (!found)
		entry->tenant = frame_strdup(frame, key->tenant);
}

/* A client whose orders must all be recomputed at the end of the statement */
void
statement_mark_dirty(StatementFrame *frame, const ClientKey *key)
{
	add_client(frame, &frame->dirty, "returning dirty clients", key);
	add_client(frame, &frame->touched, "returning touched clients", key);
}

/* A client the statement's rows had */
void
statement_touch(StatementFrame *frame, const ClientKey *key)
{
	add_client(frame, &frame->touched, "returning touched clients", key);
}

/* Keep a client's position in a set of PromotedClient, the earliest one */
static void
add_position(StatementFrame *frame, AttachedTable *at, HTAB **set, const char *name,
			 const ClientKey *key, const Position *pos)
{
	PromotedClient *entry;
	bool		found;
	MemoryContext old;

	if (*set == NULL)
		*set = make_set(name, frame->context, sizeof(ClientKey), sizeof(PromotedClient),
						client_key_hash, client_key_match);
	entry = hash_search(*set, key, HASH_ENTER, &found);
	if (found && position_cmp(at, pos, &entry->first_won) >= 0)
		return;
	old = MemoryContextSwitchTo(frame->context);
	if (!found)
		entry->key.tenant = frame_strdup(frame, key->tenant);
	else if (!entry->first_won.isnull && !at->ordered_by.typbyval)
		pfree(DatumGetPointer(entry->first_won.value));
	entry->first_won = position_copy(at, pos);
	MemoryContextSwitchTo(old);
}

/*
 * A client whose first won order the statement moved ahead of orders already
 * there; of several such moves the earliest position counts.
 */
void
statement_mark_promoted(StatementFrame *frame, AttachedTable *at,
						const ClientKey *key, const Position *first_won)
{
	add_position(frame, at, &frame->promoted, "returning promoted clients", key, first_won);
}

/* A client whose first won order, at pos, the statement's only row took away */
void
statement_mark_demoted(StatementFrame *frame, AttachedTable *at,
					   const ClientKey *key, const Position *pos)
{
	add_position(frame, at, &frame->demoted, "returning demoted clients", key, pos);
	statement_touch(frame, key);
}

/* Will the client's orders all be recomputed at the end of the statement? */
bool
statement_is_dirty(StatementFrame *frame, const ClientKey *key)
{
	return frame->dirty != NULL &&
		hash_search(frame->dirty, key, HASH_FIND, NULL) != NULL;
}

void
statement_mark_lead(StatementFrame *frame, int64 id, const char *tenant)
{
	LeadKey		key = {id, (char *) tenant};
	LeadKey    *entry;
	bool		found;

	if (frame->leads == NULL)
		frame->leads = make_set("returning changed leads", frame->context,
								sizeof(LeadKey), sizeof(LeadKey),
								lead_key_hash, lead_key_match);
	entry = hash_search(frame->leads, &key, HASH_ENTER, &found);
	if (!found)
		entry->tenant = frame_strdup(frame, tenant);
}

/*
 * The clients of one kind in a set (dirty or touched) as arrays of ids and
 * tenants.  The arrays must have room for every client of the set; *count
 * receives how many were written.
 */
void
statement_collect_clients(HTAB *set, ClientKind kind, Datum *ids,
						  Datum *tenants, int *count)
{
	HASH_SEQ_STATUS status;
	ClientKey  *key;

	*count = 0;
	if (set == NULL)
		return;
	hash_seq_init(&status, set);
	while ((key = hash_seq_search(&status)) != NULL)
	{
		if (key->kind != kind)
			continue;
		ids[*count] = Int64GetDatum(key->id);
		tenants[*count] = key->tenant ? CStringGetTextDatum(key->tenant) : (Datum) 0;
		(*count)++;
	}
}

void
statement_collect_leads(StatementFrame *frame, Datum *ids, Datum *tenants,
						int *count)
{
	HASH_SEQ_STATUS status;
	LeadKey    *key;

	*count = 0;
	if (frame->leads == NULL)
		return;
	hash_seq_init(&status, frame->leads);
	while ((key = hash_seq_search(&status)) != NULL)
	{
		ids[*count] = Int64GetDatum(key->id);
		tenants[*count] = key->tenant ? CStringGetTextDatum(key->tenant) : (Datum) 0;
		(*count)++;
	}
}

/*
 * Frames that are still open when their (sub)transaction commits belong to
 * statements whose statement trigger at the end did not run (disabled):
 * their scans are closed before the resource owner that holds them goes.
 */
static void
close_frames_from(int nest_level)
{
	for (StatementFrame *f = current_frame; f != NULL; f = f->outer)
		if (f->nest_level >= nest_level)
			probes_close(f);
}

static void
statements_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_PRE_COMMIT || event == XACT_EVENT_PARALLEL_PRE_COMMIT ||
		event == XACT_EVENT_PRE_PREPARE)
	{
		close_frames_from(0);
		return;
	}
	/* Frames live in transaction memory, which is gone or about to be */
	current_frame = NULL;
}

static void
statements_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
							SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();

	if (event == SUBXACT_EVENT_PRE_COMMIT_SUB)
		close_frames_from(level);
	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;
	while (current_frame != NULL && current_frame->nest_level >= level)
		current_frame = current_frame->outer;
}

/* A resource owner is being released: it takes the scans it holds along */
static void
statements_release_callback(ResourceReleasePhase phase, bool isCommit,
							bool isTopLevel, void *arg)
{
	for (StatementFrame *f = current_frame; f != NULL; f = f->outer)
		probes_forget(f, CurrentResourceOwner);
}

void
statements_init(void)
{
	RegisterXactCallback(statements_xact_callback, NULL);
	RegisterSubXactCallback(statements_subxact_callback, NULL);
	RegisterResourceReleaseCallback(statements_release_callback, NULL);
}
