//! tokio::sync's surface, checked at compile time: the auto traits tokio documents for the
//! types and for the futures that tasks hold across `.await` (a `!Send` future cannot be
//! spawned), and signatures by fn-pointer coercion (which fail to compile if one differs).
#![allow(clippy::type_complexity)]

use std::sync::Arc;
use tokio::sync::{
    AcquireError, Barrier, Mutex, MutexGuard, Notify, OnceCell, OwnedMutexGuard, OwnedRwLockReadGuard,
    OwnedRwLockWriteGuard, OwnedSemaphorePermit, RwLock, RwLockReadGuard, RwLockWriteGuard, Semaphore,
    SemaphorePermit, TryAcquireError, TryLockError, broadcast, mpsc, oneshot, watch,
};

fn send_sync<T: Send + Sync>() {}
fn send<T: Send>(_: &T) {}
fn error<T: std::error::Error + Send + Sync + 'static>() {}

#[test]
fn types_are_send_and_sync() {
    send_sync::<Semaphore>();
    send_sync::<Notify>();
    send_sync::<Barrier>();
    send_sync::<Mutex<u8>>();
    send_sync::<RwLock<u8>>();
    send_sync::<OnceCell<u8>>();
    send_sync::<SemaphorePermit<'static>>();
    send_sync::<OwnedSemaphorePermit>();
    send_sync::<MutexGuard<'static, u8>>();
    send_sync::<OwnedMutexGuard<u8>>();
    send_sync::<RwLockReadGuard<'static, u8>>();
    send_sync::<RwLockWriteGuard<'static, u8>>();
    send_sync::<OwnedRwLockReadGuard<u8>>();
    send_sync::<OwnedRwLockWriteGuard<u8>>();
    send_sync::<mpsc::Sender<u8>>();
    send_sync::<mpsc::Receiver<u8>>();
    send_sync::<mpsc::UnboundedSender<u8>>();
    send_sync::<mpsc::UnboundedReceiver<u8>>();
    send_sync::<mpsc::WeakSender<u8>>();
    send_sync::<mpsc::OwnedPermit<u8>>();
    send_sync::<mpsc::Permit<'static, u8>>();
    send_sync::<oneshot::Sender<u8>>();
    send_sync::<oneshot::Receiver<u8>>();
    send_sync::<watch::Sender<u8>>();
    send_sync::<watch::Receiver<u8>>();
    send_sync::<broadcast::Sender<u8>>();
    send_sync::<broadcast::Receiver<u8>>();
    error::<AcquireError>();
    error::<TryAcquireError>();
    error::<TryLockError>();
    error::<mpsc::error::SendError<u8>>();
    error::<mpsc::error::TrySendError<u8>>();
    error::<mpsc::error::TryRecvError>();
    error::<mpsc::error::SendTimeoutError<u8>>();
    error::<oneshot::error::RecvError>();
    error::<oneshot::error::TryRecvError>();
    error::<watch::error::RecvError>();
    error::<watch::error::SendError<u8>>();
    error::<broadcast::error::RecvError>();
    error::<broadcast::error::TryRecvError>();
    error::<broadcast::error::SendError<u8>>();
    error::<tokio::sync::SetError<u8>>();
}

#[test]
fn futures_held_across_await_are_send() {
    let sem = Arc::new(Semaphore::new(1));
    send(&sem.acquire());
    send(&sem.acquire_many(2));
    send(&sem.clone().acquire_owned());
    let n = Notify::new();
    send(&n.notified());
    let m = Arc::new(Mutex::new(0u8));
    send(&m.lock());
    send(&m.clone().lock_owned());
    let l = Arc::new(RwLock::new(0u8));
    send(&l.read());
    send(&l.write());
    send(&l.clone().read_owned());
    let b = Barrier::new(1);
    send(&b.wait());
    let c = OnceCell::<u8>::new();
    send(&c.get_or_init(|| async { 1 }));
    let (tx, mut rx) = mpsc::channel::<u8>(1);
    send(&tx.send(1));
    send(&tx.reserve());
    send(&tx.send_timeout(1, std::time::Duration::from_secs(1)));
    send(&tx.reserve_many(1));
    send(&tx.closed());
    send(&tx.clone().reserve_owned());
    send(&rx.recv());
    let (utx, mut urx) = mpsc::unbounded_channel::<u8>();
    send(&utx.closed());
    send(&urx.recv());
    let (mut otx, orx) = oneshot::channel::<u8>();
    send(&otx.closed());
    send(&orx);
    let (wtx, mut wrx) = watch::channel(0u8);
    send(&wtx.closed());
    send(&wrx.changed());
    send(&wrx.wait_for(|v| *v == 1));
    let (btx, mut brx) = broadcast::channel::<u8>(1);
    drop(btx);
    send(&brx.recv());
}

