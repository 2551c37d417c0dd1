//! One warm worker process (CONTRACT §10, worker protocol): started through
//! `crate::sandbox::spawn` like a one-shot process (inside the function's
//! sandbox when it has one, with a temp dir of its own for its life),
//! ready once it writes `{"alyx":"ready"}`, then one call at a time: a request line in, a
//! response line out, stderr up to the `{"alyx":"end"}` marker to the call.

use std::future::Future;
use std::time::Duration;

use tokio::process::{ChildStderr, ChildStdin, ChildStdout};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::lines::{Line, LineReader};
use super::liveness::exited_unreaped;
use super::turn::{probe, turn_io};
use crate::invoke::capture::{Capture, LogSink};
use crate::invoke::plan::{LaunchPlan, RequestParts};
use crate::invoke::redact::Redactor;
use crate::invoke::supervise::{supervise_turn, Limits, Supervised};
use crate::logs::STDERR_RETAIN_BYTES;
use crate::outcome::{Code, ErrorInfo};
use crate::process::{Exit, Process, Spec};
use crate::sandbox::CallTemp;

/// Start-up output kept for the next call: the most recent bytes.
const PENDING_BYTES: usize = 64 * 1024;

pub(crate) struct Worker {
    process: Process,
    stdin: Option<ChildStdin>,
    stdout: LineReader<ChildStdout>,
    stderr: LineReader<ChildStderr>,
    /// Lines written while no call ran: they go to the next call.
    pending_stdout: Vec<Vec<u8>>,
    pending_stderr: Vec<Vec<u8>>,
    /// Which version of the function's files it was started from.
    pub generation: u64,
    pub served: u64,
    pub idle_since: Instant,
    /// Ready for a call: a worker once it wrote its ready line, a standby
    /// process once it waits on stdin (`super::boot`).
    pub booted: bool,
}

/// How one call on a worker went.
pub(crate) enum Turn {
    /// The worker answered and is still running: the capture holds the
    /// response as the last stdout line.
    Answered(Capture),
    /// The worker was stopped (a limit) or died: a one-shot shaped end;
    /// `answered` when its response line had come.
    Ended { run: Supervised, capture: Capture, answered: bool },
    /// The response line carried another call's `request_id`.
    Foreign(String, Capture),
}

impl Worker {
    pub fn pid(&self) -> i32 {
        self.process.pid()
    }

    /// Starts a worker and waits for its ready line, at most `within`.
    pub async fn start(
        plan: &LaunchPlan,
        within: Duration,
        cancel: &CancellationToken,
        generation: u64,
    ) -> Result<Worker, ErrorInfo> {
        let mut worker = Worker::spawn(plan, generation, CallTemp::EachCall)?;
        match worker.handshake(within, cancel).await {
            Ok(()) => {
                worker.booted = true;
                Ok(worker)
            }
            Err(reason) => Err(worker.start_failed(reason).await),
        }
    }

    /// Starts the process of a worker (`start`) or of a standby process: a
    /// one-shot process that will block on stdin until a call hands it a
    /// request (`into_process`). `temp`: where its `TMPDIR` points when it
    /// is sandboxed.
    pub fn spawn(plan: &LaunchPlan, generation: u64, temp: CallTemp) -> Result<Worker, ErrorInfo> {
        let spec = Spec { program: &plan.program, args: &plan.args, cwd: &plan.cwd, env: &plan.env };
        // Inside the function's sandbox when it has one (CONTRACT §11).
        let mut process = crate::sandbox::spawn(&spec, plan.sandbox.as_ref(), temp).map_err(|e| match e {
            crate::sandbox::SpawnError::Unavailable(m) => ErrorInfo::new(Code::SandboxUnavailable, m),
            crate::sandbox::SpawnError::Io(e) => {
                ErrorInfo::new(Code::SpawnFailed, format!("could not start {}: {e}", plan.program.display()))
            }
        })?;
        Ok(Worker {
            stdin: process.stdin.take(),
            stdout: LineReader::new(process.stdout.take().expect("piped")),
            stderr: LineReader::new(process.stderr.take().expect("piped")),
            process,
            pending_stdout: Vec::new(),
            pending_stderr: Vec::new(),
            generation,
            served: 0,
            idle_since: Instant::now(),
            booted: false,
        })
    }

    /// A standby process, whole again, for the one-shot path.
    pub fn into_process(self) -> Process {
        let Worker { mut process, stdin, stdout, stderr, .. } = self;
        process.stdin = stdin;
        process.stdout = Some(stdout.into_inner());
        process.stderr = Some(stderr.into_inner());
        process
    }

