//! Writing outputs so that nothing is ever half-written: every file goes to
//! a temporary file in its own directory, is synced, and is renamed into
//! place. Directories holding student data are created 0700, files 0600.

use anyhow::{Context, Result};
use std::fs;
use std::io::Write;
use std::path::Path;

/// Test hook: `CUTOVER_FAULT_AT=N` kills the process (abort, as a `kill -9`
/// would) just before its Nth rename or removal, so a test can check that a
/// run killed at any of them is completed by the next;
/// `CUTOVER_INTERRUPT_AT=N` sends it a Ctrl-C's SIGINT there instead (the
/// rename or removal goes on, as one under way when the key is pressed).
/// Unset, it does nothing.
pub fn fault_point() {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    static AT: OnceLock<(Option<u64>, Option<u64>)> = OnceLock::new();
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let (abort, interrupt) = AT.get_or_init(|| {
        let at = |name| std::env::var(name).ok().and_then(|v| v.parse().ok());
        (at("CUTOVER_FAULT_AT"), at("CUTOVER_INTERRUPT_AT"))
    });
    if abort.is_none() && interrupt.is_none() {
        return;
    }
    let count = Some(COUNT.fetch_add(1, Ordering::SeqCst) + 1);
    if count == *abort {
        std::process::abort();
    }
    if count == *interrupt {
        crate::interrupt::raise();
    }
}

/// The gate every change of a name in the output folder goes through (a
/// temporary file made, a file moved into place, a file or folder made,
/// linked or removed): shared by the writing threads, taken whole by a
/// Ctrl-C ([`crate::interrupt`]) once the changes under way are done, and
/// held to the end, so that no name is made, moved or removed while the
/// run's temporaries are removed, nor after. Its writes into files already
/// made go on outside it (into a removed temporary, they are lost with it).
static GATE: std::sync::RwLock<()> = std::sync::RwLock::new(());

thread_local! {
    /// This thread closed the gate: it goes through to tidy up.
    static CLOSER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Passage through the gate, for one change of a name; none for the
/// thread that closed it (it tidies up with the functions below).
pub(crate) fn pass() -> Option<std::sync::RwLockReadGuard<'static, ()>> {
    if CLOSER.with(|c| c.get()) {
        return None;
    }
    Some(GATE.read().unwrap_or_else(|e| e.into_inner()))
}

/// Closes the gate for good, once the changes under way are done; the
/// calling thread alone goes through it after.
pub(crate) fn close_gate() -> std::sync::RwLockWriteGuard<'static, ()> {
    let guard = GATE.write().unwrap_or_else(|e| e.into_inner());
    CLOSER.with(|c| c.set(true));
    guard
}

