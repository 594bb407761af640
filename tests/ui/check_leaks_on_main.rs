#[gosched::main(check_leaks)]
async fn main() {}
