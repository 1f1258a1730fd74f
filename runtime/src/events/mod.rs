//! Inbound events: webhooks and schedules, delivered to plugins' `handle-event`.
//!
//! ```text
//! POST /hooks/<plugin>/<hook> ─ hooks: grant? signature? replay? size? ─┐
//!                                                                       ├─ Queue (sled, flushed) ─ 202
//! schedule ticker: granted crons, one event per tick ───────────────────┘
//!                                 │
//!          worker: bounded concurrency, same sandbox as commands, retries with backoff,
//!                  dead letters (`cove events --failed`, `cove events retry <id>`)
//! ```
//!
//! | part | file |
//! |---|---|
//! | signature checks (pure) | [`signature`] |
//! | the HTTP route and per-hook secrets | [`hooks`] |
//! | the delivery loop | [`worker`] |
//! | cron schedules | [`schedule`] |
//! | admin API `/api/v1/events` | `admin_api/events.rs` |
//!
//! Delivery is at least once: an event is removed from the queue only after the plugin
//! handled it, so a crash between the two delivers it again.

pub mod hooks;
pub mod schedule;
pub mod signature;
pub mod worker;

use std::sync::Mutex;

use tokio::sync::mpsc;

use crate::admin_api::model::EventSummary;
use crate::app::Cove;
use crate::store::{EventMeta, EventState, Store, StoredEvent};

/// The durable event queue and the wake-up line to the worker that delivers it.
pub struct Queue {
    store: Store,
    wake: mpsc::UnboundedSender<u64>,
    receiver: Mutex<Option<mpsc::UnboundedReceiver<u64>>>,
}

impl Queue {
    /// A queue over `store`; nothing is delivered until [`worker::start`] takes it over.
    pub fn new(store: Store) -> Queue {
        match store.reconcile_events() {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                "{n} event(s) were both pending and dead after a crash; kept as pending"
            ),
            Err(e) => tracing::error!("cannot check the event queue: {e:#}"),
        }
        let (wake, receiver) = mpsc::unbounded_channel();
        Queue {
            store,
            wake,
            receiver: Mutex::new(Some(receiver)),
        }
    }

    /// Stores an event durably and hands it to the worker. `None` when `replay` (a key and
    /// how long to remember it) was already used: the request is a replay.
    pub async fn accept(
        &self,
        meta: &EventMeta,
        body: &[u8],
        replay: Option<(&[u8], u64)>,
    ) -> anyhow::Result<Option<u64>> {
        let id = self.store.enqueue_event(meta, body, replay).await?;
        if let Some(id) = id {
            self.wake(id);
        }
        Ok(id)
    }

    /// Moves a dead-lettered event back into the queue with a fresh set of attempts.
    pub fn retry(&self, id: u64) -> anyhow::Result<()> {
        let Some(mut event) = self.store.event(EventState::Dead, id)? else {
            anyhow::bail!(
                "no failed event with id {id}; `cove events --failed` lists the failed events"
            );
        };
        event.meta.attempts = 0;
        self.store
            .move_event(id, EventState::Dead, EventState::Pending)?;
        self.store.update_event(&event)?;
        self.wake(id);
        Ok(())
    }

    /// Pending or failed events, oldest first.
    pub fn list(&self, failed: bool, limit: usize) -> anyhow::Result<Vec<StoredEvent>> {
        let state = if failed {
            EventState::Dead
        } else {
            EventState::Pending
        };
        self.store.events(state, limit)
    }

    fn wake(&self, id: u64) {
        // Without a worker (a one-shot CLI command) the id waits in the store for the next
        // `cove serve`, which delivers every pending event when it starts.
        let _ = self.wake.send(id);
    }

    fn take_receiver(&self) -> Option<mpsc::UnboundedReceiver<u64>> {
        self.receiver
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }
}

impl Cove {
    /// `cove events retry <id>`: requeues a dead letter, audited.
    pub fn retry_event(&self, actor: &str, id: u64) -> anyhow::Result<String> {
        self.events.retry(id)?;
        self.audit.record(crate::store::AuditEvent {
            actor: actor.to_string(),
            action: "event.retry".to_string(),
            detail: format!("event #{id}"),
            outcome: "ok".into(),
            ..Default::default()
        })?;
        Ok(format!("Event {id} is queued for delivery again."))
    }

    /// Pending (or dead-lettered) events, oldest first.
    pub fn event_summaries(&self, failed: bool, limit: usize) -> anyhow::Result<Vec<EventSummary>> {
        Ok(self
            .events
            .list(failed, limit)?
            .iter()
            .map(EventSummary::from)
            .collect())
    }
}

/// `cove events`: one line per event (two when it failed), or what an empty list means.
pub fn render_events(events: &[EventSummary], failed: bool) -> String {
    if events.is_empty() {
        return if failed {
            "No failed events."
        } else {
            "No events are waiting for delivery."
        }
        .into();
    }
    let state = if failed { "failed" } else { "pending" };
    events
        .iter()
        .map(|e| {
            let mut line = format!(
                "{:>6}  {state:<7}  {:<16} {} {}  ({} bytes, {} attempt{})",
                e.id,
                e.plugin,
                e.kind,
                e.name,
                e.body_bytes,
                e.attempts,
                if e.attempts == 1 { "" } else { "s" }
            );
            if let Some(error) = &e.last_error {
                line.push_str(&format!("\n        last error: {error}"));
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}
