//! sysmon's kicks (`SysmonNote::kick`): one wake per long sleep, however many kicks arrive
//! before sysmon's thread runs again.

use crate::sysmon::{Mode, SysmonNote, Why};

/// Kicks per thread: an M whose P was retaken kicks at every global push while no P is idle,
/// and every P going idle next to one running kicks a sleep chosen while Ms run.
const KICKS: usize = 1_000;

#[test]
fn kicks_during_one_long_sleep_wake_sysmon_once() {
    let note = SysmonNote::new();
    // sysmon chose a long sleep while Ms run; its thread has not run since.
    note.publish_long_sleep(Mode::Lazy);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| (0..KICKS).for_each(|_| note.kick(Why::Lone)));
        }
    });
    assert_eq!(
        note.notified(),
        1,
        "one kick wakes sysmon, the others see it woken"
    );
    // A stuck P seen after that wakes nobody again: sysmon is already on its way and watches
    // the poll from its own first look.
    note.kick(Why::Stuck);
    assert_eq!(note.notified(), 1);
}

#[test]
fn a_sleep_while_every_p_is_idle_is_woken_once_by_a_p_starting() {
    let note = SysmonNote::new();
    note.publish_long_sleep(Mode::Quiet);
    note.kick(Why::Lone);
    assert_eq!(note.notified(), 0, "a P going idle does not matter to this sleep");
    (0..KICKS).for_each(|_| note.kick(Why::Started));
    assert_eq!(note.notified(), 1);
}
