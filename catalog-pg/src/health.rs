//! The health of one read replica: a pure state machine over a clock in
//! milliseconds, deciding whether reads go to it and for how long it is left
//! out after it could not be reached (see [`routing`](crate::routing)).

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

/// How many times [`PgConfig::replica_backoff`](crate::PgConfig::replica_backoff) a replica that keeps failing
/// is left out at most.
pub(crate) const MAX_BACKOFF_FACTOR: u32 = 32;

/// Whether reads go to a replica, and for how long it is left out after failing.
#[derive(Default)]
pub(crate) struct Health {
    /// Milliseconds after the clock's origin before which the replica is not
    /// asked; 0 while it is up.
    down_until: AtomicU64,
    /// Failures in a row; each doubles the time left out.
    failures: AtomicU32,
    /// A read is trying the replica again after its time out.
    probing: AtomicBool,
}

impl Health {
    /// Whether a read may go to the replica at `now`: it is up, or its time
    /// out is over and this read is the one that tries it (holding the others
    /// off for `hold` ms meanwhile).
    pub(crate) fn admits(&self, now: u64, hold: u64) -> bool {
        let until = self.down_until.load(Ordering::Relaxed);
        if until == 0 {
            return true;
        }
        let claimed = until <= now
            && self
                .down_until
                .compare_exchange(
                    until,
                    now.saturating_add(hold).max(1),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok();
        if claimed {
            self.probing.store(true, Ordering::Relaxed);
        }
        claimed
    }

    /// The replica answered: it is up again.
    pub(crate) fn answered(&self) {
        if self.down_until.load(Ordering::Relaxed) != 0 {
            self.failures.store(0, Ordering::Relaxed);
            self.probing.store(false, Ordering::Relaxed);
            self.down_until.store(0, Ordering::Relaxed);
        }
    }

    /// The replica could not be reached at `now`: leaves it out for `base`
    /// doubled per failure in a row (at most [`MAX_BACKOFF_FACTOR`] times),
    /// and returns for how long. Reads that were in flight together when it
    /// went down fail together, and count once: a failure while the replica
    /// is already left out, other than its probe's, returns `None`.
    pub(crate) fn failed(&self, now: u64, base: Duration) -> Option<Duration> {
        if self.down_until.load(Ordering::Relaxed) > now && !self.probing.swap(false, Ordering::Relaxed) {
            return None;
        }
        let failures = self.failures.fetch_add(1, Ordering::Relaxed).saturating_add(1);
        let factor = 1u32 << failures.saturating_sub(1).min(MAX_BACKOFF_FACTOR.ilog2());
        let backoff = base.saturating_mul(factor);
        let until = now.saturating_add(backoff.as_millis() as u64).max(1);
        self.down_until.store(until, Ordering::Relaxed);
        Some(backoff)
    }

    /// Whether reads go to the replica at `now`.
    pub(crate) fn is_up(&self, now: u64) -> bool {
        self.down_until.load(Ordering::Relaxed) <= now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: Duration = Duration::from_millis(100);

    #[test]
    fn a_failing_replica_is_left_out_for_longer_each_time_up_to_the_cap() {
        let health = Health::default();
        assert!(health.admits(0, 50));
        let mut now = 1_000;
        let mut left_out = Vec::new();
        for _ in 0..8 {
            let backoff = health.failed(now, BASE).expect("a counted failure");
            left_out.push(backoff.as_millis());
            assert!(!health.is_up(now) && !health.admits(now, 50));
            now += backoff.as_millis() as u64;
            assert!(health.admits(now, 50), "the probe after the time out");
        }
        assert_eq!(left_out, [100, 200, 400, 800, 1_600, 3_200, 3_200, 3_200]);
    }

    #[test]
    fn reads_failing_together_count_once() {
        let health = Health::default();
        assert_eq!(health.failed(1_000, BASE), Some(BASE));
        assert_eq!(health.failed(1_000, BASE), None, "in flight when it went down");
        assert_eq!(health.failed(1_050, BASE), None);
        assert!(health.admits(1_100, 50));
        assert_eq!(health.failed(1_120, BASE), Some(2 * BASE), "the probe's failure counts");
    }

    #[test]
    fn when_the_time_is_over_one_read_tries_it_and_an_answer_brings_it_back() {
        let health = Health::default();
        assert!(health.failed(1_000, BASE).is_some());
        assert!(!health.admits(1_099, 50), "still left out");
        assert!(health.admits(1_100, 50), "the first read after the backoff tries it");
        assert!(!health.admits(1_101, 50), "the others keep going elsewhere meanwhile");
        assert!(
            health.admits(1_150, 50),
            "a try that never reported is retried after its hold"
        );
        health.answered();
        assert!(health.is_up(1_151) && health.admits(1_151, 50));
        assert_eq!(health.failed(2_000, BASE), Some(BASE), "an answer resets the doubling");
    }
}
