//! Helpers shared by the net integration tests: the workspace's test kit (watchdog, `LIMIT`,
//! the wait helpers), a runtime and a closed port.
#![allow(dead_code, unused_imports)]

pub use gosched_testkit::*;

/// A runtime with `maxprocs` Ps.
pub fn rt(maxprocs: usize) -> gosched_executor::runtime::Runtime {
    gosched_executor::runtime::Builder::new()
        .maxprocs(maxprocs)
        .build()
        .unwrap()
}

/// A loopback port that nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}
