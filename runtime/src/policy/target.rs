//! The normalized [`Target`] of an outgoing request, and the host normalization it shares
//! with [`HostPattern`](super::HostPattern).
//!
//! Patterns and targets go through the same normalization ([`Host::parse`]): lower case, one
//! trailing dot dropped, unicode names turned into punycode (IDNA, via `url`), and every
//! spelling of an IP address the WHATWG URL rules accept (`127.1`, `0x7f.0.0.1`, `2130706433`,
//! `017700000001`, `[::ffff:127.0.0.1]`) turned into the one address it means, IPv4-mapped
//! IPv6 becoming plain IPv4. So a pattern and a target that name the same place compare equal
//! however either was spelled, and a check cannot be dodged by respelling the address.
//!
//! Egress should connect to the normalized host (and the addresses it checked), never re-parse
//! the raw authority: that is how the checked destination and the real one stay the same.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

/// The scheme of an outgoing request: only HTTP(S) leaves the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    /// `http` or `https` in any letter case; anything else is `None`.
    pub fn parse(scheme: &str) -> Option<Self> {
        if scheme.eq_ignore_ascii_case("https") {
            Some(Self::Https)
        } else if scheme.eq_ignore_ascii_case("http") {
            Some(Self::Http)
        } else {
            None
        }
    }

    pub const fn default_port(self) -> u16 {
        match self {
            Self::Http => 80,
            Self::Https => 443,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A normalized host: an ASCII domain name (lower case, punycode, no trailing dot, no empty
/// label) or an IP address (IPv4-mapped IPv6 already turned into IPv4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    Domain(String),
    Ip(IpAddr),
}

/// Why a host (or a host and port) could not be normalized.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error("the host is empty")]
    Empty,
    #[error("character {0:?} is not allowed in a host name")]
    BadCharacter(char),
    /// Refused outright: valid host names never need it, and decoding it is a classic way to
    /// make the checked name differ from the one that is resolved.
    #[error("percent-encoded hosts are not accepted")]
    PercentEncoded,
    #[error("IPv6 zone identifiers (`%eth0`) are not accepted")]
    ZoneId,
    #[error("`{0}` has an empty label (a leading dot or two dots in a row)")]
    EmptyLabel(String),
    #[error("IPv6 addresses go in brackets, as in `[fd00::1]` or `[fd00::1]:8443`")]
    Ipv6NeedsBrackets,
    #[error("`{0}` opens a `[` that is never closed")]
    UnclosedBracket(String),
    #[error("unexpected `{0}` after `]`; only `:port` may follow an IPv6 address")]
    AfterBracket(String),
    #[error("`{host}` is not a valid host name or IP address ({reason})")]
    Invalid { host: String, reason: String },
}

impl Host {
    /// Normalizes one host as it appears in a URL authority (IPv6 in brackets, no port).
    pub fn parse(raw: &str) -> Result<Self, HostError> {
        if raw.is_empty() {
            return Err(HostError::Empty);
        }
        if let Some(bad) = raw.chars().find(|c| c.is_whitespace() || c.is_control()) {
            return Err(HostError::BadCharacter(bad));
        }
        let bracketed = raw.starts_with('[');
        if raw.contains('%') {
            return Err(if bracketed {
                HostError::ZoneId
            } else {
                HostError::PercentEncoded
            });
        }
        if !bracketed && raw.contains(':') {
            return Err(match raw.parse::<Ipv6Addr>() {
                Ok(_) => HostError::Ipv6NeedsBrackets,
                Err(_) => HostError::BadCharacter(':'),
            });
        }
        match url::Host::parse(raw) {
            Ok(url::Host::Ipv4(v4)) => Ok(Self::Ip(IpAddr::V4(v4))),
            Ok(url::Host::Ipv6(v6)) => Ok(Self::Ip(IpAddr::V6(v6).to_canonical())),
            Ok(url::Host::Domain(domain)) => checked_domain(domain, raw).map(Self::Domain),
            Err(error) => Err(HostError::Invalid {
                host: raw.to_owned(),
                reason: error.to_string(),
            }),
        }
    }
}

/// Finishes a domain that `url` has already lower-cased and IDNA-encoded.
fn checked_domain(mut domain: String, raw: &str) -> Result<String, HostError> {
    if domain.ends_with('.') {
        domain.pop();
    }
    if domain.is_empty() {
        return Err(HostError::Empty);
    }
    if domain.split('.').any(str::is_empty) {
        return Err(HostError::EmptyLabel(raw.to_owned()));
    }
    let is_name_character = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if let Some(bad) = domain.chars().find(|c| !is_name_character(*c)) {
        return Err(HostError::BadCharacter(bad));
    }
    domain.make_ascii_lowercase();
    Ok(domain)
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Domain(domain) => f.write_str(domain),
            Self::Ip(IpAddr::V4(v4)) => write!(f, "{v4}"),
            Self::Ip(IpAddr::V6(v6)) => write!(f, "[{v6}]"),
        }
    }
}

