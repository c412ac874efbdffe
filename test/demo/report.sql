-- Monthly report over the attached tables, in plain SQL on the columns the
-- extension maintains (is_new, is_repeat, is_repeated_inquiry on orders,
-- returning_state on leads): what a BI tool would show.

\pset footer off
\pset null '-'

with orders as (
	select date_trunc('month', created_at) as month,
		count(*) filter (where is_new) as new,
		count(*) filter (where is_repeat) as repeat,
		count(*) filter (where is_repeated_inquiry) as rep_inquiry,
		sum(amount) filter (where is_new and stage = 'won') as won_new,
		sum(amount) filter (where is_repeat and stage = 'won') as won_repeat,
		sum(amount) filter (where is_repeated_inquiry and stage = 'won') as won_rep_inquiry
	from crm.deal
	group by 1
), leads as (
	select date_trunc('month', created_at) as month,
		count(*) as leads,
		count(*) filter (where returning_state = 'repeat') as repeat_leads
	from crm.lead
	group by 1
)
select to_char(month, 'YYYY-MM') as month,
	new as "new",
	repeat as "repeat",
	rep_inquiry as "rep. inquiry",
	round(100.0 * (repeat + rep_inquiry) / nullif(new + repeat + rep_inquiry, 0), 1) as "% returning",
	to_char(coalesce(won_new, 0) / 1000, 'FM999G990') as "won new k€",
	to_char(coalesce(won_repeat, 0) / 1000, 'FM999G990') as "won repeat k€",
	to_char(coalesce(won_rep_inquiry, 0) / 1000, 'FM999G990') as "won rep.inq. k€",
	leads as "leads",
	round(100.0 * repeat_leads / nullif(leads, 0), 1) as "% repeat leads"
from orders
full join leads using (month)
where month >= '2022-01-01' and month < '2025-01-01'
order by month;

-- Totals
select count(*) as orders,
	count(*) filter (where is_new) as "new",
	count(*) filter (where is_repeat) as "repeat",
	count(*) filter (where is_repeated_inquiry) as "rep. inquiry",
	count(*) filter (where returning_state is null) as "unclassified",
	to_char(sum(amount) filter (where stage = 'won') / 1000, 'FM999G999G990') as "won k€",
	round(100.0 * sum(amount) filter (where stage = 'won' and not is_new)
		/ nullif(sum(amount) filter (where stage = 'won'), 0), 1) as "% won amount from returning clients"
from crm.deal;
