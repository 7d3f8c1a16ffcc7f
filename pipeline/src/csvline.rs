//! The line a person sees of a record the `csv` crate read. Its
//! `Position::line` counts the LF of a CRLF only once the next record is
//! read, so in a file with CRLF line ends (as Excel and Windows tools save
//! them) every record after the header was named a line early.

/// The line of `record` in `text`, the text its reader read from its
/// start: the line of the first byte at or after the record's position
/// that is not a line end (blank lines before a record are skipped, as the
/// reader skips them). 0 when the record has no position.
pub fn line_of(text: &[u8], record: &csv::StringRecord) -> u64 {
    let Some(p) = record.position() else {
        return 0;
    };
    let mut at = (p.byte() as usize).min(text.len());
    let mut lfs = memchr::memchr_iter(b'\n', &text[..at]).count() as u64;
    while let Some(&b) = text.get(at) {
        if b != b'\n' && b != b'\r' {
            break;
        }
        lfs += u64::from(b == b'\n');
        at += 1;
    }
    lfs + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_lf_and_blank_lines_give_the_line_a_person_sees() {
        for text in [
            "a,b\r\n1,2\r\n\r\n3,4\r\n",
            "a,b\n1,2\n\n3,4\n",
            "a,b\r\n1,2\r\n\r\n3,4",
        ] {
            let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
            let lines: Vec<u64> = reader
                .records()
                .map(|r| line_of(text.as_bytes(), &r.unwrap()))
                .collect();
            assert_eq!(lines, vec![2, 4], "{text:?}");
        }
        // What the reader itself says of the CRLF file: a line early.
        let text = "a,b\r\n1,2\r\n3,4\r\n";
        let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let said: Vec<u64> = reader
            .records()
            .map(|r| r.unwrap().position().unwrap().line())
            .collect();
        assert_eq!(said, vec![1, 2]);
    }
}
