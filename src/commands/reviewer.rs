//! `pingshen reviewer add ACCOUNT --role ROLE --region CODE`: who may use pingshen, with which
//! role, over which region. Reviewers are OS accounts (the office server's SSH logins); the
//! acting account comes from the OS, never from the command line.

use crate::domain::Divisions;
use crate::store::review::scope_prefix;
use crate::store::reviewers::{self, Reviewer, ROLES};
use crate::store::Store;
use anyhow::{bail, Result};
use rusqlite::TransactionBehavior;

/// POSIX portable user names: letters, digits, '.', '_' and '-', not starting with '-'.
fn valid_account(a: &str) -> bool {
    !a.is_empty()
        && a.len() <= 64
        && !a.starts_with('-')
        && a.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Adds a reviewer, or changes an existing one's role or region. Allowed to an admin, within
/// the admin's own region; on a database with no reviewers yet, the first user adds
/// themselves as admin (someone has to be first, and nobody else could add them).
pub fn add(
    store: &mut Store,
    by_account: &str,
    account: &str,
    role: &str,
    region: &str,
    divisions: &Divisions,
) -> Result<String> {
    let account = account.trim();
    let region = region.trim();
    if !valid_account(account) {
        bail!(
            "account '{}' is not an OS account name (letters, digits, '.', '_' and '-')",
            crate::text::sanitize(account)
        );
    }
    if !ROLES.contains(&role) {
        bail!(
            "role '{}' is not one of {}",
            crate::text::sanitize(role),
            ROLES.join(", ")
        );
    }
    let Some(division) = divisions.get(region).filter(|d| d.code.starts_with("52")) else {
        bail!(
            "region '{}' is not a Guizhou division code (520000 the province, 520100 a \
             prefecture such as Guiyang, 520102 a county or district)",
            crate::text::sanitize(region)
        );
    };
    // IMMEDIATE: two people setting up a new database at once cannot both be "first".
    let tx = store
        .conn
        .transaction_with_behavior(TransactionBehavior::Immediate)?;
    let existing = reviewers::get(&tx, account)?;
    if reviewers::count(&tx)? == 0 {
        if account != by_account || role != "admin" {
            bail!(
                "this database has no reviewers yet: its first reviewer must be you, as admin \
                 ('pingshen reviewer add {by_account} --role admin --region 520000'); then add \
                 the others"
            );
        }
    } else {
        let Some(by) = reviewers::get(&tx, by_account)? else {
            bail!("only an admin can add reviewers; {by_account} is not a pingshen reviewer");
        };
        if by.role != "admin" {
            bail!(
                "only an admin can add reviewers; {by_account} is a {}",
                by.role
            );
        }
        let scope = scope_prefix(&by.region);
        let outside = |code: &str| !code.starts_with(&scope);
        if outside(region) || existing.as_ref().is_some_and(|e| outside(&e.region)) {
            bail!(
                "region {region} is outside your region {}: an admin of the province (520000) \
                 can do this",
                by.region
            );
        }
        // The office must keep at least one admin, or nobody could add reviewers again.
        if existing.as_ref().is_some_and(|e| e.role == "admin") && role != "admin" {
            let admins: i64 = tx.query_row(
                "SELECT count(*) FROM reviewers WHERE role = 'admin'",
                [],
                |r| r.get(0),
            )?;
            if admins <= 1 {
                bail!("{account} is the only admin: add another admin first");
            }
        }
    }
    let rv = Reviewer {
        account: account.to_string(),
        role: role.to_string(),
        region: region.to_string(),
    };
    if existing.as_ref() == Some(&rv) {
        return Ok(format!(
            "{account} is already a {role} for {region} {}; nothing changed\n",
            division.name
        ));
    }
    reviewers::upsert(&tx, by_account, &rv)?;
    tx.commit()?;
    Ok(format!(
        "{} {account}: {role}, region {region} {}\n",
        if existing.is_some() {
            "updated"
        } else {
            "added"
        },
        division.name
    ))
}
