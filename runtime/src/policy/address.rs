//! Which IP addresses a plugin must not reach unless a grant names them explicitly.
//!
//! A `net api.example.com` grant trusts a *name*; what that name resolves to is decided by
//! whoever controls its DNS, at the moment of the request. Egress therefore checks every
//! resolved address (and every IP-literal target) with [`blocked_reason`]: an address that is
//! not on the public internet is refused unless a grant names that address or a CIDR around it
//! (`net 10.1.2.3`, `net 10.0.0.0/8`). This closes DNS rebinding to `127.0.0.1`, the cloud
//! metadata service and the office network through an allowed name.
//!
//! Ranges are checked most specific first, so `169.254.169.254` is reported as
//! [`reason::CLOUD_METADATA`] rather than [`reason::LINK_LOCAL`]. IPv6 forms that carry an IPv4
//! address a packet will end up at (IPv4-mapped, IPv4-compatible, NAT64 `64:ff9b::/96`, 6to4)
//! are classified by that embedded IPv4 address, so `[::ffff:127.0.0.1]` is loopback and
//! `[64:ff9b::808:808]` (8.8.8.8 through NAT64) is allowed. IPv6 outside global unicast
//! (`2000::/3`) that no row names is refused as [`reason::RESERVED`].

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The short, stable reason strings returned by [`blocked_reason`] (audit log, user messages).
pub mod reason {
    pub const LOOPBACK: &str = "loopback";
    pub const PRIVATE: &str = "private";
    pub const LINK_LOCAL: &str = "link-local";
    pub const SHARED_CGNAT: &str = "shared (CGNAT)";
    pub const UNIQUE_LOCAL: &str = "unique-local";
    pub const SITE_LOCAL: &str = "site-local";
    pub const MULTICAST: &str = "multicast";
    pub const UNSPECIFIED: &str = "unspecified";
    pub const BROADCAST: &str = "broadcast";
    pub const CLOUD_METADATA: &str = "cloud metadata";
    pub const DOCUMENTATION: &str = "documentation";
    pub const BENCHMARKING: &str = "benchmarking";
    pub const RESERVED: &str = "reserved";
    pub const DISCARD_ONLY: &str = "discard-only";
    pub const NAT64_LOCAL: &str = "nat64-local";
    pub const TEREDO: &str = "teredo";
}

/// Why `ip` must not be reached unless a grant names it, or `None` for a public address.
pub fn blocked_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => blocked_v4(v4),
        IpAddr::V6(v6) => blocked_v6(v6),
    }
}

/// IPv4 ranges that are not the public internet, most specific first (first match wins).
const BLOCKED_V4: &[(Ipv4Addr, u8, &str)] = &[
    // The instance metadata services hand out cloud credentials: the classic SSRF prize.
    // AWS/GCP/Azure/OpenStack (inside link-local, listed first so it is named as metadata).
    (
        Ipv4Addr::new(169, 254, 169, 254),
        32,
        reason::CLOUD_METADATA,
    ),
    // Alibaba Cloud (inside the CGNAT range).
    (
        Ipv4Addr::new(100, 100, 100, 200),
        32,
        reason::CLOUD_METADATA,
    ),
    // Azure WireServer: a public-looking address that only answers inside Azure.
    (Ipv4Addr::new(168, 63, 129, 16), 32, reason::CLOUD_METADATA),
    // Oracle Cloud (inside the IETF protocol assignments block).
    (Ipv4Addr::new(192, 0, 0, 192), 32, reason::CLOUD_METADATA),
    // "This network": 0.0.0.0 connects to the local host on Linux.
    (Ipv4Addr::new(0, 0, 0, 0), 8, reason::UNSPECIFIED),
    (Ipv4Addr::new(10, 0, 0, 0), 8, reason::PRIVATE),
    (Ipv4Addr::new(100, 64, 0, 0), 10, reason::SHARED_CGNAT),
    (Ipv4Addr::new(127, 0, 0, 0), 8, reason::LOOPBACK),
    (Ipv4Addr::new(169, 254, 0, 0), 16, reason::LINK_LOCAL),
    (Ipv4Addr::new(172, 16, 0, 0), 12, reason::PRIVATE),
    // IETF protocol assignments (DS-Lite, NAT64 discovery, ...): never a web service.
    (Ipv4Addr::new(192, 0, 0, 0), 24, reason::RESERVED),
    (Ipv4Addr::new(192, 0, 2, 0), 24, reason::DOCUMENTATION),
    // Deprecated 6to4 relay anycast.
    (Ipv4Addr::new(192, 88, 99, 0), 24, reason::RESERVED),
    (Ipv4Addr::new(192, 168, 0, 0), 16, reason::PRIVATE),
    (Ipv4Addr::new(198, 18, 0, 0), 15, reason::BENCHMARKING),
    (Ipv4Addr::new(198, 51, 100, 0), 24, reason::DOCUMENTATION),
    (Ipv4Addr::new(203, 0, 113, 0), 24, reason::DOCUMENTATION),
    (Ipv4Addr::new(224, 0, 0, 0), 4, reason::MULTICAST),
    (Ipv4Addr::new(255, 255, 255, 255), 32, reason::BROADCAST),
    (Ipv4Addr::new(240, 0, 0, 0), 4, reason::RESERVED),
];

