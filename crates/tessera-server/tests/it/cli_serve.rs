//! `tessera serve` as a process: zero-config start, a real request, and a
//! clean exit on SIGTERM (the shutdown is logged from a worker thread, which
//! once deadlocked on a stdout lock the command line held).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::Project;

fn get(addr: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
fn serve_starts_from_an_empty_directory_and_stops_cleanly_on_sigterm() {
    let project = Project::new();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .arg("serve")
        .current_dir(project.path())
        .env("TESSERA_BIND", "127.0.0.1:0")
        .env("TESSERA_LOG", "info")
        .env_remove("JWT_SECRET_KEY")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let addr = loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "server exited early: {seen}"
        );
        seen.push_str(&line);
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    assert!(seen.contains("created .env"), "{seen}");
    assert!(project.path().join(".env").exists());
    // The database (password hashes, e-mails, IPs, the audit trail) and its
    // WAL files are the owner's alone, like `.env`.
    #[cfg(unix)]
    for name in ["tessera.db", "tessera.db-wal", "tessera.db-shm"] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(project.path().join(name))
            .unwrap_or_else(|err| panic!("{name}: {err}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}");
    }
    assert!(get(&addr, "/healthz").starts_with("HTTP/1.1 200"));
    // Port 0 became a real port, and the discovery document names it.
    assert!(!addr.ends_with(":0"), "{addr}");
    let discovery = get(&addr, "/.well-known/openid-configuration");
    assert!(
        discovery.contains(&format!("\"issuer\":\"http://{addr}\"")),
        "{discovery}"
    );

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("tessera serve did not stop within 10 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit:?}");
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("shutting down"), "{rest}");
    assert!(rest.contains("tessera stopped"), "{rest}");
    // Piped to a file or a collector, the log carries no colour codes.
    assert!(
        !seen.contains('\u{1b}') && !rest.contains('\u{1b}'),
        "{seen}{rest}"
    );
}
