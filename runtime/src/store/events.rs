//! Inbound events waiting for delivery, dead letters, and the signatures remembered
//! against replay.
//!
//! | tree | key | value |
//! |---|---|---|
//! | `events` | id (u64 big-endian, from sled's monotonic id generator) | [`EventMeta`] as JSON, then the body |
//! | `events_dead` | id | the same, after the last attempt failed |
//! | `event_replay` | replay key of an accepted signature | expiry (unix seconds, u64 big-endian) |
//!
//! An event is written and flushed before the sender is told `202`, and removed only after
//! the plugin handled it, so a crash in between delivers it again on restart (at least once).

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::Store;

/// Everything about a queued event but its body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMeta {
    /// The plugin it is for.
    pub plugin: String,
    /// `webhook` or `schedule`.
    pub kind: String,
    /// The hook name or the cron expression.
    pub name: String,
    /// Request headers (lower-case names) or the schedule's headers.
    pub headers: Vec<(String, String)>,
    /// When it was accepted, ms since the epoch.
    pub received_ms: u64,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Monotonic id.
    pub id: u64,
    pub meta: EventMeta,
    pub body: Vec<u8>,
}

/// Which tree an event is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventState {
    /// Waiting for (another) delivery attempt.
    Pending,
    /// Out of attempts; kept until retried.
    Dead,
}

fn encode(meta: &EventMeta, body: &[u8]) -> anyhow::Result<Vec<u8>> {
    let meta = serde_json::to_vec(meta)?;
    let len = u32::try_from(meta.len()).context("event metadata too large")?;
    Ok([&len.to_be_bytes()[..], &meta, body].concat())
}

fn decode(id: u64, bytes: &[u8]) -> anyhow::Result<StoredEvent> {
    let (len, rest) = bytes
        .split_at_checked(4)
        .context("event record truncated")?;
    let len = u32::from_be_bytes(len.try_into().context("event record truncated")?) as usize;
    let (meta, body) = rest
        .split_at_checked(len)
        .context("event record truncated")?;
    Ok(StoredEvent {
        id,
        meta: serde_json::from_slice(meta).context("event metadata corrupt")?,
        body: body.to_vec(),
    })
}

fn id_of(key: &[u8]) -> u64 {
    key.try_into().map(u64::from_be_bytes).unwrap_or(0)
}

impl Store {
    fn event_tree(&self, state: EventState) -> &sled::Tree {
        match state {
            EventState::Pending => &self.events,
            EventState::Dead => &self.events_dead,
        }
    }

