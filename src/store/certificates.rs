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

/// A holder's ID number as stored: a salted hash and a masked form, never the number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderId {
    pub hash: String,
    pub masked: String,
}

impl HolderId {
    /// `None` when the certificate has no ID number.
    pub fn of(salt: &str, c: &NewCertificate) -> Option<Self> {
        let id = c
            .holder_id
            .as_deref()
            .map(str::trim)
            .filter(|id| !id.is_empty())?;
        Some(Self {
            hash: hash_id(salt, id),
            masked: mask_id(id),
        })
    }
}

/// Writes the rows of one import. The caller owns the transaction: an error anywhere and
/// the caller's rollback leaves nothing behind.
pub struct Writer<'c> {
    conn: &'c Connection,
    insert: Statement<'c>,
    import_id: i64,
    salt: String,
    /// Indexes dropped by `begin_bulk`, made again by `finish` (their SQL).
    deferred_indexes: Vec<String>,
    pub inserted: Inserted,
}

/// Loads smaller than this keep the indexes up to date row by row.
const BULK_MIN_ROWS: u64 = 50_000;

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
            deferred_indexes: Vec::new(),
            inserted: Inserted::default(),
        })
    }

    /// As `begin`, for a load of about `expected_rows`. When that is at least as many as the
    /// table holds, the table's secondary indexes are dropped and made again by `finish`:
    /// building an index once from sorted keys is several times quicker than updating it at
    /// random places a million times. Inside the caller's transaction, so a rollback
    /// restores them, and other connections never see the table without them.
    pub fn begin_bulk(
        conn: &'c Connection,
        account: &str,
        file: &str,
        salt: &str,
        expected_rows: u64,
    ) -> Result<Self> {
        let held: i64 = conn.query_row("SELECT coalesce(sum(added), 0) FROM imports", [], |r| {
            r.get(0)
        })?;
        let deferred = if expected_rows >= BULK_MIN_ROWS && expected_rows >= held.max(0) as u64 {
            drop_indexes(conn)?
        } else {
            Vec::new()
        };
        let mut w = Self::begin(conn, account, file, salt)?;
        w.deferred_indexes = deferred;
        Ok(w)
    }

    pub fn add(&mut self, c: &NewCertificate) -> Result<()> {
        let holder = HolderId::of(&self.salt, c);
        self.add_with_holder(c, holder.as_ref())
    }

    /// As `add`, with the holder's ID number already hashed by [`HolderId::of`] with this
    /// database's salt: a bulk import does that work on its reading thread.
    pub fn add_with_holder(&mut self, c: &NewCertificate, holder: Option<&HolderId>) -> Result<()> {
        let (hash, masked) = match holder {
            Some(h) => (Some(h.hash.as_str()), Some(h.masked.as_str())),
            None => (None, None),
        };
        let n = self.insert.execute(params![
            c.certificate_no,
            c.credit_code,
            c.occupation_code,
            c.level,
            iso_date(c.issued_on).as_str(),
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
        for sql in &self.deferred_indexes {
            self.conn.execute_batch(sql)?;
        }
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

/// Drops the secondary indexes of `certificates` and returns the SQL that makes them again.
fn drop_indexes(conn: &Connection) -> Result<Vec<String>> {
    let mut st = conn.prepare(
        "SELECT name, sql FROM sqlite_schema
         WHERE type = 'index' AND tbl_name = 'certificates' AND sql IS NOT NULL",
    )?;
    let indexes = st
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for (name, _) in &indexes {
        conn.execute_batch(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))?;
    }
    Ok(indexes.into_iter().map(|(_, sql)| sql).collect())
}

/// `YYYY-MM-DD` without going through `fmt` (a million rows an import).
fn iso_date(d: NaiveDate) -> IsoDate {
    use chrono::Datelike;
    let mut b = *b"0000-00-00";
    let (y, m, day) = (d.year(), d.month(), d.day());
    if !(0..=9999).contains(&y) {
        return IsoDate::Long(d.to_string());
    }
    let y = y as u32;
    for (i, v) in [
        (0, y / 1000),
        (1, y / 100 % 10),
        (2, y / 10 % 10),
        (3, y % 10),
    ] {
        b[i] = b'0' + v as u8;
    }
    b[5] = b'0' + (m / 10) as u8;
    b[6] = b'0' + (m % 10) as u8;
    b[8] = b'0' + (day / 10) as u8;
    b[9] = b'0' + (day % 10) as u8;
    IsoDate::Short(b)
}

enum IsoDate {
    Short([u8; 10]),
    Long(String),
}

impl IsoDate {
    fn as_str(&self) -> &str {
        match self {
            // Only ASCII digits and dashes were written.
            IsoDate::Short(b) => std::str::from_utf8(b).unwrap_or("0000-00-00"),
            IsoDate::Long(s) => s,
        }
    }
}

pub fn hash_id(salt: &str, id: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    // ID numbers are ASCII (a final X may be written x): no allocation on this hot path.
    if id.is_ascii() {
        let mut upper = [0u8; 32];
        for chunk in id.as_bytes().chunks(upper.len()) {
            let up = &mut upper[..chunk.len()];
            up.copy_from_slice(chunk);
            up.make_ascii_uppercase();
            h.update(&*up);
        }
    } else {
        h.update(id.to_uppercase().as_bytes());
    }
    let mut out = String::with_capacity(64);
    for b in h.finalize() {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 0x0f)] as char);
    }
    out
}

/// 520102199001011234 → 520102********1234.
pub fn mask_id(id: &str) -> String {
    if id.is_ascii() && id.len() > 10 {
        let n = id.len();
        let mut out = String::with_capacity(n);
        out.push_str(&id[..6]);
        out.extend(std::iter::repeat_n('*', n - 10));
        out.push_str(&id[n - 4..]);
        return out;
    }
    let chars: Vec<char> = id.chars().collect();
    let n = chars.len();
    if n <= 10 {
        return "*".repeat(n.saturating_sub(2))
            + &chars[n.saturating_sub(2)..].iter().collect::<String>();
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
    let rows = st.query_map(
        params![credit_code, from.to_string(), to.to_string()],
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
    )?;
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
        assert_eq!(mask_id("５２０１０２１９９０"), "********９０");
    }

    #[test]
    fn hashes_ignore_case_of_x() {
        let a = hash_id("s", "52010219900101123X");
        assert_eq!(a, hash_id("s", "52010219900101123x"));
        assert_eq!(a.len(), 64);
        assert!(a
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        let mut h = Sha256::new();
        h.update(b"s52010219900101123X");
        let want: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(a, want);
    }

    #[test]
    fn iso_dates() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).expect("date");
        for date in [d(2024, 3, 5), d(1999, 12, 31), d(2026, 10, 1)] {
            assert_eq!(iso_date(date).as_str(), date.to_string());
        }
    }
}
