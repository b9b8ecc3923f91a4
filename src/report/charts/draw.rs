//! Drawing a [`Chart`](super::Chart) on any plotters backend: axes with ticks chosen here
//! (hours fall on whole days, log axes on 1-2-5 decades), legends, event markers, bars with
//! value labels, stacked bands and fans.

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{BarChart, FanChart, LineChart, Marker, XAxis, FONT_FAMILY};
use crate::text::{fixed, thousands};

const TEXT: RGBColor = RGBColor(0x22, 0x22, 0x22);
const GRID: RGBColor = RGBColor(0xdd, 0xdd, 0xdd);
const AXIS: RGBColor = RGBColor(0x66, 0x66, 0x66);
const MARKER: RGBColor = RGBColor(0x55, 0x55, 0x55);

fn font(size: f64) -> TextStyle<'static> {
    TextStyle::from((FONT_FAMILY, size).into_font()).color(&TEXT)
}

fn title_font() -> TextStyle<'static> {
    font(26.0)
}

fn label_font() -> TextStyle<'static> {
    font(16.0)
}

fn axis_font() -> TextStyle<'static> {
    font(18.0)
}

/// At most this many points per line: denser data is thinned (keeping each bucket's extremes)
/// so an SVG stays small and a line stays readable.
const MAX_POINTS: usize = 2_400;

/// Indices to keep from `len` points so that at most about `max` remain: in each bucket the
/// first point, the lowest and the highest by `key`, in order; all points when few enough.
fn thin(len: usize, max: usize, key: impl Fn(usize) -> f64) -> Vec<usize> {
    if len <= max {
        return (0..len).collect();
    }
    let buckets = (max / 3).max(1);
    let size = len.div_ceil(buckets);
    let mut keep = Vec::with_capacity(buckets * 3 + 1);
    for start in (0..len).step_by(size) {
        let end = (start + size).min(len);
        let (mut lo, mut hi) = (start, start);
        for i in start..end {
            if key(i) < key(lo) {
                lo = i;
            }
            if key(i) > key(hi) {
                hi = i;
            }
        }
        let mut three = [start, lo, hi];
        three.sort_unstable();
        for i in three {
            if keep.last() != Some(&i) {
                keep.push(i);
            }
        }
    }
    if keep.last() != Some(&(len - 1)) {
        keep.push(len - 1);
    }
    keep
}

/// A "nice" tick step (1, 2, 2.5 or 5 times a power of ten) giving at most `max_ticks` steps.
fn nice_step(span: f64, max_ticks: usize) -> f64 {
    let raw = (span / max_ticks.max(1) as f64).max(f64::MIN_POSITIVE);
    let magnitude = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0] {
        if m * magnitude >= raw * (1.0 - 1e-9) {
            return m * magnitude;
        }
    }
    10.0 * magnitude
}

/// A tick step in hours: 1, 2, 3, 6, 12 hours, then whole days, weeks.
fn hour_step(span: f64, max_ticks: usize) -> f64 {
    const STEPS: [f64; 14] = [
        1.0, 2.0, 3.0, 6.0, 12.0, 24.0, 48.0, 72.0, 168.0, 336.0, 720.0, 1440.0, 2160.0, 8760.0,
    ];
    STEPS
        .into_iter()
        .find(|&s| span / s <= max_ticks as f64)
        .unwrap_or_else(|| nice_step(span, max_ticks))
}

