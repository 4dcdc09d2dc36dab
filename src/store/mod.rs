//! SQLite storage: schema and migrations, queries, transactions and the audit log.
//! WAL mode, foreign keys on, a busy timeout so that several reviewers can work at once.

pub mod audit;
pub mod cases;
pub mod catalogue;
pub mod certificates;
pub mod exits;
pub mod institutions;
pub mod review;
pub mod reviewers;
pub mod stats;

use anyhow::{Context as _, Result};
use rusqlite::Connection;
use rusqlite_migration::{Migrations, M};
use std::path::Path;

/// Forward-only: a released migration is never edited, a change is a new one.
pub const MIGRATIONS: &[&str] = &[
    include_str!("migrations/001_core.sql"),
    include_str!("migrations/002_certificates.sql"),
    include_str!("migrations/003_review.sql"),
    include_str!("migrations/004_certificate_counts.sql"),
    include_str!("migrations/005_exits.sql"),
    AUDIT_CHAIN,
    include_str!("migrations/007_decided_needs_two.sql"),
];

/// Migration 006 is the only one with a hook (its rows are chained in Rust); it is found by
/// its text so that the list above stays a plain list of SQL.
const AUDIT_CHAIN: &str = include_str!("migrations/006_audit_chain.sql");

pub fn migrations() -> Migrations<'static> {
    Migrations::new(
        MIGRATIONS
            .iter()
            .map(|sql| {
                if *sql == AUDIT_CHAIN {
                    M::up_with_hook(sql, audit::chain_existing)
                } else {
                    M::up(sql)
                }
            })
            .collect(),
    )
}

pub struct Store {
    pub conn: Connection,
}

/// Opens a connection with the pragmas every connection needs, without migrating.
pub fn connect(path: &Path) -> Result<Connection> {
    refuse_shared_write(path)?;
    let new = create_private(path)?;
    let conn = Connection::open(path)
        .with_context(|| format!("{}: cannot open database", path.display()))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    if new {
        // Set before the first table: millions of certificate rows import faster with fewer,
        // larger pages (fewer B-tree splits and page headers).
        conn.pragma_update(None, "page_size", PAGE_SIZE)?;
    }
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}

/// Refuses a database that any user of the machine could write: whoever can write the file
/// (or replace it, through its folder) can rewrite cases, decisions and the audit log. The
/// group may write: an office shares one database among its reviewers' accounts through a
/// dedicated group (README, "On the office server"). A folder writable by all is accepted only
/// with the sticky bit (as /tmp), where others cannot remove or rename the owner's file.
fn refuse_shared_write(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // A folder that does not exist yet is created 0700 by `create_private`.
    if let Ok(m) = std::fs::metadata(dir) {
        let mode = m.permissions().mode();
        if mode & 0o002 != 0 && mode & 0o1000 == 0 {
            anyhow::bail!(
                "{}: the database folder can be written by every user (mode {:o}), who could \
                 replace the database; refusing to open it. Fix: chmod o-w {}",
                dir.display(),
                mode & 0o7777,
                dir.display()
            );
        }
    }
    if let Ok(m) = std::fs::metadata(path) {
        let mode = m.permissions().mode();
        if mode & 0o002 != 0 {
            anyhow::bail!(
                "{}: the database file can be written by every user (mode {:o}); refusing to \
                 open it. Fix: chmod o-w {}",
                path.display(),
                mode & 0o777,
                path.display()
            );
        }
    }
    Ok(())
}

/// Page size of a new database file.
pub const PAGE_SIZE: i64 = 16384;

/// A new database file is created readable by its owner only: it holds personal data.
/// True when the file is new (and empty).
fn create_private(path: &Path) -> Result<bool> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if path.exists() {
        return Ok(std::fs::metadata(path)
            .map(|m| m.len() == 0)
            .unwrap_or(false));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .with_context(|| format!("{}: cannot create folder", dir.display()))?;
        }
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("{}: cannot create database", path.display()))?;
    Ok(true)
}

impl Store {
    /// Opens (creating if need be) and migrates to the latest version.
    pub fn open(path: &Path) -> Result<Self> {
        let mut conn = connect(path)?;
        migrations()
            .to_latest(&mut conn)
            .with_context(|| format!("{}: cannot migrate database", path.display()))?;
        Ok(Self { conn })
    }

    pub fn schema_version(&self) -> Result<usize> {
        let v: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        Ok(v as usize)
    }

    /// A per-database random salt for hashing personal ID numbers, made on first use.
    pub fn salt(&self) -> Result<String> {
        if let Some(s) = self.meta("id_salt")? {
            return Ok(s);
        }
        let mut rng = fastrand::Rng::new();
        let salt: String = (0..32).map(|_| format!("{:02x}", rng.u8(..))).collect();
        self.conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('id_salt', ?1)",
            [&salt],
        )?;
        Ok(self.meta("id_salt")?.unwrap_or(salt))
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }
}

/// Now, as stored: UTC, RFC 3339 with seconds.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
