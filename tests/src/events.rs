//! Helpers for the webhook and schedule tests: enabling a hook (and reading the secret the
//! grant prints once), signed requests, and polling until something happened.

use std::time::{Duration, Instant};

use crate::{Env, Server};

/// How long a test waits for an event to be delivered before failing.
pub const PATIENCE: Duration = Duration::from_secs(90);

impl Env {
    /// `cove grant <plugin> webhook <hook>`; returns the secret the grant shows once.
    pub fn grant_webhook(&self, plugin: &str, hook: &str) -> String {
        let done = self.cove(&["grant", plugin, "webhook", hook]);
        assert!(done.ok, "grant webhook: {done:?}");
        secret_from(&done.stdout)
    }
}

/// The hook secret in a grant's answer.
pub fn secret_from(text: &str) -> String {
    let (_, after) = text
        .split_once("shown once")
        .unwrap_or_else(|| panic!("no secret in {text:?}"));
    let (_, after) = after.split_once("): ").expect("secret after the notice");
    let secret: String = after.chars().take_while(char::is_ascii_hexdigit).collect();
    assert_eq!(secret.len(), 64, "{text}");
    secret
}

/// The `X-Cove-Signature` of `body`, signed now.
pub fn cove_signature(secret: &str, body: &[u8]) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    cove::events::signature::sign_cove(secret.as_bytes(), now, body)
}

impl Server {
    /// `POST /hooks/<plugin>/<hook>` with `headers`; returns status and body text.
    pub fn hook(
        &self,
        plugin: &str,
        hook: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, String) {
        let path = format!("/hooks/{plugin}/{hook}");
        crate::http_with_headers(self.addr, "POST", &path, headers, "application/json", body)
    }

    /// A webhook signed with `X-Cove-Signature`; returns status and body text.
    pub fn signed_hook(
        &self,
        plugin: &str,
        hook: &str,
        secret: &str,
        body: &[u8],
    ) -> (u16, String) {
        let signature = cove_signature(secret, body);
        self.hook(plugin, hook, &[("X-Cove-Signature", &signature)], body)
    }

    /// Polls `check` until it returns `Some`, failing after [`PATIENCE`] with `what`.
    pub fn wait_for<T>(&self, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(value) = check() {
                return value;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until `!recorded <prefix>` answers `expected`.
    pub fn wait_recorded(&self, prefix: &str, expected: &str) {
        let mut last = String::new();
        let what = format!("`!recorded {prefix}` to answer {expected:?}");
        self.wait_for(&what, || {
            last = self.reply(&format!("!recorded {prefix}"));
            (last == expected).then_some(())
        });
    }

    /// The texts posted to `channel`, oldest first.
    pub fn posts(&self, channel: &str) -> Vec<String> {
        let (status, body) = crate::http_request(
            self.addr,
            "GET",
            &format!("/api/v1/posts?channel={channel}"),
            "",
        );
        assert_eq!(status, 200, "{body}");
        let json: serde_json::Value = serde_json::from_str(&body).expect("posts JSON");
        json["posts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["text"].as_str().map(str::to_string))
            .collect()
    }

    /// Sends SIGKILL and waits: no shutdown code runs.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
