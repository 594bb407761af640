//! `select!`: wait on several futures, run the handler of the first to complete.
//!
//! A pure `macro_rules` design in two phases. `__select!` munches the branches one at a time
//! into a normalized list, giving each a slot from a fixed list of 64: an output-enum variant
//! (`B0`…), a local for its pinned future (`__f0`…) and its index (`0`…); the list running
//! out is the 64-branch limit. The last arm generates:
//!
//! 1. the `if` preconditions, evaluated first, each false one setting its branch's bit in a
//!    `u64` mask of disabled branches;
//! 2. the futures, each an `Option` pinned with `core::pin::pin!` in a block that ends
//!    (dropping them all) as soon as one branch is chosen; an `if let` precondition is
//!    evaluated just before its own future, which is `None` (and its branch disabled) when
//!    the pattern does not match;
//! 3. a `poll_fn` that polls the enabled futures from a random start (0 under `biased;`). A
//!    completed future's branch is disabled; its output is tested against the branch's
//!    pattern *without moving it* (a match arm whose guard records the match and then fails),
//!    and if the pattern fails the loop goes on. It returns the output wrapped in a local enum
//!    with one generic variant per branch, or `Disabled` when nothing is left to poll;
//! 4. outside the `poll_fn` and the futures' block, a `match` on that enum runs the handler,
//!    so `return`, `break`, `continue`, `?` and `.await` in a handler mean what they mean in
//!    the caller's code.

/// Waits on several futures at once and runs the handler of the first to complete whose
/// output matches its pattern; the other futures are dropped (tokio's `tokio::select!`).
///
/// ```text
/// tokio::select! {
///     <pattern> = <async expression> (, if <precondition>)? => <handler>,
///     ...
///     (else => <expression>)?
/// }
/// ```
///
/// - Every precondition is evaluated first; a branch whose precondition is false is
///   disabled. Then every async expression is evaluated (disabled ones too, never polled).
///   Each may be anything `IntoFuture`. A precondition may also be `if let <pattern> =
///   <expression>`, whose bindings the async expression may use: it is evaluated just before
///   its own async expression, which is evaluated only if the pattern matches.
/// - The enabled futures are polled, starting from a branch picked at random on each poll so
///   no branch starves; write `biased;` first to poll them in the order written instead.
/// - When a future completes its branch is disabled. If its output matches the pattern, all
///   futures are dropped and the handler runs with the pattern's bindings; the handler's
///   value is `select!`'s value. If not, the other branches keep going.
/// - If every branch is disabled, the `else` expression is the value; without `else`,
///   `select!` panics.
/// - At most 64 branches. Cancel safety is the branch futures' own: when one branch wins,
///   the others are dropped mid-flight.
///
/// ```
/// use futures::channel::oneshot;
///
/// # futures::executor::block_on(async {
/// let (tx, mut rx) = oneshot::channel::<u32>();
/// tx.send(3).unwrap();
/// let mut done = false;
/// let got = tokio::select! {
///     biased;
///     v = &mut rx, if !done => { done = true; v.unwrap() }
///     _ = std::future::pending::<()>() => unreachable!(),
///     else => 0,
/// };
/// assert_eq!((got, done), (3, true));
///
/// // A pattern that fails disables its branch and the select goes on.
/// let v = tokio::select! {
///     Some(x) = async { None::<u32> } => x,
///     x = async { 7 } => x,
/// };
/// assert_eq!(v, 7);
/// # });
/// ```
#[macro_export]
macro_rules! select {
    (biased; $($branches:tt)*) => {
        $crate::__select!(@start [true] $($branches)*)
    };
    ($($branches:tt)*) => {
        $crate::__select!(@start [false] $($branches)*)
    };
}

