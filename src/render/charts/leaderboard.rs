//! Leaderboard: one row per forecaster, Brier score as a dot with its 95%
//! bootstrap interval as whiskers.

use std::path::Path;

use anyhow::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::render::draw::{
    AXIS, Coverage, DIAGONAL, INK, LABEL, MUTED, Marks, POINT, Page, Rect, RgbImage, Root, SUBTLE,
    Scale, Side, axis_ticks, centred_note, clean_text, draw_dot, draw_header, fill_rect, fit_text,
    fmt_count, fmt_tick, grid_lines, label, line_h, nice_step, render_canvas, stroke_rect, text_w,
    tick_values, x_axis_space,
};

/// One forecaster.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LeaderRow {
    pub name: String,
    pub brier: f64,
    /// 95% bootstrap interval.
    pub lo: f64,
    pub hi: f64,
    /// Unranked rows (e.g. too few forecasts) are greyed out.
    pub ranked: bool,
    /// Scored forecasts.
    pub n: usize,
}

/// Everything drawn in the chart.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Leaderboard {
    pub title: String,
    pub subtitle: String,
    /// In display order (best first); at most [`MAX_ROWS`] are drawn and the
    /// subtitle says how many more there are.
    pub rows: Vec<LeaderRow>,
    /// What the whiskers show, for the axis title (empty: "95% bootstrap interval").
    pub whiskers: String,
}

/// Most rows drawn.
pub const MAX_ROWS: usize = 60;
/// Chart width in pixels.
pub const LEADERBOARD_WIDTH: u32 = 1000;
const ROW_H: f64 = 26.0;
const REFERENCE: f64 = 0.25;
const NOT_RANKED: &str = " (not ranked)";

/// Render `chart` to a PNG file (size from [`leaderboard_size`]).
pub fn render_leaderboard_png(chart: &Leaderboard, path: &Path) -> Result<()> {
    render_leaderboard_rgb(chart)?.write_png(path)
}

/// Render `chart` to an RGB image (size from [`leaderboard_size`]).
pub fn render_leaderboard_rgb(chart: &Leaderboard) -> Result<RgbImage> {
    let (w, h) = leaderboard_size(chart)?;
    render_canvas(w, h, |root| draw(root, chart))
}

/// Vertical layout: header, column heads, top ticks, rows, bottom ticks and
/// axis title.
struct Layout {
    page: Page,
    header_h: f64,
    heads_h: f64,
    rows: usize,
    bottom_h: f64,
}

fn layout(chart: &Leaderboard) -> Result<Layout> {
    let page = Page::new(1.0);
    // An empty board keeps room for its note.
    let rows = match chart.rows.len() {
        0 => 3,
        n => n.min(MAX_ROWS),
    };
    Ok(Layout {
        header_h: page.header_h(0)?,
        heads_h: (line_h(page.small)? + 6.0 + x_axis_space(&page, false)?).ceil(),
        rows,
        bottom_h: x_axis_space(&page, true)? + page.margin_b + 4.0,
        page,
    })
}

/// Chart size in pixels: [`LEADERBOARD_WIDTH`] wide, [`ROW_H`] px per row
/// (at most [`MAX_ROWS`] rows).
pub fn leaderboard_size(chart: &Leaderboard) -> Result<(u32, u32)> {
    let l = layout(chart)?;
    let h = l.header_h + l.heads_h + l.rows as f64 * ROW_H * l.page.s + l.bottom_h;
    Ok((LEADERBOARD_WIDTH, h.ceil() as u32))
}

/// Values within [0, 1], or none.
fn unit(v: f64) -> Option<f64> {
    (v.is_finite()).then(|| v.clamp(0.0, 1.0))
}

