//! The bad-data corpus: every file under `tests/bad-data/` is a change log, backlog snapshot,
//! figures file or trend that the real binary must refuse, without a panic, within a hang
//! guard, with a message pinned by a snapshot (`snapshots/bad-data@<file>.snap`). What a
//! message echoes from a file is escaped, so no control character reaches the terminal; a
//! bad row is named by its physical line and the column of its field.
//!
//! CSV files hold no comment, so [`CASES`] says for each file what is wrong with it and how
//! it is read; a file of the folder missing from the table (or the other way round) fails the
//! test. Inputs too large to commit, and inputs that are not files (`/dev/zero`, a named
//! pipe), are made here.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;

use super::bad_scenarios::unsafe_to_show;

/// Far above what one refusal takes; only there so a hang fails instead of blocking CI.
const HANG_GUARD: Duration = Duration::from_secs(60);

/// How a corpus file is read.
#[derive(Clone, Copy)]
enum Read {
    /// `syncsim replay FILE --scenario base.toml`.
    Replay,
    /// `syncsim fit FILE`.
    Fit,
    /// `syncsim fit FILE --out FILE --force` (exit code 3: never over an input).
    FitOverItself,
    /// `syncsim run base.toml --initial-backlog FILE`.
    Snapshot,
    /// `syncsim fit --dashboard FILE`.
    Figures,
    /// `syncsim fit --scenario base.toml --trend FILE`.
    Trend,
}

/// Every file of the corpus but `base.toml`, how it is read, and what is wrong with it.
const CASES: &[(&str, Read, &str)] = &[
    ("changes-bad-rows.csv", Read::Replay, "an unknown object, a record out of range, a bad instant, time going back, a direction not synced, a bad synced flag, a short row"),
    ("changes-bom-and-crlf-then-a-bad-row.csv", Read::Replay, "a byte-order mark and CRLF line ends are read; the bad row after them is on line 3"),
    ("changes-control-characters.csv", Read::Replay, "escape sequences, a bell and backspaces in an object name, a carriage return in a direction: escaped in the message"),
    ("changes-empty.csv", Read::Replay, "an empty file"),
    ("changes-field-too-long.csv", Read::Replay, "fields of 5,000 and 2,000 characters: refused as too long, shown shortened"),
    ("changes-forty-bad-rows.csv", Read::Replay, "40 bad rows: the first 10 shown, the count given"),
    ("changes-header-with-an-escape.csv", Read::Replay, "a header holding an OSC escape that would retitle the terminal"),
    ("changes-instants-at-the-edges.csv", Read::Replay, "instants past year 9999, at the end of it, at year -9999 and with too many digits"),
    ("changes-not-utf8.csv", Read::Replay, "bytes that are not UTF-8: the column is the bad byte's, in characters"),
    ("changes-quote-never-closed.csv", Read::Replay, "a quote opened on line 3 and never closed"),
    ("changes-quoted-line-breaks.csv", Read::Replay, "quoted fields spanning lines: each bad row is named by its physical line, not its record number"),
    ("changes-record-at-top-of-range.csv", Read::Replay, "record ids at the top of u64 and past it, and 2^32 (+9), which a 32-bit id would wrap to 0 (9)"),
    ("figures-infinite-and-out-of-range.csv", Read::Figures, "inf, 1e309, NaN, 1e13, -1 and min above avg"),
    ("figures-missing-columns.csv", Read::Figures, "a header without avg_per_h and the others"),
    ("fit-edits-spanning-millennia.csv", Read::Fit, "edits from year 1 to year 9999: longer than a scenario may span"),
    ("fit-object-with-an-escape.csv", Read::Fit, "an object name with an escape sequence"),
    ("fit-out-over-its-log.csv", Read::FitOverItself, "fit --out naming the change log it reads, with --force"),
    ("fit-record-at-top-of-range.csv", Read::Fit, "record ids 2^32 - 1 and 2^31: the fitted records count (id + 1) would overflow"),
    ("snapshot-bad-rows.csv", Read::Snapshot, "a quoted line break, a record past u64, a stamp after the start, an escape in a name, an unknown direction, a direction not synced"),
    ("snapshot-not-utf8.csv", Read::Snapshot, "a record id that is not UTF-8"),
    ("trend-backlog-at-top-of-range.csv", Read::Trend, "backlogs at the top of u64 and past it, negative, in exponent form, and above what any scenario holds"),
    ("trend-points-outside-the-span.csv", Read::Trend, "points after the end and before the start of the scenario"),
];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-data")
}

