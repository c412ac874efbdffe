/*-------------------------------------------------------------------------
 *
 * config.h
 *	  The per-backend cache of attached tables, and the helpers that read
 *	  a described table's columns and write its SQL (config.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef RETURNING_CONFIG_H
#define RETURNING_CONFIG_H

#include "executor/spi.h"
#include "lib/stringinfo.h"

#include "returning.h"

/* The relcache callback of the cache, registered by _PG_init() */
extern void config_init(void);

extern AttachedTable *get_attached_table(Oid relid, AttachKind expected);
extern AttachedTable *trigger_table(struct TriggerData *trigdata, AttachKind expected);
extern AttachedTable *partner_table(AttachedTable *at);
extern AttachedTable *described_table(Oid relid);
extern AttachedTable *find_attached_table(const char *workspace, AttachKind kind);
extern void invalidate_workspace(const char *workspace);

extern char *config_member_text(const char *config, const char *key);
extern bool catalog_is_legacy(void);
extern void require_current_catalog(const char *what);

extern SPIPlanPtr keep_plan(const char *sql, int nargs, Oid *argtypes);
extern SPIPlanPtr keep_one_key_plan(AttachedTable *at, const char *sql, int nargs,
									Oid *argtypes);
extern SPIPlanPtr keep_table_plan(AttachedTable *at, const char *sql, int nargs,
								  Oid *argtypes);

extern bool status_in_list(AttachedTable *at, Datum value, bool isnull,
						   const ValueList *list);
extern int64 column_int64(const MappedColumn *col, const Row *row, bool *isnull);
extern int64 integer_of_datum(Datum value, int16 typlen);
extern char *column_tenant(AttachedTable *at, const Row *row);
extern void check_tenant_argument(AttachedTable *at, const char *tenant);

extern void append_tenant_param(StringInfo buf, AttachedTable *at,
								const char *alias, int param);
extern void append_keys_filter(StringInfo buf, AttachedTable *at, const char *alias,
							   const char *column, bool one);
extern void append_tenant_match(StringInfo buf, AttachedTable *at, const char *alias,
								const char *column, const char *other);

#endif							/* RETURNING_CONFIG_H */
