//! Name resolution for outgoing requests, as a parameter of the egress path.
//!
//! The host resolves names itself (plugins have no name lookup), checks every answer, and
//! then connects to the address it checked — never resolving twice, so a DNS answer cannot
//! change between the check and the connect. Tests and air-gapped setups map names with
//! [`StaticResolver`] (`[egress.hosts]` in `cove.toml`) instead of the system resolver.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

/// A boxed future returned by [`Resolver::resolve`].
pub type ResolveFuture = Pin<Box<dyn Future<Output = std::io::Result<Vec<IpAddr>>> + Send>>;

/// Turns a host name into addresses.
pub trait Resolver: Send + Sync {
    /// Every address `host` resolves to.
    fn resolve(&self, host: &str) -> ResolveFuture;
}

/// The operating system's resolver (`getaddrinfo` through tokio).
pub struct SystemResolver;

impl Resolver for SystemResolver {
    fn resolve(&self, host: &str) -> ResolveFuture {
        let host = host.to_string();
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((host.as_str(), 0)).await?;
            Ok(addrs.map(|a| a.ip()).collect())
        })
    }
}

/// Fixed answers for some names, falling back to another resolver for the rest.
pub struct StaticResolver<R> {
    hosts: BTreeMap<String, Vec<IpAddr>>,
    fallback: R,
}

impl<R: Resolver> StaticResolver<R> {
    /// Answers `hosts` (lowercase names) from the map and everything else from `fallback`.
    pub fn new(hosts: BTreeMap<String, Vec<IpAddr>>, fallback: R) -> Self {
        StaticResolver { hosts, fallback }
    }
}

impl<R: Resolver> Resolver for StaticResolver<R> {
    fn resolve(&self, host: &str) -> ResolveFuture {
        match self.hosts.get(&host.to_ascii_lowercase()) {
            Some(addrs) => {
                let addrs = addrs.clone();
                Box::pin(async move { Ok(addrs) })
            }
            None => self.fallback.resolve(host),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Nothing;
    impl Resolver for Nothing {
        fn resolve(&self, host: &str) -> ResolveFuture {
            let host = host.to_string();
            Box::pin(async move { Err(std::io::Error::other(format!("no answer for {host}"))) })
        }
    }

    #[tokio::test]
    async fn static_answers_win_and_the_rest_falls_through() {
        let hosts = BTreeMap::from([(
            "api.github.com".to_string(),
            vec![IpAddr::from([127, 0, 0, 1])],
        )]);
        let resolver = StaticResolver::new(hosts, Nothing);
        assert_eq!(
            resolver.resolve("API.github.com").await.unwrap(),
            vec![IpAddr::from([127, 0, 0, 1])]
        );
        assert!(resolver.resolve("example.com").await.is_err());
    }
}
