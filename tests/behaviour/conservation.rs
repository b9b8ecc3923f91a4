//! Invariants over generated scenarios. Conservation of records (docs/model.md, Conservation): every
//! edit is filtered, coalesced or creates an entry; every entry is synced, skipped, errored
//! (retry or timeout queue), superseded or still pending, at every sample point (the engine's
//! audit) and at the end. Events run in strictly increasing (time, sequence) order; a record
//! is never both pending and waiting for a retry; latencies are bounded by the horizon; the
//! same seed gives the same run. The scenarios are generated as TOML text, so the parser is
//! exercised too.

use proptest::prelude::*;
use syncsim::engine::{simulate, simulate_with, Inputs};
use syncsim::scenario;

#[derive(Debug, Clone)]
struct Gen {
    objects: Vec<(u32, f64, f64, f64, bool)>,
    policy: usize,
    workers: u32,
    batch: u32,
    throughput: u32,
    requeue: bool,
    gate: bool,
    bulk: Option<(usize, u32, u32, bool)>,
    outage: Option<(u32, u32)>,
    choice: usize,
    errors: (f64, f64),
    api: Option<(u32, u32, u32)>,
    retry_minutes: u32,
    fix_and_retry: bool,
}

fn gen() -> impl Strategy<Value = Gen> {
    let objects = prop::collection::vec(
        (
            // At least 2 records: with hot_fraction = 0.5 one record would leave the hot
            // set empty, which validation rightly refuses.
            2u32..400,
            0.0f64..3000.0,
            0.0f64..=1.0,
            0.5f64..=1.0,
            any::<bool>(),
        ),
        1..4,
    );
    let sync = (
        0usize..4,
        1u32..4,
        1u32..300,
        0u32..20_000,
        any::<bool>(),
        any::<bool>(),
    );
    let events = (
        prop::option::of((0usize..3, 1u32..400, 0u32..120, any::<bool>())),
        prop::option::of((0u32..600, 1u32..300)),
    );
    let errors = (
        0usize..3,
        (0.0f64..0.6, 0.0f64..0.3),
        prop::option::of((0u32..200, 1u32..100, 0u32..500)),
        1u32..90,
        any::<bool>(),
    );
    (objects, sync, events, errors).prop_map(
        |(
            objects,
            (policy, workers, batch, throughput, requeue, gate),
            (bulk, outage),
            (choice, errors, api, retry_minutes, fix_and_retry),
        )| Gen {
            objects,
            policy,
            workers,
            batch,
            throughput,
            requeue,
            gate,
            bulk,
            outage,
            choice,
            errors,
            api,
            retry_minutes,
            fix_and_retry,
        },
    )
}

