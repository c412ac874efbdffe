--
-- Security: no function of the extension runs an application table's code
-- with more rights than the table's owner; look-ups see only what the
-- caller may see; configuration is written only by those entitled to it.
-- Each scenario runs as the attacking role.
--
-- regress_mallory  owns tables and tries to become superuser through them
-- regress_writer   may only write mal.deal
-- regress_reader   may read mal.contact, limited by row-level security
-- regress_other    another application, in its own workspace
CREATE EXTENSION "returning";
SET client_min_messages = warning;
\set SHOW_CONTEXT never
CREATE ROLE regress_mallory;
CREATE ROLE regress_writer;
CREATE ROLE regress_reader;
CREATE ROLE regress_other;
CREATE SCHEMA mal AUTHORIZATION regress_mallory;
CREATE SCHEMA oth AUTHORIZATION regress_other;
-- The schema is reachable by every role, as after CREATE EXTENSION
SELECT has_schema_privilege('public', 'returning_crm', 'usage') AS public_usage,
	   has_schema_privilege('public', 'returning_crm', 'create') AS public_create;

-- What mallory's code records: who ran it, and whether it became superuser
SET ROLE regress_mallory;
CREATE TABLE mal.seen (who name, what text);
GRANT INSERT ON mal.seen TO PUBLIC;
CREATE FUNCTION mal.escalate(what text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO mal.seen VALUES (current_user, what);
	BEGIN
		EXECUTE 'ALTER ROLE regress_mallory SUPERUSER';
	EXCEPTION WHEN OTHERS THEN
		NULL;
	END;
	RETURN true;
END
$$;
GRANT EXECUTE ON FUNCTION mal.escalate(text) TO PUBLIC;

-- rule none (README "Privileges"): an application table's code never runs with
--    more rights than its owner's
-- The owner's code on its own table: a BEFORE UPDATE trigger, an index
-- expression (a function that lies about being immutable), casts of
-- the status and stage types to text that are the owner's functions.
CREATE TYPE mal.stage AS ENUM ('new', 'won', 'lost');
CREATE FUNCTION mal.stage_text(mal.stage) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN PERFORM mal.escalate('cast'); RETURN format('%s', $1); END $$;
CREATE CAST (mal.stage AS text) WITH FUNCTION mal.stage_text(mal.stage);
CREATE FUNCTION mal.tagged(int) RETURNS int
LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN PERFORM mal.escalate('index expression'); RETURN $1; END $$;
CREATE TABLE mal.deal (id int PRIMARY KEY, stage mal.stage, contact_id int, company_id int,
					   created_at date);
CREATE INDEX ON mal.deal (mal.tagged(id));
CREATE FUNCTION mal.spy() RETURNS trigger
LANGUAGE plpgsql AS $$ BEGIN PERFORM mal.escalate('trigger ' || TG_OP); RETURN NEW; END $$;
CREATE TRIGGER a_spy BEFORE UPDATE ON mal.deal FOR EACH ROW EXECUTE FUNCTION mal.spy();
INSERT INTO mal.deal VALUES (1, 'won', 1, NULL, '2024-01-01'), (2, 'new', 1, NULL, '2024-02-01'),
	(3, 'new', 2, NULL, '2024-03-01');
CREATE TYPE mal.lstatus AS ENUM ('new', 'converted', 'junk');
CREATE FUNCTION mal.lstatus_text(mal.lstatus) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN PERFORM mal.escalate('lead cast'); RETURN format('%s', $1); END $$;
CREATE CAST (mal.lstatus AS text) WITH FUNCTION mal.lstatus_text(mal.lstatus);
CREATE TABLE mal.lead (id int PRIMARY KEY, status mal.lstatus, contact_id int, company_id int);
INSERT INTO mal.lead VALUES (1, 'new', 5, NULL), (2, 'converted', NULL, NULL);
DELETE FROM mal.seen;
RESET ROLE;

-- A superuser attaches, reclassifies and detaches mallory's tables.  The
-- owner's code runs, but as mallory, who stays an ordinary role.
SELECT returning_crm.attach_leads('mal.lead', workspace => 'w_mal');
SELECT returning_crm.attach_orders('mal.deal', workspace => 'w_mal');
SELECT id, returning_state FROM mal.deal ORDER BY id;
-- Mallory breaks the states behind the triggers' back (all disabled)
SET ROLE regress_mallory;
ALTER TABLE mal.deal DISABLE TRIGGER USER;
UPDATE mal.deal SET returning_state = 'bogus';
ALTER TABLE mal.deal ENABLE TRIGGER USER;
RESET ROLE;
SELECT returning_crm.reclassify('mal.deal') AS repaired;
SELECT returning_crm.detach('mal.deal');
SELECT returning_crm.attach_orders('mal.deal', workspace => 'w_mal') AS attached_again;
SELECT DISTINCT who FROM mal.seen ORDER BY who;
SELECT DISTINCT split_part(what, ' ', 1) AS what FROM mal.seen ORDER BY 1;
SELECT rolsuper AS mallory_is_superuser FROM pg_roles WHERE rolname = 'regress_mallory';
-- A rule's value of a type whose input is mallory's code (a domain's
-- CHECK): add_rule checks it, the trigger reads it, both as mallory.
SET ROLE regress_mallory;
CREATE DOMAIN mal.prio AS int CHECK (mal.escalate('rule value') IS NOT NULL);
ALTER TABLE mal.deal ADD COLUMN prio mal.prio;
DELETE FROM mal.seen;
RESET ROLE;
SELECT returning_crm.add_rule('mal.deal', 'repeat', '{"prio": 5}') > 0 AS rule_added;
SELECT DISTINCT who, what FROM mal.seen ORDER BY 1, 2;
-- (a writer runs the table's own code as itself, as PostgreSQL does: the
-- INSERT is mallory's; the trigger applies the rule as the table's owner)
SET ROLE regress_mallory;
INSERT INTO mal.deal (id, stage, contact_id, created_at) VALUES (10, 'new', 1, '2024-06-01');
RESET ROLE;
SELECT id, returning_state, prio FROM mal.deal WHERE id = 10;
SELECT rolsuper AS mallory_is_superuser FROM pg_roles WHERE rolname = 'regress_mallory';
SELECT returning_crm.remove_rule(id) FROM returning_crm.rule WHERE relid = 'mal.deal'::regclass;
DELETE FROM mal.deal WHERE id = 10;
ALTER TABLE mal.deal DROP COLUMN prio;

-- rule none (README "Privileges"): no operator or function on the search_path
--    or in public takes the place of a built-in one
-- Operators and functions that shadow the built-in ones: in public (for
-- a domain over the position type, which an exact match would prefer)
-- and in a schema put before pg_catalog on the search_path.  None runs.
CREATE DOMAIN public.moment AS timestamptz;
GRANT CREATE ON SCHEMA public TO regress_mallory;
CREATE SCHEMA evil AUTHORIZATION regress_mallory;
SET ROLE regress_mallory;
GRANT USAGE ON SCHEMA evil TO PUBLIC;
CREATE FUNCTION public.moment_gt(public.moment, public.moment) RETURNS boolean
LANGUAGE sql AS $$ SELECT mal.escalate('public >') AND $1::timestamptz OPERATOR(pg_catalog.>) $2::timestamptz $$;
CREATE OPERATOR public.> (LEFTARG = public.moment, RIGHTARG = public.moment, FUNCTION = public.moment_gt);
CREATE FUNCTION public.moment_eq(public.moment, public.moment) RETURNS boolean
LANGUAGE sql AS $$ SELECT mal.escalate('public =') AND $1::timestamptz OPERATOR(pg_catalog.=) $2::timestamptz $$;
CREATE OPERATOR public.= (LEFTARG = public.moment, RIGHTARG = public.moment, FUNCTION = public.moment_eq);
CREATE FUNCTION evil.texteq(text, text) RETURNS boolean
LANGUAGE sql AS $$ SELECT mal.escalate('evil = text') AND $1 OPERATOR(pg_catalog.=) $2 $$;
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.texteq);
CREATE FUNCTION evil.textne(text, text) RETURNS boolean
LANGUAGE sql AS $$ SELECT mal.escalate('evil <> text') AND $1 OPERATOR(pg_catalog.<>) $2 $$;
CREATE OPERATOR evil.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.textne);
CREATE FUNCTION evil.int4eq(int, int) RETURNS boolean
LANGUAGE sql AS $$ SELECT mal.escalate('evil = int') AND $1 OPERATOR(pg_catalog.=) $2 $$;
CREATE OPERATOR evil.= (LEFTARG = int, RIGHTARG = int, FUNCTION = evil.int4eq);
CREATE FUNCTION evil.int4ne(int, int) RETURNS boolean
LANGUAGE sql AS $$ SELECT mal.escalate('evil <> int') AND $1 OPERATOR(pg_catalog.<>) $2 $$;
CREATE OPERATOR evil.<> (LEFTARG = int, RIGHTARG = int, FUNCTION = evil.int4ne);
CREATE FUNCTION evil.int4gt(int, int) RETURNS boolean
LANGUAGE sql AS $$ SELECT mal.escalate('evil > int') AND $1 OPERATOR(pg_catalog.>) $2 $$;
CREATE OPERATOR evil.> (LEFTARG = int, RIGHTARG = int, FUNCTION = evil.int4gt);
CREATE FUNCTION evil.unnest(anyarray) RETURNS SETOF anyelement
LANGUAGE sql AS $$ SELECT x FROM pg_catalog.unnest($1) x WHERE mal.escalate('evil unnest') $$;
CREATE FUNCTION evil.lower(text) RETURNS text
LANGUAGE sql AS $$ SELECT pg_catalog.lower($1) WHERE mal.escalate('evil lower') $$;
CREATE TABLE mal.contact (id int PRIMARY KEY, email text, company_id int, tenant int NOT NULL DEFAULT 1);
INSERT INTO mal.contact VALUES (5, 'eve@example.com', NULL, 1), (6, 'tom@example.com', NULL, 2);
CREATE TABLE mal.timed (id int PRIMARY KEY, stage text, contact_id int, company_id int,
						at public.moment);
