//! Assembling a report folder from scores and charts.
//!
//! Owns the layout of a report folder (`reports/YYYY-MM/` for a month,
//! `reports/YYYY-MM-DD/` for another as-of date): scores.json, scores.csv,
//! forecasts.csv, pairwise.csv, the PNG charts, summary.md, index.html and
//! manifest.json; and the view data behind them (what resolved in the period,
//! Brier over time). The folder is written beside its final place and renamed
//! into it, so a failed run never leaves a half-written report. It computes no
//! score itself: it calls `score` and hands results to `render`.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{Datelike, NaiveDate};
use sha2::{Digest, Sha256};

use crate::ledger::normalize::slugify;
use crate::ledger::{Ledger, hex};
use crate::matching::{ScoredSet, Status, pending_questions};
use crate::model::{OutcomeValue, Stated};
use crate::render::charts::{
    BrierOverTime, LeaderRow, Leaderboard, Panel, Series, SharpnessChart, SmallMultiples,
    render_brier_over_time_png, render_leaderboard_png, render_sharpness_png,
    render_small_multiples_png,
};
use crate::render::csv_out::{self, guard, safe_cell};
use crate::render::html::{self, Chart, Page, Section, TableHtml, escape, source_link, text};
use crate::render::png::{
    CorpOverlay, ReliabilityBin, ReliabilityChart, render_reliability_corp_png,
    render_reliability_png,
};
use crate::render::table::leaderboard;
use crate::render::{fmt4, json};
use crate::score::{ForecasterScores, Pairwise, Scores, Summary, pairwise, question_scores};
use crate::settings::Settings;
use rayon::prelude::*;

/// The last day of a month.
pub fn month_end(year: i32, month: u32) -> Option<NaiveDate> {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(ny, nm, 1).and_then(|d| d.pred_opt())
}

/// Parse `YYYY-MM`.
///
/// ```
/// use hindsight::report::parse_month;
/// assert_eq!(parse_month("2019-02").unwrap().to_string(), "2019-02-28");
/// assert!(parse_month("2019-13").is_err());
/// ```
pub fn parse_month(s: &str) -> Result<NaiveDate, String> {
    let t = s.trim();
    let bad = || format!("'{}' is not a month in the form YYYY-MM", t);
    let (y, m) = t.split_once('-').ok_or_else(bad)?;
    if y.len() != 4 || m.len() != 2 {
        return Err(bad());
    }
    let y: i32 = y.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    if !(1..=12).contains(&m) {
        return Err(bad());
    }
    month_end(y, m).ok_or_else(bad)
}

/// The last day of the last complete month before `today`.
pub fn last_complete_month(today: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(today.year(), today.month(), 1)
        .and_then(|d| d.pred_opt())
        .unwrap_or(today)
}

/// The reporting period: a month, or the month-to-date of another as-of date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub as_of: NaiveDate,
    /// True for a whole-month report (folder `YYYY-MM`).
    pub monthly: bool,
}

impl Period {
    pub fn start(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.as_of.year(), self.as_of.month(), 1).unwrap_or(self.as_of)
    }

    /// Folder name.
    pub fn folder(&self) -> String {
        if self.monthly {
            self.as_of.format("%Y-%m").to_string()
        } else {
            self.as_of.to_string()
        }
    }

    pub fn label(&self) -> String {
        if self.monthly {
            self.as_of.format("%B %Y").to_string()
        } else {
            format!("as of {}", self.as_of)
        }
    }
}

/// The chart data for one summary, with the CORP curve and consistency band.
pub fn reliability_chart(
    who: &str,
    s: &Summary,
    bins: usize,
    as_of: Option<NaiveDate>,
) -> ReliabilityChart {
    let mut histogram = vec![0usize; bins];
    for b in &s.calibration {
        let k = crate::score::bin_index(b.bin_lo, bins);
        histogram[k] += b.n;
    }
    let brier = s
        .brier
        .map(|b| format!("Brier {:.4}", b))
        .unwrap_or_else(|| "Brier –".into());
    let when = as_of.map(|d| format!(" · as of {}", d)).unwrap_or_default();
    ReliabilityChart {
        title: format!("Calibration — {}", who),
        subtitle: format!(
            "n = {} forecasts · {}{} · bars: 95% Jeffreys intervals",
            s.n, brier, when
        ),
        bins: s
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
            .collect(),
        histogram,
    }
}

/// The CORP overlay for the overall chart: PAV steps, consistency band, terms.
pub fn corp_overlay(set: &ScoredSet, s: &Summary) -> CorpOverlay {
    CorpOverlay {
        steps: crate::score::pav(&set.p, &set.y)
            .iter()
            .map(|b| (b.p_lo, b.p_hi, b.value()))
            .collect(),
        band: s.corp_band.clone(),
        mcb: s.corp.map(|c| c.miscalibration).unwrap_or(f64::NAN),
        dsc: s.corp.map(|c| c.discrimination).unwrap_or(f64::NAN),
        unc: s.corp.map(|c| c.uncertainty).unwrap_or(f64::NAN),
    }
}

/// How often each probability was used, over all scored forecasts.
pub fn sharpness_chart(set: &ScoredSet, as_of: NaiveDate) -> SharpnessChart {
    let g = crate::score::Groups::new(&set.p, &set.y);
    SharpnessChart {
        title: "Sharpness: probabilities used".into(),
        subtitle: format!(
            "{} scored forecasts, {} distinct values · as of {}",
            set.len(),
            g.p.len(),
            as_of
        ),
        levels: g
            .p
            .iter()
            .zip(&g.n)
            .map(|(&p, &n)| (p, n as usize))
            .collect(),
    }
}

/// Everything a report is made from.
pub struct ReportInput<'a> {
    pub ledger: &'a Ledger,
    pub set: &'a ScoredSet,
    pub scores: &'a Scores,
    pub settings: &'a Settings,
    pub period: Period,
    pub lexicon: &'a str,
}

/// File name stems for forecasters' charts: ASCII slugs, unique.
pub fn chart_names(names: &[&str]) -> Vec<String> {
    let mut used = HashSet::new();
    names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let base = match slugify(n) {
                s if s.is_empty() => format!("forecaster-{}", i + 1),
                s => s,
            };
            let mut name = base.clone();
            let mut k = 2;
            while !used.insert(name.clone()) {
                name = format!("{}-{}", base, k);
                k += 1;
            }
            format!("calibration-{}", name)
        })
        .collect()
}

