//! Reliability diagram rendered to PNG with plotters (bitmap backend, text via
//! [`super::text::TextBackend`]) and encoded with the `png` crate.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use anyhow::{Context, Result, ensure};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

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
    ensure!(
        (MIN_SIDE..=MAX_SIDE).contains(&width) && (MIN_SIDE..=MAX_SIDE).contains(&height),
        "chart size {width}x{height} out of range ({MIN_SIDE}..={MAX_SIDE} px per side)"
    );
    let mut buf = vec![255u8; width as usize * height as usize * 3];
    {
        let bitmap = BitMapBackend::with_buffer(&mut buf, (width, height));
        let root = TextBackend::new(bitmap).into_drawing_area();
        root.fill(&WHITE)?;
        draw_reliability(&root, chart)?;
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

const INK: RGBColor = RGBColor(25, 25, 25);
const SUBTLE: RGBColor = RGBColor(85, 85, 85);
const TICK_TEXT: RGBColor = RGBColor(60, 60, 60);
const AXIS: RGBColor = RGBColor(140, 140, 140);
const GRID: RGBColor = RGBColor(234, 234, 234);
const DIAGONAL: RGBColor = RGBColor(150, 150, 150);
const POINT: RGBColor = RGBColor(31, 100, 170);
const HIST: RGBColor = RGBColor(160, 194, 225);
const LABEL: RGBColor = RGBColor(70, 70, 70);

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

fn font(size: f64, style: FontStyle) -> FontDesc<'static> {
    FontDesc::new(FontFamily::SansSerif, size, style)
}

fn text_style(size: f64, color: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    TextStyle {
        font: font(size, FontStyle::Normal),
        color: color.to_backend_color(),
        pos: Pos::new(h, v),
    }
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

/// Pixel rectangle, inclusive-exclusive: [x0, x1) x [y0, y1).
#[derive(Debug, Clone, Copy)]
struct Rect {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl Rect {
    fn new(x0: f64, y0: f64, w: f64, h: f64) -> Self {
        Rect {
            x0,
            y0,
            x1: x0 + w,
            y1: y0 + h,
        }
    }
    fn overlap(&self, o: &Rect) -> f64 {
        let w = (self.x1.min(o.x1) - self.x0.max(o.x0)).max(0.0);
        let h = (self.y1.min(o.y1) - self.y0.max(o.y0)).max(0.0);
        w * h
    }
    fn inside(&self, o: &Rect) -> bool {
        self.x0 >= o.x0 && self.y0 >= o.y0 && self.x1 <= o.x1 && self.y1 <= o.y1
    }
    fn pad(&self, p: f64) -> Rect {
        Rect {
            x0: self.x0 - p,
            y0: self.y0 - p,
            x1: self.x1 + p,
            y1: self.y1 + p,
        }
    }
}

fn fill_rect<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    r: Rect,
    style: ShapeStyle,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    // BitMapBackend fills [x0, x1) x [y0, y1) (bottom-right corner excluded),
    // unlike plotters' generic rasterizer; this module only draws on it.
    let a = (r.x0.round() as i32, r.y0.round() as i32);
    let b = (r.x1.round() as i32, r.y1.round() as i32);
    if b.0 <= a.0 || b.1 <= a.1 {
        return Ok(());
    }
    root.draw(&Rectangle::new([a, b], style))
}

fn stroke_rect<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    r: Rect,
    color: RGBColor,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let a = (r.x0.round() as i32, r.y0.round() as i32);
    let b = (r.x1.round() as i32 - 1, r.y1.round() as i32 - 1);
    root.draw(&Rectangle::new([a, b], color.stroke_width(1)))
}

struct Placed {
    cx: f64,
    cy: f64,
    top: f64,
    bottom: f64,
    n: usize,
}

/// Sizes of the point marker and its error bar.
struct Marks {
    r: f64,
    halo: f64,
    cap: f64,
    bar_w: f64,
    cap_t: f64,
}

