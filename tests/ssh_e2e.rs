//! End-to-end over real SSH: a throw-away OpenSSH server on 127.0.0.1 (key authentication
//! only, `ForceCommand` running the built pingshen, as the README's office set-up), a reviewer
//! OS account made with `useradd`, and `ssh -tt` in a pseudo-terminal. The reviewer opens a
//! case, marks an item with `p` and quits; the audit log must name the account sshd logged in.
//!
//! Needs root (useradd, sshd) and `/usr/sbin/sshd` (`.ci/run` installs Debian's
//! openssh-server); otherwise it says why on stderr and passes without running.

use portable_pty::{native_pty_system, Child, CommandBuilder, MasterPty, PtySize};
use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_pingshen");
const SSHD: &str = "/usr/sbin/sshd";
/// Generous: a loaded two-core machine is slower, never flaky.
const TIMEOUT: Duration = Duration::from_secs(15);
const POLL: Duration = Duration::from_millis(20);

// ------------------------------------------------------------------------------ the terminal

/// `ssh -tt …` in its own pseudo-terminal, its screen read back through a vt100 parser.
struct Term {
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    _master: Box<dyn MasterPty + Send>,
    parser: Arc<Mutex<vt100::Parser>>,
    eof: Arc<AtomicBool>,
    pid: i32,
}

