//! The WebAssembly sandbox: one wasmtime engine, a compile cache, and a fresh store and
//! instance for every invocation.
//!
//! Why a fresh instance each time: a trap poisons the whole store, and reusing an instance
//! would let one user's invocation see what the previous one left in memory. Instantiation
//! from a pre-linked [`PluginPre`] in the pooling allocator costs microseconds.
//!
//! Limits applied to every invocation:
//! - linear memory capped by [`GrowthLimiter`] (trap on failed growth, explained to the user);
//! - a wall-clock deadline by epoch interruption: the engine's epoch advances every
//!   [`EPOCH_TICK`]; on each tick a running guest yields to the async runtime (so a busy loop
//!   cannot hold a worker thread) and is stopped once its deadline has passed;
//! - the wasm stack is bounded by wasmtime's `max_wasm_stack` (overflow traps);
//! - stdout/stderr are captured into a bounded buffer and logged.

pub mod bindings;
mod capture;
pub mod error;
mod state;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, InstanceAllocationStrategy, PoolingAllocationConfig, UpdateDeadline};

pub use bindings::cove::plugin::types::{CommandError, Event, Invocation, Reply};
pub use bindings::{Plugin, PluginPre};
pub use error::SandboxError;
pub use state::{InvocationState, PluginContext, truncate_str};

use crate::config::Limits;
use crate::manifest::Manifest;
use crate::permissions::Denial;
use crate::store::Store;
use error::{TrapContext, classify};

/// How often the engine's epoch advances: the granularity of deadlines and of yielding.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Instances that may exist at once across all plugins (pool slots are reserved up front).
const POOL_INSTANCES: u32 = 1_000;

/// Linear memory kept mapped between instances of a pool slot. With `pagemap_scan` the
/// allocator finds the pages the last instance dirtied (one ioctl) and resets only those, so
/// the next instance starts without page faults and without `madvise`, whose TLB shootdowns
/// interrupt the other cores. Covers a Rust guest's 1 MiB stack and its data.
const KEEP_RESIDENT_BYTES: usize = 2 << 20;

/// The engine and linker shared by every plugin.
pub struct Sandbox {
    engine: Engine,
    linker: Linker<InvocationState>,
    limits: Limits,
    engine_key: String,
    ticker_stop: Arc<std::sync::atomic::AtomicBool>,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.ticker_stop
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Sandbox {
    /// Builds the engine (pooling allocator, epoch interruption) and links the host imports.
    pub fn new(limits: &Limits) -> anyhow::Result<Sandbox> {
        let mut pool = PoolingAllocationConfig::new();
        pool.total_component_instances(POOL_INSTANCES)
            .total_core_instances(POOL_INSTANCES * 4)
            .total_memories(POOL_INSTANCES)
            .total_tables(POOL_INSTANCES * 2)
            .total_stacks(POOL_INSTANCES)
            .max_memory_size(limits.memory_bytes as usize)
            .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
            .pagemap_scan(wasmtime::Enabled::Auto)
            .table_keep_resident(64 * 1024);
        let mut config = wasmtime::Config::new();
        config
            .epoch_interruption(true)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config)
            .map_err(anyhow::Error::from)
            .context("cannot create the WebAssembly engine")?;

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(anyhow::Error::from)
            .context("cannot link WASI")?;
        // The cove:plugin interfaces one by one: the world's own `add_to_linker` would also
        // try to link wasi:http, which goes through `WasiHttpView` (the egress gate) below.
        type Own = wasmtime::component::HasSelf<InvocationState>;
        bindings::cove::plugin::host::add_to_linker::<_, Own>(&mut linker, |s| s)
            .and_then(|()| bindings::cove::plugin::kv::add_to_linker::<_, Own>(&mut linker, |s| s))
            .map_err(anyhow::Error::from)
            .context("cannot link the cove:plugin host interfaces")?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
            .map_err(anyhow::Error::from)
            .context("cannot link wasi:http")?;

        let ticker_stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        spawn_epoch_ticker(engine.clone(), ticker_stop.clone())?;
        Ok(Sandbox {
            engine_key: engine_key(&engine),
            engine,
            linker,
            limits: limits.clone(),
            ticker_stop,
        })
    }

