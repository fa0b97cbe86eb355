//! The lexicon against the published numbers (transcribed independently from
//! `verbal-scales.md` and the README's table), and properties: negation
//! mirrors (p -> 1 - p, range mirrored), ranges contain points, lookups ignore
//! case, spacing, curly quotes and frames, and nothing is guessed.

use hindsight::lexicon::{Entry, How, Lexicon, Negation, Origin, Scale, negation_of};
use proptest::prelude::*;

/// (phrase, point, low, high) as each scale publishes it.
fn published(scale: Scale) -> &'static [(&'static str, f64, f64, f64)] {
    match scale {
        Scale::Icd203 => &[
            ("almost no chance", 0.03, 0.01, 0.05),
            ("remote", 0.03, 0.01, 0.05),
            ("very unlikely", 0.125, 0.05, 0.20),
            ("highly improbable", 0.125, 0.05, 0.20),
            ("unlikely", 0.325, 0.20, 0.45),
            ("improbable", 0.325, 0.20, 0.45),
            ("roughly even chance", 0.5, 0.45, 0.55),
            ("roughly even odds", 0.5, 0.45, 0.55),
            ("likely", 0.675, 0.55, 0.80),
            ("probable", 0.675, 0.55, 0.80),
            ("very likely", 0.875, 0.80, 0.95),
            ("highly probable", 0.875, 0.80, 0.95),
            ("almost certain", 0.97, 0.95, 0.99),
            ("almost certainly", 0.97, 0.95, 0.99),
            ("nearly certain", 0.97, 0.95, 0.99),
        ],
        Scale::Kent => &[
            ("certain", 1.0, 1.0, 1.0),
            ("almost certain", 0.93, 0.87, 0.99),
            ("probable", 0.75, 0.63, 0.87),
            ("chances about even", 0.50, 0.40, 0.60),
            ("probably not", 0.30, 0.20, 0.40),
            ("almost certainly not", 0.07, 0.02, 0.12),
            ("impossible", 0.0, 0.0, 0.0),
        ],
        Scale::Phia => &[
            ("remote chance", 0.025, 0.0, 0.05),
            ("highly unlikely", 0.15, 0.10, 0.20),
            ("unlikely", 0.30, 0.25, 0.35),
            ("realistic possibility", 0.45, 0.40, 0.50),
            ("likely", 0.65, 0.55, 0.75),
            ("probable", 0.65, 0.55, 0.75),
            ("highly likely", 0.85, 0.80, 0.90),
            ("almost certain", 0.975, 0.95, 1.0),
        ],
        Scale::Ipcc => &[
            ("virtually certain", 0.995, 0.99, 1.0),
            ("very likely", 0.95, 0.90, 1.0),
            ("likely", 0.83, 0.66, 1.0),
            ("about as likely as not", 0.495, 0.33, 0.66),
            ("unlikely", 0.165, 0.0, 0.33),
            ("very unlikely", 0.05, 0.0, 0.10),
            ("exceptionally unlikely", 0.005, 0.0, 0.01),
        ],
        Scale::Survey => &[
            ("always", 1.0, 0.98, 1.0),
            ("certainly", 0.98, 0.90, 1.0),
            ("slam dunk", 0.95, 0.90, 0.99),
            ("almost certainly", 0.90, 0.90, 0.95),
            ("almost always", 0.90, 0.89, 0.95),
            ("with high probability", 0.80, 0.75, 0.90),
            ("usually", 0.75, 0.65, 0.80),
            ("likely", 0.70, 0.60, 0.75),
            ("probably", 0.70, 0.60, 0.75),
            ("often", 0.70, 0.60, 0.75),
            ("frequently", 0.70, 0.60, 0.75),
            ("serious possibility", 0.66, 0.45, 0.80),
            ("real possibility", 0.60, 0.40, 0.70),
            ("more often than not", 0.60, 0.55, 0.65),
            ("with moderate probability", 0.50, 0.40, 0.60),
            ("maybe", 0.50, 0.40, 0.50),
            ("possibly", 0.45, 0.25, 0.50),
            ("might happen", 0.40, 0.20, 0.50),
            ("unlikely", 0.20, 0.10, 0.25),
            ("not often", 0.20, 0.10, 0.25),
            ("with low probability", 0.15, 0.10, 0.20),
            ("rarely", 0.10, 0.05, 0.15),
            ("never", 0.0, 0.0, 0.01),
        ],
    }
}

