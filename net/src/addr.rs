//! Address resolution: gosched's own [`ToSocketAddrs`] and [`lookup_host`].
//!
//! A literal address (`"127.0.0.1:80"`, `(Ipv6Addr::LOCALHOST, 80)`, a `SocketAddr`) is parsed
//! on the spot and never blocks. A host name goes to the runtime's blocking pool, where std's
//! resolver (`getaddrinfo`) may block as long as it likes without holding a P.

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// Things that name one or more socket addresses: gosched's version of
/// [`std::net::ToSocketAddrs`], implemented for the same types, resolving host names on the
/// blocking pool instead of the caller's thread.
///
/// The trait is sealed: its method is private to gosched.
///
/// # Examples
/// ```
/// use std::net::{Ipv4Addr, SocketAddr};
///
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     // Literals resolve without blocking; "localhost" goes to the blocking pool.
///     let a: Vec<SocketAddr> = gosched::net::lookup_host((Ipv4Addr::LOCALHOST, 80)).await.unwrap().collect();
///     assert_eq!(a, ["127.0.0.1:80".parse::<SocketAddr>().unwrap()]);
///     let mut b = gosched::net::lookup_host("localhost:80").await.unwrap();
///     assert!(b.all(|a| a.ip().is_loopback() && a.port() == 80));
/// });
/// ```
pub trait ToSocketAddrs: sealed::ToSocketAddrsPriv {}

pub(crate) mod sealed {
    use std::io;
    use std::net::SocketAddr;

    /// What resolving needs: nothing more (a literal), or a lookup of `host` on the blocking pool.
    #[derive(Debug)]
    pub enum Resolve {
        /// Parsed without blocking.
        Done(io::Result<Vec<SocketAddr>>),
        /// A host name and port, for `getaddrinfo`.
        Lookup(String, u16),
    }

    /// The sealed half of [`ToSocketAddrs`](super::ToSocketAddrs).
    pub trait ToSocketAddrsPriv {
        /// Parses the address, or says which name to look up.
        fn to_resolve(&self) -> Resolve;
    }
}

use sealed::{Resolve, ToSocketAddrsPriv};

/// Resolves `addr`, on the blocking pool if it is a host name.
pub(crate) async fn resolve(addr: &impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    match addr.to_resolve() {
        Resolve::Done(res) => res,
        Resolve::Lookup(host, port) => {
            let lookup = move || {
                std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port)).map(Iterator::collect)
            };
            gosched_executor::spawn_blocking(lookup).await?
        }
    }
}

/// Runs `f` on each address `addr` resolves to, in order, until one succeeds; otherwise
/// returns the last error (std's `each_addr`).
pub(crate) async fn each_addr<T, Fut>(
    addr: &impl ToSocketAddrs,
    mut f: impl FnMut(SocketAddr) -> Fut,
) -> io::Result<T>
where
    Fut: Future<Output = io::Result<T>>,
{
    let mut last = None;
    for a in resolve(addr).await? {
        match f(a).await {
            Ok(v) => return Ok(v),
            Err(e) => last = Some(e),
        }
    }
    Err(last
        .unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "could not resolve to any addresses")))
}

/// Resolves `host` to socket addresses: a literal at once, a host name with the system resolver
/// on the blocking pool.
///
/// # Examples
/// ```
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let addrs: Vec<_> = gosched::net::lookup_host("localhost:8080").await.unwrap().collect();
///     assert!(addrs.iter().any(|a| a.ip().is_loopback() && a.port() == 8080));
/// });
/// ```
pub async fn lookup_host(host: impl ToSocketAddrs) -> io::Result<impl Iterator<Item = SocketAddr>> {
    resolve(&host).await.map(Vec::into_iter)
}

fn done(addr: impl Into<SocketAddr>) -> Resolve {
    Resolve::Done(Ok(vec![addr.into()]))
}

/// `host` with `port`: a literal IP never blocks, anything else is a host name.
fn host_port(host: &str, port: u16) -> Resolve {
    match host.parse::<IpAddr>() {
        Ok(ip) => done((ip, port)),
        Err(_) => Resolve::Lookup(host.to_owned(), port),
    }
}

/// `"host:port"` or a literal socket address, split the way std splits it.
fn host_colon_port(s: &str) -> Resolve {
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return done(addr);
    }
    let Some((host, port)) = s.rsplit_once(':') else {
        return Resolve::Done(Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "invalid socket address",
        )));
    };
    match port.parse::<u16>() {
        Ok(port) => host_port(host, port),
        Err(_) => Resolve::Done(Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "invalid port value",
        ))),
    }
}

macro_rules! literal_impls {
    ($($ty:ty),*) => {$(
        impl ToSocketAddrs for $ty {}
        impl ToSocketAddrsPriv for $ty {
            fn to_resolve(&self) -> Resolve {
                done(*self)
            }
        }
    )*};
}
literal_impls!(
    SocketAddr,
    SocketAddrV4,
    SocketAddrV6,
    (IpAddr, u16),
    (Ipv4Addr, u16),
    (Ipv6Addr, u16)
);

impl ToSocketAddrs for (&str, u16) {}
impl ToSocketAddrsPriv for (&str, u16) {
    fn to_resolve(&self) -> Resolve {
        host_port(self.0, self.1)
    }
}

impl ToSocketAddrs for (String, u16) {}
impl ToSocketAddrsPriv for (String, u16) {
    fn to_resolve(&self) -> Resolve {
        host_port(&self.0, self.1)
    }
}

impl ToSocketAddrs for str {}
impl ToSocketAddrsPriv for str {
    fn to_resolve(&self) -> Resolve {
        host_colon_port(self)
    }
}

impl ToSocketAddrs for String {}
impl ToSocketAddrsPriv for String {
    fn to_resolve(&self) -> Resolve {
        host_colon_port(self)
    }
}

impl ToSocketAddrs for [SocketAddr] {}
impl ToSocketAddrsPriv for [SocketAddr] {
    fn to_resolve(&self) -> Resolve {
        Resolve::Done(Ok(self.to_vec()))
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: ToSocketAddrs + ?Sized> ToSocketAddrsPriv for &T {
    fn to_resolve(&self) -> Resolve {
        (**self).to_resolve()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(a: impl ToSocketAddrs) -> Vec<SocketAddr> {
        match a.to_resolve() {
            Resolve::Done(r) => r.unwrap(),
            Resolve::Lookup(h, p) => panic!("{h}:{p} was not parsed as a literal"),
        }
    }

    #[test]
    fn literals_never_need_a_lookup() {
        let v4: SocketAddr = "127.0.0.1:80".parse().unwrap();
        let v6: SocketAddr = "[::1]:443".parse().unwrap();
        assert_eq!(literal("127.0.0.1:80"), [v4]);
        assert_eq!(literal(String::from("[::1]:443")), [v6]);
        assert_eq!(literal(("::1", 443)), [v6]);
        assert_eq!(literal((String::from("127.0.0.1"), 80)), [v4]);
        assert_eq!(literal(&[v4, v6][..]), [v4, v6]);
        let by_ref: &&SocketAddr = &&v4;
        assert_eq!(literal(by_ref), [v4]);
    }

    #[test]
    fn names_are_looked_up_and_bad_ports_rejected() {
        assert!(matches!("localhost:80".to_resolve(), Resolve::Lookup(h, 80) if h == "localhost"));
        for bad in ["localhost", "localhost:99999", "127.0.0.1:x"] {
            match bad.to_resolve() {
                Resolve::Done(Err(e)) => assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}
