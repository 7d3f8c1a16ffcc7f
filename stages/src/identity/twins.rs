//! Twins the general patterns do not see: one first name, two middle
//! names.

use super::*;

/// The middle-name level "different" (both known, not one an initial of
/// the other).
pub(super) const MIDDLE_DIFFERENT: usize = 2;

/// The first-name level "nicknames of each other".
pub(super) const NICKNAME: usize = 1;

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
    const CLOSE_BIRTH: usize = 2;
    let same_names = v[FIRST] == 0 && (v[LAST] <= 1 || v[LAST] == missing_level(LAST));
    let no_enrollment = v[ENROLLMENT] == missing_level(ENROLLMENT);
    (same_names && v[MIDDLE] == MIDDLE_DIFFERENT && v[BIRTH] <= CLOSE_BIRTH && no_enrollment)
        .then_some(ONE_FIRST_NAME_TWO_MIDDLES)
}

/// The reason of [`one_first_name_two_middles`].
pub(super) const ONE_FIRST_NAME_TWO_MIDDLES: &str = "probable, but the same first name with two different middle names (as twins' can be: Maria Fernanda and Maria Jose) and no enrollment tells two children apart: a person decides";

/// The hard-negative pattern of twins with one first name: the same first
/// name and surname (or a compound part), two different middle names, birth
/// dates within three years (or one blank), at one address, unless one's
/// enrollments end where the other's begin under one local number (a
/// re-registration). `twins_or_siblings` asks for different first names, so
/// such twins at one school scored in the grey zone, a person asked about
/// two children the enrollments already tell apart (generated
/// 20,000-student bundle, twins Maria Fernanda and Maria Jose in one school
/// for years: both queued). Enrolled at once for months they are kept
/// apart, else a person decides. One address, not merely enrolled at once:
/// strangers of one name and birth date enrolled at once in one SAU are the
/// same-name policy's (a person decides).
pub(super) fn one_first_name_together(
    v: &[usize; N],
    close_birth: bool,
    re_registered: bool,
) -> bool {
    // A blank surname cannot tell a twin from a duplicate (a
    // personal-and-address bundle: such twins at one address merged).
    let same_names = v[FIRST] == 0 && (v[LAST] <= 1 || v[LAST] == missing_level(LAST));
    let one_address = v[ADDRESS_C] == 0;
    same_names && v[MIDDLE] == MIDDLE_DIFFERENT && close_birth && one_address && !re_registered
}

/// The pattern [`one_first_name_together`] names.
pub(super) const TWINS_ONE_FIRST_NAME: &str = "twins_one_first_name";

/// The reason of a [`TWINS_ONE_FIRST_NAME`] pair enrolled at once for more
/// than 60 days.
pub(super) const TWINS_ONE_FIRST_NAME_APART: &str =
    "twins_one_first_name: enrolled at once for months: two children";

/// The reason of a [`TWINS_ONE_FIRST_NAME`] pair over the review threshold.
pub(super) const TWINS_ONE_FIRST_NAME_REVIEW: &str = "twins_one_first_name: same first name and surname, two different middle names, close birth date, one address: a person decides";

/// A `twins_or_siblings` pair whose first names and birth dates both
/// differ outright (no typo, nickname, middle name or slip between them) is
/// two children: kept apart rather than queued. A duplicate would need two
/// whole values replaced at once; on the generated 20,000-student
/// personal-and-address bundle with blanks the 98 such pairs queued were
/// all siblings and twins, no duplicate.
pub(super) fn siblings_apart(v: &[usize; N]) -> bool {
    const FIRST_DIFFERENT: usize = 7;
    const BIRTH_DIFFERENT: usize = 4;
    v[FIRST] == FIRST_DIFFERENT && v[BIRTH] == BIRTH_DIFFERENT
}

/// The reason of a pair [`siblings_apart`] keeps apart.
pub(super) const SIBLINGS_APART: &str =
    "twins_or_siblings: different first names and birth dates: two children";

/// Enrolled at once for months, but under one local student number in one
/// SAU, at one address, first names a letter apart (Jaro-Winkler 0.95),
/// born the same day or a slip apart: one record of
/// the district's own system sent twice (a child re-registered under a new
/// StateStudentID while the first enrollment was never exited), not
/// two children, who would hold two numbers. Such a pair is not kept apart
/// as "two children at once": a hard-negative pattern still caps it at a
/// person. Counted (idlook9, twenty-second session) on the scored pairs:
/// none on the generated 400,000-student bundles (g400, t400) nor on the
/// 4,000,000 (n4m); in the red-team injection on g400 two re-registrations
/// so were kept apart as twins or siblings, and go to a person now. Siblings
/// given one number by mistake are born years apart (`families`: apart).
/// Narrowed to first names a letter apart (idlook10, twenty-third session):
/// the wider form sent the hand-made `adversary` twins (one number at one
/// address, first names different or at 0.88) to a person; the two injected
/// re-registrations were a letter apart. Counted again on the new
/// generator's 400,000 (with cousins, blended families and late exits), t400
/// and n4m: no pair of the shape at all; the injection: 2, both one child.
pub(super) fn one_number_one_home(v: &[usize; N]) -> bool {
    const A_DAY_OR_ONE_DIGIT_OFF: usize = 2;
    const JARO_WINKLER_095: usize = 3;
    v[ENROLLMENT] == OVERLAP_MONTHS
        && v[FIRST] == JARO_WINKLER_095
        && v[LOCAL] == 0
        && v[ADDRESS_C] == 0
        && v[BIRTH] <= A_DAY_OR_ONE_DIGIT_OFF
}

/// The first-name level "different" (not a nickname, the middle name, a
/// typo or a sound-alike).
pub(super) const FIRST_DIFFERENT: usize = 7;

/// Why a probable pair whose birth dates differ outright goes to a person
/// (at 200,000 students a sibling with the other's first name, at one
/// address, enrolled at once for weeks, merged).
pub(super) const BIRTH_DATES_DIFFER: &str =
    "probable, but the birth dates differ: a person decides";

/// Why a probable pair of one surname whose first names differ outright
/// goes to a person (at 200,000 students, twins with other first names one
/// after the other under one local number merged as a re-registration).
pub(super) const FIRST_NAMES_DIFFER: &str =
    "probable, but the surname is the same and the first names differ, as twins' and siblings' do: a person decides";

/// First names only alike (Jaro-Winkler 0.80 or 0.88: Jaden and Kaden),
/// the same surname and birth date, and no middle name agreeing: twins
/// whose second starts school under the first's local number as the first
/// leaves look exactly like this. On the generated 200,000-student bundle
/// 11 such twin pairs merged (with 23 right merges of one child's
/// re-registration; a closer first name, a typo, still merges).
pub(super) fn twin_names_alike(v: &[usize; N]) -> bool {
    const JARO_WINKLER_088: usize = 4;
    const JARO_WINKLER_080: usize = 5;
    const MIDDLE_AGREE: usize = 0;
    matches!(v[FIRST], JARO_WINKLER_088 | JARO_WINKLER_080)
        && v[LAST] == 0
        && v[BIRTH] == 0
        && v[MIDDLE] != MIDDLE_AGREE
}

/// Why a probable pair [`twin_names_alike`] matches goes to a person.
pub(super) const TWIN_NAMES_ALIKE: &str = "probable, but the first names are only alike (as twins' can be: Jaden and Kaden), with the same surname and birth date and no middle name agreeing: a person decides";

/// First names a letter apart (Jaro-Winkler 0.95: Jon and John), the same
/// surname and birth date, and middle names both known and different:
/// twins whose second takes the first's local number at one address as the
/// first leaves. On the generated 400,000-student bundle 2 such twin pairs
/// merged (score 41, every other comparison agreeing). The generator's
/// re-registrations keep their middle name or drop it, so a typo in a
/// first name still merges when the middle names agree or one is blank.
pub(super) fn twin_names_a_letter_apart(v: &[usize; N]) -> bool {
    const JARO_WINKLER_095: usize = 3;
    v[FIRST] == JARO_WINKLER_095 && v[LAST] == 0 && v[BIRTH] == 0 && v[MIDDLE] == MIDDLE_DIFFERENT
}

/// Why a probable pair [`twin_names_a_letter_apart`] matches goes to a
/// person.
pub(super) const TWIN_NAMES_A_LETTER_APART: &str = "probable, but the first names are a letter apart and the middle names differ (as twins' can be: Jon Michael and John David), with the same surname and birth date: a person decides";

/// The same first name and birth date, one surname a part of the other's
/// compound (Garcia, Garcia-Lopez), and nothing else known: no middle
/// name, enrollment, local number or address. Close to the same name and
/// birth date the policy sends to a person; on the generated
/// 200,000-student bundle one look-alike of this shape merged (with 10
/// right merges).
pub(super) fn compound_names_alone(v: &[usize; N]) -> bool {
    const COMPOUND: usize = 1;
    v[FIRST] == 0
        && v[LAST] == COMPOUND
        && v[BIRTH] == 0
        && v[MIDDLE] == missing_level(MIDDLE)
        && v[ENROLLMENT] == missing_level(ENROLLMENT)
        && v[LOCAL] == missing_level(LOCAL)
        && v[ADDRESS_C] != 0
}

/// Why a probable pair [`compound_names_alone`] matches goes to a person.
pub(super) const COMPOUND_NAMES_ALONE: &str = "probable, but only the first name, the birth date and a surname part of the other's compound agree (no middle name, enrollment, local number or address): a person decides";

