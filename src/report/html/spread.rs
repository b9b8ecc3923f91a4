//! The dashboard's "Forecast across replications" section: per event the clear and recovery
//! times, the backlog (and the errors and API figures), each as the mean with its confidence
//! interval and the P50 and P90 with the P90's; the fan chart; latency per object as the mean
//! across replications with its confidence interval, as in the terminal.

use std::fmt::Write as _;

use super::markup::{cell, esc, figure, head_row, num, object_head};
use crate::replicate::MonteCarlo;
use crate::report::figures::FAN_CHART;
use crate::report::montecarlo;
use crate::stats::Aggregate;
use crate::text::{fixed, thousands};

/// The cells of one metric across replications: mean, 95% CI of the mean, P50, P90, 95% CI
/// of the P90, and how often it did not come within the horizon (`missed`: "did not clear", ...).
fn spread_cells(o: &mut String, a: &Aggregate, f: &dyn Fn(f64) -> String, missed: &str) {
    num(o, &a.mean.map_or_else(|| "-".to_string(), f));
    num(
        o,
        &montecarlo::mean_ci_text(a, f).unwrap_or_else(|| "-".to_string()),
    );
    num(o, &montecarlo::or_never(a.p50, f));
    num(o, &montecarlo::or_never(a.p90, f));
    num(
        o,
        &montecarlo::p90_ci_text(a, f).unwrap_or_else(|| "-".to_string()),
    );
    cell(
        o,
        &montecarlo::never_text(a).map_or_else(|| "-".to_string(), |n| format!("{missed} in {n}")),
    );
}

/// "Forecast across R replications": per event the clear and recovery times, the backlog (and
/// the errors and API figures when `errors`) as mean with its confidence interval, P50 and
/// P90; the fan chart; latency per object.
pub(super) fn spread_section(
    o: &mut String,
    f: &MonteCarlo,
    svgs: &[(&str, String)],
    errors: bool,
) {
    let sc = f.first.scenario();
    let runs = f.runs.len();
    let _ = write!(
        o,
        "<section id=\"spread\" aria-labelledby=\"spread-h\">\n<h2 id=\"spread-h\">Forecast across {} replications</h2>\n\
         <p class=\"note\">Each replication runs the scenario with its own seed. Mean across \
         replications with the 95% confidence interval of the mean, then the median (P50) and \
         90th percentile (P90) across replications with the 95% confidence interval of the P90 \
         (from order statistics); \"never\" where too many replications did not get there \
         within the horizon. Every other section of the page shows replication 0 \
         alone.</p>\n<div class=\"scroll\"><table>\n<caption>Clear and recovery time of each \
         event (hours from its first edit), the backlog (records){}, across {} replications.\
         </caption>\n",
        thousands(runs as u64),
        if errors {
            ", errors, the retry and timeout queues and the API budget"
        } else {
            ""
        },
        thousands(runs as u64)
    );
    head_row(
        o,
        &[
            ("Measure", false),
            ("Mean", true),
            ("95% CI of the mean", true),
            ("P50", true),
            ("P90", true),
            ("95% CI of the P90", true),
            ("Not within the horizon", false),
        ],
    );
    o.push_str("<tbody>\n");
    let hours = |x: f64| fixed(x, 2);
    let records = |x: f64| thousands(x.round() as u64);
    let mut row = |label: String, name: &str, fmt: &dyn Fn(f64) -> String, missed: &str| {
        if let Some(a) = f.aggregate(name) {
            let _ = write!(o, "<tr><th scope=\"row\">{}</th>", esc(&label));
            spread_cells(o, a, fmt, missed);
            o.push_str("</tr>\n");
        }
    };
    for e in f.first.run().events() {
        let p = format!("event.{}", e.name);
        row(
            format!("{}: clear time (h)", e.name),
            &format!("{p}.clear_h"),
            &hours,
            "did not clear",
        );
        row(
            format!("{}: recovery time (h)", e.name),
            &format!("{p}.recovery_h"),
            &hours,
            "did not recover",
        );
    }
    row("Max backlog (records)".into(), "backlog.max", &records, "");
    row(
        "Backlog at the end (records)".into(),
        "backlog.end",
        &records,
        "",
    );
    if errors {
        for (label, name) in [
            ("Failed attempts, transient", "errors_transient"),
            ("Failed attempts, permanent", "errors_permanent"),
            ("Retry queue, highest", "retry_queue_max"),
            ("Timeout queue, highest", "timeout_queue_max"),
            ("In the retry queue at the end", "retry_queue_end"),
            ("In the timeout queue at the end", "timeout_queue_end"),
            ("Peak API calls in a rolling 24 hours", "api.peak_usage"),
        ] {
            row(label.into(), name, &records, "");
        }
        row(
            "Time the sync was paused by the API limit (h)".into(),
            "api.paused_h",
            &hours,
            "",
        );
        row(
            "Time retries were held back by usage (h)".into(),
            "api.suppressed_h",
            &hours,
            "",
        );
    }
    o.push_str("</tbody>\n</table></div>\n");
    figure(
        o,
        svgs,
        FAN_CHART,
        &format!(
            "Total backlog across {runs} replications: the band spans the 10th to the 90th \
             percentile at each sample, the line is the median; dashed lines mark the \
             scenario's events."
        ),
    );
    let _ = write!(
        o,
        "<h3>Latency per object across replications</h3>\n<div class=\"scroll\"><table>\n\
         <caption>Minutes from the edit to the end of the batch that synced it, synced updates \
         only: each replication's percentile, averaged over the {} replications, with the 95% \
         confidence interval of that mean in brackets.</caption>\n",
        thousands(runs as u64)
    );
    head_row(
        o,
        &[
            ("Object", false),
            ("Synced updates (mean)", true),
            ("p50 (min)", true),
            ("p90 (min)", true),
            ("p99 (min)", true),
            ("Max (min)", true),
        ],
    );
    o.push_str("<tbody>\n");
    for (i, object) in sc.objects.iter().enumerate() {
        o.push_str("<tr>");
        o.push_str(&object_head(sc, i));
        let p = format!("latency.{}", object.name);
        let count = f.aggregate(&format!("{p}.count")).and_then(|a| a.mean);
        num(o, &count.map_or_else(|| "-".to_string(), records));
        for q in ["p50", "p90", "p99", "max"] {
            let text = f
                .aggregate(&format!("{p}.{q}_min"))
                .map_or_else(|| "-".to_string(), |a| montecarlo::mean_with_ci(a, 2));
            num(o, &text);
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</tbody>\n</table></div>\n</section>\n");
}
