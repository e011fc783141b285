-- Reference schema of what the payments engine records. A customer with their own tables does not
-- need these: they map their tables onto the views in 002 (docs/schema.md is that contract).

CREATE TABLE branches (
  code        text PRIMARY KEY,              -- e.g. BR0001
  name        text NOT NULL,
  region      text NOT NULL,
  has_rfid    boolean NOT NULL DEFAULT false -- branch verifies people with RFID cards
);

CREATE TABLE field_officers (
  id          text PRIMARY KEY,              -- e.g. BR0001-FO07
  branch      text NOT NULL REFERENCES branches (code),
  name        text NOT NULL,
  active      boolean NOT NULL DEFAULT true
);
CREATE INDEX field_officers_branch ON field_officers (branch);

CREATE TABLE branch_daily_targets (
  branch      text NOT NULL REFERENCES branches (code),
  day         date NOT NULL,                 -- business day in IST
  target_inr  numeric(14, 2) NOT NULL CHECK (target_inr >= 0),
  PRIMARY KEY (branch, day)
);

-- One row per repayment attempt. Terminal rows (success / failed) have completed_at set;
-- completed_at is what exporters read incrementally.
CREATE TABLE payments (
  id              bigserial PRIMARY KEY,
  branch          text NOT NULL REFERENCES branches (code),
  channel         text NOT NULL CHECK (channel IN ('cash', 'upi', 'upi_autopay', 'qr', 'bbps', 'nach', 'card', 'netbanking')),
  gateway         text CHECK (gateway IS NULL OR gateway IN ('gateway_a', 'gateway_b')),
  status          text NOT NULL CHECK (status IN ('pending', 'success', 'failed')),
  failure_reason  text CHECK (failure_reason IS NULL OR failure_reason IN (
                    'insufficient_funds', 'mandate_error', 'gateway_timeout', 'declined',
                    'otp_failed', 'technical_error', 'cancelled')),
  amount_inr      numeric(14, 2) NOT NULL CHECK (amount_inr > 0),
  loan_ref        text NOT NULL,
  officer_id      text REFERENCES field_officers (id),   -- set for cash collected in the field
  created_at      timestamptz NOT NULL DEFAULT now(),
  completed_at    timestamptz,
  CHECK ((status = 'pending') = (completed_at IS NULL)),
  CHECK ((status = 'failed') = (failure_reason IS NOT NULL)),
  CHECK ((channel IN ('card', 'netbanking')) = (gateway IS NOT NULL))
);
CREATE INDEX payments_completed_at ON payments (completed_at) WHERE completed_at IS NOT NULL;
CREATE INDEX payments_pending ON payments (branch, channel) WHERE status = 'pending';

-- Cash collected by a field officer, confirmed by the customer's OTP and later by the branch.
CREATE TABLE field_collections (
  id            bigserial PRIMARY KEY,
  payment_id    bigint REFERENCES payments (id),        -- the cash payment it became, once OTP verified
  branch        text NOT NULL REFERENCES branches (code),
  officer_id    text NOT NULL REFERENCES field_officers (id),
  loan_ref      text NOT NULL,
  amount_inr    numeric(14, 2) NOT NULL CHECK (amount_inr > 0),
  otp_status    text NOT NULL CHECK (otp_status IN ('verified', 'failed', 'expired')),
  otp_attempts  integer NOT NULL DEFAULT 1 CHECK (otp_attempts >= 1),
  collected_at  timestamptz NOT NULL,
  confirmed_at  timestamptz                              -- branch confirmed the cash
);
CREATE INDEX field_collections_collected_at ON field_collections (collected_at);
CREATE INDEX field_collections_unconfirmed ON field_collections (officer_id) WHERE otp_status = 'verified' AND confirmed_at IS NULL;

-- Outbox of receipts to post to the Loan Management System. finished_at is set when a posting
-- reaches a terminal state (posted, or failed after its last attempt).
CREATE TABLE lms_postings (
  id           bigserial PRIMARY KEY,
  payment_id   bigint NOT NULL UNIQUE REFERENCES payments (id),
  branch       text NOT NULL REFERENCES branches (code),
  status       text NOT NULL CHECK (status IN ('pending', 'posted', 'failed')),
  attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_error   text,
  enqueued_at  timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  CHECK ((status = 'pending') = (finished_at IS NULL))
);
CREATE INDEX lms_postings_finished_at ON lms_postings (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX lms_postings_pending ON lms_postings (enqueued_at) WHERE status = 'pending';

CREATE TABLE rfid_readers (
  id            text PRIMARY KEY,                       -- e.g. BR0001-R1
  branch        text NOT NULL REFERENCES branches (code),
  last_seen_at  timestamptz                             -- reader heartbeat
);
CREATE INDEX rfid_readers_branch ON rfid_readers (branch);

CREATE TABLE rfid_verifications (
  id           bigserial PRIMARY KEY,
  branch       text NOT NULL REFERENCES branches (code),
  reader_id    text NOT NULL REFERENCES rfid_readers (id),
  result       text NOT NULL CHECK (result IN ('success', 'denied', 'error')),
  latency_ms   integer NOT NULL CHECK (latency_ms >= 0),
  verified_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rfid_verifications_verified_at ON rfid_verifications (verified_at);

-- A branch's daily reconciliation of what it collected against what the books say.
CREATE TABLE reconciliations (
  id             bigserial PRIMARY KEY,
  branch         text NOT NULL REFERENCES branches (code),
  business_date  date NOT NULL,
  status         text NOT NULL CHECK (status IN ('pending', 'matched', 'exception')),
  expected_inr   numeric(14, 2) NOT NULL,
  counted_inr    numeric(14, 2),
  due_at         timestamptz NOT NULL,                  -- overdue when still pending after this
  created_at     timestamptz NOT NULL DEFAULT now(),
  resolved_at    timestamptz,                            -- an exception is open until resolved
  UNIQUE (branch, business_date)
);
CREATE INDEX reconciliations_open ON reconciliations (branch) WHERE resolved_at IS NULL;
