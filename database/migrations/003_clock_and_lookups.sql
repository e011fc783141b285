-- What "now" means to the exporters: "today" for targets, "overdue" for reconciliations, the age
-- of the oldest pending posting, and the upper edge of incremental reads. A real payments database
-- answers now(); a simulation running faster than real time replaces this view with its
-- simulated clock (simulator/src/store.ts), so both read the same way.
CREATE VIEW paywatch.clock AS SELECT now() AS now;

-- The customer portal looks loans up by reference; the payments engine answers from here.
CREATE INDEX payments_loan_ref ON payments (loan_ref, created_at);
