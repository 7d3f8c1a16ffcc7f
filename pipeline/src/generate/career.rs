//! One student's years in school (`Generator::student`): what is drawn once
//! per student, then year by year where they are, what happens to them and
//! the enrollments that makes. The draws are made in a fixed order, so the
//! same seed gives the same bundle.

use super::{
    choose, date, exceptionality_for_grade, random_date, sped_exit_on_leaving, weekday,
    weekday_before, Enrollment, Generator, Grade, Sped, Truth,
};
use chrono::{Duration, NaiveDate};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// What is drawn once per student, before their first year.
struct Profile {
    /// The student's birth date (Developmentally Delayed ends at age 6).
    birth: NaiveDate,
    missing_id: bool,
    state_id: Option<String>,
    affinity: u32,
    el: bool,
    exceptionality: &'static str,
    gifted: bool,
    section504: bool,
    migrant: bool,
    refugee: bool,
    fiscal: &'static str,
}

/// Where a student is as the years go by.
struct Career {
    entry_year: i32,
    sau: usize,
    local: Option<String>,
    grade: Grade,
    year: i32,
    start: &'static str,
    first_entry: Option<NaiveDate>,
    esl_date: Option<NaiveDate>,
    el_exit: Option<NaiveDate>,
    sped_year: Option<i32>,
    sped: Option<Sped>,
    econ: &'static str,
    dropout_years: u32,
    years_in_12: u32,
}

/// What happens in a school year.
enum Outcome {
    Continue,
    Graduate,
    TransferSau(NaiveDate),
    TransferWithin(NaiveDate),
    Leave(NaiveDate, &'static str),
}

/// What a year's outcome leaves for the next.
enum Next {
    /// Promoted or retained, then the next year.
    Promote,
    /// A dropout coming back: the next year, no promotion.
    Return,
    /// No more years.
    Stop,
}

/// The school the year starts at and the first day there.
struct YearStart {
    school: usize,
    entry: NaiveDate,
    last: NaiveDate,
}

const ECON: [(&str, u32); 5] = [("F", 36), ("R", 8), ("N", 50), ("P", 3), ("U", 3)];

impl Generator<'_> {
    pub(super) fn student(
        &mut self,
        student: u32,
        truth: &Truth,
        entry_year: i32,
        grade: Grade,
        start: &'static str,
    ) {
        let (p, mut c) = self.profile(student, truth, entry_year, grade, start);
        let first_enrollment = self.enrollments.len();
        while c.year <= self.until.unwrap_or(self.opts.last_year) {
            let y = self.year_start(&p, &mut c);
            // What happens this year.
            let r: f64 = self.rng.gen();
            let outcome = self.outcome(&c, truth, r, &y);
            // Home-schooled students taking courses at the school, with the
            // share of their day spent there (SAU Percentage, 002 line 33).
            let home_schooled = self.rng.gen_bool(0.004);
            let base = self.base_enrollment(student, &p, &c, &y, home_schooled);
            match self.apply_outcome(outcome, base, &p, &mut c, &y) {
                Next::Stop => break,
                Next::Return => continue,
                Next::Promote => {}
            }
            if !self.promote(&mut c) {
                break;
            }
        }
        let enrolled: Vec<usize> = (first_enrollment..self.enrollments.len()).collect();
        if enrolled.is_empty() {
            return;
        }
        self.identities_for(student, truth, p.state_id, &enrolled, p.missing_id);
    }

