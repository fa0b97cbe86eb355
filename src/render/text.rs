//! Text layout and rendering from the embedded DejaVu Sans font.
//!
//! plotters 0.3.7 ships an `ab_glyph` text path that drops each glyph's left
//! side bearing and truncates the pen position to whole pixels, which makes
//! letter spacing visibly uneven. [`TextBackend`] wraps any plotters drawing
//! backend, delegates every primitive to it, and replaces `draw_text` and
//! `estimate_text_size` with a layout done here directly with `ab_glyph`:
//!
//! * the font size of a style is the em size in pixels (like CSS `px`);
//! * pen positions are accumulated in `f32` (advance + kerning), never rounded
//!   per glyph; the outlines are rasterised at their exact sub-pixel positions,
//!   so side bearings are kept;
//! * coverage of all glyphs of a string is merged into one mask that is
//!   alpha-blended with the text colour, then rotated by multiples of 90°
//!   (which maps pixels onto pixels exactly) for vertical labels.
//!
//! No system font is ever consulted.

use std::error::Error;
use std::fmt;
use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont, point};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
    FontStyle, FontTransform,
};

/// The embedded font (DejaVu Sans, Bitstream Vera derived licence).
pub static FONT_BYTES: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/fonts/DejaVuSans.ttf"
));

/// Family name under which the embedded font is registered with plotters.
pub const FONT_FAMILY: &str = "sans-serif";

/// Errors from the text layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextError {
    /// The embedded font could not be parsed.
    InvalidFont,
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TextError::InvalidFont => write!(f, "the embedded font could not be parsed"),
        }
    }
}

impl Error for TextError {}

/// The parsed embedded font.
pub fn font() -> Result<&'static FontRef<'static>, TextError> {
    static FONT: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FONT.get_or_init(|| FontRef::try_from_slice(FONT_BYTES).ok())
        .as_ref()
        .ok_or(TextError::InvalidFont)
}

/// Register the embedded font with plotters under [`FONT_FAMILY`] (and
/// "serif"/"monospace", so no lookup can fail), in case any plotters code path
/// renders text itself. Idempotent.
pub fn register_fonts() -> Result<(), TextError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        ["sans-serif", "serif", "monospace"]
            .iter()
            .all(|name| plotters::style::register_font(name, FontStyle::Normal, FONT_BYTES).is_ok())
    });
    if ok {
        Ok(())
    } else {
        Err(TextError::InvalidFont)
    }
}

/// One positioned glyph of a [`TextLayout`].
#[derive(Debug, Clone, Copy)]
pub struct PlacedGlyph {
    pub id: GlyphId,
    /// Pen x position (left of the glyph's advance box), in px from the start.
    pub x: f32,
}

/// A laid-out single line of text, in px, with the origin at the pen start on
/// the baseline.
#[derive(Debug, Clone)]
pub struct TextLayout {
    pub glyphs: Vec<PlacedGlyph>,
    pub scale: PxScale,
    /// Sum of advances and kerning (plus faux-bold widening).
    pub width: f32,
    /// Distance from the top of the line box to the baseline (positive).
    pub ascent: f32,
    /// Distance from the baseline to the bottom of the line box (positive).
    pub descent: f32,
    /// Horizontal offset used for faux bold (0 for regular text).
    pub embolden: f32,
}

impl TextLayout {
    /// Height of the line box: ascent + descent.
    pub fn height(&self) -> f32 {
        self.ascent + self.descent
    }
}

/// ab_glyph scale for an em size of `size_px` pixels.
pub fn px_scale(font: &FontRef<'_>, size_px: f32) -> PxScale {
    let upem = font.units_per_em().unwrap_or(1000.0);
    let h = font.height_unscaled();
    let size_px = if size_px.is_finite() && size_px > 0.0 {
        size_px
    } else {
        1.0
    };
    if h > 0.0 && upem > 0.0 {
        PxScale::from(size_px * h / upem)
    } else {
        PxScale::from(size_px)
    }
}

