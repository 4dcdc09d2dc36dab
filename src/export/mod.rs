//! Files for people outside pingshen: CSV and XLSX that Excel and WPS open as they are.
//! Text in them comes from the database, which holds what applicants and imports wrote, so
//! every text cell is cleaned of control characters, and in CSV a cell that a spreadsheet
//! would take for a formula is neutralised. A file is written beside its target and renamed
//! into place, so a failed export never leaves half a file.

pub mod catalogue;
pub mod renewal;

use anyhow::{bail, Context as _, Result};
use chrono::NaiveDate;
use std::borrow::Cow;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use unicode_width::UnicodeWidthStr;

/// One cell of an export, typed so that XLSX gets real numbers and dates.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// Shown with one decimal.
    Decimal(f64),
    Date(NaiveDate),
}

impl Cell {
    /// Text from the database, cleaned.
    pub fn text(s: &str) -> Cell {
        Cell::Text(clean(s))
    }

    /// A `YYYY-MM-DD` string as a date; anything else stays (cleaned) text rather than
    /// failing the whole export over one odd row.
    pub fn date(s: &str) -> Cell {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").map_or_else(|_| Cell::text(s), Cell::Date)
    }

    /// Counts are far below 2^63; saturate rather than wrap if one ever is not.
    pub fn count(n: u64) -> Cell {
        Cell::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }

    /// The cell as a CSV field: numbers and dates plain, text neutralised.
    pub fn csv_field(&self) -> Cow<'_, str> {
        match self {
            Cell::Text(s) => csv_safe(s),
            Cell::Int(n) => Cow::Owned(n.to_string()),
            Cell::Decimal(x) => Cow::Owned(format!("{x:.1}")),
            Cell::Date(d) => Cow::Owned(d.format("%Y-%m-%d").to_string()),
        }
    }

    /// Columns the cell takes on screen (CJK counts 2), as shown in a spreadsheet.
    pub fn width(&self) -> usize {
        match self {
            Cell::Text(s) => text_width(s),
            Cell::Date(_) => 10,
            other => other.csv_field().len(),
        }
    }
}

/// The file kinds an export can write, by the target's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Csv,
    Xlsx,
}

impl Kind {
    pub fn of(path: &Path) -> Result<Kind> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("csv") => Ok(Kind::Csv),
            Some("xlsx") => Ok(Kind::Xlsx),
            _ => bail!(
                "cannot export to {}: the file name must end in .csv or .xlsx",
                path.display()
            ),
        }
    }
}

/// Checks what can be checked before any work: the extension and the folder. Nothing is
/// written.
pub fn check_target(path: &Path) -> Result<Kind> {
    let kind = Kind::of(path)?;
    folder_of(path)?;
    Ok(kind)
}

/// The folder `path` will be written in, which must exist: creating folders from a mistyped
/// path would put the file where nobody looks for it.
fn folder_of(path: &Path) -> Result<PathBuf> {
    if path.file_name().is_none() {
        bail!("cannot export to {}: not a file name", path.display());
    }
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !folder.is_dir() {
        bail!(
            "cannot export to {}: folder {} does not exist",
            path.display(),
            folder.display()
        );
    }
    Ok(folder)
}

/// Writes `path` through `fill`: into a new temporary file in the same folder (so the rename
/// is atomic), synced, then renamed over `path`. On any error the temporary file is removed.
pub fn write_atomically(path: &Path, fill: impl FnOnce(&mut File) -> Result<()>) -> Result<()> {
    let folder = folder_of(path)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Hidden, and unique to this process and attempt: two exports never share one.
    let tmp = folder.join(format!(
        ".{name}.{}.{:08x}.tmp",
        std::process::id(),
        fastrand::u32(..)
    ));
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .with_context(|| {
            format!(
                "cannot export to {}: cannot create a file in {}",
                path.display(),
                folder.display()
            )
        })?;
    let done = fill(&mut file)
        .and_then(|()| {
            file.flush()?;
            file.sync_all()?;
            Ok(())
        })
        .and_then(|()| {
            drop(file);
            fs::rename(&tmp, path).map_err(anyhow::Error::from)
        });
    if let Err(e) = done {
        let _ = fs::remove_file(&tmp);
        return Err(e.context(format!("cannot export to {}", path.display())));
    }
    Ok(())
}

/// Drops control characters (C0 but tab, DEL, C1) and the bidi controls that reorder what a
/// reader sees; text in files needs no stand-in for them.
pub fn clean(s: &str) -> String {
    s.chars()
        .filter(|&c| c == '\t' || !crate::text::is_unsafe(c))
        .collect()
}

