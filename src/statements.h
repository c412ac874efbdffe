/*-------------------------------------------------------------------------
 *
 * statements.h
 *	  What the row triggers of one statement remember until the statement
 *	  trigger at its end: the clients already looked up, the clients whose
 *	  orders must be recomputed, and the leads whose state changed.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RETURNING_STATEMENTS_H
#define RETURNING_STATEMENTS_H

#include "utils/hsearch.h"

#include "returning.h"

/* What one statement knows of one client of an orders table */
typedef struct ClientEntry
{
	ClientKey	key;			/* hash key; tenant allocated in the frame */
	bool		has_first_won;
	bool		has_last;
	Position	first_won;		/* first won order, as far as known */
	Position	last;			/* last order of this statement */
} ClientEntry;

/* A lead whose state changed: its orders must be recomputed */
typedef struct LeadKey
{
	int64		id;
	char	   *tenant;
} LeadKey;

typedef struct StatementFrame
{
	Oid			relid;
	int			nest_level;		/* transaction nesting level at the start */
	MemoryContext context;
	HTAB	   *clients;		/* ClientEntry, a bounded cache */
	HTAB	   *dirty;			/* ClientKey: recompute at the end */
	HTAB	   *leads;			/* LeadKey: orders to recompute at the end */
	struct StatementFrame *outer;
} StatementFrame;

extern StatementFrame *statement_begin(Oid relid);
extern StatementFrame *statement_current(Oid relid);
extern void statement_end(StatementFrame *frame);
extern ClientEntry *statement_client(StatementFrame *frame, const ClientKey *key,
									 bool *found);
extern void statement_forget_client(StatementFrame *frame, const ClientKey *key);
extern void statement_mark_dirty(StatementFrame *frame, const ClientKey *key);
extern void statement_mark_lead(StatementFrame *frame, int64 id, const char *tenant);
extern void statement_collect_dirty(StatementFrame *frame, ClientKind kind,
									Datum *ids, Datum *tenants, int *count);
extern void statement_collect_leads(StatementFrame *frame, Datum *ids,
									Datum *tenants, int *count);

#endif							/* RETURNING_STATEMENTS_H */
