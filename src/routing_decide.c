/*-------------------------------------------------------------------------
 *
 * routing_decide.c
 *	  The decision table of inquiry routing, and nothing else: no look-up,
 *	  no insert.  routing.c gathers the facts and applies the decision.
 *
 * The first row that applies decides:
 *
 *	 checked channel and listed ........................ excluded
 *	 client, open orders ............................... attached_to_order
 *	 client, open repeat leads ......................... attached_to_lead
 *	 client, lead-free mode ............................ repeat_order
 *	 client, repeat sales on ........................... repeat_lead
 *	 client ............................................ attached_to_client
 *	 open lead ......................................... attached_to_lead
 *	 use_finished_lead and a closed lead ............... attached_to_lead
 *	 lead-free mode .................................... new_order
 *	 (nothing) ......................................... new_lead
 *
 * In lead-free mode leads are not looked at, so neither open_lead nor
 * closed_lead can be true there.  The SQL function _routing_decision()
 * returns the decision for any facts, for the tests of this table.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "routing_decide.h"

PG_FUNCTION_INFO_V1(returning_routing_decision);

const char *const decision_names[] = {
	"excluded", "attached_to_order", "attached_to_lead", "repeat_order",
	"repeat_lead", "attached_to_client", "new_lead", "new_order"
};

Decision
routing_decide(const RoutingFacts *f)
{
	if (f->checked_channel && f->listed)
		return DECISION_EXCLUDED;
	if (f->client)
	{
		if (f->client_open_orders)
			return DECISION_ATTACHED_TO_ORDER;
		if (f->client_open_repeat_leads && !f->lead_free)
			return DECISION_ATTACHED_TO_LEAD;
		if (f->lead_free)
			return DECISION_REPEAT_ORDER;
		if (f->repeat_sales)
			return DECISION_REPEAT_LEAD;
		return DECISION_ATTACHED_TO_CLIENT;
	}
	if (!f->lead_free && f->open_lead)
		return DECISION_ATTACHED_TO_LEAD;
	if (!f->lead_free && f->use_finished_lead && f->closed_lead)
		return DECISION_ATTACHED_TO_LEAD;
	if (f->lead_free)
		return DECISION_NEW_ORDER;
	return DECISION_NEW_LEAD;
}

bool
routing_needs_closed_lead(const RoutingFacts *f)
{
	return !(f->checked_channel && f->listed) && !f->client && !f->lead_free &&
		!f->open_lead && f->use_finished_lead;
}

/*
 * _routing_decision(checked_channel, listed, client, client_open_orders,
 *	  client_open_repeat_leads, lead_free, repeat_sales, open_lead,
 *	  use_finished_lead, closed_lead boolean) RETURNS text
 */
Datum
returning_routing_decision(PG_FUNCTION_ARGS)
{
	RoutingFacts f;

	f.checked_channel = PG_GETARG_BOOL(0);
	f.listed = PG_GETARG_BOOL(1);
	f.client = PG_GETARG_BOOL(2);
	f.client_open_orders = PG_GETARG_BOOL(3);
	f.client_open_repeat_leads = PG_GETARG_BOOL(4);
	f.lead_free = PG_GETARG_BOOL(5);
	f.repeat_sales = PG_GETARG_BOOL(6);
	f.open_lead = PG_GETARG_BOOL(7);
	f.use_finished_lead = PG_GETARG_BOOL(8);
	f.closed_lead = PG_GETARG_BOOL(9);
	PG_RETURN_TEXT_P(cstring_to_text(decision_names[routing_decide(&f)]));
}
