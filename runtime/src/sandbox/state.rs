//! What one invocation's store holds, and the host side of the `host` and `kv` imports.
//!
//! Every host function bounds what it accepts from the guest and what it allocates for it:
//! log lines are cut at [`MAX_LOG_LINE`] and counted against [`MAX_LOG_LINES`], kv keys and
//! values are bounded by the key limit and the plugin's quota, key listings by [`MAX_LIST_KEYS`].

use std::collections::BTreeMap;
use std::sync::Arc;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use super::bindings::cove::plugin::{host, kv, types};
use super::capture::CapturedOutput;
use crate::chat::outbox::{Outbox, Post};
use crate::egress::{DenialLog, EgressShared, PluginEgress};
use crate::permissions::{Denial, Permissions, redact};
use crate::store::{KvError, Store};

/// Longest log line kept from a plugin, in bytes.
pub const MAX_LOG_LINE: usize = 4 * 1024;
/// Log lines one invocation may write; later ones are dropped (and counted).
pub const MAX_LOG_LINES: u32 = 100;
/// Most keys one `list-keys` call returns.
pub const MAX_LIST_KEYS: usize = 1_000;
/// Resource handles (streams, pollables) one invocation may hold at once.
pub const MAX_TABLE_ENTRIES: usize = 1_000;
/// Largest `wasi:random` request: keeps a guest from making the host allocate gigabytes.
pub const MAX_RANDOM_BYTES: u64 = 64 * 1024;
/// Longest post text, in bytes: Slack refuses messages over 40,000 characters.
pub const MAX_POST_BYTES: usize = 40_000;
/// Posts one invocation may make: enough for progress updates, too few to flood a channel.
pub const MAX_POSTS: u32 = 20;

/// What the host knows about a plugin, shared by all its invocations.
pub struct PluginContext {
    /// The plugin's manifest name (its kv namespace and log tag).
    pub name: Arc<str>,
    /// Durable storage for the plugin's kv.
    pub store: Store,
    /// The plugin's kv quota in bytes.
    pub kv_quota: u64,
    /// Values answered by `host.config`.
    pub config: BTreeMap<String, String>,
    /// The grants and secrets gate, asked at every use.
    pub permissions: Arc<Permissions>,
    /// The outbound HTTP path shared by all plugins.
    pub egress: Arc<EgressShared>,
    /// Whether the serving version was approved by an admin; if not, no grant applies.
    pub approved: bool,
    /// Where allowed posts go.
    pub outbox: Outbox,
}

/// Caps linear memory and table growth; remembers whether the memory cap was hit so the
/// resulting trap can be explained to the user.
pub struct GrowthLimiter {
    memory_bytes: usize,
    /// Set when the guest asked for more memory than allowed.
    pub memory_exceeded: bool,
}

/// Elements one table may hold; generous for real plugins, small next to host memory.
const MAX_TABLE_ELEMENTS: usize = 100_000;

