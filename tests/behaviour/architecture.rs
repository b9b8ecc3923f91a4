//! The shape of the house (`docs/architecture.md`): the library's top-level modules import
//! each other one way only, every source file opens with a paragraph on what it is for, and
//! none is longer than a newcomer reads in one sitting.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Top-level module of each file (`src/engine/batch.rs` -> `engine`), without `main`, `lib`
/// and the binary's `cli`.
fn library_files() -> BTreeMap<String, Vec<PathBuf>> {
    let mut files = Vec::new();
    sources(&src(), &mut files);
    let mut out: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(src()).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if !["main", "lib", "cli"].contains(&top.as_str()) {
            out.entry(top).or_default().push(f);
        }
    }
    out
}

/// The modules `text` names as `crate::module`, comments left out.
fn imports(text: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + 7..];
        if rest.starts_with('{') {
            let group = &rest[1..rest.find('}').unwrap_or(rest.len())];
            for part in group.split(',') {
                let name = part.trim().split("::").next().unwrap_or("").trim();
                if modules.contains(name) {
                    out.insert(name.to_string());
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if modules.contains(&name) {
                out.insert(name);
            }
        }
    }
    out
}

#[test]
fn modules_import_each_other_one_way() {
    let files = library_files();
    let modules: BTreeSet<String> = files.keys().cloned().collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, paths) in &files {
        let mut to = BTreeSet::new();
        for p in paths {
            to.extend(imports(&fs::read_to_string(p).unwrap(), &modules));
        }
        to.remove(m);
        edges.insert(m.clone(), to);
    }
    // Repeatedly take the modules that import nothing left: what remains is in a circle.
    let mut left = edges.clone();
    loop {
        let free: Vec<String> = left
            .iter()
            .filter(|(_, to)| to.iter().all(|t| !left.contains_key(t)))
            .map(|(m, _)| m.clone())
            .collect();
        if free.is_empty() {
            break;
        }
        for m in free {
            left.remove(&m);
        }
    }
    assert!(
        left.is_empty(),
        "an import circle among (or beneath) these modules: {:?}",
        left.keys().collect::<Vec<_>>()
    );
    // The engine reads no file: it never imports the loader, the data files or the reports.
    for forbidden in ["load", "data", "report", "replicate", "planner", "summary"] {
        assert!(
            !edges["engine"].contains(forbidden),
            "the engine imports {forbidden}"
        );
    }
    // Reports come last: nothing but the binary imports them.
    for (m, to) in &edges {
        assert!(
            m == "report" || !to.contains("report"),
            "{m} imports report"
        );
    }
}

#[test]
fn every_source_file_says_what_it_is_for_and_reads_in_one_sitting() {
    let mut files = Vec::new();
    sources(&src(), &mut files);
    for f in files {
        let text = fs::read_to_string(&f).unwrap();
        let shown = f.display();
        assert!(
            text.trim_start().starts_with("//!"),
            "{shown} does not open with a //! paragraph"
        );
        let lines = text.lines().count();
        assert!(
            lines <= 1_000 || text.contains("longer than a thousand lines because"),
            "{shown} has {lines} lines: split it along its seams, or say in it why not"
        );
    }
}
