//! Candidate pairs from the blocking passes, on both cores: each pass's
//! keys (numbers, see [`key`]) made in parallel, grouped by sorting (no
//! hash map of blocks: the same blocks whatever the thread count), each
//! block's pairs made in parallel, all passes' pairs sorted and
//! deduplicated once. Within a block a pass makes only the pairs its keep
//! could keep ([`Within`]): a block of a common name's sound in every
//! year, or of a day's children, is not made whole to be thrown away.

use super::{Blocked, Key, Pass, Unit};
use chrono::{Datelike, NaiveDate};
use rayon::prelude::*;
use std::hash::{DefaultHasher, Hash, Hasher};

/// Which pairs of a block a pass makes (and then offers its keep): a
/// superset of those its keep can keep, so the pairs kept are those every
/// pair of the block would have given.
pub enum Within {
    /// Every pair of the block.
    Every,
    /// Pairs with at least one unit of this kind (a pass whose keep keeps
    /// no pair of two units without it: a blank value, a blank name part).
    OneSide(fn(&Unit) -> bool),
    /// Pairs whose birth dates could be one child's (see
    /// [`super::close_births`]) share a [`near_keys`] key; a unit with no
    /// birth date pairs with every other unit of the block.
    CloseBirths,
}

/// One pass's result: its pairs (with repeats across its blocks), its
/// oversized blocks, and the pairs it made and offered its keep.
pub struct PassPairs {
    pub pairs: Vec<(u32, u32)>,
    pub oversized: u64,
    pub made: u64,
    /// Every pair of its blocks (what it made before [`Within`]).
    pub every: u64,
}

/// Candidate pairs (unit indexes, smaller first, sorted), each pass's pair
/// count (a pair in two blocks of one pass counted twice, as it was made
/// twice), and how many blocks were too large to pair. Each pass's pairs
/// made and kept are logged at `-vv` (counts only).
pub fn block(units: &[Unit], passes: &[Pass]) -> Blocked {
    let mut all: Vec<(u32, u32)> = Vec::new();
    let mut counts = Vec::new();
    let mut oversized = 0u64;
    // Distinct pairs after the last deduplication.
    let mut distinct = 0;
    // Two passes at a time (each on both cores too: a pass's serial steps
    // overlap the other's), the keys of no more than two held at once.
    for two in passes.chunks(2) {
        let made: Vec<PassPairs> = two.par_iter().map(|pass| pass_pairs(units, pass)).collect();
        for (pass, out) in two.iter().zip(made) {
            tracing::debug!(
                pass = pass.name,
                every = out.every,
                made = out.made,
                kept = out.pairs.len(),
                oversized = out.oversized,
                "identity blocking pass"
            );
            oversized += out.oversized;
            counts.push((pass.name.to_string(), out.pairs.len() as u64));
            all.extend(out.pairs);
        }
        // Deduplicated when the repeats could have doubled it, so memory
        // holds at most about twice the distinct pairs, and sorted a few
        // times rather than after every pass.
        if all.len() > 2 * distinct.max(1 << 16) {
            all.par_sort_unstable();
            all.dedup();
            distinct = all.len();
        }
    }
    all.par_sort_unstable();
    all.dedup();
    counts.push(("distinct pairs".to_string(), all.len() as u64));
    all.shrink_to_fit();
    (all, counts, oversized)
}

/// One pass: its pairs (with repeats across its blocks), its oversized
/// blocks and the pairs it made.
pub fn pass_pairs(units: &[Unit], pass: &Pass) -> PassPairs {
    // Each unit's keys as numbers: sorting brings equal keys side by side,
    // and a block is the run of one key, its members in unit order.
    let mut keyed: Vec<(Key, u32)> = units
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, u)| (pass.keys)(u).into_iter().map(move |k| (k, i as u32)))
        .collect();
    keyed.par_sort_unstable();
    keyed.dedup();
    let mut blocks: Vec<&[(Key, u32)]> = Vec::new();
    let mut start = 0;
    for i in 1..=keyed.len() {
        if i == keyed.len() || keyed[i].0 != keyed[start].0 {
            if i - start > 1 {
                blocks.push(&keyed[start..i]);
            }
            start = i;
        }
    }
    let oversized = blocks.iter().filter(|b| b.len() > pass.limit).count() as u64;
    let (pairs, made) = blocks
        .par_iter()
        .filter(|b| b.len() <= pass.limit)
        .fold(
            || (Vec::new(), 0u64),
            |(mut pairs, made), members| {
                let m = block_pairs(units, pass, members, &mut pairs);
                (pairs, made + m)
            },
        )
        .reduce(
            || (Vec::new(), 0),
            |(mut a, x), (b, y)| {
                a.extend(b);
                (a, x + y)
            },
        );
    let every = blocks
        .iter()
        .filter(|b| b.len() <= pass.limit)
        .map(|b| (b.len() * (b.len() - 1) / 2) as u64)
        .sum();
    PassPairs {
        pairs,
        oversized,
        made,
        every,
    }
}

