//! The layout rules of `docs/architecture.md`, kept by a test: the floors (each top-level module imports
//! only from its own floor or a lower one, and no two top-level modules import each other, however
//! indirectly); OS code only in `platform/` and `net/sys/`; commands only wire (short, no command
//! importing another, no documents, renderers or sockets of their own); the renderers know nothing of
//! clap; every check id is documented.
//!
//! The module graph comes from every path the code names — `use` lines, and inline paths such as
//! `crate::verdict::Status::Pass` in an expression; `super::` is resolved against the file's module —
//! in whole files: comments and literals are blanked first, and test code (`#[cfg(test)]` items found by
//! brace matching, and the files of modules declared under `#[cfg(test)]`) is set apart, because tests
//! may build their fixtures from any floor.

// Helpers outside `#[test]` functions unwrap too: a panic there is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
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

// ---------------------------------------------------------------------------------------------------
// Reading code

/// `text` with comments removed and the contents of string and character literals blanked, newlines
/// kept: a doc link or a message that mentions `crate::x` is not an import, and a `{` in a string does
/// not open a block.
fn code_of(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if chars[i] == '\n' {
                        out.push('\n');
                    }
                    i += 1;
                }
            }
        } else if let Some((hashes, body)) = raw_string(&chars, i) {
            i = body;
            out.push_str("\"\"");
            while i < chars.len() {
                if chars[i] == '"' && (1..=hashes).all(|k| at(i + k) == '#') {
                    i += 1 + hashes;
                    break;
                }
                if chars[i] == '\n' {
                    out.push('\n');
                }
                i += 1;
            }
        } else if c == '"' {
            i += 1;
            out.push_str("\"\"");
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\n' {
                    out.push('\n');
                }
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c == '\'' && at(i + 1) == '\\' {
            // An escaped character literal: '\n', '\'', '\u{1F600}'.
            i += 3;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else if c == '\'' && at(i + 2) == '\'' {
            i += 3;
            out.push_str("' '");
        } else {
            // Anything else, a lifetime's quote included.
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Where the raw string (`r"…"`, `r#"…"#`, `br"…"`) starting at `i` has its text, and how many `#`
/// close it; `None` when none starts there (an identifier ending in `r`, a raw identifier `r#type`).
fn raw_string(chars: &[char], i: usize) -> Option<(usize, usize)> {
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    if i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_') {
        return None;
    }
    let mut j = match (at(i), at(i + 1)) {
        ('r', _) => i + 1,
        ('b', 'r') => i + 2,
        _ => return None,
    };
    let mut hashes = 0;
    while at(j) == '#' {
        hashes += 1;
        j += 1;
    }
    (at(j) == '"').then_some((hashes, j + 1))
}

/// One token of code: an identifier, `::`, or a single punctuation character.
fn tokens(code: &str) -> Vec<String> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push("::".to_owned());
            i += 2;
        } else {
            if !c.is_whitespace() {
                out.push(c.to_string());
            }
            i += 1;
        }
    }
    out
}

/// A file's code, split into what ships and what only `cfg(test)` compiles.
#[derive(Debug, Default, PartialEq)]
struct Split {
    shipped: String,
    test: String,
    /// Modules declared `#[cfg(test)] mod name;`: their files are test code.
    test_modules: Vec<String>,
}

