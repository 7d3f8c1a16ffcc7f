//! The four SIF objects built from the conformed rows.

use super::{records, ref_id, Element};
use anyhow::Result;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Record = BTreeMap<String, String>;

/// The year objects are built for and the date they are summarised as of.
pub struct Scope {
    pub year: i32,
    pub as_of: String,
}

fn get<'a>(r: &'a Record, column: &str) -> &'a str {
    r.get(column).map(String::as_str).unwrap_or("")
}

/// The race flags of the conformed personal row and their SIF race codes.
const RACE_CODES: [(&str, &str); 5] = [
    ("AmericanIndianAlaskaNative", "1002"),
    ("Asian", "2028"),
    ("BlackAfricanAmerican", "2054"),
    ("NativeHawaiianPacificIslander", "2076"),
    ("White", "2106"),
];

/// SIF's grade code for the state's grade (`8` -> `08`); `None` for a
/// grade SIF has no code for (the state's code is still sent).
fn sif_grade(grade: &str) -> Option<String> {
    match grade {
        "PK" | "KG" => Some(grade.to_string()),
        g => g
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=12).contains(n))
            .map(|n| format!("{n:02}")),
    }
}

fn yes_no(flag: &str) -> &'static str {
    if flag == "true" {
        "Yes"
    } else {
        "No"
    }
}

/// Builds every object, by object name, in a fixed order.
pub fn build(
    root: &Path,
    scope: &Scope,
    enrollments: &[Record],
) -> Result<Vec<(&'static str, Vec<Element>)>> {
    let year = scope.year.to_string();
    // Primary enrollments of the scope year, most recent first per student:
    // latest entry date, then the later source row.
    let mut primary: Vec<&Record> = enrollments
        .iter()
        .filter(|e| get(e, "EnrollmentType") == "P" && get(e, "SchoolYear") == year)
        // An enrollment without a StateStudentID cannot be tied to its
        // student (the extract's enrollments carry no PersonID).
        .filter(|e| !get(e, "StateStudentID").is_empty())
        .collect();
    let row = |e: &Record| get(e, "source_row").parse::<i64>().unwrap_or(0);
    primary.sort_by(|a, b| {
        (get(a, "StateStudentID"), get(b, "EntryDate"), row(b)).cmp(&(
            get(b, "StateStudentID"),
            get(a, "EntryDate"),
            row(a),
        ))
    });
    let mut latest: BTreeMap<&str, &Record> = BTreeMap::new();
    for e in &primary {
        latest.entry(get(e, "StateStudentID")).or_insert(e);
    }
    let personal = records(root, "student_personal", Some(scope.year))?;
    let new_ids = records(root, "new_state_id", None)?;
    Ok(vec![
        (
            "StudentPersonal",
            student_personal(&latest, &personal, &new_ids),
        ),
        ("StudentSchoolEnrollment", enrollments_of(&primary, scope)),
        (
            "StudentSpecialEducationSummary",
            special_ed(&records(root, "special_ed", Some(scope.year))?, scope),
        ),
        (
            "DisciplineIncident",
            incidents(&records(root, "behavior", Some(scope.year))?, scope),
        ),
    ])
}

fn name(r: &Record, requesting: bool) -> Element {
    let middle = match get(r, "MiddleName") {
        "" => "NMN",
        m => m,
    };
    let mut n = Element::new("Name")
        .attr("Type", "04")
        .child(Element::leaf("LastName", get(r, "LastName")))
        .child(Element::leaf("FirstName", get(r, "FirstName")))
        .child(Element::leaf("MiddleName", middle));
    if requesting {
        n = n.leaf_if("Suffix", get(r, "Suffix"));
    }
    n
}

fn demographics(r: &Record) -> Element {
    let races: Vec<Element> = RACE_CODES
        .iter()
        .filter(|(flag, _)| get(r, flag) == "true")
        .map(|(_, code)| Element::new("Race").child(Element::leaf("Code", code)))
        .collect();
    let mut d = Element::new("Demographics");
    if !races.is_empty() {
        d = d.child(Element::new("RaceList").children(races));
    }
    // The New State ID upload carries no ethnicity: nothing is claimed.
    if r.contains_key("HispanicLatino") {
        d = d.child(Element::leaf(
            "HispanicLatino",
            yes_no(get(r, "HispanicLatino")),
        ));
    }
    d = d
        .leaf_if("Gender", get(r, "Gender"))
        .leaf_if("BirthDate", get(r, "BirthDate"));
    let language = get(r, "HomeLanguage");
    if !language.is_empty() {
        d = d.child(
            Element::new("LanguageList").child(
                Element::new("Language")
                    .child(Element::leaf("Code", language))
                    .child(Element::leaf("LanguageType", "1038")),
            ),
        );
    }
    d
}

