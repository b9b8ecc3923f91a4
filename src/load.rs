//! Loading: a path becomes a [`Scenario`]. The file is read (size, encoding and
//! byte-order-mark checks; the default name from its stem) and parsed once into a
//! [`ScenarioFile`], which validates it with any [`Override`]s as often as asked (a planner's
//! candidates). A backlog snapshot (the scenario's `initial_backlog_file`, or one named on the
//! command line in its place) is read once per file and its rows checked against each
//! validated scenario before that is frozen; [`check_memory`] is the one check of a run's
//! estimated memory against the cap, and [`check_work`] the one check of its estimated work.
//!
//! In the layering this comes after [`crate::scenario`], [`crate::engine`] and
//! [`crate::data`]: it is where files meet the types those trust.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use crate::data::{reader, BacklogSnapshot, DataError, DataKind, DataReader, RowReport};
use crate::engine::{events_text, MemoryEstimate, WorkEstimate, MAX_SIMULATION_EVENTS};
use crate::scenario::error::SHOWN_LINE;
use crate::scenario::{
    overrides, Document, InitialEntry, Location, Override, Scenario, ScenarioError, ScenarioSpec,
    SnapshotOrigin,
};
use crate::units::{bytes_text, Instant};

/// Largest scenario file read, so a huge file is refused before it is parsed.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The scenario file, an override, or the snapshot its `initial_backlog_file` names.
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    /// The backlog snapshot named in place of the scenario's (`--initial-backlog`).
    #[error("{0}")]
    Data(#[from] DataError),
}

/// Reads the scenario file at `path` and validates it with `overrides`, its backlog snapshot
/// (if it names one) attached.
pub fn load(path: &Path, overrides: &[Override]) -> Result<Scenario, LoadError> {
    ScenarioFile::read(path)?.scenario(overrides)
}

/// A scenario file read and parsed once: it validates the scenario with any overrides, as
/// often as asked, reading each backlog snapshot it needs only the first time.
#[derive(Debug, Clone)]
pub struct ScenarioFile {
    doc: Document,
    /// The file's folder, against which `initial_backlog_file` is resolved.
    dir: PathBuf,
    /// A snapshot named in place of the scenario's own (`--initial-backlog`).
    initial_backlog: Option<PathBuf>,
    /// Whether bad snapshot rows are left out rather than refused.
    skip_bad_rows: bool,
    /// Snapshots read so far, shared by the clones.
    snapshots: Arc<Mutex<Vec<Arc<Snapshot>>>>,
}

