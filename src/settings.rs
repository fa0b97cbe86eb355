//! Ledger settings from the optional `hindsight.toml`.
//!
//! Owns the scoring settings (bins, log-score clamp, minimum sample size) and
//! turns the `[lexicon]` table into lexicon overrides. Problems are returned as
//! located diagnostics; reading the file is the caller's job.

use serde::Serialize;

use crate::error::{Diagnostic, Location, show};
use crate::lexicon::{Entry, Lexicon, Origin, Scale};

/// Scoring settings. Defaults follow the data contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    /// Number of equal-width calibration bins.
    pub bins: usize,
    /// Log score clamp c: p is clamped to [c, 1 - c].
    pub log_clamp: f64,
    /// Minimum scored forecasts for a forecaster to be ranked and charted.
    pub min_n: usize,
    /// Resamples for the CORP consistency test, bands and bootstrap intervals.
    pub resamples: usize,
    /// Base seed of every random draw, so reports are reproducible.
    pub seed: u64,
    /// The verbal probability scale phrases are read on first.
    pub scale: Scale,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bins: 10,
            log_clamp: 0.001,
            min_n: 5,
            resamples: 1000,
            seed: 20190315,
            scale: Scale::default(),
        }
    }
}

impl Settings {
    /// The scoring parameters these settings give.
    pub fn params(&self) -> crate::score::Params {
        crate::score::Params {
            bins: self.bins,
            log_clamp: self.log_clamp,
            resamples: self.resamples,
            seed: self.seed,
            corp_band: true,
        }
    }

    pub fn check_bins(bins: usize) -> Result<(), String> {
        if (1..=1000).contains(&bins) {
            Ok(())
        } else {
            Err(format!("{} bins: choose between 1 and 1000", bins))
        }
    }
}

/// Parse `hindsight.toml` text into settings and lexicon overrides.
pub fn parse(text: &str, file: &Location) -> (Settings, Lexicon, Vec<Diagnostic>) {
    let mut settings = Settings::default();
    let mut lexicon = Lexicon::builtin();
    let mut diags = Vec::new();
    let table: toml::Table = match text.parse() {
        Ok(t) => t,
        Err(e) => {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() as u64 + 1)
                .unwrap_or(0);
            let loc = Location::new(file.file.clone(), line);
            diags.push(Diagnostic::error(
                loc,
                format!("not valid TOML: {}", e.message()),
            ));
            return (settings, lexicon, diags);
        }
    };
    let line_of = |key: &str| -> u64 {
        text.lines()
            .position(|l| {
                let t = l.trim_start();
                t.starts_with(key) || t.starts_with(&format!("\"{}\"", key))
            })
            .map(|i| i as u64 + 1)
            .unwrap_or(0)
    };
    // The scale comes first: the [lexicon] overrides go on top of it.
    if let Some(value) = table.get("scale") {
        let loc = Location::new(file.file.clone(), line_of("scale")).with_field("scale");
        match value.as_str().map(Scale::parse) {
            Some(Ok(s)) => {
                settings.scale = s;
                lexicon = Lexicon::for_scale(s);
            }
            Some(Err(e)) => diags.push(Diagnostic::error(loc, e)),
            None => diags.push(Diagnostic::error(
                loc,
                format!(
                    "{} is not a scale name (known: {})",
                    value,
                    Scale::ALL.map(|s| s.id()).join(", ")
                ),
            )),
        }
    }
    for (key, value) in &table {
        let loc = Location::new(file.file.clone(), line_of(key)).with_field(key);
        match key.as_str() {
            "scale" => {}
            "bins" => match value.as_integer() {
                Some(b) if (1..=1000).contains(&b) => settings.bins = b as usize,
                _ => diags.push(Diagnostic::error(
                    loc,
                    format!("{} is not a whole number of bins from 1 to 1000", value),
                )),
            },
            "log_clamp" => match value.as_float() {
                Some(c) if c > 0.0 && c < 0.5 => settings.log_clamp = c,
                _ => diags.push(Diagnostic::error(
                    loc,
                    format!("{} is not a number in (0, 0.5)", value),
                )),
            },
            "min_n" => match value.as_integer() {
                Some(n) if n >= 1 => settings.min_n = n as usize,
                _ => diags.push(Diagnostic::error(
                    loc,
                    format!("{} is not a positive whole number", value),
                )),
            },
            "resamples" => match value.as_integer() {
                Some(n) if (0..=1_000_000).contains(&n) => settings.resamples = n as usize,
                _ => diags.push(Diagnostic::error(
                    loc,
                    format!("{} is not a whole number from 0 to 1000000", value),
                )),
            },
            "seed" => match value.as_integer() {
                Some(n) if n >= 0 => settings.seed = n as u64,
                _ => diags.push(Diagnostic::error(
                    loc,
                    format!("{} is not a non-negative whole number", value),
                )),
            },
            "lexicon" => match value.as_table() {
                Some(t) => {
                    for (phrase, v) in t {
                        let ploc = Location::new(file.file.clone(), line_of(phrase))
                            .with_field(&format!("lexicon.{}", phrase));
                        match lexicon_entry(phrase, v) {
                            Ok(e) => lexicon.insert(e),
                            Err(msg) => diags.push(Diagnostic::error(ploc, msg)),
                        }
                    }
                }
                None => diags.push(Diagnostic::error(loc, "must be a table of phrases")),
            },
            other => diags.push(Diagnostic::error(
                loc,
                format!(
                    "unknown setting {} (known: bins, log_clamp, min_n, resamples, seed, scale, [lexicon])",
                    show(other)
                ),
            )),
        }
    }
    (settings, lexicon, diags)
}

