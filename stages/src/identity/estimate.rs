//! # The model's first estimate
//!
//! u from random pairs of units, m from pairs certainly one child and
//! stated values, weights made monotone, the prior from a deterministic
//! rule whose recall the certain pairs measure (EM over the candidate pairs
//! in a small bundle) ([`model::refined`](super::model::refined) then refines m).

use super::*;

/// Level frequencies among random pairs of units (almost all non-matches):
/// the u probabilities, estimated once and held fixed.
pub(super) fn random_pair_u(units: &[Unit], comparer: &Comparer, samples: usize) -> Vec<Vec<f64>> {
    let mut counts: Vec<Vec<f64>> = COMPARATORS.iter().map(|c| vec![1.0; c.1.len()]).collect();
    let n = units.len() as u64;
    if n >= 2 {
        // A fixed xorshift stream: the same units, the same estimate.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let sampled: Vec<(usize, usize)> = (0..samples)
            .map(|_| ((next() % n) as usize, (next() % n) as usize))
            .filter(|(a, b)| a != b)
            .collect();
        // Compared on both cores; the counts are whole numbers, so the
        // shares do not depend on the order they are added in.
        let vectors: Vec<[usize; N]> = sampled
            .par_iter()
            .map(|&(a, b)| comparer.levels(&units[a], &units[b]))
            .collect();
        for v in vectors {
            for c in 0..N {
                counts[c][v[c]] += 1.0;
            }
        }
    }
    normalise(counts)
}

/// Each comparator's level counts as shares of its non-missing levels (the
/// missing level keeps share 0: it is never evidence).
pub(super) fn normalise(counts: Vec<Vec<f64>>) -> Vec<Vec<f64>> {
    counts
        .into_iter()
        .enumerate()
        .map(|(c, mut row)| {
            row[missing_level(c)] = 0.0;
            let t: f64 = row.iter().sum::<f64>().max(1e-12);
            row.into_iter().map(|v| v / t).collect()
        })
        .collect()
}

/// m: the chance of each level among true matches. Names and gender from
/// pairs certainly one child (persons entered twice under one
/// StateStudentID) when there are enough of them; the rest from stated
/// values (the certain pairs are selected on birth date, gender, and share
/// enrollments, local numbers and addresses by construction).
pub(super) fn match_m(certain: &[[usize; N]]) -> Vec<Vec<f64>> {
    let fixed: [&[f64]; N] = [
        &[0.80, 0.04, 0.03, 0.04, 0.03, 0.02, 0.02, 0.02, 0.0],
        &[0.90, 0.03, 0.07, 0.0],
        &[0.80, 0.05, 0.04, 0.03, 0.02, 0.02, 0.04, 0.0],
        &[0.877, 0.05, 0.055, 0.015, 0.003, 0.0],
        &[0.98, 0.02, 0.0],
        &[0.54, 0.06, 0.389, 0.001, 0.000_001, 0.01, 0.0],
        &[0.9, 0.1, 0.0],
        &[0.5, 0.2, 0.3, 0.0],
    ];
    let mut m: Vec<Vec<f64>> = fixed.iter().map(|r| r.to_vec()).collect();
    if certain.len() >= 20 {
        for c in [FIRST, LAST, GENDER_C] {
            // The stated values weigh as 20 pairs: no level is ever 0.
            let mut counts: Vec<f64> = m[c].iter().map(|p| p * 20.0).collect();
            for v in certain {
                if v[c] != missing_level(c) {
                    counts[v[c]] += 1.0;
                }
            }
            m[c] = counts;
        }
    }
    normalise(m)
}

/// log2(m/u) per level, made monotone on the ordered comparators (walking
/// from the closest level to the farthest, a level never weighs more than
/// the one before it: a rare far level cannot outweigh agreement); 0 for
/// "missing".
pub(super) fn level_weights(m: &[Vec<f64>], u: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let mut w: Vec<Vec<f64>> = (0..N)
        .map(|c| {
            (0..COMPARATORS[c].1.len())
                .map(|l| {
                    if l == missing_level(c) {
                        0.0
                    } else {
                        (m[c][l].max(1e-9) / u[c][l].max(1e-9)).log2()
                    }
                })
                .collect()
        })
        .collect();
    for c in ORDERED {
        for l in 1..missing_level(c) {
            w[c][l] = w[c][l].min(w[c][l - 1]);
        }
    }
    w
}

