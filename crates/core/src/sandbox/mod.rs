//! The built-in sandbox (CONTRACT §11, SECURITY.md): a policy from the host
//! and the manifest, turned into per-call rules, enforced with Landlock on
//! a short-lived thread that restricts itself and then spawns the function.
//! Landlock binds the calling thread and what it starts afterwards, so the
//! spawn keeps std's posix_spawn/vfork path (no `pre_exec`), and the host's
//! own threads stay unrestricted.

mod call;
#[cfg(target_os = "linux")]
mod landlock;
mod policy;
mod rules;
#[cfg(target_os = "linux")]
mod spawner;
mod temp;

use serde::Serialize;

use crate::process::{Process, Spec};
pub use call::{dropped_paths, require, CallSandbox};
pub use policy::{Network, SandboxOption, SandboxPolicy};
pub use rules::{effective, Rules};

/// `FunctionRuntime.sandboxSupport()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Support {
    /// Sandboxed calls can run here (Linux, Landlock ABI ≥ 6).
    pub available: bool,
    /// The kernel's Landlock ABI; 0 when there is none.
    pub abi: i32,
    /// TCP connect/bind rules (ABI ≥ 4).
    pub network: bool,
    /// Signal and abstract Unix socket scoping (ABI ≥ 6).
    pub scoping: bool,
}

/// Asked of the kernel once: its Landlock ABI does not change while we run.
pub fn support() -> Support {
    static SUPPORT: std::sync::OnceLock<Support> = std::sync::OnceLock::new();
    *SUPPORT.get_or_init(|| {
        #[cfg(target_os = "linux")]
        let abi = landlock::abi_version();
        #[cfg(not(target_os = "linux"))]
        let abi = 0;
        Support { available: abi >= 6, abi, network: abi >= 4, scoping: abi >= 6 }
    })
}

/// Why a sandboxed spawn did not happen.
#[derive(Debug)]
pub enum SpawnError {
    /// The OS cannot enforce the rules: `SANDBOX_UNAVAILABLE`.
    Unavailable(String),
    /// The OS refused to start the program: `SPAWN_FAILED`.
    Io(std::io::Error),
}

/// Spawns `spec` under `rules`, or as usual without them. A thread of its
/// own per sandboxed call (rules differ per call: each has its own temp
/// dir; made ahead, see `spawner.rs`) restricts itself, spawns, and ends;
/// the caller waits for it (about as long as the spawn itself takes).
pub(crate) fn spawn(spec: &Spec, rules: Option<&Rules>) -> Result<Process, SpawnError> {
    let Some(rules) = rules else {
        return Process::spawn(spec).map_err(SpawnError::Io);
    };
    spawn_restricted(spec, rules)
}

#[cfg(target_os = "linux")]
fn spawn_restricted(spec: &Spec, rules: &Rules) -> Result<Process, SpawnError> {
    // Process::spawn registers the pipes and the exit watch with tokio.
    let runtime = tokio::runtime::Handle::current();
    let (program, args, cwd) = (spec.program.to_path_buf(), spec.args.to_vec(), spec.cwd.to_path_buf());
    let (env, rules) = (spec.env.to_vec(), rules.clone());
    spawner::on_fresh_thread(move || {
        let _runtime = runtime.enter();
        landlock::restrict_current_thread(&rules).map_err(SpawnError::Unavailable)?;
        Process::spawn(&Spec { program: &program, args: &args, cwd: &cwd, env: &env }).map_err(SpawnError::Io)
    })
    .unwrap_or_else(|e| Err(SpawnError::Io(e)))
}

#[cfg(not(target_os = "linux"))]
fn spawn_restricted(_spec: &Spec, _rules: &Rules) -> Result<Process, SpawnError> {
    Err(SpawnError::Unavailable("the sandbox needs Linux with Landlock (ABI ≥ 6)".into()))
}
