//! Checked domain types: question ids, probabilities, questions, forecasts and
//! outcomes.
//!
//! Values here are valid by construction: a [`Probability`] is always a finite
//! number in [0, 1], a [`QuestionId`] is always a slug. Parsing of raw text into
//! these types lives here too (strict ledger forms); lenient forms accepted on
//! import are in `ledger::normalize`. Nothing here does I/O.

use chrono::NaiveDate;
use std::fmt;

use crate::error::Location;

/// A probability: finite and in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Probability(f64);

impl Probability {
    /// Checked constructor.
    ///
    /// ```
    /// use hindsight::model::Probability;
    /// assert!(Probability::new(0.7).is_ok());
    /// assert!(Probability::new(1.2).is_err());
    /// assert!(Probability::new(f64::NAN).is_err());
    /// ```
    pub fn new(p: f64) -> Result<Probability, String> {
        if p.is_finite() && (0.0..=1.0).contains(&p) {
            Ok(Probability(p))
        } else {
            Err(format!("{} is outside [0, 1]", p))
        }
    }

    pub fn get(self) -> f64 {
        self.0
    }

    /// 1 - p, rounded to 12 decimals so that a decimal such as 0.3 flips to the
    /// double nearest 0.7 (and bins the way a person reads it).
    pub fn complement(self) -> Probability {
        Probability(snap(1.0 - self.0))
    }
}

/// Round to 12 decimal places (the precision of any probability a person writes).
pub fn snap(x: f64) -> f64 {
    let r = (x * 1e12).round() / 1e12;
    r.clamp(0.0, 1.0)
}

impl fmt::Display for Probability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Parse a ledger probability: a plain decimal such as `0.7`, `.7` or `1`.
pub fn parse_probability(s: &str) -> Result<Probability, String> {
    let t = s.trim();
    // Plain decimals only: digits with at most one point (no sign, exponent,
    // "inf" or "NaN").
    let plain = !t.is_empty()
        && t.chars().all(|c| c.is_ascii_digit() || c == '.')
        && t.matches('.').count() <= 1
        && t.chars().any(|c| c.is_ascii_digit());
    if !plain {
        let shown = if t.starts_with('-') {
            format!("{} is outside [0, 1]", t)
        } else {
            format!("'{}' is not a number", t)
        };
        return Err(shown);
    }
    let v: f64 = t.parse().map_err(|_| format!("'{}' is not a number", t))?;
    if !v.is_finite() {
        return Err(format!("'{}' is not a finite number", t));
    }
    Probability::new(v).map_err(|_| format!("{} is outside [0, 1]", t))
}

/// Check a question id: a slug `[a-z0-9][a-z0-9-]*`.
pub fn check_question_id(s: &str) -> Result<(), String> {
    check_slug(s).map_err(|e| format!("'{}' is not a valid id ({})", s, e))
}

/// Check a slug `[a-z0-9][a-z0-9-]*` (used for question and forecast ids).
pub fn check_slug(s: &str) -> Result<(), &'static str> {
    let mut chars = s.chars();
    match chars.next() {
        None => return Err("empty"),
        Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit() => {}
        Some(_) => return Err("must start with a-z or 0-9"),
    }
    if chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        Ok(())
    } else {
        Err("only a-z, 0-9 and '-' allowed")
    }
}

/// Parse a strict ISO date `YYYY-MM-DD`, naming why it is wrong.
pub fn parse_iso_date(s: &str) -> Result<NaiveDate, String> {
    let t = s.trim();
    let b = t.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return Err(format!("'{}' is not a date in the form YYYY-MM-DD", t));
    }
    // The shape is checked above, so the digits parse directly (no format
    // string to interpret for every row).
    let num =
        |r: std::ops::Range<usize>| b[r].iter().fold(0u32, |a, &c| a * 10 + (c - b'0') as u32);
    NaiveDate::from_ymd_opt(num(0..4) as i32, num(5..7), num(8..10))
        .ok_or_else(|| format!("'{}' is not a real date", t))
}

/// Kinds of question. Only binary questions are scored so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Binary,
    Categorical,
    Ordinal,
    Numeric,
}

impl Kind {
    pub fn parse(s: &str) -> Result<Kind, String> {
        let t = s.trim();
        for kind in [
            Kind::Binary,
            Kind::Categorical,
            Kind::Ordinal,
            Kind::Numeric,
        ] {
            if t.eq_ignore_ascii_case(kind.as_str()) {
                return Ok(kind);
            }
        }
        Err(format!(
            "'{}' is not a question kind (binary, categorical, ordinal, numeric)",
            t.to_ascii_lowercase()
        ))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Binary => "binary",
            Kind::Categorical => "categorical",
            Kind::Ordinal => "ordinal",
            Kind::Numeric => "numeric",
        }
    }
}

