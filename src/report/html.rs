//! `dashboard.html`: one self-contained page per run, laid out like the "Sync Backlog Metrics"
//! admin page an admin already knows: the 4-hour backlog trend, the per-object table, the
//! page's estimate hour by hour against the real clear time, then the forecast (clear and recovery times, latency, the highest backlog, where every edit went),
//! errors, retries and the API budget when the run has them, and the scenario's key
//! assumptions.
//!
//! A run of several replications passes its [`MonteCarlo`] as well: the page then opens the
//! forecast with the spread across replications (clear and recovery times, the backlog,
//! latency per object, the fan chart) and says that the trend, the per-object table and the
//! details are replication 0's.
//!
//! The page has inline SVG charts and CSS only: no script, no external resource, no URL. All
//! text from the scenario is escaped. Tables are semantic (`<caption>`, `<th scope>`), charts
//! carry a `<title>` and `aria-label`, and a print stylesheet lays the page out on paper.
//! Numbers come from the run's summary and are formatted here, nothing is computed. Each
//! section has a file of its own under `html/`.
//!
//! `compare.html` (`html/compare.rs`), the page of `syncsim compare`, shares the look.

mod assumptions;
mod compare;
mod errors;
mod forecast;
mod markup;
mod reality;
mod spread;

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::replicate::MonteCarlo;
use crate::report::terminal::span_text;
use crate::summary::RunSummary;
use crate::text::thousands;
use crate::units::human_hours;
use markup::{cell, esc, figure, head_row, num, object_head, status_with_readings, utc, zone, CSS};

pub use compare::{render as render_compare, write_compare, COMPARE_FILE};

/// The file name of the dashboard.
pub const DASHBOARD_FILE: &str = "dashboard.html";

/// Writes the dashboard of a run. `svgs` holds the rendered SVG charts by stem (`trend`,
/// `backlog`, `latency`, `throughput`, and `backlog_fan` for a Monte Carlo run); a chart
/// missing from it is left out of the page. `mc` is given for a run of several replications,
/// whose replication 0 is `run`.
pub fn write_dashboard(
    run: &RunSummary,
    mc: Option<&MonteCarlo>,
    svgs: &[(&str, String)],
    w: &mut dyn Write,
) -> io::Result<()> {
    w.write_all(render(run, mc, svgs).as_bytes())
}

