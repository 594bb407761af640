//! The live debug endpoint (`gosched::debug::serve`, feature `debug-http`): every page over a
//! real loopback socket, the Prometheus page through a real exposition parser, and bad
//! requests (400/404/405/408) that leave the server serving.
//!
//! The server runs on a gosched runtime; the client is plain blocking `std::net` on the test
//! thread, so nothing of the client runs on the runtime under test.

mod debug_support;

use debug_support::{endpoint_tasks, server_on};
use gosched::runtime::{Builder, Runtime};
use gosched_testkit::{wait_for, wait_until, watchdog};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// A 2-P runtime serving the debug endpoint on a free loopback port.
fn server(flight_recorder: bool) -> (Runtime, SocketAddr) {
    server_on(Builder::new().maxprocs(2).flight_recorder(flight_recorder))
}

/// An answer: status, headers (names lowercased), body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
    }
}

/// Sends `raw` and reads the answer to the end of the connection.
fn send(addr: SocketAddr, raw: &[u8]) -> Answer {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(raw).unwrap();
    let mut bytes = Vec::new();
    s.read_to_end(&mut bytes).unwrap();
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut resp = httparse::Response::new(&mut headers);
    let httparse::Status::Complete(head) = resp.parse(&bytes).unwrap() else {
        panic!("incomplete answer: {:?}", String::from_utf8_lossy(&bytes));
    };
    let answer = Answer {
        status: resp.code.unwrap(),
        headers: resp
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_ascii_lowercase(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect(),
        body: String::from_utf8(bytes[head..].to_vec()).unwrap(),
    };
    if answer.status != 408 {
        let len: usize = answer.header("content-length").parse().unwrap();
        assert_eq!(len, answer.body.len(), "content-length vs body");
    }
    answer
}

fn get(addr: SocketAddr, target: &str) -> Answer {
    send(
        addr,
        format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes(),
    )
}

/// Spawns `n` tasks that never finish, all at one line of this file (returns that line).
fn park_tasks(rt: &Runtime, n: usize) -> u32 {
    let line = line!() + 2;
    for _ in 0..n {
        rt.spawn(std::future::pending::<()>());
    }
    line
}

#[test]
fn index_shows_metrics_tables_and_task_groups() {
    let _w = watchdog("index", Duration::from_secs(60));
    let (rt, addr) = server(false);
    let line = park_tasks(&rt, 7);
    let a = get(addr, "/debug/gosched/");
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.header("content-type"), "text/html; charset=utf-8");
    let b = &a.body;
    assert!(b.starts_with("<!DOCTYPE html>"), "{b}");
    assert!(b.contains("SCHED ") && b.contains("gomaxprocs=2"), "{b}");
    assert!(b.contains("<th>live tasks</th>"), "{b}");
    // The P table has a row per P, the M table at least one row.
    assert!(
        b.contains("<tr><th>P0</th>") && b.contains("<tr><th>P1</th>"),
        "{b}"
    );
    assert!(b.contains("<tr><th>M0</th>"), "{b}");
    // The 7 parked tasks form one group at their spawn site.
    let site = format!("tests/debug_http.rs:{line}:");
    let row = b
        .lines()
        .find(|l| l.contains(&site))
        .unwrap_or_else(|| panic!("no group for {site}: {b}"));
    assert!(row.starts_with("<tr><td class=\"n\">7</td>"), "{row}");
    assert!(row.contains("7 wait"), "{row}");
    for link in [
        "tasks?debug=1",
        "tasks?debug=2",
        "metrics",
        "schedtrace",
        "trace?seconds=1",
    ] {
        assert!(
            b.contains(&format!("href=\"/debug/gosched/{link}\"")),
            "{link}: {b}"
        );
    }
    // Without the trailing slash too.
    assert_eq!(get(addr, "/debug/gosched").status, 200);
}

#[test]
fn tasks_are_grouped_by_spawn_site_or_listed_one_by_one() {
    let _w = watchdog("tasks", Duration::from_secs(60));
    let (rt, addr) = server(false);
    let line = park_tasks(&rt, 25);
    let site = format!("tests/debug_http.rs:{line}:");

    for target in ["/debug/gosched/tasks?debug=1", "/debug/gosched/tasks"] {
        let a = get(addr, target);
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.header("content-type"), "text/plain; charset=utf-8");
        let header = format!("25 tasks spawned at {site}");
        assert!(a.body.contains(&header), "{header} missing: {}", a.body);
        // format_dump lists 20 per group and sums up the rest.
        assert!(a.body.contains("  ... and 5 more"), "{}", a.body);
    }

    let a = get(addr, "/debug/gosched/tasks?debug=2");
    assert_eq!(a.status, 200, "{}", a.body);
    let blocks = a.body.matches(&format!("\n  spawned at {site}")).count();
    assert_eq!(blocks, 25, "{}", a.body);
    assert!(a.body.contains("[waiting, wait, "), "{}", a.body);
    // The first line counts every live task (the parked ones, the server and this request).
    let total: usize = a.body.split(' ').next().unwrap().parse().unwrap();
    assert!(total >= 27, "{}", a.body);
}

