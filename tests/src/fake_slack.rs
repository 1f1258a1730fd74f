//! A fake Slack on 127.0.0.1 for the Slack tests: the Web API methods Cove calls (under
//! `/api/`), private file downloads, `response_url`s, and Socket Mode (`apps.connections.open`
//! returns a `ws://` URL; the websocket says `hello`, sends the envelopes a test queues,
//! records acknowledgements, and can be dropped to force a reconnect).
//!
//! Every HTTP request is recorded ([`FakeSlack::calls`]); Cove points at it with
//! `COVE_SLACK_API_URL=http://127.0.0.1:<port>/api/`.

use std::collections::HashMap;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fake_http::{Answer, FakeHttp, Seen};

/// One Web API call (or `response_url` post, or file download) Cove made.
#[derive(Debug, Clone)]
pub struct Call {
    /// `chat.postMessage`, `users.info`, …; `response` for a `response_url`; `file` for a download.
    pub method: String,
    /// Query parameters or the JSON/form body, as one JSON object.
    pub args: Value,
    /// The `Authorization` header, if any.
    pub auth: Option<String>,
}

impl Call {
    /// The `text` argument (empty when absent).
    pub fn text(&self) -> &str {
        self.args["text"].as_str().unwrap_or_default()
    }

    /// The value of the button `action_id` in the call's blocks; fails the test if absent.
    pub fn button_value(&self, action_id: &str) -> String {
        let blocks = self.args["blocks"].as_array().cloned().unwrap_or_default();
        blocks
            .iter()
            .flat_map(|b| b["elements"].as_array().cloned().unwrap_or_default())
            .find(|e| e["action_id"] == action_id)
            .and_then(|e| e["value"].as_str().map(String::from))
            .unwrap_or_else(|| panic!("no {action_id} button in {self:?}"))
    }
}

/// The workspace the fake knows.
#[derive(Default)]
struct Workspace {
    users: HashMap<String, String>,
    groups: Vec<(String, Vec<String>)>,
    channels: Vec<(String, String)>,
    files: HashMap<String, (String, Vec<u8>)>,
    /// `(ts, text)` of every message posted, as answered to Cove.
    posted: Vec<(String, String)>,
}

enum ToSocket {
    Frame(String),
    Drop,
}

#[derive(Default)]
struct Sockets {
    current: Mutex<Option<Sender<ToSocket>>>,
    acks: Mutex<Vec<String>>,
    opened: AtomicUsize,
    hellos: AtomicUsize,
}

/// A running fake Slack; it stops with the test process.
pub struct FakeSlack {
    http: FakeHttp,
    workspace: Arc<Mutex<Workspace>>,
    sockets: Arc<Sockets>,
    next_envelope: AtomicU64,
}

/// How long [`FakeSlack::wait_for`] waits before failing the test.
pub const WAIT: Duration = Duration::from_secs(90);

impl FakeSlack {
    /// Starts the Web API and the websocket listener.
    pub fn start() -> FakeSlack {
        let workspace = Arc::new(Mutex::new(Workspace::default()));
        let sockets = Arc::new(Sockets::default());
        let ws = TcpListener::bind("127.0.0.1:0").expect("bind websocket");
        let ws_port = ws.local_addr().expect("addr").port();
        let accepting = sockets.clone();
        thread::spawn(move || {
            for stream in ws.incoming().flatten() {
                let sockets = accepting.clone();
                thread::spawn(move || serve_socket(stream, &sockets));
            }
        });
        let ts = Arc::new(AtomicU64::new(1_700_000_000));
        let (known, http_port) = (workspace.clone(), Arc::new(AtomicU64::new(0)));
        let port = http_port.clone();
        let http = FakeHttp::start_seeing(move |seen: &Seen| {
            let port = port.load(Ordering::SeqCst);
            answer(seen, &mut known.lock().expect("lock"), ws_port, port, &ts)
        });
        http_port.store(u64::from(http.port()), Ordering::SeqCst);
        FakeSlack {
            http,
            workspace,
            sockets,
            next_envelope: AtomicU64::new(1),
        }
    }

    /// The value for `COVE_SLACK_API_URL`.
    pub fn api_url(&self) -> String {
        format!("http://127.0.0.1:{}/api/", self.http.port())
    }

