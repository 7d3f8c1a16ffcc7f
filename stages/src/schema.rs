//! The entities of an ICSE export bundle, as data: which file, which columns,
//! what type each column has, which values are required and which columns
//! hold personal information that must never reach a log, report or
//! quarantine file.
//!
//! Column names are the canonical names of `../shared/spec/icse-export.md`;
//! a real extract's own names are mapped onto them by the configuration.

use crate::columns::*;
use polars::prelude::*;

/// How a column's text is checked and typed by ingest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Free text, kept as written (trimmed).
    Text,
    /// An ICSE internal integer id.
    Integer,
    /// A StateStudentID: exactly nine digits, kept as text (leading zeros).
    StateId,
    /// A MEDMS school or SAU id: one to four digits, kept as text.
    OrgId,
    /// A four-digit year (`YearCode`, `OpenedYear`): an integer.
    Year,
    /// A date in one of the configured formats: a date.
    Date,
    /// `Y`/`N` (either case); blank means N.
    Flag,
    /// `Y`/`N` (either case); blank means "not asked" and stays null
    /// (the race flags of the two-question format).
    FlagOrBlank,
    /// A code of the named domain of the legacy code table, kept as text and
    /// checked for membership in the row's school year.
    Code(&'static str),
    /// A decimal number.
    Decimal,
    /// A time of day, `HH:MM` (24-hour), kept as text.
    Time,
    /// A code of exactly this many digits, kept as text (a town code keeps its
    /// leading zeros: `017`, never `17`).
    Digits(usize),
}

/// One column of an entity.
#[derive(Clone, Copy, Debug)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub kind: Kind,
    /// A blank value is a rejected row (when the column exists in the file).
    pub required: bool,
    /// A file without this column cannot be read at all.
    pub must_exist: bool,
    /// A blank value keeps the row and is named in its `missing_values`
    /// column (a name part or birth date: the student can still be matched
    /// on the rest).
    pub flag_blank: bool,
    /// Names, birth dates, addresses: shown as `[redacted]` in quarantine.
    pub pii: bool,
    /// The most characters the standard allows (`too_long`); `None` when the
    /// kind's own format already bounds it (ids, codes, dates, flags).
    pub max_len: Option<usize>,
}

const fn c(name: &'static str, kind: Kind) -> ColumnSpec {
    ColumnSpec {
        name,
        kind,
        required: false,
        must_exist: false,
        flag_blank: false,
        pii: false,
        max_len: None,
    }
}
const fn req(name: &'static str, kind: Kind) -> ColumnSpec {
    ColumnSpec {
        name,
        kind,
        required: true,
        must_exist: true,
        flag_blank: false,
        pii: false,
        max_len: None,
    }
}
/// A column the file must have although a value may be blank (the
/// StateStudentID that ties a row to its student).
const fn link(mut spec: ColumnSpec) -> ColumnSpec {
    spec.must_exist = true;
    spec
}
/// A column the file must have whose value may be blank, a blank flagged
/// (`missing_values`) rather than rejected: a first name, surname or birth
/// date. A student with one of them blank is still a student: identity
/// matches the row on what it has (a missing value is no evidence either
/// way), and pre-flight holds the Student Personal or New State ID row of a
/// student still missing it under `required`, as Synergy would.
const fn blank_flagged(mut spec: ColumnSpec) -> ColumnSpec {
    spec.must_exist = true;
    spec.flag_blank = true;
    spec
}
const fn max(mut spec: ColumnSpec, len: usize) -> ColumnSpec {
    spec.max_len = Some(len);
    spec
}
/// Free text the standards give no length for (names, addresses, languages):
/// a bound so a runaway field (a megabyte of one value) cannot reach an
/// upload. Not from the Department's documents: ICSE Student Data Standards
/// v1 and v2.5 (`../shared/seeds/003_...`, `002_...`) state no field lengths.
pub const FREE_TEXT_MAX: usize = 100;
const fn text(name: &'static str) -> ColumnSpec {
    max(c(name, Kind::Text), FREE_TEXT_MAX)
}
const fn pii(mut spec: ColumnSpec) -> ColumnSpec {
    spec.pii = true;
    spec
}

