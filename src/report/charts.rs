//! A small charting API over `plotters`: describe a chart as plain data ([`LineChart`],
//! [`BarChart`], [`FanChart`], wrapped in [`Chart`]), then render it to SVG text or PNG bytes.
//!
//! Nothing here knows about syncsim's domain: the figures of a run are built from a
//! [`crate::metrics::RunResult`] in `report::figures`, and a planner can build a
//! [`metric_vs_parameter`] curve or a Monte Carlo [`FanChart`] the same way. Rendering writes
//! no file: the caller writes the returned bytes through [`super::output::OutputDir`], so every
//! chart file is written atomically like the CSV files.
//!
//! Text: PNG text is rasterized from DejaVu Sans, embedded in the binary (`assets/fonts/`), so
//! charts are labelled on a machine without any system font. SVG text names the generic
//! `sans-serif` family and is drawn by the viewer; the embedded font only measures it.
//!
//! Rendering is deterministic: the same description gives the same bytes.

mod draw;
mod raster;

use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

/// DejaVu Sans 2.37 (licence: `assets/fonts/LICENSE-DejaVu.txt`).
static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// The font family every chart text uses: the bundled font is registered under this name.
pub const FONT_FAMILY: &str = "sans-serif";

/// Registers the bundled font with plotters, once per process.
fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let ok = plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, DEJAVU_SANS);
        assert!(ok.is_ok(), "the bundled DejaVu Sans font must parse");
    });
}

/// An opaque sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Colour(pub u8, pub u8, pub u8);

impl Colour {
    /// The CSS form, `#rrggbb`.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    pub(crate) fn rgb(self) -> RGBColor {
        RGBColor(self.0, self.1, self.2)
    }
}

/// Object colours (Tableau 10: distinct, and readable on white and in print). Object `i` has
/// colour `PALETTE[i % 10]` in every chart and in the HTML dashboard.
pub const PALETTE: [Colour; 10] = [
    Colour(0x4e, 0x79, 0xa7),
    Colour(0xf2, 0x8e, 0x2b),
    Colour(0xe1, 0x57, 0x59),
    Colour(0x76, 0xb7, 0xb2),
    Colour(0x59, 0xa1, 0x4f),
    Colour(0xed, 0xc9, 0x48),
    Colour(0xb0, 0x7a, 0xa1),
    Colour(0xff, 0x9d, 0xa7),
    Colour(0x9c, 0x75, 0x5f),
    Colour(0xba, 0xb0, 0xac),
];

/// The colour of totals and single-series charts (not an object's colour).
pub const NEUTRAL: Colour = Colour(0x3d, 0x55, 0x6e);

/// The colour of object `index`, the same in every chart.
pub fn object_colour(index: usize) -> Colour {
    PALETTE[index % PALETTE.len()]
}

/// Default size of a chart, in pixels (PNG) or user units (SVG).
pub const DEFAULT_SIZE: (u32, u32) = (1200, 600);

/// The file format to render to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartFormat {
    /// A PNG image, text rasterized from the bundled font.
    Png,
    /// An SVG document with `<title>` and `role="img"`.
    Svg,
}

impl ChartFormat {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ChartFormat::Png => "png",
            ChartFormat::Svg => "svg",
        }
    }
}

/// What the horizontal axis of a [`LineChart`] or [`FanChart`] holds: the unit picks the ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XAxis {
    /// Plain numbers: ticks at 1, 2 or 5 times a power of ten.
    Number,
    /// Hours: ticks at 1, 2, 3, 6, 12 hours or whole days.
    Hours,
}

/// One named line (or, in a stacked chart, one band) in one colour.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// Line and fill colour.
    pub colour: Colour,
    /// (x, y) points, x ascending. A point whose y is NaN is not drawn and breaks the line
    /// (a gap where the value is undefined, e.g. an event that never cleared).
    pub points: Vec<(f64, f64)>,
    /// Error bars: empty, or one (low, high) per point (e.g. a 95% confidence interval).
    pub errors: Vec<(f64, f64)>,
    /// Draw a dot at each point.
    pub dots: bool,
}