/// One block's pairs its pass keeps, added to `out`; the pairs it made
/// (offered its keep). Members are in unit order, so a pair of positions
/// x < y is a pair of units smaller first.
fn block_pairs(
    units: &[Unit],
    pass: &Pass,
    members: &[(Key, u32)],
    out: &mut Vec<(u32, u32)>,
) -> u64 {
    let unit = |x: usize| &units[members[x].1 as usize];
    let mut offer = |x: usize, y: usize| {
        let (a, b) = (members[x].1, members[y].1);
        if pass
            .keep
            .as_deref()
            .is_none_or(|keep| keep(unit(x), unit(y)))
        {
            out.push((a, b));
        }
    };
    let n = members.len();
    match pass.within {
        Within::Every => {
            for x in 0..n {
                for y in x + 1..n {
                    offer(x, y);
                }
            }
            (n * n.saturating_sub(1) / 2) as u64
        }
        Within::OneSide(side) => {
            let sided: Vec<usize> = (0..n).filter(|&x| side(unit(x))).collect();
            let mut made = 0;
            for x in 0..n {
                if side(unit(x)) {
                    (x + 1..n).for_each(|y| offer(x, y));
                    made += n - x - 1;
                } else {
                    let after = &sided[sided.partition_point(|&y| y < x)..];
                    after.iter().for_each(|&y| offer(x, y));
                    made += after.len();
                }
            }
            made as u64
        }
        Within::CloseBirths => {
            let near = near_pairs(units, members);
            near.iter()
                .for_each(|&(x, y)| offer(x as usize, y as usize));
            near.len() as u64
        }
    }
}

/// The pairs of a block (positions, smaller first, sorted, each once)
/// whose birth dates could be close: sharing a [`near_keys`] key, or one
/// of them with no birth date.
fn near_pairs(units: &[Unit], members: &[(Key, u32)]) -> Vec<(u32, u32)> {
    let n = members.len() as u32;
    let mut keyed: Vec<(u64, u32)> = Vec::new();
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    for (x, &(_, i)) in members.iter().enumerate() {
        let births = &units[i as usize].births;
        if births.is_empty() {
            let x = x as u32;
            pairs.extend((0..n).filter(|&y| y != x).map(|y| (x.min(y), x.max(y))));
        }
        for b in births {
            keyed.extend(near_keys(b).into_iter().map(|k| (k, x as u32)));
        }
    }
    keyed.sort_unstable();
    keyed.dedup();
    for group in keyed.chunk_by(|p, q| p.0 == q.0) {
        for (i, &(_, x)) in group.iter().enumerate() {
            pairs.extend(group[i + 1..].iter().map(|&(_, y)| (x, y)));
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

/// Keys of a birth date such that two dates [`super::close_births`] calls
/// close share one: the year and month (the day off by one part), the year
/// and day (the month off), the year with day and month as a set (swapped),
/// and the day of the year (in a leap year, counted round from 1 January)
/// and the two after it: the same day and month in any year (the year
/// off), and dates a day or two apart in the leap year's count (a day
/// apart in any year, 28 February and 1 March of a common year, 31
/// December and 1 January).
pub fn near_keys(b: &NaiveDate) -> [u64; 6] {
    let (y, m, d) = (b.year() as u32 & 0xFFFF, b.month(), b.day());
    let day = NaiveDate::from_ymd_opt(2000, m, d).map_or(0, |x| x.ordinal0());
    // A tag apart from each kind's value.
    let key = |tag: u64, value: u32| (tag << 32) | u64::from(value);
    [
        key(1, (y << 8) | m),
        key(2, (y << 8) | d),
        key(3, (y << 12) | (m.min(d) << 6) | m.max(d)),
        key(4, day),
        key(4, (day + 1) % 366),
        key(4, (day + 2) % 366),
    ]
}

/// A blocking key: the values a pass keys on (a tuple of dates, letters,
/// names, codes), hashed to 128 bits by two SipHash streams with fixed
/// keys. Two keys are equal when their values are (a chance collision of
/// 128 bits is out of reach at any state's size), so the blocks are those
/// the keys' text made before, without a string per key.
pub fn key(values: impl Hash) -> Key {
    let mut h1 = DefaultHasher::new();
    values.hash(&mut h1);
    let mut h2 = DefaultHasher::new();
    0x9E37_79B9_7F4A_7C15_u64.hash(&mut h2);
    values.hash(&mut h2);
    (u128::from(h1.finish()) << 64) | u128::from(h2.finish())
}

/// A blocking key made of up to four numbers, packed side by side: equal
/// numbers, equal keys, and no two different tuples give one key (no hash:
/// the keys of the passes that key on names by their IDs, Soundex codes by
/// number, letters and birth-date parts).
pub fn packed(a: u32, b: u32, c: u32, d: u32) -> Key {
    (u128::from(a) << 96) | (u128::from(b) << 64) | (u128::from(c) << 32) | u128::from(d)
}

/// A letter as a number for [`packed`] (none: past every char).
pub fn letter(c: Option<char>) -> u32 {
    c.map_or(0x11_0000, u32::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_equal_keys() {
        assert_eq!(key(("2005-01-02", 'a')), key(("2005-01-02", 'a')));
        assert_ne!(key(("2005-01-02", 'a')), key(("2005-01-02", 'b')));
        // Tuples of text are not confused by where one part ends.
        assert_ne!(key(("ab", "c")), key(("a", "bc")));
    }

    #[test]
    fn packed_keys_differ_when_any_part_does() {
        let k = packed(2005, 7, letter(Some('a')), 3);
        assert_eq!(k, packed(2005, 7, letter(Some('a')), 3));
        assert_ne!(k, packed(2005, 7, letter(None), 3));
        assert_ne!(k, packed(7, 2005, letter(Some('a')), 3));
        assert_ne!(packed(0, 1, 0, 0), packed(0, 0, 1, 0));
        assert_ne!(letter(Some('\u{10FFFF}')), letter(None));
    }
}
