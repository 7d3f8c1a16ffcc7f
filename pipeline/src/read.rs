//! The read step: one bundle file to a frame of text columns.
//!
//! Decides the file's encoding on the whole file (UTF-8, UTF-8 with a
//! byte-order mark, or Windows-1252; or as configured), transcodes to UTF-8
//! before polars sees it, counts characters that could not be decoded, takes
//! LF or CRLF, maps the extract's column names onto the canonical ones, and
//! gives every row `source_file` and `source_row` (the line a person sees in
//! a text editor). A row with the wrong number of fields is rejected
//! (`column_count`), and so is a row with bytes that do not decode in the
//! file's encoding (`undecodable`): the rest of the file keeps its encoding.

use crate::checksum::Stamp;
use cutover_stages::columns::*;
use cutover_stages::ingest::empty_quarantine;
use cutover_stages::report::StageReport;
use cutover_stages::schema::EntitySpec;
use polars::prelude::*;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

mod chunks;
mod stream;
mod written;

/// The stage name in reports and snapshot folders.
pub const STAGE: &str = "read";

/// How a file's encoding is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EncodingChoice {
    /// A byte-order mark means UTF-8; valid UTF-8 is UTF-8; text with more
    /// valid multi-byte UTF-8 characters than invalid bytes is UTF-8 with a
    /// few bad bytes; anything else is Windows-1252.
    Auto,
    Utf8,
    Windows1252,
}

impl EncodingChoice {
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "auto" => Some(Self::Auto),
            "utf-8" | "utf8" => Some(Self::Utf8),
            "windows-1252" | "cp1252" => Some(Self::Windows1252),
            _ => None,
        }
    }
}

/// What was found in one file (recorded in `run.json`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FileInfo {
    pub file: String,
    pub sha256: String,
    /// The file's size on disk (what its checksum covers), not the length
    /// of its decoded text.
    pub bytes: u64,
    /// `utf-8`, `utf-8-bom` or `windows-1252` (`utf-16le` or `utf-16be`
    /// for a file that starts with a UTF-16 byte-order mark).
    pub encoding: String,
    /// `LF`, `CRLF`, `mixed` or `none`.
    pub line_endings: String,
    /// Characters that could not be decoded (replaced by U+FFFD).
    pub undecodable: u64,
    /// Header columns as the extract names them.
    pub columns_found: Vec<String>,
    /// Extract columns that map to no canonical column (not read).
    pub extra_columns: Vec<String>,
    /// Canonical columns the file lacks (read as blank).
    pub missing_columns: Vec<String>,
}

/// A file that cannot be read at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReadError {
    #[error("{file}: cannot read: {message}")]
    Io { file: String, message: String },
    #[error("{file}: the file is empty: a header row is expected")]
    Empty { file: String },
    #[error("{file}: the file holds only blank lines ({lines} of them), no header row and no records: a header row is expected (was the extract cut short?)")]
    BlankOnly { file: String, lines: usize },
    #[error("{file}: line {line}: none of the file's columns found in its {fields} field(s){hint}: the header row may be missing (the line's values are not shown: they may be a student's)")]
    NoHeader {
        file: String,
        line: u64,
        fields: usize,
        hint: &'static str,
    },
    #[error("{file}: line {line}: the configuration maps column {from} onto {to}, but the header has neither; found: {found}")]
    MapUnmatched {
        file: String,
        line: u64,
        from: String,
        to: String,
        found: String,
    },
    #[error("{file}: line {line}: column {column} appears twice in the header")]
    DuplicateColumn {
        file: String,
        line: u64,
        column: String,
    },
    #[error("{file}: line {line}: expected column(s) {missing} not found; found: {found}")]
    MissingColumns {
        file: String,
        line: u64,
        missing: String,
        found: String,
    },
    #[error("{file}: the file changed while the run read it ({how}): the rows read may not be the bytes checksummed: run again once nothing writes to the file")]
    Changed { file: String, how: &'static str },
    #[error("{file}: column {column} holds the text NULL in {rows} row(s){why}: the export writes its blanks as the text NULL (SQL Server Management Studio's Save Results As does), which would reach the uploads as a value: export blanks as empty fields")]
    NullsAsText {
        file: String,
        column: String,
        rows: u64,
        why: String,
    },
    #[error("{file}: column {column}: every value ({rows} rows) is digits then .0, as 10001.0: the IDs were written as decimal numbers (pandas reads a column of digits with blanks as floats): export them as text, as the source holds them")]
    DecimalIds {
        file: String,
        column: String,
        rows: u64,
    },
    #[error("{file}: line {line}: {message}")]
    Csv {
        file: String,
        line: u64,
        message: String,
    },
}

/// One file, read (its rows went to the sink a batch at a time: canonical
/// columns as text, null when blank, plus `source_file` and `source_row`).
pub struct Read {
    /// Canonical columns the file had.
    pub present: BTreeSet<String>,
    /// Rows with the wrong number of fields or undecodable bytes.
    pub quarantine: DataFrame,
    pub report: StageReport,
    pub info: FileInfo,
    /// The StateStudentIDs of the rows rejected here, taken at the header's
    /// position: a student whose only identity row is malformed still has
    /// one (ingest's `no_identity` is for students with none).
    pub rejected_state_ids: BTreeSet<String>,
    /// The lines of the rows that may equal another row (the same hash of
    /// their values), in order: every row equal to another is among them.
    pub maybe_same: Vec<i64>,
}

/// The UTF-16 encoding a file's byte-order mark names, if it has one. The
/// Windows-1252 decoder follows such a mark (as encoding_rs's decoders
/// do), so the file is read as UTF-16 and named so.
pub fn utf16_bom(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xFF, 0xFE, ..] => Some("utf-16le"),
        [0xFE, 0xFF, ..] => Some("utf-16be"),
        _ => None,
    }
}

/// Decodes bytes to text: (text, encoding name, undecodable characters).
pub fn decode(bytes: &[u8], choice: EncodingChoice) -> (String, &'static str, u64) {
    const BOM: &[u8] = &[0xEF, 0xBB, 0xBF];
    let has_bom = bytes.starts_with(BOM);
    let body = if has_bom { &bytes[3..] } else { bytes };
    let utf8 = |b: &[u8]| -> (String, u64) {
        let mut text = String::with_capacity(b.len());
        let mut bad = 0;
        for chunk in b.utf8_chunks() {
            text.push_str(chunk.valid());
            if !chunk.invalid().is_empty() {
                text.push(char::REPLACEMENT_CHARACTER);
                bad += 1;
            }
        }
        (text, bad)
    };
    let cp1252 = |b: &[u8]| -> (String, u64) {
        // Bytes Windows-1252 leaves undefined (decoded as C1 controls by
        // encoding_rs) are undecodable.
        let undefined = |c: char| matches!(c, '\u{81}' | '\u{8D}' | '\u{8F}' | '\u{90}' | '\u{9D}');
        let (text, _, _) = encoding_rs::WINDOWS_1252.decode(b);
        let bad = text.chars().filter(|&c| undefined(c)).count() as u64;
        let text = if bad > 0 {
            text.chars()
                .map(|c| {
                    if undefined(c) {
                        char::REPLACEMENT_CHARACTER
                    } else {
                        c
                    }
                })
                .collect()
        } else {
            text.into_owned()
        };
        (text, bad)
    };
    match choice {
        EncodingChoice::Windows1252 => {
            let (t, bad) = cp1252(bytes);
            (t, utf16_bom(bytes).unwrap_or("windows-1252"), bad)
        }
        EncodingChoice::Utf8 => {
            let (t, bad) = utf8(body);
            (t, if has_bom { "utf-8-bom" } else { "utf-8" }, bad)
        }
        EncodingChoice::Auto => {
            if has_bom {
                let (t, bad) = utf8(body);
                (t, "utf-8-bom", bad)
            } else if let Some(name) = utf16_bom(bytes) {
                let (t, bad) = cp1252(bytes);
                (t, name, bad)
            } else if let Ok(t) = std::str::from_utf8(bytes) {
                (t.to_string(), "utf-8", 0)
            } else if mostly_utf8(bytes) {
                let (t, bad) = utf8(bytes);
                (t, "utf-8", bad)
            } else {
                let (t, bad) = cp1252(bytes);
                (t, utf16_bom(bytes).unwrap_or("windows-1252"), bad)
            }
        }
    }
}

/// Whether invalid UTF-8 is a few stray bytes in UTF-8 text (at least as
/// many valid multi-byte characters as invalid sequences) rather than
/// another encoding: Windows-1252 text rarely forms valid multi-byte UTF-8,
/// and a tie read as Windows-1252 would turn every UTF-8 accent into two
/// characters silently (`Ã©` for `é`), where read as UTF-8 the stray
/// byte's row is quarantined.
fn mostly_utf8(bytes: &[u8]) -> bool {
    let (mut multibyte, mut invalid) = (0usize, 0usize);
    for chunk in bytes.utf8_chunks() {
        multibyte += chunk.valid().chars().filter(|c| c.len_utf8() > 1).count();
        invalid += usize::from(!chunk.invalid().is_empty());
    }
    multibyte >= invalid
}

/// The header of a file, mapped onto the entity's columns.
struct Header {
    /// Header columns as the extract names them.
    found: Vec<String>,
    /// The canonical name of each header column.
    canonical: Vec<String>,
    /// Where each of the entity's columns is in the header.
    index: Vec<Option<usize>>,
    extra_columns: Vec<String>,
    missing_columns: Vec<String>,
    /// Where StateStudentID is in the header.
    id_index: Option<usize>,
    /// The fields a record holds: the header's, or another count every
    /// data line holds ([`whole_file_shape`]).
    fields: usize,
    /// Whether the file, read as Windows-1252, holds UTF-8 text
    /// ([`stream::Decoding::utf8_inside`]).
    utf8_inside: bool,
    /// Whether some data lines hold one field more than `fields` though
    /// more than the header's (rows shifted by a stray delimiter in a file
    /// whose every line ends with delimiters).
    odd: bool,
}

impl Header {
    /// The name the header gives each of the entity's columns, `None`
    /// where the file lacks it.
    fn names(&self) -> Vec<Option<&str>> {
        self.index
            .iter()
            .map(|i| i.map(|i| self.found[i].as_str()))
            .collect()
    }

    fn new(
        record: &csv::StringRecord,
        (file, line): (&str, u64),
        spec: &EntitySpec,
        column_map: &BTreeMap<String, String>,
    ) -> Result<Header, ReadError> {
        let found: Vec<String> = record.iter().map(|h| h.trim().to_string()).collect();
        // Extract name -> canonical name; unmapped names are taken as canonical.
        let canonical: Vec<String> = found
            .iter()
            .map(|h| canonical_name(h, spec, column_map))
            .collect();
        let index: Vec<Option<usize>> = spec
            .columns
            .iter()
            .map(|c| canonical.iter().position(|h| h == c.name))
            .collect();
        // Not one column known: the first line is likely a row of data (a
        // header left out), whose values are not to be echoed.
        if index.iter().all(Option::is_none) {
            return Err(ReadError::NoHeader {
                file: file.to_string(),
                line,
                fields: found.len(),
                hint: if found.len() == 1 {
                    " (is the file comma-separated?)"
                } else {
                    ""
                },
            });
        }
        unmatched_map((file, line), &found, &canonical, column_map)?;
        let mut seen = BTreeSet::new();
        // Unnamed columns (the empty columns Excel leaves after the last
        // one, `...,StatusDate,,`) are not read, however many there are.
        let named = || canonical.iter().filter(|c| !c.is_empty());
        if let Some(c) = named().find(|c| !seen.insert(c.as_str())) {
            return Err(ReadError::DuplicateColumn {
                file: file.to_string(),
                line,
                column: c.clone(),
            });
        }
        let missing = |required: bool| -> Vec<String> {
            spec.columns
                .iter()
                .zip(&index)
                .filter(|(c, i)| i.is_none() && (c.must_exist || !required))
                .map(|(c, _)| c.name.to_string())
                .collect()
        };
        if !missing(true).is_empty() {
            return Err(ReadError::MissingColumns {
                file: file.to_string(),
                line,
                missing: missing(true).join(", "),
                found: found.join(", "),
            });
        }
        let extra_columns = found
            .iter()
            .zip(&canonical)
            .enumerate()
            .filter(|(_, (_, c))| spec.column(c).is_none())
            .map(|(i, (f, _))| {
                if f.is_empty() {
                    format!("(unnamed column {})", i + 1)
                } else {
                    f.clone()
                }
            })
            .collect();
        Ok(Header {
            id_index: canonical.iter().position(|c| c == STATE_STUDENT_ID),
            fields: found.len(),
            odd: false,
            utf8_inside: false,
            missing_columns: missing(false),
            found,
            canonical,
            index,
            extra_columns,
        })
    }
}

