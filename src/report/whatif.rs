//! The what-if page's reports (`syncsim serve`): a run's dashboard as one page, the same
//! bytes `dashboard.html` holds (its charts rendered inline, nothing written), and the
//! answers of a variant beside its baseline's as an HTML table.
//!
//! Numbers come from the outcomes and their differences ([`crate::whatif`], computed as
//! `syncsim compare` computes them); this only picks, formats and escapes them. Every value cell names its metric and side
//! (`data-metric`, `data-side`), so a script or a test can read a figure off the page.

use std::fmt::Write as _;

use rayon::prelude::*;

use super::charts::{escape_xml as esc, ChartError};
use super::{figures, html};
use crate::catalogue::{self, Missing, Unit};
use crate::planner::compare::Verdict;
use crate::replicate::MonteCarlo;
use crate::summary::RunSummary;
use crate::text::{fixed, thousands};
use crate::units::human_duration;
use crate::whatif::{Answer, SplitPlan};

/// The dashboard of a run: what `syncsim run` writes as `dashboard.html` for it (with `mc`,
/// for its replications), byte for byte.
pub fn dashboard(run: &RunSummary, mc: Option<&MonteCarlo>) -> Result<String, ChartError> {
    let mut figures = figures::run_charts(run);
    if let Some(mc) = mc {
        figures.push(figures::fan(mc));
    }
    let svgs: Vec<(&str, String)> = figures
        .par_iter()
        .map(|f| f.chart.render_svg(f.size).map(|svg| (f.stem, svg)))
        .collect::<Result<_, _>>()?;
    Ok(html::render(run, mc, &svgs))
}

/// What a metric is, in a planner's words: `opportunity_bulk: clear time`.
pub fn label(name: &str) -> String {
    let parts: Vec<&str> = name.split('.').collect();
    match parts.as_slice() {
        ["event", event @ .., "clear_h"] => format!("{}: clear time", event.join(".")),
        ["event", event @ .., "recovery_h"] => format!("{}: recovery time", event.join(".")),
        ["backlog", "max"] => "Highest backlog".into(),
        ["backlog", "end"] => "Backlog at the end".into(),
        ["dashboard", "growing"] => "Status at the last fetch".into(),
        ["latency", object, p, ..] if p.ends_with("_min") => {
            format!("{object}: {} latency", p.trim_end_matches("_min"))
        }
        _ => name.to_string(),
    }
}

/// A value of metric `name` as the page shows it: a time as the terminal and
/// `dashboard.html` show one ([`crate::units::human_duration`]: `6.6 h`, `42 min`), a count
/// with thousands separators (`25,878`), a share as a percentage, a status as `Growing` or
/// `Normal`; a missing value as the catalogue says (`not within the horizon`).
pub fn value_text(name: &str, value: Option<f64>) -> String {
    let Some(x) = value else {
        return match catalogue::missing(name) {
            Missing::NotWithinHorizon => "not within the horizon",
            Missing::Infinite => "never",
            Missing::NoData => "no data",
            Missing::Impossible => "-",
        }
        .into();
    };
    match catalogue::unit(name) {
        Some(unit @ (Unit::Hours | Unit::Minutes)) if x.is_finite() && x >= 0.0 => {
            let ms = unit.millis().expect("a time unit") as f64;
            human_duration((x * ms).round() as u64)
        }
        Some(Unit::Fraction) => format!("{}%", fixed(x * 100.0, 1)),
        Some(Unit::PerHour) => format!("{}/h", thousands(x.round().max(0.0) as u64)),
        Some(Unit::Status) if x == 1.0 => "Growing".into(),
        Some(Unit::Status) if x == 0.0 => "Normal".into(),
        Some(Unit::Status) => format!("Growing in {}% of runs", fixed(x * 100.0, 0)),
        _ if x.fract() == 0.0 => thousands(x.max(0.0) as u64),
        _ => fixed(x, 1),
    }
}

/// A signed change of metric `name`: `−31 min`, `+1,204`, `0`.
fn change_text(name: &str, change: f64) -> String {
    if catalogue::unit(name) == Some(Unit::Status) {
        return if change == 1.0 {
            "to Growing".into()
        } else if change == -1.0 {
            "to Normal".into()
        } else {
            format!(
                "{}{} points of runs Growing",
                if change < 0.0 { "\u{2212}" } else { "+" },
                fixed(change.abs() * 100.0, 0)
            )
        };
    }
    if change == 0.0 {
        return "0".into();
    }
    let magnitude = value_text(name, Some(change.abs()));
    if change < 0.0 {
        format!("\u{2212}{magnitude}")
    } else if change > 0.0 {
        format!("+{magnitude}")
    } else {
        magnitude
    }
}

