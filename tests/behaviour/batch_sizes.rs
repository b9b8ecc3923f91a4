//! Per-object batch sizes and records per call (issue 21 item 6), computed by hand.
//!
//! At 10,000 cost units per hour a record takes 360 ms: a batch of 200 updates 72 s, of 100
//! updates 36 s, of 50 updates 18 s. Both bulk updates happen at 10 m, Opportunities stamped
//! first (declared first), and the sync looks at once.

use super::{run, scenario};
use syncsim::units::SECOND;

/// Opportunity (200 a batch, 200 a call) and Lead (100 a batch, 50 a call); a bulk update
/// of `first` then one of `second` (object, count), both at 10 m, named `first` and `second`.
fn two_objects(policy: &str, first: (&str, u32), second: (&str, u32)) -> String {
    format!(
        r#"
start = "2026-11-23T00:00:00Z"
horizon = "1d"
[objects.Opportunity]
records = 1000
[objects.Lead]
records = 1000
batch_size = 100
records_per_call = 50
[sync]
throughput = 10_000
policy = "{policy}"
[events.first]
kind = "bulk_update"
at = "10m"
object = "{}"
count = {}
[events.second]
kind = "bulk_update"
at = "10m"
object = "{}"
count = {}
"#,
        first.0, first.1, second.0, second.1
    )
}

#[test]
fn an_object_with_its_own_batch_size_drains_in_batches_of_it() {
    // Priority, Opportunity first: 2 batches of 200 (72 s each, one call each), then Leads in
    // 4 batches of 100 (36 s each, two calls of 50 each).
    let (_, r) = run(&two_objects(
        "priority",
        ("Opportunity", 400),
        ("Lead", 400),
    ));
    let clear: Vec<_> = r.events().iter().map(|e| e.clear_time()).collect();
    assert_eq!(clear, [Some(144 * SECOND), Some(288 * SECOND)]);
    assert_eq!(r.batches(), 6);
    assert_eq!(r.api().calls[0], 2 + 4 * 2);
}

#[test]
fn a_mixed_batch_holds_the_smallest_batch_size_of_its_objects() {
    // FIFO, 250 Opportunities then 400 Leads: batch 1 is 200 Opportunities (72 s, 1 call);
    // batch 2 the last 50 Opportunities and 50 Leads, 100 records as the Lead's size allows
    // (36 s, 1 + 1 calls), clearing the Opportunities at 108 s; then Leads 100, 100, 100
    // and 50 (36 + 36 + 36 + 18 s, 2 + 2 + 2 + 1 calls) clear at 234 s.
    let (_, r) = run(&two_objects("fifo", ("Opportunity", 250), ("Lead", 400)));
    let clear: Vec<_> = r.events().iter().map(|e| e.clear_time()).collect();
    assert_eq!(clear, [Some(108 * SECOND), Some(234 * SECOND)]);
    assert_eq!(r.batches(), 6);
    assert_eq!(r.api().calls[0], 1 + 2 + 2 + 2 + 2 + 1);

    // Leads first (250, stamped before 400 Opportunities): 100, 100, then the last 50 Leads
    // with only 50 Opportunities, as the Lead in the batch caps it at 100 (36 s each, 2 + 2
    // + (1 + 1) calls), clearing the Leads at 108 s; then 200 and 150 Opportunities (72 + 54
    // s, 1 + 1 calls) clear them at 234 s.
    let leads_first = two_objects("fifo", ("Lead", 250), ("Opportunity", 400));
    let (_, r) = run(&leads_first);
    let clear: Vec<_> = r.events().iter().take(2).map(|e| e.clear_time()).collect();
    assert_eq!(clear, [Some(108 * SECOND), Some(234 * SECOND)]);
    assert_eq!(
        (r.batches(), r.api().calls[0]),
        (5, 2 + 2 + (1 + 1) + 1 + 1)
    );
}

#[test]
fn objects_sharing_one_size_run_as_the_sync_wide_size_does() {
    let own = two_objects("fifo", ("Opportunity", 250), ("Lead", 400)).replace(
        "[objects.Opportunity]\nrecords = 1000\n",
        "[objects.Opportunity]\nrecords = 1000\nbatch_size = 100\nrecords_per_call = 50\n",
    );
    let sync_wide = two_objects("fifo", ("Opportunity", 250), ("Lead", 400))
        .replace("batch_size = 100\nrecords_per_call = 50\n", "")
        .replace("[sync]\n", "[sync]\nbatch_size = 100\n")
        .replace(
            "[events.first]",
            "[api]\nrecords_per_call = 50\n[events.first]",
        );
    let (a, b) = (run(&own).1, run(&sync_wide).1);
    assert_eq!(a.api().calls, b.api().calls);
    let clear = |r: &syncsim::metrics::RunResult| -> Vec<_> {
        r.events().iter().map(|e| e.clear_time()).collect()
    };
    // 650 records in batches of 100: 6 full and one of 50, the Opportunities in the first
    // 2.5 batches.
    assert_eq!(clear(&a), [Some(108 * SECOND), Some(234 * SECOND)]);
    assert_eq!(clear(&a), clear(&b));
    assert_eq!(a.api().calls[0], 13);
}

#[test]
fn the_daily_limit_must_hold_the_costliest_full_batch() {
    // Lead: 100 records at 10 a call is 10 calls; the sync-wide 200 at 200 is 1.
    let text = "start = \"2026-11-23T00:00:00Z\"\n[objects.Account]\nrecords = 10\n\
                [objects.Lead]\nrecords = 10\nbatch_size = 100\nrecords_per_call = 10\n\
                [api]\ndaily_limit = 9\n";
    let e = syncsim::scenario::from_str(text, "t.toml", "t", &[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "scenario 't.toml': api.daily_limit: is 9 but one cycle's check (0) and one full batch \
         of Lead (10 calls) need 10; the sync could never run"
    );
    let sc = scenario(&text.replace("daily_limit = 9", "daily_limit = 10"));
    assert_eq!(
        sc.objects
            .iter()
            .map(|o| (o.batch_size, o.records_per_call))
            .collect::<Vec<_>>(),
        [(200, 200), (100, 10)]
    );
    let e = syncsim::scenario::from_str(
        &text.replace("batch_size = 100", "batch_size = 0"),
        "t.toml",
        "t",
        &[],
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .ends_with("objects.Lead.batch_size: must be 1..=1000000 (got 0)"),
        "{e}"
    );
}
