-- Reports: the monthly report views that attach creates, returning_crm.status,
-- and the progress notices of attach and reclassify on large tables.
CREATE EXTENSION "returning";
SET client_min_messages = warning;
\set SHOW_CONTEXT never
SET DateStyle = ISO;
-- the time zone in force when the views are made: fixed in them
SET TimeZone = 'Europe/Berlin';

CREATE SCHEMA rpt;
CREATE TABLE rpt.lead (id int PRIMARY KEY, status text NOT NULL DEFAULT 'new', contact_id int, company_id int,
					   created_at timestamptz);
CREATE TABLE rpt.deal (id int PRIMARY KEY, stage text NOT NULL DEFAULT 'new', contact_id int, company_id int,
					   lead_id int, pipeline_id int, amount numeric(12, 2), created_at timestamptz);
INSERT INTO rpt.lead
SELECT g, CASE WHEN g % 5 = 0 THEN 'converted' ELSE 'new' END,
	   CASE WHEN g % 2 = 0 THEN g % 15 + 1 END, CASE WHEN g % 7 = 0 THEN g % 4 + 1 END,
	   timestamptz '2024-01-01 00:00+00' + g * interval '3 days' - interval '30 minutes'
  FROM generate_series(1, 120) g;
-- Orders over 2024, some of them just before midnight UTC at the end of a
-- month: in Berlin they belong to the next month.
INSERT INTO rpt.deal
SELECT g, (ARRAY['won', 'new', 'lost', 'negotiation'])[g % 4 + 1],
	   CASE WHEN g % 9 <> 0 THEN g % 25 + 1 END, CASE WHEN g % 6 = 0 THEN g % 5 + 1 END,
	   CASE WHEN g % 3 = 0 THEN g % 120 + 1 END, g % 3 + 1, g * 10,
	   CASE WHEN g % 50 = 0 THEN timestamptz '2024-01-31 23:30+00' + (g / 50) * interval '1 month'
			ELSE timestamptz '2024-01-01 00:00+00' + g * interval '21 hours' END
  FROM generate_series(1, 400) g;
INSERT INTO rpt.deal (id, stage, contact_id, amount, created_at) VALUES (401, 'won', 3, 99, NULL);

-- rule none (README "Report views"): the monthly report views that attach
--    creates
-- The views: for leads with a date_column; for orders the date defaults
-- to ordered_by, a timestamptz.
SELECT returning_crm.attach_leads('rpt.lead', date_column => 'created_at');
SELECT returning_crm.attach_orders('rpt.deal', lead_column => 'lead_id', ordered_by => 'created_at',
								   pipeline_column => 'pipeline_id', amount_column => 'amount');
SELECT relid, kind, date_column, report_views, report_view FROM returning_crm.attachment ORDER BY kind;
SELECT c.oid::regclass AS view, c.relkind, c.relowner::regrole AS owner, c.reloptions,
	   has_table_privilege('public', c.oid, 'SELECT') AS public_select, obj_description(c.oid, 'pg_class')
  FROM pg_class c WHERE c.oid IN ('rpt.lead_returning_monthly'::regclass, 'rpt.deal_returning_monthly'::regclass)
 ORDER BY 1;
SELECT attrelid::regclass AS view, attname, format_type(atttypid, atttypmod) AS type,
	   col_description(attrelid, attnum)
  FROM pg_attribute
 WHERE attrelid IN ('rpt.lead_returning_monthly'::regclass, 'rpt.deal_returning_monthly'::regclass)
   AND attnum > 0
 ORDER BY attrelid::regclass::text, attnum;
-- The time zone is a literal of the definition; the view uses nothing of
-- the extension, and so survives DROP EXTENSION.
SELECT pg_get_viewdef('rpt.deal_returning_monthly') LIKE '%AT TIME ZONE ''Europe/Berlin''%' AS fixed_zone;
SELECT count(*) AS extension_objects_used
  FROM pg_rewrite r
  JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
  JOIN pg_depend e ON e.classid = d.refclassid AND e.objid = d.refobjid AND e.deptype = 'e'
 WHERE r.ev_class IN ('rpt.lead_returning_monthly'::regclass, 'rpt.deal_returning_monthly'::regclass);
