/*-------------------------------------------------------------------------
 *
 * config.c
 *	  The per-backend cache of attached tables.
 *
 * A trigger finds the description of its table here by relation OID.  The
 * description is read once from returning_crm.attachment, with the mapped
 * columns resolved to attribute numbers and types, and kept until a relcache
 * invalidation names the table (any ALTER TABLE, and every attach or detach
 * in its workspace).  Descriptions that were replaced stay allocated until
 * the end of the transaction, so that a trigger further up the stack never
 * sees its description freed under it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/pg_namespace.h"
#include "commands/trigger.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "config.h"
#include "positions.h"
#include "returning.h"
#include "security.h"
#include "triggers.h"

void		config_init(void);

typedef struct CacheEntry
{
	Oid			relid;			/* hash key */
	AttachedTable *table;
} CacheEntry;

static HTAB *attached_cache = NULL;
static MemoryContext config_context = NULL;

/* Descriptions replaced during this transaction, freed at its end */
static List *retired_contexts = NIL;

/* Counts the descriptions made, to tell one from a later one */
static uint32 description_generation = 0;

/*
 * find_attached_table(): the table of each kind of a workspace, as looked
 * up last (InvalidOid: none attached).  Forgotten at every relcache
 * invalidation, since attach and detach invalidate the workspace's tables.
 */
typedef struct WorkspaceEntry
{
	char	   *workspace;
	AttachKind	kind;
	Oid			relid;
} WorkspaceEntry;

static List *workspace_entries = NIL;

static const char *const kind_names[] = {"leads", "orders", "contacts", "companies"};

static AttachedTable *get_table(Oid relid, AttachKind expected, const char *config);

static void
invalidate_callback(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS status;
	CacheEntry *entry;

	if (attached_cache == NULL)
		return;

	/* Any change may be an attach or detach: look workspaces up again */
	if (workspace_entries != NIL)
	{
		ListCell   *lc;

		foreach(lc, workspace_entries)
		{
			WorkspaceEntry *w = lfirst(lc);

			pfree(w->workspace);
			pfree(w);
		}
		list_free(workspace_entries);
		workspace_entries = NIL;
	}

	hash_seq_init(&status, attached_cache);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (relid == InvalidOid || entry->relid == relid ||
			(entry->table && (entry->table->attached_relid == relid ||
							  entry->table->leads_relid == relid ||
							  entry->table->orders_relid == relid)))
		{
			if (entry->table)
				entry->table->valid = false;
		}
	}
}

/*
 * A schema renamed sends no relcache invalidation for its tables, but the
 * descriptions hold their qualified names: forget them all.
 */
static void
namespace_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	invalidate_callback(arg, InvalidOid);
}

static void
free_plan_array(SPIPlanPtr *plans, int count)
{
	for (int i = 0; i < count; i++)
		if (plans[i] != NULL)
		{
			SPI_freeplan(plans[i]);
			plans[i] = NULL;
		}
}

/* Free the statements a description kept (it is being retired) */
static void
free_table_plans(AttachedTable *at)
{
	SPIPlanPtr *plans[] = {
		&at->probe_plan[0], &at->probe_plan[1], &at->probe_self_plan[0],
		&at->probe_self_plan[1], &at->after_plan[0], &at->after_plan[1],
		&at->lead_state_plan, &at->held_row_plan, &at->lock_plan,
		&at->explain_plan[0], &at->explain_plan[1], &at->explain_plan[2],
		&at->explain_plan[3], &at->legacy_routed_plan,
	};

	for (int i = 0; i < lengthof(plans); i++)
		if (*plans[i] != NULL)
		{
			SPI_freeplan(*plans[i]);
			*plans[i] = NULL;
		}
	free_plan_array(&at->key_plan[0][0][0], sizeof(at->key_plan) / sizeof(SPIPlanPtr));
	free_plan_array(&at->promote_plan[0][0][0],
					sizeof(at->promote_plan) / sizeof(SPIPlanPtr));
	free_plan_array(&at->demote_plan[0][0], sizeof(at->demote_plan) / sizeof(SPIPlanPtr));
}

static void
config_xact_callback(XactEvent event, void *arg)
{
	ListCell   *lc;

	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
		event != XACT_EVENT_PARALLEL_COMMIT &&
		event != XACT_EVENT_PARALLEL_ABORT)
		return;

	foreach(lc, retired_contexts)
	{
		AttachedTable *at = (AttachedTable *) lfirst(lc);

		free_table_plans(at);
		MemoryContextDelete(GetMemoryChunkContext(at));
	}
	list_free(retired_contexts);
	retired_contexts = NIL;
}

void
config_init(void)
{
	HASHCTL		ctl;

	config_context = AllocSetContextCreate(CacheMemoryContext,
										   "returning attached tables",
										   ALLOCSET_SMALL_SIZES);
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(CacheEntry);
	ctl.hcxt = config_context;
	attached_cache = hash_create("returning attached tables", 16, &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	CacheRegisterRelcacheCallback(invalidate_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(NAMESPACEOID, namespace_callback, (Datum) 0);
	RegisterXactCallback(config_xact_callback, NULL);
}

/* Prepare a statement with the cursor options and keep it */
static SPIPlanPtr
keep_prepared(const char *sql, int nargs, Oid *argtypes, int cursor_options)
{
	SPIPlanPtr	plan = SPI_prepare_cursor(sql, nargs, argtypes, cursor_options);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql,
			 SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	return plan;
}

/*
 * Prepare a statement and keep it for the life of the backend.
 */
SPIPlanPtr
keep_plan(const char *sql, int nargs, Oid *argtypes)
{
	return keep_prepared(sql, nargs, argtypes, 0);
}

/*
 * The same, for a rewrite of one key (a client, a lead): planned once, for
 * any key, rather than for each call's.  The plan of one key's index look-up
 * is the same for all keys, and planning it again at every statement cost
 * more than running it (rewrite_rows() says how it stays an index look-up).
 * On Citus, planned for each call, which routes it to its shard.
 */
SPIPlanPtr
keep_one_key_plan(AttachedTable *at, const char *sql, int nargs, Oid *argtypes)
{
	return keep_prepared(sql, nargs, argtypes,
						 at->distributed ? CURSOR_OPT_CUSTOM_PLAN : CURSOR_OPT_GENERIC_PLAN);
}

/*
 * A mapped column whose type was changed after attaching (ALTER COLUMN ...
 * TYPE) to one the rules cannot read is an error at the next write, not a
 * value read with the wrong type.  The same types as attach accepts.
 */
static void
check_mapped_type(const MappedColumn *col, Oid relid, const char *field,
				  const char *name)
{
	Oid			base = getBaseType(col->typid);
	bool		ok = true;

	if (strcmp(field, "id_column") == 0 || strcmp(field, "contact_column") == 0 ||
		strcmp(field, "company_column") == 0 || strcmp(field, "lead_column") == 0)
		ok = base == INT2OID || base == INT4OID || base == INT8OID;
	else if (strcmp(field, "email_columns") == 0 || strcmp(field, "phone_columns") == 0)
		ok = base == TEXTOID || base == VARCHAROID ||
			base == TEXTARRAYOID || base == VARCHARARRAYOID;
	else if (strcmp(field, "state_column") == 0)
		ok = base == TEXTOID;
	else if (strcmp(field, "routed_column") == 0)
		ok = base == BOOLOID;
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of attached table \"%s\" has type %s, which cannot be its %s",
						name, get_rel_name(relid), format_type_be(col->typid), field),
				 errdetail("The column's type was changed after the table was attached."),
				 errhint("Detach the table with returning_crm.detach() and attach it again.")));
}

