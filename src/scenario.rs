//! Scenarios: the TOML a planner writes, turned into a validated [`Scenario`] the engine can
//! trust.
//!
//! Loading goes text -> [`raw::RawScenario`] (serde, unknown keys refused, syntax and type
//! errors with line and column) -> `--set` overrides applied to the TOML tree -> presets and
//! defaults filled -> [`Scenario`], where every value is in range and every name resolved to an
//! index. Errors name the file and the key, the bad value and what is allowed.

pub mod raw;

use std::fmt;
use std::path::Path;

use indexmap::IndexMap;

use crate::units::{self, parse_duration, Instant, Millis, DAY};
use raw::{RawEvent, RawObject, RawScenario, RawSync};

/// The most records one object may hold (record ids are `u32`; this keeps a margin).
pub const MAX_RECORDS: u64 = 1 << 31;
/// The most edit-producing events (bulk updates, objects enabled) whose clear time is tracked.
pub const MAX_TRACKED_EVENTS: usize = 64;
/// The most object types a scenario may have.
pub const MAX_OBJECTS: usize = 1_000;
/// The longest horizon accepted.
pub const MAX_HORIZON: Millis = 3_660 * DAY;

/// A direction records flow in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    /// CRM -> marketing platform (edits made in the CRM).
    ToMarketing = 0,
    /// Marketing platform -> CRM (edits made in the marketing platform).
    ToCrm = 1,
}

impl Direction {
    /// Both directions, in report order.
    pub const ALL: [Direction; 2] = [Direction::ToMarketing, Direction::ToCrm];

    /// The name used in scenario files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Direction::ToMarketing => "to_marketing",
            Direction::ToCrm => "to_crm",
        }
    }

    /// The opposite direction.
    pub fn other(self) -> Self {
        match self {
            Direction::ToMarketing => Direction::ToCrm,
            Direction::ToCrm => Direction::ToMarketing,
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "to_marketing" => Some(Direction::ToMarketing),
            "to_crm" => Some(Direction::ToCrm),
            _ => None,
        }
    }
}

/// One (object, direction) queue of the sync: what the engine keeps a FIFO, counts and
/// samples for. Every per-queue vector of a run is laid out by [`QueueId::index`]
/// (`object * 2 + direction`); this type is the only place that arithmetic is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QueueId(u32);

impl QueueId {
    /// The queue of `object` in `direction`.
    #[inline(always)]
    pub const fn new(object: usize, direction: Direction) -> Self {
        QueueId((object * 2 + direction as usize) as u32)
    }

    /// The queue at position `index` of a per-queue vector.
    #[inline(always)]
    pub const fn from_index(index: usize) -> Self {
        QueueId(index as u32)
    }

    /// Its position in a per-queue vector.
    #[inline(always)]
    pub const fn index(self) -> usize {
        self.0 as usize
    }

    /// The object's index.
    #[inline(always)]
    pub const fn object(self) -> usize {
        (self.0 / 2) as usize
    }

    /// The direction.
    #[inline(always)]
    pub const fn direction(self) -> Direction {
        if self.0 % 2 == 0 {
            Direction::ToMarketing
        } else {
            Direction::ToCrm
        }
    }

    /// How many queues `objects` objects have (two each, synced or not).
    #[inline(always)]
    pub const fn count(objects: usize) -> usize {
        objects * 2
    }

    /// Both queues of `object`, in index order.
    pub const fn of_object(object: usize) -> [QueueId; 2] {
        [
            QueueId::new(object, Direction::ToMarketing),
            QueueId::new(object, Direction::ToCrm),
        ]
    }
}

/// An object's backlog at the start, as a count: a seeded sample of its records, stamped
/// evenly over `oldest` before the start, in its first synced direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InitialBacklog {
    /// Records pending at the start.
    pub count: u32,
    /// Age of the oldest of them.
    pub oldest: Millis,
}

/// One record pending at the start, from a backlog snapshot file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InitialEntry {
    /// Object index.
    pub object: usize,
    /// Direction it is pending in.
    pub direction: Direction,
    /// The record.
    pub record: u32,
    /// Its stamp, ms after the start (0 or negative).
    pub stamp: i64,
}

/// How background edits pick the record they touch.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordChoice {
    /// Every record equally likely.
    Uniform,
    /// A hot set of the first `fraction` of the ids receives `share` of the edits.
    HotSet {
        /// Fraction of the object's records that are hot, in (0, 1).
        fraction: f64,
        /// Fraction of edits that go to the hot set, in [0, 1].
        share: f64,
    },
    /// Zipf over ids: id `k` is chosen with weight `1 / (k + 1)^exponent`.
    Zipf {
        /// The Zipf exponent, > 0.
        exponent: f64,
    },
}

/// One object type (Lead, Contact, a custom object...).
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectSpec {
    /// The object's name as written in the scenario.
    pub name: String,
    /// How many records it has; ids are `0..records`.
    pub records: u32,
    /// Which directions it syncs, indexed by [`Direction`].
    pub syncs: [bool; 2],
    /// Background edits per hour, indexed by [`Direction`] (CRM-side edits flow to marketing).
    pub edits_per_hour: [f64; 2],
    /// Multipliers for each UTC hour of the day, if the rate varies over the day.
    pub hour_profile: Option<[f64; 24]>,
    /// Multiplier for Saturdays and Sundays (UTC).
    pub weekend_factor: f64,
    /// How edits pick records.
    pub record_choice: RecordChoice,
    /// Fraction of background edits that touch synced fields (the rest are skips).
    pub synced_fraction: f64,
    /// Fraction of records that pass the sync filter.
    pub filter_pass: f64,
    /// Whether the object is in the sync at the start (else an `enable_object` event adds it).
    pub enabled: bool,
    /// Records already pending at the start, if any.
    pub initial_backlog: Option<InitialBacklog>,
    /// Chance that an attempt to sync an update fails transiently.
    pub transient_error_rate: f64,
    /// Fraction of records (fixed, seeded) whose every attempt fails until a `fix_errors`
    /// event.
    pub permanent_error_fraction: f64,
}

impl ObjectSpec {
    /// Whether the background rate varies with the time of day or week.
    pub fn rate_varies(&self) -> bool {
        self.hour_profile.is_some() || self.weekend_factor != 1.0
    }
}

/// How the sync chooses what to drain next (MODEL.md section 5, item 4).
#[derive(Debug, Clone, PartialEq)]
pub enum Policy {
    /// Oldest stamp first across all objects; a batch may mix objects.
    Fifo,
    /// Objects take turns of up to `slice` records each, in `order`.
    RoundRobin {
        /// Object indices in turn order (every object appears once).
        order: Vec<usize>,
        /// Records per object per turn.
        slice: u32,
    },
    /// The first object in `order` with anything eligible drains.
    Priority {
        /// Object indices, highest priority first (every object appears once).
        order: Vec<usize>,
    },
    /// Objects with eligible records share batches in proportion to their weights.
    Weighted {
        /// Weight per object index, >= 1.
        weights: Vec<u32>,
    },
}

impl Policy {
    /// The name used in scenario files.
    pub fn name(&self) -> &'static str {
        match self {
            Policy::Fifo => "fifo",
            Policy::RoundRobin { .. } => "round_robin",
            Policy::Priority { .. } => "priority",
            Policy::Weighted { .. } => "weighted",
        }
    }
}

/// The sync's draining machinery.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncSpec {
    /// The draining policy.
    pub policy: Policy,
    /// For each object index, the object whose backlog holds it back, if any.
    pub gates: Vec<Option<usize>>,
    /// Parallel batches (multi-batch queueing); at least 1.
    pub workers: u32,
    /// Records per batch (one API call's worth by default).
    pub batch_size: u32,
    /// Cost units per hour per worker (an update costs 1, a skip `skip_cost`); 0 stalls the sync.
    pub throughput: f64,
    /// Cost of a skip relative to an update.
    pub skip_cost: f64,
    /// Wait after a look finds nothing eligible.
    pub cycle_wait: Millis,
    /// Fixed time added to every batch.
    pub batch_overhead: Millis,
    /// Whether a re-edited pending record moves behind newer entries.
    pub requeue: bool,
}

/// Which records a bulk update touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// Ids `first_record .. first_record + count`, in id order.
    Sequential,
    /// `count` distinct ids drawn at random (seeded), in ascending id order.
    Random,
}

