//! The audit log: append-only, each record hash-chained to the one before.
//!
//! Record `n` stores `hash = sha256(prev_hash ‖ canonical JSON of the record without its
//! hash)`, where `prev_hash` is record `n-1`'s hash (all zeros for the first). Changing any
//! field of a record breaks its hash; removing or reordering records breaks the sequence or
//! the `prev_hash` link of the next one. `verify` walks the chain and names the first break.
//! Records never contain secret values: callers pass names and outcomes only.

use anyhow::Context;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Store;

/// `prev_hash` of the first record.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened, as given by the caller.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct AuditEvent {
    /// Who did it: a chat user id, `cli`, or `cove` for the host itself.
    pub actor: String,
    /// What kind of thing happened: `invoke`, `deny`, `grant`, `revoke`, `secret.set`, ….
    pub action: String,
    /// The plugin concerned, if any.
    pub plugin: Option<String>,
    /// Where (channel), if any.
    pub channel: Option<String>,
    /// Free-form detail: the command, the grant, what was tried.
    pub detail: String,
    /// `ok`, `denied`, `error`, ….
    pub outcome: String,
    /// How long it took, for invocations.
    pub duration_ms: Option<u64>,
}

/// One stored record.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AuditRecord {
    /// Position in the log, from 1, without gaps.
    pub seq: u64,
    /// When it was written (ms since the Unix epoch).
    pub at_ms: u64,
    #[serde(flatten)]
    pub event: AuditEvent,
    /// Hash of the previous record.
    pub prev_hash: String,
    /// Hash of this record (see the module docs).
    pub hash: String,
}

/// Which records a reader wants: every given field must match.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuditFilter {
    /// Records about this plugin.
    pub plugin: Option<String>,
    /// Records by this actor (a user id, `cli`, `api`, `web`).
    pub user: Option<String>,
    /// Records of this action (`invoke`, `deny`, `grant`, …).
    pub action: Option<String>,
    /// Records with this outcome (`ok`, `denied`, `error`, …).
    pub outcome: Option<String>,
    /// Records written at or after this time (ms since the Unix epoch).
    pub since_ms: Option<u64>,
}

impl AuditFilter {
    /// Whether `record` passes every given condition.
    pub fn matches(&self, record: &AuditRecord) -> bool {
        let e = &record.event;
        let same = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        same(&self.plugin, e.plugin.as_deref().unwrap_or(""))
            && same(&self.user, &e.actor)
            && same(&self.action, &e.action)
            && same(&self.outcome, &e.outcome)
            && self.since_ms.is_none_or(|t| record.at_ms >= t)
    }
}

impl AuditRecord {
    /// `#12 2026-11-21T07:00:00Z alice invoke echo (#ops) ok 3ms — !echo hi`.
    pub fn one_line(&self) -> String {
        let e = &self.event;
        let mut line = format!(
            "#{} {} {} {}",
            self.seq,
            format_time(self.at_ms),
            e.actor,
            e.action
        );
        if let Some(plugin) = &e.plugin {
            line.push_str(&format!(" {plugin}"));
        }
        if let Some(channel) = &e.channel {
            line.push_str(&format!(" ({channel})"));
        }
        line.push_str(&format!(" {}", e.outcome));
        if let Some(ms) = e.duration_ms {
            line.push_str(&format!(" {ms}ms"));
        }
        if !e.detail.is_empty() {
            line.push_str(&format!(" — {}", e.detail));
        }
        line
    }

    fn compute_hash(&self) -> String {
        let mut unhashed = self.clone();
        unhashed.hash.clear();
        let canonical = serde_json::to_vec(&unhashed).unwrap_or_default();
        let mut hasher = Sha256::new();
        hasher.update(self.prev_hash.as_bytes());
        hasher.update(&canonical);
        hex::encode(hasher.finalize())
    }
}

/// RFC 3339 UTC time of a millisecond timestamp (civil-from-days, no time-zone database).
pub fn format_time(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z")
}

/// Where the chain breaks, if it does.
#[derive(Debug, PartialEq, Eq)]
pub enum ChainReport {
    /// Every record is intact.
    Intact { records: u64 },
    /// The first record that does not check out, and why.
    Broken { seq: u64, problem: String },
}

impl Store {
    /// Appends a record; durable when this returns.
    pub fn audit(&self, event: AuditEvent) -> anyhow::Result<AuditRecord> {
        let mut written = self.audit_batch(vec![event])?;
        written.pop().context("no audit record was written")
    }

