//! The admin web page in a real browser: headless Chromium driven through chromedriver.
//! Signs in, uploads a plugin, grants one of its requested permissions, sees it move to the
//! Granted column, revokes it, and writes a screenshot to `target/artifacts/admin-plugin.png`.
//!
//! Chromium is installed with apt when missing (`chromium`, `chromium-driver`); when that is
//! impossible the test fails with the reason rather than skipping.

use std::path::PathBuf;

use cove_tests::webdriver::Browser;
use cove_tests::{Env, hostile};

const TOKEN: &str = "browser-test-token-7";
const PENDING_GRANT: &str = r#"tr[data-grant="secret PROBE_TOKEN"] td.requested button.primary"#;
const REVOKE: &str = r#"tr[data-grant="secret PROBE_TOKEN"] td.granted button.danger"#;

fn artifact(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/artifacts")
        .join(name)
}

#[test]
fn sign_in_upload_grant_and_revoke_in_chromium() {
    let browser = Browser::start();
    let env = Env::new().var("COVE_ADMIN_TOKEN", TOKEN);
    let server = env.serve();
    let base = format!("http://{}", server.addr);

    browser.goto(&format!("{base}/admin"));
    let token = browser.wait_for("input#token");
    assert!(browser.url().ends_with("/admin/login"), "{}", browser.url());
    browser.type_into(&token, "not-the-token");
    browser.click(&browser.wait_for("main form button.primary"));
    let error = browser.wait_for(".banner.error");
    assert!(browser.text(&error).contains("That is not the admin token"));

    let token = browser.wait_for("input#token");
    browser.type_into(&token, TOKEN);
    browser.click(&browser.wait_for("main form button.primary"));
    browser.wait_for(r#"a[href="/admin/plugins/echo"]"#);
    let cookies = browser.cookies();
    let session = cookies
        .iter()
        .find(|c| c["name"] == "cove_session")
        .unwrap_or_else(|| panic!("no session cookie in {cookies:?}"));
    assert_eq!(session["httpOnly"], true, "{session}");
    assert_eq!(session["secure"], true, "{session}");
    assert_eq!(session["sameSite"], "Strict", "{session}");
    assert_eq!(session["path"], "/admin", "{session}");

    browser.click(&browser.wait_for(r#"nav a[href="/admin/upload"]"#));
    let file = browser.wait_for("input#file");
    let wasm = hostile("netprobe").canonicalize().expect("netprobe.wasm");
    browser.type_into(&file, &wasm.display().to_string());
    browser.click(&browser.wait_for(r#"form[enctype="multipart/form-data"] button.primary"#));

    let grant_after_upload = browser.wait_for(PENDING_GRANT);
    let flash = browser.wait_for(".banner.ok");
    assert!(browser.text(&flash).contains("Installed netprobe"));
    assert!(browser.text(&grant_after_upload).contains("Grant"));
    browser.goto(&format!("{base}/admin"));
    browser.wait_for(r#"a[href="/admin/plugins/netprobe"]"#);
    browser.screenshot(&artifact("admin-plugins.png"));
    browser.goto(&format!("{base}/admin/plugins/netprobe"));
    let grant = browser.wait_for(PENDING_GRANT);
    assert!(browser.find(".banner").is_none(), "a flash shows once");
    assert!(
        browser.find(REVOKE).is_none(),
        "nothing is granted by upload"
    );

    browser.click(&grant);
    let revoke = browser.wait_for(REVOKE);
    let granted_cell = browser.wait_for(r#"tr[data-grant="secret PROBE_TOKEN"] td.granted"#);
    assert!(browser.text(&granted_cell).contains("secret PROBE_TOKEN"));
    assert!(
        browser.find(PENDING_GRANT).is_none(),
        "it left the pending side"
    );
    let flash = browser.wait_for(".banner.ok");
    assert!(browser.text(&flash).contains("Granted netprobe"));
    let (_, info) = server.api(
        "GET",
        "/api/v1/plugins/netprobe",
        Some(TOKEN),
        "application/json",
        b"",
    );
    assert!(
        info.contains(r#""granted":["secret PROBE_TOKEN"]"#),
        "{info}"
    );
    browser.screenshot(&artifact("admin-plugin.png"));

    browser.click(&revoke);
    browser.wait_for(PENDING_GRANT);
    browser.wait_gone(REVOKE);
    let flash = browser.wait_for(".banner.ok");
    assert!(browser.text(&flash).contains("Revoked from netprobe"));
    browser.screenshot(&artifact("admin-plugin-revoked.png"));
}
