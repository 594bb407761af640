#[gosched::test(start_paused = true)]
async fn start_paused_takes_no_value() {}

fn main() {}
