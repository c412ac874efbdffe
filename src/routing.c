/*-------------------------------------------------------------------------
 *
 * routing.c
 *	  Routing incoming inquiries (returning_crm.route_inquiry).
 *
 * An inquiry (an e-mail, a call, a web form, a chat) is routed in steps:
 * read the arguments, find the facts (the exception list, then under the
 * address lock the matching clients and leads, then under the client's
 * lock its open orders and repeat leads), decide (routing_decide.c, a pure
 * table of cases), apply (the inserts), log, return.
 *
 * Matching, ranking, exceptions and settings come from identity.c.  Rows
 * are created with plain INSERT statements run through SPI, with the
 * privileges of the caller, so that the application's defaults,
 * constraints and triggers apply and the extension's triggers classify the
 * rows.  Every inquiry is logged in returning_crm.inquiry; that INSERT runs
 * as the log's owner (callers get no privileges on it).  An order created
 * for a known client in lead-free mode has <prefix>returning_routed set,
 * which makes it a repeated inquiry by rule 2 (orders.c).
 *
 * Where the specification leaves room, routing does this:
 *	- Rows it creates get the mapped columns: the client, the tenant, the
 *	  status or stage new_status, the title (leads and orders; the name, else
 *	  the company title, else the e-mail, else the phone) or name (contacts),
 *	  and the first mapped e-mail and phone column (normalised when valid,
 *	  else as given; an array of one for text[] columns).  The payload's
 *	  values come after and win over the mapped data columns; the payload
 *	  may not name the client or tenant columns, generated columns or the
 *	  extension's state column, and an unknown key is an error (42703), on
 *	  every call, so that a bad payload is caught before it matters.  The
 *	  payload goes only into the lead or order, not into a contact.
 *	- The top-ranked client's open orders and open repeat leads are read
 *	  again after its lock: attached_to_order names all its open orders,
 *	  attached_to_lead its latest open repeat lead.  With no client, the
 *	  latest matching open lead (highest id), else with use_finished_lead
 *	  the latest matching closed one.
 *	- In lead-free mode leads are not looked at; new_order creates a
 *	  contact only when a contacts table is attached and the orders table
 *	  has a contact column, else an order without a client.
 *	- The function runs in the caller's transaction: any error (a bad
 *	  argument, an application constraint) rolls back everything it did,
 *	  the log line included, and reaches the caller with its SQLSTATE.
 *
 * Two inquiries from the same address must not both see "nobody known",
 * and two for one client must not both create a repeat lead.  Before it
 * looks anything up, routing therefore takes a transaction-level advisory
 * lock per normalised address (bucketed, like the client locks of locks.c,
 * and with the same tag in field 4), and once it knows the client, the
 * client lock of locks.c; it then reads with a snapshot taken after the
 * locks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "config.h"
#include "identity.h"
#include "locks.h"
#include "normalize.h"
#include "positions.h"
#include "returning.h"
#include "routing_decide.h"
#include "security.h"

PG_FUNCTION_INFO_V1(route_inquiry);

/*
 * Address locks share the advisory lock tag of locks.c (field 4) in a
 * space of their own (field 3, high half); locks.c uses spaces 1 and 2.
 */

/* Most columns one routed INSERT sets, payload included */
#define MAX_INSERT_COLUMNS	64

static const char *const channels[] = {"email", "call", "webform", "chat"};

/* One column of a routed INSERT: its value in text form, or NULL */
typedef struct InsertValue
{
	AttrNumber	attnum;
	const char *text;
} InsertValue;

/*
 * A kept statement of routing, by key: the INSERTs per table and set of
 * columns, and the look-ups per table.  "generation" is that of the
 * description the statement was made for; a reloaded description (another
 * generation, whatever its address) makes it again.
 */
typedef struct RoutingPlan
{
	char		key[NAMEDATALEN * 2];	/* hash key */
	uint32		generation;
	SPIPlanPtr	plan;
	FmgrInfo   *input;			/* INSERTs: input function per column */
	Oid		   *ioparam;
	int32	   *typmod;
} RoutingPlan;

static HTAB *routing_plans = NULL;
static MemoryContext routing_context = NULL;

/* An inquiry as given, its addresses normalised */
typedef struct Inquiry
{
	char	   *email;
	char	   *phone;
	char	   *name;
	char	   *company_title;
	char	   *channel;
	Jsonb	   *payload;
	char	   *tenant;
	char	   *workspace;
	char	   *email_norm;
	char	   *phone_norm;
} Inquiry;

/* The workspace an inquiry is routed in */
typedef struct Route
{
	AttachedTable *leads;
	AttachedTable *orders;
	AttachedTable *contacts;
	AttachedTable *companies;
	AttachedTable *target;		/* leads, or orders in lead-free mode */
	IdentitySettings settings;
	bool		lead_free;
	InsertValue values[MAX_INSERT_COLUMNS]; /* the payload's, then routing's */
	int			n_payload;
} Route;

/* What routing found, and then did */
typedef struct Outcome
{
	RoutingFacts facts;
	Decision	decision;
	ClientKey	client;			/* the top-ranked client, kind NONE: none */
	int64		lead_id;		/* 0: none */
	List	   *order_ids;		/* of int64 pointers, ascending */
	int64		contact_id;		/* the sides of the client, 0: none */
	int64		company_id;
	char	   *responsible;	/* text form, or NULL */
} Outcome;

