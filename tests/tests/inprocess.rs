//! Behaviour checked through the `cove` library in one process: upgrades take effect for the
//! next invocation with no restart, and invocations in flight finish on the version they began.

use std::sync::Arc;

use cove::chat::console;
use cove::config::{Config, Sources};
use cove::dispatch::Dispatcher;
use cove_tests::hostile;

async fn open(dir: &std::path::Path) -> Arc<Dispatcher> {
    let sources = Sources {
        data_dir: Some(dir.to_path_buf()),
        ..Sources::default()
    };
    let config = Config::load_with_env(&sources, |_| None).expect("config");
    let (cove, _) = cove::Cove::open(config).await.expect("open");
    Arc::new(Dispatcher::new(cove))
}

async fn say(d: &Dispatcher, line: &str) -> String {
    d.handle(&console::message(line, "u", "c"))
        .await
        .first()
        .expect("a reply")
        .text
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_version_serves_the_next_invocation_without_restart() {
    let dir = tempfile::tempdir().unwrap();
    let d = open(dir.path()).await;
    assert_eq!(say(&d, "!echo one").await, "one");
    let bytes = std::fs::read(hostile("echo2")).unwrap();
    d.cove()
        .install(&bytes, &cove::install::Uploader::cli())
        .await
        .expect("install echo2");
    assert_eq!(say(&d, "!echo two").await, "echo2: two");
    d.cove().rollback("cli", "echo").await.expect("rollback");
    assert_eq!(say(&d, "!echo three").await, "three");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_command_in_two_plugins_needs_a_qualifier() {
    let dir = tempfile::tempdir().unwrap();
    let d = open(dir.path()).await;
    let bytes = std::fs::read(hostile("dupecho")).unwrap();
    d.cove()
        .install(&bytes, &cove::install::Uploader::cli())
        .await
        .expect("install dupecho");
    let ambiguous = say(&d, "!echo hi").await;
    assert!(
        ambiguous.contains("offered by several plugins"),
        "{ambiguous}"
    );
    assert!(
        ambiguous.contains("`!dupecho:echo`") && ambiguous.contains("`!echo:echo`"),
        "{ambiguous}"
    );
    assert_eq!(say(&d, "!echo:echo hi").await, "hi");
    assert_eq!(say(&d, "!dupecho:echo hi").await, "dupecho: hi");
    let help = say(&d, "!help").await;
    assert!(
        help.contains("`!dupecho:echo`") && help.contains("`!echo:echo`"),
        "{help}"
    );
}
