//! Enforcing [`Rules`] with Landlock (Linux ≥ 6.12 for everything §11
//! asks): on the calling thread, which then spawns the function. Every
//! requested part is a hard requirement: a kernel that cannot enforce one
//! fails the call (`SANDBOX_UNAVAILABLE`), never runs it with less.

use std::path::Path;

use landlock::{
    Access, AccessFs, AccessNet, BitFlags, CompatLevel, Compatible, NetPort, PathBeneath, PathFd, Ruleset, RulesetAttr,
    RulesetCreatedAttr, RulesetStatus, Scope, ABI,
};

use super::policy::Network;
use super::rules::Rules;

/// The ABI every sandbox is built for: signal and abstract-socket scoping
/// arrived in 6; file and TCP rights of 1–5 are all included.
const BASE: ABI = ABI::V6;

/// Restricts the calling thread, for good, to `rules`; `no_new_privs` is
/// set on the way. Call only on a thread made for one spawn.
pub fn restrict_current_thread(rules: &Rules) -> Result<(), String> {
    let unavailable = |e: &dyn std::fmt::Display| format!("the kernel cannot enforce this sandbox: {e}");
    let mut ruleset = Ruleset::default()
        .set_compatibility(CompatLevel::HardRequirement)
        .handle_access(AccessFs::from_all(BASE))
        .map_err(|e| unavailable(&e))?;
    if rules.network != Network::Allowed {
        ruleset = ruleset.handle_access(AccessNet::BindTcp | AccessNet::ConnectTcp).map_err(|e| unavailable(&e))?;
    }
    let mut created = ruleset
        .scope(Scope::AbstractUnixSocket | Scope::Signal)
        .and_then(|r| r.create())
        .map_err(|e| unavailable(&e))?;
    for path in &rules.read {
        created = created.add_rule(beneath(path, AccessFs::from_read(BASE))?).map_err(|e| unavailable(&e))?;
    }
    for path in &rules.write {
        created = created.add_rule(beneath(path, AccessFs::from_all(BASE))?).map_err(|e| unavailable(&e))?;
    }
    if let Network::Ports(ports) = &rules.network {
        for port in ports {
            created = created.add_rule(NetPort::new(*port, AccessNet::ConnectTcp)).map_err(|e| unavailable(&e))?;
        }
    }
    let status = created.restrict_self().map_err(|e| unavailable(&e))?;
    if status.ruleset != RulesetStatus::FullyEnforced || !status.no_new_privs {
        return Err(format!("the kernel enforced this sandbox only partly ({:?})", status.ruleset));
    }
    Ok(())
}

/// A rule for `path`, with only the rights a non-directory can hold when
/// it is a file (`/dev/null`, the program).
fn beneath(path: &Path, access: BitFlags<AccessFs>) -> Result<PathBeneath<PathFd>, String> {
    let fd = PathFd::new(path).map_err(|e| format!("sandbox path {}: {e}", path.display()))?;
    let access = if path.is_dir() { access } else { access & AccessFs::from_file(BASE) };
    Ok(PathBeneath::new(fd, access))
}

/// The kernel's Landlock ABI version; 0 when Landlock is off or absent.
pub fn abi_version() -> i32 {
    const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;
    // SAFETY: with a null attribute pointer, size 0 and the VERSION flag,
    // landlock_create_ruleset only returns a number (or -1): no memory is
    // read or written and no file descriptor is created.
    let v = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    v.max(0) as i32
}
