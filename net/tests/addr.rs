//! Address resolution: every `ToSocketAddrs` form, and `lookup_host` for a name.

mod common;

use common::{rt, watchdog};
use gosched_net::{TcpListener, TcpStream, lookup_host};
use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::time::Duration;

#[test]
fn lookup_host_localhost_is_loopback() {
    let _w = watchdog("lookup_host_localhost_is_loopback", Duration::from_secs(30));
    rt(1).block_on(async {
        let addrs: Vec<SocketAddr> = lookup_host("localhost:80").await.unwrap().collect();
        assert!(!addrs.is_empty());
        assert!(
            addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 80),
            "{addrs:?}"
        );
        let addrs: Vec<SocketAddr> = lookup_host(("localhost", 443)).await.unwrap().collect();
        assert!(
            addrs.iter().any(|a| a.ip().is_loopback() && a.port() == 443),
            "{addrs:?}"
        );
        // Resolving a name does not need a free P: it ran on the blocking pool while this
        // block_on waited, and a task resolving a name works the same way.
        let from_task = gosched_executor::spawn(async {
            lookup_host(String::from("localhost:8080"))
                .await
                .map(|a| a.count())
        });
        assert!(from_task.await.unwrap().unwrap() > 0);
    });
}

#[test]
fn literal_forms_resolve_to_themselves() {
    let _w = watchdog("literal_forms_resolve_to_themselves", Duration::from_secs(30));
    rt(1).block_on(async {
        let v4 = SocketAddr::from((Ipv4Addr::LOCALHOST, 8080));
        let v6 = SocketAddr::from((Ipv6Addr::LOCALHOST, 8080));
        async fn one(a: impl gosched_net::ToSocketAddrs) -> Vec<SocketAddr> {
            lookup_host(a).await.unwrap().collect()
        }
        assert_eq!(one(v4).await, [v4]);
        assert_eq!(one(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8080)).await, [v4]);
        assert_eq!(
            one(SocketAddrV6::new(Ipv6Addr::LOCALHOST, 8080, 0, 0)).await,
            [v6]
        );
        assert_eq!(one((IpAddr::V4(Ipv4Addr::LOCALHOST), 8080)).await, [v4]);
        assert_eq!(one((Ipv4Addr::LOCALHOST, 8080)).await, [v4]);
        assert_eq!(one((Ipv6Addr::LOCALHOST, 8080)).await, [v6]);
        assert_eq!(one(("127.0.0.1", 8080)).await, [v4]);
        assert_eq!(one((String::from("::1"), 8080)).await, [v6]);
        assert_eq!(one("127.0.0.1:8080").await, [v4]);
        assert_eq!(one("[::1]:8080").await, [v6]);
        assert_eq!(one(String::from("127.0.0.1:8080")).await, [v4]);
        assert_eq!(one(&[v4, v6][..]).await, [v4, v6]);
        assert_eq!(one(&v4).await, [v4]);
        assert_eq!(one(&"127.0.0.1:8080").await, [v4]);
    });
}

#[test]
fn bad_addresses_are_invalid_input_not_panics() {
    let _w = watchdog("bad_addresses_are_invalid_input", Duration::from_secs(30));
    rt(1).block_on(async {
        for bad in ["127.0.0.1", "127.0.0.1:notaport", "localhost:70000", ""] {
            let e = lookup_host(bad)
                .await
                .err()
                .unwrap_or_else(|| panic!("{bad:?} resolved"));
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad:?}: {e}");
            let e = TcpStream::connect(bad).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad:?}: {e}");
        }
        // Binding by name works.
        let l = TcpListener::bind("localhost:0").await.unwrap();
        assert!(l.local_addr().unwrap().ip().is_loopback());
    });
}

#[test]
fn lookup_host_resolves_names_on_the_blocking_pool_and_literals_inline() {
    let _w = watchdog("lookup_host_blocking_pool", Duration::from_secs(30));
    let rt = rt(1);
    rt.block_on(async {
        let literal: Vec<SocketAddr> = lookup_host("127.0.0.1:80").await.unwrap().collect();
        assert_eq!(literal, ["127.0.0.1:80".parse::<SocketAddr>().unwrap()]);
    });
    assert_eq!(
        rt.metrics().blocking_threads,
        0,
        "a literal needs no blocking thread"
    );
    rt.block_on(async {
        let named: Vec<SocketAddr> = lookup_host("localhost:80").await.unwrap().collect();
        assert!(!named.is_empty());
    });
    assert!(
        rt.metrics().blocking_threads >= 1,
        "the name was resolved on the blocking pool"
    );
}
