//! The sweep's chart (`sweep.png`, `sweep.svg`): one statistic of one metric against a swept
//! key, with error bars, one line per combination of the other swept keys' values.
//!
//! The horizontal axis is the swept key with the most values among those whose values are all
//! numbers, or all durations (drawn in hours), the first of those tied; when no key is numeric
//! (e.g. `sync.policy=fifo,priority`), the first key, its values as categories in the order
//! given. Every other key's values make the lines: one
//! per combination, in point order, at most [`MAX_LINES`] (the palette's size); with more, no
//! chart is drawn and the note says why. A point where the statistic is undefined (the event
//! did not clear within the horizon in some replication) leaves a gap.
//!
//! Nothing is computed here: the values are the table's aggregates, as in `sweep.csv`.

use std::io;

use super::charts::{
    metric_vs_parameters, Chart, ChartFormat, ParameterAxis, ParameterPoint, ParameterSeries,
    XAxis, DEFAULT_SIZE, PALETTE,
};
use super::output::{OutputDir, OutputError};
use super::Formats;
use crate::catalogue;
use crate::planner::sweep::SweepTable;
use crate::planner::{suggest, PlannerError};
use crate::replicate::Aggregate;
use crate::units::{parse_duration, HOUR};

/// The chart's file stem: `sweep.png`, `sweep.svg`.
pub const CHART: &str = "sweep";

/// At most this many lines on one chart (one colour each).
pub const MAX_LINES: usize = PALETTE.len();

/// The files of the sweep's chart in `formats` (`sweep.png`, `sweep.svg`).
pub fn chart_files(formats: Formats) -> Vec<String> {
    [ChartFormat::Png, ChartFormat::Svg]
        .into_iter()
        .filter(|f| formats.writes(*f))
        .map(|f| format!("{CHART}.{}", f.extension()))
        .collect()
}

/// Renders `chart` at the default size and writes it to `out` as `sweep.png` and `sweep.svg`,
/// as `formats` asks; retires the chart files of the formats not asked for, so the folder
/// never keeps an earlier sweep's chart beside this sweep's table.
pub fn write_chart(
    out: &mut OutputDir,
    chart: Option<&Chart>,
    formats: Formats,
) -> Result<(), OutputError> {
    let mut stale = Vec::new();
    for format in [ChartFormat::Png, ChartFormat::Svg] {
        let name = format!("{CHART}.{}", format.extension());
        match chart.filter(|_| formats.writes(format)) {
            Some(chart) => {
                let bytes = chart
                    .render(format, DEFAULT_SIZE)
                    .map_err(|e| OutputError::io(&out.path().join(&name), io::Error::other(e)))?;
                out.write(&name, |w| w.write_all(&bytes))?;
            }
            None => stale.push(name),
        }
    }
    out.retire(&stale);
    Ok(())
}

/// The statistic of a metric a chart shows, and its error bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stat {
    /// The mean across replications, with its 95% confidence interval.
    Mean,
    /// The median, without error bars.
    P50,
    /// The 90th percentile, with its distribution-free 95% confidence interval.
    P90,
}

impl Stat {
    /// The name, as in the `sweep.csv` column `<metric>:<stat>`.
    pub fn name(self) -> &'static str {
        match self {
            Stat::Mean => "mean",
            Stat::P50 => "p50",
            Stat::P90 => "p90",
        }
    }

    /// The statistic of `a` and its interval, if both ends are known.
    fn of(self, a: &Aggregate) -> (Option<f64>, Option<(f64, f64)>) {
        match self {
            Stat::Mean => (a.mean, a.mean_ci.map(|c| (c.low, c.high))),
            Stat::P50 => (a.p50, None),
            Stat::P90 => (a.p90, a.p90_ci.and_then(|(lo, hi)| Some((lo?, hi?)))),
        }
    }
}

/// The metric a sweep charts: `--metric NAME[:STAT]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricChoice {
    /// A scalar metric name (`docs/outputs.md`), e.g. `event.bulk.clear_h`.
    pub metric: String,
    /// Which statistic of it.
    pub stat: Stat,
}

