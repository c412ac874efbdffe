/*-------------------------------------------------------------------------
 *
 * identity.c
 *	  Finding a known client by e-mail or phone.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "returning.h"

/*
 * match_on_insert: bind a lead inserted without a client to the known
 * client its e-mail or phone belongs to.  (Matching is being written; until
 * then the lead is left as it is.)
 */
HeapTuple
identity_bind_lead(AttachedTable *at, HeapTuple tuple, TupleDesc tupdesc)
{
	return tuple;
}
