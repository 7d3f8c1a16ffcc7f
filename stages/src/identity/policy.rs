//! # The policy: what happens to a scored pair
//!
//! Hard-negative patterns, blank values without corroboration, the
//! same-name policy, the thresholds, and the clusters and survivors the
//! merges make.

use super::*;
use std::borrow::Cow;

/// The hard-negative pattern a pair shows, if any: two children a matcher
/// must never fold together on its own.
///
/// - `twins_or_siblings`: the same surname (or one typo apart, when the
///   first names are further apart than a typo), the same or a close birth date
///   (within three years), different first names (not a nickname, not the
///   middle name), and the same address or enrolled at once for more than
///   two weeks, unless one's enrollments end where the other's begin under
///   the same local student number (a re-registration);
/// - `possible_twins`: the same surname and birth date, different first
///   names, and no enrollment or address on one side to tell twins from a
///   misspelt first name;
/// - `look_alike`: the same first name, last name and birth date, in
///   different places (enrolled in no common SAU, or, without enrollments,
///   at different addresses), and nothing independent (local number,
///   address) says they are one child;
/// - `compound_look_alike`: the same, but one surname is a part of the
///   other's compound or hyphenated surname (Ashley Michaud and Ashley
///   Michaud-Morgan, born the same day), and the two were never enrolled at
///   once with no plausible transfer between them (or one has no
///   enrollment);
/// - `twins_one_first_name`: the same first name and surname, two different
///   middle names, one address ([`twins::one_first_name_together`]);
/// - `initials_only`: the first names agree only as one letter
///   ([`twins::initials_only`]);
/// - `renamed_whole`: both names different, the birth date the same, and
///   the address, the local number or one enrollment continuing the other
///   in one SAU within two weeks agreeing ([`twins::renamed_whole`]).
/// - `a_generation_apart`: the same day and month of birth, the years 13
///   or more apart ([`twins::a_generation_apart`]: a parent and a child of
///   one name).
/// - `names_traded`: one surname and birth date, a first name in common,
///   but the two IDs' earliest rows and their latest rows name different
///   children ([`twins::names_traded`]: twins whose records a school
///   swapped for a year).
pub(super) fn hard_negative(
    a: &Unit,
    b: &Unit,
    v: &[usize; N],
    names: &names::Names,
) -> Option<&'static str> {
    // A blank birth date or first name cannot tell a twin from a duplicate.
    let close_birth = v[BIRTH] == missing_level(BIRTH)
        || a.births.iter().any(|x| {
            b.births
                .iter()
                .any(|y| (*x - *y).num_days().abs() <= 3 * 366)
        });
    // The same surname and different first names, or, when the names
    // compare best swapped (one twin entered surname first), the same first
    // name and a similar "surname" (the twin's first name).
    let different_first = v[FIRST] >= 3;
    let crossed = !a
        .name_ids
        .iter()
        .any(|(f, _)| b.name_ids.iter().any(|(g, _)| f == g));
    // A surname one typo apart (Jaro-Winkler >= 0.95) is the same surname
    // when the first names are further apart than a typo: Madison and a
    // duplicate of her twin Addison with a mistyped surname, at one address
    // (on a personal-and-address bundle with long-tailed names, the one
    // twin merged automatically).
    const NEAR_LAST: usize = 2;
    const FAR_FIRST: usize = 4;
    let same_or_blank_last = v[LAST] <= 1
        || v[LAST] == missing_level(LAST)
        || (v[LAST] == NEAR_LAST && v[FIRST] >= FAR_FIRST);
    let one_name_differs = (same_or_blank_last && different_first)
        || (crossed && v[FIRST] == 0 && (2..=5).contains(&v[LAST]));
    let together = v[ADDRESS_C] == 0 || matches!(v[ENROLLMENT], OVERLAP_WEEKS | OVERLAP_MONTHS);
    // One ID's enrollments ending where the other's begin under the same
    // local student number in one SAU is a re-registration, not two
    // children of one household (twins are in school at once).
    let re_registered = v[ENROLLMENT] == ENDS_WHERE_BEGINS && v[LOCAL] == 0;
    if one_name_differs && close_birth && together && !re_registered {
        return Some("twins_or_siblings");
    }
    let unknown =
        v[ENROLLMENT] == missing_level(ENROLLMENT) && v[ADDRESS_C] == missing_level(ADDRESS_C);
    if one_name_differs && v[BIRTH] == 0 && unknown {
        return Some("possible_twins");
    }
    if twins::names_traded(a, b, v) {
        return Some(twins::NAMES_TRADED);
    }
    let (sa, sb) = (a.saus(), b.saus());
    let elsewhere = if sa.is_empty() || sb.is_empty() {
        v[ADDRESS_C] == 2
    } else {
        sa.is_disjoint(sb) && v[ADDRESS_C] != 0
    };
    if same_name_and_birth(a, b) && !corroborated(v) && elsewhere {
        return Some("look_alike");
    }
    if twins::initials_only(a, b, v, names) {
        return Some(twins::INITIALS_ONLY);
    }
    const COMPOUND: usize = 1;
    let compound = v[FIRST] == 0 && v[LAST] == COMPOUND && v[BIRTH] == 0;
    if compound && !corroborated(v) && elsewhere && enrollments_apart(v) {
        return Some("compound_look_alike");
    }
    if twins::one_first_name_together(v, close_birth, re_registered) {
        return Some(twins::TWINS_ONE_FIRST_NAME);
    }
    if twins::renamed_whole(a, b, v) {
        return Some(twins::RENAMED_WHOLE);
    }
    if twins::a_generation_apart(a, b, v) {
        return Some(twins::A_GENERATION_APART);
    }
    None
}

