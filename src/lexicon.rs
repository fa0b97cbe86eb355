//! Verbal probability lexicon: estimative phrase -> probability (point and range).
//!
//! Owns the built-in phrase table (ICD 203 terms and the project's documented
//! readings of common commentary phrases), phrase normalization (case, curly
//! quotes, spacing, trailing punctuation) and ledger overrides from
//! `hindsight.toml`. It does not read files; `settings` parses the TOML and hands
//! the overrides here.

use std::collections::BTreeMap;

/// Where a mapping comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// A published scale, named.
    Scale(&'static str),
    /// The project's own judgement, documented in the table below and the README.
    Judgement(&'static str),
    /// The ledger's `hindsight.toml`, with its note.
    Ledger(String),
}

impl Origin {
    pub fn describe(&self) -> String {
        match self {
            Origin::Scale(s) => s.to_string(),
            Origin::Judgement(why) => format!("hindsight judgement: {}", why),
            Origin::Ledger(note) if note.is_empty() => "ledger hindsight.toml".to_string(),
            Origin::Ledger(note) => format!("ledger hindsight.toml: {}", note),
        }
    }
}

/// One phrase's mapping: a point probability and a plausible range.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub phrase: String,
    pub point: f64,
    pub low: f64,
    pub high: f64,
    pub origin: Origin,
}

const ICD: &str = "ICD 203 (US Intelligence Community Directive 203)";

/// The built-in table: (phrases, point, low, high, origin).
fn builtin() -> Vec<(&'static [&'static str], f64, f64, f64, Origin)> {
    use Origin::{Judgement as J, Scale as S};
    vec![
        // ICD 203: point = middle of the range.
        (&["almost no chance", "remote"], 0.03, 0.01, 0.05, S(ICD)),
        (
            &["very unlikely", "highly improbable"],
            0.125,
            0.05,
            0.20,
            S(ICD),
        ),
        (&["unlikely", "improbable"], 0.325, 0.20, 0.45, S(ICD)),
        (
            &["roughly even chance", "roughly even odds"],
            0.5,
            0.45,
            0.55,
            S(ICD),
        ),
        (&["likely", "probable"], 0.675, 0.55, 0.80, S(ICD)),
        (
            &["very likely", "highly probable"],
            0.875,
            0.80,
            0.95,
            S(ICD),
        ),
        (
            &["almost certain", "almost certainly", "nearly certain"],
            0.97,
            0.95,
            0.99,
            S(ICD),
        ),
        // Commentary phrases with no official number: the project's readings.
        (
            &["will", "certainly", "definitely", "bound to", "is bound to"],
            0.95,
            0.90,
            0.99,
            J(
                "a plain statement of what will happen reads as near-certain (survey 'certainly': median 98%); 0.95 leaves room for rhetoric",
            ),
        ),
        (
            &["will not", "won't", "no chance"],
            0.05,
            0.01,
            0.10,
            J("mirror of 'will' (1 - p)"),
        ),
        (
            &[
                "cannot be ruled out",
                "can't be ruled out",
                "cannot rule out",
                "cannot dismiss",
                "cannot discount",
            ],
            0.25,
            0.05,
            0.45,
            J(
                "2007 US NIE usage: a less-than-even chance worth mentioning; between 'remote' and 'unlikely'",
            ),
        ),
        (
            &["possible", "possibly"],
            0.45,
            0.25,
            0.50,
            J("survey 'possibly': median 45%, middle half 25-50%; Kent left it unquantified"),
        ),
        (
            &["could", "may", "might"],
            0.40,
            0.20,
            0.50,
            J("survey 'might happen': median 40%, middle half 20-50%"),
        ),
        (
            &["real possibility", "realistic possibility"],
            0.45,
            0.40,
            0.50,
            S("UK PHIA probability yardstick ('realistic possibility', 40 to <50%)"),
        ),
        (
            &[
                "strong possibility",
                "serious possibility",
                "high possibility",
            ],
            0.66,
            0.45,
            0.80,
            J("survey 'serious possibility': median 66%, middle half 45-80%"),
        ),
        (
            &["highly likely"],
            0.85,
            0.80,
            0.90,
            S("UK PHIA probability yardstick ('highly likely', 80-90%)"),
        ),
        (
            &["highly unlikely"],
            0.15,
            0.10,
            0.20,
            S("UK PHIA probability yardstick ('highly unlikely', 10-20%)"),
        ),
        (
            &["probably"],
            0.70,
            0.60,
            0.75,
            J("survey 'probably': median 70%, middle half 60-75%"),
        ),
        (
            &["expected", "expect"],
            0.75,
            0.60,
            0.90,
            J("an expectation stated without hedging: above 'likely', below 'will'"),
        ),
        (
            &["better than even"],
            0.60,
            0.51,
            0.70,
            J("above even odds; survey 'more often than not': median 60%"),
        ),
        (
            &["not likely"],
            0.325,
            0.20,
            0.45,
            J("negation read as ICD 203 'unlikely'"),
        ),
        (
            &["plans to"],
            0.80,
            0.65,
            0.90,
            J("a reported plan usually goes ahead, but plans slip"),
        ),
        (
            &["hopeful"],
            0.60,
            0.50,
            0.70,
            J("a stated hope leans to yes but is weaker than 'likely'"),
        ),
    ]
}

