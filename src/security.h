/*-------------------------------------------------------------------------
 *
 * security.h
 *	  Whose rights the extension's SQL runs with, and the checks that guard
 *	  its configuration (security.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef RETURNING_SECURITY_H
#define RETURNING_SECURITY_H

#include "postgres.h"

/* What a switch of the current user saved, to be restored */
typedef struct UserSwitch
{
	Oid			user;
	int			sec_context;
	int			guc_level;		/* 0 when no GUC level was opened */
} UserSwitch;

extern void switch_to_owner(Oid owner, bool maintenance, UserSwitch *saved);
extern void switch_to_table_owner(Oid relid, bool maintenance, UserSwitch *saved);
extern void switch_to_config_owner(UserSwitch *saved);
extern void switch_back(UserSwitch *saved);

extern void check_table_owner(Oid relid, const char *action);
extern void check_workspace_member(const char *workspace, bool claim);

#endif							/* RETURNING_SECURITY_H */
