//! Drawing primitives and page furniture shared by every chart: the palette,
//! pixel rectangles, anti-aliased shapes (exact-coverage rectangles, discs,
//! segments, polylines with round joins, polygons), the title block, linear
//! scales with grid and tick labels, and RGB canvases.
//!
//! Everything draws through plotters' `DrawingArea` on a [`TextBackend`] over
//! a `BitMapBackend` (half-open pixel ranges for filled rectangles).

use std::path::Path;

use anyhow::{Result, ensure};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::png::write_png;
use super::text::{TextBackend, measure_text, truncate_to_width};

pub(crate) const INK: RGBColor = RGBColor(25, 25, 25);
pub(crate) const SUBTLE: RGBColor = RGBColor(85, 85, 85);
pub(crate) const TICK_TEXT: RGBColor = RGBColor(60, 60, 60);
pub(crate) const AXIS: RGBColor = RGBColor(140, 140, 140);
pub(crate) const GRID: RGBColor = RGBColor(234, 234, 234);
pub(crate) const DIAGONAL: RGBColor = RGBColor(150, 150, 150);
pub(crate) const POINT: RGBColor = RGBColor(31, 100, 170);
pub(crate) const HIST: RGBColor = RGBColor(160, 194, 225);
pub(crate) const LABEL: RGBColor = RGBColor(70, 70, 70);

pub(crate) fn font(size: f64, style: FontStyle) -> FontDesc<'static> {
    FontDesc::new(FontFamily::SansSerif, size, style)
}

pub(crate) fn text_style(size: f64, color: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    TextStyle {
        font: font(size, FontStyle::Normal),
        color: color.to_backend_color(),
        pos: Pos::new(h, v),
    }
}

/// Pixel rectangle, inclusive-exclusive: [x0, x1) x [y0, y1).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rect {
    pub(crate) x0: f64,
    pub(crate) y0: f64,
    pub(crate) x1: f64,
    pub(crate) y1: f64,
}

impl Rect {
    pub(crate) fn new(x0: f64, y0: f64, w: f64, h: f64) -> Self {
        Rect {
            x0,
            y0,
            x1: x0 + w,
            y1: y0 + h,
        }
    }
    pub(crate) fn overlap(&self, o: &Rect) -> f64 {
        let w = (self.x1.min(o.x1) - self.x0.max(o.x0)).max(0.0);
        let h = (self.y1.min(o.y1) - self.y0.max(o.y0)).max(0.0);
        w * h
    }
    pub(crate) fn inside(&self, o: &Rect) -> bool {
        self.x0 >= o.x0 && self.y0 >= o.y0 && self.x1 <= o.x1 && self.y1 <= o.y1
    }
    pub(crate) fn pad(&self, p: f64) -> Rect {
        Rect {
            x0: self.x0 - p,
            y0: self.y0 - p,
            x1: self.x1 + p,
            y1: self.y1 + p,
        }
    }
}

pub(crate) fn fill_rect<DB: DrawingBackend>(
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

pub(crate) fn stroke_rect<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    r: Rect,
    color: RGBColor,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let a = (r.x0.round() as i32, r.y0.round() as i32);
    let b = (r.x1.round() as i32 - 1, r.y1.round() as i32 - 1);
    root.draw(&Rectangle::new([a, b], color.stroke_width(1)))
}

/// Sizes of the point marker and its error bar.
pub(crate) struct Marks {
    pub(crate) r: f64,
    pub(crate) halo: f64,
    pub(crate) cap: f64,
    pub(crate) bar_w: f64,
    pub(crate) cap_t: f64,
    pub(crate) color: RGBColor,
}

pub(crate) fn marks(s: f64) -> Marks {
    Marks {
        r: (5.0 * s).max(2.0),
        halo: (1.5 * s).max(1.0),
        cap: (5.0 * s).max(2.0),
        bar_w: (1.7 * s).max(1.0),
        cap_t: (1.7 * s).max(1.0),
        color: POINT,
    }
}

