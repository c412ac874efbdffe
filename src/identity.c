/*-------------------------------------------------------------------------
 *
 * identity.c
 *	  Finding known clients and open leads by e-mail address or phone
 *	  number, the exception list, the workspace settings, and binding a
 *	  lead to a known client on insert (match_on_insert).
 *
 * attach creates one index per e-mail and phone column of leads, contacts
 * and companies on the normalised value: a btree on (tenant, expression)
 * for text columns, a GIN index on the array expression for text[]
 * columns (see _create_identity_indexes in src/sql/40_identity.sql).  The
 * queries here are written with exactly the same expressions, so that each
 * column costs one index probe.  Phone expressions carry the workspace's
 * default region as a constant; returning_crm.configure() rebuilds the
 * indexes when it changes, and invalidates the cache below.
 *
 * Per workspace, the settings, the attached tables and the prepared
 * statements are kept for the life of the backend.  Any relcache
 * invalidation (attach, detach, configure, DDL) marks the cache stale; it is
 * rebuilt at the next look-up.
 *
 * The look-ups of attached tables run with the current user's rights and
 * row-level security: a caller of find_matches() or route_inquiry() learns
 * nothing of rows it may not read (without SELECT on a table it gets an
 * error), and a lead trigger runs as its table's owner (security.c).  The
 * exception list and the configuration are the extension's own: they are
 * read as their owner, for callers that were granted the functions.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "config.h"
#include "identity.h"
#include "normalize.h"
#include "positions.h"
#include "returning.h"
#include "security.h"

PG_FUNCTION_INFO_V1(normalize_emails);
PG_FUNCTION_INFO_V1(normalize_phones);
PG_FUNCTION_INFO_V1(normalize_phones_international);
PG_FUNCTION_INFO_V1(returning_region_is_known);
PG_FUNCTION_INFO_V1(returning_find_matches);
PG_FUNCTION_INFO_V1(returning_is_excluded);

/* Sources of matches, in the order identity_find() reports them */
#define N_SOURCES	3
static const char source_entities[N_SOURCES] = {IDENTITY_CONTACT, IDENTITY_COMPANY, IDENTITY_LEAD};
static const char *const source_kinds[N_SOURCES] = {"contacts", "companies", "leads"};

/* One attached table that matching reads */
typedef struct Source
{
	Oid			relid;			/* InvalidOid when the workspace has none */
	SPIPlanPtr	plan;			/* NULL until first use, or without columns */
	bool		planned;
} Source;

/* The orders or leads table that ranking reads */
typedef struct RankTable
{
	Oid			relid;
	SPIPlanPtr	plan[2];		/* company client, contact client */
} RankTable;

typedef struct Workspace
{
	char	   *name;
	bool		valid;
	MemoryContext cxt;
	IdentitySettings settings;
	Source		sources[N_SOURCES];
	RankTable	orders;
	RankTable	leads;
} Workspace;

static List *workspaces = NIL;	/* of Workspace *, in TopMemoryContext */
static bool callback_registered = false;
static SPIPlanPtr exception_plan = NULL;

static void
identity_invalidate(Datum arg, Oid relid)
{
	ListCell   *lc;

	foreach(lc, workspaces)
		((Workspace *) lfirst(lc))->valid = false;
}

/*
 * A schema renamed sends no relcache invalidation for its tables, but the
 * statements hold their qualified names.
 */
static void
identity_namespace_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	identity_invalidate(arg, InvalidOid);
}

static void
register_callbacks(void)
{
	CacheRegisterRelcacheCallback(identity_invalidate, (Datum) 0);
	CacheRegisterSyscacheCallback(NAMESPACEOID, identity_namespace_callback, (Datum) 0);
	callback_registered = true;
}

static void
free_plan(SPIPlanPtr *plan)
{
	if (*plan != NULL)
		SPI_freeplan(*plan);
	*plan = NULL;
}


#define SETTINGS_QUERY(announcements) \
"SELECT s.repeat_sales, s.leads_enabled, s.use_finished_lead, s.default_region," \
"       " announcements \
"  FROM returning_crm.workspace_settings s" \
" WHERE s.workspace OPERATOR(pg_catalog.=) $1"

static const char *const settings_query =
SETTINGS_QUERY("s.notify_channel, s.log_changes");

