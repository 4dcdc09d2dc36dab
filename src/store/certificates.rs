//! Certificate records: written in one transaction per import file, counted per institution
//! and occupation within a recognition window.

use super::audit::{self, Entry};
use crate::domain::evaluate::RecordedCounts;
use anyhow::Result;
use chrono::NaiveDate;
use rusqlite::{params, Connection, Statement};
use rustc_hash::{FxHashMap, FxHashSet};
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
/// A holder's ID number as stored: a salted hash and a masked form, never the number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderId {
    /// The first 16 bytes of the salted SHA-256: 128 bits tell holders apart.
    pub hash: [u8; 16],
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

/// Certificates added by one import, per institution, day and occupation: written to
/// `certificate_counts` by `finish`, in the import's transaction. Codes are interned so
/// that a million rows make no allocation after the first of each code.
#[derive(Default)]
struct Tally {
    codes: FxHashMap<String, u32>,
    names: Vec<String>,
    counts: FxHashMap<(u32, NaiveDate, u32), u64>,
}

impl Tally {
    fn id(&mut self, code: &str) -> u32 {
        if let Some(&id) = self.codes.get(code) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(code.to_string());
        self.codes.insert(code.to_string(), id);
        id
    }

    fn add(&mut self, c: &NewCertificate) {
        let credit = self.id(&c.credit_code);
        let occ = self.id(&c.occupation_code);
        *self.counts.entry((credit, c.issued_on, occ)).or_insert(0) += 1;
    }

    fn merge(&mut self, other: Tally) {
        for (&(c, d, o), &n) in &other.counts {
            let name = |id: u32| other.names.get(id as usize).map_or("", String::as_str);
            let (c, o) = (self.id(name(c)), self.id(name(o)));
            *self.counts.entry((c, d, o)).or_insert(0) += n;
        }
    }

    /// Adds the tally to `certificate_counts`, in key order so the B-tree grows at its end.
    fn write(self, conn: &Connection) -> Result<()> {
        let name = |id: u32| self.names.get(id as usize).map_or("", String::as_str);
        let mut rows: Vec<(&str, NaiveDate, &str, u64)> = self
            .counts
            .iter()
            .map(|(&(c, d, o), &n)| (name(c), d, name(o), n))
            .collect();
        rows.sort_unstable();
        // CHUNK rows a statement: a file of scattered rows makes nearly one count a row.
        let upsert = |values: &str| {
            format!(
                "INSERT INTO certificate_counts (credit_code, issued_on, occupation_code, n)
                 VALUES {values}
                 ON CONFLICT (credit_code, issued_on, occupation_code) DO UPDATE SET n = n + excluded.n"
            )
        };
        let mut many = conn.prepare(&upsert(&vec!["(?, ?, ?, ?)"; CHUNK].join(", ")))?;
        let mut one = conn.prepare(&upsert("(?1, ?2, ?3, ?4)"))?;
        let mut chunks = rows.chunks_exact(CHUNK);
        for chunk in chunks.by_ref() {
            for (i, (credit, day, occ, n)) in chunk.iter().enumerate() {
                let at = i * 4;
                many.raw_bind_parameter(at + 1, *credit)?;
                many.raw_bind_parameter(at + 2, iso_date(*day).as_str())?;
                many.raw_bind_parameter(at + 3, *occ)?;
                many.raw_bind_parameter(at + 4, *n as i64)?;
            }
            many.raw_execute()?;
        }
        for (credit, day, occ, n) in chunks.remainder() {
            one.execute(params![credit, iso_date(*day).as_str(), occ, *n as i64])?;
        }
        Ok(())
    }
}

/// Writes the rows of one import. The caller owns the transaction: an error anywhere and
/// the caller's rollback leaves nothing behind.
pub struct Writer<'c> {
    conn: &'c Connection,
    insert: Statement<'c>,
    /// `CHUNK` rows a statement, for bulk loads; prepared on first use.
    insert_chunk: Option<Statement<'c>>,
    import_id: i64,
    salt: String,
    mode: Mode,
    tally: Tally,
    pub inserted: Inserted,
}

