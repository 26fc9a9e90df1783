//! How busy the machine was apart from the benchmark: CPU time from `/proc/stat` minus the CPU
//! time of the processes we own (the bench and the server), so a figure taken while someone
//! else compiles says so. Linux only; elsewhere the figures are simply absent.

use std::time::Instant;

/// Cumulative CPU ticks at one instant.
#[derive(Clone, Debug)]
pub struct CpuSnapshot {
    at: Instant,
    busy: u64,
    total: u64,
    ours: Vec<u64>,
}

/// Reads the machine's and `pids`' CPU ticks (`/proc/stat` and `/proc/<pid>/stat`).
pub fn snapshot(pids: &[u32]) -> Option<CpuSnapshot> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let cpu: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let field = |i: usize| cpu.get(i).copied().unwrap_or(0);
    let idle = field(3) + field(4);
    let busy = field(0) + field(1) + field(2) + field(5) + field(6) + field(7);
    let mut ours = Vec::with_capacity(pids.len());
    for pid in pids {
        let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
        let rest: Vec<&str> = s.rsplit_once(')')?.1.split_whitespace().collect();
        ours.push(rest.get(11)?.parse::<u64>().ok()? + rest.get(12)?.parse::<u64>().ok()?);
    }
    Some(CpuSnapshot {
        at: Instant::now(),
        busy,
        total: busy + idle,
        ours,
    })
}

/// CPU use between two snapshots, in cores (2.0 = two cores fully busy): each of the given
/// pids, in their order, and everything else on the machine.
#[derive(Clone, Debug)]
pub struct CpuUse {
    pub pids: Vec<f64>,
    pub others: f64,
}

pub fn between(a: &CpuSnapshot, b: &CpuSnapshot) -> Option<CpuUse> {
    let total = b.total.checked_sub(a.total)? as f64;
    let secs = b.at.duration_since(a.at).as_secs_f64();
    if total <= 0.0 || secs <= 0.0 {
        return None;
    }
    let cores = cores() as f64;
    let busy = b.busy.saturating_sub(a.busy) as f64;
    let pids: Vec<f64> = (b.ours.iter().zip(&a.ours))
        .map(|(b, a)| b.saturating_sub(*a) as f64)
        .collect();
    let ours: f64 = pids.iter().sum();
    Some(CpuUse {
        pids: pids.iter().map(|t| t / total * cores).collect(),
        others: (busy - ours).max(0.0) / total * cores,
    })
}

pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The 1-, 5- and 15-minute load averages, as `/proc/loadavg` shows them.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

/// The resident set of a process in MiB (`VmRSS`), 0 when it cannot be read.
pub fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// The peak resident set of a process so far in MiB (`VmHWM`), 0 when it cannot be read.
pub fn peak_rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// CPU time (user + system) a process has used so far, in seconds; 0 when it cannot be read.
pub fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) as f64 / clock_ticks_per_second()
}

/// `sysconf(_SC_CLK_TCK)`: 100 on Linux (the kernel's USER_HZ on every architecture it exports
/// through /proc).
fn clock_ticks_per_second() -> f64 {
    100.0
}
