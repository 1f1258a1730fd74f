//! Policy: what a plugin may reach, given the grants in force. Pure logic, no I/O: egress,
//! secrets and chat ask these questions at the moment of use, enforce the answer and write the
//! audit record.
//!
//! | file | job |
//! | --- | --- |
//! | [`grants`] | the grant language: parse `cove grant <plugin> …` words, print the canonical form |
//! | [`grant_set`] | the grants of one plugin and the questions asked of them; suggested grant commands |
//! | [`host_pattern`] | `net` host patterns, matched against a request's target |
//! | [`target`] | the normalized destination of one request (the same host normalization) |
//! | [`address`] | addresses that are not the public internet, and why |
//! | [`acl`] | who may run which plugin or command; admins |
//! | [`confirm`] | pending confirmations of `dangerous` commands |
//!
//! ## Grants
//!
//! Deny by default. An admin grants, per plugin:
//!
//! | grant | meaning |
//! | --- | --- |
//! | `net <pattern>` | outbound HTTP(S) to targets matching the pattern |
//! | `secret <NAME>` | `host.secret("NAME")` returns the value |
//! | `secret <NAME> --inject <pattern> [--header '<Name>: <template>']` | egress adds the header (default `Authorization: Bearer {}`) to requests matching the pattern; the plugin never sees the value. It also allows reaching that pattern, as a `net` grant would |
//! | `post <channel>` | may post to that channel (`#` optional; matched ignoring case) |
//! | `webhook <name>` | receives that webhook |
//! | `schedule "<cron>"` | receives that schedule (several unquoted words are joined) |
//!
//! Secret names are `[A-Z][A-Z0-9_]{0,63}`. A header name must be an HTTP token and not one
//! that frames or routes the request (`Host`, `Content-Length`, `Transfer-Encoding`,
//! `Connection`, or another hop-by-hop header); the template holds `{}` exactly once and no
//! control character. `inject` and `header` are accepted without the dashes.
//!
//! ## Host patterns
//!
//! | pattern | matches | does not match |
//! | --- | --- | --- |
//! | `api.github.com` | `https://api.github.com` (port 443) | `http://…`, `…:8443`, `x.api.github.com`, `api.github.com.evil.net` |
//! | `*.example.com` | `a.example.com`, `a.b.example.com` (any depth) | `example.com`, `evilexample.com`, `example.com.evil.net` |
//! | `api.example.com:8443` | that host on port 8443 | the same host on 443 |
//! | `http://host`, `http://host:8080` | plain HTTP, port 80 unless given | `https://host` |
//! | `https://host[:port]` | the same as without `https://`, the default | |
//! | `10.1.2.3`, `10.1.2.3:8080` | that address, however the target spells it (`0x0a.1.2.3`, `167838211`, `[::ffff:10.1.2.3]`) | `10.1.2.4` |
//! | `[fd00::1]`, `[fd00::1]:8443` | that IPv6 address | |
//! | `10.0.0.0/8`, `10.0.0.0/8:8443` | addresses in that network | |
//! | `fd00::/8`, `[fd00::/8]:8443` | addresses in that network (brackets when a port follows) | |
//!
//! Names are case-insensitive, a trailing dot is ignored, and a unicode name matches its
//! punycode form. A pattern with no port means the scheme's default port only.
//!
//! Refused: `*` alone; `*.com` and other one-label suffixes (there is no public suffix list
//! here); `*` anywhere but the whole first label; `*.` before an address; `/0` networks; empty
//! labels; spaces; `user@`; paths; `?` and `#`; `%` (percent-encoding, IPv6 zones); IPv6
//! without brackets (except a bare network like `fd00::/8`); `10/8`-style shorthand; networks
//! with host bits set (`10.1.2.3/8`); port 0 or above 65535.
//!
//! ### Order of checks when parsing a pattern
//!
//! 1. empty; spaces or control characters
//! 2. `scheme://`: only `http` or `https` (default `https`)
//! 3. `user@`, then `?` / `#`
//! 4. a `/` outside brackets: a prefix length (a network) or else a path, refused
//! 5. split `host[:port]`, IPv6 in brackets; a network inside brackets
//! 6. `*` alone, `*.suffix`, misplaced `*`
//! 7. host normalization ([`Host::parse`]): `%`, IDNA, case, trailing dot, empty labels, IPv4
//!    spellings, IPv4-mapped IPv6 to IPv4; networks: strict address, prefix length, no host bits
//! 8. the port: 1 to 65535, or the scheme's default
//!
//! ## Order of checks for an outgoing request (egress enforces, policy decides)
//!
//! 1. [`Target::from_uri_parts`]: `http`/`https` only, no `user@`, no `%`, host normalized as
//!    above. Egress connects to this normalized host, never to a re-parse of the raw URL.
//! 2. [`GrantSet::allows_target`]: a `net` or `inject` pattern must match scheme, host and
//!    port; otherwise deny, saying [`suggest_net_grant`].
//! 3. Resolve the name once; for every address (or the target's own IP literal),
//!    [`GrantSet::refuses_address`]: loopback, private, link-local, metadata and the other
//!    ranges in [`address`] are refused unless a `net`/`inject` grant on the same scheme and
//!    port names that address or a network around it (a cloud metadata address: only by
//!    its exact address); otherwise deny, saying [`suggest_address_grant`]. Connect only to
//!    the addresses checked: a second lookup would reopen DNS rebinding.
//! 4. [`GrantSet::injections_for`]: set each header, replacing any value the plugin sent.
//! 5. A redirect is a new request: back to step 1 for the new location, with the grants
//!    then in force. Injected headers are never carried to the next hop by themselves.

pub mod acl;
pub mod address;
pub mod confirm;
pub mod grant_set;
pub mod grants;
pub mod host_pattern;
pub mod target;

pub use address::{CidrError, IpCidr, blocked_reason};
pub use grant_set::{GrantSet, suggest_address_grant, suggest_net_grant};
pub use grants::{Grant, GrantError, HeaderTemplate};
pub use host_pattern::{HostPattern, PatternError};
pub use target::{Host, HostError, Scheme, Target, TargetError};
