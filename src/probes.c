/*-------------------------------------------------------------------------
 *
 * probes.c
 *	  The look-ups of the row triggers, straight through an index.
 *
 * A bulk insert asks, once per client, for the client's first won order
 * (and, when it has none, whether it has orders at all), and, for orders
 * that are not repeat and came from a lead, for the lead's state.  Through
 * SPI each look-up would start and end an executor; here it is one index
 * scan.  The partial index on won orders that attach creates holds, in
 * (tenant, client, ordered_by, id) order, the won orders that are not
 * repeat: the first won order of each client (and, inside a statement that
 * moved a client's first won order, a few more, which the statement
 * trigger at its end turns repeat).  Its first visible entry for a client
 * is the client's first won order.  Whether a lead is a repeat lead is
 * one look-up in the partial index of repeat leads' ids that attach
 * creates on the leads table: a lead that is not there is not repeat, and
 * one that is there counts when the visibility map says its page is
 * visible to all, so that the lead's row is read only on a recently
 * changed page.  The indexes are found once per attached table; when one
 * is missing (dropped, or left from another mapping), the callers fall back to the leads
 * table's unique index on its id, or to SPI.
 *
 * Like an SPI query in a trigger, a look-up sees the rows the statement
 * wrote so far and what other transactions committed up to now: it makes
 * the statement's own rows visible and takes a new snapshot.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/nbtree.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/visibilitymap.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"

#include "config.h"
#include "indexes.h"
#include "positions.h"
#include "probes.h"
#include "returning.h"
#include "statements.h"

/* The equality procedure of an index column's operator family */
static RegProcedure
index_column_eq(Relation index, int column)
{
	Oid			opfamily = index->rd_opfamily[column];
	Oid			type = index->rd_opcintype[column];
	Oid			op = get_opfamily_member(opfamily, type, type, BTEqualStrategyNumber);

	return OidIsValid(op) ? get_opcode(op) : InvalidOid;
}

/*
 * A key of an integer column (or of a domain over an integer type), as the
 * column's own type, which its length tells
 */
static Datum
integer_datum(int16 typlen, int64 value)
{
	switch (typlen)
	{
		case 2:
			return Int16GetDatum((int16) value);
		case 4:
			return Int32GetDatum((int32) value);
		default:
			return Int64GetDatum(value);
	}
}

/*
 * Open a btree index of a table for look-ups by its first keys; NULL when
 * it is not usable.
 */
static Relation
open_lookup_index(Oid indexoid, Oid relid)
{
	Relation	index;

	if (!OidIsValid(indexoid))
		return NULL;
	index = index_open(indexoid, AccessShareLock);
	if (index->rd_index->indrelid != relid || index->rd_rel->relam != BTREE_AM_OID ||
		index->rd_rel->relkind != RELKIND_INDEX || !index->rd_index->indisvalid)
	{
		index_close(index, AccessShareLock);
		return NULL;
	}
	return index;
}

/* attach's partial indexes on the won orders of company and contact clients */
static void
resolve_won_indexes(AttachedTable *at, int client_col)
{
	for (int k = 0; k < 2; k++)
	{
		Relation	index;

		at->won_index[k] = InvalidOid;
		index = open_lookup_index(find_rule_index(at, k == 0 ? INDEX_WON_COMPANY :
												  INDEX_WON_CONTACT),
								  at->relid);
		if (index == NULL)
			continue;
		at->won_index[k] = RelationGetRelid(index);
		at->won_client_eq[k] = index_column_eq(index, client_col);
		if (client_col == 1)
			at->won_tenant_eq[k] = index_column_eq(index, 0);
		if (!OidIsValid(at->won_client_eq[k]))
			at->won_index[k] = InvalidOid;
		index_close(index, AccessShareLock);
	}
}

/*
 * The indexes that find a client's orders: attach's own partial index on
 * the client column, or any complete btree index that starts with it (after
 * the tenant, when there is one).
 */