/// Splits `host[:port]` / `[v6][:port]`, without judging either part.
pub(super) fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), HostError> {
    if authority.starts_with('[') {
        let close = authority
            .find(']')
            .ok_or_else(|| HostError::UnclosedBracket(authority.to_owned()))?;
        let (host, rest) = authority.split_at(close + 1);
        return match rest.strip_prefix(':') {
            Some(port) => Ok((host, Some(port))),
            None if rest.is_empty() => Ok((host, None)),
            None => Err(HostError::AfterBracket(rest.to_owned())),
        };
    }
    match authority.split_once(':') {
        Some((_, port)) if port.contains(':') => Err(HostError::Ipv6NeedsBrackets),
        Some((host, port)) => Ok((host, Some(port))),
        None => Ok((authority, None)),
    }
}

/// A port number written in decimal, 1 to 65535 (0 is not a destination).
pub(super) fn parse_port(text: &str) -> Option<u16> {
    let all_digits =
        !text.is_empty() && text.len() <= 5 && text.bytes().all(|b| b.is_ascii_digit());
    all_digits
        .then(|| text.parse::<u16>().ok())
        .flatten()
        .filter(|port| *port != 0)
}

/// The normalized destination of one outgoing request (one hop: redirects make new targets).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    pub scheme: Scheme,
    pub host: Host,
    /// The explicit port, or the scheme's default.
    pub port: u16,
}

/// Why a request's scheme and authority do not make a [`Target`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("scheme `{0}` is not allowed; only http and https requests leave the sandbox")]
    UnsupportedScheme(String),
    /// Refused: credentials in the URL would bypass secret grants, and `user@` is a classic
    /// trick to make a URL look like it goes to a host it does not.
    #[error("user info (`user@`) in the request authority is refused")]
    Userinfo,
    #[error("port `{0}` is not a number from 1 to 65535")]
    InvalidPort(String),
    #[error(transparent)]
    Host(#[from] HostError),
}

impl Target {
    /// Normalizes the scheme and authority (`host[:port]`) of a request, e.g. from
    /// `wasi:http` `outgoing-request` or an `http::Uri`.
    pub fn from_uri_parts(scheme: &str, authority: &str) -> Result<Self, TargetError> {
        let scheme = Scheme::parse(scheme)
            .ok_or_else(|| TargetError::UnsupportedScheme(scheme.to_owned()))?;
        if authority.contains('@') {
            return Err(TargetError::Userinfo);
        }
        let (host, port_text) = split_host_port(authority)?;
        let port = match port_text {
            None => scheme.default_port(),
            Some(text) => {
                parse_port(text).ok_or_else(|| TargetError::InvalidPort(text.to_owned()))?
            }
        };
        Ok(Self {
            scheme,
            host: Host::parse(host)?,
            port,
        })
    }

    pub const fn has_default_port(&self) -> bool {
        self.port == self.scheme.default_port()
    }
}