/// One StudentPersonal per student enrolled in the scope year (from the
/// personal row of the SAU and year of their most recent enrollment), then
/// one per New State ID row, with `REQUEST` for the state ID.
fn student_personal(
    latest: &BTreeMap<&str, &Record>,
    personal: &[Record],
    new_ids: &[Record],
) -> Vec<Element> {
    let mut by_place: BTreeMap<(&str, &str, &str), &Record> = BTreeMap::new();
    for p in personal {
        by_place.insert(
            (
                get(p, "StateStudentID"),
                get(p, "upload_sau"),
                get(p, "upload_year"),
            ),
            p,
        );
    }
    let mut out = Vec::new();
    for (id, e) in latest {
        let place = (*id, get(e, "SAUID"), get(e, "SchoolYear"));
        let Some(p) = by_place.get(&place) else {
            continue;
        };
        out.push(
            Element::new("StudentPersonal")
                .attr("RefId", &ref_id("StudentPersonal", id))
                .leaf_if("LocalId", get(e, "SchoolStudentID"))
                .child(Element::leaf("StateProvinceId", id))
                .child(name(p, false))
                .child(demographics(p)),
        );
    }
    for n in new_ids {
        let key = format!("{}:{}", get(n, "source_file"), get(n, "source_row"));
        out.push(
            Element::new("StudentPersonal")
                .attr("RefId", &ref_id("StudentPersonal", &key))
                .leaf_if("LocalId", get(n, "SchoolStudentID"))
                .child(Element::leaf("StateProvinceId", "REQUEST"))
                .child(name(n, true))
                .child(demographics(n)),
        );
    }
    out
}

/// `Historical` (exited before the summary date), `Future` (entered after
/// it) or `Current`.
fn time_frame(e: &Record, as_of: &str) -> &'static str {
    let exit = get(e, "ExitDate");
    if !exit.is_empty() && exit < as_of {
        "Historical"
    } else if get(e, "EntryDate") > as_of {
        "Future"
    } else {
        "Current"
    }
}

/// One StudentSchoolEnrollment per primary enrollment of the scope year,
/// by student and entry date.
fn enrollments_of(primary: &[&Record], scope: &Scope) -> Vec<Element> {
    let mut sorted: Vec<&&Record> = primary.iter().collect();
    let row = |e: &Record| get(e, "source_row").parse::<i64>().unwrap_or(0);
    sorted.sort_by_key(|e| (get(e, "StateStudentID"), get(e, "EntryDate"), row(e)));
    sorted
        .into_iter()
        .map(|e| {
            let grade = get(e, "GradeLevel");
            let mut g = Element::new("GradeLevel");
            if let Some(code) = sif_grade(grade) {
                g = g.child(Element::leaf("Code", &code));
            }
            g = g.child(
                Element::new("OtherCodeList")
                    .child(Element::leaf("OtherCode", grade).attr("Codeset", "StateProvince")),
            );
            let key = format!("{}:{}", get(e, "source_file"), get(e, "source_row"));
            let mut el = Element::new("StudentSchoolEnrollment")
                .attr("RefId", &ref_id("StudentSchoolEnrollment", &key))
                .attr(
                    "StudentPersonalRefId",
                    &ref_id("StudentPersonal", get(e, "StateStudentID")),
                )
                .attr("SchoolInfoRefId", &ref_id("SchoolInfo", get(e, "SchoolID")))
                .attr("MembershipType", "Home")
                .attr("TimeFrame", time_frame(e, &scope.as_of))
                .attr("SchoolYear", get(e, "SchoolYear"))
                .child(Element::leaf("EntryDate", get(e, "EntryDate")))
                .child(g)
                .leaf_if("ExitDate", get(e, "ExitDate"));
            let exit = get(e, "ExitCode");
            if !exit.is_empty() {
                el = el.child(
                    Element::new("ExitType").child(
                        Element::new("OtherCodeList")
                            .child(Element::leaf("OtherCode", exit).attr("Codeset", "Text")),
                    ),
                );
            }
            el
        })
        .collect()
}

