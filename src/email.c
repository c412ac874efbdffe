/*-------------------------------------------------------------------------
 *
 * email.c
 *	  Normalisation of e-mail addresses, independent of the backend.
 *
 * An e-mail field as typed into a CRM is reduced to one address, or to
 * nothing when it holds none.  The rules:
 *
 * - The input is UTF-8.  Invalid UTF-8 inside an address makes that address
 *   invalid.
 * - The field may hold several addresses separated by ',' or ';' (outside
 *   double quotes and angle brackets).  The first one that is valid by the
 *   rules below is taken; invalid ones before it are skipped, so that
 *   "n/a; anna@example.de" still gives an address.
 * - Each address may be written with a display name, "Anna Muster
 *   <anna@example.de>" or "\"Muster, Anna\" <anna@example.de>": the part in
 *   angle brackets is taken and the display name ignored.  Nothing but
 *   blanks may follow the closing bracket.  A leading "mailto:" (any case)
 *   is dropped.
 * - Blanks around the address are trimmed: ASCII white space and the
 *   Unicode spaces that copying from web pages and documents brings
 *   (no-break space, the U+2000 to U+200B spaces, U+3000, the byte order
 *   mark and some more, see is_blank()).
 * - Inside the address there must be exactly one '@', no blank, no control
 *   character (C0, DEL or C1) and no quoting: quoted local parts, comments
 *   and address literals ("user@[192.0.2.1]") are refused, since CRM
 *   addresses never need them.
 * - The local part is 1 to 64 bytes of ASCII letters, digits and
 *   !#$%&'*+-/=?^_`{|}~ and dots (not first, not last, never two in a row),
 *   or non-ASCII characters (internationalised addresses, RFC 6531).
 * - The domain is at least two labels separated by dots, each 1 to 63 bytes
 *   of ASCII letters, digits and '-' (not first or last in a label) or
 *   non-ASCII characters.  The last label (the top-level domain) has at
 *   least two bytes and is not all digits, which refuses bare IP addresses.
 *   A trailing dot ("example.de.") is refused.
 * - The whole address is at most 254 bytes.
 * - The result is lower-cased in ASCII only, in the local part and in the
 *   domain, like PostgreSQL's pg_ascii_tolower(): the result does not depend
 *   on the locale or the collation, which an IMMUTABLE function needs.
 *   Non-ASCII characters are kept as they are, so an internationalised
 *   domain stays in UTF-8 ("Bücher.DE" gives "bücher.de") and is not
 *   converted to or from its punycode form ("xn--bcher-kva.de"); the two
 *   spellings are different values.
 *
 * Lower-casing the local part is strictly more than RFC 5321 allows, but no
 * mail provider of note treats case as significant, and a CRM must find
 * "Anna@Example.de" and "anna@example.de" to be the same person.
 *
 * The work is linear in the length of the input, whatever it holds.
 *
 *-------------------------------------------------------------------------
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "email.h"

/* Longest label of a domain name, in bytes */
#define EMAIL_MAX_LABEL		63

/*
 * Decode the UTF-8 sequence at s[0..len).  Returns its length and sets *cp,
 * or returns 0 for an invalid sequence (truncated, overlong, surrogate, or
 * beyond U+10FFFF).
 */
static int
utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned char c = s[0];
	int			n;
	uint32_t	v;
	int			i;

	if (c < 0x80)
	{
		*cp = c;
		return 1;
	}
	else if (c >= 0xC2 && c <= 0xDF)
	{
		n = 2;
		v = c & 0x1F;
	}
	else if (c >= 0xE0 && c <= 0xEF)
	{
		n = 3;
		v = c & 0x0F;
	}
	else if (c >= 0xF0 && c <= 0xF4)
	{
		n = 4;
		v = c & 0x07;
	}
	else
		return 0;

	if ((size_t) n > len)
		return 0;
	for (i = 1; i < n; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) ||
		(v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF)
		return 0;
	*cp = v;
	return n;
}

/* Is the code point a blank: white space or an invisible space? */
static bool
is_blank(uint32_t cp)
{
	return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) ||
		cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
		(cp >= 0x2000 && cp <= 0x200B) ||
		cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
		cp == 0x3000 || cp == 0xFEFF;
}

/*
 * If a blank starts at s[0..len), return its length in bytes, else 0.
 */
static int
blank_at(const unsigned char *s, size_t len)
{
	uint32_t	cp;
	int			n = utf8_decode(s, len, &cp);

	if (n > 0 && is_blank(cp))
		return n;
	return 0;
}

/*
 * Trim blanks from both ends of s[0..*len): returns the new start and sets
 * *len to the new length.
 */
static const unsigned char *
trim_blanks(const unsigned char *s, size_t *len)
{
	size_t		n = *len;
	size_t		start = 0;
	size_t		end;
	size_t		i;
	int			w;

	while (start < n && (w = blank_at(s + start, n - start)) > 0)
		start += w;
	/* walk forwards to the end of the last character that is no blank */
	end = start;
	i = start;
	while (i < n)
	{
		w = blank_at(s + i, n - i);
		if (w > 0)
			i += w;
		else
			end = ++i;
	}
	*len = end - start;
	return s + start;
}

/* ASCII lower-casing, the same as PostgreSQL's pg_ascii_tolower() */
static inline unsigned char
ascii_tolower(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		c += 'a' - 'A';
	return c;
}

