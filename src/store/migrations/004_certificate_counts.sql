-- Certificates for speed at province scale (5M records):
--  * a rowid table, so that an import appends instead of inserting into a B-tree ordered by
--    certificate number; the number stays unique through its own index;
--  * the holder's salted SHA-256 cut to its first 16 bytes (128 bits: no two holders of a
--    province meet by chance) rather than 64 hex characters;
--  * counts per institution, day and occupation in `certificate_counts`, kept in the same
--    transaction as each import: renewal windows and monthly series are summed from it
--    instead of counting millions of rows. It replaces the `certificates_window` index.
CREATE TABLE certificates_v4 (
    id               INTEGER PRIMARY KEY,
    certificate_no   TEXT NOT NULL,
    credit_code      TEXT NOT NULL,
    occupation_code  TEXT NOT NULL,
    level            INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
    issued_on        TEXT NOT NULL,
    holder_name      TEXT,
    holder_id_hash   BLOB CHECK (holder_id_hash IS NULL OR length(holder_id_hash) = 16),
    holder_id_masked TEXT,
    import_id        INTEGER NOT NULL REFERENCES imports (id)
) STRICT;

INSERT INTO certificates_v4 (certificate_no, credit_code, occupation_code, level, issued_on,
                             holder_name, holder_id_hash, holder_id_masked, import_id)
SELECT certificate_no, credit_code, occupation_code, level, issued_on,
       holder_name, substr(unhex(holder_id_hash), 1, 16), holder_id_masked, import_id
FROM certificates ORDER BY import_id, issued_on;

DROP TABLE certificates;
ALTER TABLE certificates_v4 RENAME TO certificates;
CREATE UNIQUE INDEX certificates_no ON certificates (certificate_no);

CREATE TABLE certificate_counts (
    credit_code     TEXT NOT NULL,
    issued_on       TEXT NOT NULL,
    occupation_code TEXT NOT NULL,
    n               INTEGER NOT NULL CHECK (n > 0),
    PRIMARY KEY (credit_code, issued_on, occupation_code)
) STRICT, WITHOUT ROWID;

INSERT INTO certificate_counts (credit_code, issued_on, occupation_code, n)
SELECT credit_code, issued_on, occupation_code, count(*)
FROM certificates GROUP BY credit_code, issued_on, occupation_code;
