//! Criterion benchmarks of the scoring kernels on 1e6 forecasts, of the
//! resampling statistics on one group of 1e4, and of the whole load + match +
//! score path (full loader and fast path) on a 100k-forecast synthetic ledger.
//!
//! ```sh
//! cargo bench --bench kernels              # everything (a few minutes)
//! cargo bench --bench kernels -- auc       # one group
//! ```

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use hindsight::ledger;
use hindsight::matching::{MatchConfig, match_forecasts};
use hindsight::score::{self, Params};
use hindsight::synth::{Rng, SynthConfig, write_synthetic_ledger};

const N: usize = 1_000_000;
const LEDGER_FORECASTS: usize = 100_000;
const PARAMS: Params = Params {
    bins: 10,
    log_clamp: 0.001,
    resamples: 1000,
    seed: 20190315,
    corp_band: true,
};

/// 1e6 forecasts rounded to hundredths (as people write them) with outcomes
/// drawn from a latent probability close to the forecast.
fn data(n: usize) -> (Vec<f64>, Vec<bool>) {
    let mut rng = Rng::new(2024);
    let mut p = Vec::with_capacity(n);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let truth = rng.f64();
        let f = (truth + 0.1 * rng.normal()).clamp(0.0, 1.0);
        p.push((f * 100.0).round() / 100.0);
        y.push(rng.f64() < truth);
    }
    (p, y)
}

fn kernels(c: &mut Criterion) {
    let (p, y) = data(N);
    let mut g = c.benchmark_group("kernels_1e6");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(4));
    g.bench_function("brier", |b| {
        b.iter(|| score::brier(black_box(&p), black_box(&y)))
    });
    g.bench_function("log_score", |b| {
        b.iter(|| score::log_score(black_box(&p), black_box(&y), 0.001))
    });
    g.bench_function("base_rate", |b| b.iter(|| score::base_rate(black_box(&y))));
    g.bench_function("auc", |b| {
        b.iter(|| score::auc(black_box(&p), black_box(&y)))
    });
    g.bench_function("pav", |b| {
        b.iter(|| score::pav(black_box(&p), black_box(&y)))
    });
    g.bench_function("corp", |b| {
        b.iter(|| score::corp(black_box(&p), black_box(&y)))
    });
    g.bench_function("murphy", |b| {
        b.iter(|| score::murphy(black_box(&p), black_box(&y), 10))
    });
    g.bench_function("calibration_bins", |b| {
        b.iter(|| score::calibration_bins(black_box(&p), black_box(&y), 10))
    });
    g.bench_function("summarize", |b| {
        b.iter(|| score::summarize(black_box(&p), black_box(&y), PARAMS))
    });
    g.finish();

    // Resampling on one forecaster's 10,000 forecasts (the size of a group
    // at 10M forecasts by 1,000 forecasters), 1,000 resamples each.
    let (p, y) = (&p[..10_000], &y[..10_000]);
    let one_each: Vec<u32> = (0..10_000).collect();
    let some_twice: Vec<u32> = (0..10_000).map(|i| i - i % 50 / 49).collect();
    let mut g = c.benchmark_group("resampling_1e4");
    g.throughput(Throughput::Elements(1000));
    g.sample_size(20);
    g.bench_function("corp_consistency", |b| {
        let pooled = score::Groups::new(p, y);
        b.iter(|| score::corp_consistency_groups(black_box(&pooled), 1000, 0.9, 1, false))
    });
    g.bench_function("bootstrap_one_forecast_per_question", |b| {
        b.iter(|| score::bootstrap_brier_ci(black_box(p), black_box(y), &one_each, 1000, 1))
    });
    g.bench_function("bootstrap_some_questions_twice", |b| {
        b.iter(|| score::bootstrap_brier_ci(black_box(p), black_box(y), &some_twice, 1000, 1))
    });
    g.finish();
}

fn ledger_path(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = SynthConfig {
        forecasters: 100,
        questions: 5_000,
        forecasts: LEDGER_FORECASTS,
        seed: 1,
    };
    write_synthetic_ledger(dir.path(), &cfg).expect("synthetic ledger");
    let root: &Path = dir.path();
    let sources = ledger::read_sources(root).expect("sources");
    let loaded = ledger::load(&sources);
    assert_eq!(loaded.errors(), 0);
    let set = match_forecasts(&loaded, &MatchConfig::default());

    let mut g = c.benchmark_group("ledger_100k");
    g.throughput(Throughput::Elements(LEDGER_FORECASTS as u64));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("read_files", |b| {
        b.iter(|| ledger::read_sources(black_box(root)).unwrap())
    });
    g.bench_function("load_check", |b| {
        b.iter(|| ledger::load(black_box(&sources)))
    });
    g.bench_function("match", |b| {
        b.iter(|| match_forecasts(black_box(&loaded), &MatchConfig::default()))
    });
    g.bench_function("score_set", |b| {
        b.iter(|| score::score_set(black_box(&set), PARAMS, 5))
    });
    g.bench_function("fast_scan_match_score", |b| {
        b.iter_batched(
            || (),
            |()| {
                let scan = ledger::fast::scan(root).unwrap().unwrap();
                let s = ledger::fast::match_scan(&scan, &MatchConfig::default());
                score::score_set(&s, PARAMS, 5)
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("open_match_score", |b| {
        b.iter_batched(
            || (),
            |()| {
                let l = ledger::open(root).unwrap();
                let s = match_forecasts(&l, &MatchConfig::default());
                score::score_set(&s, PARAMS, 5)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, kernels, ledger_path);
criterion_main!(benches);
