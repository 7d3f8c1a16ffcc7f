//! # Identity: one student, one StateStudentID
//!
//! **Input**: crosswalked `student_personal` rows (one per identity record:
//! `PersonID`, `IdentityID`, `StateStudentID`, names, `Gender`, `BirthDate`,
//! `IdentityEffectiveDate`, `source_row`) and, when present, crosswalked
//! `student_enrollment` rows (`StateStudentID`, `SchoolEntryDate`,
//! `ExitDate`, `SAUOrgID`, `SchoolStudentID`) and ingested
//! `mailing_address` rows (`StateStudentID`, `Address`, `Zip`).
//!
//! **Output**: one row per student (`StudentKey`: the surviving
//! StateStudentID, or a provisional `NEW-<PersonID>` key marked for the New
//! State ID upload; the current identity, newest by IdentityEffectiveDate; the
//! name-history length); an identity map (every identity row to its student
//! and the rule that put it there); the ID crosswalk (every retired ID to its
//! survivor, rule, score); the key map the rekey stage re-keys enrollments
//! and every other entity through; the review queue; the blocking counts
//! and the estimated model.
//!
//! **Rules, in order**: `same_person` (identity rows of one PersonID: name
//! history); `same_state_id` (persons sharing a StateStudentID whose birth
//! date and gender agree, or differ by a day/month swap; others go to review
//! as `same_id_conflict`); reviewer decisions (`decision`); hard-negative
//! patterns (`twins_or_siblings`, `possible_twins`, `look_alike`) that cap a
//! pair at review (a blank first name or birth date cannot rule out a twin);
//! a blank name part or birth date with nothing independent agreeing
//! (address, local number, enrollment continuity) never merged, to review
//! when the rest carries 13 bits of evidence or more, else kept apart
//! (`missing_values`); the same first name, last name and birth date without corroboration to
//! review (`identity.same_name_birth_date = "review"`); scored merges across
//! IDs (`probable`) above the merge threshold; the grey zone to review.
//! Merges are unions held back (to review, `cluster_guard`) when a pair
//! already scored between the two clusters went to a person or was kept
//! apart by a decision or a hard-negative pattern.
//!
//! **Merged**: identity rows folded into another student; in = out + merged.
//!
//! **Config keys**: `identity.merge_probability`,
//! `identity.review_probability`, `identity.max_block`,
//! `identity.same_name_birth_date`.

use crate::columns::*;
use crate::report::StageReport;
use chrono::{Datelike, NaiveDate};
use estimate::*;
use polars::prelude::*;
use policy::*;
use rayon::prelude::*;
use rphonetic::{Encoder, Soundex};
use serde::{Deserialize, Serialize};
use sorted::SortedSet;
use std::collections::{BTreeMap, BTreeSet};
use unicode_normalization::UnicodeNormalization;

mod blocking;
mod estimate;
mod extract;
mod facts;
mod late_exit;
mod model;
mod names;
mod policy;
mod population;
pub mod profile;
mod rivals;
mod similarity;
mod sorted;
mod strangers;
mod twins;

pub const STAGE: &str = "identity";
pub const STUDENT_KEY: &str = "StudentKey";
pub const NEEDS_NEW_STATE_ID: &str = "NeedsNewStateID";
pub const LEGACY_STATE_STUDENT_ID: &str = "LegacyStateStudentID";

/// Settings of the stage.
#[derive(Clone, Debug)]
pub struct IdentityConfig {
    /// Posterior match probability at or above which a pair is merged.
    pub merge_probability: f64,
    /// Posterior probability at or above which a pair goes to review.
    pub review_probability: f64,
    /// Blocks larger than this are not paired (counted in the report).
    pub max_block: usize,
    /// Formal given name -> nicknames (folded, lower case).
    pub nicknames: Vec<(String, String)>,
    /// `identity.same_name_birth_date`: true ("review", the default) sends
    /// every pair with the same first name, last name and birth date that no
    /// independent identifier corroborates to a person; false ("score")
    /// scores them like any pair.
    pub same_name_birth_date_review: bool,
}

/// A reviewer's decision on a pair of student keys.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub id_a: String,
    pub id_b: String,
    pub merge: bool,
}

/// Names folded for comparison: accents dropped, punctuation removed,
/// lower case, single spaces. A hyphen is kept (compound names), and
/// every other dash is one: Windows-1252's en dash (0x96), which a word
/// processor puts in "Smith-Jones", is the same name.
pub fn fold(name: &str) -> String {
    let stripped: String = name
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| if is_dash(c) { '-' } else { c })
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-')
        .collect();
    stripped
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Hyphens and dashes: the non-breaking hyphen, figure, en and em dashes,
/// the minus sign, and the small and full-width hyphen-minus.
fn is_dash(c: char) -> bool {
    matches!(
        c,
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}'
    )
}

#[derive(Clone, Debug)]
struct Identity {
    person: i64,
    identity: i64,
    /// The folded names' IDs ([`names`]): equal IDs, equal folded names;
    /// [`names::BLANK`] when blank. (The StateStudentID is read from the
    /// frame where it is needed: no string a row.)
    first_id: u32,
    middle_id: u32,
    last_id: u32,
    /// The gender's number: equal numbers, equal text.
    gender: Option<u32>,
    birth: Option<NaiveDate>,
    effective: Option<NaiveDate>,
}

/// One enrollment of a unit: entry, exit, SAU, local student number.
type Span = (NaiveDate, NaiveDate, Code, Option<Code>);

/// A unit's first and last enrollment by grade: (earliest entry date, the
/// lowest grade entered then) and (latest exit date, the highest grade
/// left then), grades as [`grade_number`] gives them.
type GradeEnds = ((NaiveDate, i8), (NaiveDate, i8));

/// The two ends of two [`GradeEnds`] together.
fn join_grade_ends(x: Option<GradeEnds>, y: GradeEnds) -> GradeEnds {
    match x {
        Some((first, last)) => (first.min(y.0), last.max(y.1)),
        None => y,
    }
}

/// A grade level's number: PK and EK -1, KG 0, 01 to 12 their number;
/// any other code (or a blank) none.
fn grade_number(code: &str) -> Option<i8> {
    match code.trim() {
        "PK" | "EK" => Some(-1),
        "KG" => Some(0),
        c => c.parse::<i8>().ok().filter(|g| (1..=12).contains(g)),
    }
}

/// An SAU or a local student number, interned when read: equal codes, equal
/// text (see `extract::Interner`); a unit's addresses' streets and zips too.
type Code = u32;

/// The number of a blank street or zip (see [`attach`]).
const BLANK_CODE: Code = 0;

/// A set of identity rows certainly one child (one PersonID, or persons
/// sharing a StateStudentID): what probable matching compares.
#[derive(Clone, Debug)]
struct Unit {
    key: String,
    /// Its key is a StateStudentID.
    has_state_id: bool,
    /// Indexes into the identity list.
    members: Vec<usize>,
    /// Folded (first, last) variants and middle names (blank ones left
    /// out) by ID ([`names`]: IDs in the order of the names' text, so they
    /// iterate as the text would): what the name comparators read.
    name_ids: SortedSet<(u32, u32)>,
    middle_ids: SortedSet<u32>,
    births: SortedSet<NaiveDate>,
    /// The first name (its ID) of the earliest and of the latest identity
    /// row with an effective date and a first name, by (date, ID): what
    /// [`twins::names_traded`] reads.
    first_ends: Option<((NaiveDate, u32), (NaiveDate, u32))>,
    /// The gender's number (equal numbers, equal text).
    gender: Option<u32>,
    spans: Vec<Span>,
    /// Folded (street address, zip) of its mailing addresses, each as a
    /// number (equal numbers, equal text; 0 is blank).
    addresses: SortedSet<(Code, Code)>,
    first_seen: Option<NaiveDate>,
    /// Summaries of the spans, made once before pairing: the SAUs, the
    /// local student numbers by SAU, the first entry and the last exit.
    saus: SortedSet<Code>,
    /// (SAU, local student number) pairs, sorted: a vector, not a map of
    /// sets (a B-tree node of some 300 bytes for a unit's one or two
    /// SAUs, millions of units at a state's size).
    locals: SortedSet<(Code, Code)>,
    entered: Option<NaiveDate>,
    left: Option<NaiveDate>,
    /// A row at its first entry date is not marked continuing (its
    /// StartStatus is not 02, or blank): the school took the child as new
    /// to it, not as its own pupil of the year before
    /// ([`twins::newcomer_under_one_number`]).
    enters_new: bool,
    /// The grade of its first and of its last enrollment
    /// ([`twins::grade_goes_back`]); none without a known grade.
    grade_ends: Option<GradeEnds>,
}

impl Unit {
    fn new(key: String, state_id: Option<String>, members: Vec<usize>) -> Self {
        Unit {
            key,
            has_state_id: state_id.is_some(),
            members,
            name_ids: SortedSet::new(),
            middle_ids: SortedSet::new(),
            births: SortedSet::new(),
            first_ends: None,
            gender: None,
            spans: Vec::new(),
            addresses: SortedSet::new(),
            first_seen: None,
            saus: SortedSet::new(),
            locals: SortedSet::new(),
            entered: None,
            left: None,
            enters_new: false,
            grade_ends: None,
        }
    }

    /// Summarises the spans once, so pairing never rebuilds them.
    fn summarise(&mut self) {
        self.saus = self.spans.iter().map(|s| s.2).collect();
        self.locals = self
            .spans
            .iter()
            .filter_map(|s| s.3.map(|n| (s.2, n)))
            .collect();
        self.entered = self.spans.iter().map(|s| s.0).min();
        self.left = self.spans.iter().map(|s| s.1).max();
    }

    /// Adds an identity row's names, birth date, gender and first date.
    fn absorb(&mut self, id: &Identity) {
        self.name_ids.insert((id.first_id, id.last_id));
        if id.middle_id != names::BLANK {
            self.middle_ids.insert(id.middle_id);
        }
        if let Some(b) = id.birth {
            self.births.insert(b);
        }
        if let (Some(d), true) = (id.effective, id.first_id != names::BLANK) {
            let row = (d, id.first_id);
            self.first_ends = Some(match self.first_ends {
                Some((lo, hi)) => (lo.min(row), hi.max(row)),
                None => (row, row),
            });
        }
        if self.gender.is_none() {
            self.gender = id.gender;
        }
        self.first_seen = match (self.first_seen, id.effective) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }

    fn saus(&self) -> &SortedSet<Code> {
        &self.saus
    }
}

/// How many comparators a pair is scored on.
pub const N: usize = 8;
const FIRST: usize = 0;
const MIDDLE: usize = 1;
const LAST: usize = 2;
const BIRTH: usize = 3;
const GENDER_C: usize = 4;
const ENROLLMENT: usize = 5;
const LOCAL: usize = 6;
const ADDRESS_C: usize = 7;

/// Comparators and their levels, closest first; the last level of each is
/// "missing": a value absent on either side gives no evidence (weight 0).
pub const COMPARATORS: [(&str, &[&str]); N] = [
    (
        "first_name",
        &[
            "exact",
            "nickname",
            "middle_as_first",
            "jaro_winkler_0.95",
            "jaro_winkler_0.88",
            "jaro_winkler_0.80",
            "phonetic",
            "different",
            "missing",
        ],
    ),
    (
        "middle_name",
        &["agree", "initial_only", "different", "missing"],
    ),
    (
        "last_name",
        &[
            "exact",
            "compound",
            "jaro_winkler_0.95",
            "jaro_winkler_0.88",
            "jaro_winkler_0.80",
            "phonetic",
            "different",
            "missing",
        ],
    ),
    (
        "birth_date",
        &[
            "exact",
            "day_month_swapped",
            "a_day_or_one_digit_off",
            "one_part_off",
            "different",
            "missing",
        ],
    ),
    ("gender", &["agree", "disagree", "missing"]),
    (
        "enrollment",
        &[
            "one_ends_where_other_begins",
            "overlap_a_few_days",
            "never_at_the_same_time",
            "overlap_weeks",
            "overlap_months",
            "one_ends_other_begins_elsewhere",
            "missing",
        ],
    ),
    (
        "local_number",
        &["same_in_same_sau", "different_in_same_sau", "missing"],
    ),
    (
        "address",
        &["same_address", "same_zip", "different", "missing"],
    ),
];

/// The enrollment levels the policy reads.
const ENDS_WHERE_BEGINS: usize = 0;
const OVERLAP_WEEKS: usize = 3;
const OVERLAP_MONTHS: usize = 4;
const ENDS_THEN_ELSEWHERE: usize = 5;

/// Comparators whose levels are a scale of closeness: a closer level never
/// weighs less than a farther one.
const ORDERED: [usize; 4] = [FIRST, MIDDLE, LAST, BIRTH];

fn missing_level(c: usize) -> usize {
    COMPARATORS[c].1.len() - 1
}

/// The estimated model: m and u per comparator level, the weights used
/// (log2 m/u, made monotone), and the prior.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Model {
    pub prior: f64,
    pub m: Vec<Vec<f64>>,
    pub u: Vec<Vec<f64>>,
    /// log2(m/u) per level after the monotone correction; 0 for "missing".
    pub weights: Vec<Vec<f64>>,
    pub iterations: usize,
    /// How m, u and the prior were estimated.
    pub method: BTreeMap<String, String>,
}

/// One comparison's contribution to a pair's score.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Term {
    pub comparator: &'static str,
    pub level: &'static str,
    pub weight: f64,
}

/// A scored pair of student keys.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Pair {
    pub key_a: String,
    pub key_b: String,
    /// Log2 odds, prior included.
    pub score: f64,
    pub probability: f64,
    pub terms: Vec<Term>,
    /// merge, review or separate, and why.
    pub outcome: String,
    pub reason: String,
    /// The hard-negative pattern the pair shows (`twins_or_siblings`,
    /// `possible_twins`,
    /// `look_alike`), or empty.
    pub pattern: String,
}

/// A scored candidate pair as the stage holds it: its units by index (units
/// are sorted by key, so `a`'s key is the smaller), its levels and weights
/// as numbers and its outcome as text the policy names once: no string of
/// its own. A [`Pair`] (keys, terms) is made only for the review queue and
/// on request ([`Resolved::pairs`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Scored {
    pub a: u32,
    pub b: u32,
    /// Log2 odds, prior included.
    pub score: f64,
    pub probability: f64,
    /// False for a reviewer's decision on a pair blocking never produced:
    /// it has no levels or weights.
    pub compared: bool,
    pub levels: [u8; N],
    /// Each comparator's weight, rounded as [`Term::weight`].
    pub weights: [f64; N],
    pub outcome: &'static str,
    pub reason: std::borrow::Cow<'static, str>,
    /// The hard-negative pattern, or empty.
    pub pattern: &'static str,
}

impl Scored {
    /// Comparator `c`'s level, when the pair was compared.
    pub fn level(&self, c: usize) -> Option<&'static str> {
        self.compared
            .then(|| COMPARATORS[c].1[usize::from(self.levels[c])])
    }

    /// Comparator `c`'s weight, when the pair was compared.
    pub fn weight(&self, c: usize) -> Option<f64> {
        self.compared.then(|| self.weights[c])
    }

    /// The pair with its units' keys and its terms.
    fn pair<'k>(&self, key: impl Fn(u32) -> &'k str) -> Pair {
        let terms = if self.compared {
            (0..N)
                .map(|c| Term {
                    comparator: COMPARATORS[c].0,
                    level: COMPARATORS[c].1[usize::from(self.levels[c])],
                    weight: self.weights[c],
                })
                .collect()
        } else {
            Vec::new()
        };
        Pair {
            key_a: key(self.a).to_string(),
            key_b: key(self.b).to_string(),
            score: self.score,
            probability: self.probability,
            terms,
            outcome: self.outcome.to_string(),
            reason: self.reason.to_string(),
            pattern: self.pattern.to_string(),
        }
    }
}

/// What the stage produced.
pub struct Resolved {
    pub students: DataFrame,
    pub identity_map: DataFrame,
    pub id_crosswalk: DataFrame,
    /// Every StateStudentID and provisional key (`__from`) to its surviving
    /// key (`__to`): what [`rekey`] applies to downstream entities.
    pub key_map: DataFrame,
    /// Pairs scored (merged, reviewed and separated), in candidate order
    /// (by unit), then pairs only a reviewer's decision names.
    pub scored: Vec<Scored>,
    /// Each unit's key, by unit index (what [`Scored::a`] and `b` name).
    pub keys: Vec<String>,
    pub review: Vec<Pair>,
    pub passes: Vec<(String, u64)>,
    pub oversized_blocks: u64,
    pub model: Model,
    pub reports: Vec<StageReport>,
    /// The `NEW-` units' keys by the local number (stripped) that ties
    /// them to enrollment rows without a StateStudentID (the review
    /// queue shows those rows as the unit's).
    pub tied: PlHashMap<String, String>,
}

impl Resolved {
    /// A unit's key.
    pub fn key(&self, unit: u32) -> &str {
        &self.keys[unit as usize]
    }

    /// A scored pair with its keys and terms.
    pub fn pair(&self, s: &Scored) -> Pair {
        s.pair(|u| self.key(u))
    }

    /// Every scored pair with its keys and terms (for tests and small runs:
    /// the stage itself writes [`Resolved::scored`]).
    pub fn pairs(&self) -> Vec<Pair> {
        self.scored.iter().map(|s| self.pair(s)).collect()
    }
}

fn ints(df: &DataFrame, c: &str) -> PolarsResult<Vec<Option<i64>>> {
    let s = df
        .column(c)?
        .as_materialized_series()
        .cast(&DataType::Int64)?;
    let s = s.i64()?;
    Ok((0..s.len()).map(|i| s.get(i)).collect())
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn find(&mut self, x: usize) -> usize {
        let mut r = x;
        while self.0[r] != r {
            r = self.0[r];
        }
        let mut y = x;
        while self.0[y] != r {
            let next = self.0[y];
            self.0[y] = r;
            y = next;
        }
        r
    }
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.0[hi] = lo;
        }
    }
}

fn compatible(a: &Identity, b: &Identity) -> bool {
    let birth = match (a.birth, b.birth) {
        (Some(x), Some(y)) => x == y || swapped(x, y),
        _ => true,
    };
    let gender = match (a.gender, b.gender) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    };
    birth && gender
}

/// The date with day and month swapped, when that is another date.
fn swapped_date(x: &NaiveDate) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(x.year(), x.day(), x.month()).filter(|s| s != x)
}

fn swapped(x: NaiveDate, y: NaiveDate) -> bool {
    x.year() == y.year() && x.day() == y.month() && x.month() == y.day() && x != y
}

fn one_part_off(x: NaiveDate, y: NaiveDate) -> bool {
    let diffs = [
        x.year() != y.year(),
        x.month() != y.month(),
        x.day() != y.day(),
    ];
    diffs.iter().filter(|d| **d).count() == 1
}

/// The slips a typist makes in a birth date: a day apart (across a month or
/// year end too), or one part off by one (the 5th and the 6th, 2011 and
/// 2012), by one digit (the 5th and the 25th) or by two digits swapped (the
/// 12th and the 21st). The 5th and the 27th are not a slip.
fn slip(x: NaiveDate, y: NaiveDate) -> bool {
    if (x - y).num_days().abs() == 1 {
        return true;
    }
    if !one_part_off(x, y) {
        return false;
    }
    let (p, q, width) = if x.year() != y.year() {
        (x.year(), y.year(), 4)
    } else if x.month() != y.month() {
        (x.month() as i32, y.month() as i32, 2)
    } else {
        (x.day() as i32, y.day() as i32, 2)
    };
    if (p - q).abs() == 1 {
        return true;
    }
    let (a, b) = (digits(p, width), digits(q, width));
    let (a, b) = (a.as_ref(), b.as_ref());
    let differing: Vec<usize> = (0..a.len().min(b.len()))
        .filter(|&i| a[i] != b[i])
        .collect();
    let transposed = differing.len() == 2
        && differing[1] == differing[0] + 1
        && a[differing[0]] == b[differing[1]]
        && a[differing[1]] == b[differing[0]];
    differing.len() == 1 || transposed
}

