/*-------------------------------------------------------------------------
 *
 * rules.h
 *	  Rules: columns set when a row gets a state by its own write.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RETURNING_RULES_H
#define RETURNING_RULES_H

#include "returning.h"

/* One column that a rule sets, read into the described relation's terms */
typedef struct RuleAction
{
	ReturningState state;
	AttrNumber	attnum;
	Datum		value;
	bool		sets_status;	/* the stage or status column */
} RuleAction;

/*
 * The row "tuple" of the trigger's table gets "state" by its own insert or
 * update: returns it with the columns of the table's rules for that state
 * set, in rule id order, or "tuple" itself when no rule applies.  A rule
 * does not change the stage or status of a row that is closed (won or
 * lost, success or failure), whose history the state was computed from.
 */
extern HeapTuple rules_apply(AttachedTable *at, HeapTuple tuple, TupleDesc tupdesc,
							 ReturningState state);

#endif							/* RETURNING_RULES_H */
