#!/usr/bin/env bash
# Real public CRM data through the extension: the opportunities of a B2B
# sales pipeline (CRM Sales Opportunities, 8,800 deals of 85 accounts) and
# the orders of a SaaS company (SaaS Sales, 5,009 orders of 99 customers,
# Latin-1).  Each is loaded twice: once before attaching (classified by
# attach) and once row by row through the triggers in date order with the
# stages set afterwards; both must equal a from-scratch evaluation of the
# rules.  The files are in ../shared/data beside the checkout; without them
# the test says so and passes.
set -euo pipefail
cd "$(dirname "$0")/../.."

data=${RETURNING_DATASETS:-../shared/data}
opportunities=$data/crm_sales_opportunities.csv
saas=$data/saas_sales.csv
if [[ ! -r $opportunities || ! -r $saas ]]; then
	echo "skipped: the public datasets are not in $data (they are not part of the project)"
	exit 0
fi

db=returning_datasets
export PGOPTIONS="-c client_min_messages=warning"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
status=0
psql -X -q -v ON_ERROR_STOP=1 -d $db <<SQL || status=$?
CREATE EXTENSION "returning";

CREATE TEMP TABLE opp_raw (opportunity_id text, sales_agent text, product text, account text,
	deal_stage text, engage_date date, close_date date, close_value numeric);
\copy opp_raw FROM '$opportunities' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE saas_raw (row_id int, order_id text, order_date text, date_key int,
	contact_name text, country text, city text, region text, subregion text, customer text,
	customer_id int, industry text, segment text, product text, license text, sales numeric,
	quantity int, discount numeric, profit numeric);
\copy saas_raw FROM '$saas' WITH (FORMAT csv, HEADER true, ENCODING 'LATIN1')

-- Opportunities: the account is the client company (none while engaging
-- without one); ordered by engage date; won is "Won".
CREATE TABLE opp (id int PRIMARY KEY, stage text NOT NULL, company_id int, contact_id int,
				  engaged date, amount numeric);
INSERT INTO opp
SELECT row_number() OVER (ORDER BY opportunity_id), deal_stage,
	   CASE WHEN account IS NOT NULL THEN dense_rank() OVER (ORDER BY account) END, NULL,
	   engage_date, close_value
  FROM opp_raw;
SELECT returning_crm.attach_orders('opp', stage_column => 'stage', won_values => '{Won}',
	lost_values => '{Lost}', ordered_by => 'engaged', workspace => 'opportunities') \gset

-- SaaS orders: one order per Order ID, the customer is the client company,
-- every order is won.
CREATE TABLE saas (id int PRIMARY KEY, stage text NOT NULL, company_id int, contact_id int,
				   ordered date, amount numeric);
INSERT INTO saas
SELECT row_number() OVER (ORDER BY order_id), 'won', min(customer_id), NULL,
	   min(to_date(order_date, 'MM/DD/YYYY')), sum(sales)
  FROM saas_raw GROUP BY order_id;
SELECT returning_crm.attach_orders('saas', ordered_by => 'ordered', workspace => 'saas') \gset

-- The same data again, inserted one row at a time in date order, open; then
-- the stages set, as a CRM would.
CREATE TABLE opp_live (id int PRIMARY KEY, stage text NOT NULL, company_id int, contact_id int,
					   engaged date, amount numeric);
SELECT returning_crm.attach_orders('opp_live', stage_column => 'stage', won_values => '{Won}',
	lost_values => '{Lost}', ordered_by => 'engaged', workspace => 'opportunities_live') \gset
DO \$\$
DECLARE r record;
BEGIN
	FOR r IN SELECT * FROM opp ORDER BY engaged NULLS LAST, id LOOP
		INSERT INTO opp_live (id, stage, company_id, contact_id, engaged, amount)
		VALUES (r.id, 'Prospecting', r.company_id, r.contact_id, r.engaged, r.amount);
	END LOOP;
	FOR r IN SELECT id, stage FROM opp WHERE stage <> 'Prospecting' ORDER BY id DESC LOOP
		UPDATE opp_live SET stage = r.stage WHERE id = r.id;
	END LOOP;
END
\$\$;

CREATE FUNCTION expected(t regclass, won text, ob text) RETURNS TABLE (id int, state text)
LANGUAGE plpgsql AS \$f\$
BEGIN
	RETURN QUERY EXECUTE format(\$q\$
		SELECT id, CASE WHEN coalesce(company_id, 0) = 0 AND coalesce(contact_id, 0) = 0 THEN 'new'
						WHEN count(*) FILTER (WHERE stage = %L) OVER (
							PARTITION BY CASE WHEN coalesce(company_id, 0) <> 0 THEN 'o' || company_id
											  ELSE 'c' || contact_id END
							ORDER BY %I NULLS LAST, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) > 0
						THEN 'repeat' ELSE 'new' END
		  FROM %s\$q\$, won, ob, t);
END
\$f\$;

CREATE TEMP TABLE result AS
SELECT 'CRM Sales Opportunities, attached' AS data, count(*) AS orders,
	   count(*) FILTER (WHERE o.returning_state = 'repeat') AS repeat,
	   count(*) FILTER (WHERE o.returning_state IS DISTINCT FROM e.state) AS mismatches
  FROM opp o JOIN expected('opp', 'Won', 'engaged') e USING (id)
UNION ALL
SELECT 'CRM Sales Opportunities, live', count(*),
	   count(*) FILTER (WHERE o.returning_state = 'repeat'),
	   count(*) FILTER (WHERE o.returning_state IS DISTINCT FROM e.state)
  FROM opp_live o JOIN expected('opp_live', 'Won', 'engaged') e USING (id)
UNION ALL
SELECT 'SaaS Sales, attached', count(*),
	   count(*) FILTER (WHERE o.returning_state = 'repeat'),
	   count(*) FILTER (WHERE o.returning_state IS DISTINCT FROM e.state)
  FROM saas o JOIN expected('saas', 'won', 'ordered') e USING (id);
TABLE result;
DO \$\$
BEGIN
	IF (SELECT sum(mismatches) FROM result) <> 0 OR (SELECT min(orders) FROM result) = 0 THEN
		RAISE EXCEPTION 'states differ from the rules on real data';
	END IF;
END
\$\$;
\echo datasets: states equal the rules on real data
SQL
psql -X -q -d postgres -c "DROP DATABASE $db"
exit $status
