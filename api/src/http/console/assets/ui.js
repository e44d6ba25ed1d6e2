// What every view shares: its lifetime (timers stop when you navigate away),
// the #error area (failed API calls, "ErrorCode: ErrorMessage") and short
// notices (#notice, role=status).

/** One view's lifetime: pollers and timeouts that stop with it. */
export class ViewContext {
  constructor() {
    this.alive = true;
    this.pollers = new Set();
    this.timeouts = new Set();
  }

  /**
   * Runs `fn` now and then every `ms` after each run ends (runs never overlap).
   * Returns { start, stop, now }: `now` runs it at once (and restarts the wait).
   */
  poll(ms, fn) {
    const ctx = this;
    let timer = null;
    let running = false;
    let busy = false;
    const tick = async () => {
      timer = null;
      if (!ctx.alive || !running || busy) return;
      busy = true;
      try {
        await fn();
      } catch {
        // each poller shows its own errors
      } finally {
        busy = false;
      }
      if (ctx.alive && running && timer === null) timer = setTimeout(tick, ms);
    };
    const poller = {
      start() {
        if (running || !ctx.alive) return;
        running = true;
        tick();
      },
      stop() {
        running = false;
        if (timer) clearTimeout(timer);
        timer = null;
      },
      now() {
        if (!running) return;
        if (timer) clearTimeout(timer);
        timer = null;
        tick();
      },
    };
    this.pollers.add(poller);
    return poller;
  }

  /** setTimeout that is cancelled with the view. */
  after(ms, fn) {
    const id = setTimeout(() => {
      this.timeouts.delete(id);
      if (this.alive) fn();
    }, ms);
    this.timeouts.add(id);
  }

  /** Ends the view: stops its pollers and timeouts. */
  dispose() {
    this.alive = false;
    for (const p of this.pollers) p.stop();
    for (const id of this.timeouts) clearTimeout(id);
    this.pollers.clear();
    this.timeouts.clear();
  }
}

// ------------------------------------------------------------------ #error

const errors = new Map();

function renderErrors() {
  const area = document.getElementById('error');
  if (!area) return;
  area.replaceChildren(...[...errors.values()].map((message) => {
    const p = document.createElement('p');
    p.textContent = message;
    return p;
  }));
  area.hidden = errors.size === 0;
}

/** The text of an error: "ErrorCode: ErrorMessage" for API errors. */
export function errorText(err) {
  if (!err) return '';
  if (err.code && err.errorMessage !== undefined) return `${err.code}: ${err.errorMessage}`;
  return err.message ? err.message : String(err);
}

/**
 * Shows a failed call in #error under `source` (a later success of the same
 * source clears it). A 401 is not shown: it already sent the page back to sign-in.
 */
export function setError(source, err) {
  if (err && err.status === 401) return;
  errors.set(source, errorText(err));
  renderErrors();
}

/** Clears the error of one source. */
export function clearError(source) {
  if (errors.delete(source)) renderErrors();
}

/** Clears every error (on navigation). */
export function clearErrors() {
  errors.clear();
  renderErrors();
}

// ------------------------------------------------------------------ #notice

let noticeTimer = null;

/** A short confirmation ("Service created") in #notice for a few seconds. */
export function notify(text) {
  const area = document.getElementById('notice');
  if (!area) return;
  area.textContent = text;
  area.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => {
    area.textContent = '';
    area.hidden = true;
  }, 4000);
}

/** Disables a form's submit button while `work` runs, with a busy label. */
export async function busy(form, label, work) {
  const button = form.querySelector('button[type="submit"]');
  const old = button ? button.textContent : '';
  if (button) {
    button.disabled = true;
    button.textContent = label;
  }
  form.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    if (button) {
      button.disabled = false;
      button.textContent = old;
    }
    form.removeAttribute('aria-busy');
  }
}
