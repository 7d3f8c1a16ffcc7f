//! The bundle files that hang off enrollments: `behavior.csv`,
//! `truancy.csv`, `cte.csv` and `graduation.csv`. They are derived after
//! everything else from the enrollments already generated, each with its own
//! random stream, so adding them changed no byte of the other files.

use super::pack::Packed;
use super::sink::Rows;
use super::{date, iso, random_date, weekday, yn, Planted};
use super::{header, DefectRates, Universe};
use chrono::{Datelike, Duration, NaiveDate};
use cutover_stages::schema::{BEHAVIOR, CTE, GRADUATION, TRUANCY};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// Rows of the four files (as CSV text) and the defects planted in them:
/// (file, row index, defect, true student).
pub(super) struct Records {
    pub behavior: Rows,
    pub truancy: Rows,
    pub cte: Rows,
    pub graduation: Rows,
    pub defects: Vec<(&'static str, usize, Planted, u32)>,
}

impl Records {
    fn new() -> Self {
        Self {
            behavior: Rows::text(&header(&BEHAVIOR), false),
            truancy: Rows::text(&header(&TRUANCY), false),
            cte: Rows::text(&header(&CTE), true),
            graduation: Rows::text(&header(&GRADUATION), false),
            defects: Vec::new(),
        }
    }
}

/// The CIP codes of `crosswalks/cip_codes.csv`: each CTE center offers a few.
const PROGRAMS: [&str; 14] = [
    "01.0000", "03.0511", "11.0201", "12.0401", "12.0500", "15.0303", "19.0709", "46.0201",
    "46.0302", "47.0604", "48.0508", "49.0309", "51.0801", "52.0101",
];

/// The last day an event of this enrollment can fall on.
fn last_day(e: &Packed) -> NaiveDate {
    let june = date(e.year, 6, 10);
    e.exit.map_or(june, |x| x.min(june))
}

/// A school weekday within the enrollment.
fn day_in<R: Rng>(rng: &mut R, e: &Packed) -> Option<NaiveDate> {
    let (from, to) = (e.entry, last_day(e));
    if to <= from + Duration::days(3) {
        return None;
    }
    let d = weekday(random_date(rng, from, to - Duration::days(3)));
    (d <= to).then_some(d)
}

fn time<R: Rng>(rng: &mut R, from_minutes: u32, to_minutes: u32) -> String {
    let m = rng.gen_range(from_minutes..=to_minutes);
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn plant(kind: &'static str, rule: &'static str, column: &'static str, detail: String) -> Planted {
    Planted {
        kind,
        rule,
        column,
        detail,
    }
}

pub(super) fn generate(
    enrollments: &[Packed],
    universe: &Universe,
    rates: &DefectRates,
    seed: u64,
) -> Records {
    let mut out = Records::new();
    let primaries: Vec<&Packed> = enrollments
        .iter()
        .filter(|e| e.primary && e.state_number().is_some())
        .collect();
    behavior(&mut out, &primaries, universe, rates, seed);
    truancy(&mut out, &primaries, universe, rates, seed);
    cte(&mut out, enrollments, universe, rates, seed);
    graduation(&mut out, &primaries, rates, seed);
    out
}

/// A row of `behavior.csv`, its true student, whether an offender's.
type Row = (Vec<String>, u32, bool);

/// An incident: what every row of it shares.
struct Incident {
    id: u32,
    medms: u32,
    year: i32,
    event: &'static str,
    day: NaiveDate,
    at: String,
    weapon: &'static str,
    injury: bool,
}

impl Incident {
    /// A student's row of the incident, with their resolution (code, date,
    /// days) when they are an offender.
    fn row(
        &self,
        student_id: &str,
        role: &str,
        resolution: Option<(&str, NaiveDate, f64)>,
    ) -> Vec<String> {
        let (code, res_date, res_time, duration) = match resolution {
            Some((code, d, days)) => (
                code.to_string(),
                iso(d),
                String::new(),
                if code == "04" {
                    String::new()
                } else if days.fract() == 0.0 {
                    format!("{days:.0}")
                } else {
                    format!("{days}")
                },
            ),
            None => Default::default(),
        };
        vec![
            self.id.to_string(),
            self.medms.to_string(),
            self.year.to_string(),
            student_id.to_string(),
            self.event.to_string(),
            iso(self.day),
            self.at.clone(),
            self.weapon.to_string(),
            yn(self.injury).to_string(),
            role.to_string(),
            code,
            res_date,
            res_time,
            duration,
        ]
    }
}

/// Students of a school and year (indexes into the primaries), for
/// co-offenders, victims and witnesses.
type Classmates = BTreeMap<(u32, i32), Vec<usize>>;

/// Incidents: about 4% of student-years in grades 3-12 have one as offender.
fn behavior(
    out: &mut Records,
    primaries: &[&Packed],
    universe: &Universe,
    rates: &DefectRates,
    seed: u64,
) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xBE4A_0001);
    let mut classmates: Classmates = BTreeMap::new();
    for (i, e) in primaries.iter().enumerate() {
        classmates.entry((e.school, e.year)).or_default().push(i);
    }
    // (year, school MEDMS id, incident) -> rows, so the file is in that order.
    let mut incidents: Vec<((i32, u32, u32), Vec<Row>)> = Vec::new();
    let mut next_id = 7_000_000u32;
    for e in primaries {
        if e.grade < 3 || !rng.gen_bool(0.04) {
            continue;
        }
        let Some(day) = day_in(&mut rng, e) else {
            continue;
        };
        let event = *super::choose(
            &mut rng,
            &[
                ("51", 6),
                ("52", 5),
                ("53", 14),
                ("71", 12),
                ("72", 18),
                ("02", 4),
                ("22", 6),
                ("24", 5),
                ("73", 4),
                ("07", 1),
                ("77", 26),
            ],
        );
        let id = next_id;
        next_id += 1;
        let medms = universe.schools[e.school as usize].medms;
        let weapon = if event == "73" {
            *super::choose(
                &mut rng,
                &[("11", 2), ("12", 2), ("13", 1), ("20", 6), ("96", 3)],
            )
        } else {
            ""
        };
        let injury = event == "71" && rng.gen_bool(0.2);
        let at = time(&mut rng, 7 * 60 + 30, 15 * 60);
        let inc = Incident {
            id,
            medms,
            year: e.year,
            event,
            day,
            at,
            weapon,
            injury,
        };
        let rows = incident_rows(&mut rng, &inc, e, primaries, &classmates);
        incidents.push(((e.year, medms, id), rows));
    }
    plant_behavior(out, incidents, rates, seed);
}

