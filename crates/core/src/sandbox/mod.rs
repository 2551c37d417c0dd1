//! The built-in sandbox (CONTRACT §11, SECURITY.md): a policy from the host
//! and the manifest, turned into per-process rules (each process has its own
//! temp dir), enforced with Landlock on a short-lived thread that restricts
//! itself and then spawns the function.
//! Landlock binds the calling thread and what it starts afterwards, so the
//! spawn keeps std's posix_spawn/vfork path (no `pre_exec`), and the host's
//! own threads stay unrestricted.

#[cfg(target_os = "linux")]
mod ahead;
mod call;
#[cfg(target_os = "linux")]
mod landlock;
mod policy;
mod rules;
#[cfg(target_os = "linux")]
mod spawner;
mod temp;

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

use serde::Serialize;

use crate::env::EnvMap;
use crate::function::FunctionDef;
use crate::outcome::ErrorInfo;
use crate::process::{Process, Spec};
pub use call::{dropped_paths, require};
pub use policy::{Network, SandboxOption, SandboxPolicy};
pub use rules::{effective, Rules};
pub(crate) use temp::PrivateTemp;

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

/// What a sandboxed process starts under (CONTRACT §11): the function's
/// effective policy and directory, and where private temp dirs go. Every
/// process started from it gets its own temp dir and rules (`spawn`): a
/// one-shot or standby process one per call, a warm worker one for its life.
#[derive(Debug, Clone, PartialEq)]
pub struct Confinement {
    pub policy: SandboxPolicy,
    pub dir: PathBuf,
    /// The host's TMPDIR (else /tmp): where the private temp dirs are made.
    pub temp_root: PathBuf,
}

impl Confinement {
    /// How `function`'s processes are confined, or `None` when it runs
    /// unsandboxed; `SANDBOX_UNAVAILABLE` when this system cannot enforce it.
    pub fn of(
        host: Option<&SandboxPolicy>,
        function: &FunctionDef,
        host_env: &EnvMap,
    ) -> Result<Option<Confinement>, ErrorInfo> {
        let Some(policy) = require(host, function)? else {
            return Ok(None);
        };
        let temp_root = host_env.get(OsStr::new("TMPDIR")).map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
        Ok(Some(Confinement { policy, dir: function.dir.clone(), temp_root }))
    }
}

/// The variables that point a process at its temp dir.
const TEMP_VARS: [&str; 3] = ["TMPDIR", "TMP", "TEMP"];

/// Where a sandboxed process's `TMPDIR` points (CONTRACT §11: a temp dir
/// per call).
#[derive(Clone, Copy)]
pub(crate) enum CallTemp {
    /// Its private temp dir: a one-shot or standby process serves one call.
    Process,
    /// A directory inside it made for each call (`PrivateTemp::call_dir`):
    /// a worker serves many.
    EachCall,
}

/// Spawns `spec`, inside `sandbox` when given. A sandboxed process gets a
/// fresh private temp dir (`TMPDIR`/`TMP`/`TEMP`, set over any other value,
/// to it or to its call dir as `temp` says) that the returned `Process`
/// owns: it is removed when the process is dropped, after its group is
/// killed and reaped. A thread of its own per process, restricted to the
/// process's rules, spawns it and ends; the temp dir and that thread are
/// usually made ahead (`ahead.rs`).
pub(crate) fn spawn(spec: &Spec, sandbox: Option<&Confinement>, temp: CallTemp) -> Result<Process, SpawnError> {
    match sandbox {
        None => Process::spawn(spec).map_err(SpawnError::Io),
        Some(sandbox) => spawn_confined(spec, sandbox, temp),
    }
}

#[cfg(target_os = "linux")]
fn spawn_confined(spec: &Spec, sandbox: &Confinement, kind: CallTemp) -> Result<Process, SpawnError> {
    let key = ahead::Key::of(sandbox, spec.program);
    let ahead::Ready { temp, spawner, .. } = ahead::take_or_prepare(key)?;
    let tmpdir = match kind {
        CallTemp::Process => temp.path().to_path_buf(),
        CallTemp::EachCall => {
            temp.begin_call().map_err(SpawnError::Io)?;
            temp.call_dir()
        }
    };
    let mut env: Vec<(OsString, OsString)> =
        spec.env.iter().filter(|(k, _)| !TEMP_VARS.iter().any(|t| k == t)).cloned().collect();
    env.extend(TEMP_VARS.map(|k| (k.into(), tmpdir.clone().into())));
    // Process::spawn registers the pipes and the exit watch with tokio.
    let runtime = tokio::runtime::Handle::current();
    let (program, args, cwd) = (spec.program.to_path_buf(), spec.args.to_vec(), spec.cwd.to_path_buf());
    let spawned = spawner.run(move || {
        let _runtime = runtime.enter();
        Process::spawn(&Spec { program: &program, args: &args, cwd: &cwd, env: &env })
    });
    let mut process = spawned.and_then(|r| r).map_err(SpawnError::Io)?;
    process.private_temp = Some(temp);
    Ok(process)
}

#[cfg(not(target_os = "linux"))]
fn spawn_confined(_spec: &Spec, _sandbox: &Confinement, _temp: CallTemp) -> Result<Process, SpawnError> {
    Err(SpawnError::Unavailable("the sandbox needs Linux with Landlock (ABI ≥ 6)".into()))
}

/// Landlock is here (tests): a skip is loud, and a failure under CI=true.
#[cfg(all(test, target_os = "linux"))]
pub(crate) fn landlock_here() -> bool {
    let available = support().available;
    if !available {
        assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "CI=true and no Landlock ABI ≥ 6");
        eprintln!("!!!!! SKIPPING: no Landlock ABI ≥ 6 here !!!!!");
    }
    available
}

/// Drops the spawns prepared ahead (their temp dirs go): when a runtime
/// closes and at host exit.
pub fn forget_prepared() {
    #[cfg(target_os = "linux")]
    ahead::forget();
}