enum Mode {
    /// The unique index on the number finds duplicates as rows go in.
    Live,
    /// The unique index is dropped and made again by `finish`; meanwhile numbers are
    /// checked here: those already stored and those of this load.
    Bulk(FxHashSet<Box<str>>),
    /// As `Bulk`, with the checking done by a [`Checker`] on the caller's reading thread.
    BulkChecked,
    /// As `Bulk` for numbers unique by construction (the demo): remaking the index checks.
    BulkUnique,
}

/// The duplicate check and counts of a bulk load, done on the thread that reads the file
/// so that the SQLite thread only inserts. See [`Writer::checker`].
pub struct Checker {
    seen: FxHashSet<Box<str>>,
    tally: Tally,
    inserted: Inserted,
}

impl Checker {
    /// True when the row is to be stored: its number is neither stored already nor earlier
    /// in this load (the first of two rows with one number is kept).
    pub fn admit(&mut self, c: &NewCertificate) -> bool {
        self.inserted.rows += 1;
        if self.seen.insert(c.certificate_no.as_str().into()) {
            self.inserted.added += 1;
            self.tally.add(c);
            true
        } else {
            self.inserted.duplicates += 1;
            if self.inserted.duplicate_examples.len() < 10 {
                self.inserted
                    .duplicate_examples
                    .push(c.certificate_no.clone());
            }
            false
        }
    }
}

/// Rows a statement in [`Writer::add_checked_many`].
pub const CHUNK: usize = 32;

/// Loads smaller than this keep the unique index up to date row by row.
const BULK_MIN_ROWS: u64 = 50_000;

const UNIQUE_INDEX: &str = "CREATE UNIQUE INDEX certificates_no ON certificates (certificate_no)";

impl<'c> Writer<'c> {
    pub fn begin(conn: &'c Connection, account: &str, file: &str, salt: &str) -> Result<Self> {
        Self::start(conn, account, file, salt, Mode::Live)
    }

    fn start(
        conn: &'c Connection,
        account: &str,
        file: &str,
        salt: &str,
        mode: Mode,
    ) -> Result<Self> {
        conn.execute(
            "INSERT INTO imports (at, account, file, rows, added, duplicates, warnings)
             VALUES (?1, ?2, ?3, 0, 0, 0, 0)",
            params![super::now(), account, file],
        )?;
        let import_id = conn.last_insert_rowid();
        let insert = conn.prepare(if !matches!(mode, Mode::Live) {
            "INSERT INTO certificates (certificate_no, credit_code, occupation_code, level,
               issued_on, holder_name, holder_id_hash, holder_id_masked, import_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        } else {
            "INSERT INTO certificates (certificate_no, credit_code, occupation_code, level,
               issued_on, holder_name, holder_id_hash, holder_id_masked, import_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (certificate_no) DO NOTHING"
        })?;
        Ok(Self {
            conn,
            insert,
            insert_chunk: None,
            import_id,
            salt: salt.to_string(),
            mode,
            tally: Tally::default(),
            inserted: Inserted::default(),
        })
    }

