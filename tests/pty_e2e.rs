//! End-to-end tests of the real binary in a pseudo-terminal: keys go in as bytes, the screen is
//! read back through a vt100 parser, exactly as a reviewer's terminal would show it.
//!
//! Every wait polls the screen (or the database) with a generous timeout, so a busy machine
//! makes the tests slower, never flaky. There is no fixed pause: even the draft debounce is
//! waited for by polling the `drafts` table.

mod common;

use portable_pty::{native_pty_system, Child, CommandBuilder, MasterPty, PtySize};
use serde_json::json;
use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_pingshen");
/// Long enough that a loaded two-core machine running other tests never trips it.
const TIMEOUT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(20);

// ------------------------------------------------------------------------------ the driver

/// One pingshen (or `runuser … pingshen`) in its own pseudo-terminal.
struct Desk {
    name: String,
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    master: Box<dyn MasterPty + Send>,
    parser: Arc<Mutex<vt100::Parser>>,
    /// Every byte the program wrote to the terminal.
    raw: Arc<Mutex<Vec<u8>>>,
    eof: Arc<AtomicBool>,
    pid: i32,
}

impl Desk {
    /// Starts `argv` in a `cols`x`rows` terminal. The environment is the test's, plus `env`.
    fn spawn(name: &str, argv: &[OsString], env: &[(&str, OsString)], size: (u16, u16)) -> Self {
        let (cols, rows) = size;
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let mut cmd = CommandBuilder::from_argv(argv.to_vec());
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("NO_COLOR");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.cwd(std::env::temp_dir());
        let child = pair.slave.spawn_command(cmd).expect("spawn in the pty");
        // Only the child holds the slave end now, so its exit ends our reads.
        drop(pair.slave);
        let pid = child.process_id().expect("a pid") as i32;
        let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let eof = Arc::new(AtomicBool::new(false));
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        {
            let (parser, raw, eof) = (parser.clone(), raw.clone(), eof.clone());
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                loop {
                    match reader.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            raw.lock().unwrap().extend_from_slice(&buf[..n]);
                            parser.lock().unwrap().process(&buf[..n]);
                        }
                    }
                }
                eof.store(true, Ordering::SeqCst);
            });
        }
        let writer = pair.master.take_writer().expect("pty writer");
        Self {
            name: name.to_string(),
            child,
            writer,
            master: pair.master,
            parser,
            raw,
            eof,
            pid,
        }
    }

    /// The desk on `db` as the test's own OS account, in Chinese.
    fn open(name: &str, t: &Tmp, size: (u16, u16)) -> Self {
        let argv: Vec<OsString> = vec![
            BIN.into(),
            "--db".into(),
            t.db.clone().into(),
            "--lang".into(),
            "zh".into(),
        ];
        Self::spawn(name, &argv, &t.env(), size)
    }

    fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).expect("write keys");
        self.writer.flush().expect("flush keys");
    }

    fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    fn first_row(&self) -> String {
        self.screen().lines().next().unwrap_or("").to_string()
    }

    /// Waits until `pred` holds for the screen's text; panics showing the screen if it never does.
    fn wait_until(&self, what: &str, pred: impl Fn(&str) -> bool) {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if pred(&s) {
                return;
            }
            if start.elapsed() > TIMEOUT {
                let _ = std::fs::write(
                    format!("/tmp/{}.raw", self.name.replace(' ', "")),
                    self.raw(),
                );
                panic!(
                    "{}: timed out after {:?} waiting for {what}; the screen:\n{s}\n--",
                    self.name, TIMEOUT
                );
            }
            std::thread::sleep(POLL);
        }
    }

    fn wait_for(&self, text: &str) {
        self.wait_until(&format!("{text:?}"), |s| s.contains(text));
    }

    /// The labels shown in reverse video on the screen's rows (selection and focus).
    fn reversed(&self) -> Vec<String> {
        let p = self.parser.lock().unwrap();
        let sc = p.screen();
        let (rows, cols) = sc.size();
        let mut out = Vec::new();
        for r in 0..rows {
            let mut cur = String::new();
            for c in 0..cols {
                let Some(cell) = sc.cell(r, c) else { continue };
                if cell.is_wide_continuation() {
                    continue;
                }
                if cell.inverse() {
                    cur.push_str(if cell.has_contents() {
                        cell.contents()
                    } else {
                        " "
                    });
                } else if !cur.is_empty() {
                    out.push(cur.trim().to_string());
                    cur.clear();
                }
            }
            if !cur.is_empty() {
                out.push(cur.trim().to_string());
            }
        }
        out
    }

    /// `/` search for `query`, keep it, open the first result; checks it is `case_no`.
    fn open_case(&mut self, case_no: &str) {
        self.wait_for("全部");
        self.send("/");
        self.send(case_no);
        self.wait_for(&format!("/{case_no} ("));
        self.send("\r");
        self.send("\r");
        self.wait_for(&format!("案件 {case_no} ·"));
    }

    /// Waits for the process to end and for the last of its output to be read.
    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let start = Instant::now();
        let status = loop {
            if let Some(st) = self.child.try_wait().expect("try_wait") {
                break st;
            }
            if start.elapsed() > TIMEOUT {
                panic!(
                    "{}: still running {:?} after it was asked to stop; the screen:\n{}",
                    self.name,
                    TIMEOUT,
                    self.screen()
                );
            }
            std::thread::sleep(POLL);
        };
        let start = Instant::now();
        while !self.eof.load(Ordering::SeqCst) && start.elapsed() < TIMEOUT {
            std::thread::sleep(POLL);
        }
        status
    }

    fn signal(&self, sig: nix::sys::signal::Signal) {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.pid), sig).expect("send a signal");
    }

    /// In the decision dialog, moves to the decision shown as `label`.
    fn choose_decision(&mut self, label: &str) {
        const LABELS: [&str; 4] = ["准予", "部分准予", "不予准予", "补正"];
        let target = LABELS
            .iter()
            .position(|l| *l == label)
            .expect("a decision label");
        let mut current = None;
        self.wait_until_state("a decision selected", |d| {
            current = d
                .reversed()
                .iter()
                .find_map(|r| LABELS.iter().position(|l| l == r));
            current.is_some()
        });
        let steps = (target + LABELS.len() - current.unwrap()) % LABELS.len();
        self.send(&"\x1b[C".repeat(steps)); // →
        self.wait_until_state(&format!("{label} selected"), |d| {
            d.reversed().iter().any(|r| r == label)
        });
    }

    /// Like `wait_until`, for a condition on more than the text (attributes, say).
    fn wait_until_state(&self, what: &str, mut pred: impl FnMut(&Self) -> bool) {
        let start = Instant::now();
        while !pred(self) {
            if start.elapsed() > TIMEOUT {
                panic!(
                    "{}: timed out after {:?} waiting for {what}; the screen:\n{}\n--",
                    self.name,
                    TIMEOUT,
                    self.screen()
                );
            }
            std::thread::sleep(POLL);
        }
    }

    fn raw(&self) -> Vec<u8> {
        self.raw.lock().unwrap().clone()
    }

    /// Resizes the terminal as a reviewer's window would: the parser first, so that the frame
    /// drawn for the new size lands in a screen of that size, then the pty (the kernel sends
    /// the program SIGWINCH).
    fn resize(&self, cols: u16, rows: u16) {
        // vt100 itself overflows on a one-column or one-row screen (a wide character, a
        // wrap): the parser is kept 2x2 at least; the program is given the real size.
        self.parser
            .lock()
            .unwrap()
            .screen_mut()
            .set_size(rows.max(2), cols.max(2));
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize the pty");
    }
}

