//! The files of `data/`, built into the binary so that pingshen runs from any folder, and
//! the overrides an office may keep: `--rules PATH`, or a file of the same name in the
//! user's config directory (`~/.config/pingshen/`).

use crate::domain::{Calendar, Divisions, Occupations, RuleSet};
use anyhow::{Context as _, Result};
use std::path::{Path, PathBuf};

pub const RULES_FILE: &str = "rules.toml";
pub const CALENDAR_FILE: &str = "cn-workday-calendar.toml";

pub const RULES: &str = include_str!("../data/rules/guizhou.toml");
pub const RULES_TEXT_ZH: &str = include_str!("../data/rules/guizhou-institution-rules.zh.txt");
pub const CALENDAR: &str = include_str!("../data/cn-workday-calendar.toml");
pub const DIVISIONS: &str = include_str!("../data/guizhou-divisions.csv");
pub const OCCUPATIONS: &str = include_str!("../data/occupations-2022-draft-subset.csv");
pub const TERMINATION_NOTICE: &str = include_str!("../data/templates/termination-notice.zh.md");
pub const PUBLIC_ANNOUNCEMENT: &str = include_str!("../data/templates/public-announcement.zh.md");

/// The document templates, by file name under `data/templates/` (and under `templates/` in
/// the config directory, where an office keeps its own wording).
pub const TEMPLATES: &[(&str, &str)] = &[
    ("termination-notice.zh.md", TERMINATION_NOTICE),
    ("public-announcement.zh.md", PUBLIC_ANNOUNCEMENT),
];

/// A document template: the office's copy in `~/.config/pingshen/templates/NAME` when there is
/// one, else the built-in one. Returns (text, where it came from).
pub fn template(name: &str) -> Result<(String, String)> {
    let builtin = TEMPLATES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .with_context(|| format!("no template named {name}"))?;
    let custom = config_dir()
        .map(|d| d.join("templates").join(name))
        .filter(|p| p.is_file());
    match custom {
        Some(p) => {
            let text = std::fs::read_to_string(&p)
                .with_context(|| format!("{}: cannot read", p.display()))?;
            Ok((text, p.display().to_string()))
        }
        None => Ok((
            builtin.to_string(),
            format!("built-in data/templates/{name}"),
        )),
    }
}

/// Everything the domain needs, loaded once at start.
#[derive(Debug, Clone)]
pub struct Reference {
    pub rules: RuleSet,
    pub calendar: Calendar,
    pub divisions: Divisions,
    pub occupations: Occupations,
    /// Where the rules came from, for messages: a path or "built-in".
    pub rules_origin: String,
}

pub fn config_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("cn", "gzrs", "pingshen").map(|d| d.config_dir().to_path_buf())
}

fn read_override(explicit: Option<&Path>, name: &str) -> Result<Option<(String, String)>> {
    let path = match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => config_dir().map(|d| d.join(name)).filter(|p| p.is_file()),
    };
    match path {
        None => Ok(None),
        Some(p) => {
            let text = std::fs::read_to_string(&p)
                .with_context(|| format!("{}: cannot read", p.display()))?;
            Ok(Some((text, p.display().to_string())))
        }
    }
}

impl Reference {
    /// The built-in data only (tests, and a machine without overrides).
    pub fn builtin() -> Result<Self> {
        Self::build(None, None)
    }

    /// Built-in data with the user's overrides applied.
    pub fn load(rules_path: Option<&Path>) -> Result<Self> {
        let rules = read_override(rules_path, RULES_FILE)?;
        let calendar = read_override(None, CALENDAR_FILE)?;
        Self::build(rules, calendar)
    }

    fn build(rules: Option<(String, String)>, calendar: Option<(String, String)>) -> Result<Self> {
        let (rules_text, rules_origin) =
            rules.unwrap_or_else(|| (RULES.to_string(), "built-in data/rules/guizhou.toml".into()));
        let rules = RuleSet::parse(&rules_text, &rules_origin).map_err(anyhow::Error::msg)?;
        let (cal_text, cal_origin) = calendar.unwrap_or_else(|| {
            (
                CALENDAR.to_string(),
                "built-in data/cn-workday-calendar.toml".into(),
            )
        });
        let calendar = Calendar::parse(&cal_text, &cal_origin).map_err(anyhow::Error::msg)?;
        let divisions = Divisions::parse_csv(DIVISIONS)
            .map_err(|e| anyhow::anyhow!("built-in data/guizhou-divisions.csv: {e}"))?;
        let occupations = Occupations::parse_csv(OCCUPATIONS)
            .map_err(|e| anyhow::anyhow!("built-in data/occupations-2022-draft-subset.csv: {e}"))?;
        Ok(Self {
            rules,
            calendar,
            divisions,
            occupations,
            rules_origin,
        })
    }
}