/// IPv6 ranges that are not the public internet, most specific first (first match wins).
/// The forms that embed an IPv4 address are handled before this table, see [`embedded_ipv4`].
const BLOCKED_V6: &[(Ipv6Addr, u8, &str)] = &[
    (Ipv6Addr::UNSPECIFIED, 128, reason::UNSPECIFIED),
    (Ipv6Addr::LOCALHOST, 128, reason::LOOPBACK),
    // NAT64 local-use prefix (RFC 8215): translates into whatever network the operator chose.
    (
        Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0),
        48,
        reason::NAT64_LOCAL,
    ),
    (
        Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 0),
        64,
        reason::DISCARD_ONLY,
    ),
    // Teredo tunnels to an IPv4 host we cannot see (its client address is obfuscated).
    (
        Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0),
        32,
        reason::TEREDO,
    ),
    (
        Ipv6Addr::new(0x2001, 2, 0, 0, 0, 0, 0, 0),
        48,
        reason::BENCHMARKING,
    ),
    // ORCHID and ORCHIDv2: identifiers, not routable addresses.
    (
        Ipv6Addr::new(0x2001, 0x10, 0, 0, 0, 0, 0, 0),
        28,
        reason::RESERVED,
    ),
    (
        Ipv6Addr::new(0x2001, 0x20, 0, 0, 0, 0, 0, 0),
        28,
        reason::RESERVED,
    ),
    (
        Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0),
        32,
        reason::DOCUMENTATION,
    ),
    (
        Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0),
        20,
        reason::DOCUMENTATION,
    ),
    // AWS instance metadata over IPv6 (inside unique-local, listed first to be named).
    (
        Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254),
        128,
        reason::CLOUD_METADATA,
    ),
    (
        Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0),
        7,
        reason::UNIQUE_LOCAL,
    ),
    (
        Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0),
        10,
        reason::LINK_LOCAL,
    ),
    (
        Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0),
        10,
        reason::SITE_LOCAL,
    ),
    (
        Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0),
        8,
        reason::MULTICAST,
    ),
];

/// Global unicast: the only IPv6 space that is routed on the public internet.
const GLOBAL_UNICAST_V6: (Ipv6Addr, u8) = (Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3);
const IPV4_MAPPED: (Ipv6Addr, u8) = (Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0), 96);
const IPV4_COMPATIBLE: (Ipv6Addr, u8) = (Ipv6Addr::UNSPECIFIED, 96);
const NAT64_WELL_KNOWN: (Ipv6Addr, u8) = (Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96);
const SIX_TO_FOUR: (Ipv6Addr, u8) = (Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16);

fn blocked_v4(ip: Ipv4Addr) -> Option<&'static str> {
    BLOCKED_V4
        .iter()
        .find(|(network, prefix_len, _)| v4_in(ip, *network, *prefix_len))
        .map(|(_, _, reason)| *reason)
}

