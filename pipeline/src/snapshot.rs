//! Stage snapshots: one parquet file per stage and entity, with provenance
//! in the parquet footer, and the quarantine CSV files. Both are written
//! atomically.

use crate::output::{stage_atomic, write_frame_csv, LineEnds, Staged};
use anyhow::{Context, Result};
use cutover_stages::columns::{QUARANTINE_COLUMNS, Q_VALUE};
use polars::io::parquet::write::get_encodings;
use polars::prelude::*;
use polars_parquet::write::{
    array_to_columns, compress, CompressedPage, Encoding, ParquetType, StatisticsOptions, Version,
    WriteOptions,
};
use std::collections::BTreeMap;
use std::path::Path;

/// Footer keys, all prefixed `cutover.`.
pub const KEY_RUN_ID: &str = "cutover.run_id";
pub const KEY_TOOL_VERSION: &str = "cutover.tool_version";
pub const KEY_CONFIG_SHA256: &str = "cutover.config_sha256";
pub const KEY_INPUTS: &str = "cutover.inputs";
pub const KEY_CROSSWALKS: &str = "cutover.crosswalks";
pub const KEY_STAGE: &str = "cutover.stage";
pub const KEY_ENTITY: &str = "cutover.entity";

/// What every snapshot of a run records about where it came from.
#[derive(Clone, Debug)]
pub struct Provenance {
    pub run_id: String,
    pub tool_version: String,
    pub config_sha256: String,
    /// Input file -> SHA-256.
    pub inputs: BTreeMap<String, String>,
    /// Crosswalk table -> SHA-256.
    pub crosswalks: BTreeMap<String, String>,
}

impl Provenance {
    fn key_values(&self, stage: &str, entity: &str) -> Vec<(String, String)> {
        vec![
            (KEY_RUN_ID.into(), self.run_id.clone()),
            (KEY_TOOL_VERSION.into(), self.tool_version.clone()),
            (KEY_CONFIG_SHA256.into(), self.config_sha256.clone()),
            (
                KEY_INPUTS.into(),
                serde_json::to_string(&self.inputs).expect("map serializes"),
            ),
            (
                KEY_CROSSWALKS.into(),
                serde_json::to_string(&self.crosswalks).expect("map serializes"),
            ),
            (KEY_STAGE.into(), stage.into()),
            (KEY_ENTITY.into(), entity.into()),
        ]
    }
}

/// Writes `<root>/<stage>/<entity>.parquet`.
pub fn write_parquet(
    root: &Path,
    stage: &str,
    entity: &str,
    frame: &mut DataFrame,
    provenance: &Provenance,
) -> Result<()> {
    stage_parquet(root, stage, entity, frame, provenance)?.persist()
}

/// [`write_parquet`] up to the last step: the snapshot written and synced
/// beside its place (readable at [`Staged::temp_path`]), not yet moved there.
pub fn stage_parquet(
    root: &Path,
    stage: &str,
    entity: &str,
    frame: &mut DataFrame,
    provenance: &Provenance,
) -> Result<Staged> {
    let path = snapshot_path(root, stage, entity);
    let metadata = KeyValueMetadata::from_static(provenance.key_values(stage, entity));
    stage_atomic(&path, |file| {
        let mut keep = KeepIoError::over(file);
        let written = ParquetWriter::new(&mut keep)
            .with_compression(ParquetCompression::Zstd(None))
            .with_key_value_metadata(Some(metadata))
            .finish(frame)
            .map(|_| ())
            .map_err(|e| anyhow::anyhow!("parquet writer failed: {e}"));
        keep.settle(written)
    })
}

