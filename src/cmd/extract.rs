//! `hindsight extract ARTICLE -o draft.csv`: propose draft forecast rows from
//! commentary, in the import format, for a person to review.

use std::process::ExitCode;

use anyhow::{Context, Result};
use hindsight::extract::{ExtractOptions, decode_article, extract, write_drafts_csv};

use crate::cli::{Cli, ExtractArgs};

pub fn run(cli: &Cli, args: &ExtractArgs) -> Result<ExitCode> {
    if !(0.0..=1.0).contains(&args.min_confidence) {
        anyhow::bail!(
            "--min-confidence {} is not between 0 and 1",
            args.min_confidence
        );
    }
    let lexicon = super::lexicon::lexicon_for(cli, args.scale.as_deref())?;
    let bytes = std::fs::read(&args.article)
        .with_context(|| format!("reading {}", args.article.display()))?;
    let text =
        decode_article(&bytes).map_err(|e| anyhow::anyhow!("{}: {}", args.article.display(), e))?;
    let opts = ExtractOptions {
        source: args.source.clone().unwrap_or_default(),
        published: args.published,
        recorded_by: args.by.clone().unwrap_or_default(),
        min_confidence: args.min_confidence,
    };
    let drafts = extract(&text, &lexicon, &opts);
    let mut out = Vec::new();
    write_drafts_csv(&mut out, &drafts, &opts)?;
    if args.output.as_os_str() == "-" {
        super::print_stdout(&out)?;
    } else {
        hindsight::ledger::write::atomic_write(&args.output, &out)?;
    }
    eprintln!(
        "{} draft forecast(s) from {}{}; fill in question_id (and probability or verbal where empty), review, then: hindsight import forecasts {}",
        drafts.len(),
        args.article.display(),
        if args.output.as_os_str() == "-" {
            String::new()
        } else {
            format!(" written to {}", args.output.display())
        },
        if args.output.as_os_str() == "-" {
            "FILE".to_string()
        } else {
            args.output.display().to_string()
        }
    );
    Ok(ExitCode::SUCCESS)
}
