//! [`HttpConnector`]: hyper-util's legacy client dials out over gosched TCP.

use super::GoschedIo;
use gosched_executor::time::{self, Duration, Instant};
use gosched_net::TcpStream;
use hyper::Uri;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::pin::Pin;
use std::task::{Context, Poll};

/// The connector of `hyper_util::client::legacy::Client` on gosched: `http://host[:port]`
/// becomes a gosched [`TcpStream`] in a [`GoschedIo`] (which implements hyper-util's
/// `Connection`), with no tokio runtime involved.
///
/// - Only `http` URIs: another scheme (`https` needs a TLS connector around this one), a
///   missing scheme or a missing host is `InvalidInput`.
/// - Errors name the scheme, host and port they were about (`http://example.com:80`), never
///   the URI's userinfo, path or query, which may hold secrets. An OS error keeps its kind.
/// - Host names are resolved on gosched's blocking pool; each address is tried in turn.
///   The port defaults to 80.
/// - `TCP_NODELAY` is on by default (as in Go's `net`): a request is written whole, and
///   Nagle's algorithm would only hold its last segment back. See [`set_nodelay`](Self::set_nodelay).
/// - No connect timeout by default (the OS's, as hyper-util's); [`connect_timeout`](Self::connect_timeout)
///   or [`set_connect_timeout`](Self::set_connect_timeout) sets one, which bounds the name
///   resolution and the address attempts together, after which the connect fails with
///   `TimedOut`. Each address gets an equal share of the time left, but at least 2 s when
///   that much is left (Go's `net.Dialer` rule), so one address that drops SYNs does not use
///   up the time of the next. A connect that gives up (timed out, or its future dropped) does
///   not wait for a slow resolution: `getaddrinfo` cannot be interrupted, so that lookup may
///   still finish on its blocking-pool thread, and its answer is dropped.
///
/// # Examples
/// A pooled client: both requests travel on one connection.
/// ```
/// use gosched::hyper::{GoschedExecutor, GoschedIo, GoschedTimer, HttpConnector};
/// use http_body_util::{BodyExt, Empty, Full};
/// use hyper::body::Bytes;
/// use hyper_util::client::legacy::Client;
/// use std::sync::atomic::{AtomicUsize, Ordering};
///
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     static ACCEPTED: AtomicUsize = AtomicUsize::new(0);
///     let listener = gosched::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let url = format!("http://{}/", listener.local_addr().unwrap());
///     gosched::spawn(async move {
///         loop {
///             let (stream, _) = listener.accept().await.unwrap();
///             ACCEPTED.fetch_add(1, Ordering::Relaxed);
///             gosched::spawn(async move {
///                 let ok = hyper::service::service_fn(|_req| async {
///                     Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(Bytes::from("ok"))))
///                 });
///                 let _ = hyper::server::conn::http1::Builder::new()
///                     .serve_connection(GoschedIo::new(stream), ok)
///                     .await;
///             });
///         }
///     });
///
///     let client: Client<HttpConnector, Empty<Bytes>> = Client::builder(GoschedExecutor)
///         .pool_timer(GoschedTimer)
///         .build(HttpConnector::new());
///     for _ in 0..2 {
///         let res = client.get(url.parse().unwrap()).await.unwrap();
///         assert_eq!(&res.into_body().collect().await.unwrap().to_bytes()[..], b"ok");
///         // hyper-util puts an HTTP/1 connection back in the pool from a task of its own once
///         // the connection is ready for the next request; a request sent before that dials
///         // a second connection.
///         gosched::time::sleep(std::time::Duration::from_millis(100)).await;
///     }
///     assert_eq!(ACCEPTED.load(Ordering::Relaxed), 1);
/// });
/// ```
#[derive(Debug, Clone)]
pub struct HttpConnector {
    nodelay: bool,
    connect_timeout: Option<Duration>,
}

impl Default for HttpConnector {
    fn default() -> Self {
        HttpConnector::new()
    }
}

impl HttpConnector {
    /// A connector with `TCP_NODELAY` on and no connect timeout.
    ///
    /// # Examples
    /// ```
    /// use gosched::hyper::{GoschedExecutor, HttpConnector};
    /// use hyper_util::client::legacy::Client;
    ///
    /// let client: Client<_, String> = Client::builder(GoschedExecutor).build(HttpConnector::new());
    /// # drop(client);
    /// ```
    pub fn new() -> HttpConnector {
        HttpConnector {
            nodelay: true,
            connect_timeout: None,
        }
    }

    /// Whether connections set `TCP_NODELAY` (default: on).
    ///
    /// # Examples
    /// ```
    /// let mut connector = gosched::hyper::HttpConnector::new();
    /// connector.set_nodelay(false);
    /// ```
    pub fn set_nodelay(&mut self, nodelay: bool) {
        self.nodelay = nodelay;
    }