    /// The draws made once per student, and where they start.
    fn profile(
        &mut self,
        student: u32,
        truth: &Truth,
        entry_year: i32,
        grade: Grade,
        start: &'static str,
    ) -> (Profile, Career) {
        let rates = self.opts.defects.clone();
        let missing_id = self.rng.gen_bool(rates.missing_state_id);
        let state_id = if missing_id {
            None
        } else {
            Some(self.new_state_id())
        };
        let (sau, affinity) = match self.family_start {
            Some(start) => start,
            None => (self.pick_sau(), self.rng.gen()),
        };
        self.start_sau.insert(student, sau);
        let local = self.local_id(sau);
        let econ_base = *choose(&mut self.rng, &ECON);
        let el = truth.immigrant.is_some() && self.rng.gen_bool(0.7) || self.rng.gen_bool(0.012);
        let sped_prob = 0.22;
        let sped_year: Option<i32> = if self.rng.gen_bool(sped_prob) {
            Some(entry_year + self.rng.gen_range(0..4))
        } else {
            None
        };
        let exceptionality = *choose(
            &mut self.rng,
            &[
                // The v2.5 numbering (002 line 34): 09 Specific Learning
                // Disability, 04 Speech and Language Impairment, 08 Other
                // Health Impairment, 13 Autism, 11 Multiple Disabilities,
                // 06 Emotional Disability, 12 Developmentally Delayed ...
                ("09", 30),
                ("04", 18),
                ("08", 15),
                ("13", 10),
                ("06", 7),
                ("11", 8),
                ("12", 5),
                ("01", 3),
                ("02", 1),
                ("03", 1),
                ("05", 1),
                ("07", 1),
                ("10", 1),
                ("14", 1),
            ],
        );
        let gifted = self.rng.gen_bool(0.05);
        let section504 = self.rng.gen_bool(0.03);
        let migrant = self.rng.gen_bool(0.005);
        let refugee = truth.immigrant.is_some() && self.rng.gen_bool(0.3);
        let fiscal = *choose(
            &mut self.rng,
            &[
                ("R", 940),
                ("S", 12),
                ("O", 10),
                ("P", 18),
                ("F", 8),
                ("M", 6),
                ("A", 6),
            ],
        );
        let profile = Profile {
            birth: truth.name.birth,
            missing_id,
            state_id,
            affinity,
            el,
            exceptionality,
            gifted,
            section504,
            migrant,
            refugee,
            fiscal,
        };
        let career = Career {
            entry_year,
            sau,
            local,
            grade,
            year: entry_year,
            start,
            first_entry: None,
            esl_date: None,
            el_exit: None,
            sped_year,
            sped: None,
            econ: econ_base,
            dropout_years: 0,
            years_in_12: 0,
        };
        (profile, career)
    }

    /// The year's school and first day; English learner, special-education
    /// and economic status as the year starts.
    fn year_start(&mut self, p: &Profile, c: &mut Career) -> YearStart {
        let year = c.year;
        let (school, _attending) = self.school_for(c.sau, c.grade, year, p.affinity);
        let mut entry = self.first_day(year, c.sau);
        // Students moving in (and a few new ones) start during the year.
        let mid_year_start = c.start == "14"
            || c.start == "15"
            || (c.start == "01" && c.first_entry.is_none() && self.rng.gen_bool(0.05));
        if mid_year_start && c.first_entry.is_none() && year > self.opts.first_year {
            entry = weekday(random_date(&mut self.rng, entry, date(year, 4, 30)));
        }
        let first = *c.first_entry.get_or_insert(entry);
        if p.el && c.esl_date.is_none() {
            c.esl_date = Some(first);
        }
        if p.el && c.el_exit.is_none() && year >= c.entry_year + 3 && self.rng.gen_bool(0.35) {
            c.el_exit = Some(weekday(random_date(
                &mut self.rng,
                date(year - 1, 9, 15),
                date(year, 5, 30),
            )));
        }
        if c.sped.is_none() && c.sped_year.is_some_and(|y| y <= year) {
            let setting = sped_setting(&mut self.rng, c.grade);
            c.sped = Some(Sped {
                start: weekday(random_date(&mut self.rng, entry, date(year, 5, 15))),
                setting,
                exceptionality: p.exceptionality,
                exit: None,
            });
        }
        if let Some(s) = c.sped.as_mut() {
            // Past six by 30 June: every entry date of the year may be.
            let past_six = p.birth + chrono::Months::new(84) <= date(year, 6, 30);
            s.exceptionality =
                exceptionality_for_grade(&mut self.rng, s.exceptionality, c.grade, past_six);
        }
        if self.rng.gen_bool(0.1) {
            c.econ = *choose(&mut self.rng, &ECON);
        }
        let last = self.last_day(year, c.sau);
        YearStart {
            school,
            entry,
            last,
        }
    }

