//! The data contract's JSON document (`hindsight score --format json`).

use std::io::Write;

use chrono::NaiveDate;
use serde::Serialize;

use crate::matching::Unscored;
use crate::score::{ForecasterScores, Scores, Summary};
use crate::sensitivity::Sensitivity;
use crate::settings::Settings;

#[derive(Serialize)]
struct Doc<'a> {
    as_of: Option<String>,
    settings: SettingsOut<'a>,
    overall: &'a Summary,
    forecasters: &'a [ForecasterScores],
    unscored: &'a Unscored,
    #[serde(skip_serializing_if = "Option::is_none")]
    sensitivity: Option<&'a Sensitivity>,
}

#[derive(Serialize)]
struct SettingsOut<'a> {
    bins: usize,
    log_clamp: f64,
    min_n: usize,
    resamples: usize,
    seed: u64,
    lexicon: &'a str,
}

/// Write the scores document, pretty-printed, with a trailing newline.
pub fn write_scores<W: Write>(
    w: &mut W,
    scores: &Scores,
    settings: &Settings,
    as_of: Option<NaiveDate>,
    unscored: &Unscored,
    lexicon: &str,
    sensitivity: Option<&Sensitivity>,
) -> std::io::Result<()> {
    let doc = Doc {
        as_of: as_of.map(|d| d.to_string()),
        settings: SettingsOut {
            bins: settings.bins,
            log_clamp: settings.log_clamp,
            min_n: settings.min_n,
            resamples: settings.resamples,
            seed: settings.seed,
            lexicon,
        },
        overall: &scores.overall,
        forecasters: &scores.forecasters,
        unscored,
        sensitivity,
    };
    serde_json::to_writer_pretty(&mut *w, &doc).map_err(std::io::Error::other)?;
    w.write_all(b"\n")
}
