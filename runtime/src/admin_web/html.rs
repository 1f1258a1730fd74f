//! The page frame, escaping and form helpers shared by every admin page, plus the sign-in
//! and error pages. Pure: strings in, HTML out.
//!
//! Every value that reaches HTML goes through [`escape`], plugin manifests included (they
//! are untrusted input). Pages carry no scripts and no inline styles, so the
//! Content-Security-Policy can forbid both.

use std::fmt::Write;

use super::session::Flash;

/// Escapes text for use in HTML element content and in quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The sections of the top navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// Plugin list and plugin pages.
    Plugins,
    /// The upload form.
    Upload,
    /// Secret names.
    Secrets,
    /// Access rules.
    Access,
    /// The audit log.
    Audit,
    /// Sign-in and error pages (no section highlighted).
    None,
}

const NAV: &[(Nav, &str, &str)] = &[
    (Nav::Plugins, "/admin", "Plugins"),
    (Nav::Upload, "/admin/upload", "Upload"),
    (Nav::Secrets, "/admin/secrets", "Secrets"),
    (Nav::Access, "/admin/access", "Access"),
    (Nav::Audit, "/admin/audit", "Audit log"),
];

/// What every signed-in page shows around its body.
pub struct Frame<'a> {
    /// The section to highlight.
    pub nav: Nav,
    /// The session's CSRF token (for the sign-out form); `None` on signed-out pages.
    pub csrf: Option<&'a str>,
    /// The outcome of the last action, shown once.
    pub flash: Option<Flash>,
}

/// A whole HTML document: head, top navigation, flash banner, then `body`.
pub fn page(title: &str, frame: &Frame, body: &str) -> String {
    let mut nav = String::new();
    if let Some(csrf) = frame.csrf {
        for (section, href, label) in NAV {
            let current = if *section == frame.nav {
                r#" aria-current="page""#
            } else {
                ""
            };
            let _ = write!(nav, r#"<a href="{href}"{current}>{label}</a>"#);
        }
        nav.push_str(&post_button("/admin/logout", csrf, &[], "Sign out", "link"));
    }
    let flash = frame.flash.as_ref().map_or(String::new(), |f| {
        let (class, role) = if f.ok {
            ("ok", "status")
        } else {
            ("error", "alert")
        };
        banner(class, role, &f.text)
    });
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Cove admin</title><link rel=\"stylesheet\" href=\"/admin/style.css\">\
         </head><body><header><a class=\"brand\" href=\"/admin\">Cove</a><nav>{nav}</nav></header>\
         <main>{flash}{body}</main></body></html>\n",
        title = escape(title),
    )
}

/// A success (`ok`) or `error` banner with escaped text.
pub fn banner(class: &str, role: &str, text: &str) -> String {
    format!(
        r#"<p class="banner {class}" role="{role}">{}</p>"#,
        escape(text)
    )
}

/// A one-button POST form with the CSRF field and extra hidden `fields`.
pub fn post_button(
    action: &str,
    csrf: &str,
    fields: &[(&str, &str)],
    label: &str,
    class: &str,
) -> String {
    let mut hidden = csrf_field(csrf);
    for (name, value) in fields {
        let _ = write!(
            hidden,
            r#"<input type="hidden" name="{}" value="{}">"#,
            escape(name),
            escape(value)
        );
    }
    format!(
        r#"<form method="post" action="{}" class="inline">{hidden}<button type="submit" class="{class}">{}</button></form>"#,
        escape(action),
        escape(label)
    )
}

/// The hidden CSRF input every POST form carries.
pub fn csrf_field(csrf: &str) -> String {
    format!(
        r#"<input type="hidden" name="csrf" value="{}">"#,
        escape(csrf)
    )
}

