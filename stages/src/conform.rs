//! # Conform: Synergy-shaped tables, one per upload
//!
//! **Input**: the identity stage's frames: `students` (one row per resolved
//! student, current identity, bridged race flags), and the re-keyed,
//! crosswalked `student_enrollment`, `behavior`, `truancy` and `cte` rows.
//!
//! **Output**: one frame per upload of [`UPLOADS`], whose columns are the
//! upload's fields by their Synergy names (dates as dates, flags as
//! booleans, everything else text), plus `source_entity`, `source_file`,
//! `source_row` and the school year and SAU the upload file is chosen by.
//! The layout files say which of these columns an upload file carries, in
//! what order and under what header.
//!
//! **Rules**: an enrollment changed by a row with `Action` S (same student,
//! school, year and entry date) is split at its `EffectiveDate`: the earlier
//! row exits the day before with the configured exit code, the `Action` S row
//! enters on it with the configured entry code; Student Personal is one row per
//! student, school year and SAU enrolled in (`one_row_per_sau_and_year`,
//! rows added; students never enrolled are excluded as `no_enrollment`);
//! FRM and ELL come from primary enrollments with an economic status or an
//! English-learner status; Special Ed is one segment per enrollment period
//! of special-education service, segments with the same start, disability
//! and setting merged (`same_service_period`); Behavior keeps offender rows
//! of reportable events (a bullying event or a removal resolution); every
//! row left out is counted under the rule that leaves it out.

use crate::columns::*;
use crate::crosswalk::{RESIDENT_SAU_ORG_ID, SAU_ORG_ID, SCHOOL_ORG_ID};
use crate::identity::{NEEDS_NEW_STATE_ID, STUDENT_KEY};
use crate::report::StageReport;
use polars::prelude::*;

mod personal;
pub use personal::{PersonalStudents, Places};

pub const STAGE: &str = "conform";

/// Which source a row came from (`student_enrollment`, `behavior` ...).
pub const SOURCE_ENTITY: &str = "source_entity";
/// The school year (`YearCode`) an upload row belongs to.
pub const UPLOAD_YEAR: &str = "upload_year";
/// The SAU Org ID whose upload file a row goes to.
pub const UPLOAD_SAU: &str = "upload_sau";
/// The row's position in its conformed frame.
pub const UPLOAD_ROW: &str = "upload_row";

/// One upload: its name (file stem), its title and its fields, in Synergy's
/// order, with their types, and the columns of the source frames it is
/// built from.
pub struct Upload {
    pub name: &'static str,
    pub title: &'static str,
    pub fields: &'static [(&'static str, FieldType)],
    /// Why the upload has no rows from the extract, when it never has.
    pub note: Option<&'static str>,
    /// Every column it reads, by source frame (a frame may be named more
    /// than once). [`build`] hands it only these columns, so reading
    /// another fails; publish fingerprints only these.
    pub reads: &'static [Reads],
}

/// A frame conform reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// The identity stage's students.
    Students,
    /// The re-keyed enrollment rows.
    Enrollment,
    /// The re-keyed enrollment rows split at each change of status
    /// ([`split`]): they read [`SPLIT_READS`] of the enrollment rows too,
    /// and the configured split codes.
    Segments,
    Behavior,
    Truancy,
    Cte,
}

impl Source {
    /// The snapshot (entity) the frame is made from.
    pub fn entity(self) -> &'static str {
        match self {
            Source::Students => "students",
            Source::Enrollment | Source::Segments => crate::schema::STUDENT_ENROLLMENT.name,
            Source::Behavior => crate::schema::BEHAVIOR.name,
            Source::Truancy => crate::schema::TRUANCY.name,
            Source::Cte => crate::schema::CTE.name,
        }
    }
}

/// Columns an upload reads of one source frame.
pub struct Reads(pub Source, pub &'static [&'static str]);

/// What [`split`] reads of the enrollment rows.
pub const SPLIT_READS: [&str; 10] = [
    SOURCE_ROW,
    ACTION,
    EFFECTIVE_DATE,
    SCHOOL_ENTRY_DATE,
    EXIT_DATE,
    STATE_STUDENT_ID,
    SCHOOL_ID,
    YEAR_CODE,
    "EntryCode",
    "ExitCode",
];

/// Whether [`split`] cut a segment short at a change of status (a column
/// of the split rows).
pub const SPLIT_CUT: &str = "__cut";

/// The provenance and placement columns of a per-school upload's source
/// rows ([`school_fields`] and [`shape`]).
const PLACED: &[&str] = &[
    SOURCE_FILE,
    SOURCE_ROW,
    SAU_ORG_ID,
    SCHOOL_ORG_ID,
    STATE_STUDENT_ID,
    YEAR_CODE,
];

/// The person's fields of the students ([`person_fields`]).
const PERSON: &[&str] = &[
    SOURCE_FILE,
    SOURCE_ROW,
    LAST_NAME,
    FIRST_NAME,
    MIDDLE_NAME,
    SUFFIX,
    GENDER,
    BIRTH_DATE,
];

/// The type of a conformed field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    Text,
    Date,
    Flag,
    /// A NEO Org ID (set by the organization crosswalk).
    OrgId,
}

use FieldType::{Date as D, Flag as F, OrgId as O, Text as T};

pub const NEW_STATE_ID: Upload = Upload {
    name: "new_state_id",
    title: "New State ID",
    fields: &[
        ("SAUID", O),
        ("SchoolStudentID", T),
        ("LastName", T),
        ("FirstName", T),
        ("MiddleName", T),
        ("Suffix", T),
        ("Gender", T),
        ("BirthDate", D),
        ("SchoolID", O),
        ("GradeLevel", T),
    ],
    note: None,
    reads: &[
        Reads(Source::Students, PERSON),
        Reads(
            Source::Students,
            &[NEEDS_NEW_STATE_ID, STUDENT_KEY, LOCAL_STUDENT_NUMBER],
        ),
        // The enrollment a student awaiting an ID is tied to by local number.
        Reads(
            Source::Enrollment,
            &[
                STATE_STUDENT_ID,
                SAU_ORG_ID,
                SCHOOL_ORG_ID,
                SCHOOL_STUDENT_ID,
                "GradeLevel",
                YEAR_CODE,
                ENROLLMENT_TYPE_CODE,
                SCHOOL_ENTRY_DATE,
                SOURCE_ROW,
            ],
        ),
    ],
};

pub const STUDENT_ENROLLMENT_UPLOAD: Upload = Upload {
    name: "student_enrollment",
    title: "Student Enrollment",
    fields: &[
        ("SAUID", O),
        ("SchoolID", O),
        ("StateStudentID", T),
        ("SchoolStudentID", T),
        ("SchoolYear", T),
        ("GradeLevel", T),
        ("EnrollmentType", T),
        ("EntryDate", D),
        ("EntryCode", T),
        ("ExitDate", D),
        ("ExitCode", T),
        ("ResidentSAUID", O),
        ("FiscalResponsibility", T),
        ("HomelessNightTimeResidence", T),
        ("Section504", F),
        ("Migrant", F),
        ("Refugee", F),
        ("StateAgencyClient", F),
        ("GiftedTalentedAcademic", F),
        ("GiftedTalentedArtistic", F),
        ("AlternativeEducation", F),
        ("ForeignExchange", F),
        ("HomeSchooled", F),
        ("SAUPercentage", T),
    ],
    note: None,
    reads: &[
        Reads(Source::Segments, PLACED),
        Reads(
            Source::Segments,
            &[
                SPLIT_CUT,
                SCHOOL_STUDENT_ID,
                "GradeLevel",
                ENROLLMENT_TYPE_CODE,
                SCHOOL_ENTRY_DATE,
                "EntryCode",
                EXIT_DATE,
                "ExitCode",
                RESIDENT_SAU_ORG_ID,
                "FiscalResponsibilityCode",
                HOMELESS_CODE,
                SECTION_504_FLAG,
                MIGRANT_FLAG,
                REFUGEE_FLAG,
                STATE_AGENCY_CLIENT_FLAG,
                GIFTED_TALENTED_ACADEMIC,
                GIFTED_TALENTED_ARTISTIC,
                ALTERNATIVE_EDUCATION,
                FOREIGN_EXCHANGE,
                HOME_SCHOOLED,
                SAU_PERCENTAGE,
            ],
        ),
    ],
};

pub const STUDENT_PERSONAL_UPLOAD: Upload = Upload {
    name: "student_personal",
    title: "Student Personal",
    fields: &[
        ("SAUID", O),
        ("StateStudentID", T),
        ("LastName", T),
        ("FirstName", T),
        ("MiddleName", T),
        ("Suffix", T),
        ("Gender", T),
        ("BirthDate", D),
        ("HispanicLatino", F),
        ("AmericanIndianAlaskaNative", F),
        ("Asian", F),
        ("BlackAfricanAmerican", F),
        ("NativeHawaiianPacificIslander", F),
        ("White", F),
        ("RaceDetermination", T),
        ("Immigrant", F),
        ("DateEnteredUSSchool", D),
        ("HomeLanguage", T),
    ],
    note: None,
    reads: &[
        Reads(Source::Students, PERSON),
        Reads(
            Source::Students,
            &[
                STUDENT_KEY,
                crate::crosswalk::HISPANIC,
                "AmericanIndianAlaskaNative",
                "Asian",
                "BlackAfricanAmerican",
                "NativeHawaiianPacificIslander",
                "White",
                RACE_DETERMINATION,
                IMMIGRANT_FLAG,
                US_SCHOOL_DATE,
                HOME_PRIMARY_LANGUAGE,
                // Pre-flight's `wrong_value` rule reads it.
                WRONG_VALUES,
            ],
        ),
        Reads(
            Source::Enrollment,
            &[STATE_STUDENT_ID, YEAR_CODE, SAU_ORG_ID],
        ),
    ],
};

pub const FRM: Upload = Upload {
    name: "frm",
    title: "FRM (economic status)",
    fields: &[
        ("SAUID", O),
        ("SchoolID", O),
        ("StateStudentID", T),
        ("SchoolYear", T),
        ("EconomicStatus", T),
        ("EligibilityStartDate", D),
    ],
    note: None,
    reads: &[
        Reads(Source::Segments, PLACED),
        Reads(
            Source::Segments,
            &[ENROLLMENT_TYPE_CODE, "EconomicStatus", SCHOOL_ENTRY_DATE],
        ),
    ],
};

pub const SPECIAL_ED: Upload = Upload {
    name: "special_ed",
    title: "Special Ed",
    fields: &[
        ("SAUID", O),
        ("SchoolID", O),
        ("StateStudentID", T),
        ("SchoolYear", T),
        ("StartDate", D),
        ("EndDate", D),
        ("PrimaryDisability", T),
        ("Setting", T),
        ("ExitReason", T),
    ],
    note: None,
    reads: &[
        Reads(Source::Segments, PLACED),
        Reads(
            Source::Segments,
            &[
                SPECIAL_ED_FLAG,
                SPED_START_DATE,
                SPED_EXIT_DATE,
                SCHOOL_ENTRY_DATE,
                EXIT_DATE,
                "PrimaryDisability",
                "SpedSettingCode",
                "SpedExitReasonCode",
            ],
        ),
    ],
};

pub const ELL: Upload = Upload {
    name: "ell",
    title: "ELL Student",
    fields: &[
        ("SAUID", O),
        ("SchoolID", O),
        ("StateStudentID", T),
        ("SchoolYear", T),
        ("ELStatus", T),
        ("IdentifiedDate", D),
        ("DateFirstEnrolledESL", D),
        ("ExitDate", D),
        ("EnglishProficiency", T),
    ],
    note: None,
    reads: &[
        Reads(Source::Segments, PLACED),
        Reads(
            Source::Segments,
            &[
                ENROLLMENT_TYPE_CODE,
                "ELStatus",
                DATE_FIRST_ENROLLED_ESL,
                LEP_EXIT_DATE,
                ENGLISH_PROFICIENCY,
            ],
        ),
    ],
};

pub const CTE_UPLOAD: Upload = Upload {
    name: "cte",
    title: "CTE",
    fields: &[
        ("SAUID", O),
        ("SchoolID", O),
        ("StateStudentID", T),
        ("SchoolYear", T),
        ("CIPCode", T),
        ("ProgramStartDate", D),
        ("ProgramEndDate", D),
        ("ExitStatus", T),
        ("CreditBearing", F),
    ],
    note: None,
    reads: &[
        Reads(Source::Cte, PLACED),
        Reads(
            Source::Cte,
            &[
                "CTECode",
                PROGRAM_START_DATE,
                PROGRAM_END_DATE,
                "CTEExitStatusCode",
                CREDIT_BEARING,
            ],
        ),
    ],
};

pub const BEHAVIOR_UPLOAD: Upload = Upload {
    name: "behavior",
    title: "Behavior",
    fields: &[
        ("SAUID", O),
        ("SchoolID", O),
        ("StateStudentID", T),
        ("SchoolYear", T),
        ("IncidentID", T),
        ("IncidentDate", D),
        ("IncidentTime", T),
        ("EventCode", T),
        ("WeaponType", T),
        ("SeriousBodilyInjury", F),
        ("ResolutionCode", T),
        ("ResolutionDate", D),
        ("Duration", T),
    ],
    note: None,
    reads: &[
        Reads(Source::Behavior, PLACED),
        Reads(
            Source::Behavior,
            &[
                ROLE_CODE,
                "BehaviorEvent_reportable",
                "Resolution_removal",
                INCIDENT_ID,
                EVENT_DATE,
                EVENT_TIME,
                "BehaviorEvent",
                "WeaponType",
                SERIOUS_BODILY_INJURY,
                "Resolution",
                RESOLUTION_DATE,
                DURATION,
            ],
        ),
    ],
};