/// A first name, surname or birth date blank on one side, and nothing
/// independent of names and birth date agrees (address, local number, one
/// enrollment continuing the other): a few matching name parts are all
/// there is, which strangers share.
pub(super) fn missing_uncorroborated(v: &[usize; N]) -> bool {
    let missing = [FIRST, LAST, BIRTH]
        .iter()
        .any(|&c| v[c] == missing_level(c));
    missing && !corroborated(v) && v[ENROLLMENT] > 1
}

/// An identifier independent of name and birth date agrees: the same local
/// student number in the same SAU, or the same address.
pub(super) fn corroborated(v: &[usize; N]) -> bool {
    v[LOCAL] == 0 || v[ADDRESS_C] == 0
}

/// Pairs of the same first name, last name and birth date (folded), the
/// names in either order: a child entered surname first is the same name
/// (a generated 20,000-student bundle: a look-alike born a day later and a
/// duplicate of the other child with the names swapped and the birth date
/// a day off, so both exact, merged at 11.9 with nothing else known).
pub(super) fn same_name_and_birth(a: &Unit, b: &Unit) -> bool {
    let either_order = |n: &(u32, u32)| {
        b.name_ids.contains(n) || b.name_ids.iter().any(|m| m.0 == n.1 && m.1 == n.0)
    };
    a.name_ids
        .iter()
        .any(|n| n.0 != names::BLANK && n.1 != names::BLANK && either_order(n))
        && a.births.iter().any(|d| b.births.contains(d))
}

/// Reviewer decisions by (smaller key, larger key).
pub(super) fn decided(decisions: &[Decision]) -> BTreeMap<(String, String), bool> {
    decisions
        .iter()
        .map(|d| {
            let (a, b) = if d.id_a <= d.id_b {
                (d.id_a.clone(), d.id_b.clone())
            } else {
                (d.id_b.clone(), d.id_a.clone())
            };
            ((a, b), d.merge)
        })
        .collect()
}

/// What happens to a scored pair, and why: a decision; a hard-negative
/// pattern caps it at review (twins or siblings enrolled at once for more
/// than 60 days are two children: separate); a blank name part or birth
/// date with nothing independent agreeing is kept apart; the same name and
/// birth date without corroboration goes to a person under the "review"
/// policy; otherwise the thresholds.
pub(super) fn outcome(
    decision: Option<bool>,
    pattern: Option<&str>,
    months_at_once: bool,
    same_name_birth: bool,
    missing_alone: Option<f64>,
    probability: f64,
    config: &IdentityConfig,
) -> (&'static str, Cow<'static, str>) {
    if let Some(merge) = decision {
        return (if merge { "merge" } else { "separate" }, "decision".into());
    }
    let over_review = probability >= config.review_probability;
    match pattern {
        Some("twins_or_siblings") if months_at_once => {
            return (
                "separate",
                "twins_or_siblings: enrolled at once for months: two children".into(),
            )
        }
        Some("twins_or_siblings") if over_review => {
            return (
                "review",
                "twins_or_siblings: same surname, close birth date, different first names, together: a person decides".into(),
            )
        }
        Some("possible_twins") if over_review => {
            return (
                "review",
                "possible_twins: same surname and birth date, different first names, no enrollment or address to tell twins apart: a person decides".into(),
            )
        }
        Some("look_alike") => {
            return (
                "review",
                "look_alike: same first name, last name and birth date in different places, nothing independent agrees: a person decides".into(),
            )
        }
        Some(twins::TWINS_ONE_FIRST_NAME) if months_at_once => {
            return ("separate", twins::TWINS_ONE_FIRST_NAME_APART.into())
        }
        Some(twins::TWINS_ONE_FIRST_NAME) if over_review => {
            return ("review", twins::TWINS_ONE_FIRST_NAME_REVIEW.into())
        }
        Some(twins::INITIALS_ONLY) if over_review => {
            return ("review", twins::INITIALS_ONLY_REVIEW.into())
        }
        Some(twins::NAMES_TRADED) if months_at_once => {
            return ("separate", twins::NAMES_TRADED_APART.into())
        }
        Some(twins::NAMES_TRADED) if over_review => {
            return ("review", twins::NAMES_TRADED_REVIEW.into())
        }
        Some(twins::RENAMED_WHOLE) => return ("review", twins::RENAMED_WHOLE_REVIEW.into()),
        Some(twins::A_GENERATION_APART) if over_review => {
            return ("review", twins::A_GENERATION_APART_REVIEW.into())
        }
        Some("compound_look_alike") if over_review => {
            return (
                "review",
                "compound_look_alike: same first name and birth date, one surname a part of the other's, in different places with no transfer between them, nothing independent agrees: a person decides".into(),
            )
        }
        Some(_) => return ("separate", "below the review threshold".into()),
        None => {}
    }
    if let Some(evidence) = missing_alone {
        return missing_values_outcome(evidence, probability, config.review_probability);
    }
    if same_name_birth && config.same_name_birth_date_review {
        (
            "review",
            "same first name, last name and birth date: a person decides".into(),
        )
    } else if probability >= config.merge_probability {
        ("merge", "probable".into())
    } else if over_review {
        ("review", "grey zone".into())
    } else {
        ("separate", "below the review threshold".into())
    }
}

