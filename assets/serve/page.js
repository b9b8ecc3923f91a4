// syncsim serve: the what-if page's script, embedded in the binary and served by it.
//
// A change to any knob runs the what-if at once (a newer change stops the run before it):
// the changed values go to POST /api/run, which answers with what is wrong, by field, or
// with a stream of JSON lines (queued, progress, then the result). The result's answers
// table and the two dashboards replace the previous ones. The time from the change to the
// result on screen (both dashboards loaded) is shown, and kept in
// document.body.dataset.lastMs for the browser test.
'use strict';

(() => {
  const form = document.getElementById('whatif');
  if (!form) {
    return;
  }
  const byId = (id) => document.getElementById(id);
  const status = byId('status');
  const progress = byId('progress');
  const answers = byId('answers');
  const downloads = byId('downloads');
  const generalErrors = byId('form-errors');
  const stopButton = byId('stop');
  const results = document.querySelector('.results');
  const frames = { baseline: byId('baseline-frame'), variant: byId('variant-frame') };
  const shown = { baseline: '', variant: '' };
  let controller = null;
  let finished = 0;

  const controls = () => Array.from(form.querySelectorAll('input[name], select[name]'));

  // The knobs whose value differs from the file's.
  function changedValues() {
    const values = {};
    for (const c of controls()) {
      if (c.name !== 'replications' && c.value.trim() !== c.dataset.initial) {
        values[c.name] = c.value.trim();
      }
    }
    return values;
  }

  function clearErrors() {
    for (const e of form.querySelectorAll('.error')) {
      e.hidden = true;
      e.textContent = '';
    }
    for (const c of controls()) {
      c.removeAttribute('aria-invalid');
    }
    generalErrors.hidden = true;
    generalErrors.textContent = '';
  }

  // Each message beside its field; the rest above the form.
  function showErrors(body, focus) {
    const general = [...(body.general || [])];
    let first = null;
    for (const [key, message] of Object.entries(body.fields || {})) {
      const field = Array.from(form.querySelectorAll('.field')).find((f) => f.dataset.key === key);
      if (!field) {
        general.push(`${key}: ${message}`);
        continue;
      }
      const error = field.querySelector('.error');
      error.textContent = message;
      error.hidden = false;
      const control = field.querySelector('input, select');
      control.setAttribute('aria-invalid', 'true');
      first = first || control;
    }
    if (general.length > 0) {
      generalErrors.textContent = general.join(' ');
      generalErrors.hidden = false;
    }
    status.textContent = 'Not run: see what is wrong beside the fields.';
    if (focus && first) {
      first.focus();
    }
  }

  function setBusy(busy) {
    stopButton.disabled = !busy;
    results.setAttribute('aria-busy', busy ? 'true' : 'false');
    if (!busy) {
      progress.hidden = true;
    }
  }

  // Shows run `id`'s dashboard on one side; resolves once it is loaded.
  function show(side, id) {
    const url = `/api/runs/${id}/dashboard.html`;
    const frame = frames[side];
    if (shown[side] === url) {
      return Promise.resolve();
    }
    shown[side] = url;
    return new Promise((resolve) => {
      frame.addEventListener('load', () => resolve(), { once: true });
      frame.src = url;
    });
  }

  function link(href, text) {
    const a = document.createElement('a');
    a.href = href;
    a.textContent = text;
    a.setAttribute('download', '');
    return a;
  }

  function showDownloads(result) {
    downloads.replaceChildren();
    const heading = document.createElement('h3');
    heading.textContent = 'Download the variant';
    const list = document.createElement('p');
    list.append(link(`/api/runs/${result.variant}/scenario.toml`, 'its scenario file'), ' (the file with your changes written in; run it with syncsim run). Its reports: ');
    result.files.forEach((name, i) => {
      if (i > 0) {
        list.append(', ');
      }
      list.append(link(`/api/runs/${result.variant}/files/${encodeURIComponent(name)}`, name));
    });
    list.append('.');
    downloads.append(heading, list);
    downloads.hidden = false;
  }

  async function handle(event, started) {
    if (event.event === 'queued') {
      status.textContent = `Waiting for a free slot (${event.waiting} waiting)\u2026`;
    } else if (event.event === 'progress') {
      progress.hidden = false;
      if (event.total > 0) {
        progress.max = event.total;
        progress.value = event.done;
        status.textContent = `Running: ${event.done} of ${event.total} runs done\u2026`;
      } else {
        progress.removeAttribute('value');
        status.textContent = 'Running\u2026';
      }
    } else if (event.event === 'result') {
      answers.innerHTML = event.answers;
      showDownloads(event);
      await Promise.all([show('baseline', event.baseline), show('variant', event.variant)]);
      const ms = Math.round(performance.now() - started);
      finished += 1;
      document.body.dataset.runs = String(finished);
      document.body.dataset.lastMs = String(ms);
      document.body.dataset.serverMs = String(event.server_ms);
      const what = event.overrides.length > 0 ? event.overrides.join(' ') : 'nothing changed';
      status.textContent = `Updated in ${ms} ms, ${event.server_ms} ms of it on the server (${what}).`;
    } else if (event.event === 'error') {
      status.textContent = event.message;
    }
  }

  async function run(focusErrors) {
    const started = performance.now();
    if (controller) {
      controller.abort();
    }
    const mine = new AbortController();
    controller = mine;
    clearErrors();
    const replications = form.elements.replications.value.trim();
    if (!/^[0-9]+$/.test(replications)) {
      showErrors({ fields: { replications: `expected a whole number of runs (got '${replications}')` } }, focusErrors);
      return;
    }
    setBusy(true);
    status.textContent = 'Running\u2026';
    const body = JSON.stringify({
      scenario: form.dataset.scenario,
      values: changedValues(),
      replications: Number(replications),
    });
    try {
      const response = await fetch('/api/run', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
        signal: mine.signal,
      });
      if (response.status === 503) {
        const after = Number(response.headers.get('Retry-After') || '1');
        status.textContent = `The server is busy; trying again in ${after} s.`;
        setTimeout(() => {
          if (controller === mine) {
            run(false);
          }
        }, after * 1000);
        return;
      }
      if (!response.ok) {
        const refused = await response.json().catch(() => ({ general: [`HTTP ${response.status}`] }));
        showErrors(refused, focusErrors);
        setBusy(false);
        return;
      }
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          break;
        }
        buffer += decoder.decode(value, { stream: true });
        let end = buffer.indexOf('\n');
        while (end >= 0) {
          const text = buffer.slice(0, end);
          buffer = buffer.slice(end + 1);
          if (text) {
            await handle(JSON.parse(text), started);
          }
          end = buffer.indexOf('\n');
        }
      }
    } catch (e) {
      if (mine.signal.aborted) {
        return;
      }
      status.textContent = 'The server cannot be reached: is syncsim serve still running?';
    }
    if (controller === mine) {
      setBusy(false);
      controller = null;
    }
  }

  function stop() {
    if (controller) {
      controller.abort();
      controller = null;
      setBusy(false);
      status.textContent = 'Stopped.';
    }
  }

  form.addEventListener('change', (e) => {
    if (e.target.name) {
      run(false);
    }
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run(true);
  });
  stopButton.addEventListener('click', stop);
  byId('reset').addEventListener('click', () => {
    for (const c of controls()) {
      c.value = c.dataset.initial;
    }
    run(false);
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      stop();
    }
  });
  // A closed page stops its run on the server too.
  window.addEventListener('pagehide', () => {
    if (controller) {
      controller.abort();
    }
  });
  run(false);
})();
