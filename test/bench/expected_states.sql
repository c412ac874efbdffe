-- The states the rules of the README ("The rules") give to the rows of crm.deal,
-- evaluated set-based from scratch: temp table expected(id, state).
-- The caller provides lead_state(id, state), the states of the leads the
-- orders point to (lead states are checked separately).
create temp table expected as
select d.id,
	case
		when d.client_kind is null then 'new'
		when coalesce(bool_or(d.stage = 'won') over w, false) then 'repeat'
		when l.state = 'repeat' then 'repeated_inquiry'
		else 'new'
	end as state
from (
	select *,
		case when coalesce(company_id, 0) <> 0 then 'company'
			when coalesce(contact_id, 0) <> 0 then 'contact' end as client_kind,
		case when coalesce(company_id, 0) <> 0 then company_id
			when coalesce(contact_id, 0) <> 0 then contact_id end as client_id
	from crm.deal
) d
left join lead_state l on l.id = d.lead_id
window w as (partition by d.client_kind, d.client_id order by d.created_at, d.id
	rows between unbounded preceding and 1 preceding);
create unique index on expected (id);
