//! Other integrations' dated API usage (issue 21 item 4): a weekend and holiday factor on
//! their background calls, and `api_calls` bursts; computed by hand.

use super::run;
use syncsim::units::SECOND;

/// 60 background calls an hour (one a minute) from Friday 4 December 2026 00:00 UTC for
/// three days, with `extra` keys in `[api]` and at the top.
fn background_calls(top: &str, api: &str) -> u64 {
    let text = format!(
        r#"
start = "2026-12-04T00:00:00Z"
horizon = "3d"
{top}
[objects.Lead]
records = 10
[api]
background_calls_per_hour = 60
{api}
"#
    );
    run(&text).1.api().calls[2]
}

#[test]
fn background_calls_follow_the_weekend_and_holiday_factors() {
    // Every minute of the three days but the last (recorded at its end, after the horizon).
    assert_eq!(background_calls("", ""), 3 * 1440 - 1);
    // None on Saturday and Sunday: Friday's 1,440 minutes.
    assert_eq!(background_calls("", "background_weekend_factor = 0"), 1440);
    // Friday a holiday too: its factor is the weekend factor by default, so none at all...
    assert_eq!(
        background_calls(
            "holidays = [\"2026-12-04\"]",
            "background_weekend_factor = 0"
        ),
        0
    );
    // ... or twice the rate with a factor of its own.
    assert_eq!(
        background_calls(
            "holidays = [\"2026-12-04\"]",
            "background_weekend_factor = 0\nbackground_holiday_factor = 2"
        ),
        2 * 1440
    );
}

fn burst(calls: u64, spread: &str) -> String {
    format!(
        r#"
start = "2026-11-23T00:00:00Z"
horizon = "2d"
[objects.Lead]
records = 10000
[sync]
throughput = 10_000
[api]
daily_limit = 1000
[events.data_load]
kind = "api_calls"
at = "10m"
calls = {calls}
spread = "{spread}"
[events.update]
kind = "bulk_update"
at = "10m"
object = "Lead"
count = 2000
"#
    )
}

#[test]
fn a_burst_of_calls_takes_the_allowance_and_the_sync_waits_for_it_to_age_out() {
    // 995 calls at 10 m leave 5 of the 1,000: five batches of 200 (one call, 72 s each)
    // go, then the sync pauses until the burst ages out at 24 h 10 m and the other five
    // batches follow: the update clears 24 h + 5 x 72 s after it began.
    let (_, r) = run(&burst(995, "0"));
    assert_eq!(
        r.events()[0].clear_time(),
        Some(24 * 3600 * SECOND + 360 * SECOND)
    );
    assert_eq!(r.api().calls, [10, 0, 995]);
    // Without the burst: ten batches back to back, 720 s.
    let (_, r) = run(&burst(995, "0").replace("calls = 995", "calls = 1"));
    assert_eq!(r.events()[0].clear_time(), Some(720 * SECOND));
}

#[test]
fn a_spread_burst_is_recorded_minute_by_minute() {
    // 995 calls over 995 minutes: one a minute, so the sync shares the allowance with them
    // as they come and every batch finds a call free; all are recorded within the run.
    let (_, r) = run(&burst(995, "995m"));
    assert_eq!(r.api().calls, [10, 0, 995]);
    assert_eq!(r.events()[0].clear_time(), Some(720 * SECOND));
    // 7 calls over 3 minutes: 3, 2 and 2 (calls 0-2 in the first minute: floor(i x 3 / 7)
    // is 0 for i = 0, 1, 2), all recorded.
    let (_, r) = run(&burst(7, "3m"));
    assert_eq!(r.api().calls[2], 7);
}
