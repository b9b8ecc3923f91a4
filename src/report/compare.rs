//! `syncsim compare`'s outputs: the terminal table (one block per variant), `compare.csv`
//! (one row per variant and metric) and the texts `compare.html` shares with them. The
//! comparison is computed by [`crate::planner::compare`]; this module only formats it.

use std::io::{self, Write};

use crate::catalogue::{self, Unit};
use crate::planner::compare::{Comparison, MetricComparison, Verdict};
use crate::replicate::Aggregate;
use crate::stats::{Method, PairedDifference};
use crate::text::{csv_io_error as io_err, csv_writer, fixed, num, opt_num, thousands};

/// The file of the table.
pub const CSV_FILE: &str = "compare.csv";

/// `92%` or `95%` or `99.5%`.
pub fn confidence_text(confidence: f64) -> String {
    format!("{}%", num(confidence * 100.0))
}

/// The metric with its unit, for tables: `event.bulk.clear_h (h)`, `backlog.max`.
pub fn metric_label(metric: &str) -> String {
    match catalogue::unit(metric) {
        Some(Unit::Hours) => format!("{metric} (h)"),
        Some(Unit::Minutes) => format!("{metric} (min)"),
        _ => metric.to_string(),
    }
}

/// Decimals that show a value of `metric` to about the precision its interval has: two for
/// times at least, whole numbers for counts, more when the interval is narrower.
fn decimals(metric: &str, half_width: Option<f64>) -> usize {
    let least = match catalogue::unit(metric) {
        Some(Unit::Hours | Unit::Minutes | Unit::Status) => 2,
        Some(Unit::PerHour) => 1,
        _ => 0,
    };
    match half_width.filter(|h| *h > 0.0) {
        Some(h) => least.max((1.0 - h.log10().floor()) as usize).min(4),
        None => least,
    }
}

/// A number of `metric`: grouped by thousands when whole, else with `d` decimals.
fn number(x: f64, d: usize) -> String {
    if d == 0 {
        let r = x.round();
        let s = thousands(r.abs() as u64);
        if r < 0.0 {
            format!("-{s}")
        } else {
            s
        }
    } else {
        fixed(x, d)
    }
}

/// The decimals of a row: from the difference's interval.
fn row_decimals(c: &MetricComparison) -> usize {
    let half = c
        .difference
        .as_ref()
        .and_then(|d| d.ci)
        .map(|ci| (ci.high - ci.low) / 2.0);
    decimals(&c.metric, half)
}

/// The mean across replications, or how often it did not come, or `-` for no data.
pub fn mean_text(a: &Aggregate, d: usize) -> String {
    match a.mean {
        Some(m) => number(m, d),
        None if a.never > 0 => format!("never in {} of {}", a.never, a.n + a.never),
        None => "-".into(),
    }
}

/// The difference with its interval: `-3.27 (-3.28 to -3.26)`; for pairs judged by sign,
/// how many went each way.
pub fn difference_text(d: &PairedDifference, decimals: usize) -> String {
    match (d.method, d.mean, d.ci) {
        (Method::TInterval, Some(m), Some(ci)) => format!(
            "{} ({} to {})",
            number(m, decimals),
            number(ci.low, decimals),
            number(ci.high, decimals)
        ),
        (Method::SignTest { higher, lower, .. }, _, _) => format!(
            "not a number (a side never came): higher in {higher}, lower in {lower} of {} pairs",
            d.pairs
        ),
        (_, Some(m), None) => format!("{} (no interval: {} pair)", number(m, decimals), d.pairs),
        _ => "-".into(),
    }
}

/// The cells of one row: metric, base mean, variant mean, difference, verdict.
pub fn row_cells(c: &MetricComparison, base: &Aggregate) -> [String; 5] {
    let d = row_decimals(c);
    [
        metric_label(&c.metric),
        mean_text(base, d),
        c.variant.as_ref().map_or("-".into(), |a| mean_text(a, d)),
        c.difference
            .as_ref()
            .map_or("-".into(), |x| difference_text(x, d)),
        c.verdict.label().into(),
    ]
}

/// "better in 7, worse in 1, no detectable difference in 5 of 13 metrics".
pub fn tally(rows: &[MetricComparison]) -> String {
    let count = |v: Verdict| rows.iter().filter(|r| r.verdict == v).count();
    let mut parts: Vec<String> = Vec::new();
    for v in [
        Verdict::Better,
        Verdict::Worse,
        Verdict::Lower,
        Verdict::Higher,
        Verdict::Same,
        Verdict::Absent,
    ] {
        let n = count(v);
        if n > 0 {
            parts.push(format!("{} in {n}", v.label()));
        }
    }
    format!("{} of {} metrics", parts.join(", "), rows.len())
}

