//! Checksums: of files, of named checksums, and of a frame's content column
//! by column (what a stage records of the data later stages read).

use anyhow::{Context, Result};
use polars::prelude::*;
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

/// SHA-256 of a file, streamed.
pub fn file_sha256(path: &Path) -> Result<String> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut h = Sha256::new();
    std::io::copy(&mut file, &mut h).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(hex(&h.finalize()))
}

/// Content hashes of a frame's columns, `name.column` -> hash: every value
/// as text (null kept apart from empty), so equal data hashes equally
/// whatever its chunks or encoding.
pub fn data_hashes(name: &str, df: &DataFrame) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for column in df.columns() {
        let text = column.as_materialized_series().cast(&DataType::String)?;
        let mut h = Sha256::new();
        h.update(format!("{:?}", column.dtype()).as_bytes());
        for v in text.str()?.iter() {
            match v {
                Some(s) => {
                    h.update((s.len() as u64).to_le_bytes());
                    h.update(s.as_bytes());
                }
                None => h.update(u64::MAX.to_le_bytes()),
            }
        }
        out.insert(format!("{name}.{}", column.name()), hex(&h.finalize()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_data_hashes_equally_whatever_its_chunks_and_null_is_not_empty() {
        let a = df!("x" => [Some("a"), None, Some("")]).unwrap();
        let mut b = df!("x" => [Some("a")]).unwrap();
        b.vstack_mut(&df!("x" => [None::<&str>, Some("")]).unwrap())
            .unwrap();
        assert_eq!(data_hashes("e", &a).unwrap(), data_hashes("e", &b).unwrap());
        let c = df!("x" => [Some("a"), Some(""), Some("")]).unwrap();
        assert_ne!(data_hashes("e", &a).unwrap(), data_hashes("e", &c).unwrap());
    }
}