pub(crate) type DrawResult = Result<()>;

pub(crate) fn blend<DB: DrawingBackend>(
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
pub(crate) fn aa_rect<DB: DrawingBackend>(
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
pub(crate) fn aa_disc<DB: DrawingBackend>(
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
pub(crate) fn aa_segment<DB: DrawingBackend>(
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

pub(crate) fn aa_dashed<DB: DrawingBackend>(
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
pub(crate) fn draw_bar<DB: DrawingBackend>(
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
        m.color,
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
            m.color,
        )?;
    }
    Ok(())
}

/// Point marker: a filled disc with a thin white halo.
pub(crate) fn draw_dot<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    cx: f64,
    cy: f64,
    m: &Marks,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    aa_disc(root, (cx, cy), m.r + m.halo, WHITE)?;
    aa_disc(root, (cx, cy), m.r, m.color)
}

pub(crate) fn draw_marker<DB: DrawingBackend>(
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

// ---------------------------------------------------------------------------
// Canvas

/// Largest canvas side, in pixels.
pub(crate) const MAX_SIDE: u32 = 8192;

/// The drawing area of a chart canvas.
pub(crate) type Root<'a> = DrawingArea<TextBackend<BitMapBackend<'a>>, Shift>;

/// A rendered chart: `width * height * 3` bytes of 8-bit RGB, row-major, no
/// padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RgbImage {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl RgbImage {
    /// Encode as an 8-bit RGB PNG file.
    pub fn write_png(&self, path: &Path) -> Result<()> {
        write_png(path, &self.data, self.width, self.height)
    }
}

/// A white `width` x `height` canvas handed to `draw`.
pub(crate) fn render_canvas(
    width: u32,
    height: u32,
    draw: impl FnOnce(&Root<'_>) -> Result<()>,
) -> Result<RgbImage> {
    ensure!(
        (1..=MAX_SIDE).contains(&width) && (1..=MAX_SIDE).contains(&height),
        "chart size {width}x{height} out of range (1..={MAX_SIDE} px per side)"
    );
    let mut data = vec![255u8; width as usize * height as usize * 3];
    {
        let bitmap = BitMapBackend::with_buffer(&mut data, (width, height));
        let root = TextBackend::new(bitmap).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
    }
    Ok(RgbImage {
        width,
        height,
        data,
    })
}

// ---------------------------------------------------------------------------
// Text

/// Untrusted text made fit for one line of a chart: control and format
/// characters (bidi overrides, zero-width marks) dropped, runs of whitespace
/// folded to one space, trimmed, and cut to at most `max_chars` characters
/// (no chart line can show more; the caller adds the ellipsis by width).
pub(crate) fn clean_text(s: &str, max_chars: usize) -> String {
    let mut out = String::new();
    let mut space = false;
    let mut count = 0usize;
    for c in s.chars() {
        let format = matches!(
            c,
            '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
        );
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if c.is_control() || format {
            continue;
        }
        if space {
            out.push(' ');
            count += 1;
            space = false;
        }
        if count >= max_chars {
            break;
        }
        out.push(c);
        count += 1;
    }
    out
}

/// `text` cleaned and shortened with an ellipsis to at most `max_w` px.
pub(crate) fn fit_text(text: &str, size: f64, bold: bool, max_w: f64) -> Result<String> {
    let style = if bold {
        FontStyle::Bold
    } else {
        FontStyle::Normal
    };
    Ok(truncate_to_width(
        &clean_text(text, 400),
        size as f32,
        style,
        max_w.max(0.0) as f32,
    )?)
}

/// Width in px of `text` at `size` (regular weight).
pub(crate) fn text_w(text: &str, size: f64) -> Result<f64> {
    Ok(measure_text(text, size as f32)?.0 as f64)
}

/// Height of the line box at `size`.
pub(crate) fn line_h(size: f64) -> Result<f64> {
    Ok(measure_text("Ag", size as f32)?.1 as f64)
}

/// Draw one line of text anchored at `at`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn label<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    size: f64,
    color: RGBColor,
    bold: bool,
    h: HPos,
    v: VPos,
    at: (f64, f64),
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let style = TextStyle {
        font: font(
            size,
            if bold {
                FontStyle::Bold
            } else {
                FontStyle::Normal
            },
        ),
        color: color.to_backend_color(),
        pos: Pos::new(h, v),
    };
    root.draw_text(text, &style, (at.0.round() as i32, at.1.round() as i32))?;
    Ok(())
}

/// Page margins and type sizes shared by all charts at scale `s` (1 = the
/// 900 px reference of the reliability diagram).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Page {
    pub(crate) s: f64,
    pub(crate) margin_l: f64,
    pub(crate) margin_r: f64,
    pub(crate) margin_t: f64,
    pub(crate) margin_b: f64,
    pub(crate) title: f64,
    pub(crate) subtitle: f64,
    pub(crate) tick: f64,
    pub(crate) desc: f64,
    pub(crate) small: f64,
    pub(crate) tick_len: f64,
}

impl Page {
    pub(crate) fn new(s: f64) -> Self {
        Page {
            s,
            margin_l: 14.0 * s,
            margin_r: 30.0 * s,
            margin_t: 16.0 * s,
            margin_b: 10.0 * s,
            title: 22.0 * s,
            subtitle: 14.5 * s,
            tick: 12.5 * s,
            desc: 14.5 * s,
            small: 12.0 * s,
            tick_len: (4.0 * s).round().max(2.0),
        }
    }

    /// Height taken by the title block (title, subtitle, `extra_lines`
    /// lines of small print, and the gap below).
    pub(crate) fn header_h(&self, extra_lines: usize) -> Result<f64> {
        let mut h = self.margin_t + line_h(self.title)? + 4.0 * self.s + line_h(self.subtitle)?;
        if extra_lines > 0 {
            h += extra_lines as f64 * (line_h(self.small)? + 3.0 * self.s) + 2.0 * self.s;
        }
        Ok(h + 16.0 * self.s)
    }
}

/// Title (bold), subtitle with `suffix` appended after " · " (the subtitle is
/// shortened first, so the suffix always shows), and optional lines of small print
/// (`notes`) in a page `width` px wide. Returns the y where content starts.
pub(crate) fn draw_header<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    page: &Page,
    width: f64,
    title: &str,
    subtitle: &str,
    suffix: &str,
    notes: &[&str],
) -> Result<f64>
where
    DB::ErrorType: 'static,
{
    let s = page.s;
    let text_w_max = (width - page.margin_l - page.margin_r).max(0.0);
    let title = fit_text(title, page.title, true, text_w_max)?;
    label(
        root,
        &title,
        page.title,
        INK,
        true,
        HPos::Left,
        VPos::Top,
        (page.margin_l, page.margin_t),
    )?;
    let sub_y = page.margin_t + line_h(page.title)? + 4.0 * s;
    let suffix = fit_text(suffix, page.subtitle, false, text_w_max)?;
    let line = if suffix.is_empty() {
        fit_text(subtitle, page.subtitle, false, text_w_max)?
    } else {
        let joined = format!(" · {suffix}");
        let room = text_w_max - text_w(&joined, page.subtitle)?;
        let sub = fit_text(subtitle, page.subtitle, false, room)?;
        if sub.is_empty() {
            suffix
        } else {
            sub + &joined
        }
    };
    label(
        root,
        &line,
        page.subtitle,
        SUBTLE,
        false,
        HPos::Left,
        VPos::Top,
        (page.margin_l, sub_y),
    )?;
    let mut y = sub_y + line_h(page.subtitle)?;
    if !notes.is_empty() {
        y += 2.0 * s;
        for n in notes {
            y += 3.0 * s;
            let n = fit_text(n, page.small, false, text_w_max)?;
            label(
                root,
                &n,
                page.small,
                LABEL,
                false,
                HPos::Left,
                VPos::Top,
                (page.margin_l, y),
            )?;
            y += line_h(page.small)?;
        }
    }
    Ok(y + 16.0 * s)
}

