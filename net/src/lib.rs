//! gosched-net: placeholder until the netpoller issue.