    /// What happens this year, from the draw `r`.
    fn outcome(&mut self, c: &Career, truth: &Truth, r: f64, y: &YearStart) -> Outcome {
        let (year, grade, entry, last) = (c.year, c.grade, y.entry, y.last);
        let mid = |rng: &mut ChaCha8Rng| {
            weekday(random_date(
                rng,
                entry.max(date(year - 1, 10, 1)),
                date(year, 5, 15),
            ))
        };
        // A student turning 20 on or before 1 July exits with 20
        // (000 line 114); students with an IEP stay in grade 12 until
        // then more often than others.
        let turns_20 = truth.name.birth + chrono::Months::new(240) <= date(year, 7, 1);
        let extra_year_graduates = if c.sped.is_some() { 0.5 } else { 0.95 };
        if grade == 12 && turns_20 {
            Outcome::Leave(last, "20")
        } else if grade == 12 && (r < 0.86 || (c.years_in_12 > 0 && r < extra_year_graduates)) {
            Outcome::Graduate
        } else if grade == 12 && c.years_in_12 > 0 && c.sped.is_some() {
            Outcome::Continue
        } else if grade == 12 && c.years_in_12 > 0 {
            // Adult-education or equivalency diplomas exit with 23
            // (000 line 110); the others drop out.
            let code = if self.rng.gen_bool(0.3) { "23" } else { "07" };
            Outcome::Leave(mid(&mut self.rng), code)
        } else if r < 0.03 && self.used_saus > 1 {
            Outcome::TransferSau(mid(&mut self.rng))
        } else if r < 0.04 {
            Outcome::TransferWithin(mid(&mut self.rng))
        } else if r < 0.055 {
            // 03: a school in another state; 13: home schooling (000
            // line 104); 10: a school outside the country (000 line
            // 105); 12: a public charter school (from 2012-13); 08: died.
            Outcome::Leave(mid(&mut self.rng), "03")
        } else if r < 0.057 {
            Outcome::Leave(mid(&mut self.rng), "13")
        } else if r < 0.0575 {
            Outcome::Leave(mid(&mut self.rng), "10")
        } else if r < 0.0585 && year >= 2013 {
            Outcome::Leave(mid(&mut self.rng), "12")
        } else if r < 0.0586 {
            Outcome::Leave(mid(&mut self.rng), "08")
        } else if grade >= 9 && r < 0.08 {
            Outcome::Leave(mid(&mut self.rng), "07")
        } else if grade >= 9 && r < 0.081 {
            Outcome::Leave(mid(&mut self.rng), "19")
        } else {
            Outcome::Continue
        }
    }

    /// The year's enrollment before its outcome: a continuing student's
    /// ends on the last day with no end status (only leavers are exited,
    /// 000 line 103).
    fn base_enrollment(
        &mut self,
        student: u32,
        p: &Profile,
        c: &Career,
        y: &YearStart,
        home_schooled: bool,
    ) -> Enrollment {
        let (year, grade, last, el) = (c.year, c.grade, y.last, p.el);
        let gifted = p.gifted;
        Enrollment {
            student,
            state_id: p.state_id.clone(),
            school: y.school,
            local_id: c.local.clone(),
            resident_sau: c.sau,
            primary: true,
            year,
            grade,
            entry: y.entry,
            start: c.start,
            exit: Some(last),
            exit_code: None,
            lunch: c.econ,
            fiscal: if p.fiscal == "A" && year > 2010 {
                "R"
            } else {
                p.fiscal
            },
            english: if el && c.el_exit.is_none_or(|d| d > last) {
                Some(*choose(&mut self.rng, &[("03", 85), ("04", 15)]))
            } else if el {
                Some("05")
            } else if self.rng.gen_bool(0.8) {
                // 01 Native English Speaker, 02 Bilingual-Never LEP,
                // 99 Status unknown (002 line 28).
                Some(*choose(&mut self.rng, &[("01", 95), ("02", 4), ("99", 1)]))
            } else {
                None
            },
            esl_date: if el { c.esl_date } else { None },
            lep_exit: c.el_exit.filter(|d| *d <= last),
            homeless: if year >= 2010 && self.rng.gen_bool(0.012) {
                Some(*choose(
                    &mut self.rng,
                    &[("1", 60), ("2", 20), ("3", 15), ("4", 5)],
                ))
            } else {
                None
            },
            programs: [
                p.migrant,
                p.section504,
                p.refugee,
                self.rng.gen_bool(0.005),
                self.rng.gen_bool(0.01),
                gifted && grade >= 1,
                gifted && grade >= 1 && self.rng.gen_bool(0.3),
                grade >= 9 && self.rng.gen_bool(0.01),
                grade >= 10 && self.rng.gen_bool(0.002),
                home_schooled,
            ],
            sau_percentage: home_schooled.then(|| {
                *choose(
                    &mut self.rng,
                    &[("1", 3), ("2", 3), ("3", 2), ("4", 1), ("5", 1)],
                )
            }),
            sped: None,
            action: None,
            defect: None,
        }
    }

