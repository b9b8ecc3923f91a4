//! The bad-input corpus: every file under `tests/bad-scenarios/` is refused by the real
//! binary's `syncsim validate` with exit code 2, without a panic, within a hang guard, and
//! with a message pinned by a snapshot (`tests/behaviour/snapshots/`).
//!
//! A corpus file whose first line is `# args: ...` is validated with those extra arguments,
//! so bad `--set` and `--horizon` values are part of the corpus too. One whose first line is
//! `# command: ...` is given to that command instead (`FILE` stands for the file; words in
//! single quotes are one argument), so bad `--target` and `--constraint` expressions and
//! outputs that would replace an input are part of it as well; a line `# exit: N` then says
//! which exit code is expected (default 2). Each file runs in a folder of its own, and must
//! be unchanged afterwards. Inputs too large to commit (a file over the size limit, nesting
//! hundreds of thousands deep) are generated here.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;

/// Far above what one validation takes; only there so a hang fails instead of blocking CI.
const HANG_GUARD: Duration = Duration::from_secs(30);

/// Runs `syncsim validate FILE ARGS` in `dir`, naming the file relative to it.
fn validate(dir: &Path, file: &str, args: &[String]) -> Output {
    Command::cargo_bin("syncsim")
        .unwrap()
        .current_dir(dir)
        .arg("validate")
        .arg(file)
        .args(args)
        .timeout(HANG_GUARD)
        .output()
        .unwrap()
}

/// Checks what every refusal must be: exit code 2, nothing on stdout, no panic, the file
/// named, one screen. Returns stderr.
fn refused(output: &Output, file: &str) -> String {
    refused_with(output, file, 2, &format!("scenario '{file}"))
}

/// As [`refused`], with exit code `code` and the file named as in `named`.
fn refused_with(output: &Output, file: &str, code: i32, named: &str) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        Some(code),
        "{file}: stderr:\n{stderr}"
    );
    assert!(output.stdout.is_empty(), "{file}: printed to stdout");
    assert!(!stderr.contains("panicked"), "{file}: {stderr}");
    assert!(stderr.starts_with("error: "), "{file}: {stderr}");
    assert!(
        stderr.contains(named),
        "{file}: the file is not named in\n{stderr}"
    );
    // What a message echoes from the input is escaped: no control character but line ends.
    assert!(
        !stderr.chars().any(|c| c != '\n' && unsafe_to_show(c)),
        "{file}: a control character reached the terminal: {stderr:?}"
    );
    assert!(stderr.lines().count() <= 20, "{file}: not one screen");
    // Found by fuzzing: at the end of a file the TOML library had no message to give.
    let first = stderr.lines().next().unwrap_or_default();
    assert!(
        !first.trim_end().ends_with(':'),
        "{file}: no message: {stderr}"
    );
    stderr
}

/// Splits a command line on blanks, keeping words in single quotes together.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let (mut quoted, mut any) = (false, false);
    for c in line.chars() {
        match c {
            '\'' => (quoted, any) = (!quoted, true),
            c if c.is_whitespace() && !quoted => {
                if any {
                    out.push(std::mem::take(&mut word));
                }
                any = false;
            }
            c => (word, any) = (word + &c.to_string(), true),
        }
    }
    if any {
        out.push(word);
    }
    out
}

/// The value of comment `# key: value` among the first lines of `text`.
fn header<'t>(text: &'t str, key: &str) -> Option<&'t str> {
    text.lines()
        .take_while(|l| l.starts_with('#'))
        .find_map(|l| l.strip_prefix(&format!("# {key}:")))
        .map(str::trim)
}

#[test]
fn every_bad_scenario_is_refused_with_a_pinned_message() {
    let mut seen = 0;
    insta::glob!("../bad-scenarios", "*.toml", |path| {
        let file = path.file_name().unwrap().to_str().unwrap();
        let bytes = std::fs::read(path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(file), &bytes).unwrap();
        let (args, stderr) = match header(&text, "command") {
            None => {
                let args: Vec<String> = header(&text, "args").map(words).unwrap_or_default();
                let stderr = refused(&validate(dir.path(), file, &args), file);
                (format!("validate {file} {}", args.join(" ")), stderr)
            }
            Some(command) => {
                let args: Vec<String> = words(command)
                    .into_iter()
                    .map(|w| w.replace("FILE", file))
                    .collect();
                for link in args.iter().filter_map(|a| a.strip_prefix("./link-to-")) {
                    std::os::unix::fs::symlink(link, dir.path().join(format!("link-to-{link}")))
                        .unwrap();
                }
                let code: i32 = header(&text, "exit").map_or(2, |c| c.parse().unwrap());
                let output = Command::cargo_bin("syncsim")
                    .unwrap()
                    .current_dir(dir.path())
                    .args(&args)
                    .timeout(HANG_GUARD)
                    .output()
                    .unwrap();
                // A bad argument names the argument; an output refused names the file.
                let named = if code == 2 {
                    String::new()
                } else {
                    format!("'{file}'")
                };
                (args.join(" "), refused_with(&output, file, code, &named))
            }
        };
        assert_eq!(
            std::fs::read(dir.path().join(file)).unwrap(),
            bytes,
            "{file}: the input was changed"
        );
        insta::with_settings!({
            prepend_module_to_snapshot => false,
            description => format!("syncsim {args}").trim_end().to_string(),
            omit_expression => true,
        }, {
            insta::assert_snapshot!("refused", stderr);
        });
        seen += 1;
    });
    assert!(seen >= 40, "the corpus shrank to {seen} files");
}

/// Writes `text` as `name` in a fresh folder and validates it there.
fn validate_generated(name: &str, text: &[u8], args: &[String]) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), text).unwrap();
    refused(&validate(dir.path(), name, args), name)
}