// ---------------------------------------------------------------------------
// Scales and axes

/// Linear map from data `d0..d1` to pixels `p0..p1` (p1 < p0 for y axes).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scale {
    pub(crate) d0: f64,
    pub(crate) d1: f64,
    pub(crate) p0: f64,
    pub(crate) p1: f64,
}

impl Scale {
    pub(crate) fn px(&self, v: f64) -> f64 {
        let span = self.d1 - self.d0;
        if span.abs() <= 1e-300 || span.is_nan() || !v.is_finite() {
            return (self.p0 + self.p1) / 2.0;
        }
        self.p0 + (v - self.d0) / span * (self.p1 - self.p0)
    }
}

/// A "nice" tick step (1, 2, 2.5 or 5 x 10^k) giving at most `max_intervals`
/// intervals over `span`.
pub(crate) fn nice_step(span: f64, max_intervals: usize) -> f64 {
    if !(span.is_finite() && span > 0.0) {
        return 1.0;
    }
    let raw = span / max_intervals.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * mag)
}

/// Multiples of `step` within `lo..=hi` (with a little tolerance).
pub(crate) fn tick_values(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite() && step.is_finite() && step > 0.0) || hi < lo {
        return Vec::new();
    }
    let k0 = (lo / step - 1e-6).ceil() as i64;
    let k1 = (hi / step + 1e-6).floor() as i64;
    (k0..=k1.min(k0 + 1000)).map(|k| k as f64 * step).collect()
}

