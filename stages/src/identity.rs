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
//! survivor, rule, score); enrollments re-keyed to surviving IDs; the review
//! queue; the blocking counts and the estimated model.
//!
//! **Rules, in order**: `same_person` (identity rows of one PersonID: name
//! history); `same_state_id` (persons sharing a StateStudentID whose birth
//! date and gender agree, or differ by a day/month swap; others go to review
//! as `same_id_conflict`); reviewer decisions (`decision`); scored merges
//! across IDs (`probable`) above the merge threshold; the grey zone, and every
//! pair agreeing exactly on first name, last name and birth date, to review.
//!
//! **Merged**: identity rows folded into another student; in = out + merged.
//!
//! **Config keys**: `identity.merge_probability`,
//! `identity.review_probability`, `identity.max_block`.

use crate::columns::*;
use crate::report::StageReport;
use chrono::{Datelike, NaiveDate};
use polars::prelude::*;
use rphonetic::{Encoder, Soundex};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use unicode_normalization::UnicodeNormalization;

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
}

/// A reviewer's decision on a pair of student keys.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub id_a: String,
    pub id_b: String,
    pub merge: bool,
}

/// Names folded for comparison: accents dropped, punctuation removed,
/// lower case, single spaces.
pub fn fold(name: &str) -> String {
    let stripped: String = name
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-')
        .collect();
    stripped
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Clone, Debug)]
struct Identity {
    person: i64,
    identity: i64,
    state_id: Option<String>,
    first: String,
    last: String,
    gender: Option<String>,
    birth: Option<NaiveDate>,
    effective: Option<NaiveDate>,
}

/// A set of identity rows certainly one child (one PersonID, or persons
/// sharing a StateStudentID): what probable matching compares.
#[derive(Clone, Debug)]
struct Unit {
    key: String,
    state_id: Option<String>,
    /// Indexes into the identity list.
    members: Vec<usize>,
    /// Folded (first, last) variants.
    names: BTreeSet<(String, String)>,
    births: BTreeSet<NaiveDate>,
    gender: Option<String>,
    /// (entry, exit, SAU, local number) of its enrollments.
    spans: Vec<(NaiveDate, NaiveDate, String, Option<String>)>,
    /// Folded (street address, zip) of its mailing addresses.
    addresses: BTreeSet<(String, String)>,
    first_seen: Option<NaiveDate>,
}

impl Unit {
    fn new(key: String, state_id: Option<String>, members: Vec<usize>) -> Self {
        Unit {
            key,
            state_id,
            members,
            names: BTreeSet::new(),
            births: BTreeSet::new(),
            gender: None,
            spans: Vec::new(),
            addresses: BTreeSet::new(),
            first_seen: None,
        }
    }
}

/// Comparators and their levels; the last level of each is "missing"
/// (weight 0) where a comparator can be missing.
pub const COMPARATORS: [(&str, &[&str]); 7] = [
    (
        "first_name",
        &["exact", "nickname", "similar", "phonetic", "different"],
    ),
    (
        "last_name",
        &["exact", "compound", "similar", "phonetic", "different"],
    ),
    (
        "birth_date",
        &[
            "exact",
            "day_month_swapped",
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
            "never_at_the_same_time",
            "enrolled_at_the_same_time",
            "missing",
        ],
    ),
    (
        "local_number",
        &["same_in_same_sau", "different", "missing"],
    ),
    (
        "address",
        &["same_address", "same_zip", "different", "missing"],
    ),
];

fn missing_level(c: usize) -> Option<usize> {
    let levels = COMPARATORS[c].1;
    (levels[levels.len() - 1] == "missing").then_some(levels.len() - 1)
}

/// The estimated model: m and u per comparator level, and the prior.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Model {
    pub prior: f64,
    pub m: Vec<Vec<f64>>,
    pub u: Vec<Vec<f64>>,
    pub iterations: usize,
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
}

/// What the stage produced.
pub struct Resolved {
    pub students: DataFrame,
    pub identity_map: DataFrame,
    pub id_crosswalk: DataFrame,
    pub enrollment: Option<DataFrame>,
    /// Every StateStudentID and provisional key (`__from`) to its surviving
    /// key (`__to`): what [`rekey`] applies to downstream entities.
    pub key_map: DataFrame,
    /// Pairs scored (merged, reviewed and separated).
    pub pairs: Vec<Pair>,
    pub review: Vec<Pair>,
    pub passes: Vec<(String, u64)>,
    pub oversized_blocks: u64,
    pub model: Model,
    pub reports: Vec<StageReport>,
}

