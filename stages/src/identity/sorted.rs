//! A small ordered set kept as a sorted vector: a unit holds one to a few
//! names, birth dates and addresses, which a vector walks far faster than a
//! B-tree. Iteration is in ascending order, as `BTreeSet`'s, so every loop
//! over a unit's values sees them in the order it did before.

use std::borrow::Borrow;
use std::cmp::Ordering;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortedSet<T>(Vec<T>);

impl<T> Default for SortedSet<T> {
    fn default() -> Self {
        SortedSet(Vec::new())
    }
}

impl<T: Ord> SortedSet<T> {
    pub fn new() -> Self {
        SortedSet(Vec::new())
    }

    /// Adds a value; false when it was already there.
    pub fn insert(&mut self, v: T) -> bool {
        match self.0.binary_search(&v) {
            Ok(_) => false,
            Err(at) => {
                self.0.insert(at, v);
                true
            }
        }
    }

    pub fn contains<Q>(&self, q: &Q) -> bool
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.0.binary_search_by(|x| x.borrow().cmp(q)).is_ok()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// No value in common (both sorted: one walk).
    pub fn is_disjoint(&self, other: &SortedSet<T>) -> bool {
        let (mut i, mut j) = (0, 0);
        while i < self.0.len() && j < other.0.len() {
            match self.0[i].cmp(&other.0[j]) {
                Ordering::Less => i += 1,
                Ordering::Greater => j += 1,
                Ordering::Equal => return false,
            }
        }
        true
    }
}

impl<T: Ord> FromIterator<T> for SortedSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut v: Vec<T> = iter.into_iter().collect();
        v.sort();
        v.dedup();
        SortedSet(v)
    }
}

impl<'a, T> IntoIterator for &'a SortedSet<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn behaves_as_a_btree_set() {
        let values = [5, 3, 9, 3, 1, 9, 7];
        let mut s = SortedSet::new();
        let mut b = BTreeSet::new();
        for v in values {
            assert_eq!(s.insert(v), b.insert(v));
        }
        assert_eq!(s.iter().collect::<Vec<_>>(), b.iter().collect::<Vec<_>>());
        assert_eq!(s.len(), b.len());
        for q in 0..11 {
            assert_eq!(s.contains(&q), b.contains(&q));
        }
        let other: SortedSet<i32> = [2, 4, 6].into_iter().collect();
        assert!(s.is_disjoint(&other));
        let other: SortedSet<i32> = [2, 7].into_iter().collect();
        assert!(!s.is_disjoint(&other));
        let names: SortedSet<String> = ["b".to_string(), "a".to_string()].into_iter().collect();
        assert!(names.contains("a") && !names.contains("c"));
    }
}