fn ticks(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let first = (lo / step).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// A tick label: thousands separators, and as many decimals as the step needs.
fn tick_label(v: f64, step: f64) -> String {
    // The fewest decimals that write the step exactly: 0.25 -> 2, 2.5 -> 1, 50,000 -> 0.
    let decimals = (0..=6)
        .find(|&d| {
            let scaled = step * 10f64.powi(d);
            (scaled - scaled.round()).abs() < 1e-6 * scaled.max(1.0)
        })
        .unwrap_or(6) as usize;
    number(v, decimals)
}

/// Formats `v` with `decimals` decimals and thousands separators.
fn number(v: f64, decimals: usize) -> String {
    let text = fixed(v.abs(), decimals);
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let int = int
        .parse::<u64>()
        .map_or_else(|_| int.to_string(), thousands);
    let sign = if v < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

/// The name of the category at x position `v` (its index), or nothing between categories.
fn category(names: &[String], v: f64) -> String {
    let i = v.round();
    if i >= 0.0 && (i as usize) < names.len() && (v - i).abs() < 1e-9 {
        names[i as usize].clone()
    } else {
        String::new()
    }
}

/// A short value label: 3 significant digits below 100, whole numbers above.
fn short_value(v: f64) -> String {
    let a = v.abs();
    let decimals = if a >= 100.0 {
        0
    } else if a >= 10.0 {
        1
    } else if a >= 1.0 {
        2
    } else {
        3
    };
    number(v, decimals)
}

/// A tick of a log axis (1, 2 or 5 times a power of ten), without trailing zeros.
fn log_tick(v: f64) -> String {
    let text = number(v, 6);
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// The y range and ticks for data up to `max` (from 0), with room above for labels.
fn y_scale(min: f64, max: f64, headroom: f64) -> (f64, f64, Vec<f64>, f64) {
    let lo = min.min(0.0);
    let hi = if max > lo { max } else { lo + 1.0 };
    let span = (hi - lo) * headroom;
    let step = nice_step(span, 8);
    let top = lo + (span / step).ceil() * step;
    (lo, top, ticks(lo, top, step), step)
}

/// The x range and ticks for data from `lo` to `hi`. Hours span whole steps; numbers get a
/// little room at both ends (for dots and error bars), and whole-number steps when every x is
/// whole (`whole`: workers, batch sizes).
fn x_scale(axis: XAxis, lo: f64, hi: f64, whole: bool) -> (f64, f64, Vec<f64>, f64) {
    let (lo, hi) = if hi > lo { (lo, hi) } else { (lo, lo + 1.0) };
    match axis {
        XAxis::Hours => {
            // Whole steps at both ends: hourly buckets plotted at half past still start at 0.
            let step = hour_step(hi - lo, 12);
            let (lo, hi) = ((lo / step).floor() * step, (hi / step).ceil() * step);
            (lo, hi, ticks(lo, hi, step), step)
        }
        XAxis::Number => {
            let step = nice_step(hi - lo, 10);
            let step = if whole { step.max(1.0) } else { step };
            let pad = (hi - lo) * 0.03;
            let (lo, hi) = (lo - pad, hi + pad);
            (lo, hi, ticks(lo, hi, step), step)
        }
    }
}

/// A linear f64 axis whose ticks are chosen here (hours in days, nice numbers, log decades),
/// not by plotters.
#[derive(Debug, Clone)]
struct Axis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Axis {
    fn new(lo: f64, hi: f64, ticks: Vec<f64>) -> Self {
        Axis { lo, hi, ticks }
    }
}

impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let span = self.hi - self.lo;
        if span <= 0.0 {
            return (limit.0 + limit.1) / 2;
        }
        let along = ((v - self.lo) / span).clamp(-1.0, 2.0);
        limit.0 + ((limit.1 - limit.0) as f64 * along).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// The coordinates of every chart: f64 on both axes.
type Plane = Cartesian2d<Axis, Axis>;

/// The result of drawing on backend `DB`.
pub(super) type DrawResult<DB> =
    Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// The frame every chart shares: title, margins, the plane over `x` and `y`, the grid (no
/// vertical lines with `x_grid` off) and the axes with their labels and tick formatters.
#[allow(clippy::too_many_arguments)]
fn frame<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    title: &str,
    (x, y): (Axis, Axis),
    (x_label, y_label): (&str, &str),
    xf: &dyn Fn(&f64) -> String,
    yf: &dyn Fn(&f64) -> String,
    x_grid: bool,
) -> Result<ChartContext<'a, DB, Plane>, DrawingAreaErrorKind<DB::ErrorType>> {
    let mut chart = ChartBuilder::on(root)
        .caption(title, title_font())
        .margin(16)
        .margin_right(32)
        .x_label_area_size(58)
        .y_label_area_size(104)
        .build_cartesian_2d(x, y)?;
    let mut mesh = chart.configure_mesh();
    if !x_grid {
        mesh.disable_x_mesh();
    }
    mesh.x_desc(x_label)
        .y_desc(y_label)
        .x_label_formatter(xf)
        .y_label_formatter(yf)
        .label_style(label_font())
        .axis_desc_style(axis_font())
        .bold_line_style(GRID.stroke_width(1))
        .axis_style(AXIS.stroke_width(1))
        .draw()?;
    Ok(chart)
}

/// Draws the event markers: a shaded span (outages), a dashed line and a label, the labels
/// staggered over three rows so nearby events stay readable.
fn draw_markers<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Plane>,
    markers: &[Marker],
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> DrawResult<DB> {
    for (i, m) in markers.iter().enumerate() {
        if m.at < x0 || m.at > x1 {
            continue;
        }
        if let Some(until) = m.until {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(m.at, y0), (until.min(x1), y1)],
                MARKER.mix(0.10).filled(),
            )))?;
        }
        chart.draw_series(DashedLineSeries::new(
            [(m.at, y0), (m.at, y1)],
            6,
            4,
            MARKER.stroke_width(1),
        ))?;
        let row = (i % 3) as i32;
        let style = font(15.0).color(&MARKER);
        chart.draw_series(std::iter::once(
            EmptyElement::at((m.at, y1)) + Text::new(m.label.clone(), (5, 4 + 19 * row), style),
        ))?;
    }
    Ok(())
}

