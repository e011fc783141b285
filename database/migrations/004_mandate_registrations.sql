-- Mandate registrations: a customer authorising the lender to debit their account for each EMI,
-- by UPI AutoPay (approved in the customer's UPI app) or NACH (e-mandate through the sponsor
-- bank). A loan whose mandate fails to register cannot be collected by auto-debit, so the
-- registration success rate is a KPI of its own (requirements: "mandate management").
CREATE TABLE mandate_registrations (
  id              bigserial PRIMARY KEY,
  branch          text NOT NULL REFERENCES branches (code),
  channel         text NOT NULL CHECK (channel IN ('upi_autopay', 'nach')),
  status          text NOT NULL CHECK (status IN ('pending', 'success', 'failed')),
  failure_reason  text CHECK (failure_reason IS NULL OR failure_reason IN (
                    'rejected_by_bank', 'invalid_details', 'customer_abandoned', 'technical_error')),
  loan_ref        text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  completed_at    timestamptz,                           -- the bank's or NPCI's final answer
  CHECK ((status = 'pending') = (completed_at IS NULL)),
  CHECK ((status = 'failed') = (failure_reason IS NOT NULL))
);
CREATE INDEX mandate_registrations_completed_at ON mandate_registrations (completed_at) WHERE completed_at IS NOT NULL;

CREATE VIEW paywatch.mandate_registrations AS
  SELECT id, branch, channel, status, failure_reason, created_at, completed_at
  FROM public.mandate_registrations;
