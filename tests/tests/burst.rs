//! A burst of 1,000 signed webhooks: every one is accepted and delivered exactly once, while
//! chat commands keep being answered.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use cove_tests::{Env, hostile};

const EVENTS: usize = 1_000;
const SENDERS: usize = 8;

#[test]
fn a_burst_of_1000_webhooks_is_delivered_while_commands_keep_answering() {
    let env = Env::new();
    env.install(&hostile("recorder"));
    let secret = env.grant_webhook("recorder", "in");
    let server = Arc::new(env.serve());

    let done = Arc::new(AtomicBool::new(false));
    let chat = {
        let (server, done) = (server.clone(), done.clone());
        thread::spawn(move || {
            let mut answered = 0;
            while !done.load(Ordering::SeqCst) {
                assert_eq!(
                    server.reply(&format!("!echo ping {answered}")),
                    format!("ping {answered}")
                );
                answered += 1;
            }
            answered
        })
    };
    let senders: Vec<_> = (0..SENDERS)
        .map(|s| {
            let (server, secret) = (server.clone(), secret.clone());
            thread::spawn(move || {
                for i in (s..EVENTS).step_by(SENDERS) {
                    let body = format!("id:{i:04}");
                    let (status, text) =
                        server.signed_hook("recorder", "in", &secret, body.as_bytes());
                    assert_eq!(status, 202, "event {i}: {text}");
                }
            })
        })
        .collect();
    for sender in senders {
        sender.join().expect("sender");
    }
    server.wait_recorded("ev/", &format!("{EVENTS} keys, {EVENTS} deliveries"));
    done.store(true, Ordering::SeqCst);
    let answered = chat.join().expect("chat thread");
    assert!(answered > 0, "no command was answered during the burst");
    assert!(
        env.cove(&["events"])
            .stdout
            .contains("No events are waiting"),
        "the queue is empty afterwards"
    );
}