/// Splits `code` (from [`code_of`]) by its `#[cfg(test)]` items — a `mod tests { … }` by brace
/// matching, a `mod fake;` by its name — so that shipped code after a test item is still read.
fn split_tests(code: &str) -> Split {
    let chars: Vec<char> = code.chars().collect();
    if code.contains("#![cfg(test)]") {
        return Split { test: code.to_owned(), ..Split::default() };
    }
    let mut split = Split::default();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '#' && chars.get(i + 1) == Some(&'[') {
            let end = closing(&chars, i + 1);
            let attribute: String = chars[i + 2..end].iter().collect();
            if only_under_test(&tokens(&attribute)) {
                let item_end = item_end(&chars, end + 1);
                let item: String = chars[i..item_end].iter().collect();
                let words = tokens(&chars[end + 1..item_end].iter().collect::<String>());
                if let Some(at) = words.iter().position(|w| w == "mod")
                    && words.get(at + 2).is_some_and(|w| w == ";")
                {
                    split.test_modules.push(words[at + 1].clone());
                }
                split.test.push_str(&item);
                // Keep the line count of what ships: only the item's newlines stay behind.
                split.shipped.extend(item.chars().filter(|c| *c == '\n'));
                i = item_end;
                continue;
            }
        }
        split.shipped.push(chars[i]);
        i += 1;
    }
    split
}

/// Whether an attribute's tokens are a `cfg` that holds only in tests: `cfg(test)`, or an `all(…)` with
/// `test` among its terms. `cfg(any(windows, test))` ships (on Windows), and so does `cfg(not(test))`.
fn only_under_test(words: &[String]) -> bool {
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["cfg", "(", "test", ")"] => true,
        ["cfg", "(", "all", "(", terms @ .., ")", ")"] => {
            let mut depth = 0usize;
            terms.iter().any(|w| {
                match *w {
                    "(" => depth += 1,
                    ")" => depth = depth.saturating_sub(1),
                    _ => {}
                }
                depth == 0 && *w == "test"
            })
        }
        _ => false,
    }
}