/* Find, or make room for, a kept statement; NULL plan: make it */
static RoutingPlan *
routing_plan(AttachedTable *at, const char *key)
{
	RoutingPlan *entry;
	bool		found;

	if (routing_plans == NULL)
	{
		HASHCTL		ctl;

		routing_context = AllocSetContextCreate(TopMemoryContext,
												"returning routing",
												ALLOCSET_SMALL_SIZES);
		ctl.keysize = NAMEDATALEN * 2;
		ctl.entrysize = sizeof(RoutingPlan);
		ctl.hcxt = routing_context;
		routing_plans = hash_create("returning routing statements", 32, &ctl,
									HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	}
	entry = hash_search(routing_plans, key, HASH_ENTER, &found);
	if (!found)
	{
		entry->generation = 0;
		entry->plan = NULL;
		entry->input = NULL;
	}
	if (entry->plan != NULL && entry->generation != at->generation)
	{
		/* Made for an older description of the table */
		SPI_freeplan(entry->plan);
		entry->plan = NULL;
		if (entry->input)
		{
			pfree(entry->input);
			pfree(entry->ioparam);
			pfree(entry->typmod);
			entry->input = NULL;
		}
	}
	entry->generation = at->generation;
	return entry;
}

/*
 * Append "alias.status as text = ANY ('{...}')" for the closed values.  The
 * caller's look-ups read the column as text by its type's output function
 * (format), never by a cast, which the type's owner could have defined.
 */
static void
append_closed_condition(StringInfo buf, AttachedTable *at, const char *alias)
{
	StringInfoData list;
	ValueList	closed;

	closed.count = at->success.count + at->failure.count;
	closed.values = palloc(sizeof(char *) * Max(closed.count, 1));
	for (int i = 0; i < at->success.count; i++)
		closed.values[i] = at->success.values[i];
	for (int i = 0; i < at->failure.count; i++)
		closed.values[at->success.count + i] = at->failure.values[i];
	initStringInfo(&list);
	append_array_literal(&list, &closed);
	pfree(closed.values);
	appendStringInfo(buf, "pg_catalog.format('%%s', %s.%s) OPERATOR(pg_catalog.=) ANY (%s::pg_catalog.text[])",
					 alias, at->status.name, quote_literal_cstr(list.data));
	pfree(list.data);
}

static const MappedColumn *
client_column(AttachedTable *at, ClientKind kind)
{
	return kind == CLIENT_COMPANY ? &at->company : &at->contact;
}

/* "alias.responsible" as text (by its output function, as above), or NULL */
static void
append_responsible(StringInfo buf, AttachedTable *at, const char *alias)
{
	if (at->responsible.attnum != InvalidAttrNumber)
		appendStringInfo(buf, "CASE WHEN %s.%s IS NOT NULL THEN pg_catalog.format('%%s', %s.%s) END",
						 alias, at->responsible.name, alias, at->responsible.name);
	else
		appendStringInfoString(buf, "NULL::pg_catalog.text");
}

static int
int64_ptr_cmp(const ListCell *a, const ListCell *b)
{
	int64		x = *(int64 *) lfirst(a);
	int64		y = *(int64 *) lfirst(b);

	return (x > y) - (x < y);
}

/*
 * The open rows of a leads or orders table that are the client's for
 * routing (append_routing_client_filter): for orders all of them, by id,
 * with *responsible that of the latest by position; for leads the latest
 * open repeat lead and its responsible.
 */
static List *
open_rows_of_client(AttachedTable *at, const ClientKey *client, char **responsible)
{
	RoutingPlan *entry;
	char		key[NAMEDATALEN * 2];
	Datum		args[2];
	char		nulls[2] = {' ', ' '};
	List	   *ids = NIL;
	MemoryContext caller = CurrentMemoryContext;

	*responsible = NULL;
	if (client_column(at, client->kind)->attnum == InvalidAttrNumber)
		return NIL;

	snprintf(key, sizeof(key), "open:%u:%c", at->relid, (char) client->kind);
	entry = routing_plan(at, key);
	if (entry->plan == NULL)
	{
		StringInfoData sql;
		Oid			argtypes[2] = {INT8OID, TEXTOID};

		initStringInfo(&sql);
		appendStringInfo(&sql, "SELECT o.%s::pg_catalog.int8, ", at->id.name);
		append_responsible(&sql, at, "o");
		appendStringInfo(&sql, " FROM %s o WHERE ", at->qualified_name);
		append_routing_client_filter(&sql, at, "o", client->kind, 1);
		append_tenant_param(&sql, at, "o", 2);
		appendStringInfoString(&sql, " AND (");
		append_closed_condition(&sql, at, "o");
		appendStringInfoString(&sql, ") IS NOT TRUE");
		if (at->kind == ATTACH_LEADS)
			appendStringInfo(&sql, " AND o.%s OPERATOR(pg_catalog.=) '" STATE_NAME_REPEAT "'"
							 " ORDER BY o.%s DESC LIMIT 1",
							 at->state.name, at->id.name);
		else
		{
			appendStringInfoString(&sql, " ORDER BY ");
			append_position(&sql, at, "o", false);
		}
		entry->plan = keep_table_plan(at, sql.data, 2, argtypes);
		pfree(sql.data);
	}

	client_params(client, args, nulls);
	if (execute_history_plan(entry->plan, args, nulls, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not look up the open rows of a client");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		int64	   *id = MemoryContextAlloc(caller, sizeof(int64));
		Datum		r;

		*id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i],
										  SPI_tuptable->tupdesc, 1, &isnull));
		ids = lappend(ids, id);
		/* the latest by position: the last row */
		r = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull);
		*responsible = isnull ? NULL : MemoryContextStrdup(caller, TextDatumGetCString(r));
	}
	list_sort(ids, int64_ptr_cmp);
	return ids;
}

/*
 * One row of an attached table by id ($1) and tenant ($2): its responsible
 * and, for a contact, the company it works for (company_column), or 0.
 * Returns false when there is no such row the caller may see.
 */
