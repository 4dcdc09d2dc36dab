//! Certificate records (SPEC section 6) from CSV or XLSX: reading and checking each row
//! ([`Reader`], usable without a database) and the all-or-nothing import ([`import`]).
//!
//! CSV is streamed row by row, so a file of millions of rows needs little memory. XLSX is read
//! through calamine's cell reader, keeping only the columns we know: a stray cell far to the
//! right or below does not make a huge grid.

use crate::domain::credit_code;
use crate::domain::reference::is_occupation_code;
use crate::domain::validate::ValidateOptions;
use crate::store::certificates::{HolderId, NewCertificate, Writer};
use crate::store::Store;
use crate::text::sanitize;
use anyhow::anyhow;
use chrono::{Datelike, NaiveDate};
use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// Files above this are refused before anything is read.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// How many examples of warnings a report keeps.
pub const WARNING_EXAMPLES: usize = 5;

/// One problem in one row, numbered as a spreadsheet shows it (the header is row 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 0 when the problem is not in one row (bytes of the file that are not text).
    pub row: u64,
    /// The column (English header name); `None` for a problem with the row as a whole.
    pub field: Option<&'static str>,
    pub problem: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.row, self.field) {
            (0, _) => write!(f, "{}", self.problem),
            (row, Some(field)) => write!(f, "row {row}: {field}: {}", self.problem),
            (row, None) => write!(f, "row {row}: {}", self.problem),
        }
    }
}

impl std::error::Error for RowError {}

/// Rows kept but worth a look: certificate numbers off the 22-character form, credit codes
/// accepted with a wrong check character.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Warnings {
    /// Rows with at least one warning.
    pub count: u64,
    /// The first few, as `row N: field: what`.
    pub examples: Vec<String>,
}

impl Warnings {
    fn add(&mut self, row: u64, field: &str, what: String) {
        self.count += 1;
        if self.examples.len() < WARNING_EXAMPLES {
            self.examples.push(format!("row {row}: {field}: {what}"));
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    CertificateNo,
    CreditCode,
    OccupationCode,
    Level,
    IssuedOn,
    HolderName,
    HolderId,
}

impl Field {
    const ALL: [Field; 7] = [
        Field::CertificateNo,
        Field::CreditCode,
        Field::OccupationCode,
        Field::Level,
        Field::IssuedOn,
        Field::HolderName,
        Field::HolderId,
    ];

    fn name(self) -> &'static str {
        match self {
            Field::CertificateNo => "certificate_no",
            Field::CreditCode => "credit_code",
            Field::OccupationCode => "occupation_code",
            Field::Level => "level",
            Field::IssuedOn => "issued_on",
            Field::HolderName => "holder_name",
            Field::HolderId => "holder_id",
        }
    }

    fn zh(self) -> &'static str {
        match self {
            Field::CertificateNo => "证书编号",
            Field::CreditCode => "统一社会信用代码",
            Field::OccupationCode => "职业编码",
            Field::Level => "等级",
            Field::IssuedOn => "发证日期",
            Field::HolderName => "姓名",
            Field::HolderId => "身份证号",
        }
    }

    /// Other headers offices' systems write for the column.
    fn also_zh(self) -> &'static [&'static str] {
        match self {
            Field::CertificateNo => &["证书号", "证书编码"],
            Field::CreditCode => &["机构统一社会信用代码", "评价机构统一社会信用代码"],
            Field::OccupationCode => &["职业（工种）编码", "职业(工种)编码", "工种编码"],
            Field::Level => &["技能等级", "职业技能等级"],
            Field::IssuedOn => &["发证时间", "证书日期"],
            Field::HolderName => &["持证人姓名"],
            Field::HolderId => &["身份证号码", "证件号码"],
        }
    }

    fn required(self) -> bool {
        !matches!(self, Field::HolderName | Field::HolderId)
    }

    fn from_header(h: &str) -> Option<Field> {
        let h = h.trim().trim_start_matches('\u{feff}').trim();
        Field::ALL
            .into_iter()
            .find(|f| h.eq_ignore_ascii_case(f.name()) || h == f.zh() || f.also_zh().contains(&h))
    }
}

/// Which column (0-based) holds each field, indexed like `Field::ALL`.
#[derive(Debug, Clone, Copy)]
struct Columns([Option<usize>; 7]);

impl Columns {
    /// `row`: where the header is, for the messages.
    fn from_headers<'h>(
        row: u64,
        headers: impl Iterator<Item = (usize, &'h str)>,
    ) -> Result<Self, String> {
        let mut cols = [None; 7];
        for (col, h) in headers {
            if let Some(f) = Field::from_header(h) {
                let slot = &mut cols[f as usize];
                if slot.is_some() {
                    return Err(format!(
                        "row {row}: column {} ({}) appears twice in the header",
                        f.name(),
                        f.zh()
                    ));
                }
                *slot = Some(col);
            }
        }
        if let Some(f) = Field::ALL
            .into_iter()
            .find(|f| f.required() && cols[*f as usize].is_none())
        {
            return Err(format!(
                "row {row}: no column {} ({}) in the header; required: certificate_no, \
                 credit_code, occupation_code, level, issued_on",
                f.name(),
                f.zh()
            ));
        }
        Ok(Self(cols))
    }