/// Tick label with as many decimals as `step` needs; never "-0.0" nor float
/// noise.
pub(crate) fn fmt_tick(v: f64, step: f64) -> String {
    let mut decimals = 0usize;
    while decimals < 6 {
        let scaled = step * 10f64.powi(decimals as i32);
        if (scaled - scaled.round()).abs() < 1e-6 * scaled.abs().max(1.0) {
            break;
        }
        decimals += 1;
    }
    let v = if v.abs() < step * 1e-9 { 0.0 } else { v };
    format!("{v:.decimals$}")
}

/// 1-px grid lines at the given pixel columns (`vertical`) or rows.
pub(crate) fn grid_lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    plot: Rect,
    at: &[f64],
    vertical: bool,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    for p in at {
        let c = (p - 0.5).round();
        let r = if vertical {
            Rect::new(c, plot.y0, 1.0, plot.y1 - plot.y0)
        } else {
            Rect::new(plot.x0, c, plot.x1 - plot.x0, 1.0)
        };
        fill_rect(root, r, GRID.filled())?;
    }
    Ok(())
}

/// Where an axis' tick marks and labels go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Bottom,
    Top,
    Left,
}

/// Outward tick marks at every tick, and labels (an empty label draws no
/// text). With `thin`, labels are thinned to every k-th (k from 1, 2, 3, 4,
/// 5, 6, 10, 12, ...) so that none collide. Returns the extent of the labels
/// away from the plot: their height for x axes, the widest label for y axes.
pub(crate) fn axis_ticks<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    page: &Page,
    plot: Rect,
    side: Side,
    ticks: &[(f64, String)],
    thin: bool,
) -> Result<f64>
where
    DB::ErrorType: 'static,
{
    let s = page.s;
    let size = page.tick;
    let th = measure_text("0", size as f32)?.1 as f64;
    let mut widths = Vec::with_capacity(ticks.len());
    for (_, t) in ticks {
        widths.push(text_w(t, size)?);
    }
    let gaps: Vec<f64> = ticks.windows(2).map(|p| (p[1].0 - p[0].0).abs()).collect();
    let min_gap = gaps.iter().copied().fold(f64::INFINITY, f64::min);
    let need = match side {
        Side::Left => th + 2.0 * s,
        _ => widths.iter().copied().fold(0.0, f64::max) + 8.0 * s,
    };
    let stride = [
        1usize, 2, 3, 4, 5, 6, 10, 12, 20, 24, 50, 100, 200, 500, 1000,
    ]
    .into_iter()
    .find(|k| !thin || !min_gap.is_finite() || *k as f64 * min_gap >= need)
    .unwrap_or(usize::MAX);
    let axis = AXIS.filled();
    let mut extent = 0.0f64;
    for (i, ((p, t), w)) in ticks.iter().zip(&widths).enumerate() {
        let c = (p - 0.5).round();
        let show = i % stride == 0 && !t.is_empty();
        match side {
            Side::Bottom | Side::Top => {
                let y = if side == Side::Bottom {
                    plot.y1
                } else {
                    plot.y0 - page.tick_len
                };
                fill_rect(root, Rect::new(c, y, 1.0, page.tick_len), axis)?;
                if show {
                    let (ty, v) = if side == Side::Bottom {
                        (plot.y1 + page.tick_len + 3.0 * s, VPos::Top)
                    } else {
                        (plot.y0 - page.tick_len - 3.0 * s, VPos::Bottom)
                    };
                    label(root, t, size, TICK_TEXT, false, HPos::Center, v, (c, ty))?;
                    extent = extent.max(th);
                }
            }
            Side::Left => {
                fill_rect(
                    root,
                    Rect::new(plot.x0 - page.tick_len, c, page.tick_len, 1.0),
                    axis,
                )?;
                if show {
                    label(
                        root,
                        t,
                        size,
                        TICK_TEXT,
                        false,
                        HPos::Right,
                        VPos::Center,
                        (plot.x0 - page.tick_len - 4.0 * s, c),
                    )?;
                    extent = extent.max(*w);
                }
            }
        }
    }
    Ok(extent)
}

