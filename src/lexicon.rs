//! Verbal probability lexicon: estimative phrase -> probability (point and range).
//!
//! Owns the built-in scales (ICD 203, Kent, the UK PHIA yardstick, IPCC and the
//! public survey readings of `verbal-scales.md`), the project's own table for
//! commentary phrases that are on no scale, the grammar that turns a listed
//! phrase into the forms commentary uses (inflections, contractions, negations),
//! phrase normalization, and ledger overrides from `hindsight.toml`. It does not
//! read files; `settings` parses the TOML and hands the overrides here.
//!
//! A [`Lexicon`] is built for one chosen [`Scale`]. A phrase is read from, in
//! order: the ledger's overrides, the chosen scale, ICD 203, the hindsight
//! commentary table, then the other published scales (PHIA, Kent, IPCC, survey)
//! for terms the earlier sources lack. Every [`Entry`] says where its numbers
//! come from ([`Origin`]) and, for a derived form, what it was derived from.
//!
//! Negation: "will not", "may not", "probably not", "not likely" and "does not
//! expect" are about the event *not* happening and read as 1 - p, with the range
//! mirrored. Only phrases whose grammar allows that reading get negated forms
//! ([`Negation`]): "not possible" or "not certain" are not "1 - possible", so they
//! are left unknown rather than guessed.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// A published verbal probability scale (see `verbal-scales.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// US Intelligence Community Directive 203 (2015): the default.
    #[default]
    Icd203,
    /// Sherman Kent, "Words of Estimative Probability" (1964).
    Kent,
    /// UK Professional Head of Intelligence Assessment probability yardstick.
    Phia,
    /// IPCC likelihood scale.
    Ipcc,
    /// How the public reads phrases: Mauboussin & Mauboussin survey (HBR 2018),
    /// median and middle half of about 1,860 answers per phrase.
    Survey,
}

impl Scale {
    pub const ALL: [Scale; 5] = [
        Scale::Icd203,
        Scale::Kent,
        Scale::Phia,
        Scale::Ipcc,
        Scale::Survey,
    ];

    /// The name used in `hindsight.toml` (`scale = "icd203"`) and in outputs.
    pub fn id(self) -> &'static str {
        match self {
            Scale::Icd203 => "icd203",
            Scale::Kent => "kent",
            Scale::Phia => "phia",
            Scale::Ipcc => "ipcc",
            Scale::Survey => "survey",
        }
    }

    /// A human-readable name with its source.
    pub fn name(self) -> &'static str {
        match self {
            Scale::Icd203 => "ICD 203 (US Intelligence Community Directive 203)",
            Scale::Kent => "Kent 1964 (Words of Estimative Probability)",
            Scale::Phia => "UK PHIA probability yardstick",
            Scale::Ipcc => "IPCC likelihood scale",
            Scale::Survey => {
                "public survey (Mauboussin & Mauboussin, HBR 2018: median, middle half)"
            }
        }
    }

    /// How the scale's numbers become a point and a range.
    pub fn rule(self) -> &'static str {
        match self {
            Scale::Icd203 | Scale::Phia | Scale::Ipcc => {
                "published ranges; point = middle of the range; open ends (\">90%\", \"<1%\") taken at 1 and 0"
            }
            Scale::Kent => "centre +- spread as published; point = centre",
            Scale::Survey => "point = median answer; range = middle half (25th-75th percentile)",
        }
    }

    /// Parse a scale name: `icd203`, `kent`, `phia`, `ipcc`, `survey` (case,
    /// spaces and punctuation ignored; `icd`, `uk-phia` and `mauboussin` accepted).
    ///
    /// ```
    /// use hindsight::lexicon::Scale;
    /// assert_eq!(Scale::parse("ICD 203"), Ok(Scale::Icd203));
    /// assert!(Scale::parse("sherman").unwrap_err().contains("icd203, kent, phia, ipcc, survey"));
    /// ```
    pub fn parse(s: &str) -> Result<Scale, String> {
        let k: String = s
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
            .to_lowercase();
        match k.as_str() {
            "icd203" | "icd" => Ok(Scale::Icd203),
            "kent" => Ok(Scale::Kent),
            "phia" | "ukphia" => Ok(Scale::Phia),
            "ipcc" => Ok(Scale::Ipcc),
            "survey" | "mauboussin" => Ok(Scale::Survey),
            _ => Err(format!(
                "unknown scale '{}' (known: {})",
                s.chars().take(60).collect::<String>(),
                Scale::ALL.map(|s| s.id()).join(", ")
            )),
        }
    }
}

impl fmt::Display for Scale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Where a mapping comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// A published scale.
    Scale(Scale),
    /// The project's own judgement, documented in the table below and the README.
    Judgement(&'static str),
    /// The ledger's `hindsight.toml`, with its note.
    Ledger(String),
}

impl Origin {
    pub fn describe(&self) -> String {
        match self {
            Origin::Scale(s) => s.name().to_string(),
            Origin::Judgement(why) => format!("hindsight judgement: {}", why),
            Origin::Ledger(note) if note.is_empty() => "ledger hindsight.toml".to_string(),
            Origin::Ledger(note) => format!("ledger hindsight.toml: {}", note),
        }
    }

