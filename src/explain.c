/*-------------------------------------------------------------------------
 *
 * explain.c
 *	  returning_crm.explain(): why a row has its state.
 *
 * The answer is computed with the same SQL pieces as the triggers' own
 * statements (the client condition, the won condition and the position
 * order of positions.c and orders.c), so that it cannot disagree with them
 * silently: "consistent" says whether the stored state equals the rules
 * evaluated now.  The row and the facts are read with the caller's rights.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/builtins.h"

#include "config.h"
#include "orders.h"
#include "positions.h"
#include "returning.h"

PG_FUNCTION_INFO_V1(returning_explain);

/* What explain reads of the row itself */
typedef struct ExplainedRow
{
	char	   *state;
	char		client_kind;	/* 'o', 'c' or '\0' */
	int64		client_id;
	bool		has_lead;
	int64		lead_id;
	bool		routed;
	bool		success;		/* leads: a success status */
} ExplainedRow;

/*
 * The statements are kept in the table's description (freed with it) and
 * run with the caller's rights.
 */
enum
{
	EXPLAIN_ROW,
	EXPLAIN_FIRST_WON_COMPANY,
	EXPLAIN_FIRST_WON_CONTACT,
	EXPLAIN_LEAD
};

/* The row's state, client key, lead, routing mark and status ($1 id, $2 tenant) */
static SPIPlanPtr
row_plan(AttachedTable *at)
{
	StringInfoData sql;
	Oid			argtypes[2] = {INT8OID, TEXTOID};
	SPIPlanPtr	plan;

	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT t.%s::pg_catalog.text, ", at->state.name);
	append_client_key_exprs(&sql, at, "t");
	appendStringInfo(&sql, ", %s, %s, ",
					 at->lead.attnum != InvalidAttrNumber ?
					 psprintf("t.%s::pg_catalog.int8", at->lead.name) : "NULL::pg_catalog.int8",
					 at->routed.attnum != InvalidAttrNumber ?
					 psprintf("t.%s IS TRUE", at->routed.name) : "false");
	if (at->kind == ATTACH_LEADS)
		appendStringInfo(&sql, "t.%s", at->status.name);
	else
		appendStringInfoString(&sql, "NULL");
	appendStringInfo(&sql, " FROM %s t WHERE t.%s OPERATOR(pg_catalog.=) $1",
					 at->qualified_name, at->id.name);
	append_tenant_param(&sql, at, "t", 2);
	plan = keep_table_plan(at, sql.data, 2, argtypes);
	pfree(sql.data);
	return plan;
}

