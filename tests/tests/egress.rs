//! Outbound HTTP: deny by default, grants checked at every request, private addresses only
//! when named, every spelling of an address normalized, redirects not followed, caps, and
//! every denial explained to the user and audited. Names resolve through
//! `COVE_EGRESS_HOSTS`, so nothing here leaves 127.0.0.1.

use cove_tests::fake_http::{Answer, FakeHttp};
use cove_tests::{Env, hostile};

fn fake() -> FakeHttp {
    FakeHttp::start(|_, path| match path {
        "/redirect" => Answer {
            status: 302,
            headers: vec![("Location".into(), "http://elsewhere.test/".into())],
            body: vec![],
        },
        "/big" => Answer::status(200, &"b".repeat(5000)),
        "/slow" => {
            std::thread::sleep(std::time::Duration::from_secs(3));
            Answer::status(200, "late")
        }
        _ => Answer::status(200, "hello from the fake"),
    })
}

fn probe_env(server: &FakeHttp) -> Env {
    let _ = server;
    let env = Env::new().var(
        "COVE_EGRESS_HOSTS",
        "api.test=127.0.0.1,meta.test=169.254.169.254,mixed.test=8.8.8.8,mixed.test=10.0.0.7",
    );
    env.install(&hostile("netprobe"));
    env
}

#[test]
fn requests_are_denied_until_granted_and_explained() {
    let server = fake();
    let env = probe_env(&server);
    let port = server.port();
    let url = format!("http://api.test:{port}/hello");

    let denied = env.run(&format!("!fetch {url}"));
    assert!(!denied.ok);
    let expected = format!(
        "Cove blocked the netprobe plugin from trying to reach http://api.test:{port}: it was not granted that host. \
         An admin can allow it with `cove grant netprobe net http://api.test:{port}`."
    );
    assert!(denied.stdout.contains(&expected), "{}", denied.stdout);
    assert!(server.seen().is_empty(), "nothing may leave before a grant");

    // The name is granted, but it resolves to a loopback address: refused unless named.
    env.grant("netprobe", &["net", &format!("http://api.test:{port}")]);
    let loopback = env.run(&format!("!fetch {url}"));
    assert!(
        loopback
            .stdout
            .contains("it resolves to 127.0.0.1, a loopback address"),
        "{}",
        loopback.stdout
    );
    assert!(
        loopback
            .stdout
            .contains(&format!("cove grant netprobe net http://127.0.0.1:{port}")),
        "{}",
        loopback.stdout
    );
    assert!(server.seen().is_empty());

    env.grant("netprobe", &["net", &format!("http://127.0.0.1:{port}")]);
    let allowed = env.run(&format!("!fetch {url}"));
    assert!(allowed.ok, "{allowed:?}");
    assert!(
        allowed
            .stdout
            .contains("status=200 body=hello from the fake"),
        "{}",
        allowed.stdout
    );

    let audit = env.cove(&["audit", "--plugin", "netprobe"]);
    assert!(
        audit.stdout.contains("deny") && audit.stdout.contains("grant"),
        "{}",
        audit.stdout
    );
}

#[test]
fn every_spelling_of_an_address_is_the_same_address() {
    let server = fake();
    let env = probe_env(&server);
    let port = server.port();
    env.grant("netprobe", &["net", &format!("http://127.0.0.1:{port}")]);
    for host in [
        "127.0.0.1",
        "2130706433",
        "0x7f.0.0.1",
        "127.1",
        "017700000001",
        "[::ffff:127.0.0.1]",
    ] {
        let done = env.run(&format!("!fetch http://{host}:{port}/x"));
        assert!(
            done.stdout.contains("status=200"),
            "{host}: {}",
            done.stdout
        );
    }
    let table: &[(&str, &str)] = &[
        ("http://127.0.0.2:{port}/", "not granted that host"),
        ("http://127.0.0.1:1/", "not granted that host"),
        ("https://127.0.0.1:{port}/", "not granted that host"),
        ("http://[::1]:{port}/", "not granted that host"),
        (
            "http://user@127.0.0.1:{port}/",
            "netprobe plugin from trying to reach",
        ),
    ];
    for (url, expected) in table {
        let url = url.replace("{port}", &port.to_string());
        let done = env.run(&format!("!fetch {url}"));
        assert!(
            !done.ok && done.stdout.contains(expected),
            "{url}: {}",
            done.stdout
        );
    }
}

#[test]
fn private_and_metadata_answers_are_refused_even_for_granted_names() {
    let server = fake();
    let env = probe_env(&server);
    env.grant("netprobe", &["net", "http://meta.test"]);
    env.grant("netprobe", &["net", "http://mixed.test"]);
    let meta = env.run("!fetch http://meta.test/latest/meta-data/");
    assert!(
        meta.stdout
            .contains("169.254.169.254, a cloud metadata address"),
        "{}",
        meta.stdout
    );
    // One public and one private answer: refused as a whole, not by luck of the order.
    let mixed = env.run("!fetch http://mixed.test/");
    assert!(
        mixed.stdout.contains("10.0.0.7, a private address"),
        "{}",
        mixed.stdout
    );
    // A range grant never opens the metadata address.
    env.grant("netprobe", &["net", "http://169.254.0.0/16"]);
    let still = env.run("!fetch http://meta.test/");
    assert!(still.stdout.contains("cloud metadata"), "{}", still.stdout);
}