/// What a timed event does.
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// A mass update: `count` edits of one object spread evenly over `spread`.
    BulkUpdate {
        /// Object index.
        object: usize,
        /// Direction the edits flow in.
        direction: Direction,
        /// Number of records edited.
        count: u32,
        /// Edit `i` happens at `at + floor(i * spread / count)`.
        spread: Millis,
        /// Which records.
        selection: Selection,
        /// First id for [`Selection::Sequential`].
        first_record: u32,
        /// Whether the edits touch synced fields (else they are skips).
        synced_fields: bool,
    },
    /// An object joins the sync: every record (passing the filter) enters the queue at once.
    EnableObject {
        /// Object index.
        object: usize,
    },
    /// The sync stops taking work; edits still queue. `duration` re-enables it automatically.
    SyncDisabled {
        /// How long until it is enabled again, if given.
        duration: Option<Millis>,
    },
    /// The sync resumes.
    SyncEnabled,
    /// Throughput per worker changes for batches started from now on.
    SetThroughput {
        /// New cost units per hour per worker.
        throughput: f64,
    },
    /// The number of workers changes (MBQ switched on or off).
    SetWorkers {
        /// New worker count.
        workers: u32,
    },
    /// The cause of an object's permanent errors is fixed: later attempts no longer fail
    /// permanently (records already waiting are retried on their schedule).
    FixErrors {
        /// Object index.
        object: usize,
    },
    /// Every errored record of an object (retry and timeout queues) is retried now, with its
    /// attempt count reset.
    RetryErrored {
        /// Object index.
        object: usize,
    },
}

impl EventKind {
    /// The `kind` name used in scenario files.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::BulkUpdate { .. } => "bulk_update",
            EventKind::EnableObject { .. } => "enable_object",
            EventKind::SyncDisabled { .. } => "sync_disabled",
            EventKind::SyncEnabled => "sync_enabled",
            EventKind::SetThroughput { .. } => "set_throughput",
            EventKind::SetWorkers { .. } => "set_workers",
            EventKind::FixErrors { .. } => "fix_errors",
            EventKind::RetryErrored { .. } => "retry_errored",
        }
    }

    /// Whether the event creates edits, and so has a clear and recovery time.
    pub fn makes_edits(&self) -> bool {
        matches!(
            self,
            EventKind::BulkUpdate { .. } | EventKind::EnableObject { .. }
        )
    }
}

/// A timed happening.
#[derive(Debug, Clone, PartialEq)]
pub struct EventSpec {
    /// The event's name (its key under `[events]`).
    pub name: String,
    /// When it happens, after `start`.
    pub at: Millis,
    /// What it does.
    pub kind: EventKind,
}

/// A validated scenario: every value in range, every name resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Short name; reports go to `output/<name>/`.
    pub name: String,
    /// What question the scenario answers.
    pub description: String,
    /// The preset that filled defaults, if any.
    pub preset: Option<Preset>,
    /// Seed of replication 0 (the others derive from it).
    pub seed: u64,
    /// The instant simulated time 0 maps to.
    pub start: Instant,
    /// How long to simulate.
    pub horizon: Millis,
    /// Spacing of the backlog samples.
    pub sample_interval: Millis,
    /// Default number of replications.
    pub replications: u32,
    /// Object types, in declaration order.
    pub objects: Vec<ObjectSpec>,
    /// The sync.
    pub sync: SyncSpec,
    /// The API call budget.
    pub api: ApiSpec,
    /// Retries of errored records.
    pub retry: RetrySpec,
    /// Timed events, sorted by time then declaration order.
    pub events: Vec<EventSpec>,
    /// Records pending at the start from a snapshot file (`initial_backlog_file` or
    /// `--initial-backlog`), in file order.
    pub initial: Vec<InitialEntry>,
    /// The `initial_backlog_file` key as written (read by [`load`], relative to the file).
    pub initial_backlog_file: Option<String>,
    /// Expectations for `syncsim check`, by name, in file order.
    pub expect: Vec<(String, crate::expr::Expr)>,
}

/// The API call budget (MODEL.md section 5, item 5).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiSpec {
    /// Calls allowed in any rolling 24 hours, shared with other integrations; `None`: no limit.
    pub daily_limit: Option<u64>,
    /// Records per call: a batch of n records costs ceil(n / records_per_call) calls.
    pub records_per_call: u32,
    /// Calls each cycle spends checking for changes.
    pub calls_per_cycle: u32,
    /// Other integrations' calls per hour.
    pub background_calls_per_hour: f64,
    /// Multipliers of the background rate per UTC hour.
    pub background_hour_profile: Option<[f64; 24]>,
}

/// Retries of errored records (MODEL.md section 5, item 6).
#[derive(Debug, Clone, PartialEq)]
pub struct RetrySpec {
    /// Time from a failed attempt to the next.
    pub interval: Millis,
    /// Errors after which a record waits in the timeout queue (first attempt included).
    pub max_attempts: u32,
    /// UTC time of day at which the timeout queue is retried.
    pub nightly_at: Millis,
    /// With a limit: retries wait while usage over the past 24 h exceeds this fraction of it.
    pub suppress_above_fraction: f64,
    /// Without a limit: retries wait while usage over the past 24 h exceeds this many calls.
    pub suppress_above_calls: u64,
}

impl RetrySpec {
    /// The usage above which retries are suppressed.
    pub fn suppression_threshold(&self, api: &ApiSpec) -> f64 {
        match api.daily_limit {
            Some(limit) => limit as f64 * self.suppress_above_fraction,
            None => self.suppress_above_calls as f64,
        }
    }
}

impl Scenario {
    /// The index of the object called `name`.
    pub fn object_index(&self, name: &str) -> Option<usize> {
        self.objects.iter().position(|o| o.name == name)
    }

    /// The queues that sync (each object's synced directions), in index order.
    pub fn queues(&self) -> impl Iterator<Item = QueueId> + '_ {
        self.objects.iter().enumerate().flat_map(|(o, object)| {
            Direction::ALL
                .into_iter()
                .filter(move |d| object.syncs[*d as usize])
                .map(move |d| QueueId::new(o, d))
        })
    }

    /// Whether queue `q` syncs.
    pub fn syncs(&self, q: QueueId) -> bool {
        self.objects[q.object()].syncs[q.direction() as usize]
    }

    /// The instant of simulated time `t`.
    pub fn instant(&self, t: Millis) -> Instant {
        self.start.plus(t)
    }
}

/// A platform whose defaults fill the sync settings (MODEL.md section 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// Marketo-style Salesforce sync: round-robin slices of 10K per object, Contact gated on
    /// Account.
    Salesforce,
    /// Dynamics-style sync: strict FIFO by stamp, one worker.
    Dynamics,
    /// HubSpot-style sync: FIFO, errored records retried every 20 minutes up to 10 attempts,
    /// then nightly at 00:00 UTC; retries suppressed above 75% of the API limit.
    Hubspot,
}

impl Preset {
    /// The name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Salesforce => "salesforce",
            Preset::Dynamics => "dynamics",
            Preset::Hubspot => "hubspot",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "salesforce" => Some(Preset::Salesforce),
            "dynamics" => Some(Preset::Dynamics),
            "hubspot" => Some(Preset::Hubspot),
            _ => None,
        }
    }
}

/// Defaults that hold whatever the preset (see `docs/scenario.md`).
pub mod defaults {
    use crate::units::{Millis, DAY, MINUTE};
    /// Default seed.
    pub const SEED: u64 = 1;
    /// Default horizon.
    pub const HORIZON: Millis = 5 * DAY;
    /// Default backlog sample spacing.
    pub const SAMPLE_INTERVAL: Millis = 15 * MINUTE;
    /// Default records per batch (one API call).
    pub const BATCH_SIZE: u32 = 200;
    /// Default throughput, cost units per hour per worker.
    pub const THROUGHPUT: f64 = 50_000.0;
    /// Default cost of a skip relative to an update.
    pub const SKIP_COST: f64 = 0.1;
    /// Default wait between cycles.
    pub const CYCLE_WAIT: Millis = 5 * MINUTE;
    /// Default round-robin slice.
    pub const SLICE: u32 = 10_000;
    /// Default records per API call.
    pub const RECORDS_PER_CALL: u32 = 200;
    /// Calls per cycle the Salesforce preset spends checking for changes.
    pub const SALESFORCE_CALLS_PER_CYCLE: u32 = 25;
    /// Default retry interval (HubSpot's documented 20 minutes; some editions say 30).
    pub const RETRY_INTERVAL: Millis = 20 * MINUTE;
    /// Default errors before the timeout queue (the first attempt and nine retries).
    pub const MAX_ATTEMPTS: u32 = 10;
    /// Default suppression threshold with a limit: 75% of it.
    pub const SUPPRESS_ABOVE_FRACTION: f64 = 0.75;
    /// Default suppression threshold without a limit: 5,000 calls in 24 h.
    pub const SUPPRESS_ABOVE_CALLS: u64 = 5_000;
}