/// The rows of an incident: its offender (and a co-offender, one time in
/// five), then a participant, a victim and a witness, each drawn or not.
fn incident_rows<'e>(
    mut rng: &mut ChaCha8Rng,
    inc: &Incident,
    e: &'e Packed,
    primaries: &[&'e Packed],
    classmates: &Classmates,
) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    let mut offenders = vec![e];
    if rng.gen_bool(0.2) {
        if let Some(list) = classmates.get(&(e.school, e.year)) {
            let other = primaries[list[rng.gen_range(0..list.len())]];
            if other.student != e.student {
                offenders.push(other);
            }
        }
    }
    for o in &offenders {
        let code = *super::choose(
            &mut rng,
            &[
                ("02", 40),
                ("05", 30),
                ("04", 12),
                ("01", 2),
                ("03", 5),
                ("06", 2),
                ("09", 1),
            ],
        );
        let days = *super::choose(
            &mut rng,
            &[
                (1.0, 30),
                (2.0, 15),
                (3.0, 20),
                (5.0, 10),
                (10.0, 4),
                (0.5, 10),
                (0.25, 6),
            ],
        );
        let days = if matches!(code, "01" | "09") {
            45.0
        } else {
            days
        };
        let resolved = weekday(inc.day + Duration::days(rng.gen_range(0..3)));
        let mut r = inc.row(
            &o.state_id().unwrap_or_default(),
            "O",
            Some((code, resolved, days)),
        );
        if rng.gen_bool(0.3) {
            r[12] = time(&mut rng, 8 * 60, 16 * 60);
        }
        rows.push((r, o.student, true));
    }
    // Roles (002 line 35): O offender, P participant, V victim, W witness.
    for (role, p) in [("P", 0.1), ("V", 0.5), ("W", 0.2)] {
        if !rng.gen_bool(p) {
            continue;
        }
        if let Some(list) = classmates.get(&(e.school, e.year)) {
            let other = primaries[list[rng.gen_range(0..list.len())]];
            if offenders.iter().all(|o| o.student != other.student) {
                rows.push((
                    inc.row(&other.state_id().unwrap_or_default(), role, None),
                    other.student,
                    false,
                ));
            }
        }
    }
    rows
}

