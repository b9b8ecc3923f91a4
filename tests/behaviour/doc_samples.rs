//! The documentation shows what the binary prints: every ```text block that follows a
//! `<!-- output of: syncsim ARGS -->` comment in `README.md` or `docs/*.md` must appear, line
//! for line and in one piece, in the output of that command. Two lines vary from run to run
//! and are left out of both: "ran in N s" and "Reports in DIR/".

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// A documented sample: where it is, the command's arguments, and the lines shown.
struct Sample {
    file: PathBuf,
    line: usize,
    args: Vec<String>,
    shown: Vec<String>,
}

fn samples() -> Vec<Sample> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    let mut out = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(command) = line
                .strip_prefix("<!-- output of: syncsim ")
                .and_then(|rest| rest.strip_suffix(" -->"))
            else {
                continue;
            };
            assert_eq!(
                lines.get(i + 1),
                Some(&"```text"),
                "{}:{}: a ```text block must follow",
                file.display(),
                i + 1
            );
            let shown = lines[i + 2..]
                .iter()
                .take_while(|l| **l != "```")
                .map(|l| l.to_string())
                .collect();
            out.push(Sample {
                file: file.clone(),
                line: i + 1,
                args: command.split_whitespace().map(String::from).collect(),
                shown,
            });
        }
    }
    out
}

fn varies(line: &str) -> bool {
    line.starts_with("Reports in ") || line.starts_with("  ran in ")
}

#[test]
fn documented_outputs_are_what_the_binary_prints() {
    let samples = samples();
    assert!(
        samples.len() >= 3,
        "the README's samples and the Monte Carlo page's are found"
    );
    for s in samples {
        let dir = tempfile::tempdir().unwrap();
        let mut args = s.args.clone();
        if !args.iter().any(|a| a == "--out") {
            args.push("--out".into());
            args.push(dir.path().join("out").display().to_string());
        }
        let output = Command::cargo_bin("syncsim")
            .unwrap()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(&args)
            .output()
            .unwrap();
        let printed: Vec<String> = String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .filter(|l| !varies(l))
            .map(String::from)
            .collect();
        let shown: Vec<&String> = s.shown.iter().filter(|l| !varies(l)).collect();
        let found = (0..=printed.len().saturating_sub(shown.len()))
            .any(|at| shown.iter().zip(&printed[at..]).all(|(a, b)| *a == b));
        assert!(
            found && !shown.is_empty(),
            "{}:{}: `syncsim {}` no longer prints what the page shows.\nShown:\n{}\nPrinted:\n{}",
            s.file.display(),
            s.line,
            s.args.join(" "),
            shown
                .iter()
                .map(|l| l.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            printed.join("\n")
        );
    }
}
