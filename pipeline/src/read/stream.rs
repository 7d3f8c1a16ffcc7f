//! A bundle file decoded as it is read: the encoding is chosen on a first
//! pass over the whole file (its checksum, its byte-order mark, how much of
//! it is valid UTF-8), then a second pass transcodes it to UTF-8 a block at
//! a time for the CSV reader. Neither the file nor its text is ever held
//! whole in memory. The decoded text is the same as `super::decode` gives.

use super::EncodingChoice;
use sha2::{Digest, Sha256};
use std::io::Read;

/// How much of the file is read at a time.
const BLOCK: usize = 1 << 20;
const BOM: &[u8] = &[0xEF, 0xBB, 0xBF];

/// What the first pass found.
pub struct Analysis {
    pub sha256: String,
    /// The file's size in bytes, as on disk (before decoding).
    pub bytes: u64,
    bom: bool,
    /// The whole file is 1 or 2 of a UTF-8 byte-order mark's 3 bytes (a
    /// file cut inside its first character): how many.
    pub bom_cut: usize,
    /// The UTF-16 encoding a leading byte-order mark names.
    utf16: Option<&'static str>,
    /// Invalid UTF-8 sequences.
    invalid: u64,
    /// Valid multi-byte UTF-8 characters.
    multibyte: u64,
}

/// Counts valid multi-byte characters and invalid sequences in `buf`, as
/// `str::utf8_chunks` would. An incomplete sequence at the end is left for
/// the next block (its length is returned) unless `last`.
fn scan_utf8(
    buf: &[u8],
    last: bool,
    mut valid: impl FnMut(&str),
    mut invalid: impl FnMut(),
) -> usize {
    let mut rest = buf;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                valid(s);
                return 0;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                valid(std::str::from_utf8(good).unwrap_or_default());
                match e.error_len() {
                    Some(n) => {
                        invalid();
                        rest = &bad[n..];
                    }
                    None if last => {
                        invalid();
                        return 0;
                    }
                    None => return bad.len(),
                }
            }
        }
    }
}

/// Reads `reader` until its buffer is full or the input ends; returns how
/// many bytes.
pub(super) fn fill(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A reader hashing (SHA-256) the bytes it hands on: the parse pass reads
/// the file through it, so the bytes parsed are known to be the bytes
/// checksummed (a rewrite to the same size within the file system's clock
/// tick keeps the file's stamp, not its hash).
pub struct Hashed<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Hashed<R> {
    pub fn new(inner: R) -> Self {
        Hashed {
            inner,
            hasher: Sha256::new(),
        }
    }

    /// The SHA-256 of the bytes read so far, as hex.
    pub fn sha256(&self) -> String {
        crate::checksum::hex(&self.hasher.clone().finalize())
    }
}

impl<R: Read> Read for Hashed<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// The first pass: checksum and what the encoding choice needs. `known`:
/// the file's SHA-256 when already computed (the run checksums its inputs
/// before reading them), then taken as it is rather than hashed again.
pub fn analyse(mut reader: impl Read, known: Option<&str>) -> std::io::Result<Analysis> {
    let mut hasher = known.is_none().then(Sha256::new);
    let mut buf = vec![0u8; BLOCK];
    let mut carry: Vec<u8> = Vec::new();
    let (mut first, mut bom, mut invalid, mut multibyte) = (true, false, 0u64, 0u64);
    let mut bom_cut = 0;
    let mut utf16 = None;
    let mut bytes = 0u64;
    loop {
        let n = fill(&mut reader, &mut buf)?;
        bytes += n as u64;
        if let Some(h) = hasher.as_mut() {
            h.update(&buf[..n]);
        }
        carry.extend_from_slice(&buf[..n]);
        if first && (carry.len() >= BOM.len() || n == 0) {
            bom = carry.starts_with(BOM);
            utf16 = super::utf16_bom(&carry);
            if carry.len() < BOM.len() && !carry.is_empty() && BOM.starts_with(&carry) {
                bom_cut = carry.len();
            }
            first = false;
        }
        let last = n == 0;
        let left = scan_utf8(
            &carry,
            last,
            |s| multibyte += s.bytes().filter(|&b| b >= 0xC0).count() as u64,
            || invalid += 1,
        );
        carry.drain(..carry.len() - left);
        if last {
            break;
        }
    }
    Ok(Analysis {
        sha256: match (known, hasher) {
            (Some(sum), _) => sum.to_string(),
            (None, Some(h)) => crate::checksum::hex(&h.finalize()),
            (None, None) => unreachable!("hashed when no sum is known"),
        },
        bytes,
        bom,
        bom_cut,
        utf16,
        invalid,
        multibyte,
    })
}

/// How the second pass decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// UTF-8, a leading byte-order mark skipped, invalid bytes replaced.
    Utf8 {
        skip_bom: bool,
    },
    Windows1252,
}

