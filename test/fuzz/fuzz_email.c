/*-------------------------------------------------------------------------
 *
 * fuzz_email.c
 *	  libFuzzer target for the e-mail normaliser (src/email.c).
 *
 * Besides memory errors and undefined behaviour (caught by the sanitizers),
 * it checks properties of every result: at most 254 bytes, exactly one '@',
 * no ASCII upper case, no blank or control byte, the same result from a
 * buffer of exactly the right size, and normalising a result again gives
 * it unchanged.
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "email.h"

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_email: %s\n", what);
	abort();
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		out[EMAIL_BUFSIZE];
	char		again[EMAIL_BUFSIZE];
	char	   *exact;
	int			n;
	int			m;
	int			ats = 0;
	int			i;

	n = email_normalize_buf((const char *) data, size, out, sizeof(out));
	if (n < 0)
		fail("a full-sized buffer was too small");
	if (n == 0)
		return 0;

	if (n > EMAIL_MAX_ADDRESS || (size_t) n != strlen(out))
		fail("result length is wrong");
	for (i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) out[i];

		if (c == '@')
			ats++;
		if (c >= 'A' && c <= 'Z')
			fail("upper case in the result");
		if (c <= ' ' || c == 0x7F)
			fail("blank or control byte in the result");
	}
	if (ats != 1)
		fail("result without exactly one '@'");

	/* a buffer of exactly the result's size works; one byte less does not */
	exact = malloc(n + 1);
	if (exact == NULL)
		return 0;
	if (email_normalize_buf((const char *) data, size, exact, n + 1) != n ||
		memcmp(exact, out, n + 1) != 0)
		fail("exact-sized buffer gives another result");
	if (email_normalize_buf((const char *) data, size, exact, n) != -1)
		fail("short buffer not reported");
	free(exact);

	/* idempotence */
	m = email_normalize_buf(out, n, again, sizeof(again));
	if (m != n || memcmp(out, again, n) != 0)
		fail("normalising a result changes it");
	return 0;
}
