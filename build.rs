//! Names the git commit in `--version` when mcready is built from a checkout; outside one (a crate
//! download, a Debian source package) the version is the crate's alone. Never fails the build.

use std::process::Command;

fn main() {
    let version = env!("CARGO_PKG_VERSION");
    let commit = Command::new("git")
        .args(["rev-parse", "--short=10", "HEAD"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty() && text.bytes().all(|b| b.is_ascii_hexdigit()));
    let dirty = commit.is_some()
        && Command::new("git")
            .args(["status", "--porcelain", "--untracked-files=no"])
            .output()
            .is_ok_and(|out| out.status.success() && !out.stdout.is_empty());
    let full = match commit {
        Some(commit) => format!("{version} ({commit}{})", if dirty { ", modified" } else { "" }),
        None => version.to_owned(),
    };
    println!("cargo:rustc-env=MCREADY_VERSION={full}");
    // Rebuild when HEAD moves (a commit, a checkout); a missing .git is no error.
    for path in [".git/HEAD", ".git/index"] {
        if std::path::Path::new(path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
