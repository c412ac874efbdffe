/*-------------------------------------------------------------------------
 *
 * orders.h
 *	  The order rules: new, repeat or repeated inquiry (orders.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef RETURNING_ORDERS_H
#define RETURNING_ORDERS_H

#include "lib/stringinfo.h"

#include "returning.h"

extern uint64 orders_recompute_all(AttachedTable *at);
extern char *orders_states_sql(AttachedTable *at);
extern void orders_recompute_leads(AttachedTable *at, Datum ids, Datum tenants,
								   int count);
extern void append_row_after(StringInfo buf, AttachedTable *at, const char *alias,
							 const char *other);

#endif							/* RETURNING_ORDERS_H */