/// A cell a spreadsheet would read as a formula (=, +, -, @, or a leading tab or CR, which
/// some read past) gets an apostrophe in front; a plain number such as `-3` is left alone.
pub fn csv_safe(s: &str) -> Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') if !is_plain_number(s) => {
            Cow::Owned(format!("'{s}"))
        }
        _ => Cow::Borrowed(s),
    }
}

/// Whether a spreadsheet could take `s` for a formula: what [`csv_safe`] changes.
pub fn needs_quote(s: &str) -> bool {
    matches!(csv_safe(s), Cow::Owned(_))
}

/// An optional sign, digits, and at most one decimal point (no exponent, no `inf`): what
/// a spreadsheet reads as a number, not a formula.
fn is_plain_number(s: &str) -> bool {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let mut parts = body.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    !int.is_empty() && digits(int) && frac.is_none_or(|f| !f.is_empty() && digits(f))
}

/// Columns a string takes, East Asian wide characters counting 2.
pub fn text_width(s: &str) -> usize {
    s.width()
}

/// The widest column an export sets; longer text is still all there, in a narrower column.
pub const MAX_WIDTH: f64 = 60.0;

/// A width for each column from its widest cell (the header included), with a little room,
/// at most [`MAX_WIDTH`]. Set by hand because autofit measures CJK text too narrow.
pub fn column_widths(header: &[&str], rows: &[Vec<Cell>]) -> Vec<f64> {
    header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let widest = rows
                .iter()
                .filter_map(|r| r.get(i))
                .map(Cell::width)
                .chain(std::iter::once(text_width(h)))
                .max()
                .unwrap_or(0);
            // Two for the autofilter's button beside the header, and a margin.
            (widest as f64 + 3.0).min(MAX_WIDTH)
        })
        .collect()
}

/// Writes finished bytes (a document, a catalogue) through [`write_atomically`].
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomically(path, |f| {
        f.write_all(bytes)
            .with_context(|| format!("{}: cannot write", path.display()))
    })
}

/// The output format a file name asks for, by its extension (case-insensitive).
pub fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_numbers_are_not() {
        assert_eq!(csv_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_safe("+1+1"), "'+1+1");
        assert_eq!(csv_safe("-1+cmd"), "'-1+cmd");
        assert_eq!(csv_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_safe("\t=1"), "'\t=1");
        assert_eq!(csv_safe("-3"), "-3");
        assert_eq!(csv_safe("-12.5"), "-12.5");
        assert_eq!(csv_safe("+7"), "+7");
        assert_eq!(csv_safe("-"), "'-");
        assert_eq!(csv_safe("-1e5"), "'-1e5");
        assert_eq!(csv_safe("-inf"), "'-inf");
        assert_eq!(csv_safe("-3."), "'-3.");
        assert_eq!(csv_safe("贵阳=1"), "贵阳=1");
        assert!(!needs_quote("4-10-01-06"));
    }

    #[test]
    fn control_characters_are_dropped_tab_kept() {
        assert_eq!(
            clean("贵阳\x1b[31m\x07职业\r\n学校\u{202E}"),
            "贵阳[31m职业学校"
        );
        assert_eq!(clean("a\tb\u{9b}c\u{7f}"), "a\tbc");
    }

    #[test]
    fn widths_count_cjk_twice_and_are_capped() {
        assert_eq!(text_width("贵阳市"), 6);
        assert_eq!(text_width("abc"), 3);
        let rows = vec![
            vec![
                Cell::text("贵阳某某职业培训学校"),
                Cell::Int(-3),
                Cell::text(&"长".repeat(100)),
            ],
            vec![Cell::text("ab"), Cell::Int(12345), Cell::text("")],
        ];
        let w = column_widths(&["机构名称", "天数", "说明"], &rows);
        assert_eq!(w, vec![20.0 + 3.0, 5.0 + 3.0, MAX_WIDTH]);
    }

    #[test]
    fn dates_that_do_not_parse_stay_text() {
        assert_eq!(
            Cell::date("2026-11-30"),
            Cell::Date(NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default())
        );
        assert_eq!(Cell::date("30/11/2026"), Cell::Text("30/11/2026".into()));
    }

    #[test]
    fn target_checks_name_the_file() {
        let e = Kind::of(Path::new("out.txt")).unwrap_err().to_string();
        assert!(e.contains("out.txt") && e.contains(".csv or .xlsx"), "{e}");
        assert_eq!(Kind::of(Path::new("a/OUT.XLSX")).ok(), Some(Kind::Xlsx));
        let e = check_target(Path::new("/no/such/folder/out.csv"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("/no/such/folder/out.csv") && e.contains("does not exist"),
            "{e}"
        );
    }
}