BEGIN;
DROP EXTENSION "returning" CASCADE;
SELECT sum(orders) AS orders_without_the_extension FROM rpt.deal_returning_monthly;
ROLLBACK;

-- rule none (README "Report views"): the counts of the report views
-- The numbers, against a count from scratch, in another time zone
-- than the views were made in.
SET TimeZone = 'UTC';
CREATE VIEW rpt.deal_scratch AS
SELECT make_date(extract(year FROM created_at AT TIME ZONE 'Europe/Berlin')::int,
				 extract(month FROM created_at AT TIME ZONE 'Europe/Berlin')::int, 1) AS month,
	   pipeline_id::text AS pipeline,
	   count(*) AS orders,
	   count(*) FILTER (WHERE returning_state = 'new') AS new_orders,
	   count(*) FILTER (WHERE returning_state = 'repeat') AS repeat_orders,
	   count(*) FILTER (WHERE returning_state = 'repeated_inquiry') AS repeated_inquiries,
	   coalesce(sum(amount), 0) AS amount,
	   coalesce(sum(amount) FILTER (WHERE returning_state = 'new'), 0) AS new_amount,
	   coalesce(sum(amount) FILTER (WHERE returning_state = 'repeat'), 0) AS repeat_amount,
	   coalesce(sum(amount) FILTER (WHERE returning_state = 'repeated_inquiry'), 0) AS repeated_inquiry_amount,
	   count(*) FILTER (WHERE stage = 'won') AS won_orders,
	   coalesce(sum(amount) FILTER (WHERE stage = 'won'), 0) AS won_amount,
	   coalesce(sum(amount) FILTER (WHERE stage = 'won' AND returning_state = 'new'), 0) AS won_new_amount,
	   coalesce(sum(amount) FILTER (WHERE stage = 'won' AND returning_state = 'repeat'), 0) AS won_repeat_amount,
	   coalesce(sum(amount) FILTER (WHERE stage = 'won' AND returning_state = 'repeated_inquiry'), 0)
		   AS won_repeated_inquiry_amount
  FROM rpt.deal GROUP BY 1, 2;
CREATE VIEW rpt.lead_scratch AS
SELECT make_date(extract(year FROM created_at AT TIME ZONE 'Europe/Berlin')::int,
				 extract(month FROM created_at AT TIME ZONE 'Europe/Berlin')::int, 1) AS month,
	   count(*) AS leads,
	   count(*) FILTER (WHERE returning_state = 'repeat') AS repeat_leads,
	   round(100.0 * count(*) FILTER (WHERE returning_state = 'repeat') / count(*), 1) AS repeat_share
  FROM rpt.lead GROUP BY 1;
CREATE VIEW rpt.differences AS
SELECT 'orders' AS view, count(*) AS rows_that_differ
  FROM ((TABLE rpt.deal_returning_monthly EXCEPT TABLE rpt.deal_scratch)
		UNION ALL (TABLE rpt.deal_scratch EXCEPT TABLE rpt.deal_returning_monthly)) d
UNION ALL
SELECT 'leads', count(*)
  FROM ((TABLE rpt.lead_returning_monthly EXCEPT TABLE rpt.lead_scratch)
		UNION ALL (TABLE rpt.lead_scratch EXCEPT TABLE rpt.lead_returning_monthly)) d;
SELECT * FROM rpt.differences;
SELECT count(*) AS rows, sum(orders) AS orders, sum(new_orders) AS new, sum(repeat_orders) AS repeat,
	   sum(repeated_inquiries) AS repeated_inquiries, sum(won_orders) AS won, sum(won_amount) AS won_amount,
	   count(*) FILTER (WHERE month IS NULL) AS undated_rows
  FROM rpt.deal_returning_monthly;
SELECT month, pipeline, orders, new_orders, repeat_orders, repeated_inquiries, won_orders, won_amount
  FROM rpt.deal_returning_monthly WHERE month < '2024-03-01' ORDER BY month, pipeline;