/// The characters of `{v:0width$}` (a date part padded with zeros), made
/// without formatting (nor a heap allocation) for the parts a date has (0
/// to 9999).
fn digits(v: i32, width: usize) -> Digits {
    if (0..=9999).contains(&v) && width == 4 {
        Digits::Short(
            [
                b'0' + (v / 1000) as u8,
                b'0' + (v / 100 % 10) as u8,
                b'0' + (v / 10 % 10) as u8,
                b'0' + (v % 10) as u8,
            ],
            4,
        )
    } else if (0..=99).contains(&v) && width == 2 {
        Digits::Short([b'0' + (v / 10) as u8, b'0' + (v % 10) as u8, 0, 0], 2)
    } else {
        Digits::Long(format!("{v:0width$}").into_bytes())
    }
}

/// A date part's characters: up to four inline, else on the heap.
enum Digits {
    Short([u8; 4], usize),
    Long(Vec<u8>),
}

impl AsRef<[u8]> for Digits {
    fn as_ref(&self) -> &[u8] {
        match self {
            Digits::Short(d, n) => &d[..*n],
            Digits::Long(d) => d,
        }
    }
}

/// Days two enrollment histories overlap at most (one span of each), or
/// None when they never overlap.
fn overlap_days(a: &[Span], b: &[Span]) -> Option<i64> {
    let mut best: Option<i64> = None;
    for (s1, e1, _, _) in a {
        for (s2, e2, _, _) in b {
            if s1 < e2 && s2 < e1 {
                let days = ((*e1).min(*e2) - (*s1).max(*s2)).num_days();
                best = Some(best.map_or(days, |d: i64| d.max(days)));
            }
        }
    }
    best
}

/// Soundex of a folded name ("" for a blank one).
fn soundex(encoder: &Soundex, s: &str) -> String {
    let letters: String = s.chars().filter(|c| c.is_ascii_alphabetic()).collect();
    if letters.is_empty() {
        String::new()
    } else {
        encoder.encode(&letters)
    }
}

/// Folded name -> the folded names it is a nickname or formal name of.
type Nicknames = PlHashMap<String, Vec<String>>;

struct Comparer {
    /// What the name comparators read of each name, by ID.
    names: names::Names,
}

/// Graded string similarity of two folded names that differ: the
/// Jaro-Winkler levels (one edit apart counts as 0.88), then Soundex.
fn graded<P: PartialEq>(phon: impl Fn(&str) -> P, a: &str, b: &str, first_level: usize) -> usize {
    // The edit distance only when the Jaro-Winkler levels do not decide,
    // and not when the lengths alone put it past the bound.
    let jw = similarity::jaro_winkler(a, b);
    let lev = std::cell::OnceCell::new();
    let lev = || *lev.get_or_init(|| similarity::levenshtein(a, b));
    let apart = a.chars().count().abs_diff(b.chars().count());
    if jw >= 0.95 {
        first_level
    } else if jw >= 0.88 || (apart <= 1 && lev() <= 1) {
        first_level + 1
    } else if jw >= 0.80 || (a.len().min(b.len()) >= 5 && apart <= 2 && lev() <= 2) {
        first_level + 2
    } else if phon(a) == phon(b) {
        first_level + 3
    } else {
        first_level + 4
    }
}

/// The parts of a compound surname.
fn parts(s: &str) -> impl Iterator<Item = &str> {
    s.split(['-', ' ']).filter(|p| !p.is_empty())
}

/// A surname's letters without hyphens and spaces.
fn joined(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().filter(|c| *c != '-' && *c != ' ')
}

impl Comparer {
    /// First names by ID: blank, the same, a nickname, the other's middle
    /// name, else graded.
    fn first_level(&self, a: u32, b: u32, ua: &Unit, ub: &Unit) -> usize {
        if a == names::BLANK || b == names::BLANK {
            missing_level(FIRST)
        } else if a == b {
            0
        } else if self.names.nickname(a, b) {
            1
        } else if ub.middle_ids.contains(&a) || ua.middle_ids.contains(&b) {
            2
        } else {
            3 + self.names.graded(a, b)
        }
    }

    /// Surnames by ID: blank, the same letters, a shared part of a compound
    /// surname, else graded.
    fn last_level(&self, a: u32, b: u32) -> usize {
        if a == names::BLANK || b == names::BLANK {
            missing_level(LAST)
        } else if a == b || self.names.same_letters(a, b) {
            0
        } else if self.names.share_a_part(a, b) {
            1
        } else {
            2 + self.names.graded(a, b)
        }
    }

    /// The best (first, last) levels over both units' name variants, the
    /// names taken straight or swapped; "missing" ranks as "different".
    /// The first of equally good candidates wins, so a surname is compared
    /// only when its first name leaves the candidate a chance to be
    /// better, and nothing is compared once both agree exactly.
    fn name_levels(&self, a: &Unit, b: &Unit) -> (usize, usize) {
        let rank = |c: usize, l: usize| if l == missing_level(c) { l - 1 } else { l };
        let mut best = (missing_level(FIRST), missing_level(LAST));
        let mut best_rank = usize::MAX;
        for &(fa, la) in &a.name_ids {
            for &(fb, lb) in &b.name_ids {
                for (f, l) in [(fb, lb), (lb, fb)] {
                    if best_rank == 0 {
                        return best;
                    }
                    let first = self.first_level(fa, f, a, b);
                    if rank(FIRST, first) >= best_rank {
                        continue;
                    }
                    let cand = (first, self.last_level(la, l));
                    let r = rank(FIRST, cand.0) + rank(LAST, cand.1);
                    if r < best_rank {
                        best = cand;
                        best_rank = r;
                    }
                }
            }
        }
        best
    }

    /// The comparison vector of two units.
    fn levels(&self, a: &Unit, b: &Unit) -> [usize; N] {
        let (first, last) = self.name_levels(a, b);
        let mut v = [0; N];
        v[FIRST] = first;
        v[LAST] = last;
        v[MIDDLE] = middle_level(&self.names, a, b);
        v[BIRTH] = birth_level(a, b);
        v[GENDER_C] = match (&a.gender, &b.gender) {
            (Some(x), Some(y)) if x == y => 0,
            (Some(_), Some(_)) => 1,
            _ => 2,
        };
        v[ENROLLMENT] = enrollment_level(a, b);
        v[LOCAL] = local_level(a, b);
        v[ADDRESS_C] = address_level(a, b);
        v
    }
}

fn middle_level(names: &names::Names, a: &Unit, b: &Unit) -> usize {
    if a.middle_ids.is_empty() || b.middle_ids.is_empty() {
        return missing_level(MIDDLE);
    }
    if !a.middle_ids.is_disjoint(&b.middle_ids) {
        return 0;
    }
    let initial = |x: u32, y: u32| {
        let (x, y) = (names.text(x), names.text(y));
        (x.chars().count() == 1 || y.chars().count() == 1) && x.chars().next() == y.chars().next()
    };
    if a.middle_ids
        .iter()
        .any(|&x| b.middle_ids.iter().any(|&y| initial(x, y)))
    {
        1
    } else {
        2
    }
}

fn birth_level(a: &Unit, b: &Unit) -> usize {
    if a.births.is_empty() || b.births.is_empty() {
        return missing_level(BIRTH);
    }
    let mut best = 4;
    for x in &a.births {
        for y in &b.births {
            let l = if x == y {
                0
            } else if swapped(*x, *y) {
                1
            } else if slip(*x, *y) {
                2
            } else if one_part_off(*x, *y) {
                3
            } else {
                4
            };
            best = best.min(l);
        }
    }
    best
}

/// Enrollment histories graded by how long the two were enrolled at once:
/// a few days at a transfer is normal, months is another child; never at
/// once, one ending within 120 days of the other's start is a re-registration
/// when it is a plausible [`transfer`], else its own level.
fn enrollment_level(a: &Unit, b: &Unit) -> usize {
    if a.spans.is_empty() || b.spans.is_empty() {
        return missing_level(ENROLLMENT);
    }
    match overlap_days(&a.spans, &b.spans) {
        Some(d) if d > 60 => 4,
        Some(d) if d > 14 => 3,
        Some(_) => 1,
        None => {
            let (start_a, end_a) = (a.entered.expect("spans"), a.left.expect("spans"));
            let (start_b, end_b) = (b.entered.expect("spans"), b.left.expect("spans"));
            let gap = |end: NaiveDate, start: NaiveDate| (start - end).num_days();
            let (a_then_b, b_then_a) = (gap(end_a, start_b), gap(end_b, start_a));
            let follows = |d: i64| (0..=120).contains(&d);
            if (follows(a_then_b) && transfer(a, b, a_then_b))
                || (follows(b_then_a) && transfer(b, a, b_then_a))
            {
                ENDS_WHERE_BEGINS
            } else if follows(a_then_b) || follows(b_then_a) {
                ENDS_THEN_ELSEWHERE
            } else {
                2
            }
        }
    }
}

/// At most this many days between one enrollment's exit and the other's
/// entry is a transfer wherever the two schools are.
const TRANSFER_DAYS: i64 = 14;

/// One unit's enrollments ending where the other's begin is a plausible
/// transfer: within two weeks, or (after a summer, say) in the SAU the first
/// left. A stranger of the same age leaving one SAU and another arriving
/// elsewhere months later is not evidence of one child: at 800,000 students
/// such pairs were 1,700 of the grey zone and all 11 wrong automatic merges.
fn transfer(from: &Unit, to: &Unit, gap_days: i64) -> bool {
    if gap_days <= TRANSFER_DAYS {
        return true;
    }
    let (left, entered) = (from.left, to.entered);
    from.spans
        .iter()
        .any(|x| Some(x.1) == left && to.spans.iter().any(|y| Some(y.0) == entered && y.2 == x.2))
}

/// One unit's last enrollment ends and the other's first begins within
/// two weeks ([`TRANSFER_DAYS`]), in one SAU: one child's record carried
/// on under a new ID (an adoption, a new name), or a stranger arriving as
/// another leaves.
fn continues_in_sau(a: &Unit, b: &Unit) -> bool {
    let follows = |from: &Unit, to: &Unit| match (from.left, to.entered) {
        (Some(left), Some(entered)) => {
            (0..=TRANSFER_DAYS).contains(&(entered - left).num_days())
                && from
                    .spans
                    .iter()
                    .any(|x| x.1 == left && to.spans.iter().any(|y| y.0 == entered && y.2 == x.2))
        }
        _ => false,
    };
    follows(a, b) || follows(b, a)
}

/// A birth date on both sides.
fn one_birth_date(a: &Unit, b: &Unit) -> bool {
    a.births.iter().any(|d| b.births.contains(d))
}

/// Local student numbers where both were enrolled in one SAU.
fn local_level(a: &Unit, b: &Unit) -> usize {
    let (na, nb) = (&a.locals, &b.locals);
    if !na.is_disjoint(nb) {
        return 0;
    }
    if na.iter().any(|(x, _)| nb.iter().any(|(y, _)| x == y)) {
        1
    } else {
        missing_level(LOCAL)
    }
}

fn address_level(a: &Unit, b: &Unit) -> usize {
    if a.addresses.is_empty() || b.addresses.is_empty() {
        missing_level(ADDRESS_C)
    } else if !a.addresses.is_disjoint(&b.addresses) {
        0
    } else if a
        .addresses
        .iter()
        .any(|x| x.1 != BLANK_CODE && b.addresses.iter().any(|y| y.1 == x.1))
    {
        1
    } else {
        2
    }
}

/// How many units hold each folded first name, last name and birth date:
/// exact agreement on a rare value is stronger evidence. The shares are
/// taken with a population prior ([`population`]), the pair left out.
struct Frequencies {
    /// By name ID ([`names`]).
    first: PlHashMap<u32, f64>,
    last: PlHashMap<u32, f64>,
    birth: PlHashMap<NaiveDate, f64>,
    units: f64,
    /// The population share of one birth date ([`population::birth_date_share`]).
    birth_share: f64,
}

impl Frequencies {
    fn of(units: &[Unit]) -> Self {
        let mut f = Frequencies {
            first: PlHashMap::default(),
            last: PlHashMap::default(),
            birth: PlHashMap::default(),
            units: units.len().max(1) as f64,
            birth_share: 0.0,
        };
        let mut births = Vec::with_capacity(units.len());
        for u in units {
            // Each value once per unit: a name history repeats its surname.
            let firsts: BTreeSet<u32> = u.name_ids.iter().map(|n| n.0).collect();
            let lasts: BTreeSet<u32> = u.name_ids.iter().map(|n| n.1).collect();
            for a in firsts {
                *f.first.entry(a).or_default() += 1.0;
            }
            for b in lasts {
                *f.last.entry(b).or_default() += 1.0;
            }
            for d in &u.births {
                *f.birth.entry(*d).or_default() += 1.0;
            }
            births.extend(u.births.iter().next().copied());
        }
        f.birth_share = population::birth_date_share(&births);
        f
    }

    /// The term-frequency u of an exact agreement on first name, last name
    /// or birth date (the rarest value the two share), if any.
    fn exact_u(&self, c: usize, a: &Unit, b: &Unit) -> Option<f64> {
        let share =
            |x: Option<&f64>, p0: f64| population::tf_u(x.copied().unwrap_or(2.0), self.units, p0);
        let shared = match c {
            FIRST => a
                .name_ids
                .iter()
                .filter(|n| b.name_ids.iter().any(|m| m.0 == n.0))
                .map(|n| share(self.first.get(&n.0), population::FIRST_NAME_SHARE))
                .reduce(f64::min),
            LAST => a
                .name_ids
                .iter()
                .filter(|n| b.name_ids.iter().any(|m| m.1 == n.1))
                .map(|n| share(self.last.get(&n.1), population::SURNAME_SHARE))
                .reduce(f64::min),
            BIRTH => a
                .births
                .iter()
                .filter(|d| b.births.contains(*d))
                .map(|d| share(self.birth.get(d), self.birth_share))
                .reduce(f64::min),
            _ => None,
        };
        shared.map(|u| u.max(1e-7))
    }
}

/// The stage's model at work: weights per level with term-frequency
/// adjusted exact agreement.
struct Scorer<'a> {
    model: &'a Model,
}

impl Scorer<'_> {
    fn weight(&self, c: usize, l: usize, facts: &facts::Facts) -> f64 {
        let w = self.model.weights[c][l];
        if l != 0 || ![FIRST, LAST, BIRTH].contains(&c) {
            return w;
        }
        match facts.exact_u(c) {
            // Never below the next level: weights stay monotone.
            Some(u) => ((self.model.m[c][0] / u).log2()).max(self.model.weights[c][1]),
            None => w,
        }
    }

    /// Each comparator's weight, rounded to a thousandth.
    fn weights(&self, v: &[usize; N], facts: &facts::Facts) -> [f64; N] {
        std::array::from_fn(|c| (self.weight(c, v[c], facts) * 1000.0).round() / 1000.0)
    }
}

/// A blocking key (see [`blocking::key`]).
type Key = u128;

/// The blocking keys of a unit.
type KeysOf<'a> = Box<dyn Fn(&Unit) -> Vec<Key> + Sync + 'a>;

/// Candidate pairs (unit indexes, smaller first, sorted), each pass's pair
/// count, oversized blocks.
type Blocked = (Vec<(u32, u32)>, Vec<(String, u64)>, u64);

/// A candidate pair's comparison vector as it is held: each comparator's
/// level in a byte (8 bytes a pair, not 64: millions of pairs at a
/// state's size).
type Levels = [u8; N];

/// A held comparison vector as the comparators' level indexes.
fn wide(v: &Levels) -> [usize; N] {
    v.map(usize::from)
}

/// Which pairs of a block a pass keeps (None: all of them).
type Keep<'a> = Option<Box<dyn Fn(&Unit, &Unit) -> bool + Sync + 'a>>;

/// A blocking pass: its name, its largest block, the keys of a unit,
/// which pairs of a block it makes, and which of those it keeps.
struct Pass<'a> {
    name: &'static str,
    limit: usize,
    keys: KeysOf<'a>,
    within: blocking::Within,
    keep: Keep<'a>,
}

/// A pass keyed on each (first, last, birth date) variant of a unit, the
/// names by ID ([`names`]).
fn by_variant<'a>(
    name: &'static str,
    limit: usize,
    key: impl Fn(u32, u32, &NaiveDate) -> Option<Key> + Sync + 'a,
) -> Pass<'a> {
    Pass {
        name,
        limit,
        keys: Box::new(move |u: &Unit| {
            let mut out = Vec::new();
            for &(f, l) in &u.name_ids {
                for b in &u.births {
                    out.extend(key(f, l, b));
                }
            }
            out
        }),
        within: blocking::Within::Every,
        keep: None,
    }
}

/// The blocking passes. Most key on a birth-date part and a name part so
/// blocks stay small as the state grows; the others catch what two defects
/// at once hide from them: the birth date with any word of a name (first,
/// middle, a surname's parts) or a nickname of the first; both names phonetically in either order when
/// the birth dates are close or one is blank; any two name words
/// phonetically when one side has a blank; the address; the local
/// student number within its SAU; and the birth date alone for a unit with
/// a blank name part. No pass pairs every unit of a birth date: at a
/// state's size that is millions of pairs of strangers, nor the birth date
/// with an initial: on the generated 200,000- and 400,000-student bundles
/// those two passes made 70% of the pairs and found no true pair the others
/// missed. The passes keyed on a birth date or year and a name word or
/// Soundex drop two units enrolled at once for months with a name
/// different ([`word_and_birth_date_kept`]), and those keyed on a name and
/// a birth year, day and month or close birth dates also those with the
/// birth dates different ([`apart_at_once`]): two children of one birth
/// date or year sharing a common name, at school together, grow with the
/// square of the state. A key is the tuple of what it is made of
/// ([`blocking::key`]).
fn passes<'a>(comparer: &'a Comparer, units: &[Unit], max_block: usize) -> Vec<Pass<'a>> {
    use blocking::{letter, packed};
    let names = &comparer.names;
    // Names by ID, Soundex codes by number, letters and birth-date parts
    // packed into the key: the blocks their text made.
    let nonblank = |n: u32| n != names::BLANK;
    let year = |b: &NaiveDate| b.year() as u32;
    let mut out = vec![
        Pass {
            keep: Some(Box::new(move |a, b| !apart_at_once(comparer, a, b))),
            ..by_variant(
                "birth_year+soundex_last+first_initial+lower_of_month_day",
                max_block,
                move |f, l, b| {
                    nonblank(l).then(|| {
                        let md = b.month().min(b.day());
                        packed(year(b), names.phonetic(l), letter(names.initial(f)), md)
                    })
                },
            )
        },
        Pass {
            keep: Some(Box::new(move |a, b| {
                !apart_at_once(comparer, a, b) && !surnames_apart(comparer, a, b)
            })),
            ..by_variant(
                "soundex_first+last_initial+birth_month_day",
                max_block,
                move |f, l, b| {
                    nonblank(f).then(|| {
                        let (x, y) = (b.month().min(b.day()), b.month().max(b.day()));
                        packed(names.phonetic(f), letter(names.initial(l)), x, y)
                    })
                },
            )
        },
        Pass {
            keep: Some(Box::new(move |a, b| !apart_at_once(comparer, a, b))),
            ..by_variant("first+last+birth_year", max_block, move |f, l, b| {
                (nonblank(f) && nonblank(l)).then(|| packed(f.min(l), f.max(l), year(b), 0))
            })
        },
        Pass {
            name: "birth_date+any_name_word_or_nickname",
            limit: max_block,
            keys: Box::new(move |u: &Unit| {
                // Words by number ([`names::Names::part_words`]): equal
                // words, equal numbers, each once.
                let mut words: Vec<u32> =
                    u.middle_ids.iter().map(|&m| names.whole_word(m)).collect();
                for &(f, l) in &u.name_ids {
                    words.extend(names.part_words(f));
                    words.extend(names.part_words(l));
                    words.extend(names.nickname_words(f));
                }
                words.sort_unstable();
                words.dedup();
                let mut keys = Vec::new();
                for b in &u.births {
                    let day = b.num_days_from_ce() as u32;
                    keys.extend(words.iter().map(|&w| packed(day, w, 0, 0)));
                    // The first name's nicknames under the birth date with
                    // day and month swapped meet the first name itself
                    // (tagged 1: no other word): William born 7 March and
                    // Bill born 3 July share no other key.
                    let Some(s) = swapped_date(b) else { continue };
                    let s = s.num_days_from_ce() as u32;
                    for &(f, _) in u.name_ids.iter().filter(|(f, _)| nonblank(*f)) {
                        keys.push(packed(day, names.whole_word(f), 1, 0));
                        let nicks = names.nickname_words(f).iter();
                        keys.extend(nicks.map(|&w| packed(s, w, 1, 0)));
                    }
                }
                keys
            }),
            within: blocking::Within::Every,
            keep: Some(Box::new(move |a, b| {
                word_and_birth_date_kept(comparer, a, b)
            })),
        },
        Pass {
            name: "soundex_first_or_middle+soundex_last_either_order+close_birth_date",
            limit: max_block,
            keys: Box::new(move |u: &Unit| {
                let mut keys = Vec::new();
                for &(f, l) in u.name_ids.iter().filter(|(_, l)| nonblank(*l)) {
                    let given = std::iter::once(&f).chain(&u.middle_ids);
                    for &g in given.filter(|g| nonblank(**g)) {
                        let (x, y) = (names.sounded(g), names.sounded(l));
                        keys.push(packed(x.min(y), x.max(y), 0, 0));
                    }
                }
                keys
            }),
            within: blocking::Within::CloseBirths,
            keep: Some(Box::new(move |a, b| {
                close_births(a, b) && !apart_at_once(comparer, a, b)
            })),
        },
    ];
    out.push(apart_at_once_dropped(
        comparer,
        name_word_pairs_with_blank(names, units, max_block),
    ));
    out.push(apart_at_once_dropped(
        comparer,
        surname_with_blank(names, units, max_block),
    ));
    out.push(one_name_and_slipped_birth(comparer, max_block));
    out.extend(other_passes(comparer, max_block));
    out
}

