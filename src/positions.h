/*-------------------------------------------------------------------------
 *
 * positions.h
 *	  Who an order or lead belongs to, where an order stands among its
 *	  client's orders, and the same as SQL text (positions.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef RETURNING_POSITIONS_H
#define RETURNING_POSITIONS_H

#include "lib/stringinfo.h"

#include "returning.h"

extern void client_params(const ClientKey *client, Datum *args, char *nulls);
extern ClientKey client_of(AttachedTable *at, const Row *row);
extern bool client_equal(const ClientKey *a, const ClientKey *b);
extern Position position_of(AttachedTable *at, const Row *row);
extern int	position_cmp(AttachedTable *at, const Position *a, const Position *b);
extern Position position_copy(AttachedTable *at, const Position *pos);

extern void append_client_condition(StringInfo buf, AttachedTable *at,
									const char *alias, ClientKind kind);
extern void append_position(StringInfo buf, AttachedTable *at, const char *alias,
							bool desc);
extern void append_operator(StringInfo buf, Oid typid, int strategy);
extern void append_base_cast(StringInfo buf, const char *expr, Oid typid);
extern void append_not_repeat(StringInfo buf, const char *state);
extern void append_routing_client_filter(StringInfo buf, AttachedTable *at,
										 const char *alias, ClientKind kind, int param);
extern void append_client_key_exprs(StringInfo buf, AttachedTable *at,
									const char *alias);
extern void append_array_literal(StringInfo buf, const ValueList *list);
extern void append_won_condition(StringInfo buf, AttachedTable *at,
								 const char *alias);

#endif							/* RETURNING_POSITIONS_H */