impl ScenarioFile {
    /// Reads and parses the scenario file at `path`, refusing a folder, a file above
    /// [`MAX_FILE_BYTES`] and text that is not UTF-8. Errors name the path as given.
    pub fn read(path: &Path) -> Result<Self, ScenarioError> {
        let source = path.display().to_string();
        let file_error = |message: String| ScenarioError {
            source: source.clone(),
            location: Location::File,
            message,
        };
        let meta =
            std::fs::metadata(path).map_err(|e| file_error(format!("cannot read it: {e}")))?;
        if meta.is_dir() {
            return Err(file_error("is a folder, not a scenario file".into()));
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(file_error(format!(
                "is {} bytes; a scenario file may be at most {MAX_FILE_BYTES} bytes (4 MiB)",
                meta.len()
            )));
        }
        // The size in the metadata is not the last word: a device or a pipe (`/dev/zero`,
        // `<(cmd)`) reports 0 and a file may grow, so reading stops one byte past the limit.
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|file| {
                use std::io::Read;
                file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)
            })
            .map_err(|e| file_error(format!("cannot read it: {e}")))?;
        // No output of this process may replace the file it read.
        crate::data::inputs::note(path);
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(file_error(format!(
                "is more than {MAX_FILE_BYTES} bytes; a scenario file may be at most \
                 {MAX_FILE_BYTES} bytes (4 MiB)"
            )));
        }
        if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
            return Err(file_error(
                "is UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8".into(),
            ));
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            let bytes = e.as_bytes();
            let good = &bytes[..e.utf8_error().valid_up_to()];
            let line = good.iter().filter(|b| **b == b'\n').count() + 1;
            let line_start = good.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            // Columns count characters, as for every other error.
            let before = String::from_utf8_lossy(&good[line_start..]);
            let column = before.chars().count() + 1;
            let line_text: String = String::from_utf8_lossy(
                bytes[line_start..]
                    .split(|b| *b == b'\n')
                    .next()
                    .unwrap_or_default(),
            )
            .chars()
            .take(column + SHOWN_LINE)
            .collect();
            ScenarioError {
                source: source.clone(),
                location: Location::LineColumn {
                    line,
                    column,
                    text: line_text,
                },
                message: "the file is not valid UTF-8; save it as UTF-8".into(),
            }
        })?;
        // The file's stem, with characters an output folder name should not hold replaced.
        let default_name: String = path
            .file_stem()
            .map(|s| {
                s.to_string_lossy()
                    .chars()
                    .map(|ch| {
                        if ch.is_ascii_alphanumeric() || "-_.".contains(ch) {
                            ch
                        } else {
                            '-'
                        }
                    })
                    .collect::<String>()
                    .trim_start_matches('.')
                    .chars()
                    .take(100)
                    .collect()
            })
            .filter(|s: &String| !s.is_empty())
            .unwrap_or_else(|| "scenario".into());
        let mut file = ScenarioFile::from_text(&text, &source, &default_name)?;
        file.dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(file)
    }

    /// Parses scenario `text`; `source` names it in errors and provenance and `default_name`
    /// is used when it sets no `name`. A snapshot it names is read relative to the working
    /// folder.
    pub fn from_text(text: &str, source: &str, default_name: &str) -> Result<Self, ScenarioError> {
        Ok(ScenarioFile {
            doc: Document::parse(text, source, default_name)?,
            dir: PathBuf::new(),
            initial_backlog: None,
            skip_bad_rows: false,
            snapshots: Arc::default(),
        })
    }

    /// Starts every scenario with the records of the snapshot at `path` pending, in place of
    /// the scenario's `initial_backlog_file` (`--initial-backlog`).
    pub fn with_initial_backlog(mut self, path: PathBuf) -> Self {
        self.initial_backlog = Some(path);
        self
    }

    /// Leaves bad snapshot rows out (listed in [`SnapshotOrigin::skipped_lines`]) instead of
    /// refusing the snapshot (`--skip-bad-rows`).
    pub fn skip_bad_rows(mut self, skip: bool) -> Self {
        self.skip_bad_rows = skip;
        self
    }

    /// How errors and provenance name the file: the path as given.
    pub fn source(&self) -> &str {
        self.doc.source()
    }

    /// The scenario with `overrides` applied in order, validated, its snapshot attached and
    /// frozen. Errors name the override that gave a refused value.
    pub fn scenario(&self, overrides: &[Override]) -> Result<Scenario, LoadError> {
        let mut validated = self.doc.validate(overrides)?;
        // A snapshot named on the command line replaces the scenario's own; the scenario's is
        // resolved against its file's folder, and its errors are the scenario's.
        let (path, key) = match (
            &self.initial_backlog,
            &validated.spec().initial_backlog_file,
        ) {
            (Some(path), _) => (path.clone(), false),
            (None, Some(file)) => (self.dir.join(file), true),
            (None, None) => return Ok(validated.freeze()),
        };
        let snapshot_error = |e: DataError| -> LoadError {
            if key {
                // Named by the scenario (or the override that set the key), with the data
                // file's own message, bad rows on lines of their own.
                let named = overrides::blame(
                    ScenarioError {
                        source: self.source().to_string(),
                        location: Location::Key("initial_backlog_file".into()),
                        message: String::new(),
                    },
                    overrides,
                );
                DataError::InScenario {
                    scenario: named.source,
                    error: Box::new(e),
                }
                .into()
            } else {
                e.into()
            }
        };
        let snapshot = self.snapshot(&path).map_err(snapshot_error)?;
        let (entries, (skipped_lines, skipped_rows)) = snapshot
            .entries(validated.spec(), self.skip_bad_rows)
            .map_err(snapshot_error)?;
        validated.attach_snapshot(
            entries,
            SnapshotOrigin {
                path,
                sha256: snapshot.sha256.clone(),
                skipped_lines,
                skipped_rows,
            },
        );
        Ok(validated.freeze())
    }

    /// The snapshot at `path`, read now if no scenario of this file has read it yet.
    fn snapshot(&self, path: &Path) -> Result<Arc<Snapshot>, DataError> {
        // Held while reading, so candidates validated in parallel read a file once.
        let mut read = self.snapshots.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = read.iter().find(|s| s.path == path) {
            return Ok(s.clone());
        }
        let file = reader::open_file(path, DataKind::Snapshot)?;
        let mut hashing = Hashing {
            inner: file,
            hasher: Sha256::new(),
        };
        let rows =
            BacklogSnapshot::read(&mut DataReader::new(path, DataKind::Snapshot, &mut hashing))?;
        // The rows were read to the end of the file, so every byte went through the hasher.
        let snapshot = Arc::new(Snapshot {
            path: path.into(),
            sha256: crate::scenario::hex(&hashing.hasher.finalize()),
            rows,
            last: Mutex::default(),
        });
        read.push(snapshot.clone());
        Ok(snapshot)
    }
}

