//! The reconnection schedule: exponential delays with a cap, jitter, and an attempt budget.
//!
//! A small policy rather than the `backon` crate: the engine needs the delay for attempt *n*
//! on demand (no sleeping iterator), reproducible jitter from a seed for tests on a virtual
//! clock, full jitter that still applies at the cap, and a reset the engine decides (after a
//! stable connection, or on a manual reconnect). That is thirty lines here.

use std::time::Duration;

use super::config::{Jitter, ReconnectPolicy};

/// Hands out the delay before each reconnection attempt.
#[derive(Debug)]
pub(crate) struct Backoff {
    policy: ReconnectPolicy,
    rng: fastrand::Rng,
    attempts: u32,
}

impl Backoff {
    pub(crate) fn new(policy: ReconnectPolicy, seed: u64) -> Self {
        Self {
            policy,
            rng: fastrand::Rng::with_seed(seed),
            attempts: 0,
        }
    }

    /// The next attempt's number (from 1) and the delay before it, or `None` when the budget
    /// is spent.
    pub(crate) fn next_attempt(&mut self) -> Option<(u32, Duration)> {
        if self
            .policy
            .max_attempts
            .is_some_and(|max| self.attempts >= max)
        {
            return None;
        }
        self.attempts += 1;
        let ceiling = ceiling(&self.policy, self.attempts);
        let delay = match self.policy.jitter {
            Jitter::None => ceiling,
            Jitter::Full => self.uniform(Duration::ZERO, ceiling),
            Jitter::Equal => self.uniform(ceiling / 2, ceiling),
        };
        Some((self.attempts, delay))
    }

    /// Attempts made since the last reset.
    pub(crate) fn attempts(&self) -> u32 {
        self.attempts
    }

    pub(crate) fn reset(&mut self) {
        self.attempts = 0;
    }

    pub(crate) fn policy(&self) -> &ReconnectPolicy {
        &self.policy
    }

    fn uniform(&mut self, low: Duration, high: Duration) -> Duration {
        let (low, high) = (low.as_millis() as u64, high.as_millis() as u64);
        Duration::from_millis(self.rng.u64(low..=high.max(low)))
    }
}

/// The delay before attempt `attempt` (from 1) without jitter: `initial * 2^(attempt-1)`, capped.
pub fn ceiling(policy: &ReconnectPolicy, attempt: u32) -> Duration {
    let doublings = attempt.saturating_sub(1).min(31);
    policy
        .initial_delay
        .saturating_mul(1 << doublings)
        .min(policy.max_delay)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(jitter: Jitter) -> ReconnectPolicy {
        ReconnectPolicy {
            jitter,
            ..ReconnectPolicy::default()
        }
    }

    #[test]
    fn without_jitter_the_document_sequence_then_the_cap() {
        let mut backoff = Backoff::new(policy(Jitter::None), 1);
        let delays: Vec<u64> = std::iter::from_fn(|| backoff.next_attempt())
            .map(|(_, delay)| delay.as_secs())
            .collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 32, 32, 32, 32]);
        assert_eq!(backoff.attempts(), 10);
    }

    #[test]
    fn full_jitter_stays_within_zero_and_the_ceiling_and_varies_at_the_cap() {
        for seed in 0..200 {
            let mut backoff = Backoff::new(policy(Jitter::Full), seed);
            while let Some((attempt, delay)) = backoff.next_attempt() {
                assert!(delay <= ceiling(backoff.policy(), attempt));
            }
        }
        let mut backoff = Backoff::new(
            ReconnectPolicy {
                max_attempts: None,
                ..policy(Jitter::Full)
            },
            9,
        );
        let capped: std::collections::HashSet<Duration> = (0..40)
            .filter_map(|_| backoff.next_attempt())
            .skip(6)
            .map(|(_, delay)| delay)
            .collect();
        assert!(
            capped.len() > 20,
            "jitter must not vanish at the cap: {capped:?}"
        );
    }

    #[test]
    fn equal_jitter_keeps_half_the_delay() {
        let mut backoff = Backoff::new(policy(Jitter::Equal), 3);
        while let Some((attempt, delay)) = backoff.next_attempt() {
            let ceiling = ceiling(backoff.policy(), attempt);
            assert!(delay >= ceiling / 2 && delay <= ceiling);
        }
    }

    #[test]
    fn reset_starts_the_schedule_again() {
        let mut backoff = Backoff::new(policy(Jitter::None), 1);
        backoff.next_attempt();
        backoff.next_attempt();
        backoff.reset();
        assert_eq!(backoff.next_attempt(), Some((1, Duration::from_secs(1))));
    }

    #[test]
    fn unlimited_attempts_never_give_up_and_never_overflow() {
        let mut backoff = Backoff::new(
            ReconnectPolicy {
                max_attempts: None,
                ..policy(Jitter::None)
            },
            1,
        );
        for _ in 0..100 {
            assert!(backoff.next_attempt().unwrap().1 <= Duration::from_secs(32));
        }
    }
}
