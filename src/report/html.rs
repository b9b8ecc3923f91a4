//! `dashboard.html`: one self-contained page per run, laid out like the "Sync Backlog Metrics"
//! admin page an admin already knows: the 4-hour backlog trend, the per-object table, then the
//! forecast (clear and recovery times, latency, the highest backlog, where every edit went),
//! errors, retries and the API budget when the scenario has them, and the scenario's key
//! assumptions.
//!
//! A Monte Carlo run passes its [`Forecast`] as well: the page then opens the forecast with the
//! spread across replications (clear and recovery times, the backlog, latency per object, the
//! fan chart) and says that the trend, the per-object table and the details are replication 0's.
//!
//! The page has inline SVG charts and CSS only: no script, no external resource, no URL. All
//! text from the scenario is escaped. Tables are semantic (`<caption>`, `<th scope>`), charts
//! carry a `<title>` and `aria-label`, and a print stylesheet lays the page out on paper.
//! Numbers come from [`crate::metrics`] and are formatted here, nothing is computed.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::charts::{escape_xml as esc, object_colour};
use super::figures::FAN_CHART;
use super::fixed;
use super::montecarlo::{self, Forecast};
use super::terminal::thousands;
use crate::metrics::{Dashboard, LatencySummary, RunResult, Status};
use crate::replicate::Aggregate;
use crate::scenario::{Direction, EventKind, Policy, RecordChoice, Scenario, Selection};
use crate::units::{format_duration, human_duration, Millis, HOUR, MINUTE};

/// The file name of the dashboard.
pub const DASHBOARD_FILE: &str = "dashboard.html";

