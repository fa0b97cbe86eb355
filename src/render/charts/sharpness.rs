//! Sharpness histogram: how often each probability level was used.

use std::path::Path;

use anyhow::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::render::draw::{
    AXIS, LABEL, POINT, Page, Rect, RgbImage, Root, SUBTLE, Scale, Side, axis_ticks, count_axis,
    fill_rect, fmt_count, fmt_count_tick, fmt_tick, grid_lines, label, line_h, render_canvas,
    stroke_rect, text_w, tick_values, x_axis_space, x_title, y_axis_space, y_title,
};

/// Everything drawn in the sharpness histogram.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SharpnessChart {
    pub title: String,
    pub subtitle: String,
    /// Each distinct probability used, and how often. Order does not matter;
    /// equal levels are added up; levels outside [0, 1], non-finite levels and
    /// zero counts are skipped.
    pub levels: Vec<(f64, usize)>,
}

/// Canvas size in pixels.
pub const SHARPNESS_SIZE: (u32, u32) = (900, 520);
/// More distinct levels than this are binned to [`BIN_WIDTH`].
const MAX_LEVELS: usize = 60;
const BIN_WIDTH: f64 = 0.02;
/// Axis range: a little padding so bars at 0 or 1 are not cut by the frame.
const LO: f64 = -0.025;
const HI: f64 = 1.025;

/// Render `chart` to a PNG file at [`SHARPNESS_SIZE`].
pub fn render_sharpness_png(chart: &SharpnessChart, path: &Path) -> Result<()> {
    render_sharpness_rgb(chart)?.write_png(path)
}

/// Render `chart` to an RGB image of [`SHARPNESS_SIZE`].
pub fn render_sharpness_rgb(chart: &SharpnessChart) -> Result<RgbImage> {
    let (w, h) = SHARPNESS_SIZE;
    render_canvas(w, h, |root| draw(root, chart))
}

/// A bar in data coordinates: [lo, hi] x [0, count].
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bar {
    lo: f64,
    hi: f64,
    count: u128,
}

/// Valid levels merged (to 1e-9) and sorted, then one bar per level or, with
/// more than [`MAX_LEVELS`] levels, one per 0.02-wide bin. Returns the bars
/// and whether they are binned.
fn bars(levels: &[(f64, usize)]) -> (Vec<Bar>, usize, bool) {
    let mut v: Vec<(f64, u128)> = levels
        .iter()
        .filter(|(p, n)| p.is_finite() && (0.0..=1.0).contains(p) && *n > 0)
        .map(|(p, n)| (*p, *n as u128))
        .collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut merged: Vec<(f64, u128)> = Vec::with_capacity(v.len());
    for (p, n) in v {
        match merged.last_mut() {
            Some(last) if (p - last.0).abs() < 1e-9 => last.1 = last.1.saturating_add(n),
            _ => merged.push((p, n)),
        }
    }
    let distinct = merged.len();
    if distinct > MAX_LEVELS {
        let k = (1.0 / BIN_WIDTH).round() as usize;
        let mut counts = vec![0u128; k];
        for (p, n) in &merged {
            let i = ((p / BIN_WIDTH + 1e-9).floor() as usize).min(k - 1);
            counts[i] = counts[i].saturating_add(*n);
        }
        let bars = counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, c)| {
                let lo = i as f64 * BIN_WIDTH;
                let inset = BIN_WIDTH * 0.08;
                Bar {
                    lo: lo + inset,
                    hi: lo + BIN_WIDTH - inset,
                    count: *c,
                }
            })
            .collect();
        return (bars, distinct, true);
    }
    // Narrow bars, never wider than 70% of the closest gap between levels.
    let min_gap = merged
        .windows(2)
        .map(|p| p[1].0 - p[0].0)
        .fold(f64::INFINITY, f64::min);
    let half = (0.006f64).min(min_gap * 0.35);
    let bars = merged
        .iter()
        .map(|(p, n)| Bar {
            lo: p - half,
            hi: p + half,
            count: *n,
        })
        .collect();
    (bars, distinct, false)
}

