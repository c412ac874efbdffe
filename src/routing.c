/*-------------------------------------------------------------------------
 *
 * routing.c
 *	  Routing incoming inquiries (returning_crm.route_inquiry).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "returning.h"
