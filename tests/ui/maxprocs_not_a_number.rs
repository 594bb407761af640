#[gosched::test(maxprocs = "x")]
async fn maxprocs_not_a_number() {}

fn main() {}
