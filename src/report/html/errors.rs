//! The dashboard's "Errors, retries and the API budget" section and the assumptions it rests
//! on: attempts and failures per object and direction, the retry and timeout queues and the
//! longest waits in them, the API calls against the daily limit, errors and retries per hour,
//! and the spells when retries were held back.

use std::fmt::Write as _;

use super::markup::{
    cell, clock, duration_or, esc, figure, figures_table, head_row, num, object_head, utc, zone,
};
use crate::scenario::Scenario;
use crate::summary::RunSummary;
use crate::text::{num as num_text, thousands};
use crate::units::{format_duration, human_duration};

/// "Errors, retries and the API budget": attempts and failures per object and direction, the
/// retry and timeout queues, and the API calls against the daily limit.
pub(super) fn errors_section(
    o: &mut String,
    s: &RunSummary,
    monte_carlo: bool,
    svgs: &[(&str, String)],
) {
    let (sc, r) = (s.scenario(), s.run());
    let [oldest_retry, oldest_timeout] = s.oldest_waiting_max();
    let _ = write!(
        o,
        "<section id=\"errors\" aria-labelledby=\"errors-h\">\n<h2 id=\"errors-h\">Errors, retries and the API budget</h2>\n\
         <p class=\"note\">A failed attempt moves the record to the retry queue, retried every {}; \
         after {} errors it waits in the timeout queue for the nightly retry at {} {}. Records in \
         these queues are not in the backlog.{}</p>\n",
        format_duration(sc.retry.interval),
        sc.retry.max_attempts,
        clock(sc.retry.nightly_at),
        zone(sc),
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
    for q in sc.queues() {
        let (c, p) = (r.counters(q), r.pending_end(q));
        {
            o.push_str("<tr>");
            o.push_str(&object_head(sc, q.object()));
            cell(o, q.direction().name());
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
    let t = s.totals();
    let (retry, timeout) = (s.end().retry, s.end().timeout);
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
    let api = r.api();
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
            ("Retry queue, highest", thousands(s.retry_queue_max())),
            ("Timeout queue, highest", thousands(s.timeout_queue_max())),
            ("API calls, all", thousands(api.calls.iter().sum())),
            ("API calls by batches", thousands(api.calls[0])),
            ("API calls checking for changes", thousands(api.calls[1])),
            ("API calls by other integrations", thousands(api.calls[2])),
            (
                "Peak calls in a rolling 24 hours",
                thousands(api.peak_usage),
            ),
            ("Daily limit", limit),
            (
                "Time the sync was paused by the limit",
                human_duration(api.paused),
            ),
            (
                "Time retries were held back by usage",
                human_duration(api.suppressed),
            ),
            (
                "Most failed attempts in one hour",
                thousands(s.failed_max_per_hour()),
            ),
            (
                "Longest wait in the retry queue (at a whole hour)",
                duration_or(oldest_retry, "none"),
            ),
            (
                "Longest wait in the timeout queue (at a whole hour)",
                duration_or(oldest_timeout, "none"),
            ),
        ],
    );
    short_windows_table(o, s);
    o.push_str("<h3>Errors and retries per hour</h3>\n");
    figure(
        o,
        svgs,
        "errors",
        "Per hour: failed attempts, retries released and records moved to the timeout queue; \
         shaded spans are spells when retries were held back by usage (errors.csv holds \
         every hour).",
    );
    let spells = r.suppression_spells();
    if !spells.is_empty() {
        o.push_str(
            "<div class=\"scroll\"><table>\n<caption>When retries were held back by API usage \
             (suppression.csv).</caption>\n",
        );
        head_row(
            o,
            &[
                (format!("Held back from ({})", zone(sc)).as_str(), false),
                (format!("Until ({})", zone(sc)).as_str(), false),
                ("For", true),
            ],
        );
        o.push_str("<tbody>\n");
        for &(start, end) in spells {
            o.push_str("<tr>");
            cell(o, &utc(sc, start));
            cell(
                o,
                &end.map_or_else(|| "the end of the run".to_string(), |t| utc(sc, t)),
            );
            num(o, &human_duration(end.unwrap_or(r.horizon()) - start));
            o.push_str("</tr>\n");
        }
        o.push_str("</tbody>\n</table></div>\n");
    }
    o.push_str("</section>\n");
}

/// The key assumptions on errors, retries and the API budget, as `<dt>`/`<dd>` pairs.
pub(super) fn error_assumptions(sc: &Scenario) -> String {
    let rates: Vec<String> = sc
        .objects
        .iter()
        .filter(|o| o.transient_error_rate > 0.0 || o.permanent_error_fraction > 0.0)
        .map(|o| {
            format!(
                "{}: {}% of attempts fail by chance, {}% of records fail every attempt until fixed",
                o.name,
                num_text(o.transient_error_rate * 100.0),
                num_text(o.permanent_error_fraction * 100.0)
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
            num_text(sc.retry.suppress_above_fraction * 100.0),
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
         <dt>Nightly retry</dt><dd>{} {}</dd>\n<dt>API limit</dt><dd>{}</dd>\n\
         <dt>API calls</dt><dd>{}</dd>\n<dt>Retries held back</dt><dd>{}</dd>\n",
        if rates.is_empty() {
            "none".to_string()
        } else {
            esc(&rates.join("; "))
        },
        format_duration(sc.retry.interval),
        sc.retry.max_attempts,
        clock(sc.retry.nightly_at),
        zone(sc),
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

/// The short windows' figures, for a scenario with `[[api.windows]]`: each window's peak
/// against its calls, the time the sync was held back and the 429s.
fn short_windows_table(o: &mut String, s: &RunSummary) {
    let burst = &s.scenario().api.burst;
    if burst.windows.is_empty() {
        return;
    }
    let figures = s.run().windows();
    let labels: Vec<String> = burst
        .windows
        .iter()
        .map(|w| {
            format!(
                "Peak calls in {} (limit {})",
                format_duration(w.per),
                thousands(w.calls)
            )
        })
        .collect();
    let mut rows: Vec<(&str, String)> = labels
        .iter()
        .zip(&figures.peaks)
        .map(|(label, peak)| (label.as_str(), thousands(*peak)))
        .collect();
    rows.push((
        "Time held back by the short windows",
        human_duration(figures.waited),
    ));
    rows.push(("429 responses", thousands(figures.rejected)));
    figures_table(
        o,
        &format!(
            "The sync's calls in its short windows (at the limit: {}), exact at every call.",
            burst.at_limit.name()
        ),
        &rows,
    );
}