/// Plants the file's defects, row by row in file order, and writes the rows.
fn plant_behavior(
    out: &mut Records,
    mut incidents: Vec<((i32, u32, u32), Vec<Row>)>,
    rates: &DefectRates,
    seed: u64,
) {
    const FILE: &str = "behavior.csv";
    incidents.sort_by_key(|(k, _)| *k);
    let mut defect_rng = ChaCha8Rng::seed_from_u64(seed ^ 0xBE4A_DEFE);
    let mut planted = 0;
    for (_, rows) in incidents {
        for (mut r, s, offender) in rows {
            let k = out.behavior.len();
            let before = out.defects.len();
            let roll: f64 = defect_rng.gen();
            // The file's four rules at their default rates reject 1.6% of
            // its rows, near the 2% that fails a run
            // (`ingest.max_reject_rate`): in a small bundle (about 140 rows
            // for 300 students) one in three crossed it by chance. At most
            // one defect in the file's first 100 rows and one more per 100
            // after keeps every file at or under 2%.
            let roll = if planted <= k / 100 { roll } else { 1.0 };
            let mut at = 0.0;
            let mut hit = |rate: f64| {
                at += rate;
                roll < at
            };
            if hit(rates.behavior_unknown_code) {
                let was = std::mem::replace(&mut r[4], "99".into());
                out.defects.push((
                    FILE,
                    k,
                    plant(
                        "unknown_code",
                        "unknown_code",
                        "EventCode",
                        format!("{was} -> 99"),
                    ),
                    s,
                ));
            } else if hit(rates.invalid_time) {
                r[6] = if defect_rng.gen_bool(0.5) {
                    "25:10".into()
                } else {
                    "3pm".into()
                };
                out.defects.push((
                    FILE,
                    k,
                    plant("invalid_time", "invalid_time", "EventTime", r[6].clone()),
                    s,
                ));
            } else if offender && hit(rates.resolution_date_required) {
                r[11] = String::new();
                out.defects.push((
                    FILE,
                    k,
                    plant(
                        "resolution_date_required",
                        "resolution_date_required",
                        "ResolutionDate",
                        String::new(),
                    ),
                    s,
                ));
            } else if offender && hit(rates.resolution_before_event) {
                let event = NaiveDate::parse_from_str(&r[5], "%Y-%m-%d").expect("an ISO date");
                r[11] = iso(event - Duration::days(defect_rng.gen_range(1..20)));
                out.defects.push((
                    FILE,
                    k,
                    plant(
                        "resolution_before_event",
                        "resolution_before_event",
                        "ResolutionDate",
                        String::new(),
                    ),
                    s,
                ));
            }
            planted += usize::from(out.defects.len() > before);
            out.behavior.add(&r);
        }
    }
}

/// Truancy: about 2% of student-years in grades 1-12, each a case of steps
/// in order, each step a new row.
/// One case's stages in the order the standards describe them (002 line
/// 35): identified (1A), then resolved informally (1B) or the parents
/// notified (1C); a waiver by the School Board (2A) or the Commissioner (2B,
/// 2C), or a referral to the District Attorney (2D), pending (3B) and then
/// denied (3A), prosecuted (3C) or pending in court (3D); resolved (4).
fn truancy_stages(rng: &mut ChaCha8Rng) -> Vec<&'static str> {
    let mut steps = vec!["1A"];
    if rng.gen_bool(0.3) {
        steps.push("1B");
        return steps;
    }
    steps.push("1C");
    let r: f64 = rng.gen();
    if r < 0.15 {
        steps.push("2A");
    } else if r < 0.3 {
        steps.push("2B");
        if rng.gen_bool(0.6) {
            steps.push("2C");
        }
    } else if r < 0.55 {
        steps.extend(["2D", "3B"]);
        steps.push(["3A", "3C", "3D"][rng.gen_range(0..3)]);
    }
    if rng.gen_bool(0.6) {
        steps.push("4");
    }
    steps
}

