/*-------------------------------------------------------------------------
 *
 * identity.h
 *	  Finding known clients and open leads by e-mail address or phone
 *	  number, the exception lists, and the per-workspace settings, for the
 *	  C code of the extension (match_on_insert, inquiry routing).
 *
 * Every function here takes normalised values (see normalize.h): NULL or
 * an empty string for "none".  The tenant is the text form of the tenant
 * column's value, or NULL when the workspace's tables have no tenant
 * column.  The caller may or may not be connected to SPI; results are
 * allocated in the memory context that is current at the call.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RETURNING_IDENTITY_H
#define RETURNING_IDENTITY_H

#include "postgres.h"

#include "nodes/pg_list.h"

#include "returning.h"

/* Kinds of entity a match names */
#define IDENTITY_CONTACT	'c'
#define IDENTITY_COMPANY	'o'
#define IDENTITY_LEAD		'l'

/* One entity found by e-mail or phone */
typedef struct IdentityMatch
{
	char		entity;			/* IDENTITY_CONTACT, _COMPANY or _LEAD */
	int64		id;
	/* Filled in by identity_rank_clients() only; false elsewhere */
	bool		open_orders;	/* the client has open orders */
	bool		open_repeat_leads;	/* the client has open repeat leads */
} IdentityMatch;

/* The settings of a workspace (returning_crm.workspace_settings) */
typedef struct IdentitySettings
{
	bool		repeat_sales;
	bool		leads_enabled;	/* resolved: NULL means "a leads table is attached" */
	bool		use_finished_lead;
	char	   *default_region; /* upper-case ISO 3166 code, or NULL */
	char	   *notify_channel; /* announcements (announce.c): NOTIFY channel */
	bool		log_changes;	/* and the change log */
} IdentitySettings;

/*
 * Is the e-mail address or the phone number on the exception list of the
 * workspace?  Exceptions without a tenant apply to every tenant; those with
 * a tenant only to it.
 */
extern bool identity_is_excluded(const char *workspace, const char *tenant,
								 const char *email_norm, const char *phone_norm);

/*
 * Every attached contact, company and open lead (status neither a success
 * nor a failure value) of the workspace and tenant with this e-mail address
 * or phone number: a List of IdentityMatch pointers, contacts first, then
 * companies, then leads, each by ascending id, without duplicates.  Each
 * mapped column costs one index probe.
 */
extern List *identity_find(const char *workspace, const char *tenant,
						   const char *email_norm, const char *phone_norm);

/*
 * The clients (contacts and companies) among "matches", best first, by the
 * ranking of inquiry routing: clients with open orders first, then clients
 * with open repeat leads, then the most recently active (the latest order
 * position, then the highest lead id, then companies before contacts and
 * the highest id).  Returns new IdentityMatch entries with open_orders and
 * open_repeat_leads filled in; leads in "matches" are left out.
 */
extern List *identity_rank_clients(const char *workspace, const char *tenant,
								   List *matches);

/* The settings of a workspace; defaults when it has no settings row */
extern IdentitySettings identity_settings(const char *workspace);

/*
 * match_on_insert: the lead "tuple", inserted without a client, bound to
 * the known client its e-mail or phone belongs to (see identity.c).
 */
extern HeapTuple identity_bind_lead(AttachedTable *at, HeapTuple tuple,
									TupleDesc tupdesc);

#endif							/* RETURNING_IDENTITY_H */
