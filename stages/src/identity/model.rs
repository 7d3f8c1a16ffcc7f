//! # m from confident pairs, one comparator left out at a time
//!
//! The first estimate of m (stated values, and the pairs certainly one child
//! for names and gender) is refined once from the candidate pairs
//! themselves: for each comparator, the level shares among the pairs that
//! the *other* comparators alone put at or above the merge threshold (term
//! frequencies included), that show no hard-negative pattern and that the
//! same-name policy does not hold for a person. Leaving the comparator out
//! is what keeps the estimate from confirming itself, as an EM training
//! session in the field does not estimate the comparators its blocking rule
//! uses. The first estimate still weighs as [`STATED_PAIRS`] pairs, so a
//! level the confident pairs never show keeps a small m, and a small
//! bundle keeps the first estimate.
//!
//! Full EM over the candidate pairs was measured and left out: the
//! candidates are families and same-name strangers of one age, whose
//! enrollments, addresses and surnames agree with each other far more than
//! random pairs' do (the u), so EM's "match" class becomes "same family" or
//! "same age" (at 200,000 students its match share went to 0.76 where the
//! truth is 0.003, and merged siblings).

use super::*;

/// How many pairs the first estimate of m weighs as.
pub(super) const STATED_PAIRS: f64 = 20.0;

/// Fewer confident pairs than this for a comparator (a small bundle) and
/// its m keeps the first estimate: a few dozen pairs are not a share.
pub(super) const MIN_CONFIDENT: u64 = 50;

/// The enrollment level "overlap_months".
const MONTHS_AT_ONCE: usize = 4;

/// The model refined from the candidate pairs: m as [`refine`] makes it,
/// the weights again made monotone, the prior kept when the deterministic
/// rule gave it (`iterations` 0), else again by EM over the candidates.
pub(super) fn refined(
    first: Model,
    vectors: &[Levels],
    facts: &[facts::Facts],
    config: &IdentityConfig,
    units: usize,
) -> Model {
    let threshold = merge_score(config);
    let scorer = Scorer { model: &first };
    let found = confident(vectors, facts, &scorer, threshold);
    let m = refine(&first.m, &found);
    let weights = level_weights(&m, &first.u);
    // A prior from the deterministic rule does not depend on m: kept.
    let (prior, matches, iterations) = if first.iterations == 0 {
        (first.prior, 0.0, 0)
    } else {
        em_prior_over_all_pairs(vectors, &weights, units)
    };
    let mut method = first.method.clone();
    let stated = method.remove("m").unwrap_or_default();
    method.insert(
        "m".to_string(),
        format!(
            "first estimate: {stated}; then {}",
            describe(&found, threshold)
        ),
    );
    if first.iterations > 0 {
        method.insert(
            "prior".to_string(),
            format!(
                "EM over {} candidate pairs with m and u held, {iterations} iterations: {matches:.1} matching pairs of the {:.0} pairs of {units} units (with the first estimate of m: {:.3e})",
                vectors.len(),
                all_unit_pairs(units),
                first.prior
            ),
        );
    }
    Model {
        prior,
        m,
        u: first.u,
        weights,
        iterations,
        method,
    }
}

/// Level counts per comparator among the confident pairs (each counted
/// for the comparators it was confident without), and how many pairs were
/// confident for each comparator.
pub(super) struct Confident {
    pub counts: Vec<Vec<f64>>,
    pub pairs: Vec<u64>,
}

impl Confident {
    fn empty() -> Self {
        Confident {
            counts: COMPARATORS.iter().map(|c| vec![0.0; c.1.len()]).collect(),
            pairs: vec![0; N],
        }
    }

    fn add(mut self, other: Confident) -> Self {
        for c in 0..N {
            for (x, y) in self.counts[c].iter_mut().zip(&other.counts[c]) {
                *x += y;
            }
            self.pairs[c] += other.pairs[c];
        }
        self
    }
}

/// The merge threshold as log2 odds.
pub(super) fn merge_score(config: &IdentityConfig) -> f64 {
    let p = config.merge_probability.clamp(1e-12, 1.0 - 1e-12);
    (p / (1.0 - p)).log2()
}

/// Counts the levels of every comparator among the pairs the other
/// comparators alone make confident (see the module).
pub(super) fn confident(
    vectors: &[Levels],
    facts: &[facts::Facts],
    scorer: &Scorer,
    threshold: f64,
) -> Confident {
    let prior_odds = (scorer.model.prior / (1.0 - scorer.model.prior)).log2();
    vectors
        .par_iter()
        .zip(facts.par_iter())
        .fold(Confident::empty, |mut acc, (v, f)| {
            let v = &wide(v);
            if f.pattern.is_some() || f.same_uncorroborated {
                return acc;
            }
            let w: [f64; N] = std::array::from_fn(|c| scorer.weight(c, v[c], f));
            let total = prior_odds + w.iter().sum::<f64>();
            for c in 0..N {
                if v[c] != missing_level(c) && total - w[c] >= threshold {
                    acc.counts[c][v[c]] += 1.0;
                    acc.pairs[c] += 1;
                }
            }
            acc
        })
        .reduce(Confident::empty, Confident::add)
}