/// Write the report into `dir` (replacing an earlier report for the same
/// period). Returns the files written, relative to `dir`.
pub fn write_report(dir: &Path, input: &ReportInput) -> Result<Vec<PathBuf>> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    if dir.exists() {
        let ours = dir.join("manifest.json").is_file()
            || std::fs::read_dir(dir)
                .map(|mut d| d.next().is_none())
                .unwrap_or(false);
        if !ours {
            anyhow::bail!(
                "refusing to replace {}: it exists and was not made by hindsight (no manifest.json); choose another --out",
                dir.display()
            );
        }
    }
    let tmp = tempfile::Builder::new()
        .prefix(".report-")
        .tempdir_in(parent)
        .with_context(|| format!("creating a temporary folder in {}", parent.display()))?;
    let files = write_files(tmp.path(), input)?;
    let staged = tmp.keep();
    // Swap: move the old report aside, move the new one in, then delete the old.
    let aside = if dir.exists() {
        let aside = parent.join(format!(".old-report-{}", std::process::id()));
        std::fs::rename(dir, &aside)
            .with_context(|| format!("moving the old {} aside", dir.display()))?;
        Some(aside)
    } else {
        None
    };
    if let Err(e) = std::fs::rename(&staged, dir) {
        if let Some(a) = &aside {
            let _ = std::fs::rename(a, dir);
        }
        let _ = std::fs::remove_dir_all(&staged);
        return Err(e).with_context(|| format!("moving the report into {}", dir.display()));
    }
    if let Some(a) = aside {
        let _ = std::fs::remove_dir_all(a);
    }
    Ok(files)
}

/// Each scored forecast's Brier and log score, by ledger forecast index:
/// worked out when asked from the scored set (4 bytes a forecast, not a
/// map of every score).
struct ForecastScores<'a> {
    set: &'a ScoredSet,
    clamp: f64,
    /// The scored row of each forecast in the ledger, or `u32::MAX`.
    row: Vec<u32>,
}

impl<'a> ForecastScores<'a> {
    fn new(set: &'a ScoredSet, clamp: f64, forecasts: usize) -> Self {
        let mut row = vec![u32::MAX; forecasts];
        for (i, &f) in set.forecast.iter().enumerate() {
            if let Some(r) = row.get_mut(f as usize) {
                *r = i as u32;
            }
        }
        ForecastScores { set, clamp, row }
    }

    /// (Brier, log score) of ledger forecast `f`, if it was scored.
    fn get(&self, f: usize) -> Option<(f64, f64)> {
        let i = *self.row.get(f).filter(|&&r| r != u32::MAX)? as usize;
        let (p, y) = (self.set.p[i], self.set.y[i]);
        let o = if y { 1.0 } else { 0.0 };
        let pc = p.clamp(self.clamp, 1.0 - self.clamp);
        let q = if y { pc } else { 1.0 - pc };
        Some(((p - o) * (p - o), -q.ln()))
    }
}

/// Month labels, the overall series, and one series per requested forecaster.
pub type OverTime = (Vec<String>, Vec<Option<f64>>, Vec<Vec<Option<f64>>>);

/// Monthly as-of Brier scores from the first month with a scored forecast to
/// the report's month: (month labels, overall series, per-forecaster series).
pub fn brier_over_time(
    ledger: &Ledger,
    set: &ScoredSet,
    as_of: NaiveDate,
    forecasters: &[usize],
) -> OverTime {
    let resolved: HashMap<&str, NaiveDate> = ledger
        .outcomes
        .iter()
        .map(|o| (o.question_id.as_str(), o.resolved_on))
        .collect();
    // Each scored forecast counts from the month its question resolved in.
    let month_index = |d: NaiveDate| d.year() * 12 + d.month0() as i32;
    let mut first = i32::MAX;
    let mut items: Vec<(i32, usize, f64)> = Vec::new(); // (month, group, sq error)
    for (g, r) in set.groups.iter().enumerate() {
        for i in r.clone() {
            let f = &ledger.forecasts[set.forecast[i] as usize];
            let Some(&d) = resolved.get(&*f.question_id) else {
                continue;
            };
            let m = month_index(d);
            first = first.min(m);
            let o = if set.y[i] { 1.0 } else { 0.0 };
            items.push((m, g, (set.p[i] - o).powi(2)));
        }
    }
    let last = month_index(as_of);
    if items.is_empty() || first > last {
        return (Vec::new(), Vec::new(), vec![Vec::new(); forecasters.len()]);
    }
    items.sort_by_key(|x| x.0);
    let months = (last - first + 1) as usize;
    let mut labels = Vec::with_capacity(months);
    let mut overall = Vec::with_capacity(months);
    let mut per: Vec<Vec<Option<f64>>> = vec![Vec::with_capacity(months); forecasters.len()];
    let mut sum_all = (0.0, 0usize);
    let mut sums: HashMap<usize, (f64, usize)> = HashMap::new();
    let mut it = items.iter().peekable();
    for k in 0..months {
        let m = first + k as i32;
        while let Some(&&(mi, g, e)) = it.peek() {
            if mi > m {
                break;
            }
            sum_all.0 += e;
            sum_all.1 += 1;
            let s = sums.entry(g).or_insert((0.0, 0));
            s.0 += e;
            s.1 += 1;
            it.next();
        }
        labels.push(format!(
            "{:04}-{:02}",
            m.div_euclid(12),
            m.rem_euclid(12) + 1
        ));
        overall.push((sum_all.1 > 0).then(|| sum_all.0 / sum_all.1 as f64));
        for (series, g) in per.iter_mut().zip(forecasters) {
            series.push(sums.get(g).filter(|s| s.1 > 0).map(|s| s.0 / s.1 as f64));
        }
    }
    (labels, overall, per)
}

fn write_files(dir: &Path, input: &ReportInput) -> Result<Vec<PathBuf>> {
    let s = input.settings;
    let l = input.ledger;
    let set = input.set;
    let as_of = input.period.as_of;
    let mut files: Vec<PathBuf> = Vec::new();
    let put = |name: &str, bytes: &[u8], files: &mut Vec<PathBuf>| -> Result<()> {
        std::fs::write(dir.join(name), bytes).with_context(|| format!("writing {}", name))?;
        files.push(PathBuf::from(name));
        Ok(())
    };

    let sens = crate::sensitivity::sensitivity(l, set, input.scores);
    let mut buf = Vec::new();
    json::write_scores(
        &mut buf,
        input.scores,
        s,
        Some(as_of),
        &set.unscored,
        input.lexicon,
        Some(&sens),
    )?;
    put("scores.json", &buf, &mut files)?;
    let mut buf = Vec::new();
    csv_out::write_scores(&mut buf, input.scores)?;
    put("scores.csv", &buf, &mut files)?;
    let fscores = ForecastScores::new(set, s.log_clamp, l.forecasts.len());
    // forecasts.csv (one row per forecast: the largest file) is written by a
    // second thread while the charts are drawn; it keeps its place in the
    // file list.
    files.push(PathBuf::from("forecasts.csv"));
    std::thread::scope(|scope| -> Result<Vec<PathBuf>> {
        let forecasts = scope.spawn(|| -> Result<()> {
            // Streamed to the file: the largest output is never held whole.
            let file = std::fs::File::create(dir.join("forecasts.csv"))
                .context("writing forecasts.csv")?;
            forecasts_csv(file, l, set, &fscores, as_of).context("writing forecasts.csv")
        });
        let rest = write_rest(dir, input, &sens, &fscores, files);
        forecasts
            .join()
            .map_err(|_| anyhow::anyhow!("writing forecasts.csv failed"))??;
        let mut files = rest?;
        let manifest = manifest(input, dir, &files)?;
        std::fs::write(dir.join("manifest.json"), manifest).context("writing manifest.json")?;
        files.push(PathBuf::from("manifest.json"));
        Ok(files)
    })
}

