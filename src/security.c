/*-------------------------------------------------------------------------
 *
 * security.c
 *	  Whose rights the extension's SQL runs with.
 *
 * The invariant: no statement on an application table runs with more
 * rights than the table's owner.  The functions a user calls run with the
 * caller's rights (they are SECURITY INVOKER); where they change an
 * application table (attach, detach, reclassify), that step runs as the
 * table's owner, in a security-restricted operation with a GUC level of its
 * own, the way VACUUM and CREATE INDEX run the code of a table's owner: so
 * a trigger, cast, default or index expression of the owner runs with the
 * owner's rights even when a superuser attaches, and leaves no setting
 * behind.  The extension's triggers run their statements as the owner of
 * the table that they fire on, as the foreign-key triggers do, so that a
 * writer needs nothing beyond what its own statement needs.
 *
 * The extension's configuration tables are written only through the few
 * fixed statements of _config_write(), after it has checked the caller:
 * ownership of the table for attaching and detaching, membership in the
 * role that owns the workspace for everything else.  Those statements run
 * as the owner of the configuration tables and touch no application table.
 *
 * Ownership is always checked against the current role (GetUserId), not
 * the session's, so that a SECURITY DEFINER wrapper of another role can do
 * no more than that role could.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/tuplestore.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "config.h"
#include "returning.h"
#include "security.h"

PG_FUNCTION_INFO_V1(returning_as_owner);
PG_FUNCTION_INFO_V1(returning_config_write);

/* The owner of a relation; an error when it does not exist */
static Oid
table_owner(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/* The owner of the extension's configuration tables */
static Oid
config_owner(void)
{
	Oid			nsp = get_namespace_oid("returning_crm", false);
	Oid			relid = get_relname_relid("attachment", nsp);

	if (!OidIsValid(relid))
		elog(ERROR, "returning_crm.attachment does not exist");
	return table_owner(relid);
}

/*
 * Make owner the current user until switch_back().  maintenance adds what
 * PostgreSQL's maintenance commands add: a security-restricted operation
 * and a GUC level of its own with a search_path of pg_catalog only, so
 * that nothing the owner's code sets outlives the step.  Both kinds see
 * every row of the owner's tables: forced row-level security is for other
 * users of a table, not for the rules that span its rows.
 */
void
switch_to_owner(Oid owner, bool maintenance, UserSwitch *saved)
{
	int			sec;

	GetUserIdAndSecContext(&saved->user, &saved->sec_context);
	sec = saved->sec_context | SECURITY_LOCAL_USERID_CHANGE | SECURITY_NOFORCE_RLS;
	if (maintenance)
		sec |= SECURITY_RESTRICTED_OPERATION;
	SetUserIdAndSecContext(owner, sec);
	saved->guc_level = 0;
	if (maintenance)
	{
		saved->guc_level = NewGUCNestLevel();
		(void) set_config_option("search_path", "pg_catalog, pg_temp",
								 PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	}
}

void
switch_to_table_owner(Oid relid, bool maintenance, UserSwitch *saved)
{
	switch_to_owner(table_owner(relid), maintenance, saved);
}

/*
 * For the extension's own statements on its configuration tables: no
 * application code runs in them.
 */
void
switch_to_config_owner(UserSwitch *saved)
{
	switch_to_owner(config_owner(), true, saved);
}

void
switch_back(UserSwitch *saved)
{
	if (saved->guc_level > 0)
		AtEOXact_GUC(true, saved->guc_level);
	SetUserIdAndSecContext(saved->user, saved->sec_context);
}

/*
 * Complain unless the current role owns the table (or has the privileges
 * of its owner).  action completes "Only the table's owner can ...".
 */
void
check_table_owner(Oid relid, const char *action)
{
	char	   *name = get_rel_name(relid);

	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	if (!pg_class_ownercheck(relid, GetUserId()))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be owner of table %s", name),
				 errdetail("Only the table's owner can %s.", action)));
}

