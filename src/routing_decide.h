/*-------------------------------------------------------------------------
 *
 * routing_decide.h
 *	  Inquiry routing: the decisions and the facts they are made from
 *	  (routing_decide.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef RETURNING_ROUTING_DECIDE_H
#define RETURNING_ROUTING_DECIDE_H

#include "returning.h"

typedef enum Decision
{
	DECISION_EXCLUDED,
	DECISION_ATTACHED_TO_ORDER,
	DECISION_ATTACHED_TO_LEAD,
	DECISION_REPEAT_ORDER,
	DECISION_REPEAT_LEAD,
	DECISION_ATTACHED_TO_CLIENT,
	DECISION_NEW_LEAD,
	DECISION_NEW_ORDER
} Decision;

extern const char *const decision_names[];

/*
 * What routing knows of an inquiry when it decides.  A fact that the
 * decision cannot depend on, given the others, need not be looked up: it
 * stays false (no closed lead is looked for when a client matched).
 */
typedef struct RoutingFacts
{
	bool		checked_channel;	/* email or call: the exception list applies */
	bool		listed;			/* an address is on the exception list */
	bool		client;			/* a contact or company matched */
	bool		client_open_orders; /* ... and the top one has open orders */
	bool		client_open_repeat_leads;	/* ... or open repeat leads */
	bool		lead_free;		/* no leads table, or leads_enabled off */
	bool		repeat_sales;
	bool		open_lead;		/* no client, but an open lead matched */
	bool		use_finished_lead;
	bool		closed_lead;	/* ... or, with use_finished_lead, a closed one */
} RoutingFacts;

extern Decision routing_decide(const RoutingFacts *facts);

/* Does the decision need to know whether a closed lead matches? */
extern bool routing_needs_closed_lead(const RoutingFacts *facts);

#endif							/* RETURNING_ROUTING_DECIDE_H */
