//! The runtime: [`Runtime`], its [`Builder`] and [`Handle`], and what it reports
//! ([`Metrics`], [`TaskInfo`], [`verify_no_leaks`]).

pub(crate) mod block_on;
mod builder;
pub(crate) mod dump;
mod handle;
mod metrics;
mod rt;

pub use builder::Builder;
pub use dump::{DumpDisplay, LeakError, TaskInfo, TaskState, WaitReason, format_dump, verify_no_leaks};
pub use handle::Handle;
pub use metrics::Metrics;
pub use rt::Runtime;

pub(crate) use block_on::block_on;
pub(crate) use builder::Config;