impl Series {
    /// A plain line.
    pub fn new(name: impl Into<String>, colour: Colour, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            colour,
            points,
            errors: Vec::new(),
            dots: false,
        }
    }
}

/// A labelled vertical line at `at` (an event), shading up to `until` when given (an outage).
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Where the line is, in x units.
    pub at: f64,
    /// End of the shaded span, if the marker covers a span.
    pub until: Option<f64>,
    /// Label written beside the line.
    pub label: String,
}

/// Lines (or stacked bands) over a numeric x axis, with optional event markers.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// Title above the plot.
    pub title: String,
    /// Alternative text: one or two sentences saying what the chart shows (SVG `<title>`).
    pub alt: String,
    /// Horizontal axis label, with its unit.
    pub x_label: String,
    /// Vertical axis label, with its unit.
    pub y_label: String,
    /// Unit of the horizontal axis.
    pub x_axis: XAxis,
    /// Names of the horizontal axis's categories, when it has categories rather than numbers:
    /// x values are then indices into this list, and the ticks are the names. Empty: numbers.
    pub x_categories: Vec<String>,
    /// The lines, drawn in order (stacked: the first at the bottom).
    pub series: Vec<Series>,
    /// Stack the series as filled bands (their y values add up).
    pub stacked: bool,
    /// Event markers.
    pub markers: Vec<Marker>,
}

/// One group's values in a [`BarChart`]: one bar per category, in one colour.
#[derive(Debug, Clone, PartialEq)]
pub struct BarGroup {
    /// Legend text.
    pub name: String,
    /// Bar colour.
    pub colour: Colour,
    /// One value per category; `None` draws no bar.
    pub values: Vec<Option<f64>>,
}

/// Bars over categories; several groups give grouped bars, side by side in each category.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// Title above the plot.
    pub title: String,
    /// Alternative text (SVG `<title>`).
    pub alt: String,
    /// Horizontal axis label.
    pub x_label: String,
    /// Vertical axis label, with its unit.
    pub y_label: String,
    /// Category names, left to right.
    pub categories: Vec<String>,
    /// Label every n-th category only (1 labels all).
    pub label_every: usize,
    /// The groups, drawn left to right within each category.
    pub groups: Vec<BarGroup>,
    /// Logarithmic vertical axis (values <= 0 are not drawn).
    pub log_y: bool,
    /// Write each bar's value above it.
    pub value_labels: bool,
    /// A labelled horizontal dashed line at a value, e.g. a peak that fell between the bars;
    /// the vertical axis reaches it.
    pub reference: Option<(f64, String)>,
}

/// A band and a median over time: the spread of many replications (Monte Carlo), p10 to p90.
#[derive(Debug, Clone, PartialEq)]
pub struct FanChart {
    /// Title above the plot.
    pub title: String,
    /// Alternative text (SVG `<title>`).
    pub alt: String,
    /// Horizontal axis label.
    pub x_label: String,
    /// Vertical axis label, with its unit.
    pub y_label: String,
    /// Sample times, hours, ascending.
    pub times_h: Vec<f64>,
    /// 10th percentile at each time.
    pub p10: Vec<f64>,
    /// Median at each time.
    pub p50: Vec<f64>,
    /// 90th percentile at each time.
    pub p90: Vec<f64>,
    /// Band and median colour.
    pub colour: Colour,
    /// Event markers.
    pub markers: Vec<Marker>,
}

impl FanChart {
    /// A fan chart over time in hours, in the neutral colour, without markers.
    pub fn new(
        title: impl Into<String>,
        y_label: impl Into<String>,
        times_h: Vec<f64>,
        p10: Vec<f64>,
        p50: Vec<f64>,
        p90: Vec<f64>,
    ) -> Self {
        let title = title.into();
        FanChart {
            alt: format!("{title}: median and 10th to 90th percentile band over time."),
            title,
            x_label: "time since start (hours)".into(),
            y_label: y_label.into(),
            times_h,
            p10,
            p50,
            p90,
            colour: NEUTRAL,
            markers: Vec::new(),
        }
    }
}

