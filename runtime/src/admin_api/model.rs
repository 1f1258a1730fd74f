//! The JSON shapes of the admin API. The CLI reads the same types, whether it got them from
//! the store directly or from a running server, so both paths print the same thing.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::Cove;
use crate::store::PluginRecord;

/// An error answer: one sentence saying what was wrong.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiError {
    pub error: String,
}

/// A change was made (or nothing needed changing); the sentence says which.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Message {
    pub message: String,
}

/// One installed plugin, as `GET /api/v1/plugins` lists it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PluginSummary {
    pub name: String,
    /// The active version's own version string.
    pub version: String,
    pub description: String,
    /// sha256 of the active version's component.
    pub sha256: String,
    /// Whether the active version may use the plugin's grants.
    pub approved: bool,
    /// How many versions are kept.
    pub versions: usize,
    /// Command names.
    pub commands: Vec<String>,
    /// Grants the manifest asks for, in `cove grant` form.
    pub requested: Vec<String>,
    /// Grants in force, in `cove grant` form.
    pub granted: Vec<String>,
}

/// One stored version of a plugin.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VersionInfo {
    pub version: String,
    pub sha256: String,
    /// Component size in bytes.
    pub size: u64,
    pub installed_at_ms: u64,
    /// Who uploaded it (`cli`, `api`, `web` or a chat user id).
    pub uploaded_by: String,
    /// Whether an admin approved this version.
    pub approved: bool,
}

/// Everything about one plugin: `GET /api/v1/plugins/{name}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PluginDetail {
    #[serde(flatten)]
    pub summary: PluginSummary,
    /// The active version's manifest, as the plugin returned it.
    #[schema(value_type = Object)]
    pub manifest: serde_json::Value,
    /// Every kept version, oldest first.
    pub version_history: Vec<VersionInfo>,
}

/// The answer to an upload.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Installed {
    #[serde(flatten)]
    pub plugin: PluginSummary,
    /// True when these exact bytes were installed before and were made active again.
    pub reactivated: bool,
    /// Who the upload is recorded as.
    pub uploaded_by: String,
}

/// A secret's name and the plugins holding it; values never leave the store.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SecretInfo {
    pub name: String,
    pub holders: Vec<String>,
}

/// `{"grant": "net api.github.com"}`: the words of `cove grant <plugin> …`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct GrantBody {
    pub grant: String,
}

/// `{"rule": "allow deploy role:oncall"}`: the words of `cove acl allow|deny …`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RuleBody {
    pub rule: String,
}

/// `{"default": "deny"}`: what happens to commands no rule covers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DefaultBody {
    pub default: String,
}

/// `{"user": "U024BE7LH"}`: a chat user id or name.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AdminBody {
    pub user: String,
}

/// The admins in force.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AdminList {
    /// Every admin (configured and added).
    pub admins: Vec<String>,
    /// Those from `access.admins` / `COVE_ADMINS`, which only the configuration removes.
    pub configured: Vec<String>,
}

/// One page of the audit log, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    #[schema(value_type = Vec<Object>)]
    pub records: Vec<crate::store::AuditRecord>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<u64>,
}

/// The result of checking the audit log's hash chain.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChainCheck {
    pub intact: bool,
    /// Records checked (when intact).
    pub records: Option<u64>,
    /// The first broken record and what is wrong with it (when not).
    pub broken_at: Option<u64>,
    pub problem: Option<String>,
}

impl PluginSummary {
    /// The summary of `record` with its requested and granted permissions.
    pub fn of(cove: &Cove, record: &PluginRecord) -> anyhow::Result<PluginSummary> {
        let v = record.active_version();
        Ok(PluginSummary {
            name: record.name.clone(),
            version: v.manifest.version.clone(),
            description: v.manifest.description.clone(),
            sha256: record.active.clone(),
            approved: record.active_is_approved(),
            versions: record.versions.len(),
            commands: v.manifest.commands.iter().map(|c| c.name.clone()).collect(),
            requested: crate::manifest::requested_grants(&v.manifest).unwrap_or_default(),
            granted: cove.store.grants(&record.name)?,
        })
    }
}

impl Installed {
    /// The answer to an install that `uploaded_by` made.
    pub fn of(
        cove: &Cove,
        installed: &crate::install::Installed,
        uploaded_by: String,
    ) -> anyhow::Result<Installed> {
        Ok(Installed {
            plugin: PluginSummary::of(cove, &installed.record)?,
            reactivated: installed.already_present,
            uploaded_by,
        })
    }
}

impl PluginDetail {
    /// Everything about `record`.
    pub fn of(cove: &Cove, record: &PluginRecord) -> anyhow::Result<PluginDetail> {
        Ok(PluginDetail {
            summary: PluginSummary::of(cove, record)?,
            manifest: serde_json::to_value(&record.active_version().manifest)?,
            version_history: record
                .versions
                .iter()
                .map(|v| VersionInfo {
                    version: v.manifest.version.clone(),
                    sha256: v.hash.clone(),
                    size: v.size,
                    installed_at_ms: v.installed_at_ms,
                    uploaded_by: v.uploaded_by.clone(),
                    approved: record.approved.contains(&v.hash),
                })
                .collect(),
        })
    }
}

impl From<crate::store::ChainReport> for ChainCheck {
    fn from(report: crate::store::ChainReport) -> ChainCheck {
        match report {
            crate::store::ChainReport::Intact { records } => ChainCheck {
                intact: true,
                records: Some(records),
                broken_at: None,
                problem: None,
            },
            crate::store::ChainReport::Broken { seq, problem } => ChainCheck {
                intact: false,
                records: None,
                broken_at: Some(seq),
                problem: Some(problem),
            },
        }
    }
}

/// A queued or dead-lettered event, without its body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventSummary {
    pub id: u64,
    pub plugin: String,
    /// `webhook` or `schedule`.
    pub kind: String,
    /// The hook name or the cron expression.
    pub name: String,
    pub received_ms: u64,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    pub body_bytes: usize,
}

impl From<&crate::store::StoredEvent> for EventSummary {
    fn from(event: &crate::store::StoredEvent) -> EventSummary {
        let meta = &event.meta;
        EventSummary {
            id: event.id,
            plugin: meta.plugin.clone(),
            kind: meta.kind.clone(),
            name: meta.name.clone(),
            received_ms: meta.received_ms,
            attempts: meta.attempts,
            last_error: meta.last_error.clone(),
            body_bytes: event.body.len(),
        }
    }
}