/* 0.1.0's settings have no announcements (config.c, catalog_is_legacy) */
static const char *const legacy_settings_query =
SETTINGS_QUERY("NULL::pg_catalog.text, false");

static const char *const tables_query =
"SELECT a.relid::pg_catalog.oid, a.kind"
"  FROM returning_crm.attachment a"
"  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) a.relid::pg_catalog.oid"
" WHERE a.workspace OPERATOR(pg_catalog.=) $1";

/*
 * Load the settings and attached tables of a workspace.  The caller is
 * connected to SPI.
 */
static void
workspace_load(Workspace *w)
{
	static SPIPlanPtr current_settings_plan = NULL;
	static SPIPlanPtr legacy_settings_plan = NULL;
	static SPIPlanPtr tables_plan = NULL;
	SPIPlanPtr *settings_plan;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	bool		leads_set = false;
	bool		isnull;
	UserSwitch	us;
	int			rc;

	settings_plan = catalog_is_legacy() ? &legacy_settings_plan : &current_settings_plan;
	if (*settings_plan == NULL)
		*settings_plan = keep_plan(settings_plan == &current_settings_plan ? settings_query
								   : legacy_settings_query, 1, argtypes);
	if (tables_plan == NULL)
		tables_plan = keep_plan(tables_query, 1, argtypes);

	for (int i = 0; i < N_SOURCES; i++)
	{
		free_plan(&w->sources[i].plan);
		w->sources[i].relid = InvalidOid;
		w->sources[i].planned = false;
	}
	for (int i = 0; i < 2; i++)
	{
		free_plan(&w->orders.plan[i]);
		free_plan(&w->leads.plan[i]);
	}
	w->orders.relid = InvalidOid;
	w->leads.relid = InvalidOid;
	MemoryContextReset(w->cxt);

	w->settings.repeat_sales = true;
	w->settings.leads_enabled = false;
	w->settings.use_finished_lead = false;
	w->settings.default_region = NULL;
	w->settings.notify_channel = NULL;
	w->settings.log_changes = false;

	args[0] = CStringGetTextDatum(w->name);
	switch_to_config_owner(&us);
	rc = SPI_execute_plan(*settings_plan, args, NULL, true, 1);
	switch_back(&us);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read returning_crm.workspace_settings");
	if (SPI_processed > 0)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		Datum		v;

		w->settings.repeat_sales = DatumGetBool(SPI_getbinval(tup, desc, 1, &isnull));
		v = SPI_getbinval(tup, desc, 2, &isnull);
		if (!isnull)
		{
			leads_set = true;
			w->settings.leads_enabled = DatumGetBool(v);
		}
		w->settings.use_finished_lead = DatumGetBool(SPI_getbinval(tup, desc, 3, &isnull));
		v = SPI_getbinval(tup, desc, 4, &isnull);
		if (!isnull)
			w->settings.default_region = MemoryContextStrdup(w->cxt, TextDatumGetCString(v));
		v = SPI_getbinval(tup, desc, 5, &isnull);
		if (!isnull)
			w->settings.notify_channel = MemoryContextStrdup(w->cxt, TextDatumGetCString(v));
		w->settings.log_changes = DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull));
	}

	switch_to_config_owner(&us);
	rc = SPI_execute_plan(tables_plan, args, NULL, true, 0);
	switch_back(&us);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read returning_crm.attachment");
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		Oid			relid = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
		char	   *kind = SPI_getvalue(tup, desc, 2);

		for (int i = 0; i < N_SOURCES; i++)
			if (strcmp(kind, source_kinds[i]) == 0)
			{
				w->sources[i].relid = relid;
			}
		if (strcmp(kind, "orders") == 0)
		{
			w->orders.relid = relid;
		}
		else if (strcmp(kind, "leads") == 0)
		{
			w->leads.relid = relid;
		}
	}
	if (!leads_set)
		w->settings.leads_enabled = OidIsValid(w->leads.relid);
	w->valid = true;
}