impl MetricChoice {
    /// Parses `NAME` (the mean) or `NAME:mean`, `NAME:p50`, `NAME:p90`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (metric, stat) = match text.trim().rsplit_once(':') {
            Some((m, s)) => (m, s),
            None => (text.trim(), "mean"),
        };
        let stat = match stat {
            "mean" => Stat::Mean,
            "p50" => Stat::P50,
            "p90" => Stat::P90,
            other => {
                return Err(format!(
                    "'{other}' is not a statistic a sweep charts; write NAME, NAME:mean, NAME:p50 or NAME:p90"
                ))
            }
        };
        if metric.is_empty() {
            return Err("the metric name is empty; write e.g. event.bulk.clear_h:p90".into());
        }
        Ok(MetricChoice {
            metric: metric.to_string(),
            stat,
        })
    }

    /// The default: the mean clear time of the first event, or of the peak backlog when the
    /// scenario has no event.
    pub fn default_for(metrics: &[String]) -> Self {
        let metric = metrics
            .iter()
            .find(|m| m.starts_with("event.") && m.ends_with(".clear_h"))
            .map_or("backlog.max", String::as_str);
        MetricChoice {
            metric: metric.to_string(),
            stat: Stat::Mean,
        }
    }

    /// The axis label: `event.bulk.clear_h mean (hours)`.
    pub fn label(&self) -> String {
        let unit = if self.metric.ends_with("_h") {
            " (hours)"
        } else if self.metric.ends_with("_min") {
            " (minutes)"
        } else {
            ""
        };
        format!("{} {}{unit}", self.metric, self.stat.name())
    }
}

/// What became of the chart: drawn, or left out; either way a line for the terminal.
#[derive(Debug, Clone, PartialEq)]
pub enum SweepChart {
    /// The chart, and a note on it (what it shows, any gaps).
    Drawn {
        /// The chart to render (boxed: it is large beside a note).
        chart: Box<Chart>,
        /// One line for the terminal.
        note: String,
    },
    /// No chart, and why.
    Skipped {
        /// One line for the terminal.
        note: String,
    },
}

/// How an axis's values are placed along the horizontal axis.
enum Placement {
    /// Numbers, as they are.
    Numbers(Vec<f64>),
    /// Durations, in hours.
    Hours(Vec<f64>),
    /// Neither: categories, by index.
    Categories,
}

fn placement(values: &[String]) -> Placement {
    let plain = |v: &String| v.trim().trim_matches(['"', '\'']).replace('_', "");
    if let Some(xs) = values
        .iter()
        .map(|v| plain(v).parse::<f64>().ok().filter(|x| x.is_finite()))
        .collect::<Option<Vec<f64>>>()
    {
        return Placement::Numbers(xs);
    }
    if let Some(xs) = values
        .iter()
        .map(|v| parse_duration(&plain(v)).ok())
        .collect::<Option<Vec<_>>>()
    {
        return Placement::Hours(xs.iter().map(|&ms| ms as f64 / HOUR as f64).collect());
    }
    Placement::Categories
}

/// A value as shown in a legend or on a category tick: without TOML quotes.
fn shown(value: &str) -> &str {
    let v = value.trim();
    v.strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(v)
}

/// Checks that `choice` names a metric of the table, with nearby names when it does not.
pub fn check(table: &SweepTable, choice: &MetricChoice) -> Result<usize, PlannerError> {
    table
        .metrics
        .iter()
        .position(|m| *m == choice.metric)
        .ok_or_else(|| PlannerError::UnknownMetric {
            metric: choice.metric.clone(),
            expr: format!("--metric {}", choice.metric),
            hint: suggest(&choice.metric, &table.metrics),
        })
}

