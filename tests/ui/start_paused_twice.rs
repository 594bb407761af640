#[gosched::test(start_paused, maxprocs = 1, start_paused)]
async fn start_paused_twice() {}

fn main() {}