/// Space needed beside a plot for tick labels of `extent` px plus the
/// tick marks and gaps (as laid out by [`axis_ticks`]).
pub(crate) fn tick_space(page: &Page, extent: f64) -> f64 {
    page.tick_len + 4.0 * page.s + extent
}

/// Axis title centred below the x tick labels of `plot`.
pub(crate) fn x_title<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    page: &Page,
    plot: Rect,
    text: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let th = measure_text("0", page.tick as f32)?.1 as f64;
    let y = plot.y1 + page.tick_len + 3.0 * page.s + th + 7.0 * page.s;
    label(
        root,
        text,
        page.desc,
        INK,
        false,
        HPos::Center,
        VPos::Top,
        ((plot.x0 + plot.x1) / 2.0, y),
    )
}

/// Rotated axis title left of y tick labels that are `widest` px wide.
pub(crate) fn y_title<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    page: &Page,
    plot: Rect,
    widest: f64,
    text: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let s = page.s;
    let style =
        text_style(page.desc, INK, HPos::Center, VPos::Bottom).transform(FontTransform::Rotate270);
    let x = plot.x0 - page.tick_len - 4.0 * s - widest - 9.0 * s;
    let text = fit_text(text, page.desc, false, plot.y1 - plot.y0)?;
    root.draw_text(
        &text,
        &style,
        (x.round() as i32, ((plot.y0 + plot.y1) / 2.0).round() as i32),
    )?;
    Ok(())
}

/// Space needed below a plot for x tick labels and an axis title.
pub(crate) fn x_axis_space(page: &Page, with_title: bool) -> Result<f64> {
    let th = measure_text("0", page.tick as f32)?.1 as f64;
    let mut h = page.tick_len + 3.0 * page.s + th;
    if with_title {
        h += 7.0 * page.s + line_h(page.desc)? + 2.0 * page.s;
    }
    Ok(h.ceil())
}

