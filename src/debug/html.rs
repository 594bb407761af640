//! `/debug/gosched/`: one HTML page with the metrics, the P and M tables (from the
//! `scheddetail` lines) and the tasks grouped by spawn site, linking the other pages.

use crate::runtime::{Handle, TaskInfo};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

/// The index page of `handle`'s runtime.
pub(super) fn index(handle: &Handle) -> String {
    let m = handle.metrics();
    let report = handle.sched_report();
    let tasks = handle.dump();
    let mut out = String::with_capacity(16 * 1024);
    out.push_str(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>gosched debug</title>\n<style>\
         body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;margin-bottom:1em}\
         td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}th{background:#eee}\
         td.n{text-align:right;font-variant-numeric:tabular-nums}code,pre{font-size:90%}\
         section{display:inline-block;vertical-align:top;margin-right:2em}</style></head><body>\n\
         <h1>gosched</h1>\n<p>\
         <a href=\"/debug/gosched/tasks?debug=1\">tasks (grouped)</a> · <a href=\"/debug/gosched/tasks?debug=2\">tasks (each)</a> · \
         <a href=\"/debug/gosched/metrics\">metrics (Prometheus)</a> · <a href=\"/debug/gosched/schedtrace\">schedtrace</a> · \
         <a href=\"/debug/gosched/trace?seconds=1\">trace (1 s, Chrome JSON)</a></p>\n",
    );
    if let Some(line) = report.lines().next() {
        let _ = writeln!(out, "<pre>{}</pre>", escape(line));
    }

    out.push_str("<section><h2>Metrics</h2>\n<table>\n");
    let rows: [(&str, String); 19] = [
        ("maxprocs", m.maxprocs.to_string()),
        ("idle procs", m.idle_procs.to_string()),
        ("threads", m.threads.to_string()),
        ("spinning threads", m.spinning_threads.to_string()),
        ("idle threads", m.idle_threads.to_string()),
        ("blocking threads", m.blocking_threads.to_string()),
        ("idle blocking threads", m.idle_blocking_threads.to_string()),
        ("live tasks", m.live_tasks.to_string()),
        ("global queue", m.global_queue_depth.to_string()),
        ("locked threads", m.locked_threads.to_string()),
        ("spawned", m.spawned_total.to_string()),
        ("polls", m.polls_total.to_string()),
        ("steals", m.steals_total.to_string()),
        ("handoffs", m.handoffs_total.to_string()),
        ("preemptions", m.preemptions_total.to_string()),
        ("netpoll wakeups", m.netpoll_wakeups_total.to_string()),
        ("slow polls", m.slow_polls_total.to_string()),
        ("sched latency", quantiles(&m.sched_latency)),
        ("poll duration", quantiles(&m.poll_duration)),
    ];
    for (k, v) in rows {
        let _ = writeln!(out, "<tr><th>{k}</th><td class=\"n\">{}</td></tr>", escape(&v));
    }
    out.push_str("</table></section>\n");

    for (kind, title) in [('P', "Ps"), ('M', "Ms")] {
        let _ = writeln!(out, "<section><h2>{title}</h2>");
        table(&mut out, &report, kind);
        out.push_str("</section>\n");
    }

    let _ = writeln!(
        out,
        "<h2>Tasks: {} live, by spawn site</h2>\n<table>\n<tr><th>tasks</th><th>spawned at</th>\
         <th>states</th><th>oldest</th><th>polls</th><th>slow polls</th></tr>",
        tasks.len()
    );
    for g in groups(&tasks) {
        let states: Vec<String> = g.states.iter().map(|(s, n)| format!("{n} {s}")).collect();
        let _ = writeln!(
            out,
            "<tr><td class=\"n\">{}</td><td><code>{}</code></td><td>{}</td><td class=\"n\">{:.1?}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            g.count,
            escape(&g.at),
            escape(&states.join(", ")),
            g.oldest,
            g.polls,
            g.slow_polls
        );
    }
    out.push_str("</table>\n</body></html>\n");
    out
}

/// `p50 / p99 / count` of a histogram.
fn quantiles(h: &crate::runtime::LatencyHistogram) -> String {
    if h.count() == 0 {
        return "not recorded".into();
    }
    format!(
        "p50 {:.1?} · p99 {:.1?} · {} samples",
        h.quantile(0.5),
        h.quantile(0.99),
        h.count()
    )
}

/// A table of the `scheddetail` lines starting with `  {kind}N:`, one column per `key=value`.
fn table(out: &mut String, report: &str, kind: char) {
    let rows: Vec<(&str, Vec<(&str, &str)>)> = report
        .lines()
        .filter_map(|l| l.strip_prefix("  "))
        .filter(|l| l.starts_with(kind))
        .filter_map(|l| {
            let (id, rest) = l.split_once(": ")?;
            Some((id, rest.split(' ').filter_map(|kv| kv.split_once('=')).collect()))
        })
        .collect();
    let Some((_, first)) = rows.first() else {
        out.push_str("<p>none</p>\n");
        return;
    };
    out.push_str("<table>\n<tr><th></th>");
    for (k, _) in first {
        let _ = write!(out, "<th>{}</th>", escape(k));
    }
    out.push_str("</tr>\n");
    for (id, kvs) in &rows {
        let _ = write!(out, "<tr><th>{}</th>", escape(id));
        for (_, v) in kvs {
            let _ = write!(out, "<td class=\"n\">{}</td>", escape(v));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

/// The tasks of one spawn site.
struct Group {
    at: String,
    count: usize,
    states: BTreeMap<String, usize>,
    oldest: Duration,
    polls: u64,
    slow_polls: u64,
}

/// Tasks grouped by spawn site, largest group first.
fn groups(tasks: &[TaskInfo]) -> Vec<Group> {
    let mut by_site: std::collections::HashMap<_, Group> = std::collections::HashMap::new();
    for t in tasks {
        let g = by_site.entry(t.spawned_at).or_insert_with(|| Group {
            at: t.spawned_at.to_string(),
            count: 0,
            states: BTreeMap::new(),
            oldest: Duration::ZERO,
            polls: 0,
            slow_polls: 0,
        });
        g.count += 1;
        let state = t.wait_reason.map_or(t.state.to_string(), |r| r.to_string());
        *g.states.entry(state).or_default() += 1;
        g.oldest = g.oldest.max(t.age);
        g.polls += t.polls;
        g.slow_polls += u64::from(t.slow_polls);
    }
    let mut groups: Vec<Group> = by_site.into_values().collect();
    groups.sort_by(|a, b| b.count.cmp(&a.count).then(a.at.cmp(&b.at)));
    groups
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}