fn draw(root: &Root<'_>, chart: &SharpnessChart) -> Result<()> {
    let (w, h) = root.dim_in_pixel();
    let (wf, hf) = (w as f64, h as f64);
    let page = Page::new(1.0);
    let s = page.s;
    let (bars, distinct, binned) = bars(&chart.levels);
    let total: u128 = bars.iter().fold(0u128, |a, b| a.saturating_add(b.count));
    let note = match (distinct, binned) {
        (0, _) => String::new(),
        (1, _) => "1 level used".to_string(),
        (k, false) => format!("{k} levels used"),
        (k, true) => format!("{k} levels used, shown in bins of 0.02"),
    };
    let top =
        crate::render::draw::draw_header(root, &page, wf, &chart.title, &chart.subtitle, "", &[])?;

    let max = bars.iter().map(|b| b.count).max().unwrap_or(0) as f64;
    let (count_ticks, count_top) = count_axis(max, 5);
    let mut widest = 0.0f64;
    for t in &count_ticks {
        widest = widest.max(text_w(&fmt_count_tick(*t), page.tick)?);
    }
    let plot = Rect {
        x0: (page.margin_l + y_axis_space(&page, widest)?).round(),
        y0: top.round(),
        x1: (wf - page.margin_r).round(),
        y1: (hf - page.margin_b - x_axis_space(&page, true)?).round(),
    };
    let sx = Scale {
        d0: LO,
        d1: HI,
        p0: plot.x0,
        p1: plot.x1,
    };
    let sy = Scale {
        d0: 0.0,
        d1: count_top,
        p0: plot.y1,
        p1: plot.y0,
    };
    let prob_ticks: Vec<(f64, String)> = tick_values(0.0, 1.0, 0.1)
        .into_iter()
        .map(|v| (sx.px(v), fmt_tick(v, 0.1)))
        .collect();
    let y_ticks: Vec<(f64, String)> = count_ticks
        .iter()
        .map(|v| (sy.px(*v), fmt_count_tick(*v)))
        .collect();
    let xs: Vec<f64> = prob_ticks.iter().map(|t| t.0).collect();
    let ys: Vec<f64> = y_ticks.iter().map(|t| t.0).collect();
    grid_lines(root, plot, &xs, true)?;
    grid_lines(root, plot, &ys, false)?;
    axis_ticks(root, &page, plot, Side::Bottom, &prob_ticks, true)?;
    let widest = axis_ticks(root, &page, plot, Side::Left, &y_ticks, true)?;
    x_title(root, &page, plot, "Forecast probability")?;
    y_title(root, &page, plot, widest, "Forecasts")?;

    // Bars: at least 2 px wide, snapped to whole pixels so narrow bars stay crisp.
    let mut rects = Vec::with_capacity(bars.len());
    for b in &bars {
        let (x0, x1) = (sx.px(b.lo), sx.px(b.hi));
        let c = (x0 + x1) / 2.0;
        let half = ((x1 - x0) / 2.0).max(1.0);
        let (x0, x1) = (
            (c - half).round(),
            (c + half).round().max((c - half).round() + 2.0),
        );
        let y0 = sy.px(b.count as f64).min(plot.y1 - 1.0);
        let r = Rect {
            x0,
            y0,
            x1,
            y1: plot.y1,
        };
        fill_rect(root, r, POINT.filled())?;
        rects.push((r, b.count));
    }

    // Count labels above bars, largest first, skipping any that would collide.
    let small = page.small;
    let lh = line_h(small)?;
    let mut taken: Vec<Rect> = rects.iter().map(|(r, _)| r.pad(1.0)).collect();
    let mut note_box = None;
    if !note.is_empty() {
        let nw = text_w(&note, small)?;
        let r = Rect::new(plot.x1 - 8.0 * s - nw, plot.y0 + 6.0 * s, nw, lh);
        // Keep the note out of the way of tall bars near the right edge.
        if !taken.iter().any(|t| t.overlap(&r.pad(3.0)) > 0.0) {
            note_box = Some(r);
        } else {
            let r = Rect::new(plot.x0 + 8.0 * s, plot.y0 + 6.0 * s, nw, lh);
            if !taken.iter().any(|t| t.overlap(&r.pad(3.0)) > 0.0) {
                note_box = Some(r);
            }
        }
    }
    if let Some(r) = note_box {
        taken.push(r.pad(4.0));
    }
    // All bars get a count label (directly above, or up to two lines higher when
    // neighbours are close), or none do: a partial set reads as random.
    let inner = plot.pad(-1.0);
    let mut labels = Vec::new();
    for (r, count) in rects.iter().take(200) {
        let text = fmt_count(*count);
        let tw = text_w(&text, small)?;
        let cx = (r.x0 + r.x1) / 2.0;
        let placed = (0..3).map(|k| {
            Rect::new(
                cx - tw / 2.0,
                r.y0 - 3.0 * s - lh * (k as f64 + 1.0),
                tw,
                lh,
            )
        });
        let mut ok = false;
        for cand in placed {
            if cand.inside(&inner) && !taken.iter().any(|t| t.overlap(&cand.pad(2.0)) > 0.0) {
                taken.push(cand);
                labels.push((cand, text.clone()));
                ok = true;
                break;
            }
        }
        if !ok {
            labels.clear();
            break;
        }
    }
    if rects.len() > 200 {
        labels.clear();
    }
    for (r, text) in &labels {
        label(
            root,
            text,
            small,
            LABEL,
            false,
            HPos::Left,
            VPos::Top,
            (r.x0, r.y0),
        )?;
    }
    if let Some(r) = note_box {
        label(
            root,
            &note,
            small,
            SUBTLE,
            false,
            HPos::Left,
            VPos::Top,
            (r.x0, r.y0),
        )?;
    }
    if total == 0 {
        crate::render::draw::centred_note(root, &page, plot, "No forecasts")?;
    }
    stroke_rect(root, plot, AXIS)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::charts::testutil::*;

    fn chart(levels: Vec<(f64, usize)>) -> SharpnessChart {
        SharpnessChart {
            title: "Sharpness — all forecasters".into(),
            subtitle: "n = 412 forecasts".into(),
            levels,
        }
    }

    #[test]
    fn renders_png_of_expected_size() {
        let c = chart(vec![(0.1, 30), (0.3, 12), (0.5, 40), (0.7, 25), (0.95, 3)]);
        let rgb = check_png(
            |p| render_sharpness_png(&c, p),
            "sharpness.png",
            SHARPNESS_SIZE,
        );
        assert!(
            near(&rgb, (POINT.0, POINT.1, POINT.2), 0) > 500,
            "bars drawn"
        );
        assert_eq!(rgb, render_sharpness_rgb(&c).unwrap().data);
    }

    #[test]
    fn many_levels_are_binned() {
        let levels: Vec<(f64, usize)> = (0..=100).map(|i| (i as f64 / 100.0, 1 + i % 7)).collect();
        let (b, distinct, binned) = bars(&levels);
        assert!(binned);
        assert_eq!(distinct, 101);
        assert_eq!(b.len(), 50);
        assert_eq!(
            b.iter().map(|b| b.count).sum::<u128>(),
            levels.iter().map(|l| l.1 as u128).sum()
        );
        let (b, _, binned) = bars(&levels[..60]);
        assert!(!binned);
        assert_eq!(b.len(), 60);
        assert!(b.iter().all(|b| b.hi - b.lo < 0.01 + 1e-12));
    }

    #[test]
    fn levels_are_merged_and_cleaned() {
        let (b, distinct, _) = bars(&[
            (0.3, 2),
            (0.1 + 0.2, 3),
            (f64::NAN, 5),
            (f64::INFINITY, 1),
            (-0.1, 4),
            (1.5, 4),
            (0.6, 0),
        ]);
        assert_eq!(distinct, 1);
        assert_eq!(b[0].count, 5);
    }

    #[test]
    fn empty_single_and_hostile_inputs_render() {
        let mut cases = vec![
            SharpnessChart::default(),
            chart(vec![]),
            chart(vec![(0.5, 1)]),
            chart(vec![(0.0, 3), (1.0, 3)]),
            chart(vec![
                (0.5, usize::MAX),
                (0.6, usize::MAX),
                (f64::NAN, usize::MAX),
            ]),
            chart((0..100_000).map(|i| (i as f64 / 100_000.0, 1)).collect()),
            chart(vec![(0.33, 5), (0.333, 4), (0.3333, 3)]),
        ];
        for name in hostile_names() {
            cases.push(SharpnessChart {
                title: name.clone(),
                subtitle: name,
                levels: vec![(0.2, 1)],
            });
        }
        for c in &cases {
            let img = render_sharpness_rgb(c).unwrap();
            assert_eq!(img.data.len(), (img.width * img.height * 3) as usize);
            assert!(non_white(&img.data) > 1000);
        }
    }
}
