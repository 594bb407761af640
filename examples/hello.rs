//! The smallest gosched program: spawn tasks, join them, print the runtime's metrics.
//!
//! `cargo run --release --example hello`

#[gosched::main]
async fn main() {
    let tasks: Vec<_> = (1..=1000u64).map(|i| gosched::spawn(async move { i })).collect();
    let mut sum = 0;
    for t in tasks {
        sum += t.await.expect("task panicked");
    }
    println!("hello from gosched: sum of 1..=1000 computed by 1000 tasks = {sum}");
    let m = gosched::runtime::Handle::current().metrics();
    println!(
        "maxprocs={} spawned={} polls={} steals={} threads={}",
        m.maxprocs, m.spawned_total, m.polls_total, m.steals_total, m.threads
    );
}
