//! Turning what went wrong inside a plugin into one sentence a chat user understands.

use thiserror::Error;

/// How an invocation ended when it did not return normally. Each ends only that invocation.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum SandboxError {
    #[error("the {plugin} plugin took longer than {seconds} s and was stopped")]
    Timeout { plugin: String, seconds: f64 },
    #[error("the {plugin} plugin tried to use more than {mib} MiB of memory and was stopped")]
    OutOfMemory { plugin: String, mib: u64 },
    #[error("the {plugin} plugin overflowed its stack (runaway recursion?) and was stopped")]
    StackOverflow { plugin: String },
    #[error("the {plugin} plugin crashed: {message}")]
    Crashed { plugin: String, message: String },
    #[error("the {plugin} plugin could not be started: {message}")]
    Instantiate { plugin: String, message: String },
}

impl SandboxError {
    /// Short machine-readable kind, for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            SandboxError::Timeout { .. } => "timeout",
            SandboxError::OutOfMemory { .. } => "out_of_memory",
            SandboxError::StackOverflow { .. } => "stack_overflow",
            SandboxError::Crashed { .. } => "crashed",
            SandboxError::Instantiate { .. } => "instantiate",
        }
    }
}

/// What the store saw besides the error itself.
pub struct TrapContext<'a> {
    pub plugin: &'a str,
    pub deadline_ms: u64,
    pub memory_bytes: u64,
    pub memory_exceeded: bool,
    /// The guest's stderr, where a Rust panic message lands.
    pub stderr: Option<&'a str>,
}

/// Classifies an error returned by a call into the guest.
pub fn classify(error: &wasmtime::Error, cx: &TrapContext<'_>) -> SandboxError {
    let plugin = cx.plugin.to_string();
    if cx.memory_exceeded {
        return SandboxError::OutOfMemory {
            plugin,
            mib: cx.memory_bytes >> 20,
        };
    }
    match error.downcast_ref::<wasmtime::Trap>() {
        Some(wasmtime::Trap::Interrupt) => SandboxError::Timeout {
            plugin,
            seconds: cx.deadline_ms as f64 / 1000.0,
        },
        Some(wasmtime::Trap::StackOverflow) => SandboxError::StackOverflow { plugin },
        other => {
            let message = cx
                .stderr
                .and_then(panic_message)
                .unwrap_or_else(|| match other {
                    Some(trap) => trap.to_string(),
                    None => format!("{error:#}"),
                });
            SandboxError::Crashed { plugin, message }
        }
    }
}

/// The message of a Rust panic as printed to stderr:
/// `thread '<unnamed>' panicked at src/lib.rs:3:5:\n<message>`.
fn panic_message(stderr: &str) -> Option<String> {
    let (_, after) = stderr.split_once("panicked at ")?;
    let message = after.split_once('\n').map(|(_, m)| m).unwrap_or(after);
    let first = message.lines().next().unwrap_or("").trim();
    Some(if first.is_empty() {
        "it panicked".to_string()
    } else {
        format!("panicked: {first}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx(stderr: Option<&str>, memory_exceeded: bool) -> TrapContext<'_> {
        TrapContext {
            plugin: "p",
            deadline_ms: 1500,
            memory_bytes: 64 << 20,
            memory_exceeded,
            stderr,
        }
    }

    #[test]
    fn traps_become_sentences() {
        let interrupt = wasmtime::Error::from(wasmtime::Trap::Interrupt);
        assert_eq!(
            classify(&interrupt, &cx(None, false)).to_string(),
            "the p plugin took longer than 1.5 s and was stopped"
        );
        let stack = wasmtime::Error::from(wasmtime::Trap::StackOverflow);
        assert!(
            classify(&stack, &cx(None, false))
                .to_string()
                .contains("overflowed its stack")
        );
        let unreachable = wasmtime::Error::from(wasmtime::Trap::UnreachableCodeReached);
        assert!(
            classify(&unreachable, &cx(None, true))
                .to_string()
                .contains("more than 64 MiB")
        );
        let panic =
            "thread '<unnamed>' panicked at src/lib.rs:9:5:\nboom on purpose\nnote: run with";
        assert_eq!(
            classify(&unreachable, &cx(Some(panic), false)).to_string(),
            "the p plugin crashed: panicked: boom on purpose"
        );
        let bare = classify(&unreachable, &cx(None, false)).to_string();
        assert!(
            bare.contains("wasm trap") && !bare.contains("wasm trap: wasm trap"),
            "{bare}"
        );
        // A no_std guest's panic arrives through host.log in the same form as stderr's.
        let logged = "panicked at src/lib.rs:19:23:\nboom on purpose 42";
        assert_eq!(
            classify(&unreachable, &cx(Some(logged), false)).to_string(),
            "the p plugin crashed: panicked: boom on purpose 42"
        );
    }
}
