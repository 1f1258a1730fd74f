//! The admin web page over plain HTTP: sign-in and its cookie, security headers, CSRF on
//! every form, upload errors, and grant/revoke/secrets/access forms that change what
//! `cove` itself reports.

use cove_tests::web::{Response, WebClient, csrf_of};
use cove_tests::{Env, Server, hostile};

const TOKEN: &str = "web-test-token-42";

fn env() -> Env {
    Env::new()
        .var("COVE_ADMIN_TOKEN", TOKEN)
        .var("COVE_MAX_PLUGIN_BYTES", "1000000")
}

fn serve() -> (Env, Server) {
    let env = env();
    let server = env.serve();
    (env, server)
}

/// `netprobe` installed (it requests `secret PROBE_TOKEN`), then `cove serve`.
fn serve_with_netprobe() -> (Env, Server) {
    let env = env();
    env.install(&hostile("netprobe"));
    let server = env.serve();
    (env, server)
}

/// What the admin API says netprobe has been granted.
fn api_grants(server: &Server) -> String {
    let (status, body) = server.api(
        "GET",
        "/api/v1/plugins/netprobe",
        Some(TOKEN),
        "application/json",
        b"",
    );
    assert_eq!(status, 200, "{body}");
    let info: serde_json::Value = serde_json::from_str(&body).expect("json");
    info["granted"].to_string()
}

fn signed_in(server: &Server) -> WebClient {
    let mut web = WebClient::new(server.addr);
    let response = web.sign_in(TOKEN);
    assert_eq!(response.status, 303, "{response:?}");
    web
}

/// Follows a 303 and returns the page it leads to.
fn follow(web: &mut WebClient, response: &Response) -> Response {
    assert_eq!(response.status, 303, "{response:?}");
    let to = response.header("location").expect("Location").to_string();
    web.get(&to)
}