#[test]
fn schedtrace_has_the_sched_line_and_details() {
    let _w = watchdog("schedtrace", Duration::from_secs(60));
    let (_rt, addr) = server(false);
    let a = get(addr, "/debug/gosched/schedtrace");
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.header("content-type"), "text/plain; charset=utf-8");
    assert!(a.body.starts_with("SCHED "), "{}", a.body);
    assert!(a.body.contains("gomaxprocs=2"), "{}", a.body);
    assert!(
        a.body.contains("\n  P0: status=") && a.body.contains("\n  P1: status="),
        "{}",
        a.body
    );
    assert!(a.body.contains("\n  M0: p="), "{}", a.body);
    assert!(a.body.contains("\n  G"), "{}", a.body);
}

#[test]
fn metrics_pass_a_prometheus_parser() {
    use prometheus_parse::{LineInfo, Scrape, Value};
    let _w = watchdog("metrics", Duration::from_secs(60));
    // A slow-poll threshold makes poll_duration record, so that histogram has counts.
    let (rt, addr) = server_on(
        Builder::new()
            .maxprocs(2)
            .slow_poll_threshold(Duration::from_secs(10)),
    );
    rt.block_on(async {
        for _ in 0..200 {
            gosched::spawn(async { gosched::task::yield_now().await })
                .await
                .unwrap();
        }
    });
    park_tasks(&rt, 3);
    wait_until("the debug endpoint to listen", || {
        TcpStream::connect(addr).is_ok()
    });

    let a = get(addr, "/debug/gosched/metrics");
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.header("content-type"),
        "text/plain; version=0.0.4; charset=utf-8"
    );
    // Every line is a comment the parser knows or a sample (the parser skips what it does
    // not understand, so check that first).
    for l in a.body.lines() {
        match LineInfo::parse(l) {
            LineInfo::Doc { .. } | LineInfo::Type { .. } | LineInfo::Sample { .. } => {}
            _ => panic!("line the parser does not understand: {l:?}"),
        }
    }
    let scrape = Scrape::parse(a.body.lines().map(|l| Ok(l.to_string()))).unwrap();
    let find = |name: &str| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == name)
            .unwrap_or_else(|| panic!("{name} missing: {}", a.body))
    };
    let gauge = |name: &str| match find(name).value {
        Value::Gauge(v) => v,
        ref v => panic!("{name} is not a gauge: {v:?}"),
    };
    let counter = |name: &str| match find(name).value {
        Value::Counter(v) => v,
        ref v => panic!("{name} is not a counter: {v:?}"),
    };
    assert_eq!(gauge("gosched_maxprocs"), 2.0);
    assert!(gauge("gosched_live_tasks") >= 4.0); // 3 parked, the server, this connection
    for g in [
        "gosched_idle_procs",
        "gosched_threads",
        "gosched_spinning_threads",
        "gosched_idle_threads",
        "gosched_blocking_threads",
        "gosched_idle_blocking_threads",
        "gosched_global_queue_depth",
        "gosched_locked_threads",
    ] {
        assert!(gauge(g) >= 0.0, "{g}");
    }
    let per_p: Vec<_> = scrape
        .samples
        .iter()
        .filter(|s| s.metric == "gosched_local_queue_depth")
        .map(|s| s.labels.get("p").unwrap().to_string())
        .collect();
    assert_eq!(per_p.len(), 2, "{per_p:?}");
    assert!(counter("gosched_polls_total") >= 400.0);
    assert!(counter("gosched_spawned_total") >= 200.0);
    for c in [
        "gosched_steals_total",
        "gosched_handoffs_total",
        "gosched_preemptions_total",
        "gosched_netpoll_wakeups_total",
        "gosched_slow_polls_total",
    ] {
        assert!(counter(c) >= 0.0, "{c}");
    }
    let untyped = |name: &str| match find(name).value {
        Value::Untyped(v) => v,
        ref v => panic!("{name}: {v:?}"),
    };
    for (h, nonempty) in [
        ("gosched_poll_duration_seconds", true),
        ("gosched_sched_latency_seconds", false),
    ] {
        let Value::Histogram(ref buckets) = find(h).value else {
            panic!("{h} is not a histogram");
        };
        assert!(buckets.len() > 10, "{h}: {buckets:?}");
        assert!(
            buckets.windows(2).all(|w| w[0].less_than < w[1].less_than),
            "{h}: le not ascending: {buckets:?}"
        );
        assert!(
            buckets.windows(2).all(|w| w[0].count <= w[1].count),
            "{h}: not cumulative: {buckets:?}"
        );
        let inf = buckets.last().unwrap();
        assert!(inf.less_than.is_infinite(), "{h}: last bucket {inf:?}");
        assert_eq!(inf.count, untyped(&format!("{h}_count")), "{h}: +Inf vs _count");
        assert!(untyped(&format!("{h}_sum")) >= 0.0);
        if nonempty {
            assert!(inf.count >= 200.0, "{h}: {inf:?}");
            assert!(untyped(&format!("{h}_sum")) > 0.0);
        }
    }
    // HELP text for each family.
    assert!(scrape.docs.contains_key("gosched_live_tasks"));
}

