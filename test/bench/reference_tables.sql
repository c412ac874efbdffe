-- The demo's attached crm.lead and crm.deal copied, with their states, into
-- bench.ref_lead and bench.ref_deal under the PL/pgSQL reference
-- (plpgsql_reference.sql), with the same application indexes; the
-- triggers are skipped while copying, so both start equal. Needs schema
-- bench; included by the bench sections that compare the two.
create table bench.ref_lead (like crm.lead including defaults including constraints including generated);
alter table bench.ref_lead add primary key (id);
create table bench.ref_deal (like crm.deal including defaults including constraints including generated);
alter table bench.ref_deal add primary key (id);
create index on bench.ref_deal (contact_id);
create index on bench.ref_deal (company_id);
create index on bench.ref_deal (lead_id);
\i test/bench/plpgsql_reference.sql
set session_replication_role = replica;
insert into bench.ref_lead (id, title, status, contact_id, company_id, email, phone, created_at, returning_state)
	select id, title, status, contact_id, company_id, email, phone, created_at, returning_state
	from crm.lead order by id;
insert into bench.ref_deal (id, title, stage, pipeline_id, amount, contact_id, company_id, lead_id,
		created_at, returning_state)
	select id, title, stage, pipeline_id, amount, contact_id, company_id, lead_id, created_at, returning_state
	from crm.deal order by id;
reset session_replication_role;