INSERT INTO mal.timed VALUES (1, 'new', 1, NULL, '2024-03-01'), (2, 'won', 1, NULL, '2024-02-01'),
	(8, 'new', 9, NULL, '2024-05-01');
-- mallory attaches these herself: the workspace w_timed is hers
SELECT returning_crm.attach_contacts('mal.contact', email_columns => '{email}', workspace => 'w_timed');
SELECT returning_crm.attach_orders('mal.timed', ordered_by => 'at', workspace => 'w_timed');
-- without the extension's indexes the row trigger's look-ups are SQL
DROP INDEX mal.timed_returning_contact, mal.timed_returning_won_contact;
RESET ROLE;
GRANT SELECT, INSERT, UPDATE, DELETE ON mal.deal, mal.lead TO regress_writer;
GRANT USAGE ON SCHEMA mal TO regress_writer, regress_reader, regress_other;
DELETE FROM mal.seen;
-- A superuser writes mal.timed (which has no code of mallory's) with the
-- shadowing schema first: inserts, an earlier won order (the look-up of
-- later orders), wins, moves, deletes, the whole-table pass and matching.
-- A writer does the same on mal.deal and mal.lead.
SET search_path = evil, pg_catalog, public;
INSERT INTO mal.timed VALUES (3, 'won', 1, NULL, '2024-01-01'), (4, 'new', 1, NULL, '2024-04-01');
INSERT INTO mal.timed VALUES (5, 'won', 2, NULL, '2024-01-01');
INSERT INTO mal.timed VALUES (9, 'won', 9, NULL, '2024-04-01');
INSERT INTO mal.timed VALUES (6, 'new', 2, NULL, '2023-12-01'), (7, 'won', 2, NULL, '2023-11-01');
UPDATE mal.timed SET stage = 'lost' WHERE id OPERATOR(pg_catalog.=) 3;
UPDATE mal.timed SET contact_id = 2 WHERE id OPERATOR(pg_catalog.=) 4;
DELETE FROM mal.timed WHERE id OPERATOR(pg_catalog.=) 7;
SELECT returning_crm.reclassify('mal.timed') AS changed;
SELECT * FROM returning_crm.find_matches('Eve@Example.com', NULL, workspace => 'w_timed');
SET ROLE regress_writer;
SET search_path = evil, pg_catalog, public;
INSERT INTO mal.deal VALUES (10, 'won', 3, NULL, '2024-01-01'), (11, 'new', 3, NULL, '2024-02-01');
INSERT INTO mal.deal VALUES (12, 'won', 3, NULL, '2023-01-01');
UPDATE mal.deal SET stage = 'lost' WHERE id OPERATOR(pg_catalog.=) 1;
INSERT INTO mal.lead VALUES (3, 'new', 7, NULL);
UPDATE mal.lead SET contact_id = NULL WHERE id OPERATOR(pg_catalog.=) 1;
RESET ROLE;
RESET search_path;
SELECT who, what FROM mal.seen WHERE what LIKE 'evil%' OR what LIKE 'public%' ORDER BY 1, 2;
SELECT id, stage, contact_id, returning_state FROM mal.timed ORDER BY id;
SELECT rolsuper AS mallory_is_superuser FROM pg_roles WHERE rolname = 'regress_mallory';

-- rule none (README "Triggers"): the triggers run as the table's owner
-- A writer needs nothing but its grants on the table, not even USAGE on
-- the extension's schema: the triggers run as the table's owner.
REVOKE USAGE ON SCHEMA returning_crm FROM PUBLIC;
GRANT USAGE ON SCHEMA returning_crm TO regress_mallory;
SET ROLE regress_writer;
SELECT has_schema_privilege('returning_crm', 'usage') AS writer_has_usage;
INSERT INTO mal.deal VALUES (20, 'won', 8, NULL, '2024-01-01'), (21, 'new', 8, NULL, '2024-02-01');
UPDATE mal.deal SET stage = 'new' WHERE id = 20;
DELETE FROM mal.deal WHERE id = 21;
INSERT INTO mal.deal VALUES (22, 'new', 8, NULL, '2024-03-01');
SELECT id, returning_state FROM mal.deal WHERE id >= 20 ORDER BY id;
RESET ROLE;
GRANT USAGE ON SCHEMA returning_crm TO PUBLIC;

-- rule none (README "Privileges"): look-ups run with the caller's rights and
--    row-level security
-- Look-ups see only what the caller may see: without SELECT on the
-- contacts table, find_matches fails (42501); with row-level security,
-- rows of the other tenant are not found.
GRANT EXECUTE ON FUNCTION returning_crm.find_matches(text, text, text, text),
	returning_crm.route_inquiry(text, text, text, text, text, jsonb, text, text)
	TO regress_reader, regress_writer;
SET ROLE regress_writer;
SELECT * FROM returning_crm.find_matches('eve@example.com', NULL, workspace => 'w_timed');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE regress_mallory;
GRANT SELECT ON mal.contact TO regress_reader;
ALTER TABLE mal.contact ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_two ON mal.contact TO regress_reader USING (tenant = 2);
RESET ROLE;
SET ROLE regress_reader;
SELECT * FROM returning_crm.find_matches('eve@example.com', NULL, workspace => 'w_timed') AS hidden;
SELECT * FROM returning_crm.find_matches('tom@example.com', NULL, workspace => 'w_timed') AS visible;
RESET ROLE;

-- rule none (README "Privileges"): ownership is checked against the current
--    role
-- Ownership is checked against the current role.  Another role's
-- SECURITY DEFINER wrapper cannot detach mallory's table even when
-- mallory calls it; mallory's own wrapper works for whoever it lets in.
SET ROLE regress_other;
CREATE FUNCTION oth.detach_for_me(t regclass) RETURNS void
LANGUAGE sql SECURITY DEFINER AS $$ SELECT returning_crm.detach(t) $$;
GRANT EXECUTE ON FUNCTION oth.detach_for_me(regclass) TO regress_mallory;
GRANT USAGE ON SCHEMA oth TO regress_mallory;
RESET ROLE;
SET ROLE regress_mallory;
SELECT oth.detach_for_me('mal.timed');
\echo :LAST_ERROR_SQLSTATE
CREATE FUNCTION mal.reclassify_deals() RETURNS bigint
LANGUAGE sql SECURITY DEFINER AS $$ SELECT returning_crm.reclassify('mal.deal') $$;
GRANT EXECUTE ON FUNCTION mal.reclassify_deals() TO regress_reader;
RESET ROLE;
SET ROLE regress_reader;
SELECT returning_crm.reclassify('mal.deal');
\echo :LAST_ERROR_SQLSTATE
SELECT mal.reclassify_deals() AS through_the_owners_wrapper;
RESET ROLE;

-- rule none (README "Privileges"): workspaces have owners
-- Workspaces belong to the role that attached their first table: another
-- application can neither attach into one, nor configure it, nor feed or
-- read its exception list; not even through the internal functions.
SELECT workspace, owner FROM (SELECT name AS workspace, owner FROM returning_crm.workspace) w
 WHERE workspace LIKE 'w_%' ORDER BY 1;
GRANT EXECUTE ON FUNCTION returning_crm.configure(text, boolean, boolean, boolean, text, text, boolean),
	returning_crm.add_exception(text, text, text, text),
	returning_crm.import_exceptions(text, text, text),
	returning_crm.exclude_lead(bigint, text, text)
	TO regress_other, regress_mallory;
GRANT SELECT ON mal.contact TO regress_other;
SET ROLE regress_other;
CREATE TABLE oth.deal (id int PRIMARY KEY, stage text, contact_id int, company_id int);
SELECT returning_crm.attach_orders('oth.deal', workspace => 'w_timed');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.configure('w_timed', repeat_sales => false);
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.add_exception('spam@example.com', workspace => 'w_timed');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM returning_crm.import_exceptions('spam@example.com', workspace => 'w_timed');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm._config_write('add_exceptions', 'w_timed', NULL,
	'[{"kind": "email", "value": "spam@example.com"}]');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm._config_write('detach', 'w_timed', 'mal.timed', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm._config_write('attach', 'w_other', 'mal.lead', '{"kind": "orders", "id_column": "id"}');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm._as_owner('mal.deal', 'ALTER ROLE regress_other SUPERUSER');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM returning_crm.exception;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO returning_crm.workspace VALUES ('w_mal2', 'regress_other');
\echo :LAST_ERROR_SQLSTATE
-- its own workspace works
SELECT returning_crm.attach_orders('oth.deal', workspace => 'w_other');
SELECT (returning_crm.add_exception('spam@example.com', workspace => 'w_other')).value;
RESET ROLE;
SET ROLE regress_mallory;
SELECT (returning_crm.configure('w_timed', use_finished_lead => true)).use_finished_lead;
SELECT (returning_crm.add_exception('spam@example.com', workspace => 'w_timed')).value;
SELECT returning_crm.configure('w_mal', repeat_sales => false);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- a member of the owner role may (the DBA grants the membership)
GRANT regress_mallory TO regress_other;
SET ROLE regress_other;
SELECT (returning_crm.configure('w_timed', repeat_sales => false)).repeat_sales;
RESET ROLE;
REVOKE regress_mallory FROM regress_other;

-- rule none (README "Scaling out with Citus"): a trigger's configuration must
--    name the table it fires on
-- The extension's trigger function put on another table gains nothing:
-- its argument (the configuration a shard's trigger reads) must name the
-- table it fires on, and a partner it names must name that table back.
-- Anyone can read the configuration of mallory's triggers in pg_trigger.
SET ROLE regress_other;
CREATE TABLE oth.fake (id int PRIMARY KEY, stage text, contact_id int, company_id int,
					   lead_id int, returning_state text, returning_routed boolean);
CREATE TRIGGER zz_returning_row BEFORE INSERT ON oth.fake
	FOR EACH ROW EXECUTE FUNCTION returning_crm.order_row_trigger('mal.deal');
INSERT INTO oth.fake VALUES (1, 'won', 1, NULL);
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER zz_returning_row ON oth.fake;
-- mallory's own configuration, copied
DO $$ BEGIN
	EXECUTE format('CREATE TRIGGER zz_returning_row BEFORE INSERT ON oth.fake FOR EACH ROW'
				   ' EXECUTE FUNCTION returning_crm.order_row_trigger(%L)',
				   (SELECT convert_from(rtrim(t.tgargs, '\x00'::bytea), 'UTF8') FROM pg_trigger t
					 WHERE t.tgrelid = 'mal.deal'::regclass AND t.tgname = 'zz_returning_row'));
END $$;
INSERT INTO oth.fake VALUES (1, 'won', 1, NULL);
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER zz_returning_row ON oth.fake;
-- a configuration of its own table, with mallory's leads as its partner
DO $$ BEGIN
	EXECUTE format('CREATE TRIGGER zz_returning_row BEFORE INSERT ON oth.fake FOR EACH ROW'
				   ' EXECUTE FUNCTION returning_crm.order_row_trigger(%L)',
				   jsonb_build_object('relid', 'oth.fake', 'workspace', 'w_fake', 'kind', 'orders',
						'id_column', 'id', 'contact_column', 'contact_id', 'company_column', 'company_id',
						'status_column', 'stage', 'success_values', ARRAY['won'], 'lead_column', 'lead_id',
						'partner', (SELECT to_jsonb(x) FROM returning_crm.attachment x
									 WHERE x.relid = 'mal.lead'::regclass)));
END $$;
INSERT INTO oth.fake VALUES (2, 'new', 1, NULL, 1);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- rule none (README "Privileges"): _lock_bucket() locks only for a role that
--    may write the table
-- The lock function that routing calls on Citus takes the extension's
-- locks only for a role that may write the table: a reader cannot stall
-- the writers of another table (42501), a writer can (as by writing).
SET ROLE regress_reader;
SELECT returning_crm._lock_bucket('mal.deal', 0, 0, 1);
\echo :LAST_ERROR_SQLSTATE
SET ROLE regress_writer;
SELECT true AS locked FROM returning_crm._lock_bucket('mal.deal', 0, 0, 1);
SELECT returning_crm._lock_bucket('mal.deal', 0, 7, 1);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT rolsuper FROM pg_roles WHERE rolname IN ('regress_mallory', 'regress_other') ORDER BY rolname;

-- rule none (README "Privileges"): look-ups that run with the caller's
-- rights read an application column as text by its type's output function,
-- never by a cast that the type's owner defined: a superuser who excludes
-- or routes for mallory's table runs none of mallory's code
SET ROLE regress_mallory;
CREATE TYPE mal.tenant_kind AS ENUM ('a', 'b');
CREATE FUNCTION mal.tenant_text(mal.tenant_kind) RETURNS text
LANGUAGE sql AS $$ SELECT CASE WHEN mal.escalate('tenant cast') THEN pg_catalog.format('%s', $1) END $$;
CREATE CAST (mal.tenant_kind AS text) WITH FUNCTION mal.tenant_text(mal.tenant_kind);
CREATE TABLE mal.tlead (id bigserial PRIMARY KEY, status text NOT NULL DEFAULT 'new',
	contact_id bigint, company_id bigint, email text, tenant mal.tenant_kind NOT NULL);
CREATE TABLE mal.tdeal (id bigserial PRIMARY KEY, stage text NOT NULL DEFAULT 'new',
	contact_id bigint, company_id bigint, lead_id bigint, responsible mal.tenant_kind,
	tenant mal.tenant_kind NOT NULL);
SELECT returning_crm.attach_leads('mal.tlead', email_columns => '{email}', tenant_column => 'tenant',
	workspace => 'maltenant') AS tleads;
SELECT returning_crm.attach_orders('mal.tdeal', lead_column => 'lead_id', tenant_column => 'tenant',
	responsible_column => 'responsible', workspace => 'maltenant') AS tdeals;
INSERT INTO mal.tlead (contact_id, email, tenant) VALUES (5, 'five@example.com', 'a');
INSERT INTO mal.tdeal (contact_id, lead_id, responsible, tenant) VALUES (5, 1, 'b', 'a');
DELETE FROM mal.seen;
RESET ROLE;
SELECT returning_crm.exclude_lead(1, 'maltenant', 'a') AS excluded;
SELECT returning_crm.exclude_order(1, 'maltenant', 'a') AS excluded;
SELECT decision FROM returning_crm.route_inquiry(email => 'five@example.com', tenant => 'a', workspace => 'maltenant');
SELECT decision FROM returning_crm.route_inquiry(email => 'new@example.com', tenant => 'a', workspace => 'maltenant');
SELECT who, what FROM mal.seen WHERE who <> 'regress_mallory';
SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_mallory';

-- Clean up
DROP EXTENSION "returning" CASCADE;
DROP SCHEMA mal, oth, evil CASCADE;
DROP DOMAIN public.moment CASCADE;
REVOKE CREATE ON SCHEMA public FROM regress_mallory;
DROP OWNED BY regress_mallory, regress_writer, regress_reader, regress_other;
DROP ROLE regress_mallory, regress_writer, regress_reader, regress_other;