static inline bool
is_ascii_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		(c >= 'A' && c <= 'Z');
}

/* ASCII characters of a dot-atom local part, besides letters and digits */
static inline bool
is_atext_special(unsigned char c)
{
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL;
}

/* Are the labels of the domain d[0..n) well formed? */
static bool
domain_is_valid(const unsigned char *d, size_t n)
{
	size_t		start = 0;
	int			labels = 0;
	size_t		i;

	for (i = 0; i <= n; i++)
	{
		size_t		llen;
		const unsigned char *label;

		if (i < n && d[i] != '.')
			continue;
		label = d + start;
		llen = i - start;
		if (llen == 0 || llen > EMAIL_MAX_LABEL)
			return false;
		if (label[0] == '-' || label[llen - 1] == '-')
			return false;
		labels++;
		if (i == n)
		{
			/* the top-level domain */
			bool		all_digits = true;
			size_t		j;

			if (llen < 2)
				return false;
			for (j = 0; j < llen; j++)
			{
				if (label[j] < '0' || label[j] > '9')
				{
					all_digits = false;
					break;
				}
			}
			if (all_digits)
				return false;
		}
		start = i + 1;
	}
	return labels >= 2;
}

/*
 * Check the bare address a[0..n) and write its normalised form to out.
 * Returns as email_normalize_buf().
 */
static int
address_normalize(const unsigned char *a, size_t n, char *out, size_t outsize)
{
	size_t		at = 0;
	int			ats = 0;
	size_t		i;

	if (n == 0 || n > EMAIL_MAX_ADDRESS)
		return 0;

	for (i = 0; i < n; i++)
	{
		unsigned char c = a[i];

		if (c >= 0x80)
		{
			uint32_t	cp;
			int			w = utf8_decode(a + i, n - i, &cp);

			if (w == 0 || cp <= 0x9F || is_blank(cp))
				return 0;
			i += w - 1;
		}
		else if (c == '@')
		{
			ats++;
			at = i;
		}
		else if (is_ascii_alnum(c))
			continue;
		else if (ats == 0)
		{
			if (!is_atext_special(c))
				return 0;
		}
		else if (c != '-' && c != '.')
			return 0;
	}
	if (ats != 1)
		return 0;

	/* the local part */
	if (at == 0 || at > EMAIL_MAX_LOCAL)
		return 0;
	if (a[0] == '.' || a[at - 1] == '.')
		return 0;
	for (i = 1; i < at; i++)
	{
		if (a[i] == '.' && a[i - 1] == '.')
			return 0;
	}

	if (!domain_is_valid(a + at + 1, n - at - 1))
		return 0;

	if (n + 1 > outsize)
		return -1;
	for (i = 0; i < n; i++)
		out[i] = (char) ascii_tolower(a[i]);
	out[n] = '\0';
	return (int) n;
}

/*
 * Normalise one entry of the field: an address, maybe with a display name.
 */
static int
entry_normalize(const unsigned char *s, size_t n, char *out, size_t outsize)
{
	bool		quoted = false;
	size_t		lt;
	size_t		i;

	s = trim_blanks(s, &n);
	if (n == 0)
		return 0;
	lt = n;

	/* find the '<' that opens the address, outside a quoted display name */
	for (i = 0; i < n; i++)
	{
		if (quoted)
		{
			if (s[i] == '\\' && i + 1 < n)
				i++;
			else if (s[i] == '"')
				quoted = false;
		}
		else if (s[i] == '"')
			quoted = true;
		else if (s[i] == '<')
		{
			lt = i;
			break;
		}
	}

	if (lt < n)
	{
		/* "name <address>": the '>' must close the entry */
		const unsigned char *gt = memchr(s + lt + 1, '>', n - lt - 1);

		if (gt == NULL || gt != s + n - 1)
			return 0;
		n = gt - (s + lt + 1);
		s = s + lt + 1;
		/* blanks are allowed inside the brackets: "< anna@example.de >" */
		s = trim_blanks(s, &n);
	}

	if (n >= 7 &&
		ascii_tolower(s[0]) == 'm' && ascii_tolower(s[1]) == 'a' &&
		ascii_tolower(s[2]) == 'i' && ascii_tolower(s[3]) == 'l' &&
		ascii_tolower(s[4]) == 't' && ascii_tolower(s[5]) == 'o' &&
		s[6] == ':')
	{
		s += 7;
		n -= 7;
	}

	return address_normalize(s, n, out, outsize);
}

int
email_normalize_buf(const char *in, size_t len, char *out, size_t outsize)
{
	const unsigned char *s = (const unsigned char *) in;
	size_t		start = 0;

	if (in == NULL || out == NULL || outsize == 0)
		return in == NULL ? 0 : -1;

	while (start <= len)
	{
		bool		quoted = false;
		int			angle = 0;
		size_t		end;
		int			r;

		/* find the end of this entry */
		for (end = start; end < len; end++)
		{
			unsigned char c = s[end];

			if (quoted)
			{
				if (c == '\\' && end + 1 < len)
					end++;
				else if (c == '"')
					quoted = false;
			}
			else if (c == '"')
				quoted = true;
			else if (c == '<')
				angle++;
			else if (c == '>' && angle > 0)
				angle--;
			else if ((c == ',' || c == ';') && angle == 0)
				break;
		}

		r = entry_normalize(s + start, end - start, out, outsize);
		if (r != 0)
			return r;
		start = end + 1;
	}
	return 0;
}