/// The sign-in page; `error` is shown above the form.
pub fn login_page(login_csrf: &str, error: Option<&str>) -> String {
    let error = error.map_or(String::new(), |e| banner("error", "alert", e));
    let body = format!(
        r#"<section class="card narrow"><h1>Sign in</h1>{error}
<p>Paste the admin token. <code>cove serve</code> prints it on first start; it is also in
<code>admin.token</code> in the data directory, or set by <code>COVE_ADMIN_TOKEN</code>.</p>
<form method="post" action="/admin/login">{csrf}
<label for="token">Admin token</label>
<input type="password" id="token" name="token" autocomplete="current-password" required autofocus>
<button type="submit" class="primary">Sign in</button></form></section>"#,
        csrf = csrf_field(login_csrf)
    );
    page(
        "Sign in",
        &Frame {
            nav: Nav::None,
            csrf: None,
            flash: None,
        },
        &body,
    )
}

/// A page for a refused or failed request: what went wrong and where to go next.
pub fn error_page(title: &str, message: &str, csrf: Option<&str>) -> String {
    let body = format!(
        r#"<section class="card narrow"><h1>{}</h1>{}<p><a href="/admin">Back to the plugins</a></p></section>"#,
        escape(title),
        banner("error", "alert", message)
    );
    page(
        title,
        &Frame {
            nav: Nav::None,
            csrf,
            flash: None,
        },
        &body,
    )
}

/// A status badge: `ok` (green), `warn` (amber) or `muted`.
pub fn badge(class: &str, text: &str) -> String {
    format!(r#"<span class="badge {class}">{}</span>"#, escape(text))
}

/// A table with a header row, or the empty-state sentence when there are no rows.
pub fn table(headers: &[&str], rows: &[String], empty: &str) -> String {
    if rows.is_empty() {
        return format!(r#"<p class="empty">{}</p>"#, escape(empty));
    }
    let head: String = headers
        .iter()
        .map(|h| format!("<th>{}</th>", escape(h)))
        .collect();
    format!(
        "<table><thead><tr>{head}</tr></thead><tbody>{}</tbody></table>",
        rows.concat()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup() {
        for (raw, escaped) in [
            ("plain text", "plain text"),
            (
                "<script>alert(1)</script>",
                "&lt;script&gt;alert(1)&lt;/script&gt;",
            ),
            (r#"" onmouseover="x"#, "&quot; onmouseover=&quot;x"),
            ("it's & co", "it&#39;s &amp; co"),
            ("&lt;", "&amp;lt;"),
            ("émoji ✓", "émoji ✓"),
        ] {
            assert_eq!(escape(raw), escaped, "{raw}");
        }
    }

    #[test]
    fn every_form_carries_the_csrf_token() {
        let form = post_button(
            "/admin/x",
            "tok\"en",
            &[("grant", "net <a>")],
            "Go",
            "primary",
        );
        assert!(
            form.contains(r#"name="csrf" value="tok&quot;en""#),
            "{form}"
        );
        assert!(form.contains(r#"value="net &lt;a&gt;""#), "{form}");
        assert!(form.starts_with(r#"<form method="post" action="/admin/x""#));
        let login = login_page("L1", Some("<b>wrong</b>"));
        assert!(login.contains(r#"name="csrf" value="L1""#));
        assert!(login.contains("&lt;b&gt;wrong&lt;/b&gt;"));
    }

    #[test]
    fn pages_have_no_inline_script_or_style() {
        let html = page(
            "t<i>",
            &Frame {
                nav: Nav::Plugins,
                csrf: Some("c"),
                flash: Some(Flash {
                    ok: false,
                    text: "<script>x</script>".into(),
                }),
            },
            "",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("style="), "{html}");
        assert!(html.contains("<title>t&lt;i&gt; · Cove admin</title>"));
        assert!(html.contains(r#"<a href="/admin" aria-current="page">Plugins</a>"#));
        assert_eq!(
            table(&["a"], &[], "Nothing here yet."),
            r#"<p class="empty">Nothing here yet.</p>"#
        );
    }
}
