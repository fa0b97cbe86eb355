//! Error and diagnostic types.
//!
//! Owns [`Location`] (file, line, field) and [`Diagnostic`] (a located error or
//! warning about user data). Every problem found in a ledger or an import file
//! becomes a `Diagnostic` whose text starts with the location, so that an editor
//! can jump to it: `forecasts/staff.csv:17: probability: 1.2 is outside [0, 1]`.
//! It does not decide what to do about problems; commands collect them, print
//! them and choose the exit code.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// Where a value came from: a file, a 1-based line and optionally a column name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// Shared by the locations of one file's rows (a ledger has millions).
    pub file: Arc<Path>,
    pub line: u64,
    pub field: Option<Box<str>>,
}

impl Location {
    pub fn new(file: impl AsRef<Path>, line: u64) -> Self {
        Location::shared(Arc::from(file.as_ref()), line)
    }

    /// A location in a file whose name is already shared (no copy of it).
    pub fn shared(file: Arc<Path>, line: u64) -> Self {
        Location {
            file,
            line,
            field: None,
        }
    }

    /// The whole file (line 0 prints as the bare file name).
    pub fn file(file: impl AsRef<Path>) -> Self {
        Location::new(file, 0)
    }

    pub fn with_field(&self, field: &str) -> Self {
        Location {
            file: self.file.clone(),
            line: self.line,
            field: Some(field.into()),
        }
    }

    pub fn path(&self) -> &Path {
        &self.file
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display().to_string().replace('\\', "/");
        if self.line > 0 {
            write!(f, "{}:{}:", file, self.line)?;
        } else {
            write!(f, "{}:", file)?;
        }
        if let Some(field) = &self.field {
            write!(f, " {}:", field)?;
        }
        Ok(())
    }
}

/// How serious a diagnostic is. Errors make `check` exit 1; warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

/// A located problem with user data.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Diagnostic {
    pub location: Location,
    pub severity: Severity,
    pub message: String,
}

impl Diagnostic {
    pub fn error(location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            location,
            severity: Severity::Error,
            message: message.into(),
        }
    }

    pub fn warning(location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            location,
            severity: Severity::Warning,
            message: message.into(),
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tag = match self.severity {
            Severity::Error => "",
            Severity::Warning => " warning:",
        };
        write!(f, "{}{} {}", self.location, tag, self.message)
    }
}

/// Quote a user value for a message: `'value'`, shortened when very long and
/// with control characters escaped so a message stays on one line.
pub fn show(value: &str) -> String {
    const MAX: usize = 80;
    let mut out = String::from("'");
    for (i, c) in value.chars().enumerate() {
        if i == MAX {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// A set of diagnostics that stopped an operation, e.g. an import with bad rows.
#[derive(Debug, thiserror::Error)]
#[error("{} problem(s) found", .0.iter().filter(|d| d.is_error()).count())]
pub struct Rejected(pub Vec<Diagnostic>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_formats_like_an_editor_expects() {
        let loc = Location::new("forecasts/a.csv", 17).with_field("probability");
        let d = Diagnostic::error(loc, "1.2 is outside [0, 1]");
        assert_eq!(
            d.to_string(),
            "forecasts/a.csv:17: probability: 1.2 is outside [0, 1]"
        );
        let w = Diagnostic::warning(Location::new("x.csv", 2), "late");
        assert_eq!(w.to_string(), "x.csv:2: warning: late");
        assert_eq!(Location::file("x.csv").to_string(), "x.csv:");
    }

    #[test]
    fn show_escapes_and_truncates() {
        assert_eq!(show("a\nb"), "'a\\nb'");
        let long = "x".repeat(200);
        assert!(show(&long).chars().count() < 90);
    }
}