static void
resolve_client_indexes(AttachedTable *at, int client_col)
{
	Relation	heap = table_open(at->relid, AccessShareLock);
	List	   *indexes = RelationGetIndexList(heap);
	ListCell   *lc;

	for (int k = 0; k < 2; k++)
	{
		const MappedColumn *col = k == 0 ? &at->company : &at->contact;
		Oid			own = find_rule_index(at, k == 0 ? INDEX_COMPANY : INDEX_CONTACT);

		at->client_index[k] = InvalidOid;
		if (col->attnum == InvalidAttrNumber)
			continue;
		foreach(lc, indexes)
		{
			Relation	index = index_open(lfirst_oid(lc), AccessShareLock);
			Form_pg_index form = index->rd_index;

			if (form->indisvalid && index->rd_rel->relam == BTREE_AM_OID &&
				index->rd_rel->relkind == RELKIND_INDEX &&
				form->indnkeyatts > client_col &&
				form->indkey.values[client_col] == col->attnum &&
				(client_col == 0 || form->indkey.values[0] == at->tenant.attnum) &&
				(RelationGetIndexPredicate(index) == NIL ||
				 RelationGetRelid(index) == own))
			{
				at->client_index[k] = RelationGetRelid(index);
				at->client_eq[k] = index_column_eq(index, client_col);
				if (client_col == 1)
					at->client_tenant_eq[k] = index_column_eq(index, 0);
				if (!OidIsValid(at->client_eq[k]))
					at->client_index[k] = InvalidOid;
			}
			index_close(index, AccessShareLock);
			if (OidIsValid(at->client_index[k]))
				break;
		}
	}
	list_free(indexes);
	table_close(heap, AccessShareLock);
}

/*
 * Of an orders table's leads table: its unique index on the id, and
 * attach's index of the repeat leads' ids.
 */
static void
resolve_leads_indexes(AttachedTable *at)
{
	at->leads_index = InvalidOid;
	at->leads_repeat_index = InvalidOid;
	if (OidIsValid(at->leads_relid))
	{
		Relation	leads = table_open(at->leads_relid, AccessShareLock);
		List	   *indexes = RelationGetIndexList(leads);
		ListCell   *lc;
		AttachedTable *leads_at = partner_table(at);
		Relation	index;

		foreach(lc, indexes)
		{
			Form_pg_index form;

			index = index_open(lfirst_oid(lc), AccessShareLock);
			form = index->rd_index;
			if (form->indisunique && form->indisvalid && index->rd_rel->relam == BTREE_AM_OID &&
				index->rd_rel->relkind == RELKIND_INDEX &&
				form->indnkeyatts == 1 && form->indkey.values[0] == at->leads_id.attnum &&
				RelationGetIndexPredicate(index) == NIL)
			{
				at->leads_index = RelationGetRelid(index);
				at->leads_id_eq = index_column_eq(index, 0);
				if (!OidIsValid(at->leads_id_eq))
					at->leads_index = InvalidOid;
			}
			index_close(index, AccessShareLock);
			if (OidIsValid(at->leads_index))
				break;
		}
		list_free(indexes);
		table_close(leads, AccessShareLock);

		/* The ids of repeat leads; with tenants a lead's row tells its tenant */
		index = at->leads_tenant.attnum != InvalidAttrNumber ? NULL :
			open_lookup_index(find_rule_index(leads_at, INDEX_REPEAT_LEADS),
							  at->leads_relid);
		if (index != NULL)
		{
			if (index->rd_index->indnkeyatts >= 1 &&
				index->rd_index->indkey.values[0] == at->leads_id.attnum)
			{
				at->leads_repeat_index = RelationGetRelid(index);
				at->leads_repeat_eq = index_column_eq(index, 0);
				if (!OidIsValid(at->leads_repeat_eq))
					at->leads_repeat_index = InvalidOid;
			}
			index_close(index, AccessShareLock);
		}
	}
}

/*
 * Find the indexes of the look-ups: attach's partial indexes on won orders
 * and of repeat leads, by their comments (indexes.c), an index on each client
 * column, and the leads table's unique index on its id.
 */