/// Where a row's school year comes from, for year-aware code checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YearSource {
    /// An integer `YearCode` column.
    YearColumn(&'static str),
    /// The school year (1 July to 30 June) containing a date column.
    SchoolYearOf(&'static str),
    /// No year: codes are checked for membership in any year.
    None,
}

/// One file of the bundle.
#[derive(Debug)]
pub struct EntitySpec {
    /// Entity name: snapshot and quarantine file stem.
    pub name: &'static str,
    /// Default file name in the bundle (the configuration may override it).
    pub file: &'static str,
    /// Whether a bundle without this file is an error.
    pub required_file: bool,
    pub columns: &'static [ColumnSpec],
    pub year: YearSource,
}

impl EntitySpec {
    pub fn column(&self, name: &str) -> Option<&ColumnSpec> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The columns whose blank is flagged rather than rejected, in order.
    pub fn blank_flagged(&self) -> Vec<&'static str> {
        self.columns
            .iter()
            .filter(|c| c.flag_blank)
            .map(|c| c.name)
            .collect()
    }
}

/// `missing_values` of a frame holding `columns`: the names of those that are
/// null, separated by a space; null when none is.
pub fn missing_values(columns: &[&str]) -> Expr {
    missing_values_of(columns.iter().map(|c| (*c, col(*c))).collect())
}

/// `missing_values` of named values: the names of those that are null,
/// separated by a space; null when none is.
pub fn missing_values_of(values: Vec<(&str, Expr)>) -> Expr {
    let named: Vec<Expr> = values
        .into_iter()
        .map(|(c, value)| {
            when(value.is_null())
                .then(lit(c.to_string()))
                .otherwise(lit(NULL).cast(DataType::String))
        })
        .collect();
    let joined = concat_str(named, " ", true);
    when(joined.clone().eq(lit("")))
        .then(lit(NULL).cast(DataType::String))
        .otherwise(joined)
        .alias(MISSING_VALUES)
}

pub const STUDENT_PERSONAL: EntitySpec = EntitySpec {
    name: "student_personal",
    file: "student_personal.csv",
    required_file: true,
    columns: &[
        req(PERSON_ID, Kind::Integer),
        req(IDENTITY_ID, Kind::Integer),
        c(STATE_STUDENT_ID, Kind::StateId),
        pii(blank_flagged(text(LAST_NAME))),
        pii(blank_flagged(text(FIRST_NAME))),
        pii(text(MIDDLE_NAME)),
        pii(text(SUFFIX)),
        c(GENDER, Kind::Code("gender")),
        pii(blank_flagged(c(BIRTH_DATE, Kind::Date))),
        c(RACE_ETHNICITY, Kind::Code("race_legacy")),
        c(HISPANIC_LATINO, Kind::FlagOrBlank),
        c(RACE_AMERICAN_INDIAN, Kind::FlagOrBlank),
        c(RACE_ASIAN, Kind::FlagOrBlank),
        c(RACE_BLACK, Kind::FlagOrBlank),
        c(RACE_PACIFIC_ISLANDER, Kind::FlagOrBlank),
        c(RACE_WHITE, Kind::FlagOrBlank),
        c(RACE_DETERMINATION, Kind::Code("race_determination")),
        c(IMMIGRANT_FLAG, Kind::Flag),
        c(US_SCHOOL_DATE, Kind::Date),
        text(HOME_PRIMARY_LANGUAGE),
        c(IDENTITY_EFFECTIVE_DATE, Kind::Date),
        // Optional (v2.5 line 28: "This field is not required"); the length
        // of the enrollments' SchoolStudentID.
        max(c(LOCAL_STUDENT_NUMBER, Kind::Text), 10),
    ],
    year: YearSource::SchoolYearOf(IDENTITY_EFFECTIVE_DATE),
};

