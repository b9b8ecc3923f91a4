//! Cascades and echoes (issue 21 item 2), computed by hand.
//!
//! At 10,000 cost units per hour a record takes 360 ms. With no background edits the sync
//! looks at 0, 5 m and 10 m (a cycle wait of 5 minutes after each empty look), so a bulk
//! update at 10 m is taken by the look at 10 m (scheduled before the update's caused
//! edits); after a batch the worker looks again at once and, finding nothing, waits 5
//! minutes from then.

use super::{run, scenario};
use syncsim::engine::{simulate, simulate_with, Inputs};
use syncsim::scenario::{Direction, QueueId};
use syncsim::units::{MINUTE, SECOND};

/// One Lead object syncing both ways, a bulk update of 100 Leads on the marketing side at
/// 10 m, and `rules` after it.
fn leads_both_ways(rules: &str) -> String {
    format!(
        r#"
start = "2026-11-23T00:00:00Z"
horizon = "1h"
[objects.Lead]
records = 1000
sync = "both"
[sync]
throughput = 10_000
[events.change]
kind = "bulk_update"
at = "10m"
object = "Lead"
direction = "to_crm"
count = 100
{rules}
"#
    )
}

const TO_MARKETING: QueueId = QueueId::new(0, Direction::ToMarketing);
const TO_CRM: QueueId = QueueId::new(0, Direction::ToCrm);

#[test]
fn an_echo_fraction_of_one_doubles_the_entries_of_a_two_way_sync() {
    let (_, without) = run(&leads_both_ways(""));
    assert_eq!(without.totals().entries_created, 100);
    // The 100 updates synced to the CRM at 10 m 36 s re-stamp their records there: 100
    // CRM-side edits, 100 more entries, synced by the look 5 minutes later (16 m 12 s).
    let (_, r) = run(&leads_both_ways(
        "[echoes.writeback]\nobject = \"Lead\"\ndirection = \"to_crm\"\nas = \"update\"\n",
    ));
    assert_eq!(r.totals().entries_created, 200);
    assert_eq!(r.counters(TO_MARKETING).echo_edits, 100);
    assert_eq!(r.counters(TO_MARKETING).synced, 100);
    assert_eq!(r.counters(TO_CRM).echo_edits, 0);
    assert_eq!(r.totals().edits, 200);
    // The update waits for what it caused: it clears when the echoes are synced.
    let change = &r.events()[0];
    assert_eq!(change.entries, 200);
    assert_eq!(change.clear_time(), Some(6 * MINUTE + 12 * SECOND));
    assert_eq!(without.events()[0].clear_time(), Some(36 * SECOND));
    // Each echo waited from 10 m 36 s to 16 m 12 s.
    let latency = r.latency(TO_MARKETING).unwrap();
    assert_eq!((latency.p50, latency.max), (336 * SECOND, 336 * SECOND));
}

#[test]
fn an_echo_as_a_skip_queues_skips_and_a_fraction_of_zero_nothing() {
    let (_, r) = run(&leads_both_ways(
        "[echoes.writeback]\nobject = \"Lead\"\ndirection = \"to_crm\"\n",
    ));
    assert_eq!(r.counters(TO_MARKETING).skipped, 100);
    assert_eq!(r.counters(TO_MARKETING).synced, 0);
    // 100 skips at 0.1 unit each take 3.6 s: clear at 10 m 36 s + 5 m + 3.6 s.
    assert_eq!(r.events()[0].clear_time(), Some(5 * MINUTE + 39_600));
    let (_, none) = run(&leads_both_ways(
        "[echoes.writeback]\nobject = \"Lead\"\nfraction = 0\n",
    ));
    assert_eq!(none.totals().echo_edits, 0);
    assert_eq!(none.totals().entries_created, 100);
}

