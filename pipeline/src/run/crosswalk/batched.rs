//! An entity with bindings mapped a batch of rows at a time: each batch of
//! ingest's rows (a row group or so) mapped, its rows written to the
//! crosswalk snapshot as one row group, before the next is read; never the
//! whole entity at once. Ingest's rows are in source row order, so the
//! batches' rows one after another are the rows mapping them all at once
//! gives.

use super::super::frames::{self, quarantine_name, sorted_quarantine, InOrder};
use super::super::runner::Produced;
use super::hashes::RowHashes;
use super::{output_names, quarantine_key, Work};
use crate::checksum::{data_hashes, DataHashes};
use crate::snapshot;
use anyhow::Result;
use cutover_stages::crosswalk::{self, Coder};
use cutover_stages::ingest;
use cutover_stages::report::StageReport;
use cutover_stages::schema::STUDENT_ENROLLMENT;
use polars::prelude::*;

impl Work<'_> {
    /// Maps one entity a batch at a time and writes its snapshots; its
    /// report, the names of its files and, for enrollments, the race
    /// check's evidence.
    pub(super) fn mapped(
        &mut self,
        entity: &'static str,
    ) -> Result<(StageReport, [String; 2], Option<DataFrame>)> {
        let ctx = self.ctx;
        let (root, prov) = (ctx.root, &ctx.provenance);
        let source = snapshot::snapshot_path(root, ingest::STAGE, entity);
        let mut coder = Coder::new(entity, &ctx.tables.mapping, &self.config)?;
        let original: Vec<String> = frames::scan(ctx, ingest::STAGE, entity)?
            .collect_schema()?
            .iter_names()
            .map(|c| c.to_string())
            .collect();
        let mut hashes = match RowHashes::new(self.state, entity, &original, &ctx.tables.mapping) {
            Some(passed) => Hashes::Added(passed),
            None => Hashes::All(DataHashes::new(entity)),
        };
        let mut quarantines = Vec::new();
        let enrollment = entity == STUDENT_ENROLLMENT.name;
        let mut evidence = Evidence::default();
        let mut order = InOrder::default();
        let staged =
            snapshot::stage_parquet_batches(root, crosswalk::STAGE, entity, prov, |sink| {
                let make = |send: &mut Handoff<'_>| {
                    snapshot::read_slices(&source, snapshot::batch_rows(), |batch| {
                        order.check(&batch, entity)?;
                        let (rows, quarantine) = coder.batch(batch.lazy())?;
                        quarantines.push(quarantine);
                        if enrollment {
                            evidence.push(crosswalk::race_evidence(&rows)?)?;
                        }
                        send(rows)
                    })
                };
                overlapped(make, |mut rows| {
                    match &mut hashes {
                        Hashes::Added(h) => h.update(&rows)?,
                        Hashes::All(h) => h.update(&rows)?,
                    }
                    sink.write(&mut rows)
                })
            })?;
        let (coverage, report) = coder.finish()?;
        self.coverage.extend(coverage);
        let mut quarantine = sorted_quarantine(quarantines)?;
        let row_hashes = match hashes {
            Hashes::Added(h) => h.finish(quarantine.height(), staged.temp_path())?,
            Hashes::All(h) => h.finish(),
        };
        staged.persist()?;
        let q = quarantine_name(entity);
        snapshot::write_parquet(root, crosswalk::STAGE, &q, &mut quarantine, prov)?;
        let produced: &mut Produced = &mut self.produced;
        produced.data.extend(row_hashes);
        produced
            .data
            .extend(data_hashes(&quarantine_key(entity), &quarantine)?);
        let evidence = if enrollment {
            Some(evidence.finish()?)
        } else {
            None
        };
        Ok((report, output_names(entity), evidence))
    }
}

/// How the crosswalked rows are hashed: the added columns only (the
/// passed ones as ingest hashed them), or every column.
enum Hashes {
    Added(RowHashes),
    All(DataHashes),
}

/// The race check's evidence of the enrollment rows, kept to each
/// student's latest row as the batches come: the check reads nothing
/// else (the SAU of the last of a student's rows with an SAU, in order
/// of school year, entry date and source row, which is unique), so the
/// latest of each batch's latest rows is the row it finds among all.
#[derive(Default)]
struct Evidence {
    kept: Vec<DataFrame>,
}

