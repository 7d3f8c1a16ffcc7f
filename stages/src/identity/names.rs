//! Folded names as numbers: every distinct folded first, middle and last
//! name of the identity rows gets an ID in the order of its text (so a
//! unit's name variants iterate by ID in the order they do by text, and
//! ID 0 is the blank name), and what the name comparators read of a name
//! is worked out once per name: its Soundex, its nicknames, its letters
//! without hyphens and spaces, the parts of a compound surname. Comparing
//! two names is then comparing numbers, and the graded string similarity
//! of two different names ([`graded`](super::graded)) is computed once per
//! pair of names and remembered.

use super::{graded, joined, parts, Nicknames};
use polars::prelude::PlHashMap;
use std::sync::Mutex;

/// The ID of the blank name.
pub const BLANK: u32 = 0;

/// Folded first names a registrar enters when the child's name is not
/// known yet ("Baby Boy", "Unknown") or for a test record: they name no
/// child, so matching reads them as blank (a missing value is no evidence,
/// and a blank first name cannot rule out a twin). Twin boys entered at
/// birth as "Baby Boy Tremblay", one address, one of them never enrolled,
/// were merged automatically on the exact "names" (29.7; the hand-made
/// `tests/identity_small/adversary`).
pub const FIRST_PLACEHOLDERS: &[&str] = &[
    "baby",
    "baby boy",
    "baby girl",
    "babyboy",
    "babygirl",
    "baby a",
    "baby b",
    "boy",
    "girl",
    "infant",
    "unknown",
    "unk",
    "test",
    "tbd",
    "nfn",
    "fnu",
];

/// Folded middle names that say there is none or it is not known ("NMN",
/// "None"; "Boy" after "Baby").
pub const MIDDLE_PLACEHOLDERS: &[&str] =
    &["nmn", "nmi", "none", "unknown", "unk", "tbd", "boy", "girl"];

/// Folded surnames that name no family. Per part of the name: a generated
/// surname "Noné" folds to "none", which only a middle name uses so.
pub const LAST_PLACEHOLDERS: &[&str] = &["unknown", "unk", "test", "tbd", "lnu"];

/// Is this folded name one of a part's placeholders?
pub fn placeholder(list: &[&str], folded: &str) -> bool {
    list.contains(&folded)
}

/// Distinct folded names, sorted; the blank name first.
pub fn table<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut text: Vec<&str> = std::iter::once("").chain(names).collect();
    text.sort_unstable();
    text.dedup();
    text.into_iter().map(str::to_string).collect()
}

/// Each name's ID in a [`table`].
pub fn ids(table: &[String]) -> PlHashMap<&str, u32> {
    table
        .iter()
        .enumerate()
        .map(|(i, t)| (t.as_str(), i as u32))
        .collect()
}

/// A folded name with its first letter written as it sounds: a hard C or
/// a Q as K, a soft C (before e, i, y) as S, a soft G as J, PH as F, X as
/// Z. Soundex keeps the first letter as written, so Caitlyn and Kaitlyn,
/// Catherine and Katherine, Geoffrey and Jeffrey, Philip and Filip have
/// different codes though they sound alike.
pub fn sounded(name: &str) -> std::borrow::Cow<'_, str> {
    let mut chars = name.chars();
    let (first, second) = (chars.next(), chars.next());
    let soft = matches!(second, Some('e' | 'i' | 'y'));
    let (with, skip) = match first {
        Some('c') if soft => ("s", 1),
        Some('c' | 'q') => ("k", 1),
        Some('g') if soft => ("j", 1),
        Some('x') => ("z", 1),
        Some('p') if second == Some('h') => ("f", 2),
        _ => return name.into(),
    };
    format!("{with}{}", &name[skip..]).into()
}

/// How many locks the remembered similarities are spread over.
const SHARDS: usize = 64;

/// What the comparators read of each name, by ID.
pub struct Names {
    text: Vec<String>,
    /// Soundex, as a number (equal codes, equal numbers).
    phonetic: Vec<u32>,
    /// Soundex of the name with its first letter as it sounds
    /// ([`sounded`]), numbered as [`Names::phonetic`].
    sounded: Vec<u32>,
    /// The IDs of the names the nickname table pairs it with, sorted.
    nicknames: Vec<Vec<u32>>,
    /// Its letters without hyphens and spaces, as a number.
    joined: Vec<u32>,
    /// The parts of a compound surname, as numbers, sorted.
    parts: Vec<Vec<u32>>,
    /// The whole name as a word, numbered as the parts are (a middle name
    /// is one word to blocking).
    whole: Vec<u32>,
    /// The names the nickname table pairs it with as words, numbered as
    /// the parts are (those no identity row holds too).
    nick_words: Vec<Vec<u32>>,
    /// The Soundex of each of its parts, numbered as [`Names::phonetic`]
    /// (equal codes, equal numbers), sorted, each once.
    part_sounds: Vec<Vec<u32>>,
    /// The number of the empty Soundex code (a name without a letter).
    silent: u32,
    /// (name, name) -> the graded level's distance from the first graded
    /// level, computed once.
    graded: Vec<Mutex<PlHashMap<u64, u8>>>,
}

/// Numbers for distinct texts, in order of first sight.
#[derive(Default)]
struct Numbers(PlHashMap<String, u32>);

impl Numbers {
    fn of(&mut self, s: String) -> u32 {
        let next = self.0.len() as u32;
        *self.0.entry(s).or_insert(next)
    }
}

