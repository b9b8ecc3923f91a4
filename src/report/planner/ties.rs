//! What the planner says about ties: which sweep points or schedule plans cannot be told
//! apart from the best ([`crate::planner::ties`]), and why schedule recommends the plan it
//! recommends. The same lines go to the terminal and, as comments, to `recommended.toml`.

use crate::planner::schedule::{PlanResult, Recommendation, ScheduleSpec};
use crate::planner::sweep::SweepTable;
use crate::planner::ties::{TieStatus, Ties};
use crate::report::compare::confidence_text;
use crate::text::cell;
use crate::units::Instant;

/// Where the procedure is named and cited.
const PROCEDURE: &str = "subset selection with common random numbers, Nelson, Swann, Goldsman \
                         and Song (2001); docs/planner.md#ties";

/// `0, 3 and 7`.
fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The lines under a sweep's table: the best point by the judged metric's mean and the
/// points equivalent to it.
pub fn sweep_lines(table: &SweepTable, ties: &Ties, shard: bool) -> Vec<String> {
    let ci = confidence_text(ties.confidence);
    let m = &ties.metric;
    let within = if shard { " of this shard" } else { "" };
    let point = |i: usize| {
        let row = &table.rows[i];
        let set: Vec<String> = table
            .axes
            .iter()
            .zip(&row.values)
            .map(|(a, v)| format!("{a}={v}"))
            .collect();
        format!("point {} ({})", row.point, set.join(", "))
    };
    let mut lines = Vec::new();
    if ties.status == TieStatus::NoDirection {
        lines.push(format!(
            "{m} is better neither lower nor higher: no best point to judge ties by (choose one with --metric)."
        ));
        return lines;
    }
    let Some(best) = ties.best else {
        lines.push(format!(
            "No point{within} has {m} in every replication (\"never\" in some): ties are not judged."
        ));
        return lines;
    };
    let column = table.metrics.iter().position(|n| n == m);
    let mean = column.and_then(|c| table.rows[best].aggregates[c].mean);
    lines.push(format!(
        "Best point{within} by the mean of {m} ({} is better): {}, {}.",
        if ties.lower_is_better {
            "lower"
        } else {
            "higher"
        },
        point(best),
        cell(m, mean)
    ));
    match ties.status {
        TieStatus::OneReplication => lines.push(
            "With 1 replication, ties cannot be judged: run --replications 10 or more to see \
             which points are as good as the best."
                .into(),
        ),
        _ if ties.group.len() == 1 => lines.push(format!(
            "It stands alone at {ci}: every other point's {m} is detectably worse ({PROCEDURE})."
        )),
        _ => {
            let points: Vec<String> = ties
                .group
                .iter()
                .map(|&i| table.rows[i].point.to_string())
                .collect();
            lines.push(format!(
                "{} of the {} points{within} are equivalent to it at {ci}, none detectably \
                 worse than another: points {} ({PROCEDURE}).",
                ties.group.len(),
                table.rows.len(),
                list(&points)
            ));
        }
    }
    if !ties.left_out.is_empty() {
        let points: Vec<String> = ties
            .left_out
            .iter()
            .map(|&i| table.rows[i].point.to_string())
            .collect();
        lines.push(format!(
            "Left out of the judgement, {m} \"never\" or missing in some replication: points {}.",
            list(&points)
        ));
    }
    lines
}

/// "plan 4 (start 2026-11-23T04:00:00Z, split none)".
fn plan_text(start: Instant, r: &PlanResult) -> String {
    format!(
        "plan {} (start {}, split {})",
        r.plan.index,
        start.plus(r.plan.start),
        r.plan.split_text()
    )
}

/// Why schedule recommends the plan it does: how many plans are equivalent to the best,
/// and which of them it picked.
pub fn recommendation_lines(
    spec: &ScheduleSpec,
    start: Instant,
    ranked: &[&PlanResult],
    rec: &Recommendation,
    shard: bool,
) -> Vec<String> {
    let t = &rec.ties;
    let ci = confidence_text(t.confidence);
    let (m, stat) = (&spec.rank_by.0, &spec.rank_by.1);
    let within = if shard { " of this shard" } else { "" };
    let picked = ranked[rec.pick];
    let mut lines = Vec::new();
    match t.status {
        TieStatus::OneReplication => lines.push(format!(
            "With 1 replication, ties cannot be judged: plans near the best may be as good. Run \
             --replications 10 or more to see which. Recommended: the first ranked, {}.",
            plan_text(start, picked)
        )),
        TieStatus::Incomplete | TieStatus::NoDirection => lines.push(format!(
            "No plan{within} meeting the constraints has {m} in every replication (\"never\" in \
             some): ties are not judged. Recommended: the first ranked, {}.",
            plan_text(start, picked)
        )),
        TieStatus::Judged if t.group.len() <= 1 => lines.push(format!(
            "The best plan{within} stands alone at {ci}: every other plan's {m} is detectably \
             worse ({PROCEDURE}). Recommended: {}.",
            plan_text(start, picked)
        )),
        TieStatus::Judged => {
            let first = ranked[0];
            // Splitting is said to gain nothing only when split plans were tried.
            let unsplit_of_splits =
                picked.plan.parts == 1 && ranked.iter().any(|r| r.plan.parts > 1);
            lines.push(format!(
                "{} of the {} plans{within} that meet the constraints are equivalent to the best \
                 at {ci}: no plan's mean {m} is detectably better than theirs ({PROCEDURE}).",
                t.group.len(),
                ranked.len()
            ));
            lines.push(format!(
                "Recommended: {}, the earliest of them{}: nothing detectable is gained by \
                 waiting{}.{}",
                plan_text(start, picked),
                if unsplit_of_splits { ", unsplit" } else { "" },
                if unsplit_of_splits {
                    " or splitting"
                } else {
                    ""
                },
                if rec.pick == 0 {
                    String::new()
                } else {
                    format!(
                        " The first ranked, {} at {m} {stat} = {}, is within the noise of it.",
                        plan_text(start, first),
                        cell(m, first.rank)
                    )
                }
            ));
        }
    }
    if !t.left_out.is_empty() {
        lines.push(format!(
            "{} plan{} meeting the constraints left out of the judgement: {m} \"never\" in some \
             replication.",
            t.left_out.len(),
            if t.left_out.len() == 1 { "" } else { "s" }
        ));
    }
    lines
}

/// `text` as `# ` comment lines of at most about `width` characters.
pub fn comment(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::from("#");
    for word in text.split_whitespace() {
        if line.len() + 1 + word.len() > width && line.len() > 1 {
            out.push_str(&line);
            out.push('\n');
            line = String::from("#");
        }
        line.push(' ');
        line.push_str(word);
    }
    if line.len() > 1 {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_wrap_at_words() {
        assert_eq!(comment("a bb ccc", 6), "# a bb\n# ccc\n");
        assert_eq!(list(&["1".into(), "2".into(), "3".into()]), "1, 2 and 3");
    }
}