/// Space needed left of a plot for y tick labels `widest` px wide and a
/// rotated axis title.
pub(crate) fn y_axis_space(page: &Page, widest: f64) -> Result<f64> {
    Ok((tick_space(page, widest) + 9.0 * page.s + line_h(page.desc)? + 4.0 * page.s).ceil())
}

// ---------------------------------------------------------------------------
// Anti-aliased coverage masks

/// Coverage (0..1) of the pixels of a clip rectangle; shapes are merged with
/// `max`, so overlapping parts of one shape (polyline joints, a marker's
/// halo) are painted once, with clean joins, then blended in one pass.
pub(crate) struct Coverage {
    x0: i32,
    y0: i32,
    w: usize,
    h: usize,
    cov: Vec<f32>,
}

impl Coverage {
    /// An empty mask over `clip`, intersected with the `canvas` size.
    pub(crate) fn new(clip: Rect, canvas: (u32, u32)) -> Self {
        let x0 = clip.x0.floor().clamp(0.0, canvas.0 as f64) as i32;
        let y0 = clip.y0.floor().clamp(0.0, canvas.1 as f64) as i32;
        let x1 = clip.x1.ceil().clamp(0.0, canvas.0 as f64) as i32;
        let y1 = clip.y1.ceil().clamp(0.0, canvas.1 as f64) as i32;
        let w = (x1 - x0).max(0) as usize;
        let h = (y1 - y0).max(0) as usize;
        Coverage {
            x0,
            y0,
            w,
            h,
            cov: vec![0.0; w * h],
        }
    }

    /// Pixel index range (half-open) of [lo, hi] within the mask along one axis.
    fn span(lo: f64, hi: f64, origin: i32, len: usize) -> (usize, usize) {
        if !(lo.is_finite() && hi.is_finite()) {
            return (0, 0);
        }
        let a = (lo.floor() as i64 - origin as i64).clamp(0, len as i64) as usize;
        let b = (hi.ceil() as i64 - origin as i64 + 1).clamp(0, len as i64) as usize;
        (a, b.max(a))
    }

    fn put(&mut self, ix: usize, iy: usize, c: f64) {
        let cell = &mut self.cov[iy * self.w + ix];
        *cell = cell.max(c.clamp(0.0, 1.0) as f32);
    }

