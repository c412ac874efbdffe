-- Differential test, partitioned variant (DIFF_PARTITIONED=1): app.orders
-- is partitioned by its ordered_by column, created_at, in three ranges (the
-- positions span 40 days from 2024-01-01, so an UPDATE of created_at moves
-- rows between partitions) and a default partition for NULL positions.
-- The unique index on the id includes the partition key.

\set ON_ERROR_STOP 1
DROP TABLE app.orders;
CREATE TABLE app.orders (
	id         bigint NOT NULL DEFAULT nextval('app.orders_id_seq'),
	contact_id integer,
	company_id integer,
	stage      text NOT NULL DEFAULT 'open',
	lead_id    integer,
	created_at timestamptz,
	amount     numeric NOT NULL DEFAULT 0 CHECK (amount >= 0)
) PARTITION BY RANGE (created_at);
CREATE TABLE app.orders_early PARTITION OF app.orders FOR VALUES FROM (MINVALUE) TO ('2024-01-14');
CREATE TABLE app.orders_mid PARTITION OF app.orders FOR VALUES FROM ('2024-01-14') TO ('2024-01-27');
CREATE TABLE app.orders_late PARTITION OF app.orders FOR VALUES FROM ('2024-01-27') TO (MAXVALUE);
CREATE TABLE app.orders_none PARTITION OF app.orders DEFAULT;
CREATE UNIQUE INDEX orders_id_key ON app.orders (id, created_at);
