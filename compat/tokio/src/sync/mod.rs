//! tokio::sync on gosched.
