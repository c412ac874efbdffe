/*-------------------------------------------------------------------------
 *
 * triggers.c
 *	  The extension's triggers on an attached table, and the check that
 *	  they can keep its states right.
 *
 * The triggers of a table work together: the row trigger classifies, the
 * statement triggers around it open and close what the statement
 * remembers and recompute the clients whose history it changed.  One of
 * them disabled alone leaves states wrong, and so does an application's
 * BEFORE ROW trigger that fires after the row trigger (BEFORE ROW triggers
 * fire in the order of their names) and changes a column the rules read.
 * The BEFORE statement trigger refuses such a statement.
 *
 * The extension's triggers are recognised by their functions, which are
 * the C functions of this library, never by their names.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_trigger.h"
#include "access/table.h"
#include "commands/trigger.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/syscache.h"

#include "triggers.h"

/* The C symbols of the trigger functions, and what each does */
static const struct
{
	const char *symbol;
	TriggerRole role;
}			trigger_symbols[] = {
	{"order_row_trigger", TRIGGER_ROLE_ROW},
	{"lead_row_trigger", TRIGGER_ROLE_ROW},
	{"order_statement_trigger", TRIGGER_ROLE_STATEMENT},
	{"lead_statement_trigger", TRIGGER_ROLE_STATEMENT},
	{"lead_truncate_trigger", TRIGGER_ROLE_TRUNCATE},
	{"order_truncate_trigger", TRIGGER_ROLE_TRUNCATE},
};

/*
 * Functions looked up so far.  A function's OID is not reused while the
 * backend can still meet triggers of it, and there are few trigger
 * functions in a database, so a small array suffices; when it is full it
 * starts again.
 */
#define ROLE_CACHE_SIZE 32

static struct
{
	Oid			funcid;
	TriggerRole role;
}			role_cache[ROLE_CACHE_SIZE];
static int	role_cache_used = 0;

static TriggerRole
lookup_role(Oid funcid)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	TriggerRole role = TRIGGER_ROLE_NONE;
	Form_pg_proc proc;
	bool		isnull;
	Datum		bin;

	if (!HeapTupleIsValid(tup))
		return TRIGGER_ROLE_NONE;
	proc = (Form_pg_proc) GETSTRUCT(tup);
	bin = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_probin, &isnull);
	if (proc->prolang == ClanguageId && !isnull &&
		strcmp(TextDatumGetCString(bin), "$libdir/returning") == 0)
	{
		char	   *src = TextDatumGetCString(SysCacheGetAttr(PROCOID, tup,
															  Anum_pg_proc_prosrc,
															  &isnull));

		for (int i = 0; i < lengthof(trigger_symbols); i++)
			if (strcmp(src, trigger_symbols[i].symbol) == 0)
				role = trigger_symbols[i].role;
	}
	ReleaseSysCache(tup);
	return role;
}

/* What the function does, if it is one of the extension's triggers */
TriggerRole
trigger_role(Oid funcid)
{
	TriggerRole role;

	for (int i = 0; i < role_cache_used; i++)
		if (role_cache[i].funcid == funcid)
			return role_cache[i].role;
	role = lookup_role(funcid);
	if (role_cache_used == ROLE_CACHE_SIZE)
		role_cache_used = 0;
	role_cache[role_cache_used].funcid = funcid;
	role_cache[role_cache_used].role = role;
	role_cache_used++;
	return role;
}

/* Does the trigger fire now, with this session's replication role? */
static bool
trigger_fires(const Trigger *trigger)
{
	if (trigger->tgenabled == TRIGGER_DISABLED)
		return false;
	if (SessionReplicationRole == SESSION_REPLICATION_ROLE_REPLICA)
		return trigger->tgenabled == TRIGGER_FIRES_ON_REPLICA ||
			trigger->tgenabled == TRIGGER_FIRES_ALWAYS;
	return trigger->tgenabled == TRIGGER_FIRES_ON_ORIGIN ||
		trigger->tgenabled == TRIGGER_FIRES_ALWAYS;
}