SELECT * FROM rpt.lead_returning_monthly WHERE month < '2024-04-01' ORDER BY month;
-- They follow the rows: a client's first order won, an order moved.
UPDATE rpt.deal SET stage = 'won' WHERE id IN (1, 2, 5);
UPDATE rpt.deal SET created_at = '2024-12-31 23:59+00' WHERE id = 7;
SELECT * FROM rpt.differences;

-- rule none (README "Report views"): tenants, pipelines, amounts, a
--    date_column, a column_prefix
-- Tenants, a pipeline, a date column of type date that is not
-- ordered_by (a timestamp), a column prefix.
CREATE TABLE rpt.tlead (tenant text NOT NULL, id int, status text NOT NULL DEFAULT 'new', contact_id int,
						company_id int, created_on date, PRIMARY KEY (tenant, id));
CREATE TABLE rpt.tdeal (tenant text NOT NULL, id int, phase text, person int, firm int, origin int, funnel text,
						total int, placed_at timestamp, closed_on date, PRIMARY KEY (tenant, id));
INSERT INTO rpt.tlead
SELECT t, g, 'new', CASE WHEN g % 3 = 0 THEN g % 7 + 1 END, NULL, date '2024-01-01' + g * 4
  FROM generate_series(1, 60) g, unnest('{a,b}'::text[]) t;
INSERT INTO rpt.tdeal
SELECT t, g, CASE WHEN g % 3 = 0 THEN 'paid' WHEN g % 5 = 0 THEN 'delivered' ELSE 'open' END,
	   g % 11 + 1, NULL, CASE WHEN g % 4 = 0 THEN g % 60 + 1 END,
	   CASE WHEN g % 2 = 0 THEN 'web' ELSE 'shop' END, g, timestamp '2024-01-01' + g * interval '1 day',
	   date '2024-01-01' + g * 2
  FROM generate_series(1, 150) g, unnest('{a,b}'::text[]) t
 WHERE t = 'a' OR g % 3 <> 1;
SELECT returning_crm.attach_leads('rpt.tlead', tenant_column => 'tenant', date_column => 'created_on',
								  workspace => 'rpt_t');
SELECT returning_crm.attach_orders('rpt.tdeal', contact_column => 'person', company_column => 'firm',
								   stage_column => 'phase', won_values => '{paid,delivered}', lead_column => 'origin',
								   ordered_by => 'placed_at', pipeline_column => 'funnel', amount_column => 'total',
								   tenant_column => 'tenant', column_prefix => 'r_', date_column => 'closed_on',
								   workspace => 'rpt_t');
SELECT relid, date_column, report_view FROM returning_crm.attachment WHERE workspace = 'rpt_t' ORDER BY kind;
SELECT attname FROM pg_attribute WHERE attrelid = 'rpt.tdeal_r_returning_monthly'::regclass AND attnum > 0
 ORDER BY attnum;
CREATE VIEW rpt.tdeal_scratch AS
SELECT tenant, date_trunc('month', closed_on)::date AS month, funnel AS pipeline, count(*) AS orders,
	   count(*) FILTER (WHERE r_returning_state = 'new') AS new_orders,
	   count(*) FILTER (WHERE r_returning_state = 'repeat') AS repeat_orders,
	   count(*) FILTER (WHERE r_returning_state = 'repeated_inquiry') AS repeated_inquiries,
	   sum(total) AS amount,
	   coalesce(sum(total) FILTER (WHERE r_returning_state = 'new'), 0) AS new_amount,
	   coalesce(sum(total) FILTER (WHERE r_returning_state = 'repeat'), 0) AS repeat_amount,
	   coalesce(sum(total) FILTER (WHERE r_returning_state = 'repeated_inquiry'), 0) AS repeated_inquiry_amount,
	   count(*) FILTER (WHERE phase IN ('paid', 'delivered')) AS won_orders,
	   coalesce(sum(total) FILTER (WHERE phase IN ('paid', 'delivered')), 0) AS won_amount,
	   coalesce(sum(total) FILTER (WHERE phase IN ('paid', 'delivered') AND r_returning_state = 'new'), 0)
		   AS won_new_amount,
	   coalesce(sum(total) FILTER (WHERE phase IN ('paid', 'delivered') AND r_returning_state = 'repeat'), 0)
		   AS won_repeat_amount,
	   coalesce(sum(total) FILTER (WHERE phase IN ('paid', 'delivered') AND r_returning_state = 'repeated_inquiry'), 0)
		   AS won_repeated_inquiry_amount
  FROM rpt.tdeal GROUP BY 1, 2, 3;
