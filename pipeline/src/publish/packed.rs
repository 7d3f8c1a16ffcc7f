//! An upload's manifest rows, kept packed (parquet, LZ4, in memory: a few
//! bytes a row) from the moment its files are written until the manifest is:
//! the manifest has a row per upload row, and every upload's rows held as
//! frames made publish's memory grow with the state's history. Unpacked, a
//! part is the frame it was, down to the chunks of each column (the
//! manifest's parquet row groups follow them), so the manifest's bytes are
//! the same.

use anyhow::Result;
use polars::prelude::*;
use polars::series::IsSorted;

/// How a column of the frame was held.
#[derive(Clone)]
pub enum Shape {
    /// One value for every row.
    Scalar(Scalar),
    /// A series in chunks of these lengths, with this sorted flag.
    Chunks(Vec<usize>, IsSorted),
}

/// A manifest part: a frame as it was made this run (packed), or one kept
/// from the last run's manifest (a slice of it, already in memory).
pub enum Part {
    Frame(DataFrame),
    Packed {
        bytes: Vec<u8>,
        names: Vec<PlSmallStr>,
        shapes: Vec<Shape>,
        height: usize,
    },
    /// Parts made one after the other (a school year at a time) that
    /// stand for the one frame made of them all at once: held as `shapes`
    /// says (one chunk a column, or one value).
    Joined {
        pieces: Vec<Part>,
        names: Vec<PlSmallStr>,
        shapes: Vec<Shape>,
        height: usize,
    },
}

impl Part {
    /// `df` packed.
    pub fn pack(df: &DataFrame) -> Result<Part> {
        let shapes = shapes_of(df);
        let mut bytes = Vec::new();
        let mut frame = df.clone();
        ParquetWriter::new(&mut bytes)
            .with_compression(ParquetCompression::Lz4Raw)
            .with_statistics(StatisticsOptions::empty())
            .finish(&mut frame)?;
        Ok(Part::Packed {
            bytes,
            names: df.get_column_names().into_iter().cloned().collect(),
            shapes,
            height: df.height(),
        })
    }

    pub fn height(&self) -> usize {
        match self {
            Part::Frame(df) => df.height(),
            Part::Packed { height, .. } | Part::Joined { height, .. } => *height,
        }
    }

    /// `pieces` (frames of the same columns, made one after the other)
    /// as the one frame they make, each column in one chunk, or one
    /// value where every piece holds the same one (as a frame made of all
    /// their rows at once holds it).
    pub fn joined(pieces: Vec<Part>) -> Result<Part> {
        let height = pieces.iter().map(Part::height).sum();
        let Some(first) = pieces.first() else {
            anyhow::bail!("no part to join");
        };
        let (names, _, _) = first.layout();
        let mut shapes: Option<Vec<Shape>> = None;
        for piece in &pieces {
            let (_, of_piece, _) = piece.layout();
            shapes = Some(match shapes {
                None => of_piece,
                Some(so_far) => so_far
                    .into_iter()
                    .zip(of_piece)
                    .map(|(a, b)| match (a, b) {
                        (Shape::Scalar(x), Shape::Scalar(y)) if x == y => Shape::Scalar(x),
                        _ => Shape::Chunks(Vec::new(), IsSorted::Not),
                    })
                    .collect(),
            });
        }
        let shapes = shapes
            .unwrap_or_default()
            .into_iter()
            .map(|s| match s {
                Shape::Scalar(x) => Shape::Scalar(x),
                Shape::Chunks(..) => Shape::Chunks(vec![height], IsSorted::Not),
            })
            .collect();
        Ok(Part::Joined {
            pieces,
            names,
            shapes,
            height,
        })
    }

    /// Only `columns` of the frame (as read back: chunks as they come).
    pub fn columns(&self, columns: &[&str]) -> Result<DataFrame> {
        let columns: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
        match self {
            Part::Frame(df) => Ok(df.select(columns)?),
            Part::Packed { bytes, .. } => {
                Ok(ParquetReader::new(std::io::Cursor::new(bytes.as_slice()))
                    .with_columns(Some(columns))
                    .finish()?)
            }
            Part::Joined { pieces, .. } => {
                let mut out: Option<DataFrame> = None;
                for piece in pieces {
                    let rows =
                        piece.columns(&columns.iter().map(String::as_str).collect::<Vec<_>>())?;
                    match out.as_mut() {
                        Some(o) => {
                            o.vstack_mut(&rows)?;
                        }
                        None => out = Some(rows),
                    }
                }
                out.ok_or_else(|| anyhow::anyhow!("no part to read"))
            }
        }
    }

