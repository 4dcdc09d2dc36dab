//! The headless commands. Each takes parsed arguments and does its work through `domain`
//! and `store`; `main.rs` only parses the command line and dispatches here.

pub mod access;
pub mod audit;
pub mod backup;
pub mod catalogue;
pub mod demo;
pub mod evaluate;
pub mod exit;
pub mod import;
pub mod notice;
pub mod reviewer;
pub mod stats;

use anyhow::{Context as _, Result};
use std::path::{Path, PathBuf};

/// UI language: Chinese by default, English by `--lang en` or an English locale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn pick(flag: Option<&str>) -> Lang {
        let from_env = || {
            ["LC_ALL", "LC_MESSAGES", "LANG"]
                .iter()
                .filter_map(|k| std::env::var(k).ok())
                .find(|v| !v.is_empty())
        };
        match flag.map(str::to_string).or_else(from_env) {
            Some(v) if v.to_ascii_lowercase().starts_with("en") => Lang::En,
            _ => Lang::Zh,
        }
    }
}

/// The default database: `$XDG_DATA_HOME/pingshen/pingshen.db`.
pub fn default_db() -> Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("cn", "gzrs", "pingshen")
        .context("cannot find a home directory for the default database; give --db PATH")?;
    Ok(dirs.data_dir().join("pingshen.db"))
}

pub fn db_path(db: Option<&Path>) -> Result<PathBuf> {
    match db {
        Some(p) => Ok(p.to_path_buf()),
        None => default_db(),
    }
}

/// The OS account running this process: the reviewer. Never taken from a flag or an
/// environment variable, which a reviewer could set.
pub fn os_account() -> Result<String> {
    let uid = nix::unistd::Uid::current();
    let user = nix::unistd::User::from_uid(uid)
        .context("cannot look up the OS account")?
        .with_context(|| format!("uid {uid} has no account name"))?;
    Ok(user.name)
}
