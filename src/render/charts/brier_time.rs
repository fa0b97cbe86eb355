//! Brier score month by month: one line per series, gaps where a month has
//! no score.

use std::path::Path;

use anyhow::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::render::draw::{
    AXIS, Coverage, DIAGONAL, INK, LABEL, PALETTE, Page, Rect, RgbImage, Root, SUBTLE, Scale,
    Shape, Side, axis_ticks, centred_note, draw_header, fill_rect, fit_text, fmt_tick, grid_lines,
    label, line_h, nice_step, render_canvas, stroke_rect, text_w, tick_values, x_axis_space,
    y_axis_space, y_title,
};

/// One line.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    pub name: String,
    /// One value per month (extra values are ignored, missing ones are gaps);
    /// `None`, non-finite values and values outside [0, 1] leave a gap.
    pub values: Vec<Option<f64>>,
    /// Drawn thicker and darker, on top, and listed first in the legend
    /// (e.g. the overall score).
    pub emphasis: bool,
}

/// Everything drawn in the chart.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BrierOverTime {
    pub title: String,
    pub subtitle: String,
    /// Month labels such as "2019-03", ascending.
    pub months: Vec<String>,
    pub series: Vec<Series>,
}

/// Canvas size in pixels.
pub const BRIER_OVER_TIME_SIZE: (u32, u32) = (1200, 620);
/// Reference line: the Brier score of always forecasting 50%.
const REFERENCE: f64 = 0.25;
const EMPHASIS: RGBColor = RGBColor(30, 30, 30);
/// Opacity of the lines of series without emphasis.
const LINE_ALPHA: f64 = 0.7;

/// Render `chart` to a PNG file at [`BRIER_OVER_TIME_SIZE`].
pub fn render_brier_over_time_png(chart: &BrierOverTime, path: &Path) -> Result<()> {
    render_brier_over_time_rgb(chart)?.write_png(path)
}

/// Render `chart` to an RGB image of [`BRIER_OVER_TIME_SIZE`].
pub fn render_brier_over_time_rgb(chart: &BrierOverTime) -> Result<RgbImage> {
    let (w, h) = BRIER_OVER_TIME_SIZE;
    render_canvas(w, h, |root| draw(root, chart))
}

/// Month number (1..=12) of a "YYYY-MM" label.
fn month_of(label: &str) -> Option<u32> {
    let (y, m) = label.trim().split_once('-')?;
    let m: u32 = m.get(..2)?.parse().ok()?;
    (y.len() == 4 && y.chars().all(|c| c.is_ascii_digit()) && (1..=12).contains(&m)).then_some(m)
}

/// Which month labels to show: every k-th month (k from 1, 2, 3, 4, 6, 12,
/// 24, ...) with k * spacing wide enough for the widest label; when the
/// labels are "YYYY-MM" and k divides 12, on months aligned with January
/// (Jan, Apr, Jul, Oct for k = 3).
fn label_stride(months: &[String], spacing: f64, widest: f64) -> (usize, usize) {
    let k = [1usize, 2, 3, 4, 6, 12, 24, 36, 60, 120, 240, 600, 1200]
        .into_iter()
        .find(|k| *k as f64 * spacing >= widest)
        .unwrap_or(months.len().max(1));
    let offset = if 12 % k == 0 {
        months
            .iter()
            .position(|m| month_of(m).is_some_and(|mm| ((mm - 1) as usize).is_multiple_of(k)))
            .unwrap_or(0)
    } else {
        0
    };
    (k, offset)
}

/// Colour and marker shape of the i-th non-emphasis series.
fn style_of(i: usize) -> (RGBColor, Shape) {
    (
        PALETTE[i % PALETTE.len()],
        Shape::ALL[(i / PALETTE.len()) % Shape::ALL.len()],
    )
}

fn value_ok(v: &Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite() && (0.0..=1.0).contains(x))
}