/// Accounts (100, CRM side) and Contacts (`contacts` records), 10 Accounts edited at 10 m,
/// and a cascade from Account to Contact with `keys`.
fn accounts_and_contacts(contacts: u32, keys: &str) -> String {
    format!(
        r#"
start = "2026-11-23T00:00:00Z"
horizon = "1h"
[objects.Account]
records = 100
[objects.Contact]
records = {contacts}
[sync]
throughput = 10_000
[events.owners]
kind = "bulk_update"
at = "10m"
object = "Account"
count = 10
[cascades.contacts]
from = "Account"
to = "Contact"
{keys}
"#
    )
}

const CONTACT: QueueId = QueueId::new(1, Direction::ToMarketing);

#[test]
fn a_bulk_update_cascades_three_edits_per_edit_after_the_delay() {
    // One Contact record: the 30 caused edits are 1 entry and 29 coalesced edits. They are
    // made at 12 m; the 10 Accounts (3.6 s) are done at 10 m 3.6 s, the next look is 5
    // minutes later, and the Contact takes 0.36 s: the update clears 5 m 3.96 s after 10 m.
    let (_, r) = run(&accounts_and_contacts(1, "count = 3\ndelay = \"2m\""));
    let c = r.counters(CONTACT);
    assert_eq!((c.edits, c.cascade_edits), (30, 30));
    assert_eq!((c.entries_created, c.coalesced, c.synced), (1, 29, 1));
    assert_eq!(r.totals().bulk_edits, 10);
    let owners = &r.events()[0];
    assert_eq!(owners.clear_time(), Some(5 * MINUTE + 3_960));
    assert_eq!(owners.entries, 11);
    // Latency counts from the caused edit: 12 m to 15 m 3.96 s.
    assert_eq!(r.latency(CONTACT).unwrap().max, 3 * MINUTE + 3_960);
    // Without the delay the caused edits come at 10 m, after the look that took the
    // Accounts: the Contact is taken as that batch ends and done at 10 m 3.96 s.
    let (_, now) = run(&accounts_and_contacts(1, "count = 3"));
    assert_eq!(now.events()[0].clear_time(), Some(3_960));
    assert_eq!(now.counters(CONTACT).cascade_edits, 30);
}

#[test]
fn a_fixed_count_gives_exactly_that_many_edits_per_edit_and_a_random_one_its_mean() {
    for k in [0, 1, 3, 7] {
        let (_, r) = run(&accounts_and_contacts(1000, &format!("count = {k}")));
        assert_eq!(r.totals().cascade_edits, 10 * k, "count = {k}");
        assert_eq!(r.totals().edits, 10 + 10 * k, "count = {k}");
    }
    // A uniform count of 2..=4 over 10 edits: between 20 and 40; many seeds average 30.
    let sc = scenario(&accounts_and_contacts(1000, "count_min = 2\ncount_max = 4"));
    let mut sum = 0;
    for seed in 0..200 {
        let n = simulate(&sc, seed).totals().cascade_edits;
        assert!((20..=40).contains(&n), "{n}");
        sum += n;
    }
    let mean = sum as f64 / 200.0;
    assert!((29.0..31.0).contains(&mean), "{mean}");
    let sc = scenario(&accounts_and_contacts(1000, "count_mean = 2.5"));
    let sum: u64 = (0..200)
        .map(|s| simulate(&sc, s).totals().cascade_edits)
        .sum();
    let mean = sum as f64 / 200.0;
    assert!((23.0..27.0).contains(&mean), "{mean}");
}

#[test]
fn a_cascade_of_skips_queues_skips() {
    let (_, r) = run(&accounts_and_contacts(1, "count = 3\nsynced_fields = 0"));
    let c = r.counters(CONTACT);
    assert_eq!((c.synced, c.skipped), (0, 1));
}