/// EM for the share of matches among candidate pairs, with m and u held.
pub(super) fn estimate_prior(
    vectors: &[Levels],
    weights: &[Vec<f64>],
    iterations: usize,
) -> (f64, usize) {
    let ratio: Vec<f64> = vectors
        .iter()
        .map(|v| {
            (0..N)
                .map(|c| weights[c][usize::from(v[c])])
                .sum::<f64>()
                .exp2()
        })
        .collect();
    let mut prior = 0.05;
    let mut done = 0;
    for _ in 0..iterations {
        done += 1;
        let g: f64 = ratio
            .iter()
            .map(|r| prior * r / (prior * r + 1.0 - prior))
            .sum();
        let new_prior = (g / vectors.len().max(1) as f64).clamp(1e-6, 0.5);
        let change = (new_prior - prior).abs();
        prior = new_prior;
        if change < 1e-9 {
            break;
        }
    }
    (prior, done)
}

/// The deterministic rule of the prior: first name, surname and birth date
/// each the same or nearly (first name exact, a nickname or at Jaro-Winkler
/// 0.95 or more; surname exact, a compound part or at 0.95 or more; birth
/// date exact, swapped or a slip) and the genders not disagreeing.
pub(super) fn rule_match(v: &[usize; N]) -> bool {
    matches!(v[FIRST], 0 | 1 | 3) && v[LAST] <= 2 && v[BIRTH] <= 2 && v[GENDER_C] != 1
}

/// Fewer certain pairs than this (a small bundle) and the prior is left to
/// EM: a few dozen pairs do not measure the rule's recall.
pub(super) const MIN_CERTAIN_FOR_RULE: usize = 50;

/// Every pair of `units` units: the population the u probabilities are
/// drawn from (random pairs of units, and the value frequencies among
/// units), so the population the prior must be a share of.
pub(super) fn all_unit_pairs(units: usize) -> f64 {
    let n = units as f64;
    (n * (n - 1.0) / 2.0).max(1.0)
}

/// The match share over every pair of units, from an estimated count of
/// matching pairs: the prior the Bayes factors log2(m/u) are relative to,
/// whatever pairs blocking produced. Splink's
/// `probability_two_random_records_match` is this share (its deterministic
/// rules' matches over the recall, divided by all comparisons possible).
/// A share of the candidate pairs instead counted the blocking keys'
/// agreement twice (once in the prior, once in the weights), and rose when
/// a blocking pass was dropped (0.0068 -> 0.0185 on 200,000 students, 1.6
/// bits on every pair: a pair of twins merged at 400,000).
pub(super) fn share_of_all_pairs(matches: f64, units: usize) -> f64 {
    (matches / all_unit_pairs(units)).clamp(1e-15, 0.5)
}

/// The prior by EM (a small bundle): EM gives the match share among the
/// candidate pairs, so the matches it expects there (that share times the
/// candidates) over every pair of units; and the iterations.
pub(super) fn em_prior_over_all_pairs(
    vectors: &[Levels],
    weights: &[Vec<f64>],
    units: usize,
) -> (f64, f64, usize) {
    let (share, iterations) = estimate_prior(vectors, weights, 100);
    let matches = share * vectors.len() as f64;
    (share_of_all_pairs(matches, units), matches, iterations)
}