static const char *const workspace_owner_query =
"SELECT w.owner::pg_catalog.oid FROM returning_crm.workspace w"
" WHERE w.name OPERATOR(pg_catalog.=) $1";

static const char *const workspace_claim_query =
"INSERT INTO returning_crm.workspace AS w (name, owner) VALUES ($1, $2::pg_catalog.regrole)"
" ON CONFLICT (name) DO NOTHING";

/* The owner of a workspace, or InvalidOid.  Connected to SPI. */
static Oid
workspace_owner(const char *workspace)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(workspace)};
	UserSwitch	us;
	Oid			owner = InvalidOid;
	int			rc;

	switch_to_config_owner(&us);
	rc = SPI_execute_with_args(workspace_owner_query, 1, argtypes, args, NULL, true, 1);
	switch_back(&us);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read returning_crm.workspace");
	if (SPI_processed > 0)
	{
		bool		isnull;

		owner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0],
											   SPI_tuptable->tupdesc, 1, &isnull));
	}
	return owner;
}

/*
 * Complain unless the current role is a member of the role that owns the
 * workspace (or a superuser).  With claim, a workspace that has no owner
 * yet becomes the current role's.  Connected to SPI.
 */
void
check_workspace_member(const char *workspace, bool claim)
{
	Oid			owner;

	if (workspace == NULL || workspace[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("workspace must not be empty")));
	owner = workspace_owner(workspace);
	if (!OidIsValid(owner) && claim)
	{
		Oid			argtypes[2] = {TEXTOID, OIDOID};
		Datum		args[2] = {CStringGetTextDatum(workspace), ObjectIdGetDatum(GetUserId())};
		UserSwitch	us;
		int			rc;

		switch_to_config_owner(&us);
		rc = SPI_execute_with_args(workspace_claim_query, 2, argtypes, args, NULL, false, 0);
		switch_back(&us);
		if (rc != SPI_OK_INSERT)
			elog(ERROR, "could not write returning_crm.workspace");
		owner = workspace_owner(workspace);
	}
	if (!OidIsValid(owner))
		return;
	if (!has_privs_of_role(GetUserId(), owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for workspace \"%s\"", workspace),
				 errdetail("Workspace \"%s\" belongs to role \"%s\", the role that attached its first table.",
						   workspace, GetUserNameFromId(owner, false)),
				 errhint("Its tables, settings and exception list can be changed by members of that role.")));
}

/*
 * _as_owner(table regclass, statement text) RETURNS bigint: run one
 * statement on an application table as the table's owner, in a
 * security-restricted operation; returns the bigint that a statement
 * selecting one selects (a count), else the number of rows processed.  The
 * caller must own the table, so that it gains nothing; the attach
 * functions run their DDL and look-ups of the table through it.
 */
Datum
returning_as_owner(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	char	   *sql = text_to_cstring(PG_GETARG_TEXT_PP(1));
	UserSwitch	us;
	int			rc;
	int64		result;

	check_table_owner(relid, "attach, detach or reclassify it");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	switch_to_table_owner(relid, true, &us);
	rc = SPI_execute(sql, false, 0);
	switch_back(&us);
	if (rc < 0)
		elog(ERROR, "could not run \"%s\": %s", sql, SPI_result_code_string(rc));
	result = (int64) SPI_processed;
	if (rc == SPI_OK_SELECT && SPI_processed == 1 &&
		SPI_gettypeid(SPI_tuptable->tupdesc, 1) == INT8OID)
	{
		bool		isnull;
		Datum		value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		result = isnull ? 0 : DatumGetInt64(value);
	}
	SPI_finish();
	PG_RETURN_INT64(result);
}

/*
 * The statements that write the configuration, by name.  $1 is the
 * workspace, $2 the table (or NULL), $3 the arguments as jsonb.  Each
 * returns its rows as jsonb.
 */
