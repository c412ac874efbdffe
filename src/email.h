/*-------------------------------------------------------------------------
 *
 * email.h
 *	  Normalisation of e-mail addresses on caller-provided buffers.
 *
 * This code does not depend on the PostgreSQL backend (no palloc, no
 * ereport), so that the same source is linked into the extension and into
 * the libFuzzer target in test/fuzz/.  The rules are described at the top
 * of email.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RETURNING_EMAIL_H
#define RETURNING_EMAIL_H

#include <stddef.h>

/* Longest local part and longest whole address, in bytes (RFC 5321) */
#define EMAIL_MAX_LOCAL		64
#define EMAIL_MAX_ADDRESS	254

/* A buffer of this size always holds a normalised address and its NUL */
#define EMAIL_BUFSIZE		(EMAIL_MAX_ADDRESS + 1)

/*
 * Normalise the e-mail field "in" of "len" bytes (UTF-8, need not be
 * NUL-terminated).  On success the address is written to "out" with a
 * terminating NUL and its length (at least 5) is returned.  Returns 0 when
 * the field holds no valid address, and -1 when "outsize" is too small for
 * the result (never the case with EMAIL_BUFSIZE or more).
 */
extern int	email_normalize_buf(const char *in, size_t len,
								char *out, size_t outsize);

#endif							/* RETURNING_EMAIL_H */
