//! The relatives and strangers the twins, triplets and siblings of
//! `mod.rs` do not make: cousins, blended families (step- and
//! half-siblings), and strangers of one full name and birth date one after
//! the other. Each pair is a hard negative of its own kind.

use super::namemodel::given;
use super::naming::{self, Kin, Naming};
use super::orgs::Grade;
use super::{Generator, Population, Truth};
use chrono::Datelike;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// When and where a student enters the extract (school year, grade, start
/// status), as `entry_point` draws it.
pub(super) type Entry = (i32, Grade, &'static str);

/// Per pair of cousins: named for one grandparent (one first name, half of
/// them the middle name too). No count found; idlook9's injector made 61 of
/// its 166 cousin pairs so (0.37); 0.3.
const COUSINS_ONE_FIRST_NAME: f64 = 0.3;

impl Generator<'_> {
    /// The sum of the rates of the shapes made here, per student drawn.
    pub(super) fn relatives_rate(&self) -> f64 {
        let r = &self.opts.defects;
        r.cousins + r.step_siblings + r.half_siblings + r.look_alike_one_after_the_other
    }

    /// Makes the relatives `x` (in `0..relatives_rate()`) draws, from
    /// student `student` on; returns their entry points.
    pub(super) fn relatives(
        &mut self,
        student: u32,
        entry: Entry,
        x: f64,
        family: &mut ChaCha8Rng,
        out: &mut Population,
    ) -> Vec<Entry> {
        let r = self.opts.defects.clone();
        if x < r.cousins {
            self.cousins(student, entry, family, out)
        } else if x < r.cousins + r.step_siblings + r.half_siblings {
            self.blended(student, entry, x < r.cousins + r.step_siblings, family, out)
        } else {
            self.one_after_the_other(student, entry, family, out)
        }
    }

    /// Two cousins of one surname in one SAU, other households and schools,
    /// zero to two grades apart (`cousins`), three in ten named for one
    /// grandparent (`cousins_one_first_name`).
    fn cousins(
        &mut self,
        student: u32,
        (y, grade, start): Entry,
        family: &mut ChaCha8Rng,
        out: &mut Population,
    ) -> Vec<Entry> {
        let gap = family.gen_range(0..=2);
        let other = near_grade(grade, gap);
        let mut a = Generator::truth(&mut self.rng, y, grade);
        let mut b = Generator::truth(&mut self.rng, y, other);
        (b.name.last, b.name.suffix) = (a.name.last.clone(), None);
        naming::kin(&mut self.rng, &mut a, &mut b, Kin::Cousin);
        let kind = if family.gen_bool(COUSINS_ONE_FIRST_NAME) {
            (b.name.first, b.name.male) = (a.name.first.clone(), a.name.male);
            // A Somali cousin's middle is their own father's name.
            if family.gen_bool(0.5) && a.naming != Naming::Somali {
                b.name.middle = a.name.middle.clone();
            }
            "cousins_one_first_name"
        } else {
            self.another_first_name(&a, &mut b);
            "cousins"
        };
        let sau = self.pick_sau();
        self.family_start = Some((sau, self.rng.gen()));
        self.student(student, &a, y, grade, start);
        self.family_start = Some((sau, self.rng.gen()));
        self.student(student + 1, &b, y, other, start);
        self.family_start = None;
        out.pair(student, [a, b], kind, false);
        vec![(y, grade, start), (y, other, start)]
    }

    /// A blended family at one address and school path: step-siblings
    /// (`step`: two surnames, born months apart in one grade) or
    /// half-siblings one to three grades apart, the second with the
    /// first's surname or, half the time, the first's hyphenated with
    /// another.
    fn blended(
        &mut self,
        student: u32,
        (y, grade, start): Entry,
        step: bool,
        family: &mut ChaCha8Rng,
        out: &mut Population,
    ) -> Vec<Entry> {
        let gap = if step { 0 } else { family.gen_range(1..=3) };
        let other = near_grade(grade, gap);
        let mut a = Generator::truth(&mut self.rng, y, grade);
        let mut b = Generator::truth(&mut self.rng, y, other);
        b.language = a.language;
        // Step-siblings: another father and mother; Somali half-siblings
        // one father (his name and his father's); the others' surnames as
        // below.
        let somali = a.naming == Naming::Somali;
        let how = if somali && !step {
            Kin::Sibling
        } else {
            Kin::Step
        };
        naming::kin(&mut self.rng, &mut a, &mut b, how);
        self.another_first_name(&a, &mut b);
        let kind = if step {
            "step_siblings"
        } else if somali || a.naming == Naming::CentralAfrican {
            "half_siblings"
        } else {
            let first = a.name.last.split('-').next().unwrap_or("").to_string();
            b.name.last = if family.gen_bool(0.5) {
                first
            } else {
                format!("{first}-{}", b.name.last.split('-').next().unwrap_or(""))
            };
            "half_siblings"
        };
        self.family_start = Some((self.pick_sau(), self.rng.gen()));
        self.student(student, &a, y, grade, start);
        self.student(student + 1, &b, y, other, start);
        self.family_start = None;
        out.pair(student, [a, b], kind, true);
        vec![(y, grade, start), (y, other, start)]
    }

    /// Strangers of one first name, surname, sex and birth date (the
    /// middle names different or one blank): the first at school up to a
    /// year before the extract's last, the second entering another SAU
    /// the fall after the first's last year, at another address
    /// (`look_alike_one_after_the_other`). In the extract's last year,
    /// one student alone.
    fn one_after_the_other(
        &mut self,
        student: u32,
        (y, grade, start): Entry,
        family: &mut ChaCha8Rng,
        out: &mut Population,
    ) -> Vec<Entry> {
        let a = Generator::truth(&mut self.rng, y, grade);
        if y >= self.opts.last_year {
            self.student(student, &a, y, grade, start);
            out.household.push(student);
            out.truths.push(a);
            return vec![(y, grade, start)];
        }
        let b = self.namesake(&a, y, grade);
        let last = family.gen_range(y..self.opts.last_year);
        let sau = self.pick_sau();
        self.family_start = Some((sau, self.rng.gen()));
        self.until = Some(last);
        let before = self.enrollments.len();
        self.student(student, &a, y, grade, start);
        self.until = None;
        let latest = (before..self.enrollments.len())
            .filter(|&i| self.enrollments[i].primary)
            .max_by_key(|&i| (self.enrollments[i].year, self.enrollments[i].entry))
            .map(|i| &self.enrollments[i]);
        let (y2, grade2) = latest.map_or((y, grade), |e| (e.year + 1, (e.grade + 1).min(12)));
        let start2 = if grade2 <= 0 { "01" } else { "14" };
        let mut sau2 = self.pick_sau();
        if sau2 == sau && self.used_saus > 1 {
            sau2 = (sau + 1) % self.used_saus;
        }
        self.family_start = Some((sau2, self.rng.gen()));
        self.student(student + 1, &b, y2, grade2, start2);
        self.family_start = None;
        out.pair(student, [a, b], "look_alike_one_after_the_other", false);
        vec![(y, grade, start), (y2, grade2, start2)]
    }

    /// A stranger with `a`'s first name, surname, sex and birth date, and
    /// another middle name (or none).
    fn namesake(&mut self, a: &Truth, y: i32, grade: Grade) -> Truth {
        let mut b = Generator::truth(&mut self.rng, y, grade);
        (b.name.first, b.name.last, b.name.birth, b.name.male) = (
            a.name.first.clone(),
            a.name.last.clone(),
            a.name.birth,
            a.name.male,
        );
        b.name.suffix = None;
        if b.name.middle.is_some() && b.name.middle == a.name.middle {
            b.name.middle = Some(given(&mut self.rng, b.name.male, b.name.birth.year()));
            if b.name.middle == a.name.middle {
                b.name.middle = None;
            }
        }
        b
    }
}

/// A relative's grade `gap` below `grade`, or above it when that would be
/// under pre-kindergarten (-1).
fn near_grade(grade: Grade, gap: Grade) -> Grade {
    if grade - gap >= -1 {
        grade - gap
    } else {
        grade + gap
    }
}

impl Population {
    /// Two children `student` and the next, a hard-negative pair of
    /// `kind`: their relation, households (one address when `together`,
    /// the first's) and truths.
    fn pair(&mut self, student: u32, [a, b]: [Truth; 2], kind: &'static str, together: bool) {
        self.relations.push((student, student + 1, kind));
        let second = if together { student } else { student + 1 };
        self.household.extend([student, second]);
        self.truths.extend([a, b]);
    }
}