    /// The year's enrollments as its outcome makes them.
    fn apply_outcome(
        &mut self,
        outcome: Outcome,
        base: Enrollment,
        p: &Profile,
        c: &mut Career,
        y: &YearStart,
    ) -> Next {
        let last = y.last;
        let mut row = base.clone();
        match outcome {
            Outcome::Continue => {
                row.sped = sped_now(None, &c.sped, last);
                self.push_year(row, &mut c.sped, last);
                Next::Promote
            }
            Outcome::Graduate => {
                let grad = weekday_before(last - Duration::days(4));
                row.exit = Some(grad);
                row.exit_code = Some("15");
                row.sped = sped_now(Some(grad), &c.sped, last);
                // Special-education exit at graduation: 01 Graduation
                // with Diploma, or 02 Graduation through Certificate/
                // Fulfillment of IEP (002 line 34; both in every year).
                let certificate = self.rng.gen_bool(0.15);
                if let Some(s) = row.sped.as_mut() {
                    s.exit = Some((grad, if certificate { "02" } else { "01" }));
                }
                self.push_year(row, &mut c.sped, last);
                Next::Stop
            }
            Outcome::TransferSau(d) => {
                self.transfer_sau(d, row, base, p, c, last);
                Next::Promote
            }
            Outcome::TransferWithin(d) => {
                self.transfer_within(d, row, base, c, y);
                Next::Promote
            }
            Outcome::Leave(d, code) => {
                row.exit = Some(d);
                row.exit_code = Some(code);
                row.sped = sped_now(Some(d), &c.sped, last);
                if let Some(s) = row.sped.as_mut().filter(|s| s.exit.is_none()) {
                    s.exit = sped_exit_on_leaving(&mut self.rng, code, c.year).map(|c| (d, c));
                }
                self.push_year(row, &mut c.sped, last);
                // A few dropouts come back the next year.
                if code == "07" && c.dropout_years == 0 && self.rng.gen_bool(0.2) {
                    c.dropout_years += 1;
                    c.year += 1;
                    c.start = "16";
                    return Next::Return;
                }
                Next::Stop
            }
        }
    }

    /// A move to another SAU on `d`: the old enrollment exited (02), a new
    /// one at the new SAU's school; some overlap, mostly by a few days (a
    /// planted defect: `overlapping_primary`).
    fn transfer_sau(
        &mut self,
        d: NaiveDate,
        mut row: Enrollment,
        base: Enrollment,
        p: &Profile,
        c: &mut Career,
        last: NaiveDate,
    ) {
        row.exit = Some(d);
        row.exit_code = Some("02");
        row.sped = sped_now(Some(d), &c.sped, last);
        let old = self.enrollments.len();
        self.push_year(row, &mut c.sped, last);
        let mut new_sau = self.pick_sau();
        if new_sau == c.sau {
            new_sau = (c.sau + 1) % self.used_saus;
        }
        c.sau = new_sau;
        c.local = self.local_id(c.sau);
        let (school, _) = self.school_for(c.sau, c.grade, c.year, p.affinity);
        let entry2 = weekday(d + Duration::days(self.rng.gen_range(1..8)));
        let last2 = self.last_day(c.year, c.sau);
        let mut row2 = base;
        row2.school = school;
        row2.resident_sau = c.sau;
        row2.local_id = c.local.clone();
        row2.entry = entry2;
        row2.start = "12";
        row2.exit = Some(last2);
        row2.sped = sped_now(None, &c.sped, last);
        // One draw per transfer: whether the two overlap, and by how long.
        let rate = self.opts.defects.overlapping_primary;
        let x: f64 = self.rng.gen();
        if x < rate {
            // Mostly a few days (the old school exits the child when the
            // records request comes), a quarter for one to five weeks.
            let f = x / rate;
            let days = if f < 0.75 {
                1 + (f / 0.75 * 7.0) as i64
            } else {
                8 + ((f - 0.75) / 0.25 * 32.0) as i64
            };
            let overlap = (entry2 + Duration::days(days)).min(last2);
            if overlap > entry2 {
                self.overlap(old, d, overlap);
            }
        }
        self.push_year(row2, &mut c.sped, last2);
    }

