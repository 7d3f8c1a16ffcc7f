//! The statewide organizations of the synthetic state: about 600 schools in
//! 260 SAUs plus regional CTE centers, with schools opening, closing and
//! merging over the years. The universe is the same for every seed and every
//! bundle size (a scaled-down bundle uses its first SAUs), so one shipped
//! organization crosswalk covers every generated bundle.

use super::names::TOWNS;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeSet;

/// Fixed seed of the organization universe (independent of `--seed`).
const UNIVERSE_SEED: u64 = 0x004D_4149_4E45_2017;
/// SAUs at full scale (Maine had about 260 in 2016-17).
pub const FULL_SAUS: usize = 260;
/// Regional CTE centers at full scale.
const FULL_CTE: usize = 27;

/// Grades: -1 is PK, 0 is KG, 1..=12.
pub type Grade = i32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// PK-5, or PK-8 in an SAU without a middle school.
    Elementary,
    Middle,
    High,
    /// A regional CTE center: partial enrollments of grades 11-12 only.
    Cte,
}

#[derive(Clone, Debug)]
pub struct Sau {
    pub medms: u32,
    pub name: String,
    pub town_code: String,
    /// Relative enrollment.
    pub weight: f64,
    pub has_middle: bool,
    pub has_high: bool,
    /// First day of school offset (days after 26 August), per SAU.
    pub calendar_offset: i64,
}

#[derive(Clone, Debug)]
pub struct School {
    pub medms: u32,
    pub name: String,
    pub sau: usize,
    pub level: Level,
    /// First school year open (`None`: open before any bundle year).
    pub opened: Option<i32>,
    /// Last school year open (`None`: still open).
    pub closed: Option<i32>,
    /// Where its students went when it closed (a merge).
    pub successor: Option<usize>,
}

impl School {
    pub fn open_in(&self, year: i32) -> bool {
        self.opened.is_none_or(|o| o <= year) && self.closed.is_none_or(|c| year <= c)
    }
}

pub struct Universe {
    pub saus: Vec<Sau>,
    pub schools: Vec<School>,
    /// NEO Organization ID of each SAU (index as `saus`).
    pub sau_neo: Vec<u32>,
    /// NEO Organization ID of each school (index as `schools`): the ID the
    /// Department issued, also for closed schools' history.
    pub school_neo: Vec<u32>,
    /// Schools renumbered when their grade configuration changed: from that
    /// school year on, the new NEO ID.
    pub renumbered: Vec<Option<(i32, u32)>>,
}

/// One row of the organization crosswalk (`crosswalks/organizations.csv`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgRow {
    pub scheme: &'static str,
    pub legacy_id: u32,
    pub kind: &'static str,
    pub first_year: Option<i32>,
    pub last_year: Option<i32>,
    pub neo_org_id: u32,
    pub neo_parent_org_id: Option<u32>,
    pub neo_name: String,
    pub change: &'static str,
    pub note: String,
}

impl Universe {
    /// The fixed statewide universe.
    pub fn statewide() -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(UNIVERSE_SEED);
        let mut sau_ids: Vec<u32> = (1000..2000).collect();
        sau_ids.shuffle(&mut rng);
        let mut school_ids: Vec<u32> = (1..4000).collect();
        school_ids.shuffle(&mut rng);
        let mut school_ids = school_ids.into_iter();
        let mut towns: Vec<&'static str> = TOWNS.to_vec();
        towns.shuffle(&mut rng);

