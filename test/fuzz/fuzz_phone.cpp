/*-------------------------------------------------------------------------
 *
 * fuzz_phone.cpp
 *	  libFuzzer target for the phone number shim (src/phone_shim.cpp).
 *
 * The first byte of the input picks a region (none, known ones in various
 * cases, unknown ones); the rest is the number.  Besides crashes and
 * sanitizer reports it checks: an unknown region is always reported as
 * such, no other error status occurs, a result is '+' and 2 to 17 digits,
 * and a result normalised again, without a region, is unchanged.
 *
 *-------------------------------------------------------------------------
 */
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "phone_shim.h"

static const char *const regions[] = {
	NULL, "DE", "de", "GB", "US", "RU", "FR", "CH", "AT", "IN", "BR", "IT",
	"JP", "CN", "AU", "MX", "NL", "PL", "ES", "CA", "AR", "001", "XX", "ZZ",
	"", "1", "D", "DEU"
};

static bool
region_is_bad(const char *region)
{
	return region != NULL &&
		(std::strcmp(region, "001") == 0 || std::strcmp(region, "XX") == 0 ||
		 std::strcmp(region, "ZZ") == 0 || std::strlen(region) != 2 ||
		 std::strcmp(region, "1") == 0);
}

static void
fail(const char *what)
{
	std::fprintf(stderr, "fuzz_phone: %s\n", what);
	std::abort();
}

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *region;
	char		out[PHONE_E164_BUFSIZE];
	char		again[PHONE_E164_BUFSIZE];
	PhoneStatus status;
	size_t		n;

	if (size == 0)
		return 0;
	region = regions[data[0] % (sizeof(regions) / sizeof(regions[0]))];
	data++;
	size--;

	status = phone_shim_normalize((const char *) data, size, region,
								  out, sizeof(out));
	if (region_is_bad(region) != (status == PHONE_UNKNOWN_REGION))
		fail("unknown region status is wrong");
	if (region_is_bad(region) != (phone_shim_region_known(region) == 0 &&
								  region != NULL))
		fail("phone_shim_region_known disagrees");
	if (status == PHONE_ERROR || status == PHONE_NO_MEMORY)
		fail("library error");
	if (status != PHONE_OK)
		return 0;

	n = std::strlen(out);
	if (n < 3 || n > 18 || out[0] != '+')
		fail("result is not E.164");
	for (size_t i = 1; i < n; i++)
		if (out[i] < '0' || out[i] > '9')
			fail("result has a non-digit");

	status = phone_shim_normalize(out, n, NULL, again, sizeof(again));
	if (status != PHONE_OK || std::strcmp(out, again) != 0)
		fail("normalising a result changes it");
	return 0;
}