static void
resolve_indexes(AttachedTable *at)
{
	int			client_col = at->tenant.attnum != InvalidAttrNumber ? 1 : 0;

	/*
	 * A partitioned table's indexes have no storage of their own, and a
	 * client's rows span its partitions: its look-ups are SQL, which the
	 * planner runs over every partition's index.
	 */
	if (at->relid != at->attached_relid ||
		get_rel_relkind(at->relid) == RELKIND_PARTITIONED_TABLE)
	{
		for (int k = 0; k < 2; k++)
		{
			at->won_index[k] = InvalidOid;
			at->client_index[k] = InvalidOid;
		}
		at->leads_index = InvalidOid;
		at->leads_repeat_index = InvalidOid;
		at->indexes_resolved = true;
		return;
	}

	resolve_won_indexes(at, client_col);
	resolve_client_indexes(at, client_col);
	resolve_leads_indexes(at);
	at->indexes_resolved = true;
}

/*
 * A snapshot that sees the statement's rows so far and every commit (the
 * latest one under REPEATABLE READ: history_snapshot)
 */
static Snapshot
fresh_snapshot(void)
{
	Snapshot	snapshot;

	CommandCounterIncrement();
	snapshot = history_snapshot();
	return RegisterSnapshot(snapshot != InvalidSnapshot ? snapshot : GetTransactionSnapshot());
}

/*
 * The index scans of one statement's look-ups.  Each is opened on the
 * statement's first look-up of its kind and rescanned for the next ones,
 * so that a bulk insert opens the relations and starts a scan a handful of
 * times instead of once per row.  Between look-ups a scan holds its
 * relations and at most a pin of the visibility map page it consulted last,
 * never a pin of an index or table page; probes_close() closes them at the
 * end of the statement.
 */
typedef enum ProbeIndex
{
	PROBE_WON_COMPANY,
	PROBE_WON_CONTACT,
	PROBE_CLIENT_COMPANY,
	PROBE_CLIENT_CONTACT,
	PROBE_LEAD,
	PROBE_LEAD_REPEAT,
	PROBE_INDEXES
} ProbeIndex;

typedef struct ProbeScan
{
	Relation	heap;
	Relation	index;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	MemoryContext context;		/* the statement's, for what the scan keeps */
	Buffer		vmbuffer;		/* visibility map page, kept pinned */
	Snapshot	snapshot;		/* of the look-up in progress */
} ProbeScan;

struct StatementProbes
{
	ResourceOwner owner;		/* that holds the relations */
	ProbeScan	scans[PROBE_INDEXES];
};

static void
close_scan(ProbeScan *ps)
{
	if (BufferIsValid(ps->vmbuffer))
		ReleaseBuffer(ps->vmbuffer);
	ps->vmbuffer = InvalidBuffer;
	ExecDropSingleTupleTableSlot(ps->slot);
	index_endscan(ps->scan);
	index_close(ps->index, AccessShareLock);
	table_close(ps->heap, AccessShareLock);
	ps->scan = NULL;
}

/* Close the scans of a statement; at its end, not while aborting */
void
probes_close(StatementFrame *frame)
{
	StatementProbes *probes = frame->probes;
	ResourceOwner saved = CurrentResourceOwner;

	if (probes == NULL)
		return;
	CurrentResourceOwner = probes->owner;
	PG_TRY();
	{
		for (int i = 0; i < PROBE_INDEXES; i++)
			if (probes->scans[i].scan != NULL)
				close_scan(&probes->scans[i]);
	}
	PG_FINALLY();
	{
		CurrentResourceOwner = saved;
	}
	PG_END_TRY();
	frame->probes = NULL;
}

/*
 * Forget the scans of a statement when the resource owner that holds them
 * is released: the owner closes what they hold.  That happens only when
 * the statement trigger at the end of a statement did not run: it was
 * disabled, or the statement stopped early (SPI stops an INSERT ...
 * RETURNING after the number of rows it was asked for).
 */
void
probes_forget(StatementFrame *frame, ResourceOwner owner)
{
	if (frame->probes != NULL && frame->probes->owner == owner)
		frame->probes = NULL;
}

/*
 * Start a look-up through an index: the statement's scan of that index,
 * rescanned with the given keys under a fresh snapshot.
 */
