//! README.md's table of tokio items stays true: every item its "provided" and "differs" rows
//! name is imported by `readme_items.rs`, a test file that therefore only compiles while each
//! of them exists, and this test fails when the table and that file disagree.
//!
//! After changing the table: `UPDATE_README_ITEMS=1 cargo test -p tokio --test readme_table`
//! rewrites `readme_items.rs` from it (then `cargo fmt`; the build says whether the new items
//! exist).

use std::path::Path;

/// The item paths one table cell names: its backticked chunks before the first `(` (what
/// follows in parentheses is methods), with `a::{B, c::D}` expanded and `#[tokio::x]` / `x!`
/// reduced to the macro's name (`m::*` stands for the module `m`).
fn items_of(cell: &str) -> Vec<String> {
    let head = cell.split('(').next().unwrap_or("");
    let mut items = Vec::new();
    for (i, chunk) in head.split('`').enumerate() {
        if i % 2 == 0 {
            continue;
        }
        let chunk = chunk.trim_start_matches("#[tokio::").trim_end_matches(']');
        let chunk = chunk.trim_end_matches('!');
        match chunk.split_once("::{") {
            Some((prefix, rest)) => {
                for name in rest.trim_end_matches('}').split(',') {
                    items.push(format!("{prefix}::{}", name.trim()));
                }
            }
            None => items.push(chunk.to_string()),
        }
    }
    items
}

/// Every item of the rows whose status is "provided" or "differs", in table order.
fn table_items(readme: &str) -> Vec<String> {
    let mut items = Vec::new();
    for line in readme.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() >= 4 && matches!(cells[2], "provided" | "differs") {
            items.extend(items_of(cells[1]));
        }
    }
    items
}

/// The Rust file that imports every item (see the module doc).
fn render(items: &[String]) -> String {
    let mut out = String::from(
        "//! Generated from README.md's table by `readme_table.rs`: compiles only while every\n\
         //! item the table says is provided exists. Do not edit by hand.\n\
         #![allow(unused_imports)]\n\n",
    );
    for item in items {
        // `m::*` in the table: the module itself must exist.
        let item = item.strip_suffix("::*").unwrap_or(item);
        out.push_str(&format!("use tokio::{item} as _;\n"));
    }
    out.push_str("\n#[test]\nfn every_item_the_readme_provides_exists() {}\n");
    out
}

#[test]
fn readme_items_match_the_table() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    let items = table_items(&readme);
    assert!(
        items.len() > 50,
        "the table names only {} items: did its format change?",
        items.len()
    );
    let want = render(&items);
    let file = dir.join("tests/readme_items.rs");
    if std::env::var_os("UPDATE_README_ITEMS").is_some() {
        std::fs::write(&file, &want).unwrap();
    }
    // Compared as sets of lines: rustfmt orders the imports its own way.
    let lines = |text: &str| -> std::collections::BTreeSet<String> {
        text.lines()
            .filter(|l| l.starts_with("use "))
            .map(str::to_string)
            .collect()
    };
    let have = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        lines(&have) == lines(&want),
        "tests/readme_items.rs does not match README.md's table; rerun with \
         UPDATE_README_ITEMS=1 to regenerate it"
    );
}

#[test]
fn cells_expand_as_documented() {
    assert_eq!(
        items_of("`time::{sleep, error::Elapsed}`"),
        ["time::sleep", "time::error::Elapsed"]
    );
    assert_eq!(
        items_of("`runtime::Runtime` (`new`, `block_on`)"),
        ["runtime::Runtime"]
    );
    assert_eq!(
        items_of("`#[tokio::main]`, `#[tokio::test]` (every flavor)"),
        ["main", "test"]
    );
    assert_eq!(items_of("`select!`, `task_local!`"), ["select", "task_local"]);
}
