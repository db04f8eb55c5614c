//! The layout rules of `docs/architecture.md`, kept by a test: OS code only in `platform/` and
//! `net/sys/`; commands only wire (short, no command importing another, no documents, renderers or
//! sockets of their own); the renderers know nothing of clap.

// Helpers outside `#[test]` functions unwrap too: a panic there is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The code of a file without its `#[cfg(test)]` module and comments, so rules apply to what ships.
fn shipped_code(text: &str) -> String {
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    code.lines().filter(|line| !line.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

#[test]
fn os_specific_code_lives_in_platform_and_net_sys_only() {
    let root = src();
    let allowed = [root.join("platform"), root.join("net").join("sys")];
    let mut offenders = Vec::new();
    for file in rust_files(&root) {
        if allowed.iter().any(|dir| file.starts_with(dir)) {
            continue;
        }
        if shipped_code(&read(&file)).contains("cfg(target_os") {
            offenders.push(file.strip_prefix(&root).unwrap().display().to_string());
        }
    }
    assert!(offenders.is_empty(), "cfg(target_os) outside platform/ and net/sys/: {offenders:?}");
}

#[test]
fn commands_only_wire() {
    let dir = src().join("commands");
    let commands: Vec<String> = rust_files(&dir)
        .iter()
        .filter_map(|f| f.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .filter(|name| name != "mod")
        .collect();
    assert!(commands.len() >= 6, "{commands:?}");
    for file in rust_files(&dir) {
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        let text = read(&file);
        let lines = text.lines().count();
        if name != "mod" {
            assert!(lines <= 200, "commands/{name}.rs has {lines} lines: a command only wires (≤ 200)");
        }
        let code = shipped_code(&text);
        for other in commands.iter().filter(|other| **other != name) {
            for import in [format!("super::{other}"), format!("commands::{other}")] {
                assert!(
                    name == "mod" || !code.contains(&import),
                    "commands/{name}.rs imports the command `{other}`: share through observe/ or report/"
                );
            }
        }
        for forbidden in [
            "impl Document for",
            "impl StreamEvent for",
            "#[derive(Debug, Serialize",
            "Socket::new",
            "UdpSocket",
            "std::thread::spawn",
        ] {
            assert!(
                !code.contains(forbidden),
                "commands/{name}.rs contains `{forbidden}`: engines go to observe/, documents to report/"
            );
        }
    }
}

#[test]
fn renderers_know_nothing_of_the_command_line() {
    for file in rust_files(&src().join("report")) {
        let code = shipped_code(&read(&file));
        assert!(
            !code.contains("clap"),
            "{} uses clap: the renderers' formats are plain data",
            file.display()
        );
        assert!(!code.contains("crate::cli"), "{} reads the command line", file.display());
    }
}

/// Check ids are part of the contract: every one the rules can emit is listed in `docs/checks.md`.
#[test]
fn every_check_id_is_documented() {
    let docs = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("docs").join("checks.md"));
    let mut ids = Vec::new();
    for file in rust_files(&src().join("checks")) {
        for line in read(&file).lines() {
            let line = line.trim();
            let Some(rest) = line.strip_prefix("pub const ") else { continue };
            let Some((_, value)) = rest.split_once(": &str = \"") else { continue };
            let id = value.trim_end_matches("\";");
            if id.contains('.') {
                ids.push(id.to_owned());
            }
        }
    }
    assert!(ids.len() >= 14, "{ids:?}");
    let missing: Vec<&String> = ids.iter().filter(|id| !docs.contains(&format!("`{id}`"))).collect();
    assert!(missing.is_empty(), "check ids missing from docs/checks.md: {missing:?}");
}
