-- Outcomes that change after they were reported are events of their own, never updates of the
-- payment: a success later reversed (a NACH or AutoPay debit returned by the bank, a chargeback,
-- a gateway's reversal, a refund). payments_total stays "as first reported"; the settled success
-- rate subtracts these (docs/schema.md, "Outcomes that change after counting").
CREATE TABLE payment_reversals (
  id           bigserial PRIMARY KEY,
  payment_id   bigint NOT NULL UNIQUE REFERENCES payments (id),   -- a payment is reversed once
  branch       text NOT NULL REFERENCES branches (code),
  channel      text NOT NULL,
  reason       text NOT NULL CHECK (reason IN ('nach_return', 'autopay_return', 'chargeback', 'gateway_reversal', 'refund')),
  amount_inr   numeric(14, 2) NOT NULL CHECK (amount_inr > 0),
  reversed_at  timestamptz NOT NULL,                             -- when the bank / gateway reversed it
  recorded_xid xid8 DEFAULT pg_current_xact_id()                 -- commit order (005_commit_order.sql)
);
CREATE INDEX payment_reversals_recorded_xid ON payment_reversals (recorded_xid);
CREATE INDEX payment_reversals_reversed_at ON payment_reversals (reversed_at);

CREATE VIEW paywatch.payment_reversals AS
  SELECT id, payment_id, branch, channel, reason, amount_inr, reversed_at, recorded_xid FROM public.payment_reversals;