/// Where in the input something is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The whole file.
    File,
    /// A line and column (1-based), with the line's text.
    LineColumn {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The text of that line.
        text: String,
    },
    /// A key path such as `sync.batch_size`.
    Key(String),
}

/// A scenario that cannot be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file (or `--set` argument) at fault.
    pub source: String,
    /// Where in it.
    pub location: Location,
    /// What was wrong and what is allowed.
    pub message: String,
}

impl std::error::Error for ScenarioError {}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Messages echo what the user wrote; keep them on one screen whatever it was.
        let source = screen_text(&self.source, MAX_SHOWN_NAME);
        let message = screen_text(&self.message, MAX_SHOWN_TEXT);
        match &self.location {
            Location::File => write!(f, "scenario '{source}': {message}"),
            Location::Key(key) => {
                write!(
                    f,
                    "scenario '{source}': {}: {message}",
                    screen_text(key, MAX_SHOWN_NAME)
                )
            }
            Location::LineColumn { line, column, text } => {
                let gutter = line.to_string().len();
                writeln!(
                    f,
                    "scenario '{source}': line {line}, column {column}: {message}"
                )?;
                // Control characters (a NUL of UTF-16 text, a stray escape) would garble the
                // terminal; one replacement character each keeps the caret's column right.
                let chars: Vec<char> = text
                    .chars()
                    .map(|ch| match ch {
                        '\t' => ' ',
                        ch if ch.is_control() => '\u{fffd}',
                        ch => ch,
                    })
                    .collect();
                // A long line is shown as a window around the column, so it stays on one
                // screen and the caret still points at the right character.
                let (first, lead) = if *column > SHOWN_LINE / 2 + 40 {
                    (column - 1 - SHOWN_LINE / 2, "...")
                } else {
                    (0, "")
                };
                let last = chars.len().min(first + SHOWN_LINE);
                let tail = if last < chars.len() { "..." } else { "" };
                let window: String = chars.get(first..last).unwrap_or_default().iter().collect();
                let caret = column - first + lead.len();
                writeln!(f, "{:gutter$} |", "")?;
                writeln!(f, "{line} | {lead}{window}{tail}")?;
                write!(f, "{:gutter$} | {:>caret$}", "", "^")
            }
        }
    }
}

/// How many characters of a line an error shows around the column.
const SHOWN_LINE: usize = 160;

/// The longest run of non-blank characters an error message shows whole.
const MAX_SHOWN_WORD: usize = 80;

/// `text` made safe for a one-screen message: control characters (newlines of a multi-line
/// string, for one) escaped, any run of more than [`MAX_SHOWN_WORD`] non-blank characters (a
/// 100,000-character key, say) shortened around an ellipsis, and the whole kept under `max`
/// characters the same way.
fn screen_text(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(1024));
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let n = word.chars().count();
        if n > MAX_SHOWN_WORD {
            let head: String = word.chars().take(40).collect();
            let tail: String = word.chars().skip(n - 20).collect();
            out.push_str(&format!("{head}...({} characters)...{tail}", n - 60));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for ch in text.chars() {
        if ch == ' ' {
            flush(&mut word, &mut out);
            out.push(ch);
        } else if ch.is_control() {
            word.extend(ch.escape_default());
        } else {
            word.push(ch);
        }
    }
    flush(&mut word, &mut out);
    // Many short words (a `--set` value of a thousand words) are shortened as a whole.
    let n = out.chars().count();
    if n > max {
        // The end usually says what is allowed: keep it.
        let (head, tail) = (max * 2 / 3, max / 4);
        let shown: String = out.chars().take(head).collect();
        let end: String = out.chars().skip(n - tail).collect();
        out = format!("{shown}...({} characters)...{end}", n - head - tail);
    }
    out
}

/// The longest message an error shows whole.
const MAX_SHOWN_TEXT: usize = 800;
/// The longest source or key an error shows whole.
const MAX_SHOWN_NAME: usize = 200;

/// Largest scenario file read, so a huge file is refused before it is parsed.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// A scenario file read from disk (size and encoding checked), not yet parsed: what the
/// planner needs to validate many variants of one file without reading it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioText {
    /// The file's text.
    pub text: String,
    /// How errors name it (the path as given).
    pub source: String,
    /// The name used when the file sets no `name` (its stem, made folder-safe).
    pub default_name: String,
    /// The file's folder, against which `initial_backlog_file` is resolved.
    pub dir: std::path::PathBuf,
}

impl ScenarioText {
    /// Parses, overrides and validates the text (see [`from_str`]).
    pub fn scenario(&self, overrides: &[String]) -> Result<Scenario, ScenarioError> {
        let mut scenario = from_str(&self.text, &self.source, &self.default_name, overrides)?;
        if let Some(file) = scenario.initial_backlog_file.clone() {
            let path = self.dir.join(&file);
            let (entries, _) =
                crate::data::read_backlog(&path, &scenario, false).map_err(|e| ScenarioError {
                    source: self.source.clone(),
                    location: Location::Key("initial_backlog_file".into()),
                    message: e.to_string(),
                })?;
            scenario.initial = entries;
        }
        Ok(scenario)
    }
}

/// Reads, overrides and validates the scenario file at `path`.
///
/// `overrides` are `PATH=VALUE` strings as given to `--set`.
pub fn load(path: &Path, overrides: &[String]) -> Result<Scenario, ScenarioError> {
    read(path)?.scenario(overrides)
}

/// Reads the scenario file at `path`, refusing a folder, a file above [`MAX_FILE_BYTES`] and
/// text that is not UTF-8.
pub fn read(path: &Path) -> Result<ScenarioText, ScenarioError> {
    let source = path.display().to_string();
    let file_error = |message: String| ScenarioError {
        source: source.clone(),
        location: Location::File,
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| file_error(format!("cannot read it: {e}")))?;
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
    Ok(ScenarioText {
        text,
        source,
        default_name,
        dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
    })
}

/// Parses, overrides and validates scenario `text`; `source` names it in errors and
/// `default_name` is used when the file sets no `name`.
pub fn from_str(
    text: &str,
    source: &str,
    default_name: &str,
    overrides: &[String],
) -> Result<Scenario, ScenarioError> {
    let syntax = |e: toml::de::Error| syntax_error(text, source, &e);
    // Parse the file as written first, so type errors point at a line and column.
    let mut raw: RawScenario = toml::from_str(text).map_err(syntax)?;
    if !overrides.is_empty() {
        let mut table: toml::Table = toml::from_str(text).map_err(syntax)?;
        for assignment in overrides {
            apply_override(&mut table, assignment).map_err(|e| ScenarioError {
                source: format!("{source} with --set {assignment}"),
                ..e
            })?;
        }
        raw = match RawScenario::deserialize_table(table) {
            Ok(raw) => raw,
            Err(e) => return Err(override_type_error(text, source, overrides, &e)),
        };
    }
    if raw.objects.is_empty() && text.trim().is_empty() {
        return Err(ScenarioError {
            source: source.into(),
            location: Location::File,
            message: "the file is empty; a scenario needs at least one [objects.<Name>] table \
                      (see docs/scenario.md)"
                .into(),
        });
    }
    validate(raw, source, default_name).map_err(|e| blame_override(e, overrides))
}

/// Names the `--set` that gave a refused key its value: the last one whose path is the key,
/// inside it or around it (`--set sync.gates={A="B"}` for `sync.gates.A`).
fn blame_override(mut error: ScenarioError, overrides: &[String]) -> ScenarioError {
    let Location::Key(key) = &error.location else {
        return error;
    };
    let key = key.split('[').next().unwrap_or_default();
    let within = |inner: &str, outer: &str| {
        inner == outer
            || inner
                .strip_prefix(outer)
                .is_some_and(|rest| rest.starts_with('.'))
    };
    // An event refused for falling outside the horizon is as much the horizon's doing.
    let horizon_too = key.starts_with("events.") && error.message.contains("the horizon");
    let culprit = overrides.iter().rev().find(|assignment| {
        let path = assignment.split('=').next().unwrap_or_default().trim();
        let path: String = path.split('.').map(str::trim).collect::<Vec<_>>().join(".");
        within(key, &path) || within(&path, key) || (horizon_too && path == "horizon")
    });
    if let Some(assignment) = culprit {
        error.source = format!("{} with --set {assignment}", error.source);
    }
    error
}

impl RawScenario {
    fn deserialize_table(table: toml::Table) -> Result<Self, toml::de::Error> {
        use serde::Deserialize;
        RawScenario::deserialize(toml::Value::Table(table))
    }
}