pub(super) fn lines<DB: DrawingBackend>(
    c: &LineChart,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult<DB> {
    // Bands of a stacked chart: cumulative sums, bottom series first.
    let n = c.series.first().map_or(0, |s| s.points.len());
    let tops: Vec<Vec<f64>> = if c.stacked {
        let mut acc = vec![0.0; n];
        c.series
            .iter()
            .map(|s| {
                for (a, p) in acc.iter_mut().zip(&s.points) {
                    *a += p.1;
                }
                acc.clone()
            })
            .collect()
    } else {
        Vec::new()
    };
    let all_x = c.series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let (xmin, xmax) = all_x.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
        (a.min(x), b.max(x))
    });
    let (xmin, xmax) = if xmin.is_finite() {
        (xmin, xmax)
    } else {
        (0.0, 1.0)
    };
    let (xmin, xmax) = c.markers.iter().fold((xmin, xmax), |(a, b), m| {
        (a.min(m.at), b.max(m.until.unwrap_or(m.at).max(m.at)))
    });
    let ys = c.series.iter().flat_map(|s| {
        s.points
            .iter()
            .map(|p| p.1)
            .chain(s.errors.iter().flat_map(|e| [e.0, e.1]))
    });
    let (ymin, ymax) = ys
        .chain(tops.last().into_iter().flatten().copied())
        .fold((0.0f64, 0.0f64), |(a, b), y| (a.min(y), b.max(y)));
    let headroom = if c.markers.is_empty() { 1.05 } else { 1.2 };
    let (x0, x1, xt, xstep) = if c.x_categories.is_empty() {
        let whole = c
            .series
            .iter()
            .flat_map(|s| &s.points)
            .all(|p| p.0.fract() == 0.0);
        x_scale(c.x_axis, xmin, xmax, whole)
    } else {
        // One slot per category, a tick at its middle.
        let n = c.x_categories.len();
        (
            -0.5,
            n as f64 - 0.5,
            (0..n).map(|i| i as f64).collect(),
            1.0,
        )
    };
    let (y0, y1, yt, ystep) = y_scale(ymin, ymax, headroom);
    let xf = |v: &f64| {
        if c.x_categories.is_empty() {
            tick_label(*v, xstep)
        } else {
            category(&c.x_categories, *v)
        }
    };
    let yf = |v: &f64| tick_label(*v, ystep);
    let mut chart = frame(
        root,
        &c.title,
        (Axis::new(x0, x1, xt), Axis::new(y0, y1, yt)),
        (&c.x_label, &c.y_label),
        &xf,
        &yf,
        true,
    )?;
    draw_markers(&mut chart, &c.markers, (x0, x1), (y0, y1))?;
    if c.stacked {
        let keep = thin(n, MAX_POINTS, |i| tops.last().map_or(0.0, |t| t[i]));
        // Top band first in the legend, as on the chart.
        for (k, s) in c.series.iter().enumerate().rev() {
            let colour = s.colour.rgb();
            let x = |i: usize| s.points[i].0;
            let upper: Vec<(f64, f64)> = keep.iter().map(|&i| (x(i), tops[k][i])).collect();
            let lower = keep
                .iter()
                .rev()
                .map(|&i| (x(i), if k == 0 { 0.0 } else { tops[k - 1][i] }));
            let band: Vec<(f64, f64)> = upper.iter().copied().chain(lower).collect();
            chart
                .draw_series(std::iter::once(Polygon::new(band, colour.filled())))?
                .label(s.name.as_str())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 7), (x + 16, y + 7)], colour.filled())
                });
        }
    } else {
        for s in &c.series {
            let colour = s.colour.rgb();
            // A NaN y breaks the line: each run of defined points is drawn alone, the first
            // (even if empty) carrying the legend entry.
            let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
            for &p in &s.points {
                if p.1.is_nan() {
                    if runs.last().is_some_and(|r| !r.is_empty()) {
                        runs.push(Vec::new());
                    }
                } else if let Some(run) = runs.last_mut() {
                    run.push(p);
                }
            }
            for (r, run) in runs.iter().enumerate() {
                let keep = thin(run.len(), MAX_POINTS, |i| run[i].1);
                let points: Vec<(f64, f64)> = keep.iter().map(|&i| run[i]).collect();
                let drawn =
                    chart.draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))?;
                if r == 0 {
                    drawn.label(s.name.as_str()).legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(3))
                    });
                }
                if s.dots {
                    chart
                        .draw_series(points.iter().map(|&p| Circle::new(p, 4, colour.filled())))?;
                }
            }
            let bars = s
                .points
                .iter()
                .zip(&s.errors)
                .filter(|((_, y), (lo, hi))| !y.is_nan() && lo.is_finite() && hi.is_finite());
            for (&(px, _), &(lo, hi)) in bars {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(px, lo), (px, hi)],
                    colour.stroke_width(2),
                )))?;
                for y in [lo, hi] {
                    chart.draw_series(std::iter::once(
                        EmptyElement::at((px, y))
                            + PathElement::new(vec![(-6, 0), (6, 0)], colour.stroke_width(2)),
                    ))?;
                }
            }
        }
    }
    if c.series.len() > 1 || c.series.iter().any(|s| !s.name.is_empty()) {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .margin(12)
            .label_font(label_font())
            .background_style(WHITE.mix(0.92))
            .border_style(GRID)
            .draw()?;
    }
    Ok(())
}

