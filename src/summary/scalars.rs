//! The scalar metrics of a run, in their stable order: one function lists the names (for a
//! scenario, without running it) and the values (for a summarised run), so the two can never
//! disagree. Every name is described in the metric catalogue ([`crate::catalogue`]).

use super::{Metric, RunSummary};
use crate::metrics::{EventOutcome, LatencySummary};
use crate::scenario::{Direction, QueueId, Scenario};
use crate::summary::{DashboardRow, Status};
use crate::units::{format_duration, hours, minutes, Millis, MINUTE};

/// Tracked event `k` of the run.
fn event(s: &RunSummary, k: usize) -> &EventOutcome {
    &s.run().events()[k]
}

/// The dashboard row of object `o`.
fn dashboard_row(s: &RunSummary, o: usize) -> &DashboardRow {
    &s.dashboard().rows[o]
}

/// Names, and values when a summary is given.
struct List<'a> {
    summary: Option<&'a RunSummary>,
    out: Vec<Metric>,
}

impl List<'_> {
    fn put(&mut self, name: impl Into<String>, value: impl FnOnce(&RunSummary) -> Option<f64>) {
        let value = self.summary.and_then(value);
        self.out.push(Metric {
            name: name.into(),
            value,
        });
    }

    fn count(&mut self, name: impl Into<String>, value: impl FnOnce(&RunSummary) -> u64) {
        self.put(name, |s| Some(value(s) as f64));
    }

    fn latency(&mut self, prefix: &str, of: impl Fn(&RunSummary) -> Option<LatencySummary> + Copy) {
        self.count(format!("{prefix}.count"), |s| of(s).map_or(0, |l| l.count));
        self.put(format!("{prefix}.mean_min"), |s| {
            of(s).map(|l| l.mean / MINUTE as f64)
        });
        type Pick = fn(&LatencySummary) -> Millis;
        let picks: [(&str, Pick); 5] = [
            ("p50_min", |l| l.p50),
            ("p90_min", |l| l.p90),
            ("p95_min", |l| l.p95),
            ("p99_min", |l| l.p99),
            ("max_min", |l| l.max),
        ];
        for (name, pick) in picks {
            self.put(format!("{prefix}.{name}"), |s| {
                of(s).map(|l| minutes(pick(&l)))
            });
        }
    }
}