/// Any chart this module draws.
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    /// Lines or stacked bands.
    Line(LineChart),
    /// Bars or grouped bars.
    Bars(BarChart),
    /// A percentile band with its median.
    Fan(FanChart),
}

/// One point of a metric-versus-parameter curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParameterPoint {
    /// The parameter's value (e.g. workers, throughput, batch size).
    pub parameter: f64,
    /// The metric there; `None` (e.g. "did not clear within the horizon") leaves a gap.
    pub metric: Option<f64>,
    /// Confidence interval of the metric (low, high), drawn as an error bar.
    pub ci: Option<(f64, f64)>,
}

/// One named curve of a metric-versus-parameter chart (e.g. the value of a second swept key).
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterSeries {
    /// Legend text.
    pub name: String,
    /// The curve's points, parameter ascending.
    pub points: Vec<ParameterPoint>,
}

/// The horizontal axis of a metric-versus-parameter chart.
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterAxis {
    /// Label, with its unit.
    pub label: String,
    /// Plain numbers or hours (ignored when there are categories).
    pub unit: XAxis,
    /// Category names, when the parameter is not a number (e.g. policy names): a point's
    /// `parameter` is then its index in this list. Empty: the parameter is a number.
    pub categories: Vec<String>,
}

impl ParameterAxis {
    /// A numeric axis of plain numbers.
    pub fn number(label: impl Into<String>) -> Self {
        ParameterAxis {
            label: label.into(),
            unit: XAxis::Number,
            categories: Vec::new(),
        }
    }
}

/// A metric against a parameter (a planner's sweep): a line with dots and, where given, error
/// bars. Points without a metric leave a gap in the line.
pub fn metric_vs_parameter(
    title: &str,
    parameter_label: &str,
    metric_label: &str,
    points: &[ParameterPoint],
) -> Chart {
    metric_vs_parameters(
        title,
        &ParameterAxis::number(parameter_label),
        metric_label,
        &[ParameterSeries {
            name: metric_label.to_string(),
            points: points.to_vec(),
        }],
    )
}

/// A metric against a parameter with one curve per series (e.g. one per value of a second
/// swept key). One series is drawn in the neutral colour; several take the palette colours in
/// order, series `k` in `PALETTE[k % 10]`, as objects do. Points without a metric leave a gap
/// in their line; the alternative text says how many.
pub fn metric_vs_parameters(
    title: &str,
    axis: &ParameterAxis,
    metric_label: &str,
    series: &[ParameterSeries],
) -> Chart {
    let total: usize = series.iter().map(|s| s.points.len()).sum();
    let gaps = series
        .iter()
        .flat_map(|s| &s.points)
        .filter(|p| p.metric.is_none())
        .count();
    let with_ci = series
        .iter()
        .flat_map(|s| &s.points)
        .any(|p| p.metric.is_some() && p.ci.is_some());
    let lines = series
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let colour = if series.len() == 1 {
                NEUTRAL
            } else {
                object_colour(k)
            };
            let y = |p: &ParameterPoint| p.metric.unwrap_or(f64::NAN);
            Series {
                name: s.name.clone(),
                colour,
                points: s.points.iter().map(|p| (p.parameter, y(p))).collect(),
                errors: if with_ci {
                    s.points
                        .iter()
                        .map(|p| p.ci.filter(|_| p.metric.is_some()).unwrap_or((y(p), y(p))))
                        .collect()
                } else {
                    Vec::new()
                },
                dots: true,
            }
        })
        .collect();
    let curves = if series.len() > 1 {
        format!(" in {} series", series.len())
    } else {
        String::new()
    };
    let missing = match gaps {
        0 => String::new(),
        1 => " 1 point has no value and leaves a gap.".to_string(),
        n => format!(" {n} points have no value and leave gaps."),
    };
    Chart::Line(LineChart {
        title: title.to_string(),
        alt: format!(
            "{title}: {metric_label} against {}, {total} points{curves}{}.{missing}",
            axis.label,
            if with_ci {
                " with confidence intervals"
            } else {
                ""
            }
        ),
        x_label: axis.label.clone(),
        y_label: metric_label.to_string(),
        x_axis: axis.unit,
        x_categories: axis.categories.clone(),
        series: lines,
        stacked: false,
        markers: Vec::new(),
    })
}

