//! CSV written chunk by chunk: a generated file never sits whole in memory
//! as rows of strings. Rows are serialized as they are made and handed on in
//! chunks of about a megabyte, encoded (UTF-8, with a byte-order mark, or
//! Windows-1252) at record boundaries, so the bytes are those of the whole
//! text encoded at once.

use super::Encoding;
use anyhow::{Context, Result};
use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

/// Bytes serialized before they are encoded and handed on.
const CHUNK: usize = 1 << 20;

/// The serialized text waiting to be encoded: the CSV writer's output.
#[derive(Clone, Default)]
struct Pending(Rc<RefCell<Vec<u8>>>);

impl Write for Pending {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A CSV file being written to `out`: its header first, then row by row.
pub(super) struct CsvSink<W: Write> {
    csv: csv::Writer<Pending>,
    pending: Pending,
    out: W,
    encoding: Encoding,
    rows: usize,
}

impl<W: Write> CsvSink<W> {
    pub fn new<S: AsRef<[u8]>>(
        mut out: W,
        header: &[S],
        encoding: Encoding,
        crlf: bool,
    ) -> Result<Self> {
        if encoding == Encoding::Utf8Bom {
            out.write_all(&[0xEF, 0xBB, 0xBF])?;
        }
        let pending = Pending::default();
        let mut csv = csv::WriterBuilder::new()
            .flexible(true)
            .terminator(if crlf {
                csv::Terminator::CRLF
            } else {
                csv::Terminator::Any(b'\n')
            })
            .from_writer(pending.clone());
        csv.write_record(header)?;
        Ok(Self {
            csv,
            pending,
            out,
            encoding,
            rows: 0,
        })
    }

    /// Writes one row (its fields in order; a row may have more or fewer
    /// fields than the header: the planted column-count defects).
    pub fn push<S: AsRef<[u8]>>(&mut self, row: &[S]) -> Result<()> {
        self.csv.write_record(row)?;
        self.rows += 1;
        if self.pending.0.borrow().len() >= CHUNK {
            self.hand_on()?;
        }
        Ok(())
    }

    /// Rows written so far (the header not counted).
    pub fn len(&self) -> usize {
        self.rows
    }

    fn hand_on(&mut self) -> Result<()> {
        self.csv.flush().context("flushing CSV")?;
        let mut chunk = self.pending.0.borrow_mut();
        encode(&mut self.out, &chunk, self.encoding)?;
        chunk.clear();
        Ok(())
    }

    /// Hands on what is left and returns the output.
    pub fn finish(mut self) -> Result<W> {
        self.hand_on()?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Writes UTF-8 CSV text (whole records) in `encoding`, no byte-order mark.
fn encode(out: &mut impl Write, text: &[u8], encoding: Encoding) -> Result<()> {
    match encoding {
        Encoding::Utf8 | Encoding::Utf8Bom => out.write_all(text)?,
        Encoding::Windows1252 => {
            let text = std::str::from_utf8(text).context("CSV is UTF-8")?;
            let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
            anyhow::ensure!(!unmappable, "a name is not representable in Windows-1252");
            out.write_all(&bytes)?;
        }
    }
    Ok(())
}

/// Rows kept in memory as CSV text (the smaller derived files, written
/// once their rows are all made).
pub(super) type Rows = CsvSink<Vec<u8>>;

impl Rows {
    /// A file's rows, kept as UTF-8 text until `write_to`.
    pub fn text<S: AsRef<[u8]>>(header: &[S], crlf: bool) -> Self {
        Self::new(Vec::new(), header, Encoding::Utf8, crlf).expect("writing to memory")
    }

    /// Adds a row (in memory: cannot fail).
    pub fn add<S: AsRef<[u8]>>(&mut self, row: &[S]) {
        self.push(row).expect("writing to memory");
    }

    /// The file's bytes in `encoding`, written to `out`.
    pub fn write_to(self, out: &mut impl Write, encoding: Encoding) -> Result<()> {
        let text = self.finish()?;
        if encoding == Encoding::Utf8Bom {
            out.write_all(&[0xEF, 0xBB, 0xBF])?;
        }
        encode(out, &text, encoding)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows as one csv writer writes them, encoded at once.
    fn whole(rows: &[Vec<String>], crlf: bool) -> String {
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .terminator(if crlf {
                csv::Terminator::CRLF
            } else {
                csv::Terminator::Any(b'\n')
            })
            .from_writer(Vec::new());
        for r in rows {
            w.write_record(r).unwrap();
        }
        String::from_utf8(w.into_inner().unwrap()).unwrap()
    }

    #[test]
    fn rows_written_in_chunks_are_the_bytes_of_the_whole_text() {
        // Enough rows for several chunks, with quotes, commas, accents and
        // rows of other lengths (the planted column-count defects).
        let rows: Vec<Vec<String>> = (0..60_000)
            .map(|i| {
                let mut r = vec![
                    i.to_string(),
                    format!("Bélanger, \"{i}\""),
                    "Zoë".to_string(),
                ];
                if i % 7 == 0 {
                    r.push("Jr".into());
                }
                r
            })
            .collect();
        let header = ["id", "last", "first"];
        let mut expected = whole(&[header.map(String::from).to_vec()], true);
        expected.push_str(&whole(&rows, true));
        assert!(expected.len() > 2 * CHUNK, "the test spans chunks");

        let mut sink = CsvSink::new(Vec::new(), &header, Encoding::Windows1252, true).unwrap();
        for r in &rows {
            sink.push(r).unwrap();
        }
        assert_eq!(sink.len(), rows.len());
        let (cp1252, _, _) = encoding_rs::WINDOWS_1252.encode(&expected);
        assert_eq!(sink.finish().unwrap(), cp1252.into_owned());

        let mut sink = CsvSink::new(Vec::new(), &header, Encoding::Utf8Bom, true).unwrap();
        for r in &rows {
            sink.push(r).unwrap();
        }
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend(expected.as_bytes());
        assert_eq!(sink.finish().unwrap(), bom);
    }

    #[test]
    fn rows_in_memory_are_written_in_the_file_encoding() {
        let mut rows = Rows::text(&["a", "b"], false);
        rows.add(&["1", "é"]);
        let mut out = Vec::new();
        rows.write_to(&mut out, Encoding::Utf8Bom).unwrap();
        assert_eq!(out, "\u{feff}a,b\n1,é\n".as_bytes());
    }

    #[test]
    fn a_name_windows_1252_cannot_hold_is_refused() {
        let mut sink = CsvSink::new(Vec::new(), &["name"], Encoding::Windows1252, false).unwrap();
        sink.push(&["Nguyễn"]).unwrap();
        let err = sink.finish().unwrap_err();
        assert_eq!(
            err.to_string(),
            "a name is not representable in Windows-1252"
        );
    }
}
