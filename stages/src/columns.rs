//! Column names, written once. Every stage and the pipeline refer to these
//! constants; a column name is never retyped as a string literal elsewhere.

/// Added by the read step to every row: the bundle file the row came from.
pub const SOURCE_FILE: &str = "source_file";
/// Added by the read step to every row: the 1-based line a person sees in a
/// text editor (the header is line 1).
pub const SOURCE_ROW: &str = "source_row";
/// Added by ingest: the school year (`YearCode` convention, the calendar year
/// in which the school year ends) a row's code-set checks were made against.
pub const SCHOOL_YEAR: &str = "school_year";
/// Added by ingest to identity rows: the columns left blank (or whose wrong
/// value ingest cleared) that a student can be matched without
/// (`LastName`, `FirstName`, `Gender`, `BirthDate`, in that order,
/// separated by a space), null when none is. Identity keeps it for the
/// student's current identity after filling a blank from the student's
/// other identities.
pub const MISSING_VALUES: &str = "missing_values";
/// Added by ingest to identity rows: the findings of a row kept with a
/// wrong value that no other identity can fill and Synergy must not
/// receive (`Column: rule`, separated by `; `), null when none. The
/// crosswalk stage adds its own; pre-flight holds the Student Personal row
/// of a student whose current identity has one (`wrong_value`).
pub const WRONG_VALUES: &str = "wrong_values";

// student_personal.csv
pub const PERSON_ID: &str = "PersonID";
pub const IDENTITY_ID: &str = "IdentityID";
pub const STATE_STUDENT_ID: &str = "StateStudentID";
pub const LAST_NAME: &str = "LastName";
pub const FIRST_NAME: &str = "FirstName";
pub const MIDDLE_NAME: &str = "MiddleName";
pub const SUFFIX: &str = "Suffix";
pub const GENDER: &str = "Gender";
pub const BIRTH_DATE: &str = "BirthDate";
pub const RACE_ETHNICITY: &str = "RaceEthnicity";
pub const HISPANIC_LATINO: &str = "HispanicLatino";
pub const RACE_AMERICAN_INDIAN: &str = "RaceAmericanIndian";
pub const RACE_ASIAN: &str = "RaceAsian";
pub const RACE_BLACK: &str = "RaceBlack";
pub const RACE_PACIFIC_ISLANDER: &str = "RacePacificIslander";
pub const RACE_WHITE: &str = "RaceWhite";
pub const RACE_DETERMINATION: &str = "RaceDetermination";
pub const IMMIGRANT_FLAG: &str = "ImmigrantFlag";
pub const US_SCHOOL_DATE: &str = "USSchoolDate";
pub const HOME_PRIMARY_LANGUAGE: &str = "HomePrimaryLanguage";
pub const IDENTITY_EFFECTIVE_DATE: &str = "IdentityEffectiveDate";
/// The person's "Local Student Number" on ICSE's Demographics page (v2.5
/// `002_e770a609831df98f.txt` line 28, v1 `003_753b922f4abe16fa.txt` line
/// 256): the local SIS's number, the enrollments' `SchoolStudentID`.
pub const LOCAL_STUDENT_NUMBER: &str = "LocalStudentNumber";

/// The five race flags of the two-question format, in the order of the spec.
pub const RACE_FLAGS: [&str; 5] = [
    RACE_AMERICAN_INDIAN,
    RACE_ASIAN,
    RACE_BLACK,
    RACE_PACIFIC_ISLANDER,
    RACE_WHITE,
];