/// Below this evidence (the pair's weights summed, the prior left out) a
/// pair is never merged automatically, whatever its posterior: a person
/// decides. With the prior a share of all pairs of units, a small bundle
/// needs little evidence to pass the merge threshold (10 bits in one of 40
/// students, 20 in one of 2,000), more than the model's independent
/// comparators can be trusted for: in a generated 2,000-student bundle
/// (seed 12) two students with the same names, a birth date a day apart
/// and different middle names (20.2 bits, posterior 0.965) were merged
/// through a same-ID conflict unit, joining two children whose direct
/// pair a person was to decide. At 200,000 students the merge threshold
/// already asks for 27 bits, so this bound changes nothing there.
pub(super) const MERGE_EVIDENCE_BITS: f64 = 24.0;

/// The reason of a pair the posterior would merge on less evidence than
/// [`MERGE_EVIDENCE_BITS`].
pub(super) const THIN_EVIDENCE: &str =
    "probable only for the bundle's size: under 24 bits of evidence, a person decides";

/// Below this evidence (13 bits: the pair's weights summed, the prior left
/// out) a pair with a blank first name, surname or birth date and nothing
/// independent agreeing is kept apart; from it a person decides; it is
/// never merged automatically. The few name parts left agree as often
/// between strangers of a common name: on a 20,000-student
/// personal-and-address bundle with 13% blank values, the 3,010 such pairs
/// with 8.4 to 13 bits held 2 duplicates, the 228 from 13 up held 14. It
/// is evidence, not the posterior log-odds, because it was measured when
/// the prior there was 0.5 (log-odds 0): with the prior estimated by the
/// deterministic rule (0.0154 there, log-odds -6.0) a bound on the
/// posterior kept 13 duplicates a person would have merged out of the
/// queue (new-ID recall after review 97.9% -> 92.6%).
pub(super) const BLANK_REVIEW_BITS: f64 = 13.0;

/// A pair with a blank value and nothing independent agreeing: a person
/// decides when what is there is strong (and over the review threshold),
/// else it is kept apart.
pub(super) fn missing_values_outcome(
    evidence: f64,
    probability: f64,
    review: f64,
) -> (&'static str, Cow<'static, str>) {
    if evidence >= BLANK_REVIEW_BITS && probability >= review {
        (
            "review",
            "missing_values: a name part or the birth date blank, nothing independent agrees, the rest strong: a person decides".into(),
        )
    } else {
        (
            "separate",
            "missing_values: a name part or the birth date blank, nothing independent agrees"
                .into(),
        )
    }
}

/// Why a weak pair with no enrollment and two known addresses is kept apart.
pub(super) const WEAK_WITHOUT_ENROLLMENT: &str =
    "below 13 bits of evidence with no enrollment to tell two children apart and both addresses known";

/// A grey-zone or twins-or-siblings pair below 13 bits of evidence (as
/// [`BLANK_REVIEW_BITS`]) with no enrollment on one side and both
/// addresses known: names and a birth date alone, which strangers and
/// siblings share, against addresses that say where each child lives. On a
/// 20,000-student personal-and-address bundle with blanks the 669 such
/// pairs were all different children; on the generated 200,000- and
/// 800,000-student bundles, 2 and 64 pairs, none a duplicate (the
/// duplicates there with no enrollment have no address either).
pub(super) fn weak_without_enrollment(v: &[usize; N], evidence: f64, reason: &str) -> bool {
    let kind = reason == "grey zone" || reason.starts_with("twins_or_siblings");
    let addresses_known = v[ADDRESS_C] != missing_level(ADDRESS_C);
    kind && v[ENROLLMENT] == missing_level(ENROLLMENT)
        && addresses_known
        && evidence < BLANK_REVIEW_BITS
}