fn blocked_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = embedded_ipv4(ip) {
        return blocked_v4(v4);
    }
    if let Some((_, _, reason)) = BLOCKED_V6
        .iter()
        .find(|(network, len, _)| v6_in(ip, *network, *len))
    {
        return Some(reason);
    }
    let (global, global_len) = GLOBAL_UNICAST_V6;
    (!v6_in(ip, global, global_len)).then_some(reason::RESERVED)
}

/// The IPv4 address a packet to `ip` is delivered to, for the IPv6 forms that embed one.
/// `::` and `::1` lie inside the IPv4-compatible block but are themselves, not 0.0.0.0/0.0.0.1.
fn embedded_ipv4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let bits = ip.to_bits();
    let last_32_bits = Ipv4Addr::from_bits(bits as u32);
    let in_block = |(network, len): (Ipv6Addr, u8)| v6_in(ip, network, len);
    if in_block(IPV4_MAPPED) || in_block(NAT64_WELL_KNOWN) {
        return Some(last_32_bits);
    }
    if in_block(IPV4_COMPATIBLE) && bits > 1 {
        return Some(last_32_bits);
    }
    // 6to4 is 2002:AABB:CCDD::/48, the IPv4 address being bits 16..48.
    in_block(SIX_TO_FOUR).then(|| Ipv4Addr::from_bits((bits >> 80) as u32))
}

fn v4_in(ip: Ipv4Addr, network: Ipv4Addr, prefix_len: u8) -> bool {
    let mask = u32::MAX
        .checked_shl(32 - u32::from(prefix_len))
        .unwrap_or(0);
    ip.to_bits() & mask == network.to_bits() & mask
}

fn v6_in(ip: Ipv6Addr, network: Ipv6Addr, prefix_len: u8) -> bool {
    let mask = u128::MAX
        .checked_shl(128 - u32::from(prefix_len))
        .unwrap_or(0);
    ip.to_bits() & mask == network.to_bits() & mask
}

/// An IP network such as `10.0.0.0/8` or `fd00::/8`, as named by a `net` grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpCidr {
    network: IpAddr,
    prefix_len: u8,
}

/// Why an address and prefix length do not make an [`IpCidr`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidrError {
    #[error("prefix length /{prefix_len} is longer than the {max_len} bits of {network}")]
    PrefixTooLong {
        network: IpAddr,
        prefix_len: u8,
        max_len: u8,
    },
    /// Refused rather than silently masked: `10.1.2.3/8` usually means the admin meant
    /// `10.1.2.3` alone and would be surprised to have granted all of `10.0.0.0/8`.
    #[error(
        "{address}/{prefix_len} has bits set after the prefix; the network is {network}/{prefix_len}"
    )]
    HostBitsSet {
        address: IpAddr,
        prefix_len: u8,
        network: IpAddr,
    },
}

impl IpCidr {
    /// A network from its first address and prefix length; host bits must be zero.
    pub fn new(address: IpAddr, prefix_len: u8) -> Result<Self, CidrError> {
        let max_len = if address.is_ipv4() { 32 } else { 128 };
        if prefix_len > max_len {
            return Err(CidrError::PrefixTooLong {
                network: address,
                prefix_len,
                max_len,
            });
        }
        let network = match address {
            IpAddr::V4(v4) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(prefix_len))
                    .unwrap_or(0);
                IpAddr::V4(Ipv4Addr::from_bits(v4.to_bits() & mask))
            }
            IpAddr::V6(v6) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(prefix_len))
                    .unwrap_or(0);
                IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & mask))
            }
        };
        if network != address {
            return Err(CidrError::HostBitsSet {
                address,
                prefix_len,
                network,
            });
        }
        Ok(Self {
            network,
            prefix_len,
        })
    }

    pub const fn network(&self) -> IpAddr {
        self.network
    }

    pub const fn prefix_len(&self) -> u8 {
        self.prefix_len
    }

    /// Whether `ip` is inside the network. An IPv4 address and its IPv4-mapped IPv6 form
    /// (`::ffff:a.b.c.d`) are the same destination, so each matches a network of the other family.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(network), IpAddr::V4(v4)) => v4_in(v4, network, self.prefix_len),
            (IpAddr::V6(network), IpAddr::V6(v6)) => v6_in(v6, network, self.prefix_len),
            (IpAddr::V6(network), IpAddr::V4(v4)) => {
                v6_in(v4.to_ipv6_mapped(), network, self.prefix_len)
            }
            (IpAddr::V4(network), IpAddr::V6(v6)) => v6
                .to_ipv4_mapped()
                .is_some_and(|v4| v4_in(v4, network, self.prefix_len)),
        }
    }
}

