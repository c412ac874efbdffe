-- Rows of the scenario's first state, for the schema :s (see scenarios.sql).
-- Tenants 1, 2 and 4; the same ids in different tenants are different rows.
INSERT INTO :s.lead (tenant_id, id, contact_id, company_id, email, phone) VALUES
	(1, 11, 1, NULL, 'anna@example.com', '+49 30 901820'),
	(1, 12, NULL, NULL, 'lena@example.com', NULL),
	(2, 11, 1, NULL, NULL, NULL),
	(2, 13, NULL, 5, NULL, NULL),
	(4, 41, 2, NULL, NULL, NULL);
INSERT INTO :s.contact (tenant_id, id, name, email, phone) VALUES
	(1, 1, 'Anna', 'anna@example.com', '+49 30 901820'),
	(1, 2, 'Carl', 'carl@example.com', NULL),
	(2, 3, 'Anna B', 'anna@example.com', NULL),
	(2, 7, 'Dora', 'dora@example.com', NULL),
	(4, 2, 'Eve', 'eve@example.com', NULL);
INSERT INTO :s.company (tenant_id, id, title, email) VALUES
	(1, 5, 'Acme', 'info@acme.example'),
	(2, 5, 'Acme Two', 'info@acme.example');
INSERT INTO :s.deal (tenant_id, id, stage, contact_id, company_id, lead_id, created_at) VALUES
	(4, 1, 'won', 2, NULL, NULL, '2024-01-01'),
	(4, 2, 'new', 2, NULL, 41, '2024-02-01'),
	(4, 3, 'new', NULL, NULL, 41, '2024-03-01');
