//! Helpers for Cove's end-to-end tests: run the real `cove` binary against a fresh data
//! directory, start `cove serve` on a free loopback port, and talk HTTP to it.
//!
//! The tests live in `tests/tests/`. `cargo test --workspace` builds the `cove` binary, the
//! first-party plugins and the hostile plugins in `tests/hostile/` before any test runs. A
//! single file run with `cargo test --test <name>` does not rebuild the binary: run
//! `cargo build -p cove` first, or the tests drive a stale `cove`.

pub mod events;
pub mod fake_http;
pub mod fake_slack;
pub mod web;
pub mod webdriver;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};

/// The `cove` binary of this build (`target/<profile>/cove`), or `$COVE_BIN`.
pub fn cove_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("COVE_BIN") {
        return bin.into();
    }
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>");
    let bin = profile_dir.join("cove");
    assert!(
        bin.exists(),
        "{} is missing: run the tests with `cargo test --workspace`",
        bin.display()
    );
    bin
}

/// A test plugin from `tests/hostile/` (file stem as cargo names it, e.g. `spin`).
pub fn hostile(name: &str) -> PathBuf {
    wasm_file(env!("HOSTILE_WASM_DIR"), name)
}

/// A first-party plugin from `plugins/` (e.g. `echo`).
pub fn first_party(name: &str) -> PathBuf {
    wasm_file(env!("FIRST_PARTY_WASM_DIR"), name)
}

fn wasm_file(dir: &str, name: &str) -> PathBuf {
    let path = Path::new(dir).join(format!("{name}.wasm"));
    assert!(path.exists(), "{} was not built", path.display());
    path
}

/// A fresh data directory and the environment every `cove` call in it gets.
pub struct Env {
    dir: tempfile::TempDir,
    vars: Vec<(String, String)>,
}

impl Default for Env {
    fn default() -> Self {
        Self::new()
    }
}

impl Env {
    /// An empty data directory; deadlines shortened so hostile plugins fail fast.
    pub fn new() -> Self {
        Env {
            dir: tempfile::tempdir().expect("temp dir"),
            vars: vec![
                ("COVE_DEADLINE_MS".into(), "2000".into()),
                ("COVE_LOG".into(), "info".into()),
            ],
        }
    }

    /// Sets an environment variable for every later `cove` call.
    pub fn var(mut self, key: &str, value: &str) -> Self {
        self.vars.retain(|(k, _)| k != key);
        self.vars.push((key.into(), value.into()));
        self
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// A `cove` command with `--data-dir` and the environment set.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(cove_bin());
        command.arg("--data-dir").arg(self.dir.path()).args(args);
        command.env_remove("RUST_LOG");
        for (k, v) in &self.vars {
            command.env(k, v);
        }
        command
    }

    /// Runs `cove <args>` to completion.
    pub fn cove(&self, args: &[&str]) -> Done {
        let output = self
            .command(args)
            .stdin(Stdio::null())
            .output()
            .expect("run cove");
        Done::from(output)
    }

    /// Runs `cove <args>` with `input` on stdin.
    pub fn cove_with_stdin(&self, args: &[&str], input: &str) -> Done {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run cove");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
        Done::from(child.wait_with_output().expect("wait for cove"))
    }

    /// `cove grant <plugin> <words…>`, asserting success.
    pub fn grant(&self, plugin: &str, words: &[&str]) {
        let mut args = vec!["grant", plugin];
        args.extend_from_slice(words);
        let done = self.cove(&args);
        assert!(done.ok, "cove grant {plugin} {words:?}: {done:?}");
    }

    /// `cove run <line>` as `user`.
    pub fn run_as(&self, user: &str, line: &str) -> Done {
        self.cove(&["run", line, "--user", user])
    }

    /// `cove run <line>`.
    pub fn run(&self, line: &str) -> Done {
        self.cove(&["run", line])
    }

    /// `cove plugin install <file>`, asserting success.
    pub fn install(&self, file: &Path) -> Done {
        let done = self.cove(&["plugin", "install", &file.display().to_string()]);
        assert!(
            done.ok,
            "install {} failed: {}",
            file.display(),
            done.stderr
        );
        done
    }

