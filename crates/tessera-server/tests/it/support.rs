//! A tiny harness: a throw-away project directory and the built `tessera`
//! binary run inside it, with no `JWT_*`, `TESSERA_*` or `DATABASE_URL`
//! variables leaking in from outside.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// A temporary project directory; removed when dropped.
pub struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    /// An empty directory with no `.env`.
    pub fn new() -> Project {
        Project {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A directory where `tessera init` has run.
    pub fn initialised() -> Project {
        let project = Project::new();
        project.tessera(["init"]).run().success();
        project
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn env_file(&self) -> PathBuf {
        self.path().join(".env")
    }

    /// The `JWT_SECRET_KEY` value written into `.env`.
    pub fn secret(&self) -> String {
        let text = fs::read_to_string(self.env_file()).unwrap();
        let secrets: Vec<&str> = text
            .lines()
            .filter_map(|line| line.strip_prefix("JWT_SECRET_KEY="))
            .collect();
        assert_eq!(
            secrets.len(),
            1,
            "exactly one JWT_SECRET_KEY line in {text:?}"
        );
        secrets[0].to_owned()
    }

    /// `tessera ARGS` in this directory.
    pub fn tessera<I, S>(&self, args: I) -> Tessera
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
        command.current_dir(self.path());
        for (name, _) in std::env::vars_os() {
            let name_text = name.to_string_lossy();
            if name_text.starts_with("JWT_")
                || name_text.starts_with("TESSERA_")
                || name_text == "DATABASE_URL"
            {
                command.env_remove(name);
            }
        }
        // A panic would print a backtrace; tests assert there is none.
        command.env("RUST_BACKTRACE", "1");
        command.args(args.into_iter().map(|arg| arg.as_ref().to_owned()));
        Tessera {
            command,
            stdin: None,
        }
    }

    /// Runs the server in-process on this project's default store
    /// (`tessera.db`) with its `.env` secret and default public URL, as
    /// `tessera serve` with no settings would; signs `ada` up and logs her
    /// in; and, when `log_out`, logs that session out. Returns her access
    /// token (current: the server's clock is the real time).
    pub async fn session_token(&self, log_out: bool) -> String {
        use tessera::Clock as _;

        let db = crate::store_support::TestDb::Sqlite(self.path().join("tessera.db"));
        let server = crate::http_support::setup()
            .var("JWT_SECRET_KEY", self.secret())
            .var("TESSERA_PUBLIC_URL", "http://127.0.0.1:8080")
            .start_with_clock(&db, tessera::ManualClock::new(tessera::SystemClock.now()))
            .await;
        let ada = server.signed_up("ada").await;
        if log_out {
            server
                .post("/auth/logout")
                .bearer(&ada.access)
                .send()
                .await
                .expect(200);
        }
        server.state.auth.store().close().await;
        ada.access
    }

    /// Issues an access token for `sub` with the project's settings.
    pub fn issue(&self, sub: &str) -> String {
        self.tessera(["token", "issue", "--sub", sub])
            .run()
            .success()
            .stdout
            .trim()
            .to_owned()
    }
}

/// A `tessera` invocation being prepared.
pub struct Tessera {
    command: Command,
    stdin: Option<String>,
}

impl Tessera {
    pub fn env(mut self, name: &str, value: impl AsRef<std::ffi::OsStr>) -> Tessera {
        self.command.env(name, value);
        self
    }

    pub fn stdin(mut self, text: impl Into<String>) -> Tessera {
        self.stdin = Some(text.into());
        self
    }

    pub fn run(mut self) -> Outcome {
        self.command
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.command.spawn().unwrap();
        if let Some(text) = self.stdin.take() {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
        }
        let output = child.wait_with_output().unwrap();
        Outcome {
            code: output.status.code(),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }
}

/// What a finished `tessera` run printed and returned.
#[derive(Debug)]
pub struct Outcome {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// Asserts exit 0.
    #[track_caller]
    pub fn success(self) -> Outcome {
        assert_eq!(self.code, Some(0), "expected success: {self:#?}");
        self
    }

    /// Asserts exit 1 with exactly one `error: …` line on stderr and no sign
    /// of a panic; returns that line.
    #[track_caller]
    pub fn one_line_error(&self) -> &str {
        assert_eq!(self.code, Some(1), "expected exit code 1: {self:#?}");
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "expected one stderr line: {self:#?}");
        assert!(lines[0].starts_with("error: "), "{self:#?}");
        for word in ["panicked", "backtrace", "RUST_BACKTRACE"] {
            assert!(!self.stderr.contains(word), "{word} in {self:#?}");
        }
        lines[0]
    }

    /// Stdout parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|err| panic!("{err}: {self:#?}"))
    }
}

/// A whole HTTP/1.1 response as read off a `Connection: close` socket, for
/// the tests that talk to a real listener byte by byte.
#[derive(Debug)]
pub struct RawReply {
    pub status: u16,
    /// Names lower-cased, in the order they came.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawReply {
    /// Splits `text` (status line, headers, blank line, body).
    pub fn parse(text: &str) -> RawReply {
        let (head, body) = text
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("no end of head in {text:?}"));
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("no status line in {text:?}"));
        let headers = lines
            .map(|line| {
                let (name, value) = line.split_once(':').unwrap();
                (name.trim().to_ascii_lowercase(), value.trim().to_owned())
            })
            .collect();
        RawReply {
            status,
            headers,
            body: body.to_owned(),
        }
    }

    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|err| panic!("{err}: {self:?}"))
    }

    /// `name=value` of each `Set-Cookie`.
    pub fn cookies(&self) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(key, _)| key == "set-cookie")
            .map(|(_, value)| value.split(';').next().unwrap_or_default().to_owned())
            .collect()
    }
}