/* The cache entry of a workspace, loaded if stale.  Connected to SPI. */
static Workspace *
workspace_get(const char *name)
{
	ListCell   *lc;
	Workspace  *w = NULL;

	if (name == NULL || name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("workspace must not be empty")));
	if (!callback_registered)
		register_callbacks();
	foreach(lc, workspaces)
	{
		Workspace  *e = (Workspace *) lfirst(lc);

		if (strcmp(e->name, name) == 0)
		{
			w = e;
			break;
		}
	}
	if (w == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		w = palloc0(sizeof(Workspace));
		w->name = pstrdup(name);
		w->cxt = AllocSetContextCreate(TopMemoryContext, "returning identity",
									   ALLOCSET_SMALL_SIZES);
		workspaces = lappend(workspaces, w);
		MemoryContextSwitchTo(old);
	}
	if (!w->valid)
		workspace_load(w);
	return w;
}

/* "'a', 'b'" of the success and failure values, or NULL when there are none */
static char *
closed_values(AttachedTable *at)
{
	StringInfoData buf;

	if (at->success.count + at->failure.count == 0)
		return NULL;
	initStringInfo(&buf);
	for (int i = 0; i < at->success.count; i++)
		appendStringInfo(&buf, "%s%s", buf.len ? ", " : "",
						 quote_literal_cstr(at->success.values[i]));
	for (int i = 0; i < at->failure.count; i++)
		appendStringInfo(&buf, "%s%s", buf.len ? ", " : "",
						 quote_literal_cstr(at->failure.values[i]));
	return buf.data;
}

/* " AND <alias>.status is open" (neither success nor failure) */
static void
append_open_condition(StringInfo buf, AttachedTable *at, const char *alias)
{
	char	   *closed = closed_values(at);

	if (closed == NULL)
		return;
	appendStringInfo(buf,
					 " AND (%s.%s IS NULL OR NOT (pg_catalog.format('%%s', %s.%s) OPERATOR(pg_catalog.=) ANY"
					 " (ARRAY[%s]::pg_catalog.text[])))",
					 alias, at->status.name, alias, at->status.name, closed);
}

static bool
column_is_array(const MappedColumn *col)
{
	if (col->typid == TEXTARRAYOID || col->typid == VARCHARARRAYOID)
		return true;
	if (col->typid == TEXTOID || col->typid == VARCHAROID)
		return false;
	/* a domain over one of them */
	return type_is_array_domain(col->typid);
}

/*
 * The expression of a matching index on a column, exactly as
 * returning_crm._identity_expr() writes it.
 */
static void
append_index_expr(StringInfo buf, bool email, const MappedColumn *col,
				  const char *region)
{
	appendStringInfo(buf, "returning_crm.normalize_%s%s(t.%s",
					 email ? "email" : "phone",
					 column_is_array(col) ? "s" : "", col->name);
	if (!email && region != NULL)
		appendStringInfo(buf, ", %s", quote_literal_cstr(region));
	appendStringInfoChar(buf, ')');
}

/*
 * The statement that finds the rows of one source by e-mail ($1) or phone
 * ($2) within a tenant ($3): one branch per mapped column.
 */
static SPIPlanPtr
prepare_source(Workspace *w, Source *src, char entity)
{
	AttachedTable *at = get_attached_table(src->relid, ATTACH_ANY);
	StringInfoData buf;
	Oid			argtypes[3] = {TEXTOID, TEXTOID, TEXTOID};
	int			branches = 0;
	SPIPlanPtr	plan;

	/*
	 * One scan of the table with the columns' conditions OR-ed (the planner
	 * combines their indexes): a UNION of scans with parameters is a plan
	 * Citus cannot distribute.
	 */
	initStringInfo(&buf);
	appendStringInfo(&buf, "SELECT t.%s::pg_catalog.int8 AS id FROM %s t WHERE (",
					 at->id.name, at->qualified_name);
	for (int k = 0; k < 2; k++)
	{
		bool		email = (k == 0);
		int			n = email ? at->n_email : at->n_phone;
		MappedColumn *cols = email ? at->email : at->phone;

		for (int i = 0; i < n; i++)
		{
			if (branches++ > 0)
				appendStringInfoString(&buf, " OR ");
			append_index_expr(&buf, email, &cols[i], w->settings.default_region);
			if (column_is_array(&cols[i]))
				appendStringInfo(&buf, " OPERATOR(pg_catalog.@>) ARRAY[$%d]", email ? 1 : 2);
			else
				appendStringInfo(&buf, " OPERATOR(pg_catalog.=) $%d", email ? 1 : 2);
		}
	}
	appendStringInfoChar(&buf, ')');
	append_tenant_param(&buf, at, "t", 3);
	if (entity == IDENTITY_LEAD)
		append_open_condition(&buf, at, "t");
	appendStringInfoString(&buf, " ORDER BY 1");
	if (branches == 0)
		return NULL;

	/*
	 * The plan is the same for every value (index probes), so it is planned
	 * once, generically, instead of once per call.
	 */
	plan = SPI_prepare_cursor(buf.data, 3, argtypes,
							  at->distributed ? CURSOR_OPT_CUSTOM_PLAN : CURSOR_OPT_GENERIC_PLAN);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", buf.data,
			 SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	return plan;
}