    /// A `response_url` for a slash command or button; posts to it are recorded as `response`.
    pub fn response_url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/response/{name}", self.http.port())
    }

    /// Adds a user `id` with display name `name`.
    pub fn user(&self, id: &str, name: &str) {
        let mut w = self.workspace.lock().expect("lock");
        w.users.insert(id.into(), name.into());
    }

    /// Adds a user group with `handle` and `members`.
    pub fn group(&self, handle: &str, members: &[&str]) {
        let mut w = self.workspace.lock().expect("lock");
        let members = members.iter().map(|m| m.to_string()).collect();
        w.groups.push((handle.into(), members));
    }

    /// Adds a channel `id` named `name`.
    pub fn channel(&self, id: &str, name: &str) {
        let mut w = self.workspace.lock().expect("lock");
        w.channels.push((id.into(), name.into()));
    }

    /// Adds a file `id` named `name` with `bytes`, downloadable with the bot token.
    pub fn file(&self, id: &str, name: &str, bytes: Vec<u8>) {
        let mut w = self.workspace.lock().expect("lock");
        w.files.insert(id.into(), (name.into(), bytes));
    }

    /// The `ts` the fake gave the first posted message whose text starts with `prefix`.
    pub fn ts_of(&self, prefix: &str) -> Option<String> {
        let w = self.workspace.lock().expect("lock");
        w.posted
            .iter()
            .find(|(_, text)| text.starts_with(prefix))
            .map(|(ts, _)| ts.clone())
    }

    /// Every call so far, oldest first.
    pub fn calls(&self) -> Vec<Call> {
        self.http.seen().iter().map(call).collect()
    }

    /// Calls of `method` so far.
    pub fn calls_of(&self, method: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == method)
            .collect()
    }

    /// Waits until a call satisfies `found`, and returns it; fails the test after [`WAIT`].
    pub fn wait_for(&self, what: &str, found: impl Fn(&Call) -> bool) -> Call {
        let start = Instant::now();
        loop {
            if let Some(c) = self.calls().into_iter().find(|c| found(c)) {
                return c;
            }
            assert!(
                start.elapsed() < WAIT,
                "gave up waiting for {what}; calls: {:#?}",
                self.calls()
            );
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for a call of `method` whose text contains `part`, and returns it.
    pub fn wait_for_text(&self, method: &str, part: &str) -> Call {
        self.wait_for(&format!("{method} with {part:?}"), |c| {
            c.method == method && c.text().contains(part)
        })
    }

    /// Waits until `count` websocket connections have said hello.
    pub fn wait_for_socket(&self, count: usize) {
        let start = Instant::now();
        while self.sockets.hellos.load(Ordering::SeqCst) < count {
            assert!(start.elapsed() < WAIT, "Cove did not open socket #{count}");
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// How many websocket connections Cove opened.
    pub fn sockets_opened(&self) -> usize {
        self.sockets.opened.load(Ordering::SeqCst)
    }

    /// Sends an envelope of `kind` (`events_api`, `slash_commands`, `interactive`) over the
    /// current socket; returns its envelope id.
    pub fn envelope(&self, kind: &str, payload: Value) -> String {
        let id = format!("env-{}", self.next_envelope.fetch_add(1, Ordering::SeqCst));
        let frame = json!({ "type": kind, "envelope_id": id, "payload": payload,
            "accepts_response_payload": false });
        let current = self.sockets.current.lock().expect("lock");
        let socket = current.as_ref().expect("no socket is connected");
        socket
            .send(ToSocket::Frame(frame.to_string()))
            .expect("socket gone");
        id
    }

    /// Acknowledged envelope ids, in order.
    pub fn acks(&self) -> Vec<String> {
        self.sockets.acks.lock().expect("lock").clone()
    }

    /// Waits until `id` is acknowledged.
    pub fn wait_for_ack(&self, id: &str) {
        let start = Instant::now();
        while !self.acks().iter().any(|a| a == id) {
            assert!(
                start.elapsed() < WAIT,
                "envelope {id} was never acknowledged"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Closes the current websocket abruptly (no close frame), as a network drop would.
    pub fn drop_socket(&self) {
        if let Some(socket) = self.sockets.current.lock().expect("lock").take() {
            let _ = socket.send(ToSocket::Drop);
        }
    }
}

fn call(seen: &Seen) -> Call {
    let (path, query) = seen.path.split_once('?').unwrap_or((&seen.path, ""));
    let method = if let Some(m) = path.strip_prefix("/api/") {
        m.to_string()
    } else if path.starts_with("/response/") {
        "response".into()
    } else {
        "file".into()
    };
    let content_type = seen.header("content-type").unwrap_or("");
    let args = if !query.is_empty() {
        form(query.as_bytes())
    } else if content_type.starts_with("application/json") {
        serde_json::from_slice(&seen.body).unwrap_or(Value::Null)
    } else {
        form(&seen.body)
    };
    Call {
        method,
        args,
        auth: seen.header("authorization").map(String::from),
    }
}

fn form(bytes: &[u8]) -> Value {
    Value::Object(
        url::form_urlencoded::parse(bytes)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect(),
    )
}

fn ok(mut body: Value) -> Answer {
    body["ok"] = json!(true);
    Answer::json(&body.to_string())
}

fn error(code: &str) -> Answer {
    Answer::json(&json!({ "ok": false, "error": code }).to_string())
}

fn answer(seen: &Seen, w: &mut Workspace, ws_port: u16, port: u64, ts: &AtomicU64) -> Answer {
    let c = call(seen);
    let arg = |name: &str| c.args[name].as_str().unwrap_or_default().to_string();
    let next_ts = || format!("{}.000100", ts.fetch_add(1, Ordering::SeqCst));
    match c.method.as_str() {
        "chat.postMessage" => {
            let ts = next_ts();
            w.posted.push((ts.clone(), arg("text")));
            ok(json!({ "channel": arg("channel"), "ts": ts, "message": { "text": arg("text") } }))
        }
        "chat.postEphemeral" => ok(json!({ "message_ts": next_ts() })),
        "users.info" => match w.users.get(&arg("user")) {
            Some(name) => ok(
                json!({ "user": { "id": arg("user"), "name": name.to_lowercase(),
                "profile": { "display_name": name } } }),
            ),
            None => error("user_not_found"),
        },
        "usergroups.list" => ok(json!({ "usergroups": w.groups.iter()
            .map(|(handle, users)| json!({ "handle": handle, "users": users }))
            .collect::<Vec<_>>() })),
        "conversations.info" => match w.channels.iter().find(|(id, _)| *id == arg("channel")) {
            Some((id, name)) => ok(json!({ "channel": { "id": id, "name": name } })),
            None => error("channel_not_found"),
        },
        "conversations.list" => ok(json!({ "channels": w.channels.iter()
            .map(|(id, name)| json!({ "id": id, "name": name }))
            .collect::<Vec<_>>(), "response_metadata": { "next_cursor": "" } })),
        "files.info" => match w.files.get(&arg("file")) {
            Some((name, bytes)) => ok(json!({ "file": { "id": arg("file"), "name": name,
                "size": bytes.len(),
                "url_private_download": format!("http://127.0.0.1:{port}/files/{}", arg("file")) } })),
            None => error("file_not_found"),
        },
        "apps.connections.open" => ok(json!({ "url": format!("ws://127.0.0.1:{ws_port}/socket") })),
        "response" => Answer::status(200, "ok"),
        "file" => {
            let id = seen.path.trim_start_matches("/files/");
            match (w.files.get(id), c.auth.as_deref()) {
                (Some((_, bytes)), Some(a)) if a.starts_with("Bearer xoxb-") => Answer {
                    status: 200,
                    headers: vec![],
                    body: bytes.clone(),
                },
                _ => Answer::status(404, "not found"),
            }
        }
        _ => error("unknown_method"),
    }
}

fn serve_socket(stream: TcpStream, sockets: &Sockets) {
    sockets.opened.fetch_add(1, Ordering::SeqCst);
    let raw = stream.try_clone().expect("clone");
    let Ok(mut ws) = tungstenite::accept(stream) else {
        return;
    };
    let (tx, rx): (Sender<ToSocket>, Receiver<ToSocket>) = channel();
    *sockets.current.lock().expect("lock") = Some(tx);
    let hello = json!({ "type": "hello", "num_connections": 1,
        "connection_info": { "app_id": "A1" }, "debug_info": { "host": "fake" } });
    if ws
        .send(tungstenite::Message::text(hello.to_string()))
        .is_err()
    {
        return;
    }
    sockets.hellos.fetch_add(1, Ordering::SeqCst);
    raw.set_read_timeout(Some(Duration::from_millis(20)))
        .expect("timeout");
    loop {
        while let Ok(command) = rx.try_recv() {
            match command {
                ToSocket::Frame(text) => {
                    if ws.send(tungstenite::Message::text(text)).is_err() {
                        return;
                    }
                }
                ToSocket::Drop => {
                    let _ = raw.shutdown(std::net::Shutdown::Both);
                    return;
                }
            }
        }
        match ws.read() {
            Ok(tungstenite::Message::Text(text)) => {
                if let Ok(ack) = serde_json::from_str::<Value>(text.as_str())
                    && let Some(id) = ack["envelope_id"].as_str()
                {
                    sockets.acks.lock().expect("lock").push(id.to_string());
                }
            }
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return,
        }
    }
}

/// What Slack sends, shaped like Slack's own payloads (the Events API and Socket Mode carry
/// the same ones).
pub mod payload {
    use serde_json::{Value, json};

    /// An `event_callback` wrapping `event`.
    pub fn callback(event_id: &str, event: Value) -> Value {
        json!({ "token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
            "event": event, "event_id": event_id, "event_time": 1_700_000_000,
            "authed_users": ["UCOVE"] })
    }

    /// `@cove <text>` in `channel`.
    pub fn mention(user: &str, channel: &str, text: &str, ts: &str, thread: Option<&str>) -> Value {
        let mut e = json!({ "type": "app_mention", "user": user, "channel": channel,
            "text": format!("<@UCOVE> {text}"), "ts": ts, "event_ts": ts });
        if let Some(t) = thread {
            e["thread_ts"] = json!(t);
        }
        e
    }

    /// A message by `user` in `channel` (`channel_type` `channel` or `im`).
    pub fn message(
        user: &str,
        channel: &str,
        channel_type: &str,
        text: &str,
        ts: &str,
        thread: Option<&str>,
    ) -> Value {
        let mut e = json!({ "type": "message", "user": user, "channel": channel,
            "channel_type": channel_type, "text": text, "ts": ts, "event_ts": ts });
        if let Some(t) = thread {
            e["thread_ts"] = json!(t);
        }
        e
    }

    /// A message posted by a bot (Cove's own replies look like this).
    pub fn bot_message(channel: &str, text: &str, ts: &str) -> Value {
        json!({ "type": "message", "subtype": "bot_message", "bot_id": "BCOVE", "user": "UCOVE",
            "channel": channel, "channel_type": "channel", "text": text, "ts": ts })
    }

    /// A file shared in a direct message.
    pub fn file_share(user: &str, channel: &str, file_id: &str, name: &str, ts: &str) -> Value {
        json!({ "type": "message", "subtype": "file_share", "user": user, "channel": channel,
            "channel_type": "im", "text": "", "ts": ts,
            "files": [{ "id": file_id, "name": name }] })
    }

    /// The fields of `/cove <text>`.
    pub fn command(user: &str, channel: &str, text: &str, response_url: &str) -> Value {
        json!({ "token": "legacy", "team_id": "T1", "team_domain": "acme", "channel_id": channel,
            "channel_name": "general", "user_id": user, "user_name": user, "command": "/cove",
            "text": text, "api_app_id": "A1", "response_url": response_url,
            "trigger_id": "1.2.3" })
    }

    /// A click on button `action_id` carrying `value`.
    pub fn button(
        user: &str,
        channel: &str,
        action_id: &str,
        value: &str,
        response_url: &str,
    ) -> Value {
        json!({ "type": "block_actions", "team": { "id": "T1", "domain": "acme" },
            "user": { "id": user, "username": user, "team_id": "T1" }, "api_app_id": "A1",
            "token": "legacy", "trigger_id": "1.2.3",
            "container": { "type": "message", "message_ts": "1700000000.000100",
                "channel_id": channel, "is_ephemeral": true },
            "channel": { "id": channel, "name": "general" }, "response_url": response_url,
            "actions": [{ "type": "button", "action_id": action_id, "block_id": "b",
                "value": value, "action_ts": "1700000001.0001",
                "text": { "type": "plain_text", "text": "Go" } }] })
    }

    /// Form-encodes string fields the way Slack posts slash commands.
    pub fn form(fields: &Value) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in fields.as_object().into_iter().flatten() {
            out.append_pair(k, v.as_str().unwrap_or_default());
        }
        out.finish()
    }

    /// The interactivity body: the payload JSON in a `payload` form field.
    pub fn interactivity_form(payload: &Value) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("payload", &payload.to_string())
            .finish()
    }
}