/// The dashboard as a string (see [`write_dashboard`]).
pub fn render(run: &RunSummary, mc: Option<&MonteCarlo>, svgs: &[(&str, String)]) -> String {
    let (sc, r, d) = (run.scenario(), run.run(), run.dashboard());
    let mut out = String::with_capacity(256 * 1024);
    let o = &mut out;
    // Where a figure is one replication's, a Monte Carlo page says so.
    let rep0 = mc.map_or(String::new(), |f| {
        format!(" Replication 0 of {}.", f.runs.len())
    });
    let name = esc(&sc.name);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Sync Backlog Metrics: {name}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
    );

    // Header: what was simulated.
    let _ = write!(
        o,
        "<header>\n<h1>Sync Backlog Metrics</h1>\n<p>Scenario <strong>{name}</strong>{}</p>\n\
         <p>Simulated {} to {} {} ({}), seed {}, policy {}. Overall status {} with {} records \
         pending at the last fetch.</p>\n",
        if sc.description.is_empty() {
            String::new()
        } else {
            format!(": {}", esc(&sc.description))
        },
        utc(sc, 0),
        utc(sc, r.horizon()),
        zone(sc),
        span_text(run),
        r.seed(),
        sc.sync.policy.name(),
        d.status.label(),
        thousands(d.total_backlog),
    );
    if let Some(f) = mc {
        let _ = writeln!(
            o,
            "<p><strong>{} replications</strong>, each with its own seed \
             derived from seed {}: the forecast across replications covers them all; the trend, \
             the per-object table and every other figure on this page are replication 0's \
             (seed {}).</p>",
            thousands(f.runs.len() as u64),
            sc.seed,
            r.seed()
        );
    }
    o.push_str("</header>\n<main>\n");

    // The trend, as on the admin page, and the true peak when it fell between two bars.
    let highest = d.trend.iter().map(|&(_, b)| b).max().unwrap_or(0);
    let between = if r.max_backlog() > highest {
        format!(
            " The highest bar is {} records; the true peak, {} records at {} {}, fell between \
             two bars (the dashed line).",
            thousands(highest),
            thousands(r.max_backlog()),
            utc(sc, r.max_backlog_at()),
            zone(sc)
        )
    } else {
        String::new()
    };
    let _ = write!(
        o,
        "<section id=\"trend\" aria-labelledby=\"trend-h\">\n<h2 id=\"trend-h\">Sync Backlog Trend</h2>\n\
         <p class=\"note\">Total backlog at each 4-hour boundary, the last {} before {} {}.{}{rep0}</p>\n",
        d.trend.len(),
        utc(sc, d.at),
        zone(sc),
        esc(&between)
    );
    figure(
        o,
        svgs,
        "trend",
        "Sync backlog trend: bars are the total records pending, both directions, every 4 hours.",
    );
    o.push_str("</section>\n");

    // The per-object table.
    let _ = write!(
        o,
        "<section id=\"objects\" aria-labelledby=\"objects-h\">\n<h2 id=\"objects-h\">Sync backlog by object</h2>\n\
         <p class=\"fetch\"><span>Backlog last fetched: <b>{} {}</b></span><span>Next fetch: <b>{} {}</b></span>\
         <span>Records synced per hour over the last <b>{} hours</b></span></p>\n<div class=\"scroll\"><table>\n\
         <caption>Records synced (updates and skips) per hour, the backlog in both directions at \
         the last fetch, and the estimated time to clear it at the average rate. Growing: the \
         backlog is above its level 6 hours before; beside each status, the backlog 6 hours \
         before the fetch, at the fetch, and the change.{rep0}</caption>\n",
        utc(sc, d.last_fetch),
        zone(sc),
        utc(sc, d.next_fetch),
        zone(sc),
        d.hours_considered
    );
    head_row(
        o,
        &[
            ("Object", false),
            ("Max Records Synced Per Hour", true),
            ("Min Records Synced Per Hour", true),
            ("Average Records Synced Per Hour", true),
            ("Sync Backlog", true),
            ("Estimated Backlog Time", true),
            ("Backlog Last Fetched", false),
            ("Next Fetch", false),
            ("Status", false),
        ],
    );
    o.push_str("<tbody>\n");
    for row in &d.rows {
        o.push_str("<tr>");
        o.push_str(&object_head(sc, row.object));
        num(o, &thousands(row.max_per_hour));
        num(o, &thousands(row.min_per_hour));
        num(o, &thousands(row.avg_per_hour.round() as u64));
        num(o, &thousands(row.backlog));
        num(
            o,
            &row.est_backlog_hours
                .map_or_else(|| "never".to_string(), human_hours),
        );
        cell(o, &utc(sc, d.last_fetch));
        cell(o, &utc(sc, d.next_fetch));
        let _ = writeln!(
            o,
            "<td>{}</td></tr>",
            status_with_readings(row.status, row.backlog_before, row.backlog)
        );
    }
    let _ = write!(
        o,
        "</tbody>\n<tfoot><tr><th scope=\"row\">Total</th><td></td><td></td><td></td>\
         <td class=\"num\">{}</td><td></td><td></td><td></td><td>{}</td></tr></tfoot>\n</table></div>\n</section>\n",
        thousands(d.total_backlog),
        status_with_readings(d.status, d.total_backlog_before, d.total_backlog)
    );
    reality::reality_section(o, run, svgs);

    // The forecast: across replications first, if any, then the one run in detail.
    if let Some(f) = mc {
        spread::spread_section(o, f, svgs, run.shows_errors());
    }
    forecast::forecast_section(o, run, mc.is_some(), svgs);
    if run.shows_errors() {
        errors::errors_section(o, run, mc.is_some(), svgs);
    }
    assumptions::assumptions_section(o, run, mc.is_some());
    o.push_str("</main>\n");
    let _ = write!(
        o,
        "<footer>Written by syncsim {}. The same scenario, seed and program version give the same \
         numbers; the CSV files beside this page hold every series.</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    out
}