static bool
empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

List *
identity_find(const char *workspace, const char *tenant,
			  const char *email_norm, const char *phone_norm)
{
	MemoryContext caller = CurrentMemoryContext;
	List	   *result = NIL;
	Workspace  *w;
	Datum		args[3];
	char		nulls[3] = {' ', ' ', ' '};

	if (empty(email_norm) && empty(phone_norm))
		return NIL;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	w = workspace_get(workspace);

	args[0] = empty(email_norm) ? (Datum) 0 : CStringGetTextDatum(email_norm);
	nulls[0] = empty(email_norm) ? 'n' : ' ';
	args[1] = empty(phone_norm) ? (Datum) 0 : CStringGetTextDatum(phone_norm);
	nulls[1] = empty(phone_norm) ? 'n' : ' ';
	args[2] = tenant == NULL ? (Datum) 0 : CStringGetTextDatum(tenant);
	nulls[2] = tenant == NULL ? 'n' : ' ';

	for (int i = 0; i < N_SOURCES; i++)
	{
		Source	   *src = &w->sources[i];
		int			rc;

		if (!OidIsValid(src->relid))
			continue;
		if (!src->planned)
		{
			src->plan = prepare_source(w, src, source_entities[i]);
			src->planned = true;
		}
		if (src->plan == NULL)
			continue;

		/*
		 * With the current user's rights: a caller of find_matches() or
		 * route_inquiry() sees only the rows it may read, and a trigger
		 * runs as its table's owner (security.c).
		 */
		rc = SPI_execute_plan(src->plan, args, nulls, true, 0);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "could not look up matches in %s", source_kinds[i]);

		for (uint64 r = 0; r < SPI_processed; r++)
		{
			bool		isnull;
			Datum		id = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull);
			MemoryContext old;
			IdentityMatch *m;

			if (isnull)
				continue;
			old = MemoryContextSwitchTo(caller);
			m = palloc0(sizeof(IdentityMatch));
			m->entity = source_entities[i];
			m->id = DatumGetInt64(id);
			result = lappend(result, m);
			MemoryContextSwitchTo(old);
		}
	}
	SPI_finish();
	return result;
}

static const char *const exception_query =
"SELECT 1 FROM returning_crm.exception e"
" WHERE e.workspace OPERATOR(pg_catalog.=) $1"
"   AND ((e.kind OPERATOR(pg_catalog.=) 'email' AND e.value OPERATOR(pg_catalog.=) $2)"
"     OR (e.kind OPERATOR(pg_catalog.=) 'phone' AND e.value OPERATOR(pg_catalog.=) $3))"
"   AND (e.tenant IS NULL OR e.tenant OPERATOR(pg_catalog.=) $4)"
" LIMIT 1";