    fn get(&self, f: Field) -> Option<usize> {
        self.0[f as usize]
    }
}

/// A cell as read: CSV gives text only, XLSX also numbers and dates.
#[derive(Debug, Clone, PartialEq)]
enum Value<'a> {
    Empty,
    Text(&'a str),
    Number(f64),
    Date(NaiveDate),
    /// A cell that can hold none of our fields (an error cell, a duration, a boolean).
    Other(&'a str),
}

impl Value<'_> {
    fn is_blank(&self) -> bool {
        match self {
            Value::Empty => true,
            Value::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

/// Owned cell of an XLSX sheet, only for the columns we read.
#[derive(Debug, Clone, PartialEq, Default)]
enum OwnedValue {
    #[default]
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Other(String),
}

impl OwnedValue {
    fn as_value(&self) -> Value<'_> {
        match self {
            OwnedValue::Empty => Value::Empty,
            OwnedValue::Text(s) => Value::Text(s),
            OwnedValue::Number(n) => Value::Number(*n),
            OwnedValue::Date(d) => Value::Date(*d),
            OwnedValue::Other(s) => Value::Other(s),
        }
    }
}

struct XlsxRow {
    row: u64,
    cells: [OwnedValue; 7],
}

enum Source {
    Csv(Box<CsvSource>),
    Xlsx(std::vec::IntoIter<XlsxRow>),
}

struct CsvSource {
    rdr: csv::Reader<Box<dyn Read + Send>>,
    rec: csv::StringRecord,
    /// Spreadsheet row of the last record read.
    row: u64,
    /// The reader's line after the last record, to count the blank lines a spreadsheet
    /// would show as rows.
    line: u64,
}

impl CsvSource {
    /// The next record and its row; `Ok(false)` at the end.
    fn advance(&mut self) -> Result<bool, RowError> {
        let more = self.rdr.read_record(&mut self.rec).map_err(|e| RowError {
            // The decoder reads ahead of the rows: its message gives the line instead.
            row: match e.kind() {
                csv::ErrorKind::Io(io) if io.kind() == io::ErrorKind::InvalidData => 0,
                _ => self.row + 1,
            },
            field: None,
            problem: csv_problem(&e),
        })?;
        if !more {
            return Ok(false);
        }
        let end = self.rdr.position().line();
        let consumed = end.saturating_sub(self.line);
        self.line = end;
        // Lines taken by the record itself: one, plus newlines inside quoted fields.
        let own = 1 + self.rec.as_slice().bytes().filter(|&b| b == b'\n').count() as u64;
        self.row += 1 + consumed.saturating_sub(own);
        Ok(true)
    }
}

fn csv_problem(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Io(io) if io.kind() == io::ErrorKind::InvalidData => io.to_string(),
        csv::ErrorKind::Io(io) => format!("cannot read: {io}"),
        csv::ErrorKind::Utf8 { .. } => "text is not UTF-8".into(),
        _ => format!("not valid CSV: {e}"),
    }
}

/// Reads and checks the rows of one file. Each item is one certificate or the first problem
/// found; after an error the caller should stop (the import does).
pub struct Reader {
    source: Source,
    columns: Columns,
    opts: ValidateOptions,
    file_bytes: u64,
    rows_read: u64,
    warnings: Warnings,
    /// Credit codes already checked, with the warning to give when accepted unverified.
    /// An import file has few institutions and many rows each.
    checked_codes: HashMap<String, Option<String>>,
}

impl Reader {
    /// Opens a `.csv` or `.xlsx` file and reads its header. The error is one line without
    /// the file name.
    pub fn open(path: &Path, opts: ValidateOptions) -> Result<Self, String> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        if ext != "csv" && ext != "xlsx" {
            return Err(match ext.as_str() {
                "xls" | "et" => "an old-format spreadsheet: save it as .xlsx or as CSV".into(),
                "" => "no file extension: give a .csv or .xlsx file".into(),
                other => format!("a .{} file: give a .csv or .xlsx file", sanitize(other)),
            });
        }
        let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
        if !meta.is_file() {
            return Err("not a file".into());
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(format!(
                "{:.1} GiB is more than the 1 GiB an import file may have; split it",
                meta.len() as f64 / (1u64 << 30) as f64
            ));
        }
        let (source, columns) = if ext == "csv" {
            open_csv(path)?
        } else {
            open_xlsx(path)?
        };
        Ok(Self {
            source,
            columns,
            opts,
            file_bytes: meta.len(),
            rows_read: 0,
            warnings: Warnings::default(),
            checked_codes: HashMap::new(),
        })
    }

    /// About how many rows the file has: exact for XLSX, from the size for CSV (a row of
    /// certificate_no, credit_code, occupation_code, level and issued_on alone is some 70
    /// bytes; holder columns make it more).
    pub fn expected_rows(&self) -> u64 {
        match &self.source {
            Source::Csv(_) => self.file_bytes / 100,
            Source::Xlsx(rows) => rows.len() as u64,
        }
    }

    /// Certificate rows read so far (blank rows are skipped, not counted).
    pub fn rows_read(&self) -> u64 {
        self.rows_read
    }

    pub fn warnings(&self) -> &Warnings {
        &self.warnings
    }
}

