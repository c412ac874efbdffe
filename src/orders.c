/*-------------------------------------------------------------------------
 *
 * orders.c
 *	  The order rules: new, repeat or repeated inquiry.
 *
 * For an order d of client c:
 *	 1. "repeat" if c has a won order positioned before d;
 *	 2. else "repeated_inquiry" if d's lead is a lead of the workspace whose
 *		state is "repeat";
 *	 3. else "new".  An order without a client is "new".
 *
 * Only the first won order of a client matters for rule 1: every order
 * after it is repeat, every order up to it is not.  So a row trigger can
 * classify an order from one fact about its client, its first won order,
 * which it looks up once per client and statement and then keeps current
 * in memory while the statement's rows go by.  An inserted won order that
 * comes before its client's other orders only moves the first won order
 * earlier: the orders after it turn repeat, in one UPDATE at the end of the
 * statement for all such clients.  When a row moves the first won order in
 * any other way (a stage change into or out of won, a delete, a client or
 * position change), the client is marked dirty, and the statement trigger
 * at the end recomputes all orders of the dirty clients in one set-based
 * UPDATE.  Both write only the rows whose state changes.
 *
 * Before it looks at a client's orders, a row trigger locks the client
 * (locks.c), so that the facts it reads cannot change under it before the
 * transaction ends; when the lock is busy, the statement settles its locks
 * at its end and recomputes the clients it touched.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/stratnum.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "announce.h"
#include "config.h"
#include "locks.h"
#include "orders.h"
#include "positions.h"
#include "probes.h"
#include "returning.h"
#include "rewrite.h"
#include "rules.h"
#include "security.h"
#include "statements.h"

PG_FUNCTION_INFO_V1(order_row_trigger);

static uint64 orders_recompute_shards(AttachedTable *at);
static SPIPlanPtr *key_plans(AttachedTable *at, char key_kind, bool one);
PG_FUNCTION_INFO_V1(order_statement_trigger);
PG_FUNCTION_INFO_V1(order_truncate_trigger);

/* Column of the client of a kind */
static const char *
client_column(AttachedTable *at, ClientKind kind)
{
	return kind == CLIENT_COMPANY ? at->company.name : at->contact.name;
}

/*
 * The state of an order's lead as SQL: true when it is a repeat lead.  With
 * repeat_lead, the id of the order's lead in a join with the repeat leads
 * (NULL when it is not one) takes the place of the look-up.
 */
static void
append_lead_is_repeat(StringInfo buf, AttachedTable *at, const char *alias,
					  const char *repeat_lead)
{
	/*
	 * An order that inquiry routing created for a known client in lead-free
	 * mode counts like an order from a repeat lead (routing.c).
	 */
	if (at->legacy_routed)
	{
		appendStringInfo(buf,
						 "(EXISTS (SELECT FROM returning_crm.routed_order r"
						 " WHERE r.relid::pg_catalog.oid OPERATOR(pg_catalog.=) %u::pg_catalog.oid"
						 " AND r.order_id OPERATOR(pg_catalog.=) %s.%s::pg_catalog.int8"
						 " AND ",
						 at->attached_relid, alias, at->id.name);
		if (at->tenant.attnum != InvalidAttrNumber)
			appendStringInfo(buf, "r.tenant OPERATOR(pg_catalog.=) pg_catalog.format('%%s', %s.%s)) OR ",
							 alias, at->tenant.name);
		else
			appendStringInfoString(buf, "r.tenant IS NULL) OR ");
	}
	else
		appendStringInfo(buf, "(%s.%s IS TRUE OR ", alias, at->routed.name);

	if (!OidIsValid(at->leads_relid))
	{
		appendStringInfoString(buf, "false)");
		return;
	}
	if (repeat_lead != NULL)
	{
		appendStringInfo(buf, "%s IS NOT NULL)", repeat_lead);
		return;
	}
	/*
	 * A scalar subquery with LIMIT, not EXISTS: the planner would turn
	 * EXISTS into a hash of every repeat lead, built for every statement
	 * that recomputes a few clients.  This probes the lead's index, and
	 * only for orders that are not repeat (CASE evaluates it last).
	 */
	appendStringInfo(buf,
					 "(SELECT true FROM %s l WHERE l.%s OPERATOR(pg_catalog.=) %s.%s",
					 at->leads_name, at->leads_id.name, alias, at->lead.name);
	if (at->leads_tenant.attnum != InvalidAttrNumber && at->tenant.attnum != InvalidAttrNumber)
	{
		/*
		 * The order's tenant read as the leads' tenant type; a plain column
		 * when the types are the same, so that the planner sees the two
		 * tenants equal.
		 */
		appendStringInfo(buf, " AND l.%s", at->leads_tenant.name);
		append_operator(buf, at->leads_tenant.typid, BTEqualStrategyNumber);
		if (at->leads_tenant.typid == at->tenant.typid)
			appendStringInfo(buf, "%s.%s", alias, at->tenant.name);
		else
			appendStringInfo(buf, "(%s.%s)::%s", alias, at->tenant.name,
							 format_type_be_qualified(getBaseType(at->leads_tenant.typid)));
	}
	appendStringInfo(buf, " AND l.%s OPERATOR(pg_catalog.=) '" STATE_NAME_REPEAT "' LIMIT 1) IS NOT NULL)",
					 at->leads_state.name);
}

/*
 * The state of order alias when no won order of its client comes before it,
 * as SQL: rules 2 and 3.
 */
static void
append_state_without_won(StringInfo buf, AttachedTable *at, const char *alias,
						 const char *repeat_lead)
{
	appendStringInfoString(buf, "CASE WHEN ");
	append_lead_is_repeat(buf, at, alias, repeat_lead);
	appendStringInfoString(buf, " THEN '" STATE_NAME_REPEATED_INQUIRY "' ELSE '" STATE_NAME_NEW "' END");
}

/*
 * SQL for "order alias comes after the position (ob, id)", ob and id being
 * SQL expressions: position_cmp() in SQL, NULL ordered_by last.
 */
static void
append_after(StringInfo buf, AttachedTable *at, const char *alias,
			 const char *ob, const char *id)
{
	const char *idcol = at->id.name;

	if (at->ordered_by.attnum != InvalidAttrNumber)
	{
		Oid			type = at->ordered_by.typid;
		char	   *col = psprintf("%s.%s", alias, at->ordered_by.name);

		appendStringInfo(buf, "CASE WHEN %s IS NULL THEN %s IS NULL AND %s.%s OPERATOR(pg_catalog.>) %s"
						 " ELSE %s IS NULL OR ",
						 ob, col, alias, idcol, id, col);
		append_base_cast(buf, col, type);
		append_operator(buf, type, BTGreaterStrategyNumber);
		append_base_cast(buf, ob, type);
		appendStringInfoString(buf, " OR (");
		append_base_cast(buf, col, type);
		append_operator(buf, type, BTEqualStrategyNumber);
		append_base_cast(buf, ob, type);
		appendStringInfo(buf, " AND %s.%s OPERATOR(pg_catalog.>) %s) END",
						 alias, idcol, id);
	}
	else
		appendStringInfo(buf, "%s.%s OPERATOR(pg_catalog.>) %s", alias, idcol, id);
}