/// Why a chart could not be drawn (bad data, or a backend failure).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("chart '{title}': {message}")]
pub struct ChartError {
    /// The chart's title.
    pub title: String,
    /// What went wrong.
    pub message: String,
}

impl Chart {
    /// The chart's title.
    pub fn title(&self) -> &str {
        match self {
            Chart::Line(c) => &c.title,
            Chart::Bars(c) => &c.title,
            Chart::Fan(c) => &c.title,
        }
    }

    /// The chart's alternative text.
    pub fn alt(&self) -> &str {
        match self {
            Chart::Line(c) => &c.alt,
            Chart::Bars(c) => &c.alt,
            Chart::Fan(c) => &c.alt,
        }
    }

    fn error(&self, message: impl ToString) -> ChartError {
        ChartError {
            title: self.title().to_string(),
            message: message.to_string(),
        }
    }

    fn check(&self) -> Result<(), ChartError> {
        match self {
            Chart::Line(c) => {
                for s in &c.series {
                    if !s.errors.is_empty() && s.errors.len() != s.points.len() {
                        return Err(self.error(format!(
                            "series '{}' has {} points but {} error bars",
                            s.name,
                            s.points.len(),
                            s.errors.len()
                        )));
                    }
                }
                if c.stacked {
                    let n = c.series.first().map_or(0, |s| s.points.len());
                    if c.series.iter().any(|s| s.points.len() != n) {
                        return Err(self.error("stacked series must share their x values"));
                    }
                }
            }
            Chart::Bars(c) => {
                if let Some(g) = c
                    .groups
                    .iter()
                    .find(|g| g.values.len() != c.categories.len())
                {
                    return Err(self.error(format!(
                        "group '{}' has {} values for {} categories",
                        g.name,
                        g.values.len(),
                        c.categories.len()
                    )));
                }
            }
            Chart::Fan(c) => {
                let n = c.times_h.len();
                if c.p10.len() != n || c.p50.len() != n || c.p90.len() != n {
                    return Err(self.error(format!(
                        "{} times but {} p10, {} p50 and {} p90 values",
                        n,
                        c.p10.len(),
                        c.p50.len(),
                        c.p90.len()
                    )));
                }
            }
        }
        Ok(())
    }

    /// Renders to `format` at `size` (width, height).
    pub fn render(&self, format: ChartFormat, size: (u32, u32)) -> Result<Vec<u8>, ChartError> {
        match format {
            ChartFormat::Png => self.render_png(size),
            ChartFormat::Svg => self.render_svg(size).map(String::into_bytes),
        }
    }

