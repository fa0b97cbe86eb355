//! Comparing forecasters who answered different questions: pairwise relative
//! skill as in scoringutils, with permutation tests and Holm's adjustment.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// Per forecaster, per question: (sum of Brier scores, number of forecasts),
/// sorted by question.
pub type QuestionScores = Vec<(u32, f64, u32)>;

/// Build [`QuestionScores`] for one forecaster's forecasts.
pub fn question_scores(p: &[f64], y: &[bool], question: &[u32]) -> QuestionScores {
    let sq = |i: usize| {
        let d = p[i] - if y[i] { 1.0 } else { 0.0 };
        d * d
    };
    // Question indices that are dense for this group (the overall group, a
    // forecaster who answered most questions): sums in a table by question,
    // O(n). Otherwise one sort of (question, row) keys. Either way each
    // question's sum is added in forecast order: the same numbers.
    let top = question.iter().max().map_or(0, |&q| q as usize + 1);
    if top <= 4 * question.len() + 1024 {
        let mut acc = vec![(0.0f64, 0u32); top];
        for (i, &q) in question.iter().enumerate() {
            let a = &mut acc[q as usize];
            a.0 += sq(i);
            a.1 += 1;
        }
        return acc
            .into_iter()
            .enumerate()
            .filter(|(_, a)| a.1 > 0)
            .map(|(q, (s, n))| (q as u32, s, n))
            .collect();
    }
    // Otherwise (question, row) pairs sorted by question, rows in order
    // within a question: a stable radix sort, 11 bits of the question a pass.
    let mut keys: Vec<(u32, u32)> = question
        .iter()
        .enumerate()
        .map(|(i, &q)| (q, i as u32))
        .collect();
    let mut spare = vec![(0u32, 0u32); keys.len()];
    let bits = usize::BITS - (top - 1).leading_zeros();
    let mut shift = 0;
    while shift < bits {
        let mut count = [0usize; 1 << 11];
        for &(q, _) in &keys {
            count[(q >> shift) as usize & 0x7ff] += 1;
        }
        let mut at = 0;
        for c in count.iter_mut() {
            (at, *c) = (at + *c, at);
        }
        for &(q, i) in &keys {
            let slot = &mut count[(q >> shift) as usize & 0x7ff];
            spare[*slot] = (q, i);
            *slot += 1;
        }
        std::mem::swap(&mut keys, &mut spare);
        shift += 11;
    }
    let mut v: QuestionScores = Vec::new();
    for (q, i) in keys {
        let i = i as usize;
        match v.last_mut() {
            Some(last) if last.0 == q => {
                last.1 += sq(i);
                last.2 += 1;
            }
            _ => v.push((q, sq(i), 1)),
        }
    }
    v
}