/// Names the `--set` whose value has the wrong type: the first override after which the
/// file no longer deserializes.
fn override_type_error(
    text: &str,
    source: &str,
    overrides: &[String],
    error: &toml::de::Error,
) -> ScenarioError {
    let mut table: toml::Table = toml::from_str(text).unwrap_or_default();
    for assignment in overrides {
        if apply_override(&mut table, assignment).is_err() {
            continue;
        }
        if let Err(e) = RawScenario::deserialize_table(table.clone()) {
            return ScenarioError {
                source: format!("{source} with --set {assignment}"),
                location: Location::Key(
                    assignment
                        .split('=')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_string(),
                ),
                message: plain_toml_message(e.message()),
            };
        }
    }
    ScenarioError {
        source: format!("{source} with --set {}", overrides.join(" --set ")),
        location: Location::File,
        message: plain_toml_message(error.message()),
    }
}

/// The TOML library's message in a planner's words: on one line, with Rust type names
/// replaced by the TOML they stand for, and what is allowed where the library does not say.
fn plain_toml_message(message: &str) -> String {
    let mut text = message
        .trim()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    for (rust, toml) in [
        ("expected i64", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected a boolean", "expected true or false"),
        (
            "expected a sequence",
            "expected an array such as [\"Lead\", \"Contact\"]",
        ),
        ("expected a map", "expected a table"),
        (
            "expected struct RawEvent",
            "expected an event table ([events.<name>] with kind, at, ...)",
        ),
        (
            "expected struct RawObject",
            "expected an object table ([objects.<Name>] with records, ...)",
        ),
        ("expected struct RawSync", "expected the [sync] table"),
        ("expected struct RawScenario", "expected a table"),
        ("floating point", "float"),
    ] {
        text = text.replace(rust, toml);
    }
    if text.contains("recursion limit exceeded") {
        return format!(
            "{}; values are nested too deeply: arrays, inline tables and dotted keys may nest \
             fewer than 80 levels",
            text.replace("; recursion limit exceeded", "")
                .replace("recursion limit exceeded", "")
                .trim_end_matches("; ")
        )
        .trim_start_matches("; ")
        .to_string();
    }
    if text.starts_with("invalid string; expected `\"`, `'`") {
        return "expected a value: a number, true or false, a date-time, an array `[...]`, an \
                inline table `{...}` or a quoted string (words need quotes: `policy = \"fifo\"`)"
            .into();
    }
    if text.starts_with("invalid table header; expected") {
        return "invalid table header: a header is names joined by dots, in brackets, on one \
                line, e.g. `[objects.Lead]` or `[events.currency_update]`"
            .into();
    }
    if text.starts_with("invalid array; expected `]`") {
        return "invalid array: values are separated by commas and the array closes with `]`; \
                words need quotes, e.g. `[\"Lead\", \"Contact\"]`"
            .into();
    }
    if text.starts_with("invalid inline table; expected `}`") {
        return "invalid inline table: `key = value` pairs are separated by commas, on one \
                line, and the table closes with `}`; words need quotes, e.g. \
                `{ Contact = \"Account\" }`"
            .into();
    }
    if text == "invalid basic string" || text == "invalid literal string" {
        return format!(
            "{text}: a string must close on the line it opens, and a backslash in \"...\" \
             starts an escape such as \\n or \\\\"
        );
    }
    if text.starts_with("number too large to fit in target type") {
        return "the number is too large: whole numbers are at most 9223372036854775807".into();
    }
    text
}

fn syntax_error(text: &str, source: &str, e: &toml::de::Error) -> ScenarioError {
    let message = plain_toml_message(e.message());
    let Some(span) = e.span() else {
        return ScenarioError {
            source: source.into(),
            location: Location::File,
            message,
        };
    };
    let offset = span.start.min(text.len());
    // At the very end of the file the TOML library gives no message at all.
    let message = if !message.is_empty() {
        message
    } else if text[offset..].trim().is_empty() {
        "the file ends too early: a value, a closing bracket or a closing quote is missing".into()
    } else {
        "this is not valid TOML here (the format: docs/scenario.md)".into()
    };
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    // Enough of the line for the error to show the column in context.
    let line_text: String = text[line_start..]
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(column + SHOWN_LINE)
        .collect();
    ScenarioError {
        source: source.into(),
        location: Location::LineColumn {
            line,
            column,
            text: line_text,
        },
        message,
    }
}

/// The most keys a `--set` path may have; the deepest scenario key has three
/// (`objects.Lead.records`), and a deep path would build a tree as deep.
pub const MAX_SET_PATH_KEYS: usize = 8;

/// Applies one `--set PATH=VALUE` to the TOML tree. VALUE is read as TOML (`2`, `0.5`,
/// `true`, `"x"`, `[1, 2]`), and as a bare string when it is not valid TOML (`4h`, `fifo`).
pub fn apply_override(table: &mut toml::Table, assignment: &str) -> Result<(), ScenarioError> {
    let err = |message: String| ScenarioError {
        source: format!("--set {assignment}"),
        location: Location::File,
        message,
    };
    let (path, value) = assignment
        .split_once('=')
        .ok_or_else(|| err("expected PATH=VALUE, e.g. `--set sync.workers=2`".into()))?;
    let path = path.trim();
    let keys: Vec<&str> = path.split('.').map(str::trim).collect();
    if keys.len() > MAX_SET_PATH_KEYS {
        return Err(err(format!(
            "'{path}' has {} keys; a key path has at most {MAX_SET_PATH_KEYS}, e.g. \
             `objects.Lead.records`",
            keys.len()
        )));
    }
    if keys.iter().any(|k| k.is_empty()) {
        return Err(err(format!(
            "'{path}' is not a key path; write keys joined by dots, e.g. `objects.Lead.records`"
        )));
    }
    let value = parse_override_value(value.trim());
    let (last, parents) = keys.split_last().expect("split yields at least one key");
    let mut node = table;
    for (depth, key) in parents.iter().enumerate() {
        let entry = node
            .entry(key.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        node = entry.as_table_mut().ok_or_else(|| {
            err(format!(
                "'{}' is a value, not a table, so it has no key '{}'",
                keys[..=depth].join("."),
                keys[depth + 1]
            ))
        })?;
    }
    node.insert(last.to_string(), value);
    Ok(())
}

fn parse_override_value(text: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {text}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(text.to_string()))
}

/// What a time value must be, for [`Checker::text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A duration (`4h`).
    Duration,
    /// An instant (`2026-11-23T00:00:00Z`).
    Instant,
    /// A time after start (`24h`) or an instant.
    Either,
}

/// A TOML value's kind, as a planner would name it.
fn toml_kind(value: &toml::Value) -> String {
    match value {
        toml::Value::String(_) => "a string".into(),
        toml::Value::Integer(n) => format!("the whole number {n}"),
        toml::Value::Float(x) => format!("the number {x}"),
        toml::Value::Boolean(b) => format!("{b}"),
        toml::Value::Datetime(_) => "a date-time".into(),
        toml::Value::Array(_) => "an array".into(),
        toml::Value::Table(_) => "a table".into(),
    }
}

/// Collects the key-named errors of one validation pass; the first is reported.
struct Checker<'a> {
    source: &'a str,
}