    /// Queues an event and, unless a `replay` key (with its expiry) was already taken, makes
    /// it durable. Returns its id, or `None` when the replay key was seen before.
    pub async fn enqueue_event(
        &self,
        meta: &EventMeta,
        body: &[u8],
        replay: Option<(&[u8], u64)>,
    ) -> anyhow::Result<Option<u64>> {
        if let Some((key, until)) = replay {
            let now = crate::now_ms() / 1000;
            let previous = self.event_replay.get(key)?;
            let live = previous
                .as_deref()
                .and_then(|v| v.try_into().ok())
                .is_some_and(|v| u64::from_be_bytes(v) >= now);
            let swapped = self.event_replay.compare_and_swap(
                key,
                previous,
                Some(&until.to_be_bytes()[..]),
            )?;
            if live || swapped.is_err() {
                return Ok(None);
            }
        }
        let id = self.db.generate_id()?;
        self.events.insert(id.to_be_bytes(), encode(meta, body)?)?;
        // Not sled's `flush_async`: it waits on sled's own small thread pool, which also
        // writes the log, so a burst of concurrent flushes can occupy every thread and wait
        // forever for a write none is left to do. Tokio's blocking pool has no such tie.
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || db.flush())
            .await
            .context("the flush task failed")?
            .context("cannot flush the event queue to disk")?;
        Ok(Some(id))
    }

    /// One event, if it is in `state`.
    pub fn event(&self, state: EventState, id: u64) -> anyhow::Result<Option<StoredEvent>> {
        self.event_tree(state)
            .get(id.to_be_bytes())?
            .map(|v| decode(id, &v))
            .transpose()
    }

    /// Events in `state`, oldest first, at most `limit`.
    pub fn events(&self, state: EventState, limit: usize) -> anyhow::Result<Vec<StoredEvent>> {
        self.event_tree(state)
            .iter()
            .take(limit)
            .map(|entry| {
                let (k, v) = entry?;
                decode(id_of(&k), &v)
            })
            .collect()
    }

    /// Ids of pending events, oldest first.
    pub fn pending_event_ids(&self) -> anyhow::Result<Vec<u64>> {
        self.events.iter().keys().map(|k| Ok(id_of(&k?))).collect()
    }

    /// Records a failed attempt of a pending event.
    pub fn update_event(&self, event: &StoredEvent) -> anyhow::Result<()> {
        self.events
            .insert(event.id.to_be_bytes(), encode(&event.meta, &event.body)?)?;
        self.flush()
    }

    /// Removes a delivered event.
    pub fn remove_event(&self, id: u64) -> anyhow::Result<()> {
        self.events.remove(id.to_be_bytes())?;
        self.flush()
    }

    /// Moves an event from one tree to the other (dead-lettering, or a retry); false when
    /// it was not in `from`. It is written to `to` before it leaves `from`, so a crash in
    /// between leaves it in both, never in neither; [`Store::reconcile_events`] settles that.
    /// (No sled transaction: see the note in `kv.rs`.)
    pub fn move_event(&self, id: u64, from: EventState, to: EventState) -> anyhow::Result<bool> {
        let key = id.to_be_bytes();
        let Some(value) = self.event_tree(from).get(key)? else {
            return Ok(false);
        };
        self.event_tree(to).insert(key, value)?;
        self.event_tree(from).remove(key)?;
        self.flush()?;
        Ok(true)
    }

    /// After a crash in the middle of [`Store::move_event`], an event can be both pending and
    /// dead: it stays pending (delivery is at least once) and its dead copy goes.
    pub fn reconcile_events(&self) -> anyhow::Result<usize> {
        let mut removed = 0;
        for id in self.pending_event_ids()? {
            if self.events_dead.remove(id.to_be_bytes())?.is_some() {
                removed += 1;
            }
        }
        if removed > 0 {
            self.flush()?;
        }
        Ok(removed)
    }

    /// Forgets replay keys whose window has passed; returns how many.
    pub fn prune_replay_keys(&self, now_secs: u64) -> anyhow::Result<usize> {
        let mut pruned = 0;
        for entry in self.event_replay.iter() {
            let (k, v) = entry?;
            let until = v.as_ref().try_into().map(u64::from_be_bytes).unwrap_or(0);
            if until < now_secs {
                self.event_replay.remove(k)?;
                pruned += 1;
            }
        }
        Ok(pruned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> EventMeta {
        EventMeta {
            plugin: "p".into(),
            kind: "webhook".into(),
            name: "in".into(),
            headers: vec![("x-a".into(), "1".into())],
            received_ms: 5,
            attempts: 0,
            last_error: None,
        }
    }

    #[tokio::test]
    async fn an_event_left_both_pending_and_dead_stays_pending() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let id = s.enqueue_event(&meta(), b"x", None).await.unwrap().unwrap();
        // What a crash between the two writes of `move_event` leaves behind.
        let copy = s.events.get(id.to_be_bytes()).unwrap().unwrap();
        s.events_dead.insert(id.to_be_bytes(), copy).unwrap();
        assert_eq!(s.reconcile_events().unwrap(), 1);
        assert_eq!(s.pending_event_ids().unwrap(), vec![id]);
        assert!(s.events(EventState::Dead, 10).unwrap().is_empty());
        assert_eq!(s.reconcile_events().unwrap(), 0);
    }

    #[tokio::test]
    async fn queue_dead_letters_and_replays() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let a = s
            .enqueue_event(&meta(), b"one", None)
            .await
            .unwrap()
            .unwrap();
        let b = s
            .enqueue_event(&meta(), b"two", Some((b"k", u64::MAX)))
            .await
            .unwrap()
            .unwrap();
        assert!(b > a, "ids increase");
        assert_eq!(
            s.enqueue_event(&meta(), b"two", Some((b"k", u64::MAX)))
                .await
                .unwrap(),
            None
        );
        assert_eq!(s.pending_event_ids().unwrap(), vec![a, b]);
        let mut ev = s.event(EventState::Pending, b).unwrap().unwrap();
        assert_eq!((ev.body.as_slice(), &ev.meta), (&b"two"[..], &meta()));
        ev.meta.attempts = 3;
        s.update_event(&ev).unwrap();
        assert!(
            s.move_event(b, EventState::Pending, EventState::Dead)
                .unwrap()
        );
        assert!(
            !s.move_event(b, EventState::Pending, EventState::Dead)
                .unwrap()
        );
        assert_eq!(s.events(EventState::Dead, 10).unwrap()[0].meta.attempts, 3);
        s.remove_event(a).unwrap();
        assert!(s.pending_event_ids().unwrap().is_empty());
        // An expired replay key no longer blocks, and pruning drops it.
        s.enqueue_event(&meta(), b"x", Some((b"old", 1)))
            .await
            .unwrap()
            .unwrap();
        assert!(
            s.enqueue_event(&meta(), b"x", Some((b"old", 1)))
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(s.prune_replay_keys(100).unwrap(), 1);
    }
}
