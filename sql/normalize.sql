--
-- normalize_email() and normalize_phone(): table-driven cases.  Every case
-- lists the expected result; the full tables are printed (with a column
-- "ok"), followed by the cases that do not match, which must be none.
--
CREATE EXTENSION "returning";
\pset null '(null)'

-- Show a value readably: quoted, control characters and invisible spaces
-- escaped, long strings cut
CREATE FUNCTION pg_temp.show(s text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE
		WHEN s IS NULL THEN NULL
		WHEN length(s) > 70 THEN left(s, 24) || '... (' || length(s) || ' characters)'
		WHEN s ~ E'[\\x01-\\x1f\\x7f\\u00a0\\u200b\\ufeff]' THEN
			'E''' || replace(replace(replace(replace(replace(replace(replace(s,
				E'\t', '\t'), E'\n', '\n'), E'\x01', '\x01'), E'\x7f', '\x7f'),
				E'\u00a0', '\u00a0'), E'\u200b', '\u200b'), E'\ufeff', '\ufeff') || ''''
		ELSE quote_literal(s)
	END
$$;

--
-- rule none (README "Normalisation"): normalize_email()
-- E-mail addresses
--
CREATE TEMP TABLE email_case (id serial, input text, expected text);
INSERT INTO email_case (input, expected) VALUES
	-- plain, case, blanks
	('anna@example.de', 'anna@example.de'),
	('Anna@Example.DE', 'anna@example.de'),
	('ANNA.MUSTER@EXAMPLE.CO.UK', 'anna.muster@example.co.uk'),
	('  anna@example.de  ', 'anna@example.de'),
	(E'\tanna@example.de\n', 'anna@example.de'),
	(E'\u00a0anna@example.de\u00a0', 'anna@example.de'),
	(E'\ufeffanna@example.de', 'anna@example.de'),
	(E'anna@example.de\u200b', 'anna@example.de'),
	('a@b.cd', 'a@b.cd'),
	('1234567890@example.com', '1234567890@example.com'),
	('anna@sub.sub.example.museum', 'anna@sub.sub.example.museum'),
	('anna+crm@example.de', 'anna+crm@example.de'),
	('o''brien@example.ie', 'o''brien@example.ie'),
	('a!#$%&*+/=?^_`{|}~-z@example.de', 'a!#$%&*+/=?^_`{|}~-z@example.de'),
	('anna@ex-ample.de', 'anna@ex-ample.de'),
	('anna@example.c0m', 'anna@example.c0m'),
	('mailto:Anna@Example.de', 'anna@example.de'),
	('MAILTO:anna@example.de', 'anna@example.de'),
	-- display names
	('Anna Muster <Anna@Example.de>', 'anna@example.de'),
	('"Muster, Anna" <anna@example.de>', 'anna@example.de'),
	('"Anna <x@y.de>" <anna@example.de>', 'anna@example.de'),
	('<anna@example.de>', 'anna@example.de'),
	('Anna < anna@example.de >', 'anna@example.de'),
	('anna@example.de <Anna@Example.de>', 'anna@example.de'),
	('Anna <anna@example.de> (work)', NULL),
	('Anna <anna@example.de', NULL),
	('anna@example.de>', NULL),
	('Anna <<anna@example.de>>', NULL),
	('Anna <>', NULL),
	-- several addresses: the first valid one
	('anna@example.de, bob@example.org', 'anna@example.de'),
	('anna@example.de; bob@example.org', 'anna@example.de'),
	('Anna <anna@example.de>; Bob <bob@example.org>', 'anna@example.de'),
	('n/a, bob@example.org', 'bob@example.org'),
	('Anna <anna@example>, Bob <BOB@example.org>', 'bob@example.org'),
	(';;anna@example.de;;', 'anna@example.de'),
	('anna@example.de,', 'anna@example.de'),
	('"Anna; Bob" <bob@example.org>', 'bob@example.org'),
	('anna,bob@example.de', 'bob@example.de'),
	('anna@example.de bob@example.org', NULL),
	(', ;', NULL),
	-- missing parts
	('', NULL),
	('   ', NULL),
	('anna', NULL),
	('@example.de', NULL),
	('anna@', NULL),
	('@', NULL),
	('anna at example dot de', NULL),
	('mailto:', NULL),
	-- malformed
	('anna@@example.de', NULL),
	('anna@bob@example.de', NULL),
	('anna@example', NULL),
	('anna@.example.de', NULL),
	('anna@example..de', NULL),
	('anna@example.de.', NULL),
	('anna@-example.de', NULL),
	('anna@example-.de', NULL),
	('anna@example.d', NULL),
	('anna@example.123', NULL),
	('anna@192.168.0.1', NULL),
	('anna@[192.168.0.1]', NULL),
	('anna@example_domain.de', NULL),
	('.anna@example.de', NULL),
	('anna.@example.de', NULL),
	('an..na@example.de', NULL),
	('an na@example.de', NULL),
	(E'anna\t@example.de', NULL),
	(E'an\x01na@example.de', NULL),
	(E'anna@exam\x7fple.de', NULL),
	(E'anna\u00a0@example.de', NULL),
	('"anna muster"@example.de', NULL),
	('anna(comment)@example.de', NULL),
	('anna\@example.de', NULL),
	('anna@exa mple.de', NULL),
	-- internationalised: kept in UTF-8, lower-cased in ASCII only
	('Jürgen@Bücher.DE', 'jürgen@bücher.de'),
	('info@BÜCHER.de', 'info@bÜcher.de'),
	('info@xn--bcher-kva.DE', 'info@xn--bcher-kva.de'),
	('почта@пример.рф', 'почта@пример.рф'),
	('user@例え.テスト', 'user@例え.テスト'),
	-- lengths: local part 64, address 254, label 63 bytes at most
	(repeat('a', 64) || '@example.de', repeat('a', 64) || '@example.de'),
	(repeat('a', 65) || '@example.de', NULL),
	(repeat('a', 64) || '@' || repeat('b', 63) || '.' || repeat('c', 63) || '.' || repeat('d', 58) || '.de',
	 repeat('a', 64) || '@' || repeat('b', 63) || '.' || repeat('c', 63) || '.' || repeat('d', 58) || '.de'),
	(repeat('a', 64) || '@' || repeat('b', 63) || '.' || repeat('c', 63) || '.' || repeat('d', 59) || '.de', NULL),
	('a@' || repeat('b', 63) || '.de', 'a@' || repeat('b', 63) || '.de'),
	('a@' || repeat('b', 64) || '.de', NULL),
	(repeat('ü', 32) || '@example.de', repeat('ü', 32) || '@example.de'),
	(repeat('ü', 33) || '@example.de', NULL),
	-- a megabyte
	(repeat('a', 1000000), NULL),
	(repeat('a', 1000000) || '@example.de', NULL),
	(repeat('a', 1000000) || ', Anna@Example.de', 'anna@example.de'),
	('"' || repeat('a', 1000000), NULL),
	(repeat(',', 1000000) || 'anna@example.de', 'anna@example.de'),
	(repeat('<', 1000000) || 'anna@example.de', NULL);

SELECT id, pg_temp.show(input) AS input,
	   pg_temp.show(returning_crm.normalize_email(input)) AS actual,
	   returning_crm.normalize_email(input) IS NOT DISTINCT FROM expected AS ok
FROM email_case ORDER BY id;

-- mismatches: none
SELECT id, pg_temp.show(input) AS input, returning_crm.normalize_email(input) AS actual, expected
FROM email_case
WHERE returning_crm.normalize_email(input) IS DISTINCT FROM expected;

--
-- rule none (README "Normalisation"): normalize_phone()
-- Phone numbers.  A NULL region means the one-argument form, which accepts
-- only international format.
--
CREATE TEMP TABLE phone_case (id serial, input text, region text, expected text);
INSERT INTO phone_case (input, region, expected) VALUES
	-- Germany: trunk prefix 0, international prefix 00
	('030 123456', 'DE', '+4930123456'),
	('030 12345678', 'DE', '+493012345678'),
	('030/12345678', 'DE', '+493012345678'),
	('030-1234 5678', 'DE', '+493012345678'),
	('(030) 12 34 56 78', 'DE', '+493012345678'),
	('030.12345678', 'DE', '+493012345678'),
	('+49 30 12345678', 'DE', '+493012345678'),
	('+49 (0)30 12345678', 'DE', '+493012345678'),
	('0049 30 12345678', 'DE', '+493012345678'),
	('0049 (0)30 12345678', 'DE', '+493012345678'),
	('0171 1234567', 'DE', '+491711234567'),
	('0800 1234567', 'DE', '+498001234567'),
	('030 12345678', 'de', '+493012345678'),
	('030 12345678', 'De', '+493012345678'),
	('Tel.: 030 12345678', 'DE', '+493012345678'),
	('030 12345678 ext. 12', 'DE', '+493012345678'),
	('030 12345678 x12', 'DE', '+493012345678'),
	('tel:+49-30-12345678', 'DE', '+493012345678'),
	('０３０ １２３４５６７８', 'DE', '+493012345678'),
	('110', 'DE', NULL),
	('030 1', 'DE', NULL),
	('0', 'DE', NULL),
	('00', 'DE', NULL),
	('+', 'DE', NULL),
	('', 'DE', NULL),
	('   ', 'DE', NULL),
	('abc', 'DE', NULL),
	('-/()', 'DE', NULL),
	('+49 30 12345678 12345678 12345678', 'DE', NULL),
	-- international format without a region
	('+49 30 12345678', NULL, '+493012345678'),
	('0049 30 12345678', NULL, '+493012345678'),
	('00 49 30 12345678', NULL, '+493012345678'),
	('(0049) 30 12345678', NULL, '+493012345678'),
	('+49 171 1234567', NULL, '+491711234567'),
	('0049 171 1234567', NULL, '+491711234567'),
	('＋49 30 12345678', NULL, '+493012345678'),
	('tel:+49-30-12345678', NULL, '+493012345678'),
	('+49 30 12345678 ext. 12', NULL, '+493012345678'),
	('030 12345678', NULL, NULL),
	('0 0 49 30 12345678', NULL, NULL),
	('011 49 30 12345678', NULL, NULL),
	('+999 1234567', NULL, NULL),
	('+49 30 1', NULL, NULL),
	('+', NULL, NULL),
	('', NULL, NULL),
	-- an international number wins over the region
	('+49 30 12345678', 'US', '+493012345678'),
	('+44 20 7946 0018', 'DE', '+442079460018'),
	-- United Kingdom
	('020 7946 0018', 'GB', '+442079460018'),
	('+44 20 7946 0018', NULL, '+442079460018'),
	('+44 (0)20 7946 0018', 'GB', '+442079460018'),
	('0044 20 7946 0018', 'GB', '+442079460018'),
	('07400 123456', 'GB', '+447400123456'),
	('07700 900123', 'GB', NULL),	-- reserved for drama, never in use
	('020 7946 001', 'GB', NULL),
	('020 7946 0018', 'gb', '+442079460018'),
	-- United States and Canada: trunk prefix 1, international prefix 011
	('(650) 253-0000', 'US', '+16502530000'),
	('650-253-0000', 'us', '+16502530000'),
	('1 650 253 0000', 'US', '+16502530000'),
	('+1 650 253 0000', NULL, '+16502530000'),
	('(650) 253-0000 x123', 'US', '+16502530000'),
	('650 253 0000 ext. 5', 'US', '+16502530000'),
	('1-800-FLOWERS', 'US', '+18003569377'),
	('(201) 555-0123', 'US', '+12015550123'),
	('555-0100', 'US', NULL),
	('(555) 555-0100', 'US', NULL),
	('+1 650 253 00001', NULL, NULL),
	('011 49 30 12345678', 'US', '+493012345678'),
	('0049 30 12345678', 'US', NULL),
	('(416) 555-0123', 'CA', '+14165550123'),
	-- Russia: trunk prefix 8, international prefix 810
	('8 495 123-45-67', 'RU', '+74951234567'),
	('8 (495) 123-45-67', 'RU', '+74951234567'),
	('495 123-45-67', 'RU', '+74951234567'),
	('+7 495 123-45-67', NULL, '+74951234567'),
	('8 916 123-45-67', 'RU', '+79161234567'),
	('810 49 30 12345678', 'RU', '+493012345678'),
	('8 495 123-45-6', 'RU', NULL),
	-- France
	('01 23 45 67 89', 'FR', '+33123456789'),
	('06 12 34 56 78', 'FR', '+33612345678'),
	('+33 6 12 34 56 78', NULL, '+33612345678'),
	('0033 1 23 45 67 89', NULL, '+33123456789'),
	('+33 (0)1 23 45 67 89', 'FR', '+33123456789'),
	('1 23 45 67 8', 'FR', NULL),
	-- Switzerland, Austria
	('044 668 18 00', 'CH', '+41446681800'),
	('+41 44 668 18 00', NULL, '+41446681800'),
	('079 123 45 67', 'CH', '+41791234567'),
	('0664 1234567', 'AT', '+436641234567'),
	('01 5877345', 'AT', '+4315877345'),
	('+43 664 1234567', NULL, '+436641234567'),
	-- India, Brazil
	('098765 43210', 'IN', '+919876543210'),
	('98765 43210', 'IN', '+919876543210'),
	('+91 98765 43210', NULL, '+919876543210'),
	('022 2778 8000', 'IN', '+912227788000'),
	('(11) 91234-5678', 'BR', '+5511912345678'),
	('(11) 3456-7890', 'BR', '+551134567890'),
	('+55 11 91234-5678', NULL, '+5511912345678'),
	-- more regions; Italy keeps its leading zero
	('06 1234 5678', 'IT', '+390612345678'),
	('+39 06 1234 5678', NULL, '+390612345678'),
	('03-1234-5678', 'JP', '+81312345678'),
	('010 1234 5678', 'CN', '+861012345678'),
	('138 0013 8000', 'CN', '+8613800138000'),
	('(02) 9374 4000', 'AU', '+61293744000'),
	('0412 345 678', 'AU', '+61412345678'),
	('020 123 4567', 'NL', '+31201234567'),
	('912 34 56 78', 'ES', '+34912345678'),
	('12 345 67 89', 'PL', '+48123456789'),
	-- lengths: at most 250 bytes reach libphonenumber
	(rpad('+49 30 12345678', 250), NULL, '+493012345678'),
	(rpad('+49 30 12345678', 251), NULL, NULL),
	(repeat('1', 251), 'DE', NULL),
	(repeat('1', 1000000), 'DE', NULL),
	('+49' || repeat('1', 1000000), NULL, NULL);

SELECT id, pg_temp.show(input) AS input, region,
	   CASE WHEN region IS NULL THEN returning_crm.normalize_phone(input)
			ELSE returning_crm.normalize_phone(input, region) END AS actual,
	   CASE WHEN region IS NULL THEN returning_crm.normalize_phone(input)
			ELSE returning_crm.normalize_phone(input, region) END
		   IS NOT DISTINCT FROM expected AS ok
FROM phone_case ORDER BY id;

-- mismatches: none
SELECT id, pg_temp.show(input) AS input, region, expected
FROM phone_case
WHERE CASE WHEN region IS NULL THEN returning_crm.normalize_phone(input)
		   ELSE returning_crm.normalize_phone(input, region) END
	  IS DISTINCT FROM expected;

SELECT (SELECT count(*) FROM email_case) AS email_cases,
	   (SELECT count(*) FROM phone_case) AS phone_cases;

--
-- rule none (README "Normalisation"): an unknown region is an error (22023)
-- Unknown regions are errors (SQLSTATE 22023), whatever the number
--
SELECT returning_crm.normalize_phone('+49 30 12345678', 'XX');
\set VERBOSITY sqlstate
SELECT returning_crm.normalize_phone('030 12345678', 'ZZ');
\set VERBOSITY default
DO $$
DECLARE
	r text;
	v text;
BEGIN
	FOREACH r IN ARRAY ARRAY['XX', 'ZZ', '1', '', 'DEU', 'D', '001', ' DE', 'de ', 'EU', 'UK'] LOOP
		BEGIN
			v := returning_crm.normalize_phone('+49 30 12345678', r);
			RAISE NOTICE 'region "%": accepted, %', r, v;
		EXCEPTION WHEN OTHERS THEN
			RAISE NOTICE 'region "%": SQLSTATE %: %', r, SQLSTATE, SQLERRM;
		END;
	END LOOP;
END
$$;
-- the region is checked even when the input is too long to be a number
SELECT returning_crm.normalize_phone(repeat('1', 1000000), 'XX');

--
-- rule none (README "Normalisation"): STRICT
-- STRICT: NULL in, NULL out (a NULL region too, without an error)
--
SELECT returning_crm.normalize_email(NULL) AS email,
	   returning_crm.normalize_phone(NULL, 'DE') AS phone_null_number,
	   returning_crm.normalize_phone('+49 30 12345678', NULL) AS phone_null_region,
	   returning_crm.normalize_phone(NULL, 'XX') AS phone_null_unknown_region,
	   returning_crm.normalize_phone(NULL::text) AS phone_international;

--
-- rule none (README "Normalisation"): IMMUTABLE, STRICT and PARALLEL SAFE
-- Volatility, strictness and parallel safety
--
SELECT p.oid::regprocedure AS function, p.provolatile, p.proisstrict, p.proparallel,
	   obj_description(p.oid, 'pg_proc') IS NOT NULL AS has_comment
FROM pg_proc p
WHERE p.pronamespace = 'returning_crm'::regnamespace
  AND p.proname IN ('normalize_email', 'normalize_phone')
ORDER BY p.oid::regprocedure::text;

--
-- rule none (README "Normalisation"): usable in expression indexes
-- In expression indexes
--
CREATE TABLE norm_contact (id int PRIMARY KEY, email text, phone text);
INSERT INTO norm_contact
SELECT i, 'User' || i || '@Example.DE', '030 ' || (1000000 + i)
FROM generate_series(1, 1000) i;
INSERT INTO norm_contact VALUES (1001, ' "Anna" <Anna@Example.de>', '+49 (0)30 12345678');
CREATE INDEX norm_contact_email ON norm_contact (returning_crm.normalize_email(email));
CREATE INDEX norm_contact_phone ON norm_contact (returning_crm.normalize_phone(phone, 'DE'));
ANALYZE norm_contact;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF)
SELECT id FROM norm_contact WHERE returning_crm.normalize_email(email) = 'anna@example.de';
SELECT id FROM norm_contact WHERE returning_crm.normalize_email(email) = 'anna@example.de';
SELECT id FROM norm_contact WHERE returning_crm.normalize_email(email) = returning_crm.normalize_email('USER7@example.de');
EXPLAIN (COSTS OFF)
SELECT id FROM norm_contact WHERE returning_crm.normalize_phone(phone, 'DE') = '+493012345678';
SELECT id FROM norm_contact WHERE returning_crm.normalize_phone(phone, 'DE') = '+493012345678';
RESET enable_seqscan;
-- a unique index treats differently written addresses as the same
CREATE UNIQUE INDEX norm_contact_email_unique ON norm_contact (returning_crm.normalize_email(email));
INSERT INTO norm_contact VALUES (1002, 'ANNA@example.DE', NULL);
DROP TABLE norm_contact;

DROP EXTENSION "returning" CASCADE;
