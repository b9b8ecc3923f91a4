//! The dashboard's forecast of one run (replication 0 of several): the highest backlog, clear
//! and recovery time per event, the backlog chart, latency per object, records synced per
//! hour, and where every edit went.

use std::fmt::Write as _;

use super::markup::{
    cell, duration_or, esc, figure, figures_table, h, head_row, num, object_head, utc, zone,
};
use crate::metrics::LatencySummary;
use crate::summary::RunSummary;
use crate::text::{fixed, thousands};
use crate::units::human_duration;

/// The forecast section; `monte_carlo`: the run is replication 0 of several.
pub(super) fn forecast_section(
    o: &mut String,
    s: &RunSummary,
    monte_carlo: bool,
    svgs: &[(&str, String)],
) {
    let (sc, r) = (s.scenario(), s.run());
    let errors = s.shows_errors();
    let _ = write!(
        o,
        "<section id=\"forecast\" aria-labelledby=\"forecast-h\">\n<h2 id=\"forecast-h\">{}</h2>\n",
        if monte_carlo {
            "Forecast in detail: replication 0"
        } else {
            "Forecast"
        }
    );
    let pending_end = s.end().backlog();
    let oldest = s.end().oldest_age;
    let _ = write!(
        o,
        "<dl class=\"facts\">\n<dt>Max backlog</dt><dd>{} records at {} ({} {})</dd>\n\
         <dt>Pending at the end</dt><dd>{} records{}</dd>\n</dl>\n",
        thousands(r.max_backlog()),
        h(r.max_backlog_at()),
        utc(sc, r.max_backlog_at()),
        zone(sc),
        thousands(pending_end),
        oldest.map_or(String::new(), |a| format!(
            ", the oldest waiting {}",
            human_duration(a)
        )),
    );
    o.push_str("<h3 id=\"events-h\">Clear and recovery time per event</h3>\n");
    if r.events().is_empty() {
        o.push_str(
            "<p class=\"note\">The scenario has no bulk update and enables no object.</p>\n",
        );
    } else {
        o.push_str(
            "<div class=\"scroll\"><table>\n<caption>Clear: none of the event's records is pending any more. Recovery: \
             the total backlog is back to its level just before the event. Both from the event's \
             first edit.</caption>\n",
        );
        let first_edit = format!("First edit ({})", zone(sc));
        let cleared_at = format!("Cleared at ({})", zone(sc));
        let mut columns = vec![
            ("Event", false),
            ("Kind", false),
            ("Object", false),
            ("Edits", true),
            (first_edit.as_str(), false),
            ("Clear time", true),
            (cleared_at.as_str(), false),
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
        for e in r.events() {
            let _ = write!(o, "<tr><th scope=\"row\">{}</th>", esc(&e.name));
            cell(o, e.kind);
            cell(o, &sc.objects[e.object].name);
            num(o, &thousands(e.edits));
            cell(o, &utc(sc, e.first_edit));
            num(o, &duration_or(e.clear_time(), "not within the horizon"));
            cell(o, &e.clear.map_or_else(|| "-".to_string(), |t| utc(sc, t)));
            num(o, &duration_or(e.recovery_time(), "not within the horizon"));
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

    o.push_str("<h3>Latency per object</h3>\n<div class=\"scroll\"><table>\n<caption>Time from the edit to the end of the batch that synced it, synced updates only (skips and records still pending are not included).</caption>\n");
    head_row(
        o,
        &[
            ("Object", false),
            ("Synced updates", true),
            ("p50", true),
            ("p90", true),
            ("p99", true),
            ("Max", true),
            ("Pending at the end", true),
            ("Oldest pending", true),
        ],
    );
    o.push_str("<tbody>\n");
    for i in 0..sc.objects.len() {
        o.push_str("<tr>");
        o.push_str(&object_head(sc, i));
        latency_cells(o, &r.object_latency(i));
        let pending = r.object_pending_end(i);
        num(o, &thousands(pending.backlog()));
        num(
            o,
            &pending
                .oldest_age
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
    service_levels(o, s);
    o.push_str("<h3>Records synced per hour</h3>\n");
    figure(
        o,
        svgs,
        "throughput",
        "Records completed (synced or skipped) in each hour, per object.",
    );

    conservation(o, s, errors);
}

/// The service levels: the time the backlog was above each declared level, each object's
/// share of synced updates slower than each declared bound, and how long the page read
/// Growing.
fn service_levels(o: &mut String, s: &RunSummary) {
    let sc = s.scenario();
    o.push_str("<h3>Service levels</h3>\n");
    let mut rows: Vec<(String, String)> = sc
        .sla
        .backlog_above
        .iter()
        .map(|&level| {
            (
                format!("Backlog above {} records", thousands(level)),
                human_duration(s.time_above(level)),
            )
        })
        .collect();
    for (k, &bound) in sc.sla.latency_over.iter().enumerate() {
        for (i, object) in sc.objects.iter().enumerate() {
            rows.push((
                format!(
                    "{} synced updates slower than {}",
                    object.name,
                    human_duration(bound)
                ),
                s.share_over(i, k)
                    .map_or_else(|| "-".to_string(), |x| format!("{}%", fixed(x * 100.0, 1))),
            ));
        }
    }
    rows.push((
        "The page read Growing (total)".to_string(),
        format!(
            "{} of {}",
            human_duration(s.growing_time(None)),
            human_duration(s.run().horizon())
        ),
    ));
    let rows: Vec<(&str, String)> = rows.iter().map(|(a, b)| (a.as_str(), b.clone())).collect();
    figures_table(
        o,
        "Service levels over the whole run: the backlog above each level of the scenario's [sla] \
         (on the sample grid), each object's share of synced updates slower than each bound \
         (exact), and the hours the page's status read Growing.",
        &rows,
    );
}

/// "Where every edit went": the conservation counters per object and direction, and the
/// equations they obey.
fn conservation(o: &mut String, s: &RunSummary, errors: bool) {
    let (sc, r) = (s.scenario(), s.run());
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
    for q in sc.queues() {
        let c = r.counters(q);
        let p = r.pending_end(q);
        {
            o.push_str("<tr>");
            o.push_str(&object_head(sc, q.object()));
            cell(o, q.direction().name());
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
    let t = s.totals();
    let pending_end = s.end().backlog();
    let in_flight = s.end().in_flight;
    let errored = s.end().retry + s.end().timeout;
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
}

fn latency_cells(out: &mut String, l: &Option<LatencySummary>) {
    match l {
        Some(l) => {
            num(out, &thousands(l.count));
            for v in [l.p50, l.p90, l.p99, l.max] {
                num(out, &human_duration(v));
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