/// [`stage_parquet`] of rows that come a batch at a time: `fill` hands each
/// batch to the [`BatchSink`] (at least one, maybe empty: the first gives
/// the columns), written as it comes, so the rows are never held whole.
/// The same rows make the same data as [`stage_parquet`] of their frame.
pub fn stage_parquet_batches(
    root: &Path,
    stage: &str,
    entity: &str,
    provenance: &Provenance,
    fill: impl FnOnce(&mut BatchSink<'_>) -> Result<()>,
) -> Result<Staged> {
    let path = snapshot_path(root, stage, entity);
    let metadata = KeyValueMetadata::from_static(provenance.key_values(stage, entity));
    stage_atomic(&path, |file| {
        let mut keep = KeepIoError::over(file);
        let written = (|| -> Result<()> {
            let mut sink = BatchSink {
                out: Some(&mut keep),
                writer: None,
                metadata: Some(metadata),
            };
            fill(&mut sink)?;
            let writer = sink
                .writer
                .ok_or_else(|| anyhow::anyhow!("no rows were given to write"))?;
            writer.finish()?;
            Ok(())
        })();
        keep.settle(written)
    })
}

/// Where [`stage_parquet_batches`] writes its batches.
pub struct BatchSink<'a> {
    out: Option<&'a mut dyn std::io::Write>,
    writer: Option<polars::io::parquet::write::BatchedWriter<&'a mut dyn std::io::Write>>,
    metadata: Option<KeyValueMetadata>,
}

impl BatchSink<'_> {
    /// Writes one batch (its columns those of the first).
    pub fn write(&mut self, frame: &mut DataFrame) -> Result<()> {
        if self.writer.is_none() {
            let out = self.out.take().expect("the output until the first batch");
            let writer = ParquetWriter::new(out)
                .with_compression(ParquetCompression::Zstd(None))
                .with_key_value_metadata(self.metadata.take())
                .batched(frame.schema())?;
            self.writer = Some(writer);
        }
        if frame.height() > 0 {
            frame.rechunk_mut();
            let writer = self.writer.as_mut().expect("made above");
            let types = writer.parquet_schema().fields().to_vec();
            let encodings = get_encodings(&frame.schema().to_arrow(CompatLevel::newest()));
            for batch in frame.iter_chunks(CompatLevel::newest(), false) {
                if !batch.is_empty() {
                    let group = compressed_columns(batch.columns(), &types, &encodings)?;
                    writer.write_row_group(batch.len() as u64, &group)?;
                }
            }
        }
        Ok(())
    }
}

/// One row group's columns encoded and compressed, a column per task on
/// every core: the pages polars' `BatchedWriter::write_batch` makes (the
/// same options: statistics, zstd at its default level, version 1 pages,
/// the default page size), in the same order. `write_batch` encodes the
/// columns on every core but compresses their pages on the writing thread,
/// one column after another.
fn compressed_columns(
    arrays: &[ArrayRef],
    types: &[ParquetType],
    encodings: &[Vec<Encoding>],
) -> Result<Vec<Vec<CompressedPage>>> {
    use rayon::prelude::*;
    let options = WriteOptions {
        statistics: StatisticsOptions::default(),
        compression: ParquetCompression::Zstd(None).into(),
        version: Version::V1,
        data_page_size: None,
    };
    let columns = arrays
        .par_iter()
        .zip(types.par_iter())
        .zip(encodings.par_iter())
        .map(|((array, type_), encoding)| {
            let leaves = array_to_columns(array, type_.clone(), options, encoding)?;
            leaves
                .into_iter()
                .map(|pages| {
                    pages
                        .map(|page| Ok(compress(page?, Vec::new(), options.compression)?))
                        .collect::<Result<Vec<CompressedPage>>>()
                })
                .collect::<Result<Vec<_>>>()
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(columns.into_iter().flatten().collect())
}

/// The rows of a parquet file a batch at a time, in order: whole row groups
/// of about `rows` rows together (a file without rows: one empty batch).
pub fn read_batches(
    path: &Path,
    rows: usize,
    mut each: impl FnMut(DataFrame) -> Result<()>,
) -> Result<()> {
    let open =
        || std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()));
    let groups: Vec<usize> = ParquetReader::new(open()?)
        .get_metadata()?
        .row_groups
        .iter()
        .map(|g| g.num_rows())
        .collect();
    let mut slices: Vec<(usize, usize)> = Vec::new();
    let mut offset = 0;
    for n in groups.into_iter().filter(|n| *n > 0) {
        match slices.last_mut() {
            Some(last) if last.1 + n <= rows => last.1 += n,
            _ => slices.push((offset, n)),
        }
        offset += n;
    }
    if slices.is_empty() {
        return each(read_parquet(path)?);
    }
    for slice in slices {
        each(
            ParquetReader::new(open()?)
                .with_slice(Some(slice))
                .finish()?,
        )?;
    }
    Ok(())
}

