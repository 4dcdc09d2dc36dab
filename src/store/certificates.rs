//! Certificate records: written in one transaction per import file, counted per institution
//! and occupation within a recognition window.

use super::audit::{self, Entry};
use crate::domain::evaluate::RecordedCounts;
use anyhow::Result;
use chrono::NaiveDate;
use rusqlite::{params, Connection, Statement};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCertificate {
    pub certificate_no: String,
    pub credit_code: String,
    pub occupation_code: String,
    pub level: u8,
    pub issued_on: NaiveDate,
    pub holder_name: Option<String>,
    /// The personal ID number as read; only its salted hash and a masked form are stored.
    pub holder_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Inserted {
    pub rows: u64,
    pub added: u64,
    pub duplicates: u64,
    /// The first few duplicate certificate numbers, for the report.
    pub duplicate_examples: Vec<String>,
}

/// Writes the rows of one import. The caller owns the transaction: an error anywhere and
/// the caller's rollback leaves nothing behind.
pub struct Writer<'c> {
    conn: &'c Connection,
    insert: Statement<'c>,
    import_id: i64,
    salt: String,
    pub inserted: Inserted,
}

impl<'c> Writer<'c> {
    pub fn begin(conn: &'c Connection, account: &str, file: &str, salt: &str) -> Result<Self> {
        conn.execute(
            "INSERT INTO imports (at, account, file, rows, added, duplicates, warnings)
             VALUES (?1, ?2, ?3, 0, 0, 0, 0)",
            params![super::now(), account, file],
        )?;
        let import_id = conn.last_insert_rowid();
        let insert = conn.prepare(
            "INSERT INTO certificates (certificate_no, credit_code, occupation_code, level,
               issued_on, holder_name, holder_id_hash, holder_id_masked, import_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (certificate_no) DO NOTHING",
        )?;
        Ok(Self {
            conn,
            insert,
            import_id,
            salt: salt.to_string(),
            inserted: Inserted::default(),
        })
    }

    pub fn add(&mut self, c: &NewCertificate) -> Result<()> {
        let (hash, masked) = match c.holder_id.as_deref().map(str::trim) {
            Some(id) if !id.is_empty() => (Some(hash_id(&self.salt, id)), Some(mask_id(id))),
            _ => (None, None),
        };
        let n = self.insert.execute(params![
            c.certificate_no,
            c.credit_code,
            c.occupation_code,
            c.level,
            c.issued_on.to_string(),
            c.holder_name,
            hash,
            masked,
            self.import_id,
        ])?;
        self.inserted.rows += 1;
        if n == 0 {
            self.inserted.duplicates += 1;
            if self.inserted.duplicate_examples.len() < 10 {
                self.inserted
                    .duplicate_examples
                    .push(c.certificate_no.clone());
            }
        } else {
            self.inserted.added += 1;
        }
        Ok(())
    }

    /// Completes the import record and its audit entry.
    pub fn finish(self, account: &str, file: &str, warnings: u64) -> Result<Inserted> {
        let i = &self.inserted;
        self.conn.execute(
            "UPDATE imports SET rows = ?2, added = ?3, duplicates = ?4, warnings = ?5 WHERE id = ?1",
            params![self.import_id, i.rows as i64, i.added as i64, i.duplicates as i64, warnings as i64],
        )?;
        audit::record(
            self.conn,
            Entry {
                account,
                action: "certificates.import",
                entity: "import",
                entity_id: &self.import_id.to_string(),
                before: None,
                after: Some(&serde_json::json!({
                    "file": file, "rows": i.rows, "added": i.added,
                    "duplicates": i.duplicates, "warnings": warnings,
                })),
            },
        )?;
        Ok(self.inserted)
    }
}

pub fn hash_id(salt: &str, id: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(id.to_uppercase().as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// 520102199001011234 → 520102********1234.
pub fn mask_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    let n = chars.len();
    if n <= 10 {
        return "*".repeat(n.saturating_sub(2)) + &chars[n.saturating_sub(2)..].iter().collect::<String>();
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[n - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(n - 10))
}

/// Counts for one institution's window, from..=to. `None` when the records hold no
/// certificate at all for that credit code (the declaration is used then).
pub fn recorded_counts(
    conn: &Connection,
    credit_code: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Option<RecordedCounts>> {
    let any: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM certificates WHERE credit_code = ?1)",
        [credit_code],
        |r| r.get(0),
    )?;
    if !any {
        return Ok(None);
    }
    let mut st = conn.prepare_cached(
        "SELECT occupation_code, count(*) FROM certificates
         WHERE credit_code = ?1 AND issued_on BETWEEN ?2 AND ?3 GROUP BY occupation_code",
    )?;
    let mut counts = RecordedCounts {
        from: Some(from),
        to: Some(to),
        ..Default::default()
    };
    let rows = st.query_map(params![credit_code, from.to_string(), to.to_string()], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })?;
    for row in rows {
        let (code, n) = row?;
        counts.total += n as u64;
        counts.per_occupation.insert(code, n as u64);
    }
    Ok(Some(counts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_ids() {
        assert_eq!(mask_id("52010219900101123X"), "520102********123X");
        assert_eq!(mask_id("12345"), "***45");
    }
}
