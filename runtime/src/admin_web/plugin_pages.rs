//! The plugin list, one plugin's page (manifest, versions, requested vs granted permissions)
//! and the upload form. Pure rendering: the handlers in `mod.rs` gather the data.

use std::fmt::Write;

use super::html::{Frame, badge, csrf_field, escape, page, post_button, table};
use crate::store::{PluginRecord, format_time};

/// One row of the plugin list.
pub struct PluginRow<'a> {
    /// The stored plugin.
    pub record: &'a PluginRecord,
    /// What its active manifest requests (canonical grant text).
    pub requested: Vec<String>,
    /// What it has been granted.
    pub granted: Vec<String>,
}

fn status_badge(record: &PluginRecord) -> String {
    if record.active_is_approved() {
        badge("ok", "active")
    } else {
        badge("warn", "awaiting approval")
    }
}

/// The plugin list: name, version, status, commands, permissions granted of requested.
pub fn plugins_page(rows: &[PluginRow], frame: &Frame) -> String {
    let rows: Vec<String> = rows
        .iter()
        .map(|row| {
            let v = row.record.active_version();
            let pending = row
                .requested
                .iter()
                .filter(|r| !row.granted.contains(r))
                .count();
            let perms = if pending > 0 {
                badge("warn", &format!("{pending} pending"))
            } else {
                String::new()
            };
            format!(
                r#"<tr><td><a href="/admin/plugins/{name}">{name}</a><div class="muted">{desc}</div></td><td>{version}</td><td>{status}</td><td class="num">{commands}</td><td>{granted} granted · {requested} requested {perms}</td></tr>"#,
                name = escape(&row.record.name),
                desc = escape(&v.manifest.description),
                version = escape(&v.manifest.version),
                status = status_badge(row.record),
                commands = v.manifest.commands.len(),
                granted = row.granted.len(),
                requested = row.requested.len(),
            )
        })
        .collect();
    let body = format!(
        r#"<div class="title"><h1>Plugins</h1><a class="button primary" href="/admin/upload">Upload a plugin</a></div>{}"#,
        table(
            &["Plugin", "Version", "Status", "Commands", "Permissions"],
            &rows,
            "No plugins installed yet — upload one to get started.",
        )
    );
    page("Plugins", frame, &body)
}

/// Everything one plugin page shows.
pub struct PluginView<'a> {
    /// The stored plugin.
    pub record: &'a PluginRecord,
    /// What the active manifest requests.
    pub requested: &'a [String],
    /// What is granted now.
    pub granted: &'a [String],
    /// The chat command prefix, for usage lines.
    pub prefix: &'a str,
}

/// A plugin's page: description, actions, permissions side by side, commands, versions.
pub fn plugin_page(view: &PluginView, csrf: &str, frame: &Frame) -> String {
    let record = view.record;
    let v = record.active_version();
    let base = format!("/admin/plugins/{}", record.name);
    let mut actions = String::new();
    if !record.active_is_approved() {
        actions += &post_button(&format!("{base}/approve"), csrf, &[], "Approve", "primary");
    }
    if record.versions.len() > 1 {
        actions += &post_button(
            &format!("{base}/rollback"),
            csrf,
            &[],
            "Roll back",
            "secondary",
        );
    }
    let _ = write!(
        actions,
        r#"<form method="post" action="{base}/remove" class="inline">{}<label class="confirm"><input type="checkbox" name="confirm" value="yes" required> really remove</label><button type="submit" class="danger">Remove</button></form>"#,
        csrf_field(csrf),
        base = escape(&base),
    );
    let body = format!(
        r#"<div class="title"><h1>{name} <span class="muted">{version}</span> {status}</h1><div class="actions">{actions}</div></div>
<p class="lead">{desc}</p>
<h2>Permissions</h2><p class="muted">Requests are only requests: nothing is granted until an admin grants it. Changes take effect on the next call.</p>
{perms}
<form method="post" action="{base}/grant" class="row">{csrf_input}<label for="grant">Add a grant</label><input id="grant" name="grant" placeholder="net api.example.com · secret NAME · post #channel" required><button type="submit" class="secondary">Grant</button></form>
<h2>Commands</h2>{commands}
<h2>Versions</h2>{versions}"#,
        name = escape(&record.name),
        version = escape(&v.manifest.version),
        status = status_badge(record),
        desc = escape(&v.manifest.description),
        perms = permissions_table(view, csrf),
        base = escape(&base),
        csrf_input = csrf_field(csrf),
        commands = commands_table(view),
        versions = versions_table(record),
    );
    page(&record.name, frame, &body)
}