/// Why a probable pair still goes to a person rather than being merged:
/// the two were enrolled at once for more than 60 days (as twins are: Emily
/// and Emma Wilson, born the same day, one address, one middle name, in
/// the same school for three years, with the table's Emily/Emma nickname
/// the twins pattern does not see them and the rest outweighs the
/// overlap), or the genders disagree, or, with no enrollment to tell two
/// children apart, the surname is the same and the first names are only
/// nicknames of each other (the
/// same twins at one address without enrollments scored 45.6, the twins
/// pattern leaving nicknames out so as not to take William and Bill for
/// two children), or the first name matches only the other's middle
/// name, or the birth dates differ, or the addresses differ and a name or
/// the birth date is not exact, with no enrollment to tell two children
/// apart (on names, birth dates and addresses alone such pairs were twins,
/// siblings and strangers as often as duplicates), or only the names and a
/// birth date a little off agree ([`names_and_a_birth_date_off_alone`]),
/// or a birth date is blank and only one enrollment continuing the other
/// agrees (no address or local number: a stranger of one name leaving as
/// another arrives; a pair with a blank value and no such continuity is
/// [`missing_uncorroborated`]), or the surnames differ and no middle name,
/// address or local number agrees (a stranger of the same first name and
/// birth date arriving as another leaves: the one wrong merge at 200,000
/// and at 400,000 students; the right merges with a new surname there all
/// had the middle name agreeing), or the middle names differ and the birth
/// dates are not the same with no address or local number agreeing
/// ([`MIDDLES_DIFFER_BIRTH_OFF`]), or a name or the birth date is not the
/// same and the local numbers differ in the SAU both were in
/// ([`twins::other_local_number_not_exact`]), or one name is only alike
/// with nothing but the birth date agreeing ([`twins::near_look_alike`]),
/// or the whole name with a birth date a little off in SAUs with none in
/// common ([`twins::one_full_name_birth_off_elsewhere`]), or both middle
/// names known and different ([`twins::two_middle_names`]), or a first
/// name not the same with two local numbers in one SAU, enrolled at once
/// for weeks ([`twins::at_once_under_two_local_numbers`]), or a move to
/// another SAU and address with a name and the birth date not the same
/// ([`twins::moved_name_and_birth_off`]) or with a new surname
/// ([`twins::moved_new_surname`]), or the same local number at another
/// address with another first name ([`twins::number_kept_home_changed`]),
/// or first names a letter apart with no middle name, one ID continuing
/// the other under one local number at one address
/// ([`twins::turns_under_one_number`]), or the first name only the other's
/// middle name with the middle names agreeing, one name counted twice
/// ([`strangers::one_name_twice`]), or the surnames only alike with
/// nothing independent agreeing ([`strangers::surname_only_alike`]).
pub(super) fn doubtful(v: &[usize; N]) -> Option<&'static str> {
    const DISAGREE: usize = 1;
    const MIDDLE_AS_FIRST: usize = 2;
    const BIRTH_DIFFERENT: usize = 4;
    let no_enrollment = missing_level(ENROLLMENT);
    if v[ENROLLMENT] == OVERLAP_MONTHS {
        Some("probable, but the two were enrolled at once for more than 60 days, as two children are: a person decides")
    } else if v[GENDER_C] == DISAGREE {
        Some("probable, but the genders disagree: a person decides")
    } else if v[FIRST] == twins::NICKNAME && v[LAST] == 0 && v[ENROLLMENT] == no_enrollment {
        Some("probable, but the same surname and first names only nicknames of each other (as twins' can be: Emily and Emma), with no enrollment to tell two children apart: a person decides")
    } else if v[FIRST] == MIDDLE_AS_FIRST && v[ENROLLMENT] == no_enrollment {
        Some("probable, but the first name is only the other's middle name and no enrollment tells two children apart: a person decides")
    } else if v[BIRTH] == BIRTH_DIFFERENT && v[ENROLLMENT] == no_enrollment {
        Some("probable, but the birth dates differ and no enrollment tells two children apart: a person decides")
    } else if v[BIRTH] == BIRTH_DIFFERENT {
        Some(twins::BIRTH_DATES_DIFFER)
    } else if twins::compound_names_alone(v) {
        Some(twins::COMPOUND_NAMES_ALONE)
    } else if twins::twin_names_alike(v) {
        Some(twins::TWIN_NAMES_ALIKE)
    } else if twins::twin_names_a_letter_apart(v) {
        Some(twins::TWIN_NAMES_A_LETTER_APART)
    } else if v[FIRST] == twins::FIRST_DIFFERENT && v[LAST] <= 1 {
        Some(twins::FIRST_NAMES_DIFFER)
    } else if v[FIRST] == MIDDLE_AS_FIRST && v[LAST] == SURNAME_DIFFERENT {
        Some(twins::ONE_WORD_IN_COMMON)
    } else if v[ENROLLMENT] == no_enrollment && moved_and_not_exact(v) {
        Some("probable, but a name or the birth date is not the same, the addresses differ and no enrollment tells two children apart: a person decides")
    } else if twins::home_alone_not_exact(v) {
        Some(twins::HOME_ALONE_NOT_EXACT)
    } else if names_and_a_birth_date_off_alone(v) {
        Some(NAMES_AND_A_BIRTH_DATE_OFF)
    } else if twins::arrives_elsewhere_birth_off(v) {
        Some(twins::ARRIVES_ELSEWHERE_BIRTH_OFF)
    } else if v[BIRTH] == missing_level(BIRTH) && !corroborated(v) {
        Some(BLANK_BIRTH_ENROLLMENTS_ALONE)
    } else if v[LAST] == SURNAME_DIFFERENT && v[MIDDLE] != 0 && !corroborated(v) {
        Some(SURNAMES_DIFFER_ALONE)
    } else if v[MIDDLE] == twins::MIDDLE_DIFFERENT && v[BIRTH] != 0 && !corroborated(v) {
        Some(MIDDLES_DIFFER_BIRTH_OFF)
    } else if twins::other_local_number_not_exact(v) {
        Some(twins::OTHER_LOCAL_NUMBER_NOT_EXACT)
    } else if twins::near_look_alike(v) {
        Some(twins::NEAR_LOOK_ALIKE)
    } else if twins::one_full_name_birth_off_elsewhere(v) {
        Some(twins::ONE_FULL_NAME_BIRTH_OFF_ELSEWHERE)
    } else if twins::two_middle_names(v) {
        Some(twins::TWO_MIDDLE_NAMES)
    } else if twins::at_once_under_two_local_numbers(v) {
        Some(twins::AT_ONCE_UNDER_TWO_LOCAL_NUMBERS)
    } else if twins::moved_name_and_birth_off(v) {
        Some(twins::MOVED_NAME_AND_BIRTH_OFF)
    } else if twins::moved_new_surname(v) {
        Some(twins::MOVED_NEW_SURNAME)
    } else if twins::number_kept_home_changed(v) {
        Some(twins::NUMBER_KEPT_HOME_CHANGED)
    } else if twins::turns_under_one_number(v) {
        Some(twins::TURNS_UNDER_ONE_NUMBER)
    } else if strangers::one_name_twice(v) {
        Some(strangers::ONE_NAME_TWICE)
    } else if strangers::surname_only_alike(v) {
        Some(strangers::SURNAME_ONLY_ALIKE)
    } else {
        None
    }
}