/// m refined: the first estimate weighing as [`STATED_PAIRS`] pairs plus
/// the confident pairs' level counts, as shares of the non-missing levels.
/// Enrolled at once for months keeps its first estimate: a child is not in
/// two schools for months, and the confident pairs that show it are
/// siblings the other comparators cannot tell apart.
pub(super) fn refine(first: &[Vec<f64>], confident: &Confident) -> Vec<Vec<f64>> {
    let counts: Vec<Vec<f64>> = (0..N)
        .map(|c| {
            let used = confident.pairs[c] >= MIN_CONFIDENT;
            first[c]
                .iter()
                .zip(&confident.counts[c])
                .map(|(m, n)| m * STATED_PAIRS + if used { *n } else { 0.0 })
                .collect()
        })
        .collect();
    let mut m = normalise(counts);
    let held = first[ENROLLMENT][MONTHS_AT_ONCE];
    let rest: f64 = (0..missing_level(ENROLLMENT))
        .filter(|&l| l != MONTHS_AT_ONCE)
        .map(|l| m[ENROLLMENT][l])
        .sum::<f64>()
        .max(1e-12);
    let missing = missing_level(ENROLLMENT);
    for (l, share) in m[ENROLLMENT].iter_mut().enumerate().take(missing) {
        *share = if l == MONTHS_AT_ONCE {
            held
        } else {
            *share * (1.0 - held) / rest
        };
    }
    m
}

/// What model.json says about the refinement.
pub(super) fn describe(confident: &Confident, threshold: f64) -> String {
    let per: Vec<String> = (0..N)
        .map(|c| format!("{} {}", COMPARATORS[c].0, confident.pairs[c]))
        .collect();
    format!(
        "refined once from the candidate pairs the other comparators alone score at or above the merge threshold ({threshold:.2} log2 odds), no hard-negative pattern, not held by the same-name policy (pairs per comparator: {}; a comparator with fewer than {MIN_CONFIDENT} keeps its first estimate); the first estimate weighs as {STATED_PAIRS} pairs; enrolled at once for months held at its first estimate",
        per.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first() -> Vec<Vec<f64>> {
        COMPARATORS
            .iter()
            .map(|(_, levels)| {
                let n = levels.len() - 1;
                let mut row = vec![1.0 / n as f64; n];
                row.push(0.0);
                row
            })
            .collect()
    }

    #[test]
    fn confident_counts_move_m_and_the_first_estimate_still_weighs() {
        let mut confident = Confident::empty();
        // 180 confident pairs all at the closest birth-date level.
        confident.counts[BIRTH][0] = 180.0;
        confident.pairs[BIRTH] = 180;
        let m = refine(&first(), &confident);
        let levels = missing_level(BIRTH) as f64;
        // (20 / levels + 180) / 200 for the closest, 20 / levels / 200 for the rest.
        assert!((m[BIRTH][0] - (20.0 / levels + 180.0) / 200.0).abs() < 1e-12);
        assert!((m[BIRTH][1] - 20.0 / levels / 200.0).abs() < 1e-12);
        assert_eq!(m[BIRTH][missing_level(BIRTH)], 0.0);
        // No confident pair, or too few: the first estimate.
        assert_eq!(refine(&first(), &Confident::empty())[FIRST], first()[FIRST]);
        confident.pairs[BIRTH] = MIN_CONFIDENT - 1;
        assert_eq!(refine(&first(), &confident)[BIRTH], first()[BIRTH]);
    }

    #[test]
    fn months_at_once_keeps_its_first_estimate() {
        let mut confident = Confident::empty();
        confident.counts[ENROLLMENT][MONTHS_AT_ONCE] = 500.0;
        confident.counts[ENROLLMENT][0] = 500.0;
        confident.pairs[ENROLLMENT] = 1000;
        let start = first();
        let m = refine(&start, &confident);
        assert!((m[ENROLLMENT][MONTHS_AT_ONCE] - start[ENROLLMENT][MONTHS_AT_ONCE]).abs() < 1e-12);
        let total: f64 = m[ENROLLMENT].iter().sum();
        assert!((total - 1.0).abs() < 1e-9);
        assert!(m[ENROLLMENT][0] > m[ENROLLMENT][1]);
    }
}