/// The index of the bracket that closes the one at `open`.
fn closing(chars: &[char], open: usize) -> usize {
    let mut depth = 0usize;
    for (i, c) in chars.iter().enumerate().skip(open) {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    chars.len().saturating_sub(1)
}

/// Where the item that starts at `start` ends (just past it): its `;` at depth 0, or the `}` that
/// closes its first block; further attributes in front of it belong to it.
fn item_end(chars: &[char], start: usize) -> usize {
    let mut i = start;
    while i < chars.len() {
        match chars[i] {
            ';' => return i + 1,
            '{' => return closing(chars, i) + 1,
            '(' | '[' => i = closing(chars, i) + 1,
            _ => i += 1,
        }
    }
    chars.len()
}

/// Every path `code` names from `root` (`crate`, `super`, `self`, or the library's name in the
/// binary), with `use` groups expanded: `use crate::{a::{B, C}, d};` names `a::B`, `a::C` and `d`.
/// `super` and `self` are resolved against `module`, the path of the file's module.
fn paths(code: &str, module: &[String], roots: &[&str]) -> BTreeSet<Vec<String>> {
    let tokens = tokens(code);
    let mut found = BTreeSet::new();
    for (i, token) in tokens.iter().enumerate() {
        let starts = roots.contains(&token.as_str())
            && tokens.get(i + 1).is_some_and(|t| t == "::")
            && (i == 0 || tokens[i - 1] != "::");
        if !starts {
            continue;
        }
        let mut base: Vec<String> = match token.as_str() {
            "super" | "self" => module.to_vec(),
            _ => Vec::new(),
        };
        let mut j = i;
        if token == "super" {
            base.pop();
        }
        // `super::super::…`
        while tokens.get(j + 1).is_some_and(|t| t == "::") && tokens.get(j + 2).is_some_and(|t| t == "super")
        {
            base.pop();
            j += 2;
        }
        use_tree(&tokens, j + 2, &base, &mut found);
    }
    found
}

/// Reads one path or `use` tree at `tokens[i]` under `prefix`; returns the index past it.
fn use_tree(tokens: &[String], mut i: usize, prefix: &[String], found: &mut BTreeSet<Vec<String>>) -> usize {
    let mut path = prefix.to_vec();
    loop {
        match tokens.get(i).map(String::as_str) {
            Some("{") => {
                i += 1;
                while let Some(token) = tokens.get(i) {
                    match token.as_str() {
                        "}" => return i + 1,
                        "," => i += 1,
                        _ => i = use_tree(tokens, i, &path, found),
                    }
                }
                return i;
            }
            Some(word) if word.chars().all(|c| c.is_alphanumeric() || c == '_') => {
                path.push(word.to_owned());
                i += 1;
                if tokens.get(i).is_some_and(|t| t == "::") {
                    i += 1;
                    continue;
                }
                // `a as b`: the alias names nothing new.
                if tokens.get(i).is_some_and(|t| t == "as") {
                    i += 2;
                }
                found.insert(path);
                return i;
            }
            _ => {
                // `*`, a turbofish, or the end of the path.
                if !path.is_empty() {
                    found.insert(path);
                }
                return i + 1;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// The crate's files and graph

/// One file of `src/`, read whole.
struct Source {
    /// The path below `src/`, as messages show it: `observe/listen.rs`.
    name: String,
    /// The top-level module it belongs to (`observe`), `main` for the binary, `lib` for the root.
    top: String,
    /// What it ships and what only its tests compile; a file of a test module ships nothing.
    split: Split,
    /// The paths its shipped code names, resolved from the crate root.
    shipped_paths: BTreeSet<Vec<String>>,
}

fn sources() -> Vec<Source> {
    let root = src();
    let mut read_files = Vec::new();
    let mut test_modules: BTreeSet<Vec<String>> = BTreeSet::new();
    for file in rust_files(&root) {
        let name = file.strip_prefix(&root).expect("below src").to_string_lossy().replace('\\', "/");
        let mut module: Vec<String> = name.trim_end_matches(".rs").split('/').map(str::to_owned).collect();
        if module.last().is_some_and(|last| last == "mod" || last == "lib") {
            module.pop();
        }
        let split = split_tests(&code_of(&read(&file)));
        test_modules.extend(split.test_modules.iter().map(|m| [module.clone(), vec![m.clone()]].concat()));
        read_files.push((name, module, split));
    }
    read_files
        .into_iter()
        .map(|(name, module, mut split)| {
            if test_modules.iter().any(|test| module.starts_with(test)) {
                split.test.push_str(&split.shipped);
                split.shipped.clear();
            }
            // The binary names the library by its name; `crate` there is the binary itself.
            let (top, roots): (String, &[&str]) = match module.first().map(String::as_str) {
                Some("main") => ("main".to_owned(), &["mcready"]),
                Some(top) => (top.to_owned(), &["crate", "super", "self"]),
                None => ("lib".to_owned(), &["crate", "super", "self"]),
            };
            let shipped_paths = paths(&split.shipped, &module, roots);
            Source { name, top, split, shipped_paths }
        })
        .collect()
}

/// The top-level modules each top-level module imports in shipped code, with one file that does.
fn module_graph(
    sources: &[Source],
    modules: &BTreeSet<String>,
) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for source in sources {
        for path in &source.shipped_paths {
            let Some(target) = path.first().filter(|t| modules.contains(*t) && **t != source.top) else {
                continue;
            };
            graph
                .entry(source.top.clone())
                .or_default()
                .entry(target.clone())
                .or_insert_with(|| source.name.clone());
        }
    }
    graph
}

/// A cycle of `graph`, as the modules along it with the first repeated at the end; `None` when it has none.
fn cycle<V>(graph: &BTreeMap<String, BTreeMap<String, V>>) -> Option<Vec<String>> {
    fn visit<V>(
        node: &str,
        graph: &BTreeMap<String, BTreeMap<String, V>>,
        done: &mut BTreeSet<String>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_owned());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flat_map(BTreeMap::keys) {
            if let Some(found) = visit(next, graph, done, path) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(node, graph, &mut done, &mut Vec::new()))
}

/// The imports of `graph` against `floors` (module → floor): `(importer, imported, file)`.
fn against_floors(
    graph: &BTreeMap<String, BTreeMap<String, String>>,
    floors: &BTreeMap<String, usize>,
) -> Vec<(String, String, String)> {
    let mut wrong = Vec::new();
    for (from, targets) in graph {
        for (to, file) in targets {
            if let (Some(low), Some(high)) = (floors.get(from), floors.get(to))
                && high > low
            {
                wrong.push((from.clone(), to.clone(), file.clone()));
            }
        }
    }
    wrong
}

/// The floors as `docs/architecture.md` writes them: its table under `## Floors`, one row per floor,
/// `| number | name | `module`, `module` | … |`.
fn documented_floors() -> BTreeMap<String, usize> {
    let doc = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("docs").join("architecture.md"));
    let section = doc.split("\n## Floors").nth(1).expect("docs/architecture.md has a `## Floors` section");
    let section = section.split("\n## ").next().unwrap_or_default();
    let mut floors = BTreeMap::new();
    for line in section.lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let Some(Ok(floor)) = cells.get(1).map(|c| c.parse::<usize>()) else { continue };
        for module in cells[3].split('`').skip(1).step_by(2) {
            let previous = floors.insert(module.to_owned(), floor);
            assert!(previous.is_none(), "docs/architecture.md puts `{module}` on two floors");
        }
    }
    floors
}

/// The top-level modules `lib.rs` declares, and the binary.
fn top_level_modules() -> BTreeSet<String> {
    let lib = code_of(&read(&src().join("lib.rs")));
    let words = tokens(&lib);
    let mut modules: BTreeSet<String> =
        words.windows(3).filter(|w| w[0] == "mod" && w[2] == ";").map(|w| w[1].clone()).collect();
    modules.insert("main".to_owned());
    modules
}

// ---------------------------------------------------------------------------------------------------
// The rules

#[test]
fn the_doc_puts_every_module_on_a_floor() {
    let floors = documented_floors();
    let documented: BTreeSet<String> = floors.keys().cloned().collect();
    assert_eq!(documented, top_level_modules(), "the floors of docs/architecture.md against src/lib.rs");
}

#[test]
fn modules_import_only_from_their_floor_or_below() {
    let floors = documented_floors();
    let graph = module_graph(&sources(), &top_level_modules());
    assert!(graph.len() >= 10, "the graph looks unread: {graph:?}");
    let wrong: Vec<String> = against_floors(&graph, &floors)
        .into_iter()
        .map(|(from, to, file)| {
            format!("{file}: {from} (floor {}) imports {to} (floor {})", floors[&from], floors[&to])
        })
        .collect();
    assert!(wrong.is_empty(), "imports against the floors of docs/architecture.md:\n{}", wrong.join("\n"));
}

#[test]
fn no_cycle_between_top_level_modules() {
    let graph = module_graph(&sources(), &top_level_modules());
    if let Some(found) = cycle(&graph) {
        let steps: Vec<String> =
            found.windows(2).map(|w| format!("{} → {} ({})", w[0], w[1], graph[&w[0]][&w[1]])).collect();
        panic!("a cycle between top-level modules:\n{}", steps.join("\n"));
    }
}

/// `cfg(target_os = …)`, `cfg(windows)`, `cfg(unix)`, `cfg(target_family = …)`, in attributes and
/// `cfg!`, in shipped and test code alike: what builds only on some OS lives in the two OS modules.
#[test]
fn os_specific_code_lives_in_platform_and_net_sys_only() {
    let root = src();
    let allowed = [root.join("platform"), root.join("net").join("sys")];
    let mut offenders = Vec::new();
    for file in rust_files(&root) {
        if allowed.iter().any(|dir| file.starts_with(dir)) {
            continue;
        }
        if names_an_os(&code_of(&read(&file))) {
            offenders.push(file.strip_prefix(&root).unwrap().display().to_string());
        }
    }
    assert!(offenders.is_empty(), "OS-specific cfg outside platform/ and net/sys/: {offenders:?}");
}

/// Whether a `cfg` of `code` asks for an OS.
fn names_an_os(code: &str) -> bool {
    let words = tokens(code);
    words.windows(2).enumerate().any(|(i, w)| {
        let opens =
            (matches!(w[0].as_str(), "cfg" | "cfg_attr") && w[1] == "(") || (w[0] == "cfg" && w[1] == "!");
        opens && {
            let mut depth = 0usize;
            let mut asks = false;
            for word in words.iter().skip(i + 1) {
                match word.as_str() {
                    "(" => depth += 1,
                    ")" => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    "target_os" | "target_family" | "windows" | "unix" => asks = true,
                    _ => {}
                }
            }
            asks
        }
    })
}

#[test]
fn commands_only_wire() {
    let sources = sources();
    let commands: Vec<&Source> = sources.iter().filter(|s| s.top == "commands").collect();
    let names: Vec<String> = commands
        .iter()
        .map(|s| s.name.trim_start_matches("commands/").trim_end_matches(".rs").to_owned())
        .collect();
    assert!(names.len() >= 7, "{names:?}");
    for (source, name) in commands.iter().zip(&names) {
        let lines = read(&src().join(&source.name)).lines().count();
        if name != "mod" {
            assert!(lines <= 200, "{} has {lines} lines: a command only wires (≤ 200)", source.name);
            for path in &source.shipped_paths {
                if let [commands, other, ..] = path.as_slice()
                    && commands == "commands"
                    && other != name
                    && names.contains(other)
                {
                    panic!(
                        "{} imports the command `{other}`: share through observe/ or report/",
                        source.name
                    );
                }
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
                !source.split.shipped.contains(forbidden),
                "{} contains `{forbidden}`: engines go to observe/, documents to report/",
                source.name
            );
        }
    }
}

#[test]
fn renderers_know_nothing_of_the_command_line() {
    for source in sources().iter().filter(|s| s.top == "report") {
        let words = tokens(&source.split.shipped);
        assert!(
            !words.iter().any(|w| w == "clap"),
            "{} uses clap: the renderers' formats are plain data",
            source.name
        );
        assert!(
            !source.shipped_paths.iter().any(|p| p.first().is_some_and(|m| m == "cli")),
            "{} reads the command line",
            source.name
        );
    }
}

/// The firewall is judged once per run, with the PnP interface: only the checklist calls the judge
/// (the platforms read, the report shows the checklist's judgement).
#[test]
fn only_the_checklist_judges_the_firewall() {
    for source in sources().iter().filter(|s| s.top != "checks" && s.top != "firewall") {
        let judges = source.shipped_paths.iter().any(|p| {
            p.len() >= 2
                && p[0] == "firewall"
                && (p[1] == "judge" || p[1] == "Judgement" || p[1] == "Context")
        });
        assert!(!judges, "{} judges the firewall: only checks may, once per run", source.name);
    }
}

/// Rules talk through types (`checks::causes`), never through another check's rendered result: no
/// shipped rule indexes evidence or takes decided checks as its input.
#[test]
fn no_rule_reads_another_checks_result() {
    for source in sources().iter().filter(|s| s.top == "checks") {
        let code: String = source.split.shipped.split_whitespace().collect();
        for forbidden in [".evidence[", ".evidence.get(", "&[Check]", "Vec<Check>)"] {
            assert!(!code.contains(forbidden), "{} reads a check's result ({forbidden})", source.name);
        }
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

// ---------------------------------------------------------------------------------------------------
// The reader itself, on made-up code

fn module(path: &str) -> Vec<String> {
    path.split("::").map(str::to_owned).collect()
}

fn tops(code: &str, at: &str) -> BTreeSet<String> {
    paths(code, &module(at), &["crate", "super", "self"])
        .into_iter()
        .filter_map(|p| p.first().cloned())
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

#[test]
fn comments_and_literals_name_nothing() {
    let code = code_of(
        "let x = \"crate::a {\"; // crate::b\n/* crate::c /* nested */ crate::c2 */ let y = crate::d::e(x);\n\
         let q = '\"'; let r = r#\"crate::f \" }\"#; fn g<'a>(s: &'a str) -> char { '\\'' } crate::h::i;",
    );
    assert_eq!(tops(&code, "z"), set(&["d", "h"]), "{code}");
}

#[test]
fn inline_paths_groups_and_super_resolve_to_their_modules() {
    let code = code_of(
        "use crate::{a::{B, C}, d as e};\nfn f() { let s = crate::verdict::Status::Pass; super::super::facts::x(); }\n\
         use super::sibling::Y; pub(crate) fn g() {} use self::inner::Z;",
    );
    let found = paths(&code, &module("observe::listen"), &["crate", "super", "self"]);
    for expected in [
        "a::B",
        "a::C",
        "d",
        "verdict::Status::Pass",
        "facts::x",
        "observe::sibling::Y",
        "observe::listen::inner::Z",
    ] {
        assert!(found.contains(&module(expected)), "{expected} in {found:?}");
    }
    assert_eq!(found.len(), 7, "{found:?}");
}

#[test]
fn test_items_are_cut_by_brace_matching_and_what_follows_still_ships() {
    let code = code_of(
        "use crate::a;\n#[cfg(test)]\npub(crate) mod fake;\n#[cfg(all(test, unix))]\n#[allow(dead_code)]\n\
         mod tests {\n    use crate::b;\n    fn f() { if true { let s = \"}\"; } }\n}\nfn g() { crate::c::h(); }\n\
         #[cfg(not(test))]\nuse crate::d;\n#[cfg(test)]\nconst N: [u8; 2] = [1, 2];\nuse crate::e;\n\
         #[cfg(any(windows, test))]\nmod bpf;\n#[cfg(all(unix, not(test)))]\nuse crate::f;",
    );
    let split = split_tests(&code);
    assert_eq!(tops(&split.shipped, "z"), set(&["a", "c", "d", "e", "f"]), "{}", split.shipped);
    assert_eq!(tops(&split.test, "z"), set(&["b"]));
    assert_eq!(split.test_modules, ["fake"]);
    assert_eq!(split.shipped.lines().count(), code.lines().count());
}

#[test]
fn cycles_and_floors_are_found_in_a_made_up_graph() {
    let graph = |edges: &[(&str, &str)]| {
        let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for (from, to) in edges {
            graph.entry((*from).to_owned()).or_default().insert((*to).to_owned(), format!("{from}.rs"));
        }
        graph
    };
    assert_eq!(cycle(&graph(&[("a", "b"), ("b", "c"), ("a", "c")])), None);
    assert_eq!(cycle(&graph(&[("a", "b"), ("b", "c"), ("c", "b")])), Some(module("b::c::b")));
    assert_eq!(cycle(&graph(&[("a", "a")])), Some(module("a::a")));
    let floors: BTreeMap<String, usize> =
        [("data", 0), ("rules", 1), ("engines", 1)].into_iter().map(|(m, f)| (m.to_owned(), f)).collect();
    let wrong =
        against_floors(&graph(&[("rules", "data"), ("rules", "engines"), ("data", "rules")]), &floors);
    assert_eq!(wrong, [("data".to_owned(), "rules".to_owned(), "data.rs".to_owned())]);
}

#[test]
fn os_cfgs_are_recognised_in_every_spelling() {
    for code in [
        "#[cfg(target_os = \"linux\")] fn f() {}",
        "#[cfg(windows)] fn f() {}",
        "#[cfg(all(unix, not(test)))] fn f() {}",
        "#[cfg_attr(target_family = \"unix\", allow(x))] fn f() {}",
        "if cfg!(windows) {}",
    ] {
        assert!(names_an_os(&code_of(code)), "{code}");
    }
    for code in ["#[cfg(test)] mod tests {}", "#[cfg(feature = \"windows\")] fn f() {}", "let windows = 1;"] {
        assert!(!names_an_os(&code_of(code)), "{code}");
    }
}
