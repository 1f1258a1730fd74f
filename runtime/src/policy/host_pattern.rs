//! Host patterns of `net` grants: parsed once, matched against a [`Target`] without allocating.
//!
//! A pattern's host goes through the same normalization as a target's ([`Host::parse`]), so
//! `API.GitHub.com.`, `bücher.example` and `0x0a.1.2.3` in a grant mean `api.github.com`,
//! `xn--bcher-kva.example` and `10.1.2.3`. See the [module table](super) for the accepted
//! forms and the order of checks.

use std::fmt;
use std::net::IpAddr;

use super::address::{CidrError, IpCidr};
use super::target::{Host, HostError, Scheme, Target, parse_port, split_host_port};

/// Why a `net` host pattern was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("the host pattern is empty; expected a host such as `api.example.com`")]
    Empty,
    #[error(
        "`*` alone would allow every host; name them, e.g. `api.example.com` or `*.example.com`"
    )]
    TooBroad,
    #[error("spaces and control characters are not allowed in a host pattern")]
    Whitespace,
    #[error("scheme `{0}://` is not supported; use `https://` (the default) or `http://`")]
    UnsupportedScheme(String),
    #[error(
        "`user@` is not allowed in a host pattern; grant credentials with `secret NAME --inject`"
    )]
    Userinfo,
    #[error("a host pattern names a host, not a path: remove `/{0}`")]
    Path(String),
    #[error("`?` and `#` (query, fragment) are not allowed in a host pattern")]
    Query,
    #[error("`*` may only be the whole first label, as in `*.example.com`")]
    MisplacedWildcard,
    /// There is no public suffix list here, so a one-label suffix is the line we can draw:
    /// `*.com` or `*.internal` is almost certainly a mistake.
    #[error(
        "`*.{0}` would cover a whole top-level domain; name at least two labels, as in `*.example.com`"
    )]
    WildcardTooBroad(String),
    #[error("`*.` cannot precede an IP address; name a network instead, as in `10.0.0.0/8`")]
    WildcardOnAddress,
    /// The address form of `*`: a grant that names every address would also name loopback,
    /// the office network and the metadata service.
    #[error("`{0}` would allow every address; name a smaller network, as in `10.0.0.0/8`")]
    EveryAddress(String),
    #[error("port `{0}` is not a number from 1 to 65535")]
    InvalidPort(String),
    #[error(
        "`{0}` is not a network; expected a full address and a prefix length, as in `10.0.0.0/8` or `fd00::/8`"
    )]
    InvalidCidr(String),
    #[error(transparent)]
    Cidr(#[from] CidrError),
    #[error(transparent)]
    Host(#[from] HostError),
}

/// What a pattern says about the host; scheme and port are matched separately.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum HostMatcher {
    /// `api.example.com`: that name only.
    Exact(String),
    /// `*.example.com`, stored as `.example.com`: names ending in it, with at least one label
    /// before it (so not `example.com`, and not `evilexample.com`).
    Subdomains { dotted_suffix: String },
    /// `10.1.2.3`, `[fd00::1]`.
    Address(IpAddr),
    /// `10.0.0.0/8`, `fd00::/8`.
    Network(IpCidr),
}

/// One parsed `net` pattern: scheme, host matcher and port. See the [module table](super).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostPattern {
    scheme: Scheme,
    host: HostMatcher,
    port: u16,
}

impl HostPattern {
    /// Parses a pattern; the checks run in the order listed in the [module docs](super).
    pub fn parse(input: &str) -> Result<Self, PatternError> {
        reject_non_host_syntax(input)?;
        let (scheme, authority) = match input.split_once("://") {
            Some((scheme, rest)) => {
                let scheme = Scheme::parse(scheme)
                    .ok_or_else(|| PatternError::UnsupportedScheme(scheme.to_owned()))?;
                (scheme, rest)
            }
            None => (Scheme::Https, input),
        };
        let (host, port_text) = parse_authority(authority)?;
        let port = match port_text {
            None => scheme.default_port(),
            Some(text) => {
                parse_port(text).ok_or_else(|| PatternError::InvalidPort(text.to_owned()))?
            }
        };
        Ok(Self { scheme, host, port })
    }