const CSS: &str = r#"
:root { --ink: #1f2933; --muted: #52606d; --line: #d9e2ec; --head: #f0f4f8; --accent: #3d556e;
  --growing: #b42318; --growing-bg: #fdecea; --normal: #1e6b3a; --normal-bg: #e6f4ea; }
* { box-sizing: border-box; }
body { margin: 0; background: #f5f7fa; color: var(--ink);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { background: var(--accent); color: #fff; padding: 18px 28px 14px; }
header h1 { margin: 0 0 4px; font-size: 24px; font-weight: 600; }
header p { margin: 2px 0; color: #e4ebf2; }
header strong { color: #fff; }
main { max-width: 1240px; margin: 0 auto; padding: 16px 20px 32px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px;
  padding: 14px 20px 18px; margin: 0 0 18px; }
h2 { font-size: 19px; margin: 2px 0 10px; color: var(--accent); }
h3 { font-size: 16px; margin: 20px 0 8px; }
p.note { color: var(--muted); margin: 0 0 10px; }
figure { margin: 8px 0 4px; }
figure svg { display: block; width: 100%; height: auto; max-width: 1200px; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 4px; font-size: 13.5px; }
caption { text-align: left; color: var(--muted); font-size: 13px; padding: 0 0 6px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left;
  vertical-align: top; }
thead th { background: var(--head); font-weight: 600; border-bottom: 2px solid var(--line); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
.scroll { overflow-x: auto; }
tbody th { font-weight: 600; white-space: nowrap; }
tfoot th, tfoot td { font-weight: 600; border-top: 2px solid var(--line); }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px;
  margin-right: 7px; vertical-align: -1px; }
.status { display: inline-block; padding: 1px 9px; border-radius: 10px; font-weight: 600;
  font-size: 13px; }
.status.growing { color: var(--growing); background: var(--growing-bg); }
.status.normal { color: var(--normal); background: var(--normal-bg); }
.fetch { display: flex; flex-wrap: wrap; gap: 6px 28px; color: var(--muted); margin: 0 0 6px; }
.fetch b { color: var(--ink); font-weight: 600; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 6px 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.equation { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
  font-size: 13px; color: var(--muted); }
footer { color: var(--muted); font-size: 13px; text-align: center; padding: 0 20px 24px; }
@media print {
  @page { margin: 12mm; }
  body { background: #fff; font-size: 10pt; }
  header { background: none; color: #000; padding: 0 0 8px; border-bottom: 2px solid #000; }
  header p, header strong { color: #000; }
  main { max-width: none; padding: 8px 0; }
  section { border: none; border-radius: 0; padding: 0; margin: 0 0 14px; }
  h2 { color: #000; }
  figure, table, dl.facts { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  .status { border: 1px solid currentColor; }
  thead th { background: #eee; }
}
"#;

fn h(ms: Millis) -> String {
    format!("{} h", fixed(ms as f64 / HOUR as f64, 2))
}

fn hours_or(ms: Option<Millis>, missing: &str) -> String {
    ms.map_or_else(|| missing.to_string(), h)
}

fn minutes(ms: Millis) -> String {
    fixed(ms as f64 / 60_000.0, 2)
}

fn utc(sc: &Scenario, t: Millis) -> String {
    let s = sc.instant(t).to_string();
    s.trim_end_matches('Z').replacen('T', " ", 1)
}

fn status_badge(s: Status) -> String {
    let class = match s {
        Status::Growing => "growing",
        Status::Normal => "normal",
    };
    format!("<span class=\"status {class}\">{}</span>", s.label())
}

fn object_head(sc: &Scenario, o: usize) -> String {
    format!(
        "<th scope=\"row\"><span class=\"swatch\" style=\"background:{}\" aria-hidden=\"true\"></span>{}</th>",
        object_colour(o).hex(),
        esc(&sc.objects[o].name)
    )
}

/// An inline SVG chart inside a `<figure>`: the `xmlns` attribute is dropped (HTML does not
/// need it) so the page holds no URL at all.
fn figure(out: &mut String, svgs: &[(&str, String)], stem: &str, caption: &str) {
    if let Some((_, svg)) = svgs.iter().find(|(s, _)| *s == stem) {
        let svg = svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1);
        let _ = write!(
            out,
            "<figure>\n{svg}\n<figcaption>{}</figcaption>\n</figure>\n",
            esc(caption)
        );
    }
}

fn head_row(out: &mut String, cells: &[(&str, bool)]) {
    out.push_str("<thead><tr>");
    for (label, num) in cells {
        let class = if *num { " class=\"num\"" } else { "" };
        let _ = write!(out, "<th scope=\"col\"{class}>{label}</th>");
    }
    out.push_str("</tr></thead>\n");
}

fn num(out: &mut String, text: &str) {
    let _ = write!(out, "<td class=\"num\">{}</td>", esc(text));
}

fn cell(out: &mut String, text: &str) {
    let _ = write!(out, "<td>{}</td>", esc(text));
}

fn policy_text(sc: &Scenario) -> String {
    let names = |order: &[usize]| {
        order
            .iter()
            .map(|&o| sc.objects[o].name.as_str())
            .collect::<Vec<_>>()
            .join(" > ")
    };
    match &sc.sync.policy {
        Policy::Fifo => "fifo: oldest edit first across all objects".into(),
        Policy::RoundRobin { order, slice } => format!(
            "round_robin: turns of up to {} records per object, in the order {}",
            thousands(*slice as u64),
            names(order)
        ),
        Policy::Priority { order } => format!("priority: {}", names(order)),
        Policy::Weighted { weights } => format!(
            "weighted: {}",
            weights
                .iter()
                .enumerate()
                .map(|(o, w)| format!("{} {w}", sc.objects[o].name))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn record_choice_text(c: &RecordChoice) -> String {
    match c {
        RecordChoice::Uniform => "uniform".into(),
        RecordChoice::HotSet { fraction, share } => format!(
            "hot set: {}% of records get {}% of edits",
            fixed(fraction * 100.0, 1),
            fixed(share * 100.0, 1)
        ),
        RecordChoice::Zipf { exponent } => format!("Zipf, exponent {}", fixed(*exponent, 2)),
    }
}

fn event_text(sc: &Scenario, kind: &EventKind) -> String {
    match kind {
        EventKind::BulkUpdate {
            object,
            direction,
            count,
            spread,
            selection,
            first_record,
            synced_fields,
        } => format!(
            "{} {} records ({}), {}, spread over {}; {}",
            thousands(*count as u64),
            sc.objects[*object].name,
            match selection {
                Selection::Sequential => format!("ids from {}", thousands(*first_record as u64)),
                Selection::Random => "picked at random".into(),
            },
            match direction {
                Direction::ToMarketing => "CRM to marketing platform",
                Direction::ToCrm => "marketing platform to CRM",
            },
            format_duration(*spread),
            if *synced_fields {
                "synced fields (updates)"
            } else {
                "hidden fields only (skips)"
            }
        ),
        EventKind::EnableObject { object } => format!(
            "{} joins the sync: all its records enter the queue",
            sc.objects[*object].name
        ),
        EventKind::SyncDisabled { duration: Some(d) } => {
            format!("sync disabled for {}", format_duration(*d))
        }
        EventKind::SyncDisabled { duration: None } => "sync disabled until enabled".into(),
        EventKind::SyncEnabled => "sync enabled".into(),
        EventKind::SetThroughput { throughput } => format!(
            "throughput set to {} units per hour per worker",
            thousands(throughput.round() as u64)
        ),
        EventKind::SetWorkers { workers } => format!("workers set to {workers}"),
        EventKind::FixErrors { object } => format!(
            "the cause of {}'s permanent errors is fixed",
            sc.objects[*object].name
        ),
        EventKind::RetryErrored { object } => format!(
            "every errored {} record is retried now",
            sc.objects[*object].name
        ),
    }
}

fn latency_cells(out: &mut String, l: &Option<LatencySummary>) {
    match l {
        Some(l) => {
            num(out, &thousands(l.count));
            for v in [l.p50, l.p90, l.p99, l.max] {
                num(out, &minutes(v));
            }
        }
        None => {
            num(out, "0");
            for _ in 0..4 {
                num(out, "-");
            }
        }
    }
}

/// Whether the run has errors, retries or an API budget to show: error rates in the scenario,
/// failed attempts or errored records in the run, a daily API limit, or other integrations'
/// calls. The sync's own batch calls alone do not count: every run makes them.
fn has_errors_or_api(sc: &Scenario, r: &RunResult) -> bool {
    let t = r.totals();
    sc.objects
        .iter()
        .any(|o| o.transient_error_rate > 0.0 || o.permanent_error_fraction > 0.0)
        || t.errors_transient + t.errors_permanent > 0
        || r.pending_end.iter().any(|p| p.retry + p.timeout > 0)
        || sc.api.daily_limit.is_some()
        || sc.api.background_calls_per_hour > 0.0
        || r.api.calls[2] > 0
        || r.api.paused > 0
        || r.api.suppressed > 0
}

/// A table of labelled figures: one `<th scope="row">` and one number per row.
fn figures_table(out: &mut String, caption: &str, rows: &[(&str, String)]) {
    let _ = write!(
        out,
        "<div class=\"scroll\"><table class=\"figures\">\n<caption>{}</caption>\n",
        esc(caption)
    );
    head_row(out, &[("Figure", false), ("Value", true)]);
    out.push_str("<tbody>\n");
    for (label, value) in rows {
        let _ = write!(out, "<tr><th scope=\"row\">{}</th>", esc(label));
        num(out, value);
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n");
}

fn clock(ms: Millis) -> String {
    format!("{:02}:{:02}", ms / HOUR, ms % HOUR / MINUTE)
}

/// "Errors, retries and the API budget": attempts and failures per object and direction, the
/// retry and timeout queues, and the API calls against the daily limit.
fn errors_section(o: &mut String, sc: &Scenario, r: &RunResult, monte_carlo: bool) {
    let _ = write!(
        o,
        "<section id=\"errors\" aria-labelledby=\"errors-h\">\n<h2 id=\"errors-h\">Errors, retries and the API budget</h2>\n\
         <p class=\"note\">A failed attempt moves the record to the retry queue, retried every {}; \
         after {} errors it waits in the timeout queue for the nightly retry at {} UTC. Records in \
         these queues are not in the backlog.{}</p>\n",
        format_duration(sc.retry.interval),
        sc.retry.max_attempts,
        clock(sc.retry.nightly_at),
        if monte_carlo {
            " Replication 0; the spread across replications is in the forecast above."
        } else {
            ""
        }
    );
    o.push_str("<div class=\"scroll\"><table>\n<caption>Attempts to sync updates and how they failed, per object and direction, and what is still errored at the end. Superseded: errored entries dropped because a newer entry of the same record was pending.</caption>\n");
    head_row(
        o,
        &[
            ("Object", false),
            ("Direction", false),
            ("Attempts", true),
            ("Failed, transient", true),
            ("Failed, permanent", true),
            ("Superseded", true),
            ("In the retry queue at the end", true),
            ("In the timeout queue at the end", true),
        ],
    );
    o.push_str("<tbody>\n");
    for (i, object) in sc.objects.iter().enumerate() {
        for dir in Direction::ALL {
            if !object.syncs[dir as usize] {
                continue;
            }
            let q = i * 2 + dir as usize;
            let (c, p) = (&r.counters[q], &r.pending_end[q]);
            o.push_str("<tr>");
            o.push_str(&object_head(sc, i));
            cell(o, dir.name());
            for v in [
                c.attempts(),
                c.errors_transient,
                c.errors_permanent,
                c.superseded,
                p.retry,
                p.timeout,
            ] {
                num(o, &thousands(v));
            }
            o.push_str("</tr>\n");
        }
    }
    let t = r.totals();
    let retry: u64 = r.pending_end.iter().map(|p| p.retry).sum();
    let timeout: u64 = r.pending_end.iter().map(|p| p.timeout).sum();
    let _ = write!(
        o,
        "</tbody>\n<tfoot><tr><th scope=\"row\">Total</th><td></td>{}</tr></tfoot>\n</table></div>\n",
        [
            t.attempts(),
            t.errors_transient,
            t.errors_permanent,
            t.superseded,
            retry,
            timeout
        ]
        .iter()
        .map(|v| format!("<td class=\"num\">{}</td>", thousands(*v)))
        .collect::<String>()
    );
    let peak = |v: &[u32]| thousands(v.iter().copied().max().unwrap_or(0) as u64);
    let limit = sc
        .api
        .daily_limit
        .map_or_else(|| "none".to_string(), thousands);
    figures_table(
        o,
        &format!(
            "The retry and timeout queues at their highest (on the {} sample grid), and the API \
             calls of the run: the sync's batches and cycle checks, and other integrations \
             sharing the allowance.",
            human_duration(sc.sample_interval)
        ),
        &[
            ("Retry queue, highest", peak(&r.retry_samples)),
            ("Timeout queue, highest", peak(&r.timeout_samples)),
            ("API calls, all", thousands(r.api.calls.iter().sum())),
            ("API calls by batches", thousands(r.api.calls[0])),
            ("API calls checking for changes", thousands(r.api.calls[1])),
            ("API calls by other integrations", thousands(r.api.calls[2])),
            (
                "Peak calls in a rolling 24 hours",
                thousands(r.api.peak_usage),
            ),
            ("Daily limit", limit),
            ("Time the sync was paused by the limit", h(r.api.paused)),
            ("Time retries were held back by usage", h(r.api.suppressed)),
        ],
    );
    o.push_str("</section>\n");
}

/// The key assumptions on errors, retries and the API budget, as `<dt>`/`<dd>` pairs.
fn error_assumptions(sc: &Scenario) -> String {
    let rates: Vec<String> = sc
        .objects
        .iter()
        .filter(|o| o.transient_error_rate > 0.0 || o.permanent_error_fraction > 0.0)
        .map(|o| {
            format!(
                "{}: {}% of attempts fail by chance, {}% of records fail every attempt until fixed",
                o.name,
                montecarlo::num(o.transient_error_rate * 100.0),
                montecarlo::num(o.permanent_error_fraction * 100.0)
            )
        })
        .collect();
    let api = &sc.api;
    let mut calls = vec![format!(
        "a batch costs one call per {} records",
        thousands(api.records_per_call as u64)
    )];
    if api.calls_per_cycle > 0 {
        calls.push(format!(
            "each cycle spends {} calls checking for changes",
            thousands(api.calls_per_cycle as u64)
        ));
    }
    if api.background_calls_per_hour > 0.0 {
        calls.push(format!(
            "other integrations make {} calls per hour{}",
            thousands(api.background_calls_per_hour.round() as u64),
            if api.background_hour_profile.is_some() {
                ", varying by hour of day"
            } else {
                ""
            }
        ));
    }
    let threshold = sc.retry.suppression_threshold(api).round() as u64;
    let suppression = match api.daily_limit {
        Some(_) => format!(
            "while the past 24 hours' calls are above {}% of the limit ({} calls)",
            montecarlo::num(sc.retry.suppress_above_fraction * 100.0),
            thousands(threshold)
        ),
        None => format!(
            "while the past 24 hours' calls are above {}",
            thousands(threshold)
        ),
    };
    format!(
        "<dt>Error rates</dt><dd>{}</dd>\n<dt>Retry interval</dt><dd>{}</dd>\n\
         <dt>Max attempts</dt><dd>{} errors, then the timeout queue</dd>\n\
         <dt>Nightly retry</dt><dd>{} UTC</dd>\n<dt>API limit</dt><dd>{}</dd>\n\
         <dt>API calls</dt><dd>{}</dd>\n<dt>Retries held back</dt><dd>{}</dd>\n",
        if rates.is_empty() {
            "none".to_string()
        } else {
            esc(&rates.join("; "))
        },
        format_duration(sc.retry.interval),
        sc.retry.max_attempts,
        clock(sc.retry.nightly_at),
        api.daily_limit.map_or_else(
            || "none".to_string(),
            |l| format!(
                "{} calls in any rolling 24 hours, shared with other integrations",
                thousands(l)
            )
        ),
        calls.join("; "),
        suppression
    )
}

/// The cells of one metric across replications: mean, 95% CI of the mean, P50, P90, and how
/// often it did not come within the horizon (`missed`: "did not clear", ...).
fn spread_cells(o: &mut String, a: &Aggregate, f: &dyn Fn(f64) -> String, missed: &str) {
    num(o, &a.mean.map_or_else(|| "-".to_string(), f));
    num(
        o,
        &montecarlo::mean_ci_text(a, f).unwrap_or_else(|| "-".to_string()),
    );
    num(o, &montecarlo::or_never(a.p50, f));
    num(o, &montecarlo::or_never(a.p90, f));
    cell(
        o,
        &montecarlo::never_text(a).map_or_else(|| "-".to_string(), |n| format!("{missed} in {n}")),
    );
}

/// "Forecast across R replications": per event the clear and recovery times, the backlog (and
/// the errors and API figures when `errors`) as mean with its confidence interval, P50 and
/// P90; the fan chart; latency per object.
fn spread_section(
    o: &mut String,
    sc: &Scenario,
    f: Forecast<'_>,
    svgs: &[(&str, String)],
    errors: bool,
) {
    let runs = f.reps.runs.len();
    let _ = write!(
        o,
        "<section id=\"spread\" aria-labelledby=\"spread-h\">\n<h2 id=\"spread-h\">Forecast across {} replications</h2>\n\
         <p class=\"note\">Each replication runs the scenario with its own seed. Mean across \
         replications with the 95% confidence interval of the mean, then the median (P50) and \
         90th percentile (P90) across replications; \"never\" where too many replications did \
         not get there within the horizon. Every other section of the page shows replication 0 \
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
            ("Not within the horizon", false),
        ],
    );
    o.push_str("<tbody>\n");
    let hours = |x: f64| fixed(x, 2);
    let records = |x: f64| thousands(x.round() as u64);
    let mut row = |label: String, name: &str, fmt: &dyn Fn(f64) -> String, missed: &str| {
        if let Some(a) = f.find(name) {
            let _ = write!(o, "<tr><th scope=\"row\">{}</th>", esc(&label));
            spread_cells(o, a, fmt, missed);
            o.push_str("</tr>\n");
        }
    };
    for e in &f.reps.first.events {
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
        let count = f.find(&format!("{p}.count")).and_then(|a| a.mean);
        num(o, &count.map_or_else(|| "-".to_string(), records));
        for q in ["p50", "p90", "p99", "max"] {
            let text = f
                .find(&format!("{p}.{q}_min"))
                .and_then(|a| {
                    let mean = fixed(a.mean?, 2);
                    Some(match montecarlo::mean_ci_text(a, |x| fixed(x, 2)) {
                        Some(ci) => format!("{mean} ({ci})"),
                        None => mean,
                    })
                })
                .unwrap_or_else(|| "-".to_string());
            num(o, &text);
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</tbody>\n</table></div>\n</section>\n");
}

/// Writes the dashboard of a run. `svgs` holds the rendered SVG charts by stem (`trend`,
/// `backlog`, `latency`, `throughput`, and `backlog_fan` for a Monte Carlo run); a chart
/// missing from it is left out of the page. `forecast` is given for a Monte Carlo run, whose
/// replication 0 is `r`.
pub fn write_dashboard(
    sc: &Scenario,
    r: &RunResult,
    d: &Dashboard,
    svgs: &[(&str, String)],
    forecast: Option<Forecast<'_>>,
    w: &mut dyn Write,
) -> io::Result<()> {
    w.write_all(render(sc, r, d, svgs, forecast).as_bytes())
}

/// The dashboard as a string (see [`write_dashboard`]).
pub fn render(
    sc: &Scenario,
    r: &RunResult,
    d: &Dashboard,
    svgs: &[(&str, String)],
    forecast: Option<Forecast<'_>>,
) -> String {
    let mut out = String::with_capacity(256 * 1024);
    let o = &mut out;
    let errors = has_errors_or_api(sc, r);
    // Where a figure is one replication's, a Monte Carlo page says so.
    let rep0 = forecast.map_or(String::new(), |f| {
        format!(" Replication 0 of {}.", f.reps.runs.len())
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
         <p>Simulated {} to {} UTC ({}), seed {}, policy {}. Overall status {} with {} records \
         pending at the last fetch.</p>\n",
        if sc.description.is_empty() {
            String::new()
        } else {
            format!(": {}", esc(&sc.description))
        },
        utc(sc, 0),
        utc(sc, r.horizon),
        format_duration(r.horizon),
        r.seed,
        sc.sync.policy.name(),
        d.status.label(),
        thousands(d.total_backlog),
    );
    if let Some(f) = forecast {
        let _ = writeln!(
            o,
            "<p><strong>{} replications</strong>, each with its own seed \
             derived from seed {}: the forecast across replications covers them all; the trend, \
             the per-object table and every other figure on this page are replication 0's \
             (seed {}).</p>",
            thousands(f.reps.runs.len() as u64),
            sc.seed,
            r.seed
        );
    }
    o.push_str("</header>\n<main>\n");

    // The trend, as on the admin page.
    let _ = write!(
        o,
        "<section id=\"trend\" aria-labelledby=\"trend-h\">\n<h2 id=\"trend-h\">Sync Backlog Trend</h2>\n\
         <p class=\"note\">Total backlog at each 4-hour boundary, the last {} before {} UTC.{rep0}</p>\n",
        d.trend.len(),
        utc(sc, d.at)
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
         <p class=\"fetch\"><span>Backlog last fetched: <b>{} UTC</b></span><span>Next fetch: <b>{} UTC</b></span>\
         <span>Records synced per hour over the last <b>{} hours</b></span></p>\n<div class=\"scroll\"><table>\n\
         <caption>Records synced (updates and skips) per hour, the backlog in both directions at \
         the last fetch, and the estimated time to clear it at the average rate. Growing: the \
         backlog is above its level 6 hours before.{rep0}</caption>\n",
        utc(sc, d.last_fetch),
        utc(sc, d.next_fetch),
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
                .map_or_else(|| "never".to_string(), |x| format!("{} h", fixed(x, 2))),
        );
        cell(o, &utc(sc, d.last_fetch));
        cell(o, &utc(sc, d.next_fetch));
        let _ = writeln!(o, "<td>{}</td></tr>", status_badge(row.status));
    }
    let _ = write!(
        o,
        "</tbody>\n<tfoot><tr><th scope=\"row\">Total</th><td></td><td></td><td></td>\
         <td class=\"num\">{}</td><td></td><td></td><td></td><td>{}</td></tr></tfoot>\n</table></div>\n</section>\n",
        thousands(d.total_backlog),
        status_badge(d.status)
    );

    // The forecast: across replications first, if any, then the one run in detail.
    if let Some(f) = forecast {
        spread_section(o, sc, f, svgs, errors);
    }
    let _ = write!(
        o,
        "<section id=\"forecast\" aria-labelledby=\"forecast-h\">\n<h2 id=\"forecast-h\">{}</h2>\n",
        if forecast.is_some() {
            "Forecast in detail: replication 0"
        } else {
            "Forecast"
        }
    );
    let pending_end: u64 = r.pending_end.iter().map(|p| p.queued + p.in_flight).sum();
    let oldest = r.pending_end.iter().filter_map(|p| p.oldest_age).max();
    let _ = write!(
        o,
        "<dl class=\"facts\">\n<dt>Max backlog</dt><dd>{} records at {} ({} UTC)</dd>\n\
         <dt>Pending at the end</dt><dd>{} records{}</dd>\n</dl>\n",
        thousands(r.max_backlog),
        h(r.max_backlog_at),
        utc(sc, r.max_backlog_at),
        thousands(pending_end),
        oldest.map_or(String::new(), |a| format!(
            ", the oldest waiting {}",
            human_duration(a)
        )),
    );
    o.push_str("<h3 id=\"events-h\">Clear and recovery time per event</h3>\n");
    if r.events.is_empty() {
        o.push_str(
            "<p class=\"note\">The scenario has no bulk update and enables no object.</p>\n",
        );
    } else {
        o.push_str(
            "<div class=\"scroll\"><table>\n<caption>Clear: none of the event's records is pending any more. Recovery: \
             the total backlog is back to its level just before the event. Both from the event's \
             first edit.</caption>\n",
        );
        let mut columns = vec![
            ("Event", false),
            ("Kind", false),
            ("Object", false),
            ("Edits", true),
            ("First edit (UTC)", false),
            ("Clear time", true),
            ("Cleared at (UTC)", false),
            ("Recovery time", true),
            ("Synced", true),
            ("Skipped", true),
            ("Still pending", true),
        ];
        if errors {
            columns.push(("Errored at the end", true));
        }
        head_row(o, &columns);
        o.push_str("<tbody>\n");
        for e in &r.events {
            let _ = write!(o, "<tr><th scope=\"row\">{}</th>", esc(&e.name));
            cell(o, e.kind);
            cell(o, &sc.objects[e.object].name);
            num(o, &thousands(e.edits));
            cell(o, &utc(sc, e.first_edit));
            num(o, &hours_or(e.clear_time(), "not within the horizon"));
            cell(o, &e.clear.map_or_else(|| "-".to_string(), |t| utc(sc, t)));
            num(o, &hours_or(e.recovery_time(), "not within the horizon"));
            num(o, &thousands(e.synced));
            num(o, &thousands(e.skipped));
            num(o, &thousands(e.still_pending));
            if errors {
                num(o, &thousands(e.errored));
            }
            o.push_str("</tr>\n");
        }
        o.push_str("</tbody>\n</table></div>\n");
    }
    o.push_str("<h3>Backlog over time</h3>\n");
    figure(
        o,
        svgs,
        "backlog",
        "Records pending, stacked by object; dashed lines mark the scenario's events, shaded spans \
         the sync outages.",
    );

    o.push_str("<h3>Latency per object</h3>\n<div class=\"scroll\"><table>\n<caption>Minutes from the edit to the end of the batch that synced it, synced updates only (skips and records still pending are not included).</caption>\n");
    head_row(
        o,
        &[
            ("Object", false),
            ("Synced updates", true),
            ("p50 (min)", true),
            ("p90 (min)", true),
            ("p99 (min)", true),
            ("Max (min)", true),
            ("Pending at the end", true),
            ("Oldest pending", true),
        ],
    );
    o.push_str("<tbody>\n");
    for (i, _) in sc.objects.iter().enumerate() {
        o.push_str("<tr>");
        o.push_str(&object_head(sc, i));
        latency_cells(o, &r.latency_by_object[i]);
        let queues = &r.pending_end[i * 2..i * 2 + 2];
        num(
            o,
            &thousands(queues.iter().map(|p| p.queued + p.in_flight).sum()),
        );
        num(
            o,
            &queues
                .iter()
                .filter_map(|p| p.oldest_age)
                .max()
                .map_or_else(|| "-".to_string(), human_duration),
        );
        o.push_str("</tr>\n");
    }
    o.push_str("</tbody>\n</table></div>\n");
    figure(
        o,
        svgs,
        "latency",
        "Latency percentiles per object, minutes on a logarithmic scale.",
    );
    o.push_str("<h3>Records synced per hour</h3>\n");
    figure(
        o,
        svgs,
        "throughput",
        "Records completed (synced or skipped) in each hour, per object.",
    );

    // Conservation.
    let _ = write!(
        o,
        "<h3>Where every edit went</h3>\n<div class=\"scroll\"><table>\n<caption>Conservation \
         counters per object and direction: edits = filtered + coalesced + entries; entries = \
         synced + skipped + queued + in flight{}.</caption>\n",
        if errors {
            " + errored (retry and timeout queues) + superseded"
        } else {
            ""
        }
    );
    let mut columns = vec![
        ("Object", false),
        ("Direction", false),
        ("Edits", true),
        ("Filtered", true),
        ("Coalesced", true),
        ("Entries", true),
        ("Synced", true),
        ("Skipped", true),
        ("Queued at end", true),
        ("In flight at end", true),
    ];
    if errors {
        columns.extend([("Errored at end", true), ("Superseded", true)]);
    }
    head_row(o, &columns);
    o.push_str("<tbody>\n");
    for (i, object) in sc.objects.iter().enumerate() {
        for dir in Direction::ALL {
            if !object.syncs[dir as usize] {
                continue;
            }
            let q = i * 2 + dir as usize;
            let c = &r.counters[q];
            let p = &r.pending_end[q];
            o.push_str("<tr>");
            o.push_str(&object_head(sc, i));
            cell(o, dir.name());
            let mut cells = vec![
                c.edits,
                c.filtered,
                c.coalesced,
                c.entries_created,
                c.synced,
                c.skipped,
                p.queued,
                p.in_flight,
            ];
            if errors {
                cells.extend([p.retry + p.timeout, c.superseded]);
            }
            for v in cells {
                num(o, &thousands(v));
            }
            o.push_str("</tr>\n");
        }
    }
    let t = r.totals();
    let in_flight: u64 = r.pending_end.iter().map(|p| p.in_flight).sum();
    let errored: u64 = r.pending_end.iter().map(|p| p.retry + p.timeout).sum();
    let mut totals = vec![
        t.edits,
        t.filtered,
        t.coalesced,
        t.entries_created,
        t.synced,
        t.skipped,
        pending_end - in_flight,
        in_flight,
    ];
    if errors {
        totals.extend([errored, t.superseded]);
    }
    let _ = write!(
        o,
        "</tbody>\n<tfoot><tr><th scope=\"row\">Total</th><td></td>{}</tr></tfoot>\n</table></div>\n",
        totals
            .iter()
            .map(|v| format!("<td class=\"num\">{}</td>", thousands(*v)))
            .collect::<String>()
    );
    let _ = write!(
        o,
        "<p class=\"equation\">{} edits = {} filtered + {} coalesced + {} entries; {} entries = \
         {} synced + {} skipped + {} pending{}</p>\n</section>\n",
        thousands(t.edits),
        thousands(t.filtered),
        thousands(t.coalesced),
        thousands(t.entries_created),
        thousands(t.entries_created),
        thousands(t.synced),
        thousands(t.skipped),
        thousands(pending_end),
        if errors {
            format!(
                " + {} errored + {} superseded",
                thousands(errored),
                thousands(t.superseded)
            )
        } else {
            String::new()
        }
    );
    if errors {
        errors_section(o, sc, r, forecast.is_some());
    }

    // Assumptions.
    let s = &sc.sync;
    let gates: Vec<String> = s
        .gates
        .iter()
        .enumerate()
        .filter_map(|(i, g)| {
            g.map(|g| {
                format!(
                    "{} waits while {} has backlog",
                    sc.objects[i].name, sc.objects[g].name
                )
            })
        })
        .collect();
    let _ = write!(
        o,
        "<section id=\"assumptions\" aria-labelledby=\"assumptions-h\">\n<h2 id=\"assumptions-h\">Key assumptions</h2>\n\
         <dl class=\"facts\">\n<dt>Preset</dt><dd>{}</dd>\n<dt>Policy</dt><dd>{}</dd>\n\
         <dt>Workers</dt><dd>{}</dd>\n<dt>Throughput</dt><dd>{} units per hour per worker (an update costs 1, a skip {})</dd>\n\
         <dt>Batch size</dt><dd>{} records</dd>\n<dt>Batch overhead</dt><dd>{}</dd>\n\
         <dt>Cycle wait</dt><dd>{}</dd>\n<dt>Requeue on re-edit</dt><dd>{}</dd>\n<dt>Gates</dt><dd>{}</dd>\n\
         {}<dt>Start, horizon</dt><dd>{} UTC, {}</dd>\n<dt>Seed</dt><dd>{}</dd>\n<dt>Backlog sampled every</dt><dd>{}</dd>\n</dl>\n",
        sc.preset.map_or("none", |p| p.name()),
        esc(&policy_text(sc)),
        s.workers,
        thousands(s.throughput.round() as u64),
        fixed(s.skip_cost, 2),
        thousands(s.batch_size as u64),
        human_duration(s.batch_overhead),
        human_duration(s.cycle_wait),
        if s.requeue { "yes: a re-edited pending record moves behind newer entries" } else { "no" },
        if gates.is_empty() { "none".to_string() } else { esc(&gates.join("; ")) },
        if errors { error_assumptions(sc) } else { String::new() },
        utc(sc, 0),
        format_duration(sc.horizon),
        match forecast {
            Some(_) => format!("{} (replication 0: {})", sc.seed, r.seed),
            None => r.seed.to_string(),
        },
        human_duration(sc.sample_interval),
    );
    o.push_str("<div class=\"scroll\"><table>\n<caption>Objects: records, background edits per hour in each direction, and how edits pick records.</caption>\n");
    head_row(
        o,
        &[
            ("Object", false),
            ("Records", true),
            ("Syncs", false),
            ("Edits/h to marketing", true),
            ("Edits/h to CRM", true),
            ("Synced fields", true),
            ("Passes filter", true),
            ("Record choice", false),
            ("Rate varies", false),
            ("In sync at start", false),
        ],
    );
    o.push_str("<tbody>\n");
    for (i, ob) in sc.objects.iter().enumerate() {
        o.push_str("<tr>");
        o.push_str(&object_head(sc, i));
        num(o, &thousands(ob.records as u64));
        cell(
            o,
            match ob.syncs {
                [true, true] => "both",
                [true, false] => "to_marketing",
                [false, true] => "to_crm",
                [false, false] => "none",
            },
        );
        for dir in Direction::ALL {
            num(
                o,
                &thousands(ob.edits_per_hour[dir as usize].round() as u64),
            );
        }
        num(o, &format!("{}%", fixed(ob.synced_fraction * 100.0, 1)));
        num(o, &format!("{}%", fixed(ob.filter_pass * 100.0, 1)));
        cell(o, &record_choice_text(&ob.record_choice));
        let mut varies = Vec::new();
        if ob.hour_profile.is_some() {
            varies.push("by hour of day".to_string());
        }
        if ob.weekend_factor != 1.0 {
            varies.push(format!("weekends x{}", fixed(ob.weekend_factor, 2)));
        }
        cell(
            o,
            &if varies.is_empty() {
                "no".to_string()
            } else {
                varies.join(", ")
            },
        );
        cell(o, if ob.enabled { "yes" } else { "no" });
        o.push_str("</tr>\n");
    }
    o.push_str("</tbody>\n</table></div>\n");
    o.push_str("<h3>Events</h3>\n");
    if sc.events.is_empty() {
        o.push_str("<p class=\"note\">No timed events.</p>\n");
    } else {
        o.push_str("<div class=\"scroll\"><table>\n<caption>Timed events of the scenario, in time order.</caption>\n");
        head_row(
            o,
            &[
                ("Event", false),
                ("At", true),
                ("At (UTC)", false),
                ("Kind", false),
                ("What it does", false),
            ],
        );
        o.push_str("<tbody>\n");
        for e in &sc.events {
            let _ = write!(o, "<tr><th scope=\"row\">{}</th>", esc(&e.name));
            num(o, &h(e.at));
            cell(o, &utc(sc, e.at));
            cell(o, e.kind.name());
            cell(o, &event_text(sc, &e.kind));
            o.push_str("</tr>\n");
        }
        o.push_str("</tbody>\n</table></div>\n");
    }
    o.push_str("</section>\n</main>\n");
    let _ = write!(
        o,
        "<footer>Written by syncsim {}. The same scenario, seed and program version give the same \
         numbers; the CSV files beside this page hold every series.</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    out
}
