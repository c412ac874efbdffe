-- Normalised e-mail addresses and phone numbers (src/normalize.c).

CREATE OR REPLACE FUNCTION returning_crm.normalize_email(text)
RETURNS text
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'normalize_email';

COMMENT ON FUNCTION returning_crm.normalize_email(text) IS
'Returns the e-mail address in the field, trimmed and lower-cased (ASCII letters only), or NULL when it holds no valid address. A display name ("Anna <anna@example.de>") is dropped, and of several addresses separated by commas or semicolons the first valid one is taken.';

CREATE OR REPLACE FUNCTION returning_crm.normalize_phone(text, region text)
RETURNS text
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'normalize_phone';

COMMENT ON FUNCTION returning_crm.normalize_phone(text, text) IS
'Returns the phone number in E.164 format (+4930123456), or NULL when libphonenumber does not judge it a valid number. The region is an ISO 3166-1 alpha-2 code (any case) used for numbers in national format; an unknown region is an error. Extensions are dropped.';

CREATE OR REPLACE FUNCTION returning_crm.normalize_phone(text)
RETURNS text
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'normalize_phone_international';

COMMENT ON FUNCTION returning_crm.normalize_phone(text) IS
'Returns the phone number in E.164 format (+4930123456) when it is written in international format (with + or 00) and valid, else NULL. Extensions are dropped.';
