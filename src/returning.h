/*-------------------------------------------------------------------------
 *
 * returning.h
 *	  Shared declarations of the returning extension: the cached description
 *	  of an attached table, the rows the rules read, client keys and order
 *	  positions, and the names of the states and the other small pieces
 *	  that returning.c defines for every rule file.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RETURNING_H
#define RETURNING_H

#include "postgres.h"

#include "access/htup.h"
#include "access/htup_details.h"
#include "access/tupdesc.h"
#include "executor/tuptable.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/relcache.h"

/* Kinds of attached table, as stored in returning_crm.attachment.kind */
typedef enum AttachKind
{
	ATTACH_ANY = -1,
	ATTACH_LEADS,
	ATTACH_ORDERS,
	ATTACH_CONTACTS,
	ATTACH_COMPANIES
} AttachKind;

/* The states written to <prefix>returning_state */
typedef enum ReturningState
{
	STATE_NONE = -1,
	STATE_NEW = 0,
	STATE_REPEAT,
	STATE_REPEATED_INQUIRY
} ReturningState;

#define STATE_COUNT			3

/*
 * The names of the states as the column holds them, for state_name() and
 * for the SQL text built in C: "... = '" STATE_NAME_REPEAT "'".
 */
#define STATE_NAME_NEW				"new"
#define STATE_NAME_REPEAT			"repeat"
#define STATE_NAME_REPEATED_INQUIRY "repeated_inquiry"

/* A client is a company or, without one, a contact */
typedef enum ClientKind
{
	CLIENT_NONE = 0,
	CLIENT_COMPANY = 'o',
	CLIENT_CONTACT = 'c'
} ClientKind;

/* A mapped column: its number in the table and its type */
typedef struct MappedColumn
{
	AttrNumber	attnum;			/* InvalidAttrNumber when not mapped */
	Oid			typid;
	Oid			collation;
	int16		typlen;
	bool		typbyval;
	char	   *name;			/* quoted identifier, ready for SQL */
} MappedColumn;

/* A list of status or stage values, compared with the column's text form */
typedef struct ValueList
{
	int			count;
	char	  **values;
} ValueList;

/*
 * Everything a trigger needs to know about one attached table, loaded once
 * per backend from returning_crm.attachment and kept until the table or the
 * attachment changes (relcache invalidation).
 */
