//! Scenarios: what a planner's TOML file says, as types the engine can trust.
//!
//! This file holds the domain types only: [`Scenario`] and what it is made of (objects, the
//! sync and its [`Policy`], the API budget, retries, timed events), presets and defaults. How
//! text becomes a [`Scenario`] lives beside it: [`raw`] mirrors the file, `document` parses it
//! once and applies [`Override`]s (`overrides`), `validate` fills presets and defaults and
//! checks every value against ranges named in [`limits`], [`error`] words what is refused,
//! and [`rewrite`] writes overrides into a file's text. Reading files (the scenario, its
//! backlog snapshot) is [`crate::load`]'s job; [`from_str`] validates text alone.
//!
//! A [`Scenario`] is frozen: it is built only by validation, its snapshot entries attached
//! before anyone else sees it, and from then on it can be read (`sc.objects`,
//! `sc.sync.workers`) and cheaply cloned, never changed.

pub mod calendar;
pub mod caused;
mod document;
pub mod error;
pub mod limits;
mod origin;
pub mod overrides;
pub mod raw;
pub mod rewrite;
mod validate;
mod warnings;
pub mod windows;

use std::ops::Deref;
use std::sync::Arc;

use crate::units::{Instant, Millis, DAY};

pub use calendar::{Calendar, DayKind};
pub use caused::CausedRules;
pub use document::from_str;
pub(crate) use document::Document;
pub use error::{Location, ScenarioError};
pub(crate) use origin::hex;
pub use origin::{sha256_hex, Origin, SnapshotOrigin};
pub use overrides::Override;
pub use warnings::ScenarioWarning;
pub use windows::{AtLimit, BurstLimits, CallWindow};

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
    /// Multipliers for each local hour of the day, if the rate varies over the day.
    pub hour_profile: Option<[f64; 24]>,
    /// Multiplier for Saturdays and Sundays (local time).
    pub weekend_factor: f64,
    /// Multiplier for the scenario's holidays (local dates); the weekend factor by default.
    pub holiday_factor: f64,
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
    /// The most records of this object a batch holds (`sync.batch_size` unless the object
    /// sets its own); a batch that mixes objects holds at most the smallest of theirs.
    pub batch_size: u32,
    /// Records of this object per API call (`api.records_per_call` unless the object sets
    /// its own): its records in a batch cost `ceil(n / records_per_call)` calls.
    pub records_per_call: u32,
    /// New records per hour (docs/model.md, Creations), shaped like the edits by the hour
    /// profile, weekend and holiday factors; 0 when the object creates none.
    pub creations_per_hour: f64,
    /// The direction a created record syncs in: from the side where it is created.
    pub creation_direction: Direction,
    /// The most records a run creates (ids `records..records + max_creations`), far above
    /// what the rate can give within the horizon; 0 when the object creates none.
    pub max_creations: u32,
}

impl ObjectSpec {
    /// Whether the background rate varies with the time of day or week.
    pub fn rate_varies(&self) -> bool {
        self.hour_profile.is_some() || self.weekend_factor != 1.0 || self.holiday_factor != 1.0
    }

    /// Record ids a run can use: the population and every record it may create.
    pub fn id_space(&self) -> u32 {
        self.records + self.max_creations
    }
}

