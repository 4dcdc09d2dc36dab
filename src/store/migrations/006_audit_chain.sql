-- Audit hash chain: every row carries the hash of the row before it and its own hash, SHA-256
-- over a canonical form of its fields (defined in src/store/audit.rs), so that an edit made
-- behind the software's back is found by `pingshen audit verify`.
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;

-- SQL has no SHA-256: the migration's hook (audit::chain_existing) chains the existing rows
-- in id order, which needs UPDATE, and then creates this trigger again, exactly as 001 had it,
-- in the same transaction.
DROP TRIGGER audit_log_no_update;

-- A row without its hash would leave a hole in the chain: refused, as any edit is.
CREATE TRIGGER audit_log_needs_hash BEFORE INSERT ON audit_log
WHEN NEW.hash IS NULL
BEGIN
    SELECT RAISE(ABORT, 'an audit entry needs its hash (written by pingshen)');
END;