/// The canonical name of a header column: the configured map's, else the
/// entity's column of that name, either compared ignoring ASCII case (an
/// extract saved with `middlename` or `MIDDLENAME` was read as lacking the
/// column, every value blank, when it was optional); else the name as it is.
fn canonical_name(h: &str, spec: &EntitySpec, map: &BTreeMap<String, String>) -> String {
    if let Some(to) = map.get(h) {
        return to.clone();
    }
    let like = |a: &str| a.eq_ignore_ascii_case(h);
    if let Some((_, to)) = map.iter().find(|(from, _)| like(from)) {
        return to.clone();
    }
    spec.columns
        .iter()
        .find(|c| like(c.name))
        .map_or_else(|| h.to_string(), |c| c.name.to_string())
}

/// Refuses a header that has neither a column the configuration maps nor
/// the column it maps it onto: the map names the extract's column, so a
/// typo in it (or an extract that names it otherwise again) would leave
/// the column blank in every row.
fn unmatched_map(
    (file, line): (&str, u64),
    found: &[String],
    canonical: &[String],
    map: &BTreeMap<String, String>,
) -> Result<(), ReadError> {
    let unmatched = map.iter().find(|(from, to)| {
        !found.iter().any(|f| f.eq_ignore_ascii_case(from)) && !canonical.iter().any(|c| c == *to)
    });
    match unmatched {
        Some((from, to)) => Err(ReadError::MapUnmatched {
            file: file.to_string(),
            line,
            from: from.clone(),
            to: to.clone(),
            found: found.join(", "),
        }),
        None => Ok(()),
    }
}

/// The rows of a file as they are read.
struct Rows {
    builders: Vec<StringChunkedBuilder>,
    /// The line of each row kept.
    lines: Vec<i64>,
    /// A hash of each row kept's values.
    hashes: Vec<u64>,
    bad: Vec<Rejected>,
    rejected_state_ids: BTreeSet<String>,
    report: StageReport,
    /// The lines whose every field is blank (not records).
    blank: Vec<u64>,
    /// The lines holding only a DOS end-of-file mark (not records).
    marks: Vec<u64>,
    /// The first line holding the header again, its columns in another
    /// order or other columns ([`header_again`]), and what it holds.
    header_again: Option<(u64, String)>,
    /// How each column's values were written (one a column of the spec).
    written: Vec<written::Written>,
    /// False when the text these rows come from holds no U+FFFD (none of
    /// its records then needs a search for one).
    maybe_undecodable: bool,
}

impl Rows {
    fn new(spec: &EntitySpec, estimate: usize) -> Rows {
        Rows {
            builders: spec
                .columns
                .iter()
                .map(|c| StringChunkedBuilder::new(c.name.into(), estimate))
                .collect(),
            lines: Vec::with_capacity(estimate),
            hashes: Vec::with_capacity(estimate),
            bad: Vec::new(),
            rejected_state_ids: BTreeSet::new(),
            report: StageReport::new(STAGE, spec.name),
            blank: Vec::new(),
            marks: Vec::new(),
            header_again: None,
            written: vec![written::Written::default(); spec.columns.len()],
            maybe_undecodable: true,
        }
    }

    /// Rejects a record whose quoted value in `field` has text after its
    /// closing quote ([`text_after_quote`]).
    fn after_quote(
        &mut self,
        record: &csv::StringRecord,
        line: u64,
        field: usize,
        h: &Header,
        spec: &EntitySpec,
    ) {
        self.report.rows_in += 1;
        if let Some(id) = h.id_index.and_then(|i| record.get(i)) {
            self.rejected_state_ids.insert(id.trim().to_string());
        }
        let column = h.canonical.get(field).cloned().unwrap_or_default();
        let value = match spec.column(&column) {
            Some(c) if c.pii => cutover_stages::quarantine::REDACTED.to_string(),
            _ => record.get(field).unwrap_or("").trim().to_string(),
        };
        self.bad.push(Rejected {
            line: line as i64,
            column: column.clone(),
            value,
            rule: "text_after_quote",
            message: format!(
                "{column}: text after the closing quote of a quoted value (\"Smith\"Jr; or a \
                 quote written \\\" where CSV doubles it, \"\"): the CSV reader would join them \
                 into another value"
            ),
        });
    }

    /// Keeps one record, or rejects it (wrong number of fields, bytes that
    /// did not decode).
    fn take(
        &mut self,
        record: &csv::StringRecord,
        line: u64,
        h: &Header,
        spec: &EntitySpec,
        encoding: &str,
    ) {
        // The record's fields run together in `as_slice`: one search for a
        // line break and one for U+FFFD over the whole row.
        let all = record.as_slice().as_bytes();
        // A byte-order mark starting a row mid-file: a second UTF-8 file
        // with its mark joined on (`copy /b a.csv+b.csv`). It is not part
        // of the first value (its EnrollmentID was quarantined as not a
        // number, the mark in the value shown).
        if let Some(first) = record.get(0).and_then(|v| v.strip_prefix('\u{FEFF}')) {
            let mut unmarked = csv::StringRecord::with_capacity(all.len(), record.len());
            unmarked.push_field(first);
            record.iter().skip(1).for_each(|v| unmarked.push_field(v));
            return self.take(&unmarked, line, h, spec, encoding);
        }
        // Every field blank (`,,,,,`, the formatted but empty rows a
        // spreadsheet saves past the last one, or a line of spaces): not a
        // record, as a blank line is not (it was quarantined as a row
        // missing every required value, and counted against the reject
        // rate).
        if all.iter().all(u8::is_ascii_whitespace) {
            self.blank.push(line);
            return;
        }
        // A DOS end-of-file mark (Ctrl-Z) on a line of its own, as old
        // Windows tools end a text file after its last line end: not a
        // record (it was quarantined as one of a single field).
        if eof_mark(all) {
            self.marks.push(line);
            return;
        }
        let breaks = memchr::memchr_iter(b'\n', all).count();
        if breaks > 0 {
            self.report.notes.push(format!(
                "line {line}: a quoted field spans {} lines",
                breaks + 1
            ));
        }
        self.report.rows_in += 1;
        let wrong_count = record.len() != h.fields;
        let undecodable =
            self.maybe_undecodable && memchr::memmem::find(all, "\u{FFFD}".as_bytes()).is_some();
        let garbled = h.utf8_inside && !undecodable && record.iter().any(utf8_read_as_cp1252);
        let joined = (breaks > 0 && !wrong_count)
            .then(|| joined_rows(record, line, breaks as u64, &h.canonical))
            .flatten();
        if let Some(id) = h.id_index.and_then(|i| record.get(i)) {
            if wrong_count || undecodable || garbled || joined.is_some() {
                self.rejected_state_ids.insert(id.trim().to_string());
            }
        }
        if wrong_count && record.len() == h.found.len() && is_header(record, h) {
            self.bad.push(repeated_header(line));
        } else if let Some(again) = wrong_count.then(|| header_again(record, h)).flatten() {
            self.header_again.get_or_insert((line, again));
        } else if wrong_count {
            self.bad
                .push(column_count(record.len(), line, breaks as u64, h));
        } else if let Some(joined) = joined {
            self.bad.push(joined);
        } else if record.iter().zip(&h.found).all(|(v, f)| {
            v.trim_start_matches('\u{FEFF}')
                .trim()
                .eq_ignore_ascii_case(f)
        }) {
            // The header's names again (two extracts joined into one file):
            // each value broke its column's rule, one quarantine line per
            // column (`EnrollmentID: expected a whole number`, ...). Matched
            // as the header is, ignoring case, and after the second file's
            // byte-order mark (two UTF-8 extracts with marks joined by
            // `cat` or `copy /b`).
            self.bad.push(repeated_header(line));
        } else if let Some(again) = header_again(record, h) {
            self.header_again.get_or_insert((line, again));
        } else if undecodable {
            self.bad.extend(undecodable_fields(
                record,
                line as i64,
                &h.canonical,
                spec,
                encoding,
            ));
        } else if garbled {
            self.bad
                .extend(utf8_fields(record, line as i64, &h.canonical));
        } else {
            let mut hash = RowHash::default();
            let columns = self.builders.iter_mut().zip(&h.index);
            for ((b, i), w) in columns.zip(self.written.iter_mut()) {
                match i.map(|i| trimmed(&record[i])) {
                    Some(v) if !v.is_empty() => {
                        b.append_value(v);
                        hash.value(Some(v));
                        w.value(v);
                    }
                    Some(_) => {
                        b.append_null();
                        hash.value(None);
                        w.blank();
                    }
                    None => b.append_null(),
                }
            }
            self.lines.push(line as i64);
            self.hashes.push(hash.0);
        }
    }
}

/// What `record` holds when it is the header again, not as it is (a
/// second extract joined on): its names, each once, in another order, or
/// other columns, at least half of its names the header's (a column added,
/// repeated, missing or renamed); `None` for a data row. Its first value
/// is looked at first, so a row whose first value is not a name of the
/// header (an ID, most) costs one comparison or a few.
fn header_again(record: &csv::StringRecord, h: &Header) -> Option<String> {
    fn bare(v: &str) -> &str {
        v.trim_start_matches('\u{FEFF}').trim()
    }
    let first = bare(record.get(0).unwrap_or(""));
    if !first
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        || !h.found.iter().any(|f| f.eq_ignore_ascii_case(first))
    {
        return None;
    }
    let values: Vec<&str> = record.iter().map(bare).filter(|v| !v.is_empty()).collect();
    let mut lacks: Vec<&str> = h
        .found
        .iter()
        .map(|f| f.as_str())
        .filter(|f| !f.is_empty())
        .collect();
    let mut adds = Vec::new();
    for v in &values {
        match lacks.iter().position(|f| f.eq_ignore_ascii_case(v)) {
            Some(at) => {
                lacks.remove(at);
            }
            None => adds.push(*v),
        }
    }
    if adds.is_empty() && lacks.is_empty() {
        return Some("its columns in another order".to_string());
    }
    if adds.len() * 2 > values.len() {
        return None;
    }
    let mut other = "with other columns than the first header".to_string();
    if !adds.is_empty() {
        other += &format!(", adding {}", adds.join(", "));
    }
    if !lacks.is_empty() {
        other += &format!(", lacking {}", lacks.join(", "));
    }
    Some(other)
}

/// The quarantine line of a record of `found` fields at `line` not as
/// many as the file's data lines hold (`breaks`: the line breaks inside
/// its quoted fields).
fn column_count(found: usize, line: u64, breaks: u64, h: &Header) -> Rejected {
    let why = if breaks > 0 {
        format!(
            " (a quoted field runs over lines {line} to {}: a quote left open?)",
            line + breaks
        )
    } else if h.odd {
        format!(
            " (the other data lines have {}, the last {} blank: a delimiter ending each \
             line; this one has one field more again: a delimiter inside a value?)",
            h.fields,
            h.fields - h.found.len()
        )
    } else {
        String::new()
    };
    Rejected {
        line: line as i64,
        column: String::new(),
        value: format!("{found} fields"),
        rule: "column_count",
        message: format!(
            "expected {} fields as in the header, found {found}{why}",
            h.found.len()
        ),
    }
}