#[test]
fn a_cascade_on_synced_updates_edits_the_side_written_to() {
    // Accounts sync to marketing; each synced Account makes 2 edits of Contacts on the
    // marketing side, which flow to the CRM. Background Account edits never trigger it.
    let text = r#"
start = "2026-11-23T00:00:00Z"
horizon = "2h"
[objects.Account]
records = 100
[objects.Contact]
records = 1
sync = "to_crm"
[sync]
throughput = 10_000
[events.owners]
kind = "bulk_update"
at = "10m"
object = "Account"
count = 10
[cascades.marketing_rescore]
from = "Account"
on = "synced"
to = "Contact"
count = 2
"#;
    let (_, r) = run(text);
    let contact = r.counters(QueueId::new(1, Direction::ToCrm));
    assert_eq!((contact.cascade_edits, contact.entries_created), (20, 1));
    // The Accounts are synced at 10 m 3.6 s, the Contact at the next look, 5 m later.
    assert_eq!(r.events()[0].clear_time(), Some(5 * MINUTE + 3_960));
}

#[test]
fn self_feeding_rules_are_refused_with_the_cycle_and_its_product() {
    let refused = |rules: &str| {
        syncsim::scenario::from_str(&leads_both_ways(rules), "loop.toml", "loop", &[])
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        refused("[echoes.writeback]\nobject = \"Lead\"\nas = \"update\"\n"),
        "scenario 'loop.toml': echoes.writeback: these rules feed themselves for ever: \
         echoes.writeback (Lead synced, to_marketing) -> echoes.writeback (Lead synced, \
         to_crm) -> echoes.writeback (Lead synced, to_marketing); each caused edit causes 1 \
         more around the cycle (the product of the mean counts and synced fractions along \
         it), which must be below 1; lower a count or fraction, make an echo a skip, or \
         break the cycle"
    );
    // A cascade of Leads onto Leads at a mean of 1.5 a edit.
    let message = refused(
        "[cascades.dedupe]\nfrom = \"Lead\"\nto = \"Lead\"\ndirection = \"to_crm\"\ncount_mean = 1.5\n",
    );
    assert!(message.contains("cascades.dedupe (Lead edit) -> cascades.dedupe (Lead edit); each caused edit causes 1.5 more"), "{message}");
    // Two rules through each other: 2 x 0.5 = 1.
    let message = refused(
        "[cascades.a]\nfrom = \"Lead\"\nto = \"Lead\"\ndirection = \"to_crm\"\non = \"synced\"\ncount = 2\nsynced_fields = 0.5\n\
         [echoes.b]\nobject = \"Lead\"\ndirection = \"to_marketing\"\nfraction = 1\nas = \"update\"\n",
    );
    assert!(
        message.contains("cascades.a (Lead synced) -> echoes.b (Lead synced) -> cascades.a"),
        "{message}"
    );
    assert!(message.contains("causes 1 more"), "{message}");
    // Below 1 each, but together above: a rule feeding itself at 0.6 and through another
    // at 0.6 grows by about 1.06 a generation.
    let message = refused(
        "[cascades.a]\nfrom = \"Lead\"\nto = \"Lead\"\ndirection = \"to_crm\"\ncount_mean = 0.6\n\
         [cascades.b]\nfrom = \"Lead\"\nto = \"Lead\"\ndirection = \"to_crm\"\ncount_mean = 0.6\n",
    );
    assert!(message.contains("feed each other for ever"), "{message}");
    assert!(message.contains("makes 1.2 times as many"), "{message}");
    // Skips feed nothing: echoes both ways as skips, or as updates at half, are allowed.
    scenario(&leads_both_ways("[echoes.writeback]\nobject = \"Lead\"\n"));
    scenario(&leads_both_ways(
        "[echoes.writeback]\nobject = \"Lead\"\nfraction = 0.5\nas = \"update\"\n",
    ));
}