    /// The pattern that allows exactly `target` (used to suggest a grant after a denial).
    pub fn exactly(target: &Target) -> Self {
        let host = match &target.host {
            Host::Domain(domain) => HostMatcher::Exact(domain.clone()),
            Host::Ip(ip) => HostMatcher::Address(ip.to_canonical()),
        };
        Self {
            scheme: target.scheme,
            host,
            port: target.port,
        }
    }

    /// The pattern that allows exactly `ip` on `target`'s scheme and port.
    pub fn address_on(target: &Target, ip: IpAddr) -> Self {
        Self {
            scheme: target.scheme,
            host: HostMatcher::Address(ip.to_canonical()),
            port: target.port,
        }
    }

    pub const fn scheme(&self) -> Scheme {
        self.scheme
    }

    pub const fn port(&self) -> u16 {
        self.port
    }

    /// Whether a request to `target` is allowed by this pattern: same scheme, same port, and
    /// the host matches. Domain patterns never match IP targets and vice versa.
    pub fn matches(&self, target: &Target) -> bool {
        self.scheme == target.scheme && self.port == target.port && self.matches_host(&target.host)
    }

    fn matches_host(&self, host: &Host) -> bool {
        match (&self.host, host) {
            (HostMatcher::Exact(name), Host::Domain(domain)) => name == domain,
            // The length check is belt and braces: a normalized host never starts with a dot.
            (HostMatcher::Subdomains { dotted_suffix }, Host::Domain(domain)) => {
                domain.len() > dotted_suffix.len() && domain.ends_with(dotted_suffix.as_str())
            }
            (HostMatcher::Address(_) | HostMatcher::Network(_), Host::Ip(ip)) => {
                self.names_address(*ip)
            }
            _ => false,
        }
    }

    /// Whether this pattern is an IP literal or CIDR containing `ip` (scheme and port are not
    /// considered). Private addresses are reachable only when a pattern names them this way.
    pub fn names_address(&self, ip: IpAddr) -> bool {
        match &self.host {
            HostMatcher::Address(address) => *address == ip.to_canonical(),
            HostMatcher::Network(network) => network.contains(ip),
            HostMatcher::Exact(_) | HostMatcher::Subdomains { .. } => false,
        }
    }

    /// Whether this pattern is the IP literal `ip` itself (not a CIDR around it).
    pub fn names_exact_address(&self, ip: IpAddr) -> bool {
        matches!(&self.host, HostMatcher::Address(address) if *address == ip.to_canonical())
    }
}

/// Steps 1 and 3 of the order of checks: things that are never part of a host pattern.
fn reject_non_host_syntax(input: &str) -> Result<(), PatternError> {
    if input.is_empty() {
        return Err(PatternError::Empty);
    }
    if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(PatternError::Whitespace);
    }
    let after_scheme = input.split_once("://").map_or(input, |(_, rest)| rest);
    if after_scheme.contains('@') {
        return Err(PatternError::Userinfo);
    }
    if after_scheme.contains(['?', '#']) {
        return Err(PatternError::Query);
    }
    Ok(())
}

/// Splits the authority of a pattern into its host matcher and port text.
fn parse_authority(authority: &str) -> Result<(HostMatcher, Option<&str>), PatternError> {
    if !authority.starts_with('[')
        && let Some((address, after_slash)) = authority.split_once('/')
    {
        return parse_unbracketed_network(address, after_slash);
    }
    let (host, port) = split_host_port(authority)?;
    let matcher = match host
        .strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
    {
        Some(inner) if inner.contains('/') => HostMatcher::Network(parse_network(inner)?),
        _ => parse_host_matcher(host)?,
    };
    Ok((matcher, port))
}

/// `10.0.0.0/8`, `10.0.0.0/8:8443`, `fd00::/8` (an IPv6 network with a port needs brackets).
fn parse_unbracketed_network<'a>(
    address: &str,
    after_slash: &'a str,
) -> Result<(HostMatcher, Option<&'a str>), PatternError> {
    let (prefix_len, port) = match after_slash.split_once(':') {
        Some((prefix_len, port)) => (prefix_len, Some(port)),
        None => (after_slash, None),
    };
    if prefix_len.is_empty() || !prefix_len.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PatternError::Path(after_slash.to_owned()));
    }
    if address.contains(':') && port.is_some() {
        return Err(HostError::Ipv6NeedsBrackets.into());
    }
    let network = parse_network(&format!("{address}/{prefix_len}"))?;
    Ok((HostMatcher::Network(network), port))
}