impl Iterator for Reader {
    type Item = Result<NewCertificate, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let Reader {
            source,
            columns,
            opts,
            rows_read,
            warnings,
            checked_codes,
            ..
        } = self;
        let mut check = Check {
            opts: *opts,
            warnings,
            checked_codes,
        };
        loop {
            let parsed = match source {
                Source::Csv(csv) => {
                    match csv.advance() {
                        Ok(true) => {}
                        Ok(false) => return None,
                        Err(e) => return Some(Err(e)),
                    }
                    let rec = &csv.rec;
                    let get = |f: Field| match columns.get(f).and_then(|c| rec.get(c)) {
                        Some(s) => Value::Text(s),
                        None => Value::Empty,
                    };
                    if Field::ALL.iter().all(|&f| get(f).is_blank()) {
                        continue;
                    }
                    check.row(csv.row, get)
                }
                Source::Xlsx(rows) => {
                    let r = rows.next()?;
                    let get = |f: Field| r.cells[f as usize].as_value();
                    if Field::ALL.iter().all(|&f| get(f).is_blank()) {
                        continue;
                    }
                    check.row(r.row, get)
                }
            };
            *rows_read += 1;
            return Some(parsed);
        }
    }
}

struct Check<'a> {
    opts: ValidateOptions,
    warnings: &'a mut Warnings,
    checked_codes: &'a mut HashMap<String, Option<String>>,
}

impl Check<'_> {
    fn row<'v>(
        &mut self,
        row: u64,
        get: impl Fn(Field) -> Value<'v>,
    ) -> Result<NewCertificate, RowError> {
        let err = |f: Field, problem: String| RowError {
            row,
            field: Some(f.name()),
            problem,
        };
        let text = |f: Field| -> Result<Option<String>, RowError> {
            text_of(&get(f)).map_err(|p| err(f, p))
        };
        let required = |f: Field| -> Result<String, RowError> {
            text(f)?.ok_or_else(|| err(f, "is empty".into()))
        };

        let certificate_no = required(Field::CertificateNo)?;
        // A row counts once among the warnings: its first one is the example.
        let mut warning: Option<(Field, String)> = None;
        if !is_certificate_no_form(&certificate_no) {
            warning = Some((
                Field::CertificateNo,
                format!(
                    "{} does not follow the 22-character form (kept)",
                    quoted(&certificate_no)
                ),
            ));
        }

        let mut credit_code = required(Field::CreditCode)?;
        credit_code.make_ascii_uppercase();
        let unverified = match self.checked_codes.get(credit_code.as_str()) {
            Some(w) => w.clone(),
            None => {
                let w = self
                    .check_credit_code(&credit_code)
                    .map_err(|p| err(Field::CreditCode, p))?;
                self.checked_codes.insert(credit_code.clone(), w.clone());
                w
            }
        };
        if let Some(w) = unverified {
            warning.get_or_insert((Field::CreditCode, w));
        }

        let occupation_code = required(Field::OccupationCode)?;
        if !is_occupation_code(&occupation_code) {
            return Err(err(
                Field::OccupationCode,
                format!(
                    "{} is not an occupation code (D-DD-DD-DD, e.g. 4-10-01-06)",
                    quoted(&occupation_code)
                ),
            ));
        }

        let level = level_of(&get(Field::Level)).map_err(|p| err(Field::Level, p))?;
        let issued_on = date_of(&get(Field::IssuedOn)).map_err(|p| err(Field::IssuedOn, p))?;
        let holder_name = text(Field::HolderName)?;
        let holder_id = text(Field::HolderId)?;
        if let Some(id) = holder_id.as_deref().filter(|id| looks_rounded(id)) {
            return Err(err(
                Field::HolderId,
                format!(
                    "{} is an ID number a spreadsheet turned into a rounded number; \
                     format the column as text and export again",
                    quoted(id)
                ),
            ));
        }

        if let Some((f, w)) = warning {
            self.warnings.add(row, f.name(), w);
        }
        Ok(NewCertificate {
            certificate_no,
            credit_code,
            occupation_code,
            level,
            issued_on,
            holder_name,
            holder_id,
        })
    }
}