fn embolden_for(style: FontStyle, size_px: f32) -> f32 {
    match style {
        FontStyle::Bold => (size_px * 0.045).max(0.6),
        _ => 0.0,
    }
}

/// Lay out `text` on one line at em size `size_px` (control characters are
/// skipped; characters missing from the font show the font's .notdef box).
pub fn layout_text(
    font: &FontRef<'static>,
    text: &str,
    size_px: f32,
    style: FontStyle,
) -> TextLayout {
    let scale = px_scale(font, size_px);
    let scaled = font.as_scaled(scale);
    let embolden = embolden_for(style, size_px);
    let mut glyphs = Vec::with_capacity(text.len());
    let mut pen = 0.0f32;
    let mut prev: Option<GlyphId> = None;
    for c in text.chars().filter(|c| !c.is_control()) {
        let id = scaled.glyph_id(c);
        if let Some(p) = prev {
            pen += scaled.kern(p, id);
        }
        glyphs.push(PlacedGlyph { id, x: pen });
        pen += scaled.h_advance(id) + embolden;
        prev = Some(id);
    }
    TextLayout {
        glyphs,
        scale,
        width: pen.max(0.0),
        ascent: scaled.ascent(),
        descent: -scaled.descent(),
        embolden,
    }
}

/// Width and height (line box) in px of `text` at em size `size_px`.
pub fn measure_text(text: &str, size_px: f32) -> Result<(f32, f32), TextError> {
    let l = layout_text(font()?, text, size_px, FontStyle::Normal);
    Ok((l.width, l.height()))
}

