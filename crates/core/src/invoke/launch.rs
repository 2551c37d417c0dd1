//! Launch: a `LaunchPlan` → a started process with the request on its way
//! into stdin. Today every call starts a fresh process (one-shot); a warm
//! worker answering one request line is the second launcher this seam is
//! for: it hands supervise and classify the same `Launched` shape.

use std::io;

use tokio::io::AsyncWriteExt;
use tokio::process::{ChildStderr, ChildStdout};
use tokio::task::JoinHandle;

use super::plan::{LaunchPlan, RequestParts};
use crate::outcome::{Code, ErrorInfo};
use crate::process::{Process, Spec};
use crate::sandbox::SpawnError;

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
    let mut process = crate::sandbox::spawn(&spec, plan.sandbox.as_ref()).map_err(|e| match e {
        SpawnError::Unavailable(message) => ErrorInfo::new(Code::SandboxUnavailable, message),
        SpawnError::Io(e) => ErrorInfo::new(
            Code::SpawnFailed,
            format!("could not start {}: {}", plan.program.display(), spawn_reason(&e)),
        ),
    })?;
    let stdin = process.stdin.take();
    let writer = tokio::spawn(async move {
        if let Some(mut stdin) = stdin {
            let _ = async {
                stdin.write_all(&request.head).await?;
                stdin.write_all(request.input.get().as_bytes()).await?;
                stdin.write_all(&request.tail).await
            }
            .await;
            let _ = stdin.shutdown().await;
        }
    });
    let stdout = process.stdout.take().expect("piped");
    let stderr = process.stderr.take().expect("piped");
    Ok(Launched { process, stdout, stderr, writer: Writer(writer) })
}

fn spawn_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::PermissionDenied => format!("{e} (is the file executable?)"),
        io::ErrorKind::NotFound => format!("{e} (missing program, or a bad interpreter in its #! line)"),
        _ => e.to_string(),
    }
}
