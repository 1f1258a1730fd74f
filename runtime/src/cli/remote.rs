//! When `cove serve` holds the data directory (sled admits one process), the CLI's admin
//! commands go through the running server's admin API instead, with the token from
//! `COVE_ADMIN_TOKEN` or the data directory's `admin.token`. The user never has to know which.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::config::Config;

/// A running server's admin API.
pub struct Remote {
    data_dir: std::path::PathBuf,
    listen: std::net::SocketAddr,
    /// Set by `--server`: always this address, never the data directory's `server.addr`.
    server: Option<std::net::SocketAddr>,
    token: String,
    prefix: String,
}

impl Remote {
    /// The API of the server that holds `config.data_dir` (or of `server`, when given), if a
    /// token for it can be found.
    pub fn new(config: &Config, server: Option<std::net::SocketAddr>) -> anyhow::Result<Remote> {
        let from_env = std::env::var("COVE_ADMIN_TOKEN")
            .ok()
            .filter(|t| !t.trim().is_empty());
        let token = match from_env {
            Some(token) => token,
            None => {
                let path = config.data_dir.join(crate::admin_api::TOKEN_FILE);
                std::fs::read_to_string(&path).with_context(|| {
                    format!(
                        "the cove server for {} needs its admin token, which is not readable at {} (set COVE_ADMIN_TOKEN)",
                        config.data_dir.display(),
                        path.display()
                    )
                })?
            }
        };
        Ok(Remote {
            data_dir: config.data_dir.clone(),
            listen: config.listen,
            server,
            token: token.trim().to_string(),
            prefix: config.prefix.clone(),
        })
    }

    /// The command prefix, for rendering usage lines.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Sends one request; returns the JSON body of a 2xx answer, or the server's error.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> anyhow::Result<serde_json::Value> {
        let addr = self.server.unwrap_or_else(|| {
            std::fs::read_to_string(self.data_dir.join(super::serve::ADDR_FILE))
                .ok()
                .and_then(|text| text.trim().parse().ok())
                .unwrap_or(self.listen)
        });
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

    /// `GET path`, read as `T`.
    pub fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        let json = self.call("GET", path, "application/json", b"")?;
        serde_json::from_value(json).context("the server's answer has an unexpected shape")
    }

    /// A change: `method path` with a JSON body; returns the server's sentence.
    pub fn change(
        &self,
        method: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> anyhow::Result<String> {
        let answer = self.call(
            method,
            path,
            "application/json",
            body.to_string().as_bytes(),
        )?;
        Ok(answer["message"].as_str().unwrap_or("Done.").to_string())
    }
}

/// `s` made safe for one path segment or query value.
pub fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