/// Sums over the questions both forecasters answered:
/// (questions, i's score sum, i's count, j's score sum, j's count).
fn shared(a: &QuestionScores, b: &QuestionScores) -> (usize, f64, u64, f64, u64) {
    let (mut i, mut j) = (0, 0);
    let mut out = (0usize, 0.0, 0u64, 0.0, 0u64);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.0 += 1;
                out.1 += a[i].1;
                out.2 += a[i].2 as u64;
                out.3 += b[j].1;
                out.4 += b[j].2 as u64;
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// Relative skill of every forecaster (the data contract's `relative_skill`).
///
/// # Formula
/// For each other forecaster j sharing at least one question with i,
/// `r_ij = (mean Brier of i's forecasts on the shared questions) / (mean Brier
/// of j's forecasts on the same questions)`, skipping pairs where either mean
/// is 0; relative skill = geometric mean of the r_ij and r_ii = 1. Lower is
/// better.
///
/// # Remarks
/// `None` for a forecaster who shares no question with anyone. Cost grows with
/// the number of pairs of forecasters times the questions they answered.
///
/// ```
/// use hindsight::score::{question_scores, relative_skill};
/// // A and B answer question 0; A scores 0.01, B 0.04.
/// let a = question_scores(&[0.9], &[true], &[0]);
/// let b = question_scores(&[0.8], &[true], &[0]);
/// let r = relative_skill(&[a, b]);
/// // A: geometric mean of (0.01/0.04, 1) = 0.5; B: of (4, 1) = 2.
/// assert!((r[0].unwrap() - 0.5).abs() < 1e-12 && (r[1].unwrap() - 2.0).abs() < 1e-12);
/// ```
pub fn relative_skill(scores: &[QuestionScores]) -> Vec<Option<f64>> {
    relative_skill_owned(scores.to_vec())
}

/// [`relative_skill`], taking the lists (freed as soon as they are copied
/// into the question-by-question table).
pub fn relative_skill_owned(scores: Vec<QuestionScores>) -> Vec<Option<f64>> {
    let k = scores.len();
    if k <= DENSE_LIMIT
        && let Some(who) = Who::from_lists(&scores)
    {
        drop(scores);
        return from_pair_sums(k, &dense_pair_sums(&who, k));
    }
    relative_from(k, |visit| {
        for i in 0..k {
            for j in (i + 1)..k {
                visit(i, j, shared(&scores[i], &scores[j]));
            }
        }
    })
}

/// [`relative_skill`] straight from scored rows: `groups[i]` is the range of
/// forecaster i's rows in `p`, `y` and `question`. The same numbers as
/// [`relative_skill`] on each group's [`question_scores`]; up to
/// [`DENSE_LIMIT`] forecasters without holding every group's list at once
/// (beyond it, or past [`MAX_COUNT`] forecasts by one forecaster on one
/// question, the lists are built and merged pair by pair).
pub fn relative_skill_rows(
    groups: &[std::ops::Range<usize>],
    p: &[f64],
    y: &[bool],
    question: &[u32],
) -> Vec<Option<f64>> {
    use rayon::prelude::*;
    let k = groups.len();
    if k <= DENSE_LIMIT
        && let Some(who) = Who::from_rows(groups, p, y, question)
    {
        return from_pair_sums(k, &dense_pair_sums(&who, k));
    }
    let lists: Vec<QuestionScores> = groups
        .par_iter()
        .map(|r| question_scores(&p[r.clone()], &y[r.clone()], &question[r.clone()]))
        .collect();
    relative_skill_owned(lists)
}

/// Relative skill from the dense table of [`dense_pair_sums`].
fn from_pair_sums(k: usize, sums: &[PairSums]) -> Vec<Option<f64>> {
    relative_from(k, |visit| {
        for i in 0..k {
            for j in (i + 1)..k {
                visit(i, j, sums[i * k + j].widen());
            }
        }
    })
}

/// Relative skill of k forecasters; `pairs` calls its argument once for
/// every pair i < j with the sums of [`shared`].
fn relative_from(
    k: usize,
    pairs: impl FnOnce(&mut dyn FnMut(usize, usize, (usize, f64, u64, f64, u64))),
) -> Vec<Option<f64>> {
    let mut log_sum = vec![0.0f64; k];
    let mut terms = vec![1usize; k]; // r_ii = 1 counts as a term
    let mut shares = vec![false; k];
    pairs(&mut |i, j, (nq, si, ni, sj, nj)| {
        if nq == 0 {
            return;
        }
        shares[i] = true;
        shares[j] = true;
        let (mi, mj) = (si / ni as f64, sj / nj as f64);
        if mi == 0.0 || mj == 0.0 {
            return;
        }
        let l = (mi / mj).ln();
        log_sum[i] += l;
        log_sum[j] -= l;
        terms[i] += 1;
        terms[j] += 1;
    });
    (0..k)
        .map(|i| shares[i].then(|| (log_sum[i] / terms[i] as f64).exp()))
        .collect()
}

/// The sums of [`shared`] for one pair in 32 bytes, one to a cache line's
/// half (counts fit in 32 bits: forecasts are numbered in 32 bits).
#[derive(Clone, Copy, Default, Debug, PartialEq)]
#[repr(C, align(32))]
struct PairSums {
    questions: u32,
    n_a: u32,
    n_b: u32,
    sum_a: f64,
    sum_b: f64,
}

impl PairSums {
    /// As [`shared`] gives them.
    fn widen(self) -> (usize, f64, u64, f64, u64) {
        (
            self.questions as usize,
            self.sum_a,
            self.n_a as u64,
            self.sum_b,
            self.n_b as u64,
        )
    }
}

/// Up to this many forecasters, pair sums are accumulated question by question
/// into a k × k table (cost: Σ over questions of forecasters², memory 32 k²
/// bytes); above it, each pair's question lists are merged.
const DENSE_LIMIT: usize = 1500;

/// One forecaster's entry for a question in 12 bytes: the forecaster (the
/// low bits: dense tables have at most [`DENSE_LIMIT`] forecasters) and its
/// number of forecasts on the question in one word, and their score sum.
#[derive(Clone, Copy, Default)]
#[repr(C, packed(4))]
struct Entry {
    key: u32,
    sum: f64,
}

const FORECASTER_BITS: u32 = 11;
const _: () = assert!(DENSE_LIMIT < 1 << FORECASTER_BITS);
/// The most forecasts one entry counts (a table that needs more is not
/// built: the pairs are merged list by list instead).
const MAX_COUNT: u32 = u32::MAX >> FORECASTER_BITS;

impl Entry {
    fn new(forecaster: usize, count: u32, sum: f64) -> Entry {
        debug_assert!(forecaster < 1 << FORECASTER_BITS && count <= MAX_COUNT);
        Entry {
            key: forecaster as u32 | count << FORECASTER_BITS,
            sum,
        }
    }

    fn forecaster(self) -> usize {
        (self.key & ((1 << FORECASTER_BITS) - 1)) as usize
    }

    fn count(self) -> u32 {
        self.key >> FORECASTER_BITS
    }
}

/// Who answered each question: entries (forecaster, count, score sum) for
/// question q at `entries[start[q]..end[q]]`, in forecaster order, one
/// entry per forecaster and question.
struct Who {
    start: Vec<u32>,
    end: Vec<u32>,
    entries: Vec<Entry>,
}

impl Who {
    /// From each forecaster's [`QuestionScores`]; `None` when an entry would
    /// count more than [`MAX_COUNT`] forecasts.
    fn from_lists(scores: &[QuestionScores]) -> Option<Who> {
        use rayon::prelude::*;
        if scores.iter().flatten().any(|e| e.2 > MAX_COUNT) {
            return None;
        }
        let questions = scores
            .iter()
            .filter_map(|l| l.last().map(|e| e.0 as usize + 1))
            .max()
            .unwrap_or(0);
        let mut start = vec![0u32; questions + 1];
        for list in scores {
            for e in list {
                start[e.0 as usize + 1] += 1;
            }
        }
        for q in 0..questions {
            start[q + 1] += start[q];
        }
        // Filled in parallel by runs of questions: each run's entries are one
        // slice of the table, and each run takes its questions from every
        // list in forecaster order (identical to one pass over the lists).
        let mut entries = vec![Entry::default(); start[questions] as usize];
        let runs = question_runs(&start, 4 * rayon::current_num_threads().max(1));
        split_by_runs(&mut entries, &start, &runs)
            .into_par_iter()
            .for_each(|(qa, qb, out)| {
                let base = start[qa];
                let mut fill: Vec<u32> = start[qa..qb].iter().map(|s| s - base).collect();
                for (i, list) in scores.iter().enumerate() {
                    let from = list.partition_point(|e| (e.0 as usize) < qa);
                    for &(q, s, n) in &list[from..] {
                        if q as usize >= qb {
                            break;
                        }
                        let slot = &mut fill[q as usize - qa];
                        out[*slot as usize] = Entry::new(i, n, s);
                        *slot += 1;
                    }
                }
            });
        let end = start[1..].to_vec();
        start.truncate(questions);
        Some(Who {
            start,
            end,
            entries,
        })
    }

    /// From scored rows grouped by forecaster (`groups[i]`: forecaster i's
    /// rows); `None` when an entry would count more than [`MAX_COUNT`]
    /// forecasts, or there are 2^32 rows or more. Room is made for every row
    /// of a question; a forecaster's second forecast on a question joins its
    /// entry (rows are visited in order, so its entry is the question's
    /// last), which gives each entry's sum in row order, as
    /// [`question_scores`] adds it.
    fn from_rows(
        groups: &[std::ops::Range<usize>],
        p: &[f64],
        y: &[bool],
        question: &[u32],
    ) -> Option<Who> {
        // Entries are numbered in 32 bits.
        if question.len() >= u32::MAX as usize {
            return None;
        }
        let questions = question.iter().max().map_or(0, |&q| q as usize + 1);
        let mut start = vec![0u32; questions + 1];
        for r in groups {
            for &q in &question[r.clone()] {
                start[q as usize + 1] += 1;
            }
        }
        for q in 0..questions {
            start[q + 1] += start[q];
        }
        let mut entries = vec![Entry::default(); start[questions] as usize];
        // One pass (rows are not in question order within a forecaster, so
        // a thread per run of questions would read every row); the caller
        // runs it beside other work.
        // Per question: the next free entry, and who wrote the last one.
        let mut fill: Vec<(u32, u32)> = start[..questions].iter().map(|&s| (s, u32::MAX)).collect();
        for (i, r) in groups.iter().enumerate() {
            let i = i as u32;
            for row in r.clone() {
                let q = question[row] as usize;
                let d = p[row] - if y[row] { 1.0 } else { 0.0 };
                let sq = d * d;
                let (slot, last) = &mut fill[q];
                // A second forecast on the question joins the forecaster's
                // entry, the question's last.
                if *last == i {
                    let e = &mut entries[*slot as usize - 1];
                    if e.count() == MAX_COUNT {
                        return None;
                    }
                    *e = Entry::new(i as usize, e.count() + 1, e.sum + sq);
                } else {
                    entries[*slot as usize] = Entry::new(i as usize, 1, sq);
                    *slot += 1;
                    *last = i;
                }
            }
        }
        let end = fill.into_iter().map(|f| f.0).collect();
        start.truncate(questions);
        Some(Who {
            start,
            end,
            entries,
        })
    }

    fn questions(&self) -> usize {
        self.start.len()
    }

    fn group(&self, q: usize) -> &[Entry] {
        &self.entries[self.start[q] as usize..self.end[q] as usize]
    }
}

/// Cuts of 0..questions into about `runs` runs of equal numbers of entries
/// (`start`: each question's first entry, then the total).
fn question_runs(start: &[u32], runs: usize) -> Vec<usize> {
    let questions = start.len() - 1;
    let total = start[questions] as usize;
    let mut cuts = vec![0usize];
    for (q, &at) in start.iter().enumerate().take(questions).skip(1) {
        if at as usize * runs >= total * cuts.len() && q > *cuts.last().unwrap_or(&0) {
            cuts.push(q);
        }
    }
    cuts.push(questions);
    cuts
}

/// The entries split into one slice per run of questions.
fn split_by_runs<'a>(
    entries: &'a mut [Entry],
    start: &[u32],
    runs: &[usize],
) -> Vec<(usize, usize, &'a mut [Entry])> {
    let mut slices = Vec::with_capacity(runs.len());
    let mut rest = entries;
    for w in runs.windows(2) {
        let (head, tail) = rest.split_at_mut((start[w[1]] - start[w[0]]) as usize);
        slices.push((w[0], w[1], head));
        rest = tail;
    }
    slices
}