impl Checker<'_> {
    fn fail<T>(
        &self,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Result<T, ScenarioError> {
        Err(ScenarioError {
            source: self.source.into(),
            location: Location::Key(key.into()),
            message: message.into(),
        })
    }

    /// The text of a duration or instant value: a string, a bare `0`, or a TOML date-time.
    fn text(
        &self,
        key: &str,
        value: &toml::Value,
        expect: Expect,
    ) -> Result<String, ScenarioError> {
        let example = match expect {
            Expect::Duration => "a duration such as \"4h\" or \"1d12h\"",
            Expect::Instant => "an RFC 3339 UTC instant such as \"2026-11-23T00:00:00Z\"",
            Expect::Either => {
                "a time after start such as \"24h\" or an RFC 3339 UTC instant such as \
                 \"2026-11-24T00:00:00Z\""
            }
        };
        match value {
            toml::Value::String(s) => Ok(s.clone()),
            toml::Value::Integer(0) if expect != Expect::Instant => Ok("0".into()),
            toml::Value::Integer(n) if expect != Expect::Instant => self.fail(
                key,
                format!("{n} has no unit; write a duration such as \"{n}s\", \"{n}m\" or \"{n}h\""),
            ),
            toml::Value::Float(x) if expect != Expect::Instant => self.fail(
                key,
                format!(
                    "{x} is not a duration: write a whole number and a unit, in quotes, such \
                     as \"4h\" or \"4h30m\""
                ),
            ),
            toml::Value::Datetime(dt) => Ok(dt.to_string()),
            other => self.fail(
                key,
                format!("expected {example} (got {})", toml_kind(other)),
            ),
        }
    }

    fn duration(&self, key: &str, text: &str) -> Result<Millis, ScenarioError> {
        parse_duration(text).or_else(|e| self.fail(key, e.to_string()))
    }

    fn positive_duration(&self, key: &str, text: &str) -> Result<Millis, ScenarioError> {
        match self.duration(key, text)? {
            0 => self.fail(key, format!("must be longer than zero (got '{text}')")),
            d => Ok(d),
        }
    }

    fn int_in(&self, key: &str, value: i64, lo: i64, hi: i64) -> Result<i64, ScenarioError> {
        if (lo..=hi).contains(&value) {
            Ok(value)
        } else {
            self.fail(key, format!("must be {lo}..={hi} (got {value})"))
        }
    }

    fn fraction(&self, key: &str, value: f64) -> Result<f64, ScenarioError> {
        if (0.0..=1.0).contains(&value) {
            Ok(value)
        } else {
            self.fail(key, format!("must be a fraction 0..=1 (got {value})"))
        }
    }

    fn non_negative(&self, key: &str, value: f64, hi: f64) -> Result<f64, ScenarioError> {
        if value.is_finite() && (0.0..=hi).contains(&value) {
            Ok(value)
        } else {
            self.fail(key, format!("must be a number 0..={hi} (got {value})"))
        }
    }

    fn object(
        &self,
        key: &str,
        name: &str,
        objects: &[ObjectSpec],
    ) -> Result<usize, ScenarioError> {
        objects.iter().position(|o| o.name == name).map_or_else(
            || {
                let known: Vec<&str> = objects.iter().map(|o| o.name.as_str()).collect();
                self.fail(
                    key,
                    format!(
                        "unknown object '{name}'; the scenario's objects are: {}",
                        known.join(", ")
                    ),
                )
            },
            Ok,
        )
    }

    fn instant_or_offset(
        &self,
        key: &str,
        text: &str,
        start: Instant,
    ) -> Result<Millis, ScenarioError> {
        if let Ok(ms) = parse_duration(text) {
            return Ok(ms);
        }
        match Instant::parse(text) {
            Ok(at) if at < start => self.fail(
                key,
                format!(
                    "{at} is before the scenario's start {start}; events happen at or after it"
                ),
            ),
            Ok(at) => Ok((at.0 - start.0) as Millis),
            Err(_) => self.fail(
                key,
                format!(
                    "'{text}' is neither a time after start (e.g. `24h`, `1d6h`) nor an RFC 3339 \
                     UTC instant (e.g. `2026-11-24T00:00:00Z`)"
                ),
            ),
        }
    }
}

/// Words reports use as column names, so no object may take them.
const RESERVED_NAMES: [&str; 5] = ["total", "to_marketing", "to_crm", "both", "all"];

/// Upper bound on a rate, to refuse absurd values before they allocate anything.
const MAX_RATE_PER_HOUR: f64 = 1e9;
/// Upper bound on throughput, cost units per hour per worker.
const MAX_THROUGHPUT: f64 = 1e10;

fn validate(raw: RawScenario, source: &str, default_name: &str) -> Result<Scenario, ScenarioError> {
    let c = Checker { source };
    let preset = match raw.preset.as_deref() {
        None => None,
        Some(p) => Some(Preset::parse(p).map_or_else(
            || {
                c.fail(
                    "preset",
                    format!("unknown preset '{p}'; allowed: salesforce, dynamics, hubspot"),
                )
            },
            Ok,
        )?),
    };
    let name = raw.name.unwrap_or_else(|| default_name.to_string());
    if name.is_empty()
        || name.len() > 100
        || !name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch))
        || name.starts_with('.')
    {
        return c.fail(
            "name",
            format!(
                "'{name}' cannot name an output folder; use 1-100 letters, digits, '-', '_' or '.'"
            ),
        );
    }
    let seed = match raw.seed {
        None => defaults::SEED,
        Some(s) if s >= 0 => s as u64,
        Some(s) => return c.fail("seed", format!("must be 0 or more (got {s})")),
    };
    let start = match raw.start.as_ref() {
        None => return c.fail("start", "is required: the UTC instant the simulation starts, e.g. `start = \"2026-11-23T00:00:00Z\"`"),
        Some(value) => {
            let text = c.text("start", value, Expect::Instant)?;
            Instant::parse(&text).or_else(|e| c.fail("start", e.to_string()))?
        }
    };
    let horizon = match raw.horizon.as_ref() {
        None => defaults::HORIZON,
        Some(value) => {
            c.positive_duration("horizon", &c.text("horizon", value, Expect::Duration)?)?
        }
    };
    if horizon > MAX_HORIZON {
        return c.fail(
            "horizon",
            format!(
                "must be at most 3660d (got {})",
                units::format_duration(horizon)
            ),
        );
    }
    let sample_interval = match raw.sample_interval.as_ref() {
        None => defaults::SAMPLE_INTERVAL,
        Some(value) => c.positive_duration(
            "sample_interval",
            &c.text("sample_interval", value, Expect::Duration)?,
        )?,
    };
    if horizon / sample_interval > 1_000_000 {
        return c.fail(
            "sample_interval",
            format!(
                "gives {} samples over the horizon; at most 1,000,000 are allowed",
                horizon / sample_interval
            ),
        );
    }
    let replications = match raw.replications {
        None => 1,
        Some(r) => c.int_in("replications", r, 1, 1_000_000)? as u32,
    };

    if raw.objects.len() > MAX_OBJECTS {
        return c.fail(
            "objects",
            format!(
                "the scenario has {} objects; at most {MAX_OBJECTS} are allowed",
                raw.objects.len()
            ),
        );
    }
    if raw.objects.is_empty() {
        return c.fail(
            "objects",
            "a scenario needs at least one object, e.g. `[objects.Lead]` with `records = 1000`",
        );
    }
    let mut objects = Vec::with_capacity(raw.objects.len());
    for (name, o) in &raw.objects {
        objects.push(validate_object(&c, name, o)?);
    }
    let sync = validate_sync(&c, &raw.sync, preset, &objects)?;
    let api = validate_api(&c, &raw.api, preset, &sync)?;
    let retry = validate_retry(&c, &raw.retry)?;
    let events = validate_events(&c, &raw.events, &mut objects, start, horizon)?;
    let mut expect = Vec::with_capacity(raw.expect.len());
    for (name, text) in &raw.expect {
        let key = format!("expect.{name}");
        let parsed = crate::expr::parse(text).or_else(|e| c.fail(&key, e.to_string()))?;
        expect.push((name.clone(), parsed));
    }
    let scenario = Scenario {
        name,
        description: raw.description.unwrap_or_default(),
        preset,
        seed,
        start,
        horizon,
        sample_interval,
        replications,
        objects,
        sync,
        api,
        retry,
        events,
        initial: Vec::new(),
        initial_backlog_file: raw.initial_backlog_file.clone(),
        expect,
    };
    let memory = crate::engine::MemoryEstimate::of(&scenario);
    if memory.total() > MAX_MEMORY_BYTES {
        return Err(ScenarioError {
            source: source.into(),
            location: Location::File,
            message: format!(
                "a run would need about {} of memory ({}); at most {} is allowed: use fewer \
                 records, lower edit rates or throughput, a shorter horizon or a longer \
                 sample_interval",
                bytes_text(memory.total()),
                memory.parts_text(),
                bytes_text(MAX_MEMORY_BYTES)
            ),
        });
    }
    Ok(scenario)
}

/// The most memory a scenario's run may be estimated to need (see
/// [`crate::engine::MemoryEstimate`]): larger scenarios are bad input whatever the machine.
pub const MAX_MEMORY_BYTES: f64 = 8.0 * GIB;

const GIB: f64 = (1u64 << 30) as f64;

/// Bytes as a planner reads them: `312.5 GiB`, `40.0 MiB`.
pub fn bytes_text(bytes: f64) -> String {
    if bytes >= GIB {
        format!("{:.1} GiB", bytes / GIB)
    } else {
        format!("{:.1} MiB", bytes / (1u64 << 20) as f64)
    }
}

fn profile(c: &Checker, key: &str, values: &[f64]) -> Result<[f64; 24], ScenarioError> {
    if values.len() != 24 {
        return c.fail(
            key,
            format!(
                "must hold 24 multipliers, one per UTC hour (got {})",
                values.len()
            ),
        );
    }
    let mut profile = [0.0; 24];
    for (i, v) in values.iter().enumerate() {
        profile[i] = c.non_negative(&format!("{key}[{i}]"), *v, 1e6)?;
    }
    Ok(profile)
}

