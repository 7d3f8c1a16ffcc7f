//! Enrollments kept compactly once their students are made: IDs as numbers,
//! codes as one byte each, dates as four bytes, no strings. A simulated
//! enrollment takes about 70 bytes instead of some 450 with its strings, so
//! a 2,000,000-student history (13 million enrollments) is held in under a
//! gigabyte. Packing and unpacking give back the same values, so the files
//! written from them are the same bytes.

use super::{Enrollment, Grade, Sped};
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// The codes an enrollment carries (`&'static str` from the generator's
/// tables), each numbered on first use: 0 is none.
#[derive(Default)]
pub(super) struct Codes {
    list: Vec<&'static str>,
    index: BTreeMap<&'static str, u8>,
}

impl Codes {
    fn put(&mut self, code: Option<&'static str>) -> u8 {
        let Some(code) = code else { return 0 };
        let list = &mut self.list;
        *self.index.entry(code).or_insert_with(|| {
            list.push(code);
            u8::try_from(list.len()).expect("fewer than 256 codes")
        })
    }

    fn get(&self, k: u8) -> Option<&'static str> {
        (k != 0).then(|| self.list[k as usize - 1])
    }

    fn must(&self, k: u8) -> &'static str {
        self.get(k).expect("a code that was packed")
    }
}

/// Where each code of an enrollment sits in `Packed::codes`.
const START: usize = 0;
const EXIT_CODE: usize = 1;
const LUNCH: usize = 2;
const FISCAL: usize = 3;
const ENGLISH: usize = 4;
const HOMELESS: usize = 5;
const SAU_PERCENTAGE: usize = 6;
const DEFECT: usize = 7;
const SPED_SETTING: usize = 8;
const SPED_EXCEPTIONALITY: usize = 9;
const SPED_EXIT_CODE: usize = 10;

/// One enrollment, packed. The fields the derived files read are public.
pub(super) struct Packed {
    pub student: u32,
    /// The StateStudentID as a number (nine digits with leading zeros when
    /// written); 0 when the student has none.
    state_id: u32,
    /// The local student number; 0 when there is none.
    local_id: u32,
    pub school: u32,
    resident_sau: u16,
    pub primary: bool,
    programs: u16,
    codes: [u8; 11],
    pub year: i32,
    pub grade: Grade,
    pub entry: NaiveDate,
    pub exit: Option<NaiveDate>,
    esl_date: Option<NaiveDate>,
    lep_exit: Option<NaiveDate>,
    action: Option<NaiveDate>,
    /// The special-education record's start: it has one when this is set.
    sped_start: Option<NaiveDate>,
    sped_exit: Option<NaiveDate>,
}

/// An ID made of digits, as a number.
fn number(id: &Option<String>) -> u32 {
    id.as_deref().map_or(0, |s| {
        let n: u32 = s.parse().expect("IDs the generator made are numbers");
        assert!(n != 0, "an ID of zeros");
        n
    })
}

impl Packed {
    pub fn new(e: &Enrollment, codes: &mut Codes) -> Self {
        let s = e.sped.as_ref();
        let mut c = [0u8; 11];
        c[START] = codes.put(Some(e.start));
        c[EXIT_CODE] = codes.put(e.exit_code);
        c[LUNCH] = codes.put(Some(e.lunch));
        c[FISCAL] = codes.put(Some(e.fiscal));
        c[ENGLISH] = codes.put(e.english);
        c[HOMELESS] = codes.put(e.homeless);
        c[SAU_PERCENTAGE] = codes.put(e.sau_percentage);
        c[DEFECT] = codes.put(e.defect);
        c[SPED_SETTING] = codes.put(s.map(|s| s.setting));
        c[SPED_EXCEPTIONALITY] = codes.put(s.map(|s| s.exceptionality));
        c[SPED_EXIT_CODE] = codes.put(s.and_then(|s| s.exit.map(|x| x.1)));
        Packed {
            student: e.student,
            state_id: number(&e.state_id),
            local_id: number(&e.local_id),
            school: u32::try_from(e.school).expect("a school index"),
            resident_sau: u16::try_from(e.resident_sau).expect("an SAU index"),
            primary: e.primary,
            programs: e
                .programs
                .iter()
                .enumerate()
                .fold(0, |bits, (i, &b)| bits | (u16::from(b) << i)),
            codes: c,
            year: e.year,
            grade: e.grade,
            entry: e.entry,
            exit: e.exit,
            esl_date: e.esl_date,
            lep_exit: e.lep_exit,
            action: e.action,
            sped_start: s.map(|s| s.start),
            sped_exit: s.and_then(|s| s.exit.map(|x| x.0)),
        }
    }

