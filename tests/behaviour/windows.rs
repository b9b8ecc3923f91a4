//! Short-window API limits (issue 21 item 3), computed by hand: sliding windows of calls,
//! the concurrency cap, and the two behaviours at a window's limit (`wait`, `reject` with a
//! doubling back-off), with conservation and determinism checked with them on.

use proptest::prelude::*;
use syncsim::engine::{simulate, simulate_with, Inputs};
use syncsim::metrics::RunResult;
use syncsim::scenario::{from_str, Direction, QueueId};
use syncsim::units::{HOUR, SECOND};

use super::{run, scenario};

/// One object with `records` pending at the start, synced at `throughput` records per hour
/// in batches of `batch` records at 200 a call; `extra` adds keys (after `[api]`).
fn backlog(records: u32, throughput: u64, batch: u32, horizon: &str, extra: &str) -> String {
    format!(
        r#"
start = "2026-11-23T00:00:00Z"
horizon = "{horizon}"
[objects.Lead]
records = {records}
edits_per_hour = 0
initial_backlog = {records}
[sync]
throughput = {throughput}
batch_size = {batch}
[api]
records_per_call = 200
{extra}
"#
    )
}

/// Records completed in each whole hour of the run.
fn per_hour(r: &RunResult) -> Vec<u64> {
    (0..r.hour_buckets())
        .map(|h| r.completed_in_hour(h, 0))
        .collect()
}

#[test]
fn a_window_of_100_calls_per_20s_at_200_records_a_call_caps_3_6m_records_an_hour() {
    // 20M records pending, a worker that could sync a billion an hour (a batch of 2,000
    // lasts 7.2 ms, 8 ms rounded up to the millisecond), batches of 10 calls. The window lets 100 calls, 10 batches, 20,000
    // records start in any 20 s: 180 windows an hour, 3,600,000 records, in every hour.
    let text = backlog(
        20_000_000,
        1_000_000_000,
        2000,
        "3h",
        "[[api.windows]]\ncalls = 100\nper = \"20s\"\n",
    );
    let (sc, r) = run(&text);
    assert_eq!(per_hour(&r), [3_600_000; 3]);
    assert_eq!(r.windows().peaks, [100]);
    // Each 20 s: 10 batches back to back (80 ms), then a wait of 19.92 s for the first
    // call to leave the window; from then on each new batch takes the room its predecessor
    // 20 s earlier leaves.
    assert_eq!(r.api().calls[0], 3 * 180 * 100);
    assert_eq!(r.windows().rejected, 0);
    assert_eq!(r.windows().waited, 3 * 180 * (20 * SECOND - 80));
    // Without the window the same worker syncs everything in 20 minutes.
    let free = text.replace("[[api.windows]]\ncalls = 100\nper = \"20s\"\n", "");
    let free = simulate(&scenario(&free), sc.seed);
    assert_eq!(free.totals().synced, 20_000_000);
}

#[test]
fn of_two_windows_the_tighter_binds() {
    // 100 per 20 s allows 3.6M records an hour; 1,000 per 5 m allows 12 batches of 10
    // calls a minute, 2.4M an hour: the second binds, in every hour. A 5-minute window
    // opens 100 batches at its start (calls of 5 m before expired); at 100 per 20 s the
    // first 20 s takes 10 of them, the next 20 s 10 more ... so the 5 m window's 100
    // batches take 10 windows of 20 s (200 s), then the sync waits to the next 5 m.
    let text = backlog(
        20_000_000,
        1_000_000_000,
        2000,
        "2h",
        "[[api.windows]]\ncalls = 100\nper = \"20s\"\n[[api.windows]]\ncalls = 1000\nper = \"5m\"\n",
    );
    let (_, r) = run(&text);
    assert_eq!(per_hour(&r), [2_400_000; 2]);
    // Shortest window first.
    assert_eq!(r.windows().peaks, [100, 1000]);
    // The windows may be written in either order.
    let swapped = backlog(
        20_000_000,
        1_000_000_000,
        2000,
        "2h",
        "[[api.windows]]\ncalls = 1000\nper = \"5m\"\n[[api.windows]]\ncalls = 100\nper = \"20s\"\n",
    );
    assert_eq!(run(&swapped).1, r);
}

#[test]
fn a_concurrency_cap_of_1_with_3_workers_runs_like_1_worker() {
    // A steady stream and a bulk update; batches of 200 at 20,000 records an hour (36 s).
    let text = |workers: u32, cap: &str| {
        format!(
            r#"
start = "2026-11-23T00:00:00Z"
horizon = "12h"
[objects.Lead]
records = 50000
edits_per_hour = 15000
[sync]
throughput = 20000
workers = {workers}
cycle_wait = "5m"
[api]
calls_per_cycle = 3
{cap}
[events.bulk]
kind = "bulk_update"
at = "1h"
object = "Lead"
count = 40000
spread = "30m"
"#
        )
    };
    let one = run(&text(1, "")).1;
    let capped = run(&text(3, "max_concurrent_calls = 1")).1;
    assert_eq!(capped, one);
    // The cap matters: three free workers clear the bulk update sooner.
    let three = run(&text(3, "")).1;
    assert!(three.events()[0].clear_time() < one.events()[0].clear_time());
    // A cap of 2 with 3 workers runs like 2 workers.
    assert_eq!(
        run(&text(3, "max_concurrent_calls = 2")).1,
        run(&text(2, "")).1
    );
}