/*
 * Is the table distributed by Citus?  *column is set to its distribution
 * column (palloc'd, NULL for a reference table).  Connected to SPI.
 */
static bool
relation_is_distributed(Oid relid, char **column)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1] = {ObjectIdGetDatum(relid)};
	bool		isnull;
	Datum		name;

	*column = NULL;
	if (!OidIsValid(get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE)))
		return false;
	if (SPI_execute_with_args("SELECT pg_catalog.column_to_column_name(p.logicalrelid, p.partkey)"
							  "  FROM pg_catalog.pg_dist_partition p"
							  " WHERE p.logicalrelid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
							  1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_dist_partition");
	if (SPI_processed == 0)
		return false;
	name = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (!isnull)
		*column = TextDatumGetCString(name);
	return true;
}

/*
 * A distributed table must be distributed by its tenant column (the
 * extension's statements filter by it), and match_on_insert, which looks
 * up the workspace's contacts from a shard, is not supported there.  Checked
 * at attach and at the first write after distribution.
 */
static void
check_distribution(AttachedTable *at, const char *column)
{
	const char *tenant = at->tenant.attnum != InvalidAttrNumber ?
		get_attname(at->relid, at->tenant.attnum, false) : NULL;

	if (column == NULL || tenant == NULL || strcmp(column, tenant) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("attached table \"%s\" is distributed by %s, not by its tenant column",
						get_rel_name(at->attached_relid),
						column ? psprintf("column \"%s\"", column) : "no column (a reference table)"),
				 errhint(tenant ? "Distribute the tables of a workspace by their tenant column, co-located: create_distributed_table(table, tenant column, colocate_with => ...)."
						 : "Attach the table with tenant_column => its distribution column.")));
	if (at->match_on_insert)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("match_on_insert is not supported on distributed table \"%s\"",
						get_rel_name(at->attached_relid)),
				 errhint("Attach the leads table with match_on_insert => false, and bind leads to clients with returning_crm.find_matches() or route_inquiry().")));
}

/*
 * A kept statement on an attached table.  Of a distributed table (the
 * statements of matching and routing on the coordinator) it is planned for
 * each execution with its arguments: Citus routes a statement to the
 * tenant's shard only when it sees the tenant's value.
 */
SPIPlanPtr
keep_table_plan(AttachedTable *at, const char *sql, int nargs, Oid *argtypes)
{
	return keep_prepared(sql, nargs, argtypes,
						 at->distributed ? CURSOR_OPT_CUSTOM_PLAN : 0);
}

static void
resolve_column(MappedColumn *col, Oid relid, HeapTuple cfg, TupleDesc desc,
			   const char *field)
{
	bool		isnull;
	Datum		value = SPI_getbinval(cfg, desc, SPI_fnumber(desc, field), &isnull);
	char	   *name;
	int32		typmod;

	col->attnum = InvalidAttrNumber;
	col->typid = InvalidOid;
	col->collation = InvalidOid;
	col->name = NULL;
	if (isnull)
		return;

	name = NameStr(*DatumGetName(value));
	col->attnum = get_attnum(relid, name);
	if (col->attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of attached table \"%s\" does not exist",
						name, get_rel_name(relid)),
				 errhint("Detach and attach the table again after renaming or dropping a mapped column.")));
	get_atttypetypmodcoll(relid, col->attnum, &col->typid, &typmod,
						  &col->collation);
	get_typlenbyval(col->typid, &col->typlen, &col->typbyval);
	col->name = pstrdup(quote_identifier(name));
	check_mapped_type(col, relid, field, name);
}

/* Resolve a name[] of mapped columns */
static int
resolve_columns(MappedColumn **cols, Oid relid, HeapTuple cfg, TupleDesc desc,
				const char *field)
{
	bool		isnull;
	Datum		value = SPI_getbinval(cfg, desc, SPI_fnumber(desc, field), &isnull);
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	*cols = NULL;
	if (isnull)
		return 0;
	deconstruct_array(DatumGetArrayTypeP(value), NAMEOID, NAMEDATALEN, false,
					  TYPALIGN_CHAR, &elems, &nulls, &n);
	*cols = palloc0(sizeof(MappedColumn) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		char	   *name = NameStr(*DatumGetName(elems[i]));
		MappedColumn *col = &(*cols)[i];
		int32		typmod;

		col->attnum = get_attnum(relid, name);
		if (col->attnum == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of attached table \"%s\" does not exist",
							name, get_rel_name(relid)),
					 errhint("Detach and attach the table again after renaming or dropping a mapped column.")));
		get_atttypetypmodcoll(relid, col->attnum, &col->typid, &typmod, &col->collation);
		get_typlenbyval(col->typid, &col->typlen, &col->typbyval);
		col->name = pstrdup(quote_identifier(name));
		check_mapped_type(col, relid, field, name);
	}
	return n;
}