bool
identity_is_excluded(const char *workspace, const char *tenant,
					 const char *email_norm, const char *phone_norm)
{
	Oid			argtypes[4] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		args[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	UserSwitch	us;
	int			rc;
	bool		found;

	if (empty(email_norm) && empty(phone_norm))
		return false;
	if (workspace == NULL || workspace[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("workspace must not be empty")));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (!callback_registered)
		register_callbacks();
	if (exception_plan == NULL)
		exception_plan = keep_plan(exception_query, 4, argtypes);

	args[0] = CStringGetTextDatum(workspace);
	args[1] = empty(email_norm) ? (Datum) 0 : CStringGetTextDatum(email_norm);
	nulls[1] = empty(email_norm) ? 'n' : ' ';
	args[2] = empty(phone_norm) ? (Datum) 0 : CStringGetTextDatum(phone_norm);
	nulls[2] = empty(phone_norm) ? 'n' : ' ';
	args[3] = tenant == NULL ? (Datum) 0 : CStringGetTextDatum(tenant);
	nulls[3] = tenant == NULL ? 'n' : ' ';

	/* the list is the extension's: its functions read it for the caller */
	switch_to_config_owner(&us);
	rc = SPI_execute_plan(exception_plan, args, nulls, true, 1);
	switch_back(&us);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read returning_crm.exception");
	found = SPI_processed > 0;
	SPI_finish();
	return found;
}

IdentitySettings
identity_settings(const char *workspace)
{
	MemoryContext caller = CurrentMemoryContext;
	IdentitySettings result;
	Workspace  *w;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	w = workspace_get(workspace);
	result = w->settings;
	if (result.default_region != NULL)
		result.default_region = MemoryContextStrdup(caller, result.default_region);
	if (result.notify_channel != NULL)
		result.notify_channel = MemoryContextStrdup(caller, result.notify_channel);
	SPI_finish();
	return result;
}

/* What ranking knows about one client */
typedef struct RankedClient
{
	IdentityMatch *match;
	bool		has_order;
	Position	latest;			/* latest order position, when has_order */
	int64		latest_lead;	/* highest lead id, 0 without leads */
} RankedClient;

/*
 * The statements of ranking, for a company client (k = 0) or a contact
 * client (k = 1), with the client id as $1 and the tenant as $2.
 *   orders: (open order exists, id of the latest order, its ordered_by)
 *   leads:  (open repeat lead exists, highest lead id)
 */
static SPIPlanPtr
prepare_rank(RankTable *rt, bool orders, int k)
{
	AttachedTable *at = get_attached_table(rt->relid, orders ? ATTACH_ORDERS : ATTACH_LEADS);
	MappedColumn *col = (k == 0) ? &at->company : &at->contact;
	StringInfoData cond;
	StringInfoData buf;
	Oid			argtypes[2] = {INT8OID, TEXTOID};

	if (col->attnum == InvalidAttrNumber)
		return NULL;
	initStringInfo(&cond);
	appendStringInfo(&cond, "FROM %s t WHERE ", at->qualified_name);
	append_routing_client_filter(&cond, at, "t", k == 0 ? CLIENT_COMPANY : CLIENT_CONTACT, 1);
	append_tenant_param(&cond, at, "t", 2);

	initStringInfo(&buf);
	if (orders)
	{
		appendStringInfo(&buf, "SELECT (SELECT true %s", cond.data);
		append_open_condition(&buf, at, "t");
		appendStringInfo(&buf, " LIMIT 1), x.id, x.ob FROM (SELECT 1) d LEFT JOIN LATERAL"
						 " (SELECT t.%s::pg_catalog.int8 AS id, %s%s AS ob %s ORDER BY ",
						 at->id.name,
						 at->ordered_by.attnum != InvalidAttrNumber ? "t." : "",
						 at->ordered_by.attnum != InvalidAttrNumber ? at->ordered_by.name : "NULL::pg_catalog.int4",
						 cond.data);
		if (at->ordered_by.attnum != InvalidAttrNumber)
			appendStringInfo(&buf, "t.%s DESC, ", at->ordered_by.name);
		appendStringInfo(&buf, "t.%s DESC LIMIT 1) x ON true", at->id.name);
	}
	else
	{
		appendStringInfo(&buf, "SELECT (SELECT true %s AND t.%s OPERATOR(pg_catalog.=) '" STATE_NAME_REPEAT "'",
						 cond.data, at->state.name);
		append_open_condition(&buf, at, "t");
		appendStringInfo(&buf, " LIMIT 1), (SELECT t.%s::pg_catalog.int8 %s ORDER BY t.%s DESC LIMIT 1)",
						 at->id.name, cond.data, at->id.name);
	}
	return keep_table_plan(at, buf.data, 2, argtypes);
}

/* Run a ranking statement for one client; leaves the result in SPI_tuptable */
static bool
run_rank(RankTable *rt, bool orders, IdentityMatch *m, const char *tenant)
{
	int			k = (m->entity == IDENTITY_COMPANY) ? 0 : 1;
	Datum		args[2];
	char		nulls[2] = {' ', ' '};
	int			rc;

	if (!OidIsValid(rt->relid))
		return false;
	if (rt->plan[k] == NULL)
		rt->plan[k] = prepare_rank(rt, orders, k);
	if (rt->plan[k] == NULL)
		return false;
	args[0] = Int64GetDatum(m->id);
	args[1] = tenant == NULL ? (Datum) 0 : CStringGetTextDatum(tenant);
	nulls[1] = tenant == NULL ? 'n' : ' ';
	/* with the caller's rights, as the matching (identity_find) */
	rc = SPI_execute_plan(rt->plan[k], args, nulls, true, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not rank the clients");
	return true;
}

/* Is a ranked before b? */
static int
rank_cmp(AttachedTable *orders, const RankedClient *a, const RankedClient *b)
{
	if (a->match->open_orders != b->match->open_orders)
		return a->match->open_orders ? -1 : 1;
	if (a->match->open_repeat_leads != b->match->open_repeat_leads)
		return a->match->open_repeat_leads ? -1 : 1;
	if (a->has_order != b->has_order)
		return a->has_order ? -1 : 1;
	if (a->has_order)
	{
		int			c = position_cmp(orders, &b->latest, &a->latest);

		if (c != 0)
			return c;
	}
	if (a->latest_lead != b->latest_lead)
		return a->latest_lead > b->latest_lead ? -1 : 1;
	if (a->match->entity != b->match->entity)
		return a->match->entity == IDENTITY_COMPANY ? -1 : 1;
	if (a->match->id != b->match->id)
		return a->match->id > b->match->id ? -1 : 1;
	return 0;
}

List *
identity_rank_clients(const char *workspace, const char *tenant, List *matches)
{
	MemoryContext caller = CurrentMemoryContext;
	RankedClient *clients;
	int			n = 0;
	ListCell   *lc;
	Workspace  *w;
	AttachedTable *orders_at = NULL;
	List	   *result = NIL;

	clients = palloc0(sizeof(RankedClient) * Max(list_length(matches), 1));
	foreach(lc, matches)
	{
		IdentityMatch *m = (IdentityMatch *) lfirst(lc);
		bool		dup = false;

		if (m->entity != IDENTITY_CONTACT && m->entity != IDENTITY_COMPANY)
			continue;
		for (int i = 0; i < n; i++)
			if (clients[i].match->entity == m->entity && clients[i].match->id == m->id)
				dup = true;
		if (dup)
			continue;
		clients[n].match = palloc(sizeof(IdentityMatch));
		*clients[n].match = *m;
		clients[n].match->open_orders = false;
		clients[n].match->open_repeat_leads = false;
		n++;
	}
	if (n == 0)
		return NIL;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	w = workspace_get(workspace);
	if (OidIsValid(w->orders.relid))
		orders_at = get_attached_table(w->orders.relid, ATTACH_ORDERS);

	for (int i = 0; i < n; i++)
	{
		RankedClient *c = &clients[i];
		bool		isnull;

		if (run_rank(&w->orders, true, c->match, tenant))
		{
			HeapTuple	tup = SPI_tuptable->vals[0];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			Datum		id;

			SPI_getbinval(tup, desc, 1, &isnull);
			c->match->open_orders = !isnull;
			id = SPI_getbinval(tup, desc, 2, &isnull);
			if (!isnull)
			{
				MemoryContext old;
				Position	pos;

				c->has_order = true;
				pos.id = DatumGetInt64(id);
				pos.value = SPI_getbinval(tup, desc, 3, &pos.isnull);
				old = MemoryContextSwitchTo(caller);
				c->latest = position_copy(orders_at, &pos);
				MemoryContextSwitchTo(old);
			}
		}
		if (run_rank(&w->leads, false, c->match, tenant))
		{
			HeapTuple	tup = SPI_tuptable->vals[0];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			Datum		id;

			SPI_getbinval(tup, desc, 1, &isnull);
			c->match->open_repeat_leads = !isnull;
			id = SPI_getbinval(tup, desc, 2, &isnull);
			if (!isnull)
				c->latest_lead = DatumGetInt64(id);
		}
	}

	/* Insertion sort: there are few candidates */
	for (int i = 1; i < n; i++)
	{
		RankedClient tmp = clients[i];
		int			j = i - 1;

		while (j >= 0 && rank_cmp(orders_at, &tmp, &clients[j]) < 0)
		{
			clients[j + 1] = clients[j];
			j--;
		}
		clients[j + 1] = tmp;
	}
	SPI_finish();

	for (int i = 0; i < n; i++)
		result = lappend(result, clients[i].match);
	return result;
}

/* One e-mail address or phone number (a text datum) normalised, or NULL */
static char *
normalize_text(Datum value, bool email, const char *region)
{
	text	   *t = DatumGetTextPP(value);

	return email ? normalize_email_cstr(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t))
		: normalize_phone_cstr(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), region);
}

