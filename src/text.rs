//! Comparing the short texts that records and policies are made of (keys, enum values, roles).

/// Whether two short texts (keys, enum values, roles) are equal, compared in registers: `==` on
/// strings calls `memcmp` once their lengths agree, which for a few bytes costs more than the
/// comparison (a twentieth of a check's instructions went to it). Longer texts are left to `==`.
#[inline]
pub fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    // Two loads that overlap cover the text: its first and its last `W` bytes.
    fn ends<const W: usize>(s: &[u8]) -> ([u8; W], [u8; W]) {
        let first = s[..W].try_into().expect("W bytes");
        let last = s[s.len() - W..].try_into().expect("W bytes");
        (first, last)
    }
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => {
            let (x, y) = (ends::<4>(a), ends::<4>(b));
            u32::from_ne_bytes(x.0) == u32::from_ne_bytes(y.0)
                && u32::from_ne_bytes(x.1) == u32::from_ne_bytes(y.1)
        }
        8..=16 => {
            let (x, y) = (ends::<8>(a), ends::<8>(b));
            u64::from_ne_bytes(x.0) == u64::from_ne_bytes(y.0)
                && u64::from_ne_bytes(x.1) == u64::from_ne_bytes(y.1)
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::same_text;

    /// Texts of every length up to 40 bytes, equal or differing in one byte at each place, or
    /// in their length: `same_text` says what `==` says.
    #[test]
    fn same_text_is_equality() {
        let base: String = "abcdefghijklmnopqrstuvwxyz0123456789ABCD".into();
        let mut compared = 0;
        for n in 0..=base.len() {
            let a = &base[..n];
            let copy = String::from(a);
            assert!(same_text(a, &copy), "{a}");
            for at in 0..n {
                let mut b = a.as_bytes().to_vec();
                b[at] = b'_';
                let b = String::from_utf8(b).expect("ASCII");
                assert!(!same_text(a, &b) && !same_text(&b, a), "{a} {b}");
                compared += 1;
            }
            assert!(!same_text(a, &base[..n.saturating_sub(1)]) || n == 0);
        }
        assert!(same_text("名字", "名字") && !same_text("名字", "名子"));
        assert_eq!(compared, (0..=40).sum::<usize>());
    }
}
