//! Candidate pairs from the blocking passes, on both cores: each pass's
//! keys made in parallel, grouped by sorting (no hash map of blocks: the
//! same blocks in the same order whatever the thread count), each block's
//! pairs made in parallel, all passes' pairs sorted and deduplicated once.

use super::{Blocked, Pass, Unit};
use rayon::prelude::*;

/// Candidate pairs (unit indexes, smaller first, sorted), each pass's pair
/// count (a pair in two blocks of one pass counted twice, as it was made
/// twice), and how many blocks were too large to pair.
pub fn block(units: &[Unit], passes: &[Pass]) -> Blocked {
    let mut all: Vec<(u32, u32)> = Vec::new();
    let mut counts = Vec::new();
    let mut oversized = 0u64;
    for pass in passes {
        let (pairs, big) = pass_pairs(units, pass);
        oversized += big;
        counts.push((pass.name.to_string(), pairs.len() as u64));
        all.extend(pairs);
        // Deduplicated as it grows, so memory holds distinct pairs only.
        all.par_sort_unstable();
        all.dedup();
    }
    counts.push(("distinct pairs".to_string(), all.len() as u64));
    let pairs = all
        .into_iter()
        .map(|(a, b)| (a as usize, b as usize))
        .collect();
    (pairs, counts, oversized)
}

/// One pass: its pairs (with repeats across its blocks) and its oversized
/// blocks.
fn pass_pairs(units: &[Unit], pass: &Pass) -> (Vec<(u32, u32)>, u64) {
    // Each key with a hash of it in front, so sorting compares numbers
    // first: equal keys still end up side by side, and a block is the run
    // of one key.
    let mut keyed: Vec<(u64, String, u32)> = units
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, u)| {
            (pass.keys)(u)
                .into_iter()
                .map(move |k| (fnv(&k), k, i as u32))
        })
        .collect();
    // A block's members in unit order, each once.
    keyed.par_sort_unstable();
    keyed.dedup();
    let mut blocks: Vec<&[(u64, String, u32)]> = Vec::new();
    let mut start = 0;
    for i in 1..=keyed.len() {
        if i == keyed.len() || keyed[i].1 != keyed[start].1 {
            blocks.push(&keyed[start..i]);
            start = i;
        }
    }
    let oversized = blocks.iter().filter(|b| b.len() > pass.limit).count() as u64;
    let pairs = blocks
        .par_iter()
        .filter(|b| b.len() <= pass.limit)
        .flat_map_iter(|members| {
            let keep = pass.keep;
            (0..members.len()).flat_map(move |x| {
                (x + 1..members.len()).filter_map(move |y| {
                    let (a, b) = (members[x].2, members[y].2);
                    keep.is_none_or(|keep| keep(&units[a as usize], &units[b as usize]))
                        .then_some((a, b))
                })
            })
        })
        .collect();
    (pairs, oversized)
}

/// FNV-1a of a key: fixed, so blocks come in the same order every run.
fn fnv(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
