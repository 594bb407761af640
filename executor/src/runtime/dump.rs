//! `dump()`: every live task with its state and wait reason (Go's goroutine dump), and the leak
//! check built on it (goleak's `VerifyNone`).

use crate::sched::Shared;
use crate::task::{self, Header, Id, WAIT_SYSCALL};
use std::fmt;
use std::panic::Location;
use std::time::{Duration, Instant};

/// One live task, as `Runtime::dump` reports it.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct TaskInfo {
    /// The task's id.
    pub id: Id,
    /// What it is doing.
    pub state: TaskState,
    /// Why it waits, when `state` is `Waiting`; `Yield` when it is `Runnable` again after
    /// `task::yield_now`.
    pub wait_reason: Option<WaitReason>,
    /// Where it was spawned.
    pub spawned_at: &'static Location<'static>,
    /// Time since the spawn.
    pub age: Duration,
    /// How often it has been polled.
    pub polls: u64,
    /// How many of its polls were slow: ran at least `slow_poll_threshold`, or had their P
    /// retaken by sysmon.
    pub slow_polls: u32,
    /// The longest of its slow polls (zero when it had none).
    pub longest_poll: Duration,
    /// A pinned task (`task::spawn_pinned`, `task::spawn_local`): it runs on a thread of its
    /// own (Go's "locked to thread").
    pub locked: bool,
}

/// A task's state, in Go's terms.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskState {
    /// In a run queue (Go's `_Grunnable`).
    Runnable,
    /// Being polled (`_Grunning`).
    Running,
    /// Parked until a wake (`_Gwaiting`).
    Waiting,
    /// Its M is inside `block_in_place` (`_Gsyscall`).
    Syscall,
    /// Asked to yield by sysmon and requeued (`_Gpreempted`).
    Preempted,
}

/// Why a task waits (Go's `waitReason`).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitReason {
    /// Waiting for a socket to become readable.
    IoRead,
    /// Waiting for a socket to become writable.
    IoWrite,
    /// In `sleep`, `timeout` or `interval`.
    Sleep,
    /// Awaiting a `JoinHandle`.
    Join,
    /// After `yield_now`, queued to run again (with `TaskState::Runnable`).
    Yield,
    /// Any other future.
    Other,
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TaskState::Runnable => "runnable",
            TaskState::Running => "running",
            TaskState::Waiting => "waiting",
            TaskState::Syscall => "syscall",
            TaskState::Preempted => "preempted",
        })
    }
}

impl fmt::Display for WaitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WaitReason::IoRead | WaitReason::IoWrite => "IO wait",
            WaitReason::Sleep => "sleep",
            WaitReason::Join => "join",
            WaitReason::Yield => "yield",
            WaitReason::Other => "wait",
        })
    }
}

impl WaitReason {
    fn from_code(code: u8) -> WaitReason {
        match code {
            task::WAIT_IO_READ => WaitReason::IoRead,
            task::WAIT_IO_WRITE => WaitReason::IoWrite,
            task::WAIT_SLEEP => WaitReason::Sleep,
            task::WAIT_JOIN => WaitReason::Join,
            task::WAIT_YIELD => WaitReason::Yield,
            _ => WaitReason::Other,
        }
    }
}

impl TaskInfo {
    fn of(header: &Header) -> TaskInfo {
        let snap = header.snapshot();
        let code = header.wait.load(std::sync::atomic::Ordering::Relaxed);
        let state = if snap.is_running() {
            if code == WAIT_SYSCALL {
                TaskState::Syscall
            } else {
                TaskState::Running
            }
        } else if snap.is_notified() {
            if code == crate::task::WAIT_PREEMPTED {
                TaskState::Preempted
            } else {
                TaskState::Runnable
            }
        } else {
            TaskState::Waiting
        };
        TaskInfo {
            id: header.id,
            state,
            wait_reason: match state {
                TaskState::Waiting => Some(WaitReason::from_code(code)),
                // Queued again by its own `yield_now`: runnable, and why (Go's "runnable"
                // goroutine that called `Gosched`).
                TaskState::Runnable if code == crate::task::WAIT_YIELD => Some(WaitReason::Yield),
                _ => None,
            },
            spawned_at: header.spawned_at,
            age: crate::time::monotonic::coarse_since(header.created),
            polls: u64::from(header.polls.load(std::sync::atomic::Ordering::Relaxed)),
            slow_polls: 0,
            longest_poll: Duration::ZERO,
            locked: header.locked,
        }
    }
}

impl fmt::Display for TaskInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task {} [{}", self.id, self.state)?;
        if let Some(reason) = self.wait_reason {
            write!(f, ", {reason}")?;
        }
        if self.locked {
            f.write_str(", locked to thread")?;
        }
        write!(f, ", {:.1?}, {} polls", self.age, self.polls)?;
        write_slow(f, self)?;
        write!(f, "] spawned at {}", self.spawned_at)
    }
}