static void
load_values(ValueList *list, HeapTuple cfg, TupleDesc desc, const char *field)
{
	bool		isnull;
	Datum		value = SPI_getbinval(cfg, desc, SPI_fnumber(desc, field), &isnull);
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	list->count = 0;
	list->values = NULL;
	if (isnull)
		return;
	deconstruct_array(DatumGetArrayTypeP(value), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	list->values = palloc(sizeof(char *) * Max(n, 1));
	for (int i = 0; i < n; i++)
		if (!nulls[i])
			list->values[list->count++] = TextDatumGetCString(elems[i]);
}

static char *
qualified_name(Oid relid)
{
	char	   *name = get_rel_name(relid);

	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("attached table with OID %u does not exist", relid)));
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), name);
}

/*
 * What a description reads of an attachment row "a".  The catalog of 0.1.0
 * (a database whose extension is not updated yet, below) has neither the
 * responsible column of a table nor the routed column of orders.
 */
#define CONFIG_COLUMNS_WITH(responsible, routed) \
"SELECT a.kind, a.workspace, a.id_column, a.contact_column, a.company_column," \
"       a.status_column, a.success_values, a.failure_values, a.lead_column," \
"       a.ordered_by, a.tenant_column," \
"       CASE WHEN a.kind OPERATOR(pg_catalog.=) ANY ('{leads,orders}'::pg_catalog.text[])" \
"       THEN (a.column_prefix OPERATOR(pg_catalog.||) 'returning_state')::pg_catalog.name END AS state_column," \
"       a.pipeline_column, a.amount_column, a.name_column, a.title_column," \
"       a.email_columns, a.phone_columns, a.match_on_insert, a.new_status," \
"       a.column_prefix, " responsible " AS responsible_column," \
"       " routed " AS routed_column," \
"       a.relid::pg_catalog.oid AS attached"

#define CONFIG_COLUMNS CONFIG_COLUMNS_WITH("a.responsible_column", \
"CASE WHEN a.kind OPERATOR(pg_catalog.=) 'orders'" \
"     THEN (a.column_prefix OPERATOR(pg_catalog.||) 'returning_routed')::pg_catalog.name END")

/* ... of its partner (the leads of orders, the orders of leads) */
#define PARTNER_COLUMNS \
"SELECT a.relid::pg_catalog.oid AS relid, a.id_column, a.tenant_column," \
"       (a.column_prefix OPERATOR(pg_catalog.||) 'returning_state')::pg_catalog.name AS state_column," \
"       a.lead_column"

static const char *const config_query =
CONFIG_COLUMNS
"  FROM returning_crm.attachment a"
" WHERE a.relid OPERATOR(pg_catalog.=) $1";

static const char *const legacy_config_query =
CONFIG_COLUMNS_WITH("NULL::pg_catalog.name", "NULL::pg_catalog.name")
"  FROM returning_crm.attachment a"
" WHERE a.relid OPERATOR(pg_catalog.=) $1";

static const char *const partner_query =
PARTNER_COLUMNS
"  FROM returning_crm.attachment a"
" WHERE a.workspace OPERATOR(pg_catalog.=) $1 AND a.kind OPERATOR(pg_catalog.=) $2"
"   AND EXISTS (SELECT FROM pg_catalog.pg_class c"		/* not dropped meanwhile */
"                WHERE c.oid OPERATOR(pg_catalog.=) a.relid::pg_catalog.oid)";

/*
 * The same from the configuration that travels with the triggers (their
 * argument): an attachment row and its partner's as jsonb, whose table
 * names are resolved on the node that reads them.  A partner this node does
 * not know yet (it is distributed later) is none.
 */
static const char *const config_json_query =
CONFIG_COLUMNS
"  FROM pg_catalog.jsonb_populate_record(NULL::returning_crm.attachment, $1) a";

static const char *const partner_json_query =
PARTNER_COLUMNS
"  FROM pg_catalog.jsonb_populate_record(NULL::returning_crm.attachment,"
"       CASE WHEN pg_catalog.jsonb_typeof($1 OPERATOR(pg_catalog.->) 'partner')"
"                 OPERATOR(pg_catalog.=) 'object'"
"             AND pg_catalog.to_regclass($1 OPERATOR(pg_catalog.->) 'partner'"
"                                       OPERATOR(pg_catalog.->>) 'relid') IS NOT NULL"
"            THEN $1 OPERATOR(pg_catalog.->) 'partner' END) a"
" WHERE a.relid IS NOT NULL";

/*
 * Does this node know the table a trigger's configuration names?  While
 * Citus distributes a table that holds rows, it copies them into the new
 * shards before the table itself exists on the workers: their triggers
 * then let the rows pass as they are (their states were kept right on the
 * coordinator).  Connected to SPI.
 */
