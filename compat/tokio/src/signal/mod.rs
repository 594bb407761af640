//! tokio::signal on gosched.
