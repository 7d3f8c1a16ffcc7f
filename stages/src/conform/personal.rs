//! Student Personal's rows gathered from the students shaped once
//! ([`PersonalStudents`]), when each student is one row of the students:
//! a school year's rows are its places (student, school year, SAU; each
//! once) in the upload's order, each with its student's row. The same
//! rows as [`super::student_personal_rows`] makes by joining the places
//! with the students, ordering the joined rows and joining them with the
//! students' `wrong_values` again: with one row a student the places'
//! order (school year, SAU, student) is the whole order, no two rows tied,
//! and a row's `wrong_values` is its own student's.

use super::*;
use crate::preflight::text_ranks;

/// The students, each shaped once into the columns of its Student
/// Personal rows but the place's (school year, SAU), and each student
/// key's row.
pub struct PersonalStudents {
    /// Provenance, the student's fields and `wrong_values`, a row a student.
    shaped: DataFrame,
    /// Each student key's row of `shaped`.
    rows: PlHashMap<String, IdxSize>,
    /// Each row's key among the keys in text order (1 the least).
    ranks: Vec<u32>,
}

/// The places of some enrollment rows (student, school year, SAU, each
/// once) whose student is one of the students, in the upload's order.
pub struct Places {
    years: Vec<Option<i32>>,
    /// Each place's SAU: its index in `saus`.
    sau: Vec<Option<IdxSize>>,
    /// Each place's student: its row of [`PersonalStudents::shaped`].
    student: Vec<IdxSize>,
    /// The SAUs of the places.
    saus: Series,
}

impl Places {
    /// How many places (rows of the upload).
    pub fn len(&self) -> usize {
        self.student.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.student.is_empty()
    }

    /// Each place's student: its row of the students.
    pub fn students(&self) -> &[IdxSize] {
        &self.student
    }
}

impl PersonalStudents {
    /// `students` (the columns the upload declares) shaped; `None` when a
    /// student key is on two rows, a source row (file and row) on two
    /// rows, or the key is not text (then the rows are made by joins,
    /// [`super::student_personal_rows`]).
    pub fn new(students: &DataFrame) -> PolarsResult<Option<PersonalStudents>> {
        let keys = students.column(STUDENT_KEY)?.as_materialized_series();
        if keys.dtype() != &DataType::String || !unique_source_rows(students)? {
            return Ok(None);
        }
        let keys = keys.str()?.rechunk();
        let mut rows: PlHashMap<String, IdxSize> = PlHashMap::default();
        rows.reserve(keys.len());
        for (i, k) in keys.iter().enumerate() {
            if let Some(k) = k {
                if rows.insert(k.to_string(), i as IdxSize).is_some() {
                    return Ok(None);
                }
            }
        }
        let ranks = text_ranks(&keys);
        let wrong = if students.column(WRONG_VALUES).is_ok() {
            // A row without its source file or row met no row in the join.
            when(
                col(SOURCE_FILE)
                    .is_not_null()
                    .and(col(SOURCE_ROW).is_not_null()),
            )
            .then(col(WRONG_VALUES))
            .otherwise(lit(NULL).cast(DataType::String))
        } else {
            lit(NULL).cast(DataType::String)
        };
        let exprs = personal_exprs(students);
        let select: Vec<Expr> = [
            lit(crate::schema::STUDENT_PERSONAL.name.to_string()).alias(SOURCE_ENTITY),
            col(SOURCE_FILE),
            col(SOURCE_ROW),
        ]
        .into_iter()
        .chain(
            STUDENT_PERSONAL_UPLOAD
                .fields
                .iter()
                .filter(|(n, _)| *n != "SAUID")
                .map(|f| field_expr(f, &exprs)),
        )
        .chain([wrong.alias(WRONG_VALUES)])
        .collect();
        let shaped = students.clone().lazy().select(select).collect()?;
        Ok(Some(PersonalStudents {
            shaped,
            rows,
            ranks,
        }))
    }

    /// How many students.
    pub fn height(&self) -> usize {
        self.shaped.height()
    }