/// The report files after forecasts.csv (which another thread writes), up
/// to the manifest.
fn write_rest(
    dir: &Path,
    input: &ReportInput,
    sens: &crate::sensitivity::Sensitivity,
    fscores: &ForecastScores,
    mut files: Vec<PathBuf>,
) -> Result<Vec<PathBuf>> {
    let s = input.settings;
    let l = input.ledger;
    let set = input.set;
    let as_of = input.period.as_of;
    let put = |name: &str, bytes: &[u8], files: &mut Vec<PathBuf>| -> Result<()> {
        std::fs::write(dir.join(name), bytes).with_context(|| format!("writing {}", name))?;
        files.push(PathBuf::from(name));
        Ok(())
    };

    // Fair comparison among the ranked forecasters (the top ones by relative skill).
    const MAX_PAIRWISE: usize = 20;
    let mut ranked: Vec<(usize, &ForecasterScores)> = input
        .scores
        .forecasters
        .iter()
        .enumerate()
        .filter(|(_, f)| f.ranked)
        .collect();
    ranked.sort_by(|a, b| {
        a.1.relative_skill
            .unwrap_or(f64::INFINITY)
            .total_cmp(&b.1.relative_skill.unwrap_or(f64::INFINITY))
            .then(a.1.forecaster.cmp(&b.1.forecaster))
    });
    ranked.truncate(MAX_PAIRWISE);
    let names: Vec<String> = ranked.iter().map(|(_, f)| f.forecaster.clone()).collect();
    let qs: Vec<_> = ranked
        .iter()
        .map(|(g, _)| {
            let r = set.groups[*g].clone();
            question_scores(&set.p[r.clone()], &set.y[r.clone()], &set.question[r])
        })
        .collect();
    let pairs = pairwise(
        &names,
        &qs,
        s.resamples.max(99),
        crate::score::derive_seed(s.seed, "pairwise"),
    );
    put("pairwise.csv", &pairwise_csv(&pairs)?, &mut files)?;

    // Charts.
    let mut charts: Vec<Chart> = Vec::new();
    let mut add_chart =
        |file: &str, title: &str, caption: String, files: &mut Vec<PathBuf>| -> Result<()> {
            files.push(PathBuf::from(file));
            charts.push(Chart {
                title: title.to_string(),
                caption,
                png: std::fs::read(dir.join(file)).with_context(|| format!("reading {}", file))?,
                file: file.to_string(),
            });
            Ok(())
        };
    let ov = &input.scores.overall;
    let overall = reliability_chart("all forecasters", ov, s.bins, Some(as_of));
    let corp = corp_overlay(set, ov);
    render_reliability_corp_png(&overall, &corp, &dir.join("calibration.png"))?;
    add_chart(
        "calibration.png",
        "Calibration, all forecasters",
        format!(
            "Points: mean forecast against observed frequency in bins of width {}, with 95% Jeffreys intervals and counts. Line: the CORP reliability curve (PAV recalibration); shaded: the 90% band a calibrated forecaster would stay in. MCB − DSC + UNC = Brier.",
            1.0 / s.bins as f64
        ),
        &mut files,
    )?;
    render_sharpness_png(&sharpness_chart(set, as_of), &dir.join("sharpness.png"))?;
    add_chart(
        "sharpness.png",
        "Sharpness",
        "How often each probability was used. Sharp forecasters use values near 0 and 1; the chimp says 50%.".into(),
        &mut files,
    )?;
    let board = leaderboard(input.scores);
    let panels: Vec<Panel> = board
        .iter()
        .filter(|f| f.summary.n >= s.min_n)
        .map(|f| Panel {
            name: f.forecaster.clone(),
            n: f.summary.n,
            brier: f.summary.brier.unwrap_or(f64::NAN),
            bins: reliability_chart(&f.forecaster, &f.summary, s.bins, None).bins,
        })
        .collect();
    if !panels.is_empty() {
        let sm = SmallMultiples {
            title: "Calibration by forecaster".into(),
            subtitle: format!(
                "Forecasters with at least {} scored forecasts, best Brier first · as of {}",
                s.min_n, as_of
            ),
            panels,
        };
        render_small_multiples_png(&sm, &dir.join("calibration-by-forecaster.png"))?;
        add_chart(
            "calibration-by-forecaster.png",
            "Calibration by forecaster",
            "One reliability diagram per forecaster with enough scored forecasts.".into(),
            &mut files,
        )?;
    }
    let top: Vec<usize> = board
        .iter()
        .filter(|f| f.ranked)
        .take(5)
        .filter_map(|f| set.forecasters.iter().position(|n| n == &f.forecaster))
        .collect();
    let (months, overall_series, per) = brier_over_time(l, set, as_of, &top);
    if !months.is_empty() {
        let mut series = vec![Series {
            name: "All forecasters".into(),
            values: overall_series,
            emphasis: true,
        }];
        for (g, values) in top.iter().zip(per) {
            series.push(Series {
                name: set.forecasters[*g].clone(),
                values,
                emphasis: false,
            });
        }
        let chart = BrierOverTime {
            title: "Brier score over time".into(),
            subtitle: format!(
                "Each month's as-of score: all forecasts resolved by the end of that month{}",
                if top.is_empty() {
                    String::new()
                } else {
                    format!(" · top {} ranked forecasters", top.len())
                }
            ),
            months,
            series,
        };
        render_brier_over_time_png(&chart, &dir.join("brier-over-time.png"))?;
        add_chart(
            "brier-over-time.png",
            "Brier score over time",
            "Cumulative Brier score at the end of each month, from the first month with a resolved forecast. Lower is better; 0.25 is always saying 50%.".into(),
            &mut files,
        )?;
    }
    let lb = Leaderboard {
        whiskers: String::new(),
        title: "Leaderboard".into(),
        subtitle: format!(
            "Mean Brier score with 95% bootstrap interval (resampling questions) · grey: fewer than {} scored forecasts · as of {}",
            s.min_n, as_of
        ),
        rows: board
            .iter()
            .map(|f| LeaderRow {
                name: f.forecaster.clone(),
                brier: f.summary.brier.unwrap_or(f64::NAN),
                lo: f.summary.brier_ci.map(|c| c[0]).unwrap_or(f64::NAN),
                hi: f.summary.brier_ci.map(|c| c[1]).unwrap_or(f64::NAN),
                ranked: f.ranked,
                n: f.summary.n,
            })
            .collect(),
    };
    render_leaderboard_png(&lb, &dir.join("leaderboard.png"))?;
    add_chart(
        "leaderboard.png",
        "Leaderboard",
        "Each forecaster's mean Brier score (dot) and 95% interval from resampling questions (whiskers); forecasters with one question have no interval.".into(),
        &mut files,
    )?;
    if sens.verbal_forecasts > 0 {
        let rows: Vec<LeaderRow> = board
            .iter()
            .filter_map(|f| {
                sens.forecasters
                    .iter()
                    .find(|r| r.forecaster.as_deref() == Some(f.forecaster.as_str()))
                    .map(|r| (f, r))
            })
            .filter(|(_, r)| r.verbal > 0)
            .map(|(f, r)| {
                let mut vals: Vec<f64> =
                    [r.brier_low, r.brier_high].into_iter().flatten().collect();
                vals.extend(r.by_scale.values().flatten());
                let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                LeaderRow {
                    name: f.forecaster.clone(),
                    brier: f.summary.brier.unwrap_or(f64::NAN),
                    lo,
                    hi,
                    ranked: f.ranked,
                    n: f.summary.n,
                }
            })
            .collect();
        let chart = Leaderboard {
            title: "Sensitivity to how phrases are read".into(),
            subtitle: format!(
                "Dot: Brier as scored ({}); whiskers: phrases at either end of their ranges or on another scale",
                sens.scale
            ),
            rows,
            whiskers: "range over phrase readings".into(),
        };
        render_leaderboard_png(&chart, &dir.join("sensitivity.png"))?;
        add_chart(
            "sensitivity.png",
            "Sensitivity to phrase readings",
            "How far each forecaster's Brier could move if the verbal phrases were read differently: whiskers span every phrase at the low and high end of its range and every built-in scale.".into(),
            &mut files,
        )?;
    }
    let charted: Vec<&ForecasterScores> = input
        .scores
        .forecasters
        .iter()
        .filter(|f| f.summary.n >= s.min_n)
        .collect();
    let stems = chart_names(
        &charted
            .iter()
            .map(|f| f.forecaster.as_str())
            .collect::<Vec<_>>(),
    );
    // One chart per forecaster, rendered in parallel, listed in order.
    let rendered: Vec<Result<String>> = charted
        .par_iter()
        .zip(&stems)
        .map(|(f, stem)| {
            let chart = reliability_chart(&f.forecaster, &f.summary, s.bins, Some(as_of));
            let file = format!("{}.png", stem);
            render_reliability_png(&chart, &dir.join(&file))?;
            Ok(file)
        })
        .collect();
    let mut chart_of: HashMap<String, String> = HashMap::new();
    for (f, file) in charted.iter().zip(rendered) {
        let file = file?;
        files.push(PathBuf::from(&file));
        chart_of.insert(f.forecaster.clone(), file);
    }

    put(
        "summary.md",
        summary_md(input, &chart_of).as_bytes(),
        &mut files,
    )?;
    let page = html_page(input, fscores, &pairs, charts, &chart_of, sens);
    put("index.html", html::render(&page).as_bytes(), &mut files)?;
    Ok(files)
}