/// `select!`'s implementation (see the module doc). More than 64 branches do not compile:
///
/// ```compile_fail
/// macro_rules! branches {
///     ($($i:literal)*) => { tokio::select! { $(x = async { $i } => x,)* } };
/// }
/// # futures::executor::block_on(async {
/// let _: i32 = branches!(
///     1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1
///     1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1
/// ); // 65
/// # });
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! __select {
    (@start [$biased:tt] $($branches:tt)*) => {
        $crate::__select!(@munch [$biased] [] [
            [B0 __f0 0] [B1 __f1 1] [B2 __f2 2] [B3 __f3 3]
            [B4 __f4 4] [B5 __f5 5] [B6 __f6 6] [B7 __f7 7]
            [B8 __f8 8] [B9 __f9 9] [B10 __f10 10] [B11 __f11 11]
            [B12 __f12 12] [B13 __f13 13] [B14 __f14 14] [B15 __f15 15]
            [B16 __f16 16] [B17 __f17 17] [B18 __f18 18] [B19 __f19 19]
            [B20 __f20 20] [B21 __f21 21] [B22 __f22 22] [B23 __f23 23]
            [B24 __f24 24] [B25 __f25 25] [B26 __f26 26] [B27 __f27 27]
            [B28 __f28 28] [B29 __f29 29] [B30 __f30 30] [B31 __f31 31]
            [B32 __f32 32] [B33 __f33 33] [B34 __f34 34] [B35 __f35 35]
            [B36 __f36 36] [B37 __f37 37] [B38 __f38 38] [B39 __f39 39]
            [B40 __f40 40] [B41 __f41 41] [B42 __f42 42] [B43 __f43 43]
            [B44 __f44 44] [B45 __f45 45] [B46 __f46 46] [B47 __f47 47]
            [B48 __f48 48] [B49 __f49 49] [B50 __f50 50] [B51 __f51 51]
            [B52 __f52 52] [B53 __f53 53] [B54 __f54 54] [B55 __f55 55]
            [B56 __f56 56] [B57 __f57 57] [B58 __f58 58] [B59 __f59 59]
            [B60 __f60 60] [B61 __f61 61] [B62 __f62 62] [B63 __f63 63]
        ] [{ ::core::panic!("all branches are disabled and there is no else branch") }] $($branches)*)
    };

    // The `else` branch, which must come last.
    (@munch [$biased:tt] [$($done:tt)*] [$($slots:tt)*] [$($else:tt)*]
        else => $e:expr $(,)?) => {
        $crate::__select!(@munch [$biased] [$($done)*] [$($slots)*] [{ $e }])
    };

    // Everything munched: generate.
    (@munch [$biased:tt] [$($done:tt)*] [$($slots:tt)*] [$($else:tt)*]) => {
        $crate::__select!(@gen [$biased] [$($done)*] [$($else)*])
    };

    // One branch: with or without a precondition; a block handler (comma optional) or an
    // expression handler (comma needed unless it is the last).
    // (`if let` before `if`: the expression parser would take `let ...` as an expression.)
    (@munch [$biased:tt] [$($done:tt)*] [$slot:tt $($slots:tt)*] [$($else:tt)*]
        $p:pat = $fut:expr, if let $lp:pat = $le:expr => $h:block $(,)? $($rest:tt)*) => {
        $crate::__select!(@munch [$biased] [$($done)* $slot ($p) ($fut) (let $lp = $le) ($h)]
            [$($slots)*] [$($else)*] $($rest)*)
    };
    (@munch [$biased:tt] [$($done:tt)*] [$slot:tt $($slots:tt)*] [$($else:tt)*]
        $p:pat = $fut:expr, if let $lp:pat = $le:expr => $h:expr $(, $($rest:tt)*)?) => {
        $crate::__select!(@munch [$biased] [$($done)* $slot ($p) ($fut) (let $lp = $le) ($h)]
            [$($slots)*] [$($else)*] $($($rest)*)?)
    };
    (@munch [$biased:tt] [$($done:tt)*] [$slot:tt $($slots:tt)*] [$($else:tt)*]
        $p:pat = $fut:expr, if $c:expr => $h:block $(,)? $($rest:tt)*) => {
        $crate::__select!(@munch [$biased] [$($done)* $slot ($p) ($fut) (if $c) ($h)]
            [$($slots)*] [$($else)*] $($rest)*)
    };
    (@munch [$biased:tt] [$($done:tt)*] [$slot:tt $($slots:tt)*] [$($else:tt)*]
        $p:pat = $fut:expr, if $c:expr => $h:expr $(, $($rest:tt)*)?) => {
        $crate::__select!(@munch [$biased] [$($done)* $slot ($p) ($fut) (if $c) ($h)]
            [$($slots)*] [$($else)*] $($($rest)*)?)
    };
    (@munch [$biased:tt] [$($done:tt)*] [$slot:tt $($slots:tt)*] [$($else:tt)*]
        $p:pat = $fut:expr => $h:block $(,)? $($rest:tt)*) => {
        $crate::__select!(@munch [$biased] [$($done)* $slot ($p) ($fut) (if true) ($h)]
            [$($slots)*] [$($else)*] $($rest)*)
    };
    (@munch [$biased:tt] [$($done:tt)*] [$slot:tt $($slots:tt)*] [$($else:tt)*]
        $p:pat = $fut:expr => $h:expr $(, $($rest:tt)*)?) => {
        $crate::__select!(@munch [$biased] [$($done)* $slot ($p) ($fut) (if true) ($h)]
            [$($slots)*] [$($else)*] $($($rest)*)?)
    };
    (@munch [$biased:tt] [$($done:tt)*] [] $($rest:tt)*) => {
        ::core::compile_error!("select! takes at most 64 branches")
    };

    // A plain precondition is evaluated before any future; an `if let` one together with its
    // future, which may use its bindings.
    (@pre $disabled:ident $n:tt if $c:expr) => {
        if !$c {
            $disabled |= 1u64 << $n;
        }
    };
    (@pre $disabled:ident $n:tt let $lp:pat = $le:expr) => {};
    (@fut $disabled:ident $n:tt [if $c:expr] $fut:expr) => {
        ::core::option::Option::Some($crate::macros::support::IntoFuture::into_future($fut))
    };
    (@fut $disabled:ident $n:tt [let $lp:pat = $le:expr] $fut:expr) => {
        if let $lp = $le {
            ::core::option::Option::Some($crate::macros::support::IntoFuture::into_future($fut))
        } else {
            $disabled |= 1u64 << $n;
            ::core::option::Option::None
        }
    };

    (@gen [$biased:tt] [] [$else:expr]) => {
        $else
    };
    (@gen [$biased:tt]
        [$([$var:ident $fut_var:ident $n:tt] ($p:pat) ($fut:expr) ($($cond:tt)*) ($h:expr))+]
        [$else:expr]) => {{
        enum __SelectOut<$($var,)+> {
            $($var($var),)+
            Disabled,
        }
        const __BRANCHES: u32 = [$($n),+].len() as u32;
        let mut __disabled: u64 = 0;
        $($crate::__select!(@pre __disabled $n $($cond)*);)+
        // (A branch whose output is `!` makes what follows its poll unreachable.)
        #[allow(unused_mut, unreachable_code, unreachable_patterns)]
        let mut __out = {
            $(
                let mut $fut_var = ::core::pin::pin!($crate::__select!(@fut __disabled $n [$($cond)*] $fut));
            )+
            $crate::macros::support::poll_fn(|cx| {
                let start = if $biased { 0 } else { $crate::macros::support::thread_rng_n(__BRANCHES) };
                let mut any_pending = false;
                for i in 0..__BRANCHES {
                    match $crate::macros::support::rotate(start, i, __BRANCHES) {
                        $(
                            $n => {
                                let fut = match $fut_var.as_mut().as_pin_mut() {
                                    ::core::option::Option::Some(fut) if __disabled & (1u64 << $n) == 0 => fut,
                                    _ => continue,
                                };
                                #[allow(unused_mut)]
                                let mut out = match $crate::macros::support::Future::poll(fut, cx) {
                                    $crate::macros::support::Poll::Ready(out) => out,
                                    $crate::macros::support::Poll::Pending => {
                                        any_pending = true;
                                        continue;
                                    }
                                };
                                __disabled |= 1u64 << $n;
                                // Test the pattern without moving `out`: the guard records a
                                // match and fails, so no binding is ever taken.
                                let mut matched = false;
                                #[allow(unused_variables, unused_mut, unreachable_code)]
                                match out {
                                    $p if {
                                        matched = true;
                                        false
                                    } => ::core::unreachable!(),
                                    _ => {}
                                }
                                if matched {
                                    return $crate::macros::support::Poll::Ready(__SelectOut::$var(out));
                                }
                            }
                        )+
                        _ => ::core::unreachable!(),
                    }
                }
                if any_pending {
                    $crate::macros::support::Poll::Pending
                } else {
                    $crate::macros::support::Poll::Ready(__SelectOut::Disabled)
                }
            })
            .await
        };
        match __out {
            $(
                #[allow(unreachable_patterns)]
                __SelectOut::$var($p) => $h,
            )+
            __SelectOut::Disabled => $else,
            #[allow(unreachable_patterns)]
            _ => ::core::unreachable!("select!: a branch's output stopped matching its pattern"),
        }
    }};
}