#[cfg(test)]
thread_local! {
    /// The folders this thread synced, in order (for the tests).
    static SYNCED: std::cell::RefCell<Vec<std::path::PathBuf>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The folder holding `path` (`.` for a bare name).
fn folder(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Syncs the folder holding `path`: a name moved in, made or removed is on
/// disk only once its folder is synced (a kill cannot lose a rename, a
/// power cut can). Every rename, removal and new folder goes through here.
pub fn sync_folder_of(path: &Path) -> Result<()> {
    let dir = folder(path);
    #[cfg(test)]
    SYNCED.with(|s| s.borrow_mut().push(dir.to_path_buf()));
    fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot sync the folder {}", dir.display()))
}

/// Renames, naming both paths in an error, and syncs the folders of both.
#[allow(clippy::disallowed_methods)]
pub fn rename(from: &Path, to: &Path) -> Result<()> {
    let _pass = pass();
    fault_point();
    fs::rename(from, to)
        .with_context(|| format!("cannot move {} to {}", from.display(), to.display()))?;
    sync_folder_of(to)?;
    if folder(from) != folder(to) {
        sync_folder_of(from)?;
    }
    Ok(())
}

/// Puts the finished folder `new` at `to`, where an earlier one may be, so
/// that a reader (or a kill) finds `to` at every moment, the earlier folder
/// whole or the new one whole. Where the filesystem swaps two names in one
/// rename (Linux's `renameat2` with `RENAME_EXCHANGE`) the two are
/// swapped, then the earlier one, now at `new`, removed: a kill between
/// leaves it there, removed by the next command as a half-written `new`
/// is. Where it cannot, `to` is moved to `previous` first and the new
/// folder moved in (`to` missing between the two moves; the next command
/// moves `previous` back when `to` is missing).
pub fn replace_dir(new: &Path, to: &Path, previous: &Path) -> Result<()> {
    if to.exists() {
        if exchange(new, to)? {
            return remove_dir_all(new);
        }
        rename(to, previous)?;
        rename(new, to)?;
        return remove_dir_all(previous);
    }
    rename(new, to)
}

/// The two hidden folders beside `to` ([`replace_dir`]): `.<name>.partial`,
/// where the new folder is built, and `.<name>.previous`, where the earlier
/// one is set aside where the two cannot be swapped.
pub fn beside(to: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let name = to.file_name().unwrap_or_default().to_string_lossy();
    let hidden = |what: &str| folder(to).join(format!(".{name}.{what}"));
    (hidden("partial"), hidden("previous"))
}

/// Puts right what a command killed while building `to` beside it
/// ([`beside`], [`replace_dir`]) left: the earlier folder moved back if it
/// was set aside and `to` is missing (else removed), the partial folder
/// removed.
pub fn recover_dir(to: &Path) -> Result<()> {
    let (partial, previous) = beside(to);
    if previous.exists() {
        if to.exists() {
            remove_dir_all(&previous)?;
        } else {
            rename(&previous, to)?;
        }
    }
    if partial.exists() {
        remove_dir_all(&partial)?;
    }
    Ok(())
}

/// A folder of several files built whole in `.<name>.partial` beside `to`
/// ([`Self::start`]), then put in place by [`replace_dir`] ([`Self::finish`]):
/// a reader finds the earlier folder whole or the new one whole, never a
/// few of the new files among the earlier ones or beside none.
pub struct Building {
    to: std::path::PathBuf,
    partial: std::path::PathBuf,
    previous: std::path::PathBuf,
}

impl Building {
    /// What a killed command left put right ([`recover_dir`]), and the
    /// partial folder made, empty.
    pub fn start(to: &Path) -> Result<Self> {
        recover_dir(to)?;
        let (partial, previous) = beside(to);
        private_dir(&partial)?;
        Ok(Building {
            to: to.to_path_buf(),
            partial,
            previous,
        })
    }

    /// Where the files are written.
    pub fn path(&self) -> &Path {
        &self.partial
    }

    /// The folder built, put in place.
    pub fn finish(self) -> Result<()> {
        replace_dir(&self.partial, &self.to, &self.previous)
    }
}

/// Swaps the names `a` and `b` in one rename, and syncs their folders;
/// false, nothing done, where the filesystem or the system cannot.
#[allow(clippy::disallowed_methods)]
fn exchange(a: &Path, b: &Path) -> Result<bool> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        let _pass = pass();
        fault_point();
        match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
            Ok(()) => {}
            Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS) => return Ok(false),
            Err(e) => {
                return Err(std::io::Error::from(e))
                    .with_context(|| format!("cannot swap {} with {}", a.display(), b.display()))
            }
        }
        sync_folder_of(b)?;
        if folder(a) != folder(b) {
            sync_folder_of(a)?;
        }
        Ok(true)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = (a, b);
        Ok(false)
    }
}

/// Removes a folder and everything in it, naming it in an error, and syncs
/// the folder that held it.
#[allow(clippy::disallowed_methods)]
pub fn remove_dir_all(path: &Path) -> Result<()> {
    let _pass = pass();
    fault_point();
    fs::remove_dir_all(path).with_context(|| format!("cannot remove {}", path.display()))?;
    sync_folder_of(path)
}

/// Removes a file, naming it in an error, and syncs its folder.
#[allow(clippy::disallowed_methods)]
pub fn remove_file(path: &Path) -> Result<()> {
    let _pass = pass();
    fault_point();
    fs::remove_file(path).with_context(|| format!("cannot remove {}", path.display()))?;
    sync_folder_of(path)
}

/// The path itself if it exists, else its nearest existing ancestor, made
/// absolute.
pub fn nearest_existing(path: &Path) -> std::path::PathBuf {
    let mut p = path;
    loop {
        if let Ok(c) = p.canonicalize() {
            return c;
        }
        match p.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => p = parent,
            _ => return std::env::current_dir().unwrap_or_default(),
        }
    }
}