fn manifest(input: &ReportInput, dir: &Path, files: &[PathBuf]) -> Result<String> {
    let mut outputs = Vec::new();
    for f in files {
        // Hashed as read: forecasts.csv can be hundreds of megabytes.
        let mut hash = Sha256::new();
        let mut file = std::fs::File::open(dir.join(f))?;
        std::io::copy(&mut file, &mut hash)?;
        outputs.push(
            serde_json::json!({"file": f.display().to_string(), "sha256": hex(&hash.finalize())}),
        );
    }
    let s = input.settings;
    let doc = serde_json::json!({
        "tool": "hindsight",
        "version": env!("CARGO_PKG_VERSION"),
        "as_of": input.period.as_of.to_string(),
        "month": input.period.monthly.then(|| input.period.folder()),
        "settings": {"bins": s.bins, "log_clamp": s.log_clamp, "min_n": s.min_n, "resamples": s.resamples, "seed": s.seed, "lexicon": input.lexicon},
        "inputs": input.ledger.files.iter().map(|(p, h)| serde_json::json!({"file": p.display().to_string().replace('\\', "/"), "sha256": h})).collect::<Vec<_>>(),
        "outputs": outputs,
    });
    Ok(serde_json::to_string_pretty(&doc)? + "\n")
}

fn status_label(s: Option<Status>) -> &'static str {
    s.map(|s| s.as_str()).unwrap_or("filtered")
}

/// Outcomes known by the as-of date, by question.
fn known_outcomes(l: &Ledger, as_of: NaiveDate) -> HashMap<&str, &crate::model::Outcome> {
    l.outcomes
        .iter()
        .filter(|o| o.resolved_on <= as_of)
        .map(|o| (o.question_id.as_str(), o))
        .collect()
}

fn forecasts_csv<W: std::io::Write>(
    out: W,
    l: &Ledger,
    set: &ScoredSet,
    fscores: &ForecastScores,
    as_of: NaiveDate,
) -> Result<()> {
    let qidx = l.question_index();
    let outcome = known_outcomes(l, as_of);
    {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .buffer_capacity(1 << 20)
            .from_writer(out);
        w.write_record([
            "forecast_id",
            "question_id",
            "question",
            "forecaster",
            "made_on",
            "p_yes",
            "stated",
            "direction",
            "closes_on",
            "outcome",
            "resolved_on",
            "status",
            "brier",
            "log_score",
            "quote",
            "source",
            "recorded_by",
        ])?;
        // Per question once: title, deadline and outcome cells.
        let per_question: Vec<[String; 4]> = l
            .questions
            .iter()
            .map(|q| {
                let o = outcome.get(q.id.as_str());
                [
                    safe_cell(&q.title),
                    q.closes_on.to_string(),
                    o.map(|o| o.value.as_str().to_string()).unwrap_or_default(),
                    o.map(|o| o.resolved_on.to_string()).unwrap_or_default(),
                ]
            })
            .collect();
        let none: [String; 4] = Default::default();
        // One reused buffer for numbers and dates; text cells are written as
        // they are unless they need the spreadsheet guard.
        let mut buf = String::new();
        let mut num = |w: &mut csv::Writer<W>, v: &dyn std::fmt::Display| {
            use std::fmt::Write as _;
            buf.clear();
            let _ = write!(buf, "{v}");
            w.write_field(&buf)
        };
        for (i, f) in l.forecasts.iter().enumerate() {
            let qc = qidx
                .get(&*f.question_id)
                .map(|&k| &per_question[k])
                .unwrap_or(&none);
            let sc = fscores.get(i);
            w.write_field(guard(&f.id).as_ref())?;
            w.write_field(guard(&f.question_id).as_ref())?;
            w.write_field(&qc[0])?;
            w.write_field(guard(&f.forecaster).as_ref())?;
            num(&mut w, &f.made_on)?;
            num(&mut w, &f.probability.get())?;
            match &f.stated {
                Stated::Number(v) => num(&mut w, v)?,
                Stated::Phrase { phrase, .. } => w.write_field(guard(phrase).as_ref())?,
            }
            w.write_field(f.direction.as_str())?;
            w.write_field(&qc[1])?;
            w.write_field(&qc[2])?;
            w.write_field(&qc[3])?;
            w.write_field(status_label(set.status.get(i).copied().flatten()))?;
            match sc {
                Some(s) => {
                    num(&mut w, &s.0)?;
                    num(&mut w, &s.1)?;
                }
                None => {
                    w.write_field("")?;
                    w.write_field("")?;
                }
            }
            w.write_field(guard(&f.quote).as_ref())?;
            w.write_field(guard(&f.source).as_ref())?;
            w.write_field(guard(&f.recorded_by).as_ref())?;
            w.write_record(None::<&[u8]>)?;
        }
        w.flush()?;
    }
    Ok(())
}

