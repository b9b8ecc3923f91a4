//! The dashboard's "The page's estimate against reality" section: hour by hour, the admin
//! page's estimated backlog time beside the time the backlog it read really took to clear
//! (the `dashboard_timeline` chart), the largest gap between them, and the page as read at
//! each `--dashboard-at` instant with each object's real clear time.

use std::fmt::Write as _;

use super::markup::{figure, head_row, num, object_head, status_with_readings, utc, zone};
use crate::summary::RunSummary;
use crate::text::thousands;
use crate::units::{human_duration, human_hours, Millis, HOUR};

/// The section; `svgs` holds the `dashboard_timeline` chart.
pub(super) fn reality_section(o: &mut String, s: &RunSummary, svgs: &[(&str, String)]) {
    let sc = s.scenario();
    o.push_str(
        "<section id=\"reality\" aria-labelledby=\"reality-h\">\n<h2 id=\"reality-h\">The page's \
         estimate against reality</h2>\n<p class=\"note\">At every whole hour the admin page \
         estimates the backlog time as backlog / average records synced per hour over the 24 \
         hours before. Beside it, the time the backlog it read really took to clear: until \
         every record pending at that hour had been synced, skipped or moved to a retry queue \
         (dashboard_timeline.csv holds every hour and object).</p>\n",
    );
    // The hour where the estimate was furthest from reality, for the total.
    let widest = (0..s.timeline().len())
        .filter_map(|h| {
            let reading = s.reading_total(h);
            let est = reading.est_backlog_hours?;
            let real = reading.cleared? - h as Millis * HOUR;
            (reading.backlog > 0).then_some((h, est, real))
        })
        .max_by(|a, b| {
            let gap =
                |&(_, est, real): &(usize, f64, Millis)| (est - real as f64 / HOUR as f64).abs();
            gap(a).total_cmp(&gap(b)).then(b.0.cmp(&a.0))
        });
    if let Some((h, est, real)) = widest {
        let _ = writeln!(
            o,
            "<p>The widest gap: at {} {} the page estimated {} for the total backlog of {} \
             records; it really cleared in {}.</p>",
            utc(sc, h as Millis * HOUR),
            zone(sc),
            human_hours(est),
            thousands(s.reading_total(h).backlog),
            human_duration(real)
        );
    }
    figure(
        o,
        svgs,
        "dashboard_timeline",
        "The page's estimated backlog time for the total (red) and the time the backlog really \
         took to clear (blue), hour by hour; the bar along the bottom marks hours the page read \
         Growing; dashed lines mark the scenario's events.",
    );
    for d in s.dashboards_at() {
        let _ = write!(
            o,
            "<h3>The page as read at {} {}</h3>\n<div class=\"scroll\"><table>\n<caption>Last \
             fetched {} {}. The estimate the page showed, and how long the backlog it read \
             really took to clear.</caption>\n",
            utc(sc, d.at),
            zone(sc),
            utc(sc, d.last_fetch),
            zone(sc)
        );
        head_row(
            o,
            &[
                ("Object", false),
                ("Average Records Synced Per Hour", true),
                ("Sync Backlog", true),
                ("Estimated Backlog Time", true),
                ("Really cleared in", true),
                ("Status", false),
            ],
        );
        o.push_str("<tbody>\n");
        for row in &d.rows {
            o.push_str("<tr>");
            o.push_str(&object_head(sc, row.object));
            num(o, &thousands(row.avg_per_hour.round() as u64));
            num(o, &thousands(row.backlog));
            num(
                o,
                &row.est_backlog_hours
                    .map_or_else(|| "never".to_string(), human_hours),
            );
            num(
                o,
                &row.cleared.map_or_else(
                    || "after the end of the run".to_string(),
                    |c| human_duration(c - d.last_fetch),
                ),
            );
            let _ = writeln!(
                o,
                "<td>{}</td></tr>",
                status_with_readings(row.status, row.backlog_before, row.backlog)
            );
        }
        o.push_str("</tbody>\n</table></div>\n");
    }
    o.push_str("</section>\n");
}
