-- The attacking role in the window (the current library under 0.1.0's
-- objects): 0.1.0's SECURITY DEFINER attach, detach and reclassify are
-- refused, so they can neither skip the owner check nor run the attacker's
-- code with their owner's rights; the victim's writes go on.
SELECT 'vic.deal'::regclass::oid AS deal \gset
SET ROLE upg_mallory;
-- the victim's table by its OID (the attacker has no USAGE on its schema)
SELECT returning_crm.detach(:deal::oid::regclass);
SELECT returning_crm.reclassify(:deal::oid::regclass);
CREATE FUNCTION mal.escalate(text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
	IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
		EXECUTE 'ALTER ROLE upg_mallory SUPERUSER';
	END IF;
	RETURN true;
END $$;
CREATE DOMAIN mal.checked AS text CHECK (mal.escalate(VALUE));
CREATE DOMAIN mal.status AS mal.checked;
CREATE TABLE mal.lead (id bigserial PRIMARY KEY, status mal.status NOT NULL DEFAULT 'new',
	contact_id bigint, company_id bigint);
SELECT returning_crm.attach_leads('mal.lead', workspace => 'mal');
-- the other attach functions of 0.1.0 share that body and its refusal
CREATE TABLE mal.deal (id bigserial PRIMARY KEY, stage mal.status NOT NULL DEFAULT 'new',
	contact_id bigint, company_id bigint);
CREATE TABLE mal.contact (id bigserial PRIMARY KEY, company_id bigint, name mal.status);
SELECT returning_crm.attach_orders('mal.deal', workspace => 'mal');
SELECT returning_crm.attach_contacts('mal.contact', name_column => 'name', workspace => 'mal');
SELECT returning_crm.attach_companies('mal.contact', title_column => 'name', workspace => 'mal2');
RESET ROLE;
SELECT rolsuper FROM pg_roles WHERE rolname = 'upg_mallory';
SELECT count(*) AS victim_triggers FROM pg_trigger WHERE tgrelid = 'vic.deal'::regclass AND NOT tgisinternal;
SET ROLE upg_victim;
INSERT INTO vic.deal (contact_id, created_at) VALUES (1, '2024-03-01');
SELECT id, stage, returning_state FROM vic.deal ORDER BY id;
RESET ROLE;
