//! The content hashes of an entity's crosswalked rows without hashing again
//! what ingest hashed: the columns the crosswalk passes through from
//! ingest's rows hold ingest's values, so when no row is held back (an
//! empty quarantine: every row kept, none changed) their hashes are the
//! ones ingest recorded; only the columns the crosswalk adds are hashed as
//! the batches are written. When rows are held back (or ingest's hashes are
//! not all recorded), the passed columns are hashed from the snapshot
//! written: the same hashes as of the whole frame.

use super::super::runner::{StageId, State};
use crate::checksum::DataHashes;
use crate::snapshot;
use anyhow::Result;
use cutover_stages::crosswalk;
use polars::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

pub(super) struct RowHashes {
    entity: String,
    /// The columns the crosswalk adds, hashed a batch at a time.
    added: Vec<PlSmallStr>,
    added_hashes: DataHashes,
    /// The columns passed through from ingest's rows, in order.
    passed: Vec<PlSmallStr>,
    /// Ingest's hashes of `passed` (keys `entity.column`).
    recorded: BTreeMap<String, String>,
    batches: usize,
}

impl RowHashes {
    /// `original`: the columns of ingest's rows; `None` when ingest's
    /// hashes of them are not all recorded (then hash every column as
    /// written, as [`DataHashes`] does).
    pub(super) fn new(
        state: &State,
        entity: &str,
        original: &[String],
        tables: &crosswalk::Tables,
    ) -> Option<RowHashes> {
        let added: Vec<String> = crosswalk::output_names(entity, &[], tables);
        let passed: Vec<&String> = original.iter().filter(|c| !added.contains(c)).collect();
        let data = &state.get(StageId::Ingest)?.data;
        let mut recorded = BTreeMap::new();
        for c in &passed {
            let key = format!("{entity}.{c}");
            recorded.insert(key.clone(), data.get(&key)?.clone());
        }
        Some(RowHashes {
            entity: entity.to_string(),
            added: added.iter().map(|c| c.as_str().into()).collect(),
            added_hashes: DataHashes::new(entity),
            passed: passed.iter().map(|c| c.as_str().into()).collect(),
            recorded,
            batches: 0,
        })
    }

    /// Hashes one batch of crosswalked rows' added columns.
    pub(super) fn update(&mut self, rows: &DataFrame) -> Result<()> {
        self.batches += 1;
        self.added_hashes
            .update(&rows.select(self.added.iter().cloned())?)
    }