/// The hindsight commentary table (README), read on the default scale.
const HINDSIGHT: &[(&str, f64, f64, f64)] = &[
    ("will", 0.95, 0.90, 0.99),
    ("going to", 0.95, 0.90, 0.99),
    ("certain", 0.95, 0.90, 0.99),
    ("certainly", 0.95, 0.90, 0.99),
    ("definitely", 0.95, 0.90, 0.99),
    ("bound to", 0.95, 0.90, 0.99),
    ("is bound to", 0.95, 0.90, 0.99),
    ("guarantee", 0.95, 0.90, 0.99),
    ("I guarantee", 0.95, 0.90, 0.99),
    ("undoubtedly", 0.95, 0.90, 0.99),
    ("no doubt", 0.95, 0.90, 0.99),
    ("little doubt", 0.95, 0.90, 0.99),
    ("no chance", 0.05, 0.01, 0.10),
    ("impossible", 0.05, 0.01, 0.10),
    ("cannot be ruled out", 0.25, 0.05, 0.45),
    ("cannot rule out", 0.25, 0.05, 0.45),
    ("cannot dismiss", 0.25, 0.05, 0.45),
    ("cannot discount", 0.25, 0.05, 0.45),
    ("possible", 0.45, 0.25, 0.50),
    ("could", 0.40, 0.20, 0.50),
    ("may", 0.40, 0.20, 0.50),
    ("might", 0.40, 0.20, 0.50),
    ("may well", 0.55, 0.40, 0.70),
    ("might well", 0.55, 0.40, 0.70),
    ("could well", 0.55, 0.40, 0.70),
    ("quite possible", 0.50, 0.30, 0.65),
    ("very possible", 0.50, 0.30, 0.65),
    ("entirely possible", 0.50, 0.30, 0.65),
    ("distinctly possible", 0.50, 0.30, 0.65),
    ("real possibility", 0.45, 0.40, 0.50),
    ("strong possibility", 0.66, 0.45, 0.80),
    ("high possibility", 0.66, 0.45, 0.80),
    ("good chance", 0.66, 0.45, 0.80),
    ("strong chance", 0.66, 0.45, 0.80),
    ("even chance", 0.50, 0.45, 0.55),
    ("even odds", 0.50, 0.45, 0.55),
    ("fifty-fifty", 0.50, 0.45, 0.55),
    ("toss-up", 0.50, 0.45, 0.55),
    ("coin flip", 0.50, 0.45, 0.55),
    ("better than even", 0.60, 0.51, 0.70),
    ("more likely than not", 0.60, 0.51, 0.70),
    ("most likely", 0.70, 0.60, 0.80),
    ("expected", 0.75, 0.60, 0.90),
    ("expect", 0.75, 0.60, 0.90),
    ("plans to", 0.80, 0.65, 0.90),
    ("intends to", 0.80, 0.65, 0.90),
    ("hopeful", 0.60, 0.50, 0.70),
    ("hopes to", 0.60, 0.50, 0.70),
    ("doubtful", 0.30, 0.15, 0.45),
];

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn every_published_phrase_on_its_own_scale() {
    for scale in Scale::ALL {
        let lex = Lexicon::for_scale(scale);
        assert_eq!(lex.scale(), scale);
        for (phrase, p, lo, hi) in published(scale) {
            let e = lex
                .lookup(phrase)
                .unwrap_or_else(|| panic!("{scale}: {phrase}"));
            assert!(
                close(e.point, *p) && close(e.low, *lo) && close(e.high, *hi),
                "{scale}: {phrase}: {e:?}"
            );
            assert_eq!(e.origin, Origin::Scale(scale), "{scale}: {phrase}");
            assert!(e.derived.is_none());
        }
        // The scale's own list, exactly.
        let listed: Vec<String> = Lexicon::scale_entries(scale)
            .into_iter()
            .map(|e| e.phrase)
            .collect();
        let want: Vec<&str> = published(scale).iter().map(|r| r.0).collect();
        assert_eq!(listed, want, "{scale}");
    }
}