static void
report_disabled(Relation rel, const char *tgname)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("trigger \"%s\" of attached table \"%s\" is disabled",
					tgname, RelationGetRelationName(rel)),
			 errdetail("The triggers of the returning extension work together: with one of them disabled, states would go wrong."),
			 errhint("Enable it with ALTER TABLE ... ENABLE TRIGGER, or detach the table with returning_crm.detach().")));
}

/*
 * Refuse a statement (event: its tg_event) on an attached table unless all
 * of the extension's triggers fire and no application BEFORE ROW trigger
 * of an INSERT or UPDATE fires after the extension's row trigger.
 */
void
check_trigger_set(Relation rel, uint32 event)
{
	TriggerDesc *trigdesc = rel->trigdesc;
	const Trigger *row = NULL;
	int			statement = 0;

	if (trigdesc == NULL)
		return;
	for (int i = 0; i < trigdesc->numtriggers; i++)
	{
		const Trigger *t = &trigdesc->triggers[i];
		TriggerRole role = t->tgisinternal ? TRIGGER_ROLE_NONE : trigger_role(t->tgfoid);

		if (role == TRIGGER_ROLE_NONE)
			continue;
		if (!trigger_fires(t))
			report_disabled(rel, t->tgname);
		if (role == TRIGGER_ROLE_ROW)
			row = t;
		else if (role == TRIGGER_ROLE_STATEMENT)
			statement++;
	}
	if (row == NULL || statement < 2)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("attached table \"%s\" lacks a trigger of the returning extension",
						RelationGetRelationName(rel)),
				 errdetail("One of its triggers was dropped."),
				 errhint("Detach the table with returning_crm.detach() and attach it again.")));

	if (!TRIGGER_FIRED_BY_INSERT(event) && !TRIGGER_FIRED_BY_UPDATE(event))
		return;
	for (int i = 0; i < trigdesc->numtriggers; i++)
	{
		const Trigger *t = &trigdesc->triggers[i];
		bool		same_event = TRIGGER_FIRED_BY_INSERT(event) ?
			TRIGGER_FOR_INSERT(t->tgtype) : TRIGGER_FOR_UPDATE(t->tgtype);

		if (t == row || !TRIGGER_FOR_ROW(t->tgtype) || !TRIGGER_FOR_BEFORE(t->tgtype) ||
			!same_event || !trigger_fires(t) || strcmp(t->tgname, row->tgname) <= 0)
			continue;
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("trigger \"%s\" of attached table \"%s\" fires after the row trigger \"%s\" of the returning extension",
						t->tgname, RelationGetRelationName(rel), row->tgname),
				 errdetail("BEFORE ROW triggers fire in the order of their names, so the extension would not see what that trigger changes."),
				 errhint("Rename the trigger so that its name sorts before \"%s\".",
						 row->tgname)));
	}
}

/*
 * _extension_triggers(regclass) RETURNS SETOF name: the names of the
 * extension's triggers on a table, for detach.
 */
PG_FUNCTION_INFO_V1(returning_extension_triggers);

Datum
returning_extension_triggers(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Relation	rel = table_open(PG_GETARG_OID(0), AccessShareLock);
	TriggerDesc *trigdesc = rel->trigdesc;

	/* called in FROM, as detach does: the expected row is one name */
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	for (int i = 0; trigdesc != NULL && i < trigdesc->numtriggers; i++)
	{
		const Trigger *t = &trigdesc->triggers[i];
		Datum		value;
		bool		isnull = false;

		if (t->tgisinternal || trigger_role(t->tgfoid) == TRIGGER_ROLE_NONE)
			continue;
		value = DirectFunctionCall1(namein, CStringGetDatum(t->tgname));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
	}
	table_close(rel, AccessShareLock);
	return (Datum) 0;
}
