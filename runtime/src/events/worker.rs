//! The delivery loop: takes queued events in order and runs each in a fresh sandbox instance
//! of its plugin, at most `events.concurrency` at once so chat commands keep their share of
//! the CPU during a burst.
//!
//! | outcome | what happens |
//! |---|---|
//! | `handle-event` returned `ok` | removed from the queue |
//! | it returned an error, trapped, timed out | retried after `retry_base_ms × 2^(attempt-1)` (at most [`MAX_BACKOFF`]) |
//! | the last of `max_attempts` failed | moved to the dead letters (`cove events --failed`) |
//! | the plugin is gone, unapproved, or no longer granted the event | dead-lettered at once |
//!
//! Every attempt is audited (actor `webhook:<name>` or `schedule`), and so is every refusal
//! of the permission gate during it, exactly as for chat commands.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, mpsc};

use crate::app::Cove;
use crate::permissions::redact;
use crate::sandbox::{CommandError, Event};
use crate::store::{AuditEvent, EventState, StoredEvent};

/// The longest wait between two attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// How often expired replay keys are dropped.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// Starts delivering: every event already pending (accepted before a restart), then each
/// new one. Does nothing when a worker already runs for this process.
pub fn start(cove: Arc<Cove>) -> anyhow::Result<()> {
    let Some(receiver) = cove.events.take_receiver() else {
        return Ok(());
    };
    let pending = cove.store.pending_event_ids()?;
    if !pending.is_empty() {
        tracing::info!(
            events = pending.len(),
            "delivering {} events accepted before the restart",
            pending.len()
        );
    }
    for id in pending {
        cove.events.wake(id);
    }
    tokio::spawn(prune_replay_keys(cove.clone()));
    tokio::spawn(run(cove, receiver));
    Ok(())
}

/// Drops remembered signatures once their window has passed, so the set stays small.
async fn prune_replay_keys(cove: Arc<Cove>) {
    loop {
        tokio::time::sleep(PRUNE_EVERY).await;
        match cove.store.prune_replay_keys(crate::now_ms() / 1000) {
            Ok(0) => {}
            Ok(n) => tracing::debug!(pruned = n, "forgot expired webhook signatures"),
            Err(e) => tracing::warn!("cannot prune remembered webhook signatures: {e:#}"),
        }
    }
}

async fn run(cove: Arc<Cove>, mut receiver: mpsc::UnboundedReceiver<u64>) {
    let slots = Arc::new(Semaphore::new(cove.config.events.concurrency as usize));
    while let Some(id) = receiver.recv().await {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let cove = cove.clone();
        tokio::spawn(async move {
            if let Err(e) = deliver(&cove, id).await {
                tracing::error!(event = id, "cannot record the delivery of an event: {e:#}");
            }
            drop(permit);
        });
    }
}

/// Why one attempt did not succeed.
struct Failure {
    message: String,
    /// Retrying cannot help (the plugin is gone or lost the grant): dead-letter now.
    permanent: bool,
}

async fn deliver(cove: &Arc<Cove>, id: u64) -> anyhow::Result<()> {
    let Some(mut event) = cove.store.event(EventState::Pending, id)? else {
        return Ok(());
    };
    let started = Instant::now();
    let result = attempt(cove, &event).await;
    let outcome = match &result {
        Ok(()) => "ok",
        Err(_) => "error",
    };
    audit(cove, &event, outcome, started);
    let failure = match result {
        Ok(()) => {
            cove.store.remove_event(id)?;
            cove.metrics.event("delivered");
            return Ok(());
        }
        Err(failure) => failure,
    };
    event.meta.attempts += 1;
    event.meta.last_error = Some(failure.message.clone());
    cove.store.update_event(&event)?;
    let (plugin, attempts) = (&event.meta.plugin, event.meta.attempts);
    if failure.permanent || attempts >= cove.config.events.max_attempts {
        cove.store
            .move_event(id, EventState::Pending, EventState::Dead)?;
        cove.metrics.event("dead");
        tracing::warn!(event = id, %plugin, attempts,
            "event dead-lettered: {} (see `cove events --failed`, retry with `cove events retry {id}`)",
            failure.message);
        return Ok(());
    }
    cove.metrics.event("retried");
    let delay = backoff(cove.config.events.retry_base_ms, attempts);
    tracing::warn!(event = id, %plugin, attempts, "event delivery failed, retrying in {delay:?}: {}",
        failure.message);
    let cove = cove.clone();
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        cove.events.wake(id);
    });
    Ok(())
}