impl ResourceLimiter for GrowthLimiter {
    fn memory_growing(
        &mut self,
        _: usize,
        desired: usize,
        _: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes {
            self.memory_exceeded = true;
            return Err(wasmtime::format_err!(
                "memory limit of {} bytes reached",
                self.memory_bytes
            ));
        }
        Ok(true)
    }
    fn table_growing(
        &mut self,
        _: usize,
        desired: usize,
        _: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
    fn instances(&self) -> usize {
        32
    }
    fn tables(&self) -> usize {
        32
    }
    fn memories(&self) -> usize {
        4
    }
}

/// The data of one wasmtime store: one invocation of one plugin.
pub struct InvocationState {
    pub(crate) plugin: Arc<PluginContext>,
    pub(crate) invocation_id: Arc<str>,
    pub(crate) limiter: GrowthLimiter,
    pub(crate) stdout: CapturedOutput,
    pub(crate) stderr: CapturedOutput,
    /// When the current call must end; `None` before a call is armed.
    pub(crate) deadline: Option<std::time::Instant>,
    /// The current call's deadline in ms, for the timeout message.
    pub(crate) deadline_ms: u64,
    /// A panic message a `no_std` guest logged before trapping (it has no stderr).
    pub(crate) panic_log: Option<String>,
    /// Attempts refused during this invocation, reported to the user afterwards.
    pub(crate) denials: DenialLog,
    /// Name and value of every secret the plugin holds, redacted from its output.
    pub(crate) held_secrets: Vec<(String, String)>,
    /// The outbound HTTP gate of this invocation.
    pub(crate) egress: PluginEgress,
    http: WasiHttpCtx,
    log_lines: u32,
    posts: u32,
    /// Built on the first WASI call: guests built `no_std` import no WASI at all, and
    /// skipping the context saves a measurable share of a command's cost.
    wasi: Option<WasiCtx>,
    table: ResourceTable,
}

impl InvocationState {
    /// A fresh state with no filesystem, environment, network or name lookup.
    pub fn new(plugin: Arc<PluginContext>, invocation_id: Arc<str>, memory_bytes: usize) -> Self {
        let stdout = CapturedOutput::new();
        let stderr = CapturedOutput::new();
        let denials = DenialLog::default();
        let held_secrets = if plugin.approved {
            plugin.permissions.held_secrets(&plugin.name)
        } else {
            Vec::new()
        };
        let egress = PluginEgress::new(
            plugin.egress.clone(),
            plugin.name.clone(),
            denials.clone(),
            plugin.approved,
        );
        let mut table = ResourceTable::new();
        table.set_max_capacity(MAX_TABLE_ENTRIES);
        InvocationState {
            plugin,
            invocation_id,
            limiter: GrowthLimiter {
                memory_bytes,
                memory_exceeded: false,
            },
            stdout,
            stderr,
            deadline: None,
            deadline_ms: 0,
            panic_log: None,
            denials,
            held_secrets,
            egress,
            http: WasiHttpCtx::new(),
            log_lines: 0,
            posts: 0,
            wasi: None,
            table,
        }
    }

    /// Logs `denial`, keeps it for the report to the user, and returns it as a sentence.
    fn refuse(&mut self, denial: Denial) -> String {
        tracing::warn!(plugin = %self.plugin.name, invocation = %self.invocation_id, "{denial}");
        let sentence = denial.to_string();
        self.denials
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(denial);
        sentence
    }

    /// Sends what the plugin printed to the log, tagged with plugin and invocation.
    pub fn flush_output(&self) {
        for (stream, out) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            if let Some(text) = out.take_text() {
                let text = redact(&text, &self.held_secrets);
                tracing::info!(plugin = %self.plugin.name, invocation = %self.invocation_id, stream, "{text}");
            }
        }
    }
}

/// The WASI context of a plugin: captured stdio and nothing else — no filesystem,
/// environment, arguments, network or name lookup.
fn closed_wasi_context(stdout: &CapturedOutput, stderr: &CapturedOutput) -> WasiCtx {
    WasiCtxBuilder::new()
        .stdout(stdout.clone())
        .stderr(stderr.clone())
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .max_random_size(MAX_RANDOM_BYTES)
        .build()
}

impl WasiHttpView for InvocationState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.egress,
        }
    }
}

impl WasiView for InvocationState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        let (stdout, stderr) = (&self.stdout, &self.stderr);
        let ctx = self
            .wasi
            .get_or_insert_with(|| closed_wasi_context(stdout, stderr));
        WasiCtxView {
            ctx,
            table: &mut self.table,
        }
    }
}

impl types::Host for InvocationState {}

impl host::Host for InvocationState {
    fn log(&mut self, level: host::Level, message: String) -> wasmtime::Result<()> {
        self.log_lines += 1;
        if self.log_lines > MAX_LOG_LINES {
            if self.log_lines == MAX_LOG_LINES + 1 {
                tracing::warn!(plugin = %self.plugin.name, invocation = %self.invocation_id,
                    "plugin log limit of {MAX_LOG_LINES} lines reached; further lines dropped");
            }
            return Ok(());
        }
        let text = &redact(truncate_str(&message, MAX_LOG_LINE), &self.held_secrets);
        if level == host::Level::Error && text.starts_with("panicked at ") {
            self.panic_log = Some(text.to_string());
        }
        let (plugin, invocation) = (&*self.plugin.name, &*self.invocation_id);
        match level {
            host::Level::Debug => {
                tracing::debug!(plugin = %plugin, invocation = %invocation, "{text}")
            }
            host::Level::Info => {
                tracing::info!(plugin = %plugin, invocation = %invocation, "{text}")
            }
            host::Level::Warn => {
                tracing::warn!(plugin = %plugin, invocation = %invocation, "{text}")
            }
            host::Level::Error => {
                tracing::error!(plugin = %plugin, invocation = %invocation, "{text}")
            }
        }
        Ok(())
    }

