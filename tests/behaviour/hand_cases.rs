//! Exact expectations on small scenarios whose answers are computed by hand.
//!
//! Common arithmetic: at 10,000 cost units per hour a batch of 200 updates takes
//! 200 * 3,600,000 / 10,000 = 72,000 ms. The sync looks at 0, 5 m, 10 m, ... while idle, and an
//! event at 10 m is scheduled before the look at 10 m, so a bulk update at 10 m is picked up
//! at once.

use super::run;
use syncsim::units::{HOUR, MINUTE, SECOND};

const BATCH_72S: u64 = 72 * SECOND;

fn one_object(records: u32, sync: &str, events: &str) -> String {
    format!(
        r#"
start = "2026-11-23T00:00:00Z"
horizon = "1d"
[objects.Lead]
records = {records}
[sync]
throughput = 10_000
batch_size = 200
{sync}
{events}
"#
    )
}

#[test]
fn backlog_of_b_clears_in_b_over_t() {
    // B = 1,000 updates at T = 10,000/h: 0.1 h = 360 s, five batches of 72 s.
    let (_, r) = run(&one_object(
        1000,
        "",
        r#"[events.load]
kind = "bulk_update"
at = "10m"
object = "Lead"
count = 1000"#,
    ));
    let e = &r.events()[0];
    assert_eq!(e.clear_time(), Some(360 * SECOND));
    assert_eq!(e.recovery_time(), Some(360 * SECOND));
    assert_eq!(e.synced, 1000);
    assert_eq!(r.batches(), 5);
    let l = r.object_latency(0).unwrap();
    // Nearest rank: the 500th record is in batch 3 (done at 216 s); the 900th in batch 5.
    assert_eq!(
        (l.p50, l.p90, l.max),
        (3 * BATCH_72S, 5 * BATCH_72S, 5 * BATCH_72S)
    );
    assert_eq!(r.totals().synced, 1000);
}

#[test]
fn a_partial_last_batch_clears_to_the_millisecond() {
    // 1,050 = 5 full batches + 50 records (18 s): B / T = 378 s exactly.
    let (_, r) = run(&one_object(
        2000,
        "",
        r#"[events.load]
kind = "bulk_update"
at = "10m"
object = "Lead"
count = 1050"#,
    ));
    assert_eq!(r.events()[0].clear_time(), Some(378 * SECOND));
    assert_eq!(r.batches(), 6);
}

#[test]
fn skips_cost_their_share_and_overhead_adds_per_batch() {
    // 400 skips at 0.1 each = 40 units: two batches of 20 units = 7.2 s each, plus 1 s overhead.
    let (_, r) = run(&one_object(
        1000,
        "batch_overhead = \"1s\"",
        r#"[events.touch]
kind = "bulk_update"
at = "10m"
object = "Lead"
count = 400
synced_fields = false"#,
    ));
    let e = &r.events()[0];
    assert_eq!(e.clear_time(), Some(2 * (7_200 + 1_000)));
    assert_eq!((e.synced, e.skipped), (0, 400));
    assert!(r.object_latency(0).is_none(), "skips are not in latency");
}

fn two_objects(policy: &str) -> String {
    format!(
        r#"
start = "2026-11-23T00:00:00Z"
horizon = "1d"
[objects.Lead]
records = 1000
[objects.Opportunity]
records = 1000
[sync]
throughput = 10_000
{policy}
[events.opportunities]
kind = "bulk_update"
at = "10m"
object = "Opportunity"
count = 400
[events.leads]
kind = "bulk_update"
at = "10m"
object = "Lead"
count = 400
"#
    )
}

#[test]
fn fifo_drains_in_stamp_order_across_objects() {
    // Opportunities were stamped first (declared first, same instant): they go first.
    let (_, r) = run(&two_objects("policy = \"fifo\""));
    assert_eq!(r.events()[0].name, "opportunities");
    assert_eq!(r.events()[0].clear_time(), Some(2 * BATCH_72S));
    assert_eq!(r.events()[1].clear_time(), Some(4 * BATCH_72S));
}

