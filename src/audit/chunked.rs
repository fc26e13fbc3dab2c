//! A list of facts kept for the whole set, grown without copying: a record's facts are added to
//! an open tail, each batch of records seals its tail into a chunk of exactly its size, and
//! lists are joined by moving their chunks. A `Vec` grown record by record would hold up to
//! twice what it needs, and copy all of it (holding both copies) each time it grows.

use rayon::prelude::*;

/// Facts in the order they were added.
#[derive(Clone, Debug)]
pub struct Chunked<T> {
    sealed: Vec<Box<[T]>>,
    /// Where each sealed chunk starts in the list, for [`Chunked::get`].
    starts: Vec<usize>,
    open: Vec<T>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Chunked<T> {
        Chunked {
            sealed: Vec::new(),
            starts: Vec::new(),
            open: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Chunked<T> {
    /// Adds one fact at the end.
    pub fn push(&mut self, item: T) {
        self.open.push(item);
        self.len += 1;
    }

    /// The number of facts.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Forgets every fact.
    pub fn clear(&mut self) {
        *self = Chunked::default();
    }

    /// Makes the facts added since the last seal a chunk of their own size: called once a batch
    /// of records is done, so that the open tail never grows with a file.
    pub fn seal(&mut self) {
        if !self.open.is_empty() {
            let open = std::mem::take(&mut self.open);
            self.starts.push(self.len - open.len());
            self.sealed.push(open.into_boxed_slice());
        }
    }

    /// Adds the facts of `later` after these. A list that is only an open tail (one record's
    /// facts) joins the open tail; sealed chunks are moved, not copied.
    pub fn absorb(&mut self, mut later: Chunked<T>) {
        if later.sealed.is_empty() {
            self.len += later.len;
            if self.open.is_empty() {
                self.open = later.open;
            } else {
                self.open.append(&mut later.open);
            }
            return;
        }
        self.seal();
        let before = self.len;
        self.len += later.len;
        self.starts
            .extend(later.starts.iter().map(|start| before + start));
        self.sealed.append(&mut later.sealed);
        self.open = later.open;
    }

    /// The fact at `index` in the order they were added.
    pub fn get(&self, index: usize) -> Option<&T> {
        let sealed = self.len - self.open.len();
        if index >= sealed {
            return self.open.get(index - sealed);
        }
        // The last chunk starting at or before `index`.
        let chunk = self.starts.partition_point(|&start| start <= index) - 1;
        self.sealed[chunk].get(index - self.starts[chunk])
    }

    /// The facts, in order.
    pub fn iter(&self) -> Iter<'_, T> {
        let chunk: fn(&Box<[T]>) -> &[T] = |chunk| chunk;
        self.sealed.iter().flat_map(chunk).chain(self.open.iter())
    }
}

/// The facts of a [`Chunked`], in order.
pub type Iter<'a, T> = std::iter::Chain<
    std::iter::FlatMap<std::slice::Iter<'a, Box<[T]>>, &'a [T], fn(&'a Box<[T]>) -> &'a [T]>,
    std::slice::Iter<'a, T>,
>;

impl<'a, T> IntoIterator for &'a Chunked<T> {
    type Item = &'a T;
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T: Sync> Chunked<T> {
    /// The facts, in order, for a parallel iterator (whose `collect` keeps the order).
    pub fn par_iter(&self) -> impl ParallelIterator<Item = &T> {
        self.sealed
            .par_iter()
            .map(|chunk| &chunk[..])
            .chain(rayon::iter::once(&self.open[..]))
            .flat_map_iter(|chunk| chunk.iter())
    }
}

impl<T> FromIterator<T> for Chunked<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Chunked<T> {
        let open: Vec<T> = items.into_iter().collect();
        let mut chunked = Chunked {
            len: open.len(),
            open,
            ..Chunked::default()
        };
        chunked.seal();
        chunked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_order_whatever_the_chunks() {
        let mut all: Chunked<u32> = Chunked::default();
        all.push(0);
        let mut one: Chunked<u32> = Chunked::default();
        one.push(1);
        all.absorb(one);
        all.seal();
        let mut later: Chunked<u32> = (2..5).collect();
        later.push(5);
        all.absorb(later);
        all.push(6);
        assert_eq!(all.len(), 7);
        for index in 0..7 {
            assert_eq!(all.get(index), Some(&(index as u32)));
        }
        assert_eq!(all.get(7), None);
        assert_eq!(
            all.iter().copied().collect::<Vec<_>>(),
            (0..7).collect::<Vec<_>>()
        );
        let parallel: Vec<u32> = all.par_iter().copied().collect();
        assert_eq!(parallel, (0..7).collect::<Vec<_>>());
        all.clear();
        assert!(all.is_empty() && all.iter().next().is_none());
    }
}
