//! `pingshen backup PATH`: a consistent copy of the database while reviewers keep working,
//! through SQLite's online backup API (a plain file copy of a WAL database can tear).

use crate::store::Store;
use anyhow::{Context as _, Result};
use rusqlite::backup::{Backup, StepResult};
use rusqlite::Connection;
use std::path::Path;
use std::time::Duration;

/// How long a backup waits for a lock before giving up (as long as a desk's busy timeout).
const BUSY_WAIT: Duration = Duration::from_secs(10);

pub fn run(store: &Store, target: &Path) -> Result<String> {
    use std::os::unix::fs::OpenOptionsExt;
    // create_new: an existing file (an older backup, or the database itself) is never
    // overwritten, checked and created in one step. 0600: the copy holds personal data too.
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(target)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                anyhow::anyhow!(
                    "{}: already exists; a backup never overwrites a file — give a new name",
                    target.display()
                )
            } else {
                anyhow::Error::new(e).context(format!("{}: cannot create", target.display()))
            }
        })?;
    match copy(store, target) {
        Ok(pages) => {
            let bytes = std::fs::metadata(target).map(|m| m.len()).unwrap_or(0);
            Ok(format!(
                "backup written: {} ({pages} pages, {:.1} MB)\n\
                 check it with: pingshen --db {} audit verify\n",
                target.display(),
                bytes as f64 / 1e6,
                target.display()
            ))
        }
        Err(e) => {
            // Half a backup must not pass for one; the file is ours, made above.
            let _ = std::fs::remove_file(target);
            Err(e)
        }
    }
}

fn copy(store: &Store, target: &Path) -> Result<i32> {
    let mut dst = Connection::open(target)
        .with_context(|| format!("{}: cannot open the backup file", target.display()))?;
    let pages = {
        let b = Backup::new(&store.conn, &mut dst)?;
        // All pages in one step (-1): one read transaction, so one consistent snapshot. In
        // WAL it does not block writers, and a writer cannot make it start over (as small
        // steps would: a write by another connection restarts the copy). Busy or locked (a
        // checkpoint at that moment) is retried after a pause, for up to BUSY_WAIT.
        let started = std::time::Instant::now();
        loop {
            match b
                .step(-1)
                .with_context(|| format!("{}: backup failed", target.display()))?
            {
                StepResult::Done => break,
                StepResult::More => {}
                _ if started.elapsed() > BUSY_WAIT => anyhow::bail!(
                    "{}: the database stayed locked for {} s; nothing was backed up, try again",
                    target.display(),
                    BUSY_WAIT.as_secs()
                ),
                _ => std::thread::sleep(Duration::from_millis(50)),
            }
        }
        b.progress().pagecount
    };
    dst.close()
        .map_err(|(_, e)| e)
        .with_context(|| format!("{}: cannot close the backup file", target.display()))?;
    Ok(pages)
}
