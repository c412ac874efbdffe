/*-------------------------------------------------------------------------
 *
 * rewrite.h
 *	  Rewriting the states of rows that other transactions may hold
 *	  (rewrite.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef RETURNING_REWRITE_H
#define RETURNING_REWRITE_H

#include "executor/spi.h"

#include "returning.h"

/*
 * A rewrite of states, in parts: "UPDATE <table> AS t SET <state> = state
 * FROM from WHERE where".
 */
typedef struct RewriteParts
{
	const char *from;			/* more FROM items, or NULL */
	const char *state;			/* the state to write */
	const char *where;			/* the rows to write, whose state differs */
} RewriteParts;

extern char *rewrite_waiting_sql(AttachedTable *at, const RewriteParts *parts);
extern char *rewrite_skipping_sql(AttachedTable *at, const RewriteParts *parts);
extern void rewrite_rows(AttachedTable *at, SPIPlanPtr *plans, Datum *args,
						 const char *nulls, bool one_key);

#endif							/* RETURNING_REWRITE_H */