/// `, 3 slow polls, longest 52.1ms` when the task had slow polls.
fn write_slow(f: &mut impl fmt::Write, t: &TaskInfo) -> fmt::Result {
    if t.slow_polls == 0 {
        return Ok(());
    }
    write!(
        f,
        ", {} slow poll{}, longest {:.1?}",
        t.slow_polls,
        plural(t.slow_polls as usize),
        t.longest_poll
    )
}

pub(crate) fn dump(shared: &Shared) -> Vec<TaskInfo> {
    let mut out = Vec::with_capacity(shared.registry.len());
    shared.registry.for_each(|h| out.push(TaskInfo::of(h)));
    let slow = shared.diag.task_table();
    if !slow.is_empty() {
        for t in &mut out {
            if let Some(s) = slow.get(&t.id.as_u64()) {
                t.slow_polls = s.count;
                t.longest_poll = Duration::from_nanos(s.longest);
            }
        }
    }
    out.sort_by_key(|t| t.id);
    out
}

/// Formats a dump like Go's goroutine dump: tasks grouped by spawn location, the biggest
/// group first, each task with its state, wait reason, age, poll count and slow polls.
///
/// # Examples
/// ```
/// let rt = gosched::runtime::Runtime::new().unwrap();
/// for _ in 0..3 {
///     rt.spawn(std::future::pending::<()>());
/// }
/// let text = gosched::runtime::format_dump(&rt.dump());
/// assert!(text.starts_with("3 tasks"), "{text}");
/// assert!(text.contains("3 tasks spawned at "), "{text}");
/// ```
pub fn format_dump(tasks: &[TaskInfo]) -> String {
    DumpDisplay(tasks).to_string()
}

/// The `Display` of a dump; see [`format_dump`].
struct DumpDisplay<'a>(&'a [TaskInfo]);

/// Tasks listed per group before "... and N more".
const DUMP_PER_GROUP: usize = 20;

impl fmt::Display for DumpDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tasks = self.0;
        writeln!(f, "{} task{}", tasks.len(), plural(tasks.len()))?;
        let mut groups: Vec<(&'static Location<'static>, Vec<&TaskInfo>)> = Vec::new();
        for t in tasks {
            match groups.iter_mut().find(|(at, _)| *at == t.spawned_at) {
                Some((_, g)) => g.push(t),
                None => groups.push((t.spawned_at, vec![t])),
            }
        }
        groups.sort_by(|a, b| {
            b.1.len()
                .cmp(&a.1.len())
                .then(a.0.to_string().cmp(&b.0.to_string()))
        });
        for (at, group) in groups {
            writeln!(
                f,
                "\n{} task{} spawned at {at}:",
                group.len(),
                plural(group.len())
            )?;
            for t in group.iter().take(DUMP_PER_GROUP) {
                write!(
                    f,
                    "  task {} [{}",
                    t.id,
                    t.wait_reason.map_or(t.state.to_string(), |r| r.to_string())
                )?;
                write!(f, ", {:.1?}, {} polls", t.age, t.polls)?;
                write_slow(f, t)?;
                writeln!(f, "]")?;
            }
            if group.len() > DUMP_PER_GROUP {
                writeln!(f, "  ... and {} more", group.len() - DUMP_PER_GROUP)?;
            }
        }
        Ok(())
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Tasks still alive after a leak check's grace period.
#[derive(Debug, Clone)]
pub struct LeakError {
    /// The tasks that were still alive.
    pub tasks: Vec<TaskInfo>,
}

impl fmt::Display for LeakError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "gosched: leaked tasks ({} still alive):", self.tasks.len())?;
        for t in &self.tasks {
            writeln!(f, "  {t}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LeakError {}

/// Go's goleak `VerifyNone`: waits up to `grace` for every task of the runtime to finish, and
/// returns the ones that did not.
///
/// # Examples
/// ```
/// use gosched::runtime::{Runtime, verify_no_leaks};
/// use std::time::Duration;
///
/// let rt = Runtime::new().unwrap();
/// rt.block_on(rt.spawn(async {})).unwrap();
/// assert!(verify_no_leaks(rt.handle(), Duration::from_millis(100)).is_ok());
///
/// let _forever = rt.spawn(std::future::pending::<()>());
/// let leaks = verify_no_leaks(rt.handle(), Duration::from_millis(50)).unwrap_err();
/// assert_eq!(leaks.tasks.len(), 1);
/// assert!(leaks.to_string().starts_with("gosched: leaked tasks"));
/// ```
pub fn verify_no_leaks(handle: &super::Handle, grace: Duration) -> Result<(), LeakError> {
    /// How often the registry is looked at while waiting.
    const POLL_EVERY: Duration = Duration::from_millis(10);
    let deadline = Instant::now() + grace;
    loop {
        if handle.shared.registry.len() == 0 {
            return Ok(());
        }
        if Instant::now() >= deadline {
            let tasks = dump(&handle.shared);
            return if tasks.is_empty() {
                Ok(())
            } else {
                Err(LeakError { tasks })
            };
        }
        std::thread::sleep(POLL_EVERY.min(deadline.saturating_duration_since(Instant::now())));
    }
}
