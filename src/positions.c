/*-------------------------------------------------------------------------
 *
 * positions.c
 *	  Who an order or lead belongs to, and where an order stands among its
 *	  client's orders.
 *
 * The client of a row is its company when the company column is set (not
 * NULL, not 0), otherwise its contact when set, otherwise none.  A company
 * client and a contact client are different clients even when the contact
 * works for that company.  Orders of one client are ordered by
 * (ordered_by, id), NULL ordered_by last, exactly like
 * ORDER BY ordered_by, id; ties never depend on physical order.
 *
 * The same definitions appear here twice: in C, for the row triggers, and
 * as SQL text, for the set-based statements.  Both are written next to each
 * other so that they stay the same.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/stratnum.h"
#include "catalog/pg_operator.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/syscache.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "config.h"
#include "positions.h"
#include "returning.h"

/*
 * The first two parameters of a statement about one client: $1 its id,
 * $2 its tenant (NULL without a tenant column).
 */
void
client_params(const ClientKey *client, Datum *args, char *nulls)
{
	args[0] = Int64GetDatum(client->id);
	nulls[0] = ' ';
	if (client->tenant)
	{
		args[1] = CStringGetTextDatum(client->tenant);
		nulls[1] = ' ';
	}
	else
		nulls[1] = 'n';
}

ClientKey
client_of(AttachedTable *at, const Row *row)
{
	ClientKey	key;
	bool		isnull;
	int64		id;

	key.kind = CLIENT_NONE;
	key.id = 0;
	key.tenant = NULL;

	id = column_int64(&at->company, row, &isnull);
	if (!isnull && id != 0)
	{
		key.kind = CLIENT_COMPANY;
		key.id = id;
	}
	else
	{
		id = column_int64(&at->contact, row, &isnull);
		if (!isnull && id != 0)
		{
			key.kind = CLIENT_CONTACT;
			key.id = id;
		}
	}
	if (key.kind != CLIENT_NONE)
		key.tenant = column_tenant(at, row);
	return key;
}

bool
client_equal(const ClientKey *a, const ClientKey *b)
{
	if (a->kind != b->kind || a->id != b->id)
		return false;
	if (a->tenant == NULL || b->tenant == NULL)
		return a->tenant == b->tenant;
	return strcmp(a->tenant, b->tenant) == 0;
}

Position
position_of(AttachedTable *at, const Row *row)
{
	Position	pos;
	bool		isnull;

	pos.value = (Datum) 0;
	pos.isnull = true;
	if (at->ordered_by.attnum != InvalidAttrNumber)
		pos.value = row_attr(row, at->ordered_by.attnum, &pos.isnull);
	pos.id = column_int64(&at->id, row, &isnull);
	return pos;
}

/* Compare two positions: NULL ordered_by sorts after every value */
int
position_cmp(AttachedTable *at, const Position *a, const Position *b)
{
	if (at->ordered_by.attnum != InvalidAttrNumber)
	{
		if (a->isnull != b->isnull)
			return a->isnull ? 1 : -1;
		if (!a->isnull)
		{
			int32		c = DatumGetInt32(FunctionCall2Coll(&at->position_cmp,
															at->ordered_by.collation,
															a->value, b->value));

			if (c != 0)
				return c;
		}
	}
	return (a->id > b->id) - (a->id < b->id);
}

/* A copy of a position in the current memory context */
Position
position_copy(AttachedTable *at, const Position *pos)
{
	Position	copy = *pos;

	if (!pos->isnull && !at->ordered_by.typbyval)
		copy.value = datumCopy(pos->value, false, at->ordered_by.typlen);
	return copy;
}

/*
 * SQL for "the row's client is of this kind", with the column names of the
 * table.  attach creates its partial indexes with the same predicates, so
 * that the planner can use them for these statements.
 */
void
append_client_condition(StringInfo buf, AttachedTable *at, const char *alias,
						ClientKind kind)
{
	const char *a = alias ? alias : "";
	const char *dot = alias ? "." : "";

	if (kind == CLIENT_COMPANY)
		appendStringInfo(buf, "%s%s%s OPERATOR(pg_catalog.<>) 0", a, dot, at->company.name);
	else if (at->company.attnum == InvalidAttrNumber)
		appendStringInfo(buf, "%s%s%s OPERATOR(pg_catalog.<>) 0", a, dot, at->contact.name);
	else
		appendStringInfo(buf,
						 "(%s%s%s IS NULL OR %s%s%s OPERATOR(pg_catalog.=) 0)"
						 " AND %s%s%s OPERATOR(pg_catalog.<>) 0",
						 a, dot, at->company.name, a, dot, at->company.name,
						 a, dot, at->contact.name);
}

