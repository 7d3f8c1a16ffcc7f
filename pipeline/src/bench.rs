//! `cutover bench-floor` (hidden; `make bench` runs it): what bare polars
//! takes for the bytes a run must read and write, the floor the run's time
//! is compared with.
//!
//! - `parquet`: every CSV of a bundle read by polars' CSV reader, every
//!   column as text (no typing, no rules), and written as parquet, each
//!   file whole or not at all (a temporary file, synced, renamed).
//! - `upload-csv`: the rows of a run's uploads (every file of one upload
//!   kind read back, untimed), then written by polars as one CSV per kind:
//!   the time to write the same upload rows, timed alone (each file
//!   whole or not at all).
//! - `outputs`: every file of a run's output folder (read back, untimed),
//!   written again as the run must write it: snapshots by the run's own
//!   parquet writer, each file whole or not at all (a temporary file,
//!   synced, renamed), uploads and reports hashed (SHA-256) as written,
//!   the upload tree built aside and moved in whole. No transform, no
//!   check: the time the run's bytes out take, whatever computes them.

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
    files_under(dir, |path| path.extension().is_some_and(|e| e == "csv"))
}

/// The files directly in `dir` or below it that `keep` keeps, in path order.
fn files_under(dir: &Path, keep: impl Fn(&Path) -> bool) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in
            std::fs::read_dir(&d).with_context(|| format!("cannot read {}", d.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                todo.push(path);
            } else if keep(&path) {
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

/// The floor's folder `out`, made if new; the temporary files a killed
/// floor left in it removed (each file is written whole or not at all, as
/// the run writes its own).
fn scratch(out: &Path) -> Result<()> {
    std::fs::create_dir_all(out)?;
    crate::output::remove_stale_temporaries(out)?;
    Ok(())
}

/// Every CSV of `bundle` read as text and written as parquet into `out`.
pub fn parquet_floor(bundle: &Path, out: &Path) -> Result<Floor> {
    scratch(out)?;
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
        crate::output::write_atomic(&out.join(format!("{name}.parquet")), |file| {
            ParquetWriter::new(file).finish(&mut df)?;
            Ok(())
        })?;
    }
    floor.seconds = start.elapsed().as_secs_f64();
    Ok(floor)
}

/// The rows of every upload file under `uploads` (read back, untimed),
/// written by polars as one CSV per upload kind into `out` (timed).
pub fn upload_csv_floor(uploads: &Path, out: &Path) -> Result<Floor> {
    scratch(out)?;
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
        crate::output::write_atomic(&out.join(name.as_str()), |file| {
            let mut buffered = std::io::BufWriter::new(file);
            CsvWriter::new(&mut buffered)
                .with_line_terminator("\r\n".into())
                .finish(df)?;
            Ok(std::io::Write::flush(&mut buffered)?)
        })?;
    }
    floor.seconds = start.elapsed().as_secs_f64();
    Ok(floor)
}

/// One kind of file the outputs floor wrote: how many, their bytes and the
/// seconds they took.
#[derive(Debug, Default, Serialize)]
pub struct Written {
    pub files: usize,
    pub bytes: u64,
    pub seconds: f64,
}

/// What the outputs floor wrote: the stages' snapshots, the upload tree,
/// and every other file (the upload manifest's CSV, reports, fix lists).
#[derive(Debug, Default, Serialize)]
pub struct OutputsFloor {
    pub snapshots: Written,
    pub uploads: Written,
    pub other: Written,
    /// The same files by the folder of the output folder holding them
    /// (`.` for the files directly in it): a stage's own bytes out are
    /// its folders' (publish: `conform`, `preflight`, `publish`,
    /// `uploads`).
    pub folders: BTreeMap<String, Written>,
    /// Rows in the snapshots.
    pub rows: usize,
    /// Seconds of the timed parts (the three kinds' sum).
    pub seconds: f64,
}

/// A run's output files by kind, each by its path inside the output folder.
#[derive(Default)]
struct Kinds {
    snapshots: Vec<PathBuf>,
    uploads: Vec<PathBuf>,
    other: Vec<PathBuf>,
}

