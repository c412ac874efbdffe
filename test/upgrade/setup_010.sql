-- A database of returning 0.1.0, as its README set one up: an application
-- role owns the tables and attaches them, an administrator grants the
-- functions to the application's role; rows of every kind, exceptions,
-- settings, and an order that routing created in lead-free mode.
CREATE EXTENSION "returning" VERSION '0.1.0';
CREATE ROLE upg_owner;
CREATE ROLE upg_app;
CREATE SCHEMA crm AUTHORIZATION upg_owner;
GRANT USAGE ON SCHEMA returning_crm TO upg_owner, upg_app;
GRANT EXECUTE ON FUNCTION
	returning_crm.route_inquiry(text, text, text, text, text, jsonb, text, text),
	returning_crm.add_exception(text, text, text, text),
	returning_crm.exclude_lead(bigint, text),
	returning_crm.find_matches(text, text, text, text),
	returning_crm.is_excluded(text, text, text, text),
	returning_crm.configure(text, boolean, boolean, boolean, text)
	TO upg_app;

SET ROLE upg_owner;
CREATE TABLE crm.contact (id bigserial PRIMARY KEY, company_id bigint, name text, email text, phone text);
CREATE TABLE crm.lead (
	id bigserial PRIMARY KEY, status text NOT NULL DEFAULT 'new',
	contact_id bigint, company_id bigint, email text, phone text, title text);
CREATE TABLE crm.deal (
	id bigserial PRIMARY KEY, stage text NOT NULL DEFAULT 'new',
	contact_id bigint, company_id bigint, lead_id bigint,
	created_at timestamptz NOT NULL DEFAULT now());
-- a lead-free shop: orders of contacts, no leads table
CREATE TABLE crm.shop_contact (id bigserial PRIMARY KEY, company_id bigint, name text, email text);
CREATE TABLE crm.shop_order (
	id bigserial PRIMARY KEY, stage text NOT NULL DEFAULT 'new',
	contact_id bigint, company_id bigint, created_at timestamptz NOT NULL DEFAULT now());
GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA crm TO upg_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA crm TO upg_app;
GRANT USAGE ON SCHEMA crm TO upg_app;

SELECT returning_crm.attach_contacts('crm.contact', name_column => 'name',
	email_columns => '{email}', phone_columns => '{phone}') AS contacts;
SELECT returning_crm.attach_leads('crm.lead', email_columns => '{email}', phone_columns => '{phone}',
	title_column => 'title') AS leads;
SELECT returning_crm.attach_orders('crm.deal', lead_column => 'lead_id', ordered_by => 'created_at') AS deals;
SELECT returning_crm.attach_contacts('crm.shop_contact', name_column => 'name',
	email_columns => '{email}', workspace => 'shop') AS shop_contacts;
SELECT returning_crm.attach_orders('crm.shop_order', ordered_by => 'created_at', workspace => 'shop') AS shop_orders;
RESET ROLE;

SET ROLE upg_app;
INSERT INTO crm.contact (name, email, phone) VALUES ('Ann', 'ann@example.com', '+4930123456'), ('Bob', 'bob@example.com', NULL);
INSERT INTO crm.lead (contact_id, status) VALUES (1, 'converted'), (1, 'new'), (NULL, 'new');
INSERT INTO crm.deal (contact_id, stage, created_at) VALUES (1, 'won', '2024-01-10'), (1, 'new', '2024-03-02');
INSERT INTO crm.deal (contact_id, lead_id, created_at) VALUES (2, 2, '2024-02-01');
SELECT (returning_crm.add_exception('office@example.com', comment => 'shared mailbox')).value;
SELECT returning_crm.configure('shop', repeat_sales => true);
INSERT INTO crm.shop_contact (name, email) VALUES ('Cid', 'cid@example.com');
INSERT INTO crm.shop_order (contact_id, stage, created_at) VALUES (1, 'lost', '2024-01-05');
SELECT decision, order_ids FROM returning_crm.route_inquiry(email => 'cid@example.com', workspace => 'shop');
RESET ROLE;

SELECT id, stage, contact_id, lead_id, returning_state FROM crm.deal ORDER BY id;
SELECT id, status, returning_state FROM crm.lead ORDER BY id;
SELECT id, stage, returning_state FROM crm.shop_order ORDER BY id;
SELECT relid, order_id FROM returning_crm.routed_order;
