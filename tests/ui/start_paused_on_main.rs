#[gosched::main(start_paused)]
async fn main() {}
