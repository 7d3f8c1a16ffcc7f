//! `cutover sif`: the conformed data of a finished run as SIF 2.x objects,
//! following the rules of the Infinite Campus SIF guide
//! (`../shared/seeds/004_fddbf9532b6528cf.txt`, Massachusetts' SIF 2.7):
//!
//! - `StudentPersonal`: one per student with a primary enrollment in the
//!   scope year, its values from the most recent enrollment (primary first,
//!   latest entry date, then the later source row); `StateProvinceId` is
//!   `REQUEST` for a student without a state ID (the New State ID rows);
//!   `MiddleName` is `NMN` when blank; `Suffix` only when requesting an ID;
//!   `Name/@Type` `04`; race as SIF race codes, several when several apply.
//! - `StudentSchoolEnrollment`: one per primary enrollment active in the
//!   scope year; `@MembershipType` `Home`; the grade as the SIF code with
//!   the state's code under `OtherCode Codeset="StateProvince"`; the exit
//!   code under `OtherCode Codeset="Text"`.
//! - `StudentSpecialEducationSummary`: one per student with special
//!   education in the scope year, from the segment with the latest start on
//!   or before the summary date; `ProgramType/Code` `0270`, the setting
//!   under `OtherCode Codeset="StateProvince"`.
//! - `DisciplineIncident`: one per incident, its offenders (the Behavior
//!   upload's rows) each with their actions; `AgencyReporting` the school.
//!
//! Enrollments without a StateStudentID are left out: the extract's
//! enrollments carry no PersonID, so they cannot be tied to their student.
//! `ExitType/Code` is not written: the guide's exit-type logic is not in
//! its text and no table maps the state's exit codes to SIF's; the state's
//! code goes in `ExitType/OtherCodeList/OtherCode` (`Codeset="Text"`).
//! Grades SIF has no code for (EK) carry only the state's code.
//!
//! RefIds are GUIDs derived from the IDs (32 upper-case hex digits, the
//! same for the same student, school or incident on every run). The files
//! hold names and birth dates: they are written 0600 in a 0700 folder.
//! Elements are checked against the guide's element lists
//! ([`GUIDE_ELEMENTS`]); no SIF schema is available offline.

use crate::output::{private_dir, recover_dir, replace_dir, write_bytes};
use crate::runfiles;
use anyhow::{bail, Context, Result};
use polars::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

mod objects;
mod xml;

pub use xml::Element;

/// The SIF 2.x namespace.
pub const NAMESPACE: &str = "http://www.sifinfo.org/infrastructure/2.x";

/// Every element (and attribute, `@`) path each object may carry, as the
/// guide lists them (paths below the object element).
pub const GUIDE_ELEMENTS: [(&str, &[&str]); 4] = [
    (
        "StudentPersonal",
        &[
            "@RefId",
            "LocalId",
            "StateProvinceId",
            "Name",
            "Name/@Type",
            "Name/LastName",
            "Name/FirstName",
            "Name/MiddleName",
            "Name/Suffix",
            "Demographics",
            "Demographics/RaceList",
            "Demographics/RaceList/Race",
            "Demographics/RaceList/Race/Code",
            "Demographics/HispanicLatino",
            "Demographics/Gender",
            "Demographics/BirthDate",
            "Demographics/LanguageList",
            "Demographics/LanguageList/Language",
            "Demographics/LanguageList/Language/Code",
            "Demographics/LanguageList/Language/LanguageType",
        ],
    ),
    (
        "StudentSchoolEnrollment",
        &[
            "@RefId",
            "@StudentPersonalRefId",
            "@SchoolInfoRefId",
            "@MembershipType",
            "@TimeFrame",
            "@SchoolYear",
            "EntryDate",
            "GradeLevel",
            "GradeLevel/Code",
            "GradeLevel/OtherCodeList",
            "GradeLevel/OtherCodeList/OtherCode",
            "GradeLevel/OtherCodeList/OtherCode/@Codeset",
            "ExitDate",
            "ExitType",
            "ExitType/Code",
            "ExitType/OtherCodeList",
            "ExitType/OtherCodeList/OtherCode",
            "ExitType/OtherCodeList/OtherCode/@Codeset",
        ],
    ),
    (
        "StudentSpecialEducationSummary",
        &[
            "@RefId",
            "@StudentPersonalRefId",
            "@SummaryDate",
            "@SchoolYear",
            "PrimaryDisabilityCode",
            "StudentParticipationList",
            "StudentParticipationList/StudentParticipationData",
            "StudentParticipationList/StudentParticipationData/ProgramType",
            "StudentParticipationList/StudentParticipationData/ProgramType/Code",
            "StudentParticipationList/StudentParticipationData/ProgramType/OtherCodeList",
            "StudentParticipationList/StudentParticipationData/ProgramType/OtherCodeList/OtherCode",
            "StudentParticipationList/StudentParticipationData/ProgramType/OtherCodeList/OtherCode/@Codeset",
        ],
    ),
    (
        "DisciplineIncident",
        &[
            "@RefId",
            "@SchoolYear",
            "AgencyReporting",
            "AgencyReporting/@SIF_RefObject",
            "IncidentNumber",
            "IncidentDate",
            "IncidentTime",
            "RelatedToList",
            "RelatedToList/RelatedTo",
            "WeaponTypeList",
            "WeaponTypeList/WeaponType",
            "OffenderList",
            "OffenderList/Offender",
            "OffenderList/Offender/SIF_RefId",
            "OffenderList/Offender/SIF_RefId/@SIF_RefObject",
            "OffenderList/Offender/ActionList",
            "OffenderList/Offender/ActionList/Action",
            "OffenderList/Offender/ActionList/Action/Code",
            "OffenderList/Offender/ActionList/Action/StartDate",
            "OffenderList/Offender/ActionList/Action/Duration",
            "OffenderList/Offender/RelatedToList",
            "OffenderList/Offender/RelatedToList/RelatedTo",
        ],
    ),
];