const BASE: &str = "start = \"2026-11-23T00:00:00Z\"\n[objects.Lead]\nrecords = 100\n";

#[test]
fn a_file_over_the_size_limit_is_refused_before_it_is_read() {
    let limit = syncsim::load::MAX_FILE_BYTES as usize;
    let mut text = BASE.as_bytes().to_vec();
    text.resize(limit + 1, b'\n');
    let e = validate_generated("huge.toml", &text, &[]);
    assert_eq!(
        e,
        format!(
            "error: scenario 'huge.toml': is {} bytes; a scenario file may be at most {limit} bytes (4 MiB)\n",
            limit + 1
        )
    );
}

#[test]
fn a_file_just_under_the_size_limit_is_read() {
    // Nearly 4 MiB of comments around a valid scenario: accepted, and quickly.
    let limit = syncsim::load::MAX_FILE_BYTES as usize;
    let mut text = BASE.as_bytes().to_vec();
    while text.len() + 64 < limit {
        text.extend_from_slice(format!("# {}\n", "x".repeat(61)).as_bytes());
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.toml"), &text).unwrap();
    let out = validate(dir.path(), "big.toml", &[]);
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn nesting_far_beyond_the_parser_limit_does_not_overflow_the_stack() {
    // A stack overflow would abort the process (no exit code 2); every one of these must be
    // refused with the parser's nesting limit, however deep, within the file-size limit.
    let deep = 200_000;
    let cases = [
        (
            "arrays.toml",
            format!("{BASE}x = {}{}\n", "[".repeat(deep), "]".repeat(deep)),
        ),
        ("unclosed.toml", format!("{BASE}x = {}\n", "[".repeat(deep))),
        (
            "inline-tables.toml",
            format!(
                "{BASE}x = {}1{}\n",
                "{ a = ".repeat(deep),
                " }".repeat(deep)
            ),
        ),
        (
            "dotted-key.toml",
            format!("{BASE}{} = 1\n", vec!["a"; deep].join(".")),
        ),
        (
            "header.toml",
            format!("{BASE}[{}]\n", vec!["a"; deep].join(".")),
        ),
        (
            "array-of-tables.toml",
            format!("{BASE}[[{}]]\n", vec!["a"; deep].join(".")),
        ),
    ];
    for (name, text) in cases {
        assert!(text.len() < syncsim::load::MAX_FILE_BYTES as usize);
        let e = validate_generated(name, text.as_bytes(), &[]);
        assert!(e.contains("nested"), "{name}: {e}");
    }
}

#[test]
fn a_deep_set_path_does_not_overflow_the_stack() {
    // The longest single argument Linux passes is 128 KiB: about 60,000 keys.
    let path = vec!["a"; 60_000].join(".");
    let e = validate_generated(
        "base.toml",
        BASE.as_bytes(),
        &["--set".into(), format!("{path}=1")],
    );
    assert!(e.contains("at most"), "{e}");
    let value = format!("x={}", "[".repeat(100_000));
    let e = validate_generated("base.toml", BASE.as_bytes(), &["--set".into(), value]);
    assert!(e.contains("unknown field `x`"), "{e}");
}

#[test]
fn too_many_objects_are_refused() {
    let mut text = String::from("start = \"2026-11-23T00:00:00Z\"\n");
    for i in 0..100_000 {
        text.push_str(&format!("[objects.O{i}]\nrecords = 1\n"));
    }
    let e = validate_generated("many.toml", text.as_bytes(), &[]);
    assert!(e.contains("objects: "), "{e}");
}

#[cfg(unix)]
#[test]
fn a_device_that_never_ends_is_refused_at_the_size_limit() {
    // Its metadata says 0 bytes; reading stops one byte past the limit.
    let e = refused(&validate(Path::new("/"), "/dev/zero", &[]), "/dev/zero");
    assert!(e.contains("is more than 4194304 bytes"), "{e}");
}

#[test]
fn huge_or_multi_line_values_still_give_a_one_screen_message() {
    let long_name = "A".repeat(100_000);
    let e = validate_generated(
        "long.toml",
        format!("start = \"2026-11-23T00:00:00Z\"\n[objects.{long_name}]\nrecords = 1\n")
            .as_bytes(),
        &[],
    );
    assert!(e.contains("cannot name an object"), "{e}");
    assert!(e.len() < 2_000, "{} characters", e.len());
    let many_lines = "x\n".repeat(10_000);
    let e = validate_generated(
        "lines.toml",
        format!("name = \"\"\"{many_lines}\"\"\"\n{BASE}").as_bytes(),
        &[],
    );
    assert!(e.contains("cannot name an output folder"), "{e}");
    assert!(e.len() < 2_000, "{} characters", e.len());
    let many_words = format!("sync.policy={}", "word ".repeat(5_000));
    let e = validate_generated("words.toml", BASE.as_bytes(), &["--set".into(), many_words]);
    assert!(e.contains("unknown policy 'word word"), "{e}");
    assert!(e.len() < 2_000, "{} characters", e.len());
    // Found by fuzzing: a long --set path is echoed in the source, the key and the message;
    // each was shortened on its own, together still 2,020 characters.
    let long_path = format!("{}x=1", "word ".repeat(150));
    let e = validate_generated("path.toml", BASE.as_bytes(), &["--set".into(), long_path]);
    assert!(e.contains("unknown field `word word"), "{e}");
    assert!(e.len() < 1_500, "{} characters", e.len());
}

/// A character that must not reach a terminal: a control character, or one that reorders
/// the text around it (bidirectional marks, embeddings, overrides, isolates).
pub(crate) fn unsafe_to_show(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}