impl Evidence {
    /// Batches kept before they are reduced together.
    const BATCHES: usize = 16;

    fn push(&mut self, evidence: DataFrame) -> Result<()> {
        self.kept.push(latest(evidence)?);
        if self.kept.len() >= Self::BATCHES {
            let all = frames::concat_frames(std::mem::take(&mut self.kept))?;
            self.kept.push(latest(all)?);
        }
        Ok(())
    }

    fn finish(self) -> Result<DataFrame> {
        latest(frames::concat_frames(self.kept)?)
    }
}

/// Each student's latest row of the race check's evidence (the rows
/// unchanged when a column of it is missing).
fn latest(evidence: DataFrame) -> Result<DataFrame> {
    use cutover_stages::columns::{SCHOOL_ENTRY_DATE, SCHOOL_YEAR, SOURCE_ROW, STATE_STUDENT_ID};
    use cutover_stages::crosswalk::{counted_evidence, RACE_EVIDENCE, SAU_ORG_ID};
    if RACE_EVIDENCE.iter().any(|c| evidence.column(c).is_err()) {
        return Ok(evidence);
    }
    let rest = [SAU_ORG_ID, SCHOOL_YEAR, SCHOOL_ENTRY_DATE, SOURCE_ROW].map(|c| col(c).last());
    let counted = evidence.lazy().filter(counted_evidence()).collect()?;
    // Each student's rows in order of school year, entry date (none
    // first) and source row: sorted by the one number that orders them so
    // when the three fit in one (no text compared), else by the three
    // after the StateStudentID. The group keeps the sorted order either
    // way, so its last row is the same.
    let order = [SCHOOL_YEAR, SCHOOL_ENTRY_DATE, SOURCE_ROW];
    let sorted = match order_key(&counted, order)? {
        Some(key) => {
            let mut keyed = counted;
            keyed.with_column(key.into_series().into())?;
            keyed
                .lazy()
                .sort([ORDER_KEY], SortMultipleOptions::default())
        }
        None => counted.lazy().sort_by_exprs(
            [STATE_STUDENT_ID, SCHOOL_YEAR, SCHOOL_ENTRY_DATE, SOURCE_ROW].map(col),
            SortMultipleOptions::default(),
        ),
    };
    Ok(sorted
        .group_by([col(STATE_STUDENT_ID)])
        .agg(rest)
        .select(RACE_EVIDENCE.map(col))
        .collect()?)
}

/// The column [`latest`] sorts by.
const ORDER_KEY: &str = "__order";

/// Each row's place in the order of `columns` (each ascending, none
/// first) as one number: the columns' values, each counted from its least
/// (none 0), combined in their order. `None` when a column is not a whole
/// number or a date, or the combined numbers would not fit in 63 bits.
fn order_key(df: &DataFrame, columns: [&str; 3]) -> Result<Option<Int64Chunked>> {
    let mut parts = Vec::with_capacity(columns.len());
    let mut span: i64 = 1;
    for c in columns {
        let column = df.column(c)?;
        if !(column.dtype().is_integer() || column.dtype() == &DataType::Date) {
            return Ok(None);
        }
        let values = column.as_materialized_series().cast(&DataType::Int64)?;
        let values = values.i64()?.clone();
        let least = values.min().unwrap_or(0);
        let Some(width) = values
            .max()
            .map_or(Some(0), |most| most.checked_sub(least))
            .and_then(|w| w.checked_add(2))
        else {
            return Ok(None);
        };
        let Some(wider) = span.checked_mul(width) else {
            return Ok(None);
        };
        span = wider;
        parts.push((values, least, width));
    }
    let mut key = vec![0i64; df.height()];
    for (values, least, width) in &parts {
        for (k, v) in key.iter_mut().zip(values.iter()) {
            *k = *k * width + v.map_or(0, |v| v - least + 1);
        }
    }
    Ok(Some(Int64Chunked::from_vec(ORDER_KEY.into(), key)))
}

/// What [`overlapped`]'s maker hands each frame to.
pub(in crate::run) type Handoff<'a> = dyn FnMut(DataFrame) -> Result<()> + 'a;