    /// The places of `enrollment`'s rows with a StateStudentID that the
    /// students have, each once, in the upload's order (school year, SAU,
    /// StateStudentID; nulls last); `None` when the enrollment rows' year
    /// is not a number or their IDs and SAUs not text (then joins).
    pub fn places(&self, enrollment: &DataFrame) -> PolarsResult<Option<Places>> {
        let (ids, years, saus) = (
            enrollment.column(STATE_STUDENT_ID)?,
            enrollment.column(YEAR_CODE)?,
            enrollment.column(SAU_ORG_ID)?,
        );
        if ids.dtype() != &DataType::String
            || years.dtype() != &DataType::Int32
            || saus.dtype() != &DataType::String
        {
            return Ok(None);
        }
        let ids = ids.str()?.rechunk();
        let years = years.i32()?.rechunk();
        let saus = saus.str()?.rechunk();
        let sau_ranks = text_ranks(&saus);
        // The SAUs by rank (rank r at r - 1).
        let mut by_rank: Vec<Option<&str>> =
            vec![None; sau_ranks.iter().max().map_or(0, |m| *m as usize)];
        for (r, s) in sau_ranks.iter().zip(saus.iter()) {
            if *r > 0 {
                by_rank[*r as usize - 1] = s;
            }
        }
        // (year, SAU, student's rank) as numbers in the upload's order,
        // nulls last, and the student's row.
        let mut met: Vec<(u64, u32, u32, IdxSize)> = ids
            .iter()
            .zip(years.iter())
            .zip(sau_ranks.iter())
            .filter_map(|((id, year), sau)| {
                let row = *self.rows.get(id?)?;
                let year = year.map_or(u64::MAX, |y| (y as i64 as u64) ^ (1 << 63));
                let sau = if *sau == 0 { u32::MAX } else { *sau - 1 };
                Some((year, sau, self.ranks[row as usize], row))
            })
            .collect();
        met.sort_unstable();
        met.dedup();
        let year_of = |y: u64| (y != u64::MAX).then_some((y ^ (1 << 63)) as i64 as i32);
        Ok(Some(Places {
            years: met.iter().map(|m| year_of(m.0)).collect(),
            sau: met
                .iter()
                .map(|m| (m.1 != u32::MAX).then_some(m.1 as IdxSize))
                .collect(),
            student: met.iter().map(|m| m.3).collect(),
            saus: Series::new(SAU_ORG_ID.into(), by_rank),
        }))
    }

    /// Student Personal's rows of `places`, numbered from `first_row`:
    /// each place's student row gathered, with the place's school year
    /// and SAU.
    pub fn rows(&self, places: &Places, first_row: IdxSize) -> PolarsResult<DataFrame> {
        let n = places.len();
        let people = self
            .shaped
            .take(&IdxCa::from_vec("".into(), places.student.clone()))?;
        let mut year =
            Int32Chunked::from_iter_options(UPLOAD_YEAR.into(), places.years.iter().copied());
        // Marked sorted, as the ordered rows are.
        year.set_sorted_flag(polars::series::IsSorted::Ascending);
        let sau = places.saus.take(&IdxCa::from_iter_options(
            "".into(),
            places.sau.iter().copied(),
        ))?;
        let mut rows = IdxCa::from_vec(
            UPLOAD_ROW.into(),
            (first_row..first_row + n as IdxSize).collect(),
        );
        if first_row == 0 {
            // A row index, as polars marks one (renumbered, it is not).
            rows.set_sorted_flag(polars::series::IsSorted::Ascending);
        }
        let mut columns: Vec<Column> = people.columns()[..3].to_vec();
        columns.push(year.into_column());
        columns.push(sau.clone().with_name(UPLOAD_SAU.into()).into_column());
        columns.push(sau.with_name("SAUID".into()).into_column());
        let fields = people.width() - 4;
        columns.extend(people.columns()[3..3 + fields].iter().cloned());
        columns.push(rows.into_column());
        columns.push(people.columns()[3 + fields].clone());
        DataFrame::new(n, columns)
    }
}