fn validate_api(
    c: &Checker,
    raw: &raw::RawApi,
    preset: Option<Preset>,
    sync: &SyncSpec,
) -> Result<ApiSpec, ScenarioError> {
    let default_checks = match preset {
        Some(Preset::Salesforce) => defaults::SALESFORCE_CALLS_PER_CYCLE,
        _ => 0,
    };
    let records_per_call = c.int_in(
        "api.records_per_call",
        raw.records_per_call
            .unwrap_or(defaults::RECORDS_PER_CALL as i64),
        1,
        1_000_000,
    )? as u32;
    let calls_per_cycle = c.int_in(
        "api.calls_per_cycle",
        raw.calls_per_cycle.unwrap_or(default_checks as i64),
        0,
        1_000_000,
    )? as u32;
    let daily_limit = match raw.daily_limit {
        None => None,
        Some(l) => Some(c.int_in("api.daily_limit", l, 1, 1_000_000_000_000)? as u64),
    };
    if let Some(limit) = daily_limit {
        // A look and one full batch must fit in the allowance, or the sync could never move.
        let need =
            calls_per_cycle as u64 + (sync.batch_size as u64).div_ceil(records_per_call as u64);
        if limit < need {
            return c.fail(
                "api.daily_limit",
                format!("is {limit} but one cycle's check ({calls_per_cycle}) and one full batch ({} calls) need {need}; the sync could never run", need - calls_per_cycle as u64),
            );
        }
    }
    Ok(ApiSpec {
        daily_limit,
        records_per_call,
        calls_per_cycle,
        background_calls_per_hour: c.non_negative(
            "api.background_calls_per_hour",
            raw.background_calls_per_hour.unwrap_or(0.0),
            MAX_RATE_PER_HOUR,
        )?,
        background_hour_profile: match &raw.background_hour_profile {
            None => None,
            Some(p) => Some(profile(c, "api.background_hour_profile", p)?),
        },
    })
}

fn validate_retry(c: &Checker, raw: &raw::RawRetry) -> Result<RetrySpec, ScenarioError> {
    let interval = match &raw.interval {
        None => defaults::RETRY_INTERVAL,
        Some(v) => c.positive_duration(
            "retry.interval",
            &c.text("retry.interval", v, Expect::Duration)?,
        )?,
    };
    if interval > 30 * DAY {
        return c.fail("retry.interval", "must be at most 30d");
    }
    let nightly_at = match raw.nightly_at.as_deref() {
        None => 0,
        Some(t) => units::parse_time_of_day(t).map_or_else(
            || {
                c.fail(
                    "retry.nightly_at",
                    format!(
                        "'{t}' is not a UTC time of day; write HH:MM, e.g. \"00:00\" or \"02:30\""
                    ),
                )
            },
            Ok,
        )?,
    };
    Ok(RetrySpec {
        interval,
        max_attempts: c.int_in(
            "retry.max_attempts",
            raw.max_attempts.unwrap_or(defaults::MAX_ATTEMPTS as i64),
            1,
            1000,
        )? as u32,
        nightly_at,
        suppress_above_fraction: c.fraction(
            "retry.suppress_above_fraction",
            raw.suppress_above_fraction
                .unwrap_or(defaults::SUPPRESS_ABOVE_FRACTION),
        )?,
        suppress_above_calls: c.int_in(
            "retry.suppress_above_calls",
            raw.suppress_above_calls
                .unwrap_or(defaults::SUPPRESS_ABOVE_CALLS as i64),
            0,
            1_000_000_000_000,
        )? as u64,
    })
}

fn validate_object(c: &Checker, name: &str, o: &RawObject) -> Result<ObjectSpec, ScenarioError> {
    let key = |k: &str| format!("objects.{name}.{k}");
    // Names become CSV columns, metric names and `--set` paths: keep them plain and distinct
    // from the column names reports use for totals and directions.
    let plain = name.len() <= 64
        && name.starts_with(|ch: char| ch.is_ascii_alphabetic())
        && name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-');
    if !plain || RESERVED_NAMES.contains(&name) {
        return c.fail(
            format!("objects.{name}"),
            format!(
                "'{name}' cannot name an object: use 1-64 letters, digits, '_' or '-', starting \
                 with a letter, and none of {}",
                RESERVED_NAMES.join(", ")
            ),
        );
    }
    let records = match o.records {
        None => {
            return c.fail(
                key("records"),
                "is required: how many records the object has",
            )
        }
        Some(r) => c.int_in(&key("records"), r, 1, MAX_RECORDS as i64)? as u32,
    };
    let syncs = match o.sync.as_deref().unwrap_or("to_marketing") {
        "to_marketing" => [true, false],
        "to_crm" => [false, true],
        "both" => [true, true],
        other => {
            return c.fail(
                key("sync"),
                format!("unknown direction '{other}'; allowed: to_marketing, to_crm, both"),
            )
        }
    };
    let mut edits_per_hour = [0.0; 2];
    for (dir, field, value) in [
        (Direction::ToMarketing, "edits_per_hour", o.edits_per_hour),
        (
            Direction::ToCrm,
            "marketing_edits_per_hour",
            o.marketing_edits_per_hour,
        ),
    ] {
        let rate = c.non_negative(&key(field), value.unwrap_or(0.0), MAX_RATE_PER_HOUR)?;
        if rate > 0.0 && !syncs[dir as usize] {
            return c.fail(
                key(field),
                format!(
                    "is {rate} but the object does not sync {}; set `sync = \"{}\"` or \"both\"",
                    dir.name(),
                    dir.name()
                ),
            );
        }
        edits_per_hour[dir as usize] = rate;
    }
    let hour_profile = match &o.hour_profile {
        None => None,
        Some(p) => Some(profile(c, &key("hour_profile"), p)?),
    };
    let weekend_factor =
        c.non_negative(&key("weekend_factor"), o.weekend_factor.unwrap_or(1.0), 1e6)?;
    // The multipliers apply on top of the rate: its peak must respect the same bound.
    let peak_factor = hour_profile.map_or(1.0, |p| p.iter().copied().fold(0.0, f64::max))
        * weekend_factor.max(1.0);
    for (dir, field) in [
        (Direction::ToMarketing, "edits_per_hour"),
        (Direction::ToCrm, "marketing_edits_per_hour"),
    ] {
        let peak = edits_per_hour[dir as usize] * peak_factor;
        if peak > MAX_RATE_PER_HOUR {
            return c.fail(
                key(field),
                format!(
                    "peaks at {peak} edits per hour once hour_profile and weekend_factor \
                     multiply it; the peak may be at most {MAX_RATE_PER_HOUR}"
                ),
            );
        }
    }
    let record_choice = match o.record_choice.as_deref().unwrap_or("uniform") {
        "uniform" => {
            for (field, v) in [
                ("hot_fraction", o.hot_fraction),
                ("hot_share", o.hot_share),
                ("zipf_exponent", o.zipf_exponent),
            ] {
                if v.is_some() {
                    return c.fail(
                        key(field),
                        "applies only with record_choice = \"hot_set\" or \"zipf\"",
                    );
                }
            }
            RecordChoice::Uniform
        }
        "hot_set" => {
            if o.zipf_exponent.is_some() {
                return c.fail(
                    key("zipf_exponent"),
                    "applies only with record_choice = \"zipf\"",
                );
            }
            let fraction = o.hot_fraction.unwrap_or(0.01);
            if !(fraction > 0.0 && fraction < 1.0) {
                return c.fail(
                    key("hot_fraction"),
                    format!("must be a fraction strictly between 0 and 1 (got {fraction})"),
                );
            }
            if ((records as f64) * fraction).floor() < 1.0 {
                return c.fail(
                    key("hot_fraction"),
                    format!(
                        "gives an empty hot set for {records} records; use at least {} so \
                         the hot set holds one record",
                        1.0 / records as f64
                    ),
                );
            }
            let share = c.fraction(&key("hot_share"), o.hot_share.unwrap_or(0.9))?;
            RecordChoice::HotSet { fraction, share }
        }
        "zipf" => {
            for (field, v) in [("hot_fraction", o.hot_fraction), ("hot_share", o.hot_share)] {
                if v.is_some() {
                    return c.fail(key(field), "applies only with record_choice = \"hot_set\"");
                }
            }
            let exponent = o.zipf_exponent.unwrap_or(1.0);
            if !(exponent > 0.0 && exponent <= 10.0) {
                return c.fail(
                    key("zipf_exponent"),
                    format!("must be in (0, 10] (got {exponent})"),
                );
            }
            RecordChoice::Zipf { exponent }
        }
        other => {
            return c.fail(
                key("record_choice"),
                format!("unknown choice '{other}'; allowed: uniform, hot_set, zipf"),
            )
        }
    };
    Ok(ObjectSpec {
        name: name.to_string(),
        records,
        syncs,
        edits_per_hour,
        hour_profile,
        weekend_factor,
        record_choice,
        synced_fraction: c.fraction(&key("synced_fraction"), o.synced_fraction.unwrap_or(1.0))?,
        filter_pass: c.fraction(&key("filter_pass"), o.filter_pass.unwrap_or(1.0))?,
        enabled: o.enabled.unwrap_or(true),
        initial_backlog: match o.initial_backlog {
            None => {
                if o.initial_backlog_age.is_some() {
                    return c.fail(
                        key("initial_backlog_age"),
                        "applies only with initial_backlog",
                    );
                }
                None
            }
            Some(n) => Some(InitialBacklog {
                count: c.int_in(&key("initial_backlog"), n, 0, records as i64)? as u32,
                oldest: match &o.initial_backlog_age {
                    None => 0,
                    Some(v) => c.duration(
                        &key("initial_backlog_age"),
                        &c.text(&key("initial_backlog_age"), v, Expect::Duration)?,
                    )?,
                },
            }),
        },
        transient_error_rate: c.fraction(
            &key("transient_error_rate"),
            o.transient_error_rate.unwrap_or(0.0),
        )?,
        permanent_error_fraction: c.fraction(
            &key("permanent_error_fraction"),
            o.permanent_error_fraction.unwrap_or(0.0),
        )?,
    })
}

