//! `join!` and `try_join!`: wait on several futures at once, in the task that awaits them.
//!
//! Each future sits pinned in a `MaybeDone` (futures-util) in the expansion's block. As in
//! `select!`, a muncher gives each expression a slot from a fixed list of 64 (a local and an
//! index). Each poll polls the unfinished futures, starting one later than the poll before so
//! a future that is always ready cannot starve those after it; after `biased;` they are
//! polled in the order written.

/// Waits on several futures at once, returning a tuple of their outputs in the order written
/// (tokio's `tokio::join!`).
///
/// The futures run concurrently on the task that awaits `join!`, not in parallel: spawn
/// them for parallelism. `join!` waits for all of them even when some output is an `Err`;
/// [`try_join!`](crate::try_join) returns at the first `Err`. By default the future polled
/// first rotates from poll to poll; `biased;` polls them in the order written.
///
/// ```
/// use futures::channel::oneshot;
///
/// # futures::executor::block_on(async {
/// let (tx, rx) = oneshot::channel::<u32>();
/// // Each needs the other: only a concurrent wait finishes.
/// let (sent, got) = tokio::join!(async { tx.send(7) }, rx);
/// assert!(sent.is_ok());
/// assert_eq!(got.unwrap(), 7);
/// assert_eq!(tokio::join!(biased; async { 1 }, async { "two" }), (1, "two"));
/// # });
/// ```
#[macro_export]
macro_rules! join {
    (biased; $($e:expr),* $(,)?) => {
        $crate::__join!(@start join [true] $($e,)*)
    };
    ($($e:expr),* $(,)?) => {
        $crate::__join!(@start join [false] $($e,)*)
    };
}

/// Waits on several futures that output `Result`s at once, returning `Ok` of a tuple of the
/// values when all succeed, or the first `Err` (tokio's `tokio::try_join!`).
///
/// At the first `Err`, the other futures are dropped without being polled again. All the
/// futures must have the same error type. `biased;` polls them in the order written.
///
/// ```
/// # futures::executor::block_on(async {
/// let ok: Result<(u8, &str), String> = tokio::try_join!(async { Ok(1) }, async { Ok("a") });
/// assert_eq!(ok, Ok((1, "a")));
///
/// let err: Result<(u8, ()), &str> =
///     tokio::try_join!(async { Err("bad") }, std::future::pending::<Result<(), &str>>());
/// assert_eq!(err, Err("bad"));
/// # });
/// ```
#[macro_export]
macro_rules! try_join {
    (biased; $($e:expr),* $(,)?) => {
        $crate::__join!(@start try_join [true] $($e,)*)
    };
    ($($e:expr),* $(,)?) => {
        $crate::__join!(@start try_join [false] $($e,)*)
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __join {
    (@start join [$biased:tt]) => { () };
    (@start try_join [$biased:tt]) => { ::core::result::Result::Ok(()) };
    (@start $kind:ident [$biased:tt] $($e:expr,)+) => {
        $crate::__join!(@munch $kind [$biased] [] [
            (__f0 0) (__f1 1) (__f2 2) (__f3 3) (__f4 4) (__f5 5) (__f6 6) (__f7 7)
            (__f8 8) (__f9 9) (__f10 10) (__f11 11) (__f12 12) (__f13 13) (__f14 14) (__f15 15)
            (__f16 16) (__f17 17) (__f18 18) (__f19 19) (__f20 20) (__f21 21) (__f22 22) (__f23 23)
            (__f24 24) (__f25 25) (__f26 26) (__f27 27) (__f28 28) (__f29 29) (__f30 30) (__f31 31)
            (__f32 32) (__f33 33) (__f34 34) (__f35 35) (__f36 36) (__f37 37) (__f38 38) (__f39 39)
            (__f40 40) (__f41 41) (__f42 42) (__f43 43) (__f44 44) (__f45 45) (__f46 46) (__f47 47)
            (__f48 48) (__f49 49) (__f50 50) (__f51 51) (__f52 52) (__f53 53) (__f54 54) (__f55 55)
            (__f56 56) (__f57 57) (__f58 58) (__f59 59) (__f60 60) (__f61 61) (__f62 62) (__f63 63)
        ] $($e,)+)
    };
    (@munch $kind:ident [$biased:tt] [$($done:tt)*] [$slot:tt $($slots:tt)*] $e:expr, $($rest:tt)*) => {
        $crate::__join!(@munch $kind [$biased] [$($done)* ($slot $e)] [$($slots)*] $($rest)*)
    };
    (@munch $kind:ident [$biased:tt] [$($done:tt)*] [] $e:expr, $($rest:tt)*) => {
        ::core::compile_error!("join! and try_join! take at most 64 futures")
    };
    (@munch $kind:ident [$biased:tt] [$($done:tt)*] [$($slots:tt)*]) => {
        $crate::__join!(@gen $kind [$biased] $($done)*)
    };

    (@gen $kind:ident [$biased:tt] $((($f:ident $n:tt) $e:expr))+) => {{
        const __COUNT: u32 = [$($n),+].len() as u32;
        $(
            let mut $f = ::core::pin::pin!($crate::macros::support::maybe_done(
                $crate::macros::support::IntoFuture::into_future($e),
            ));
        )+
        let mut __next: u32 = 0;
        $crate::macros::support::poll_fn(|cx| {
            let start = if $biased {
                0
            } else {
                let s = __next;
                __next = $crate::macros::support::rotate(__next, 1, __COUNT);
                s
            };
            let mut done = true;
            for i in 0..__COUNT {
                match $crate::macros::support::rotate(start, i, __COUNT) {
                    $(
                        $n => {
                            if $crate::macros::support::Future::poll($f.as_mut(), cx).is_pending() {
                                done = false;
                            } else {
                                $crate::__join!(@check $kind $f);
                            }
                        }
                    )+
                    _ => ::core::unreachable!(),
                }
            }
            if !done {
                return $crate::macros::support::Poll::Pending;
            }
            $crate::__join!(@output $kind $($f)+)
        })
        .await
    }};

    (@check join $f:ident) => {};
    (@check try_join $f:ident) => {
        if let ::core::option::Option::Some(::core::result::Result::Err(_)) = $f.as_mut().output_mut() {
            let ::core::option::Option::Some(::core::result::Result::Err(e)) = $f.as_mut().take_output() else {
                ::core::unreachable!()
            };
            return $crate::macros::support::Poll::Ready(::core::result::Result::Err(e));
        }
    };

    (@output join $($f:ident)+) => {
        $crate::macros::support::Poll::Ready(($(
            $f.as_mut().take_output().expect("join!: every output is taken once"),
        )+))
    };
    (@output try_join $($f:ident)+) => {
        $crate::macros::support::Poll::Ready(::core::result::Result::Ok(($(
            match $f.as_mut().take_output() {
                ::core::option::Option::Some(::core::result::Result::Ok(v)) => v,
                _ => ::core::unreachable!(),
            },
        )+)))
    };
}