/// Both names of two units different (the best of their variants, straight
/// or swapped, neither blank): what a pass keyed on something other than
/// both names (a birth date and one word, an address, a local number) drops.
/// Such a pair can be one child only if both names were replaced: on the
/// generated 200,000-student bundle these passes made 88,000 such pairs (a
/// local number or address shared by strangers, a middle name shared by
/// two children born on one day), dropping them lost no true pair and one
/// stranger from the review queue; but for the local number's they grow
/// with the square of the state.
fn names_apart(comparer: &Comparer, a: &Unit, b: &Unit) -> bool {
    let (first, last) = comparer.name_levels(a, b);
    first == missing_level(FIRST) - 1 && last == missing_level(LAST) - 1
}

/// What the pass keyed on a birth date and one name word keeps: not both
/// names different ([`names_apart`]), and, where one name is different,
/// not two units enrolled at once for months. Two children born on one
/// day who share a first name (or a surname) and are at school at the
/// same time meet in its blocks, and a day's children grow with the state,
/// so those pairs grow with its square (4.95 million of the 7.55 million
/// pairs the passes kept at 2,000,000 students); a duplicate with one name
/// replaced (a new surname and a nickname) continues the other's
/// enrollment or has none, and enrolled at once for months it could not
/// be merged without a person (the cluster guard). Pairs with neither name
/// different (twins, a typo at a name's first letter) are all kept.
fn word_and_birth_date_kept(comparer: &Comparer, a: &Unit, b: &Unit) -> bool {
    let (first, last) = comparer.name_levels(a, b);
    match (
        first == missing_level(FIRST) - 1,
        last == missing_level(LAST) - 1,
    ) {
        (true, true) => false,
        (false, false) => true,
        _ => !at_once_for_months(a, b),
    }
}

/// A name different and the two enrolled at once for months: what the
/// passes for a blank drop ([`apart_at_once_dropped`]) and the passes keyed
/// on a name and a birth year or close birth dates drop with more
/// ([`apart_at_once`]; two children of one year and one common surname, or
/// first name and surname sound, at school at the same time; those pairs
/// too grow with the square of the state). At 200,000 students none of the
/// 6,900 such pairs the two Soundex passes made was a true pair or queued.
fn different_at_once(comparer: &Comparer, a: &Unit, b: &Unit) -> bool {
    at_once_for_months(a, b) && one_name_different(comparer, a, b)
}

/// The first names or the surnames of two units different (the best of
/// their variants).
fn one_name_different(comparer: &Comparer, a: &Unit, b: &Unit) -> bool {
    let (first, last) = comparer.name_levels(a, b);
    first == missing_level(FIRST) - 1 || last == missing_level(LAST) - 1
}

/// Two units enrolled at once for months whose birth dates are different
/// (no slip, swap or part off) or one of whose names is: what the passes
/// keyed on a name (whole, by Soundex or by initial) and a birth year, a
/// birth day and month or close birth dates drop, testing the enrollment
/// and the birth dates before any name. Two children of one common name
/// and one birth year at school together grow with the square of the
/// state; one child with two IDs at school at once for months would need
/// a person to merge them (the cluster guard), and with the birth date
/// wholly different too, never scores near review: at 400,000 students
/// none of the 46,117 candidate pairs enrolled at once for months was a
/// true pair, and none of those with the birth dates different was queued.
fn apart_at_once(comparer: &Comparer, a: &Unit, b: &Unit) -> bool {
    at_once_for_months(a, b)
        && (birth_level(a, b) == missing_level(BIRTH) - 1 || one_name_different(comparer, a, b))
}

/// A pass that keeps what it kept but pairs [`different_at_once`]: the
/// passes for a unit with a blank value pair it with every unit of its
/// name sounds or birth date, so their pairs grow with the square of the
/// state; at 2,000,000 students 304,084 of the pairs with a value missing
/// had a name different and the two at school at once for months, none
/// true and every one separated.
fn apart_at_once_dropped<'a>(comparer: &'a Comparer, pass: Pass<'a>) -> Pass<'a> {
    let keep = pass.keep;
    Pass {
        keep: Some(Box::new(move |a, b| {
            keep.as_deref().is_none_or(|keep| keep(a, b)) && !different_at_once(comparer, a, b)
        })),
        ..pass
    }
}

/// Two units enrolled at once for more than 60 days (the enrollment level
/// `overlap_months`).
fn at_once_for_months(a: &Unit, b: &Unit) -> bool {
    overlap_days(&a.spans, &b.spans).is_some_and(|d| d > 60)
}

/// Every surname of one unit different from every surname of the other
/// (none blank): what the pass keyed on a Soundex first name, a surname's
/// initial and the birth day and month, in any year, drops (at 200,000
/// students 18,000 of its 21,800 pairs, no true pair lost).
fn surnames_apart(comparer: &Comparer, a: &Unit, b: &Unit) -> bool {
    let different = missing_level(LAST) - 1;
    a.name_ids.iter().all(|&(_, x)| {
        b.name_ids
            .iter()
            .all(|&(_, y)| comparer.last_level(x, y) == different)
    })
}

/// Any two words of a unit's names (first, middle, a surname's parts),
/// phonetically, in either order, for a pair where one side has a blank
/// name part or birth date and the birth dates are close (or blank): a
/// blank hides the word the other passes key on, and the words left may
/// sit in other places (names swapped, the middle name as the first, a
/// surname hyphenated).
fn name_word_pairs_with_blank<'a>(
    names: &'a names::Names,
    units: &[Unit],
    max_block: usize,
) -> Pass<'a> {
    // Soundex codes by number ([`names::Names::part_sounds`]): a middle
    // name is one word, a first or last name its parts; equal codes, equal
    // numbers, each once, the empty code left out.
    let words = move |u: &Unit| -> Vec<Key> {
        let mut words: Vec<u32> = u.middle_ids.iter().map(|&m| names.phonetic(m)).collect();
        for &(f, l) in &u.name_ids {
            words.extend(names.part_sounds(f));
            words.extend(names.part_sounds(l));
        }
        words.sort_unstable();
        words.dedup();
        words.retain(|&w| w != names.silent());
        let mut keys = Vec::new();
        for (i, &x) in words.iter().enumerate() {
            keys.extend(words[i + 1..].iter().map(|&y| blocking::packed(x, y, 0, 0)));
        }
        keys
    };
    with_blank(
        "soundex_two_name_words+blank_value+close_birth_date",
        words,
        units,
        max_block,
    )
}

/// A surname word (a hyphenated or compound surname's parts each) with,
/// for a unit with a blank first name, its birth day and month in either
/// order (any year), and for a unit with a blank birth date, its first
/// initial; for a pair where one side has a blank value and the birth
/// dates are close (or blank). On the 20,000-student personal-and-address
/// bundle with blanks, a re-registered Emily with her first name blank and
/// day and month swapped, and a Daniel with his birth date blank
/// re-registered as Danny, kept only their surname and that in common
/// and were never compared (pair completeness 0.9928).
fn surname_with_blank<'a>(names: &'a names::Names, units: &[Unit], max_block: usize) -> Pass<'a> {
    // Surname words by number ([`names::Names::part_words`]), a birth
    // day and month tagged 0, an initial 1: equal values, equal keys.
    let words = move |u: &Unit| -> Vec<Key> {
        let mut keys = Vec::new();
        for &(f, l) in &u.name_ids {
            let initial = names.initial(f);
            for &w in names.part_words(l) {
                for b in &u.births {
                    let (x, y) = (b.month().min(b.day()), b.month().max(b.day()));
                    keys.push(blocking::packed(w, 0, x, y));
                }
                if let Some(i) = initial {
                    keys.push(blocking::packed(w, 1, u32::from(i), 0));
                }
            }
        }
        keys.sort_unstable();
        keys.dedup();
        keys
    };
    with_blank(
        "surname+month_day_or_first_initial+blank_value+close_birth_date",
        words,
        units,
        max_block,
    )
}

/// One name by Soundex, the other's initial and two of the birth date's
/// three parts (year and month, year and day; for the surname's Soundex
/// also day and month in either order), for a pair whose birth dates are
/// equal, swapped or a slip apart and neither of whose names is different:
/// a child re-registered with one name's Soundex changed (a typo, a
/// hyphenated surname added) and the birth date a day or a year off. The
/// other passes key on that name's Soundex or on the whole birth date:
/// at 400,000 students 10 such true pairs of IDs were never compared (4 of
/// the 350 retired IDs, 6 new IDs). Names in either order meet (a first
/// name's key is a surname's with the same numbers); a year is never a
/// day or month (1-31), a day is tagged apart from a month (+100).
fn one_name_and_slipped_birth(comparer: &Comparer, max_block: usize) -> Pass<'_> {
    let names = &comparer.names;
    let different = (missing_level(FIRST) - 1, missing_level(LAST) - 1);
    Pass {
        name: "soundex_one_name+other_initial+two_birth_parts+slip",
        limit: max_block,
        keys: Box::new(move |u: &Unit| {
            let mut keys = Vec::new();
            let sound = |n: u32| {
                Some(names.phonetic(n)).filter(|&c| n != names::BLANK && c != names.silent())
            };
            for &(f, l) in &u.name_ids {
                let sides = [
                    (sound(f), names.initial(l), false),
                    (sound(l), names.initial(f), true),
                ];
                for (s, i, surname) in sides {
                    let (Some(s), Some(i)) = (s, i) else { continue };
                    let i = blocking::letter(Some(i));
                    // A birth date on the 1st also keys as the day before:
                    // 31 March and 1 April share no part.
                    let day_before = |b: &NaiveDate| (b.day() == 1).then(|| b.pred_opt()).flatten();
                    let births = u.births.iter().copied();
                    for b in births.clone().chain(births.filter_map(|b| day_before(&b))) {
                        let (y, m, d) = (b.year() as u32, b.month(), b.day());
                        keys.push(blocking::packed(s, i, y, m));
                        keys.push(blocking::packed(s, i, y, 100 + d));
                        if surname {
                            keys.push(blocking::packed(s, i, m.min(d), m.max(d)));
                        }
                    }
                }
            }
            keys.sort_unstable();
            keys.dedup();
            keys
        }),
        within: blocking::Within::Every,
        keep: Some(Box::new(move |a, b| {
            birth_level(a, b) <= 2 && {
                let (first, last) = comparer.name_levels(a, b);
                first < different.0 && last < different.1
            }
        })),
    }
}

/// A pass on the keys `words` gives a unit, for a pair where one side has
/// a blank value and the birth dates are close (or blank). A unit with
/// nothing blank keeps only the keys of a unit with a blank: its other
/// blocks could hold no pair this pass keeps.
fn with_blank<'a>(
    name: &'static str,
    words: impl Fn(&Unit) -> Vec<Key> + Send + Sync + 'a,
    units: &[Unit],
    max_block: usize,
) -> Pass<'a> {
    let of_blank: std::collections::HashSet<Key> = units
        .par_iter()
        .filter(|u| has_blank(u))
        .flat_map_iter(&words)
        .collect();
    Pass {
        name,
        limit: max_block,
        keys: Box::new(move |u: &Unit| {
            let mut keys = words(u);
            if !has_blank(u) {
                keys.retain(|k| of_blank.contains(k));
            }
            keys
        }),
        within: blocking::Within::OneSide(has_blank),
        keep: Some(Box::new(|a, b| {
            (has_blank(a) || has_blank(b)) && close_births(a, b)
        })),
    }
}

/// A unit with a blank first name or surname in one of its name variants,
/// or no birth date.
fn has_blank(u: &Unit) -> bool {
    u.births.is_empty()
        || u.name_ids
            .iter()
            .any(|&(f, l)| f == names::BLANK || l == names::BLANK)
}

/// The passes that key on no name: the address, the local student number
/// within its SAU, the birth date for a unit with a blank name part.
fn other_passes<'a>(comparer: &'a Comparer, max_block: usize) -> Vec<Pass<'a>> {
    use blocking::key;
    // Both names replaced, the birth date kept: a child adopted and
    // renamed whole, whom the address or the local number may still find.
    let names_close =
        move |a: &Unit, b: &Unit| !names_apart(comparer, a, b) || one_birth_date(a, b);
    vec![
        Pass {
            name: "address",
            limit: max_block,
            keys: Box::new(|u: &Unit| {
                u.addresses
                    .iter()
                    .filter(|&&(street, _)| street != BLANK_CODE)
                    .map(key)
                    .collect()
            }),
            within: blocking::Within::Every,
            keep: Some(Box::new(names_close)),
        },
        Pass {
            name: "local_number_in_sau",
            limit: max_block,
            keys: Box::new(|u: &Unit| u.locals.iter().map(|(sau, n)| key((sau, n))).collect()),
            within: blocking::Within::Every,
            keep: Some(Box::new(names_close)),
        },
        Pass {
            name: "birth_date+sau_left_or_entered+renamed",
            limit: max_block,
            keys: Box::new(|u: &Unit| {
                // The SAU of the last exit and of the first entry: one
                // unit's last meets the other's first.
                let ends = u
                    .spans
                    .iter()
                    .filter(|s| Some(s.1) == u.left || Some(s.0) == u.entered);
                let saus: SortedSet<Code> = ends.map(|s| s.2).collect();
                let mut keys = Vec::new();
                for b in &u.births {
                    let day = b.num_days_from_ce() as u32;
                    keys.extend(saus.iter().map(|&sau| blocking::packed(day, sau, 0, 0)));
                }
                keys
            }),
            within: blocking::Within::Every,
            keep: Some(Box::new(move |a, b| {
                one_birth_date(a, b) && continues_in_sau(a, b) && names_apart(comparer, a, b)
            })),
        },
        Pass {
            name: "birth_date+blank_name_part",
            limit: max_block,
            keys: Box::new(|u: &Unit| u.births.iter().map(key).collect()),
            within: blocking::Within::OneSide(blank_name_part),
            keep: Some(Box::new(move |a, b| {
                (blank_name_part(a) || blank_name_part(b)) && !different_at_once(comparer, a, b)
            })),
        },
    ]
}

/// A unit with no complete name (a blank first or last name in every
/// variant).
fn blank_name_part(u: &Unit) -> bool {
    u.name_ids
        .iter()
        .all(|&(f, l)| f == names::BLANK || l == names::BLANK)
}

/// Birth dates that could be one child's: blank on either side, equal,
/// day and month swapped, one part off, or a day apart in any year. (The
/// birth-date levels up to "one part off" without grading them: a slip is
/// a day apart or one part off.)
fn close_births(a: &Unit, b: &Unit) -> bool {
    if a.births.is_empty() || b.births.is_empty() {
        return true;
    }
    let day_apart = |x: &NaiveDate, y: &NaiveDate| {
        // Months more than one apart are never a day apart (a 29 February
        // that another year lacks stays in its own year, next to its own
        // neighbours).
        if x.month().abs_diff(y.month()) > 1 {
            return false;
        }
        let moved = x.with_year(y.year()).unwrap_or(*x);
        (moved - *y).num_days().abs() <= 1
    };
    a.births.iter().any(|x| {
        b.births.iter().any(|y| {
            x == y
                || swapped(*x, *y)
                || one_part_off(*x, *y)
                || (*x - *y).num_days().abs() == 1
                || day_apart(x, y)
        })
    })
}

/// Identity rows as read, names folded (each distinct name once) and
/// numbered ([`names`]), and the table of the folded names. A row holds
/// numbers only: its names' IDs, its gender's number.
fn identities(personal: &DataFrame) -> PolarsResult<(Vec<Identity>, Vec<String>)> {
    use extract::{text, text_or_blank};
    let person = extract::ints(personal, PERSON_ID)?;
    let identity_id = extract::ints(personal, IDENTITY_ID)?;
    let first = text(personal, FIRST_NAME)?;
    let middle = text_or_blank(personal, MIDDLE_NAME)?;
    let last = text(personal, LAST_NAME)?;
    let gender = text_or_blank(personal, GENDER)?;
    let birth = extract::dates(personal, BIRTH_DATE)?;
    let effective = extract::dates(personal, IDENTITY_EFFECTIVE_DATE)?;
    // Each row's names as the numbers of their text as read (short texts
    // hashed as numbers, [`extract::Interner`]), then, each distinct text
    // folded once and the table sorted, as the names' IDs.
    let mut read = extract::Interner::default();
    let mut genders = extract::Interner::default();
    let mut ids: Vec<Identity> = (0..personal.height())
        .map(|i| Identity {
            person: person.get(i).unwrap_or(-1),
            identity: identity_id.get(i).unwrap_or(-1),
            first_id: read.code(first.get(i).unwrap_or("")),
            middle_id: read.code(middle.get(i).unwrap_or("")),
            last_id: read.code(last.get(i).unwrap_or("")),
            gender: gender.get(i).map(|g| genders.code(g)),
            birth: birth[i],
            effective: effective[i],
        })
        .collect();
    let folded: Vec<String> = read.texts().into_iter().map(fold).collect();
    let table = names::table(folded.iter().map(String::as_str));
    let number = names::ids(&table);
    let id_of: Vec<u32> = folded.iter().map(|f| number[f.as_str()]).collect();
    // A placeholder of its part of the name ("Baby Boy", "NMN") is read as
    // blank.
    let id_in = |list: &[&str]| -> Vec<u32> {
        folded
            .iter()
            .zip(&id_of)
            .map(|(f, &id)| {
                if names::placeholder(list, f) {
                    names::BLANK
                } else {
                    id
                }
            })
            .collect()
    };
    let (first_of, middle_of) = (
        id_in(names::FIRST_PLACEHOLDERS),
        id_in(names::MIDDLE_PLACEHOLDERS),
    );
    let last_of = id_in(names::LAST_PLACEHOLDERS);
    drop((number, folded, id_of));
    for id in &mut ids {
        id.first_id = first_of[id.first_id as usize];
        id.middle_id = middle_of[id.middle_id as usize];
        id.last_id = last_of[id.last_id as usize];
    }
    Ok((ids, table))
}

