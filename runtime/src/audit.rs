//! Writing the audit log without slowing commands down.
//!
//! Grants, revokes, secret changes, installs and removals are recorded synchronously: the
//! admin is told "done" only once the record is on disk. Invocation and denial records are
//! queued and written by one background thread in batches (one flush per batch), so a
//! command does not wait ~0.2 ms for a disk flush; the queue is drained on shutdown.

use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

use crate::store::{AuditEvent, Store};

/// Most records written per flush by the background writer.
const BATCH: usize = 512;

/// The audit log of one process.
pub struct AuditLog {
    store: Store,
    queue: Mutex<Option<Sender<AuditEvent>>>,
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
            queue: Mutex::new(Some(tx)),
            writer: Mutex::new(Some(writer)),
        })
    }

    /// Records `event` now; durable when this returns.
    pub fn record(&self, event: AuditEvent) -> anyhow::Result<()> {
        self.store.audit(event).map(|_| ())
    }

    /// Queues `event` for the background writer.
    pub fn record_soon(&self, event: AuditEvent) {
        let queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        let sent = queue
            .as_ref()
            .map(|tx| tx.send(event.clone()).is_ok())
            .unwrap_or(false);
        drop(queue);
        if !sent && let Err(e) = self.store.audit(event) {
            tracing::error!("cannot write an audit record: {e:#}");
        }
    }

    /// Writes everything queued and stops the writer.
    pub fn close(&self) {
        self.queue.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(writer) = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take() {
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
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(event) => batch.push(event),
                Err(_) => break,
            }
        }
        if let Err(e) = store.audit_batch(batch) {
            tracing::error!("cannot write audit records: {e:#}");
        }
    }
}