/// Rows between stages are mapped a batch at a time of this many rows
/// (`CUTOVER_BATCH_ROWS` sets fewer, for tests of several batches).
pub fn batch_rows() -> usize {
    std::env::var("CUTOVER_BATCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(1 << 17)
}

/// The row groups of a parquet file: (first row, rows) of each.
pub fn row_groups(path: &Path) -> Result<Vec<(usize, usize)>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut offset = 0;
    let mut out = Vec::new();
    for g in ParquetReader::new(file).get_metadata()?.row_groups.iter() {
        out.push((offset, g.num_rows()));
        offset += g.num_rows();
    }
    Ok(out)
}

/// The rows `slice` (first row, rows) of a parquet file, only the `columns`
/// given (all when `None`).
pub fn read_slice(
    path: &Path,
    slice: (usize, usize),
    columns: Option<&[String]>,
) -> Result<DataFrame> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(ParquetReader::new(file)
        .with_columns(columns.map(<[String]>::to_vec))
        .with_slice(Some(slice))
        .finish()?)
}

/// The batches of a parquet file's rows [`read_slices`] reads: (first row,
/// rows) of each, at most `rows` rows (a row group larger is cut), whole
/// row groups of fewer rows together; none for a file without rows.
pub fn slices(path: &Path, rows: usize) -> Result<Vec<(usize, usize)>> {
    let mut slices: Vec<(usize, usize)> = Vec::new();
    for (offset, n) in row_groups(path)?.into_iter().filter(|g| g.1 > 0) {
        match slices.last_mut() {
            Some(last) if last.1 + n <= rows => last.1 += n,
            _ => {
                let mut start = 0;
                while n - start > rows {
                    slices.push((offset + start, rows));
                    start += rows;
                }
                slices.push((offset + start, n - start));
            }
        }
    }
    Ok(slices)
}

/// The rows of a parquet file a batch at a time, in order ([`slices`]; a
/// file without rows: one empty batch).
pub fn read_slices(
    path: &Path,
    rows: usize,
    mut each: impl FnMut(DataFrame) -> Result<()>,
) -> Result<()> {
    let slices = slices(path, rows)?;
    if slices.is_empty() {
        return each(read_parquet(path)?);
    }
    for slice in slices {
        each(read_slice(path, slice, None)?)?;
    }
    Ok(())
}

/// The columns among `wanted` of a parquet file's rows, a batch at a time
/// ([`read_slices`]).
pub fn read_column_slices(
    path: &Path,
    rows: usize,
    wanted: &[&str],
    mut each: impl FnMut(DataFrame) -> Result<()>,
) -> Result<()> {
    let slices = slices(path, rows)?;
    if slices.is_empty() {
        return each(read_columns(path, wanted)?);
    }
    let schema = scan_parquet(path)?
        .collect_schema()
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let present: Vec<String> = wanted
        .iter()
        .filter(|c| schema.contains(c))
        .map(|c| c.to_string())
        .collect();
    for slice in slices {
        each(read_slice(path, slice, Some(&present))?)?;
    }
    Ok(())
}

