//! `solve.csv` and solve's terminal view: every candidate of the last search with each
//! condition's statistic and its interval, whether it passes by the statistic and at the
//! confidence asked, and the conclusion with the answer's interval.

use std::io::{self, Write};

use super::write_aligned;
use crate::expr::Stat;
use crate::planner::grid::Kind;
use crate::planner::solve::{self, Answer, Candidate, Solution, SolveSpec};
use crate::report::compare::confidence_text;
use crate::text::{cell, csv_io_error as io_err, csv_writer, num};
use crate::units::{format_duration, Millis};

/// A width in the knob's unit: a duration for a duration knob.
pub fn width_text(spec: &SolveSpec, width: f64) -> String {
    match spec.range.kind {
        Kind::Duration => format_duration(width.round() as Millis),
        _ => num(width),
    }
}

/// The header: `order`, the knob, per condition its statistic and the interval's bounds
/// (`<condition> ci_low`, `<condition> ci_high`), `result` (by the statistics), `at 95%` (at
/// the confidence asked: pass, fail or unsure), `answer` and `interval` (`low`, `high`: the
/// rows at the ends of the answer's interval).
pub fn solve_header(spec: &SolveSpec) -> Vec<String> {
    let mut h = vec!["order".to_string(), spec.path.clone()];
    for c in &spec.target.conditions {
        h.push(c.to_string());
        h.push(format!("{c} ci_low"));
        h.push(format!("{c} ci_high"));
    }
    h.extend([
        "result".to_string(),
        format!("at {}", confidence_text(spec.confidence)),
        "answer".to_string(),
        "interval".to_string(),
    ]);
    h
}

/// `low`, `high`, `low and high` or empty: where `c` stands in the answer's interval.
fn interval_mark(spec: &SolveSpec, solution: &Solution, c: &Candidate) -> &'static str {
    let (lo, hi) = solution.interval_ends(spec);
    match (lo == Some(c.k), hi == Some(c.k)) {
        (true, true) => "low and high",
        (true, false) => "low",
        (false, true) => "high",
        (false, false) => "",
    }
}

fn csv_row(spec: &SolveSpec, solution: &Solution, c: &Candidate) -> Vec<String> {
    let mut r = vec![c.order.to_string(), c.value.clone()];
    for (v, i) in c.verdicts.iter().zip(&c.intervals) {
        let m = &v.condition.metric;
        r.push(cell(m, v.actual));
        r.push(i.map_or(String::new(), |(lo, _)| cell(m, lo)));
        r.push(i.map_or(String::new(), |(_, hi)| cell(m, hi)));
    }
    r.push(if c.pass { "pass" } else { "fail" }.into());
    r.push(c.sure.label().into());
    r.push(if solution.answer_k() == Some(c.k) {
        "yes".into()
    } else {
        String::new()
    });
    r.push(interval_mark(spec, solution, c).into());
    r
}

/// `solve.csv`: every candidate of the last search, sorted by value.
pub fn write_solve_csv(spec: &SolveSpec, solution: &Solution, w: &mut dyn Write) -> io::Result<()> {
    let mut out = csv_writer(w);
    out.write_record(solve_header(spec)).map_err(io_err)?;
    for c in solution.by_value() {
        out.write_record(csv_row(spec, solution, c))
            .map_err(io_err)?;
    }
    out.flush()
}

/// The answer's interval for the conclusion: `95%: 4120-4240`, with words where it reaches
/// beyond the range (`2000 or below to 4240`, `4120 to above 20000`).
pub fn interval_text(spec: &SolveSpec, solution: &Solution) -> String {
    let ci = confidence_text(spec.confidence);
    let i = &solution.interval;
    if i.unsure_from.is_none() {
        return format!("{ci}: it surely fails everywhere in the range");
    }
    let v = |k: u64| spec.range.text(k);
    let (lo, hi) = solution.interval_ends(spec);
    let (first, last) = (0, spec.last());
    let lo_text = match lo {
        Some(k) if !spec.greatest && i.open_at_fail_end => format!("{} or below", v(k)),
        Some(k) => v(k),
        None => format!("below {}", v(first)),
    };
    let hi_text = match hi {
        Some(k) if spec.greatest && i.open_at_fail_end => format!("{} or above", v(k)),
        Some(k) => v(k),
        None => format!("above {}", v(last)),
    };
    if lo.is_some() && lo == hi {
        // One point: the answer exactly, or an end of the range beyond which it may lie.
        return format!("{ci}: {}", if spec.greatest { hi_text } else { lo_text });
    }
    let open = i.open_at_fail_end || i.sure_from.is_none();
    format!(
        "{ci}: {lo_text}{}{hi_text}",
        if open { " to " } else { "-" }
    )
}

