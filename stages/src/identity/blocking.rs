//! Candidate pairs from the blocking passes, on both cores: each pass's
//! keys (numbers, see [`key`]) made in parallel, grouped by sorting (no
//! hash map of blocks: the same blocks whatever the thread count), each
//! block's pairs made in parallel, all passes' pairs sorted and
//! deduplicated once.

use super::{Blocked, Key, Pass, Unit};
use rayon::prelude::*;
use std::hash::{DefaultHasher, Hash, Hasher};

/// Candidate pairs (unit indexes, smaller first, sorted), each pass's pair
/// count (a pair in two blocks of one pass counted twice, as it was made
/// twice), and how many blocks were too large to pair.
pub fn block(units: &[Unit], passes: &[Pass]) -> Blocked {
    let mut all: Vec<(u32, u32)> = Vec::new();
    let mut counts = Vec::new();
    let mut oversized = 0u64;
    // Distinct pairs after the last deduplication.
    let mut distinct = 0;
    // Two passes at a time (each on both cores too: a pass's serial steps
    // overlap the other's), the keys of no more than two held at once.
    for two in passes.chunks(2) {
        let made: Vec<(Vec<(u32, u32)>, u64)> =
            two.par_iter().map(|pass| pass_pairs(units, pass)).collect();
        for (pass, (pairs, big)) in two.iter().zip(made) {
            oversized += big;
            counts.push((pass.name.to_string(), pairs.len() as u64));
            all.extend(pairs);
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

/// One pass: its pairs (with repeats across its blocks) and its oversized
/// blocks.
fn pass_pairs(units: &[Unit], pass: &Pass) -> (Vec<(u32, u32)>, u64) {
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
            blocks.push(&keyed[start..i]);
            start = i;
        }
    }
    let oversized = blocks.iter().filter(|b| b.len() > pass.limit).count() as u64;
    let pairs = blocks
        .par_iter()
        .filter(|b| b.len() <= pass.limit)
        .flat_map_iter(|members| {
            let keep = pass.keep.as_deref();
            (0..members.len()).flat_map(move |x| {
                (x + 1..members.len()).filter_map(move |y| {
                    let (a, b) = (members[x].1, members[y].1);
                    keep.is_none_or(|keep| keep(&units[a as usize], &units[b as usize]))
                        .then_some((a, b))
                })
            })
        })
        .collect();
    (pairs, oversized)
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