#[test]
fn redirects_are_returned_not_followed_and_host_headers_do_not_steer() {
    let server = fake();
    let env = probe_env(&server);
    let port = server.port();
    env.grant("netprobe", &["net", &format!("http://127.0.0.1:{port}")]);
    let redirect = env.run(&format!("!fetch http://127.0.0.1:{port}/redirect"));
    assert!(
        redirect.stdout.contains("status=302"),
        "{}",
        redirect.stdout
    );
    assert_eq!(server.seen().len(), 1, "the redirect must not be followed");

    let trick = env.run(&format!(
        "!fetch-with-host http://127.0.0.1:{port}/h evil.example"
    ));
    assert!(trick.ok || trick.stdout.contains("error"), "{trick:?}");
    for seen in server.seen() {
        let host = seen.header("host").unwrap_or_default();
        assert_eq!(
            host,
            format!("127.0.0.1:{port}"),
            "a plugin's Host header must not reach the wire"
        );
    }
}

#[test]
fn request_count_and_body_size_are_capped() {
    let server = fake();
    let env = probe_env(&server);
    std::fs::write(
        env.data_dir().join("cove.toml"),
        "[egress]\nmax_requests = 3\nmax_body_bytes = 1000\n",
    )
    .unwrap();
    let port = server.port();
    env.grant("netprobe", &["net", &format!("http://127.0.0.1:{port}")]);
    let many = env.run(&format!("!fetch-n http://127.0.0.1:{port}/x 5"));
    assert!(many.stdout.contains("ok=3"), "{}", many.stdout);
    assert!(
        many.stdout
            .contains("one invocation may make at most 3 requests"),
        "{}",
        many.stdout
    );
    let big = env.run(&format!("!fetch http://127.0.0.1:{port}/big"));
    assert!(big.stdout.contains("error="), "{}", big.stdout);
    assert!(!big.stdout.contains(&"b".repeat(1001)));
}

#[test]
fn revoke_takes_effect_on_the_next_call_without_restart() {
    let server = fake();
    let env = probe_env(&server).var("COVE_ADMINS", "root");
    let port = server.port();
    let live = env.serve();
    let say = |user: &str, text: &str| live.texts(user, text);
    let url = format!("http://127.0.0.1:{port}/x");
    assert!(say("u1", &format!("!fetch {url}")).contains("not granted"));
    assert!(
        say(
            "u1",
            &format!("!cove grant netprobe net http://127.0.0.1:{port}")
        )
        .contains("denied")
    );
    assert!(
        say(
            "root",
            &format!("!cove grant netprobe net http://127.0.0.1:{port}")
        )
        .contains("Granted netprobe")
    );
    assert!(say("u1", &format!("!fetch {url}")).contains("status=200"));
    assert!(
        say(
            "root",
            &format!("!COVE revoke netprobe net http://127.0.0.1:{port}")
        )
        .contains("Revoked")
    );
    assert!(say("u1", &format!("!fetch {url}")).contains("not granted that host"));
    assert!(
        say("root", "!cove:grants netprobe").contains("net 127.0.0.1"),
        "requested permissions are listed"
    );
}

#[test]
fn http_check_reports_status_and_latency_once_granted() {
    let server = fake();
    let env = Env::new().var("COVE_EGRESS_HOSTS", "status.test=127.0.0.1");
    let port = server.port();
    let url = format!("http://status.test:{port}/health");
    let denied = env.run(&format!("!status {url}"));
    assert!(
        denied.stdout.contains(&format!(
            "cove grant http-check net http://status.test:{port}"
        )),
        "{}",
        denied.stdout
    );
    for grant in [
        format!("http://status.test:{port}"),
        format!("http://127.0.0.1:{port}"),
    ] {
        env.grant("http-check", &["net", &grant]);
    }
    let ok = env.run(&format!("!status {url}"));
    assert!(ok.ok, "{ok:?}");
    assert!(
        ok.stdout.contains(&format!("{url} → 200")) && ok.stdout.contains(" ms"),
        "{}",
        ok.stdout
    );
}

#[test]
fn a_slow_server_hits_the_first_byte_timeout_not_the_sandbox_deadline() {
    let server = fake();
    let env = probe_env(&server).var("COVE_DEADLINE_MS", "8000");
    std::fs::write(
        env.data_dir().join("cove.toml"),
        "[egress]\nfirst_byte_timeout_ms = 300\n",
    )
    .unwrap();
    let port = server.port();
    env.grant("netprobe", &["net", &format!("http://127.0.0.1:{port}")]);
    let slow = env.run(&format!("!fetch http://127.0.0.1:{port}/slow"));
    assert!(
        slow.stdout.contains("error="),
        "the plugin sees a timeout error: {}",
        slow.stdout
    );
    assert!(!slow.stdout.contains("took longer than"), "{}", slow.stdout);
}
