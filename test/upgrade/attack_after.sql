-- After the update: the functions the attacker pinned are kept harmless and
-- out of the way, the temporary table's attachment is gone, and the
-- workspace the attacker attached into belongs to nobody but the
-- administrator until it is given to a role.
SELECT regexp_replace(p.oid::regprocedure::text, '_obsolete_[0-9]+', '_obsolete_N') AS kept,
	   p.prosecdef, has_function_privilege('upg_mallory', p.oid, 'EXECUTE') AS mallory_may
  FROM pg_proc p WHERE p.pronamespace = 'returning_crm'::regnamespace AND p.proname LIKE '%\_obsolete\_%'
 ORDER BY 1;
SELECT relid, kind, workspace FROM returning_crm.attachment ORDER BY relid::text;
SELECT w.name, w.owner = (SELECT extowner FROM pg_extension WHERE extname = 'returning')::regrole AS administrators
  FROM returning_crm.workspace w ORDER BY 1;
\set VERBOSITY terse
GRANT EXECUTE ON FUNCTION returning_crm.configure(text, boolean, boolean, boolean, text, text, boolean) TO upg_mallory;
SET ROLE upg_mallory;
SELECT regexp_replace(concat_ws(' ', p.a, p.b, p.c), '_obsolete_[0-9]+', '_obsolete_N', 'g') AS pinned FROM mal.pin p;
SELECT returning_crm.configure('default', notify_channel => 'leak');
RESET ROLE;
-- the victim's table attaches by the plain name again (no ambiguity), once
-- the administrator gave the workspace to the victim
UPDATE returning_crm.workspace SET owner = 'upg_victim' WHERE name = 'default';
SET ROLE upg_victim;
CREATE TABLE vic.lead (id bigserial PRIMARY KEY, status text NOT NULL DEFAULT 'new', contact_id bigint, company_id bigint);
SELECT returning_crm.attach_leads('vic.lead') AS victim_leads;
INSERT INTO vic.deal (contact_id, created_at) VALUES (1, '2024-04-01');
SELECT id, stage, returning_state FROM vic.deal ORDER BY id;
RESET ROLE;