CREATE VIEW rpt.tlead_scratch AS
SELECT tenant, date_trunc('month', created_on)::date AS month, count(*) AS leads,
	   count(*) FILTER (WHERE is_repeat) AS repeat_leads,
	   round(100.0 * count(*) FILTER (WHERE is_repeat) / count(*), 1) AS repeat_share
  FROM rpt.tlead GROUP BY 1, 2;
SELECT 'orders' AS view, count(*) AS rows_that_differ
  FROM ((TABLE rpt.tdeal_r_returning_monthly EXCEPT TABLE rpt.tdeal_scratch)
		UNION ALL (TABLE rpt.tdeal_scratch EXCEPT TABLE rpt.tdeal_r_returning_monthly)) d
UNION ALL
SELECT 'leads', count(*)
  FROM ((TABLE rpt.tlead_returning_monthly EXCEPT TABLE rpt.tlead_scratch)
		UNION ALL (TABLE rpt.tlead_scratch EXCEPT TABLE rpt.tlead_returning_monthly)) d;
SELECT count(*) AS rows, count(DISTINCT tenant) AS tenants, count(DISTINCT pipeline) AS pipelines,
	   sum(orders) AS orders FROM rpt.tdeal_r_returning_monthly;
SELECT tenant, month, pipeline, orders, new_orders, repeat_orders, repeated_inquiries, won_orders, won_amount
  FROM rpt.tdeal_r_returning_monthly WHERE month = '2024-03-01' ORDER BY tenant, pipeline;

-- rule none (README "Report views"): when no view is created
-- No view: report_views => false; an ordered_by that is no date and no
-- date_column; a date_column that is not a date, or not there.
CREATE TABLE rpt.odeal (id int PRIMARY KEY, stage text, contact_id int, company_id int, created_at timestamptz,
						pos int, label text);
SELECT returning_crm.attach_orders('rpt.odeal', ordered_by => 'created_at', workspace => 'rpt_off',
								   report_views => false);
SELECT relid, date_column, report_views, report_view, to_regclass('rpt.odeal_returning_monthly') AS view
  FROM returning_crm.attachment WHERE workspace = 'rpt_off';
SELECT returning_crm.detach('rpt.odeal');
SELECT returning_crm.attach_orders('rpt.odeal', ordered_by => 'pos', workspace => 'rpt_off');
SELECT relid, date_column, report_view FROM returning_crm.attachment WHERE workspace = 'rpt_off';
SELECT returning_crm.detach('rpt.odeal');
SELECT returning_crm.attach_orders('rpt.odeal', ordered_by => 'pos', date_column => 'label', workspace => 'rpt_off');
\echo :LAST_ERROR_SQLSTATE
SELECT returning_crm.attach_orders('rpt.odeal', date_column => 'nope', workspace => 'rpt_off');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS attached FROM returning_crm.attachment WHERE workspace = 'rpt_off';

-- A long table name is cut, as index names are; an amount that is no
-- number gives no amount columns.
CREATE TABLE rpt.orders_of_the_northern_region_sales_department_year_2024 (
	id int PRIMARY KEY, stage text, contact_id int, company_id int, created_at date, amount text);
SET client_min_messages = notice;
SELECT returning_crm.attach_orders('rpt.orders_of_the_northern_region_sales_department_year_2024',
								   ordered_by => 'created_at', amount_column => 'amount', workspace => 'rpt_long');