impl Check<'_> {
    /// `Ok(Some(warning))` for a code let through with a wrong check character.
    fn check_credit_code(&self, code: &str) -> Result<Option<String>, String> {
        match credit_code::verify(code) {
            Ok(()) => Ok(None),
            Err(e) if e.is_check_failure() && self.opts.accept_unverified_credit_code => {
                Ok(Some(format!(
                    "{}: {e} (accepted by --accept-unverified-credit-code)",
                    quoted(code)
                )))
            }
            Err(e) if e.is_check_failure() => Err(format!(
                "{}: {e} (a legacy code may be let through with --accept-unverified-credit-code)",
                quoted(code)
            )),
            Err(e) => Err(format!("{}: {e}", quoted(code))),
        }
    }
}

/// A value shown in a message: stripped of control characters, cut if long, in quotes.
fn quoted(s: &str) -> String {
    const MAX: usize = 40;
    let clean = sanitize(s);
    if clean.chars().count() > MAX {
        let cut: String = clean.chars().take(MAX).collect();
        format!("\"{cut}…\"")
    } else {
        format!("\"{clean}\"")
    }
}

/// `Y`|`S`, then 21 digits or capitals, with the level digit (16th) from 1 to 5.
pub fn is_certificate_no_form(no: &str) -> bool {
    let b = no.as_bytes();
    b.len() == 22
        && matches!(b[0], b'Y' | b'S')
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        && (b'1'..=b'5').contains(&b[15])
}

/// `5.20102E+17`: what Excel makes of an 18-digit number, the digits past 15 lost.
fn looks_rounded(s: &str) -> bool {
    s.contains(['E', 'e']) && s.parse::<f64>().is_ok()
}

/// Text of a cell, trimmed; `None` when blank. A number cell (an ID typed into a spreadsheet)
/// is taken only while it is exact: Excel keeps 15 significant digits.
fn text_of(v: &Value<'_>) -> Result<Option<String>, String> {
    match v {
        Value::Empty => Ok(None),
        Value::Text(s) => {
            let t = s.trim();
            Ok((!t.is_empty()).then(|| t.to_string()))
        }
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => Ok(Some(format!("{n:.0}"))),
        Value::Number(n) => Err(format!(
            "{n} is a number cell the spreadsheet may have rounded; format the column as text"
        )),
        Value::Date(d) => Err(format!("{d} is a date cell, not text")),
        Value::Other(s) => Err(format!("{} cannot be read as text", quoted(s))),
    }
}

fn level_of(v: &Value<'_>) -> Result<u8, String> {
    let bad = |shown: String| format!("{shown} is not a skill level (1 to 5)");
    if v.is_blank() {
        return Err("is empty".into());
    }
    let n = match v {
        Value::Empty => return Err("is empty".into()),
        Value::Number(n) => *n,
        // "3", and "3.0" as spreadsheets write a whole number; and the grade as a certificate
        // names it: 三级, 三级/高级工, 3级 (一级 is the highest, 五级 the first).
        Value::Text(s) => match level_in_words(s.trim()) {
            Some(l) => f64::from(l),
            None => s.trim().parse::<f64>().map_err(|_| bad(quoted(s)))?,
        },
        Value::Date(d) => return Err(bad(d.to_string())),
        Value::Other(s) => return Err(bad(quoted(s))),
    };
    if n.fract() == 0.0 && (1.0..=5.0).contains(&n) {
        Ok(n as u8)
    } else {
        Err(bad(match v {
            Value::Text(s) => quoted(s),
            _ => format!("{n}"),
        }))
    }
}

/// 一级 … 五级 (or 1级 … 5级), alone or followed by the grade's name (三级/高级工).
fn level_in_words(s: &str) -> Option<u8> {
    let (digit, rest) = s.split_once('级')?;
    let rest = rest.trim_start_matches(['/', '（', '(', ' ']);
    let named = ["", "高级技师", "技师", "高级工", "中级工", "初级工"];
    let n = match digit.trim() {
        "一" | "1" => 1,
        "二" | "2" => 2,
        "三" | "3" => 3,
        "四" | "4" => 4,
        "五" | "5" => 5,
        _ => return None,
    };
    let name = rest.trim_end_matches(['）', ')']);
    (name.is_empty() || named.get(n as usize) == Some(&name)).then_some(n)
}

/// Issue dates before this or after the last are surely a wrong column or a typo.
const FIRST_YEAR: i32 = 1950;
const LAST_YEAR: i32 = 2099;

fn date_of(v: &Value<'_>) -> Result<NaiveDate, String> {
    if v.is_blank() {
        return Err("is empty".into());
    }
    let d = match v {
        Value::Empty => return Err("is empty".into()),
        Value::Date(d) => *d,
        Value::Number(n) => excel_serial_date(*n)
            .ok_or_else(|| format!("{n} is not a date (an Excel date number was expected)"))?,
        Value::Text(s) => parse_date(s.trim())
            .ok_or_else(|| format!("{} is not a date (YYYY-MM-DD or YYYY/MM/DD)", quoted(s)))?,
        Value::Other(s) => return Err(format!("{} is not a date", quoted(s))),
    };
    if !(FIRST_YEAR..=LAST_YEAR).contains(&d.year()) {
        return Err(format!(
            "{d} is not a plausible issue date ({FIRST_YEAR} to {LAST_YEAR})"
        ));
    }
    Ok(d)
}

