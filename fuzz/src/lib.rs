//! What the fuzz targets check, shared so that a crash can be replayed from a plain test.
//! The scenario targets' checks are here; the data-file targets' are in [`data`].
//!
//! For any input: loading never panics, and a refusal is a one-screen message. For a valid
//! scenario small enough to run in milliseconds (its horizon clamped through a `--horizon`
//! override, then its work estimated and its memory checked against a small cap): the run
//! conserves records, its events and latencies are consistent, every scalar is finite, every
//! report renders, and a second run is identical.

pub mod data;

use std::fmt::Write as _;
use std::io;

use arbitrary::Arbitrary;
use syncsim::engine::{simulate, simulate_with, Inputs};
use syncsim::load::{self, ScenarioFile};
use syncsim::report::{self, terminal};
use syncsim::scenario::{self, EventKind, Override, QueueId, Scenario, ScenarioError};
use syncsim::summary::RunSummary;
use syncsim::units::{format_duration, Millis, DAY, HOUR};

/// Longest horizon a fuzzed scenario is run for.
const RUN_HORIZON: Millis = 2 * DAY;
/// Most edits a run may be expected to make.
const RUN_EDITS: f64 = 100_000.0;
/// Most cycles (looks for changes) a run may make.
const RUN_LOOKS: u64 = 50_000;
/// Most backlog samples a run may take.
const RUN_SAMPLES: u64 = 20_000;
/// Most objects a run may have.
const RUN_OBJECTS: usize = 50;
/// Most memory a run may be estimated to need.
const RUN_MEMORY: u64 = 64 << 20;

/// Arbitrary bytes: the scenario text, then `--set` overrides, separated by NUL bytes.
pub fn check_bytes(data: &[u8]) {
    let mut parts = data.split(|b| *b == 0);
    let file = parts.next().unwrap_or_default();
    let overrides: Vec<Override> = parts
        .take(4)
        .map(|p| Override::set(&String::from_utf8_lossy(p)))
        .collect();
    match std::str::from_utf8(file) {
        Ok(text) => check(text, &overrides),
        Err(_) => check_file(file),
    }
}

/// Scenario text with no overrides.
pub fn check_text(text: &str) {
    check(text, &[]);
}

