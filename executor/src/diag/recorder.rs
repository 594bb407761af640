//! The flight recorder's snapshot (`write_trace`), and the process-wide moments a runtime's
//! diagnostics are written without being asked from code: SIGQUIT (`GOSCHED_DEBUG=sigquit=1`),
//! SIGTERM and an aborting panic (with `GOSCHED_TRACE`).
//!
//! # Signals
//! A library must not take signals unasked, so:
//! - **SIGQUIT** is taken only with `GOSCHED_DEBUG=sigquit=1`. The user asked for Go's
//!   behaviour: the dump, then exit status 2. Our action is added to signal-hook-registry's
//!   (as `gosched::signal` listeners' are), which runs every action registered for a signal:
//!   a `signal(SignalKind::quit())` listener made earlier or later still gets its signal.
//! - **SIGTERM** is taken with `GOSCHED_TRACE` (or `Builder::trace_path`) only if its action
//!   is still the default (terminate) when the runtime is built; an ignored SIGTERM or one the
//!   program handles is left alone. On SIGTERM the trace is written, then, if our handler is
//!   still the installed one, the default action is restored and SIGTERM raised again, so the
//!   process dies of SIGTERM exactly as it would have. If the program installed its own
//!   handler after us (`gosched::signal`, tokio or signal-hook, which all chain to the handler
//!   they replaced), the trace is written and the signal is left to the program's handler:
//!   the process goes on, and the full trace is written again when the runtime drops.
//!
//!   SIGTERM keeps a `sigaction` of its own: it is installed only over the default action, so
//!   it silences nobody, and whether the program handles SIGTERM after us is read from the
//!   installed action, which a shared registry would hide.
//!
//! Both handlers only write the signal number to a socket (async-signal-safe); a thread of
//! ours, `gosched-signal`, started with the first handler, reads it and does the work. The
//! socket pair is made close-on-exec in one step (`UnixStream::pair`), so a child that a
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

use crate::loom::Arc;
use crate::sched::Shared;
use std::io;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Once, OnceLock};

/// Writes a Chrome-JSON snapshot of `shared`'s trace rings to `path`.
pub(crate) fn write_trace(shared: &Shared, path: &Path) -> io::Result<()> {
    std::fs::write(path, trace_json(shared)?)
}

/// A Chrome-JSON snapshot of `shared`'s trace rings.
pub(crate) fn trace_json(shared: &Shared) -> io::Result<String> {
    let ms = shared.all_ms();
    let rings: Vec<_> = ms.iter().filter_map(|m| m.trace().map(|r| (m.id, r))).collect();
    if !recording(shared) {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "gosched: write_trace: this runtime records no trace; build it with \
             Builder::flight_recorder(true), or set GOSCHED_TRACE=path",
        ));
    }
    Ok(super::export::render(&rings, &shared.diag.clock))
}

/// Whether the Ms keep trace rings.
pub(crate) fn recording(shared: &Shared) -> bool {
    !cfg!(gosched_no_trace) && (shared.config.flight_recorder || shared.config.trace.is_some())
}

/// Runtimes that asked for SIGQUIT, SIGTERM or panic handling; removed at shutdown.
static RUNTIMES: Mutex<Vec<Arc<Shared>>> = Mutex::new(Vec::new());

/// At build: installs what the runtime's settings ask for and registers it.
pub(crate) fn register(shared: &Arc<Shared>) {
    let trace = shared.config.trace.is_some();
    if cfg!(loom) || !(shared.config.sigquit || trace) {
        return;
    }
    lock_runtimes().push(shared.clone());
    if shared.config.sigquit {
        signals::install_sigquit();
    }
    if trace {
        signals::install_sigterm();
        if panics_abort() {
            install_panic_hook();
        }
    }
}

/// At shutdown: forgets the runtime.
pub(crate) fn unregister(shared: &Arc<Shared>) {
    lock_runtimes().retain(|s| !Arc::ptr_eq(s, shared));
}

fn lock_runtimes() -> std::sync::MutexGuard<'static, Vec<Arc<Shared>>> {
    RUNTIMES.lock().unwrap_or_else(|e| e.into_inner())
}

/// Writes the trace of every registered runtime that has a trace path.
fn write_all_traces() {
    let runtimes = lock_runtimes().clone();
    for shared in runtimes {
        let Some(path) = &shared.config.trace else {
            continue;
        };
        if let Err(e) = write_trace(&shared, path) {
            eprintln!("gosched: cannot write the trace to {}: {e}", path.display());
        }
    }
}

/// Go's SIGQUIT output for every registered runtime that asked for it.
fn sigquit_dump() -> String {
    let runtimes = lock_runtimes().clone();
    let mut out = String::from("SIGQUIT: quit\n");
    for shared in runtimes.iter().filter(|s| s.config.sigquit) {
        out.push_str(&super::sched_report(shared));
        out.push('\n');
        out.push_str(&crate::runtime::format_dump(&crate::runtime::dump::dump(shared)));
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

    /// The handler: one byte, the signal number, into the socket.
    extern "C" fn on_signal(sig: libc::c_int) {
        send_byte(sig);
    }

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
                    if still_ours(libc::SIGTERM) {
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

    fn still_ours(sig: libc::c_int) -> bool {
        current(sig).is_some_and(|a| a.sa_sigaction == on_signal as extern "C" fn(libc::c_int) as usize)
    }

    /// Installs `on_signal` for `sig`.
    fn install(sig: libc::c_int) {
        if !start() {
            eprintln!("gosched: cannot start the signal thread; signal {sig} not handled");
            return;
        }
        // SAFETY: an all-zero `sigaction` is valid; every field we rely on is set below.
        let mut act: libc::sigaction = unsafe { std::mem::zeroed() };
        act.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
        act.sa_flags = libc::SA_RESTART;
        // SAFETY: `act.sa_mask` is a valid sigset; `act` is a valid action whose handler only
        // calls async-signal-safe functions.
        unsafe {
            libc::sigemptyset(&mut act.sa_mask);
            libc::sigaction(sig, &act, std::ptr::null_mut());
        }
    }

    /// Adds our action for SIGQUIT to signal-hook-registry's, once per process: every other
    /// action registered there (a `gosched::signal` listener, tokio's, signal-hook's) still
    /// runs, before or after ours.
    pub(super) fn install_sigquit() {
        static DONE: OnceLock<()> = OnceLock::new();
        DONE.get_or_init(|| {
            if !start() {
                eprintln!("gosched: cannot start the signal thread; SIGQUIT not handled");
                return;
            }
            // SAFETY: `register` requires an async-signal-safe action: `send_byte` makes one
            // `write` and saves and restores errno. SIGQUIT is not one of the signals the
            // registry refuses (SIGKILL, SIGSTOP, SIGILL, SIGFPE, SIGSEGV).
            let r = unsafe { signal_hook_registry::register(libc::SIGQUIT, || send_byte(libc::SIGQUIT)) };
            if let Err(e) = r {
                eprintln!("gosched: cannot handle SIGQUIT: {e}");
            }
        });
    }

    /// Only over the default action (the module doc says why).
    pub(super) fn install_sigterm() {
        static LOCK: Mutex<()> = Mutex::new(());
        let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
        if current(libc::SIGTERM).is_some_and(|a| a.sa_sigaction == libc::SIG_DFL) {
            install(libc::SIGTERM);
        }
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
