//! Writing the audit log without slowing commands down.
//!
//! Grants, revokes, secret changes, installs and removals are recorded synchronously: the
//! admin is told "done" only once the record is on disk. Invocation and denial records are
//! queued and written by one background thread every [`WRITE_INTERVAL`] in one batch (one
//! flush), so a command neither waits ~0.2 ms for a disk flush nor pays for waking the
//! writer; the queue is drained on shutdown.

use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::sync::{Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::store::{AuditEvent, Store};

/// How often queued records are written: the most a crash can lose of invocation records.
pub const WRITE_INTERVAL: Duration = Duration::from_millis(50);

/// The audit log of one process.
pub struct AuditLog {
    store: Store,
    /// Read-locked by every sender (no contention between commands); taken on close.
    queue: RwLock<Option<Sender<AuditEvent>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

impl AuditLog {
    /// Starts the background writer.
    pub fn new(store: Store) -> anyhow::Result<AuditLog> {
        let (tx, rx) = channel();
        let writer_store = store.clone();
        let writer = std::thread::Builder::new()
            .name("cove-audit".into())
            .spawn(move || write_batches(&writer_store, &rx))?;
        Ok(AuditLog {
            store,
            queue: RwLock::new(Some(tx)),
            writer: Mutex::new(Some(writer)),
        })
    }

    /// Records `event` now; durable when this returns.
    pub fn record(&self, event: AuditEvent) -> anyhow::Result<()> {
        self.store.audit(event).map(|_| ())
    }

    /// Queues `event` for the background writer (or, once the writer has stopped, writes it).
    pub fn record_soon(&self, event: AuditEvent) {
        let queue = self.queue.read().unwrap_or_else(|e| e.into_inner());
        let unsent = match queue.as_ref() {
            Some(tx) => tx.send(event).err().map(|e| e.0),
            None => Some(event),
        };
        drop(queue);
        if let Some(event) = unsent
            && let Err(e) = self.store.audit(event)
        {
            tracing::error!("cannot write an audit record: {e:#}");
        }
    }

    /// Writes everything queued and stops the writer.
    pub fn close(&self) {
        self.queue.write().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(writer) = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take() {
            writer.thread().unpark();
            let _ = writer.join();
        }
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        self.close();
    }
}

fn write_batches(store: &Store, rx: &Receiver<AuditEvent>) {
    loop {
        // Sleeping (not blocking on the channel) means senders never have to wake this thread.
        std::thread::park_timeout(WRITE_INTERVAL);
        let mut batch = Vec::new();
        let closed = loop {
            match rx.try_recv() {
                Ok(event) => batch.push(event),
                Err(TryRecvError::Empty) => break false,
                Err(TryRecvError::Disconnected) => break true,
            }
        };
        if !batch.is_empty()
            && let Err(e) = store.audit_batch(batch)
        {
            tracing::error!("cannot write audit records: {e:#}");
        }
        if closed {
            return;
        }
    }
}