static bool
config_table_known(Datum config)
{
	Oid			argtypes[1] = {JSONBOID};
	bool		isnull;

	if (SPI_execute_with_args("SELECT pg_catalog.to_regclass($1 OPERATOR(pg_catalog.->>) 'relid')"
							  " IS NOT NULL", 1, argtypes, &config, NULL, true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not read the configuration of a trigger");
	return DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * Is relid the table that a trigger's configuration names (attached), or a
 * shard of it (a distributed table's trigger fires on its shards, with the
 * arguments Citus copied)?  Connected to SPI.
 */
static bool
config_names_relation(Oid relid, Oid attached)
{
	static const char *const shard_query =
	"SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_shard s"
	"  WHERE s.logicalrelid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"
	"    AND pg_catalog.to_regclass(pg_catalog.shard_name(s.logicalrelid, s.shardid))"
	"        OPERATOR(pg_catalog.=) $2::pg_catalog.regclass)";
	Oid			argtypes[2] = {OIDOID, OIDOID};
	Datum		args[2] = {ObjectIdGetDatum(attached), ObjectIdGetDatum(relid)};
	bool		isnull;

	if (relid == attached)
		return true;
	if (!OidIsValid(get_relname_relid("pg_dist_shard", PG_CATALOG_NAMESPACE)))
		return false;
	if (SPI_execute_with_args(shard_query, 2, argtypes, args, NULL, true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not read pg_dist_shard");
	return DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * The shard of a distributed table (partner) that is co-located with the
 * shard relid of the distributed table attached: the one with the same
 * hash range.  Connected to SPI.
 */
static Oid
colocated_shard(Oid relid, Oid attached, Oid partner)
{
	static const char *const colocated_query =
	"SELECT pg_catalog.to_regclass(pg_catalog.shard_name(p.logicalrelid, p.shardid))::pg_catalog.oid"
	"  FROM pg_catalog.pg_dist_shard me"
	"  JOIN pg_catalog.pg_dist_shard p"
	"    ON p.shardminvalue OPERATOR(pg_catalog.=) me.shardminvalue"
	"   AND p.shardmaxvalue OPERATOR(pg_catalog.=) me.shardmaxvalue"
	" WHERE me.logicalrelid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"
	"   AND p.logicalrelid OPERATOR(pg_catalog.=) $3::pg_catalog.regclass"
	"   AND pg_catalog.to_regclass(pg_catalog.shard_name(me.logicalrelid, me.shardid))"
	"       OPERATOR(pg_catalog.=) $2::pg_catalog.regclass";
	Oid			argtypes[3] = {OIDOID, OIDOID, OIDOID};
	Datum		args[3] = {ObjectIdGetDatum(attached), ObjectIdGetDatum(relid),
	ObjectIdGetDatum(partner)};
	bool		isnull;
	Datum		shard;

	if (SPI_execute_with_args(colocated_query, 3, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_dist_shard");
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("shard \"%s\" has no co-located shard of \"%s\"",
						get_rel_name(relid), get_rel_name(partner)),
				 errhint("Distribute the tables of a workspace by their tenant column, co-located.")));
	shard = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("the shard of \"%s\" co-located with \"%s\" is not on this node",
						get_rel_name(partner), get_rel_name(relid))));
	return DatumGetObjectId(shard);
}

/*
 * A hash of the hash range of a shard, which co-located shards share.
 * Connected to SPI.
 */
static uint32
shard_range_key(Oid relid)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1] = {ObjectIdGetDatum(relid)};
	char	   *range;

	if (SPI_execute_with_args("SELECT s.shardminvalue OPERATOR(pg_catalog.||) ':'"
							  "       OPERATOR(pg_catalog.||) s.shardmaxvalue"
							  "  FROM pg_catalog.pg_dist_shard s"
							  " WHERE pg_catalog.to_regclass(pg_catalog.shard_name(s.logicalrelid, s.shardid))"
							  "       OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
							  1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_dist_shard");
	if (SPI_processed == 0)
		return 0;
	range = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	return range ? hash_bytes((const unsigned char *) range, strlen(range)) : 0;
}

/*
 * Does the row trigger of the partner table carry a configuration that
 * names attached as its partner?  Connected to SPI.
 */
static bool
partner_confirms(Oid partner, Oid attached, char **config)
{
	static const char *const partner_of_query =
	"SELECT (pg_catalog.jsonb_populate_record(NULL::returning_crm.attachment,"
	"        CASE WHEN pg_catalog.jsonb_typeof($1::pg_catalog.jsonb OPERATOR(pg_catalog.->) 'partner')"
	"                  OPERATOR(pg_catalog.=) 'object'"
	"             THEN $1::pg_catalog.jsonb OPERATOR(pg_catalog.->) 'partner' END)).relid::pg_catalog.oid";
	Relation	rel = table_open(partner, AccessShareLock);
	TriggerDesc *trigdesc = rel->trigdesc;
	bool		confirmed = false;

	for (int i = 0; trigdesc != NULL && i < trigdesc->numtriggers && !confirmed; i++)
	{
		Trigger    *t = &trigdesc->triggers[i];
		Oid			argtypes[1] = {TEXTOID};
		Datum		args[1];
		bool		isnull;
		Datum		named;

		if (t->tgnargs < 1 || trigger_role(t->tgfoid) != TRIGGER_ROLE_ROW)
			continue;
		args[0] = CStringGetTextDatum(t->tgargs[0]);
		if (SPI_execute_with_args(partner_of_query, 1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT ||
			SPI_processed != 1)
			elog(ERROR, "could not read the configuration of a trigger");
		named = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		confirmed = !isnull && DatumGetObjectId(named) == attached;
		if (confirmed)
			*config = pstrdup(t->tgargs[0]);
	}
	table_close(rel, AccessShareLock);
	return confirmed;
}

/*
 * The attached table that the configuration of a trigger's argument (its
 * row "cfg" of returning_crm.attachment) names: relid itself or the table
 * relid is a shard of, and distributed, if at all, by its tenant column.
 * Connected to SPI.
 */
static Oid
trigger_config_table(Oid relid, HeapTuple cfg, TupleDesc desc)
{
	bool		isnull;
	Oid			attached;
	char	   *distribution_column;

	attached = DatumGetObjectId(SPI_getbinval(cfg, desc, SPI_fnumber(desc, "attached"),
											  &isnull));
	/* a table distributed by another column: that, before the rest */
	if (!isnull && relation_is_distributed(attached, &distribution_column))
	{
		char	   *tenant = SPI_getvalue(cfg, desc, SPI_fnumber(desc, "tenant_column"));

		if (distribution_column == NULL || tenant == NULL ||
			strcmp(distribution_column, tenant) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("attached table \"%s\" is distributed by %s, not by its tenant column",
							get_rel_name(attached),
							distribution_column ? psprintf("column \"%s\"", distribution_column)
							: "no column (a reference table)"),
					 errhint("Distribute the tables of a workspace by their tenant column, co-located.")));
	}
	if (isnull || !config_names_relation(relid, attached))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger of table \"%s\" names another table", get_rel_name(relid)),
				 errdetail("The configuration in the argument of the returning extension's trigger is not that of this table."),
				 errhint("Use returning_crm.attach_%s() to attach the table.", "*")));
	return attached;
}

/*
 * The mapped columns of the attachment row "cfg", its value lists, and the
 * functions that read the status, tenant and position columns, into the
 * description "at" of relid, made in "cxt" (the current memory context).
 */
static void
resolve_mapping(AttachedTable *at, Oid relid, HeapTuple cfg, TupleDesc desc,
				const char *config, MemoryContext cxt)
{
	TypeCacheEntry *typentry;
	bool		isvarlena;
	Oid			outfunc;

	resolve_column(&at->id, relid, cfg, desc, "id_column");
	resolve_column(&at->contact, relid, cfg, desc, "contact_column");
	resolve_column(&at->company, relid, cfg, desc, "company_column");
	resolve_column(&at->status, relid, cfg, desc, "status_column");
	resolve_column(&at->lead, relid, cfg, desc, "lead_column");
	resolve_column(&at->ordered_by, relid, cfg, desc, "ordered_by");
	resolve_column(&at->tenant, relid, cfg, desc, "tenant_column");
	resolve_column(&at->state, relid, cfg, desc, "state_column");
	{
		/* read by the reports' SQL alone: checked here, like the others */
		MappedColumn report_column;

		resolve_column(&report_column, relid, cfg, desc, "pipeline_column");
		resolve_column(&report_column, relid, cfg, desc, "amount_column");
	}
	resolve_column(&at->name, relid, cfg, desc, "name_column");
	resolve_column(&at->title, relid, cfg, desc, "title_column");
	resolve_column(&at->responsible, relid, cfg, desc, "responsible_column");
	resolve_column(&at->routed, relid, cfg, desc, "routed_column");
	at->legacy_routed = at->kind == ATTACH_ORDERS && config == NULL && catalog_is_legacy();
	at->n_email = resolve_columns(&at->email, relid, cfg, desc, "email_columns");
	at->n_phone = resolve_columns(&at->phone, relid, cfg, desc, "phone_columns");
	{
		bool		isnull;
		Datum		v = SPI_getbinval(cfg, desc, SPI_fnumber(desc, "match_on_insert"), &isnull);

		at->match_on_insert = !isnull && DatumGetBool(v);
		at->new_status = SPI_getvalue(cfg, desc, SPI_fnumber(desc, "new_status"));
	}
	load_values(&at->success, cfg, desc, "success_values");
	load_values(&at->failure, cfg, desc, "failure_values");

	if (at->status.attnum != InvalidAttrNumber)
	{
		getTypeOutputInfo(at->status.typid, &outfunc, &isvarlena);
		fmgr_info_cxt(outfunc, &at->status_out, cxt);
	}
	if (at->tenant.attnum != InvalidAttrNumber)
	{
		getTypeOutputInfo(at->tenant.typid, &outfunc, &isvarlena);
		fmgr_info_cxt(outfunc, &at->tenant_out, cxt);
		getTypeInputInfo(at->tenant.typid, &at->tenant_input, &at->tenant_ioparam);
	}
	at->column_prefix = SPI_getvalue(cfg, desc, SPI_fnumber(desc, "column_prefix"));
	if (at->ordered_by.attnum != InvalidAttrNumber)
	{
		typentry = lookup_type_cache(at->ordered_by.typid, TYPECACHE_CMP_PROC_FINFO);
		if (!OidIsValid(typentry->cmp_proc_finfo.fn_oid))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FUNCTION),
					 errmsg("could not identify a comparison function for type %s",
							format_type_be(at->ordered_by.typid))));
		fmgr_info_copy(&at->position_cmp, &typentry->cmp_proc_finfo, cxt);
	}
}

