#!/usr/bin/env python3
"""Where a runnable task waits, from a gosched trace file (GOSCHED_TRACE=path).

Usage: python3 benches/waits.py TRACE.json [--long-poll-us 100] [--gap-us 50]

Every poll of a task is matched with the last `wake` of that task before it (or with the end
of its previous poll, if the wake came during that poll: a task woken while it runs is
requeued after it). The runnable period [ready, poll start] is then laid over the timeline
of the M that polled it, and each stretch of it is put down to one cause:

  a  queued behind a running poll   the M was polling another task (the part of each such
                                    poll up to the median poll time)
  b  behind an M off its CPU        the part of a poll beyond the median poll time, when the
                                    poll's wall time exceeds --long-poll-us (the kernel took
                                    the M off its CPU mid-poll: polls here are ~10 us of CPU),
                                    and gaps between the M's events longer than --gap-us
                                    (neither parked nor polling: the scheduler's own code
                                    between polls takes a few us)
  c  a parked M waking              the M was parked (or blocked in the poller) when the task
                                    became runnable: from then to its first poll
  e  scheduler work                 short gaps between the M's events (find, steal, netpoll)

and, before the runnable period, for tasks made runnable by a non-blocking netpoll:

  d  waiting for the network poll   counted apart: tasks made runnable off the Ms (sysmon's
                                    netpoll, which runs when nobody polled for 1 ms; also the
                                    blocking pool), by the blocking poller, and by a
                                    non-blocking netpoll on an M, whose readiness reached the
                                    kernel after the previous non-empty netpoll (empty ones are
                                    not recorded): that gap is an upper bound

The trace keeps each M's newest 65,535 events, so only the span that every busy M's ring
covers is analysed.
"""

import argparse
import bisect
import json
from collections import defaultdict

OFF_M, NOP, OWNING, POLLING, COLLECTING = 0, 1, 2, 3, 4


def load(path):
    with open(path) as f:
        events = json.load(f)["traceEvents"]
    tracks = defaultdict(list)
    for e in events:
        if e["ph"] == "M":
            continue
        tracks[e["tid"]].append(e)
    for t in tracks.values():
        t.sort(key=lambda e: e["ts"])
    return tracks


def window(tracks):
    """The span every busy M's ring covers: from the latest first event of a full ring."""
    start = 0.0
    end = min(t[-1]["ts"] for t in tracks.values() if len(t) > 1000)
    for t in tracks.values():
        if len(t) >= 60000:
            start = max(start, t[0]["ts"])
    return start, end


class Timeline:
    """One M's polls and parked spans, for the questions the classifier asks."""

    def __init__(self, evs):
        self.polls = [(e["ts"], e["ts"] + e["dur"], e["args"]["task"]) for e in evs if e["ph"] == "X"]
        self.starts = [p[0] for p in self.polls]
        self.parked = []  # (from, to)
        since = None
        for e in evs:
            if e["name"] == "park":
                if e["args"]["n"] == 1:
                    since = e["ts"]
                elif since is not None:
                    self.parked.append((since, e["ts"]))
                    since = None
            elif since is not None and (e["name"] == "wake" or e["ph"] == "X"):
                # The blocking poller's wakes are recorded after epoll returned and before
                # its `park 0`: the M is awake from its first one. (A poll after a `park 1`
                # without its `park 0`: a retired M's ring, reused by a new thread.)
                self.parked.append((since, e["ts"]))
                since = None
        if since is not None:
            self.parked.append((since, float("inf")))
        self.park_starts = [p[0] for p in self.parked]
        self.first = evs[0]["ts"] if evs else 0.0

    def parked_at(self, t):
        i = bisect.bisect_right(self.park_starts, t) - 1
        return i >= 0 and self.parked[i][1] > t

    def segments(self, a, b):
        """(kind, length, poll wall time) for [a, b]: 'poll' or 'gap' or 'park'."""
        out = []
        i = max(bisect.bisect_right(self.starts, a) - 1, 0)
        t = a
        while i < len(self.polls) and self.polls[i][0] < b:
            s, e, _ = self.polls[i]
            i += 1
            if e <= t:
                continue
            if s > t:
                out.extend(self.idle(t, s))
            out.append(("poll", min(e, b) - max(s, t), e - s))
            t = min(e, b)
        if t < b:
            out.extend(self.idle(t, b))
        return out

    def idle(self, a, b):
        """Gap [a, b] between polls, split into parked and not."""
        out = []
        i = max(bisect.bisect_right(self.park_starts, a) - 1, 0)
        t = a
        while i < len(self.parked) and self.parked[i][0] < b:
            s, e = self.parked[i]
            i += 1
            if e <= t:
                continue
            if s > t:
                out.append(("gap", s - t, 0))
            out.append(("park", min(e, b) - max(s, t), 0))
            t = min(e, b)
        if t < b:
            out.append(("gap", b - t, 0))
        return out


