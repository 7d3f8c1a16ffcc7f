//! The decoded text cut into pieces that parse alone: a batch of text is
//! cut only where the CSV reader ends a record (after an LF outside a quoted
//! field, as `csv_core` reads with the default settings), so each piece
//! parses on its own core to the records a single reader would read, and
//! each record keeps the line a person sees.

/// The record boundaries of a batch of text (which starts at a record's
/// start): for each piece, its end; and the LF bytes before each end.
pub struct Cuts {
    /// (end, LF bytes in `[0, end)`), increasing; the last is where the
    /// batch's parsed text ends (what follows waits for more text).
    pub ends: Vec<(usize, u64)>,
}

/// The ends of the records in `text` (just past an LF outside quotes), in
/// order, as `csv_core` reads with the default settings: `"` opens a quoted
/// field only at a field's start, `""` inside one is a quote, after its
/// closing quote the field goes on unquoted to the next comma or line end.
/// True when the text ends inside a quoted field.
fn record_ends(text: &[u8], mut end: impl FnMut(usize)) -> bool {
    let mut i = 0;
    while i < text.len() {
        // At a field's start.
        if text[i] == b'"' {
            i += 1;
            loop {
                match memchr::memchr(b'"', &text[i..]) {
                    None => return true,
                    Some(k) if text.get(i + k + 1) == Some(&b'"') => i += k + 2,
                    Some(k) => {
                        i += k + 1;
                        break;
                    }
                }
            }
        }
        match memchr::memchr3(b',', b'\n', b'\r', &text[i..]) {
            None => return false,
            Some(k) => {
                i += k + 1;
                if text[i - 1] == b'\n' {
                    end(i);
                }
            }
        }
    }
    false
}

/// Where the record starts whose quoted field is never closed, when `text`
/// (which starts at a record's start and runs to the end of the file) ends
/// inside a quoted field: a quote left open reads every line after it as
/// one value.
pub fn unclosed_quote(text: &[u8]) -> Option<usize> {
    let mut start = 0;
    record_ends(text, |end| start = end).then_some(start)
}

/// Where the last record of `text` starts (which starts at a record's
/// start and runs to the end of the file): past the last record end, or
/// where the record whose quoted field is never closed starts.
pub fn last_record(text: &[u8]) -> usize {
    let mut start = 0;
    record_ends(text, |end| start = end);
    start
}

/// LF bytes in `text`.
pub fn lfs(text: &[u8]) -> u64 {
    text.iter().filter(|&&b| b == b'\n').count() as u64
}

/// Cuts `text` into at most `pieces` pieces of about equal length, each
/// ending where a record ends. Unless `last`, the text after the last
/// record end is left out (it may be a record not yet whole); `None` when
/// there is no record end at all (more text is needed).
pub fn cut(text: &[u8], pieces: usize, last: bool) -> Option<Cuts> {
    let target = text.len() / pieces.max(1) + 1;
    let mut ends: Vec<usize> = Vec::new();
    let mut boundary = None;
    let mut next = target;
    record_ends(text, |end| {
        boundary = Some(end);
        if end >= next {
            ends.push(end);
            next = end + target;
        }
    });
    if last {
        if ends.last() != Some(&text.len()) {
            ends.push(text.len());
        }
    } else {
        let end = boundary?;
        ends.retain(|e| *e < end);
        ends.push(end);
    }
    let (mut from, mut count) = (0, 0);
    let ends = ends
        .into_iter()
        .map(|end| {
            count += lfs(&text[from..end]);
            from = end;
            (end, count)
        })
        .collect();
    Some(Cuts { ends })
}

/// The line a person sees of records in one piece, given the LF bytes
/// before the piece: as `super::stream::Decoding::line_at`, the line of
/// the first byte at or after a record's position that is not a line end.
pub struct Lines<'a> {
    text: &'a [u8],
    /// Bytes counted so far.
    scanned: usize,
    lfs: u64,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a [u8], lfs_before: u64) -> Self {
        Lines {
            text,
            scanned: 0,
            lfs: lfs_before,
        }
    }

    /// The line of the record at `pos` (never decreasing between calls).
    pub fn at(&mut self, pos: usize) -> u64 {
        let pos = pos.min(self.text.len());
        if pos > self.scanned {
            self.lfs += self.text[self.scanned..pos]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            self.scanned = pos;
        }
        while let Some(&b) = self.text.get(self.scanned) {
            if b != b'\n' && b != b'\r' {
                break;
            }
            self.lfs += u64::from(b == b'\n');
            self.scanned += 1;
        }
        self.lfs + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(text: &str, n: usize, last: bool) -> Vec<&str> {
        let cuts = cut(text.as_bytes(), n, last).map_or(Vec::new(), |c| c.ends);
        let mut start = 0;
        cuts.iter()
            .map(|&(end, _)| {
                let p = &text[start..end];
                start = end;
                p
            })
            .collect()
    }

    #[test]
    fn a_quoted_line_break_is_never_a_cut() {
        let text = "a,\"x\ny\",b\nc,d\n";
        // The only record ends are after `b\n` and `d\n`.
        assert_eq!(pieces(text, 8, true), vec!["a,\"x\ny\",b\n", "c,d\n"]);
        assert_eq!(pieces(text, 8, false), vec!["a,\"x\ny\",b\n", "c,d\n"]);
        // An open quote: nothing to cut until the text is whole.
        assert!(cut(b"a,\"x\ny", 2, false).is_none());
        assert_eq!(pieces("a,\"x\ny", 2, true), vec!["a,\"x\ny"]);
    }

    #[test]
    fn a_quote_inside_a_field_is_a_character_as_csv_reads_it() {
        // 5'10" opens nothing: the line break after it ends the record.
        let text = "1,5'10\",x\n2,\"a \"\"b\"\"\nc\",y\n3,z\n";
        assert_eq!(
            pieces(text, 16, true),
            vec!["1,5'10\",x\n", "2,\"a \"\"b\"\"\nc\",y\n", "3,z\n"]
        );
        let rest = pieces(text, 16, false);
        assert_eq!(rest.concat(), text);
    }

    #[test]
    fn a_quote_never_closed_is_found_where_its_record_starts() {
        assert_eq!(unclosed_quote(b"a,b\nc,\"d\ne,f\n"), Some(4));
        assert_eq!(unclosed_quote(b"a,b\nc,\"d"), Some(4));
        assert_eq!(unclosed_quote(b"a,\"b\nc\",d\n"), None);
        assert_eq!(unclosed_quote(b"a,\"b\"\"\""), None);
        assert_eq!(unclosed_quote(b"a,5'10\",x\n"), None);
        assert_eq!(unclosed_quote(b""), None);
    }

    #[test]
    fn the_last_record_starts_after_the_last_record_end() {
        assert_eq!(last_record(b"a,b\nc,d"), 4);
        assert_eq!(last_record(b"a,b\nc,\"d\ne,f"), 4);
        assert_eq!(last_record(b"a,b\nc,\"d\ne\",f"), 4);
        assert_eq!(last_record(b"a,b\nc,d\n"), 8);
        assert_eq!(last_record(b""), 0);
    }

    #[test]
    fn lines_skip_blank_lines_and_count_crlf_once() {
        let text = b"\r\n\r\nx\ny\r\n";
        let mut lines = Lines::new(text, 10);
        assert_eq!((lines.at(0), lines.at(5), lines.at(7)), (13, 14, 15));
    }
}