/// How the sync chooses what to drain next (docs/model.md, Draining).
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
    /// Another integration's burst of API calls against the shared allowance (a one-off data
    /// load): `calls` calls spread evenly over `spread`, call `i` at
    /// `at + floor(i * spread / calls)`, recorded in one-minute steps.
    ApiCalls {
        /// Number of calls.
        calls: u64,
        /// The span they are spread over (0: all at `at`).
        spread: Millis,
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
            EventKind::ApiCalls { .. } => "api_calls",
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

/// A validated scenario, frozen: every value in range, every name resolved, any backlog
/// snapshot attached. It reads as its [`ScenarioSpec`] (`sc.objects`, `sc.sync.workers`) and
/// clones cheaply (the spec is shared); nothing can change it. Only validation makes one
/// ([`from_str`], or [`crate::load`] for a file), so whoever holds a `Scenario` holds one
/// the engine can trust.
///
/// ```
/// let text = "start = \"2026-11-23T00:00:00Z\"\n[objects.Lead]\nrecords = 10\n";
/// let sc = syncsim::scenario::from_str(text, "s.toml", "s", &[]).unwrap();
/// assert_eq!((sc.objects[0].records, sc.sync.workers), (10, 1));
/// let shared = sc.clone(); // the spec is shared, not copied
/// assert_eq!(shared, sc);
/// ```
///
/// It cannot be changed, not even by its owner:
///
/// ```compile_fail,E0594
/// let text = "start = \"2026-11-23T00:00:00Z\"\n[objects.Lead]\nrecords = 10\n";
/// let mut sc = syncsim::scenario::from_str(text, "s.toml", "s", &[]).unwrap();
/// sc.sync.workers = 2; // error: cannot assign to data in dereference of `Scenario`
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario(Arc<ScenarioSpec>);

impl Deref for Scenario {
    type Target = ScenarioSpec;

    fn deref(&self) -> &ScenarioSpec {
        &self.0
    }
}

/// A scenario validated but not yet frozen: the loader checks the backlog snapshot's rows
/// against it, attaches the entries, then freezes it. Only validation makes one, and all it
/// lets anyone change is the snapshot.
#[derive(Debug)]
pub(crate) struct Validated {
    spec: ScenarioSpec,
}

impl Validated {
    /// The scenario as validated, for checking the snapshot's rows against.
    pub(crate) fn spec(&self) -> &ScenarioSpec {
        &self.spec
    }

    /// Makes `entries`, read from the snapshot `origin` describes, the records pending at the
    /// start.
    pub(crate) fn attach_snapshot(&mut self, entries: Arc<[InitialEntry]>, origin: SnapshotOrigin) {
        self.spec.initial = entries;
        self.spec.origin.snapshot = Some(origin);
    }

    /// The finished scenario.
    pub(crate) fn freeze(self) -> Scenario {
        Scenario(Arc::new(self.spec))
    }
}

/// What a validated scenario holds: every value in range, every name resolved. A
/// [`Scenario`] reads as one of these; a spec on its own cannot be run.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioSpec {
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
    /// The time zone and holidays of profiles, weekends and the nightly retry (UTC and
    /// none by default).
    pub calendar: Calendar,
    /// How long to simulate; for a run until clear, the most it may last (its cap).
    pub horizon: Millis,
    /// The run goes on until everything has cleared (`horizon = "until clear"`), at most
    /// `horizon` (docs/model.md, Until clear).
    pub until_clear: bool,
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
    /// Cascades and echoes: edits caused by edits and synced updates (none by default).
    pub caused: CausedRules,
    /// Records pending at the start from a snapshot file (`initial_backlog_file` or
    /// `--initial-backlog`), in file order.
    pub initial: Arc<[InitialEntry]>,
    /// The `initial_backlog_file` key as written (read by [`crate::load`], relative to the
    /// file).
    pub initial_backlog_file: Option<String>,
    /// Expectations for `syncsim check`, by name, in file order.
    pub expect: Vec<(String, crate::expr::Expr)>,
    /// The levels and bounds of the service-level metrics the run measures.
    pub sla: SlaSpec,
    /// Where it came from: the file, its digest, the overrides, the snapshot.
    pub origin: Origin,
}

/// Service levels a run measures (`[sla]`, and those the scenario's expectations name), each
/// a metric of its own: `backlog.hours_above.<N>` per level, `latency.<Object>.share_over.<D>`
/// per bound and object (docs/outputs.md, Service levels).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlaSpec {
    /// Backlog levels, records, ascending.
    pub backlog_above: Vec<u64>,
    /// Latency bounds, ascending.
    pub latency_over: Vec<Millis>,
}

/// The API call budget (docs/model.md, The API window).
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
    /// Multipliers of the background rate per local hour.
    pub background_hour_profile: Option<[f64; 24]>,
    /// Multiplier of the background rate on Saturdays and Sundays (local time).
    pub background_weekend_factor: f64,
    /// Multiplier of the background rate on the scenario's holidays; the weekend factor by
    /// default.
    pub background_holiday_factor: f64,
    /// Short windows and the concurrency cap (docs/model.md, Short windows); none by default.
    pub burst: BurstLimits,
}

/// Retries of errored records (docs/model.md, Errors, retries and the API budget).
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

impl ScenarioSpec {
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

    /// The batch size and records per call every object shares, if they all share one
    /// (else batches are sized per object: docs/model.md, Draining).
    pub fn uniform_batches(&self) -> Option<(u32, u32)> {
        let first = self.objects.first()?;
        let shape = (first.batch_size, first.records_per_call);
        self.objects
            .iter()
            .all(|o| (o.batch_size, o.records_per_call) == shape)
            .then_some(shape)
    }

    /// The instant of simulated time `t`.
    pub fn instant(&self, t: Millis) -> Instant {
        self.start.plus(t)
    }
}

/// A platform whose defaults fill the sync settings (docs/scenario.md, presets).
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
    /// Default cap of a run until clear.
    pub const HORIZON_CAP: Millis = 30 * DAY;
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

/// The engine's unit tests load example scenarios through this path, and the engine comes
/// before [`crate::load`] in the layering: this reads the file as it is and validates it
/// with `overrides` (`PATH=VALUE`, as given to `--set`), without the loader's size and
/// encoding checks or any backlog snapshot.
#[cfg(test)]
pub(crate) fn load(
    path: &std::path::Path,
    overrides: &[String],
) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).expect("an example scenario");
    let overrides: Vec<Override> = overrides.iter().map(|s| Override::set(s)).collect();
    from_str(&text, &path.display().to_string(), "scenario", &overrides)
}
