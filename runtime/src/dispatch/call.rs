//! One call into a plugin, shared by chat commands ([`super::Dispatcher`]) and event
//! deliveries ([`crate::events`]): the same in-flight gate, sandbox limits, metrics and
//! audit of the permission gate's refusals.

use std::future::Future;

use crate::app::Cove;
use crate::permissions::Denial;
use crate::registry::LoadedPlugin;
use crate::sandbox::{CallReport, Running, SandboxError};
use crate::store::AuditEvent;

impl Cove {
    /// Runs `call` on a fresh instance of `plugin`, once one of its in-flight slots is free.
    pub async fn call_plugin<T, F, Fut>(
        &self,
        plugin: &LoadedPlugin,
        invocation_id: &str,
        call: F,
    ) -> (Result<T, SandboxError>, CallReport)
    where
        F: FnOnce(Running) -> Fut,
        Fut: Future<Output = (Result<T, SandboxError>, CallReport)>,
    {
        let _permit = plugin.in_flight.acquire().await.ok();
        let _running = self.metrics.running();
        match self
            .sandbox
            .instantiate(&plugin.pre, &plugin.context, invocation_id.into())
            .await
        {
            Ok(running) => call(running).await,
            Err(e) => (Err(e), CallReport::default()),
        }
    }

    /// Counts one refusal of the permission gate and writes it to the audit log, on behalf
    /// of `actor` (a chat user, or the event that triggered the call) in `channel`.
    pub fn audit_denial(&self, actor: &str, channel: Option<&str>, denial: &Denial) {
        self.metrics.denial(denial.kind);
        self.audit.record_soon(AuditEvent {
            actor: actor.to_string(),
            action: "deny".to_string(),
            plugin: Some(denial.plugin.clone()),
            channel: channel.map(str::to_string),
            detail: format!("{}: {}", denial.attempted, denial.reason),
            outcome: "denied".to_string(),
            duration_ms: None,
        });
    }
}
