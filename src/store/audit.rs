//! The audit log: every change to a case, an institution, a reviewer or the records, with who
//! made it, when, and the record before and after. Written in the change's own transaction.
//!
//! The log is append-only (triggers refuse UPDATE and DELETE) and hash-chained, so that an
//! edit made behind the software's back — with the triggers dropped in a raw connection — is
//! found by `pingshen audit verify`. Each row carries `prev_hash`, the `hash` of the row before
//! it (NULL for the first row), and its own `hash`:
//!
//! ```text
//! hash = lowercase hex of SHA-256( F(prev_hash) F(id) F(at) F(account) F(action) F(entity)
//!                                  F(entity_id) F(before) F(after) )
//! F(NULL)  = the single byte 0x00
//! F(value) = the byte 0x01, the length of the value's UTF-8 bytes as an unsigned 64-bit
//!            big-endian integer, then those bytes
//! ```
//!
//! `id` is written in ASCII decimal, `prev_hash` as stored (64 lowercase hex digits), the text
//! columns as stored. The length prefix keeps field boundaries unambiguous ("ab","c" and
//! "a","bc" hash differently) and the 0x00/0x01 tag tells NULL from the empty string.
//!
//! What the chain proves, and what not: a change to any field of a row, or a row removed from
//! the middle, breaks it. Someone able to rewrite the file could recompute every hash after
//! their edit, or cut off the newest rows; `audit verify` therefore prints the head (last id
//! and hash), which an office can note down or compare with a backup.

use anyhow::{Context as _, Result};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub struct Entry<'a> {
    pub account: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub before: Option<&'a Value>,
    pub after: Option<&'a Value>,
}

/// Appends an entry, chained to the newest row. Inside the caller's transaction when there is
/// one (the change and its entry commit together); otherwise in a transaction of its own.
pub fn record(conn: &Connection, e: Entry<'_>) -> Result<()> {
    if conn.is_autocommit() {
        // IMMEDIATE: the newest row read below must still be the newest when this one is
        // written, or two writers would chain to the same predecessor.
        let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
        append(&tx, &e)?;
        tx.commit()?;
        Ok(())
    } else {
        // The caller's transaction has written before (every caller changes a record first),
        // so it holds the write lock and nobody can append between the read and the insert.
        // Were it a read-only deferred transaction, SQLite would refuse the insert as stale
        // (SQLITE_BUSY_SNAPSHOT) rather than let the chain fork.
        append(conn, &e)
    }
}

fn append(conn: &Connection, e: &Entry<'_>) -> Result<()> {
    let last: Option<(i64, Option<String>)> = conn
        .query_row(
            "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    // The id is given, not left to SQLite, so that it is the one the hash covers.
    let (id, prev) = match last {
        Some((id, hash)) => (id + 1, hash),
        None => (1, None),
    };
    let at = super::now();
    let before = e.before.map(Value::to_string);
    let after = e.after.map(Value::to_string);
    let fields = Fields {
        prev_hash: prev.as_deref(),
        id,
        at: &at,
        account: e.account,
        action: e.action,
        entity: e.entity,
        entity_id: e.entity_id,
        before: before.as_deref(),
        after: after.as_deref(),
    };
    let hash = fields.hash();
    conn.execute(
        "INSERT INTO audit_log (id, at, account, action, entity, entity_id, before, after,
                                prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            id,
            at,
            e.account,
            e.action,
            e.entity,
            e.entity_id,
            before,
            after,
            prev,
            hash
        ],
    )?;
    Ok(())
}

/// The hashed fields of one row, in the order of the canonical form (see the module comment).
pub struct Fields<'a> {
    pub prev_hash: Option<&'a str>,
    pub id: i64,
    pub at: &'a str,
    pub account: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
}

