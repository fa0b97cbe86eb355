//! Example charts from realistic synthetic data, for looking at:
//! `cargo test --lib write_example_charts -- --ignored` writes them to `out/`
//! (a folder that ignores itself in git).

use std::path::PathBuf;

use super::*;
use crate::render::png::{
    CorpOverlay, ReliabilityBin, ReliabilityChart, render_reliability_corp_png,
    render_reliability_png,
};
use crate::score::{Params, corp, pav, summarize};

/// xorshift64*: deterministic, good enough for examples.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

const LEVELS: [f64; 21] = [
    0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.33, 0.4, 0.5, 0.6, 0.65, 0.67, 0.7, 0.75, 0.8,
    0.85, 0.9, 0.95, 0.99,
];

struct Forecaster {
    name: &'static str,
    /// (month index, p, y)
    f: Vec<(usize, f64, bool)>,
}

const MONTHS: usize = 24;

fn month_label(i: usize) -> String {
    // 2022-03 .. 2024-02
    let m = i + 2;
    format!("{}-{:02}", 2022 + m / 12, m % 12 + 1)
}

/// Eight forecasters of differing skill, confidence and activity.
fn forecasters() -> Vec<Forecaster> {
    let people: [(&str, f64, f64, usize, usize); 8] = [
        // name, sharpness (logit scale), noise, forecasts, first month
        ("Ana Lima", 1.0, 0.4, 150, 0),
        ("Zoë Brontë", 1.6, 0.5, 120, 0),
        ("Ирина Ковалёва", 0.7, 0.3, 90, 3),
        (
            "Dr. Maximilian Alexander von Hohenzollern-Sigmaringen",
            2.2,
            0.9,
            80,
            0,
        ),
        ("李伟", 1.0, 1.2, 60, 8),
        ("José Ángel Núñez", 0.5, 0.2, 45, 0),
        ("Ngozi Okafor", 1.3, 0.6, 30, 14),
        ("Team Kestrel", 1.0, 0.5, 8, 18),
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    people
        .iter()
        .map(|&(name, sharp, noise, n, first)| {
            let f = (0..n)
                .map(|_| {
                    let q: f64 = 0.03 + 0.94 * rng.next();
                    let y = rng.next() < q;
                    let logit = (q / (1.0 - q)).ln() * sharp + noise * (rng.next() - 0.5) * 4.0;
                    let p = 1.0 / (1.0 + (-logit).exp());
                    let p = LEVELS
                        .iter()
                        .copied()
                        .min_by(|a, b| (a - p).abs().total_cmp(&(b - p).abs()))
                        .unwrap();
                    let month = first + (rng.next() * (MONTHS - first) as f64) as usize;
                    // Some months skipped by some forecasters: gaps.
                    (month.min(MONTHS - 1), p, y)
                })
                .collect();
            Forecaster { name, f }
        })
        .collect()
}

fn params() -> Params {
    Params {
        bins: 10,
        log_clamp: 0.001,
    }
}

fn bins_of(p: &[f64], y: &[bool]) -> Vec<ReliabilityBin> {
    summarize(p, y, params())
        .calibration
        .iter()
        .map(|b| ReliabilityBin {
            bin_lo: b.bin_lo,
            bin_hi: b.bin_hi,
            n: b.n,
            mean_forecast: b.mean_forecast,
            observed: b.observed,
            ci_lo: b.ci_lo,
            ci_hi: b.ci_hi,
        })
        .collect()
}

/// 90% consistency band by resampling outcomes from the forecasts themselves
/// (calibration assumed), as in `reliabilitydiag`'s "diagonal" regions.
fn band(p: &[f64], rng: &mut Rng) -> Vec<(f64, f64, f64)> {
    let mut xs: Vec<f64> = p.to_vec();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let mut draws: Vec<Vec<f64>> = vec![Vec::new(); xs.len()];
    for _ in 0..400 {
        let y: Vec<bool> = p.iter().map(|q| rng.next() < *q).collect();
        let blocks = pav(p, &y);
        for (i, x) in xs.iter().enumerate() {
            if let Some(b) = blocks.iter().find(|b| b.p_lo <= *x && *x <= b.p_hi) {
                draws[i].push(b.value());
            }
        }
    }
    xs.iter()
        .zip(draws.iter_mut())
        .map(|(x, d)| {
            d.sort_by(f64::total_cmp);
            let q = |f: f64| d[((d.len() - 1) as f64 * f).round() as usize];
            (*x, q(0.05), q(0.95))
        })
        .collect()
}

fn histogram(p: &[f64], y: &[bool]) -> Vec<usize> {
    let mut hist = vec![0usize; 10];
    for b in &summarize(p, y, params()).calibration {
        hist[crate::score::bin_index(b.bin_lo, 10)] += b.n;
    }
    hist
}

fn out_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("out");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(".gitignore"), "*\n").unwrap();
    dir
}

