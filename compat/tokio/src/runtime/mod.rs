//! tokio::runtime on gosched.