fn draw(root: &Root<'_>, chart: &Leaderboard) -> Result<()> {
    let l = layout(chart)?;
    let page = l.page;
    let s = page.s;
    let (w, _) = root.dim_in_pixel();
    let wf = w as f64;
    let shown = &chart.rows[..chart.rows.len().min(MAX_ROWS)];
    let more = chart.rows.len() - shown.len();
    let suffix = if more > 0 {
        format!("+{more} more not shown")
    } else {
        String::new()
    };
    let top = draw_header(root, &page, wf, &chart.title, &chart.subtitle, &suffix, &[])?;

    // --- Columns: names | plot | Brier | n ----------------------------------------
    let size = 13.0 * s;
    let small = page.small;
    let name_max = 300.0 * s;
    let mut names = Vec::with_capacity(shown.len());
    let mut name_col = text_w("Forecaster", small)?;
    for r in shown {
        let suffix = if r.ranked { "" } else { NOT_RANKED };
        let clean = clean_text(&r.name, 400);
        let clean = if clean.is_empty() {
            "(no name)".to_string()
        } else {
            clean
        };
        let room = name_max - text_w(suffix, size)?;
        let name = fit_text(&clean, size, false, room)? + suffix;
        name_col = name_col.max(text_w(&name, size)?);
        names.push(name);
    }
    let brier_col = text_w("0.000", size)?.max(text_w("Brier", small)?);
    let mut n_col = text_w("n", small)?;
    for r in shown {
        n_col = n_col.max(text_w(&fmt_count(r.n as u128), size)?);
    }
    let col_gap = 18.0 * s;
    let names_x = page.margin_l + 4.0 * s;
    let plot_x0 = (names_x + name_col + col_gap).round();
    let n_right = wf - page.margin_r;
    let brier_right = n_right - n_col - col_gap;
    let plot_x1 = (brier_right - brier_col - col_gap).round();

    let rows_y0 = (top + l.heads_h).round();
    let plot = Rect {
        x0: plot_x0,
        y0: rows_y0,
        x1: plot_x1,
        y1: rows_y0 + (l.rows as f64 * ROW_H * s).round(),
    };

    // --- Scale ---------------------------------------------------------------------
    let data_max = shown
        .iter()
        .flat_map(|r| [r.brier, r.lo, r.hi])
        .filter_map(unit)
        .fold(0.0f64, f64::max);
    let x_top = ((data_max.max(0.5) / 0.05 - 1e-9).ceil() * 0.05).min(1.0);
    // Labelled ticks every 0.1 (0.2 on a 0..1 axis), never at 0.25, so the
    // reference line can run up through the tick labels to its own label.
    let step = nice_step(x_top, 6);
    let pad = x_top * 0.02;
    let sx = Scale {
        d0: -pad,
        d1: x_top + pad,
        p0: plot.x0,
        p1: plot.x1,
    };
    let ticks: Vec<(f64, String)> = tick_values(0.0, x_top, step)
        .into_iter()
        .map(|v| (sx.px(v), fmt_tick(v, step)))
        .collect();

    // Zebra stripes across the whole row, then grid, ticks and the reference.
    for i in (1..shown.len()).step_by(2) {
        let y = plot.y0 + i as f64 * ROW_H * s;
        fill_rect(
            root,
            Rect {
                x0: page.margin_l,
                y0: y.round(),
                x1: n_right + 4.0 * s,
                y1: (y + ROW_H * s).round(),
            },
            RGBColor(246, 247, 249).filled(),
        )?;
    }
    grid_lines(
        root,
        plot,
        &ticks.iter().map(|t| t.0).collect::<Vec<_>>(),
        true,
    )?;
    axis_ticks(root, &page, plot, Side::Top, &ticks, true)?;
    axis_ticks(root, &page, plot, Side::Bottom, &ticks, true)?;
    crate::render::draw::x_title(
        root,
        &page,
        plot,
        &format!(
            "Brier score (lower is better) · dot: score · whiskers: {}",
            if chart.whiskers.is_empty() {
                "95% bootstrap interval"
            } else {
                chart.whiskers.as_str()
            }
        ),
    )?;

    // Column heads, on one line above the top tick labels.
    let head_y = top;
    let dims = root.dim_in_pixel();
    label(
        root,
        "Forecaster",
        small,
        SUBTLE,
        false,
        HPos::Left,
        VPos::Top,
        (names_x, head_y),
    )?;
    label(
        root,
        "Brier",
        small,
        SUBTLE,
        false,
        HPos::Right,
        VPos::Top,
        (brier_right, head_y),
    )?;
    label(
        root,
        "n",
        small,
        SUBTLE,
        false,
        HPos::Right,
        VPos::Top,
        (n_right, head_y),
    )?;
    // The reference line runs from the column heads, where it is labelled,
    // to the bottom of the plot.
    let rx = sx.px(REFERENCE);
    let ref_label = "always 50%";
    label(
        root,
        ref_label,
        small,
        SUBTLE,
        false,
        HPos::Center,
        VPos::Top,
        (rx, head_y),
    )?;
    let head_bottom = head_y + line_h(small)? + 2.0 * s;
    let mut cov = Coverage::new(
        Rect::new(
            plot.x0,
            head_bottom,
            plot.x1 - plot.x0,
            plot.y1 - head_bottom,
        ),
        dims,
    );
    cov.dashed(
        (rx, head_bottom),
        (rx, plot.y1),
        (1.3 * s).max(1.0),
        7.0 * s,
        5.0 * s,
    );
    cov.paint(root, DIAGONAL, 1.0)?;

    // --- Rows ------------------------------------------------------------------------
    for (i, (r, name)) in shown.iter().zip(&names).enumerate() {
        let cy = (plot.y0 + (i as f64 + 0.5) * ROW_H * s).round() + 0.5;
        let (color, text) = if r.ranked {
            (POINT, INK)
        } else {
            (MUTED, MUTED)
        };
        label(
            root,
            name,
            size,
            text,
            false,
            HPos::Left,
            VPos::Center,
            (names_x, cy - 0.5),
        )?;
        let brier = unit(r.brier);
        let score = brier
            .map(|b| format!("{b:.3}"))
            .unwrap_or_else(|| "–".into());
        label(
            root,
            &score,
            size,
            text,
            false,
            HPos::Right,
            VPos::Center,
            (brier_right, cy - 0.5),
        )?;
        label(
            root,
            &fmt_count(r.n as u128),
            size,
            if r.ranked { LABEL } else { MUTED },
            false,
            HPos::Right,
            VPos::Center,
            (n_right, cy - 0.5),
        )?;
        let m = Marks {
            r: 5.0 * s,
            halo: 1.5 * s,
            cap: 4.5 * s,
            bar_w: 1.7 * s,
            cap_t: 1.7 * s,
            color,
        };
        if let (Some(lo), Some(hi)) = (unit(r.lo), unit(r.hi)) {
            let (lo, hi) = (lo.min(hi), lo.max(hi));
            // A horizontal whisker: draw_bar is vertical, so draw it by hand.
            let (x0, x1) = (sx.px(lo), sx.px(hi));
            if x1 - x0 >= 0.5 {
                let ht = m.bar_w / 2.0;
                let mut c = Coverage::new(plot, dims);
                c.polygon(&[(x0, cy - ht), (x1, cy - ht), (x1, cy + ht), (x0, cy + ht)]);
                for x in [x0, x1] {
                    let t = m.cap_t / 2.0;
                    c.polygon(&[
                        (x - t, cy - m.cap),
                        (x + t, cy - m.cap),
                        (x + t, cy + m.cap),
                        (x - t, cy + m.cap),
                    ]);
                }
                c.paint(root, color, 1.0)?;
            }
        }
        if let Some(b) = brier {
            draw_dot(root, sx.px(b), cy, &m)?;
        }
    }
    if shown.is_empty() {
        centred_note(root, &page, plot, "No forecasters to show")?;
    }
    stroke_rect(root, plot, AXIS)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::charts::testutil::*;

    fn row(name: &str, brier: f64, ranked: bool, n: usize) -> LeaderRow {
        LeaderRow {
            name: name.into(),
            brier,
            lo: brier - 0.04,
            hi: brier + 0.05,
            ranked,
            n,
        }
    }

    fn board(rows: Vec<LeaderRow>) -> Leaderboard {
        Leaderboard {
            whiskers: String::new(),
            title: "Leaderboard".into(),
            subtitle: "Brier score, best first".into(),
            rows,
        }
    }

    #[test]
    fn renders_png_and_grows_with_rows() {
        let c = board(vec![
            row("Ana", 0.12, true, 40),
            row("Zoë", 0.2, true, 33),
            row("Ирина", 0.3, false, 4),
        ]);
        let size = leaderboard_size(&c).unwrap();
        assert_eq!(size.0, LEADERBOARD_WIDTH);
        let rgb = check_png(|p| render_leaderboard_png(&c, p), "leaderboard.png", size);
        assert!(
            near(&rgb, (POINT.0, POINT.1, POINT.2), 0) > 2 * 60,
            "ranked rows drawn"
        );
        assert!(
            near(&rgb, (MUTED.0, MUTED.1, MUTED.2), 0) > 60,
            "unranked row greyed"
        );
        let one = leaderboard_size(&board(vec![row("a", 0.2, true, 1)])).unwrap();
        let ten = leaderboard_size(&board(vec![row("a", 0.2, true, 1); 10])).unwrap();
        assert_eq!(ten.1 - one.1, (9.0 * ROW_H).round() as u32);
        let capped = leaderboard_size(&board(vec![row("a", 0.2, true, 1); 1000])).unwrap();
        let max = leaderboard_size(&board(vec![row("a", 0.2, true, 1); MAX_ROWS])).unwrap();
        assert_eq!(capped, max);
    }

    #[test]
    fn empty_single_and_hostile_inputs_render() {
        let mut cases = vec![
            Leaderboard::default(),
            board(vec![]),
            board(vec![row("Solo", 0.2, true, 1)]),
            board(vec![row("Unranked", 0.2, false, 1)]),
            board(vec![row("x", 0.2, true, 3); 200]),
            board(vec![
                LeaderRow {
                    name: "nan".into(),
                    brier: f64::NAN,
                    lo: f64::NAN,
                    hi: f64::INFINITY,
                    ranked: true,
                    n: usize::MAX,
                },
                LeaderRow {
                    name: "swapped".into(),
                    brier: 0.3,
                    lo: 0.9,
                    hi: -4.0,
                    ranked: true,
                    n: 0,
                },
                row("huge", 1e300, true, 2),
                row("negative", -1e300, false, 2),
            ]),
        ];
        cases.push(Leaderboard {
            whiskers: String::new(),
            title: hostile_names().concat(),
            subtitle: hostile_names().concat(),
            rows: hostile_names()
                .into_iter()
                .enumerate()
                .map(|(i, n)| row(&n, 0.1 + 0.05 * i as f64, i % 2 == 0, i * 1000))
                .collect(),
        });
        for c in &cases {
            let img = render_leaderboard_rgb(c).unwrap();
            assert_eq!((img.width, img.height), leaderboard_size(c).unwrap());
            assert!(non_white(&img.data) > 1000);
        }
    }
}
