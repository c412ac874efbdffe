/*-------------------------------------------------------------------------
 *
 * probes.h
 *	  The look-ups of the row triggers, straight through an index
 *	  (probes.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef RETURNING_PROBES_H
#define RETURNING_PROBES_H

#include "utils/resowner.h"

#include "returning.h"
#include "statements.h"

extern bool probe_first_won_direct(StatementFrame *frame, AttachedTable *at,
								   const ClientKey *client, bool exclude_self,
								   int64 self_id, MemoryContext target,
								   bool *found, Position *first_won);
extern bool probe_client_has_orders_direct(StatementFrame *frame, AttachedTable *at,
										   const ClientKey *client, bool *found);
extern bool probe_order_after_direct(StatementFrame *frame, AttachedTable *at,
									 const ClientKey *client, const Position *pos,
									 bool *found);
extern bool probe_lead_direct(StatementFrame *frame, AttachedTable *at,
							  int64 lead_id, const char *tenant, bool *is_repeat);
extern void probes_close(StatementFrame *frame);
extern void probes_forget(StatementFrame *frame, ResourceOwner owner);

#endif							/* RETURNING_PROBES_H */
