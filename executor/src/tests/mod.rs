//! Internal tests (loom models, raw-task tests under miri).

#[cfg(loom)]
mod loom_handoff;
