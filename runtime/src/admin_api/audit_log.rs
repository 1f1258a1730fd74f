//! `/api/v1/audit`: pages of the audit log, newest page first, and the chain check.

use axum::extract::{Query, State};
use serde::Deserialize;

use super::model::{AuditPage, ChainCheck};
use super::{Answer, ApiState};
use crate::store::AuditFilter;

/// Most records one page returns.
const MAX_PAGE: usize = 1_000;

/// Filters and paging of `GET /api/v1/audit`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct PageQuery {
    /// Only records about this plugin.
    plugin: Option<String>,
    /// Only records by this actor (chat user id, `cli`, `api`, `web`).
    user: Option<String>,
    /// Only this action (`invoke`, `deny`, `grant`, `revoke`, `api`, …).
    action: Option<String>,
    /// Only this outcome (`ok`, `denied`, `error`, …).
    outcome: Option<String>,
    /// Only records written at or after this time (ms since the Unix epoch).
    since_ms: Option<u64>,
    /// Only records older than this `seq` (the previous page's `next_before`).
    before: Option<u64>,
    /// Records per page, 1–1000 (default 100).
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(PageQuery),
    responses((status = 200, body = AuditPage, description = "The newest matching records before `before`, oldest first")))]
pub(super) async fn page(
    State(state): State<ApiState>,
    Query(q): Query<PageQuery>,
) -> Answer<AuditPage> {
    let filter = AuditFilter {
        plugin: q.plugin,
        user: q.user,
        action: q.action,
        outcome: q.outcome,
        since_ms: q.since_ms,
    };
    let limit = q.limit.unwrap_or(100).clamp(1, MAX_PAGE);
    let records = state
        .cove
        .store
        .audit_page(|r| filter.matches(r), q.before, limit)?;
    let next_before = match records.first() {
        Some(oldest) if records.len() == limit && oldest.seq > 1 => Some(oldest.seq),
        _ => None,
    };
    Ok(axum::Json(AuditPage {
        records,
        next_before,
    }))
}

#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit",
    responses((status = 200, body = ChainCheck, description = "Whether the hash chain is intact, or where it breaks")))]
pub(super) async fn verify(State(state): State<ApiState>) -> Answer<ChainCheck> {
    Ok(axum::Json(state.cove.store.verify_audit()?.into()))
}