/// The evidence table and the conclusion, for the terminal.
pub fn write_solve_terminal(
    spec: &SolveSpec,
    solution: &Solution,
    w: &mut dyn Write,
) -> io::Result<()> {
    let ci = confidence_text(spec.confidence);
    let mut head = vec!["order".to_string(), spec.path.clone()];
    for c in &spec.target.conditions {
        head.push(c.to_string());
        head.push(format!("{ci} CI"));
    }
    head.extend(["result".into(), format!("at {ci}"), "answer".into()]);
    let mut lines = vec![head];
    for c in solution.by_value() {
        let mut r = vec![c.order.to_string(), c.value.clone()];
        for (v, i) in c.verdicts.iter().zip(&c.intervals) {
            let m = &v.condition.metric;
            r.push(cell(m, v.actual));
            r.push(i.map_or("-".into(), |(lo, hi)| {
                format!("{}-{}", cell(m, lo), cell(m, hi))
            }));
        }
        r.push(if c.pass { "pass" } else { "fail" }.into());
        r.push(c.sure.label().into());
        let mark = interval_mark(spec, solution, c);
        r.push(match (solution.answer_k() == Some(c.k), mark) {
            (true, "") => "yes".into(),
            (true, m) => format!("yes, interval {m}"),
            (false, "") => String::new(),
            (false, m) => format!("interval {m}"),
        });
        lines.push(r);
    }
    write_aligned(&lines, w)?;
    writeln!(w)?;
    let (least, lowest) = if spec.greatest {
        ("greatest", "highest")
    } else {
        ("least", "lowest")
    };
    let value = |k: u64| format!("{} = {}", spec.path, spec.range.text(k));
    let interval = interval_text(spec, solution);
    match solution.answer {
        Answer::Found { k } => {
            let neighbour = if spec.greatest { k + 1 } else { k - 1 };
            writeln!(
                w,
                "Answer: {} ({interval}) is the {least} value for which the target holds by its \
                 statistics (it fails at {}).",
                value(k),
                spec.range.text(neighbour)
            )?;
            writeln!(
                w,
                "At {ci} confidence the {least} value lies in that interval, if the target is \
                 monotone in {}: outside it the target surely fails or surely holds; inside, a \
                 statistic's {ci} interval straddles its bound.",
                spec.path
            )?;
        }
        Answer::Everywhere { k } => writeln!(
            w,
            "The target holds everywhere in the range: already at {}, the {lowest} value tried. \
             The {least} value may lie beyond it; widen --range to find it. Answer: {} \
             ({interval}).",
            spec.range.text(k),
            value(k)
        )?,
        Answer::Nowhere => {
            let end = if spec.greatest { 0 } else { spec.last() };
            writeln!(
                w,
                "The target holds nowhere in the range: it fails even at {}. No answer ({interval}); \
                 widen --range{}.",
                value(end),
                if spec.greatest {
                    ""
                } else {
                    " (or check the target: with larger values it should become easier to meet)"
                }
            )?
        }
    }
    let reached = solution
        .passes
        .last()
        .is_none_or(|p| solve::narrow_enough(spec, &solution.answer, p.width));
    if solution.passes.len() > 1 || !reached {
        let steps: Vec<String> = solution
            .passes
            .iter()
            .map(|p| {
                if p.width.is_finite() {
                    format!("{} ({} wide)", p.replications, width_text(spec, p.width))
                } else {
                    format!("{} (open)", p.replications)
                }
            })
            .collect();
        if reached {
            writeln!(
                w,
                "Replications per candidate, until the interval was narrow enough: {}.",
                steps.join(", ")
            )?;
        } else {
            writeln!(
                w,
                "Replications per candidate: {}; --precision not reached at --max-replications \
                 {} (raise it to narrow the interval further).",
                steps.join(", "),
                solution.replications
            )?;
        }
    }
    if spec
        .target
        .conditions
        .iter()
        .any(|c| matches!(c.stat, Stat::Min | Stat::Max | Stat::Percentile(100.0)))
    {
        writeln!(
            w,
            "note: min, max and p100 have no interval: their verdicts count as sure, and grow \
             stricter with more replications."
        )?;
    }
    for warning in &solution.warnings {
        writeln!(w, "warning: {warning}")?;
    }
    Ok(())
}