/*
 * " OPERATOR(schema.op) ": the operator of a btree strategy (equal, less,
 * greater) of the type's default ordering, qualified by its schema, so that
 * no operator of the search_path, nor one written for a domain over the
 * type, can take its place.  An operand of a domain type must be cast to
 * the base type (append_base_cast) for the same reason.
 */
static void
append_operator_name(StringInfo buf, Oid opr)
{
	HeapTuple	tup = SearchSysCache1(OPEROID, ObjectIdGetDatum(opr));
	Form_pg_operator op;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for operator %u", opr);
	op = (Form_pg_operator) GETSTRUCT(tup);
	appendStringInfo(buf, " OPERATOR(%s.%s) ",
					 quote_identifier(get_namespace_name(op->oprnamespace)),
					 NameStr(op->oprname));
	ReleaseSysCache(tup);
}

void
append_operator(StringInfo buf, Oid typid, int strategy)
{
	TypeCacheEntry *typentry = lookup_type_cache(getBaseType(typid),
												 TYPECACHE_BTREE_OPFAMILY);
	Oid			opr = InvalidOid;

	if (OidIsValid(typentry->btree_opf))
		opr = get_opfamily_member(typentry->btree_opf, typentry->btree_opintype,
								  typentry->btree_opintype, strategy);
	if (!OidIsValid(opr))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("type %s has no default btree ordering", format_type_be(typid))));
	append_operator_name(buf, opr);
}

/* "(expr)::base" when the type is a domain, else "expr" */
void
append_base_cast(StringInfo buf, const char *expr, Oid typid)
{
	Oid			base = getBaseType(typid);

	if (base == typid)
		appendStringInfoString(buf, expr);
	else
		appendStringInfo(buf, "(%s)::%s", expr, format_type_be_qualified(base));
}

/*
 * SQL for "the row is one of the client's ($n) for inquiry routing": the
 * rows of a company client, or of a contact client together with those of
 * any company whose row names the contact (a B2B contact who writes about
 * its company's open order is attached to that order).  The rules of
 * section 3 do not use this: for them a contact's row of a company is the
 * company's.
 */
void
append_routing_client_filter(StringInfo buf, AttachedTable *at, const char *alias,
							 ClientKind kind, int param)
{
	if (kind == CLIENT_COMPANY)
	{
		append_client_condition(buf, at, alias, CLIENT_COMPANY);
		appendStringInfo(buf, " AND %s.%s OPERATOR(pg_catalog.=) $%d", alias,
						 at->company.name, param);
	}
	else
		appendStringInfo(buf, "%s.%s OPERATOR(pg_catalog.=) $%d", alias,
						 at->contact.name, param);
}

/*
 * "alias.ordered_by, alias.id" or "alias.id": the position in SQL, as the
 * keys of an ORDER BY (desc) or of an index (alias NULL).
 */
void
append_position(StringInfo buf, AttachedTable *at, const char *alias, bool desc)
{
	const char *a = alias ? alias : "";
	const char *dot = alias ? "." : "";

	if (at->ordered_by.attnum != InvalidAttrNumber)
		appendStringInfo(buf, "%s%s%s%s, ", a, dot, at->ordered_by.name, desc ? " DESC" : "");
	appendStringInfo(buf, "%s%s%s%s", a, dot, at->id.name, desc ? " DESC" : "");
}

/*
 * SQL for "the state (a text expression) is not repeat", NULL included:
 * IS DISTINCT FROM would look its operator up on the search_path.  A won
 * order that is not repeat is its client's first won order, so the partial
 * indexes on won orders have this in their predicate.
 */
void
append_not_repeat(StringInfo buf, const char *state)
{
	appendStringInfo(buf, "(%s IS NULL OR %s OPERATOR(pg_catalog.<>) '" STATE_NAME_REPEAT "'::pg_catalog.text)",
					 state, state);
}

/*
 * SQL expressions that identify the client of a row: the tenant (when the
 * table has one), the kind ('o' company, 'c' contact, NULL none) and the id.
 * The kind is a "char", compared bytewise: a text under the database's
 * collation made the sort of a whole table's orders several times slower.
 */
