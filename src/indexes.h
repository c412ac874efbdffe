/*-------------------------------------------------------------------------
 *
 * indexes.h
 *	  The indexes that attaching creates, defined once for the install
 *	  script and the look-ups (indexes.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef RETURNING_INDEXES_H
#define RETURNING_INDEXES_H

#include "returning.h"

/* The indexes of the rules, by what they are for */
typedef enum RuleIndex
{
	INDEX_COMPANY,				/* a company client's orders */
	INDEX_CONTACT,				/* a contact client's orders */
	INDEX_WON_COMPANY,			/* a company client's first won order */
	INDEX_WON_CONTACT,			/* a contact client's first won order */
	INDEX_LEAD,					/* the orders of a lead */
	INDEX_REPEATED_INQUIRY,		/* orders: picking out repeated inquiries */
	INDEX_REPEAT_LEADS,			/* leads: the ids of repeat leads */
	INDEX_ROUTE_COMPANY,		/* routing: a company's leads or orders */
	INDEX_ROUTE_CONTACT,		/* routing: a contact's leads or orders */
	RULE_INDEXES
} RuleIndex;

extern Oid	find_rule_index(AttachedTable *at, RuleIndex which);

#endif							/* RETURNING_INDEXES_H */
