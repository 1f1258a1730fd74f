//! The grants in force for one plugin, and the questions egress, secrets and chat ask of them.
//!
//! Build a [`GrantSet`] from the grants stored for the plugin *at the moment of use* (each
//! request, each secret read), so a revoke takes effect on the next call. See the
//! [module docs](super) for the order of checks on an outgoing request.

use std::net::IpAddr;

use super::address::{blocked_reason, reason};
use super::grants::{Grant, HeaderTemplate, shell_quote};
use super::host_pattern::HostPattern;
use super::target::Target;

/// The grants in force for one plugin, as loaded at the moment of use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GrantSet {
    grants: Vec<Grant>,
}

impl From<Vec<Grant>> for GrantSet {
    fn from(grants: Vec<Grant>) -> Self {
        Self { grants }
    }
}

impl FromIterator<Grant> for GrantSet {
    fn from_iter<I: IntoIterator<Item = Grant>>(grants: I) -> Self {
        Self {
            grants: grants.into_iter().collect(),
        }
    }
}

impl GrantSet {
    pub fn new(grants: Vec<Grant>) -> Self {
        Self { grants }
    }

    pub fn grants(&self) -> &[Grant] {
        &self.grants
    }

    /// Patterns that let the plugin reach a host: `net` grants and `inject` grants.
    fn reachable_patterns(&self) -> impl Iterator<Item = &HostPattern> {
        self.grants.iter().filter_map(|grant| match grant {
            Grant::Net(pattern) | Grant::Inject { host: pattern, .. } => Some(pattern),
            _ => None,
        })
    }

    /// The first `net` or `inject` pattern that allows a request to `target`, for the audit log.
    pub fn allows_target(&self, target: &Target) -> Option<&HostPattern> {
        self.reachable_patterns()
            .find(|pattern| pattern.matches(target))
    }

    /// Whether a grant on `target`'s scheme and port names `ip` by address or CIDR.
    ///
    /// The scheme and port must match too: `net 10.0.0.5:8080` lets a name resolve to
    /// 10.0.0.5 on port 8080, not on 443. A cloud metadata address must be named exactly
    /// (`net 169.254.169.254`): granting `169.254.0.0/16` for a device, or `fd00::/8` for the
    /// office, must not hand out the cloud credentials behind it as a side effect.
    pub fn names_address(&self, target: &Target, ip: IpAddr) -> bool {
        let is_metadata = blocked_reason(ip) == Some(reason::CLOUD_METADATA);
        self.reachable_patterns().any(|pattern| {
            let named = if is_metadata {
                pattern.names_exact_address(ip)
            } else {
                pattern.names_address(ip)
            };
            named && pattern.scheme() == target.scheme && pattern.port() == target.port
        })
    }

    /// Why egress must not connect to `ip` (an address `target` resolved to, or the target's
    /// own IP literal), or `None` when it may: public, or named by a grant.
    pub fn refuses_address(&self, target: &Target, ip: IpAddr) -> Option<&'static str> {
        blocked_reason(ip).filter(|_| !self.names_address(target, ip))
    }

    /// Only plain `secret` grants: an inject-only secret never reaches the plugin.
    pub fn secret_readable(&self, name: &str) -> bool {
        self.grants
            .iter()
            .any(|grant| matches!(grant, Grant::Secret { name: granted } if granted == name))
    }

    /// The secrets (by name) and headers egress adds to a request to `target`.
    pub fn injections_for<'a>(
        &'a self,
        target: &'a Target,
    ) -> impl Iterator<Item = (&'a str, &'a HeaderTemplate)> {
        self.grants.iter().filter_map(move |grant| match grant {
            Grant::Inject { name, host, header } if host.matches(target) => {
                Some((name.as_str(), header))
            }
            _ => None,
        })
    }

    /// Whether the plugin may post to `channel` (name or id, with or without `#`, any case).
    pub fn posts_to(&self, channel: &str) -> bool {
        let channel = channel.strip_prefix('#').unwrap_or(channel);
        self.grants.iter().any(
            |grant| matches!(grant, Grant::Post(granted) if granted.eq_ignore_ascii_case(channel)),
        )
    }

    pub fn receives_webhook(&self, name: &str) -> bool {
        self.grants
            .iter()
            .any(|grant| matches!(grant, Grant::Webhook(granted) if granted == name))
    }

    pub fn schedules(&self) -> impl Iterator<Item = &str> {
        self.grants.iter().filter_map(|grant| match grant {
            Grant::Schedule(cron) => Some(cron.as_str()),
            _ => None,
        })
    }
}