/// The birth dates not the same (swapped, a slip, one part off), one
/// ID's enrollments ending and the other's beginning within 120 days in
/// another SAU (no plausible transfer), and no address or local number
/// agreeing. The same names with the same birth date and nothing
/// independent agreeing go to a person under the same-name policy;
/// with the birth date a little off, a weaker likeness, such a pair
/// merged when the middle names agreed: the hand-made
/// `tests/identity_small/lookalikes` holds two Jacob James Martin, born
/// 4 March and 3 April, one leaving Brooks in June and the other starting
/// in Fryeburg in the fall, which a state's weights (the generated
/// 200,000-student model's: 35.2 bits against the 26.2 its threshold asks)
/// would merge. On that generated bundle all 14 merges with this
/// enrollment level and a birth date off had one address: none changes.
pub(super) fn arrives_elsewhere_birth_off(v: &[usize; N]) -> bool {
    (1..=3).contains(&v[BIRTH]) && v[ENROLLMENT] == ENDS_THEN_ELSEWHERE && !policy::corroborated(v)
}

/// Why a probable pair [`arrives_elsewhere_birth_off`] matches goes to a
/// person.
pub(super) const ARRIVES_ELSEWHERE_BIRTH_OFF: &str = "probable, but the birth dates are not the same and one begins in another SAU as the other ends, with no address or local number agreeing (as a stranger of one name can): a person decides";

/// One address the only independent evidence (no enrollment on one
/// side), no middle name agreeing, and the surnames differing outright or
/// the birth dates a slip or one part apart. An address is where
/// step-siblings, cousins and twins live too: the hand-made
/// `tests/identity_small/lookalikes` holds step-sisters Emma Smith and Emma
/// Jones born the same day, and cousins Joseph Bouchard born a year apart
/// to the day, at one address, the younger never enrolled; added to the
/// generated 200,000-student bundle both merged (8.3 and 18.1). On that
/// bundle no merge has this shape; on the personal-and-address bundle
/// with blanks 12 right merges go to a person instead (queue 8.80x ->
/// 8.92x the forced, recall after review unchanged).
pub(super) fn home_alone_not_exact(v: &[usize; N]) -> bool {
    const SURNAME_DIFFERENT: usize = 6;
    let at_home = v[ADDRESS_C] == 0 && v[ENROLLMENT] == missing_level(ENROLLMENT);
    let not_exact = v[LAST] == SURNAME_DIFFERENT || matches!(v[BIRTH], 2 | 3);
    at_home && v[MIDDLE] != 0 && not_exact
}

/// Why a probable pair [`home_alone_not_exact`] matches goes to a person.
pub(super) const HOME_ALONE_NOT_EXACT: &str = "probable, but only the address agrees beyond the names and birth date, as step-siblings', cousins' and twins' does, and the surnames differ or the birth dates are a slip apart, with no enrollment to tell two children apart: a person decides";

/// Why a probable pair whose surnames differ outright and whose first
/// name is only the other's middle name goes to a person: one word is all
/// the names share, and a middle name that agrees too is often that same
/// word counted twice (Zachary William and William William, two
/// strangers born the same day, one arriving in another SAU ten days after
/// the other left: the one wrong automatic merge on the generated
/// 200,000-student bundle, 8.0; of the 8,782 pairs there of this shape none
/// was one child).
pub(super) const ONE_WORD_IN_COMMON: &str = "probable, but the surnames differ and the first name is only the other's middle name: a person decides";

/// The first names agree exactly, but only as an initial: no first name
/// of two letters or more is the same on both sides (straight, or against
/// the other's surname when the names are swapped). A one-letter first
/// name is weighed as a name of a state's usual rarity, and the same
/// initial, surname and birth date at one address passes as one child
/// however many twins share the initial: the hand-made
/// `tests/identity_small/lookalikes` merged twins Matthew and Michael
/// Tremblay entered as "M Tremblay", one never enrolled (25.7). A person
/// decides over the review threshold; below it they are kept apart.
pub(super) fn initials_only(a: &Unit, b: &Unit, v: &[usize; N], names: &names::Names) -> bool {
    let full = |f: u32| names.text(f).chars().count() > 1;
    let full_agrees = a
        .name_ids
        .iter()
        .any(|&(f, _)| full(f) && b.name_ids.iter().any(|&(g, m)| f == g || f == m));
    v[FIRST] == 0 && !full_agrees
}

/// The pattern [`initials_only`] names.
pub(super) const INITIALS_ONLY: &str = "initials_only";

/// The reason of an [`INITIALS_ONLY`] pair over the review threshold.
pub(super) const INITIALS_ONLY_REVIEW: &str = "initials_only: the first names agree only as one initial, which twins and siblings can share: a person decides";

/// A first name, surname or birth date not the same, the local student
/// numbers different in the SAU both were enrolled in, and no address
/// agreeing. A school that takes a child back gives him his own number
/// again; a new number with a new address and a name or birth date not the
/// same is as often another child, as cousins named for one grandfather and
/// strangers of a common name are: the hand-made
/// `tests/identity_small/cousins` holds two Owen James Pelletier born 4
/// March and 4 August of one year, and cousins Jaden Thomas and Jayden
/// Thomas Cyr born the same day, each pair one leaving a school in June and
/// the other starting there in the fall, both merged automatically (19.6
/// and 19.6; added to the generated 200,000-student bundle 14.6 and 19.1,
/// with Mike and Michael Smith born the same day in one SAU, 11.0: the
/// middle name agreeing, or none, let the other rules pass). On that bundle
/// 1 right merge goes to a person instead, at 400,000 students 3.
pub(super) fn other_local_number_not_exact(v: &[usize; N]) -> bool {
    const LOCAL_DIFFERENT: usize = 1;
    let not_exact = v[FIRST] != 0 || v[LAST] != 0 || v[BIRTH] != 0;
    not_exact && v[LOCAL] == LOCAL_DIFFERENT && v[ADDRESS_C] != 0
}

/// Why a probable pair [`other_local_number_not_exact`] matches goes to a
/// person.
pub(super) const OTHER_LOCAL_NUMBER_NOT_EXACT: &str = "probable, but a name or the birth date is not the same and the local numbers differ in the SAU both were in, with no address agreeing (as cousins and strangers of one name can): a person decides";

/// Both middle names known and different, on a pair otherwise probable.
/// Families give twins one first name and tell them apart by the middle
/// (John Paul and John Michael), and one twin can leave a school as the
/// other arrives, under one local number at one address: the generated
/// 4,000,000-student bundle merged seven such twins automatically (scores
/// 23.6 to 42.7: the same first name, surname and birth date, one
/// enrollment ending where the other begins, the same local number), and
/// one pair of strangers with nicknames of each other. Of its 42,528
/// automatic merges none with two different middle names was one child;
/// at 200,000 and 400,000 students no automatic merge had this shape.
pub(super) fn two_middle_names(v: &[usize; N]) -> bool {
    v[MIDDLE] == MIDDLE_DIFFERENT
}

/// Why a probable pair [`two_middle_names`] matches goes to a person.
pub(super) const TWO_MIDDLE_NAMES: &str = "probable, but both middle names are known and differ (twins of one first name are told apart by the middle name, and one can leave a school as the other arrives under the same local number): a person decides";

/// A first name not the same, two local numbers in the SAU both were in,
/// and enrolled at once for weeks: two children at school together, as
/// twins are. The generated 4,000,000-student bundle merged one pair of
/// twins so (one's first name the other's middle name, the same surname,
/// birth date and address: 13.4); of its 42,528 automatic merges none
/// other had this shape.
pub(super) fn at_once_under_two_local_numbers(v: &[usize; N]) -> bool {
    const LOCAL_DIFFERENT: usize = 1;
    v[FIRST] != 0 && v[LOCAL] == LOCAL_DIFFERENT && v[ENROLLMENT] == OVERLAP_WEEKS
}

/// Why a probable pair [`at_once_under_two_local_numbers`] matches goes to
/// a person.
pub(super) const AT_ONCE_UNDER_TWO_LOCAL_NUMBERS: &str = "probable, but the first names are not the same, the local numbers differ in the SAU both were in, and the two were enrolled at once for weeks (as twins at one school are): a person decides";

/// One name only alike (a first name a nickname, a letter or a sound
/// apart with the surname the same or a part; or the first name the same
/// and the surname a compound part, a letter or a sound apart), the same
/// birth date, and nothing independent agreeing: no address or local
/// number, and no enrollment continuing the other (one arriving in another
/// SAU as the other leaves, never at once, or none). The same first name,
/// surname and birth date in different places is a `look_alike` a person
/// decides, whatever the middle names; a name a nickname or a letter from
/// it is less, not more: the hand-made `tests/identity_small/cousins`
/// holds Mike Smith and Michael Smith, Michael James and Mike James Smith,
/// and Emily Johnson and Emily Johnston, born the same day, one leaving one
/// SAU in June and the other arriving in another in the fall; added to the
/// generated 200,000-student bundle the first two merged (5.8, 14.7) and
/// the third missed the merge threshold by 0.3. On that bundle 24 right
/// merges go to a person instead (23 with the middle name agreeing), at
/// 400,000 students 54.
pub(super) fn near_look_alike(v: &[usize; N]) -> bool {
    const PHONETIC_FIRST: usize = 6;
    const PHONETIC_LAST: usize = 5;
    let first_alike = v[FIRST] == NICKNAME || (3..=PHONETIC_FIRST).contains(&v[FIRST]);
    let names =
        (first_alike && v[LAST] <= 1) || (v[FIRST] == 0 && (1..=PHONETIC_LAST).contains(&v[LAST]));
    names && v[BIRTH] == 0 && !policy::corroborated(v) && policy::enrollments_apart(v)
}

/// Why a probable pair [`near_look_alike`] matches goes to a person.
pub(super) const NEAR_LOOK_ALIKE: &str = "probable, but one name is only alike (a nickname, a letter or a sound apart) and nothing independent agrees (no address, local number or enrollment continuing the other), as with strangers of a common name: a person decides";