pub const TRUANCY_UPLOAD: Upload = Upload {
    name: "truancy",
    title: "Truancy",
    fields: &[
        ("SAUID", O),
        ("SchoolID", O),
        ("StateStudentID", T),
        ("SchoolYear", T),
        ("TruancyStep", T),
        ("StepDate", D),
    ],
    note: None,
    reads: &[
        Reads(Source::Truancy, PLACED),
        Reads(Source::Truancy, &["TruancyStep", STATUS_DATE]),
    ],
};

pub const ATTENDANCE: Upload = Upload {
    name: "attendance",
    title: "Attendance",
    fields: &[
        ("SAUID", O),
        ("SchoolID", O),
        ("StateStudentID", T),
        ("SchoolYear", T),
        ("Quarter", T),
        ("DaysEnrolled", T),
        ("DaysPresent", T),
        ("DaysExcusedAbsent", T),
        ("QuarterDays", T),
    ],
    note: Some(
        "ICSE had no attendance upload: the extract has no attendance source, so every Attendance file is written with its header and no rows",
    ),
    reads: &[],
};

pub const PROFICIENCY_BASED_EDUCATION: Upload = Upload {
    name: "proficiency_based_education",
    title: "Proficiency Based Education",
    fields: &[],
    note: Some("Synergy's layout is not known: nothing is emitted until a layout file exists"),
    reads: &[],
};

/// Every upload, in Synergy's load order: New State ID, then Student
/// Enrollment, then Student Personal, then the rest.
pub const UPLOADS: [&Upload; 11] = [
    &NEW_STATE_ID,
    &STUDENT_ENROLLMENT_UPLOAD,
    &STUDENT_PERSONAL_UPLOAD,
    &FRM,
    &SPECIAL_ED,
    &ELL,
    &CTE_UPLOAD,
    &BEHAVIOR_UPLOAD,
    &TRUANCY_UPLOAD,
    &ATTENDANCE,
    &PROFICIENCY_BASED_EDUCATION,
];

/// The upload named `name`.
pub fn upload(name: &str) -> Option<&'static Upload> {
    UPLOADS.iter().copied().find(|u| u.name == name)
}

/// Settings of the stage.
#[derive(Clone, Debug)]
pub struct ConformConfig {
    /// Exit code of the first part of an enrollment split at a change of status.
    pub split_exit_code: String,
    /// Entry code of the second part.
    pub split_entry_code: String,
}

/// The frames the stage reads (any may be absent). `segments` is the
/// enrollment rows [`split`]; [`run`] makes it.
#[derive(Default)]
pub struct Sources<'a> {
    pub students: Option<&'a DataFrame>,
    pub enrollment: Option<&'a DataFrame>,
    pub segments: Option<&'a DataFrame>,
    pub behavior: Option<&'a DataFrame>,
    pub truancy: Option<&'a DataFrame>,
    pub cte: Option<&'a DataFrame>,
}

impl<'a> Sources<'a> {
    pub fn get(&self, source: Source) -> Option<&'a DataFrame> {
        match source {
            Source::Students => self.students,
            Source::Enrollment => self.enrollment,
            Source::Segments => self.segments,
            Source::Behavior => self.behavior,
            Source::Truancy => self.truancy,
            Source::Cte => self.cte,
        }
    }
}

/// The columns `upload` declares of `source`, each once, in order.
pub fn declared(upload: &Upload, source: Source) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for Reads(s, columns) in upload.reads {
        if *s == source {
            for c in *columns {
                if !out.contains(c) {
                    out.push(c);
                }
            }
        }
    }
    out
}

/// The frames `upload` reads, each once, in [`Source`] order.
pub fn sources_of(upload: &Upload) -> Vec<Source> {
    let mut out: Vec<Source> = upload.reads.iter().map(|Reads(s, _)| *s).collect();
    out.sort();
    out.dedup();
    out
}

/// The enrollment columns [`split`] must be given for `uploads`: what it
/// reads itself and every column those uploads read of its rows.
pub fn split_input<'u>(uploads: impl IntoIterator<Item = &'u Upload>) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = SPLIT_READS.to_vec();
    for u in uploads {
        for c in declared(u, Source::Segments) {
            if c != SPLIT_CUT && !out.contains(&c) {
                out.push(c);
            }
        }
    }
    out
}

/// `df` with only the `columns` it has (in their order).
pub fn restrict(df: &DataFrame, columns: &[&str]) -> PolarsResult<DataFrame> {
    let keep: Vec<&str> = columns
        .iter()
        .copied()
        .filter(|c| df.column(c).is_ok())
        .collect();
    df.select(keep)
}

/// What the stage produced: a frame and a report per upload.
pub struct Conformed {
    pub uploads: Vec<(&'static str, DataFrame)>,
    pub reports: Vec<StageReport>,
}

/// The fields every per-school upload starts with (SAU, school, student,
/// year), then `rest`.
fn school_fields<const N: usize>(rest: [(&'static str, Expr); N]) -> Vec<(&'static str, Expr)> {
    let mut fields = vec![
        ("SAUID", col(SAU_ORG_ID)),
        ("SchoolID", col(SCHOOL_ORG_ID)),
        ("StateStudentID", col(STATE_STUDENT_ID)),
        ("SchoolYear", text(YEAR_CODE)),
    ];
    fields.extend(rest);
    fields
}

fn text(c: &str) -> Expr {
    col(c).cast(DataType::String)
}

fn null_of(field: FieldType) -> Expr {
    match field {
        FieldType::Date => lit(NULL).cast(DataType::Date),
        FieldType::Flag => lit(NULL).cast(DataType::Boolean),
        _ => lit(NULL).cast(DataType::String),
    }
}

/// An empty conformed frame of `upload`.
pub fn empty(upload: &Upload) -> PolarsResult<DataFrame> {
    let mut columns = vec![
        Column::new_empty(SOURCE_ENTITY.into(), &DataType::String),
        Column::new_empty(SOURCE_FILE.into(), &DataType::String),
        Column::new_empty(SOURCE_ROW.into(), &DataType::Int64),
        Column::new_empty(UPLOAD_YEAR.into(), &DataType::Int32),
        Column::new_empty(UPLOAD_SAU.into(), &DataType::String),
    ];
    for (name, field) in upload.fields {
        let dtype = match field {
            FieldType::Date => DataType::Date,
            FieldType::Flag => DataType::Boolean,
            _ => DataType::String,
        };
        columns.push(Column::new_empty((*name).into(), &dtype));
    }
    columns.push(Column::new_empty(UPLOAD_ROW.into(), &DataType::UInt32));
    DataFrame::new(0, columns)
}

/// Selects `fields` (name, expression) in the upload's order, with the
/// provenance and partition columns, sorted into a stable order.
fn shape(
    lf: LazyFrame,
    upload: &Upload,
    entity: &str,
    exprs: Vec<(&str, Expr)>,
    year: Expr,
    sau: Expr,
) -> PolarsResult<DataFrame> {
    Ok(shape_ranked(lf, upload, entity, exprs, year, sau)?.0)
}

/// [`shape`], with each row's StateStudentID as its
/// [`crate::preflight::text_ranks`] among the rows' (in the rows' order),
/// when the upload has that field: the ranks its order was made with.
fn shape_ranked(
    lf: LazyFrame,
    upload: &Upload,
    entity: &str,
    exprs: Vec<(&str, Expr)>,
    year: Expr,
    sau: Expr,
) -> PolarsResult<(DataFrame, Option<Vec<u32>>)> {
    let mut select = vec![
        lit(entity.to_string()).alias(SOURCE_ENTITY),
        col(SOURCE_FILE),
        col(SOURCE_ROW),
        year.cast(DataType::Int32).alias(UPLOAD_YEAR),
        sau.cast(DataType::String).alias(UPLOAD_SAU),
    ];
    select.extend(upload.fields.iter().map(|f| field_expr(f, &exprs)));
    let selected = lf.select(select).collect()?;
    let (order, ids) = upload_order(&selected, upload)?;
    let mut sorted = selected.take(&order)?;
    drop(selected);
    let ids = ids.map(|ids| order.into_no_null_iter().map(|i| ids[i as usize]).collect());
    // Marked sorted, as polars marks the first key of a sort.
    sorted.apply(UPLOAD_YEAR, |c| {
        let mut s = c.as_materialized_series().clone();
        s.set_sorted_flag(polars::series::IsSorted::Ascending);
        s.into_column()
    })?;
    sorted
        .lazy()
        .with_row_index(UPLOAD_ROW, None)
        .select(
            [
                SOURCE_ENTITY,
                SOURCE_FILE,
                SOURCE_ROW,
                UPLOAD_YEAR,
                UPLOAD_SAU,
            ]
            .iter()
            .map(|c| col(*c))
            .chain(upload.fields.iter().map(|(n, _)| col(*n)))
            .chain([col(UPLOAD_ROW)])
            .collect::<Vec<_>>(),
        )
        .collect()
        .map(|df| (df, ids))
}

/// Upload field `name` of type `field`: its expression in `exprs` (null
/// when it has none) cast to the field's type.
fn field_expr((name, field): &(&str, FieldType), exprs: &[(&str, Expr)]) -> Expr {
    let e = exprs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, e)| e.clone())
        .unwrap_or_else(|| null_of(*field));
    let e = match field {
        FieldType::Date => e.cast(DataType::Date),
        FieldType::Flag => e.cast(DataType::Boolean),
        _ => e.cast(DataType::String),
    };
    e.alias(*name)
}

/// The keys an upload's rows are ordered by: school year, SAU, the student
/// and school where the upload has them, source row, then each date field.
fn sort_keys(upload: &Upload) -> Vec<&'static str> {
    let mut keys = vec![UPLOAD_YEAR, UPLOAD_SAU];
    for key in ["StateStudentID", "SchoolID"] {
        if upload.fields.iter().any(|(n, _)| *n == key) {
            keys.push(key);
        }
    }
    keys.push(SOURCE_ROW);
    keys.extend(
        upload
            .fields
            .iter()
            .filter(|(_, field)| *field == FieldType::Date)
            .map(|(name, _)| *name),
    );
    keys
}

/// The order of an upload's rows ([`sort_keys`], each ascending with nulls
/// last, rows equal on every key in the order they came): polars' stable
/// sort on those columns, made on numbers (text as its rank among the
/// column's values), so no text is compared row against row. With it,
/// StateStudentID's ranks ([`crate::preflight::text_ranks`]) when the rows
/// have that text column.
fn upload_order(df: &DataFrame, upload: &Upload) -> PolarsResult<(IdxCa, Option<Vec<u32>>)> {
    use rayon::prelude::*;
    let text_ranks = |name: &str| -> PolarsResult<Option<Vec<u32>>> {
        let s = match df.column(name) {
            Ok(c) if c.dtype() == &DataType::String => c.as_materialized_series(),
            _ => return Ok(None),
        };
        Ok(Some(crate::preflight::text_ranks(&s.str()?.rechunk())))
    };
    let ids = text_ranks("StateStudentID")?;
    // Each key as a number in the key's order, null last.
    let numbers = |name: &str| -> PolarsResult<Vec<u64>> {
        let s = df.column(name)?.as_materialized_series();
        Ok(match s.dtype() {
            DataType::String => {
                // The ranks from 0, null after every value (their order).
                let ranks = match (&ids, name) {
                    (Some(ids), "StateStudentID") => ids.clone(),
                    _ => text_ranks(name)?.unwrap_or_default(),
                };
                let nulls = u64::from(ranks.iter().copied().max().unwrap_or(0));
                ranks
                    .into_iter()
                    .map(|r| if r == 0 { nulls } else { u64::from(r) - 1 })
                    .collect()
            }
            _ => {
                let s = s.cast(&DataType::Int64)?;
                s.i64()?
                    .iter()
                    .map(|v| v.map_or(u64::MAX, |v| (v as u64) ^ (1 << 63)))
                    .collect()
            }
        })
    };
    let keys = sort_keys(upload);
    let (first, rest) = keys.split_at(keys.len().min(4));
    // The first four keys side by side in one number (each as its rank,
    // below 2^32), then each row's place: most rows differ there.
    let first = first
        .iter()
        .map(|k| numbers(k).map(dense))
        .collect::<PolarsResult<Vec<_>>>()?;
    let rest = rest
        .iter()
        .map(|k| numbers(k))
        .collect::<PolarsResult<Vec<_>>>()?;
    let mut rows: Vec<(u128, IdxSize)> = (0..df.height())
        .map(|i| {
            let packed = first
                .iter()
                .fold(0u128, |acc, k| (acc << 32) | u128::from(k[i]));
            (packed << (32 * (4 - first.len())), i as IdxSize)
        })
        .collect();
    rows.par_sort_by(|a, b| {
        a.0.cmp(&b.0).then_with(|| {
            rest.iter()
                .map(|k| k[a.1 as usize].cmp(&k[b.1 as usize]))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        })
    });
    let order = IdxCa::from_vec("".into(), rows.into_iter().map(|r| r.1).collect());
    Ok((order, ids))
}