/// The table of answers: one row per metric, the baseline's value, the variant's, the
/// change (with its 95% confidence interval across `replications`) and the verdict, all as
/// `syncsim compare` has them; below it, the clear time of each part of each of the
/// variant's `splits`.
pub fn answers(answers: &[Answer], replications: u64, splits: &[SplitPlan]) -> String {
    let reps = replications;
    let mut o = String::with_capacity(4096);
    let what = if reps > 1 {
        format!(
            "Means over {} replications with the same seeds on both sides; the change is \
             the mean of the paired differences, with its 95% confidence interval.",
            thousands(reps)
        )
    } else {
        "One run of each, with the same seed: no interval, so no difference is detectable."
            .to_string()
    };
    let _ = write!(
        o,
        "<table class=\"answers\">\n<caption>The variant beside the baseline. {what}</caption>\n\
         <thead><tr><th scope=\"col\">Answer</th><th scope=\"col\" class=\"num\">Baseline</th>\
         <th scope=\"col\" class=\"num\">Variant</th><th scope=\"col\" class=\"num\">Change</th>\
         <th scope=\"col\">Verdict</th></tr></thead>\n<tbody>\n"
    );
    for a in answers {
        let c = &a.comparison;
        let name = &c.metric;
        let mut label = label(name);
        if a.whole_plan {
            label.push_str(" (all parts)");
        }
        let description = catalogue::lookup(name).map_or("", |m| m.description);
        let d = c.difference.as_ref();
        let change = match (d.and_then(|d| d.mean), d.and_then(|d| d.ci)) {
            (Some(m), Some(i)) => format!(
                "{} (95% CI {} to {})",
                change_text(name, m),
                change_text(name, i.low),
                change_text(name, i.high)
            ),
            (Some(m), None) => change_text(name, m),
            (None, _) => "-".into(),
        };
        let verdict_class = match c.verdict {
            Verdict::Better => "better",
            Verdict::Worse => "worse",
            _ => "neutral",
        };
        let variant = c.variant.as_ref().and_then(|v| v.mean);
        let _ = writeln!(
            o,
            "<tr><th scope=\"row\" title=\"{}\">{}</th>\
             <td class=\"num\" data-metric=\"{metric}\" data-side=\"baseline\">{}</td>\
             <td class=\"num\" data-metric=\"{metric}\" data-side=\"variant\">{}</td>\
             <td class=\"num\" data-metric=\"{metric}\" data-side=\"change\">{}</td>\
             <td><span class=\"verdict {verdict_class}\">{}</span></td></tr>",
            esc(description),
            esc(&label),
            esc(&value_text(name, a.baseline.mean)),
            esc(&value_text(name, variant)),
            esc(&change),
            c.verdict.label(),
            metric = esc(name),
        );
    }
    o.push_str("</tbody>\n</table>\n");
    // The parts of a split are events of their own: each part's clear time.
    for split in splits {
        let texts: Vec<String> = split
            .parts
            .iter()
            .map(|(part, mean)| {
                format!(
                    "{part} {}",
                    value_text(&format!("event.{part}.clear_h"), *mean)
                )
            })
            .collect();
        let _ = writeln!(
            o,
            "<p class=\"note\">Clear time of each part of {}: {}.</p>",
            esc(&split.event),
            esc(&texts.join(", "))
        );
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_the_terminal_reads_them() {
        assert_eq!(value_text("event.bulk.clear_h", Some(3.98)), "4 h");
        assert_eq!(value_text("event.bulk.clear_h", Some(6.57)), "6.6 h");
        assert_eq!(value_text("latency.Lead.p99_min", Some(42.2)), "42 min");
        assert_eq!(value_text("latency.Lead.p99_min", Some(249.63)), "4.2 h");
        assert_eq!(value_text("backlog.max", Some(25_878.0)), "25,878");
        assert_eq!(value_text("dashboard.growing", Some(1.0)), "Growing");
        assert_eq!(
            value_text("event.bulk.clear_h", None),
            "not within the horizon"
        );
        assert_eq!(change_text("event.bulk.clear_h", -2.59), "\u{2212}2.6 h");
        assert_eq!(change_text("event.bulk.clear_h", 0.5), "+30 min");
        assert_eq!(change_text("event.bulk.clear_h", 0.0), "0");
        assert_eq!(change_text("backlog.max", -2_886.0), "\u{2212}2,886");
        assert_eq!(change_text("dashboard.growing", -1.0), "to Normal");
    }
}
