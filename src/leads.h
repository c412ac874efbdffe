/*-------------------------------------------------------------------------
 *
 * leads.h
 *	  The lead rules: new or repeat (leads.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef RETURNING_LEADS_H
#define RETURNING_LEADS_H

#include "returning.h"

extern uint64 leads_recompute_all(AttachedTable *at);

#endif							/* RETURNING_LEADS_H */