/// Each value's rank among the distinct values (0 the least): the same
/// order in 32 bits.
fn dense(values: Vec<u64>) -> Vec<u32> {
    if let Some(ranks) = own_ranks(&values) {
        return ranks;
    }
    let mut distinct = values.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 1 << 16 {
        let at: PlHashMap<u64, u32> = distinct
            .iter()
            .enumerate()
            .map(|(r, v)| (*v, r as u32))
            .collect();
        return values.iter().map(|v| at[v]).collect();
    }
    values
        .iter()
        .map(|v| distinct.partition_point(|d| d < v) as u32)
        .collect()
}

/// The values themselves when they are already ranks: every one of `0..=`
/// the largest is there (text ranks, [`crate::preflight::text_ranks`]).
fn own_ranks(values: &[u64]) -> Option<Vec<u32>> {
    let top = *values.iter().max()?;
    if top >= values.len() as u64 {
        return None;
    }
    let mut there = vec![false; top as usize + 1];
    for &v in values {
        there[v as usize] = true;
    }
    there
        .iter()
        .all(|&t| t)
        .then(|| values.iter().map(|&v| v as u32).collect())
}

/// A number as written in the extract: `3` rather than `3.0`, `0.25` kept.
fn decimal_text(c: &str) -> Expr {
    when(
        col(c)
            .cast(DataType::Int64)
            .cast(DataType::Float64)
            .eq(col(c)),
    )
    .then(col(c).cast(DataType::Int64).cast(DataType::String))
    .otherwise(col(c).cast(DataType::String))
}

fn count(lf: LazyFrame) -> PolarsResult<u64> {
    let df = lf.select([len().alias("n")]).collect()?;
    Ok(df.column("n")?.u32()?.get(0).unwrap_or(0) as u64)
}

fn day_before(c: &str) -> Expr {
    (col(c).cast(DataType::Int32) - lit(1)).cast(DataType::Date)
}

/// Enrollment rows split at each change of status. ICSE keeps a change as a
/// second row of the same enrollment (same student, school, year and entry
/// date) with `Action` S and the values from `EffectiveDate` on: each row of
/// such a group becomes the segment from its own start (the entry date, or
/// its effective date) to the day before the next row's start, which exits
/// and enters with the configured codes. Returns the rows (as many as came
/// in), [`SPLIT_CUT`] true on those cut short by a change. Reads only
/// [`SPLIT_READS`]; every other column is carried.
pub fn split(e: &DataFrame, config: &ConformConfig) -> PolarsResult<DataFrame> {
    let cuts = split_points(e)?;
    let changed = col("__changed");
    // Only the four columns a split changes are made anew (from a frame of
    // them and the cut points); every other column is `e`'s own, not
    // copied: the enrollment rows are the largest frame publish holds.
    let mut narrow = e.select([SCHOOL_ENTRY_DATE, "EntryCode", EXIT_DATE, "ExitCode"])?;
    narrow.hstack_mut(cuts.columns())?;
    let made = narrow
        .lazy()
        .select([
            when(changed.clone())
                .then(col("__start"))
                .otherwise(col(SCHOOL_ENTRY_DATE))
                .alias(SCHOOL_ENTRY_DATE),
            when(changed)
                .then(lit(config.split_entry_code.clone()))
                .otherwise(col("EntryCode"))
                .alias("EntryCode"),
            when(col(SPLIT_CUT))
                .then(day_before("__next"))
                .otherwise(col(EXIT_DATE))
                .alias(EXIT_DATE),
            when(col(SPLIT_CUT))
                .then(lit(config.split_exit_code.clone()))
                .otherwise(col("ExitCode"))
                .alias("ExitCode"),
            col(SPLIT_CUT),
        ])
        .collect()?;
    let mut out = e.clone();
    for c in made.columns() {
        out.with_column(c.clone())?;
    }
    // In source row order (the order the rows come in, usually).
    if ascending(out.column(SOURCE_ROW)?)? {
        Ok(out)
    } else {
        out.sort([SOURCE_ROW], SortMultipleOptions::default())
    }
}

/// Whether a column's values rise strictly, none null.
fn ascending(c: &Column) -> PolarsResult<bool> {
    let s = c.as_materialized_series().cast(&DataType::Int64)?;
    let mut last = None;
    let rising = s.i64()?.iter().all(|v| {
        let ok = v.is_some() && (last.is_none() || v > last);
        last = v;
        ok
    });
    Ok(rising)
}

/// A row of action S whose effective date falls after the entry date and
/// not after the exit: a change inside the enrollment.
fn effective_change() -> Expr {
    col(ACTION)
        .eq(lit("S"))
        .and(col(EFFECTIVE_DATE).gt(col(SCHOOL_ENTRY_DATE)))
        .and(
            col(EXIT_DATE)
                .is_null()
                .or(col(EFFECTIVE_DATE).lt_eq(col(EXIT_DATE))),
        )
        .fill_null(lit(false))
}

/// One enrollment's rows: the same student, school, year and entry date (a
/// row without a StateStudentID is one of its own).
const ENROLLMENT_KEYS: [&str; 4] = [STATE_STUDENT_ID, SCHOOL_ID, YEAR_CODE, SCHOOL_ENTRY_DATE];

/// Sorted by [`ENROLLMENT_KEYS`], an enrollment's rows are neighbours: the
/// row `offset` away is of the same enrollment when the four agree.
fn same_enrollment(offset: i64) -> Expr {
    ENROLLMENT_KEYS
        .iter()
        .fold(col(STATE_STUDENT_ID).is_not_null(), |acc, k| {
            acc.and(col(*k).eq_missing(col(*k).shift(lit(offset))))
        })
        .fill_null(lit(false))
}

/// Where [`split`] cuts, in the rows' own order: each row's start
/// (`__start`), the next row's start of its enrollment (`__next`),
/// [`SPLIT_CUT`] and whether it starts at a change (`__changed`). Only the
/// keys are sorted (an enrollment's rows become neighbours); the results
/// are put back in place by each row's position.
fn split_points(e: &DataFrame) -> PolarsResult<DataFrame> {
    let effective = effective_change();
    let keys = ENROLLMENT_KEYS;
    let same = same_enrollment;
    let mut order: Vec<&str> = keys.to_vec();
    order.extend(["__start", SOURCE_ROW]);
    let sorted = e
        .clone()
        .lazy()
        .select(
            keys.iter()
                .map(|k| col(*k))
                .chain([
                    when(effective)
                        .then(col(EFFECTIVE_DATE))
                        .otherwise(col(SCHOOL_ENTRY_DATE))
                        .alias("__start"),
                    col(SOURCE_ROW),
                ])
                .collect::<Vec<_>>(),
        )
        .with_row_index("__at", None)
        .sort(
            order,
            SortMultipleOptions::default().with_maintain_order(true),
        )
        .with_columns([
            when(same(-1))
                .then(col("__start").shift(lit(-1)))
                .otherwise(lit(NULL).cast(DataType::Date))
                .alias("__next"),
            when(same(1))
                .then(col("__start").shift(lit(1)))
                .otherwise(lit(NULL).cast(DataType::Date))
                .alias("__prev"),
        ])
        .select([
            col("__at"),
            col("__start"),
            col("__next"),
            col("__next")
                .gt(col("__start"))
                .fill_null(lit(false))
                .alias(SPLIT_CUT),
            col("__prev")
                .lt(col("__start"))
                .fill_null(lit(false))
                .alias("__changed"),
        ])
        .collect()?;
    // Row `at[k]` of `e` is row `k` of `sorted`: invert to put them back.
    let at = sorted.column("__at")?.idx()?.rechunk();
    let mut back: Vec<IdxSize> = vec![0; sorted.height()];
    for (k, i) in at.iter().enumerate() {
        back[i.expect("a row index") as usize] = k as IdxSize;
    }
    sorted.drop("__at")?.take(&IdxCa::from_vec("".into(), back))
}

fn report(upload: &Upload, rows_in: u64, rows_out: u64) -> StageReport {
    let mut r = StageReport::new(STAGE, upload.name);
    r.rows_in = rows_in;
    r.rows_out = rows_out;
    r
}

fn exclude(r: &mut StageReport, rule: &str, n: u64) {
    if n > 0 {
        *r.excluded.entry(rule.to_string()).or_default() += n;
    }
}

fn add(r: &mut StageReport, rule: &str, n: u64) {
    if n > 0 {
        *r.added.entry(rule.to_string()).or_default() += n;
    }
}

fn flag(c: &str) -> Expr {
    col(c).fill_null(lit(false))
}

/// One upload's conformed frame and its report.
pub struct Built {
    pub name: &'static str,
    pub frame: DataFrame,
    pub report: StageReport,
}

/// The order conform reports its uploads in (the ledger's order).
pub const REPORT_ORDER: [&Upload; 10] = [
    &NEW_STATE_ID,
    &STUDENT_ENROLLMENT_UPLOAD,
    &STUDENT_PERSONAL_UPLOAD,
    &FRM,
    &ELL,
    &SPECIAL_ED,
    &CTE_UPLOAD,
    &BEHAVIOR_UPLOAD,
    &TRUANCY_UPLOAD,
    &ATTENDANCE,
];

/// Builds every upload's conformed frame (the enrollment rows split once
/// for all).
pub fn run(sources: Sources, config: &ConformConfig) -> PolarsResult<Conformed> {
    let segments = match sources.enrollment {
        Some(e) => Some(split(&restrict(e, &split_input(UPLOADS))?, config)?),
        None => None,
    };
    let sources = Sources {
        segments: segments.as_ref(),
        ..sources
    };
    let mut out = Conformed {
        uploads: Vec::new(),
        reports: Vec::new(),
    };
    for upload in REPORT_ORDER {
        if let Some(built) = build(upload, &sources)? {
            out.uploads.push((built.name, built.frame));
            out.reports.push(built.report);
        }
    }
    Ok(out)
}

/// Builds one upload from the frames it reads, each restricted to the
/// columns it declares (`Upload::reads`): reading any other is an error.
/// `None` when a frame it reads is absent.
pub fn build(upload: &Upload, sources: &Sources) -> PolarsResult<Option<Built>> {
    let mut frames: Vec<(Source, DataFrame)> = Vec::new();
    for source in sources_of(upload) {
        let Some(df) = sources.get(source) else {
            if optional(upload, source) {
                continue;
            }
            return Ok(None);
        };
        frames.push((source, restrict(df, &declared(upload, source))?));
    }
    let get = |source: Source| -> &DataFrame {
        &frames
            .iter()
            .find(|(s, _)| *s == source)
            .expect("every declared frame is present")
            .1
    };
    let built = match upload.name {
        n if n == NEW_STATE_ID.name => new_state_id(
            get(Source::Students),
            frames
                .iter()
                .find(|(s, _)| *s == Source::Enrollment)
                .map(|(_, df)| df),
        )?,
        n if n == STUDENT_ENROLLMENT_UPLOAD.name => student_enrollment(get(Source::Segments))?,
        n if n == STUDENT_PERSONAL_UPLOAD.name => {
            student_personal(get(Source::Students), get(Source::Enrollment))?
        }
        n if n == FRM.name => frm(get(Source::Segments))?,
        n if n == ELL.name => ell(get(Source::Segments))?,
        n if n == SPECIAL_ED.name => special_ed(get(Source::Segments))?,
        n if n == CTE_UPLOAD.name => cte(get(Source::Cte))?,
        n if n == BEHAVIOR_UPLOAD.name => behavior(get(Source::Behavior))?,
        n if n == TRUANCY_UPLOAD.name => truancy(get(Source::Truancy))?,
        n if n == ATTENDANCE.name => attendance()?,
        _ => return Ok(None),
    };
    Ok(Some(built))
}

/// Whether `upload` is built without `source` when the bundle lacks it: New
/// State ID ties its students to enrollments when there are any.
pub fn optional(upload: &Upload, source: Source) -> bool {
    upload.name == NEW_STATE_ID.name && source == Source::Enrollment
}

/// A primary enrollment (`EnrollmentTypeCode` P).
fn primary() -> Expr {
    col(ENROLLMENT_TYPE_CODE).eq(lit("P"))
}

/// The person's fields of the New State ID and Student Personal uploads.
fn person_fields() -> Vec<(&'static str, Expr)> {
    vec![
        ("LastName", col(LAST_NAME)),
        ("FirstName", col(FIRST_NAME)),
        ("MiddleName", col(MIDDLE_NAME)),
        ("Suffix", col(SUFFIX)),
        ("Gender", col(GENDER)),
        ("BirthDate", col(BIRTH_DATE)),
    ]
}

