/*-------------------------------------------------------------------------
 *
 * announce.c
 *	  Announcing the state changes of leads and orders.
 *
 * A workspace configured with a notify_channel sends one NOTIFY per changed
 * row, and one with log_changes appends a row to returning_crm.state_change;
 * both are transactional, so a rolled-back change announces nothing.  A
 * change is announced where the row is written: by the row trigger for the
 * row's own insert or update, and for rows that the extension rewrites
 * (history changes) by the row trigger that lets its own UPDATE pass.  The
 * whole-table passes of attach and reclassify announce nothing.
 *
 * The settings are read once per table description: configure() sends the
 * invalidation that rebuilds it.  On a shard of a distributed table the
 * channel comes with the trigger's configuration, which configure() makes
 * anew, and the shard's node sends the NOTIFY: listeners connect there.  A table whose workspace announces nothing
 * pays one comparison per changed row.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/async.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "announce.h"
#include "config.h"
#include "identity.h"
#include "security.h"

static int	suspended = 0;
static SPIPlanPtr log_plan = NULL;

static const char *const log_insert =
"INSERT INTO returning_crm.state_change"
" (workspace, table_name, kind, row_id, tenant, old_state, new_state)"
" VALUES ($1, $2, $3, $4, $5, $6, $7)";

void
announce_suspend(void)
{
	suspended++;
}

void
announce_resume(void)
{
	if (suspended > 0)
		suspended--;
}

/* The workspace's settings, kept in the description */
static void
load_settings(AttachedTable *at)
{
	MemoryContext cxt = GetMemoryChunkContext(at);

	if (at->on_shard)
	{
		/* a shard's settings travel in its trigger's configuration */
		char	   *channel = at->config ? config_member_text(at->config, "notify_channel") : NULL;

		char	   *log_changes = at->config ? config_member_text(at->config, "log_changes") : NULL;

		/*
		 * configure() refuses log_changes for distributed tables; a
		 * workspace that had it on when its tables were distributed has
		 * its writes refused here until it is turned off.
		 */
		if (log_changes != NULL && strcmp(log_changes, "true") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("log_changes is not supported on distributed tables"),
					 errdetail("Workspace \"%s\" has log_changes on, and table \"%s\" is distributed: the change log is a table of one node.",
							   at->workspace, get_rel_name(at->sql_relid)),
					 errhint("Turn it off with returning_crm.configure(workspace, log_changes => false).")));
		at->notify_channel = channel ? MemoryContextStrdup(cxt, channel) : NULL;
		at->log_changes = false;
	}
	else
	{
		IdentitySettings settings = identity_settings(at->workspace);

		at->notify_channel = settings.notify_channel ?
			MemoryContextStrdup(cxt, settings.notify_channel) : NULL;
		at->log_changes = settings.log_changes;
	}
	at->table_text = MemoryContextStrdup(cxt,
										 quote_qualified_identifier(get_namespace_name(get_rel_namespace(at->attached_relid)),
																	get_rel_name(at->attached_relid)));
	at->announce_loaded = true;
}

static void
append_json_text(StringInfo buf, const char *key, const char *value)
{
	appendStringInfo(buf, "%s\"%s\": ", buf->len > 1 ? ", " : "", key);
	if (value)
		escape_json(buf, value);
	else
		appendStringInfoString(buf, "null");
}

static void
notify(AttachedTable *at, int64 id, const char *tenant,
	   ReturningState old_state, ReturningState new_state)
{
	StringInfoData payload;

	initStringInfo(&payload);
	appendStringInfoChar(&payload, '{');
	append_json_text(&payload, "workspace", at->workspace);
	append_json_text(&payload, "table", at->table_text);
	append_json_text(&payload, "kind", at->kind == ATTACH_ORDERS ? "orders" : "leads");
	appendStringInfo(&payload, ", \"id\": " INT64_FORMAT, id);
	append_json_text(&payload, "tenant", tenant);
	append_json_text(&payload, "old", old_state == STATE_NONE ? NULL : state_name(old_state));
	append_json_text(&payload, "new", state_name(new_state));
	appendStringInfoChar(&payload, '}');
	Async_Notify(at->notify_channel, payload.data);
	pfree(payload.data);
}

/* The change log belongs to the extension: written as its owner */
static void
log_change(AttachedTable *at, int64 id, const char *tenant,
		   ReturningState old_state, ReturningState new_state)
{
	Oid			argtypes[7] = {TEXTOID, REGCLASSOID, TEXTOID, INT8OID, TEXTOID, TEXTOID, TEXTOID};
	Datum		args[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};
	UserSwitch	us;
	int			rc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (log_plan == NULL)
		log_plan = keep_plan(log_insert, 7, argtypes);
	args[0] = CStringGetTextDatum(at->workspace);
	args[1] = ObjectIdGetDatum(at->attached_relid);
	args[2] = CStringGetTextDatum(at->kind == ATTACH_ORDERS ? "orders" : "leads");
	args[3] = Int64GetDatum(id);
	args[4] = tenant ? CStringGetTextDatum(tenant) : (Datum) 0;
	nulls[4] = tenant ? ' ' : 'n';
	args[5] = old_state == STATE_NONE ? (Datum) 0 : CStringGetTextDatum(state_name(old_state));
	nulls[5] = old_state == STATE_NONE ? 'n' : ' ';
	args[6] = CStringGetTextDatum(state_name(new_state));
	switch_to_config_owner(&us);
	rc = SPI_execute_plan(log_plan, args, nulls, false, 0);
	switch_back(&us);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "could not append to returning_crm.state_change");
	SPI_finish();
}

void
announce_change(AttachedTable *at, const Row *row,
				ReturningState old_state, ReturningState new_state)
{
	bool		isnull;
	int64		id;
	char	   *tenant;

	if (old_state == new_state || new_state == STATE_NONE || suspended > 0)
		return;
	if (!at->announce_loaded)
		load_settings(at);
	if (at->notify_channel == NULL && !at->log_changes)
		return;
	id = column_int64(&at->id, row, &isnull);
	tenant = column_tenant(at, row);
	if (at->notify_channel != NULL)
		notify(at, id, tenant, old_state, new_state);
	if (at->log_changes)
		log_change(at, id, tenant, old_state, new_state);
}

void
announce_rewrite(TriggerData *trigdata, AttachKind kind)
{
	AttachedTable *at;
	Row			oldrow;
	Row			newrow;

	if (suspended > 0 || !TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		return;
	at = trigger_table(trigdata, kind);
	if (at == NULL)
		return;
	oldrow = row_of_slot(trigdata->tg_trigslot);
	newrow = row_of_slot(trigdata->tg_newslot);
	announce_change(at, &newrow, stored_state(at, &oldrow), stored_state(at, &newrow));
}
