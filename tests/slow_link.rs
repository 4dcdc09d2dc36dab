//! The desk at the end of a 9600-baud link, end to end: the real binary in a pseudo-terminal
//! whose output reaches a terminal emulator at 1,200 bytes a second. The emulator answers the
//! desk's cursor questions when it gets to them, as a terminal at the far end of a slow SSH
//! link does. Sixty `j` presses 50 ms apart, the benchmark's keys.
//!
//! The desk must skip frames while the keys outrun the link, and end with the screen whole:
//! the 61st case selected at the list's bottom, every row painted (rows held back while the
//! keys came are painted after), and a full redraw (Ctrl-L) changing nothing. How long it
//! takes is a figure for `benches/ptybench.sh`, not asserted here: a loaded machine would
//! make a timed test flaky.

mod common;

use std::io::{Read, Write};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_pingshen");
const RATE: f64 = 1200.0;

/// The far end of the link: what the desk wrote, waiting to cross; the screen; when the last
/// byte arrived; how many cursor questions were answered.
struct Far {
    queue: Mutex<Vec<u8>>,
    screen: Mutex<vt100::Parser>,
    last: Mutex<Instant>,
    delivered: AtomicUsize,
    questions: AtomicUsize,
    done: AtomicBool,
}

fn run(size: (u16, u16), dir: &std::path::Path, db: &std::path::Path) {
    let mut cmd = Command::new(BIN);
    cmd.arg("--db")
        .arg(db)
        .args(["--lang", "zh"])
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("LANG", "C.UTF-8");
    let (mut child, master) = common::spawn_on_own_pty(cmd, size);
    let far = Arc::new(Far {
        queue: Mutex::new(Vec::new()),
        screen: Mutex::new(vt100::Parser::new(size.1, size.0, 0)),
        last: Mutex::new(Instant::now()),
        delivered: AtomicUsize::new(0),
        questions: AtomicUsize::new(0),
        done: AtomicBool::new(false),
    });
    // The near end: all the desk writes goes into the link's queue.
    {
        let far = far.clone();
        let mut reader = master.try_clone().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                far.queue.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
    }
    // The link: 12 bytes every 10 ms reach the emulator, which answers each cursor question
    // as it reaches it.
    let link = {
        let far = far.clone();
        let mut answer = master.try_clone().unwrap();
        std::thread::spawn(move || {
            let chunk = (RATE / 100.0) as usize;
            let mut tail: Vec<u8> = Vec::new();
            let start = Instant::now();
            let mut sent = 0usize;
            while !far.done.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(2));
                let allowed = (start.elapsed().as_secs_f64() * RATE) as usize;
                if allowed < sent + chunk {
                    continue;
                }
                let piece: Vec<u8> = {
                    let mut q = far.queue.lock().unwrap();
                    let n = chunk.min(q.len());
                    q.drain(..n).collect()
                };
                if piece.is_empty() {
                    // An idle link does not bank its capacity.
                    sent = allowed;
                    continue;
                }
                sent += piece.len();
                far.screen.lock().unwrap().process(&piece);
                *far.last.lock().unwrap() = Instant::now();
                far.delivered.fetch_add(piece.len(), Ordering::SeqCst);
                tail.extend_from_slice(&piece);
                let asked = tail.windows(4).filter(|w| w == b"\x1b[6n").count();
                for _ in 0..asked {
                    far.questions.fetch_add(1, Ordering::SeqCst);
                    let _ = answer.write_all(b"\x1b[1;1R");
                }
                let keep = tail.len().min(3);
                tail = tail.split_off(tail.len() - keep);
                if asked > 0 {
                    tail.clear();
                }
            }
        })
    };
    let quiet = |for_: Duration| {
        let t = Instant::now();
        loop {
            std::thread::sleep(Duration::from_millis(20));
            let idle = far.last.lock().unwrap().elapsed();
            let empty = far.queue.lock().unwrap().is_empty();
            if far.delivered.load(Ordering::SeqCst) > 0 && empty && idle >= for_ {
                return;
            }
            assert!(
                t.elapsed() < Duration::from_secs(60),
                "{size:?}: the link never went quiet"
            );
        }
    };
    quiet(Duration::from_millis(500));
    let asked_before = far.questions.load(Ordering::SeqCst);
    let mut keys = master.try_clone().unwrap();
    for _ in 0..60 {
        keys.write_all(b"j").unwrap();
        std::thread::sleep(Duration::from_millis(50));
    }
    quiet(Duration::from_millis(1500));
    let frames = far.questions.load(Ordering::SeqCst) - asked_before;
    let settled = far.screen.lock().unwrap().screen().clone();
    // The list's rows: below the tabs, filters and header, above the message and hints.
    let list = 3..size.1 - 2;
    let selected: Vec<u16> = list
        .clone()
        .filter(|&y| settled.cell(y, 0).is_some_and(|c| c.inverse()))
        .collect();
    assert_eq!(
        selected,
        vec![size.1 - 3],
        "{size:?}: the selection at the list's bottom\n{}",
        settled.contents()
    );
    for y in list {
        assert!(
            settled.contents_between(y, 0, y, size.0).starts_with("GZ-"),
            "{size:?}: row {y} painted\n{}",
            settled.contents()
        );
    }
    assert!(
        frames < 50,
        "{size:?}: {frames} frames for 60 keys: frames were not skipped"
    );
    // A full redraw shows the same screen.
    keys.write_all(b"\x0c").unwrap();
    quiet(Duration::from_millis(800));
    let redrawn = far.screen.lock().unwrap().screen().clone();
    // Text and attributes, row by row (not where the hidden cursor rests).
    let rows = |s: &vt100::Screen| s.rows_formatted(0, size.0).collect::<Vec<_>>();
    assert!(
        rows(&settled) == rows(&redrawn),
        "{size:?}: Ctrl-L changed the screen\nbefore:\n{}\nafter:\n{}",
        settled.contents(),
        redrawn.contents()
    );
    keys.write_all(b"q").unwrap();
    let t = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(t.elapsed() < Duration::from_secs(20), "{size:?}: q ends it");
        std::thread::sleep(Duration::from_millis(20));
    }
    far.done.store(true, Ordering::SeqCst);
    let _ = link.join();
}

#[test]
fn sixty_keys_over_a_9600_baud_link_end_on_a_whole_screen() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("slow.db");
    let out = Command::new(BIN)
        .arg("--db")
        .arg(&db)
        .args(["demo", "--certificates", "2000"])
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .output()
        .expect("run pingshen demo");
    assert!(out.status.success(), "{out:?}");
    std::thread::scope(|s| {
        for size in [(80, 24), (120, 40)] {
            let (dir, db) = (dir.path(), db.as_path());
            s.spawn(move || run(size, dir, db));
        }
    });
}
