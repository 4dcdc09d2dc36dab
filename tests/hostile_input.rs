//! Proof under real conditions: input made to break the program. Property tests throw random
//! and mutated application JSON at `parse_application` and random and mutated CSV bytes at the
//! certificate `Reader`; nothing may panic, and every refusal must say where (a field path, a
//! row). Oversized files are refused before they are read into memory, with nothing written.
//!
//! Case counts are modest so that the suite stays fast in a debug build; raise them for a
//! longer hunt with `PROPTEST_CASES=5000 cargo test --test hostile_input`.

mod common;

use pingshen::domain::validate::{parse_application, FieldError, ValidateOptions};
use pingshen::import::certificates::{Reader, RowError, MAX_FILE_BYTES};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_pingshen");

fn divisions() -> &'static pingshen::assets::Reference {
    static R: OnceLock<pingshen::assets::Reference> = OnceLock::new();
    R.get_or_init(common::reference)
}

fn config(default_cases: u32) -> ProptestConfig {
    // PROPTEST_CASES, when set, wins (proptest reads it into the default config).
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    ProptestConfig {
        cases,
        // A failure is shrunk, but not for ever.
        max_shrink_iters: 256,
        ..ProptestConfig::default()
    }
}

// ------------------------------------------------------------------ application JSON

/// Text that tries the terminal and the parser: escapes, C1, bidi, NUL, lone surrogates'
/// neighbours, very long runs.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\u{1b}[2J\u{1b}]52;c;ZXZpbA==\u{7}".to_string()),
        Just("\u{9b}31m\u{202e}\u{2066}abc\u{2069}".to_string()),
        Just("\0\r\n\t\u{7f}".to_string()),
        Just("贵阳".repeat(5000)),
        Just(String::new()),
        Just("   ".to_string()),
        Just("2026-02-30".to_string()),
        Just("52".to_string()),
        Just("4-10-01-06".to_string()),
        ".{0,40}",
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        prop_oneof![
            Just(0.5f64),
            Just(-1.0),
            Just(1e308),
            Just(-0.0),
            Just(4294967296.0)
        ]
        .prop_map(|f| json!(f)),
        (0u8..=7).prop_map(|n| json!(n)),
        hostile_text().prop_map(Value::String),
    ]
}

fn any_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-z_]{1,12}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    Idx(usize),
}

/// Every node of `v` (the root included) as the path from the root.
fn paths(v: &Value, here: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    out.push(here.clone());
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                here.push(Seg::Key(k.clone()));
                paths(c, here, out);
                here.pop();
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                here.push(Seg::Idx(i));
                paths(c, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn node<'v>(v: &'v mut Value, path: &[Seg]) -> &'v mut Value {
    path.iter().fold(v, |v, s| match s {
        Seg::Key(k) => &mut v[k.as_str()],
        Seg::Idx(i) => &mut v[*i],
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(Value),
    Remove,
    AddUnknownKey(String, Value),
    WrapInArray,
    Stringify,
    Duplicate,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => any_value().prop_map(Mutation::Replace),
        2 => Just(Mutation::Remove),
        1 => ("[a-z_]{1,10}", leaf()).prop_map(|(k, v)| Mutation::AddUnknownKey(k, v)),
        1 => Just(Mutation::WrapInArray),
        1 => Just(Mutation::Stringify),
        1 => Just(Mutation::Duplicate),
    ]
}

/// Applies `m` at the `pick`-th node (modulo the number of nodes).
fn mutate(v: &mut Value, pick: usize, m: &Mutation) {
    let mut all = Vec::new();
    paths(v, &mut Vec::new(), &mut all);
    let path = &all[pick % all.len()];
    match m {
        Mutation::Replace(x) => *node(v, path) = x.clone(),
        Mutation::Remove => match path.split_last() {
            Some((Seg::Key(k), parent)) => {
                if let Value::Object(o) = node(v, parent) {
                    o.remove(k);
                }
            }
            Some((Seg::Idx(i), parent)) => {
                if let Value::Array(a) = node(v, parent) {
                    a.remove(*i);
                }
            }
            None => *v = Value::Null,
        },
        Mutation::AddUnknownKey(k, x) => match node(v, path) {
            Value::Object(o) => {
                o.insert(k.clone(), x.clone());
            }
            other => *other = json!({ k.clone(): x.clone() }),
        },
        Mutation::WrapInArray => {
            let n = node(v, path);
            *n = Value::Array(vec![n.take()]);
        }
        Mutation::Stringify => {
            let n = node(v, path);
            *n = Value::String(n.to_string());
        }
        Mutation::Duplicate => {
            let n = node(v, path);
            if let Value::Array(a) = n {
                if let Some(first) = a.first().cloned() {
                    a.push(first);
                }
            }
        }
    }
}

/// A field path as the validator writes it: `institution.name`, `occupations[0].levels[1]`.
fn is_field_path(p: &str) -> bool {
    let re = regex_path();
    re.is_match(p)
}

fn regex_path() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(
            r"^(\[\d+\]|[A-Za-z_][A-Za-z0-9_]*)(\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\]|\.\?)*$",
        )
        .unwrap()
    })
}

