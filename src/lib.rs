//! hindsight keeps score on expert forecasts.
//!
//! Data flows one way: ledger files are read with their positions
//! ([`ledger`]), checked into the domain model ([`model`]), matched to outcomes
//! ([`matching`]), scored over columnar slices ([`score`]) and rendered
//! ([`render`]) or assembled into a report ([`report`]). Each stage uses only
//! the stages before it; only `cmd` (in the binary) sees the command line, and
//! nothing in the library prints.

pub mod error;
pub mod extract;
pub mod ledger;
pub mod lexicon;
pub mod matching;
pub mod model;
pub mod render;
pub mod report;
pub mod score;
pub mod sensitivity;
pub mod settings;
pub mod synth;