/// Refuses a folder its owner made read-only: its permissions are the
/// user's choice, never changed to write into it.
pub fn refuse_read_only(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = fs::metadata(path) {
            if meta.is_dir() && meta.permissions().mode() & 0o200 == 0 {
                anyhow::bail!(
                    "{}: the folder is read-only; make it writable or choose another output folder",
                    path.display()
                );
            }
        }
    }
    Ok(())
}

/// Creates a directory (and its parents) readable by the owner only, and
/// syncs the folder of each one it makes, so that they are on disk.
pub fn private_dir(path: &Path) -> Result<()> {
    let made: Vec<&Path> = path
        .ancestors()
        .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
        .collect();
    private_dir_in_tree(path)?;
    made.iter().rev().try_for_each(|dir| sync_folder_of(dir))
}

/// [`private_dir`] without the syncs, for a folder inside a tree that is
/// synced whole ([`TreeSync`]) before it is moved into place.
pub fn private_dir_in_tree(path: &Path) -> Result<()> {
    refuse_read_only(path)?;
    let _pass = pass();
    fs::create_dir_all(path)
        .with_context(|| format!("cannot create directory {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot set permissions of {}", path.display()))?;
    }
    Ok(())
}

/// Writes a file atomically: temp file beside it, sync, rename. The file is
/// readable by the owner only.
pub fn write_atomic(path: &Path, write: impl FnOnce(&mut fs::File) -> Result<()>) -> Result<()> {
    stage_atomic(path, write)?.persist()
}

/// A file written and synced beside its final path, not yet moved into
/// place (a killed run leaves it as a temporary file, removed at start-up).
pub struct Staged {
    tmp: tempfile::NamedTempFile,
    path: std::path::PathBuf,
}

impl Staged {
    /// Where it is until it is moved into place.
    pub fn temp_path(&self) -> &Path {
        self.tmp.path()
    }

    /// Moves it into place, and syncs its folder.
    #[allow(clippy::disallowed_methods)]
    pub fn persist(self) -> Result<()> {
        let _pass = pass();
        fault_point();
        let path = self.path;
        self.tmp.persist(&path).with_context(|| {
            format!(
                "cannot move the finished file into place at {}",
                path.display()
            )
        })?;
        sync_folder_of(&path)
    }
}

