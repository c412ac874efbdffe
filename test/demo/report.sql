-- Monthly report from the report views that attaching created beside the
-- tables (crm.deal_returning_monthly, by month and pipeline, and
-- crm.lead_returning_monthly): plain SQL over the columns the extension
-- maintains, what a BI tool would show.

\pset footer off
\pset null '-'

with orders as (
	select month,
		sum(new_orders) as new,
		sum(repeat_orders) as repeat,
		sum(repeated_inquiries) as rep_inquiry,
		sum(orders) as orders,
		sum(won_new_amount) as won_new,
		sum(won_repeat_amount) as won_repeat,
		sum(won_repeated_inquiry_amount) as won_rep_inquiry
	from crm.deal_returning_monthly
	group by 1
)
select to_char(month, 'YYYY-MM') as month,
	new as "new",
	repeat as "repeat",
	rep_inquiry as "rep. inquiry",
	round(100.0 * (repeat + rep_inquiry) / nullif(orders, 0), 1) as "% returning",
	to_char(coalesce(won_new, 0) / 1000, 'FM999G990') as "won new k€",
	to_char(coalesce(won_repeat, 0) / 1000, 'FM999G990') as "won repeat k€",
	to_char(coalesce(won_rep_inquiry, 0) / 1000, 'FM999G990') as "won rep.inq. k€",
	l.leads as "leads",
	l.repeat_share as "% repeat leads"
from orders
full join crm.lead_returning_monthly l using (month)
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