impl Names {
    pub fn new(table: Vec<String>, soundex: &dyn Fn(&str) -> String, nick: &Nicknames) -> Self {
        let id = ids(&table);
        let (mut codes, mut letters, mut words) =
            (Numbers::default(), Numbers::default(), Numbers::default());
        let phonetic = table.iter().map(|t| codes.of(soundex(t))).collect();
        let sounded = table
            .iter()
            .map(|t| codes.of(soundex(&sounded(t))))
            .collect();
        let part_sounds = table
            .iter()
            .map(|t| {
                let mut p: Vec<u32> = parts(t).map(|p| codes.of(soundex(p))).collect();
                p.sort_unstable();
                p.dedup();
                p
            })
            .collect();
        let silent = codes.of(String::new());
        let nicknames = table
            .iter()
            .map(|t| {
                let mut of: Vec<u32> = nick
                    .get(t)
                    .into_iter()
                    .flatten()
                    .filter_map(|n| id.get(n.as_str()).copied())
                    .collect();
                of.sort_unstable();
                of
            })
            .collect();
        let joined = table
            .iter()
            .map(|t| letters.of(joined(t).collect()))
            .collect();
        let parts = table
            .iter()
            .map(|t| {
                let mut p: Vec<u32> = parts(t).map(|p| words.of(p.to_string())).collect();
                p.sort_unstable();
                p
            })
            .collect();
        let whole = table.iter().map(|t| words.of(t.clone())).collect();
        let nick_words = table
            .iter()
            .map(|t| {
                let of = nick.get(t).into_iter().flatten();
                of.map(|n| words.of(n.clone())).collect()
            })
            .collect();
        drop(id);
        Names {
            text: table,
            phonetic,
            sounded,
            nicknames,
            joined,
            parts,
            whole,
            nick_words,
            part_sounds,
            silent,
            graded: (0..SHARDS).map(|_| Mutex::default()).collect(),
        }
    }

    /// The folded name of an ID.
    pub fn text(&self, a: u32) -> &str {
        &self.text[a as usize]
    }

    /// The name's Soundex as a number: equal codes, equal numbers (the
    /// blank name's is the empty code's).
    pub fn phonetic(&self, a: u32) -> u32 {
        self.phonetic[a as usize]
    }

    /// The Soundex of the name with its first letter as it sounds
    /// ([`sounded`]): Caitlyn's is Kaitlyn's, Philip's Filip's. Numbered as
    /// [`Names::phonetic`].
    pub fn sounded(&self, a: u32) -> u32 {
        self.sounded[a as usize]
    }

    /// The words of a name as numbers: its parts (split at hyphens and
    /// spaces); equal words, equal numbers.
    pub fn part_words(&self, a: u32) -> &[u32] {
        &self.parts[a as usize]
    }

    /// The whole name as a word (numbered as [`Names::part_words`]).
    pub fn whole_word(&self, a: u32) -> u32 {
        self.whole[a as usize]
    }

    /// The names the nickname table pairs it with, as words.
    pub fn nickname_words(&self, a: u32) -> &[u32] {
        &self.nick_words[a as usize]
    }

    /// The Soundex codes of the name's parts (split at hyphens and
    /// spaces) as numbers ([`Names::phonetic`]'s), sorted, each once.
    pub fn part_sounds(&self, a: u32) -> &[u32] {
        &self.part_sounds[a as usize]
    }

    /// The number of the empty Soundex code: a name with no letter's.
    pub fn silent(&self) -> u32 {
        self.silent
    }

    /// The name's first letter (none for the blank name).
    pub fn initial(&self, a: u32) -> Option<char> {
        self.text[a as usize].chars().next()
    }

    pub fn nickname(&self, a: u32, b: u32) -> bool {
        self.nicknames[a as usize].binary_search(&b).is_ok()
    }

    /// The same letters once hyphens and spaces are left out.
    pub fn same_letters(&self, a: u32, b: u32) -> bool {
        self.joined[a as usize] == self.joined[b as usize]
    }

    /// A part of one compound surname is a part of the other.
    pub fn share_a_part(&self, a: u32, b: u32) -> bool {
        let (x, y) = (&self.parts[a as usize], &self.parts[b as usize]);
        x.iter().any(|p| y.binary_search(p).is_ok())
    }

    /// [`graded`](super::graded) of two different non-blank names, less its
    /// first level: computed the first time the pair is compared.
    pub fn graded(&self, a: u32, b: u32) -> usize {
        let key = (u64::from(a) << 32) | u64::from(b);
        let shard = &self.graded[(a as usize ^ (b as usize).rotate_left(3)) % SHARDS];
        if let Some(&l) = shard.lock().expect("unpoisoned").get(&key) {
            return l.into();
        }
        let phon = |s: &str| -> u32 {
            // Only the two names compared reach here.
            if s == self.text[a as usize] {
                self.phonetic[a as usize]
            } else {
                self.phonetic[b as usize]
            }
        };
        let (x, y) = (&self.text[a as usize], &self.text[b as usize]);
        let level = graded(phon, x, y, 0);
        shard.lock().expect("unpoisoned").insert(key, level as u8);
        level
    }
}

#[cfg(test)]
mod tests {
    use super::sounded;

    #[test]
    fn a_first_letter_is_written_as_it_sounds() {
        for (name, as_heard) in [
            ("caitlyn", "kaitlyn"),
            ("quinn", "kuinn"),
            ("celine", "seline"),
            ("cyrus", "syrus"),
            ("geoffrey", "jeoffrey"),
            ("philip", "filip"),
            ("xavier", "zavier"),
            ("gabriel", "gabriel"),
            ("kaitlyn", "kaitlyn"),
            ("c", "k"),
            ("", ""),
        ] {
            assert_eq!(sounded(name), as_heard, "{name}");
        }
    }
}