#[test]
fn priority_drains_the_first_object_in_the_order_first() {
    let (_, r) = run(&two_objects(
        "policy = \"priority\"\norder = [\"Lead\", \"Opportunity\"]",
    ));
    assert_eq!(r.events()[1].name, "leads");
    assert_eq!(r.events()[1].clear_time(), Some(2 * BATCH_72S));
    assert_eq!(r.events()[0].clear_time(), Some(4 * BATCH_72S));
}

#[test]
fn round_robin_alternates_slices() {
    // Slices of 200 = one batch each: Lead, Opportunity, Lead, Opportunity.
    let (_, r) = run(&two_objects(
        "policy = \"round_robin\"\norder = [\"Lead\", \"Opportunity\"]\nslice = 200",
    ));
    assert_eq!(
        r.events()[1].clear_time(),
        Some(3 * BATCH_72S),
        "leads: batches 1 and 3"
    );
    assert_eq!(
        r.events()[0].clear_time(),
        Some(4 * BATCH_72S),
        "opportunities: batches 2 and 4"
    );
}

#[test]
fn two_workers_halve_the_clear_time() {
    let (_, r) = run(&two_objects("workers = 2"));
    // 800 records, two lanes of 72 s batches: both events done by 144 s.
    assert_eq!(r.events()[0].clear_time(), Some(BATCH_72S));
    assert_eq!(r.events()[1].clear_time(), Some(2 * BATCH_72S));
}

#[test]
fn ten_edits_of_the_same_records_leave_one_entry_each() {
    let mut events = String::from("[events.off]\nkind = \"sync_disabled\"\nat = \"1m\"\n");
    for i in 1..=10 {
        events.push_str(&format!(
            "[events.edit{i}]\nkind = \"bulk_update\"\nat = \"{i}h\"\nobject = \"Lead\"\ncount = 1000\n"
        ));
    }
    let (_, r) = run(&one_object(5000, "", &events));
    let t = r.totals();
    assert_eq!(
        (t.edits, t.entries_created, t.coalesced),
        (10_000, 1000, 9000)
    );
    assert_eq!(r.object_pending_end(0).queued, 1000);
    assert_eq!(r.max_backlog(), 1000);
    let last = r.sample_times().len() - 1;
    assert_eq!(r.sample_total(last), 1000);
}

#[test]
fn a_gated_object_waits_for_its_gate_to_clear() {
    let text = |gates: &str| {
        format!(
            r#"
start = "2026-11-23T00:00:00Z"
horizon = "1d"
[objects.Account]
records = 1000
[objects.Contact]
records = 1000
[sync]
throughput = 10_000
policy = "round_robin"
order = ["Contact", "Account"]
{gates}
[events.accounts]
kind = "bulk_update"
at = "10m"
object = "Account"
count = 1000
[events.contacts]
kind = "bulk_update"
at = "10m"
object = "Contact"
count = 200
"#
        )
    };
    let (_, gated) = run(&text("gates = { Contact = \"Account\" }"));
    // Five Account batches (360 s) must complete before the Contact batch may start.
    assert_eq!(gated.events()[0].clear_time(), Some(5 * BATCH_72S));
    assert_eq!(gated.events()[1].clear_time(), Some(6 * BATCH_72S));
    let (_, free) = run(&text(""));
    assert_eq!(
        free.events()[1].clear_time(),
        Some(BATCH_72S),
        "ungated Contact goes first"
    );
}

#[test]
fn nothing_syncs_while_disabled_and_the_backlog_drains_after() {
    let (_, r) = run(&one_object(
        1000,
        "",
        r#"[events.release]
kind = "sync_disabled"
at = "5m"
duration = "2h"
[events.load]
kind = "bulk_update"
at = "10m"
object = "Lead"
count = 1000"#,
    ));
    // Re-enabled at 2h05m, the sync looks at once: clear 360 s later.
    let e = &r.events()[0];
    assert_eq!(e.clear, Some(2 * HOUR + 5 * MINUTE + 360 * SECOND));
    // Every sample inside the window holds the whole backlog; nothing completes in it.
    for (i, &t) in r.sample_times().iter().enumerate() {
        if t > 10 * MINUTE && t <= 2 * HOUR + 5 * MINUTE {
            assert_eq!(r.sample_total(i), 1000, "sample at {t}");
        }
    }
    assert_eq!(r.completed_in_hour(0, 0) + r.completed_in_hour(1, 0), 0);
    assert_eq!(r.completed_in_hour(2, 0), 1000);
}

