//! Reliability diagram rendered to PNG with plotters (bitmap backend, text via
//! [`super::text::TextBackend`]) and encoded with the `png` crate.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use anyhow::{Context, Result, ensure};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::draw::{
    AXIS, Coverage, DIAGONAL, GRID, HIST, INK, LABEL, Rect, SUBTLE, TICK_TEXT, aa_dashed, draw_bar,
    draw_dot, draw_marker, fill_rect, font, marks, stroke_rect, text_style,
};
use super::text::{TextBackend, measure_text, truncate_to_width};

/// One bin of a reliability diagram.
#[derive(Debug, Clone, PartialEq)]
pub struct ReliabilityBin {
    pub bin_lo: f64,
    pub bin_hi: f64,
    /// Number of forecasts in the bin (bins with n = 0 are not drawn).
    pub n: usize,
    pub mean_forecast: f64,
    pub observed: f64,
    /// 95% Jeffreys interval for the observed frequency.
    pub ci_lo: f64,
    pub ci_hi: f64,
}

/// Everything drawn in the chart.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReliabilityChart {
    pub title: String,
    pub subtitle: String,
    pub bins: Vec<ReliabilityBin>,
    /// Counts of forecasts per equal-width bin over [0, 1]; len = number of bins.
    pub histogram: Vec<usize>,
}

/// The CORP reliability curve of Dimitriadis, Gneiting & Jordan (2021) to
/// draw over a [`ReliabilityChart`], with its consistency band and the CORP
/// decomposition of the Brier score.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CorpOverlay {
    /// PAV blocks in increasing order: (p_lo, p_hi, recalibrated value). The
    /// curve is drawn flat across each block and joined straight between
    /// blocks, as in the `reliabilitydiag` R package.
    pub steps: Vec<(f64, f64, f64)>,
    /// 90% consistency band around the diagonal: (x, lo, hi).
    pub band: Vec<(f64, f64, f64)>,
    /// Miscalibration, discrimination and uncertainty (MCB - DSC + UNC = Brier).
    pub mcb: f64,
    pub dsc: f64,
    pub unc: f64,
}

/// Default output size in pixels.
pub const DEFAULT_SIZE: (u32, u32) = (900, 900);
const MIN_SIDE: u32 = 300;
const MAX_SIDE: u32 = 8192;

/// Render `chart` at the default size and write it to `path` as an RGB PNG.
pub fn render_reliability_png(chart: &ReliabilityChart, path: &Path) -> Result<()> {
    let (w, h) = DEFAULT_SIZE;
    let rgb = render_reliability_rgb(chart, w, h)?;
    write_png(path, &rgb, w, h)
}

/// Render `chart` into a `width * height * 3` RGB buffer (row-major, no padding).
pub fn render_reliability_rgb(
    chart: &ReliabilityChart,
    width: u32,
    height: u32,
) -> Result<Vec<u8>> {
    render_rgb(chart, None, width, height)
}

/// Render `chart` with the CORP curve, its consistency band and the MCB / DSC
/// / UNC decomposition at the default size, and write it to `path`.
pub fn render_reliability_corp_png(
    chart: &ReliabilityChart,
    corp: &CorpOverlay,
    path: &Path,
) -> Result<()> {
    let (w, h) = DEFAULT_SIZE;
    let rgb = render_reliability_corp_rgb(chart, corp, w, h)?;
    write_png(path, &rgb, w, h)
}

/// Like [`render_reliability_rgb`], with the CORP overlay.
pub fn render_reliability_corp_rgb(
    chart: &ReliabilityChart,
    corp: &CorpOverlay,
    width: u32,
    height: u32,
) -> Result<Vec<u8>> {
    render_rgb(chart, Some(corp), width, height)
}

fn render_rgb(
    chart: &ReliabilityChart,
    corp: Option<&CorpOverlay>,
    width: u32,
    height: u32,
) -> Result<Vec<u8>> {
    ensure!(
        (MIN_SIDE..=MAX_SIDE).contains(&width) && (MIN_SIDE..=MAX_SIDE).contains(&height),
        "chart size {width}x{height} out of range ({MIN_SIDE}..={MAX_SIDE} px per side)"
    );
    let mut buf = vec![255u8; width as usize * height as usize * 3];
    {
        let bitmap = BitMapBackend::with_buffer(&mut buf, (width, height));
        let root = TextBackend::new(bitmap).into_drawing_area();
        root.fill(&WHITE)?;
        draw_reliability_corp(&root, chart, corp)?;
        root.present()?;
    }
    Ok(buf)
}

