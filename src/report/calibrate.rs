//! Calibration's outputs: the fitted scenario as a commented TOML file, and, for the terminal,
//! the throughput the admin page's figures support, the comparison of a simulated backlog
//! with the page's trend, and a throughput search. The numbers come from
//! [`crate::calibrate`]; this module only writes them.

use std::fmt::Write as _;
use std::path::Path;

use crate::calibrate::dashboard::{Saturation, ThroughputBounds, ThroughputTrial, TrendComparison};
use crate::calibrate::{ChoiceFit, Fit, SKEW_Z};
use crate::scenario::Direction;
use crate::units::human_hours;

fn num(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The fitted scenario as commented TOML (it validates: `syncsim validate`).
pub fn write_scenario(fit: &Fit, source: &str) -> String {
    let mut t = String::new();
    let span = fit.span_hours();
    let _ = writeln!(t, "# Fitted by `syncsim fit` from {source}.");
    let _ = writeln!(
        t,
        "# Observed span: {} to {} ({} h: {} weekday hours, {} weekend hours, UTC);",
        fit.start,
        fit.end,
        num(span, 2),
        num(fit.hours[0], 2),
        num(fit.hours[1], 2)
    );
    let _ = writeln!(
        t,
        "# it ends with the hour of the last edit. {} edits used{}.",
        fit.report.rows,
        match (fit.report.bad_count, fit.report.outside) {
            (0, 0) => String::new(),
            (b, o) => format!(", {b} bad rows skipped, {o} rows before the start left out"),
        }
    );
    let _ = writeln!(
        t,
        "# Estimates are followed by their standard error (se) or sample size (n)."
    );
    let _ = writeln!(t, "name = \"fitted\"");
    let _ = writeln!(t, "start = \"{}\"", fit.start);
    let _ = writeln!(
        t,
        "horizon = \"{}h\"  # the observed span; change it freely",
        span.ceil().max(1.0) as u64
    );
    for o in &fit.objects {
        let _ = writeln!(t, "\n[objects.{}]", o.name);
        let _ = writeln!(
            t,
            "# {} edits of {} distinct records.",
            o.edits, o.distinct_records
        );
        if o.records_given {
            let _ = writeln!(t, "records = {}  # from --records", o.records);
        } else {
            let _ = writeln!(
                t,
                "records = {}  # highest id seen + 1: a lower bound; pass --records {}=N",
                o.records, o.name
            );
        }
        let sync = match (o.directions[0].is_some(), o.directions[1].is_some()) {
            (true, true) => "both",
            (false, true) => "to_crm",
            _ => "to_marketing",
        };
        let _ = writeln!(t, "sync = \"{sync}\"");
        for (d, key) in [(0, "edits_per_hour"), (1, "marketing_edits_per_hour")] {
            if let Some(f) = &o.directions[d] {
                let _ = writeln!(
                    t,
                    "# {}: n = {} edits, {} /h on average over the span, synced fraction {}.",
                    Direction::ALL[d].name(),
                    f.edits,
                    num(f.observed_rate, 3),
                    num(f.synced_fraction, 4)
                );
                let _ = writeln!(
                    t,
                    "# Base rate: weekday edits per hour before the profile (se {}).",
                    num(f.rate_se, 3)
                );
                let _ = writeln!(t, "{key} = {}", num(f.rate, 3));
            }
        }
        match &o.hour_profile {
            Some(p) => {
                let values: Vec<String> = p.iter().map(|v| num(*v, 4)).collect();
                let se: Vec<String> = o.hour_profile_se.iter().map(|v| num(*v, 4)).collect();
                let _ = writeln!(
                    t,
                    "# Rate in each UTC hour of {} over their mean rate (mean 1).",
                    if o.weekend_note.is_some_and(|n| n.contains("weekday")) {
                        "weekend days"
                    } else {
                        "weekdays"
                    }
                );
                let _ = writeln!(t, "# se per hour: [{}]", se.join(", "));
                let _ = writeln!(t, "hour_profile = [{}]", values.join(", "));
            }
            None => {
                let _ = writeln!(
                    t,
                    "# No hour_profile: some UTC hour was never observed, so the rate is flat."
                );
            }
        }
        match (o.weekend_factor_se, o.weekend_note) {
            (Some(se), _) => {
                let _ = writeln!(
                    t,
                    "weekend_factor = {}  # weekend rate / weekday rate; se {}",
                    num(o.weekend_factor, 4),
                    num(se, 4)
                );
            }
            (None, note) => {
                let _ = writeln!(
                    t,
                    "weekend_factor = 1  # not estimated: {}",
                    note.unwrap_or("")
                );
            }
        }
        let _ = writeln!(
            t,
            "synced_fraction = {}  # both directions; se {}",
            num(o.synced_fraction, 4),
            num(o.synced_fraction_se, 4)
        );
        match &o.choice {
            ChoiceFit::Uniform { z } => {
                let _ = writeln!(
                    t,
                    "record_choice = \"uniform\"  # no significant skew: dispersion z = {} (hot set above {SKEW_Z})",
                    num(*z, 2)
                );
            }
            ChoiceFit::HotSet {
                hot,
                fraction,
                share,
                share_se,
                z,
            } => {
                let _ = writeln!(
                    t,
                    "# Skewed: dispersion z = {} (uniform would be about 0). The {hot} busiest ids \
                     take {} of the edits; the simulation makes ids 0..{} the hot ones.",
                    num(*z, 1),
                    num(*share, 4),
                    hot
                );
                let _ = writeln!(t, "record_choice = \"hot_set\"");
                let _ = writeln!(
                    t,
                    "hot_fraction = {fraction}  # {hot} of {} records",
                    o.records
                );
                let _ = writeln!(
                    t,
                    "hot_share = {}  # se {}",
                    num(*share, 4),
                    num(*share_se, 4)
                );
            }
        }
    }
    let _ = writeln!(t, "\n[sync]");
    let _ = writeln!(
        t,
        "# A change log says nothing about the sync: set its policy, throughput and workers for"
    );
    let _ = writeln!(
        t,
        "# your platform (a `preset`, or see docs/scenario.md). `syncsim fit --dashboard` bounds"
    );
    let _ = writeln!(
        t,
        "# the throughput from the admin page's figures. Until then the defaults apply."
    );
    t
}

// ---------------------------------------------------------------------------------------
/// The trend comparison as a table for the terminal.
pub fn write_comparison(c: &TrendComparison) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "{:<22} {:>10} {:>10} {:>10} {:>8}",
        "time_utc", "observed", "simulated", "error", "error %"
    );
    for p in &c.points {
        let pct = if p.observed > 0 {
            format!("{:.1}", p.error() as f64 / p.observed as f64 * 100.0)
        } else {
            "-".into()
        };
        let _ = writeln!(
            t,
            "{:<22} {:>10} {:>10} {:>+10} {:>8}",
            p.at.to_string(),
            p.observed,
            p.simulated,
            p.error(),
            pct
        );
    }
    let _ = writeln!(
        t,
        "Mean absolute error {:.1} records; mean absolute percentage error {}; max error {} \
         records ({} points).",
        c.mae,
        c.mape
            .map_or("- (no point above 0)".into(), |m| format!("{m:.2}%")),
        c.max_error,
        c.points.len()
    );
    t
}