    /// A segment of width `w` with round caps.
    pub(crate) fn capsule(&mut self, a: (f64, f64), b: (f64, f64), w: f64) {
        let m = w / 2.0 + 1.0;
        let (ix0, ix1) = Self::span(a.0.min(b.0) - m, a.0.max(b.0) + m, self.x0, self.w);
        let (iy0, iy1) = Self::span(a.1.min(b.1) - m, a.1.max(b.1) + m, self.y0, self.h);
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len2 = dx * dx + dy * dy;
        for iy in iy0..iy1 {
            let py = (self.y0 + iy as i32) as f64 + 0.5;
            for ix in ix0..ix1 {
                let px = (self.x0 + ix as i32) as f64 + 0.5;
                let t = if len2 > 1e-12 {
                    (((px - a.0) * dx + (py - a.1) * dy) / len2).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let (qx, qy) = (a.0 + t * dx - px, a.1 + t * dy - py);
                let d = (qx * qx + qy * qy).sqrt();
                let c = w / 2.0 + 0.5 - d;
                if c > 0.0 {
                    self.put(ix, iy, c);
                }
            }
        }
    }

    /// A polyline of width `w` with round joins and caps.
    pub(crate) fn polyline(&mut self, pts: &[(f64, f64)], w: f64) {
        match pts {
            [] => {}
            [p] => self.capsule(*p, *p, w),
            _ => {
                for p in pts.windows(2) {
                    self.capsule(p[0], p[1], w);
                }
            }
        }
    }

    /// A dashed straight line (`dash` on, `gap` off), flat-ended dashes.
    pub(crate) fn dashed(&mut self, a: (f64, f64), b: (f64, f64), w: f64, dash: f64, gap: f64) {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len = (dx * dx + dy * dy).sqrt();
        if len.is_nan() || len <= 1e-9 || dash.is_nan() || dash <= 0.0 {
            return;
        }
        let p = |t: f64| (a.0 + dx * t / len, a.1 + dy * t / len);
        let mut t = 0.0;
        while t < len {
            let t1 = (t + dash).min(len);
            // Round caps would lengthen the dash by w; shorten to compensate.
            let (s0, s1) = (t + w / 2.0, t1 - w / 2.0);
            if s1 > s0 {
                self.capsule(p(s0), p(s1), w);
            } else {
                self.capsule(p((t + t1) / 2.0), p((t + t1) / 2.0), w);
            }
            t += dash + gap.max(1.0);
        }
    }

    /// A filled disc.
    pub(crate) fn disc(&mut self, c: (f64, f64), r: f64) {
        self.capsule(c, c, 2.0 * r);
    }

    /// A filled polygon (even-odd rule), 5 sub-scanlines per pixel row and
    /// exact horizontal coverage.
    pub(crate) fn polygon(&mut self, pts: &[(f64, f64)]) {
        if pts.len() < 3 || pts.iter().any(|p| !(p.0.is_finite() && p.1.is_finite())) {
            return;
        }
        let (mut ylo, mut yhi) = (f64::INFINITY, f64::NEG_INFINITY);
        let (mut xlo, mut xhi) = (f64::INFINITY, f64::NEG_INFINITY);
        for p in pts {
            ylo = ylo.min(p.1);
            yhi = yhi.max(p.1);
            xlo = xlo.min(p.0);
            xhi = xhi.max(p.0);
        }
        let (iy0, iy1) = Self::span(ylo, yhi, self.y0, self.h);
        let (ix0, ix1) = Self::span(xlo, xhi, self.x0, self.w);
        if ix1 <= ix0 {
            return;
        }
        const SUB: usize = 5;
        let mut acc = vec![0.0f64; ix1 - ix0];
        let mut xs: Vec<f64> = Vec::new();
        for iy in iy0..iy1 {
            acc.iter_mut().for_each(|a| *a = 0.0);
            for k in 0..SUB {
                let y = (self.y0 + iy as i32) as f64 + (k as f64 + 0.5) / SUB as f64;
                xs.clear();
                for i in 0..pts.len() {
                    let (a, b) = (pts[i], pts[(i + 1) % pts.len()]);
                    if (a.1 <= y && b.1 > y) || (b.1 <= y && a.1 > y) {
                        xs.push(a.0 + (y - a.1) / (b.1 - a.1) * (b.0 - a.0));
                    }
                }
                xs.sort_by(f64::total_cmp);
                for pair in xs.chunks_exact(2) {
                    let (xa, xb) = (pair[0], pair[1]);
                    let (ja, jb) = Self::span(xa, xb, self.x0, self.w);
                    for j in ja.max(ix0)..jb.min(ix1) {
                        let px = (self.x0 + j as i32) as f64;
                        let o = (xb.min(px + 1.0) - xa.max(px)).clamp(0.0, 1.0);
                        acc[j - ix0] += o / SUB as f64;
                    }
                }
            }
            for (j, a) in acc.iter().enumerate() {
                if *a > 0.0 {
                    self.put(ix0 + j, iy, *a);
                }
            }
        }
    }

    /// Blend `color` at `alpha` times the coverage onto `root`.
    pub(crate) fn paint<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        color: RGBColor,
        alpha: f64,
    ) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        for iy in 0..self.h {
            for ix in 0..self.w {
                let c = self.cov[iy * self.w + ix] as f64 * alpha;
                if c > 1.0 / 256.0 {
                    root.draw_pixel(
                        (self.x0 + ix as i32, self.y0 + iy as i32),
                        &color.mix(c.min(1.0)),
                    )?;
                }
            }
        }
        Ok(())
    }
}

