-- Exits (articles 13–16), their wrap-up steps, and the history that the catalogue
-- (评价机构目录) as of a date is read from.

-- The first day the institution's last exit took effect: from that day it is no longer in the
-- catalogue. Set when the exit takes effect (an automatic exit when the sweep opens it, a
-- voluntary or ordered exit when it is approved); the status moves on to 'exited' when the
-- exit case closes.
ALTER TABLE institutions ADD COLUMN exited_on TEXT;

-- One row per exit case: what set it going and, for the sweep's cases, the guarantee that one
-- trigger opens one case. `cause`: request (art. 13), lapsed or refused (art. 14), ordered
-- (art. 15). `trigger_on`: valid_to, the refusal date, the request or the order date.
-- `source_case_id`: the refused renewal. `violations`: what the office found (art. 15).
CREATE TABLE exits (
    case_id        INTEGER PRIMARY KEY REFERENCES cases (id),
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    kind           TEXT NOT NULL CHECK (kind IN ('voluntary', 'automatic', 'ordered')),
    cause          TEXT NOT NULL CHECK (cause IN ('request', 'lapsed', 'refused', 'ordered')),
    trigger_on     TEXT,
    source_case_id INTEGER REFERENCES cases (id),
    violations     TEXT,
    opened_by      TEXT NOT NULL CHECK (opened_by IN ('sweep', 'import')),
    created_at     TEXT NOT NULL
) STRICT;
CREATE INDEX exits_institution ON exits (institution_id);
-- Running the sweep twice creates nothing twice.
CREATE UNIQUE INDEX exits_sweep_once ON exits (institution_id, cause, trigger_on)
    WHERE opened_by = 'sweep';
CREATE UNIQUE INDEX exits_source ON exits (source_case_id) WHERE source_case_id IS NOT NULL;

-- Exit cases already in the database.
INSERT INTO exits (case_id, institution_id, kind, cause, trigger_on, opened_by, created_at)
SELECT c.id, c.institution_id, x.kind,
       CASE x.kind
           WHEN 'voluntary' THEN 'request'
           WHEN 'ordered' THEN 'ordered'
           WHEN 'automatic' THEN
               CASE WHEN x.trigger_on IS NULL OR x.trigger_on = x.valid_to THEN 'lapsed'
                    ELSE 'refused' END
       END,
       coalesce(x.trigger_on, CASE x.kind WHEN 'voluntary' THEN x.requested_on
                                          WHEN 'automatic' THEN x.valid_to END),
       'import', c.created_at
FROM cases c
JOIN (SELECT id,
             json_extract(application, '$.exit.kind') AS kind,
             json_extract(application, '$.exit.trigger_on') AS trigger_on,
             json_extract(application, '$.exit.requested_on') AS requested_on,
             json_extract(application, '$.institution.valid_to') AS valid_to
      FROM cases WHERE kind = 'exit' AND json_valid(application)) x ON x.id = c.id
WHERE x.kind IN ('voluntary', 'automatic', 'ordered');

-- The steps on record: the wrap-up (art. 13–15) and art. 16, each with its date and, for the
-- announcement and the termination notice, its document number. Recorded in order (the store
-- refuses a step before its predecessor); a document number is used once.
CREATE TABLE exit_steps (
    case_id INTEGER NOT NULL REFERENCES cases (id),
    step    TEXT NOT NULL CHECK (step IN ('announced', 'certificates_reported', 'files_archived',
                                          'termination_notice', 'ministry_filed',
                                          'website_updated')),
    done_on TEXT NOT NULL,
    number  TEXT,
    note    TEXT,
    account TEXT NOT NULL,
    at      TEXT NOT NULL,
    PRIMARY KEY (case_id, step)
) STRICT;
CREATE UNIQUE INDEX exit_steps_number ON exit_steps (step, number) WHERE number IS NOT NULL;

-- Every recognition period an institution has had, so that the catalogue as of a past date
-- still shows an institution whose period has since been renewed or ended. `ended_on`: the
-- first day it was no longer listed when an exit cut the period short.
CREATE TABLE recognition_periods (
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    valid_from     TEXT NOT NULL,
    valid_to       TEXT NOT NULL,
    ended_on       TEXT,
    PRIMARY KEY (institution_id, valid_from)
) STRICT;

