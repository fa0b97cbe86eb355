//! Time each stage of `hindsight score --format json` on a ledger, to see
//! where the time goes: reading the files, checking them into the model,
//! matching, scoring and rendering JSON.
//!
//! ```sh
//! cargo run --release --example load_phases -- LEDGER_DIR
//! ```

use std::path::Path;
use std::time::Instant;

use hindsight::ledger;
use hindsight::matching::{MatchConfig, match_forecasts};
use hindsight::score::score_set;

fn main() -> anyhow::Result<()> {
    let root = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: load_phases LEDGER_DIR"))?;
    let t = Instant::now();
    let sources = ledger::read_sources(Path::new(&root))?;
    let t_read = t.elapsed();
    let t = Instant::now();
    let ledger = ledger::load(&sources);
    let t_load = t.elapsed();
    drop(sources);
    let t = Instant::now();
    let set = match_forecasts(&ledger, &MatchConfig::default());
    let t_match = t.elapsed();
    let settings = ledger.settings.clone();
    let params = settings.params();
    let t = Instant::now();
    let scores = score_set(&set, params, settings.min_n);
    let t_score = t.elapsed();
    let t = Instant::now();
    let mut out = Vec::new();
    hindsight::render::json::write_scores(
        &mut out,
        &scores,
        &settings,
        None,
        &set.unscored,
        "",
        None,
    )?;
    let t_json = t.elapsed();
    println!(
        "forecasts {} errors {} scored {} forecasters {}",
        ledger.forecasts.len(),
        ledger.errors(),
        set.len(),
        set.forecasters.len()
    );
    println!(
        "inline sizes (bytes, before heap data): Forecast {}, Question {}, table::Row {}, Location {}, Diagnostic {}",
        std::mem::size_of::<hindsight::model::Forecast>(),
        std::mem::size_of::<hindsight::model::Question>(),
        std::mem::size_of::<hindsight::ledger::table::Row>(),
        std::mem::size_of::<hindsight::error::Location>(),
        std::mem::size_of::<hindsight::error::Diagnostic>(),
    );
    for (name, d) in [
        ("read files", t_read),
        ("parse + check (ledger::load)", t_load),
        ("match", t_match),
        ("score_set", t_score),
        ("render json", t_json),
    ] {
        println!("{name:30} {:9.3} s", d.as_secs_f64());
    }
    Ok(())
}
