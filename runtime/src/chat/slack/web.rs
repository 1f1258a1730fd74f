//! The Slack Web API methods Cove calls, through slack-morphism's hyper client pointed at the
//! configured base URL (tests use a fake Slack on 127.0.0.1, so plain `http` is allowed).
//!
//! Requests are slack-morphism's typed models; answers are read as JSON values and only the
//! fields Cove uses are picked out, so a field Slack adds or omits elsewhere cannot break a reply.
//! `response_url` posts and file downloads go through a plain hyper client: the bot token is
//! sent only to the Web API and to Slack's file URLs, never to a `response_url`.

use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use slack_morphism::prelude::*;

type Connector = SlackClientHyperConnector<HttpsConnector<HttpConnector>>;

/// A Web API client with the bot token.
pub struct Web {
    client: SlackClient<Connector>,
    token: SlackApiToken,
    http: HttpClient<HttpsConnector<HttpConnector>, Full<Bytes>>,
    bot_token: String,
}

/// Where and how to post one message.
#[derive(Debug, Clone, Default)]
pub struct Outgoing {
    /// Channel id.
    pub channel: String,
    /// mrkdwn text.
    pub text: String,
    /// Thread to post in.
    pub thread: Option<String>,
    /// Block Kit blocks (buttons), if any.
    pub blocks: Option<Value>,
}

/// A file shared with Cove, as `files.info` describes it.
#[derive(Debug, Clone)]
pub struct FileInfo {
    /// File name, e.g. `echo.wasm`.
    pub name: String,
    /// Size in bytes as Slack reports it.
    pub size: u64,
    /// Where to download it (needs the bot token).
    pub url: String,
}

/// HTTPS (and, for a test's fake Slack, plain HTTP) with the system's roots, or the bundled
/// Mozilla roots on a machine without any.
fn https() -> HttpsConnector<HttpConnector> {
    let builder = hyper_rustls::HttpsConnectorBuilder::new();
    let builder = match builder.with_native_roots() {
        Ok(builder) => builder,
        Err(e) => {
            tracing::warn!("no system TLS roots ({e}); using the bundled Mozilla roots");
            hyper_rustls::HttpsConnectorBuilder::new().with_webpki_roots()
        }
    };
    builder.https_or_http().enable_http1().build()
}

impl Web {
    /// A client for `api_url` (e.g. `https://slack.com/api/`) with `bot_token`.
    pub fn new(api_url: &str, bot_token: &str) -> Web {
        let connector =
            Connector::with_connector(https()).with_slack_api_url(api_url.trim_end_matches('/'));
        Web {
            client: SlackClient::new(connector),
            token: SlackApiToken::new(bot_token.to_string().into()),
            http: HttpClient::builder(hyper_util::rt::TokioExecutor::new()).build(https()),
            bot_token: bot_token.to_string(),
        }
    }

    async fn get(&self, method: &str, params: &[(&str, &str)]) -> anyhow::Result<Value> {
        let params: Vec<(&str, Option<&str>)> =
            params.iter().map(|(k, v)| (*k, Some(*v))).collect();
        self.client
            .open_session(&self.token)
            .http_session_api
            .http_get::<Value, _, _>(method, &params, None)
            .await
            .with_context(|| format!("Slack {method} failed"))
    }

    async fn post<RQ: serde::Serialize + Send + Sync>(
        &self,
        method: &str,
        request: &RQ,
    ) -> anyhow::Result<Value> {
        self.client
            .open_session(&self.token)
            .http_session_api
            .http_post::<RQ, Value>(method, request, None)
            .await
            .with_context(|| format!("Slack {method} failed"))
    }

    /// `chat.postMessage`; returns the new message's `ts`.
    pub async fn post_message(&self, out: &Outgoing) -> anyhow::Result<String> {
        let request = SlackApiChatPostMessageRequest::new(out.channel.clone().into(), content(out))
            .opt_thread_ts(out.thread.clone().map(Into::into));
        let answer = self
            .post("chat.postMessage", &with_blocks(&request, out)?)
            .await?;
        Ok(answer["ts"].as_str().unwrap_or_default().to_string())
    }

    /// `chat.postEphemeral`: only `user` sees it.
    pub async fn post_ephemeral(&self, out: &Outgoing, user: &str) -> anyhow::Result<()> {
        let request = SlackApiChatPostEphemeralRequest::new(
            out.channel.clone().into(),
            user.to_string().into(),
            content(out),
        )
        .opt_thread_ts(out.thread.clone().map(Into::into));
        self.post("chat.postEphemeral", &with_blocks(&request, out)?)
            .await
            .map(drop)
    }

    /// `users.info`: the user's display name (else real name, else handle).
    pub async fn user_name(&self, user: &str) -> anyhow::Result<String> {
        let answer = self.get("users.info", &[("user", user)]).await?;
        let u = &answer["user"];
        [
            &u["profile"]["display_name"],
            &u["profile"]["real_name"],
            &u["real_name"],
            &u["name"],
        ]
        .into_iter()
        .filter_map(Value::as_str)
        .find(|n| !n.is_empty())
        .map(String::from)
        .context("users.info returned no name")
    }