    /// The longest a connect may take, resolving the host included (`None`, the default: as
    /// long as the OS lets it); past it the connect fails with `io::ErrorKind::TimedOut`. See
    /// the [type's documentation](HttpConnector) for how it is shared between addresses.
    ///
    /// # Examples
    /// ```
    /// let mut connector = gosched::hyper::HttpConnector::new();
    /// connector.set_connect_timeout(Some(std::time::Duration::from_secs(3)));
    /// ```
    pub fn set_connect_timeout(&mut self, timeout: Option<Duration>) {
        self.connect_timeout = timeout;
    }

    /// [`set_connect_timeout`](Self::set_connect_timeout), by value.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    ///
    /// let connector = gosched::hyper::HttpConnector::new().connect_timeout(Some(Duration::from_secs(3)));
    /// # drop(connector);
    /// ```
    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.connect_timeout = timeout;
        self
    }

    async fn connect(self, uri: Uri) -> io::Result<GoschedIo<TcpStream>> {
        let (host, port) = target(&uri)?;
        let origin = origin(&uri);
        let deadline = self.connect_timeout.map(|t| Instant::now() + t);
        let timed_out = |what: &str| {
            io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "HttpConnector: {what} {origin} took longer than the connect timeout ({:?})",
                    self.connect_timeout.unwrap_or_default()
                ),
            )
        };
        let addrs = resolve(host, port, deadline, system_lookup)
            .await
            .map_err(|e| match e.kind() {
                io::ErrorKind::TimedOut => timed_out("resolving"),
                _ => io::Error::new(e.kind(), format!("HttpConnector: resolving {origin}: {e}")),
            })?;
        let mut last = io::Error::new(
            io::ErrorKind::NotFound,
            format!("HttpConnector: {origin} resolved to no address"),
        );
        for (i, &addr) in addrs.iter().enumerate() {
            let attempt = TcpStream::connect(addr);
            let result = match deadline {
                None => attempt.await,
                Some(deadline) => {
                    let limit = attempt_limit(
                        deadline.saturating_duration_since(Instant::now()),
                        addrs.len() - i,
                    );
                    match time::timeout(limit, attempt).await {
                        Ok(result) => result,
                        Err(_) if Instant::now() >= deadline => return Err(timed_out("connecting to")),
                        Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "timed out")),
                    }
                }
            };
            match result {
                Ok(stream) => {
                    stream.set_nodelay(self.nodelay)?;
                    return Ok(GoschedIo::new(stream));
                }
                Err(e) => {
                    last = io::Error::new(
                        e.kind(),
                        format!("HttpConnector: connecting to {origin} ({addr}): {e}"),
                    )
                }
            }
        }
        Err(last)
    }
}

/// Go's `partialDeadline`: the time one of `left` addresses may take, `remaining` being the
/// time left in all. An equal share, but at least [`MIN_ATTEMPT`] when that much remains.
fn attempt_limit(remaining: Duration, left: usize) -> Duration {
    let share = remaining / left.max(1) as u32;
    if share < MIN_ATTEMPT {
        MIN_ATTEMPT.min(remaining)
    } else {
        share
    }
}

/// The least time an address attempt gets while that much is left (Go's `saneMinimum`).
const MIN_ATTEMPT: Duration = Duration::from_secs(2);

/// A name lookup: `getaddrinfo` through std.
type Lookup = fn(&str, u16) -> io::Result<Vec<SocketAddr>>;

fn system_lookup(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    (host, port).to_socket_addrs().map(Iterator::collect)
}

/// The addresses of `host`: an IP literal as is, a name looked up on the blocking pool. Past
/// `deadline` it fails with `TimedOut` without waiting for the lookup, which finishes (or not)
/// on its pool thread.
async fn resolve(
    host: &str,
    port: u16,
    deadline: Option<Instant>,
    lookup: Lookup,
) -> io::Result<Vec<SocketAddr>> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let host = host.to_owned();
    // Dropping the handle (at the deadline, or with the connect future) detaches the lookup.
    let lookup = gosched_executor::spawn_blocking(move || lookup(&host, port));
    let done = match deadline {
        None => lookup.await,
        Some(deadline) => time::timeout_at(deadline, lookup)
            .await
            .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))?,
    };
    done.map_err(|e| io::Error::other(format!("the lookup failed: {e}")))?
}

/// `scheme://host:port` of `uri`: what its errors may name (never userinfo, path or query).
fn origin(uri: &Uri) -> String {
    let scheme = uri.scheme_str().unwrap_or("(no scheme)");
    let host = uri.host().unwrap_or("(no host)");
    let port = uri.port_u16().or(match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    });
    match port {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    }
}