fn strs(df: &DataFrame, c: &str) -> PolarsResult<Vec<Option<String>>> {
    let s = df
        .column(c)?
        .as_materialized_series()
        .cast(&DataType::String)?;
    let s = s.str()?;
    Ok((0..s.len()).map(|i| s.get(i).map(str::to_string)).collect())
}

fn dates(df: &DataFrame, c: &str) -> PolarsResult<Vec<Option<NaiveDate>>> {
    let s = df
        .column(c)?
        .as_materialized_series()
        .cast(&DataType::String)?;
    let s = s.str()?;
    Ok((0..s.len())
        .map(|i| {
            s.get(i)
                .and_then(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
        })
        .collect())
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
    let gender = match (&a.gender, &b.gender) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    };
    birth && gender
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

struct Comparer<'a> {
    nick: BTreeSet<(String, String)>,
    /// Soundex of every folded name, computed once.
    phonetic: std::collections::HashMap<String, String>,
    config: &'a IdentityConfig,
}

impl Comparer<'_> {
    fn phon(&self, s: &str) -> &str {
        self.phonetic.get(s).map(String::as_str).unwrap_or("")
    }

    fn first_level(&self, a: &str, b: &str) -> usize {
        if a == b {
            0
        } else if self.nick.contains(&(a.to_string(), b.to_string()))
            || self.nick.contains(&(b.to_string(), a.to_string()))
        {
            1
        } else if strsim::jaro_winkler(a, b) >= 0.9 || strsim::levenshtein(a, b) <= 1 {
            2
        } else if !a.is_empty() && self.phon(a) == self.phon(b) {
            3
        } else {
            4
        }
    }

    fn last_level(&self, a: &str, b: &str) -> usize {
        let parts = |s: &str| -> BTreeSet<String> {
            s.split(['-', ' '])
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect()
        };
        if a == b || a.replace(['-', ' '], "") == b.replace(['-', ' '], "") {
            0
        } else if !parts(a).is_disjoint(&parts(b)) {
            1
        } else if strsim::jaro_winkler(a, b) >= 0.9 || strsim::levenshtein(a, b) <= 1 {
            2
        } else if !a.is_empty() && self.phon(a) == self.phon(b) {
            3
        } else {
            4
        }
    }

    /// The comparison vector of two units (best name and birth variants).
    fn levels(&self, a: &Unit, b: &Unit) -> [usize; 7] {
        let mut best_names = (4, 4);
        for (fa, la) in &a.names {
            for (fb, lb) in &b.names {
                let straight = (self.first_level(fa, fb), self.last_level(la, lb));
                let crossed = (self.first_level(fa, lb), self.last_level(la, fb));
                for cand in [straight, crossed] {
                    if cand.0 + cand.1 < best_names.0 + best_names.1 {
                        best_names = cand;
                    }
                }
            }
        }
        let birth = if a.births.is_empty() || b.births.is_empty() {
            4
        } else {
            let mut best = 3;
            for x in &a.births {
                for y in &b.births {
                    let l = if x == y {
                        0
                    } else if swapped(*x, *y) {
                        1
                    } else if one_part_off(*x, *y) {
                        2
                    } else {
                        3
                    };
                    best = best.min(l);
                }
            }
            best
        };
        let gender = match (&a.gender, &b.gender) {
            (Some(x), Some(y)) if x == y => 0,
            (Some(_), Some(_)) => 1,
            _ => 2,
        };
        let enrollment = if a.spans.is_empty() || b.spans.is_empty() {
            3
        } else {
            let overlap = a
                .spans
                .iter()
                .any(|(s1, e1, _, _)| b.spans.iter().any(|(s2, e2, _, _)| s1 < e2 && s2 < e1));
            if overlap {
                2
            } else {
                let end_a = a.spans.iter().map(|s| s.1).max().expect("spans");
                let start_b = b.spans.iter().map(|s| s.0).min().expect("spans");
                let end_b = b.spans.iter().map(|s| s.1).max().expect("spans");
                let start_a = a.spans.iter().map(|s| s.0).min().expect("spans");
                let gap = |end: NaiveDate, start: NaiveDate| (start - end).num_days();
                if (0..=120).contains(&gap(end_a, start_b))
                    || (0..=120).contains(&gap(end_b, start_a))
                {
                    0
                } else {
                    1
                }
            }
        };
        let local = {
            let la: BTreeSet<(&String, &String)> = a
                .spans
                .iter()
                .filter_map(|s| s.3.as_ref().map(|n| (&s.2, n)))
                .collect();
            let lb: BTreeSet<(&String, &String)> = b
                .spans
                .iter()
                .filter_map(|s| s.3.as_ref().map(|n| (&s.2, n)))
                .collect();
            if la.is_empty() || lb.is_empty() {
                2
            } else if !la.is_disjoint(&lb) {
                0
            } else {
                1
            }
        };
        let address = if a.addresses.is_empty() || b.addresses.is_empty() {
            3
        } else if !a.addresses.is_disjoint(&b.addresses) {
            0
        } else if a
            .addresses
            .iter()
            .any(|x| !x.1.is_empty() && b.addresses.iter().any(|y| y.1 == x.1))
        {
            1
        } else {
            2
        };
        let _ = self.config;
        [
            best_names.0,
            best_names.1,
            birth,
            gender,
            enrollment,
            local,
            address,
        ]
    }
}