/// The match share over every pair of units from a deterministic rule, as
/// Splink's `estimate_probability_two_random_records_match` does it: the
/// candidate pairs the rule counts (no hard-negative pattern) divided by
/// the rule's recall estimate how many pairs match (the rule's pairs are
/// all blocked: each agrees on names and birth date), and that count over
/// all pairs of units ([`share_of_all_pairs`]). The recall is measured,
/// not guessed: the share of the certain pairs (one child entered twice
/// under one StateStudentID, with the same kinds of entry errors as a
/// child entered under two) the rule counts. None with too few certain
/// pairs or a recall under 0.2. EM over the candidates overestimates the
/// matches and more so as the state grows: candidates are families and
/// same-age strangers, each with some posterior (at 200,000 students EM
/// gave 0.0104 of the candidates where the truth was 0.0061 and this rule
/// 0.0065; at 800,000, 0.0057 where the truth was 0.0009).
pub(super) fn rule_prior(
    vectors: &[Levels],
    facts: &[facts::Facts],
    certain: &[[usize; N]],
    units: usize,
) -> Option<(f64, String)> {
    if certain.len() < MIN_CERTAIN_FOR_RULE || vectors.is_empty() {
        return None;
    }
    let caught = certain.iter().filter(|v| rule_match(v)).count();
    let recall = caught as f64 / certain.len() as f64;
    if recall < 0.2 {
        return None;
    }
    let hits = vectors
        .iter()
        .zip(facts)
        .filter(|(v, f)| f.pattern.is_none() && rule_match(&wide(v)))
        .count();
    let matches = hits as f64 / recall;
    let prior = share_of_all_pairs(matches, units);
    let how = format!(
        "deterministic rule (first name exact, nickname or Jaro-Winkler >= 0.95; surname exact, compound part or >= 0.95; birth date exact, swapped or a slip; genders not disagreeing; no hard-negative pattern): {hits} candidate pairs, over the rule's recall {recall:.4} ({caught} of {} certain pairs), {matches:.0} matching pairs of the {:.0} pairs of {units} units (u is estimated on random pairs of units, so the prior is a share of all of them, not of the {} candidate pairs blocking produced)",
        certain.len(),
        all_unit_pairs(units),
        vectors.len()
    );
    Some((prior, how))
}

/// Certain pairs: identity rows of different persons in one unit, each
/// compared as if they were two units.
pub(super) fn certain_vectors(
    units: &[Unit],
    ids: &[Identity],
    comparer: &Comparer,
) -> Vec<[usize; N]> {
    let mut certain = Vec::new();
    for unit in units {
        let persons: BTreeSet<i64> = unit.members.iter().map(|&r| ids[r].person).collect();
        if persons.len() < 2 {
            continue;
        }
        let first_person = ids[unit.members[0]].person;
        let one = |person: i64| {
            let mut u = Unit::new(String::new(), None, Vec::new());
            for &r in unit.members.iter().filter(|&&r| ids[r].person == person) {
                u.absorb(&ids[r]);
            }
            u
        };
        let a = one(first_person);
        for &p in persons.iter().filter(|&&p| p != first_person) {
            certain.push(comparer.levels(&a, &one(p)));
        }
    }
    certain
}

/// The first estimate of the model: u from random pairs, m from certain
/// pairs and stated values, weights made monotone, the prior from the
/// deterministic rule ([`rule_prior`]) or, in a small bundle, by EM over
/// the candidate pairs. [`model::refined`] then refines m from the candidates.
pub(super) fn estimate_model(
    units: &[Unit],
    ids: &[Identity],
    comparer: &Comparer,
    (vectors, facts): (&[Levels], &[facts::Facts]),
) -> Model {
    const SAMPLES: usize = 50_000;
    let u = random_pair_u(units, comparer, SAMPLES);
    let certain = certain_vectors(units, ids, comparer);
    let m = match_m(&certain);
    let weights = level_weights(&m, &u);
    // The deterministic rule when there are certain pairs enough to
    // measure its recall (iterations 0: no EM), else EM.
    let (prior, iterations, prior_how) = match rule_prior(vectors, facts, &certain, units.len()) {
        Some((prior, how)) => (prior, 0, how),
        None => {
            let (prior, matches, iterations) =
                em_prior_over_all_pairs(vectors, &weights, units.len());
            let how = format!(
                "EM over {} candidate pairs with m and u held, {iterations} iterations (fewer than {MIN_CERTAIN_FOR_RULE} certain pairs for the deterministic rule): {matches:.1} matching pairs of the {:.0} pairs of {} units",
                vectors.len(),
                all_unit_pairs(units.len()),
                units.len()
            );
            (prior, iterations, how)
        }
    };
    let method = BTreeMap::from([
        (
            "u".to_string(),
            format!("level shares among {SAMPLES} random pairs of units (add-one smoothed); {}", super::population::describe()),
        ),
        (
            "m".to_string(),
            format!("first name, last name and gender: stated values weighing as 20 pairs plus {} certain pairs (persons sharing a StateStudentID); other comparators: stated values", certain.len()),
        ),
        (
            "weights".to_string(),
            "log2(m/u), a farther level capped at the closer one before it (first, middle, last name, birth date); missing levels 0".to_string(),
        ),
        ("prior".to_string(), prior_how),
    ]);
    Model {
        prior,
        m,
        u,
        weights,
        iterations,
        method,
    }
}

