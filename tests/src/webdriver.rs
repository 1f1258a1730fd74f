//! Drives headless Chromium through chromedriver with the W3C WebDriver protocol: JSON over
//! plain HTTP on 127.0.0.1, so a few requests through [`crate::web::raw_request`] do what a
//! WebDriver crate would, without its dependency tree (fantoccini alone would add second
//! copies of `http`, `cookie` and the ICU crates).
//!
//! [`ensure_chromium`] installs the Debian packages `chromium` and `chromium-driver` with
//! apt when they are missing, and fails the test with the reason if it cannot.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::web::raw_request;

/// The browser binary of the Debian package.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// The driver binary of the Debian package.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The key under which WebDriver returns an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Makes sure Chromium and chromedriver are installed; installs them with apt if not.
/// Panics with what went wrong when that is impossible: the browser test must not skip.
pub fn ensure_chromium() {
    let present = || Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    if present() {
        return;
    }
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .output()
    };
    let install = ["install", "-y", "-q", "chromium", "chromium-driver"];
    let first = apt(&install);
    if !present() {
        let _ = apt(&["update", "-q"]);
        let second = apt(&install);
        assert!(
            present(),
            "the browser test needs Chromium: `apt-get install -y chromium chromium-driver` failed \
             (run it as root, after `apt-get update`).\nfirst try: {first:?}\nsecond try: {second:?}"
        );
    }
}

/// A free loopback port (bound, then released for the driver to take).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A chromedriver process with one headless Chromium session; both end when dropped.
pub struct Browser {
    driver: Child,
    addr: SocketAddr,
    session: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a fresh headless Chromium (new profile directory).
    pub fn start() -> Browser {
        ensure_chromium();
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let profile = tempfile::tempdir().expect("profile dir");
        let mut browser = Browser {
            driver,
            addr,
            session: String::new(),
            _profile: profile,
        };
        browser.wait_until_ready();
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,1100",
            &format!("--user-data-dir={}", browser._profile.path().display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        }}});
        let created = browser.call("POST", "/session", &caps);
        browser.session = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("chromedriver did not start a session: {created}"))
            .to_string();
        browser
    }

    fn wait_until_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if std::net::TcpStream::connect(self.addr).is_ok() {
                let status = raw_request(self.addr, "GET", "/status", "", b"");
                if status.body.contains("\"ready\":true") {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not get ready in 60 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// One WebDriver call; returns `value` of the answer, panicking on a WebDriver error.
    fn call(&self, method: &str, path: &str, body: &Value) -> Value {
        self.try_call(method, path, body)
            .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"))
    }

    fn try_call(&self, method: &str, path: &str, body: &Value) -> Result<Value, String> {
        let text = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        let headers = "Content-Type: application/json; charset=utf-8\r\n";
        let response = raw_request(self.addr, method, path, headers, text.as_bytes());
        let parsed: Value = serde_json::from_str(&response.body)
            .map_err(|e| format!("status {}: {e}: {}", response.status, response.body))?;
        if response.status != 200 {
            return Err(format!("status {}: {}", response.status, parsed["value"]));
        }
        Ok(parsed["value"].clone())
    }

    fn session_path(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    /// Opens `url` and waits for the page load.
    pub fn goto(&self, url: &str) {
        self.call("POST", &self.session_path("/url"), &json!({ "url": url }));
    }

    /// The current page's URL.
    pub fn url(&self) -> String {
        let v = self.call("GET", &self.session_path("/url"), &Value::Null);
        v.as_str().unwrap_or_default().to_string()
    }

    /// The element matching `css` now, if any.
    pub fn find(&self, css: &str) -> Option<String> {
        let body = json!({"using": "css selector", "value": css});
        self.try_call("POST", &self.session_path("/element"), &body)
            .ok()
            .and_then(|v| v[ELEMENT].as_str().map(str::to_string))
    }

    /// Polls (up to 30 s) for an element matching `css`; panics with the page text if none.
    pub fn wait_for(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(element) = self.find(css) {
                return element;
            }
            if Instant::now() > deadline {
                panic!(
                    "no element matches {css:?} on {} after 30 s; the page says:\n{}",
                    self.url(),
                    self.body_text()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Polls (up to 30 s) until no element matches `css`.
    pub fn wait_gone(&self, css: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.find(css).is_some() {
            assert!(
                Instant::now() < deadline,
                "{css:?} is still on the page after 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Clicks an element.
    pub fn click(&self, element: &str) {
        let path = self.session_path(&format!("/element/{element}/click"));
        self.call("POST", &path, &json!({}));
    }

    /// Types `text` into an element (for a file input: an absolute path to upload).
    pub fn type_into(&self, element: &str, text: &str) {
        let path = self.session_path(&format!("/element/{element}/value"));
        self.call("POST", &path, &json!({ "text": text }));
    }

    /// The visible text of an element.
    pub fn text(&self, element: &str) -> String {
        let path = self.session_path(&format!("/element/{element}/text"));
        let v = self.call("GET", &path, &Value::Null);
        v.as_str().unwrap_or_default().to_string()
    }

    /// The visible text of the whole page.
    pub fn body_text(&self) -> String {
        self.find("body").map(|b| self.text(&b)).unwrap_or_default()
    }

    /// All cookies the browser holds for the current page (WebDriver cookie objects).
    pub fn cookies(&self) -> Vec<Value> {
        let v = self.call("GET", &self.session_path("/cookie"), &Value::Null);
        v.as_array().cloned().unwrap_or_default()
    }

    /// Writes a PNG screenshot of the viewport to `path`.
    pub fn screenshot(&self, path: &Path) {
        let v = self.call("GET", &self.session_path("/screenshot"), &Value::Null);
        let png = decode_base64(v.as_str().unwrap_or_default());
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot dir");
        }
        std::fs::write(path, png).expect("write the screenshot");
    }
}

impl Drop for Browser {
    /// Closing the session quits Chromium; then chromedriver is ended by its own pid. (No
    /// process-group kill through `/bin/kill`: procps reads `kill -KILL -<pgid>` as options
    /// and can end up signalling every process, -1.)
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.try_call("DELETE", &self.session_path(""), &Value::Null);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Standard base64 (with padding) to bytes; other characters are skipped.
fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let sextets: Vec<u8> = text.bytes().filter_map(value).collect();
    let mut out = Vec::with_capacity(sextets.len() * 3 / 4);
    for chunk in sextets.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &s)| acc | (u32::from(s) << (18 - 6 * i)));
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::decode_base64;

    #[test]
    fn base64() {
        assert_eq!(decode_base64("TWFu"), b"Man");
        assert_eq!(decode_base64("TWE="), b"Ma");
        assert_eq!(decode_base64("TQ=="), b"M");
        assert_eq!(decode_base64("iVBORw0K\nGgo="), b"\x89PNG\r\n\x1a\n");
    }
}
