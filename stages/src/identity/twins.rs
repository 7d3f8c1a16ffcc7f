//! Twins the general patterns do not see: one first name, two middle
//! names.

use super::*;

/// Why a probable pair with the same first name and surname, a close birth
/// date, two different middle names and no enrollment on one side goes to a
/// person rather than being merged. Families give twins one first name and
/// tell them apart by the middle (Maria Fernanda and Maria Jose, John Paul
/// and John Michael): `twins_or_siblings` asks for different first names,
/// the same-name policy lets the shared address corroborate, and with no
/// enrollment to show two children at school at once such twins at one
/// address scored as one child (the hand-made bundle
/// `tests/identity_small/families`: both pairs merged automatically). On
/// the generated 200,000-student bundle no merged pair had this shape.
pub(super) fn one_first_name_two_middles(v: &[usize; N]) -> Option<&'static str> {
    const MIDDLE_DIFFERENT: usize = 2;
    const CLOSE_BIRTH: usize = 2;
    let same_names = v[FIRST] == 0 && v[LAST] <= 1;
    let no_enrollment = v[ENROLLMENT] == missing_level(ENROLLMENT);
    (same_names && v[MIDDLE] == MIDDLE_DIFFERENT && v[BIRTH] <= CLOSE_BIRTH && no_enrollment)
        .then_some(ONE_FIRST_NAME_TWO_MIDDLES)
}

/// The reason of [`one_first_name_two_middles`].
pub(super) const ONE_FIRST_NAME_TWO_MIDDLES: &str = "probable, but the same first name with two different middle names (as twins' can be: Maria Fernanda and Maria Jose) and no enrollment tells two children apart: a person decides";

#[cfg(test)]
mod tests {
    use super::*;

    fn exact_with_enrollment_missing() -> [usize; N] {
        let mut v = [0; N];
        v[ENROLLMENT] = missing_level(ENROLLMENT);
        v
    }

    #[test]
    fn one_first_name_two_middles_without_enrollment_goes_to_a_person() {
        let mut v = exact_with_enrollment_missing();
        assert_eq!(one_first_name_two_middles(&v), None, "one middle name");
        v[MIDDLE] = 2;
        assert_eq!(
            one_first_name_two_middles(&v),
            Some(ONE_FIRST_NAME_TWO_MIDDLES)
        );
        v[BIRTH] = 2;
        assert!(one_first_name_two_middles(&v).is_some(), "a day apart");
        v[BIRTH] = 3;
        assert_eq!(one_first_name_two_middles(&v), None, "a part off");
        v[BIRTH] = 0;
        v[MIDDLE] = 1;
        assert_eq!(one_first_name_two_middles(&v), None, "initial only");
        v[MIDDLE] = missing_level(MIDDLE);
        assert_eq!(one_first_name_two_middles(&v), None, "a middle blank");
        v[MIDDLE] = 2;
        v[FIRST] = 1;
        assert_eq!(one_first_name_two_middles(&v), None, "a nickname");
        v[FIRST] = 0;
        v[ENROLLMENT] = 0;
        assert_eq!(
            one_first_name_two_middles(&v),
            None,
            "enrollments tell them apart"
        );
    }
}