impl Term {
    fn spawn(argv: &[OsString], (cols, rows): (u16, u16)) -> Self {
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
        cmd.cwd(std::env::temp_dir());
        let child = pair.slave.spawn_command(cmd).expect("spawn in the pty");
        drop(pair.slave);
        let pid = child.process_id().expect("a pid") as i32;
        let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let eof = Arc::new(AtomicBool::new(false));
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        {
            let (parser, eof) = (parser.clone(), eof.clone());
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                loop {
                    match reader.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => parser.lock().unwrap().process(&buf[..n]),
                    }
                }
                eof.store(true, Ordering::SeqCst);
            });
        }
        let writer = pair.master.take_writer().expect("pty writer");
        Self {
            child,
            writer,
            _master: pair.master,
            parser,
            eof,
            pid,
        }
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

    fn wait_until(&self, what: &str, pred: impl Fn(&str) -> bool) {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if pred(&s) {
                return;
            }
            if start.elapsed() > TIMEOUT {
                panic!("ssh: timed out after {TIMEOUT:?} waiting for {what}; the screen:\n{s}\n--");
            }
            std::thread::sleep(POLL);
        }
    }

    fn wait_for(&self, text: &str) {
        self.wait_until(&format!("{text:?}"), |s| s.contains(text));
    }

    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let start = Instant::now();
        let status = loop {
            if let Some(st) = self.child.try_wait().expect("try_wait") {
                break st;
            }
            if start.elapsed() > TIMEOUT {
                panic!(
                    "ssh: still running {TIMEOUT:?} after it was asked to stop; the screen:\n{}",
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
}

impl Drop for Term {
    /// The ssh client goes with its process group; sshd then ends the session and its pingshen.
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

/// A throw-away OS account, deleted when dropped (also when the test fails).
struct OsUser(String);

impl OsUser {
    fn create() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("psssh_{:08x}", nanos ^ std::process::id().rotate_left(16));
        // useradd locks /etc/passwd; another useradd at the same moment makes it fail at once.
        let start = Instant::now();
        loop {
            let st = Command::new("useradd")
                .args(["-M", "-s", "/bin/sh", &name])
                .status()
                .expect("run useradd");
            if st.success() {
                break;
            }
            assert!(start.elapsed() < TIMEOUT, "useradd {name} failed: {st}");
            std::thread::sleep(Duration::from_millis(200));
        }
        let user = Self(name);
        // useradd leaves the password "!" (locked), and sshd without PAM refuses a locked
        // account even for a key; "*" is no password at all, but not locked.
        let st = Command::new("usermod")
            .args(["-p", "*", &user.0])
            .status()
            .expect("run usermod");
        assert!(st.success(), "usermod -p '*' {} failed", user.0);
        user
    }
}

impl Drop for OsUser {
    fn drop(&mut self) {
        let _ = Command::new("userdel").arg("-f").arg(&self.0).status();
    }
}

/// The test's sshd, stopped (and waited for) when dropped.
struct Sshd(std::process::Child);

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.0.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(POLL);
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn pingshen(db: &Path, args: &[&str]) -> String {
    run(Command::new(BIN).arg("--db").arg(db).args(args))
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .expect("bind a free port")
        .local_addr()
        .unwrap()
        .port()
}

/// Whether another account can run `path`: every folder above it searchable, the file
/// readable and executable by others.
fn reachable_by_others(path: &Path) -> bool {
    let mode = |p: &Path| std::fs::metadata(p).map(|m| m.permissions().mode());
    if !mode(path).is_ok_and(|m| m & 0o005 == 0o005) {
        return false;
    }
    path.ancestors()
        .skip(1)
        .filter(|p| !p.as_os_str().is_empty())
        .all(|p| mode(p).is_ok_and(|m| m & 0o001 != 0))
}

/// "3 项待审" in the case header, or None once every item is resolved.
fn unresolved(first_row: &str) -> Option<usize> {
    let re = regex::Regex::new(r"(\d+) 项待审").unwrap();
    re.captures(first_row).map(|c| c[1].parse().unwrap())
}

// ------------------------------------------------------------------------------ the test

#[test]
fn a_reviewer_over_ssh_marks_an_item_under_their_own_account() {
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!("ssh_e2e skipped: not root (it needs useradd and to run sshd)");
        return;
    }
    if !Path::new(SSHD).exists() {
        eprintln!("ssh_e2e skipped: no {SSHD} (apt-get install openssh-server; .ci/run does)");
        return;
    }
    let started = Instant::now();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let open = std::fs::Permissions::from_mode(0o755);
    std::fs::set_permissions(dir, open.clone()).unwrap();

    // The database, in a folder of its own owned by the reviewer's account (see the README:
    // pingshen refuses a database others can write, so its writer owns it).
    std::fs::create_dir(dir.join("db")).unwrap();
    let db = dir.join("db").join("pingshen.db");
    pingshen(
        &db,
        &["demo", "--institutions", "40", "--certificates", "5000"],
    );
    let user = OsUser::create();
    pingshen(
        &db,
        &[
            "reviewer", "add", &user.0, "--role", "reviewer", "--region", "520000",
        ],
    );
    let case_no: String = {
        let store = pingshen::store::Store::open(&db).expect("open the test database");
        store
            .conn
            .query_row(
                "SELECT c.case_no FROM cases c
                 WHERE c.status = 'new' AND c.kind = 'selection'
                   AND (SELECT k.auto_result FROM checklist k WHERE k.case_id = c.id
                        ORDER BY k.seq LIMIT 1) <> 'fail'
                 ORDER BY c.case_no LIMIT 1",
                [],
                |r| r.get(0),
            )
            .expect("the demo has a new selection case")
    };
    run(Command::new("chown")
        .arg("-R")
        .arg(&user.0)
        .arg(dir.join("db")));
    let bin = if reachable_by_others(Path::new(BIN)) {
        PathBuf::from(BIN)
    } else {
        let copy = dir.join("pingshen");
        std::fs::copy(BIN, &copy).expect("copy the binary where the account can run it");
        std::fs::set_permissions(&copy, open.clone()).unwrap();
        copy
    };

    // Keys: the server's host key and the reviewer's key, authorised in the temp folder.
    let host_key = dir.join("ssh_host_ed25519_key");
    let user_key = dir.join("id_ed25519");
    for key in [&host_key, &user_key] {
        run(Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(key));
    }
    let authorized = dir.join("authorized_keys");
    std::fs::copy(user_key.with_extension("pub"), &authorized).unwrap();
    std::fs::set_permissions(&authorized, std::fs::Permissions::from_mode(0o644)).unwrap();

    // The office's sshd_config (README, "On the office server"), on a free local port.
    let port = free_port();
    let force = format!(
        "env LANG=C.UTF-8 XDG_CONFIG_HOME={d}/config XDG_DATA_HOME={d}/data {bin} --db {db} --lang zh",
        d = dir.display(),
        bin = bin.display(),
        db = db.display()
    );
    let config = dir.join("sshd_config");
    std::fs::write(
        &config,
        format!(
            "ListenAddress 127.0.0.1\n\
             Port {port}\n\
             HostKey {host}\n\
             PidFile {dir}/sshd.pid\n\
             AuthorizedKeysFile {auth}\n\
             PubkeyAuthentication yes\n\
             PasswordAuthentication no\n\
             KbdInteractiveAuthentication no\n\
             StrictModes no\n\
             UsePAM no\n\
             PermitRootLogin no\n\
             AllowUsers {user}\n\
             LogLevel VERBOSE\n\
             Match User {user}\n\
             \tForceCommand {force}\n\
             \tPermitTTY yes\n\
             \tAllowTcpForwarding no\n\
             \tX11Forwarding no\n",
            host = host_key.display(),
            dir = dir.display(),
            auth = authorized.display(),
            user = user.0,
        ),
    )
    .unwrap();
    // sshd's privilege-separation folder, which only the ssh service's start-up makes.
    std::fs::create_dir_all("/run/sshd").unwrap();
    let sshd_log = std::fs::File::create(dir.join("sshd.log")).unwrap();
    let sshd = Sshd(
        Command::new(SSHD)
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(sshd_log.try_clone().unwrap())
            .stderr(sshd_log)
            .spawn()
            .expect("start sshd"),
    );
    let log = || std::fs::read_to_string(dir.join("sshd.log")).unwrap_or_default();
    let start = Instant::now();
    while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
        assert!(
            start.elapsed() < TIMEOUT,
            "sshd did not listen on port {port}; its log:\n{}",
            log()
        );
        std::thread::sleep(POLL);
    }

    // The reviewer logs in: no command, no flag — sshd runs pingshen for the account.
    let argv: Vec<OsString> = vec![
        "ssh".into(),
        "-tt".into(),
        "-F".into(),
        "/dev/null".into(),
        "-i".into(),
        user_key.clone().into(),
        "-p".into(),
        port.to_string().into(),
        "-o".into(),
        "StrictHostKeyChecking=no".into(),
        "-o".into(),
        "UserKnownHostsFile=/dev/null".into(),
        "-o".into(),
        "BatchMode=yes".into(),
        "-o".into(),
        "IdentitiesOnly=yes".into(),
        "-o".into(),
        "LogLevel=ERROR".into(),
        format!("{}@127.0.0.1", user.0).into(),
    ];
    let mut term = Term::spawn(&argv, (100, 30));
    let ready = Instant::now();
    while !term.screen().contains("全部") {
        if ready.elapsed() > TIMEOUT {
            panic!(
                "no queue over ssh after {TIMEOUT:?}; the screen:\n{}\n-- sshd's log:\n{}",
                term.screen(),
                log()
            );
        }
        std::thread::sleep(POLL);
    }
    term.send("/");
    term.send(&case_no);
    term.wait_for(&format!("/{case_no} ("));
    term.send("\r");
    term.send("\r");
    term.wait_for(&format!("案件 {case_no} ·"));
    term.send("u");
    let n = unresolved(&term.first_row()).expect("the case has unresolved items");
    term.send("p");
    term.wait_for("已标记");
    term.wait_until(&format!("fewer than {n} unresolved"), |s| {
        unresolved(s.lines().next().unwrap_or("")).is_none_or(|m| m < n)
    });
    term.send("q");
    term.wait_for("全部");
    term.send("q");
    let st = term.wait_exit();
    assert!(
        st.success(),
        "ssh (and pingshen behind it) exited with {st:?}; the screen:\n{}\n-- sshd's log:\n{}",
        term.screen(),
        log()
    );
    drop(term);
    drop(sshd);

    // The audit log names the account sshd logged in, for the mark made over SSH.
    let store = pingshen::store::Store::open(&db).expect("open the test database");
    let mut q = store
        .conn
        .prepare(
            "SELECT account, action FROM audit_log WHERE entity = 'case' AND entity_id = ?1
             ORDER BY id",
        )
        .unwrap();
    let entries = q
        .query_map([&case_no], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<Vec<(String, String)>>>()
        .unwrap();
    assert!(
        entries.contains(&(user.0.clone(), "case.mark".to_string())),
        "no case.mark by {} in {entries:?}",
        user.0
    );
    assert!(
        log().contains(&format!("Accepted publickey for {}", user.0)),
        "sshd did not log the key login; its log:\n{}",
        log()
    );
    eprintln!("ssh_e2e: {:.1} s", started.elapsed().as_secs_f64());
}
