//! `pingshen evaluate FILE [--json]`: SPEC section 8.

use super::Lang;
use crate::assets::Reference;
use crate::domain::application::{Application, CaseKind};
use crate::domain::evaluate::{contract_json, evaluate, Context, Evaluation, ItemResult};
use crate::domain::validate::{parse_application, Flags, ValidateOptions};
use crate::domain::RecordedCounts;
use crate::store::{certificates, Store};
use crate::text::sanitize;
use anyhow::{anyhow, Result};
use std::path::Path;

/// Largest application file read: far above any real one, small enough to refuse a wrong
/// file before it fills memory.
pub const MAX_APPLICATION_BYTES: u64 = 4 * 1024 * 1024;

/// Reads and validates one application file; errors name the file, the field and the problem.
pub fn read_application(
    path: &Path,
    reference: &Reference,
    opts: ValidateOptions,
) -> Result<(Application, Flags)> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| anyhow!("{shown}: cannot read: {e}"))?;
    if meta.len() > MAX_APPLICATION_BYTES {
        return Err(too_big(&shown, Some(meta.len())));
    }
    // The size above is only what the file says of itself: a device (/dev/zero), a pipe or a
    // file still growing says 0, so the read itself stops one byte past the limit.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| {
            use std::io::Read;
            f.take(MAX_APPLICATION_BYTES + 1).read_to_end(&mut bytes)
        })
        .map_err(|e| anyhow!("{shown}: cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_APPLICATION_BYTES {
        return Err(too_big(&shown, None));
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| anyhow!("{shown}: not UTF-8 text (byte {})", e.valid_up_to()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    parse_application(text, &reference.divisions, opts).map_err(|e| anyhow!("{shown}: {e}"))
}

/// The one refusal of an oversized application file, naming the file and the limit.
fn too_big(shown: &std::path::Display<'_>, len: Option<u64>) -> anyhow::Error {
    let size = match len {
        Some(n) => format!("file is {n} bytes"),
        None => "file goes on past the limit".to_string(),
    };
    anyhow!(
        "{shown}: {size}, more than the {MAX_APPLICATION_BYTES} bytes (4 MiB) an application \
         file may have"
    )
}

/// Certificate counts from the records for a renewal, when a database is given and holds
/// records of that institution.
pub fn recorded_for(store: Option<&Store>, app: &Application) -> Result<Option<RecordedCounts>> {
    let (Some(store), CaseKind::Renewal) = (store, app.kind) else {
        return Ok(None);
    };
    let (Some(from), Some(to)) = (app.institution.valid_from, app.institution.valid_to) else {
        return Ok(None);
    };
    certificates::recorded_counts(&store.conn, &app.institution.credit_code, from, to)
}

pub fn evaluate_app(
    app: &Application,
    flags: &Flags,
    reference: &Reference,
    recorded: Option<&RecordedCounts>,
) -> Result<Evaluation> {
    let ctx = Context {
        rules: &reference.rules,
        calendar: &reference.calendar,
        recorded,
        flags,
    };
    evaluate(app, &ctx).map_err(|e| anyhow!("{}: {e}", reference.rules_origin))
}

pub struct Args<'a> {
    pub file: &'a Path,
    pub json: bool,
    pub lang: Lang,
    pub db: Option<&'a Path>,
    pub opts: ValidateOptions,
}

pub fn run(args: Args<'_>, reference: &Reference) -> Result<String> {
    let (app, flags) = read_application(args.file, reference, args.opts)?;
    let store = match args.db {
        Some(p) => Some(Store::open(p)?),
        None => None,
    };
    let recorded = recorded_for(store.as_ref(), &app)?;
    let ev = evaluate_app(&app, &flags, reference, recorded.as_ref())?;
    if args.json {
        Ok(serde_json::to_string_pretty(&contract_json(&ev))? + "\n")
    } else {
        Ok(table(&app, &ev, reference, args.lang))
    }
}

fn result_word(r: ItemResult, lang: Lang) -> &'static str {
    match (lang, r) {
        (Lang::En, r) => r.word(),
        (Lang::Zh, ItemResult::Pass) => "通过",
        (Lang::Zh, ItemResult::Fail) => "不通过",
        (Lang::Zh, ItemResult::Review) => "待审",
        (Lang::Zh, ItemResult::NotApplicable) => "不适用",
    }
}

fn outcome_word(ev: &Evaluation, lang: Lang) -> &'static str {
    use crate::domain::Outcome::*;
    match (lang, ev.outcome) {
        (Lang::En, o) => o.word(),
        (Lang::Zh, Excluded) => "不得申报（第七条）",
        (Lang::Zh, Ineligible) => "不符合条件",
        (Lang::Zh, NeedsReview) => "待评审",
        (Lang::Zh, Eligible) => "符合条件",
    }
}

/// The readable table: item, occupation, result, figure against threshold.
pub fn table(app: &Application, ev: &Evaluation, reference: &Reference, lang: Lang) -> String {
    use comfy_table::{presets::ASCII_BORDERS_ONLY_CONDENSED, ContentArrangement, Table};
    let zh = lang == Lang::Zh;
    let mut t = Table::new();
    t.load_preset(ASCII_BORDERS_ONLY_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(120);
    t.set_header(if zh {
        vec!["条目", "条款", "职业", "结果", "说明"]
    } else {
        vec!["item", "clause", "occupation", "result", "detail"]
    });
    for i in &ev.items {
        let cite = reference
            .rules
            .item(&i.id)
            .map(|it| it.cite.clone())
            .unwrap_or_default();
        let detail = if zh { &i.detail.zh } else { &i.detail.en };
        t.add_row(vec![
            i.id.clone(),
            cite,
            i.occupation.clone().unwrap_or_default(),
            result_word(i.result, lang).to_string(),
            sanitize(detail),
        ]);
    }
    let mut out = String::new();
    let name = sanitize(&app.institution.name);
    if zh {
        out.push_str(&format!(
            "案件 {}  {}（{}）\n规则版本 {}，适用日期 {}\n\n",
            sanitize(&ev.case_no),
            name,
            app.institution.credit_code,
            ev.rules_version,
            app.submitted_on
        ));
    } else {
        out.push_str(&format!(
            "Case {}  {} ({})\nRules {}, in force on {}\n\n",
            sanitize(&ev.case_no),
            name,
            app.institution.credit_code,
            ev.rules_version,
            app.submitted_on
        ));
    }
    out.push_str(&t.to_string());
    out.push('\n');
    let granted = if ev.granted_occupations.is_empty() {
        if zh { "无" } else { "none" }.to_string()
    } else {
        ev.granted_occupations.join(", ")
    };
    if zh {
        out.push_str(&format!(
            "\n结论：{}\n可准予职业：{}\n",
            outcome_word(ev, lang),
            granted
        ));
    } else {
        out.push_str(&format!(
            "\nOutcome: {}\nOccupations that can be granted: {}\n",
            outcome_word(ev, lang),
            granted
        ));
    }
    for d in &ev.deadlines {
        let text = if zh { &d.detail.zh } else { &d.detail.en };
        out.push_str(&format!(
            "{} {}: {}\n",
            if zh { "期限" } else { "Deadline" },
            d.item,
            text
        ));
    }
    out
}