static bool
read_row(AttachedTable *at, int64 id, const char *tenant, char **responsible,
		 int64 *company_id)
{
	RoutingPlan *entry;
	char		key[NAMEDATALEN * 2];
	Datum		args[2];
	char		nulls[2] = {' ', tenant ? ' ' : 'n'};
	MemoryContext caller = CurrentMemoryContext;
	bool		isnull;
	Datum		v;

	*responsible = NULL;
	*company_id = 0;
	snprintf(key, sizeof(key), "row:%u", at->relid);
	entry = routing_plan(at, key);
	if (entry->plan == NULL)
	{
		StringInfoData sql;
		Oid			argtypes[2] = {INT8OID, TEXTOID};
		bool		works_for = at->kind == ATTACH_CONTACTS &&
			at->company.attnum != InvalidAttrNumber;

		initStringInfo(&sql);
		appendStringInfoString(&sql, "SELECT ");
		append_responsible(&sql, at, "t");
		if (works_for)
			appendStringInfo(&sql, ", t.%s::pg_catalog.int8", at->company.name);
		else
			appendStringInfoString(&sql, ", NULL::pg_catalog.int8");
		appendStringInfo(&sql, " FROM %s t WHERE t.%s OPERATOR(pg_catalog.=) $1",
						 at->qualified_name, at->id.name);
		append_tenant_param(&sql, at, "t", 2);
		entry->plan = keep_table_plan(at, sql.data, 2, argtypes);
		pfree(sql.data);
	}
	args[0] = Int64GetDatum(id);
	args[1] = tenant ? CStringGetTextDatum(tenant) : (Datum) 0;
	if (execute_history_plan(entry->plan, args, nulls, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read a row of \"%s\"", get_rel_name(at->relid));
	if (SPI_processed == 0)
		return false;
	v = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (!isnull)
		*responsible = MemoryContextStrdup(caller, TextDatumGetCString(v));
	v = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
	if (!isnull)
		*company_id = DatumGetInt64(v);
	return true;
}

/*
 * SQL: "one of the e-mail (or phone) columns of lead l holds the normalised
 * value $n", written with the expressions of the matching indexes that
 * attach creates (40_identity.sql, _identity_expr), so that each column is
 * an index probe.  text[] columns match when any element does.
 */
static void
append_address_match(StringInfo buf, AttachedTable *at, bool phone, int param,
					 const char *region)
{
	int			n = phone ? at->n_phone : at->n_email;
	MappedColumn *cols = phone ? at->phone : at->email;

	appendStringInfoChar(buf, '(');
	for (int i = 0; i < n; i++)
	{
		bool		is_array = get_element_type(cols[i].typid) != InvalidOid;

		if (i > 0)
			appendStringInfoString(buf, " OR ");
		appendStringInfo(buf, "returning_crm.normalize_%s%s(l.%s",
						 phone ? "phone" : "email", is_array ? "s" : "", cols[i].name);
		if (phone && region)
			appendStringInfo(buf, ", %s", quote_literal_cstr(region));
		if (is_array)
			appendStringInfo(buf, ") OPERATOR(pg_catalog.@>) ARRAY[$%d]", param);
		else
			appendStringInfo(buf, ") OPERATOR(pg_catalog.=) $%d", param);
	}
	if (n == 0)
		appendStringInfoString(buf, "false");
	appendStringInfoChar(buf, ')');
}

/*
 * use_finished_lead: the latest closed lead with this e-mail address or
 * phone number, or 0.
 */
static int64
latest_closed_lead(AttachedTable *at, const char *tenant, const char *email,
				   const char *phone, const char *region)
{
	RoutingPlan *entry;
	char		key[NAMEDATALEN * 2];
	Datum		args[3];
	char		nulls[3] = {' ', ' ', ' '};
	int64		result = 0;

	snprintf(key, sizeof(key), "closed:%u:%s", at->relid, region ? region : "");
	entry = routing_plan(at, key);
	if (entry->plan == NULL)
	{
		StringInfoData sql;
		Oid			argtypes[3] = {TEXTOID, TEXTOID, TEXTOID};

		initStringInfo(&sql);
		appendStringInfo(&sql, "SELECT l.%s::pg_catalog.int8 FROM %s l WHERE ",
						 at->id.name, at->qualified_name);
		append_closed_condition(&sql, at, "l");
		append_tenant_param(&sql, at, "l", 3);
		appendStringInfoString(&sql, " AND (");
		append_address_match(&sql, at, false, 1, region);
		appendStringInfoString(&sql, " OR ");
		append_address_match(&sql, at, true, 2, region);
		appendStringInfo(&sql, ") ORDER BY l.%s DESC LIMIT 1", at->id.name);
		entry->plan = keep_table_plan(at, sql.data, 3, argtypes);
		pfree(sql.data);
	}
	if (email)
		args[0] = CStringGetTextDatum(email);
	else
		nulls[0] = 'n';
	if (phone)
		args[1] = CStringGetTextDatum(phone);
	else
		nulls[1] = 'n';
	if (tenant)
		args[2] = CStringGetTextDatum(tenant);
	else
		nulls[2] = 'n';
	if (execute_history_plan(entry->plan, args, nulls, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look up the closed leads of an address");
	if (SPI_processed > 0)
	{
		bool		isnull;

		result = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
											 SPI_tuptable->tupdesc, 1, &isnull));
	}
	return result;
}

/*
 * Insert one row into an attached table with the given columns and return
 * its id.  The values are in text form and go through the input function
 * of each column's type; the statement is kept per table and column set.
 */
static int64
insert_row(AttachedTable *at, InsertValue *values, int n)
{
	StringInfoData key;
	RoutingPlan *entry;
	Datum		args[MAX_INSERT_COLUMNS];
	char		nulls[MAX_INSERT_COLUMNS];
	bool		isnull;
	int64		id;

	initStringInfo(&key);
	appendStringInfo(&key, "insert:%u", at->relid);
	for (int i = 0; i < n; i++)
		appendStringInfo(&key, ",%d", values[i].attnum);
	if (key.len >= NAMEDATALEN * 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many columns in an inquiry's payload")));

	entry = routing_plan(at, key.data);
	if (entry->plan == NULL)
	{
		StringInfoData sql;
		StringInfoData vals;
		Oid			argtypes[MAX_INSERT_COLUMNS];
		MemoryContext old;

		old = MemoryContextSwitchTo(routing_context);
		entry->input = palloc0(sizeof(FmgrInfo) * Max(n, 1));
		entry->ioparam = palloc0(sizeof(Oid) * Max(n, 1));
		entry->typmod = palloc0(sizeof(int32) * Max(n, 1));
		MemoryContextSwitchTo(old);

		initStringInfo(&sql);
		initStringInfo(&vals);
		appendStringInfo(&sql, "INSERT INTO %s ", at->qualified_name);
		for (int i = 0; i < n; i++)
		{
			Oid			collation;
			Oid			infunc;

			get_atttypetypmodcoll(at->relid, values[i].attnum, &argtypes[i],
								  &entry->typmod[i], &collation);
			getTypeInputInfo(argtypes[i], &infunc, &entry->ioparam[i]);
			fmgr_info_cxt(infunc, &entry->input[i], routing_context);
			appendStringInfo(&sql, "%s%s", i == 0 ? "(" : ", ",
							 quote_identifier(get_attname(at->relid, values[i].attnum, false)));
			appendStringInfo(&vals, "%s$%d", i == 0 ? "" : ", ", i + 1);
		}
		if (n == 0)
			appendStringInfoString(&sql, "DEFAULT VALUES");
		else
			appendStringInfo(&sql, ") VALUES (%s)", vals.data);
		appendStringInfo(&sql, " RETURNING %s::pg_catalog.int8", at->id.name);
		entry->plan = keep_table_plan(at, sql.data, n, argtypes);
		pfree(sql.data);
		pfree(vals.data);
	}

	for (int i = 0; i < n; i++)
	{
		args[i] = InputFunctionCall(&entry->input[i], (char *) values[i].text,
									entry->ioparam[i], entry->typmod[i]);
		nulls[i] = values[i].text == NULL ? 'n' : ' ';
	}
	/*
	 * No row limit: with one, the executor would stop after the RETURNING
	 * row, before the table's statement triggers at the end of the INSERT.
	 */
	if (SPI_execute_plan(entry->plan, args, nulls, false, 0) != SPI_OK_INSERT_RETURNING ||
		SPI_processed != 1)
		elog(ERROR, "could not insert into \"%s\"", get_rel_name(at->relid));
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
									 1, &isnull));
	pfree(key.data);
	return id;
}