    /// Reads until the ready line; keeps what came before it for the next call.
    async fn handshake(&mut self, within: Duration, cancel: &CancellationToken) -> Result<(), String> {
        let deadline = Instant::now() + within;
        let mut stderr_open = true;
        loop {
            tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err("the runtime closed while it started".into()),
                _ = tokio::time::sleep_until(deadline) => {
                    return Err(format!("it did not write {{\"alyx\":\"ready\"}} within {} ms", within.as_millis()))
                }
                line = self.stdout.next(PENDING_BYTES) => match line {
                    None => return Err("it closed stdout before writing {\"alyx\":\"ready\"}".into()),
                    Some(Line::Whole(l)) if probe(&l).is_some_and(|p| p.alyx.as_deref() == Some("ready")) => return Ok(()),
                    Some(l) => keep(&mut self.pending_stdout, l.bytes()),
                },
                line = self.stderr.next(STDERR_RETAIN_BYTES), if stderr_open => match line {
                    None => stderr_open = false,
                    Some(l) => keep(&mut self.pending_stderr, l.bytes()),
                },
            }
        }
    }

    /// Kills a worker that failed to start; the error carries its stderr tail.
    async fn start_failed(mut self, reason: String) -> ErrorInfo {
        // What it printed on its way down says why.
        let _ = tokio::time::timeout(Duration::from_millis(200), async {
            while let Some(l) = self.stderr.next(STDERR_RETAIN_BYTES).await {
                keep(&mut self.pending_stderr, l.bytes());
            }
        })
        .await;
        // A worker that closed stdout is usually exiting: say how it ended.
        let exited = tokio::time::timeout(Duration::from_millis(300), self.process.exited()).await.is_ok();
        let status = self.process.reap().ok().filter(|_| exited);
        let how = match status {
            Some(Exit::Code(c)) => format!("it exited with code {c}; "),
            Some(Exit::Signal(s)) => format!("it died of {}; ", crate::process::group::signal_name(s)),
            None => String::new(),
        };
        let tail: Vec<String> = self.pending_stderr.iter().map(|l| String::from_utf8_lossy(l).into_owned()).collect();
        let message = format!(
            "warm worker did not start: {how}{reason}. A worker must speak the worker protocol \
             (docs/PROTOCOL.md): use an Alyx SDK's handler(), or write {{\"alyx\":\"ready\"}} on stdout, \
             then answer each request line with one response line carrying its request_id"
        );
        let mut details = serde_json::Map::new();
        details.insert("stderr".into(), tail.join("\n").into());
        ErrorInfo { details: Some(details), ..ErrorInfo::new(Code::WorkerStartFailed, message) }
    }

    /// Serves one call: writes the request line, reads stdout to the
    /// response line and stderr to the end marker, under `limits`.
    pub async fn serve(
        &mut self,
        request: RequestParts,
        request_id: &str,
        limits: &Limits,
        max_output: usize,
        on_log: Option<&LogSink>,
        redactor: &Redactor,
    ) -> Turn {
        let mut capture = Capture::new();
        let mut foreign = None;
        let mut answered = false;
        for line in std::mem::take(&mut self.pending_stdout) {
            capture.stdout.extend_from_slice(&line);
            capture.stdout.push(b'\n');
        }
        let mut early = Vec::new();
        for line in std::mem::take(&mut self.pending_stderr) {
            early.push(capture.stderr_line(&String::from_utf8_lossy(&line), line.len() + 1, redactor));
        }
        if let (Some(sink), false) = (on_log, early.is_empty()) {
            let _ = sink.send(early).await;
        }
        let Worker { process, stdin, stdout, stderr, .. } = self;
        let io = turn_io(
            stdin,
            stdout,
            stderr,
            request,
            request_id,
            max_output,
            on_log,
            redactor,
            &mut capture,
            (&mut foreign, &mut answered),
        );
        let ended = supervise_turn(process, io, limits).await;
        match (ended, foreign) {
            (Some(run), _) => Turn::Ended { run, capture, answered },
            (None, Some(id)) => Turn::Foreign(id, capture),
            (None, None) => Turn::Answered(capture),
        }
    }

    /// True once the process has exited (it stays unreaped until dropped),
    /// as far as the event loop has seen: polled once, without waiting or a
    /// syscall (a worker call's path; a worker that died since is replaced
    /// after its call).
    pub fn is_dead(&self) -> bool {
        let exited = self.process.exited();
        let mut exited = std::pin::pin!(exited);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        exited.as_mut().poll(&mut cx).is_ready()
    }

    /// `is_dead`, and the kernel asked too (a standby process is handed its
    /// request only if it still lives: CONTRACT §10).
    pub fn is_dead_now(&self) -> bool {
        self.is_dead() || exited_unreaped(self.pid())
    }

    /// Makes the temp dir of the call about to be served (sandboxed
    /// workers only; `PrivateTemp::call_dir`).
    pub fn begin_call(&self) -> std::io::Result<()> {
        self.process.private_temp.as_ref().map_or(Ok(()), |t| t.begin_call())
    }

    /// Removes what the last call left in the worker's private temp dir,
    /// its call dir included (sandboxed workers only). The directory itself
    /// stays: the worker's Landlock rule is bound to it (SECURITY.md).
    pub fn empty_temp(&self) -> std::io::Result<()> {
        self.process.private_temp.as_ref().map_or(Ok(()), |t| t.empty())
    }

    /// Ends the worker the protocol's way: stdin closed, `grace` to exit,
    /// then its group is killed.
    pub async fn stop(mut self, grace: Duration) {
        drop(self.stdin.take());
        if tokio::time::timeout(grace, self.process.exited()).await.is_err() {
            self.process.terminate(Duration::ZERO).await;
        }
        let _ = self.process.reap();
    }
}

/// Keeps a start-up line for the next call, within PENDING_BYTES.
fn keep(lines: &mut Vec<Vec<u8>>, line: &[u8]) {
    lines.push(line.to_vec());
    while lines.len() > 1 && lines.iter().map(Vec::len).sum::<usize>() > PENDING_BYTES {
        lines.remove(0);
    }
}
