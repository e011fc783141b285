-- A payment reaches a terminal status once (docs/schema.md): the exporters count it then, and
-- their first poll after a restart counts the database's totals, so changing a counted payment's
-- status, amount, branch or channel afterwards would make a counter go down at the next restart
-- (Prometheus would read a reset). The reference schema refuses it and says what to do instead;
-- correcting completed_at stays allowed (the row keeps its recorded_xid: counted once).
CREATE FUNCTION paywatch_refuse_terminal_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'payment % is already %: its status, amount, branch and channel are final; record a reversal in payment_reversals instead (docs/schema.md)', OLD.id, OLD.status
    USING ERRCODE = 'check_violation';
END
$$;

CREATE TRIGGER payments_terminal_final BEFORE UPDATE ON payments FOR EACH ROW
  WHEN (OLD.status <> 'pending' AND (NEW.status IS DISTINCT FROM OLD.status OR NEW.amount_inr IS DISTINCT FROM OLD.amount_inr
        OR NEW.branch IS DISTINCT FROM OLD.branch OR NEW.channel IS DISTINCT FROM OLD.channel))
  EXECUTE FUNCTION paywatch_refuse_terminal_change();