/// No enrollment continuing the other: never enrolled at once, one ending
/// and the other beginning in another SAU, or no enrollment to tell.
pub(super) fn enrollments_apart(v: &[usize; N]) -> bool {
    const NEVER_AT_ONCE: usize = 2;
    matches!(v[ENROLLMENT], NEVER_AT_ONCE | ENDS_THEN_ELSEWHERE)
        || v[ENROLLMENT] == missing_level(ENROLLMENT)
}

/// Why a probable pair whose middle names differ and whose birth dates are
/// not the same, with no address or local number agreeing, goes to a
/// person: a stranger of the same first name and surname, born a day
/// apart, arriving in another SAU as the other left (a generated
/// 20,000-student bundle: merged at 5.8 on one enrollment continuing the
/// other). The generator's duplicates keep their middle name or drop it.
pub(super) const MIDDLES_DIFFER_BIRTH_OFF: &str = "probable, but the middle names differ, the birth dates are not the same and no address or local number agrees: a person decides";

/// Why a probable pair of the same first name and surname and a birth
/// date a little off, with nothing else agreeing, goes to a person.
pub(super) const NAMES_AND_A_BIRTH_DATE_OFF: &str = "probable, but only the same first name and surname and a birth date a little off agree (no middle name, address or local number): a person decides";

/// Why a probable pair with a blank birth date whose only independent
/// evidence is one enrollment continuing the other goes to a person.
pub(super) const BLANK_BIRTH_ENROLLMENTS_ALONE: &str = "probable, but a birth date is blank and only one enrollment continuing the other agrees (no address or local number): a person decides";

/// The surname level "different" (not a compound part, not similar).
const SURNAME_DIFFERENT: usize = 6;

/// Why a probable pair whose surnames differ, with no middle name,
/// address or local number agreeing, goes to a person.
pub(super) const SURNAMES_DIFFER_ALONE: &str = "probable, but the surnames differ and no middle name, address or local number agrees: a person decides";