#[test]
fn signatures() {
    let _: fn(usize) -> Semaphore = Semaphore::new;
    let _: fn(&Semaphore) -> Result<SemaphorePermit<'_>, TryAcquireError> = Semaphore::try_acquire;
    let _: fn(&Semaphore, u32) -> Result<SemaphorePermit<'_>, TryAcquireError> = Semaphore::try_acquire_many;
    let _: fn(Arc<Semaphore>) -> Result<OwnedSemaphorePermit, TryAcquireError> = Semaphore::try_acquire_owned;
    let _: fn(&Semaphore, usize) = Semaphore::add_permits;
    let _: fn(&Semaphore, usize) -> usize = Semaphore::forget_permits;
    let _: fn(&Semaphore) -> usize = Semaphore::available_permits;
    let _: fn(&mut SemaphorePermit<'static>, usize) -> Option<SemaphorePermit<'static>> =
        SemaphorePermit::split;
    let _: fn(&mut OwnedSemaphorePermit, OwnedSemaphorePermit) = OwnedSemaphorePermit::merge;
    let _: usize = Semaphore::MAX_PERMITS;
    let _: fn(&Notify) = Notify::notify_one;
    let _: fn(&Notify) = Notify::notify_waiters;
    let _: fn(&Mutex<u8>) -> Result<MutexGuard<'_, u8>, TryLockError> = Mutex::try_lock;
    let _: fn(&Mutex<u8>) -> MutexGuard<'_, u8> = Mutex::blocking_lock;
    let _: fn(Mutex<u8>) -> u8 = Mutex::into_inner;
    let _: fn(u8, u32) -> RwLock<u8> = RwLock::with_max_readers;
    let _: fn(&OnceCell<u8>, u8) -> Result<(), tokio::sync::SetError<u8>> = OnceCell::set;
    let _: fn(usize) -> (mpsc::Sender<u8>, mpsc::Receiver<u8>) = mpsc::channel;
    let _: fn() -> (mpsc::UnboundedSender<u8>, mpsc::UnboundedReceiver<u8>) = mpsc::unbounded_channel;
    let _: fn(&mpsc::Sender<u8>, u8) -> Result<(), mpsc::error::TrySendError<u8>> = mpsc::Sender::try_send;
    let _: fn(&mpsc::Sender<u8>, u8) -> Result<(), mpsc::error::SendError<u8>> = mpsc::Sender::blocking_send;
    let _: fn(&mut mpsc::Receiver<u8>) -> Result<u8, mpsc::error::TryRecvError> = mpsc::Receiver::try_recv;
    let _: fn(&mut mpsc::Receiver<u8>) -> Option<u8> = mpsc::Receiver::blocking_recv;
    let _: fn(&mpsc::UnboundedSender<u8>, u8) -> Result<(), mpsc::error::SendError<u8>> =
        mpsc::UnboundedSender::send;
    let _: fn(mpsc::Permit<'static, u8>, u8) = mpsc::Permit::send;
    let _: fn(mpsc::OwnedPermit<u8>, u8) -> mpsc::Sender<u8> = mpsc::OwnedPermit::send;
    let _: fn() -> (oneshot::Sender<u8>, oneshot::Receiver<u8>) = oneshot::channel;
    let _: fn(oneshot::Sender<u8>, u8) -> Result<(), u8> = oneshot::Sender::send;
    let _: fn(&mut oneshot::Receiver<u8>) -> Result<u8, oneshot::error::TryRecvError> =
        oneshot::Receiver::try_recv;
    let _: fn(u8) -> (watch::Sender<u8>, watch::Receiver<u8>) = watch::channel;
    let _: fn(&watch::Sender<u8>, u8) -> Result<(), watch::error::SendError<u8>> = watch::Sender::send;
    let _: fn(&watch::Sender<u8>, u8) -> u8 = watch::Sender::send_replace;
    let _: fn(&watch::Receiver<u8>) -> Result<bool, watch::error::RecvError> = watch::Receiver::has_changed;
    let _: fn(usize) -> (broadcast::Sender<u8>, broadcast::Receiver<u8>) = broadcast::channel;
    let _: fn(&broadcast::Sender<u8>, u8) -> Result<usize, broadcast::error::SendError<u8>> =
        broadcast::Sender::send;
    let _: fn(&mut broadcast::Receiver<u8>) -> Result<u8, broadcast::error::TryRecvError> =
        broadcast::Receiver::try_recv;
}