#[test]
fn chains_stop_at_max_generations_and_say_how_often() {
    // Echoes both ways at 0.5, capped at one generation: every echo's own synced update is
    // a trigger of generation 1, which sets nothing off and is counted.
    let echo = "[echoes.writeback]\nobject = \"Lead\"\nfraction = 0.5\nas = \"update\"\n";
    // `max_generations` is a top-level key: it goes before the first table.
    let text = format!("max_generations = 1\n{}", leads_both_ways(echo));
    let sc = scenario(&text);
    for seed in 1..20 {
        let r = simulate(&sc, seed);
        r.check_conservation().unwrap();
        let echoes = r.counters(TO_MARKETING).echo_edits;
        assert!(echoes > 0 && echoes < 100, "{echoes}");
        assert_eq!(r.counters(TO_CRM).echo_edits, 0);
        assert_eq!(r.totals().caused_capped, r.counters(TO_MARKETING).synced);
        assert_eq!(r.counters(TO_MARKETING).synced, echoes);
    }
    // Uncapped, echoes of echoes happen.
    let uncapped = scenario(&leads_both_ways(echo));
    let back: u64 = (1..20)
        .map(|s| simulate(&uncapped, s).counters(TO_CRM).echo_edits)
        .sum();
    assert!(back > 0);
}

/// Background edits on both sides, errors, a bulk update, a cascade on edits with a delay
/// and one on synced updates, echoes both ways: everything at once.
fn busy() -> String {
    r#"
start = "2026-11-23T00:00:00Z"
horizon = "1d"
[objects.Account]
records = 2000
sync = "both"
edits_per_hour = 300
marketing_edits_per_hour = 100
transient_error_rate = 0.05
[objects.Contact]
records = 10000
sync = "both"
edits_per_hour = 500
record_choice = "zipf"
zipf_exponent = 1.1
filter_pass = 0.8
[sync]
throughput = 20_000
[events.owners]
kind = "bulk_update"
at = "3h"
object = "Account"
count = 1500
spread = "30m"
[cascades.contacts]
from = "Account"
to = "Contact"
direction = "to_marketing"
count_mean = 3
delay = "2m"
synced_fields = 0.7
[cascades.rollup]
from = "Contact"
on = "synced"
to = "Account"
count_min = 0
count_max = 1
synced_fields = 0.5
[echoes.writeback]
object = "Contact"
fraction = 0.4
as = "update"
delay = "30s"
"#
    .to_string()
}

#[test]
fn conservation_holds_at_every_sample_with_cascades_and_echoes() {
    let sc = scenario(&busy());
    for seed in [1, 2, 3] {
        let r = simulate_with(
            &sc,
            seed,
            Inputs {
                audit: true,
                ..Inputs::default()
            },
        );
        r.check_conservation().unwrap();
        let t = r.totals();
        assert_eq!(
            t.edits,
            t.background_edits + t.bulk_edits + t.cascade_edits + t.echo_edits
        );
        assert!(t.cascade_edits > 0 && t.echo_edits > 0);
        // The audit checks what every sample point conserves; the run is the same.
        assert!(r == simulate(&sc, seed));
    }
}

#[test]
fn cascades_and_echoes_give_the_same_run_on_one_thread_and_two() {
    let sc = scenario(&busy());
    for seed in [1, 5] {
        let ahead = crate::simulate_drawn_ahead(&sc, seed);
        assert!(ahead == simulate(&sc, seed), "seed {seed}");
    }
    assert!(syncsim::engine::seeds::varies_by_seed(&sc));
}

#[test]
fn the_work_estimate_counts_caused_edits() {
    use syncsim::engine::WorkEstimate;
    let text = accounts_and_contacts(1000, "count = 3");
    let without = &text[..text.find("[cascades").unwrap()];
    let plain = WorkEstimate::of(&scenario(without));
    let three = WorkEstimate::of(&scenario(&text));
    // 10 bulk edits set off 10 triggers of 3 edits each: 30 more edits, 10 more events.
    assert_eq!(three.edits - plain.edits, 30.0);
    assert_eq!(three.other - plain.other, 10.0);
}