static ProbeScan *
probe_begin(StatementFrame *frame, ProbeIndex which, Oid relid, Oid indexoid,
			ScanKey keys, int nkeys)
{
	StatementProbes *probes = frame->probes;
	ProbeScan  *ps;
	MemoryContext old;

	if (probes == NULL)
	{
		probes = MemoryContextAllocZero(frame->context, sizeof(StatementProbes));
		probes->owner = CurrentResourceOwner;
		frame->probes = probes;
	}
	ps = &probes->scans[which];

	/* An index found again after an invalidation may be another one */
	if (ps->scan != NULL && RelationGetRelid(ps->index) != indexoid)
	{
		ResourceOwner saved = CurrentResourceOwner;

		CurrentResourceOwner = probes->owner;
		close_scan(ps);
		CurrentResourceOwner = saved;
	}

	ps->snapshot = fresh_snapshot();
	if (ps->scan == NULL)
	{
		old = MemoryContextSwitchTo(frame->context);
		ps->heap = table_open(relid, AccessShareLock);
		ps->index = index_open(indexoid, AccessShareLock);
		ps->scan = index_beginscan(ps->heap, ps->index, ps->snapshot, nkeys, 0);
		/* the won orders' positions are read off their entries */
		ps->scan->xs_want_itup = which == PROBE_WON_COMPANY || which == PROBE_WON_CONTACT;
		ps->slot = table_slot_create(ps->heap, NULL);
		ps->context = frame->context;
		ps->vmbuffer = InvalidBuffer;
		MemoryContextSwitchTo(old);
	}
	else
		ps->scan->xs_snapshot = ps->snapshot;
	old = MemoryContextSwitchTo(ps->context);
	index_rescan(ps->scan, keys, nkeys, NULL, 0);
	MemoryContextSwitchTo(old);
	return ps;
}

/*
 * The next entry of a look-up, its row in the slot.  The index AM may keep
 * memory it allocates now until the scan ends (btree's list of dead
 * entries), so it runs in the statement's memory, not the row's.
 */
static bool
probe_next(ProbeScan *ps)
{
	MemoryContext old = MemoryContextSwitchTo(ps->context);
	bool		found = index_getnext_slot(ps->scan, ForwardScanDirection, ps->slot);

	MemoryContextSwitchTo(old);
	return found;
}

/* The next entry of a look-up that reads rows only when it must */
static ItemPointer
probe_next_tid(ProbeScan *ps)
{
	MemoryContext old = MemoryContextSwitchTo(ps->context);
	ItemPointer tid = index_getnext_tid(ps->scan, ForwardScanDirection);

	MemoryContextSwitchTo(old);
	return tid;
}

/* Is the row of the look-up's current entry visible to its snapshot? */
static bool
probe_fetch(ProbeScan *ps)
{
	MemoryContext old = MemoryContextSwitchTo(ps->context);
	bool		found = index_fetch_heap(ps->scan, ps->slot);

	MemoryContextSwitchTo(old);
	return found;
}

/* End a look-up: give back its buffer pins and its snapshot */
static void
probe_end(ProbeScan *ps)
{
	ExecClearTuple(ps->slot);
	table_index_fetch_reset(ps->scan->xs_heapfetch);
	UnregisterSnapshot(ps->snapshot);
	ps->snapshot = InvalidSnapshot;
}

/*
 * Is the row of any entry of the look-up visible?  As in an index-only
 * scan, a row is read only when the visibility map does not say that all
 * see its page.  Ends the look-up.
 */
static bool
probe_any_visible(ProbeScan *ps)
{
	ItemPointer tid;
	bool		found = false;

	while ((tid = probe_next_tid(ps)) != NULL)
	{
		if (VM_ALL_VISIBLE(ps->heap, ItemPointerGetBlockNumber(tid), &ps->vmbuffer) ||
			probe_fetch(ps))
		{
			found = true;
			break;
		}
	}
	probe_end(ps);
	return found;
}

/*
 * The scan keys of a client in an index that starts with (tenant, client)
 * or (client): returns their number, or 0 when they cannot be made.
 */
