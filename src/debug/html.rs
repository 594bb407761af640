//! `/debug/gosched/`: one HTML page with the metrics, the `SCHED` line and the P and M tables
//! (both from one [`SchedSnapshot`]) and the tasks grouped by spawn site, linking the other
//! pages.

use crate::runtime::{Handle, MInfo, PInfo, PStatus, SchedSnapshot, TaskInfo};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

/// The index page of `handle`'s runtime.
pub(super) fn index(handle: &Handle) -> String {
    let m = handle.metrics();
    let snap = handle.sched_snapshot();
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
    let _ = writeln!(out, "<pre>{}</pre>", escape(&snap.to_string()));

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

    sched_tables(&mut out, &snap);

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

/// The P and M tables of `snap`, one row per P and per M.
fn sched_tables(out: &mut String, snap: &SchedSnapshot) {
    let id = |v: Option<usize>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
    let ps = snap.ps.iter().map(|p: &PInfo| {
        let status = match p.status {
            PStatus::Idle => "idle",
            _ => "running",
        };
        [
            format!("P{}", p.id),
            status.to_owned(),
            p.schedtick.to_string(),
            id(p.m),
            p.run_queue.to_string(),
            if p.runnext { "yes" } else { "no" }.to_owned(),
            p.timers.to_string(),
        ]
    });
    let header = ["", "status", "schedtick", "m", "run queue", "runnext", "timers"];
    table(out, "Ps", &header, ps);
    let ms = snap.ms.iter().map(|m: &MInfo| {
        [
            format!("M{}", m.id),
            m.p.map_or_else(|| "-".to_owned(), |p| format!("P{p}")),
            m.task.map_or_else(|| "-".to_owned(), |t| t.to_string()),
            m.spinning.to_string(),
            m.blocked.to_string(),
        ]
    });
    table(out, "Ms", &["", "p", "task", "spinning", "blocked"], ms);
}

/// A `<section>` titled `title` with a table: `header`, then one row per item of `rows`
/// (the first cell a row heading); "none" without rows.
fn table<const N: usize>(
    out: &mut String,
    title: &str,
    header: &[&str; N],
    rows: impl Iterator<Item = [String; N]>,
) {
    let _ = writeln!(out, "<section><h2>{title}</h2>");
    let mut rows = rows.peekable();
    if rows.peek().is_none() {
        out.push_str("<p>none</p>\n</section>\n");
        return;
    }
    out.push_str("<table>\n<tr>");
    for h in header {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr>\n");
    for row in rows {
        let _ = write!(out, "<tr><th>{}</th>", escape(&row[0]));
        for v in &row[1..] {
            let _ = write!(out, "<td class=\"n\">{}</td>", escape(v));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n</section>\n");
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The tables are drawn from the snapshot's fields: each P's status, owner, queue and
    /// `runnext`, each M's P and task.
    #[test]
    fn tables_show_the_snapshot() {
        let p = |id, status, m, run_queue, runnext| {
            let mut p = PInfo::default();
            (p.id, p.status, p.m, p.run_queue, p.runnext) = (id, status, m, run_queue, runnext);
            p
        };
        let mut snap = SchedSnapshot::default();
        snap.ps = vec![
            p(0, PStatus::Running, Some(2), 5, true),
            p(1, PStatus::Idle, None, 0, false),
            p(2, PStatus::Running, Some(0), 1, false),
        ];
        let mut m = MInfo::default();
        (m.id, m.p, m.spinning) = (2, Some(0), true);
        snap.ms = vec![m];
        let mut out = String::new();
        sched_tables(&mut out, &snap);
        let n = |v: &str| format!("<td class=\"n\">{v}</td>");
        let row = |cells: &[&str]| cells.iter().map(|c| n(c)).collect::<String>();
        assert!(
            out.contains(&format!(
                "<tr><th>P0</th>{}</tr>",
                row(&["running", "0", "2", "5", "yes", "0"])
            )),
            "{out}"
        );
        assert!(
            out.contains(&format!(
                "<tr><th>P1</th>{}</tr>",
                row(&["idle", "0", "-", "0", "no", "0"])
            )),
            "{out}"
        );
        assert!(
            out.contains(&format!(
                "<tr><th>P2</th>{}</tr>",
                row(&["running", "0", "0", "1", "no", "0"])
            )),
            "{out}"
        );
        assert!(
            out.contains(&format!(
                "<tr><th>M2</th>{}</tr>",
                row(&["P0", "-", "true", "false"])
            )),
            "{out}"
        );
        assert_eq!(out.matches("<tr><th>P").count(), 3, "{out}");
    }
}
