//! A child registered again in another SAU whose sending school left the
//! old enrollment open for months: the two IDs at school "at once" for
//! more than 60 days, which otherwise says two children.

use super::*;

/// How many days past the receiving SAU's first day the sending SAU's
/// enrollment ran on: more than the 60 days of "at once for months", up
/// to a school term.
const LATE_DAYS: std::ops::RangeInclusive<i64> = 61..=120;

/// One ID's enrollments all began before the other's first entry and all
/// ended 61 to 120 days after it, in SAUs the other was never enrolled in,
/// the other's running on past them: the shape of a child who moved,
/// registered again in the new SAU, while the old one exited the child
/// only months later. Two children at school together for years, or one
/// leaving a year after the other arrived, do not look so.
pub(super) fn handed_over_late(a: &Unit, b: &Unit) -> bool {
    let (x, y) = if a.entered <= b.entered {
        (a, b)
    } else {
        (b, a)
    };
    let (Some(x_in), Some(x_out), Some(y_in), Some(y_out)) = (x.entered, x.left, y.entered, y.left)
    else {
        return false;
    };
    x_in < y_in
        && y_out >= x_out
        && LATE_DAYS.contains(&(x_out - y_in).num_days())
        && x.saus.is_disjoint(&y.saus)
}

/// A pair kept apart for being at school at once for months that is a late
/// exit's: [`handed_over_late`], no local number comparable (other SAUs),
/// no address agreeing, the genders not disagreeing, and the whole name
/// agreeing (first name, middle name and surname) with the birth date the
/// same, swapped or a day or a digit off. With the birth date the same the
/// pair is a look-alike's and already goes to a person.
pub(super) fn late_exit(a: &Unit, b: &Unit, v: &[usize; N]) -> bool {
    const MIDDLE_AGREE: usize = 0;
    const DISAGREE: usize = 1;
    const A_DAY_OR_ONE_DIGIT_OFF: usize = 2;
    v[ENROLLMENT] == OVERLAP_MONTHS
        && v[LOCAL] == missing_level(LOCAL)
        && v[ADDRESS_C] != 0
        && v[GENDER_C] != DISAGREE
        && v[FIRST] == 0
        && v[MIDDLE] == MIDDLE_AGREE
        && v[LAST] == 0
        && v[BIRTH] <= A_DAY_OR_ONE_DIGIT_OFF
        && handed_over_late(a, b)
}

/// Why a pair [`late_exit`] matches goes to a person instead of being kept
/// apart.
pub(super) const LATE_EXIT: &str = "late_exit: the whole name agrees and the birth dates nearly, and one ID's enrollments all end 61 to 120 days after the other's begin in another SAU, the other running on (a child registered again whose old school exited the child late): a person decides";

#[cfg(test)]
mod tests {
    use super::*;

    /// A unit enrolled over these (entry, exit, SAU) spans.
    fn enrolled(rows: &[(&str, &str, Code)]) -> Unit {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date");
        let mut u = Unit::new(String::new(), None, Vec::new());
        u.spans = rows.iter().map(|s| (d(s.0), d(s.1), s.2, None)).collect();
        u.summarise();
        u
    }

    /// The levels of a late exit's pair: the whole name, the birth date a
    /// day off, at once for months, no local number, other addresses.
    fn levels() -> [usize; N] {
        let mut v = [0; N];
        v[BIRTH] = 2;
        v[ENROLLMENT] = OVERLAP_MONTHS;
        v[LOCAL] = missing_level(LOCAL);
        v[ADDRESS_C] = 2;
        v
    }

    #[test]
    fn a_late_exit_in_another_sau_goes_to_a_person_and_strangers_at_once_do_not() {
        let old = enrolled(&[
            ("2014-08-28", "2015-06-12", 1),
            ("2015-08-28", "2016-01-10", 1),
        ]);
        let new = enrolled(&[
            ("2015-10-19", "2016-06-12", 2),
            ("2016-08-28", "2017-06-12", 2),
        ]);
        let v = levels();
        assert!(late_exit(&old, &new, &v) && late_exit(&new, &old, &v));
        // 60 days is "at once for weeks"; 121 and more a term and more.
        for (exit, late) in [
            ("2015-12-18", false),
            ("2015-12-19", true),
            ("2016-02-16", true),
        ] {
            let sent = enrolled(&[("2014-08-28", exit, 1)]);
            assert_eq!(handed_over_late(&sent, &new), late, "exited {exit}");
        }
        let term = enrolled(&[("2014-08-28", "2016-02-17", 1)]);
        assert!(!handed_over_late(&term, &new), "exited 121 days after");
        // Both at school on after the other arrived, or in one SAU.
        let years = enrolled(&[("2014-08-28", "2017-06-12", 1)]);
        assert!(!handed_over_late(&years, &new), "the old ID running on");
        let one_sau = enrolled(&[("2014-08-28", "2016-01-10", 2)]);
        assert!(!handed_over_late(&one_sau, &new), "one SAU");
        // Not the whole name, the birth date further off, an address or
        // the genders disagreeing: kept apart as before.
        for (c, level) in [
            (FIRST, 3),
            (MIDDLE, missing_level(MIDDLE)),
            (LAST, 1),
            (BIRTH, 3),
            (ADDRESS_C, 0),
            (GENDER_C, 1),
            (ENROLLMENT, 3),
        ] {
            let mut w = v;
            w[c] = level;
            assert!(
                !late_exit(&old, &new, &w),
                "{} at {level}",
                COMPARATORS[c].0
            );
        }
    }
}
