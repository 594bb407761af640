//! The process-wide moments a runtime's diagnostics are written without being asked from
//! code: SIGQUIT (`GOSCHED_DEBUG=sigquit=1`), SIGTERM and an aborting panic (with
//! `GOSCHED_TRACE`). A runtime registers itself as a [`Recorded`] (runtime/report.rs, which
//! also writes the flight recorder's snapshot for `write_trace`).
//!
//! # Signals
//! A library must not take signals unasked. Both signals go through signal-hook-registry,
//! as `gosched::signal` listeners do: it owns the process's `sigaction` handler and runs every
//! action registered for a signal (ours, a listener's, tokio's or signal-hook's), and chains
//! to a handler that was installed before it. So:
//! - **SIGQUIT** is taken only with `GOSCHED_DEBUG=sigquit=1`. The user asked for Go's
//!   behaviour: the dump, then exit status 2. A `signal(SignalKind::quit())` listener made
//!   earlier or later still gets its signal.
//! - **SIGTERM** is taken with `GOSCHED_TRACE` (or `Builder::trace_path`) unless it is
//!   ignored when the runtime is built (an ignored SIGTERM is left alone). On SIGTERM the
//!   trace is written; then, if nothing else in the program takes SIGTERM, the default action
//!   is restored and SIGTERM raised again, so the process dies of it exactly as it would have.
//!   SIGTERM is the program's when a handler was installed before ours, when a
//!   `gosched::signal` listener for it has been created (before or after the runtime; see
//!   `note_listener`), or when a handler was installed over the registry's since.
//!   Then the trace is written, the program's handler runs and the process goes on; the full
//!   trace is written again when the runtime drops. Not seen: an action added through
//!   signal-hook-registry directly (crates.io tokio, signal-hook) after the runtime was
//!   built, which looks like no handler at all: the process dies of SIGTERM after the trace.
//!
//! Our action only writes the signal number to a socket (async-signal-safe); a thread of
//! ours, `gosched-signal`, started with the first registration, reads it and does the work.
//! The socket pair is made close-on-exec in one step (`UnixStream::pair`), so a child that a
//! thread forks and execs meanwhile never inherits it.
//!
//! # Panics
//! With `GOSCHED_TRACE` and a `panic = "abort"` build, a panic (in a task or anywhere else)
//! ends the process before any runtime drops; a panic hook, installed once and chained to the
//! previous one, writes every such runtime's trace first. With `panic = "unwind"` a task's
//! panic is caught and delivered through its `JoinHandle`, so nothing aborts and no hook is
//! installed. Tested in an unwind build (a second build of everything with `-C panic=abort`
//! costs CI too much): a child process forces the hook as an abort build installs it, and a
//! task panics inside an `extern "C"` function, a panic that aborts in any build
//! (`tests::an_aborting_task_panic_writes_the_trace`).

use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once, OnceLock};

/// Bit `n - 1` is set once a `gosched::signal` listener for signal `n` has been created
/// (signals 1 to 64).
static LISTENED: AtomicU64 = AtomicU64::new(0);

/// Called by `gosched::signal` (signal/unix.rs) when a listener for `sig` exists: from then
/// on the process never takes `sig`'s default action (signal/mod.rs, "Default dispositions"),
/// so a SIGTERM is the program's to act on.
pub(crate) fn note_listener(sig: libc::c_int) {
    if (1..=64).contains(&sig) {
        // Relaxed: a flag read by the signal thread after the signal arrived, long after the
        // listener was made.
        LISTENED.fetch_or(1 << (sig - 1), Ordering::Relaxed);
    }
}

/// Whether a `gosched::signal` listener for `sig` has ever been created in this process.
fn ever_listened(sig: libc::c_int) -> bool {
    (1..=64).contains(&sig) && LISTENED.load(Ordering::Relaxed) & (1 << (sig - 1)) != 0
}