static int
client_keys(AttachedTable *at, const ClientKey *client, RegProcedure tenant_eq,
			RegProcedure client_eq, ScanKey keys)
{
	const MappedColumn *col = client->kind == CLIENT_CONTACT ? &at->contact : &at->company;
	int			nkeys = 0;

	if (at->tenant.attnum != InvalidAttrNumber)
	{
		if (client->tenant == NULL || !OidIsValid(tenant_eq))
			return 0;
		ScanKeyInit(&keys[nkeys++], 1, BTEqualStrategyNumber, tenant_eq,
					OidInputFunctionCall(at->tenant_input, client->tenant,
										 at->tenant_ioparam, -1));
	}
	ScanKeyInit(&keys[nkeys], nkeys + 1, BTEqualStrategyNumber, client_eq,
				integer_datum(col->typlen, client->id));
	return nkeys + 1;
}

/*
 * Start a scan of a client's won orders (won_only) or of all its orders.
 * Returns NULL when there is no index to do it with.
 */
static ProbeScan *
begin_client_probe(StatementFrame *frame, AttachedTable *at, const ClientKey *client,
				   bool won_only)
{
	int			k = client->kind == CLIENT_CONTACT ? 1 : 0;
	Oid			index;
	ScanKeyData keys[2];
	int			nkeys;

	if (!at->indexes_resolved)
		resolve_indexes(at);
	index = won_only ? at->won_index[k] : at->client_index[k];
	if (!OidIsValid(index))
		return NULL;
	nkeys = client_keys(at, client,
						won_only ? at->won_tenant_eq[k] : at->client_tenant_eq[k],
						won_only ? at->won_client_eq[k] : at->client_eq[k], keys);
	if (nkeys == 0)
		return NULL;
	if (won_only)
		return probe_begin(frame, k == 0 ? PROBE_WON_COMPANY : PROBE_WON_CONTACT,
						   at->relid, index, keys, nkeys);
	return probe_begin(frame, k == 0 ? PROBE_CLIENT_COMPANY : PROBE_CLIENT_CONTACT,
					   at->relid, index, keys, nkeys);
}

/*
 * The position of the current entry of a scan of a won index, read off the
 * entry: its keys are (tenant, client, ordered_by, id), without the tenant
 * or ordered_by when the table has none (index_definition).  The value
 * points into the scan's copy of the index page.  Returns false, and the
 * caller reads the row, when the index stores ordered_by as another type
 * than the column's (an operator class with a storage type of its own).
 */
static bool
position_of_entry(AttachedTable *at, IndexScanDesc scan, Position *pos)
{
	int			attno = at->tenant.attnum != InvalidAttrNumber ? 3 : 2;
	bool		isnull;

	pos->value = (Datum) 0;
	pos->isnull = true;
	if (at->ordered_by.attnum != InvalidAttrNumber)
	{
		if (TupleDescAttr(scan->xs_itupdesc, attno - 1)->atttypid != at->ordered_by.typid)
			return false;
		pos->value = index_getattr(scan->xs_itup, attno, scan->xs_itupdesc, &pos->isnull);
		attno++;
	}
	pos->id = integer_of_datum(index_getattr(scan->xs_itup, attno, scan->xs_itupdesc, &isnull),
							   at->id.typlen);
	return true;
}

/*
 * The first won order of a client, leaving out the order self_id when
 * exclude_self.  Returns false when there is no index to do it with; else
 * sets *found and copies the position into the target memory context.  As
 * in an index-only scan, the order's row is read only when the visibility
 * map does not say that all see its page: a client's first won order is
 * mostly an old one.  On such a page the entry's keys are the row's, since
 * an update that changes them (or the index's predicate) is never HOT.
 */