impl fmt::Display for Target {
    /// `https://host` or `http://host:8080`: the port only when it is not the scheme's default.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.host)?;
        if !self.has_default_port() {
            write!(f, ":{}", self.port)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (scheme, authority, normalized Display of the target)
    const TARGET_ROWS: &[(&str, &str, &str)] = &[
        ("https", "api.github.com", "https://api.github.com"),
        ("HTTPS", "API.GitHub.com.", "https://api.github.com"),
        ("https", "api.github.com:443", "https://api.github.com"),
        ("http", "api.github.com:80", "http://api.github.com"),
        ("http", "api.github.com:443", "http://api.github.com:443"),
        ("https", "bücher.example", "https://xn--bcher-kva.example"),
        ("https", "127.1", "https://127.0.0.1"),
        ("https", "0x7f.0.0.1", "https://127.0.0.1"),
        ("https", "0X7F.1", "https://127.0.0.1"),
        ("https", "2130706433", "https://127.0.0.1"),
        ("https", "017700000001", "https://127.0.0.1"),
        ("https", "0", "https://0.0.0.0"),
        ("https", "169.254.43518", "https://169.254.169.254"),
        ("https", "0xa9fea9fe", "https://169.254.169.254"),
        ("https", "[::ffff:127.0.0.1]", "https://127.0.0.1"),
        (
            "https",
            "[::FFFF:a9fe:a9fe]:8080",
            "https://169.254.169.254:8080",
        ),
        ("https", "[::1]", "https://[::1]"),
        ("https", "[0:0:0:0:0:0:0:1]:8443", "https://[::1]:8443"),
        ("https", "[::127.0.0.1]", "https://[::7f00:1]"),
    ];

    #[test]
    fn targets_are_normalized() {
        for (scheme, authority, expected) in TARGET_ROWS {
            let got = Target::from_uri_parts(scheme, authority).map(|t| t.to_string());
            assert_eq!(got.as_deref(), Ok(*expected), "{scheme}://{authority}");
        }
    }

    #[test]
    fn refused_targets_say_why() {
        use HostError as H;
        use TargetError as T;
        let rows: Vec<(&str, &str, TargetError)> = vec![
            ("ftp", "example.com", T::UnsupportedScheme("ftp".into())),
            ("file", "", T::UnsupportedScheme("file".into())),
            ("https", "user@example.com", T::Userinfo),
            ("https", "user:pw@example.com", T::Userinfo),
            ("https", "example.com@127.0.0.1", T::Userinfo),
            ("https", "example.com:0", T::InvalidPort("0".into())),
            ("https", "example.com:99999", T::InvalidPort("99999".into())),
            ("https", "example.com:", T::InvalidPort(String::new())),
            ("https", "", T::Host(H::Empty)),
            ("https", ".", T::Host(H::Empty)),
            (
                "https",
                "a..b.com",
                T::Host(H::EmptyLabel("a..b.com".into())),
            ),
            ("https", "[fe80::1%25eth0]", T::Host(H::ZoneId)),
            ("https", "[fe80::1%eth0]:443", T::Host(H::ZoneId)),
            ("https", "%31%32%37.0.0.1", T::Host(H::PercentEncoded)),
            ("https", "::1", T::Host(H::Ipv6NeedsBrackets)),
            ("https", "[::1", T::Host(H::UnclosedBracket("[::1".into()))),
            ("https", "[::1]x", T::Host(H::AfterBracket("x".into()))),
            ("https", "exa mple.com", T::Host(H::BadCharacter(' '))),
            ("https", "*.example.com", T::Host(H::BadCharacter('*'))),
            (
                "https",
                "4294967296",
                T::Host(H::Invalid {
                    host: "4294967296".into(),
                    reason: "invalid IPv4 address".into(),
                }),
            ),
            (
                "https",
                "1.2.3.0x100",
                T::Host(H::Invalid {
                    host: "1.2.3.0x100".into(),
                    reason: "invalid IPv4 address".into(),
                }),
            ),
        ];
        for (scheme, authority, expected) in rows {
            assert_eq!(
                Target::from_uri_parts(scheme, authority),
                Err(expected),
                "{scheme}://{authority}"
            );
        }
        let slash = Target::from_uri_parts("https", "example.com/path");
        assert!(
            matches!(slash, Err(TargetError::Host(HostError::Invalid { .. }))),
            "{slash:?}"
        );
    }
}