/// The error of a syntactically valid JSON document says which field: a path, or (for a
/// field missing from or unknown to the top level) the field's name in backquotes.
fn names_a_field(e: &FieldError) -> bool {
    (!e.path.is_empty() && is_field_path(&e.path)) || e.problem.contains('`')
}

/// Any text: a refusal with a position (syntax), a field, or the trailing text it found.
fn is_located(e: &FieldError) -> bool {
    names_a_field(e)
        || e.problem.contains(" line ")
        || e.problem.starts_with("trailing text")
        || e.problem.contains("expected struct Application")
}

fn parse(text: &str) -> Result<(), FieldError> {
    parse_application(text, &divisions().divisions, ValidateOptions::default()).map(|_| ())
}

#[test]
fn the_base_application_is_valid() {
    parse(&common::selection_social_org().to_string()).expect("the base parses");
}

proptest! {
    #![proptest_config(config(256))]

    /// Any text at all: no panic; a refusal says where.
    #[test]
    fn parse_application_on_any_text(text in prop_oneof![
        ".*",
        "[\\[\\]{}\":,0-9a-z.eE+\\- \\\\]{0,80}",
        any::<Vec<u8>>().prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]) {
        if let Err(e) = parse(&text) {
            prop_assert!(is_located(&e), "no place named in {e:?} for {text:?}");
        }
    }

    /// The valid application with one to four random fields changed, removed, added,
    /// retyped: no panic; a refusal names the field.
    #[test]
    fn parse_application_on_mutated_json(
        kind in prop_oneof![Just("selection"), Just("renewal"), Just("exit")],
        muts in prop::collection::vec((any::<usize>(), mutation()), 1..5),
    ) {
        let mut v = match kind {
            "selection" => common::selection_social_org(),
            "renewal" => common::renewal("social_org", &[120]),
            _ => common::exit("voluntary"),
        };
        for (pick, m) in &muts {
            mutate(&mut v, *pick, m);
        }
        let text = v.to_string();
        match parse(&text) {
            Ok(()) => {}
            Err(e) if v.is_object() => {
                prop_assert!(names_a_field(&e), "no field named in {e:?} for {text}");
            }
            Err(e) => prop_assert!(is_located(&e), "{e:?} for {text}"),
        }
    }
}

// ------------------------------------------------------------------ certificate CSV

const HEADER: &str =
    "certificate_no,credit_code,occupation_code,level,issued_on,holder_name,holder_id\n";

fn good_rows(n: usize) -> String {
    let code = pingshen::domain::credit_code::complete("9152010012345678").unwrap();
    (0..n)
        .map(|i| {
            format!(
                "Y000152000001253{i:06},{code},4-10-01-06,3,2024-03-05,王芳,52010219900101123X\n"
            )
        })
        .collect()
}