pub const STUDENT_ENROLLMENT: EntitySpec = EntitySpec {
    name: "student_enrollment",
    file: "student_enrollment.csv",
    required_file: false,
    columns: &[
        req(ENROLLMENT_ID, Kind::Integer),
        req(SCHOOL_ID, Kind::OrgId),
        link(c(STATE_STUDENT_ID, Kind::StateId)),
        // `SchoolStudentID | text(0-10)`: ../shared/spec/icse-export.md line 83
        // (the standards, seeds 002 and 003, give no length).
        max(c(SCHOOL_STUDENT_ID, Kind::Text), 10),
        c(RESIDENT_SAU_ID, Kind::OrgId),
        // `ResidentTownCode | text(3)`: ../shared/spec/icse-export.md line 85.
        c(RESIDENT_TOWN_CODE, Kind::Digits(3)),
        req(ENROLLMENT_TYPE_CODE, Kind::Code("enrollment_type")),
        req(YEAR_CODE, Kind::Year),
        req(GRADE_LEVEL_CODE, Kind::Code("grade_level")),
        req(SCHOOL_ENTRY_DATE, Kind::Date),
        c(START_STATUS, Kind::Code("start_status")),
        c(EXIT_DATE, Kind::Date),
        c(EXIT_TYPE_CODE, Kind::Code("exit_type")),
        c(SCHOOL_LUNCH_ELIG, Kind::Code("school_lunch")),
        c(FISCAL_RESPONSIBILITY, Kind::Code("fiscal_responsibility")),
        c(ENGLISH_PROFICIENCY, Kind::Code("english_proficiency")),
        c(DATE_FIRST_ENROLLED_ESL, Kind::Date),
        c(LEP_EXIT_DATE, Kind::Date),
        c(SHELTERED_ENGLISH_FLAG, Kind::Flag),
        c(HERITAGE_LANGUAGE_FLAG, Kind::Flag),
        c(BILINGUAL_ED_FLAG, Kind::Flag),
        c(ESL_ONLY_FLAG, Kind::Flag),
        c(HOMELESS_CODE, Kind::Code("homeless")),
        c(MIGRANT_FLAG, Kind::Flag),
        c(TITLE_IC_MIGRANT_FLAG, Kind::Flag),
        c(SECTION_504_FLAG, Kind::Flag),
        c(REFUGEE_FLAG, Kind::Flag),
        c(STATE_AGENCY_CLIENT_FLAG, Kind::Flag),
        c(SUPPLEMENTAL_ED_SERVICES, Kind::Flag),
        c(GIFTED_TALENTED_ACADEMIC, Kind::Flag),
        c(GIFTED_TALENTED_ARTISTIC, Kind::Flag),
        c(ALTERNATIVE_EDUCATION, Kind::Flag),
        c(FOREIGN_EXCHANGE, Kind::Flag),
        c(HOME_SCHOOLED, Kind::Flag),
        c(SAU_PERCENTAGE, Kind::Code("sau_percentage")),
        c(SPECIAL_ED_FLAG, Kind::Flag),
        c(SPED_START_DATE, Kind::Date),
        c(SPED_SETTING, Kind::Code("sped_setting")),
        c(EXCEPTIONALITY, Kind::Code("exceptionality")),
        c(SPED_EXIT_DATE, Kind::Date),
        c(SPED_EXIT_REASON, Kind::Code("sped_exit_reason")),
        c(ACTION, Kind::Code("action")),
        c(EFFECTIVE_DATE, Kind::Date),
    ],
    year: YearSource::YearColumn(YEAR_CODE),
};

pub const SCHOOLS: EntitySpec = EntitySpec {
    name: "schools",
    file: "schools.csv",
    required_file: false,
    columns: &[
        req(SCHOOL_ID, Kind::OrgId),
        text(SCHOOL_NAME),
        req(SAU_ID, Kind::OrgId),
        text(SAU_NAME),
        c(OPENED_YEAR, Kind::Year),
        c(CLOSED_YEAR, Kind::Year),
    ],
    year: YearSource::None,
};

