//! `select!`, `join!`, `try_join!` and `pin!`: `#[macro_export]`ed at the crate root, with
//! their hidden helpers here. They are pure `macro_rules`: no proc-macro helper, no `unsafe`
//! (futures are pinned with `core::pin::pin!`).

mod join;
mod pin;
mod select;

#[doc(hidden)]
pub mod support;