    /// The limits every invocation runs under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The compiled component for `hash`, from the artifact cache when this engine compiled
    /// it before, otherwise compiled from `bytes()` and cached. The flag tells whether it
    /// was compiled now.
    pub fn load_component(
        &self,
        store: &Store,
        hash: &str,
        bytes: impl FnOnce() -> anyhow::Result<Vec<u8>>,
    ) -> anyhow::Result<(Component, bool)> {
        let key = self.artifact_key(hash);
        if let Some(artifact) = store.artifact(&key)? {
            // SAFETY: artifacts are only ever written by `Component::serialize` below, into
            // this host's own store, under a key that includes the engine's compatibility
            // hash; wasmtime also re-checks compatibility while deserializing.
            match unsafe { Component::deserialize(&self.engine, &artifact) } {
                Ok(component) => return Ok((component, false)),
                Err(e) => tracing::warn!("cached artifact for {hash} unusable, recompiling: {e:#}"),
            }
        }
        let component = self.compile(&bytes()?)?;
        self.cache_component(store, hash, &component)?;
        Ok((component, true))
    }

    /// Stores the compiled form of `component` so the next start need not compile it.
    pub fn cache_component(
        &self,
        store: &Store,
        hash: &str,
        component: &Component,
    ) -> anyhow::Result<()> {
        store.put_artifact(&self.artifact_key(hash), &component.serialize()?)
    }

    fn artifact_key(&self, hash: &str) -> String {
        format!("{}/{hash}", self.engine_key)
    }

    /// Compiles component bytes; errors say whether it is wasm at all.
    pub fn compile(&self, bytes: &[u8]) -> anyhow::Result<Component> {
        Component::new(&self.engine, bytes).map_err(|e| anyhow::anyhow!("{e:#}"))
    }

    /// The first `wasi:sockets` interface `component` imports, if any. Sockets are linked only
    /// so that the WASI context can refuse them; a plugin that asks for them is refused at
    /// install instead, so no installed plugin ever holds a socket import.
    pub fn socket_import(&self, component: &Component) -> Option<String> {
        component
            .component_type()
            .imports(&self.engine)
            .map(|(name, _)| name)
            .find(|name| name.starts_with("wasi:sockets/"))
            .map(str::to_string)
    }

    /// Links a component against the host, checking that it implements the `plugin` world.
    pub fn prepare(&self, component: &Component) -> anyhow::Result<PluginPre<InvocationState>> {
        let pre = self
            .linker
            .instantiate_pre(component)
            .map_err(|e| anyhow::anyhow!("{e:#}"))?;
        PluginPre::new(pre).map_err(|e| anyhow::anyhow!("{e:#}"))
    }

    /// Creates a fresh store and instance for one invocation.
    pub async fn instantiate(
        &self,
        pre: &PluginPre<InvocationState>,
        plugin: &Arc<PluginContext>,
        invocation_id: Arc<str>,
    ) -> Result<Running, SandboxError> {
        let state = InvocationState::new(
            plugin.clone(),
            invocation_id,
            self.limits.memory_bytes as usize,
        );
        let mut store = wasmtime::Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limiter);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|cx| {
            Ok(match cx.data().deadline {
                Some(deadline) if Instant::now() >= deadline => UpdateDeadline::Interrupt,
                _ => UpdateDeadline::Yield(1),
            })
        });
        let bindings = pre.instantiate_async(&mut store).await.map_err(|e| {
            let cx = trap_context(&store, &self.limits, plugin);
            match classify(&e, &cx) {
                SandboxError::Crashed { plugin, .. } => SandboxError::Instantiate {
                    plugin,
                    message: format!("{e:#}"),
                },
                other => other,
            }
        })?;
        Ok(Running {
            store,
            bindings,
            limits: self.limits.clone(),
        })
    }
}