        let mut saus = Vec::with_capacity(FULL_SAUS);
        let mut schools: Vec<School> = Vec::new();
        // The numbers of the next RSU, MSAD and AOS names.
        let mut names = (1, 1, 90);
        for (i, &sau_id) in sau_ids.iter().enumerate().take(FULL_SAUS) {
            let sau = new_sau(&mut rng, i, sau_id, &towns, &mut names);
            add_schools(&mut schools, &mut school_ids, &sau, i, &towns);
            saus.push(sau);
        }
        cte_closures_openings(&mut rng, &mut schools, &mut school_ids, &towns);
        let (sau_neo, school_neo, renumbered) = neo_ids(&mut rng, &saus, &schools);
        Universe {
            saus,
            schools,
            sau_neo,
            school_neo,
            renumbered,
        }
    }

    /// The organization crosswalk for every organization of the universe:
    /// MEDMS ids by school year to NEO Org IDs, and the NEO scheme's own ids.
    pub fn organization_rows(&self) -> Vec<OrgRow> {
        let mut rows = Vec::new();
        for (i, sau) in self.saus.iter().enumerate() {
            for scheme in ["medms", "neo"] {
                rows.push(OrgRow {
                    scheme,
                    legacy_id: if scheme == "medms" {
                        sau.medms
                    } else {
                        self.sau_neo[i]
                    },
                    kind: "sau",
                    first_year: None,
                    last_year: None,
                    neo_org_id: self.sau_neo[i],
                    neo_parent_org_id: None,
                    neo_name: sau.name.clone(),
                    change: "",
                    note: String::new(),
                });
            }
        }
        for k in 0..self.schools.len() {
            self.school_org_rows(k, &mut rows);
        }
        rows.sort_by_key(|r| (r.scheme, r.legacy_id, r.first_year));
        rows
    }

    /// The crosswalk rows of the `k`th school: closed and merged,
    /// renumbered, or one row per scheme.
    fn school_org_rows(&self, k: usize, rows: &mut Vec<OrgRow>) {
        let school = &self.schools[k];
        let neo = self.school_neo[k];
        let parent = Some(self.sau_neo[school.sau]);
        let row =
            |scheme, legacy_id, first_year, last_year, neo_org_id, change, note: String| OrgRow {
                scheme,
                legacy_id,
                kind: "school",
                first_year,
                last_year,
                neo_org_id,
                neo_parent_org_id: parent,
                neo_name: school.name.clone(),
                change,
                note,
            };
        let split = if school.opened.is_some() { "split" } else { "" };
        let split_note = match school.opened {
            Some(y) => format!("opened in {y}, taking part of its SAU's elementary enrollment"),
            None => String::new(),
        };
        match (school.closed, school.successor, self.renumbered[k]) {
            (Some(closed), Some(successor), _) => {
                let target = self.school_neo[successor];
                rows.push(row(
                    "medms",
                    school.medms,
                    school.opened,
                    Some(closed),
                    neo,
                    "closure",
                    format!("closed after {closed}: historical Org ID"),
                ));
                rows.push(row(
                    "medms",
                    school.medms,
                    Some(closed + 1),
                    None,
                    target,
                    "merge",
                    format!("merged into {}", self.schools[successor].name),
                ));
                rows.push(row(
                    "neo",
                    neo,
                    school.opened,
                    Some(closed),
                    neo,
                    "closure",
                    "historical Org ID".into(),
                ));
            }
            (_, _, Some((from, new_id))) => {
                rows.push(row(
                    "medms",
                    school.medms,
                    school.opened,
                    Some(from - 1),
                    neo,
                    "renumbered",
                    format!("grade configuration changed in {from}"),
                ));
                rows.push(row(
                    "medms",
                    school.medms,
                    Some(from),
                    None,
                    new_id,
                    "renumbered",
                    format!("new Org ID from {from}"),
                ));
                rows.push(row(
                    "neo",
                    neo,
                    school.opened,
                    Some(from - 1),
                    neo,
                    "renumbered",
                    String::new(),
                ));
                rows.push(row(
                    "neo",
                    new_id,
                    Some(from),
                    None,
                    new_id,
                    "renumbered",
                    String::new(),
                ));
            }
            _ => {
                rows.push(row(
                    "medms",
                    school.medms,
                    school.opened,
                    school.closed,
                    neo,
                    split,
                    split_note.clone(),
                ));
                rows.push(row(
                    "neo",
                    neo,
                    school.opened,
                    school.closed,
                    neo,
                    split,
                    split_note,
                ));
            }
        }
    }

    /// How many SAUs a bundle of `students` uses (all of them at 180,000).
    pub fn saus_for(students: usize) -> usize {
        ((students as f64 * FULL_SAUS as f64 / 180_000.0).round() as usize).clamp(5, FULL_SAUS)
    }

    /// The level of school a grade attends in an SAU.
    pub fn level_for(&self, sau: usize, grade: Grade) -> Level {
        let s = &self.saus[sau];
        match grade {
            g if g <= 5 => Level::Elementary,
            g if g <= 8 => {
                if s.has_middle {
                    Level::Middle
                } else {
                    Level::Elementary
                }
            }
            _ => Level::High,
        }
    }

    /// The SAU whose schools a student of `sau` attends at `level`: its own,
    /// or for a high school, the nearest SAU with one (tuition students).
    pub fn attending_sau(&self, sau: usize, level: Level, used: usize) -> usize {
        if level != Level::High || self.saus[sau].has_high {
            return sau;
        }
        (1..used)
            .flat_map(|d| [sau.checked_sub(d), Some(sau + d)])
            .flatten()
            .find(|&s| s < used && self.saus[s].has_high)
            .unwrap_or(0)
    }

    /// Schools of an SAU open in a year at a level, in universe order.
    pub fn schools_at(&self, sau: usize, level: Level, year: i32) -> Vec<usize> {
        (0..self.schools.len())
            .filter(|&k| {
                let s = &self.schools[k];
                s.sau == sau && s.level == level && s.open_in(year)
            })
            .collect()
    }

    /// The CTE center serving an SAU.
    pub fn cte_for(&self, sau: usize, used: usize) -> Option<usize> {
        let centers: Vec<usize> = (0..self.schools.len())
            .filter(|&k| self.schools[k].level == Level::Cte && self.schools[k].sau < used)
            .collect();
        if centers.is_empty() {
            return None;
        }
        centers
            .iter()
            .copied()
            .min_by_key(|&k| (self.schools[k].sau as i64 - sau as i64).abs())
    }

    /// Schools (by index) a bundle using the first `used` SAUs refers to.
    pub fn schools_used(&self, used: usize) -> BTreeSet<usize> {
        (0..self.schools.len())
            .filter(|&k| self.schools[k].sau < used)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_universe_is_maine_sized_and_fixed() {
        let u = Universe::statewide();
        assert_eq!(u.saus.len(), FULL_SAUS);
        let n = u.schools.len();
        assert!((560..=660).contains(&n), "{n} schools");
        let ids: BTreeSet<u32> = u.schools.iter().map(|s| s.medms).collect();
        assert_eq!(ids.len(), n, "school ids are unique");
        assert!(
            u.schools.iter().any(|s| s.successor.is_some()),
            "some schools merge"
        );
        assert!(
            u.schools.iter().any(|s| s.opened.is_some()),
            "some schools open"
        );
        let again = Universe::statewide();
        assert_eq!(again.schools[17].medms, u.schools[17].medms);
        assert_eq!(again.saus[3].name, u.saus[3].name);
    }

    #[test]
    fn some_neo_ids_are_other_schools_medms_ids() {
        let u = Universe::statewide();
        let collisions = (0..u.schools.len())
            .filter(|&k| {
                u.schools
                    .iter()
                    .enumerate()
                    .any(|(j, s)| j != k && s.medms == u.school_neo[k])
            })
            .count();
        assert!(collisions >= 12, "{collisions}");
        let rows = u.organization_rows();
        assert!(rows.iter().any(|r| r.change == "merge"));
        assert!(rows.iter().any(|r| r.change == "renumbered"));
        assert!(rows.iter().any(|r| r.change == "split"));
    }

    #[test]
    fn every_grade_has_a_school_every_year() {
        let u = Universe::statewide();
        for sau in 0..FULL_SAUS {
            for grade in -1..=12 {
                let level = u.level_for(sau, grade);
                let attending = u.attending_sau(sau, level, FULL_SAUS);
                for year in 2005..=2017 {
                    assert!(
                        !u.schools_at(attending, level, year).is_empty(),
                        "sau {sau} grade {grade} year {year}"
                    );
                }
            }
        }
    }
}