/// Normalize a phrase for lookup: lower case, straight quotes, single spaces,
/// no surrounding quotes or trailing punctuation.
///
/// ```
/// use hindsight::lexicon::normalize;
/// assert_eq!(normalize("  Cannot  be ruled out. "), "cannot be ruled out");
/// assert_eq!(normalize("“Won’t”"), "won't");
/// ```
pub fn normalize(phrase: &str) -> String {
    let mapped: String = phrase
        .chars()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' | '\u{02BC}' | '\u{2032}' => '\'',
            '\u{201C}' | '\u{201D}' | '\u{00AB}' | '\u{00BB}' => '"',
            c if c.is_whitespace() => ' ',
            c => c,
        })
        .collect::<String>()
        .to_lowercase();
    let words: Vec<&str> = mapped.split(' ').filter(|w| !w.is_empty()).collect();
    let joined = words.join(" ");
    joined
        .trim_matches('"')
        .trim_end_matches(['.', '!', '?', ',', ';', ':'])
        .trim()
        .to_string()
}

/// A lexicon: the built-in table plus any ledger overrides.
#[derive(Debug, Clone)]
pub struct Lexicon {
    entries: BTreeMap<String, Entry>,
}

impl Default for Lexicon {
    fn default() -> Self {
        Lexicon::builtin()
    }
}

impl Lexicon {
    /// The built-in table.
    pub fn builtin() -> Lexicon {
        let mut entries = BTreeMap::new();
        for (phrases, point, low, high, origin) in builtin() {
            for p in phrases {
                entries.insert(
                    p.to_string(),
                    Entry {
                        phrase: p.to_string(),
                        point,
                        low,
                        high,
                        origin: origin.clone(),
                    },
                );
            }
        }
        Lexicon { entries }
    }

    /// Add or replace a phrase (ledger override). The phrase is normalized.
    pub fn insert(&mut self, entry: Entry) {
        let key = normalize(&entry.phrase);
        self.entries.insert(
            key.clone(),
            Entry {
                phrase: key,
                ..entry
            },
        );
    }

    /// Look a phrase up after normalization.
    pub fn lookup(&self, phrase: &str) -> Option<&Entry> {
        self.entries.get(&normalize(phrase))
    }

    /// Up to `k` known phrases nearest to an unknown one (by edit distance on
    /// normalized text), for "did you mean" messages.
    pub fn suggest(&self, phrase: &str, k: usize) -> Vec<&str> {
        let norm = normalize(phrase);
        let mut scored: Vec<(f64, &str)> = self
            .entries
            .keys()
            .map(|known| {
                let mut s = strsim::normalized_levenshtein(&norm, known);
                if norm.contains(known.as_str()) || known.contains(norm.as_str()) {
                    s += 0.25;
                }
                (s, known.as_str())
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        scored.into_iter().take(k).map(|(_, p)| p).collect()
    }

    /// Every entry, alphabetically.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_phrase_has_a_range_containing_its_point() {
        let lex = Lexicon::builtin();
        assert!(lex.entries().count() >= 40);
        for e in lex.entries() {
            assert!(
                0.0 <= e.low && e.low <= e.point && e.point <= e.high && e.high <= 1.0,
                "{}: {} not in [{}, {}]",
                e.phrase,
                e.point,
                e.low,
                e.high
            );
            assert_eq!(lex.lookup(&e.phrase).unwrap().point, e.point);
        }
    }

    #[test]
    fn table_of_readings() {
        let lex = Lexicon::builtin();
        let cases = [
            ("almost no chance", 0.03),
            ("Remote", 0.03),
            ("very unlikely", 0.125),
            ("unlikely", 0.325),
            ("roughly even odds", 0.5),
            ("likely", 0.675),
            ("highly probable", 0.875),
            ("almost certainly", 0.97),
            ("Cannot be ruled out.", 0.25),
            ("can’t be ruled out", 0.25),
            ("possible", 0.45),
            ("will", 0.95),
            ("WILL NOT", 0.05),
            ("won’t", 0.05),
            ("  highly   likely ", 0.85),
        ];
        for (phrase, want) in cases {
            let got = lex.lookup(phrase).map(|e| e.point);
            assert_eq!(got, Some(want), "{phrase}");
        }
    }

    #[test]
    fn negations_mirror_their_positive_forms() {
        let lex = Lexicon::builtin();
        let pairs = [("will", "will not"), ("likely", "not likely")];
        for (pos, neg) in pairs {
            let p = lex.lookup(pos).unwrap().point;
            let n = lex.lookup(neg).unwrap().point;
            assert!((p + n - 1.0).abs() < 1e-12, "{pos} {p} vs {neg} {n}");
        }
    }

    #[test]
    fn unknown_phrases_are_not_guessed_and_get_suggestions() {
        let lex = Lexicon::builtin();
        assert!(lex.lookup("somewhat plausible").is_none());
        let s = lex.suggest("cannot be rulled out", 3);
        assert_eq!(s[0], "cannot be ruled out");
        let s = lex.suggest("very likley", 3);
        assert!(s.contains(&"very likely"), "{s:?}");
    }

    #[test]
    fn overrides_replace_builtin_entries() {
        let mut lex = Lexicon::builtin();
        lex.insert(Entry {
            phrase: "Possible".into(),
            point: 0.3,
            low: 0.2,
            high: 0.4,
            origin: Origin::Ledger("house view".into()),
        });
        assert_eq!(lex.lookup("possible").unwrap().point, 0.3);
        assert!(
            lex.lookup("possible")
                .unwrap()
                .origin
                .describe()
                .contains("house view")
        );
    }
}
