//! Reading and checking an application file. The first problem found is reported with the
//! field path (`institution.credit_code`) so that the office can fix the file and retry.

use super::application::{Application, CaseKind, FORMAT};
use super::credit_code;
use super::reference::{is_occupation_code, Divisions};
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Field path such as `occupations[0].levels[1]`; empty for a file-level problem.
    pub path: String,
    pub problem: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.problem)
        } else {
            write!(f, "{}: {}", self.path, self.problem)
        }
    }
}

fn err(path: impl Into<String>, problem: impl Into<String>) -> FieldError {
    FieldError {
        path: path.into(),
        problem: problem.into(),
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ValidateOptions {
    /// Let a credit code with a wrong check character through (legacy pilot-city codes);
    /// the evaluation flags it for review.
    pub accept_unverified_credit_code: bool,
}

/// What validation let through but a reviewer must look at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flags {
    /// Set when the credit code failed its check and was accepted by option.
    pub unverified_credit_code: Option<String>,
}

/// Parses JSON text into an application and validates it.
pub fn parse_application(
    text: &str,
    divisions: &Divisions,
    opts: ValidateOptions,
) -> Result<(Application, Flags), FieldError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let app: Application = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let problem = describe_json_error(&inner);
        err(if path == "." { String::new() } else { path }, problem)
    })?;
    de.end()
        .map_err(|e| err("", format!("trailing text after the JSON object: {e}")))?;
    let flags = validate(&app, divisions, opts)?;
    Ok((app, flags))
}

fn describe_json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category as C;
    let msg = e.to_string();
    // serde_json appends " at line L column C"; keep it for syntax errors, where it helps.
    match e.classify() {
        C::Syntax | C::Eof | C::Io => msg,
        C::Data => {
            let msg = match msg.rfind(" at line ") {
                Some(i) => msg[..i].to_string(),
                None => msg,
            };
            msg.replace("expected u32", "expected a whole number (0 or more)")
                .replace("expected u8", "expected a whole number from 1 to 5")
        }
    }
}

pub fn validate(
    app: &Application,
    divisions: &Divisions,
    opts: ValidateOptions,
) -> Result<Flags, FieldError> {
    let mut flags = Flags::default();
    if app.format != FORMAT {
        return Err(err(
            "format",
            format!("is '{}', expected '{FORMAT}'", app.format),
        ));
    }
    if app.case_no.trim().is_empty() {
        return Err(err("case_no", "is empty"));
    }
    let inst = &app.institution;
    if inst.name.trim().is_empty() {
        return Err(err("institution.name", "is empty"));
    }
    if let Err(e) = credit_code::verify(&inst.credit_code) {
        if e.is_check_failure() && opts.accept_unverified_credit_code {
            flags.unverified_credit_code = Some(e.to_string());
        } else {
            let hint = if e.is_check_failure() {
                " (a legacy code from before GB 32100 may be let through with --accept-unverified-credit-code)"
            } else {
                ""
            };
            return Err(err("institution.credit_code", format!("{e}{hint}")));
        }
    }
    if !inst.region.starts_with("52") || divisions.get(&inst.region).is_none() {
        return Err(err(
            "institution.region",
            format!(
                "'{}' is not a Guizhou division code (6 digits, 52xxxx, from data/guizhou-divisions.csv)",
                inst.region
            ),
        ));
    }
    if let (Some(f), Some(t)) = (inst.valid_from, inst.valid_to) {
        if f > t {
            return Err(err(
                "institution.valid_to",
                format!("{t} is before valid_from {f}"),
            ));
        }
    }
    if app.kind != CaseKind::Exit && app.occupations.is_empty() {
        return Err(err(
            "occupations",
            "is empty: a selection or renewal case names at least one occupation",
        ));
    }
    let mut codes = BTreeSet::new();
    for (i, o) in app.occupations.iter().enumerate() {
        let p = format!("occupations[{i}]");
        if !is_occupation_code(&o.code) {
            return Err(err(
                format!("{p}.code"),
                format!(
                    "'{}' is not an occupation code of the form D-DD-DD-DD (e.g. 4-10-01-06)",
                    o.code
                ),
            ));
        }
        if !codes.insert(o.code.as_str()) {
            return Err(err(
                format!("{p}.code"),
                format!("{} is listed twice", o.code),
            ));
        }
        if o.name.trim().is_empty() {
            return Err(err(format!("{p}.name"), "is empty"));
        }
        if o.levels.is_empty() {
            return Err(err(format!("{p}.levels"), "is empty"));
        }
        let mut seen = BTreeSet::new();
        for (j, l) in o.levels.iter().enumerate() {
            if !(1..=5).contains(l) {
                return Err(err(
                    format!("{p}.levels[{j}]"),
                    format!("{l} is not a skill level (1 to 5)"),
                ));
            }
            if !seen.insert(*l) {
                return Err(err(
                    format!("{p}.levels[{j}]"),
                    format!("level {l} is listed twice"),
                ));
            }
        }
    }
    let f = &app.facts;
    for (name, v) in [
        ("facts.office_area_m2", f.office_area_m2),
        ("facts.desk_spacing_cm", f.desk_spacing_cm),
    ] {
        if let Some(v) = v {
            if !v.is_finite() || v < 0.0 {
                return Err(err(name, format!("{v} is not a non-negative number")));
            }
        }
    }
    match (app.kind, &app.exit) {
        (CaseKind::Exit, None) => {
            return Err(err("exit", "is required for an exit case"));
        }
        (CaseKind::Exit, Some(_)) | (_, None) => {}
        (_, Some(_)) => {
            return Err(err(
                "exit",
                format!("must be null for a {:?} case", app.kind).to_lowercase(),
            ));
        }
    }
    if let Some(x) = &app.exit {
        if let (Some(r), Some(e)) = (x.requested_on, x.intended_end) {
            if e < r {
                return Err(err(
                    "exit.intended_end",
                    format!("{e} is before requested_on {r}"),
                ));
            }
        }
    }
    Ok(flags)
}
