//! The user's settings file, `$XDG_CONFIG_HOME/pingshen/config.toml`: defaults for options a
//! reviewer sets once (ASCII drawing for a CJK terminal, the language). Flags win over it.

use anyhow::{Context as _, Result};
use serde::Deserialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Draw borders and symbols with ASCII only.
    #[serde(default)]
    pub ascii: bool,
    /// "zh" or "en".
    #[serde(default)]
    pub lang: Option<String>,
    /// Early-warning settings; unset ones come from the rules file.
    #[serde(default)]
    pub renewal: RenewalSettings,
}

/// `[renewal]` in `config.toml`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenewalSettings {
    /// Warn about pace when a recognition period ends within this many days (rules: 180).
    pub at_risk_horizon_days: Option<u32>,
    /// The renewal window opens this many days before the period ends (rules: 90).
    pub renewal_window_days: Option<u32>,
}

impl RenewalSettings {
    /// The rules' warning with these settings over it.
    pub fn over(self, w: crate::domain::renewal::Warning) -> crate::domain::renewal::Warning {
        crate::domain::renewal::Warning {
            horizon_days: self.at_risk_horizon_days.map_or(w.horizon_days, i64::from),
            renewal_window_days: self
                .renewal_window_days
                .map_or(w.renewal_window_days, i64::from),
        }
    }
}

pub const FILE: &str = "config.toml";

impl Settings {
    pub fn parse(text: &str, origin: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e| {
            anyhow::anyhow!(
                "{origin}: {}",
                e.to_string().lines().collect::<Vec<_>>().join(" ")
            )
        })
    }

    /// The settings file if there is one; defaults otherwise. A broken file is an error.
    pub fn load() -> Result<Self> {
        let Some(path) = crate::assets::config_dir().map(|d| d.join(FILE)) else {
            return Ok(Self::default());
        };
        if !path.is_file() {
            return Ok(Self::default());
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("{}: cannot read", path.display()))?;
        Self::parse(&text, &path.display().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses_unknown_keys() {
        let s = Settings::parse("ascii = true\nlang = \"en\"\n", "c").unwrap();
        assert!(s.ascii);
        assert_eq!(s.lang.as_deref(), Some("en"));
        let e = Settings::parse("asci = true\n", "c.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("c.toml") && e.contains("asci"), "{e}");
    }

    #[test]
    fn renewal_settings_override_the_rules() {
        use crate::domain::renewal::Warning;
        let s = Settings::parse("[renewal]\nat_risk_horizon_days = 365\n", "c").unwrap();
        let w = s.renewal.over(Warning::default());
        assert_eq!((w.horizon_days, w.renewal_window_days), (365, 90));
        assert!(Settings::parse("[renewal]\nhorizon = 1\n", "c").is_err());
        assert!(Settings::parse("[renewal]\nat_risk_horizon_days = -1\n", "c").is_err());
    }
}