/// What the figures of `path` (`rows` objects) say about throughput, for the terminal: the
/// lower bound always; an estimate only when the sync was shown saturated, and otherwise
/// why not.
pub fn write_bounds(b: &ThroughputBounds, path: &Path, rows: usize) -> String {
    let mut text = format!(
        "Throughput from {} ({rows} objects), records per hour, all workers together:\n\
         \x20 largest single object's max per hour   {:>12.0}  (the sync did this in one hour)\n\
         \x20 sum of the objects' averages           {:>12.0}  (its average over the 24 hours)\n\
         \x20 sum of the objects' maxima             {:>12.0}  (no hour did more)\n\
         Throughput is at least {:.0} records/h.\n",
        path.display(),
        b.max_single,
        b.sum_avg,
        b.sum_max,
        b.lower
    );
    match &b.saturation {
        Saturation::Shown { points } => {
            let _ = writeln!(
                text,
                "The trend shows the sync saturated all 24 hours: from {points} of its points the \
                 backlog held more records than the hours up to the next could complete at the \
                 busiest rate seen, so work waited every hour. Throughput is about {:.0} records/h (sync.throughput x sync.workers, less \
                 cycle waits and batch overheads; skips cost less than updates, so a skip-heavy \
                 day overstates it).",
                b.sum_avg
            );
        }
        Saturation::KeptUp { hours_of_work } => {
            let _ = writeln!(
                text,
                "No estimate: the backlog at the fetch, {:.0} records, is {} of work at the \
                 average rate. The sync kept up with its edits and waited between cycles, so \
                 these hours show what it was asked to do, not what it can do: its throughput \
                 may be far above {:.0}/h.",
                b.backlog,
                human_hours(*hours_of_work),
                b.lower
            );
        }
        Saturation::NotShown { hours_of_work, why } => {
            let _ = writeln!(
                text,
                "No estimate: a backlog of {:.0} was waiting at the fetch ({} of work at the \
                 average rate), but {}. Only a sync saturated all 24 hours has its throughput \
                 as its average ({:.0}/h).",
                b.backlog,
                human_hours(*hours_of_work),
                match why {
                    Some(why) => format!("the trend does not show it waited all 24 hours: {why}"),
                    None => "nothing shows it waited all 24 hours; pass the page's trend \
                             (--trend TREND.csv) to check"
                        .to_string(),
                },
                b.sum_avg
            );
        }
    }
    text
}

/// A throughput search as a table, then the best throughput.
pub fn write_search(trials: &[ThroughputTrial], best: Option<&ThroughputTrial>) -> String {
    let mut text = String::from("\nthroughput        MAE\n");
    for t in trials {
        let _ = writeln!(text, "{:>10.0} {:>10.1}", t.throughput, t.comparison.mae);
    }
    if let Some(b) = best {
        let _ = writeln!(
            text,
            "Best sync.throughput = {:.0} (mean absolute error {:.1} records); the first of \
             equal errors is kept.",
            b.throughput, b.comparison.mae
        );
    }
    text
}
