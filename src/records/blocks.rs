//! The bytes of JSON text that decide where a value ends, found 64 at a time: each class of byte
//! (quotes, brackets, blanks, the rare bytes that need a closer look) as a mask with bit `i` for
//! byte `i` of the block. The stream's scan ([`super::stream`]) follows a pretty-printed array
//! element through these masks instead of byte by byte. On x86-64 the masks come from vector
//! compares: AVX2, 32 bytes at a time, where the processor has it (asked once, then cached by the
//! standard library), else SSE2, which every x86-64 processor has, 16 at a time. Elsewhere a loop
//! over the bytes gives the same masks (a unit test compares them all), too slowly to be worth it:
//! there the scan reads byte by byte ([`VECTORS`]).

/// How many bytes a block holds: one bit of a `u64` each.
pub(super) const BLOCK: usize = 64;

/// Whether blocks are classified with vector compares on this build, so that reading a block
/// through its masks is quicker than reading its bytes one by one.
pub(super) const VECTORS: bool = cfg!(all(target_arch = "x86_64", target_feature = "sse2"));

/// The bytes of a block that the scan looks at, by class: bit `i` is byte `i`.
#[derive(Debug, Default, PartialEq, Eq, Clone, Copy)]
pub(super) struct Classes {
    /// `"`.
    pub quote: u64,
    /// `\n`.
    pub newline: u64,
    /// `{` and `[`.
    pub open: u64,
    /// `}` and `]`.
    pub close: u64,
    /// `:` and `,`: with `close`, what may follow a string's closing quote.
    pub separator: u64,
    /// The blanks JSON allows between tokens: space, tab, `\n` and `\r`.
    pub blank: u64,
    /// `\` and the control bytes that are not blanks: bytes the scan reads one at a time.
    pub rare: u64,
}

/// The classes of a block's bytes.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
pub(super) fn classify(block: &[u8; BLOCK]) -> Classes {
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: this processor has AVX2, as just asked.
        unsafe { classify_avx2(block) }
    } else {
        // SAFETY: the build targets processors with SSE2 (`target_feature = "sse2"`), as every
        // x86-64 build does.
        unsafe { classify_sse2(block) }
    }
}