/// Encode an RGB buffer as an 8-bit RGB PNG file.
pub fn write_png(path: &Path, rgb: &[u8], width: u32, height: u32) -> Result<()> {
    ensure!(
        rgb.len() == width as usize * height as usize * 3,
        "RGB buffer has {} bytes, expected {}",
        rgb.len(),
        width as usize * height as usize * 3
    );
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut enc = ::png::Encoder::new(BufWriter::new(file), width, height);
    enc.set_color(::png::ColorType::Rgb);
    enc.set_depth(::png::BitDepth::Eight);
    let mut writer = enc
        .write_header()
        .with_context(|| format!("writing PNG header to {}", path.display()))?;
    writer
        .write_image_data(rgb)
        .with_context(|| format!("writing PNG data to {}", path.display()))?;
    writer
        .finish()
        .with_context(|| format!("finishing {}", path.display()))?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Drawing

/// Axis range: a little padding so points at 0 or 1 are not cut by the frame.
const LO: f64 = -0.025;
const HI: f64 = 1.025;

/// A bin after validation, in data coordinates.
#[derive(Debug, Clone, Copy)]
struct Point {
    x: f64,
    y: f64,
    ci: Option<(f64, f64)>,
    n: usize,
}

/// Colours of the CORP overlay.
const CORP_LINE: RGBColor = RGBColor(200, 60, 40);
const BAND: RGBColor = RGBColor(120, 130, 145);
const BAND_ALPHA: f64 = 0.2;
/// Most band points drawn (the band is thinned evenly beyond this).
const MAX_BAND_POINTS: usize = 2000;

/// The CORP overlay after validation, in data coordinates.
struct CleanCorp {
    /// Vertices of the reliability curve, in increasing x.
    curve: Vec<(f64, f64)>,
    /// (x, lo, hi) in increasing x.
    band: Vec<(f64, f64, f64)>,
    /// "MCB 0.0123  DSC 0.0456  UNC 0.2400".
    stats: String,
}

fn clean_corp(c: &CorpOverlay) -> CleanCorp {
    let mut steps: Vec<(f64, f64, f64)> = c
        .steps
        .iter()
        .filter(|(a, b, v)| a.is_finite() && b.is_finite() && v.is_finite())
        .map(|(a, b, v)| {
            let (a, b) = (a.clamp(0.0, 1.0), b.clamp(0.0, 1.0));
            (a.min(b), a.max(b), v.clamp(0.0, 1.0))
        })
        .collect();
    steps.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.total_cmp(&y.1)));
    let mut curve: Vec<(f64, f64)> = Vec::with_capacity(2 * steps.len());
    for (a, b, v) in steps {
        curve.push((a, v));
        if b > a {
            curve.push((b, v));
        }
    }
    let mut band: Vec<(f64, f64, f64)> = c
        .band
        .iter()
        .filter(|(x, lo, hi)| x.is_finite() && lo.is_finite() && hi.is_finite())
        .map(|(x, lo, hi)| {
            let (lo, hi) = (lo.clamp(0.0, 1.0), hi.clamp(0.0, 1.0));
            (x.clamp(0.0, 1.0), lo.min(hi), lo.max(hi))
        })
        .collect();
    band.sort_by(|a, b| a.0.total_cmp(&b.0));
    if band.len() > MAX_BAND_POINTS {
        let k = band.len();
        band = (0..MAX_BAND_POINTS)
            .map(|i| band[i * (k - 1) / (MAX_BAND_POINTS - 1)])
            .collect();
    }
    if band.len() < 2 {
        band.clear();
    }
    let f = |v: f64| {
        if v.is_finite() {
            format!("{v:.4}")
        } else {
            "–".to_string()
        }
    };
    CleanCorp {
        curve,
        band,
        stats: format!("MCB {}   DSC {}   UNC {}", f(c.mcb), f(c.dsc), f(c.unc)),
    }
}

fn clean_points(bins: &[ReliabilityBin]) -> Vec<Point> {
    bins.iter()
        .filter(|b| b.n > 0 && b.mean_forecast.is_finite() && b.observed.is_finite())
        .map(|b| {
            let ci = (b.ci_lo.is_finite() && b.ci_hi.is_finite()).then(|| {
                let lo = b.ci_lo.clamp(0.0, 1.0);
                let hi = b.ci_hi.clamp(0.0, 1.0);
                (lo.min(hi), lo.max(hi))
            });
            Point {
                x: b.mean_forecast.clamp(0.0, 1.0),
                y: b.observed.clamp(0.0, 1.0),
                ci,
                n: b.n,
            }
        })
        .collect()
}

type Chart2d<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// Ticks of one axis: positions, label formatter, whether labels are drawn.
struct Axis<'t> {
    ticks: &'t [f64],
    fmt: fn(&f64) -> String,
    labels: bool,
}

/// Sizes shared by both panels.
struct Metrics {
    s: f64,
    tick_len: f64,
    tick_size: f64,
    desc_size: f64,
}

/// Grid lines, outward tick marks, tick labels and axis titles of a panel.
fn draw_axes<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart2d<'_, DB>,
    x: &Axis<'_>,
    y: &Axis<'_>,
    x_desc: Option<&str>,
    y_desc: Option<&str>,
    m: &Metrics,
) -> Result<Rect>
where
    DB::ErrorType: 'static,
{
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    let plot = Rect {
        x0: xr.start as f64,
        y0: yr.start as f64,
        x1: xr.end as f64,
        y1: yr.end as f64,
    };
    let grid = GRID.filled();
    let axis = AXIS.filled();
    let tick_style = text_style(m.tick_size, TICK_TEXT, HPos::Center, VPos::Top);
    let ylabel_style = text_style(m.tick_size, TICK_TEXT, HPos::Right, VPos::Center);
    let xs: Vec<f64> = x
        .ticks
        .iter()
        .map(|t| chart.backend_coord(&(*t, 0.0)).0 as f64)
        .collect();
    let ys: Vec<f64> = y
        .ticks
        .iter()
        .map(|t| chart.backend_coord(&(0.0, *t)).1 as f64)
        .collect();
    for px in &xs {
        fill_rect(root, Rect::new(*px, plot.y0, 1.0, plot.y1 - plot.y0), grid)?;
    }
    for py in &ys {
        fill_rect(root, Rect::new(plot.x0, *py, plot.x1 - plot.x0, 1.0), grid)?;
    }
    // Thin out labels that would collide (small outputs): label every
    // `stride`-th tick, stride from 1, 2, 5, 10; grid lines stay on all ticks.
    let (_, label_h) = measure_text("0", m.tick_size as f32)?;
    let min_gap = |v: &[f64]| {
        v.windows(2)
            .map(|p| (p[1] - p[0]).abs())
            .fold(f64::INFINITY, f64::min)
    };
    let stride_for = |spacing: f64, need: f64| {
        [1usize, 2, 5, 10]
            .into_iter()
            .find(|k| *k as f64 * spacing >= need)
            .unwrap_or(10)
    };
    let mut widest = 0.0f64;
    if x.labels {
        let mut wx = 0.0f64;
        for t in x.ticks {
            wx = wx.max(measure_text(&(x.fmt)(t), m.tick_size as f32)?.0 as f64);
        }
        let stride = stride_for(min_gap(&xs), wx + 6.0 * m.s);
        for (i, (px, t)) in xs.iter().zip(x.ticks).enumerate() {
            fill_rect(root, Rect::new(*px, plot.y1, 1.0, m.tick_len), axis)?;
            if i % stride == 0 {
                root.draw_text(
                    &(x.fmt)(t),
                    &tick_style,
                    (
                        *px as i32,
                        (plot.y1 + m.tick_len + 3.0 * m.s).round() as i32,
                    ),
                )?;
            }
        }
    }
    if y.labels {
        let stride = stride_for(min_gap(&ys), label_h as f64 + 2.0 * m.s);
        for (i, (py, t)) in ys.iter().zip(y.ticks).enumerate() {
            fill_rect(
                root,
                Rect::new(plot.x0 - m.tick_len, *py, m.tick_len, 1.0),
                axis,
            )?;
            if i % stride != 0 {
                continue;
            }
            let label = (y.fmt)(t);
            widest = widest.max(measure_text(&label, m.tick_size as f32)?.0 as f64);
            root.draw_text(
                &label,
                &ylabel_style,
                (
                    (plot.x0 - m.tick_len - 4.0 * m.s).round() as i32,
                    *py as i32,
                ),
            )?;
        }
    }
    if let Some(desc) = x_desc {
        let (_, th) = measure_text("0", m.tick_size as f32)?;
        root.draw_text(
            desc,
            &text_style(m.desc_size, INK, HPos::Center, VPos::Top),
            (
                ((plot.x0 + plot.x1) / 2.0).round() as i32,
                (plot.y1 + m.tick_len + 3.0 * m.s + th as f64 + 7.0 * m.s).round() as i32,
            ),
        )?;
    }
    if let Some(desc) = y_desc {
        let style = text_style(m.desc_size, INK, HPos::Center, VPos::Bottom)
            .transform(FontTransform::Rotate270);
        let x = plot.x0 - m.tick_len - 4.0 * m.s - widest - 9.0 * m.s;
        root.draw_text(
            desc,
            &style,
            (x.round() as i32, ((plot.y0 + plot.y1) / 2.0).round() as i32),
        )?;
    }
    Ok(plot)
}

