//! The patch takes: `cargo metadata` of the compat workspace shows exactly one `tokio` package,
//! the facade, and Cargo does not warn that the patch went unused (it drops a patch silently
//! but for that warning when the patch lacks a feature a dependent asks for, or when its version
//! does not satisfy a requirement).

use std::path::Path;
use std::process::Command;

/// This machine's target triple (`rustc -vV`'s `host:`): the metadata is filtered to it, so
/// Cargo needs no other platform's packages.
fn host_triple() -> String {
    let out = Command::new("rustc").arg("-vV").output().expect("run rustc -vV");
    let text = String::from_utf8(out.stdout).unwrap();
    let host = text.lines().find_map(|l| l.strip_prefix("host: "));
    host.expect("rustc -vV names the host").trim().to_string()
}

#[test]
fn exactly_one_tokio_and_it_is_the_facade() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--filter-platform",
        ])
        .arg(host_triple())
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .output()
        .expect("run cargo metadata");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "cargo metadata failed: {stderr}");
    assert!(
        !stderr.contains("was not used"),
        "Cargo left the patch unused: {stderr}"
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tokios: Vec<_> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "tokio")
        .collect();
    assert_eq!(tokios.len(), 1, "more than one tokio in the graph: {tokios:#?}");
    let manifest = tokios[0]["manifest_path"].as_str().unwrap();
    assert!(
        Path::new(manifest).starts_with(workspace.join("tokio")),
        "the tokio in the graph is not the facade: {manifest}"
    );
    assert!(
        tokios[0]["source"].is_null(),
        "the tokio in the graph came from a registry"
    );
    // Every crate that asks for tokio resolves to the facade.
    let facade_id = tokios[0]["id"].as_str().unwrap();
    let resolve = meta["resolve"]["nodes"].as_array().unwrap();
    let users = resolve
        .iter()
        .filter(|n| {
            n["deps"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["pkg"] == facade_id)
        })
        .count();
    assert!(
        users >= 5,
        "axum, hyper-util, reqwest, tokio-test, tokio-stream... use the facade"
    );
}