/* Add the normalised values of one text or text[] column to *values */
static List *
collect_values(List *values, const MappedColumn *col, HeapTuple tuple,
			   TupleDesc tupdesc, bool email, const char *region)
{
	bool		isnull;
	Datum		value = heap_getattr(tuple, col->attnum, tupdesc, &isnull);
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (isnull)
		return values;
	if (column_is_array(col))
	{
		ArrayType  *arr = DatumGetArrayTypeP(value);

		deconstruct_array(arr, ARR_ELEMTYPE(arr), -1, false, TYPALIGN_INT,
						  &elems, &nulls, &n);
	}
	else
	{
		elems = &value;
		nulls = &isnull;
		n = 1;
	}
	for (int i = 0; i < n; i++)
	{
		char	   *norm;

		if (nulls[i])
			continue;
		norm = normalize_text(elems[i], email, region);
		if (norm != NULL)
			values = lappend(values, norm);
	}
	return values;
}

/*
 * match_on_insert: bind a lead inserted without a client to the known
 * client its e-mail or phone belongs to, unless one of its addresses is on
 * the exception list.  Of several clients, the top one by the ranking of
 * identity_rank_clients() is taken.
 */
HeapTuple
identity_bind_lead(AttachedTable *at, HeapTuple tuple, TupleDesc tupdesc)
{
	Row			row = row_of_tuple(tuple, tupdesc);
	ClientKey	client = client_of(at, &row);
	IdentitySettings settings;
	char	   *tenant;
	List	   *emails = NIL;
	List	   *phones = NIL;
	List	   *matches = NIL;
	List	   *candidates = NIL;
	ListCell   *lc;
	IdentityMatch *top;
	MappedColumn *col;
	Datum		value;
	bool		isnull = false;
	int			attnum;

	if (client.kind != CLIENT_NONE || at->n_email + at->n_phone == 0)
		return tuple;

	settings = identity_settings(at->workspace);
	for (int i = 0; i < at->n_email; i++)
		emails = collect_values(emails, &at->email[i], tuple, tupdesc, true, NULL);
	for (int i = 0; i < at->n_phone; i++)
		phones = collect_values(phones, &at->phone[i], tuple, tupdesc, false,
								settings.default_region);
	if (emails == NIL && phones == NIL)
		return tuple;

	tenant = column_tenant(at, &row);
	foreach(lc, emails)
		if (identity_is_excluded(at->workspace, tenant, lfirst(lc), NULL))
			return tuple;
	foreach(lc, phones)
		if (identity_is_excluded(at->workspace, tenant, NULL, lfirst(lc)))
			return tuple;

	foreach(lc, emails)
		matches = list_concat(matches, identity_find(at->workspace, tenant, lfirst(lc), NULL));
	foreach(lc, phones)
		matches = list_concat(matches, identity_find(at->workspace, tenant, NULL, lfirst(lc)));

	/* Only clients the lead can point to */
	foreach(lc, matches)
	{
		IdentityMatch *m = (IdentityMatch *) lfirst(lc);

		if ((m->entity == IDENTITY_CONTACT && at->contact.attnum != InvalidAttrNumber) ||
			(m->entity == IDENTITY_COMPANY && at->company.attnum != InvalidAttrNumber))
			candidates = lappend(candidates, m);
	}
	if (candidates == NIL)
		return tuple;
	candidates = identity_rank_clients(at->workspace, tenant, candidates);
	top = (IdentityMatch *) linitial(candidates);

	col = (top->entity == IDENTITY_CONTACT) ? &at->contact : &at->company;
	switch (col->typid)
	{
		case INT2OID:
			if (top->id < PG_INT16_MIN || top->id > PG_INT16_MAX)
				return tuple;
			value = Int16GetDatum((int16) top->id);
			break;
		case INT4OID:
			if (top->id < PG_INT32_MIN || top->id > PG_INT32_MAX)
				return tuple;
			value = Int32GetDatum((int32) top->id);
			break;
		default:
			value = Int64GetDatum(top->id);
			break;
	}
	attnum = col->attnum;
	return heap_modify_tuple_by_cols(tuple, tupdesc, 1, &attnum, &value, &isnull);
}