/// A fresh instance, ready for exactly one call.
pub struct Running {
    store: wasmtime::Store<InvocationState>,
    bindings: Plugin,
    limits: Limits,
}

impl Running {
    /// Calls `manifest()` under the install deadline.
    pub async fn manifest(mut self) -> Result<Manifest, SandboxError> {
        self.arm(self.limits.manifest_deadline_ms);
        let result = self.bindings.call_manifest(&mut self.store).await;
        self.finish(result).0
    }

    /// Calls `handle-command` under the invocation deadline.
    pub async fn handle_command(
        mut self,
        inv: &Invocation,
    ) -> (
        Result<Result<Reply, CommandError>, SandboxError>,
        CallReport,
    ) {
        self.arm(self.limits.deadline_ms);
        let result = self
            .bindings
            .call_handle_command(&mut self.store, inv)
            .await;
        self.finish(result)
    }

    /// Calls `handle-event` under the invocation deadline.
    pub async fn handle_event(
        mut self,
        event: &Event,
    ) -> (Result<Result<(), CommandError>, SandboxError>, CallReport) {
        self.arm(self.limits.deadline_ms);
        let result = self
            .bindings
            .call_handle_event(&mut self.store, event)
            .await;
        self.finish(result)
    }

    fn arm(&mut self, deadline_ms: u64) {
        let deadline = Instant::now() + Duration::from_millis(deadline_ms);
        let state = self.store.data_mut();
        state.deadline = Some(deadline);
        state.deadline_ms = deadline_ms;
        state.egress.set_deadline(deadline);
    }

    fn finish<T>(self, result: wasmtime::Result<T>) -> (Result<T, SandboxError>, CallReport) {
        let data = self.store.data();
        let stderr = data.stderr.peek_text().or_else(|| data.panic_log.clone());
        let outcome = result.map_err(|e| {
            let state = self.store.data();
            let cx = TrapContext {
                plugin: &state.plugin.name,
                deadline_ms: state.deadline_ms,
                memory_bytes: self.limits.memory_bytes,
                memory_exceeded: state.limiter.memory_exceeded,
                stderr: stderr.as_deref(),
            };
            classify(&e, &cx)
        });
        let state = self.store.data();
        state.flush_output();
        let denials = std::mem::take(&mut *state.denials.lock().unwrap_or_else(|e| e.into_inner()));
        let report = CallReport {
            denials,
            held_secrets: self.store.into_data().held_secrets,
        };
        (outcome, report)
    }
}

/// What the host learned during a call besides its result.
#[derive(Debug, Default)]
pub struct CallReport {
    /// Attempts the gate refused, to tell the user and the audit log.
    pub denials: Vec<Denial>,
    /// Secrets the plugin holds, to redact from its reply.
    pub held_secrets: Vec<(String, String)>,
}

fn trap_context<'a>(
    store: &'a wasmtime::Store<InvocationState>,
    limits: &Limits,
    plugin: &'a PluginContext,
) -> TrapContext<'a> {
    TrapContext {
        plugin: &plugin.name,
        deadline_ms: limits.deadline_ms,
        memory_bytes: limits.memory_bytes,
        memory_exceeded: store.data().limiter.memory_exceeded,
        stderr: None,
    }
}

/// A key that changes whenever compiled code from this engine would not be loadable.
fn engine_key(engine: &Engine) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

/// Advances the epoch on a plain thread, so deadlines fire even if every async worker is busy.
fn spawn_epoch_ticker(
    engine: Engine,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> anyhow::Result<()> {
    std::thread::Builder::new()
        .name("cove-epoch".into())
        .spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(EPOCH_TICK);
                engine.increment_epoch();
            }
        })
        .context("cannot start the epoch ticker thread")?;
    Ok(())
}
