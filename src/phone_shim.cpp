/*-------------------------------------------------------------------------
 *
 * phone_shim.cpp
 *	  The one place where the extension calls libphonenumber (C++).
 *
 * Every entry point catches every exception, std::bad_alloc included, and
 * turns it into a status code: no C++ exception may unwind through
 * PostgreSQL's C frames.  Nothing here uses palloc or ereport; results go to
 * buffers owned by the caller.  libphonenumber's own logging (to stdout or
 * stderr) is replaced by a logger that discards everything, so that the
 * server log is not filled with messages about malformed numbers.
 *
 * Rules, beyond what libphonenumber decides:
 * - Input longer than PHONE_MAX_INPUT bytes, input with a NUL byte and input
 *   that is not valid UTF-8 are not phone numbers; libphonenumber is not
 *   called for them.
 * - Without a region, only numbers in international format are accepted.
 *   Besides "+", the international prefix "00" (used in most of the world)
 *   is understood: it is rewritten to "+" when it begins the number.  With a
 *   region, libphonenumber applies that region's own international prefix
 *   ("00" in DE, "011" in US, "810" in RU) and trunk prefix.
 * - A number is accepted when IsValidNumber() says it is valid, and returned
 *   in E.164 format, which has no room for an extension: "ext. 12" or "x12"
 *   is dropped.
 *
 *-------------------------------------------------------------------------
 */
#include "phone_shim.h"

#include <cstring>
#include <new>
#include <set>
#include <string>

#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

namespace
{

/* A logger that drops every message */
class SilentLogger : public i18n::phonenumbers::Logger
{
public:
	void WriteMessage(const std::string &) override
	{
	}
};

/* The library and the set of regions it supports, made on first use */
struct PhoneLibrary
{
	const PhoneNumberUtil *util;
	std::set<std::string> regions;

	PhoneLibrary()
	{
		PhoneNumberUtil *u = PhoneNumberUtil::GetInstance();

		/* SetLogger takes ownership of the logger */
		u->SetLogger(new SilentLogger());
		u->GetSupportedRegions(&regions);
		util = u;
	}
};

/*
 * The library, or an exception when it cannot be set up.  A function-local
 * static is constructed again on the next call when its constructor threw.
 */
const PhoneLibrary &
library()
{
	static const PhoneLibrary lib;

	return lib;
}

/*
 * Upper-case a region code into "code".  Returns false when it cannot be an
 * ISO 3166 alpha-2 code, which spares the library a look-up.
 */
bool
region_code(const char *region, std::string *code)
{
	size_t		n = std::strlen(region);

	if (n != 2)
		return false;
	code->clear();
	for (size_t i = 0; i < n; i++)
	{
		char		c = region[i];

		if (c >= 'a' && c <= 'z')
			c = (char) (c - 'a' + 'A');
		else if (c < 'A' || c > 'Z')
			return false;
		code->push_back(c);
	}
	return true;
}

/* Is s[0..len) valid UTF-8 without NUL bytes? */
bool
valid_utf8(const unsigned char *s, size_t len)
{
	size_t		i = 0;

	while (i < len)
	{
		unsigned char c = s[i];
		size_t		n;
		unsigned long v;

		if (c == 0)
			return false;
		if (c < 0x80)
		{
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
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
			return false;
		if (n > len - i)
			return false;
		for (size_t k = 1; k < n; k++)
		{
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			v = (v << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) ||
			(v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF)
			return false;
		i += n;
	}
	return true;
}

/*
 * Without a region: rewrite a leading international prefix "00" to "+".
 * The number begins at its first ASCII digit or '+', as libphonenumber
 * sees it; a "+" there needs nothing.
 */
void
rewrite_double_zero(std::string *s)
{
	for (size_t i = 0; i < s->size(); i++)
	{
		char		c = (*s)[i];

		if (c == '+')
			return;
		if (c >= '0' && c <= '9')
		{
			if (c == '0' && i + 1 < s->size() && (*s)[i + 1] == '0')
				s->replace(i, 2, "+");
			return;
		}
	}
}

PhoneStatus
normalize(const char *in, size_t len, const char *region,
		  char *out, size_t outsize)
{
	const PhoneLibrary &lib = library();
	std::string code("ZZ");		/* libphonenumber's "unknown region" */
	std::string input;
	std::string e164;
	PhoneNumber number;

	if (region != NULL)
	{
		if (!region_code(region, &code) || lib.regions.count(code) == 0)
			return PHONE_UNKNOWN_REGION;
	}

	if (in == NULL || len > PHONE_MAX_INPUT ||
		!valid_utf8((const unsigned char *) in, len))
		return PHONE_INVALID;

	input.assign(in, len);
	if (region == NULL)
		rewrite_double_zero(&input);

	if (lib.util->Parse(input, code, &number) != PhoneNumberUtil::NO_PARSING_ERROR)
		return PHONE_INVALID;
	if (!lib.util->IsValidNumber(number))
		return PHONE_INVALID;

	lib.util->Format(number, PhoneNumberUtil::E164, &e164);
	if (e164.size() < 2 || e164[0] != '+' || e164.size() + 1 > outsize)
		return PHONE_ERROR;
	std::memcpy(out, e164.data(), e164.size());
	out[e164.size()] = '\0';
	return PHONE_OK;
}

}								/* namespace */

extern "C" PhoneStatus
phone_shim_normalize(const char *in, size_t len, const char *region,
					 char *out, size_t outsize)
{
	if (out == NULL || outsize == 0)
		return PHONE_ERROR;
	out[0] = '\0';
	try
	{
		return normalize(in, len, region, out, outsize);
	}
	catch (const std::bad_alloc &)
	{
		return PHONE_NO_MEMORY;
	}
	catch (...)
	{
		return PHONE_ERROR;
	}
}

extern "C" int
phone_shim_region_known(const char *region)
{
	try
	{
		std::string code;

		if (region == NULL || !region_code(region, &code))
			return 0;
		return library().regions.count(code) > 0 ? 1 : 0;
	}
	catch (...)
	{
		return -1;
	}
}