/// Every scalar metric of a run of `sc`, in the stable order `docs/outputs.md` gives; values
/// only when `summary` (a run of `sc`) is given.
pub(super) fn list(sc: &Scenario, summary: Option<&RunSummary>) -> Vec<Metric> {
    let mut l = List {
        summary,
        out: Vec::with_capacity(64),
    };
    l.count("edits", |s| s.totals().edits);
    l.count("background_edits", |s| s.totals().background_edits);
    l.count("bulk_edits", |s| s.totals().bulk_edits);
    if sc.caused.any() {
        l.count("cascade_edits", |s| s.totals().cascade_edits);
        l.count("echo_edits", |s| s.totals().echo_edits);
        l.count("caused_capped", |s| s.totals().caused_capped);
    }
    if sc.objects.iter().any(|o| o.creations_per_hour > 0.0) {
        l.count("creations", |s| s.totals().creations);
    }
    l.count("initial_entries", |s| s.totals().initial_entries);
    l.count("filtered", |s| s.totals().filtered);
    l.count("coalesced", |s| s.totals().coalesced);
    l.count("entries_created", |s| s.totals().entries_created);
    l.count("synced", |s| s.totals().synced);
    l.count("skipped", |s| s.totals().skipped);
    l.count("pending_end", |s| s.end().backlog());
    l.count("in_flight_end", |s| s.end().in_flight);
    l.count("batches", |s| s.run().batches());
    l.count("cycles", |s| s.run().cycles());
    l.count("empty_looks", |s| s.run().empty_looks());
    l.count("backlog.max", |s| s.run().max_backlog());
    l.count("attempts", |s| s.totals().attempts());
    l.count("errors_transient", |s| s.totals().errors_transient);
    l.count("errors_permanent", |s| s.totals().errors_permanent);
    l.count("superseded", |s| s.totals().superseded);
    l.count("retry_queue_end", |s| s.end().retry);
    l.count("timeout_queue_end", |s| s.end().timeout);
    l.count("retry_queue_max", RunSummary::retry_queue_max);
    l.count("timeout_queue_max", RunSummary::timeout_queue_max);
    l.count("api.calls", |s| s.run().api().calls.iter().sum());
    l.count("api.calls_batches", |s| s.run().api().calls[0]);
    l.count("api.calls_checks", |s| s.run().api().calls[1]);
    l.count("api.calls_background", |s| s.run().api().calls[2]);
    l.count("api.peak_usage", |s| s.run().api().peak_usage);
    l.put("api.paused_h", |s| Some(hours(s.run().api().paused)));
    l.put("api.suppressed_h", |s| {
        Some(hours(s.run().api().suppressed))
    });
    l.count("api.suppressions", |s| {
        s.run().suppression_spells().len() as u64
    });
    l.put("api.suppressed_first_at_h", |s| {
        s.run().suppression_spells().first().map(|&(t, _)| hours(t))
    });
    short_windows(&mut l, sc);
    l.count("failed_max_per_h", RunSummary::failed_max_per_hour);
    l.put("retry_queue_oldest_h", |s| {
        Some(s.oldest_waiting_max()[0].map_or(0.0, hours))
    });
    l.put("timeout_queue_oldest_h", |s| {
        Some(s.oldest_waiting_max()[1].map_or(0.0, hours))
    });
    l.put("backlog.max_at_h", |s| {
        Some(hours(s.run().max_backlog_at()))
    });
    l.count("backlog.end", |s| s.end().backlog());
    l.put("backlog.oldest_age_end_h", |s| {
        s.end().oldest_age.map(hours)
    });
    l.put("end_h", |s| Some(hours(s.run().horizon())));
    l.put("all_clear_at_h", |s| s.all_clear().map(hours));
    let tracked = sc.events.iter().filter(|e| e.kind.makes_edits());
    for (k, spec) in tracked.enumerate() {
        let p = format!("event.{}", spec.name);
        l.put(format!("{p}.clear_h"), |s| {
            event(s, k).clear_time().map(hours)
        });
        l.put(format!("{p}.recovery_h"), |s| {
            event(s, k).recovery_time().map(hours)
        });
        l.count(format!("{p}.edits"), |s| event(s, k).edits);
        l.count(format!("{p}.entries"), |s| event(s, k).entries);
        l.count(format!("{p}.synced"), |s| event(s, k).synced);
        l.count(format!("{p}.skipped"), |s| event(s, k).skipped);
        l.count(format!("{p}.still_pending"), |s| event(s, k).still_pending);
        l.count(format!("{p}.errored"), |s| event(s, k).errored);
        l.count(format!("{p}.superseded"), |s| event(s, k).superseded);
        l.count(format!("{p}.baseline_backlog"), |s| {
            event(s, k).baseline_backlog
        });
    }
    for (o, object) in sc.objects.iter().enumerate() {
        l.latency(&format!("latency.{}", object.name), move |s| {
            s.run().object_latency(o)
        });
        if object.syncs == [true, true] {
            for d in Direction::ALL {
                let q = QueueId::new(o, d);
                l.latency(&format!("latency.{}.{}", object.name, d.name()), move |s| {
                    s.run().latency(q)
                });
            }
        }
        if object.creations_per_hour > 0.0 {
            l.latency(&format!("latency.{}.creations", object.name), move |s| {
                s.run().creation_latency(o)
            });
            l.latency(&format!("latency.{}.updates", object.name), move |s| {
                s.run().update_latency(o)
            });
        }
    }
    let growing = |status: Status| (status == Status::Growing) as u8 as f64;
    l.count("dashboard.backlog", |s| s.dashboard().total_backlog);
    l.put("dashboard.growing", |s| Some(growing(s.dashboard().status)));
    for (o, object) in sc.objects.iter().enumerate() {
        let p = format!("dashboard.{}", object.name);
        l.count(format!("{p}.backlog"), |s| dashboard_row(s, o).backlog);
        l.put(format!("{p}.avg_per_h"), |s| {
            Some(dashboard_row(s, o).avg_per_hour)
        });
        l.count(format!("{p}.max_per_h"), |s| {
            dashboard_row(s, o).max_per_hour
        });
        l.count(format!("{p}.min_per_h"), |s| {
            dashboard_row(s, o).min_per_hour
        });
        l.put(format!("{p}.est_backlog_h"), |s| {
            dashboard_row(s, o).est_backlog_hours
        });
        l.put(format!("{p}.growing"), |s| {
            Some(growing(dashboard_row(s, o).status))
        });
    }
    service_levels(&mut l, sc);
    l.out
}