/// New State ID: students no StateStudentID could be found for, with the
/// SAU, school, grade and local number of the enrollment they are tied to
/// ([`tied_enrollments`]); a student tied to none keeps them blank and
/// pre-flight holds the row (required).
fn new_state_id(students: &DataFrame, enrollment: Option<&DataFrame>) -> PolarsResult<Built> {
    let awaiting = students.clone().lazy().filter(col(NEEDS_NEW_STATE_ID));
    // Only a `NEW-` student (no StateStudentID on any identity row) is
    // tied: a `CONFLICT-` one's own enrollments carry the shared ID, so
    // enrollments without one having their number are another student's.
    let local = if students.column(LOCAL_STUDENT_NUMBER).is_ok() {
        when(col(STUDENT_KEY).str().starts_with(lit("NEW-")))
            .then(col(LOCAL_STUDENT_NUMBER).str().strip_chars(lit(NULL)))
            .otherwise(lit(NULL).cast(DataType::String))
    } else {
        lit(NULL).cast(DataType::String)
    };
    let awaiting = awaiting.with_column(local.alias(TIE_LOCAL));
    let claims = awaiting
        .clone()
        .filter(col(TIE_LOCAL).is_not_null())
        .group_by([col(TIE_LOCAL)])
        .agg([len().alias("__claims")])
        .filter(col("__claims").eq(lit(1)))
        .select([col(TIE_LOCAL)]);
    let lf = match enrollment {
        Some(e) => awaiting.join(
            tied_enrollments(e)?.join(
                claims,
                [col(TIE_LOCAL)],
                [col(TIE_LOCAL)],
                JoinArgs::new(JoinType::Inner),
            ),
            [col(TIE_LOCAL)],
            [col(TIE_LOCAL)],
            JoinArgs::new(JoinType::Left),
        ),
        None => awaiting.with_columns([
            lit(NULL).cast(DataType::String).alias("__t_sau"),
            lit(NULL).cast(DataType::String).alias("__t_school"),
            lit(NULL).cast(DataType::String).alias("__t_grade"),
            lit(NULL).cast(DataType::Int32).alias("__t_year"),
        ]),
    };
    let mut fields = person_fields();
    fields.extend([
        ("SAUID", col("__t_sau")),
        ("SchoolStudentID", col(TIE_LOCAL)),
        ("SchoolID", col("__t_school")),
        ("GradeLevel", col("__t_grade")),
    ]);
    let df = shape(
        lf,
        &NEW_STATE_ID,
        crate::schema::STUDENT_PERSONAL.name,
        fields,
        col("__t_year"),
        col("__t_sau"),
    )?;
    let mut r = report(&NEW_STATE_ID, students.height() as u64, df.height() as u64);
    if df.height() > 0 {
        let n_tied = df.column("SAUID")?.len() - df.column("SAUID")?.null_count();
        r.notes.push(format!(
            "{} students need a New State ID: {} tied to an enrollment without a StateStudentID by their Local Student Number (its SAU, school and grade filled in); {} not tied (no Local Student Number, none or more than one SAU's enrollments with it, another student awaiting an ID with the same number, or a StateStudentID shared with another student), which pre-flight holds (required)",
            df.height(),
            n_tied,
            df.height() - n_tied
        ));
    }
    exclude(
        &mut r,
        "has_state_id",
        students.height() as u64 - df.height() as u64,
    );
    Ok(Built {
        name: NEW_STATE_ID.name,
        frame: df,
        report: r,
    })
}

/// The local number a student awaiting an ID is tied by.
pub const TIE_LOCAL: &str = "__t_local";

/// The enrollment a student awaiting a New State ID is tied to, by local
/// number: the extract's enrollments carry no PersonID, but the person's
/// Local Student Number (ICSE's Demographics page, v2.5 line 28) is the
/// enrollments' `SchoolStudentID`. Of the enrollments with no
/// StateStudentID and that number, those of one SAU only (local numbers are
/// a district's own: the same number in two SAUs ties nothing), the most
/// recent: latest school year, a primary one first, latest entry date.
fn tied_enrollments(e: &DataFrame) -> PolarsResult<LazyFrame> {
    let keep = vec![
        text(SCHOOL_ORG_ID).alias("__t_school"),
        col("GradeLevel").alias("__t_grade"),
        col(YEAR_CODE).cast(DataType::Int32).alias("__t_year"),
        primary().alias("__t_primary"),
        col(SCHOOL_ENTRY_DATE).alias("__t_entry"),
        col(SOURCE_ROW).alias("__t_row"),
    ];
    Ok(unidentified_in_one_sau(e.clone().lazy(), keep)?
        .sort(
            [TIE_LOCAL, "__t_year", "__t_primary", "__t_entry", "__t_row"],
            SortMultipleOptions::default()
                .with_order_descending_multi([false, true, true, true, false])
                .with_nulls_last(true),
        )
        .unique_stable_generic(Some(vec![col(TIE_LOCAL)]), UniqueKeepStrategy::First)
        .select([
            col(TIE_LOCAL),
            col("__t_sau"),
            col("__t_school"),
            col("__t_grade"),
            col("__t_year"),
        ]))
}

/// The enrollments a student awaiting an ID can be tied to by Local
/// Student Number: no StateStudentID, an SAU, and a local number (stripped,
/// as [`TIE_LOCAL`]) found on such rows in one SAU only (local numbers are
/// a district's own: the same number in two SAUs ties nothing); their SAU
/// as `__t_sau`, and the columns `keep`. The New State ID upload ties a
/// `NEW-` student to the latest of them; identity gives a `NEW-` unit
/// their spans (`identity::new_keys_by_local`).
pub fn unidentified_in_one_sau(e: LazyFrame, keep: Vec<Expr>) -> PolarsResult<LazyFrame> {
    let mut select = vec![
        col(SCHOOL_STUDENT_ID)
            .str()
            .strip_chars(lit(NULL))
            .alias(TIE_LOCAL),
        text(SAU_ORG_ID).alias("__t_sau"),
    ];
    select.extend(keep);
    Ok(e.filter(
        col(STATE_STUDENT_ID)
            .is_null()
            .and(col(SAU_ORG_ID).is_not_null())
            .and(col(SCHOOL_STUDENT_ID).is_not_null()),
    )
    .select(select)
    .with_column(
        col("__t_sau")
            .n_unique()
            .over([col(TIE_LOCAL)])?
            .alias("__t_saus"),
    )
    .filter(col("__t_saus").eq(lit(1))))
}

/// The fields of Student Enrollment that are each a copy of one source
/// column (source column, field) the split neither reads nor writes and
/// that neither places nor orders a row, nor is read by another upload's
/// rules (`GradeLevel`, the code columns a code table edit changes). When
/// only such columns changed, the conformed rows are the last run's, row
/// for row, with these fields made again from the new values
/// ([`patch_field`]).
pub const PATCHABLE: [(&str, &str); 4] = [
    (SCHOOL_STUDENT_ID, "SchoolStudentID"),
    ("GradeLevel", "GradeLevel"),
    ("FiscalResponsibilityCode", "FiscalResponsibility"),
    (HOMELESS_CODE, "HomelessNightTimeResidence"),
];

/// The fields of `upload` that may be made again alone ([`PATCHABLE`]:
/// Student Enrollment's; none of the others').
pub fn patchable(upload: &Upload) -> &'static [(&'static str, &'static str)] {
    if upload.name == STUDENT_ENROLLMENT_UPLOAD.name {
        &PATCHABLE
    } else {
        &[]
    }
}

/// A [`PATCHABLE`] field's value made from its source column, as [`shape`]
/// makes it (text).
pub fn patch_field(source: &str) -> Expr {
    col(source).cast(DataType::String)
}

