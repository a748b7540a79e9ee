//! Machine and process readings from `/proc` (Linux): quietness checks, CPU use, peak RSS.

use std::time::Duration;

use serde::Serialize;

/// Aggregate CPU counters of `/proc/stat` (clock ticks).
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuTimes {
    total: u64,
    idle: u64,
    steal: u64,
}

/// Reads the `cpu` line of `/proc/stat`.
pub fn cpu_times() -> CpuTimes {
    let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = text.lines().find(|l| l.starts_with("cpu ")) else {
        return CpuTimes::default();
    };
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let get = |i: usize| v.get(i).copied().unwrap_or(0);
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let total: u64 = (0..8).map(get).sum();
    CpuTimes {
        total,
        idle: get(3) + get(4),
        steal: get(7),
    }
}

/// Machine CPU use between two readings, in percent of all cores.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct CpuUse {
    /// Busy (not idle, not I/O wait).
    pub busy_pct: f64,
    /// Stolen by the hypervisor.
    pub steal_pct: f64,
}

/// CPU use between `a` and `b`.
pub fn cpu_use(a: CpuTimes, b: CpuTimes) -> CpuUse {
    let total = b.total.saturating_sub(a.total).max(1) as f64;
    CpuUse {
        busy_pct: 100.0 * (total - b.idle.saturating_sub(a.idle) as f64) / total,
        steal_pct: 100.0 * b.steal.saturating_sub(a.steal) as f64 / total,
    }
}

/// CPU time (user + system) of a process, in clock ticks; 0 if unknown.
pub fn process_ticks(pid: u32) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The command name may contain spaces; fields resume after the last ')'.
    let rest = text.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After ')': state is field 3 (index 0), utime field 14 (index 11), stime 15 (index 12).
    let get = |i: usize| f.get(i).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
    get(11) + get(12)
}

/// CPU time (user + system) of this process's waited-for children, in clock ticks.
pub fn children_ticks() -> u64 {
    let text = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = text.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    // cutime is field 16 (index 13 after ')'), cstime field 17 (index 14).
    let get = |i: usize| f.get(i).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
    get(13) + get(14)
}

/// Clock ticks per second of `/proc` CPU counters (USER_HZ, 100 on Linux).
pub const TICKS_PER_SECOND: f64 = 100.0;

/// Total CPU ticks of all cores (for converting process ticks into a share of the machine).
pub fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Memory of a process from `/proc/PID/status`.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct ProcessMemory {
    /// Peak resident set (VmHWM), MiB.
    pub peak_rss_mib: f64,
    /// Current resident set (VmRSS), MiB.
    pub rss_mib: f64,
}

/// Reads VmHWM and VmRSS of a process.
pub fn process_memory(pid: u32) -> ProcessMemory {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib = |key: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    ProcessMemory {
        peak_rss_mib: kib("VmHWM:") / 1024.0,
        rss_mib: kib("VmRSS:") / 1024.0,
    }
}

/// One-minute load average.
pub fn loadavg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

/// A quietness check: load average and CPU use over a short idle sample.
#[derive(Debug, Clone, Serialize)]
pub struct Quiet {
    /// One-minute load average.
    pub loadavg_1m: f64,
    /// CPU use while this process idled.
    pub cpu: CpuUse,
    /// Human warnings; empty when the machine looked quiet.
    pub warnings: Vec<String>,
}

/// Samples the machine for `sample` and judges whether it is quiet enough to measure.
pub fn quiet_check(sample: Duration) -> Quiet {
    let a = cpu_times();
    std::thread::sleep(sample);
    let cpu = cpu_use(a, cpu_times());
    let load = loadavg();
    let mut warnings = Vec::new();
    let n = cores() as f64;
    if load > 0.5 * n {
        warnings.push(format!(
            "load average {load:.2} on {n} cores: other work is running, figures will be low and noisy"
        ));
    }
    if cpu.busy_pct > 15.0 {
        warnings.push(format!("machine {:.0}% busy before the run", cpu.busy_pct));
    }
    if cpu.steal_pct > 5.0 {
        warnings.push(format!(
            "{:.1}% CPU steal: the VM shares its cores",
            cpu.steal_pct
        ));
    }
    Quiet {
        loadavg_1m: load,
        cpu,
        warnings,
    }
}

/// A description of the machine for the result file.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// CPU model.
    pub cpu: String,
    /// Cores available to this process.
    pub cores: usize,
    /// Memory, GiB.
    pub memory_gib: f64,
    /// Kernel release.
    pub kernel: String,
}

/// Reads the machine description.
pub fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kib: f64 = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    Machine {
        cpu,
        cores: cores(),
        memory_gib: (mem_kib / 1024.0 / 1024.0 * 10.0).round() / 10.0,
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}