def pct(xs, q):
    if not xs:
        return 0.0
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def classify(tl, ready, start, median_poll, long_poll, gap):
    """Microseconds of [ready, start] per cause on timeline `tl`."""
    out = defaultdict(float)
    if tl.parked_at(ready):
        out["c"] += start - ready
        return out
    for kind, length, wall in tl.segments(ready, start):
        if kind == "park":
            out["c"] += length
        elif kind == "gap":
            out["b" if length > gap else "e"] += length
        elif wall > long_poll:
            # The part of the poll this period saw, up to the median's worth of CPU, is "a".
            a = min(length, median_poll)
            out["a"] += a
            out["b"] += length - a
        else:
            out["a"] += length
    return out


def network(tracks, lo, hi):
    """Tasks made runnable by a netpoll in [lo, hi]: (non-blocking on an M: upper bounds in us
    of how long their readiness waited, blocking poller: count)."""
    polls = sorted(e["ts"] for t in tracks.values() for e in t if e["name"] == "netpoll")
    bounds, blocking = [], 0
    for t in tracks.values():
        for i, e in enumerate(t):
            if e["name"] != "netpoll" or not lo <= e["ts"] <= hi:
                continue
            # The wakes just before it on this track were its batch.
            j, n, first = i - 1, 0, None
            while j >= 0 and t[j]["name"] in ("wake", "park"):
                if t[j]["name"] == "wake" and t[j]["args"]["n"] != OFF_M:
                    n, first = n + 1, t[j]
                j -= 1
            if n == 0:
                continue
            if first["args"]["n"] >> 8 == 0:
                blocking += n  # collected by an M without a P: the blocking poller
                continue
            k = bisect.bisect_left(polls, e["ts"]) - 1
            if k >= 0:
                bounds.extend([e["ts"] - polls[k]] * n)
    return bounds, blocking


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("trace")
    ap.add_argument("--long-poll-us", type=float, default=100.0)
    ap.add_argument("--gap-us", type=float, default=50.0)
    args = ap.parse_args()
    tracks = load(args.trace)
    lo, hi = window(tracks)
    tls = {m: Timeline(evs) for m, evs in tracks.items()}
    polls_by_task = defaultdict(list)
    wakes_by_task = defaultdict(list)
    for m, evs in tracks.items():
        for e in evs:
            if e["ph"] == "X":
                polls_by_task[e["args"]["task"]].append((e["ts"], e["ts"] + e["dur"], m))
            elif e["name"] == "wake":
                wakes_by_task[e["args"]["task"]].append((e["ts"], e["args"]["n"], m))
    for v in list(polls_by_task.values()) + list(wakes_by_task.values()):
        v.sort()
    durs = [p[1] - p[0] for v in polls_by_task.values() for p in v]
    median_poll = pct(durs, 0.5)

    periods = []  # (wait, {cause: us}, source)
    unmatched = 0
    for task, ps in polls_by_task.items():
        wakes = wakes_by_task.get(task, [])
        wts = [w[0] for w in wakes]
        for i, (s, _e, m) in enumerate(ps):
            if i == 0 or s < lo or s > hi or ps[i - 1][0] < lo:
                continue
            prev_s, prev_e, _ = ps[i - 1]
            k = bisect.bisect_right(wts, s) - 1
            if k < 0 or wts[k] < prev_s:
                unmatched += 1
                continue
            ready = max(wts[k], prev_e)
            src = wakes[k][1] & 0xFF
            causes = classify(tls[m], ready, s, median_poll, args.long_poll_us, args.gap_us)
            periods.append((s - ready, causes, src))

    net, blocking = network(tracks, lo, hi)
    print(f"trace {args.trace}: window {(hi - lo) / 1000:.1f} ms, {len(tracks)} Ms, "
          f"median poll {median_poll:.1f} us, {len(periods)} runnable periods "
          f"({unmatched} polls without a wake in the window)")
    waits = [p[0] for p in periods]
    print(f"runnable -> running: p50 {pct(waits, 0.5):.1f} us, p90 {pct(waits, 0.9):.1f} us, "
          f"p99 {pct(waits, 0.99):.1f} us, max {max(waits, default=0):.1f} us")
    names = {
        "a": "(a) queued behind a running poll",
        "b": "(b) behind an M off its CPU",
        "c": "(c) a parked M waking",
        "e": "(e) scheduler work between polls",
    }
    cut = pct(waits, 0.99)
    tail = [p for p in periods if p[0] >= cut]
    total = sum(waits) or 1.0
    tail_total = sum(p[0] for p in tail) or 1.0
    print()
    print("| cause | all periods: share | mean per period (us) | slowest 1 %: share | mean (us) |")
    print("|---|---|---|---|---|")
    for key, name in names.items():
        s_all = sum(p[1].get(key, 0.0) for p in periods)
        s_tail = sum(p[1].get(key, 0.0) for p in tail)
        print(f"| {name} | {100 * s_all / total:.1f} % | {s_all / max(len(periods), 1):.1f} "
              f"| {100 * s_tail / tail_total:.1f} % | {s_tail / max(len(tail), 1):.1f} |")
    off_m = sum(1 for p in periods if p[2] == OFF_M)
    print()
    print("(d) waiting for the network to be polled (before the runnable period):")
    print(f"- made runnable off the Ms (sysmon's netpoll: nobody polled for 1 ms): {off_m} "
          f"periods ({100 * off_m / max(len(periods), 1):.1f} %)")
    print(f"- by the blocking poller: {blocking} (readiness wakes it at once, plus the kernel's "
          f"wake-up latency, which the trace cannot see)")
    print(f"- by a non-blocking netpoll on an M: {len(net)}; readiness waited at most (since "
          f"the previous non-empty netpoll) p50 {pct(net, 0.5):.1f} us, p99 {pct(net, 0.99):.1f} us")
    by_src = defaultdict(list)
    for w, _, src in periods:
        by_src[src].append(w)
    labels = {OFF_M: "off the Ms (sysmon, pool)", NOP: "M without a P", OWNING: "M between polls",
              POLLING: "during a poll", COLLECTING: "netpoll/timers on an M"}
    print()
    print("| made runnable by | periods | p50 (us) | p99 (us) |")
    print("|---|---|---|---|")
    for src, ws in sorted(by_src.items()):
        print(f"| {labels.get(src, src)} | {len(ws)} | {pct(ws, 0.5):.1f} | {pct(ws, 0.99):.1f} |")
    # Stretches where no M recorded anything: the whole runtime idle or off the CPUs.
    times = sorted(e["ts"] for t in tracks.values() for e in t if lo <= e["ts"] <= hi)
    holes = [(a, b - a) for a, b in zip(times, times[1:]) if b - a > 1000]
    idle = [d for a, d in holes if all(tl.parked_at(a + 0.001) for tl in tls.values())]
    busy = [d for a, d in holes if not all(tl.parked_at(a + 0.001) for tl in tls.values())]
    print(f"\nstretches of > 1 ms with no event on any M: {len(holes)}, "
          f"{sum(d for _, d in holes) / 1000:.1f} ms in all, longest "
          f"{max((d for _, d in holes), default=0) / 1000:.1f} ms; with every M parked "
          f"(waiting for the network, or for the kernel to run the woken poller): {len(idle)}, "
          f"{sum(idle) / 1000:.1f} ms; with an M running (off its CPU): {len(busy)}, "
          f"{sum(busy) / 1000:.1f} ms")
    parks = sum(1 for tl in tls.values() for p in tl.parked if lo <= p[0] <= hi)
    print(f"\nparks in the window: {parks} ({parks / max(len(periods), 1):.2f} per runnable period)")


if __name__ == "__main__":
    main()
