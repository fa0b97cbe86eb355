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
