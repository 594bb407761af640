//! `examples/http_echo --server-only` on each runtime, driven by `wrk` (a real HTTP peer);
//! and the example's own client run, for the same two runtimes.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

/// One load run against one runtime's server.
#[derive(Clone, Debug)]
pub struct HttpRun {
    pub runtime: &'static str,
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// wrk's socket errors and non-2xx responses, or the example's `errors:`.
    pub errors: u64,
}

/// Whether `wrk` can be run.
pub fn have_wrk() -> bool {
    Command::new("wrk").arg("--version").output().is_ok()
}

/// Starts the server, runs `wrk_args` + its URL, kills the server.
pub fn wrk(http_echo: &Path, runtime: &'static str, wrk_args: &[String]) -> Result<HttpRun, String> {
    let mut server = Command::new(http_echo)
        .args(["--server-only", "--addr", "127.0.0.1:0", "--runtime", runtime])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("start {}: {e}", http_echo.display()))?;
    let mut first = String::new();
    let read = BufReader::new(server.stdout.take().expect("piped")).read_line(&mut first);
    let url = first
        .split("http://")
        .nth(1)
        .map(|a| format!("http://{}hello", a.trim()));
    let out = match (read, url) {
        (Ok(_), Some(url)) => Command::new("wrk").args(wrk_args).arg(&url).output(),
        _ => Err(std::io::Error::other(format!("no address in {first:?}"))),
    };
    let _ = server.kill();
    let _ = server.wait();
    let out = out.map_err(|e| format!("wrk: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_wrk(runtime, &text).ok_or_else(|| format!("cannot read wrk's output:\n{text}"))
}

/// Reads `Requests/sec`, the `--latency` distribution and the error lines.
fn parse_wrk(runtime: &'static str, text: &str) -> Option<HttpRun> {
    let value = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .map(str::trim)
    };
    let rps = value("Requests/sec:")?.parse().ok()?;
    let p50_ms = duration_ms(value("50%")?)?;
    let p99_ms = duration_ms(value("99%")?)?;
    let non_2xx: u64 = value("Non-2xx or 3xx responses:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    // "Socket errors: connect 0, read 0, write 0, timeout 0"
    let socket: u64 = value("Socket errors:")
        .map(|v| {
            v.split(',')
                .filter_map(|p| p.split_whitespace().last()?.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    Some(HttpRun {
        runtime,
        rps,
        p50_ms,
        p99_ms,
        errors: non_2xx + socket,
    })
}

/// wrk's `503.00us`, `8.00ms`, `1.20s` in ms.
fn duration_ms(v: &str) -> Option<f64> {
    let split = v.find(|c: char| c.is_ascii_alphabetic())?;
    let (n, unit) = v.split_at(split);
    let n: f64 = n.parse().ok()?;
    Some(match unit {
        "us" => n / 1e3,
        "ms" => n,
        "s" => n * 1e3,
        "m" => n * 60e3,
        _ => return None,
    })
}

/// Runs the example's own client and server (`args` added) on `runtime`.
pub fn builtin(http_echo: &Path, runtime: &'static str, args: &[&str]) -> Result<HttpRun, String> {
    let out = Command::new(http_echo)
        .args(["--runtime", runtime])
        .args(args)
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("run {}: {e}", http_echo.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let value = |prefix: &str| text.lines().find_map(|l| l.strip_prefix(prefix));
    let parse = || -> Option<HttpRun> {
        // "latency: p50 0.512 ms, p99 1.234 ms, p999 ..."
        let lat = value("latency: ")?;
        let ms = |key: &str| -> Option<f64> {
            lat.split(',')
                .find_map(|p| p.trim().strip_prefix(key))?
                .trim()
                .trim_end_matches(" ms")
                .parse()
                .ok()
        };
        Some(HttpRun {
            runtime,
            rps: value("requests/s: ")?.parse().ok()?,
            p50_ms: ms("p50 ")?,
            p99_ms: ms("p99 ")?,
            errors: value("errors: ")?.parse().ok()?,
        })
    };
    parse().ok_or_else(|| format!("cannot read http_echo's output:\n{text}"))
}

/// The run with the median requests/s.
pub fn median(mut runs: Vec<HttpRun>) -> Option<HttpRun> {
    runs.sort_by(|a, b| a.rps.total_cmp(&b.rps));
    runs.get(runs.len() / 2).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrk_output() {
        let text = "Running 5s test @ http://127.0.0.1:8080/hello
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.01ms    1.50ms  19.28ms   90.29%
  Latency Distribution
     50%  503.00us
     75%    1.00ms
     90%    2.00ms
     99%    8.00ms
  324147 requests in 5.00s, 17.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
Requests/sec:  64829.43
Transfer/sec:      3.40MB
";
        let r = parse_wrk("gosched", text).unwrap();
        assert_eq!(r.rps, 64829.43);
        assert_eq!(r.p50_ms, 0.503);
        assert_eq!(r.p99_ms, 8.0);
        assert_eq!(r.errors, 3);
    }
}