/// Every file of the output folder `run` but hidden ones (the run's lock).
fn kinds(run: &Path) -> Result<Kinds> {
    let shown = |p: &Path| {
        p.file_name()
            .is_some_and(|n| !n.to_string_lossy().starts_with('.'))
    };
    let mut kinds = Kinds::default();
    for path in files_under(run, shown)? {
        let rel = path.strip_prefix(run)?.to_path_buf();
        if rel.extension().is_some_and(|e| e == "parquet") {
            kinds.snapshots.push(rel);
        } else if rel.starts_with("uploads") {
            kinds.uploads.push(rel);
        } else {
            kinds.other.push(rel);
        }
    }
    Ok(kinds)
}

/// Adds a file of `bytes` that took `seconds` to the folder holding `rel`.
fn add_to_folder(folders: &mut BTreeMap<String, Written>, rel: &Path, bytes: u64, seconds: f64) {
    let top = match rel.components().count() {
        0 | 1 => ".".to_string(),
        _ => rel
            .iter()
            .next()
            .map(|c| c.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    let folder = folders.entry(top).or_default();
    folder.files += 1;
    folder.bytes += bytes;
    folder.seconds += seconds;
}

fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Each snapshot read back (untimed) and written by the run's parquet
/// writer (its batches compressed on every core), whole or not at all
/// (timed). Returns the rows too.
fn write_snapshots(
    run: &Path,
    out: &Path,
    files: &[PathBuf],
    folders: &mut BTreeMap<String, Written>,
) -> Result<(Written, usize)> {
    let provenance = crate::snapshot::Provenance {
        run_id: "floor".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        config_sha256: String::new(),
        inputs: Default::default(),
        crosswalks: Default::default(),
    };
    let (mut written, mut rows) = (Written::default(), 0);
    for rel in files {
        let mut frame = crate::snapshot::read_parquet(&run.join(rel))?;
        let stage = rel.parent().map(Path::to_string_lossy).unwrap_or_default();
        let entity = rel
            .file_stem()
            .map(|s| s.to_string_lossy())
            .unwrap_or_default();
        let start = Instant::now();
        crate::snapshot::stage_parquet_batches(out, &stage, &entity, &provenance, |sink| {
            sink.write(&mut frame)
        })?
        .persist()?;
        let (seconds, bytes) = (
            start.elapsed().as_secs_f64(),
            std::fs::metadata(out.join(rel))?.len(),
        );
        add_to_folder(folders, rel, bytes, seconds);
        written.seconds += seconds;
        written.files += 1;
        written.bytes += bytes;
        rows += frame.height();
    }
    Ok((written, rows))
}

/// Bytes written to `file` through SHA-256, as the run writes its uploads.
fn write_hashed(file: impl std::io::Write, bytes: &[u8]) -> Result<String> {
    use std::io::Write;
    let mut hashing = crate::output::Hashing::new(std::io::BufWriter::new(file));
    hashing.write_all(bytes)?;
    hashing.flush()?;
    Ok(hashing.sum())
}

/// The upload files read back (untimed), then written into a folder aside,
/// hashed as they are written, synced, and the folder moved into place
/// whole (timed).
fn write_uploads(run: &Path, out: &Path, files: &[PathBuf]) -> Result<Written> {
    let held = files
        .iter()
        .map(|rel| Ok((rel, read_bytes(&run.join(rel))?)))
        .collect::<Result<Vec<_>>>()?;
    let start = Instant::now();
    let partial = out.join(".uploads.partial");
    crate::output::private_dir(&partial)?;
    let tree = crate::output::TreeSync::open(&partial)?;
    let mut paths = Vec::with_capacity(files.len());
    let mut written = Written::default();
    for (rel, bytes) in &held {
        let path = partial.join(rel.strip_prefix("uploads")?);
        std::fs::create_dir_all(path.parent().expect("a file in a folder"))?;
        write_hashed(std::fs::File::create(&path)?, bytes)?;
        written.files += 1;
        written.bytes += bytes.len() as u64;
        paths.push(path);
    }
    if paths.is_empty() {
        crate::output::remove_dir_all(&partial)?;
    } else {
        tree.sync(&paths)?;
        crate::output::rename(&partial, &out.join("uploads"))?;
    }
    written.seconds = start.elapsed().as_secs_f64();
    Ok(written)
}

/// Every other file read back (untimed), then written whole or not at
/// all, hashed as written (timed).
fn write_other(
    run: &Path,
    out: &Path,
    files: &[PathBuf],
    folders: &mut BTreeMap<String, Written>,
) -> Result<Written> {
    let mut written = Written::default();
    for rel in files {
        let bytes = read_bytes(&run.join(rel))?;
        let start = Instant::now();
        crate::output::write_atomic(&out.join(rel), |file| {
            write_hashed(file, &bytes).map(|_| ())
        })?;
        let seconds = start.elapsed().as_secs_f64();
        add_to_folder(folders, rel, bytes.len() as u64, seconds);
        written.seconds += seconds;
        written.files += 1;
        written.bytes += bytes.len() as u64;
    }
    Ok(written)
}

/// The files of the output folder `run`, each read back (untimed) and
/// written again into the new folder `out` as the run must write it
/// (timed; one file at a time in memory, but the uploads all at once).
pub fn outputs_floor(run: &Path, out: &Path) -> Result<OutputsFloor> {
    if out.exists() {
        anyhow::bail!(
            "{} exists: the outputs floor writes a new folder",
            out.display()
        );
    }
    let kinds = kinds(run)?;
    std::fs::create_dir_all(out)?;
    let mut folders = BTreeMap::new();
    let (snapshots, rows) = write_snapshots(run, out, &kinds.snapshots, &mut folders)?;
    let uploads = write_uploads(run, out, &kinds.uploads)?;
    if uploads.files > 0 {
        let into = folders.entry("uploads".to_string()).or_default();
        into.files += uploads.files;
        into.bytes += uploads.bytes;
        into.seconds += uploads.seconds;
    }
    let other = write_other(run, out, &kinds.other, &mut folders)?;
    Ok(OutputsFloor {
        folders,
        seconds: snapshots.seconds + uploads.seconds + other.seconds,
        rows,
        snapshots,
        uploads,
        other,
    })
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

    #[test]
    fn the_outputs_floor_writes_every_file_of_a_run_again() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        let provenance = crate::snapshot::Provenance {
            run_id: "r".into(),
            tool_version: "t".into(),
            config_sha256: "c".into(),
            inputs: Default::default(),
            crosswalks: Default::default(),
        };
        let mut frame =
            df!("StateStudentID" => ["1", "2", "3"], "Grade" => ["KG", "01", "02"]).unwrap();
        crate::snapshot::write_parquet(&run, "read", "truancy", &mut frame, &provenance).unwrap();
        let upload = run.join("uploads/2016-17/1001");
        std::fs::create_dir_all(&upload).unwrap();
        std::fs::write(upload.join("frm.csv"), "StudentID\r\n1\r\n").unwrap();
        std::fs::write(run.join("report.json"), "{}").unwrap();
        std::fs::write(run.join(".cutover.lock"), "").unwrap();
        let out = dir.path().join("floor");
        let floor = outputs_floor(&run, &out).unwrap();
        let counts = |w: &Written| (w.files, w.bytes);
        assert_eq!((floor.snapshots.files, floor.rows), (1, 3));
        assert_eq!(
            (counts(&floor.uploads), counts(&floor.other)),
            ((1, 14), (1, 2))
        );
        let by_folder: Vec<_> = floor
            .folders
            .iter()
            .map(|(name, w)| (name.as_str(), w.files, w.bytes))
            .collect();
        let snapshot_bytes = floor.snapshots.bytes;
        assert_eq!(
            by_folder,
            [(".", 1, 2), ("read", 1, snapshot_bytes), ("uploads", 1, 14)]
        );
        let again = crate::snapshot::read_parquet(&out.join("read/truancy.parquet")).unwrap();
        assert!(again.equals(&frame));
        for same in ["uploads/2016-17/1001/frm.csv", "report.json"] {
            assert_eq!(
                std::fs::read(out.join(same)).unwrap(),
                std::fs::read(run.join(same)).unwrap()
            );
        }
        let mut names: Vec<_> = files_under(&out, |_| true).unwrap();
        names
            .iter_mut()
            .for_each(|p| *p = p.strip_prefix(&out).unwrap().to_path_buf());
        let expected = [
            "read/truancy.parquet",
            "report.json",
            "uploads/2016-17/1001/frm.csv",
        ];
        assert_eq!(names, expected.map(PathBuf::from));
        let again = outputs_floor(&run, &out).unwrap_err().to_string();
        assert_eq!(
            again,
            format!(
                "{} exists: the outputs floor writes a new folder",
                out.display()
            )
        );
    }
}