    /// Short source id: a scale id, `hindsight` (the commentary table) or `ledger`.
    pub fn id(&self) -> &'static str {
        match self {
            Origin::Scale(s) => s.id(),
            Origin::Judgement(_) => "hindsight",
            Origin::Ledger(_) => "ledger",
        }
    }
}

/// How a form was derived from a listed phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// An inflection or variant with the same reading ("expects" from "expect").
    Form,
    /// A negation about the event not happening: 1 - p, range mirrored.
    Negation,
}

/// The listed phrase a derived form comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Derived {
    pub from: String,
    pub how: How,
}

/// One phrase's mapping: a point probability and a plausible range.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub phrase: String,
    pub point: f64,
    pub low: f64,
    pub high: f64,
    pub origin: Origin,
    /// `None` for a listed phrase; otherwise the phrase this form derives from.
    pub derived: Option<Derived>,
}

/// Which value of an entry to use (the lead's sensitivity analysis sets every
/// phrase to either end of its range).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    Point,
    Low,
    High,
}

impl Entry {
    /// A listed phrase with its numbers.
    pub fn new(phrase: &str, point: f64, low: f64, high: f64, origin: Origin) -> Entry {
        Entry {
            phrase: phrase.to_string(),
            point,
            low,
            high,
            origin,
            derived: None,
        }
    }

    pub fn value(&self, r: Reading) -> f64 {
        match r {
            Reading::Point => self.point,
            Reading::Low => self.low,
            Reading::High => self.high,
        }
    }

    /// The reading of this phrase negated: 1 - p, range mirrored (rounded to
    /// 12 decimals, so 1 - 0.675 prints as 0.325).
    pub fn mirrored(&self) -> (f64, f64, f64) {
        let m = |x: f64| ((1.0 - x) * 1e12).round() / 1e12;
        (m(self.point), m(self.high), m(self.low))
    }

    /// Source id: a scale id, `hindsight` or `ledger`.
    pub fn source_id(&self) -> &'static str {
        self.origin.id()
    }

    /// Where the numbers come from, including any derivation:
    /// "negation of 'likely' (1 - p); likely: ICD 203 (...)".
    pub fn explain(&self) -> String {
        match &self.derived {
            None => self.origin.describe(),
            Some(d) => match d.how {
                How::Form => format!("form of '{}'; {}", d.from, self.origin.describe()),
                How::Negation => format!(
                    "negation of '{}' (1 - p, range mirrored); '{}': {}",
                    d.from,
                    d.from,
                    self.origin.describe()
                ),
            },
        }
    }
}

/// How negation combines with a phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Negation {
    /// No negated reading: "not possible" is not 1 - "possible".
    None,
    /// A negation after the phrase is about the event: "will not", "probably
    /// not", "may not" read as 1 - p.
    After,
    /// Also a negation before it ("not likely", "does not expect", "not going
    /// to"): these verbs and adjectives "raise" the negation to the event.
    Both,
}

/// The negation grammar of a phrase (by its lookup key); see [`Negation`].
pub fn negation_of(phrase: &str) -> Negation {
    let k = key(phrase);
    const BOTH: &[&str] = &[
        "likely",
        "probable",
        "expected",
        "expect",
        "expects",
        "expecting",
        "plans",
        "plan",
        "planning",
        "intends",
        "intend",
        "intending",
        "going",
    ];
    const AFTER: &[&str] = &[
        "will",
        "may",
        "might",
        "very likely",
        "highly likely",
        "highly probable",
        "most likely",
        "almost certain",
        "almost certainly",
        "nearly certain",
        "virtually certain",
        "certain",
        "certainly",
        "definitely",
        "bound",
        "probably",
        "possibly",
        "maybe",
        "may well",
        "might well",
        "could well",
        "undoubtedly",
    ];
    if BOTH.contains(&k.as_str()) {
        Negation::Both
    } else if AFTER.contains(&k.as_str()) {
        Negation::After
    } else {
        Negation::None
    }
}

/// Inflections and variants of a listed phrase (by key) that read the same.
/// Shown as forms, never listed on their own.
const FORMS: &[(&str, &[&str])] = &[
    ("expect", &["expects", "expecting"]),
    ("plans", &["plan to", "planned to", "planning to"]),
    ("intends", &["intend to", "intended to", "intending to"]),
    ("hopes", &["hope to", "hoping to", "hoped to"]),
    ("guarantee", &["guarantees", "guaranteed"]),
    ("possible", &["possibility"]),
    ("doubtful", &["doubt", "doubts", "doubted"]),
    // Kent and PHIA list the adjective only.
    ("almost certain", &["almost certainly"]),
    (
        "cannot be ruled out",
        &[
            "not be ruled out",
            "not been ruled out",
            "not ruled out",
            "not rule out",
            "cannot be excluded",
            "cannot exclude",
            "not be excluded",
            "not excluded",
            "not exclude",
            "cannot be dismissed",
            "cannot be discounted",
        ],
    ),
];

const J_WILL: &str = "a plain statement of what will happen reads as near-certain (survey 'certainly': median 98%); 0.95 leaves room for rhetoric";

/// One row of a built-in table: phrases sharing a reading.
struct Row {
    origin: Origin,
    phrases: &'static [&'static str],
    point: f64,
    low: f64,
    high: f64,
}

fn row(origin: Origin, phrases: &'static [&'static str], p: f64, lo: f64, hi: f64) -> Row {
    Row {
        origin,
        phrases,
        point: p,
        low: lo,
        high: hi,
    }
}