// student_enrollment.csv
pub const ENROLLMENT_ID: &str = "EnrollmentID";
pub const SCHOOL_ID: &str = "School_ID";
pub const SCHOOL_STUDENT_ID: &str = "SchoolStudentID";
pub const RESIDENT_SAU_ID: &str = "ResidentSAU_ID";
pub const RESIDENT_TOWN_CODE: &str = "ResidentTownCode";
pub const ENROLLMENT_TYPE_CODE: &str = "EnrollmentTypeCode";
pub const YEAR_CODE: &str = "YearCode";
pub const GRADE_LEVEL_CODE: &str = "GradeLevelCode";
pub const SCHOOL_ENTRY_DATE: &str = "SchoolEntryDate";
pub const START_STATUS: &str = "StartStatus";
pub const EXIT_DATE: &str = "ExitDate";
pub const EXIT_TYPE_CODE: &str = "ExitTypeCode";
pub const SCHOOL_LUNCH_ELIG: &str = "SchoolLunchElig";
pub const FISCAL_RESPONSIBILITY: &str = "FiscalResponsibility";
pub const ENGLISH_PROFICIENCY: &str = "EnglishProficiency";
pub const DATE_FIRST_ENROLLED_ESL: &str = "DateFirstEnrolledESL";
pub const LEP_EXIT_DATE: &str = "LEPExitDate";
pub const HOMELESS_CODE: &str = "HomelessCode";
// The ESL (LEP) program types, each an identification (Y/N) in both
// standards: v2.5 `002_e770a609831df98f.txt` line 33, v1
// `003_753b922f4abe16fa.txt` lines 446-455.
/// "Sheltered English Push-in/Pull-out".
pub const SHELTERED_ENGLISH_FLAG: &str = "ShelteredEnglishFlag";
/// "Heritage Language".
pub const HERITAGE_LANGUAGE_FLAG: &str = "HeritageLanguageFlag";
/// "Bilingual Ed".
pub const BILINGUAL_ED_FLAG: &str = "BilingualEdFlag";
/// "ESL Only".
pub const ESL_ONLY_FLAG: &str = "ESLOnlyFlag";
/// The four ESL program types, in the standards' order.
pub const ESL_PROGRAM_FLAGS: [&str; 4] = [
    SHELTERED_ENGLISH_FLAG,
    HERITAGE_LANGUAGE_FLAG,
    BILINGUAL_ED_FLAG,
    ESL_ONLY_FLAG,
];
pub const MIGRANT_FLAG: &str = "MigrantFlag";
/// "Title IC-Migrant", a field of its own beside "Migrant" in both
/// standards (v2.5 line 33, v1 line 438; "Migrant" is v2.5 line 29, v1
/// line 412).
pub const TITLE_IC_MIGRANT_FLAG: &str = "TitleICMigrantFlag";
pub const SECTION_504_FLAG: &str = "Section504Flag";
pub const REFUGEE_FLAG: &str = "RefugeeFlag";
pub const STATE_AGENCY_CLIENT_FLAG: &str = "StateAgencyClientFlag";
pub const SUPPLEMENTAL_ED_SERVICES: &str = "SupplementalEdServices";
pub const GIFTED_TALENTED_ACADEMIC: &str = "GiftedTalentedAcademic";
pub const GIFTED_TALENTED_ARTISTIC: &str = "GiftedTalentedArtistic";
pub const ALTERNATIVE_EDUCATION: &str = "AlternativeEducation";
pub const FOREIGN_EXCHANGE: &str = "ForeignExchange";
pub const HOME_SCHOOLED: &str = "HomeSchooled";
pub const SAU_PERCENTAGE: &str = "SAUPercentage";
pub const SPECIAL_ED_FLAG: &str = "SpecialEdFlag";
pub const SPED_START_DATE: &str = "SpedStartDate";
pub const SPED_SETTING: &str = "SpedSetting";
pub const EXCEPTIONALITY: &str = "Exceptionality";
pub const SPED_EXIT_DATE: &str = "SpedExitDate";
pub const SPED_EXIT_REASON: &str = "SpedExitReason";
pub const ACTION: &str = "Action";
pub const EFFECTIVE_DATE: &str = "EffectiveDate";

// schools.csv
pub const SCHOOL_NAME: &str = "SchoolName";
pub const SAU_ID: &str = "SAU_ID";
pub const SAU_NAME: &str = "SAUName";
pub const OPENED_YEAR: &str = "OpenedYear";
pub const CLOSED_YEAR: &str = "ClosedYear";

// mailing_address.csv
pub const ADDRESS: &str = "Address";
pub const CITY: &str = "City";
pub const STATE: &str = "State";
pub const ZIP: &str = "Zip";

// behavior.csv
pub const INCIDENT_ID: &str = "IncidentID";
pub const EVENT_CODE: &str = "EventCode";
pub const EVENT_DATE: &str = "EventDate";
pub const EVENT_TIME: &str = "EventTime";
pub const WEAPON_CODE: &str = "WeaponCode";
pub const SERIOUS_BODILY_INJURY: &str = "SeriousBodilyInjury";
pub const ROLE_CODE: &str = "RoleCode";
pub const RESOLUTION_CODE: &str = "ResolutionCode";
pub const RESOLUTION_DATE: &str = "ResolutionDate";
pub const RESOLUTION_TIME: &str = "ResolutionTime";
pub const DURATION: &str = "Duration";
// truancy.csv
pub const TRUANCY_ID: &str = "TruancyID";
pub const TRUANCY_LEVEL: &str = "TruancyLevel";
pub const STATUS_DATE: &str = "StatusDate";
// graduation.csv
pub const DATE_FIRST_ENTERED_9TH_GRADE: &str = "DateFirstEntered9thGrade";
pub const NGA_COHORT_END_YEAR: &str = "NGACohortEndYear";
pub const NCLB_COHORT_END_YEAR: &str = "NCLBCohortEndYear";
// cte.csv
pub const CIP_CODE: &str = "CIPCode";
pub const PROGRAM_START_DATE: &str = "ProgramStartDate";
pub const PROGRAM_END_DATE: &str = "ProgramEndDate";
pub const CTE_EXIT_STATUS: &str = "CTEExitStatus";
pub const CREDIT_BEARING: &str = "CreditBearing";
// quarantine files
pub const Q_COLUMN: &str = "column";
pub const Q_VALUE: &str = "value";
pub const Q_RULE: &str = "rule";
pub const Q_MESSAGE: &str = "message";
/// The quarantine file's columns, in order.
pub const QUARANTINE_COLUMNS: [&str; 6] = [
    SOURCE_FILE,
    SOURCE_ROW,
    Q_COLUMN,
    Q_VALUE,
    Q_RULE,
    Q_MESSAGE,
];
