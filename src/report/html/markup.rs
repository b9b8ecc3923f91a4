//! The markup the dashboard's sections share: the stylesheet, escaping, table rows and
//! cells, inline charts, badges and the formats of times on the page.

use std::fmt::Write as _;

pub(super) use crate::report::charts::escape_xml as esc;
use crate::report::charts::object_colour;
use crate::scenario::Scenario;
use crate::summary::Status;
use crate::text::fixed;
use crate::units::{hours, human_duration, Millis, HOUR, MINUTE};

/// The page's stylesheet, for the screen and for print.
pub(super) const CSS: &str = r#"
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
.readings { color: var(--muted); font-size: 13px; white-space: nowrap; }
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

/// An instant as hours since the start, two decimals: `25.00 h`.
pub(super) fn h(ms: Millis) -> String {
    format!("{} h", fixed(hours(ms), 2))
}

/// A duration in the unit that reads best ([`human_duration`]), or `missing` when there is
/// none.
pub(super) fn duration_or(ms: Option<Millis>, missing: &str) -> String {
    ms.map_or_else(|| missing.to_string(), human_duration)
}

/// Simulated time `t` as a date and time on the scenario's clock: `2026-11-24 06:34:21` in
/// UTC, or local time with its offset, `2026-11-24 07:34:21 +01:00`, in a time zone
/// (labelled by [`zone`]).
pub(super) fn utc(sc: &Scenario, t: Millis) -> String {
    sc.calendar.show(sc.instant(t).0)
}

/// The name of the clock times are shown on: `UTC`, or the scenario's time zone.
pub(super) fn zone(sc: &Scenario) -> &str {
    &sc.calendar.time_zone
}

/// Growing or Normal as a coloured badge.
pub(super) fn status_badge(s: Status) -> String {
    let class = match s {
        Status::Growing => "growing",
        Status::Normal => "normal",
    };
    format!("<span class=\"status {class}\">{}</span>", s.label())
}

/// A status badge with the two readings it compares beside it: `Growing 241 → 253 (+12)`.
pub(super) fn status_with_readings(s: Status, before: u64, now: u64) -> String {
    format!(
        "{} <span class=\"readings\" title=\"backlog 6 hours before the fetch, then at the fetch\">{}</span>",
        status_badge(s),
        esc(&crate::report::terminal::status_readings(before, now))
    )
}

/// A row header with the object's colour swatch and name.
pub(super) fn object_head(sc: &Scenario, o: usize) -> String {
    format!(
        "<th scope=\"row\"><span class=\"swatch\" style=\"background:{}\" aria-hidden=\"true\"></span>{}</th>",
        object_colour(o).hex(),
        esc(&sc.objects[o].name)
    )
}

/// An inline SVG chart inside a `<figure>`: the `xmlns` attribute is dropped (HTML does not
/// need it) so the page holds no URL at all.
pub(super) fn figure(out: &mut String, svgs: &[(&str, String)], stem: &str, caption: &str) {
    if let Some((_, svg)) = svgs.iter().find(|(s, _)| *s == stem) {
        let svg = svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1);
        let _ = write!(
            out,
            "<figure>\n{svg}\n<figcaption>{}</figcaption>\n</figure>\n",
            esc(caption)
        );
    }
}

/// A table's header row: (label, numeric column).
pub(super) fn head_row(out: &mut String, cells: &[(&str, bool)]) {
    out.push_str("<thead><tr>");
    for (label, num) in cells {
        let class = if *num { " class=\"num\"" } else { "" };
        let _ = write!(out, "<th scope=\"col\"{class}>{label}</th>");
    }
    out.push_str("</tr></thead>\n");
}

/// A numeric cell.
pub(super) fn num(out: &mut String, text: &str) {
    let _ = write!(out, "<td class=\"num\">{}</td>", esc(text));
}

/// A text cell.
pub(super) fn cell(out: &mut String, text: &str) {
    let _ = write!(out, "<td>{}</td>", esc(text));
}

/// A table of labelled figures: one `<th scope="row">` and one number per row.
pub(super) fn figures_table(out: &mut String, caption: &str, rows: &[(&str, String)]) {
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

/// A time of day, `HH:MM`.
pub(super) fn clock(ms: Millis) -> String {
    format!("{:02}:{:02}", ms / HOUR, ms % HOUR / MINUTE)
}
