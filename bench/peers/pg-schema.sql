-- Schema of the PostgreSQL peer (bench/compare-peers.sh): one table of cases whose
-- sensitive columns hold pgcrypto ciphertext, and an append-only audit table.
-- Synthetic data only.
CREATE EXTENSION IF NOT EXISTS pgcrypto;

CREATE TABLE cases (
  id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  unit                 text        NOT NULL,
  created_at           timestamptz NOT NULL DEFAULT now(),
  -- pgp_sym_encrypt(value, key) of each sensitive field (OpenPGP, AES-128, SHA-1 MDC)
  name_enc             bytea       NOT NULL,
  nik_enc              bytea       NOT NULL,
  address_enc          bytea       NOT NULL,
  narrative_enc        bytea       NOT NULL,
  perpetrator_name_enc bytea       NOT NULL,
  phone_enc            bytea       NOT NULL
);

CREATE TABLE audit (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at        timestamptz NOT NULL DEFAULT now(),
  actor     text        NOT NULL,
  action    text        NOT NULL,
  case_id   bigint      NOT NULL REFERENCES cases (id),
  prev_hash text        NOT NULL
);
-- A case's audit trail is read by case.
CREATE INDEX audit_case_id ON audit (case_id);
