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

    /// Changes each fact, in place.
    pub fn for_each_mut(&mut self, mut change: impl FnMut(&mut T)) {
        self.sealed
            .iter_mut()
            .flat_map(|c| c.iter_mut())
            .for_each(&mut change);
        self.open.iter_mut().for_each(change);
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

/// Facts each with a text (a record's id), grown as a [`Chunked`] is: each chunk's texts are one
/// string, each fact's the slice up to its end, so a text costs its bytes and four, not an
/// allocation of its own and the sixteen bytes of a `Box<str>`.
#[derive(Clone, Debug)]
pub struct Texted<T> {
    sealed: Vec<TextChunk<T>>,
    /// Where each sealed chunk starts in the list, for [`Texted::get`].
    starts: Vec<usize>,
    open: OpenChunk<T>,
    len: usize,
}

#[derive(Clone, Debug)]
struct TextChunk<T> {
    items: Box<[T]>,
    /// Where each item's text ends in `text`; it starts where the one before ends.
    ends: Box<[u32]>,
    text: Box<str>,
}

#[derive(Clone, Debug)]
struct OpenChunk<T> {
    items: Vec<T>,
    ends: Vec<u32>,
    text: String,
}

impl<T> Default for OpenChunk<T> {
    fn default() -> OpenChunk<T> {
        OpenChunk {
            items: Vec::new(),
            ends: Vec::new(),
            text: String::new(),
        }
    }
}

impl<T> Default for Texted<T> {
    fn default() -> Texted<T> {
        Texted {
            sealed: Vec::new(),
            starts: Vec::new(),
            open: OpenChunk::default(),
            len: 0,
        }
    }
}

/// The text of the item `index` of a chunk.
fn text_of<'a>(ends: &[u32], text: &'a str, index: usize) -> &'a str {
    let start = index.checked_sub(1).map_or(0, |i| ends[i] as usize);
    &text[start..ends[index] as usize]
}

impl<T> Texted<T> {
    /// Adds one fact and its text at the end.
    pub fn push(&mut self, text: &str, item: T) {
        // A chunk's texts are counted in a `u32`: a tail that would outgrow it is sealed first
        // (a text is part of a record, which is shorter).
        if u32::try_from(self.open.text.len() + text.len()).is_err() {
            self.seal();
        }
        self.open.text.push_str(text);
        let end = u32::try_from(self.open.text.len()).unwrap_or(u32::MAX);
        self.open.ends.push(end);
        self.open.items.push(item);
        self.len += 1;
    }

    /// The number of facts.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Makes the facts added since the last seal a chunk of their own size.
    pub fn seal(&mut self) {
        if !self.open.items.is_empty() {
            let open = std::mem::take(&mut self.open);
            self.starts.push(self.len - open.items.len());
            self.sealed.push(TextChunk {
                items: open.items.into_boxed_slice(),
                ends: open.ends.into_boxed_slice(),
                text: open.text.into_boxed_str(),
            });
        }
    }

    /// Adds the facts of `later` after these: sealed chunks are moved, not copied.
    pub fn absorb(&mut self, later: Texted<T>) {
        if !later.sealed.is_empty() {
            self.seal();
            let before = self.len;
            self.starts
                .extend(later.starts.iter().map(|start| before + start));
            self.sealed.extend(later.sealed);
            self.len += later.len;
            self.open = later.open;
            return;
        }
        if u32::try_from(self.open.text.len() + later.open.text.len()).is_err() {
            self.seal();
        }
        let shift = self.open.text.len() as u32;
        self.open.text.push_str(&later.open.text);
        (self.open.ends).extend(later.open.ends.iter().map(|end| end + shift));
        self.open.items.extend(later.open.items);
        self.len += later.len;
    }

    /// The fact at `index` in the order they were added, and its text.
    pub fn get(&self, index: usize) -> Option<(&str, &T)> {
        let sealed = self.len - self.open.items.len();
        if index >= sealed {
            let at = index - sealed;
            let item = self.open.items.get(at)?;
            return Some((text_of(&self.open.ends, &self.open.text, at), item));
        }
        // The last chunk starting at or before `index`.
        let chunk = self.starts.partition_point(|&start| start <= index) - 1;
        let (at, chunk) = (index - self.starts[chunk], &self.sealed[chunk]);
        Some((text_of(&chunk.ends, &chunk.text, at), chunk.items.get(at)?))
    }

    /// Changes each fact (not its text), in place.
    pub fn for_each_mut(&mut self, mut change: impl FnMut(&mut T)) {
        (self.sealed.iter_mut()).for_each(|c| c.items.iter_mut().for_each(&mut change));
        self.open.items.iter_mut().for_each(change);
    }

    /// The facts and their texts, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        let sealed = self
            .sealed
            .iter()
            .map(|c| (&c.items[..], &c.ends[..], &c.text[..]));
        let open = (
            &self.open.items[..],
            &self.open.ends[..],
            &self.open.text[..],
        );
        (sealed.chain(std::iter::once(open))).flat_map(|(items, ends, text)| {
            (items.iter().enumerate()).map(move |(i, item)| (text_of(ends, text, i), item))
        })
    }
}

impl<'a, T> FromIterator<(&'a str, T)> for Texted<T> {
    fn from_iter<I: IntoIterator<Item = (&'a str, T)>>(items: I) -> Texted<T> {
        let mut texted = Texted::default();
        for (text, item) in items {
            texted.push(text, item);
        }
        texted.seal();
        texted
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

    #[test]
    fn keeps_each_text_with_its_fact() {
        let mut all: Texted<u32> = Texted::default();
        all.push("zero", 0);
        let mut one: Texted<u32> = Texted::default();
        one.push("", 1);
        one.push("二", 2);
        all.absorb(one);
        all.seal();
        let mut later: Texted<u32> = [("three", 3), ("four", 4)].into_iter().collect();
        later.push("five", 5);
        all.absorb(later);
        all.push("six", 6);
        let names = ["zero", "", "二", "three", "four", "five", "six"];
        let expected: Vec<(&str, u32)> = names.into_iter().zip(0..).collect();
        let got: Vec<(&str, u32)> = all.iter().map(|(t, &i)| (t, i)).collect();
        assert_eq!(got, expected);
        for (index, &(text, item)) in expected.iter().enumerate() {
            assert_eq!(all.get(index), Some((text, &item)));
        }
        assert_eq!((all.len(), all.get(7)), (7, None));
    }
}