/// The sums of [`shared`] for every pair (i < j) of k forecasters at index
/// i·k + j, built by one pass over the questions in increasing order, so each
/// pair's sums are added in the same order as by merging the two lists
/// (identical results).
fn dense_pair_sums(who: &Who, k: usize) -> Vec<PairSums> {
    use rayon::prelude::*;
    let questions = who.questions();
    let mut sums = vec![PairSums::default(); k * k];
    // Rows of the table (the first forecaster of a pair) are split among
    // threads in bands of about equal numbers of pairs; each band walks all
    // questions in order, so every pair's sums are added in question order
    // as by merging the two lists (identical results, any thread count).
    let bands = 4 * rayon::current_num_threads().max(1);
    let pairs_total = (k * k.saturating_sub(1) / 2).max(1);
    let mut cuts = vec![0usize];
    let mut acc = 0usize;
    for a in 0..k {
        acc += k - 1 - a;
        if acc * bands >= pairs_total * cuts.len() && cuts.len() < bands {
            cuts.push(a + 1);
        }
    }
    if cuts.last() != Some(&k) {
        cuts.push(k);
    }
    let mut rest: &mut [PairSums] = &mut sums;
    let mut parts = Vec::new();
    for w in cuts.windows(2) {
        let (band, tail) = rest.split_at_mut((w[1] - w[0]) * k);
        parts.push((w[0], w[1], band));
        rest = tail;
    }
    parts.into_par_iter().for_each(|(lo, hi, band)| {
        for q in 0..questions {
            let group = who.group(q);
            // The group is in forecaster order: this band's rows are a run.
            let first = group.partition_point(|e| e.forecaster() < lo);
            for (x, &ea) in group.iter().enumerate().skip(first) {
                let (a, na, sa) = (ea.forecaster(), ea.count(), ea.sum);
                if a >= hi {
                    break;
                }
                for &eb in &group[x + 1..] {
                    let (b, nb, sb) = (eb.forecaster(), eb.count(), eb.sum);
                    let e = &mut band[(a - lo) * k + b];
                    e.questions += 1;
                    e.sum_a += sa;
                    e.n_a += na;
                    e.sum_b += sb;
                    e.n_b += nb;
                }
            }
        }
    });
    sums
}

