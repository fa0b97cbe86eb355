//! Fuzz the import parser: any bytes, read as a forecasts or outcomes file
//! with options chosen by the first byte, must give normalized rows or located
//! problems, never a panic; every row must be accounted for; and the rows it
//! accepts must be in the ledger's strict form.
#![no_main]

use std::path::Path;

use hindsight::ledger::import::{ImportKind, ImportOptions, InputEncoding, parse_bytes};
use hindsight::ledger::normalize::DateOrder;
use hindsight::ledger::table::Limits;
use hindsight::model::{check_question_id, parse_iso_date, parse_probability};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, bytes)) = data.split_first() else {
        return;
    };
    let kind = if sel & 1 == 0 {
        ImportKind::Forecasts
    } else {
        ImportKind::Outcomes
    };
    let opts = ImportOptions {
        encoding: match (sel >> 1) & 3 {
            0 => None,
            1 => Some(InputEncoding::Utf8),
            2 => Some(InputEncoding::Utf16),
            _ => Some(InputEncoding::Windows1252),
        },
        delimiter: match (sel >> 3) & 3 {
            0 => None,
            1 => Some(b','),
            2 => Some(b';'),
            _ => Some(b'\t'),
        },
        date_order: match (sel >> 5) & 3 {
            0 => Some(DateOrder::Dmy),
            1 => Some(DateOrder::Mdy),
            _ => None,
        },
        // Small limits, so the fuzzer reaches them.
        limits: Limits {
            max_field_bytes: 4096,
            max_columns: 64,
            max_rows: 10_000,
        },
        ..ImportOptions::default()
    };
    let p = parse_bytes(kind, Path::new("fuzz.csv"), bytes, &opts);
    if !p.fatal.is_empty() {
        assert!(p.added.is_empty() && p.rejected.is_empty());
        return;
    }
    for r in &p.rejected {
        assert!(!r.reasons.is_empty());
    }
    for r in &p.added {
        match kind {
            ImportKind::Forecasts => {
                check_question_id(r.get("question_id")).unwrap();
                parse_iso_date(r.get("made_on")).unwrap();
                assert!(!r.get("forecaster").is_empty());
                let prob = r.get("probability");
                assert!(!prob.is_empty() || !r.get("verbal").is_empty());
                if !prob.is_empty() {
                    parse_probability(prob).unwrap();
                }
            }
            ImportKind::Outcomes => {
                parse_iso_date(r.get("resolved_on")).unwrap();
                assert!(["yes", "no", "void"].contains(&r.get("outcome")));
            }
        }
    }
    // The rejects file for these rows is always well-formed CSV.
    let out = hindsight::ledger::import::rejects_csv(&p.rejected);
    // Written with the inputs' delimiter (here one input).
    let delimiter = p.rejected.first().map(|r| r.delimiter).unwrap_or(b',');
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(out.as_slice());
    assert_eq!(rdr.records().count(), p.rejected.len());
});