/// The chart of `choice` over the sweep `table` of the scenario `name`.
pub fn chart(
    table: &SweepTable,
    name: &str,
    choice: &MetricChoice,
) -> Result<SweepChart, PlannerError> {
    let m = check(table, choice)?;
    // The numeric key with the most values (the first of those tied), so that the fewest
    // lines are drawn; else the first key, as categories.
    let numeric = (0..table.axes.len())
        .map(|a| (a, axis_values(table, a)))
        .filter(|(_, v)| !matches!(placement(v), Placement::Categories))
        .fold(None::<(usize, usize)>, |best, (a, v)| match best {
            Some((_, n)) if n >= v.len() => best,
            _ => Some((a, v.len())),
        });
    let Some(x) = numeric
        .map(|(a, _)| a)
        .or((!table.axes.is_empty()).then_some(0))
    else {
        return Ok(SweepChart::Skipped {
            note: "no chart: nothing was swept".into(),
        });
    };
    let values = axis_values(table, x);
    let (unit, positions, categories) = match placement(&values) {
        Placement::Numbers(xs) => (XAxis::Number, xs, Vec::new()),
        Placement::Hours(xs) => (XAxis::Hours, xs, Vec::new()),
        Placement::Categories => (
            XAxis::Number,
            (0..values.len()).map(|i| i as f64).collect(),
            values.iter().map(|v| shown(v).to_string()).collect(),
        ),
    };
    // One line per combination of the other axes' values, in point order.
    let mut series: Vec<(Vec<String>, Vec<ParameterPoint>)> = Vec::new();
    for row in &table.rows {
        let key: Vec<String> = (0..table.axes.len())
            .filter(|&a| a != x)
            .map(|a| format!("{}={}", table.axes[a], shown(&row.values[a])))
            .collect();
        let at = values
            .iter()
            .position(|v| *v == row.values[x])
            .expect("a row's value is one of its axis's values");
        let (metric, ci) = choice.stat.of(&row.aggregates[m]);
        let point = ParameterPoint {
            parameter: positions[at],
            metric,
            ci,
        };
        match series.iter_mut().find(|(k, _)| *k == key) {
            Some((_, points)) => points.push(point),
            None => series.push((key, vec![point])),
        }
    }
    let x_path = &table.axes[x];
    if series.len() > MAX_LINES {
        return Ok(SweepChart::Skipped {
            note: format!(
                "no chart: {} lines (one per combination of the keys other than {x_path}) are more than {MAX_LINES}; \
                 sweep fewer values, or chart the table (sweep.csv) yourself",
                series.len()
            ),
        });
    }
    for (_, points) in &mut series {
        points.sort_by(|a, b| a.parameter.total_cmp(&b.parameter));
    }
    let metric_label = choice.label();
    let axis = ParameterAxis {
        label: match unit {
            XAxis::Hours => format!("{x_path} (hours)"),
            XAxis::Number => x_path.clone(),
        },
        unit,
        categories,
    };
    let lines: Vec<ParameterSeries> = series
        .into_iter()
        .map(|(key, points)| ParameterSeries {
            name: if key.is_empty() {
                metric_label.clone()
            } else {
                key.join(", ")
            },
            points,
        })
        .collect();
    let total: usize = lines.iter().map(|s| s.points.len()).sum();
    let gaps = lines
        .iter()
        .flat_map(|s| &s.points)
        .filter(|p| p.metric.is_none())
        .count();
    let title = format!(
        "{name}: {} {} by {x_path}",
        choice.metric,
        choice.stat.name()
    );
    let chart = metric_vs_parameters(&title, &axis, &metric_label, &lines);
    let mut note = format!("{} {} against {x_path}", choice.metric, choice.stat.name());
    if lines.len() > 1 {
        note.push_str(&format!(", {} lines", lines.len()));
    }
    if gaps > 0 {
        let why = if catalogue::missing(&choice.metric).ranks_above() {
            "it did not happen within the horizon in some replications"
        } else {
            "no data"
        };
        note.push_str(&format!(
            "; {gaps} of {total} points have no value ({why}) and leave gaps"
        ));
    }
    Ok(SweepChart::Drawn {
        chart: Box::new(chart),
        note,
    })
}

