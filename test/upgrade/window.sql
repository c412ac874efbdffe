-- The 0.2.0 library under the objects of 0.1.0 (before ALTER EXTENSION
-- UPDATE): writes keep being classified, routed orders included; what
-- 0.1.0 could not do waits for the update.
SELECT extversion FROM pg_extension WHERE extname = 'returning';
SET ROLE upg_app;
-- a won order before the repeat: the later orders of the client change
INSERT INTO crm.deal (contact_id, stage, created_at) VALUES (2, 'won', '2024-01-15');
INSERT INTO crm.deal (contact_id, created_at) VALUES (2, '2024-05-01');
UPDATE crm.deal SET stage = 'lost' WHERE id = 1;
INSERT INTO crm.lead (contact_id) VALUES (2);
-- the client of the routed order wins an earlier order: still a repeated
-- inquiry (the won order is after it), then one before it: repeat
INSERT INTO crm.shop_order (contact_id, stage, created_at) VALUES (1, 'won', '2030-01-01');
UPDATE crm.shop_order SET stage = 'new' WHERE id = 2;
SELECT returning_crm.is_excluded('office@example.com', NULL) AS excluded;
SELECT * FROM returning_crm.find_matches('ann@example.com', NULL);
SELECT decision FROM returning_crm.route_inquiry(email => 'ann@example.com');
RESET ROLE;
SELECT id, stage, contact_id, lead_id, returning_state FROM crm.deal ORDER BY id;
SELECT id, status, returning_state FROM crm.lead ORDER BY id;
SELECT id, stage, returning_state FROM crm.shop_order ORDER BY id;