/*
 * The partner table of the workspace, leads for orders and orders for
 * leads, into the description "at" of relid, made in "cxt": read with
 * "json_plan" from the configuration "config_jsonb" of a trigger's argument
 * (config), else with "plan" from returning_crm.attachment.
 */
static void
load_partner(AttachedTable *at, Oid relid, Oid attached, const char *config,
			 Datum config_jsonb, SPIPlanPtr plan, SPIPlanPtr json_plan,
			 MemoryContext cxt)
{
	Datum		args[2];
	int			rc;
	MemoryContext caller;
	bool		isvarlena;
	Oid			outfunc;

	args[0] = CStringGetTextDatum(at->workspace);
	if (at->kind == ATTACH_ORDERS && at->lead.attnum != InvalidAttrNumber)
		args[1] = CStringGetTextDatum("leads");
	else if (at->kind == ATTACH_LEADS)
		args[1] = CStringGetTextDatum("orders");
	else
		args[1] = (Datum) 0;

	if (args[1] == (Datum) 0)
		return;

	if (config != NULL)
		rc = SPI_execute_plan(json_plan, &config_jsonb, NULL, true, 1);
	else
		rc = SPI_execute_plan(plan, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read returning_crm.attachment");
	if (SPI_processed > 0)
	{
		HeapTuple	p = SPI_tuptable->vals[0];
		TupleDesc	pdesc = SPI_tuptable->tupdesc;
		bool		isnull;
		Oid			prelid = DatumGetObjectId(SPI_getbinval(p, pdesc, 1, &isnull));

		/*
		 * A partner named by a trigger's argument must name this table
		 * back in its own trigger: a trigger that anyone can put on a
		 * table of theirs never reaches another role's table.
		 */
		char	   *partner_config = NULL;

		if (config != NULL && (isnull || !partner_confirms(prelid, attached, &partner_config)))
			ereport(ERROR,
					(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
					 errmsg("the partner of table \"%s\" does not name it", get_rel_name(relid)),
					 errdetail("The table that the configuration of its trigger names as its %s table is not attached with it.",
							   at->kind == ATTACH_ORDERS ? "leads" : "orders")));

		if (at->on_shard)
			prelid = colocated_shard(relid, attached, prelid);
		caller = MemoryContextSwitchTo(cxt);
		if (partner_config != NULL)
			at->partner_config = pstrdup(partner_config);
		if (at->kind == ATTACH_ORDERS)
		{
			at->leads_relid = prelid;
			at->leads_name = qualified_name(prelid);
			resolve_column(&at->leads_id, prelid, p, pdesc, "id_column");
			resolve_column(&at->leads_tenant, prelid, p, pdesc, "tenant_column");
			resolve_column(&at->leads_state, prelid, p, pdesc, "state_column");
			if (at->leads_tenant.attnum != InvalidAttrNumber)
			{
				getTypeOutputInfo(at->leads_tenant.typid, &outfunc, &isvarlena);
				fmgr_info_cxt(outfunc, &at->leads_tenant_out, cxt);
			}
		}
		else
		{
			SPI_getbinval(p, pdesc, 5, &isnull);
			if (!isnull)
				at->orders_relid = prelid;
		}
		MemoryContextSwitchTo(caller);
	}
}

/*
 * Read one row of returning_crm.attachment.  Returns NULL when the table is
 * not attached.  The caller is connected to SPI; the description is made in
 * a memory context of its own.
 */
static AttachedTable *
load_attached_table(Oid relid, Oid attached, const char *config)
{
	static SPIPlanPtr config_plan = NULL;
	static SPIPlanPtr legacy_config_plan = NULL;
	static SPIPlanPtr partner_plan = NULL;
	static SPIPlanPtr config_json_plan = NULL;
	static SPIPlanPtr partner_json_plan = NULL;
	Oid			argtypes[2] = {OIDOID, TEXTOID};
	Oid			jsonbtype[1] = {JSONBOID};
	Datum		args[2];
	Datum		config_jsonb = (Datum) 0;
	int			rc;
	bool		distributed;
	char	   *distribution_column;
	uint32		shard_key = 0;
	MemoryContext cxt;
	MemoryContext old;
	AttachedTable *at;
	HeapTuple	cfg;
	TupleDesc	desc;
	char	   *kind;

	if (partner_plan == NULL)
	{
		argtypes[0] = TEXTOID;
		partner_plan = keep_plan(partner_query, 2, argtypes);
	}
	if (config != NULL)
	{
		if (config_json_plan == NULL)
		{
			config_json_plan = keep_plan(config_json_query, 1, jsonbtype);
			partner_json_plan = keep_plan(partner_json_query, 1, jsonbtype);
		}
		config_jsonb = DirectFunctionCall1(jsonb_in, CStringGetDatum(config));
		if (!config_table_known(config_jsonb))
			return NULL;
		rc = SPI_execute_plan(config_json_plan, &config_jsonb, NULL, true, 1);
	}
	else
	{
		SPIPlanPtr *plan = catalog_is_legacy() ? &legacy_config_plan : &config_plan;

		Oid			oidtype[1] = {OIDOID};

		if (*plan == NULL)
			*plan = keep_plan(plan == &config_plan ? config_query : legacy_config_query,
							  1, oidtype);
		args[0] = ObjectIdGetDatum(attached);
		rc = SPI_execute_plan(*plan, args, NULL, true, 1);
	}
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read returning_crm.attachment");
	if (SPI_processed == 0)
		return NULL;
	/* the row stays valid through the look-ups below, until SPI_finish */
	cfg = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	if (config != NULL)
		attached = trigger_config_table(relid, cfg, desc);

	if (config != NULL && relid != attached && !get_rel_relispartition(relid))
		shard_key = shard_range_key(relid);
	/* (SPI leaves its own memory context current: before the switch) */
	distributed = relation_is_distributed(attached, &distribution_column);
	cxt = AllocSetContextCreate(config_context, "returning attached table",
								ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);

	at = palloc0(sizeof(AttachedTable));

	at->relid = relid;
	at->attached_relid = attached;
	at->generation = ++description_generation;
	/*
	 * A shard of a distributed table: its statements name the shard itself
	 * and the co-located shard of its partner, plain tables of this node, so
	 * that they run here, in this backend, as on a single node.
	 */
	at->on_shard = config != NULL && relid != attached && !get_rel_relispartition(relid);
	at->distributed = distributed;
	kind = SPI_getvalue(cfg, desc, 1);
	for (int i = 0; i < lengthof(kind_names); i++)
		if (strcmp(kind, kind_names[i]) == 0)
			at->kind = (AttachKind) i;
	at->workspace = SPI_getvalue(cfg, desc, 2);
	at->workspace_key = (int32) hash_bytes((const unsigned char *) at->workspace,
										   strlen(at->workspace));
	/*
	 * The client locks of a shard are its own: a client's rows are in one
	 * shard, and the backends that Citus runs one statement with on several
	 * shards of a node must not wait for each other's buckets.  Co-located
	 * shards (the orders and the leads of the same tenants) share them.
	 */
	if (at->on_shard)
		at->workspace_key = (int32) hash_combine((uint32) at->workspace_key, shard_key);
	/* a shard reads its rules from the configuration it carries (rules.c) */
	if (at->on_shard)
		at->config = pstrdup(config);
	/* SQL names the attached table: on a partition, it spans them all */
	at->sql_relid = at->on_shard ? relid : attached;
	at->qualified_name = qualified_name(at->sql_relid);

	resolve_mapping(at, relid, cfg, desc, config, cxt);

	/* The partner table of the workspace: leads for orders, orders for leads */
	MemoryContextSwitchTo(old);
	load_partner(at, relid, attached, config, config_jsonb, partner_plan,
				 partner_json_plan, cxt);

	if (at->distributed)
		check_distribution(at, distribution_column);
	at->valid = true;
	return at;
}

/*
 * The description of an attached table, or an error if the table is not
 * attached as the expected kind.
 */
AttachedTable *
get_attached_table(Oid relid, AttachKind expected)
{
	return get_table(relid, expected, NULL);
}

/*
 * A string or boolean member of the configuration a shard's trigger
 * carries, as text, or NULL.
 */
char *
config_member_text(const char *config, const char *key)
{
	Jsonb	   *jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(config)));
	JsonbValue	k;
	JsonbValue *v;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	v = findJsonbValueFromContainer(&jb->root, JB_FOBJECT, &k);
	if (v != NULL && v->type == jbvBool)
		return pstrdup(v->val.boolean ? "true" : "false");
	if (v == NULL || v->type != jbvString)
		return NULL;
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/*
 * The description of a table outside its triggers (the SQL functions that
 * describe it): as get_attached_table, and on a shard from the
 * configuration its row trigger carries.
 */
