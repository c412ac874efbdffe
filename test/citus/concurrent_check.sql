-- Orders whose state differs from the rules, evaluated per tenant.
SELECT count(*) FROM (
	SELECT returning_state,
		CASE WHEN bool_or(stage = 'won') OVER (PARTITION BY tenant_id, contact_id
				ORDER BY created_at, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
			THEN 'repeat' ELSE 'new' END AS expected
	FROM cc.deal
) s WHERE returning_state IS DISTINCT FROM expected;