#[test]
fn an_explicit_outage_window_behaves_like_a_duration() {
    let (_, r) = run(&one_object(
        1000,
        "",
        r#"[events.off]
kind = "sync_disabled"
at = "5m"
[events.on]
kind = "sync_enabled"
at = "2h5m"
[events.load]
kind = "bulk_update"
at = "10m"
object = "Lead"
count = 1000"#,
    ));
    assert_eq!(
        r.events()[0].clear,
        Some(2 * HOUR + 5 * MINUTE + 360 * SECOND)
    );
}

#[test]
fn throughput_change_applies_to_later_batches() {
    // Double the throughput after the first batch: 72 s, then four batches of 36 s.
    let (_, r) = run(&one_object(
        1000,
        "",
        r#"[events.load]
kind = "bulk_update"
at = "10m"
object = "Lead"
count = 1000
[events.faster]
kind = "set_throughput"
at = "10m30s"
throughput = 20_000"#,
    ));
    assert_eq!(
        r.events()[0].clear_time(),
        Some(BATCH_72S + 4 * 36 * SECOND)
    );
}

#[test]
fn zero_throughput_never_clears() {
    let (_, r) = run(&one_object(
        1000,
        "",
        r#"[events.load]
kind = "bulk_update"
at = "10m"
object = "Lead"
count = 1000
[events.stall]
kind = "set_throughput"
at = "1m"
throughput = 0"#,
    ));
    assert_eq!(r.events()[0].clear, None);
    assert_eq!(r.events()[0].recovery, None);
    assert_eq!(r.events()[0].still_pending, 1000);
}

#[test]
fn a_requeued_record_moves_behind_newer_entries() {
    // Record 0 is edited first, then 399 others, then record 0 again. With requeue it leaves
    // last (in the second batch); without, it leaves in the first.
    let text = |requeue: bool| {
        one_object(
            1000,
            &format!("requeue = {requeue}"),
            r#"[events.first]
kind = "bulk_update"
at = "10m"
object = "Lead"
count = 400
[events.again]
kind = "bulk_update"
at = "10m"
object = "Lead"
count = 1"#,
        )
    };
    let (_, with) = run(&text(true));
    assert_eq!(with.events()[1].clear_time(), Some(2 * BATCH_72S));
    let (_, without) = run(&text(false));
    assert_eq!(without.events()[1].clear_time(), Some(BATCH_72S));
    // Either way the second edit coalesced: 400 entries.
    assert_eq!(with.totals().entries_created, 400);
}