/// A runtime as the recorder sees it: what its settings ask for, and what it writes. The
/// runtime implements it (runtime/report.rs), so nothing here reads the scheduler.
pub(crate) trait Recorded: Send + Sync {
    /// `GOSCHED_TRACE`'s path (or `Builder::trace_path`), if set.
    fn trace_path(&self) -> Option<&Path>;
    /// `GOSCHED_DEBUG=sigquit=1`.
    fn sigquit(&self) -> bool;
    /// Writes the trace rings to `path` (Chrome JSON).
    fn write_trace(&self, path: &Path) -> io::Result<()>;
    /// The SCHED and scheddetail lines, a blank line and the grouped task dump.
    fn sigquit_report(&self) -> String;
}

/// Runtimes that asked for SIGQUIT, SIGTERM or panic handling, by a key unique among live
/// runtimes; removed at shutdown.
static RUNTIMES: Mutex<Vec<(usize, Arc<dyn Recorded>)>> = Mutex::new(Vec::new());

/// At build: installs what the runtime's settings ask for and registers it under `key`.
pub(crate) fn register(key: usize, rt: Arc<dyn Recorded>) {
    let trace = rt.trace_path().is_some();
    let sigquit = rt.sigquit();
    if cfg!(loom) || !(sigquit || trace) {
        return;
    }
    lock_runtimes().push((key, rt));
    if sigquit {
        signals::install_sigquit();
    }
    if trace {
        signals::install_sigterm();
        if panics_abort() {
            install_panic_hook();
        }
    }
}

/// At shutdown: forgets the runtime registered under `key`.
pub(crate) fn unregister(key: usize) {
    lock_runtimes().retain(|(k, _)| *k != key);
}

fn lock_runtimes() -> std::sync::MutexGuard<'static, Vec<(usize, Arc<dyn Recorded>)>> {
    RUNTIMES.lock().unwrap_or_else(|e| e.into_inner())
}

/// The registered runtimes, copied out of the lock.
fn runtimes() -> Vec<Arc<dyn Recorded>> {
    lock_runtimes().iter().map(|(_, rt)| rt.clone()).collect()
}

/// Writes the trace of every registered runtime that has a trace path.
fn write_all_traces() {
    for rt in runtimes() {
        let Some(path) = rt.trace_path() else {
            continue;
        };
        if let Err(e) = rt.write_trace(path) {
            eprintln!("gosched: cannot write the trace to {}: {e}", path.display());
        }
    }
}

/// Go's SIGQUIT output for every registered runtime that asked for it.
fn sigquit_dump() -> String {
    let mut out = String::from("SIGQUIT: quit\n");
    for rt in runtimes().iter().filter(|rt| rt.sigquit()) {
        out.push_str(&rt.sigquit_report());
    }
    out
}

/// Whether a panic ends the process before any runtime drops, so the panic hook must write
/// the traces: a `panic = "abort"` build. The unit tests force it in an unwind build to run
/// the very hook such a build installs (`tests::an_aborting_task_panic_writes_the_trace`).
fn panics_abort() -> bool {
    #[cfg(all(test, not(loom)))]
    if tests::FORCE_PANIC_HOOK.load(Ordering::Relaxed) {
        return true;
    }
    cfg!(panic = "abort")
}

/// The hook of a process whose panics abort: the previous hook (the message), then every
/// registered runtime's trace, then the panic runtime aborts.
fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            prev(info);
            write_all_traces();
        }));
    });
}

/// The signal handlers and the thread that acts on them.
mod signals {
    use super::*;

    /// The socket's write end, for the handlers; -1 until the thread runs.
    static PIPE: AtomicI32 = AtomicI32::new(-1);

    /// Writes `sig` as one byte into the socket; async-signal-safe.
    fn send_byte(sig: libc::c_int) {
        let fd = PIPE.load(Ordering::Relaxed);
        let byte = sig as u8;
        let errno = errno_ptr();
        // SAFETY: `write` is async-signal-safe; `byte` is a valid one-byte buffer. The write
        // end is non-blocking: a full socket (signals far faster than the thread reads) drops
        // the byte, which is harmless, the thread already has one to act on. `errno` points to
        // this thread's errno, saved and restored so the interrupted code never sees ours.
        unsafe {
            let saved = *errno;
            libc::write(fd, (&byte as *const u8).cast(), 1);
            *errno = saved;
        }
    }

