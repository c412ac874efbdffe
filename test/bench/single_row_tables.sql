-- The tables of the single-row benches (60_oltp.sh, 65_insert_instructions.sh),
-- on the demo data in crm.deal and crm.lead, all with the same application
-- indexes (contact, company, lead):
--   bench.plain_deal    the unattached twin of crm.deal;
--   crm.deal            attached (and crm.lead);
--   bench.columns_deal  the attached table's columns, without its indexes
--                       and triggers;
--   bench.plain_columns_deal  the same columns, none of them generated (the
--                       flags as plain booleans, as a trigger would write
--                       them);
--   bench.shape_deal    its columns and indexes, without its triggers (its
--                       inserted rows have no state, so every won one enters
--                       the won indexes: it costs a little more than the
--                       shape of the attached table does);
--   bench.ref_deal      the PL/pgSQL reference (reference_tables.sql).
\o /dev/null
create extension "returning";
create schema bench;
create table bench.plain_deal (like crm.deal including defaults including constraints);
alter table bench.plain_deal add primary key (id);
create index on bench.plain_deal (contact_id);
create index on bench.plain_deal (company_id);
create index on bench.plain_deal (lead_id);
insert into bench.plain_deal (id, title, stage, pipeline_id, amount, contact_id, company_id, lead_id, created_at)
	select id, title, stage, pipeline_id, amount, contact_id, company_id, lead_id, created_at from crm.deal;

select returning_crm.attach_leads('crm.lead');
select returning_crm.attach_orders('crm.deal', lead_column => 'lead_id', ordered_by => 'created_at',
	pipeline_column => 'pipeline_id', amount_column => 'amount');

create table bench.columns_deal (like crm.deal including defaults including constraints including generated);
alter table bench.columns_deal add primary key (id);
create index on bench.columns_deal (contact_id);
create index on bench.columns_deal (company_id);
create index on bench.columns_deal (lead_id);
insert into bench.columns_deal (id, title, stage, pipeline_id, amount, contact_id, company_id, lead_id,
		created_at, returning_state)
	select id, title, stage, pipeline_id, amount, contact_id, company_id, lead_id, created_at, returning_state
	from crm.deal;

create table bench.plain_columns_deal (like bench.plain_deal including all);
alter table bench.plain_columns_deal add returning_state text, add returning_routed boolean,
	add is_new boolean, add is_repeat boolean, add is_repeated_inquiry boolean;
insert into bench.plain_columns_deal select * from bench.columns_deal;

create table bench.shape_deal (like crm.deal including all);
insert into bench.shape_deal (id, title, stage, pipeline_id, amount, contact_id, company_id, lead_id,
		created_at, returning_state)
	select id, title, stage, pipeline_id, amount, contact_id, company_id, lead_id, created_at, returning_state
	from bench.columns_deal;

\i test/bench/reference_tables.sql
\o
