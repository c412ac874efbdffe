-- The classification rules of the README ("The rules"), written the way an
-- application developer would write them by hand in PL/pgSQL: the reference
-- the C triggers are compared with, for speed and for correctness.
--
-- Expects bench.ref_lead and bench.ref_deal with the columns of crm.lead and
-- crm.deal plus returning_state text. Client of a row: its company when
-- company_id is neither NULL nor 0, else its contact when contact_id is
-- neither NULL nor 0, else none. Position: (created_at, id).

-- Leads: repeat when the lead has a client; a lead whose old or new status
-- is 'converted' keeps its state on UPDATE.
create function bench.ref_lead_before() returns trigger
language plpgsql as $$
begin
	if tg_op = 'UPDATE' and (old.status = 'converted' or new.status = 'converted') then
		new.returning_state := old.returning_state;
	elsif coalesce(new.company_id, 0) <> 0 or coalesce(new.contact_id, 0) <> 0 then
		new.returning_state := 'repeat';
	else
		new.returning_state := 'new';
	end if;
	return new;
end;
$$;

-- The state of one order, from the current rows of bench.ref_deal and
-- bench.ref_lead (the order itself, by id, left out).
create function bench.ref_order_state(p_id bigint, p_company_id bigint, p_contact_id bigint,
	p_created_at timestamptz, p_lead_id bigint) returns text
language plpgsql stable as $$
begin
	if coalesce(p_company_id, 0) <> 0 then
		if exists (select 1 from bench.ref_deal d
				where d.company_id = p_company_id and d.stage = 'won' and d.id <> p_id
					and (d.created_at, d.id) < (p_created_at, p_id)) then
			return 'repeat';
		end if;
	elsif coalesce(p_contact_id, 0) <> 0 then
		if exists (select 1 from bench.ref_deal d
				where d.contact_id = p_contact_id and coalesce(d.company_id, 0) = 0
					and d.stage = 'won' and d.id <> p_id
					and (d.created_at, d.id) < (p_created_at, p_id)) then
			return 'repeat';
		end if;
	else
		return 'new';
	end if;
	if p_lead_id is not null
			and exists (select 1 from bench.ref_lead l where l.id = p_lead_id and l.returning_state = 'repeat') then
		return 'repeated_inquiry';
	end if;
	return 'new';
end;
$$;

-- Recompute the orders of one client positioned after a won order that
-- appeared or disappeared there. When the client has another won order
-- before that position, the later orders are repeat either way.
create function bench.ref_recompute_after(p_id bigint, p_company_id bigint, p_contact_id bigint,
	p_created_at timestamptz) returns void
language plpgsql as $$
begin
	if coalesce(p_company_id, 0) <> 0 then
		if exists (select 1 from bench.ref_deal d
				where d.company_id = p_company_id and d.stage = 'won' and d.id <> p_id
					and (d.created_at, d.id) < (p_created_at, p_id)) then
			return;
		end if;
		update bench.ref_deal d
		set returning_state = bench.ref_order_state(d.id, d.company_id, d.contact_id, d.created_at, d.lead_id)
		where d.company_id = p_company_id and (d.created_at, d.id) > (p_created_at, p_id)
			and d.returning_state is distinct from
				bench.ref_order_state(d.id, d.company_id, d.contact_id, d.created_at, d.lead_id);
	elsif coalesce(p_contact_id, 0) <> 0 then
		if exists (select 1 from bench.ref_deal d
				where d.contact_id = p_contact_id and coalesce(d.company_id, 0) = 0
					and d.stage = 'won' and d.id <> p_id
					and (d.created_at, d.id) < (p_created_at, p_id)) then
			return;
		end if;
		update bench.ref_deal d
		set returning_state = bench.ref_order_state(d.id, d.company_id, d.contact_id, d.created_at, d.lead_id)
		where d.contact_id = p_contact_id and coalesce(d.company_id, 0) = 0
			and (d.created_at, d.id) > (p_created_at, p_id)
			and d.returning_state is distinct from
				bench.ref_order_state(d.id, d.company_id, d.contact_id, d.created_at, d.lead_id);
	end if;
end;
$$;

-- BEFORE: classify the row being written (the application cannot set it).
create function bench.ref_deal_before() returns trigger
language plpgsql as $$
begin
	new.returning_state := bench.ref_order_state(new.id, new.company_id, new.contact_id,
		new.created_at, new.lead_id);
	return new;
end;
$$;

-- AFTER: a won order appeared, disappeared or moved: the later orders of
-- the old and of the new client may change.
create function bench.ref_deal_after() returns trigger
language plpgsql as $$
begin
	if tg_op in ('UPDATE', 'DELETE') and old.stage = 'won' then
		perform bench.ref_recompute_after(old.id, old.company_id, old.contact_id, old.created_at);
	end if;
	if tg_op in ('INSERT', 'UPDATE') and new.stage = 'won' then
		perform bench.ref_recompute_after(new.id, new.company_id, new.contact_id, new.created_at);
	end if;
	return null;
end;
$$;

-- AFTER on leads: a lead changed state or went away: its orders may change.
create function bench.ref_lead_after() returns trigger
language plpgsql as $$
begin
	update bench.ref_deal d
	set returning_state = bench.ref_order_state(d.id, d.company_id, d.contact_id, d.created_at, d.lead_id)
	where d.lead_id = old.id
		and d.returning_state is distinct from
			bench.ref_order_state(d.id, d.company_id, d.contact_id, d.created_at, d.lead_id);
	return null;
end;
$$;

create trigger ref_lead_before before insert or update on bench.ref_lead
	for each row execute function bench.ref_lead_before();
create trigger ref_lead_after_update after update of status, company_id, contact_id on bench.ref_lead
	for each row when (old.returning_state is distinct from new.returning_state)
	execute function bench.ref_lead_after();
create trigger ref_lead_after_delete after delete on bench.ref_lead
	for each row when (old.returning_state = 'repeat')
	execute function bench.ref_lead_after();

create trigger ref_deal_before before insert or update on bench.ref_deal
	for each row execute function bench.ref_deal_before();
create trigger ref_deal_after_insert after insert on bench.ref_deal
	for each row when (new.stage = 'won')
	execute function bench.ref_deal_after();
create trigger ref_deal_after_update after update of stage, company_id, contact_id, created_at on bench.ref_deal
	for each row when (old.stage = 'won' or new.stage = 'won')
	execute function bench.ref_deal_after();
create trigger ref_deal_after_delete after delete on bench.ref_deal
	for each row when (old.stage = 'won')
	execute function bench.ref_deal_after();

-- The indexes these queries need: earlier won orders of a company or of a
-- contact, and the orders of a client by position.
create index ref_deal_company_won_idx on bench.ref_deal (company_id, created_at, id) where stage = 'won';
create index ref_deal_contact_won_idx on bench.ref_deal (contact_id, created_at, id)
	where stage = 'won' and coalesce(company_id, 0) = 0;
create index ref_deal_company_pos_idx on bench.ref_deal (company_id, created_at, id);
create index ref_deal_contact_pos_idx on bench.ref_deal (contact_id, created_at, id);
