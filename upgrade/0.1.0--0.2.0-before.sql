-- returning 0.1.0 to 0.2.0, the part before the tables that 0.2.0 added
-- (src/sql/11_tables_0.2.0.sql) and its functions (the rest of src/sql/ but
-- 10_tables.sql, run again), and the part after (0.1.0--0.2.0-after.sql).
-- Built into returning--0.1.0--0.2.0.sql.
-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION ""returning"" UPDATE TO '0.2.0'" to load this file. \quit

-- The EXECUTE grants that administrators made on 0.1.0's functions, to make
-- again on the functions of the same names (0.1.0--0.2.0-after.sql).  A
-- table of the extension's own for the length of the update; PUBLIC's
-- privileges are 0.2.0's own.
CREATE TABLE returning_crm._upgrade_grants (
	name		name NOT NULL,
	arguments	text NOT NULL,
	grantee		oid NOT NULL,
	grantable	boolean NOT NULL
);
INSERT INTO returning_crm._upgrade_grants
SELECT p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid), a.grantee, a.is_grantable
  FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a
 WHERE p.pronamespace OPERATOR(pg_catalog.=) 'returning_crm'::pg_catalog.regnamespace
   AND a.privilege_type OPERATOR(pg_catalog.=) 'EXECUTE'
   AND a.grantee OPERATOR(pg_catalog.<>) 0
   AND a.grantee OPERATOR(pg_catalog.<>) p.proowner;

-- 0.2.0 creates its event triggers anew.
DROP EVENT TRIGGER returning_drop;

-- The functions of 0.1.0 go, but for those that objects of the
-- application's tables use, which 0.2.0 replaces in place with the same
-- signatures: the trigger functions, and the normalisers of the identity
-- indexes.  They are named here, not found by what depends on them: anyone
-- can make a view depend on a function.  A function of 0.1.0 that something
-- else still depends on cannot go; it is made harmless instead (0.1.0's
-- SECURITY DEFINER functions are the reason for this update): it runs with
-- its caller's rights, nobody may execute it, and it is renamed out of the
-- way of 0.2.0's functions of the same name.
DO $upgrade$
DECLARE
	f regprocedure;
	kept regprocedure[] := ARRAY[
		'returning_crm.lead_row_trigger()', 'returning_crm.lead_statement_trigger()',
		'returning_crm.lead_truncate_trigger()', 'returning_crm.order_row_trigger()',
		'returning_crm.order_statement_trigger()',
		'returning_crm.normalize_email(text)', 'returning_crm.normalize_phone(text)',
		'returning_crm.normalize_phone(text, text)', 'returning_crm.normalize_emails(text[])',
		'returning_crm.normalize_phones(text[])', 'returning_crm.normalize_phones(text[], text)'
	]::regprocedure[];
	dependents text;
	g record;
