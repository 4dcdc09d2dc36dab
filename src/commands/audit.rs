//! `pingshen audit verify`: walks the audit log's hash chain (see `store::audit`).

use crate::store::{audit, Store};
use anyhow::{bail, Result};

/// OK with the count and the head of the chain; the first broken entry is an error, so that
/// the process exits non-zero and a script or cron job notices.
pub fn verify(store: &Store) -> Result<String> {
    let v = audit::verify(&store.conn)?;
    if let Some(b) = v.broken {
        bail!(
            "audit log broken at entry #{}: {} ({} entries before it are intact)",
            b.id,
            b.what,
            v.count
        );
    }
    let entries = if v.count == 1 { "entry" } else { "entries" };
    Ok(match v.head {
        Some((id, hash)) => format!(
            "audit log OK: {} {entries}, hash chain intact\nhead: #{id} {hash}\n",
            v.count
        ),
        None => "audit log OK: 0 entries\n".to_string(),
    })
}