/// The rows of a published scale, as `verbal-scales.md` gives them.
fn scale_rows(scale: Scale) -> Vec<Row> {
    use Origin::Scale as S;
    let s = S(scale);
    match scale {
        // Point = middle of the range.
        Scale::Icd203 => vec![
            row(s.clone(), &["almost no chance", "remote"], 0.03, 0.01, 0.05),
            row(
                s.clone(),
                &["very unlikely", "highly improbable"],
                0.125,
                0.05,
                0.20,
            ),
            row(s.clone(), &["unlikely", "improbable"], 0.325, 0.20, 0.45),
            row(
                s.clone(),
                &["roughly even chance", "roughly even odds"],
                0.5,
                0.45,
                0.55,
            ),
            row(s.clone(), &["likely", "probable"], 0.675, 0.55, 0.80),
            row(
                s.clone(),
                &["very likely", "highly probable"],
                0.875,
                0.80,
                0.95,
            ),
            row(
                s,
                &["almost certain", "almost certainly", "nearly certain"],
                0.97,
                0.95,
                0.99,
            ),
        ],
        // Centre +- spread.
        Scale::Kent => vec![
            row(s.clone(), &["certain"], 1.0, 1.0, 1.0),
            row(s.clone(), &["almost certain"], 0.93, 0.87, 0.99),
            row(s.clone(), &["probable"], 0.75, 0.63, 0.87),
            row(s.clone(), &["chances about even"], 0.50, 0.40, 0.60),
            row(s.clone(), &["probably not"], 0.30, 0.20, 0.40),
            row(s.clone(), &["almost certainly not"], 0.07, 0.02, 0.12),
            row(s, &["impossible"], 0.0, 0.0, 0.0),
        ],
        // Point = middle; ">0" taken as 0, "<100%" as 1; the gaps are PHIA's.
        Scale::Phia => vec![
            row(s.clone(), &["remote chance"], 0.025, 0.0, 0.05),
            row(s.clone(), &["highly unlikely"], 0.15, 0.10, 0.20),
            row(s.clone(), &["unlikely"], 0.30, 0.25, 0.35),
            row(s.clone(), &["realistic possibility"], 0.45, 0.40, 0.50),
            row(s.clone(), &["likely", "probable"], 0.65, 0.55, 0.75),
            row(s.clone(), &["highly likely"], 0.85, 0.80, 0.90),
            row(s, &["almost certain"], 0.975, 0.95, 1.0),
        ],
        // Point = middle of the range; ">x" runs to 1, "<x" from 0.
        Scale::Ipcc => vec![
            row(s.clone(), &["virtually certain"], 0.995, 0.99, 1.0),
            row(s.clone(), &["very likely"], 0.95, 0.90, 1.0),
            row(s.clone(), &["likely"], 0.83, 0.66, 1.0),
            row(s.clone(), &["about as likely as not"], 0.495, 0.33, 0.66),
            row(s.clone(), &["unlikely"], 0.165, 0.0, 0.33),
            row(s.clone(), &["very unlikely"], 0.05, 0.0, 0.10),
            row(s, &["exceptionally unlikely"], 0.005, 0.0, 0.01),
        ],
        // Median, middle half.
        Scale::Survey => vec![
            row(s.clone(), &["always"], 1.0, 0.98, 1.0),
            row(s.clone(), &["certainly"], 0.98, 0.90, 1.0),
            row(s.clone(), &["slam dunk"], 0.95, 0.90, 0.99),
            row(s.clone(), &["almost certainly"], 0.90, 0.90, 0.95),
            row(s.clone(), &["almost always"], 0.90, 0.89, 0.95),
            row(s.clone(), &["with high probability"], 0.80, 0.75, 0.90),
            row(s.clone(), &["usually"], 0.75, 0.65, 0.80),
            row(
                s.clone(),
                &["likely", "probably", "often", "frequently"],
                0.70,
                0.60,
                0.75,
            ),
            row(s.clone(), &["serious possibility"], 0.66, 0.45, 0.80),
            row(s.clone(), &["real possibility"], 0.60, 0.40, 0.70),
            row(s.clone(), &["more often than not"], 0.60, 0.55, 0.65),
            row(s.clone(), &["with moderate probability"], 0.50, 0.40, 0.60),
            row(s.clone(), &["maybe"], 0.50, 0.40, 0.50),
            row(s.clone(), &["possibly"], 0.45, 0.25, 0.50),
            row(s.clone(), &["might happen"], 0.40, 0.20, 0.50),
            row(s.clone(), &["unlikely", "not often"], 0.20, 0.10, 0.25),
            row(s.clone(), &["with low probability"], 0.15, 0.10, 0.20),
            row(s.clone(), &["rarely"], 0.10, 0.05, 0.15),
            row(s, &["never"], 0.0, 0.0, 0.01),
        ],
    }
}

/// One listed entry per phrase of each row.
fn row_entries(rows: &[Row]) -> Vec<Entry> {
    rows.iter()
        .flat_map(|r| {
            r.phrases
                .iter()
                .map(|p| Entry::new(p, r.point, r.low, r.high, r.origin.clone()))
        })
        .collect()
}