typedef struct ConfigStatement
{
	const char *name;
	bool		table_op;		/* needs ownership of $2, not the workspace */
	const char *sql;
} ConfigStatement;

static const ConfigStatement config_statements[] = {
	{"attach", true,
		"INSERT INTO returning_crm.attachment AS a"
		" SELECT (pg_catalog.jsonb_populate_record(NULL::returning_crm.attachment,"
		"   $3 OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object("
		"     'relid', $2::pg_catalog.oid, 'workspace', $1,"
		"     'attached_at', pg_catalog.now()))).*"
	" RETURNING pg_catalog.to_jsonb(a.*)"},
	{"detach", true,
		"DELETE FROM returning_crm.attachment a"
		"  WHERE a.relid::pg_catalog.oid OPERATOR(pg_catalog.=) $2::pg_catalog.oid"
	" RETURNING pg_catalog.to_jsonb(a.*)"},
	/* old reads the row as the statement's snapshot saw it, before new */
	{"settings", false,
		"WITH old AS (SELECT s.default_region FROM returning_crm.workspace_settings s"
		"              WHERE s.workspace OPERATOR(pg_catalog.=) $1),"
		" new AS (INSERT INTO returning_crm.workspace_settings AS s"
		"   (workspace, repeat_sales, leads_enabled, use_finished_lead, default_region,"
		"    notify_channel, log_changes)"
		"   VALUES ($1, coalesce(($3 OPERATOR(pg_catalog.->>) 'repeat_sales')::pg_catalog.bool, true),"
		"           ($3 OPERATOR(pg_catalog.->>) 'leads_enabled')::pg_catalog.bool,"
		"           coalesce(($3 OPERATOR(pg_catalog.->>) 'use_finished_lead')::pg_catalog.bool, false),"
		"           CASE WHEN ($3 OPERATOR(pg_catalog.->>) 'default_region') OPERATOR(pg_catalog.<>) '' THEN $3 OPERATOR(pg_catalog.->>) 'default_region' END,"
		"           CASE WHEN ($3 OPERATOR(pg_catalog.->>) 'notify_channel') OPERATOR(pg_catalog.<>) '' THEN $3 OPERATOR(pg_catalog.->>) 'notify_channel' END,"
		"           coalesce(($3 OPERATOR(pg_catalog.->>) 'log_changes')::pg_catalog.bool, false))"
		"   ON CONFLICT (workspace) DO UPDATE SET"
		"     repeat_sales = coalesce(($3 OPERATOR(pg_catalog.->>) 'repeat_sales')::pg_catalog.bool, s.repeat_sales),"
		"     leads_enabled = coalesce(($3 OPERATOR(pg_catalog.->>) 'leads_enabled')::pg_catalog.bool, s.leads_enabled),"
		"     use_finished_lead = coalesce(($3 OPERATOR(pg_catalog.->>) 'use_finished_lead')::pg_catalog.bool, s.use_finished_lead),"
		"     default_region = CASE WHEN $3 OPERATOR(pg_catalog.->>) 'default_region' IS NULL THEN s.default_region"
		"                           ELSE CASE WHEN ($3 OPERATOR(pg_catalog.->>) 'default_region') OPERATOR(pg_catalog.<>) '' THEN $3 OPERATOR(pg_catalog.->>) 'default_region' END END,"
		"     notify_channel = CASE WHEN $3 OPERATOR(pg_catalog.->>) 'notify_channel' IS NULL THEN s.notify_channel"
		"                           ELSE CASE WHEN ($3 OPERATOR(pg_catalog.->>) 'notify_channel') OPERATOR(pg_catalog.<>) '' THEN $3 OPERATOR(pg_catalog.->>) 'notify_channel' END END,"
		"     log_changes = coalesce(($3 OPERATOR(pg_catalog.->>) 'log_changes')::pg_catalog.bool, s.log_changes)"
		"   RETURNING s.*)"
		" SELECT pg_catalog.to_jsonb(new.*) OPERATOR(pg_catalog.||)"
		"        pg_catalog.jsonb_build_object('old_region', (SELECT old.default_region FROM old))"
	"   FROM new"},
	{"add_exceptions", false,
		"INSERT INTO returning_crm.exception AS e (workspace, tenant, kind, value, comment)"
		" SELECT $1, x.tenant, x.kind, x.value, x.comment"
		"   FROM pg_catalog.jsonb_to_recordset($3) AS x(tenant pg_catalog.text, kind pg_catalog.text, value pg_catalog.text, comment pg_catalog.text)"
		" ON CONFLICT ON CONSTRAINT exception_value_key DO NOTHING"
	" RETURNING pg_catalog.to_jsonb(e.*)"},
	{"get_exception", false,
		"SELECT pg_catalog.to_jsonb(e.*) FROM returning_crm.exception e"
		" WHERE e.workspace OPERATOR(pg_catalog.=) $1"
		"   AND e.kind OPERATOR(pg_catalog.=) ($3 OPERATOR(pg_catalog.->>) 'kind')"
		"   AND e.value OPERATOR(pg_catalog.=) ($3 OPERATOR(pg_catalog.->>) 'value')"
	"   AND coalesce(e.tenant OPERATOR(pg_catalog.=) ($3 OPERATOR(pg_catalog.->>) 'tenant'), e.tenant IS NULL AND ($3 OPERATOR(pg_catalog.->>) 'tenant') IS NULL)"},
	{"remove_exception", false,
		"DELETE FROM returning_crm.exception e"
		" WHERE e.workspace OPERATOR(pg_catalog.=) $1"
		"   AND e.kind OPERATOR(pg_catalog.=) ($3 OPERATOR(pg_catalog.->>) 'kind')"
		"   AND e.value OPERATOR(pg_catalog.=) ($3 OPERATOR(pg_catalog.->>) 'value')"
		"   AND coalesce(e.tenant OPERATOR(pg_catalog.=) ($3 OPERATOR(pg_catalog.->>) 'tenant'), e.tenant IS NULL AND ($3 OPERATOR(pg_catalog.->>) 'tenant') IS NULL)"
	" RETURNING pg_catalog.to_jsonb(e.*)"},
	{"add_rule", true,
		"INSERT INTO returning_crm.rule AS r (relid, state, set_values, name)"
		" VALUES ($2::pg_catalog.oid::pg_catalog.regclass, $3 OPERATOR(pg_catalog.->>) 'state',"
		"         $3 OPERATOR(pg_catalog.->) 'set_values', $3 OPERATOR(pg_catalog.->>) 'name')"
	" RETURNING pg_catalog.to_jsonb(r.*)"},
	{"remove_rule", true,
		"DELETE FROM returning_crm.rule r"
		" WHERE r.id OPERATOR(pg_catalog.=) ($3 OPERATOR(pg_catalog.->>) 'id')::pg_catalog.int8"
		"   AND r.relid::pg_catalog.oid OPERATOR(pg_catalog.=) $2::pg_catalog.oid"
	" RETURNING pg_catalog.to_jsonb(r.*)"},
	/* what attach and reclassify note in an attachment afterwards: the report view, the last reclassify */
	{"attachment_notes", true,
		"UPDATE returning_crm.attachment a SET"
		"  report_view = CASE WHEN $3 OPERATOR(pg_catalog.?) 'report_view'"
		"    THEN ($3 OPERATOR(pg_catalog.->>) 'report_view')::pg_catalog.oid::pg_catalog.regclass"
		"    ELSE a.report_view END,"
		"  last_reclassified_at = CASE WHEN $3 OPERATOR(pg_catalog.?) 'reclassify_changed'"
		"    THEN pg_catalog.now() ELSE a.last_reclassified_at END,"
		"  last_reclassify_changed = CASE WHEN $3 OPERATOR(pg_catalog.?) 'reclassify_changed'"
		"    THEN ($3 OPERATOR(pg_catalog.->>) 'reclassify_changed')::pg_catalog.int8"
		"    ELSE a.last_reclassify_changed END"
		" WHERE a.relid::pg_catalog.oid OPERATOR(pg_catalog.=) $2::pg_catalog.oid"
	" RETURNING pg_catalog.to_jsonb(a.*)"},
};