BEGIN
	FOR f IN
		SELECT p.oid::regprocedure
		  FROM pg_catalog.pg_depend e
		  JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) e.objid
		 WHERE e.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
		   AND e.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
		   AND e.refobjid OPERATOR(pg_catalog.=) (SELECT x.oid FROM pg_catalog.pg_extension x
												   WHERE x.extname OPERATOR(pg_catalog.=) 'returning')
		   AND e.deptype OPERATOR(pg_catalog.=) 'e'
		   AND p.oid OPERATOR(pg_catalog.<>) ALL (kept)
	LOOP
		SELECT pg_catalog.string_agg(pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid), ', ')
		  INTO dependents
		  FROM pg_catalog.pg_depend d
		 WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
		   AND d.refobjid OPERATOR(pg_catalog.=) f
		   AND d.deptype OPERATOR(pg_catalog.<>) 'e';
		IF dependents IS NULL THEN
			EXECUTE pg_catalog.format('DROP FUNCTION %s', f);
			CONTINUE;
		END IF;
		EXECUTE pg_catalog.format('ALTER FUNCTION %s SECURITY INVOKER', f);
		EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
		FOR g IN SELECT DISTINCT a.grantee FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a
				  WHERE p.oid OPERATOR(pg_catalog.=) f AND a.grantee OPERATOR(pg_catalog.<>) 0
					AND a.grantee OPERATOR(pg_catalog.<>) p.proowner
		LOOP
			EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM %s CASCADE', f, g.grantee::pg_catalog.regrole);
		END LOOP;
		EXECUTE pg_catalog.format('ALTER FUNCTION %s RENAME TO %I', f,
			(SELECT pg_catalog.left(p.proname, 50) OPERATOR(pg_catalog.||) '_obsolete_' OPERATOR(pg_catalog.||) p.oid
			   FROM pg_catalog.pg_proc p WHERE p.oid OPERATOR(pg_catalog.=) f));
		RAISE WARNING 'function % of returning 0.1.0 is kept, made SECURITY INVOKER, not executable and renamed, because other objects depend on it: %',
			f, dependents
			USING HINT = 'Drop or change those objects, then drop the function.';
	END LOOP;
END
$upgrade$;

ALTER TABLE returning_crm.attachment
	ADD COLUMN responsible_column name,
	ADD COLUMN date_column name,
	ADD COLUMN report_views boolean,
	ADD COLUMN report_view regclass,
	ADD COLUMN last_reclassified_at timestamptz,
	ADD COLUMN last_reclassify_changed bigint;
COMMENT ON COLUMN returning_crm.attachment.responsible_column IS
	'The column of the user responsible for a row (a manager), which inquiry routing reads and fills.';
COMMENT ON COLUMN returning_crm.attachment.date_column IS
	'The date of a lead or order (a date, timestamp or timestamptz column) by which the report view counts months; for orders it defaults to ordered_by when that is a date.';
COMMENT ON COLUMN returning_crm.attachment.report_views IS
	'Whether attaching creates the monthly report view beside the table (the report_views parameter).';
COMMENT ON COLUMN returning_crm.attachment.report_view IS
	'The monthly report view that attaching created beside the table, or NULL; detach drops it.';
COMMENT ON COLUMN returning_crm.attachment.last_reclassified_at IS
	'When returning_crm.reclassify() last ran on the table.';
COMMENT ON COLUMN returning_crm.attachment.last_reclassify_changed IS
	'How many rows the last returning_crm.reclassify() of the table changed.';
COMMENT ON COLUMN returning_crm.attachment.company_column IS
	'Leads and orders: the company client. Contacts: the company the contact works for (optional), which routing puts beside the contact.';

ALTER TABLE returning_crm.workspace_settings
	ADD COLUMN notify_channel text CHECK (notify_channel <> '' AND pg_catalog.octet_length(notify_channel) < 64),
	ADD COLUMN log_changes boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN returning_crm.workspace_settings.notify_channel IS
	'The channel on which every state change of the workspace''s leads and orders is announced with NOTIFY at commit; NULL sends none.';
COMMENT ON COLUMN returning_crm.workspace_settings.log_changes IS
	'When on, every state change of the workspace''s leads and orders is appended to returning_crm.state_change in the same transaction.';

ALTER TABLE returning_crm.inquiry ADD COLUMN responsible text;
COMMENT ON COLUMN returning_crm.inquiry.contact_id IS 'Contact the inquiry belongs to: the known contact, the contact of a known company that the inquiry matched, or the one created by new_order.';
COMMENT ON COLUMN returning_crm.inquiry.company_id IS 'Company the inquiry belongs to: the known company, or the company of the known contact.';
COMMENT ON COLUMN returning_crm.inquiry.responsible IS 'The responsible user routing chose (text form of the responsible column), or NULL.';

-- The tables that 0.2.0 added follow (src/sql/11_tables_0.2.0.sql), then its
-- functions, views and event triggers.