/// Level frequencies among random pairs of units (almost all non-matches):
/// the u probabilities, estimated once and held fixed.
fn random_pair_u(units: &[Unit], comparer: &Comparer, samples: usize) -> Vec<Vec<f64>> {
    let mut counts: Vec<Vec<f64>> = COMPARATORS.iter().map(|c| vec![1.0; c.1.len()]).collect();
    let n = units.len() as u64;
    if n >= 2 {
        // A fixed xorshift stream: the same units, the same estimate.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..samples {
            let a = (next() % n) as usize;
            let b = (next() % n) as usize;
            if a == b {
                continue;
            }
            let v = comparer.levels(&units[a], &units[b]);
            for c in 0..v.len() {
                counts[c][v[c]] += 1.0;
            }
        }
    }
    counts
        .into_iter()
        .map(|row| {
            let t: f64 = row.iter().sum();
            row.into_iter().map(|v| v / t).collect()
        })
        .collect()
}

/// m from pairs that are certainly one child (persons entered twice under
/// one StateStudentID): level frequencies of names, birth date and gender;
/// enrollment and local number, which such pairs share by construction,
/// keep fixed values. Too few certain pairs: fixed values throughout.
fn certain_pair_m(certain: &[[usize; 7]]) -> Vec<Vec<f64>> {
    let fixed: [&[f64]; 7] = [
        &[0.85, 0.04, 0.05, 0.02, 0.04],
        &[0.85, 0.04, 0.05, 0.02, 0.04],
        &[0.85, 0.05, 0.07, 0.03, 0.0],
        &[0.97, 0.03, 0.0],
        &[0.6, 0.39, 0.01, 0.0],
        &[0.1, 0.9, 0.0],
        &[0.5, 0.2, 0.3, 0.0],
    ];
    let mut m: Vec<Vec<f64>> = fixed.iter().map(|r| r.to_vec()).collect();
    if certain.len() >= 20 {
        for c in 0..3 {
            let mut counts = vec![0.05; COMPARATORS[c].1.len()];
            if let Some(ml) = missing_level(c) {
                counts[ml] = 0.0;
            }
            for v in certain {
                if missing_level(c) != Some(v[c]) {
                    counts[v[c]] += 1.0;
                }
            }
            let t: f64 = counts.iter().sum();
            m[c] = counts.into_iter().map(|x| x / t).collect();
        }
    }
    m
}

/// EM for the share of matches among candidate pairs, with m and u held.
fn estimate(
    vectors: &[[usize; 7]],
    m: Vec<Vec<f64>>,
    u: Vec<Vec<f64>>,
    iterations: usize,
) -> Model {
    let ratio: Vec<f64> = vectors
        .iter()
        .map(|v| {
            (0..v.len())
                .filter(|&c| missing_level(c) != Some(v[c]))
                .map(|c| m[c][v[c]].max(1e-9) / u[c][v[c]].max(1e-9))
                .product()
        })
        .collect();
    let mut prior = 0.05;
    let mut done = 0;
    for _ in 0..iterations {
        done += 1;
        let g: f64 = ratio
            .iter()
            .map(|r| prior * r / (prior * r + 1.0 - prior))
            .sum();
        let new_prior = (g / vectors.len().max(1) as f64).clamp(1e-6, 0.5);
        let change = (new_prior - prior).abs();
        prior = new_prior;
        if change < 1e-9 {
            break;
        }
    }
    Model {
        prior,
        m,
        u,
        iterations: done,
    }
}