/// Requested | Granted side by side: one row per grant that is requested, granted, or both.
fn permissions_table(view: &PluginView, csrf: &str) -> String {
    let base = format!("/admin/plugins/{}", view.record.name);
    let extra = view.granted.iter().filter(|g| !view.requested.contains(g));
    let rows: Vec<String> = view
        .requested
        .iter()
        .chain(extra)
        .map(|grant| {
            let requested = view.requested.contains(grant);
            let granted = view.granted.contains(grant);
            let fields = [("grant", grant.as_str())];
            let left = match (requested, granted) {
                (false, _) => r#"<span class="muted">not requested</span>"#.to_string(),
                (true, true) => format!("<code>{}</code>", escape(grant)),
                (true, false) => format!(
                    "<code>{}</code> {}",
                    escape(grant),
                    post_button(&format!("{base}/grant"), csrf, &fields, "Grant", "primary")
                ),
            };
            let right = if granted {
                format!(
                    "{} <code>{}</code> {}",
                    badge("ok", "granted"),
                    escape(grant),
                    post_button(&format!("{base}/revoke"), csrf, &fields, "Revoke", "danger")
                )
            } else {
                badge("muted", "not granted")
            };
            format!(
                r#"<tr data-grant="{}"><td class="requested">{left}</td><td class="granted">{right}</td></tr>"#,
                escape(grant)
            )
        })
        .collect();
    table(
        &["Requested", "Granted"],
        &rows,
        "This plugin requests no permissions and has none granted.",
    )
}

fn commands_table(view: &PluginView) -> String {
    let rows: Vec<String> = view
        .record
        .active_version()
        .manifest
        .commands
        .iter()
        .map(|c| {
            let danger = if c.dangerous {
                badge("warn", "needs confirmation")
            } else {
                String::new()
            };
            format!(
                "<tr><td><code>{}{}</code> {danger}</td><td>{}</td><td><code>{}</code></td></tr>",
                escape(view.prefix),
                escape(&c.name),
                escape(&c.summary),
                escape(&crate::dispatch::usage(view.prefix, c)),
            )
        })
        .collect();
    table(
        &["Command", "Summary", "Usage"],
        &rows,
        "This plugin offers no commands.",
    )
}

fn versions_table(record: &PluginRecord) -> String {
    let rows: Vec<String> = record
        .versions
        .iter()
        .rev()
        .map(|v| {
            let mut marks = String::new();
            if v.hash == record.active {
                marks += &badge("ok", "active");
            }
            if record.approved.contains(&v.hash) {
                marks += &badge("muted", "approved");
            }
            format!(
                r#"<tr><td>{}</td><td><code title="{hash}">{short}</code></td><td class="num">{size}</td><td>{at}</td><td>{by}</td><td>{marks}</td></tr>"#,
                escape(&v.manifest.version),
                hash = escape(&v.hash),
                short = escape(v.hash.get(..12).unwrap_or(&v.hash)),
                size = human_size(v.size),
                at = format_time(v.installed_at_ms),
                by = escape(&v.uploaded_by),
            )
        })
        .collect();
    table(
        &["Version", "sha256", "Size", "Installed", "By", ""],
        &rows,
        "No versions.",
    )
}

/// `1.2 MB`, `340 KB`, `12 B`.
fn human_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        b if b >= 1_000 => format!("{} KB", b / 1_000),
        b => format!("{b} B"),
    }
}