/// Student Enrollment's fields but the four that place a row
/// ([`school_fields`]).
fn student_enrollment_fields() -> [(&'static str, Expr); 20] {
    [
        ("SchoolStudentID", col(SCHOOL_STUDENT_ID)),
        ("GradeLevel", col("GradeLevel")),
        ("EnrollmentType", col(ENROLLMENT_TYPE_CODE)),
        ("EntryDate", col(SCHOOL_ENTRY_DATE)),
        ("EntryCode", col("EntryCode")),
        ("ExitDate", col(EXIT_DATE)),
        ("ExitCode", col("ExitCode")),
        ("ResidentSAUID", col(RESIDENT_SAU_ORG_ID)),
        ("FiscalResponsibility", col("FiscalResponsibilityCode")),
        ("HomelessNightTimeResidence", col(HOMELESS_CODE)),
        ("Section504", flag(SECTION_504_FLAG)),
        ("Migrant", flag(MIGRANT_FLAG)),
        ("Refugee", flag(REFUGEE_FLAG)),
        ("StateAgencyClient", flag(STATE_AGENCY_CLIENT_FLAG)),
        ("GiftedTalentedAcademic", flag(GIFTED_TALENTED_ACADEMIC)),
        ("GiftedTalentedArtistic", flag(GIFTED_TALENTED_ARTISTIC)),
        ("AlternativeEducation", flag(ALTERNATIVE_EDUCATION)),
        ("ForeignExchange", flag(FOREIGN_EXCHANGE)),
        ("HomeSchooled", flag(HOME_SCHOOLED)),
        ("SAUPercentage", col(SAU_PERCENTAGE)),
    ]
}

/// Student Enrollment: every enrollment segment (some end at a change of
/// status).
fn student_enrollment(seg: &DataFrame) -> PolarsResult<Built> {
    let cut = seg.column(SPLIT_CUT)?.bool()?.sum().unwrap_or(0) as u64;
    let (df, _) = student_enrollment_rows(seg, 0)?;
    let rows = (seg.height() as u64, df.height() as u64);
    Ok(Built {
        name: STUDENT_ENROLLMENT_UPLOAD.name,
        frame: df,
        report: student_enrollment_report(rows, cut),
    })
}

/// Student Enrollment's rows of split enrollment rows `seg`, numbered
/// from `first_row`: of one school year, these are the rows of that year
/// of the whole upload (rows are ordered by school year first), so the
/// upload may be conformed a school year at a time.
/// With them, each row's StateStudentID as its
/// [`crate::preflight::text_ranks`] among the rows' (pre-flight's periods
/// rank them so: [`crate::preflight::primary_periods_ranked`]).
pub fn student_enrollment_rows(
    seg: &DataFrame,
    first_row: IdxSize,
) -> PolarsResult<(DataFrame, Option<Vec<u32>>)> {
    let fields = school_fields(student_enrollment_fields());
    let (mut df, ids) = shape_ranked(
        seg.clone().lazy(),
        &STUDENT_ENROLLMENT_UPLOAD,
        crate::schema::STUDENT_ENROLLMENT.name,
        fields,
        col(YEAR_CODE),
        col(SAU_ORG_ID),
    )?;
    renumber(&mut df, first_row)?;
    Ok((df, ids))
}

/// A conformed frame's rows numbered from `first_row` ([`UPLOAD_ROW`]).
fn renumber(df: &mut DataFrame, first_row: IdxSize) -> PolarsResult<()> {
    if first_row > 0 {
        let rows = df
            .column(UPLOAD_ROW)?
            .idx()?
            .apply_values(|r| r + first_row);
        df.with_column(rows.into_column())?;
    }
    Ok(())
}

/// The uploads built from split enrollment rows, besides Student
/// Enrollment, that may be conformed a school year at a time: each row is
/// made from rows of one school year (Special Ed merges a student's rows
/// of one year, SAU and school) and placed in that year, and rows are
/// ordered by school year first, so one school year's split rows make that
/// year's rows of the upload, and the years' rows one after the other
/// (ascending, a row without a year last) are the upload.
pub const BY_YEAR: [&Upload; 3] = [&FRM, &SPECIAL_ED, &ELL];

/// The rows of `upload` (one of [`BY_YEAR`]) made of split rows `seg` of
/// one school year, numbered from `first_row`, and conform's report of
/// them (the years' reports add up with [`add_report`]).
pub fn year_rows(upload: &Upload, seg: &DataFrame, first_row: IdxSize) -> PolarsResult<Built> {
    let built = build(
        upload,
        &Sources {
            segments: Some(seg),
            ..Default::default()
        },
    )?;
    let Some(mut built) = built.filter(|_| BY_YEAR.iter().any(|u| u.name == upload.name)) else {
        polars_bail!(ComputeError: "{} is not conformed a school year at a time", upload.name);
    };
    renumber(&mut built.frame, first_row)?;
    Ok(built)
}

/// Adds the counts of `part` (a report of some of an upload's rows) to
/// `into` (the report of the rows before them).
pub fn add_report(into: &mut StageReport, part: &StageReport) {
    into.rows_in += part.rows_in;
    into.rows_out += part.rows_out;
    into.merged += part.merged;
    let maps = [
        (&mut into.rejected, &part.rejected),
        (&mut into.violations, &part.violations),
        (&mut into.excluded, &part.excluded),
        (&mut into.added, &part.added),
    ];
    for (to, from) in maps {
        for (rule, n) in from {
            *to.entry(rule.clone()).or_default() += n;
        }
    }
    for note in &part.notes {
        if !into.notes.contains(note) {
            into.notes.push(note.clone());
        }
    }
}

/// The school year a Student Enrollment row is placed in (its `upload_year`).
pub fn enrollment_year() -> Expr {
    col(YEAR_CODE).cast(DataType::Int32)
}

/// Conform's report of Student Enrollment: (rows in, rows out) and the
/// enrollments cut short at a change of status.
pub fn student_enrollment_report((rows_in, rows_out): (u64, u64), cut: u64) -> StageReport {
    let mut r = report(&STUDENT_ENROLLMENT_UPLOAD, rows_in, rows_out);
    if cut > 0 {
        r.notes.push(format!(
            "{cut} enrollments end the day before a change of status (Action S) and continue in the next row"
        ));
    }
    r
}

/// Student Personal: each student's current identity, once per school
/// year and SAU the student was enrolled in.
fn student_personal(students: &DataFrame, enrollment: &DataFrame) -> PolarsResult<Built> {
    let df = student_personal_rows(students, enrollment, 0)?;
    let placed = count(
        df.clone()
            .lazy()
            .select([col("StateStudentID")])
            .unique(None, UniqueKeepStrategy::First),
    )?;
    Ok(Built {
        name: STUDENT_PERSONAL_UPLOAD.name,
        report: student_personal_report(students.height() as u64, df.height() as u64, placed),
        frame: df,
    })
}

/// Conform's report of Student Personal: `students` in, `rows` out, made
/// of `placed` distinct students (the others had no enrollment).
pub fn student_personal_report(students: u64, rows: u64, placed: u64) -> StageReport {
    let mut r = report(&STUDENT_PERSONAL_UPLOAD, students, rows);
    add(&mut r, "one_row_per_sau_and_year", rows - placed);
    exclude(&mut r, "no_enrollment", students - placed);
    r
}

/// The places (student, school year code, SAU) of enrollment rows with a
/// StateStudentID, each once: a Student Personal row each, when the
/// students have the student.
pub fn student_places(enrollment: &DataFrame) -> LazyFrame {
    enrollment
        .clone()
        .lazy()
        .filter(col(STATE_STUDENT_ID).is_not_null())
        .select([
            col(STATE_STUDENT_ID).alias(STUDENT_KEY),
            col(YEAR_CODE),
            col(SAU_ORG_ID),
        ])
        .unique(None, UniqueKeepStrategy::First)
}

/// Student Personal's rows of the students (`students`, the columns the
/// upload declares) placed by `enrollment` rows, numbered from
/// `first_row`: of one school year's enrollment rows, these are that
/// year's rows of the whole upload (rows are ordered by school year
/// first), so the upload may be conformed a school year at a time.
pub fn student_personal_rows(
    students: &DataFrame,
    enrollment: &DataFrame,
    first_row: IdxSize,
) -> PolarsResult<DataFrame> {
    let places = student_places(enrollment);
    let joined = students.clone().lazy().join(
        places,
        [col(STUDENT_KEY)],
        [col(STUDENT_KEY)],
        JoinArgs::new(JoinType::Inner),
    );
    let df = shape(
        joined,
        &STUDENT_PERSONAL_UPLOAD,
        crate::schema::STUDENT_PERSONAL.name,
        [("SAUID", col(SAU_ORG_ID))]
            .into_iter()
            .chain(personal_exprs(students))
            .collect(),
        col(YEAR_CODE),
        col(SAU_ORG_ID),
    )?;
    let mut df = with_wrong_values(df, students)?;
    renumber(&mut df, first_row)?;
    Ok(df)
}

/// Student Personal's fields taken from the student (every one but
/// `SAUID`, the place's).
fn personal_exprs(students: &DataFrame) -> Vec<(&'static str, Expr)> {
    let race = |c: &str| {
        if students.column(c).is_ok() {
            col(c)
        } else {
            lit(NULL).cast(DataType::Boolean)
        }
    };
    [("StateStudentID", col(STUDENT_KEY))]
        .into_iter()
        .chain(person_fields())
        .chain([
            ("HispanicLatino", race(crate::crosswalk::HISPANIC)),
            (
                "AmericanIndianAlaskaNative",
                race("AmericanIndianAlaskaNative"),
            ),
            ("Asian", race("Asian")),
            ("BlackAfricanAmerican", race("BlackAfricanAmerican")),
            (
                "NativeHawaiianPacificIslander",
                race("NativeHawaiianPacificIslander"),
            ),
            ("White", race("White")),
            ("RaceDetermination", col(RACE_DETERMINATION)),
            ("Immigrant", flag(IMMIGRANT_FLAG)),
            ("DateEnteredUSSchool", col(US_SCHOOL_DATE)),
            ("HomeLanguage", col(HOME_PRIMARY_LANGUAGE)),
        ])
        .collect()
}

/// The conformed Student Personal rows with their student's current
/// identity's `wrong_values` (found by its source row; null when the
/// students have none), for pre-flight's `wrong_value` rule.
fn with_wrong_values(df: DataFrame, students: &DataFrame) -> PolarsResult<DataFrame> {
    if students.column(WRONG_VALUES).is_err() {
        return df
            .lazy()
            .with_column(lit(NULL).cast(DataType::String).alias(WRONG_VALUES))
            .collect();
    }
    let wrong = students
        .clone()
        .lazy()
        .filter(col(WRONG_VALUES).is_not_null())
        .select([col(SOURCE_FILE), col(SOURCE_ROW), col(WRONG_VALUES)]);
    let mut args = JoinArgs::new(JoinType::Left);
    args.maintain_order = MaintainOrderJoin::Left;
    df.lazy()
        .join(
            wrong,
            [col(SOURCE_FILE), col(SOURCE_ROW)],
            [col(SOURCE_FILE), col(SOURCE_ROW)],
            args,
        )
        .collect()
}

/// An upload of the primary enrollments `keep` selects, with the school
/// fields and `extra`; the primary rows it leaves out are excluded as
/// `left_out`.
fn primary_subset(
    seg: &DataFrame,
    upload: &'static Upload,
    keep: Expr,
    extra: Vec<(&'static str, Expr)>,
    left_out: &'static str,
) -> PolarsResult<Built> {
    let rows_in = seg.height() as u64;
    let not_primary = count(seg.clone().lazy().filter(primary().not()))?;
    let mut fields = school_fields([]);
    fields.extend(extra);
    let df = shape(
        seg.clone().lazy().filter(primary().and(keep)),
        upload,
        crate::schema::STUDENT_ENROLLMENT.name,
        fields,
        col(YEAR_CODE),
        col(SAU_ORG_ID),
    )?;
    let mut r = report(upload, rows_in, df.height() as u64);
    exclude(&mut r, "not_primary", not_primary);
    exclude(
        &mut r,
        left_out,
        seg.height() as u64 - not_primary - df.height() as u64,
    );
    Ok(Built {
        name: upload.name,
        frame: df,
        report: r,
    })
}

/// FRM: primary enrollments with an economic status.
fn frm(seg: &DataFrame) -> PolarsResult<Built> {
    primary_subset(
        seg,
        &FRM,
        col("EconomicStatus").is_not_null(),
        vec![
            ("EconomicStatus", col("EconomicStatus")),
            ("EligibilityStartDate", col(SCHOOL_ENTRY_DATE)),
        ],
        "no_economic_status",
    )
}

/// ELL: primary enrollments of English learners, current or exited.
fn ell(seg: &DataFrame) -> PolarsResult<Built> {
    let el = col("ELStatus").is_in(
        lit(Series::new("el".into(), ["EL", "ExitedEL"])).implode(false),
        false,
    );
    primary_subset(
        seg,
        &ELL,
        el.fill_null(lit(false)),
        vec![
            ("ELStatus", col("ELStatus")),
            ("IdentifiedDate", col(DATE_FIRST_ENROLLED_ESL)),
            ("DateFirstEnrolledESL", col(DATE_FIRST_ENROLLED_ESL)),
            ("ExitDate", col(LEP_EXIT_DATE)),
            ("EnglishProficiency", col(ENGLISH_PROFICIENCY)),
        ],
        "not_english_learner",
    )
}

/// Special Ed: the part of each enrollment under special-education service;
/// the same service period seen on two enrollment rows is one segment.
fn special_ed(seg: &DataFrame) -> PolarsResult<Built> {
    let rows_in = seg.height() as u64;
    let start = when(col(SPED_START_DATE).gt(col(SCHOOL_ENTRY_DATE)))
        .then(col(SPED_START_DATE))
        .otherwise(col(SCHOOL_ENTRY_DATE));
    let end = when(col(SPED_EXIT_DATE).is_null())
        .then(col(EXIT_DATE))
        .when(col(EXIT_DATE).is_null())
        .then(col(SPED_EXIT_DATE))
        .when(col(SPED_EXIT_DATE).lt(col(EXIT_DATE)))
        .then(col(SPED_EXIT_DATE))
        .otherwise(col(EXIT_DATE));
    let served = seg
        .clone()
        .lazy()
        .filter(flag(SPECIAL_ED_FLAG))
        .with_columns([start.alias("__start"), end.alias("__end")]);
    let flagged = count(served.clone())?;
    let ended_before = col("__end").lt(col("__start")).fill_null(lit(false));
    let served_ended_before = count(served.clone().filter(ended_before.clone()))?;
    let merged = served
        .filter(ended_before.not())
        .group_by([
            col(STATE_STUDENT_ID),
            col(YEAR_CODE),
            col(SAU_ORG_ID),
            col(SCHOOL_ORG_ID),
            col("__start"),
            col("PrimaryDisability"),
            col("SpedSettingCode"),
        ])
        .agg([
            col("__end").max(),
            col("SpedExitReasonCode")
                .sort_by([col(SOURCE_ROW)], Default::default())
                .last(),
            col(SOURCE_FILE)
                .sort_by([col(SOURCE_ROW)], Default::default())
                .first(),
            col(SOURCE_ROW).min(),
            len().alias("__n"),
        ]);
    let mut fields = school_fields([]);
    fields.extend([
        ("StartDate", col("__start")),
        ("EndDate", col("__end")),
        ("PrimaryDisability", col("PrimaryDisability")),
        ("Setting", col("SpedSettingCode")),
        ("ExitReason", col("SpedExitReasonCode")),
    ]);
    let df = shape(
        merged,
        &SPECIAL_ED,
        crate::schema::STUDENT_ENROLLMENT.name,
        fields,
        col(YEAR_CODE),
        col(SAU_ORG_ID),
    )?;
    let mut r = report(&SPECIAL_ED, rows_in, df.height() as u64);
    r.merged = flagged - served_ended_before - df.height() as u64;
    exclude(
        &mut r,
        "no_special_education",
        seg.height() as u64 - flagged,
    );
    exclude(
        &mut r,
        "service_ended_before_enrollment",
        served_ended_before,
    );
    Ok(Built {
        name: SPECIAL_ED.name,
        frame: df,
        report: r,
    })
}

/// An upload with one row per source row of `entity`.
fn one_row_each(
    rows: &DataFrame,
    upload: &'static Upload,
    entity: &str,
    fields: Vec<(&'static str, Expr)>,
) -> PolarsResult<Built> {
    let df = shape(
        rows.clone().lazy(),
        upload,
        entity,
        fields,
        col(YEAR_CODE),
        col(SAU_ORG_ID),
    )?;
    Ok(Built {
        name: upload.name,
        report: report(upload, rows.height() as u64, df.height() as u64),
        frame: df,
    })
}

/// CTE programs, one row each.
fn cte(c: &DataFrame) -> PolarsResult<Built> {
    let fields = school_fields([
        ("CIPCode", col("CTECode")),
        ("ProgramStartDate", col(PROGRAM_START_DATE)),
        ("ProgramEndDate", col(PROGRAM_END_DATE)),
        ("ExitStatus", col("CTEExitStatusCode")),
        ("CreditBearing", flag(CREDIT_BEARING)),
    ]);
    one_row_each(c, &CTE_UPLOAD, crate::schema::CTE.name, fields)
}

/// Behavior: offenders of reportable events only.
fn behavior(b: &DataFrame) -> PolarsResult<Built> {
    let offender = col(ROLE_CODE).eq(lit("O")).fill_null(lit(false));
    let reportable = flag("BehaviorEvent_reportable").or(flag("Resolution_removal"));
    let not_offender = count(b.clone().lazy().filter(offender.clone().not()))?;
    let fields = school_fields([
        ("IncidentID", text(INCIDENT_ID)),
        ("IncidentDate", col(EVENT_DATE)),
        ("IncidentTime", col(EVENT_TIME)),
        ("EventCode", col("BehaviorEvent")),
        ("WeaponType", col("WeaponType")),
        ("SeriousBodilyInjury", flag(SERIOUS_BODILY_INJURY)),
        ("ResolutionCode", col("Resolution")),
        ("ResolutionDate", col(RESOLUTION_DATE)),
        ("Duration", decimal_text(DURATION)),
    ]);
    let df = shape(
        b.clone().lazy().filter(offender.and(reportable)),
        &BEHAVIOR_UPLOAD,
        crate::schema::BEHAVIOR.name,
        fields,
        col(YEAR_CODE),
        col(SAU_ORG_ID),
    )?;
    let n = b.height() as u64;
    let mut r = report(&BEHAVIOR_UPLOAD, n, df.height() as u64);
    exclude(&mut r, "not_offender", not_offender);
    exclude(
        &mut r,
        "not_reportable",
        n - not_offender - df.height() as u64,
    );
    Ok(Built {
        name: BEHAVIOR_UPLOAD.name,
        frame: df,
        report: r,
    })
}

/// Truancy steps, one row each.
fn truancy(t: &DataFrame) -> PolarsResult<Built> {
    let fields = school_fields([
        ("TruancyStep", col("TruancyStep")),
        ("StepDate", col(STATUS_DATE)),
    ]);
    one_row_each(t, &TRUANCY_UPLOAD, crate::schema::TRUANCY.name, fields)
}

/// Attendance: no legacy source, so an empty frame.
fn attendance() -> PolarsResult<Built> {
    Ok(Built {
        name: ATTENDANCE.name,
        frame: empty(&ATTENDANCE)?,
        report: report(&ATTENDANCE, 0, 0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    const CONFIG_EXIT: &str = "X9";
    const CONFIG_ENTRY: &str = "E9";

    #[test]
    fn rows_ordered_on_numbers_come_in_polars_stable_sort_order_of_the_keys() {
        // Special Ed's keys: year, SAU, student, school, source row, two
        // dates; many ties, nulls in each, negative numbers, text that
        // orders otherwise than as numbers.
        let mut random = crate::lcg(11);
        let mut next = |m: u64| random() % m;
        let n = 5_000;
        let pick = |k: u64, words: &[&'static str]| -> Option<&'static str> {
            (k != 0).then(|| words[k as usize % words.len()])
        };
        let mut years = Vec::new();
        let (mut saus, mut ids, mut schools) = (Vec::new(), Vec::new(), Vec::new());
        let (mut rows, mut starts, mut ends, mut tags) = (vec![], vec![], vec![], vec![]);
        for i in 0..n {
            years.push((next(6) != 0).then(|| 2015 + next(3) as i32));
            saus.push(pick(next(5), &["100", "99", "1000", "A"]));
            ids.push(pick(next(9), &["1001", "101", "1001 ", "9", "", "10010"]));
            schools.push(pick(next(4), &["200", "20", "3"]));
            rows.push((next(8) != 0).then(|| next(4) as i64 - 2));
            starts.push((next(5) != 0).then(|| next(3) as i32 - 1));
            ends.push((next(5) != 0).then(|| next(3) as i32));
            tags.push(i as i64);
        }
        let date = |name: &str, v: &[Option<i32>]| {
            Column::new(name.into(), v).cast(&DataType::Date).unwrap()
        };
        let df = DataFrame::new(
            n,
            vec![
                Column::new(UPLOAD_YEAR.into(), &years),
                Column::new(UPLOAD_SAU.into(), &saus),
                Column::new("StateStudentID".into(), &ids),
                Column::new("SchoolID".into(), &schools),
                Column::new(SOURCE_ROW.into(), &rows),
                date("StartDate", &starts),
                date("EndDate", &ends),
                Column::new("tag".into(), &tags),
            ],
        )
        .unwrap();
        let keys: Vec<Expr> = sort_keys(&SPECIAL_ED).into_iter().map(col).collect();
        assert_eq!(keys.len(), 7);
        let by_polars = df
            .clone()
            .lazy()
            .sort_by_exprs(
                keys,
                SortMultipleOptions::default()
                    .with_nulls_last(true)
                    .with_maintain_order(true),
            )
            .collect()
            .unwrap();
        let (order, id_ranks) = upload_order(&df, &SPECIAL_ED).unwrap();
        let ours = df.take(&order).unwrap();
        assert!(ours.equals_missing(&by_polars));
        // StateStudentID's ranks, those pre-flight would make of the rows.
        let text = |df: &DataFrame| df.column("StateStudentID").unwrap().str().unwrap().clone();
        assert_eq!(id_ranks, Some(crate::preflight::text_ranks(&text(&df))));
        assert_eq!(
            ours.column("tag").unwrap(),
            by_polars.column("tag").unwrap()
        );
    }

    #[test]
    fn shaped_rows_come_with_their_students_ranks_in_their_new_order() {
        // Two SAUs, read in the other order; a blank student.
        let rows = df!(
            SOURCE_FILE => ["e.csv"; 5],
            SOURCE_ROW => [2i64, 3, 4, 5, 6],
            "y" => [2016i32; 5],
            "s" => ["B", "A", "B", "A", "A"],
            "id" => [Some("30"), Some("4"), None, Some("30"), Some("200")],
        )
        .unwrap();
        let exprs = vec![("StateStudentID", col("id"))];
        let (df, ids) =
            shape_ranked(rows.lazy(), &SPECIAL_ED, "x", exprs, col("y"), col("s")).unwrap();
        let students = df.column("StateStudentID").unwrap().str().unwrap().clone();
        let students: Vec<Option<&str>> = students.iter().collect();
        assert_eq!(
            students,
            [Some("200"), Some("30"), Some("4"), Some("30"), None]
        );
        // "200" < "30" < "4" as text; 0 the blank.
        assert_eq!(ids, Some(vec![1, 2, 3, 2, 0]));
    }

    #[test]
    fn dense_ranks_are_each_value_s_place_among_the_distinct_values() {
        // Naive: each value's place in the sorted distinct values.
        let naive = |values: &[u64]| -> Vec<u32> {
            let mut distinct = values.to_vec();
            distinct.sort_unstable();
            distinct.dedup();
            values
                .iter()
                .map(|v| distinct.binary_search(v).unwrap() as u32)
                .collect()
        };
        let mut random = crate::lcg(5);
        let mut next = |m: u64| random() % m;
        // Many distinct values (searched), few (looked up), values
        // that are ranks already (kept), and ones that are not quite.
        let many: Vec<u64> = (0..200_000).map(|_| next(150_000) << 40).collect();
        let few: Vec<u64> = (0..10_000).map(|_| u64::MAX - next(300)).collect();
        let own: Vec<u64> = (0..10_000).map(|i| (i * 7) % 1000).collect();
        let gap: Vec<u64> = (0..10_000).map(|i| 1 + (i * 7) % 1000).collect();
        for values in [many, few, own, gap, vec![], vec![3, 3, 0]] {
            assert_eq!(dense(values.clone()), naive(&values));
        }
    }

    fn config() -> ConformConfig {
        ConformConfig {
            split_exit_code: CONFIG_EXIT.to_string(),
            split_entry_code: CONFIG_ENTRY.to_string(),
        }
    }

    /// A date column from `YYYY-MM-DD` texts.
    fn dates(name: &str, values: &[Option<&str>]) -> Column {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        let days: Vec<Option<i32>> = values
            .iter()
            .map(|v| {
                v.map(|s| {
                    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
                    (d - epoch).num_days() as i32
                })
            })
            .collect();
        Column::from(
            Series::new(name.into(), days)
                .cast(&DataType::Date)
                .unwrap(),
        )
    }

    fn texts(name: &str, values: &[Option<&str>]) -> Column {
        Column::new(name.into(), values)
    }

    fn flags(name: &str, values: &[bool]) -> Column {
        Column::new(name.into(), values)
    }

    /// A frame of `columns`, every column of `all` it lacks added as nulls.
    fn frame(columns: Vec<Column>, all: &[(&str, DataType)]) -> DataFrame {
        let n = columns[0].len();
        let mut df = DataFrame::new(n, columns).unwrap();
        for (name, dtype) in all {
            if df.column(name).is_err() {
                df.with_column(Column::full_null((*name).into(), n, dtype))
                    .unwrap();
            }
        }
        df
    }

    /// The provenance and placement columns every source frame has.
    fn placed(n: usize) -> Vec<Column> {
        vec![
            Column::new(SOURCE_FILE.into(), vec!["x.csv"; n]),
            Column::new(SOURCE_ROW.into(), (1..=n as i64).collect::<Vec<_>>()),
            Column::new(YEAR_CODE.into(), vec![2024i32; n]),
            Column::new(SAU_ORG_ID.into(), vec!["100"; n]),
            Column::new(SCHOOL_ORG_ID.into(), vec!["200"; n]),
        ]
    }

    /// Every column conform reads from an enrollment row.
    fn enrollment_columns() -> Vec<(&'static str, DataType)> {
        let mut all: Vec<(&str, DataType)> = [
            STATE_STUDENT_ID,
            SCHOOL_ID,
            ACTION,
            "EntryCode",
            "ExitCode",
            RESIDENT_SAU_ORG_ID,
            SCHOOL_STUDENT_ID,
            "GradeLevel",
            ENROLLMENT_TYPE_CODE,
            "FiscalResponsibilityCode",
            HOMELESS_CODE,
            "EconomicStatus",
            "ELStatus",
            ENGLISH_PROFICIENCY,
            "PrimaryDisability",
            "SpedSettingCode",
            "SpedExitReasonCode",
        ]
        .into_iter()
        .map(|c| (c, DataType::String))
        .collect();
        for c in [
            SCHOOL_ENTRY_DATE,
            EXIT_DATE,
            EFFECTIVE_DATE,
            DATE_FIRST_ENROLLED_ESL,
            LEP_EXIT_DATE,
            SPED_START_DATE,
            SPED_EXIT_DATE,
        ] {
            all.push((c, DataType::Date));
        }
        for c in [
            SECTION_504_FLAG,
            MIGRANT_FLAG,
            REFUGEE_FLAG,
            STATE_AGENCY_CLIENT_FLAG,
            GIFTED_TALENTED_ACADEMIC,
            GIFTED_TALENTED_ARTISTIC,
            ALTERNATIVE_EDUCATION,
            FOREIGN_EXCHANGE,
            HOME_SCHOOLED,
            SPECIAL_ED_FLAG,
        ] {
            all.push((c, DataType::Boolean));
        }
        all.push((SAU_PERCENTAGE, DataType::Float64));
        all
    }

    /// Every column conform reads from a student row.
    fn student_columns() -> Vec<(&'static str, DataType)> {
        let mut all: Vec<(&str, DataType)> = [
            STUDENT_KEY,
            LAST_NAME,
            FIRST_NAME,
            MIDDLE_NAME,
            SUFFIX,
            GENDER,
            RACE_DETERMINATION,
            HOME_PRIMARY_LANGUAGE,
        ]
        .into_iter()
        .map(|c| (c, DataType::String))
        .collect();
        all.extend([
            (BIRTH_DATE, DataType::Date),
            (US_SCHOOL_DATE, DataType::Date),
            (IMMIGRANT_FLAG, DataType::Boolean),
            (NEEDS_NEW_STATE_ID, DataType::Boolean),
        ]);
        all
    }

    /// Every column conform reads from a behavior row.
    fn behavior_columns() -> Vec<(&'static str, DataType)> {
        let mut all: Vec<(&str, DataType)> = [
            STATE_STUDENT_ID,
            INCIDENT_ID,
            EVENT_TIME,
            "BehaviorEvent",
            "WeaponType",
            "Resolution",
            ROLE_CODE,
        ]
        .into_iter()
        .map(|c| (c, DataType::String))
        .collect();
        all.extend([
            (EVENT_DATE, DataType::Date),
            (RESOLUTION_DATE, DataType::Date),
            (SERIOUS_BODILY_INJURY, DataType::Boolean),
            ("BehaviorEvent_reportable", DataType::Boolean),
            ("Resolution_removal", DataType::Boolean),
            (DURATION, DataType::Float64),
        ]);
        all
    }

    /// An enrollment frame: the placement columns, `columns`, nulls for the rest.
    fn enrollments(columns: Vec<Column>) -> DataFrame {
        let mut all = placed(columns[0].len());
        all.extend(columns);
        frame(all, &enrollment_columns())
    }

    /// The frame and report of upload `name`; every report balances.
    fn conformed<'a>(out: &'a Conformed, name: &str) -> (&'a DataFrame, &'a StageReport) {
        for r in &out.reports {
            assert!(r.balanced(), "{} does not balance: {r:?}", r.entity);
        }
        let i = out.uploads.iter().position(|(n, _)| *n == name).unwrap();
        (&out.uploads[i].1, &out.reports[i])
    }

    fn assert_frame(got: &DataFrame, columns: &[&str], want: Vec<Column>) {
        let got = got.select(columns.iter().copied()).unwrap();
        let want = DataFrame::new(want[0].len(), want).unwrap();
        assert!(got.equals_missing(&want), "got\n{got}\nwant\n{want}");
    }

    fn counts(map: &std::collections::BTreeMap<String, u64>) -> Vec<(&str, u64)> {
        map.iter().map(|(k, v)| (k.as_str(), *v)).collect()
    }

    /// (case, Action, EffectiveDate, ExitDate of the first row) and the
    /// expected (EntryDate, EntryCode, ExitDate, ExitCode) of both rows.
    type SplitCase = (
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        [(
            &'static str,
            &'static str,
            Option<&'static str>,
            &'static str,
        ); 2],
        u64,
    );

    /// [`split`] as it was before only its keys were sorted: the whole
    /// frame sorted, shifted and sorted back by source row.
    fn old_split(e: &DataFrame, config: &ConformConfig) -> PolarsResult<DataFrame> {
        let effective = effective_change();
        let keys = ENROLLMENT_KEYS;
        let same = same_enrollment;
        let mut order: Vec<&str> = keys.to_vec();
        order.extend(["__start", SOURCE_ROW]);
        let out = e
            .clone()
            .lazy()
            .with_column(
                when(effective)
                    .then(col(EFFECTIVE_DATE))
                    .otherwise(col(SCHOOL_ENTRY_DATE))
                    .alias("__start"),
            )
            .sort(
                order,
                SortMultipleOptions::default().with_maintain_order(true),
            )
            .with_columns([
                when(same(-1))
                    .then(col("__start").shift(lit(-1)))
                    .otherwise(lit(NULL).cast(DataType::Date))
                    .alias("__next"),
                when(same(1))
                    .then(col("__start").shift(lit(1)))
                    .otherwise(lit(NULL).cast(DataType::Date))
                    .alias("__prev"),
            ])
            .with_columns([
                col("__next")
                    .gt(col("__start"))
                    .fill_null(lit(false))
                    .alias(SPLIT_CUT),
                col("__prev")
                    .lt(col("__start"))
                    .fill_null(lit(false))
                    .alias("__changed"),
            ])
            .with_columns([
                when(col("__changed"))
                    .then(col("__start"))
                    .otherwise(col(SCHOOL_ENTRY_DATE))
                    .alias(SCHOOL_ENTRY_DATE),
                when(col("__changed"))
                    .then(lit(config.split_entry_code.clone()))
                    .otherwise(col("EntryCode"))
                    .alias("EntryCode"),
                when(col(SPLIT_CUT))
                    .then(day_before("__next"))
                    .otherwise(col(EXIT_DATE))
                    .alias(EXIT_DATE),
                when(col(SPLIT_CUT))
                    .then(lit(config.split_exit_code.clone()))
                    .otherwise(col("ExitCode"))
                    .alias("ExitCode"),
            ])
            .sort([SOURCE_ROW], SortMultipleOptions::default())
            .drop(Selector::ByName {
                names: ["__start", "__next", "__prev", "__changed"]
                    .map(PlSmallStr::from)
                    .into(),
                strict: true,
            })
            .collect()?;
        Ok(out)
    }

    /// Enrollment rows with every case of a split: a row and two changes
    /// (one on the same date twice), a change after the exit (none), rows
    /// without a student or an entry date, a change alone, another year;
    /// source rows out of order.
    fn split_cases() -> DataFrame {
        type Row = (
            Option<&'static str>,
            &'static str,
            i32,
            Option<&'static str>,
            Option<&'static str>,
            Option<&'static str>,
            Option<&'static str>,
            i64,
        );
        let rows: [Row; 12] = [
            (
                Some("1001"),
                "7",
                2024,
                Some("2023-09-01"),
                None,
                None,
                None,
                5,
            ),
            (
                Some("1001"),
                "7",
                2024,
                Some("2023-09-01"),
                None,
                Some("S"),
                Some("2024-01-15"),
                3,
            ),
            (
                Some("1001"),
                "7",
                2024,
                Some("2023-09-01"),
                None,
                Some("S"),
                Some("2024-03-01"),
                9,
            ),
            (
                Some("1002"),
                "7",
                2024,
                Some("2023-09-01"),
                Some("2024-02-01"),
                Some("S"),
                Some("2024-03-01"),
                1,
            ),
            (
                Some("1002"),
                "7",
                2024,
                Some("2023-09-01"),
                Some("2024-02-01"),
                None,
                None,
                2,
            ),
            (
                None,
                "7",
                2024,
                Some("2023-09-01"),
                None,
                Some("S"),
                Some("2024-01-15"),
                4,
            ),
            (None, "7", 2024, Some("2023-09-01"), None, None, None, 6),
            (
                Some("1003"),
                "8",
                2024,
                Some("2023-09-01"),
                None,
                Some("S"),
                Some("2023-10-01"),
                7,
            ),
            (
                Some("1003"),
                "8",
                2023,
                Some("2023-09-01"),
                None,
                Some("S"),
                Some("2023-10-01"),
                8,
            ),
            (
                Some("1004"),
                "9",
                2024,
                None,
                None,
                Some("S"),
                Some("2024-01-01"),
                10,
            ),
            (Some("1004"), "9", 2024, None, None, None, None, 11),
            (
                Some("1001"),
                "7",
                2024,
                Some("2023-09-01"),
                None,
                Some("S"),
                Some("2024-01-15"),
                12,
            ),
        ];
        let mut e = enrollments(vec![
            texts(STATE_STUDENT_ID, &rows.map(|r| r.0)),
            texts(SCHOOL_ID, &rows.map(|r| Some(r.1))),
            dates(SCHOOL_ENTRY_DATE, &rows.map(|r| r.3)),
            dates(EXIT_DATE, &rows.map(|r| r.4)),
            texts(ACTION, &rows.map(|r| r.5)),
            dates(EFFECTIVE_DATE, &rows.map(|r| r.6)),
            texts("EntryCode", &[Some("E1"); 12]),
            texts("ExitCode", &[Some("W1"); 12]),
        ]);
        e.with_column(Column::new(YEAR_CODE.into(), rows.map(|r| r.2)))
            .unwrap();
        e.with_column(Column::new(SOURCE_ROW.into(), rows.map(|r| r.7)))
            .unwrap();
        e
    }

    #[test]
    fn split_on_the_keys_alone_matches_the_whole_frame_sort() {
        let e = split_cases();
        let in_order = e.sort([SOURCE_ROW], Default::default()).unwrap();
        for e in [e, in_order] {
            let new = split(&e, &config()).unwrap();
            let old = old_split(&e, &config()).unwrap();
            assert!(new.equals_missing(&old), "new\n{new}\nold\n{old}");
            // Not a vacuous match: two rows are cut, two enter at a change
            // (the second change on the same date is no change).
            let cut = new.column(SPLIT_CUT).unwrap().bool().unwrap().sum();
            let entry = new.column("EntryCode").unwrap().str().unwrap().clone();
            let changed = entry.iter().filter(|c| *c == Some(CONFIG_ENTRY)).count();
            assert_eq!((cut, changed), (Some(2), 2));
        }
    }

    #[test]
    fn an_enrollment_is_split_at_an_action_s_effective_date() {
        let cases: [SplitCase; 3] = [
            (
                "Action S mid-year: exit the day before, enter on the date",
                Some("S"),
                Some("2024-01-15"),
                [
                    ("2023-09-01", "E1", Some("2024-01-14"), CONFIG_EXIT),
                    ("2024-01-15", CONFIG_ENTRY, None, ""),
                ],
                1,
            ),
            (
                "Action A: no split",
                Some("A"),
                Some("2024-01-15"),
                [
                    ("2023-09-01", "E1", None, ""),
                    ("2023-09-01", "E1", None, ""),
                ],
                0,
            ),
            (
                "Action S on the entry date: no split",
                Some("S"),
                Some("2023-09-01"),
                [
                    ("2023-09-01", "E1", None, ""),
                    ("2023-09-01", "E1", None, ""),
                ],
                0,
            ),
        ];
        for (case, action, effective, want, cut) in cases {
            let e = enrollments(vec![
                texts(STATE_STUDENT_ID, &[Some("1001"), Some("1001")]),
                texts(SCHOOL_ID, &[Some("7"), Some("7")]),
                texts(ENROLLMENT_TYPE_CODE, &[Some("P"), Some("P")]),
                dates(SCHOOL_ENTRY_DATE, &[Some("2023-09-01"), Some("2023-09-01")]),
                dates(EXIT_DATE, &[None, None]),
                texts("EntryCode", &[Some("E1"), Some("E1")]),
                texts("ExitCode", &[None, None]),
                texts(ACTION, &[None, action]),
                dates(EFFECTIVE_DATE, &[None, effective]),
            ]);
            let out = run(
                Sources {
                    enrollment: Some(&e),
                    ..Default::default()
                },
                &config(),
            )
            .unwrap();
            let (df, r) = conformed(&out, STUDENT_ENROLLMENT_UPLOAD.name);
            let code = |s: &'static str| if s.is_empty() { None } else { Some(s) };
            assert_frame(
                df,
                &["EntryDate", "EntryCode", "ExitDate", "ExitCode"],
                vec![
                    dates("EntryDate", &[Some(want[0].0), Some(want[1].0)]),
                    texts("EntryCode", &[Some(want[0].1), Some(want[1].1)]),
                    dates("ExitDate", &[want[0].2, want[1].2]),
                    texts("ExitCode", &[code(want[0].3), code(want[1].3)]),
                ],
            );
            assert_eq!((r.rows_in, r.rows_out), (2, 2), "{case}");
            let note = format!(
                "{cut} enrollments end the day before a change of status (Action S) and continue in the next row"
            );
            let want_notes = if cut > 0 { vec![note] } else { vec![] };
            assert_eq!(r.notes, want_notes, "{case}");
        }
    }

    #[test]
    fn student_personal_is_one_row_per_sau_and_school_year() {
        let students = frame(
            vec![
                texts(SOURCE_FILE, &[Some("p.csv"); 3]),
                Column::new(SOURCE_ROW.into(), [1i64, 2, 3]),
                texts(STUDENT_KEY, &[Some("1001"), Some("1002"), Some("1003")]),
                flags(NEEDS_NEW_STATE_ID, &[false, false, false]),
            ],
            &student_columns(),
        );
        // 1001: two schools of SAU 100 and one of SAU 300 in 2024; 1002: SAU
        // 100 in 2023 and 2024; 1003: never enrolled.
        let mut e = enrollments(vec![texts(
            STATE_STUDENT_ID,
            &[
                Some("1001"),
                Some("1001"),
                Some("1001"),
                Some("1002"),
                Some("1002"),
            ],
        )]);
        e.with_column(Column::new(
            SAU_ORG_ID.into(),
            ["100", "100", "300", "100", "100"],
        ))
        .unwrap();
        e.with_column(Column::new(
            SCHOOL_ORG_ID.into(),
            ["200", "201", "301", "200", "200"],
        ))
        .unwrap();
        e.with_column(Column::new(
            YEAR_CODE.into(),
            [2024i32, 2024, 2024, 2023, 2024],
        ))
        .unwrap();
        let out = run(
            Sources {
                students: Some(&students),
                enrollment: Some(&e),
                ..Default::default()
            },
            &config(),
        )
        .unwrap();
        let (df, r) = conformed(&out, STUDENT_PERSONAL_UPLOAD.name);
        assert_frame(
            df,
            &[UPLOAD_YEAR, "SAUID", "StateStudentID"],
            vec![
                Column::new(UPLOAD_YEAR.into(), [2023i32, 2024, 2024, 2024]),
                texts(
                    "SAUID",
                    &[Some("100"), Some("100"), Some("100"), Some("300")],
                ),
                texts(
                    "StateStudentID",
                    &[Some("1002"), Some("1001"), Some("1002"), Some("1001")],
                ),
            ],
        );
        assert_eq!((r.rows_in, r.rows_out), (3, 4));
        assert_eq!(counts(&r.added), [("one_row_per_sau_and_year", 2)]);
        assert_eq!(counts(&r.excluded), [("no_enrollment", 1)]);
        // A school year at a time (publish's way), each year's rows numbered
        // on from the last: the rows of the whole upload.
        let mut years = DataFrame::empty();
        for year in [2023, 2024] {
            let of_year = e
                .clone()
                .lazy()
                .filter(enrollment_year().eq(lit(year)))
                .collect()
                .unwrap();
            let students = restrict(
                &students,
                &declared(&STUDENT_PERSONAL_UPLOAD, Source::Students),
            )
            .unwrap();
            let rows =
                student_personal_rows(&students, &of_year, years.height() as IdxSize).unwrap();
            years = if years.width() == 0 {
                rows
            } else {
                years.vstack(&rows).unwrap()
            };
        }
        assert!(years.equals_missing(df), "{years}\n{df}");
        assert_eq!(
            student_personal_report(3, 4, 2),
            *r,
            "the report of the rows counted a year at a time"
        );
    }

    #[test]
    fn frm_comes_from_primary_enrollments_with_an_economic_status() {
        let e = enrollments(vec![
            texts(
                STATE_STUDENT_ID,
                &[Some("1001"), Some("1002"), Some("1003"), Some("1004")],
            ),
            texts(
                ENROLLMENT_TYPE_CODE,
                &[Some("P"), Some("P"), Some("S"), Some("P")],
            ),
            texts("EconomicStatus", &[Some("F"), None, Some("F"), Some("R")]),
            dates(
                SCHOOL_ENTRY_DATE,
                &[
                    Some("2023-09-01"),
                    Some("2023-09-01"),
                    Some("2023-09-01"),
                    Some("2023-10-02"),
                ],
            ),
        ]);
        let out = run(
            Sources {
                enrollment: Some(&e),
                ..Default::default()
            },
            &config(),
        )
        .unwrap();
        let (df, r) = conformed(&out, FRM.name);
        assert_frame(
            df,
            &["StateStudentID", "EconomicStatus", "EligibilityStartDate"],
            vec![
                texts("StateStudentID", &[Some("1001"), Some("1004")]),
                texts("EconomicStatus", &[Some("F"), Some("R")]),
                dates(
                    "EligibilityStartDate",
                    &[Some("2023-09-01"), Some("2023-10-02")],
                ),
            ],
        );
        assert_eq!((r.rows_in, r.rows_out), (4, 2));
        assert_eq!(
            counts(&r.excluded),
            [("no_economic_status", 1), ("not_primary", 1)]
        );
    }

    #[test]
    fn special_ed_merges_the_same_service_period_seen_twice() {
        // Rows 1 and 2: two enrollments at one school under one service
        // period (same start, disability and setting): one segment. Row 3:
        // another setting. Row 4: no service. Row 5: service ended before
        // the enrollment began.
        let e = enrollments(vec![
            texts(STATE_STUDENT_ID, &[Some("1001"); 5]),
            dates(
                SCHOOL_ENTRY_DATE,
                &[
                    Some("2023-09-01"),
                    Some("2023-10-01"),
                    Some("2023-10-01"),
                    Some("2023-09-01"),
                    Some("2024-02-01"),
                ],
            ),
            flags(SPECIAL_ED_FLAG, &[true, true, true, false, true]),
            dates(
                SPED_START_DATE,
                &[
                    Some("2023-11-01"),
                    Some("2023-11-01"),
                    Some("2023-11-01"),
                    None,
                    Some("2023-01-01"),
                ],
            ),
            dates(
                SPED_EXIT_DATE,
                &[None, Some("2024-03-01"), None, None, Some("2023-06-01")],
            ),
            texts("PrimaryDisability", &[Some("AU"); 5]),
            texts(
                "SpedSettingCode",
                &[Some("S1"), Some("S1"), Some("S2"), None, Some("S1")],
            ),
        ]);
        let out = run(
            Sources {
                enrollment: Some(&e),
                ..Default::default()
            },
            &config(),
        )
        .unwrap();
        let (df, r) = conformed(&out, SPECIAL_ED.name);
        assert_frame(
            df,
            &["StartDate", "EndDate", "Setting", SOURCE_ROW],
            vec![
                dates("StartDate", &[Some("2023-11-01"), Some("2023-11-01")]),
                dates("EndDate", &[Some("2024-03-01"), None]),
                texts("Setting", &[Some("S1"), Some("S2")]),
                Column::new(SOURCE_ROW.into(), [1i64, 3]),
            ],
        );
        assert_eq!((r.rows_in, r.rows_out, r.merged), (5, 2, 1));
        assert_eq!(
            counts(&r.excluded),
            [
                ("no_special_education", 1),
                ("service_ended_before_enrollment", 1)
            ]
        );
    }

    #[test]
    fn frm_ell_and_special_ed_conformed_a_school_year_at_a_time_are_conformed_whole() {
        // Three students over two school years and a row without one: the
        // same service period seen in both years, an English learner,
        // economic statuses, a concurrent enrollment.
        let year = |y: Option<i32>| y;
        let years = [
            year(Some(2024)),
            year(Some(2023)),
            year(Some(2024)),
            year(None),
            year(Some(2023)),
            year(Some(2024)),
        ];
        let mut e = enrollments(vec![
            texts(
                STATE_STUDENT_ID,
                &[
                    Some("1002"),
                    Some("1001"),
                    Some("1001"),
                    Some("1003"),
                    Some("1002"),
                    Some("1003"),
                ],
            ),
            texts(
                ENROLLMENT_TYPE_CODE,
                &[
                    Some("P"),
                    Some("P"),
                    Some("P"),
                    Some("P"),
                    Some("S"),
                    Some("P"),
                ],
            ),
            texts(
                "EconomicStatus",
                &[Some("F"), Some("R"), None, Some("F"), Some("F"), Some("R")],
            ),
            texts(
                "ELStatus",
                &[None, Some("EL"), Some("ExitedEL"), Some("EL"), None, None],
            ),
            dates(
                SCHOOL_ENTRY_DATE,
                &[
                    Some("2023-09-01"),
                    Some("2022-09-01"),
                    Some("2023-09-05"),
                    Some("2023-01-01"),
                    Some("2022-10-01"),
                    Some("2023-09-01"),
                ],
            ),
            flags(SPECIAL_ED_FLAG, &[true, true, true, true, true, false]),
            dates(SPED_START_DATE, &[Some("2022-11-01"); 6]),
            texts("PrimaryDisability", &[Some("AU"); 6]),
            texts("SpedSettingCode", &[Some("S1"); 6]),
        ]);
        e.with_column(Column::new(YEAR_CODE.into(), years)).unwrap();
        let seg = split(&e, &config()).unwrap();
        for upload in BY_YEAR {
            let whole = build(
                upload,
                &Sources {
                    segments: Some(&seg),
                    ..Default::default()
                },
            )
            .unwrap()
            .unwrap();
            let mut frame: Option<DataFrame> = None;
            let mut report = StageReport::new(STAGE, upload.name);
            for y in [Some(2023), Some(2024), None] {
                let of_year = match y {
                    Some(y) => enrollment_year().eq(lit(y)),
                    None => enrollment_year().is_null(),
                };
                let rows = seg.clone().lazy().filter(of_year).collect().unwrap();
                let first = frame.as_ref().map_or(0, DataFrame::height) as IdxSize;
                let part = year_rows(upload, &rows, first).unwrap();
                add_report(&mut report, &part.report);
                match frame.as_mut() {
                    Some(f) => {
                        f.vstack_mut(&part.frame).unwrap();
                    }
                    None => frame = Some(part.frame),
                }
            }
            let frame = frame.unwrap();
            assert!(whole.frame.height() > 1, "{}", upload.name);
            assert!(
                frame.equals_missing(&whole.frame),
                "{}: by year\n{frame}\nwhole\n{}",
                upload.name,
                whole.frame
            );
            assert_eq!(report, whole.report, "{}", upload.name);
        }
        let not_by_year = year_rows(&STUDENT_PERSONAL_UPLOAD, &seg, 0);
        assert!(not_by_year.is_err());
    }

    #[test]
    fn behavior_keeps_offenders_of_reportable_events() {
        let mut columns = placed(5);
        columns.extend([
            texts(STATE_STUDENT_ID, &[Some("1001"); 5]),
            texts(
                INCIDENT_ID,
                &[Some("I1"), Some("I2"), Some("I3"), Some("I4"), Some("I5")],
            ),
            texts(
                ROLE_CODE,
                &[Some("O"), Some("O"), Some("O"), Some("V"), None],
            ),
            flags(
                "BehaviorEvent_reportable",
                &[true, false, false, true, true],
            ),
            flags("Resolution_removal", &[false, true, false, false, false]),
            Column::new(
                DURATION.into(),
                [Some(3.0f64), Some(0.25), None, None, None],
            ),
        ]);
        let b = frame(columns, &behavior_columns());
        let out = run(
            Sources {
                behavior: Some(&b),
                ..Default::default()
            },
            &config(),
        )
        .unwrap();
        let (df, r) = conformed(&out, BEHAVIOR_UPLOAD.name);
        assert_frame(
            df,
            &["IncidentID", "Duration"],
            vec![
                texts("IncidentID", &[Some("I1"), Some("I2")]),
                texts("Duration", &[Some("3"), Some("0.25")]),
            ],
        );
        assert_eq!((r.rows_in, r.rows_out), (5, 2));
        assert_eq!(
            counts(&r.excluded),
            [("not_offender", 2), ("not_reportable", 1)]
        );
    }

    #[test]
    fn new_state_id_rows_carry_the_enrollment_their_local_number_ties_them_to() {
        // NEW-1's number L1 is on enrollments without an ID in one SAU only
        // (an enrollment with an ID elsewhere does not count): tied to the
        // latest. L2 is in two SAUs, L3 is claimed by two students, NEW-5
        // has no number, CONFLICT-6's L6 is another student's: not tied.
        let keys = ["NEW-1", "NEW-2", "NEW-3", "NEW-4", "NEW-5", "CONFLICT-6"];
        let students = frame(
            vec![
                texts(SOURCE_FILE, &[Some("p.csv"); 6]),
                Column::new(SOURCE_ROW.into(), (2..8i64).collect::<Vec<_>>()),
                texts(STUDENT_KEY, &keys.map(Some)),
                texts(
                    LOCAL_STUDENT_NUMBER,
                    &[
                        Some(" L1 "),
                        Some("L2"),
                        Some("L3"),
                        Some("L3"),
                        None,
                        Some("L6"),
                    ],
                ),
                flags(NEEDS_NEW_STATE_ID, &[true; 6]),
            ],
            &student_columns(),
        );
        // (state ID, local number, year, SAU, school, grade)
        type Row<'a> = (Option<&'a str>, &'a str, i32, &'a str, &'a str, &'a str);
        let rows: [Row; 7] = [
            (None, "L1", 2023, "100", "200", "4"),
            (None, "L1", 2024, "100", "201", "5"),
            (Some("000000009"), "L1", 2024, "300", "301", "5"),
            (None, "L2", 2024, "100", "200", "7"),
            (None, "L2", 2024, "300", "301", "7"),
            (None, "L3", 2024, "100", "200", "3"),
            (None, "L6", 2024, "100", "200", "3"),
        ];
        let enrollment = frame(
            vec![
                texts(SOURCE_FILE, &[Some("e.csv"); 7]),
                Column::new(SOURCE_ROW.into(), (2..9i64).collect::<Vec<_>>()),
                texts(STATE_STUDENT_ID, &rows.map(|r| r.0)),
                texts(SCHOOL_STUDENT_ID, &rows.map(|r| Some(r.1))),
                Column::new(YEAR_CODE.into(), rows.map(|r| r.2)),
                texts(SAU_ORG_ID, &rows.map(|r| Some(r.3))),
                texts(SCHOOL_ORG_ID, &rows.map(|r| Some(r.4))),
                texts("GradeLevel", &rows.map(|r| Some(r.5))),
                texts(ENROLLMENT_TYPE_CODE, &[Some("P"); 7]),
                dates(SCHOOL_ENTRY_DATE, &[Some("2023-09-01"); 7]),
            ],
            &enrollment_columns(),
        );
        let out = run(
            Sources {
                students: Some(&students),
                enrollment: Some(&enrollment),
                ..Default::default()
            },
            &config(),
        )
        .unwrap();
        let (df, r) = conformed(&out, NEW_STATE_ID.name);
        let df = df
            .sort([SOURCE_ROW], SortMultipleOptions::default())
            .unwrap();
        let text_of = |c: &str| -> Vec<Option<String>> {
            let s = df.column(c).unwrap().cast(&DataType::String).unwrap();
            let s = s.str().unwrap();
            (0..s.len()).map(|i| s.get(i).map(str::to_string)).collect()
        };
        let first = |v: &str| {
            let mut out = vec![None; 6];
            out[0] = Some(v.to_string());
            out
        };
        assert_eq!(text_of("SAUID"), first("100"));
        assert_eq!(text_of("SchoolID"), first("201"));
        assert_eq!(text_of("GradeLevel"), first("5"));
        assert_eq!(text_of(UPLOAD_YEAR), first("2024"));
        assert_eq!(text_of(UPLOAD_SAU), first("100"));
        let some = |v: &str| Some(v.to_string());
        assert_eq!(
            text_of("SchoolStudentID"),
            vec![some("L1"), some("L2"), some("L3"), some("L3"), None, None]
        );
        assert_eq!(
            r.notes,
            vec!["6 students need a New State ID: 1 tied to an enrollment without a StateStudentID by their Local Student Number (its SAU, school and grade filled in); 5 not tied (no Local Student Number, none or more than one SAU's enrollments with it, another student awaiting an ID with the same number, or a StateStudentID shared with another student), which pre-flight holds (required)".to_string()]
        );
    }

    #[test]
    fn new_state_id_lists_only_students_without_an_id() {
        let cases: [(&str, [bool; 3], Vec<i64>); 3] = [
            ("none needs one", [false, false, false], vec![]),
            ("one needs one", [false, true, false], vec![2]),
            ("all need one", [true, true, true], vec![1, 2, 3]),
        ];
        for (case, needs, want) in cases {
            let students = frame(
                vec![
                    texts(SOURCE_FILE, &[Some("p.csv"); 3]),
                    Column::new(SOURCE_ROW.into(), [1i64, 2, 3]),
                    texts(STUDENT_KEY, &[Some("NEW-1"), Some("NEW-2"), Some("NEW-3")]),
                    texts(LAST_NAME, &[Some("A"), Some("B"), Some("C")]),
                    flags(NEEDS_NEW_STATE_ID, &needs),
                ],
                &student_columns(),
            );
            let out = run(
                Sources {
                    students: Some(&students),
                    ..Default::default()
                },
                &config(),
            )
            .unwrap();
            let (df, r) = conformed(&out, NEW_STATE_ID.name);
            assert_frame(
                df,
                &[SOURCE_ROW],
                vec![Column::new(SOURCE_ROW.into(), want.clone())],
            );
            let n = want.len() as u64;
            assert_eq!((r.rows_in, r.rows_out), (3, n), "{case}");
            let excluded: Vec<(&str, u64)> = if n < 3 {
                vec![("has_state_id", 3 - n)]
            } else {
                vec![]
            };
            assert_eq!(counts(&r.excluded), excluded, "{case}");
            assert_eq!(r.notes.len(), usize::from(n > 0), "{case}");
        }
    }

    #[test]
    fn an_upload_reading_a_column_it_does_not_declare_fails() {
        let mut columns = placed(1);
        columns.push(texts(STATE_STUDENT_ID, &[Some("1001")]));
        columns.push(texts("TruancyStep", &[Some("1")]));
        columns.push(dates(STATUS_DATE, &[Some("2024-01-10")]));
        let truancy = DataFrame::new(1, columns).unwrap();
        let sources = Sources {
            truancy: Some(&truancy),
            ..Default::default()
        };
        let built = build(&TRUANCY_UPLOAD, &sources).unwrap().unwrap();
        assert_eq!(built.frame.column("StepDate").unwrap().null_count(), 0);
        // The same upload with its step date left out of what it declares.
        let undeclared = Upload {
            reads: &[
                Reads(Source::Truancy, PLACED),
                Reads(Source::Truancy, &["TruancyStep"]),
            ],
            ..TRUANCY_UPLOAD
        };
        let err = build(&undeclared, &sources).err().expect("refused");
        assert!(err.to_string().contains(STATUS_DATE), "{err}");
    }

    #[test]
    fn a_patchable_field_is_a_copy_of_a_column_that_neither_splits_places_nor_orders_rows() {
        let fields = student_enrollment_fields();
        for (source, field) in PATCHABLE {
            let (_, e) = fields.iter().find(|(n, _)| *n == field).expect(field);
            assert!(*e == col(source), "{field} is not a copy of {source}");
            assert!(
                !SPLIT_READS.contains(&source),
                "{source}: the split reads it"
            );
            assert!(!PLACED.contains(&source), "{source}: it places rows");
            let kind = STUDENT_ENROLLMENT_UPLOAD
                .fields
                .iter()
                .find(|(n, _)| *n == field);
            assert_eq!(kind.map(|(_, k)| *k), Some(FieldType::Text), "{field}");
            assert!(
                !["StateStudentID", "SchoolID"].contains(&field),
                "{field} orders rows"
            );
            assert!(declared(&STUDENT_ENROLLMENT_UPLOAD, Source::Segments).contains(&source));
        }
        assert_eq!(patchable(&STUDENT_ENROLLMENT_UPLOAD), &PATCHABLE);
        assert!(UPLOADS
            .iter()
            .filter(|u| u.name != STUDENT_ENROLLMENT_UPLOAD.name)
            .all(|u| patchable(u).is_empty()));
    }
}
