//! Looking up a row's position by its id, and grouping children under parents.

/// Maps ids to positions: a direct table when ids are dense, else a sorted
/// list searched by bisection (so a stray huge id cannot blow up memory).
pub(crate) enum IdIndex {
    Dense(Vec<u32>),
    Sparse(Vec<(i32, u32)>),
}

/// No ids.
impl Default for IdIndex {
    fn default() -> IdIndex {
        IdIndex::Dense(Vec::new())
    }
}

/// Marks an id with no row in a dense table.
const ABSENT: u32 = u32::MAX;

impl IdIndex {
    /// Indexes `ids`, where `ids[position]` is the id of the row at `position`.
    pub(crate) fn new(ids: impl ExactSizeIterator<Item = i32> + Clone) -> IdIndex {
        let count = ids.len();
        let max = ids.clone().max().unwrap_or(0).max(0) as usize;
        if max <= 2 * count + 1024 {
            let mut table = vec![ABSENT; max + 1];
            for (position, id) in ids.enumerate() {
                table[id as usize] = position as u32;
            }
            IdIndex::Dense(table)
        } else {
            let mut pairs: Vec<(i32, u32)> = ids.enumerate().map(|(p, id)| (id, p as u32)).collect();
            pairs.sort_unstable();
            IdIndex::Sparse(pairs)
        }
    }

    /// The position of the row with `id`.
    pub(crate) fn get(&self, id: i32) -> Option<usize> {
        match self {
            IdIndex::Dense(table) => {
                let position = *table.get(usize::try_from(id).ok()?)?;
                (position != ABSENT).then_some(position as usize)
            }
            IdIndex::Sparse(pairs) => {
                let found = pairs.binary_search_by_key(&id, |&(id, _)| id).ok()?;
                Some(pairs[found].1 as usize)
            }
        }
    }
}

/// Offsets of each parent's children in a child list sorted by parent position:
/// parent `p`'s children are `offsets[p]..offsets[p + 1]`.
pub(crate) fn group_offsets(parents: usize, sorted_child_parents: impl Iterator<Item = usize>) -> Vec<u32> {
    let mut offsets = vec![0u32; parents + 1];
    for parent in sorted_child_parents {
        offsets[parent + 1] += 1;
    }
    for p in 0..parents {
        offsets[p + 1] += offsets[p];
    }
    offsets
}

/// The range of parent `p`'s children.
pub(crate) fn children(offsets: &[u32], parent: usize) -> std::ops::Range<usize> {
    offsets[parent] as usize..offsets[parent + 1] as usize
}

/// The parent of the child at `child` in a list grouped by `offsets`.
pub(crate) fn parent_of(offsets: &[u32], child: usize) -> usize {
    offsets.partition_point(|&start| start as usize <= child) - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_and_sparse_agree() {
        let ids = [5, 1, 9, 3];
        let dense = IdIndex::new(ids.iter().copied());
        let with_outlier = [5, 1, 9, 3, 2_000_000_000];
        let sparse = IdIndex::new(with_outlier.iter().copied());
        assert!(matches!(dense, IdIndex::Dense(_)));
        assert!(matches!(sparse, IdIndex::Sparse(_)));
        for index in [&dense, &sparse] {
            assert_eq!(index.get(9), Some(2));
            assert_eq!(index.get(1), Some(1));
            assert_eq!(index.get(2), None);
            assert_eq!(index.get(-4), None);
            assert_eq!(index.get(i32::MAX), None);
        }
        assert_eq!(sparse.get(2_000_000_000), Some(4));
    }

    #[test]
    fn offsets_group_children() {
        let offsets = group_offsets(3, [0, 0, 2].into_iter());
        assert_eq!(offsets, [0, 2, 2, 3]);
        assert_eq!(children(&offsets, 1), 2..2);
        assert_eq!(children(&offsets, 2), 2..3);
        assert_eq!([0, 1, 2].map(|child| parent_of(&offsets, child)), [0, 0, 2]);
    }
}
