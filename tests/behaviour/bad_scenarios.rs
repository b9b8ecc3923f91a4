//! The bad-input corpus: every file under `tests/bad-scenarios/` is refused by the real
//! binary's `syncsim validate` with exit code 2, without a panic, within a hang guard, and
//! with a message pinned by a snapshot (`tests/behaviour/snapshots/`).
//!
//! A corpus file whose first line is `# args: ...` is validated with those extra arguments,
//! so bad `--set` and `--horizon` values are part of the corpus too. Inputs too large to
//! commit (a file over the size limit, nesting hundreds of thousands deep) are generated here.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;

/// Far above what one validation takes; only there so a hang fails instead of blocking CI.
const HANG_GUARD: Duration = Duration::from_secs(30);

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-scenarios")
}

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
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{file}: stderr:\n{stderr}");
    assert!(output.stdout.is_empty(), "{file}: printed to stdout");
    assert!(!stderr.contains("panicked"), "{file}: {stderr}");
    assert!(stderr.starts_with("error: "), "{file}: {stderr}");
    assert!(
        stderr.contains(&format!("scenario '{file}")),
        "{file}: the file is not named in\n{stderr}"
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

#[test]
fn every_bad_scenario_is_refused_with_a_pinned_message() {
    let dir = corpus();
    let mut seen = 0;
    insta::glob!("../bad-scenarios", "*.toml", |path| {
        let file = path.file_name().unwrap().to_str().unwrap();
        let bytes = std::fs::read(path).unwrap();
        let args: Vec<String> = bytes
            .strip_prefix(b"# args:")
            .and_then(|rest| rest.split(|b| *b == b'\n').next())
            .map(|line| {
                String::from_utf8_lossy(line)
                    .split_whitespace()
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let stderr = refused(&validate(&dir, file, &args), file);
        insta::with_settings!({
            prepend_module_to_snapshot => false,
            description => format!("syncsim validate {file} {}", args.join(" ")).trim_end().to_string(),
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