    /// Every column's hash: ingest's for the passed columns when
    /// `held_back` is 0, else theirs read back from `written` (the
    /// snapshot of every batch).
    pub(super) fn finish(
        self,
        held_back: usize,
        written: &Path,
    ) -> Result<BTreeMap<String, String>> {
        let mut out = self.added_hashes.finish();
        if self.batches == 0 {
            return Ok(out);
        }
        if held_back == 0 {
            out.extend(self.recorded);
            return Ok(out);
        }
        let mut passed = DataHashes::new(&self.entity);
        snapshot::read_batches(written, snapshot::batch_rows(), |batch| {
            passed.update(&batch.select(self.passed.iter().cloned())?)
        })?;
        out.extend(passed.finish());
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::runner::StageState;
    use super::*;
    use crate::checksum::data_hashes;

    /// A CTE entity's ingested rows (text, numbers, a date, flags, nulls).
    fn ingested(n: usize) -> DataFrame {
        let rows: Vec<i64> = (0..n as i64).map(|i| i + 2).collect();
        let school: Vec<Option<String>> = (0..n)
            .map(|i| (i % 9 != 4).then(|| format!("{}", 1000 + i % 17)))
            .collect();
        let cip: Vec<String> = (0..n).map(|i| format!("{:02}.{:04}", i % 50, i)).collect();
        let days: Vec<Option<i32>> = (0..n).map(|i| (i % 5 != 0).then_some(i as i32)).collect();
        let flag: Vec<Option<bool>> = (0..n).map(|i| (i % 7 != 0).then_some(i % 2 == 0)).collect();
        df!(
            "source_row" => rows,
            "School_ID" => school,
            "CIPCode" => cip,
            "EndDate" => days,
            "Completer" => flag,
        )
        .unwrap()
        .lazy()
        .with_column(col("EndDate").cast(DataType::Date))
        .collect()
        .unwrap()
    }

    /// The crosswalked rows: `rows` with the columns the crosswalk adds.
    fn crosswalked(rows: &DataFrame, tables: &crosswalk::Tables) -> DataFrame {
        let mut out = rows.clone();
        for (i, name) in crosswalk::output_names("cte", &[], tables)
            .iter()
            .enumerate()
        {
            let values: Vec<Option<String>> = (0..rows.height())
                .map(|r| ((r + i) % 6 != 1).then(|| format!("{name}{}", r % 11)))
                .collect();
            out.with_column(Column::new(name.as_str().into(), values))
                .unwrap();
        }
        out
    }

    fn written(dir: &Path, df: &DataFrame) -> std::path::PathBuf {
        let path = dir.join("rows.parquet");
        let mut df = df.clone();
        let mut file = std::fs::File::create(&path).unwrap();
        let mut writer = ParquetWriter::new(&mut file).batched(df.schema()).unwrap();
        for start in (0..df.height()).step_by(1000) {
            let mut part = df.slice(start as i64, 1000);
            part.rechunk_mut();
            writer.write_batch(&part).unwrap();
        }
        writer.finish().unwrap();
        df.rechunk_mut();
        path
    }

    fn hashed(
        state: &State,
        rows: &DataFrame,
        held_back: usize,
        dir: &Path,
    ) -> BTreeMap<String, String> {
        let tables = crosswalk::Tables::default();
        let original: Vec<String> = ingested(1)
            .get_column_names()
            .iter()
            .map(|c| c.to_string())
            .collect();
        let mut h =
            RowHashes::new(state, "cte", &original, &tables).expect("ingest's hashes recorded");
        for start in (0..rows.height()).step_by(700) {
            h.update(&rows.slice(start as i64, 700)).unwrap();
        }
        h.finish(held_back, &written(dir, rows)).unwrap()
    }

    #[test]
    fn crosswalked_rows_hash_as_the_whole_frame_with_rows_held_back_or_none() {
        let dir = tempfile::tempdir().unwrap();
        let tables = crosswalk::Tables::default();
        let rows = ingested(2500);
        let mut state = State::default();
        state.stages.insert(
            StageId::Ingest.name().to_string(),
            StageState {
                data: data_hashes("cte", &rows).unwrap(),
                ..Default::default()
            },
        );
        // Every row kept: ingest's hashes for its columns, the added hashed.
        let all = crosswalked(&rows, &tables);
        let expected = data_hashes("cte", &all).unwrap();
        assert_eq!(expected.len(), 10);
        assert_eq!(hashed(&state, &all, 0, dir.path()), expected);
        // Rows held back: ingest's hashes are not those of the rows kept.
        let kept = all
            .clone()
            .lazy()
            .filter((col("source_row") % lit(13)).neq(lit(0)))
            .collect()
            .unwrap();
        let expected = data_hashes("cte", &kept).unwrap();
        assert_ne!(
            expected["cte.CIPCode"],
            state.stages["ingest"].data["cte.CIPCode"]
        );
        assert_eq!(hashed(&state, &kept, 193, dir.path()), expected);
        // Without ingest's hashes of every column, no shortcut.
        state
            .stages
            .get_mut("ingest")
            .unwrap()
            .data
            .remove("cte.EndDate");
        let original =
            ["source_row", "School_ID", "CIPCode", "EndDate", "Completer"].map(String::from);
        assert!(RowHashes::new(&state, "cte", &original, &tables).is_none());
    }
}