    /// The enrollment as it was made.
    pub fn unpack(&self, codes: &Codes) -> Enrollment {
        let c = &self.codes;
        Enrollment {
            student: self.student,
            state_id: self.state_id(),
            school: self.school as usize,
            local_id: (self.local_id != 0).then(|| self.local_id.to_string()),
            resident_sau: self.resident_sau as usize,
            primary: self.primary,
            year: self.year,
            grade: self.grade,
            entry: self.entry,
            start: codes.must(c[START]),
            exit: self.exit,
            exit_code: codes.get(c[EXIT_CODE]),
            lunch: codes.must(c[LUNCH]),
            fiscal: codes.must(c[FISCAL]),
            english: codes.get(c[ENGLISH]),
            esl_date: self.esl_date,
            lep_exit: self.lep_exit,
            homeless: codes.get(c[HOMELESS]),
            programs: std::array::from_fn(|i| self.programs & (1 << i) != 0),
            sau_percentage: codes.get(c[SAU_PERCENTAGE]),
            sped: self.sped_start.map(|start| Sped {
                start,
                setting: codes.must(c[SPED_SETTING]),
                exceptionality: codes.must(c[SPED_EXCEPTIONALITY]),
                exit: self.sped_exit.map(|d| (d, codes.must(c[SPED_EXIT_CODE]))),
            }),
            action: self.action,
            defect: codes.get(c[DEFECT]),
        }
    }

    /// The StateStudentID as written.
    pub fn state_id(&self) -> Option<String> {
        (self.state_id != 0).then(|| format!("{:09}", self.state_id))
    }

    /// The StateStudentID as a number, ordered as its nine digits are.
    pub fn state_number(&self) -> Option<u32> {
        (self.state_id != 0).then_some(self.state_id)
    }

    /// The local student number, 0 for none.
    pub fn local_number(&self) -> Option<u32> {
        (self.local_id != 0).then_some(self.local_id)
    }

    pub fn resident_sau(&self) -> usize {
        self.resident_sau as usize
    }

    pub fn english(&self, codes: &Codes) -> Option<&'static str> {
        codes.get(self.codes[ENGLISH])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn enrollment() -> Enrollment {
        Enrollment {
            student: 7,
            state_id: Some("000123456".into()),
            school: 312,
            local_id: Some("10042".into()),
            resident_sau: 40,
            primary: true,
            year: 2012,
            grade: -1,
            entry: day(2011, 8, 29),
            start: "12",
            exit: Some(day(2012, 6, 8)),
            exit_code: Some("02"),
            lunch: "F",
            fiscal: "R",
            english: Some("03"),
            esl_date: Some(day(2010, 9, 1)),
            lep_exit: None,
            homeless: Some("2"),
            programs: [
                true, false, false, true, false, false, false, false, true, true,
            ],
            sau_percentage: Some("3"),
            sped: Some(Sped {
                start: day(2011, 10, 3),
                setting: "I",
                exceptionality: "12",
                exit: Some((day(2012, 3, 1), "11")),
            }),
            action: Some(day(2011, 11, 2)),
            defect: Some("overlapping_primary"),
        }
    }

    /// Every value an enrollment row is written from.
    fn shown(e: &Enrollment) -> String {
        let s = e
            .sped
            .as_ref()
            .map(|s| (s.start, s.setting, s.exceptionality, s.exit));
        format!(
            "{} {:?} {} {:?} {} {} {} {} {} {} {:?} {:?} {} {} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
            e.student,
            e.state_id,
            e.school,
            e.local_id,
            e.resident_sau,
            e.primary,
            e.year,
            e.grade,
            e.entry,
            e.start,
            e.exit,
            e.exit_code,
            e.lunch,
            e.fiscal,
            e.english,
            e.esl_date,
            e.lep_exit,
            e.homeless,
            e.programs,
            e.sau_percentage,
            s,
            e.action,
            e.defect
        )
    }

    #[test]
    fn an_enrollment_unpacks_to_the_values_it_was_packed_from() {
        let mut codes = Codes::default();
        let full = enrollment();
        let mut bare = enrollment();
        (bare.state_id, bare.local_id, bare.exit, bare.exit_code) = (None, None, None, None);
        (bare.english, bare.homeless, bare.sau_percentage) = (None, None, None);
        (bare.sped, bare.action, bare.defect, bare.programs) = (None, None, None, [false; 10]);
        let mut open_sped = enrollment();
        open_sped.sped.as_mut().unwrap().exit = None;
        for e in [full, bare, open_sped] {
            let p = Packed::new(&e, &mut codes);
            assert_eq!(shown(&p.unpack(&codes)), shown(&e));
        }
        // The leading zeros of a StateStudentID come back.
        let p = Packed::new(&enrollment(), &mut codes);
        assert_eq!(p.state_id().as_deref(), Some("000123456"));
        assert!(std::mem::size_of::<Packed>() <= 72, "packed stays small");
    }
}