/// Runs `make` on a thread of its own, each frame it makes handed to
/// `take` on this one (one frame waiting at most): the next batch is
/// mapped while the last is hashed and written, on both cores, the frames
/// taken in the order made. The first error of `take`, else of `make`.
pub(in crate::run) fn overlapped(
    make: impl FnOnce(&mut Handoff<'_>) -> Result<()> + std::marker::Send,
    take: impl FnMut(DataFrame) -> Result<()>,
) -> Result<()> {
    let (made, taken) = crate::run::overlap::overlapped(
        |send| {
            make(&mut |frame| {
                send(frame).map_err(|_| anyhow::anyhow!("the batches' writer stopped"))
            })
        },
        take,
    );
    taken.and(made)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cutover_stages::columns::{SCHOOL_ENTRY_DATE, SCHOOL_YEAR, SOURCE_ROW, STATE_STUDENT_ID};
    use cutover_stages::crosswalk::SAU_ORG_ID;

    #[test]
    fn the_order_key_orders_rows_as_the_three_columns_do_or_is_none() {
        // Years, dates (some none, which come first) and rows given out of
        // order: sorted by the key, the rows are in the three columns' order.
        let df = df!(
            "y" => [Some(2012i32), Some(2011), None, Some(2012), Some(2011), Some(2012)],
            "d" => [Some(5i32), None, Some(1), Some(5), Some(-3), None],
            "r" => [9i64, 4, 7, 2, 3, 8],
        )
        .unwrap()
        .lazy()
        .with_column(col("d").cast(DataType::Date))
        .collect()
        .unwrap();
        let key = order_key(&df, ["y", "d", "r"]).unwrap().expect("fits");
        let by_key: Vec<usize> = key
            .arg_sort(SortOptions::default())
            .into_no_null_iter()
            .map(|i| i as usize)
            .collect();
        assert_eq!(by_key, vec![2, 1, 4, 5, 3, 0]);
        // Rows too far apart to combine: no key (the three are sorted).
        let wide = df!("y" => [0i64, i64::MAX], "d" => [0i64, 1], "r" => [0i64, 1]).unwrap();
        assert!(order_key(&wide, ["y", "d", "r"]).unwrap().is_none());
        let text = df!("y" => ["a"], "d" => [0i64], "r" => [0i64]).unwrap();
        assert!(order_key(&text, ["y", "d", "r"]).unwrap().is_none());
    }

    #[test]
    fn evidence_kept_a_batch_at_a_time_is_each_students_latest_row() {
        // 40 students, each in five rows across the batches: the latest by
        // year, then entry date (none first), then source row; a row with
        // no SAU never counts.
        let n: usize = 200;
        let ids: Vec<Option<String>> = (0..n)
            .map(|i| (i % 41 != 40).then(|| format!("{}", i % 40)))
            .collect();
        let saus: Vec<Option<String>> = (0..n)
            .map(|i| (i % 7 != 3).then(|| format!("{}", 1000 + i)))
            .collect();
        let years: Vec<i32> = (0..n).map(|i| 2010 + ((i * 13) % 5) as i32).collect();
        let entry: Vec<Option<i32>> = (0..n)
            .map(|i| (i % 3 != 0).then_some(i as i32 % 4))
            .collect();
        let rows: Vec<i64> = (0..n).map(|i| i as i64 + 2).collect();
        let mut df = df!(
            STATE_STUDENT_ID => ids,
            SAU_ORG_ID => saus,
            SCHOOL_YEAR => years,
            SCHOOL_ENTRY_DATE => entry,
            SOURCE_ROW => rows,
        )
        .unwrap();
        df = df
            .lazy()
            .with_column(col(SCHOOL_ENTRY_DATE).cast(DataType::Date))
            .collect()
            .unwrap();
        let sorted = |d: DataFrame| {
            d.sort([STATE_STUDENT_ID], SortMultipleOptions::default())
                .unwrap()
        };
        let whole = sorted(latest(df.clone()).unwrap());
        assert_eq!(whole.height(), 40);
        let mut kept = Evidence::default();
        for start in (0..n).step_by(7) {
            kept.push(df.slice(start as i64, 7)).unwrap();
        }
        assert_eq!(sorted(kept.finish().unwrap()), whole);
    }
}