/// The quarantine line of the header's names again, at `line`.
fn repeated_header(line: u64) -> Rejected {
    Rejected {
        line: line as i64,
        column: String::new(),
        value: String::new(),
        rule: "repeated_header",
        message:
            "the header row again, in the middle of the file (two extracts joined into one?): \
                  not a record"
                .to_string(),
    }
}

/// `v.trim()`, the value's ends looked at first: a value that starts and
/// ends with a visible ASCII character (most) has nothing to trim.
fn trimmed(v: &str) -> &str {
    match (v.as_bytes().first(), v.as_bytes().last()) {
        (Some(a), Some(z)) if a.is_ascii_graphic() && z.is_ascii_graphic() => v,
        _ => v.trim(),
    }
}

/// A fast hash of a row's values (FxHash's mixing, eight bytes at a time,
/// each value's length first, a blank its own mark): equal rows hash
/// equally; rows with the same hash are only candidates, compared value by
/// value by ingest.
#[derive(Default)]
struct RowHash(u64);

impl RowHash {
    fn word(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn value(&mut self, v: Option<&str>) {
        let Some(v) = v else {
            return self.word(u64::MAX);
        };
        self.word(v.len() as u64);
        let mut words = v.as_bytes().chunks_exact(8);
        for w in &mut words {
            self.word(u64::from_le_bytes(w.try_into().expect("eight bytes")));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.word(u64::from_le_bytes(last));
        }
    }
}

/// How much decoded text is cut into pieces and parsed at a time.
const BATCH: usize = 8 << 20;

/// What a file's rows go to: a batch of rows at a time, in order (at least
/// one batch, maybe empty).
pub type Sink<'a> = &'a mut dyn FnMut(DataFrame) -> Result<(), ReadError>;

/// A bundle file to read: where it is, the name used in every message and
/// in `source_file`, and its SHA-256 when the run already has it (then not
/// computed again) with the file's stamp when it was hashed.
pub struct Input<'a> {
    pub path: &'a Path,
    pub file: &'a str,
    pub sha256: Option<&'a str>,
    pub stamp: Option<Stamp>,
}

/// Reads one bundle file as the entity `spec`, its rows handed to `sink` a
/// batch at a time. The file is read twice, never held whole: once to choose
/// its encoding, once to decode and parse it, a batch of text at a time cut
/// into pieces parsed on every core (see `chunks`). `present` is told the
/// canonical columns the file has once its header is read, before any batch.
/// Once every pass is over the file must still have the stamp it had when
/// hashed (`input.stamp`, else taken as the first pass opens it): a file
/// written to meanwhile is [`ReadError::Changed`], its rows maybe not the
/// bytes hashed.
pub fn read_file(
    input: Input,
    spec: &EntitySpec,
    choice: EncodingChoice,
    column_map: &BTreeMap<String, String>,
    progress: impl FnMut(u64),
    present: &mut dyn FnMut(&BTreeSet<String>),
    sink: Sink,
) -> Result<Read, ReadError> {
    let how = How {
        file: input.file,
        spec,
        choice,
        column_map,
        sha256: input.sha256,
        stamp: input.stamp,
        batch: BATCH,
    };
    read_in_batches(input.path, &how, progress, present, sink)
}

/// What [`read_file`] reads a file as.
struct How<'a> {
    file: &'a str,
    spec: &'a EntitySpec,
    choice: EncodingChoice,
    column_map: &'a BTreeMap<String, String>,
    /// The file's SHA-256 when the run already has it (not hashed again).
    sha256: Option<&'a str>,
    /// The file's stamp when `sha256` was taken.
    stamp: Option<Stamp>,
    /// Bytes of text parsed at a time (the tests cut small).
    batch: usize,
}

/// A file cut inside its first character, a UTF-8 byte-order mark (1 or 2
/// of its 3 bytes and nothing after), refused as cut short: it was said to
/// be a header with none of the file's columns. Else the analysis.
fn refuse_cut_in_bom(
    file: &str,
    analysis: stream::Analysis,
) -> Result<stream::Analysis, ReadError> {
    if analysis.bom_cut == 0 {
        return Ok(analysis);
    }
    Err(ReadError::Csv {
        file: file.to_string(),
        line: 1,
        message: format!(
            "the file ends after {} of the 3 bytes of a UTF-8 byte-order mark, before its \
             header row: the file looks cut short (take it from the extract again)",
            analysis.bom_cut
        ),
    })
}

fn read_in_batches(
    path: &Path,
    how: &How,
    mut progress: impl FnMut(u64),
    present: &mut dyn FnMut(&BTreeSet<String>),
    sink: Sink,
) -> Result<Read, ReadError> {
    let (file, spec, batch) = (how.file, how.spec, how.batch);
    let io = |e: std::io::Error| ReadError::Io {
        file: file.to_string(),
        message: e.to_string(),
    };
    let open = || std::fs::File::open(path).map_err(io);
    let started = std::time::Instant::now();
    let first = open()?;
    let stamp = match how.stamp {
        Some(stamp) => stamp,
        None => Stamp::of(&first.metadata().map_err(io)?),
    };
    let analysis = refuse_cut_in_bom(file, stream::analyse(first, how.sha256).map_err(io)?)?;
    between_passes(file, path);
    tracing::debug!(
        wall_s = format!("{:.2}", started.elapsed().as_secs_f64()),
        "timing: first pass (checksum, encoding)"
    );
    let parsed =
        std::fs::File::open(parse_instead(file).unwrap_or(path.to_path_buf())).map_err(io)?;
    let mut decoding = stream::Decoding::new(stream::Hashed::new(parsed), how.choice, &analysis);
    let encoding = decoding.encoding;
    let mut text = Vec::new();
    let mut last = more(&mut decoding, &mut text, batch).map_err(io)?;
    let found = loop {
        match header_record(&text, last, file)? {
            Some(found) => break found,
            None => last = more(&mut decoding, &mut text, batch).map_err(io)?,
        }
    };
    let (mut offset, sep_line) = (found.end, found.sep);
    let mut header = header_of(&found, &text, last, how)?;
    header.utf8_inside = decoding.utf8_inside;
    present(&present_columns(spec, &header));
    let mut lfs = chunks::lfs(&text[..offset]);
    let mut consumed = 0u64;
    let mut tally = Tally::new(spec);
    if sep_line {
        tally.report.notes.push(SEP_NOTE.to_string());
    }
    if let Some(hint) = other_count(&text[offset..], &header) {
        let decoded = stream::Decoding::new(open()?, how.choice, &analysis);
        if let Some(shape) = whole_file_shape(decoded, &header, hint, file)? {
            tally.report.notes.push(shape.note(header.fields));
            header.fields = shape.fields;
            header.odd = shape.odd > 0;
        }
    }
    loop {
        // `text[offset..]` starts at a record's start.
        if last {
            let marked = eof_mark_ends(&mut text, offset);
            if marked {
                tally.report.notes.push(EOF_MARK_NOTE.to_string());
            }
            unclosed_quote(&text[offset..], lfs, file)?;
            if let Some(note) = cut_short(&text[offset..], lfs, file, &header, marked)? {
                tally.report.notes.push(note);
            }
        }
        if let Some(cuts) = chunks::cut(&text[offset..], rayon::current_num_threads(), last) {
            let at = &text[offset..];
            let mut bounds = Vec::with_capacity(cuts.ends.len());
            let mut from = (0, 0);
            for &end in &cuts.ends {
                bounds.push((&at[from.0..end.0], lfs + from.1));
                from = end;
            }
            let parsed: Vec<Result<Rows, ReadError>> = bounds
                .par_iter()
                .map(|&(piece, before)| parse_piece(piece, before, &header, spec, encoding, file))
                .collect();
            let pieces = parsed.into_iter().collect::<Result<Vec<_>, _>>()?;
            let rows = tally.take(file, spec, pieces)?;
            if rows.height() > 0 {
                tally.batches += 1;
                sink(rows)?;
            }
            lfs += from.1;
            offset += from.0;
        }
        consumed += offset as u64;
        progress(consumed);
        text.drain(..offset);
        offset = 0;
        if last {
            break;
        }
        last = more(&mut decoding, &mut text, batch).map_err(io)?;
    }
    if tally.batches == 0 {
        sink(tally.take(file, spec, Vec::new())?)?;
    }
    let now = Stamp::of(&std::fs::metadata(path).map_err(io)?);
    unchanged(
        file,
        (now, stamp),
        (&decoding.source().sha256(), &analysis.sha256),
    )?;
    written::check(file, spec, &header.names(), &tally.written)?;
    let info = FileInfo {
        file: file.to_string(),
        sha256: analysis.sha256,
        bytes: analysis.bytes,
        encoding: encoding.to_string(),
        line_endings: decoding.line_endings().to_string(),
        undecodable: decoding.undecodable,
        columns_found: Vec::new(),
        extra_columns: Vec::new(),
        missing_columns: Vec::new(),
    };
    finish(file, spec, header, tally, info)
}

/// Refuses a file written to while the run read it: its stamp once every
/// pass is over is not the one it had when checksummed (`stamps`: now,
/// then), or the bytes the parse pass read do not hash as the file did
/// (`hashes`: parsed, checksummed; a rewrite to the same size within one
/// tick of the file system's clock keeps the stamp).
fn unchanged(file: &str, stamps: (Stamp, Stamp), hashes: (&str, &str)) -> Result<(), ReadError> {
    let how = if stamps.0 != stamps.1 {
        "its size, times or inode are not those it had when checksummed"
    } else if hashes.0 != hashes.1 {
        "the bytes parsed do not hash as the file did when checksummed"
    } else {
        return Ok(());
    };
    Err(ReadError::Changed {
        file: file.to_string(),
        how,
    })
}

/// The header of the file whose text starts `text`, its header record
/// `found`. When the record names none of the entity's columns but the
/// next one is a header (a title line above it), the error names both lines.
fn header_of(
    found: &HeaderRecord,
    text: &[u8],
    last: bool,
    how: &How,
) -> Result<Header, ReadError> {
    let (file, spec, map) = (how.file, how.spec, how.column_map);
    let err = match Header::new(&found.record, (file, found.line), spec, map) {
        Err(e @ ReadError::NoHeader { .. }) => e,
        other => return other,
    };
    let rest = &text[found.end..];
    let Ok(Some(next)) = header_record(rest, last, file) else {
        return Err(err);
    };
    let line = chunks::lfs(&text[..found.end]) + next.line;
    match Header::new(&next.record, (file, line), spec, map) {
        Ok(_) => Err(ReadError::Csv {
            file: file.to_string(),
            line: found.line,
            message: format!(
                "not the header, which is line {line} (a title above it?): delete the lines \
                 above the header"
            ),
        }),
        Err(_) => Err(err),
    }
}

/// Test hook: `CUTOVER_PARSE_INSTEAD=<file>=<path>` parses the bytes of
/// `<path>` for the bundle file named `<file>`, the bundle file left as it
/// is: a rewrite its stamp cannot see (to the same size, within one tick
/// of the file system's clock). Unset, `None`.
fn parse_instead(file: &str) -> Option<std::path::PathBuf> {
    let hook = std::env::var("CUTOVER_PARSE_INSTEAD").ok()?;
    let (name, from) = hook.split_once('=')?;
    (name == file).then(|| from.into())
}

