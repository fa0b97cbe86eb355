//! Per-forecaster reliability diagrams as small multiples on one sheet.

use std::path::Path;

use anyhow::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::render::draw::{
    AXIS, Coverage, DIAGONAL, INK, Marks, POINT, Page, Rect, RgbImage, Root, SUBTLE, Scale, Side,
    axis_ticks, centred_note, clean_text, draw_bar, draw_dot, draw_header, fit_text, grid_lines,
    label, line_h, render_canvas, stroke_rect, text_w,
};
use crate::render::png::ReliabilityBin;

/// One forecaster's panel.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Panel {
    pub name: String,
    /// Scored forecasts.
    pub n: usize,
    pub brier: f64,
    /// Calibration bins (bins with n = 0 or non-finite values are not drawn).
    pub bins: Vec<ReliabilityBin>,
}

/// Everything drawn on the sheet.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SmallMultiples {
    pub title: String,
    pub subtitle: String,
    /// In display order (left to right, top to bottom); at most
    /// [`MAX_PANELS`] are drawn and the subtitle says how many more there are.
    pub panels: Vec<Panel>,
}

/// Most panels drawn on one sheet.
pub const MAX_PANELS: usize = 48;
/// Panels per row.
pub const COLUMNS: usize = 4;
/// Sheet width in pixels.
pub const SHEET_WIDTH: u32 = 1200;

/// Scale of the type inside panels (1 = the main charts' sizes).
const PANEL_SCALE: f64 = 0.88;
/// Axis range of a panel.
const LO: f64 = -0.04;
const HI: f64 = 1.04;

/// Render the sheet to a PNG file (size from [`small_multiples_size`]).
pub fn render_small_multiples_png(chart: &SmallMultiples, path: &Path) -> Result<()> {
    render_small_multiples_rgb(chart)?.write_png(path)
}

/// Render the sheet to an RGB image (size from [`small_multiples_size`]).
pub fn render_small_multiples_rgb(chart: &SmallMultiples) -> Result<RgbImage> {
    let (w, h) = small_multiples_size(chart)?;
    render_canvas(w, h, |root| draw(root, chart))
}

/// Geometry of the sheet.
struct Layout {
    page: Page,
    inner: Page,
    cell_w: f64,
    cell_h: f64,
    title_h: f64,
    axis_left: f64,
    axis_bottom: f64,
    side: f64,
    header_h: f64,
    rows: usize,
}

fn layout(chart: &SmallMultiples) -> Result<Layout> {
    let page = Page::new(1.0);
    let inner = Page::new(PANEL_SCALE);
    let s = inner.s;
    let shown = chart.panels.len().min(MAX_PANELS);
    let rows = shown.div_ceil(COLUMNS).max(1);
    let cell_w = (SHEET_WIDTH as f64 - page.margin_l - page.margin_r) / COLUMNS as f64;
    let title_h = line_h(inner.desc)? + 6.0 * s;
    let axis_left = (inner.tick_len + 4.0 * s + text_w("0.5", inner.tick)? + 6.0 * s).ceil();
    let axis_bottom = (inner.tick_len + 3.0 * s + line_h(inner.tick)?).ceil();
    let gap_right = 18.0 * s;
    let side = (cell_w - axis_left - gap_right).floor();
    let cell_h = (title_h + side + axis_bottom + 22.0 * s).ceil();
    Ok(Layout {
        header_h: page.header_h(usize::from(shown > 0))?,
        page,
        inner,
        cell_w,
        cell_h,
        title_h,
        axis_left,
        axis_bottom,
        side,
        rows,
    })
}

/// Sheet size in pixels: [`SHEET_WIDTH`] wide, one row of panels per
/// [`COLUMNS`] forecasters (at most [`MAX_PANELS`]).
pub fn small_multiples_size(chart: &SmallMultiples) -> Result<(u32, u32)> {
    let l = layout(chart)?;
    let h = l.header_h + l.rows as f64 * l.cell_h + l.page.margin_b;
    Ok((SHEET_WIDTH, h.ceil() as u32))
}

/// A valid bin in data coordinates.
struct Dot {
    x: f64,
    y: f64,
    ci: Option<(f64, f64)>,
    n: usize,
}

fn dots(bins: &[ReliabilityBin]) -> Vec<Dot> {
    bins.iter()
        .filter(|b| b.n > 0 && b.mean_forecast.is_finite() && b.observed.is_finite())
        .map(|b| Dot {
            x: b.mean_forecast.clamp(0.0, 1.0),
            y: b.observed.clamp(0.0, 1.0),
            ci: (b.ci_lo.is_finite() && b.ci_hi.is_finite()).then(|| {
                let (lo, hi) = (b.ci_lo.clamp(0.0, 1.0), b.ci_hi.clamp(0.0, 1.0));
                (lo.min(hi), lo.max(hi))
            }),
            n: b.n,
        })
        .collect()
}