/// The decoding `choice` makes of a file, and the encoding's name.
fn mode(choice: EncodingChoice, a: &Analysis) -> (Mode, &'static str) {
    let utf8 = |bom: bool| Mode::Utf8 { skip_bom: bom };
    let named = |bom: bool| if bom { "utf-8-bom" } else { "utf-8" };
    match choice {
        EncodingChoice::Windows1252 => (Mode::Windows1252, a.utf16.unwrap_or("windows-1252")),
        EncodingChoice::Utf8 => (utf8(a.bom), named(a.bom)),
        EncodingChoice::Auto if a.bom => (utf8(true), "utf-8-bom"),
        // The Windows-1252 decoder follows a UTF-16 byte-order mark.
        EncodingChoice::Auto if a.utf16.is_some() => (Mode::Windows1252, a.utf16.unwrap_or("")),
        // Valid UTF-8, or a few stray bytes in UTF-8 text (see
        // `super::mostly_utf8`).
        EncodingChoice::Auto if a.invalid == 0 || a.multibyte >= a.invalid => {
            (utf8(false), "utf-8")
        }
        EncodingChoice::Auto => (Mode::Windows1252, a.utf16.unwrap_or("windows-1252")),
    }
}

/// The second pass: a reader of the file's text as UTF-8 that also counts
/// undecodable characters and line ends.
pub struct Decoding<R> {
    inner: R,
    mode: Mode,
    cp1252: encoding_rs::Decoder,
    pub encoding: &'static str,
    raw: Vec<u8>,
    carry: Vec<u8>,
    out: Vec<u8>,
    served: usize,
    /// Bytes of the byte-order mark still to skip.
    skip: usize,
    done: bool,
    /// Characters that could not be decoded (replaced by U+FFFD).
    pub undecodable: u64,
    /// Read as Windows-1252 by choice of the first pass, though it holds
    /// valid multi-byte UTF-8 (a value pasted from another system: its
    /// characters would be garbled, `José` read as `JosÃ©`).
    pub utf8_inside: bool,
    crlf: u64,
    lf: u64,
    last_cr: bool,
}

impl<R: Read> Decoding<R> {
    pub fn new(inner: R, choice: EncodingChoice, analysis: &Analysis) -> Self {
        let (mode, encoding) = mode(choice, analysis);
        Decoding {
            inner,
            mode,
            cp1252: encoding_rs::WINDOWS_1252.new_decoder(),
            encoding,
            raw: vec![0; BLOCK],
            carry: Vec::new(),
            out: Vec::new(),
            served: 0,
            skip: if mode == (Mode::Utf8 { skip_bom: true }) {
                BOM.len()
            } else {
                0
            },
            done: false,
            undecodable: 0,
            utf8_inside: mode == Mode::Windows1252
                && choice == EncodingChoice::Auto
                && analysis.utf16.is_none()
                && analysis.multibyte > 0,
            crlf: 0,
            lf: 0,
            last_cr: false,
        }
    }

    /// The reader the bytes come from.
    pub fn source(&self) -> &R {
        &self.inner
    }