/// The same first name, middle name and surname, the birth dates a little
/// apart (day and month swapped, a slip, one part off), both enrolled but
/// in no SAU in common (the local number "missing") with no enrollment at
/// once for more than weeks, and no address agreeing. Cousins named
/// for one grandparent look exactly like this: the hand-made
/// `tests/identity_small/shapes` holds two Nathan Joseph Gagnon born 14 and
/// 15 May of one year, one leaving Brooks Elementary on a Friday in
/// January and the other entering Fryeburg Elementary the Monday after, at
/// other addresses: merged automatically (17.2; added to the generated
/// 200,000-student bundle 20.4). With the birth date the same the pair is a
/// `look_alike` a person decides; a birth date a little off is weaker
/// evidence, not stronger. [`policy::names_and_a_birth_date_off_alone`]
/// sends the same shape to a person when the middle names do not agree.
/// On the generated 200,000-student bundle 45 right merges go to a person
/// instead. At school at once for weeks (15 to 60 days) in other SAUs is
/// no more evidence of one child (idlook11, twenty-fourth session): on the
/// generated 4,000,000-student bundle (seed 2017, the twenty-third
/// session's generator) two of its three wrong clusters were strangers of
/// one whole name born a day apart, at once for weeks in other SAUs at
/// other addresses (4.6 and 14.6), with 9 right merges of those levels,
/// which go to a person instead. The same shape was the one wrong merge
/// at 150,000 students (namegen1, the same session: 794648361 and
/// 959767659, 11.69), no right merge lost there.
pub(super) fn one_full_name_birth_off_elsewhere(v: &[usize; N]) -> bool {
    const MIDDLE_AGREE: usize = 0;
    let names = v[FIRST] == 0 && v[MIDDLE] == MIDDLE_AGREE && v[LAST] == 0;
    let apart_or_weeks = v[ENROLLMENT] <= 2 || v[ENROLLMENT] == OVERLAP_WEEKS;
    let other_saus = v[LOCAL] == missing_level(LOCAL) && apart_or_weeks;
    names && (1..=3).contains(&v[BIRTH]) && other_saus && !policy::corroborated(v)
}

/// Why a probable pair [`one_full_name_birth_off_elsewhere`] matches goes
/// to a person.
pub(super) const ONE_FULL_NAME_BIRTH_OFF_ELSEWHERE: &str = "probable, but only the whole name (the middle name too) and a birth date a little off agree, in SAUs with none in common and no address agreeing (as cousins named for one grandparent can): a person decides";

/// Both names different (neither a nickname, a typo, a sound-alike nor a
/// part of the other), the birth date the same, never enrolled at once for
/// more than a few days, and something independent of the names agreeing:
/// the address, the local student number in one SAU, or one ID's last
/// enrollment ending and the other's first beginning in one SAU within two
/// weeks. A child adopted and renamed whole keeps his birth date and often
/// his home or his school; no comparison of names can find him, and no
/// score should merge him: a person decides, whatever the score. The
/// hand-made `tests/identity_small/shapes` holds Tyler Beaulieu renamed
/// Ethan Carrier (one address, the old ID leaving Brooks Elementary on a
/// Friday and the new one entering there on the Tuesday) and Dmitri
/// Alexander Volkov renamed Daniel Alexander Hall (a new address, his
/// school and local number kept): before, no blocking pass paired either.
pub(super) fn renamed_whole(a: &Unit, b: &Unit, v: &[usize; N]) -> bool {
    const SURNAME_DIFFERENT: usize = 6;
    let renamed = v[FIRST] == FIRST_DIFFERENT && v[LAST] == SURNAME_DIFFERENT && v[BIRTH] == 0;
    let apart = !matches!(v[ENROLLMENT], OVERLAP_WEEKS | OVERLAP_MONTHS);
    renamed && apart && (policy::corroborated(v) || continues_in_sau(a, b))
}

/// The pattern [`renamed_whole`] names.
pub(super) const RENAMED_WHOLE: &str = "renamed_whole";

/// The reason of a [`RENAMED_WHOLE`] pair.
pub(super) const RENAMED_WHOLE_REVIEW: &str = "renamed_whole: both names different, the same birth date, and the address, the local number or one enrollment continuing the other in one SAU within two weeks agree (a child adopted and renamed): a person decides";

/// The birth dates one part off (the level `one_part_off`: not a slip)
/// with the years at least [`GENERATION_YEARS`] apart, every birth date of
/// one against every one of the other: the same day and month of birth a
/// generation apart, as a father and the son named for him and born on
/// his birthday (Jr., II) are. A typist's slip in the year (a digit off,
/// two digits swapped, a year apart) is the level below; a year this far
/// off with the day and month kept is not a slip. The hand-made
/// `tests/identity_small/lookalike5` holds Luc Andre Gagnon born 2 June
/// 1986 (an old ID) and his son Luc Andre Gagnon II born 2 June 2010, one
/// address: merged automatically (21.3 bits: the names and the address,
/// the year's being one part off weighing +0.3).
pub(super) fn a_generation_apart(a: &Unit, b: &Unit, v: &[usize; N]) -> bool {
    const ONE_PART_OFF: usize = 3;
    let far = |x: &NaiveDate| {
        b.births
            .iter()
            .all(|y| x.year().abs_diff(y.year()) >= GENERATION_YEARS)
    };
    v[BIRTH] == ONE_PART_OFF && a.births.iter().all(far)
}

/// Birth years this far apart are more than a school career (kindergarten
/// to grade 12): two people, not one child's two records.
pub(super) const GENERATION_YEARS: u32 = 13;

/// The pattern [`a_generation_apart`] names.
pub(super) const A_GENERATION_APART: &str = "a_generation_apart";

/// The reason of an [`A_GENERATION_APART`] pair over the review threshold.
pub(super) const A_GENERATION_APART_REVIEW: &str = "a_generation_apart: the same day and month of birth, the years 13 or more apart (not a slip: a parent and a child of one name, Jr.): a person decides";

/// A move and nothing else: both IDs enrolled, in SAUs with none in
/// common (the local number "missing"), at addresses known and not the
/// same. One ID's enrollments continuing the other's is then only timing,
/// which any child leaving an SAU and any other arriving elsewhere share:
/// in a state of millions, a stranger of one name and age does so every
/// week.
fn moved_elsewhere(v: &[usize; N]) -> bool {
    v[ENROLLMENT] != missing_level(ENROLLMENT)
        && v[LOCAL] == missing_level(LOCAL)
        && matches!(v[ADDRESS_C], 1 | 2)
}

/// A move ([`moved_elsewhere`]) with a first name or surname not the same
/// and the birth date not the same: two values slipped at once, and
/// nothing independent agreeing. The generated 4,000,000-student bundle
/// merged eight pairs of strangers so (scores 4.4 to 8.2: the first name
/// the other's middle name with the birth year a digit off, a surname a
/// letter or a sound off with the birth month or day off; one of them
/// enrolled at once for weeks in two SAUs), against 535 right merges of
/// this shape (of 42,523), which go to a person instead; at 400,000
/// students 70 right merges and no wrong one.
pub(super) fn moved_name_and_birth_off(v: &[usize; N]) -> bool {
    moved_elsewhere(v) && (v[FIRST] != 0 || v[LAST] != 0) && v[BIRTH] != 0
}

/// Why a probable pair [`moved_name_and_birth_off`] matches goes to a
/// person.
pub(super) const MOVED_NAME_AND_BIRTH_OFF: &str = "probable, but a name and the birth date are not the same, and one ID's enrollments continue the other's only in another SAU at another address (no local number or address agreeing), as a stranger's of one name can: a person decides";

/// A move ([`moved_elsewhere`]) with the surnames different outright: the
/// first name, middle name and birth date may all agree, yet nothing tells
/// a child renamed on moving from a stranger of those three. The
/// generated 4,000,000-student bundle merged two pairs of strangers so
/// (7.3 and 7.7: the same first name, middle name and birth date, one
/// leaving an SAU as the other entered another), against 58 right merges
/// (at 400,000 students 8 and none wrong). `SURNAMES_DIFFER_ALONE` asks
/// for the middle name not agreeing; with it agreeing the pair merged.
pub(super) fn moved_new_surname(v: &[usize; N]) -> bool {
    const SURNAME_DIFFERENT: usize = 6;
    moved_elsewhere(v) && v[LAST] == SURNAME_DIFFERENT
}

/// Why a probable pair [`moved_new_surname`] matches goes to a person.
pub(super) const MOVED_NEW_SURNAME: &str = "probable, but the surnames differ, and one ID's enrollments continue the other's only in another SAU at another address (no local number or address agreeing), as a stranger's of one first name, middle name and birth date can: a person decides";

/// The same local number in the SAU both were in, the first names not the
/// same, and the addresses known and different: the number is all that
/// agrees beyond a surname and birth date, and a school can hand a twin
/// the number the other left (the generator's
/// `twins_local_number_reused`). At 4,000,000 students one such pair of
/// twins merged (28.3: Jaro-Winkler 0.95 first names, the same surname and
/// birth date, one leaving as the other started, another address); no
/// candidate pair there with the same local number and addresses not the
/// same was one child (42,519 pairs), nor at 400,000 (4,239): the
/// generator's re-registered children keep their address, where a real
/// child who moved within the SAU would not, and would go to a person.
pub(super) fn number_kept_home_changed(v: &[usize; N]) -> bool {
    v[LOCAL] == 0 && matches!(v[ADDRESS_C], 1 | 2) && v[FIRST] != 0
}

/// Why a probable pair [`number_kept_home_changed`] matches goes to a
/// person.
pub(super) const NUMBER_KEPT_HOME_CHANGED: &str = "probable, but the first names are not the same and the addresses differ, the local number alone agreeing (a school can give a twin or a sibling the number the other left): a person decides";

