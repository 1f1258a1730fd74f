//! The outbound HTTP path of plugins: the only way a plugin reaches the network.
//!
//! wasi:http's outgoing handler calls [`PluginEgress::send_request`] for every request; it is
//! the single gate (plugins have no sockets and no name lookup). Order of checks, each at the
//! moment of the request, with the grants in force then:
//!
//! 1. the per-invocation request cap ([`EgressLimits::max_requests`]);
//! 2. the target from the request URI (never a `Host` header), normalized by
//!    [`Target::from_uri_parts`];
//! 3. a `net` or `inject` grant matching scheme, host and port;
//! 4. name resolution by the host's [`Resolver`], then every answer checked against the
//!    private / loopback / metadata ranges unless a grant names the address;
//! 5. injected secrets set as headers (replacing any the plugin sent, marked sensitive);
//! 6. a connection to the checked address only, connect and first-byte timeouts bounded by
//!    the invocation's deadline, a response-body cap; redirects are returned, not followed.
//!
//! Denials go back to the guest as `HttpRequestDenied` and to the user and the audit log as
//! a [`Denial`].

pub mod connect;
pub mod resolver;

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::HeaderValue;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use crate::permissions::{Denial, Permissions};
use crate::policy::{GrantSet, Host, Target, suggest_address_grant, suggest_net_grant};
pub use resolver::{Resolver, StaticResolver, SystemResolver};

/// Limits on one invocation's outbound requests.
#[derive(Debug, Clone, Copy)]
pub struct EgressLimits {
    /// Requests one invocation may make.
    pub max_requests: u32,
    /// Time to establish a connection (TCP and TLS).
    pub connect: Duration,
    /// Time from sending the request to the response head.
    pub first_byte: Duration,
    /// Largest response body delivered to the plugin.
    pub max_body_bytes: u64,
}

/// What every invocation's egress shares.
pub struct EgressShared {
    /// The grants and secrets.
    pub permissions: Arc<Permissions>,
    /// How names become addresses.
    pub resolver: Arc<dyn Resolver>,
    /// Caps and timeouts.
    pub limits: EgressLimits,
    /// Where request outcomes are counted.
    pub metrics: Arc<crate::metrics::Metrics>,
}

/// Denials seen during one invocation, reported to the user afterwards.
pub type DenialLog = Arc<Mutex<Vec<Denial>>>;

/// The egress gate of one invocation.
pub struct PluginEgress {
    shared: Arc<EgressShared>,
    plugin: Arc<str>,
    requests: u32,
    deadline: Option<Instant>,
    denials: DenialLog,
    approved: bool,
}

impl PluginEgress {
    /// A gate for one invocation of `plugin`; an unapproved version gets no grants.
    pub fn new(
        shared: Arc<EgressShared>,
        plugin: Arc<str>,
        denials: DenialLog,
        approved: bool,
    ) -> Self {
        PluginEgress {
            shared,
            plugin,
            requests: 0,
            deadline: None,
            denials,
            approved,
        }
    }

    /// Bounds request timeouts by the invocation's deadline.
    pub fn set_deadline(&mut self, deadline: Instant) {
        self.deadline = Some(deadline);
    }

    fn deny(&self, attempted: String, reason: String, fix: Option<String>) -> Error {
        self.shared.metrics.egress("denied");
        let denial = Denial {
            kind: if fix.is_some() { "egress" } else { "limit" },
            plugin: self.plugin.to_string(),
            attempted,
            reason,
            fix,
        };
        tracing::warn!(plugin = %self.plugin, "{denial}");
        self.denials
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(denial);
        Error::HttpRequestDenied
    }

