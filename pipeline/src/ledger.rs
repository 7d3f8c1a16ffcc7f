//! The ledger: every stage report must balance (`in + added = out +
//! rejected + merged + excluded`), and the share of rows the extract lost
//! stays under the configured rate. Failures name stage, entity and check.

use cutover_stages::report::StageReport;
use serde::{Deserialize, Serialize};

/// A ledger check that failed.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Failure {
    pub stage: String,
    pub entity: String,
    pub check: String,
    pub message: String,
}

/// `crosswalk/coverage.json`: every legacy value seen and what it became, and
/// the seven race categories before and after.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Coverage {
    pub columns: Vec<cutover_stages::crosswalk::ColumnCoverage>,
    pub race: cutover_stages::crosswalk::RaceCheck,
}

/// Checks every stage report: `in = out + rejected + merged`, and the
/// reject rate against the threshold.
pub fn check_ledger(reports: &[StageReport], max_reject_rate: f64, min_rows: u64) -> Vec<Failure> {
    let mut failures = Vec::new();
    for r in reports {
        if !r.balanced() {
            failures.push(Failure {
                stage: r.stage.clone(),
                entity: r.entity.clone(),
                check: "balance".into(),
                message: if r.added.is_empty() && r.excluded.is_empty() {
                    format!(
                        "rows in {} != out {} + rejected {} + merged {}",
                        r.rows_in,
                        r.rows_out,
                        r.rejected_total(),
                        r.merged
                    )
                } else {
                    format!(
                        "rows in {} + added {} != out {} + rejected {} + merged {} + excluded {}",
                        r.rows_in,
                        r.added.values().sum::<u64>(),
                        r.rows_out,
                        r.rejected_total(),
                        r.merged,
                        r.excluded.values().sum::<u64>()
                    )
                },
            });
        }
        // Pre-flight holds rows back for the Department to fix; the reject
        // rate threshold is about what the extract itself lost.
        // A file too small for a rate to mean anything (one bad row of 40
        // is 2.5%) is not failed on it, but on losing every row: a file
        // broken whole must not pass because it is small.
        let extract = matches!(r.stage.as_str(), "read" | "ingest" | "crosswalk");
        let lost_all = r.rows_in > 0 && r.reject_rate() >= 1.0 && r.reject_rate() > max_reject_rate;
        if extract && r.rows_in < min_rows && lost_all {
            failures.push(Failure {
                stage: r.stage.clone(),
                entity: r.entity.clone(),
                check: "reject_rate".into(),
                message: format!(
                    "{} of {} rows rejected{}: the file lost every row (a file under ingest.reject_rate_min_rows, {min_rows} rows, is not failed on its rate, but on losing every row)",
                    r.rejected_total(),
                    r.rows_in,
                    cleared_part(r),
                ),
            });
        }
        if extract && r.rows_in >= min_rows && r.reject_rate() > max_reject_rate {
            failures.push(Failure {
                stage: r.stage.clone(),
                entity: r.entity.clone(),
                check: "reject_rate".into(),
                message: format!(
                    "{} of {} rows rejected{} ({:.2}%), above ingest.max_reject_rate {:.2}%",
                    r.rejected_total(),
                    r.rows_in,
                    cleared_part(r),
                    r.reject_rate() * 100.0,
                    max_reject_rate * 100.0
                ),
            });
        }
    }
    failures
}

/// What a reject rate counts besides rejected rows: those kept with a value
/// cleared, by column and rule (`` and 152 kept with a value cleared
/// (BirthDate: invalid_date 152)``); empty when none.
fn cleared_part(r: &StageReport) -> String {
    if r.cleared.is_empty() {
        return String::new();
    }
    let by: Vec<String> = r.cleared.iter().map(|(k, n)| format!("{k} {n}")).collect();
    format!(
        " and {} kept with a value cleared ({})",
        r.cleared_total(),
        by.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ledger_names_an_unbalanced_stage_and_a_high_reject_rate() {
        let mut ok = StageReport::new("read", "schools");
        ok.rows_in = 100;
        ok.rows_out = 99;
        ok.rejected.insert("column_count".into(), 1);
        let mut lost = StageReport::new("ingest", "schools");
        lost.rows_in = 99;
        lost.rows_out = 90;
        lost.rejected.insert("invalid_id".into(), 5);
        let small = {
            let mut r = StageReport::new("ingest", "cte");
            r.rows_in = 40;
            r.rows_out = 39;
            r.rejected.insert("end_before_start".into(), 1);
            r
        };
        // A column cleared in every row lost as much as a file rejected whole.
        let mut cleared = StageReport::new("ingest", "student_personal");
        cleared.rows_in = 150;
        cleared.rows_out = 149;
        cleared.rejected.insert("invalid_id".into(), 1);
        cleared.kept.insert("invalid_date".into(), 3);
        cleared.cleared.insert("BirthDate: invalid_date".into(), 2);
        cleared.cleared.insert("Gender: unknown_code".into(), 1);
        // A small file that lost every row fails all the same.
        let mut small_lost = StageReport::new("ingest", "schools");
        small_lost.rows_in = 15;
        small_lost.rejected.insert("code_format".into(), 15);
        let failures = check_ledger(&[ok, lost, small, cleared, small_lost], 0.02, 50);
        let messages: Vec<&str> = failures.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            messages,
            vec![
                "rows in 99 != out 90 + rejected 5 + merged 0",
                "5 of 99 rows rejected (5.05%), above ingest.max_reject_rate 2.00%",
                "1 of 150 rows rejected and 3 kept with a value cleared (BirthDate: invalid_date 2, Gender: unknown_code 1) (2.67%), above ingest.max_reject_rate 2.00%",
                "15 of 15 rows rejected: the file lost every row (a file under ingest.reject_rate_min_rows, 50 rows, is not failed on its rate, but on losing every row)",
            ]
        );
    }
}