pub const MAILING_ADDRESS: EntitySpec = EntitySpec {
    name: "mailing_address",
    file: "mailing_address.csv",
    required_file: false,
    columns: &[
        req(STATE_STUDENT_ID, Kind::StateId),
        pii(text(ADDRESS)),
        pii(text(CITY)),
        text(STATE),
        pii(text(ZIP)),
    ],
    year: YearSource::None,
};

pub const BEHAVIOR: EntitySpec = EntitySpec {
    name: "behavior",
    file: "behavior.csv",
    required_file: false,
    columns: &[
        req(INCIDENT_ID, Kind::Integer),
        req(SCHOOL_ID, Kind::OrgId),
        req(YEAR_CODE, Kind::Year),
        link(c(STATE_STUDENT_ID, Kind::StateId)),
        req(EVENT_CODE, Kind::Code("behavior_event")),
        req(EVENT_DATE, Kind::Date),
        c(EVENT_TIME, Kind::Time),
        c(WEAPON_CODE, Kind::Code("weapon")),
        c(SERIOUS_BODILY_INJURY, Kind::Flag),
        req(ROLE_CODE, Kind::Code("behavior_role")),
        c(RESOLUTION_CODE, Kind::Code("resolution")),
        c(RESOLUTION_DATE, Kind::Date),
        c(RESOLUTION_TIME, Kind::Time),
        c(DURATION, Kind::Decimal),
    ],
    year: YearSource::YearColumn(YEAR_CODE),
};

pub const TRUANCY: EntitySpec = EntitySpec {
    name: "truancy",
    file: "truancy.csv",
    required_file: false,
    columns: &[
        req(TRUANCY_ID, Kind::Integer),
        req(STATE_STUDENT_ID, Kind::StateId),
        req(SCHOOL_ID, Kind::OrgId),
        req(YEAR_CODE, Kind::Year),
        req(TRUANCY_LEVEL, Kind::Code("truancy_level")),
        req(STATUS_DATE, Kind::Date),
    ],
    year: YearSource::YearColumn(YEAR_CODE),
};

pub const GRADUATION: EntitySpec = EntitySpec {
    name: "graduation",
    file: "graduation.csv",
    required_file: false,
    columns: &[
        req(STATE_STUDENT_ID, Kind::StateId),
        c(DATE_FIRST_ENTERED_9TH_GRADE, Kind::Date),
        c(NGA_COHORT_END_YEAR, Kind::Year),
        c(NCLB_COHORT_END_YEAR, Kind::Year),
    ],
    year: YearSource::None,
};

pub const CTE: EntitySpec = EntitySpec {
    name: "cte",
    file: "cte.csv",
    required_file: false,
    columns: &[
        req(STATE_STUDENT_ID, Kind::StateId),
        req(SCHOOL_ID, Kind::OrgId),
        req(YEAR_CODE, Kind::Year),
        // `CIPCode (6-digit CIP, `48.0508`)`: ../shared/spec/icse-export.md line 130.
        max(req(CIP_CODE, Kind::Text), 7),
        req(PROGRAM_START_DATE, Kind::Date),
        c(PROGRAM_END_DATE, Kind::Date),
        c(CTE_EXIT_STATUS, Kind::Code("cte_exit_status")),
        c(CREDIT_BEARING, Kind::Flag),
    ],
    year: YearSource::YearColumn(YEAR_CODE),
};

/// The entities ingest handles, in the order they are read.
pub const ENTITIES: [&EntitySpec; 8] = [
    &STUDENT_PERSONAL,
    &STUDENT_ENROLLMENT,
    &SCHOOLS,
    &MAILING_ADDRESS,
    &BEHAVIOR,
    &TRUANCY,
    &GRADUATION,
    &CTE,
];

/// The entity whose canonical name is `name`.
pub fn entity(name: &str) -> Option<&'static EntitySpec> {
    ENTITIES.iter().copied().find(|e| e.name == name)
}