/// A backlog snapshot read for a scenario file.
#[derive(Debug)]
struct Snapshot {
    /// The file as read.
    path: PathBuf,
    /// SHA-256 of its bytes, lowercase hex.
    sha256: String,
    /// Its rows.
    rows: BacklogSnapshot,
    /// The last check of the rows. Scenarios that agree on what the rows are checked against
    /// share its entries.
    last: Mutex<Option<Checked>>,
}

/// Bad rows left out of a snapshot: the lines of the first ones, and how many, all told.
type Skipped = (Vec<u64>, u64);

/// A snapshot's rows checked against one scenario.
#[derive(Debug)]
struct Checked {
    /// What they were checked against.
    against: CheckedAgainst,
    /// The records pending at the start.
    entries: Arc<[InitialEntry]>,
    /// The bad rows left out.
    skipped: Skipped,
}

/// What a snapshot's rows are checked against: the start, and each object's name, records
/// and directions (and whether bad rows are skipped).
#[derive(Debug, PartialEq)]
struct CheckedAgainst {
    start: Instant,
    objects: Vec<(String, u32, [bool; 2])>,
    skip: bool,
}

impl Snapshot {
    /// The rows checked against `sc`: its initial entries and the lines of bad rows left out.
    fn entries(
        &self,
        sc: &ScenarioSpec,
        skip: bool,
    ) -> Result<(Arc<[InitialEntry]>, Skipped), DataError> {
        let against = CheckedAgainst {
            start: sc.start,
            objects: sc
                .objects
                .iter()
                .map(|o| (o.name.clone(), o.records, o.syncs))
                .collect(),
            skip,
        };
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(checked) = last.as_ref().filter(|c| c.against == against) {
            return Ok((checked.entries.clone(), checked.skipped.clone()));
        }
        let (entries, report) = self.rows.entries(sc, skip)?;
        let checked = Checked {
            against,
            entries: entries.into(),
            skipped: (report.bad.into_iter().collect(), report.bad_count),
        };
        let result = (checked.entries.clone(), checked.skipped.clone());
        *last = Some(checked);
        Ok(result)
    }
}

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// What loading left out of `sc`'s backlog snapshot, as a line for the terminal: `FILE: 4 bad
/// rows skipped (lines 3, 4, 5, 6)`; `None` when nothing was.
pub fn snapshot_note(sc: &Scenario) -> Option<String> {
    let snapshot = sc.origin.snapshot.as_ref()?;
    let report = RowReport {
        bad: snapshot.skipped_lines.iter().copied().collect(),
        bad_count: snapshot.skipped_rows,
        ..RowReport::default()
    };
    report.note(&snapshot.path)
}

/// Half of this machine's physical memory (from /proc/meminfo), or 4 GiB where that cannot
/// be read: the default cap on a run's estimated memory.
pub fn default_memory_cap() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib * 1024 / 2)
        })
        .unwrap_or(4 << 30)
}