/* Add a column to a routed INSERT, unless the payload sets it */
static void
add_value(InsertValue *values, int *n, int payload_from, AttrNumber attnum,
		  const char *text)
{
	if (attnum == InvalidAttrNumber)
		return;
	for (int i = payload_from; i < *n; i++)
		if (values[i].attnum == attnum)
			return;
	if (*n >= MAX_INSERT_COLUMNS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many columns in an inquiry's payload")));
	values[*n].attnum = attnum;
	values[*n].text = text;
	(*n)++;
}

/* The text form of a value for an e-mail or phone column: text or text[] */
static const char *
address_value(const MappedColumn *col, const char *value)
{
	StringInfoData buf;

	if (value == NULL || get_element_type(col->typid) == InvalidOid)
		return value;
	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"");
	for (const char *v = value; *v; v++)
	{
		if (*v == '"' || *v == '\\')
			appendStringInfoChar(&buf, '\\');
		appendStringInfoChar(&buf, *v);
	}
	appendStringInfoString(&buf, "\"}");
	return buf.data;
}

/* Add the first mapped e-mail and phone columns of a table */
static void
add_address_values(InsertValue *values, int *n, AttachedTable *at,
				   const char *email, const char *phone)
{
	if (at->n_email > 0)
		add_value(values, n, 0, at->email[0].attnum, address_value(&at->email[0], email));
	if (at->n_phone > 0)
		add_value(values, n, 0, at->phone[0].attnum, address_value(&at->phone[0], phone));
}

/*
 * The columns of the payload, checked against the table they go into:
 * every key must name a real column that the application writes (not a
 * system, dropped or generated column, not the extension's state column,
 * not a client column).  Values in text form: JSON strings as they are,
 * numbers and booleans in their JSON spelling, objects and arrays as JSON
 * text, JSON null as SQL NULL.
 */