/// Test hook: `CUTOVER_REWRITE_BETWEEN_PASSES=<file>=<path>` writes the
/// bytes of `<path>` over the bundle file named `<file>` once its first
/// pass (checksum, encoding) is over, as another program writing to the
/// file while the run reads it would. Unset, it does nothing.
fn between_passes(file: &str, path: &Path) {
    let Ok(hook) = std::env::var("CUTOVER_REWRITE_BETWEEN_PASSES") else {
        return;
    };
    if let Some((_, from)) = hook.split_once('=').filter(|(name, _)| *name == file) {
        let bytes = std::fs::read(from).expect("the hook's file is read");
        std::fs::write(path, bytes).expect("the hook's file is written");
    }
}

/// The read report's note on a file whose every data line lacks the
/// `n` unnamed columns ending its header.
fn unnamed_note(n: usize) -> String {
    format!(
        "every data line has {n} field(s) fewer than the header, whose last {n} column(s) \
         are unnamed (not read): the lines are read without them"
    )
}

/// What the first record with anything in it of `text` (the text after
/// the header) hints the file's data lines may be read with though the
/// header's count is another: fields more than the header, the last blank
/// (delimiters after the last value, as some exports write), or the
/// header's count without the unnamed columns ending it (a delimiter after
/// the header's last name). Only a hint: [`whole_file_shape`] decides on
/// every data line; a single row so is a row shifted by a stray delimiter,
/// or missing one, and is quarantined.
#[derive(Clone, Copy, PartialEq)]
enum Hint {
    BlankAfter,
    WithoutUnnamed(usize),
}

fn other_count(text: &[u8], header: &Header) -> Option<Hint> {
    let fields = header.fields;
    let unnamed = header
        .canonical
        .iter()
        .rev()
        .take_while(|c| c.is_empty())
        .count();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(text);
    let mut record = csv::StringRecord::new();
    while let Ok(true) = reader.read_record(&mut record) {
        let all = record.as_slice().as_bytes();
        if all.iter().all(u8::is_ascii_whitespace) || eof_mark(all) {
            continue;
        }
        if record.len() > fields && record[record.len() - 1].trim().is_empty() {
            return Some(Hint::BlankAfter);
        }
        let without_unnamed = unnamed > 0 && record.len() == fields - unnamed;
        return without_unnamed.then_some(Hint::WithoutUnnamed(fields - unnamed));
    }
    None
}

/// How a whole file's data lines are read when not with the header's
/// count of fields: `fields` each, `odd` lines holding one field more again
/// (quarantined alone).
struct Shape {
    fields: usize,
    odd: usize,
}

impl Shape {
    /// The read report's note on the file, whose header holds `header`
    /// fields.
    fn note(&self, header: usize) -> String {
        let Some(k) = self.fields.checked_sub(header) else {
            return unnamed_note(header - self.fields);
        };
        let lines = match self.odd {
            0 => "every data line has".to_string(),
            n => format!("every data line but {n} has"),
        };
        let what = match k {
            1 => "one field more than the header, blank, after its last value (a delimiter \
                  ending each line, as some exports write): that field is not read"
                .to_string(),
            k => format!(
                "{k} fields more than the header, blank, after its last value ({k} delimiters \
                 ending each line, as some exports write): those fields are not read"
            ),
        };
        let odd = match self.odd {
            0 => String::new(),
            n => format!(
                "; the {n} line(s) with one field more again (a delimiter inside a value?) \
                 are quarantined (column_count)"
            ),
        };
        format!("{lines} {what}{odd}")
    }
}

/// How the data lines of the decoded file (its `header`) are read, when
/// every record with anything in it but the header holds the same count of
/// fields `header.fields + k`, its last k blank (k >= 1: delimiters ending
/// each line), or lacks the unnamed columns ending the header (`hint`).
/// With k >= 1, lines holding one field more again, their last k blank, are
/// rows shifted by a stray delimiter (`Jones, Jr` unquoted): quarantined
/// alone, when fewer than the lines of k. Any other line, and the file is
/// read with the header's count (a whole read of the file, made only when
/// its first data line hints so).
fn whole_file_shape(
    decoded: impl std::io::Read,
    header: &Header,
    hint: Hint,
    file: &str,
) -> Result<Option<Shape>, ReadError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(decoded);
    let mut record = csv::StringRecord::new();
    let mut first = true;
    // Lines by count of fields: (lines, the fewest blank fields ending one).
    let mut counts: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    while reader
        .read_record(&mut record)
        .map_err(|e| csv_error(file, 0, e))?
    {
        let all = record.as_slice().as_bytes();
        if all.iter().all(u8::is_ascii_whitespace) || eof_mark(all) {
            continue;
        }
        if std::mem::take(&mut first) || is_header(&record, header) {
            continue;
        }
        let blank = record
            .iter()
            .rev()
            .take_while(|v| {
                v.trim_matches(|c: char| c.is_whitespace() || c == '\u{1A}')
                    .is_empty()
            })
            .count();
        let entry = counts.entry(record.len()).or_insert((0, usize::MAX));
        *entry = (entry.0 + 1, entry.1.min(blank));
        if counts.len() > 2 {
            return Ok(None);
        }
    }
    let mut lines = counts.into_iter();
    let Some((fields, (n, blank))) = lines.next() else {
        return Ok(None);
    };
    let odd = lines.next();
    if let Hint::WithoutUnnamed(without) = hint {
        return Ok((fields == without && odd.is_none()).then_some(Shape { fields, odd: 0 }));
    }
    let k = fields.saturating_sub(header.fields);
    let shifted = |&(more, (m, b)): &(usize, (usize, usize))| more == fields + 1 && b >= k && m < n;
    let odd = match odd {
        None => 0,
        Some(o) if shifted(&o) => o.1 .0,
        Some(_) => return Ok(None),
    };
    Ok((k >= 1 && blank >= k).then_some(Shape { fields, odd }))
}

/// Said of a file ending in a DOS end-of-file mark.
const EOF_MARK_NOTE: &str = "the file ends in a DOS end-of-file mark (Ctrl-Z, 0x1A), as old \
                             Windows tools end a text file: not read";

/// Drops a DOS end-of-file mark (Ctrl-Z, 0x1A: one or more, line ends
/// after them aside) ending `text` after `from`, on a line of its own or
/// after the last value (`copy a.csv+b.csv` in text mode writes one): it
/// was quarantined as a row of one field, or its row with it as a control
/// character in the last value. True when there was one.
fn eof_mark_ends(text: &mut Vec<u8>, from: usize) -> bool {
    let tail = &text[from..];
    let before_ends = tail.len()
        - tail
            .iter()
            .rev()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
    let marks = tail[..before_ends]
        .iter()
        .rev()
        .take_while(|&&b| b == 0x1A)
        .count();
    if marks > 0 {
        text.truncate(from + before_ends - marks);
    }
    marks > 0
}

/// Whether a record's bytes are a DOS end-of-file mark (Ctrl-Z, 0x1A),
/// spaces aside: a line no value is on.
fn eof_mark(all: &[u8]) -> bool {
    all.contains(&0x1A) && all.iter().all(|&b| b == 0x1A || b.is_ascii_whitespace())
}

/// Whether `record` is the header's names again (two extracts joined into
/// one file), matched ignoring case and a byte-order mark starting it.
fn is_header(record: &csv::StringRecord, header: &Header) -> bool {
    record.len() >= header.found.len()
        && record.iter().zip(&header.found).all(|(v, f)| {
            v.trim_start_matches('\u{FEFF}')
                .trim()
                .eq_ignore_ascii_case(f)
        })
        && record
            .iter()
            .skip(header.found.len())
            .all(|v| v.trim().is_empty())
}

/// Refuses a file whose last text (from a record's start, `lfs` LF bytes
/// into the file) ends inside a quoted field: every line after the quote
/// would be read as one value, and those rows lost from the ledger.
fn unclosed_quote(text: &[u8], lfs: u64, file: &str) -> Result<(), ReadError> {
    let Some(at) = chunks::unclosed_quote(text) else {
        return Ok(());
    };
    let line = chunks::Lines::new(text, lfs).at(at);
    let after = chunks::lfs(text[at..].trim_ascii_end());
    let rest = match after {
        0 if !ends_with_line_end(text) => {
            format!("the file ends inside it, with no line end: {CUT_SHORT}")
        }
        0 => "the file ends inside it".to_string(),
        1 => "the line after it would be read as part of its value".to_string(),
        n => format!("the {n} lines after it would be read as one value"),
    };
    Err(ReadError::Csv {
        file: file.to_string(),
        line,
        message: format!("a quote opened in this row is never closed: {rest}"),
    })
}

/// What a file that ends in the middle of a row most likely is.
const CUT_SHORT: &str = "the file looks cut short (an export or a copy interrupted?) \
                         and the rows after the cut are missing: export it again";

fn ends_with_line_end(text: &[u8]) -> bool {
    matches!(text.last(), Some(b'\n' | b'\r'))
}

/// Refuses a file whose last row (in `text`, from a record's start `lfs`
/// LF bytes into the file, to the end of the file) has fewer fields than
/// the header and no line end: the file was cut in the middle of a row,
/// and the rows after the cut are not in it, which no ledger can count.
/// A last row with every field and no line end is read, as many writers
/// leave the last line end out, with a note for the read report (its last
/// value may be cut short, `2017-01-19` read as `2017-01-1`, which nothing
/// in the value tells); none when a DOS end-of-file mark follows it
/// (`marked`), written by a writer closing the file.
fn cut_short(
    text: &[u8],
    lfs: u64,
    file: &str,
    header: &Header,
    marked: bool,
) -> Result<Option<String>, ReadError> {
    if ends_with_line_end(text) {
        return Ok(None);
    }
    let start = chunks::last_record(text);
    let row = &text[start..];
    let line = chunks::Lines::new(text, lfs).at(start);
    let refuse = |message: String| ReadError::Csv {
        file: file.to_string(),
        line,
        message,
    };
    // NUL bytes after the last line end: a copy interrupted after the file
    // was made its full size (they were read as a row of one field,
    // quarantined, and the run went on without the rows after the cut).
    let nuls = row.iter().rev().take_while(|&&b| b == 0).count();
    if nuls > 0 && row[..row.len() - nuls].trim_ascii().is_empty() {
        return Err(refuse(format!(
            "the file ends in {nuls} NUL bytes after its last line end: {CUT_SHORT}"
        )));
    }
    // Nothing in it but spaces or controls (a DOS end-of-file mark).
    if row
        .iter()
        .all(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return Ok(None);
    }
    let mut record = csv::StringRecord::new();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(row);
    if !reader.read_record(&mut record).unwrap_or(false)
        || record.iter().all(|v| v.trim().is_empty())
    {
        return Ok(None);
    }
    let fields = header.fields;
    if record.len() < fields {
        return Err(refuse(format!(
            "the file ends in this row, with no line end, after {} of the header's {fields} \
             fields: {CUT_SHORT}",
            record.len()
        )));
    }
    if marked {
        return Ok(None);
    }
    let at = match header.found.get(record.len() - 1) {
        Some(last) if !record[record.len() - 1].trim().is_empty() => {
            format!("in its last value ({last})")
        }
        _ => "after its last delimiter".to_string(),
    };
    Ok(Some(format!(
        "line {line}: the file's last row ends with no line end, {at}: read as it is (many \
         writers leave the last line end out); if the export was cut short there, that value \
         is cut short too: check it, or export the file again"
    )))
}

/// Appends up to `batch` bytes of text; true when the text has ended.
fn more(
    reader: &mut impl std::io::Read,
    text: &mut Vec<u8>,
    batch: usize,
) -> std::io::Result<bool> {
    let old = text.len();
    text.resize(old + batch, 0);
    let n = stream::fill(reader, &mut text[old..])?;
    text.truncate(old + n);
    Ok(n < batch)
}

/// The read report's note on a file whose first line is Excel's `sep=,`.
pub const SEP_NOTE: &str =
    "the first line, sep=, (Excel's line naming the delimiter), is not read: the header is the line after it";

