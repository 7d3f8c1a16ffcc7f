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
        let mut towns: Vec<&str> = TOWNS.to_vec();
        towns.shuffle(&mut rng);
        let town = |i: usize| towns[i % towns.len()];

        let mut saus = Vec::with_capacity(FULL_SAUS);
        let mut schools: Vec<School> = Vec::new();
        let (mut rsu, mut msad, mut aos) = (1, 1, 90);
        for (i, &sau_id) in sau_ids.iter().enumerate().take(FULL_SAUS) {
            // Log-normal sizes: a few city districts, many small rural ones.
            let z: f64 = (0..6).map(|_| rng.gen::<f64>()).sum::<f64>() - 3.0;
            let weight = if i == 0 { 12.0 } else { (z * 0.9).exp() };
            let t = town(i);
            let name = if weight > 2.5 {
                format!("{t} Public Schools")
            } else {
                match rng.gen_range(0..4) {
                    0 => {
                        rsu += 1;
                        format!("RSU {rsu}")
                    }
                    1 => {
                        msad += 1;
                        format!("MSAD {msad}")
                    }
                    2 => {
                        aos += 1;
                        format!("AOS {aos}")
                    }
                    _ => format!("{t} School Department"),
                }
            };
            let has_high = i == 0 || weight > 1.5 || rng.gen_bool(0.15);
            let has_middle = weight > 1.0 || rng.gen_bool(0.2);
            let elementary = 1
                + usize::from(weight > 2.0)
                + usize::from(weight > 4.0)
                + usize::from(weight > 7.0);
            saus.push(Sau {
                medms: sau_id,
                name,
                town_code: format!("{:03}", i + 1),
                weight,
                has_middle,
                has_high,
                calendar_offset: rng.gen_range(0..8),
            });
            for e in 0..elementary {
                let place = if e == 0 { t } else { town(i + FULL_SAUS * e) };
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
        // Regional CTE centers, hosted by SAUs spread over the state.
        for c in 0..FULL_CTE {
            let host = c * FULL_SAUS / FULL_CTE;
            schools.push(School {
                medms: school_ids.next().expect("enough school ids"),
                name: format!("{} Regional Technical Center", town(host)),
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
                let place = town(s + 3 * FULL_SAUS);
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
        Universe { saus, schools }
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