/*
 * The check of a table operation: the caller owns the table.  A table that
 * no longer exists may be detached by anyone: only its stale configuration
 * is left (the event trigger on DROP TABLE removes it so).
 */
static void
check_table_op(const ConfigStatement *stmt, Oid relid, const char *workspace)
{
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("table must not be NULL")));
	if (strcmp(stmt->name, "detach") == 0 &&
		!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		return;
	check_table_owner(relid, strcmp(stmt->name, "attach") == 0 ? "attach it" :
					  strcmp(stmt->name, "detach") == 0 ? "detach it" : "change its rules");
	if (strcmp(stmt->name, "attach") == 0)
		check_workspace_member(workspace, true);
}

/* Make the function return its rows, one jsonb each, in a tuplestore */
static void
start_jsonb_set(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext old;
	TupleDesc	tupdesc;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	tupdesc = CreateTemplateTupleDesc(1);
	TupleDescInitEntry(tupdesc, (AttrNumber) 1, "entry", JSONBOID, -1, 0);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->setDesc = tupdesc;
	MemoryContextSwitchTo(old);
}

/*
 * _config_write(statement text, workspace text, table regclass, args jsonb)
 *	  RETURNS SETOF jsonb
 *
 * Run one of the fixed statements that write the configuration, after
 * checking the caller's right to it, as the owner of the configuration.
 * Attach and detach make every backend reload its descriptions of the
 * workspace's tables.
 */