#[test]
fn enabling_an_object_queues_every_record_ahead_of_later_edits() {
    let (_, r) = run(r#"
start = "2026-11-23T00:00:00Z"
horizon = "1d"
preset = "dynamics"
[objects.Lead]
records = 1000
[objects.Custom]
records = 1000
[sync]
throughput = 10_000
[events.new_entity]
kind = "enable_object"
at = "10m"
object = "Custom"
[events.leads]
kind = "bulk_update"
at = "10m1s"
object = "Lead"
count = 200
"#);
    // Strict FIFO: the 1,000 custom records (5 batches) go before the 200 Leads.
    assert_eq!(r.events()[0].clear_time(), Some(5 * BATCH_72S));
    assert_eq!(r.events()[1].clear, Some(10 * MINUTE + 6 * BATCH_72S));
}

#[test]
fn filtered_records_queue_nothing() {
    let (_, r) = run(r#"
start = "2026-11-23T00:00:00Z"
horizon = "1d"
[objects.Lead]
records = 10000
filter_pass = 0.0
edits_per_hour = 1000
"#);
    let t = r.totals();
    assert!(t.edits > 20_000);
    assert_eq!(t.filtered, t.edits);
    assert_eq!(r.max_backlog(), 0);
}

#[test]
fn both_directions_count_in_the_backlog() {
    let (_, r) = run(r#"
start = "2026-11-23T00:00:00Z"
horizon = "1d"
[objects.Lead]
records = 1000
sync = "both"
[events.off]
kind = "sync_disabled"
at = "1m"
[events.crm]
kind = "bulk_update"
at = "1h"
object = "Lead"
count = 300
direction = "to_marketing"
[events.mkt]
kind = "bulk_update"
at = "1h"
object = "Lead"
count = 500
direction = "to_crm"
"#);
    // The same record pending in both directions is two backlog entries.
    let last = r.sample_times().len() - 1;
    assert_eq!(r.sample_total(last), 800);
    assert_eq!(
        r.sample_direction(last, syncsim::scenario::Direction::ToMarketing),
        300
    );
    assert_eq!(
        r.sample_direction(last, syncsim::scenario::Direction::ToCrm),
        500
    );
}

#[test]
fn an_idle_lane_rejoins_when_more_work_is_eligible() {
    // Regression: a lane that once found nothing stayed idle while the others kept draining a
    // continuous backlog. Here 700 records fill three lanes and half of a fourth; lane 4 finds
    // nothing at 10m36s; 8,000 more arrive at 10m40s. At 11m12s the first completion finds
    // work and all four lanes run from then on: 40 batches in 10 rounds of 72 s.
    let (_, r) = run(&one_object(
        100_000,
        "workers = 4",
        r#"[events.first]
kind = "bulk_update"
at = "10m"
object = "Lead"
count = 700
[events.second]
kind = "bulk_update"
at = "10m40s"
object = "Lead"
first_record = 1000
count = 8000
"#,
    ));
    assert_eq!(
        r.events()[1].clear,
        Some(11 * MINUTE + 12 * SECOND + 10 * BATCH_72S)
    );
}

#[test]
fn every_lane_resumes_after_an_outage() {
    // Lanes finish their batches inside the outage; all four start again when it ends.
    let (_, r) = run(&one_object(
        100_000,
        "workers = 4",
        r#"[events.load]
kind = "bulk_update"
at = "10m"
object = "Lead"
count = 8000
[events.blip]
kind = "sync_disabled"
at = "10m30s"
duration = "1m"
"#,
    ));
    // The batches running at 10m30s finish at 11m12s; the outage ends at 11m30s, when all four
    // lanes start again: 9 more rounds of 72 s.
    assert_eq!(
        r.events()[0].clear,
        Some(11 * MINUTE + 30 * SECOND + 9 * BATCH_72S)
    );
}

#[test]
fn workers_removed_then_added_back_never_lose_a_batch() {
    // Regression: raising workers again while a removed lane was still busy overwrote its
    // running batch, leaving records in flight forever.
    let (_, r) = run(&one_object(
        100_000,
        "workers = 4",
        r#"[events.load]
kind = "bulk_update"
at = "10m"
object = "Lead"
count = 4000
[events.fewer]
kind = "set_workers"
at = "10m10s"
workers = 1
[events.more]
kind = "set_workers"
at = "10m20s"
workers = 4
"#,
    ));
    assert_eq!(r.object_pending_end(0).in_flight, 0);
    assert_eq!(r.events()[0].synced, 4000);
    assert_eq!(r.events()[0].clear, Some(10 * MINUTE + 5 * BATCH_72S));
}

#[test]
fn throughput_back_from_zero_resumes_at_once() {
    let (_, r) = run(&one_object(
        100_000,
        "",
        r#"[events.load]
kind = "bulk_update"
at = "10m"
object = "Lead"
count = 400
[events.stall]
kind = "set_throughput"
at = "1m"
throughput = 0
[events.back]
kind = "set_throughput"
at = "1h"
throughput = 10_000
"#,
    ));
    assert_eq!(r.events()[0].clear, Some(HOUR + 2 * BATCH_72S));
}
