/*-------------------------------------------------------------------------
 *
 * attach.c
 *	  The C side of attaching: the ownership check, the set-based
 *	  classification of a whole table, and cache invalidation.
 *
 * The attach_* and detach functions themselves are written in SQL
 * (src/sql/30_attach.sql): they validate the mapping, add the columns,
 * indexes and triggers, and record the attachment, and call these.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"

#include "returning.h"

PG_FUNCTION_INFO_V1(returning_check_owner);
PG_FUNCTION_INFO_V1(returning_classify);
PG_FUNCTION_INFO_V1(returning_invalidate);
PG_FUNCTION_INFO_V1(returning_won_condition);

/*
 * _check_owner(regclass): the attach functions run as the extension's owner
 * (they write its configuration), so they check here that the role that
 * called them owns the table.
 */
Datum
returning_check_owner(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	char	   *name = get_rel_name(relid);

	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	if (!pg_class_ownercheck(relid, GetOuterUserId()))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be owner of table %s", name),
				 errdetail("Attaching and detaching change the table's columns, indexes and triggers.")));
	PG_RETURN_VOID();
}

/*
 * _classify(regclass): recompute the state of every row of an attached
 * table, set-based; returns the number of rows whose state changed.  Leads
 * are followed by their orders, whose repeated inquiries depend on them.
 */
Datum
returning_classify(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	AttachedTable *at;
	uint64		changed = 0;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	at = get_attached_table(relid, ATTACH_ANY);
	if (at->kind == ATTACH_LEADS)
	{
		changed = leads_recompute_all(at);
		if (OidIsValid(at->orders_relid))
			orders_recompute_all(get_attached_table(at->orders_relid, ATTACH_ORDERS));
	}
	else if (at->kind == ATTACH_ORDERS)
		changed = orders_recompute_all(at);
	SPI_finish();
	PG_RETURN_INT64((int64) changed);
}

/*
 * _invalidate(regclass): make every backend reload its description of the
 * table at its next use (after attach, detach and configuration changes).
 */
Datum
returning_invalidate(PG_FUNCTION_ARGS)
{
	CacheInvalidateRelcacheByRelid(PG_GETARG_OID(0));
	PG_RETURN_VOID();
}

/*
 * _won_condition(regclass): the predicate of the partial indexes on won
 * orders, the same text the look-ups use (positions.c).
 */
Datum
returning_won_condition(PG_FUNCTION_ARGS)
{
	AttachedTable *at = get_attached_table(PG_GETARG_OID(0), ATTACH_ORDERS);
	StringInfoData buf;

	initStringInfo(&buf);
	append_won_condition(&buf, at, NULL);
	PG_RETURN_TEXT_P(cstring_to_text(buf.data));
}