/// The first names traded: a first name of one ID's rows is a first name
/// of the other's (the comparator's best level exact), the surname and
/// birth date the same, and yet the two IDs' earliest rows carry different
/// first names and so do their latest rows, each ID holding two first
/// names or more. Twins whose first names a
/// school swapped for a year and put right (Owen's ID reading Eli for
/// 2015-16, Eli's reading Owen) look so; one child registered twice does
/// not: the new ID's rows agree with the old ID's latest or earliest name
/// (a name corrected on one ID leaves the other's earliest or latest row
/// agreeing), and a child entered once with her first name and surname
/// swapped holds one first name on each ID (a generated 20,000-student
/// bundle: 37 such duplicates queued before each ID was asked for two
/// first names). The hand-made `tests/identity_small/lookalike7_pa` (names,
/// birth dates and addresses only) merged such twins automatically (24.1
/// bits: the whole name, birth date and address of the swapped rows).
pub(super) fn names_traded(a: &Unit, b: &Unit, v: &[usize; N]) -> bool {
    let (Some((a0, a1)), Some((b0, b1))) = (a.first_ends, b.first_ends) else {
        return false;
    };
    let two_firsts = |u: &Unit| {
        let first = u.name_ids.iter().next().map(|n| n.0);
        u.name_ids.iter().any(|n| Some(n.0) != first)
    };
    let traded = a0.1 != b0.1 && a1.1 != b1.1 && two_firsts(a) && two_firsts(b);
    v[FIRST] == 0 && v[LAST] == 0 && v[BIRTH] == 0 && traded
}

/// The pattern [`names_traded`] names.
pub(super) const NAMES_TRADED: &str = "names_traded";

/// The reason of a [`NAMES_TRADED`] pair enrolled at once for months.
pub(super) const NAMES_TRADED_APART: &str = "names_traded: the first names traded between the two IDs (their earliest rows and their latest rows name different children of one surname and birth date) and enrolled at once for months: two children";

/// The reason of a [`NAMES_TRADED`] pair over the review threshold.
pub(super) const NAMES_TRADED_REVIEW: &str = "names_traded: the first names traded between the two IDs (their earliest rows and their latest rows name different children of one surname and birth date), as twins' records swapped for a year: a person decides";

/// Turns under one number: the first names a letter apart (Jaro-Winkler
/// 0.95) with no middle name on one side to tell them, the same surname
/// and birth date, and one ID's enrollments beginning where the other's
/// end under the same local number at one address. One child
/// re-registered with a typo looks so, and so do twins taking turns at one
/// school, the second given the number the first left (the generator's
/// `twins_local_number_reused`, the documented known limit): in the
/// generated 400,000-student bundle of the eighteenth session's generator
/// (seed 2017), 46 pairs had these levels and merged (44-46 bits), 2 of
/// them twins, the run's only wrong merges; with the middle names agreeing
/// (79 pairs) none was.
pub(super) fn turns_under_one_number(v: &[usize; N]) -> bool {
    const JARO_WINKLER_095: usize = 3;
    let names = v[FIRST] == JARO_WINKLER_095
        && v[MIDDLE] == missing_level(MIDDLE)
        && v[LAST] == 0
        && v[BIRTH] == 0;
    names && v[ENROLLMENT] == ENDS_WHERE_BEGINS && v[LOCAL] == 0 && v[ADDRESS_C] == 0
}

/// Why a probable pair [`turns_under_one_number`] matches goes to a
/// person.
pub(super) const TURNS_UNDER_ONE_NUMBER: &str = "probable, but the first names are a letter apart with no middle name to tell them, and one ID's enrollments begin where the other's end under the same local number at one address, as twins taking turns at one school can (a school can give a twin the number the other left): a person decides";

/// Turns under one number with one middle name: the first names a letter
/// apart (Jaro-Winkler 0.95), the middle names, surname and birth date
/// the same, one ID's enrollments beginning where the other's end under
/// the same local number at one address, and the later ID's first row not
/// marked continuing (StartStatus other than 02, or blank): the school
/// took that child as new to it, as it takes a twin arriving, where a
/// child it registered again under a new ID continues there. Twins who
/// drew one middle name look so (the generator's
/// `twins_local_number_reused`): in the generated 400,000-student bundle
/// of the eighteenth session's generator (seed 2017) 61 pairs had these
/// names and enrollments and merged (the run's one wrong merge among them,
/// at 55.1 bits); the twin's first row was new (01), each of the 60
/// children's continuing (02). So is every other pair of this shape there
/// (36, a middle name blank: 35 children and one twin).
pub(super) fn newcomer_under_one_number(a: &Unit, b: &Unit, v: &[usize; N]) -> bool {
    const JARO_WINKLER_095: usize = 3;
    let names = v[FIRST] == JARO_WINKLER_095 && v[MIDDLE] == 0 && v[LAST] == 0 && v[BIRTH] == 0;
    let turns = v[ENROLLMENT] == ENDS_WHERE_BEGINS && v[LOCAL] == 0 && v[ADDRESS_C] == 0;
    let later = if a.entered <= b.entered { b } else { a };
    names && turns && later.enters_new
}

/// Why a probable pair [`newcomer_under_one_number`] matches goes to a
/// person.
pub(super) const NEWCOMER_UNDER_ONE_NUMBER: &str = "probable, but the first names are a letter apart, and one ID's enrollments begin where the other's end under the same local number at one address with its first enrollment not marked continuing, as a twin's arriving at the school can (a school can give a twin the number the other left): a person decides";

/// One ID's enrollments begin (after the other's end) at least
/// [`GRADE_DROP`] grades below the grade the other's ended in: no child
/// goes back so far (a retention is one grade; of the 4,235 true pairs of
/// IDs one after the other in the generated 400,000-student bundle, none
/// goes back a grade), but a parent who
/// graduated and the child of one name starting kindergarten the fall
/// after, or an older and a younger sibling of one name, look so. In a
/// generated 20,000-student bundle with such families added
/// (`tests/identity_small/inject_redteam2.py`), a father leaving grade 12
/// (graduated) in June and his son of one first name and surname starting
/// kindergarten at the family's address in the fall, the son's birth date
/// blank, merged automatically (37.3 bits: the names, the address, and the
/// son's enrollments "continuing" the father's, +7.5). With one side's
/// birth date and middle name blank (`--blank-share 0.4`, three seeds),
/// 13, 10 and 5 parent-and-child pairs merged (none now), and brothers of
/// one name 1 to 3 years apart, the younger arriving as the elder left,
/// 9, 3 and 4 (7, 1 and 2 now: a grade apart is a held-back child's
/// records too).
pub(super) fn grade_goes_back(a: &Unit, b: &Unit, v: &[usize; N]) -> bool {
    grades_back(a, b, v) >= GRADE_DROP
}

/// The most grades one ID's enrollments begin below the grade the other's
/// ended in, the later beginning after the earlier ended (0 when neither
/// does, when a grade is unknown, or when the two were at school at once
/// for weeks or months: another rule's question).
fn grades_back(a: &Unit, b: &Unit, v: &[usize; N]) -> i16 {
    if matches!(v[ENROLLMENT], OVERLAP_WEEKS | OVERLAP_MONTHS) {
        return 0;
    }
    let back = |from: &Unit, to: &Unit| match (from.grade_ends, to.grade_ends) {
        (Some((_, (left, last))), Some(((entered, first), _)))
            if entered + chrono::Duration::days(TRANSFER_DAYS) >= left =>
        {
            i16::from(last) - i16::from(first)
        }
        _ => 0,
    };
    back(a, b).max(back(b, a))
}

/// [`grades_back`] one grade with a birth date blank: brothers of one
/// first name and surname, the younger arriving a grade below as the elder
/// leaves, his birth date blank, merged automatically in redteam2's
/// injected bundles (`--blank-share 0.4`: 7, 1 and 2 pairs with
/// [`grade_goes_back`]); with both birth dates known the birth date tells
/// them apart, and a child's own records never went back a grade in the
/// generated 400,000-student bundle.
pub(super) fn grade_back_birth_blank(a: &Unit, b: &Unit, v: &[usize; N]) -> bool {
    v[BIRTH] == missing_level(BIRTH) && grades_back(a, b, v) >= 1
}

/// Why a probable pair [`grade_back_birth_blank`] matches goes to a person.
pub(super) const GRADE_BACK_BIRTH_BLANK: &str = "probable, but a birth date is blank and one ID's enrollments begin a grade or more below the grade the other's ended in (a younger sibling of one name arriving as the elder leaves can): a person decides";

/// Grades back from one ID's last enrollment to the other's first that no
/// one child's records show ([`grade_goes_back`]): a retention is one.
pub(super) const GRADE_DROP: i16 = 2;