/// The first half of [`write_atomic`]: the temporary file beside `path`,
/// written and synced, to be moved into place later.
pub fn stage_atomic(
    path: &Path,
    write: impl FnOnce(&mut fs::File) -> Result<()>,
) -> Result<Staged> {
    let dir = folder(path);
    private_dir(dir)?;
    let pass = pass();
    let mut tmp = tempfile::Builder::new()
        .prefix(".cutover-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    drop(pass);
    write(tmp.as_file_mut()).with_context(|| format!("cannot write {}", path.display()))?;
    tmp.as_file_mut()
        .flush()
        .and_then(|_| tmp.as_file().sync_all())
        .with_context(|| format!("cannot sync {}", path.display()))?;
    Ok(Staged {
        tmp,
        path: path.to_path_buf(),
    })
}

/// A tree of files made in place (the uploads folder being built), put on
/// disk whole before it is moved into place. On Linux one `syncfs` of the
/// filesystem holding it writes every file's bytes and every folder's names
/// and waits for them: the same guarantee as syncing each file and folder,
/// one call instead of one per file (27,720 at 400,000 students), and it
/// also waits on whatever else on that filesystem is not yet on disk.
///
/// The folder is opened as soon as it is made, before any file in it is
/// written: `syncfs` reports a write-back error that happened anywhere on
/// the filesystem since its descriptor was opened (Linux 5.8 on), so one
/// that lost a byte of the tree fails the sync even if another program's
/// `syncfs` saw it first. An older kernel's `syncfs` reports no write-back
/// error at all, so there each file and folder is synced one by one, as
/// before ([`syncfs_reports_errors`]).
pub struct TreeSync {
    root: std::path::PathBuf,
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    folder: fs::File,
}

impl TreeSync {
    /// Opens the folder `root`, made and still empty.
    pub fn open(root: &Path) -> Result<Self> {
        let folder =
            fs::File::open(root).with_context(|| format!("cannot open {}", root.display()))?;
        Ok(Self {
            root: root.to_path_buf(),
            folder,
        })
    }

    /// Puts every file and folder under the root on disk: `files` are the
    /// files made in it (synced one by one where there is no `syncfs`).
    pub fn sync(self, files: &[std::path::PathBuf]) -> Result<()> {
        #[cfg(test)]
        SYNCED.with(|s| s.borrow_mut().push(self.root.clone()));
        #[cfg(target_os = "linux")]
        if kernel_syncfs_reports_errors() {
            return rustix::fs::syncfs(&self.folder)
                .with_context(|| format!("cannot sync {}", self.root.display()));
        }
        sync_tree(&self.root, files)
    }
}

/// Whether this machine's kernel reports write-back errors from `syncfs`
/// (read once from `/proc/sys/kernel/osrelease`).
#[cfg(target_os = "linux")]
fn kernel_syncfs_reports_errors() -> bool {
    static REPORTS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *REPORTS.get_or_init(|| {
        fs::read_to_string("/proc/sys/kernel/osrelease").is_ok_and(|r| syncfs_reports_errors(&r))
    })
}

/// Whether a Linux kernel of release `release` (`6.18.44-...`) reports
/// write-back errors from `syncfs`: from 5.8 on. A release it cannot read
/// is taken as older, so the files are synced one by one.
pub fn syncfs_reports_errors(release: &str) -> bool {
    let mut parts = release.trim().split(|c: char| !c.is_ascii_digit());
    let mut number = || parts.next().and_then(|p| p.parse::<u32>().ok());
    match (number(), number()) {
        (Some(major), Some(minor)) => (major, minor) >= (5, 8),
        _ => false,
    }
}

/// Syncs every file of `paths` to disk, several at a time: a sync mostly
/// waits on the disk, and the disk takes many at once about as fast as one.
fn sync_files(paths: &[std::path::PathBuf]) -> Result<()> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    const AT_ONCE: usize = 16;
    let next = AtomicUsize::new(0);
    let sync = || -> Result<()> {
        while let Some(path) = paths.get(next.fetch_add(1, Ordering::Relaxed)) {
            fs::File::open(path)
                .and_then(|f| f.sync_all())
                .with_context(|| format!("cannot sync {}", path.display()))?;
        }
        Ok(())
    };
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..AT_ONCE.min(paths.len()))
            .map(|_| s.spawn(sync))
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| anyhow::bail!("a sync thread panicked"))
            })
            .collect::<Result<Vec<()>>>()
    })?;
    Ok(())
}

/// Syncs every file and every folder under `root`, several at a time
/// ([`sync_files`]): the names in a tree of files made in place are on
/// disk once each folder holding them is synced.
fn sync_tree(root: &Path, files: &[std::path::PathBuf]) -> Result<()> {
    let mut folders = vec![root.to_path_buf()];
    let mut i = 0;
    while let Some(dir) = folders.get(i).cloned() {
        for entry in fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))? {
            let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                folders.push(entry.path());
            }
        }
        i += 1;
    }
    folders.extend_from_slice(files);
    sync_files(&folders)
}

/// Removes the temporary files a killed run left under `root` (only this
/// tool's: `.cutover-*.tmp`). Returns how many.
pub fn remove_stale_temporaries(root: &Path) -> Result<usize> {
    let mut removed = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_dir() {
                stack.push(path);
            } else if name.starts_with(".cutover-") && name.ends_with(".tmp") {
                remove_file(&path)?;
                removed += 1;
            }
        }
    }
    Ok(removed)
}

/// Removes the temporary files a killed command left beside `path` (only
/// this tool's, `.cutover-*.tmp`, directly in its folder: not below it, as
/// the folder may be a user's). Returns how many.
pub fn remove_stale_temporaries_beside(path: &Path) -> Result<usize> {
    let dir = folder(path);
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(0);
    };
    let mut removed = 0;
    for entry in entries {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with(".cutover-") && name.ends_with(".tmp") && path.is_file() {
            remove_file(&path)?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// A CSV file's bytes: the header, then one record per row.
pub fn csv_bytes<R, T>(header: &[&str], rows: impl IntoIterator<Item = R>) -> Result<Vec<u8>>
where
    R: IntoIterator<Item = T>,
    T: AsRef<[u8]>,
{
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for row in rows {
        w.write_record(row)?;
    }
    w.into_inner().context("cannot write a CSV file")
}

/// Writes bytes atomically.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic(path, |f| Ok(f.write_all(bytes)?))
}

/// Line ends of a CSV file: Synergy's files end lines with CRLF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineEnds {
    Lf,
    Crlf,
}