fn truancy(
    out: &mut Records,
    primaries: &[&Packed],
    universe: &Universe,
    rates: &DefectRates,
    seed: u64,
) {
    const FILE: &str = "truancy.csv";
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7A0A_0001);
    /// (year, school, StateStudentID), the dated steps, the true student.
    type Case = ((i32, u32, String), Vec<(String, NaiveDate)>, u32);
    let mut cases: Vec<Case> = Vec::new();
    for e in primaries {
        if e.grade < 1 || !rng.gen_bool(0.02) {
            continue;
        }
        let Some(start) = day_in(&mut rng, e) else {
            continue;
        };
        let steps = truancy_stages(&mut rng);
        let end = last_day(e);
        let mut day = start;
        let mut dated = Vec::new();
        for s in steps {
            if day > end {
                break;
            }
            dated.push((s.to_string(), day));
            day = weekday(day + Duration::days(rng.gen_range(3..21)));
        }
        let id = e.state_id().expect("primaries have an id");
        cases.push((
            (e.year, universe.schools[e.school as usize].medms, id),
            dated,
            e.student,
        ));
    }
    cases.sort_by(|a, b| a.0.cmp(&b.0));
    let mut defect_rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7A0A_DEFE);
    let mut next_id = 8_000_000u32;
    for ((year, medms, id), steps, s) in cases {
        for (step, day) in steps {
            let k = out.truancy.len();
            let mut r = vec![
                next_id.to_string(),
                id.clone(),
                medms.to_string(),
                year.to_string(),
                step,
                iso(day),
            ];
            next_id += 1;
            let roll: f64 = defect_rng.gen();
            if roll < rates.truancy_unknown_code {
                r[4] = "5X".into();
                out.defects.push((
                    FILE,
                    k,
                    plant("unknown_code", "unknown_code", "TruancyLevel", "5X".into()),
                    s,
                ));
            } else if roll < rates.truancy_unknown_code + rates.invalid_date {
                r[5] = format!("{}-13-45", day.year());
                out.defects.push((
                    FILE,
                    k,
                    plant("invalid_date", "invalid_date", "StatusDate", r[5].clone()),
                    s,
                ));
            }
            out.truancy.add(&r);
        }
    }
}

