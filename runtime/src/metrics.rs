//! Counters for `/metrics`, in the Prometheus text format. Updating one costs an uncontended
//! lock or an atomic add; rendering happens only when scraped.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency histogram, in seconds: 10 µs to 10 s.
const BUCKETS: [f64; 12] = [
    0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10.0,
];

type Counter<K> = Mutex<BTreeMap<K, u64>>;

/// plugin → command → outcome → count: nested so that counting an invocation allocates
/// nothing once the plugin and command have been seen.
type InvocationCounts = BTreeMap<String, BTreeMap<String, BTreeMap<&'static str, u64>>>;

/// Everything `/metrics` reports.
#[derive(Default)]
pub struct Metrics {
    invocations: Mutex<InvocationCounts>,
    latency_buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_ns: AtomicU64,
    denials: Counter<&'static str>,
    sandbox_failures: Counter<&'static str>,
    egress: Counter<&'static str>,
    events: Counter<&'static str>,
    in_flight: AtomicI64,
}

fn bump<K: Ord>(counter: &Counter<K>, key: K) {
    *counter
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(key)
        .or_default() += 1;
}

impl Metrics {
    /// One finished invocation: `outcome` is `ok`, `error`, or a sandbox failure kind.
    pub fn invocation(&self, plugin: &str, command: &str, outcome: &'static str, took: Duration) {
        {
            let mut counts = self.invocations.lock().unwrap_or_else(|e| e.into_inner());
            if !counts.contains_key(plugin) {
                counts.insert(plugin.to_string(), BTreeMap::new());
            }
            let commands = counts.get_mut(plugin).expect("inserted above");
            if !commands.contains_key(command) {
                commands.insert(command.to_string(), BTreeMap::new());
            }
            *commands
                .get_mut(command)
                .expect("inserted above")
                .entry(outcome)
                .or_default() += 1;
        }
        let seconds = took.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.latency_buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_ns
            .fetch_add(took.as_nanos() as u64, Ordering::Relaxed);
    }

    /// A refusal: `acl`, `egress`, `secret`, `admin`.
    pub fn denial(&self, kind: &'static str) {
        bump(&self.denials, kind);
    }

    /// A trap, timeout or limit that ended an invocation.
    pub fn sandbox_failure(&self, kind: &'static str) {
        bump(&self.sandbox_failures, kind);
    }

    /// One outgoing request: `allowed` or `denied`.
    pub fn egress(&self, outcome: &'static str) {
        bump(&self.egress, outcome);
    }

    /// An inbound event: `accepted`, `refused`, `delivered`, `retried` or `dead`.
    pub fn event(&self, outcome: &'static str) {
        bump(&self.events, outcome);
    }

    /// How many inbound events ended with `outcome` so far.
    pub fn event_count(&self, outcome: &str) -> u64 {
        let counts = self.events.lock().unwrap_or_else(|e| e.into_inner());
        counts.get(outcome).copied().unwrap_or(0)
    }

    /// Marks an invocation as running until the guard drops.
    pub fn running(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(&self.in_flight)
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP cove_invocations_total Commands run, by plugin, command and outcome.\n",
        );
        out.push_str("# TYPE cove_invocations_total counter\n");
        for (plugin, commands) in self
            .invocations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            for (command, outcomes) in commands {
                let (plugin, command) = (escape(plugin), escape(command));
                for (outcome, n) in outcomes {
                    let labels =
                        format!("plugin=\"{plugin}\",command=\"{command}\",outcome=\"{outcome}\"");
                    let _ = writeln!(out, "cove_invocations_total{{{labels}}} {n}");
                }
            }
        }
        out.push_str("# HELP cove_invocation_seconds Time from message to reply.\n# TYPE cove_invocation_seconds histogram\n");
        for (bound, bucket) in BUCKETS.iter().zip(&self.latency_buckets) {
            let _ = writeln!(
                out,
                "cove_invocation_seconds_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(out, "cove_invocation_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "cove_invocation_seconds_sum {}",
            self.latency_sum_ns.load(Ordering::Relaxed) as f64 / 1e9
        );
        let _ = writeln!(out, "cove_invocation_seconds_count {count}");
        render_counter(
            &mut out,
            "cove_denials_total",
            "Refused attempts, by kind.",
            "kind",
            &self.denials,
        );
        render_counter(
            &mut out,
            "cove_sandbox_failures_total",
            "Invocations ended by a trap, timeout or limit.",
            "kind",
            &self.sandbox_failures,
        );
        render_counter(
            &mut out,
            "cove_egress_requests_total",
            "Outgoing plugin requests, by outcome.",
            "outcome",
            &self.egress,
        );
        render_counter(
            &mut out,
            "cove_events_total",
            "Inbound webhooks and schedule ticks, by outcome.",
            "outcome",
            &self.events,
        );
        out.push_str("# HELP cove_instances_in_flight Invocations running now.\n# TYPE cove_instances_in_flight gauge\n");
        let _ = writeln!(
            out,
            "cove_instances_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        out
    }
}

fn render_counter(
    out: &mut String,
    name: &str,
    help: &str,
    label: &str,
    counter: &Counter<&'static str>,
) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
    for (key, n) in counter.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        let _ = writeln!(out, "{name}{{{label}=\"{key}\"}} {n}");
    }
}

/// Label values are plugin and command names (already `a-z0-9-`), escaped anyway.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Decrements the in-flight gauge when dropped.
pub struct InFlight<'a>(&'a AtomicI64);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        {
            let _running = m.running();
            assert!(m.render().contains("cove_instances_in_flight 1"));
        }
        m.invocation("echo", "echo", "ok", Duration::from_micros(20));
        m.invocation("spin", "spin", "timeout", Duration::from_secs(3));
        m.denial("egress");
        m.sandbox_failure("timeout");
        m.egress("denied");
        m.event("dead");
        let text = m.render();
        for line in [
            "cove_invocations_total{plugin=\"echo\",command=\"echo\",outcome=\"ok\"} 1",
            "cove_invocation_seconds_bucket{le=\"0.000025\"} 1",
            "cove_invocation_seconds_bucket{le=\"+Inf\"} 2",
            "cove_denials_total{kind=\"egress\"} 1",
            "cove_sandbox_failures_total{kind=\"timeout\"} 1",
            "cove_egress_requests_total{outcome=\"denied\"} 1",
            "cove_events_total{outcome=\"dead\"} 1",
            "cove_instances_in_flight 0",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
    }
}