    /// The old SAU's enrollment (the rows `push_year` made from `first`:
    /// the year's row and its change of status, if any) exited on `overlap`
    /// instead of `d`, after the new SAU's began; the last of them, the one
    /// still open when the new one begins once conform has split the year
    /// at its change of status, is the planted defect.
    fn overlap(&mut self, first: usize, d: NaiveDate, overlap: NaiveDate) {
        let mut last = None;
        for i in first..self.enrollments.len() {
            let e = &mut self.enrollments[i];
            if e.primary && e.exit == Some(d) {
                e.exit = Some(overlap);
                last = Some(i);
            }
        }
        if let Some(i) = last {
            self.enrollments[i].defect = Some("overlapping_primary");
        }
    }

    /// A move to another school of the SAU on `d` (01, then 11), when there
    /// is one; else the year continues.
    fn transfer_within(
        &mut self,
        d: NaiveDate,
        mut row: Enrollment,
        base: Enrollment,
        c: &mut Career,
        y: &YearStart,
    ) {
        let last = y.last;
        let level = self.universe.level_for(c.sau, c.grade);
        let attending = self.universe.attending_sau(c.sau, level, self.used_saus);
        let others: Vec<usize> = self
            .universe
            .schools_at(attending, level, c.year)
            .into_iter()
            .filter(|&s| s != y.school)
            .collect();
        if let Some(&other) = others.first() {
            row.exit = Some(d);
            row.exit_code = Some("01");
            row.sped = sped_now(Some(d), &c.sped, last);
            self.push_year(row, &mut c.sped, last);
            let mut row2 = base;
            row2.school = other;
            row2.entry = weekday(d + Duration::days(1));
            row2.start = "11";
            row2.sped = sped_now(None, &c.sped, last);
            self.push_year(row2, &mut c.sped, last);
        } else {
            row.sped = sped_now(None, &c.sped, last);
            self.push_year(row, &mut c.sped, last);
        }
    }

    /// Promotion, or retention (a senior who did not graduate stays in grade
    /// 12 for a fifth year). False when there is no next year.
    fn promote(&mut self, c: &mut Career) -> bool {
        if c.grade == 12 {
            c.years_in_12 += 1;
        }
        let retained = c.grade == 12 || (c.grade >= 0 && self.rng.gen_bool(0.02));
        if !retained {
            c.grade += 1;
        }
        if c.grade > 12 {
            return false;
        }
        c.year += 1;
        c.start = "02";
        if c.sped_year.is_some() && c.sped.as_ref().is_some_and(|s| s.exit.is_some()) {
            // A child leaving early-childhood services (CDS) for
            // school-age special education (11) starts again next year.
            let to_school_age = c
                .sped
                .as_ref()
                .and_then(|s| s.exit)
                .is_some_and(|(_, c)| c == "11");
            c.sped_year = to_school_age.then_some(c.year);
            c.sped = None;
        }
        true
    }
}

/// The special-education record on an enrollment ending on `exit` (the last
/// day when none): the live one, when it started by then.
fn sped_now(exit: Option<NaiveDate>, sped: &Option<Sped>, last: NaiveDate) -> Option<Sped> {
    sped.clone().filter(|s| s.start <= exit.unwrap_or(last))
}

/// The special-education setting a new record starts with: early-childhood
/// settings before kindergarten.
fn sped_setting(rng: &mut ChaCha8Rng, grade: Grade) -> &'static str {
    const EARLY: [(&str, u32); 8] = [
        ("I", 30),
        ("J", 20),
        ("K", 15),
        ("L", 10),
        ("M", 10),
        ("N", 5),
        ("O", 5),
        ("P", 5),
    ];
    const SCHOOL_AGE: [(&str, u32); 8] = [
        ("A", 62),
        ("B", 18),
        ("C", 12),
        ("D", 3),
        ("E", 2),
        ("F", 1),
        ("G", 1),
        ("H", 1),
    ];
    let table: &[(&'static str, u32)] = if grade < 0 { &EARLY } else { &SCHOOL_AGE };
    let setting: &&'static str = choose(rng, table);
    setting
}