/// Gives a snapshot an earlier run wrote, and this run keeps, this run's
/// provenance: only the `cutover.*` values of its parquet footer are
/// rewritten, its data pages are copied as they are, so it is the same
/// bytes as the snapshot this run would have written of the same rows.
pub fn restamp(root: &Path, stage: &str, entity: &str, provenance: &Provenance) -> Result<()> {
    use polars_parquet_format::thrift::protocol::{TCompactInputProtocol, TCompactOutputProtocol};
    use polars_parquet_format::FileMetaData;
    let path = snapshot_path(root, stage, entity);
    let bad = |why: &str| anyhow::anyhow!("{}: {why}", path.display());
    let mut bytes =
        std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let n = bytes.len();
    if n < 12 || &bytes[n - 4..] != b"PAR1" {
        return Err(bad("not a parquet file"));
    }
    let len = u32::from_le_bytes([bytes[n - 8], bytes[n - 7], bytes[n - 6], bytes[n - 5]]) as usize;
    let start = (n - 8)
        .checked_sub(len)
        .ok_or_else(|| bad("footer longer than the file"))?;
    // The reader's allowance counts what it allocates (8 bytes a list
    // element, a byte a string byte); every element takes at least a byte.
    let allowance = len.saturating_mul(16) + 1024;
    let mut input = TCompactInputProtocol::new(&bytes[start..n - 8], allowance);
    let mut meta = FileMetaData::read_from_in_protocol(&mut input)
        .map_err(|e| bad(&format!("unreadable footer: {e}")))?;
    let wanted: BTreeMap<String, String> =
        provenance.key_values(stage, entity).into_iter().collect();
    let mut changed = false;
    for kv in meta.key_value_metadata.iter_mut().flatten() {
        if let Some(v) = wanted.get(&kv.key) {
            if kv.value.as_deref() != Some(v.as_str()) {
                kv.value = Some(v.clone());
                changed = true;
            }
        }
    }
    if !changed {
        return Ok(());
    }
    bytes.truncate(start);
    let written = meta
        .write_to_out_protocol(&mut TCompactOutputProtocol::new(&mut bytes))
        .map_err(|e| bad(&format!("cannot write its footer: {e}")))?;
    bytes.extend_from_slice(&(written as u32).to_le_bytes());
    bytes.extend_from_slice(b"PAR1");
    crate::output::write_bytes(&path, &bytes)
}

/// A writer that keeps the first I/O error it saw.
struct KeepIoError<W> {
    inner: W,
    first: Option<std::io::Error>,
}

impl<'f> KeepIoError<std::io::BufWriter<&'f mut std::fs::File>> {
    fn over(file: &'f mut std::fs::File) -> Self {
        KeepIoError {
            inner: std::io::BufWriter::new(file),
            first: None,
        }
    }
}

impl<W: std::io::Write> KeepIoError<W> {
    /// The outcome of a write through `self`, flushed: a writer reports a
    /// failed write as its own error (parquet's as a thrift error), so say
    /// what the disk said (a full disk, a permission) instead.
    fn settle(mut self, written: Result<()>) -> Result<()> {
        match (written, self.first.take()) {
            (Err(_), Some(io)) => Err(io.into()),
            (Err(e), None) => Err(e),
            (Ok(()), _) => Ok(std::io::Write::flush(&mut self)?),
        }
    }

    fn keep<T>(&mut self, r: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &r {
            if self.first.is_none() {
                self.first = Some(std::io::Error::new(e.kind(), e.to_string()));
            }
        }
        r
    }
}

impl<W: std::io::Write> std::io::Write for KeepIoError<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let r = self.inner.write(buf);
        self.keep(r)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let r = self.inner.flush();
        self.keep(r)
    }
}

/// `value` on `n` rows, stored once (not flagged sorted, as a column built
/// value by value is not).
pub fn repeated(name: &str, value: &str, n: usize) -> StringChunked {
    let mut ca = StringChunked::full(name.into(), value, n);
    ca.set_sorted_flag(polars::series::IsSorted::Not);
    ca
}

/// Reads a snapshot back.
pub fn read_parquet(path: &Path) -> Result<DataFrame> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(ParquetReader::new(file).finish()?)
}

/// `<root>/<stage>/<name>.parquet`.
pub fn snapshot_path(root: &Path, stage: &str, name: &str) -> std::path::PathBuf {
    root.join(stage).join(format!("{name}.parquet"))
}

/// A lazy scan of a parquet file: only what the plan reads is read.
pub fn scan_parquet(path: &Path) -> Result<LazyFrame> {
    let pl_path = PlRefPath::try_from_path(path)
        .map_err(|e| anyhow::anyhow!("{}: not a usable path: {e}", path.display()))?;
    LazyFrame::scan_parquet(pl_path, ScanArgsParquet::default())
        .map_err(|e| anyhow::anyhow!("cannot scan {}: {e}", path.display()))
}

/// The columns of a parquet file among `wanted` (in that order), read.
pub fn read_columns(path: &Path, wanted: &[&str]) -> Result<DataFrame> {
    let mut lf = scan_parquet(path)?;
    let schema = lf
        .collect_schema()
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let present: Vec<Expr> = wanted
        .iter()
        .filter(|c| schema.contains(c))
        .map(|c| col(*c))
        .collect();
    lf.select(present)
        .collect()
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))
}

