/*-------------------------------------------------------------------------
 *
 * announce.h
 *	  Announcing state changes: NOTIFY and the change log.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RETURNING_ANNOUNCE_H
#define RETURNING_ANNOUNCE_H

#include "returning.h"

/*
 * A row of an attached orders or leads table is about to be written with
 * state "new_state" in place of "old_state" (STATE_NONE on insert): when the
 * workspace announces, queue a notification and/or append to the log.
 */
extern void announce_change(AttachedTable *at, const Row *row,
							ReturningState old_state, ReturningState new_state);

/*
 * The same for a row that the extension's own set-based UPDATE rewrites,
 * seen by the row trigger of the table being rewritten.
 */
extern void announce_rewrite(struct TriggerData *trigdata, AttachKind kind);

/* Whole-table passes (attach, reclassify) announce nothing */
extern void announce_suspend(void);
extern void announce_resume(void);

#endif							/* RETURNING_ANNOUNCE_H */