/// Panel title: the name shortened so that " (n=12, Brier 0.183)" always fits.
fn panel_title(p: &Panel, size: f64, max_w: f64) -> Result<String> {
    let brier = if p.brier.is_finite() {
        format!("{:.3}", p.brier)
    } else {
        "–".to_string()
    };
    let suffix = format!(" (n={}, Brier {})", p.n, brier);
    let name = clean_text(&p.name, 400);
    let name = if name.is_empty() {
        "(no name)".into()
    } else {
        name
    };
    let room = max_w - text_w(&suffix, size)?;
    let name = fit_text(&name, size, false, room)?;
    fit_text(&(name + &suffix), size, false, max_w)
}

fn draw(root: &Root<'_>, chart: &SmallMultiples) -> Result<()> {
    let l = layout(chart)?;
    let (page, inner) = (l.page, l.inner);
    let s = inner.s;
    let (w, _) = root.dim_in_pixel();
    let shown = &chart.panels[..chart.panels.len().min(MAX_PANELS)];
    let more = chart.panels.len() - shown.len();
    let suffix = if more > 0 {
        format!("+{more} more not shown")
    } else {
        String::new()
    };
    let n_max = shown.iter().flat_map(|p| dots(&p.bins)).map(|d| d.n).max();
    let key = format!(
        "x: forecast probability · y: observed frequency · dot area ∝ forecasts in the bin{} \
         · bars: 95% Jeffreys intervals · dashed: perfect calibration",
        n_max
            .map(|n| format!(" (largest: {n})"))
            .unwrap_or_default()
    );
    let n_max = n_max.unwrap_or(1).max(1);
    let notes: &[&str] = if shown.is_empty() { &[] } else { &[&key] };
    let top = draw_header(
        root,
        &page,
        w as f64,
        &chart.title,
        &chart.subtitle,
        &suffix,
        notes,
    )?;
    if shown.is_empty() {
        let area = Rect::new(
            page.margin_l,
            top,
            w as f64 - page.margin_l - page.margin_r,
            l.cell_h,
        );
        return centred_note(root, &page, area, "No forecasters to show");
    }

    let ticks: Vec<f64> = (0..=4).map(|i| i as f64 * 0.25).collect();
    let labelled = |v: f64| match (v * 4.0).round() as i32 {
        0 => "0".to_string(),
        2 => "0.5".to_string(),
        4 => "1".to_string(),
        _ => String::new(),
    };
    let dims = root.dim_in_pixel();
    for (i, p) in shown.iter().enumerate() {
        let (row, col) = (i / COLUMNS, i % COLUMNS);
        let cx0 = page.margin_l + col as f64 * l.cell_w;
        let cy0 = top + row as f64 * l.cell_h;
        let plot = Rect::new(
            (cx0 + l.axis_left).round(),
            (cy0 + l.title_h).round(),
            l.side,
            l.side,
        );
        let title = panel_title(p, inner.desc, l.cell_w - 8.0 * s)?;
        label(
            root,
            &title,
            inner.desc,
            INK,
            false,
            HPos::Left,
            VPos::Top,
            (cx0 + 2.0 * s, cy0),
        )?;
        let sx = Scale {
            d0: LO,
            d1: HI,
            p0: plot.x0,
            p1: plot.x1,
        };
        let sy = Scale {
            d0: LO,
            d1: HI,
            p0: plot.y1,
            p1: plot.y0,
        };
        let xt: Vec<(f64, String)> = ticks.iter().map(|v| (sx.px(*v), labelled(*v))).collect();
        let yt: Vec<(f64, String)> = ticks.iter().map(|v| (sy.px(*v), labelled(*v))).collect();
        grid_lines(
            root,
            plot,
            &xt.iter().map(|t| t.0).collect::<Vec<_>>(),
            true,
        )?;
        grid_lines(
            root,
            plot,
            &yt.iter().map(|t| t.0).collect::<Vec<_>>(),
            false,
        )?;
        axis_ticks(root, &inner, plot, Side::Bottom, &xt, false)?;
        axis_ticks(root, &inner, plot, Side::Left, &yt, false)?;

        let mut diag = Coverage::new(plot, dims);
        diag.dashed(
            (sx.px(0.0), sy.px(0.0)),
            (sx.px(1.0), sy.px(1.0)),
            (1.2 * s).max(1.0),
            6.0 * s,
            4.0 * s,
        );
        diag.paint(root, DIAGONAL, 1.0)?;

        let ds = dots(&p.bins);
        let r_max = 7.5 * s;
        let marks_for = |n: usize| Marks {
            r: (r_max * (n as f64 / n_max as f64).sqrt()).max(2.8 * s),
            halo: (1.2 * s).max(1.0),
            cap: 3.5 * s,
            bar_w: (1.3 * s).max(1.0),
            cap_t: (1.3 * s).max(1.0),
            color: POINT,
        };
        for d in &ds {
            if let Some((lo, hi)) = d.ci {
                draw_bar(root, sx.px(d.x), sy.px(hi), sy.px(lo), &marks_for(d.n))?;
            }
        }
        // Larger dots first, so small ones stay visible on top.
        let mut order: Vec<&Dot> = ds.iter().collect();
        order.sort_by_key(|d| std::cmp::Reverse(d.n));
        for d in order {
            draw_dot(root, sx.px(d.x), sy.px(d.y), &marks_for(d.n))?;
        }
        if ds.is_empty() {
            let note = "no scored forecasts";
            let size = inner.small;
            let note = fit_text(note, size, false, l.side - 10.0 * s)?;
            let tw = text_w(&note, size)?;
            let lh = line_h(size)?;
            let (mx, my) = ((plot.x0 + plot.x1) / 2.0, (plot.y0 + plot.y1) / 2.0);
            let bx = Rect::new(
                mx - tw / 2.0 - 8.0 * s,
                my - lh / 2.0 - 5.0 * s,
                tw + 16.0 * s,
                lh + 10.0 * s,
            );
            crate::render::draw::fill_rect(root, bx, WHITE.filled())?;
            label(
                root,
                &note,
                size,
                SUBTLE,
                false,
                HPos::Center,
                VPos::Center,
                (mx, my),
            )?;
        }
        stroke_rect(root, plot, AXIS)?;
    }
    let _ = l.axis_bottom;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::charts::testutil::*;

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

    fn panel(name: &str, k: usize) -> Panel {
        Panel {
            name: name.into(),
            n: 10 * k,
            brier: 0.183,
            bins: (0..k)
                .map(|i| {
                    let m = (i as f64 + 0.5) / k as f64;
                    bin(m - 0.05, 10, m, m, ((m - 0.2).max(0.0), (m + 0.2).min(1.0)))
                })
                .collect(),
        }
    }

    fn sheet(panels: Vec<Panel>) -> SmallMultiples {
        SmallMultiples {
            title: "Calibration by forecaster".into(),
            subtitle: "forecasters with at least 10 scored forecasts".into(),
            panels,
        }
    }

    #[test]
    fn renders_png_and_grows_with_panels() {
        let c = sheet((0..6).map(|i| panel(&format!("F{i}"), 5)).collect());
        let size = small_multiples_size(&c).unwrap();
        assert_eq!(size.0, SHEET_WIDTH);
        let rgb = check_png(|p| render_small_multiples_png(&c, p), "sm.png", size);
        assert!(near(&rgb, (POINT.0, POINT.1, POINT.2), 0) > 6 * 5 * 20);
        let one = small_multiples_size(&sheet(vec![panel("a", 1)])).unwrap();
        let two_rows =
            small_multiples_size(&sheet((0..5).map(|_| panel("a", 1)).collect())).unwrap();
        assert!(two_rows.1 > one.1 + 200);
        let capped =
            small_multiples_size(&sheet((0..500).map(|_| panel("a", 1)).collect())).unwrap();
        let max =
            small_multiples_size(&sheet((0..MAX_PANELS).map(|_| panel("a", 1)).collect())).unwrap();
        assert_eq!(capped, max);
        assert!(max.1 <= crate::render::draw::MAX_SIDE);
    }

    #[test]
    fn title_keeps_counts_when_name_is_long() {
        let mut p = panel(&"Ковалёва ".repeat(40), 2);
        p.n = 1234;
        let t = panel_title(&p, 12.0, 250.0).unwrap();
        assert!(t.ends_with(" (n=1234, Brier 0.183)"), "{t}");
        assert!(t.contains('…'));
        assert!(text_w(&t, 12.0).unwrap() <= 250.0);
        p.brier = f64::NAN;
        assert!(panel_title(&p, 12.0, 250.0).unwrap().ends_with("Brier –)"));
    }

    #[test]
    fn empty_single_and_hostile_inputs_render() {
        let mut cases = vec![
            SmallMultiples::default(),
            sheet(vec![]),
            sheet(vec![panel("Solo", 1)]),
            sheet(vec![Panel::default()]),
            sheet((0..300).map(|i| panel(&i.to_string(), 3)).collect()),
        ];
        let bad = Panel {
            name: "bad".into(),
            n: usize::MAX,
            brier: f64::INFINITY,
            bins: vec![
                bin(0.0, 3, f64::NAN, 0.5, (0.1, 0.9)),
                bin(0.1, usize::MAX, 0.15, 0.2, (f64::NAN, 0.9)),
                bin(0.2, 0, 0.25, 0.3, (0.1, 0.9)),
                bin(0.4, 7, -3.0, 7.0, (0.9, 0.1)),
                bin(0.5, 1, 0.5, f64::NEG_INFINITY, (0.4, 0.6)),
            ],
        };
        cases.push(sheet(vec![bad]));
        cases.push(sheet(
            hostile_names()
                .into_iter()
                .map(|n| Panel {
                    name: n,
                    ..panel("", 4)
                })
                .collect(),
        ));
        cases.push(SmallMultiples {
            title: hostile_names().concat(),
            subtitle: hostile_names().concat(),
            panels: (0..60).map(|_| panel("x", 2)).collect(),
        });
        for c in &cases {
            let img = render_small_multiples_rgb(c).unwrap();
            assert_eq!((img.width, img.height), small_multiples_size(c).unwrap());
            assert!(non_white(&img.data) > 1000);
        }
    }
}
