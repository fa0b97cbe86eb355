//! `hindsight lexicon [lookup PHRASE]`: show the verbal probability lexicon.

use std::process::ExitCode;

use anyhow::Result;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use hindsight::ledger;
use hindsight::lexicon::{Lexicon, Scale};
use hindsight::render::terminal_safe;
use hindsight::settings;

use crate::cli::{Cli, LexiconArgs, LexiconCommand};

/// The lexicon in force: built in, plus the ledger's hindsight.toml if there
/// is one, read on `scale` when given.
pub fn lexicon_for(cli: &Cli, scale: Option<&str>) -> Result<Lexicon> {
    let lex = ledger_lexicon(cli)?;
    match scale {
        None => Ok(lex),
        Some(name) => {
            let s = Scale::parse(name).map_err(|e| anyhow::anyhow!("--scale: {}", e))?;
            Ok(lex.with_scale(s))
        }
    }
}

fn ledger_lexicon(cli: &Cli) -> Result<Lexicon> {
    let path = cli.root.join(ledger::SETTINGS_FILE);
    if !path.is_file() {
        return Ok(Lexicon::builtin());
    }
    let text = std::fs::read_to_string(&path)?;
    let (_, lex, diags) = settings::parse(
        &text,
        &hindsight::error::Location::file(ledger::SETTINGS_FILE),
    );
    if diags.iter().any(|d| d.is_error()) {
        return Err(hindsight::error::Rejected(diags).into());
    }
    Ok(lex)
}

pub fn run(cli: &Cli, args: &LexiconArgs) -> Result<ExitCode> {
    let lex = lexicon_for(cli, args.scale.as_deref())?;
    match &args.command {
        None => {
            let mut t = Table::new();
            t.load_preset(UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(110);
            t.set_header(vec!["Phrase", "P", "Low", "High", "Source"]);
            // With --scale: that scale's own list, as published; otherwise
            // every phrase in force.
            let own: Vec<hindsight::lexicon::Entry> = match &args.scale {
                Some(name) => Lexicon::scale_entries(
                    Scale::parse(name).map_err(|e| anyhow::anyhow!("--scale: {}", e))?,
                ),
                None => Vec::new(),
            };
            let mut entries: Vec<_> = if args.scale.is_some() {
                own.iter().collect()
            } else {
                lex.entries().collect()
            };
            entries.sort_by(|a, b| a.point.total_cmp(&b.point).then(a.phrase.cmp(&b.phrase)));
            for e in entries {
                let r = |v: f64| Cell::new(format!("{:.3}", v)).set_alignment(CellAlignment::Right);
                t.add_row(vec![
                    Cell::new(terminal_safe(&e.phrase)),
                    r(e.point),
                    r(e.low),
                    r(e.high),
                    Cell::new(terminal_safe(&e.explain())),
                ]);
            }
            super::print_stdout(format!("{}\n{}\nPhrases are matched ignoring case, curly quotes, extra spaces and trailing punctuation.\ndirection = no in a forecast row gives P(yes) = 1 - P.\n", t, terminal_safe(&lex.describe())).as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Some(LexiconCommand::Lookup { phrase }) => match lex.lookup(phrase) {
            Some(e) => {
                super::print_stdout(
                    format!(
                        "'{}' -> P = {} (range {} to {})\nsource: {}\n",
                        terminal_safe(&e.phrase),
                        e.point,
                        e.low,
                        e.high,
                        terminal_safe(&e.explain())
                    )
                    .as_bytes(),
                )?;
                Ok(ExitCode::SUCCESS)
            }
            None => {
                let near = lex.suggest(phrase, 3);
                eprintln!(
                    "hindsight: unknown phrase '{}'; nearest known: {}\nAdd it to hindsight.toml under [lexicon] to map it, e.g. \"{}\" = {{ p = 0.4, low = 0.2, high = 0.6, note = \"why\" }}",
                    terminal_safe(phrase),
                    near.iter()
                        .map(|s| format!("'{}'", s))
                        .collect::<Vec<_>>()
                        .join(", "),
                    terminal_safe(&hindsight::lexicon::normalize(phrase))
                );
                Ok(ExitCode::from(1))
            }
        },
    }
}
