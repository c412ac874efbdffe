-- Attaches the tables of schema :s as workspace :ws, scoped by tenant_id.
SELECT 'attach_leads: ' || returning_crm.attach_leads(:'s' || '.lead', tenant_column => 'tenant_id',
	email_columns => '{email}', phone_columns => '{phone}', workspace => :'ws');
SELECT 'attach_orders: ' || returning_crm.attach_orders(:'s' || '.deal', lead_column => 'lead_id',
	ordered_by => 'created_at', tenant_column => 'tenant_id', workspace => :'ws');
SELECT 'attach_contacts: ' || returning_crm.attach_contacts(:'s' || '.contact', name_column => 'name',
	email_columns => '{email}', phone_columns => '{phone}', tenant_column => 'tenant_id', workspace => :'ws');
SELECT 'attach_companies: ' || returning_crm.attach_companies(:'s' || '.company', title_column => 'title',
	email_columns => '{email}', phone_columns => '{phone}', tenant_column => 'tenant_id', workspace => :'ws');