#[test]
fn every_hindsight_phrase_on_the_default_scale() {
    let lex = Lexicon::builtin();
    for (phrase, p, lo, hi) in HINDSIGHT {
        let e = lex.lookup(phrase).unwrap_or_else(|| panic!("{phrase}"));
        assert!(
            close(e.point, *p) && close(e.low, *lo) && close(e.high, *hi),
            "{phrase}: {e:?}"
        );
        assert_eq!(e.source_id(), "hindsight", "{phrase}");
        assert!(
            e.origin.describe().starts_with("hindsight judgement: "),
            "{phrase}"
        );
    }
    let listed = Lexicon::judgement_entries().len();
    // "I guarantee" and "is bound to" are forms, not listed phrases.
    assert_eq!(listed, HINDSIGHT.len() - 2);
}

/// On the default scale a phrase is read from ICD 203, then the hindsight
/// table, then PHIA, Kent, IPCC, survey.
#[test]
fn default_scale_fills_in_from_the_other_scales_in_order() {
    let lex = Lexicon::builtin();
    let cases = [
        ("likely", "icd203", 0.675),
        ("certain", "hindsight", 0.95),
        ("certainly", "hindsight", 0.95),
        ("real possibility", "hindsight", 0.45),
        ("highly likely", "phia", 0.85),
        ("remote chance", "phia", 0.025),
        ("realistic possibility", "phia", 0.45),
        ("chances about even", "kent", 0.50),
        ("probably not", "kent", 0.30),
        ("virtually certain", "ipcc", 0.995),
        ("exceptionally unlikely", "ipcc", 0.005),
        ("probably", "survey", 0.70),
        ("possibly", "survey", 0.45),
        ("serious possibility", "survey", 0.66),
        ("slam dunk", "survey", 0.95),
    ];
    for (phrase, src, p) in cases {
        let e = lex.lookup(phrase).unwrap();
        assert_eq!((e.source_id(), e.point), (src, p), "{phrase}");
    }
    // Every phrase of every scale can be read on every scale.
    for on in Scale::ALL {
        let lex = Lexicon::for_scale(on);
        for s in Scale::ALL {
            for (phrase, ..) in published(s) {
                assert!(lex.lookup(phrase).is_some(), "{phrase} on {on}");
            }
        }
    }
}

#[test]
fn negations_and_unknown_phrases() {
    let lex = Lexicon::builtin();
    let table = [
        ("will not", Some(0.05)),
        ("won't", Some(0.05)),
        ("WON’T", Some(0.05)),
        ("will never", Some(0.05)),
        ("not likely", Some(0.325)),
        ("is not likely to", Some(0.325)),
        ("isn't likely", Some(0.325)),
        ("unlikely to", Some(0.325)),
        ("likely not", Some(0.325)),
        ("not expected", Some(0.25)),
        ("does not expect", Some(0.25)),
        ("may not", Some(0.60)),
        ("might not", Some(0.60)),
        ("not going to", Some(0.05)),
        ("very likely not", Some(0.125)),
        ("almost certainly not", Some(0.03)),
        ("highly likely not", Some(0.15)),
        ("doesn't plan to", Some(0.20)),
        // Not mirrors: unknown, never guessed.
        ("not possible", None),
        ("not certain", None),
        ("could not", None),
        ("not very likely", None),
        ("not unlikely", None),
        ("can be ruled out", None),
        ("quite likely", None),
        ("somewhat plausible", None),
        ("", None),
        ("not", None),
    ];
    for (phrase, want) in table {
        let got = lex.lookup(phrase).map(|e| e.point);
        match (got, want) {
            (Some(g), Some(w)) => assert!(close(g, w), "{phrase}: {g}"),
            (None, None) => {}
            _ => panic!("{phrase}: got {got:?}, want {want:?}"),
        }
    }
    let near = lex.suggest("not possible", 3);
    assert!(near.contains(&"possible"), "{near:?}");
}

#[test]
fn the_scale_in_use_is_described_for_reports() {
    let mut lex = Lexicon::for_scale(Scale::Kent);
    assert!(
        lex.describe().starts_with("scale kent: Kent 1964"),
        "{}",
        lex.describe()
    );
    lex.insert(Entry::new(
        "a long shot",
        0.1,
        0.05,
        0.2,
        Origin::Ledger(String::new()),
    ));
    assert!(
        lex.describe()
            .ends_with("; 1 phrase(s) from hindsight.toml")
    );
    assert_eq!(Scale::parse("uk-phia"), Ok(Scale::Phia));
    assert_eq!(Scale::parse("Mauboussin"), Ok(Scale::Survey));
}