/// The vertical scale of a bar chart: linear from 0, or log10 from the decade below the
/// smallest positive value.
struct BarScale {
    y0: f64,
    y1: f64,
    ticks: Vec<f64>,
    /// Tick step of a linear scale (unused on a log scale).
    step: f64,
    log: bool,
}

impl BarScale {
    fn new(c: &BarChart, values: impl Iterator<Item = f64>) -> Self {
        if c.log_y {
            let positive: Vec<f64> = values.filter(|&v| v > 0.0).collect();
            let lo = positive.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = positive.iter().copied().fold(0.0, f64::max);
            let (lo, hi) = if lo.is_finite() {
                (lo, hi)
            } else {
                (1.0, 10.0)
            };
            let y0 = lo.log10().floor();
            let y1 = (hi.log10() + if c.value_labels { 0.25 } else { 0.1 }).max(y0 + 1.0);
            let mut ticks = Vec::new();
            for decade in (y0 as i32)..=(y1.ceil() as i32) {
                for m in [1.0f64, 2.0, 5.0] {
                    let v = m.log10() + decade as f64;
                    if v >= y0 - 1e-9 && v <= y1 {
                        ticks.push(v);
                    }
                }
            }
            BarScale {
                y0,
                y1,
                ticks,
                step: 0.0,
                log: true,
            }
        } else {
            let max = values.fold(0.0f64, f64::max);
            let (y0, y1, ticks, step) = y_scale(0.0, max, if c.value_labels { 1.12 } else { 1.05 });
            BarScale {
                y0,
                y1,
                ticks,
                step,
                log: false,
            }
        }
    }

    /// The plotted y of value `v`.
    fn y(&self, v: f64) -> f64 {
        if self.log {
            v.log10()
        } else {
            v
        }
    }
}