/// Why a probable pair [`grade_goes_back`] matches goes to a person.
pub(super) const GRADE_GOES_BACK: &str = "probable, but one ID's enrollments begin two or more grades below the grade the other's ended in, which no one child's do (a parent and a child, or two siblings, of one name): a person decides";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_number_one_home_at_once_is_not_two_children() {
        let mut v = [0; N];
        v[FIRST] = 3;
        v[ENROLLMENT] = OVERLAP_MONTHS;
        assert!(one_number_one_home(&v));
        v[BIRTH] = 2;
        assert!(one_number_one_home(&v), "a day off");
        for (c, level) in [
            (LOCAL, 1),
            (LOCAL, missing_level(LOCAL)),
            (ADDRESS_C, 1),
            (ADDRESS_C, missing_level(ADDRESS_C)),
            (BIRTH, 3),
            (BIRTH, 4),
            (ENROLLMENT, OVERLAP_WEEKS),
            (FIRST, 0),
            (FIRST, 4),
            (FIRST, FIRST_DIFFERENT),
        ] {
            let mut w = v;
            w[c] = level;
            assert!(!one_number_one_home(&w), "{} at {level}", COMPARATORS[c].0);
        }
    }

    #[test]
    fn a_compound_surname_with_nothing_else_known_goes_to_a_person() {
        let mut v = [0; N];
        v[LAST] = 1;
        for c in [MIDDLE, ENROLLMENT, LOCAL, ADDRESS_C] {
            v[c] = missing_level(c);
        }
        assert_eq!(
            policy::doubtful(&v),
            Some("probable, but only the first name, the birth date and a surname part of the other's compound agree (no middle name, enrollment, local number or address): a person decides")
        );
        v[ADDRESS_C] = 0;
        assert_eq!(policy::doubtful(&v), None, "one address");
    }

    #[test]
    fn first_names_only_alike_with_one_surname_and_birth_date_go_to_a_person() {
        let mut v = [0; N];
        v[FIRST] = 4;
        v[MIDDLE] = missing_level(MIDDLE);
        assert_eq!(
            policy::doubtful(&v),
            Some("probable, but the first names are only alike (as twins' can be: Jaden and Kaden), with the same surname and birth date and no middle name agreeing: a person decides")
        );
        v[FIRST] = 5;
        assert_eq!(policy::doubtful(&v), Some(TWIN_NAMES_ALIKE));
        // A letter apart (Jaden and Jadon) is not "only alike"; with one
        // ID continuing the other under one number at one address and no
        // middle name, a person decides (it merged until the eighteenth
        // session: `turns_under_one_number`).
        v[FIRST] = 3;
        assert_eq!(
            policy::doubtful(&v),
            Some(TURNS_UNDER_ONE_NUMBER),
            "a typo: Jaden and Jadon"
        );
        v[FIRST] = 4;
        v[MIDDLE] = 0;
        assert_eq!(policy::doubtful(&v), None, "one middle name");
    }

    /// Twins a letter apart with different middle names, taking turns
    /// under one local number at one address (a generated 400,000-student
    /// bundle: score 41, merged), go to a person; a typo with the middle
    /// name kept still merges, with a middle name blank a person decides
    /// (`turns_under_one_number`, eighteenth session).
    #[test]
    fn first_names_a_letter_apart_with_other_middle_names_go_to_a_person() {
        let mut v = [0; N];
        v[FIRST] = 3;
        v[MIDDLE] = 2;
        assert_eq!(
            policy::doubtful(&v),
            Some("probable, but the first names are a letter apart and the middle names differ (as twins' can be: Jon Michael and John David), with the same surname and birth date: a person decides")
        );
        v[MIDDLE] = 0;
        assert_eq!(policy::doubtful(&v), None, "the middle name kept");
        v[MIDDLE] = missing_level(MIDDLE);
        assert_eq!(
            policy::doubtful(&v),
            Some(TURNS_UNDER_ONE_NUMBER),
            "a middle name blank"
        );
        v[MIDDLE] = 2;
        v[FIRST] = 0;
        // One first name: both middle names known and different say why.
        assert_eq!(
            policy::doubtful(&v),
            Some(TWO_MIDDLE_NAMES),
            "one first name"
        );
    }

    /// The thresholds the policy tests below decide at.
    fn tw_config() -> IdentityConfig {
        IdentityConfig {
            merge_probability: 0.95,
            review_probability: 0.006,
            max_block: 500,
            nicknames: Vec::new(),
            same_name_birth_date_review: true,
        }
    }

    /// The folded names the tests' units below hold.
    const TW_NAMES: [&str; 5] = ["m", "tremblay", "matthew", "mai", "tran"];

    /// What the comparators read of [`TW_NAMES`].
    fn tw_names() -> names::Names {
        crate::identity::tests::names_of(&TW_NAMES)
    }

    /// A unit of one (first, last) name of [`TW_NAMES`], by the IDs
    /// [`tw_names`] gives them.
    fn named(first: &str, last: &str) -> Unit {
        let table = names::table(TW_NAMES.into_iter());
        let id = names::ids(&table);
        let mut u = Unit::new(String::new(), None, Vec::new());
        u.name_ids.insert((id[first], id[last]));
        u.births
            .insert(NaiveDate::from_ymd_opt(2012, 3, 3).expect("a date"));
        u
    }

    #[test]
    fn twins_entered_by_one_initial_go_to_a_person() {
        // Matthew and Michael Tremblay entered as "M Tremblay", one
        // address, one never enrolled.
        let (a, b) = (named("m", "tremblay"), named("m", "tremblay"));
        let mut v = exact_with_enrollment_missing();
        v[MIDDLE] = missing_level(MIDDLE);
        v[LOCAL] = missing_level(LOCAL);
        assert_eq!(
            policy::hard_negative(&a, &b, &v, &tw_names()),
            Some("initials_only")
        );
        let config = tw_config();
        let outcome = |p: f64| {
            let (o, r) = policy::outcome(None, Some(INITIALS_ONLY), false, false, None, p, &config);
            (o, r.into_owned())
        };
        assert_eq!(
            outcome(0.99),
            (
                "review",
                "initials_only: the first names agree only as one initial, which twins and siblings can share: a person decides".to_string()
            )
        );
        assert_eq!(
            outcome(1e-9),
            ("separate", "below the review threshold".to_string())
        );
        // A whole first name, straight or against the other's surname
        // (entered surname first), is no initial.
        let (c, d) = (named("matthew", "tremblay"), named("matthew", "tremblay"));
        assert_eq!(policy::hard_negative(&c, &d, &v, &tw_names()), None);
        let (e, f) = (named("mai", "tran"), named("tran", "mai"));
        assert!(!initials_only(&e, &f, &v, &tw_names()));
        // Not exact: an initial against a whole name is compared as names.
        v[FIRST] = FIRST_DIFFERENT;
        assert!(!initials_only(&a, &c, &v, &tw_names()));
    }

    #[test]
    fn a_birth_date_off_arriving_in_another_sau_goes_to_a_person() {
        // Two Jacob James Martin, born 4 March and 3 April: one leaves
        // Brooks in June, the other starts in Fryeburg in the fall.
        let mut v = [0; N];
        v[BIRTH] = 1;
        v[ENROLLMENT] = ENDS_THEN_ELSEWHERE;
        v[LOCAL] = missing_level(LOCAL);
        v[ADDRESS_C] = 2;
        assert_eq!(
            policy::doubtful(&v),
            Some("probable, but the birth dates are not the same and one begins in another SAU as the other ends, with no address or local number agreeing (as a stranger of one name can): a person decides")
        );
        v[BIRTH] = 3;
        assert!(arrives_elsewhere_birth_off(&v), "one part off");
        v[BIRTH] = 0;
        assert_eq!(policy::doubtful(&v), None, "one birth date");
        v[BIRTH] = 2;
        v[ADDRESS_C] = 0;
        assert_eq!(policy::doubtful(&v), None, "one address");
        v[ADDRESS_C] = 2;
        v[ENROLLMENT] = ENDS_WHERE_BEGINS;
        assert!(!arrives_elsewhere_birth_off(&v), "a plausible transfer");
        // The middle name agreeing, in SAUs with none in common: the whole
        // name and a birth date off, as cousins' can be.
        assert_eq!(
            policy::doubtful(&v),
            Some(ONE_FULL_NAME_BIRTH_OFF_ELSEWHERE)
        );
        v[LOCAL] = 1;
        assert_eq!(policy::doubtful(&v), Some(OTHER_LOCAL_NUMBER_NOT_EXACT));
    }

    #[test]
    fn another_surname_and_the_first_name_only_the_others_middle_go_to_a_person() {
        // Zachary William and William William of other surnames, born the
        // same day, one arriving as the other left.
        let mut v = [0; N];
        v[FIRST] = 2;
        v[LAST] = 6;
        v[LOCAL] = missing_level(LOCAL);
        v[ADDRESS_C] = 2;
        assert_eq!(
            policy::doubtful(&v),
            Some("probable, but the surnames differ and the first name is only the other's middle name: a person decides")
        );
        // One surname: the middle names agreeing rest on the one word the
        // first name matched (William William), counted twice.
        v[LAST] = 0;
        assert_eq!(policy::doubtful(&v), Some(strangers::ONE_NAME_TWICE));
        // The middle name used as the first and dropped, as a child
        // registered again by his middle name is: merged.
        v[MIDDLE] = missing_level(MIDDLE);
        assert_eq!(policy::doubtful(&v), None, "one surname");
    }

    #[test]
    fn one_address_alone_with_another_surname_or_a_birth_date_off_goes_to_a_person() {
        // Step-sisters Emma Smith and Emma Jones born the same day at one
        // address, one never enrolled.
        let mut v = exact_with_enrollment_missing();
        v[MIDDLE] = missing_level(MIDDLE);
        v[LAST] = 6;
        v[LOCAL] = missing_level(LOCAL);
        assert_eq!(
            policy::doubtful(&v),
            Some("probable, but only the address agrees beyond the names and birth date, as step-siblings', cousins' and twins' does, and the surnames differ or the birth dates are a slip apart, with no enrollment to tell two children apart: a person decides")
        );
        // Cousins Joseph Bouchard born a year apart to the day.
        v[LAST] = 0;
        v[BIRTH] = 2;
        assert_eq!(policy::doubtful(&v), Some(HOME_ALONE_NOT_EXACT));
        v[BIRTH] = 1;
        assert!(!home_alone_not_exact(&v), "day and month swapped");
        v[BIRTH] = 2;
        v[MIDDLE] = 0;
        assert!(!home_alone_not_exact(&v), "one middle name");
        v[MIDDLE] = 2;
        v[ENROLLMENT] = ENDS_WHERE_BEGINS;
        assert!(!home_alone_not_exact(&v), "enrollments");
    }

    fn exact_with_enrollment_missing() -> [usize; N] {
        let mut v = [0; N];
        v[ENROLLMENT] = missing_level(ENROLLMENT);
        v
    }

    #[test]
    fn other_birth_dates_or_first_names_of_one_surname_go_to_a_person() {
        let mut v = [0; N];
        v[BIRTH] = 4;
        v[ENROLLMENT] = 3;
        assert_eq!(
            policy::doubtful(&v),
            Some("probable, but the birth dates differ: a person decides")
        );
        v[BIRTH] = 0;
        v[FIRST] = FIRST_DIFFERENT;
        v[LOCAL] = 0;
        v[ENROLLMENT] = 0;
        assert_eq!(
            policy::doubtful(&v),
            Some("probable, but the surname is the same and the first names differ, as twins' and siblings' do: a person decides")
        );
        v[LAST] = 6;
        assert_eq!(policy::doubtful(&v), None, "another surname");
    }

    #[test]
    fn siblings_with_other_first_names_and_birth_dates_are_kept_apart() {
        let mut v = [0; N];
        v[FIRST] = 7;
        v[BIRTH] = 4;
        assert!(siblings_apart(&v));
        assert_eq!(
            SIBLINGS_APART,
            "twins_or_siblings: different first names and birth dates: two children"
        );
        v[BIRTH] = 0;
        assert!(!siblings_apart(&v), "twins: one birth date");
        v[BIRTH] = 4;
        v[FIRST] = 4;
        assert!(!siblings_apart(&v), "a first name one typo off");
        v[FIRST] = missing_level(FIRST);
        assert!(!siblings_apart(&v), "a blank first name");
    }

    #[test]
    fn a_blank_surname_does_not_hide_twins_of_one_first_name() {
        let mut v = [0; N];
        v[MIDDLE] = 2;
        v[LAST] = missing_level(LAST);
        v[ENROLLMENT] = missing_level(ENROLLMENT);
        assert!(one_first_name_together(&v, true, false));
        assert_eq!(
            one_first_name_two_middles(&v),
            Some(ONE_FIRST_NAME_TWO_MIDDLES)
        );
    }

    #[test]
    fn middle_names_differing_with_a_birth_date_off_go_to_a_person() {
        let mut v = [0; N];
        // First names nicknames of each other: with the same first name,
        // the same-names-and-a-birth-date-off rule, checked first, says why.
        v[FIRST] = 1;
        v[MIDDLE] = 2;
        v[BIRTH] = 2;
        v[LOCAL] = missing_level(LOCAL);
        v[ADDRESS_C] = 2;
        assert_eq!(
            policy::doubtful(&v),
            Some("probable, but the middle names differ, the birth dates are not the same and no address or local number agrees: a person decides")
        );
        // With one address or one birth date, both middle names known and
        // different still say why.
        v[ADDRESS_C] = 0;
        assert_eq!(policy::doubtful(&v), Some(TWO_MIDDLE_NAMES), "one address");
        v[ADDRESS_C] = 2;
        v[BIRTH] = 0;
        assert_eq!(
            policy::doubtful(&v),
            Some(TWO_MIDDLE_NAMES),
            "one birth date"
        );
    }

    #[test]
    fn one_first_name_two_middles_together_is_a_twins_pattern() {
        let mut v = [0; N];
        v[MIDDLE] = 2;
        v[ENROLLMENT] = OVERLAP_MONTHS;
        assert!(one_first_name_together(&v, true, false));
        assert!(!one_first_name_together(&v, false, false), "far births");
        assert!(!one_first_name_together(&v, true, true), "re-registered");
        v[ADDRESS_C] = 2;
        assert!(!one_first_name_together(&v, true, false), "two addresses");
        v[ADDRESS_C] = 0;
        v[MIDDLE] = 0;
        assert!(!one_first_name_together(&v, true, false), "one middle");
        v[MIDDLE] = 2;
        v[FIRST] = 3;
        assert!(!one_first_name_together(&v, true, false), "first differs");
        let config = tw_config();
        let outcome = |months: bool, p: f64| {
            let (o, r) = policy::outcome(
                None,
                Some(TWINS_ONE_FIRST_NAME),
                months,
                false,
                None,
                p,
                &config,
            );
            (o, r.into_owned())
        };
        assert_eq!(
            outcome(true, 0.99),
            ("separate", TWINS_ONE_FIRST_NAME_APART.to_string())
        );
        assert_eq!(
            TWINS_ONE_FIRST_NAME_APART,
            "twins_one_first_name: enrolled at once for months: two children"
        );
        assert_eq!(
            outcome(false, 0.99),
            ("review", TWINS_ONE_FIRST_NAME_REVIEW.to_string())
        );
        assert_eq!(
            TWINS_ONE_FIRST_NAME_REVIEW,
            "twins_one_first_name: same first name and surname, two different middle names, close birth date, one address: a person decides"
        );
        assert_eq!(
            outcome(false, 1e-9),
            ("separate", "below the review threshold".to_string())
        );
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

    #[test]
    fn a_name_or_birth_date_off_with_another_local_number_in_one_sau_goes_to_a_person() {
        // Two Owen James Pelletier, cousins born 4 March and 4 August, one
        // leaving Presque Isle School in June, the other starting there in
        // the fall under his own number, at another address in one town.
        let mut v = [0; N];
        v[BIRTH] = 2;
        v[LOCAL] = 1;
        v[ADDRESS_C] = 1;
        assert_eq!(
            policy::doubtful(&v),
            Some("probable, but a name or the birth date is not the same and the local numbers differ in the SAU both were in, with no address agreeing (as cousins and strangers of one name can): a person decides")
        );
        v[BIRTH] = 3;
        assert!(other_local_number_not_exact(&v), "one part off");
        // Cousins Jaden Thomas and Jayden Thomas Cyr born the same day.
        v[BIRTH] = 0;
        v[FIRST] = 3;
        assert!(other_local_number_not_exact(&v), "a letter apart");
        v[FIRST] = 0;
        v[LAST] = 1;
        assert!(other_local_number_not_exact(&v), "a compound part");
        v[LAST] = 0;
        assert_eq!(policy::doubtful(&v), None, "the same names and birth date");
        v[BIRTH] = 2;
        v[ADDRESS_C] = 0;
        assert_eq!(policy::doubtful(&v), None, "one address");
        v[ADDRESS_C] = 1;
        v[LOCAL] = 0;
        assert_eq!(policy::doubtful(&v), None, "one local number");
    }

    #[test]
    fn a_name_only_alike_with_nothing_but_the_birth_date_goes_to_a_person() {
        // Mike Smith and Michael Smith, born the same day, one leaving
        // Brooks in June, the other starting in Fryeburg in the fall.
        let mut v = [0; N];
        v[FIRST] = 1;
        v[MIDDLE] = missing_level(MIDDLE);
        v[ENROLLMENT] = ENDS_THEN_ELSEWHERE;
        v[LOCAL] = missing_level(LOCAL);
        v[ADDRESS_C] = 2;
        assert_eq!(
            policy::doubtful(&v),
            Some("probable, but one name is only alike (a nickname, a letter or a sound apart) and nothing independent agrees (no address, local number or enrollment continuing the other), as with strangers of a common name: a person decides")
        );
        // Emily Johnson and Emily Johnston.
        v[FIRST] = 0;
        v[LAST] = 2;
        assert!(near_look_alike(&v), "a surname a letter apart");
        v[LAST] = 0;
        assert!(
            !near_look_alike(&v),
            "the same names: the look-alike policy's"
        );
        // Michael James and Mike James Smith: a middle name agreeing is no
        // more than it is between two of one full name.
        v[FIRST] = 1;
        v[MIDDLE] = 0;
        assert!(near_look_alike(&v), "one middle name");
        v[MIDDLE] = 2;
        v[ENROLLMENT] = ENDS_WHERE_BEGINS;
        assert!(!near_look_alike(&v), "one continuing the other");
        v[ENROLLMENT] = missing_level(ENROLLMENT);
        assert!(near_look_alike(&v), "no enrollment");
        v[ADDRESS_C] = 0;
        assert!(!near_look_alike(&v), "one address");
        v[ADDRESS_C] = 2;
        v[BIRTH] = 1;
        assert!(!near_look_alike(&v), "birth dates swapped");
        v[BIRTH] = 0;
        v[FIRST] = 7;
        assert!(!near_look_alike(&v), "first names differ");
    }

    fn spans(rows: &[(&str, &str, Code)]) -> Unit {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date");
        let mut u = Unit::new(String::new(), None, Vec::new());
        u.spans = rows.iter().map(|s| (d(s.0), d(s.1), s.2, None)).collect();
        u.summarise();
        u
    }

    /// The twins the 4,000,000-student bundle merged: one first name, two
    /// middle names, one leaving as the other arrives under one local
    /// number at one address; and twins at one school under two local
    /// numbers, one's first name the other's middle name. Both go to a
    /// person; a re-registration without those marks does not.
    #[test]
    fn twins_told_apart_by_middle_names_or_local_numbers_go_to_a_person() {
        let mut v = [0; N];
        (v[ENROLLMENT], v[MIDDLE]) = (ENDS_WHERE_BEGINS, MIDDLE_DIFFERENT);
        assert_eq!(
            policy::doubtful(&v),
            Some("probable, but both middle names are known and differ (twins of one first name are told apart by the middle name, and one can leave a school as the other arrives under the same local number): a person decides")
        );
        v[MIDDLE] = 0;
        assert_eq!(policy::doubtful(&v), None, "middle names agree");
        v[MIDDLE] = missing_level(MIDDLE);
        assert_eq!(policy::doubtful(&v), None, "a middle name blank");
        (v[FIRST], v[LOCAL], v[ENROLLMENT]) = (2, 1, OVERLAP_WEEKS);
        assert_eq!(
            policy::doubtful(&v),
            Some("probable, but the first names are not the same, the local numbers differ in the SAU both were in, and the two were enrolled at once for weeks (as twins at one school are): a person decides")
        );
        v[FIRST] = 0;
        assert_eq!(policy::doubtful(&v), None, "one first name");
        (v[FIRST], v[ENROLLMENT]) = (2, ENDS_WHERE_BEGINS);
        assert_eq!(policy::doubtful(&v), None, "one continuing the other");
    }

    /// Tyler Beaulieu renamed Ethan Carrier: both names different, the
    /// same birth date, one address; or the old ID leaving one SAU on a
    /// Friday and the new one entering there the Tuesday after. A person
    /// decides whatever the score; enrolled at once for weeks, or the
    /// new ID entering another SAU, or a birth date a day off, is not it.
    #[test]
    fn a_child_renamed_whole_goes_to_a_person() {
        let old = spans(&[("2015-08-28", "2016-01-15", 7)]);
        let new = spans(&[("2016-01-19", "2017-06-12", 7)]);
        let elsewhere = spans(&[("2016-01-19", "2017-06-12", 8)]);
        let mut v = [0; N];
        (v[FIRST], v[LAST]) = (FIRST_DIFFERENT, 6);
        (v[LOCAL], v[ADDRESS_C]) = (missing_level(LOCAL), 2);
        let names = crate::identity::tests::names_of(&[]);
        let pattern = |a: &Unit, b: &Unit, v: &[usize; N]| policy::hard_negative(a, b, v, &names);
        assert_eq!(pattern(&old, &new, &v), Some("renamed_whole"));
        assert_eq!(pattern(&new, &old, &v), Some("renamed_whole"));
        assert_eq!(pattern(&old, &elsewhere, &v), None, "another SAU");
        v[ADDRESS_C] = 0;
        assert_eq!(
            pattern(&old, &elsewhere, &v),
            Some("renamed_whole"),
            "one address"
        );
        v[ENROLLMENT] = OVERLAP_WEEKS;
        assert_eq!(pattern(&old, &elsewhere, &v), None, "enrolled at once");
        v[ENROLLMENT] = 0;
        v[BIRTH] = 2;
        assert_eq!(pattern(&old, &new, &v), None, "a birth date a day off");
        v[BIRTH] = 0;
        v[LAST] = 5;
        assert_eq!(pattern(&old, &new, &v), None, "surnames a sound apart");
        let config = tw_config();
        for p in [1e-9, 0.9999] {
            let (o, r) = policy::outcome(None, Some(RENAMED_WHOLE), false, false, None, p, &config);
            assert_eq!(
                (o, r.as_ref()),
                ("review", "renamed_whole: both names different, the same birth date, and the address, the local number or one enrollment continuing the other in one SAU within two weeks agree (a child adopted and renamed): a person decides")
            );
        }
    }

    /// Luc Andre Gagnon born 2 June 1986 (an old ID) and his son Luc Andre
    /// Gagnon II born 2 June 2010, one address (merged automatically before):
    /// a person decides over the review threshold, else they are kept apart;
    /// 12 years apart, or a birth date of one months off the other's, is
    /// not it.
    #[test]
    fn a_parent_and_child_of_one_name_born_on_one_day_go_to_a_person() {
        let born = |dates: &[&str]| {
            let mut u = named("matthew", "tremblay");
            u.births = dates
                .iter()
                .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("a date"))
                .collect();
            u
        };
        let (father, son) = (born(&["1986-06-02"]), born(&["2010-06-02"]));
        let mut v = [0; N];
        v[BIRTH] = birth_level(&father, &son);
        assert_eq!(v[BIRTH], 3, "one part off");
        (v[ENROLLMENT], v[LOCAL]) = (missing_level(ENROLLMENT), missing_level(LOCAL));
        let names = tw_names();
        let pattern = |a: &Unit, b: &Unit| policy::hard_negative(a, b, &v, &names);
        assert_eq!(pattern(&father, &son), Some("a_generation_apart"));
        assert_eq!(pattern(&son, &father), Some("a_generation_apart"));
        let brother = born(&["1998-06-02"]);
        assert_eq!(pattern(&brother, &son), None, "12 years apart");
        let twice = born(&["1986-06-02", "2010-11-02"]);
        assert_eq!(birth_level(&twice, &son), 3);
        assert_eq!(pattern(&twice, &son), None, "months off");
        let config = tw_config();
        let outcome = |p: f64| {
            let (o, r) = policy::outcome(
                None,
                Some(A_GENERATION_APART),
                false,
                false,
                None,
                p,
                &config,
            );
            (o, r.into_owned())
        };
        assert_eq!(
            outcome(0.9999),
            ("review", "a_generation_apart: the same day and month of birth, the years 13 or more apart (not a slip: a parent and a child of one name, Jr.): a person decides".to_string())
        );
        assert_eq!(
            outcome(0.001),
            ("separate", "below the review threshold".to_string())
        );
    }

    /// Two Nathan Joseph Gagnon born a day apart, one leaving Brooks as
    /// the other enters Fryeburg, other addresses.
    #[test]
    fn one_full_name_a_day_apart_in_other_saus_goes_to_a_person() {
        let mut v = [0; N];
        v[BIRTH] = 2;
        (v[LOCAL], v[ADDRESS_C]) = (missing_level(LOCAL), 2);
        assert_eq!(
            policy::doubtful(&v),
            Some("probable, but only the whole name (the middle name too) and a birth date a little off agree, in SAUs with none in common and no address agreeing (as cousins named for one grandparent can): a person decides")
        );
        v[ENROLLMENT] = 2;
        assert_eq!(
            policy::doubtful(&v),
            Some(ONE_FULL_NAME_BIRTH_OFF_ELSEWHERE),
            "never at once"
        );
        v[ENROLLMENT] = OVERLAP_WEEKS;
        assert_eq!(
            policy::doubtful(&v),
            Some(ONE_FULL_NAME_BIRTH_OFF_ELSEWHERE),
            "at once for weeks"
        );
        v[ENROLLMENT] = 0;
        v[ADDRESS_C] = 1;
        assert!(one_full_name_birth_off_elsewhere(&v), "one zip");
        v[ADDRESS_C] = 0;
        assert_eq!(policy::doubtful(&v), None, "one address");
        v[ADDRESS_C] = 2;
        v[LOCAL] = 0;
        assert_eq!(policy::doubtful(&v), None, "one local number in one SAU");
        v[LOCAL] = missing_level(LOCAL);
        v[ENROLLMENT] = missing_level(ENROLLMENT);
        assert!(
            !one_full_name_birth_off_elsewhere(&v),
            "no enrollment: no place"
        );
        v[ENROLLMENT] = 0;
        v[BIRTH] = 0;
        assert!(
            !one_full_name_birth_off_elsewhere(&v),
            "one birth date: the same-name policy's"
        );
    }

    /// The levels of a move: one ID's enrollments ending where the other's
    /// begin, in SAUs with none in common (the local number "missing"), at
    /// addresses known and different; the names and birth date exact.
    fn moved() -> [usize; N] {
        let mut v = [0; N];
        v[ENROLLMENT] = ENDS_WHERE_BEGINS;
        v[LOCAL] = missing_level(LOCAL);
        v[ADDRESS_C] = 2;
        v
    }

    /// Strangers at ten times Maine: one leaves an SAU as the other enters
    /// another, at another address, a name and the birth date both not the
    /// same (the generated 4,000,000-student bundle merged seven such
    /// pairs, 4.4 to 8.2; the first name the other's middle name and the
    /// birth year a digit off, a surname a letter off and the birth month).
    #[test]
    fn a_move_with_a_name_and_the_birth_date_off_goes_to_a_person() {
        let mut v = moved();
        (v[FIRST], v[MIDDLE], v[BIRTH]) = (2, missing_level(MIDDLE), 2);
        assert_eq!(
            policy::doubtful(&v),
            Some("probable, but a name and the birth date are not the same, and one ID's enrollments continue the other's only in another SAU at another address (no local number or address agreeing), as a stranger's of one name can: a person decides")
        );
        (v[FIRST], v[LAST]) = (0, 3);
        assert_eq!(
            policy::doubtful(&v),
            Some(MOVED_NAME_AND_BIRTH_OFF),
            "a surname"
        );
        v[ENROLLMENT] = OVERLAP_WEEKS;
        assert_eq!(
            policy::doubtful(&v),
            Some(MOVED_NAME_AND_BIRTH_OFF),
            "at once for weeks"
        );
        v[ENROLLMENT] = ENDS_WHERE_BEGINS;
        v[BIRTH] = 0;
        assert!(!moved_name_and_birth_off(&v), "one birth date");
        (v[LAST], v[BIRTH]) = (0, 2);
        assert!(!moved_name_and_birth_off(&v), "the names the same");
        v[LAST] = 3;
        v[ADDRESS_C] = 0;
        assert!(!moved_name_and_birth_off(&v), "one address");
        v[ADDRESS_C] = 2;
        v[LOCAL] = 0;
        assert!(!moved_name_and_birth_off(&v), "one local number in one SAU");
        v[LOCAL] = missing_level(LOCAL);
        v[ENROLLMENT] = missing_level(ENROLLMENT);
        assert!(!moved_name_and_birth_off(&v), "no enrollment: no move");
    }

    /// Strangers of one first name, middle name and birth date, one leaving
    /// an SAU as the other enters another at another address, the surnames
    /// different (two such pairs merged at 4,000,000 students, 7.3 and 7.7).
    #[test]
    fn a_move_with_a_new_surname_goes_to_a_person() {
        let mut v = moved();
        v[LAST] = 6;
        assert_eq!(
            policy::doubtful(&v),
            Some("probable, but the surnames differ, and one ID's enrollments continue the other's only in another SAU at another address (no local number or address agreeing), as a stranger's of one first name, middle name and birth date can: a person decides")
        );
        v[ADDRESS_C] = 0;
        assert!(!moved_new_surname(&v), "one address");
        v[ADDRESS_C] = 2;
        v[LAST] = 1;
        assert!(!moved_new_surname(&v), "a compound part");
    }

    /// Twins, the second starting at the first's school under the number
    /// the first left there, at another address, their first names a
    /// letter apart (merged at 4,000,000 students, 28.3).
    #[test]
    fn a_local_number_kept_at_a_new_address_with_another_first_name_goes_to_a_person() {
        let mut v = moved();
        (v[FIRST], v[MIDDLE], v[LOCAL]) = (3, missing_level(MIDDLE), 0);
        assert_eq!(
            policy::doubtful(&v),
            Some("probable, but the first names are not the same and the addresses differ, the local number alone agreeing (a school can give a twin or a sibling the number the other left): a person decides")
        );
        v[FIRST] = 0;
        assert!(!number_kept_home_changed(&v), "one first name");
        v[FIRST] = 3;
        v[ADDRESS_C] = 0;
        assert!(!number_kept_home_changed(&v), "one address");
        v[ADDRESS_C] = missing_level(ADDRESS_C);
        assert!(!number_kept_home_changed(&v), "an address unknown");
    }

    /// A unit of identity rows of the surname Tremblay and one birth date,
    /// each (first name of [`TW_NAMES`], effective date), as `absorb`
    /// reads them.
    fn rows_of(rows: &[(&str, &str)]) -> Unit {
        let table = names::table(TW_NAMES.into_iter());
        let id = names::ids(&table);
        let mut u = Unit::new(String::new(), None, Vec::new());
        for (first, day) in rows {
            u.absorb(&Identity {
                person: 1,
                identity: 1,
                first_id: id[*first],
                middle_id: names::BLANK,
                last_id: id["tremblay"],
                gender: None,
                birth: NaiveDate::from_ymd_opt(2010, 3, 3),
                effective: NaiveDate::parse_from_str(day, "%Y-%m-%d").ok(),
            });
        }
        u
    }

    #[test]
    fn twins_whose_first_names_a_school_swapped_for_a_year_are_two_children() {
        // Owen's ID read Eli for 2015-16 and Eli's read Owen, then put
        // right (tests/identity_small/lookalike7).
        let owen = rows_of(&[
            ("matthew", "2014-08-01"),
            ("mai", "2015-08-20"),
            ("matthew", "2016-08-20"),
        ]);
        let eli = rows_of(&[
            ("mai", "2014-08-01"),
            ("matthew", "2015-08-20"),
            ("mai", "2016-08-20"),
        ]);
        let mut v = exact_with_enrollment_missing();
        assert_eq!(
            policy::hard_negative(&owen, &eli, &v, &tw_names()),
            Some("names_traded")
        );
        let config = tw_config();
        let outcome = |months: bool, p: f64| {
            let (o, r) = policy::outcome(None, Some(NAMES_TRADED), months, true, None, p, &config);
            (o, r.into_owned())
        };
        assert_eq!(
            outcome(true, 0.999),
            ("separate", "names_traded: the first names traded between the two IDs (their earliest rows and their latest rows name different children of one surname and birth date) and enrolled at once for months: two children".to_string())
        );
        assert_eq!(
            outcome(false, 0.999),
            ("review", "names_traded: the first names traded between the two IDs (their earliest rows and their latest rows name different children of one surname and birth date), as twins' records swapped for a year: a person decides".to_string())
        );
        assert_eq!(
            outcome(false, 0.001),
            ("separate", "below the review threshold".to_string())
        );
        // One child registered twice: the new ID agrees with the old ID's
        // latest row (a name corrected on the old ID), or both IDs were
        // corrected alike (their earliest rows agree).
        let corrected = rows_of(&[("mai", "2014-08-01"), ("matthew", "2015-08-20")]);
        let again = rows_of(&[("matthew", "2016-08-20")]);
        assert!(!names_traded(&corrected, &again, &v));
        let alike = rows_of(&[("mai", "2015-09-01"), ("matthew", "2016-09-01")]);
        assert!(!names_traded(&corrected, &alike, &v));
        // One row on each ID, the names swapped on one (first name and
        // surname): the comparator agrees in either order.
        let swapped = rows_of(&[("mai", "2015-09-01")]);
        assert!(!names_traded(&again, &swapped, &v));
        // Another surname or birth date, or no first name in common.
        for (c, level) in [(LAST, 2), (BIRTH, 1), (FIRST, 3)] {
            let keep = v[c];
            v[c] = level;
            assert!(!names_traded(&owen, &eli, &v), "{c}");
            v[c] = keep;
        }
    }

    /// A father leaving grade 12 in June and his son of one name starting
    /// kindergarten in the fall, or an elder brother leaving grade 5, go
    /// to a person (merged automatically at 2,500 and 20,000 students), as
    /// do brothers two grades apart; a child registered again one grade up
    /// (or held back one) does not.
    #[test]
    fn enrollments_beginning_two_grades_back_go_to_a_person() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let unit = |entered: &str, first: i8, left: &str, last: i8| {
            let mut u = Unit::new(String::new(), None, Vec::new());
            u.grade_ends = Some(((d(entered), first), (d(left), last)));
            u
        };
        let father = unit("2004-08-27", 6, "2011-06-03", 12);
        let son = unit("2011-08-29", 0, "2017-06-09", 5);
        let v = [0; N];
        assert!(grade_goes_back(&father, &son, &v));
        assert!(grade_goes_back(&son, &father, &v), "either order");
        let elder = unit("2008-08-29", 0, "2014-06-09", 5);
        let younger = unit("2014-08-29", 0, "2017-06-09", 2);
        assert!(grade_goes_back(&elder, &younger, &v));
        let two_back = unit("2014-08-29", 3, "2017-06-09", 5);
        assert!(grade_goes_back(&elder, &two_back, &v), "two grades back");
        let again = unit("2016-08-29", 3, "2017-06-09", 3);
        let kept_back = unit("2016-08-29", 1, "2017-06-09", 1);
        let before = unit("2013-08-29", 0, "2016-06-09", 2);
        assert!(!grade_goes_back(&before, &again, &v), "one grade up");
        assert!(!grade_goes_back(&before, &kept_back, &v), "one grade back");
        assert!(
            !grade_back_birth_blank(&before, &kept_back, &v),
            "birth dates known"
        );
        let mut birth_blank = v;
        birth_blank[BIRTH] = missing_level(BIRTH);
        assert!(
            grade_back_birth_blank(&before, &kept_back, &birth_blank),
            "one grade back, a birth date blank"
        );
        assert!(
            !grade_back_birth_blank(&before, &again, &birth_blank),
            "one grade up, a birth date blank"
        );
        birth_blank[ENROLLMENT] = OVERLAP_WEEKS;
        assert!(!grade_back_birth_blank(&before, &kept_back, &birth_blank));
        // Enrolled at once for weeks: another rule's question.
        let mut at_once = v;
        at_once[ENROLLMENT] = OVERLAP_WEEKS;
        assert!(!grade_goes_back(&father, &son, &at_once));
        // No grade known: nothing said.
        let blank = Unit::new(String::new(), None, Vec::new());
        assert!(!grade_goes_back(&father, &blank, &v));
        assert_eq!(
            (grade_number("KG"), grade_number("PK"), grade_number("07")),
            (Some(0), Some(-1), Some(7))
        );
        assert_eq!((grade_number("13"), grade_number("")), (None, None));
    }

    /// Twins a letter apart who drew one middle name, the second taking the
    /// number the first left and taken in as new to the school (a
    /// generated 400,000-student bundle: merged at 55.1 bits), go to a
    /// person; one child registered again there, his new ID continuing,
    /// still merges.
    #[test]
    fn a_newcomer_under_the_number_the_other_left_goes_to_a_person() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        let unit = |entered: &str, enters_new: bool| {
            let mut u = Unit::new(String::new(), None, Vec::new());
            (u.entered, u.enters_new) = (d(entered), enters_new);
            u
        };
        let (left, arriving) = (unit("2014-08-28", true), unit("2016-08-28", true));
        let continuing = unit("2016-08-28", false);
        let mut v = [0; N];
        v[FIRST] = 3;
        assert_eq!(policy::doubtful(&v), None, "the middle names agree");
        assert!(newcomer_under_one_number(&left, &arriving, &v));
        assert!(
            newcomer_under_one_number(&arriving, &left, &v),
            "either order"
        );
        assert_eq!(
            NEWCOMER_UNDER_ONE_NUMBER,
            "probable, but the first names are a letter apart, and one ID's enrollments begin where the other's end under the same local number at one address with its first enrollment not marked continuing, as a twin's arriving at the school can (a school can give a twin the number the other left): a person decides"
        );
        assert!(
            !newcomer_under_one_number(&left, &continuing, &v),
            "registered again"
        );
        // The earlier ID's first row new is no matter: every child's is.
        assert!(!newcomer_under_one_number(
            &continuing,
            &unit("2014-08-28", true),
            &v
        ));
        for (c, level) in [
            (MIDDLE, missing_level(MIDDLE)),
            (MIDDLE, 2),
            (FIRST, 0),
            (FIRST, 4),
            (LAST, 2),
            (BIRTH, 2),
            (LOCAL, 1),
            (ADDRESS_C, 2),
            (ENROLLMENT, OVERLAP_WEEKS),
        ] {
            let keep = v[c];
            v[c] = level;
            assert!(
                !newcomer_under_one_number(&left, &arriving, &v),
                "{c} {level}"
            );
            v[c] = keep;
        }
    }

    #[test]
    fn twins_taking_turns_under_one_number_at_one_address_go_to_a_person() {
        // Hailey leaves the school in June, Haley starts there in the fall
        // under her number, one address, no middle name on one side.
        let mut v = [0; N];
        (v[FIRST], v[MIDDLE]) = (3, missing_level(MIDDLE));
        assert_eq!(
            policy::doubtful(&v),
            Some("probable, but the first names are a letter apart with no middle name to tell them, and one ID's enrollments begin where the other's end under the same local number at one address, as twins taking turns at one school can (a school can give a twin the number the other left): a person decides")
        );
        for (c, level) in [
            (MIDDLE, 0),
            (FIRST, 0),
            (FIRST, 1),
            (BIRTH, 2),
            (LOCAL, 1),
            (ADDRESS_C, 2),
        ] {
            let keep = v[c];
            v[c] = level;
            assert!(!turns_under_one_number(&v), "{c} {level}");
            v[c] = keep;
        }
        v[ENROLLMENT] = OVERLAP_WEEKS;
        assert!(!turns_under_one_number(&v), "enrolled at once");
    }
}