/// A classification with one kind of vector: its target feature, width in bytes, type,
/// intrinsics, and the integer its byte mask fits in. Each compare gives a vector of 0xFF where a
/// byte matches; its mask has bit `i` for byte `i`.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
macro_rules! classify_with_vectors {
    ($name:ident, $feature:literal, $width:literal, $vector:ident, $mask:ty,
     $load:ident, $splat:ident, $equal:ident, $or:ident, $and_not:ident, $max:ident,
     $movemask:ident) => {
        #[target_feature(enable = $feature)]
        fn $name(block: &[u8; BLOCK]) -> Classes {
            use std::arch::x86_64::{
                $and_not, $equal, $load, $max, $movemask, $or, $splat, $vector,
            };
            let splat = |b: u8| $splat(b as i8);
            let mut classes = Classes::default();
            for (lane, bytes) in block.chunks_exact($width).enumerate() {
                // SAFETY: `bytes` holds as many bytes as the load reads; it needs no alignment.
                let x = unsafe { $load(bytes.as_ptr().cast::<$vector>()) };
                let equal = |b: u8| $equal(x, splat(b));
                let bits = |v: $vector| u64::from($movemask(v) as $mask) << (lane * $width);
                let (newline, tab, cr) = (equal(b'\n'), equal(b'\t'), equal(b'\r'));
                let line_blanks = $or($or(newline, tab), cr);
                // `{` and `[` differ in one bit (0x20), as do `}` and `]`: with it set, one
                // compare finds both.
                let folded = $or(x, splat(0x20));
                // A byte at most 0x1F is its own maximum with 0x1F.
                let control = $equal($max(x, splat(0x1F)), splat(0x1F));
                classes.quote |= bits(equal(b'"'));
                classes.newline |= bits(newline);
                classes.open |= bits($equal(folded, splat(b'{')));
                classes.close |= bits($equal(folded, splat(b'}')));
                classes.separator |= bits($or(equal(b':'), equal(b',')));
                classes.blank |= bits($or(equal(b' '), line_blanks));
                classes.rare |= bits($or(equal(b'\\'), $and_not(line_blanks, control)));
            }
            classes
        }
    };
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
classify_with_vectors!(
    classify_sse2,
    "sse2",
    16,
    __m128i,
    u16,
    _mm_loadu_si128,
    _mm_set1_epi8,
    _mm_cmpeq_epi8,
    _mm_or_si128,
    _mm_andnot_si128,
    _mm_max_epu8,
    _mm_movemask_epi8
);

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
classify_with_vectors!(
    classify_avx2,
    "avx2",
    32,
    __m256i,
    u32,
    _mm256_loadu_si256,
    _mm256_set1_epi8,
    _mm256_cmpeq_epi8,
    _mm256_or_si256,
    _mm256_andnot_si256,
    _mm256_max_epu8,
    _mm256_movemask_epi8
);

/// The classes of a block's bytes.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
pub(super) fn classify(block: &[u8; BLOCK]) -> Classes {
    classify_bytewise(block)
}

/// The classes of a block's bytes, byte by byte: what [`classify`] gives on every processor (and
/// the tests' reference).
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
pub(super) fn classify_bytewise(block: &[u8; BLOCK]) -> Classes {
    let mut classes = Classes::default();
    for (i, &b) in block.iter().enumerate() {
        let bit = 1u64 << i;
        match b {
            b'"' => classes.quote |= bit,
            b'\n' => {
                classes.newline |= bit;
                classes.blank |= bit;
            }
            b' ' | b'\t' | b'\r' => classes.blank |= bit,
            b'{' | b'[' => classes.open |= bit,
            b'}' | b']' => classes.close |= bit,
            b':' | b',' => classes.separator |= bit,
            b'\\' | 0..=0x1F => classes.rare |= bit,
            _ => {}
        }
    }
    classes
}

/// Bit `i` is the parity of bits `0..=i` of `x`: with `x` a block's unescaped quotes, the bytes
/// inside a string that starts in the block (its opening quote included, its closing one not).
pub(super) fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// The place of the last byte of the block that `mask` (not empty) marks.
pub(super) fn highest(mask: u64) -> usize {
    63 - mask.leading_zeros() as usize
}

/// The bits of the block's first `n` bytes.
pub(super) fn below(n: u32) -> u64 {
    if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Classify = fn(&[u8; BLOCK]) -> Classes;

    /// Each way of classifying that this processor can run, named.
    fn classifiers() -> Vec<(&'static str, Classify)> {
        let mut ways: Vec<(&'static str, Classify)> = vec![("the one chosen", classify)];
        #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
        {
            // SAFETY: SSE2 is in every x86-64 build; AVX2 only where it is detected.
            ways.push(("SSE2", |block| unsafe { classify_sse2(block) }));
            if std::arch::is_x86_feature_detected!("avx2") {
                ways.push(("AVX2", |block| unsafe { classify_avx2(block) }));
            }
        }
        ways
    }

    /// Every byte value at every place of a block, and blocks of bytes the scan cares about in
    /// every mix: the masks are the ones a byte-by-byte look gives, whichever way they are found.
    #[test]
    fn the_masks_are_the_bytes_classes() {
        for (name, classify) in classifiers() {
            masks_agree_with_a_byte_by_byte_look(name, classify);
        }
    }

    fn masks_agree_with_a_byte_by_byte_look(name: &str, classify: Classify) {
        let mut block = [b'a'; BLOCK];
        for at in 0..BLOCK {
            for b in 0..=255u8 {
                block[at] = b;
                let masks = classify(&block);
                assert_eq!(masks, classify_bytewise(&block), "{name}: {b:#x} at {at}");
            }
            block[at] = b'a';
        }
        let alphabet =
            b"\"\\\n\t\r {}[]:,a0\x00\x0b\x0c\x1f\x20\x7f\x80\xe4\xff\x5b\x7b\x5d\x7d\x3b";
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..20_000 {
            for b in &mut block {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *b = alphabet[(state >> 11) as usize % alphabet.len()];
            }
            assert_eq!(
                classify(&block),
                classify_bytewise(&block),
                "{name}: {block:?}"
            );
        }
    }

    #[test]
    fn prefix_xor_is_the_parity_of_the_bits_up_to_each() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..1000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let parity = prefix_xor(state);
            for i in 0..64 {
                let ones = (state & below(i + 1)).count_ones();
                assert_eq!(parity >> i & 1, u64::from(ones % 2), "{state:#x} at {i}");
            }
        }
        assert_eq!(below(0), 0);
        assert_eq!(below(64), u64::MAX);
        assert_eq!((highest(1), highest(0b1010), highest(u64::MAX)), (0, 3, 63));
    }
}