pub(super) fn bars<DB: DrawingBackend>(
    c: &BarChart,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult<DB> {
    let values = c
        .groups
        .iter()
        .flat_map(|g| g.values.iter().flatten().copied())
        .chain(c.reference.iter().map(|(v, _)| *v));
    let scale = BarScale::new(c, values);
    let (y0, y1, log, ystep) = (scale.y0, scale.y1, c.log_y, scale.step);
    let to_y = |v: f64| scale.y(v);
    let yt = scale.ticks.clone();
    let n = c.categories.len().max(1);
    let every = c.label_every.max(1);
    let xt: Vec<f64> = (0..c.categories.len())
        .step_by(every)
        .map(|i| i as f64)
        .collect();
    let xf = |v: &f64| category(&c.categories, *v);
    let yf = move |v: &f64| {
        if log {
            log_tick(10f64.powf(*v))
        } else {
            tick_label(*v, ystep)
        }
    };
    let mut chart = frame(
        root,
        &c.title,
        (Axis::new(-0.5, n as f64 - 0.5, xt), Axis::new(y0, y1, yt)),
        (&c.x_label, &c.y_label),
        &xf,
        &yf,
        false,
    )?;
    let groups = c.groups.len().max(1) as f64;
    let slot = 0.8 / groups;
    for (g, group) in c.groups.iter().enumerate() {
        let colour = group.colour.rgb();
        let bars = group.values.iter().enumerate().filter_map(|(i, v)| {
            let v = (*v).filter(|&v| !log || v > 0.0)?;
            let left = i as f64 - 0.4 + g as f64 * slot;
            let gap = if groups > 1.0 {
                slot * 0.08
            } else {
                slot * 0.12
            };
            Some(Rectangle::new(
                [(left + gap, y0), (left + slot - gap, to_y(v).max(y0))],
                colour.filled(),
            ))
        });
        chart
            .draw_series(bars)?
            .label(group.name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 7), (x + 16, y + 7)], colour.filled()));
        if c.value_labels {
            let style = font(13.0).pos(Pos::new(HPos::Center, VPos::Bottom));
            let labels = group.values.iter().enumerate().filter_map(|(i, v)| {
                let v = (*v).filter(|&v| !log || v > 0.0)?;
                let centre = i as f64 - 0.4 + (g as f64 + 0.5) * slot;
                Some(
                    EmptyElement::at((centre, to_y(v).max(y0)))
                        + Text::new(short_value(v), (0, -3), style.clone()),
                )
            });
            chart.draw_series(labels)?;
        }
    }
    if let Some((value, label)) = &c.reference {
        let y = to_y(*value);
        let (left, right) = (-0.5, n as f64 - 0.5);
        chart.draw_series(DashedLineSeries::new(
            [(left, y), (right, y)],
            6,
            4,
            MARKER.stroke_width(1),
        ))?;
        let style = font(15.0)
            .color(&MARKER)
            .pos(Pos::new(HPos::Right, VPos::Bottom));
        chart.draw_series(std::iter::once(
            EmptyElement::at((right, y)) + Text::new(label.clone(), (-4, -3), style),
        ))?;
    }
    if c.groups.len() > 1 || c.groups.iter().any(|g| !g.name.is_empty()) {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .margin(12)
            .label_font(label_font())
            .background_style(WHITE.mix(0.92))
            .border_style(GRID)
            .draw()?;
    }
    Ok(())
}