/// Shorten `text` with a trailing ellipsis so that it is at most `max_width`
/// px wide at `size_px`. Returns the text unchanged when it fits.
pub fn truncate_to_width(
    text: &str,
    size_px: f32,
    style: FontStyle,
    max_width: f32,
) -> Result<String, TextError> {
    let font = font()?;
    let fits = |s: &str| layout_text(font, s, size_px, style).width <= max_width.max(0.0);
    if fits(text) {
        return Ok(text.to_string());
    }
    let chars: Vec<char> = text.chars().collect();
    // Binary search the longest prefix that fits together with the ellipsis.
    let (mut lo, mut hi) = (0usize, chars.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let cand: String = chars[..mid]
            .iter()
            .collect::<String>()
            .trim_end()
            .to_string()
            + "…";
        if fits(&cand) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let prefix: String = chars[..lo].iter().collect();
    let prefix = prefix.trim_end();
    if prefix.is_empty() {
        Ok(if fits("…") {
            "…".to_string()
        } else {
            String::new()
        })
    } else {
        Ok(format!("{prefix}…"))
    }
}

/// A coverage mask in text-local pixel coordinates.
struct Mask {
    x0: i32,
    y0: i32,
    w: usize,
    h: usize,
    cov: Vec<f32>,
}

/// Rasterise a layout with its pen start at local position (`ox`, `baseline`).
fn rasterize(font: &FontRef<'static>, layout: &TextLayout, ox: f32, baseline: f32) -> Mask {
    let scaled = font.as_scaled(layout.scale);
    let passes: &[f32] = if layout.embolden > 0.0 {
        &[0.0, layout.embolden * 0.5, layout.embolden]
    } else {
        &[0.0]
    };
    let mut outlined = Vec::new();
    for g in &layout.glyphs {
        for &shift in passes {
            let glyph =
                g.id.with_scale_and_position(layout.scale, point(ox + g.x + shift, baseline));
            if let Some(o) = scaled.outline_glyph(glyph) {
                outlined.push(o);
            }
        }
    }
    let mut x0 = i32::MAX;
    let mut y0 = i32::MAX;
    let mut x1 = i32::MIN;
    let mut y1 = i32::MIN;
    for o in &outlined {
        let b = o.px_bounds();
        x0 = x0.min(b.min.x as i32);
        y0 = y0.min(b.min.y as i32);
        x1 = x1.max(b.max.x as i32);
        y1 = y1.max(b.max.y as i32);
    }
    if outlined.is_empty() || x1 <= x0 || y1 <= y0 {
        return Mask {
            x0: 0,
            y0: 0,
            w: 0,
            h: 0,
            cov: Vec::new(),
        };
    }
    let w = (x1 - x0) as usize;
    let h = (y1 - y0) as usize;
    let mut cov = vec![0.0f32; w * h];
    for o in &outlined {
        let b = o.px_bounds();
        let bx = b.min.x as i32 - x0;
        let by = b.min.y as i32 - y0;
        o.draw(|x, y, c| {
            let px = bx + x as i32;
            let py = by + y as i32;
            if px >= 0 && py >= 0 && (px as usize) < w && (py as usize) < h {
                let cell = &mut cov[py as usize * w + px as usize];
                // Union of overlapping glyphs: keep the larger coverage so
                // overlaps are not blended twice.
                *cell = cell.max(c.clamp(0.0, 1.0));
            }
        });
    }
    Mask { x0, y0, w, h, cov }
}

/// Map the local pixel (x, y) (covering [x, x+1) x [y, y+1)) through a
/// rotation, returning the device pixel offset it lands on.
fn rotate_pixel(t: &FontTransform, x: i32, y: i32) -> (i32, i32) {
    match t {
        FontTransform::None => (x, y),
        FontTransform::Rotate90 => (-y - 1, x),
        FontTransform::Rotate180 => (-x - 1, -y - 1),
        FontTransform::Rotate270 => (y, -x - 1),
    }
}

/// Offset from the anchor point to the top-left of the line box, in local
/// (unrotated) coordinates.
fn anchor_offset(h: HPos, v: VPos, width: f32, height: f32) -> (f32, f32) {
    let dx = match h {
        HPos::Left => 0.0,
        HPos::Center => -width / 2.0,
        HPos::Right => -width,
    };
    let dy = match v {
        VPos::Top => 0.0,
        VPos::Center => -height / 2.0,
        VPos::Bottom => -height,
    };
    (dx, dy)
}

/// Draw `text` through `draw_pixel` callbacks. `pos` is the anchor point;
/// the anchor is relative to the text regardless of rotation (plotters'
/// convention). Pixels are reported with coverage-scaled alpha.
#[allow(clippy::too_many_arguments)]
pub fn draw_text_with<E>(
    text: &str,
    size_px: f32,
    style: FontStyle,
    color: BackendColor,
    h: HPos,
    v: VPos,
    transform: &FontTransform,
    pos: (i32, i32),
    mut put: impl FnMut((i32, i32), BackendColor) -> Result<(), E>,
) -> Result<Result<(), E>, TextError> {
    if color.alpha <= 0.0 || text.is_empty() {
        return Ok(Ok(()));
    }
    let font = font()?;
    let layout = layout_text(font, text, size_px, style);
    let (dx, dy) = anchor_offset(h, v, layout.width, layout.height());
    // Whole-string origin is snapped to the pixel grid (keeps baselines and
    // left edges crisp); glyphs inside the string keep fractional positions.
    let ox = dx.round();
    let baseline = (dy + layout.ascent).round();
    let mask = rasterize(font, &layout, ox, baseline);
    for my in 0..mask.h {
        for mx in 0..mask.w {
            let c = mask.cov[my * mask.w + mx];
            if c <= 1.0 / 512.0 {
                continue;
            }
            let lx = mask.x0 + mx as i32;
            let ly = mask.y0 + my as i32;
            let (rx, ry) = rotate_pixel(transform, lx, ly);
            let p = (pos.0 + rx, pos.1 + ry);
            if let Err(e) = put(p, color.mix(c as f64)) {
                return Ok(Err(e));
            }
        }
    }
    Ok(Ok(()))
}

/// A drawing backend that delegates everything to `inner` except text, which
/// it lays out and rasterises itself from the embedded font.
pub struct TextBackend<DB: DrawingBackend> {
    inner: DB,
}

impl<DB: DrawingBackend> TextBackend<DB> {
    pub fn new(inner: DB) -> Self {
        // Registration failure only matters for plotters' own text path, which
        // this backend never uses; the font itself is checked on first draw.
        let _ = register_fonts();
        Self { inner }
    }

    pub fn into_inner(self) -> DB {
        self.inner
    }
}

fn font_err<E: Error + Send + Sync>(e: TextError) -> DrawingErrorKind<E> {
    DrawingErrorKind::FontError(Box::new(e))
}

impl<DB: DrawingBackend> DrawingBackend for TextBackend<DB> {
    type ErrorType = DB::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let anchor = style.anchor();
        let inner = &mut self.inner;
        draw_text_with(
            text,
            style.size() as f32,
            style.style(),
            style.color(),
            anchor.h_pos,
            anchor.v_pos,
            &style.transform(),
            pos,
            |p, c| inner.draw_pixel(p, c),
        )
        .map_err(font_err)?
    }

    fn estimate_text_size<TStyle: BackendTextStyle>(
        &self,
        text: &str,
        style: &TStyle,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        let font = font().map_err(font_err)?;
        let l = layout_text(font, text, style.size() as f32, style.style());
        // Size of the horizontal text, as the trait documents (plotters
        // applies rotation itself where it needs to).
        Ok((l.width.ceil() as u32, l.height().ceil() as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::prelude::*;
    use plotters::style::text_anchor::Pos;

    const W: u32 = 400;
    const H: u32 = 200;

    /// Draw `text` with `style` at `pos` on a white W x H canvas through
    /// [`TextBackend`]; returns the RGB buffer.
    fn render(text: &str, style: &TextStyle<'_>, pos: (i32, i32)) -> Vec<u8> {
        let mut buf = vec![255u8; (W * H * 3) as usize];
        {
            let root =
                TextBackend::new(BitMapBackend::with_buffer(&mut buf, (W, H))).into_drawing_area();
            root.draw_text(text, style, pos).unwrap();
            root.present().unwrap();
        }
        buf
    }

    /// Darkness (0..1) of pixel (x, y).
    fn ink(buf: &[u8], x: u32, y: u32) -> f64 {
        1.0 - buf[((y * W + x) * 3) as usize] as f64 / 255.0
    }

    /// Bounding box (x0, y0, x1, y1) inclusive of pixels with noticeable ink.
    fn ink_bbox(buf: &[u8]) -> Option<(u32, u32, u32, u32)> {
        let mut bb: Option<(u32, u32, u32, u32)> = None;
        for y in 0..H {
            for x in 0..W {
                if ink(buf, x, y) > 0.25 {
                    bb = Some(match bb {
                        None => (x, y, x, y),
                        Some((a, b, c, d)) => (a.min(x), b.min(y), c.max(x), d.max(y)),
                    });
                }
            }
        }
        bb
    }

    fn style(size: f64) -> TextStyle<'static> {
        TextStyle::from(FontDesc::new(
            FontFamily::SansSerif,
            size,
            FontStyle::Normal,
        ))
    }

    #[test]
    fn embedded_font_parses_and_registers() {
        assert!(font().is_ok());
        assert!(register_fonts().is_ok());
        assert!(register_fonts().is_ok(), "registration is idempotent");
    }

    #[test]
    fn measurement_is_monotonic_in_length() {
        let s = "Brier 0.1234 — Wavy AVAWA Tj ff fi · Ирина Ковалёва";
        let mut last = -1.0f32;
        let mut prefix = String::new();
        for c in s.chars() {
            prefix.push(c);
            let (w, h) = measure_text(&prefix, 14.0).unwrap();
            assert!(w > last, "width must grow: {prefix:?} {w} <= {last}");
            assert!(h > 0.0);
            last = w;
        }
        assert_eq!(measure_text("", 14.0).unwrap().0, 0.0);
    }

    #[test]
    fn measurement_matches_ab_glyph_advance_sum() {
        let font = font().unwrap();
        for size in [9.0f32, 12.5, 14.0, 23.3, 64.0] {
            for s in [
                "Wavy AVAWA Tj",
                "n=123",
                "Calibration — Zoë",
                "0.30000000000000004",
            ] {
                let scaled = font.as_scaled(px_scale(font, size));
                let mut expect = 0.0f32;
                let mut prev = None;
                for c in s.chars() {
                    let id = scaled.glyph_id(c);
                    if let Some(p) = prev {
                        expect += scaled.kern(p, id);
                    }
                    expect += scaled.h_advance(id);
                    prev = Some(id);
                }
                let (w, _) = measure_text(s, size).unwrap();
                assert!((w - expect).abs() < 1e-3, "{s:?}@{size}: {w} vs {expect}");
            }
        }
    }

    #[test]
    fn kerning_is_applied() {
        let font = font().unwrap();
        let scaled = font.as_scaled(px_scale(font, 40.0));
        let (a, v) = (scaled.glyph_id('A'), scaled.glyph_id('V'));
        let kern = scaled.kern(a, v);
        assert!(kern < 0.0, "DejaVu Sans kerns A-V (got {kern})");
        let (w, _) = measure_text("AV", 40.0).unwrap();
        assert!((w - (scaled.h_advance(a) + scaled.h_advance(v) + kern)).abs() < 1e-3);
    }

    #[test]
    fn em_size_is_the_style_size() {
        // The height of a capital H in DejaVu Sans is 0.729 em.
        let buf = render("H", &style(100.0), (20, 20));
        let (_, y0, _, y1) = ink_bbox(&buf).unwrap();
        let cap = (y1 - y0 + 1) as f64;
        assert!((cap - 72.9).abs() <= 2.0, "cap height {cap}");
    }

    #[test]
    fn glyph_spacing_is_even() {
        // Identical glyphs must land exactly one (fractional) advance apart:
        // the stock plotters path truncates the pen to whole pixels, giving
        // gaps that alternate between floor and ceil of the advance.
        let size = 23.0f32;
        let text = "llllllllllll";
        let buf = render(text, &style(size as f64), (10, 40));
        let font = font().unwrap();
        let adv = font
            .as_scaled(px_scale(font, size))
            .h_advance(font.glyph_id('l'));
        assert!(
            adv.fract() > 0.1 && adv.fract() < 0.9,
            "advance {adv} should be fractional"
        );
        // Column ink profile over the text's rows; stems are runs of inked columns.
        let col: Vec<f64> = (0..W)
            .map(|x| (30..80).map(|y| ink(&buf, x, y)).sum())
            .collect();
        let mut centroids = Vec::new();
        let mut x = 0usize;
        while x < col.len() {
            if col[x] > 0.0 {
                let (mut m, mut mx) = (0.0, 0.0);
                while x < col.len() && col[x] > 0.0 {
                    m += col[x];
                    mx += col[x] * (x as f64 + 0.5);
                    x += 1;
                }
                centroids.push(mx / m);
            }
            x += 1;
        }
        assert_eq!(centroids.len(), text.len());
        for pair in centroids.windows(2) {
            let d = pair[1] - pair[0];
            assert!(
                (d - adv as f64).abs() < 0.12,
                "stem spacing {d} vs advance {adv}"
            );
        }
    }

    #[test]
    fn anchors_place_the_line_box() {
        let (w, h) = measure_text("Hxg", 40.0).unwrap();
        for (hp, vp) in [
            (HPos::Left, VPos::Top),
            (HPos::Center, VPos::Center),
            (HPos::Right, VPos::Bottom),
        ] {
            let st = style(40.0).pos(Pos::new(hp, vp));
            let buf = render("Hxg", &st, (200, 100));
            let (x0, y0, x1, y1) = ink_bbox(&buf).unwrap();
            let (ex0, ey0) = match (hp, vp) {
                (HPos::Left, _) => (200.0, 100.0),
                (HPos::Center, _) => (200.0 - w / 2.0, 100.0 - h / 2.0),
                _ => (200.0 - w, 100.0 - h),
            };
            // Ink lies inside the line box, close to its left/right edges.
            assert!(
                x0 as f32 >= ex0 - 1.0 && (x0 as f32) < ex0 + 6.0,
                "x0 {x0} vs {ex0}"
            );
            assert!((x1 as f32) <= ex0 + w + 1.0 && x1 as f32 > ex0 + w - 6.0);
            assert!(y0 as f32 >= ey0 - 1.0 && (y1 as f32) <= ey0 + h + 1.0);
        }
    }

    /// Horizontal ink extent (x0, x1) of rows y0..y1.
    fn x_extent(buf: &[u8], y0: u32, y1: u32) -> (u32, u32) {
        let mut e = (u32::MAX, 0);
        for y in y0..y1 {
            for x in 0..W {
                if ink(buf, x, y) > 0.25 {
                    e = (e.0.min(x), e.1.max(x));
                }
            }
        }
        e
    }

    #[test]
    fn rotations_keep_anchor_and_orientation() {
        // "Ho": a cap-height glyph then an x-height glyph.
        let (w, h) = measure_text("Ho", 40.0).unwrap();
        for t in [FontTransform::Rotate270, FontTransform::Rotate90] {
            let is270 = matches!(t, FontTransform::Rotate270);
            let st = style(40.0)
                .pos(Pos::new(HPos::Center, VPos::Center))
                .transform(t);
            let buf = render("Ho", &st, (200, 100));
            let (x0, y0, x1, y1) = ink_bbox(&buf).unwrap();
            assert!(y1 - y0 > x1 - x0, "vertical text is taller than wide");
            let cy = (y0 + y1 + 1) as f32 / 2.0;
            assert!((cy - 100.0).abs() < 3.0, "centred on the anchor: {cy}");
            assert!(((y1 - y0 + 1) as f32) <= w + 1.0);
            // The line box (height h) is centred on x = 200.
            assert!(x0 as f32 >= 200.0 - h / 2.0 - 1.0 && x1 as f32 <= 200.0 + h / 2.0 + 1.0);
            let mid = (y0 + y1) / 2;
            let (top, bottom) = (x_extent(&buf, y0, mid), x_extent(&buf, mid + 1, y1 + 1));
            let (h_half, o_half) = if is270 { (bottom, top) } else { (top, bottom) };
            // 'H' (first letter) is the wider half: bottom for 270 (reads
            // bottom-to-top), top for 90 (reads top-to-bottom).
            assert!(h_half.1 - h_half.0 > o_half.1 - o_half.0 + 3);
            // The baseline is on the right for 270, on the left for 90, so
            // the short 'o' hugs that side.
            if is270 {
                assert!(o_half.1 + 2 >= h_half.1 && o_half.0 > h_half.0 + 5);
            } else {
                assert!(o_half.0 <= h_half.0 + 2 && o_half.1 + 5 < h_half.1);
            }
        }
    }

    #[test]
    fn estimate_matches_layout() {
        let mut buf = vec![255u8; (W * H * 3) as usize];
        let backend = TextBackend::new(BitMapBackend::with_buffer(&mut buf, (W, H)));
        let st = style(17.0);
        let (w, h) = backend.estimate_text_size("n=123", &st).unwrap();
        let (mw, mh) = measure_text("n=123", 17.0).unwrap();
        assert_eq!((w, h), (mw.ceil() as u32, mh.ceil() as u32));
    }

    #[test]
    fn truncation_adds_ellipsis_and_fits() {
        let long = "Calibration — ".to_string() + &"Extraordinarily Long Name ".repeat(10);
        let t = truncate_to_width(&long, 20.0, FontStyle::Bold, 300.0).unwrap();
        assert!(t.ends_with('…') && t.starts_with("Calibration"));
        let f = font().unwrap();
        assert!(layout_text(f, &t, 20.0, FontStyle::Bold).width <= 300.0);
        assert_eq!(
            truncate_to_width("short", 20.0, FontStyle::Normal, 300.0).unwrap(),
            "short"
        );
        assert_eq!(
            truncate_to_width("anything", 20.0, FontStyle::Normal, 0.0).unwrap(),
            ""
        );
    }
}
