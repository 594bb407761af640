#[gosched::main(maxprocs = 0)]
async fn main() {}
