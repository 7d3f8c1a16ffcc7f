//! # Term frequencies with a population prior
//!
//! How common a first name, surname or birth date is decides how much an
//! exact agreement on it weighs. Counted over the bundle alone, a small
//! bundle cannot say: with 53 identity rows a value two records share is
//! held by at least 2 of the units, so an exact birth date weighed 5.7 bits
//! where a state-sized bundle gives it 10 to 13, and a duplicate scored as
//! strangers do. The record being judged is also no evidence that its own
//! value is common: counting it is what put every shared value at 2 in 53
//! or more.
//!
//! So u is the chance that the pair's second record holds the value given
//! everything else: the posterior predictive of a Dirichlet prior over the
//! population's values, with the bundle's other units as the data (the
//! first record among them, the second left out) and a population share
//! `p0` as the prior, weighing as [`PRIOR_UNITS`] units:
//!
//! ```text
//! u(v) = (count(v) - 1 + PRIOR_UNITS * p0(v)) / (units - 1 + PRIOR_UNITS)
//! ```
//!
//! In a state the bundle's counts decide (at 200,000 units the prior is
//! half a percent of the data); in a bundle of tens of students the
//! population does. Leaving out both records of the pair was measured and
//! left out: it drops the first record, which is a real draw from the
//! population, and at 20,000 students (the personal-and-address bundle)
//! it made a twin's shared birth date rare enough to queue 75 more pairs
//! (513 -> 588) for one more duplicate; leaving out the second alone, 13
//! more for the same duplicate. Splink reaches the same place another way:
//! its term frequencies are the value's share of the table, with a floor
//! on u (`tf_minimum_u_value`), and frequency tables a user may supply from
//! elsewhere for a table too small to measure them.
//!
//! The population shares `p0`:
//! - a birth date: one day of the span of birth dates the bundle holds
//!   (between its 5th and 95th percentile, over the 90% of units inside it;
//!   at least a year), as the calendar gives it: birth days are spread
//!   almost evenly over the year;
//! - a first name or surname: the chance that two students of a state share
//!   one, which is also the expected share of a student's own name (the
//!   sum of the squared shares): [`FIRST_NAME_SHARE`], [`SURNAME_SHARE`].

use super::*;

/// How many units the population prior weighs as.
pub(super) const PRIOR_UNITS: f64 = 1000.0;

/// The expected population share of a student's first name: the chance
/// that two students share one (about 1 in 400: US given names of the
/// 1995-2013 birth years, both sexes; the generated 200,000-student bundle
/// measured 0.00246 among random pairs).
pub(super) const FIRST_NAME_SHARE: f64 = 0.0025;

/// The expected population share of a student's surname (about 1 in 1,250:
/// US surnames, Maine's French-Canadian ones more concentrated; the
/// generated 200,000-student bundle measured 0.00082 among random pairs).
pub(super) const SURNAME_SHARE: f64 = 0.0008;

/// The population share of one birth date: one day of the span the
/// bundle's birth dates cover (the days between the 5th and the 95th
/// percentile, over the 0.9 of units inside it, at least 365).
pub(super) fn birth_date_share(births: &[NaiveDate]) -> f64 {
    let mut days: Vec<i32> = births.iter().map(|d| d.num_days_from_ce()).collect();
    days.sort_unstable();
    let span = if days.len() < 2 {
        0.0
    } else {
        let at = |q: f64| days[((days.len() - 1) as f64 * q).round() as usize];
        f64::from(at(0.95) - at(0.05) + 1) / 0.9
    };
    1.0 / span.max(365.0)
}

/// The term-frequency u of an exact agreement on a value held by `count`
/// of `units` units (the pair among them), with population share `p0`: the
/// chance that the second record of the pair holds the value, given every
/// other unit (the first record among them) and the population share.
pub(super) fn tf_u(count: f64, units: f64, p0: f64) -> f64 {
    let others = (count - 1.0).max(0.0);
    let rest = (units - 1.0).max(0.0);
    (others + PRIOR_UNITS * p0) / (rest + PRIOR_UNITS)
}

/// What model.json says of the term-frequency u.
pub(super) fn describe() -> String {
    format!(
        "exact first name, last name and birth date by the value's frequency among the units other than the record judged, with a population prior weighing as {PRIOR_UNITS} units: (count - 1 + {PRIOR_UNITS} * p0) / (units - 1 + {PRIOR_UNITS}); p0 {FIRST_NAME_SHARE} for a first name, {SURNAME_SHARE} for a surname, one day of the bundle's span of birth dates (5th to 95th percentile over 0.9, at least a year) for a birth date"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_small_bundle_takes_the_population_share() {
        // A surname only the pair holds, in 40 units: the first record and
        // the population share, not 2 in 40 (9.1 bits at m 0.72, not 4.2).
        let u = tf_u(2.0, 40.0, SURNAME_SHARE);
        assert!((u - (1.0 + 0.8) / 1039.0).abs() < 1e-12);
        assert!((0.72 / u).log2() > 8.5);
        // Five of 40 hold it: four say it is common.
        let u = tf_u(5.0, 40.0, SURNAME_SHARE);
        assert!((u - (4.0 + 0.8) / 1039.0).abs() < 1e-12);
    }

    #[test]
    fn a_state_keeps_its_counts() {
        // 42 of 200,000 units share a birth date: the counts decide.
        let u = tf_u(42.0, 200_000.0, 1.0 / 4750.0);
        let counted = 42.0 / 200_000.0;
        assert!((u / counted).log2().abs() < 0.1, "{u} {counted}");
    }

    #[test]
    fn a_birth_date_is_one_day_of_the_span() {
        // Five years of birth dates, one a day apart in each: about 1 in
        // 5 * 365 / 0.9 days (the 5th to 95th percentile over 0.9).
        let births: Vec<NaiveDate> = (0..1826)
            .map(|d| date(2006, 1, 1) + chrono::Days::new(d))
            .collect();
        let share = birth_date_share(&births);
        assert!((1.0 / share - 1643.0 / 0.9).abs() < 2.0, "{}", 1.0 / share);
        // One grade's children, or none: at least a year.
        let one_year = [date(2008, 3, 1), date(2008, 9, 30)];
        assert_eq!(birth_date_share(&one_year), 1.0 / 365.0);
        assert_eq!(birth_date_share(&[]), 1.0 / 365.0);
        // A typo decades off does not stretch the span.
        let mut typo = births.clone();
        typo.push(date(1901, 1, 1));
        assert!((birth_date_share(&typo) / share - 1.0).abs() < 0.01);
    }
}