AttachedTable *
described_table(Oid relid)
{
	Relation	rel = table_open(relid, AccessShareLock);
	TriggerDesc *trigdesc = rel->trigdesc;
	char	   *config = NULL;

	for (int i = 0; trigdesc != NULL && i < trigdesc->numtriggers && config == NULL; i++)
	{
		Trigger    *t = &trigdesc->triggers[i];

		if (t->tgnargs >= 1 && trigger_role(t->tgfoid) == TRIGGER_ROLE_ROW)
			config = pstrdup(t->tgargs[0]);
	}
	table_close(rel, AccessShareLock);
	return get_table(relid, ATTACH_ANY, config);
}

/*
 * The description of a table's partner: the leads of orders, the orders of
 * leads.  On a shard, from the partner's trigger configuration.
 */
AttachedTable *
partner_table(AttachedTable *at)
{
	if (at->kind == ATTACH_ORDERS)
		return get_table(at->leads_relid, ATTACH_LEADS, at->partner_config);
	return get_table(at->orders_relid, ATTACH_ORDERS, at->partner_config);
}

/*
 * Does this database hold the catalog of returning 0.1.0?  Between the
 * installation of this library and ALTER EXTENSION "returning" UPDATE, the
 * triggers and functions that 0.1.0 created call this library.  Their rows
 * keep being classified, with what that catalog describes: no responsible
 * column, routed orders in returning_crm.routed_order, no rules and no
 * announcements.  What 0.1.0 could not do waits for the update
 * (require_current_catalog).  Two syscache look-ups.
 */