    /// As `begin`, for a load of about `expected_rows`. When that is at least as many as the
    /// table holds, the unique index on the number is dropped and made again by `finish`
    /// (building it once from sorted keys is several times quicker than updating it at
    /// random places a million times), and duplicates are found in memory meanwhile. Inside
    /// the caller's transaction: a rollback restores the index, and other connections never
    /// see the table without it.
    pub fn begin_bulk(
        conn: &'c Connection,
        account: &str,
        file: &str,
        salt: &str,
        expected_rows: u64,
    ) -> Result<Self> {
        let held: i64 = conn.query_row("SELECT count(*) FROM certificates", [], |r| r.get(0))?;
        if expected_rows < BULK_MIN_ROWS || expected_rows < held.max(0) as u64 {
            return Self::begin(conn, account, file, salt);
        }
        let mut seen = FxHashSet::default();
        seen.reserve((expected_rows + held.max(0) as u64) as usize);
        {
            let mut st = conn.prepare("SELECT certificate_no FROM certificates")?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                seen.insert(r.get_ref(0)?.as_str()?.into());
            }
        }
        conn.execute_batch("DROP INDEX certificates_no")?;
        Self::start(conn, account, file, salt, Mode::Bulk(seen))
    }

    /// A bulk load into an empty table of numbers known to be unique (the demo's). Should
    /// one repeat after all, remaking the unique index fails and the caller rolls back.
    pub fn begin_unique(
        conn: &'c Connection,
        account: &str,
        file: &str,
        salt: &str,
    ) -> Result<Self> {
        let any: bool = conn.query_row("SELECT EXISTS (SELECT 1 FROM certificates)", [], |r| {
            r.get(0)
        })?;
        if any {
            return Self::begin(conn, account, file, salt);
        }
        conn.execute_batch("DROP INDEX certificates_no")?;
        Self::start(conn, account, file, salt, Mode::BulkUnique)
    }

    pub fn add(&mut self, c: &NewCertificate) -> Result<()> {
        let holder = HolderId::of(&self.salt, c);
        self.add_with_holder(c, holder.as_ref())
    }

    /// As `add`, with the holder's ID number already hashed by [`HolderId::of`] with this
    /// database's salt: a bulk import does that work on its reading thread.
    pub fn add_with_holder(&mut self, c: &NewCertificate, holder: Option<&HolderId>) -> Result<()> {
        self.inserted.rows += 1;
        let fresh = match &mut self.mode {
            Mode::Bulk(seen) => seen.insert(c.certificate_no.as_str().into()),
            Mode::Live | Mode::BulkUnique | Mode::BulkChecked => true,
        };
        let added = fresh && {
            let (hash, masked) = match holder {
                Some(h) => (Some(&h.hash[..]), Some(h.masked.as_str())),
                None => (None, None),
            };
            self.insert.execute(params![
                c.certificate_no,
                c.credit_code,
                c.occupation_code,
                c.level,
                iso_date(c.issued_on).as_str(),
                c.holder_name,
                hash,
                masked,
                self.import_id,
            ])? == 1
        };
        if added {
            self.inserted.added += 1;
            self.tally.add(c);
        } else {
            self.inserted.duplicates += 1;
            if self.inserted.duplicate_examples.len() < 10 {
                self.inserted
                    .duplicate_examples
                    .push(c.certificate_no.clone());
            }
        }
        Ok(())
    }

    /// Hands the duplicate check of a bulk load to the caller's reading thread: rows it
    /// passes go to [`Writer::add_checked`], and the checker comes back by
    /// [`Writer::join`]. `None` when this load checks with the unique index.
    pub fn checker(&mut self) -> Option<Checker> {
        match std::mem::replace(&mut self.mode, Mode::BulkChecked) {
            Mode::Bulk(seen) => Some(Checker {
                seen,
                tally: Tally::default(),
                inserted: Inserted::default(),
            }),
            other => {
                self.mode = other;
                None
            }
        }
    }

    /// Stores a row the [`Checker`] passed.
    pub fn add_checked(&mut self, c: &NewCertificate, holder: Option<&HolderId>) -> Result<()> {
        let (hash, masked) = match holder {
            Some(h) => (Some(&h.hash[..]), Some(h.masked.as_str())),
            None => (None, None),
        };
        self.insert.execute(params![
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
        Ok(())
    }

    /// Stores rows the [`Checker`] passed, [`CHUNK`] to a statement: SQLite's cost per
    /// statement is then shared by that many rows.
    pub fn add_checked_many(&mut self, rows: &[(NewCertificate, Option<HolderId>)]) -> Result<()> {
        let mut chunks = rows.chunks_exact(CHUNK);
        for chunk in chunks.by_ref() {
            if self.insert_chunk.is_none() {
                let values = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?)"; CHUNK].join(", ");
                self.insert_chunk = Some(self.conn.prepare(&format!(
                    "INSERT INTO certificates (certificate_no, credit_code, occupation_code,
                       level, issued_on, holder_name, holder_id_hash, holder_id_masked, import_id)
                     VALUES {values}"
                ))?);
            }
            let Some(st) = self.insert_chunk.as_mut() else {
                continue;
            };
            for (i, (c, holder)) in chunk.iter().enumerate() {
                let at = i * 9;
                let (hash, masked) = match holder {
                    Some(h) => (Some(&h.hash[..]), Some(h.masked.as_str())),
                    None => (None, None),
                };
                st.raw_bind_parameter(at + 1, c.certificate_no.as_str())?;
                st.raw_bind_parameter(at + 2, c.credit_code.as_str())?;
                st.raw_bind_parameter(at + 3, c.occupation_code.as_str())?;
                st.raw_bind_parameter(at + 4, c.level)?;
                st.raw_bind_parameter(at + 5, iso_date(c.issued_on).as_str())?;
                st.raw_bind_parameter(at + 6, c.holder_name.as_deref())?;
                st.raw_bind_parameter(at + 7, hash)?;
                st.raw_bind_parameter(at + 8, masked)?;
                st.raw_bind_parameter(at + 9, self.import_id)?;
            }
            st.raw_execute()?;
        }
        for (c, holder) in chunks.remainder() {
            self.add_checked(c, holder.as_ref())?;
        }
        Ok(())
    }

    /// Takes back the checker's counts once the reading thread is done.
    pub fn join(&mut self, checker: Checker) {
        self.tally.merge(checker.tally);
        let (i, c) = (&mut self.inserted, checker.inserted);
        i.rows += c.rows;
        i.added += c.added;
        i.duplicates += c.duplicates;
        let room = 10usize.saturating_sub(i.duplicate_examples.len());
        i.duplicate_examples
            .extend(c.duplicate_examples.into_iter().take(room));
    }

    /// Completes the import: the unique index if it was dropped, the counts, the import
    /// record and its audit entry.
    pub fn finish(self, account: &str, file: &str, warnings: u64) -> Result<Inserted> {
        if !matches!(self.mode, Mode::Live) {
            // The set freed first: the index sort wants the memory.
            drop(self.mode);
            self.conn.execute_batch(UNIQUE_INDEX)?;
        }
        self.tally.write(self.conn)?;
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

/// The salted SHA-256 of an ID number, with a final x read as X, cut to 16 bytes.
pub fn hash_id(salt: &str, id: &str) -> [u8; 16] {
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
    let full: [u8; 32] = h.finalize().into();
    let mut out = [0u8; 16];
    out.copy_from_slice(&full[..16]);
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
        "SELECT EXISTS (SELECT 1 FROM certificate_counts WHERE credit_code = ?1)",
        [credit_code],
        |r| r.get(0),
    )?;
    if !any {
        return Ok(None);
    }
    let mut st = conn.prepare_cached(
        "SELECT occupation_code, sum(n) FROM certificate_counts
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
        let mut h = Sha256::new();
        h.update(b"s52010219900101123X");
        let want: [u8; 32] = h.finalize().into();
        assert_eq!(a[..], want[..16]);
        assert_ne!(a, hash_id("t", "52010219900101123X"));
    }

    #[test]
    fn iso_dates() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).expect("date");
        for date in [d(2024, 3, 5), d(1999, 12, 31), d(2026, 10, 1)] {
            assert_eq!(iso_date(date).as_str(), date.to_string());
        }
    }
}
