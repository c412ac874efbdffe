-- An attacking role under 0.1.0 prepares for the update: a temporary table
-- attached (its attachment outlives its session), a table of its own
-- attached into the victim's workspace, and views that depend on 0.1.0's
-- functions so that the update cannot drop them.
CREATE EXTENSION "returning" VERSION '0.1.0';
CREATE ROLE upg_victim;
CREATE ROLE upg_mallory;
CREATE SCHEMA vic AUTHORIZATION upg_victim;
CREATE SCHEMA mal AUTHORIZATION upg_mallory;
GRANT USAGE ON SCHEMA returning_crm TO upg_victim, upg_mallory;

SET ROLE upg_victim;
CREATE TABLE vic.deal (id bigserial PRIMARY KEY, stage text NOT NULL DEFAULT 'new',
	contact_id bigint, company_id bigint, created_at timestamptz NOT NULL DEFAULT now());
SELECT returning_crm.attach_orders('vic.deal', ordered_by => 'created_at') AS victim_orders;
INSERT INTO vic.deal (contact_id, stage, created_at) VALUES (1, 'won', '2024-01-01'), (1, 'new', '2024-02-01');
RESET ROLE;

SET ROLE upg_mallory;
CREATE TABLE mal.company (id bigserial PRIMARY KEY, title text);
SELECT returning_crm.attach_companies('mal.company', title_column => 'title') AS into_victims_workspace;
CREATE VIEW mal.pin AS
	SELECT 'returning_crm.route_inquiry(text,text,text,text,text,jsonb,text,text)'::regprocedure AS a,
		   'returning_crm._check_owner(regclass)'::regprocedure AS b,
		   'returning_crm.attach_leads(regclass,name,name,name,name,text[],text[],text,boolean,name,name[],name[],name,text,text)'::regprocedure AS c;
RESET ROLE;
