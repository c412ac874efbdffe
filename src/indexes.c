/*-------------------------------------------------------------------------
 *
 * indexes.c
 *	  The indexes that attaching creates, and how the look-ups find them.
 *
 * Each index is defined here once: attach creates it from this text
 * (_index_definitions), and the planner uses it for the statements of
 * orders.c because they are written from the same pieces.  The index gets
 * a name that reads well and is free in its schema (collisions and long
 * table names get a short suffix), and a comment that says what it is for
 * and ends with a digest of its definition.  The extension recognises its
 * indexes by that comment, on the table they belong to, never by a name
 * rebuilt from the table's name: so a renamed table, a second table with a
 * similar long name, or an index left from an earlier attachment with
 * another mapping (other won stages, after DROP EXTENSION) is never taken
 * for the index the rules need.  An index whose comment does not match is
 * not used by the look-ups, and attach drops it and creates the right one.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/genam.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/index.h"
#include "catalog/pg_index.h"
#include "commands/comment.h"
#include "common/md5.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"

#include "config.h"
#include "indexes.h"
#include "positions.h"

PG_FUNCTION_INFO_V1(returning_index_definitions);

/* How the comment of each of the extension's indexes begins */
#define INDEX_COMMENT_PREFIX "Kept by the returning extension for "

typedef struct IndexSpec
{
	const char *suffix;			/* name: <table>_<prefix>returning_<suffix> */
	const char *purpose;		/* completes "Kept by the returning extension for" */
	AttachKind	kind;
	bool		kept;			/* on the added columns only: detach keeps it */
} IndexSpec;

static const IndexSpec index_specs[RULE_INDEXES] = {
	[INDEX_COMPANY] = {"company", "finding the orders of a company client", ATTACH_ORDERS, false},
	[INDEX_CONTACT] = {"contact", "finding the orders of a contact client", ATTACH_ORDERS, false},
	[INDEX_WON_COMPANY] = {"won_company", "finding the first won order of a company client", ATTACH_ORDERS, false},
	[INDEX_WON_CONTACT] = {"won_contact", "finding the first won order of a contact client", ATTACH_ORDERS, false},
	[INDEX_LEAD] = {"lead", "finding the orders of a lead", ATTACH_ORDERS, false},
	[INDEX_REPEATED_INQUIRY] = {"repeated_inquiry", "picking out repeated inquiries", ATTACH_ORDERS, true},
	[INDEX_REPEAT_LEADS] = {"repeat", "picking out repeat leads", ATTACH_LEADS, true},
	[INDEX_ROUTE_COMPANY] = {"route_company", "routing inquiries to the rows of a company", ATTACH_ANY, false},
	[INDEX_ROUTE_CONTACT] = {"route_contact", "routing inquiries to the rows of a contact", ATTACH_ANY, false},
};

/* "tenant, " or "" */
static void
append_tenant_key(StringInfo buf, AttachedTable *at)
{
	if (at->tenant.attnum != InvalidAttrNumber)
		appendStringInfo(buf, "%s, ", at->tenant.name);
}

/*
 * The definition of an index after "ON table": "(keys) WHERE predicate",
 * or NULL when the table's mapping needs no such index.
 */
static char *
index_definition(AttachedTable *at, RuleIndex which)
{
	bool		company = which == INDEX_COMPANY || which == INDEX_WON_COMPANY;
	const MappedColumn *client = company ? &at->company : &at->contact;
	StringInfoData buf;

	/* ATTACH_ANY: the indexes of routing, on leads and orders */
	if (index_specs[which].kind == ATTACH_ANY ?
		at->kind != ATTACH_LEADS && at->kind != ATTACH_ORDERS :
		index_specs[which].kind != at->kind)
		return NULL;
	initStringInfo(&buf);
	switch (which)
	{
		case INDEX_COMPANY:
		case INDEX_CONTACT:
		case INDEX_WON_COMPANY:
		case INDEX_WON_CONTACT:
			if (client->attnum == InvalidAttrNumber)
				return NULL;
			appendStringInfoChar(&buf, '(');
			append_tenant_key(&buf, at);
			appendStringInfo(&buf, "%s, ", client->name);
			append_position(&buf, at, NULL, false);
			appendStringInfoString(&buf, ") WHERE ");
			if (which == INDEX_WON_COMPANY || which == INDEX_WON_CONTACT)
			{
				/*
				 * The won orders that are not repeat: exactly the first won
				 * order of each client.  The stage first: most rows are not
				 * won, and an insert then skips the rest.
				 */
				append_won_condition(&buf, at, NULL);
				appendStringInfoString(&buf, " AND ");
				append_not_repeat(&buf, at->state.name);
				appendStringInfoString(&buf, " AND ");
			}
			append_client_condition(&buf, at, NULL, company ? CLIENT_COMPANY : CLIENT_CONTACT);
			break;
		case INDEX_ROUTE_COMPANY:
		case INDEX_ROUTE_CONTACT:
			client = which == INDEX_ROUTE_COMPANY ? &at->company : &at->contact;
			if (client->attnum == InvalidAttrNumber)
				return NULL;
			appendStringInfoChar(&buf, '(');
			append_tenant_key(&buf, at);
			appendStringInfo(&buf, "%s)", client->name);
			break;
		case INDEX_LEAD:
			if (at->lead.attnum == InvalidAttrNumber)
				return NULL;
			appendStringInfoChar(&buf, '(');
			append_tenant_key(&buf, at);
			appendStringInfo(&buf, "%s)", at->lead.name);
			break;
		case INDEX_REPEATED_INQUIRY:
			appendStringInfoChar(&buf, '(');
			append_position(&buf, at, NULL, false);
			appendStringInfo(&buf, ") WHERE %s",
							 quote_identifier(psprintf("%sis_repeated_inquiry", at->column_prefix)));
			break;
		case INDEX_REPEAT_LEADS:
			appendStringInfo(&buf, "(%s) WHERE %s", at->id.name,
							 quote_identifier(psprintf("%sis_repeat", at->column_prefix)));
			break;
		default:
			return NULL;
	}
	return buf.data;
}

