//! When `cove serve` holds the data directory (sled admits one process), the CLI's admin
//! commands go through the running server's admin API instead, with the token from
//! `COVE_ADMIN_TOKEN` or the data directory's `admin.token`. The user never has to know which.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::config::Config;

/// A running server's admin API.
pub struct Remote {
    data_dir: std::path::PathBuf,
    listen: std::net::SocketAddr,
    token: String,
}

impl Remote {
    /// The API of the server that holds `config.data_dir`, if a token for it can be found.
    pub fn new(config: &Config) -> anyhow::Result<Remote> {
        let from_env = std::env::var("COVE_ADMIN_TOKEN")
            .ok()
            .filter(|t| !t.trim().is_empty());
        let token = match from_env {
            Some(token) => token,
            None => {
                let path = config.data_dir.join(crate::admin_api::TOKEN_FILE);
                std::fs::read_to_string(&path).with_context(|| {
                    format!(
                        "a cove server holds {} and its admin token is not readable at {} (set COVE_ADMIN_TOKEN)",
                        config.data_dir.display(),
                        path.display()
                    )
                })?
            }
        };
        Ok(Remote {
            data_dir: config.data_dir.clone(),
            listen: config.listen,
            token: token.trim().to_string(),
        })
    }

    /// Sends one request; returns the JSON body of a 2xx answer, or the server's error.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> anyhow::Result<serde_json::Value> {
        let addr = std::fs::read_to_string(self.data_dir.join(super::serve::ADDR_FILE))
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(self.listen);
        let mut stream =
            TcpStream::connect_timeout(&addr, Duration::from_secs(5)).with_context(|| {
                format!("the data directory is in use, but no cove server answers on {addr}")
            })?;
        stream.set_read_timeout(Some(Duration::from_secs(120)))?;
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Type: {content_type}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.token,
            body.len()
        );
        stream.write_all(head.as_bytes())?;
        stream.write_all(body)?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response)?;
        let text = String::from_utf8_lossy(&response);
        let (head, body) = text
            .split_once("\r\n\r\n")
            .context("the server sent no HTTP response")?;
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let json: serde_json::Value =
            serde_json::from_str(body).unwrap_or(serde_json::Value::String(body.to_string()));
        if !(200..300).contains(&status) {
            let message = json["error"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| body.to_string());
            bail!("{message} (HTTP {status} from the running server)");
        }
        Ok(json)
    }
}

/// `cove grant|revoke <plugin> <words…>` through the API.
pub fn change_grant(
    remote: &Remote,
    plugin: &str,
    words: &[String],
    add: bool,
) -> anyhow::Result<ExitCode> {
    let grant =
        shlex::try_join(words.iter().map(String::as_str)).context("the grant cannot be quoted")?;
    let body = serde_json::json!({ "grant": grant }).to_string();
    let method = if add { "POST" } else { "DELETE" };
    let answer = remote.call(
        method,
        &format!("/api/v1/plugins/{plugin}/grants"),
        "application/json",
        body.as_bytes(),
    )?;
    println!("{}", answer["message"].as_str().unwrap_or("done"));
    Ok(ExitCode::SUCCESS)
}

/// `cove plugin install <file>` through the API.
pub fn install(remote: &Remote, bytes: &[u8]) -> anyhow::Result<ExitCode> {
    let answer = remote.call("POST", "/api/v1/plugins", "application/wasm", bytes)?;
    println!(
        "Installed {} {} (sha256 {}) in the running server.",
        answer["name"].as_str().unwrap_or("?"),
        answer["version"].as_str().unwrap_or("?"),
        answer["sha256"].as_str().unwrap_or("?")
    );
    Ok(ExitCode::SUCCESS)
}

/// `cove plugin list` through the API.
pub fn list(remote: &Remote) -> anyhow::Result<ExitCode> {
    let answer = remote.call("GET", "/api/v1/plugins", "application/json", b"")?;
    for p in answer.as_array().into_iter().flatten() {
        let commands: Vec<&str> = p["commands"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str())
            .collect();
        println!(
            "{:<16} {:<10} {}  commands: {}",
            p["name"].as_str().unwrap_or("?"),
            p["version"].as_str().unwrap_or("?"),
            &p["sha256"].as_str().unwrap_or("?")
                [..12.min(p["sha256"].as_str().unwrap_or("?").len())],
            commands.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}
