//! Retrying transient failures with exponential backoff and jitter (via `backon`), honouring
//! `Retry-After`.

use std::future::Future;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};

use super::Error;

/// Statuses retried: too many concurrent queries, and the transient server and CDN failures.
pub(crate) const RETRIED_STATUSES: [u16; 6] = [429, 500, 502, 503, 504, 524];

/// How failed attempts are retried.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: usize,
    /// The first backoff delay; each retry doubles it, plus jitter.
    pub base_delay: Duration,
    /// The longest backoff delay.
    pub max_delay: Duration,
    /// The longest `Retry-After` waited for; a longer one ends the retries.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

/// One failed attempt: the error, whether it may be retried, and the server's `Retry-After`.
#[derive(Debug)]
pub(crate) struct Failure {
    pub error: Error,
    pub retryable: bool,
    pub retry_after: Option<Duration>,
}

#[cfg(test)]
impl Failure {
    /// A failure that is final.
    pub fn fatal(error: Error) -> Failure {
        Failure {
            error,
            retryable: false,
            retry_after: None,
        }
    }
}

impl RetryPolicy {
    fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.base_delay)
            .with_max_delay(self.max_delay.max(self.base_delay))
            .with_factor(2.0)
            .with_max_times(self.max_retries)
            .with_jitter()
    }

    /// Runs `attempt` until it succeeds, fails for good, or the retries run out.
    ///
    /// The wait before a retry is the server's `Retry-After` when it sent one (and it is no
    /// longer than `max_retry_after`), otherwise the next exponential backoff delay with jitter.
    pub async fn run<T, F, Fut>(&self, attempt: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        let cap = self.max_retry_after;
        attempt
            .retry(self.backoff())
            .sleep(tokio::time::sleep)
            .when(|f: &Failure| f.retryable)
            .adjust(move |f: &Failure, backoff: Option<Duration>| {
                let backoff = backoff?;
                match f.retry_after {
                    Some(wait) if wait > cap => None,
                    Some(wait) => Some(wait),
                    None => Some(backoff),
                }
            })
            .await
            .map_err(|f| f.error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn fast(max_retries: usize) -> RetryPolicy {
        RetryPolicy {
            max_retries,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            max_retry_after: Duration::from_secs(1),
        }
    }

    fn transient() -> Failure {
        Failure {
            error: Error::Api {
                status: 503,
                message: "busy".into(),
            },
            retryable: true,
            retry_after: None,
        }
    }

    #[tokio::test]
    async fn retries_are_bounded() {
        let calls = AtomicUsize::new(0);
        let r: Result<(), Error> = fast(3)
            .run(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(transient())
            })
            .await;
        assert!(matches!(r, Err(Error::Api { status: 503, .. })));
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn a_fatal_failure_is_not_retried() {
        let calls = AtomicUsize::new(0);
        let r: Result<(), Error> = fast(3)
            .run(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(Failure::fatal(Error::Unauthorized {
                    message: "no".into(),
                }))
            })
            .await;
        assert!(matches!(r, Err(Error::Unauthorized { .. })));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_retry_after_longer_than_the_cap_ends_the_retries() {
        let calls = AtomicUsize::new(0);
        let r: Result<(), Error> = fast(3)
            .run(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(Failure {
                    error: Error::RateLimited {
                        retry_after: Some(Duration::from_secs(3600)),
                    },
                    retryable: true,
                    retry_after: Some(Duration::from_secs(3600)),
                })
            })
            .await;
        assert!(matches!(r, Err(Error::RateLimited { .. })));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn success_after_transient_failures() {
        let calls = AtomicUsize::new(0);
        let r = fast(3)
            .run(|| async {
                if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                    Err(transient())
                } else {
                    Ok(7)
                }
            })
            .await;
        assert_eq!(r.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }
}
