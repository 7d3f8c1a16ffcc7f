//! Strangers of one birth date the general patterns pass: one name counted
//! twice, or a surname only alike, with nothing independent agreeing.

use super::*;

/// The first-name level "the first name is only the other's middle name".
const MIDDLE_AS_FIRST: usize = 2;

/// The middle-name level "agree".
const MIDDLE_AGREE: usize = 0;

/// The first name is only the other's middle name and the middle names
/// agree, with no address or local number agreeing. Both levels then rest
/// on one word: one child's first and middle names are one name (Mark Mark
/// Pelletier) and it is the other's middle name (Dylan Mark Pelletier), so
/// the name is counted twice, once as the first name and once as the
/// middle. The generator's re-registrations that use the middle name as
/// the first drop the middle name, so they never look so. On the generated
/// 4,000,000-student bundle (seed 2017, the twentieth session's generator)
/// 13 pairs of these levels merged: 3 strangers of one surname and birth
/// date (2 arriving as the other left, 1 continuing the other in one SAU,
/// with a surname only alike), and 10 duplicates, 8 of them with the
/// address or the local number agreeing: 2 right merges go to a person
/// for 3 wrong ones stopped.
pub(super) fn one_name_twice(v: &[usize; N]) -> bool {
    v[FIRST] == MIDDLE_AS_FIRST && v[MIDDLE] == MIDDLE_AGREE && !corroborated(v)
}

/// Why a probable pair [`one_name_twice`] matches goes to a person.
pub(super) const ONE_NAME_TWICE: &str = "probable, but the first name is only the other's middle name and the middle names agree: one name counted twice (one child's first and middle names are one name), with no address or local number agreeing: a person decides";

/// The surnames only alike (Jaro-Winkler 0.80, or a sound), or only alike
/// at 0.88 with the first name only the other's middle name, with no
/// middle name, address or local number agreeing: one first name (or a
/// middle name used as one), a birth date and one enrollment continuing
/// the other, which strangers of a common first name share. A
/// re-registration's surname typo is most often a letter apart (0.95),
/// which still merges. On the generated 4,000,000-student bundle (seed
/// 2017) 2 strangers merged so (30.4 and 32.6 bits, one ID's enrollments
/// beginning where the other's end in one SAU, at other addresses), with
/// 17 right merges of these levels (3 at 0.80, 14 at 0.88 with the middle
/// name used as the first): they go to a person.
pub(super) fn surname_only_alike(v: &[usize; N]) -> bool {
    const JARO_WINKLER_088: usize = 3;
    const JARO_WINKLER_080: usize = 4;
    const PHONETIC: usize = 5;
    let far = matches!(v[LAST], JARO_WINKLER_080 | PHONETIC)
        || (v[LAST] == JARO_WINKLER_088 && v[FIRST] == MIDDLE_AS_FIRST);
    far && v[MIDDLE] != MIDDLE_AGREE && !corroborated(v)
}

/// Why a probable pair [`surname_only_alike`] matches goes to a person.
pub(super) const SURNAME_ONLY_ALIKE: &str = "probable, but the surnames are only alike (more than a letter apart), with no middle name, address or local number agreeing, as strangers of one first name and birth date can be: a person decides";

#[cfg(test)]
mod tests {
    use super::*;

    /// The levels of a pair of strangers [`one_name_twice`] and
    /// [`surname_only_alike`] are about: the birth date and gender the
    /// same, one ID's enrollments beginning where the other's end, other
    /// addresses, no local number.
    fn strangers(first: usize, middle: usize, last: usize) -> [usize; N] {
        let mut v = [0; N];
        (v[FIRST], v[MIDDLE], v[LAST]) = (first, middle, last);
        v[LOCAL] = missing_level(LOCAL);
        v[ADDRESS_C] = 2;
        v
    }

    #[test]
    fn one_name_counted_twice_goes_to_a_person() {
        let v = strangers(MIDDLE_AS_FIRST, MIDDLE_AGREE, 0);
        assert_eq!(policy::doubtful(&v), Some("probable, but the first name is only the other's middle name and the middle names agree: one name counted twice (one child's first and middle names are one name), with no address or local number agreeing: a person decides"));
        let mut at_once = v;
        at_once[ENROLLMENT] = 1;
        assert!(one_name_twice(&at_once), "at once for a few days");
        for (c, level) in [(ADDRESS_C, 0), (LOCAL, 0)] {
            let mut w = v;
            w[c] = level;
            assert!(!one_name_twice(&w), "{} agreeing", COMPARATORS[c].0);
        }
        for (c, level) in [(FIRST, 0), (MIDDLE, missing_level(MIDDLE)), (MIDDLE, 2)] {
            let mut w = v;
            w[c] = level;
            assert!(!one_name_twice(&w), "{} at {level}", COMPARATORS[c].0);
        }
    }

    #[test]
    fn a_surname_only_alike_with_nothing_independent_goes_to_a_person() {
        let blank = missing_level(MIDDLE);
        let v = strangers(0, blank, 4);
        assert_eq!(policy::doubtful(&v), Some("probable, but the surnames are only alike (more than a letter apart), with no middle name, address or local number agreeing, as strangers of one first name and birth date can be: a person decides"));
        assert!(surname_only_alike(&strangers(0, blank, 5)), "a sound");
        assert!(surname_only_alike(&strangers(0, 2, 4)), "middles differ");
        assert!(surname_only_alike(&strangers(MIDDLE_AS_FIRST, blank, 3)));
        // At 0.88 with the first name the same, and a letter apart (0.95),
        // a re-registration's typo merges; so with the middle name agreeing.
        assert!(!surname_only_alike(&strangers(0, blank, 3)));
        assert!(!surname_only_alike(&strangers(MIDDLE_AS_FIRST, blank, 2)));
        assert!(!surname_only_alike(&strangers(0, MIDDLE_AGREE, 4)));
        for (c, level) in [(ADDRESS_C, 0), (LOCAL, 0)] {
            let mut w = v;
            w[c] = level;
            assert!(!surname_only_alike(&w), "{} agreeing", COMPARATORS[c].0);
        }
    }
}