    /// Appends records in order with one flush; durable when this returns.
    pub fn audit_batch(&self, events: Vec<AuditEvent>) -> anyhow::Result<Vec<AuditRecord>> {
        let _guard = self.audit_lock.lock().unwrap_or_else(|e| e.into_inner());
        let (mut seq, mut prev_hash) = match self.audit.last()? {
            Some((_, v)) => {
                let last: AuditRecord =
                    serde_json::from_slice(&v).context("the last audit record is corrupt")?;
                (last.seq, last.hash)
            }
            None => (0, GENESIS.to_string()),
        };
        let mut written = Vec::with_capacity(events.len());
        // Plain inserts, then one flush: a sled `Batch` would take sled's global write lock,
        // which deadlocks against concurrent flushes (see `kv.rs`). A crash can lose only a
        // suffix of the records, which leaves the chain intact.
        for event in events {
            seq += 1;
            let mut record = AuditRecord {
                seq,
                at_ms: crate::now_ms(),
                event,
                prev_hash,
                hash: String::new(),
            };
            record.hash = record.compute_hash();
            self.audit
                .insert(seq.to_be_bytes(), serde_json::to_vec(&record)?)?;
            prev_hash = record.hash.clone();
            written.push(record);
        }
        self.flush()?;
        Ok(written)
    }

    /// Records matching `keep`, oldest first, at most `limit` (the newest ones).
    pub fn audit_records(
        &self,
        keep: impl Fn(&AuditRecord) -> bool,
        limit: usize,
    ) -> anyhow::Result<Vec<AuditRecord>> {
        self.audit_page(keep, None, limit)
    }

    /// Like [`Store::audit_records`], only among records older than `before` (a `seq`), so
    /// a reader can page back through the log.
    pub fn audit_page(
        &self,
        keep: impl Fn(&AuditRecord) -> bool,
        before: Option<u64>,
        limit: usize,
    ) -> anyhow::Result<Vec<AuditRecord>> {
        let end = before.unwrap_or(u64::MAX).to_be_bytes();
        let mut records = Vec::new();
        for entry in self.audit.range(..end).rev() {
            let (_, v) = entry?;
            let record: AuditRecord =
                serde_json::from_slice(&v).context("an audit record is corrupt")?;
            if keep(&record) {
                records.push(record);
                if records.len() == limit {
                    break;
                }
            }
        }
        records.reverse();
        Ok(records)
    }

    /// Walks the whole chain.
    pub fn verify_audit(&self) -> anyhow::Result<ChainReport> {
        let mut expected_seq = 1;
        let mut prev_hash = GENESIS.to_string();
        for entry in self.audit.iter() {
            let (key, v) = entry?;
            let key_seq = <[u8; 8]>::try_from(key.as_ref())
                .map(u64::from_be_bytes)
                .unwrap_or(0);
            let Ok(record) = serde_json::from_slice::<AuditRecord>(&v) else {
                return Ok(ChainReport::Broken {
                    seq: key_seq,
                    problem: "the record is not valid JSON".into(),
                });
            };
            let problem = if record.seq != expected_seq || key_seq != expected_seq {
                Some(format!(
                    "expected record {expected_seq} here (a record was removed or moved)"
                ))
            } else if record.prev_hash != prev_hash {
                Some("it does not link to the record before it".to_string())
            } else if record.compute_hash() != record.hash {
                Some("its contents were changed after it was written".to_string())
            } else {
                None
            };
            if let Some(problem) = problem {
                return Ok(ChainReport::Broken {
                    seq: key_seq,
                    problem,
                });
            }
            prev_hash = record.hash;
            expected_seq += 1;
        }
        Ok(ChainReport::Intact {
            records: expected_seq - 1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(detail: &str) -> AuditEvent {
        AuditEvent {
            actor: "cli".into(),
            action: "grant".into(),
            detail: detail.into(),
            outcome: "ok".into(),
            ..AuditEvent::default()
        }
    }

    #[test]
    fn times_are_rfc3339() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_time(1_795_000_000_000), "2026-11-18T11:06:40Z");
    }

    #[test]
    fn chain_detects_changes_and_removals() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        for i in 0..5 {
            store
                .audit(event(&format!("net host{i}.example.com")))
                .unwrap();
        }
        assert_eq!(
            store.verify_audit().unwrap(),
            ChainReport::Intact { records: 5 }
        );
        assert_eq!(
            store
                .audit_records(|r| r.event.detail.contains("host3"), 10)
                .unwrap()
                .len(),
            1
        );

        let mut third: AuditRecord =
            serde_json::from_slice(&store.audit.get(3u64.to_be_bytes()).unwrap().unwrap()).unwrap();
        third.event.detail = "net evil.example.com".into();
        store
            .audit
            .insert(3u64.to_be_bytes(), serde_json::to_vec(&third).unwrap())
            .unwrap();
        assert!(matches!(
            store.verify_audit().unwrap(),
            ChainReport::Broken { seq: 3, .. }
        ));

        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        for i in 0..4 {
            store.audit(event(&i.to_string())).unwrap();
        }
        store.audit.remove(2u64.to_be_bytes()).unwrap();
        assert!(matches!(
            store.verify_audit().unwrap(),
            ChainReport::Broken { seq: 3, .. }
        ));
    }
}