/// `address/prefix_len` with a strictly written address (`10/8` is refused rather than read
/// as `0.0.0.10/8` the way URL parsing would).
fn parse_network(text: &str) -> Result<IpCidr, PatternError> {
    let invalid = || PatternError::InvalidCidr(text.to_owned());
    let (address, prefix_len) = text.split_once('/').ok_or_else(invalid)?;
    let address: IpAddr = address.parse().map_err(|_| invalid())?;
    let all_digits = !prefix_len.is_empty()
        && prefix_len.len() <= 3
        && prefix_len.bytes().all(|b| b.is_ascii_digit());
    let prefix_len: u8 = all_digits
        .then(|| prefix_len.parse().ok())
        .flatten()
        .ok_or_else(invalid)?;
    if prefix_len == 0 {
        return Err(PatternError::EveryAddress(text.to_owned()));
    }
    Ok(IpCidr::new(address, prefix_len)?)
}

fn parse_host_matcher(host: &str) -> Result<HostMatcher, PatternError> {
    if host == "*" {
        return Err(PatternError::TooBroad);
    }
    if let Some(suffix) = host.strip_prefix("*.") {
        return parse_subdomains(suffix);
    }
    if host.contains('*') {
        return Err(PatternError::MisplacedWildcard);
    }
    Ok(match Host::parse(host)? {
        Host::Domain(domain) => HostMatcher::Exact(domain),
        Host::Ip(ip) => HostMatcher::Address(ip),
    })
}

fn parse_subdomains(suffix: &str) -> Result<HostMatcher, PatternError> {
    if suffix.contains('*') {
        return Err(PatternError::MisplacedWildcard);
    }
    match Host::parse(suffix)? {
        Host::Ip(_) => Err(PatternError::WildcardOnAddress),
        Host::Domain(domain) if !domain.contains('.') => {
            Err(PatternError::WildcardTooBroad(domain))
        }
        Host::Domain(domain) => Ok(HostMatcher::Subdomains {
            dotted_suffix: format!(".{domain}"),
        }),
    }
}