fn syncsim(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("syncsim").unwrap();
    c.current_dir(dir).timeout(HANG_GUARD);
    c
}

/// The arguments that read `file` as `read`.
fn args(file: &str, read: Read) -> Vec<String> {
    let words: Vec<&str> = match read {
        Read::Replay => vec!["replay", file, "--scenario", "base.toml", "--out", "out"],
        Read::Fit => vec!["fit", file],
        Read::FitOverItself => vec!["fit", file, "--out", file, "--force"],
        Read::Snapshot => vec![
            "run",
            "base.toml",
            "--initial-backlog",
            file,
            "--out",
            "out",
        ],
        Read::Figures => vec!["fit", "--dashboard", file],
        Read::Trend => vec!["fit", "--scenario", "base.toml", "--trend", file],
    };
    words.into_iter().map(String::from).collect()
}

/// Checks what every refusal of a data file must be: exit code `code`, nothing on stdout,
/// no panic, the file named, one screen, no control character but line ends. Returns stderr.
fn refused(output: &Output, file: &str, code: i32) -> String {
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
        stderr.contains(&format!("'{file}'")),
        "{file}: the file is not named in\n{stderr}"
    );
    assert!(stderr.lines().count() <= 20, "{file}: not one screen");
    assert!(stderr.len() <= 2_500, "{file}: {} characters", stderr.len());
    assert!(
        !stderr.chars().any(|c| c != '\n' && unsafe_to_show(c)),
        "{file}: a control character reached the terminal: {stderr:?}"
    );
    stderr
}

#[test]
fn every_bad_data_file_is_refused_with_a_pinned_message() {
    let mut listed: Vec<&str> = CASES.iter().map(|(f, _, _)| *f).collect();
    listed.sort();
    let mut found: Vec<String> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|f| f != "base.toml")
        .collect();
    found.sort();
    assert_eq!(listed, found, "CASES and tests/bad-data/ differ");
    for &(file, read, what) in CASES {
        let dir = tempfile::tempdir().unwrap();
        for name in [file, "base.toml"] {
            std::fs::copy(corpus().join(name), dir.path().join(name)).unwrap();
        }
        let before = std::fs::read(dir.path().join(file)).unwrap();
        let args = args(file, read);
        let code = if matches!(read, Read::FitOverItself) {
            3
        } else {
            2
        };
        let output = syncsim(dir.path()).args(&args).output().unwrap();
        let stderr = refused(&output, file, code);
        assert_eq!(
            std::fs::read(dir.path().join(file)).unwrap(),
            before,
            "{file}: the input was changed"
        );
        assert!(
            !dir.path().join("out").exists(),
            "{file}: a folder was left"
        );
        insta::with_settings!({
            prepend_module_to_snapshot => false,
            description => format!("{what}: syncsim {}", args.join(" ")),
            omit_expression => true,
            snapshot_suffix => file,
        }, {
            insta::assert_snapshot!("bad-data", stderr);
        });
    }
}

#[cfg(unix)]
#[test]
fn a_device_that_never_ends_is_refused_for_every_kind_of_data_file() {
    // /dev/zero has no line end: each reader stops one row's length in, whatever the kind.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(corpus().join("base.toml"), dir.path().join("base.toml")).unwrap();
    for read in [
        Read::Replay,
        Read::Fit,
        Read::Snapshot,
        Read::Figures,
        Read::Trend,
    ] {
        let output = syncsim(dir.path())
            .args(args("/dev/zero", read))
            .output()
            .unwrap();
        let e = refused(&output, "/dev/zero", 2);
        assert!(
            e.contains("line 1: the row is longer than 65536 bytes"),
            "{e}"
        );
    }
}

#[test]
fn files_above_their_kinds_size_cap_are_refused_before_they_are_read() {
    // Sparse files: their size is what the cap checks, and they take no disk space.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(corpus().join("base.toml"), dir.path().join("base.toml")).unwrap();
    for (read, cap) in [
        (Read::Replay, 4u64 << 30),
        (Read::Snapshot, 1 << 30),
        (Read::Figures, 64 << 20),
        (Read::Trend, 64 << 20),
    ] {
        let name = "big.csv";
        let file = std::fs::File::create(dir.path().join(name)).unwrap();
        file.set_len(cap + 1).unwrap();
        let output = syncsim(dir.path()).args(args(name, read)).output().unwrap();
        let e = refused(&output, name, 2);
        assert!(
            e.contains(&format!("is {} bytes;", cap + 1))
                && e.contains(&format!("at most {cap} bytes")),
            "{e}"
        );
    }
}