SET client_min_messages = warning;
SELECT report_view, (SELECT count(*) FROM pg_attribute WHERE attrelid = report_view AND attnum > 0) AS columns
  FROM returning_crm.attachment WHERE workspace = 'rpt_long';

-- rule none (README "Report views"): an owner that may not create in the
--    table's schema: a NOTICE, no view
-- The owner may not create in the table's schema: a notice, no view.
-- (Attaching creates indexes, which needs that right too, but a leads
-- table attached again finds its index of repeat leads still there, and its
-- own indexes on the client columns serve routing.)
CREATE ROLE regress_rpt_owner;
CREATE SCHEMA rpt_locked;
GRANT USAGE, CREATE ON SCHEMA rpt_locked TO regress_rpt_owner;
SET ROLE regress_rpt_owner;
CREATE TABLE rpt_locked.lead (id int PRIMARY KEY, status text, contact_id int, company_id int, created_at timestamptz);
CREATE INDEX ON rpt_locked.lead (contact_id);
CREATE INDEX ON rpt_locked.lead (company_id);
SELECT returning_crm.attach_leads('rpt_locked.lead', workspace => 'rpt_locked');
SELECT returning_crm.detach('rpt_locked.lead');
RESET ROLE;
REVOKE CREATE ON SCHEMA rpt_locked FROM regress_rpt_owner;
SET client_min_messages = notice;
SET ROLE regress_rpt_owner;
SELECT returning_crm.attach_leads('rpt_locked.lead', date_column => 'created_at', workspace => 'rpt_locked');
RESET ROLE;
SET client_min_messages = warning;
SELECT relid, date_column, report_view FROM returning_crm.attachment WHERE workspace = 'rpt_locked';
-- with the right, detach and attach again: the view, the owner's
GRANT CREATE ON SCHEMA rpt_locked TO regress_rpt_owner;
SET ROLE regress_rpt_owner;
SELECT returning_crm.detach('rpt_locked.lead');
SELECT returning_crm.attach_leads('rpt_locked.lead', date_column => 'created_at', workspace => 'rpt_locked');
RESET ROLE;
SELECT c.oid::regclass, c.relowner::regrole FROM pg_class c
 WHERE c.oid = (SELECT report_view FROM returning_crm.attachment WHERE workspace = 'rpt_locked');

-- rule none (README "Report views"): security_invoker: a reader needs SELECT
--    on the table
-- A reader needs SELECT on the table, and sees what row-level security
-- lets it see; status lists only the tables it may read.
CREATE ROLE regress_rpt_reader;
GRANT USAGE ON SCHEMA rpt TO regress_rpt_reader;
SET ROLE regress_rpt_reader;
SELECT count(*) FROM rpt.deal_returning_monthly;
\echo :LAST_ERROR_SQLSTATE
SELECT table_name FROM returning_crm.status;
RESET ROLE;
GRANT SELECT ON rpt.deal TO regress_rpt_reader;
ALTER TABLE rpt.deal ENABLE ROW LEVEL SECURITY;
CREATE POLICY pipeline_one ON rpt.deal FOR SELECT TO regress_rpt_reader USING (pipeline_id = 1);
SET ROLE regress_rpt_reader;
SELECT sum(orders) AS orders, array_agg(DISTINCT pipeline) AS pipelines FROM rpt.deal_returning_monthly;
SELECT table_name, rows_by_state FROM returning_crm.status;
RESET ROLE;
SELECT count(*) AS pipeline_one_orders FROM rpt.deal WHERE pipeline_id = 1;
ALTER TABLE rpt.deal DISABLE ROW LEVEL SECURITY;
DROP POLICY pipeline_one ON rpt.deal;

-- rule none (README "Status"): returning_crm.status
-- status: triggers, rows by state, reclassify.
SELECT workspace, table_name, kind, triggers_enabled, rows_by_state, rows_exact,
	   attached_at IS NOT NULL AS attached, last_reclassified_at, last_reclassify_changed
  FROM returning_crm.status ORDER BY workspace, kind;