/// The terminal view: one block per variant, then notes on how to read it.
pub fn write_terminal(c: &Comparison, w: &mut dyn Write) -> io::Result<()> {
    let ci = confidence_text(c.confidence);
    for (v, (label, rows)) in c.variants.iter().zip(&c.rows).enumerate() {
        writeln!(w, "\nVariant {}: {label}", v + 1)?;
        let mut lines = vec![[
            "metric".to_string(),
            "base mean".into(),
            "variant mean".into(),
            format!("difference ({ci} CI)"),
            "verdict".into(),
        ]];
        lines.extend(
            rows.iter()
                .zip(&c.base_values)
                .map(|(r, b)| row_cells(r, b)),
        );
        write_table(&lines, w)?;
        writeln!(w, "  {}: {}.", label, tally(rows))?;
    }
    if c.replications < 2 {
        writeln!(
            w,
            "\nWith 1 replication no difference can be detected: run 10 or more (--replications)."
        )?;
    }
    Ok(())
}

/// Left-aligned first column, right-aligned numbers, the verdict left-aligned.
fn write_table(lines: &[[String; 5]], w: &mut dyn Write) -> io::Result<()> {
    let width = |c: usize| {
        lines
            .iter()
            .map(|l| l[c].chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..5).map(width).collect();
    for l in lines {
        writeln!(
            w,
            "  {:<a$}  {:>b$}  {:>c$}  {:>d$}  {}",
            l[0],
            l[1],
            l[2],
            l[3],
            l[4],
            a = widths[0],
            b = widths[1],
            c = widths[2],
            d = widths[3]
        )?;
    }
    Ok(())
}

/// `compare.csv`'s header.
pub const CSV_HEADER: [&str; 17] = [
    "variant",
    "label",
    "metric",
    "unit",
    "better",
    "pairs",
    "base_mean",
    "variant_mean",
    "difference",
    "ci_low",
    "ci_high",
    "confidence",
    "verdict",
    "method",
    "sign_p_value",
    "base_never",
    "variant_never",
];

/// `compare.csv`: one row per variant and headline metric, numbers in full.
pub fn write_csv(c: &Comparison, w: &mut dyn Write) -> io::Result<()> {
    let mut out = csv_writer(w);
    out.write_record(CSV_HEADER).map_err(io_err)?;
    for (v, (label, rows)) in c.variants.iter().zip(&c.rows).enumerate() {
        for (r, base) in rows.iter().zip(&c.base_values) {
            let d = r.difference.as_ref();
            let (method, p) = match d.map(|d| d.method) {
                Some(Method::TInterval) => ("t", String::new()),
                Some(Method::SignTest { p_value, .. }) => ("sign", num(p_value)),
                Some(Method::TooFew) => ("too few pairs", String::new()),
                None => ("", String::new()),
            };
            let never = |a: Option<&Aggregate>| a.map_or(String::new(), |a| a.never.to_string());
            out.write_record([
                (v + 1).to_string(),
                label.clone(),
                r.metric.clone(),
                catalogue::unit(&r.metric)
                    .map_or("", Unit::label)
                    .to_string(),
                catalogue::better(&r.metric).label().to_string(),
                d.map_or(String::new(), |d| d.pairs.to_string()),
                opt_num(base.mean),
                opt_num(r.variant.as_ref().and_then(|a| a.mean)),
                opt_num(d.and_then(|d| d.mean)),
                opt_num(d.and_then(|d| d.ci).map(|ci| ci.low)),
                opt_num(d.and_then(|d| d.ci).map(|ci| ci.high)),
                num(c.confidence),
                r.verdict.label().to_string(),
                method.to_string(),
                p,
                base.never.to_string(),
                never(r.variant.as_ref()),
            ])
            .map_err(io_err)?;
        }
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_follow_the_interval() {
        assert_eq!(decimals("event.x.clear_h", None), 2);
        assert_eq!(decimals("event.x.clear_h", Some(0.5)), 2);
        assert_eq!(decimals("event.x.clear_h", Some(0.004)), 4);
        assert_eq!(decimals("backlog.max", Some(120.0)), 0);
        assert_eq!(decimals("backlog.max", Some(0.3)), 2);
        assert_eq!(number(-12_345.4, 0), "-12,345");
        assert_eq!(confidence_text(0.95), "95%");
    }
}
