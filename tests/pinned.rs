//! The facade re-exports pinned tasks: `gosched::task::{spawn_pinned, spawn_local}`.

use gosched_testkit::watchdog;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

#[gosched::test]
async fn spawn_pinned_and_spawn_local_through_the_facade() {
    let _w = watchdog("facade_pinned", Duration::from_secs(60));
    let n = gosched::task::spawn_pinned(|| async {
        let cell = Rc::new(RefCell::new(0));
        let c = cell.clone();
        gosched::task::spawn_local(async move { *c.borrow_mut() += 1 })
            .await
            .unwrap();
        gosched::time::sleep(Duration::from_millis(1)).await;
        *cell.borrow()
    })
    .await
    .unwrap();
    assert_eq!(n, 1);
}