/*
 * The distinct normalised values of a text[], sorted, as a text[]; NULL
 * when there is none.
 */
static int
cstring_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static Datum
normalize_array(FunctionCallInfo fcinfo, bool email, const char *region)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	char	  **norms;
	Datum	   *out;
	int			count = 0;
	int			distinct = 0;

	deconstruct_array(arr, ARR_ELEMTYPE(arr), -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	norms = palloc(sizeof(char *) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		char	   *norm;

		if (nulls[i])
			continue;
		norm = normalize_text(elems[i], email, region);
		if (norm != NULL)
			norms[count++] = norm;
	}
	if (count == 0)
		PG_RETURN_NULL();
	qsort(norms, count, sizeof(char *), cstring_cmp);
	out = palloc(sizeof(Datum) * count);
	for (int i = 0; i < count; i++)
		if (i == 0 || strcmp(norms[i], norms[i - 1]) != 0)
			out[distinct++] = CStringGetTextDatum(norms[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(out, distinct, TEXTOID, -1, false, TYPALIGN_INT));
}

/* returning_crm.normalize_emails(text[]) RETURNS text[] */
Datum
normalize_emails(PG_FUNCTION_ARGS)
{
	return normalize_array(fcinfo, true, NULL);
}

/* returning_crm.normalize_phones(text[], region text) RETURNS text[] */
Datum
normalize_phones(PG_FUNCTION_ARGS)
{
	return normalize_array(fcinfo, false, text_to_cstring(PG_GETARG_TEXT_PP(1)));
}

/* returning_crm.normalize_phones(text[]) RETURNS text[] */
Datum
normalize_phones_international(PG_FUNCTION_ARGS)
{
	return normalize_array(fcinfo, false, NULL);
}

/* returning_crm._region_is_known(text) RETURNS boolean */
Datum
returning_region_is_known(PG_FUNCTION_ARGS)
{
	text	   *region = PG_GETARG_TEXT_PP(0);

	if (VARSIZE_ANY_EXHDR(region) < 2 || VARSIZE_ANY_EXHDR(region) > 3)
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(phone_region_is_known(text_to_cstring(region)));
}

/* The raw e-mail and phone arguments of the SQL wrappers, normalised */
static void
wrapper_args(FunctionCallInfo fcinfo, char **email, char **phone,
			 char **tenant, char **workspace)
{
	IdentitySettings settings;

	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("workspace must not be NULL")));
	*workspace = text_to_cstring(PG_GETARG_TEXT_PP(3));
	*tenant = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	*email = NULL;
	*phone = NULL;
	if (!PG_ARGISNULL(0))
	{
		text	   *t = PG_GETARG_TEXT_PP(0);

		*email = normalize_email_cstr(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	}
	if (!PG_ARGISNULL(1))
	{
		text	   *t = PG_GETARG_TEXT_PP(1);

		settings = identity_settings(*workspace);
		*phone = normalize_phone_cstr(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t),
									  settings.default_region);
	}
}

/*
 * returning_crm.find_matches(email, phone, tenant, workspace)
 * RETURNS TABLE (entity text, id bigint)
 */
Datum
returning_find_matches(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *email;
	char	   *phone;
	char	   *tenant;
	char	   *workspace;
	List	   *matches;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	wrapper_args(fcinfo, &email, &phone, &tenant, &workspace);
	matches = identity_find(workspace, tenant, email, phone);
	foreach(lc, matches)
	{
		IdentityMatch *m = (IdentityMatch *) lfirst(lc);
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = CStringGetTextDatum(m->entity == IDENTITY_CONTACT ? "contact" :
										m->entity == IDENTITY_COMPANY ? "company" : "lead");
		values[1] = Int64GetDatum(m->id);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* returning_crm.is_excluded(email, phone, tenant, workspace) RETURNS boolean */
Datum
returning_is_excluded(PG_FUNCTION_ARGS)
{
	char	   *email;
	char	   *phone;
	char	   *tenant;
	char	   *workspace;

	wrapper_args(fcinfo, &email, &phone, &tenant, &workspace);
	PG_RETURN_BOOL(identity_is_excluded(workspace, tenant, email, phone));
}