bool
probe_first_won_direct(StatementFrame *frame, AttachedTable *at,
					   const ClientKey *client, bool exclude_self, int64 self_id,
					   MemoryContext target, bool *found, Position *first_won)
{
	ProbeScan  *ps = begin_client_probe(frame, at, client, true);
	ItemPointer tid;

	if (ps == NULL)
		return false;
	*found = false;
	while ((tid = probe_next_tid(ps)) != NULL)
	{
		Position	pos;
		MemoryContext old;

		if (!VM_ALL_VISIBLE(ps->heap, ItemPointerGetBlockNumber(tid), &ps->vmbuffer) ||
			!position_of_entry(at, ps->scan, &pos))
		{
			Row			row;

			if (!probe_fetch(ps))
				continue;
			row = row_of_slot(ps->slot);
			pos = position_of(at, &row);
		}
		if (exclude_self && pos.id == self_id)
			continue;
		old = MemoryContextSwitchTo(target);
		*first_won = position_copy(at, &pos);
		MemoryContextSwitchTo(old);
		*found = true;
		break;
	}
	probe_end(ps);
	return true;
}

/*
 * Is the lead a repeat lead?  Returns false when there is no index to find
 * it with; else sets *is_repeat.
 */
bool
probe_lead_direct(StatementFrame *frame, AttachedTable *at, int64 lead_id,
				  const char *tenant, bool *is_repeat)
{
	ScanKeyData key;
	ProbeScan  *ps;

	if (!at->indexes_resolved)
		resolve_indexes(at);

	if (OidIsValid(at->leads_repeat_index))
	{
		ScanKeyInit(&key, 1, BTEqualStrategyNumber, at->leads_repeat_eq,
					integer_datum(at->leads_id.typlen, lead_id));
		ps = probe_begin(frame, PROBE_LEAD_REPEAT, at->leads_relid,
						 at->leads_repeat_index, &key, 1);
		*is_repeat = probe_any_visible(ps);
		return true;
	}

	if (!OidIsValid(at->leads_index))
		return false;
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, at->leads_id_eq,
				integer_datum(at->leads_id.typlen, lead_id));
	ps = probe_begin(frame, PROBE_LEAD, at->leads_relid, at->leads_index, &key, 1);
	*is_repeat = false;
	while (probe_next(ps))
	{
		bool		isnull;
		Datum		value;

		/* A lead of another tenant is not this order's lead */
		if (at->leads_tenant.attnum != InvalidAttrNumber && tenant != NULL)
		{
			value = slot_getattr(ps->slot, at->leads_tenant.attnum, &isnull);
			if (isnull || strcmp(OutputFunctionCall(&at->leads_tenant_out, value), tenant) != 0)
				continue;
		}
		value = slot_getattr(ps->slot, at->leads_state.attnum, &isnull);
		*is_repeat = !isnull && text_equals(value, state_name(STATE_REPEAT));
		break;
	}
	probe_end(ps);
	return true;
}

/*
 * Has the table any row of the client's column value?  Rows of the other
 * kind of client count too (a contact's order that belongs to a company),
 * and a row on a page the visibility map marks all-visible counts without
 * being read: the answer may be yes where a closer look would say no, never
 * the other way round.  Returns false when there is no index to find the
 * client's orders with; else sets *found.
 */
bool
probe_client_has_orders_direct(StatementFrame *frame, AttachedTable *at,
							   const ClientKey *client, bool *found)
{
	ProbeScan  *ps = begin_client_probe(frame, at, client, false);

	if (ps == NULL)
		return false;
	*found = probe_any_visible(ps);
	return true;
}

/*
 * Has the client an order positioned after pos?  Returns false when there
 * is no index to find the client's orders with; else sets *found.
 */
bool
probe_order_after_direct(StatementFrame *frame, AttachedTable *at,
						 const ClientKey *client, const Position *pos, bool *found)
{
	ProbeScan  *ps = begin_client_probe(frame, at, client, false);

	if (ps == NULL)
		return false;
	*found = false;
	while (probe_next(ps))
	{
		Row			row = row_of_slot(ps->slot);
		ClientKey	other = client_of(at, &row);
		Position	other_pos;

		/* a contact's order that belongs to a company is the company's */
		if (other.kind != client->kind)
			continue;
		other_pos = position_of(at, &row);
		if (position_cmp(at, &other_pos, pos) > 0)
		{
			*found = true;
			break;
		}
	}
	probe_end(ps);
	return true;
}
