//! Documents the office issues: the termination notice (终止评价活动通知书, art. 16) and, for
//! ordered exits, the public announcement (art. 15). Each is a Markdown template from
//! `data/templates/` with `{placeholders}`, rendered to Markdown and to .docx.
//!
//! The .docx follows the Markdown line by line, with three conventions an office editing a
//! template can rely on: a `# ` line is the title (centred, bold), a `## ` line is centred (the
//! document number), and the paragraphs after a `---` line are right-aligned (the issuing
//! office and the date). Other paragraphs get the usual two-character first-line indent.
//! `<!-- … -->` comments are dropped from both.

use anyhow::{anyhow, bail, Context as _, Result};
use chrono::{Datelike, NaiveDate};
use std::collections::BTreeMap;

/// Every placeholder a template may use.
pub const PLACEHOLDERS: &[&str] = &[
    "institution",
    "credit_code",
    "region",
    "case_no",
    "article",
    "exit_kind",
    "reason",
    "occupations",
    "valid_from",
    "valid_to",
    "effective_date",
    "wrap_up_due",
    "wrap_up",
    "notice_number",
    "notice_date",
    "announcement_number",
    "announcement_date",
    "violations",
];

/// The values to fill in, by placeholder name.
pub type Fields = BTreeMap<&'static str, String>;

/// 2026年10月20日, as official documents write dates.
pub fn chinese_date(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// 5 → 五级/初级工 … 1 → 一级/高级技师.
pub fn level_name(level: u8) -> String {
    match level {
        5 => "五级/初级工".into(),
        4 => "四级/中级工".into(),
        3 => "三级/高级工".into(),
        2 => "二级/技师".into(),
        1 => "一级/高级技师".into(),
        other => format!("{other}级"),
    }
}

/// Drops `<!-- … -->` comments.
fn strip_comments(text: &str, origin: &str) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 4..];
        let end = after
            .find("-->")
            .ok_or_else(|| anyhow!("{origin}: a comment <!-- is not closed with -->"))?;
        rest = &after[end + 3..];
        // A comment alone on its lines leaves no blank line behind.
        rest = rest
            .strip_prefix("\r\n")
            .or(rest.strip_prefix('\n'))
            .unwrap_or(rest);
    }
    out.push_str(rest);
    Ok(out)
}

/// Fills a template's placeholders. A placeholder that is not in `PLACEHOLDERS`, or one left
/// without a value, is an error naming it, so that a typo in an office's template does not
/// reach a document; `{{` and `}}` are literal braces. Values are single lines of text with
/// control characters removed.
pub fn render(template: &str, origin: &str, fields: &Fields) -> Result<String> {
    let text = strip_comments(template, origin)?;
    let mut out = String::with_capacity(text.len() + 256);
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|p| p.1) == Some('{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek().map(|p| p.1) == Some('}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let rest = &text[i + 1..];
                let end = rest
                    .find('}')
                    .ok_or_else(|| anyhow!("{origin}: a '{{' at byte {i} is not closed"))?;
                let name = &rest[..end];
                if !PLACEHOLDERS.contains(&name) {
                    bail!(
                        "{origin}: {{{}}} is not a placeholder (known: {})",
                        crate::text::sanitize(name),
                        PLACEHOLDERS.join(", ")
                    );
                }
                let value = fields
                    .get(name)
                    .with_context(|| format!("{origin}: no value for {{{name}}}"))?;
                let value: String = crate::text::sanitize(value)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                out.push_str(&value);
                // Skip the name and the closing brace.
                for _ in 0..name.chars().count() + 1 {
                    chars.next();
                }
            }
            '}' => {
                bail!("{origin}: a '}}' at byte {i} has no opening '{{' (write }}}} for a brace)")
            }
            other => out.push(other),
        }
    }
    Ok(out.trim_start_matches('\n').to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Title,
    Centred,
    Body,
    Right,
}

