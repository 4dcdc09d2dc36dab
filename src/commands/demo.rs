//! `pingshen demo`: a realistic, deterministic demo database. (Being written.)

use super::Lang;
use crate::assets::Reference;
use crate::store::Store;
use anyhow::Result;
use chrono::NaiveDate;
use std::path::{Path, PathBuf};

pub struct Options {
    pub institutions: usize,
    pub certificates: usize,
    pub seed: u64,
    /// Dates in the demo are placed around this day.
    pub today: NaiveDate,
}

impl Options {
    pub fn default_for_today() -> Self {
        Self {
            institutions: 200,
            certificates: 500_000,
            seed: 2026,
            today: chrono::Local::now().date_naive(),
        }
    }
}

/// `$XDG_DATA_HOME/pingshen/demo.db`.
pub fn demo_db() -> Result<PathBuf> {
    Ok(super::default_db()?.with_file_name("demo.db"))
}

pub fn run(_store: &mut Store, _account: &str, _reference: &Reference, _opts: Options) -> Result<String> {
    anyhow::bail!("demo: not written yet")
}

/// What `pingshen` with no subcommand prints until the terminal app lands.
pub fn overview(_store: &Store, _path: &Path, _lang: Lang) -> Result<String> {
    anyhow::bail!("not written yet")
}