bool
catalog_is_legacy(void)
{
	Oid			nsp = get_namespace_oid("returning_crm", true);
	Oid			attachment;

	if (!OidIsValid(nsp))
		return false;
	attachment = get_relname_relid("attachment", nsp);
	return OidIsValid(attachment) &&
		get_attnum(attachment, "responsible_column") == InvalidAttrNumber;
}

/* Refuse what needs the current catalog while the database holds 0.1.0's */
void
require_current_catalog(const char *what)
{
	if (catalog_is_legacy())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s needs the objects of returning %s", what, RETURNING_VERSION),
				 errdetail("This database holds the objects of an earlier version of the extension; its triggers keep classifying rows until the update."),
				 errhint("Run ALTER EXTENSION \"returning\" UPDATE.")));
}

/*
 * The description of the table a trigger fires on: from the configuration
 * of the extension when the table (or the table of which it is a
 * partition) is attached on this node, else from the configuration that
 * travels in the trigger's argument (a shard of a distributed table).  NULL
 * while Citus copies rows into a shard of a table this node does not know
 * yet: the trigger lets them pass.
 */
AttachedTable *
trigger_table(TriggerData *trigdata, AttachKind expected)
{
	Trigger    *trigger = trigdata->tg_trigger;

	return get_table(RelationGetRelid(trigdata->tg_relation), expected,
					 trigger->tgnargs >= 1 ? trigger->tgargs[0] : NULL);
}

static AttachedTable *
get_table(Oid relid, AttachKind expected, const char *config)
{
	CacheEntry *entry;
	bool		found;
	AttachedTable *at;
	UserSwitch	us;

	entry = hash_search(attached_cache, &relid, HASH_ENTER, &found);
	if (!found)
		entry->table = NULL;

	if (entry->table == NULL || !entry->table->valid)
	{
		if (entry->table != NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

			retired_contexts = lappend(retired_contexts, entry->table);
			MemoryContextSwitchTo(old);
			entry->table = NULL;
		}
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		/* the configuration is the extension's: no grant on it is needed */
		switch_to_config_owner(&us);
		at = load_attached_table(relid, relid, NULL);
		if (at == NULL && get_rel_relispartition(relid))
		{
			/* a partition of an attached table: its root's configuration */
			List	   *ancestors = get_partition_ancestors(relid);

			at = load_attached_table(relid, llast_oid(ancestors), NULL);
			list_free(ancestors);
		}
		if (at == NULL && config != NULL)
		{
			at = load_attached_table(relid, InvalidOid, config);
			if (at == NULL)
			{
				/* a table this node does not know yet (config_table_known) */
				switch_back(&us);
				SPI_finish();
				hash_search(attached_cache, &relid, HASH_REMOVE, NULL);
				return NULL;
			}
		}
		switch_back(&us);
		SPI_finish();
		if (at == NULL)
		{
			hash_search(attached_cache, &relid, HASH_REMOVE, NULL);
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("table \"%s\" is not attached to returning",
							get_rel_name(relid)),
					 errhint("Use returning_crm.attach_%s() to attach it.",
							 expected == ATTACH_ANY ? "*" : kind_names[expected])));
		}
		entry->table = at;
	}

	at = entry->table;
	if (expected != ATTACH_ANY && at->kind != expected)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("table \"%s\" is attached as %s, not as %s",
						get_rel_name(relid), kind_names[at->kind],
						kind_names[expected])));
	return at;
}

/*
 * The description of the table of a kind attached to a workspace, or NULL
 * when the workspace has none.  The answer is kept until the next relcache
 * invalidation.
 */
AttachedTable *
find_attached_table(const char *workspace, AttachKind kind)
{
	static SPIPlanPtr find_plan = NULL;
	ListCell   *lc;
	Oid			relid = InvalidOid;
	bool		found = false;

	foreach(lc, workspace_entries)
	{
		WorkspaceEntry *w = lfirst(lc);

		if (w->kind == kind && strcmp(w->workspace, workspace) == 0)
		{
			relid = w->relid;
			found = true;
			break;
		}
	}

	if (!found)
	{
		Oid			argtypes[2] = {TEXTOID, TEXTOID};
		Datum		args[2];
		WorkspaceEntry *w;
		MemoryContext old;
		UserSwitch	us;
		int			rc;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (find_plan == NULL)
			find_plan = keep_plan("SELECT a.relid::pg_catalog.oid FROM returning_crm.attachment a"
								  " WHERE a.workspace OPERATOR(pg_catalog.=) $1"
								  " AND a.kind OPERATOR(pg_catalog.=) $2", 2, argtypes);
		args[0] = CStringGetTextDatum(workspace);
		args[1] = CStringGetTextDatum(kind_names[kind]);
		switch_to_config_owner(&us);
		rc = SPI_execute_plan(find_plan, args, NULL, true, 1);
		switch_back(&us);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "could not read returning_crm.attachment");
		if (SPI_processed > 0)
		{
			bool		isnull;

			relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0],
												   SPI_tuptable->tupdesc, 1, &isnull));
		}
		SPI_finish();

		old = MemoryContextSwitchTo(config_context);
		w = palloc(sizeof(WorkspaceEntry));
		w->workspace = pstrdup(workspace);
		w->kind = kind;
		w->relid = relid;
		workspace_entries = lappend(workspace_entries, w);
		MemoryContextSwitchTo(old);
	}

	if (!OidIsValid(relid))
		return NULL;
	return get_attached_table(relid, kind);
}

/*
 * Make every backend reload its descriptions of a workspace's tables (after
 * attach and detach).  Connected to SPI.
 */
void
invalidate_workspace(const char *workspace)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(workspace)};
	UserSwitch	us;
	int			rc;

	switch_to_config_owner(&us);
	rc = SPI_execute_with_args("SELECT a.relid::pg_catalog.oid FROM returning_crm.attachment a"
							   " WHERE a.workspace OPERATOR(pg_catalog.=) $1",
							   1, argtypes, args, NULL, true, 0);
	switch_back(&us);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read returning_crm.attachment");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Oid			relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
														   SPI_tuptable->tupdesc, 1, &isnull));

		if (SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
			CacheInvalidateRelcacheByRelid(relid);
	}
	/* and the workspaces of identity.c, which every invalidation resets */
	CacheInvalidateRelcacheByRelid(get_relname_relid("attachment",
													 get_namespace_oid("returning_crm", false)));
}