/// The same first name and surname exactly, a birth date a little off
/// (day and month swapped, a slip, one part off), and nothing else
/// agreeing: no middle name, no enrollment continuing the other, no
/// address or local number. Strangers of one name born a few days apart
/// look exactly like this: at 2,000,000 students such pairs were among the
/// 8 wrong clusters. On the generated 200,000-student bundle 33 right
/// merges (all without enrollments or addresses) go to a person instead.
pub(super) fn names_and_a_birth_date_off_alone(v: &[usize; N]) -> bool {
    const MIDDLE_AGREE: usize = 0;
    // One enrollment continuing the other is no longer enough: at 200,000
    // students two look-alikes born a day apart, one arriving in another
    // SAU a few days before the other left, merged (29 right merges of this
    // shape go to a person instead).
    v[FIRST] == 0
        && v[LAST] == 0
        && (1..=3).contains(&v[BIRTH])
        && v[MIDDLE] != MIDDLE_AGREE
        && !corroborated(v)
}

/// Both addresses known and different, and the first name, surname or
/// birth date not exactly the same: without enrollments, strangers of a
/// common name (Emily and Emma Wilson, born the same day; Rachel Samantha
/// Smith born 1994 and 1999) look like this as often as a re-registered
/// child with a typo.
pub(super) fn moved_and_not_exact(v: &[usize; N]) -> bool {
    let moved = v[ADDRESS_C] == 1 || v[ADDRESS_C] == 2;
    moved && (v[FIRST] != 0 || v[LAST] != 0 || v[BIRTH] != 0)
}

/// Scores every candidate pair, applies decisions (also to pairs blocking
/// never produced) and the policy.
pub(super) fn score_pairs(
    units: &[Unit],
    candidates: &[(u32, u32)],
    (vectors, facts): (&[Levels], &[facts::Facts]),
    scorer: &Scorer,
    decisions: &[Decision],
    config: &IdentityConfig,
) -> Vec<Scored> {
    // Decisions by unit (units are sorted by key: the smaller key's unit
    // first); a decision naming an unknown key is no pair.
    let unit = |k: &str| units.binary_search_by(|u| u.key.as_str().cmp(k)).ok();
    let decided: BTreeMap<(usize, usize), bool> = decided(decisions)
        .into_iter()
        .filter_map(|((a, b), merge)| Some(((unit(&a)?, unit(&b)?), merge)))
        .collect();
    let prior_odds = (scorer.model.prior / (1.0 - scorer.model.prior)).log2();
    let score_one = |((&(a, b), v), f): ((&(u32, u32), &Levels), &facts::Facts)| {
        let (a, b, v) = (a as usize, b as usize, &wide(v));
        let weights = scorer.weights(v, f);
        let evidence = weights.iter().sum::<f64>();
        let score = prior_odds + evidence;
        let probability = 1.0 / (1.0 + (-score).exp2());
        let (pattern, same) = (f.pattern, f.same_uncorroborated);
        let months = v[ENROLLMENT] == OVERLAP_MONTHS && !twins::one_number_one_home(v);
        let (outcome, reason) = outcome(
            decided.get(&(a.min(b), a.max(b))).copied(),
            pattern,
            months,
            same,
            missing_uncorroborated(v).then_some(evidence),
            probability,
            config,
        );
        let doubt = doubtful(v)
            .or_else(|| twins::one_first_name_two_middles(v))
            .or_else(|| {
                twins::newcomer_under_one_number(&units[a], &units[b], v)
                    .then_some(twins::NEWCOMER_UNDER_ONE_NUMBER)
            })
            .or_else(|| {
                twins::grade_goes_back(&units[a], &units[b], v).then_some(twins::GRADE_GOES_BACK)
            })
            .or_else(|| {
                twins::grade_back_birth_blank(&units[a], &units[b], v)
                    .then_some(twins::GRADE_BACK_BIRTH_BLANK)
            });
        let (outcome, reason) = match (outcome, doubt) {
            ("merge", Some(why)) if reason == "probable" => ("review", why.into()),
            ("merge", None) if reason == "probable" && evidence < MERGE_EVIDENCE_BITS => {
                ("review", THIN_EVIDENCE.into())
            }
            ("review", _) if pattern == Some("twins_or_siblings") && twins::siblings_apart(v) => {
                ("separate", twins::SIBLINGS_APART.into())
            }
            ("review", _) if weak_without_enrollment(v, evidence, &reason) => {
                ("separate", WEAK_WITHOUT_ENROLLMENT.into())
            }
            ("separate", _)
                if reason != "decision" && late_exit::late_exit(&units[a], &units[b], v) =>
            {
                ("review", late_exit::LATE_EXIT.into())
            }
            _ => (outcome, reason),
        };
        Scored {
            a: a.min(b) as u32,
            b: a.max(b) as u32,
            score: (score * 1000.0).round() / 1000.0,
            probability: (probability * 1e6).round() / 1e6,
            compared: true,
            levels: v.map(|l| l as u8),
            weights,
            outcome,
            reason,
            pattern: pattern.unwrap_or(""),
        }
    };
    // Pairs scored on both cores, in candidate order.
    let mut pairs: Vec<Scored> = candidates
        .par_iter()
        .zip(vectors.par_iter())
        .zip(facts.par_iter())
        .map(score_one)
        .collect();
    // Decisions on pairs blocking never produced (candidates are sorted).
    let extra: Vec<Scored> = decided
        .iter()
        .filter(|((a, b), _)| candidates.binary_search(&(*a as u32, *b as u32)).is_err())
        .map(|(&(a, b), &merge)| Scored {
            a: a as u32,
            b: b as u32,
            score: 0.0,
            probability: 0.0,
            compared: false,
            levels: [0; N],
            weights: [0.0; N],
            outcome: if merge { "merge" } else { "separate" },
            reason: "decision".into(),
            pattern: "",
        })
        .collect();
    pairs.extend(extra);
    pairs
}