/// One summary per student with special education in the scope year: the
/// segment with the latest start on or before the summary date.
fn special_ed(rows: &[Record], scope: &Scope) -> Vec<Element> {
    let year = scope.year.to_string();
    let mut latest: BTreeMap<&str, &Record> = BTreeMap::new();
    for r in rows
        .iter()
        .filter(|r| get(r, "SchoolYear") == year && get(r, "StartDate") <= scope.as_of.as_str())
    {
        let id = get(r, "StateStudentID");
        match latest.get(id) {
            Some(old) if get(old, "StartDate") >= get(r, "StartDate") => {}
            _ => {
                latest.insert(id, r);
            }
        }
    }
    latest
        .iter()
        .map(|(id, r)| {
            let mut program = Element::new("ProgramType").child(Element::leaf("Code", "0270"));
            let setting = get(r, "Setting");
            if !setting.is_empty() {
                program =
                    program.child(Element::new("OtherCodeList").child(
                        Element::leaf("OtherCode", setting).attr("Codeset", "StateProvince"),
                    ));
            }
            Element::new("StudentSpecialEducationSummary")
                .attr(
                    "RefId",
                    &ref_id("StudentSpecialEducationSummary", &format!("{id}:{year}")),
                )
                .attr("StudentPersonalRefId", &ref_id("StudentPersonal", id))
                .attr("SummaryDate", &scope.as_of)
                .attr("SchoolYear", &year)
                .leaf_if("PrimaryDisabilityCode", get(r, "PrimaryDisability"))
                .child(
                    Element::new("StudentParticipationList")
                        .child(Element::new("StudentParticipationData").child(program)),
                )
        })
        .collect()
}

/// `10:15` -> `10:15:00`.
fn sif_time(t: &str) -> String {
    if t.len() == 5 {
        format!("{t}:00")
    } else {
        t.to_string()
    }
}

/// One DisciplineIncident per incident of the scope year, its offenders by
/// StateStudentID, each with their actions.
fn incidents(rows: &[Record], scope: &Scope) -> Vec<Element> {
    let year = scope.year.to_string();
    let mut by_incident: BTreeMap<&str, Vec<&Record>> = BTreeMap::new();
    for r in rows.iter().filter(|r| get(r, "SchoolYear") == year) {
        by_incident.entry(get(r, "IncidentID")).or_default().push(r);
    }
    by_incident
        .iter()
        .map(|(incident, offenders)| {
            let first = offenders[0];
            let events: BTreeSet<&str> = offenders.iter().map(|r| get(r, "EventCode")).collect();
            let weapons: BTreeSet<&str> = offenders
                .iter()
                .map(|r| get(r, "WeaponType"))
                .filter(|w| !w.is_empty())
                .collect();
            let mut el = Element::new("DisciplineIncident")
                .attr("RefId", &ref_id("DisciplineIncident", incident))
                .attr("SchoolYear", &year)
                .child(
                    Element::leaf(
                        "AgencyReporting",
                        &ref_id("SchoolInfo", get(first, "SchoolID")),
                    )
                    .attr("SIF_RefObject", "SchoolInfo"),
                )
                .child(Element::leaf("IncidentNumber", incident))
                .child(Element::leaf("IncidentDate", get(first, "IncidentDate")));
            let time = get(first, "IncidentTime");
            if !time.is_empty() {
                el = el.child(Element::leaf("IncidentTime", &sif_time(time)));
            }
            el = el.child(
                Element::new("RelatedToList").children(
                    events
                        .iter()
                        .map(|e| Element::leaf("RelatedTo", e))
                        .collect(),
                ),
            );
            if !weapons.is_empty() {
                el = el.child(
                    Element::new("WeaponTypeList").children(
                        weapons
                            .iter()
                            .map(|w| Element::leaf("WeaponType", w))
                            .collect(),
                    ),
                );
            }
            let mut sorted = offenders.clone();
            sorted.sort_by_key(|r| get(r, "StateStudentID"));
            el.child(
                Element::new("OffenderList").children(sorted.iter().map(|r| offender(r)).collect()),
            )
        })
        .collect()
}

fn offender(r: &Record) -> Element {
    let mut o = Element::new("Offender").child(
        Element::leaf(
            "SIF_RefId",
            &ref_id("StudentPersonal", get(r, "StateStudentID")),
        )
        .attr("SIF_RefObject", "StudentPersonal"),
    );
    let code = get(r, "ResolutionCode");
    if !code.is_empty() {
        o = o.child(
            Element::new("ActionList").child(
                Element::new("Action")
                    .child(Element::leaf("Code", code))
                    .leaf_if("StartDate", get(r, "ResolutionDate"))
                    .leaf_if("Duration", get(r, "Duration")),
            ),
        );
    }
    o.child(Element::new("RelatedToList").child(Element::leaf("RelatedTo", get(r, "EventCode"))))
}
