//! Reading criterion's results: `<CRITERION_HOME>/<group>/<function>[/<value>]/new/`
//! holds `estimates.json` (`mean.point_estimate`, ns per iteration) and `benchmark.json`
//! (the ids, and the throughput when the bench set one).

use serde_json::Value;
use std::path::{Path, PathBuf};

/// One criterion benchmark's result.
#[derive(Clone, Debug)]
pub struct Estimate {
    /// The id without the runtime's name: `group/function` with `gosched`/`tokio` as `*`.
    pub key: String,
    /// `gosched`, `tokio`, or `None` for a benchmark of neither.
    pub runtime: Option<&'static str>,
    /// Mean time per iteration, in ns.
    pub mean_ns: f64,
    /// Elements (or bytes) per iteration, when the bench declared a throughput.
    pub per_iter: Option<(f64, &'static str)>,
}

/// Every `new/estimates.json` under `root` (a bench's own `CRITERION_HOME`).
pub fn collect(root: &Path) -> Vec<Estimate> {
    let mut dirs = Vec::new();
    find_new_dirs(root, &mut dirs);
    let mut out: Vec<Estimate> = dirs.into_iter().filter_map(|d| read(&d)).collect();
    out.sort_by(|a, b| a.key.cmp(&b.key).then(a.runtime.cmp(&b.runtime)));
    out
}

/// Directories named `new` that hold an `estimates.json` (criterion's `base` and `change`
/// copies are skipped).
fn find_new_dirs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if !p.is_dir() {
            continue;
        }
        if p.file_name().is_some_and(|n| n == "new") && p.join("estimates.json").exists() {
            out.push(p);
        } else if p.file_name().is_some_and(|n| n != "report") {
            find_new_dirs(&p, out);
        }
    }
}

fn json(p: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()
}

fn read(dir: &Path) -> Option<Estimate> {
    let est = json(&dir.join("estimates.json"))?;
    let mean_ns = est["mean"]["point_estimate"].as_f64()?;
    let bench = json(&dir.join("benchmark.json"))?;
    let group = bench["group_id"].as_str()?;
    let function = bench["function_id"].as_str().unwrap_or("");
    let value = bench["value_str"].as_str();
    let (runtime, function) = split_runtime(function);
    let mut key = format!("{group}/{function}");
    if let Some(v) = value {
        key = format!("{key}/{v}");
    }
    let key = key.trim_end_matches('/').replace("//", "/");
    let per_iter = match &bench["throughput"] {
        Value::Object(t) => t.iter().find_map(|(kind, n)| {
            let unit = match kind.as_str() {
                "Bytes" | "BytesDecimal" => "B",
                _ => "op",
            };
            Some((n.as_f64()?, unit))
        }),
        _ => None,
    };
    Some(Estimate {
        key,
        runtime,
        mean_ns,
        per_iter,
    })
}

/// `"gosched"` → (gosched, "*"); `"spawn_tokio"` → (tokio, "spawn_*"); `"x"` → (None, "x").
fn split_runtime(function: &str) -> (Option<&'static str>, String) {
    for rt in ["gosched", "tokio"] {
        if function.contains(rt) {
            return (Some(rt), function.replacen(rt, "*", 1));
        }
    }
    (None, function.to_owned())
}

/// A gosched result and its tokio counterpart (either may be missing).
#[derive(Clone, Debug)]
pub struct Pair {
    pub bench: String,
    pub key: String,
    pub gosched: Option<Estimate>,
    pub tokio: Option<Estimate>,
}

impl Pair {
    /// gosched's speed over tokio's (tokio's time ÷ gosched's): above 1, gosched is faster.
    pub fn ratio(&self) -> Option<f64> {
        Some(self.tokio.as_ref()?.mean_ns / self.gosched.as_ref()?.mean_ns)
    }
}

/// Groups `estimates` (all from the bench file `bench`) by key.
pub fn pair(bench: &str, estimates: Vec<Estimate>) -> Vec<Pair> {
    let mut pairs: Vec<Pair> = Vec::new();
    for e in estimates {
        let key = e.key.clone();
        let i = match pairs.iter().position(|p| p.key == key) {
            Some(i) => i,
            None => {
                pairs.push(Pair {
                    bench: bench.to_owned(),
                    key,
                    gosched: None,
                    tokio: None,
                });
                pairs.len() - 1
            }
        };
        match e.runtime {
            Some("tokio") => pairs[i].tokio = Some(e),
            _ => pairs[i].gosched = Some(e),
        }
    }
    pairs
}

/// `1234.5` ns → `"1.23 µs"`.
pub fn fmt_time(ns: f64) -> String {
    let (v, unit) = if ns >= 1e9 {
        (ns / 1e9, "s")
    } else if ns >= 1e6 {
        (ns / 1e6, "ms")
    } else if ns >= 1e3 {
        (ns / 1e3, "µs")
    } else {
        (ns, "ns")
    };
    format!("{v:.3} {unit}")
}

/// The cell for one result: time per iteration, plus the rate when there is a throughput.
pub fn cell(e: &Estimate) -> String {
    match e.per_iter {
        Some((n, unit)) => {
            let rate = n / (e.mean_ns / 1e9);
            let rate = if rate >= 1e6 {
                format!("{:.2} M{unit}/s", rate / 1e6)
            } else {
                format!("{:.1} k{unit}/s", rate / 1e3)
            };
            format!("{} ({rate})", fmt_time(e.mean_ns))
        }
        None => fmt_time(e.mean_ns),
    }
}