/* The comment that marks the index: its purpose and a digest of it */
static char *
index_comment(RuleIndex which, const char *definition)
{
	char		digest[33];
	const char *errstr = NULL;

	if (!pg_md5_hash(definition, strlen(definition), digest, &errstr))
		elog(ERROR, "could not compute an MD5 digest: %s", errstr);
	return psprintf(INDEX_COMMENT_PREFIX "%s; %s. Definition %.12s.",
					index_specs[which].purpose,
					index_specs[which].kept ? "detach keeps it" : "detach drops it",
					digest);
}

/*
 * Has the table a complete index of the application's whose first keys are
 * these columns?  Then it serves the look-ups and attach adds none.  The
 * extension's own indexes do not count: one made for another purpose (a
 * routing index of an earlier version) would otherwise stand in for an
 * index that the next attach or update then drops.
 */
static bool
index_covers(Relation rel, const AttrNumber *keys, int nkeys)
{
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	bool		found = false;

	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), AccessShareLock);
		Form_pg_index form = index->rd_index;
		bool		match = form->indisvalid && form->indnkeyatts >= nkeys &&
			index->rd_rel->relam == BTREE_AM_OID &&
			heap_attisnull(index->rd_indextuple, Anum_pg_index_indpred, NULL);

		for (int i = 0; match && i < nkeys; i++)
			match = form->indkey.values[i] == keys[i];
		if (match)
		{
			char	   *comment = GetComment(lfirst_oid(lc), RelationRelationId, 0);

			match = comment == NULL ||
				strncmp(comment, INDEX_COMMENT_PREFIX, strlen(INDEX_COMMENT_PREFIX)) != 0;
		}
		index_close(index, AccessShareLock);
		if (match)
		{
			found = true;
			break;
		}
	}
	list_free(indexes);
	return found;
}

/* Is the index needed, or does one of the application's serve instead? */
static bool
index_needed(AttachedTable *at, RuleIndex which)
{
	AttrNumber	keys[2];
	int			n = 0;
	bool		needed;
	Relation	rel;

	if (which != INDEX_COMPANY && which != INDEX_CONTACT && which != INDEX_LEAD &&
		which != INDEX_ROUTE_COMPANY && which != INDEX_ROUTE_CONTACT)
		return true;

	/*
	 * Routing finds a company's orders with the company client condition
	 * (append_routing_client_filter), which the orders' company index
	 * serves: the application's, or INDEX_COMPANY where none covers it.  A
	 * second index on the column would only cost every write, and most where
	 * most orders have no company, their NULL entries all alike.
	 */
	if (which == INDEX_ROUTE_COMPANY && at->kind == ATTACH_ORDERS)
		return false;
	rel = table_open(at->relid, AccessShareLock);
	if (at->tenant.attnum != InvalidAttrNumber)
		keys[n++] = at->tenant.attnum;
	keys[n++] = which == INDEX_COMPANY || which == INDEX_ROUTE_COMPANY ? at->company.attnum :
		which == INDEX_CONTACT || which == INDEX_ROUTE_CONTACT ? at->contact.attnum :
		at->lead.attnum;
	needed = !index_covers(rel, keys, n);
	/* an index on the column alone serves the look-ups of a lead or routing */
	if (needed && which != INDEX_COMPANY && which != INDEX_CONTACT && n == 2)
		needed = !index_covers(rel, &keys[1], 1);
	table_close(rel, AccessShareLock);
	return needed;
}

