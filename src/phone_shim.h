/*-------------------------------------------------------------------------
 *
 * phone_shim.h
 *	  Plain C interface to libphonenumber, which is a C++ library.
 *
 * The functions declared here never let a C++ exception out, never
 * allocate with palloc and never call into PostgreSQL, so they are safe to
 * call from backend C code and from the libFuzzer target alike.  Errors
 * come back as status codes for the caller to report.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RETURNING_PHONE_SHIM_H
#define RETURNING_PHONE_SHIM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C"
{
#endif

/* Outcome of phone_shim_normalize() */
typedef enum PhoneStatus
{
	PHONE_OK = 0,				/* the E.164 form is in the output buffer */
	PHONE_INVALID,				/* not a valid phone number */
	PHONE_UNKNOWN_REGION,		/* the region is not one libphonenumber knows */
	PHONE_NO_MEMORY,			/* the library ran out of memory */
	PHONE_ERROR					/* the library failed in another way */
} PhoneStatus;

/*
 * Longest input handed to libphonenumber, in bytes; longer input is not a
 * phone number.  libphonenumber itself refuses more than 250 bytes.
 */
#define PHONE_MAX_INPUT		250

/* A buffer of this size always holds an E.164 number and its NUL */
#define PHONE_E164_BUFSIZE	32

/*
 * Normalise the phone number in[0..len) (UTF-8, need not be NUL-terminated)
 * to E.164 ("+4930123456") in out, NUL-terminated.  "region" is an ISO 3166
 * alpha-2 code in any case, used for numbers in national format, or NULL to
 * accept only numbers in international format ("+49 ..." or "0049 ...").
 * The number must be judged valid by libphonenumber's IsValidNumber().  An
 * extension ("ext. 12") is dropped.  "outsize" should be at least
 * PHONE_E164_BUFSIZE; a smaller buffer that cannot hold the result gives
 * PHONE_ERROR.
 */
extern PhoneStatus phone_shim_normalize(const char *in, size_t len,
										const char *region,
										char *out, size_t outsize);

/*
 * Is "region" (any case) a region libphonenumber has metadata for?
 * Returns 1 for yes, 0 for no, and -1 when the library failed.
 */
extern int	phone_shim_region_known(const char *region);

#ifdef __cplusplus
}
#endif

#endif							/* RETURNING_PHONE_SHIM_H */
