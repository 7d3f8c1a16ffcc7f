//! The identity review queue's state, for the report: pairs waiting for a
//! person (`review/queue.csv`) and the reviewer decisions applied
//! (`identity/pairs.parquet`).

use anyhow::{Context, Result};
use polars::prelude::*;
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::Path;

/// The review queue's state (`report.json` `review`): pairs waiting for a
/// person, and the decisions of `review/decisions.csv` applied.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct ReviewState {
    pub pending_pairs: u64,
    /// Clusters of the queue (a student with three IDs is one question).
    pub pending_clusters: u64,
    pub decided_merge: u64,
    pub decided_separate: u64,
}

/// Reads the queue's clusters (its first column only: the queue holds
/// names) and the decided pairs of `identity/pairs.parquet`.
pub fn review_state(root: &Path) -> Result<ReviewState> {
    let queue = root.join("review/queue.csv");
    let mut clusters = BTreeSet::new();
    let mut pending = 0u64;
    if queue.is_file() {
        let mut reader = csv::Reader::from_path(&queue)
            .with_context(|| format!("cannot read {}", queue.display()))?;
        for record in reader.records() {
            let record = record.with_context(|| format!("{}", queue.display()))?;
            clusters.insert(record.get(0).unwrap_or("").to_string());
            pending += 1;
        }
    }
    let (mut merge, mut separate) = (0, 0);
    if let Some(pairs) = crate::runfiles::scan(root, "identity/pairs.parquet")? {
        let decided = pairs
            .filter(col("reason").eq(lit("decision")))
            .select([col("outcome")])
            .collect()?;
        for outcome in decided.column("outcome")?.str()?.iter().flatten() {
            match outcome {
                "merge" => merge += 1,
                _ => separate += 1,
            }
        }
    }
    Ok(ReviewState {
        pending_pairs: pending,
        pending_clusters: clusters.len() as u64,
        decided_merge: merge,
        decided_separate: separate,
    })
}