void
append_client_key_exprs(StringInfo buf, AttachedTable *at, const char *alias)
{
	StringInfoData company;
	StringInfoData contact;

	initStringInfo(&company);
	initStringInfo(&contact);
	if (at->company.attnum != InvalidAttrNumber)
		append_client_condition(&company, at, alias, CLIENT_COMPANY);
	else
		appendStringInfoString(&company, "false");
	if (at->contact.attnum != InvalidAttrNumber)
		append_client_condition(&contact, at, alias, CLIENT_CONTACT);
	else
		appendStringInfoString(&contact, "false");

	if (at->tenant.attnum != InvalidAttrNumber)
		appendStringInfo(buf, "%s.%s, ", alias, at->tenant.name);
	appendStringInfo(buf,
					 "CASE WHEN %s THEN 'o'::pg_catalog.\"char\" WHEN %s THEN 'c'::pg_catalog.\"char\" END, "
					 "CASE WHEN %s THEN %s::pg_catalog.int8 WHEN %s THEN %s::pg_catalog.int8 END",
					 company.data, contact.data,
					 company.data,
					 at->company.attnum != InvalidAttrNumber ?
					 psprintf("%s.%s", alias, at->company.name) : "NULL",
					 contact.data,
					 at->contact.attnum != InvalidAttrNumber ?
					 psprintf("%s.%s", alias, at->contact.name) : "NULL");
	pfree(company.data);
	pfree(contact.data);
}

/*
 * The text of an array literal ('{"a","b"}' without the quotes) holding the
 * values of a list, for SQL that compares a column with them.
 */
void
append_array_literal(StringInfo buf, const ValueList *list)
{
	appendStringInfoChar(buf, '{');
	for (int i = 0; i < list->count; i++)
	{
		if (i > 0)
			appendStringInfoChar(buf, ',');
		appendStringInfoChar(buf, '"');
		for (const char *v = list->values[i]; *v; v++)
		{
			if (*v == '"' || *v == '\\')
				appendStringInfoChar(buf, '\\');
			appendStringInfoChar(buf, *v);
		}
		appendStringInfoChar(buf, '"');
	}
	appendStringInfoChar(buf, '}');
}

/*
 * SQL for "the order is won": stage = 'won'::stagetype, or with more than one
 * won stage stage = ANY ('{...}'::stagetype[]), with the equality operator of the stage column's type, so that the condition is
 * immutable (an enum's text form is not) and can be an index predicate.
 * attach creates the partial indexes on won orders with exactly this text
 * (alias NULL), which lets the planner use them for the look-ups.
 */
void
append_won_condition(StringInfo buf, AttachedTable *at, const char *alias)
{
	StringInfoData list;
	TypeCacheEntry *typentry;
	Oid			arraytype;
	HeapTuple	optup;
	Form_pg_operator op;

	typentry = lookup_type_cache(at->status.typid, TYPECACHE_EQ_OPR);
	arraytype = get_array_type(at->status.typid);
	if (!OidIsValid(typentry->eq_opr) || !OidIsValid(arraytype))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("type %s of the stage column has no equality operator",
						format_type_be(at->status.typid))));

	initStringInfo(&list);
	append_array_literal(&list, &at->success);

	optup = SearchSysCache1(OPEROID, ObjectIdGetDatum(typentry->eq_opr));
	if (!HeapTupleIsValid(optup))
		elog(ERROR, "cache lookup failed for operator %u", typentry->eq_opr);
	op = (Form_pg_operator) GETSTRUCT(optup);

	if (alias)
		appendStringInfo(buf, "%s.", alias);
	appendStringInfo(buf, "%s OPERATOR(%s.%s) ",
					 at->status.name,
					 quote_identifier(get_namespace_name(op->oprnamespace)),
					 NameStr(op->oprname));
	/* one won stage, the usual case, is a plain comparison: cheaper to test */
	if (at->success.count == 1)
		appendStringInfo(buf, "%s::%s", quote_literal_cstr(at->success.values[0]),
						 format_type_be_qualified(at->status.typid));
	else
		appendStringInfo(buf, "ANY (%s::%s)", quote_literal_cstr(list.data),
						 format_type_be_qualified(arraytype));
	ReleaseSysCache(optup);
	pfree(list.data);
}
