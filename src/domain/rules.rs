//! The rules file (`data/rules/guizhou.toml`): checklist items and dated parameters.
//! Parsing is strict — an unknown key, an unknown word or a missing parameter is an error
//! that names it — so a typo in the office's copy cannot silently change a decision.

use super::application::{CaseKind, Category, ExitKind, LegalForm};
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    Auto,
    Judge,
    AutoJudge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Institution,
    Occupation,
    Both,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesMeta {
    pub id: String,
    pub version: String,
    pub title_zh: String,
    pub title_en: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    pub reference: String,
    pub description_zh: String,
    pub description_en: String,
    pub unit: String,
    /// Values keyed by the date from which they apply.
    pub values: BTreeMap<NaiveDate, f64>,
}

impl Parameter {
    /// The value in force on `on`: the one with the latest date not after it.
    pub fn at(&self, on: NaiveDate) -> Option<f64> {
        self.values.range(..=on).next_back().map(|(_, v)| *v)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub id: String,
    pub cite: String,
    pub kinds: Vec<CaseKind>,
    pub categories: Vec<Category>,
    #[serde(default)]
    pub legal_forms: Vec<LegalForm>,
    #[serde(default)]
    pub exit_kinds: Vec<ExitKind>,
    pub check: Check,
    pub scope: Scope,
    #[serde(default)]
    pub parameters: Vec<String>,
    pub zh: String,
    pub en: String,
}

impl Item {
    /// The article number cited, e.g. 6 for "第六条（三）".
    pub fn article(&self) -> Option<u32> {
        article_number(&self.cite)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    rules: RulesMeta,
    parameters: BTreeMap<String, Parameter>,
    #[serde(rename = "item")]
    items: Vec<Item>,
}

#[derive(Debug, Clone)]
pub struct RuleSet {
    pub meta: RulesMeta,
    pub parameters: BTreeMap<String, Parameter>,
    pub items: Vec<Item>,
}

/// Auto items the evaluator computes, with the parameters each needs. An auto item in a
/// rules file that is not here cannot be evaluated, so loading refuses it.
pub const AUTO_ITEMS: &[(&str, &[&str])] = &[
    ("A4.1", &["employer_min_ok"]),
    ("A5.2", &[]),
    (
        "A6.3",
        &[
            "social_org_min_training_years",
            "social_org_min_training_volume",
            "exempt_min_training_volume",
        ],
    ),
    ("A6.4", &[]),
    ("A6.5", &["min_full_time_staff"]),
    (
        "A6.6",
        &["min_quality_supervisors", "min_examiners_per_occupation"],
    ),
    ("A6.7a", &["min_lease_years"]),
    ("A6.7b", &["min_office_area_m2"]),
    ("A6.7c", &[]),
    (
        "A6.7d",
        &["min_standard_exam_rooms", "min_computer_exam_seats"],
    ),
    ("A6.7e", &["min_desk_spacing_cm"]),
    ("A6.7f", &[]),
    ("A7.1", &[]),
    ("A7.2", &[]),
    ("A7.3", &[]),
    ("A7.4", &[]),
    ("A7.5", &[]),
    ("A7.6", &[]),
    ("R8.2", &["renewal_min_certificates_employer"]),
    ("R9.2", &["renewal_min_certificates_school"]),
    (
        "R10.2",
        &[
            "renewal_min_certificates_social_org",
            "renewal_min_certificates_per_occupation",
        ],
    ),
    ("M11.1", &[]),
    ("M11.2", &[]),
    ("M11.3", &[]),
    ("M11.4", &[]),
    ("M11.5", &[]),
    ("R12", &[]),
    ("E13", &["voluntary_exit_notice_days"]),
    ("E14", &["automatic_exit_wrapup_days"]),
    ("E15", &[]),
];

/// Settings that code outside the checklist reads (renewal window, early warning, period).
pub const SETTINGS: &[&str] = &[
    "recognition_period_years",
    "renewal_window_days",
    "at_risk_horizon_days",
];

impl RuleSet {
    /// Parses and checks a rules file. `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, String> {
        let de = toml::Deserializer::parse(text).map_err(|e| format!("{origin}: {e}"))?;
        let file: RulesFile = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let msg = inner.message().to_string();
            if path.is_empty() || path == "." {
                format!("{origin}: {msg}")
            } else {
                format!("{origin}: {path}: {msg}")
            }
        })?;
        let set = RuleSet {
            meta: file.rules,
            parameters: file.parameters,
            items: file.items,
        };
        set.check(origin)?;
        Ok(set)
    }

    fn check(&self, origin: &str) -> Result<(), String> {
        let mut seen = std::collections::BTreeSet::new();
        for (name, p) in &self.parameters {
            if p.values.is_empty() {
                return Err(format!("{origin}: parameters.{name}.values: no value"));
            }
            if let Some((d, v)) = p.values.iter().find(|(_, v)| !v.is_finite() || **v < 0.0) {
                return Err(format!(
                    "{origin}: parameters.{name}.values.{d}: {v} is not a non-negative number"
                ));
            }
        }
        for s in SETTINGS {
            if !self.parameters.contains_key(*s) {
                return Err(format!("{origin}: parameters.{s}: missing"));
            }
        }
        for item in &self.items {
            if !seen.insert(item.id.clone()) {
                return Err(format!("{origin}: item {}: listed twice", item.id));
            }
            if item.article().is_none() {
                return Err(format!(
                    "{origin}: item {}: cite '{}' does not name an article (第N条)",
                    item.id, item.cite
                ));
            }
            for p in &item.parameters {
                if !self.parameters.contains_key(p) {
                    return Err(format!(
                        "{origin}: item {}: parameter '{p}' is not defined",
                        item.id
                    ));
                }
            }
            if item.check != Check::Judge {
                let Some((_, needs)) = AUTO_ITEMS.iter().find(|(id, _)| *id == item.id) else {
                    return Err(format!(
                        "{origin}: item {}: check '{:?}' needs a computation the program does not have; use check = \"judge\"",
                        item.id, item.check
                    ));
                };
                for n in *needs {
                    if !self.parameters.contains_key(*n) {
                        return Err(format!(
                            "{origin}: item {}: needs parameter '{n}', which is not defined",
                            item.id
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// "gz-rsks-jgzl@2025.1": recorded with every evaluation.
    pub fn version(&self) -> String {
        format!("{}@{}", self.meta.id, self.meta.version)
    }

    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.id == id)
    }

    /// The value of a parameter on a date.
    pub fn value(&self, name: &str, on: NaiveDate) -> Result<f64, String> {
        let p = self
            .parameters
            .get(name)
            .ok_or_else(|| format!("parameter '{name}' is not defined"))?;
        p.at(on)
            .ok_or_else(|| format!("parameter '{name}' has no value in force on {on}"))
    }
}

/// 第六条（三） → 6. Chinese numerals up to 九十九.
pub fn article_number(cite: &str) -> Option<u32> {
    let start = cite.find('第')? + '第'.len_utf8();
    let rest = &cite[start..];
    let end = rest.find('条')?;
    chinese_number(&rest[..end])
}

pub fn chinese_number(s: &str) -> Option<u32> {
    let digit = |c: char| "零一二三四五六七八九".chars().position(|d| d == c);
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        [] => None,
        ['十'] => Some(10),
        ['十', u] => Some(10 + digit(*u)? as u32),
        [t, '十'] => Some(digit(*t)? as u32 * 10),
        [t, '十', u] => Some(digit(*t)? as u32 * 10 + digit(*u)? as u32),
        [u] => digit(*u).map(|d| d as u32),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_numbers() {
        assert_eq!(article_number("第六条（三）"), Some(6));
        assert_eq!(article_number("第十条（二）"), Some(10));
        assert_eq!(article_number("第十六条"), Some(16));
        assert_eq!(article_number("第二十一条"), Some(21));
        assert_eq!(article_number("六条"), None);
    }

    #[test]
    fn dated_values() {
        let p = Parameter {
            reference: String::new(),
            description_zh: String::new(),
            description_en: String::new(),
            unit: String::new(),
            values: [
                (NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(), 1000.0),
                (NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(), 1200.0),
            ]
            .into_iter()
            .collect(),
        };
        assert_eq!(p.at(NaiveDate::from_ymd_opt(2019, 12, 31).unwrap()), None);
        assert_eq!(
            p.at(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()),
            Some(1000.0)
        );
        assert_eq!(
            p.at(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()),
            Some(1200.0)
        );
    }
}