/// A blocking key from a (first name, last name, birth date) variant.
type BlockKey<'a> = Box<dyn Fn(&str, &str, &NaiveDate) -> String + 'a>;

/// A unit of some identity rows (for comparing persons within one ID).
fn single_unit(ids: &[Identity], rows: &[usize]) -> Unit {
    let mut u = Unit::new(String::new(), None, rows.to_vec());
    for &r in rows {
        u.names.insert((ids[r].first.clone(), ids[r].last.clone()));
        if let Some(b) = ids[r].birth {
            u.births.insert(b);
        }
        u.gender = u.gender.or(ids[r].gender.clone());
    }
    u
}

/// Pairs of the same first name, last name and birth date (folded): always
/// reviewed, never merged automatically.
fn same_name_and_birth(a: &Unit, b: &Unit) -> bool {
    a.names.iter().any(|n| b.names.contains(n)) && a.births.iter().any(|d| b.births.contains(d))
}

/// Resolves students.
pub fn run(
    personal: &DataFrame,
    enrollment: Option<&DataFrame>,
    addresses: Option<&DataFrame>,
    decisions: &[Decision],
    config: &IdentityConfig,
) -> PolarsResult<Resolved> {
    // ---------------------------------------------------------- identities
    let person = ints(personal, PERSON_ID)?;
    let identity_id = ints(personal, IDENTITY_ID)?;
    let ssid = strs(personal, STATE_STUDENT_ID)?;
    let first = strs(personal, FIRST_NAME)?;
    let last = strs(personal, LAST_NAME)?;
    let gender = if personal.column(GENDER).is_ok() {
        strs(personal, GENDER)?
    } else {
        vec![None; personal.height()]
    };
    let birth = dates(personal, BIRTH_DATE)?;
    let effective = dates(personal, IDENTITY_EFFECTIVE_DATE)?;
    let ids: Vec<Identity> = (0..personal.height())
        .map(|i| Identity {
            person: person[i].unwrap_or(-1),
            identity: identity_id[i].unwrap_or(-1),
            state_id: ssid[i].clone(),
            first: fold(first[i].as_deref().unwrap_or("")),
            last: fold(last[i].as_deref().unwrap_or("")),
            gender: gender[i].clone(),
            birth: birth[i],
            effective: effective[i],
        })
        .collect();

    // Persons, in order of their first identity.
    let mut persons: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (i, id) in ids.iter().enumerate() {
        persons.entry(id.person).or_default().push(i);
    }
    let mut review: Vec<Pair> = Vec::new();
    let mut rule_of: Vec<&'static str> = vec!["original"; ids.len()];
    for rows in persons.values() {
        for &r in &rows[1..] {
            rule_of[r] = "same_person";
        }
    }
    // Units: persons sharing a StateStudentID merge when compatible.
    let mut by_ssid: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut units: Vec<Unit> = Vec::new();
    let person_ssid = |rows: &Vec<usize>| rows.iter().find_map(|&r| ids[r].state_id.clone());
    for (p, rows) in &persons {
        match person_ssid(rows) {
            Some(s) => by_ssid.entry(s).or_default().push(*p),
            None => units.push(Unit::new(format!("NEW-{p}"), None, rows.clone())),
        }
    }
    for (s, ps) in &by_ssid {
        let mut main = persons[&ps[0]].clone();
        for p in &ps[1..] {
            let rows = &persons[p];
            if compatible(&ids[main[0]], &ids[rows[0]]) {
                for &r in rows {
                    rule_of[r] = "same_state_id";
                }
                main.extend(rows.iter().copied());
            } else {
                let key = format!("CONFLICT-{p}");
                review.push(Pair {
                    key_a: s.clone(),
                    key_b: key.clone(),
                    score: 0.0,
                    probability: 0.0,
                    terms: Vec::new(),
                    outcome: "review".into(),
                    reason: "same_id_conflict: persons share a StateStudentID but not birth date and gender".into(),
                });
                units.push(Unit::new(key, None, rows.clone()));
            }
        }
        units.push(Unit::new(s.clone(), Some(s.clone()), main));
    }
    units.sort_by(|a, b| a.key.cmp(&b.key));
    for u in units.iter_mut() {
        for &r in &u.members {
            let id = &ids[r];
            u.names.insert((id.first.clone(), id.last.clone()));
            if let Some(b) = id.birth {
                u.births.insert(b);
            }
            if u.gender.is_none() {
                u.gender = id.gender.clone();
            }
            u.first_seen = match (u.first_seen, id.effective) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
    }
    let unit_of_key: BTreeMap<String, usize> = units
        .iter()
        .enumerate()
        .map(|(i, u)| (u.key.clone(), i))
        .collect();
    if let Some(e) = enrollment {
        let es = strs(e, STATE_STUDENT_ID)?;
        let entry = dates(e, SCHOOL_ENTRY_DATE)?;
        let exit = dates(e, EXIT_DATE)?;
        let sau = if e.column(crate::crosswalk::SAU_ORG_ID).is_ok() {
            strs(e, crate::crosswalk::SAU_ORG_ID)?
        } else {
            strs(e, SCHOOL_ID)?
        };
        let local = strs(e, SCHOOL_STUDENT_ID)?;
        for i in 0..e.height() {
            if let (Some(s), Some(start)) = (&es[i], entry[i]) {
                if let Some(&u) = unit_of_key.get(s) {
                    let end = exit[i].unwrap_or(start);
                    units[u].spans.push((
                        start,
                        end,
                        sau[i].clone().unwrap_or_default(),
                        local[i].clone(),
                    ));
                }
            }
        }
    }

    if let Some(a) = addresses {
        let ids_col = strs(a, STATE_STUDENT_ID)?;
        let street = strs(a, ADDRESS)?;
        let zip = strs(a, ZIP)?;
        for i in 0..a.height() {
            if let (Some(s), Some(st)) = (&ids_col[i], &street[i]) {
                if let Some(&u) = unit_of_key.get(s) {
                    let z: String = zip[i].clone().unwrap_or_default().chars().take(5).collect();
                    units[u].addresses.insert((fold(st), z));
                }
            }
        }
    }

    // ------------------------------------------------------------ blocking
    let soundex = Soundex::default();
    let phon = |s: &str| {
        if s.is_empty() {
            String::new()
        } else {
            soundex.encode(s)
        }
    };
    // Each pass keys on a birth-date part and a name part, so blocks stay
    // small as the state grows (pairs close to linear in the records).
    let initial = |s: &str| s.chars().next().map(String::from).unwrap_or_default();
    let passes: [(&str, BlockKey); 5] = [
        (
            "birth_date+last_initial",
            Box::new(|_, l, b| format!("{b}|{}", initial(l))),
        ),
        (
            "birth_date+first_initial",
            Box::new(|f, _, b| format!("{b}|{}", initial(f))),
        ),
        (
            "birth_year+soundex_last+first_initial+lower_of_month_day",
            Box::new(|f, l, b| {
                format!(
                    "{}|{}|{}|{}",
                    b.year(),
                    phon(l),
                    initial(f),
                    b.month().min(b.day())
                )
            }),
        ),
        (
            "soundex_first+last_initial+birth_month_day",
            Box::new(|f, l, b| {
                let (x, y) = (b.month().min(b.day()), b.month().max(b.day()));
                format!("{}|{}|{x}-{y}", phon(f), initial(l))
            }),
        ),
        (
            "first+last+birth_year",
            Box::new(|f, l, b| {
                let mut names = [f.to_string(), l.to_string()];
                names.sort();
                format!("{}|{}", names.join("|"), b.year())
            }),
        ),
    ];
    let mut seen_pairs: BTreeSet<(usize, usize)> = BTreeSet::new();
    let mut pass_counts = Vec::new();
    let mut oversized = 0u64;
    for (name, key_fn) in &passes {
        let mut blocks: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
        for (i, u) in units.iter().enumerate() {
            for (f, l) in &u.names {
                for b in &u.births {
                    blocks.entry(key_fn(f, l, b)).or_default().insert(i);
                }
            }
        }
        let mut produced = 0u64;
        for members in blocks.values() {
            if members.len() > config.max_block {
                oversized += 1;
                continue;
            }
            let v: Vec<usize> = members.iter().copied().collect();
            for x in 0..v.len() {
                for y in x + 1..v.len() {
                    produced += 1;
                    seen_pairs.insert((v[x], v[y]));
                }
            }
        }
        pass_counts.push((name.to_string(), produced));
    }
    pass_counts.push(("distinct pairs".to_string(), seen_pairs.len() as u64));

    // ------------------------------------------------------------- scoring
    let mut nick = BTreeSet::new();
    for (a, b) in &config.nicknames {
        nick.insert((fold(a), fold(b)));
    }
    let mut phonetic = std::collections::HashMap::new();
    for u in &units {
        for (f, l) in &u.names {
            for name in [f, l] {
                if !phonetic.contains_key(name) {
                    phonetic.insert(name.clone(), phon(name));
                }
            }
        }
    }
    let comparer = Comparer {
        nick,
        phonetic,
        config,
    };
    let pairs_v: Vec<(usize, usize)> = seen_pairs.into_iter().collect();
    let vectors: Vec<[usize; 7]> = pairs_v
        .iter()
        .map(|&(a, b)| comparer.levels(&units[a], &units[b]))
        .collect();
    let u = random_pair_u(&units, &comparer, 20_000);
    // Certain pairs: identity rows of different persons in one unit.
    let mut certain = Vec::new();
    for unit in &units {
        let persons: BTreeSet<i64> = unit.members.iter().map(|&r| ids[r].person).collect();
        if persons.len() < 2 {
            continue;
        }
        let first_person = ids[unit.members[0]].person;
        let one = |person: i64| {
            let rows: Vec<usize> = unit
                .members
                .iter()
                .copied()
                .filter(|&r| ids[r].person == person)
                .collect();
            single_unit(&ids, &rows)
        };
        let a = one(first_person);
        for &p in persons.iter().filter(|&&p| p != first_person) {
            certain.push(comparer.levels(&a, &one(p)));
        }
    }
    let model = estimate(&vectors, certain_pair_m(&certain), u, 100);
    // Term frequencies of folded names among units, for exact agreement.
    let mut tf_first: BTreeMap<&str, f64> = BTreeMap::new();
    let mut tf_last: BTreeMap<&str, f64> = BTreeMap::new();
    for u in &units {
        for (f, l) in &u.names {
            *tf_first.entry(f.as_str()).or_default() += 1.0;
            *tf_last.entry(l.as_str()).or_default() += 1.0;
        }
    }
    let n_units = units.len().max(1) as f64;
    let weight = |c: usize, l: usize, a: &Unit, b: &Unit| -> f64 {
        if missing_level(c) == Some(l) {
            return 0.0;
        }
        let mut u = model.u[c][l];
        if l == 0 && c < 2 {
            // Rarer names count more: the chance two records agree on this
            // name by accident is its frequency.
            let shared: Vec<&(String, String)> = a
                .names
                .iter()
                .filter(|n| {
                    b.names
                        .iter()
                        .any(|m| if c == 0 { m.0 == n.0 } else { m.1 == n.1 })
                })
                .collect();
            if let Some(n) = shared.first() {
                let f = if c == 0 {
                    tf_first.get(n.0.as_str())
                } else {
                    tf_last.get(n.1.as_str())
                };
                u = (f.copied().unwrap_or(1.0) / n_units).max(1e-7);
            }
        }
        (model.m[c][l] / u).log2()
    };
    let decided: BTreeMap<(String, String), bool> = decisions
        .iter()
        .map(|d| {
            let (a, b) = if d.id_a <= d.id_b {
                (d.id_a.clone(), d.id_b.clone())
            } else {
                (d.id_b.clone(), d.id_a.clone())
            };
            ((a, b), d.merge)
        })
        .collect();
    let prior_odds = (model.prior / (1.0 - model.prior)).log2();
    let mut pairs: Vec<Pair> = Vec::with_capacity(pairs_v.len());
    for (k, &(a, b)) in pairs_v.iter().enumerate() {
        let (ua, ub) = (&units[a], &units[b]);
        let terms: Vec<Term> = (0..COMPARATORS.len())
            .map(|c| Term {
                comparator: COMPARATORS[c].0,
                level: COMPARATORS[c].1[vectors[k][c]],
                weight: (weight(c, vectors[k][c], ua, ub) * 1000.0).round() / 1000.0,
            })
            .collect();
        let score = prior_odds + terms.iter().map(|t| t.weight).sum::<f64>();
        let probability = 1.0 / (1.0 + (-score).exp2());
        let key = if ua.key <= ub.key {
            (ua.key.clone(), ub.key.clone())
        } else {
            (ub.key.clone(), ua.key.clone())
        };
        let (outcome, reason) = if let Some(&merge) = decided.get(&key) {
            (
                if merge { "merge" } else { "separate" },
                "decision".to_string(),
            )
        } else if same_name_and_birth(ua, ub) {
            (
                "review",
                "same first name, last name and birth date: a person decides".to_string(),
            )
        } else if probability >= config.merge_probability {
            ("merge", "probable".to_string())
        } else if probability >= config.review_probability {
            ("review", "grey zone".to_string())
        } else {
            ("separate", "below the review threshold".to_string())
        };
        pairs.push(Pair {
            key_a: key.0,
            key_b: key.1,
            score: (score * 1000.0).round() / 1000.0,
            probability: (probability * 1e6).round() / 1e6,
            terms,
            outcome: outcome.to_string(),
            reason,
        });
    }
    // Decisions on pairs blocking never produced are honoured too.
    for ((a, b), merge) in &decided {
        if !pairs.iter().any(|p| &p.key_a == a && &p.key_b == b)
            && unit_of_key.contains_key(a)
            && unit_of_key.contains_key(b)
        {
            pairs.push(Pair {
                key_a: a.clone(),
                key_b: b.clone(),
                score: 0.0,
                probability: 0.0,
                terms: Vec::new(),
                outcome: if *merge { "merge" } else { "separate" }.into(),
                reason: "decision".into(),
            });
        }
    }
    review.extend(pairs.iter().filter(|p| p.outcome == "review").cloned());
    review.sort_by(|a, b| (&a.key_a, &a.key_b).cmp(&(&b.key_a, &b.key_b)));

    // ----------------------------------------------------------- clusters
    let separate: BTreeSet<(usize, usize)> = pairs
        .iter()
        .filter(|p| p.outcome == "separate" && p.reason == "decision")
        .map(|p| (unit_of_key[&p.key_a], unit_of_key[&p.key_b]))
        .collect();
    let mut merges: Vec<&Pair> = pairs.iter().filter(|p| p.outcome == "merge").collect();
    merges.sort_by(|a, b| {
        let rank = |p: &Pair| if p.reason == "decision" { 0 } else { 1 };
        (rank(a), -a.score as i64, &a.key_a, &a.key_b).cmp(&(
            rank(b),
            -b.score as i64,
            &b.key_a,
            &b.key_b,
        ))
    });
    let mut uf = UnionFind((0..units.len()).collect());
    let mut members: BTreeMap<usize, BTreeSet<usize>> =
        (0..units.len()).map(|i| (i, BTreeSet::from([i]))).collect();
    let mut merged_by: BTreeMap<usize, (&'static str, f64)> = BTreeMap::new();
    for p in merges {
        let (a, b) = (unit_of_key[&p.key_a], unit_of_key[&p.key_b]);
        let (ra, rb) = (uf.find(a), uf.find(b));
        if ra == rb {
            continue;
        }
        let blocked = members[&ra].iter().any(|x| {
            members[&rb]
                .iter()
                .any(|y| separate.contains(&(*x.min(y), *x.max(y))))
        });
        if blocked {
            continue;
        }
        uf.union(a, b);
        let root = uf.find(a);
        let other = if root == ra { rb } else { ra };
        let moved = members.remove(&other).unwrap_or_default();
        members.entry(root).or_default().extend(moved);
        let rule = if p.reason == "decision" {
            "decision"
        } else {
            "probable"
        };
        merged_by.insert(a, (rule, p.score));
        merged_by.insert(b, (rule, p.score));
    }

    // ----------------------------------------------------------- survivors
    // The surviving StateStudentID: the earliest assigned (earliest identity
    // effective date), ties broken by the smaller ID. A cluster with no ID
    // keeps its provisional key and needs a New State ID.
    let mut survivor_of_unit: Vec<String> = vec![String::new(); units.len()];
    for group in members.values() {
        let survivor = group
            .iter()
            .filter(|&&u| units[u].state_id.is_some())
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

    // -------------------------------------------------------------- frames
    let n = ids.len();
    let mut unit_of_row = vec![0usize; n];
    for (ui, u) in units.iter().enumerate() {
        for &r in &u.members {
            unit_of_row[r] = ui;
        }
    }
    let mut map_rule: Vec<String> = Vec::with_capacity(n);
    for r in 0..n {
        let u = unit_of_row[r];
        let rule = match merged_by.get(&u) {
            Some((rule, _)) if survivor_of_unit[u] != units[u].key => rule.to_string(),
            _ => rule_of[r].to_string(),
        };
        map_rule.push(rule);
    }
    let identity_map = df!(
        SOURCE_ROW => personal.column(SOURCE_ROW)?.as_materialized_series().clone(),
        IDENTITY_ID => identity_id.clone(),
        PERSON_ID => person.clone(),
        STATE_STUDENT_ID => ssid.clone(),
        STUDENT_KEY => (0..n).map(|r| survivor_of_unit[unit_of_row[r]].clone()).collect::<Vec<_>>(),
        "rule" => map_rule,
    )?;
    // ID crosswalk: every StateStudentID (and provisional key) that does not
    // survive, to its survivor.
    let (mut retired, mut surviving, mut rules, mut scores) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (ui, u) in units.iter().enumerate() {
        if survivor_of_unit[ui] != u.key {
            let (rule, score) = merged_by.get(&ui).copied().unwrap_or(("probable", 0.0));
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
    // Students: the current identity (newest effective date) of each cluster.
    let mut current: BTreeMap<String, usize> = BTreeMap::new();
    let mut history: BTreeMap<String, usize> = BTreeMap::new();
    for r in 0..n {
        let key = survivor_of_unit[unit_of_row[r]].clone();
        *history.entry(key.clone()).or_default() += 1;
        let better = |old: usize| {
            (ids[r].effective, ids[r].identity) > (ids[old].effective, ids[old].identity)
        };
        match current.get(&key) {
            Some(&old) if !better(old) => {}
            _ => {
                current.insert(key, r);
            }
        }
    }
    let rows: Vec<u32> = current.values().map(|&r| r as u32).collect();
    let mut students = personal.take(&IdxCa::new("rows".into(), rows))?;
    let keys: Vec<String> = current.keys().cloned().collect();
    students.with_column(Column::new(STUDENT_KEY.into(), keys.clone()))?;
    students.with_column(Column::new(
        NEEDS_NEW_STATE_ID.into(),
        keys.iter()
            .map(|k| k.starts_with("NEW-") || k.starts_with("CONFLICT-"))
            .collect::<Vec<_>>(),
    ))?;
    students.with_column(Column::new(
        "NameHistory".into(),
        keys.iter().map(|k| history[k] as u32).collect::<Vec<_>>(),
    ))?;

    let mut personal_report = StageReport::new(STAGE, crate::schema::STUDENT_PERSONAL.name);
    personal_report.rows_in = n as u64;
    personal_report.rows_out = students.height() as u64;
    personal_report.merged = n as u64 - students.height() as u64;
    let mut reports = vec![personal_report];

    // Enrollments re-keyed through the crosswalk of StateStudentIDs.
    let key_map = df!(
        "__from" => units.iter().map(|u| u.key.clone()).collect::<Vec<_>>(),
        "__to" => (0..units.len()).map(|u| survivor_of_unit[u].clone()).collect::<Vec<_>>(),
    )?;
    let enrollment_out = match enrollment {
        Some(e) => {
            let out = rekey(e, &key_map)?;
            let mut r = StageReport::new(STAGE, crate::schema::STUDENT_ENROLLMENT.name);
            r.rows_in = e.height() as u64;
            r.rows_out = out.height() as u64;
            reports.push(r);
            Some(out)
        }
        None => None,
    };
    Ok(Resolved {
        students,
        identity_map,
        id_crosswalk,
        enrollment: enrollment_out,
        key_map,
        pairs,
        review,
        passes: pass_counts,
        oversized_blocks: oversized,
        model,
        reports,
    })
}

/// Re-keys rows through `key_map`: `StateStudentID` becomes the surviving
/// ID, the ID as read is kept as `LegacyStateStudentID`; rows whose ID no
/// identity has keep it (the row count never changes).
pub fn rekey(df: &DataFrame, key_map: &DataFrame) -> PolarsResult<DataFrame> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> IdentityConfig {
        IdentityConfig {
            merge_probability: 0.99,
            review_probability: 0.5,
            max_block: 500,
            nicknames: vec![("William".into(), "Bill".into())],
        }
    }

    #[test]
    fn folding_drops_accents_punctuation_and_case() {
        assert_eq!(fold("Thériault"), "theriault");
        assert_eq!(fold("O'Brien"), "obrien");
        assert_eq!(fold("  St. Pierre "), "st pierre");
        assert_eq!(fold("Côté-Lévesque"), "cote-levesque");
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
        let pair = out
            .pairs
            .iter()
            .find(|p| p.key_a == "000000001" && p.key_b == "000000002")
            .unwrap();
        assert_eq!(
            (pair.outcome.as_str(), pair.reason.as_str()),
            ("separate", "decision")
        );
        // Same first name, last name and birth date: review, never automatic.
        let twins = out.pairs.iter().find(|p| p.key_a == "000000003").unwrap();
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
}
