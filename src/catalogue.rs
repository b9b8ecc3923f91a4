//! The metric catalogue: every scalar metric a run can produce, by name pattern, with its
//! unit, which way is better, what a missing value means and a one-line description.
//!
//! It is the one place that knows what a metric name means. Expressions read the unit (so
//! `15m` bounds a `_min` metric as 15) and what "missing" means (so "never" ranks above every
//! number); aggregates across replications and the planner read "missing" too; CI baselines
//! read which way is better; reports read units and descriptions. `docs/outputs.md` lists the
//! same table, checked by a test.
//!
//! A pattern is a dotted name in which `<event>` stands for an event's name (any text),
//! `<Object>` for an object's name (no dots), `<dir>` for `to_marketing` or `to_crm`,
//! `<level>` for a whole number of records in digits (`50000`) and `<bound>` for a duration
//! in its largest whole unit (`15m`, `2h`): the service levels a scenario declares; `<per>`
//! is a short window's length written the same way (`10s`, `5m`).

/// What a metric counts or measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A number of records, edits, calls, batches ...
    Count,
    /// Hours (names end in `_h`).
    Hours,
    /// Minutes (names end in `_min`).
    Minutes,
    /// Records per hour (names end in `_per_h`).
    PerHour,
    /// `1` for Growing, `0` for Normal (names end in `growing`).
    Status,
    /// A share from 0 to 1 (names hold `.share_over.`); bounds may be written `5%`.
    Fraction,
}

impl Unit {
    /// Milliseconds in one unit of a time metric; `None` for the others.
    pub fn millis(self) -> Option<u64> {
        match self {
            Unit::Hours => Some(crate::units::HOUR),
            Unit::Minutes => Some(crate::units::MINUTE),
            _ => None,
        }
    }

    /// The word used in tables and messages.
    pub fn label(self) -> &'static str {
        match self {
            Unit::Count => "count",
            Unit::Hours => "hours",
            Unit::Minutes => "minutes",
            Unit::PerHour => "records per hour",
            Unit::Status => "1 Growing, 0 Normal",
            Unit::Fraction => "fraction (0 to 1)",
        }
    }
}

/// Which way a metric should move for the sync to be doing better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    /// Smaller is better: times, latencies, backlogs, errors, API pressure.
    Lower,
    /// Larger is better: records synced, throughput.
    Higher,
    /// Neither: workload counts that follow from the scenario (edits, entries, cycles).
    Neither,
}

/// What a metric's missing value (`null` in `summary.json`, empty in CSV) means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// It always has a value.
    Impossible,
    /// A time that did not come within the horizon: ranked above every number, written
    /// "never".
    NotWithinHorizon,
    /// An estimate that is infinite (no records completed in the hours considered): ranked
    /// above every number like "never".
    Infinite,
    /// No data to measure (no synced updates): left out of statistics, and a condition on it
    /// fails.
    NoData,
}

impl Better {
    /// The word used in the documentation's tables.
    pub fn label(self) -> &'static str {
        match self {
            Better::Lower => "lower",
            Better::Higher => "higher",
            Better::Neither => "-",
        }
    }
}

impl Missing {
    /// Whether a missing value ranks above every number (rather than being left out).
    pub fn ranks_above(self) -> bool {
        matches!(self, Missing::NotWithinHorizon | Missing::Infinite)
    }

    /// What the documentation says a missing value means.
    pub fn label(self) -> &'static str {
        match self {
            Missing::Impossible => "-",
            Missing::NotWithinHorizon => "never (not within the horizon)",
            Missing::Infinite => "infinite",
            Missing::NoData => "no data",
        }
    }
}

/// The part of the documentation a metric is listed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// Counts and the backlog over the whole run.
    RunTotals,
    /// Errors, retries and the API budget.
    ErrorsApi,
    /// One per `bulk_update` and `enable_object` event.
    Event,
    /// Latency per object (and per direction for two-way objects).
    Latency,
    /// The admin page at the end of the horizon.
    Dashboard,
    /// Service levels over the run: time above a level, shares slower than a bound, time
    /// Growing.
    ServiceLevels,
    /// Derived by `syncsim schedule` over a bulk update and its parts.
    Plan,
}