-- The periods before this version: the current ones, and earlier ones from the audit log.
INSERT INTO recognition_periods (institution_id, valid_from, valid_to)
SELECT id, valid_from, valid_to FROM institutions
WHERE valid_from IS NOT NULL AND valid_to IS NOT NULL;

INSERT OR IGNORE INTO recognition_periods (institution_id, valid_from, valid_to)
SELECT i.id, p.valid_from, p.valid_to
FROM (SELECT entity_id,
             json_extract(before, '$.valid_from') AS valid_from,
             json_extract(before, '$.valid_to') AS valid_to
      FROM audit_log
      WHERE entity = 'institution'
        AND action IN ('institution.period', 'institution.update')
        AND json_valid(before)) p
JOIN institutions i ON i.credit_code = p.entity_id
WHERE p.valid_from IS NOT NULL AND p.valid_to IS NOT NULL AND p.valid_from <= p.valid_to
  AND NOT EXISTS (SELECT 1 FROM recognition_periods r
                  WHERE r.institution_id = i.id
                    AND r.valid_from <= p.valid_to AND p.valid_from <= r.valid_to);

-- Institutions that left before this version: the day they left, from their exit case.
UPDATE institutions SET exited_on = (
    SELECT CASE json_extract(c.application, '$.exit.kind')
               WHEN 'voluntary' THEN coalesce(
                   date(json_extract(c.application, '$.exit.intended_end'), '+1 day'),
                   substr(c.decided_at, 1, 10))
               WHEN 'automatic' THEN coalesce(
                   date(coalesce(json_extract(c.application, '$.exit.trigger_on'),
                                 json_extract(c.application, '$.institution.valid_to')), '+1 day'),
                   substr(c.decided_at, 1, 10))
               ELSE substr(c.decided_at, 1, 10)
           END
    FROM cases c
    WHERE c.institution_id = institutions.id AND c.kind = 'exit' AND json_valid(c.application)
      AND c.status IN ('decided', 'closed')
    ORDER BY c.submitted_on DESC, c.id DESC LIMIT 1)
WHERE status IN ('exiting', 'exited');

UPDATE recognition_periods SET ended_on = (
    SELECT i.exited_on FROM institutions i WHERE i.id = recognition_periods.institution_id)
WHERE valid_from = (SELECT i.valid_from FROM institutions i
                    WHERE i.id = recognition_periods.institution_id AND i.exited_on IS NOT NULL);

-- Kept by the database itself, whatever code changes a period: a new period (a renewal, a
-- new selection after an exit) is a new row; a corrected one (the old period, as far as it
-- ran, overlapping the new) replaces the old row.
CREATE TRIGGER institutions_period_insert AFTER INSERT ON institutions
WHEN NEW.valid_from IS NOT NULL AND NEW.valid_to IS NOT NULL
BEGIN
    INSERT OR REPLACE INTO recognition_periods (institution_id, valid_from, valid_to)
    VALUES (NEW.id, NEW.valid_from, NEW.valid_to);
END;

CREATE TRIGGER institutions_period_update AFTER UPDATE OF valid_from, valid_to ON institutions
WHEN NEW.valid_from IS NOT NULL AND NEW.valid_to IS NOT NULL
     AND (OLD.valid_from IS NOT NEW.valid_from OR OLD.valid_to IS NOT NEW.valid_to)
BEGIN
    DELETE FROM recognition_periods
    WHERE institution_id = NEW.id AND valid_from = OLD.valid_from
      AND valid_from <> NEW.valid_from
      AND valid_from <= NEW.valid_to
      AND NEW.valid_from <= coalesce(date(ended_on, '-1 day'), valid_to);
    INSERT INTO recognition_periods (institution_id, valid_from, valid_to)
    VALUES (NEW.id, NEW.valid_from, NEW.valid_to)
    ON CONFLICT (institution_id, valid_from) DO UPDATE SET valid_to = excluded.valid_to;
END;
