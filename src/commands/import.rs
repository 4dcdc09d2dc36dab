//! `pingshen import applications FILE...` and `pingshen import certificates FILE`.
//! All or nothing: every file is read and checked before one transaction writes them.

use super::evaluate::{evaluate_app, read_application, recorded_for};
use crate::assets::Reference;
use crate::domain::validate::ValidateOptions;
use crate::store::review::{scope_prefix, Actor};
use crate::store::{cases, Store};
use anyhow::{bail, Result};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Stores the files as new cases, as `actor`: a city or county reviewer only files of an
/// institution in their region (one outside it refuses the whole import, as any bad file).
pub fn applications(
    store: &mut Store,
    actor: &Actor,
    files: &[PathBuf],
    reference: &Reference,
    opts: ValidateOptions,
) -> Result<String> {
    let mut ready = Vec::new();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for f in files {
        let (app, flags) = read_application(f, reference, opts)?;
        if !app
            .institution
            .region
            .starts_with(&scope_prefix(&actor.region))
        {
            bail!(
                "{}: institution.region: {} is outside your region {} (account {}); nothing was \
                 imported",
                f.display(),
                crate::text::sanitize(&app.institution.region),
                actor.region,
                actor.account
            );
        }
        if let Some(other) = seen.insert(app.case_no.clone(), f.display().to_string()) {
            bail!(
                "{}: case_no: {} is also in {other}; nothing was imported",
                f.display(),
                app.case_no
            );
        }
        if cases::id_by_case_no(&store.conn, &app.case_no)?.is_some() {
            bail!(
                "{}: case_no: {} is already in the database; nothing was imported",
                f.display(),
                app.case_no
            );
        }
        let recorded = recorded_for(Some(store), &app)?;
        let ev = evaluate_app(&app, &flags, reference, recorded.as_ref())?;
        ready.push((f, app, ev));
    }
    let tx = store.conn.transaction()?;
    let mut report = String::new();
    for (f, app, ev) in &ready {
        cases::insert(&tx, &actor.account, app, ev, "new")
            .map_err(|e| anyhow::anyhow!("{}: {e}; nothing was imported", f.display()))?;
        report.push_str(&format!(
            "  {}  {}  {}  {}\n",
            crate::text::sanitize(&app.case_no),
            cases::kind_word(app.kind),
            ev.outcome.word(),
            crate::text::sanitize(&app.institution.name)
        ));
    }
    tx.commit()?;
    Ok(format!(
        "imported {} case(s) (rules {}):\n{report}",
        ready.len(),
        reference.rules.version()
    ))
}

pub fn certificates(
    store: &mut Store,
    account: &str,
    file: &std::path::Path,
    _reference: &Reference,
    opts: ValidateOptions,
) -> Result<String> {
    use crate::text::sanitize;
    let r = crate::import::certificates::import(store, account, file, opts)?;
    let mut out = format!(
        "{}: {} row(s) read, {} certificate(s) added, {} duplicate(s) skipped (a number counts once), {} warning(s)\n",
        sanitize(&r.file),
        r.rows,
        r.added,
        r.duplicates,
        r.warnings.count
    );
    if !r.duplicate_examples.is_empty() {
        let more = if r.duplicates > r.duplicate_examples.len() as u64 {
            ", …"
        } else {
            ""
        };
        let shown: Vec<String> = r.duplicate_examples.iter().map(|d| sanitize(d)).collect();
        out.push_str(&format!("  duplicates: {}{more}\n", shown.join(", ")));
    }
    for w in &r.warnings.examples {
        out.push_str(&format!("  warning: {w}\n"));
    }
    if r.warnings.count > r.warnings.examples.len() as u64 {
        out.push_str(&format!(
            "  … and {} more warning(s)\n",
            r.warnings.count - r.warnings.examples.len() as u64
        ));
    }
    Ok(out)
}