#[test]
fn a_row_longer_than_the_cap_stops_the_reading() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(corpus().join("base.toml"), dir.path().join("base.toml")).unwrap();
    let mut text = String::from("time_utc,object,record,direction,synced\n");
    text.push_str("2026-11-23T01:00:00Z,Lead,1,to_marketing,true\n");
    text.push_str(&",".repeat(70_000));
    std::fs::write(dir.path().join("wide.csv"), text).unwrap();
    let output = syncsim(dir.path())
        .args(args("wide.csv", Read::Replay))
        .output()
        .unwrap();
    let e = refused(&output, "wide.csv", 2);
    assert_eq!(
        e,
        "error: 'wide.csv': line 3: the row is longer than 65536 bytes (a row of a change log \
         is a short line of text; is this the right file?)\n"
    );
}

/// A scenario of `objects` objects syncing both ways, and a change log with one edit of each
/// object in each direction.
fn many_streams(dir: &Path, objects: usize) {
    let mut scenario = String::from("start = \"2026-11-23T00:00:00Z\"\nhorizon = \"2h\"\n");
    let mut log = String::from("time_utc,object,record,direction,synced\n");
    for o in 0..objects {
        scenario.push_str(&format!("[objects.O{o}]\nrecords = 10\nsync = \"both\"\n"));
        for d in ["to_marketing", "to_crm"] {
            log.push_str(&format!("2026-11-23T00:30:00Z,O{o},1,{d},true\n"));
        }
    }
    std::fs::write(dir.join("many.toml"), scenario).unwrap();
    std::fs::write(dir.join("many.csv"), log).unwrap();
}

#[cfg(unix)]
#[test]
fn a_log_touching_1200_object_directions_replays_with_few_file_descriptors() {
    // The file is read once: a replay needs no descriptor per (object, direction). The
    // shell's limit of 64 open files would stop a reader that opened the log per stream.
    let dir = tempfile::tempdir().unwrap();
    many_streams(dir.path(), 600);
    let output = std::process::Command::new("sh")
        .current_dir(dir.path())
        .arg("-c")
        .arg("ulimit -n 64 && exec \"$0\" replay many.csv --scenario many.toml --out out --quiet")
        .arg(assert_cmd::cargo::cargo_bin("syncsim"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let counters = std::fs::read_to_string(dir.path().join("out/counters.csv")).unwrap();
    assert!(counters.contains("edits"), "{counters}");
}

#[cfg(unix)]
#[test]
fn a_change_log_from_a_named_pipe_is_read_once() {
    // As `syncsim replay <(cmd) ...` does: a pipe can be read only once.
    let dir = tempfile::tempdir().unwrap();
    many_streams(dir.path(), 3);
    let fifo = dir.path().join("pipe.csv");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let log = std::fs::read(dir.path().join("many.csv")).unwrap();
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, log).unwrap())
    };
    let output = syncsim(dir.path())
        .args([
            "replay",
            "pipe.csv",
            "--scenario",
            "many.toml",
            "--out",
            "out",
        ])
        .output()
        .unwrap();
    if !output.status.success() {
        // Unblock the writer, which waits for a reader to open the pipe.
        let _ = std::fs::File::open(&fifo);
    }
    writer.join().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("6 edits replayed from pipe.csv"),
        "{stdout}"
    );
}

#[test]
fn a_snapshot_named_by_the_scenario_keeps_its_bad_rows_on_lines_of_their_own() {
    // Named by `initial_backlog_file`, the snapshot's errors are the scenario's, and were
    // once flattened into one line with `\n` escaped in it.
    let dir = tempfile::tempdir().unwrap();
    for name in ["snapshot-bad-rows.csv", "base.toml"] {
        std::fs::copy(corpus().join(name), dir.path().join(name)).unwrap();
    }
    let output = syncsim(dir.path())
        .args([
            "validate",
            "base.toml",
            "--set",
            "initial_backlog_file=snapshot-bad-rows.csv",
        ])
        .output()
        .unwrap();
    let e = refused(&output, "snapshot-bad-rows.csv", 2);
    assert!(
        e.starts_with(
            "error: scenario 'base.toml with --set initial_backlog_file=snapshot-bad-rows.csv': \
             initial_backlog_file: 'snapshot-bad-rows.csv': 5 bad rows:\n  line 5, column 6 \
             (record): record '18446744073709551616' is not a record number\n"
        ),
        "{e}"
    );
    assert_eq!(e.lines().count(), 7, "{e}");
}