/// What `export` wrote.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Summary {
    pub school_year: i32,
    pub summary_date: String,
    /// Object name -> objects written.
    pub objects: BTreeMap<String, u64>,
}

/// A GUID for `kind` and `id`: the first 128 bits of SHA-256, upper-case
/// hex, as SIF 2.x writes RefIds.
pub fn ref_id(kind: &str, id: &str) -> String {
    let digest = Sha256::digest(format!("{kind}:{id}").as_bytes());
    digest[..16].iter().map(|b| format!("{b:02X}")).collect()
}

/// The rows of `conform/<upload>.parquet` of school year `year` (all rows
/// for `None`; the filter is pushed into the scan) as column -> text maps
/// (blank for null), in file order.
pub(crate) fn records(
    root: &Path,
    upload: &str,
    year: Option<i32>,
) -> Result<Vec<BTreeMap<String, String>>> {
    let predicate = match year {
        Some(y) => col(cutover_stages::conform::UPLOAD_YEAR)
            .cast(DataType::Int32)
            .eq(lit(y)),
        None => lit(true),
    };
    let df = runfiles::rows_where(root, &format!("conform/{upload}.parquet"), predicate)?;
    let columns = runfiles::text_columns(&df)?;
    Ok((0..df.height())
        .map(|i| {
            columns
                .iter()
                .map(|(c, v)| (c.clone(), v[i].clone().unwrap_or_default()))
                .collect()
        })
        .collect())
}

/// The date objects are summarised as of: pre-flight's `as_of`, from
/// `publish/summary.json`.
fn summary_date(root: &Path) -> Result<String> {
    let path = root.join("publish/summary.json");
    if !path.is_file() {
        bail!(
            "{}: the run has no publish stage output (run `cutover run` through publish first)",
            path.display()
        );
    }
    let v = crate::diff::read_json(&path)?;
    Ok(v["as_of"].as_str().unwrap_or("").to_string())
}

/// The latest school year with an enrollment.
fn latest_year(root: &Path) -> Result<i32> {
    let df = match runfiles::scan(root, "conform/student_enrollment.parquet")? {
        Some(lf) => lf
            .select([col(cutover_stages::conform::UPLOAD_YEAR)
                .cast(DataType::Int32)
                .max()])
            .collect()?,
        None => return Ok(0),
    };
    Ok(df
        .column(cutover_stages::conform::UPLOAD_YEAR)?
        .i32()?
        .get(0)
        .unwrap_or(0))
}

/// Writes `StudentPersonal.xml`, `StudentSchoolEnrollment.xml`,
/// `StudentSpecialEducationSummary.xml` and `DisciplineIncident.xml` into
/// `to` from the run under `root`, for `year` (default: the latest school
/// year with an enrollment).
pub fn export(root: &Path, to: &Path, year: Option<i32>) -> Result<Summary> {
    let as_of = summary_date(root)?;
    let year = match year {
        Some(y) => y,
        None => latest_year(root)?,
    };
    let enrollments = records(root, "student_enrollment", Some(year))?;
    let scope = objects::Scope {
        year,
        as_of: as_of.clone(),
    };
    let built = objects::build(root, &scope, &enrollments)?;
    let swap = Swap::of(to)?;
    let mut summary = Summary {
        school_year: year,
        summary_date: as_of,
        ..Default::default()
    };
    for (name, list) in built {
        write_object(&swap.partial, name, &list)?;
        summary.objects.insert(name.to_string(), list.len() as u64);
    }
    swap.finish()?;
    Ok(summary)
}

/// `name`'s objects, checked against the guide's list for them, written as
/// one XML file into `folder`.
fn write_object(folder: &Path, name: &str, list: &[Element]) -> Result<()> {
    for el in list {
        let extra = unlisted(el);
        if !extra.is_empty() {
            bail!(
                "{name}: elements the guide does not list: {}",
                extra.join(", ")
            );
        }
    }
    let mut doc = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let root_el = Element::new(&format!("{name}s"))
        .attr("xmlns", NAMESPACE)
        .children(list.to_vec());
    root_el.write(&mut doc, 0);
    write_bytes(&folder.join(format!("{name}.xml")), doc.as_bytes())
}

