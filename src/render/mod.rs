//! Rendering scores for people and programs: terminal tables, the contract's
//! JSON, CSV and PNG charts.
//!
//! Renderers take computed summaries and a writer or path; they never compute a
//! score. Only the chart modules (`png`, `charts`, and their `draw` and `text`
//! helpers) import plotters.

pub mod charts;
pub mod csv_out;
pub(crate) mod draw;
pub mod html;
pub mod json;
pub mod png;
pub mod table;
pub mod text;

/// Make untrusted text safe for one terminal line: control characters (including
/// escape sequences and bidi overrides) are shown escaped.
pub fn terminal_safe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}');
        if c.is_control() || bidi {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// A number for display: 4 decimals, or "–" when undefined.
pub fn fmt4(v: Option<f64>) -> String {
    match v {
        Some(x) => format!("{:.4}", x),
        None => "–".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_safe_escapes_controls() {
        assert_eq!(terminal_safe("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(terminal_safe("x\u{202E}y"), "x\\u{202e}y");
        assert_eq!(terminal_safe("Zoë"), "Zoë");
    }
}