/// Units (sorted by key), the certain rule of every identity row, and the
/// same-ID conflicts sent to review.
fn build_units(
    ids: &[Identity],
    personal: &DataFrame,
) -> PolarsResult<(Vec<Unit>, Vec<&'static str>, Vec<Pair>)> {
    // Each row's StateStudentID, read from the frame (one chunk: a row is
    // found by its index at once).
    let state_id = extract::text(personal, STATE_STUDENT_ID)?
        .rechunk()
        .into_owned();
    // Persons, in order of their number, each one's rows in row order.
    let mut order: Vec<usize> = (0..ids.len()).collect();
    order.sort_by_key(|&r| ids[r].person);
    let persons: Vec<&[usize]> = order
        .chunk_by(|&x, &y| ids[x].person == ids[y].person)
        .collect();
    let mut review: Vec<Pair> = Vec::new();
    let mut rule_of: Vec<&'static str> = vec!["original"; ids.len()];
    for rows in &persons {
        for &r in &rows[1..] {
            rule_of[r] = "same_person";
        }
    }
    // Units: persons sharing a StateStudentID merge when compatible. The
    // persons with an ID, by ID and, within one, in order of their number.
    let mut with_id: Vec<(&str, &[usize])> = Vec::new();
    let mut units: Vec<Unit> = Vec::with_capacity(persons.len());
    for rows in &persons {
        match rows.iter().find_map(|&r| state_id.get(r)) {
            Some(s) => with_id.push((s, rows)),
            None => units.push(Unit::new(
                format!("NEW-{}", ids[rows[0]].person),
                None,
                rows.to_vec(),
            )),
        }
    }
    with_id.sort_by(|a, b| a.0.cmp(b.0));
    for group in with_id.chunk_by(|a, b| a.0 == b.0) {
        let s = group[0].0;
        let mut main = group[0].1.to_vec();
        for &(_, rows) in &group[1..] {
            if compatible(&ids[main[0]], &ids[rows[0]]) {
                for &r in rows {
                    rule_of[r] = "same_state_id";
                }
                main.extend(rows.iter().copied());
            } else {
                let key = format!("CONFLICT-{}", ids[rows[0]].person);
                review.push(Pair {
                    key_a: s.to_string(),
                    key_b: key.clone(),
                    score: 0.0,
                    probability: 0.0,
                    terms: Vec::new(),
                    outcome: "review".into(),
                    reason: "same_id_conflict: persons share a StateStudentID but not birth date and gender".into(),
                    pattern: String::new(),
                });
                units.push(Unit::new(key, None, rows.to_vec()));
            }
        }
        units.push(Unit::new(s.to_string(), Some(s.to_string()), main));
    }
    // Sorted by key (ties in the order made), in place: no second vector
    // of units.
    let mut order: Vec<u32> = (0..units.len() as u32).collect();
    order.par_sort_unstable_by(|&a, &b| {
        (units[a as usize].key.as_str(), a).cmp(&(units[b as usize].key.as_str(), b))
    });
    permute(&mut units, order);
    units.par_iter_mut().for_each(|u| {
        let members = std::mem::take(&mut u.members);
        for &r in &members {
            u.absorb(&ids[r]);
        }
        u.members = members;
    });
    Ok((units, rule_of, review))
}

/// Puts `v[order[i]]` at `i`, in place (each cycle of the permutation
/// followed once with swaps).
fn permute<T>(v: &mut [T], mut order: Vec<u32>) {
    const DONE: u32 = u32::MAX;
    for i in 0..v.len() {
        let mut j = i;
        while order[j] != DONE {
            let k = order[j] as usize;
            order[j] = DONE;
            if k == i {
                break;
            }
            v.swap(j, k);
            j = k;
        }
    }
}

/// What the enrollment rows and the mailing addresses tell of identity,
/// read by the ID they were read under (made while the units are built,
/// before any unit is known): each enrollment row's span and each address,
/// in row order.
#[derive(Default)]
struct Evidence {
    /// The distinct enrollment IDs, by number.
    ids: Vec<String>,
    /// Each enrollment row's ID number and span; SAUs and local numbers
    /// numbered in order of first sight over all rows.
    spans: Vec<(u32, Span)>,
    /// How many SAUs and local numbers the spans number.
    codes: usize,
    /// Each address row's ID and folded (street address, zip).
    addresses: Vec<(String, (String, String))>,
    /// The ID number and entry date of each row not marked continuing
    /// (StartStatus not 02, or blank; none when the column is absent).
    new_entries: Vec<(u32, NaiveDate)>,
    /// Each ID number's first and last enrollment by grade (none when no
    /// row of it has a known grade, or without the column).
    grade_ends: Vec<Option<GradeEnds>>,
    /// The `NEW-` units' keys by the local number that ties them to rows
    /// without an ID ([`new_keys_by_local`]).
    tied: PlHashMap<String, String>,
}

impl Evidence {
    /// The enrollments' spans (with those of the `NEW-` units tied by
    /// local number, [`new_keys_by_local`]) and the mailing addresses.
    fn read(
        personal: &DataFrame,
        enrollment: Option<&DataFrame>,
        addresses: Option<&DataFrame>,
    ) -> PolarsResult<Self> {
        let mut evidence = match enrollment {
            Some(e) => {
                let tied = new_keys_by_local(personal, e)?;
                let mut evidence = enrollment_spans(e, &tied)?;
                evidence.tied = tied;
                evidence
            }
            None => Evidence::default(),
        };
        if let Some(a) = addresses {
            let ids_col = extract::text(a, STATE_STUDENT_ID)?;
            let street = extract::text(a, ADDRESS)?;
            let zip = extract::text(a, ZIP)?;
            let mut folder = extract::Folder::default();
            for (i, s) in ids_col.iter().enumerate() {
                if let (Some(s), Some(st)) = (s, street.get(i)) {
                    let z: String = zip.get(i).unwrap_or_default().chars().take(5).collect();
                    evidence
                        .addresses
                        .push((s.to_string(), (folder.fold(Some(st)), z)));
                }
            }
        }
        Ok(evidence)
    }
}

/// Gives each unit its enrollment spans (in row order) and mailing
/// addresses, each ID's unit found by one lookup, then summarises the
/// spans. Rows under an ID no unit has are left out; the SAUs and local
/// numbers are numbered again in order of first sight over the rows kept,
/// and the streets and zips of the addresses kept (0 the blank text): the
/// numbers one walk over the kept rows would give.
fn attach(units: &mut [Unit], mut evidence: Evidence) {
    const NONE: u32 = u32::MAX;
    let unit_of: extract::TextMap<u32> = units
        .iter()
        .enumerate()
        .map(|(i, u)| (u.key.as_str(), i as u32))
        .collect();
    let unit_of_id: Vec<u32> = evidence
        .ids
        .iter()
        .map(|s| unit_of.get(s).unwrap_or(NONE))
        .collect();
    let mut codes: PlHashMap<String, Code> = PlHashMap::from_iter([(String::new(), BLANK_CODE)]);
    let mut code = |t: String| {
        let next = codes.len() as Code;
        *codes.entry(t).or_insert(next)
    };
    let addressed: Vec<(u32, (Code, Code))> = std::mem::take(&mut evidence.addresses)
        .into_iter()
        .filter_map(|(id, (street, zip))| Some((unit_of.get(&id)?, (code(street), code(zip)))))
        .collect();
    drop(unit_of);
    // Each row's unit in place of its ID, its codes renumbered.
    let mut number: Vec<Option<Code>> = vec![None; evidence.codes];
    let mut next: Code = 0;
    let mut renumber = |c: Code| {
        *number[c as usize].get_or_insert_with(|| {
            next += 1;
            next - 1
        })
    };
    let mut held = vec![0u32; units.len()];
    for (id, (_, _, sau, local)) in &mut evidence.spans {
        *id = unit_of_id[*id as usize];
        if *id != NONE {
            held[*id as usize] += 1;
            *sau = renumber(*sau);
            *local = local.map(&mut renumber);
        }
    }
    for (u, n) in held.into_iter().enumerate() {
        units[u].spans.reserve_exact(n as usize);
    }
    for (u, span) in evidence.spans {
        if u != NONE {
            units[u as usize].spans.push(span);
        }
    }
    for (u, address) in addressed {
        units[u as usize].addresses.insert(address);
    }
    units.par_iter_mut().for_each(Unit::summarise);
    for (id, entry) in evidence.new_entries {
        let u = unit_of_id[id as usize];
        if u != NONE && units[u as usize].entered == Some(entry) {
            units[u as usize].enters_new = true;
        }
    }
    for (id, ends) in evidence.grade_ends.into_iter().enumerate() {
        let u = unit_of_id[id];
        if let (true, Some(ends)) = (u != NONE, ends) {
            let unit = &mut units[u as usize];
            unit.grade_ends = Some(join_grade_ends(unit.grade_ends, ends));
        }
    }
}

/// Rows of enrollments a block of [`enrollment_spans`] reads.
const SPAN_BLOCK: usize = 1 << 15;

/// A block's rows' IDs and spans, its IDs, SAUs and local numbers numbered
/// by the block, the text of each of its numbers, its rows not marked
/// continuing (ID, entry date), and each of its IDs' grade ends.
type BlockSpans<'a> = (
    Vec<(u32, Span)>,
    Vec<&'a str>,
    Vec<&'a str>,
    Vec<(u32, NaiveDate)>,
    Vec<Option<GradeEnds>>,
);

/// The StartStatus of a row continuing at its school from the year before.
const CONTINUING: &str = "02";

/// The `NEW-` units' keys by the local number (stripped) that ties them to
/// enrollments without a StateStudentID, as the New State ID upload ties
/// them ([`crate::conform::unidentified_in_one_sau`]): a person with no
/// StateStudentID on any identity row whose Local Student Number no other
/// such person holds, found on enrollments without an ID in one SAU only.
/// Empty without the columns.
fn new_keys_by_local(
    personal: &DataFrame,
    e: &DataFrame,
) -> PolarsResult<PlHashMap<String, String>> {
    use crate::conform::{unidentified_in_one_sau, TIE_LOCAL};
    let columns = personal.column(LOCAL_STUDENT_NUMBER).is_ok()
        && e.column(crate::crosswalk::SAU_ORG_ID).is_ok();
    if !columns {
        return Ok(PlHashMap::new());
    }
    let local = col(LOCAL_STUDENT_NUMBER)
        .cast(DataType::String)
        .str()
        .strip_chars(lit(NULL));
    let persons = personal
        .clone()
        .lazy()
        .group_by([col(PERSON_ID).cast(DataType::Int64)])
        .agg([
            col(STATE_STUDENT_ID)
                .is_not_null()
                .any(true)
                .alias("__has_id"),
            local.drop_nulls().first().alias(TIE_LOCAL),
        ])
        .filter(col("__has_id").not().and(col(TIE_LOCAL).is_not_null()))
        .with_column(len().over([col(TIE_LOCAL)])?.alias("__claims"))
        .filter(col("__claims").eq(lit(1)));
    let found = unidentified_in_one_sau(e.clone().lazy(), Vec::new())?
        .select([col(TIE_LOCAL)])
        .unique(None, UniqueKeepStrategy::First);
    let tied = persons
        .join(
            found,
            [col(TIE_LOCAL)],
            [col(TIE_LOCAL)],
            JoinArgs::new(JoinType::Inner),
        )
        .collect()?;
    let (locals, person) = (
        extract::text(&tied, TIE_LOCAL)?,
        extract::ints(&tied, PERSON_ID)?,
    );
    Ok(locals
        .iter()
        .zip(person.iter())
        .filter_map(|(l, p)| Some((l?.to_string(), format!("NEW-{}", p?))))
        .collect())
}

/// Each enrollment row's ID and span, in row order, made on both cores a
/// block of rows at a time. IDs, SAUs and local numbers are numbered in
/// order of first sight over all rows (each block numbers its own, then
/// the blocks' numbers are joined in row order: the numbers one walk would
/// give).
///
/// A `NEW-` unit gets the spans of the rows its local number ties it to
/// (`tied`, from [`new_keys_by_local`]).
fn enrollment_spans(e: &DataFrame, tied: &PlHashMap<String, String>) -> PolarsResult<Evidence> {
    let (entry, exit) = rayon::join(
        || extract::dates(e, SCHOOL_ENTRY_DATE),
        || extract::dates(e, EXIT_DATE),
    );
    let (entry, exit) = (entry?, exit?);
    let sau = if e.column(crate::crosswalk::SAU_ORG_ID).is_ok() {
        extract::text(e, crate::crosswalk::SAU_ORG_ID)?
    } else {
        extract::text(e, SCHOOL_ID)?
    };
    let (es, local) = (
        extract::text(e, STATE_STUDENT_ID)?,
        extract::text(e, SCHOOL_STUDENT_ID)?,
    );
    // Without the column no row is known to continue.
    let status = match e.column(START_STATUS) {
        Ok(_) => Some(extract::text(e, START_STATUS)?.rechunk().into_owned()),
        Err(_) => None,
    };
    let continuing = |i: usize| {
        status
            .as_ref()
            .is_some_and(|s| s.get(i) == Some(CONTINUING))
    };
    // Without the column no row's grade is known.
    let grade = match e.column(GRADE_LEVEL_CODE) {
        Ok(_) => Some(extract::text(e, GRADE_LEVEL_CODE)?.rechunk().into_owned()),
        Err(_) => None,
    };
    let grade_of = |i: usize| grade.as_ref().and_then(|g| grade_number(g.get(i)?));
    // One chunk each: a row is found by its index at once.
    let (es, sau, local) = (es.rechunk(), sau.rechunk(), local.rechunk());
    let n = e.height();
    let blocks: Vec<BlockSpans> = (0..n.div_ceil(SPAN_BLOCK))
        .into_par_iter()
        .map(|block| {
            let mut codes = extract::Interner::default();
            let (mut spans, mut ids, mut new_entries) = (Vec::new(), Vec::new(), Vec::new());
            let mut grade_ends: Vec<Option<GradeEnds>> = Vec::new();
            // A block holds nearly as many IDs as rows (a student's rows
            // are years apart): each row's ID text is kept, numbered once
            // when the blocks are joined; a repeat of the row before's
            // keeps its number. Rows of one SAU follow each other: the
            // last SAU's code is kept at hand.
            let mut last: Option<(&str, u32)> = None;
            let mut last_sau: Option<(&str, Code)> = None;
            for i in block * SPAN_BLOCK..n.min((block + 1) * SPAN_BLOCK) {
                // A row without an ID is its `NEW-` unit's when tied.
                let s = es.get(i).or_else(|| {
                    sau.get(i)?;
                    tied.get(local.get(i)?.trim()).map(String::as_str)
                });
                let (Some(s), Some(start)) = (s, entry[i]) else {
                    continue;
                };
                let id = match last {
                    Some((t, id)) if t == s => id,
                    _ => {
                        ids.push(s);
                        ids.len() as u32 - 1
                    }
                };
                last = Some((s, id));
                let end = exit[i].unwrap_or(start);
                let sau_text = sau.get(i).unwrap_or_default();
                let sau = match last_sau {
                    Some((t, c)) if t == sau_text => c,
                    _ => codes.code(sau_text),
                };
                last_sau = Some((sau_text, sau));
                let local = local.get(i).map(|n| codes.code(n));
                spans.push((id, (start, end, sau, local)));
                if !continuing(i) {
                    new_entries.push((id, start));
                }
                if let Some(g) = grade_of(i) {
                    grade_ends.resize(ids.len(), None);
                    let slot = &mut grade_ends[id as usize];
                    *slot = Some(join_grade_ends(*slot, ((start, g), (end, g))));
                }
            }
            (spans, ids, codes.texts(), new_entries, grade_ends)
        })
        .collect();
    let (mut ids, mut codes) = (extract::Interner::default(), extract::Interner::default());
    let mut spans = Vec::with_capacity(blocks.iter().map(|b| b.0.len()).sum());
    let mut new_entries = Vec::new();
    let mut grade_ends: Vec<Option<GradeEnds>> = Vec::new();
    for (block, id_texts, code_texts, news, ends) in blocks {
        let id: Vec<u32> = id_texts.iter().map(|t| ids.code(t)).collect();
        new_entries.extend(news.into_iter().map(|(i, d)| (id[i as usize], d)));
        for (i, e) in ends.into_iter().enumerate() {
            if let Some(e) = e {
                let g = id[i] as usize;
                if grade_ends.len() <= g {
                    grade_ends.resize(g + 1, None);
                }
                grade_ends[g] = Some(join_grade_ends(grade_ends[g], e));
            }
        }
        let code: Vec<Code> = code_texts.iter().map(|t| codes.code(t)).collect();
        spans.extend(block.into_iter().map(|(i, (start, end, sau, local))| {
            let local = local.map(|l| code[l as usize]);
            (id[i as usize], (start, end, code[sau as usize], local))
        }));
    }
    Ok(Evidence {
        ids: ids.texts().into_iter().map(str::to_string).collect(),
        spans,
        codes: codes.texts().len(),
        addresses: Vec::new(),
        new_entries,
        grade_ends,
        tied: PlHashMap::new(),
    })
}

/// The comparer: the nickname table (both directions), every folded
/// name's Soundex, and the names by ID ([`names`]).
fn comparer(table: Vec<String>, sx: &dyn Fn(&str) -> String, config: &IdentityConfig) -> Comparer {
    let mut nick = Nicknames::default();
    for (a, b) in &config.nicknames {
        let (a, b) = (fold(a), fold(b));
        nick.entry(a.clone()).or_default().push(b.clone());
        nick.entry(b).or_default().push(a);
    }
    let names = names::Names::new(table, sx, &nick);
    Comparer { names }
}

/// Resolves students.
pub fn run(
    personal: &DataFrame,
    enrollment: Option<&DataFrame>,
    addresses: Option<&DataFrame>,
    decisions: &[Decision],
    config: &IdentityConfig,
) -> PolarsResult<Resolved> {
    let mut clock = profile::Clock::start();
    // The units built while the evidence is read (it is read by ID).
    let (built, evidence) = rayon::join(
        || -> PolarsResult<_> {
            let (ids, table) = identities(personal)?;
            let (units, rule_of, review) = build_units(&ids, personal)?;
            Ok((ids, table, units, rule_of, review))
        },
        || Evidence::read(personal, enrollment, addresses),
    );
    let (ids, table, mut units, rule_of, mut review) = built?;
    let mut evidence = evidence?;
    let tied = std::mem::take(&mut evidence.tied);
    clock.lap("identities+units+evidence", units.len());

    let encoder = Soundex::default();
    let sx = |s: &str| soundex(&encoder, s);
    // The comparer reads the names only: made while the evidence is
    // attached.
    let ((), comparer) = rayon::join(
        || attach(&mut units, evidence),
        || comparer(table, &sx, config),
    );
    clock.lap("attach+comparer", enrollment.map_or(0, DataFrame::height));
    // The values' frequencies counted while the pairs are blocked.
    let ((candidates, passes, oversized), freq) = rayon::join(
        || blocking::block(&units, &passes(&comparer, &units, config.max_block)),
        || Frequencies::of(&units),
    );
    clock.lap("block", candidates.len());
    let (vectors, facts) = facts::compare(&units, &candidates, &comparer, &freq);
    clock.lap("vectors", vectors.len());
    let first = estimate_model(&units, &ids, &comparer, (&vectors, &facts));
    clock.lap("estimate_model", first.iterations);
    let model = model::refined(first, &vectors, &facts, config, units.len());
    clock.lap("refine_model", model.iterations);
    let scorer = Scorer { model: &model };
    let mut pairs = score_pairs(
        &units,
        &candidates,
        (&vectors, &facts),
        &scorer,
        decisions,
        config,
    );
    // What scoring read is in the scored pairs now: freed before the
    // clusters and frames, not held to the end of the stage.
    drop((candidates, vectors, facts));
    clock.lap("score_pairs", pairs.len());
    let Clustered {
        survivor_of_unit,
        merged_by,
        guarded,
    } = cluster(&units, &pairs);
    for (i, reason) in guarded {
        pairs[i].outcome = "review";
        pairs[i].reason = reason.into();
    }
    clock.lap("cluster", merged_by.len());
    review.extend(
        pairs
            .iter()
            .filter(|p| p.outcome == "review")
            .map(|p| p.pair(|u| &units[u as usize].key)),
    );
    review.sort_by(|a, b| (&a.key_a, &a.key_b).cmp(&(&b.key_a, &b.key_b)));
    let resolved = Clusters {
        ids: &ids,
        units: &units,
        rule_of: &rule_of,
        survivor_of_unit: &survivor_of_unit,
        merged_by: &merged_by,
    };
    let (students, identity_map, id_crosswalk, key_map) = resolved.frames(personal)?;
    clock.lap("frames", students.height());

    let reports = stage_reports(ids.len(), students.height(), enrollment);
    Ok(Resolved {
        students,
        identity_map,
        id_crosswalk,
        key_map,
        scored: pairs,
        keys: units.into_iter().map(|u| u.key).collect(),
        review,
        passes,
        oversized_blocks: oversized,
        model,
        reports,
        tied,
    })
}