CREATE VIEW rpt.deal_counted AS
SELECT jsonb_build_object('new', count(*) FILTER (WHERE returning_state = 'new'),
						  'repeat', count(*) FILTER (WHERE returning_state = 'repeat'),
						  'repeated_inquiry', count(*) FILTER (WHERE returning_state = 'repeated_inquiry'))
	   || CASE WHEN count(*) FILTER (WHERE returning_state IS NULL) > 0
			   THEN jsonb_build_object('unclassified', count(*) FILTER (WHERE returning_state IS NULL))
			   ELSE '{}' END AS counted
  FROM rpt.deal;
SELECT s.rows_by_state = c.counted AS same FROM returning_crm.status s, rpt.deal_counted c
 WHERE s.table_name = 'rpt.deal'::regclass;
-- With the triggers off the states go stale: a new row has none.
ALTER TABLE rpt.deal DISABLE TRIGGER USER;
INSERT INTO rpt.deal (id, stage, created_at) VALUES (500, 'new', '2024-06-15');
SELECT triggers_enabled, rows_by_state, s.rows_by_state = c.counted AS same
  FROM returning_crm.status s, rpt.deal_counted c WHERE s.table_name = 'rpt.deal'::regclass;
ALTER TABLE rpt.deal ENABLE TRIGGER USER;
ALTER TABLE rpt.deal DISABLE TRIGGER zz_returning_row;
SELECT triggers_enabled FROM returning_crm.status WHERE table_name = 'rpt.deal'::regclass;
ALTER TABLE rpt.deal ENABLE TRIGGER zz_returning_row;
BEGIN;
SELECT returning_crm.reclassify('rpt.deal');
SELECT triggers_enabled, rows_by_state, last_reclassified_at = now() AS reclassified_now, last_reclassify_changed
  FROM returning_crm.status WHERE table_name = 'rpt.deal'::regclass;
COMMIT;
SELECT returning_crm.reclassify('rpt.deal');
SELECT last_reclassify_changed FROM returning_crm.status WHERE table_name = 'rpt.deal'::regclass;
-- Above returning_crm.status_exact_max_rows estimated rows, estimated
-- from a sample scaled to the estimate (here the whole table: small).
SET returning_crm.status_exact_max_rows = 100;
ANALYZE rpt.deal;
SELECT rows_exact, s.rows_by_state = c.counted AS same FROM returning_crm.status s, rpt.deal_counted c
 WHERE s.table_name = 'rpt.deal'::regclass;
SET returning_crm.status_exact_max_rows = 'many';
SELECT count(*) FROM returning_crm.status;
\echo :LAST_ERROR_SQLSTATE
RESET returning_crm.status_exact_max_rows;
SELECT table_name, rows_exact FROM returning_crm.status WHERE table_name = 'rpt.deal'::regclass;

-- rule none (README "Progress of attach and reclassify"): progress notices and
--    pg_stat_activity
-- Progress notices on a table above returning_crm.progress_min_rows
-- estimated rows (default 1,000,000; lowered here).  The time of each
-- phase is in the DETAIL, which terse verbosity hides.
CREATE TABLE rpt.plead (id int PRIMARY KEY, status text, contact_id int, company_id int);
CREATE TABLE rpt.pdeal (id int PRIMARY KEY, stage text, contact_id int, company_id int, lead_id int,
						created_at timestamptz, tenant int NOT NULL DEFAULT 1, UNIQUE (tenant, id));
INSERT INTO rpt.plead SELECT g, 'new', CASE WHEN g % 2 = 0 THEN g % 30 END, NULL FROM generate_series(1, 300) g;
INSERT INTO rpt.pdeal SELECT g, CASE WHEN g % 3 = 0 THEN 'won' ELSE 'new' END, g % 40, NULL, g % 300 + 1,
							 timestamptz '2024-01-01' + g * interval '1 hour'
  FROM generate_series(1, 500) g;
ANALYZE rpt.plead, rpt.pdeal;
SET client_min_messages = notice;
\set VERBOSITY terse
SET returning_crm.progress_min_rows = 200;
SELECT returning_crm.attach_leads('rpt.plead', workspace => 'rpt_p');
SELECT returning_crm.attach_orders('rpt.pdeal', lead_column => 'lead_id', ordered_by => 'created_at',
								   workspace => 'rpt_p', report_views => false);
