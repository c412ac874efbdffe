/*-------------------------------------------------------------------------
 *
 * progress.c
 *	  What a long attach or reclassify is doing, shown to other sessions.
 *
 * The NOTICEs of _progress() reach only the caller.  Another session (a
 * DBA watching a long attach) sees the phase in pg_stat_activity.query,
 * which _progress() sets after each phase on large tables and gives back to
 * the statement's own text at the end.  The index builds of attach show
 * their progress in pg_stat_progress_create_index as any CREATE INDEX does.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "tcop/tcopprot.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(returning_report_activity);

/*
 * _report_activity(activity text): show the text as this session's query in
 * pg_stat_activity; NULL shows the statement's own text again.
 */
Datum
returning_report_activity(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		pgstat_report_activity(STATE_RUNNING, debug_query_string);
	else
		pgstat_report_activity(STATE_RUNNING, text_to_cstring(PG_GETARG_TEXT_PP(0)));
	PG_RETURN_VOID();
}