/// The stage's ledger: identity rows in, students out, the rest merged;
/// enrollments are re-keyed by the rekey stage ([`rekey`] through
/// `key_map`), which never changes their number.
fn stage_reports(
    identity_rows: usize,
    students: usize,
    enrollment: Option<&DataFrame>,
) -> Vec<StageReport> {
    let mut personal_report = StageReport::new(STAGE, crate::schema::STUDENT_PERSONAL.name);
    personal_report.rows_in = identity_rows as u64;
    personal_report.rows_out = students as u64;
    personal_report.merged = (identity_rows - students) as u64;
    let mut reports = vec![personal_report];
    if let Some(e) = enrollment {
        let mut r = StageReport::new(STAGE, crate::schema::STUDENT_ENROLLMENT.name);
        r.rows_in = e.height() as u64;
        r.rows_out = e.height() as u64;
        reports.push(r);
    }
    reports
}

/// The resolved clusters, to be written as frames.
struct Clusters<'a> {
    ids: &'a [Identity],
    units: &'a [Unit],
    rule_of: &'a [&'static str],
    survivor_of_unit: &'a [String],
    merged_by: &'a BTreeMap<usize, (&'static str, f64)>,
}

impl Clusters<'_> {
    /// Students, identity map, ID crosswalk and key map.
    fn frames(
        &self,
        personal: &DataFrame,
    ) -> PolarsResult<(DataFrame, DataFrame, DataFrame, DataFrame)> {
        let (ids, units, survivor_of_unit) = (self.ids, self.units, self.survivor_of_unit);
        let n = ids.len();
        let mut unit_of_row = vec![0usize; n];
        for (ui, u) in units.iter().enumerate() {
            for &r in &u.members {
                unit_of_row[r] = ui;
            }
        }
        // The two largest frames made at the same time.
        let (identity_map, students) = rayon::join(
            || self.identity_map(personal, &unit_of_row),
            || self.students(personal, &unit_of_row),
        );
        let (identity_map, students) = (identity_map?, students?);
        // ID crosswalk: every StateStudentID (and provisional key) that does
        // not survive, to its survivor.
        let (mut retired, mut surviving, mut rules, mut scores) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (ui, u) in units.iter().enumerate() {
            if survivor_of_unit[ui] != u.key {
                let (rule, score) = self
                    .merged_by
                    .get(&ui)
                    .copied()
                    .unwrap_or(("probable", 0.0));
                retired.push(u.key.clone());
                surviving.push(survivor_of_unit[ui].clone());
                rules.push(rule.to_string());
                scores.push(score);
            }
        }
        let id_crosswalk = df!(
            "retired_id" => retired,
            "surviving_id" => surviving,
            "rule" => rules,
            "score" => scores,
        )?;
        let key_map = df!(
            "__from" => units.iter().map(|u| u.key.clone()).collect::<Vec<_>>(),
            "__to" => survivor_of_unit.to_vec(),
        )?;
        Ok((students, identity_map, id_crosswalk, key_map))
    }

    /// The identity map: each identity row's surviving key and the rule
    /// that placed it.
    fn identity_map(&self, personal: &DataFrame, unit_of_row: &[usize]) -> PolarsResult<DataFrame> {
        let (units, survivor_of_unit) = (self.units, self.survivor_of_unit);
        let n = self.ids.len();
        let map_rule: Vec<&str> = (0..n)
            .map(|r| {
                let u = unit_of_row[r];
                match self.merged_by.get(&u) {
                    Some((rule, _)) if survivor_of_unit[u] != units[u].key => *rule,
                    _ => self.rule_of[r],
                }
            })
            .collect();
        let ssid = extract::text(personal, STATE_STUDENT_ID)?;
        df!(
            SOURCE_ROW => personal.column(SOURCE_ROW)?.as_materialized_series().clone(),
            IDENTITY_ID => ints(personal, IDENTITY_ID)?,
            PERSON_ID => ints(personal, PERSON_ID)?,
            STATE_STUDENT_ID => ssid.iter().collect::<Vec<_>>(),
            STUDENT_KEY => (0..n).map(|r| survivor_of_unit[unit_of_row[r]].as_str()).collect::<Vec<_>>(),
            "rule" => map_rule,
            "UnitKey" => (0..n).map(|r| units[unit_of_row[r]].key.as_str()).collect::<Vec<_>>(),
        )
    }

    /// Students: the current identity (newest effective date) of each cluster.
    fn students(&self, personal: &DataFrame, unit_of_row: &[usize]) -> PolarsResult<DataFrame> {
        let ids = self.ids;
        // The surviving keys, sorted (the students' order), and each
        // unit's student among them: one sort of the units, no lookup of
        // a key per row.
        let mut by_survivor: Vec<usize> = (0..self.units.len()).collect();
        by_survivor
            .par_sort_unstable_by(|&a, &b| self.survivor_of_unit[a].cmp(&self.survivor_of_unit[b]));
        let mut keys: Vec<String> = Vec::new();
        let mut student_of_unit = vec![0u32; self.units.len()];
        for group in
            by_survivor.chunk_by(|&a, &b| self.survivor_of_unit[a] == self.survivor_of_unit[b])
        {
            for &u in group {
                student_of_unit[u] = keys.len() as u32;
            }
            keys.push(self.survivor_of_unit[group[0]].clone());
        }
        let student_of_row: Vec<u32> = unit_of_row.iter().map(|&u| student_of_unit[u]).collect();
        // Each student's current row and name-history length.
        let mut current: Vec<Option<(usize, u32)>> = vec![None; keys.len()];
        for (r, &at) in student_of_row.iter().enumerate() {
            let entry = current[at as usize].get_or_insert((r, 0));
            entry.1 += 1;
            let old = entry.0;
            if (ids[r].effective, ids[r].identity) > (ids[old].effective, ids[old].identity) {
                entry.0 = r;
            }
        }
        let current: Vec<(usize, u32)> = current
            .into_iter()
            .map(|c| c.expect("every student has a row"))
            .collect();
        let rows: Vec<u32> = current.iter().map(|c| c.0 as u32).collect();
        let mut students = personal.take(&IdxCa::new("rows".into(), rows))?;
        students.with_column(Column::new(STUDENT_KEY.into(), &keys))?;
        students.with_column(Column::new(
            NEEDS_NEW_STATE_ID.into(),
            keys.iter()
                .map(|k| k.starts_with("NEW-") || k.starts_with("CONFLICT-"))
                .collect::<Vec<_>>(),
        ))?;
        students.with_column(Column::new(
            "NameHistory".into(),
            current.iter().map(|c| c.1).collect::<Vec<_>>(),
        ))?;
        self.fill_blanks(personal, students, keys.len(), &student_of_row)
    }

    /// A first name, surname, gender or birth date the current identity has
    /// blank (or ingest cleared), taken from the student's newest identity
    /// that has it (a blank row
    /// merged with its duplicate is not held for the blank); `missing_values`
    /// then names what no identity of the student has.
    fn fill_blanks(
        &self,
        personal: &DataFrame,
        students: DataFrame,
        n_students: usize,
        student_of_row: &[u32],
    ) -> PolarsResult<DataFrame> {
        let ids = self.ids;
        let mut students = students;
        let mut filled = Vec::new();
        for c in [FIRST_NAME, LAST_NAME, GENDER, BIRTH_DATE] {
            let Ok(values) = personal.column(c) else {
                continue;
            };
            if c == GENDER && values.null_count() == values.len() {
                // A bundle without genders: nothing to fill or name.
                continue;
            }
            let mut newest: Vec<Option<usize>> = vec![None; n_students];
            for (r, has) in values.is_not_null().iter().enumerate() {
                if has != Some(true) {
                    continue;
                }
                let at = student_of_row[r] as usize;
                let newer = |old: usize| {
                    (ids[r].effective, ids[r].identity) > (ids[old].effective, ids[old].identity)
                };
                if newest[at].is_none_or(newer) {
                    newest[at] = Some(r);
                }
            }
            let rows = IdxCa::from_iter_options(
                "rows".into(),
                newest.into_iter().map(|r| r.map(|r| r as IdxSize)),
            );
            let fill = values.take(&rows)?.with_name(fill_name(c).into());
            students.with_column(fill)?;
            filled.push(c);
        }
        let mut lf = students.lazy().with_columns(
            filled
                .iter()
                .map(|c| coalesce(&[col(*c), col(fill_name(c))]).alias(*c))
                .collect::<Vec<_>>(),
        );
        lf = lf.drop(Selector::ByName {
            names: filled.iter().map(|c| fill_name(c).into()).collect(),
            strict: true,
        });
        if personal.column(MISSING_VALUES).is_ok() {
            lf = lf.with_column(crate::schema::missing_values(&filled));
        }
        lf.collect()
    }
}

fn fill_name(column: &str) -> String {
    format!("__fill_{column}")
}

/// Re-keys rows through `key_map`: `StateStudentID` becomes the surviving
/// ID, the ID as read is kept as `LegacyStateStudentID`; rows whose ID no
/// identity has keep it (the row count never changes).
pub fn rekey(df: &DataFrame, key_map: &DataFrame) -> PolarsResult<DataFrame> {
    if let Some(rekeyed) = rekey_in_order(df, key_map)? {
        return Ok(rekeyed);
    }
    df.clone()
        .lazy()
        .with_column(col(STATE_STUDENT_ID).alias(LEGACY_STATE_STUDENT_ID))
        .join(
            key_map.clone().lazy(),
            [col(STATE_STUDENT_ID)],
            [col("__from")],
            JoinArgs::new(JoinType::Left),
        )
        .with_column(coalesce(&[col("__to"), col(STATE_STUDENT_ID)]).alias(STATE_STUDENT_ID))
        .drop(Selector::ByName {
            names: ["__to".into()].into(),
            strict: false,
        })
        .sort([SOURCE_ROW], SortMultipleOptions::default())
        .collect()
}

/// What [`rekey`] makes, when the rows are in strictly increasing source
/// row order (its sort moves none) and the key map gives a row one match
/// at most: only the IDs joined to the key map (not every column), the new
/// IDs put in place and the legacy ones after the last column; `None`
/// otherwise.
fn rekey_in_order(df: &DataFrame, key_map: &DataFrame) -> PolarsResult<Option<DataFrame>> {
    let taken = [LEGACY_STATE_STUDENT_ID, "__to", "__from"];
    if taken.iter().any(|c| df.get_column_index(c).is_some())
        || key_map.width() != 2
        || !crate::crosswalk::in_source_row_order(df)?
    {
        return Ok(None);
    }
    let mut args = JoinArgs::new(JoinType::Left);
    args.maintain_order = MaintainOrderJoin::Left;
    let ids = df
        .clone()
        .lazy()
        .select([col(SOURCE_ROW), col(STATE_STUDENT_ID)])
        .join(
            key_map.clone().lazy(),
            [col(STATE_STUDENT_ID)],
            [col("__from")],
            args,
        )
        .collect()?;
    if ids.height() != df.height() || !ids.column(SOURCE_ROW)?.equals(df.column(SOURCE_ROW)?) {
        return Ok(None);
    }
    let new = ids
        .lazy()
        .select([coalesce(&[col("__to"), col(STATE_STUDENT_ID)]).alias(STATE_STUDENT_ID)])
        .collect()?;
    let legacy = df
        .column(STATE_STUDENT_ID)?
        .clone()
        .with_name(LEGACY_STATE_STUDENT_ID.into());
    let mut out = df.clone();
    out.replace(STATE_STUDENT_ID, new.column(STATE_STUDENT_ID)?.clone())?;
    out.with_column(legacy)?;
    Ok(Some(out))
}

/// The key map made once into a lookup from an ID as read to the row of
/// its surviving ID, so that re-keying a batch costs the batch's rows, not
/// the whole map's (a join hashes the map again for every batch: at two
/// million students that was most of the rekey stage). `None` inside when
/// an ID maps to more than one row or the IDs are not text: [`rekey`]'s
/// join then does what it always did.
pub struct KeyLookup<'a> {
    map: &'a DataFrame,
    found: Option<(PlHashMap<&'a str, IdxSize>, &'a StringChunked)>,
}

impl<'a> KeyLookup<'a> {
    pub fn new(map: &'a DataFrame) -> PolarsResult<Self> {
        let found = Self::index(map)?;
        Ok(Self { map, found })
    }

    fn index(
        map: &'a DataFrame,
    ) -> PolarsResult<Option<(PlHashMap<&'a str, IdxSize>, &'a StringChunked)>> {
        let (Ok(from), Ok(to)) = (map.column("__from"), map.column("__to")) else {
            return Ok(None);
        };
        if map.width() != 2 || from.dtype() != &DataType::String || to.dtype() != &DataType::String
        {
            return Ok(None);
        }
        let (from, to) = (from.str()?, to.str()?);
        let mut index = PlHashMap::with_capacity(from.len());
        for (row, id) in from.iter().enumerate() {
            // A null ID never matches in a join; skip it as the join does.
            let Some(id) = id else { continue };
            if index.insert(id, row as IdxSize).is_some() {
                return Ok(None);
            }
        }
        Ok(Some((index, to)))
    }

    /// Re-keys `df` as [`rekey`] does.
    pub fn rekey(&self, df: &DataFrame) -> PolarsResult<DataFrame> {
        let Some((index, to)) = &self.found else {
            return rekey(df, self.map);
        };
        let taken = [LEGACY_STATE_STUDENT_ID, "__to", "__from"];
        let ids = df.column(STATE_STUDENT_ID)?;
        if taken.iter().any(|c| df.get_column_index(c).is_some())
            || ids.dtype() != &DataType::String
            || !crate::crosswalk::in_source_row_order(df)?
        {
            return rekey(df, self.map);
        }
        let new: StringChunked = ids
            .str()?
            .iter()
            .map(|id| {
                let row = id.and_then(|id| index.get(id));
                row.and_then(|&r| to.get(r as usize)).or(id)
            })
            .collect();
        let legacy = ids.clone().with_name(LEGACY_STATE_STUDENT_ID.into());
        let mut out = df.clone();
        out.replace(
            STATE_STUDENT_ID,
            new.with_name(STATE_STUDENT_ID.into()).into_column(),
        )?;
        out.with_column(legacy)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The run's default thresholds (the prior a share of all pairs of
    /// units: 0.95 and 0.006; they were 0.99 and 0.5 here when it was a
    /// share of the candidate pairs).
    fn config() -> IdentityConfig {
        IdentityConfig {
            merge_probability: 0.95,
            review_probability: 0.006,
            max_block: 500,
            nicknames: vec![("William".into(), "Bill".into())],
            same_name_birth_date_review: true,
        }
    }

    #[test]
    fn folding_drops_accents_punctuation_and_case() {
        assert_eq!(fold("Thériault"), "theriault");
        assert_eq!(fold("O'Brien"), "obrien");
        assert_eq!(fold("  St. Pierre "), "st pierre");
        assert_eq!(fold("Côté-Lévesque"), "cote-levesque");
        // An en dash, an em dash, a non-breaking hyphen or a minus sign is
        // the hyphen of a compound name.
        for dash in ['\u{2013}', '\u{2014}', '\u{2011}', '\u{2212}'] {
            assert_eq!(fold(&format!("Smith{dash}Jones")), "smith-jones");
        }
    }

    /// (PersonID, IdentityID, StateStudentID, first, last, gender, birth, effective)
    type Row<'a> = (
        i64,
        i64,
        Option<&'a str>,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
    );

    fn personal(rows: &[Row]) -> DataFrame {
        let birth: Vec<NaiveDate> = rows
            .iter()
            .map(|r| NaiveDate::parse_from_str(r.6, "%Y-%m-%d").unwrap())
            .collect();
        let eff: Vec<NaiveDate> = rows
            .iter()
            .map(|r| NaiveDate::parse_from_str(r.7, "%Y-%m-%d").unwrap())
            .collect();
        df!(
            SOURCE_ROW => (2..2 + rows.len() as i64).collect::<Vec<_>>(),
            PERSON_ID => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            IDENTITY_ID => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            STATE_STUDENT_ID => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
            FIRST_NAME => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
            LAST_NAME => rows.iter().map(|r| r.4).collect::<Vec<_>>(),
            GENDER => rows.iter().map(|r| r.5).collect::<Vec<_>>(),
            BIRTH_DATE => birth,
            IDENTITY_EFFECTIVE_DATE => eff,
        )
        .unwrap()
    }

    #[test]
    fn certain_merges_collapse_and_survivors_are_the_earliest_assigned() {
        let p = personal(&[
            // One person, a name change: name history.
            (
                1,
                10,
                Some("000000001"),
                "Ann",
                "Smith",
                "F",
                "2003-04-05",
                "2008-09-01",
            ),
            (
                1,
                11,
                Some("000000001"),
                "Ann",
                "Jones",
                "F",
                "2003-04-05",
                "2012-09-01",
            ),
            // A second person under the same ID, day and month swapped: certain.
            (
                2,
                12,
                Some("000000001"),
                "Anne",
                "Jones",
                "F",
                "2003-05-04",
                "2013-09-01",
            ),
            // A second person under the same ID, another birth date: review.
            (
                3,
                13,
                Some("000000001"),
                "Ann",
                "Jones",
                "M",
                "2001-01-01",
                "2013-09-01",
            ),
            // No ID at all.
            (4, 14, None, "Luc", "Cyr", "M", "2010-01-01", "2015-09-01"),
        ]);
        let out = run(&p, None, None, &[], &config()).unwrap();
        let keys: Vec<Option<String>> = {
            let c = out.identity_map.column(STUDENT_KEY).unwrap().str().unwrap();
            (0..c.len()).map(|i| c.get(i).map(str::to_string)).collect()
        };
        assert_eq!(
            keys,
            ["000000001", "000000001", "000000001", "CONFLICT-3", "NEW-4"]
                .map(|s| Some(s.to_string()))
        );
        assert_eq!(out.students.height(), 3);
        assert_eq!(out.reports[0].merged, 2);
        assert!(out.reports[0].balanced());
        assert!(out
            .review
            .iter()
            .any(|r| r.reason.starts_with("same_id_conflict")));
        // The current identity is the newest.
        let current = out
            .students
            .column(LAST_NAME)
            .unwrap()
            .str()
            .unwrap()
            .get(0)
            .map(str::to_string);
        assert_eq!(current.as_deref(), Some("Jones"));
    }