/// Refuses a scenario whose estimated memory ([`MemoryEstimate`]), for `parallel`
/// simulations at once, is above `cap` (`--max-memory`; `None`: [`default_memory_cap`]).
///
/// This is the one memory check: every command calls it before it runs anything (and
/// `syncsim validate` too), with the estimate and its parts in the message.
pub fn check_memory(sc: &Scenario, parallel: u64, cap: Option<u64>) -> Result<(), ScenarioError> {
    let cap = cap.unwrap_or_else(default_memory_cap);
    let parallel = parallel.max(1);
    let one = MemoryEstimate::of(sc);
    let need = one.total() * parallel as f64;
    if need <= cap as f64 {
        return Ok(());
    }
    let (parts, fewer) = if parallel == 1 {
        (one.parts_text(), "")
    } else {
        (
            format!(
                "{} per simulation x {parallel} at once; {}",
                bytes_text(one.total()),
                one.parts_text()
            ),
            ", run fewer simulations at once (--threads)",
        )
    };
    Err(ScenarioError {
        source: sc.origin.source.clone(),
        location: Location::File,
        message: format!(
            "a run would need about {} of memory ({parts}); the cap is {}: use fewer records, \
             lower edit rates or throughput, a shorter horizon or a longer sample_interval{fewer}, \
             or raise the cap with --max-memory (e.g. --max-memory 32GiB)",
            bytes_text(need),
            bytes_text(cap as f64)
        ),
    })
}

/// The default cap on a command's estimated work (`--max-events`): ten billion events, about
/// a quarter of an hour of one core of the machine of `docs/performance.md` (the 100x
/// reference scenario is about 0.1 billion).
pub const DEFAULT_MAX_EVENTS: u64 = 10_000_000_000;

/// Refuses a command whose estimated work is above `cap` (`--max-events`; `None`:
/// [`DEFAULT_MAX_EVENTS`]): `simulations` runs of `sc` (its replications, or a planner's
/// candidates times replications, `sc` the largest of them), each estimated by
/// [`WorkEstimate`], plus `extra` events of work besides (a replay's reading of its change
/// log).
///
/// This is the one work check: every command that simulates calls it before it runs
/// anything, with the estimate and its parts in the message, and `syncsim validate` for a
/// single run.
pub fn check_work(
    sc: &Scenario,
    simulations: u64,
    extra: f64,
    cap: Option<u64>,
) -> Result<(), ScenarioError> {
    let cap = cap.unwrap_or(DEFAULT_MAX_EVENTS);
    let one = WorkEstimate::of(sc);
    if one.total() + extra > MAX_SIMULATION_EVENTS as f64 {
        return Err(ScenarioError {
            source: sc.origin.source.clone(),
            location: Location::File,
            message: format!(
                "one simulation would be about {} events ({}); one simulation may take at \
                 most {} (the engine numbers its entries in 40 bits), whatever --max-events \
                 says: use a shorter horizon, a longer sync.cycle_wait or retry.interval, or \
                 lower edit rates",
                events_text(one.total() + extra),
                one.parts_text(),
                events_text(MAX_SIMULATION_EVENTS as f64)
            ),
        });
    }
    let simulations = simulations.max(1);
    let need = one.total() * simulations as f64 + extra;
    if need <= cap as f64 {
        return Ok(());
    }
    let runs = if simulations == 1 {
        String::new()
    } else {
        format!(
            " ({} per simulation x {simulations} simulations)",
            events_text(one.total())
        )
    };
    let extra = if extra > 0.0 {
        format!(", and {} reading the change log", events_text(extra))
    } else {
        String::new()
    };
    Err(ScenarioError {
        source: sc.origin.source.clone(),
        location: Location::File,
        message: format!(
            "the work would be about {} events{runs} ({}{extra}); the cap is {}: use a \
             shorter horizon, a longer sync.cycle_wait or retry.interval, lower edit rates or \
             fewer replications or candidates, or raise the cap with --max-events (e.g. \
             --max-events {})",
            events_text(need),
            one.parts_text(),
            events_text(cap as f64),
            events_text((need * 2.0).max(cap as f64 * 10.0))
        ),
    })
}

/// Parses a count of events as given to `--max-events`: digits (`_` allowed), or a number
/// with an exponent (`1e11`, `2.5e10`).
pub fn parse_events(text: &str) -> Result<u64, String> {
    let t = text.trim().replace('_', "");
    let value: f64 = t.parse().map_err(|_| {
        format!("'{text}' is not a count of events; write e.g. 20000000000 or 2e10")
    })?;
    if !(1.0..=1e18).contains(&value) {
        return Err(format!("must be 1 to 1e18 events (got {text})"));
    }
    Ok(value as u64)
}