/// The hindsight commentary table: phrases commentary uses that no published
/// scale defines (or that the project deliberately reads differently), each
/// marked as the project's judgement with its reason.
fn judgement_rows() -> Vec<Row> {
    use Origin::Judgement as J;
    vec![
        row(
            J(J_WILL),
            &[
                "will",
                "going to",
                "certain",
                "certainly",
                "definitely",
                "bound to",
                "guarantee",
                "undoubtedly",
                "no doubt",
                "little doubt",
            ],
            0.95,
            0.90,
            0.99,
        ),
        row(
            J(
                "the mirror of 'will' and 'certain' (1 - p); Kent's 0% for 'impossible' is a limit, not a reading of commentary",
            ),
            &["no chance", "impossible"],
            0.05,
            0.01,
            0.10,
        ),
        row(
            J(
                "2007 US NIE usage: a less-than-even chance worth mentioning; between 'remote' and 'unlikely'",
            ),
            &[
                "cannot be ruled out",
                "cannot rule out",
                "cannot dismiss",
                "cannot discount",
            ],
            0.25,
            0.05,
            0.45,
        ),
        row(
            J("survey 'possibly': median 45%, middle half 25-50%; Kent left it unquantified"),
            &["possible"],
            0.45,
            0.25,
            0.50,
        ),
        row(
            J("survey 'might happen': median 40%, middle half 20-50%"),
            &["could", "may", "might"],
            0.40,
            0.20,
            0.50,
        ),
        row(
            J("'well' strengthens the hedge: above 'may' (0.40), short of 'likely' (0.675)"),
            &["may well", "might well", "could well"],
            0.55,
            0.40,
            0.70,
        ),
        row(
            J("an intensified 'possible': at least 'possible' (0.45), short of 'likely'"),
            &[
                "quite possible",
                "very possible",
                "entirely possible",
                "distinctly possible",
            ],
            0.50,
            0.30,
            0.65,
        ),
        row(
            J(
                "read as PHIA 'realistic possibility' (40 to <50%); survey readers put this exact phrase higher (median 60%, middle half 40-70%): scale = \"survey\" uses that",
            ),
            &["real possibility"],
            0.45,
            0.40,
            0.50,
        ),
        row(
            J("read as survey 'serious possibility': median 66%, middle half 45-80%"),
            &[
                "strong possibility",
                "high possibility",
                "good chance",
                "strong chance",
            ],
            0.66,
            0.45,
            0.80,
        ),
        row(
            J("read as ICD 203 'roughly even chance'"),
            &[
                "even chance",
                "even odds",
                "fifty-fifty",
                "toss-up",
                "coin flip",
            ],
            0.50,
            0.45,
            0.55,
        ),
        row(
            J("above even odds; survey 'more often than not': median 60%"),
            &["better than even", "more likely than not"],
            0.60,
            0.51,
            0.70,
        ),
        row(
            J("read like survey 'probably' (median 70%), a little wider upwards"),
            &["most likely"],
            0.70,
            0.60,
            0.80,
        ),
        row(
            J("an expectation stated without hedging: above 'likely', below 'will'"),
            &["expected", "expect"],
            0.75,
            0.60,
            0.90,
        ),
        row(
            J("a reported plan or intention usually goes ahead, but plans slip"),
            &["plans to", "intends to"],
            0.80,
            0.65,
            0.90,
        ),
        row(
            J("a stated hope leans to yes but is weaker than 'likely'"),
            &["hopeful", "hopes to"],
            0.60,
            0.50,
            0.70,
        ),
        row(
            J(
                "stated doubt ('doubtful', 'I doubt that'): about ICD 'unlikely' (20-45%), a little lower",
            ),
            &["doubtful"],
            0.30,
            0.15,
            0.45,
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
            '\u{201C}' | '\u{201D}' | '\u{00AB}' | '\u{00BB}' | '\u{201E}' => '"',
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

/// Expand one lower-case word's contraction: "won't" -> ["will", "not"],
/// "can't" -> ["cannot"], "isn't" -> ["is", "not"], "it'll" -> ["it", "will"].
/// `None` when the word is not a contraction. Apostrophes must be straight.
pub fn expand_contraction(word: &str) -> Option<Vec<String>> {
    let w = word;
    let v = |xs: &[&str]| Some(xs.iter().map(|s| s.to_string()).collect());
    match w {
        "won't" => return v(&["will", "not"]),
        "can't" | "cannot" => return v(&["cannot"]),
        "shan't" => return v(&["shall", "not"]),
        "ain't" => return v(&["is", "not"]),
        "it's" => return v(&["it", "is"]),
        "that's" => return v(&["that", "is"]),
        "there's" => return v(&["there", "is"]),
        "i'm" => return v(&["i", "am"]),
        _ => {}
    }
    for (suffix, full) in [
        ("n't", "not"),
        ("'ll", "will"),
        ("'re", "are"),
        ("'ve", "have"),
        ("'d", "would"),
    ] {
        if let Some(stem) = w.strip_suffix(suffix)
            && !stem.is_empty()
            && stem.chars().all(|c| c.is_alphabetic())
        {
            return Some(vec![stem.to_string(), full.to_string()]);
        }
    }
    None
}

/// Canonical words of a normalized phrase or text: contractions expanded, "can
/// not" joined to "cannot", and "do/does/did" dropped before "not" (so "does
/// not expect" and "doesn't expect" both become "not expect").
pub fn canonical_words<'a, I: IntoIterator<Item = &'a str>>(words: I) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in words {
        match expand_contraction(w) {
            Some(parts) => out.extend(parts),
            None => out.push(w.to_string()),
        }
    }
    let mut merged: Vec<String> = Vec::with_capacity(out.len());
    let mut i = 0;
    while i < out.len() {
        let next = out.get(i + 1).map(|s| s.as_str());
        if out[i] == "can" && next == Some("not") {
            merged.push("cannot".into());
            i += 2;
        } else if matches!(out[i].as_str(), "do" | "does" | "did") && next == Some("not") {
            i += 1;
        } else {
            merged.push(out[i].clone());
            i += 1;
        }
    }
    merged
}

const LEAD_FRAMES: &[&str] = &[
    "it", "is", "are", "am", "was", "were", "be", "been", "being", "seems", "seem", "appears",
    "appear", "i", "we", "there", "a", "an",
];
const TAIL_FRAMES: &[&str] = &["to", "that"];

/// The lookup key of a phrase: normalized, canonical words, with grammatical
/// frames dropped ("it is likely that" -> "likely", "is bound to" -> "bound",
/// "doesn't expect" -> "not expect").
///
/// ```
/// use hindsight::lexicon::key;
/// assert_eq!(key("It’s likely that"), "likely");
/// assert_eq!(key("Won't"), "will not");
/// assert_eq!(key("can not be ruled out"), "cannot be ruled out");
/// ```
pub fn key(phrase: &str) -> String {
    let n = normalize(phrase);
    let words = canonical_words(n.split(' ').filter(|w| !w.is_empty()));
    let mut a = 0;
    let mut b = words.len();
    while b - a > 1 && LEAD_FRAMES.contains(&words[a].as_str()) {
        a += 1;
    }
    while b - a > 1 && TAIL_FRAMES.contains(&words[b - 1].as_str()) {
        b -= 1;
    }
    words[a..b].join(" ")
}

/// The display text of a negated form.
fn negated_display(phrase: &str, before: bool) -> String {
    if before {
        format!("not {}", phrase)
    } else if let Some(stem) = phrase.strip_suffix(" to") {
        format!("{} not to", stem)
    } else {
        format!("{} not", phrase)
    }
}

/// A lexicon: one scale plus the fill-in tables and any ledger overrides.
#[derive(Debug, Clone)]
pub struct Lexicon {
    scale: Scale,
    /// lookup key -> entry: listed phrases, their forms and negations.
    entries: BTreeMap<String, Entry>,
    /// Ledger overrides in the order given, kept to rebuild on another scale.
    overrides: Vec<Entry>,
}

impl Default for Lexicon {
    fn default() -> Self {
        Lexicon::builtin()
    }
}

impl Lexicon {
    /// The built-in lexicon on the default scale (ICD 203).
    pub fn builtin() -> Lexicon {
        Lexicon::for_scale(Scale::default())
    }

    /// The built-in lexicon reading phrases on `scale` first.
    pub fn for_scale(scale: Scale) -> Lexicon {
        let mut lex = Lexicon {
            scale,
            entries: BTreeMap::new(),
            overrides: Vec::new(),
        };
        // Lowest precedence first; later sources replace earlier ones.
        let mut sources: Vec<Vec<Row>> = Vec::new();
        for s in [Scale::Survey, Scale::Ipcc, Scale::Kent, Scale::Phia] {
            if s != scale && s != Scale::Icd203 {
                sources.push(scale_rows(s));
            }
        }
        sources.push(judgement_rows());
        if scale != Scale::Icd203 {
            sources.push(scale_rows(Scale::Icd203));
        }
        sources.push(scale_rows(scale));
        for rows in sources {
            // A source replaces whatever earlier (lower) sources gave; within a
            // source its listed phrases win over its derived forms (Kent lists
            // "almost certainly not" itself).
            let listed = row_entries(&rows);
            for e in &listed {
                lex.put_derived(e, false);
            }
            for e in listed {
                lex.put_listed(e);
            }
        }
        lex
    }

    /// The same overrides on another scale (for comparing scales).
    pub fn with_scale(&self, scale: Scale) -> Lexicon {
        let mut lex = Lexicon::for_scale(scale);
        for e in &self.overrides {
            lex.insert(e.clone());
        }
        lex
    }

    /// The scale phrases are read on first.
    pub fn scale(&self) -> Scale {
        self.scale
    }

    /// How many phrases the ledger added or replaced.
    pub fn overrides(&self) -> &[Entry] {
        &self.overrides
    }

    /// A one-line account for reports and JSON:
    /// "scale icd203: ICD 203 (...) + hindsight commentary table".
    pub fn describe(&self) -> String {
        let mut s = format!(
            "scale {}: {}, then the hindsight commentary table and other scales for phrases it lacks",
            self.scale.id(),
            self.scale.name()
        );
        if !self.overrides.is_empty() {
            s.push_str(&format!(
                "; {} phrase(s) from hindsight.toml",
                self.overrides.len()
            ));
        }
        s
    }

    fn put_listed(&mut self, mut e: Entry) {
        let k = key(&e.phrase);
        e.phrase = normalize(&e.phrase);
        e.derived = None;
        self.entries.insert(k, e);
    }

    /// Add the forms and negations of a listed entry. With `protect_ledger`, a
    /// derived form never replaces a phrase the ledger listed.
    fn put_derived(&mut self, base: &Entry, protect_ledger: bool) {
        let base_key = key(&base.phrase);
        let mut forms: Vec<(String, String, How, bool)> = Vec::new();
        // (display, from, how, negated-before?)
        let mut surfaces = vec![base.phrase.clone()];
        if let Some((_, fs)) = FORMS.iter().find(|(k, _)| *k == base_key) {
            for f in *fs {
                forms.push((f.to_string(), base.phrase.clone(), How::Form, false));
                surfaces.push(f.to_string());
            }
        }
        let neg = negation_of(&base.phrase);
        for s in &surfaces {
            if neg != Negation::None {
                forms.push((
                    negated_display(s, false),
                    base.phrase.clone(),
                    How::Negation,
                    false,
                ));
                if ["will", "may", "might"].contains(&s.as_str()) {
                    forms.push((
                        format!("{} never", s),
                        base.phrase.clone(),
                        How::Negation,
                        false,
                    ));
                }
            }
            if neg == Negation::Both {
                forms.push((
                    negated_display(s, true),
                    base.phrase.clone(),
                    How::Negation,
                    true,
                ));
            }
        }
        for (display, from, how, _) in forms {
            let k = key(&display);
            if protect_ledger
                && self
                    .entries
                    .get(&k)
                    .is_some_and(|e| e.derived.is_none() && matches!(e.origin, Origin::Ledger(_)))
            {
                continue;
            }
            let (point, low, high) = match how {
                How::Form => (base.point, base.low, base.high),
                How::Negation => base.mirrored(),
            };
            self.entries.insert(
                k,
                Entry {
                    phrase: display,
                    point,
                    low,
                    high,
                    origin: base.origin.clone(),
                    derived: Some(Derived { from, how }),
                },
            );
        }
    }

    /// Add or replace a phrase (ledger override). The phrase is normalized; its
    /// forms and negations (for the built-in phrases whose grammar has them)
    /// follow the new reading.
    pub fn insert(&mut self, entry: Entry) {
        let mut e = entry;
        e.phrase = normalize(&e.phrase);
        e.derived = None;
        self.overrides.push(e.clone());
        // Derived forms of the old reading go; listed ledger phrases stay.
        let k = key(&e.phrase);
        let stale: Vec<String> = self
            .entries
            .iter()
            .filter(|(_, x)| {
                x.derived
                    .as_ref()
                    .is_some_and(|d| key(&d.from) == k && !matches!(x.origin, Origin::Ledger(_)))
            })
            .map(|(k, _)| k.clone())
            .collect();
        for s in stale {
            self.entries.remove(&s);
        }
        self.put_derived(&e, true);
        self.put_listed(e);
    }

    /// Look a phrase up after normalization (case, curly quotes, spacing,
    /// contractions, and frames such as "it is ... that" or "is ... to").
    pub fn lookup(&self, phrase: &str) -> Option<&Entry> {
        self.entries.get(&key(phrase))
    }

    /// Look a phrase up on another scale, keeping this lexicon's overrides.
    /// For many lookups build `with_scale` once instead.
    pub fn lookup_on(&self, phrase: &str, scale: Scale) -> Option<Entry> {
        if scale == self.scale {
            return self.lookup(phrase).cloned();
        }
        self.with_scale(scale).lookup(phrase).cloned()
    }

    /// Up to `k` known phrases nearest to an unknown one (by edit distance on
    /// normalized text), for "did you mean" messages.
    pub fn suggest(&self, phrase: &str, k: usize) -> Vec<&str> {
        let norm = normalize(phrase);
        let mut scored: Vec<(f64, &str)> = self
            .entries
            .values()
            .map(|e| {
                let known = e.phrase.as_str();
                let mut s = strsim::normalized_levenshtein(&norm, known);
                if norm.contains(known) || known.contains(norm.as_str()) {
                    s += 0.25;
                }
                (s, known)
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        scored.dedup_by(|a, b| a.1 == b.1);
        scored.into_iter().take(k).map(|(_, p)| p).collect()
    }

    /// Every listed phrase in force (not the derived forms), alphabetically
    /// by lookup key.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values().filter(|e| e.derived.is_none())
    }

    /// Every phrase the lexicon reads, derived forms included, with its key.
    pub fn forms(&self) -> impl Iterator<Item = (&str, &Entry)> {
        self.entries.iter().map(|(k, e)| (k.as_str(), e))
    }

    /// The phrases a published scale lists, with its own numbers (whatever the
    /// lexicon's chosen scale), for `hindsight lexicon --scale NAME`.
    pub fn scale_entries(scale: Scale) -> Vec<Entry> {
        row_entries(&scale_rows(scale))
    }

    /// The hindsight commentary table (the project's judgement).
    pub fn judgement_entries() -> Vec<Entry> {
        row_entries(&judgement_rows())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn every_builtin_phrase_has_a_range_containing_its_point() {
        for scale in Scale::ALL {
            let lex = Lexicon::for_scale(scale);
            assert!(lex.entries().count() >= 40);
            for (k, e) in lex.forms() {
                assert!(
                    0.0 <= e.low && e.low <= e.point && e.point <= e.high && e.high <= 1.0,
                    "{scale}: {}: {} not in [{}, {}]",
                    e.phrase,
                    e.point,
                    e.low,
                    e.high
                );
                assert_eq!(lex.lookup(k).unwrap(), e, "{scale}: key {k}");
                assert_eq!(lex.lookup(&e.phrase).unwrap(), e, "{scale}: {}", e.phrase);
            }
        }
    }

    /// Every phrase of every built-in table, looked up on its own scale, gives
    /// the table's numbers; on the default scale, each gives the reading of
    /// the first source that lists it.
    #[test]
    fn every_listed_phrase_reads_as_its_table_says() {
        for scale in Scale::ALL {
            let lex = Lexicon::for_scale(scale);
            for e in Lexicon::scale_entries(scale) {
                let got = lex.lookup(&e.phrase).unwrap();
                assert_eq!(
                    (got.point, got.low, got.high, &got.origin),
                    (e.point, e.low, e.high, &e.origin),
                    "{scale}: {}",
                    e.phrase
                );
                assert!(got.derived.is_none());
            }
        }
        let lex = Lexicon::builtin();
        let icd: Vec<String> = Lexicon::scale_entries(Scale::Icd203)
            .iter()
            .map(|e| e.phrase.clone())
            .collect();
        for e in Lexicon::judgement_entries() {
            let got = lex.lookup(&e.phrase).unwrap();
            if icd.contains(&e.phrase) {
                continue;
            }
            assert_eq!(
                (got.point, got.low, got.high),
                (e.point, e.low, e.high),
                "{}",
                e.phrase
            );
            assert!(got.origin.describe().starts_with("hindsight judgement"));
        }
    }

    /// The readings of the phrases the shipped ledger uses, on the default
    /// scale, with their sources. Changing one needs a documented reason.
    #[test]
    fn shipped_ledger_phrases_keep_their_readings() {
        let lex = Lexicon::builtin();
        let cases = [
            ("will", 0.95, 0.90, 0.99, "hindsight"),
            ("likely", 0.675, 0.55, 0.80, "icd203"),
            ("could", 0.40, 0.20, 0.50, "hindsight"),
            ("strong possibility", 0.66, 0.45, 0.80, "hindsight"),
            ("may", 0.40, 0.20, 0.50, "hindsight"),
            ("expected", 0.75, 0.60, 0.90, "hindsight"),
            ("very likely", 0.875, 0.80, 0.95, "icd203"),
            ("highly likely", 0.85, 0.80, 0.90, "phia"),
            ("plans to", 0.80, 0.65, 0.90, "hindsight"),
            ("hopeful", 0.60, 0.50, 0.70, "hindsight"),
            ("probably", 0.70, 0.60, 0.75, "survey"),
            ("possible", 0.45, 0.25, 0.50, "hindsight"),
            ("high possibility", 0.66, 0.45, 0.80, "hindsight"),
            ("bound to", 0.95, 0.90, 0.99, "hindsight"),
            ("better than even", 0.60, 0.51, 0.70, "hindsight"),
            ("certainly", 0.95, 0.90, 0.99, "hindsight"),
            ("might", 0.40, 0.20, 0.50, "hindsight"),
            ("real possibility", 0.45, 0.40, 0.50, "hindsight"),
            ("cannot be ruled out", 0.25, 0.05, 0.45, "hindsight"),
        ];
        for (phrase, p, lo, hi, src) in cases {
            let e = lex.lookup(phrase).unwrap_or_else(|| panic!("{phrase}"));
            assert_eq!((e.point, e.low, e.high), (p, lo, hi), "{phrase}");
            assert_eq!(e.source_id(), src, "{phrase}");
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
            ("unlikely to", 0.325),
            ("is unlikely to", 0.325),
            ("roughly even odds", 0.5),
            ("likely", 0.675),
            ("It is likely that", 0.675),
            ("highly probable", 0.875),
            ("almost certainly", 0.97),
            ("Cannot be ruled out.", 0.25),
            ("can’t be ruled out", 0.25),
            ("can not rule out", 0.25),
            ("it is not excluded that", 0.25),
            ("possible", 0.45),
            ("there is a possibility", 0.45),
            ("will", 0.95),
            ("is bound to", 0.95),
            ("I guarantee", 0.95),
            ("guaranteed", 0.95),
            ("WILL NOT", 0.05),
            ("won’t", 0.05),
            ("will never", 0.05),
            ("  highly   likely ", 0.85),
            ("expects", 0.75),
            ("does not expect", 0.25),
            ("doesn't expect", 0.25),
            ("not expected to", 0.25),
            ("planning to", 0.80),
            ("intend to", 0.80),
            ("hopes to", 0.60),
            ("most likely", 0.70),
            ("more likely than not", 0.60),
            ("fifty-fifty", 0.5),
            ("remote chance", 0.025),
            ("virtually certain", 0.995),
            ("slam dunk", 0.95),
            ("about as likely as not", 0.495),
        ];
        for (phrase, want) in cases {
            let got = lex.lookup(phrase).map(|e| e.point);
            assert!(got.is_some_and(|g| close(g, want)), "{phrase}: {got:?}");
        }
    }

    #[test]
    fn scales_give_their_own_readings() {
        let cases = [
            ("likely", [0.675, 0.675, 0.65, 0.83, 0.70]),
            ("unlikely", [0.325, 0.325, 0.30, 0.165, 0.20]),
            ("almost certain", [0.97, 0.93, 0.975, 0.97, 0.97]),
            ("probable", [0.675, 0.75, 0.65, 0.675, 0.675]),
            ("very likely", [0.875, 0.875, 0.875, 0.95, 0.875]),
            ("real possibility", [0.45, 0.45, 0.45, 0.45, 0.60]),
            ("certain", [0.95, 1.0, 0.95, 0.95, 0.95]),
        ];
        for (phrase, want) in cases {
            for (scale, w) in Scale::ALL.iter().zip(want) {
                let lex = Lexicon::for_scale(*scale);
                let got = lex.lookup(phrase).unwrap().point;
                assert!(close(got, w), "{phrase} on {scale}: {got} want {w}");
                assert_eq!(lex.scale(), *scale);
            }
        }
        let lex = Lexicon::builtin();
        assert!(close(
            lex.lookup_on("not likely", Scale::Ipcc).unwrap().point,
            0.17
        ));
    }

    #[test]
    fn negations_mirror_their_positive_forms() {
        let lex = Lexicon::builtin();
        let pairs = [
            ("will", "will not"),
            ("will", "won't"),
            ("likely", "not likely"),
            ("likely", "isn't likely"),
            ("likely", "likely not to"),
            ("very likely", "very likely not"),
            ("almost certainly", "almost certainly not"),
            ("may", "may not"),
            ("might", "might not"),
            ("expect", "don't expect"),
            ("expected", "expected not to"),
            ("plans to", "does not plan to"),
            ("going to", "not going to"),
            ("certain", "certain not to"),
        ];
        for (pos, neg) in pairs {
            let p = lex.lookup(pos).unwrap();
            let n = lex.lookup(neg).unwrap_or_else(|| panic!("{neg}"));
            assert!(close(p.point + n.point, 1.0), "{pos} {p:?} vs {neg} {n:?}");
            assert!(
                close(p.low + n.high, 1.0) && close(p.high + n.low, 1.0),
                "{pos} {p:?} vs {neg} {n:?}"
            );
        }
        // A negation a scale lists itself keeps its published numbers.
        let e = lex.lookup("probably not").unwrap();
        assert_eq!((e.point, e.low, e.high), (0.30, 0.20, 0.40));
        assert_eq!(e.source_id(), "kent");
        assert_eq!(
            lex.lookup("not likely").unwrap().explain(),
            "negation of 'likely' (1 - p, range mirrored); 'likely': ICD 203 (US Intelligence Community Directive 203)"
        );
    }

    #[test]
    fn negations_that_are_not_mirrors_are_unknown() {
        let lex = Lexicon::builtin();
        for phrase in [
            "not possible",
            "not certain",
            "could not",
            "not very likely",
            "not unlikely",
            "not cannot be ruled out",
            "not hopeful",
        ] {
            assert!(lex.lookup(phrase).is_none(), "{phrase}");
        }
    }

    #[test]
    fn unknown_phrases_are_not_guessed_and_get_suggestions() {
        let lex = Lexicon::builtin();
        assert!(lex.lookup("somewhat plausible").is_none());
        assert!(lex.lookup("quite likely").is_none());
        let s = lex.suggest("cannot be rulled out", 3);
        assert_eq!(s[0], "cannot be ruled out");
        let s = lex.suggest("very likley", 3);
        assert!(s.contains(&"very likely"), "{s:?}");
        let s = lex.suggest("will nto", 3);
        assert!(s.contains(&"will not"), "{s:?}");
    }

    #[test]
    fn overrides_replace_builtin_entries_and_their_forms() {
        let mut lex = Lexicon::builtin();
        lex.insert(Entry::new(
            "Possible",
            0.3,
            0.2,
            0.4,
            Origin::Ledger("house view".into()),
        ));
        assert_eq!(lex.lookup("possible").unwrap().point, 0.3);
        assert_eq!(lex.lookup("a possibility").unwrap().point, 0.3);
        assert!(
            lex.lookup("possible")
                .unwrap()
                .origin
                .describe()
                .contains("house view")
        );
        lex.insert(Entry::new(
            "likely",
            0.7,
            0.6,
            0.8,
            Origin::Ledger(String::new()),
        ));
        assert!(close(lex.lookup("not likely").unwrap().point, 0.3));
        // An explicit ledger negation wins over the derived one, in either order.
        lex.insert(Entry::new(
            "will not",
            0.1,
            0.05,
            0.2,
            Origin::Ledger(String::new()),
        ));
        lex.insert(Entry::new(
            "will",
            0.9,
            0.8,
            0.95,
            Origin::Ledger(String::new()),
        ));
        assert_eq!(lex.lookup("won't").unwrap().point, 0.1);
        // The same overrides on another scale.
        let ipcc = lex.with_scale(Scale::Ipcc);
        assert_eq!(ipcc.lookup("likely").unwrap().point, 0.7);
        assert_eq!(ipcc.lookup("very likely").unwrap().point, 0.95);
        assert_eq!(ipcc.overrides().len(), 4);
        assert!(ipcc.describe().contains("4 phrase(s) from hindsight.toml"));
    }

    #[test]
    fn keys_drop_frames_but_never_everything() {
        assert_eq!(key("a long shot"), "long shot");
        assert_eq!(key("it is"), "is");
        assert_eq!(key(""), "");
        assert_eq!(key("doesn't plan to"), "not plan");
    }
}
