/*-------------------------------------------------------------------------
 *
 * import.c
 *	  The lines of an exception list to import, each checked for its
 *	  encoding, so that one bad line is reported with its number and the
 *	  others are imported.
 *
 * A text argument is valid in the database's encoding, except in an
 * SQL_ASCII database, where it can carry any bytes: there a line that is
 * not UTF-8 is reported.  A bytea argument is a file of unknown encoding:
 * each line must be UTF-8 and representable in the database's encoding.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(returning_split_lines_text);
PG_FUNCTION_INFO_V1(returning_split_lines_bytea);

/*
 * The line as text of the database's encoding, or NULL with *problem set.
 */
static text *
line_text(const char *data, int len, bool from_file, const char **problem)
{
	int			db_encoding = GetDatabaseEncoding();

	*problem = NULL;
	if (!from_file)
	{
		if (db_encoding == PG_SQL_ASCII && !pg_verify_mbstr(PG_UTF8, data, len, true))
		{
			*problem = "malformed: not valid UTF-8";
			return NULL;
		}
		return cstring_to_text_with_len(data, len);
	}
	if (!pg_verify_mbstr(PG_UTF8, data, len, true))
	{
		*problem = "malformed: not valid UTF-8";
		return NULL;
	}
	if (db_encoding == PG_UTF8 || db_encoding == PG_SQL_ASCII)
		return cstring_to_text_with_len(data, len);
	{
		Oid			proc = FindDefaultConversionProc(PG_UTF8, db_encoding);
		int			destlen = len * MAX_CONVERSION_GROWTH + 1;
		unsigned char *dest = palloc(destlen);
		int			converted;
		int			outlen;

		if (!OidIsValid(proc))
			elog(ERROR, "no conversion from UTF8 to %s", GetDatabaseEncodingName());
		converted = pg_do_encoding_conversion_buf(proc, PG_UTF8, db_encoding,
												  (unsigned char *) data, len,
												  dest, destlen, true);
		if (converted < len)
		{
			*problem = "malformed: a character the database's encoding cannot hold";
			return NULL;
		}
		outlen = strlen((char *) dest);
		return cstring_to_text_with_len((char *) dest, outlen);
	}
}

/*
 * Split data into lines ("\n", a "\r" before it dropped; no line after a
 * final "\n") and return (line, content, problem) for each.
 */
static Datum
split_lines(FunctionCallInfo fcinfo, const char *data, int len, bool from_file)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			start = 0;
	int			number = 0;

	InitMaterializedSRF(fcinfo, 0);
	while (start < len)
	{
		const char *nl = memchr(data + start, '\n', len - start);
		int			end = nl ? (int) (nl - data) : len;
		int			linelen = end - start;
		const char *problem;
		text	   *content;
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		if (linelen > 0 && data[start + linelen - 1] == '\r')
			linelen--;
		content = line_text(data + start, linelen, from_file, &problem);
		values[0] = Int32GetDatum(++number);
		values[1] = content ? PointerGetDatum(content) : (Datum) 0;
		nulls[1] = content == NULL;
		values[2] = problem ? CStringGetTextDatum(problem) : (Datum) 0;
		nulls[2] = problem == NULL;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		start = end + 1;
	}
	return (Datum) 0;
}

/* _split_lines(text) RETURNS TABLE (line int, content text, problem text) */
Datum
returning_split_lines_text(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);

	return split_lines(fcinfo, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), false);
}

/* _split_lines(bytea): the same for a file of unknown encoding */
Datum
returning_split_lines_bytea(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);

	return split_lines(fcinfo, VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), true);
}
