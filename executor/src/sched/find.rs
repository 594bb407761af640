//! Go's `findRunnable`: where an M looks for its next task, in Go's order, and how it gives up
//! its P when there is none (protocol B in sched/mod.rs). The numbered steps are the list
//! "Where an M looks for work" in sched/mod.rs.

use super::context::WorkerCx;
use super::p::{OwnedP, PStatus};
use super::poller;
use super::runq::Local;
use super::worker::{acquirep, releasep};
use crate::diag::export::Kind;
use crate::loom::atomic::Ordering;
use crate::task::Notified;
use crossbeam_deque::Steal;

/// Every this many ticks a P takes one task from the global queue first (Go's 61: a prime, so
/// it does not fall into step with periodic workloads).
const GLOBAL_QUEUE_INTERVAL: u32 = 61;

/// Rounds of stealing over all Ps (Go's `stealTries`).
const STEAL_TRIES: usize = 4;

/// Finds a task for the M holding P `p`: `(the P, task, inherits the time slice)`, the P
/// being the one it holds then (it may have given `p` up and taken another). Returns `None`
/// after giving the P up (the M then parks); before that, find step 8 blocks it in the
/// poller if every P is idle (or sysmon is off) and no other M is there, or parks it until
/// the nearest timer (poller.rs). The steps are the list "Where an M looks for work" in sched/mod.rs.
///
/// Always inlined into its one caller, the scheduling loop: LLVM's own choice flipped with
/// unrelated changes elsewhere in the loop, and the call cost shows on `yield`
/// (`benches/diag_cost.sh`).
#[inline(always)]
pub(super) fn find_runnable(cx: &WorkerCx, p: OwnedP) -> Option<(OwnedP, Notified, bool)> {
    let mut p = p;
    if let Some(t) = handoff_slot(cx, &p) {
        return Some((p, t, true));
    }
    loop {
        if cx.shared.is_shutdown() {
            // Every task is being cancelled; its queue entries go with the P's ownership, so
            // none is left behind if this M outlives `cancel_all` (`drain_local_queues`).
            drop(cx.shared.local(&p).drain());
            release_p(cx, p);
            return None;
        }
        if let Some((t, inherit)) = look_holding_p(cx, &p) {
            return Some((p, t, inherit));
        }
        // 7. Give up the P; re-check once as a non-spinning M.
        if let Some(t) = global_batch(cx, &p) {
            return Some((p, t, false));
        }
        let was_spinning = release_p(cx, p);
        // 8. Nothing there: block in the poller if every P is idle (or sysmon is off) and no
        // other M does, else sleep until the nearest timer (poller.rs).
        p = match recheck_and_acquire(cx, was_spinning) {
            Some(p) => p,
            None => poller::block_in_poller(cx)?,
        };
    }
}

/// Step 0: the hand-off slot is `runnext`: run it now unless something that comes before
/// `runnext` in the order is due (timers, an expired slice, the 61st tick or poll, shutdown);
/// else it goes back to `runnext` and the steps decide.
fn handoff_slot(cx: &WorkerCx, owned: &OwnedP) -> Option<Notified> {
    let t = cx.next.take()?;
    let shared = &cx.shared;
    let p = &shared.ps[owned.id()];
    if shared.timers_due(owned.id()).is_none()
        && p.schedtick() % GLOBAL_QUEUE_INTERVAL != 0
        && cx.m.polls.load(Ordering::Relaxed) % GLOBAL_QUEUE_INTERVAL as u64 != 0
        && !p.preempt_requested()
        && !shared.is_shutdown()
    {
        return Some(t);
    }
    p.local(owned).put(t, true, &shared.global);
    None
}

