//! Records the commit the `catalog-http` binary is built from, for
//! `--version` (as ripgrep does): `CATALOG_BUILD_COMMIT` is the short hash
//! of HEAD, or `unknown` outside a git checkout (a crate from a registry). Only with the `app`
//! feature: an embedder's build runs no git.

use std::path::Path;
use std::process::Command;

fn main() {
    if std::env::var_os("CARGO_FEATURE_APP").is_none() {
        return;
    }
    // Run again when HEAD moves: HEAD itself, the branch it names, packed
    // refs (only files that exist: a missing one would rerun every build).
    let branch = git(&["symbolic-ref", "-q", "HEAD"]);
    for name in ["HEAD", "packed-refs"].into_iter().chain(branch.as_deref()) {
        if let Some(path) = git(&["rev-parse", "--git-path", name])
            && Path::new(&path).exists()
        {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=CATALOG_BUILD_COMMIT={commit}");
}

/// What `git ARGS` prints, trimmed, if it runs and succeeds.
fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}