static bool
value_in_list(const ValueList *list, const char *value)
{
	for (int i = 0; i < list->count; i++)
		if (strcmp(list->values[i], value) == 0)
			return true;
	return false;
}

/* Is the text form of a status or stage value in the list? */
bool
status_in_list(AttachedTable *at, Datum value, bool isnull, const ValueList *list)
{
	char	   *text;
	bool		result;

	if (isnull || list->count == 0)
		return false;
	if (at->status.typid == TEXTOID || at->status.typid == VARCHAROID)
	{
		/* the text form of text is itself: compare without a copy */
		for (int i = 0; i < list->count; i++)
			if (text_equals(value, list->values[i]))
				return true;
		return false;
	}
	text = OutputFunctionCall(&at->status_out, value);
	result = value_in_list(list, text);
	pfree(text);
	return result;
}

/* An integer id column as int64 */
int64
column_int64(const MappedColumn *col, const Row *row, bool *isnull)
{
	Datum		value;

	if (col->attnum == InvalidAttrNumber)
	{
		*isnull = true;
		return 0;
	}
	value = row_attr(row, col->attnum, isnull);
	if (*isnull)
		return 0;
	return integer_of_datum(value, col->typlen);
}

/* A value of an integer type, or of a domain over one: its length tells which */
int64
integer_of_datum(Datum value, int16 typlen)
{
	switch (typlen)
	{
		case 2:
			return DatumGetInt16(value);
		case 4:
			return DatumGetInt32(value);
		default:
			return DatumGetInt64(value);
	}
}

/* The text form of the row's tenant, or NULL without a tenant column */
char *
column_tenant(AttachedTable *at, const Row *row)
{
	bool		isnull;
	Datum		value;

	if (at->tenant.attnum == InvalidAttrNumber)
		return NULL;
	value = row_attr(row, at->tenant.attnum, &isnull);
	if (isnull)
		return NULL;
	return OutputFunctionCall(&at->tenant_out, value);
}

/*
 * A function's tenant argument is given exactly when the workspace's tables
 * have a tenant column (their ids are unique per tenant).  "at" may be NULL:
 * a workspace without the table.
 */
void
check_tenant_argument(AttachedTable *at, const char *tenant)
{
	if (at == NULL)
		return;
	if (at->tenant.attnum != InvalidAttrNumber && tenant == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("tenant must be given for workspace \"%s\"", at->workspace),
				 errdetail("Table %s has the tenant column %s.", at->qualified_name,
						   at->tenant.name)));
	if (at->tenant.attnum == InvalidAttrNumber && tenant != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("workspace \"%s\" has no tenants", at->workspace),
				 errdetail("Table %s has no tenant column.", at->qualified_name),
				 errhint("Pass tenant => NULL.")));
}

/*
 * Append "AND alias.tenant = $n::type" when the table has a tenant column.
 * The parameter is passed as text and cast to the column's type, so that the
 * comparison can use the table's indexes.
 */
void
append_tenant_param(StringInfo buf, AttachedTable *at, const char *alias, int param)
{
	if (at->tenant.attnum == InvalidAttrNumber)
		return;
	appendStringInfo(buf, " AND %s.%s", alias, at->tenant.name);
	append_operator(buf, at->tenant.typid, BTEqualStrategyNumber);
	appendStringInfo(buf, "$%d::%s", param,
					 format_type_be_qualified(getBaseType(at->tenant.typid)));
}

/*
 * " AND alias.column = other.tenant", when the table has a tenant column:
 * alias is the table (column its tenant column) or a derived table (column
 * "tenant"), other a derived table with a column "tenant".
 */
void
append_tenant_match(StringInfo buf, AttachedTable *at, const char *alias,
					const char *column, const char *other)
{
	if (at->tenant.attnum == InvalidAttrNumber)
		return;
	appendStringInfo(buf, " AND %s.%s", alias, column);
	append_operator(buf, at->tenant.typid, BTEqualStrategyNumber);
	appendStringInfo(buf, "%s.tenant", other);
}

/*
 * Append "alias.column = ANY ($1)": the rows of several keys (clients or
 * leads), their ids passed as $1 and, with a tenant column, their tenants
 * as $2, a text array of the same length.  A key is an (id, tenant) pair:
 * the ANY tests let the planner scan the indexes, and the pairs are then
 * matched one to one, so that no id is taken with another key's tenant.
 * With one, the arrays hold one key, compared as a plain value.
 */
void
append_keys_filter(StringInfo buf, AttachedTable *at, const char *alias,
				   const char *column, bool one)
{
	Oid			array;

	if (one)
		appendStringInfo(buf, "%s.%s OPERATOR(pg_catalog.=) ($1)[1]", alias, column);
	else
		appendStringInfo(buf, "%s.%s OPERATOR(pg_catalog.=) ANY ($1)", alias, column);
	if (at->tenant.attnum == InvalidAttrNumber)
		return;
	array = get_array_type(getBaseType(at->tenant.typid));
	if (!OidIsValid(array))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("type %s of the tenant column has no array type",
						format_type_be(at->tenant.typid))));
	appendStringInfo(buf, " AND %s.%s", alias, at->tenant.name);
	append_operator(buf, at->tenant.typid, BTEqualStrategyNumber);
	if (one)
	{
		appendStringInfo(buf, "($2::%s)[1]", format_type_be_qualified(array));
		return;
	}
	appendStringInfo(buf, "ANY ($2::%s) AND EXISTS (SELECT FROM ROWS FROM"
					 " (pg_catalog.unnest($1), pg_catalog.unnest($2::%s)) AS k(id, tenant)"
					 " WHERE k.id OPERATOR(pg_catalog.=) %s.%s AND k.tenant",
					 format_type_be_qualified(array), format_type_be_qualified(array),
					 alias, column);
	append_operator(buf, at->tenant.typid, BTEqualStrategyNumber);
	appendStringInfo(buf, "%s.%s)", alias, at->tenant.name);
}
