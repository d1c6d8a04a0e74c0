//! The import's one per-contact memory: the first phones of a file so far, each with the line
//! of its first row and that row's fingerprint, in a compact open-addressing table (16 bytes a
//! slot, filled up to 80 %, sized ahead from the file's length) instead of a `HashMap` (17 bytes
//! a bucket, power-of-two sizes filled 44-88 %, and old and new tables both alive while it
//! grows). At 1,000,000 distinct phones it holds 20 MB instead of a `HashMap`'s 36 MB (53 MB
//! while growing).

/// One slot: a phone key plus one (0: empty), the first line and the fingerprint.
#[derive(Clone, Copy, Default)]
struct Slot {
    key: u64,
    line: u32,
    print: u32,
}

/// First phones (as [`super::phone::key`]s, at most 15 digits) with their line and fingerprint.
#[derive(Default)]
pub(super) struct Seen {
    slots: Vec<Slot>,
    len: usize,
}

/// Slots kept free: the table grows when more than 4 in 5 are taken.
const FILL_NUM: usize = 4;
const FILL_DEN: usize = 5;

impl Seen {
    /// Makes room for `n` phones in all (no effect when there is room already).
    pub fn reserve(&mut self, n: usize) {
        let want = n.saturating_mul(FILL_DEN) / FILL_NUM + 1;
        if want > self.slots.len() {
            self.rebuild(want);
        }
    }

    /// The line and fingerprint stored for `key`; when there is none, stores `line` and `print`
    /// for it and gives `None`.
    pub fn first_or_insert(&mut self, key: u64, line: u32, print: u32) -> Option<(u32, u32)> {
        if (self.len + 1) * FILL_DEN > self.slots.len() * FILL_NUM {
            self.rebuild((self.slots.len() * 2).max(1024));
        }
        let stored = key.wrapping_add(1);
        let mut i = self.home(stored);
        loop {
            let slot = &mut self.slots[i];
            if slot.key == stored {
                return Some((slot.line, slot.print));
            }
            if slot.key == 0 {
                *slot = Slot {
                    key: stored,
                    line,
                    print,
                };
                self.len += 1;
                return None;
            }
            i = if i + 1 == self.slots.len() { 0 } else { i + 1 };
        }
    }

    /// Phones stored.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// The first slot to look at for a stored key (Fibonacci hashing onto the table's length).
    fn home(&self, stored: u64) -> usize {
        let h = stored.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        ((u128::from(h) * self.slots.len() as u128) >> 64) as usize
    }

    fn rebuild(&mut self, slots: usize) {
        let old = std::mem::replace(&mut self.slots, vec![Slot::default(); slots]);
        self.len = 0;
        for s in old.into_iter().filter(|s| s.key != 0) {
            self.first_or_insert(s.key - 1, s.line, s.print);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn the_first_line_and_fingerprint_stay_for_each_phone() {
        let mut seen = Seen::default();
        assert_eq!(seen.first_or_insert(79_161_234_567, 2, 7), None);
        assert_eq!(
            seen.first_or_insert(0, 3, 8),
            None,
            "key 0 is a key like any other"
        );
        assert_eq!(seen.first_or_insert(79_161_234_567, 9, 1), Some((2, 7)));
        assert_eq!(seen.first_or_insert(0, 10, 1), Some((3, 8)));
        assert_eq!(seen.len(), 2);
    }

    /// The same answers as a `HashMap` over many keys, across growth and with a reservation,
    /// including keys that land on the same slots.
    #[test]
    fn it_answers_as_a_hash_map_does() {
        for reserve in [0, 50_000] {
            let mut seen = Seen::default();
            seen.reserve(reserve);
            let mut model: HashMap<u64, (u32, u32)> = HashMap::new();
            let mut x: u64 = 12345;
            for line in 0..100_000u32 {
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                // Many repeats: keys from a range of 60,000 phones.
                let key = 79_000_000_000 + (x >> 33) % 60_000;
                let print = (x >> 7) as u32;
                let want = match model.get(&key) {
                    Some(v) => Some(*v),
                    None => {
                        model.insert(key, (line, print));
                        None
                    }
                };
                assert_eq!(seen.first_or_insert(key, line, print), want, "line {line}");
            }
            assert_eq!(seen.len(), model.len());
        }
    }

    #[test]
    fn a_reservation_holds_that_many_without_growing_and_stays_compact() {
        let mut seen = Seen::default();
        seen.reserve(1_000_000);
        let slots = seen.slots.len();
        assert!(
            slots * std::mem::size_of::<Slot>() <= 21_000_000,
            "{slots} slots"
        );
        for k in 0..1_000_000u64 {
            seen.first_or_insert(79_000_000_000 + k * 7, 1, 1);
        }
        assert_eq!(seen.slots.len(), slots, "no growth within the reservation");
    }
}