/// Whether no source row (file and row, neither null) is on two rows of
/// `students`.
fn unique_source_rows(students: &DataFrame) -> PolarsResult<bool> {
    let at = students
        .clone()
        .lazy()
        .select([col(SOURCE_FILE), col(SOURCE_ROW)])
        .filter(
            col(SOURCE_FILE)
                .is_not_null()
                .and(col(SOURCE_ROW).is_not_null()),
        )
        .collect()?;
    let distinct = at
        .clone()
        .lazy()
        .unique(None, UniqueKeepStrategy::Any)
        .collect()?;
    Ok(distinct.height() == at.height())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(name: &str, v: &[Option<&str>]) -> Column {
        Column::new(name.into(), v.to_vec())
    }

    fn days(name: &str, v: &[Option<i32>]) -> Column {
        Column::new(name.into(), v.to_vec())
            .cast(&DataType::Date)
            .unwrap()
    }

    /// Five students: one with `wrong_values`, one with it but no source
    /// row, one never enrolled; keys out of text order.
    fn students(keys: &[Option<&str>]) -> DataFrame {
        let n = keys.len();
        let some = |s: &'static str| vec![Some(s); n];
        DataFrame::new(
            n,
            vec![
                texts(SOURCE_FILE, &some("p.csv")),
                Column::new(
                    SOURCE_ROW.into(),
                    [Some(7i64), Some(3), None, Some(9), Some(1)][..n].to_vec(),
                ),
                texts(STUDENT_KEY, keys),
                texts(
                    LAST_NAME,
                    &[Some("Ames"), Some("Bell"), None, Some("Dunn"), Some("Eyre")][..n],
                ),
                texts(FIRST_NAME, &some("Jo")),
                texts(MIDDLE_NAME, &vec![None; n]),
                texts(SUFFIX, &vec![None; n]),
                texts(GENDER, &some("F")),
                days(
                    BIRTH_DATE,
                    &[Some(12_000), None, Some(12_400), Some(11_000), Some(12_001)][..n],
                ),
                Column::new(
                    crate::crosswalk::HISPANIC.into(),
                    [Some(true), None, Some(false), Some(true), None][..n].to_vec(),
                ),
                Column::new("White".into(), vec![Some(false); n]),
                texts(RACE_DETERMINATION, &some("S")),
                Column::new(
                    IMMIGRANT_FLAG.into(),
                    [Some(true), None, Some(false), None, Some(true)][..n].to_vec(),
                ),
                days(US_SCHOOL_DATE, &vec![None; n]),
                texts(HOME_PRIMARY_LANGUAGE, &some("eng")),
                texts(
                    WRONG_VALUES,
                    &[None, Some("Gender: x"), Some("BirthDate: y"), None, None][..n],
                ),
            ],
        )
        .unwrap()
    }

    /// Enrollment rows: repeated places, two SAUs and a blank one, three
    /// school years and a blank one, a student the students lack, a blank ID.
    fn enrollment() -> DataFrame {
        let ids = [
            Some("1003"),
            Some("1003"),
            Some("0999"),
            Some("1001"),
            Some("1003"),
            Some("7777"),
            None,
            Some("1010"),
            Some("1001"),
            Some("0999"),
        ];
        let saus = [
            Some("200"),
            Some("200"),
            Some("100"),
            None,
            Some("100"),
            Some("100"),
            Some("100"),
            Some("200"),
            Some("100"),
            Some("100"),
        ];
        let years = [
            Some(2024),
            Some(2024),
            Some(2023),
            Some(2024),
            Some(2023),
            Some(2024),
            Some(2024),
            None,
            Some(2024),
            Some(2024),
        ];
        DataFrame::new(
            ids.len(),
            vec![
                texts(STATE_STUDENT_ID, &ids),
                Column::new(YEAR_CODE.into(), years.to_vec()),
                texts(SAU_ORG_ID, &saus),
            ],
        )
        .unwrap()
    }

    fn flags(df: &DataFrame) -> Vec<(String, polars::series::IsSorted)> {
        df.columns()
            .iter()
            .map(|c| {
                (
                    c.name().to_string(),
                    c.as_materialized_series().is_sorted_flag(),
                )
            })
            .collect()
    }

    #[test]
    fn gathered_rows_are_the_joined_rows_column_for_column() {
        let keys = [
            Some("1003"),
            Some("1001"),
            Some("0999"),
            Some("1010"),
            Some("1002"),
        ];
        let students = students(&keys);
        let e = enrollment();
        let by_gather = PersonalStudents::new(&students).unwrap().unwrap();
        assert_eq!(by_gather.height(), 5);
        let places = by_gather.places(&e).unwrap().unwrap();
        // 1003 in 2024/200 and 2023/100, 0999 in 2023/100 and 2024/100,
        // 1001 in 2024 with no SAU and 2024/100, 1010 with no year.
        assert_eq!(places.len(), 7);
        for first in [0, 40] {
            let joined = student_personal_rows(&students, &e, first).unwrap();
            let gathered = by_gather.rows(&places, first).unwrap();
            assert_eq!(joined.schema(), gathered.schema());
            assert!(gathered.equals_missing(&joined), "{gathered}\n{joined}");
            assert_eq!(flags(&gathered), flags(&joined));
        }
        // No places: no rows, the same columns.
        let none = e.clear();
        let places = by_gather.places(&none).unwrap().unwrap();
        assert!(places.is_empty());
        let joined = student_personal_rows(&students, &none, 0).unwrap();
        let gathered = by_gather.rows(&places, 0).unwrap();
        assert_eq!(joined.schema(), gathered.schema());
        assert_eq!(gathered.height(), 0);
        // Without `wrong_values`: null, as the joins make it.
        let bare = students.drop(WRONG_VALUES).unwrap();
        let by_gather = PersonalStudents::new(&bare).unwrap().unwrap();
        let places = by_gather.places(&e).unwrap().unwrap();
        let joined = student_personal_rows(&bare, &e, 0).unwrap();
        assert!(by_gather.rows(&places, 0).unwrap().equals_missing(&joined));
    }

    #[test]
    fn a_student_on_two_rows_or_a_source_row_twice_is_left_to_the_joins() {
        let twice = students(&[Some("1003"), Some("1001"), Some("1003")]);
        assert!(PersonalStudents::new(&twice).unwrap().is_none());
        let mut same_row = students(&[Some("1003"), Some("1001"), Some("1002")]);
        same_row
            .with_column(Column::new(SOURCE_ROW.into(), [5i64, 5, 6]))
            .unwrap();
        assert!(PersonalStudents::new(&same_row).unwrap().is_none());
        // A year as text: joins.
        let ok = PersonalStudents::new(&students(&[Some("1")]))
            .unwrap()
            .unwrap();
        let mut e = enrollment();
        e.apply(YEAR_CODE, |c| c.cast(&DataType::String).unwrap())
            .unwrap();
        assert!(ok.places(&e).unwrap().is_none());
    }
}