Datum
returning_config_write(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const ConfigStatement *stmt = NULL;
	char	   *name;
	char	   *workspace;
	Oid			relid;
	Oid			argtypes[3] = {TEXTOID, OIDOID, JSONBOID};
	Datum		args[3];
	char		nulls[3] = {' ', ' ', ' '};
	UserSwitch	us;
	int			rc;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("workspace must not be NULL")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	workspace = text_to_cstring(PG_GETARG_TEXT_PP(1));
	relid = PG_ARGISNULL(2) ? InvalidOid : PG_GETARG_OID(2);
	for (int i = 0; i < lengthof(config_statements); i++)
		if (strcmp(config_statements[i].name, name) == 0)
			stmt = &config_statements[i];
	if (stmt == NULL)
		elog(ERROR, "unknown configuration statement \"%s\"", name);

	start_jsonb_set(fcinfo);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (stmt->table_op)
		check_table_op(stmt, relid, workspace);
	else
		check_workspace_member(workspace, true);

	args[0] = CStringGetTextDatum(workspace);
	args[1] = ObjectIdGetDatum(relid);
	nulls[1] = OidIsValid(relid) ? ' ' : 'n';
	args[2] = PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3);
	nulls[2] = PG_ARGISNULL(3) ? 'n' : ' ';

	switch_to_config_owner(&us);
	rc = SPI_execute_with_args(stmt->sql, 3, argtypes, args, nulls, false, 0);
	switch_back(&us);
	if (rc < 0)
		elog(ERROR, "could not write the configuration: %s", SPI_result_code_string(rc));

	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		value = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1,
										  &isnull);

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
	}

	/* every backend reloads what it keeps of the workspace */
	if (stmt->table_op)
	{
		if (SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
			CacheInvalidateRelcacheByRelid(relid);
		invalidate_workspace(workspace);
	}
	else if (strcmp(stmt->name, "settings") == 0)
		invalidate_workspace(workspace);
	SPI_finish();
	return (Datum) 0;
}
