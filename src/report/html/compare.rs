//! `compare.html`: a base and its variants side by side, in the dashboard's look: one row per
//! headline metric, the base's mean, then for each variant its mean, the paired difference
//! with its confidence interval and the verdict as a coloured badge. Self-contained like the
//! dashboard: inline CSS, no script, no URL; every text from the scenarios is escaped.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::markup::{esc, head_row, num, CSS};
use crate::planner::compare::{Comparison, Verdict};
use crate::report::compare::{confidence_text, metric_label, row_cells, tally};
use crate::text::thousands;

/// The file name of the page.
pub const COMPARE_FILE: &str = "compare.html";

/// The badges of the verdicts, beside the dashboard's stylesheet.
const COMPARE_CSS: &str = r#"
.verdict { display: inline-block; padding: 1px 9px; border-radius: 10px; font-weight: 600;
  font-size: 13px; white-space: nowrap; }
.verdict.better { color: var(--normal); background: var(--normal-bg); }
.verdict.worse { color: var(--growing); background: var(--growing-bg); }
.verdict.same, .verdict.absent { color: var(--muted); background: var(--head); }
.verdict.lower, .verdict.higher { color: var(--accent); background: var(--head); }
th.variant { text-align: center; border-left: 2px solid var(--line); }
td.first { border-left: 2px solid var(--line); }
@media print { .verdict { border: 1px solid currentColor; } }
"#;

/// The badge of a verdict.
fn badge(v: Verdict) -> String {
    let class = match v {
        Verdict::Better => "better",
        Verdict::Worse => "worse",
        Verdict::Lower => "lower",
        Verdict::Higher => "higher",
        Verdict::Same => "same",
        Verdict::Absent => "absent",
    };
    format!("<span class=\"verdict {class}\">{}</span>", v.label())
}

/// Writes the page.
pub fn write_compare(c: &Comparison, w: &mut dyn Write) -> io::Result<()> {
    w.write_all(render(c).as_bytes())
}

/// The page as a string (see [`write_compare`]).
pub fn render(c: &Comparison) -> String {
    let mut out = String::with_capacity(32 * 1024);
    let o = &mut out;
    let name = esc(&c.base);
    let ci = confidence_text(c.confidence);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Compare: {name}</title>\n<style>{CSS}{COMPARE_CSS}</style>\n</head>\n<body>\n\
         <header>\n<h1>Compare</h1>\n<p>Base <strong>{name}</strong> and {} variant{}, \
         {} replication{} each with the base's seeds: the same background edits in every \
         variant, so each difference is what the variant changed.</p>\n</header>\n<main>\n",
        c.variants.len(),
        if c.variants.len() == 1 { "" } else { "s" },
        thousands(c.replications),
        if c.replications == 1 { "" } else { "s" },
    );

    // The variants and their tallies.
    o.push_str(
        "<section id=\"variants\" aria-labelledby=\"variants-h\">\n\
         <h2 id=\"variants-h\">Variants</h2>\n<div class=\"scroll\"><table>\n\
         <caption>Each variant as given (a scenario file, or assignments on the base), and how \
         its headline metrics compare with the base's.</caption>\n",
    );
    head_row(
        o,
        &[("#", true), ("Variant", false), ("Against the base", false)],
    );
    o.push_str("<tbody>\n");
    for (v, (label, rows)) in c.variants.iter().zip(&c.rows).enumerate() {
        let _ = writeln!(
            o,
            "<tr><td class=\"num\">{}</td><th scope=\"row\">{}</th><td>{}</td></tr>",
            v + 1,
            esc(label),
            esc(&tally(rows))
        );
    }
    o.push_str("</tbody>\n</table></div>\n</section>\n");

    // Side by side.
    let _ = write!(
        o,
        "<section id=\"side-by-side\" aria-labelledby=\"side-h\">\n\
         <h2 id=\"side-h\">Side by side</h2>\n<div class=\"scroll\"><table>\n\
         <caption>Mean across replications of each headline metric; for each variant its mean, \
         the paired difference (variant - base) with its {ci} confidence interval, and the \
         verdict by which way the metric is better.</caption>\n<thead><tr>\
         <th scope=\"col\" rowspan=\"2\">Metric</th><th scope=\"col\" class=\"num\" rowspan=\"2\">Base</th>"
    );
    for (v, label) in c.variants.iter().enumerate() {
        let _ = write!(
            o,
            "<th scope=\"colgroup\" colspan=\"3\" class=\"variant\">{}: {}</th>",
            v + 1,
            esc(label)
        );
    }
    o.push_str("</tr>\n<tr>");
    for _ in &c.variants {
        let _ = write!(
            o,
            "<th scope=\"col\" class=\"num variant\">Mean</th><th scope=\"col\" class=\"num\">\
             Difference ({ci} CI)</th><th scope=\"col\">Verdict</th>"
        );
    }
    o.push_str("</tr></thead>\n<tbody>\n");
    for (m, metric) in c.metrics.iter().enumerate() {
        let _ = write!(
            o,
            "<tr><th scope=\"row\">{}</th>",
            esc(&metric_label(metric))
        );
        let mut base_done = false;
        for rows in &c.rows {
            let cells = row_cells(&rows[m], &c.base_values[m]);
            if !base_done {
                num(o, &cells[1]);
                base_done = true;
            }
            let _ = write!(o, "<td class=\"num first\">{}</td>", esc(&cells[2]));
            num(o, &cells[3]);
            let _ = write!(o, "<td>{}</td>", badge(rows[m].verdict));
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</tbody>\n</table></div>\n</section>\n");

    // How to read it.
    let _ = write!(
        o,
        "<section id=\"reading\" aria-labelledby=\"reading-h\">\n\
         <h2 id=\"reading-h\">How to read this page</h2>\n<ul>\n\
         <li>Replication <i>i</i> of the base and of every variant run with the same seed, so \
         they see the same background edits: the differences are paired, replication by \
         replication.</li>\n\
         <li><b>better</b> or <b>worse</b>: the {ci} confidence interval of the mean difference \
         (Student's t) excludes zero, and the metric is better lower (times, backlogs, \
         latency, errors) or higher (records synced). <b>no detectable difference</b>: it \
         includes zero; two identical variants differ by exactly 0.</li>\n\
         <li>A time that did not come within the horizon (\"never\") has no number: where a \
         side never cleared in some replication, the pairs are compared by sign alone, never \
         ranking above every number (an exact sign test at {ci}), and the difference is not a \
         number. A variant that never clears where the base does is worse in that pair.</li>\n\
         <li>Latency with no synced update in a replication is no data: that pair is left \
         out.</li>\n</ul>\n</section>\n</main>\n"
    );
    let _ = write!(
        o,
        "<footer>Written by syncsim {}. compare.csv beside this page holds every figure in \
         full.</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    out
}