/// The paragraphs of rendered Markdown, each with how it is laid out.
fn paragraphs(md: &str) -> Vec<(Kind, String)> {
    let mut out = Vec::new();
    let mut right = false;
    let mut block: Vec<&str> = Vec::new();
    let flush = |block: &mut Vec<&str>, out: &mut Vec<(Kind, String)>, right: bool| {
        if block.is_empty() {
            return;
        }
        // Chinese text wraps without spaces; a line break inside a paragraph joins directly.
        let text: String = block.iter().map(|l| l.trim()).collect::<Vec<_>>().join("");
        block.clear();
        let kind = if right { Kind::Right } else { Kind::Body };
        out.push((kind, text));
    };
    for line in md.lines() {
        let t = line.trim();
        if t.is_empty() {
            flush(&mut block, &mut out, right);
        } else if t.chars().all(|c| c == '-') && t.len() >= 3 {
            flush(&mut block, &mut out, right);
            right = true;
        } else if let Some(h) = t.strip_prefix("## ") {
            flush(&mut block, &mut out, right);
            out.push((Kind::Centred, h.trim().to_string()));
        } else if let Some(h) = t.strip_prefix("# ") {
            flush(&mut block, &mut out, right);
            out.push((Kind::Title, h.trim().to_string()));
        } else {
            block.push(t);
        }
    }
    flush(&mut block, &mut out, right);
    out
}

/// The rendered Markdown as a .docx file (bytes): A4, title in 小标宋/黑体 22 pt, body in
/// 仿宋 16 pt, as official documents are set.
pub fn docx(md: &str) -> Result<Vec<u8>> {
    use docx_rs::{AlignmentType, Docx, Paragraph, Run, RunFonts, SpecialIndentType};
    let body_font = RunFonts::new().east_asia("仿宋").ascii("Times New Roman");
    let title_font = RunFonts::new()
        .east_asia("方正小标宋简体")
        .ascii("Times New Roman");
    let mut doc = Docx::new()
        .page_size(11906, 16838)
        .default_fonts(body_font.clone())
        .default_size(32);
    for (kind, text) in paragraphs(md) {
        let p = match kind {
            Kind::Title => Paragraph::new()
                .add_run(
                    Run::new()
                        .add_text(text)
                        .bold()
                        .size(44)
                        .fonts(title_font.clone()),
                )
                .align(AlignmentType::Center),
            Kind::Centred => Paragraph::new()
                .add_run(Run::new().add_text(text).size(32).fonts(body_font.clone()))
                .align(AlignmentType::Center),
            Kind::Right => Paragraph::new()
                .add_run(Run::new().add_text(text).size(32).fonts(body_font.clone()))
                .align(AlignmentType::Right),
            Kind::Body => Paragraph::new()
                .add_run(Run::new().add_text(text).size(32).fonts(body_font.clone()))
                .indent(None, Some(SpecialIndentType::FirstLine(640)), None, None),
        };
        doc = doc.add_paragraph(p);
    }
    let mut buf = std::io::Cursor::new(Vec::new());
    doc.build()
        .pack(&mut buf)
        .map_err(|e| anyhow!("cannot build the .docx: {e}"))?;
    Ok(buf.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Fields {
        PLACEHOLDERS
            .iter()
            .map(|p| (*p, format!("<{p}>")))
            .collect()
    }

    #[test]
    fn placeholders_filled_and_typos_refused() {
        let f = fields();
        let out = render("<!-- note\n -->\n# {institution}\n{{x}} {article}", "t", &f).unwrap();
        assert_eq!(out, "# <institution>\n{x} <article>");
        let e = render("{instituton}", "t.md", &f).unwrap_err().to_string();
        assert!(e.contains("t.md") && e.contains("{instituton}"), "{e}");
        assert!(render("{institution", "t", &f).is_err());
        assert!(render("a } b", "t", &f).is_err());
        assert!(render("<!-- open", "t", &f).is_err());
        let mut g = f.clone();
        g.insert("institution", "贵阳\x1b[31m学校\n第二行".into());
        assert_eq!(
            render("{institution}", "t", &g).unwrap(),
            "贵阳 [31m学校 第二行"
        );
    }

    #[test]
    fn builtin_templates_use_known_placeholders() {
        for (name, text) in crate::assets::TEMPLATES {
            let out = render(text, name, &fields()).unwrap();
            assert!(out.starts_with("# "), "{name}: {out}");
        }
    }

    #[test]
    fn layout_of_paragraphs() {
        let p = paragraphs(
            "# 标题\n\n## 文号\n\n正文第一行\n接第二行\n\n---\n\n落款\n\n2026年1月1日\n",
        );
        assert_eq!(
            p,
            vec![
                (Kind::Title, "标题".to_string()),
                (Kind::Centred, "文号".to_string()),
                (Kind::Body, "正文第一行接第二行".to_string()),
                (Kind::Right, "落款".to_string()),
                (Kind::Right, "2026年1月1日".to_string()),
            ]
        );
        assert_eq!(
            chinese_date(NaiveDate::from_ymd_opt(2026, 10, 8).unwrap()),
            "2026年10月8日"
        );
        assert_eq!(level_name(5), "五级/初级工");
    }
}
