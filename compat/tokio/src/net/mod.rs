//! tokio::net on gosched.