/* The string member of a jsonb object, or NULL */
static JsonbValue *
json_member(JsonbContainer *object, const char *key, enum jbvType type)
{
	JsonbValue	k;
	JsonbValue *v;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	v = findJsonbValueFromContainer(object, JB_FOBJECT, &k);
	return v != NULL && v->type == type ? v : NULL;
}

/*
 * On a shard of a distributed table: the shard's copy of one of the
 * extension's indexes.  Index comments are not copied to shards, so the
 * triggers' configuration carries each index's name and definition, as
 * attach made them (_trigger_config), and Citus names a shard's index
 * "<index>_<shard id>", the shard id being the suffix of the shard's name.
 * The index found must belong to the shard and have that definition.
 */
static Oid
find_shard_index(AttachedTable *at, RuleIndex which)
{
	Jsonb	   *config = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
															CStringGetDatum(at->config)));
	JsonbValue *indexes = json_member(&config->root, "indexes", jbvBinary);
	JsonbValue *index;
	JsonbValue *name;
	JsonbValue *definition;
	char	   *shard = get_rel_name(at->sql_relid);
	char	   *shard_id = shard ? strrchr(shard, '_') : NULL;
	char	   *found_definition;
	char	   *using;
	Oid			indexoid;

	if (indexes == NULL || shard_id == NULL ||
		(index = json_member(indexes->val.binary.data, index_specs[which].suffix,
							 jbvBinary)) == NULL ||
		(name = json_member(index->val.binary.data, "name", jbvString)) == NULL ||
		(definition = json_member(index->val.binary.data, "definition", jbvString)) == NULL)
		return InvalidOid;

	indexoid = get_relname_relid(psprintf("%.*s%s", name->val.string.len,
										  name->val.string.val, shard_id),
								 get_rel_namespace(at->sql_relid));
	if (!OidIsValid(indexoid) || get_rel_relkind(indexoid) != RELKIND_INDEX ||
		IndexGetRelation(indexoid, false) != at->sql_relid)
		return InvalidOid;
	found_definition = pg_get_indexdef_string(indexoid);
	using = strstr(found_definition, " USING ");
	if (using == NULL || strlen(using) != (size_t) definition->val.string.len ||
		strncmp(using, definition->val.string.val, definition->val.string.len) != 0)
		return InvalidOid;
	return indexoid;
}

/*
 * The extension's index of a table for a purpose, found by its comment (on
 * a shard, by the configuration), or InvalidOid.  Looked up once per
 * description of the table.
 */
Oid
find_rule_index(AttachedTable *at, RuleIndex which)
{
	char	   *definition = index_definition(at, which);
	char	   *comment;
	Relation	rel;
	List	   *indexes;
	ListCell   *lc;
	Oid			result = InvalidOid;

	if (definition == NULL)
		return InvalidOid;
	if (at->on_shard && at->config != NULL)
		return find_shard_index(at, which);
	comment = index_comment(which, definition);
	rel = table_open(at->relid, AccessShareLock);
	indexes = RelationGetIndexList(rel);
	foreach(lc, indexes)
	{
		char	   *c = GetComment(lfirst_oid(lc), RelationRelationId, 0);

		if (c != NULL && strcmp(c, comment) == 0)
		{
			result = lfirst_oid(lc);
			break;
		}
	}
	list_free(indexes);
	table_close(rel, AccessShareLock);
	return result;
}

/*
 * _index_definitions(regclass) RETURNS TABLE (suffix text, definition text,
 *	  comment text, needed boolean, kept boolean, found regclass)
 *
 * The indexes of an attached table, for attach and detach.
 */
Datum
returning_index_definitions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AttachedTable *at;

	InitMaterializedSRF(fcinfo, 0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	at = described_table(PG_GETARG_OID(0));
	if (at == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s\" is not attached to returning",
						get_rel_name(PG_GETARG_OID(0)))));
	for (int i = 0; i < RULE_INDEXES; i++)
	{
		char	   *definition = index_definition(at, (RuleIndex) i);
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};
		Oid			found;

		if (definition == NULL)
			continue;
		values[0] = CStringGetTextDatum(index_specs[i].suffix);
		values[1] = CStringGetTextDatum(definition);
		values[2] = CStringGetTextDatum(index_comment((RuleIndex) i, definition));
		values[3] = BoolGetDatum(index_needed(at, (RuleIndex) i));
		values[4] = BoolGetDatum(index_specs[i].kept);
		found = find_rule_index(at, (RuleIndex) i);
		values[5] = ObjectIdGetDatum(found);
		nulls[5] = !OidIsValid(found);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}
