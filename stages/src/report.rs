//! The report every stage returns with its frames: rows in, rows out, rows
//! rejected by rule, rows merged. The pipeline checks
//! `in + added = out + rejected + merged + excluded` for every stage and
//! entity (only the conform stage adds or excludes rows, each by a named rule).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One stage's account of one entity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageReport {
    pub stage: String,
    pub entity: String,
    pub rows_in: u64,
    pub rows_out: u64,
    /// Rejected rows by the first rule each broke (a row is counted once).
    pub rejected: BTreeMap<String, u64>,
    /// Every violation found, by rule (a row may break several rules; the
    /// quarantine file lists each).
    pub violations: BTreeMap<String, u64>,
    pub merged: u64,
    /// Rows kept with a finding (a wrong value cleared or flagged, listed
    /// in quarantine), by the first finding each had: counted in
    /// `rows_out`, not in `rejected`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub kept: BTreeMap<String, u64>,
    /// Of the rows kept with a finding, those whose value was cleared, by
    /// the column and rule of the first value each had cleared
    /// (`BirthDate: invalid_date`): the value lost as a rejected row's is,
    /// so they count toward the reject rate (a column broken in every row
    /// of a file fails the run as a file rejected whole does).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub cleared: BTreeMap<String, u64>,
    /// Rows a stage leaves out on purpose, by the rule that says so (a
    /// victim's behavior row is not reportable): never uploaded, never lost.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub excluded: BTreeMap<String, u64>,
    /// Rows a stage adds, by the rule that adds them (an enrollment split at
    /// a change of status becomes two upload rows).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub added: BTreeMap<String, u64>,
    /// What the stage noticed that is not a row count: missing optional
    /// columns, extra columns, characters that could not be decoded.
    pub notes: Vec<String>,
}

impl StageReport {
    pub fn new(stage: &str, entity: &str) -> Self {
        StageReport {
            stage: stage.to_string(),
            entity: entity.to_string(),
            ..Default::default()
        }
    }

    /// Rejected rows, all rules together.
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }

    /// Whether `in + added = out + rejected + merged + excluded` holds.
    pub fn balanced(&self) -> bool {
        self.rows_in + self.added.values().sum::<u64>()
            == self.rows_out
                + self.rejected_total()
                + self.merged
                + self.excluded.values().sum::<u64>()
    }

    /// Rows kept with a value cleared, all columns together.
    pub fn cleared_total(&self) -> u64 {
        self.cleared.values().sum()
    }

    /// Rows rejected or kept with a value cleared, as a share of rows in
    /// (0 for an empty input).
    pub fn reject_rate(&self) -> f64 {
        if self.rows_in == 0 {
            0.0
        } else {
            (self.rejected_total() + self.cleared_total()) as f64 / self.rows_in as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balance_counts_every_kind_of_row() {
        let mut r = StageReport::new("ingest", "student_personal");
        r.rows_in = 10;
        r.rows_out = 6;
        r.rejected.insert("invalid_date".into(), 2);
        r.rejected.insert("required".into(), 1);
        r.merged = 1;
        assert!(r.balanced());
        r.merged = 0;
        assert!(!r.balanced());
        r.excluded.insert("not_reportable".into(), 1);
        assert!(r.balanced());
        r.added.insert("split_at_status_change".into(), 2);
        assert!(!r.balanced());
        r.rows_out = 8;
        assert!(r.balanced());
        assert_eq!(r.rejected_total(), 3);
        assert!((r.reject_rate() - 0.3).abs() < 1e-12);
    }

    #[test]
    fn empty_input_has_no_reject_rate() {
        let r = StageReport::new("read", "schools");
        assert!(r.balanced());
        assert_eq!(r.reject_rate(), 0.0);
    }
}
