//! The secrets, access-rules and audit-log pages. Pure rendering.

use super::html::{Frame, badge, csrf_field, escape, page, post_button, table};
use crate::policy::acl::{Acl, Effect};
use crate::store::{AuditRecord, format_time};

/// Secret names with a Remove button each, and the set form. Values are never shown.
pub fn secrets_page(names: &[String], csrf: &str, frame: &Frame) -> String {
    let rows: Vec<String> = names
        .iter()
        .map(|name| {
            format!(
                r#"<tr data-secret="{n}"><td><code>{n}</code></td><td class="muted">set · encrypted at rest</td><td>{}</td></tr>"#,
                post_button(
                    "/admin/secrets/remove",
                    csrf,
                    &[("name", name)],
                    "Remove",
                    "danger"
                ),
                n = escape(name),
            )
        })
        .collect();
    let body = format!(
        r#"<h1>Secrets</h1><p class="muted">Values are write-only: they are encrypted at rest and never shown again. A plugin reads one only with a <code>secret NAME</code> grant.</p>
{table}
<h2>Set a secret</h2><form method="post" action="/admin/secrets/set" class="row">{csrf}
<label for="name">Name</label><input id="name" name="name" placeholder="GITHUB_TOKEN" pattern="[A-Z][A-Z0-9_]{{0,63}}" required>
<label for="value">Value</label><input type="password" id="value" name="value" autocomplete="off" required>
<button type="submit" class="primary">Set</button></form>"#,
        table = table(&["Name", "", ""], &rows, "No secrets yet — set one below."),
        csrf = csrf_field(csrf),
    );
    page("Secrets", frame, &body)
}