    /// Starts `cove serve` on a free loopback port.
    pub fn serve(&self) -> Server {
        let mut child = self
            .command(&["serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn cove serve");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .expect("read the listening line");
        let addr = line
            .trim()
            .strip_prefix("cove listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line from cove serve: {line:?}"))
            .parse()
            .expect("address");
        Server {
            child,
            addr,
            _stdout: stdout,
        }
    }
}

/// What a finished `cove` call printed.
#[derive(Debug)]
pub struct Done {
    pub ok: bool,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Done {
    fn from(o: Output) -> Self {
        Done {
            ok: o.status.success(),
            code: o.status.code(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// A running `cove serve`, stopped (SIGTERM, then kill) when dropped.
pub struct Server {
    pub(crate) child: Child,
    pub addr: SocketAddr,
    _stdout: BufReader<ChildStdout>,
}

impl Server {
    /// POSTs a chat message; returns the status and the parsed JSON body.
    pub fn message(&self, user: &str, channel: &str, text: &str) -> (u16, serde_json::Value) {
        let body = serde_json::json!({"user": user, "channel": channel, "text": text}).to_string();
        self.post("/api/v1/messages", &body)
    }

    /// The text of the first reply to `text`, sent as user `u1` in channel `c1`.
    pub fn reply(&self, text: &str) -> String {
        let (status, body) = self.message("u1", "c1", text);
        assert_eq!(status, 200, "{body}");
        body["replies"][0]["text"]
            .as_str()
            .unwrap_or_else(|| panic!("no reply in {body}"))
            .to_string()
    }

    /// All reply texts to `text` from `user` in channel `ops`, joined by newlines.
    pub fn texts(&self, user: &str, text: &str) -> String {
        let (status, body) = self.message(user, "ops", text);
        assert_eq!(status, 200, "{body}");
        let replies = body["replies"].as_array().cloned().unwrap_or_default();
        replies
            .iter()
            .filter_map(|r| r["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Sends `text` from another thread, for commands that run while the test goes on.
    pub fn message_in_background(&self, text: &str) -> std::thread::JoinHandle<(u16, String)> {
        let (addr, text) = (self.addr, text.to_string());
        std::thread::spawn(move || {
            let body = serde_json::json!({"user": "u", "channel": "c", "text": text}).to_string();
            http_request(addr, "POST", "/api/v1/messages", &body)
        })
    }

    /// An admin API call with `token` (or none); returns status and body text.
    pub fn api(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: &[u8],
    ) -> (u16, String) {
        http_call(self.addr, method, path, token, content_type, body)
    }

    /// POSTs a raw body to `path`.
    pub fn post(&self, path: &str, body: &str) -> (u16, serde_json::Value) {
        let (status, text) = http_request(self.addr, "POST", path, body);
        let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        (status, json)
    }

    /// Sends SIGTERM and waits for the process; returns its stderr.
    pub fn stop(mut self) -> (bool, String) {
        terminate(&self.child);
        let status = self.child.wait().expect("wait for cove serve");
        let mut stderr = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut stderr);
        }
        (status.success(), stderr)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends SIGTERM to a child process.
pub fn terminate(child: &Child) {
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    assert!(status.is_ok_and(|s| s.success()), "kill -TERM failed");
}

/// One HTTP/1.1 JSON request with `Connection: close`; returns status and body text.
pub fn http_request(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    http_call(
        addr,
        method,
        path,
        None,
        "application/json",
        body.as_bytes(),
    )
}

/// One HTTP/1.1 request with an optional bearer token and any content type.
pub fn http_call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: &str,
    body: &[u8],
) -> (u16, String) {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth
        .as_deref()
        .map(|a| ("Authorization", a))
        .into_iter()
        .collect();
    http_with_headers(addr, method, path, &headers, content_type, body)
}

/// One HTTP/1.1 request with extra `headers` (e.g. Slack's signature headers).
pub fn http_with_headers(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    content_type: &str,
    body: &[u8],
) -> (u16, String) {
    let mut extra: String = headers
        .iter()
        .map(|(n, v)| format!("{n}: {v}\r\n"))
        .collect();
    extra.push_str(&format!("Content-Type: {content_type}\r\n"));
    let response = web::raw_request(addr, method, path, &extra, body);
    (response.status, response.body)
}