    /// Renders an SVG document. It opens with `role="img"`, an `aria-label` and a `<title>`
    /// holding the alternative text.
    pub fn render_svg(&self, size: (u32, u32)) -> Result<String, ChartError> {
        self.check()?;
        register_fonts();
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
            self.draw(&root).map_err(|e| self.error(e))?;
            root.present().map_err(|e| self.error(e))?;
        }
        Ok(add_svg_title(&svg, self.title(), self.alt()))
    }

    /// Renders a PNG image (8-bit RGB).
    pub fn render_png(&self, size: (u32, u32)) -> Result<Vec<u8>, ChartError> {
        self.check()?;
        register_fonts();
        let (w, h) = size;
        let mut pixels = vec![0u8; w as usize * h as usize * 3];
        {
            let root = raster::Raster::new(&mut pixels, size, DEJAVU_SANS).into_drawing_area();
            self.draw(&root).map_err(|e| self.error(e))?;
            root.present().map_err(|e| self.error(e))?;
        }
        encode_png(&pixels, w, h).map_err(|e| self.error(e))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> draw::DrawResult<DB> {
        root.fill(&WHITE)?;
        match self {
            Chart::Line(c) => draw::lines(c, root),
            Chart::Bars(c) => draw::bars(c, root),
            Chart::Fan(c) => draw::fan(c, root),
        }
    }
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::with_capacity(rgb.len() / 16);
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Default);
    encoder.set_adaptive_filter(png::AdaptiveFilterType::NonAdaptive);
    encoder.set_filter(png::FilterType::Sub);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(out)
}