/// Does this pair, not a merge, forbid its two units from ending in one
/// cluster through merges with others? A reviewer's "separate"; a pair sent
/// to a person (whatever the reason: the same names and birth date, a
/// pattern, thin evidence, the grey zone, a guarded merge); a pair kept
/// apart under a hard-negative pattern (twins enrolled at once for months);
/// a pair kept apart whose two were enrolled at once for more than 60 days
/// (two children: at 200,000 students a look-alike born a day later joined
/// the other through a duplicate of her with no enrollment). A pair kept
/// apart only for want of evidence (below the review threshold
/// with no pattern, a blank value with nothing independent agreeing) does
/// not: a child entered three times with a different defect each time is
/// often far from itself across two of the entries (see [`cluster`]).
pub(super) fn blocks_union(p: &Scored) -> bool {
    let months_at_once = usize::from(p.levels[ENROLLMENT]) == OVERLAP_MONTHS;
    match p.outcome {
        "review" => true,
        "separate" => p.reason == "decision" || !p.pattern.is_empty() || months_at_once,
        _ => false,
    }
}

/// The reason of a merge the cluster guard sends to a person: merging
/// would put `x` and `y` in one student, whose own pair is not a merge.
pub(super) fn guarded_reason(x: &str, y: &str, to_person: bool, pattern: &str) -> String {
    let what = if to_person {
        "went to a person"
    } else {
        "was kept apart"
    };
    let pattern = if pattern.is_empty() {
        String::new()
    } else {
        format!(" ({pattern})")
    };
    format!(
        "cluster_guard: probable, but it would join {x} and {y}, whose own pair {what}{pattern}: a person decides"
    )
}

/// Two units, one of each cluster, enrolled at once for more than 60 days
/// (two children), whether or not any blocking pass compared them (the
/// smaller pair first: the same pair on every run).
fn at_once_for_months(
    units: &[Unit],
    xs: &BTreeSet<usize>,
    ys: &BTreeSet<usize>,
) -> Option<(usize, usize)> {
    xs.iter().find_map(|&x| {
        ys.iter()
            .find(|&&y| overlap_days(&units[x].spans, &units[y].spans).is_some_and(|d| d > 60))
            .map(|&y| (x.min(y), x.max(y)))
    })
}

/// The reason of a merge the cluster guard sends to a person because it
/// would join two IDs enrolled at once for months.
pub(super) fn at_once_reason(x: &str, y: &str) -> String {
    format!(
        "cluster_guard: probable, but it would join {x} and {y}, enrolled at once for more than 60 days (two children, compared or not): a person decides"
    )
}