/// CTE programs: one per partial enrollment at a regional CTE center.
fn cte(
    out: &mut Records,
    enrollments: &[Packed],
    universe: &Universe,
    rates: &DefectRates,
    seed: u64,
) {
    const FILE: &str = "cte.csv";
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xC7E0_0001);
    // The primary enrollment a partial one hangs off: same student and year,
    // open on the partial one's entry.
    /// (true student, year) -> (entry, exit) of each primary enrollment.
    type Spans = BTreeMap<(u32, i32), Vec<(NaiveDate, Option<NaiveDate>)>>;
    let mut primary_exit: Spans = BTreeMap::new();
    for e in enrollments.iter().filter(|e| e.primary) {
        primary_exit
            .entry((e.student, e.year))
            .or_default()
            .push((e.entry, e.exit));
    }
    /// (year, school, StateStudentID), the row, the true student, the
    /// primary enrollment's exit.
    type Program = ((i32, u32, String), Vec<String>, u32, Option<NaiveDate>);
    let mut rows: Vec<Program> = Vec::new();
    for e in enrollments.iter().filter(|e| !e.primary) {
        let Some(id) = e.state_id() else {
            continue;
        };
        let school = &universe.schools[e.school as usize];
        // A center offers five programs, chosen by its id.
        let offered: Vec<&str> = (0..5)
            .map(|i| PROGRAMS[(school.medms as usize * 7 + i * 3) % PROGRAMS.len()])
            .collect();
        let program = offered[rng.gen_range(0..offered.len())];
        let status = match e.exit {
            None => "",
            Some(_) if e.grade == 12 && rng.gen_bool(0.8) => "03",
            // Death (07) is rare: about 1 in 1,000 exits that are not
            // completions.
            Some(_) => *super::choose(
                &mut rng,
                &[("05", 500), ("04", 300), ("06", 300), ("07", 1)],
            ),
        };
        let primary_end = primary_exit.get(&(e.student, e.year)).and_then(|v| {
            v.iter()
                .filter(|(entry, exit)| *entry <= e.entry && exit.is_none_or(|x| x >= e.entry))
                .map(|(_, exit)| *exit)
                .max()
                .flatten()
        });
        rows.push((
            (e.year, school.medms, id.clone()),
            vec![
                id,
                school.medms.to_string(),
                e.year.to_string(),
                program.to_string(),
                iso(e.entry),
                e.exit.map(iso).unwrap_or_default(),
                status.to_string(),
                yn(rng.gen_bool(0.85)).to_string(),
            ],
            e.student,
            primary_end,
        ));
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let mut defect_rng = ChaCha8Rng::seed_from_u64(seed ^ 0xC7E0_DEFE);
    for (_, mut r, s, primary_end) in rows {
        let k = out.cte.len();
        let roll: f64 = defect_rng.gen();
        let year: i32 = r[2].parse().expect("a year");
        let june_30 = date(year, 6, 30);
        if roll < rates.unmapped_cip {
            r[3] = "99.9999".into();
            out.defects.push((
                FILE,
                k,
                plant("unmapped_cip", "unmapped_code", "CIPCode", "99.9999".into()),
                s,
            ));
        } else if roll < rates.unmapped_cip + rates.cte_end_before_start {
            let start = NaiveDate::parse_from_str(&r[4], "%Y-%m-%d").expect("an ISO date");
            r[5] = iso(start - Duration::days(defect_rng.gen_range(1..30)));
            out.defects.push((
                FILE,
                k,
                plant(
                    "end_before_start",
                    "end_before_start",
                    "ProgramEndDate",
                    String::new(),
                ),
                s,
            ));
        } else if let Some(end) = primary_end.filter(|end| *end + Duration::days(5) < june_30) {
            if roll
                < rates.unmapped_cip
                    + rates.cte_end_before_start
                    + rates.concurrent_exits_after_primary
            {
                r[5] = iso(end + Duration::days(defect_rng.gen_range(1..5)));
                out.defects.push((
                    FILE,
                    k,
                    plant(
                        "concurrent_exits_after_primary",
                        "concurrent_exits_after_primary",
                        "ProgramEndDate",
                        format!("primary exit {}", iso(end)),
                    ),
                    s,
                ));
            }
        }
        out.cte.add(&r);
    }
}

/// Graduation tab: one row per StateStudentID enrolled in grade 9 or later.
fn graduation(out: &mut Records, primaries: &[&Packed], rates: &DefectRates, seed: u64) {
    const FILE: &str = "graduation.csv";
    // StateStudentID -> (first grade-9 entry and its year, the first year
    // seen in high school and the grade then, the true student).
    type Seen = (Option<(NaiveDate, i32)>, (i32, i32), u32);
    let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
    for e in primaries.iter().filter(|e| e.grade >= 9) {
        let id = e.state_id().expect("primaries have an id");
        let entry = seen
            .entry(id)
            .or_insert((None, (e.year, e.grade), e.student));
        if e.year < entry.1 .0 {
            entry.1 = (e.year, e.grade);
        }
        if e.grade == 9 && entry.0.is_none_or(|(d, _)| e.entry < d) {
            entry.0 = Some((e.entry, e.year));
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6EAD_DEFE);
    for (id, (ninth, (first_year, grade), s)) in seen {
        // The cohort ends four school years after the first in grade 9 (for
        // a student first seen above grade 9, counted from the grade then).
        let cohort = ninth.map_or(first_year + 12 - grade, |(_, y)| y + 3);
        let mut r = vec![
            id,
            ninth.map(|(d, _)| iso(d)).unwrap_or_default(),
            cohort.to_string(),
            cohort.to_string(),
        ];
        let k = out.graduation.len();
        if rng.gen_bool(rates.invalid_year.clamp(0.0, 1.0)) {
            r[2] = format!("20l{}", cohort % 10);
            out.defects.push((
                FILE,
                k,
                plant(
                    "invalid_year",
                    "invalid_year",
                    "NGACohortEndYear",
                    r[2].clone(),
                ),
                s,
            ));
        }
        out.graduation.add(&r);
    }
}