/// Escapes text for XML and HTML (element content and quoted attributes).
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Adds `role="img"`, `aria-label` and a `<title>` to the SVG root element.
fn add_svg_title(svg: &str, title: &str, alt: &str) -> String {
    let text = if alt.is_empty() { title } else { alt };
    let text = escape_xml(text);
    match svg
        .find("<svg")
        .and_then(|s| svg[s..].find('>').map(|e| s + e))
    {
        Some(end) => format!(
            "{} role=\"img\" aria-label=\"{text}\"><title>{text}</title>{}",
            &svg[..end],
            &svg[end + 1..]
        ),
        None => svg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes a PNG into (width, height, RGB bytes).
    fn decode(png: &[u8]) -> (u32, u32, Vec<u8>) {
        let decoder = png::Decoder::new(png);
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    fn two_lines(title: &str) -> Chart {
        Chart::Line(LineChart {
            title: title.into(),
            alt: String::new(),
            x_label: "time since start (hours)".into(),
            y_label: "records".into(),
            x_axis: XAxis::Hours,
            x_categories: Vec::new(),
            series: vec![
                Series::new(
                    "Lead",
                    object_colour(0),
                    (0..50).map(|i| (i as f64, (i * i) as f64)).collect(),
                ),
                Series::new(
                    "Contact",
                    object_colour(1),
                    (0..50).map(|i| (i as f64, 100.0 * i as f64)).collect(),
                ),
            ],
            stacked: true,
            markers: vec![Marker {
                at: 10.0,
                until: Some(14.0),
                label: "outage".into(),
            }],
        })
    }

    #[test]
    fn png_has_the_size_asked_and_is_not_blank() {
        let (w, h, rgb) = decode(&two_lines("Backlog").render_png((640, 360)).unwrap());
        assert_eq!((w, h), (640, 360));
        let colours: std::collections::HashSet<&[u8]> = rgb.chunks(3).collect();
        assert!(colours.len() > 50, "only {} colours", colours.len());
        let inked = rgb.chunks(3).filter(|p| p != &[255, 255, 255]).count();
        assert!(inked > 640 * 360 / 10, "only {inked} non-white pixels");
        // The object colours are there as drawn.
        for c in [object_colour(0), object_colour(1)] {
            assert!(rgb.chunks(3).any(|p| p == [c.0, c.1, c.2]), "{c:?} missing");
        }
    }

    #[test]
    fn png_text_is_rasterized_from_the_bundled_font() {
        // The title band holds ink only when there is a title: text is drawn without any
        // system font.
        let ink_in_title_band = |chart: &Chart| {
            let (w, _, rgb) = decode(&chart.render_png((640, 360)).unwrap());
            rgb[..(w as usize * 36 * 3)]
                .chunks(3)
                .filter(|p| p[0] < 128)
                .count()
        };
        assert!(ink_in_title_band(&two_lines("Backlog by object")) > 100);
        assert_eq!(ink_in_title_band(&two_lines("")), 0);
    }

    #[test]
    fn svg_is_xml_with_a_title_and_escaped_text() {
        let mut chart = two_lines("Q4 <Leads> & \"Contacts\"");
        if let Chart::Line(c) = &mut chart {
            c.series[0].name = "Lead & <Co>".into();
        }
        let svg = chart.render_svg((640, 360)).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(root.attribute("role"), Some("img"));
        let title = root.first_element_child().unwrap();
        assert_eq!(title.tag_name().name(), "title");
        assert_eq!(title.text(), Some("Q4 <Leads> & \"Contacts\""));
        let texts: Vec<String> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text().map(|t| t.trim().to_string()))
            .collect();
        for expected in [
            "Q4 <Leads> & \"Contacts\"",
            "Lead & <Co>",
            "Contact",
            "outage",
        ] {
            assert!(
                texts.iter().any(|t| t == expected),
                "{expected:?} in {texts:?}"
            );
        }
    }

    #[test]
    fn a_fan_chart_renders_plain_data_and_checks_lengths() {
        let t: Vec<f64> = (0..=48).map(|h| h as f64).collect();
        let p50: Vec<f64> = t.iter().map(|h| 1000.0 * (h / 8.0).sin().abs()).collect();
        let p10 = p50.iter().map(|v| v * 0.7).collect();
        let p90 = p50.iter().map(|v| v * 1.4).collect();
        let fan = Chart::Fan(FanChart::new(
            "Backlog, 100 runs",
            "records",
            t,
            p10,
            p50,
            p90,
        ));
        let (w, h, rgb) = decode(&fan.render_png((800, 400)).unwrap());
        assert_eq!((w, h), (800, 400));
        assert!(rgb
            .chunks(3)
            .any(|p| p == [NEUTRAL.0, NEUTRAL.1, NEUTRAL.2]));
        let svg = fan.render_svg((800, 400)).unwrap();
        assert!(svg.contains("median") && svg.contains("p10 to p90"));
        let bad = Chart::Fan(FanChart::new(
            "bad",
            "x",
            vec![0.0, 1.0],
            vec![1.0],
            vec![1.0, 2.0],
            vec![2.0, 3.0],
        ));
        let err = bad.render_png((100, 100)).unwrap_err();
        assert!(err.to_string().contains("2 times but 1 p10"), "{err}");
    }

    #[test]
    fn metric_vs_parameter_leaves_gaps_for_missing_points_and_draws_error_bars() {
        let points = [
            ParameterPoint {
                parameter: 1.0,
                metric: None,
                ci: None,
            },
            ParameterPoint {
                parameter: 2.0,
                metric: Some(30.0),
                ci: Some((25.0, 36.0)),
            },
            ParameterPoint {
                parameter: 4.0,
                metric: Some(14.0),
                ci: Some((12.0, 17.0)),
            },
            ParameterPoint {
                parameter: 8.0,
                metric: Some(7.5),
                ci: None,
            },
        ];
        let chart = metric_vs_parameter(
            "Clear time vs workers",
            "workers",
            "clear time (h)",
            &points,
        );
        let Chart::Line(line) = &chart else {
            panic!("a line chart")
        };
        let s = &line.series[0];
        assert!(s.points[0].1.is_nan() && s.errors[0].0.is_nan());
        assert_eq!(s.points[1..], [(2.0, 30.0), (4.0, 14.0), (8.0, 7.5)]);
        assert_eq!(s.errors[1..], [(25.0, 36.0), (12.0, 17.0), (7.5, 7.5)]);
        assert!(line.alt.contains("1 point has no value"), "{}", line.alt);
        let svg = chart.render_svg((640, 400)).unwrap();
        roxmltree::Document::parse(&svg).unwrap();
        assert!(svg.contains("clear time (h)") && svg.contains("workers"));
        let without = metric_vs_parameter("x", "workers", "y", &points[3..]);
        let Chart::Line(line) = &without else {
            panic!("a line chart")
        };
        assert!(line.series[0].errors.is_empty());
    }

    #[test]
    fn a_gap_breaks_the_line() {
        // Two points either side of a gap: no stroke joins them across it.
        let point = |parameter, metric| ParameterPoint {
            parameter,
            metric,
            ci: None,
        };
        let with_gap = [
            point(0.0, Some(5.0)),
            point(1.0, None),
            point(2.0, Some(5.0)),
        ];
        let joined = [point(0.0, Some(5.0)), point(2.0, Some(5.0))];
        let middle_ink = |points: &[ParameterPoint]| {
            let png = metric_vs_parameter("", "x", "y", points)
                .render_png((400, 300))
                .unwrap();
            let (w, h, rgb) = decode(&png);
            // Columns around the middle of the plot (x = 1), left of the legend.
            let (w, h) = (w as usize, h as usize);
            (w * 55 / 100..w * 66 / 100)
                .flat_map(|x| (0..h).map(move |y| (y * w + x) * 3))
                .filter(|&i| rgb[i..i + 3] == [NEUTRAL.0, NEUTRAL.1, NEUTRAL.2])
                .count()
        };
        assert!(middle_ink(&joined) > 0);
        assert_eq!(middle_ink(&with_gap), 0);
    }

    #[test]
    fn several_series_take_palette_colours_and_categories_label_the_axis() {
        let series: Vec<ParameterSeries> = ["fifo", "priority"]
            .iter()
            .enumerate()
            .map(|(k, name)| ParameterSeries {
                name: format!("sync.policy={name}"),
                points: (0..3)
                    .map(|i| ParameterPoint {
                        parameter: i as f64,
                        metric: Some((i + k) as f64),
                        ci: None,
                    })
                    .collect(),
            })
            .collect();
        let axis = ParameterAxis {
            label: "region".into(),
            unit: XAxis::Number,
            categories: vec!["eu".into(), "us".into(), "apac".into()],
        };
        let chart = metric_vs_parameters("t", &axis, "backlog.max mean", &series);
        let Chart::Line(line) = &chart else {
            panic!("a line chart")
        };
        let colours: Vec<Colour> = line.series.iter().map(|s| s.colour).collect();
        assert_eq!(colours, [object_colour(0), object_colour(1)]);
        let svg = chart.render_svg((640, 400)).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let texts: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text().map(str::trim))
            .collect();
        for expected in [
            "eu",
            "us",
            "apac",
            "sync.policy=fifo",
            "sync.policy=priority",
        ] {
            assert!(texts.contains(&expected), "{expected:?} in {texts:?}");
        }
    }

    #[test]
    fn bars_need_one_value_per_category() {
        let chart = Chart::Bars(BarChart {
            title: "t".into(),
            alt: String::new(),
            x_label: String::new(),
            y_label: String::new(),
            categories: vec!["a".into(), "b".into()],
            label_every: 1,
            groups: vec![BarGroup {
                name: "g".into(),
                colour: NEUTRAL,
                values: vec![Some(1.0)],
            }],
            log_y: false,
            value_labels: false,
            reference: None,
        });
        let err = chart.render_svg((200, 100)).unwrap_err();
        assert!(
            err.to_string()
                .contains("group 'g' has 1 values for 2 categories"),
            "{err}"
        );
    }

    #[test]
    fn rendering_is_deterministic() {
        let chart = two_lines("same");
        assert_eq!(
            chart.render_png((320, 200)).unwrap(),
            chart.render_png((320, 200)).unwrap()
        );
        assert_eq!(
            chart.render_svg((320, 200)).unwrap(),
            chart.render_svg((320, 200)).unwrap()
        );
    }

    #[test]
    fn each_object_keeps_one_distinct_colour() {
        let distinct: std::collections::HashSet<Colour> = PALETTE.iter().copied().collect();
        assert_eq!(distinct.len(), PALETTE.len());
        assert!(!distinct.contains(&NEUTRAL));
        assert_eq!(object_colour(3), object_colour(3));
        assert_eq!(object_colour(12), object_colour(2));
        assert_eq!(object_colour(0).hex(), "#4e79a7");
    }
}