/// The upload form (multipart), with the size limit stated up front.
pub fn upload_page(csrf: &str, limit: u64, frame: &Frame) -> String {
    let body = format!(
        r#"<h1>Upload a plugin</h1><section class="card">
<p>Choose a WebAssembly component built for <code>wasm32-wasip2</code> (at most {limit}). It is checked, compiled and started at once; the permissions it requests stay pending until you grant them on its page.</p>
<form method="post" action="/admin/upload" enctype="multipart/form-data">{csrf}
<label for="file">Component (.wasm)</label><input type="file" id="file" name="file" accept=".wasm,application/wasm" required>
<button type="submit" class="primary">Upload</button></form></section>"#,
        limit = human_size(limit),
        csrf = csrf_field(csrf),
    );
    page("Upload", frame, &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{Manifest, Permissions};
    use crate::store::VersionRecord;

    fn record(description: &str) -> PluginRecord {
        let manifest = Manifest {
            name: "evil".into(),
            version: "1.0.0\"><script>alert(2)</script>".into(),
            description: description.into(),
            commands: vec![],
            permissions: Permissions {
                hosts: vec![],
                secrets: vec![],
                injections: vec![],
                channels: vec![],
                webhooks: vec![],
                schedules: vec![],
            },
        };
        PluginRecord {
            name: "evil".into(),
            active: "ab".into(),
            versions: vec![VersionRecord {
                hash: "ab".into(),
                size: 1234,
                installed_at_ms: 0,
                manifest,
                uploaded_by: "<img src=x onerror=alert(3)>".into(),
            }],
            approved: vec!["ab".into()],
        }
    }

    fn frame() -> Frame<'static> {
        Frame {
            nav: super::super::html::Nav::Plugins,
            csrf: Some("c"),
            flash: None,
        }
    }

    #[test]
    fn a_hostile_manifest_renders_inert() {
        let record = record("<script>alert(1)</script>");
        let requested = vec!["net a.example.com".to_string()];
        let granted = vec!["post <#x>".to_string()];
        let view = PluginView {
            record: &record,
            requested: &requested,
            granted: &granted,
            prefix: "!",
        };
        let html = plugin_page(&view, "c", &frame());
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        let list = plugins_page(
            &[PluginRow {
                record: &record,
                requested,
                granted,
            }],
            &frame(),
        );
        assert!(!list.contains("<script"), "{list}");
    }

    #[test]
    fn requested_and_granted_side_by_side() {
        let record = record("d");
        let requested = vec!["net a.example.com".into(), "secret TOKEN".into()];
        let granted = vec!["secret TOKEN".into(), "net extra.example.com".into()];
        let view = PluginView {
            record: &record,
            requested: &requested,
            granted: &granted,
            prefix: "!",
        };
        let html = permissions_table(&view, "c");
        let row = |grant: &str| {
            let start = html
                .find(&format!(r#"<tr data-grant="{grant}">"#))
                .unwrap_or_else(|| panic!("no row for {grant} in {html}"));
            html[start..]
                .split("</tr>")
                .next()
                .unwrap_or("")
                .to_string()
        };
        let pending = row("net a.example.com");
        assert!(pending.contains("/grant") && pending.contains(">Grant<"));
        assert!(!pending.contains(">Revoke<") && pending.contains("not granted"));
        let both = row("secret TOKEN");
        assert!(both.contains(">Revoke<") && !both.contains(">Grant<"));
        let extra = row("net extra.example.com");
        assert!(extra.contains("not requested") && extra.contains(">Revoke<"));
        let empty = PluginView {
            requested: &[],
            granted: &[],
            ..view
        };
        assert!(permissions_table(&empty, "c").contains("requests no permissions"));
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(human_size(12), "12 B");
        assert_eq!(human_size(340_500), "340 KB");
        assert_eq!(human_size(10_485_760), "10.5 MB");
    }
}
