//! A private nginx for the load-balancer tests: Debian's `nginx` binary run
//! as the current user, with its own prefix, configuration, logs, pid and
//! temporary files in a temporary directory, listening on a free loopback
//! port, in the foreground; stopped when dropped.
//!
//! Without nginx the tests skip with a reason, unless
//! `TESSERA_REQUIRE_NGINX=1` (set by `.ci/run`) makes that a failure.
//!
//! [`readme_snippet`] is the nginx block of the README's "Put any app behind
//! it" section, so the configuration under test is the one users copy.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long nginx may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// The nginx binary; `None` (after saying why) when there is none and it
/// is not required.
pub fn nginx_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
        .map(|dir| dir.join("nginx"))
        .find(|candidate| candidate.is_file());
    let required = std::env::var("TESSERA_REQUIRE_NGINX").is_ok_and(|value| value.trim() == "1");
    match (found, required) {
        (Some(binary), _) => Some(binary),
        (None, true) => panic!("TESSERA_REQUIRE_NGINX=1 but no nginx binary is installed"),
        (None, false) => {
            eprintln!("skipped: nginx is not installed (apt-get install nginx-light)");
            None
        }
    }
}

/// The ```` ```nginx ```` block of README.md's "Put any app behind it"
/// section, verbatim.
pub fn readme_snippet() -> String {
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let text = std::fs::read_to_string(&readme).unwrap();
    let section = text
        .split("\n## ")
        .find(|section| section.starts_with("Put any app behind it"))
        .expect("README.md has a \"## Put any app behind it\" section");
    let block = section
        .split("```nginx\n")
        .nth(1)
        .expect("that section has a ```nginx block");
    block
        .split("\n```")
        .next()
        .expect("the block is closed")
        .to_owned()
}

/// Replaces the one occurrence of `from` in `text` with `to`; fails when
/// `from` is missing or repeated (the README changed shape).
#[track_caller]
pub fn substitute(text: &str, from: &str, to: &str) -> String {
    assert_eq!(
        text.matches(from).count(),
        1,
        "expected {from:?} exactly once in:\n{text}"
    );
    text.replace(from, to)
}

/// A free port on 127.0.0.1 (free when asked; nginx binds it right after).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running nginx.
pub struct Nginx {
    /// Where it listens (`127.0.0.1:PORT`).
    pub addr: String,
    prefix: tempfile::TempDir,
    child: Child,
}

impl Nginx {
    /// Runs `binary` with `http` as the body of its `http { }` block
    /// (upstreams and servers; `{listen}` is replaced with the address it
    /// is to listen on); waits until it accepts connections.
    pub fn start(binary: &Path, http: &str) -> Nginx {
        let prefix = tempfile::tempdir().unwrap();
        let root = prefix.path();
        let temp = root.join("temp");
        std::fs::create_dir_all(&temp).unwrap();
        let addr = format!("127.0.0.1:{}", free_port());
        // As root, nginx would hand its workers to `nobody`; keep them as
        // the user running the test, who owns the prefix.
        let user = if current_uid() == 0 {
            "user root root;\n"
        } else {
            ""
        };
        let at = |name: &str| root.join(name).display().to_string();
        let config = format!(
            "{user}worker_processes 1;\n\
             error_log {error} info;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n\
                 access_log {access};\n\
                 client_body_temp_path {temp}/body;\n\
                 proxy_temp_path {temp}/proxy;\n\
                 fastcgi_temp_path {temp}/fastcgi;\n\
                 uwsgi_temp_path {temp}/uwsgi;\n\
                 scgi_temp_path {temp}/scgi;\n\
                 {body}\n\
             }}\n",
            error = at("error.log"),
            access = at("access.log"),
            temp = temp.display(),
            body = http.replace("{listen}", &addr),
        );
        let config_path = root.join("nginx.conf");
        std::fs::write(&config_path, config).unwrap();
        let child = Command::new(binary)
            .arg("-p")
            .arg(root)
            .arg("-c")
            .arg(&config_path)
            .arg("-e")
            .arg(root.join("error.log"))
            .arg("-g")
            .arg(format!("daemon off; pid {};", at("nginx.pid")))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut nginx = Nginx {
            addr,
            prefix,
            child,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = nginx.child.try_wait().unwrap() {
                panic!("nginx exited ({status}): {}", nginx.error_log());
            }
            if TcpStream::connect(&nginx.addr).is_ok() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "nginx did not listen within {START_TIMEOUT:?}: {}",
                nginx.error_log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        nginx
    }

    /// nginx's error log so far (startup problems, upstream failures).
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.prefix.path().join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    /// A fast shutdown (SIGTERM: the master stops its worker too), then
    /// SIGKILL if it lingers.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The effective user id, from `id -u`.
fn current_uid() -> u32 {
    let output = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8(output.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}
