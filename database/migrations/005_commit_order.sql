-- Commit order: every row the exporters count carries `recorded_xid`, the id of the transaction
-- that made it countable (inserted it, or moved it to a terminal state). The exporters read
-- "rows whose transaction was not yet visible in the previous poll's snapshot" by that column
-- (pg_visible_in_snapshot), so a row is counted exactly once however late it commits relative to
-- its business timestamp (a gateway webhook minutes later, a NACH return file the next day, a
-- long transaction). docs/schema.md, "Reading in commit order", is the contract; a database that
-- cannot provide the column is read by time with a safety lag, as before.
--
-- Adding the column is instant (nullable, no rewrite): rows that existed before this migration
-- keep NULL and are counted by every exporter's first poll (the database's totals) as before.

CREATE FUNCTION paywatch_record_xid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- The transaction that makes the row countable, as a 64-bit id (no wraparound).
  NEW.recorded_xid := pg_current_xact_id();
  RETURN NEW;
END
$$;

ALTER TABLE payments ADD COLUMN recorded_xid xid8;
ALTER TABLE payments ALTER COLUMN recorded_xid SET DEFAULT pg_current_xact_id();
CREATE INDEX payments_recorded_xid ON payments (recorded_xid);
-- pending -> success/failed: counted by the transaction that completes it. A terminal row that
-- is updated again keeps its id (it was counted once; a reversal is a row of its own).
CREATE TRIGGER payments_recorded_xid BEFORE UPDATE ON payments FOR EACH ROW
  WHEN (OLD.completed_at IS NULL AND NEW.completed_at IS NOT NULL) EXECUTE FUNCTION paywatch_record_xid();

ALTER TABLE mandate_registrations ADD COLUMN recorded_xid xid8;
ALTER TABLE mandate_registrations ALTER COLUMN recorded_xid SET DEFAULT pg_current_xact_id();
CREATE INDEX mandate_registrations_recorded_xid ON mandate_registrations (recorded_xid);
CREATE TRIGGER mandate_registrations_recorded_xid BEFORE UPDATE ON mandate_registrations FOR EACH ROW
  WHEN (OLD.completed_at IS NULL AND NEW.completed_at IS NOT NULL) EXECUTE FUNCTION paywatch_record_xid();

ALTER TABLE lms_postings ADD COLUMN recorded_xid xid8;
ALTER TABLE lms_postings ALTER COLUMN recorded_xid SET DEFAULT pg_current_xact_id();
CREATE INDEX lms_postings_recorded_xid ON lms_postings (recorded_xid);
CREATE TRIGGER lms_postings_recorded_xid BEFORE UPDATE ON lms_postings FOR EACH ROW
  WHEN (OLD.finished_at IS NULL AND NEW.finished_at IS NOT NULL) EXECUTE FUNCTION paywatch_record_xid();

-- Counted when inserted (collected_at / verified_at are set at insert and never change).
ALTER TABLE field_collections ADD COLUMN recorded_xid xid8;
ALTER TABLE field_collections ALTER COLUMN recorded_xid SET DEFAULT pg_current_xact_id();
CREATE INDEX field_collections_recorded_xid ON field_collections (recorded_xid);

ALTER TABLE rfid_verifications ADD COLUMN recorded_xid xid8;
ALTER TABLE rfid_verifications ALTER COLUMN recorded_xid SET DEFAULT pg_current_xact_id();
CREATE INDEX rfid_verifications_recorded_xid ON rfid_verifications (recorded_xid);

-- The views gain the column (appended: CREATE OR REPLACE VIEW keeps the existing ones).
CREATE OR REPLACE VIEW paywatch.payments AS
  SELECT id, branch, channel, gateway, status, failure_reason, amount_inr, officer_id AS officer,
         created_at, completed_at, recorded_xid
  FROM public.payments;

CREATE OR REPLACE VIEW paywatch.mandate_registrations AS
  SELECT id, branch, channel, status, failure_reason, created_at, completed_at, recorded_xid
  FROM public.mandate_registrations;

CREATE OR REPLACE VIEW paywatch.lms_postings AS
  SELECT id, branch, status, attempts, enqueued_at, finished_at, recorded_xid FROM public.lms_postings;

CREATE OR REPLACE VIEW paywatch.field_collections AS
  SELECT id, branch, officer_id AS officer, amount_inr, otp_status, otp_attempts, collected_at, confirmed_at, recorded_xid
  FROM public.field_collections;

CREATE OR REPLACE VIEW paywatch.rfid_verifications AS
  SELECT id, branch, reader_id AS reader, result, latency_ms, verified_at, recorded_xid FROM public.rfid_verifications;