impl Group {
    /// Every group, in the order of the documentation.
    pub const ALL: [Group; 7] = [
        Group::RunTotals,
        Group::ErrorsApi,
        Group::Event,
        Group::Latency,
        Group::Dashboard,
        Group::ServiceLevels,
        Group::Plan,
    ];

    /// The name of the group's table in the documentation's markers.
    pub fn slug(self) -> &'static str {
        match self {
            Group::RunTotals => "run-totals",
            Group::ErrorsApi => "errors-api",
            Group::Event => "event",
            Group::Latency => "latency",
            Group::Dashboard => "dashboard",
            Group::ServiceLevels => "service-levels",
            Group::Plan => "plan",
        }
    }

    /// The documentation page that lists the group (`docs/planner.md` for the plan metrics,
    /// `docs/outputs.md` for the others).
    pub fn page(self) -> &'static str {
        match self {
            Group::Plan => "docs/planner.md",
            _ => "docs/outputs.md",
        }
    }
}

/// The documentation's table of one group: a markdown table with each metric's name, unit,
/// which way is better, what a missing value means and its description, between markers
/// (`<!-- catalogue:run-totals -->` ... `<!-- /catalogue:run-totals -->`) that a test checks
/// against this catalogue.
pub fn markdown(group: Group) -> String {
    let mut out = format!(
        "<!-- catalogue:{0} -->\n| metric | unit | better | missing means | meaning |\n|---|---|---|---|---|\n",
        group.slug()
    );
    for def in CATALOGUE.iter().filter(|d| d.group == group) {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            def.pattern,
            def.unit.label(),
            def.better.label(),
            def.missing.label(),
            def.description
        ));
    }
    out.push_str(&format!("<!-- /catalogue:{} -->\n", group.slug()));
    out
}

/// One metric of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricDef {
    /// Its name pattern, e.g. `event.<event>.clear_h`.
    pub pattern: &'static str,
    /// Its unit.
    pub unit: Unit,
    /// Which way is better.
    pub better: Better,
    /// What a missing value means.
    pub missing: Missing,
    /// Where the documentation lists it.
    pub group: Group,
    /// What it is, in one line.
    pub description: &'static str,
}

const fn m(
    pattern: &'static str,
    unit: Unit,
    better: Better,
    missing: Missing,
    group: Group,
    description: &'static str,
) -> MetricDef {
    MetricDef {
        pattern,
        unit,
        better,
        missing,
        group,
        description,
    }
}

use Better::{Higher, Lower, Neither};
use Group::{Dashboard, ErrorsApi, Event, Latency, Plan, RunTotals, ServiceLevels};
use Missing::{Impossible as Always, Infinite, NoData, NotWithinHorizon as Never};
use Unit::{Count, Fraction, Hours, Minutes, PerHour, Status};

