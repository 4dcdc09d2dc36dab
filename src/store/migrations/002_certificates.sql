-- Certificate records for the renewal counts (SPEC section 6). A certificate number is the
-- key, so a number seen twice is stored and counted once. Personal ID numbers are never
-- stored in clear: only a salted SHA-256 and a masked form.
CREATE TABLE imports (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    account    TEXT NOT NULL,
    file       TEXT NOT NULL,
    rows       INTEGER NOT NULL,
    added      INTEGER NOT NULL,
    duplicates INTEGER NOT NULL,
    warnings   INTEGER NOT NULL
) STRICT;

CREATE TABLE certificates (
    certificate_no   TEXT PRIMARY KEY,
    credit_code      TEXT NOT NULL,
    occupation_code  TEXT NOT NULL,
    level            INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
    issued_on        TEXT NOT NULL,
    holder_name      TEXT,
    holder_id_hash   TEXT,
    holder_id_masked TEXT,
    import_id        INTEGER NOT NULL REFERENCES imports (id)
) STRICT, WITHOUT ROWID;

-- Counting an institution's certificates in its window reads only this index.
CREATE INDEX certificates_window ON certificates (credit_code, issued_on, occupation_code);
