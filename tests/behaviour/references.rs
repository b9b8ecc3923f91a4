//! References resolve inside the repository: every path the code and the documentation name
//! (`docs/model.md`, `scenarios/reference.toml`, a markdown link and its `#anchor`) exists here,
//! and nothing points to a document that is not in the repository.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The repository's own text files: documentation, scenarios, code, tests, CI.
fn files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if ![
                    "target",
                    "output",
                    "snapshots",
                    "corpus",
                    "artifacts",
                    "bad-scenarios",
                    "fuzz-crashes",
                ]
                .contains(&name.as_str())
                    && !name.starts_with('.')
                {
                    walk(&path, out);
                }
            } else if [".md", ".rs", ".toml", ".sh", ".py"]
                .iter()
                .any(|ext| name.ends_with(ext))
            {
                out.push(path);
            }
        }
    }
    let mut out = vec![root().join("README.md"), root().join(".ci/run")];
    for dir in [
        "docs",
        "scenarios",
        "src",
        "tests",
        "benches",
        "fuzz/src",
        "fuzz/fuzz_targets",
    ] {
        walk(&root().join(dir), &mut out);
    }
    out.sort();
    out
}

/// The anchors a markdown page offers: its headings, slugged as GitHub does, and explicit
/// `<a id="...">` anchors.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        if let Some(heading) = line.strip_prefix('#') {
            let title = heading.trim_start_matches('#').trim();
            let slug: String = title
                .to_lowercase()
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
                .map(|c| if c == ' ' { '-' } else { c })
                .collect();
            out.insert(slug);
        }
        let mut rest = line;
        while let Some(i) = rest.find("<a id=\"") {
            rest = &rest[i + 7..];
            if let Some(end) = rest.find('"') {
                out.insert(rest[..end].to_string());
            }
        }
    }
    out
}

/// Markdown links `[text](target)` in `text`, targets only.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("](") {
        rest = &rest[i + 2..];
        if let Some(end) = rest.find(')') {
            out.push(rest[..end].to_string());
        }
    }
    out
}

/// Repository paths named in plain text: `docs/...`, `scenarios/...`, `src/...` and the like.
fn named_paths(text: &str) -> Vec<String> {
    const ROOTS: [&str; 7] = [
        "docs/",
        "scenarios/",
        "src/",
        "tests/",
        "benches/",
        "assets/",
        "fuzz/",
    ];
    let mut out = Vec::new();
    for (i, _) in text.char_indices() {
        let rest = &text[i..];
        let Some(prefix) = ROOTS.iter().find(|r| rest.starts_with(**r)) else {
            continue;
        };
        // A whole path, not the tail of another (`../docs/`, `my-docs/`, `output/...`).
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || "/._-".contains(c)) {
            continue;
        }
        let path: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || "/._-<>@*".contains(*c))
            .collect();
        let path = path.trim_end_matches(['.', '/']).to_string();
        // Only paths that end in a file name with an extension, or a folder that exists;
        // patterns such as `docs/<page>` are left alone.
        if path.len() > prefix.len() && !path.contains(['<', '*']) {
            out.push(path);
        }
    }
    out
}

#[test]
fn references_resolve_inside_the_repository() {
    let mut broken = Vec::new();
    for file in files() {
        let text = fs::read_to_string(&file).unwrap();
        let shown = file.strip_prefix(root()).unwrap().display().to_string();
        // Documents that guide the project from outside it (spelt in pieces so that this file
        // does not name them itself).
        let outside_names = [
            concat!("MO", "DEL.md"),
            concat!("ARCHI", "TECTURE.md"),
            concat!("ST", "YLE.md"),
            concat!("../sh", "ared"),
        ];
        for outside in outside_names {
            if text.contains(outside) {
                broken.push(format!(
                    "{shown}: names '{outside}', which is not in the repository"
                ));
            }
        }
        for path in named_paths(&text) {
            // Folders that fuzzing creates and git ignores are named to be made.
            let generated = ["corpus", "artifacts", "coverage"]
                .iter()
                .any(|g| path.starts_with(&format!("fuzz/{g}")));
            if !generated && !root().join(&path).exists() {
                broken.push(format!("{shown}: '{path}' does not exist"));
            }
        }
        if shown.ends_with(".md") {
            let dir = file.parent().unwrap();
            for target in links(&text) {
                if target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                let (path, anchor) = target.split_once('#').unwrap_or((&target, ""));
                let page = if path.is_empty() {
                    file.clone()
                } else {
                    dir.join(path)
                };
                if !page.exists() {
                    broken.push(format!("{shown}: link to '{target}': no such file"));
                    continue;
                }
                if !anchor.is_empty() && page.extension().is_some_and(|e| e == "md") {
                    let offered = anchors(&fs::read_to_string(&page).unwrap());
                    if !offered.contains(anchor) {
                        broken.push(format!("{shown}: link to '{target}': no such anchor"));
                    }
                }
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}