    #[test]
    fn decisions_win_over_scores() {
        let p = personal(&[
            (
                1,
                1,
                Some("000000001"),
                "William",
                "Thériault",
                "M",
                "2003-04-05",
                "2008-09-01",
            ),
            (
                2,
                2,
                Some("000000002"),
                "Bill",
                "Theriault",
                "M",
                "2003-04-05",
                "2012-09-01",
            ),
            (
                3,
                3,
                Some("000000003"),
                "Zoe",
                "Cyr",
                "F",
                "2004-01-02",
                "2009-09-01",
            ),
            (
                4,
                4,
                Some("000000004"),
                "Zoe",
                "Cyr",
                "F",
                "2004-01-02",
                "2010-09-01",
            ),
        ]);
        let keep_apart = [Decision {
            id_a: "000000002".into(),
            id_b: "000000001".into(),
            merge: false,
        }];
        let out = run(&p, None, None, &keep_apart, &config()).unwrap();
        let pairs = out.pairs();
        let pair = pairs
            .iter()
            .find(|p| p.key_a == "000000001" && p.key_b == "000000002")
            .unwrap();
        assert_eq!(
            (pair.outcome.as_str(), pair.reason.as_str()),
            ("separate", "decision")
        );
        // Same first name, last name and birth date: review, never automatic.
        let twins = pairs.iter().find(|p| p.key_a == "000000003").unwrap();
        assert_eq!(twins.outcome, "review");
        let merge = [Decision {
            id_a: "000000003".into(),
            id_b: "000000004".into(),
            merge: true,
        }];
        let out = run(&p, None, None, &merge, &config()).unwrap();
        let x = out
            .id_crosswalk
            .column("retired_id")
            .unwrap()
            .str()
            .unwrap()
            .get(0)
            .map(str::to_string);
        let y = out
            .id_crosswalk
            .column("surviving_id")
            .unwrap()
            .str()
            .unwrap()
            .get(0)
            .map(str::to_string);
        assert_eq!(
            (x.as_deref(), y.as_deref()),
            (Some("000000004"), Some("000000003"))
        );
    }

    /// Enrollments: (StateStudentID, entry, exit, SAU, local number).
    fn enrollments(rows: &[(&str, &str, &str, &str, &str)]) -> DataFrame {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        df!(
            SOURCE_ROW => (2..2 + rows.len() as i64).collect::<Vec<_>>(),
            STATE_STUDENT_ID => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            SCHOOL_ENTRY_DATE => rows.iter().map(|r| d(r.1)).collect::<Vec<_>>(),
            EXIT_DATE => rows.iter().map(|r| d(r.2)).collect::<Vec<_>>(),
            crate::crosswalk::SAU_ORG_ID => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
            SCHOOL_STUDENT_ID => rows.iter().map(|r| r.4).collect::<Vec<_>>(),
        )
        .unwrap()
    }

    /// A unit enters new when a row at its first entry date is not marked
    /// continuing (StartStatus 02): another code, a blank, or no StartStatus
    /// column at all (nothing says the child continued).
    #[test]
    fn a_unit_enters_new_when_its_first_row_is_not_marked_continuing() {
        let rows = [
            ("000000001", "2014-08-28", "2015-06-12", "1000", "8401"),
            ("000000001", "2015-08-28", "2016-06-12", "1000", "8401"),
            ("000000002", "2016-08-28", "2017-06-12", "1000", "8401"),
            ("000000002", "2016-08-28", "2017-06-12", "1000", "8401"),
            ("000000003", "2016-08-28", "2017-06-12", "1000", "8402"),
            ("000000004", "2015-08-28", "2016-06-12", "1000", "8403"),
            ("000000004", "2016-08-28", "2017-06-12", "1000", "8403"),
        ];
        let status = [
            Some("01"),
            Some("02"),
            Some("02"),
            Some("14"),
            None,
            Some("02"),
            Some("01"),
        ];
        let entering = |e: &DataFrame| -> Vec<bool> {
            let mut units: Vec<Unit> = (1..=4)
                .map(|k| {
                    let key = format!("00000000{k}");
                    Unit::new(key.clone(), Some(key), Vec::new())
                })
                .collect();
            let none = DataFrame::empty();
            attach(&mut units, Evidence::read(&none, Some(e), None).unwrap());
            units.iter().map(|u| u.enters_new).collect()
        };
        let mut e = enrollments(&rows);
        assert_eq!(
            entering(&e),
            [true, true, true, true],
            "no StartStatus column"
        );
        e.with_column(Column::new(START_STATUS.into(), status))
            .unwrap();
        // 1: new, then continuing; 2: two rows on its first day, one a
        // transfer in; 3: blank; 4: continuing, a later row new.
        assert_eq!(entering(&e), [true, true, true, false]);
    }

    /// A `NEW-` person is tied by a Local Student Number no other such
    /// person holds, found on enrollments without an ID in one SAU only:
    /// not a person with an ID, not a number two persons hold, not one
    /// found in two SAUs.
    #[test]
    fn a_new_unit_is_tied_by_a_local_number_of_one_sau_and_one_person() {
        let personal = df!(
            PERSON_ID => [1i64, 2, 3, 4, 5, 6],
            STATE_STUDENT_ID => [Some("000000001"), None, None, None, None, None],
            LOCAL_STUDENT_NUMBER => ["11", "12", " 13 ", "14", "14", "16"],
        )
        .unwrap();
        let none: Option<&str> = None;
        let e = df!(
            STATE_STUDENT_ID => [none, none, none, none, none, none, none, Some("000000009")],
            crate::crosswalk::SAU_ORG_ID => ["A", "A", "A", "A", "A", "A", "B", "B"],
            SCHOOL_STUDENT_ID => ["11", "12", "12", "13", "14", "16", "16", "13"],
        )
        .unwrap();
        let tied = new_keys_by_local(&personal, &e).unwrap();
        let mut tied: Vec<(&str, &str)> =
            tied.iter().map(|(l, k)| (l.as_str(), k.as_str())).collect();
        tied.sort();
        assert_eq!(tied, [("12", "NEW-2"), ("13", "NEW-3")]);
    }

    fn addresses(rows: &[(&str, &str, &str)]) -> DataFrame {
        df!(
            STATE_STUDENT_ID => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            ADDRESS => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            ZIP => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        )
        .unwrap()
    }

    #[test]
    fn the_thin_evidence_reason_names_the_bound_it_applies() {
        use crate::identity::policy::{MERGE_EVIDENCE_BITS, THIN_EVIDENCE};
        let bound = format!("under {MERGE_EVIDENCE_BITS} bits of evidence");
        assert!(THIN_EVIDENCE.contains(&bound), "{THIN_EVIDENCE}");
    }

    /// Scored as probable: merged, or (two students are a tiny bundle, the
    /// prior a share of their one pair) sent to a person for thin evidence.
    fn probable(p: &Pair) -> bool {
        p.outcome == "merge"
            || (p.outcome == "review" && p.reason == crate::identity::policy::THIN_EVIDENCE)
    }

    fn pair(out: &Resolved, a: &str, b: &str) -> Pair {
        out.pairs()
            .into_iter()
            .find(|p| p.key_a == a && p.key_b == b)
            .unwrap_or_else(|| panic!("{a} ~ {b} not scored"))
    }

    /// A crowd of unrelated students, so u has something to count.
    /// (PersonID, IdentityID, StateStudentID, first, last, gender, birth)
    type Owned = (
        i64,
        i64,
        Option<String>,
        String,
        String,
        &'static str,
        String,
    );

    fn crowd() -> Vec<Owned> {
        let firsts = ["Emma", "Noah", "Liam", "Ava", "Mia", "Owen", "Zoe", "Eli"];
        let lasts = ["Roy", "Cyr", "Dyer", "Hatch", "Libby", "Gould", "Morin"];
        (0..56)
            .map(|i: i64| {
                (
                    100 + i,
                    100 + i,
                    Some(format!("{:09}", 500 + i)),
                    firsts[i as usize % 8].to_string(),
                    lasts[i as usize % 7].to_string(),
                    if i % 2 == 0 { "F" } else { "M" },
                    format!("20{:02}-{:02}-{:02}", 1 + i % 9, 1 + i % 12, 1 + i % 27),
                )
            })
            .collect()
    }

    fn with_crowd(rows: &[Row]) -> DataFrame {
        let c = crowd();
        let mut all: Vec<Row> = rows.to_vec();
        for r in &c {
            all.push((
                r.0,
                r.1,
                r.2.as_deref(),
                &r.3,
                &r.4,
                r.5,
                &r.6,
                "2008-09-01",
            ));
        }
        personal(&all)
    }

    #[test]
    fn twins_with_near_identical_names_are_never_merged_automatically() {
        let p = with_crowd(&[
            (
                1,
                1,
                Some("000000001"),
                "Jaden",
                "Pelletier",
                "M",
                "2006-03-14",
                "2011-08-29",
            ),
            (
                2,
                2,
                Some("000000002"),
                "Kaden",
                "Pelletier",
                "M",
                "2006-03-14",
                "2011-08-29",
            ),
        ]);
        let e = enrollments(&[
            ("000000001", "2011-08-29", "2012-06-08", "1000", "10001"),
            ("000000002", "2011-08-29", "2012-06-08", "1000", "10002"),
        ]);
        let a = addresses(&[
            ("000000001", "12 Elm St", "04101"),
            ("000000002", "12 Elm St", "04101"),
        ]);
        let out = run(&p, Some(&e), Some(&a), &[], &config()).unwrap();
        let twins = pair(&out, "000000001", "000000002");
        assert_eq!(twins.pattern, "twins_or_siblings");
        assert_ne!(twins.outcome, "merge", "{twins:?}");
        let enrollment = twins
            .terms
            .iter()
            .find(|t| t.comparator == "enrollment")
            .unwrap();
        assert_eq!(enrollment.level, "overlap_months");
        assert!(enrollment.weight < -10.0, "{enrollment:?}");
    }

    /// A child re-registered with a first-name typo at the same address:
    /// the first ID's enrollments end where the second's begin, under the
    /// same local student number. Not the twins pattern (twins are in school
    /// at once): it is scored, and, the first names a letter apart with no
    /// middle name to tell them, goes to a person (twins can take turns
    /// under one number: `twins::turns_under_one_number`; it merged until
    /// the eighteenth session).
    #[test]
    fn a_re_registration_at_one_address_is_not_twins() {
        let p = with_crowd(&[
            (
                1,
                1,
                Some("000000001"),
                "Jaden",
                "Pelletier",
                "M",
                "2006-03-14",
                "2011-08-29",
            ),
            (
                2,
                2,
                Some("000000002"),
                "Jadne",
                "Pelletier",
                "M",
                "2006-03-14",
                "2012-08-30",
            ),
        ]);
        let e = enrollments(&[
            ("000000001", "2011-08-29", "2012-06-08", "1000", "10001"),
            ("000000002", "2012-08-30", "2013-06-07", "1000", "10001"),
        ]);
        let a = addresses(&[
            ("000000001", "12 Elm St", "04101"),
            ("000000002", "12 Elm St", "04101"),
        ]);
        let out = run(&p, Some(&e), Some(&a), &[], &config()).unwrap();
        let again = pair(&out, "000000001", "000000002");
        assert_eq!(again.pattern, "", "{again:?}");
        assert_eq!(
            (again.outcome.as_str(), again.reason.as_str()),
            ("review", twins::TURNS_UNDER_ONE_NUMBER),
            "{again:?}"
        );
        // The same two a local number apart are twins or siblings again.
        let e = enrollments(&[
            ("000000001", "2011-08-29", "2012-06-08", "1000", "10001"),
            ("000000002", "2012-08-30", "2013-06-07", "1000", "10002"),
        ]);
        let out = run(&p, Some(&e), Some(&a), &[], &config()).unwrap();
        let two = pair(&out, "000000001", "000000002");
        assert_eq!(two.pattern, "twins_or_siblings", "{two:?}");
        assert_ne!(two.outcome, "merge", "{two:?}");
    }

    /// Twins with no enrollment and no address (one entered surname first)
    /// cannot be told from a misspelt first name: a person decides.
    #[test]
    fn twins_with_nothing_to_tell_them_apart_go_to_review() {
        let p = with_crowd(&[
            (
                1,
                1,
                Some("000000001"),
                "Jaden",
                "Pelletier",
                "M",
                "2006-03-14",
                "2011-08-29",
            ),
            (
                2,
                2,
                None,
                "Pelletier",
                "Kaden",
                "M",
                "2006-03-14",
                "2011-08-29",
            ),
        ]);
        let out = run(&p, None, None, &[], &config()).unwrap();
        let twins = pair(&out, "000000001", "NEW-2");
        assert_eq!(twins.pattern, "possible_twins", "{twins:?}");
        assert_eq!(twins.outcome, "review", "{twins:?}");
        assert!(twins.reason.starts_with("possible_twins: "), "{twins:?}");
    }

    #[test]
    fn look_alikes_in_other_places_go_to_review_under_either_policy() {
        let rows: [Row; 2] = [
            (
                1,
                1,
                Some("000000001"),
                "Emma",
                "Roy",
                "F",
                "2006-03-14",
                "2011-08-29",
            ),
            (
                2,
                2,
                Some("000000002"),
                "Emma",
                "Roy",
                "F",
                "2006-03-14",
                "2011-08-29",
            ),
        ];
        let e = enrollments(&[
            ("000000001", "2011-08-29", "2012-06-08", "1000", "10001"),
            ("000000002", "2011-08-29", "2012-06-08", "2000", "20001"),
        ]);
        let a = addresses(&[
            ("000000001", "12 Elm St", "04101"),
            ("000000002", "3 Main St", "04730"),
        ]);
        for review in [true, false] {
            let c = IdentityConfig {
                same_name_birth_date_review: review,
                ..config()
            };
            let out = run(&with_crowd(&rows), Some(&e), Some(&a), &[], &c).unwrap();
            let p = pair(&out, "000000001", "000000002");
            assert_eq!(
                (p.pattern.as_str(), p.outcome.as_str()),
                ("look_alike", "review")
            );
            assert!(p.reason.starts_with("look_alike: "), "{}", p.reason);
        }
    }

    /// A unit enrolled over the given (entry, exit, SAU) spans.
    fn enrolled(spans: &[(&str, &str, Code)]) -> Unit {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let mut u = Unit::new(String::new(), None, Vec::new());
        u.spans = spans.iter().map(|s| (d(s.0), d(s.1), s.2, None)).collect();
        u.summarise();
        u
    }

    #[test]
    fn one_ending_where_the_other_begins_is_a_transfer_within_two_weeks_or_in_one_sau() {
        let level = |a: &Unit, b: &Unit| COMPARATORS[ENROLLMENT].1[enrollment_level(a, b)];
        let left = enrolled(&[
            ("2010-08-30", "2011-06-10", 1),
            ("2011-08-29", "2012-03-02", 1),
        ]);
        // Another SAU ten days later: a move during the year.
        let moved = enrolled(&[("2012-03-12", "2012-06-08", 2)]);
        assert_eq!(level(&left, &moved), "one_ends_where_other_begins");
        assert_eq!(level(&moved, &left), "one_ends_where_other_begins");
        // The same SAU six weeks later: a re-registration.
        let back = enrolled(&[("2012-04-16", "2013-06-07", 1)]);
        assert_eq!(level(&left, &back), "one_ends_where_other_begins");
        // Another SAU, fifteen days or four months later: a stranger of the
        // same age arriving elsewhere as often as the same child.
        let later = enrolled(&[("2012-03-17", "2012-06-08", 2)]);
        assert_eq!(level(&left, &later), "one_ends_other_begins_elsewhere");
        let summer = enrolled(&[("2012-06-25", "2013-06-07", 3)]);
        assert_eq!(level(&summer, &left), "one_ends_other_begins_elsewhere");
        // More than 120 days apart: never at the same time.
        let next_year = enrolled(&[("2013-08-28", "2014-06-06", 1)]);
        assert_eq!(level(&left, &next_year), "never_at_the_same_time");
    }

    /// Ashley Michaud and Ashley Elizabeth Michaud-Morgan, born the same
    /// day, in two SAUs, one leaving in June and the other arriving in
    /// another SAU in September: two girls as often as one. Never merged
    /// automatically; the same pair with a transfer between them is scored.
    #[test]
    fn a_compound_surname_look_alike_in_another_place_goes_to_review() {
        let rows: [Row; 2] = [
            (
                1,
                1,
                Some("000000001"),
                "Ashley",
                "Michaud",
                "F",
                "2011-02-21",
                "2015-08-24",
            ),
            (
                2,
                2,
                Some("000000002"),
                "Ashley",
                "Michaud-Morgan",
                "F",
                "2011-02-21",
                "2016-09-01",
            ),
        ];
        let a = addresses(&[
            ("000000001", "12 Elm St", "04101"),
            ("000000002", "3 Main St", "04730"),
        ]);
        let e = enrollments(&[
            ("000000001", "2015-08-24", "2016-06-10", "1000", "10001"),
            ("000000002", "2016-09-01", "2017-06-09", "2000", "20001"),
        ]);
        let out = run(&with_crowd(&rows), Some(&e), Some(&a), &[], &config()).unwrap();
        let p = pair(&out, "000000001", "000000002");
        assert_eq!(
            (p.pattern.as_str(), p.outcome.as_str()),
            ("compound_look_alike", "review"),
            "{p:?}"
        );
        assert_eq!(
            p.reason,
            "compound_look_alike: same first name and birth date, one surname a part of the other's, in different places with no transfer between them, nothing independent agrees: a person decides"
        );
        // A transfer within a week links the two places: scored.
        let e = enrollments(&[
            ("000000001", "2015-08-24", "2016-03-04", "1000", "10001"),
            ("000000002", "2016-03-09", "2017-06-09", "2000", "20001"),
        ]);
        let out = run(&with_crowd(&rows), Some(&e), Some(&a), &[], &config()).unwrap();
        let p = pair(&out, "000000001", "000000002");
        assert_eq!(p.pattern, "", "{p:?}");
        assert!(probable(&p), "{p:?}");
    }

    #[test]
    fn the_same_name_and_birth_date_corroborated_by_the_address_is_scored() {
        let rows: [Row; 2] = [
            (
                1,
                1,
                Some("000000001"),
                "Emma",
                "Roy",
                "F",
                "2006-03-14",
                "2008-09-01",
            ),
            (
                2,
                2,
                Some("000000002"),
                "Emma",
                "Roy",
                "F",
                "2006-03-14",
                "2012-09-01",
            ),
        ];
        let a = addresses(&[
            ("000000001", "12 Elm St", "04101"),
            ("000000002", "12 Elm St", "04101"),
        ]);
        let out = run(&with_crowd(&rows), None, Some(&a), &[], &config()).unwrap();
        let p = pair(&out, "000000001", "000000002");
        assert_eq!(p.pattern, "");
        assert_ne!(
            p.reason,
            "same first name, last name and birth date: a person decides"
        );
        // Without the address: a person decides.
        let out = run(&with_crowd(&rows), None, None, &[], &config()).unwrap();
        let p = pair(&out, "000000001", "000000002");
        assert_eq!(
            p.reason,
            "same first name, last name and birth date: a person decides"
        );
        // The names entered in the other order are the same name.
        let mut swapped = rows;
        (swapped[1].3, swapped[1].4) = ("Roy", "Emma");
        let out = run(&with_crowd(&swapped), None, None, &[], &config()).unwrap();
        let p = pair(&out, "000000001", "000000002");
        assert_eq!(
            p.reason,
            "same first name, last name and birth date: a person decides"
        );
    }