/// Marker shapes for telling series apart beyond colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Circle,
    Square,
    Triangle,
    Diamond,
}

impl Shape {
    pub(crate) const ALL: [Shape; 4] = [
        Shape::Circle,
        Shape::Square,
        Shape::Triangle,
        Shape::Diamond,
    ];

    /// Add the shape of "radius" `r` (equal visual weight across shapes)
    /// centred at `c`.
    pub(crate) fn add(&self, cov: &mut Coverage, c: (f64, f64), r: f64) {
        let (x, y) = c;
        match self {
            Shape::Circle => cov.disc(c, r),
            Shape::Square => {
                let h = r * 0.886;
                cov.polygon(&[
                    (x - h, y - h),
                    (x + h, y - h),
                    (x + h, y + h),
                    (x - h, y + h),
                ]);
            }
            Shape::Triangle => {
                let h = r * 1.3;
                cov.polygon(&[
                    (x, y - h),
                    (x + h * 0.866, y + h * 0.5),
                    (x - h * 0.866, y + h * 0.5),
                ]);
            }
            Shape::Diamond => {
                let h = r * 1.2;
                cov.polygon(&[(x, y - h), (x + h, y), (x, y + h), (x - h, y)]);
            }
        }
    }
}

/// Categorical palette for series on white (Okabe–Ito without yellow and
/// black, then four more distinct hues).
pub(crate) const PALETTE: [RGBColor; 10] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(213, 94, 0),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(140, 86, 75),
    RGBColor(120, 94, 200),
    RGBColor(150, 150, 30),
    RGBColor(23, 160, 175),
];

/// Grey for muted items (unranked rows, reference lines' labels).
pub(crate) const MUTED: RGBColor = RGBColor(150, 150, 150);

/// A count with thousands separators: 12345 -> "12,345".
pub(crate) fn fmt_count(n: u128) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Ticks for counts from 0 to at least `max`: integer steps (1, 2, 5 x 10^k)
/// giving at most ~`intervals` intervals, and the axis top (a little above
/// the largest value, at least one step).
pub(crate) fn count_axis(max: f64, intervals: usize) -> (Vec<f64>, f64) {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    let raw = max / intervals.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag)
        .round()
        .max(1.0);
    let top = (max * 1.12).max(step);
    (tick_values(0.0, top, step), top)
}

/// Label for a count tick value.
pub(crate) fn fmt_count_tick(v: f64) -> String {
    if (0.0..1e30).contains(&v) {
        fmt_count(v.round() as u128)
    } else {
        String::new()
    }
}

/// A boxed note centred in `area` (e.g. "No forecasts"), in the style of the
/// reliability diagram's empty state.
pub(crate) fn centred_note<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    page: &Page,
    area: Rect,
    note: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let s = page.s;
    let size = 17.0 * s;
    let note = fit_text(note, size, false, (area.x1 - area.x0 - 30.0 * s).max(0.0))?;
    let (nw, nh) = measure_text(&note, size as f32)?;
    let (cx, cy) = ((area.x0 + area.x1) / 2.0, (area.y0 + area.y1) / 2.0);
    let bx = Rect::new(
        cx - nw as f64 / 2.0 - 14.0 * s,
        cy - nh as f64 / 2.0 - 9.0 * s,
        nw as f64 + 28.0 * s,
        nh as f64 + 18.0 * s,
    );
    fill_rect(root, bx, WHITE.filled())?;
    stroke_rect(root, bx, RGBColor(205, 205, 205))?;
    label(
        root,
        &note,
        size,
        SUBTLE,
        false,
        HPos::Center,
        VPos::Center,
        (cx, cy),
    )
}