#[test]
fn a_429_backs_off_doubling_up_to_the_cap() {
    // 1,000 records, batches of 200 (one call each), at 3,600,000 records an hour: 200 ms a
    // batch. The window allows 2 calls per 10 s; at the limit the API answers 429, the batch
    // backs off 1 s, 2 s, 4 s, then 5 s (max_backoff) and tries again.
    let text = backlog(
        1000,
        3_600_000,
        200,
        "1h",
        "at_limit = \"reject\"\nbackoff = \"1s\"\nmax_backoff = \"5s\"\n[[api.windows]]\ncalls = 2\nper = \"10s\"\n",
    );
    let (_, r) = run(&text);
    // Batch 1 at 0 (done 0.2 s), batch 2 at 0.2 s (done 0.4 s). Batch 3 at 0.4 s: 429,
    // retried at 1.4 s (429), 3.4 s (429), 7.4 s (429), 12.4 s: the call of 0 s left at
    // 10 s, so it runs, done at 12.6 s. Batch 4 at 12.6 s: the call of 0.2 s left at 10.2 s,
    // so it runs, done at 12.8 s. Batch 5 at 12.8 s: 429 (calls of 12.4 and 12.6 s), then
    // 13.8 s, 15.8 s, 19.8 s (429s), 24.8 s (the 12.4 s call left at 22.4 s): done at 25 s.
    assert_eq!(r.totals().synced, 1000);
    assert_eq!(r.windows().rejected, 4 + 4);
    assert_eq!(r.batches(), 5);
    assert_eq!(r.api().calls[0], 5);
    assert_eq!(r.windows().peaks, [2]);
    // Held back while a batch was in back-off: 0.4 -> 12.4 s and 12.8 -> 24.8 s.
    assert_eq!(r.windows().waited, 24 * SECOND);
    let latency = r.latency(QueueId::new(0, Direction::ToMarketing)).unwrap();
    assert_eq!(latency.max, 25 * SECOND);
}

#[test]
fn under_wait_the_same_case_starts_each_batch_when_the_window_has_room() {
    // As above but waiting: batch 3 starts at 10 s exactly (the call of 0 s leaves), batch
    // 4 at 10.2 s, batch 5 at 20 s; no 429.
    let text = backlog(
        1000,
        3_600_000,
        200,
        "1h",
        "[[api.windows]]\ncalls = 2\nper = \"10s\"\n",
    );
    let (_, r) = run(&text);
    assert_eq!(r.windows().rejected, 0);
    assert_eq!(r.batches(), 5);
    // Paused 0.4 -> 10 s and 10.4 -> 20 s.
    assert_eq!(r.windows().waited, 19_200);
    let latency = r.latency(QueueId::new(0, Direction::ToMarketing)).unwrap();
    assert_eq!(latency.max, 20 * SECOND + 200);
}

#[test]
fn a_window_shrinks_a_batch_to_the_calls_it_has_room_for() {
    // Checks of 3 calls a cycle and batches of 2,000 records (10 calls, 8 ms) in a window of
    // 25 calls a minute, 10,000 records pending. At 0: the check (3), two full batches (20),
    // then one of 2 calls (400 records); the window is full. At 1 m the calls of 0 (13)
    // leave: a full batch; at 1 m 8 ms those of 8 ms (10): another; at 1 m 16 ms those of
    // 16 ms (2) leave 5 calls: 1,000 records. At 2 m the last 600 (3 calls). The waits come
    // in the middle of the first cycle, so no new check is made after them.
    let text = backlog(
        10_000,
        1_000_000_000,
        2000,
        "3m",
        "calls_per_cycle = 3\n[[api.windows]]\ncalls = 25\nper = \"1m\"\n",
    );
    let (_, r) = run(&text);
    assert_eq!(r.totals().synced, 10_000);
    assert_eq!(r.batches(), 3 + 3 + 1);
    assert_eq!((r.cycles(), r.api().calls[1]), (1, 3));
    assert_eq!(r.api().calls[0], 10 + 10 + 2 + 10 + 10 + 5 + 3);
    assert_eq!(r.windows().peaks, [25]);
    let latency = r.latency(QueueId::new(0, Direction::ToMarketing)).unwrap();
    // The last batch: 600 records at 2 m take ceil(2.16) = 3 ms.
    assert_eq!(latency.max, 120_003);
}

