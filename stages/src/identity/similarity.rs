//! Jaro-Winkler and Levenshtein without allocating: names of ASCII letters
//! up to 64 bytes are compared on the stack, in the same steps as `strsim`
//! (the same counts, the same arithmetic: the same numbers); others go to
//! `strsim`.

const MAX: usize = 64;

fn short_ascii(a: &str, b: &str) -> bool {
    a.len() <= MAX && b.len() <= MAX && a.is_ascii() && b.is_ascii()
}

/// `strsim::jaro_winkler`.
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    if !short_ascii(a, b) {
        return strsim::jaro_winkler(a, b);
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let sim = jaro(a, b);
    if sim > 0.7 {
        let prefix_length = a.iter().take(4).zip(b).take_while(|(x, y)| x == y).count();
        sim + 0.1 * prefix_length as f64 * (1.0 - sim)
    } else {
        sim
    }
}

/// `strsim::generic_jaro` on bytes.
fn jaro(a: &[u8], b: &[u8]) -> f64 {
    let (a_len, b_len) = (a.len(), b.len());
    if a_len == 0 && b_len == 0 {
        return 1.0;
    } else if a_len == 0 || b_len == 0 {
        return 0.0;
    }
    let search_range = (a_len.max(b_len) / 2).saturating_sub(1);
    let mut a_flags = [false; MAX];
    let mut b_flags = [false; MAX];
    let mut matches = 0_usize;
    for (i, x) in a.iter().enumerate() {
        let min_bound = i.saturating_sub(search_range);
        let max_bound = b_len.min(i + search_range + 1);
        for j in min_bound..max_bound {
            if *x == b[j] && !b_flags[j] {
                a_flags[i] = true;
                b_flags[j] = true;
                matches += 1;
                break;
            }
        }
    }
    let mut transpositions = 0_usize;
    if matches != 0 {
        let mut k = 0;
        for i in 0..a_len {
            if a_flags[i] {
                while !b_flags[k] {
                    k += 1;
                }
                if a[i] != b[k] {
                    transpositions += 1;
                }
                k += 1;
            }
        }
    }
    transpositions /= 2;
    if matches == 0 {
        0.0
    } else {
        ((matches as f64 / a_len as f64)
            + (matches as f64 / b_len as f64)
            + ((matches - transpositions) as f64 / matches as f64))
            / 3.0
    }
}

/// `strsim::levenshtein`.
pub fn levenshtein(a: &str, b: &str) -> usize {
    if !short_ascii(a, b) {
        return strsim::levenshtein(a, b);
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut cache = [0usize; MAX];
    for (j, c) in cache.iter_mut().enumerate().take(b.len()) {
        *c = j + 1;
    }
    let mut result = b.len();
    for (i, x) in a.iter().enumerate() {
        result = i + 1;
        let mut distance_b = i;
        for (j, y) in b.iter().enumerate() {
            let cost = usize::from(x != y);
            let distance_a = distance_b + cost;
            distance_b = cache[j];
            result = (result + 1).min(distance_a.min(distance_b + 1));
            cache[j] = result;
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_numbers_as_strsim() {
        let names = [
            "",
            "a",
            "jaden",
            "kaden",
            "jayden",
            "jaylen",
            "martha",
            "marhta",
            "dixon",
            "dicksonx",
            "theriault",
            "st pierre",
            "smith-jones",
            "jones",
            "abcdefghijklmnop",
            "ponmlkjihgfedcba",
            "élodie",
            "elodie",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ];
        for a in names {
            for b in names {
                assert_eq!(
                    jaro_winkler(a, b).to_bits(),
                    strsim::jaro_winkler(a, b).to_bits(),
                    "{a} {b}"
                );
                assert_eq!(levenshtein(a, b), strsim::levenshtein(a, b), "{a} {b}");
            }
        }
    }
}
