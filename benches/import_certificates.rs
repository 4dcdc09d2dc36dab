//! `cargo bench --bench import_certificates`: imports a generated CSV of 1,000,000 certificate
//! rows into a fresh database through the same code path as `pingshen import certificates`,
//! and prints the figures. Target: under 5 s in release on the 2-core machine.
//! `PINGSHEN_BENCH_ROWS=N` changes the number of rows. Rows come in order of issue, in exam
//! sessions of 10 to 60 candidates, as a certificate system exports them;
//! `PINGSHEN_BENCH_ORDER=random` draws each row's date, institution and occupation on its own
//! instead (the worst case: nearly every row its own day count).

use anyhow::{Context as _, Result};

// As in `main.rs`: the figures are those of the real binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use chrono::{Days, NaiveDate};
use pingshen::assets::Reference;
use pingshen::domain::credit_code;
use pingshen::domain::validate::ValidateOptions;
use pingshen::store::Store;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

const INSTITUTIONS: usize = 200;
const DIVISIONS: [&str; 10] = [
    "520102", "520103", "520111", "520113", "520302", "520402", "522301", "522601", "522701",
    "520502",
];
const OCCUPATIONS: [&str; 24] = [
    "4-10-01-06",
    "4-10-01-02",
    "4-03-02-01",
    "4-03-01-01",
    "6-28-01-14",
    "6-18-02-04",
    "4-14-02-03",
    "4-07-02-03",
    "6-29-01-03",
    "4-04-05-05",
    "4-10-03-03",
    "6-20-03-02",
    "4-01-02-05",
    "2-02-07-04",
    "4-08-08-14",
    "6-30-05-06",
    "5-01-02-01",
    "4-13-01-02",
    "6-02-06-10",
    "4-04-02-02",
    "4-12-01-01",
    "6-23-10-01",
    "4-02-02-01",
    "5-05-01-02",
];
const SURNAMES: [&str; 12] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "罗", "龙",
];
const GIVEN: [&str; 12] = [
    "芳", "伟", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳",
];

