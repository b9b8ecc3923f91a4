//! The memory estimate is an upper bound (docs/robustness.md, Memory): every byte a run
//! allocates at its peak, counted by a global allocator that wraps the system's, stays under
//! `MemoryEstimate`'s parts (the fixed part, for the program and the allocator's own
//! overhead, left out). Checked on the shapes that once broke it (an initial backlog, a
//! stalled or disabled sync, a busy API window, a retry storm, stale requeued items) and on
//! generated scenarios that mix them with everything else the format allows.
//!
//! A binary of its own because a global allocator counts every allocation of the process:
//! one test runs the cases one after another, so no other test's allocations are counted.
//! Nothing here is timed; the counts are the same on every run.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use syncsim::engine::{simulate_with, Inputs, MemoryEstimate};
use syncsim::load::ScenarioFile;
use syncsim::scenario::{self, Scenario};

/// Bytes allocated now, and the most since [`reset_peak`].
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting. A reallocation counts only its change in size: a large
/// block grows by moving its pages, not by holding two copies (the estimate's fixed part
/// covers the copy of a smaller one).
struct Counting;

fn grew(bytes: usize) {
    let live = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as given.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as given.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as given.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as given.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most bytes allocated at once by one run of `sc` (edits drawn on a second thread and
/// latency summaries on two, as `syncsim run` does), above what was allocated before it.
fn peak_of_run(sc: &Scenario) -> usize {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let result = simulate_with(
        sc,
        sc.seed,
        Inputs {
            draw_ahead: true,
            ..Inputs::default()
        },
    );
    let peak = PEAK.load(Ordering::Relaxed) - before;
    drop(result);
    peak
}

/// Checks one scenario: its run's peak is under the estimate's parts. Returns the ratio.
fn check(sc: &Scenario, what: &str) -> Result<f64, String> {
    let e = MemoryEstimate::of(sc);
    let bound = e.total() - e.fixed;
    let peak = peak_of_run(sc) as f64;
    if peak > bound {
        return Err(format!(
            "{what}: the run allocated {peak} bytes at its peak, above the estimate of {bound} \
             ({e:?})"
        ));
    }
    Ok(peak / bound)
}

fn scenario(text: &str) -> Scenario {
    scenario::from_str(text, "shape.toml", "shape", &[]).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

const BASE: &str = "start = \"2026-11-23T00:00:00Z\"\nhorizon = \"2d\"\n";

/// The shapes of issue 20 (an estimate up to 14 times below the peak), each with what it
/// did wrong.
fn shapes() -> Vec<(&'static str, Scenario)> {
    let mut shapes = vec![
        (
            // The initial backlog was left out.
            "an initial backlog, the sync stalled",
            scenario(&format!(
                "{BASE}[objects.Lead]\nrecords = 60000\nedits_per_hour = 100\ninitial_backlog = 50000\ninitial_backlog_age = \"3d\"\n[sync]\nthroughput = 0\n"
            )),
        ),
        (
            // A stalled sync keeps its entries for the whole horizon, not a day.
            "a stalled sync",
            scenario(&format!(
                "{BASE}[objects.Lead]\nrecords = 200000\nedits_per_hour = 4000\nsync = \"both\"\nmarketing_edits_per_hour = 1000\n[sync]\nthroughput = 0\n"
            )),
        ),
        (
            "a sync disabled for good",
            scenario(&format!(
                "{BASE}[objects.Lead]\nrecords = 200000\nedits_per_hour = 5000\n[events.off]\nkind = \"sync_disabled\"\nat = \"1h\"\n"
            )),
        ),
        (
            "throughput set to zero",
            scenario(&format!(
                "{BASE}[objects.Lead]\nrecords = 200000\nedits_per_hour = 5000\n[events.slow]\nkind = \"set_throughput\"\nat = \"3h\"\nthroughput = 0\n"
            )),
        ),
        (
            // The rolling 24-hour API window was not counted: a batch per edit, every call
            // its own millisecond.
            "a busy API window",
            scenario(&format!(
                "{BASE}[objects.Lead]\nrecords = 500000\nedits_per_hour = 30000\n[sync]\nbatch_size = 1\nthroughput = 10_000_000\ncycle_wait = \"1s\"\n[api]\ncalls_per_cycle = 1\nbackground_calls_per_hour = 600\n"
            )),
        ),
        (
            // A retry storm: every attempt fails, retried every millisecond.
            "a retry storm",
            scenario(&format!(
                "{BASE}[objects.Lead]\nrecords = 20000\nedits_per_hour = 2000\ntransient_error_rate = 0.9\npermanent_error_fraction = 0.3\n[sync]\nthroughput = 1_000_000\n[retry]\ninterval = \"1ms\"\nmax_attempts = 1000\n[events.bulk]\nkind = \"bulk_update\"\nat = \"1h\"\nobject = \"Lead\"\ncount = 20000\nrecords = \"random\"\n"
            )),
        ),
        (
            // Requeued entries leave stale items behind.
            "a hot set requeued without end",
            scenario(&format!(
                "{BASE}[objects.Lead]\nrecords = 100000\nedits_per_hour = 200000\nrecord_choice = \"hot_set\"\nhot_fraction = 0.01\nhot_share = 0.9\n[sync]\nrequeue = true\nthroughput = 150000\n"
            )),
        ),
        (
            "an object enabled, then a bulk update, round robin",
            scenario(&format!(
                "{BASE}preset = \"salesforce\"\n[objects.Account]\nrecords = 100000\nedits_per_hour = 3000\n[objects.Contact]\nrecords = 100000\nedits_per_hour = 3000\n[objects.Custom]\nrecords = 150000\nenabled = false\n[events.on]\nkind = \"enable_object\"\nat = \"2h\"\nobject = \"Custom\"\n[events.bulk]\nkind = \"bulk_update\"\nat = \"4h\"\nobject = \"Account\"\ncount = 100000\nspread = \"30m\"\n"
            )),
        ),
        (
            // Cascades and echoes (issue 21 item 2): caused edits make entries, and each
            // trigger waits in the event heap for its delay.
            "a bulk update cascading with a delay, echoed back, the sync stalled",
            scenario(&format!(
                "{BASE}[objects.Account]\nrecords = 20000\nedits_per_hour = 2000\n[objects.Contact]\nrecords = 100000\nsync = \"both\"\nmarketing_edits_per_hour = 1000\n[sync]\nthroughput = 0\n[events.owners]\nkind = \"bulk_update\"\nat = \"1h\"\nobject = \"Account\"\ncount = 20000\nspread = \"1h\"\n[cascades.contacts]\nfrom = \"Account\"\nto = \"Contact\"\ncount_mean = 4\ndelay = \"3h\"\n[echoes.back]\nobject = \"Contact\"\nfraction = 0.5\nas = \"update\"\n"
            )),
        ),
        (
            "a cascade on synced updates and echoes, the sync draining",
            scenario(&format!(
                "{BASE}[objects.Account]\nrecords = 50000\nedits_per_hour = 20000\nsync = \"both\"\n[objects.Contact]\nrecords = 200000\nsync = \"both\"\n[sync]\nthroughput = 200000\n[cascades.contacts]\nfrom = \"Account\"\non = \"synced\"\nto = \"Contact\"\ncount_min = 0\ncount_max = 6\nsynced_fields = 0.5\n[echoes.back]\nobject = \"Contact\"\nfraction = 0.3\nas = \"update\"\ndelay = \"10m\"\n"
            )),
        ),
        (
            // Creations (issue 21): the pending index covers the ids a run may create, and a
            // stalled sync keeps every created record's entry.
            "creations both ways, the sync stalled",
            scenario(&format!(
                "{BASE}[objects.Lead]\nrecords = 1000\nsync = \"both\"\nedits_per_hour = 2000\nmarketing_edits_per_hour = 500\ncreations_per_hour = 5000\ncreation_side = \"marketing\"\n[objects.Contact]\nrecords = 5000\ncreations_per_hour = 3000\nrecord_choice = \"hot_set\"\n[sync]\nthroughput = 0\n"
            )),
        ),
        (
            "creations of an object enabled late, drained",
            scenario(&format!(
                "{BASE}[objects.Lead]\nrecords = 20000\nedits_per_hour = 3000\ncreations_per_hour = 8000\nenabled = false\n[sync]\nthroughput = 60000\n[events.on]\nkind = \"enable_object\"\nat = \"20h\"\nobject = \"Lead\"\n"
            )),
        ),
    ];
    // The reference scenario over its bulk update: the drained bound, at its tightest.
    let reference = std::fs::read_to_string("scenarios/reference.toml").unwrap();
    let reference = scenario::from_str(
        &reference,
        "reference.toml",
        "reference",
        &[scenario::Override::horizon("27h")],
    )
    .unwrap();
    shapes.push(("the reference over its bulk update", reference));
    shapes
}

/// A backlog snapshot of `rows` records of Lead, stamped before the start.
fn snapshot_scenario(dir: &std::path::Path, rows: u32) -> Scenario {
    let path = dir.join("backlog.csv");
    let mut text = String::from("object,record,stamp_utc,direction\n");
    for r in 0..rows {
        text += &format!(
            "Lead,{},2026-11-22T{:02}:00:00Z,to_marketing\n",
            r * 3,
            r % 24
        );
    }
    std::fs::write(&path, text).unwrap();
    ScenarioFile::from_text(
        &format!("{BASE}[objects.Lead]\nrecords = 300000\nedits_per_hour = 500\n[sync]\nthroughput = 1000\n"),
        "snapshot.toml",
        "snapshot",
    )
    .unwrap()
    .with_initial_backlog(path)
    .scenario(&[])
    .unwrap()
}

/// A generated object: records, edits per hour, both ways, record choice, initial backlog
/// (fraction of records), enabled at the start, error rates (transient, permanent).
type GenObject = (u32, f64, bool, usize, Option<f64>, bool, (f64, f64));

/// A generated scenario, as TOML: every part of the format that changes what a run holds.
#[derive(Debug, Clone)]
struct Gen {
    objects: Vec<GenObject>,
    /// Policy, workers, batch size, throughput (0: stalled), requeue, gate, skip cost,
    /// overhead (s), cycle wait (s).
    sync: (usize, u32, u32, u32, bool, bool, f64, u32, u32),
    /// Bulk updates: object, count (fraction of records), spread (min), random, synced.
    bulks: Vec<(usize, f64, u32, bool, bool)>,
    /// Outage: at (min), duration (min; none: for good); throughput change (at, value).
    outage: Option<(u32, Option<u32>)>,
    slow: Option<(u32, u32)>,
    /// API: daily limit, background calls per hour, calls per cycle.
    api: Option<(Option<u32>, u32, u32)>,
    /// Retry interval (ms), max attempts.
    retry: (u32, u32),
    /// Horizon (h), sample interval (min).
    span: (u32, u32),
}

fn gen() -> impl Strategy<Value = Gen> {
    let object = (
        1u32..60_000,
        0.0f64..20_000.0,
        any::<bool>(),
        0usize..3,
        prop::option::of(0.0f64..=1.0),
        prop::bool::weighted(0.85),
        prop_oneof![Just((0.0, 0.0)), (0.0f64..0.9, 0.0f64..0.4)],
    );
    let sync = (
        0usize..4,
        1u32..4,
        1u32..500,
        prop_oneof![Just(0u32), 1u32..200_000],
        any::<bool>(),
        any::<bool>(),
        0.01f64..2.0,
        0u32..5,
        prop_oneof![Just(1u32), 1u32..600],
    );
    let bulks = prop::collection::vec(
        (
            0usize..4,
            0.0f64..=1.0,
            0u32..180,
            any::<bool>(),
            any::<bool>(),
        ),
        0..3,
    );
    let events = (
        prop::option::of((0u32..1200, prop::option::of(1u32..600))),
        prop::option::of((0u32..1200, 0u32..100_000)),
        prop::option::of((prop::option::of(100u32..100_000), 0u32..20_000, 0u32..30)),
        (1u32..3_600_000, 1u32..30),
        (1u32..40, 1u32..60),
    );
    (prop::collection::vec(object, 1..4), sync, bulks, events).prop_map(
        |(objects, sync, bulks, (outage, slow, api, retry, span))| Gen {
            objects,
            sync,
            bulks,
            outage,
            slow,
            api,
            retry,
            span,
        },
    )
}

fn to_toml(g: &Gen) -> String {
    let (hours, sample) = g.span;
    let mut s = format!(
        "start = \"2026-11-27T18:00:00Z\"\nhorizon = \"{hours}h\"\nsample_interval = \"{sample}m\"\n"
    );
    let mut enable = Vec::new();
    for (i, (records, rate, both, choice, initial, enabled, errors)) in g.objects.iter().enumerate()
    {
        let records = (*records).max(4);
        s += &format!(
            "[objects.O{i}]\nrecords = {records}\nedits_per_hour = {rate}\nweekend_factor = 1.5\ntransient_error_rate = {}\npermanent_error_fraction = {}\n",
            errors.0, errors.1
        );
        if *both {
            s += &format!(
                "sync = \"both\"\nmarketing_edits_per_hour = {}\n",
                rate / 3.0
            );
        }
        s += match choice {
            0 => "",
            1 => "record_choice = \"hot_set\"\nhot_fraction = 0.25\n",
            _ => "record_choice = \"zipf\"\n",
        };
        if let Some(f) = initial {
            s += &format!(
                "initial_backlog = {}\ninitial_backlog_age = \"2h\"\n",
                (records as f64 * f) as u32
            );
        }
        if !enabled {
            s += "enabled = false\n";
            enable.push(i);
        }
    }
    let (policy, workers, batch, throughput, requeue, gate, skip, overhead, wait) = g.sync;
    let policy = ["fifo", "round_robin", "priority", "weighted"][policy];
    s += &format!(
        "[sync]\npolicy = \"{policy}\"\nworkers = {workers}\nbatch_size = {batch}\nthroughput = {throughput}\nrequeue = {requeue}\nskip_cost = {skip}\nbatch_overhead = \"{overhead}s\"\ncycle_wait = \"{wait}s\"\n"
    );
    if policy == "round_robin" {
        s += "slice = 300\n";
    }
    if gate && g.objects.len() > 1 {
        s += "gates = { O1 = \"O0\" }\n";
    }
    if let Some((limit, background, checks)) = g.api {
        s += &format!(
            "[api]\nbackground_calls_per_hour = {background}\ncalls_per_cycle = {checks}\n"
        );
        if let Some(limit) = limit {
            // Room for a batch and a cycle's checks, as validation asks.
            s += &format!("daily_limit = {}\n", limit + batch + checks + 1);
        }
    }
    s += &format!(
        "[retry]\ninterval = \"{}ms\"\nmax_attempts = {}\n",
        g.retry.0, g.retry.1
    );
    let minutes = hours * 60;
    for (k, (o, fraction, spread, random, synced)) in g.bulks.iter().enumerate() {
        let o = o % g.objects.len();
        let records = g.objects[o].0.max(4);
        let count = ((records as f64 * fraction) as u32).max(1);
        s += &format!(
            "[events.bulk{k}]\nkind = \"bulk_update\"\nat = \"{}m\"\nobject = \"O{o}\"\ncount = {count}\nspread = \"{spread}m\"\nrecords = \"{}\"\nsynced_fields = {synced}\n",
            (k as u32 * 97) % minutes,
            if *random { "random" } else { "sequential" }
        );
    }
    for (k, o) in enable.iter().enumerate() {
        s += &format!(
            "[events.enable{k}]\nkind = \"enable_object\"\nat = \"{}m\"\nobject = \"O{o}\"\n",
            (k as u32 * 53 + 30) % minutes
        );
    }
    if let Some((at, duration)) = g.outage {
        s += &format!(
            "[events.outage]\nkind = \"sync_disabled\"\nat = \"{}m\"\n",
            at % minutes
        );
        if let Some(d) = duration {
            s += &format!("duration = \"{d}m\"\n");
        }
    }
    if let Some((at, throughput)) = g.slow {
        s += &format!(
            "[events.slow]\nkind = \"set_throughput\"\nat = \"{}m\"\nthroughput = {throughput}\n",
            at % minutes
        );
    }
    s
}

#[test]
fn peak_memory_stays_under_the_estimate() {
    let worst = std::cell::RefCell::new((0.0f64, String::new()));
    let note = |ratio: f64, what: &str| {
        let mut worst = worst.borrow_mut();
        if ratio > worst.0 {
            *worst = (ratio, what.to_string());
        }
    };
    for (what, sc) in shapes() {
        note(check(&sc, what).unwrap_or_else(|e| panic!("{e}")), what);
    }
    let dir = tempfile::tempdir().unwrap();
    let snapshot = snapshot_scenario(dir.path(), 90_000);
    note(
        check(&snapshot, "a backlog snapshot").unwrap_or_else(|e| panic!("{e}")),
        "a backlog snapshot",
    );
    let refused = std::cell::Cell::new(0);
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&gen(), |g| {
            let text = to_toml(&g);
            let sc = match scenario::from_str(&text, "generated.toml", "generated", &[]) {
                Ok(sc) => sc,
                // A mix the format refuses tests nothing; counted, so that few are.
                Err(e) => {
                    refused.set(refused.get() + 1);
                    eprintln!("refused: {e}");
                    return Ok(());
                }
            };
            let ratio =
                check(&sc, "generated").map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            note(ratio, &text);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    // The worst case is printed to see how close the bound comes (`--nocapture`).
    assert!(
        refused.get() < 16,
        "{} of 64 generated scenarios refused",
        refused.get()
    );
    let worst = worst.into_inner();
    println!("closest to the estimate: {:.2} of it\n{}", worst.0, worst.1);
}