/// Every metric, in the order documented (within a group, the order of `summary.json`).
#[rustfmt::skip]
pub const CATALOGUE: &[MetricDef] = &[
    m("edits", Count, Neither, Always, RunTotals, "All edits, all objects and directions."),
    m("background_edits", Count, Neither, Always, RunTotals, "Edits from background rates."),
    m("bulk_edits", Count, Neither, Always, RunTotals, "Edits from `bulk_update` and `enable_object` events."),
    m("cascade_edits", Count, Neither, Always, RunTotals, "Edits caused by `[cascades]` (only in a scenario with cascades or echoes); `edits = background_edits + bulk_edits + cascade_edits + echo_edits`."),
    m("echo_edits", Count, Neither, Always, RunTotals, "Edits caused by `[echoes]`: synced updates re-stamping the record on the side written to (only in a scenario with cascades or echoes)."),
    m("caused_capped", Count, Lower, Always, RunTotals, "Triggers of cascades and echoes that set nothing off because they were `max_generations` deep (only in a scenario with cascades or echoes); above 0, chains were cut short."),
    m("creations", Count, Neither, Always, RunTotals, "Records created (`creations_per_hour`), all objects; each is a background edit too. Listed only when an object creates records."),
    m("initial_entries", Count, Neither, Always, RunTotals, "Entries pending at the start (the initial backlog: `initial_backlog` keys or a snapshot file); not made by edits, so `edits + initial_entries = filtered + coalesced + entries_created`."),
    m("filtered", Count, Neither, Always, RunTotals, "Edits that queued nothing (sync filter, or object out of the sync)."),
    m("coalesced", Count, Neither, Always, RunTotals, "Edits merged into an already pending record."),
    m("entries_created", Count, Neither, Always, RunTotals, "Records made pending: by an edit, or at the start (`initial_entries`)."),
    m("synced", Count, Higher, Always, RunTotals, "Records completed as updates."),
    m("skipped", Count, Neither, Always, RunTotals, "Records completed as skips."),
    m("pending_end", Count, Lower, Always, RunTotals, "Records pending at the end of the horizon (queued, due for a retry, or in a running batch; not the retry and timeout queues)."),
    m("in_flight_end", Count, Lower, Always, RunTotals, "Of those, in a running batch."),
    m("batches", Count, Neither, Always, RunTotals, "Batches started."),
    m("cycles", Count, Neither, Always, RunTotals, "Cycles started: the look at the start, each look after a `cycle_wait`, each look when the sync resumes after an outage, a throughput of 0 or an API pause, and each look made because retries were released while no batch was running. A worker looking again after its batch is part of the running cycle."),
    m("empty_looks", Count, Neither, Always, RunTotals, "Cycles whose first look started no batch while none was running."),
    m("backlog.max", Count, Lower, Always, RunTotals, "Highest total backlog, exact (not limited to the sample grid)."),
    m("attempts", Count, Neither, Always, ErrorsApi, "Attempts to sync an update: `synced + errors_transient + errors_permanent`. Skips are not attempts."),
    m("errors_transient", Count, Lower, Always, ErrorsApi, "Attempts that failed by chance."),
    m("errors_permanent", Count, Lower, Always, ErrorsApi, "Attempts that failed because the record has a permanent error."),
    m("superseded", Count, Lower, Always, ErrorsApi, "Entries dropped after a failed attempt because a newer entry of the record was already pending."),
    m("retry_queue_end", Count, Lower, Always, ErrorsApi, "Records in the retry queue at the end of the horizon."),
    m("timeout_queue_end", Count, Lower, Always, ErrorsApi, "Records in the timeout queue at the end of the horizon."),
    m("retry_queue_max", Count, Lower, Always, ErrorsApi, "Largest retry queue on the sample grid (the `retry_queue` column of `backlog.csv`; not exact between samples)."),
    m("timeout_queue_max", Count, Lower, Always, ErrorsApi, "Largest timeout queue on the sample grid (`timeout_queue` column)."),
    m("api.calls", Count, Lower, Always, ErrorsApi, "API calls made during the run, all kinds: the sum of the next three."),
    m("api.calls_batches", Count, Lower, Always, ErrorsApi, "Calls made by batches: `ceil(records / api.records_per_call)` each."),
    m("api.calls_checks", Count, Lower, Always, ErrorsApi, "Calls made by cycles checking for changes (`api.calls_per_cycle` each)."),
    m("api.calls_background", Count, Neither, Always, ErrorsApi, "Calls of other integrations (`api.background_calls_per_hour` and `api_calls` events)."),
    m("api.peak_usage", Count, Lower, Always, ErrorsApi, "Highest number of calls in the rolling 24 hours at any instant, exact (not limited to the sample grid). Other integrations can take it above `api.daily_limit`."),
    m("api.paused_h", Hours, Lower, Always, ErrorsApi, "Hours the sync was paused because no call fitted in the allowance (0 without a `daily_limit`)."),
    m("api.suppressed_h", Hours, Lower, Always, ErrorsApi, "Hours retries were held back because the past 24 hours' usage was above the suppression threshold: while a due retry waits in the retry queue, or records whose nightly retry was held wait in the timeout queue (until a nightly retry goes ahead, or they leave the queue through a new edit or `retry_errored`), up to the end of the horizon ([model.md](model.md#suppression))."),
    m("api.suppressions", Count, Lower, Always, ErrorsApi, "Spells of suppression: the rows of `suppression.csv`."),
    m("api.suppressed_first_at_h", Hours, Higher, Never, ErrorsApi, "When retries were first held back, hours since start; `null` (never) if they never were."),
    m("api.window_wait_h", Hours, Lower, Always, ErrorsApi, "With `[[api.windows]]` only: hours the sync was held back by a short window, waiting for room (`at_limit = \"wait\"`) or with a check or a batch in back-off after a 429 (`\"reject\"`) ([model.md](model.md#short-windows))."),
    m("api.rejected_calls", Count, Lower, Always, ErrorsApi, "With `[[api.windows]]` only: 429 responses, each a try of a batch or a cycle's check refused because a window (or, on a batch's retry, the daily limit) had no room for its calls; not counted in any window. Always 0 under `at_limit = \"wait\"`."),
    m("api.window.<per>.peak_calls", Count, Lower, Always, ErrorsApi, "With `[[api.windows]]` only: the most of the sync's calls the window of that length held at any instant, exact; at most its `calls`."),
    m("failed_max_per_h", PerHour, Lower, Always, ErrorsApi, "Most failed attempts in one hour bucket (the `failed` column of `errors.csv`)."),
    m("retry_queue_oldest_h", Hours, Lower, Always, ErrorsApi, "The longest a record in the retry queue had been pending at a whole hour (its age from the edit that first made it pending; the largest `oldest_retry_h` of `errors.csv`); 0 when the queue was empty at every whole hour."),
    m("timeout_queue_oldest_h", Hours, Lower, Always, ErrorsApi, "The same for the timeout queue (`oldest_timeout_h`)."),
    m("backlog.max_at_h", Hours, Neither, Always, RunTotals, "When the highest total backlog was first reached, hours since start."),
    m("backlog.end", Count, Lower, Always, RunTotals, "Total backlog at the end of the horizon (same as `pending_end`)."),
    m("backlog.oldest_age_end_h", Hours, Lower, NoData, RunTotals, "Age at the end of the horizon of the oldest pending record, hours; `null` when nothing is pending."),
    m("end_h", Hours, Neither, Always, RunTotals, "The end of the run, hours since start: the horizon, or for a run until clear the whole hour after everything cleared, or its cap ([model.md](model.md#until-clear))."),
    m("all_clear_at_h", Hours, Lower, Never, RunTotals, "When everything had cleared, hours since start: every `bulk_update` and `enable_object` event cleared and recovered, and the backlog at the start had all left; 0 with nothing to wait for; `null` if not within the run."),
    m("event.<event>.clear_h", Hours, Lower, Never, Event, "Clear time, hours from the first edit; `null` if it did not clear within the horizon."),
    m("event.<event>.recovery_h", Hours, Lower, Never, Event, "Recovery time, hours from the first edit; `null` if not within the horizon."),
    m("event.<event>.edits", Count, Neither, Always, Event, "Edits it made within the horizon."),
    m("event.<event>.entries", Count, Neither, Always, Event, "Entries it created or merged into."),
    m("event.<event>.synced", Count, Higher, Always, Event, "Its entries completed as updates."),
    m("event.<event>.skipped", Count, Neither, Always, Event, "Its entries completed as skips."),
    m("event.<event>.still_pending", Count, Lower, Always, Event, "Its entries still pending at the end."),
    m("event.<event>.errored", Count, Lower, Always, Event, "Its entries in the retry or timeout queue at the end."),
    m("event.<event>.superseded", Count, Lower, Always, Event, "Its entries dropped after a failed attempt because a newer pending entry of the record carried the event."),
    m("event.<event>.baseline_backlog", Count, Neither, Always, Event, "Total backlog just before its first edit."),
    m("latency.<Object>.count", Count, Neither, Always, Latency, "Synced updates measured (0 when none)."),
    m("latency.<Object>.mean_min", Minutes, Lower, NoData, Latency, "Mean latency, minutes."),
    m("latency.<Object>.p50_min", Minutes, Lower, NoData, Latency, "Median."),
    m("latency.<Object>.p90_min", Minutes, Lower, NoData, Latency, "90th percentile."),
    m("latency.<Object>.p95_min", Minutes, Lower, NoData, Latency, "95th percentile."),
    m("latency.<Object>.p99_min", Minutes, Lower, NoData, Latency, "99th percentile."),
    m("latency.<Object>.max_min", Minutes, Lower, NoData, Latency, "Longest."),
    m("latency.<Object>.<dir>.count", Count, Neither, Always, Latency, "As `latency.<Object>.count`, one direction of an object with `sync = \"both\"`."),
    m("latency.<Object>.<dir>.mean_min", Minutes, Lower, NoData, Latency, "As `latency.<Object>.mean_min`, one direction."),
    m("latency.<Object>.<dir>.p50_min", Minutes, Lower, NoData, Latency, "As `latency.<Object>.p50_min`, one direction."),
    m("latency.<Object>.<dir>.p90_min", Minutes, Lower, NoData, Latency, "As `latency.<Object>.p90_min`, one direction."),
    m("latency.<Object>.<dir>.p95_min", Minutes, Lower, NoData, Latency, "As `latency.<Object>.p95_min`, one direction."),
    m("latency.<Object>.<dir>.p99_min", Minutes, Lower, NoData, Latency, "As `latency.<Object>.p99_min`, one direction."),
    m("latency.<Object>.<dir>.max_min", Minutes, Lower, NoData, Latency, "As `latency.<Object>.max_min`, one direction."),
    m("latency.<Object>.creations.count", Count, Neither, Always, Latency, "Created records synced (both directions; listed only for an object with `creations_per_hour`): their latency runs from the creation."),
    m("latency.<Object>.creations.mean_min", Minutes, Lower, NoData, Latency, "As `latency.<Object>.mean_min`, created records only."),
    m("latency.<Object>.creations.p50_min", Minutes, Lower, NoData, Latency, "As `latency.<Object>.p50_min`, created records only."),
    m("latency.<Object>.creations.p90_min", Minutes, Lower, NoData, Latency, "As `latency.<Object>.p90_min`, created records only."),
    m("latency.<Object>.creations.p95_min", Minutes, Lower, NoData, Latency, "As `latency.<Object>.p95_min`, created records only."),
    m("latency.<Object>.creations.p99_min", Minutes, Lower, NoData, Latency, "As `latency.<Object>.p99_min`, created records only."),
    m("latency.<Object>.creations.max_min", Minutes, Lower, NoData, Latency, "As `latency.<Object>.max_min`, created records only."),
    m("latency.<Object>.updates.count", Count, Neither, Always, Latency, "Synced updates of existing records (both directions; listed only for an object with `creations_per_hour`): `latency.<Object>.count` minus the creations."),
    m("latency.<Object>.updates.mean_min", Minutes, Lower, NoData, Latency, "As `latency.<Object>.mean_min`, updates of existing records only."),
    m("latency.<Object>.updates.p50_min", Minutes, Lower, NoData, Latency, "As `latency.<Object>.p50_min`, updates of existing records only."),
    m("latency.<Object>.updates.p90_min", Minutes, Lower, NoData, Latency, "As `latency.<Object>.p90_min`, updates of existing records only."),
    m("latency.<Object>.updates.p95_min", Minutes, Lower, NoData, Latency, "As `latency.<Object>.p95_min`, updates of existing records only."),
    m("latency.<Object>.updates.p99_min", Minutes, Lower, NoData, Latency, "As `latency.<Object>.p99_min`, updates of existing records only."),
    m("latency.<Object>.updates.max_min", Minutes, Lower, NoData, Latency, "As `latency.<Object>.max_min`, updates of existing records only."),
    m("dashboard.backlog", Count, Lower, Always, Dashboard, "Total backlog at the last fetch."),
    m("dashboard.growing", Status, Lower, Always, Dashboard, "`1` if the total backlog's status is Growing, else `0`."),
    m("dashboard.<Object>.backlog", Count, Lower, Always, Dashboard, "The object's backlog at the last fetch."),
    m("dashboard.<Object>.avg_per_h", PerHour, Higher, Always, Dashboard, "Average records completed per hour."),
    m("dashboard.<Object>.max_per_h", PerHour, Higher, Always, Dashboard, "Most completed in one hour."),
    m("dashboard.<Object>.min_per_h", PerHour, Higher, Always, Dashboard, "Fewest completed in one hour."),
    m("dashboard.<Object>.est_backlog_h", Hours, Lower, Infinite, Dashboard, "Estimated backlog time, hours. **`null` here means infinite** (no records completed in the hours considered), the `inf` of `dashboard.csv`."),
    m("dashboard.<Object>.growing", Status, Lower, Always, Dashboard, "`1` if the object's status is Growing, else `0`."),
    m("backlog.hours_above.<level>", Hours, Lower, Always, ServiceLevels, "Hours the total backlog was above the level (strictly), on the sample grid: each sample above it counts until the next sample."),
    m("latency.<Object>.share_over.<bound>", Fraction, Lower, NoData, ServiceLevels, "Share of the object's synced updates (both directions) whose latency was above the bound, exact; `null` when it synced none."),
    m("dashboard.growing_h", Hours, Lower, Always, ServiceLevels, "Hours the page read Growing for the total backlog: the status read at each whole hour holds until the next."),
    m("dashboard.<Object>.growing_h", Hours, Lower, Always, ServiceLevels, "The same for one object."),
    m("event.<event>.growing_after_h", Hours, Neither, Never, ServiceLevels, "Hours from its first edit to the first whole-hour reading after it at which its object's status is Growing: how soon the page shows it; `null` if the page never did within the run."),
    m("plan.clear_h", Hours, Lower, Never, Plan, "From the first edit of the first part until none of any part's entries is pending or in flight, hours; never if some part did not clear within the horizon. Equal to `event.<NAME>.clear_h` when unsplit."),
    m("plan.clear_at_h", Hours, Lower, Never, Plan, "When that happens, hours after the scenario's start (for deadlines: `plan.clear_at_h p90 <= 56h`)."),
];