static int
payload_values(AttachedTable *at, Jsonb *payload, InsertValue *values)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			n = 0;
	char	   *key = NULL;

	if (payload == NULL)
		return 0;
	if (!JB_ROOT_IS_OBJECT(payload) || JB_ROOT_IS_SCALAR(payload))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("payload must be a JSON object"),
				 errdetail("Its keys are column names of the table that routing inserts into.")));

	it = JsonbIteratorInit(&payload->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			AttrNumber	attnum;

			key = pnstrdup(v.val.string.val, v.val.string.len);
			attnum = get_attnum(at->relid, key);
			if (attnum <= 0)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_COLUMN),
						 errmsg("column \"%s\" of table \"%s\" does not exist", key,
								get_rel_name(at->relid)),
						 errdetail("The payload of an inquiry names columns of the table that routing inserts into.")));
			if (get_attgenerated(at->relid, attnum) != '\0' || attnum == at->state.attnum ||
				attnum == at->routed.attnum)
				ereport(ERROR,
						(errcode(ERRCODE_GENERATED_ALWAYS),
						 errmsg("column \"%s\" of table \"%s\" cannot be set by an inquiry's payload",
								key, get_rel_name(at->relid)),
						 errdetail("It is a generated column or is kept by the returning extension.")));
			if (attnum == at->contact.attnum || attnum == at->company.attnum ||
				attnum == at->tenant.attnum)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("column \"%s\" of table \"%s\" cannot be set by an inquiry's payload",
								key, get_rel_name(at->relid)),
						 errdetail("Routing sets the client and tenant columns itself.")));
			if (n >= MAX_INSERT_COLUMNS - 8)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("too many columns in an inquiry's payload")));
			values[n].attnum = attnum;
			values[n].text = NULL;
		}
		else if (tok == WJB_VALUE)
		{
			switch (v.type)
			{
				case jbvNull:
					values[n].text = NULL;
					break;
				case jbvString:
					values[n].text = pnstrdup(v.val.string.val, v.val.string.len);
					break;
				case jbvNumeric:
					values[n].text = DatumGetCString(DirectFunctionCall1(numeric_out,
																		 NumericGetDatum(v.val.numeric)));
					break;
				case jbvBool:
					values[n].text = v.val.boolean ? "true" : "false";
					break;
				case jbvBinary:
					values[n].text = JsonbToCString(NULL, v.val.binary.data, v.val.binary.len);
					break;
				default:
					elog(ERROR, "unexpected jsonb value type %d", (int) v.type);
			}
			n++;
		}
	}
	return n;
}

/* The first non-empty of the given strings, or NULL */
static const char *
first_of(const char *a, const char *b, const char *c, const char *d)
{
	if (a && *a)
		return a;
	if (b && *b)
		return b;
	if (c && *c)
		return c;
	if (d && *d)
		return d;
	return NULL;
}

/*
 * The columns routing sets on a lead or order it creates, unless the
 * payload sets them: tenant, status, title and the first mapped e-mail and
 * phone columns.
 */
static void
add_inquiry_values(InsertValue *values, int *n, AttachedTable *target,
				   const char *tenant, const char *title, const char *email,
				   const char *phone)
{
	add_value(values, n, 0, target->tenant.attnum, tenant);
	add_value(values, n, 0, target->status.attnum, target->new_status);
	add_value(values, n, 0, target->title.attnum, title);
	add_address_values(values, n, target, email, phone);
}

/*
 * Run a statement on the extension's own tables as their owner: callers
 * have no privileges on them (security.c).
 */
static void
execute_as_owner(SPIPlanPtr plan, Datum *args, const char *nulls, int expected)
{
	UserSwitch	us;
	int			rc;

	switch_to_config_owner(&us);
	rc = SPI_execute_plan(plan, args, nulls, false, 0);
	switch_back(&us);
	if (rc != expected)
		elog(ERROR, "could not write the inquiry log: %s", SPI_result_code_string(rc));
}

/*
 * Lock the normalised addresses of an inquiry (transaction-level, bucketed),
 * in ascending bucket order so that two inquiries never wait for each other
 * in a cycle.
 */
static void
lock_addresses(AttachedTable *target, const char *tenant, const char *email,
			   const char *phone)
{
	uint32		buckets[2];
	int			n = 0;
	const char *addresses[2] = {email, phone};

	for (int i = 0; i < 2; i++)
	{
		uint32		h;

		if (addresses[i] == NULL)
			continue;
		h = hash_bytes((const unsigned char *) addresses[i], strlen(addresses[i]));
		h = hash_combine(h, (uint32) i);
		if (tenant)
			h = hash_combine(h, hash_bytes((const unsigned char *) tenant, strlen(tenant)));
		buckets[n++] = h % ADDRESS_BUCKETS;
	}
	if (n == 2 && buckets[0] > buckets[1])
	{
		uint32		t = buckets[0];

		buckets[0] = buckets[1];
		buckets[1] = t;
	}
	for (int i = 0; i < n; i++)
	{
		if (i == 1 && buckets[1] == buckets[0])
			break;
		lock_bucket(target, tenant, LOCK_SPACE_ADDRESS, buckets[i]);
	}
}

/*
 * Replace the active snapshot with one taken now (after a lock wait): the
 * latest one under REPEATABLE READ, as the triggers read (history_snapshot)
 */
static void
refresh_snapshot(bool pop)
{
	Snapshot	snapshot;

	if (pop)
		PopActiveSnapshot();
	CommandCounterIncrement();
	snapshot = history_snapshot();
	PushActiveSnapshot(snapshot != InvalidSnapshot ? snapshot : GetTransactionSnapshot());
}

static char *
text_arg(FunctionCallInfo fcinfo, int n)
{
	return PG_ARGISNULL(n) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(n));
}

/* The arguments of route_inquiry(), checked */
static void
read_arguments(FunctionCallInfo fcinfo, Inquiry *inq)
{
	bool		known_channel = false;

	inq->email = text_arg(fcinfo, 0);
	inq->phone = text_arg(fcinfo, 1);
	inq->name = text_arg(fcinfo, 2);
	inq->company_title = text_arg(fcinfo, 3);
	inq->channel = text_arg(fcinfo, 4);
	inq->payload = PG_ARGISNULL(5) ? NULL : PG_GETARG_JSONB_P(5);
	inq->tenant = text_arg(fcinfo, 6);
	inq->workspace = text_arg(fcinfo, 7);
	if (inq->channel != NULL)
		for (int i = 0; i < lengthof(channels); i++)
			if (strcmp(inq->channel, channels[i]) == 0)
				known_channel = true;
	if (!known_channel)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid inquiry channel \"%s\"", inq->channel ? inq->channel : "NULL"),
				 errhint("Use one of email, call, webform or chat.")));
	if (inq->workspace == NULL || *inq->workspace == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("workspace must not be empty")));
}