fn pairwise_csv(pairs: &[Pairwise]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(&mut out);
        w.write_record([
            "a",
            "b",
            "questions",
            "brier_a",
            "brier_b",
            "ratio",
            "p",
            "p_holm",
        ])?;
        for c in pairs {
            w.write_record([
                safe_cell(&c.a),
                safe_cell(&c.b),
                c.questions.to_string(),
                format!("{}", c.brier_a),
                format!("{}", c.brier_b),
                c.ratio.map(|r| format!("{}", r)).unwrap_or_default(),
                format!("{}", c.p),
                format!("{}", c.p_holm),
            ])?;
        }
        w.flush()?;
    }
    Ok(out)
}

/// Escape ledger text for a Markdown table cell.
pub fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' | '*' | '_' | '[' | ']' | '\\' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// The calibration-test cells shared by summary.md and index.html:
/// Spiegelhalter z and p, Hosmer–Lemeshow statistic, df and p (df = groups),
/// CORP test p, calibration intercept and slope.
fn calibration_cells(x: &Summary) -> Vec<String> {
    vec![
        fmt4(x.spiegelhalter.map(|t| t.z)),
        p_text(x.spiegelhalter.map(|t| t.p)),
        fmt4(x.hosmer_lemeshow.map(|h| h.statistic)),
        x.hosmer_lemeshow
            .map(|h| h.df_external.to_string())
            .unwrap_or_else(|| "–".into()),
        p_text(x.hosmer_lemeshow.map(|h| h.p_external)),
        p_text(x.corp_test_p),
        fmt4(x.calibration_line.map(|c| c.intercept)),
        fmt4(x.calibration_line.map(|c| c.slope)),
    ]
}

fn ci_text(ci: Option<[f64; 2]>) -> String {
    ci.map(|[a, b]| format!("{:.3}–{:.3}", a, b))
        .unwrap_or_else(|| "–".into())
}

fn p_text(p: Option<f64>) -> String {
    match p {
        None => "–".into(),
        Some(p) if p < 0.001 => "<0.001".into(),
        Some(p) => format!("{:.3}", p),
    }
}

fn summary_md(input: &ReportInput, charts: &HashMap<String, String>) -> String {
    let l = input.ledger;
    let set = input.set;
    let s = input.settings;
    let mut o = String::new();
    let _ = writeln!(o, "# hindsight report, {}\n", input.period.label());
    let _ = writeln!(
        o,
        "Scored as of {}. Ledger: {} questions, {} forecasts, {} outcomes. Scored: **{} forecasts** by {} forecasters on {} questions. The full report with charts is `index.html`.\n",
        input.period.as_of,
        l.questions.len(),
        l.forecasts.len(),
        l.outcomes.len(),
        set.len(),
        set.forecasters.len(),
        input.scores.overall.questions
    );
    let _ = writeln!(o, "## Scores\n");
    let _ = writeln!(
        o,
        "Brier = mean (p − y)² (0 best, 0.25 = always 50%), with a 95% bootstrap interval over questions; log score = mean −ln q with p clamped to [{}, {}]; skill vs the chimp (always 50%); relative skill = pairwise ratio of mean Brier on shared questions, geometric mean over opponents (lower is better); AUC 0.5 = no discrimination; MCB / DSC / UNC = CORP miscalibration, discrimination, uncertainty (Brier = MCB − DSC + UNC). Forecasters with fewer than {} scored forecasts are listed but not ranked.\n",
        s.log_clamp,
        1.0 - s.log_clamp,
        s.min_n
    );
    let _ = writeln!(
        o,
        "| # | Forecaster | n | Brier | 95% CI | Log | Skill vs chimp | Relative skill | AUC | MCB | DSC | UNC |"
    );
    let _ = writeln!(
        o,
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    let mut rank = 0;
    let row = |o: &mut String, r: &str, name: &str, x: &Summary, rel: Option<f64>| {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r,
            name,
            x.n,
            fmt4(x.brier),
            ci_text(x.brier_ci),
            fmt4(x.log_score),
            fmt4(x.brier_skill_chimp),
            fmt4(rel),
            fmt4(x.auc),
            fmt4(x.corp.map(|c| c.miscalibration)),
            fmt4(x.corp.map(|c| c.discrimination)),
            fmt4(x.corp.map(|c| c.uncertainty)),
        );
    };
    for f in leaderboard(input.scores) {
        let r = if f.ranked {
            rank += 1;
            rank.to_string()
        } else {
            "–".to_string()
        };
        row(&mut o, &r, &md(&f.forecaster), &f.summary, f.relative_skill);
    }
    row(
        &mut o,
        "",
        "**All forecasters**",
        &input.scores.overall,
        None,
    );
    if input.scores.forecasters.iter().all(|f| !f.ranked) {
        let _ = writeln!(
            o,
            "\nNo forecaster has {} or more scored forecasts yet, so none is ranked; rows are ordered by Brier for reading only.",
            s.min_n
        );
    }
    let _ = writeln!(o, "\n## Calibration tests\n");
    let _ = writeln!(
        o,
        "| Forecaster | Spiegelhalter z | p | Hosmer–Lemeshow | df | p | CORP test p | intercept | slope |"
    );
    let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let cal_row = |o: &mut String, name: &str, x: &Summary| {
        let _ = writeln!(o, "| {} | {} |", name, calibration_cells(x).join(" | "));
    };
    cal_row(&mut o, "**All forecasters**", &input.scores.overall);
    for f in leaderboard(input.scores).into_iter().filter(|f| f.ranked) {
        cal_row(&mut o, &md(&f.forecaster), &f.summary);
    }
    let u = &set.unscored;
    let _ = writeln!(o, "\n## Forecasts not scored\n");
    let _ = writeln!(o, "| reason | forecasts |\n|---|---:|");
    for (what, n) in [
        ("pending (no outcome by the as-of date)", u.pending),
        ("void question", u.void),
        ("made after the question closed", u.made_after_close),
        (
            "made on or after the resolution date",
            u.made_after_resolution,
        ),
        ("non-binary question (not scored yet)", u.not_binary),
    ] {
        let _ = writeln!(o, "| {} | {} |", what, n);
    }
    let pending = pending_questions(l, Some(input.period.as_of));
    let _ = writeln!(o, "\n## Pending questions\n");
    if pending.is_empty() {
        let _ = writeln!(o, "None: every question with a forecast has resolved.");
    } else {
        let _ = writeln!(
            o,
            "| closes on | question | forecasts | status |\n|---|---|---:|---|"
        );
        for (qi, n) in pending {
            let q = &l.questions[qi];
            let status = if q.closes_on < input.period.as_of {
                "deadline passed, outcome not recorded"
            } else {
                "open"
            };
            let _ = writeln!(
                o,
                "| {} | {} ({}) | {} | {} |",
                q.closes_on,
                md(&q.title),
                md(&q.id),
                n,
                status
            );
        }
    }
    let _ = writeln!(o, "\n## Charts\n");
    let _ = writeln!(o, "![Calibration, all forecasters](calibration.png)\n");
    if charts.is_empty() {
        let _ = writeln!(
            o,
            "No forecaster has {} or more scored forecasts, so there are no per-forecaster charts.",
            s.min_n
        );
    }
    let mut named: Vec<(&String, &String)> = charts.iter().collect();
    named.sort();
    for (name, file) in named {
        let _ = writeln!(o, "- [{}]({})", md(name), file);
    }
    let _ = writeln!(
        o,
        "\n## Method\n\nSettings: {} calibration bins, log clamp {}, minimum n {}, {} resamples, seed {}. Verbal phrases: {}. Files: scores.json (the data contract's JSON), scores.csv, forecasts.csv (every forecast with its status and score), pairwise.csv, manifest.json (inputs' SHA-256).",
        s.bins, s.log_clamp, s.min_n, s.resamples, s.seed, input.lexicon
    );
    o
}