#[test]
fn trace_is_chrome_json_with_the_recorder_and_409_without() {
    let _w = watchdog("trace", Duration::from_secs(60));
    let (rt, addr) = server(true);
    rt.block_on(async {
        for _ in 0..50 {
            gosched::spawn(async {}).await.unwrap();
        }
    });
    let a = get(addr, "/debug/gosched/trace?seconds=1");
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.header("content-type"), "application/json");
    let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
    let events = v["traceEvents"].as_array().unwrap();
    assert!(
        events.iter().any(|e| e["cat"] == "poll"),
        "no poll events in {} events",
        events.len()
    );

    let (_rt2, addr2) = server(false);
    let started = Instant::now();
    let a = get(addr2, "/debug/gosched/trace?seconds=5");
    assert_eq!(a.status, 409, "{}", a.body);
    assert!(a.body.contains("flight_recorder"), "{}", a.body);
    // It says so at once rather than after the 5 seconds (generous bound).
    assert!(started.elapsed() < Duration::from_secs(4));
    assert_eq!(get(addr2, "/debug/gosched/trace?seconds=x").status, 400);
}

#[test]
fn bad_requests_get_4xx_and_the_server_goes_on() {
    let _w = watchdog("bad requests", Duration::from_secs(60));
    let (_rt, addr) = server(false);
    let ok = |addr| assert_eq!(get(addr, "/debug/gosched/schedtrace").status, 200);

    let a = send(addr, b"\x00\x01garbage\r\n\r\n");
    assert_eq!(a.status, 400, "{}", a.body);
    ok(addr);
    let a = send(addr, b"GET /debug/gosched/ HTTP/1.1\r\nBad Header\r\n\r\n");
    assert_eq!(a.status, 400, "{}", a.body);
    ok(addr);
    let a = get(addr, "/debug/pprof/goroutine");
    assert_eq!(a.status, 404, "{}", a.body);
    assert!(a.body.contains("/debug/gosched/"), "{}", a.body);
    ok(addr);
    let a = send(
        addr,
        b"POST /debug/gosched/metrics HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(a.status, 405, "{}", a.body);
    assert_eq!(a.header("allow"), "GET, HEAD");
    ok(addr);
    let a = get(addr, "/debug/gosched/tasks?debug=7");
    assert_eq!(a.status, 400, "{}", a.body);
    ok(addr);
    // A head that does not end within 16 KiB, and one with too many headers.
    let pad = format!("X-Pad: {}\r\n", "a".repeat(1000));
    let big = format!("GET /debug/gosched/ HTTP/1.1\r\n{}", pad.repeat(20));
    let a = send(addr, big.as_bytes());
    assert_eq!(a.status, 431, "{}", a.body);
    assert!(a.body.contains("16 KiB"), "{}", a.body);
    ok(addr);
    let many = format!("GET /debug/gosched/ HTTP/1.1\r\n{}\r\n", "X-A: b\r\n".repeat(100));
    let a = send(addr, many.as_bytes());
    assert_eq!(a.status, 431, "{}", a.body);
    ok(addr);
    // HEAD: the headers of GET, no body.
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(b"HEAD /debug/gosched/schedtrace HTTP/1.1\r\n\r\n")
        .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    assert!(
        text.starts_with("HTTP/1.1 200 OK") && text.ends_with("\r\n\r\n"),
        "{text}"
    );
    ok(addr);
}

#[test]
fn a_stuck_client_does_not_block_other_scrapes() {
    let _w = watchdog("stuck client", Duration::from_secs(60));
    let (_rt, addr) = server(false);
    // Clients that send half a request head and then nothing, fewer than the 16 connections
    // served at once (tests/debug_limits.rs checks what happens past that).
    let stuck: Vec<TcpStream> = (0..12)
        .map(|_| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(b"GET /debug/gosched/metrics HT").unwrap();
            s
        })
        .collect();
    for _ in 0..5 {
        assert_eq!(get(addr, "/debug/gosched/metrics").status, 200);
    }
    drop(stuck);
}

#[test]
fn dropping_serve_ends_its_connections() {
    let _w = watchdog("drop serve", Duration::from_secs(60));
    let rt = Builder::new().maxprocs(2).build().unwrap();
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let server = rt.spawn(gosched::debug::serve(addr));
    let mut stuck = wait_for("the debug endpoint to listen", || TcpStream::connect(addr).ok());
    stuck.write_all(b"GET /").unwrap();
    // Its connection task shows up, then leaves with the server.
    let site = |rt: &Runtime| endpoint_tasks(rt).len();
    wait_until("a connection task", || site(&rt) > 0);
    server.abort();
    wait_until("the connection task gone with serve", || site(&rt) == 0);
    // The connection is closed without an answer.
    stuck.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut rest = Vec::new();
    let _ = stuck.read_to_end(&mut rest);
    assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
}
