/*-------------------------------------------------------------------------
 *
 * locks.h
 *	  Serialising the transactions that touch one client or one lead
 *	  (locks.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef RETURNING_LOCKS_H
#define RETURNING_LOCKS_H

#include "returning.h"
#include "statements.h"

/* The locks of a statement's row triggers, which may skip a busy one */
extern bool statement_lock_client(StatementFrame *frame, AttachedTable *at,
								  const ClientKey *client);
extern void statement_lock_clients(StatementFrame *frame, AttachedTable *at,
								   const ClientKey *a, bool *a_locked,
								   const ClientKey *b, bool *b_locked);
extern bool statement_lock_lead(StatementFrame *frame, AttachedTable *at,
								int64 lead_id, const char *tenant);
extern bool locks_settle(StatementFrame *frame);

/* Showing, and bounding, the waits of the rewrites (rewrite.c) */
extern void lock_show_rewriting(bool waiting);
extern bool locks_within(const char *timeout, void (*work) (void *arg), void *arg);

/* Waiting locks, for callers outside the row triggers */
#define LOCK_SPACE_ADDRESS	2	/* an inquiry's addresses (routing.c) */
#define ADDRESS_BUCKETS		1024
extern void lock_bucket(AttachedTable *at, const char *tenant, int space, uint32 bucket);
extern void lock_client(AttachedTable *at, const ClientKey *client);

#endif							/* RETURNING_LOCKS_H */