/*
 * The workspace's tables and settings, the table rows would go into, the
 * payload checked against it, and the normalised addresses.  Connected to
 * SPI.
 */
static void
load_route(Inquiry *inq, Route *r)
{
	r->leads = find_attached_table(inq->workspace, ATTACH_LEADS);
	r->orders = find_attached_table(inq->workspace, ATTACH_ORDERS);
	r->contacts = find_attached_table(inq->workspace, ATTACH_CONTACTS);
	r->companies = find_attached_table(inq->workspace, ATTACH_COMPANIES);
	r->settings = identity_settings(inq->workspace);
	r->lead_free = r->leads == NULL || !r->settings.leads_enabled;
	r->target = r->lead_free ? r->orders : r->leads;
	if (r->target == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("workspace \"%s\" has no table to route inquiries to", inq->workspace),
				 errdetail(r->leads == NULL ? "It has neither a leads nor an orders table."
						   : "Leads are disabled in it, and it has no orders table."),
				 errhint("Attach a table with returning_crm.attach_leads() or returning_crm.attach_orders().")));
	check_tenant_argument(r->target, inq->tenant);

	/* The payload goes into the lead or order routing would insert */
	r->n_payload = payload_values(r->target, inq->payload, r->values);

	inq->email_norm = inq->email ? normalize_email_cstr(inq->email, strlen(inq->email)) : NULL;
	inq->phone_norm = inq->phone ?
		normalize_phone_cstr(inq->phone, strlen(inq->phone), r->settings.default_region) : NULL;
}

/*
 * Both sides of the top-ranked client, for the rows routing creates or
 * binds: a contact and the company it works for (by the contacts'
 * company_column), or a company and the best-ranked matched contact that
 * works for it.  Also the client's responsible, else its company's.
 */
static void
find_sides(Route *r, Inquiry *inq, List *ranked, Outcome *out)
{
	char	   *responsible = NULL;
	int64		works_for = 0;
	ListCell   *lc;

	if (out->client.kind == CLIENT_CONTACT)
	{
		out->contact_id = out->client.id;
		if (r->contacts != NULL)
			(void) read_row(r->contacts, out->contact_id, inq->tenant, &responsible,
							&works_for);
		out->company_id = works_for;
		if (responsible == NULL && works_for != 0 && r->companies != NULL)
		{
			int64		unused;

			(void) read_row(r->companies, works_for, inq->tenant, &responsible, &unused);
		}
	}
	else
	{
		out->company_id = out->client.id;
		if (r->companies != NULL)
		{
			int64		unused;

			(void) read_row(r->companies, out->company_id, inq->tenant, &responsible,
							&unused);
		}
		if (r->contacts != NULL && r->contacts->company.attnum != InvalidAttrNumber)
			foreach(lc, ranked)
			{
				IdentityMatch *m = lfirst(lc);
				char	   *unused;

				if (m->entity != IDENTITY_CONTACT)
					continue;
				if (read_row(r->contacts, m->id, inq->tenant, &unused, &works_for) &&
					works_for == out->company_id)
				{
					out->contact_id = m->id;
					break;
				}
			}
	}
	out->responsible = responsible;
}

/*
 * The facts about a known client (the top-ranked one): its sides, its open
 * orders and open repeat leads, read after its lock.
 */
static void
find_client_facts(Route *r, Inquiry *inq, List *ranked, Outcome *out)
{
	IdentityMatch *top = linitial(ranked);
	char	   *responsible;
	ClientKey	company;

	out->facts.client = true;
	out->client.kind = top->entity == IDENTITY_COMPANY ? CLIENT_COMPANY : CLIENT_CONTACT;
	out->client.id = top->id;
	out->client.tenant = inq->tenant;

	/*
	 * Serialise on the client, and on the company a contact works for, whose
	 * client a created row becomes (always contact before company: no cycle);
	 * then look at the rows once more.
	 */
	lock_client(r->target, &out->client);
	find_sides(r, inq, ranked, out);
	if (out->client.kind == CLIENT_CONTACT && out->company_id != 0)
	{
		company.kind = CLIENT_COMPANY;
		company.id = out->company_id;
		company.tenant = inq->tenant;
		lock_client(r->target, &company);
	}
	refresh_snapshot(true);

	/* the responsible of what it is bound to, else the client's (find_sides) */
	if (r->orders)
		out->order_ids = open_rows_of_client(r->orders, &out->client, &responsible);
	out->facts.client_open_orders = out->order_ids != NIL;
	if (out->order_ids != NIL)
	{
		if (responsible != NULL)
			out->responsible = responsible;
	}
	else if (!r->lead_free)
	{
		List	   *leads = open_rows_of_client(r->leads, &out->client, &responsible);

		out->facts.client_open_repeat_leads = leads != NIL;
		if (leads != NIL)
		{
			out->lead_id = *(int64 *) linitial(leads);
			if (responsible != NULL)
				out->responsible = responsible;
		}
	}
}

/* No client: the latest matching open lead, or with use_finished_lead a closed one */
static void
find_lead_facts(Route *r, Inquiry *inq, List *matches, Outcome *out)
{
	ListCell   *lc;
	int64		unused;

	if (r->lead_free)
		return;
	foreach(lc, matches)
	{
		IdentityMatch *m = lfirst(lc);

		if (m->entity == IDENTITY_LEAD && m->id > out->lead_id)
			out->lead_id = m->id;
	}
	out->facts.open_lead = out->lead_id != 0;
	if (routing_needs_closed_lead(&out->facts) && (inq->email_norm || inq->phone_norm))
	{
		out->lead_id = latest_closed_lead(r->leads, inq->tenant, inq->email_norm,
										  inq->phone_norm, r->settings.default_region);
		out->facts.closed_lead = out->lead_id != 0;
	}
	if (out->lead_id != 0)
		(void) read_row(r->leads, out->lead_id, inq->tenant, &out->responsible, &unused);
}