typedef struct AttachedTable
{
	Oid			relid;			/* the relation described: the attached table,
								 * or a partition of it, whose rows the
								 * columns below read */
	Oid			attached_relid; /* the attached table */
	Oid			sql_relid;		/* the table SQL names: the attached one, or
								 * on a shard the shard */
	bool		on_shard;		/* a shard of a distributed table: SQL names
								 * the shard and its partner's co-located one */
	bool		distributed;	/* the attached table is distributed (Citus) */
	char	   *partner_config; /* the partner's trigger configuration, or NULL */
	char	   *config;			/* on a shard: its trigger's configuration */
	bool		valid;
	AttachKind	kind;
	char	   *workspace;
	int32		workspace_key;	/* hash of the workspace, for lock tags */
	char	   *qualified_name; /* "schema"."table" */

	MappedColumn id;
	MappedColumn contact;
	MappedColumn company;
	MappedColumn status;		/* lead status or order stage */
	MappedColumn lead;			/* orders: link to the workspace's leads */
	MappedColumn ordered_by;	/* orders: position, before the id */
	MappedColumn tenant;
	MappedColumn state;			/* <prefix>returning_state */
	MappedColumn routed;		/* orders: <prefix>returning_routed */
	bool		legacy_routed;	/* orders of a 0.1.0 catalog: routed orders
								 * are rows of returning_crm.routed_order */

	MappedColumn name;			/* contacts: filled by routing */
	MappedColumn title;			/* companies and leads: filled by routing */
	MappedColumn responsible;	/* the user responsible (a manager), any type */
	int			n_email;
	MappedColumn *email;		/* text or text[] columns */
	int			n_phone;
	MappedColumn *phone;		/* text or text[] columns */
	bool		match_on_insert;	/* leads: bind a known client on insert */
	char	   *new_status;		/* status or stage of rows routing inserts */

	ValueList	success;		/* leads: success; orders: won */
	ValueList	failure;		/* leads: failure; orders: lost */

	FmgrInfo	status_out;		/* output function of the status column */
	FmgrInfo	tenant_out;		/* output function of the tenant column */
	FmgrInfo	position_cmp;	/* btree comparison of ordered_by */

	/* orders: the workspace's leads table, or InvalidOid */
	Oid			leads_relid;
	char	   *leads_name;
	MappedColumn leads_id;
	MappedColumn leads_tenant;
	MappedColumn leads_state;

	/* leads: the workspace's orders table that links to leads, or InvalidOid */
	Oid			orders_relid;

	char	   *column_prefix;
	Oid			tenant_input;	/* input function of the tenant column */
	Oid			tenant_ioparam;
	FmgrInfo	leads_tenant_out;	/* output function of the leads' tenant */

	/* Indexes for direct look-ups (probes.c), found on first use */
	bool		indexes_resolved;
	Oid			won_index[2];	/* won orders: company, contact */
	RegProcedure won_client_eq[2];
	RegProcedure won_tenant_eq[2];
	Oid			client_index[2];	/* a client's orders: company, contact */
	RegProcedure client_eq[2];
	RegProcedure client_tenant_eq[2];
	Oid			leads_index;	/* unique index on the leads' id */
	RegProcedure leads_id_eq;
	Oid			leads_repeat_index; /* attach's index of repeat leads' ids */
	RegProcedure leads_repeat_eq;

	/* Prepared statements, made on first use and kept for the backend */
	SPIPlanPtr	probe_plan[2];	/* first won order: company, contact */
	SPIPlanPtr	probe_self_plan[2]; /* the same, leaving out one order id */
	SPIPlanPtr	after_plan[2];	/* is there an order after a position? */
	SPIPlanPtr	lead_state_plan;
	SPIPlanPtr	key_plan[3][2][2];	/* recompute the orders of some
									 * companies, contacts or leads: waiting,
									 * skipping (rewrite.c); planned for the
									 * keys given, or once for one key */
	SPIPlanPtr	held_row_plan;	/* wait for a row another transaction holds */
	SPIPlanPtr	lock_plan;		/* a client's lock, routed by tenant */
	SPIPlanPtr	legacy_routed_plan;	/* is an order in routed_order? */
	SPIPlanPtr	promote_plan[2][2][2];	/* orders after new first won
										 * orders, of companies, contacts:
										 * waiting, skipping; as key_plan */
	SPIPlanPtr	demote_plan[2][2];	/* orders after a lost first won order,
									 * of a company, a contact: waiting,
									 * skipping */
	SPIPlanPtr	explain_plan[4];	/* explain.c: the row, the first won order
									 * (company, contact), the lead's state */

	uint32		generation;		/* of this description: statements kept
								 * elsewhere for it (routing.c) compare it */

	/* The workspace's announcements (announce.c), read on first use */
	bool		announce_loaded;
	char	   *notify_channel; /* NULL: no NOTIFY */
	bool		log_changes;
	char	   *table_text;		/* schema.table, as announced */

	/* The table's rules (rules.c), read on first use */
	bool		rules_loaded;
	int			n_rules;
	struct RuleAction *rules;
} AttachedTable;

/*
 * A row the rules read: a tuple slot when the caller has one (a trigger's
 * row, a look-up's), whose columns are then taken apart once for all the
 * reads, else a heap tuple.
 */
typedef struct Row
{
	TupleTableSlot *slot;
	HeapTuple	tuple;
	TupleDesc	tupdesc;
} Row;

static inline Row
row_of_slot(TupleTableSlot *slot)
{
	Row			row = {slot, NULL, NULL};

	return row;
}

static inline Row
row_of_tuple(HeapTuple tuple, TupleDesc tupdesc)
{
	Row			row = {NULL, tuple, tupdesc};

	return row;
}

static inline Datum
row_attr(const Row *row, AttrNumber attnum, bool *isnull)
{
	if (row->slot != NULL)
		return slot_getattr(row->slot, attnum, isnull);
	return heap_getattr(row->tuple, attnum, row->tupdesc, isnull);
}

/* A client key: kind, id and the tenant's text form (or NULL) */
typedef struct ClientKey
{
	ClientKind	kind;
	int64		id;
	char	   *tenant;
} ClientKey;

/* A position of an order among its client's orders: (ordered_by, id) */
typedef struct Position
{
	Datum		value;
	bool		isnull;
	int64		id;
} Position;

/* returning.c */
extern const char *state_name(ReturningState state);
extern ReturningState state_from_name(const char *name);
extern ReturningState stored_state(AttachedTable *at, const Row *row);
extern Datum state_datum(ReturningState state);
extern bool text_equals(Datum value, const char *s);
extern HeapTuple set_state(AttachedTable *at, const Row *row, HeapTuple tuple,
						   TupleDesc tupdesc,
						   ReturningState state);
extern bool returning_in_recompute(Relation rel);
extern Snapshot history_snapshot(void);
extern int	execute_history_plan(SPIPlanPtr plan, Datum *args, const char *nulls,
								 bool read_only, long tcount);
extern uint64 execute_recompute(Oid relid, SPIPlanPtr plan, const char *sql,
								Datum *args, const char *nulls);
extern void check_trigger_call(FunctionCallInfo fcinfo, const char *funcname,
							   bool row_level, bool before);

#endif							/* RETURNING_H */