/* SQL for "row alias is positioned after row other" of the same table */
void
append_row_after(StringInfo buf, AttachedTable *at, const char *alias,
				 const char *other)
{
	char	   *ob = at->ordered_by.attnum != InvalidAttrNumber ?
		psprintf("%s.%s", other, at->ordered_by.name) : NULL;

	append_after(buf, at, alias, ob, psprintf("%s.%s", other, at->id.name));
}

/* The WHERE clause that picks the orders of one client ($1, tenant $2) */
static void
append_client_filter(StringInfo buf, AttachedTable *at, ClientKind kind)
{
	append_client_condition(buf, at, "o", kind);
	appendStringInfo(buf, " AND o.%s OPERATOR(pg_catalog.=) $1", client_column(at, kind));
	append_tenant_param(buf, at, "o", 2);
}

/*
 * The condition that picks the orders of the given clients of one kind
 * ($1 ids, $2 tenants).
 */
static void
append_clients_filter(StringInfo sql, AttachedTable *at, const char *alias,
					  ClientKind kind, bool one)
{
	append_client_condition(sql, at, alias, kind);
	appendStringInfoString(sql, " AND ");
	append_keys_filter(sql, at, alias, client_column(at, kind), one);
}

/*
 * Look up the first won order of a client; with exclude_self, leaving out
 * the order with id self_id (an UPDATE looks at the other orders of its
 * client).  The position found is copied into the given memory context.
 */
