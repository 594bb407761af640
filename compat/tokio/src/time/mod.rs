//! tokio::time on gosched.