/// What [`cluster`] decided: each unit's surviving key, for each unit
/// merged the rule and score that merged it, and the merges the guard held
/// back (index into the pairs, the reason).
pub(super) struct Clustered {
    pub survivor_of_unit: Vec<String>,
    pub merged_by: BTreeMap<usize, (&'static str, f64)>,
    pub guarded: Vec<(usize, String)>,
}

/// Merged clusters. Decisions first (blocked only by a reviewer's
/// "separate" between any two members: a "merge" decision wins over any
/// score), then the strongest scores. The guard: an automatic merge is held
/// back, and goes to a person, when any pair already scored between its two
/// clusters forbids the union ([`blocks_union`]): without it, the
/// transitive closure of merges joined two children whose own pair was
/// queued (a generated 2,000-student bundle, seed 12: two children of the
/// same names and a birth date a day apart, through a same-ID conflict
/// unit; the personal-and-address bundle with blanks: a look-alike merged
/// at 5.4 through her look-alike's second ID, their own pair queued). A
/// held back merge forbids later unions as a review pair does. A same-ID
/// conflict (persons of one StateStudentID whose birth date or gender
/// differ) does not forbid by itself, only its scored pair does: on that
/// bundle the 24 merges it would have held back were all one child. A
/// merge is also held back when a sibling of one side matches the other
/// side at least as well ([`rivals`]), or when it would join two IDs
/// enrolled at once for more than 60 days that no blocking pass compared
/// ([`at_once_for_months`]: a record with a blank birth date merged with a
/// girl through her local number and with her cousin of one full name
/// through the cousin's address, the cousins born years apart and at
/// school at once: `tests/identity_small/adversary`).
pub(super) fn cluster(units: &[Unit], pairs: &[Scored]) -> Clustered {
    let mut blocking: BTreeMap<(usize, usize), usize> = pairs
        .iter()
        .enumerate()
        .filter(|(_, p)| blocks_union(p))
        .map(|(i, p)| ((p.a as usize, p.b as usize), i))
        .collect();
    let mut merges: Vec<usize> = (0..pairs.len())
        .filter(|&i| pairs[i].outcome == "merge")
        .collect();
    // By key is by unit: units are sorted by key.
    merges.sort_by_key(|&i| {
        let p = &pairs[i];
        let rank = if p.reason == "decision" { 0 } else { 1 };
        (rank, -p.score as i64, p.a, p.b)
    });
    let mut uf = UnionFind((0..units.len()).collect());
    let mut members: BTreeMap<usize, BTreeSet<usize>> =
        (0..units.len()).map(|i| (i, BTreeSet::from([i]))).collect();
    let mut merged_by: BTreeMap<usize, (&'static str, f64)> = BTreeMap::new();
    let mut guarded: Vec<(usize, String)> = Vec::new();
    let rivals = rivals::Rivals::of(pairs);
    for i in merges {
        let p = &pairs[i];
        let decision = p.reason == "decision";
        let (a, b) = (p.a as usize, p.b as usize);
        let (ra, rb) = (uf.find(a), uf.find(b));
        if ra == rb {
            continue;
        }
        // The first pair between the two clusters that forbids the union
        // (members in order: the same pair on every run).
        let forbids = |x: usize, y: usize| -> Option<usize> {
            match blocking.get(&(x.min(y), x.max(y))) {
                Some(&j) if !decision || pairs[j].reason == "decision" => Some(j),
                _ => None,
            }
        };
        let found = members[&ra].iter().find_map(|&x| {
            members[&rb]
                .iter()
                .find_map(|&y| forbids(x, y).map(|j| (x, y, j)))
        });
        if let Some((x, y, own)) = found {
            if !decision {
                let (x, y) = (x.min(y), x.max(y));
                let (kx, ky) = (units[x].key.as_str(), units[y].key.as_str());
                // A merge held back earlier is still "merge" in `pairs`.
                let to_person = pairs[own].outcome != "separate";
                guarded.push((i, guarded_reason(kx, ky, to_person, pairs[own].pattern)));
                blocking.insert((a, b), i);
            }
            continue;
        }
        if let Some((x, y)) = (!decision)
            .then(|| at_once_for_months(units, &members[&ra], &members[&rb]))
            .flatten()
        {
            let (kx, ky) = (units[x].key.as_str(), units[y].key.as_str());
            guarded.push((i, at_once_reason(kx, ky)));
            blocking.insert((a, b), i);
            continue;
        }
        if let Some((x, c, y)) = (!decision).then(|| rivals.rival(pairs, i)).flatten() {
            let key = |u: usize| units[u].key.as_str();
            guarded.push((i, rivals::rival_reason(key(x), key(c), key(y))));
            blocking.insert((a, b), i);
            continue;
        }
        uf.union(a, b);
        let root = uf.find(a);
        let other = if root == ra { rb } else { ra };
        let moved = members.remove(&other).unwrap_or_default();
        members.entry(root).or_default().extend(moved);
        let rule = if decision { "decision" } else { "probable" };
        merged_by.insert(a, (rule, p.score));
        merged_by.insert(b, (rule, p.score));
    }
    Clustered {
        survivor_of_unit: survivors(units, &members),
        merged_by,
        guarded,
    }
}

/// The surviving StateStudentID of each cluster: the earliest assigned
/// (earliest identity effective date), ties broken by the smaller ID. A
/// cluster with no ID keeps its provisional key and needs a New State ID.
pub(super) fn survivors(units: &[Unit], members: &BTreeMap<usize, BTreeSet<usize>>) -> Vec<String> {
    let mut survivor_of_unit: Vec<String> = vec![String::new(); units.len()];
    for group in members.values() {
        let survivor = group
            .iter()
            .filter(|&&u| units[u].has_state_id)
            .min_by(|&&x, &&y| {
                (units[x].first_seen.unwrap_or(NaiveDate::MAX), &units[x].key)
                    .cmp(&(units[y].first_seen.unwrap_or(NaiveDate::MAX), &units[y].key))
            })
            .or_else(|| {
                group
                    .iter()
                    .min_by(|&&x, &&y| units[x].key.cmp(&units[y].key))
            })
            .copied()
            .expect("non-empty cluster");
        for &u in group {
            survivor_of_unit[u] = units[survivor].key.clone();
        }
    }
    survivor_of_unit
}
