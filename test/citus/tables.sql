-- The application's tables in schema :s, each with a NOT NULL tenant column
-- and a primary key (tenant_id, id).
CREATE SCHEMA :s;
CREATE TABLE :s.lead (
	tenant_id  int NOT NULL,
	id         bigserial,
	status     text NOT NULL DEFAULT 'new',
	contact_id bigint,
	company_id bigint,
	email      text,
	phone      text,
	PRIMARY KEY (tenant_id, id)
);
CREATE TABLE :s.deal (
	tenant_id  int NOT NULL,
	id         bigserial,
	stage      text NOT NULL DEFAULT 'new',
	contact_id bigint,
	company_id bigint,
	lead_id    bigint,
	created_at timestamptz NOT NULL DEFAULT now(),
	note       text,
	PRIMARY KEY (tenant_id, id)
);
CREATE TABLE :s.contact (
	tenant_id  int NOT NULL,
	id         bigserial,
	company_id bigint,
	name       text,
	email      text,
	phone      text,
	PRIMARY KEY (tenant_id, id)
);
CREATE TABLE :s.company (
	tenant_id  int NOT NULL,
	id         bigserial,
	title      text,
	email      text,
	phone      text,
	PRIMARY KEY (tenant_id, id)
);
