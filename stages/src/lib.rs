//! The cutover transforms: pure functions from frames to frames, no file I/O.
//!
//! Every stage returns its frames and a [`report::StageReport`]; the pipeline
//! checks `in = out + rejected + merged` for every stage and entity.

pub mod codes;
pub mod columns;
pub mod conform;
pub mod crosswalk;
pub mod end_of_year;
pub mod identity;
pub mod ingest;
pub mod preflight;
pub mod quarantine;
pub mod report;
pub mod schema;
pub mod text;

/// For tests: a small linear congruential generator (Knuth's MMIX
/// constants) from `seed`, each call the next 31-bit number: the same
/// numbers on every machine, so the tests' random inputs are fixed.
#[cfg(test)]
pub(crate) fn lcg(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        seed >> 33
    }
}