/// The access list in force: default, admins, rules (stored ones removable), add form.
pub fn access_page(effective: &Acl, stored: &Acl, csrf: &str, frame: &Frame) -> String {
    let rows: Vec<String> = effective
        .rules
        .iter()
        .map(|rule| {
            let text = rule.to_string();
            let remove = if stored.rules.contains(rule) {
                post_button(
                    "/admin/access/remove",
                    csrf,
                    &[("rule", &text)],
                    "Remove",
                    "danger",
                )
            } else {
                badge("muted", "from cove.toml")
            };
            format!(
                "<tr><td><code>{}</code></td><td>{remove}</td></tr>",
                escape(&text)
            )
        })
        .collect();
    let admins = if effective.admins.is_empty() {
        r#"<span class="muted">none — set <code>admins</code> in cove.toml or run <code>cove admin add USER</code></span>"#.to_string()
    } else {
        effective
            .admins
            .iter()
            .map(|a| format!("<code>{}</code>", escape(a)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let body = format!(
        r#"<h1>Access</h1><p class="muted">Who may run which commands. Admins may run everything, admin commands included.</p>
<dl class="facts"><dt>Commands no rule covers</dt><dd>{default}</dd><dt>Admins</dt><dd>{admins}</dd></dl>
<h2>Rules</h2>{table}
<h2>Add a rule</h2><form method="post" action="/admin/access/add" class="row">{csrf}
<label for="rule">Rule</label><input id="rule" name="rule" placeholder="allow deploy role:oncall" required>
<button type="submit" class="primary">Add</button></form>
<p class="muted">Form: <code>allow|deny &lt;plugin|plugin:command|*&gt; &lt;user|@name|role:R|#channel|*&gt;</code></p>"#,
        default = match effective.default {
            Effect::Allow => badge("ok", "allowed"),
            Effect::Deny => badge("warn", "denied"),
        },
        table = table(
            &["Rule", ""],
            &rows,
            "No rules yet — every command follows the default above."
        ),
        csrf = csrf_field(csrf),
    );
    page("Access", frame, &body)
}

/// The filters of the audit page, as typed (empty means any).
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    /// Plugin name, exact.
    pub plugin: String,
    /// Actor (user id, `cli`, `api`, `web`), exact.
    pub user: String,
    /// Action, or its start (`secret` matches `secret.set`).
    pub action: String,
}

impl AuditFilter {
    /// Whether a record passes every filter that is set.
    pub fn keep(&self, r: &AuditRecord) -> bool {
        (self.plugin.is_empty() || r.event.plugin.as_deref() == Some(self.plugin.as_str()))
            && (self.user.is_empty() || r.event.actor == self.user)
            && (self.action.is_empty() || r.event.action.starts_with(&self.action))
    }

    /// The filters as a query string (for the "older" link).
    fn query(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("plugin", &self.plugin)
            .append_pair("user", &self.user)
            .append_pair("action", &self.action)
            .finish()
    }
}

/// Newest first; `older` is the sequence number to continue from, if there are more.
pub fn audit_page(
    records: &[AuditRecord],
    filter: &AuditFilter,
    older: Option<u64>,
    frame: &Frame,
) -> String {
    let rows: Vec<String> = records
        .iter()
        .map(|r| {
            let e = &r.event;
            let outcome = if e.outcome == "ok" {
                badge("ok", "ok")
            } else {
                badge("warn", &e.outcome)
            };
            format!(
                "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{outcome}</td></tr>",
                r.seq,
                format_time(r.at_ms),
                escape(&e.actor),
                escape(&e.action),
                escape(e.plugin.as_deref().unwrap_or("")),
                escape(&e.detail),
            )
        })
        .collect();
    let input = |name: &str, value: &str, hint: &str| {
        format!(
            r#"<label for="{name}">{name}</label><input id="{name}" name="{name}" value="{}" placeholder="{hint}">"#,
            escape(value)
        )
    };
    let more = older.map_or(String::new(), |seq| {
        format!(
            r#"<p><a class="button secondary" href="/admin/audit?{}&amp;before={seq}">Older entries →</a></p>"#,
            escape(&filter.query())
        )
    });
    let body = format!(
        r#"<h1>Audit log</h1><form method="get" action="/admin/audit" class="row filters">{}{}{}<button type="submit" class="secondary">Filter</button> <a href="/admin/audit">Clear</a></form>{}{more}"#,
        input("plugin", &filter.plugin, "any plugin"),
        input("user", &filter.user, "any actor"),
        input("action", &filter.action, "any action"),
        table(
            &[
                "#",
                "Time (UTC)",
                "Actor",
                "Action",
                "Plugin",
                "Detail",
                "Outcome"
            ],
            &rows,
            "No audit entries match these filters.",
        ),
    );
    page("Audit log", frame, &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::AuditEvent;

    fn record(seq: u64, actor: &str, action: &str, plugin: Option<&str>) -> AuditRecord {
        AuditRecord {
            seq,
            at_ms: 0,
            event: AuditEvent {
                actor: actor.into(),
                action: action.into(),
                plugin: plugin.map(str::to_string),
                detail: "<b>d</b>".into(),
                outcome: "ok".into(),
                ..AuditEvent::default()
            },
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn audit_filters() {
        let r = record(1, "web", "secret.set", None);
        let g = record(2, "cli", "grant", Some("echo"));
        let f = |plugin: &str, user: &str, action: &str| AuditFilter {
            plugin: plugin.into(),
            user: user.into(),
            action: action.into(),
        };
        for (filter, keeps_r, keeps_g) in [
            (f("", "", ""), true, true),
            (f("echo", "", ""), false, true),
            (f("", "web", ""), true, false),
            (f("", "", "secret"), true, false),
            (f("", "", "grant"), false, true),
            (f("echo", "web", ""), false, false),
        ] {
            assert_eq!(filter.keep(&r), keeps_r, "{filter:?}");
            assert_eq!(filter.keep(&g), keeps_g, "{filter:?}");
        }
        let frame = Frame {
            nav: super::super::html::Nav::Audit,
            csrf: Some("c"),
            flash: None,
        };
        let html = audit_page(&[g], &f("echo", "a&b", ""), Some(2), &frame);
        assert!(html.contains("&lt;b&gt;d&lt;/b&gt;"), "{html}");
        assert!(html.contains("before=2"), "{html}");
        assert!(html.contains("user=a%26b"), "{html}");
        assert!(audit_page(&[], &f("", "", ""), None, &frame).contains("No audit entries"));
    }

    #[test]
    fn secrets_page_shows_names_only() {
        let frame = Frame {
            nav: super::super::html::Nav::Secrets,
            csrf: Some("c"),
            flash: None,
        };
        let html = secrets_page(&["API_KEY".into()], "c", &frame);
        assert!(html.contains("<code>API_KEY</code>") && html.contains(r#"type="password""#));
        assert!(secrets_page(&[], "c", &frame).contains("No secrets yet — set one below."));
    }
}