impl Fields<'_> {
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        let id = self.id.to_string();
        for f in [
            self.prev_hash,
            Some(id.as_str()),
            Some(self.at),
            Some(self.account),
            Some(self.action),
            Some(self.entity),
            Some(self.entity_id),
            self.before,
            self.after,
        ] {
            match f {
                None => h.update([0u8]),
                Some(s) => {
                    h.update([1u8]);
                    h.update((s.len() as u64).to_be_bytes());
                    h.update(s.as_bytes());
                }
            }
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The append-only trigger of migration 001, which migration 006 drops to chain the existing
/// rows and `chain_existing` puts back.
const NO_UPDATE_TRIGGER: &str = "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;";

/// Migration 006's hook: SQL has no SHA-256, so the rows written before the chain existed are
/// chained here, in id order, in the migration's transaction (all or nothing).
pub fn chain_existing(tx: &Transaction) -> rusqlite_migration::HookResult {
    let rows: Vec<Row> = tx
        .prepare(
            "SELECT id, at, account, action, entity, entity_id, before, after
             FROM audit_log ORDER BY id",
        )?
        .query_map([], |r| {
            Ok(Row {
                id: r.get(0)?,
                at: r.get(1)?,
                account: r.get(2)?,
                action: r.get(3)?,
                entity: r.get(4)?,
                entity_id: r.get(5)?,
                before: r.get(6)?,
                after: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut update = tx.prepare("UPDATE audit_log SET prev_hash = ?2, hash = ?3 WHERE id = ?1")?;
    let mut prev: Option<String> = None;
    for row in &rows {
        let hash = Fields {
            prev_hash: prev.as_deref(),
            id: row.id,
            at: &row.at,
            account: &row.account,
            action: &row.action,
            entity: &row.entity,
            entity_id: &row.entity_id,
            before: row.before.as_deref(),
            after: row.after.as_deref(),
        }
        .hash();
        update.execute(params![row.id, prev, hash])?;
        prev = Some(hash);
    }
    tx.execute_batch(NO_UPDATE_TRIGGER)?;
    Ok(())
}

/// The outcome of `verify`: the rows checked and the head of the chain, or the first break.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub count: u64,
    /// The newest row's id and hash, when the log is not empty.
    pub head: Option<(i64, String)>,
    pub broken: Option<Broken>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub id: i64,
    pub what: String,
}

/// Walks the whole log in id order, recomputing every hash and link. One SELECT: in WAL it
/// reads one consistent snapshot while reviewers keep writing.
pub fn verify(conn: &Connection) -> Result<Verification> {
    let mut st = conn
        .prepare(
            "SELECT id, at, account, action, entity, entity_id, before, after, prev_hash, hash
             FROM audit_log ORDER BY id",
        )
        .context("cannot read the audit log (is the database at the latest version?)")?;
    let mut rows = st.query([])?;
    let mut count = 0u64;
    let mut last: Option<(i64, String)> = None;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let at: String = r.get(1)?;
        let account: String = r.get(2)?;
        let action: String = r.get(3)?;
        let entity: String = r.get(4)?;
        let entity_id: String = r.get(5)?;
        let before: Option<String> = r.get(6)?;
        let after: Option<String> = r.get(7)?;
        let prev_hash: Option<String> = r.get(8)?;
        let hash: Option<String> = r.get(9)?;
        let broken = |what: String| Verification {
            count,
            head: last.clone(),
            broken: Some(Broken { id, what }),
        };
        let expected_id = last.as_ref().map_or(1, |(i, _)| i + 1);
        if id != expected_id {
            return Ok(broken(match &last {
                Some((l, _)) => format!(
                    "ids jump from {l} to {id}: entries {expected_id}..{} were removed",
                    id - 1
                ),
                None => format!(
                    "the log starts at id {id}: entries 1..{} were removed",
                    id - 1
                ),
            }));
        }
        let expected_prev = last.as_ref().map(|(_, h)| h.as_str());
        if prev_hash.as_deref() != expected_prev {
            return Ok(broken(format!(
                "prev_hash is {} but the entry before has hash {}: an entry before it was \
                 changed or removed",
                prev_hash.as_deref().unwrap_or("empty"),
                expected_prev.unwrap_or("(none, this is the first entry)")
            )));
        }
        let Some(hash) = hash else {
            return Ok(broken("the entry has no hash".into()));
        };
        let computed = Fields {
            prev_hash: prev_hash.as_deref(),
            id,
            at: &at,
            account: &account,
            action: &action,
            entity: &entity,
            entity_id: &entity_id,
            before: before.as_deref(),
            after: after.as_deref(),
        }
        .hash();
        if computed != hash {
            return Ok(broken(format!(
                "its contents (at, account, action, entity, entity_id, before or after) do not \
                 match its stored hash: the entry was changed after it was written \
                 (stored {hash}, contents hash to {computed})"
            )));
        }
        count += 1;
        last = Some((id, hash));
    }
    Ok(Verification {
        count,
        head: last,
        broken: None,
    })
}

#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    pub at: String,
    pub account: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

pub fn for_entity(conn: &Connection, entity: &str, entity_id: &str) -> Result<Vec<Row>> {
    let mut st = conn.prepare(
        "SELECT id, at, account, action, entity, entity_id, before, after FROM audit_log
         WHERE entity = ?1 AND entity_id = ?2 ORDER BY id",
    )?;
    let rows = st
        .query_map(params![entity, entity_id], |r| {
            Ok(Row {
                id: r.get(0)?,
                at: r.get(1)?,
                account: r.get(2)?,
                action: r.get(3)?,
                entity: r.get(4)?,
                entity_id: r.get(5)?,
                before: r.get(6)?,
                after: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