/// The admin command that would allow a request to `target` that no grant matched, e.g.
/// `cove grant http-check net status.example.com`.
pub fn suggest_net_grant(plugin: &str, target: &Target) -> String {
    let grant = Grant::Net(HostPattern::exactly(target));
    format!("cove grant {} {grant}", shell_quote(plugin))
}

/// The admin command that would let `target` reach `ip`, a refused address it resolved to,
/// e.g. `cove grant wiki net 10.1.2.3`.
pub fn suggest_address_grant(plugin: &str, target: &Target, ip: IpAddr) -> String {
    let grant = Grant::Net(HostPattern::address_on(target, ip));
    format!("cove grant {} {grant}", shell_quote(plugin))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(scheme: &str, authority: &str) -> Target {
        Target::from_uri_parts(scheme, authority).expect("test row is a valid target")
    }

    fn grants(lines: &[&str]) -> GrantSet {
        let parse = |line: &&str| {
            let words = shlex::split(line).expect("test line splits");
            Grant::parse(&words).unwrap_or_else(|e| panic!("{line}: {e}"))
        };
        lines.iter().map(parse).collect()
    }

    fn example_set() -> GrantSet {
        grants(&[
            "net api.github.com",
            "net '*.example.com'",
            "net http://10.0.0.0/8:8080",
            "net intranet.corp",
            "net 192.168.1.10",
            "net 169.254.0.0/16",
            "net fd00::/8",
            "net 100.64.0.0/10",
            "net http://169.254.169.254",
            "secret PLAIN",
            "secret GH_TOKEN --inject api.github.com",
            "secret STATUS_KEY --inject status.io --header 'X-Key: {}'",
            "secret WIKI --inject '*.example.com' --header 'X-Wiki: {}'",
            "post '#Ops'",
            "webhook deploy-done",
            "schedule '0 9 * * 1-5'",
        ])
    }

    #[test]
    fn allows_targets_matching_net_and_inject_grants() {
        let set = example_set();
        let rows: &[(&str, &str, Option<&str>)] = &[
            ("https", "api.github.com", Some("api.github.com")),
            ("https", "a.b.example.com", Some("*.example.com")),
            ("https", "status.io", Some("status.io")), // through its inject grant only
            ("http", "10.1.2.3:8080", Some("http://10.0.0.0/8:8080")),
            ("https", "10.1.2.3", None),
            ("https", "example.com", None),
            ("http", "api.github.com", None),
            ("https", "api.github.com:8443", None),
            ("https", "evil.com", None),
        ];
        for (scheme, authority, expected) in rows {
            let got = set
                .allows_target(&target(scheme, authority))
                .map(ToString::to_string);
            assert_eq!(got.as_deref(), *expected, "{scheme}://{authority}");
        }
        assert_eq!(
            GrantSet::default().allows_target(&target("https", "api.github.com")),
            None
        );
    }

    #[test]
    fn refuses_private_addresses_unless_named_on_the_same_scheme_and_port() {
        let set = example_set();
        let rows: &[(&str, &str, &str, Option<&str>)] = &[
            ("https", "intranet.corp", "140.82.112.3", None),
            ("https", "intranet.corp", "127.0.0.1", Some("loopback")),
            ("https", "intranet.corp", "::1", Some("loopback")),
            (
                "https",
                "intranet.corp",
                "169.254.169.254",
                Some("cloud metadata"),
            ),
            ("https", "intranet.corp", "::ffff:10.0.0.1", Some("private")),
            ("https", "intranet.corp", "10.0.0.1", Some("private")), // 10/8 is named on http:8080
            ("http", "wiki.example.com:8080", "10.0.0.1", None),
            ("http", "wiki.example.com:8080", "::ffff:10.0.0.1", None),
            (
                "http",
                "wiki.example.com:8080",
                "172.16.0.1",
                Some("private"),
            ),
            ("https", "intranet.corp", "192.168.1.10", None),
            ("https", "intranet.corp", "192.168.1.11", Some("private")),
            ("https", "192.168.1.10", "192.168.1.10", None),
            // metadata only when named exactly, never through a CIDR around it
            ("https", "x.corp", "169.254.169.254", Some("cloud metadata")),
            ("https", "x.corp", "169.254.1.1", None),
            ("https", "x.corp", "fd00:ec2::254", Some("cloud metadata")),
            ("https", "x.corp", "fd00:ec2::253", None),
            ("https", "x.corp", "100.100.100.200", Some("cloud metadata")),
            ("https", "x.corp", "100.100.100.199", None),
            ("http", "metadata.internal", "169.254.169.254", None),
            ("http", "metadata.internal", "::ffff:169.254.169.254", None),
            (
                "https",
                "metadata.internal",
                "169.254.169.254",
                Some("cloud metadata"),
            ),
        ];
        for (scheme, authority, ip, expected) in rows {
            let ip: IpAddr = ip.parse().expect("test row is an address");
            let got = set.refuses_address(&target(scheme, authority), ip);
            assert_eq!(got, *expected, "{scheme}://{authority} -> {ip}");
        }
    }

    #[test]
    fn secrets_posts_and_events() {
        let set = example_set();
        assert!(set.secret_readable("PLAIN"));
        assert!(
            !set.secret_readable("GH_TOKEN"),
            "inject-only secrets are not readable"
        );
        assert!(!set.secret_readable("plain"));
        assert!(!set.secret_readable("OTHER"));
        for channel in ["ops", "#ops", "OPS", "#Ops"] {
            assert!(set.posts_to(channel), "{channel}");
        }
        assert!(!set.posts_to("general"));
        assert!(!set.posts_to("ops-2"));
        assert!(set.receives_webhook("deploy-done"));
        assert!(!set.receives_webhook("deploy"));
        assert_eq!(set.schedules().collect::<Vec<_>>(), ["0 9 * * 1-5"]);
        assert!(!GrantSet::default().secret_readable("PLAIN"));
    }

    #[test]
    fn injections_follow_the_target() {
        let set = example_set();
        /// (scheme, authority, the secret and header injected)
        type Row<'a> = (&'a str, &'a str, Option<(&'a str, &'a str)>);
        let rows: &[Row] = &[
            (
                "https",
                "api.github.com",
                Some(("GH_TOKEN", "Authorization: Bearer {}")),
            ),
            ("https", "status.io", Some(("STATUS_KEY", "X-Key: {}"))),
            ("https", "docs.example.com", Some(("WIKI", "X-Wiki: {}"))),
            ("http", "api.github.com", None),
            ("https", "api.github.com:8443", None),
            ("https", "api.github.com.evil.net", None),
            ("https", "example.com", None),
        ];
        for (scheme, authority, expected) in rows {
            let target = target(scheme, authority);
            let got: Vec<(&str, String)> = set
                .injections_for(&target)
                .map(|(name, header)| (name, header.to_string()))
                .collect();
            let expected: Vec<(&str, String)> = expected
                .iter()
                .map(|(name, header)| (*name, (*header).to_owned()))
                .collect();
            assert_eq!(got, expected, "{scheme}://{authority}");
        }
    }

    #[test]
    fn suggestions_are_runnable_commands_that_allow_the_target() {
        let rows: &[(&str, &str, &str)] = &[
            ("https", "status.example.com", "net status.example.com"),
            ("https", "Status.Example.com.:443", "net status.example.com"),
            (
                "https",
                "status.example.com:8443",
                "net status.example.com:8443",
            ),
            (
                "http",
                "status.example.com",
                "net http://status.example.com",
            ),
            (
                "http",
                "status.example.com:8080",
                "net http://status.example.com:8080",
            ),
            ("https", "0x7f.1", "net 127.0.0.1"),
            ("https", "[fd00::1]:8443", "net '[fd00::1]:8443'"),
        ];
        for (scheme, authority, expected) in rows {
            let target = target(scheme, authority);
            let suggestion = suggest_net_grant("http-check", &target);
            assert_eq!(suggestion, format!("cove grant http-check {expected}"));
            let words = shlex::split(&suggestion).expect("suggestion splits");
            let set = GrantSet::new(vec![Grant::parse(&words[3..]).expect("suggestion parses")]);
            assert!(
                set.allows_target(&target).is_some(),
                "{suggestion} allows {target}"
            );
        }
    }

    #[test]
    fn address_suggestion_names_the_refused_address_on_the_target_port() {
        let target = target("http", "wiki.corp:8080");
        let ip: IpAddr = "::ffff:10.1.2.3".parse().expect("an address");
        let suggestion = suggest_address_grant("wiki bot", &target, ip);
        assert_eq!(suggestion, "cove grant 'wiki bot' net http://10.1.2.3:8080");
        let words = shlex::split(&suggestion).expect("suggestion splits");
        let set = GrantSet::new(vec![Grant::parse(&words[3..]).expect("suggestion parses")]);
        assert_eq!(set.refuses_address(&target, ip), None);
    }
}