/// Whether `record` is Excel's line naming the file's delimiter (`sep=,`,
/// written above the header by some exports for Excel): `Ok(true)` for a
/// comma; another delimiter is refused, naming it.
fn sep_line(record: &csv::StringRecord, (file, line): (&str, u64)) -> Result<bool, ReadError> {
    let first = record.get(0).unwrap_or("").trim_start_matches('\u{FEFF}');
    let Some(sep) = first
        .get(..4)
        .filter(|s| s.eq_ignore_ascii_case("sep="))
        .map(|_| &first[4..])
    else {
        return Ok(false);
    };
    if record.len() == 2 && sep.is_empty() && record[1].is_empty() {
        return Ok(true);
    }
    let named = match sep {
        "\t" => "a tab".to_string(),
        s if record.len() == 1 && s.chars().count() == 1 => format!("'{s}'"),
        _ => return Ok(false),
    };
    Err(ReadError::Csv {
        file: file.to_string(),
        line,
        message: format!(
            "the first line, Excel's sep= line, says the values are separated by {named}: \
             save the file comma-separated"
        ),
    })
}

/// The header record as [`header_record`] finds it.
struct HeaderRecord {
    record: csv::StringRecord,
    /// Where the text after it starts.
    end: usize,
    /// Whether a `sep=,` line came before it ([`sep_line`]).
    sep: bool,
    /// Its line (from 1): blank lines or a `sep=,` line may come before.
    line: u64,
}

/// The line (from 1) of the record starting at `from` in `text`, the blank
/// lines before it (which the CSV reader skips) counted.
fn line_at(text: &[u8], from: usize) -> u64 {
    let start = text[from..]
        .iter()
        .position(|&b| b != b'\n' && b != b'\r')
        .map_or(text.len(), |i| from + i);
    1 + memchr::memchr_iter(b'\n', &text[..start]).count() as u64
}

/// Whether `text` starts as UTF-16 text without its byte-order mark does: a
/// NUL byte after (little-endian) or before (big-endian) nine characters in
/// ten of its first 64. Its lines were refused as ended by a lone CR (CR,
/// NUL, LF, NUL), or its header as naming none of the file's columns.
fn utf16_without_mark(text: &[u8]) -> bool {
    let head = &text[..text.len().min(128) & !1];
    let pairs = head.len() / 2;
    if pairs < 4 {
        return false;
    }
    let le = head
        .chunks_exact(2)
        .filter(|p| p[0] != 0 && p[1] == 0)
        .count();
    let be = head
        .chunks_exact(2)
        .filter(|p| p[0] == 0 && p[1] != 0)
        .count();
    le.max(be) * 10 >= pairs * 9
}

/// The header record once the text holds a whole record (`None`: more text
/// is needed).
fn header_record(text: &[u8], last: bool, file: &str) -> Result<Option<HeaderRecord>, ReadError> {
    // Nothing but blank lines (spaces and tabs included, which the CSV
    // reader would take for a one-field header): said so, not "empty".
    if text.trim_ascii().is_empty() {
        if !last {
            return Ok(None);
        }
        if text.is_empty() {
            return Err(ReadError::Empty {
                file: file.to_string(),
            });
        }
        // Line ends (CRLF, LF or a lone CR), and a last line without one.
        let ends = text
            .iter()
            .enumerate()
            .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && text.get(i + 1) != Some(&b'\n')))
            .count();
        let unended = usize::from(!matches!(text.last(), Some(b'\n' | b'\r')));
        return Err(ReadError::BlankOnly {
            file: file.to_string(),
            lines: ends + unended,
        });
    }
    if utf16_without_mark(text) {
        return Err(ReadError::Csv {
            file: file.to_string(),
            line: 1,
            message: "every other byte is NUL: the file looks like UTF-16 without its \
                      byte-order mark: save it as CSV UTF-8, or as UTF-16 with its mark"
                .to_string(),
        });
    }
    // Every record end, blank lines included: the header is the first
    // record with anything in it, as the CSV reader skips blank lines.
    let ends = chunks::cut(text, text.len().max(1), last).map_or(Vec::new(), |c| c.ends);
    let mut from = 0;
    let mut sep = false;
    for (end, _) in ends {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(false)
            .from_reader(&text[from..end]);
        let mut record = csv::StringRecord::new();
        if reader
            .read_record(&mut record)
            .map_err(|e| csv_error(file, 0, e))?
        {
            // The CSV reader ends a record at a lone CR too, the cuts only
            // at an LF: text after the header before the cut is lines
            // ended by CR alone, which would all be read as the header.
            let after = reader.position().byte() as usize;
            let line = line_at(text, from);
            if !text[from + after..end].trim_ascii().is_empty() {
                return Err(ReadError::Csv {
                    file: file.to_string(),
                    line,
                    message: "the lines end with a carriage return alone (CR, as old Mac files): \
                              save the file with LF or CRLF line ends"
                        .to_string(),
                });
            }
            if !sep && sep_line(&record, (file, line))? {
                sep = true;
                from = end;
                continue;
            }
            return Ok(Some(HeaderRecord {
                record,
                end,
                sep,
                line,
            }));
        }
        from = end;
    }
    if last {
        return Err(ReadError::Empty {
            file: file.to_string(),
        });
    }
    Ok(None)
}

/// The records of one piece of text, `lfs_before` LF bytes after the
/// text's start.
fn parse_piece(
    piece: &[u8],
    lfs_before: u64,
    header: &Header,
    spec: &EntitySpec,
    encoding: &str,
    file: &str,
) -> Result<Rows, ReadError> {
    let mut rows = Rows::new(spec, piece.len() / 128 + 1);
    // One search of the piece rather than one of each record (each built
    // its own searcher).
    rows.maybe_undecodable = memchr::memmem::find(piece, "\u{FFFD}".as_bytes()).is_some();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(piece);
    let mut lines = chunks::Lines::new(piece, lfs_before);
    let mut record = csv::StringRecord::new();
    let mut position = 0;
    // The line a person sees: csv's own line counter lags behind blank lines
    // and CRLF ends, so count the line ends before each record's first byte.
    while reader
        .read_record(&mut record)
        .map_err(|e| csv_error(file, lfs_before, e))?
    {
        position = record.position().map_or(position, |p| p.byte() as usize);
        let raw = &piece[position..(reader.position().byte() as usize).min(piece.len())];
        let line = lines.at(position);
        match text_after_quote(raw).filter(|_| record.len() == header.fields) {
            Some(field) => rows.after_quote(&record, line, field, header, spec),
            None => rows.take(&record, line, header, spec, encoding),
        }
    }
    if let Some((line, again)) = rows.header_again {
        return Err(ReadError::Csv {
            file: file.to_string(),
            line,
            message: format!(
                "the header row again, {again} (two extracts joined into one?): the rows \
                 after it would be read under the wrong columns: split the file at this line"
            ),
        });
    }
    Ok(rows)
}

/// The field (from 0) of `raw`, one record's bytes, whose quoted value has
/// text after its closing quote before the next delimiter (`"Smith"Jr`; or
/// `"O\"Neil"`, a quote escaped with a backslash where CSV doubles it):
/// the CSV reader goes on reading the field unquoted and joins the two
/// (`SmithJr`, `O\Neil"`), which reached the uploads. Spaces and tabs
/// after the quote are trimmed as any value's are. `None` when every
/// quoted value ends at a delimiter or line end (a record without a quote
/// costs one search).
fn text_after_quote(raw: &[u8]) -> Option<usize> {
    memchr::memchr(b'"', raw)?;
    let (mut i, mut field) = (0, 0);
    while i < raw.len() {
        if raw[i] == b'"' {
            i += 1;
            loop {
                match memchr::memchr(b'"', &raw[i..]) {
                    None => return None,
                    Some(k) if raw.get(i + k + 1) == Some(&b'"') => i += k + 2,
                    Some(k) => {
                        i += k + 1;
                        break;
                    }
                }
            }
            while matches!(raw.get(i), Some(b' ' | b'\t')) {
                i += 1;
            }
            if !matches!(raw.get(i), None | Some(b',' | b'\n' | b'\r')) {
                return Some(field);
            }
        }
        match memchr::memchr3(b',', b'\n', b'\r', &raw[i..]) {
            None => return None,
            Some(k) => {
                i += k + 1;
                field += 1;
            }
        }
    }
    None
}

/// What the rows read so far leave to the end of a file.
struct Tally {
    /// (hash of a row's values, its line) of every row kept.
    hashes: Vec<(u64, i64)>,
    bad: Vec<Rejected>,
    rejected_state_ids: BTreeSet<String>,
    report: StageReport,
    /// Batches handed to the sink.
    batches: usize,
    /// The lines whose every field is blank (not records).
    blank: Vec<u64>,
    /// The lines holding only a DOS end-of-file mark (not records).
    marks: Vec<u64>,
    /// How each column's values were written (one a column of the spec).
    written: Vec<written::Written>,
}

impl Tally {
    fn new(spec: &EntitySpec) -> Tally {
        Tally {
            hashes: Vec::new(),
            bad: Vec::new(),
            rejected_state_ids: BTreeSet::new(),
            report: StageReport::new(STAGE, spec.name),
            batches: 0,
            blank: Vec::new(),
            marks: Vec::new(),
            written: vec![written::Written::default(); spec.columns.len()],
        }
    }

    /// The rows of the pieces, joined in order (a chunk per piece), and
    /// what else the pieces found.
    fn take(
        &mut self,
        file: &str,
        spec: &EntitySpec,
        pieces: Vec<Rows>,
    ) -> Result<DataFrame, ReadError> {
        let failed = |e| polars_failed(file, e);
        let mut columns: Vec<StringChunked> = spec
            .columns
            .iter()
            .map(|c| StringChunkedBuilder::new(c.name.into(), 0).finish())
            .collect();
        let mut lines = Vec::new();
        for rows in pieces {
            for (column, builder) in columns.iter_mut().zip(rows.builders) {
                column.append_owned(builder.finish()).map_err(failed)?;
            }
            self.hashes
                .extend(rows.hashes.into_iter().zip(rows.lines.iter().copied()));
            lines.extend(rows.lines);
            self.bad.extend(rows.bad);
            self.rejected_state_ids.extend(rows.rejected_state_ids);
            self.report.rows_in += rows.report.rows_in;
            self.report.notes.extend(rows.report.notes);
            self.blank.extend(rows.blank);
            self.marks.extend(rows.marks);
            for (all, piece) in self.written.iter_mut().zip(&rows.written) {
                all.add(piece);
            }
        }
        let height = lines.len();
        self.report.rows_out += height as u64;
        let mut frame = vec![
            crate::snapshot::repeated(SOURCE_FILE, file, height).into_column(),
            Column::new(SOURCE_ROW.into(), lines),
        ];
        frame.extend(columns.into_iter().map(|c| c.into_series().into_column()));
        DataFrame::new(height, frame).map_err(failed)
    }

    /// The lines of the rows whose hash another row has, in order.
    fn maybe_same(&mut self) -> Vec<i64> {
        let mut hashes = std::mem::take(&mut self.hashes);
        hashes.sort_unstable();
        let mut lines: Vec<i64> = hashes
            .chunk_by(|a, b| a.0 == b.0)
            .filter(|same| same.len() > 1)
            .flat_map(|same| same.iter().map(|(_, line)| *line))
            .collect();
        lines.sort_unstable();
        lines
    }
}

/// The canonical columns the file's header has.
fn present_columns(spec: &EntitySpec, header: &Header) -> BTreeSet<String> {
    spec.columns
        .iter()
        .zip(&header.index)
        .filter(|(_, i)| i.is_some())
        .map(|(c, _)| c.name.to_string())
        .collect()
}