/*
 * Everything routing must know to decide: the exception list first (for
 * email and call), then, under the address locks, the matching clients and
 * leads.  Leaves a snapshot pushed when it got past the exception list.
 */
static bool
find_facts(Route *r, Inquiry *inq, Outcome *out)
{
	List	   *matches;
	List	   *ranked;

	out->facts.checked_channel = strcmp(inq->channel, "email") == 0 ||
		strcmp(inq->channel, "call") == 0;
	out->facts.lead_free = r->lead_free;
	out->facts.repeat_sales = r->settings.repeat_sales;
	out->facts.use_finished_lead = r->settings.use_finished_lead;
	if (out->facts.checked_channel && (inq->email_norm || inq->phone_norm))
		out->facts.listed = identity_is_excluded(inq->workspace, inq->tenant,
												 inq->email_norm, inq->phone_norm);
	if (out->facts.checked_channel && out->facts.listed)
		return false;

	/* Serialise on the addresses, then read what is committed now */
	lock_addresses(r->target, inq->tenant, inq->email_norm, inq->phone_norm);
	refresh_snapshot(false);
	matches = (inq->email_norm || inq->phone_norm) ?
		identity_find(inq->workspace, inq->tenant, inq->email_norm, inq->phone_norm) : NIL;
	ranked = matches != NIL ? identity_rank_clients(inq->workspace, inq->tenant, matches) : NIL;
	if (ranked != NIL)
		find_client_facts(r, inq, ranked, out);
	else
		find_lead_facts(r, inq, matches, out);
	return true;
}

/* Add a column with an id value to a routed INSERT */
static void
add_id_value(InsertValue *values, int *n, const MappedColumn *col, int64 id)
{
	if (id != 0)
		add_value(values, n, 0, col->attnum, psprintf(INT64_FORMAT, id));
}

/*
 * Insert the lead or order of a known client: both of its sides, and its
 * responsible.
 */
static void
insert_for_client(Route *r, Inquiry *inq, Outcome *out)
{
	AttachedTable *t = r->target;
	int			n = r->n_payload;
	const MappedColumn *col = client_column(t, out->client.kind);

	if (col->attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table %s has no %s column", t->qualified_name,
						out->client.kind == CLIENT_COMPANY ? "company" : "contact"),
				 errdetail("The inquiry belongs to a known %s.",
						   out->client.kind == CLIENT_COMPANY ? "company" : "contact")));
	add_id_value(r->values, &n, &t->company, out->company_id);
	add_id_value(r->values, &n, &t->contact, out->contact_id);
	add_value(r->values, &n, 0, t->responsible.attnum, out->responsible);
	add_inquiry_values(r->values, &n, t, inq->tenant,
					   first_of(inq->name, inq->company_title, inq->email, inq->phone),
					   inq->email_norm ? inq->email_norm : inq->email,
					   inq->phone_norm ? inq->phone_norm : inq->phone);
	if (out->decision == DECISION_REPEAT_ORDER)
	{
		int64	   *id = palloc(sizeof(int64));

		/* the order trigger classifies it as from a repeat lead (rule 2) */
		add_value(r->values, &n, 0, t->routed.attnum, "true");
		*id = insert_row(t, r->values, n);
		out->order_ids = list_make1(id);
	}
	else
		out->lead_id = insert_row(t, r->values, n);
}

/* Insert a new lead, or in lead-free mode a contact and an order */
static void
insert_for_nobody(Route *r, Inquiry *inq, Outcome *out)
{
	AttachedTable *t = r->target;
	int			n = r->n_payload;

	if (r->lead_free && r->contacts != NULL && t->contact.attnum != InvalidAttrNumber)
	{
		InsertValue cv[8];
		int			cn = 0;

		check_tenant_argument(r->contacts, inq->tenant);
		add_value(cv, &cn, 0, r->contacts->tenant.attnum, inq->tenant);
		add_value(cv, &cn, 0, r->contacts->name.attnum,
				  first_of(inq->name, inq->email, inq->phone, inq->company_title));
		add_address_values(cv, &cn, r->contacts,
						   inq->email_norm ? inq->email_norm : inq->email,
						   inq->phone_norm ? inq->phone_norm : inq->phone);
		out->contact_id = insert_row(r->contacts, cv, cn);
		add_id_value(r->values, &n, &t->contact, out->contact_id);
	}
	add_inquiry_values(r->values, &n, t, inq->tenant,
					   first_of(inq->name, inq->company_title, inq->email, inq->phone),
					   inq->email_norm ? inq->email_norm : inq->email,
					   inq->phone_norm ? inq->phone_norm : inq->phone);
	if (r->lead_free)
	{
		int64	   *id = palloc(sizeof(int64));

		*id = insert_row(t, r->values, n);
		out->order_ids = list_make1(id);
	}
	else
		out->lead_id = insert_row(t, r->values, n);
}

/* Carry out the decision: the rows it creates */
static void
apply_decision(Route *r, Inquiry *inq, Outcome *out)
{
	switch (out->decision)
	{
		case DECISION_REPEAT_ORDER:
		case DECISION_REPEAT_LEAD:
			insert_for_client(r, inq, out);
			break;
		case DECISION_NEW_LEAD:
		case DECISION_NEW_ORDER:
			insert_for_nobody(r, inq, out);
			break;
		default:
			/* bound to what it found: nothing to create */
			break;
	}
}