/// Writes `<root>/quarantine/<entity>.csv`: `source_file, source_row,
/// column, value, rule, message`.
/// A value's control characters (NUL, form feed, ...; not line breaks) are
/// written as U+FFFD: under another rule than `control_character` the
/// value was written as it was, a NUL byte in the CSV file that readers
/// refuse or cut the line at.
pub fn write_quarantine(root: &Path, entity: &str, quarantine: &DataFrame) -> Result<()> {
    let path = root.join("quarantine").join(format!("{entity}.csv"));
    let control = r"[\x00-\x09\x0B\x0C\x0E-\x1F\x7F]";
    let shown = quarantine
        .clone()
        .lazy()
        .with_column(
            col(Q_VALUE)
                .str()
                .replace_all(lit(control), lit("\u{FFFD}"), false),
        )
        .collect()?;
    write_frame_csv(&path, &shown, &QUARANTINE_COLUMNS, LineEnds::Lf)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads the `cutover.*` footer keys of a snapshot.
    pub fn read_provenance(path: &Path) -> Result<BTreeMap<String, String>> {
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let mut reader = ParquetReader::new(file);
        let metadata = reader.get_metadata()?.clone();
        let mut out = BTreeMap::new();
        for kv in metadata.key_value_metadata().iter().flatten() {
            if kv.key.starts_with("cutover.") {
                out.insert(kv.key.clone(), kv.value.clone().unwrap_or_default());
            }
        }
        Ok(out)
    }

    #[test]
    fn a_snapshot_keeps_dates_and_carries_its_provenance() {
        let dir = tempfile::tempdir().unwrap();
        let dates = Column::new("BirthDate".into(), [Some("2003-04-05"), None])
            .as_materialized_series()
            .cast(&DataType::Date)
            .unwrap()
            .into_column();
        let ids = Column::new("StateStudentID".into(), ["000123456", "000000042"]);
        let mut df = DataFrame::new(2, vec![ids, dates]).unwrap();
        let provenance = Provenance {
            run_id: "abc".into(),
            tool_version: "0.1.0".into(),
            config_sha256: "cfg".into(),
            inputs: BTreeMap::from([("student_personal.csv".into(), "sum".into())]),
            crosswalks: BTreeMap::new(),
        };
        write_parquet(
            dir.path(),
            "ingest",
            "student_personal",
            &mut df,
            &provenance,
        )
        .unwrap();
        let path = dir.path().join("ingest/student_personal.parquet");
        let back = read_parquet(&path).unwrap();
        assert!(back.equals_missing(&df));
        assert_eq!(back.column("BirthDate").unwrap().dtype(), &DataType::Date);
        let footer = read_provenance(&path).unwrap();
        assert_eq!(footer[KEY_RUN_ID], "abc");
        assert_eq!(footer[KEY_INPUTS], r#"{"student_personal.csv":"sum"}"#);
        assert_eq!(footer[KEY_STAGE], "ingest");
        assert_eq!(footer[KEY_ENTITY], "student_personal");
    }

    #[test]
    fn a_restamped_snapshot_is_the_bytes_a_fresh_write_would_be() {
        let dir = tempfile::tempdir().unwrap();
        let mut df = df!("x" => [Some("a"), None, Some("c")], "n" => [1i32, 2, 3]).unwrap();
        let stamp = |run_id: &str, table: &str| Provenance {
            run_id: run_id.into(),
            tool_version: "0.1.0".into(),
            config_sha256: "cfg".into(),
            inputs: BTreeMap::from([("a.csv".into(), "sum".into())]),
            crosswalks: BTreeMap::from([("grade_levels.csv".into(), table.into())]),
        };
        let path = dir.path().join("crosswalk/e.parquet");
        write_parquet(
            dir.path(),
            "crosswalk",
            "e",
            &mut df,
            &stamp("new-run", "22"),
        )
        .unwrap();
        let fresh = std::fs::read(&path).unwrap();
        write_parquet(dir.path(), "crosswalk", "e", &mut df, &stamp("old", "1")).unwrap();
        assert_ne!(std::fs::read(&path).unwrap(), fresh);
        restamp(dir.path(), "crosswalk", "e", &stamp("new-run", "22")).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), fresh);
        assert!(read_parquet(&path).unwrap().equals_missing(&df));
    }
}