/// The service-level metrics: time above each declared backlog level, each object's share
/// of updates slower than each declared bound, time Growing, and how soon the page showed
/// each event.
fn service_levels(l: &mut List, sc: &Scenario) {
    for &level in &sc.sla.backlog_above {
        l.put(format!("backlog.hours_above.{level}"), move |s| {
            Some(hours(s.time_above(level)))
        });
    }
    for (o, object) in sc.objects.iter().enumerate() {
        for (k, &bound) in sc.sla.latency_over.iter().enumerate() {
            let name = format!(
                "latency.{}.share_over.{}",
                object.name,
                format_duration(bound)
            );
            l.put(name, move |s| s.share_over(o, k));
        }
    }
    l.put("dashboard.growing_h", |s| Some(hours(s.growing_time(None))));
    for (o, object) in sc.objects.iter().enumerate() {
        l.put(format!("dashboard.{}.growing_h", object.name), move |s| {
            Some(hours(s.growing_time(Some(o))))
        });
    }
    let tracked = sc.events.iter().filter(|e| e.kind.makes_edits());
    for (k, spec) in tracked.enumerate() {
        l.put(format!("event.{}.growing_after_h", spec.name), move |s| {
            s.growing_after(k).map(hours)
        });
    }
}

/// The short-window metrics, only for a scenario with `[[api.windows]]`: time held back by
/// them, 429 responses and each window's peak, named by its length.
fn short_windows(l: &mut List, sc: &Scenario) {
    let windows = &sc.api.burst.windows;
    if windows.is_empty() {
        return;
    }
    l.put("api.window_wait_h", |s| {
        Some(hours(s.run().windows().waited))
    });
    l.count("api.rejected_calls", |s| s.run().windows().rejected);
    for (i, w) in windows.iter().enumerate() {
        let name = format!("api.window.{}.peak_calls", format_duration(w.per));
        l.count(name, move |s| s.run().windows().peaks[i]);
    }
}

#[cfg(test)]
mod tests {
    use crate::catalogue;
    use crate::engine::simulate;
    use crate::summary::{metric_names, RunSummary};

    #[test]
    fn every_metric_is_in_the_catalogue_and_names_match_values() {
        let levels = [
            "sla.backlog_above=[5000, 20000]".to_string(),
            "sla.latency_over=[\"15m\", \"2h\"]".to_string(),
        ];
        for (file, overrides) in [
            ("scenarios/reference-tenth.toml", &levels[..]),
            ("scenarios/hubspot-import-validation-errors.toml", &[]),
            ("scenarios/round-robin-gated-contacts.toml", &levels[..]),
        ] {
            let sc = crate::scenario::load(std::path::Path::new(file), overrides).unwrap();
            let names = metric_names(&sc);
            let summary = RunSummary::of(&sc, simulate(&sc, sc.seed));
            let run_names: Vec<String> = summary.metrics().iter().map(|m| m.name.clone()).collect();
            assert_eq!(names, run_names, "{file}");
            for name in &names {
                assert!(
                    catalogue::lookup(name).is_some(),
                    "{file}: '{name}' is not in the metric catalogue"
                );
            }
        }
    }
}
