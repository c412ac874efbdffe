-- Differential test: attach both workspaces (the tables already hold rows).

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

SELECT returning_crm.attach_leads('app.lead');
SELECT returning_crm.attach_orders('app.orders', lead_column => 'lead_id', ordered_by => 'created_at');

SELECT returning_crm.attach_leads('app.lead_t',
	id_column => 'lead_no', contact_column => 'person_id', company_column => 'firm_id',
	status_column => 'lead_status', success_values => '{converted,won_over}',
	failure_values => '{junk,spam}', tenant_column => 'tenant_id', column_prefix => 'x_',
	workspace => 'tenanted');
SELECT returning_crm.attach_orders('app.deal_t',
	id_column => 'order_no', contact_column => 'person_id', company_column => 'firm_id',
	stage_column => 'phase', won_values => '{won,paid}', lost_values => '{lost}',
	lead_column => 'origin_lead', ordered_by => 'placed_at', tenant_column => 'tenant_id',
	column_prefix => 'x_', workspace => 'tenanted');

UPDATE diff.stat SET value = 1 WHERE key = 'attached';

-- Leads that were there before attach have no history: attach classifies them
-- by the insert rule, except that a lead already closed-success is 'new' (its
-- client is most likely the one its conversion created). The expected states
-- are reset accordingly (the shadow trigger may have seen attach's own UPDATE).
UPDATE diff.lead_shadow s
   SET state = CASE WHEN l.status = 'converted' THEN 'new'
					WHEN diff.has_client(l.contact_id::text, l.company_id::text) THEN 'repeat'
					ELSE 'new' END
  FROM app.lead l
 WHERE s.ws = 'default' AND s.id = l.id;
UPDATE diff.lead_shadow s
   SET state = CASE WHEN l.lead_status IN ('converted', 'won_over') THEN 'new'
					WHEN diff.has_client(l.person_id::text, l.firm_id::text) THEN 'repeat'
					ELSE 'new' END
  FROM app.lead_t l
 WHERE s.ws = 'tenanted' AND s.id = l.lead_no;
