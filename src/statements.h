/*-------------------------------------------------------------------------
 *
 * statements.h
 *	  What the row triggers of one statement remember until the statement
 *	  trigger at its end: the clients already looked up, the clients whose
 *	  orders must be recomputed, and the leads whose state changed.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RETURNING_STATEMENTS_H
#define RETURNING_STATEMENTS_H

#include "commands/trigger.h"
#include "utils/hsearch.h"

#include "returning.h"

/*
 * What one statement knows of one client of an orders table.  Entries live
 * in an open-addressing hash table: an entry moves when others are added or
 * removed, so a pointer to one is good only until the next such change.
 * An entry is kept small (48 bytes), because a bulk insert looks up a
 * client at random for every row and the table is larger than the caches.
 *
 * It holds one position: the client's first won order when it has one.
 * Otherwise, when the client had no orders in the table before the
 * statement (statement_only), the last position of the statement's orders
 * of the client, so that a won order can tell without a look-up whether
 * orders come after it.
 */
typedef struct ClientEntry
{
	ClientKey	key;			/* tenant allocated in the cache's context */
	uint32		hash;
	char		status;			/* used by simplehash */
	bool		has_first_won;	/* false: the client has no won order */
	bool		statement_only; /* all its orders are the statement's */
	bool		pos_isnull;		/* the position, copied into the cache's */
	Datum		pos_value;		/* context */
	int64		pos_id;
} ClientEntry;

static inline Position
client_position(const ClientEntry *entry)
{
	Position	pos;

	pos.value = entry->pos_value;
	pos.isnull = entry->pos_isnull;
	pos.id = entry->pos_id;
	return pos;
}

/*
 * A client whose first won order an inserted or updated row moved earlier,
 * ahead of orders already there: at the end of the statement every order
 * after first_won that is not repeat turns repeat, and nothing else of the
 * client changes.  The same entry holds a client whose first won order, at
 * first_won, a statement of one row took away (demoted): the orders after
 * it, up to the client's new first won order, are no longer repeat.
 */
typedef struct PromotedClient
{
	ClientKey	key;			/* tenant in the frame's memory */
	Position	first_won;		/* the earliest such order of the statement */
} PromotedClient;

/* The hash table of ClientEntry (simplehash, statements.c) */
typedef struct clientcache_hash ClientCache;

/* A lead whose state changed: its orders must be recomputed */
typedef struct LeadKey
{
	int64		id;
	char	   *tenant;
} LeadKey;

/* Number of lock buckets per workspace and kind of lock (locks.c) */
#define LOCK_BUCKETS		512

/* The kind of key of a lead, beside the clients' ClientKind (locks.c) */
#define KEY_LEAD			'l'

/* The client and lead locks one statement took, or could not take */
typedef struct StatementLocks
{
	int32		workspace_key;
	bool		asked;			/* a row trigger asked for a lock already */
	bool		contended;		/* a lock was busy: settle at the end */
	bits8		held[2][LOCK_BUCKETS / 8];
	bits8		missed[2][LOCK_BUCKETS / 8];
} StatementLocks;

/* The index scans of a statement's look-ups (probes.c) */
typedef struct StatementProbes StatementProbes;

typedef struct StatementFrame
{
	Oid			relid;
	AttachedTable *table;		/* relid's description, once looked up */
	int			nest_level;		/* transaction nesting level at the start */
	MemoryContext context;
	ClientCache *clients;		/* ClientEntry, a bounded cache */
	MemoryContext cache_context;	/* of the cache, its tenants, positions */
	HTAB	   *dirty;			/* ClientKey: recompute at the end */
	HTAB	   *touched;		/* ClientKey: every client the rows had */
	HTAB	   *promoted;		/* PromotedClient: later orders turn repeat */
	HTAB	   *demoted;		/* PromotedClient: later ones may not be */
	HTAB	   *leads;			/* LeadKey: orders to recompute at the end */
	bool		others_wrote;	/* orders were updated, deleted, or written by
								 * a nested statement: the client cache does
								 * not know all orders the statement wrote */
	bool		nested;			/* a statement on the same table ran inside */
	int64		rows_passed;	/* orders: inserted rows the row trigger passed */
	int64		rows_seen;		/* orders: rows the row trigger saw */
	void	   *insert_level;	/* the statistics' (sub)transaction level ... */
	int64		inserts_before; /* ... and its count of inserted rows, at the
								 * start; -1 when not counted */
	StatementLocks locks;
	StatementProbes *probes;	/* NULL until the first look-up */
	struct StatementFrame *outer;
} StatementFrame;

/* The transaction callbacks of the frames, registered by _PG_init() */
extern void statements_init(void);

extern StatementFrame *statement_begin(Relation rel);
extern StatementFrame *statement_current(Oid relid);
extern void statement_end(StatementFrame *frame, bool clean);
extern StatementFrame *statement_of_row(TriggerData *trigdata, AttachKind kind,
									   AttachedTable **table);
extern Datum statement_trigger(FunctionCallInfo fcinfo, const char *funcname,
							   void (*on_end) (TriggerData *trigdata, StatementFrame *frame));
extern bool statement_wrote_all_rows(StatementFrame *frame, Relation rel);
extern void statement_prefetch_client(StatementFrame *frame, const ClientKey *key);
extern ClientEntry *statement_client(StatementFrame *frame, const ClientKey *key,
									 bool *found);
extern void statement_forget_client(StatementFrame *frame, const ClientKey *key);
extern void statement_keep_position(StatementFrame *frame, AttachedTable *at,
									ClientEntry *entry, const Position *pos);
extern void statement_mark_dirty(StatementFrame *frame, const ClientKey *key);
extern void statement_touch(StatementFrame *frame, const ClientKey *key);
extern void statement_mark_promoted(StatementFrame *frame, AttachedTable *at,
									const ClientKey *key, const Position *first_won);
extern void statement_mark_demoted(StatementFrame *frame, AttachedTable *at,
								   const ClientKey *key, const Position *pos);
extern bool statement_is_dirty(StatementFrame *frame, const ClientKey *key);
extern void statement_mark_lead(StatementFrame *frame, int64 id, const char *tenant);
extern void statement_collect_clients(HTAB *set, ClientKind kind,
									  Datum *ids, Datum *tenants, int *count);
extern void statement_collect_leads(StatementFrame *frame, Datum *ids,
									Datum *tenants, int *count);

#endif							/* RETURNING_STATEMENTS_H */
