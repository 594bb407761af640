//! `select!`, `join!`, `try_join!` and `pin!`: `#[macro_export]`ed at the crate root, with
//! their hidden helpers here.