fn main() -> Result<()> {
    let rows: usize = std::env::var("PINGSHEN_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;
    let csv = dir.path().join("certificates.csv");
    let t = Instant::now();
    let random = std::env::var("PINGSHEN_BENCH_ORDER").is_ok_and(|v| v == "random");
    let duplicates = generate(&csv, rows, random)?;
    let csv_size = std::fs::metadata(&csv)?.len();
    println!(
        "generated {rows} rows ({duplicates} repeated numbers, {} order), {:.1} MiB CSV, in {:.2} s",
        if random { "random" } else { "sessions in issue" },
        mib(csv_size),
        t.elapsed().as_secs_f64()
    );

    // Reading and checking alone, without the database, to tell the two costs apart.
    let t = Instant::now();
    let mut reader = pingshen::import::certificates::Reader::open(&csv, ValidateOptions::default())
        .map_err(anyhow::Error::msg)?;
    let mut checked = 0u64;
    for row in reader.by_ref() {
        row?;
        checked += 1;
    }
    println!(
        "read and checked {checked} rows without the database in {:.2} s",
        t.elapsed().as_secs_f64()
    );

    let db = dir.path().join("bench.db");
    let mut store = Store::open(&db)?;
    let reference = Reference::load(None)?;
    let opts = ValidateOptions::default();

    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let cpu0 = cpu_seconds("/proc/self/stat");
    let main0 = cpu_seconds("/proc/thread-self/stat");
    let t = Instant::now();
    let report =
        pingshen::commands::import::certificates(&mut store, "bench", &csv, &reference, opts)?;
    let secs = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds("/proc/self/stat") - cpu0;
    // This thread runs SQLite; the reading thread has ended and counts in the process total.
    let sqlite_cpu = cpu_seconds("/proc/thread-self/stat") - main0;
    let stored: i64 = store
        .conn
        .query_row("SELECT count(*) FROM certificates", [], |r| r.get(0))?;
    let t = Instant::now();
    drop(store);
    let close = t.elapsed().as_secs_f64();
    let db_size: u64 = ["", "-wal", "-shm"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", db.display())).ok())
        .map(|m| m.len())
        .sum();

    print!("{report}");
    println!(
        "load average before: {}; CPU time of the import: {cpu:.2} s ({sqlite_cpu:.2} s on the \
         SQLite thread, {:.2} s reading); closing the database afterwards: {close:.2} s",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        cpu - sqlite_cpu
    );
    println!(
        "import_certificates: {rows} rows in {secs:.2} s = {:.0} rows/s; {stored} stored; \
         database {:.1} MiB (with WAL)",
        rows as f64 / secs,
        mib(db_size)
    );

    // The same file through the real binary, as a user runs it: process start, migrations
    // and closing the database included.
    let db2 = dir.path().join("binary.db");
    let t = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pingshen"))
        .arg("--db")
        .arg(&db2)
        .args(["import", "certificates"])
        .arg(&csv)
        .output()?;
    let secs = t.elapsed().as_secs_f64();
    anyhow::ensure!(
        out.status.success(),
        "pingshen import certificates failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "pingshen import certificates (the binary, wall clock): {rows} rows in {secs:.2} s = {:.0} rows/s",
        rows as f64 / secs
    );
    Ok(())
}

/// User and system CPU time so far from a Linux `stat` file (0 elsewhere).
fn cpu_seconds(stat_file: &str) -> f64 {
    let stat = std::fs::read_to_string(stat_file).unwrap_or_default();
    // Fields after the command name in parentheses; utime and stime are the 14th and 15th.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: f64 = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse::<f64>().ok())
        .sum();
    ticks / 100.0
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 20) as f64
}

/// Writes `rows` valid rows, about 1% of them repeating an earlier certificate number, and
/// returns how many repeat.
fn generate(path: &Path, rows: usize, random: bool) -> Result<usize> {
    let mut rng = fastrand::Rng::with_seed(2026);
    let codes: Vec<String> = (0..INSTITUTIONS)
        .map(|i| {
            let stem = format!(
                "91{}{:08}",
                DIVISIONS[i % DIVISIONS.len()],
                30_000_000 + i * 7919
            );
            credit_code::complete(&stem).context("credit code stem")
        })
        .collect::<Result<_>>()?;
    let first = NaiveDate::from_ymd_opt(2023, 1, 1).context("date")?;
    let days = 4 * 365 + 1; // 2023-01-01 to 2026-12-31
    let mut serial = vec![0u32; INSTITUTIONS];
    let mut recent: Vec<String> = Vec::with_capacity(1024);
    let mut repeated = 0;

    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(
        out,
        "certificate_no,credit_code,occupation_code,level,issued_on,holder_name,holder_id"
    )?;
    // Certificates are issued in exam sessions: one institution, occupation and level on
    // one day, 10 to 60 candidates. `random` draws every row on its own instead.
    let (mut inst, mut occ, mut level, mut left_in_session) = (0, 0, 5u8, 0u32);
    for i in 0..rows {
        let day = if random {
            rng.u64(..days)
        } else {
            i as u64 * days / rows as u64
        };
        if random || left_in_session == 0 {
            inst = rng.usize(..INSTITUTIONS);
            occ = rng.usize(..OCCUPATIONS.len());
            level = rng.u8(1..=5);
            left_in_session = rng.u32(10..=60);
        }
        left_in_session -= 1;
        let issued = first.checked_add_days(Days::new(day)).context("date")?;
        let repeat = !recent.is_empty() && rng.u32(..100) == 0;
        let number = if repeat {
            repeated += 1;
            recent[rng.usize(..recent.len())].clone()
        } else {
            serial[inst] += 1;
            let yy = issued.format("%y");
            let site = DIVISIONS[inst % DIVISIONS.len()];
            let n = format!("Y{inst:04}52{site}{yy}{level}{:06}", serial[inst]);
            if recent.len() < 1024 {
                recent.push(n.clone());
            } else {
                let i = rng.usize(..recent.len());
                recent[i] = n.clone();
            }
            n
        };
        let name = format!(
            "{}{}{}",
            SURNAMES[rng.usize(..SURNAMES.len())],
            GIVEN[rng.usize(..GIVEN.len())],
            if rng.bool() {
                GIVEN[rng.usize(..GIVEN.len())]
            } else {
                ""
            }
        );
        let id = holder_id(&mut rng);
        writeln!(
            out,
            "{number},{},{},{level},{issued},{name},{id}",
            codes[inst], OCCUPATIONS[occ],
        )?;
    }
    out.flush()?;
    Ok(repeated)
}

/// An 18-character resident ID number with a correct ISO 7064 MOD 11-2 check character.
fn holder_id(rng: &mut fastrand::Rng) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const C: &[u8; 11] = b"10X98765432";
    let first17 = format!(
        "{}{:04}{:02}{:02}{:03}",
        DIVISIONS[rng.usize(..DIVISIONS.len())],
        rng.u32(1960..2006),
        rng.u32(1..=12),
        rng.u32(1..=28),
        rng.u32(..1000)
    );
    let sum: u32 = first17
        .bytes()
        .zip(W)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    format!("{first17}{}", C[(sum % 11) as usize] as char)
}
