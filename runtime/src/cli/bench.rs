//! `cove bench`: the peer workload of `shared/peers/README.md`, measured three ways.
//!
//! Workload: command `i` is `echo msg-<i>` (even `i`) or `sum i i+1 i+2 i+3 i+4` (odd `i`),
//! sent one at a time after a warm-up; every reply is checked. Results are printed in the
//! peers' format: `peer=… cmds=… p50_us=… p99_us=… throughput_per_s=… peak_rss_mib=…`.
//!
//! - `floor`: fresh store + instantiate + `handle-command` of the echo component alone;
//! - `cove-inprocess`: message in, reply out, through dispatch and a fresh sandbox per command;
//! - `cove-http`: `POST /api/v1/messages` over loopback with one keep-alive connection;
//! - `cove-events`: a burst of signed webhooks, see [`super::bench_events`].

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;

use crate::app::Cove;
use crate::chat::{console, http};
use crate::config::Config;
use crate::dispatch::Dispatcher;
use crate::sandbox::bindings::cove::plugin::types::{Channel, Invocation, User};

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Timed commands.
    #[arg(long, default_value_t = 5000)]
    n: usize,
    /// Untimed commands sent first.
    #[arg(long, default_value_t = 200)]
    warmup: usize,
    /// Which measurements to run: floor, inprocess, http, events (comma-separated).
    #[arg(
        long,
        default_value = "floor,inprocess,http,events",
        value_delimiter = ','
    )]
    only: Vec<String>,
    /// Webhooks in the `events` burst.
    #[arg(long, default_value_t = 1000)]
    events: usize,
}

/// Command `i` of the workload and its expected reply.
pub(super) fn workload(i: usize) -> (String, String) {
    if i.is_multiple_of(2) {
        (format!("echo msg-{i}"), format!("msg-{i}"))
    } else {
        (
            format!("sum {} {} {} {} {}", i, i + 1, i + 2, i + 3, i + 4),
            (5 * i + 10).to_string(),
        )
    }
}

/// Runs the benchmark against a throw-away store with the first-party plugins.
pub async fn run(args: BenchArgs, mut config: Config) -> anyhow::Result<ExitCode> {
    let dir = std::env::temp_dir().join(format!("cove-bench-{}", std::process::id()));
    config.data_dir = dir.clone();
    let result = run_in(&args, config).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn run_in(args: &BenchArgs, config: Config) -> anyhow::Result<ExitCode> {
    let (cove, _) = Cove::open(config).await?;
    let dispatcher = Arc::new(Dispatcher::new(cove.clone()));
    for mode in &args.only {
        let samples = match mode.as_str() {
            "floor" => floor(&cove, args).await?,
            "inprocess" => inprocess(&dispatcher, args).await?,
            "http" => over_http(&dispatcher, args).await?,
            "events" => {
                println!(
                    "{}",
                    super::bench_events::run(&dispatcher, args.events).await?
                );
                continue;
            }
            other => bail!("unknown measurement {other:?}: use floor, inprocess, http or events"),
        };
        let peer = if mode == "floor" {
            "cove-floor".to_string()
        } else {
            format!("cove-{mode}")
        };
        println!("{}", report(&peer, samples));
    }
    Ok(ExitCode::SUCCESS)
}

/// Per-command latencies and the wall time of the timed loop.
pub(super) struct Samples {
    latencies: Vec<Duration>,
    wall: Duration,
}

fn report(peer: &str, mut s: Samples) -> String {
    s.latencies.sort_unstable();
    let n = s.latencies.len();
    let rank = |p: f64| s.latencies[((p * n as f64).ceil() as usize).clamp(1, n) - 1];
    format!(
        "peer={peer} cmds={n} p50_us={:.1} p99_us={:.1} throughput_per_s={:.0} peak_rss_mib={:.1}",
        rank(0.50).as_nanos() as f64 / 1000.0,
        rank(0.99).as_nanos() as f64 / 1000.0,
        n as f64 / s.wall.as_secs_f64(),
        peak_rss_mib()
    )
}

async fn timed<F, Fut>(args: &BenchArgs, mut one: F) -> anyhow::Result<Samples>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    for i in 0..args.warmup {
        one(i).await?;
    }
    let mut latencies = Vec::with_capacity(args.n);
    let start = Instant::now();
    for i in 0..args.n {
        let t = Instant::now();
        one(i).await?;
        latencies.push(t.elapsed());
    }
    Ok(Samples {
        latencies,
        wall: start.elapsed(),
    })
}