impl Drop for Desk {
    /// A test that fails half-way leaves no program behind: the whole process group goes
    /// (the child is a session leader, so `runuser` and its pingshen go together).
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(self.pid),
                nix::sys::signal::Signal::SIGKILL,
            );
            let _ = self.child.wait();
        }
    }
}

// ------------------------------------------------------------------------------ fixtures

/// A temporary folder with a demo database in `db/`, and config and data folders of its own so
/// that no settings file of the machine's user changes what the desk shows.
struct Tmp {
    dir: tempfile::TempDir,
    db: PathBuf,
}

impl Tmp {
    fn demo() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("db")).unwrap();
        let db = dir.path().join("db").join("desk.db");
        let t = Self { dir, db };
        t.cli(&["demo", "--institutions", "40", "--certificates", "5000"]);
        t
    }

    fn env(&self) -> Vec<(&'static str, OsString)> {
        vec![
            ("XDG_CONFIG_HOME", self.dir.path().join("config").into()),
            ("XDG_DATA_HOME", self.dir.path().join("data").into()),
            ("LANG", "C.UTF-8".into()),
            ("LC_ALL", "C.UTF-8".into()),
        ]
    }

    /// Runs a headless command on the database; it must succeed.
    fn cli(&self, args: &[&str]) -> String {
        let mut cmd = Command::new(BIN);
        cmd.arg("--db").arg(&self.db).args(args);
        for (k, v) in self.env() {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run pingshen");
        assert!(
            out.status.success(),
            "pingshen {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn store(&self) -> pingshen::store::Store {
        pingshen::store::Store::open(&self.db).expect("open the test database")
    }
}

fn me() -> String {
    nix::unistd::User::from_uid(nix::unistd::Uid::current())
        .unwrap()
        .expect("the test's account has a name")
        .name
}

/// A `new` selection case whose first checklist item does not fail automatically (so that
/// `p` on it marks it rather than asking for an override reason): (case_no, id).
fn new_selection_case(t: &Tmp) -> (String, i64) {
    t.store()
        .conn
        .query_row(
            "SELECT c.case_no, c.id FROM cases c
             WHERE c.status = 'new' AND c.kind = 'selection'
               AND (SELECT k.auto_result FROM checklist k WHERE k.case_id = c.id
                    ORDER BY k.seq LIMIT 1) <> 'fail'
             ORDER BY c.case_no LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("the demo has a new selection case")
}

/// "3 项待审" in the case header, or None once every item is resolved.
fn unresolved(first_row: &str) -> Option<usize> {
    let re = regex::Regex::new(r"(\d+) 项待审").unwrap();
    re.captures(first_row).map(|c| c[1].parse().unwrap())
}

/// Audit entries of a case: (account, action), oldest first.
fn case_audit(t: &Tmp, case_no: &str) -> Vec<(String, String)> {
    let store = t.store();
    let mut st = store
        .conn
        .prepare(
            "SELECT account, action FROM audit_log WHERE entity = 'case' AND entity_id = ?1
             ORDER BY id",
        )
        .unwrap();
    let rows = st
        .query_map([case_no], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<Vec<_>>>()
        .unwrap();
    rows
}

/// A throw-away OS account, deleted when dropped (also when the test fails).
struct OsUser(String);

impl OsUser {
    fn create() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("pse2e_{:08x}", nanos ^ std::process::id().rotate_left(16));
        // useradd locks /etc/passwd; another useradd at the same moment makes it fail at once.
        let start = Instant::now();
        loop {
            let st = Command::new("useradd")
                .args(["-M", "-s", "/bin/sh", &name])
                .status()
                .expect("run useradd");
            if st.success() {
                return Self(name);
            }
            assert!(start.elapsed() < TIMEOUT, "useradd {name} failed: {st}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for OsUser {
    fn drop(&mut self) {
        let _ = Command::new("userdel").arg(&self.0).status();
    }
}

/// Whether another account can run `path`: every folder above it searchable, the file
/// readable and executable by others.
fn reachable_by_others(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).map(|m| m.permissions().mode());
    if !mode(path).is_ok_and(|m| m & 0o005 == 0o005) {
        return false;
    }
    path.ancestors()
        .skip(1)
        .filter(|p| !p.as_os_str().is_empty())
        .all(|p| mode(p).is_ok_and(|m| m & 0o001 != 0))
}

// ------------------------------------------------------------------------------ a) review

/// A reviewer marks every item, writes a note and proposes; a second OS account, an
/// approver, approves. The audit log names both.
#[test]
fn review_and_two_person_approval() {
    let t = Tmp::demo();
    let (case_no, case_id) = new_selection_case(&t);
    let mut desk = Desk::open("reviewer", &t, (100, 30));
    desk.open_case(&case_no);

    // Start on an unresolved item, then pass each one; the cursor follows to the next.
    desk.send("u");
    for _ in 0..100 {
        let Some(n) = unresolved(&desk.first_row()) else {
            break;
        };
        desk.send("p");
        desk.wait_until(&format!("fewer than {n} unresolved"), |s| {
            unresolved(s.lines().next().unwrap_or("")).is_none_or(|m| m < n)
        });
    }
    desk.wait_for("全部条目已审结");
    assert_eq!(unresolved(&desk.first_row()), None);

    let note = "材料已核实，场地与申报一致";
    desk.send("n");
    desk.wait_for("Ctrl-S 保存");
    desk.send(note);
    desk.wait_for(note);
    desk.send("\x13");
    desk.wait_for("已保存");

    // What the store accepts: reject when anything fails, else approve.
    let fails: i64 = t
        .store()
        .conn
        .query_row(
            "SELECT count(*) FROM checklist WHERE case_id = ?1
               AND (mark = 'fail' OR (mark IS NULL AND auto_result = 'fail'))",
            [case_id],
            |r| r.get(0),
        )
        .unwrap();
    let (decision, label) = if fails > 0 {
        ("reject", "不予准予")
    } else {
        ("approve", "准予")
    };
    desk.send("d");
    desk.wait_for("选择决定");
    desk.choose_decision(label);
    let reason = "功能区域不全，不予准予";
    if decision == "reject" {
        desk.send("\t");
        desk.send(reason);
        desk.wait_for(reason);
    }
    desk.send("\x13");
    desk.wait_for("已提交拟办意见");
    desk.wait_for(" · 待批准 · ");
    desk.send("q");
    desk.wait_for("全部");
    desk.send("q");
    let st = desk.wait_exit();
    assert!(st.success(), "the desk exited with {st:?}");

    let (status, proposal, proposed_by): (String, String, String) = t
        .store()
        .conn
        .query_row(
            "SELECT status, proposal, proposed_by FROM cases WHERE id = ?1",
            [case_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(status, "proposed");
    assert_eq!(proposed_by, me());
    let proposal: serde_json::Value = serde_json::from_str(&proposal).unwrap();
    assert_eq!(proposal["decision"], json!(decision));
    if decision == "reject" {
        assert!(proposal["reasons"].as_str().unwrap().contains(reason));
    }
    let note_stored: i64 = t
        .store()
        .conn
        .query_row(
            "SELECT count(*) FROM checklist WHERE case_id = ?1 AND note = ?2",
            rusqlite::params![case_id, note],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(note_stored, 1, "the item note is stored");

    // ---- the second person: another OS account, an approver.
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!(
            "note: not root, so the approval by a second OS account is skipped \
             (it needs useradd and runuser)"
        );
        return;
    }
    let user = OsUser::create();
    t.cli(&[
        "reviewer", "add", &user.0, "--role", "approver", "--region", "520000",
    ]);
    let bin = if reachable_by_others(Path::new(BIN)) {
        PathBuf::from(BIN)
    } else {
        let copy = t.dir.path().join("pingshen");
        std::fs::copy(BIN, &copy).expect("copy the binary where the account can run it");
        copy
    };
    {
        use std::os::unix::fs::PermissionsExt;
        let open = std::fs::Permissions::from_mode(0o755);
        std::fs::set_permissions(t.dir.path(), open.clone()).unwrap();
        std::fs::set_permissions(&bin, open).unwrap();
    }
    let st = Command::new("chown")
        .arg("-R")
        .arg(&user.0)
        .arg(t.dir.path().join("db"))
        .status()
        .unwrap();
    assert!(st.success(), "chown -R {} failed", user.0);

    let mut argv: Vec<OsString> = vec![
        "runuser".into(),
        "-u".into(),
        user.0.clone().into(),
        "--".into(),
        "env".into(),
    ];
    for (k, v) in t.env() {
        let mut kv = OsString::from(format!("{k}="));
        kv.push(v);
        argv.push(kv);
    }
    argv.push("TERM=xterm-256color".into());
    argv.extend([
        bin.into(),
        "--db".into(),
        t.db.clone().into(),
        "--lang".into(),
        "zh".into(),
    ]);
    let mut approver = Desk::spawn("approver", &argv, &t.env(), (100, 30));
    approver.open_case(&case_no);
    approver.wait_for(" · 待批准 · ");
    approver.send("A");
    approver.wait_for("已批准");
    approver.wait_for(" · 已决定 · ");
    approver.send("q");
    approver.wait_for("全部");
    approver.send("q");
    let st = approver.wait_exit();
    assert!(st.success(), "the approver's desk exited with {st:?}");

    let log = case_audit(&t, &case_no);
    assert!(
        log.contains(&(me(), "case.propose".to_string())),
        "no propose by {} in {log:?}",
        me()
    );
    assert!(
        log.contains(&(user.0.clone(), "case.decide".to_string())),
        "no decide by {} in {log:?}",
        user.0
    );
    let (status, decided_by): (String, String) = t
        .store()
        .conn
        .query_row(
            "SELECT status, decided_by FROM cases WHERE id = ?1",
            [case_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (status.as_str(), decided_by.as_str()),
        ("decided", user.0.as_str())
    );
}

// ------------------------------------------------------------------------------ b) conflict

/// Two desks on one case: the second write is refused in words, and after a reload the
/// second desk shows the first desk's mark. Nothing is lost.
#[test]
fn concurrent_mark_is_a_conflict_in_words() {
    let t = Tmp::demo();
    let (case_no, case_id) = new_selection_case(&t);
    let (item, occ): (String, String) = t
        .store()
        .conn
        .query_row(
            "SELECT item_id, occupation FROM checklist WHERE case_id = ?1 ORDER BY seq LIMIT 1",
            [case_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let mut one = Desk::open("desk 1", &t, (100, 30));
    let mut two = Desk::open("desk 2", &t, (100, 30));
    one.open_case(&case_no);
    two.open_case(&case_no);

    one.send("p");
    one.wait_for("已标记");
    two.send("p");
    // The message is one line cut at the screen's edge (how much shows depends on the
    // account name's length): its start is what can be waited for.
    // The desk says it in the UI's language: who changed the case first, and that nothing of
    // this desk's was saved.
    two.wait_for(&format!("{} (", me()));
    two.wait_for("刚修改了此案件，你的操作未保存");
    // Nothing of desk 2's was written, and it already shows desk 1's mark…
    let marked_row = format!("[+]* {item:<6} {occ:<10}");
    two.wait_for(&marked_row);
    // …and so it does after an explicit reload.
    two.send("r");
    two.wait_for("已重新载入");
    two.wait_for(&marked_row);
    two.wait_for(" · 审查中 · ");

    let (mark, by): (Option<String>, Option<String>) = t
        .store()
        .conn
        .query_row(
            "SELECT mark, marked_by FROM checklist WHERE case_id = ?1 AND item_id = ?2
               AND occupation = ?3",
            rusqlite::params![case_id, item, occ],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(mark.as_deref(), Some("pass"));
    assert_eq!(by, Some(me()));
    let marks = case_audit(&t, &case_no)
        .into_iter()
        .filter(|(_, a)| a == "case.mark")
        .count();
    assert_eq!(marks, 1, "only desk 1's mark was written");

    // Desk 2 works on from the fresh version: its next write goes through.
    two.send("u");
    two.send("p");
    two.wait_for("已标记");
    let marks = case_audit(&t, &case_no)
        .into_iter()
        .filter(|(_, a)| a == "case.mark")
        .count();
    assert_eq!(marks, 2);

    for d in [&mut one, &mut two] {
        d.send("q");
        d.wait_for("全部");
        d.send("q");
        assert!(d.wait_exit().success());
    }
}

// ------------------------------------------------------------------------------ c) signals

fn assert_restored(desk: &Desk) {
    // The restoring sequences themselves, not only the state a parser ends in: leave the
    // alternate screen, show the cursor.
    let raw = desk.raw();
    let has = |needle: &[u8]| raw.windows(needle.len()).any(|w| w == needle);
    assert!(
        has(b"\x1b[?1049l"),
        "{}: no leave-alternate-screen sequence written",
        desk.name
    );
    assert!(
        has(b"\x1b[?25h"),
        "{}: no show-cursor sequence written",
        desk.name
    );
    let p = desk.parser.lock().unwrap();
    let sc = p.screen();
    assert!(
        !sc.alternate_screen(),
        "{}: still in the alternate screen after exit",
        desk.name
    );
    assert!(
        !sc.hide_cursor(),
        "{}: the cursor is still hidden after exit",
        desk.name
    );
}

/// A dropped SSH session (SIGHUP) while a note is being typed: the draft is kept and the
/// terminal is given back in the state it was found.
#[test]
fn sighup_while_typing_keeps_the_draft_and_restores_the_terminal() {
    let t = Tmp::demo();
    let (case_no, case_id) = new_selection_case(&t);
    let mut desk = Desk::open("desk", &t, (100, 30));
    desk.open_case(&case_no);
    desk.send("n");
    desk.wait_for("Ctrl-S 保存");
    let first = "现场核验：消防验收";
    desk.send(first);
    desk.wait_for(first);

    // The draft is written once typing pauses (500 ms): poll the table for it.
    let draft = || -> Option<(String, String)> {
        t.store()
            .conn
            .query_row(
                "SELECT target, text FROM drafts WHERE account = ?1 AND case_id = ?2",
                rusqlite::params![me(), case_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .ok()
    };
    let start = Instant::now();
    while draft().is_none_or(|(_, text)| text != first) {
        assert!(
            start.elapsed() < TIMEOUT,
            "no draft {first:?} after {TIMEOUT:?}: {:?}",
            draft()
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // More text, then the line drops before the debounce: the exit path saves it.
    let second = "意见待补充";
    desk.send(second);
    desk.wait_for(&format!("{first}{second}"));
    desk.signal(nix::sys::signal::Signal::SIGHUP);
    let st = desk.wait_exit();
    assert!(st.success(), "exit after SIGHUP: {st:?}");
    let (target, text) = draft().expect("the draft is in the drafts table");
    assert_eq!(text, format!("{first}{second}"));
    assert!(target.contains('|'), "an item note's draft: {target}");
    assert_restored(&desk);
    assert_no_panic(&desk);

    // The reviewer logs in again: the same note opens with the draft in it.
    let mut again = Desk::open("desk again", &t, (100, 30));
    again.open_case(&case_no);
    again.send("n");
    again.wait_for("Ctrl-S 保存");
    again.wait_for(&format!("{first}{second}"));
}

fn assert_no_panic(desk: &Desk) {
    let raw = String::from_utf8_lossy(&desk.raw()).into_owned();
    assert!(
        !raw.contains("panicked"),
        "{}: a panic was printed:\n{raw}",
        desk.name
    );
}

#[test]
fn sigterm_on_the_queue_restores_the_terminal() {
    let t = Tmp::demo();
    let mut desk = Desk::open("desk", &t, (100, 30));
    desk.wait_for("全部");
    desk.signal(nix::sys::signal::Signal::SIGTERM);
    let st = desk.wait_exit();
    assert!(st.success(), "exit after SIGTERM: {st:?}");
    assert_restored(&desk);
}

// ------------------------------------------------------------------------------ d) hostile data

/// Names with escape sequences, a bidi override and a carriage return are shown as inert
/// text: none of their control bytes reaches the terminal.
#[test]
fn control_characters_in_data_never_reach_the_terminal() {
    let t = Tmp::demo();
    let case_no = "GZ-2026-S-0977";
    let evil = "\u{1b}[2J\u{1b}]0;evil\u{7}\u{202e}\r";
    let mut app = common::selection_social_org();
    app["case_no"] = json!(case_no);
    app["institution"]["name"] = json!(format!("贵阳{evil}培训学校"));
    app["occupations"][0]["name"] = json!(format!("家政{evil}服务员"));
    let file = t.dir.path().join("evil.json");
    std::fs::write(&file, app.to_string()).unwrap();
    t.cli(&["import", "applications", file.to_str().unwrap()]);

    // 120 columns: the facts pane stands beside the checklist and shows the occupations.
    let mut desk = Desk::open("desk", &t, (120, 30));
    desk.open_case(case_no);
    desk.wait_for("]0;evil"); // the name is there, as inert text
    desk.wait_for("4-10-01-06 家政");
    // The decision dialog lists the occupations for a partial approval.
    desk.send("d");
    desk.wait_for("选择决定");
    desk.choose_decision("部分准予");
    desk.wait_for("[x] 4-10-01-06 家政");
    desk.send("\x1b");
    desk.wait_until("the dialog closed", |s| !s.contains("选择决定"));
    desk.send("h");
    desk.wait_for("case.import");
    desk.send("q");
    desk.wait_until("the history closed", |s| !s.contains("case.import"));
    desk.send("q");
    desk.wait_for("全部");
    desk.send("q");
    assert!(desk.wait_exit().success());

    let raw = desk.raw();
    let has = |needle: &[u8]| raw.windows(needle.len()).any(|w| w == needle);
    assert!(
        !has(b"\x1b]0;evil"),
        "an OSC title sequence reached the terminal"
    );
    assert!(
        !has("\u{202e}".as_bytes()),
        "a bidi override reached the terminal"
    );
    assert!(!has(b"\x07"), "a BEL reached the terminal");
}

/// Every free-text field of an application (institution name, legal representative,
/// occupation names, matching majors) and the case number of a second case hold terminal
/// attacks: a screen clear, an OSC 52 clipboard write, CSI and DCS sequences, a C1 CSI
/// (U+009B) and bidi overrides and isolates. The case is opened, its history and decision
/// dialog shown; none of the injected sequences is among the bytes the program wrote.
#[test]
fn hostile_text_in_every_field_never_reaches_the_terminal() {
    let t = Tmp::demo();
    let evil = "\u{1b}[2J\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[1337;7777H\u{9b}31m\u{1b}Pq#0\u{1b}\\\u{202e}\u{2066}\u{7f}";
    let case_no = "GZ-2026-S-0978";
    let mut app = common::selection_social_org();
    app["case_no"] = json!(case_no);
    app["institution"]["name"] = json!(format!("遵义{evil}学校"));
    app["institution"]["legal_representative"] = json!(format!("李{evil}某"));
    app["occupations"][0]["name"] = json!(format!("家政{evil}服务员"));
    app["occupations"][0]["matching_major"] = json!(format!("专业{evil}"));
    let mut second = common::second_occupation();
    second["name"] = json!(format!("养老{evil}护理员"));
    second["matching_major"] = json!(evil);
    app["occupations"].as_array_mut().unwrap().push(second);
    let mut other = common::selection_social_org();
    other["case_no"] = json!(format!("GZ-2026-S-0979{evil}"));
    other["institution"]["name"] = json!(format!("{evil}安顺学校"));
    let (a, b) = (t.dir.path().join("a.json"), t.dir.path().join("b.json"));
    std::fs::write(&a, app.to_string()).unwrap();
    std::fs::write(&b, other.to_string()).unwrap();
    let report = t.cli(&[
        "import",
        "applications",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    assert!(!report.contains('\u{1b}'), "the import report: {report:?}");

    let mut desk = Desk::open("desk", &t, (120, 30));
    desk.open_case(case_no);
    desk.wait_for("[2J ]52;c;ZXZpbA=="); // the name is there, as inert text
    desk.wait_for("4-10-01-06 家政");
    desk.send("d");
    desk.wait_for("选择决定");
    desk.choose_decision("部分准予");
    desk.wait_for("[x] 4-10-01-05 养老");
    desk.send("\x1b");
    desk.wait_until("the dialog closed", |s| !s.contains("选择决定"));
    desk.send("h");
    desk.wait_for("case.import");
    desk.send("q");
    desk.wait_until("the history closed", |s| !s.contains("case.import"));
    desk.send("q");
    desk.wait_for("全部");
    // The second case, by its number: the queue and the case view show the hostile number.
    // (Esc in the search box drops the query kept from the first case.)
    desk.send("/");
    desk.send("\x1b");
    desk.wait_until("the query dropped", |s| !s.contains("/GZ-2026-S-0978"));
    desk.send("/");
    desk.send("S-0979");
    desk.wait_for("/S-0979 (");
    desk.send("\r");
    desk.send("\r");
    desk.wait_for("案件 GZ-2026-S-0979");
    desk.send("q");
    desk.wait_for("全部");
    desk.send("q");
    assert!(desk.wait_exit().success());
    assert_no_panic(&desk);

    let raw = desk.raw();
    let has = |needle: &[u8]| raw.windows(needle.len()).any(|w| w == needle);
    for (needle, what) in [
        (&b"\x1b]52"[..], "an OSC 52 clipboard write"),
        (b"\x1b[1337;7777H", "an injected CSI"),
        (b"\x1bP", "a DCS"),
        (b"\x07", "a BEL"),
        (b"\x7f", "a DEL"),
        ("\u{9b}".as_bytes(), "a C1 CSI"),
        ("\u{202e}".as_bytes(), "a right-to-left override"),
        ("\u{2066}".as_bytes(), "a left-to-right isolate"),
    ] {
        assert!(!has(needle), "{what} reached the terminal");
    }
    // ESC [ 2 J is also what the program itself writes to clear the screen, so it is not
    // looked for as bytes: the wait for "[2J ]52;c;" above saw it drawn as inert text.
}

// ------------------------------------------------------------------------------ resize storms

/// A reviewer's window dragged about, down to one cell and back, hundreds of times in quick
/// succession, on the queue, on a case and in the decision dialog: no panic, and once the
/// window is back to its size the screen is the same full frame as before the storm.
#[test]
fn resize_storms_never_panic_and_end_in_a_whole_frame() {
    let t = Tmp::demo();
    let (case_no, _) = new_selection_case(&t);
    let size = (100u16, 30u16);
    let mut desk = Desk::open("desk", &t, size);
    let seed = fastrand::u64(..);
    let mut rng = fastrand::Rng::with_seed(seed);
    let storm = |desk: &Desk, rng: &mut fastrand::Rng| {
        for i in 0..150 {
            let (cols, rows) = match i % 10 {
                0 => (1, 1),
                1 => (2, 1),
                2 => (1, 40),
                3 => (250, 2),
                _ => (rng.u16(1..=220), rng.u16(1..=70)),
            };
            desk.resize(cols, rows);
            if rng.u8(..4) == 0 {
                std::thread::sleep(Duration::from_millis(rng.u64(0..=15)));
            }
        }
        desk.resize(size.0, size.1);
    };
    // Written blanks and cleared cells differ only in trailing spaces of the parser's text.
    let trimmed =
        |s: &str| -> Vec<String> { s.lines().map(|l| l.trim_end().to_string()).collect() };
    let settle = |desk: &Desk, before: &str, what: &str| {
        desk.wait_until(
            &format!("{what}: the frame before the storm (seed {seed}):\n{before}\n--"),
            |s| trimmed(s) == trimmed(before),
        );
        // Then until the program is quiet (no output for 300 ms): the last SIGWINCHs are
        // handled before the next key. crossterm's edge-triggered reader can leave a key
        // that arrives together with a SIGWINCH unread until the next input; a terminal
        // answering the desk's cursor query gives it that input, the test terminal does not.
        let start = Instant::now();
        loop {
            let n = desk.raw.lock().unwrap().len();
            std::thread::sleep(Duration::from_millis(300));
            if desk.raw.lock().unwrap().len() == n {
                break;
            }
            assert!(start.elapsed() < TIMEOUT, "{what}: output never stops");
        }
    };

    desk.wait_for("全部");
    // Wait for the frame to be still: two reads 200 ms apart agree.
    let still = |desk: &Desk| -> String {
        let start = Instant::now();
        loop {
            let a = desk.screen();
            std::thread::sleep(Duration::from_millis(200));
            if desk.screen() == a {
                return a;
            }
            assert!(start.elapsed() < TIMEOUT, "the screen never stops changing");
        }
    };
    let before = still(&desk);
    storm(&desk, &mut rng);
    settle(&desk, &before, "queue");

    desk.open_case(&case_no);
    let before = still(&desk);
    storm(&desk, &mut rng);
    settle(&desk, &before, "case");

    desk.send("d");
    desk.wait_for("选择决定");
    let before = still(&desk);
    storm(&desk, &mut rng);
    settle(&desk, &before, "decision dialog");
    desk.send("\x1b");
    desk.wait_until("the dialog closed", |s| !s.contains("选择决定"));

    desk.send("q");
    desk.wait_for("全部");
    desk.send("q");
    let st = desk.wait_exit();
    assert!(st.success(), "exit after the storms (seed {seed}): {st:?}");
    assert_no_panic(&desk);
    assert_restored(&desk);
}

// ------------------------------------------------------------------------------ help

/// `?` shows the help at once (it once waited for the next key: the overlay did not mark the
/// screen as changed).
#[test]
fn help_opens_at_once() {
    let t = Tmp::demo();
    let mut desk = Desk::open("desk", &t, (100, 30));
    desk.wait_for("全部");
    desk.send("?");
    desk.wait_for("本屏按键");
    desk.send("q");
    desk.wait_until("the help closed", |s| !s.contains("本屏按键"));
    desk.send("q");
    assert!(desk.wait_exit().success());
}

/// The terminal goes away (the SSH connection or the window is gone, and no SIGHUP comes)
/// while the desk is working: it must end within seconds. crossterm reads a hung-up
/// terminal in an endless loop, which once left such desks burning a core for hours.
#[test]
fn a_terminal_that_goes_away_ends_the_desk_without_spinning() {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    use std::os::fd::AsFd;
    let t = Tmp::demo();
    for keys in ["", "jjjjjjjjjjjjjjjjjjjjjjjjjjjjjj", "/贵州"] {
        let mut cmd = Command::new(BIN);
        cmd.arg("--db")
            .arg(&t.db)
            .args(["--lang", "zh"])
            .envs(t.env());
        let (mut child, mut master) = common::spawn_on_own_pty(cmd, (80, 24));
        // Read the first frame, answering the cursor-position queries as a terminal does.
        let mut seen = Vec::new();
        let start = Instant::now();
        let mut sent = false;
        while start.elapsed() < TIMEOUT {
            let mut fds = [PollFd::new(master.as_fd(), PollFlags::POLLIN)];
            if poll(&mut fds, PollTimeout::from(100u16)).unwrap_or(0) == 0 {
                if sent {
                    break;
                }
                continue;
            }
            let mut buf = [0u8; 65536];
            let n = master.read(&mut buf).unwrap_or(0);
            seen.extend_from_slice(&buf[..n]);
            for _ in 0..buf[..n].windows(4).filter(|w| w == b"\x1b[6n").count() {
                master.write_all(b"\x1b[1;1R").unwrap();
            }
            if !sent && String::from_utf8_lossy(&seen).contains("评审") {
                master.write_all(keys.as_bytes()).unwrap();
                sent = true;
            }
        }
        assert!(sent, "no first frame: {}", String::from_utf8_lossy(&seen));
        // One more key; its frame's cursor query goes unanswered (the line is already
        // failing), and the line drops while the desk waits for the answer.
        master.write_all(b"j").unwrap();
        let mut after = Vec::new();
        let start = Instant::now();
        while !after.windows(4).any(|w| w == b"\x1b[6n") && start.elapsed() < TIMEOUT {
            let mut fds = [PollFd::new(master.as_fd(), PollFlags::POLLIN)];
            if poll(&mut fds, PollTimeout::from(100u16)).unwrap_or(0) > 0 {
                let mut buf = [0u8; 65536];
                let n = master.read(&mut buf).unwrap_or(0);
                after.extend_from_slice(&buf[..n]);
            }
        }
        let ticks = || -> Option<u64> {
            let stat = std::fs::read_to_string(format!("/proc/{}/stat", child.id())).ok()?;
            let f: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        };
        let before = ticks();
        drop(master);
        let start = Instant::now();
        std::thread::sleep(Duration::from_secs(1));
        if let (Some(a), Some(b)) = (before, ticks()) {
            // Clock ticks are hundredths of a second: under a quarter of a core.
            assert!(
                b - a < 25,
                "keys {keys:?}: {} ticks of CPU in the second after the hang-up",
                b - a
            );
        }
        let status = loop {
            if let Some(st) = child.try_wait().unwrap() {
                break st;
            }
            if start.elapsed() > TIMEOUT {
                let stat = std::fs::read_to_string(format!("/proc/{}/stat", child.id()))
                    .unwrap_or_default();
                let _ = child.kill();
                panic!("keys {keys:?}: the desk still runs {TIMEOUT:?} after its terminal went away: {stat}");
            }
            std::thread::sleep(POLL);
        };
        assert!(status.success(), "keys {keys:?}: {status:?}");
    }
}

/// A key whose only effect is a message shows it at once; Ctrl-L draws the screen whole.
#[test]
fn a_message_shows_at_once_and_ctrl_l_redraws() {
    let t = Tmp::demo();
    let (case_no, _) = new_selection_case(&t);
    let mut desk = Desk::open("desk", &t, (100, 30));
    desk.open_case(&case_no);
    // `w` on a case that is not an exit: nothing changes but a message.
    desk.send("w");
    desk.wait_for("本案不是退出案件");
    desk.send("q");
    desk.wait_for("全部");
    // (Esc and `[` typed quickly with nothing after: src/ui/input.rs's tests.)
    // Ctrl-L: the screen is cleared and drawn whole.
    let before = desk.raw().len();
    desk.send("\x0c");
    desk.wait_until_state("a whole frame after Ctrl-L", |d| {
        let raw = d.raw();
        raw.len() > before && raw[before..].windows(4).any(|w| w == b"\x1b[2J")
    });
    desk.wait_for("全部");
    desk.send("q");
    assert!(desk.wait_exit().success());
}
