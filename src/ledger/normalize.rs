//! Lenient parsing for imports: the forms research staff actually send.
//!
//! Owns turning spreadsheet-style values into the ledger's strict forms: dates
//! (`2019-03-15`, `2019/03/15`, `15 March 2019`, `March 15, 2019`,
//! `15.03.2019`, and `03/04/2019` only with an explicit day/month order),
//! probabilities (`0.7`, `.7`, `70%`, `70 %`) and outcomes (`Yes`, `TRUE`, `1`).
//! Ambiguous values are refused, never guessed.

use chrono::{Datelike, NaiveDate, Weekday};

use crate::model::{OutcomeValue, Probability, parse_probability};

/// How to read `a/b/yyyy` dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    Dmy,
    Mdy,
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

fn month_from_name(s: &str) -> Option<u32> {
    let s = s.trim_end_matches('.').to_lowercase();
    if s.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| {
            *m == s || (s.len() == 3 && m.starts_with(&s)) || (s == "sept" && *m == "september")
        })
        .map(|i| i as u32 + 1)
}

fn ymd(y: i64, m: i64, d: i64, raw: &str) -> Result<NaiveDate, String> {
    if !(1..=9999).contains(&y) {
        return Err(format!("'{}' has an implausible year", raw));
    }
    NaiveDate::from_ymd_opt(y as i32, m as u32, d as u32)
        .ok_or_else(|| format!("'{}' is not a real date", raw))
}

fn num(s: &str) -> Option<i64> {
    if !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// Parse a date in any of the accepted forms.
///
/// ```
/// use hindsight::ledger::normalize::{parse_date, DateOrder};
/// use chrono::{Datelike, NaiveDate, Weekday};
/// let d = NaiveDate::from_ymd_opt(2019, 3, 15).unwrap();
/// for s in ["2019-03-15", "2019-3-15", "2019/03/15", "15 March 2019", "March 15, 2019", "15.03.2019", "15/03/2019"] {
///     assert_eq!(parse_date(s, None), Ok(d), "{s}");
/// }
/// assert!(parse_date("03/04/2019", None).is_err());
/// assert_eq!(parse_date("03/04/2019", Some(DateOrder::Mdy)), NaiveDate::from_ymd_opt(2019, 3, 4).ok_or(String::new()));
/// ```
pub fn parse_date(raw: &str, order: Option<DateOrder>) -> Result<NaiveDate, String> {
    let s = strip_time_of_day(raw.trim());
    let bad = || {
        format!(
            "'{}' is not a date (use YYYY-MM-DD, e.g. 2019-03-15, or 15 March 2019)",
            raw.trim()
        )
    };
    if s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "'{}' looks like a spreadsheet date serial number: format the column as dates (e.g. YYYY-MM-DD) before saving",
            raw.trim()
        ));
    }
    // Numeric forms.
    for sep in ['-', '/', '.'] {
        let parts: Vec<&str> = s.split(sep).collect();
        if parts.len() != 3 {
            continue;
        }
        let (Some(a), Some(b), Some(c)) = (num(parts[0]), num(parts[1]), num(parts[2])) else {
            continue;
        };
        if parts[0].len() == 4 {
            return ymd(a, b, c, raw.trim());
        }
        if parts[2].len() != 4 {
            return Err(format!(
                "'{}' has a two-digit or missing year: write the year in full",
                raw.trim()
            ));
        }
        if sep == '.' {
            // 15.03.2019: day first by universal convention.
            return ymd(c, b, a, raw.trim());
        }
        return match order {
            Some(DateOrder::Dmy) => ymd(c, b, a, raw.trim()),
            Some(DateOrder::Mdy) => ymd(c, a, b, raw.trim()),
            None if a > 12 && b <= 12 => ymd(c, b, a, raw.trim()),
            None if b > 12 && a <= 12 => ymd(c, a, b, raw.trim()),
            None if a == b => ymd(c, a, b, raw.trim()),
            None => Err(format!(
                "'{}' is ambiguous (day/month or month/day?): pass --date-order dmy or mdy, or use YYYY-MM-DD",
                raw.trim()
            )),
        };
    }
    // Month-name forms: "15 March 2019", "March 15, 2019", "15-Mar-2019",
    // with an optional weekday: "Friday, 15 March 2019" (Excel's long date).
    let mut words: Vec<&str> = s
        .split(|c: char| c.is_whitespace() || c == ',' || c == '-')
        .filter(|w| !w.is_empty())
        .collect();
    let weekday = match words.first().and_then(|w| weekday_from_name(w)) {
        Some(wd) if words.len() == 4 => {
            words.remove(0);
            Some(wd)
        }
        _ => None,
    };
    if words.len() == 3 {
        let day = |w: &str| num(w.trim_end_matches(['s', 't', 'n', 'd', 'r', 'h', '.']));
        let parsed = if let (Some(d), Some(m), Some(_)) =
            (day(words[0]), month_from_name(words[1]), num(words[2]))
        {
            Some((d, m, words[2]))
        } else if let (Some(m), Some(d), Some(_)) =
            (month_from_name(words[0]), day(words[1]), num(words[2]))
        {
            Some((d, m, words[2]))
        } else {
            None
        };
        if let Some((d, m, y)) = parsed {
            if y.len() != 4 {
                return Err(format!(
                    "'{}' has a two-digit or missing year: write the year in full",
                    raw.trim()
                ));
            }
            let date = ymd(num(y).unwrap_or(0), m as i64, d, raw.trim())?;
            if let Some(wd) = weekday
                && date.weekday() != wd
            {
                return Err(format!(
                    "'{}': {} was a {}, not a {}",
                    raw.trim(),
                    date,
                    weekday_name(date.weekday()),
                    weekday_name(wd)
                ));
            }
            return Ok(date);
        }
    }
    Err(bad())
}