/// The host (without an IPv6 literal's brackets) and port to dial for `uri`.
fn target(uri: &Uri) -> io::Result<(&str, u16)> {
    let invalid = |why: &str| {
        let origin = if uri.scheme().is_some() {
            format!(" {}", origin(uri))
        } else {
            String::new()
        };
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("HttpConnector: the URI{origin} {why}"),
        )
    };
    match uri.scheme_str() {
        Some("http") => {}
        Some(_) => {
            return Err(invalid(
                "has a scheme other than http (https needs a TLS connector around this one)",
            ));
        }
        None => return Err(invalid("has no scheme (want http://host[:port]/...)")),
    }
    let host = uri
        .host()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| invalid("has no host"))?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    Ok((host, uri.port_u16().unwrap_or(80)))
}

impl tower_service::Service<Uri> for HttpConnector {
    type Response = GoschedIo<TcpStream>;
    type Error = io::Error;
    type Future = HttpConnecting;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> HttpConnecting {
        HttpConnecting(Box::pin(self.clone().connect(uri)))
    }
}

/// The future of [`HttpConnector`]'s `call`: the connected stream, or the error.
///
/// # Examples
/// ```
/// use tower_service::Service;
///
/// gosched::runtime::Runtime::new().unwrap().block_on(async {
///     let mut connector = gosched::hyper::HttpConnector::new();
///     let connecting = connector.call("https://example.com/".parse().unwrap());
///     let err = connecting.await.unwrap_err();
///     assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct HttpConnecting(Pin<Box<dyn Future<Output = io::Result<GoschedIo<TcpStream>>> + Send>>);

impl Future for HttpConnecting {
    type Output = io::Result<GoschedIo<TcpStream>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.as_mut().poll(cx)
    }
}

impl fmt::Debug for HttpConnecting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HttpConnecting")
    }
}

#[cfg(test)]
mod tests {
    use super::{Duration, Instant, attempt_limit, origin, resolve, target};
    use std::sync::atomic::{AtomicBool, Ordering};

    #[test]
    fn origin_names_scheme_host_and_port_only() {
        let o = |s: &str| origin(&s.parse().unwrap());
        assert_eq!(o("http://u:p@example.com/a?b=c"), "http://example.com:80");
        assert_eq!(o("https://example.com:8443/"), "https://example.com:8443");
        assert_eq!(o("http://[::1]:9/x"), "http://[::1]:9");
        assert_eq!(o("ftp://h/x"), "ftp://h");
    }

    #[test]
    fn each_address_gets_a_share_of_the_time_left_but_at_least_2s() {
        let s = Duration::from_secs;
        assert_eq!(attempt_limit(s(10), 2), s(5));
        assert_eq!(attempt_limit(s(10), 10), s(2));
        assert_eq!(attempt_limit(s(1), 3), s(1));
        assert_eq!(attempt_limit(s(9), 1), s(9));
        assert_eq!(attempt_limit(Duration::ZERO, 4), Duration::ZERO);
    }

    #[test]
    fn a_connect_that_gave_up_does_not_wait_for_a_slow_lookup() {
        static LOOKUP_DONE: AtomicBool = AtomicBool::new(false);
        // A getaddrinfo that takes 5 s; the caller gives up after 50 ms.
        fn slow(_: &str, _: u16) -> std::io::Result<Vec<std::net::SocketAddr>> {
            std::thread::sleep(std::time::Duration::from_secs(5));
            LOOKUP_DONE.store(true, Ordering::SeqCst);
            Ok(Vec::new())
        }
        let rt = gosched_executor::runtime::Builder::new()
            .maxprocs(1)
            .build()
            .unwrap();
        let err = rt
            .block_on(async {
                let deadline = Instant::now() + Duration::from_millis(50);
                resolve("slow.invalid", 80, Some(deadline), slow).await
            })
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        // The caller is back while the lookup still runs on its pool thread.
        assert!(!LOOKUP_DONE.load(Ordering::SeqCst));
        // IP literals are not looked up at all.
        let addrs = rt
            .block_on(resolve("::1", 8, Some(Instant::now()), slow))
            .unwrap();
        assert_eq!(addrs, ["[::1]:8".parse().unwrap()]);
        // Its blocking thread sleeps on: do not wait for it.
        rt.shutdown_timeout(Duration::from_millis(10));
    }

    #[test]
    fn target_takes_host_and_port_and_refuses_what_it_cannot_dial() {
        let t = |s: &str| target(&s.parse().unwrap()).map(|(h, p)| (h.to_owned(), p));
        assert_eq!(
            t("http://127.0.0.1:8080/x").unwrap(),
            ("127.0.0.1".to_owned(), 8080)
        );
        assert_eq!(t("http://example.com/").unwrap(), ("example.com".to_owned(), 80));
        assert_eq!(t("http://[::1]:9/").unwrap(), ("::1".to_owned(), 9));
        for bad in ["https://example.com/", "/relative/only", "example.com:80"] {
            let err = t(bad).unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{bad}");
            assert!(err.to_string().contains("HttpConnector"), "{err}");
        }
    }
}
