//! The sync primitives' speed on the facade: `cargo bench -p tokio --bench sync_prims`.
//! The same body built against crates.io tokio gives the comparison: a crate outside this
//! workspace with `tokio = { version = "1", features = ["full"] }` whose `main.rs` is
//!
//! ```text
//! include!("<this directory>/body.rs");
//! struct Tokio(tokio::runtime::Runtime);
//! impl Rt for Tokio {
//!     fn block_on(&self, f: BoxFut) { self.0.block_on(f) }
//!     fn spawn(&self, f: BoxFut) -> BoxFut {
//!         let h = self.0.spawn(f);
//!         Box::pin(async move { h.await.unwrap() })
//!     }
//! }
//! fn main() {
//!     let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
//!     run("tokio", Arc::new(Tokio(rt)));
//! }
//! ```
//!
//! Each case prints the best of 7 runs of 100 000 operations, per operation; an optional
//! argument filters the cases by name.

include!("body.rs");

struct Gosched(gosched_executor::runtime::Runtime);

impl Rt for Gosched {
    fn block_on(&self, f: BoxFut) {
        self.0.block_on(f)
    }
    fn spawn(&self, f: BoxFut) -> BoxFut {
        let h = self.0.spawn(f);
        Box::pin(async move { h.await.unwrap() })
    }
}

fn main() {
    let rt = gosched_executor::runtime::Runtime::new().expect("runtime");
    run("facade", Arc::new(Gosched(rt)));
}