fn scale() -> impl Strategy<Value = Scale> {
    (0..Scale::ALL.len()).prop_map(|i| Scale::ALL[i])
}

/// Re-dress a phrase as a ledger or an article might write it.
fn dressed(phrase: &str, upper: bool, spaces: usize, curly: bool, punct: usize) -> String {
    let mut s = phrase.replace(' ', &" ".repeat(spaces.max(1)));
    if curly {
        s = s.replace('\'', "’");
    }
    if upper {
        s = s.to_uppercase();
    }
    format!("{}{}", s, ["", ".", "!", ",", ";"][punct % 5])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Every phrase and form, however dressed, looks up to the same entry,
    /// and its range contains its point.
    #[test]
    fn lookups_ignore_case_spacing_quotes_and_punctuation(
        s in scale(), pick in any::<prop::sample::Index>(),
        upper in any::<bool>(), spaces in 1usize..4, curly in any::<bool>(), punct in 0usize..5,
    ) {
        let lex = Lexicon::for_scale(s);
        let forms: Vec<(&str, &Entry)> = lex.forms().collect();
        let (key, e) = forms[pick.index(forms.len())];
        prop_assert!(0.0 <= e.low && e.low <= e.point && e.point <= e.high && e.high <= 1.0, "{e:?}");
        let text = dressed(&e.phrase, upper, spaces, curly, punct);
        prop_assert_eq!(lex.lookup(&text), Some(e), "{} ({})", text, key);
    }

    /// Negation mirrors: for every phrase whose grammar allows a negated
    /// reading, the negated forms are 1 - p with the range mirrored.
    #[test]
    fn negation_mirrors(s in scale(), pick in any::<prop::sample::Index>(), before in any::<bool>(), curly in any::<bool>()) {
        let lex = Lexicon::for_scale(s);
        let listed: Vec<&Entry> = lex.entries().filter(|e| negation_of(&e.phrase) != Negation::None).collect();
        let e = listed[pick.index(listed.len())];
        let neg = negation_of(&e.phrase);
        let before = before && neg == Negation::Both;
        let text = if before {
            format!("not {}", e.phrase)
        } else if let Some(stem) = e.phrase.strip_suffix(" to") {
            format!("{} not to", stem)
        } else {
            format!("{} not", e.phrase)
        };
        let text = if curly { text.replace("will not", "won’t") } else { text };
        let n = lex.lookup(&text);
        prop_assert!(n.is_some(), "{} has no negation", text);
        let n = n.unwrap();
        // A scale may list a negation itself (Kent "probably not"): then it
        // keeps its published numbers.
        if n.derived.as_ref().is_some_and(|d| d.how == How::Negation) {
            prop_assert!((e.point + n.point - 1.0).abs() < 1e-9, "{e:?} {n:?}");
            prop_assert!((e.low + n.high - 1.0).abs() < 1e-9 && (e.high + n.low - 1.0).abs() < 1e-9, "{e:?} {n:?}");
        }
        prop_assert!(n.low <= n.point && n.point <= n.high);
    }

    /// Arbitrary text: no panic; anything found is a valid reading.
    #[test]
    fn arbitrary_phrases_are_found_or_not_never_broken(text in "\\PC{0,40}", s in scale()) {
        let lex = Lexicon::for_scale(s);
        if let Some(e) = lex.lookup(&text) {
            prop_assert!(0.0 <= e.low && e.low <= e.point && e.point <= e.high && e.high <= 1.0);
        }
        let _ = lex.suggest(&text, 3);
    }

    /// A ledger override keeps its reading on every scale, and its negation
    /// follows it when the phrase's grammar has one.
    #[test]
    fn overrides_follow_to_every_scale(p in 0.0f64..=1.0, w in 0.0f64..0.5, s in scale()) {
        let (lo, hi) = ((p - w).max(0.0), (p + w).min(1.0));
        let mut lex = Lexicon::builtin();
        lex.insert(Entry::new("likely", p, lo, hi, Origin::Ledger("test".into())));
        let other = lex.with_scale(s);
        let e = other.lookup("likely").unwrap();
        prop_assert_eq!((e.point, e.low, e.high), (p, lo, hi));
        let n = other.lookup("not likely").unwrap();
        prop_assert!((n.point - (1.0 - p)).abs() < 1e-9);
    }
}