SELECT returning_crm.reclassify('rpt.pdeal');
-- a table of tenants is classified after its columns are added
SELECT returning_crm.detach('rpt.pdeal');
SELECT returning_crm.attach_orders('rpt.pdeal', lead_column => 'lead_id', ordered_by => 'created_at',
								   tenant_column => 'tenant', workspace => 'rpt_p', report_views => false);
-- the smaller leads table says nothing; nor does anything by default
SET returning_crm.progress_min_rows = 400;
SELECT returning_crm.reclassify('rpt.plead');
RESET returning_crm.progress_min_rows;
SELECT returning_crm.reclassify('rpt.pdeal');
SET returning_crm.progress_min_rows = '-1';
SELECT returning_crm.reclassify('rpt.pdeal');
RESET returning_crm.progress_min_rows;
\set VERBOSITY default
SET client_min_messages = warning;
-- Other sessions see the phase that follows in pg_stat_activity.query
-- (read here in the same statement, after the phase was reported), and the
-- statement's own text after the last phase.
SET returning_crm.progress_min_rows = 200;
SELECT returning_crm._progress('rpt.pdeal', 'attach_orders', 'classify', 500, now(), NULL, 'rewrite') IS NOT NULL AS reported,
	   (SELECT regexp_replace(query, 'since .*', 'since ...') FROM pg_stat_activity WHERE pid = pg_backend_pid()) AS activity;
SELECT returning_crm._progress('rpt.pdeal', 'attach_orders', 'rewrite', 500, now(), NULL, 'indexes') IS NOT NULL
	   AND returning_crm._progress('rpt.pdeal', 'attach_orders', 'indexes', 500, now()) IS NOT NULL AS reported,
	   (SELECT query LIKE 'SELECT returning_crm._progress(%' FROM pg_stat_activity WHERE pid = pg_backend_pid()) AS own_text;
RESET returning_crm.progress_min_rows;

-- rule none (README "FAQ"): the report view and ALTER COLUMN TYPE, DROP TABLE
--    and detach
-- The view stands in the way of a column type change and of DROP TABLE
-- (see the FAQ); detach drops it, unless a view of the application's
-- uses it.
ALTER TABLE rpt.deal ALTER COLUMN amount TYPE numeric(14, 2);
\echo :LAST_ERROR_SQLSTATE
DROP TABLE rpt.deal;
\echo :LAST_ERROR_SQLSTATE
CREATE VIEW rpt.on_top AS SELECT month, orders FROM rpt.deal_returning_monthly;
SELECT returning_crm.detach('rpt.deal');
\echo :LAST_ERROR_SQLSTATE
DROP VIEW rpt.on_top;
DROP VIEW rpt.differences, rpt.deal_scratch, rpt.deal_counted;
SELECT returning_crm.detach('rpt.deal');
SELECT to_regclass('rpt.deal_returning_monthly') AS view_after_detach,
	   (SELECT count(*) FROM returning_crm.attachment WHERE relid = 'rpt.deal'::regclass) AS attachments;
ALTER TABLE rpt.deal ALTER COLUMN amount TYPE numeric(14, 2);
SELECT returning_crm.attach_orders('rpt.deal', lead_column => 'lead_id', ordered_by => 'created_at',
								   pipeline_column => 'pipeline_id', amount_column => 'amount');
SELECT report_view, sum(orders) AS orders FROM returning_crm.attachment, rpt.deal_returning_monthly
 WHERE relid = 'rpt.deal'::regclass GROUP BY 1;
-- a view dropped by hand is not looked for
DROP VIEW rpt.deal_returning_monthly;
SELECT returning_crm.detach('rpt.deal');

DROP EXTENSION "returning" CASCADE;
DROP SCHEMA rpt, rpt_locked CASCADE;
DROP OWNED BY regress_rpt_owner, regress_rpt_reader;
DROP ROLE regress_rpt_owner, regress_rpt_reader;
