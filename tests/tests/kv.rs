//! The plugin kv store: quota, and no way to reach another plugin's keys.

use cove_tests::{Env, hostile};

#[test]
fn quota_stops_writes_with_a_clear_error() {
    let env = Env::new().var("COVE_KV_QUOTA_BYTES", "65536");
    env.install(&hostile("kvhog"));
    let done = env.run("!kvfill 256");
    assert!(done.ok, "{done:?}");
    assert!(
        done.stdout.contains("quota exceeded (limit 65536 bytes)"),
        "{}",
        done.stdout
    );
    let stored: u64 = done
        .stdout
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("stored N");
    assert!(stored <= 65536 && stored > 32768, "{stored}");
    // Other plugins keep their own quota.
    assert!(env.run("!note add after-the-hog still works").ok);
}

#[test]
fn plugins_cannot_see_each_others_keys() {
    let env = Env::new();
    env.install(&hostile("kvhog"));
    env.install(&hostile("kvhog2"));
    assert_eq!(env.run("!kvset secret-key one").stdout.trim(), "ok");
    assert_eq!(env.run("!kv2get secret-key").stdout.trim(), "none");
    for sneaky in [
        "kvhog/secret-key",
        "../kvhog/secret-key",
        "/kvhog/secret-key",
    ] {
        assert_eq!(
            env.run(&format!("!kv2get {sneaky}")).stdout.trim(),
            "none",
            "{sneaky}"
        );
    }
    assert_eq!(env.run("!kvget secret-key").stdout.trim(), "one");
}