/// The quarantine and the report of a file read.
fn finish(
    file: &str,
    spec: &EntitySpec,
    header: Header,
    mut tally: Tally,
    mut info: FileInfo,
) -> Result<Read, ReadError> {
    let maybe_same = tally.maybe_same();
    let Tally {
        bad,
        rejected_state_ids,
        mut report,
        blank,
        marks,
        ..
    } = tally;
    if let Some(first) = blank.first() {
        report.notes.push(format!(
            "{} line(s) with every field blank not read, as not records (a spreadsheet's \
             empty rows?): line {first}{}",
            blank.len(),
            if blank.len() > 1 { " and after" } else { "" }
        ));
    }
    if let Some(first) = marks.first() {
        report.notes.push(format!(
            "{} line(s) holding only a DOS end-of-file mark (Ctrl-Z, 0x1A) not read, as not \
             records: line {first}{}",
            marks.len(),
            if marks.len() > 1 { " and after" } else { "" }
        ));
    }
    let mut rejected_lines = BTreeSet::new();
    for b in &bad {
        *report.violations.entry(b.rule.to_string()).or_default() += 1;
        if rejected_lines.insert(b.line) {
            *report.rejected.entry(b.rule.to_string()).or_default() += 1;
        }
    }
    if info.undecodable > 0 {
        report.notes.push(format!(
            "{} character(s) could not be decoded as {}",
            info.undecodable, info.encoding
        ));
    }
    if !header.extra_columns.is_empty() {
        report.notes.push(format!(
            "columns not read: {}",
            header.extra_columns.join(", ")
        ));
    }
    let quarantine = rejected_frame(file, &bad).map_err(|e| polars_failed(file, e))?;
    let present = present_columns(spec, &header);
    info.columns_found = header.found;
    info.extra_columns = header.extra_columns;
    info.missing_columns = header.missing_columns;
    Ok(Read {
        present,
        quarantine,
        report,
        rejected_state_ids,
        info,
        maybe_same,
    })
}

/// One rejected row's violation at read.
struct Rejected {
    line: i64,
    column: String,
    value: String,
    rule: &'static str,
    message: String,
}

/// Every field of `record` holding a character that could not be decoded;
/// personal values are shown as `[redacted]`.
fn undecodable_fields(
    record: &csv::StringRecord,
    line: i64,
    canonical: &[String],
    spec: &EntitySpec,
    encoding: &str,
) -> Vec<Rejected> {
    let encoding = encoding.trim_end_matches("-bom");
    record
        .iter()
        .zip(canonical)
        .filter(|(f, _)| f.contains(char::REPLACEMENT_CHARACTER))
        .map(|(f, c)| Rejected {
            line,
            column: c.clone(),
            value: if spec.column(c).is_some_and(|s| s.pii) {
                cutover_stages::quarantine::REDACTED.to_string()
            } else {
                f.trim().to_string()
            },
            rule: "undecodable",
            message: format!(
                "{c}: bytes that are not valid {encoding} (the rest of the file is read as {encoding})"
            ),
        })
        .collect()
}

/// Whether `v`, decoded as Windows-1252, holds a multi-byte UTF-8
/// character's bytes: a lead byte (`Ã` for 0xC3) followed by the
/// continuation bytes it needs (0x80 to 0xBF, as Windows-1252 decodes
/// them), `JosÃ©` for the UTF-8 `José`.
fn utf8_read_as_cp1252(v: &str) -> bool {
    let continuation =
        |c: char| matches!(c as u32, 0xA0..=0xBF) || "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ".contains(c);
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        let more = match c as u32 {
            0xC2..=0xDF => 1,
            0xE0..=0xEF => 2,
            0xF0..=0xF4 => 3,
            _ => continue,
        };
        if chars
            .clone()
            .take(more)
            .filter(|&c| continuation(c))
            .count()
            == more
        {
            return true;
        }
    }
    false
}

/// Every field of `record` holding UTF-8 text in a file read as
/// Windows-1252 ([`utf8_read_as_cp1252`]): quarantined, never kept
/// garbled. Neither value is shown (a name, most).
fn utf8_fields(record: &csv::StringRecord, line: i64, canonical: &[String]) -> Vec<Rejected> {
    record
        .iter()
        .zip(canonical)
        .filter(|(f, _)| utf8_read_as_cp1252(f))
        .map(|(_, c)| Rejected {
            line,
            column: c.clone(),
            value: cutover_stages::quarantine::REDACTED.to_string(),
            rule: "undecodable",
            message: format!(
                "{c}: UTF-8 text in a file read as windows-1252 (a value pasted from another \
                 system?): its characters would be garbled"
            ),
        })
        .collect()
}

/// A row with the header's number of fields whose quoted field runs over
/// several lines and holds a row's worth of commas (a field count less
/// two): a quote closed on a later line, which joined the lines into one
/// row (a surname holding the rest of one student's row and the start of
/// the next's was read as one student, the next student lost). A quote
/// opened in field i of one line keeps the count only when it closes in
/// field i of a later line, so the field holds the n - i fields after it
/// and the i + 1 up to the close: n - 2 commas at least. A value with a
/// line break and fewer commas (a middle name on two lines) is read, and
/// held by ingest (`line_break`).
/// Neither line's values are shown.
fn joined_rows(
    record: &csv::StringRecord,
    line: u64,
    breaks: u64,
    canonical: &[String],
) -> Option<Rejected> {
    let row_of_commas = record.len().saturating_sub(2).max(1);
    let (commas, column) = record
        .iter()
        .zip(canonical)
        .filter(|(f, _)| f.contains('\n'))
        .map(|(f, c)| (memchr::memchr_iter(b',', f.as_bytes()).count(), c))
        .find(|(commas, _)| *commas >= row_of_commas)?;
    Some(Rejected {
        line: line as i64,
        column: column.clone(),
        value: format!("{} lines", breaks + 1),
        rule: "joined_rows",
        message: format!(
            "{column}: a quoted field runs over lines {line} to {} holding {commas} commas, \
             a row's worth: a quote closed on a later line joined the lines into one row",
            line + breaks
        ),
    })
}

/// The read step's quarantine frame.
fn rejected_frame(file: &str, bad: &[Rejected]) -> PolarsResult<DataFrame> {
    if bad.is_empty() {
        return empty_quarantine();
    }
    let n = bad.len();
    let strings = |f: &dyn Fn(&Rejected) -> String| bad.iter().map(f).collect::<Vec<_>>();
    DataFrame::new(
        n,
        vec![
            Column::new(SOURCE_FILE.into(), vec![file; n]),
            Column::new(
                SOURCE_ROW.into(),
                bad.iter().map(|b| b.line).collect::<Vec<_>>(),
            ),
            Column::new(Q_COLUMN.into(), strings(&|b| b.column.clone())),
            Column::new(Q_VALUE.into(), strings(&|b| b.value.clone())),
            Column::new(Q_RULE.into(), strings(&|b| b.rule.to_string())),
            Column::new(Q_MESSAGE.into(), strings(&|b| b.message.clone())),
        ],
    )
}

/// A CSV error in a piece of text `lfs_before` LF bytes after the start.
fn csv_error(file: &str, lfs_before: u64, e: csv::Error) -> ReadError {
    let line = e.position().map(|p| p.line() + lfs_before).unwrap_or(0);
    ReadError::Csv {
        file: file.to_string(),
        line,
        message: e.to_string(),
    }
}

