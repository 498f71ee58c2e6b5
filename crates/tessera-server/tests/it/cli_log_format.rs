//! `TESSERA_LOG_FORMAT=json` on the real `tessera serve`: every line of
//! standard error is one JSON object, a request's lines carry its id, its
//! route template and its user, and no password, token, cookie or secret
//! reaches the log, whatever the requests carried.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Project, RawReply};

const PASSWORD: &str = "Correct-Horse-Battery-7261";
const WRONG_PASSWORD: &str = "Guessed-Wrong-Staple-5518";

/// Header `name` of `answer`, which must be there.
fn must_header<'a>(answer: &'a RawReply, name: &str) -> &'a str {
    answer
        .header(name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", answer.headers))
}

fn call(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> RawReply {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    RawReply::parse(&raw)
}

const JSON: (&str, &str) = ("Content-Type", "application/json");

/// `tessera serve` with JSON logs on a free port; its standard error is
/// collected line by line from the start.
struct JsonServer {
    child: Child,
    addr: String,
    lines: Arc<Mutex<Vec<String>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl JsonServer {
    fn start(project: &Project) -> JsonServer {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
        for (name, _) in std::env::vars_os() {
            let text = name.to_string_lossy();
            if text.starts_with("JWT_") || text.starts_with("TESSERA_") || text == "DATABASE_URL" {
                command.env_remove(&name);
            }
        }
        let mut child = command
            .arg("serve")
            .current_dir(project.path())
            .env("TESSERA_BIND", "127.0.0.1:0")
            .env("TESSERA_LOG", "info")
            .env("TESSERA_LOG_FORMAT", "json")
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let lines = Arc::new(Mutex::new(Vec::new()));
        let addr = loop {
            let mut line = String::new();
            assert!(
                stderr.read_line(&mut line).unwrap() > 0,
                "server exited early: {:?}",
                lines.lock().unwrap()
            );
            lines.lock().unwrap().push(line.clone());
            if let Some(rest) = line.split("listening on http://").nth(1) {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        let sink = Arc::clone(&lines);
        let reader = std::thread::spawn(move || {
            for line in stderr.lines() {
                sink.lock().unwrap().push(line.unwrap());
            }
        });
        JsonServer {
            child,
            addr,
            lines,
            reader: Some(reader),
        }
    }

    /// Stops the server (SIGTERM) and returns every line it wrote.
    fn stop(mut self) -> Vec<String> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "tessera serve did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
        self.reader.take().unwrap().join().unwrap();
        self.lines.lock().unwrap().clone()
    }
}

impl Drop for JsonServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn json_logs_are_one_object_per_line_with_request_ids_and_no_secrets() {
    let project = Project::new();
    let server = JsonServer::start(&project);
    let addr = server.addr.clone();
    let credentials = json!({ "username": "ada", "password": PASSWORD }).to_string();
    let wrong = json!({ "username": "ada", "password": WRONG_PASSWORD }).to_string();

    let registered = call(&addr, "POST", "/auth/register", &[JSON], &credentials);
    assert_eq!(registered.status, 201, "{}", registered.body);
    let user_id = registered.json()["id"].as_str().unwrap().to_owned();

    let login = call(&addr, "POST", "/auth/login", &[JSON], &credentials);
    assert_eq!(login.status, 200, "{}", login.body);
    let login_id = must_header(&login, "x-request-id").to_owned();
    let access = login.json()["access_token"].as_str().unwrap().to_owned();
    let refresh = login.json()["refresh_token"].as_str().unwrap().to_owned();

    let cookie_login = call(
        &addr,
        "POST",
        "/auth/login?cookies=true",
        &[JSON],
        &credentials,
    );
    assert_eq!(cookie_login.status, 200, "{}", cookie_login.body);
    let cookies = cookie_login.cookies();
    assert!(!cookies.is_empty());
    let cookie_header = cookies.join("; ");

    let bearer = format!("Bearer {access}");
    let me = call(&addr, "GET", "/auth/me", &[("Authorization", &bearer)], "");
    assert_eq!(me.status, 200, "{}", me.body);
    let me_id = must_header(&me, "x-request-id").to_owned();
    let verify = call(
        &addr,
        "GET",
        "/auth/verify",
        &[("Cookie", &cookie_header), ("X-Original-Method", "GET")],
        "",
    );
    assert_eq!(verify.status, 200, "{}", verify.body);
    let refresh_bearer = format!("Bearer {refresh}");
    let refreshed = call(
        &addr,
        "POST",
        "/auth/refresh",
        &[("Authorization", &refresh_bearer)],
        "",
    );
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    let new_refresh = refreshed.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = call(&addr, "POST", "/auth/login", &[JSON], &wrong);
    assert_eq!(refused.status, 401, "{}", refused.body);
    // A client-sent id is not believed (no proxy is trusted): it never shows.
    let probe = call(
        &addr,
        "GET",
        "/admin/users/some-user-id",
        &[("X-Request-Id", "client-chosen-id")],
        "",
    );
    assert_eq!(probe.status, 401, "{}", probe.body);

    let lines = server.stop();
    let log = lines.join("\n");
    let objects: Vec<Value> = lines
        .iter()
        .map(|line| {
            let object: Value =
                serde_json::from_str(line).unwrap_or_else(|err| panic!("not JSON ({err}): {line}"));
            for key in ["timestamp", "level", "message"] {
                assert!(object.get(key).is_some(), "no {key}: {line}");
            }
            object
        })
        .collect();

    // The login's lines carry its id, and its answered line says the rest.
    let of_login: Vec<&Value> = objects
        .iter()
        .filter(|object| object["span"]["request_id"] == login_id.as_str())
        .collect();
    let answered = of_login
        .iter()
        .find(|object| object["message"] == "answered")
        .unwrap_or_else(|| panic!("no answered line for {login_id} in\n{log}"));
    assert_eq!(answered["level"], "INFO");
    assert_eq!(answered["status"], 200);
    assert!(answered["latency_ms"].as_f64().unwrap() > 0.0, "{answered}");
    assert_eq!(answered["span"]["method"], "POST");
    assert_eq!(answered["span"]["route"], "/auth/login");
    assert_eq!(answered["span"]["user_id"], user_id.as_str());
    // A token's request names the token's subject.
    let me_line = objects
        .iter()
        .find(|object| object["span"]["request_id"] == me_id.as_str())
        .unwrap_or_else(|| panic!("no line for {me_id} in\n{log}"));
    assert_eq!(me_line["span"]["user_id"], user_id.as_str());
    assert_eq!(me_line["span"]["route"], "/auth/me");
    // Routes are templates: the id in the path is not in the log.
    assert!(log.contains("\"route\":\"/admin/users/{id}\""), "{log}");
    assert!(!log.contains("some-user-id"), "{log}");
    assert!(!log.contains("client-chosen-id"), "{log}");

    let secret = project.secret();
    let mut never = vec![
        PASSWORD.to_owned(),
        WRONG_PASSWORD.to_owned(),
        access,
        refresh,
        new_refresh,
        secret,
    ];
    for cookie in &cookies {
        never.push(cookie.split_once('=').unwrap().1.to_owned());
    }
    for value in never.iter().filter(|value| !value.is_empty()) {
        assert!(
            !log.contains(value.as_str()),
            "{value} is in the log:\n{log}"
        );
    }
    let lowered = log.to_ascii_lowercase();
    for word in ["bearer", "authorization", "cookie", "password\":"] {
        assert!(!lowered.contains(word), "{word} in the log:\n{log}");
    }
}

#[test]
fn an_unknown_log_format_is_one_clear_line() {
    let project = Project::new();
    let outcome = project
        .tessera(["serve"])
        .env("TESSERA_LOG_FORMAT", "yaml")
        .env("TESSERA_BIND", "127.0.0.1:0")
        .run();
    assert_eq!(
        outcome.one_line_error(),
        "error: TESSERA_LOG_FORMAT must be `text` or `json`, not \"yaml\""
    );
}
