//! The desk runs the exit sweep when it starts: a lapsed period has its automatic exit before
//! the queue shows, and a sweep that fails says so in one line and the desk opens anyway.

mod exit_support;
use exit_support::db;
use portable_pty::{native_pty_system, CommandBuilder, PtySize};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_pingshen");
const TIMEOUT: Duration = Duration::from_secs(20);

fn me() -> String {
    nix::unistd::User::from_uid(nix::unistd::Uid::current())
        .unwrap()
        .expect("the test's account has a name")
        .name
}

/// Opens the desk on `db` in a pseudo-terminal, waits for the queue, quits; returns every byte
/// the program wrote.
fn open_and_quit(db: &std::path::Path, home: &std::path::Path) -> String {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 30,
            cols: 100,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(BIN);
    cmd.args(["--db", db.to_str().unwrap(), "--lang", "zh"]);
    cmd.env("TERM", "xterm-256color");
    cmd.env("XDG_CONFIG_HOME", home.join("config"));
    cmd.env("XDG_DATA_HOME", home.join("data"));
    cmd.env("LANG", "C.UTF-8");
    cmd.env("LC_ALL", "C.UTF-8");
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let raw = Arc::new(Mutex::new(Vec::new()));
    let parser = Arc::new(Mutex::new(vt100::Parser::new(30, 100, 0)));
    let mut reader = pair.master.try_clone_reader().unwrap();
    {
        let (raw, parser) = (raw.clone(), parser.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                raw.lock().unwrap().extend_from_slice(&buf[..n]);
                parser.lock().unwrap().process(&buf[..n]);
            }
        });
    }
    let mut writer = pair.master.take_writer().unwrap();
    let start = Instant::now();
    while !parser.lock().unwrap().screen().contents().contains("全部") {
        assert!(
            start.elapsed() < TIMEOUT,
            "the queue did not show: {}",
            String::from_utf8_lossy(&raw.lock().unwrap())
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    writer.write_all(b"q").unwrap();
    writer.flush().unwrap();
    let start = Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            assert!(st.success(), "the desk exited with {st:?}");
            break;
        }
        assert!(start.elapsed() < TIMEOUT, "the desk did not quit");
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = String::from_utf8_lossy(&raw.lock().unwrap()).into_owned();
    out
}

fn setup() -> exit_support::Db {
    let t = db();
    pingshen::store::reviewers::upsert(
        &t.store.conn,
        "setup",
        &pingshen::store::reviewers::Reviewer {
            account: me(),
            role: "admin".into(),
            region: "520000".into(),
        },
    )
    .unwrap();
    // Ended well before any day this test runs on.
    t.institution(1, "520102", "2022-01-01", "2024-12-31");
    t
}

fn exit_cases(t: &exit_support::Db) -> i64 {
    t.store
        .conn
        .query_row("SELECT count(*) FROM cases WHERE kind = 'exit'", [], |r| {
            r.get(0)
        })
        .unwrap()
}

#[test]
fn the_desk_sweeps_when_it_starts() {
    let t = setup();
    open_and_quit(&t.path, t.dir.path());
    assert_eq!(exit_cases(&t), 1);
    assert_eq!(t.institution_state(1).0, "exiting");
    // And again: nothing more.
    open_and_quit(&t.path, t.dir.path());
    assert_eq!(exit_cases(&t), 1);
}

#[test]
fn a_failed_sweep_does_not_keep_the_desk_shut() {
    let t = setup();
    t.store
        .conn
        .execute_batch(
            "CREATE TRIGGER test_refuse BEFORE INSERT ON exits
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
        )
        .unwrap();
    let out = open_and_quit(&t.path, t.dir.path());
    assert!(out.contains("pingshen: sweep:"), "{out}");
    assert!(out.contains("refused by the test"), "{out}");
    // Nothing half-done.
    assert_eq!(exit_cases(&t), 0);
    assert_eq!(t.institution_state(1).0, "active");
}
