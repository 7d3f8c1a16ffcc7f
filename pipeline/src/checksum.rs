//! Checksums: of files, of named checksums, and of a frame's content column
//! by column (what a stage records of the data later stages read).

use anyhow::{Context, Result};
use polars::prelude::*;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A checksum over named checksums.
pub fn sum_of(map: &BTreeMap<String, String>) -> String {
    let mut h = Sha256::new();
    for (k, v) in map {
        h.update(k.as_bytes());
        h.update(v.as_bytes());
    }
    hex(&h.finalize())
}

/// A hash over named parts, in the order given (each name and value ended
/// by a zero byte, so parts cannot run together).
pub fn digest(parts: &[(&str, String)]) -> String {
    digest_pairs(parts.iter().map(|(k, v)| (*k, v.as_str())))
}

/// [`digest`] over any sequence of name and value.
pub fn digest_pairs<'a>(parts: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut h = Sha256::new();
    for (k, v) in parts {
        h.update(k.as_bytes());
        h.update([0]);
        h.update(v.as_bytes());
        h.update([0]);
    }
    hex(&h.finalize())
}

/// SHA-256 of a file, streamed.
pub fn file_sha256(path: &Path) -> Result<String> {
    Ok(file_sha256_stamped(path)?.0)
}

/// SHA-256 of a file, streamed, and its [`Stamp`] taken on the open file
/// before the first byte is read: a file written to while or after it is
/// hashed no longer has that stamp.
pub fn file_sha256_stamped(path: &Path) -> Result<(String, Stamp)> {
    let context = || format!("cannot read {}", path.display());
    let mut file = std::fs::File::open(path).with_context(context)?;
    let stamp = Stamp::of(&file.metadata().with_context(context)?);
    let mut h = Sha256::new();
    std::io::copy(&mut file, &mut h).with_context(context)?;
    Ok((hex(&h.finalize()), stamp))
}

/// What the file system says of a file that any write to it changes: its
/// device and inode (a file replaced by another), size, and modification
/// and change times (the change time cannot be set back by a program). A
/// file rewritten within the file system's clock tick, to the same size,
/// keeps its stamp: a limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp([i64; 7]);

impl Stamp {
    /// The stamp of a file's metadata.
    #[cfg(unix)]
    pub fn of(meta: &std::fs::Metadata) -> Stamp {
        use std::os::unix::fs::MetadataExt;
        let (m, c) = (meta.mtime(), meta.ctime());
        let (mn, cn) = (meta.mtime_nsec(), meta.ctime_nsec());
        Stamp([
            meta.dev() as i64,
            meta.ino() as i64,
            meta.len() as i64,
            m,
            mn,
            c,
            cn,
        ])
    }

    /// The stamp of a file's metadata (size and modification time).
    #[cfg(not(unix))]
    pub fn of(meta: &std::fs::Metadata) -> Stamp {
        let since = |t: std::io::Result<std::time::SystemTime>| {
            t.ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos() as i64)
        };
        Stamp([0, 0, meta.len() as i64, since(meta.modified()), 0, 0, 0])
    }
}