/// Whether a forecast's phrase or number is about the event (`yes`) or its
/// absence (`no`, so P(yes) = 1 - p).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    #[default]
    Yes,
    No,
}

impl Direction {
    pub fn parse(s: &str) -> Result<Direction, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "yes" => Ok(Direction::Yes),
            "no" => Ok(Direction::No),
            other => Err(format!("'{}' is not a direction (yes or no)", other)),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Yes => "yes",
            Direction::No => "no",
        }
    }
}

/// A resolved value of a binary question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeValue {
    Yes,
    No,
    Void,
}

impl OutcomeValue {
    /// Strict ledger form: `yes`, `no` or `void`.
    pub fn parse(s: &str) -> Result<OutcomeValue, String> {
        match s.trim() {
            "yes" => Ok(OutcomeValue::Yes),
            "no" => Ok(OutcomeValue::No),
            "void" => Ok(OutcomeValue::Void),
            other => Err(format!(
                "'{}' is not a binary outcome (yes, no or void)",
                other
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeValue::Yes => "yes",
            OutcomeValue::No => "no",
            OutcomeValue::Void => "void",
        }
    }
}

/// A question from `forecasts/questions.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub id: String,
    pub title: String,
    pub kind: Kind,
    pub options: Vec<String>,
    pub opens_on: Option<NaiveDate>,
    pub closes_on: NaiveDate,
    pub criteria: String,
    pub tags: Vec<String>,
    pub location: Location,
}

/// How a forecast stated its probability.
#[derive(Debug, Clone, PartialEq)]
pub enum Stated {
    /// A number, as written (before `direction`).
    Number(f64),
    /// A phrase and the point probability the lexicon gave it (before `direction`).
    Phrase { phrase: Box<str>, point: f64 },
}

/// A forecast from a batch file in `forecasts/`.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    pub id: Box<str>,
    pub question_id: Box<str>,
    pub forecaster: Box<str>,
    pub made_on: NaiveDate,
    /// P(yes), after the lexicon and `direction`.
    pub probability: Probability,
    pub stated: Stated,
    /// The `verbal` cell as written (may be set alongside a number).
    pub verbal: Box<str>,
    pub direction: Direction,
    pub option: Box<str>,
    pub quote: Box<str>,
    pub source: Box<str>,
    pub recorded_by: Box<str>,
    pub location: Location,
}

/// An outcome record from `outcomes/`.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub question_id: String,
    pub resolved_on: NaiveDate,
    pub value: OutcomeValue,
    pub source: String,
    pub note: String,
    pub location: Location,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probability_bounds() {
        for ok in ["0", "1", "0.5", ".7", " 0.25 ", "1.0"] {
            assert!(parse_probability(ok).is_ok(), "{ok}");
        }
        for bad in [
            "1.2", "-0.1", "abc", "", "NaN", "inf", "70%", "-0", "1e-1", "+0.5", ".", "0.5.1",
        ] {
            assert!(parse_probability(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn complement_is_decimal_exact() {
        let p = parse_probability("0.7").unwrap();
        assert_eq!(p.complement().get(), 0.3);
        assert_eq!(Probability::new(0.3).unwrap().complement().get(), 0.7);
        assert_eq!(Probability::new(0.675).unwrap().complement().get(), 0.325);
    }

    #[test]
    fn slugs() {
        assert!(check_question_id("dprk-icbm-2019").is_ok());
        assert!(check_question_id("9abc").is_ok());
        for bad in ["", "-a", "Abc", "a b", "a_b", "é"] {
            assert!(check_question_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn iso_dates() {
        assert!(parse_iso_date("2019-03-15").is_ok());
        assert!(
            parse_iso_date("2019-02-29")
                .unwrap_err()
                .contains("not a real date")
        );
        assert!(
            parse_iso_date("2019-3-15")
                .unwrap_err()
                .contains("YYYY-MM-DD")
        );
        assert!(parse_iso_date("15.03.2019").is_err());
    }

    #[test]
    fn outcome_values() {
        assert_eq!(OutcomeValue::parse("yes"), Ok(OutcomeValue::Yes));
        assert!(OutcomeValue::parse("maybe").is_err());
        assert!(OutcomeValue::parse("Yes").is_err());
    }
}