/* Read the row: its state, client, lead and routing mark ($1 id, $2 tenant) */
static bool
read_explained_row(AttachedTable *at, Datum *args, char *nulls, ExplainedRow *row)
{
	SPIPlanPtr *planp = &at->explain_plan[EXPLAIN_ROW];
	HeapTuple	tup;
	TupleDesc	desc;
	int			col = at->tenant.attnum != InvalidAttrNumber ? 2 : 1;
	char	   *v;

	if (*planp == NULL)
		*planp = row_plan(at);
	if (SPI_execute_plan(*planp, args, nulls, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the row to explain");
	if (SPI_processed == 0)
		return false;
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	row->state = SPI_getvalue(tup, desc, 1);
	/* the client key: [tenant,] kind, id */
	v = SPI_getvalue(tup, desc, col + 1);
	row->client_kind = v ? v[0] : '\0';
	v = SPI_getvalue(tup, desc, col + 2);
	row->client_id = v ? pg_strtoint64(v) : 0;
	v = SPI_getvalue(tup, desc, col + 3);
	row->has_lead = v != NULL;
	row->lead_id = v ? pg_strtoint64(v) : 0;
	v = SPI_getvalue(tup, desc, col + 4);
	row->routed = v && v[0] == 't';
	if (at->kind == ATTACH_LEADS)
	{
		bool		isnull;
		Datum		status = SPI_getbinval(tup, desc, col + 5, &isnull);

		row->success = status_in_list(at, status, isnull, &at->success);
	}
	else
		row->success = false;
	return true;
}

/*
 * The client's first won order positioned before the row ($1 the row's id,
 * $2 tenant, $3 the client): the won condition and the position order of
 * the triggers.
 */
static SPIPlanPtr
first_won_plan(AttachedTable *at, ClientKind kind)
{
	StringInfoData sql;
	Oid			argtypes[3] = {INT8OID, TEXTOID, INT8OID};
	SPIPlanPtr	plan;

	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT o.%s::pg_catalog.int8 FROM %s o, %s r"
					 " WHERE r.%s OPERATOR(pg_catalog.=) $1",
					 at->id.name, at->qualified_name, at->qualified_name, at->id.name);
	append_tenant_param(&sql, at, "r", 2);
	append_tenant_param(&sql, at, "o", 2);
	appendStringInfoString(&sql, " AND ");
	append_client_condition(&sql, at, "o", kind);
	appendStringInfo(&sql, " AND o.%s OPERATOR(pg_catalog.=) $3 AND ",
					 kind == CLIENT_COMPANY ? at->company.name : at->contact.name);
	append_won_condition(&sql, at, "o");
	appendStringInfoString(&sql, " AND ");
	append_row_after(&sql, at, "r", "o");
	appendStringInfoString(&sql, " ORDER BY ");
	append_position(&sql, at, "o", false);
	appendStringInfoString(&sql, " LIMIT 1");
	plan = keep_table_plan(at, sql.data, 3, argtypes);
	pfree(sql.data);
	return plan;
}

/* The client's first won order positioned before the row, or 0: rule 1 */
static int64
first_won_before(AttachedTable *at, const ExplainedRow *row, Datum *args, char *nulls)
{
	Datum		a[3] = {args[0], args[1], Int64GetDatum(row->client_id)};
	char		n[3] = {nulls[0], nulls[1], ' '};
	ClientKind	kind = row->client_kind == 'o' ? CLIENT_COMPANY : CLIENT_CONTACT;
	SPIPlanPtr *planp = &at->explain_plan[kind == CLIENT_COMPANY ?
										  EXPLAIN_FIRST_WON_COMPANY : EXPLAIN_FIRST_WON_CONTACT];
	char	   *v;

	if (*planp == NULL)
		*planp = first_won_plan(at, kind);
	if (SPI_execute_plan(*planp, a, n, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look up the won orders of the row's client");
	if (SPI_processed == 0)
		return 0;
	v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	return v ? pg_strtoint64(v) : 0;
}

/* The state of the order's lead, or NULL: rule 2 */
static char *
lead_state_of(AttachedTable *at, const ExplainedRow *row, Datum *args, char *nulls)
{
	Datum		a[2] = {Int64GetDatum(row->lead_id), args[1]};
	SPIPlanPtr *planp = &at->explain_plan[EXPLAIN_LEAD];

	if (!row->has_lead || !OidIsValid(at->leads_relid))
		return NULL;
	if (*planp == NULL)
	{
		AttachedTable *leads = partner_table(at);
		StringInfoData sql;
		Oid			argtypes[2] = {INT8OID, TEXTOID};

		initStringInfo(&sql);
		appendStringInfo(&sql, "SELECT l.%s::pg_catalog.text FROM %s l WHERE l.%s OPERATOR(pg_catalog.=) $1",
						 leads->state.name, leads->qualified_name, leads->id.name);
		append_tenant_param(&sql, leads, "l", 2);
		*planp = keep_table_plan(at, sql.data, 2, argtypes);
		pfree(sql.data);
	}
	if (SPI_execute_plan(*planp, a, nulls, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the order's lead");
	if (SPI_processed == 0)
		return NULL;
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
}

/*
 * explain(table_name regclass, id bigint, tenant text DEFAULT NULL,
 *	 OUT state text, OUT rule text, OUT client_kind text, OUT client_id bigint,
 *	 OUT first_won_order bigint, OUT lead_id bigint, OUT lead_state text,
 *	 OUT routed boolean, OUT consistent boolean)
 */
Datum
returning_explain(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	char	   *tenant = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	TupleDesc	resultdesc;
	AttachedTable *at;
	Datum		args[2];
	char		nulls[2] = {' ', tenant ? ' ' : 'n'};
	ExplainedRow row;
	Datum		values[9];
	bool		isnull[9] = {false, false, false, false, false, false, false, false, false};
	const char *computed;
	const char *rule;
	int64		first_won = 0;
	char	   *lead_state = NULL;
	MemoryContext caller = CurrentMemoryContext;
	HeapTuple	result;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("table and id must not be NULL")));
	if (get_call_result_type(fcinfo, NULL, &resultdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	at = get_attached_table(relid, ATTACH_ANY);
	if (at->kind != ATTACH_ORDERS && at->kind != ATTACH_LEADS)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("table %s is attached as contacts or companies, which have no state",
						at->qualified_name)));
	check_tenant_argument(at, tenant);
	args[0] = PG_GETARG_DATUM(1);
	args[1] = tenant ? CStringGetTextDatum(tenant) : (Datum) 0;
	if (!read_explained_row(at, args, nulls, &row))
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("table %s has no row with id " INT64_FORMAT "%s", at->qualified_name,
						DatumGetInt64(args[0]), tenant ? psprintf(" in tenant %s", tenant) : "")));

	if (at->kind == ATTACH_LEADS)
	{
		/* a converted lead keeps its state: both states fit its rule */
		rule = "lead";
		computed = row.client_kind ? STATE_NAME_REPEAT : STATE_NAME_NEW;
		values[8] = BoolGetDatum(row.state != NULL &&
								 (strcmp(row.state, computed) == 0 ||
								  (row.success && (strcmp(row.state, STATE_NAME_NEW) == 0 ||
												   strcmp(row.state, STATE_NAME_REPEAT) == 0))));
	}
	else
	{
		if (row.client_kind)
			first_won = first_won_before(at, &row, args, nulls);
		lead_state = lead_state_of(at, &row, args, nulls);
		if (!row.client_kind)
			rule = "3", computed = STATE_NAME_NEW;
		else if (first_won != 0)
			rule = "1", computed = STATE_NAME_REPEAT;
		else if (row.routed || (lead_state && strcmp(lead_state, STATE_NAME_REPEAT) == 0))
			rule = "2", computed = STATE_NAME_REPEATED_INQUIRY;
		else
			rule = "3", computed = STATE_NAME_NEW;
		values[8] = BoolGetDatum(row.state != NULL && strcmp(row.state, computed) == 0);
	}

	MemoryContextSwitchTo(caller);
	values[0] = row.state ? CStringGetTextDatum(row.state) : (Datum) 0;
	isnull[0] = row.state == NULL;
	values[1] = CStringGetTextDatum(rule);
	values[2] = row.client_kind ? CStringGetTextDatum(row.client_kind == 'o' ? "company" : "contact")
		: (Datum) 0;
	isnull[2] = !row.client_kind;
	values[3] = Int64GetDatum(row.client_id);
	isnull[3] = !row.client_kind;
	values[4] = Int64GetDatum(first_won);
	isnull[4] = first_won == 0;
	values[5] = Int64GetDatum(row.lead_id);
	isnull[5] = !row.has_lead;
	values[6] = lead_state ? CStringGetTextDatum(lead_state) : (Datum) 0;
	isnull[6] = lead_state == NULL;
	values[7] = BoolGetDatum(row.routed);
	result = heap_form_tuple(BlessTupleDesc(resultdesc), values, isnull);
	SPI_finish();
	PG_RETURN_DATUM(HeapTupleGetDatum(result));
}