async fn floor(cove: &Arc<Cove>, args: &BenchArgs) -> anyhow::Result<Samples> {
    let plugin = cove
        .registry
        .snapshot()
        .plugin("echo")
        .cloned()
        .context("the echo plugin is not loaded")?;
    let invocation = Invocation {
        id: "bench".into(),
        command: "echo".into(),
        args: vec!["msg".into()],
        raw: "msg".into(),
        user: User {
            id: "bench".into(),
            name: "bench".into(),
            roles: vec![],
        },
        channel: Channel {
            id: "bench".into(),
            name: "bench".into(),
        },
        thread: None,
        platform: "bench".into(),
    };
    timed(args, |_| async {
        let running = cove
            .sandbox
            .instantiate(&plugin.pre, &plugin.context, "bench".into())
            .await?;
        match running.handle_command(&invocation).await.0? {
            Ok(reply) if reply.text == "msg" => Ok(()),
            other => bail!("unexpected echo result {other:?}"),
        }
    })
    .await
}

async fn inprocess(dispatcher: &Dispatcher, args: &BenchArgs) -> anyhow::Result<Samples> {
    timed(args, |i| async move {
        let (command, expected) = workload(i);
        let message = console::message(&format!("!{command}"), "bench", "bench");
        match dispatcher.handle(&message).await.first() {
            Some(reply) if reply.text == expected => Ok(()),
            other => bail!("command {command:?}: expected {expected:?}, got {other:?}"),
        }
    })
    .await
}

async fn over_http(dispatcher: &Arc<Dispatcher>, args: &BenchArgs) -> anyhow::Result<Samples> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(http::serve(
        listener,
        http::routes(dispatcher.clone()),
        std::future::pending(),
    ));
    let (n, warmup) = (args.n, args.warmup);
    let client = std::thread::spawn(move || -> anyhow::Result<Samples> {
        let mut conn = HttpClient::connect(addr)?;
        let mut one = |i: usize| -> anyhow::Result<()> {
            let (command, expected) = workload(i);
            let body = serde_json::json!({"user": "bench", "channel": "bench", "text": format!("!{command}")});
            let response: http::MessageResponse =
                serde_json::from_slice(&conn.post(&body.to_string())?)?;
            match response.replies.first() {
                Some(reply) if reply.text == expected => Ok(()),
                other => bail!("command {command:?}: expected {expected:?}, got {other:?}"),
            }
        };
        for i in 0..warmup {
            one(i)?;
        }
        let mut latencies = Vec::with_capacity(n);
        let start = Instant::now();
        for i in 0..n {
            let t = Instant::now();
            one(i)?;
            latencies.push(t.elapsed());
        }
        Ok(Samples {
            latencies,
            wall: start.elapsed(),
        })
    });
    let samples = tokio::task::spawn_blocking(move || client.join())
        .await?
        .map_err(|_| anyhow::anyhow!("the HTTP client thread panicked"))?;
    server.abort();
    samples
}

/// A minimal HTTP/1.1 keep-alive client, so the measurement is the server's path only.
pub(super) struct HttpClient {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    host: String,
}

impl HttpClient {
    pub(super) fn connect(addr: std::net::SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        Ok(HttpClient {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
            host: addr.to_string(),
        })
    }

    fn post(&mut self, body: &str) -> anyhow::Result<Vec<u8>> {
        let (status, body) = self.request("/api/v1/messages", "", body.as_bytes())?;
        if status != 200 {
            bail!("HTTP {status}: {}", String::from_utf8_lossy(&body));
        }
        Ok(body)
    }

    /// POSTs `body` to `path` with `headers` (`Name: value\r\n` lines); status and body.
    pub(super) fn request(
        &mut self,
        path: &str,
        headers: &str,
        body: &[u8],
    ) -> anyhow::Result<(u16, Vec<u8>)> {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n{headers}Content-Length: {}\r\n\r\n",
            self.host,
            body.len()
        );
        self.writer.write_all(head.as_bytes())?;
        self.writer.write_all(body)?;
        let mut length = None;
        let mut status = 0;
        let mut line = String::new();
        loop {
            line.clear();
            if self.reader.read_line(&mut line)? == 0 {
                bail!("the server closed the connection");
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if header.starts_with("HTTP/") {
                status = header
                    .split_whitespace()
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = Some(value.trim().parse::<usize>()?);
            }
        }
        let mut body = vec![0; length.context("response without Content-Length")?];
        self.reader.read_exact(&mut body)?;
        Ok((status, body))
    }
}

/// Peak resident set size of this process (VmHWM), in MiB.
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map(|kib| kib / 1024.0)
        .unwrap_or(0.0)
}