fn marks(s: f64) -> Marks {
    Marks {
        r: (5.0 * s).max(2.0),
        halo: (1.5 * s).max(1.0),
        cap: (5.0 * s).max(2.0),
        bar_w: (1.7 * s).max(1.0),
        cap_t: (1.7 * s).max(1.0),
    }
}

type DrawResult = Result<()>;

fn blend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    color: RGBColor,
    coverage: f64,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    if coverage > 1.0 / 256.0 {
        root.draw_pixel((x, y), &color.mix(coverage.min(1.0)))?;
    }
    Ok(())
}

/// Anti-aliased axis-aligned rectangle with fractional edges (exact area coverage).
fn aa_rect<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    r: Rect,
    color: RGBColor,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    if r.x1 <= r.x0 || r.y1 <= r.y0 {
        return Ok(());
    }
    let span =
        |lo: f64, hi: f64, p: i32| (hi.min(p as f64 + 1.0) - lo.max(p as f64)).clamp(0.0, 1.0);
    for py in r.y0.floor() as i32..r.y1.ceil() as i32 {
        let cy = span(r.y0, r.y1, py);
        for px in r.x0.floor() as i32..r.x1.ceil() as i32 {
            blend(root, (px, py), color, cy * span(r.x0, r.x1, px))?;
        }
    }
    Ok(())
}

/// Anti-aliased filled disc.
fn aa_disc<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (cx, cy): (f64, f64),
    r: f64,
    color: RGBColor,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    for py in (cy - r - 1.0).floor() as i32..=(cy + r + 1.0).ceil() as i32 {
        for px in (cx - r - 1.0).floor() as i32..=(cx + r + 1.0).ceil() as i32 {
            let d = ((px as f64 + 0.5 - cx).powi(2) + (py as f64 + 0.5 - cy).powi(2)).sqrt();
            blend(root, (px, py), color, (r + 0.5 - d).clamp(0.0, 1.0))?;
        }
    }
    Ok(())
}

/// Anti-aliased straight segment of width `w` (coverage from the distance
/// to the segment, with flat ends).
fn aa_segment<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    a: (f64, f64),
    b: (f64, f64),
    w: f64,
    color: RGBColor,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len = (dx * dx + dy * dy).sqrt();
    if len < 1e-9 {
        return Ok(());
    }
    let (ux, uy) = (dx / len, dy / len);
    let m = w / 2.0 + 1.0;
    for py in (a.1.min(b.1) - m).floor() as i32..=(a.1.max(b.1) + m).ceil() as i32 {
        for px in (a.0.min(b.0) - m).floor() as i32..=(a.0.max(b.0) + m).ceil() as i32 {
            let (qx, qy) = (px as f64 + 0.5 - a.0, py as f64 + 0.5 - a.1);
            let along = qx * ux + qy * uy;
            let across = (qx * uy - qy * ux).abs();
            let c_across = (w / 2.0 + 0.5 - across).clamp(0.0, 1.0);
            let c_along = (along + 0.5)
                .clamp(0.0, 1.0)
                .min((len - along + 0.5).clamp(0.0, 1.0));
            blend(root, (px, py), color, c_across * c_along)?;
        }
    }
    Ok(())
}

fn aa_dashed<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    a: (f64, f64),
    b: (f64, f64),
    dash: f64,
    gap: f64,
    w: f64,
    color: RGBColor,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len = (dx * dx + dy * dy).sqrt();
    if len < 1e-9 || dash <= 0.0 {
        return Ok(());
    }
    let mut t = 0.0;
    while t < len {
        let t1 = (t + dash).min(len);
        let p = |t: f64| (a.0 + dx * t / len, a.1 + dy * t / len);
        aa_segment(root, p(t), p(t1), w, color)?;
        t += dash + gap.max(1.0);
    }
    Ok(())
}

