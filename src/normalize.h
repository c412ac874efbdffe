/*-------------------------------------------------------------------------
 *
 * normalize.h
 *	  Normalised e-mail addresses and phone numbers, for the C code of the
 *	  extension (exception lists, matching, inquiry routing).
 *
 * The results are the same as those of the SQL functions
 * returning_crm.normalize_email() and returning_crm.normalize_phone(); the
 * rules are described in email.c and phone_shim.cpp.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RETURNING_NORMALIZE_H
#define RETURNING_NORMALIZE_H

/*
 * The normalised e-mail address in in[0..len) (server encoding), palloc'd
 * in the current memory context, or NULL when it holds no valid address.
 */
extern char *normalize_email_cstr(const char *in, int len);

/*
 * The E.164 form of the phone number in in[0..len) (server encoding),
 * palloc'd in the current memory context, or NULL when it is not a valid
 * number.  "region" is an ISO 3166 alpha-2 code in any case, or NULL to
 * accept only numbers in international format.  An unknown region is an
 * ERROR (SQLSTATE 22023).
 */
extern char *normalize_phone_cstr(const char *in, int len, const char *region);

/* Is "region" (any case) a region that normalize_phone_cstr() accepts? */
extern bool phone_region_is_known(const char *region);

#endif							/* RETURNING_NORMALIZE_H */