/// The catalogue entry of metric `name`, if it is one.
pub fn lookup(name: &str) -> Option<&'static MetricDef> {
    let parts: Vec<&str> = name.split('.').collect();
    CATALOGUE
        .iter()
        .find(|def| matches(&def.pattern.split('.').collect::<Vec<_>>(), &parts))
}

/// Whether name segments `name` fit pattern segments `pattern`: `<event>` takes one or more
/// segments (event names may hold dots), `<Object>` exactly one, `<dir>` a direction name.
fn matches(pattern: &[&str], name: &[&str]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some((&"<event>", rest)) => {
            (1..=name.len().saturating_sub(rest.len())).any(|k| matches(rest, &name[k..]))
        }
        Some((p, rest)) => {
            let Some((first, tail)) = name.split_first() else {
                return false;
            };
            let fits = match *p {
                "<Object>" => !first.is_empty(),
                "<dir>" => *first == "to_marketing" || *first == "to_crm",
                "<level>" => !first.is_empty() && first.bytes().all(|b| b.is_ascii_digit()),
                "<bound>" | "<per>" => crate::units::parse_duration(first).is_ok_and(|ms| ms > 0),
                literal => literal == *first,
            };
            fits && matches(rest, tail)
        }
    }
}

/// What a missing value of metric `name` means; a name outside the catalogue has no data.
pub fn missing(name: &str) -> Missing {
    lookup(name).map_or(Missing::NoData, |d| d.missing)
}

