//! Helpers shared by the debug endpoint's tests (`debug_http`, `debug_limits`): the endpoint
//! on a gosched runtime, and its connection tasks as the dump shows them.
#![allow(dead_code)]

use gosched::runtime::{Builder, Runtime, TaskInfo};
use gosched_testkit::wait_until;
use std::net::{SocketAddr, TcpStream};

/// `builder`'s runtime serving the debug endpoint on a free loopback port, once it accepts.
pub fn server_on(builder: Builder) -> (Runtime, SocketAddr) {
    let rt = builder.build().unwrap();
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    rt.spawn(async move {
        gosched::debug::serve(addr).await.unwrap();
    });
    wait_until("the debug endpoint to listen", || {
        TcpStream::connect(addr).is_ok()
    });
    (rt, addr)
}

/// The endpoint's tasks (spawned in the facade's `src/debug`) still alive: its connections,
/// and the accept loop when `serve` itself was spawned there.
pub fn endpoint_tasks(rt: &Runtime) -> Vec<TaskInfo> {
    rt.dump()
        .into_iter()
        .filter(|t| t.spawned_at.file().starts_with("src/debug"))
        .collect()
}