impl fmt::Display for HostPattern {
    /// The canonical form, which parses back to an equal pattern: `http://` only for http,
    /// `:port` only when it is not the scheme's default.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.scheme == Scheme::Http {
            f.write_str("http://")?;
        }
        let default_port = self.port == self.scheme.default_port();
        match &self.host {
            HostMatcher::Exact(domain) => f.write_str(domain)?,
            HostMatcher::Subdomains { dotted_suffix } => write!(f, "*{dotted_suffix}")?,
            HostMatcher::Address(IpAddr::V4(v4)) => write!(f, "{v4}")?,
            HostMatcher::Address(IpAddr::V6(v6)) => write!(f, "[{v6}]")?,
            HostMatcher::Network(network) if network.network().is_ipv6() && !default_port => {
                write!(f, "[{network}]")?
            }
            HostMatcher::Network(network) => write!(f, "{network}")?,
        }
        if !default_port {
            write!(f, ":{}", self.port)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> Target {
        let (scheme, authority) = url.split_once("://").expect("test row has a scheme");
        Target::from_uri_parts(scheme, authority).expect("test row is a valid target")
    }

    /// (pattern, target URL, allowed)
    const MATCH_ROWS: &[(&str, &str, bool)] = &[
        // exact host, https and 443 by default
        ("api.github.com", "https://api.github.com", true),
        ("api.github.com", "https://api.github.com:443", true),
        ("api.github.com", "https://API.GitHub.COM", true),
        ("api.github.com", "https://api.github.com.", true),
        ("API.GITHUB.COM.", "https://api.github.com", true),
        ("api.github.com", "http://api.github.com", false),
        ("api.github.com", "https://api.github.com:8443", false),
        ("api.github.com", "http://api.github.com:443", false),
        ("api.github.com", "https://github.com", false),
        ("api.github.com", "https://x.api.github.com", false),
        ("api.github.com", "https://api.github.com.evil.net", false),
        ("api.github.com", "https://evilapi.github.com", false),
        // wildcard: any depth, never the bare suffix or a look-alike
        ("*.example.com", "https://a.example.com", true),
        ("*.example.com", "https://a.b.c.example.com", true),
        ("*.example.com", "https://A.EXAMPLE.COM.", true),
        ("*.example.com", "https://example.com", false),
        ("*.example.com", "https://evilexample.com", false),
        ("*.example.com", "https://a.evilexample.com", false),
        ("*.example.com", "https://example.com.evil.net", false),
        ("*.example.com", "https://a.example.com.evil.net", false),
        ("*.example.com", "https://a.example.com:8443", false),
        ("*.example.com", "http://a.example.com", false),
        ("*.example.com:8443", "https://a.example.com:8443", true),
        ("*.example.com:8443", "https://a.example.com", false),
        // ports and schemes
        ("api.example.com:8443", "https://api.example.com:8443", true),
        ("api.example.com:8443", "https://api.example.com", false),
        ("http://api.example.com", "http://api.example.com:80", true),
        ("http://api.example.com", "https://api.example.com", false),
        (
            "http://api.example.com",
            "http://api.example.com:8080",
            false,
        ),
        (
            "http://api.example.com:8080",
            "http://api.example.com:8080",
            true,
        ),
        (
            "https://api.example.com:8443",
            "https://api.example.com:8443",
            true,
        ),
        ("HTTPS://api.example.com", "https://api.example.com", true),
        // IDNA: unicode and punycode are the same name
        ("bücher.example", "https://xn--bcher-kva.example", true),
        ("xn--bcher-kva.example", "https://BÜCHER.example", true),
        (
            "*.bücher.example",
            "https://shop.xn--bcher-kva.example",
            true,
        ),
        ("bücher.example", "https://bucher.example", false),
        ("*.example.com", "https://a.example\u{3002}com", true), // ideographic full stop
        ("api.example.com", "https://\u{ff41}pi.example.com", true), // fullwidth a
        // IPv4 literals in every spelling
        ("127.0.0.1", "https://127.0.0.1", true),
        ("127.0.0.1", "https://127.1", true),
        ("127.0.0.1", "https://0x7f.0.0.1", true),
        ("127.0.0.1", "https://0x7f.1", true),
        ("127.0.0.1", "https://2130706433", true),
        ("127.0.0.1", "https://017700000001", true),
        ("127.0.0.1", "https://0177.0.0.01", true),
        ("127.0.0.1", "https://127.0.0.1.", true),
        ("127.0.0.1", "https://[::ffff:127.0.0.1]", true),
        ("127.0.0.1", "https://[::ffff:7f00:1]", true),
        ("127.0.0.1", "https://127.0.0.2", false),
        ("127.0.0.1", "https://[::1]", false),
        ("127.0.0.1", "https://127.0.0.1:8443", false),
        ("0x7f.1", "https://127.0.0.1", true),
        ("[::ffff:10.0.0.1]", "https://10.0.0.1", true),
        ("10.1.2.3:8080", "https://10.1.2.3:8080", true),
        ("http://10.1.2.3:8080", "http://10.1.2.3:8080", true),
        ("10.1.2.3", "https://10.1.2.3.example.com", false),
        // IPv6 literals
        ("[fd00::1]", "https://[fd00::1]", true),
        ("[fd00::1]", "https://[FD00:0:0::1]", true),
        ("[fd00::1]", "https://[fd00::2]", false),
        ("[fd00::1]:8443", "https://[fd00::1]:8443", true),
        ("[fd00::1]:8443", "https://[fd00::1]", false),
        ("[::1]", "https://[::1]", true),
        ("[::1]", "https://127.0.0.1", false),
        // CIDRs
        ("10.0.0.0/8", "https://10.200.3.4", true),
        ("10.0.0.0/8", "https://10.1", true),
        ("10.0.0.0/8", "https://167772161", true),
        ("10.0.0.0/8", "https://[::ffff:10.9.9.9]", true),
        ("10.0.0.0/8", "https://11.0.0.0", false),
        ("10.0.0.0/8", "https://9.255.255.255", false),
        ("10.0.0.0/8", "http://10.0.0.1", false),
        ("10.0.0.0/8", "https://ten.example.com", false),
        ("10.0.0.0/8:8443", "https://10.0.0.1:8443", true),
        ("10.0.0.0/8:8443", "https://10.0.0.1", false),
        (
            "http://192.168.0.0/16:8080",
            "http://192.168.7.7:8080",
            true,
        ),
        ("fd00::/8", "https://[fd12::1]", true),
        ("fd00::/8", "https://[fc00::1]", false),
        ("[fd00::/8]:8443", "https://[fd12::1]:8443", true),
        ("[fd00::/8]:8443", "https://[fd12::1]", false),
    ];

    #[test]
    fn patterns_match_targets() {
        for (pattern, url, allowed) in MATCH_ROWS {
            let parsed = HostPattern::parse(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
            assert_eq!(parsed.matches(&target(url)), *allowed, "{pattern} vs {url}");
        }
    }

    /// (pattern, canonical Display); the canonical form must parse to the same pattern.
    const CANONICAL_ROWS: &[(&str, &str)] = &[
        ("api.github.com", "api.github.com"),
        ("https://API.GitHub.com.", "api.github.com"),
        ("api.github.com:443", "api.github.com"),
        ("https://api.github.com:8443", "api.github.com:8443"),
        ("http://api.example.com", "http://api.example.com"),
        ("HTTP://api.example.com:80", "http://api.example.com"),
        ("http://api.example.com:443", "http://api.example.com:443"),
        ("*.Example.COM", "*.example.com"),
        ("*.example.com:8443", "*.example.com:8443"),
        ("*.bücher.example", "*.xn--bcher-kva.example"),
        ("münchen.de", "xn--mnchen-3ya.de"),
        ("my_host.example.com", "my_host.example.com"),
        ("10.1.2.3", "10.1.2.3"),
        ("0x0a.1.2.3", "10.1.2.3"),
        ("10.1.2.3:8080", "10.1.2.3:8080"),
        ("[FD00:0::1]", "[fd00::1]"),
        ("[fd00::1]:8443", "[fd00::1]:8443"),
        ("[::ffff:192.168.0.1]", "192.168.0.1"),
        ("10.0.0.0/8", "10.0.0.0/8"),
        ("10.0.0.0/8:8443", "10.0.0.0/8:8443"),
        ("http://10.0.0.0/8", "http://10.0.0.0/8"),
        ("fd00::/8", "fd00::/8"),
        ("[fd00::/8]", "fd00::/8"),
        ("[fd00::/8]:8443", "[fd00::/8]:8443"),
        ("http://[fd00::/8]:80", "http://fd00::/8"),
    ];

    #[test]
    fn display_is_canonical_and_round_trips() {
        for (input, canonical) in CANONICAL_ROWS {
            let parsed = HostPattern::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(parsed.to_string(), *canonical, "{input}");
            assert_eq!(
                HostPattern::parse(canonical),
                Ok(parsed),
                "{canonical} round trip"
            );
        }
    }

    #[test]
    fn refused_pattern_syntax_says_why() {
        use PatternError as P;
        let rows: Vec<(&str, PatternError)> = vec![
            ("", P::Empty),
            ("*", P::TooBroad),
            ("*:443", P::TooBroad),
            ("https://*", P::TooBroad),
            ("api.example.com ", P::Whitespace),
            ("api example.com", P::Whitespace),
            ("api.example.com\n", P::Whitespace),
            (
                "ftp://files.example.com",
                P::UnsupportedScheme("ftp".into()),
            ),
            ("ws://example.com", P::UnsupportedScheme("ws".into())),
            ("user@api.example.com", P::Userinfo),
            ("https://user:pass@api.example.com", P::Userinfo),
            ("api.example.com/repos", P::Path("repos".into())),
            ("api.example.com/", P::Path(String::new())),
            ("api.example.com:8443/x", P::Path("x".into())),
            ("10.0.0.0/8/x", P::Path("8/x".into())),
            ("api.example.com?x=1", P::Query),
            ("api.example.com#top", P::Query),
            ("api.*.example.com", P::MisplacedWildcard),
            ("*example.com", P::MisplacedWildcard),
            ("*.*.example.com", P::MisplacedWildcard),
            ("a*.example.com", P::MisplacedWildcard),
            ("*.com", P::WildcardTooBroad("com".into())),
            ("*.internal.", P::WildcardTooBroad("internal".into())),
            ("*.10.0.0.1", P::WildcardOnAddress),
            ("api.example.com:0", P::InvalidPort("0".into())),
            ("api.example.com:65536", P::InvalidPort("65536".into())),
            ("api.example.com:", P::InvalidPort(String::new())),
            ("api.example.com:https", P::InvalidPort("https".into())),
            ("api.example.com:+443", P::InvalidPort("+443".into())),
            ("10/8", P::InvalidCidr("10/8".into())),
            ("010.0.0.0/8", P::InvalidCidr("010.0.0.0/8".into())),
            ("example.com/24", P::InvalidCidr("example.com/24".into())),
            ("10.0.0.0/1000", P::InvalidCidr("10.0.0.0/1000".into())),
            ("0.0.0.0/0", P::EveryAddress("0.0.0.0/0".into())),
            ("::/0", P::EveryAddress("::/0".into())),
            ("[::/0]:8443", P::EveryAddress("::/0".into())),
        ];
        for (input, expected) in rows {
            assert_eq!(HostPattern::parse(input), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn refused_pattern_hosts_say_why() {
        use HostError as H;
        use PatternError as P;
        let invalid = |host: &str| {
            P::Host(H::Invalid {
                host: host.into(),
                reason: "invalid IPv4 address".into(),
            })
        };
        let rows: Vec<(&str, PatternError)> = vec![
            ("[fd00::1]/x", P::Host(H::AfterBracket("/x".into()))),
            ("*.", P::Host(H::Empty)),
            ("fd00::/8:443", P::Host(H::Ipv6NeedsBrackets)),
            ("fd00::1", P::Host(H::Ipv6NeedsBrackets)),
            ("[fd00::1", P::Host(H::UnclosedBracket("[fd00::1".into()))),
            ("[fe80::1%eth0]", P::Host(H::ZoneId)),
            ("%61pi.example.com", P::Host(H::PercentEncoded)),
            (
                "a..example.com",
                P::Host(H::EmptyLabel("a..example.com".into())),
            ),
            (
                ".example.com",
                P::Host(H::EmptyLabel(".example.com".into())),
            ),
            (
                "example.com..",
                P::Host(H::EmptyLabel("example.com..".into())),
            ),
            (
                "*.example..com",
                P::Host(H::EmptyLabel("example..com".into())),
            ),
            ("256.0.0.1", invalid("256.0.0.1")),
            ("1.2.3.4.5", invalid("1.2.3.4.5")),
            ("api!.example.com", P::Host(H::BadCharacter('!'))),
        ];
        for (input, expected) in rows {
            assert_eq!(HostPattern::parse(input), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn cidr_errors_come_from_ip_cidr() {
        let got = HostPattern::parse("10.1.2.3/8").map_err(|e| e.to_string());
        assert_eq!(
            got,
            Err("10.1.2.3/8 has bits set after the prefix; the network is 10.0.0.0/8".into())
        );
        assert!(matches!(
            HostPattern::parse("10.0.0.0/33"),
            Err(PatternError::Cidr(CidrError::PrefixTooLong { .. }))
        ));
    }

    #[test]
    fn names_address_only_for_ip_patterns() {
        let rows: &[(&str, &str, bool)] = &[
            ("10.1.2.3", "10.1.2.3", true),
            ("10.1.2.3", "::ffff:10.1.2.3", true),
            ("10.1.2.3", "10.1.2.4", false),
            ("10.1.2.3:8080", "10.1.2.3", true),
            ("10.0.0.0/8", "10.9.9.9", true),
            ("10.0.0.0/8", "::ffff:10.9.9.9", true),
            ("10.0.0.0/8", "172.16.0.1", false),
            ("[fd00::1]", "fd00::1", true),
            ("fd00::/8", "fd00:ec2::254", true),
            ("169.254.169.254", "169.254.169.254", true),
            ("localhost", "127.0.0.1", false),
            ("*.example.com", "10.0.0.1", false),
            ("metadata.google.internal", "169.254.169.254", false),
        ];
        for (pattern, ip, expected) in rows {
            let parsed = HostPattern::parse(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
            let ip: IpAddr = ip.parse().expect("test row is an address");
            assert_eq!(parsed.names_address(ip), *expected, "{pattern} names {ip}");
        }
    }

    #[test]
    fn exact_pattern_for_a_target_matches_it() {
        for url in [
            "https://a.example.com",
            "http://10.0.0.1:8080",
            "https://[fd00::1]:8443",
            "http://x.y:80",
        ] {
            let target = target(url);
            let pattern = HostPattern::exactly(&target);
            assert!(pattern.matches(&target), "{url}");
            assert_eq!(
                HostPattern::parse(&pattern.to_string()),
                Ok(pattern),
                "{url}"
            );
        }
    }
}