fn outcome_html(v: OutcomeValue) -> &'static str {
    match v {
        OutcomeValue::Yes => "<span class=\"yes\">yes</span>",
        OutcomeValue::No => "<span class=\"no\">no</span>",
        OutcomeValue::Void => "void",
    }
}

fn prob_html(f: &crate::model::Forecast) -> String {
    let p = format!("{:.0}%", f.probability.get() * 100.0);
    let p = if f.probability.get() > 0.0 && f.probability.get() < 0.01 {
        format!("{:.1}%", f.probability.get() * 100.0)
    } else {
        p
    };
    match &f.stated {
        Stated::Phrase { phrase, .. } => format!(
            "{} <small>(“{}”{})</small>",
            p,
            escape(phrase),
            if f.direction == crate::model::Direction::No {
                ", about no"
            } else {
                ""
            }
        ),
        Stated::Number(_) if f.direction == crate::model::Direction::No => {
            format!("{} <small>(stated for no)</small>", p)
        }
        Stated::Number(_) => p,
    }
}

fn html_page(
    input: &ReportInput,
    fscores: &ForecastScores,
    pairs: &[Pairwise],
    charts: Vec<Chart>,
    chart_of: &HashMap<String, String>,
    sens: &crate::sensitivity::Sensitivity,
) -> Page {
    let l = input.ledger;
    let set = input.set;
    let s = input.settings;
    let sc = input.scores;
    let period = input.period;
    let qidx = l.question_index();
    let outcome = known_outcomes(l, period.as_of);
    let ranked_n = sc.forecasters.iter().filter(|f| f.ranked).count();
    let board = leaderboard(sc);
    let best = board.iter().find(|f| f.ranked);

    let mut headline = vec![
        (
            "scored forecasts".to_string(),
            set.len().to_string(),
            format!("{} questions", sc.overall.questions),
        ),
        (
            "forecasters".to_string(),
            set.forecasters.len().to_string(),
            format!("{} ranked (n ≥ {})", ranked_n, s.min_n),
        ),
        (
            "overall Brier".to_string(),
            fmt4(sc.overall.brier),
            format!(
                "95% CI {} · always 50% = 0.25",
                ci_text(sc.overall.brier_ci)
            ),
        ),
        (
            "skill vs chimp".to_string(),
            fmt4(sc.overall.brier_skill_chimp),
            "1 − Brier / 0.25".to_string(),
        ),
    ];
    if let Some(b) = best {
        headline.push((
            "best ranked".to_string(),
            text(&b.forecaster),
            format!("Brier {}", fmt4(b.summary.brier)),
        ));
    }
    let headline = headline
        .into_iter()
        .map(|(a, b, c)| {
            (
                escape(&a),
                if b.starts_with("<bdi>") {
                    b
                } else {
                    escape(&b)
                },
                escape(&c),
            )
        })
        .collect();

    let mut sections = Vec::new();

    // Leaderboard.
    let mut lb = Section::new("leaderboard", "Leaderboard");
    lb.intro.push(format!(
        "Ranked by mean Brier score (lower is better). The 95% interval resamples questions, not forecasts, since forecasts on one event are not independent. Relative skill compares forecasters only on the questions they both answered (geometric mean of Brier ratios; below 1 is better than the field). Forecasters with fewer than {} scored forecasts are listed in grey and not ranked.",
        s.min_n
    ));
    let mut t = TableHtml::new(
        &[
            "#",
            "Forecaster",
            "n",
            "Brier",
            "95% CI",
            "Log",
            "Skill vs chimp",
            "Skill vs base rate",
            "Relative skill",
            "AUC",
            "MCB",
            "DSC",
        ],
        &[
            true, false, true, true, true, true, true, true, true, true, true, true,
        ],
    );
    let mut rank = 0;
    for f in &board {
        let r = if f.ranked {
            rank += 1;
            rank.to_string()
        } else {
            "–".into()
        };
        let x = &f.summary;
        t.row(
            vec![
                r,
                format!(
                    "<a href=\"#f-{}\">{}</a>",
                    escape(&slugify(&f.forecaster)),
                    text(&f.forecaster)
                ),
                x.n.to_string(),
                fmt4(x.brier),
                ci_text(x.brier_ci),
                fmt4(x.log_score),
                fmt4(x.brier_skill_chimp),
                fmt4(f.brier_skill_base_rate),
                fmt4(f.relative_skill),
                fmt4(x.auc),
                fmt4(x.corp.map(|c| c.miscalibration)),
                fmt4(x.corp.map(|c| c.discrimination)),
            ],
            !f.ranked,
        );
    }
    let x = &sc.overall;
    t.row(
        vec![
            String::new(),
            "<strong>All forecasters</strong>".into(),
            x.n.to_string(),
            fmt4(x.brier),
            ci_text(x.brier_ci),
            fmt4(x.log_score),
            fmt4(x.brier_skill_chimp),
            "–".into(),
            "–".into(),
            fmt4(x.auc),
            fmt4(x.corp.map(|c| c.miscalibration)),
            fmt4(x.corp.map(|c| c.discrimination)),
        ],
        false,
    );
    lb.tables.push(t);
    let (sensitivity_charts, charts): (Vec<Chart>, Vec<Chart>) = charts
        .into_iter()
        .partition(|c| c.file == "sensitivity.png");
    let (board_charts, calibration_charts): (Vec<Chart>, Vec<Chart>) = charts
        .into_iter()
        .partition(|c| c.file == "leaderboard.png" || c.file == "brier-over-time.png");
    lb.charts = board_charts;
    if ranked_n == 0 {
        lb.after.push(format!("<p>No forecaster has {} or more scored forecasts yet, so none is ranked; the order is by Brier for reading only.</p>", s.min_n));
    }
    sections.push(lb);

    // Resolved this period.
    let mut res = Section::new(
        "resolved",
        &format!(
            "Resolved {}",
            if period.monthly {
                format!("in {}", period.label())
            } else {
                format!("from {} to {}", period.start(), period.as_of)
            }
        ),
    );
    let mut resolved: Vec<&crate::model::Outcome> = l
        .outcomes
        .iter()
        .filter(|o| o.resolved_on >= period.start() && o.resolved_on <= period.as_of)
        .collect();
    resolved.sort_by_key(|o| (o.resolved_on, o.question_id.clone()));
    if resolved.is_empty() {
        res.intro
            .push("No question resolved in this period.".into());
    } else {
        let mut t = TableHtml::new(
            &[
                "Resolved",
                "Question",
                "Outcome",
                "Forecaster",
                "Forecast",
                "Brier",
            ],
            &[false, false, false, false, true, true],
        );
        // The forecasts on each resolved question, in ledger order: one
        // pass over the forecasts, not one per question.
        let mut on: HashMap<&str, Vec<usize>> = resolved
            .iter()
            .map(|o| (o.question_id.as_str(), Vec::new()))
            .collect();
        for (i, f) in l.forecasts.iter().enumerate() {
            if let Some(list) = on.get_mut(&*f.question_id) {
                list.push(i);
            }
        }
        for o in resolved {
            let q = qidx.get(o.question_id.as_str()).map(|&k| &l.questions[k]);
            let title = q.map(|q| text(&q.title)).unwrap_or_default();
            let mut any = false;
            let rows = on.get(o.question_id.as_str()).map_or(&[][..], |v| &v[..]);
            for &i in rows {
                let f = &l.forecasts[i];
                let status = set.status.get(i).copied().flatten();
                let brier = fscores
                    .get(i)
                    .map(|s| format!("{:.4}", s.0))
                    .unwrap_or_else(|| status_label(status).replace('_', " "));
                t.row(
                    vec![
                        o.resolved_on.to_string(),
                        title.clone(),
                        outcome_html(o.value).into(),
                        text(&f.forecaster),
                        prob_html(f),
                        brier,
                    ],
                    status != Some(Status::Scored),
                );
                any = true;
            }
            if !any {
                t.row(
                    vec![
                        o.resolved_on.to_string(),
                        title,
                        outcome_html(o.value).into(),
                        "–".into(),
                        "–".into(),
                        "–".into(),
                    ],
                    true,
                );
            }
        }
        res.tables.push(t);
    }
    sections.push(res);

    // Charts.
    let mut ch = Section::new("charts", "Calibration");
    ch.intro.push("A well-calibrated forecaster's points lie on the diagonal: of the things they call 70% likely, about 70% happen.".into());
    ch.charts = calibration_charts;
    let mut t = TableHtml::new(
        &[
            "Forecaster",
            "n",
            "Spiegelhalter z",
            "p",
            "Hosmer–Lemeshow",
            "df",
            "p",
            "CORP test p",
            "Intercept",
            "Slope",
            "In the large",
        ],
        &[
            false, true, true, true, true, true, true, true, true, true, true,
        ],
    );
    let cal = |name: String, x: &Summary, muted: bool, t: &mut TableHtml| {
        t.row(
            vec![name, x.n.to_string()]
                .into_iter()
                .chain(calibration_cells(x))
                .chain([fmt4(x.calibration_in_the_large)])
                .collect(),
            muted,
        )
    };
    cal(
        "<strong>All forecasters</strong>".into(),
        &sc.overall,
        false,
        &mut t,
    );
    for f in &board {
        cal(text(&f.forecaster), &f.summary, !f.ranked, &mut t);
    }
    ch.after.push("<h3>Calibration tests</h3><p>Small p-values are evidence of miscalibration. Spiegelhalter's z is positive when forecasts are too extreme (overconfident) and negative when too timid; Hosmer–Lemeshow uses the same bins as the chart (shown only with 3 or more usable bins) with df = number of bins, since forecasts made in advance are not fitted to these outcomes (scores.json also gives the classical df = bins − 2, which rejects calibrated forecasters too often); the CORP test resamples outcomes from the forecasts themselves; the logistic calibration line has intercept 0 and slope 1 for a calibrated forecaster (slope below 1: overconfident).</p>".into());
    ch.after.push(t.to_html());
    sections.push(ch);

    // Pairwise comparisons.
    let mut pw = Section::new("pairwise", "Head to head");
    if pairs.is_empty() {
        pw.intro.push("Head-to-head tests need at least two ranked forecasters who answered some of the same questions.".into());
    } else {
        pw.intro.push("Each pair of ranked forecasters compared on the questions both answered (up to the 20 best by relative skill). p: sign-flip permutation test of the mean difference in Brier; Holm-adjusted over all pairs shown.".into());
        let mut t = TableHtml::new(
            &[
                "Forecaster A",
                "Forecaster B",
                "Shared questions",
                "Brier A",
                "Brier B",
                "Ratio",
                "p",
                "p (Holm)",
            ],
            &[false, false, true, true, true, true, true, true],
        );
        for c in pairs {
            t.row(
                vec![
                    text(&c.a),
                    text(&c.b),
                    c.questions.to_string(),
                    fmt4(Some(c.brier_a)),
                    fmt4(Some(c.brier_b)),
                    fmt4(c.ratio),
                    p_text(Some(c.p)),
                    p_text(Some(c.p_holm)),
                ],
                c.p_holm >= 0.05,
            );
        }
        pw.tables.push(t);
    }
    sections.push(pw);

    // Sensitivity.
    let mut se = Section::new("sensitivity", "Sensitivity to phrase readings");
    if sens.verbal_forecasts == 0 {
        se.intro.push("Every scored forecast gave a number, so the readings of verbal phrases do not matter here.".into());
    } else {
        se.intro.push(format!(
            "{} scored forecasts came from a verbal phrase, read on the {} scale. The table shows each forecaster's Brier score when every phrase takes the low or the high end of its range, the best and worst case (each phrase at the end that scores best or worst on its outcome), and the score with every phrase read on each built-in scale, with the rank among ranked forecasters in brackets. Numeric forecasts never move.",
            sens.verbal_forecasts,
            escape(&sens.scale)
        ));
        let changes: Vec<String> = sens
            .order_changes
            .iter()
            .map(|(k, v)| {
                format!(
                    "{} {}",
                    escape(k),
                    if *v {
                        "<strong>changes</strong>"
                    } else {
                        "keeps"
                    }
                )
            })
            .collect();
        se.intro.push(format!(
            "Leaderboard order compared with {}: {}.",
            escape(&sens.scale),
            changes.join(", ")
        ));
        let scale_ids: Vec<String> = sens.overall.by_scale.keys().cloned().collect();
        let mut header: Vec<&str> = vec![
            "Forecaster",
            "verbal / n",
            "Brier",
            "low",
            "high",
            "best",
            "worst",
        ];
        header.extend(scale_ids.iter().map(|s| s.as_str()));
        let numeric: Vec<bool> = header.iter().enumerate().map(|(i, _)| i > 0).collect();
        let mut t = TableHtml::new(&header, &numeric);
        let cells = |name: String, r: &crate::sensitivity::SensitivityRow| {
            let mut c = vec![
                name,
                format!("{} / {}", r.verbal, r.n),
                fmt4(r.brier),
                fmt4(r.brier_low),
                fmt4(r.brier_high),
                fmt4(r.brier_best),
                fmt4(r.brier_worst),
            ];
            for id in &scale_ids {
                let v = fmt4(r.by_scale.get(id).copied().flatten());
                c.push(match r.rank_by_scale.get(id).copied().flatten() {
                    Some(k) => format!("{} (#{})", v, k),
                    None => v,
                });
            }
            c
        };
        for r in sens.forecasters.iter().filter(|r| r.verbal > 0) {
            t.row(cells(text(r.forecaster.as_deref().unwrap_or("")), r), false);
        }
        t.row(
            cells("<strong>All forecasters</strong>".into(), &sens.overall),
            false,
        );
        se.tables.push(t);
    }
    se.charts = sensitivity_charts;
    sections.push(se);

    // Pending.
    let mut pe = Section::new("pending", "Pending questions");
    let pending = pending_questions(l, Some(period.as_of));
    if pending.is_empty() {
        pe.intro
            .push("None: every question with a forecast has resolved.".into());
    } else {
        let mut t = TableHtml::new(
            &["Deadline", "Question", "Forecasts", "Status"],
            &[false, false, true, false],
        );
        for (qi, n) in pending {
            let q = &l.questions[qi];
            let late = q.closes_on < period.as_of;
            t.row(
                vec![
                    q.closes_on.to_string(),
                    text(&q.title),
                    n.to_string(),
                    if late {
                        "deadline passed, outcome not recorded".into()
                    } else {
                        "open".into()
                    },
                ],
                false,
            );
        }
        pe.tables.push(t);
    }
    sections.push(pe);

    // Per forecaster.
    const MAX_ROWS: usize = 200;
    let mut per = Section::new("forecasters", "Forecasters");
    per.intro.push("Every scored forecast with the forecaster's words, source, probability (and the phrase it came from), outcome and Brier score. All forecasts, scored or not, are in forecasts.csv.".into());
    for (g, name) in set.forecasters.iter().enumerate() {
        let fsc = sc.forecasters.iter().find(|f| &f.forecaster == name);
        let mut h = format!(
            "<h3 id=\"f-{}\">{}</h3>",
            escape(&slugify(name)),
            text(name)
        );
        if let Some(f) = fsc {
            let _ = write!(
                h,
                "<p>{} scored forecasts · Brier {} ({}) · log {} · {}</p>",
                f.summary.n,
                fmt4(f.summary.brier),
                ci_text(f.summary.brier_ci),
                fmt4(f.summary.log_score),
                if f.ranked {
                    "ranked".to_string()
                } else {
                    format!("not ranked: fewer than {} scored forecasts", s.min_n)
                }
            );
        }
        if let Some(file) = chart_of.get(name) {
            let _ = write!(
                h,
                "<p><a href=\"{}\">Calibration chart</a></p>",
                escape(file)
            );
        }
        let mut rows: Vec<usize> = set.groups[g]
            .clone()
            .map(|i| set.forecast[i] as usize)
            .collect();
        rows.sort_by_key(|&i| std::cmp::Reverse(l.forecasts[i].made_on));
        let total = rows.len();
        let mut t = TableHtml::new(
            &[
                "Made", "Question", "Quote", "Source", "Forecast", "Outcome", "Brier",
            ],
            &[false, false, false, false, true, false, true],
        );
        for &i in rows.iter().take(MAX_ROWS) {
            let f = &l.forecasts[i];
            let q = qidx.get(&*f.question_id).map(|&k| &l.questions[k]);
            let o = outcome.get(&*f.question_id);
            t.row(
                vec![
                    f.made_on.to_string(),
                    q.map(|q| text(&q.title)).unwrap_or_default(),
                    if f.quote.is_empty() {
                        String::new()
                    } else {
                        format!("<q>{}</q>", text(&f.quote))
                    },
                    source_link(&f.source),
                    prob_html(f),
                    o.map(|o| outcome_html(o.value).to_string())
                        .unwrap_or_default(),
                    fscores
                        .get(i)
                        .map(|s| format!("{:.4}", s.0))
                        .unwrap_or_default(),
                ],
                false,
            );
        }
        let mut block = h;
        block.push_str(&t.to_html());
        if total > MAX_ROWS {
            let _ = write!(
                block,
                "<p>… and {} more in forecasts.csv.</p>",
                total - MAX_ROWS
            );
        }
        per.after.push(block);
    }
    sections.push(per);

    // Method.
    let mut me = Section::new("method", "Method and files");
    let u = &set.unscored;
    me.intro.push(format!(
        "Scored as of {}: only forecasts made and outcomes resolved by then count, so re-running this report later gives the same numbers. A forecast is scored when its question has a non-void outcome, it was made on or before the question's deadline and before the outcome was known. Not scored: {} pending, {} void, {} made after the deadline, {} made on or after resolution{}.",
        period.as_of,
        u.pending,
        u.void,
        u.made_after_close,
        u.made_after_resolution,
        if u.not_binary > 0 { format!(", {} on non-binary questions", u.not_binary) } else { String::new() }
    ));
    me.intro.push(format!(
        "Settings: {} calibration bins; log score clamps p to [{}, {}]; minimum {} scored forecasts to be ranked; {} resamples with seed {} for bootstrap intervals and tests. Verbal phrases: {}.",
        s.bins, s.log_clamp, 1.0 - s.log_clamp, s.min_n, s.resamples, s.seed, escape(input.lexicon)
    ));
    me.intro.push("Files beside this page: <a href=\"scores.json\">scores.json</a> (machine-readable scores), <a href=\"scores.csv\">scores.csv</a>, <a href=\"forecasts.csv\">forecasts.csv</a> (every forecast, its status and score), <a href=\"pairwise.csv\">pairwise.csv</a>, <a href=\"summary.md\">summary.md</a>, <a href=\"manifest.json\">manifest.json</a> (tool version, settings, SHA-256 of every input file).".into());
    sections.push(me);

    Page {
        title: format!("hindsight report — {}", period.label()),
        subtitle: format!(
            "Who was right, how often, and how well calibrated: {} forecasts by {} forecasters scored as of {}.",
            set.len(),
            set.forecasters.len(),
            period.as_of
        ),
        headline,
        sections,
        footer: format!(
            "Generated by hindsight {} from {} ledger files. Ledger text is shown as entered by research staff.",
            env!("CARGO_PKG_VERSION"),
            l.files.len()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_names_are_unique_safe_slugs() {
        let n = chart_names(&["Ann Lee", "ann lee", "../../etc", "Зоя", ""]);
        assert_eq!(n[0], "calibration-ann-lee");
        assert_eq!(n[1], "calibration-ann-lee-2");
        assert_eq!(n[2], "calibration-etc");
        assert_eq!(n[3], "calibration-forecaster-4");
        assert_eq!(n[4], "calibration-forecaster-5");
    }

    #[test]
    fn markdown_escaping() {
        assert_eq!(md("a|b<script>\n"), "a\\|b&lt;script&gt; ");
    }

    #[test]
    fn months() {
        assert_eq!(
            parse_month("2020-02").unwrap(),
            NaiveDate::from_ymd_opt(2020, 2, 29).unwrap()
        );
        assert_eq!(
            parse_month("2019-12").unwrap(),
            NaiveDate::from_ymd_opt(2019, 12, 31).unwrap()
        );
        for bad in ["2019-1", "19-01", "2019-00", "2019/01", "x"] {
            assert!(parse_month(bad).is_err(), "{bad}");
        }
        assert_eq!(
            last_complete_month(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()),
            NaiveDate::from_ymd_opt(2026, 10, 31).unwrap()
        );
        assert_eq!(
            last_complete_month(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()),
            NaiveDate::from_ymd_opt(2025, 12, 31).unwrap()
        );
    }
}