static void
probe_first_won(AttachedTable *at, StatementFrame *frame, const ClientKey *client,
				bool exclude_self, int64 self_id, MemoryContext target, bool *found,
				Position *first_won)
{
	SPIPlanPtr *planp = exclude_self ? &at->probe_self_plan[client->kind == CLIENT_CONTACT]
		: &at->probe_plan[client->kind == CLIENT_CONTACT];
	Datum		args[3];
	char		nulls[3] = {' ', ' ', ' '};
	bool		has_ob = at->ordered_by.attnum != InvalidAttrNumber;
	bool		isnull;
	MemoryContext old;

	if (probe_first_won_direct(frame, at, client, exclude_self, self_id, target,
							   found, first_won))
		return;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (*planp == NULL)
	{
		StringInfoData sql;
		Oid			argtypes[3] = {INT8OID, TEXTOID, INT8OID};

		initStringInfo(&sql);
		appendStringInfoString(&sql, "SELECT ");
		if (has_ob)
			appendStringInfo(&sql, "o.%s, ", at->ordered_by.name);
		appendStringInfo(&sql, "o.%s::pg_catalog.int8 FROM %s o WHERE ",
						 at->id.name, at->qualified_name);
		append_client_filter(&sql, at, client->kind);
		appendStringInfoString(&sql, " AND ");
		append_won_condition(&sql, at, "o");
		/* as the partial index on won orders: a won order not repeat is first */
		appendStringInfoString(&sql, " AND ");
		append_not_repeat(&sql, psprintf("o.%s", at->state.name));
		if (exclude_self)
			appendStringInfo(&sql, " AND o.%s OPERATOR(pg_catalog.<>) $3", at->id.name);
		appendStringInfoString(&sql, " ORDER BY ");
		append_position(&sql, at, "o", false);
		appendStringInfoString(&sql, " LIMIT 1");
		*planp = keep_plan(sql.data, exclude_self ? 3 : 2, argtypes);
		pfree(sql.data);
	}

	client_params(client, args, nulls);
	args[2] = Int64GetDatum(self_id);
	if (execute_history_plan(*planp, args, nulls, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look up the won orders of a client");

	*found = SPI_processed > 0;
	if (*found)
	{
		HeapTuple	row = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		Position	pos = {(Datum) 0, true, 0};
		int			col = 1;

		if (has_ob)
			pos.value = SPI_getbinval(row, desc, col++, &pos.isnull);
		pos.id = DatumGetInt64(SPI_getbinval(row, desc, col, &isnull));
		old = MemoryContextSwitchTo(target);
		*first_won = position_copy(at, &pos);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
}

/*
 * Has the client an order positioned after pos?  Asked when a won order
 * becomes the client's first: the orders after it turn repeat.
 */
static bool
client_has_order_after(AttachedTable *at, StatementFrame *frame,
					   const ClientKey *client, const Position *pos)
{
	SPIPlanPtr *planp = &at->after_plan[client->kind == CLIENT_CONTACT];
	Datum		args[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	bool		result;

	if (probe_order_after_direct(frame, at, client, pos, &result))
		return result;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (*planp == NULL)
	{
		StringInfoData sql;
		Oid			argtypes[4] = {INT8OID, TEXTOID, INT8OID, InvalidOid};

		initStringInfo(&sql);
		appendStringInfo(&sql, "SELECT FROM %s o WHERE ", at->qualified_name);
		append_client_filter(&sql, at, client->kind);
		appendStringInfoString(&sql, " AND ");
		append_after(&sql, at, "o", "$4", "$3");
		if (at->ordered_by.attnum != InvalidAttrNumber)
			argtypes[3] = at->ordered_by.typid;
		appendStringInfoString(&sql, " LIMIT 1");
		*planp = keep_plan(sql.data, argtypes[3] == InvalidOid ? 3 : 4, argtypes);
		pfree(sql.data);
	}

	client_params(client, args, nulls);
	args[2] = Int64GetDatum(pos->id);
	args[3] = pos->value;
	if (pos->isnull)
		nulls[3] = 'n';
	if (execute_history_plan(*planp, args, nulls, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look up the orders of a client");
	result = SPI_processed > 0;
	SPI_finish();
	return result;
}

/*
 * Is the order's lead a repeat lead?  Locks the lead first; when its lock is
 * busy, the client is recomputed at the end of the statement instead.
 */
static bool
lead_is_repeat(AttachedTable *at, StatementFrame *frame, const ClientKey *client,
			   const Row *row)
{
	const char *tenant = client->tenant;
	bool		isnull;
	int64		lead_id;
	Datum		args[2];
	char		nulls[2] = {' ', ' '};
	bool		result;

	if (!OidIsValid(at->leads_relid))
		return false;
	lead_id = column_int64(&at->lead, row, &isnull);
	if (isnull)
		return false;

	if (!statement_lock_lead(frame, at, lead_id, tenant))
		statement_mark_dirty(frame, client);

	if (probe_lead_direct(frame, at, lead_id, tenant, &result))
		return result;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (at->lead_state_plan == NULL)
	{
		StringInfoData sql;
		Oid			argtypes[2] = {INT8OID, TEXTOID};

		initStringInfo(&sql);
		appendStringInfo(&sql,
						 "SELECT l.%s OPERATOR(pg_catalog.=) '" STATE_NAME_REPEAT "' FROM %s l"
						 " WHERE l.%s OPERATOR(pg_catalog.=) $1",
						 at->leads_state.name, at->leads_name, at->leads_id.name);
		if (at->leads_tenant.attnum != InvalidAttrNumber)
		{
			appendStringInfo(&sql, " AND l.%s", at->leads_tenant.name);
			append_operator(&sql, at->leads_tenant.typid, BTEqualStrategyNumber);
			appendStringInfo(&sql, "$2::%s",
							 format_type_be_qualified(getBaseType(at->leads_tenant.typid)));
		}
		at->lead_state_plan = keep_plan(sql.data, 2, argtypes);
		pfree(sql.data);
	}

	args[0] = Int64GetDatum(lead_id);
	if (tenant)
		args[1] = CStringGetTextDatum(tenant);
	else
		nulls[1] = 'n';
	if (execute_history_plan(at->lead_state_plan, args, nulls, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look up the state of a lead");
	result = false;
	if (SPI_processed > 0)
	{
		result = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
											1, &isnull));
		result = result && !isnull;
	}
	SPI_finish();
	return result;
}

/*
 * Is the order in returning_crm.routed_order, where the catalog of 0.1.0
 * keeps routed orders (catalog_is_legacy)?  Only until the extension is
 * updated: the update moves them into the orders' returning_routed column.
 */
static bool
order_in_routed_table(AttachedTable *at, const Row *row)
{
	static const char *const sql =
		"SELECT FROM returning_crm.routed_order r"
		" WHERE r.relid::pg_catalog.oid OPERATOR(pg_catalog.=) $1"
		"   AND r.order_id OPERATOR(pg_catalog.=) $2"
		"   AND (r.tenant OPERATOR(pg_catalog.=) $3 OR (r.tenant IS NULL AND $3 IS NULL))";
	Oid			argtypes[3] = {OIDOID, INT8OID, TEXTOID};
	Datum		args[3];
	char		nulls[3] = {' ', ' ', ' '};
	bool		isnull;
	char	   *tenant = column_tenant(at, row);
	bool		found;

	args[0] = ObjectIdGetDatum(at->attached_relid);
	args[1] = Int64GetDatum(column_int64(&at->id, row, &isnull));
	if (isnull)
		return false;
	if (tenant != NULL)
		args[2] = CStringGetTextDatum(tenant);
	else
		nulls[2] = 'n';
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (at->legacy_routed_plan == NULL)
		at->legacy_routed_plan = keep_table_plan(at, sql, 3, argtypes);
	if (SPI_execute_plan(at->legacy_routed_plan, args, nulls, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read returning_crm.routed_order");
	found = SPI_processed > 0;
	SPI_finish();
	return found;
}

/* Did routing create the order for a known client in lead-free mode? */
static bool
order_is_routed(AttachedTable *at, const Row *row)
{
	bool		isnull;
	Datum		routed;

	if (at->legacy_routed)
		return order_in_routed_table(at, row);
	routed = row_attr(row, at->routed.attnum, &isnull);
	return !isnull && DatumGetBool(routed);
}

/*
 * Is a won order its client's first won order, so that changing or deleting
 * it changes the states of the client's other orders?  Asked with the
 * client's lock held (locked), so that no other writer changes which order
 * is first meanwhile, and only while the statement has not changed the
 * client's first won order already (dirty): the look-up finds the first won
 * order by its stored state, which is right then.  In doubt, it is.
 */
static bool
was_first_won(AttachedTable *at, StatementFrame *frame, const ClientKey *client,
			  bool locked, const Position *pos)
{
	bool		found;
	Position	first_won;

	if (!locked || statement_is_dirty(frame, client))
		return true;
	probe_first_won(at, frame, client, true, pos->id, CurrentMemoryContext,
					&found, &first_won);
	return !found || position_cmp(at, &first_won, pos) > 0;
}

/*
 * A client's first won order, at pos, went away (was_first_won said so):
 * the orders after it, up to the next won order, lose repeat at the end of
 * the statement when that is known to be all (range: the order left the
 * client, or stays there at its place not won), else the client is
 * recomputed whole.
 */
static void
first_won_gone(AttachedTable *at, StatementFrame *frame, const ClientKey *client,
			   bool locked, const Position *pos, bool range)
{
	if (locked && !statement_is_dirty(frame, client) && range)
		statement_mark_demoted(frame, at, client, pos);
	else
		statement_mark_dirty(frame, client);
	statement_forget_client(frame, client);
}

static bool
order_is_won(AttachedTable *at, const Row *row)
{
	bool		isnull;
	Datum		stage = row_attr(row, at->status.attnum, &isnull);

	return status_in_list(at, stage, isnull, &at->success);
}

/*
 * Classify an order from what is known of its client's first won order.
 */
static ReturningState
classify(AttachedTable *at, StatementFrame *frame, const Row *row,
		 const ClientKey *client, const Position *pos, bool has_first_won,
		 const Position *first_won)
{
	if (client->kind == CLIENT_NONE)
		return STATE_NEW;
	if (has_first_won && position_cmp(at, first_won, pos) < 0)
		return STATE_REPEAT;
	if (lead_is_repeat(at, frame, client, row))
		return STATE_REPEATED_INQUIRY;
	/* An order routed for a known client in lead-free mode (routing.c) */
	if (order_is_routed(at, row))
		return STATE_REPEATED_INQUIRY;
	return STATE_NEW;
}

/*
 * The first row of a client in the statement: lock the client, look up its
 * first won order and, when it has none, whether it has orders at all.  Not
 * at the statement's first row: the answer spares later look-ups of the
 * statement's rows of the client, and most statements have one row.
 */
static void
first_sight(AttachedTable *at, StatementFrame *frame, const ClientKey *client,
			ClientEntry *entry)
{
	Position	first_won;
	bool		has_first_won;
	bool		has_orders;

	if (statement_lock_client(frame, at, client))
		statement_touch(frame, client);
	else
		statement_mark_dirty(frame, client);
	probe_first_won(at, frame, client, false, 0, CurrentMemoryContext,
					&has_first_won, &first_won);
	if (has_first_won)
	{
		entry->has_first_won = true;
		statement_keep_position(frame, at, entry, &first_won);
	}
	else if (frame->rows_passed > 1 &&
			 probe_client_has_orders_direct(frame, at, client, &has_orders))
		entry->statement_only = !has_orders;
}

static ReturningState
order_inserted(AttachedTable *at, StatementFrame *frame, const Row *row)
{
	ClientKey	client = client_of(at, row);
	Position	pos;
	Position	kept;
	ClientEntry *entry;
	bool		found;
	ReturningState state;

	if (client.kind == CLIENT_NONE)
		return STATE_NEW;

	statement_prefetch_client(frame, &client);
	pos = position_of(at, row);
	entry = statement_client(frame, &client, &found);
	if (!found)
		first_sight(at, frame, &client, entry);
	kept = client_position(entry);

	state = classify(at, frame, row, &client, &pos, entry->has_first_won, &kept);

	if (order_is_won(at, row) &&
		(!entry->has_first_won || position_cmp(at, &pos, &kept) < 0))
	{
		bool		later;

		/*
		 * A won order before the first one becomes the first: the orders
		 * after it, up to the old first won order, turn repeat at the end of
		 * the statement.  Are there any?  The old first won order is one.
		 * When all orders of the client are the statement's, its last one
		 * tells; else a look-up, which sees the statement's earlier rows
		 * too.
		 */
		if (entry->has_first_won)
			later = true;
		else if (entry->statement_only && !frame->others_wrote)
			later = found && position_cmp(at, &kept, &pos) > 0;
		else
			later = client_has_order_after(at, frame, &client, &pos);
		if (later)
			statement_mark_promoted(frame, at, &client, &pos);
		entry->has_first_won = true;
		statement_keep_position(frame, at, entry, &pos);
	}
	else if (!entry->has_first_won && entry->statement_only &&
			 (!found || position_cmp(at, &pos, &kept) > 0))
		statement_keep_position(frame, at, entry, &pos);
	return state;
}

static ReturningState
order_updated(AttachedTable *at, StatementFrame *frame, const Row *oldrow,
			  const Row *newrow, bool *keep_old)
{
	ClientKey	old_client = client_of(at, oldrow);
	ClientKey	new_client = client_of(at, newrow);
	Position	old_pos = position_of(at, oldrow);
	Position	new_pos = position_of(at, newrow);
	bool		old_won = order_is_won(at, oldrow);
	bool		new_won = order_is_won(at, newrow);
	bool		old_lead_null;
	bool		new_lead_null;
	int64		old_lead = column_int64(&at->lead, oldrow, &old_lead_null);
	int64		new_lead = column_int64(&at->lead, newrow, &new_lead_null);
	bool		moved;
	bool		has_first_won;
	Position	first_won;

	frame->others_wrote = true;
	moved = !client_equal(&old_client, &new_client) ||
		position_cmp(at, &old_pos, &new_pos) != 0 ||
		old_won != new_won;

	*keep_old = false;
	if (!moved && old_lead_null == new_lead_null && old_lead == new_lead)
	{
		*keep_old = true;
		return STATE_NONE;
	}

	/*
	 * Only a won order can be its client's first won order: the old
	 * client's first won order can move only if the order was won there,
	 * the new client's only if it is won there and comes before the first.
	 * Any other move changes no state but the order's own.  So the old
	 * client is locked only when the order was won there: an order that was
	 * not leaves no trace in its old client's states, and a rewrite of that
	 * client that meets the row waits for its row lock instead (rewrite.c),
	 * then sees where it went.
	 */
	if (moved && old_won && old_client.kind != CLIENT_NONE)
	{
		bool		old_locked;
		bool		new_locked;

		statement_lock_clients(frame, at, &old_client, &old_locked, &new_client, &new_locked);
		if (!old_locked)
			statement_mark_dirty(frame, &old_client);
		if (!new_locked)
			statement_mark_dirty(frame, &new_client);
		statement_touch(frame, &old_client);
		statement_touch(frame, &new_client);
		/* a won order after the first one: no other order changes */
		if (was_first_won(at, frame, &old_client, old_locked, &old_pos))
		{
			/*
			 * The old client's first won order went: the orders after it, up
			 * to the next won one, lose repeat.  When it stays in the client
			 * at another position, or won, the order's own state is not known
			 * here (the look-up cannot see the next won order, stored
			 * repeat): the client is recomputed whole.
			 */
			first_won_gone(at, frame, &old_client, old_locked, &old_pos,
						   !client_equal(&old_client, &new_client) ||
						   (!new_won && position_cmp(at, &old_pos, &new_pos) == 0));
		}
	}
	else if (!statement_lock_client(frame, at, &new_client))
		statement_mark_dirty(frame, &new_client);
	else
		statement_touch(frame, &new_client);

	if (new_client.kind == CLIENT_NONE)
		return STATE_NEW;

	probe_first_won(at, frame, &new_client, true, new_pos.id, CurrentMemoryContext,
					&has_first_won, &first_won);
	if (moved && new_won &&
		(!has_first_won || position_cmp(at, &new_pos, &first_won) < 0))
	{
		/*
		 * The order becomes the client's first won order: at the end, the
		 * orders after it turn repeat, as after an insert.  That is right
		 * whatever other rows of the statement do: a promotion only turns
		 * orders repeat, the earliest one is kept, and a row that takes a
		 * first won order away has the client recomputed whole.
		 */
		statement_mark_promoted(frame, at, &new_client, &new_pos);
		statement_forget_client(frame, &new_client);
	}
	return classify(at, frame, newrow, &new_client, &new_pos,
					has_first_won, &first_won);
}

static void
order_deleted(AttachedTable *at, StatementFrame *frame, const Row *row)
{
	ClientKey	client;
	Position	pos;
	bool		locked;

	frame->others_wrote = true;
	/* Only the first won order of a client changes others' states */
	if (!order_is_won(at, row))
		return;
	client = client_of(at, row);
	if (client.kind == CLIENT_NONE)
		return;
	pos = position_of(at, row);
	locked = statement_lock_client(frame, at, &client);
	if (!was_first_won(at, frame, &client, locked, &pos))
		return;
	first_won_gone(at, frame, &client, locked, &pos, true);
}


/*
 * BEFORE INSERT OR UPDATE OR DELETE FOR EACH ROW on an attached orders table.
 */
static Datum
order_row(FunctionCallInfo fcinfo)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	tupdesc;
	AttachedTable *at;
	StatementFrame *frame;
	HeapTuple	result;
	Row			row;
	ReturningState state = STATE_NONE;

	check_trigger_call(fcinfo, "order_row_trigger", true, true);
	rel = trigdata->tg_relation;
	tupdesc = RelationGetDescr(rel);

	result = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
		trigdata->tg_newtuple : trigdata->tg_trigtuple;

	if (returning_in_recompute(rel))
	{
		announce_rewrite(trigdata, ATTACH_ORDERS);
		return PointerGetDatum(result);
	}

	frame = statement_of_row(trigdata, ATTACH_ORDERS, &at);
	if (frame == NULL)
		return PointerGetDatum(result);	/* rows Citus copies into a new shard */

	/*
	 * The rules read the row through the trigger's slots, which take its
	 * columns apart once; the slots hold the tuples the trigger got.
	 */
	row = row_of_slot(trigdata->tg_trigslot);
	frame->rows_seen++;
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		frame->rows_passed++;
		state = order_inserted(at, frame, &row);
	}
	else if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		Row			newrow = row_of_slot(trigdata->tg_newslot);
		bool		keep_old;

		state = order_updated(at, frame, &row, &newrow, &keep_old);
		if (keep_old)
		{
			bool		isnull;
			Datum		old = row_attr(&row, at->state.attnum, &isnull);

			state = isnull ? STATE_NONE : state_from_name(TextDatumGetCString(old));
			if (state == STATE_NONE)
			{
				/* An unclassified row: have the statement trigger do it */
				ClientKey	client = client_of(at, &newrow);

				(void) statement_lock_client(frame, at, &client);
				statement_mark_dirty(frame, &client);
				state = STATE_NEW;
			}
		}
	}
	else
		order_deleted(at, frame, &row);

	if (state != STATE_NONE)
	{
		ReturningState old_state = STATE_NONE;

		if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		{
			old_state = stored_state(at, &row);
			row = row_of_slot(trigdata->tg_newslot);
		}
		announce_change(at, &row, old_state, state);
		result = set_state(at, &row, result, tupdesc, state);
		/* the row gets the state by its own write: its rules fire */
		if (state != old_state)
			result = rules_apply(at, result, tupdesc, state);
	}
	return PointerGetDatum(result);
}

/*
 * The rules read a client's whole history, which the writer may not see:
 * the trigger runs as the owner of its table, as the foreign-key triggers
 * do (security.c), and needs no grant of the writer's.
 */
Datum
order_row_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	UserSwitch	us;
	Datum		result;

	if (!CALLED_AS_TRIGGER(fcinfo))
		check_trigger_call(fcinfo, "order_row_trigger", true, true);
	switch_to_owner(trigdata->tg_relation->rd_rel->relowner, false, &us);
	result = order_row(fcinfo);
	switch_back(&us);
	return result;
}

/*
 * A SELECT of (id[, tenant], state) computed by the rules for every order of
 * the given clients of one kind ($1 ids, $2 tenants), or of the whole table
 * (kind CLIENT_NONE).
 */
static void
append_states_select(StringInfo sql, AttachedTable *at, ClientKind kind, bool one)
{
	appendStringInfo(sql, "SELECT o.%s AS id, ", at->id.name);
	if (at->tenant.attnum != InvalidAttrNumber)
		appendStringInfo(sql, "o.%s AS tenant, ", at->tenant.name);
	appendStringInfoString(sql, "CASE");
	if (kind == CLIENT_NONE)
	{
		/* an order without a client is new */
		appendStringInfoString(sql, " WHEN (");
		if (at->company.attnum != InvalidAttrNumber)
		{
			append_client_condition(sql, at, "o", CLIENT_COMPANY);
			appendStringInfoString(sql, " OR ");
		}
		if (at->contact.attnum != InvalidAttrNumber)
			append_client_condition(sql, at, "o", CLIENT_CONTACT);
		else
			appendStringInfoString(sql, "false");
		appendStringInfoString(sql, ") IS NOT TRUE THEN '" STATE_NAME_NEW "'");
	}
	appendStringInfoString(sql, " WHEN pg_catalog.bool_or(");
	append_won_condition(sql, at, "o");
	appendStringInfoString(sql, ") OVER w THEN '" STATE_NAME_REPEAT "' WHEN ");
	append_lead_is_repeat(sql, at, "o", NULL);
	appendStringInfo(sql, " THEN '" STATE_NAME_REPEATED_INQUIRY "' ELSE '" STATE_NAME_NEW "' END AS state FROM %s o",
					 at->qualified_name);
	if (kind != CLIENT_NONE)
	{
		appendStringInfoString(sql, " WHERE ");
		append_clients_filter(sql, at, "o", kind, one);
	}
	appendStringInfoString(sql, " WINDOW w AS (PARTITION BY ");
	if (kind == CLIENT_NONE)
		append_client_key_exprs(sql, at, "o");
	else
	{
		if (at->tenant.attnum != InvalidAttrNumber)
			appendStringInfo(sql, "o.%s, ", at->tenant.name);
		appendStringInfo(sql, "o.%s", client_column(at, kind));
	}
	appendStringInfoString(sql, " ORDER BY ");
	append_position(sql, at, "o", false);
	appendStringInfoString(sql, " ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)");
}

/*
 * The rewrite of every order of the given clients of one kind, or of the
 * whole table (kind CLIENT_NONE), writing the rows whose state differs (or
 * with clear, clearing their states).  For clients, the rows to write are
 * picked by the same filter on both sides of the join, so that the planner
 * joins the clients' rows only and never reads the whole table.
 */
static void
recompute_parts(AttachedTable *at, ClientKind kind, bool clear, bool one,
				RewriteParts *parts)
{
	StringInfoData from;
	StringInfoData where;

	initStringInfo(&from);
	appendStringInfoChar(&from, '(');
	append_states_select(&from, at, kind, one);
	appendStringInfoString(&from, ") AS s");

	initStringInfo(&where);
	appendStringInfo(&where, "t.%s OPERATOR(pg_catalog.=) s.id", at->id.name);
	append_tenant_match(&where, at, "t", at->tenant.name, "s");
	if (kind != CLIENT_NONE)
	{
		appendStringInfoString(&where, " AND ");
		append_clients_filter(&where, at, "t", kind, one);
	}
	appendStringInfo(&where, " AND (t.%s IS NULL OR t.%s OPERATOR(pg_catalog.<>) s.state)",
					 at->state.name, at->state.name);

	parts->from = from.data;
	parts->state = clear ? "NULL" : "s.state";
	parts->where = where.data;
}

/* The rewrite of recompute_parts as one UPDATE */
static char *
recompute_sql(AttachedTable *at, ClientKind kind, bool clear)
{
	RewriteParts parts;

	recompute_parts(at, kind, clear, false, &parts);
	return rewrite_waiting_sql(at, &parts);
}

/*
 * The SELECT of every order's state by the rules, for attaching a table in
 * one rewrite (attach.c).  The window of append_states_select sorts the
 * whole table, which for millions of orders spills to disk.  Here each
 * client's first won order is found among the won orders alone (one sort of
 * those, DISTINCT ON), and every order is compared with its client's in a
 * hash join: an order after it is repeat (rule 1), any other takes rules 2
 * and 3, its lead joined by hash with the repeat leads instead of looked up
 * (DISTINCT: a leads table with tenants may repeat an id, and the orders,
 * having none, match any).  A table with a tenant column keeps the window:
 * attach computes states ahead of the rewrite only for tables without one.
 */
char *
orders_states_sql(AttachedTable *at)
{
	StringInfoData sql;
	bool		has_ob = at->ordered_by.attnum != InvalidAttrNumber;
	bool		joins_leads = OidIsValid(at->leads_relid) && !at->legacy_routed;

	initStringInfo(&sql);
	if (at->tenant.attnum != InvalidAttrNumber)
	{
		append_states_select(&sql, at, CLIENT_NONE, false);
		return sql.data;
	}
	appendStringInfo(&sql, "SELECT o.%s AS id, CASE WHEN k.kind IS NULL THEN '" STATE_NAME_NEW "'"
					 " WHEN f.id IS NOT NULL AND ", at->id.name);
	append_after(&sql, at, "o", has_ob ? "f.ob" : NULL, "f.id");
	appendStringInfoString(&sql, " THEN '" STATE_NAME_REPEAT "' ELSE ");
	append_state_without_won(&sql, at, "o", joins_leads ? "rl.id" : NULL);
	appendStringInfo(&sql, " END AS state FROM %s o CROSS JOIN LATERAL (SELECT ",
					 at->qualified_name);
	append_client_key_exprs(&sql, at, "o");
	/* the client's id sorts first: PostgreSQL sorts on an int8 fastest */
	appendStringInfoString(&sql, ") AS k(kind, client) LEFT JOIN (SELECT DISTINCT ON (2, 1) * FROM (SELECT ");
	append_client_key_exprs(&sql, at, "w");
	appendStringInfoString(&sql, ", ");
	append_position(&sql, at, "w", false);
	appendStringInfo(&sql, " FROM %s w WHERE ", at->qualified_name);
	append_won_condition(&sql, at, "w");
	appendStringInfo(&sql, ") AS w(kind, client, %sid) WHERE w.kind IS NOT NULL ORDER BY 2, 1, 3%s) AS f"
					 " ON f.kind OPERATOR(pg_catalog.=) k.kind AND f.client OPERATOR(pg_catalog.=) k.client",
					 has_ob ? "ob, " : "", has_ob ? ", 4" : "");
	if (joins_leads)
		appendStringInfo(&sql, " LEFT JOIN (SELECT DISTINCT l.%s AS id FROM %s l"
						 " WHERE l.%s OPERATOR(pg_catalog.=) '" STATE_NAME_REPEAT "') AS rl"
						 " ON rl.id OPERATOR(pg_catalog.=) o.%s",
						 at->leads_id.name, at->leads_name, at->leads_state.name, at->lead.name);
	return sql.data;
}

/* The clients' ids ($1) and tenants ($2, or NULL) as statement arguments */
static void
client_args(AttachedTable *at, Datum *ids, Datum *tenants, int count,
			Datum *args, char *nulls)
{
	args[0] = PointerGetDatum(construct_array(ids, count, INT8OID, 8,
											  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	nulls[0] = ' ';
	if (at->tenant.attnum != InvalidAttrNumber)
	{
		args[1] = PointerGetDatum(construct_array(tenants, count, TEXTOID, -1,
												  false, TYPALIGN_INT));
		nulls[1] = ' ';
	}
	else
		nulls[1] = 'n';
}

/* Recompute every order of some clients of one kind (rewrite.c) */
static void
recompute_kind(AttachedTable *at, ClientKind kind, Datum *ids, Datum *tenants,
			   int count)
{
	Datum		args[2];
	char		nulls[2];

	if (count == 0)
		return;
	client_args(at, ids, tenants, count, args, nulls);
	rewrite_rows(at, key_plans(at, (char) kind, count == 1), args, nulls, count == 1);
}

/*
 * Recompute every order of a set of clients, one kind of client at a time.
 * The clients are locked already.
 */
static void
recompute_clients(AttachedTable *at, HTAB *set)
{
	long		n = set ? hash_get_num_entries(set) : 0;
	Datum	   *ids;
	Datum	   *tenants;

	if (n == 0)
		return;
	ids = palloc(sizeof(Datum) * n);
	tenants = palloc(sizeof(Datum) * n);

	for (int k = 0; k < 2; k++)
	{
		ClientKind	kind = k == 0 ? CLIENT_COMPANY : CLIENT_CONTACT;
		int			count;

		statement_collect_clients(set, kind, ids, tenants, &count);
		recompute_kind(at, kind, ids, tenants, count);
	}
}

/*
 * SQL for "order alias is one of the client c's, after c's position": c is
 * the key of a position rewrite, one row or one of many (kind's client
 * column as c.client, c.tenant, c.ob, c.id).
 */
static void
append_rows_after_key(StringInfo buf, AttachedTable *at, const char *alias, ClientKind kind)
{
	append_client_condition(buf, at, alias, kind);
	appendStringInfo(buf, " AND %s.%s OPERATOR(pg_catalog.=) c.client", alias,
					 client_column(at, kind));
	append_tenant_match(buf, at, alias, at->tenant.name, "c");
	appendStringInfoString(buf, " AND ");
	append_after(buf, at, alias, "c.ob", "c.id");
}

/*
 * The one key of a position rewrite ($1 to $4, arrays of one element) as a
 * row c(client, tenant[, ob], id) that the planner knows to be one.
 */
static void
append_one_position_key(StringInfo buf, AttachedTable *at)
{
	bool		has_ob = at->ordered_by.attnum != InvalidAttrNumber;

	appendStringInfoString(buf, "(SELECT ($1)[1] AS client, ");
	if (at->tenant.attnum != InvalidAttrNumber)
		appendStringInfo(buf, "($2::%s[])[1] AS tenant, ",
						 format_type_be_qualified(at->tenant.typid));
	else
		appendStringInfoString(buf, "($2)[1] AS tenant, ");
	appendStringInfo(buf, "%s($4)[1] AS id) AS c", has_ob ? "($3)[1] AS ob, " : "");
}

/*
 * The rewrite that turns repeat the orders of clients of one kind after a
 * position each, skipping held rows (rewrite.c): $1 ids, $2 tenants, $3
 * ordered_by values and $4 order ids of the clients' first won orders.  One
 * index scan per client.
 */
static char *
promote_sql(AttachedTable *at, ClientKind kind, bool skipping, bool one)
{
	StringInfoData from;
	StringInfoData where;
	RewriteParts parts;
	bool		has_ob = at->ordered_by.attnum != InvalidAttrNumber;

	initStringInfo(&from);
	if (one)
		append_one_position_key(&from, at);
	else
	{
		appendStringInfoString(&from, "ROWS FROM (pg_catalog.unnest($1), ");
		if (at->tenant.attnum != InvalidAttrNumber)
			appendStringInfo(&from, "pg_catalog.unnest($2::%s[]), ",
							 format_type_be_qualified(at->tenant.typid));
		else
			appendStringInfoString(&from, "pg_catalog.unnest($2), ");
		appendStringInfo(&from, "%spg_catalog.unnest($4)) AS c(client, tenant, %sid)",
						 has_ob ? "pg_catalog.unnest($3), " : "", has_ob ? "ob, " : "");
	}

	initStringInfo(&where);
	append_rows_after_key(&where, at, "t", kind);
	appendStringInfoString(&where, " AND ");
	append_not_repeat(&where, psprintf("t.%s", at->state.name));

	parts.from = from.data;
	parts.state = "'" STATE_NAME_REPEAT "'";
	parts.where = where.data;
	return skipping ? rewrite_skipping_sql(at, &parts) : rewrite_waiting_sql(at, &parts);
}

/*
 * The rewrite that gives the orders of one client after a position (its
 * first won order, which the statement's only row took away: $1 to $4 as in
 * promote_sql, one key each), up to its new first won order, the state they
 * have with no won order before them.  The orders after the new first won
 * order stay repeat.
 */
static char *
demote_sql(AttachedTable *at, ClientKind kind, bool skipping)
{
	StringInfoData from;
	StringInfoData state;
	StringInfoData where;
	RewriteParts parts;
	bool		has_ob = at->ordered_by.attnum != InvalidAttrNumber;

	initStringInfo(&from);
	append_one_position_key(&from, at);
	appendStringInfoString(&from, " LEFT JOIN LATERAL (SELECT ");
	if (has_ob)
		appendStringInfo(&from, "w.%s AS ob, ", at->ordered_by.name);
	appendStringInfo(&from, "w.%s AS id FROM %s w WHERE ", at->id.name, at->qualified_name);
	append_rows_after_key(&from, at, "w", kind);
	appendStringInfoString(&from, " AND ");
	append_won_condition(&from, at, "w");
	appendStringInfoString(&from, " ORDER BY ");
	append_position(&from, at, "w", false);
	appendStringInfoString(&from, " LIMIT 1) AS f ON true");

	initStringInfo(&state);
	append_state_without_won(&state, at, "t", NULL);

	initStringInfo(&where);
	append_rows_after_key(&where, at, "t", kind);
	appendStringInfoString(&where, " AND (f.id IS NULL OR NOT ");
	append_after(&where, at, "t", "f.ob", "f.id");
	appendStringInfo(&where, ") AND (t.%s IS NULL OR t.%s OPERATOR(pg_catalog.<>) %s)",
					 at->state.name, at->state.name, state.data);

	parts.from = from.data;
	parts.state = state.data;
	parts.where = where.data;
	return skipping ? rewrite_skipping_sql(at, &parts) : rewrite_waiting_sql(at, &parts);
}

/*
 * Rewrite the orders of the clients of a set of PromotedClient from their
 * positions on, leaving out the clients that are recomputed whole (dirty):
 * promoted ones turn repeat after their new first won orders; a demoted one
 * (never more than one: of a statement of one row) loses repeat up to its
 * new first won order.
 */
static void
position_rewrites(AttachedTable *at, StatementFrame *frame, HTAB *set, bool demote)
{
	long		n = hash_get_num_entries(set);
	Oid			ob_type = at->ordered_by.typid;
	Oid			ob_array = OidIsValid(ob_type) ? get_array_type(ob_type) : InvalidOid;
	int16		ob_len;
	bool		ob_byval;
	char		ob_align;
	Datum	   *ids = palloc(sizeof(Datum) * n);
	Datum	   *tenants = palloc(sizeof(Datum) * n);
	Datum	   *obs = palloc(sizeof(Datum) * n);
	bool	   *ob_nulls = palloc(sizeof(bool) * n);
	Datum	   *order_ids = palloc(sizeof(Datum) * n);

	if (OidIsValid(ob_type))
	{
		/* attach accepts types with a default btree opclass: all have arrays */
		if (!OidIsValid(ob_array))
			elog(ERROR, "type %s has no array type", format_type_be(ob_type));
		get_typlenbyvalalign(ob_type, &ob_len, &ob_byval, &ob_align);
	}

	for (int k = 0; k < 2; k++)
	{
		ClientKind	kind = k == 0 ? CLIENT_COMPANY : CLIENT_CONTACT;
		HASH_SEQ_STATUS status;
		PromotedClient *p;
		int			count = 0;
		SPIPlanPtr *plans;
		Datum		args[4];
		char		nulls[4] = {' ', ' ', ' ', ' '};
		int			dims[1];
		int			lbs[1] = {1};

		hash_seq_init(&status, set);
		while ((p = hash_seq_search(&status)) != NULL)
		{
			if (p->key.kind != kind || statement_is_dirty(frame, &p->key))
				continue;
			ids[count] = Int64GetDatum(p->key.id);
			tenants[count] = p->key.tenant ? CStringGetTextDatum(p->key.tenant) : (Datum) 0;
			obs[count] = p->first_won.value;
			ob_nulls[count] = p->first_won.isnull;
			order_ids[count] = Int64GetDatum(p->first_won.id);
			count++;
		}
		if (count == 0)
			continue;
		if (demote && count != 1)
			elog(ERROR, "a statement of one row demoted %d clients", count);

		plans = demote ? at->demote_plan[k] : at->promote_plan[k][count == 1];
		for (int skipping = 0; skipping < 2; skipping++)
			if (plans[skipping] == NULL)
			{
				Oid			argtypes[4] = {INT8ARRAYOID, TEXTARRAYOID, INT8ARRAYOID,
				INT8ARRAYOID};
				char	   *sql = demote ? demote_sql(at, kind, skipping) :
					promote_sql(at, kind, skipping, count == 1);

				if (OidIsValid(ob_array))
					argtypes[2] = ob_array;

				plans[skipping] = count == 1 ?
					keep_one_key_plan(at, sql, 4, argtypes) : keep_plan(sql, 4, argtypes);
				pfree(sql);
			}
		client_args(at, ids, tenants, count, args, nulls);
		if (OidIsValid(ob_type))
		{
			dims[0] = count;
			args[2] = PointerGetDatum(construct_md_array(obs, ob_nulls, 1, dims, lbs,
														 ob_type, ob_len, ob_byval,
														 ob_align));
		}
		else
			nulls[2] = 'n';
		args[3] = PointerGetDatum(construct_array(order_ids, count, INT8OID, 8,
												  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		rewrite_rows(at, plans, args, nulls, count == 1);
	}
}

/*
 * A demotion is right only when no other row of the statement read or
 * changed the client's history: until the end, the look-ups of the first
 * won order cannot see the new one (it is still stored repeat).  In a
 * statement of more rows, the demoted clients are recomputed whole.
 */
static void
settle_demotions(StatementFrame *frame)
{
	HASH_SEQ_STATUS status;
	PromotedClient *p;

	if (frame->demoted == NULL || frame->rows_seen <= 1)
		return;
	hash_seq_init(&status, frame->demoted);
	while ((p = hash_seq_search(&status)) != NULL)
		statement_mark_dirty(frame, &p->key);
}

/*
 * The end of a statement on an orders table: after a contended statement
 * every client it touched is recomputed, under locks taken in order, and
 * so after a statement that did not insert every row its row trigger
 * classified (ON CONFLICT); otherwise only the dirty ones, and the later
 * orders of the promoted ones turn repeat.
 */
static void
orders_statement_end(TriggerData *trigdata, StatementFrame *frame)
{
	bool		contended = locks_settle(frame);
	bool		whole = contended || !statement_wrote_all_rows(frame, trigdata->tg_relation);
	HTAB	   *set;

	settle_demotions(frame);
	set = whole ? frame->touched : frame->dirty;
	if (set != NULL || frame->promoted != NULL || frame->demoted != NULL)
	{
		AttachedTable *at;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		at = trigger_table(trigdata, ATTACH_ORDERS);
		recompute_clients(at, set);
		if (frame->demoted != NULL && !whole)
			position_rewrites(at, frame, frame->demoted, true);
		if (frame->promoted != NULL && !whole)
			position_rewrites(at, frame, frame->promoted, false);
		SPI_finish();
	}
}

/*
 * BEFORE and AFTER ... FOR EACH STATEMENT on an attached orders table.
 */
Datum
order_statement_trigger(PG_FUNCTION_ARGS)
{
	return statement_trigger(fcinfo, "order_statement_trigger", orders_statement_end);
}

/*
 * AFTER TRUNCATE on a partition of an attached orders table: the orders of
 * the other partitions lost part of their clients' history.  As the table's
 * owner, like the other triggers (security.c).
 */
Datum
order_truncate_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	UserSwitch	us;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired for TRUNCATE", "order_truncate_trigger")));
	switch_to_owner(trigdata->tg_relation->rd_rel->relowner, false, &us);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	{
		AttachedTable *at = trigger_table(trigdata, ATTACH_ORDERS);

		if (at != NULL)
			orders_recompute_all(at);
	}
	SPI_finish();
	switch_back(&us);
	return PointerGetDatum(NULL);
}

/*
 * Recompute every order of the table, set-based: attach and reclassify.
 */
uint64
orders_recompute_all(AttachedTable *at)
{
	char	   *sql;
	uint64		changed;

	if (at->distributed && !at->on_shard)
		return orders_recompute_shards(at);
	sql = recompute_sql(at, CLIENT_NONE, false);
	changed = execute_recompute(at->sql_relid, NULL, sql, NULL, NULL);
	pfree(sql);
	return changed;
}

/*
 * Recompute every order of a distributed table from the coordinator: the
 * states that differ from the rules are cleared by one UPDATE that Citus
 * runs on every shard, where the triggers take a cleared state for an
 * unclassified row and recompute its client at the statement's end, in the
 * shard's own backend (a rewrite from here would reach the shards' triggers
 * as an application's UPDATE).  Returns the number of rows that differed.
 */
static uint64
orders_recompute_shards(AttachedTable *at)
{
	StringInfoData sql;
	UserSwitch	us;
	int			rc;

	sql.data = recompute_sql(at, CLIENT_NONE, true);
	switch_to_table_owner(at->sql_relid, true, &us);
	rc = SPI_execute(sql.data, false, 0);
	switch_back(&us);
	if (rc != SPI_OK_UPDATE)
		elog(ERROR, "could not recompute the states of \"%s\": %s",
			 get_rel_name(at->sql_relid), SPI_result_code_string(rc));
	pfree(sql.data);
	return SPI_processed;
}

/*
 * The rewrite of the orders whose lead is one of the given leads ($1 ids,
 * $2 tenants), after the leads' states changed.  Only orders that are not
 * repeat can change: between new and repeated inquiry.
 */
static void
lead_parts(AttachedTable *at, bool one, RewriteParts *parts)
{
	StringInfoData state;
	StringInfoData where;

	initStringInfo(&state);
	append_state_without_won(&state, at, "t", NULL);

	initStringInfo(&where);
	append_keys_filter(&where, at, "t", at->lead.name, one);
	appendStringInfoString(&where, " AND ");
	append_not_repeat(&where, psprintf("t.%s", at->state.name));
	appendStringInfoString(&where, " AND (");
	if (at->company.attnum != InvalidAttrNumber)
	{
		append_client_condition(&where, at, "t", CLIENT_COMPANY);
		appendStringInfoString(&where, " OR ");
	}
	if (at->contact.attnum != InvalidAttrNumber)
		append_client_condition(&where, at, "t", CLIENT_CONTACT);
	else
		appendStringInfoString(&where, "false");
	appendStringInfo(&where, ") AND (t.%s IS NULL OR t.%s OPERATOR(pg_catalog.<>) %s)",
					 at->state.name, at->state.name, state.data);

	parts->from = NULL;
	parts->state = state.data;
	parts->where = where.data;
}

/*
 * The kept rewrites of every order of some keys, $1 ids and $2 tenants:
 * clients of one kind (CLIENT_COMPANY, CLIENT_CONTACT) or leads (KEY_LEAD),
 * waiting for held rows and skipping them (rewrite.c).
 */
static SPIPlanPtr *
key_plans(AttachedTable *at, char key_kind, bool one)
{
	int			k = key_kind == CLIENT_COMPANY ? 0 : key_kind == CLIENT_CONTACT ? 1 : 2;
	SPIPlanPtr *plans = at->key_plan[k][one];

	for (int skipping = 0; skipping < 2; skipping++)
		if (plans[skipping] == NULL)
		{
			Oid			argtypes[2] = {INT8ARRAYOID, TEXTARRAYOID};
			RewriteParts parts;
			char	   *sql;

			if (key_kind == KEY_LEAD)
				lead_parts(at, one, &parts);
			else
				recompute_parts(at, (ClientKind) key_kind, false, one, &parts);
			sql = skipping ? rewrite_skipping_sql(at, &parts) : rewrite_waiting_sql(at, &parts);
			plans[skipping] = one ? keep_one_key_plan(at, sql, 2, argtypes) :
				keep_plan(sql, 2, argtypes);
			pfree(sql);
		}
	return plans;
}

/* Recompute the orders of count leads ($1 ids, $2 tenants) (rewrite.c) */
void
orders_recompute_leads(AttachedTable *at, Datum ids, Datum tenants, int count)
{
	Datum		args[2] = {ids, tenants};
	char		nulls[2] = {' ', tenants == (Datum) 0 ? 'n' : ' '};

	rewrite_rows(at, key_plans(at, KEY_LEAD, count == 1), args, nulls, count == 1);
}