/// Text that is not UTF-8 only reaches the checks of a file on disk, which refuse it as it
/// is read, before any override.
fn check_file(bytes: &[u8]) {
    let dir = std::env::temp_dir().join(format!("syncsim-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("fuzz.toml");
    std::fs::write(&path, bytes).unwrap();
    let read = ScenarioFile::read(&path);
    let _ = std::fs::remove_dir_all(&dir);
    match read {
        Ok(_) => panic!("text that is not UTF-8 was accepted"),
        Err(e) => check_error(&e),
    }
}

fn check(text: &str, overrides: &[Override]) {
    let sc = match scenario::from_str(text, "fuzz.toml", "fuzz", overrides) {
        Ok(sc) => sc,
        Err(e) => return check_error(&e),
    };
    // A shorter horizon keeps the run short; the clamped scenario is validated again, so it
    // may be refused (an event past the new end), and that refusal is checked too.
    let mut shorter = overrides.to_vec();
    shorter.push(Override::horizon(&format_duration(
        sc.horizon.min(RUN_HORIZON),
    )));
    match scenario::from_str(text, "fuzz.toml", "fuzz", &shorter) {
        Ok(short) if cheap(&short) => check_run(&short),
        Ok(_) => {}
        Err(e) => check_error(&e),
    }
}

/// A refusal names its source and fits on one screen.
pub fn check_error(e: &ScenarioError) {
    let shown = e.to_string();
    assert!(shown.starts_with("scenario '"), "{shown}");
    assert!(!e.message.trim().is_empty(), "an empty message: {shown}");
    let lines = shown.lines().count();
    assert!(lines <= 4, "{lines} lines:\n{shown}");
    assert!(
        shown.chars().count() <= 2_000,
        "{} characters:\n{shown}",
        shown.len()
    );
}

/// Expected background and event edits over the horizon, at the peak rates.
fn expected_edits(sc: &Scenario) -> f64 {
    let hours = sc.horizon as f64 / HOUR as f64;
    let mut edits = 0.0;
    for o in &sc.objects {
        let peak = o
            .hour_profile
            .map_or(1.0, |p| p.iter().copied().fold(0.0, f64::max))
            * o.weekend_factor.max(1.0);
        edits += (o.edits_per_hour[0] + o.edits_per_hour[1]) * peak * hours;
    }
    for e in &sc.events {
        edits += match e.kind {
            EventKind::BulkUpdate { count, .. } => count as f64,
            EventKind::EnableObject { object } => sc.objects[object].records as f64,
            _ => 0.0,
        };
    }
    edits
}

fn cheap(sc: &Scenario) -> bool {
    sc.objects.len() <= RUN_OBJECTS
        && load::check_memory(sc, 1, Some(RUN_MEMORY)).is_ok()
        && expected_edits(sc) <= RUN_EDITS
        && sc.horizon / sc.sync.cycle_wait <= RUN_LOOKS
        && sc.horizon / sc.sample_interval <= RUN_SAMPLES
}

/// Runs a valid scenario and checks what every run must satisfy.
pub fn check_run(sc: &Scenario) {
    // The engine checks its own invariants at every sample point and panics on a broken one.
    let audited = Inputs {
        audit: true,
        ..Inputs::default()
    };
    let r = simulate_with(sc, sc.seed, audited);
    if let Err(e) = r.check_conservation() {
        panic!("conservation broken: {e}");
    }
    for e in r.events() {
        assert_eq!(
            e.entries,
            e.synced + e.skipped + e.still_pending,
            "event {} loses entries",
            e.name
        );
        if let Some(c) = e.clear {
            assert!(
                c >= e.last_edit && c <= sc.horizon,
                "event {} clear {c}",
                e.name
            );
        }
        if let Some(rec) = e.recovery {
            assert!(
                rec >= e.last_edit && rec <= sc.horizon,
                "event {} recovery {rec}",
                e.name
            );
        }
    }
    let queues = (0..r.queue_count()).map(|q| r.latency(QueueId::from_index(q)));
    let objects = (0..r.object_count()).map(|o| r.object_latency(o));
    for l in queues.chain(objects).flatten() {
        assert!(l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.max, "{l:?}");
        assert!(l.max <= sc.horizon, "{l:?}");
    }
    for i in 0..r.sample_times().len() {
        assert!(
            r.sample_total(i) <= r.max_backlog(),
            "sample {i} above the max"
        );
    }
    assert!(simulate(sc, sc.seed) == r, "a second run differs");
    let summary = RunSummary::of(sc, r.clone());
    for m in summary.metrics() {
        if let Some(v) = m.value {
            assert!(v.is_finite(), "{} = {v}", m.name);
        }
        assert!(
            syncsim::catalogue::lookup(&m.name).is_some(),
            "{} is not in the metric catalogue",
            m.name
        );
    }
    let sink = &mut io::sink();
    for (_, write) in report::tables::TABLES {
        write(&summary, sink).unwrap();
    }
    report::json::write_run(&summary, sink).unwrap();
    terminal::write_summary(&summary, sink).unwrap();
    let ahead = Inputs {
        draw_ahead: true,
        ..Inputs::default()
    };
    assert!(
        simulate_with(sc, sc.seed, ahead) == r,
        "a run with its edits drawn ahead differs"
    );
}

/// A scenario as a fuzzer builds it: every part of the format, values mostly in range.
#[derive(Debug, Arbitrary)]
pub struct Spec {
    preset: u8,
    seed: u8,
    start_hour: u8,
    horizon_min: u16,
    sample_min: Option<u8>,
    objects: Vec<ObjectSpec>,
    sync: SyncSpec,
    events: Vec<EventSpec>,
}

/// One object.
#[derive(Debug, Arbitrary)]
pub struct ObjectSpec {
    name: u8,
    records: u16,
    sync: u8,
    edits_per_hour: u16,
    marketing_edits_per_hour: u16,
    hour_profile: Option<[u8; 24]>,
    weekend_factor: Option<u8>,
    record_choice: u8,
    hot_fraction: u8,
    hot_share: u8,
    zipf_exponent: u8,
    synced_fraction: Option<u8>,
    filter_pass: Option<u8>,
    enabled: Option<bool>,
}

/// The `[sync]` table.
#[derive(Debug, Arbitrary)]
pub struct SyncSpec {
    policy: u8,
    order: Option<Vec<u8>>,
    slice: Option<u16>,
    weights: Option<Vec<(u8, u8)>>,
    gates: Vec<(u8, u8)>,
    workers: Option<u8>,
    batch_size: Option<u16>,
    throughput: Option<u32>,
    skip_cost: Option<u8>,
    cycle_wait_s: Option<u16>,
    batch_overhead_ms: Option<u16>,
    requeue: Option<bool>,
}

/// One event.
#[derive(Debug, Arbitrary)]
pub struct EventSpec {
    kind: u8,
    at_min: u16,
    object: u8,
    direction: Option<bool>,
    count: u16,
    spread_min: Option<u16>,
    random: Option<bool>,
    first_record: Option<u16>,
    synced_fields: Option<bool>,
    duration_min: Option<u16>,
    throughput: u32,
    workers: u8,
}

const NAMES: [&str; 6] = [
    "Lead",
    "Contact",
    "Account",
    "Opportunity",
    "Custom__c",
    "total",
];

impl Spec {
    /// The scenario file this spec describes.
    pub fn to_toml(&self) -> String {
        let mut s = String::new();
        let w = &mut s;
        match self.preset % 4 {
            0 => {}
            1 => writeln!(w, "preset = \"salesforce\"").unwrap(),
            2 => writeln!(w, "preset = \"dynamics\"").unwrap(),
            _ => writeln!(w, "preset = \"hubspot\"").unwrap(),
        }
        writeln!(w, "seed = {}", self.seed).unwrap();
        // 2026-11-23 is a Monday; up to a week later, so weekends are reached.
        let day = 23 + (self.start_hour / 24) % 7;
        writeln!(
            w,
            "start = \"2026-11-{day:02}T{:02}:00:00Z\"",
            self.start_hour % 24
        )
        .unwrap();
        writeln!(w, "horizon = \"{}m\"", self.horizon_min % 2881).unwrap();
        if let Some(m) = self.sample_min {
            writeln!(w, "sample_interval = \"{m}m\"").unwrap();
        }
        let objects: Vec<&ObjectSpec> = self.objects.iter().take(5).collect();
        let name = |i: u8| NAMES[i as usize % NAMES.len()];
        for o in &objects {
            writeln!(w, "[objects.{}]", name(o.name)).unwrap();
            writeln!(w, "records = {}", o.records % 5001).unwrap();
            let sync = ["to_marketing", "to_crm", "both", "sideways"][o.sync as usize % 4];
            writeln!(w, "sync = \"{sync}\"").unwrap();
            if sync != "to_crm" {
                writeln!(w, "edits_per_hour = {}", o.edits_per_hour % 5000).unwrap();
            }
            if sync != "to_marketing" {
                writeln!(
                    w,
                    "marketing_edits_per_hour = {}",
                    o.marketing_edits_per_hour % 5000
                )
                .unwrap();
            }
            if let Some(p) = &o.hour_profile {
                let values: Vec<String> =
                    p.iter().map(|v| format!("{}", *v as f64 / 64.0)).collect();
                writeln!(w, "hour_profile = [{}]", values.join(", ")).unwrap();
            }
            if let Some(f) = o.weekend_factor {
                writeln!(w, "weekend_factor = {}", f as f64 / 32.0).unwrap();
            }
            match o.record_choice % 3 {
                0 => {}
                1 => writeln!(
                    w,
                    "record_choice = \"hot_set\"\nhot_fraction = {}\nhot_share = {}",
                    (o.hot_fraction as f64 + 1.0) / 257.0,
                    o.hot_share as f64 / 255.0
                )
                .unwrap(),
                _ => writeln!(
                    w,
                    "record_choice = \"zipf\"\nzipf_exponent = {}",
                    o.zipf_exponent as f64 / 25.0
                )
                .unwrap(),
            }
            if let Some(f) = o.synced_fraction {
                writeln!(w, "synced_fraction = {}", f as f64 / 255.0).unwrap();
            }
            if let Some(f) = o.filter_pass {
                writeln!(w, "filter_pass = {}", f as f64 / 255.0).unwrap();
            }
            if let Some(e) = o.enabled {
                writeln!(w, "enabled = {e}").unwrap();
            }
        }
        let sy = &self.sync;
        writeln!(w, "[sync]").unwrap();
        let policy = ["fifo", "round_robin", "priority", "weighted"][sy.policy as usize % 4];
        writeln!(w, "policy = \"{policy}\"").unwrap();
        let list = |ids: &[u8]| -> String {
            ids.iter()
                .take(6)
                .map(|i| format!("\"{}\"", name(*i)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if let Some(order) = &sy.order {
            writeln!(w, "order = [{}]", list(order)).unwrap();
        }
        if let Some(slice) = sy.slice {
            writeln!(w, "slice = {slice}").unwrap();
        }
        if let Some(weights) = &sy.weights {
            let pairs: Vec<String> = weights
                .iter()
                .take(6)
                .map(|(o, v)| format!("{} = {v}", name(*o)))
                .collect();
            writeln!(w, "weights = {{ {} }}", pairs.join(", ")).unwrap();
        }
        if !sy.gates.is_empty() {
            let pairs: Vec<String> = sy
                .gates
                .iter()
                .take(4)
                .map(|(a, b)| format!("{} = \"{}\"", name(*a), name(*b)))
                .collect();
            writeln!(w, "gates = {{ {} }}", pairs.join(", ")).unwrap();
        }
        if let Some(n) = sy.workers {
            writeln!(w, "workers = {}", n % 9).unwrap();
        }
        if let Some(n) = sy.batch_size {
            writeln!(w, "batch_size = {n}").unwrap();
        }
        if let Some(t) = sy.throughput {
            writeln!(w, "throughput = {}", t % 200_001).unwrap();
        }
        if let Some(c) = sy.skip_cost {
            writeln!(w, "skip_cost = {}", c as f64 / 100.0).unwrap();
        }
        if let Some(s) = sy.cycle_wait_s {
            writeln!(w, "cycle_wait = \"{}s\"", s % 3601).unwrap();
        }
        if let Some(ms) = sy.batch_overhead_ms {
            writeln!(w, "batch_overhead = \"{ms}ms\"").unwrap();
        }
        if let Some(r) = sy.requeue {
            writeln!(w, "requeue = {r}").unwrap();
        }
        for (i, e) in self.events.iter().take(8).enumerate() {
            writeln!(w, "[events.e{i}]").unwrap();
            writeln!(w, "at = \"{}m\"", e.at_min % 2881).unwrap();
            match e.kind % 6 {
                0 => {
                    writeln!(w, "kind = \"bulk_update\"\nobject = \"{}\"", name(e.object)).unwrap();
                    if let Some(d) = e.direction {
                        let d = if d { "to_crm" } else { "to_marketing" };
                        writeln!(w, "direction = \"{d}\"").unwrap();
                    }
                    writeln!(w, "count = {}", e.count % 5001).unwrap();
                    if let Some(m) = e.spread_min {
                        writeln!(w, "spread = \"{}m\"", m % 1441).unwrap();
                    }
                    if let Some(r) = e.random {
                        let r = if r { "random" } else { "sequential" };
                        writeln!(w, "records = \"{r}\"").unwrap();
                    }
                    if let Some(f) = e.first_record {
                        writeln!(w, "first_record = {}", f % 5001).unwrap();
                    }
                    if let Some(b) = e.synced_fields {
                        writeln!(w, "synced_fields = {b}").unwrap();
                    }
                }
                1 => writeln!(
                    w,
                    "kind = \"enable_object\"\nobject = \"{}\"",
                    name(e.object)
                )
                .unwrap(),
                2 => {
                    writeln!(w, "kind = \"sync_disabled\"").unwrap();
                    if let Some(m) = e.duration_min {
                        writeln!(w, "duration = \"{}m\"", m % 1441).unwrap();
                    }
                }
                3 => writeln!(w, "kind = \"sync_enabled\"").unwrap(),
                4 => writeln!(
                    w,
                    "kind = \"set_throughput\"\nthroughput = {}",
                    e.throughput % 200_001
                )
                .unwrap(),
                _ => writeln!(w, "kind = \"set_workers\"\nworkers = {}", e.workers % 9).unwrap(),
            }
        }
        s
    }
}