#[test]
fn a_window_must_hold_a_check_and_the_costliest_full_batch() {
    let text = backlog(
        10,
        1000,
        2000,
        "1h",
        "calls_per_cycle = 5\n[[api.windows]]\ncalls = 14\nper = \"10s\"\n",
    );
    let e = from_str(&text, "t.toml", "t", &[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "scenario 't.toml': api.windows[0].calls: is 14 but one cycle's check (5) and one full \
         batch of Lead (10 calls) need 15; the sync could never run"
    );
    scenario(&text.replace("calls = 14", "calls = 15"));
}

#[test]
fn windows_do_not_count_other_integrations_calls() {
    // 10,000 background calls an hour would fill a window of 20 per 10 s many times over;
    // the window counts only the sync's, so a 200-record backlog syncs at once.
    let text = backlog(
        200,
        3_600_000,
        200,
        "1h",
        "background_calls_per_hour = 10000\n[[api.windows]]\ncalls = 20\nper = \"10s\"\n",
    );
    let (_, r) = run(&text);
    assert_eq!(r.windows().peaks, [1]);
    assert_eq!(r.windows().waited, 0);
    assert!(r.api().calls[2] > 9000);
}

/// A generated scenario with short windows: objects, workers, a cap, errors, checks, a
/// daily limit and an outage, under `wait` or `reject`.
fn limited(
    (workers, cap, reject, checks, calls, per_s): (u32, u32, bool, u32, u32, u32),
    (rate, bulk, errors, daily, outage): (u32, u32, bool, bool, bool),
) -> String {
    let mut s = format!(
        "start = \"2026-11-28T20:00:00Z\"\nhorizon = \"6h\"\nsample_interval = \"7m\"\n\
         [objects.A]\nrecords = 3000\nedits_per_hour = {rate}\n\
         [objects.B]\nrecords = 500\nedits_per_hour = {}\nsync = \"both\"\n\
         marketing_edits_per_hour = 300\nbatch_size = 50\nrecords_per_call = 10\n",
        rate / 3
    );
    if errors {
        s += "transient_error_rate = 0.2\npermanent_error_fraction = 0.05\n";
    }
    s += &format!(
        "[sync]\nworkers = {workers}\nbatch_size = 100\nthroughput = 20000\ncycle_wait = \"2m\"\n\
         [api]\nrecords_per_call = 25\ncalls_per_cycle = {checks}\nmax_concurrent_calls = {cap}\n"
    );
    if daily {
        s += "daily_limit = 3000\nbackground_calls_per_hour = 60\n";
    }
    if reject {
        s += "at_limit = \"reject\"\nbackoff = \"2s\"\nmax_backoff = \"30s\"\n";
    }
    s += &format!(
        "[[api.windows]]\ncalls = {}\nper = \"{per_s}s\"\n[[api.windows]]\ncalls = {}\nper = \"10m\"\n",
        calls + checks + 5,
        (calls + checks + 5) * 4
    );
    s += &format!(
        "[retry]\ninterval = \"5m\"\nmax_attempts = 3\n\
         [events.bulk]\nkind = \"bulk_update\"\nat = \"1h\"\nobject = \"A\"\ncount = {bulk}\nspread = \"20m\"\n"
    );
    if outage {
        s += "[events.outage]\nkind = \"sync_disabled\"\nat = \"2h\"\nduration = \"25m\"\n";
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Conservation and the engine's invariants hold at every sample with short windows
    /// on, and the run is the same whether a helper thread draws the edits or not.
    #[test]
    fn records_are_conserved_and_runs_repeat_under_short_windows(
        sync in (1u32..4, 1u32..4, any::<bool>(), 0u32..4, 0u32..30, 1u32..90),
        load in (0u32..6000, 1u32..3000, any::<bool>(), any::<bool>(), any::<bool>()),
    ) {
        let text = limited(sync, load);
        let sc = from_str(&text, "generated.toml", "generated", &[])
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let audited = simulate_with(&sc, 7, Inputs { audit: true, ..Inputs::default() });
        prop_assert!(audited.check_conservation().is_ok(), "{}", text);
        let peaks = &audited.windows().peaks;
        prop_assert!(peaks[0] <= sc.api.burst.windows[0].calls, "{}", text);
        prop_assert!(peaks[1] <= sc.api.burst.windows[1].calls, "{}", text);
        let threads = crate::simulate_drawn_ahead(&sc, 7);
        prop_assert!(audited == threads, "two threads gave another run\n{}", text);
    }
}

#[test]
fn the_example_answers_its_question_the_same_on_one_thread_and_two() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/hubspot-burst-backfill.toml");
    let sc = syncsim::load::load(&path, &[]).unwrap();
    let one = simulate(&sc, sc.seed);
    let two = crate::simulate_drawn_ahead(&sc, sc.seed);
    assert_eq!(one, two);
    assert!(one.windows().waited > HOUR);
}