/// Steps 0–6, with the P held: the first task found, and whether it inherits the slice.
fn look_holding_p(cx: &WorkerCx, p: &OwnedP) -> Option<(Notified, bool)> {
    let fresh = |t| Some((t, false));
    // 0. Go's `checkTimers`: this P's due timers.
    if let Some(t) = poller::check_timers(cx, p, p.id(), false) {
        return fresh(t);
    }
    // 1. The slice expired (sysmon set `preempt`).
    if let Some(t) = slice_expired(cx, p) {
        return fresh(t);
    }
    // 2. Fairness: every 61st tick the global queue, every 61st poll the network.
    if let Some(t) = every_61st(cx, p) {
        return fresh(t);
    }
    // 3. Local: runnext (inheriting the slice), then the ring.
    if let Some(found) = cx.shared.local(p).get() {
        return Some(found);
    }
    // 4. Global queue, a batch.
    if let Some(t) = global_batch(cx, p) {
        return fresh(t);
    }
    // 5. The network, without blocking.
    if let Some(t) = poller::poll_nonblocking(cx, p) {
        return fresh(t);
    }
    // 6. Steal, if not too many Ms spin already (at most half the busy Ps).
    if cx.try_spin() {
        return steal_work(cx, p).and_then(fresh);
    }
    None
}

/// Step 1: sysmon set `preempt` (the slice expired): see `expire_slice`.
fn slice_expired(cx: &WorkerCx, owned: &OwnedP) -> Option<Notified> {
    if cx.shared.ps[owned.id()].take_preempt() {
        return expire_slice(cx, owned);
    }
    None
}

/// Step 2: every 61st tick, one task from the global queue (Go's `schedule`); every 61st
/// poll of this M, the network: while some P runs no M blocks in the poller (step 8), so busy
/// Ms look (tokio's `event_interval`), and look at the other Ps for one stuck in a poll, so
/// that sysmon may sleep long while Ms run (`sysmon::watch_from_m`). Polls, not `schedtick`,
/// which stands still along a `runnext` chain and would make every hop of the chain poll.
fn every_61st(cx: &WorkerCx, owned: &OwnedP) -> Option<Notified> {
    let shared = &cx.shared;
    let p = &shared.ps[owned.id()];
    if p.schedtick() % GLOBAL_QUEUE_INTERVAL == 0 {
        if let Some(t) = shared.global.pop_batch(shared.ps.len(), 1, &p.local(owned)) {
            return Some(t);
        }
    }
    if cx.m.polls.load(Ordering::Relaxed) % GLOBAL_QUEUE_INTERVAL as u64 == 0 {
        crate::sysmon::watch_from_m(shared, owned.id());
        return poller::poll_nonblocking(cx, owned);
    }
    None
}

/// Steps 4 and 7: Go's `globrunqget`, a batch into this P's ring.
fn global_batch(cx: &WorkerCx, p: &OwnedP) -> Option<Notified> {
    let shared = &cx.shared;
    shared
        .global
        .pop_batch(shared.ps.len(), usize::MAX, &shared.local(p))
}

/// Go's `gopreempt_m` → `goschedImpl` for a `runnext` chain whose inherited slice expired:
/// the task that would inherit it goes to the global tail, where every M sees it (and one is
/// woken for it). If tasks were already waiting there, the oldest runs now, before anything
/// else on this P; otherwise the search goes on in order (the ring, then the global queue,
/// where the task comes back with a fresh slice only if nothing else is runnable).
fn expire_slice(cx: &WorkerCx, p: &OwnedP) -> Option<Notified> {
    let shared = &cx.shared;
    let local = shared.local(p);
    let t = local.take_runnext()?;
    let waiting = !shared.global.is_empty();
    shared.global.push(t);
    shared.wakep();
    shared.preemptions.fetch_add(1, Ordering::Relaxed);
    cx.m.trace_instant(&shared.diag, Kind::Preempt, 1);
    if !waiting {
        return None;
    }
    shared.global.pop_batch(shared.ps.len(), 1, &local)
}

/// Protocol B steps 1–2 (`Idle::release_p`): the P goes idle, then the M stops spinning.
/// Returns whether it was.
fn release_p(cx: &WorkerCx, p: OwnedP) -> bool {
    let shared = &cx.shared;
    let was_spinning = cx.is_spinning();
    let npidle = shared.idle.release_p(&shared.ps, p, was_spinning);
    shared.p_idled(npidle);
    releasep(cx);
    if was_spinning {
        cx.set_spinning(false);
    }
    was_spinning
}

