//! The load generator: `clients` tasks, each with its own HTTP connection, send requests for a
//! warm-up and then a measured window, either back to back (closed loop) or paced. Only requests
//! that complete inside the measured window count, so the rate is `count / window` and requests
//! in flight at either edge are not counted.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long one phase runs, and the most requests it records (a bound on time and memory).
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub warmup: Duration,
    pub measure: Duration,
    pub max_requests: u64,
}

/// What one phase measured: successes with their latencies, and failures.
#[derive(Debug)]
pub struct Stats {
    pub ok: u64,
    pub errors: u64,
    pub elapsed: Duration,
    /// Latencies of the successful requests, in microseconds, sorted.
    latencies_us: Vec<u64>,
}

impl Stats {
    /// Successful requests per second over the measured window.
    pub fn per_sec(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.ok as f64 / secs
        } else {
            0.0
        }
    }

    /// The latency at percentile `p` (0-100), nearest rank; zero when nothing succeeded.
    pub fn percentile(&self, p: f64) -> Duration {
        if self.latencies_us.is_empty() {
            return Duration::ZERO;
        }
        let n = self.latencies_us.len();
        let rank = ((p / 100.0) * n as f64).ceil() as usize;
        Duration::from_micros(self.latencies_us[rank.clamp(1, n) - 1])
    }

    pub fn max(&self) -> Duration {
        Duration::from_micros(self.latencies_us.last().copied().unwrap_or(0))
    }
}

/// A client that only ever talks to the address it is given: no proxies from the environment,
/// no redirects, one connection per client, and a timeout so a phase always ends.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(1)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a plain HTTP client builds")
}

/// Runs `op` on `clients` concurrent tasks for `window`; `op` gets the task's own client and
/// returns whether the request succeeded. With `rate: None` each task sends its next request as
/// soon as the last one is answered (a closed loop: saturation, latency = queueing). With
/// `Some(r)` the tasks together send `r` requests a second on a fixed schedule, and latency is
/// measured from the scheduled send time, so a stalled server is not hidden by the client
/// waiting for it (no coordinated omission).
pub async fn run_load<F, Fut>(clients: usize, window: Window, rate: Option<f64>, op: F) -> Stats
where
    F: Fn(reqwest::Client) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send + 'static,
{
    let op = Arc::new(op);
    let start = Instant::now();
    let measure_from = start + window.warmup;
    let end = measure_from + window.measure;
    let recorded = Arc::new(AtomicU64::new(0));
    let period = rate.map(|r| Duration::from_secs_f64(clients as f64 / r.max(1e-3)));
    let tasks: Vec<_> = (0..clients)
        .map(|i| {
            let (op, recorded, client) = (op.clone(), recorded.clone(), http_client());
            // Paced tasks are spread evenly over one period.
            let mut next = start + period.map_or(Duration::ZERO, |p| p * i as u32 / clients as u32);
            tokio::spawn(async move {
                let (mut latencies, mut errors) = (Vec::new(), 0u64);
                loop {
                    let t0 = match period {
                        Some(p) => {
                            tokio::time::sleep_until(next.into()).await;
                            let due = next;
                            next += p;
                            due
                        }
                        None => Instant::now(),
                    };
                    if t0 >= end || recorded.load(Ordering::Relaxed) >= window.max_requests {
                        break;
                    }
                    let ok = op(client.clone()).await;
                    let t1 = Instant::now();
                    if t1 < measure_from || t1 > end {
                        continue;
                    }
                    recorded.fetch_add(1, Ordering::Relaxed);
                    if ok {
                        latencies.push((t1 - t0).as_micros() as u64);
                    } else {
                        errors += 1;
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let (mut latencies_us, mut errors) = (Vec::new(), 0);
    for task in tasks {
        let (l, e) = task.await.expect("a load task does not panic");
        latencies_us.extend(l);
        errors += e;
    }
    let stopped = Instant::now().min(end);
    latencies_us.sort_unstable();
    Stats {
        ok: latencies_us.len() as u64,
        errors,
        elapsed: stopped.saturating_duration_since(measure_from),
        latencies_us,
    }
}

/// Formats a duration as milliseconds with a precision that suits its size.
pub fn ms(d: Duration) -> String {
    let v = d.as_secs_f64() * 1000.0;
    if v < 10.0 {
        format!("{v:.2} ms")
    } else if v < 100.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.0} ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let s = Stats {
            ok: 100,
            errors: 0,
            elapsed: Duration::from_secs(2),
            latencies_us: (1..=100).collect(),
        };
        assert_eq!(s.percentile(50.0), Duration::from_micros(50));
        assert_eq!(s.percentile(99.0), Duration::from_micros(99));
        assert_eq!(s.percentile(100.0), Duration::from_micros(100));
        assert_eq!(s.percentile(0.0), Duration::from_micros(1));
        assert_eq!(s.max(), Duration::from_micros(100));
        assert_eq!(s.per_sec(), 50.0);
    }
}
