#[gosched::test(workers = 2)]
async fn unknown_argument() {}

fn main() {}