/// Protocol B step 3 (`Idle::recheck_and_acquire`): after the fence, look at every queue once
/// more; if something arrived, take an idle P back (spinning again if we were). `Some`: the
/// M holds that P now.
fn recheck_and_acquire(cx: &WorkerCx, was_spinning: bool) -> Option<OwnedP> {
    let shared = &cx.shared;
    let p = shared
        .idle
        .recheck_and_acquire(&shared.ps, &shared.global, &shared.shutdown, was_spinning)?;
    shared.p_started();
    let p = acquirep(cx, p);
    if was_spinning {
        cx.set_spinning(true);
    }
    Some(p)
}

/// Go's `stealWork`: up to `STEAL_TRIES` rounds over all Ps in a random coprime order, taking
/// half a victim's queue; `runnext` only in the last round.
fn steal_work(cx: &WorkerCx, p: &OwnedP) -> Option<Notified> {
    let shared = &cx.shared;
    let n = shared.ps.len();
    let pid = p.id();
    let mine = shared.local(p);
    for round in 0..STEAL_TRIES {
        let last = round == STEAL_TRIES - 1;
        let (start, stride) = random_order(n, cx.rand());
        for k in 0..n {
            if shared.is_shutdown() {
                return None;
            }
            let v = (start + k * stride) % n;
            if v == pid {
                continue;
            }
            let victim = &shared.ps[v];
            // Go's `stealWork`: in the last round, run the victim's due timers too.
            if last {
                if let Some(t) = poller::check_timers(cx, p, v, true) {
                    return Some(t);
                }
            }
            let status = victim.status();
            if status == PStatus::Idle {
                continue;
            }
            let before = mine.len();
            let running = matches!(status, PStatus::InPoll(_));
            let got = victim.runq().steal_into(&mine, last, running).or_else(|| {
                let m = victim.m()?;
                steal_buffer(&m.buffer, &mine, last, &shared.global)
            });
            if let Some(t) = got {
                let n = (mine.len() - before + 1) as u64;
                super::m::M::bump(&cx.m.steals, n);
                cx.m.trace_instant(&shared.diag, Kind::Steal, n);
                return Some(t);
            }
        }
    }
    None
}

/// Steals from a polling M's spawn buffer: up to half, leaving its newest task (the one that
/// will become `runnext`) except in the last round.
fn steal_buffer(
    buffer: &crossbeam_deque::Stealer<Notified>,
    dst: &Local<'_, Notified>,
    last: bool,
    global: &super::global::GlobalQueue<Notified>,
) -> Option<Notified> {
    let len = buffer.len();
    let keep = usize::from(!last);
    if len <= keep {
        return None;
    }
    let take = (len - len / 2).min(len - keep);
    let first = loop {
        match buffer.steal() {
            Steal::Success(t) => break t,
            Steal::Empty => return None,
            Steal::Retry => crate::loom::spin_loop(),
        }
    };
    for _ in 1..take {
        match buffer.steal() {
            Steal::Success(t) => dst.put(t, false, global),
            _ => break,
        }
    }
    Some(first)
}

/// Go's `randomOrder`: a start and a stride coprime with `n`, so `start + k·stride mod n`
/// visits every P once.
fn random_order(n: usize, r: u64) -> (usize, usize) {
    let start = (r % n as u64) as usize;
    let coprimes = (1..=n).filter(|&i| gcd(i, n) == 1).count();
    let pick = ((r >> 32) % coprimes as u64) as usize;
    let stride = (1..=n).filter(|&i| gcd(i, n) == 1).nth(pick).unwrap_or(1);
    (start, stride)
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_order_visits_every_p_once() {
        for n in 1..=12 {
            for r in [0u64, 1, 7, 0xdead_beef_1234_5678, u64::MAX] {
                let (start, stride) = random_order(n, r);
                let mut seen: Vec<usize> = (0..n).map(|k| (start + k * stride) % n).collect();
                seen.sort_unstable();
                assert_eq!(seen, (0..n).collect::<Vec<_>>(), "n={n} r={r}");
            }
        }
    }
}
