//! CPU time of this process (`getrusage`) and of a child (`/proc/PID/stat`).

use std::time::Duration;

use nix::sys::resource::{UsageWho, getrusage};

/// Clock ticks per second of `/proc/PID/stat`. NOTE: 100 on every Linux build in common use; read with
/// `sysconf(_SC_CLK_TCK)` if this bench ever runs elsewhere.
const CLOCK_TICKS: u64 = 100;

/// User plus system CPU time of this process so far, from `getrusage(RUSAGE_SELF)`.
pub(crate) fn own_cpu() -> Duration {
    let Ok(usage) = getrusage(UsageWho::RUSAGE_SELF) else { return Duration::ZERO };
    let to_duration = |time: nix::sys::time::TimeVal| {
        Duration::from_secs(u64::try_from(time.tv_sec()).unwrap_or(0))
            + Duration::from_micros(u64::try_from(time.tv_usec()).unwrap_or(0))
    };
    to_duration(usage.user_time()) + to_duration(usage.system_time())
}

/// User plus system CPU time of process `pid` so far, at 10 ms resolution; zero when it cannot be read.
pub(crate) fn process_cpu(pid: u32) -> Duration {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return Duration::ZERO };
    // The command name in field 2 may contain spaces; the fields after its closing parenthesis are plain.
    let Some((_, rest)) = stat.rsplit_once(')') else { return Duration::ZERO };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, so utime (14) and stime (15) are at indices 11 and 12.
    let ticks: u64 = [11, 12].iter().filter_map(|&index| fields.get(index)?.parse::<u64>().ok()).sum();
    Duration::from_millis(ticks * 1000 / CLOCK_TICKS)
}