/// Reads `bytes` as a .csv as the import does, stopping at the first error. Every error is
/// checked to name a row (or, for bytes that are not text, the line).
fn read_all(dir: &Path, bytes: &[u8]) -> Result<usize, TestCaseError> {
    let path = dir.join("certs.csv");
    std::fs::write(&path, bytes).unwrap();
    let reader = match Reader::open(&path, ValidateOptions::default()) {
        Ok(r) => r,
        // The header is read by open: its refusal is one line, naming a row when it can.
        Err(e) => {
            prop_assert!(!e.is_empty(), "an empty refusal");
            prop_assert!(!e.contains('\n'), "a refusal of more than one line: {e:?}");
            return Ok(0);
        }
    };
    let mut n = 0;
    for r in reader {
        match r {
            Ok(_) => n += 1,
            Err(e) => {
                prop_assert!(row_named(&e), "no row in {e:?}");
                break;
            }
        }
    }
    Ok(n)
}

fn row_named(e: &RowError) -> bool {
    (e.row > 0 && e.to_string().starts_with(&format!("row {}", e.row)))
        || (e.row == 0 && e.problem.starts_with("line "))
}

#[derive(Debug, Clone)]
enum CsvMutation {
    /// Overwrite the byte at `pos` (modulo the length).
    Byte(usize, u8),
    /// Insert text at `pos`.
    Insert(usize, String),
    /// A field of `len` bytes, quoted or not, in a new row.
    HugeField(usize, bool),
    /// Cut the file at `pos`.
    Truncate(usize),
}

fn csv_mutation() -> impl Strategy<Value = CsvMutation> {
    prop_oneof![
        4 => (any::<usize>(), any::<u8>()).prop_map(|(p, b)| CsvMutation::Byte(p, b)),
        2 => (any::<usize>(), prop_oneof![
            hostile_text(),
            Just("\"".to_string()),
            Just(",".to_string()),
            Just("\r\n".to_string()),
            Just("\u{feff}".to_string()),
        ]).prop_map(|(p, s)| CsvMutation::Insert(p, s)),
        1 => (prop_oneof![Just(70_000usize), Just(300_000)], any::<bool>())
            .prop_map(|(n, q)| CsvMutation::HugeField(n, q)),
        1 => any::<usize>().prop_map(CsvMutation::Truncate),
    ]
}

#[derive(Debug, Clone, Copy)]
enum Encoding {
    Utf8,
    Utf8Bom,
    Gb18030,
    Utf16Le,
}

fn encode(text: &str, enc: Encoding) -> Vec<u8> {
    match enc {
        Encoding::Utf8 => text.as_bytes().to_vec(),
        Encoding::Utf8Bom => [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat(),
        Encoding::Gb18030 => encoding_rs::GB18030.encode(text).0.into_owned(),
        Encoding::Utf16Le => {
            let mut b = vec![0xFF, 0xFE];
            b.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            b
        }
    }
}

fn apply_csv(bytes: &mut Vec<u8>, m: &CsvMutation) {
    let at = |p: usize, len: usize| if len == 0 { 0 } else { p % (len + 1) };
    match m {
        CsvMutation::Byte(p, b) => {
            if !bytes.is_empty() {
                let i = p % bytes.len();
                bytes[i] = *b;
            }
        }
        CsvMutation::Insert(p, s) => {
            let i = at(*p, bytes.len());
            bytes.splice(i..i, s.bytes());
        }
        CsvMutation::HugeField(n, quoted) => {
            let field = if *quoted {
                format!("\"{}\n{}\"", "x".repeat(n / 2), "y".repeat(n / 2))
            } else {
                "x".repeat(*n)
            };
            bytes.extend(format!("{field},a,b,3,2024-01-01,,\n").bytes());
        }
        CsvMutation::Truncate(p) => {
            let i = at(*p, bytes.len());
            bytes.truncate(i);
        }
    }
}

proptest! {
    #![proptest_config(config(128))]

    /// Random bytes, bare or after a valid header (so the rows are read, not only the
    /// header): no panic, every refusal names a row.
    #[test]
    fn certificate_reader_on_any_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..4096),
        after_header in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let input = if after_header { [HEADER.as_bytes(), &bytes].concat() } else { bytes };
        read_all(dir.path(), &input)?;
    }

    /// A valid file in one of the encodings seen in the wild, then damaged: no panic, every
    /// refusal names a row.
    #[test]
    fn certificate_reader_on_mutated_csv(
        rows in 0usize..40,
        enc in prop_oneof![
            Just(Encoding::Utf8), Just(Encoding::Utf8Bom),
            Just(Encoding::Gb18030), Just(Encoding::Utf16Le),
        ],
        muts in prop::collection::vec(csv_mutation(), 0..4),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = encode(&format!("{HEADER}{}", good_rows(rows)), enc);
        for m in &muts {
            apply_csv(&mut bytes, m);
        }
        let read = read_all(dir.path(), &bytes)?;
        if muts.is_empty() && !matches!(enc, Encoding::Utf16Le) {
            prop_assert_eq!(read, rows, "an undamaged file reads whole");
        }
    }
}

