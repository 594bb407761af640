//! The debug endpoint's pages: routing, rendering on the blocking pool, the one-trace-at-a-time
//! slot, and the page size bound.

use super::conn::{Ctx, Response};
use super::{html, prom};
use crate::runtime::{Handle, TaskInfo};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub(super) const TEXT: &str = "text/plain; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";
const JSON: &str = "application/json";
const PROMETHEUS: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Longest `trace?seconds=N`.
const MAX_TRACE_SECONDS: u64 = 60;
/// Largest text page: a longer one is cut at a line end and ends with a line saying so. With
/// the connection cap this bounds what slow readers can hold (the trace's JSON is bounded by
/// the trace rings instead, and is never cut).
pub(super) const MAX_PAGE: usize = 2 * 1024 * 1024;
/// How [`MAX_PAGE`] is named in the truncation line.
const MAX_PAGE_NAME: &str = "2 MiB";
/// Room kept under [`MAX_PAGE`] for the truncation line.
const TRUNCATION_LINE: usize = 100;

/// A page to render, parsed from the request.
#[derive(Debug)]
pub(super) enum Page {
    Index,
    Tasks { debug: u8 },
    Metrics,
    Schedtrace,
    Trace { seconds: u64 },
}

impl Page {
    fn content_type(&self) -> &'static str {
        match self {
            Page::Index => HTML,
            Page::Tasks { .. } | Page::Schedtrace => TEXT,
            Page::Metrics => PROMETHEUS,
            Page::Trace { .. } => JSON,
        }
    }
}

/// Pages that only one request may render at a time.
#[derive(Debug, Default)]
pub(super) struct Slots {
    /// A trace is being waited for or rendered (Go's pprof also takes one trace at a time).
    trace: AtomicBool,
}

/// Holds the trace slot; frees it when dropped (also when the connection is).
struct TraceSlot<'a>(&'a AtomicBool);

impl Drop for TraceSlot<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// The page `method target` asks for, or the error answer.
pub(super) fn route(method: &str, target: &str) -> Result<Page, Response> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let page = match path {
        "/debug/gosched/" | "/debug/gosched" => Page::Index,
        "/debug/gosched/tasks" => match query_value(query, "debug").unwrap_or("1") {
            "1" => Page::Tasks { debug: 1 },
            "2" => Page::Tasks { debug: 2 },
            v => {
                return Err(Response::error(
                    400,
                    format!(
                        "tasks: debug={v} is not supported; use debug=1 (grouped) or debug=2 (one block per task)"
                    ),
                ));
            }
        },
        "/debug/gosched/metrics" => Page::Metrics,
        "/debug/gosched/schedtrace" => Page::Schedtrace,
        "/debug/gosched/trace" => {
            let v = query_value(query, "seconds").unwrap_or("1");
            match v.parse::<u64>() {
                Ok(seconds) if seconds <= MAX_TRACE_SECONDS => Page::Trace { seconds },
                _ => {
                    return Err(Response::error(
                        400,
                        format!("trace: seconds={v} is not a whole number from 0 to {MAX_TRACE_SECONDS}"),
                    ));
                }
            }
        }
        _ => {
            return Err(Response::error(
                404,
                format!("{path} not found; the index is /debug/gosched/"),
            ));
        }
    };
    if method != "GET" && method != "HEAD" {
        let mut r = Response::error(405, format!("{method} not allowed; use GET"));
        r.extra = "Allow: GET, HEAD\r\n";
        return Err(r);
    }
    Ok(page)
}

/// The value of `key` in a query string (`a=1&b=2`), the last one if repeated.
fn query_value<'q>(query: &'q str, key: &str) -> Option<&'q str> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
        .filter(|(k, _)| *k == key)
        .map(|(_, v)| v)
        .next_back()
}

/// Answers `page`: `HEAD` with its headers only (nothing rendered), `GET` rendered on the
/// blocking pool (a dump of many tasks takes a while, and must not hold a P).
pub(super) async fn answer(page: Page, head_only: bool, ctx: &Ctx) -> Response {
    let mut slot = None;
    if let Page::Trace { seconds } = page {
        // Fail before waiting when nothing is recorded: a look at the settings, no render.
        if !ctx.handle.trace_recording() {
            return Response::error(409, not_recording());
        }
        if head_only {
            return headers_only(&page);
        }
        // Acquire: pairs with the Release store of the slot's previous holder.
        if ctx.slots.trace.swap(true, Ordering::Acquire) {
            let mut r = Response::error(
                503,
                "trace: another trace is being taken (one at a time); try again when it ends",
            );
            r.extra = "Retry-After: 1\r\n";
            return r;
        }
        slot = Some(TraceSlot(&ctx.slots.trace));
        crate::time::sleep(Duration::from_secs(seconds)).await;
    } else if head_only {
        return headers_only(&page);
    }
    let handle = ctx.handle.clone();
    let render = crate::spawn_blocking(move || render(page, &handle));
    let resp = render
        .await
        .unwrap_or_else(|e| Response::error(500, format!("rendering failed: {e}")));
    drop(slot);
    resp
}