/// One pairwise comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pairwise {
    pub a: String,
    pub b: String,
    /// Questions both answered.
    pub questions: usize,
    /// Mean Brier of a's and b's forecasts on those questions.
    pub brier_a: f64,
    pub brier_b: f64,
    /// brier_a / brier_b (null when brier_b is 0).
    pub ratio: Option<f64>,
    /// Two-sided sign-flip permutation p-value of the mean per-question difference.
    pub p: f64,
    /// Holm-adjusted p over all pairs tested together.
    pub p_holm: f64,
}

/// Pairwise comparisons with sign-flip permutation tests.
///
/// # Formula
/// On the questions both answered, d_q = (a's mean Brier on q) − (b's mean
/// Brier on q). Under the null hypothesis that the two are equally good, each
/// d_q is as likely to have either sign; the p-value is
/// `(1 + #{|mean d*| ≥ |mean d|}) / (1 + resamples)` over random sign flips.
/// P-values are then Holm-adjusted over all pairs.
pub fn pairwise(
    names: &[String],
    scores: &[QuestionScores],
    resamples: usize,
    seed: u64,
) -> Vec<Pairwise> {
    let mut out = Vec::new();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for i in 0..scores.len() {
        for j in (i + 1)..scores.len() {
            let (a, b) = (&scores[i], &scores[j]);
            let mut d = Vec::new();
            let (mut si, mut ni, mut sj, mut nj) = (0.0, 0u64, 0.0, 0u64);
            let (mut x, mut z) = (0, 0);
            while x < a.len() && z < b.len() {
                match a[x].0.cmp(&b[z].0) {
                    std::cmp::Ordering::Less => x += 1,
                    std::cmp::Ordering::Greater => z += 1,
                    std::cmp::Ordering::Equal => {
                        d.push(a[x].1 / a[x].2 as f64 - b[z].1 / b[z].2 as f64);
                        si += a[x].1;
                        ni += a[x].2 as u64;
                        sj += b[z].1;
                        nj += b[z].2 as u64;
                        x += 1;
                        z += 1;
                    }
                }
            }
            if d.is_empty() {
                continue;
            }
            let observed = d.iter().sum::<f64>().abs();
            let tol = 1e-12 * observed.max(1e-300);
            let mut extreme = 0usize;
            for _ in 0..resamples {
                let s: f64 = d
                    .iter()
                    .map(|&v| if rng.random::<bool>() { v } else { -v })
                    .sum();
                if s.abs() >= observed - tol {
                    extreme += 1;
                }
            }
            let (ba, bb) = (si / ni as f64, sj / nj as f64);
            out.push(Pairwise {
                a: names[i].clone(),
                b: names[j].clone(),
                questions: d.len(),
                brier_a: ba,
                brier_b: bb,
                ratio: (bb > 0.0).then(|| ba / bb),
                p: (1 + extreme) as f64 / (1 + resamples) as f64,
                p_holm: 0.0,
            });
        }
    }
    let adjusted = holm(&out.iter().map(|c| c.p).collect::<Vec<_>>());
    for (c, p) in out.iter_mut().zip(adjusted) {
        c.p_holm = p;
    }
    out
}