/// `crosswalks/organizations.csv` as the universe defines it.
pub fn organizations_csv(universe: &Universe) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(crate::crosswalks::ORG_COLUMNS)
        .expect("in-memory write");
    let year = |y: Option<i32>| y.map(|y| y.to_string()).unwrap_or_default();
    for r in universe.organization_rows() {
        w.write_record([
            r.scheme.to_string(),
            r.legacy_id.to_string(),
            r.kind.to_string(),
            year(r.first_year),
            year(r.last_year),
            r.neo_org_id.to_string(),
            r.neo_parent_org_id
                .map(|p| p.to_string())
                .unwrap_or_default(),
            r.neo_name,
            r.change.to_string(),
            r.note,
        ])
        .expect("in-memory write");
    }
    String::from_utf8(w.into_inner().expect("in-memory write")).expect("UTF-8")
}

#[cfg(test)]
mod shipped {
    use super::*;

    /// The shipped organization crosswalk is the generator's universe;
    /// `UPDATE_GOLDEN=1` rewrites it (then run `cutover crosswalk manifest`).
    #[test]
    fn the_shipped_organization_table_matches_the_generator() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../crosswalks/organizations.csv");
        let expected = organizations_csv(&Universe::statewide());
        if std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1") {
            std::fs::write(&path, &expected).unwrap();
        }
        let shipped = std::fs::read_to_string(&path).unwrap();
        assert!(
            shipped == expected,
            "crosswalks/organizations.csv differs from the generator's universe"
        );
    }
}