fn headers_only(page: &Page) -> Response {
    Response {
        status: 200,
        content_type: page.content_type(),
        body: None,
        extra: "",
    }
}

fn not_recording() -> String {
    "trace: this runtime records no trace; build it with Builder::flight_recorder(true), or set GOSCHED_TRACE=path".into()
}

/// Renders `page` (on the blocking pool). Every page is formatted from copies: `Handle::dump`
/// copies each task's fields under its registry shard's lock and formats nothing there.
fn render(page: Page, handle: &Handle) -> Response {
    let content_type = page.content_type();
    let body = match page {
        Page::Index => capped(html::index(handle)),
        Page::Tasks { debug: 1 } => capped(crate::runtime::format_dump(&handle.dump())),
        Page::Tasks { .. } => per_task(&handle.dump()),
        Page::Metrics => prom::exposition(&handle.metrics()),
        Page::Schedtrace => capped(handle.sched_report()),
        Page::Trace { .. } => match handle.trace_json() {
            Ok(json) => json,
            Err(e) => return Response::error(409, e.to_string()),
        },
    };
    Response::ok(content_type, body)
}

/// `page`, cut at the last line end within [`MAX_PAGE`] if it is longer, with a line saying so.
fn capped(mut page: String) -> String {
    if page.len() <= MAX_PAGE {
        return page;
    }
    let cut = page[..MAX_PAGE].rfind('\n').map_or(0, |i| i + 1);
    let dropped = page.len() - cut;
    page.truncate(cut);
    let _ = writeln!(
        page,
        "... truncated at {MAX_PAGE_NAME}: {dropped} more bytes not shown"
    );
    page
}

/// `?debug=2`: a count line, then one block per task, oldest first (Go's `goroutine N [state]:`
/// blocks, with the spawn site where Go prints the stack). Formatting stops at [`MAX_PAGE`],
/// with a line counting the tasks not shown.
fn per_task(tasks: &[TaskInfo]) -> String {
    let mut tasks: Vec<&TaskInfo> = tasks.iter().collect();
    tasks.sort_by(|a, b| b.age.cmp(&a.age).then(a.id.as_u64().cmp(&b.id.as_u64())));
    let mut out = format!(
        "{} task{}\n",
        tasks.len(),
        if tasks.len() == 1 { "" } else { "s" }
    );
    for (i, t) in tasks.iter().enumerate() {
        let before = out.len();
        task_block(&mut out, t);
        if out.len() > MAX_PAGE - TRUNCATION_LINE {
            out.truncate(before);
            let _ = writeln!(
                out,
                "... truncated at {MAX_PAGE_NAME}: {} more tasks not shown",
                tasks.len() - i
            );
            break;
        }
    }
    out
}

fn task_block(out: &mut String, t: &TaskInfo) {
    let state = match t.wait_reason {
        Some(r) => format!("{}, {r}", t.state),
        None => t.state.to_string(),
    };
    let _ = write!(out, "\ntask {} [{state}, {:.1?}, {} polls", t.id, t.age, t.polls);
    if t.slow_polls > 0 {
        let _ = write!(
            out,
            ", {} slow polls, longest {:.1?}",
            t.slow_polls, t.longest_poll
        );
    }
    if t.locked {
        out.push_str(", locked to thread");
    }
    let _ = write!(out, "]:\n  spawned at {}\n", t.spawned_at);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_queries() {
        assert!(matches!(route("GET", "/debug/gosched/"), Ok(Page::Index)));
        assert!(matches!(
            route("GET", "/debug/gosched/tasks?x=1&debug=2"),
            Ok(Page::Tasks { debug: 2 })
        ));
        assert!(matches!(
            route("HEAD", "/debug/gosched/tasks"),
            Ok(Page::Tasks { debug: 1 })
        ));
        assert!(matches!(
            route("GET", "/debug/gosched/trace?seconds=0"),
            Ok(Page::Trace { seconds: 0 })
        ));
        let status = |r: Result<Page, Response>| r.err().unwrap().status;
        assert_eq!(status(route("GET", "/debug/gosched/tasks?debug=3")), 400);
        assert_eq!(status(route("GET", "/debug/gosched/trace?seconds=61")), 400);
        assert_eq!(status(route("GET", "/debug/gosched/trace?seconds=-1")), 400);
        assert_eq!(status(route("GET", "/nope")), 404);
        assert_eq!(status(route("POST", "/debug/gosched/metrics")), 405);
        assert_eq!(query_value("a&b=2&a=3", "a"), Some("3"));
        assert_eq!(query_value("", "a"), None);
    }

    #[test]
    fn long_pages_are_cut_at_a_line_end_with_a_line_saying_so() {
        let short = "a\nb\n".to_owned();
        assert_eq!(capped(short.clone()), short);
        let long = "0123456789\n".repeat(MAX_PAGE / 11 + 10);
        let cut = capped(long.clone());
        assert!(cut.len() <= MAX_PAGE + 80, "{}", cut.len());
        let (kept, last) = cut.trim_end().rsplit_once('\n').unwrap();
        assert!(long.starts_with(kept));
        assert!(last.starts_with("... truncated at 2 MiB: "), "{last}");
    }
}
