//! `alerts`: turns Alertmanager webhook notifications into one readable channel message per
//! notification, and remembers what is firing for `!alerts`.
//!
//! Set-up (see `docs/notifications.md`): `cove grant alerts webhook alertmanager` (prints the
//! secret), `cove grant alerts post alerts`, and point Alertmanager's `webhook_configs` at
//! `/hooks/alerts/alertmanager`. The channel is the plugin configuration `channel`
//! (default `alerts`).
//!
//! ```text
//! 🔥 FIRING (2) HighLatency — receiver ops
//! • [page] HighLatency on api-1: p99 above 2 s (source: http://prometheus/graph?…)
//!   alertname=HighLatency, instance=api-1, severity=page
//! Alertmanager: http://alertmanager:9093
//! ```

#![no_std]

extern crate alloc;

use alloc::collections::BTreeMap;

use cove_sdk::prelude::*;
use serde::Deserialize;

const DEFAULT_CHANNEL: &str = "alerts";
/// Alerts listed in one message; the rest are counted.
const MAX_LISTED: usize = 20;

/// An Alertmanager webhook notification (version 4).
#[derive(Deserialize)]
struct Notification {
    #[serde(default)]
    receiver: String,
    #[serde(default, rename = "externalURL")]
    external_url: String,
    #[serde(default, rename = "commonLabels")]
    common_labels: BTreeMap<String, String>,
    #[serde(default)]
    alerts: Vec<Alert>,
}

#[derive(Deserialize)]
struct Alert {
    #[serde(default)]
    status: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    #[serde(default, rename = "generatorURL")]
    generator_url: String,
    #[serde(default)]
    fingerprint: String,
}

struct Alerts;

impl Plugin for Alerts {
    fn manifest() -> Manifest {
        Manifest::new(
            "alerts",
            env!("CARGO_PKG_VERSION"),
            "Posts Alertmanager notifications (firing and resolved) to a channel; `!alerts` \
             lists what is firing.",
        )
        .command(
            Command::new("alerts", "List the alerts firing now")
                .example("!alerts"),
        )
        .webhook("alertmanager")
        .post_to(DEFAULT_CHANNEL)
    }

    fn handle_command(_inv: Invocation) -> Result<Reply, CommandError> {
        let firing = kv::list_keys("firing/");
        if firing.is_empty() {
            return Ok(Reply::text("No alerts are firing."));
        }
        let lines: Vec<String> = firing
            .iter()
            .filter_map(|key| kv::get_string(key))
            .collect();
        Ok(Reply::text(format!(
            "{} firing:\n{}",
            lines.len(),
            lines.join("\n")
        )))
    }

    fn handle_event(ev: Event) -> Result<(), CommandError> {
        let notification: Notification = serde_json::from_slice(&ev.body).map_err(|e| {
            CommandError::failed(format!("not an Alertmanager notification: {e}"))
        })?;
        remember(&notification);
        let channel = host::config("channel").unwrap_or_else(|| DEFAULT_CHANNEL.into());
        host::post(&channel, &render(&notification)).map_err(CommandError::failed)
    }
}

/// Keeps one line per firing alert (by fingerprint) for `!alerts`; resolved ones are dropped.
fn remember(n: &Notification) {
    for alert in n.alerts.iter().filter(|a| !a.fingerprint.is_empty()) {
        let key = format!("firing/{}", alert.fingerprint);
        if alert.status == "resolved" {
            let _ = kv::delete(&key);
        } else {
            let _ = kv::set_string(&key, &alert_line(alert));
        }
    }
}

/// The channel message for one notification.
fn render(n: &Notification) -> String {
    let firing = n.alerts.iter().filter(|a| a.status != "resolved").count();
    let resolved = n.alerts.len() - firing;
    let name = n
        .common_labels
        .get("alertname")
        .map(String::as_str)
        .unwrap_or("alerts");
    let headline = match (firing, resolved) {
        (0, r) => format!("✅ RESOLVED ({r}) {name}"),
        (f, 0) => format!("🔥 FIRING ({f}) {name}"),
        (f, r) => format!("🔥 FIRING ({f}), ✅ RESOLVED ({r}) {name}"),
    };
    let mut out = headline;
    if !n.receiver.is_empty() {
        out.push_str(&format!(" — receiver {}", n.receiver));
    }
    for alert in n.alerts.iter().take(MAX_LISTED) {
        out.push('\n');
        if n.alerts.iter().any(|a| a.status != alert.status) {
            out.push_str(if alert.status == "resolved" { "✅ " } else { "🔥 " });
        }
        out.push_str(&alert_line(alert));
        out.push_str(&format!("\n  {}", labels(&alert.labels)));
    }
    if n.alerts.len() > MAX_LISTED {
        out.push_str(&format!("\n… and {} more", n.alerts.len() - MAX_LISTED));
    }
    if !n.external_url.is_empty() {
        out.push_str(&format!("\nAlertmanager: {}", n.external_url));
    }
    out
}

/// `• [page] HighLatency on api-1: p99 above 2 s (source: http://…)`.
fn alert_line(alert: &Alert) -> String {
    let label = |k: &str| alert.labels.get(k).map(String::as_str);
    let mut line = String::from("• ");
    if let Some(severity) = label("severity") {
        line.push_str(&format!("[{severity}] "));
    }
    line.push_str(label("alertname").unwrap_or("alert"));
    if let Some(instance) = label("instance") {
        line.push_str(&format!(" on {instance}"));
    }
    let text = alert
        .annotations
        .get("summary")
        .or_else(|| alert.annotations.get("description"));
    if let Some(text) = text {
        line.push_str(&format!(": {text}"));
    }
    if !alert.generator_url.is_empty() {
        line.push_str(&format!(" (source: {})", alert.generator_url));
    }
    line
}

fn labels(labels: &BTreeMap<String, String>) -> String {
    let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.join(", ")
}

cove_sdk::export_plugin!(Alerts);