// ------------------------------------------------------------------ oversized files

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn db(&self) -> PathBuf {
        self.path("desk.db")
    }
    /// Runs pingshen on the test's database; a run that takes more than 60 s is killed (a
    /// program reading an endless file would otherwise fill memory and hang the suite).
    fn run(&self, args: &[&str]) -> Output {
        let mut child = Command::new(BIN)
            .arg("--db")
            .arg(self.db())
            .args(args)
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("XDG_DATA_HOME", self.path("data"))
            .env_remove("LANG")
            .env_remove("LC_ALL")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let start = Instant::now();
        while child.try_wait().unwrap().is_none() {
            if start.elapsed() > Duration::from_secs(60) {
                child.kill().unwrap();
                panic!("pingshen {args:?} still running after 60 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        child.wait_with_output().unwrap()
    }
    fn count(&self, sql: &str) -> i64 {
        let store = pingshen::store::Store::open(&self.db()).unwrap();
        store.conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }
    /// A sparse file of `len` bytes: no disk used.
    fn sparse(&self, name: &str, len: u64) -> PathBuf {
        let p = self.path(name);
        std::fs::File::create(&p).unwrap().set_len(len).unwrap();
        p
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn an_application_file_over_4_mib_is_refused_naming_file_and_limit() {
    let env = Env::new();
    let good = env.path("good.json");
    let mut v = common::selection_social_org();
    v["case_no"] = json!("GZ-2026-S-0101");
    std::fs::write(&good, v.to_string()).unwrap();
    let big = env.sparse("big.json", 4 * 1024 * 1024 + 1);
    let out = env.run(&[
        "import",
        "applications",
        good.to_str().unwrap(),
        big.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("big.json: file is 4194305 bytes, more than the 4194304 bytes (4 MiB)"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert_eq!(
        env.count("SELECT count(*) FROM cases"),
        0,
        "nothing written"
    );
}

/// A file that says it is empty and never ends (a device, a pipe): the read stops at the
/// limit instead of filling memory.
#[test]
fn an_endless_application_file_is_refused_at_the_limit() {
    if !Path::new("/dev/zero").exists() {
        return;
    }
    let env = Env::new();
    for args in [
        &["evaluate", "/dev/zero"][..],
        &["import", "applications", "/dev/zero"][..],
    ] {
        let out = env.run(args);
        assert!(!out.status.success());
        let err = stderr(&out);
        assert!(
            err.contains("/dev/zero: file goes on past the limit, more than the 4194304 bytes"),
            "{args:?}: {err}"
        );
    }
    assert_eq!(
        env.count("SELECT count(*) FROM cases"),
        0,
        "nothing written"
    );
}

#[test]
fn a_certificate_file_over_max_file_bytes_is_refused_before_reading() {
    let env = Env::new();
    let big = env.sparse("big.csv", MAX_FILE_BYTES + 1);
    let start = Instant::now();
    let out = env.run(&["import", "certificates", big.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("big.csv: 1.0 GiB is more than the 1 GiB an import file may have")
            && err.contains("nothing was imported"),
        "{err}"
    );
    // Refused from its size: a read of a gigabyte of zeros would take far longer.
    assert!(start.elapsed() < Duration::from_secs(20));
    assert_eq!(env.count("SELECT count(*) FROM imports"), 0);
    assert_eq!(env.count("SELECT count(*) FROM certificates"), 0);
    // The sparse file took no disk.
    use std::os::unix::fs::MetadataExt;
    assert!(std::fs::metadata(&big).unwrap().blocks() < 64);
}
