//! An identity row with a wrong value is still a student: on
//! `student_personal` every check of a column other than the keys
//! (PersonID, IdentityID, StateStudentID) and the duplicate rules is a
//! finding, not a reject ([`Outcome::Keep`]). The row goes on to identity;
//! a value that cannot be trusted (a birth date not a date or implausible,
//! an unknown code, a name too long or holding a control character) is
//! cleared, so identity treats it as missing (no evidence either way). The
//! finding is listed in quarantine all the same.
//!
//! What happens to the student after:
//! - a cleared first name, surname, gender or birth date is named in
//!   `missing_values`: identity fills it from the student's other
//!   identities, and pre-flight holds the Student Personal row of a student
//!   still without it under `required`;
//! - any other finding of a column the Student Personal upload carries is
//!   named in `wrong_values` (`Column: rule`): pre-flight holds the Student
//!   Personal row of a student whose current identity has one
//!   (`wrong_value`), since Synergy must not receive a value the
//!   Department's rules call wrong, or a blank where the district has a
//!   value. A race in the two-question format on an identity effective
//!   before 2010-11 is the format Synergy takes (the crosswalk uses it as
//!   reported): listed, not held.

use super::typed;
use crate::columns::*;
use crate::quarantine::{Check, Outcome};
use crate::schema::{EntitySpec, STUDENT_PERSONAL};
use polars::prelude::*;
use std::collections::BTreeSet;

/// The columns that tie an identity row to its student: a wrong one is
/// still a reject.
const KEYS: [&str; 3] = [PERSON_ID, IDENTITY_ID, STATE_STUDENT_ID];

/// Rules that reject whatever column they name (a second copy of a row or
/// key).
const ALWAYS_REJECT: [&str; 2] = ["duplicate_row", "duplicate_key"];

/// Rules whose finding clears nothing: a value missing (no race, no
/// USSchoolDate), or a race the crosswalk bridges from the format present.
const NOTHING_TO_CLEAR: [&str; 3] = ["race_format", "race_missing", "us_school_date_required"];

/// Columns a cleared value of is named in `missing_values` (filled by
/// identity, held under `required`), in the order named.
pub(super) const MISSING: [&str; 4] = [LAST_NAME, FIRST_NAME, GENDER, BIRTH_DATE];

/// Columns the Student Personal upload does not carry: their findings are
/// listed, not held.
const NOT_UPLOADED: [&str; 2] = [IDENTITY_EFFECTIVE_DATE, LOCAL_STUDENT_NUMBER];

/// Whether `entity` keeps rows with a wrong non-key value.
pub(super) fn keeps(entity: &EntitySpec) -> bool {
    entity.name == STUDENT_PERSONAL.name
}

/// Makes every check of `entity` on a non-key column a finding that keeps
/// the row (clearing the value unless the rule has nothing to clear).
pub(super) fn keep_findings(entity: &EntitySpec, checks: &mut [Check]) {
    if !keeps(entity) {
        return;
    }
    for check in checks.iter_mut() {
        if KEYS.contains(&check.column) || ALWAYS_REJECT.contains(&check.rule) {
            continue;
        }
        check.outcome = Outcome::Keep {
            clear: !NOTHING_TO_CLEAR.contains(&check.rule),
        };
    }
}

/// `missing_values` of a kept identity row: [`MISSING`] columns (those
/// the file has, besides the blank-flagged ones it must have) whose value,
/// as written out (typed, cleared), is null.
pub(super) fn missing_values(
    entity: &EntitySpec,
    present: &BTreeSet<String>,
    checks: &[Check],
) -> PolarsResult<Expr> {
    let mut named = Vec::new();
    for c in MISSING {
        let flagged = entity.column(c).is_some_and(|s| s.flag_blank);
        if flagged || present.contains(c) {
            named.push((c, crate::quarantine::cleared(typed(c), c, checks)?));
        }
    }
    Ok(crate::schema::missing_values_of(named))
}

/// `wrong_values` of a kept identity row: each finding Synergy must not
/// receive and no other identity can fill, as `Column: rule`, in check
/// order, separated by `; ` (null when none). The flag columns must be on
/// the frame.
pub(super) fn wrong_values(checks: &[Check]) -> Expr {
    let mut parts = Vec::new();
    for (i, check) in checks.iter().enumerate() {
        if check.rejects()
            || MISSING.contains(&check.column)
            || NOT_UPLOADED.contains(&check.column)
        {
            continue;
        }
        let mut broken = col(crate::quarantine::flag_name(i));
        if check.rule == "race_format" {
            // Held only in the legacy single field from 2010-11 on; the
            // two-question format alone before is what Synergy takes.
            broken = broken.and(col(SCHOOL_YEAR).gt_eq(lit(2011)).fill_null(lit(false)));
        }
        parts.push(
            when(broken)
                .then(lit(format!("{}: {}", check.column, check.rule)))
                .otherwise(lit(NULL).cast(DataType::String)),
        );
    }
    joined(parts, WRONG_VALUES)
}

/// `parts` joined by `; `, skipping nulls; null when every one is.
pub(crate) fn joined(parts: Vec<Expr>, name: &str) -> Expr {
    if parts.is_empty() {
        return lit(NULL).cast(DataType::String).alias(name);
    }
    let all = concat_str(parts, "; ", true);
    when(all.clone().eq(lit("")))
        .then(lit(NULL).cast(DataType::String))
        .otherwise(all)
        .alias(name)
}