fn to_toml(g: &Gen) -> String {
    let mut s = String::from(
        "start = \"2026-11-28T20:00:00Z\"\nhorizon = \"12h\"\nsample_interval = \"7m\"\n",
    );
    for (i, (records, rate, synced, filter, both)) in g.objects.iter().enumerate() {
        s += &format!(
            "[objects.O{i}]\nrecords = {records}\nedits_per_hour = {rate}\nsynced_fraction = {synced}\nfilter_pass = {filter}\nweekend_factor = 0.5\n"
        );
        if *both {
            s += &format!(
                "sync = \"both\"\nmarketing_edits_per_hour = {}\n",
                rate / 2.0
            );
        }
        s += &format!(
            "transient_error_rate = {}\npermanent_error_fraction = {}\n",
            g.errors.0, g.errors.1
        );
        s += match g.choice {
            0 => "",
            1 => "record_choice = \"hot_set\"\nhot_fraction = 0.5\n",
            _ => "record_choice = \"zipf\"\n",
        };
    }
    let policy = ["fifo", "round_robin", "priority", "weighted"][g.policy];
    s += &format!(
        "[sync]\npolicy = \"{policy}\"\nworkers = {}\nbatch_size = {}\nthroughput = {}\nrequeue = {}\ncycle_wait = \"3m\"\n",
        g.workers, g.batch, g.throughput, g.requeue
    );
    if policy == "round_robin" {
        s += "slice = 250\n";
    }
    if g.gate && g.objects.len() > 1 {
        s += "gates = { O1 = \"O0\" }\n";
    }
    if let Some((o, count, spread, synced)) = g.bulk {
        let o = o % g.objects.len();
        let count = count.min(g.objects[o].0);
        s += &format!(
            "[events.bulk]\nkind = \"bulk_update\"\nat = \"2h\"\nobject = \"O{o}\"\ncount = {count}\nspread = \"{spread}m\"\nsynced_fields = {synced}\nrecords = \"random\"\n"
        );
    }
    if let Some((extra, per_call, background)) = g.api {
        let limit = g.batch.div_ceil(per_call) + 5 + extra;
        s += &format!("[api]\ndaily_limit = {limit}\nrecords_per_call = {per_call}\ncalls_per_cycle = 5\nbackground_calls_per_hour = {background}\n");
    }
    s += &format!(
        "[retry]\ninterval = \"{}m\"\nmax_attempts = 3\nnightly_at = \"02:00\"\nsuppress_above_calls = 50\n",
        g.retry_minutes
    );
    if g.fix_and_retry {
        s += "[events.fix]\nkind = \"fix_errors\"\nat = \"6h\"\nobject = \"O0\"\n";
        s += "[events.again]\nkind = \"retry_errored\"\nat = \"7h\"\nobject = \"O0\"\n";
    }
    if let Some((at, len)) = g.outage {
        s += &format!(
            "[events.outage]\nkind = \"sync_disabled\"\nat = \"{at}m\"\nduration = \"{len}m\"\n"
        );
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn records_are_conserved(g in gen()) {
        let text = to_toml(&g);
        let sc = scenario::from_str(&text, "generated.toml", "generated", &[]).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        // The audit panics on the first broken invariant, naming it; proptest shrinks it.
        let r = simulate_with(&sc, 5, Inputs { audit: true, ..Inputs::default() });
        prop_assert!(r == simulate(&sc, 5), "the same seed gave another run\n{}", text);
        // Under `fifo`, one FIFO shared by every queue takes the batches a merge of the
        // queues' own FIFOs would.
        prop_assert!(r == simulate_with(&sc, 5, Inputs { separate_fifos: true, ..Inputs::default() }), "a shared FIFO took other batches\n{}", text);
        // Edits drawn and merged on a helper thread are the edits drawn here.
        prop_assert!(r == crate::simulate_drawn_ahead(&sc, 5), "edits drawn ahead gave another run\n{}", text);
        // A hashed pending index (used for large populations) answers as the dense one:
        // audited, so every entry it must find is checked at every sample.
        prop_assert!(r == simulate_with(&sc, 5, Inputs { hashed_index: true, audit: true, ..Inputs::default() }), "a hashed index gave another run\n{}", text);
        // Edits drawn once for many runs, as the planner shares them, are the edits drawn here.
        let shared = syncsim::engine::SharedEdits::draw(&sc, 5);
        prop_assert!(r == simulate_with(&sc, 5, Inputs { shared_edits: Some(&shared), ..Inputs::default() }), "shared edits gave another run\n{}", text);
        prop_assert!(r.check_conservation().is_ok(), "{:?}\n{}", r.check_conservation(), text);
        // Every tracked event's entries are accounted for.
        for e in r.events() {
            prop_assert_eq!(e.entries, e.synced + e.skipped + e.still_pending + e.errored + e.superseded, "{}", text);
            if let Some(c) = e.clear { prop_assert!(c >= e.last_edit); }
            // Nothing of it left pending or errored: it must have cleared.
            if e.still_pending == 0 && e.errored == 0 {
                prop_assert!(e.clear.is_some(), "event {} settled but never cleared\n{}", e.name, text);
            }
            if let Some(rec) = e.recovery { prop_assert!(rec >= e.last_edit); }
        }
        // Latency never negative (unsigned) and bounded by the horizon.
        for l in (0..r.queue_count())
            .filter_map(|q| r.latency(syncsim::scenario::QueueId::from_index(q)))
        {
            prop_assert!(l.max <= sc.horizon);
            prop_assert!(l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.max);
        }
        // The max backlog bounds every sample.
        for i in 0..r.sample_times().len() {
            prop_assert!(r.sample_total(i) <= r.max_backlog());
        }
        // With a limit, the sync's own calls never pass it.
        if let Some(limit) = sc.api.daily_limit {
            if sc.api.background_calls_per_hour == 0.0 {
                prop_assert!(r.api().peak_usage <= limit, "peak {} > limit {limit}\n{}", r.api().peak_usage, text);
            }
        }
    }
}
