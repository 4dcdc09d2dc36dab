-- The review desk (SPEC section 7): a note on the case, reviewers' private drafts, the
-- two-person rule in the schema itself, and indexes for the queue.
ALTER TABLE cases ADD COLUMN note TEXT;

-- What a reviewer is typing, saved as they type so that a dropped SSH link loses nothing.
-- Private to its author and not part of the record, so neither versioned nor audited.
-- `target` is '' for the case note, else 'ITEM_ID|OCCUPATION' (occupation '' when none).
CREATE TABLE drafts (
    account    TEXT NOT NULL,
    case_id    INTEGER NOT NULL REFERENCES cases (id),
    target     TEXT NOT NULL,
    text       TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (account, case_id, target)
) STRICT;

-- A decision is proposed by one reviewer and approved by another: refused here too, so that
-- no code path (nor a direct UPDATE through the app's connection) can get round it.
CREATE TRIGGER cases_two_person_update BEFORE UPDATE OF decided_by, proposed_by ON cases
WHEN NEW.decided_by IS NOT NULL AND NEW.decided_by = NEW.proposed_by
BEGIN
    SELECT RAISE(ABORT, 'two-person rule: the reviewer who proposed a decision cannot approve it');
END;
CREATE TRIGGER cases_two_person_insert BEFORE INSERT ON cases
WHEN NEW.decided_by IS NOT NULL AND NEW.decided_by = NEW.proposed_by
BEGIN
    SELECT RAISE(ABORT, 'two-person rule: the reviewer who proposed a decision cannot approve it');
END;

-- The queue: oldest first over every status; a region's cases, in order and with the columns
-- the filters read, without visiting the rows; one's own cases; the earliest open deadline.
CREATE INDEX cases_submitted ON cases (submitted_on, id);
CREATE INDEX cases_region_queue ON cases (region, submitted_on, status, kind, assigned_to);
CREATE INDEX cases_assigned ON cases (assigned_to, status);
CREATE INDEX deadlines_open ON deadlines (case_id, due) WHERE done_on IS NULL;