fn draw(root: &Root<'_>, chart: &BrierOverTime) -> Result<()> {
    let (w, h) = root.dim_in_pixel();
    let (wf, hf) = (w as f64, h as f64);
    let page = Page::new(1.0);
    let s = page.s;
    let top = draw_header(root, &page, wf, &chart.title, &chart.subtitle, "", &[])?;

    let m = chart.months.len();
    let months: Vec<String> = chart
        .months
        .iter()
        .map(|l| fit_text(l, page.tick, false, 90.0 * s))
        .collect::<Result<_>>()?;
    let data_max = chart
        .series
        .iter()
        .flat_map(|se| se.values.iter().take(m).filter_map(value_ok))
        .fold(0.0f64, f64::max);
    let y_top = ((data_max.max(0.5) / 0.1 - 1e-9).ceil() * 0.1).min(1.0);
    let y_step = nice_step(y_top, 6);
    let y_ticks_v = tick_values(0.0, y_top, y_step);

    // --- Legend column (outside the plot, on the right) --------------------
    let small = page.small;
    let sample_w = 30.0 * s;
    let legend_max_w = 250.0 * s;
    // Emphasised series first, then the others in the order given.
    let mut order: Vec<usize> = (0..chart.series.len()).collect();
    order.sort_by_key(|i| !chart.series[*i].emphasis);
    let mut styles = vec![(EMPHASIS, Shape::Circle); chart.series.len()];
    let mut k = 0;
    for (i, se) in chart.series.iter().enumerate() {
        if !se.emphasis {
            styles[i] = style_of(k);
            k += 1;
        }
    }
    let mut names = Vec::with_capacity(order.len());
    let mut text_max = 0.0f64;
    for &i in &order {
        let name = fit_text(
            &chart.series[i].name,
            small,
            false,
            legend_max_w - sample_w - 8.0 * s,
        )?;
        let name = if name.is_empty() {
            "(no name)".to_string()
        } else {
            name
        };
        text_max = text_max.max(text_w(&name, small)?);
        names.push(name);
    }
    let legend_w = if order.is_empty() {
        0.0
    } else {
        (sample_w + 8.0 * s + text_max).ceil()
    };

    let mut widest = 0.0f64;
    for v in &y_ticks_v {
        widest = widest.max(text_w(&fmt_tick(*v, y_step), page.tick)?);
    }
    let plot = Rect {
        x0: (page.margin_l + y_axis_space(&page, widest)?).round(),
        y0: top.round(),
        x1: (wf
            - page.margin_r
            - if legend_w > 0.0 {
                legend_w + 24.0 * s
            } else {
                0.0
            })
        .round(),
        y1: (hf - page.margin_b - x_axis_space(&page, false)? - 6.0 * s).round(),
    };
    let sx = Scale {
        d0: -0.5,
        d1: m.max(1) as f64 - 0.5,
        p0: plot.x0,
        p1: plot.x1,
    };
    // A little room below 0 and above the top so markers there are not cut
    // by the frame.
    let sy = Scale {
        d0: -0.025 * y_top,
        d1: y_top * 1.025,
        p0: plot.y1,
        p1: plot.y0,
    };
    let spacing = (plot.x1 - plot.x0) / m.max(1) as f64;

    // --- Axes ---------------------------------------------------------------
    let mut label_w = 0.0f64;
    for l in &months {
        label_w = label_w.max(text_w(l, page.tick)?);
    }
    let (stride, offset) = label_stride(&chart.months, spacing, label_w + 10.0 * s);
    let x_ticks: Vec<(f64, String)> = months
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let shown = i >= offset && (i - offset) % stride == 0;
            (
                sx.px(i as f64),
                if shown { l.clone() } else { String::new() },
            )
        })
        .collect();
    let y_ticks: Vec<(f64, String)> = y_ticks_v
        .iter()
        .map(|v| (sy.px(*v), fmt_tick(*v, y_step)))
        .collect();
    let grid_x: Vec<f64> = x_ticks
        .iter()
        .filter(|t| !t.1.is_empty())
        .map(|t| t.0)
        .collect();
    grid_lines(root, plot, &grid_x, true)?;
    grid_lines(
        root,
        plot,
        &y_ticks.iter().map(|t| t.0).collect::<Vec<_>>(),
        false,
    )?;
    // Tick marks only where labelled when months are dense.
    let x_marks: Vec<(f64, String)> = if spacing < 6.0 * s {
        x_ticks
            .iter()
            .filter(|t| !t.1.is_empty())
            .cloned()
            .collect()
    } else {
        x_ticks.clone()
    };
    axis_ticks(root, &page, plot, Side::Bottom, &x_marks, false)?;
    let widest = axis_ticks(root, &page, plot, Side::Left, &y_ticks, true)?;
    y_title(root, &page, plot, widest, "Brier score (lower is better)")?;

    // --- Reference line at 0.25 --------------------------------------------
    let dims = root.dim_in_pixel();
    let ry = sy.px(REFERENCE);
    let mut cov = Coverage::new(plot, dims);
    cov.dashed(
        (plot.x0, ry),
        (plot.x1, ry),
        (1.3 * s).max(1.0),
        7.0 * s,
        5.0 * s,
    );
    cov.paint(root, DIAGONAL, 1.0)?;

    // --- Series ---------------------------------------------------------------
    let line_w = |e: bool| if e { 3.2 * s } else { 1.6 * s };
    // Other lines are drawn translucent so the emphasised one stands out and
    // crossings stay legible.
    let line_alpha = |e: bool| if e { 1.0 } else { LINE_ALPHA };
    let marker_r = |e: bool| {
        let r = if e { 4.4 * s } else { 3.0 * s };
        r.min(spacing * 0.3)
    };
    // Points along everything drawn (every few px), for placing the
    // reference line's label where it covers least.
    let mut occupied: Vec<(f64, f64)> = Vec::new();
    // Draw emphasised series last so they sit on top.
    let mut draw_order: Vec<usize> = (0..chart.series.len()).collect();
    draw_order.sort_by_key(|i| chart.series[*i].emphasis);
    for &i in &draw_order {
        let se = &chart.series[i];
        let (color, shape) = styles[i];
        let pts: Vec<Option<(f64, f64)>> = (0..m)
            .map(|j| {
                se.values
                    .get(j)
                    .and_then(value_ok)
                    .map(|v| (sx.px(j as f64), sy.px(v)))
            })
            .collect();
        let mut line = Coverage::new(plot.pad(6.0 * s), dims);
        for run in pts.split(|p| p.is_none()) {
            let run: Vec<(f64, f64)> = run.iter().flatten().copied().collect();
            if run.len() >= 2 {
                line.polyline(&run, line_w(se.emphasis));
            }
            occupied.extend(run.iter().copied());
            for seg in run.windows(2) {
                let (a, b) = (seg[0], seg[1]);
                let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
                let k = (len / 3.0).ceil().clamp(1.0, 2000.0) as usize;
                // The emphasised line counts more: hiding it matters more.
                let weight = if se.emphasis { 3 } else { 1 };
                for t in 1..k {
                    let t = t as f64 / k as f64;
                    for _ in 0..weight {
                        occupied.push((a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t));
                    }
                }
            }
        }
        line.paint(root, color, line_alpha(se.emphasis))?;
        let r = marker_r(se.emphasis);
        if r >= 1.5 {
            let mut halo = Coverage::new(plot.pad(8.0 * s), dims);
            let mut mark = Coverage::new(plot.pad(8.0 * s), dims);
            for p in pts.iter().flatten() {
                shape.add(&mut halo, *p, r + 1.3 * s);
                shape.add(&mut mark, *p, r);
            }
            halo.paint(root, WHITE, 1.0)?;
            mark.paint(root, color, 1.0)?;
        } else {
            // Too dense for markers: isolated points still need a dot.
            let mut mark = Coverage::new(plot.pad(8.0 * s), dims);
            for (j, p) in pts.iter().enumerate() {
                let alone = j == 0 || pts[j - 1].is_none();
                let alone = alone && pts.get(j + 1).is_none_or(|q| q.is_none());
                if let (Some(p), true) = (p, alone) {
                    mark.disc(*p, line_w(se.emphasis));
                }
            }
            mark.paint(root, color, 1.0)?;
        }
    }

    // "always 50%" label on the reference line, where fewer points are near.
    let ref_label = "always 50%";
    let lw = text_w(ref_label, small)?;
    let lh = line_h(small)?;
    let cands = [
        Rect::new(plot.x1 - 6.0 * s - lw, ry - 3.0 * s - lh, lw, lh),
        Rect::new(plot.x0 + 6.0 * s, ry - 3.0 * s - lh, lw, lh),
        Rect::new(plot.x1 - 6.0 * s - lw, ry + 3.0 * s, lw, lh),
        Rect::new(plot.x0 + 6.0 * s, ry + 3.0 * s, lw, lh),
    ];
    let cost = |r: &Rect| {
        let near = r.pad(6.0 * s);
        occupied
            .iter()
            .filter(|(x, y)| *x >= near.x0 && *x <= near.x1 && *y >= near.y0 && *y <= near.y1)
            .count()
    };
    if let Some(r) = cands
        .iter()
        .filter(|r| r.inside(&plot))
        .min_by_key(|r| cost(r))
    {
        fill_rect(root, r.pad(2.0), WHITE.mix(0.8).filled())?;
        label(
            root,
            ref_label,
            small,
            SUBTLE,
            false,
            HPos::Left,
            VPos::Top,
            (r.x0, r.y0),
        )?;
    }

    if m == 0 || occupied.is_empty() {
        let note = if m == 0 {
            "No months to show"
        } else {
            "No scores to show"
        };
        centred_note(root, &page, plot, note)?;
    }
    stroke_rect(root, plot, AXIS)?;

    // --- Legend -----------------------------------------------------------------
    if legend_w > 0.0 {
        let lx = plot.x1 + 24.0 * s;
        let row_h = 22.0 * s;
        let rows_fit = (((plot.y1 - plot.y0) / row_h).floor() as usize).max(1);
        let (shown, more) = if order.len() > rows_fit {
            (rows_fit - 1, order.len() - (rows_fit - 1))
        } else {
            (order.len(), 0)
        };
        for (row, (&i, name)) in order.iter().zip(&names).take(shown).enumerate() {
            let se = &chart.series[i];
            let (color, shape) = styles[i];
            let cy = (plot.y0 + row_h * (row as f64 + 0.5)).round() + 0.5;
            let mut c = Coverage::new(
                Rect::new(lx - 4.0, cy - row_h / 2.0, sample_w + 8.0, row_h),
                dims,
            );
            c.capsule(
                (lx + 2.0 * s, cy),
                (lx + sample_w - 2.0 * s, cy),
                line_w(se.emphasis),
            );
            c.paint(root, color, line_alpha(se.emphasis))?;
            let r = if se.emphasis { 4.4 * s } else { 3.0 * s };
            let mut halo = Coverage::new(
                Rect::new(lx - 4.0, cy - row_h / 2.0, sample_w + 8.0, row_h),
                dims,
            );
            let mut mark = Coverage::new(
                Rect::new(lx - 4.0, cy - row_h / 2.0, sample_w + 8.0, row_h),
                dims,
            );
            shape.add(&mut halo, (lx + sample_w / 2.0, cy), r + 1.3 * s);
            shape.add(&mut mark, (lx + sample_w / 2.0, cy), r);
            halo.paint(root, WHITE, 1.0)?;
            mark.paint(root, color, 1.0)?;
            label(
                root,
                name,
                small,
                if se.emphasis { INK } else { LABEL },
                se.emphasis,
                HPos::Left,
                VPos::Center,
                (lx + sample_w + 8.0 * s, cy - 0.5),
            )?;
        }
        if more > 0 {
            let cy = plot.y0 + row_h * (shown as f64 + 0.5);
            label(
                root,
                &format!("+{more} more"),
                small,
                SUBTLE,
                false,
                HPos::Left,
                VPos::Center,
                (lx + sample_w + 8.0 * s, cy),
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::charts::testutil::*;

    fn months(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| format!("{}-{:02}", 2019 + (i + 2) / 12, (i + 2) % 12 + 1))
            .collect()
    }

    fn chart(n_months: usize, n_series: usize) -> BrierOverTime {
        BrierOverTime {
            title: "Brier score by month".into(),
            subtitle: "lower is better".into(),
            months: months(n_months),
            series: (0..n_series)
                .map(|k| Series {
                    name: if k == 0 {
                        "All forecasters".into()
                    } else {
                        format!("Forecaster {k}")
                    },
                    // Distinct levels per series, so no line hides another.
                    values: (0..n_months)
                        .map(|i| {
                            ((i + k) % 5 != 3)
                                .then_some(0.05 + 0.04 * k as f64 + 0.02 * ((i + k) % 3) as f64)
                        })
                        .collect(),
                    emphasis: k == 0,
                })
                .collect(),
        }
    }

    #[test]
    fn renders_png_of_expected_size() {
        let c = chart(24, 9);
        let rgb = check_png(
            |p| render_brier_over_time_png(&c, p),
            "brier_time.png",
            BRIER_OVER_TIME_SIZE,
        );
        assert!(
            near(&rgb, (EMPHASIS.0, EMPHASIS.1, EMPHASIS.2), 0) > 500,
            "emphasised line drawn"
        );
        let c0 = PALETTE[0];
        assert!(
            near(&rgb, (c0.0, c0.1, c0.2), 0) > 100,
            "first series drawn"
        );
    }

    #[test]
    fn month_labels_align_and_thin() {
        let ms = months(24); // starts 2019-03
        assert_eq!(month_of("2019-03"), Some(3));
        assert_eq!(month_of("March"), None);
        assert_eq!(label_stride(&ms, 100.0, 60.0), (1, 0));
        let (k, off) = label_stride(&ms, 20.0, 60.0);
        assert_eq!(k, 3);
        assert_eq!(month_of(&ms[off]), Some(4), "quarters start in April");
        let (k, off) = label_stride(&ms, 6.0, 60.0);
        assert_eq!(k, 12);
        assert_eq!(month_of(&ms[off]), Some(1));
        let odd: Vec<String> = (0..30).map(|i| format!("m{i}")).collect();
        assert_eq!(label_stride(&odd, 12.0, 60.0), (6, 0));
    }

    #[test]
    fn empty_single_and_hostile_inputs_render() {
        let mut cases = vec![
            BrierOverTime::default(),
            chart(0, 3),
            chart(1, 1),
            chart(1, 0),
            chart(24, 0),
            chart(600, 4),
            chart(12, 80),
        ];
        let mut bad = chart(12, 3);
        bad.series[1].values = vec![
            Some(f64::NAN),
            Some(f64::INFINITY),
            Some(-1.0),
            Some(7.0),
            None,
        ];
        bad.series[2].values = vec![Some(0.2); 1000];
        bad.series.push(Series {
            name: "all emphasised".into(),
            values: vec![Some(1.0); 12],
            emphasis: true,
        });
        cases.push(bad);
        let mut names = chart(6, 0);
        names.months = hostile_names();
        names.series = hostile_names()
            .into_iter()
            .map(|n| Series {
                name: n,
                values: vec![Some(0.3), None, Some(0.2)],
                emphasis: false,
            })
            .collect();
        names.title = hostile_names().concat();
        cases.push(names);
        for c in &cases {
            let img = render_brier_over_time_rgb(c).unwrap();
            assert_eq!((img.width, img.height), BRIER_OVER_TIME_SIZE);
            assert!(non_white(&img.data) > 1000);
        }
    }
}
