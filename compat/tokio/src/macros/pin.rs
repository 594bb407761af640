//! `pin!`.

/// Pins values on the stack (tokio's `tokio::pin!`): each named variable becomes a
/// `Pin<&mut T>` of the same name, so a `!Unpin` future can be polled by reference, as
/// `select!` in a loop needs.
///
/// Two forms: `pin!(a, b)` pins existing variables (moving them), and
/// `pin! { let a = expr; }` declares and pins in one step.
///
/// ```
/// use std::future::Future;
///
/// # futures::executor::block_on(async {
/// let fut = async { 5 };
/// tokio::pin!(fut);
/// let _: std::pin::Pin<&mut dyn Future<Output = i32>> = fut.as_mut();
/// assert_eq!((&mut fut).await, 5);
///
/// tokio::pin! {
///     let other = async { 6 };
/// }
/// assert_eq!(other.await, 6);
/// # });
/// ```
#[macro_export]
macro_rules! pin {
    ($($x:ident),* $(,)?) => { $(
        #[allow(unused_mut)]
        let mut $x = ::core::pin::pin!($x);
    )* };
    ($(let $x:ident = $init:expr;)*) => { $(
        #[allow(unused_mut)]
        let mut $x = ::core::pin::pin!($init);
    )* };
}