/// Holm's step-down adjustment of p-values (same order as given).
///
/// ```
/// use hindsight::score::holm;
/// // Sorted 0.01, 0.02, 0.04 -> 0.03, 0.04, 0.04 (monotone, capped at 1).
/// assert_eq!(holm(&[0.04, 0.01, 0.02]), vec![0.04, 0.03, 0.04]);
/// ```
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut idx: Vec<usize> = (0..m).collect();
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut out = vec![0.0; m];
    let mut running: f64 = 0.0;
    for (rank, &i) in idx.iter().enumerate() {
        let adj = ((m - rank) as f64 * p[i]).min(1.0);
        running = running.max(adj);
        out[i] = running;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_skill_hand_case() {
        // Questions 0..3. A answers 0,1; B answers 1,2; C answers 2.
        let a = question_scores(&[0.9, 0.6], &[true, true], &[0, 1]); // 0.01, 0.16
        let b = question_scores(&[0.8, 0.5], &[true, false], &[1, 2]); // 0.04, 0.25
        let c = question_scores(&[0.0], &[false], &[2]); // 0.0
        let r = relative_skill(&[a, b, c]);
        // A vs B on q1: 0.16 / 0.04 = 4 -> A = sqrt(4 * 1) = 2.
        assert!((r[0].unwrap() - 2.0).abs() < 1e-12);
        // B: vs A 1/4; vs C skipped (C's mean is 0) -> sqrt(0.25) = 0.5.
        assert!((r[1].unwrap() - 0.5).abs() < 1e-12);
        // C shares q2 with B but the pair is skipped: r = 1 (only r_ii).
        assert_eq!(r[2], Some(1.0));
        let lone = question_scores(&[0.3], &[true], &[9]);
        assert_eq!(relative_skill(&[lone])[0], None);
    }

    #[test]
    fn question_sums_by_table_and_by_sort_agree_exactly() {
        // The same forecasts with question indices spread out (sorted path)
        // and packed (table path) give the same sums, bit for bit.
        let mut x: u64 = 3;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let n = 5000;
        let p: Vec<f64> = (0..n).map(|_| (next() % 101) as f64 / 100.0).collect();
        let y: Vec<bool> = (0..n).map(|_| next() % 3 == 0).collect();
        let packed: Vec<u32> = (0..n).map(|_| (next() % 700) as u32).collect();
        let spread: Vec<u32> = packed.iter().map(|&q| q * 100_000).collect();
        let a = question_scores(&p, &y, &packed);
        let b = question_scores(&p, &y, &spread);
        assert_eq!(a.len(), b.len());
        for (u, v) in a.iter().zip(&b) {
            assert_eq!(
                (u.0 * 100_000, u.1.to_bits(), u.2),
                (v.0, v.1.to_bits(), v.2)
            );
        }
    }

    #[test]
    fn dense_and_merged_pair_sums_agree_exactly() {
        let mut scores = Vec::new();
        for f in 0..40u32 {
            let q: Vec<u32> = (0..60).filter(|x| (x * (f + 3)) % 5 != 0).collect();
            let p: Vec<f64> = q
                .iter()
                .map(|x| ((x * 7 + f * 13) % 100) as f64 / 100.0)
                .collect();
            let y: Vec<bool> = q.iter().map(|x| x % 3 == 0).collect();
            scores.push(question_scores(&p, &y, &q));
        }
        let dense = dense_pair_sums(&Who::from_lists(&scores).unwrap(), scores.len());
        for i in 0..scores.len() {
            for j in (i + 1)..scores.len() {
                assert_eq!(
                    dense[i * scores.len() + j].widen(),
                    shared(&scores[i], &scores[j]),
                    "{i} {j}"
                );
            }
        }
    }

    /// The question table built from scored rows (questions in any order,
    /// repeats, forecasters with no rows) gives exactly the pair sums of
    /// merging each forecaster's question list, and the same relative skill.
    #[test]
    fn pair_sums_from_rows_agree_exactly_with_merged_lists() {
        use proptest::prelude::*;
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases: 200,
            ..ProptestConfig::default()
        });
        let rows = proptest::collection::vec((0u32..30, 0u32..100, any::<bool>()), 0..30);
        runner
            .run(&proptest::collection::vec(rows, 0..12), |forecasters| {
                let (mut p, mut y, mut q, mut groups) = (vec![], vec![], vec![], vec![]);
                for rows in &forecasters {
                    let at = p.len();
                    for &(question, hundredths, yes) in rows {
                        q.push(question);
                        p.push(hundredths as f64 / 100.0);
                        y.push(yes);
                    }
                    groups.push(at..p.len());
                }
                let lists: Vec<QuestionScores> = groups
                    .iter()
                    .map(|r| question_scores(&p[r.clone()], &y[r.clone()], &q[r.clone()]))
                    .collect();
                let k = groups.len();
                let dense = dense_pair_sums(&Who::from_rows(&groups, &p, &y, &q).unwrap(), k);
                for i in 0..k {
                    for j in (i + 1)..k {
                        let (a, b) = (dense[i * k + j].widen(), shared(&lists[i], &lists[j]));
                        prop_assert_eq!((a.0, a.2, a.4), (b.0, b.2, b.4));
                        prop_assert_eq!(
                            (a.1.to_bits(), a.3.to_bits()),
                            (b.1.to_bits(), b.3.to_bits())
                        );
                    }
                }
                let by_rows = relative_skill_rows(&groups, &p, &y, &q);
                let by_lists = relative_skill(&lists);
                let bits =
                    |v: &[Option<f64>]| v.iter().map(|x| x.map(f64::to_bits)).collect::<Vec<_>>();
                prop_assert_eq!(bits(&by_rows), bits(&by_lists));
                Ok(())
            })
            .unwrap();
    }

    /// More forecasts by one forecaster on one question than an entry of
    /// the table counts: the pairs are merged list by list instead, with the
    /// same result.
    #[test]
    fn an_entry_too_large_for_the_table_falls_back_to_merging() {
        let many = MAX_COUNT as usize + 1;
        let mut q = vec![0u32; many];
        let mut p = vec![0.25; many];
        let mut y = vec![true; many];
        // A second forecaster on questions 0 and 1, the first on 1 too.
        q.extend([1, 0, 1]);
        p.extend([0.5, 0.9, 0.6]);
        y.extend([false, true, false]);
        let groups = vec![0..many + 1, many + 1..many + 3];
        assert!(Who::from_rows(&groups, &p, &y, &q).is_none());
        let lists: Vec<QuestionScores> = groups
            .iter()
            .map(|r| question_scores(&p[r.clone()], &y[r.clone()], &q[r.clone()]))
            .collect();
        assert!(Who::from_lists(&lists).is_none());
        let r = relative_skill_rows(&groups, &p, &y, &q);
        // Question 0: 0.5625 a forecast against 0.01; question 1: 0.25 against 0.36.
        let a = (0.5625 * many as f64 + 0.25) / (many as f64 + 1.0);
        let b = (0.01 + 0.36) / 2.0;
        let expect = (a / b).sqrt();
        assert!((r[0].unwrap() - expect).abs() < 1e-12, "{r:?} {expect}");
        assert!((r[1].unwrap() - 1.0 / expect).abs() < 1e-12, "{r:?}");
    }

    #[test]
    fn permutation_test_detects_a_clear_difference_and_not_a_null_one() {
        let n = 60;
        let q: Vec<u32> = (0..n).collect();
        let y: Vec<bool> = (0..n).map(|i| i % 2 == 0).collect();
        let good: Vec<f64> = y.iter().map(|&v| if v { 0.9 } else { 0.1 }).collect();
        let bad: Vec<f64> = y.iter().map(|&v| if v { 0.4 } else { 0.6 }).collect();
        let names = vec!["good".to_string(), "bad".to_string(), "good2".to_string()];
        let s = vec![
            question_scores(&good, &y, &q),
            question_scores(&bad, &y, &q),
            question_scores(&good, &y, &q),
        ];
        let pw = pairwise(&names, &s, 999, 5);
        assert_eq!(pw.len(), 3);
        let gb = &pw[0];
        assert_eq!(
            (gb.a.as_str(), gb.b.as_str(), gb.questions),
            ("good", "bad", 60)
        );
        assert!(gb.p <= 0.002, "{}", gb.p);
        let gg = pw.iter().find(|c| c.b == "good2" && c.a == "good").unwrap();
        assert_eq!(gg.p, 1.0);
        assert!(pw.iter().all(|c| c.p_holm >= c.p));
    }
}