/// Drop a time of day after a numeric date ("2019-03-15 00:00:00",
/// "2019-03-15T14:30:00.000Z", "15/03/2019 14:30", "3/15/2019 2:30 PM"): the
/// date is what was written. Anything else is returned unchanged.
fn strip_time_of_day(s: &str) -> &str {
    let Some(i) = s.find([' ', 'T']) else {
        return s;
    };
    let (date, time) = (&s[..i], s[i + 1..].trim());
    if date.is_empty()
        || !date
            .bytes()
            .all(|b| b.is_ascii_digit() || b"-/.".contains(&b))
    {
        return s;
    }
    let mut t = time
        .strip_suffix("AM")
        .or_else(|| time.strip_suffix("PM"))
        .or_else(|| time.strip_suffix("am"))
        .or_else(|| time.strip_suffix("pm"))
        .map(str::trim_end)
        .unwrap_or(time);
    t = t.strip_suffix('Z').unwrap_or(t);
    // A zone offset: +05:00, -0800.
    if let Some(j) = t.rfind(['+', '-'])
        && j > 0
    {
        let off = &t[j + 1..];
        if (off.len() == 5 && off.as_bytes()[2] == b':' || off.len() == 4)
            && off.bytes().filter(|b| b.is_ascii_digit()).count() == 4
        {
            t = &t[..j];
        }
    }
    let ok = ["%H:%M", "%H:%M:%S", "%H:%M:%S%.f"]
        .iter()
        .any(|f| chrono::NaiveTime::parse_from_str(t, f).is_ok());
    if ok { date } else { s }
}

fn weekday_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

fn weekday_from_name(s: &str) -> Option<Weekday> {
    let s = s.trim_end_matches('.').to_lowercase();
    const DAYS: [(&str, Weekday); 7] = [
        ("monday", Weekday::Mon),
        ("tuesday", Weekday::Tue),
        ("wednesday", Weekday::Wed),
        ("thursday", Weekday::Thu),
        ("friday", Weekday::Fri),
        ("saturday", Weekday::Sat),
        ("sunday", Weekday::Sun),
    ];
    if s.len() < 3 {
        return None;
    }
    DAYS.iter()
        .find(|(name, _)| *name == s || (s.len() == 3 && name.starts_with(&s)))
        .map(|(_, d)| *d)
}

/// Parse a probability: `0.7`, `.7`, `1`, `70%`, `70 %`.
///
/// ```
/// use hindsight::ledger::normalize::parse_probability_lenient;
/// assert_eq!(parse_probability_lenient("70%").unwrap().get(), 0.7);
/// assert_eq!(parse_probability_lenient(" 5 % ").unwrap().get(), 0.05);
/// assert!(parse_probability_lenient("170%").is_err());
/// ```
pub fn parse_probability_lenient(raw: &str) -> Result<Probability, String> {
    let s = raw.trim();
    if let Some(pct) = s.strip_suffix('%') {
        let t = pct.trim();
        let v: f64 = t
            .parse()
            .map_err(|_| format!("'{}' is not a percentage", s))?;
        if !v.is_finite() || !(0.0..=100.0).contains(&v) {
            return Err(format!("{} is outside 0-100%", s));
        }
        // Divide the decimal text by 100 exactly by moving the point, so 70% is 0.7.
        return parse_probability(&shift_decimal(t))
            .map_err(|_| format!("{} is outside 0-100%", s));
    }
    parse_probability(s)
}

