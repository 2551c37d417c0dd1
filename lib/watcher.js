'use strict'
// The handle `FunctionRuntime.watch()` returns.

// Watchers stay strongly referenced until closed: Bun collects a native
// handle nobody references, silently stopping the watch.
const liveWatchers = new Set()

class Watcher {
  #native
  #closing = null
  #onClose

  constructor(nativeWatcher, onClose) {
    this.#native = nativeWatcher
    this.#onClose = onClose
    liveWatchers.add(this)
  }

  /** Stops watching; resolves once no further event can arrive. Idempotent. */
  close() {
    if (!this.#closing) {
      this.#closing = this.#native.close().finally(() => {
        liveWatchers.delete(this)
        this.#onClose(this)
      })
    }
    return this.#closing
  }
}

module.exports = { Watcher }
