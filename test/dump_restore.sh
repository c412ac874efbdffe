#!/usr/bin/env bash
# pg_dump and restore of a database with attachments: the configuration,
# the states and working triggers come back.  Runs inside test/run.sh's
# cluster (PGHOST/PGPORT/PGUSER set).
set -euo pipefail

export PGOPTIONS="-c client_min_messages=warning"
psql=(psql -X -q -v ON_ERROR_STOP=1)
src=returning_dump_src
dst=returning_dump_dst
dump=$(mktemp /tmp/returning-dump.XXXXXX)
trap 'rm -f "$dump"' EXIT

for db in $src $dst; do
	"${psql[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
done

"${psql[@]}" -d $src >/dev/null <<'SQL'
CREATE EXTENSION "returning";
CREATE SCHEMA crm;
CREATE TABLE crm.lead (id serial PRIMARY KEY, status text NOT NULL DEFAULT 'new', contact_id int, company_id int);
CREATE TABLE crm.deal (id serial PRIMARY KEY, stage text NOT NULL DEFAULT 'new', contact_id int, company_id int,
					   lead_id int, created_at timestamptz NOT NULL DEFAULT now(), note text);
SELECT returning_crm.attach_leads('crm.lead');
SELECT returning_crm.attach_orders('crm.deal', lead_column => 'lead_id', ordered_by => 'created_at',
								   column_prefix => 'r_');
INSERT INTO crm.lead (contact_id) SELECT CASE WHEN g % 2 = 0 THEN g % 50 END FROM generate_series(1, 200) g;
INSERT INTO crm.deal (stage, contact_id, company_id, lead_id, created_at)
SELECT CASE WHEN g % 4 = 0 THEN 'won' ELSE 'new' END, g % 50, CASE WHEN g % 7 = 0 THEN g % 5 END,
	   CASE WHEN g % 3 = 0 THEN g % 200 + 1 END, timestamptz '2024-01-01' + g * interval '1 hour'
  FROM generate_series(1, 1000) g;
SELECT returning_crm.add_rule('crm.deal', 'repeat', '{"note": "returning"}', 'note repeat orders');
SELECT returning_crm.configure(log_changes => true);
INSERT INTO crm.deal (stage, contact_id, created_at) VALUES ('new', 2, '2030-01-01');
SQL

pg_dump -Fc -d $src -f "$dump"
pg_restore --exit-on-error -d $dst "$dump"

# Same attachments, same states, triggers that work; the report view of
# the orders (ordered_by is a date) with the same rows, options and comments.
check=$(cat <<'SQL'
SELECT (SELECT string_agg(format('%s:%s:%s:%s', relid, kind, column_prefix, report_view), ',' ORDER BY kind)
		  FROM returning_crm.attachment) AS attachments,
	   (SELECT md5(string_agg(id || ':' || returning_state, ',' ORDER BY id)) FROM crm.lead) AS leads,
	   (SELECT md5(string_agg(id || ':' || r_returning_state, ',' ORDER BY id)) FROM crm.deal) AS deals,
	   (SELECT count(*) FROM pg_trigger WHERE tgrelid IN ('crm.lead'::regclass, 'crm.deal'::regclass)
										  AND NOT tgisinternal) AS triggers,
	   (SELECT format('%s rows, md5 %s', count(*), md5(string_agg(v::text, ',' ORDER BY v::text)))
		  FROM crm.deal_r_returning_monthly v) AS report,
	   (SELECT format('%s, %s comments', c.reloptions, count(d.*)) FROM pg_class c
		  LEFT JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass
		 WHERE c.oid = 'crm.deal_r_returning_monthly'::regclass GROUP BY c.reloptions) AS report_view,
	   (SELECT string_agg(format('%s:%s:%s:%s', id, relid, state, set_values), ',' ORDER BY id)
		  FROM returning_crm.rule) AS rules,
	   (SELECT string_agg(format('%s:%s:%s', row_id, old_state, new_state), ',' ORDER BY id)
		  FROM returning_crm.state_change) AS change_log,
	   (SELECT log_changes FROM returning_crm.workspace_settings WHERE workspace = 'default') AS log_changes
SQL
)
before=$("${psql[@]}" -At -d $src -c "$check")
after=$("${psql[@]}" -At -d $dst -c "$check")
echo "source:   $before"
echo "restored: $after"
[[ $before == "$after" ]] || { echo "dump and restore changed the attachments, states or report view"; exit 1; }

# The restored triggers classify: a won order before the others turns them
# repeat; the restored rule fires on a new repeat order; the identity of
# the rules continues after the restored ones.
result=$("${psql[@]}" -At -d $dst <<'SQL'
SELECT count(*) FILTER (WHERE note IS DISTINCT FROM 'returning') FROM crm.deal WHERE id = (SELECT max(id) FROM crm.deal);
SELECT returning_crm.add_rule('crm.deal', 'new', '{"note": "first"}') > 1;
INSERT INTO crm.deal (stage, contact_id, created_at) VALUES ('won', 1, '2000-01-01');
SELECT count(*) FILTER (WHERE r_returning_state IS DISTINCT FROM 'repeat')
  FROM crm.deal WHERE contact_id = 1 AND coalesce(company_id, 0) = 0 AND created_at > '2000-01-01';
SELECT returning_crm.reclassify('crm.deal');
SQL
)
echo "restored triggers: non-repeat later orders of contact 1, rows fixed by reclassify: $(echo $result | tr '\n' ' ')"
[[ $result == $'0\nt\n0\n0' ]] || { echo "restored triggers do not keep the states"; exit 1; }

for db in $src $dst; do
	"${psql[@]}" -d postgres -c "DROP DATABASE $db"
done
echo "dump and restore: ok"
