//! `#[gosched::main]` and `#[gosched::test]`: run an `async fn` on a fresh gosched runtime.
//!
//! Use them through the facade crate (`gosched::main`, `gosched::test`); the expansion names
//! `::gosched`. Both keep the function's other attributes (`#[should_panic]`, `#[ignore]`, doc
//! comments) and its return type, so `async fn main() -> Result<(), E>` works.
//!
//! Arguments:
//! - `maxprocs = N` (both): the number of Ps, a positive integer literal. Without it the
//!   runtime's defaults apply (`GOSCHED_MAXPROCS`, else the available parallelism).
//! - `check_leaks` (test only): after the body returns, wait up to ~1 s for the tasks it spawned
//!   to finish, then fail the test listing those still alive (goleak's `VerifyNone`).
//! - `start_paused` (test only): the runtime's clock starts paused (`Builder::start_paused`):
//!   timers fire by `time::advance` and by auto-advance when the runtime is idle, so tests of
//!   timeouts and retries run in milliseconds and see exact times. Combines with the others.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{quote, quote_spanned};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, ItemFn, Lit, Meta, Token};

/// Runs `async fn main` on a gosched runtime.
///
/// ```ignore
/// #[gosched::main(maxprocs = 4)]
/// async fn main() -> std::io::Result<()> {
///     let answer = gosched::spawn(async { 42 }).await?;
///     println!("{answer}");
///     Ok(())
/// }
/// ```
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(Kind::Main, args.into(), item.into())
        .unwrap_or_else(|e| {
            // A stub `main` next to the error, so rustc does not add "`main` function not
            // found" to the one message that matters.
            let err = e.to_compile_error();
            quote! {
                #err
                fn main() {}
            }
        })
        .into()
}

/// Runs an `async fn` test on a fresh gosched runtime.
///
/// ```ignore
/// #[gosched::test(maxprocs = 1, check_leaks)]
/// async fn joins() {
///     assert_eq!(gosched::spawn(async { 1 }).await.unwrap(), 1);
/// }
///
/// #[gosched::test(start_paused)]
/// async fn an_hour_in_no_time() {
///     let start = gosched::time::Instant::now();
///     gosched::time::sleep(std::time::Duration::from_secs(3600)).await;
///     assert_eq!(start.elapsed(), std::time::Duration::from_secs(3600));
/// }
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(Kind::Test, args.into(), item.into())
        .unwrap_or_else(|e| e.to_compile_error())
        .into()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Main,
    Test,
}

impl Kind {
    fn attr(self) -> &'static str {
        match self {
            Kind::Main => "#[gosched::main]",
            Kind::Test => "#[gosched::test]",
        }
    }
}

#[derive(Default)]
struct Args {
    maxprocs: Option<(u64, Span)>,
    check_leaks: bool,
    start_paused: Option<Span>,
}

fn parse_args(kind: Kind, args: TokenStream2) -> syn::Result<Args> {
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args)?;
    let mut out = Args::default();
    let expected = match kind {
        Kind::Main => "expected `maxprocs = N`",
        Kind::Test => "expected `maxprocs = N`, `check_leaks` or `start_paused`",
    };
    for meta in metas {
        let name = meta.path().get_ident().map(|i| i.to_string()).unwrap_or_default();
        match (name.as_str(), &meta) {
            ("maxprocs", Meta::NameValue(nv)) => {
                if out.maxprocs.is_some() {
                    return Err(syn::Error::new(meta.span(), "`maxprocs` is given twice"));
                }
                let Expr::Lit(ExprLit {
                    lit: Lit::Int(int), ..
                }) = &nv.value
                else {
                    return Err(syn::Error::new(
                        nv.value.span(),
                        "`maxprocs` takes a positive integer literal, e.g. `maxprocs = 4`",
                    ));
                };
                let n: u64 = int.base10_parse()?;
                if n == 0 {
                    return Err(syn::Error::new(
                        int.span(),
                        "`maxprocs` must be at least 1: a runtime needs one P to run tasks",
                    ));
                }
                out.maxprocs = Some((n, int.span()));
            }
            ("maxprocs", _) => {
                return Err(syn::Error::new(
                    meta.span(),
                    "`maxprocs` takes a value: `maxprocs = 4`",
                ));
            }
            ("check_leaks", Meta::Path(_)) if kind == Kind::Test => {
                if out.check_leaks {
                    return Err(syn::Error::new(meta.span(), "`check_leaks` is given twice"));
                }
                out.check_leaks = true;
            }
            ("check_leaks", _) if kind == Kind::Test => {
                return Err(syn::Error::new(meta.span(), "`check_leaks` takes no value"));
            }
            ("start_paused", Meta::Path(_)) if kind == Kind::Test => {
                if out.start_paused.is_some() {
                    return Err(syn::Error::new(meta.span(), "`start_paused` is given twice"));
                }
                out.start_paused = Some(meta.span());
            }
            ("start_paused", _) if kind == Kind::Test => {
                return Err(syn::Error::new(
                    meta.span(),
                    "`start_paused` takes no value: write `start_paused` to start the clock \
                     paused (leave it out for a running clock)",
                ));
            }
            _ => {
                let shown = quote!(#meta).to_string();
                return Err(syn::Error::new(
                    meta.span(),
                    format!("unknown argument `{shown}` to {}: {expected}", kind.attr()),
                ));
            }
        }
    }
    Ok(out)
}

