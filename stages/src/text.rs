//! Short text as one number, for look-ups and sorts that never read a
//! string.

/// Text of up to 15 bytes as one number that orders as the text does
/// (byte by byte, a prefix first): its bytes from the highest, zeros after
/// them, its length in the lowest byte. Two short texts are equal exactly
/// when their numbers are. `None` for longer text.
pub fn short_key(v: &str) -> Option<u128> {
    let b = v.as_bytes();
    if b.len() > 15 {
        return None;
    }
    let mut key = [0u8; 16];
    key[..b.len()].copy_from_slice(b);
    key[15] = b.len() as u8;
    Some(u128::from_be_bytes(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_texts_are_equal_and_ordered_exactly_as_their_numbers() {
        let texts = ["", "a", "a\0", "ab", "ba", "123456789", "123456789012345"];
        for x in texts {
            for y in texts {
                assert_eq!(short_key(x) == short_key(y), x == y, "{x:?} {y:?}");
                assert_eq!(short_key(x).cmp(&short_key(y)), x.cmp(y), "{x:?} {y:?}");
            }
        }
        assert_eq!(short_key("1234567890123456"), None);
    }
}