/// Columns of a frame as text, each in one chunk, written as CSV rows
/// straight into a byte buffer: quoted only when a value holds a comma, a
/// quote or a line break (quotes doubled), null written blank, as the
/// `csv` crate writes them with `QuoteStyle::Necessary`, at a fraction of
/// its cost per value.
pub struct TextColumns {
    columns: Vec<Text>,
    ends: LineEnds,
}

/// One column as [`TextColumns`] writes it.
enum Text {
    /// The values as text.
    Values(polars::prelude::StringChunked),
    /// One value in every row (a column held as a single value), written
    /// once here as a field.
    Same(Vec<u8>),
    /// Whole numbers, written as their text is (digits, `-` first when
    /// negative: never quoted), not cast to text first.
    Ints(polars::prelude::Int64Chunked),
}

impl TextColumns {
    /// `columns` of `df`, in that order, as text.
    pub fn of(df: &polars::prelude::DataFrame, columns: &[&str], ends: LineEnds) -> Result<Self> {
        use polars::prelude::{Column, DataType};
        let single = columns.len() == 1;
        let columns = columns
            .iter()
            .map(|c| -> Result<_> {
                let column = df.column(c).with_context(|| format!("no column {c}"))?;
                if let (Column::Scalar(sc), true) = (column, df.height() > 0) {
                    let one = sc.as_single_value_series().cast(&DataType::String)?;
                    let mut field = Vec::new();
                    push_field(&mut field, one.str()?.get(0).unwrap_or(""), single);
                    return Ok(Text::Same(field));
                }
                let s = column.as_materialized_series();
                if matches!(s.dtype(), DataType::Int64) {
                    return Ok(Text::Ints(s.i64()?.rechunk().into_owned()));
                }
                let s = s.cast(&DataType::String)?;
                Ok(Text::Values(s.str()?.rechunk().into_owned()))
            })
            .collect::<Result<_>>()?;
        Ok(TextColumns { columns, ends })
    }