    #[test]
    fn a_missing_value_is_no_evidence_and_keeps_the_row_in_matching() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let p = df!(
            SOURCE_ROW => [2i64, 3],
            PERSON_ID => [1i64, 2],
            IDENTITY_ID => [1i64, 2],
            STATE_STUDENT_ID => ["000000001", "000000002"],
            FIRST_NAME => [Some("Luc"), None],
            LAST_NAME => ["Cyr", "Cyr"],
            GENDER => [Some("M"), None],
            BIRTH_DATE => vec![d(2005, 1, 2), d(2005, 1, 2)],
            IDENTITY_EFFECTIVE_DATE => vec![d(2010, 9, 1), d(2012, 9, 1)],
        )
        .unwrap();
        let out = run(&p, None, None, &[], &config()).unwrap();
        let pair = pair(&out, "000000001", "000000002");
        for (comparator, level) in [("first_name", "missing"), ("gender", "missing")] {
            let t = pair
                .terms
                .iter()
                .find(|t| t.comparator == comparator)
                .unwrap();
            assert_eq!((t.level, t.weight), (level, 0.0));
        }
    }

    #[test]
    fn a_slip_in_a_birth_date_is_closer_than_another_part_off() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
        let level = |x: NaiveDate, y: NaiveDate| {
            let mut a = Unit::new(String::new(), None, Vec::new());
            let mut b = Unit::new(String::new(), None, Vec::new());
            a.births.insert(x);
            b.births.insert(y);
            COMPARATORS[BIRTH].1[birth_level(&a, &b)]
        };
        let slip = "a_day_or_one_digit_off";
        assert_eq!(level(d(2011, 3, 5), d(2011, 3, 6)), slip);
        assert_eq!(level(d(2011, 3, 5), d(2011, 3, 25)), slip);
        assert_eq!(level(d(2011, 3, 12), d(2011, 3, 21)), slip);
        assert_eq!(level(d(2011, 3, 5), d(2012, 3, 5)), slip);
        assert_eq!(level(d(2011, 1, 31), d(2011, 2, 1)), slip);
        assert_eq!(level(d(2011, 3, 5), d(2011, 3, 27)), "one_part_off");
        assert_eq!(level(d(2011, 3, 5), d(2011, 5, 3)), "day_month_swapped");
        assert_eq!(level(d(2011, 3, 5), d(2012, 4, 27)), "different");
    }

    #[test]
    fn weights_are_monotone_by_construction() {
        let m: Vec<Vec<f64>> = COMPARATORS
            .iter()
            .map(|c| {
                let n = c.1.len();
                (0..n)
                    .map(|l| {
                        if l + 1 == n {
                            0.0
                        } else {
                            1.0 / (n - 1) as f64
                        }
                    })
                    .collect()
            })
            .collect();
        // u makes "one part off" rarer than "day/month swapped": raw weights
        // would rank the farther level above the closer one.
        let mut u = m.clone();
        u[BIRTH] = vec![0.001, 0.5, 0.001, 0.001, 0.497, 0.0];
        let w = level_weights(&m, &u);
        for c in ORDERED {
            for l in 0..missing_level(c) - 1 {
                assert!(w[c][l] >= w[c][l + 1], "{c} {l}: {:?}", w[c]);
            }
            assert_eq!(w[c][missing_level(c)], 0.0);
        }
    }

    #[test]
    fn a_probable_pair_is_only_reviewed_when_genders_disagree_or_nothing_tells_two_children_apart()
    {
        // Every comparator at its closest level: nothing doubtful.
        let mut v = [0; N];
        assert_eq!(doubtful(&v), None);
        v[GENDER_C] = 1;
        assert_eq!(
            doubtful(&v),
            Some("probable, but the genders disagree: a person decides")
        );
        // First name = the other's middle name: doubtful only without an
        // enrollment to tell twins or strangers apart.
        v[GENDER_C] = 0;
        v[FIRST] = 2;
        assert_eq!(doubtful(&v), None);
        v[ENROLLMENT] = missing_level(ENROLLMENT);
        assert_eq!(
            doubtful(&v),
            Some("probable, but the first name is only the other's middle name and no enrollment tells two children apart: a person decides")
        );
        v[FIRST] = 0;
        v[BIRTH] = 4;
        assert_eq!(
            doubtful(&v),
            Some("probable, but the birth dates differ and no enrollment tells two children apart: a person decides")
        );
        v[BIRTH] = 2;
        assert_eq!(
            doubtful(&v),
            None,
            "a birth-date typo is a duplicate's defect"
        );
        // The same typo, no enrollment and another address: Rachel Samantha
        // Smith born 1994 and 1999 were two girls.
        v[ADDRESS_C] = 2;
        assert_eq!(
            doubtful(&v),
            Some("probable, but a name or the birth date is not the same, the addresses differ and no enrollment tells two children apart: a person decides")
        );
        v[ADDRESS_C] = 1;
        assert!(doubtful(&v).is_some(), "the same zip is another address");
        v[BIRTH] = 0;
        v[LAST] = 6;
        assert!(doubtful(&v).is_some(), "Ashley Alexis Dionne and Gray");
        v[LAST] = 0;
        v[FIRST] = 1;
        assert!(doubtful(&v).is_some(), "Emily and Emma Wilson");
        // Nicknames of each other at one address (or none known), no
        // enrollment: twins as often as a duplicate.
        for address in [0, missing_level(ADDRESS_C)] {
            v[ADDRESS_C] = address;
            assert_eq!(
                doubtful(&v),
                Some("probable, but the same surname and first names only nicknames of each other (as twins' can be: Emily and Emma), with no enrollment to tell two children apart: a person decides")
            );
        }
        v[LAST] = 1;
        assert_eq!(doubtful(&v), None, "a nickname and a new surname: no twins");
        v[LAST] = 0;
        v[ADDRESS_C] = 1;
        v[FIRST] = 0;
        assert_eq!(doubtful(&v), None, "everything exact");
        v[BIRTH] = 2;
        v[ADDRESS_C] = 0;
        assert_eq!(doubtful(&v), None, "the same address");
        v[ADDRESS_C] = missing_level(ADDRESS_C);
        assert_eq!(doubtful(&v), None, "no address to compare");
        v[ADDRESS_C] = 2;
        v[ENROLLMENT] = 2;
        assert_eq!(doubtful(&v), None, "enrollments tell them apart");
        // Enrolled at once for months: two children, whatever else agrees.
        let mut v = [0; N];
        v[ENROLLMENT] = OVERLAP_MONTHS;
        assert_eq!(
            doubtful(&v),
            Some("probable, but the two were enrolled at once for more than 60 days, as two children are: a person decides")
        );
    }

    /// The folded names the tests' units hold.
    const TEST_NAMES: [&str; 11] = [
        "madison",
        "mcbridety",
        "addison",
        "mcrbidety",
        "jones",
        "lucas",
        "thomas",
        "jessica",
        "roy-ouellette",
        "abigail",
        "roy",
    ];

    /// What the comparators read of [`TEST_NAMES`], by the IDs [`unit`]
    /// gives them.
    fn test_names() -> names::Names {
        names_of(&TEST_NAMES)
    }

    /// What the comparators read of these folded names (no nicknames).
    pub(super) fn names_of(folded: &[&str]) -> names::Names {
        let encoder = Soundex::default();
        let sx = |s: &str| soundex(&encoder, s);
        names::Names::new(
            names::table(folded.iter().copied()),
            &sx,
            &Nicknames::default(),
        )
    }

    /// A unit of the given (first, last) names, middle names and birth
    /// dates (names of [`TEST_NAMES`]), for blocking tests.
    fn unit(key: &str, names: &[(&str, &str)], middles: &[&str], births: &[&str]) -> Unit {
        let table = names::table(TEST_NAMES.into_iter());
        let id = names::ids(&table);
        let mut u = Unit::new(key.into(), None, Vec::new());
        u.name_ids = names.iter().map(|(f, l)| (id[f], id[l])).collect();
        u.middle_ids = middles.iter().map(|m| id[m]).collect();
        u.births = births
            .iter()
            .map(|b| NaiveDate::parse_from_str(b, "%Y-%m-%d").unwrap())
            .collect();
        u
    }

    #[test]
    fn permute_puts_each_value_where_the_order_says() {
        let mut v = vec!['a', 'b', 'c', 'd', 'e'];
        permute(&mut v, vec![3, 0, 4, 1, 2]);
        assert_eq!(v, ['d', 'a', 'e', 'b', 'c']);
        let mut w = vec![1, 2, 3];
        permute(&mut w, vec![0, 1, 2]);
        assert_eq!(w, [1, 2, 3]);
    }

    #[test]
    fn a_twin_with_a_mistyped_surname_is_still_a_twin() {
        // Madison, and a duplicate of her twin Addison whose surname lost a
        // letter's place, at one address, no enrollment.
        let a = unit("a", &[("madison", "mcbridety")], &[], &["2002-12-10"]);
        let b = unit("b", &[("addison", "mcrbidety")], &[], &["2002-12-10"]);
        let mut v = [0usize; N];
        v[MIDDLE] = missing_level(MIDDLE);
        v[FIRST] = 4;
        v[LAST] = 2;
        v[ENROLLMENT] = missing_level(ENROLLMENT);
        v[LOCAL] = missing_level(LOCAL);
        assert_eq!(
            hard_negative(&a, &b, &v, &test_names()),
            Some("twins_or_siblings")
        );
        // A typo in the first name too is a duplicate's two typos, not a twin.
        v[FIRST] = 3;
        assert_eq!(hard_negative(&a, &b, &v, &test_names()), None);
    }

    #[test]
    fn two_name_words_pair_a_blank_unit_with_its_names_in_other_places() {
        let units = [
            // Lucas Thomas Jones entered names swapped, a year off.
            unit("a", &[("jones", "lucas")], &["thomas"], &["2001-08-07"]),
            // The same boy with his first name blank.
            unit("b", &[("", "jones")], &["thomas"], &["2000-08-07"]),
            // Thomas Jones, nothing blank: the other passes' business.
            unit("c", &[("thomas", "jones")], &[], &["2000-08-07"]),
            // Another Thomas Jones with a blank first name, born 1990.
            unit("d", &[("", "jones")], &["thomas"], &["1990-03-04"]),
            // Jessica Roy-Ouellette, no birth date: her hyphenated surname
            // and the middle name of Abigail Jessica Roy.
            unit("e", &[("jessica", "roy-ouellette")], &[], &[]),
            unit("f", &[("abigail", "roy")], &["jessica"], &["1993-01-30"]),
        ];
        let names = test_names();
        let (pairs, counts, oversized) =
            blocking::block(&units, &[name_word_pairs_with_blank(&names, &units, 500)]);
        assert_eq!(pairs, vec![(0, 1), (1, 2), (4, 5)]);
        assert_eq!(
            counts[0],
            (
                "soundex_two_name_words+blank_value+close_birth_date".to_string(),
                3
            )
        );
        assert_eq!(oversized, 0);
    }

    /// Units of these (first, last) names, middle names, birth dates and
    /// enrollments (entry, exit, SAU), named from `names`, and the
    /// candidate pairs every blocking pass gives them, with each pass's
    /// count (the test config's nicknames: William and Bill).
    #[allow(clippy::type_complexity)]
    fn blocked(
        names: &[&str],
        units: &[((&str, &str), &str, &str, &[(&str, &str, Code)])],
    ) -> (Vec<(u32, u32)>, Vec<(String, u64)>) {
        let table = names::table(names.iter().copied());
        let id = names::ids(&table);
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let units: Vec<Unit> = units
            .iter()
            .enumerate()
            .map(|(i, ((f, l), m, b, spans))| {
                let mut u = Unit::new(format!("{i}"), None, Vec::new());
                u.name_ids.insert((id[f], id[l]));
                if !m.is_empty() {
                    u.middle_ids.insert(id[m]);
                }
                u.births.insert(d(b));
                u.spans = spans.iter().map(|s| (d(s.0), d(s.1), s.2, None)).collect();
                u.summarise();
                u
            })
            .collect();
        let encoder = Soundex::default();
        let sx = |s: &str| soundex(&encoder, s);
        let comparer = comparer(table.clone(), &sx, &config());
        let (pairs, counts, _) = blocking::block(&units, &passes(&comparer, &units, 500));
        (pairs, counts)
    }

    /// Pairs no blocking pass made before (tests/identity_small/shapes):
    /// William born 7 March and Bill born 3 July; Marie Claire Dion born
    /// 31 March and Dion-Lapointe born 1 April; Kayla and Cayla Theriault
    /// born 30 April and 1 May; Tyler Beaulieu renamed Ethan Carrier, the
    /// old ID leaving an SAU on a Friday and the new one entering there on
    /// the Tuesday. A stranger born the same day entering another SAU, and
    /// one of other names born the next day entering the first's SAU, stay
    /// out.
    #[test]
    fn two_defects_and_a_child_renamed_whole_are_compared() {
        let none: &[(&str, &str, Code)] = &[];
        let old = &[("2015-08-28", "2016-01-15", 3)][..];
        let new = &[("2016-01-19", "2017-06-12", 3)][..];
        let other_sau = &[("2016-01-19", "2017-06-12", 4)][..];
        let names = [
            "william",
            "bill",
            "gagnon",
            "marie",
            "claire",
            "dion",
            "dion-lapointe",
            "kayla",
            "cayla",
            "theriault",
            "tyler",
            "beaulieu",
            "ethan",
            "carrier",
            "ryan",
            "morse",
        ];
        let (pairs, counts) = blocked(
            &names,
            &[
                (("william", "gagnon"), "", "2009-03-07", none),
                (("bill", "gagnon"), "", "2009-07-03", none),
                (("marie", "dion"), "claire", "2009-03-31", none),
                (("marie", "dion-lapointe"), "claire", "2009-04-01", none),
                (("kayla", "theriault"), "", "2010-04-30", none),
                (("cayla", "theriault"), "", "2010-05-01", none),
                (("tyler", "beaulieu"), "", "2010-06-02", old),
                (("ethan", "carrier"), "", "2010-06-02", new),
                (("ryan", "morse"), "", "2010-06-02", other_sau),
                (("william", "carrier"), "", "2010-06-03", new),
            ],
        );
        assert_eq!(pairs, [(0, 1), (2, 3), (4, 5), (6, 7)]);
        let count = |name: &str| counts.iter().find(|c| c.0 == name).map(|c| c.1);
        assert_eq!(count("birth_date+sau_left_or_entered+renamed"), Some(1));
    }

    /// Six Emmas born on one day, each of another family, at school at the
    /// same time in six SAUs: the birth date and the first name meet them
    /// all, and such pairs grow with the square of the state; they are not
    /// paired. William Gagnon re-registered as Bill Tremblay (a nickname
    /// and a new surname) the week he left, and Bill Gagnon born 3 July,
    /// at school at the same time (day and month swapped, the surname the
    /// same), still are.
    #[test]
    fn a_day_of_children_sharing_a_first_name_is_not_paired() {
        let sau = |n: Code| vec![("2015-08-28", "2017-06-12", n)];
        let emmas: Vec<Vec<(&str, &str, Code)>> = (10..16).map(sau).collect();
        let old = &[("2015-08-28", "2016-01-15", 3)][..];
        let new = &[("2016-01-19", "2017-06-12", 4)][..];
        let at_once = sau(5);
        let surnames = ["roy", "morse", "dion", "carrier", "beaulieu", "theriault"];
        let mut names = vec!["emma", "william", "bill", "gagnon", "tremblay"];
        names.extend(surnames);
        let mut units = vec![
            (("william", "gagnon"), "", "2009-03-07", old),
            (("bill", "tremblay"), "", "2009-03-07", new),
            (("bill", "gagnon"), "", "2009-07-03", &at_once[..]),
        ];
        for (last, spans) in surnames.iter().zip(&emmas) {
            units.push((("emma", last), "", "2009-03-07", &spans[..]));
        }
        let (pairs, counts) = blocked(&names, &units);
        assert_eq!(pairs, [(0, 1), (0, 2)]);
        let count = |name: &str| counts.iter().find(|c| c.0 == name).map(|c| c.1);
        // William and Bill meet on the nickname under the birth date, or
        // under it with day and month swapped: twice a pair (each one's
        // first name is the other's nickname); no Emma with another.
        assert_eq!(count("birth_date+any_name_word_or_nickname"), Some(4));
    }

    /// Four John Smiths born in 2009 and a Jon Smyth born in 2007, four of
    /// them at school together for months: two born on 7 and 8 March (a
    /// slip) and the one who left before the others came stay paired with
    /// every one they were paired with; two at school together born months
    /// apart (one year: the whole-name pass; the day and month of one the
    /// other's swapped in another year: the first name's Soundex pass) are
    /// not paired.
    #[test]
    fn two_of_one_name_born_apart_and_at_school_together_are_not_paired() {
        let together = &[("2015-08-28", "2017-06-12", 5)][..];
        let before = &[("2013-08-28", "2015-06-12", 3)][..];
        let units = [
            (("john", "smith"), "", "2009-03-07", together),
            (("john", "smith"), "", "2009-10-21", together),
            (("john", "smith"), "", "2009-10-21", before),
            (("john", "smith"), "", "2009-03-08", together),
            (("jon", "smyth"), "", "2007-07-03", together),
        ];
        let (pairs, counts) = blocked(&["john", "jon", "smith", "smyth"], &units);
        assert_eq!(pairs, [(0, 2), (0, 3), (1, 2), (2, 3)]);
        let count = |name: &str| counts.iter().find(|c| c.0 == name).map(|c| c.1);
        assert_eq!(count("first+last+birth_year"), Some(4));
        assert_eq!(count("soundex_first+last_initial+birth_month_day"), Some(1));
    }

    /// Emma and Ella Roy, born a day apart, no enrollment, living at two
    /// addresses: weak names and a birth date are kept apart, not queued.
    #[test]
    fn a_weak_pair_with_no_enrollment_and_two_addresses_is_kept_apart() {
        let m = missing_level;
        let mut v = [3, m(MIDDLE), 0, 2, 0, m(ENROLLMENT), m(LOCAL), 2];
        assert!(weak_without_enrollment(&v, 11.0, "grey zone"));
        assert!(weak_without_enrollment(
            &v,
            11.0,
            "twins_or_siblings: same surname, close birth date, different first names, together: a person decides"
        ));
        assert_eq!(
            WEAK_WITHOUT_ENROLLMENT,
            "below 13 bits of evidence with no enrollment to tell two children apart and both addresses known"
        );
        // Strong enough, another reason, an enrollment, or no address: as before.
        assert!(!weak_without_enrollment(&v, 16.6, "grey zone"));
        assert!(!weak_without_enrollment(
            &v,
            11.0,
            "look_alike: same first name, last name and birth date in different places, nothing independent agrees: a person decides"
        ));
        v[ADDRESS_C] = m(ADDRESS_C);
        assert!(!weak_without_enrollment(&v, 11.0, "grey zone"));
        v[ADDRESS_C] = 1;
        assert!(weak_without_enrollment(&v, 11.0, "grey zone"), "same zip");
        v[ENROLLMENT] = 2;
        assert!(!weak_without_enrollment(&v, 11.0, "grey zone"));
    }

    #[test]
    fn a_blank_value_needs_something_independent_to_stay_in_play() {
        let m = missing_level;
        // First name exact, surname exact, birth date blank, gender agrees.
        let mut v = [0, m(MIDDLE), 0, m(BIRTH), 0, 2, m(LOCAL), 2];
        assert!(
            missing_uncorroborated(&v),
            "names alone, different addresses"
        );
        let config = config();
        // Over the review threshold but below 13 bits of evidence: kept apart.
        let (outcome_of, reason) = outcome(None, None, false, false, Some(12.3), 0.9998, &config);
        assert_eq!(outcome_of, "separate");
        assert_eq!(
            reason,
            "missing_values: a name part or the birth date blank, nothing independent agrees"
        );
        // Strong on what is there: a person decides, never merged; the
        // evidence counts, not the posterior, which a low prior lowers
        // (17 bits of evidence at a prior of 0.0154 is log-odds 11).
        for probability in [0.999999, 0.9995] {
            let (outcome_of, _) =
                outcome(None, None, false, false, Some(17.0), probability, &config);
            assert_eq!(outcome_of, "review", "{probability}");
        }
        let (outcome_of, reason) = outcome(None, None, false, false, Some(19.9), 0.999999, &config);
        assert_eq!(outcome_of, "review");
        assert_eq!(
            reason,
            "missing_values: a name part or the birth date blank, nothing independent agrees, the rest strong: a person decides"
        );
        // A review threshold set higher still holds.
        let strict = IdentityConfig {
            review_probability: 0.9999999,
            ..config.clone()
        };
        let (outcome_of, _) = outcome(None, None, false, false, Some(19.9), 0.999999, &strict);
        assert_eq!(outcome_of, "separate");
        v[ADDRESS_C] = 0;
        assert!(!missing_uncorroborated(&v), "same address");
        v[ADDRESS_C] = 2;
        v[ENROLLMENT] = 1;
        assert!(
            !missing_uncorroborated(&v),
            "a few days' overlap at a transfer"
        );
        v[ENROLLMENT] = 2;
        v[BIRTH] = 0;
        assert!(!missing_uncorroborated(&v), "nothing blank");
    }

    /// A scored pair of units `a` < `b` with an outcome, for the cluster
    /// tests.
    fn scored(a: u32, b: u32, score: f64, outcome: &'static str, reason: &'static str) -> Scored {
        Scored {
            a,
            b,
            score,
            probability: 0.99,
            compared: true,
            levels: [0; N],
            weights: [0.0; N],
            outcome,
            reason: reason.into(),
            pattern: if reason.starts_with("twins") {
                "twins_or_siblings"
            } else {
                ""
            },
        }
    }

    fn three_units() -> Vec<Unit> {
        ["000000001", "000000002", "000000003"]
            .iter()
            .enumerate()
            .map(|(i, k)| Unit::new(k.to_string(), Some(k.to_string()), vec![i]))
            .collect()
    }

    /// A ~ C and B ~ C would merge, but A and B are twins a person is to
    /// tell apart: merging both through C (the transitive closure) would
    /// fold one twin into the other behind the reviewer's back. The
    /// weaker merge is held back and goes to a person, with the reason.
    #[test]
    fn a_merge_through_a_third_id_never_joins_a_pair_sent_to_a_person() {
        let units = three_units();
        for own in [
            scored(0, 1, -2.0, "review", "twins_or_siblings: same surname, close birth date, different first names, together: a person decides"),
            scored(0, 1, -2.0, "separate", "twins_or_siblings: enrolled at once for months: two children"),
            scored(0, 1, -2.0, "review", "grey zone"),
            scored(0, 1, -2.0, "separate", "decision"),
        ] {
            let pairs = vec![
                own.clone(),
                scored(0, 2, 40.0, "merge", "probable"),
                scored(1, 2, 35.0, "merge", "probable"),
            ];
            let out = cluster(&units, &pairs);
            let s = &out.survivor_of_unit;
            assert_ne!(s[0], s[1], "{own:?}");
            assert_eq!(s[0], s[2], "the stronger merge stands");
            let (what, pattern) = match (own.outcome, own.pattern) {
                ("review", "") => ("went to a person", ""),
                ("review", _) => ("went to a person", " (twins_or_siblings)"),
                (_, "") => ("was kept apart", ""),
                _ => ("was kept apart", " (twins_or_siblings)"),
            };
            assert_eq!(
                out.guarded,
                [(2, format!("cluster_guard: probable, but it would join 000000001 and 000000002, whose own pair {what}{pattern}: a person decides"))]
            );
        }
        // Kept apart for want of evidence only (no pattern): a child
        // entered three times with a different defect each time is one.
        let pairs = vec![
            scored(0, 1, -20.0, "separate", "below the review threshold"),
            scored(0, 2, 40.0, "merge", "probable"),
            scored(1, 2, 35.0, "merge", "probable"),
        ];
        let out = cluster(&units, &pairs);
        assert!(out.guarded.is_empty());
        assert_eq!(out.survivor_of_unit, ["000000001"; 3]);
    }

    /// A reviewer's "merge" wins over the guard (only a reviewer's
    /// "separate" between the two clusters stops it), and once a person
    /// merged the pair that was queued, the third ID joins automatically.
    #[test]
    fn a_merge_decision_still_merges_through_the_guard() {
        let units = three_units();
        let pairs = vec![
            scored(0, 1, -2.0, "review", "grey zone"),
            scored(0, 2, 0.0, "merge", "decision"),
            scored(1, 2, 0.0, "merge", "decision"),
        ];
        let out = cluster(&units, &pairs);
        assert!(out.guarded.is_empty());
        assert_eq!(out.survivor_of_unit, ["000000001"; 3]);
        let pairs = vec![
            scored(0, 1, 0.0, "merge", "decision"),
            scored(0, 2, 40.0, "merge", "probable"),
            scored(1, 2, 35.0, "merge", "probable"),
        ];
        let out = cluster(&units, &pairs);
        assert!(out.guarded.is_empty());
        assert_eq!(out.survivor_of_unit, ["000000001"; 3]);
        let pairs = vec![
            scored(0, 1, 0.0, "separate", "decision"),
            scored(0, 2, 0.0, "merge", "decision"),
            scored(1, 2, 0.0, "merge", "decision"),
        ];
        let out = cluster(&units, &pairs);
        assert_ne!(out.survivor_of_unit[0], out.survivor_of_unit[1]);
    }

    /// A ~ C and B ~ C would merge, and no blocking pass compared A and B
    /// (cousins of one full name born years apart, C a record of one of
    /// them with a blank birth date carrying the other's address): A and B
    /// were enrolled at once for a year, two children, so the weaker merge
    /// goes to a person. Enrolled at once for two weeks (a transfer), the
    /// chain stands; a reviewer's "merge" is not held back.
    #[test]
    fn a_merge_through_a_third_id_never_joins_two_ids_at_school_at_once_for_months() {
        let mut units = three_units();
        let spans = |u: &mut Unit, from: &str, to: &str| {
            let e = enrolled(&[(from, to, 1)]);
            u.spans = e.spans;
            u.summarise();
        };
        spans(&mut units[0], "2014-08-28", "2015-06-12");
        spans(&mut units[1], "2014-08-28", "2016-06-12");
        let pairs = vec![
            scored(0, 2, 40.0, "merge", "probable"),
            scored(1, 2, 35.0, "merge", "probable"),
        ];
        let out = cluster(&units, &pairs);
        assert_ne!(out.survivor_of_unit[0], out.survivor_of_unit[1]);
        assert_eq!(out.survivor_of_unit[0], out.survivor_of_unit[2]);
        assert_eq!(
            out.guarded,
            [(1, "cluster_guard: probable, but it would join 000000001 and 000000002, enrolled at once for more than 60 days (two children, compared or not): a person decides".to_string())]
        );
        spans(&mut units[1], "2015-06-01", "2016-06-12");
        let out = cluster(&units, &pairs);
        assert!(out.guarded.is_empty());
        assert_eq!(out.survivor_of_unit, ["000000001"; 3]);
        spans(&mut units[1], "2014-08-28", "2016-06-12");
        let decided = vec![
            scored(0, 2, 0.0, "merge", "decision"),
            scored(1, 2, 0.0, "merge", "decision"),
        ];
        assert_eq!(cluster(&units, &decided).survivor_of_unit, ["000000001"; 3]);
    }

    /// A reviewer's "separate" is never undone by automatic merges through a
    /// third ID, in either order of the merges' scores.
    #[test]
    fn a_separate_decision_is_never_undone_through_a_third_id() {
        let units = three_units();
        for (s02, s12) in [(40.0, 35.0), (35.0, 40.0)] {
            let pairs = vec![
                scored(0, 1, 0.0, "separate", "decision"),
                scored(0, 2, s02, "merge", "probable"),
                scored(1, 2, s12, "merge", "probable"),
            ];
            let out = cluster(&units, &pairs);
            assert_ne!(out.survivor_of_unit[0], out.survivor_of_unit[1]);
            assert_eq!(out.guarded.len(), 1);
        }
    }

    /// Placeholder names name no child: matching reads them as blank, each
    /// part of the name its own (a surname "Noné" is a family's).
    #[test]
    fn placeholder_names_are_read_as_blank() {
        let first = names::FIRST_PLACEHOLDERS;
        for p in ["baby boy", "baby", "unknown", "test"] {
            assert!(names::placeholder(first, p), "{p}");
        }
        for n in ["liam", "lee", "bo", "babette", "tess", "none"] {
            assert!(!names::placeholder(first, n), "{n}");
        }
        assert!(names::placeholder(first, &fold("Baby Boy")));
        assert!(names::placeholder(names::MIDDLE_PLACEHOLDERS, &fold("NMN")));
        assert!(names::placeholder(
            names::MIDDLE_PLACEHOLDERS,
            &fold("None")
        ));
        assert!(!names::placeholder(names::LAST_PLACEHOLDERS, &fold("Noné")));
        assert!(!names::placeholder(names::LAST_PLACEHOLDERS, "na"));
        let personal = personal(&[
            (
                1,
                1,
                Some("100000001"),
                "Baby",
                "Tremblay",
                "M",
                "2011-04-04",
                "2014-08-01",
            ),
            (
                2,
                2,
                Some("100000002"),
                "Unknown",
                "Noné",
                "M",
                "2011-04-04",
                "2014-08-01",
            ),
        ]);
        let (ids, _) = identities(&personal).unwrap();
        assert_eq!(ids[0].first_id, names::BLANK);
        assert_ne!(ids[0].last_id, names::BLANK);
        assert_eq!(ids[1].first_id, names::BLANK);
        assert_ne!(
            ids[1].last_id,
            names::BLANK,
            "a surname Noné is no placeholder"
        );
    }

    /// The same names with a birth date a little off and nothing else, or a
    /// blank birth date with only one enrollment continuing the other: the
    /// look-alikes of the 2,000,000-student run's wrong merges go to a
    /// person; a middle name, an address or a local number agreeing
    /// still lets them merge.
    #[test]
    fn names_with_a_birth_date_off_and_nothing_else_go_to_a_person() {
        use crate::identity::policy::{
            BLANK_BIRTH_ENROLLMENTS_ALONE, NAMES_AND_A_BIRTH_DATE_OFF, SURNAMES_DIFFER_ALONE,
        };
        // exact names, middle missing, a day apart, gender agrees, no
        // enrollment, no local number, no address.
        let mut v = [0, 3, 0, 2, 0, missing_level(ENROLLMENT), 2, 3];
        assert_eq!(doubtful(&v), Some(NAMES_AND_A_BIRTH_DATE_OFF));
        assert_eq!(NAMES_AND_A_BIRTH_DATE_OFF, "probable, but only the same first name and surname and a birth date a little off agree (no middle name, address or local number): a person decides");
        v[MIDDLE] = 0;
        assert_eq!(doubtful(&v), None, "a middle name agrees");
        v[MIDDLE] = 2;
        // One enrollment continuing the other is not enough (look-alikes
        // born a day apart, one arriving as the other left).
        v[ENROLLMENT] = ENDS_WHERE_BEGINS;
        assert_eq!(doubtful(&v), Some(NAMES_AND_A_BIRTH_DATE_OFF));
        v[ENROLLMENT] = 2;
        assert_eq!(doubtful(&v), Some(NAMES_AND_A_BIRTH_DATE_OFF));
        // The same local number or birth date: only both middle names
        // known and different (twins::two_middle_names) still say why.
        let two_middles = Some(twins::TWO_MIDDLE_NAMES);
        v[LOCAL] = 0;
        assert_eq!(doubtful(&v), two_middles, "the same local number");
        v[LOCAL] = 2;
        v[BIRTH] = 0;
        assert_eq!(doubtful(&v), two_middles, "the birth date is the same");
        // A blank birth date, one enrollment ending where the other begins.
        let mut v = [0, 3, 0, missing_level(BIRTH), 0, ENDS_WHERE_BEGINS, 2, 3];
        assert_eq!(doubtful(&v), Some(BLANK_BIRTH_ENROLLMENTS_ALONE));
        assert_eq!(BLANK_BIRTH_ENROLLMENTS_ALONE, "probable, but a birth date is blank and only one enrollment continuing the other agrees (no address or local number): a person decides");
        v[ADDRESS_C] = 0;
        assert_eq!(doubtful(&v), None, "the same address");
        // Another surname, the same first name and birth date, one
        // enrollment continuing the other, and nothing else.
        let mut v = [0, 3, 6, 0, 0, ENDS_WHERE_BEGINS, 2, 2];
        assert_eq!(doubtful(&v), Some(SURNAMES_DIFFER_ALONE));
        assert_eq!(SURNAMES_DIFFER_ALONE, "probable, but the surnames differ and no middle name, address or local number agrees: a person decides");
        // The middle name agreeing merges, unless the two moved: another
        // SAU at another address (strangers of one first name, middle name
        // and birth date merged so at 4,000,000 students).
        v[MIDDLE] = 0;
        assert_eq!(doubtful(&v), Some(twins::MOVED_NEW_SURNAME), "a move");
        v[ADDRESS_C] = missing_level(ADDRESS_C);
        assert_eq!(doubtful(&v), None, "the middle name agrees");
    }

    /// The lookup re-keys as the join does: rows in order, out of order,
    /// null and unknown IDs, a null surviving ID, and a map where one ID has
    /// two surviving IDs (the join then adds a row; the lookup gives way).
    #[test]
    fn key_lookup_rekeys_as_the_join_does() {
        let map = df!(
            "__from" => [Some("A"), Some("B"), Some("C"), None],
            "__to" => [Some("X"), Some("X"), None, Some("Z")],
        )
        .unwrap();
        let rows = |order: [i64; 5]| {
            df!(
                SOURCE_ROW => order,
                STATE_STUDENT_ID => [Some("A"), None, Some("B"), Some("C"), Some("Q")],
                "Grade" => ["01", "02", "03", "04", "05"],
            )
            .unwrap()
        };
        let lookup = KeyLookup::new(&map).unwrap();
        assert!(lookup.found.is_some());
        for df in [rows([1, 2, 3, 4, 5]), rows([5, 2, 3, 4, 1])] {
            let by_lookup = lookup.rekey(&df).unwrap();
            assert!(by_lookup.equals_missing(&rekey(&df, &map).unwrap()));
        }
        let ids = lookup.rekey(&rows([1, 2, 3, 4, 5])).unwrap();
        let got: Vec<Option<&str>> = ids
            .column(STATE_STUDENT_ID)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(got, [Some("X"), None, Some("X"), Some("C"), Some("Q")]);
        let twice = df!("__from" => ["A", "A"], "__to" => ["X", "Y"]).unwrap();
        let lookup = KeyLookup::new(&twice).unwrap();
        assert!(lookup.found.is_none());
        let df = rows([1, 2, 3, 4, 5]);
        assert_eq!(lookup.rekey(&df).unwrap().height(), 6);
    }

    /// The pass named `name` of every blocking pass over `units` (the test
    /// names' comparer), its pairs and the pairs it made, with the pairs
    /// its keep keeps of every pair of its blocks (what it gave before it
    /// made only some).
    fn made_by(name: &str, units: &[Unit]) -> (blocking::PassPairs, Vec<(u32, u32)>) {
        let encoder = Soundex::default();
        let sx = |s: &str| soundex(&encoder, s);
        let comparer = comparer(names::table(TEST_NAMES.into_iter()), &sx, &config());
        let all = passes(&comparer, units, 500);
        let pass = all.iter().find(|p| p.name == name).unwrap();
        let mut every = Vec::new();
        let mut keyed: Vec<(Key, u32)> = (0..units.len() as u32)
            .flat_map(|i| {
                (pass.keys)(&units[i as usize])
                    .into_iter()
                    .map(move |k| (k, i))
            })
            .collect();
        keyed.sort_unstable();
        keyed.dedup();
        for block in keyed.chunk_by(|p, q| p.0 == q.0) {
            for (x, &(_, a)) in block.iter().enumerate() {
                for &(_, b) in &block[x + 1..] {
                    let keep = pass.keep.as_deref().unwrap();
                    if keep(&units[a as usize], &units[b as usize]) {
                        every.push((a, b));
                    }
                }
            }
        }
        every.sort_unstable();
        let mut made = blocking::pass_pairs(units, pass);
        made.pairs.sort_unstable();
        (made, every)
    }

    /// Forty Thomas Joneses born a month and more apart in ten years (one
    /// block of the pass keyed on both names' sounds in any year), and the
    /// birth dates a duplicate's slip gives: day and month swapped, the
    /// year off, a day apart across a year's end and across 28 February
    /// of a common year, one part off, and no birth date. The pass makes
    /// the pairs of close birth dates only, not the block's 1,000-odd,
    /// and keeps every pair it kept when it made them all.
    #[test]
    fn the_sound_of_two_names_in_any_year_makes_only_close_birth_dates() {
        let mut units: Vec<Unit> = (0..40)
            .map(|k| {
                let b = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + chrono::Days::new(97 * k);
                let b = b.format("%Y-%m-%d").to_string();
                unit(&format!("s{k}"), &[("thomas", "jones")], &[], &[b.as_str()])
            })
            .collect();
        let shapes = [
            ("2004-03-07", "2004-07-03"),
            ("2004-03-07", "2006-03-07"),
            ("2003-12-31", "2004-01-01"),
            ("2005-02-28", "2005-03-01"),
            ("2008-03-01", "2007-02-28"),
            ("2008-02-28", "2006-03-01"),
            ("2009-05-17", "2009-09-17"),
        ];
        for (a, b) in shapes {
            units.push(unit(a, &[("lucas", "roy")], &[], &[a]));
            units.push(unit(b, &[("roy", "lucas")], &[], &[b]));
        }
        units.push(unit("blank", &[("thomas", "jones")], &[], &[]));
        let name = "soundex_first_or_middle+soundex_last_either_order+close_birth_date";
        let (made, every) = made_by(name, &units);
        assert_eq!(made.pairs, every);
        // Each shape's two units paired, and the Thomas Jones with no birth
        // date with each of the forty.
        for i in 0..shapes.len() as u32 {
            assert!(
                made.pairs.contains(&(40 + 2 * i, 41 + 2 * i)),
                "{:?}",
                shapes[i as usize]
            );
        }
        let blank = units.len() as u32 - 1;
        assert_eq!(made.pairs.iter().filter(|p| p.1 == blank).count(), 40);
        assert_eq!(made.every, 41 * 40 / 2 + 14 * 13 / 2);
        assert!(made.made < 200, "{}", made.made);
    }

    /// Every pair of birth dates in four years (a leap year among them)
    /// that [`close_births`] calls close shares a [`blocking::near_keys`]
    /// key, and few pairs do.
    #[test]
    fn close_birth_dates_share_a_near_key() {
        let first = NaiveDate::from_ymd_opt(2003, 1, 1).unwrap();
        let dates: Vec<NaiveDate> = first.iter_days().take(4 * 365 + 1).collect();
        let units: Vec<Unit> = dates
            .iter()
            .map(|d| unit("u", &[], &[], &[d.format("%Y-%m-%d").to_string().as_str()]))
            .collect();
        let keys: Vec<[u64; 6]> = dates.iter().map(blocking::near_keys).collect();
        let (mut close, mut sharing) = (0, 0);
        for x in 0..dates.len() {
            for y in x + 1..dates.len() {
                let shared = keys[x].iter().any(|k| keys[y].contains(k));
                if close_births(&units[x], &units[y]) || close_births(&units[y], &units[x]) {
                    assert!(shared, "{} {}", dates[x], dates[y]);
                    close += 1;
                }
                sharing += usize::from(shared);
            }
        }
        assert!(close > 10_000);
        assert!(sharing * 20 < dates.len() * dates.len() / 2, "{sharing}");
    }

    /// Thirty children born on one day and one of them with a blank first
    /// name: the pass keyed on the birth date for a unit with a blank name
    /// part makes the blank one's thirty pairs, not the day's 465; the
    /// pass keyed on name sounds for a unit with a blank value likewise.
    #[test]
    fn a_day_of_children_and_one_blank_make_the_blank_ones_pairs() {
        let mut units: Vec<Unit> = (0..30)
            .map(|k| {
                unit(
                    &format!("c{k}"),
                    &[("thomas", "jones")],
                    &[],
                    &["2006-04-05"],
                )
            })
            .collect();
        units.push(unit(
            "blank",
            &[("", "jones")],
            &["thomas"],
            &["2006-04-05"],
        ));
        for name in [
            "birth_date+blank_name_part",
            "soundex_two_name_words+blank_value+close_birth_date",
        ] {
            let (made, every) = made_by(name, &units);
            assert_eq!(made.pairs, every, "{name}");
            assert_eq!(
                made.pairs,
                (0..30).map(|k| (k, 30)).collect::<Vec<_>>(),
                "{name}"
            );
            assert_eq!((made.made, made.every), (30, 465), "{name}");
        }
    }
}