    /// `LF`, `CRLF`, `mixed` or `none` (once the text is read).
    pub fn line_endings(&self) -> &'static str {
        match (self.crlf, self.lf) {
            (0, 0) => "none",
            (c, l) if c == l => "CRLF",
            (0, _) => "LF",
            _ => "mixed",
        }
    }

    /// Decodes the next block into `out`.
    fn decode_block(&mut self) -> std::io::Result<()> {
        let mut block = std::mem::take(&mut self.raw);
        let read = fill(&mut self.inner, &mut block);
        if let Ok(n) = read {
            self.decode_bytes(&block, n);
        }
        self.raw = block;
        read.map(|_| ())
    }

    /// Decodes the first `n` bytes of `block` (none: the end of the file).
    fn decode_bytes(&mut self, block: &[u8], n: usize) {
        let last = n == 0;
        let skip = self.skip.min(n);
        self.skip -= skip;
        let raw = &block[skip..n];
        self.out.clear();
        self.served = 0;
        match self.mode {
            Mode::Utf8 { .. } => {
                self.carry.extend_from_slice(raw);
                let (out, bad) = (&mut self.out, &mut self.undecodable);
                let out = std::cell::RefCell::new(out);
                let left = scan_utf8(
                    &self.carry,
                    last,
                    |s| out.borrow_mut().extend_from_slice(s.as_bytes()),
                    || {
                        let mut o = out.borrow_mut();
                        o.extend_from_slice("\u{FFFD}".as_bytes());
                        *bad += 1;
                    },
                );
                self.carry.drain(..self.carry.len() - left);
            }
            Mode::Windows1252 => self.decode_cp1252(raw, last),
        }
        self.count_breaks();
        self.done = last;
    }

    fn decode_cp1252(&mut self, raw: &[u8], last: bool) {
        // Bytes Windows-1252 leaves undefined (decoded as C1 controls by
        // encoding_rs) are undecodable.
        let undefined = |c: char| matches!(c, '\u{81}' | '\u{8D}' | '\u{8F}' | '\u{90}' | '\u{9D}');
        let room = self
            .cp1252
            .max_utf8_buffer_length(raw.len())
            .unwrap_or(raw.len() * 3 + 16);
        let mut text = String::with_capacity(room);
        let _ = self.cp1252.decode_to_string(raw, &mut text, last);
        let bad = text.chars().filter(|&c| undefined(c)).count() as u64;
        if bad > 0 {
            self.undecodable += bad;
            text = text
                .chars()
                .map(|c| {
                    if undefined(c) {
                        char::REPLACEMENT_CHARACTER
                    } else {
                        c
                    }
                })
                .collect();
        }
        self.out.extend_from_slice(text.as_bytes());
    }

    /// Records the line ends of the block just decoded.
    fn count_breaks(&mut self) {
        for &b in &self.out {
            if b == b'\n' {
                self.lf += 1;
                self.crlf += u64::from(self.last_cr);
            }
            self.last_cr = b == b'\r';
        }
    }
}

impl<R: Read> Read for Decoding<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.served == self.out.len() {
            if self.done {
                return Ok(0);
            }
            self.decode_block()?;
        }
        let n = buf.len().min(self.out.len() - self.served);
        buf[..n].copy_from_slice(&self.out[self.served..self.served + n]);
        self.served += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `bytes` in blocks of the given size.
    fn stream(bytes: &[u8], choice: EncodingChoice, block: usize) -> (String, &'static str, u64) {
        let a = analyse(bytes, None).unwrap();
        let mut d = Decoding::new(bytes, choice, &a);
        d.raw = vec![0; block];
        let mut text = String::new();
        d.read_to_string(&mut text).unwrap();
        (text, d.encoding, d.undecodable)
    }

    #[test]
    fn streamed_text_is_the_text_decoded_whole() {
        let cases: [&[u8]; 6] = [
            "a,Lévesque École\r\nb,Thériault\n".as_bytes(),
            b"\xEF\xBB\xBFa,caf\xc3\xa9\n",
            b"a,Caf\xe9\n\x81x\n",
            b"a,L\xc3\xa9vesque \xc3\x89cole\nb,Caf\xe9\nc,\xe2\x82",
            b"\xFF\xFEa\x00,\x00",
            b"",
        ];
        for bytes in cases {
            for choice in [
                EncodingChoice::Auto,
                EncodingChoice::Utf8,
                EncodingChoice::Windows1252,
            ] {
                let whole = super::super::decode(bytes, choice);
                for block in [1, 2, 3, 7, 1024] {
                    assert_eq!(stream(bytes, choice, block), whole, "{bytes:?} {block}");
                }
            }
        }
    }

    #[test]
    fn line_endings_are_counted() {
        for (text, ends) in [
            (&b"h\r\n\r\nx\ny\r\n"[..], "mixed"),
            (b"h\r\nx\r\n", "CRLF"),
            (b"h\nx", "LF"),
            (b"h", "none"),
        ] {
            let a = analyse(text, None).unwrap();
            let mut d = Decoding::new(text, EncodingChoice::Auto, &a);
            let mut out = Vec::new();
            d.read_to_end(&mut out).unwrap();
            assert_eq!(d.line_endings(), ends);
        }
    }
}
