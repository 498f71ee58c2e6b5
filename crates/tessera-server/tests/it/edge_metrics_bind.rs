//! `TESSERA_METRICS_BIND`: `tessera serve` as a process answers `/metrics`
//! on its private listener only, and the public one no longer has it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::{Project, RawReply};

fn get(addr: &str, path: &str) -> RawReply {
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
    RawReply::parse(&answer)
}

/// Kills the server when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `tessera serve` with `vars`; the public address and, when
/// logged, the metrics address.
fn serve(project: &Project, vars: &[(&str, &str)]) -> (Running, String, Option<String>) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
    command
        .arg("serve")
        .current_dir(project.path())
        .env("TESSERA_BIND", "127.0.0.1:0")
        .env("TESSERA_LOG", "info")
        .env_remove("JWT_SECRET_KEY")
        .env_remove("DATABASE_URL")
        .env_remove("TESSERA_METRICS_BIND")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (name, value) in vars {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let running = Running(child);
    let mut seen = String::new();
    let mut metrics = None;
    let public = loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "server exited early: {seen}"
        );
        seen.push_str(&line);
        if let Some(rest) = line.split("metrics on http://").nth(1) {
            let addr = rest.split_whitespace().next().unwrap();
            metrics = Some(addr.trim_end_matches("/metrics").to_owned());
        }
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = String::new();
        let _ = stderr.read_to_string(&mut sink);
    });
    (running, public, metrics)
}

#[test]
fn metrics_move_to_their_own_listener() {
    let project = Project::new();
    let (_running, public, metrics) = serve(&project, &[("TESSERA_METRICS_BIND", "127.0.0.1:0")]);
    let metrics = metrics.expect("the metrics address is logged");
    assert_ne!(public, metrics);

    let scraped = get(&metrics, "/metrics");
    assert_eq!(scraped.status, 200, "{scraped:?}");
    assert!(
        scraped.body.contains("# TYPE") && scraped.body.contains("tessera_"),
        "{}",
        scraped.body
    );
    let hidden = get(&public, "/metrics");
    assert_eq!(hidden.status, 404, "{hidden:?}");
    assert_eq!(hidden.json()["error"], "not_found");
    // The private listener has nothing else.
    assert_eq!(get(&metrics, "/healthz").status, 404);
    assert_eq!(get(&public, "/healthz").status, 200);
}

#[test]
fn without_a_metrics_address_the_public_listener_keeps_metrics() {
    let project = Project::new();
    let (_running, public, metrics) = serve(&project, &[]);
    assert_eq!(metrics, None);
    let scraped = get(&public, "/metrics");
    assert_eq!(scraped.status, 200, "{scraped:?}");
    assert!(scraped.body.contains("# TYPE"), "{}", scraped.body);
}