/// A town's name: the shuffled towns, in turn.
fn town(towns: &[&'static str], i: usize) -> &'static str {
    towns[i % towns.len()]
}

/// The `i`th SAU: its size (log-normal: a few city districts, many small
/// rural ones), name, schools and calendar.
fn new_sau(
    rng: &mut ChaCha8Rng,
    i: usize,
    sau_id: u32,
    towns: &[&'static str],
    names: &mut (u32, u32, u32),
) -> Sau {
    let t = town(towns, i);
    let z: f64 = (0..6).map(|_| rng.gen::<f64>()).sum::<f64>() - 3.0;
    let weight = if i == 0 { 12.0 } else { (z * 0.9).exp() };
    let name = if weight > 2.5 {
        format!("{t} Public Schools")
    } else {
        match rng.gen_range(0..4) {
            0 => {
                names.0 += 1;
                format!("RSU {}", names.0)
            }
            1 => {
                names.1 += 1;
                format!("MSAD {}", names.1)
            }
            2 => {
                names.2 += 1;
                format!("AOS {}", names.2)
            }
            _ => format!("{t} School Department"),
        }
    };
    let has_high = i == 0 || weight > 1.5 || rng.gen_bool(0.15);
    let has_middle = weight > 1.0 || rng.gen_bool(0.2);
    let sau = Sau {
        medms: sau_id,
        name,
        town_code: format!("{:03}", i + 1),
        weight,
        has_middle,
        has_high,
        calendar_offset: rng.gen_range(0..8),
    };
    sau
}

/// The elementary, middle and high schools of the `i`th SAU.
fn add_schools(
    schools: &mut Vec<School>,
    school_ids: &mut impl Iterator<Item = u32>,
    sau: &Sau,
    i: usize,
    towns: &[&'static str],
) {
    let (t, weight, has_middle, has_high) =
        (town(towns, i), sau.weight, sau.has_middle, sau.has_high);
    let elementary =
        1 + usize::from(weight > 2.0) + usize::from(weight > 4.0) + usize::from(weight > 7.0);
    for e in 0..elementary {
        let place = if e == 0 {
            t
        } else {
            town(towns, i + FULL_SAUS * e)
        };
        let kind = if has_middle {
            "Elementary School"
        } else {
            "School"
        };
        schools.push(School {
            medms: school_ids.next().expect("enough school ids"),
            name: format!("{place} {kind}"),
            sau: i,
            level: Level::Elementary,
            opened: None,
            closed: None,
            successor: None,
        });
    }
    if has_middle {
        schools.push(School {
            medms: school_ids.next().expect("enough school ids"),
            name: format!("{t} Middle School"),
            sau: i,
            level: Level::Middle,
            opened: None,
            closed: None,
            successor: None,
        });
    }
    if has_high {
        schools.push(School {
            medms: school_ids.next().expect("enough school ids"),
            name: format!("{t} High School"),
            sau: i,
            level: Level::High,
            opened: None,
            closed: None,
            successor: None,
        });
    }
}

/// Regional CTE centers; closures with a merge, and new schools, in SAUs
/// with several elementary schools.
fn cte_closures_openings(
    rng: &mut ChaCha8Rng,
    schools: &mut Vec<School>,
    school_ids: &mut impl Iterator<Item = u32>,
    towns: &[&'static str],
) {
    // Regional CTE centers, hosted by SAUs spread over the state.
    for c in 0..FULL_CTE {
        let host = c * FULL_SAUS / FULL_CTE;
        schools.push(School {
            medms: school_ids.next().expect("enough school ids"),
            name: format!("{} Regional Technical Center", town(towns, host)),
            sau: host,
            level: Level::Cte,
            opened: None,
            closed: None,
            successor: None,
        });
    }
    // Closures with a merge, and new schools, in SAUs with several
    // elementary schools.
    for s in 0..FULL_SAUS {
        let elems: Vec<usize> = (0..schools.len())
            .filter(|&k| schools[k].sau == s && schools[k].level == Level::Elementary)
            .collect();
        if elems.len() >= 2 && rng.gen_bool(0.35) {
            let closing = elems[elems.len() - 1];
            schools[closing].closed = Some(rng.gen_range(2006..=2016));
            schools[closing].successor = Some(elems[0]);
        }
        if elems.len() >= 2 && rng.gen_bool(0.25) {
            let opened = rng.gen_range(2007..=2016);
            let place = town(towns, s + 3 * FULL_SAUS);
            schools.push(School {
                medms: school_ids.next().expect("enough school ids"),
                name: format!("{place} Community School"),
                sau: s,
                level: Level::Elementary,
                opened: Some(opened),
                closed: None,
                successor: None,
            });
        }
    }
}

/// NEO Organization IDs of the SAUs and schools, and the schools renumbered
/// in a year (a new Org ID from then).
#[allow(clippy::type_complexity)]
fn neo_ids(
    rng: &mut ChaCha8Rng,
    saus: &[Sau],
    schools: &[School],
) -> (Vec<u32>, Vec<u32>, Vec<Option<(i32, u32)>>) {
    // NEO Organization IDs: both schemes number from 1 to 9999, so some
    // NEO IDs are MEDMS IDs of other schools (the first twelve on purpose).
    let medms: BTreeSet<u32> = schools.iter().map(|s| s.medms).collect();
    let mut colliding: Vec<u32> = schools.iter().skip(5).take(12).map(|s| s.medms).collect();
    let mut pool: Vec<u32> = (1..10_000).filter(|n| !colliding.contains(n)).collect();
    pool.shuffle(rng);
    colliding.extend(pool);
    let mut ids = colliding.into_iter();
    let school_neo: Vec<u32> = schools
        .iter()
        .map(|_| ids.next().expect("enough NEO ids"))
        .collect();
    let sau_neo: Vec<u32> = saus
        .iter()
        .map(|_| ids.next().expect("enough NEO ids"))
        .collect();
    let renumbered: Vec<Option<(i32, u32)>> = schools
        .iter()
        .map(|s| {
            if s.level == Level::Middle && s.closed.is_none() && rng.gen_bool(0.12) {
                Some((
                    rng.gen_range(2009..=2016),
                    ids.next().expect("enough NEO ids"),
                ))
            } else {
                None
            }
        })
        .collect();
    debug_assert!(school_neo.iter().take(12).all(|n| medms.contains(n)));
    (sau_neo, school_neo, renumbered)
}