/// Tick label for a probability: always one decimal, never "-0.0" nor
/// float noise such as 0.30000000000000004.
fn fmt_prob(v: &f64) -> String {
    let v = if v.abs() < 1e-9 { 0.0 } else { *v };
    format!("{v:.1}")
}

fn fmt_count(v: &f64) -> String {
    format!("{:.0}", v.max(0.0))
}

/// Integer tick step giving at most ~4 intervals up to `max` (1, 2, 5 x 10^k).
fn nice_count_step(max: usize) -> usize {
    let max = max.max(1) as f64;
    let raw = max / 4.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    (step.round() as usize).max(1)
}

struct Placed {
    cx: f64,
    cy: f64,
    top: f64,
    bottom: f64,
    n: usize,
}

/// What a legend row shows before its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LegendKind {
    /// The dashed diagonal.
    Diagonal,
    /// A point with its interval bar.
    Marker,
    /// "n=12".
    Count,
    /// The shaded consistency band.
    Band,
    /// The CORP curve.
    Curve,
    /// Text only, starting where the samples start.
    Text,
}

/// Sizes of legend rows.
struct LegendStyle {
    s: f64,
    size: f64,
    sample_col: f64,
    dash: f64,
    dash_gap: f64,
    diag_w: f64,
    curve_w: f64,
}

impl LegendStyle {
    /// Width of a row: sample column, gap and text (text-only rows start in
    /// the sample column).
    fn item_width(&self, text: &str, kind: LegendKind) -> Result<f64> {
        let tw = measure_text(text, self.size as f32)?.0 as f64;
        Ok(match kind {
            LegendKind::Text => tw,
            _ => self.sample_col + 8.0 * self.s + tw,
        })
    }

    /// Draw one row with its sample starting at `x0`, centred on row `cy`;
    /// the text is shortened to end within `max_w` of `x0`.
    fn draw_item<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        text: &str,
        kind: LegendKind,
        x0: f64,
        cy: f64,
        max_w: f64,
    ) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let s = self.s;
        let dims = root.dim_in_pixel();
        let scx = (x0 + self.sample_col / 2.0).round() + 0.5;
        let y = cy + 0.5;
        match kind {
            LegendKind::Diagonal => {
                aa_dashed(
                    root,
                    (x0, y),
                    (x0 + self.sample_col, y),
                    self.dash,
                    self.dash_gap,
                    self.diag_w,
                    DIAGONAL,
                )?;
            }
            LegendKind::Marker => {
                let half = 10.5 * s;
                draw_marker(root, scx, y, y - half, y + half, &marks(s))?;
            }
            LegendKind::Band => {
                let sw = Rect::new(x0, cy - 6.0 * s, self.sample_col, 12.0 * s);
                fill_rect(root, sw, WHITE.filled())?;
                let mut cov = Coverage::new(sw, dims);
                cov.polygon(&[
                    (sw.x0, sw.y0),
                    (sw.x1, sw.y0),
                    (sw.x1, sw.y1),
                    (sw.x0, sw.y1),
                ]);
                cov.paint(root, BAND, BAND_ALPHA)?;
            }
            LegendKind::Curve => {
                let w = self.curve_w;
                let mut cov = Coverage::new(
                    Rect::new(x0 - 2.0, cy - 8.0, self.sample_col + 4.0, 16.0),
                    dims,
                );
                cov.capsule((x0 + w / 2.0, y), (x0 + self.sample_col - w / 2.0, y), w);
                cov.paint(root, CORP_LINE, 1.0)?;
            }
            LegendKind::Count => {
                root.draw_text(
                    "n=12",
                    &text_style(self.size, LABEL, HPos::Center, VPos::Center),
                    (scx as i32, cy as i32),
                )?;
            }
            LegendKind::Text => {}
        }
        let tx = match kind {
            LegendKind::Text => x0,
            _ => x0 + self.sample_col + 8.0 * s,
        };
        let room = (max_w - (tx - x0)).max(0.0);
        let text = truncate_to_width(text, self.size as f32, FontStyle::Normal, room as f32)?;
        root.draw_text(
            &text,
            &text_style(self.size, INK, HPos::Left, VPos::Center),
            (tx.round() as i32, cy as i32),
        )?;
        Ok(())
    }
}

/// Draw the full reliability diagram on `root` (any size; fonts and spacing
/// scale with the smaller side, 900 px being the reference).
///
/// Meant for a [`TextBackend`] over a `BitMapBackend` (as set up by
/// [`render_reliability_rgb`]): filled rectangles assume the bitmap backend's
/// half-open pixel ranges, and text must go through `TextBackend`.
pub fn draw_reliability<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &ReliabilityChart,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    draw_reliability_corp(root, chart, None)
}

