//! What the macros' expansions name through `$crate::macros::support`: std's future
//! plumbing, futures-util's `MaybeDone`, and a cheap per-thread random number for
//! `select!`'s start branch.

pub use futures_util::future::{MaybeDone, maybe_done};
pub use std::future::{Future, IntoFuture, poll_fn};
pub use std::pin::Pin;
pub use std::task::Poll;

use std::cell::Cell;

thread_local! {
    /// xorshift64 state; never 0.
    static RNG: Cell<u64> = Cell::new(seed());
}

/// A seed from std's `RandomState` (random keys per process, advanced per thread) mixed with
/// the clock and this thread's stack address: different per thread and per run, which is all
/// `select!`'s fairness needs (not cryptographic).
fn seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let local = 0u8;
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(nanos);
    h.write_usize(&local as *const u8 as usize);
    h.finish() | 1
}

/// A number in `0..n` (`n > 0`), uniform enough for picking a start branch.
pub fn thread_rng_n(n: u32) -> u32 {
    RNG.with(|rng| {
        let mut x = rng.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        rng.set(x);
        // Multiply-shift maps the high 32 bits onto 0..n without a division.
        (((x >> 32) * u64::from(n)) >> 32) as u32
    })
}

/// The `i`-th of `n` slots counting from `start` (both below `n`), wrapping around: a
/// function so the expansions hold no `% 1` for clippy to flag when there is one branch.
pub fn rotate(start: u32, i: u32, n: u32) -> u32 {
    let k = start + i;
    if k >= n { k - n } else { k }
}