    /// Appends one CSV record of `fields` ending in `ends` (a header line,
    /// with no columns at hand).
    pub fn line<'v>(
        out: &mut Vec<u8>,
        fields: impl ExactSizeIterator<Item = &'v str>,
        ends: LineEnds,
    ) {
        let single = fields.len() == 1;
        for (j, v) in fields.enumerate() {
            if j > 0 {
                out.push(b',');
            }
            push_field(out, v, single);
        }
        end_line(out, ends);
    }

    fn end(&self, out: &mut Vec<u8>) {
        end_line(out, self.ends);
    }

    /// Appends the rows `rows` as CSV records. A value repeated from the
    /// row before (the same view of the same bytes: a file name, a stage
    /// list) is copied without looking at its bytes again.
    pub fn rows(&self, out: &mut Vec<u8>, rows: std::ops::Range<usize>) {
        use polars::prelude::{Int64Type, PolarsDataType, StaticArray, StringType};
        enum Array<'a> {
            Values(&'a <StringType as PolarsDataType>::Array),
            Same(&'a [u8]),
            Ints(&'a <Int64Type as PolarsDataType>::Array),
        }
        let arrays: Vec<Array> = self
            .columns
            .iter()
            .filter_map(|c| match c {
                Text::Values(v) => v.downcast_iter().next().map(Array::Values),
                Text::Same(field) => Some(Array::Same(field)),
                Text::Ints(v) => v.downcast_iter().next().map(Array::Ints),
            })
            .collect();
        if arrays.len() != self.columns.len() {
            // Only an empty frame has columns without a chunk.
            return;
        }
        let single = arrays.len() == 1;
        // Per column: the last value's view, and whether it was written as
        // it is.
        let mut last: Vec<Option<(u128, bool)>> = vec![None; arrays.len()];
        let mut digits = itoa::Buffer::new();
        for i in rows {
            for (j, a) in arrays.iter().enumerate() {
                if j > 0 {
                    out.push(b',');
                }
                let a = match a {
                    Array::Values(a) => a,
                    Array::Same(field) => {
                        out.extend_from_slice(field);
                        continue;
                    }
                    Array::Ints(a) => {
                        match a.get(i) {
                            Some(n) => out.extend_from_slice(digits.format(n).as_bytes()),
                            None => {
                                push_field(out, "", single);
                            }
                        }
                        continue;
                    }
                };
                let Some(v) = a.get(i) else {
                    push_field(out, "", single);
                    continue;
                };
                let view = a.views()[i].as_u128();
                match last[j] {
                    Some((seen, true)) if seen == view => out.extend_from_slice(v.as_bytes()),
                    _ => last[j] = Some((view, push_field(out, v, single))),
                }
            }
            self.end(out);
        }
    }
}

fn end_line(out: &mut Vec<u8>, ends: LineEnds) {
    match ends {
        LineEnds::Lf => out.push(b'\n'),
        LineEnds::Crlf => out.extend_from_slice(b"\r\n"),
    }
}

/// One CSV field: quoted when it must be; a record of one empty field is
/// written `""` (else it would be an empty line). Returns whether it was
/// written as it is.
fn push_field(out: &mut Vec<u8>, v: &str, single: bool) -> bool {
    let b = v.as_bytes();
    if b.iter().any(|c| matches!(c, b',' | b'"' | b'\r' | b'\n')) {
        out.push(b'"');
        for &c in b {
            if c == b'"' {
                out.push(b'"');
            }
            out.push(c);
        }
        out.push(b'"');
        false
    } else if b.is_empty() && single {
        out.extend_from_slice(b"\"\"");
        false
    } else {
        out.extend_from_slice(b);
        true
    }
}

/// The one CSV writer for frames: `columns` of `df` in that order, every
/// value as text (null as blank), quoted only when it must be; atomically.
/// Blocks of rows are formatted on every core, a few at a time, and
/// written in order.
pub fn write_frame_csv(
    path: &Path,
    df: &polars::prelude::DataFrame,
    columns: &[&str],
    ends: LineEnds,
) -> Result<()> {
    write_frames_csv(path, &[df], columns, ends).map(|_| ())
}

/// A writer that hashes (SHA-256) every byte it passes on.
pub struct Hashing<W> {
    inner: W,
    sha: sha2::Sha256,
}

impl<W: Write> Hashing<W> {
    pub fn new(inner: W) -> Self {
        use sha2::Digest;
        Hashing {
            inner,
            sha: sha2::Sha256::new(),
        }
    }

    /// The SHA-256 of what was written, in hexadecimal.
    pub fn sum(self) -> String {
        use sha2::Digest;
        crate::checksum::hex(&self.sha.finalize())
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        use sha2::Digest;
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// [`write_frame_csv`] of the rows of `frames` one after the other (one
/// header), each formatted as it is (no frame made of them all). Returns
/// the file's SHA-256, taken as its bytes were written.
pub fn write_frames_csv(
    path: &Path,
    frames: &[&polars::prelude::DataFrame],
    columns: &[&str],
    ends: LineEnds,
) -> Result<String> {
    write_csv_parts(path, frames.iter().map(|f| Ok((*f).clone())), columns, ends)
}

/// [`write_frames_csv`] of frames made one at a time (each dropped once
/// written).
pub fn write_csv_parts(
    path: &Path,
    frames: impl Iterator<Item = Result<polars::prelude::DataFrame>>,
    columns: &[&str],
    ends: LineEnds,
) -> Result<String> {
    use rayon::prelude::*;
    const BLOCK: usize = 1 << 16;
    const AT_ONCE: usize = 8;
    let mut sum = String::new();
    write_atomic(path, |f| {
        let mut out = Hashing::new(f);
        let mut head = Vec::new();
        TextColumns::line(&mut head, columns.iter().copied(), ends);
        out.write_all(&head)?;
        // One frame's columns as text at a time: the text of every frame
        // at once would be as large as the file.
        for df in frames {
            let df = df?;
            let text = TextColumns::of(&df, columns, ends)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            let height = df.height();
            let blocks: Vec<std::ops::Range<usize>> = (0..height)
                .step_by(BLOCK)
                .map(|start| start..(start + BLOCK).min(height))
                .collect();
            for batch in blocks.chunks(AT_ONCE) {
                let formatted: Vec<Vec<u8>> = batch
                    .par_iter()
                    .map(|rows| {
                        let mut buf = Vec::with_capacity(1 << 20);
                        text.rows(&mut buf, rows.clone());
                        buf
                    })
                    .collect();
                for buf in formatted {
                    out.write_all(&buf)?;
                }
            }
        }
        sum = out.sum();
        Ok(())
    })?;
    Ok(sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `f` returns, and the folders it synced, in order.
    fn synced<T>(f: impl FnOnce() -> T) -> (T, Vec<std::path::PathBuf>) {
        SYNCED.with(|s| s.borrow_mut().clear());
        let t = f();
        (t, SYNCED.with(|s| s.take()))
    }

    /// A power cut loses a rename, a removal or a new folder unless the
    /// folder holding the name is synced after it: each helper syncs it.
    #[test]
    fn a_folder_that_cannot_be_synced_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let gone = tmp.path().join("gone");
        let err = sync_folder_of(&gone.join("file.csv")).unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            format!(
                "cannot sync the folder {}: No such file or directory (os error 2)",
                gone.display()
            )
        );
    }

    #[test]
    fn syncfs_is_trusted_from_linux_5_8_on_and_not_on_a_release_it_cannot_read() {
        for (release, trusted) in [
            ("6.18.44-fc-v1045", true),
            ("5.8.0", true),
            ("5.10.0-28-amd64\n", true),
            ("5.7.19", false),
            ("4.19.0-26-amd64", false),
            ("3.10.0-1160.el7.x86_64", false),
            ("6", false),
            ("", false),
        ] {
            assert_eq!(syncfs_reports_errors(release), trusted, "{release:?}");
        }
    }

    #[test]
    fn every_rename_removal_and_new_folder_syncs_the_folder_holding_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let (a, b) = (root.join("a"), root.join("a/b"));
        let (_, s) = synced(|| private_dir(&b).unwrap());
        assert_eq!(s, [root.to_path_buf(), a.clone()], "each folder made");
        let (_, s) = synced(|| private_dir(&b).unwrap());
        assert!(s.is_empty(), "a folder there already: {s:?}");
        let (_, s) = synced(|| write_bytes(&b.join("f.csv"), b"x").unwrap());
        assert_eq!(s, vec![b.clone()], "a file moved into place");
        let (_, s) = synced(|| rename(&b.join("f.csv"), &a.join("g.csv")).unwrap());
        assert_eq!(
            s,
            [a.clone(), b.clone()],
            "a rename from one folder to another"
        );
        let (_, s) = synced(|| rename(&a.join("g.csv"), &a.join("h.csv")).unwrap());
        assert_eq!(s, vec![a.clone()], "a rename within a folder");
        let (_, s) = synced(|| remove_file(&a.join("h.csv")).unwrap());
        assert_eq!(s, vec![a.clone()], "a file removed");
        fs::write(b.join(".cutover-x.tmp"), "half").unwrap();
        let (n, s) = synced(|| remove_stale_temporaries(root).unwrap());
        assert_eq!((n, s), (1, vec![b.clone()]), "a temporary removed");
        let tree = TreeSync::open(&a).unwrap();
        fs::write(b.join("made_in_place.csv"), "x").unwrap();
        let (_, s) = synced(|| tree.sync(&[b.join("made_in_place.csv")]).unwrap());
        assert_eq!(s, vec![a.clone()], "a tree of files made in place, at once");
        let (_, s) = synced(|| remove_dir_all(&b).unwrap());
        assert_eq!(s, vec![a.clone()], "a folder removed");
        assert!(!b.exists());
    }

    #[test]
    fn a_failed_write_leaves_the_previous_file_intact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out/report.json");
        write_bytes(&path, b"first").unwrap();
        let failed = write_atomic(&path, |f| {
            f.write_all(b"half")?;
            anyhow::bail!("killed mid-write")
        });
        assert!(failed.is_err());
        assert_eq!(fs::read(&path).unwrap(), b"first");
        let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "the temporary file is removed");
    }

    #[cfg(unix)]
    #[test]
    fn student_data_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snap/x.csv");
        write_bytes(&path, b"a").unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
    }

    #[test]
    fn frames_written_one_after_another_are_the_csv_of_their_rows_with_its_checksum() {
        use polars::prelude::*;
        let dir = tempfile::tempdir().unwrap();
        let a = df!("x" => ["a,b", "c"], "n" => [Some(1i64), None]).unwrap();
        let b = df!("x" => ["d\"e"], "n" => [Some(3i64)]).unwrap();
        let empty = a.clear();
        let parts = dir.path().join("parts.csv");
        let sum = write_frames_csv(&parts, &[&a, &empty, &b], &["n", "x"], LineEnds::Lf).unwrap();
        let whole = dir.path().join("whole.csv");
        write_frame_csv(&whole, &a.vstack(&b).unwrap(), &["n", "x"], LineEnds::Lf).unwrap();
        let text = fs::read_to_string(&parts).unwrap();
        assert_eq!(text, "n,x\n1,\"a,b\"\n,c\n3,\"d\"\"e\"\n");
        assert_eq!(text, fs::read_to_string(&whole).unwrap());
        assert_eq!(sum, crate::checksum::file_sha256(&parts).unwrap());
        let none = dir.path().join("none.csv");
        let sum = write_frames_csv(&none, &[], &["n", "x"], LineEnds::Crlf).unwrap();
        assert_eq!(fs::read_to_string(&none).unwrap(), "n,x\r\n");
        assert_eq!(sum, crate::checksum::file_sha256(&none).unwrap());
    }

    /// The CSV of `df`'s columns as text, each value cast to text by
    /// polars: what [`TextColumns`] must write however a column is held.
    fn cast_csv(df: &polars::prelude::DataFrame, columns: &[&str]) -> String {
        use polars::prelude::*;
        let cast: Vec<Column> = columns
            .iter()
            .map(|c| {
                let s = df.column(c).unwrap().as_materialized_series();
                s.cast(&DataType::String).unwrap().into_column()
            })
            .collect();
        let text = DataFrame::new(df.height(), cast).unwrap();
        let text = TextColumns::of(&text, columns, LineEnds::Lf).unwrap();
        let mut out = Vec::new();
        text.rows(&mut out, 0..df.height());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn single_value_and_whole_number_columns_are_written_as_their_text() {
        use polars::prelude::*;
        let mut df = df!(
            "n" => [Some(0i64), Some(-7), None, Some(i64::MAX), Some(i64::MIN)],
            "x" => ["a", "b", "c", "d", "e"],
        )
        .unwrap();
        let same = |name: &str, v: AnyValue<'static>, dtype: DataType| {
            Column::new_scalar(name.into(), Scalar::new(dtype, v), 5)
        };
        df.with_column(same(
            "s",
            AnyValue::StringOwned("a,\"b".into()),
            DataType::String,
        ))
        .unwrap();
        df.with_column(same(
            "t",
            AnyValue::StringOwned("read>ingest".into()),
            DataType::String,
        ))
        .unwrap();
        df.with_column(same("z", AnyValue::Null, DataType::String))
            .unwrap();
        df.with_column(same("k", AnyValue::Int32(12), DataType::Int32))
            .unwrap();
        let columns = ["n", "s", "x", "t", "z", "k"];
        let text = TextColumns::of(&df, &columns, LineEnds::Lf).unwrap();
        let mut out = Vec::new();
        text.rows(&mut out, 0..5);
        let out = String::from_utf8(out).unwrap();
        assert_eq!(out, cast_csv(&df, &columns));
        assert!(out.starts_with("0,\"a,\"\"b\",a,read>ingest,,12\n-7,"));
        // One column: a blank value is quoted, as a scalar or a null number.
        for one in [["z"], ["n"]] {
            let text = TextColumns::of(&df, &one, LineEnds::Lf).unwrap();
            let mut out = Vec::new();
            text.rows(&mut out, 0..5);
            assert_eq!(String::from_utf8(out).unwrap(), cast_csv(&df, &one));
        }
        // An empty frame writes nothing.
        let empty = df.clear();
        let text = TextColumns::of(&empty, &columns, LineEnds::Lf).unwrap();
        let mut out = Vec::new();
        text.rows(&mut out, 0..0);
        assert!(out.is_empty());
    }
}
