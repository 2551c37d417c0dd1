//! Launch: a `LaunchPlan` → a started process with the request on its way
//! into stdin: a fresh process (one-shot), or a standby one started ahead
//! (`feed`). A warm worker answering one request line is the second
//! launcher (`crate::warm`): it hands supervise and classify the same shapes.
//! Every function process is started by `crate::sandbox::spawn`.

use std::io;

use tokio::io::AsyncWriteExt;
use tokio::process::{ChildStderr, ChildStdout};
use tokio::task::JoinHandle;

use super::plan::{LaunchPlan, RequestParts};
use crate::outcome::{Code, ErrorInfo};
use crate::process::{Process, Spec};
use crate::sandbox::{CallTemp, SpawnError};

/// A started function: its process and its output pipes. Stdin is written
/// on its own task while stdout and stderr drain, so no payload size can
/// deadlock; a function that never reads it is fine.
pub(crate) struct Launched {
    pub process: Process,
    pub stdout: ChildStdout,
    pub stderr: ChildStderr,
    pub writer: Writer,
}

/// The stdin writer; stopped when the call is over.
pub(crate) struct Writer(JoinHandle<()>);

impl Drop for Writer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts a fresh process for one call, through the sandbox spawner when
/// the call has sandbox rules (`crate::sandbox::spawn`: the one place a
/// function is spawned).
pub(crate) fn oneshot(plan: &LaunchPlan, request: RequestParts) -> Result<Launched, ErrorInfo> {
    let spec = Spec { program: &plan.program, args: &plan.args, cwd: &plan.cwd, env: &plan.env };
    let process = crate::sandbox::spawn(&spec, plan.sandbox.as_ref(), CallTemp::Process).map_err(|e| match e {
        SpawnError::Unavailable(message) => ErrorInfo::new(Code::SandboxUnavailable, message),
        SpawnError::Io(e) => ErrorInfo::new(
            Code::SpawnFailed,
            format!("could not start {}: {}", plan.program.display(), spawn_reason(&e)),
        ),
    })?;
    Ok(feed(process, request))
}

/// Hands one call's request to a started process (fresh, or a standby one
/// started ahead, CONTRACT §10): stdin is written on its own task, then closed.
pub(crate) fn feed(mut process: Process, request: RequestParts) -> Launched {
    let stdin = process.stdin.take();
    let writer = tokio::spawn(async move {
        if let Some(mut stdin) = stdin {
            let _ = request.write_to(&mut stdin).await;
            let _ = stdin.shutdown().await;
        }
    });
    let stdout = process.stdout.take().expect("piped");
    let stderr = process.stderr.take().expect("piped");
    Launched { process, stdout, stderr, writer: Writer(writer) }
}

fn spawn_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::PermissionDenied => format!("{e} (is the file executable?)"),
        io::ErrorKind::NotFound => format!("{e} (missing program, or a bad interpreter in its #! line)"),
        _ => e.to_string(),
    }
}