#[test]
fn sign_in_needs_the_token_and_sets_a_locked_down_cookie() {
    let (_env, server) = serve();
    let mut web = WebClient::new(server.addr);
    let anonymous = web.get("/admin");
    assert_eq!(anonymous.status, 303, "no cookie: sent to sign in");
    assert_eq!(anonymous.header("location"), Some("/admin/login"));
    assert_eq!(web.get("/admin/audit").status, 303);

    let form = web.get("/admin/login");
    assert_eq!(form.status, 200);
    assert_eq!(
        form.header("content-security-policy"),
        Some(cove::admin_web::CSP)
    );
    assert!(cove::admin_web::CSP.contains("default-src 'none'"));
    assert_eq!(form.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(form.header("referrer-policy"), Some("no-referrer"));
    assert!(!form.body.contains("<script"), "{}", form.body);

    let csrf = csrf_of(&form.body);
    let wrong = web.post_form("/admin/login", &[("csrf", &csrf), ("token", "guess")]);
    assert_eq!(wrong.status, 401);
    assert!(
        wrong.body.contains("That is not the admin token"),
        "{}",
        wrong.body
    );
    assert!(wrong.set_cookie("cove_session").is_none());

    let mut stranger = WebClient::new(server.addr);
    let forged = stranger.post_form("/admin/login", &[("token", TOKEN)]);
    assert_eq!(
        forged.status, 403,
        "a sign-in without the form's token is refused"
    );
    assert!(forged.set_cookie("cove_session").is_none());

    let ok = web.post_form("/admin/login", &[("csrf", &csrf), ("token", TOKEN)]);
    assert_eq!(ok.status, 303, "{ok:?}");
    assert_eq!(ok.header("location"), Some("/admin"));
    let cookie = ok.set_cookie("cove_session").expect("session cookie");
    for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/admin"] {
        assert!(cookie.contains(flag), "{cookie} lacks {flag}");
    }
    let list = web.get("/admin");
    assert_eq!(list.status, 200);
    assert!(
        list.body.contains(r#"href="/admin/plugins/echo""#),
        "{}",
        list.body
    );
    assert_eq!(
        list.header("content-security-policy"),
        Some(cove::admin_web::CSP)
    );
    let css = web.get("/admin/style.css");
    assert_eq!(css.status, 200);
    assert!(
        css.header("content-type")
            .is_some_and(|t| t.starts_with("text/css"))
    );

    let csrf = csrf_of(&list.body);
    let out = web.post_form("/admin/logout", &[("csrf", &csrf)]);
    assert_eq!(out.status, 303);
    assert_eq!(
        web.cookie("cove_session"),
        None,
        "sign-out clears the cookie"
    );
    assert_eq!(web.get("/admin").status, 303, "and ends the session");
}

#[test]
fn forms_without_the_csrf_token_change_nothing() {
    let (_env, server) = serve_with_netprobe();
    let mut web = signed_in(&server);
    let page = web.get("/admin/plugins/netprobe");
    assert_eq!(page.status, 200, "{page:?}");
    let good = csrf_of(&page.body);
    let flipped = if good.ends_with('0') { '1' } else { '0' };
    let wrong = format!("{}{flipped}", &good[..good.len() - 1]);
    assert_ne!(wrong, good);
    for csrf in [None, Some(""), Some(wrong.as_str())] {
        let mut fields = vec![("grant", "secret PROBE_TOKEN")];
        fields.extend(csrf.map(|c| ("csrf", c)));
        let refused = web.post_form("/admin/plugins/netprobe/grant", &fields);
        assert_eq!(refused.status, 403, "csrf {csrf:?}");
        assert!(
            refused.body.contains("nothing was changed"),
            "{}",
            refused.body
        );
        let mut fields = vec![("name", "WEB_SECRET"), ("value", "v")];
        fields.extend(csrf.map(|c| ("csrf", c)));
        assert_eq!(web.post_form("/admin/secrets/set", &fields).status, 403);
        let mut fields = vec![("rule", "deny echo *")];
        fields.extend(csrf.map(|c| ("csrf", c)));
        assert_eq!(web.post_form("/admin/access/add", &fields).status, 403);
    }
    let upload = web.post_multipart("/admin/upload", &[], b"\0asm");
    assert_eq!(upload.status, 403, "an upload without the token is refused");

    let mut anonymous = WebClient::new(server.addr);
    let fields = [("csrf", good.as_str()), ("grant", "secret PROBE_TOKEN")];
    let no_session = anonymous.post_form("/admin/plugins/netprobe/grant", &fields);
    assert_eq!(no_session.status, 303, "no session: sent to sign in");

    assert_eq!(api_grants(&server), "[]", "nothing was granted");
    let (_, secrets) = server.api("GET", "/api/v1/secrets", Some(TOKEN), "", b"");
    assert!(!secrets.contains("WEB_SECRET"), "{secrets}");
    assert_eq!(server.reply("!echo still-allowed"), "still-allowed");
}

#[test]
fn grant_and_revoke_through_the_forms() {
    let (env, server) = serve_with_netprobe();
    let mut web = signed_in(&server);
    let page = web.get("/admin/plugins/netprobe");
    let row = r#"<tr data-grant="secret PROBE_TOKEN">"#;
    assert!(page.body.contains(row), "{}", page.body);
    let csrf = csrf_of(&page.body);
    let fields = [("csrf", csrf.as_str()), ("grant", "secret PROBE_TOKEN")];

    let granted = web.post_form("/admin/plugins/netprobe/grant", &fields);
    assert_eq!(granted.header("location"), Some("/admin/plugins/netprobe"));
    let page = follow(&mut web, &granted);
    assert!(
        page.body.contains("Granted netprobe"),
        "flash: {}",
        page.body
    );
    assert_eq!(api_grants(&server), r#"["secret PROBE_TOKEN"]"#);
    assert!(
        web.get("/admin/plugins/netprobe")
            .body
            .find("Granted netprobe")
            .is_none(),
        "a flash shows once"
    );

    let revoked = web.post_form("/admin/plugins/netprobe/revoke", &fields);
    let page = follow(&mut web, &revoked);
    assert!(page.body.contains("Revoked from netprobe"), "{}", page.body);
    assert_eq!(api_grants(&server), "[]");

    let again = web.post_form("/admin/plugins/netprobe/revoke", &fields);
    let page = follow(&mut web, &again);
    assert!(
        page.body.contains(r#"class="banner error""#),
        "{}",
        page.body
    );
    assert!(page.body.contains("does not have"), "{}", page.body);
    let bad = [("csrf", csrf.as_str()), ("grant", "net *")];
    let refused = web.post_form("/admin/plugins/netprobe/grant", &bad);
    let page = follow(&mut web, &refused);
    assert!(
        page.body.contains(r#"class="banner error""#),
        "{}",
        page.body
    );

    let audit = web.get("/admin/audit?plugin=netprobe&user=web");
    assert_eq!(audit.status, 200);
    let grant_at = audit
        .body
        .find("<td>grant</td>")
        .expect("grant in the audit page");
    let revoke_at = audit
        .body
        .find("<td>revoke</td>")
        .expect("revoke in the audit page");
    assert!(revoke_at < grant_at, "newest first");
    assert!(
        !audit.body.contains("<td>install</td>"),
        "filtered to actor web"
    );
    let empty = web.get("/admin/audit?plugin=nosuch");
    assert!(
        empty.body.contains("No audit entries match"),
        "{}",
        empty.body
    );

    // The store itself agrees once the server is gone: `cove grants` reads it directly.
    let regrant = web.post_form("/admin/plugins/netprobe/grant", &fields);
    assert_eq!(regrant.status, 303);
    let (stopped, stderr) = server.stop();
    assert!(stopped, "{stderr}");
    let cli = env.cove(&["grants", "netprobe"]);
    assert!(
        cli.stdout
            .lines()
            .any(|l| l.contains("secret PROBE_TOKEN") && l.trim_end().ends_with("granted")),
        "{cli:?}"
    );
    assert!(cli.stdout.contains("net 127.0.0.1") && cli.stdout.contains("pending"));
}

#[test]
fn uploads_show_the_install_error_or_land_on_the_plugin_page() {
    let (env, server) = serve();
    let mut web = signed_in(&server);
    let csrf = csrf_of(&web.get("/admin/upload").body);
    let fields = [("csrf", csrf.as_str())];

    let bad = web.post_multipart("/admin/upload", &fields, b"not wasm at all");
    assert_eq!(bad.header("location"), Some("/admin/upload"));
    let page = follow(&mut web, &bad);
    assert!(
        page.body.contains("the file is not WebAssembly"),
        "{}",
        page.body
    );

    let big = vec![b'x'; 1_200_000];
    let too_big = web.post_multipart("/admin/upload", &fields, &big);
    let page = follow(&mut web, &too_big);
    assert!(
        page.body
            .contains("over the 1000000-byte plugin size limit"),
        "{}",
        page.body
    );

    let wasm = std::fs::read(hostile("netprobe")).expect("netprobe.wasm");
    let good = web.post_multipart("/admin/upload", &fields, &wasm);
    assert_eq!(good.header("location"), Some("/admin/plugins/netprobe"));
    let page = follow(&mut web, &good);
    assert!(page.body.contains("Installed netprobe"), "{}", page.body);
    assert!(
        page.body
            .contains(r#"<tr data-grant="secret PROBE_TOKEN">"#)
    );
    let list = env.cove(&["plugin", "list"]);
    assert!(list.stdout.contains("netprobe"), "{list:?}");
    assert!(
        server.reply("!secret PROBE_TOKEN").contains("denied="),
        "serves at once, ungranted"
    );
}

#[test]
fn secrets_and_access_rules_through_the_forms() {
    let (_env, server) = serve();
    let mut web = signed_in(&server);
    let page = web.get("/admin/secrets");
    assert!(page.body.contains("No secrets yet"), "{}", page.body);
    let csrf = csrf_of(&page.body);
    let value = "s3cr3t-value-never-shown";
    let set = web.post_form(
        "/admin/secrets/set",
        &[("csrf", &csrf), ("name", "WEB_SECRET"), ("value", value)],
    );
    let page = follow(&mut web, &set);
    assert!(
        page.body.contains("<code>WEB_SECRET</code>"),
        "{}",
        page.body
    );
    assert!(!page.body.contains(value), "the value is never shown");
    let (_, secrets) = server.api("GET", "/api/v1/secrets", Some(TOKEN), "", b"");
    assert!(secrets.contains("WEB_SECRET"), "{secrets}");
    let bad = web.post_form(
        "/admin/secrets/set",
        &[("csrf", &csrf), ("name", "lower"), ("value", "v")],
    );
    assert!(follow(&mut web, &bad).body.contains("secret names are"));
    let removed = web.post_form(
        "/admin/secrets/remove",
        &[("csrf", &csrf), ("name", "WEB_SECRET")],
    );
    assert!(follow(&mut web, &removed).body.contains("No secrets yet"));

    let add = web.post_form(
        "/admin/access/add",
        &[("csrf", &csrf), ("rule", "deny echo *")],
    );
    let page = follow(&mut web, &add);
    assert!(
        page.body.contains("<code>deny echo *</code>"),
        "{}",
        page.body
    );
    assert_ne!(server.reply("!echo hi"), "hi", "the rule is in force");
    let remove = web.post_form(
        "/admin/access/remove",
        &[("csrf", &csrf), ("rule", "deny echo *")],
    );
    let page = follow(&mut web, &remove);
    assert!(page.body.contains("No rules yet"), "{}", page.body);
    assert_eq!(server.reply("!echo hi"), "hi");
    let bad = web.post_form(
        "/admin/access/add",
        &[("csrf", &csrf), ("rule", "maybe echo")],
    );
    assert!(
        follow(&mut web, &bad)
            .body
            .contains(r#"class="banner error""#)
    );
}

#[test]
fn a_manifest_full_of_markup_renders_as_text() {
    let env = env();
    env.install(&hostile("markup"));
    let server = env.serve();
    let mut web = signed_in(&server);
    for path in ["/admin", "/admin/plugins/markup"] {
        let page = web.get(path);
        assert_eq!(page.status, 200, "{path}");
        for live in ["<script", "<img", "<b>", "<i>"] {
            assert!(
                !page.body.contains(live),
                "{path} contains {live}: {}",
                page.body
            );
        }
        assert!(
            page.body
                .contains("&lt;script&gt;alert(&#39;description&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"),
            "{path}: {}",
            page.body
        );
    }
    let page = web.get("/admin/plugins/markup");
    assert!(
        page.body
            .contains("&lt;img src=x onerror=alert(&#39;summary&#39;)&gt;")
    );
    assert!(
        page.body.contains("[&lt;i&gt;arg&lt;/i&gt;]"),
        "{}",
        page.body
    );
}

#[test]
fn approve_roll_back_and_remove_through_the_forms() {
    let env = env();
    let upload = env.cove(&[
        "plugin",
        "install",
        "--as",
        "u9",
        &hostile("echo2").display().to_string(),
    ]);
    assert!(upload.ok, "{upload:?}");
    let server = env.serve();
    let mut web = signed_in(&server);
    let list = web.get("/admin");
    assert!(list.body.contains("awaiting approval"), "{}", list.body);
    let page = web.get("/admin/plugins/echo");
    assert!(
        page.body.contains("/admin/plugins/echo/approve"),
        "{}",
        page.body
    );
    let csrf = csrf_of(&page.body);

    let approved = web.post_form("/admin/plugins/echo/approve", &[("csrf", &csrf)]);
    let page = follow(&mut web, &approved);
    assert!(page.body.contains("Approved echo"), "{}", page.body);
    assert!(
        !page.body.contains("/admin/plugins/echo/approve"),
        "approved once"
    );
    assert_eq!(server.reply("!echo hi"), "echo2: hi");

    let rolled = web.post_form("/admin/plugins/echo/rollback", &[("csrf", &csrf)]);
    let page = follow(&mut web, &rolled);
    assert!(page.body.contains("Rolled echo back"), "{}", page.body);
    assert_eq!(server.reply("!echo hi"), "hi", "version one serves again");

    let unconfirmed = web.post_form("/admin/plugins/echo/remove", &[("csrf", &csrf)]);
    let page = follow(&mut web, &unconfirmed);
    assert!(page.body.contains("really remove"), "{}", page.body);
    assert!(
        page.body.contains(r#"class="banner error""#),
        "{}",
        page.body
    );
    assert_eq!(server.reply("!echo still"), "still");

    let fields = [("csrf", csrf.as_str()), ("confirm", "yes")];
    let removed = web.post_form("/admin/plugins/echo/remove", &fields);
    assert_eq!(removed.header("location"), Some("/admin"));
    let page = follow(&mut web, &removed);
    assert!(
        page.body.contains("Removed echo (2 version(s))"),
        "{}",
        page.body
    );
    let gone = web.get("/admin/plugins/echo");
    assert_eq!(gone.status, 404);
    assert!(gone.body.contains("No plugin named"), "{}", gone.body);
}

#[test]
fn the_audit_log_pages_newest_first_and_access_shows_admins() {
    let env = env().var("COVE_ADMINS", "alice,bob");
    let server = env.serve();
    for i in 0..55 {
        assert_eq!(server.reply(&format!("!echo n{i}")), format!("n{i}"));
    }
    let mut web = signed_in(&server);
    // Invocations are written by a background batch: wait until the last one is there.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !web
        .get("/admin/audit?plugin=echo")
        .body
        .contains("!echo n54")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "invocations never reached the audit log"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let first = web.get("/admin/audit?plugin=echo");
    let rows = |html: &str| html.matches("<tr><td class=\"num\">").count();
    assert_eq!(rows(&first.body), 50, "{}", first.body);
    let newest = first.body.find("!echo n54").expect("newest entry");
    let older = first.body.find("!echo n10").expect("an older entry");
    assert!(newest < older, "newest first");
    assert!(!first.body.contains("!echo n4<"), "n4 is on the next page");
    let marker = "href=\"/admin/audit?";
    let start = first.body.find(marker).expect("an older-entries link") + marker.len() - 1;
    let link = first.body[start..].split('"').next().unwrap_or("");
    let next = web.get(&format!("/admin/audit{}", link.replace("&amp;", "&")));
    assert_eq!(
        rows(&next.body),
        6,
        "n4 to n0 and the install: {}",
        next.body
    );
    assert!(next.body.contains("!echo n4<") && next.body.contains("!echo n0<"));
    assert!(!next.body.contains("Older entries"), "the last page");

    let access = web.get("/admin/access");
    assert!(access.body.contains("<code>alice</code>") && access.body.contains("<code>bob</code>"));
    assert!(access.body.contains("allowed"), "{}", access.body);
}