/* The order ids as a bigint[], or (Datum) 0 */
static Datum
order_ids_array(List *order_ids)
{
	Datum	   *ids;
	ListCell   *lc;
	int			i = 0;

	if (order_ids == NIL)
		return (Datum) 0;
	ids = palloc(sizeof(Datum) * list_length(order_ids));
	foreach(lc, order_ids)
		ids[i++] = Int64GetDatum(*(int64 *) lfirst(lc));
	return PointerGetDatum(construct_array(ids, i, INT8OID, 8, FLOAT8PASSBYVAL,
										   TYPALIGN_DOUBLE));
}

/* The columns of returning_crm.inquiry that log_inquiry() writes */
#define LOG_COLUMNS 14

/* Log the inquiry in returning_crm.inquiry; returns its id */
static int64
log_inquiry(Inquiry *inq, Outcome *out, Datum orders_array)
{
	static SPIPlanPtr log_plan = NULL;
	Datum		args[LOG_COLUMNS];
	char		nulls[LOG_COLUMNS];
	int			k = 0;
	bool		isnull;

	if (log_plan == NULL)
	{
		Oid			argtypes[LOG_COLUMNS] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
			TEXTOID, TEXTOID, JSONBOID, TEXTOID, INT8OID, INT8ARRAYOID, INT8OID, INT8OID,
		TEXTOID};

		log_plan = keep_plan("INSERT INTO returning_crm.inquiry (workspace, tenant, channel,"
							 " email, phone, name, company_title, payload, decision, lead_id,"
							 " order_ids, contact_id, company_id, responsible)"
							 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
							 " RETURNING id", LOG_COLUMNS, argtypes);
	}
#define LOG_TEXT(s) \
	do { nulls[k] = (s) ? ' ' : 'n'; args[k++] = (s) ? CStringGetTextDatum(s) : (Datum) 0; } while (0)
#define LOG_ID(v) \
	do { nulls[k] = (v) != 0 ? ' ' : 'n'; args[k++] = Int64GetDatum(v); } while (0)
	LOG_TEXT(inq->workspace);
	LOG_TEXT(inq->tenant);
	LOG_TEXT(inq->channel);
	LOG_TEXT(inq->email);
	LOG_TEXT(inq->phone);
	LOG_TEXT(inq->name);
	LOG_TEXT(inq->company_title);
	nulls[k] = inq->payload ? ' ' : 'n';
	args[k++] = PointerGetDatum(inq->payload);
	LOG_TEXT(decision_names[out->decision]);
	LOG_ID(out->lead_id);
	nulls[k] = orders_array ? ' ' : 'n';
	args[k++] = orders_array;
	LOG_ID(out->contact_id);
	LOG_ID(out->company_id);
	LOG_TEXT(out->responsible);
#undef LOG_TEXT
#undef LOG_ID
	Assert(k == LOG_COLUMNS);

	execute_as_owner(log_plan, args, nulls, SPI_OK_INSERT_RETURNING);
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
									   &isnull));
}

/* The result row of route_inquiry(), in the caller's memory context */
static Datum
result_row(FunctionCallInfo fcinfo, Outcome *out, int64 inquiry_id, Datum orders_array)
{
	TupleDesc	resultdesc;
	Datum		result[7];
	bool		nulls[7] = {false, false, false, false, false, false, false};

	if (get_call_result_type(fcinfo, NULL, &resultdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	result[0] = CStringGetTextDatum(decision_names[out->decision]);
	result[1] = Int64GetDatum(inquiry_id);
	result[2] = Int64GetDatum(out->lead_id);
	nulls[2] = out->lead_id == 0;
	result[3] = orders_array == (Datum) 0 ? (Datum) 0 :
		PointerGetDatum(DatumGetArrayTypePCopy(orders_array));
	nulls[3] = orders_array == (Datum) 0;
	result[4] = Int64GetDatum(out->contact_id);
	nulls[4] = out->contact_id == 0;
	result[5] = Int64GetDatum(out->company_id);
	nulls[5] = out->company_id == 0;
	result[6] = out->responsible ? CStringGetTextDatum(out->responsible) : (Datum) 0;
	nulls[6] = out->responsible == NULL;
	return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(resultdesc), result, nulls));
}

/*
 * route_inquiry(email, phone, name, company_title, channel, payload, tenant,
 *				 workspace)
 *	 RETURNS (decision, inquiry_id, lead_id, order_ids, contact_id, company_id,
 *			  responsible)
 *
 * Read the arguments, find the facts, decide, apply, log, return.
 */
Datum
route_inquiry(PG_FUNCTION_ARGS)
{
	Inquiry		inq;
	Route		r;
	Outcome		out;
	MemoryContext caller = CurrentMemoryContext;
	Datum		orders_array;
	int64		inquiry_id;
	Datum		result;
	MemoryContext old;

	require_current_catalog("route_inquiry()");
	memset(&out, 0, sizeof(out));
	read_arguments(fcinfo, &inq);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	load_route(&inq, &r);
	if (find_facts(&r, &inq, &out))
	{
		out.decision = routing_decide(&out.facts);
		apply_decision(&r, &inq, &out);
		PopActiveSnapshot();
	}
	else
		out.decision = routing_decide(&out.facts);

	orders_array = order_ids_array(out.order_ids);
	inquiry_id = log_inquiry(&inq, &out, orders_array);
	old = MemoryContextSwitchTo(caller);
	result = result_row(fcinfo, &out, inquiry_id, orders_array);
	MemoryContextSwitchTo(old);
	SPI_finish();
	PG_RETURN_DATUM(result);
}
