//! Addresses refused until an instant, in one isolate's memory: after a client address used up
//! its budget of failed authentications, its requests are refused without any lookup until the
//! budget's period is over. Bounded: at most `MAX_ADDRESSES`, the soonest to expire go first.

/// Addresses a blocklist holds at most; typically it holds none.
pub const MAX_ADDRESSES: usize = 1_000;

#[derive(Debug, Default)]
pub struct Blocklist {
    /// `(address, refused until ms)`, in the order they were blocked.
    entries: Vec<(String, u64)>,
}

impl Blocklist {
    pub const fn new() -> Blocklist {
        Blocklist {
            entries: Vec::new(),
        }
    }

    /// Whether `address` is refused at `now_ms`.
    pub fn blocks(&self, address: &str, now_ms: u64) -> bool {
        self.entries
            .iter()
            .any(|(blocked, until)| blocked == address && *until > now_ms)
    }

    /// Refuses `address` until `until_ms`, forgetting what expired by `now_ms`.
    pub fn block(&mut self, address: &str, now_ms: u64, until_ms: u64) {
        self.entries
            .retain(|(blocked, until)| *until > now_ms && blocked != address);
        if self.entries.len() >= MAX_ADDRESSES {
            self.entries.sort_by_key(|(_, until)| *until);
            self.entries.drain(..MAX_ADDRESSES / 2);
        }
        self.entries.push((address.to_owned(), until_ms));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn an_address_is_refused_until_its_instant_only() {
        let mut list = Blocklist::new();
        assert!(!list.blocks("a", 0));
        list.block("a", 0, 60);
        assert!(list.blocks("a", 59));
        assert!(!list.blocks("a", 60), "free again at its instant");
        assert!(!list.blocks("b", 10), "another address is not refused");
    }

    #[test]
    fn blocking_again_moves_the_instant_and_keeps_one_entry() {
        let mut list = Blocklist::new();
        list.block("a", 0, 60);
        list.block("a", 30, 90);
        assert_eq!(list.len(), 1);
        assert!(list.blocks("a", 80));
    }

    #[test]
    fn expired_entries_are_forgotten_and_the_list_stays_bounded() {
        let mut list = Blocklist::new();
        list.block("old", 0, 10);
        list.block("new", 20, 80);
        assert_eq!(list.len(), 1, "the expired one went");
        for n in 0..MAX_ADDRESSES * 3 {
            let n = n as u64;
            list.block(&format!("ip{n}"), 30, 1_000 + n);
        }
        assert!(list.len() <= MAX_ADDRESSES);
        assert!(
            list.blocks(&format!("ip{}", MAX_ADDRESSES * 3 - 1), 100),
            "the latest stays"
        );
    }
}