fn expand(kind: Kind, args: TokenStream2, item: TokenStream2) -> syn::Result<TokenStream2> {
    let mut func: ItemFn = syn::parse2(item)?;
    let args = parse_args(kind, args)?;
    let sig = &func.sig;
    if sig.asyncness.is_none() {
        return Err(syn::Error::new(
            sig.fn_token.span(),
            format!("{} needs an `async fn`: add `async` before `fn`", kind.attr()),
        ));
    }
    if !sig.inputs.is_empty() {
        return Err(syn::Error::new(
            sig.inputs.span(),
            format!("{} takes a function without parameters", kind.attr()),
        ));
    }
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new(
            sig.generics.span(),
            format!("{} takes a function without generic parameters", kind.attr()),
        ));
    }
    if kind == Kind::Main && sig.ident != "main" {
        return Err(syn::Error::new(
            sig.ident.span(),
            "#[gosched::main] goes on `async fn main`; for other functions use `Runtime::block_on`",
        ));
    }
    if kind == Kind::Test && func.attrs.iter().any(|a| a.path().is_ident("test")) {
        return Err(syn::Error::new(
            sig.ident.span(),
            "#[gosched::test] already marks the function as a test: remove the `#[test]`",
        ));
    }

    let output = sig.output.clone();
    let body = func.block.clone();
    let builder = match args.maxprocs {
        Some((n, span)) => {
            let n = n as usize;
            quote_spanned!(span=> ::gosched::runtime::Builder::new().maxprocs(#n))
        }
        None => quote!(::gosched::runtime::Builder::new()),
    };
    let builder = match args.start_paused {
        Some(span) => quote_spanned!(span=> #builder.start_paused(true)),
        None => builder,
    };
    let run = if args.check_leaks {
        quote! {
            let __gosched_out = __gosched_rt.block_on(__gosched_body());
            if let ::core::result::Result::Err(__gosched_leaks) = ::gosched::runtime::verify_no_leaks(
                __gosched_rt.handle(),
                ::core::time::Duration::from_secs(1),
            ) {
                ::core::panic!("{}", __gosched_leaks);
            }
            __gosched_out
        }
    } else {
        quote! { __gosched_rt.block_on(__gosched_body()) }
    };
    let what = match kind {
        Kind::Main => "main",
        Kind::Test => "test",
    };
    let build_failed = format!("gosched: cannot build the runtime for this {what}");

    func.sig.asyncness = None;
    let test_attr = match kind {
        Kind::Main => quote!(),
        Kind::Test => quote!(#[::core::prelude::v1::test]),
    };
    func.block = syn::parse2(quote! {{
        async fn __gosched_body() #output #body
        let __gosched_rt = #builder
            .build()
            .unwrap_or_else(|e| ::core::panic!("{}: {}", #build_failed, e));
        #run
    }})?;
    Ok(quote! {
        #test_attr
        #func
    })
}