    /// This thread's `errno`.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn errno_ptr() -> *mut libc::c_int {
        // SAFETY: returns the calling thread's errno location; async-signal-safe.
        unsafe { libc::__errno_location() }
    }

    /// This thread's `errno`.
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn errno_ptr() -> *mut libc::c_int {
        // SAFETY: returns the calling thread's errno location; async-signal-safe.
        unsafe { libc::__error() }
    }

    /// Starts the thread and the socket pair once; false if they could not be made.
    fn start() -> bool {
        static STARTED: OnceLock<bool> = OnceLock::new();
        *STARTED.get_or_init(|| {
            // Close-on-exec from the start (std makes the pair with SOCK_CLOEXEC).
            let Ok((read, write)) = std::os::unix::net::UnixStream::pair() else {
                return false;
            };
            // The handler must never block.
            if write.set_nonblocking(true).is_err() {
                return false;
            }
            // The write end lives for the rest of the process (the handlers may run any time).
            PIPE.store(std::os::fd::IntoRawFd::into_raw_fd(write), Ordering::Relaxed);
            std::thread::Builder::new()
                .name("gosched-signal".into())
                .spawn(move || run(std::os::fd::IntoRawFd::into_raw_fd(read)))
                .is_ok()
        })
    }

    fn run(read: libc::c_int) {
        loop {
            let mut byte = 0u8;
            // SAFETY: `byte` is a valid one-byte buffer; `read` is the socket's read end, which
            // stays open for the life of the process.
            let n = unsafe { libc::read(read, (&mut byte as *mut u8).cast(), 1) };
            if n != 1 {
                if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return;
            }
            match i32::from(byte) {
                libc::SIGQUIT => {
                    let text = sigquit_dump();
                    let _ = io::Write::write_all(&mut io::stderr().lock(), text.as_bytes());
                    std::process::exit(2);
                }
                libc::SIGTERM => {
                    write_all_traces();
                    if !sigterm_handled_elsewhere() {
                        die_of(libc::SIGTERM);
                    }
                }
                _ => {}
            }
        }
    }

    /// The current action for `sig`.
    fn current(sig: libc::c_int) -> Option<libc::sigaction> {
        // SAFETY: an all-zero `sigaction` is a valid value to be overwritten.
        let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: a null new action only reads the current one into `old`.
        let rc = unsafe { libc::sigaction(sig, std::ptr::null(), &mut old) };
        (rc == 0).then_some(old)
    }

    /// Adds our action for `sig` to signal-hook-registry's: every other action registered
    /// there (a `gosched::signal` listener, tokio's, signal-hook's) still runs, before or
    /// after ours, and a handler installed before the registry's is chained to by it.
    fn register(sig: libc::c_int) -> bool {
        if !start() {
            eprintln!("gosched: cannot start the signal thread; signal {sig} not handled");
            return false;
        }
        // SAFETY: `register` requires an async-signal-safe action: `send_byte` makes one
        // `write` and saves and restores errno. SIGQUIT and SIGTERM are not among the signals
        // the registry refuses (SIGKILL, SIGSTOP, SIGILL, SIGFPE, SIGSEGV).
        let r = unsafe { signal_hook_registry::register(sig, move || send_byte(sig)) };
        match r {
            Ok(_) => true,
            Err(e) => {
                eprintln!("gosched: cannot handle signal {sig}: {e}");
                false
            }
        }
    }

    /// Once per process (the module doc says what SIGQUIT does).
    pub(super) fn install_sigquit() {
        static DONE: OnceLock<()> = OnceLock::new();
        DONE.get_or_init(|| {
            register(libc::SIGQUIT);
        });
    }

    /// What was there when our SIGTERM action was added: whether the program already handled
    /// SIGTERM, and the handler installed once ours was added (the registry's).
    struct Term {
        handled_before: bool,
        handler: usize,
    }

    static TERM: OnceLock<Option<Term>> = OnceLock::new();

    /// Once per process, unless SIGTERM is ignored (the module doc says why).
    pub(super) fn install_sigterm() {
        TERM.get_or_init(|| {
            let before = current(libc::SIGTERM)?.sa_sigaction;
            if before == libc::SIG_IGN || !register(libc::SIGTERM) {
                return None;
            }
            Some(Term {
                handled_before: before != libc::SIG_DFL,
                handler: current(libc::SIGTERM).map_or(0, |a| a.sa_sigaction),
            })
        });
    }

    /// Whether anything but the trace takes SIGTERM: a handler that was there before ours, a
    /// `gosched::signal` listener made at any time, or a handler installed over the
    /// registry's since (they chain to the handler they replace).
    fn sigterm_handled_elsewhere() -> bool {
        let Some(Some(term)) = TERM.get() else {
            return true;
        };
        term.handled_before
            || super::ever_listened(libc::SIGTERM)
            || current(libc::SIGTERM).is_some_and(|a| a.sa_sigaction != term.handler)
    }

    /// Restores the default action for `sig` and raises it: the process ends as if we had
    /// never handled it.
    fn die_of(sig: libc::c_int) -> ! {
        // SAFETY: restoring the default action and sending the signal to our own process are
        // plain syscalls; the default action of SIGTERM terminates the process.
        unsafe {
            libc::signal(sig, libc::SIG_DFL);
            libc::kill(libc::getpid(), sig);
        }
        // The signal may be blocked on this thread but delivered to another; give it time.
        loop {
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    }
}