/// [`draw_reliability`] with an optional CORP overlay: the consistency band
/// shaded around the diagonal, the PAV-recalibrated curve over it, and the
/// CORP decomposition in the legend.
pub fn draw_reliability_corp<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &ReliabilityChart,
    corp: Option<&CorpOverlay>,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let (w, h) = root.dim_in_pixel();
    let (wf, hf) = (w as f64, h as f64);
    // Reference size 900 px; never scale type below ~10 px.
    let s = (wf.min(hf) / 900.0).max(0.8);

    let title_size = 22.0 * s;
    let subtitle_size = 14.5 * s;
    let tick_size = 12.5 * s;
    let desc_size = 14.5 * s;
    let small_size = 12.0 * s;

    let margin_l = 14.0 * s;
    let margin_r = 30.0 * s;
    let margin_t = 16.0 * s;
    let margin_b = 10.0 * s;
    let text_w = wf - margin_l - margin_r;

    // --- Title and subtitle ------------------------------------------------
    let title = truncate_to_width(
        chart.title.trim(),
        title_size as f32,
        FontStyle::Bold,
        text_w as f32,
    )?;
    let (_, title_h) = measure_text("Ag", title_size as f32)?;
    let title_style = TextStyle::from(font(title_size, FontStyle::Bold))
        .color(&INK)
        .pos(Pos::new(HPos::Left, VPos::Top));
    root.draw_text(&title, &title_style, (margin_l as i32, margin_t as i32))?;
    let sub_y = margin_t + title_h as f64 + 4.0 * s;
    let subtitle = truncate_to_width(
        chart.subtitle.trim(),
        subtitle_size as f32,
        FontStyle::Normal,
        text_w as f32,
    )?;
    let (_, sub_h) = measure_text("Ag", subtitle_size as f32)?;
    root.draw_text(
        &subtitle,
        &text_style(subtitle_size, SUBTLE, HPos::Left, VPos::Top),
        (margin_l as i32, sub_y as i32),
    )?;
    let mut top = sub_y + sub_h as f64 + 16.0 * s;

    // --- Legend items -------------------------------------------------------
    // With the CORP overlay the legend is larger, so it goes in a strip above
    // the plot (two columns when they fit), where it can never hide data;
    // otherwise it sits in the corner of the plot that covers least.
    let corp = corp.map(clean_corp);
    let mut legend_rows: Vec<(String, LegendKind)> =
        vec![("Perfect calibration".into(), LegendKind::Diagonal)];
    if let Some(c) = &corp {
        if !c.band.is_empty() {
            legend_rows.push((
                "90% consistency band (if calibrated)".into(),
                LegendKind::Band,
            ));
        }
        if !c.curve.is_empty() {
            legend_rows.push(("CORP curve (PAV-recalibrated)".into(), LegendKind::Curve));
        }
    }
    legend_rows.push((
        "Observed frequency, 95% Jeffreys interval".into(),
        LegendKind::Marker,
    ));
    legend_rows.push(("forecasts in the bin".into(), LegendKind::Count));
    if let Some(c) = &corp {
        legend_rows.push((c.stats.clone(), LegendKind::Text));
    }
    let ls = LegendStyle {
        s,
        size: small_size,
        sample_col: (32.0 * s).max(measure_text("n=12", small_size as f32)?.0 as f64),
        dash: 7.0 * s,
        dash_gap: 5.0 * s,
        diag_w: (1.3 * s).max(1.0),
        curve_w: (2.4 * s).max(1.5),
    };
    let mut item_w = 0.0f64;
    for (t, kind) in &legend_rows {
        item_w = item_w.max(ls.item_width(t, *kind)?);
    }
    let strip_row_h = 22.0 * s;
    let strip_col_gap = 36.0 * s;

    // --- Data ------------------------------------------------------------
    let points = clean_points(&chart.bins);
    let hist_max = chart.histogram.iter().copied().max().unwrap_or(0);
    let count_step = nice_count_step(hist_max);
    let count_ticks: Vec<f64> = (0..)
        .map(|i: u32| f64::from(i) * count_step as f64)
        .take_while(|v| *v <= hist_max as f64 * 1.12)
        .collect();
    let count_top = (hist_max.max(1) as f64 * 1.12).max(*count_ticks.last().unwrap_or(&1.0));
    let prob_ticks: Vec<f64> = (0..=10).map(|i| i as f64 / 10.0).collect();

    // --- Panel geometry -----------------------------------------------------
    let label_dist = 4.0 * s + 4.0 * s; // tick mark + gap
    let widest_tick = prob_ticks
        .iter()
        .map(fmt_prob)
        .chain(count_ticks.iter().map(fmt_count))
        .map(|t| measure_text(&t, tick_size as f32).map(|(w, _)| w as f64))
        .try_fold(0.0f64, |m, w| w.map(|w| m.max(w)))?;
    let (_, desc_h) = measure_text("Ag", desc_size as f32)?;
    let (_, tick_h) = measure_text("0", tick_size as f32)?;
    let y_label_area = (desc_h as f64 + 10.0 * s + widest_tick + label_dist).ceil();
    let x_label_area = (label_dist + tick_h as f64 + 8.0 * s + desc_h as f64 + 2.0 * s).ceil();

    // The legend strip (CORP only): as many columns as fit the plot's width
    // (6, 3, else 2 with shortened text), filled column by column. Holds
    // (top, rows, column widths).
    let mut strip: Option<(f64, usize, Vec<f64>)> = None;
    let has_data =
        !clean_points(&chart.bins).is_empty() || corp.as_ref().is_some_and(|c| !c.curve.is_empty());
    if corp.is_some() && has_data {
        let avail = wf - margin_r - (margin_l + y_label_area);
        let n = legend_rows.len();
        let mut widths = Vec::new();
        for t in &legend_rows {
            widths.push(ls.item_width(&t.0, t.1)?);
        }
        let layout = |cols: usize| {
            let rows = n.div_ceil(cols);
            let col_w: Vec<f64> = widths
                .chunks(rows)
                .map(|c| c.iter().copied().fold(0.0, f64::max))
                .collect();
            let total = col_w.iter().sum::<f64>() + strip_col_gap * (col_w.len() as f64 - 1.0);
            (rows, col_w, total)
        };
        let (rows, mut col_w, _) = [n, n.div_ceil(2), 2]
            .into_iter()
            .map(layout)
            .find(|(_, _, total)| *total <= avail)
            .unwrap_or_else(|| layout(2));
        // Too narrow even for two columns: share the width, shorten text.
        let share =
            ((avail - strip_col_gap * (col_w.len() as f64 - 1.0)) / col_w.len() as f64).max(0.0);
        if col_w.iter().sum::<f64>() + strip_col_gap * (col_w.len() as f64 - 1.0) > avail {
            col_w.iter_mut().for_each(|w| *w = w.min(share));
        }
        strip = Some((top, rows, col_w));
        top += rows as f64 * strip_row_h + 12.0 * s;
    }

    // Vertical split: main plot, gap, histogram plot (+ its x labels).
    let avail = (hf - margin_b - top).max(100.0);
    let gap = 14.0 * s;
    let plot_space = (avail - gap - x_label_area).max(60.0);
    let hist_plot_h = (plot_space * 0.22).round();
    let main_h = (plot_space - hist_plot_h).round();

    let main_area = root
        .clone()
        .shrink((0, top.round() as i32), (w, main_h as u32));
    let hist_area = root.clone().shrink(
        (0, (top + main_h + gap).round() as i32),
        (w, (hist_plot_h + x_label_area).round() as u32),
    );

    // --- Main panel -----------------------------------------------------------
    let metrics = Metrics {
        s,
        tick_len: (4.0 * s).round().max(2.0),
        tick_size,
        desc_size,
    };
    let main = ChartBuilder::on(&main_area)
        .margin_left(margin_l as i32)
        .margin_right(margin_r as i32)
        .x_label_area_size(0)
        .y_label_area_size(y_label_area as i32)
        .build_cartesian_2d(LO..HI, LO..HI)?;
    let plot = draw_axes(
        root,
        &main,
        &Axis {
            ticks: &prob_ticks,
            fmt: fmt_prob,
            labels: false,
        },
        &Axis {
            ticks: &prob_ticks,
            fmt: fmt_prob,
            labels: true,
        },
        None,
        Some("Observed frequency"),
        &metrics,
    )?;

    // Geometry of marks. Pixel (i, j) covers [i, i+1) x [j, j+1); grid lines
    // are the 1-px columns/rows at the mapped tick, so a mark at a mapped
    // value is centred at +0.5 to sit exactly on them.
    let mk = marks(s);
    let (r, cap, cap_t) = (mk.r, mk.cap, mk.cap_t);
    let to_px = |x: f64, y: f64| {
        let (px_, py_) = main.backend_coord(&(x, y));
        (px_ as f64 + 0.5, py_ as f64 + 0.5)
    };
    let diag_a = to_px(0.0, 0.0);
    let diag_b = to_px(1.0, 1.0);

    let mut obstacles: Vec<Rect> = Vec::new();
    let mut placed = Vec::new();
    for p in &points {
        let (cx, cy) = to_px(p.x, p.y);
        let (top, bottom) = match p.ci {
            Some((lo, hi)) => (to_px(p.x, hi).1, to_px(p.x, lo).1),
            None => (cy, cy),
        };
        if bottom > top {
            obstacles.push(Rect {
                x0: cx - cap - 1.0,
                y0: top - cap_t - 1.0,
                x1: cx + cap + 1.0,
                y1: bottom + cap_t + 1.0,
            });
        }
        obstacles.push(Rect::new(
            cx - r - 2.0,
            cy - r - 2.0,
            2.0 * r + 4.0,
            2.0 * r + 4.0,
        ));
        placed.push(Placed {
            cx,
            cy,
            top,
            bottom,
            n: p.n,
        });
    }
    // The diagonal, as small boxes, so the legend avoids it where it can.
    let diag_boxes: Vec<Rect> = (0..=40)
        .map(|i| {
            let t = i as f64 / 40.0;
            let x = diag_a.0 + (diag_b.0 - diag_a.0) * t;
            let y = diag_a.1 + (diag_b.1 - diag_a.1) * t;
            Rect::new(x - 2.0, y - 2.0, 4.0, 4.0)
        })
        .collect();

    // --- CORP overlay, in pixels -----------------------------------------------
    let curve: Vec<(f64, f64)> = corp
        .as_ref()
        .map(|c| c.curve.iter().map(|(x, y)| to_px(*x, *y)).collect())
        .unwrap_or_default();
    let band: Vec<(f64, f64)> = corp
        .as_ref()
        .map(|c| {
            let upper = c.band.iter().map(|(x, _, hi)| to_px(*x, *hi));
            let lower = c.band.iter().rev().map(|(x, lo, _)| to_px(*x, *lo));
            upper.chain(lower).collect()
        })
        .unwrap_or_default();
    // The curve as small boxes, for the legend and the labels to avoid.
    let mut curve_boxes: Vec<Rect> = Vec::new();
    for seg in curve.windows(2) {
        let (a, b) = (seg[0], seg[1]);
        let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
        let k = (len / (4.0 * s)).ceil().clamp(1.0, 400.0) as usize;
        for i in 0..=k {
            let t = i as f64 / k as f64;
            let (x, y) = (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
            curve_boxes.push(Rect::new(x - 2.0 * s, y - 2.0 * s, 4.0 * s, 4.0 * s));
        }
    }
    if let [p] = curve.as_slice() {
        curve_boxes.push(Rect::new(p.0 - 6.0 * s, p.1 - 2.0 * s, 12.0 * s, 4.0 * s));
    }

    // --- Legend (position chosen to cover as little as possible) -------------
    let row_h = 25.0 * s;
    let pad = 8.0 * s;
    let legend_w = pad + item_w + pad;
    let legend_h = 2.0 * pad + row_h * legend_rows.len() as f64;
    let inset = 10.0 * s;
    let (lx0, lx1) = (plot.x0 + inset, plot.x1 - inset - legend_w);
    let (ly0, ly1) = (plot.y0 + inset, plot.y1 - inset - legend_h);
    let candidates = [
        Rect::new(lx0, ly0, legend_w, legend_h),
        Rect::new(lx1, ly1, legend_w, legend_h),
        Rect::new(lx1, ly0, legend_w, legend_h),
        Rect::new(lx0, ly1, legend_w, legend_h),
    ];
    let legend = if strip.is_some() || points.is_empty() || lx1 < lx0 || ly1 < ly0 {
        None
    } else {
        let mut best: Option<(Rect, f64)> = None;
        for c in candidates {
            let cost = obstacles.iter().map(|o| c.overlap(o)).sum::<f64>() * 10.0
                + diag_boxes.iter().map(|o| c.overlap(o)).sum::<f64>();
            if best.is_none_or(|(_, b)| cost < b) {
                best = Some((c, cost));
            }
        }
        best.map(|(c, _)| c)
    };

    // Draw order: diagonal, legend, error bars, markers, labels — so that if
    // the legend cannot avoid the data, the data stays on top.
    let (dash, dash_gap, diag_w, curve_w) = (ls.dash, ls.dash_gap, ls.diag_w, ls.curve_w);
    let dims = root.dim_in_pixel();
    if band.len() >= 4 {
        let mut cov = Coverage::new(plot, dims);
        cov.polygon(&band);
        cov.paint(root, BAND, BAND_ALPHA)?;
    }
    aa_dashed(root, diag_a, diag_b, dash, dash_gap, diag_w, DIAGONAL)?;
    if !curve.is_empty() {
        let mut cov = Coverage::new(plot, dims);
        match curve.as_slice() {
            [p] => cov.capsule((p.0 - 5.0 * s, p.1), (p.0 + 5.0 * s, p.1), curve_w),
            pts => cov.polyline(pts, curve_w),
        }
        cov.paint(root, CORP_LINE, 1.0)?;
    }

    if let Some(l) = legend {
        fill_rect(root, l, WHITE.mix(0.9).filled())?;
        stroke_rect(root, l, RGBColor(205, 205, 205))?;
        for (i, (t, kind)) in legend_rows.iter().enumerate() {
            let cy = (l.y0 + pad + row_h * (i as f64 + 0.5)).round();
            ls.draw_item(root, t, *kind, l.x0 + pad, cy, f64::INFINITY)?;
        }
    }
    if let Some((y0, rows, col_w)) = &strip {
        // Column by column, aligned with the plot's left edge.
        let mut x = plot.x0;
        for (col, items) in legend_rows.chunks(*rows).enumerate() {
            let w = col_w.get(col).copied().unwrap_or(0.0);
            for (row, (t, kind)) in items.iter().enumerate() {
                let cy = (y0 + strip_row_h * (row as f64 + 0.5)).round();
                ls.draw_item(root, t, *kind, x, cy, w)?;
            }
            x += w + strip_col_gap;
        }
    }

    for p in &placed {
        draw_bar(root, p.cx, p.top, p.bottom, &mk)?;
    }
    for p in &placed {
        draw_dot(root, p.cx, p.cy, &mk)?;
    }

    // --- "n=" labels, placed to avoid points, bars, the legend and each other.
    let label_style = text_style(small_size, LABEL, HPos::Left, VPos::Top);
    let (_, label_h) = measure_text("n=0", small_size as f32)?;
    let label_h = label_h as f64;
    let mut taken: Vec<Rect> = obstacles.clone();
    taken.extend(curve_boxes.iter().copied());
    if let Some(l) = legend {
        taken.push(l.pad(2.0 * s));
    }
    let mut labels: Vec<(Rect, String)> = Vec::new();
    for p in &placed {
        let text = format!("n={}", p.n);
        let lw = measure_text(&text, small_size as f32)?.0 as f64;
        let gap_x = r + 5.0 * s;
        let cands = [
            Rect::new(p.cx + gap_x, p.cy - label_h / 2.0, lw, label_h),
            Rect::new(p.cx - gap_x - lw, p.cy - label_h / 2.0, lw, label_h),
            Rect::new(p.cx + gap_x, p.cy - r - label_h - 2.0 * s, lw, label_h),
            Rect::new(p.cx + gap_x, p.cy + r + 2.0 * s, lw, label_h),
            Rect::new(p.cx - gap_x - lw, p.cy - r - label_h - 2.0 * s, lw, label_h),
            Rect::new(p.cx - gap_x - lw, p.cy + r + 2.0 * s, lw, label_h),
            Rect::new(
                p.cx - lw / 2.0,
                p.top - cap_t - label_h - 3.0 * s,
                lw,
                label_h,
            ),
            Rect::new(p.cx - lw / 2.0, p.bottom + cap_t + 3.0 * s, lw, label_h),
        ];
        let inner = plot.pad(-2.0);
        let mut best: Option<(Rect, f64)> = None;
        for (i, c) in cands.iter().enumerate() {
            let own = c.pad(1.0);
            let mut cost: f64 = taken.iter().map(|o| own.overlap(o)).sum();
            if !c.inside(&inner) {
                cost += 1e6;
            }
            // Mild preference for the earlier (more natural) positions.
            cost += i as f64 * 0.01;
            if best.is_none_or(|(_, b)| cost < b) {
                best = Some((*c, cost));
            }
        }
        if let Some((c, _)) = best {
            taken.push(c.pad(1.0));
            labels.push((c, text));
        }
    }
    for (c, text) in &labels {
        fill_rect(root, c.pad(1.0), WHITE.mix(0.75).filled())?;
        root.draw_text(
            text,
            &label_style,
            (c.x0.round() as i32, c.y0.round() as i32),
        )?;
    }

    if points.is_empty() && curve.is_empty() {
        let note = "No scored forecasts";
        let note_size = 17.0 * s;
        let (nw, nh) = measure_text(note, note_size as f32)?;
        let (cx, cy) = ((plot.x0 + plot.x1) / 2.0, (plot.y0 + plot.y1) / 2.0);
        let bx = Rect::new(
            cx - nw as f64 / 2.0 - 14.0 * s,
            cy - nh as f64 / 2.0 - 9.0 * s,
            nw as f64 + 28.0 * s,
            nh as f64 + 18.0 * s,
        );
        fill_rect(root, bx, WHITE.filled())?;
        stroke_rect(root, bx, RGBColor(205, 205, 205))?;
        root.draw_text(
            note,
            &text_style(note_size, SUBTLE, HPos::Center, VPos::Center),
            (cx.round() as i32, cy.round() as i32),
        )?;
    }
    stroke_rect(root, plot, AXIS)?;

    // --- Histogram panel -----------------------------------------------------------
    let mut hist = ChartBuilder::on(&hist_area)
        .margin_left(margin_l as i32)
        .margin_right(margin_r as i32)
        .x_label_area_size(x_label_area as i32)
        .y_label_area_size(y_label_area as i32)
        .build_cartesian_2d(LO..HI, 0.0..count_top)?;
    let hist_plot = draw_axes(
        root,
        &hist,
        &Axis {
            ticks: &prob_ticks,
            fmt: fmt_prob,
            labels: true,
        },
        &Axis {
            ticks: &count_ticks,
            fmt: fmt_count,
            labels: true,
        },
        Some("Forecast probability"),
        Some("Forecasts"),
        &metrics,
    )?;
    let k = chart.histogram.len();
    if k > 0 {
        let bw = 1.0 / k as f64;
        let inset = bw * 0.06;
        hist.draw_series(
            chart
                .histogram
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(i, c)| {
                    let lo = i as f64 * bw;
                    Rectangle::new(
                        [(lo + inset, 0.0), (lo + bw - inset, *c as f64)],
                        HIST.filled(),
                    )
                }),
        )?;
    }
    stroke_rect(root, hist_plot, AXIS)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::draw::POINT;

    fn bin(lo: f64, n: usize, mean: f64, obs: f64, ci: (f64, f64)) -> ReliabilityBin {
        ReliabilityBin {
            bin_lo: lo,
            bin_hi: lo + 0.1,
            n,
            mean_forecast: mean,
            observed: obs,
            ci_lo: ci.0,
            ci_hi: ci.1,
        }
    }

    fn ten_bins() -> ReliabilityChart {
        ReliabilityChart {
            title: "Calibration — all forecasters".into(),
            subtitle: "n = 123 forecasts · Brier 0.1834 · bins of width 0.1".into(),
            bins: (0..10)
                .map(|i| {
                    let m = i as f64 / 10.0 + 0.05;
                    bin(
                        i as f64 / 10.0,
                        12,
                        m,
                        m,
                        ((m - 0.2).max(0.0), (m + 0.2).min(1.0)),
                    )
                })
                .collect(),
            histogram: vec![12; 10],
        }
    }

    fn empty() -> ReliabilityChart {
        ReliabilityChart {
            title: "Calibration — nobody".into(),
            subtitle: "n = 0 forecasts".into(),
            bins: vec![],
            histogram: vec![0; 10],
        }
    }

    fn non_white(rgb: &[u8]) -> usize {
        rgb.chunks_exact(3)
            .filter(|p| p != &[255, 255, 255])
            .count()
    }

    /// Pixels of (nearly) exactly the marker colour.
    fn marker_pixels(rgb: &[u8]) -> usize {
        rgb.chunks_exact(3)
            .filter(|p| p[0] == POINT.0 && p[1] == POINT.1 && p[2] == POINT.2)
            .count()
    }

    fn tmp_path(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("hindsight-chart-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    fn decode(path: &Path) -> (u32, u32, Vec<u8>) {
        let dec = ::png::Decoder::new(File::open(path).unwrap());
        let mut reader = dec.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, ::png::ColorType::Rgb);
        assert_eq!(info.bit_depth, ::png::BitDepth::Eight);
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    #[test]
    fn png_file_is_written_and_decodes() {
        let path = tmp_path("ten.png");
        render_reliability_png(&ten_bins(), &path).unwrap();
        let (w, h, rgb) = decode(&path);
        assert_eq!((w, h), DEFAULT_SIZE);
        let ink = non_white(&rgb);
        let total = (w * h) as usize;
        assert!(ink > total / 50, "too blank: {ink} of {total} pixels");
        assert!(ink < total / 2, "too dark: {ink} of {total} pixels");
        assert!(
            marker_pixels(&rgb) > 10 * 40,
            "ten markers and bars are drawn"
        );
        // Identical to the in-memory render.
        assert_eq!(rgb, render_reliability_rgb(&ten_bins(), w, h).unwrap());
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn empty_chart_renders_axes_and_note() {
        let rgb = render_reliability_rgb(&empty(), 900, 900).unwrap();
        assert!(non_white(&rgb) > 5_000, "axes, grid and text are drawn");
        assert_eq!(marker_pixels(&rgb), 0, "no points");
        // The note is centred in the main panel: some dark text pixels near
        // the image's horizontal centre, in the upper half.
        let dark_near_centre = (250..500)
            .flat_map(|y| (350..550).map(move |x| (x, y)))
            .filter(|(x, y)| rgb[(y * 900 + x) * 3] < 128)
            .count();
        assert!(dark_near_centre > 100);
        let path = tmp_path("empty.png");
        render_reliability_png(&ReliabilityChart::default(), &path).unwrap();
        assert_eq!(decode(&path).0, 900);
    }

    #[test]
    fn single_bin_and_edge_values_render() {
        for (obs, ci) in [(0.0, (0.0, 0.85)), (1.0, (0.15, 1.0)), (0.5, (0.5, 0.5))] {
            let chart = ReliabilityChart {
                title: "Single".into(),
                subtitle: String::new(),
                bins: vec![bin(0.9, 1, 0.97, obs, ci)],
                histogram: vec![0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
            };
            let rgb = render_reliability_rgb(&chart, 900, 900).unwrap();
            assert!(
                marker_pixels(&rgb) > 20,
                "the point is visible at observed={obs}"
            );
        }
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let chart = ReliabilityChart {
            title: "Калибровка — Zoë Brontë, René ".repeat(20),
            subtitle: "x".repeat(5000),
            bins: vec![
                bin(0.0, 3, f64::NAN, 0.5, (0.1, 0.9)),
                bin(0.1, 3, 0.15, f64::INFINITY, (0.1, 0.9)),
                bin(0.2, 3, 0.25, 0.3, (f64::NAN, 0.9)),
                bin(0.3, 0, 0.35, 0.3, (0.1, 0.9)),
                bin(0.4, 7, -0.4, 1.7, (0.9, 0.1)),
                bin(0.5, usize::MAX, 0.55, 0.5, (0.4, 0.6)),
            ],
            histogram: vec![usize::MAX / 2, 0, 3],
        };
        for (w, h) in [(900, 900), (300, 300), (1600, 500)] {
            render_reliability_rgb(&chart, w, h).unwrap();
        }
        let many = ReliabilityChart {
            bins: (0..100)
                .map(|i| bin(i as f64 / 100.0, 1, i as f64 / 100.0, 0.5, (0.0, 1.0)))
                .collect(),
            histogram: vec![1; 100],
            ..ReliabilityChart::default()
        };
        render_reliability_rgb(&many, 900, 900).unwrap();
    }

    fn corp_overlay() -> CorpOverlay {
        CorpOverlay {
            steps: vec![
                (0.05, 0.2, 0.1),
                (0.3, 0.5, 0.35),
                (0.6, 0.6, 0.7),
                (0.8, 0.95, 0.9),
            ],
            band: (0..=20)
                .map(|i| {
                    let x = i as f64 / 20.0;
                    (x, (x - 0.15).max(0.0), (x + 0.15).min(1.0))
                })
                .collect(),
            mcb: 0.0123,
            dsc: 0.0456,
            unc: 0.24,
        }
    }

    fn corp_pixels(rgb: &[u8]) -> usize {
        rgb.chunks_exact(3)
            .filter(|p| p[0] == CORP_LINE.0 && p[1] == CORP_LINE.1 && p[2] == CORP_LINE.2)
            .count()
    }

    #[test]
    fn corp_overlay_renders_curve_band_and_legend() {
        let path = tmp_path("corp.png");
        render_reliability_corp_png(&ten_bins(), &corp_overlay(), &path).unwrap();
        let (w, h, rgb) = decode(&path);
        assert_eq!((w, h), DEFAULT_SIZE);
        assert!(corp_pixels(&rgb) > 500, "the CORP curve is drawn");
        assert!(marker_pixels(&rgb) > 10 * 40, "the binned points stay");
        // The band tints pixels a light blue-grey: (228, 230, 233) on white.
        let tinted = rgb
            .chunks_exact(3)
            .filter(|p| (220..=232).contains(&p[0]) && p[2] >= p[0] + 3)
            .count();
        assert!(tinted > 10_000, "the band is shaded ({tinted})");
        assert_eq!(
            rgb,
            render_reliability_corp_rgb(&ten_bins(), &corp_overlay(), w, h).unwrap()
        );
        // Without the overlay the chart is exactly the plain diagram.
        assert_ne!(rgb, render_reliability_rgb(&ten_bins(), w, h).unwrap());
        assert_eq!(
            corp_pixels(&render_reliability_rgb(&ten_bins(), w, h).unwrap()),
            0
        );
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn corp_statistics_are_formatted_and_skip_non_finite() {
        assert_eq!(
            clean_corp(&corp_overlay()).stats,
            "MCB 0.0123   DSC 0.0456   UNC 0.2400"
        );
        let c = CorpOverlay {
            mcb: f64::NAN,
            dsc: f64::INFINITY,
            ..corp_overlay()
        };
        assert_eq!(clean_corp(&c).stats, "MCB –   DSC –   UNC 0.2400");
    }

    #[test]
    fn corp_curve_is_flat_across_blocks_and_sorted() {
        let c = clean_corp(&CorpOverlay {
            steps: vec![
                (0.8, 0.6, 0.9),
                (0.1, 0.2, 0.3),
                (f64::NAN, 0.3, 0.4),
                (0.4, 0.4, 7.0),
            ],
            ..CorpOverlay::default()
        });
        assert_eq!(
            c.curve,
            vec![(0.1, 0.3), (0.2, 0.3), (0.4, 1.0), (0.6, 0.9), (0.8, 0.9)]
        );
    }

    #[test]
    fn hostile_corp_inputs_do_not_panic() {
        let hostile = CorpOverlay {
            steps: vec![
                (f64::NAN, 0.2, 0.1),
                (0.9, 0.1, 0.5),
                (-5.0, 9.0, f64::INFINITY),
                (0.5, 0.5, -3.0),
            ],
            band: (0..50_000)
                .map(|i| {
                    let x = (i % 997) as f64 / 996.0;
                    (
                        x,
                        1.0 - x,
                        if i % 7 == 0 { f64::NAN } else { x * 3.0 - 1.0 },
                    )
                })
                .collect(),
            mcb: f64::NEG_INFINITY,
            dsc: f64::NAN,
            unc: 1e300,
        };
        let single = CorpOverlay {
            steps: vec![(0.5, 0.5, 0.5)],
            band: vec![(0.5, 0.4, 0.6)],
            ..CorpOverlay::default()
        };
        for corp in [CorpOverlay::default(), hostile, single] {
            for chart in [ten_bins(), empty(), ReliabilityChart::default()] {
                for (w, h) in [(900, 900), (300, 300), (1600, 500)] {
                    render_reliability_corp_rgb(&chart, &corp, w, h).unwrap();
                }
            }
        }
        // A curve without binned points still shows (and no "no data" note).
        let rgb = render_reliability_corp_rgb(&empty(), &corp_overlay(), 900, 900).unwrap();
        assert!(corp_pixels(&rgb) > 500);
    }

    #[test]
    fn bad_sizes_are_errors() {
        assert!(render_reliability_rgb(&empty(), 0, 900).is_err());
        assert!(render_reliability_rgb(&empty(), 900, 10).is_err());
        assert!(render_reliability_rgb(&empty(), 100_000, 900).is_err());
        assert!(write_png(&tmp_path("bad.png"), &[0; 5], 2, 2).is_err());
    }

    #[test]
    fn tick_labels_are_clean() {
        for i in 0..=10 {
            let v = i as f64 * 0.1; // 0.30000000000000004 and friends
            let s = fmt_prob(&v);
            assert_eq!(s.len(), 3, "{v} -> {s}");
        }
        assert_eq!(fmt_prob(&-0.0), "0.0");
        assert_eq!(fmt_prob(&-1e-12), "0.0");
        assert_eq!(nice_count_step(0), 1);
        assert_eq!(nice_count_step(3), 1);
        assert_eq!(nice_count_step(22), 10);
        assert_eq!(nice_count_step(1234), 500);
    }
}
