//! Go's worker-pool pattern: `--workers` workers take jobs from one channel and send results
//! on another; `main` sends `--jobs` jobs, closes the job channel, and collects the results.
//!
//! Each job is the Collatz sequence length of its number (CPU work) followed by a short
//! sleep (I/O-like waiting), as in Go by Example's `time.Sleep(time.Second)`, only shorter.
//! The results are checked against a sequential computation.
//!
//! `cargo run --release --example worker_pool -- --workers 8 --jobs 10000`

use clap::Parser;
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(about = "Go's worker pool on gosched: N workers, a job channel, a result channel")]
struct Args {
    /// Worker tasks.
    #[arg(long, default_value_t = 8)]
    workers: usize,
    /// Jobs to send.
    #[arg(long, default_value_t = 10_000)]
    jobs: u64,
    /// Milliseconds each job sleeps after computing.
    #[arg(long, default_value_t = 1)]
    sleep_ms: u64,
    /// Ps (default: GOSCHED_MAXPROCS or the CPU count).
    #[arg(long)]
    maxprocs: Option<usize>,
}

/// Buffer of both channels (Go's `make(chan int, 100)`).
const CHANNEL_CAPACITY: usize = 100;

/// Steps for `n` to reach 1 under the Collatz map.
fn collatz_len(mut n: u64) -> u64 {
    let mut steps = 0;
    while n > 1 {
        n = if n % 2 == 0 { n / 2 } else { 3 * n + 1 };
        steps += 1;
    }
    steps
}

/// One worker: `for j := range jobs { results <- work(j) }`.
async fn worker(
    id: usize,
    jobs: async_channel::Receiver<u64>,
    results: async_channel::Sender<(usize, u64, u64)>,
    sleep: Duration,
) {
    while let Ok(job) = jobs.recv().await {
        let len = collatz_len(job);
        gosched::time::sleep(sleep).await;
        if results.send((id, job, len)).await.is_err() {
            return;
        }
    }
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let mut builder = gosched::runtime::Builder::new();
    if let Some(n) = args.maxprocs {
        builder = builder.maxprocs(n);
    }
    let rt = builder.build()?;
    let start = Instant::now();
    let (per_worker, sum) = rt.block_on(async {
        let (job_tx, job_rx) = async_channel::bounded(CHANNEL_CAPACITY);
        let (res_tx, res_rx) = async_channel::bounded(CHANNEL_CAPACITY);
        let sleep = Duration::from_millis(args.sleep_ms);
        for id in 0..args.workers {
            gosched::spawn(worker(id, job_rx.clone(), res_tx.clone(), sleep));
        }
        drop((job_rx, res_tx));
        let jobs = args.jobs;
        gosched::spawn(async move {
            for j in 1..=jobs {
                job_tx.send(j).await.expect("workers are alive");
            }
            // Dropping the sender closes the channel: the workers' loops end.
        });
        let mut per_worker = vec![0u64; args.workers];
        let mut sum = 0;
        while let Ok((id, job, len)) = res_rx.recv().await {
            per_worker[id] += 1;
            sum += len;
            debug_assert_eq!(len, collatz_len(job));
        }
        (per_worker, sum)
    });
    let elapsed = start.elapsed();
    let want: u64 = (1..=args.jobs).map(collatz_len).sum();
    println!(
        "{} jobs done by {} workers in {:.1} ms ({:.0} jobs/s)",
        per_worker.iter().sum::<u64>(),
        args.workers,
        elapsed.as_secs_f64() * 1e3,
        args.jobs as f64 / elapsed.as_secs_f64()
    );
    println!("jobs per worker: {per_worker:?}");
    println!("sum of Collatz lengths: {sum} (sequential: {want})");
    let m = rt.metrics();
    println!(
        "metrics: spawned={} polls={} steals={} maxprocs={}",
        m.spawned_total, m.polls_total, m.steals_total, m.maxprocs
    );
    if sum != want || per_worker.iter().sum::<u64>() != args.jobs {
        println!("results: WRONG");
        std::process::exit(1);
    }
    println!("results: ok");
    Ok(())
}
