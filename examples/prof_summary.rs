//! Times each scoring kernel on one large group (1,000,000 forecasts), to see
//! where `summarize` spends its time: `cargo run --release --example prof_summary`.
use hindsight::score::*;
use std::time::Instant;

fn main() {
    let n = 1_000_000;
    let mut x: u64 = 42;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut p = Vec::with_capacity(n);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let t = (next() * 20.0).round() / 20.0;
        p.push(t);
        y.push(next() < t);
    }
    let q: Vec<u32> = (0..n as u32).map(|i| i % 20000).collect();
    let time = |name: &str, f: &dyn Fn()| {
        let t = Instant::now();
        f();
        println!("{name:>26}: {:>8.1} ms", t.elapsed().as_secs_f64() * 1e3);
    };
    time("brier", &|| {
        brier(&p, &y);
    });
    time("log_score", &|| {
        log_score(&p, &y, 0.001);
    });
    time("auc", &|| {
        auc(&p, &y);
    });
    time("murphy", &|| {
        murphy(&p, &y, 10);
    });
    time("calibration_bins", &|| {
        calibration_bins(&p, &y, 10);
    });
    time("corp", &|| {
        corp(&p, &y);
    });
    time("spiegelhalter", &|| {
        spiegelhalter(&p, &y);
    });
    time("hosmer_lemeshow", &|| {
        hosmer_lemeshow(&p, &y, 10);
    });
    time("calibration_line", &|| {
        calibration_line(&p, &y, 0.001);
    });
    println!("citl = {:?}", calibration_in_the_large(&p, &y, 0.001));
    time("calibration_in_the_large", &|| {
        calibration_in_the_large(&p, &y, 0.001);
    });
    time("corp_consistency (1000)", &|| {
        corp_consistency(&p, &y, 1000, 0.9, 1);
    });
    time("bootstrap_brier_ci (1000)", &|| {
        bootstrap_brier_ci(&p, &y, &q, 1000, 1);
    });
    let params = Params {
        resamples: 0,
        ..Params::default()
    };
    time("summarize_grouped (0)", &|| {
        summarize_grouped(&p, &y, &q, params, 1);
    });
}
