//! `cutover bench-floor` (hidden; `make bench` runs it): what bare polars
//! takes for the bytes a run must read and write, the floor the run's time
//! is compared with.
//!
//! - `parquet`: every CSV of a bundle read by polars' CSV reader, every
//!   column as text (no typing, no rules), and written as parquet.
//! - `upload-csv`: the rows of a run's uploads (every file of one upload
//!   kind read back, untimed), then written by polars as one CSV per kind:
//!   the time to write the same upload rows, timed alone.

use anyhow::{Context, Result};
use polars::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What a floor measured.
#[derive(Debug, Serialize)]
pub struct Floor {
    /// Files read.
    pub files: usize,
    /// Rows read (headers not counted).
    pub rows: usize,
    /// Bytes read.
    pub bytes: u64,
    /// Seconds of the timed part.
    pub seconds: f64,
}

/// The CSV files directly in `dir` or below it, in path order.
fn csv_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in
            std::fs::read_dir(&d).with_context(|| format!("cannot read {}", d.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "csv") {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Reads a CSV file with every column as text (bytes that are not UTF-8,
/// the Windows-1252 file's, replaced; ragged rows cut or padded).
fn read_text(path: &Path) -> Result<DataFrame> {
    let parse = CsvParseOptions::default()
        .with_encoding(CsvEncoding::LossyUtf8)
        .with_truncate_ragged_lines(true)
        .with_missing_is_null(false);
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .with_parse_options(parse)
        .try_into_reader_with_file_path(Some(path.to_path_buf()))?
        .finish()
        .map_err(|e| anyhow::anyhow!("polars cannot read {}: {e}", path.display()))
}

/// Every CSV of `bundle` read as text and written as parquet into `out`.
pub fn parquet_floor(bundle: &Path, out: &Path) -> Result<Floor> {
    std::fs::create_dir_all(out)?;
    let files = csv_files(bundle)?;
    let start = Instant::now();
    let mut floor = Floor {
        files: files.len(),
        rows: 0,
        bytes: 0,
        seconds: 0.0,
    };
    for path in &files {
        floor.bytes += std::fs::metadata(path)?.len();
        let mut df = read_text(path)?;
        floor.rows += df.height();
        let name = path.file_stem().expect("a file name").to_string_lossy();
        let file = std::fs::File::create(out.join(format!("{name}.parquet")))?;
        ParquetWriter::new(file).finish(&mut df)?;
    }
    floor.seconds = start.elapsed().as_secs_f64();
    Ok(floor)
}

/// The rows of every upload file under `uploads` (read back, untimed),
/// written by polars as one CSV per upload kind into `out` (timed).
pub fn upload_csv_floor(uploads: &Path, out: &Path) -> Result<Floor> {
    std::fs::create_dir_all(out)?;
    let files = csv_files(uploads)?;
    let mut kinds: BTreeMap<String, Vec<DataFrame>> = BTreeMap::new();
    let mut floor = Floor {
        files: files.len(),
        rows: 0,
        bytes: 0,
        seconds: 0.0,
    };
    for path in &files {
        floor.bytes += std::fs::metadata(path)?.len();
        let name = path.file_name().expect("a file name").to_string_lossy();
        kinds
            .entry(name.into_owned())
            .or_default()
            .push(read_text(path)?);
    }
    let mut frames: Vec<(String, DataFrame)> = Vec::new();
    for (name, parts) in kinds {
        let mut all = parts.into_iter();
        let mut df = all.next().expect("a file of the kind");
        for part in all {
            df.vstack_mut(&part)?;
        }
        df.rechunk_mut();
        floor.rows += df.height();
        frames.push((name, df));
    }
    let start = Instant::now();
    for (name, df) in &mut frames {
        let file = std::fs::File::create(out.join(name.as_str()))?;
        CsvWriter::new(std::io::BufWriter::new(file))
            .with_line_terminator("\r\n".into())
            .finish(df)?;
    }
    floor.seconds = start.elapsed().as_secs_f64();
    Ok(floor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parquet_floor_reads_every_row_of_a_bundle() {
        let dir = tempfile::tempdir().unwrap();
        let (bundle, truth) = (dir.path().join("bundle"), dir.path().join("truth"));
        let opts = crate::generate::Options {
            students: 300,
            first_year: 2015,
            last_year: 2017,
            seed: 5,
            defects: Default::default(),
        };
        let summary = crate::generate::generate(opts, &bundle, &truth).unwrap();
        let floor = parquet_floor(&bundle, &dir.path().join("floor")).unwrap();
        assert_eq!(floor.files, summary.rows.len());
        assert_eq!(floor.rows, summary.rows.values().sum::<usize>());
        for file in summary.rows.keys() {
            let name = file.trim_end_matches(".csv");
            let f = std::fs::File::open(dir.path().join("floor").join(format!("{name}.parquet")));
            let df = ParquetReader::new(f.unwrap()).finish().unwrap();
            assert_eq!(df.height(), summary.rows[file], "{file}");
        }
    }

    #[test]
    fn the_upload_floor_writes_one_csv_per_upload_kind() {
        let dir = tempfile::tempdir().unwrap();
        let uploads = dir.path().join("uploads");
        for (year, sau, rows) in [("2016-17", "1001", "1\n2\n"), ("2016-17", "1002", "3\n")] {
            let d = uploads.join(year).join(sau);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("frm.csv"), format!("StudentID\r\n{rows}")).unwrap();
        }
        let floor = upload_csv_floor(&uploads, &dir.path().join("out")).unwrap();
        assert_eq!((floor.files, floor.rows), (2, 3));
        let text = std::fs::read_to_string(dir.path().join("out/frm.csv")).unwrap();
        assert_eq!(text, "StudentID\r\n1\r\n2\r\n3\r\n");
    }
}
