//! What the model's refinement and the scoring both read of a candidate
//! pair beyond its comparison vector, worked out once, on both cores, as
//! the vector is: its hard-negative pattern, whether the same-name policy
//! holds it for a person, and the term-frequency u of its exact agreements.

use super::*;

pub(super) struct Facts {
    /// The hard-negative pattern ([`hard_negative`]).
    pub pattern: Option<&'static str>,
    /// The same first name, last name and birth date, and nothing
    /// independent corroborates it.
    pub same_uncorroborated: bool,
    /// The term-frequency u of an exact first name, last name and birth
    /// date ([`Frequencies::exact_u`]), when the level is exact; NaN for
    /// none (24 bytes a pair, not 48).
    exact: [f64; 3],
}

impl Facts {
    fn of(a: &Unit, b: &Unit, v: &[usize; N], freq: &Frequencies, names: &names::Names) -> Self {
        let exact_u = |c: usize| {
            let u = if v[c] == 0 {
                freq.exact_u(c, a, b)
            } else {
                None
            };
            u.unwrap_or(f64::NAN)
        };
        Facts {
            pattern: hard_negative(a, b, v, names),
            same_uncorroborated: same_name_and_birth(a, b) && !corroborated(v),
            exact: [exact_u(FIRST), exact_u(LAST), exact_u(BIRTH)],
        }
    }

    /// The term-frequency u of comparator `c`'s exact level, if any.
    pub fn exact_u(&self, c: usize) -> Option<f64> {
        let u = match c {
            FIRST => self.exact[0],
            LAST => self.exact[1],
            BIRTH => self.exact[2],
            _ => f64::NAN,
        };
        (!u.is_nan()).then_some(u)
    }
}

/// Each candidate pair's comparison vector and facts.
pub(super) fn compare(
    units: &[Unit],
    candidates: &[(u32, u32)],
    comparer: &Comparer,
    freq: &Frequencies,
) -> (Vec<Levels>, Vec<Facts>) {
    candidates
        .par_iter()
        .map(|&(a, b)| {
            let (ua, ub) = (&units[a as usize], &units[b as usize]);
            let v = comparer.levels(ua, ub);
            let facts = Facts::of(ua, ub, &v, freq, &comparer.names);
            // Every comparator has fewer than 256 levels.
            (v.map(|l| l as u8), facts)
        })
        .unzip()
}

#[cfg(test)]
impl Facts {
    /// A pair's facts with no pattern, not held by the same-name policy and
    /// no term-frequency u: for tests of what reads them.
    pub(super) fn plain(pattern: Option<&'static str>) -> Self {
        Facts {
            pattern,
            same_uncorroborated: false,
            exact: [f64::NAN; 3],
        }
    }
}
