//! The debug page's P and M tables come from the scheduler's structured snapshot
//! (`Handle::sched_snapshot`), not from the text of `sched_report()`: a 3-P runtime shows
//! three P rows with a status each and the snapshot-only `runnext` column, and the `SCHED`
//! line on the page agrees with the tables drawn next to it.
//!
//! The server runs on a gosched runtime; the client is plain blocking `std::net` on the test
//! thread.

use gosched::runtime::Builder;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Aborts the process if a test hangs (the guard is dropped when it ends).
struct Watchdog(std::sync::Arc<std::sync::atomic::AtomicBool>);

fn watchdog(limit: Duration) -> Watchdog {
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = done.clone();
    std::thread::spawn(move || {
        let start = Instant::now();
        while start.elapsed() < limit {
            if flag.load(std::sync::atomic::Ordering::Acquire) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("watchdog: still running after {limit:?}; aborting");
        std::process::abort();
    });
    Watchdog(done)
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Release);
    }
}

/// The body of `GET target` (asserting a 200).
fn get(addr: SocketAddr, target: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes())
        .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("a whole answer");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    body.to_owned()
}

/// The cells of every row of the table in the `<section>` titled `title`: the row heading,
/// then the data cells.
fn rows(page: &str, title: &str) -> Vec<Vec<String>> {
    let start = page
        .find(&format!("<h2>{title}</h2>"))
        .unwrap_or_else(|| panic!("no {title} section: {page}"));
    let section = &page[start..start + page[start..].find("</section>").unwrap()];
    section
        .split("<tr>")
        .skip(2) // before the table, the header row
        .map(|row| {
            row.split(['<', '>'])
                .collect::<Vec<_>>()
                .chunks(4)
                .filter(|c| c.len() >= 3 && (c[1] == "th" || c[1].starts_with("td")))
                .map(|c| c[2].to_owned())
                .collect()
        })
        .collect()
}

#[test]
fn p_and_m_tables_come_from_the_snapshot_and_agree_with_the_sched_line() {
    let _w = watchdog(Duration::from_secs(60));
    let rt = Builder::new().maxprocs(3).build().unwrap();
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    rt.spawn(async move { gosched::debug::serve(addr).await.unwrap() });
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "the endpoint never listened");
        std::thread::sleep(Duration::from_millis(10));
    }
    let page = get(addr, "/debug/gosched/");

    // The header row names the snapshot's fields, `runnext` among them (not a scheddetail key).
    assert!(
        page.contains("<th>status</th><th>schedtick</th><th>m</th><th>run queue</th><th>runnext</th>"),
        "{page}"
    );
    let ps = rows(&page, "Ps");
    assert_eq!(ps.len(), 3, "one row per P: {ps:?}");
    for (i, row) in ps.iter().enumerate() {
        assert_eq!(row[0], format!("P{i}"), "{row:?}");
        assert!(row[1] == "idle" || row[1] == "running", "{row:?}");
        assert!(row[5] == "yes" || row[5] == "no", "{row:?}");
    }
    let ms = rows(&page, "Ms");
    assert!(!ms.is_empty() && ms[0][0] == "M0", "{ms:?}");

    // The SCHED line was printed from the same snapshot: its per-P queue lengths are the
    // table's run-queue column, and its idle count the idle rows.
    let line = page
        .split("<pre>")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .expect("the SCHED line");
    assert!(
        line.starts_with("SCHED ") && line.contains(" gomaxprocs=3 "),
        "{line}"
    );
    let queues = line.rsplit_once('[').unwrap().1.trim_end_matches(']');
    let column: Vec<&str> = ps.iter().map(|r| r[4].as_str()).collect();
    assert_eq!(queues.split(' ').collect::<Vec<_>>(), column, "{line}");
    drop(rt);
}

#[test]
fn the_snapshot_agrees_with_the_sched_report() {
    let _w = watchdog(Duration::from_secs(60));
    let rt = Builder::new().maxprocs(3).build().unwrap();
    for _ in 0..4 {
        rt.spawn(std::future::pending::<()>());
    }
    // Once the runtime is quiet, two snapshots in a row agree, and so does the report taken
    // between them (bounded retries: a thread may still be parking).
    for _ in 0..500 {
        let before = rt.handle().sched_snapshot();
        let report = rt.handle().sched_report();
        let after = rt.handle().sched_snapshot();
        let strip = |s: &str| s.split_once(": ").unwrap().1.to_owned();
        let same = strip(&before.to_string()) == strip(&after.to_string())
            && format!("{:?}", before.ps) == format!("{:?}", after.ps)
            && format!("{:?}", before.ms) == format!("{:?}", after.ms);
        if !same {
            std::thread::sleep(Duration::from_millis(10));
            continue;
        }
        let mut lines = report.lines();
        assert_eq!(strip(lines.next().unwrap()), strip(&before.to_string()));
        for p in &before.ps {
            let want = format!(
                "  P{}: status={} schedtick={} syscalltick=0 m={} runqsize={} gfreecnt=0 timerslen={}",
                p.id,
                p.status.go_code(),
                p.schedtick,
                p.m.map_or(-1, |m| m as i64),
                p.run_queue,
                p.timers
            );
            assert_eq!(lines.next(), Some(want.as_str()), "{report}");
        }
        for m in &before.ms {
            let want = format!(
                "  M{}: p={} curg={} spinning={} blocked={}",
                m.id,
                m.p.map_or(-1, |p| p as i64),
                m.task.map_or(-1, |t| t.as_u64() as i64),
                m.spinning,
                m.blocked
            );
            assert_eq!(lines.next(), Some(want.as_str()), "{report}");
        }
        assert_eq!(before.gomaxprocs, 3);
        assert_eq!(report.matches("\n  G").count(), 4, "{report}");
        return;
    }
    panic!("the runtime never went quiet");
}