/// `YYYY-MM-DD` or `YYYY/MM/DD` (month and day may have one digit, as spreadsheets export
/// them), optionally followed by a time of day, which is ignored.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    // 2026年10月8日, as Chinese offices write dates.
    if let Some((y, rest)) = s.split_once('年') {
        let (m, rest) = rest.split_once('月')?;
        let d = rest.strip_suffix('日').unwrap_or(rest);
        return parse_date(&format!("{}-{}-{}", y.trim(), m.trim(), d.trim()));
    }
    let (date, time) = match s.find([' ', 'T']) {
        Some(i) => (&s[..i], s[i + 1..].trim()),
        None => (s, ""),
    };
    if !time
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b':' || b == b'.')
    {
        return None;
    }
    let sep = if date.contains('/') {
        '/'
    } else if date.contains('.') {
        '.'
    } else {
        '-'
    };
    let mut parts = date.split(sep);
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some()
        || y.len() != 4
        || !(1..=2).contains(&m.len())
        || !(1..=2).contains(&d.len())
        || ![y, m, d]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// A date number of Excel's 1900 system (day 1 is 1900-01-01; days from 61 on are counted
/// from 1899-12-30 because of Excel's fictitious 1900-02-29). Time of day is dropped.
pub fn excel_serial_date(n: f64) -> Option<NaiveDate> {
    if !n.is_finite() || !(61.0..2_958_466.0).contains(&n) {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_days(chrono::Days::new(n.floor() as u64))
}

fn open_csv(path: &Path) -> Result<(Source, Columns), String> {
    let read_err = |e: io::Error| format!("cannot read: {e}");
    let encoding = sniff_encoding(path).map_err(read_err)?;
    let file = File::open(path).map_err(read_err)?;
    let input: Box<dyn Read + Send> = match encoding {
        TextEncoding::Utf8 => Box::new(file),
        TextEncoding::Gb18030 => Box::new(Gb18030Reader::new(file)),
        TextEncoding::Utf16 => {
            return Err(
                "UTF-16 text (Excel's \"Unicode text\"): save it as CSV UTF-8 or as .xlsx".into(),
            )
        }
    };
    let rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        // Rows shorter than the header (trailing empty cells dropped) are read as blank.
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(input);
    let mut src = CsvSource {
        rdr,
        rec: csv::StringRecord::new(),
        row: 0,
        line: 1,
    };
    let header = |e: RowError| e.to_string();
    if !src.advance().map_err(header)? {
        return Err("the file is empty: no header row".into());
    }
    let columns = Columns::from_headers(src.row, src.rec.iter().enumerate())?;
    Ok((Source::Csv(Box::new(src)), columns))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextEncoding {
    Utf8,
    Gb18030,
    Utf16,
}

/// UTF-8 when every byte of the file is valid UTF-8 (BOM or not), else GB18030, the encoding
/// Chinese Excel saves "CSV" in. One pass over the file: the OS keeps it cached for the next.
fn sniff_encoding(path: &Path) -> io::Result<TextEncoding> {
    let mut f = File::open(path)?;
    let mut buf = vec![0u8; 1 << 18];
    // Bytes of a character cut by the end of the previous chunk.
    let mut carry = 0usize;
    let mut first = true;
    loop {
        let n = read_full(&mut f, &mut buf[carry..])?;
        let len = carry + n;
        if first {
            first = false;
            if buf[..len].starts_with(&[0xFF, 0xFE]) || buf[..len].starts_with(&[0xFE, 0xFF]) {
                return Ok(TextEncoding::Utf16);
            }
        }
        match std::str::from_utf8(&buf[..len]) {
            Ok(_) => carry = 0,
            Err(e) if e.error_len().is_none() && n > 0 => {
                let valid = e.valid_up_to();
                buf.copy_within(valid..len, 0);
                carry = len - valid;
            }
            Err(_) => return Ok(TextEncoding::Gb18030),
        }
        if n == 0 {
            return Ok(TextEncoding::Utf8);
        }
    }
}

/// Fills `buf` unless the end of the input comes first; returns the bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// GB18030 bytes in, UTF-8 out, streaming. Bytes that are not GB18030 either are an error,
/// not replacement characters: the file is then in some other encoding.
struct Gb18030Reader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    in_pos: usize,
    in_end: usize,
    output: Vec<u8>,
    out_pos: usize,
    out_end: usize,
    eof: bool,
    done: bool,
    /// Lines decoded so far, to say where bad bytes are.
    lines: u64,
}

impl<R: Read> Gb18030Reader<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            decoder: encoding_rs::GB18030.new_decoder(),
            input: vec![0; 1 << 16],
            in_pos: 0,
            in_end: 0,
            // GB18030 never takes more than 2 UTF-8 bytes per input byte, less a little.
            output: vec![0; 3 << 16],
            out_pos: 0,
            out_end: 0,
            eof: false,
            done: false,
            lines: 0,
        }
    }
}

