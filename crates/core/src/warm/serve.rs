//! One call served by a warm worker (CONTRACT §10): taken in call order,
//! its turn on the worker's pipes, and the outcome a one-shot process would
//! have had; a fault stops only that worker, which its pool replaces.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::pool::Pool;
use super::worker::Turn;
use crate::invoke::capture::{Capture, LogSink, EXCERPT_BYTES};
use crate::invoke::classify::{classify, Finished, Terms};
use crate::invoke::plan::RequestParts;
use crate::invoke::supervise::{Limits, Supervised};
use crate::outcome::{Code, ErrorInfo};
use crate::process::Exit;

/// One call for a worker, made once a worker took it.
pub(crate) struct WarmCall<'a> {
    pub request: RequestParts,
    pub request_id: &'a str,
    /// The deadline counts from when a worker took the call.
    pub limits: Limits,
    pub max_output: usize,
    pub on_log: Option<&'a LogSink>,
    pub terms: Terms,
}

/// Runs one call on a worker of `pool`, taken in call order (`ticket`):
/// `begin` makes the call's request once a worker is there (its deadline
/// and token count from then, not from the wait). The outcome is the one a
/// one-shot process would have had, with `exitCode: null` while the worker
/// lives on. A fault stops only this worker; the pool replaces it.
pub(crate) async fn serve<'a>(
    pool: &Arc<Pool>,
    ticket: u64,
    cancel: &CancellationToken,
    begin: impl FnOnce() -> Result<WarmCall<'a>, ErrorInfo>,
) -> Result<Finished, ErrorInfo> {
    let mut worker = pool.acquire(ticket, cancel).await?;
    let pid = worker.pid();
    let call = match begin() {
        Ok(call) => call,
        Err(e) => {
            pool.release(Some(worker), pid, None);
            return Err(e);
        }
    };
    if let Err(e) = worker.begin_call() {
        drop(worker);
        let why = format!("a sandboxed worker's temp dir for the call could not be made: {e}");
        pool.release(None, pid, Some(format!("a worker was replaced: {why}")));
        return Err(ErrorInfo::new(Code::SpawnFailed, why));
    }
    let turn = worker
        .serve(call.request, call.request_id, &call.limits, call.max_output, call.on_log, &call.terms.redactor)
        .await;
    match turn {
        Turn::Answered(capture) => {
            let run = Supervised { stop: None, exit: Ok(Exit::Code(0)) };
            let mut finished = classify(run, capture, &call.terms);
            finished.exit_code = None;
            // CONTRACT §11: the call's temp dir is removed before `invoke`
            // resolves, with anything else the call left in the worker's
            // (a worker that cannot be cleaned is replaced).
            match worker.empty_temp() {
                Ok(()) => pool.release(Some(worker), pid, None),
                Err(e) => {
                    drop(worker);
                    pool.release(
                        None,
                        pid,
                        Some(format!("a worker was replaced: its temp dir could not be emptied: {e}")),
                    );
                }
            }
            Ok(finished)
        }
        Turn::Ended { run, capture, answered } => {
            let timed_out = run.stop == Some(crate::invoke::supervise::Stop::Timeout);
            let mut finished = classify(run, capture, &call.terms);
            if let (true, true, Some(error)) = (timed_out, answered, finished.error.as_mut()) {
                error.message = format!(
                    "function timed out after {} ms: the worker wrote its response but not the end marker \
                     {{\"alyx\":\"end\",\"request_id\":\"…\"}} on stderr, which must follow each call's logs \
                     (docs/PROTOCOL.md)",
                    call.terms.timeout.as_millis()
                );
            }
            let why = finished.error.as_ref().map_or("the worker exited".into(), |e| e.message.clone());
            drop(worker);
            pool.release(None, pid, Some(format!("a worker was replaced after a call: {why}")));
            Ok(finished)
        }
        Turn::Foreign(id, capture) => {
            drop(worker);
            let finished = foreign(&id, call.request_id, capture, &call.terms);
            pool.release(None, pid, Some(format!("a worker was replaced: {}", finished_message(&finished))));
            Ok(finished)
        }
    }
}

/// INVALID_OUTPUT for a response line naming another call.
fn foreign(got: &str, want: &str, capture: Capture, terms: &Terms) -> Finished {
    let message = format!(
        "worker's response line carries request_id {got:?}, not this call's {want:?}: each response must name the request it answers"
    );
    let stdout = terms.redactor.text(&String::from_utf8_lossy(&capture.stdout)).into_owned();
    let mut cut = stdout.len().min(EXCERPT_BYTES);
    while !stdout.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut details = serde_json::Map::new();
    details.insert("stdout".into(), stdout[..cut].into());
    details.insert("stderr".into(), capture.tail.text().into());
    let error = ErrorInfo { details: Some(details), ..ErrorInfo::new(Code::InvalidOutput, message) };
    Finished { logs: capture.stderr.into_entries(), ..Finished::failed(error) }
}

fn finished_message(f: &Finished) -> String {
    f.error.as_ref().map(|e| e.message.clone()).unwrap_or_default()
}