/// Which way metric `name` should move; a name outside the catalogue: smaller is better.
pub fn better(name: &str) -> Better {
    lookup(name).map_or(Better::Lower, |d| d.better)
}

/// The unit of metric `name`, if it is in the catalogue.
pub fn unit(name: &str) -> Option<Unit> {
    lookup(name).map(|d| d.unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_find_their_pattern() {
        let find = |n: &str| lookup(n).map(|d| d.pattern);
        assert_eq!(find("edits"), Some("edits"));
        assert_eq!(find("event.bulk.clear_h"), Some("event.<event>.clear_h"));
        // Event names may hold dots.
        assert_eq!(find("event.q4.bulk.clear_h"), Some("event.<event>.clear_h"));
        assert_eq!(
            find("latency.Lead.p90_min"),
            Some("latency.<Object>.p90_min")
        );
        assert_eq!(
            find("latency.Lead.to_crm.p90_min"),
            Some("latency.<Object>.<dir>.p90_min")
        );
        assert_eq!(find("latency.Lead.sideways.p90_min"), None);
        assert_eq!(
            find("dashboard.Lead.est_backlog_h"),
            Some("dashboard.<Object>.est_backlog_h")
        );
        assert_eq!(find("dashboard.growing"), Some("dashboard.growing"));
        assert_eq!(find("event.clear_h"), None, "an event needs a name");
        assert_eq!(
            find("backlog.hours_above.50000"),
            Some("backlog.hours_above.<level>")
        );
        assert_eq!(find("backlog.hours_above.50K"), None);
        assert_eq!(
            find("latency.Lead.share_over.15m"),
            Some("latency.<Object>.share_over.<bound>")
        );
        assert_eq!(find("latency.Lead.share_over.soon"), None);
        assert_eq!(
            find("event.bulk.growing_after_h"),
            Some("event.<event>.growing_after_h")
        );
        assert_eq!(
            find("api.window.10s.peak_calls"),
            Some("api.window.<per>.peak_calls")
        );
        assert_eq!(find("api.window.soon.peak_calls"), None);
        assert_eq!(find("no.such.metric"), None);
    }

    #[test]
    fn what_missing_means_follows_the_metric() {
        assert_eq!(missing("event.x.clear_h"), Missing::NotWithinHorizon);
        assert_eq!(missing("event.x.recovery_h"), Missing::NotWithinHorizon);
        assert_eq!(missing("dashboard.Lead.est_backlog_h"), Missing::Infinite);
        assert_eq!(missing("latency.Lead.p50_min"), Missing::NoData);
        assert!(Missing::Infinite.ranks_above() && !Missing::NoData.ranks_above());
    }

    #[test]
    fn units_follow_the_name_suffix() {
        for def in CATALOGUE {
            let p = def.pattern;
            let expected = if p.ends_with("_per_h") {
                Unit::PerHour
            } else if p.ends_with("_h") || p.contains(".hours_above.") {
                Unit::Hours
            } else if p.contains(".share_over.") {
                Unit::Fraction
            } else if p.ends_with("_min") {
                Unit::Minutes
            } else if p.ends_with("growing") {
                Unit::Status
            } else {
                Unit::Count
            };
            assert_eq!(def.unit, expected, "{p}");
        }
    }

    /// `docs/outputs.md` and `docs/planner.md` hold every group's table exactly as
    /// [`markdown`] renders it. With `SYNCSIM_WRITE_DOCS=1` the test rewrites the tables in
    /// place instead (then review the diff).
    #[test]
    fn the_documentation_lists_the_catalogue() {
        for group in Group::ALL {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(group.page());
            let text = std::fs::read_to_string(&path).unwrap();
            let table = markdown(group);
            let begin = format!("<!-- catalogue:{} -->", group.slug());
            let end = format!("<!-- /catalogue:{} -->\n", group.slug());
            let (Some(i), Some(j)) = (text.find(&begin), text.find(&end)) else {
                panic!("{} has no {begin} ... {end} table", group.page());
            };
            let current = &text[i..j + end.len()];
            if current != table && std::env::var_os("SYNCSIM_WRITE_DOCS").is_some() {
                let updated = format!("{}{table}{}", &text[..i], &text[j + end.len()..]);
                std::fs::write(&path, updated).unwrap();
                continue;
            }
            assert_eq!(
                current,
                table,
                "{}'s {} table differs from the metric catalogue (SYNCSIM_WRITE_DOCS=1 cargo \
                 test rewrites it)",
                group.page(),
                group.slug()
            );
        }
    }

    #[test]
    fn patterns_are_unique() {
        for (i, a) in CATALOGUE.iter().enumerate() {
            for b in &CATALOGUE[i + 1..] {
                assert_ne!(a.pattern, b.pattern);
            }
        }
    }
}
