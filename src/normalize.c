/*-------------------------------------------------------------------------
 *
 * normalize.c
 *	  SQL functions returning_crm.normalize_email() and
 *	  returning_crm.normalize_phone(), and their C counterparts for the rest
 *	  of the extension.
 *
 * The rules live in backend-independent code: email.c for e-mail addresses
 * and phone_shim.cpp (over libphonenumber) for phone numbers.  Both work on
 * UTF-8; in a database with another encoding the input is converted to
 * UTF-8 first and an e-mail result converted back.  E.164 numbers are
 * ASCII and need no conversion.
 *
 * The functions are IMMUTABLE: their results depend on nothing but their
 * arguments (ASCII-only case folding, no locale), given one version of
 * libphonenumber's metadata.  A libphonenumber upgrade that changes the
 * numbering plans can change which numbers are valid; indexes on
 * normalize_phone() should then be rebuilt (REINDEX).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "email.h"
#include "normalize.h"
#include "phone_shim.h"

PG_FUNCTION_INFO_V1(normalize_email);
PG_FUNCTION_INFO_V1(normalize_phone);
PG_FUNCTION_INFO_V1(normalize_phone_international);

/*
 * No encoding needs more than this many bytes per character more than
 * UTF-8 does, so longer input cannot be a phone number in any encoding.
 */
#define MAX_ENCODING_RATIO	4

/*
 * The input as UTF-8: the input itself in a UTF-8 database, else a palloc'd
 * copy.  Sets *utf8_len.
 */
static const char *
input_as_utf8(const char *in, int len, int *utf8_len)
{
	char	   *conv;

	if (GetDatabaseEncoding() == PG_UTF8 || len == 0)
	{
		*utf8_len = len;
		return in;
	}
	conv = pg_server_to_any(in, len, PG_UTF8);
	*utf8_len = (conv == in) ? len : (int) strlen(conv);
	return conv;
}

/*
 * Normalise an e-mail field into the caller's buffer of EMAIL_BUFSIZE bytes.
 * Returns the length of the result (UTF-8), or 0 when there is none.
 */
static int
email_to_buffer(const char *in, int len, char *out)
{
	const char *utf8;
	int			utf8_len;
	int			n;

	utf8 = input_as_utf8(in, len, &utf8_len);
	n = email_normalize_buf(utf8, (size_t) utf8_len, out, EMAIL_BUFSIZE);
	if (utf8 != in)
		pfree((char *) utf8);

	/* EMAIL_BUFSIZE always suffices, so -1 cannot happen */
	if (n < 0)
		elog(ERROR, "e-mail buffer too small");
	return n;
}

char *
normalize_email_cstr(const char *in, int len)
{
	char		buf[EMAIL_BUFSIZE];
	int			n;
	char	   *result;

	if (in == NULL)
		return NULL;
	n = email_to_buffer(in, len, buf);
	if (n == 0)
		return NULL;
	result = pg_any_to_server(buf, n, PG_UTF8);
	return (result == buf) ? pnstrdup(buf, n) : result;
}

/* Report a failed status of the phone shim; returns for OK and INVALID */
static void
check_phone_status(PhoneStatus status, const char *region)
{
	switch (status)
	{
		case PHONE_OK:
		case PHONE_INVALID:
			return;
		case PHONE_UNKNOWN_REGION:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown region \"%s\"", region ? region : ""),
					 errhint("The region must be an ISO 3166-1 alpha-2 country code known to libphonenumber, such as \"DE\" or \"US\".")));
			break;
		case PHONE_NO_MEMORY:
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory"),
					 errdetail("The phone number library could not allocate memory.")));
			break;
		case PHONE_ERROR:
			ereport(ERROR,
					(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
					 errmsg("phone number library failed")));
			break;
	}
}

/*
 * Normalise a phone number into the caller's buffer of PHONE_E164_BUFSIZE
 * bytes.  Returns true when there is a result.
 */
static bool
phone_to_buffer(const char *in, int len, const char *region, char *out)
{
	const char *utf8;
	int			utf8_len;
	PhoneStatus status;

	/* too long to be a number: still check the region, then say no */
	if (len > PHONE_MAX_INPUT * MAX_ENCODING_RATIO)
	{
		len = 0;
		in = "";
	}

	utf8 = input_as_utf8(in, len, &utf8_len);
	status = phone_shim_normalize(utf8, (size_t) utf8_len, region,
								  out, PHONE_E164_BUFSIZE);
	if (utf8 != in)
		pfree((char *) utf8);

	check_phone_status(status, region);
	return status == PHONE_OK;
}

char *
normalize_phone_cstr(const char *in, int len, const char *region)
{
	char		buf[PHONE_E164_BUFSIZE];

	if (in == NULL)
	{
		/* the region is still checked, as for any other input */
		if (region != NULL && !phone_region_is_known(region))
			check_phone_status(PHONE_UNKNOWN_REGION, region);
		return NULL;
	}
	if (!phone_to_buffer(in, len, region, buf))
		return NULL;
	return pstrdup(buf);
}

bool
phone_region_is_known(const char *region)
{
	int			known = phone_shim_region_known(region);

	if (known < 0)
		check_phone_status(PHONE_ERROR, region);
	return known > 0;
}

/*
 * returning_crm.normalize_email(text) RETURNS text
 */
Datum
normalize_email(PG_FUNCTION_ARGS)
{
	text	   *in = PG_GETARG_TEXT_PP(0);
	char		buf[EMAIL_BUFSIZE];
	int			n;
	char	   *conv;
	text	   *result;

	n = email_to_buffer(VARDATA_ANY(in), VARSIZE_ANY_EXHDR(in), buf);
	PG_FREE_IF_COPY(in, 0);
	if (n == 0)
		PG_RETURN_NULL();

	conv = pg_any_to_server(buf, n, PG_UTF8);
	if (conv == buf)
		result = cstring_to_text_with_len(buf, n);
	else
	{
		result = cstring_to_text(conv);
		pfree(conv);
	}
	PG_RETURN_TEXT_P(result);
}

/*
 * returning_crm.normalize_phone(text, region text) RETURNS text
 */
Datum
normalize_phone(PG_FUNCTION_ARGS)
{
	text	   *in = PG_GETARG_TEXT_PP(0);
	char	   *region = text_to_cstring(PG_GETARG_TEXT_PP(1));
	char		buf[PHONE_E164_BUFSIZE];
	bool		ok;

	ok = phone_to_buffer(VARDATA_ANY(in), VARSIZE_ANY_EXHDR(in), region, buf);
	pfree(region);
	PG_FREE_IF_COPY(in, 0);
	if (!ok)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(buf));
}

/*
 * returning_crm.normalize_phone(text) RETURNS text: international format
 * only, as with a NULL region in normalize_phone_cstr().  A NULL region
 * cannot reach the two-argument function, which is STRICT.
 */
Datum
normalize_phone_international(PG_FUNCTION_ARGS)
{
	text	   *in = PG_GETARG_TEXT_PP(0);
	char		buf[PHONE_E164_BUFSIZE];
	bool		ok;

	ok = phone_to_buffer(VARDATA_ANY(in), VARSIZE_ANY_EXHDR(in), NULL, buf);
	PG_FREE_IF_COPY(in, 0);
	if (!ok)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(buf));
}