#[cfg(test)]
mod prior_tests {
    use super::*;

    /// First name, surname and birth date exact, the rest missing.
    fn agreeing() -> [usize; N] {
        std::array::from_fn(|c| if c <= BIRTH { 0 } else { missing_level(c) })
    }

    /// A vector as candidate pairs hold it.
    fn held(v: [usize; N]) -> Levels {
        v.map(|l| l as u8)
    }

    /// Every name and the birth date different.
    fn strangers() -> [usize; N] {
        let mut v = agreeing();
        for c in [FIRST, LAST, BIRTH] {
            v[c] = missing_level(c) - 1;
        }
        v
    }

    #[test]
    fn the_rule_prior_is_a_share_of_all_unit_pairs_whatever_blocking_made() {
        // 60 certain pairs, 45 the rule counts: recall 0.75.
        let mut certain = vec![agreeing(); 45];
        certain.extend(vec![strangers(); 15]);
        let mut vectors = vec![held(agreeing()); 30];
        let mut facts: Vec<facts::Facts> = (0..30).map(|_| facts::Facts::plain(None)).collect();
        // Two pairs the rule would count but a hard-negative pattern holds.
        vectors.extend([held(agreeing()); 2]);
        facts.extend([Some("look_alike"), Some("twins_or_siblings")].map(facts::Facts::plain));
        let (prior, how) = rule_prior(&vectors, &facts, &certain, 1_000).unwrap();
        // 30 / 0.75 = 40 matching pairs of 1,000 * 999 / 2.
        assert!((prior - 40.0 / 499_500.0).abs() < 1e-15, "{prior}");
        assert!(
            how.contains("40 matching pairs of the 499500 pairs of 1000 units"),
            "{how}"
        );
        // A blocking pass more (10,000 pairs of strangers) or fewer: the same prior.
        vectors.extend(vec![held(strangers()); 10_000]);
        facts.extend((0..10_000).map(|_| facts::Facts::plain(None)));
        let (more, _) = rule_prior(&vectors, &facts, &certain, 1_000).unwrap();
        assert_eq!(more, prior);
        // Twice the units, the same matches: half the share.
        let (bigger, _) = rule_prior(&vectors, &facts, &certain, 2_000).unwrap();
        assert!((bigger - 40.0 / 1_999_000.0).abs() < 1e-15, "{bigger}");
    }

    #[test]
    fn too_few_certain_pairs_leave_the_prior_to_em() {
        let certain = vec![agreeing(); MIN_CERTAIN_FOR_RULE - 1];
        let facts = vec![facts::Facts::plain(None)];
        assert!(rule_prior(&[held(agreeing())], &facts, &certain, 100).is_none());
    }

    #[test]
    fn em_matches_are_a_share_of_all_unit_pairs() {
        // Weights that make agreement certain and disagreement impossible:
        // EM's share of the candidates is the agreeing ones', 10 of 40.
        let weights: Vec<Vec<f64>> = COMPARATORS
            .iter()
            .enumerate()
            .map(|(c, (_, levels))| {
                (0..levels.len())
                    .map(|l| match l {
                        _ if l == missing_level(c) => 0.0,
                        0 => 30.0,
                        _ => -30.0,
                    })
                    .collect()
            })
            .collect();
        let mut vectors = vec![held(agreeing()); 10];
        vectors.extend(vec![held(strangers()); 30]);
        let (prior, matches, _) = em_prior_over_all_pairs(&vectors, &weights, 500);
        assert!((matches - 10.0).abs() < 1e-3, "{matches}");
        assert!((prior - matches / 124_750.0).abs() < 1e-12, "{prior}");
    }
}
