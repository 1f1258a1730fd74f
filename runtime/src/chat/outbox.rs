//! The outbox: plugins' posts to channels (`host.post`), delivered by every chat adapter that
//! is running.
//!
//! A post is checked against the plugin's `post <channel>` grants inside the sandbox at the
//! moment of the call; what reaches the outbox is already allowed and redacted. The sandbox
//! only enqueues (a host call must not wait on a chat service): one task per process delivers
//! the queue in order to each registered [`ChatAdapter`].

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};

use tokio::sync::mpsc;

/// Posts waiting for delivery; beyond this a plugin's `host.post` is refused rather than
/// letting a chatty plugin grow host memory without bound.
pub const QUEUE_CAPACITY: usize = 1_024;

/// One message a plugin posts to a channel.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Post {
    /// The plugin that posted.
    pub plugin: String,
    /// The channel name or id, without a leading `#`.
    pub channel: String,
    /// Markdown text, already redacted of the plugin's secrets.
    pub text: String,
}

/// A future an adapter returns from [`ChatAdapter::post`].
pub type PostFuture<'a> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

/// A chat platform that can deliver posts to its channels.
pub trait ChatAdapter: Send + Sync {
    /// `console`, `http`, `slack`, …
    fn platform(&self) -> &'static str;
    /// Delivers `post` to its channel; an error is logged, not retried.
    fn post<'a>(&'a self, post: &'a Post) -> PostFuture<'a>;
}

/// Why a post could not be queued.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OutboxError {
    /// The delivery queue is full.
    #[error("too many posts are waiting for delivery; try again later")]
    Full,
    /// The process is shutting down.
    #[error("chat delivery has stopped")]
    Closed,
}

/// The queue of posts and the adapters that deliver them. Cheap to clone.
#[derive(Clone)]
pub struct Outbox {
    queue: mpsc::Sender<Post>,
    adapters: Arc<RwLock<Vec<Arc<dyn ChatAdapter>>>>,
}

impl Outbox {
    /// An outbox and its delivery task; the task runs on the current tokio runtime until
    /// every clone of the outbox is dropped.
    pub fn start() -> Outbox {
        let (queue, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let outbox = Outbox {
            queue,
            adapters: Arc::default(),
        };
        tokio::spawn(deliver(receiver, outbox.adapters.clone()));
        outbox
    }

    /// Adds an adapter: later posts also go to its platform.
    pub fn register(&self, adapter: Arc<dyn ChatAdapter>) {
        self.adapters
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(adapter);
    }

    /// Queues `post` for delivery without waiting.
    pub fn send(&self, post: Post) -> Result<(), OutboxError> {
        self.queue.try_send(post).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => OutboxError::Full,
            mpsc::error::TrySendError::Closed(_) => OutboxError::Closed,
        })
    }
}

async fn deliver(
    mut receiver: mpsc::Receiver<Post>,
    adapters: Arc<RwLock<Vec<Arc<dyn ChatAdapter>>>>,
) {
    while let Some(post) = receiver.recv().await {
        let targets = adapters.read().unwrap_or_else(|e| e.into_inner()).clone();
        if targets.is_empty() {
            tracing::warn!(plugin = %post.plugin, channel = %post.channel,
                "no chat adapter is running; post dropped");
        }
        for adapter in targets {
            if let Err(e) = adapter.post(&post).await {
                tracing::warn!(plugin = %post.plugin, channel = %post.channel,
                    platform = adapter.platform(), "cannot deliver post: {e:#}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    struct Recorder(Mutex<Vec<Post>>);

    impl ChatAdapter for Recorder {
        fn platform(&self) -> &'static str {
            "test"
        }
        fn post<'a>(&'a self, post: &'a Post) -> PostFuture<'a> {
            self.0.lock().unwrap().push(post.clone());
            Box::pin(async { Ok(()) })
        }
    }

    fn post(text: &str) -> Post {
        Post {
            plugin: "p".into(),
            channel: "ops".into(),
            text: text.into(),
        }
    }

    #[tokio::test]
    async fn posts_reach_every_adapter_in_order() {
        let outbox = Outbox::start();
        let (a, b) = (
            Arc::new(Recorder(Mutex::default())),
            Arc::new(Recorder(Mutex::default())),
        );
        outbox.register(a.clone());
        outbox.register(b.clone());
        for text in ["one", "two", "three"] {
            outbox.send(post(text)).unwrap();
        }
        for _ in 0..100 {
            if b.0.lock().unwrap().len() == 3 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        for recorder in [a, b] {
            let texts: Vec<String> = recorder
                .0
                .lock()
                .unwrap()
                .iter()
                .map(|p| p.text.clone())
                .collect();
            assert_eq!(texts, ["one", "two", "three"]);
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_full_queue_refuses_instead_of_growing() {
        let outbox = Outbox::start();
        for _ in 0..QUEUE_CAPACITY {
            outbox.send(post("x")).unwrap();
        }
        assert_eq!(outbox.send(post("x")), Err(OutboxError::Full));
    }
}