/// The sync settings a preset fills before the file's own `[sync]` keys.
fn preset_sync(preset: Option<Preset>, objects: &[ObjectSpec]) -> RawSync {
    match preset {
        None => RawSync::default(),
        Some(Preset::Dynamics) => RawSync {
            policy: Some("fifo".into()),
            workers: Some(1),
            ..RawSync::default()
        },
        Some(Preset::Hubspot) => RawSync {
            policy: Some("fifo".into()),
            ..RawSync::default()
        },
        Some(Preset::Salesforce) => {
            let has = |n: &str| objects.iter().any(|o| o.name == n);
            let mut gates = IndexMap::new();
            if has("Contact") && has("Account") {
                gates.insert("Contact".to_string(), "Account".to_string());
            }
            RawSync {
                policy: Some("round_robin".into()),
                slice: Some(defaults::SLICE as i64),
                gates: Some(gates),
                ..RawSync::default()
            }
        }
    }
}

fn validate_sync(
    c: &Checker,
    file: &RawSync,
    preset: Option<Preset>,
    objects: &[ObjectSpec],
) -> Result<SyncSpec, ScenarioError> {
    let base = preset_sync(preset, objects);
    macro_rules! pick {
        ($field:ident) => {
            file.$field.clone().or(base.$field.clone())
        };
    }
    let policy_name = pick!(policy).unwrap_or_else(|| "fifo".into());
    let order = match pick!(order) {
        None => (0..objects.len()).collect::<Vec<_>>(),
        Some(names) => {
            let mut order = Vec::with_capacity(objects.len());
            for (i, n) in names.iter().enumerate() {
                let idx = c.object(&format!("sync.order[{i}]"), n, objects)?;
                if order.contains(&idx) {
                    return c.fail(format!("sync.order[{i}]"), format!("'{n}' is listed twice"));
                }
                order.push(idx);
            }
            // Objects left out take their turn after the listed ones, in declaration order.
            let missing: Vec<usize> = (0..objects.len()).filter(|i| !order.contains(i)).collect();
            order.extend(missing);
            order
        }
    };
    let slice = pick!(slice);
    let weights = pick!(weights);
    let only_for = |key: &str, policy: &str| {
        c.fail::<()>(
            format!("sync.{key}"),
            format!("applies only with policy = \"{policy}\" (the policy is \"{policy_name}\")"),
        )
    };
    let policy = match policy_name.as_str() {
        "fifo" => Policy::Fifo,
        "round_robin" => Policy::RoundRobin {
            order: order.clone(),
            slice: c.int_in(
                "sync.slice",
                slice.unwrap_or(defaults::SLICE as i64),
                1,
                100_000_000,
            )? as u32,
        },
        "priority" => Policy::Priority {
            order: order.clone(),
        },
        "weighted" => {
            let mut w = vec![1u32; objects.len()];
            for (n, v) in weights.iter().flatten() {
                let idx = c.object(&format!("sync.weights.{n}"), n, objects)?;
                w[idx] = c.int_in(&format!("sync.weights.{n}"), *v, 1, 1_000_000)? as u32;
            }
            Policy::Weighted { weights: w }
        }
        other => {
            return c.fail(
                "sync.policy",
                format!("unknown policy '{other}'; allowed: fifo, round_robin, priority, weighted"),
            )
        }
    };
    if file.slice.is_some() && !matches!(policy, Policy::RoundRobin { .. }) {
        only_for("slice", "round_robin")?;
    }
    if file.weights.is_some() && !matches!(policy, Policy::Weighted { .. }) {
        only_for("weights", "weighted")?;
    }
    if file.order.is_some() && matches!(policy, Policy::Fifo | Policy::Weighted { .. }) {
        c.fail::<()>("sync.order", format!("applies only with policy = \"round_robin\" or \"priority\" (the policy is \"{policy_name}\")"))?;
    }

    let mut gates = vec![None; objects.len()];
    for (gated, gate) in pick!(gates).iter().flatten() {
        let key = format!("sync.gates.{gated}");
        let g = c.object(&key, gated, objects)?;
        let by = c.object(&key, gate, objects)?;
        if g == by {
            return c.fail(key, format!("'{gated}' cannot be gated on itself"));
        }
        gates[g] = Some(by);
    }
    // A cycle of gates would hold every object in it back forever once all have backlog.
    for start in 0..objects.len() {
        let mut seen = vec![false; objects.len()];
        let mut at = start;
        while let Some(next) = gates[at] {
            if seen[next] {
                let names: Vec<&str> = (0..objects.len())
                    .filter(|i| seen[*i])
                    .map(|i| objects[i].name.as_str())
                    .collect();
                return c.fail(
                    "sync.gates",
                    format!(
                        "the gates form a cycle ({}); no object in it could ever drain",
                        names.join(" -> ")
                    ),
                );
            }
            seen[next] = true;
            at = next;
        }
    }

    let workers = c.int_in("sync.workers", pick!(workers).unwrap_or(1), 1, 1024)? as u32;
    let batch_size = c.int_in(
        "sync.batch_size",
        pick!(batch_size).unwrap_or(defaults::BATCH_SIZE as i64),
        1,
        1_000_000,
    )? as u32;
    let throughput = c.non_negative(
        "sync.throughput",
        pick!(throughput).unwrap_or(defaults::THROUGHPUT),
        MAX_THROUGHPUT,
    )?;
    let skip_cost = c.non_negative(
        "sync.skip_cost",
        pick!(skip_cost).unwrap_or(defaults::SKIP_COST),
        1e3,
    )?;
    let cycle_wait = match pick!(cycle_wait) {
        None => defaults::CYCLE_WAIT,
        Some(t) => c.positive_duration(
            "sync.cycle_wait",
            &c.text("sync.cycle_wait", &t, Expect::Duration)?,
        )?,
    };
    let batch_overhead = match pick!(batch_overhead) {
        None => 0,
        Some(t) => c.duration(
            "sync.batch_overhead",
            &c.text("sync.batch_overhead", &t, Expect::Duration)?,
        )?,
    };
    if batch_overhead > DAY {
        return c.fail(
            "sync.batch_overhead",
            format!(
                "must be at most 1d (got {})",
                units::format_duration(batch_overhead)
            ),
        );
    }
    if skip_cost == 0.0 && batch_overhead == 0 {
        // A batch of skips alone would take no time and the clock would never move.
        return c.fail("sync.skip_cost", "must be above 0 unless sync.batch_overhead is set: a batch of skips would take no time");
    }
    Ok(SyncSpec {
        policy,
        gates,
        workers,
        batch_size,
        throughput,
        skip_cost,
        cycle_wait,
        batch_overhead,
        requeue: pick!(requeue).unwrap_or(true),
    })
}