/// The names an export's folder may hold: its four files (and a temporary
/// file an earlier binary's killed export left, `.cutover-*.tmp`).
fn an_export_file(name: &str) -> bool {
    GUIDE_ELEMENTS
        .iter()
        .any(|(object, _)| name == format!("{object}.xml"))
        || (name.starts_with(".cutover-") && name.ends_with(".tmp"))
}

/// The export's folder `to` replaced whole, as publish replaces
/// `uploads/`: the four files are written into `.<to>.partial` beside it,
/// then the two folders swapped in one rename and the earlier one (now
/// the partial folder) removed. A reader (or a kill) sees the earlier
/// export whole or the new export whole: never two years' files mixed, as
/// four renames one after another could leave them, nor no folder (where
/// the filesystem cannot swap, `to` is moved to `.<to>.previous` first and
/// is missing until the new one is moved in: [`replace_dir`]).
struct Swap {
    to: std::path::PathBuf,
    partial: std::path::PathBuf,
    previous: std::path::PathBuf,
}

impl Swap {
    /// Puts right what a killed export left beside `to` (the earlier
    /// export moved back if it was moved aside, the partial folder
    /// removed), refuses a `to` holding anything but an export's files
    /// (a user's folder: replacing it whole would remove them), and makes
    /// the partial folder.
    fn of(to: &Path) -> Result<Self> {
        let to = match to.canonicalize() {
            Ok(real) => real,
            Err(_) => std::path::absolute(to)?,
        };
        let (Some(parent), Some(name)) = (to.parent(), to.file_name()) else {
            bail!("{}: not a folder an export can be written to", to.display());
        };
        let hidden = |what: &str| parent.join(format!(".{}.{what}", name.to_string_lossy()));
        let swap = Swap {
            partial: hidden("partial"),
            previous: hidden("previous"),
            to: to.clone(),
        };
        swap.recover()?;
        swap.refuse_other_files()?;
        if !parent.exists() {
            private_dir(parent)?;
        }
        private_dir(&swap.partial)?;
        Ok(swap)
    }

    fn recover(&self) -> Result<()> {
        recover_dir(&self.to)
    }

    fn refuse_other_files(&self) -> Result<()> {
        if !self.to.exists() {
            return Ok(());
        }
        let mut others = Vec::new();
        for entry in std::fs::read_dir(&self.to)
            .with_context(|| format!("cannot read {}", self.to.display()))?
        {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if !an_export_file(&name) {
                others.push(name);
            }
        }
        others.sort();
        if let Some(first) = others.first() {
            bail!(
                "{}: holds {} that no export writes ({first}{}): the export replaces its folder \
                 whole, so it is written only to a new folder or an earlier export's; give \
                 --to a folder of its own",
                self.to.display(),
                if others.len() == 1 { "a file" } else { "files" },
                if others.len() > 1 {
                    format!(" and {} more", others.len() - 1)
                } else {
                    String::new()
                }
            );
        }
        Ok(())
    }

    /// The new export moved into place, the earlier one removed: swapped
    /// in one rename where the filesystem can ([`replace_dir`]), so `to`
    /// is never missing.
    fn finish(self) -> Result<()> {
        replace_dir(&self.partial, &self.to, &self.previous)
    }
}

/// `cutover sif`: exports into `to` (default `<out>/sif`) and says what it
/// wrote.
pub fn command(out: &Path, to: Option<std::path::PathBuf>, year: Option<i32>) -> Result<String> {
    let to = to.unwrap_or_else(|| out.join("sif"));
    let summary = export(out, &to, year)?;
    let mut s = format!(
        "school year {}, as of {}: {}\n",
        summary.school_year,
        summary.summary_date,
        to.display()
    );
    for (object, n) in &summary.objects {
        s.push_str(&format!("{object}: {n}\n"));
    }
    Ok(s)
}

/// Every element path of `el` (below it) not in the guide's list for its
/// object.
pub fn unlisted(el: &Element) -> Vec<String> {
    let allowed = GUIDE_ELEMENTS
        .iter()
        .find(|(name, _)| *name == el.name)
        .map(|(_, list)| *list)
        .unwrap_or(&[]);
    el.paths()
        .into_iter()
        .filter(|p| !allowed.contains(&p.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_element_the_guide_does_not_list_is_named() {
        let ok = Element::new("StudentPersonal")
            .attr("RefId", "X")
            .child(Element::leaf("StateProvinceId", "REQUEST"));
        assert!(unlisted(&ok).is_empty());
        let bad = ok.child(Element::new("AddressList").child(Element::leaf("City", "Augusta")));
        assert_eq!(unlisted(&bad), ["AddressList", "AddressList/City"]);
    }

    #[test]
    fn ref_ids_are_32_upper_case_hex_digits_stable_per_id() {
        let a = ref_id("StudentPersonal", "100000001");
        assert_eq!(a.len(), 32);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c)));
        assert_eq!(a, ref_id("StudentPersonal", "100000001"));
        assert_ne!(a, ref_id("StudentPersonal", "100000002"));
    }
}
