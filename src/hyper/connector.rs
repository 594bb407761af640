//! [`HttpConnector`]: hyper-util's legacy client dials out over gosched TCP.

use super::GoschedIo;
use gosched_executor::time::{self, Duration};
use gosched_net::TcpStream;
use hyper::Uri;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The connector of `hyper_util::client::legacy::Client` on gosched: `http://host[:port]`
/// becomes a gosched [`TcpStream`] in a [`GoschedIo`] (which implements hyper-util's
/// `Connection`), with no tokio runtime involved.
///
/// - Only `http` URIs: another scheme (`https` needs a TLS connector around this one), a
///   missing scheme or a missing host is `InvalidInput` with a message naming the URI.
/// - Host names are resolved on gosched's blocking pool; each address is tried in turn.
///   The port defaults to 80.
/// - `TCP_NODELAY` is on by default (as in Go's `net`): a request is written whole, and
///   Nagle's algorithm would only hold its last segment back. See [`set_nodelay`](Self::set_nodelay).
/// - No connect timeout by default (the OS's); [`set_connect_timeout`](Self::set_connect_timeout)
///   sets one, after which the connect fails with `TimedOut`.
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

    /// The longest a connect may take, resolving the host included (`None`: as long as the
    /// OS lets it); past it the connect fails with `io::ErrorKind::TimedOut`.
    ///
    /// # Examples
    /// ```
    /// let mut connector = gosched::hyper::HttpConnector::new();
    /// connector.set_connect_timeout(Some(std::time::Duration::from_secs(3)));
    /// ```
    pub fn set_connect_timeout(&mut self, timeout: Option<Duration>) {
        self.connect_timeout = timeout;
    }

    async fn connect(self, uri: Uri) -> io::Result<GoschedIo<TcpStream>> {
        let (host, port) = target(&uri)?;
        let connecting = TcpStream::connect((host, port));
        let stream = match self.connect_timeout {
            None => connecting.await?,
            Some(limit) => time::timeout(limit, connecting).await.map_err(|_| {
                io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "HttpConnector: connecting to {uri} took longer than the connect timeout ({limit:?})"
                    ),
                )
            })??,
        };
        stream.set_nodelay(self.nodelay)?;
        Ok(GoschedIo::new(stream))
    }
}

/// The host (without an IPv6 literal's brackets) and port to dial for `uri`.
fn target(uri: &Uri) -> io::Result<(&str, u16)> {
    let invalid = |why: &str| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("HttpConnector: the URI {uri} {why}"),
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
    use super::target;

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