impl<R: Read> Read for Gb18030Reader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        use encoding_rs::DecoderResult;
        while self.out_pos == self.out_end {
            if self.done {
                return Ok(0);
            }
            if self.in_pos == self.in_end && !self.eof {
                self.in_end = read_full(&mut self.inner, &mut self.input)?;
                self.in_pos = 0;
                self.eof = self.in_end == 0;
            }
            let (result, read, written) = self.decoder.decode_to_utf8_without_replacement(
                &self.input[self.in_pos..self.in_end],
                &mut self.output,
                self.eof,
            );
            self.in_pos += read;
            self.out_pos = 0;
            self.out_end = written;
            self.lines += self.output[..written]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            match result {
                DecoderResult::Malformed(..) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "line {}: bytes that are neither UTF-8 nor GB18030 text; \
                             save the file as CSV UTF-8",
                            self.lines + 1
                        ),
                    ))
                }
                DecoderResult::InputEmpty if self.eof => self.done = true,
                _ => {}
            }
        }
        let n = out.len().min(self.out_end - self.out_pos);
        out[..n].copy_from_slice(&self.output[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

fn open_xlsx(path: &Path) -> Result<(Source, Columns), String> {
    use calamine::{DataRef, Reader as _, Xlsx};
    let bad = |e: calamine::XlsxError| format!("cannot read the spreadsheet: {e}");
    let mut book: Xlsx<_> = calamine::open_workbook(path).map_err(bad)?;
    let first = book
        .sheet_names()
        .into_iter()
        .next()
        .ok_or("the workbook has no sheet")?;
    let mut cells = book.worksheet_cells_reader(&first).map_err(bad)?;

    // The header is the first row with anything in it.
    let mut header: Vec<(usize, String)> = Vec::new();
    let mut header_row: Option<u32> = None;
    // Set once the header row is complete: the columns and, by column number, the field.
    let mut layout: Option<(Columns, HashMap<usize, usize>)> = None;
    let mut rows: Vec<XlsxRow> = Vec::new();

    while let Some(cell) = cells.next_cell().map_err(bad)? {
        let (r, c) = cell.get_position();
        let value = match cell.get_value() {
            DataRef::Empty => continue,
            DataRef::String(s) | DataRef::DateTimeIso(s) => OwnedValue::Text(s.clone()),
            DataRef::SharedString(s) => OwnedValue::Text((*s).to_string()),
            DataRef::Int(i) => OwnedValue::Number(*i as f64),
            DataRef::Float(f) => OwnedValue::Number(*f),
            DataRef::DateTime(dt) if dt.is_datetime() => {
                let (y, m, d, ..) = dt.to_ymd_hms_milli();
                match NaiveDate::from_ymd_opt(y.into(), m.into(), d.into()) {
                    Some(date) => OwnedValue::Date(date),
                    None => OwnedValue::Other(dt.to_string()),
                }
            }
            DataRef::DateTime(dt) => OwnedValue::Other(dt.to_string()),
            DataRef::DurationIso(s) => OwnedValue::Other(s.clone()),
            DataRef::Bool(b) => OwnedValue::Other(b.to_string()),
            DataRef::Error(e) => OwnedValue::Other(format!("#{e:?}")),
        };
        let c = c as usize;
        if header_row.is_none_or(|h| h == r) {
            header_row = Some(r);
            header.push((c, text_or_empty(value)));
            continue;
        }
        if layout.is_none() {
            let cols = xlsx_columns(&header, header_row)?;
            let field_at = Field::ALL
                .iter()
                .enumerate()
                .filter_map(|(i, &f)| cols.get(f).map(|c| (c, i)))
                .collect();
            layout = Some((cols, field_at));
        }
        let Some(&i) = layout.as_ref().and_then(|(_, at)| at.get(&c)) else {
            continue;
        };
        let row = u64::from(r) + 1;
        match rows.last_mut() {
            Some(last) if last.row == row => last.cells[i] = value,
            _ => {
                let mut cells: [OwnedValue; 7] = Default::default();
                cells[i] = value;
                rows.push(XlsxRow { row, cells });
            }
        }
    }
    let columns = match layout {
        Some((cols, _)) => cols,
        None if header_row.is_some() => xlsx_columns(&header, header_row)?,
        None => return Err("the first sheet is empty: no header row".into()),
    };
    Ok((Source::Xlsx(rows.into_iter()), columns))
}

fn text_or_empty(v: OwnedValue) -> String {
    match v {
        OwnedValue::Text(s) => s,
        _ => String::new(),
    }
}

fn xlsx_columns(header: &[(usize, String)], row: Option<u32>) -> Result<Columns, String> {
    let row = row.map_or(1, |r| u64::from(r) + 1);
    Columns::from_headers(row, header.iter().map(|(c, s)| (*c, s.as_str())))
}

/// What one import did, for the report.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub file: String,
    pub rows: u64,
    pub added: u64,
    pub duplicates: u64,
    /// The first few duplicate certificate numbers.
    pub duplicate_examples: Vec<String>,
    pub warnings: Warnings,
}

/// Page cache for the import transaction (KiB, as SQLite's negative `cache_size` counts):
/// a million random-order keys touch most pages of the table and its index.
const IMPORT_CACHE_KIB: i64 = 512 * 1024;

/// Reads `path` and writes all its certificates in one transaction, or nothing: any error
/// (one line naming the file, row and field) rolls back, the `imports` row included.
pub fn import(
    store: &mut Store,
    account: &str,
    path: &Path,
    opts: ValidateOptions,
) -> anyhow::Result<Report> {
    let file = path.display().to_string();
    let fail = |what: &dyn fmt::Display| anyhow!("{file}: {what}; nothing was imported");
    let mut reader = Reader::open(path, opts).map_err(|e| fail(&e))?;
    // Made before the transaction (on first use only); it is not part of the import.
    let salt = store.salt()?;

    let cache: i64 = store
        .conn
        .pragma_query_value(None, "cache_size", |r| r.get(0))?;
    store
        .conn
        .pragma_update(None, "cache_size", -IMPORT_CACHE_KIB)?;
    let result = write_all(store, account, &file, &salt, &mut reader, &fail);
    // The connection goes on with its usual cache whatever happened.
    let restored = store.conn.pragma_update(None, "cache_size", cache);
    let report = result?;
    restored?;
    Ok(report)
}

/// Rows go from the reading thread to the writing one in batches of this many.
const BATCH: usize = 1 << 16;

/// A checked row with its holder's ID already hashed.
type Ready = (NewCertificate, Option<HolderId>);

fn write_all(
    store: &mut Store,
    account: &str,
    file: &str,
    salt: &str,
    reader: &mut Reader,
    fail: &dyn Fn(&dyn fmt::Display) -> anyhow::Error,
) -> anyhow::Result<Report> {
    let tx = store.conn.transaction()?;
    let expected = reader.expected_rows();
    let rows = &mut *reader;
    // Reading and checking the file runs beside SQLite, on the machine's other core. At most
    // four batches (some 100 MB for 64 Ki rows each) are held at once.
    let mut writer = Writer::begin_bulk(&tx, account, file, salt, expected)?;
    let mut checker = writer.checker();
    let checked = checker.is_some();
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let (send, batches) = std::sync::mpsc::sync_channel::<Result<Vec<Ready>, RowError>>(2);
        // Stored batches go back to the reading thread to be emptied there: memory is freed
        // by the thread that allocated it, which glibc's allocator does far more cheaply.
        let (give_back, returned) = std::sync::mpsc::channel::<Vec<Ready>>();
        let checker = &mut checker;
        scope.spawn(move || {
            let fresh = || match returned.try_recv() {
                Ok(mut used) => {
                    used.clear();
                    used
                }
                Err(_) => Vec::with_capacity(BATCH),
            };
            let mut batch = fresh();
            for row in rows {
                match row {
                    Ok(cert) => {
                        // A repeated number is counted here and goes no further.
                        if checker.as_mut().is_some_and(|c| !c.admit(&cert)) {
                            continue;
                        }
                        let holder = HolderId::of(salt, &cert);
                        batch.push((cert, holder));
                    }
                    Err(e) => {
                        // The writer stops at the error; a closed channel means it already has.
                        let _ = send.send(Err(e));
                        return;
                    }
                }
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, fresh());
                    if send.send(Ok(full)).is_err() {
                        return;
                    }
                }
            }
            if !batch.is_empty() {
                let _ = send.send(Ok(batch));
            }
        });
        for batch in batches {
            let batch = batch.map_err(|e| fail(&e))?;
            if checked {
                // A failure here is not a row's fault (the checker admitted them all): the
                // disk, say. Its message names no row.
                writer
                    .add_checked_many(&batch)
                    .map_err(|e| fail(&format!("cannot store the certificates: {e}")))?;
                // The reader may have finished; then the batch is freed here.
                let _ = give_back.send(batch);
                continue;
            }
            for (cert, holder) in batch {
                writer
                    .add_with_holder(&cert, holder.as_ref())
                    .map_err(|e| {
                        fail(&format!(
                            "cannot store {}: {e}",
                            quoted(&cert.certificate_no)
                        ))
                    })?;
            }
        }
        Ok(())
    })?;
    if let Some(c) = checker {
        writer.join(c);
    }
    let inserted = writer;
    // The reading thread has ended: its warnings are complete.
    let inserted = inserted.finish(account, file, reader.warnings().count)?;
    tx.commit()?;
    Ok(Report {
        file: file.to_string(),
        rows: inserted.rows,
        added: inserted.added,
        duplicates: inserted.duplicates,
        duplicate_examples: inserted.duplicate_examples,
        warnings: reader.warnings().clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_number_form() {
        assert!(is_certificate_no_form("Y000152000001253000001"));
        assert!(is_certificate_no_form("S0A1B52000001251000001"));
        // Level digit 6, lower case, 21 characters, leading X.
        assert!(!is_certificate_no_form("Y000152000001256000001"));
        assert!(!is_certificate_no_form("y000152000001253000001"));
        assert!(!is_certificate_no_form("Y00015200000125300001"));
        assert!(!is_certificate_no_form("X000152000001253000001"));
        assert!(!is_certificate_no_form("Y00015200000125300000一"));
    }

    #[test]
    fn dates() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(parse_date("2024-03-05"), d(2024, 3, 5));
        assert_eq!(parse_date("2024/03/05"), d(2024, 3, 5));
        assert_eq!(parse_date("2024/3/5"), d(2024, 3, 5));
        assert_eq!(parse_date("2024-03-05 00:00:00"), d(2024, 3, 5));
        assert_eq!(parse_date("2024-02-30"), None);
        assert_eq!(parse_date("05/03/2024"), None);
        assert_eq!(parse_date("2024-03-05 noon"), None);
        assert_eq!(parse_date("20240305"), None);
        assert_eq!(parse_date("2026.10.07"), d(2026, 10, 7));
        assert_eq!(parse_date("2026年10月8日"), d(2026, 10, 8));
        assert_eq!(parse_date("2026年2月30日"), None);
        assert_eq!(parse_date("2026年10月"), None);
        assert_eq!(excel_serial_date(45352.0), d(2024, 3, 1));
        assert_eq!(excel_serial_date(45352.75), d(2024, 3, 1));
        assert_eq!(excel_serial_date(-1.0), None);
        assert!(date_of(&Value::Number(3.0)).is_err());
        assert!(date_of(&Value::Text("1900-01-01")).is_err());
    }

    #[test]
    fn levels() {
        assert_eq!(level_of(&Value::Text("3")), Ok(3));
        assert_eq!(level_of(&Value::Text(" 3.0 ")), Ok(3));
        assert_eq!(level_of(&Value::Number(5.0)), Ok(5));
        assert_eq!(level_of(&Value::Text("三级")), Ok(3));
        assert_eq!(level_of(&Value::Text("三级/高级工")), Ok(3));
        assert_eq!(level_of(&Value::Text("一级（高级技师）")), Ok(1));
        assert_eq!(level_of(&Value::Text("5级")), Ok(5));
        assert!(level_of(&Value::Text("三级/技师")).is_err());
        assert!(level_of(&Value::Text("六级")).is_err());
        assert_eq!(
            level_of(&Value::Text("9")),
            Err("\"9\" is not a skill level (1 to 5)".into())
        );
        assert!(level_of(&Value::Number(2.5)).is_err());
        assert!(level_of(&Value::Text("0")).is_err());
        assert!(level_of(&Value::Empty).is_err());
    }

    #[test]
    fn number_cells_as_text() {
        assert_eq!(text_of(&Value::Number(4.0)), Ok(Some("4".into())));
        assert!(text_of(&Value::Number(520102199001011234.0)).is_err());
        assert_eq!(text_of(&Value::Text("  ")), Ok(None));
    }

    #[test]
    fn headers_in_either_language() {
        let cols = Columns::from_headers(
            1,
            [
                "证书编号",
                " Credit_Code ",
                "职业编码",
                "LEVEL",
                "\u{feff}issued_on",
                "x",
            ]
            .into_iter()
            .enumerate(),
        )
        .expect("columns");
        assert_eq!(cols.get(Field::CreditCode), Some(1));
        assert_eq!(cols.get(Field::IssuedOn), Some(4));
        assert_eq!(cols.get(Field::HolderId), None);
        let missing =
            Columns::from_headers(1, ["certificate_no", "credit_code"].into_iter().enumerate())
                .err()
                .unwrap_or_default();
        assert!(missing.contains("occupation_code"), "{missing}");
    }

    #[test]
    fn gb18030_stream_decodes_across_buffers() {
        let text = "姓名,证书编号\n".repeat(20_000);
        let (bytes, _, _) = encoding_rs::GB18030.encode(&text);
        let mut out = String::new();
        Gb18030Reader::new(&bytes[..])
            .read_to_string(&mut out)
            .expect("decodes");
        assert_eq!(out, text);
        let mut bad = Gb18030Reader::new(&[0x41, 0xFF, 0x41][..]);
        assert!(bad.read_to_string(&mut String::new()).is_err());
    }
}