/// Parse a probability from an import file. `decimal_comma`: the file is
/// semicolon- or tab-separated, so `0,7` and `70,5 %` are read as decimals; in
/// a comma-separated file a decimal comma is refused rather than guessed.
///
/// ```
/// use hindsight::ledger::normalize::parse_probability_input;
/// assert_eq!(parse_probability_input("0,7", true).unwrap().get(), 0.7);
/// assert_eq!(parse_probability_input("70,5 %", true).unwrap().get(), 0.705);
/// assert!(parse_probability_input("0,7", false).is_err());
/// ```
pub fn parse_probability_input(raw: &str, decimal_comma: bool) -> Result<Probability, String> {
    let s = raw.trim();
    if s.matches(',').count() == 1 && !s.contains('.') {
        if !decimal_comma {
            return Err(format!(
                "'{}' has a decimal comma, which only semicolon- or tab-separated files may use: write {}",
                s,
                s.replace(',', ".")
            ));
        }
        return parse_probability_lenient(&s.replace(',', "."));
    }
    parse_probability_lenient(s)
}

/// Divide a decimal string by 100 by moving its decimal point.
fn shift_decimal(t: &str) -> String {
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let int = int.trim_start_matches('+');
    let padded = format!("{:0>3}", int);
    let (head, tail) = padded.split_at(padded.len() - 2);
    format!("{}.{}{}", head, tail, frac)
}

/// Parse an outcome: yes/no/void in any case, true/false, 1/0, y/n.
///
/// ```
/// use hindsight::ledger::normalize::parse_outcome_lenient;
/// use hindsight::model::OutcomeValue;
/// assert_eq!(parse_outcome_lenient("TRUE"), Ok(OutcomeValue::Yes));
/// assert_eq!(parse_outcome_lenient("0"), Ok(OutcomeValue::No));
/// assert!(parse_outcome_lenient("maybe").is_err());
/// ```
pub fn parse_outcome_lenient(raw: &str) -> Result<OutcomeValue, String> {
    match raw.trim().to_lowercase().as_str() {
        "yes" | "y" | "true" | "1" => Ok(OutcomeValue::Yes),
        "no" | "n" | "false" | "0" => Ok(OutcomeValue::No),
        "void" | "annulled" | "cancelled" | "canceled" => Ok(OutcomeValue::Void),
        _ => Err(format!(
            "'{}' is not an outcome (yes, no or void; TRUE/FALSE and 1/0 are also read)",
            raw.trim()
        )),
    }
}

/// A slug from free text: lower-case ASCII letters and digits joined by '-'.
///
/// ```
/// use hindsight::ledger::normalize::slugify;
/// assert_eq!(slugify("Will North Korea test an ICBM by 2019?"), "will-north-korea-test-an-icbm-by-2019");
/// assert_eq!(slugify("Zoë's batch"), "zo-s-batch");
/// ```
pub fn slugify(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_end_matches('-');
    let mut t: String = trimmed.chars().take(80).collect();
    while t.ends_with('-') {
        t.pop();
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_table() {
        let ok = [
            ("2019-03-15", (2019, 3, 15)),
            ("15 Mar 2019", (2019, 3, 15)),
            ("Mar. 15, 2019", (2019, 3, 15)),
            ("1st May 2019", (2019, 5, 1)),
            ("2019-03-15 00:00:00", (2019, 3, 15)),
            ("31/12/2019", (2019, 12, 31)),
            ("12/31/2019", (2019, 12, 31)),
            ("05/05/2019", (2019, 5, 5)),
        ];
        for (s, (y, m, d)) in ok {
            assert_eq!(
                parse_date(s, None),
                Ok(NaiveDate::from_ymd_opt(y, m, d).unwrap()),
                "{s}"
            );
        }
        for bad in [
            "2019-02-30",
            "15/03/19",
            "yesterday",
            "2019",
            "",
            "32 March 2019",
            "03/04/2019",
        ] {
            assert!(parse_date(bad, None).is_err(), "{bad}");
        }
        assert_eq!(
            parse_date("03/04/2019", Some(DateOrder::Dmy)),
            Ok(NaiveDate::from_ymd_opt(2019, 4, 3).unwrap())
        );
    }

    #[test]
    fn probabilities_table() {
        for (s, want) in [
            ("0.7", 0.7),
            (".7", 0.7),
            ("70%", 0.7),
            ("70 %", 0.7),
            ("0%", 0.0),
            ("100%", 1.0),
            ("7.5%", 0.075),
            ("33.3%", 0.333),
        ] {
            assert_eq!(parse_probability_lenient(s).unwrap().get(), want, "{s}");
        }
        for bad in ["1.5", "-1%", "abc%", "", "%"] {
            assert!(parse_probability_lenient(bad).is_err(), "{bad}");
        }
    }
}
