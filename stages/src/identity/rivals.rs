//! The rival guard: a probable merge held back when a sibling of one side
//! matches the other side at least as well.
//!
//! Twins who move together are registered again in the new SAU under new
//! IDs: Jaden Paquette's old ID against his own new ID is a `look_alike`
//! (the same names and birth date in other places, a person decides), but
//! against his twin Jayden's new ID, a letter apart, it scored as probable
//! and merged (the hand-made `tests/identity_small/shapes` added to the
//! generated 200,000-student bundle: 20.9, both ways), folding one twin's
//! records into the other's. The pair itself cannot show it: only the
//! third ID, as close to the old one and enrolled at once with the twin for
//! months, does.

use super::*;

/// The pairs the guard reads: each unit's pairs sent to a person, and the
/// pairs of units enrolled at once for months and kept apart (two
/// children).
pub(super) struct Rivals {
    review: BTreeMap<usize, Vec<usize>>,
    apart: BTreeSet<(usize, usize)>,
}

impl Rivals {
    pub fn of(pairs: &[Scored]) -> Self {
        let mut review: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        let mut apart = BTreeSet::new();
        for (i, p) in pairs.iter().enumerate() {
            let (a, b) = (p.a as usize, p.b as usize);
            let months = usize::from(p.levels[ENROLLMENT]) == OVERLAP_MONTHS;
            if p.outcome == "review" && p.compared && !months {
                review.entry(a).or_default().push(i);
                review.entry(b).or_default().push(i);
            } else if p.outcome == "separate" && months {
                apart.insert((a, b));
            }
        }
        Rivals { review, apart }
    }

    /// For the probable pair `i` of units x and y: a unit C sent to a person
    /// with x, at least as close to x on first name, middle name, surname
    /// and birth date as y is, and kept apart from y as two children (or
    /// the same with x and y exchanged). Returns (x, C, y).
    pub fn rival(&self, pairs: &[Scored], i: usize) -> Option<(usize, usize, usize)> {
        let p = &pairs[i];
        let (a, b) = (p.a as usize, p.b as usize);
        [(a, b), (b, a)].into_iter().find_map(|(x, y)| {
            self.review.get(&x)?.iter().find_map(|&j| {
                let q = &pairs[j];
                let c = if q.a as usize == x { q.b } else { q.a } as usize;
                let apart = self.apart.contains(&(c.min(y), c.max(y)));
                (c != y && apart && as_close(&q.levels, &p.levels)).then_some((x, c, y))
            })
        })
    }
}

/// Every name and the birth date of `rival` at least as close as
/// `pair`'s (a blank middle name ranks between one known initial and two
/// different middle names).
fn as_close(rival: &[u8; N], pair: &[u8; N]) -> bool {
    let middle = |l: u8| match usize::from(l) {
        0 => 0,
        1 => 1,
        l if l == missing_level(MIDDLE) => 2,
        _ => 3,
    };
    [FIRST, LAST, BIRTH].iter().all(|&c| rival[c] <= pair[c])
        && middle(rival[MIDDLE]) <= middle(pair[MIDDLE])
}

/// The reason of a merge the rival guard sends to a person.
pub(super) fn rival_reason(x: &str, c: &str, y: &str) -> String {
    format!(
        "cluster_guard: probable, but {c} matches {x} at least as closely and was enrolled at once with {y} for months (two children, as twins are): a person decides"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(key: &str) -> Unit {
        Unit::new(key.to_string(), Some(key.to_string()), Vec::new())
    }

    /// A compared pair with these first-name, surname and birth-date
    /// levels, middle names blank on one side, and an enrollment level.
    fn pair(a: u32, b: u32, names: [u8; 3], enrollment: usize, outcome: &'static str) -> Scored {
        let mut levels = [0u8; N];
        (levels[FIRST], levels[LAST], levels[BIRTH]) = (names[0], names[1], names[2]);
        levels[MIDDLE] = missing_level(MIDDLE) as u8;
        levels[ENROLLMENT] = enrollment as u8;
        Scored {
            a,
            b,
            score: 20.9,
            probability: 0.99,
            compared: true,
            levels,
            weights: [0.0; N],
            outcome,
            reason: "test".into(),
            pattern: "",
        }
    }

    /// Twins Jaden and Jayden Paquette move together and are registered
    /// again under new IDs. Jaden's old ID (0) against his new one (1):
    /// the same names, a person decides; against Jayden's new ID (2), a
    /// letter apart, probable. Jayden's new ID was at school with Jaden's
    /// new one for months: the merge is held back.
    #[test]
    fn a_twins_match_as_close_as_the_merge_holds_it_back() {
        let units = [unit("000000010"), unit("000000011"), unit("000000012")];
        let months = OVERLAP_MONTHS;
        let pairs = vec![
            pair(0, 1, [0, 0, 0], ENDS_WHERE_BEGINS, "review"),
            pair(0, 2, [3, 0, 0], ENDS_WHERE_BEGINS, "merge"),
            pair(1, 2, [3, 0, 0], months, "separate"),
        ];
        let out = policy::cluster(&units, &pairs);
        assert_ne!(out.survivor_of_unit[0], out.survivor_of_unit[2]);
        assert_eq!(
            out.guarded,
            [(1, "cluster_guard: probable, but 000000011 matches 000000010 at least as closely and was enrolled at once with 000000012 for months (two children, as twins are): a person decides".to_string())]
        );
        // The rival less close than the merge (a first name a letter
        // apart against the merge's exact one): the merge stands.
        let pairs = vec![
            pair(0, 1, [3, 0, 0], ENDS_WHERE_BEGINS, "review"),
            pair(0, 2, [0, 0, 0], ENDS_WHERE_BEGINS, "merge"),
            pair(1, 2, [3, 0, 0], months, "separate"),
        ];
        let out = policy::cluster(&units, &pairs);
        assert!(out.guarded.is_empty());
        assert_eq!(out.survivor_of_unit[0], out.survivor_of_unit[2]);
        // The rival and the other side apart for want of evidence, not as
        // two children enrolled at once: the merge stands.
        let pairs = vec![
            pair(0, 1, [0, 0, 0], ENDS_WHERE_BEGINS, "review"),
            pair(0, 2, [3, 0, 0], ENDS_WHERE_BEGINS, "merge"),
            pair(1, 2, [3, 0, 0], 2, "separate"),
        ];
        assert!(policy::cluster(&units, &pairs).guarded.is_empty());
    }

    #[test]
    fn a_blank_middle_name_ranks_between_an_initial_and_two_names() {
        let with = |m: usize| {
            let mut l = [0u8; N];
            l[MIDDLE] = m as u8;
            l
        };
        let blank = missing_level(MIDDLE);
        assert!(as_close(&with(1), &with(blank)));
        assert!(as_close(&with(blank), &with(2)));
        assert!(!as_close(&with(2), &with(blank)));
        assert!(!as_close(&with(blank), &with(0)));
    }
}
