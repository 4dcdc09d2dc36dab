-- Core tables: reviewers, institutions, cases, checklist results and the audit log.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE reviewers (
    account    TEXT PRIMARY KEY,
    role       TEXT NOT NULL CHECK (role IN ('reviewer', 'approver', 'admin')),
    region     TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE institutions (
    id                   INTEGER PRIMARY KEY,
    credit_code          TEXT NOT NULL UNIQUE,
    name                 TEXT NOT NULL,
    category             TEXT NOT NULL CHECK (category IN ('employer', 'school', 'social_org')),
    legal_form           TEXT,
    region               TEXT NOT NULL,
    legal_representative TEXT,
    enterprise_class     TEXT NOT NULL DEFAULT '[]',
    guizhou_featured     INTEGER NOT NULL DEFAULT 0,
    valid_from           TEXT,
    valid_to             TEXT,
    status               TEXT NOT NULL DEFAULT 'applicant'
        CHECK (status IN ('applicant', 'active', 'exiting', 'exited', 'refused')),
    updated_at           TEXT NOT NULL
) STRICT;
CREATE INDEX institutions_region ON institutions (region);

-- The occupations an institution is recognised for (granted), or applies for.
CREATE TABLE institution_occupations (
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    code           TEXT NOT NULL,
    name           TEXT NOT NULL,
    levels         TEXT NOT NULL,
    PRIMARY KEY (institution_id, code)
) STRICT;

CREATE TABLE cases (
    id             INTEGER PRIMARY KEY,
    case_no        TEXT NOT NULL UNIQUE,
    kind           TEXT NOT NULL CHECK (kind IN ('selection', 'renewal', 'exit')),
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    region         TEXT NOT NULL,
    submitted_on   TEXT NOT NULL,
    status         TEXT NOT NULL
        CHECK (status IN ('new', 'in_review', 'supplement', 'proposed', 'decided', 'closed')),
    outcome        TEXT NOT NULL
        CHECK (outcome IN ('excluded', 'ineligible', 'needs_review', 'eligible')),
    rules_version  TEXT NOT NULL,
    application    TEXT NOT NULL,
    assigned_to    TEXT REFERENCES reviewers (account),
    proposal       TEXT,
    proposed_by    TEXT,
    proposed_at    TEXT,
    decision       TEXT,
    decided_by     TEXT,
    decided_at     TEXT,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
) STRICT;
CREATE INDEX cases_status ON cases (status, submitted_on);
CREATE INDEX cases_region ON cases (region, status);
CREATE INDEX cases_institution ON cases (institution_id);

CREATE TABLE case_occupations (
    case_id INTEGER NOT NULL REFERENCES cases (id),
    code    TEXT NOT NULL,
    name    TEXT NOT NULL,
    levels  TEXT NOT NULL,
    PRIMARY KEY (case_id, code)
) STRICT;

-- One row per checklist item (and per occupation for per-occupation items). `occupation` is
-- '' for an institution-level item so that the primary key stays simple.
CREATE TABLE checklist (
    case_id         INTEGER NOT NULL REFERENCES cases (id),
    item_id         TEXT NOT NULL,
    occupation      TEXT NOT NULL DEFAULT '',
    seq             INTEGER NOT NULL,
    auto_result     TEXT NOT NULL CHECK (auto_result IN ('pass', 'fail', 'review', 'n/a')),
    detail_zh       TEXT NOT NULL,
    detail_en       TEXT NOT NULL,
    mark            TEXT CHECK (mark IN ('pass', 'fail', 'supplement')),
    override_reason TEXT,
    note            TEXT,
    marked_by       TEXT,
    marked_at       TEXT,
    PRIMARY KEY (case_id, item_id, occupation)
) STRICT;

CREATE TABLE deadlines (
    case_id       INTEGER NOT NULL REFERENCES cases (id),
    item          TEXT NOT NULL,
    due           TEXT NOT NULL,
    detail_zh     TEXT NOT NULL,
    detail_en     TEXT NOT NULL,
    unknown_years TEXT NOT NULL DEFAULT '[]',
    done_on       TEXT,
    PRIMARY KEY (case_id, item)
) STRICT;
CREATE INDEX deadlines_due ON deadlines (due);

-- Who did what, when, with the record before and after. Append-only: the triggers refuse
-- any edit, so the software offers no way to rewrite history.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    account   TEXT NOT NULL,
    action    TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before    TEXT,
    after     TEXT
) STRICT;
CREATE INDEX audit_entity ON audit_log (entity, entity_id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
