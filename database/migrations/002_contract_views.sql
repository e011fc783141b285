-- The contract between a payments database and Paywatch's exporters: the exporters read only
-- these views. A customer whose tables differ creates views of the same names and columns over
-- their own tables (docs/schema.md) and Paywatch needs nothing else.
CREATE SCHEMA IF NOT EXISTS paywatch;

CREATE VIEW paywatch.branches AS
  SELECT code AS branch, name, region, has_rfid FROM public.branches;

CREATE VIEW paywatch.field_officers AS
  SELECT id AS officer, branch, active FROM public.field_officers;

CREATE VIEW paywatch.branch_daily_targets AS
  SELECT branch, day, target_inr FROM public.branch_daily_targets;

CREATE VIEW paywatch.payments AS
  SELECT id, branch, channel, gateway, status, failure_reason, amount_inr, officer_id AS officer,
         created_at, completed_at
  FROM public.payments;

CREATE VIEW paywatch.field_collections AS
  SELECT id, branch, officer_id AS officer, amount_inr, otp_status, otp_attempts, collected_at, confirmed_at
  FROM public.field_collections;

CREATE VIEW paywatch.lms_postings AS
  SELECT id, branch, status, attempts, enqueued_at, finished_at FROM public.lms_postings;

CREATE VIEW paywatch.rfid_readers AS
  SELECT id AS reader, branch, last_seen_at FROM public.rfid_readers;

CREATE VIEW paywatch.rfid_verifications AS
  SELECT id, branch, reader_id AS reader, result, latency_ms, verified_at FROM public.rfid_verifications;

CREATE VIEW paywatch.reconciliations AS
  SELECT id, branch, business_date, status, expected_inr, counted_inr, due_at, created_at, resolved_at
  FROM public.reconciliations;