#[cfg(all(test, not(loom)))]
pub(super) mod tests {
    use std::os::unix::process::ExitStatusExt;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    /// Makes `register` install the panic hook as a `panic = "abort"` build does.
    pub(in crate::diag) static FORCE_PANIC_HOOK: AtomicBool = AtomicBool::new(false);

    const CHILD: &str = "GOSCHED_TEST_ABORTING_PANIC_CHILD";

    /// A panic that cannot unwind out of this function: the panic hook runs, then the process
    /// aborts, in any build.
    extern "C" fn panic_in_extern_c() {
        panic!("a task panic that aborts the process");
    }

    /// In the child: a runtime with a trace path, 50 polls, then a task whose panic aborts.
    #[test]
    #[ignore = "child process entry point, run by an_aborting_task_panic_writes_the_trace"]
    fn aborting_panic_child() {
        let Some(path) = std::env::var_os(CHILD) else {
            return;
        };
        FORCE_PANIC_HOOK.store(true, Ordering::Relaxed);
        let rt = crate::runtime::Builder::new()
            .maxprocs(2)
            .trace_path(PathBuf::from(path))
            .build()
            .unwrap();
        rt.block_on(async {
            for _ in 0..50 {
                crate::spawn(async {}).await.unwrap();
            }
            // The last poll's event is recorded just after its awaiter resumed: let it land.
            std::thread::sleep(Duration::from_millis(100));
            let _ = crate::spawn(async { panic_in_extern_c() }).await;
        });
        println!("SURVIVED");
    }

    /// With `GOSCHED_TRACE` and panics that abort, a task's panic writes the trace before the
    /// process dies. What this proves: the hook `register` installs when panics abort writes
    /// every registered runtime's trace (valid JSON, the polls so far) from a worker thread
    /// whose task panicked, before the abort. Not proven here: that an actual
    /// `panic = "abort"` build takes this path (`cfg!(panic = "abort")` in `panics_abort`).
    #[test]
    fn an_aborting_task_panic_writes_the_trace() {
        let path = std::env::temp_dir().join(format!("gosched-aborting-panic-{}.json", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "diag::recorder::tests::aborting_panic_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, &path)
            .env_remove("GOSCHED_TRACE")
            .env_remove("GOSCHED_DEBUG")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.signal(),
            Some(libc::SIGABRT),
            "{:?}\n{stdout}\n{stderr}",
            out.status
        );
        assert!(!stdout.contains("SURVIVED"), "{stdout}");
        assert!(
            stderr.contains("a task panic that aborts the process"),
            "the previous hook still prints the message: {stderr}"
        );
        let text = std::fs::read_to_string(&path).expect("the trace was written");
        let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        let polls = v["traceEvents"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["ph"] == "X")
            .count();
        // 50 polls ran; the crate's test rings keep 63 events per M, shared with the wake and
        // park events around each poll.
        assert!(polls >= 20, "{polls} poll events");
        std::fs::remove_file(&path).unwrap();
    }
}
