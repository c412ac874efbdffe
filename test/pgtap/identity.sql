-- rule none (README "Privileges"): the exception list and the workspace
--    settings
-- rule none (README "Configuration tables"): kept by pg_dump
-- Privileges of the exception list and the workspace settings, and their
-- place in the extension's dumped configuration.
BEGIN;
SELECT plan(26);
CREATE EXTENSION IF NOT EXISTS "returning";

SELECT ok(ARRAY['returning_crm.workspace_settings'::regclass, 'returning_crm.exception'::regclass]
		  <@ (SELECT extconfig::regclass[] FROM pg_extension WHERE extname = 'returning'),
		  'settings and exceptions are dumped with the extension configuration');
SELECT ok(ARRAY['returning_crm.exception_id_seq'::regclass]
		  <@ (SELECT extconfig::regclass[] FROM pg_extension WHERE extname = 'returning'),
		  'the exception id sequence is dumped too');

SELECT ok(NOT has_table_privilege('public', 'returning_crm.exception', priv), 'PUBLIC has no ' || priv || ' on exception')
  FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) priv;
SELECT ok(has_table_privilege('public', 'returning_crm.workspace_settings', 'SELECT'), 'PUBLIC reads the settings');
SELECT ok(NOT has_table_privilege('public', 'returning_crm.workspace_settings', priv), 'PUBLIC has no ' || priv || ' on settings')
  FROM unnest(ARRAY['INSERT', 'UPDATE', 'DELETE']) priv;

CREATE ROLE tap_identity_app;
CREATE ROLE tap_identity_other;
GRANT USAGE ON SCHEMA returning_crm TO tap_identity_app, tap_identity_other;
SELECT ok(NOT has_function_privilege('tap_identity_other', f, 'EXECUTE'), 'PUBLIC cannot execute ' || f)
  FROM unnest(ARRAY['returning_crm.configure(text, boolean, boolean, boolean, text, text, boolean)',
					'returning_crm.add_exception(text, text, text, text)',
					'returning_crm.remove_exception(text, text, text)',
					'returning_crm.import_exceptions(text, text, text)',
					'returning_crm.exclude_lead(bigint, text, text)',
					'returning_crm.exclude_order(bigint, text, text)',
					'returning_crm.find_matches(text, text, text, text)',
					'returning_crm.is_excluded(text, text, text, text)']) f;

SET LOCAL ROLE tap_identity_other;
SELECT throws_ok($$SELECT returning_crm.add_exception('a@example.com')$$, '42501', NULL, 'an ungranted role cannot add exceptions');
SELECT throws_ok($$INSERT INTO returning_crm.exception (workspace, kind, value) VALUES ('default', 'email', 'a@example.com')$$,
				 '42501', NULL, 'nor write the table');
SELECT throws_ok($$UPDATE returning_crm.workspace_settings SET repeat_sales = false$$, '42501', NULL, 'nor write the settings');
SELECT throws_ok($$SELECT returning_crm.configure(repeat_sales => false)$$, '42501', NULL, 'nor configure');
RESET ROLE;

GRANT EXECUTE ON FUNCTION returning_crm.add_exception(text, text, text, text),
	returning_crm.configure(text, boolean, boolean, boolean, text, text, boolean) TO tap_identity_app;
SET LOCAL ROLE tap_identity_app;
SELECT is((returning_crm.add_exception('A@Example.com', 'granted')).value, 'a@example.com', 'a granted role adds exceptions');
SELECT is((returning_crm.configure(repeat_sales => false)).repeat_sales, false, 'a granted role configures');
SELECT throws_ok($$SELECT count(*) FROM returning_crm.exception$$, '42501', NULL, 'but does not read the list directly');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
