//! Baseline for the benchmarks: read a ledger's CSV files with the csv crate
//! and nothing else (one reused `ByteRecord`, probabilities parsed as f64, no
//! checks, no model, no scoring). The floor any loader that parses every field
//! must sit above.
//!
//! ```sh
//! cargo run --release --example parse_only -- LEDGER_DIR
//! ```

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

fn parse(path: &Path, prob_col: Option<&str>) -> anyhow::Result<(u64, f64)> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(BufReader::with_capacity(1 << 20, File::open(path)?));
    let col = match prob_col {
        Some(name) => rdr
            .byte_headers()?
            .iter()
            .position(|h| h == name.as_bytes()),
        None => None,
    };
    let mut rec = csv::ByteRecord::new();
    let (mut rows, mut sum) = (0u64, 0.0f64);
    while rdr.read_byte_record(&mut rec)? {
        rows += 1;
        if let Some(f) = col.and_then(|c| rec.get(c))
            && let Ok(v) = std::str::from_utf8(f).unwrap_or("").parse::<f64>()
        {
            sum += v;
        }
    }
    Ok((rows, sum))
}

fn main() -> anyhow::Result<()> {
    let root = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: parse_only LEDGER_DIR"))?;
    let root = Path::new(&root);
    let mut total = 0;
    let mut psum = 0.0;
    for dir in ["forecasts", "outcomes"] {
        let mut names: Vec<_> = std::fs::read_dir(root.join(dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "csv"))
            .collect();
        names.sort();
        for path in names {
            let (rows, sum) = parse(&path, Some("probability"))?;
            total += rows;
            psum += sum;
        }
    }
    println!("{{\"rows\": {total}, \"probability_sum\": {psum}}}");
    Ok(())
}