    /// Steps 1–3 and 5: everything decided before any I/O.
    fn admit(
        &mut self,
        request: &mut http::Request<WasiBody>,
    ) -> Result<(Target, Arc<GrantSet>), Error> {
        self.requests += 1;
        let max = self.shared.limits.max_requests;
        if self.requests > max {
            return Err(self.deny(
                "make another HTTP request".into(),
                format!("one invocation may make at most {max} requests"),
                None,
            ));
        }
        let uri = request.uri();
        let scheme = uri.scheme_str().unwrap_or("https");
        let authority = uri.authority().map(|a| a.as_str()).unwrap_or("");
        let target = Target::from_uri_parts(scheme, authority)
            .map_err(|e| self.deny(format!("reach {scheme}://{authority}"), e.to_string(), None))?;
        if !self.approved {
            let denial = Denial::unapproved(&self.plugin, format!("reach {target}"));
            self.shared.metrics.egress("denied");
            tracing::warn!(plugin = %self.plugin, "{denial}");
            self.denials
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(denial);
            return Err(Error::HttpRequestDenied);
        }
        let grants = self.shared.permissions.grants(&self.plugin);
        if grants.allows_target(&target).is_none() {
            let fix = suggest_net_grant(&self.plugin, &target);
            return Err(self.deny(
                format!("reach {target}"),
                "it was not granted that host".into(),
                Some(fix),
            ));
        }
        for (name, template) in grants.injections_for(&target) {
            let value = match self.shared.permissions.secret_value(name) {
                Ok(Some(value)) => value,
                _ => {
                    let fix = Some(format!("cove secret set {name}"));
                    return Err(self.deny(
                        format!("use the secret {name}"),
                        "that secret is not set".into(),
                        fix,
                    ));
                }
            };
            let mut header = HeaderValue::from_str(&template.render(&value)).map_err(|_| {
                self.deny(
                    format!("use the secret {name}"),
                    "its value cannot be a header".into(),
                    None,
                )
            })?;
            header.set_sensitive(true);
            let header_name = http::HeaderName::from_bytes(template.name().as_bytes())
                .map_err(|_| Error::HttpRequestDenied)?;
            request.headers_mut().insert(header_name, header);
        }
        Ok((target, grants))
    }

    fn request_limits(&self) -> connect::Limits {
        let limits = self.shared.limits;
        let left = self
            .deadline
            .map(|d| d.saturating_duration_since(Instant::now()));
        let bound = |t: Duration| left.map_or(t, |left| t.min(left));
        connect::Limits {
            connect: bound(limits.connect),
            first_byte: bound(limits.first_byte),
            max_body_bytes: limits.max_body_bytes,
        }
    }
}

type SendFuture = Box<dyn Future<Output = Result<connect::Sent, Error>> + Send>;

impl WasiHttpHooks for PluginEgress {
    fn send_request(
        &mut self,
        mut request: http::Request<WasiBody>,
        _options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> SendFuture {
        let admitted = self.admit(&mut request);
        let limits = self.request_limits();
        let resolver = self.shared.resolver.clone();
        let (plugin, denials) = (self.plugin.clone(), self.denials.clone());
        let metrics = self.shared.metrics.clone();
        Box::new(async move {
            let (target, grants) = admitted?;
            let checked =
                checked_address(&target, &grants, resolver.as_ref(), &plugin, &denials).await;
            metrics.egress(if checked.is_ok() { "allowed" } else { "denied" });
            let ip = checked?;
            let tls_host = match (&target.scheme, &target.host) {
                (crate::policy::Scheme::Https, host) => Some(host.to_string()),
                _ => None,
            };
            connect::send(
                request,
                SocketAddr::new(ip, target.port),
                tls_host.as_deref(),
                limits,
            )
            .await
        })
    }
}

/// Step 4: resolves once and checks every answer; returns the address to connect to.
async fn checked_address(
    target: &Target,
    grants: &GrantSet,
    resolver: &dyn Resolver,
    plugin: &str,
    denials: &DenialLog,
) -> Result<IpAddr, Error> {
    let deny = |attempted: String, reason: String, fix: Option<String>| {
        let denial = Denial {
            kind: "egress",
            plugin: plugin.to_string(),
            attempted,
            reason,
            fix,
        };
        tracing::warn!(%plugin, "{denial}");
        denials
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(denial);
        Error::HttpRequestDenied
    };
    let addresses = match &target.host {
        Host::Ip(ip) => vec![*ip],
        Host::Domain(name) => resolver.resolve(name).await.map_err(|_| Error::DnsError {
            rcode: Some("no answer".into()),
            info_code: None,
        })?,
    };
    // Every answer must pass: a name that resolves to one public and one private address
    // must not reach the private one by chance.
    for ip in &addresses {
        if let Some(reason) = grants.refuses_address(target, *ip) {
            return Err(deny(
                format!("reach {target}"),
                format!("it resolves to {ip}, a {reason} address"),
                Some(suggest_address_grant(plugin, target, *ip)),
            ));
        }
    }
    addresses.first().copied().ok_or(Error::DestinationNotFound)
}