impl fmt::Display for IpCidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix_len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each blocked range with its first and last address and a public neighbour on each side
    /// (where the neighbour is public; otherwise the neighbour's own reason).
    const V4_ROWS: &[(&str, Option<&str>)] = &[
        ("0.0.0.0", Some("unspecified")),
        ("0.255.255.255", Some("unspecified")),
        ("1.0.0.0", None),
        ("9.255.255.255", None),
        ("10.0.0.0", Some("private")),
        ("10.255.255.255", Some("private")),
        ("11.0.0.0", None),
        ("100.63.255.255", None),
        ("100.64.0.0", Some("shared (CGNAT)")),
        ("100.127.255.255", Some("shared (CGNAT)")),
        ("100.128.0.0", None),
        ("100.100.100.200", Some("cloud metadata")),
        ("100.100.100.199", Some("shared (CGNAT)")),
        ("126.255.255.255", None),
        ("127.0.0.0", Some("loopback")),
        ("127.0.0.1", Some("loopback")),
        ("127.255.255.255", Some("loopback")),
        ("128.0.0.0", None),
        ("168.63.129.16", Some("cloud metadata")),
        ("168.63.129.15", None),
        ("168.63.129.17", None),
        ("169.253.255.255", None),
        ("169.254.0.0", Some("link-local")),
        ("169.254.169.253", Some("link-local")),
        ("169.254.169.254", Some("cloud metadata")),
        ("169.254.169.255", Some("link-local")),
        ("169.254.255.255", Some("link-local")),
        ("169.255.0.0", None),
        ("172.15.255.255", None),
        ("172.16.0.0", Some("private")),
        ("172.31.255.255", Some("private")),
        ("172.32.0.0", None),
        ("191.255.255.255", None),
        ("192.0.0.0", Some("reserved")),
        ("192.0.0.192", Some("cloud metadata")),
        ("192.0.0.255", Some("reserved")),
        ("192.0.1.0", None),
        ("192.0.1.255", None),
        ("192.0.2.0", Some("documentation")),
        ("192.0.2.255", Some("documentation")),
        ("192.0.3.0", None),
        ("192.88.98.255", None),
        ("192.88.99.0", Some("reserved")),
        ("192.88.100.0", None),
        ("192.167.255.255", None),
        ("192.168.0.0", Some("private")),
        ("192.168.255.255", Some("private")),
        ("192.169.0.0", None),
        ("198.17.255.255", None),
        ("198.18.0.0", Some("benchmarking")),
        ("198.19.255.255", Some("benchmarking")),
        ("198.20.0.0", None),
        ("198.51.99.255", None),
        ("198.51.100.0", Some("documentation")),
        ("198.51.100.255", Some("documentation")),
        ("198.51.101.0", None),
        ("203.0.112.255", None),
        ("203.0.113.0", Some("documentation")),
        ("203.0.113.255", Some("documentation")),
        ("203.0.114.0", None),
        ("223.255.255.255", None),
        ("224.0.0.0", Some("multicast")),
        ("239.255.255.255", Some("multicast")),
        ("240.0.0.0", Some("reserved")),
        ("255.255.255.254", Some("reserved")),
        ("255.255.255.255", Some("broadcast")),
        ("8.8.8.8", None),
        ("140.82.112.3", None),
    ];

    const V6_ROWS: &[(&str, Option<&str>)] = &[
        ("::", Some("unspecified")),
        ("::1", Some("loopback")),
        ("::2", Some("unspecified")), // IPv4-compatible 0.0.0.2
        // IPv4-mapped: classified by the embedded address.
        ("::ffff:127.0.0.1", Some("loopback")),
        ("::ffff:10.1.2.3", Some("private")),
        ("::ffff:169.254.169.254", Some("cloud metadata")),
        ("::ffff:8.8.8.8", None),
        ("::fffe:ffff:ffff", Some("reserved")), // just below the mapped block
        ("::1:0:0:0", Some("reserved")),        // just above the mapped block
        // IPv4-compatible (deprecated): classified by the embedded address.
        ("::127.0.0.1", Some("loopback")),
        ("::8.8.8.8", None),
        // NAT64 well-known prefix: classified by the embedded address.
        ("64:ff9b::7f00:1", Some("loopback")),
        ("64:ff9b::a9fe:a9fe", Some("cloud metadata")),
        ("64:ff9b::808:808", None),
        ("64:ff9b::1:0:0", Some("reserved")), // just past the /96
        ("64:ff9b:1::", Some("nat64-local")),
        ("64:ff9b:1:ffff:ffff:ffff:ffff:ffff", Some("nat64-local")),
        ("64:ff9b:2::", Some("reserved")),
        ("100::", Some("discard-only")),
        ("100::ffff:ffff:ffff:ffff", Some("discard-only")),
        ("100:0:0:1::", Some("reserved")),
        ("1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some("reserved")),
        ("2000::", None),
        ("2001::", Some("teredo")),
        ("2001:0:ffff:ffff:ffff:ffff:ffff:ffff", Some("teredo")),
        ("2001:1::1", None),
        ("2001:2::", Some("benchmarking")),
        ("2001:2:0:ffff::", Some("benchmarking")),
        ("2001:2:1::", None),
        ("2001:10::", Some("reserved")),
        ("2001:2f::", Some("reserved")),
        ("2001:30::", None),
        ("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", None),
        ("2001:db8::", Some("documentation")),
        (
            "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
            Some("documentation"),
        ),
        ("2001:db9::", None),
        // 6to4: classified by the IPv4 address in bits 16..48.
        ("2002:7f00:1::", Some("loopback")),
        ("2002:c0a8:101::1", Some("private")),
        ("2002:808:808::1", None),
        ("2003::", None),
        ("3ffe:ffff::", None),
        ("3fff::", Some("documentation")),
        ("3fff:fff::", Some("documentation")),
        ("3fff:1000::", None),
        ("3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", None),
        ("4000::", Some("reserved")), // past global unicast 2000::/3
        ("5f00::", Some("reserved")), // SRv6 segment identifiers
        ("2606:4700::1111", None),
        ("fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some("reserved")),
        ("fc00::", Some("unique-local")),
        ("fd00::1", Some("unique-local")),
        ("fd00:ec2::254", Some("cloud metadata")),
        ("fd00:ec2::253", Some("unique-local")),
        (
            "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            Some("unique-local"),
        ),
        ("fe7f:ffff::", Some("reserved")),
        ("fe80::", Some("link-local")),
        (
            "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            Some("link-local"),
        ),
        ("fec0::", Some("site-local")),
        (
            "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            Some("site-local"),
        ),
        ("ff00::", Some("multicast")),
        ("ff02::1", Some("multicast")),
    ];

    #[test]
    fn ipv4_ranges_and_their_neighbours() {
        for (address, expected) in V4_ROWS {
            let ip: IpAddr = address.parse().expect("test row is an IPv4 address");
            assert_eq!(blocked_reason(ip), *expected, "{address}");
        }
    }

    #[test]
    fn ipv6_ranges_and_their_neighbours() {
        for (address, expected) in V6_ROWS {
            let ip: IpAddr = address.parse().expect("test row is an IPv6 address");
            assert_eq!(blocked_reason(ip), *expected, "{address}");
        }
    }

    /// First match wins, so an earlier row must never cover a later one (it would hide it,
    /// e.g. link-local listed before 169.254.169.254 would report metadata as link-local).
    #[test]
    fn no_row_is_hidden_by_an_earlier_broader_row() {
        for (later, (network, prefix_len, _)) in BLOCKED_V4.iter().enumerate() {
            for (earlier_network, earlier_len, _) in &BLOCKED_V4[..later] {
                let hidden =
                    earlier_len <= prefix_len && v4_in(*network, *earlier_network, *earlier_len);
                assert!(
                    !hidden,
                    "{network}/{prefix_len} is hidden by {earlier_network}/{earlier_len}"
                );
            }
        }
        for (later, (network, prefix_len, _)) in BLOCKED_V6.iter().enumerate() {
            for (earlier_network, earlier_len, _) in &BLOCKED_V6[..later] {
                let hidden =
                    earlier_len <= prefix_len && v6_in(*network, *earlier_network, *earlier_len);
                assert!(
                    !hidden,
                    "{network}/{prefix_len} is hidden by {earlier_network}/{earlier_len}"
                );
            }
        }
    }

    #[test]
    fn cidr_construction() {
        let rows: &[(&str, u8, Result<&str, &str>)] = &[
            ("10.0.0.0", 8, Ok("10.0.0.0/8")),
            ("0.0.0.0", 0, Ok("0.0.0.0/0")),
            ("10.1.2.3", 32, Ok("10.1.2.3/32")),
            (
                "10.1.2.3",
                8,
                Err("10.1.2.3/8 has bits set after the prefix; the network is 10.0.0.0/8"),
            ),
            (
                "10.0.0.0",
                33,
                Err("prefix length /33 is longer than the 32 bits of 10.0.0.0"),
            ),
            ("fd00::", 8, Ok("fd00::/8")),
            ("fd00::1", 128, Ok("fd00::1/128")),
            (
                "fd00::1",
                64,
                Err("fd00::1/64 has bits set after the prefix; the network is fd00::/64"),
            ),
            (
                "::",
                129,
                Err("prefix length /129 is longer than the 128 bits of ::"),
            ),
        ];
        for (address, prefix_len, expected) in rows {
            let ip: IpAddr = address.parse().expect("test row is an address");
            let got = IpCidr::new(ip, *prefix_len)
                .map(|c| c.to_string())
                .map_err(|e| e.to_string());
            assert_eq!(
                got,
                expected.map(str::to_owned).map_err(str::to_owned),
                "{address}/{prefix_len}"
            );
        }
    }

    #[test]
    fn cidr_contains() {
        let rows: &[(&str, u8, &str, bool)] = &[
            ("10.0.0.0", 8, "10.0.0.0", true),
            ("10.0.0.0", 8, "10.255.255.255", true),
            ("10.0.0.0", 8, "9.255.255.255", false),
            ("10.0.0.0", 8, "11.0.0.0", false),
            ("10.0.0.0", 8, "::ffff:10.9.9.9", true),
            ("10.0.0.0", 8, "::10.9.9.9", false), // IPv4-compatible is not the same destination
            ("0.0.0.0", 0, "8.8.8.8", true),
            ("0.0.0.0", 0, "2606:4700::1111", false),
            ("10.1.2.3", 32, "10.1.2.3", true),
            ("10.1.2.3", 32, "10.1.2.4", false),
            ("fd00::", 8, "fd12:3456::1", true),
            ("fd00::", 8, "fc00::1", false),
            ("fd00::", 8, "10.0.0.1", false),
            ("::ffff:0:0", 96, "10.0.0.1", true),
            ("::ffff:10.0.0.0", 104, "10.200.0.1", true),
            ("::ffff:10.0.0.0", 104, "11.0.0.1", false),
        ];
        for (network, prefix_len, ip, expected) in rows {
            let network: IpAddr = network.parse().expect("test row is an address");
            let cidr = IpCidr::new(network, *prefix_len).expect("test row is a network");
            let ip: IpAddr = ip.parse().expect("test row is an address");
            assert_eq!(cidr.contains(ip), *expected, "{cidr} contains {ip}");
        }
    }
}