    /// `usergroups.list` with members: `(handle, user ids)` per group.
    pub async fn user_groups(&self) -> anyhow::Result<Vec<(String, Vec<String>)>> {
        let answer = self
            .get("usergroups.list", &[("include_users", "true")])
            .await?;
        let groups = answer["usergroups"].as_array().cloned().unwrap_or_default();
        Ok(groups
            .iter()
            .filter_map(|g| {
                let handle = g["handle"].as_str()?.to_string();
                let users = g["users"].as_array()?;
                let users = users.iter().filter_map(Value::as_str).map(String::from);
                Some((handle, users.collect()))
            })
            .collect())
    }

    /// `conversations.info`: the channel's name.
    pub async fn channel_name(&self, channel: &str) -> anyhow::Result<String> {
        let answer = self
            .get("conversations.info", &[("channel", channel)])
            .await?;
        answer["channel"]["name"]
            .as_str()
            .map(String::from)
            .context("conversations.info returned no name")
    }

    /// `conversations.list`: `(id, name)` of public and private channels the bot can see.
    pub async fn channels(&self) -> anyhow::Result<Vec<(String, String)>> {
        let mut all = Vec::new();
        let mut cursor = String::new();
        // A bounded number of pages: a workspace with more channels than this is resolved by id.
        for _ in 0..20 {
            let mut params = vec![
                ("types", "public_channel,private_channel"),
                ("exclude_archived", "true"),
                ("limit", "1000"),
            ];
            if !cursor.is_empty() {
                params.push(("cursor", cursor.as_str()));
            }
            let answer = self.get("conversations.list", &params).await?;
            for c in answer["channels"].as_array().into_iter().flatten() {
                if let (Some(id), Some(name)) = (c["id"].as_str(), c["name"].as_str()) {
                    all.push((id.to_string(), name.to_string()));
                }
            }
            cursor = answer["response_metadata"]["next_cursor"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if cursor.is_empty() {
                break;
            }
        }
        Ok(all)
    }

    /// `files.info`.
    pub async fn file_info(&self, file: &str) -> anyhow::Result<FileInfo> {
        let answer = self.get("files.info", &[("file", file)]).await?;
        let f = &answer["file"];
        Ok(FileInfo {
            name: f["name"].as_str().unwrap_or_default().to_string(),
            size: f["size"].as_u64().unwrap_or(0),
            url: f["url_private_download"]
                .as_str()
                .or(f["url_private"].as_str())
                .context("files.info returned no download URL")?
                .to_string(),
        })
    }

    /// `apps.connections.open` with the app-level token: a Socket Mode websocket URL.
    pub async fn open_socket(&self, app_token: &str) -> anyhow::Result<String> {
        let token = SlackApiToken::new(app_token.to_string().into());
        let answer: Value = self
            .client
            .open_session(&token)
            .http_session_api
            .http_post::<Value, Value>("apps.connections.open", &json!({}), None)
            .await
            .context("Slack apps.connections.open failed")?;
        answer["url"]
            .as_str()
            .map(String::from)
            .context("apps.connections.open returned no url")
    }

    /// Downloads a private file with the bot token, refusing more than `limit` bytes.
    pub async fn download(&self, url: &str, limit: u64) -> anyhow::Result<Vec<u8>> {
        let request = http::Request::get(url)
            .header(
                http::header::AUTHORIZATION,
                format!("Bearer {}", self.bot_token),
            )
            .body(Full::default())
            .context("invalid file URL")?;
        let response = self
            .http
            .request(request)
            .await
            .context("cannot download the file")?;
        if !response.status().is_success() {
            bail!(
                "downloading the file failed with HTTP {}",
                response.status()
            );
        }
        let body = Limited::new(response.into_body(), limit as usize + 1)
            .collect()
            .await
            .map_err(|e| anyhow::anyhow!("cannot download the file: {e}"))?
            .to_bytes();
        if body.len() as u64 > limit {
            bail!("the file is over the {limit}-byte plugin size limit");
        }
        Ok(body.to_vec())
    }

    /// Posts a reply to a slash command's or button's `response_url` (no token is sent).
    pub async fn respond(&self, response_url: &str, body: &Value) -> anyhow::Result<()> {
        let request = http::Request::post(response_url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .context("invalid response_url")?;
        let response = self
            .http
            .request(request)
            .await
            .context("cannot reach the response_url")?;
        if !response.status().is_success() {
            bail!("the response_url answered HTTP {}", response.status());
        }
        Ok(())
    }
}

fn content(out: &Outgoing) -> SlackMessageContent {
    SlackMessageContent::new().with_text(out.text.clone())
}

/// The request as JSON with raw Block Kit blocks added (Cove builds its few blocks as JSON).
fn with_blocks<RQ: serde::Serialize>(request: &RQ, out: &Outgoing) -> anyhow::Result<Value> {
    let mut body = serde_json::to_value(request)?;
    if let Some(blocks) = &out.blocks {
        body["blocks"] = blocks.clone();
    }
    Ok(body)
}