/// The wait before the attempt after `attempts` failed ones.
fn backoff(base_ms: u64, attempts: u32) -> Duration {
    let factor = 1u64 << attempts.saturating_sub(1).min(20);
    Duration::from_millis(base_ms.saturating_mul(factor)).min(MAX_BACKOFF)
}

async fn attempt(cove: &Cove, stored: &StoredEvent) -> Result<(), Failure> {
    let meta = &stored.meta;
    let permanent = |message: String| Failure {
        message,
        permanent: true,
    };
    let Some(plugin) = cove.registry.snapshot().plugin(&meta.plugin).cloned() else {
        return Err(permanent(format!(
            "no plugin named {} is installed",
            meta.plugin
        )));
    };
    if !plugin.context.approved {
        return Err(permanent(format!(
            "the active version of {} is not approved, so it receives no events",
            meta.plugin
        )));
    }
    // Checked at delivery, not only at acceptance: a revoke stops queued events too.
    let grants = cove.permissions.grants(&meta.plugin);
    let granted = match meta.kind.as_str() {
        "webhook" => grants.receives_webhook(&meta.name),
        _ => grants.schedules().any(|cron| cron == meta.name),
    };
    if !granted {
        return Err(permanent(format!(
            "{} is no longer granted `{} {}`",
            meta.plugin, meta.kind, meta.name
        )));
    }
    let event = Event {
        kind: meta.kind.clone(),
        name: meta.name.clone(),
        headers: meta.headers.clone(),
        body: stored.body.clone(),
    };
    let invocation_id = format!("ev-{}-{}", stored.id, meta.attempts + 1);
    let (outcome, report) = cove
        .call_plugin(&plugin, &invocation_id, |running| {
            running.handle_event(&event)
        })
        .await;
    let actor = actor(stored);
    for denial in &report.denials {
        cove.audit_denial(&actor, None, denial);
    }
    let message = match outcome {
        Ok(Ok(())) => return Ok(()),
        Ok(Err(
            CommandError::Failed(why) | CommandError::Usage(why) | CommandError::Denied(why),
        )) => {
            format!("the {} plugin failed: {why}", meta.plugin)
        }
        Err(e) => {
            cove.metrics.sandbox_failure(e.kind());
            e.to_string()
        }
    };
    Err(Failure {
        message: redact(&message, &report.held_secrets),
        permanent: false,
    })
}

/// Who the audit log names for an event: the hook, or the scheduler.
fn actor(event: &StoredEvent) -> String {
    match event.meta.kind.as_str() {
        "webhook" => format!("webhook:{}", event.meta.name),
        _ => "schedule".to_string(),
    }
}

fn audit(cove: &Cove, event: &StoredEvent, outcome: &str, started: Instant) {
    cove.audit.record_soon(AuditEvent {
        actor: actor(event),
        action: "event".to_string(),
        plugin: Some(event.meta.plugin.clone()),
        channel: None,
        detail: format!(
            "{} {} #{} attempt {}",
            event.meta.kind,
            event.meta.name,
            event.id,
            event.meta.attempts + 1
        ),
        outcome: outcome.to_string(),
        duration_ms: Some(started.elapsed().as_millis() as u64),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_cap() {
        assert_eq!(backoff(100, 1), Duration::from_millis(100));
        assert_eq!(backoff(100, 2), Duration::from_millis(200));
        assert_eq!(backoff(100, 4), Duration::from_millis(800));
        assert_eq!(backoff(1_000, 30), MAX_BACKOFF);
        assert_eq!(backoff(u64::MAX, 3), MAX_BACKOFF);
    }
}