    /// The names, shapes and height of the frame.
    fn layout(&self) -> (Vec<PlSmallStr>, Vec<Shape>, usize) {
        match self {
            Part::Frame(df) => (
                df.get_column_names().into_iter().cloned().collect(),
                shapes_of(df),
                df.height(),
            ),
            Part::Packed {
                names,
                shapes,
                height,
                ..
            }
            | Part::Joined {
                names,
                shapes,
                height,
                ..
            } => (names.clone(), shapes.clone(), *height),
        }
    }

    /// The frame, as it was made.
    pub fn frame(&self) -> Result<DataFrame> {
        let (bytes, shapes, height) = match self {
            Part::Frame(df) => return Ok(df.clone()),
            Part::Joined {
                pieces,
                shapes,
                height,
                ..
            } => {
                let mut all: Option<DataFrame> = None;
                for piece in pieces {
                    let rows = piece.frame()?;
                    match all.as_mut() {
                        Some(a) => {
                            a.vstack_mut(&rows)?;
                        }
                        None => all = Some(rows),
                    }
                }
                let all = all.ok_or_else(|| anyhow::anyhow!("no part to unpack"))?;
                let columns = all
                    .columns()
                    .iter()
                    .zip(shapes)
                    .map(|(c, shape)| reshape(c, shape, *height))
                    .collect::<Result<Vec<_>>>()?;
                return Ok(DataFrame::new(*height, columns)?);
            }
            Part::Packed {
                bytes,
                shapes,
                height,
                ..
            } => (bytes, shapes, *height),
        };
        let read = ParquetReader::new(std::io::Cursor::new(bytes.as_slice())).finish()?;
        let columns = read
            .columns()
            .iter()
            .zip(shapes)
            .map(|(c, shape)| reshape(c, shape, height))
            .collect::<Result<Vec<_>>>()?;
        Ok(DataFrame::new(height, columns)?)
    }
}

/// How each column of `df` is held.
fn shapes_of(df: &DataFrame) -> Vec<Shape> {
    df.columns()
        .iter()
        .map(|c| match c {
            Column::Scalar(sc) => Shape::Scalar(sc.scalar().clone()),
            _ => {
                let s = c.as_materialized_series();
                Shape::Chunks(s.chunk_lengths().collect(), s.is_sorted_flag())
            }
        })
        .collect()
}

