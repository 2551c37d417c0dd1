'use strict'
// Host exit and host signals (CONTRACT §6, §14; README "Host signals").
//
// Exit: every function process group of this process is SIGKILLed (the last
// resort: nothing can wait any more). In a worker thread, only that thread's
// runtimes are shut down (the native side also does it when the thread's
// environment is torn down, e.g. on worker.terminate()).
// Signals (main thread; workers get none): runtimes with `handleSignals`
// (the default) close — SIGTERM, killGraceMs, SIGKILL, calls resolve
// CANCELLED — then the signal is re-raised if ours was the only handler.

const { isMainThread } = require('node:worker_threads')
const native = require('../binding.js')

const liveRuntimes = new Set()
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP']
const signalHandlers = {}

function onExit() {
  if (isMainThread) native.killAllProcessGroups()
  else for (const rt of liveRuntimes) rt._shutdownNow()
}

function onSignal(sig) {
  const alone = process.listenerCount(sig) === 1
  const closing = [...liveRuntimes].filter((rt) => rt._handlesSignals).map((rt) => rt.close())
  Promise.allSettled(closing).then(() => {
    // Alone on this signal, we must not swallow it: restore the default and
    // re-raise, so the host dies of it exactly as it would without us.
    if (alone) {
      removeSignalHooks()
      process.kill(process.pid, sig)
    }
  })
}

function syncHooks() {
  process.removeListener('exit', onExit)
  if (liveRuntimes.size > 0) process.on('exit', onExit)
  const signals = isMainThread && [...liveRuntimes].some((rt) => rt._handlesSignals)
  if (!signals) return removeSignalHooks()
  for (const sig of SIGNALS) {
    if (signalHandlers[sig]) continue
    const handler = () => onSignal(sig)
    try {
      process.on(sig, handler)
      signalHandlers[sig] = handler
    } catch {
      // Hosts without this signal (Windows for SIGHUP) just skip it.
    }
  }
}

function removeSignalHooks() {
  for (const [sig, handler] of Object.entries(signalHandlers)) {
    process.removeListener(sig, handler)
    delete signalHandlers[sig]
  }
}

function registerRuntime(rt) {
  liveRuntimes.add(rt)
  syncHooks()
}

function unregisterRuntime(rt) {
  liveRuntimes.delete(rt)
  syncHooks()
}

module.exports = { registerRuntime, unregisterRuntime }
