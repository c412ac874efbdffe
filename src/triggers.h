/*-------------------------------------------------------------------------
 *
 * triggers.h
 *	  The extension's triggers on an attached table: recognised by their
 *	  functions, and checked at the start of every statement (triggers.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef RETURNING_TRIGGERS_H
#define RETURNING_TRIGGERS_H

#include "postgres.h"

#include "utils/rel.h"

/* What a trigger function of the extension does */
typedef enum TriggerRole
{
	TRIGGER_ROLE_NONE = 0,		/* not the extension's */
	TRIGGER_ROLE_ROW,			/* BEFORE ... FOR EACH ROW: classifies */
	TRIGGER_ROLE_STATEMENT,		/* BEFORE and AFTER ... FOR EACH STATEMENT */
	TRIGGER_ROLE_TRUNCATE		/* AFTER TRUNCATE of leads */
} TriggerRole;

extern TriggerRole trigger_role(Oid funcid);
extern void check_trigger_set(Relation rel, uint32 event);

#endif							/* RETURNING_TRIGGERS_H */