impl Part {
    /// A frame of this part's columns held as the part holds them (the
    /// same chunks; a single value where it has one), `false` in every row:
    /// what polars decides row groups by.
    fn proxy(&self) -> Result<DataFrame> {
        let (names, shapes, height) = self.layout();
        let columns = names
            .into_iter()
            .zip::<Vec<Shape>>(shapes)
            .map(|(name, shape)| -> Result<Column> {
                Ok(match shape {
                    // Values do not decide chunks (appending a single
                    // value column makes it a series).
                    Shape::Scalar(_) => Column::new_scalar(
                        name,
                        Scalar::new(DataType::Boolean, AnyValue::Boolean(false)),
                        height,
                    ),
                    Shape::Chunks(lengths, _) => {
                        let mut out = Series::new_empty(name, &DataType::Boolean);
                        for n in lengths {
                            out.append(&Series::new("".into(), vec![false; n]))?;
                        }
                        out.into_column()
                    }
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(DataFrame::new(height, columns)?)
    }
}

/// The row groups (rows in each) polars writes the frame of `parts` one
/// after the other in (their lazy concatenation, as the manifest was
/// made): found by polars' own rules on a frame of the same chunks.
pub fn row_groups(parts: &[Part]) -> Result<Vec<usize>> {
    let lazy = parts
        .iter()
        .map(|p| Ok(p.proxy()?.lazy()))
        .collect::<Result<Vec<_>>>()?;
    let mut all = concat(lazy, UnionArgs::default())?.collect()?;
    let chunked = polars::frame::chunk_df_for_writing(&mut all, 512 * 512)?;
    Ok(chunked
        .iter_chunks(CompatLevel::newest(), false)
        .map(|batch| batch.len())
        .filter(|n| *n > 0)
        .collect())
}

/// The row groups polars writes a frame of `height` rows held in one
/// chunk in (a frame made of parts at once, then rechunked: a conformed
/// upload's rows).
pub fn row_groups_of_one_chunk(height: usize) -> Result<Vec<usize>> {
    let proxy = DataFrame::new(
        height,
        vec![Column::new("proxy".into(), vec![false; height])],
    )?;
    row_groups(&[Part::Frame(proxy)])
}

/// Hands the rows of the parts' `frames`, one after the other (each
/// unpacked once by the caller, who may write it elsewhere too), to
/// `write` in frames of `groups` rows.
pub fn frames_in_groups(
    frames: impl Iterator<Item = Result<DataFrame>>,
    groups: &[usize],
    mut write: impl FnMut(&mut DataFrame) -> Result<()>,
) -> Result<()> {
    let mut groups = groups.iter().copied();
    let mut want = groups.next().unwrap_or(0);
    let mut pending: Option<DataFrame> = None;
    for df in frames {
        let df = df?;
        let mut offset = 0;
        while offset < df.height() {
            let have = pending.as_ref().map_or(0, DataFrame::height);
            let n = (want - have).min(df.height() - offset);
            anyhow::ensure!(n > 0, "the manifest's row groups do not cover its rows");
            let piece = df.slice(offset as i64, n);
            offset += n;
            match pending.as_mut() {
                Some(p) => {
                    p.vstack_mut(&piece)?;
                }
                None => pending = Some(piece),
            }
            if pending.as_ref().map_or(0, DataFrame::height) == want {
                let mut group = pending.take().expect("a group");
                write(&mut group)?;
                want = groups.next().unwrap_or(0);
            }
        }
    }
    anyhow::ensure!(
        pending.is_none() && want == 0,
        "the manifest's row groups do not match its rows"
    );
    Ok(())
}

/// A column read back, held again as `shape` says.
fn reshape(c: &Column, shape: &Shape, height: usize) -> Result<Column> {
    let s = c.as_materialized_series().rechunk();
    Ok(match shape {
        Shape::Scalar(value) => Column::new_scalar(s.name().clone(), value.clone(), height),
        Shape::Chunks(lengths, sorted) => {
            let mut out: Option<Series> = None;
            let mut offset = 0;
            for &n in lengths {
                let piece = s.slice(offset as i64, n);
                offset += n;
                match out.as_mut() {
                    None => out = Some(piece),
                    Some(o) => {
                        o.append(&piece)?;
                    }
                }
            }
            let mut out = out.unwrap_or(s);
            out.set_sorted_flag(*sorted);
            out.into_column()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_part_unpacks_to_the_frame_it_was_chunk_for_chunk() {
        let mut a = df!(
            "file" => ["uploads/a.csv", "uploads/a.csv", "uploads/b.csv"],
            "row_number" => [1i64, 2, 1],
            "StateStudentID" => [Some("1001"), None, Some("1002")],
        )
        .unwrap();
        let b = df!(
            "file" => ["uploads/c.csv", "uploads/c.csv"],
            "row_number" => [1i64, 2],
            "StateStudentID" => [Some("1003"), Some("1004")],
        )
        .unwrap();
        a.vstack_mut(&b).unwrap();
        a.with_column(Column::new_scalar(
            "upload".into(),
            Scalar::new(DataType::String, AnyValue::StringOwned("frm".into())),
            5,
        ))
        .unwrap();
        let part = Part::pack(&a).unwrap();
        let back = part.frame().unwrap();
        assert!(back.equals_missing(&a));
        for (x, y) in back.columns().iter().zip(a.columns()) {
            assert_eq!(
                matches!(x, Column::Scalar(_)),
                matches!(y, Column::Scalar(_))
            );
            assert_eq!(
                x.as_materialized_series()
                    .chunk_lengths()
                    .collect::<Vec<_>>(),
                y.as_materialized_series()
                    .chunk_lengths()
                    .collect::<Vec<_>>()
            );
        }
        assert_eq!(part.height(), 5);
    }

    /// A part of `n` rows in chunks of `chunks` rows, its `upload` column
    /// one value (as a manifest part's is).
    fn part(name: &str, n: usize, chunks: usize) -> DataFrame {
        let mut df: Option<DataFrame> = None;
        let mut start = 0;
        while start < n {
            let end = (start + chunks).min(n);
            let piece = df!(
                "row_number" => (start as i64..end as i64).collect::<Vec<_>>(),
                "source_file" => vec!["student_enrollment.csv"; end - start],
            )
            .unwrap();
            match df.as_mut() {
                Some(d) => {
                    d.vstack_mut(&piece).unwrap();
                }
                None => df = Some(piece),
            }
            start = end;
        }
        let mut df = df.unwrap();
        df.with_column(Column::new_scalar(
            "upload".into(),
            Scalar::new(DataType::String, AnyValue::StringOwned(name.into())),
            n,
        ))
        .unwrap();
        df
    }

    #[test]
    fn parts_written_in_their_row_groups_are_the_bytes_of_their_frame_written_whole() {
        let frames = [
            part("new_state_id", 310, 310),
            part("student_enrollment", 600_000, 600_000),
            part("frm", 150_000, 70_000),
            part("ell", 20, 20),
        ];
        let whole = |frames: &[DataFrame]| {
            let lazy: Vec<LazyFrame> = frames.iter().map(|f| f.clone().lazy()).collect();
            let mut all = concat(lazy, UnionArgs::default())
                .unwrap()
                .collect()
                .unwrap();
            let mut bytes = Vec::new();
            ParquetWriter::new(&mut bytes).finish(&mut all).unwrap();
            bytes
        };
        let by_groups = |parts: &[Part]| {
            let groups = row_groups(parts).unwrap();
            let mut written: Vec<DataFrame> = Vec::new();
            frames_in_groups(parts.iter().map(Part::frame), &groups, |group| {
                group.rechunk_mut();
                written.push(group.clone());
                Ok(())
            })
            .unwrap();
            let mut bytes = Vec::new();
            let mut writer = ParquetWriter::new(&mut bytes)
                .batched(written[0].schema())
                .unwrap();
            for group in &written {
                writer.write_batch(group).unwrap();
            }
            writer.finish().unwrap();
            (groups, bytes)
        };
        // Small parts only (polars gathers them into row groups), and a
        // part larger than a row group among them (it cuts each into
        // groups of the same size).
        for frames in [&frames[..1], &frames[2..], &frames[..]] {
            let parts: Vec<Part> = frames
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    if i % 2 == 0 {
                        Part::pack(f).unwrap()
                    } else {
                        Part::Frame(f.clone())
                    }
                })
                .collect();
            let (groups, bytes) = by_groups(&parts);
            assert_eq!(
                groups.iter().sum::<usize>(),
                frames.iter().map(DataFrame::height).sum::<usize>()
            );
            assert!(bytes == whole(frames), "row groups {groups:?}");
        }
    }

    #[test]
    fn years_joined_unpack_and_write_as_the_frame_made_at_once() {
        // Three "years" of an upload, the middle one larger than a row
        // group: the rows of all three in one chunk is the frame made at
        // once.
        let years = [
            part("student_enrollment", 70_000, 70_000),
            part("student_enrollment", 400_000, 400_000),
            part("student_enrollment", 90_000, 30_000),
        ];
        let mut whole = years[0].clone();
        whole.vstack_mut(&years[1]).unwrap();
        whole.vstack_mut(&years[2]).unwrap();
        whole.rechunk_mut();
        let joined = Part::joined(years.iter().map(|y| Part::pack(y).unwrap()).collect()).unwrap();
        assert_eq!(joined.height(), whole.height());
        let back = joined.frame().unwrap();
        assert!(back.equals_missing(&whole));
        for c in back.columns() {
            assert_eq!(c.n_chunks(), 1, "{}", c.name());
        }
        assert!(matches!(back.column("upload").unwrap(), Column::Scalar(_)));
        // The manifest's row groups of the joined part are those of the
        // whole part.
        assert_eq!(
            row_groups(&[joined]).unwrap(),
            row_groups(&[Part::Frame(whole.clone())]).unwrap()
        );
        assert_eq!(
            row_groups_of_one_chunk(whole.height()).unwrap(),
            row_groups(&[Part::Frame(whole.clone())]).unwrap()
        );
        // Each year handed over in turn, written in the groups of a frame
        // of one chunk: the bytes of the whole frame written.
        let mut at_once = Vec::new();
        ParquetWriter::new(&mut at_once)
            .finish(&mut whole.clone())
            .unwrap();
        let groups = row_groups_of_one_chunk(whole.height()).unwrap();
        assert!(groups.len() > 1, "{groups:?}");
        let mut by_year = Vec::new();
        let mut writer = ParquetWriter::new(&mut by_year)
            .batched(whole.schema())
            .unwrap();
        frames_in_groups(years.iter().cloned().map(Ok), &groups, |group| {
            group.rechunk_mut();
            writer.write_batch(group)?;
            Ok(())
        })
        .unwrap();
        writer.finish().unwrap();
        assert!(by_year == at_once);
        // Some columns of a part, whichever way it is held.
        let narrow = Part::pack(&years[2])
            .unwrap()
            .columns(&["row_number"])
            .unwrap();
        assert!(narrow.equals_missing(&years[2].select(["row_number"]).unwrap()));
    }
}