/// Vertical error bar with caps, from pixel `top` to `bottom` at `cx`.
fn draw_bar<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    cx: f64,
    top: f64,
    bottom: f64,
    m: &Marks,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    if bottom - top < 0.5 {
        return Ok(());
    }
    let ht = m.cap_t / 2.0;
    aa_rect(
        root,
        Rect {
            x0: cx - m.bar_w / 2.0,
            y0: top - ht,
            x1: cx + m.bar_w / 2.0,
            y1: bottom + ht,
        },
        POINT,
    )?;
    for y in [top, bottom] {
        aa_rect(
            root,
            Rect {
                x0: cx - m.cap,
                y0: y - ht,
                x1: cx + m.cap,
                y1: y + ht,
            },
            POINT,
        )?;
    }
    Ok(())
}

/// Point marker: a filled disc with a thin white halo.
fn draw_dot<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    cx: f64,
    cy: f64,
    m: &Marks,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    aa_disc(root, (cx, cy), m.r + m.halo, WHITE)?;
    aa_disc(root, (cx, cy), m.r, POINT)
}

fn draw_marker<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    cx: f64,
    cy: f64,
    top: f64,
    bottom: f64,
    m: &Marks,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    draw_bar(root, cx, top, bottom, m)?;
    draw_dot(root, cx, cy, m)
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
    let top = sub_y + sub_h as f64 + 16.0 * s;

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

    // --- Legend (position chosen to cover as little as possible) -------------
    let legend_rows: [(&str, u8); 3] = [
        ("Perfect calibration", 0),
        ("Observed frequency, 95% Jeffreys interval", 1),
        ("forecasts in the bin", 2),
    ];
    let row_h = 25.0 * s;
    let pad = 8.0 * s;
    let mut text_w_max = 0.0f64;
    for (t, _) in &legend_rows {
        text_w_max = text_w_max.max(measure_text(t, small_size as f32)?.0 as f64);
    }
    let sample_col = (32.0 * s).max(measure_text("n=12", small_size as f32)?.0 as f64);
    let legend_w = pad + sample_col + 8.0 * s + text_w_max + pad;
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
    let legend = if points.is_empty() || lx1 < lx0 || ly1 < ly0 {
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
    let dash = 7.0 * s;
    let dash_gap = 5.0 * s;
    let diag_w = (1.3 * s).max(1.0);
    aa_dashed(root, diag_a, diag_b, dash, dash_gap, diag_w, DIAGONAL)?;

    if let Some(l) = legend {
        fill_rect(root, l, WHITE.mix(0.9).filled())?;
        stroke_rect(root, l, RGBColor(205, 205, 205))?;
        let sx0 = l.x0 + pad;
        let tx = sx0 + sample_col + 8.0 * s;
        for (i, (t, kind)) in legend_rows.iter().enumerate() {
            let cy = (l.y0 + pad + row_h * (i as f64 + 0.5)).round();
            let scx = (sx0 + sample_col / 2.0).round() + 0.5;
            match kind {
                0 => {
                    let y = cy + 0.5;
                    aa_dashed(
                        root,
                        (sx0, y),
                        (sx0 + sample_col, y),
                        dash,
                        dash_gap,
                        diag_w,
                        DIAGONAL,
                    )?;
                }
                1 => {
                    let half = 10.5 * s;
                    draw_marker(
                        root,
                        scx,
                        cy + 0.5,
                        cy + 0.5 - half,
                        cy + 0.5 + half,
                        &marks(s),
                    )?;
                }
                _ => {
                    root.draw_text(
                        "n=12",
                        &text_style(small_size, LABEL, HPos::Center, VPos::Center),
                        (scx as i32, cy as i32),
                    )?;
                }
            }
            root.draw_text(
                t,
                &text_style(small_size, INK, HPos::Left, VPos::Center),
                (tx.round() as i32, cy as i32),
            )?;
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

    if points.is_empty() {
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
