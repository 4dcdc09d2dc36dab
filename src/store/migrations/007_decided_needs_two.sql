-- The two-person rule held only when `decided_by` was written: an UPDATE by hand that set a
-- case to 'decided' and left `decided_by` empty went through. A case now becomes decided
-- only with a proposal, who approved it, and that is someone other than who proposed it.
CREATE TRIGGER cases_decided_update BEFORE UPDATE OF status ON cases
WHEN NEW.status = 'decided' AND OLD.status <> 'decided'
 AND (NEW.proposed_by IS NULL OR NEW.decided_by IS NULL OR NEW.decided_by = NEW.proposed_by)
BEGIN
    SELECT RAISE(ABORT, 'two-person rule: a decision needs a proposal and a second reviewer who approves it');
END;
CREATE TRIGGER cases_decided_insert BEFORE INSERT ON cases
WHEN NEW.status = 'decided'
 AND (NEW.proposed_by IS NULL OR NEW.decided_by IS NULL OR NEW.decided_by = NEW.proposed_by)
BEGIN
    SELECT RAISE(ABORT, 'two-person rule: a decision needs a proposal and a second reviewer who approves it');
END;