fn polars_failed(file: &str, e: PolarsError) -> ReadError {
    ReadError::Io {
        file: file.to_string(),
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cutover_stages::schema::SCHOOLS;

    /// A file read, its batches of rows stacked.
    struct Whole {
        frame: DataFrame,
        batches: usize,
        read: Read,
    }

    impl std::ops::Deref for Whole {
        type Target = Read;
        fn deref(&self) -> &Read {
            &self.read
        }
    }

    fn read_whole(path: &Path, how: &How) -> Result<Whole, ReadError> {
        let mut frames: Vec<DataFrame> = Vec::new();
        let read = read_in_batches(path, how, |_| {}, &mut |_| {}, &mut |df| {
            frames.push(df);
            Ok(())
        })?;
        let batches = frames.len();
        let mut frame = frames.remove(0);
        for f in frames {
            frame.vstack_mut(&f).unwrap();
        }
        Ok(Whole {
            frame,
            batches,
            read,
        })
    }

    /// How the tests read `file`: the encoding found, not yet hashed.
    fn how_auto<'a>(
        file: &'a str,
        spec: &'a EntitySpec,
        column_map: &'a BTreeMap<String, String>,
        batch: usize,
    ) -> How<'a> {
        How {
            file,
            spec,
            choice: EncodingChoice::Auto,
            column_map,
            sha256: None,
            stamp: None,
            batch,
        }
    }

    fn read_bytes(bytes: &[u8], map: &[(&str, &str)]) -> Result<Whole, ReadError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("schools.csv");
        std::fs::write(&path, bytes).unwrap();
        let map = map
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        read_whole(&path, &how_auto("schools.csv", &SCHOOLS, &map, BATCH))
    }

    fn names(read: &Whole) -> Vec<Option<String>> {
        let c = read.frame.column(SCHOOL_NAME).unwrap().str().unwrap();
        (0..c.len()).map(|i| c.get(i).map(str::to_string)).collect()
    }

    #[test]
    fn utf8_text_decoded_as_windows_1252_is_told_from_its_accented_letters() {
        let cp1252 = |b: &[u8]| encoding_rs::WINDOWS_1252.decode(b).0.into_owned();
        // UTF-8's é, ñ, the right single quote, an emoji, decoded as
        // Windows-1252: found.
        for utf8 in ["Pelé", "Muñoz", "O\u{2019}Brien", "Ann\u{1F600}"] {
            assert!(utf8_read_as_cp1252(&cp1252(utf8.as_bytes())), "{utf8}");
        }
        // Windows-1252's own accented letters, and a letter before a
        // letter or a space: not.
        for text in [
            &b"Th\xe9riault"[..],
            b"L\xe9vesque",
            b"O'Brien-C\xf4t\xe9",
            b"Jos\xe9",
            b"\xc9mile",
            b"M\xfcller \xc0 Paris",
        ] {
            assert!(!utf8_read_as_cp1252(&cp1252(text)), "{text:?}");
        }
    }

    #[test]
    fn utf16_text_without_its_mark_is_told_from_text_and_from_nul_bytes() {
        let le: Vec<u8> = "TruancyID,StateStudentID\r\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let be: Vec<u8> = "TruancyID,StateStudentID\r\n"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert!(utf16_without_mark(&le));
        assert!(utf16_without_mark(&be));
        assert!(!utf16_without_mark(b"TruancyID,StateStudentID\r\n"));
        assert!(!utf16_without_mark(&[0; 512]));
        assert!(!utf16_without_mark(&le[..6]));
        // One name with a NUL in it is a NUL byte, not UTF-16.
        assert!(!utf16_without_mark(
            b"TruancyID,State\0StudentID,School_ID\r\n"
        ));
    }

    #[test]
    fn text_after_a_closing_quote_is_found_in_its_field() {
        for (raw, field) in [
            (&b"a,\"b, c\",d\r\n"[..], None),
            (b"\"x\" ,y\n", None),
            (b"\"a\"\"b\",c\n", None),
            (b"a,\"two\nlines\",c\n", None),
            (b"a,b,c\n", None),
            (b"a,\"b\"c,d\n", Some(1)),
            (b"\"O\\\"Neil\",x\n", Some(0)),
            (b"a,b,\"20\"04\r\n", Some(2)),
        ] {
            assert_eq!(
                text_after_quote(raw),
                field,
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn trimmed_is_trim() {
        for v in [
            "", " ", "a", " a ", "a b", "\u{a0}x", "x\u{a0}", "\tx\r", "é ", " é", "\u{1c}x",
        ] {
            assert_eq!(trimmed(v), v.trim(), "{v:?}");
        }
    }

    #[test]
    fn the_three_encodings_decode_to_the_same_text() {
        let utf8 = "School_ID,SchoolName,SAU_ID\n12,Lévesque École,1001\n";
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend(utf8.as_bytes());
        let (cp, _, _) = encoding_rs::WINDOWS_1252.encode(utf8);
        // A UTF-16 file (as Excel saves "Unicode text") is named so, not
        // Windows-1252, though the decoder found its byte-order mark.
        let utf16 = |le: bool| {
            let mut b = if le {
                vec![0xFF, 0xFE]
            } else {
                vec![0xFE, 0xFF]
            };
            for unit in utf8.encode_utf16() {
                let pair = if le {
                    unit.to_le_bytes()
                } else {
                    unit.to_be_bytes()
                };
                b.extend(pair);
            }
            b
        };
        for (bytes, encoding) in [
            (utf8.as_bytes().to_vec(), "utf-8"),
            (bom, "utf-8-bom"),
            (cp.into_owned(), "windows-1252"),
            (utf16(true), "utf-16le"),
            (utf16(false), "utf-16be"),
        ] {
            let read = read_bytes(&bytes, &[]).unwrap();
            assert_eq!(decode(&bytes, EncodingChoice::Auto).1, encoding);
            assert_eq!(read.info.encoding, encoding);
            assert_eq!(read.info.undecodable, 0);
            assert_eq!(names(&read), vec![Some("Lévesque École".to_string())]);
        }
    }

    #[test]
    fn bytes_are_the_size_on_disk_not_the_decoded_text() {
        // run.json's `bytes` was the decoded text's length: a byte-order
        // mark left out, each accented Windows-1252 letter counted twice.
        let utf8 = "School_ID,SchoolName,SAU_ID\r\n12,Lévesque École,1001\r\n";
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend(utf8.as_bytes());
        let (cp, _, _) = encoding_rs::WINDOWS_1252.encode(utf8);
        for bytes in [utf8.as_bytes().to_vec(), bom, cp.into_owned()] {
            let read = read_bytes(&bytes, &[]).unwrap();
            assert_eq!(read.info.bytes, bytes.len() as u64);
        }
    }

    #[test]
    fn a_header_name_in_another_case_is_the_column() {
        let read = read_bytes(b"SCHOOL_ID,schoolname\t,Sau_Id \n12,Oak,1001\n", &[]).unwrap();
        assert_eq!(
            read.info.missing_columns,
            ["SAUName", "OpenedYear", "ClosedYear"]
        );
        assert_eq!(read.info.extra_columns, Vec::<String>::new());
        assert_eq!(
            read.info.columns_found,
            ["SCHOOL_ID", "schoolname", "Sau_Id"]
        );
        assert_eq!(names(&read), vec![Some("Oak".to_string())]);
        let err = read_bytes(b"School_ID,SchoolName,schoolname,SAU_ID\n", &[])
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            "schools.csv: line 1: column SchoolName appears twice in the header"
        );
    }

    #[test]
    fn unnamed_columns_after_the_last_are_not_read() {
        // Refused before as `column  appears twice in the header`.
        let read = read_bytes(b"School_ID,SchoolName,SAU_ID,,\r\n12,Oak,1001,,\r\n", &[]).unwrap();
        assert_eq!(
            read.info.extra_columns,
            ["(unnamed column 4)", "(unnamed column 5)"]
        );
        assert_eq!(names(&read), vec![Some("Oak".to_string())]);
        assert_eq!(read.report.rows_out, 1);
    }

    #[test]
    fn crlf_rows_keep_the_line_a_person_sees() {
        let text = "School_ID,SchoolName,SAU_ID\r\n12,\"Two\r\nLines\",1001\r\n13,Short\r\n\r\n14,Ok, 1002 \r\n";
        let read = read_bytes(text.as_bytes(), &[]).unwrap();
        assert_eq!(read.info.line_endings, "CRLF");
        let rows: Vec<i64> = read
            .frame
            .column(SOURCE_ROW)
            .unwrap()
            .i64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        assert_eq!(rows, vec![2, 6]);
        assert_eq!(
            read.frame.column(SAU_ID).unwrap().str().unwrap().get(1),
            Some("1002")
        );
        assert_eq!(read.report.rows_in, 3);
        assert_eq!(read.report.rejected.get("column_count"), Some(&1));
        assert!(read.report.balanced());
        let q = &read.quarantine;
        assert_eq!(q.column(SOURCE_ROW).unwrap().i64().unwrap().get(0), Some(4));
        assert_eq!(
            q.column(Q_MESSAGE).unwrap().str().unwrap().get(0),
            Some("expected 3 fields as in the header, found 2")
        );
        assert_eq!(
            read.report.notes,
            vec!["line 2: a quoted field spans 2 lines"]
        );
    }

    #[test]
    fn a_quote_never_closed_refuses_the_file_naming_its_line() {
        let cases: [(&[u8], &str); 4] = [
            (
                b"School_ID,SchoolName,SAU_ID\n12,\"Oak,1001\n13,Elm,1002\n\n14,Ash,1003\n",
                "schools.csv: line 2: a quote opened in this row is never closed: the 3 lines after it would be read as one value",
            ),
            (
                b"School_ID,SchoolName,SAU_ID\r\n12,Oak,1001\r\n13,\"Elm,1002\r\n14,Ash,1003\r\n",
                "schools.csv: line 3: a quote opened in this row is never closed: the line after it would be read as part of its value",
            ),
            (
                b"School_ID,SchoolName,SAU_ID\n12,Oak,1001\n13,Elm,\"10\n",
                "schools.csv: line 3: a quote opened in this row is never closed: the file ends inside it",
            ),
            // No line end after it: the file was cut inside the field.
            (
                b"School_ID,SchoolName,SAU_ID\n12,Oak,1001\n13,\"Elm Hill,10",
                "schools.csv: line 3: a quote opened in this row is never closed: the file ends inside it, with no line end: the file looks cut short (an export or a copy interrupted?) and the rows after the cut are missing: export it again",
            ),
        ];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("schools.csv");
        let map = BTreeMap::new();
        for (bytes, message) in cases {
            std::fs::write(&path, bytes).unwrap();
            // The same refusal however the text is cut into batches.
            for batch in [1, 2, 5, 16, BATCH] {
                let how = how_auto("schools.csv", &SCHOOLS, &map, batch);
                let err = read_whole(&path, &how).err().unwrap();
                assert_eq!(err.to_string(), message, "in batches of {batch}");
            }
        }
    }

    #[test]
    fn a_file_ending_in_the_middle_of_a_row_is_refused_as_cut_short() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("schools.csv");
        let map = BTreeMap::new();
        let cut = "School_ID,SchoolName,SAU_ID\r\n12,Oak,1001\r\n\r\n13,\"Elm,\nHill\"";
        // A last row with every field and no line end: read, with a note
        // (its last value may be cut: `1002` read as `100`). One with a
        // line end, or ending in spaces, a row of blanks or a DOS
        // end-of-file mark: read without one.
        let whole = "School_ID,SchoolName,SAU_ID\r\n12,Oak,1001\r\n13,\"Elm,\nHill\",100";
        let blank = "School_ID,SchoolName,SAU_ID\n12,Oak,1001\n13,Elm,";
        for (bytes, refused) in [
            (cut, true),
            ("School_ID,SchoolName,SAU_ID\n12,Oak,1001\n1", true),
            ("School_ID,SchoolName,SAU_ID\n12,Oak,1001\n13,\"Elm\"", true),
            (whole, false),
            (blank, false),
            (
                "School_ID,SchoolName,SAU_ID\n12,Oak,1001\n13,Elm,1002\n",
                false,
            ),
            (
                "School_ID,SchoolName,SAU_ID\n12,Oak,1001\n13,Elm,1002\n\x1a",
                false,
            ),
            (
                "School_ID,SchoolName,SAU_ID\n12,Oak,1001\n13,Elm,1002\x1a",
                false,
            ),
            ("School_ID,SchoolName,SAU_ID\n12,Oak,1001\n,,", false),
            ("School_ID,SchoolName,SAU_ID\n12,Oak,1001\n  ", false),
        ] {
            std::fs::write(&path, bytes).unwrap();
            for batch in [1, 2, 5, 16, BATCH] {
                let how = how_auto("schools.csv", &SCHOOLS, &map, batch);
                let read = read_whole(&path, &how);
                assert_eq!(read.is_err(), refused, "{bytes:?} in batches of {batch}");
            }
        }
        std::fs::write(&path, cut).unwrap();
        let how = how_auto("schools.csv", &SCHOOLS, &map, BATCH);
        assert_eq!(
            read_whole(&path, &how).err().unwrap().to_string(),
            "schools.csv: line 4: the file ends in this row, with no line end, after 2 of the \
             header's 3 fields: the file looks cut short (an export or a copy interrupted?) and \
             the rows after the cut are missing: export it again"
        );
        let cut_note = |bytes: &str| {
            std::fs::write(&path, bytes).unwrap();
            let read = read_whole(&path, &how).unwrap();
            assert_eq!(read.frame.height(), 2, "{bytes:?}");
            read.report.notes.clone()
        };
        assert_eq!(
            cut_note("School_ID,SchoolName,SAU_ID\n12,Oak,1001\n13,Elm,100"),
            ["line 3: the file's last row ends with no line end, in its last value (SAU_ID): read \
              as it is (many writers leave the last line end out); if the export was cut short \
              there, that value is cut short too: check it, or export the file again"]
        );
        assert_eq!(
            cut_note(blank),
            ["line 3: the file's last row ends with no line end, after its last delimiter: read as \
              it is (many writers leave the last line end out); if the export was cut short there, \
              that value is cut short too: check it, or export the file again"]
        );
        let ended = "School_ID,SchoolName,SAU_ID\n12,Oak,1001\n13,Elm,1002\n";
        assert!(cut_note(ended).is_empty());
    }

    #[test]
    fn a_quote_closed_lines_later_names_the_lines_it_ran_over() {
        let text = "School_ID,SchoolName,SAU_ID\n12,\"Oak,1001\n13,Elm\",1002,x\n14,Ash,1003\n";
        let read = read_bytes(text.as_bytes(), &[]).unwrap();
        assert_eq!(read.report.rows_in, 2);
        assert!(read.report.balanced());
        let q = &read.quarantine;
        assert_eq!(q.column(SOURCE_ROW).unwrap().i64().unwrap().get(0), Some(2));
        assert_eq!(
            q.column(Q_MESSAGE).unwrap().str().unwrap().get(0),
            Some("expected 3 fields as in the header, found 4 (a quoted field runs over lines 2 to 3: a quote left open?)")
        );
    }

    #[test]
    fn the_header_again_with_other_columns_is_refused_naming_them() {
        let first = "School_ID,SchoolName,SAU_ID\n12,Oak,1001\n";
        let cases = [
            (
                "SAU_ID,SchoolName,School_ID\n1002,Elm,13\n",
                "its columns in another order",
            ),
            // Renamed: the rows after it were read under the first header's
            // columns, a value in another column.
            (
                "School_ID,SAU_ID,SchoolNm\n13,1002,Elm\n",
                "with other columns than the first header, adding SchoolNm, lacking SchoolName",
            ),
            (
                "school_id,SchoolName,SchoolName\n13,Elm,Hill\n",
                "with other columns than the first header, adding SchoolName, lacking SAU_ID",
            ),
            (
                "School_ID,SchoolName\n13,Elm\n",
                "with other columns than the first header, lacking SAU_ID",
            ),
        ];
        for (again, what) in cases {
            let text = format!("{first}{again}14,Ash,1003\n");
            let err = read_bytes(text.as_bytes(), &[]).err().unwrap();
            assert_eq!(
                err.to_string(),
                format!(
                    "schools.csv: line 3: the header row again, {what} (two extracts joined into \
                     one?): the rows after it would be read under the wrong columns: split the \
                     file at this line"
                ),
            );
        }
        // A row whose first value is a column's name, the others not: a row.
        let read = read_bytes(b"School_ID,SchoolName,SAU_ID\nSchool_ID,Oak,1001\n", &[]).unwrap();
        assert_eq!(read.report.rows_in, 1);
    }

    #[test]
    fn lines_ended_by_a_lone_carriage_return_are_refused() {
        let err = read_bytes(
            b"School_ID,SchoolName,SAU_ID\r12,Oak,1001\r13,Elm,1002\r",
            &[],
        )
        .err()
        .unwrap();
        assert_eq!(
            err.to_string(),
            "schools.csv: line 1: the lines end with a carriage return alone (CR, as old Mac files): save the file with LF or CRLF line ends"
        );
        // A header alone, or CRLF and blank lines after it, are read.
        for text in [
            &b"School_ID,SchoolName,SAU_ID\r"[..],
            b"School_ID,SchoolName,SAU_ID\r\n\r\n12,Oak,1001\r\n",
        ] {
            assert!(read_bytes(text, &[]).is_ok());
        }
    }

    #[test]
    fn a_column_map_renames_and_unknown_columns_are_reported() {
        let text = "SchoolNumber,School Name,SAU_ID,Principal\n12,Oak,1001,x\n";
        let read = read_bytes(
            text.as_bytes(),
            &[("SchoolNumber", "School_ID"), ("School Name", "SchoolName")],
        )
        .unwrap();
        assert_eq!(names(&read), vec![Some("Oak".to_string())]);
        assert_eq!(read.info.extra_columns, vec!["Principal"]);
        assert_eq!(
            read.info.missing_columns,
            vec!["SAUName", "OpenedYear", "ClosedYear"]
        );
    }

    /// A file cut inside its first character, a UTF-8 byte-order mark (1
    /// or 2 of its 3 bytes and nothing else), is said to be cut short
    /// (it was "none of the file's columns found in its 1 field(s)").
    #[test]
    fn a_file_cut_inside_its_byte_order_mark_is_said_to_be_cut_short() {
        for (bytes, n) in [(&b"\xEF\xBB"[..], 2), (b"\xEF", 1)] {
            let err = read_bytes(bytes, &[]).err().unwrap();
            assert_eq!(
                err.to_string(),
                format!(
                    "schools.csv: line 1: the file ends after {n} of the 3 bytes of a UTF-8 \
                     byte-order mark, before its header row: the file looks cut short (take it \
                     from the extract again)"
                )
            );
        }
        // The whole mark alone is an empty file, as before.
        let err = read_bytes(b"\xEF\xBB\xBF", &[]).err().unwrap();
        assert_eq!(
            err.to_string(),
            "schools.csv: the file is empty: a header row is expected"
        );
    }

    #[test]
    fn missing_columns_and_empty_files_are_errors_naming_the_file() {
        let err = read_bytes(b"SchoolNumber,SchoolName\n1,Oak\n", &[])
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            "schools.csv: line 1: expected column(s) School_ID, SAU_ID not found; found: SchoolNumber, SchoolName"
        );
        let err = read_bytes(b"", &[]).err().unwrap();
        assert_eq!(
            err.to_string(),
            "schools.csv: the file is empty: a header row is expected"
        );
        // Only blank lines (an extract cut short): said so, with how many.
        for (text, lines) in [(&b"\n\n\n"[..], 3), (b"\r\n\r\n", 2), (b"   \n\t\n  ", 3)] {
            let err = read_bytes(text, &[]).err().unwrap();
            assert_eq!(
                err.to_string(),
                format!("schools.csv: the file holds only blank lines ({lines} of them), no header row and no records: a header row is expected (was the extract cut short?)")
            );
        }
        // A first line with no known column is not echoed: it may be data.
        let err = read_bytes(b"12,Oak School,1001,Portland\n13,Elm,1002,Bath\n", &[])
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            "schools.csv: line 1: none of the file's columns found in its 4 field(s): the header row may be missing (the line's values are not shown: they may be a student's)"
        );
        let err = read_bytes(b"School_ID;SchoolName;SAU_ID\n12;Oak;1001\n", &[])
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            "schools.csv: line 1: none of the file's columns found in its 1 field(s) (is the file comma-separated?): the header row may be missing (the line's values are not shown: they may be a student's)"
        );
        // Excel's `sep=,` line above the header: not read, the header the
        // line after it, noted (it was "none of the file's columns found in
        // its 2 field(s)"); another delimiter named and refused.
        for text in [
            &b"sep=,\r\nSchool_ID,SchoolName,SAU_ID\r\n12,Oak,1001\r\n"[..],
            b"SEP=,\nSchool_ID,SchoolName,SAU_ID\n12,Oak,1001\n",
        ] {
            let read = read_bytes(text, &[]).unwrap();
            assert_eq!(names(&read), [Some("Oak".to_string())]);
            assert_eq!(read.report.notes, [SEP_NOTE]);
            assert_eq!(
                SEP_NOTE,
                "the first line, sep=, (Excel's line naming the delimiter), is not read: the header is the line after it"
            );
            let lines = read.frame.column(SOURCE_ROW).unwrap().i64().unwrap().get(0);
            assert_eq!(lines, Some(3));
        }
        for (text, named) in [
            (&b"sep=;\nSchool_ID;SchoolName;SAU_ID\n"[..], "';'"),
            (b"sep=\t\nSchool_ID\tSchoolName\n", "a tab"),
        ] {
            let err = read_bytes(text, &[]).err().unwrap();
            assert_eq!(
                err.to_string(),
                format!("schools.csv: line 1: the first line, Excel's sep= line, says the values are separated by {named}: save the file comma-separated")
            );
        }
        let err = read_bytes(b"School_ID,SAU_ID,SAU_ID\n", &[]).err().unwrap();
        assert_eq!(
            err.to_string(),
            "schools.csv: line 1: column SAU_ID appears twice in the header"
        );
    }

    #[test]
    fn a_stray_byte_in_utf8_rejects_its_row_only() {
        let text = b"School_ID,SchoolName,SAU_ID\n12,L\xc3\xa9vesque \xc3\x89cole,1001\n13,Caf\xe9,1002\n14,Th\xc3\xa9riault,1003\n";
        let read = read_bytes(text, &[]).unwrap();
        assert_eq!(
            (read.info.encoding.as_str(), read.info.undecodable),
            ("utf-8", 1)
        );
        assert_eq!(
            names(&read),
            vec![
                Some("Lévesque École".to_string()),
                Some("Thériault".to_string())
            ]
        );
        assert_eq!(read.report.rejected.get("undecodable"), Some(&1));
        assert!(read.report.balanced());
        let q = &read.quarantine;
        assert_eq!(q.column(SOURCE_ROW).unwrap().i64().unwrap().get(0), Some(3));
        assert_eq!(
            q.column(Q_MESSAGE).unwrap().str().unwrap().get(0),
            Some("SchoolName: bytes that are not valid utf-8 (the rest of the file is read as utf-8)")
        );
        assert_eq!(
            q.column(Q_VALUE).unwrap().str().unwrap().get(0),
            Some("Caf\u{FFFD}")
        );
        // As many valid multi-byte characters as stray bytes: UTF-8 still.
        let read = read_bytes(
            b"School_ID,SchoolName,SAU_ID\n12,B\xc3\xa9langer,1001\n13,Zo\xe9,1002\n",
            &[],
        )
        .unwrap();
        assert_eq!(
            (read.info.encoding.as_str(), read.info.undecodable),
            ("utf-8", 1)
        );
        assert_eq!(names(&read), vec![Some("Bélanger".to_string())]);
        // Without a valid multi-byte character the file is Windows-1252.
        let read = read_bytes(b"School_ID,SchoolName,SAU_ID\n13,Caf\xe9,1002\n", &[]).unwrap();
        assert_eq!(
            (read.info.encoding.as_str(), read.info.undecodable),
            ("windows-1252", 0)
        );
        assert_eq!(names(&read), vec![Some("Café".to_string())]);
    }

    fn read_in(bytes: &[u8], spec: &EntitySpec, batch: usize) -> Whole {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.csv");
        std::fs::write(&path, bytes).unwrap();
        let map = BTreeMap::new();
        read_whole(&path, &how_auto("f.csv", spec, &map, batch)).unwrap()
    }

    /// Everything a read gives, as text.
    fn everything(read: &Whole) -> String {
        format!(
            "{:?}\n{:?}\n{:?} {:?} {:?} {:?} {:?}\n{:?} {:?}",
            read.frame,
            read.quarantine,
            read.report.rows_in,
            read.report.rows_out,
            read.report.rejected,
            read.report.violations,
            read.report.notes,
            read.rejected_state_ids,
            read.maybe_same,
        )
    }

    #[test]
    fn text_cut_in_small_batches_reads_as_one_reader_reads_it() {
        use cutover_stages::schema::STUDENT_PERSONAL;
        let schools: [&[u8]; 5] = [
            b"School_ID,SchoolName,SAU_ID\r\n12,\"Two\r\nLines\",1001\r\n13,Short\r\n\r\n14,Ok, 1002 \r\n",
            b"\n\nSchool_ID,SchoolName,SAU_ID\n1,\"a,\n\n\"\"b\"\"\n\",2\n\n3,5'10\",4\n5,\"x\"y,6\n7,\"open\n8\",9,10\n",
            b"School_ID,SchoolName,SAU_ID\n12,L\xc3\xa9vesque \xc3\x89cole,1001\n13,Caf\xe9,1002\n14,Th\xc3\xa9riault,1003\n",
            b"\xEF\xBB\xBFSchool_ID,SchoolName,SAU_ID\r\n1,\"a\r\nb\",2\r\n3,c,4,5\r\n6,d,7\r\n",
            b"School_ID,SchoolName,SAU_ID\n",
        ];
        let personal = b"StateStudentID,PersonID,IdentityID,LastName,FirstName,BirthDate\n\
            100000001,1,1,\"A\nB\",C,2001-01-01\n100000002,2,2,D\n100000003,3,3,E,F,2001-01-01\n";
        let cases = schools
            .iter()
            .map(|b| (*b, &cutover_stages::schema::SCHOOLS))
            .chain([(&personal[..], &STUDENT_PERSONAL)]);
        for (bytes, spec) in cases {
            let whole = everything(&read_in(bytes, spec, 1 << 20));
            for batch in 1..=bytes.len() + 1 {
                assert_eq!(
                    everything(&read_in(bytes, spec, batch)),
                    whole,
                    "{} in batches of {batch}",
                    String::from_utf8_lossy(bytes)
                );
            }
        }
    }

    #[test]
    fn rows_come_in_batches_and_equal_rows_are_named_as_maybe_the_same() {
        let text =
            b"School_ID,SchoolName,SAU_ID\n1,Oak,2\n1,Oak,2\n1,Oak ,3\n1, Oak,2\n1,,2\n1,,2\n";
        let read = read_in(text, &cutover_stages::schema::SCHOOLS, 8);
        assert!(read.batches > 1);
        assert_eq!(read.frame.height(), 6);
        // Rows 2, 3 and 5 are equal once trimmed, rows 6 and 7 too; row 4
        // differs in SAU_ID.
        assert_eq!(read.maybe_same, vec![2, 3, 5, 6, 7]);
        let empty = read_in(
            b"School_ID,SchoolName,SAU_ID\n",
            &cutover_stages::schema::SCHOOLS,
            8,
        );
        assert_eq!((empty.batches, empty.frame.height()), (1, 0));
        assert_eq!(
            empty.frame.width(),
            2 + cutover_stages::schema::SCHOOLS.columns.len()
        );
    }

    #[test]
    fn undecodable_bytes_are_counted() {
        let (_, enc, bad) = decode(b"a,\x81b\n", EncodingChoice::Windows1252);
        assert_eq!((enc, bad), ("windows-1252", 1));
        let (text, enc, bad) = decode(b"a,\xffb\n", EncodingChoice::Utf8);
        assert_eq!((enc, bad), ("utf-8", 1));
        assert_eq!(text, "a,\u{FFFD}b\n");
    }
}