fn lexicon_entry(phrase: &str, v: &toml::Value) -> Result<Entry, String> {
    let num = |v: &toml::Value| v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
    let (point, low, high, note) = if let Some(p) = num(v) {
        (p, p, p, String::new())
    } else if let Some(t) = v.as_table() {
        for k in t.keys() {
            if !["p", "low", "high", "note"].contains(&k.as_str()) {
                return Err(format!(
                    "unknown key {} (known: p, low, high, note)",
                    show(k)
                ));
            }
        }
        let p = t.get("p").and_then(num).ok_or("needs a probability `p`")?;
        let low = t.get("low").and_then(num).unwrap_or(p);
        let high = t.get("high").and_then(num).unwrap_or(p);
        let note = t
            .get("note")
            .and_then(|n| n.as_str())
            .unwrap_or("")
            .to_string();
        (p, low, high, note)
    } else {
        return Err(format!(
            "{} is neither a probability nor {{ p = .., low = .., high = .., note = \"..\" }}",
            v
        ));
    };
    if !((0.0..=1.0).contains(&low) && low <= point && point <= high && high <= 1.0) {
        return Err(format!(
            "needs 0 <= low <= p <= high <= 1, got low {} p {} high {}",
            low, point, high
        ));
    }
    Ok(Entry::new(phrase, point, low, high, Origin::Ledger(note)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc() -> Location {
        Location::file("hindsight.toml")
    }

    #[test]
    fn parses_settings_and_lexicon() {
        let text = "bins = 5\nlog_clamp = 0.01\n[lexicon]\n\"quite skeptical\" = { p = 0.2, low = 0.1, high = 0.3, note = \"ours\" }\n\"near at hand\" = 0.8\n";
        let (s, lex, d) = parse(text, &loc());
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(s.bins, 5);
        assert_eq!(s.log_clamp, 0.01);
        assert_eq!(lex.lookup("Quite skeptical").unwrap().point, 0.2);
        assert_eq!(lex.lookup("near at hand").unwrap().high, 0.8);
    }

    #[test]
    fn reports_bad_values_with_lines() {
        let text = "bins = 0\ncolour = \"red\"\n[lexicon]\n\"x\" = 1.5\n";
        let (_, _, d) = parse(text, &loc());
        let msgs: Vec<String> = d.iter().map(|d| d.to_string()).collect();
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("hindsight.toml:1: bins:"))
        );
        assert!(msgs.iter().any(|m| m.contains("unknown setting 'colour'")));
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("hindsight.toml:4: lexicon.x:"))
        );
    }

    #[test]
    fn scale_is_chosen_before_the_overrides() {
        let text = "[lexicon]\n\"a long shot\" = 0.1\n\"likely\" = 0.7\n\nscale = \"IPCC\"\n";
        // TOML puts a top-level key after a table in that table; write it first.
        let (_, _, d) = parse(text, &loc());
        assert!(!d.is_empty());
        let text = "scale = \"ipcc\"\n[lexicon]\n\"a long shot\" = 0.1\n\"likely\" = 0.7\n";
        let (s, lex, d) = parse(text, &loc());
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(s.scale, Scale::Ipcc);
        assert_eq!(lex.scale(), Scale::Ipcc);
        assert_eq!(lex.lookup("very likely").unwrap().point, 0.95);
        assert_eq!(lex.lookup("likely").unwrap().point, 0.7);
        assert_eq!(lex.lookup("a long shot").unwrap().point, 0.1);
    }

    #[test]
    fn unknown_scale_is_located() {
        let (s, _, d) = parse("bins = 5\nscale = \"sherman\"\n", &loc());
        assert_eq!(d.len(), 1);
        assert!(
            d[0].to_string()
                .starts_with("hindsight.toml:2: scale: unknown scale 'sherman' (known: icd203, kent, phia, ipcc, survey)"),
            "{}",
            d[0]
        );
        assert_eq!(s.scale, Scale::Icd203);
        let (_, _, d) = parse("scale = 3\n", &loc());
        assert!(
            d[0].to_string().contains("3 is not a scale name"),
            "{}",
            d[0]
        );
    }

    #[test]
    fn invalid_toml_is_located() {
        let (_, _, d) = parse("bins = \n", &loc());
        assert_eq!(d.len(), 1);
        assert!(d[0].to_string().contains("not valid TOML"));
    }
}
