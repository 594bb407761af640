//! Internal tests (loom models, raw-task tests under miri).
