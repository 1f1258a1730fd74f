//! `cove bench --only events`: a burst of signed webhooks into the real route, the durable
//! queue, the worker and the sandbox (the `echo` plugin's no-op `handle-event`), while a chat
//! client keeps sending the peer workload. Prints how fast events go from request to
//! `handle-event` done, and what the burst does to chat latency:
//!
//! `peer=cove-events events=… accept_p50_us=… accept_p99_us=… delivered_per_s=… chat_cmds=… chat_p50_us=… chat_p99_us=…`

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::bench::{HttpClient, workload};
use crate::chat::http;
use crate::dispatch::Dispatcher;
use crate::events::{hooks, signature};

/// Client threads sending webhooks, each on one keep-alive connection.
const SENDERS: usize = 4;
/// How long the burst may take to be delivered before the benchmark gives up.
const PATIENCE: Duration = Duration::from_secs(300);

/// Runs the burst and returns the report line.
pub async fn run(dispatcher: &Arc<Dispatcher>, n: usize) -> anyhow::Result<String> {
    let cove = dispatcher.cove().clone();
    cove.grant("bench", "echo", &["webhook".into(), "bench".into()])?;
    let secret = cove
        .permissions
        .secret_value(&hooks::secret_name("echo", "bench"))?
        .context("the bench hook has no secret")?;
    crate::events::worker::start(cove.clone())?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let router = http::routes(dispatcher.clone()).merge(hooks::routes(cove.clone()));
    let server = tokio::spawn(http::serve(listener, router, std::future::pending()));

    let before = cove.metrics.event_count("delivered");
    let started = Instant::now();
    let senders: Vec<_> = (0..SENDERS)
        .map(|s| {
            let secret = secret.clone();
            std::thread::spawn(move || send_share(addr, &secret, s, n))
        })
        .collect();
    let done = Arc::new(AtomicBool::new(false));
    let chat = {
        let done = done.clone();
        std::thread::spawn(move || chat_until(addr, &done))
    };
    while cove.metrics.event_count("delivered") < before + n as u64 {
        if started.elapsed() > PATIENCE {
            bail!("the burst was not delivered within {PATIENCE:?}");
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let elapsed = started.elapsed();
    done.store(true, Ordering::SeqCst);
    let joined = tokio::task::spawn_blocking(move || {
        let accepts: anyhow::Result<Vec<Vec<Duration>>> = senders.into_iter().map(join).collect();
        (accepts, join(chat))
    })
    .await?;
    server.abort();
    let mut accepts: Vec<Duration> = joined.0?.into_iter().flatten().collect();
    let mut chat = joined.1?;
    accepts.sort_unstable();
    chat.sort_unstable();
    Ok(format!(
        "peer=cove-events events={n} accept_p50_us={:.0} accept_p99_us={:.0} delivered_per_s={:.0} chat_cmds={} chat_p50_us={:.0} chat_p99_us={:.0}",
        micros(&accepts, 0.50),
        micros(&accepts, 0.99),
        n as f64 / elapsed.as_secs_f64(),
        chat.len(),
        micros(&chat, 0.50),
        micros(&chat, 0.99),
    ))
}

fn join<T>(handle: std::thread::JoinHandle<anyhow::Result<T>>) -> anyhow::Result<T> {
    handle
        .join()
        .map_err(|_| anyhow::anyhow!("a benchmark client thread panicked"))?
}

/// Sends events `s, s + SENDERS, …` below `n`; returns each one's time to `202`.
fn send_share(
    addr: std::net::SocketAddr,
    secret: &str,
    s: usize,
    n: usize,
) -> anyhow::Result<Vec<Duration>> {
    let mut conn = HttpClient::connect(addr)?;
    let mut latencies = Vec::with_capacity(n / SENDERS + 1);
    for i in (s..n).step_by(SENDERS) {
        let body = format!("{{\"event\":{i}}}");
        let now = crate::now_ms() / 1000;
        let signature = signature::sign_cove(secret.as_bytes(), now, body.as_bytes());
        let header = format!("X-Cove-Signature: {signature}\r\n");
        let t = Instant::now();
        let (status, answer) = conn.request("/hooks/echo/bench", &header, body.as_bytes())?;
        latencies.push(t.elapsed());
        if status != 202 {
            bail!(
                "event {i}: HTTP {status}: {}",
                String::from_utf8_lossy(&answer)
            );
        }
    }
    Ok(latencies)
}

/// Sends the peer workload one command at a time until `done`; returns the latencies.
fn chat_until(addr: std::net::SocketAddr, done: &AtomicBool) -> anyhow::Result<Vec<Duration>> {
    let mut conn = HttpClient::connect(addr)?;
    let mut latencies = Vec::new();
    let mut i = 0;
    while !done.load(Ordering::SeqCst) {
        let (command, expected) = workload(i);
        let body =
            serde_json::json!({"user": "bench", "channel": "bench", "text": format!("!{command}")});
        let t = Instant::now();
        let (status, answer) = conn.request("/api/v1/messages", "", body.to_string().as_bytes())?;
        latencies.push(t.elapsed());
        let response: http::MessageResponse = serde_json::from_slice(&answer)?;
        match response.replies.first() {
            Some(reply) if status == 200 && reply.text == expected => {}
            other => bail!("command {command:?}: expected {expected:?}, got {other:?}"),
        }
        i += 1;
    }
    Ok(latencies)
}

/// The `p` quantile of sorted durations, in µs (0 when there are none).
fn micros(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_nanos() as f64 / 1000.0
}
