//! A bounded sink for a plugin's stdout/stderr.
//!
//! wasmtime's `MemoryOutputPipe` traps the guest when it is full, and Rust's `println!` panics
//! when stdout reports an error, so a chatty plugin would crash. This sink instead keeps the
//! first [`CAPTURE_BYTES`] bytes and silently counts the rest: output can never fail and can
//! never grow host memory without bound.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// Bytes of stdout (and again of stderr) kept per invocation for the log.
pub const CAPTURE_BYTES: usize = 16 * 1024;

/// Largest write the guest is told it may make at once.
const WRITE_PERMIT: usize = 64 * 1024;

#[derive(Default)]
struct Buffer {
    kept: Vec<u8>,
    dropped: usize,
}

/// One captured output stream; clones share the same buffer.
#[derive(Clone, Default)]
pub struct CapturedOutput(Arc<Mutex<Buffer>>);

impl CapturedOutput {
    /// A fresh, empty sink.
    pub fn new() -> Self {
        Self::default()
    }

    fn append(&self, bytes: &[u8]) {
        let mut buf = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let room = CAPTURE_BYTES.saturating_sub(buf.kept.len());
        let take = room.min(bytes.len());
        buf.kept.extend_from_slice(&bytes[..take]);
        buf.dropped += bytes.len() - take;
    }

    /// What was written, as text, with a note when output was cut.
    pub fn peek_text(&self) -> Option<String> {
        let buf = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if buf.kept.is_empty() {
            return None;
        }
        let mut text = String::from_utf8_lossy(&buf.kept).trim_end().to_string();
        if buf.dropped > 0 {
            text.push_str(&format!(" … [{} more bytes not kept]", buf.dropped));
        }
        Some(text)
    }

    /// Like [`CapturedOutput::peek_text`], and empties the buffer.
    pub fn take_text(&self) -> Option<String> {
        let text = self.peek_text();
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Buffer::default();
        text
    }
}

impl IsTerminal for CapturedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CapturedOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl OutputStream for CapturedOutput {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.append(&bytes);
        Ok(())
    }
    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }
    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(WRITE_PERMIT)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for CapturedOutput {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for CapturedOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.append(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_a_bounded_prefix_and_counts_the_rest() {
        let out = CapturedOutput::new();
        out.append(&vec![b'a'; CAPTURE_BYTES]);
        out.append(b"overflow");
        let text = out.take_text().unwrap();
        assert!(
            text.ends_with("[8 more bytes not kept]"),
            "{}",
            &text[text.len() - 40..]
        );
        assert_eq!(out.take_text(), None);
    }
}
