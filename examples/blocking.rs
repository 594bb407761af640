//! sysmon at work: on one P, a ticker task wants to run every 10 ms while another task blocks
//! its thread for `--block-ms` (a `std::thread::sleep`, standing in for a blocking syscall or a
//! sync lock). Go's sysmon notices the M stuck in one poll and hands the P, with the ticker on
//! its queue, to another M: the ticker keeps ticking. The same with `block_in_place`, which
//! hands the P off up front; and, for contrast, with sysmon turned off, where the ticker
//! stalls for the whole block.
//!
//! `cargo run --release --example blocking`

use clap::Parser;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(about = "sysmon keeps a ticker alive while a task blocks its thread")]
struct Args {
    /// How long the task blocks its thread.
    #[arg(long, default_value_t = 500)]
    block_ms: u64,
    /// The ticker's period.
    #[arg(long, default_value_t = 10)]
    tick_ms: u64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Block {
    /// `std::thread::sleep` inside the task: sysmon must notice.
    Sleep,
    /// `gosched::block_in_place(|| std::thread::sleep(..))`: the task says so itself.
    InPlace,
}

/// What one run saw.
struct Outcome {
    ticks: usize,
    longest_gap: Duration,
    handoffs: u64,
}

fn run(sysmon: bool, how: Block, block: Duration, tick: Duration) -> std::io::Result<Outcome> {
    let rt = gosched::runtime::Builder::new()
        .maxprocs(1)
        .sysmon(sysmon)
        .build()?;
    let ticks = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let (start, end) = rt.block_on(async {
        let ticker = {
            let (ticks, stop) = (ticks.clone(), stop.clone());
            gosched::spawn(async move {
                let mut interval = gosched::time::interval(tick);
                while !stop.load(Ordering::Relaxed) {
                    interval.tick().await;
                    ticks.lock().unwrap().push(Instant::now());
                }
            })
        };
        gosched::time::sleep(tick * 3).await; // the ticker is running
        let blocker = gosched::spawn(async move {
            let start = Instant::now();
            match how {
                Block::Sleep => std::thread::sleep(block),
                Block::InPlace => gosched::block_in_place(|| std::thread::sleep(block)),
            }
            (start, Instant::now())
        });
        let span = blocker.await.expect("blocker");
        stop.store(true, Ordering::Relaxed);
        ticker.await.expect("ticker");
        span
    });
    let ticks = ticks.lock().unwrap();
    let during: Vec<Instant> = ticks
        .iter()
        .copied()
        .filter(|t| *t >= start && *t <= end)
        .collect();
    // The longest wait between ticks around the block (from its start to the first tick after).
    let mut edges = vec![start];
    edges.extend(&during);
    edges.extend(ticks.iter().copied().find(|t| *t > end));
    let longest_gap = edges.windows(2).map(|w| w[1] - w[0]).max().unwrap_or_default();
    Ok(Outcome {
        ticks: during.len(),
        longest_gap,
        handoffs: rt.metrics().handoffs_total,
    })
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let block = Duration::from_millis(args.block_ms);
    let tick = Duration::from_millis(args.tick_ms);
    println!(
        "maxprocs=1: a ticker every {} ms; another task blocks its thread for {} ms",
        args.tick_ms, args.block_ms
    );
    println!(
        "expected ticks during the block: ~{}",
        args.block_ms / args.tick_ms
    );
    for (label, sysmon, how) in [
        ("std::thread::sleep, sysmon on ", true, Block::Sleep),
        ("block_in_place,     sysmon on ", true, Block::InPlace),
        ("std::thread::sleep, sysmon off", false, Block::Sleep),
    ] {
        let o = run(sysmon, how, block, tick)?;
        println!(
            "{label}: ticks during the block: {:>3}, longest gap: {:>7.1} ms, handoffs: {}",
            o.ticks,
            o.longest_gap.as_secs_f64() * 1e3,
            o.handoffs
        );
    }
    Ok(())
}