pub(super) fn fan<DB: DrawingBackend>(
    c: &FanChart,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult<DB> {
    let xmin = c.times_h.first().copied().unwrap_or(0.0);
    let xmax = c.times_h.last().copied().unwrap_or(1.0);
    let ymin = c.p10.iter().chain(&c.p50).copied().fold(0.0, f64::min);
    let ymax = c.p90.iter().chain(&c.p50).copied().fold(0.0, f64::max);
    let headroom = if c.markers.is_empty() { 1.05 } else { 1.2 };
    let (x0, x1, xt, xstep) = x_scale(XAxis::Hours, xmin, xmax, false);
    let (y0, y1, yt, ystep) = y_scale(ymin, ymax, headroom);
    let xf = |v: &f64| tick_label(*v, xstep);
    let yf = |v: &f64| tick_label(*v, ystep);
    let mut chart = frame(
        root,
        &c.title,
        (Axis::new(x0, x1, xt), Axis::new(y0, y1, yt)),
        (&c.x_label, &c.y_label),
        &xf,
        &yf,
        true,
    )?;
    draw_markers(&mut chart, &c.markers, (x0, x1), (y0, y1))?;
    let colour = c.colour.rgb();
    let keep = thin(c.times_h.len(), MAX_POINTS, |i| c.p90[i]);
    let band: Vec<(f64, f64)> = keep
        .iter()
        .map(|&i| (c.times_h[i], c.p90[i]))
        .chain(keep.iter().rev().map(|&i| (c.times_h[i], c.p10[i])))
        .collect();
    chart
        .draw_series(std::iter::once(Polygon::new(
            band,
            colour.mix(0.25).filled(),
        )))?
        .label("p10 to p90")
        .legend(move |(x, y)| {
            Rectangle::new([(x, y - 7), (x + 16, y + 7)], colour.mix(0.25).filled())
        });
    let keep = thin(c.times_h.len(), MAX_POINTS, |i| c.p50[i]);
    chart
        .draw_series(LineSeries::new(
            keep.iter().map(|&i| (c.times_h[i], c.p50[i])),
            colour.stroke_width(2),
        ))?
        .label("median")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(3)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .margin(12)
        .label_font(label_font())
        .background_style(WHITE.mix(0.92))
        .border_style(GRID)
        .draw()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hour_ticks_fall_on_whole_hours_and_days() {
        assert_eq!(hour_step(120.0, 12), 12.0);
        assert_eq!(hour_step(30.0, 12), 3.0);
        assert_eq!(hour_step(24.0 * 30.0, 12), 72.0);
        let (lo, hi, t, _) = x_scale(XAxis::Hours, 0.5, 119.5, false);
        assert_eq!((lo, hi), (0.0, 120.0));
        assert_eq!(t.first(), Some(&0.0));
        assert_eq!(t.last(), Some(&120.0));
    }

    #[test]
    fn whole_numbers_get_whole_ticks_and_room_at_the_ends() {
        let (lo, hi, t, step) = x_scale(XAxis::Number, 1.0, 3.0, true);
        assert_eq!(step, 1.0);
        assert_eq!(t, [1.0, 2.0, 3.0]);
        assert!(lo < 1.0 && hi > 3.0);
        assert_eq!(x_scale(XAxis::Number, 1.0, 3.0, false).3, 0.2);
    }

    #[test]
    fn linear_ticks_are_nice_numbers() {
        assert_eq!(nice_step(310_000.0, 8), 50_000.0);
        assert_eq!(nice_step(7.0, 10), 1.0);
        assert_eq!(nice_step(0.9, 10), 0.1);
        let (lo, hi, t, step) = y_scale(0.0, 257_835.0, 1.2);
        assert_eq!((lo, hi, step), (0.0, 350_000.0, 50_000.0));
        assert_eq!(t.len(), 8);
        // No data still gives an axis.
        let (lo, hi, _, _) = y_scale(0.0, 0.0, 1.05);
        assert!(hi > lo);
    }

    #[test]
    fn tick_labels_group_thousands_and_keep_needed_decimals() {
        assert_eq!(tick_label(250_000.0, 50_000.0), "250,000");
        assert_eq!(tick_label(0.5, 0.1), "0.5");
        assert_eq!(tick_label(1.25, 0.25), "1.25");
        assert_eq!(tick_label(7.5, 2.5), "7.5");
        assert_eq!(number(-1234.5, 1), "-1,234.5");
        assert_eq!(number(-0.0001, 2), "0.00");
        assert_eq!(log_tick(500.0), "500");
        assert_eq!(log_tick(0.5), "0.5");
        assert_eq!(log_tick(2000.0), "2,000");
        assert_eq!(short_value(2.764), "2.76");
        assert_eq!(short_value(22.94), "22.9");
        assert_eq!(short_value(371.59), "372");
    }

    #[test]
    fn thinning_keeps_the_peaks_and_both_ends() {
        let data: Vec<f64> = (0..100_000)
            .map(|i| if i == 54_321 { 1e6 } else { (i % 7) as f64 })
            .collect();
        let keep = thin(data.len(), 2_400, |i| data[i]);
        assert!(keep.len() <= 2_401, "{}", keep.len());
        assert!(keep.contains(&54_321));
        assert_eq!(keep[0], 0);
        assert_eq!(*keep.last().unwrap(), 99_999);
        assert!(keep.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(thin(10, 2_400, |i| i as f64), (0..10).collect::<Vec<_>>());
    }
}