fn brier(p: &[f64], y: &[bool]) -> f64 {
    crate::score::brier(p, y).unwrap_or(f64::NAN)
}

#[test]
#[ignore = "writes example PNGs to out/ for visual review"]
fn write_example_charts() {
    let dir = out_dir();
    let fs = forecasters();
    let all: Vec<(usize, f64, bool)> = fs.iter().flat_map(|f| f.f.iter().copied()).collect();
    let p: Vec<f64> = all.iter().map(|a| a.1).collect();
    let y: Vec<bool> = all.iter().map(|a| a.2).collect();
    let total = p.len();

    // 1. Overall reliability diagram with the CORP curve.
    let hist = histogram(&p, &y);
    let chart = ReliabilityChart {
        title: "Calibration — all forecasters".into(),
        subtitle: format!(
            "n = {total} forecasts · Brier {:.4} · as of 2024-02-29 · bars: 95% Jeffreys intervals",
            brier(&p, &y)
        ),
        bins: bins_of(&p, &y),
        histogram: hist,
    };
    let c = corp(&p, &y).unwrap();
    let overlay = CorpOverlay {
        steps: pav(&p, &y)
            .iter()
            .map(|b| (b.p_lo, b.p_hi, b.value()))
            .collect(),
        band: band(&p, &mut Rng(42)),
        mcb: c.miscalibration,
        dsc: c.discrimination,
        unc: c.uncertainty,
    };
    render_reliability_corp_png(&chart, &overlay, &dir.join("1-reliability-corp.png")).unwrap();
    render_reliability_png(&chart, &dir.join("1b-reliability-plain.png")).unwrap();
    // One forecaster, few forecasts: a sparse CORP chart.
    let f = &fs[6];
    let (fp, fy): (Vec<f64>, Vec<bool>) = f.f.iter().map(|a| (a.1, a.2)).unzip();
    let fc = corp(&fp, &fy).unwrap();
    let sparse = CorpOverlay {
        steps: pav(&fp, &fy)
            .iter()
            .map(|b| (b.p_lo, b.p_hi, b.value()))
            .collect(),
        band: band(&fp, &mut Rng(7)),
        mcb: fc.miscalibration,
        dsc: fc.discrimination,
        unc: fc.uncertainty,
    };
    let sparse_chart = ReliabilityChart {
        title: format!("Calibration — {}", f.name),
        subtitle: format!("n = {} forecasts · Brier {:.4}", fp.len(), brier(&fp, &fy)),
        bins: bins_of(&fp, &fy),
        histogram: histogram(&fp, &fy),
    };
    render_reliability_corp_png(
        &sparse_chart,
        &sparse,
        &dir.join("1c-reliability-corp-sparse.png"),
    )
    .unwrap();

    // 2. Sharpness.
    let mut levels: Vec<(f64, usize)> = Vec::new();
    for q in &p {
        match levels.iter_mut().find(|l| l.0 == *q) {
            Some(l) => l.1 += 1,
            None => levels.push((*q, 1)),
        }
    }
    render_sharpness_png(
        &SharpnessChart {
            title: "Sharpness — all forecasters".into(),
            subtitle: format!("How often each probability was used · n = {total} forecasts"),
            levels: levels.clone(),
        },
        &dir.join("2-sharpness.png"),
    )
    .unwrap();
    let mut rng = Rng(99);
    let fine: Vec<(f64, usize)> = (0..=200)
        .map(|i| {
            (
                i as f64 / 200.0,
                (rng.next() * 12.0) as usize + usize::from(i % 20 == 0) * 30,
            )
        })
        .collect();
    render_sharpness_png(
        &SharpnessChart {
            title: "Sharpness — a forecaster using many levels".into(),
            subtitle: "201 distinct probabilities, binned".into(),
            levels: fine,
        },
        &dir.join("2b-sharpness-binned.png"),
    )
    .unwrap();

    // 3. Small multiples.
    let panels: Vec<Panel> = fs
        .iter()
        .map(|f| {
            let (fp, fy): (Vec<f64>, Vec<bool>) = f.f.iter().map(|a| (a.1, a.2)).unzip();
            Panel {
                name: f.name.into(),
                n: fp.len(),
                brier: brier(&fp, &fy),
                bins: bins_of(&fp, &fy),
            }
        })
        .collect();
    render_small_multiples_png(
        &SmallMultiples {
            title: "Calibration by forecaster".into(),
            subtitle: "As of 2024-02-29 · forecasters in order of Brier score".into(),
            panels: panels.clone(),
        },
        &dir.join("3-small-multiples.png"),
    )
    .unwrap();
    let many: Vec<Panel> = (0..53)
        .map(|i| Panel {
            name: format!("{} #{i}", panels[i % 8].name),
            ..panels[i % 8].clone()
        })
        .collect();
    render_small_multiples_png(
        &SmallMultiples {
            title: "Calibration by forecaster".into(),
            subtitle: "53 forecasters".into(),
            panels: many,
        },
        &dir.join("3b-small-multiples-capped.png"),
    )
    .unwrap();

    // 4. Brier over time.
    let months: Vec<String> = (0..MONTHS).map(month_label).collect();
    let monthly = |rows: &[(usize, f64, bool)]| -> Vec<Option<f64>> {
        (0..MONTHS)
            .map(|m| {
                let (mp, my): (Vec<f64>, Vec<bool>) =
                    rows.iter().filter(|r| r.0 == m).map(|r| (r.1, r.2)).unzip();
                crate::score::brier(&mp, &my)
            })
            .collect()
    };
    let mut series = vec![Series {
        name: "All forecasters".into(),
        values: monthly(&all),
        emphasis: true,
    }];
    for f in &fs {
        series.push(Series {
            name: f.name.into(),
            values: monthly(&f.f),
            emphasis: false,
        });
    }
    render_brier_over_time_png(
        &BrierOverTime {
            title: "Brier score by month".into(),
            subtitle: "Forecasts scored in the month they resolved · gaps: no resolved forecasts"
                .into(),
            months: months.clone(),
            series,
        },
        &dir.join("4-brier-over-time.png"),
    )
    .unwrap();

    // 5. Leaderboard.
    let mut rows: Vec<LeaderRow> = fs
        .iter()
        .map(|f| {
            let (fp, fy): (Vec<f64>, Vec<bool>) = f.f.iter().map(|a| (a.1, a.2)).unzip();
            let b = brier(&fp, &fy);
            // Bootstrap interval of the mean Brier score.
            let sc: Vec<f64> = fp
                .iter()
                .zip(&fy)
                .map(|(p, y)| (p - f64::from(u8::from(*y))).powi(2))
                .collect();
            let mut rng = Rng(5 + fp.len() as u64);
            let mut means: Vec<f64> = (0..1000)
                .map(|_| {
                    (0..sc.len())
                        .map(|_| sc[(rng.next() * sc.len() as f64) as usize])
                        .sum::<f64>()
                        / sc.len() as f64
                })
                .collect();
            means.sort_by(f64::total_cmp);
            LeaderRow {
                name: f.name.into(),
                brier: b,
                lo: means[25],
                hi: means[974],
                ranked: fp.len() >= 10,
                n: fp.len(),
            }
        })
        .collect();
    rows.sort_by(|a, b| b.ranked.cmp(&a.ranked).then(a.brier.total_cmp(&b.brier)));
    render_leaderboard_png(
        &Leaderboard {
            title: "Leaderboard — Brier score".into(),
            subtitle: "As of 2024-02-29 · ranked: at least 10 scored forecasts".into(),
            rows: rows.clone(),
        },
        &dir.join("5-leaderboard.png"),
    )
    .unwrap();
    let long: Vec<LeaderRow> = (0..70)
        .map(|i| LeaderRow {
            name: format!("{} {i}", rows[i % 8].name),
            ..rows[i % 8].clone()
        })
        .collect();
    render_leaderboard_png(
        &Leaderboard {
            title: "Leaderboard — Brier score".into(),
            subtitle: "70 forecasters".into(),
            rows: long,
        },
        &dir.join("5b-leaderboard-capped.png"),
    )
    .unwrap();

    // Other sizes of the CORP chart.
    for (w, h) in [(300u32, 300u32), (1600, 500)] {
        let rgb = crate::render::png::render_reliability_corp_rgb(&chart, &overlay, w, h).unwrap();
        crate::render::png::write_png(&dir.join(format!("8-corp-{w}x{h}.png")), &rgb, w, h)
            .unwrap();
    }

    // Hostile names.
    let names = testutil::hostile_names();
    render_leaderboard_png(
        &Leaderboard {
            title: names.concat(),
            subtitle: names.concat(),
            rows: names
                .iter()
                .enumerate()
                .map(|(i, n)| LeaderRow {
                    name: n.clone(),
                    ranked: i % 3 != 2,
                    ..rows[i % rows.len()].clone()
                })
                .collect(),
        },
        &dir.join("8-hostile-leaderboard.png"),
    )
    .unwrap();
    render_small_multiples_png(
        &SmallMultiples {
            title: names.concat(),
            subtitle: names.concat(),
            panels: names
                .iter()
                .enumerate()
                .map(|(i, n)| Panel {
                    name: n.clone(),
                    ..panels[i % panels.len()].clone()
                })
                .collect(),
        },
        &dir.join("8-hostile-small-multiples.png"),
    )
    .unwrap();
    render_brier_over_time_png(
        &BrierOverTime {
            title: names.concat(),
            subtitle: names.concat(),
            months: names.clone(),
            series: names
                .iter()
                .enumerate()
                .map(|(i, n)| Series {
                    name: n.clone(),
                    values: (0..names.len())
                        .map(|j| Some(0.1 + 0.02 * ((i * 3 + j) % 7) as f64))
                        .collect(),
                    emphasis: i == 3,
                })
                .collect(),
        },
        &dir.join("8-hostile-brier.png"),
    )
    .unwrap();

    // Degenerate inputs, to look at too.
    render_sharpness_png(
        &SharpnessChart::default(),
        &dir.join("9-empty-sharpness.png"),
    )
    .unwrap();
    render_small_multiples_png(
        &SmallMultiples::default(),
        &dir.join("9-empty-small-multiples.png"),
    )
    .unwrap();
    render_brier_over_time_png(&BrierOverTime::default(), &dir.join("9-empty-brier.png")).unwrap();
    render_leaderboard_png(
        &Leaderboard::default(),
        &dir.join("9-empty-leaderboard.png"),
    )
    .unwrap();
    render_reliability_corp_png(
        &ReliabilityChart::default(),
        &CorpOverlay::default(),
        &dir.join("9-empty-corp.png"),
    )
    .unwrap();
    render_brier_over_time_png(
        &BrierOverTime {
            title: "Brier score by month".into(),
            subtitle: "a single month".into(),
            months: vec![months[0].clone()],
            series: vec![Series {
                name: "Ana Lima".into(),
                values: vec![Some(0.21)],
                emphasis: false,
            }],
        },
        &dir.join("9-single-brier.png"),
    )
    .unwrap();
}