fn validate_events(
    c: &Checker,
    raw: &IndexMap<String, RawEvent>,
    objects: &mut [ObjectSpec],
    start: Instant,
    horizon: Millis,
) -> Result<Vec<EventSpec>, ScenarioError> {
    let mut events = Vec::with_capacity(raw.len());
    let mut enabled_by_event = vec![false; objects.len()];
    for (name, e) in raw {
        let key = |k: &str| format!("events.{name}.{k}");
        let kind_name = match e.kind.as_deref() {
            None => return c.fail(key("kind"), "is required; allowed: bulk_update, enable_object, sync_disabled, sync_enabled, set_throughput, set_workers, fix_errors, retry_errored"),
            Some(k) => k,
        };
        let at = match e.at.as_ref() {
            None => {
                return c.fail(
                    key("at"),
                    "is required: a time after start (`24h`) or a UTC instant",
                )
            }
            Some(t) => {
                c.instant_or_offset(&key("at"), &c.text(&key("at"), t, Expect::Either)?, start)?
            }
        };
        if at >= horizon {
            return c.fail(
                key("at"),
                format!(
                    "is at {} but the horizon ends at {}; an event must happen within it",
                    units::format_duration(at),
                    units::format_duration(horizon)
                ),
            );
        }
        // Keys each kind understands; any other key set on the event is a mistake.
        let allowed: &[&str] = match kind_name {
            "bulk_update" => &["object", "direction", "count", "spread", "records", "first_record", "synced_fields"],
            "enable_object" => &["object"],
            "sync_disabled" => &["duration"],
            "sync_enabled" => &[],
            "set_throughput" => &["throughput"],
            "set_workers" => &["workers"],
            "fix_errors" | "retry_errored" => &["object"],
            other => return c.fail(key("kind"), format!("unknown kind '{other}'; allowed: bulk_update, enable_object, sync_disabled, sync_enabled, set_throughput, set_workers, fix_errors, retry_errored")),
        };
        let present = [
            ("object", e.object.is_some()),
            ("direction", e.direction.is_some()),
            ("count", e.count.is_some()),
            ("spread", e.spread.is_some()),
            ("records", e.records.is_some()),
            ("first_record", e.first_record.is_some()),
            ("synced_fields", e.synced_fields.is_some()),
            ("duration", e.duration.is_some()),
            ("throughput", e.throughput.is_some()),
            ("workers", e.workers.is_some()),
        ];
        for (k, set) in present {
            if set && !allowed.contains(&k) {
                return c.fail(
                    key(k),
                    format!(
                        "does not apply to kind = \"{kind_name}\" (its keys: {})",
                        if allowed.is_empty() {
                            "none beyond kind and at".to_string()
                        } else {
                            allowed.join(", ")
                        }
                    ),
                );
            }
        }
        let object = |objects: &[ObjectSpec]| match e.object.as_deref() {
            None => c.fail(
                key("object"),
                "is required: the object the event applies to",
            ),
            Some(n) => c.object(&key("object"), n, objects),
        };
        let kind = match kind_name {
            "bulk_update" => {
                let object = object(objects)?;
                let o = &objects[object];
                let direction = match e.direction.as_deref() {
                    None => {
                        if o.syncs[0] {
                            Direction::ToMarketing
                        } else {
                            Direction::ToCrm
                        }
                    }
                    Some(d) => Direction::parse(d).map_or_else(
                        || {
                            c.fail(
                                key("direction"),
                                format!("unknown direction '{d}'; allowed: to_marketing, to_crm"),
                            )
                        },
                        Ok,
                    )?,
                };
                if !o.syncs[direction as usize] {
                    return c.fail(
                        key("direction"),
                        format!(
                            "object '{}' does not sync {}; allowed here: {} (or set the \
                             object's `sync = \"both\"`)",
                            o.name,
                            direction.name(),
                            direction.other().name()
                        ),
                    );
                }
                let count = match e.count {
                    None => {
                        return c.fail(
                            key("count"),
                            format!(
                                "is required: how many records the update edits, 1..={}",
                                o.records
                            ),
                        )
                    }
                    Some(n) => c.int_in(&key("count"), n, 1, o.records as i64)? as u32,
                };
                let selection = match e.records.as_deref().unwrap_or("sequential") {
                    "sequential" => Selection::Sequential,
                    "random" => Selection::Random,
                    other => {
                        return c.fail(
                            key("records"),
                            format!("unknown selection '{other}'; allowed: sequential, random"),
                        )
                    }
                };
                let first_record = match e.first_record {
                    None => 0,
                    Some(f) => {
                        if selection == Selection::Random {
                            return c.fail(
                                key("first_record"),
                                "applies only with records = \"sequential\"",
                            );
                        }
                        c.int_in(&key("first_record"), f, 0, (o.records - count) as i64)? as u32
                    }
                };
                let spread = match e.spread.as_ref() {
                    None => 0,
                    Some(s) => c.duration(
                        &key("spread"),
                        &c.text(&key("spread"), s, Expect::Duration)?,
                    )?,
                };
                if spread > MAX_HORIZON {
                    return c.fail(
                        key("spread"),
                        format!(
                            "must be at most 3660d (got {})",
                            units::format_duration(spread)
                        ),
                    );
                }
                EventKind::BulkUpdate {
                    object,
                    direction,
                    count,
                    spread,
                    selection,
                    first_record,
                    synced_fields: e.synced_fields.unwrap_or(true),
                }
            }
            "enable_object" => {
                let object = object(objects)?;
                if enabled_by_event[object] {
                    return c.fail(
                        key("object"),
                        format!(
                            "'{}' is enabled by two events; enable it once",
                            objects[object].name
                        ),
                    );
                }
                enabled_by_event[object] = true;
                objects[object].enabled = false;
                EventKind::EnableObject { object }
            }
            "sync_disabled" => EventKind::SyncDisabled {
                duration: match e.duration.as_ref() {
                    None => None,
                    Some(d) => Some(c.positive_duration(
                        &key("duration"),
                        &c.text(&key("duration"), d, Expect::Duration)?,
                    )?),
                },
            },
            "sync_enabled" => EventKind::SyncEnabled,
            "set_throughput" => EventKind::SetThroughput {
                throughput: match e.throughput {
                    None => {
                        return c.fail(
                            key("throughput"),
                            "is required: the new cost units per hour per worker",
                        )
                    }
                    Some(t) => c.non_negative(&key("throughput"), t, MAX_THROUGHPUT)?,
                },
            },
            "set_workers" => EventKind::SetWorkers {
                workers: match e.workers {
                    None => {
                        return c.fail(key("workers"), "is required: the new number of workers")
                    }
                    Some(w) => c.int_in(&key("workers"), w, 1, 1024)? as u32,
                },
            },
            "fix_errors" => EventKind::FixErrors {
                object: object(objects)?,
            },
            "retry_errored" => EventKind::RetryErrored {
                object: object(objects)?,
            },
            _ => unreachable!("kind names were checked above"),
        };
        events.push(EventSpec {
            name: name.clone(),
            at,
            kind,
        });
    }
    // Events at the same instant keep their order in the file.
    events.sort_by_key(|e| e.at);
    let tracked = events.iter().filter(|e| e.kind.makes_edits()).count();
    if tracked > MAX_TRACKED_EVENTS {
        return c.fail(
            "events",
            format!(
                "at most {MAX_TRACKED_EVENTS} bulk_update and enable_object events are allowed \
                 (got {tracked}); merge bulk updates of the same object"
            ),
        );
    }
    check_outage_windows(c, &events)?;
    Ok(events)
}

/// Disabling an already disabled sync, or enabling a running one, is a scenario mistake.
fn check_outage_windows(c: &Checker, events: &[EventSpec]) -> Result<(), ScenarioError> {
    // Replays the switches in the engine's own order: by time, then scheduling order, in
    // which event i is scheduled before its automatic re-enable and both before event i + 1.
    // Entries: (time, scheduling rank, disables?, name).
    let mut changes: Vec<(Millis, usize, bool, &str)> = Vec::new();
    for (i, e) in events.iter().enumerate() {
        match e.kind {
            EventKind::SyncDisabled { duration } => {
                changes.push((e.at, 2 * i, true, &e.name));
                if let Some(d) = duration {
                    changes.push((e.at + d, 2 * i + 1, false, &e.name));
                }
            }
            EventKind::SyncEnabled => changes.push((e.at, 2 * i, false, &e.name)),
            _ => {}
        }
    }
    changes.sort_by_key(|(t, rank, _, _)| (*t, *rank));
    let mut disabled = false;
    for (t, _, disables, name) in changes {
        let at = units::format_duration(t);
        match (disables, disabled) {
            (true, true) => return c.fail(format!("events.{name}"), format!("disables the sync at {at} while it is already disabled: outage windows overlap")),
            (false, false) => return c.fail(format!("events.{name}"), format!("enables the sync at {at} but it is not disabled then: a sync_enabled needs an earlier sync_disabled without a duration")),
            _ => disabled = disables,
        }
    }
    Ok(())
}
