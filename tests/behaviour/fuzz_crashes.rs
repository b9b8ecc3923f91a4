//! Every crash the fuzz targets found, replayed as the `scenario_text` target reads its input
//! (see the Fuzzing section of docs/robustness.md): the bytes up to the first NUL are the
//! scenario file, each of the next (at most four) NUL-separated parts a `--set` override. Text
//! that is not UTF-8 goes through `load::ScenarioFile::read` from a file, as in the target.
//!
//! `tests/fuzz-crashes/` holds the fuzzer's inputs byte for byte:
//!
//! | file | what the fuzzer saw |
//! |---|---|
//! | `text-ends-after-equals.bin` | a file ending right after `start = `: an empty message |
//! | `text-not-utf8-in-a-long-nested-line.bin` | a byte that is not UTF-8 far into a line of nested inline tables: the whole line echoed, over 2,000 characters |
//! | `text-long-set-paths.bin` | `--set` paths of many words, echoed in the source, the key and the message: over 2,000 characters |
//!
//! Each must be refused with a message that names its source, says something, and fits on one
//! screen (at most 4 lines and 2,000 characters, the target's own checks); the message is
//! pinned in `snapshots/fuzz-crash@<file>.snap`.

use syncsim::load::ScenarioFile;
use syncsim::scenario::{self, Override, Scenario, ScenarioError};

/// Loads a fuzzer input the way the `scenario_text` target does.
fn replay(data: &[u8]) -> Result<Scenario, ScenarioError> {
    let mut parts = data.split(|b| *b == 0);
    let file = parts.next().unwrap_or_default();
    let overrides: Vec<Override> = parts
        .take(4)
        .map(|p| Override::set(&String::from_utf8_lossy(p)))
        .collect();
    match std::str::from_utf8(file) {
        Ok(text) => scenario::from_str(text, "fuzz.toml", "fuzz", &overrides),
        Err(_) => {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("fuzz.toml");
            std::fs::write(&path, file).unwrap();
            // Text that is not UTF-8 is refused as it is read, before any override.
            let mut e = ScenarioFile::read(&path).expect_err("text that is not UTF-8");
            // The temporary folder changes from run to run; the snapshot names the file.
            e.source = "fuzz.toml".into();
            Err(e)
        }
    }
}

#[test]
fn every_fuzz_crash_is_refused_with_a_one_screen_message() {
    let mut seen = 0;
    insta::glob!("../fuzz-crashes", "*.bin", |path| {
        let file = path.file_name().unwrap().to_str().unwrap();
        let e = match replay(&std::fs::read(path).unwrap()) {
            Ok(_) => panic!("{file}: accepted"),
            Err(e) => e,
        };
        let shown = e.to_string();
        assert!(shown.starts_with("scenario 'fuzz.toml"), "{file}: {shown}");
        assert!(
            !e.message.trim().is_empty(),
            "{file}: an empty message: {shown}"
        );
        let lines = shown.lines().count();
        assert!(lines <= 4, "{file}: {lines} lines:\n{shown}");
        let chars = shown.chars().count();
        assert!(chars <= 2_000, "{file}: {chars} characters:\n{shown}");
        insta::with_settings!({
            prepend_module_to_snapshot => false,
            description => format!("fuzz input {file}"),
            omit_expression => true,
        }, {
            insta::assert_snapshot!("fuzz-crash", shown);
        });
        seen += 1;
    });
    assert!(seen >= 3, "the crash corpus shrank to {seen} files");
}