/// The values of axis `a`, in the order given (from the rows, which hold every value of every
/// axis when the table is a whole sweep).
fn axis_values(table: &SweepTable, a: usize) -> Vec<String> {
    let mut values: Vec<String> = Vec::new();
    for row in &table.rows {
        if !values.contains(&row.values[a]) {
            values.push(row.values[a].clone());
        }
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planner::sweep::SweepRow;
    use crate::replicate::aggregate;

    fn table(axes: &[(&str, &[&str])], clear: impl Fn(usize) -> Option<f64>) -> SweepTable {
        let mut rows = Vec::new();
        let n: usize = axes.iter().map(|(_, v)| v.len()).product();
        for point in 0..n {
            let mut rest = point;
            let mut values = vec![String::new(); axes.len()];
            for (a, (_, v)) in axes.iter().enumerate().rev() {
                values[a] = v[rest % v.len()].to_string();
                rest /= v.len();
            }
            let c = clear(point);
            rows.push(SweepRow {
                point,
                values,
                aggregates: vec![
                    aggregate("backlog.max", &[Some(100.0), Some(120.0)]),
                    aggregate("event.bulk.clear_h", &[c, c.map(|c| c + 1.0)]),
                ],
            });
        }
        SweepTable {
            axes: axes.iter().map(|(p, _)| p.to_string()).collect(),
            metrics: vec!["backlog.max".into(), "event.bulk.clear_h".into()],
            rows,
            ties: None,
        }
    }

    fn drawn(c: SweepChart) -> (crate::report::charts::LineChart, String) {
        match c {
            SweepChart::Drawn { chart, note } => match *chart {
                Chart::Line(line) => (line, note),
                other => panic!("not a line chart: {other:?}"),
            },
            other => panic!("not a line chart: {other:?}"),
        }
    }

    #[test]
    fn metric_choices_parse_with_an_optional_statistic() {
        let c = MetricChoice::parse("event.bulk.clear_h:p90").unwrap();
        assert_eq!(
            (c.metric.as_str(), c.stat),
            ("event.bulk.clear_h", Stat::P90)
        );
        assert_eq!(MetricChoice::parse("backlog.max").unwrap().stat, Stat::Mean);
        assert!(MetricChoice::parse("backlog.max:p99")
            .unwrap_err()
            .contains("NAME:p90"));
        let names = vec!["backlog.max".to_string(), "event.bulk.clear_h".into()];
        assert_eq!(
            MetricChoice::default_for(&names).metric,
            "event.bulk.clear_h"
        );
        assert_eq!(MetricChoice::default_for(&names[..1]).metric, "backlog.max");
    }

    #[test]
    fn durations_are_hours_and_missing_values_are_gaps() {
        let t = table(&[("events.bulk.at", &["0", "30m", "1h"])], |p| {
            (p != 1).then_some(2.0)
        });
        let choice = MetricChoice::parse("event.bulk.clear_h").unwrap();
        let (line, note) = drawn(chart(&t, "s", &choice).unwrap());
        assert_eq!(line.x_axis, XAxis::Hours);
        assert_eq!(line.x_label, "events.bulk.at (hours)");
        let xs: Vec<f64> = line.series[0].points.iter().map(|p| p.0).collect();
        assert_eq!(xs, [0.0, 0.5, 1.0]);
        assert!(line.series[0].points[1].1.is_nan());
        assert!(note.contains("1 of 3 points have no value"), "{note}");
        assert!(line.alt.contains("1 point has no value"), "{}", line.alt);
    }

    #[test]
    fn the_numeric_axis_is_horizontal_and_the_other_makes_the_lines() {
        let t = table(
            &[
                ("sync.policy", &["fifo", "\"priority\""]),
                ("sync.workers", &["1", "2", "4"]),
            ],
            |p| Some(p as f64),
        );
        let (line, _) = drawn(chart(&t, "s", &MetricChoice::default_for(&t.metrics)).unwrap());
        assert_eq!(line.x_label, "sync.workers");
        let names: Vec<&str> = line.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["sync.policy=fifo", "sync.policy=priority"]);
        assert_eq!(line.series[1].points[2].0, 4.0);
        // Names only: categories on the horizontal axis, one line.
        let t = table(&[("sync.policy", &["fifo", "priority"])], |_| Some(1.0));
        let (line, _) = drawn(chart(&t, "s", &MetricChoice::default_for(&t.metrics)).unwrap());
        assert_eq!(line.x_categories, ["fifo", "priority"]);
        assert_eq!(line.series.len(), 1);
    }

    #[test]
    fn too_many_lines_skip_the_chart_and_unknown_metrics_are_refused() {
        let many: Vec<String> = (0..11).map(|i| i.to_string()).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let t = table(&[("a", &["1", "2"]), ("b", &many)], |_| Some(1.0));
        let t2 = table(
            &[("a", &["x", "y"]), ("b", &many), ("c", &["p", "q"])],
            |_| None,
        );
        // b has the most values, so it is horizontal and a makes 2 lines; with c too, 4.
        assert!(matches!(
            chart(&t, "s", &MetricChoice::default_for(&t.metrics)).unwrap(),
            SweepChart::Drawn { .. }
        ));
        assert!(matches!(
            chart(&t2, "s", &MetricChoice::default_for(&t2.metrics)).unwrap(),
            SweepChart::Drawn { .. }
        ));
        let t3 = table(&[("a", &many), ("b", &many)], |_| None);
        let SweepChart::Skipped { note } =
            chart(&t3, "s", &MetricChoice::default_for(&t3.metrics)).unwrap()
        else {
            panic!("skipped")
        };
        assert!(note.contains("11 lines"), "{note}");
        let SweepChart::Drawn { chart: c, .. } =
            chart(&t, "s", &MetricChoice::default_for(&t.metrics)).unwrap()
        else {
            panic!("drawn")
        };
        assert!(
            c.alt().starts_with("s: event.bulk.clear_h mean by b:"),
            "{}",
            c.alt()
        );
        let err = chart(&t, "s", &MetricChoice::parse("event.bluk.clear_h").unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("event.bulk.clear_h"), "{err}");
    }
}