/// Content hashes of a frame's columns, `name.column` -> hash: every value
/// in order (null kept apart from empty), so equal data hashes equally
/// whatever its chunks or encoding. Text is hashed as its bytes, numbers,
/// dates and flags as their physical values (no value turned into text),
/// each value fed through a buffer rather than one hasher call apiece.
pub fn data_hashes(name: &str, df: &DataFrame) -> Result<BTreeMap<String, String>> {
    // One column per task, on every core.
    let sums = df
        .columns()
        .par_iter()
        .map(|column| {
            let mut h = ValueHasher::new(column.dtype());
            h.column(column.as_materialized_series())?;
            Ok((format!("{name}.{}", column.name()), h.finish()))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(sums.into_iter().collect())
}

/// [`data_hashes`] of a frame fed a batch of rows at a time (the same
/// hashes as of the frame of every batch, in order).
pub struct DataHashes {
    name: String,
    columns: Vec<(String, ValueHasher)>,
}

impl DataHashes {
    pub fn new(name: &str) -> DataHashes {
        DataHashes {
            name: name.to_string(),
            columns: Vec::new(),
        }
    }

    /// Adds the rows of `df` (the columns of the first batch, in order).
    pub fn update(&mut self, df: &DataFrame) -> Result<()> {
        if self.columns.is_empty() {
            self.columns = df
                .columns()
                .iter()
                .map(|c| (c.name().to_string(), ValueHasher::new(c.dtype())))
                .collect();
        }
        anyhow::ensure!(self.columns.len() == df.width(), "a batch of other columns");
        self.columns
            .par_iter_mut()
            .zip(df.columns().par_iter())
            .try_for_each(|((_, h), column)| h.column(column.as_materialized_series()))
    }

    pub fn finish(self) -> BTreeMap<String, String> {
        let name = self.name;
        self.columns
            .into_iter()
            .map(|(c, h)| (format!("{name}.{c}"), h.finish()))
            .collect()
    }
}

/// A SHA-256 fed in blocks: each value (tagged, so null is not empty and
/// values cannot run together) copied into a buffer hashed when full (the
/// digest does not depend on where the blocks are cut).
struct ValueHasher {
    sha: Sha256,
    buf: Box<[u8]>,
    /// Bytes of `buf` in use.
    len: usize,
}

impl ValueHasher {
    const FLUSH: usize = 1 << 16;

    fn new(dtype: &DataType) -> ValueHasher {
        let mut sha = Sha256::new();
        sha.update(format!("{dtype:?}").as_bytes());
        ValueHasher {
            sha,
            buf: vec![0; Self::FLUSH].into_boxed_slice(),
            len: 0,
        }
    }

    /// Appends `b` to the bytes hashed (a slice copy: `Vec::extend` was
    /// a call per value in this crate's build).
    fn bytes(&mut self, b: &[u8]) {
        if self.len + b.len() > self.buf.len() {
            self.flush();
            if b.len() > self.buf.len() {
                self.sha.update(b);
                return;
            }
        }
        self.buf[self.len..self.len + b.len()].copy_from_slice(b);
        self.len += b.len();
    }

    fn flush(&mut self) {
        self.sha.update(&self.buf[..self.len]);
        self.len = 0;
    }

    /// Writes `N` bytes at `at` (an array stored whole: in this crate's
    /// build a slice copy is a call or two per value).
    #[inline(always)]
    fn put<const N: usize>(&mut self, at: usize, bytes: [u8; N]) {
        let into: &mut [u8; N] = (&mut self.buf[at..at + N]).try_into().expect("N bytes");
        *into = bytes;
    }

    /// Makes room for `n` more bytes in the buffer.
    #[inline(always)]
    fn room(&mut self, n: usize) {
        if self.len + n > self.buf.len() {
            self.flush();
        }
    }

    fn push(&mut self, value: Option<&[u8]>) {
        match value {
            Some(v) => self.value(v),
            None => self.null(),
        }
    }

    fn value(&mut self, v: &[u8]) {
        self.bytes(&(v.len() as u64).to_le_bytes());
        self.bytes(v);
    }

    #[inline(always)]
    fn null(&mut self) {
        self.room(8);
        self.put(self.len, u64::MAX.to_le_bytes());
        self.len += 8;
    }

    /// [`Self::value`] of `N` bytes: its length and bytes copied as fixed
    /// sizes (a copy of a length known only at run time is a call apiece).
    #[inline(always)]
    fn fixed<const N: usize>(&mut self, v: [u8; N]) {
        self.room(8 + N);
        let at = self.len;
        self.put(at, (N as u64).to_le_bytes());
        self.put(at + 8, v);
        self.len += 8 + N;
    }

    /// [`Self::value`] of a short value (at most twelve bytes, `n` of
    /// them, held in an arrow view): the twelve bytes copied, the buffer
    /// then advanced by `n` only (the bytes past it are overwritten by the
    /// next value or never hashed).
    #[inline(always)]
    fn short(&mut self, n: usize, twelve: [u8; 12]) {
        self.room(8 + 12);
        let at = self.len;
        self.put(at, (n as u64).to_le_bytes());
        self.put(at + 8, twelve);
        self.len += 8 + n;
    }

    /// Every value of each chunk in order, walked over the arrow arrays'
    /// views themselves (the chunked array's iterator of options cost more
    /// than the hashing): the same bytes fed as [`Self::push`] of each
    /// value.
    fn text(&mut self, ca: &StringChunked) {
        // The validity through the chunk as an `ArrayRef` (the trait
        // object's method), the views through the typed array.
        for (chunk, arr) in ca.chunks().iter().zip(ca.downcast_iter()) {
            let (views, buffers) = (arr.views(), arr.data_buffers());
            // One view's value: short ones are in the view itself (its
            // bytes after the length), longer ones in a buffer.
            macro_rules! view {
                ($v:expr) => {{
                    let v = $v;
                    let n = v.length as usize;
                    if v.is_inline() {
                        let [a, b, c] = [v.prefix, v.buffer_idx, v.offset].map(u32::to_ne_bytes);
                        let twelve = [
                            a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3], c[0], c[1], c[2], c[3],
                        ];
                        self.short(n, twelve);
                    } else {
                        let from = v.offset as usize;
                        self.value(&buffers[v.buffer_idx as usize][from..from + n]);
                    }
                }};
            }
            match chunk.validity().filter(|v| v.unset_bits() > 0) {
                None => views.iter().for_each(|v| view!(v)),
                Some(valid) => {
                    for (v, ok) in views.iter().zip(valid.iter()) {
                        match ok {
                            true => view!(v),
                            false => self.null(),
                        }
                    }
                }
            }
        }
    }

    fn column(&mut self, s: &Series) -> Result<()> {
        let physical = s.to_physical_repr();
        macro_rules! numbers {
            ($ca:expr) => {{
                let ca = $ca;
                let nulls = ca.null_count() > 0;
                for arr in ca.downcast_iter() {
                    if nulls {
                        for v in arr.iter() {
                            match v {
                                Some(v) => self.fixed(v.to_le_bytes()),
                                None => self.null(),
                            }
                        }
                    } else {
                        arr.values()
                            .iter()
                            .for_each(|v| self.fixed(v.to_le_bytes()));
                    }
                }
            }};
        }
        match physical.dtype() {
            DataType::String => self.text(physical.str()?),
            DataType::Boolean => {
                for v in physical.bool()?.iter() {
                    match v {
                        Some(b) => self.fixed([u8::from(b)]),
                        None => self.null(),
                    }
                }
            }
            DataType::Int8 => numbers!(physical.i8()?),
            DataType::Int16 => numbers!(physical.i16()?),
            DataType::Int32 => numbers!(physical.i32()?),
            DataType::Int64 => numbers!(physical.i64()?),
            DataType::UInt8 => numbers!(physical.u8()?),
            DataType::UInt16 => numbers!(physical.u16()?),
            DataType::UInt32 => numbers!(physical.u32()?),
            DataType::UInt64 => numbers!(physical.u64()?),
            DataType::Float32 => numbers!(physical.f32()?),
            DataType::Float64 => numbers!(physical.f64()?),
            _ => {
                // Anything else (lists, structs) as text.
                let text = s.cast(&DataType::String)?;
                for v in text.str()?.iter() {
                    self.push(v.map(str::as_bytes));
                }
            }
        }
        Ok(())
    }

    fn finish(mut self) -> String {
        self.flush();
        hex(&self.sha.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_hashed_as_their_tagged_bytes_whatever_the_buffer() {
        // Values that fill the buffer unevenly, short ones (in their arrow
        // views) and longer ones (in buffers), one longer than the buffer,
        // nulls; the whole column and a slice of it.
        let long = "x".repeat(ValueHasher::FLUSH + 5);
        let mut values: Vec<Option<String>> = (0..20_000)
            .map(|i| (i % 7 != 0).then(|| format!("value {i}{}", "é".repeat(i % 9))))
            .collect();
        values.insert(9_000, Some(long));
        values.insert(0, Some(String::new()));
        let expected = |values: &[Option<String>]| {
            let mut sha = Sha256::new();
            sha.update(format!("{:?}", DataType::String).as_bytes());
            for v in values {
                match v {
                    Some(v) => {
                        sha.update((v.len() as u64).to_le_bytes());
                        sha.update(v.as_bytes());
                    }
                    None => sha.update(u64::MAX.to_le_bytes()),
                }
            }
            hex(&sha.finalize())
        };
        let frame = df!("x" => values.clone()).unwrap();
        assert_eq!(data_hashes("e", &frame).unwrap()["e.x"], expected(&values));
        let some = frame.slice(5, 12_000);
        assert_eq!(
            data_hashes("e", &some).unwrap()["e.x"],
            expected(&values[5..12_005])
        );
        let none =
            df!("x" => values.iter().flatten().map(String::as_str).collect::<Vec<_>>()).unwrap();
        let all: Vec<Option<String>> = values.iter().flatten().cloned().map(Some).collect();
        assert_eq!(data_hashes("e", &none).unwrap()["e.x"], expected(&all));
        let n = df!("n" => [Some(7i64), None]).unwrap();
        let mut sha = Sha256::new();
        sha.update(format!("{:?}", DataType::Int64).as_bytes());
        sha.update(8u64.to_le_bytes());
        sha.update(7i64.to_le_bytes());
        sha.update(u64::MAX.to_le_bytes());
        assert_eq!(data_hashes("e", &n).unwrap()["e.n"], hex(&sha.finalize()));
    }

    #[test]
    fn data_hashed_in_batches_hashes_as_the_whole_frame() {
        let whole = df!("x" => [Some("a"), None, Some("")], "n" => [1i64, 2, 3]).unwrap();
        let mut batched = DataHashes::new("e");
        batched.update(&whole.slice(0, 1)).unwrap();
        batched.update(&whole.slice(1, 0)).unwrap();
        batched.update(&whole.slice(1, 2)).unwrap();
        assert_eq!(batched.finish(), data_hashes("e", &whole).unwrap());
    }

    #[test]
    fn equal_data_hashes_equally_whatever_its_chunks_and_null_is_not_empty() {
        let a = df!("x" => [Some("a"), None, Some("")]).unwrap();
        let mut b = df!("x" => [Some("a")]).unwrap();
        b.vstack_mut(&df!("x" => [None::<&str>, Some("")]).unwrap())
            .unwrap();
        assert_eq!(data_hashes("e", &a).unwrap(), data_hashes("e", &b).unwrap());
        let c = df!("x" => [Some("a"), Some(""), Some("")]).unwrap();
        assert_ne!(data_hashes("e", &a).unwrap(), data_hashes("e", &c).unwrap());
        // Numbers and dates by value, chunks or not; a null is not a zero.
        let n = df!("n" => [Some(1i32), None, Some(0)]).unwrap();
        let mut m = df!("n" => [Some(1i32)]).unwrap();
        m.vstack_mut(&df!("n" => [None::<i32>, Some(0)]).unwrap())
            .unwrap();
        assert_eq!(data_hashes("e", &n).unwrap(), data_hashes("e", &m).unwrap());
        let z = df!("n" => [Some(1i32), Some(0), Some(0)]).unwrap();
        assert_ne!(data_hashes("e", &n).unwrap(), data_hashes("e", &z).unwrap());
        let dates = n
            .lazy()
            .select([col("n").cast(DataType::Date)])
            .collect()
            .unwrap();
        assert_ne!(
            data_hashes("e", &dates).unwrap(),
            data_hashes("e", &m).unwrap(),
            "a date is not the number of its days"
        );
    }
}
