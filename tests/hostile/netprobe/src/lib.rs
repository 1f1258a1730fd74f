//! Probes the host's egress and secret rules. Replies are one line of `key=value` pairs so
//! tests can match them:
//!
//! - `!fetch <url>`: GET → `status=<code> body=<first 200 bytes>` or `error=<message>`
//! - `!fetch-with-host <url> <host>`: GET with a `Host: <host>` header set by the plugin, to
//!   check that the host refuses or ignores it → same reply shapes as `fetch`
//! - `!fetch-n <url> <n>`: `n` sequential GETs → `ok=<k>/<n> first_error=<message>` (a
//!   request is ok when it got any response, whatever the status; `first_error=none`)
//! - `!secret <NAME>` → `secret=<value>` or `denied=<message>`
//! - `!echo-secret <NAME>`: reads the secret and leaks it everywhere it can: the reply
//!   (`echo-secret=<value>`), stdout, stderr and the host log, to test redaction
//! - `!post-json <url> <json…>`: POST with `Content-Type: application/json`; the JSON is the
//!   text after the URL exactly as typed → same reply shapes as `fetch`
//!
//! The manifest requests host `127.0.0.1` and secret `PROBE_TOKEN`, so that requested and
//! granted permissions differ in visible ways.

/// `netprobe2` builds this same file as version 2.0.0 (a second component of the same
/// plugin, for the upgrade and approval tests).
#[cfg(not(feature = "v2"))]
const VERSION: &str = "0.1.0";
#[cfg(feature = "v2")]
const VERSION: &str = "2.0.0";

use cove_sdk::http::{self, HttpError, Response};
use cove_sdk::prelude::*;

/// How much of a response body goes into a reply.
const BODY_PREVIEW: usize = 200;
/// `fetch-n` refuses more than this many requests.
const MAX_N: i64 = 1000;

struct NetProbe;

impl Plugin for NetProbe {
    fn manifest() -> Manifest {
        let url = || Arg::text("url").describe("http:// or https:// URL");
        Manifest::new("netprobe", VERSION, "Probes outbound HTTP and secrets")
            .command(Command::new("fetch", "GET a URL").arg(url()))
            .command(
                Command::new("fetch-with-host", "GET a URL with a forged Host header")
                    .arg(url())
                    .arg(Arg::text("host").describe("the Host header to send")),
            )
            .command(
                Command::new(
                    "fetch-with-header",
                    "GET a URL with a header of the plugin's own",
                )
                .arg(url())
                .arg(Arg::text("name"))
                .arg(Arg::text("value")),
            )
            .command(
                Command::new("fetch-n", "GET a URL n times in a row")
                    .arg(url())
                    .arg(Arg::int("n")),
            )
            .command(Command::new("secret", "Read a secret").arg(Arg::text("name")))
            .command(
                Command::new("echo-secret", "Read a secret and leak it into every output")
                    .arg(Arg::text("name")),
            )
            .command(
                Command::new("post-json", "POST JSON to a URL")
                    .arg(url())
                    .arg(Arg::text("json").rest()),
            )
            .host("127.0.0.1")
            .secret("PROBE_TOKEN")
    }

    fn handle_command(inv: Invocation) -> Result<Reply, CommandError> {
        let arg = |i: usize| inv.arg(i).unwrap_or_default();
        let text = match inv.command.as_str() {
            "fetch" => outcome(http::get(arg(0))),
            "fetch-with-host" => outcome(http::request(
                http::Request::new("GET", arg(0)).header("Host", arg(1)),
            )),
            "fetch-with-header" => outcome(http::request(
                http::Request::new("GET", arg(0)).header(arg(1), arg(2)),
            )),
            "fetch-n" => fetch_n(arg(0), inv.int(1).unwrap_or(0))?,
            "secret" => match host::secret(arg(0)) {
                Ok(value) => format!("secret={value}"),
                Err(message) => format!("denied={message}"),
            },
            "echo-secret" => match host::secret(arg(0)) {
                Ok(value) => {
                    println!("echo-secret stdout: {value}");
                    eprintln!("echo-secret stderr: {value}");
                    host::log::info(&format!("echo-secret log: {value}"));
                    format!("echo-secret={value}")
                }
                Err(message) => format!("denied={message}"),
            },
            "post-json" => {
                // The JSON as typed: the text after the URL word, quotes intact.
                let raw = inv.raw.trim_start();
                let json = raw
                    .split_once(char::is_whitespace)
                    .map_or("", |(_, rest)| rest.trim());
                outcome(http::post(arg(0), "application/json", json.as_bytes()))
            }
            other => return Err(CommandError::usage(format!("unknown command {other}"))),
        };
        Ok(Reply::text(text))
    }
}

fn outcome(result: Result<Response, HttpError>) -> String {
    match result {
        Ok(response) => {
            let preview = &response.body[..response.body.len().min(BODY_PREVIEW)];
            format!(
                "status={} body={}",
                response.status,
                String::from_utf8_lossy(preview)
            )
        }
        Err(e) => format!("error={e}"),
    }
}

fn fetch_n(url: &str, n: i64) -> Result<String, CommandError> {
    if !(1..=MAX_N).contains(&n) {
        return Err(CommandError::usage(format!("n must be 1 to {MAX_N}")));
    }
    let mut succeeded = 0;
    let mut first_error = None;
    for _ in 0..n {
        match http::get(url) {
            Ok(_) => succeeded += 1,
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    let first_error = first_error.map_or_else(|| "none".to_string(), |e| e.to_string());
    Ok(format!("ok={succeeded}/{n} first_error={first_error}"))
}

cove_sdk::export_plugin!(NetProbe);
