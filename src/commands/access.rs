//! Who may run a headless command, and over which region. The account is the OS account, as
//! for the desk, looked up in `reviewers`; nothing on the command line can change it.
//!
//! - Commands that change data or show case or personal data need a registered reviewer,
//!   and a city or county reviewer reaches only their own region's cases and institutions.
//! - The two-person rule needs nothing here: no command proposes or approves a decision (only
//!   the desk does, through `store::review`, where the store and a trigger enforce it), and
//!   the exit steps that follow a decision are refused until it is approved.
//! - A database with no reviewers at all is one just made by whoever holds the file: there
//!   is nobody yet to keep out, and its first `reviewer add` must be that account, as admin.
//!   Until then its commands run as the province. (The desk always needs a reviewer.)

use crate::store::review::{self, scope_prefix, Actor, ReviewError};
use crate::store::reviewers;
use anyhow::{anyhow, bail, Result};
use rusqlite::Connection;

/// The province's division code: its reviewers' scope is every case.
pub const PROVINCE: &str = "520000";

/// The reviewer running this command: the OS account, as the desk takes it.
pub fn caller(conn: &Connection) -> Result<Actor> {
    caller_as(conn, &super::os_account()?)
}

/// `caller` for a given account (the OS account; tests).
pub fn caller_as(conn: &Connection, account: &str) -> Result<Actor> {
    if reviewers::count(conn)? == 0 {
        return Ok(Actor {
            account: account.to_string(),
            role: "admin".to_string(),
            region: PROVINCE.to_string(),
        });
    }
    review::actor(conn, account)
}

/// The region a listing covers: `--region` when given, which must lie inside the actor's
/// region; else the actor's own region (`None` for a provincial reviewer: everything).
pub fn region(actor: &Actor, asked: Option<&str>) -> Result<Option<String>> {
    match asked.map(str::trim).filter(|r| !r.is_empty()) {
        Some(code) => {
            // Every code of the actor's region starts with its prefix; one that does not,
            // or a wider one (a prefecture for a county reviewer), is outside it.
            if !code.starts_with(&scope_prefix(&actor.region))
                || scope_prefix(code).len() < scope_prefix(&actor.region).len()
            {
                bail!(
                    "--region {} is outside your region {} (account {})",
                    crate::text::sanitize(code),
                    actor.region,
                    actor.account
                );
            }
            Ok(Some(code.to_string()))
        }
        None if actor.is_province() => Ok(None),
        None => Ok(Some(actor.region.clone())),
    }
}

/// Refuses unless the actor's region is the whole province: `what` names the command.
pub fn require_province(actor: &Actor, what: &str) -> Result<()> {
    if actor.is_province() {
        return Ok(());
    }
    bail!(
        "{what} is for reviewers of the province ({PROVINCE}); {} is a reviewer of {}",
        actor.account,
        actor.region
    )
}

/// Refuses unless the actor is an admin of the whole province: `what` names the command.
pub fn require_province_admin(actor: &Actor, what: &str) -> Result<()> {
    if actor.role == "admin" && actor.is_province() {
        return Ok(());
    }
    bail!(
        "{what} is for an admin of the province ({PROVINCE}); {} is a {} of {}",
        actor.account,
        actor.role,
        actor.region
    )
}

/// A store's "not found in your region" for a command, naming the case, the region and the
/// account. Whether the case exists elsewhere is still not told, as on the desk.
pub fn explain_scope(e: anyhow::Error, actor: &Actor, case_no: &str) -> anyhow::Error {
    match e.downcast_ref::<ReviewError>() {
        Some(ReviewError::NotFound(_)) => anyhow!(
            "case {} not found in your region {} (account {})",
            crate::text::sanitize(case_no),
            actor.region,
            actor.account
        ),
        _ => e,
    }
}