    fn config(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        Ok(self.plugin.config.get(&key).cloned())
    }

    fn now(&mut self) -> wasmtime::Result<u64> {
        Ok(crate::now_ms())
    }

    fn secret(&mut self, name: String) -> wasmtime::Result<Result<String, String>> {
        let read = if self.plugin.approved {
            self.plugin
                .permissions
                .read_secret(&self.plugin.name, &name)
        } else {
            Err(Denial::unapproved(
                &self.plugin.name,
                format!("read the secret {name}"),
            ))
        };
        Ok(read.map_err(|denial| self.refuse(denial)))
    }

    fn post(&mut self, channel: String, text: String) -> wasmtime::Result<Result<(), String>> {
        let plugin = &self.plugin;
        let channel = truncate_str(channel.strip_prefix('#').unwrap_or(&channel), 200).to_string();
        let attempted = format!("post to #{channel}");
        self.posts += 1;
        let checked = if !plugin.approved {
            Err(Denial::unapproved(&plugin.name, attempted))
        } else if self.posts > MAX_POSTS {
            Err(Denial::limit(
                &plugin.name,
                attempted,
                format!("one call may post at most {MAX_POSTS} times"),
            ))
        } else if text.len() > MAX_POST_BYTES {
            Err(Denial::limit(
                &plugin.name,
                attempted,
                format!("a post may be at most {MAX_POST_BYTES} bytes"),
            ))
        } else {
            plugin.permissions.check_post(&plugin.name, &channel)
        };
        if let Err(denial) = checked {
            return Ok(Err(self.refuse(denial)));
        }
        let post = Post {
            plugin: plugin.name.to_string(),
            channel,
            text: redact(&text, &self.held_secrets),
        };
        Ok(plugin.outbox.send(post).map_err(|e| e.to_string()))
    }
}

impl kv::Host for InvocationState {
    fn get(&mut self, key: String) -> wasmtime::Result<Option<Vec<u8>>> {
        match self.plugin.store.kv_get(&self.plugin.name, &key) {
            Ok(value) => Ok(value),
            Err(KvError::InvalidKey(_)) => Ok(None),
            Err(e) => Err(wasmtime::format_err!("kv store failed: {e}")),
        }
    }

    fn set(&mut self, key: String, value: Vec<u8>) -> wasmtime::Result<Result<(), kv::KvError>> {
        let p = &self.plugin;
        Ok(p.store
            .kv_set(&p.name, &key, &value, p.kv_quota)
            .map_err(to_wit_error))
    }

    fn delete(&mut self, key: String) -> wasmtime::Result<Result<bool, kv::KvError>> {
        Ok(self
            .plugin
            .store
            .kv_delete(&self.plugin.name, &key)
            .map_err(to_wit_error))
    }

    fn list_keys(&mut self, prefix: String) -> wasmtime::Result<Vec<String>> {
        self.plugin
            .store
            .kv_keys(&self.plugin.name, &prefix, MAX_LIST_KEYS)
            .map_err(|e| wasmtime::format_err!("kv store failed: {e}"))
    }
}

fn to_wit_error(e: KvError) -> kv::KvError {
    match e {
        KvError::QuotaExceeded { limit } => kv::KvError::QuotaExceeded(limit),
        KvError::InvalidKey(why) => kv::KvError::InvalidKey(why),
        KvError::Store(why) => kv::KvError::Store(why),
    }
}

/// The longest prefix of `s` that fits in `max` bytes and ends on a char boundary.
pub fn truncate_str(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
