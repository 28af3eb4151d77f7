// The dashboard: one page over the HTTP API, no build step, no external assets. Data is only
// ever put into the page as text (never as HTML). The token stays in this tab's sessionStorage.
'use strict';

const state = { token: sessionStorage.getItem('ledger.token'), me: null, live: null, routeId: 0 };
const ICONS = { success: '✓', completed: '✓', failed: '✗', timed_out: '✗', cancelled: '⊘', rolled_back: '↶', destroyed: '⌫',
  building: '●', deploying: '●', running: '●', cancelling: '…', pending: '○', queued: '○', skipped: '–', active: '●', inactive: '○' };
const IN_FLIGHT = ['pending', 'queued', 'building', 'deploying'];
ICONS.awaiting_approval = '⏸'; ICONS.rejected = '✗';

// ---- small helpers -------------------------------------------------------------------------
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'class') node.className = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
const $ = (selector) => document.querySelector(selector);
// replaceChildren would show a null as the text "null": only real children go in.
function fill(node, ...children) { node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false)); }
function badge(status) { return el('span', { class: `badge s-${status}`, 'data-icon': ICONS[status] || '•' }, status.replace('_', ' ')); }
function sha(commit) { return commit ? commit.slice(0, 7) : ''; }
function gitText(d) { return [d.git_branch || d.git_tag, sha(d.git_commit)].filter(Boolean).join('@') || '—'; }
function ago(iso) {
  if (!iso) return el('span', { class: 'muted' }, '—');
  const seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
  const text = seconds < 60 ? `${Math.max(seconds, 0)} s ago` : seconds < 3600 ? `${Math.floor(seconds / 60)} min ago`
    : seconds < 86400 ? `${Math.floor(seconds / 3600)} h ago` : `${Math.floor(seconds / 86400)} d ago`;
  return el('time', { datetime: iso, title: new Date(iso).toLocaleString() }, text);
}
function duration(ms) { return ms == null ? '' : ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`; }
function may(permission) { return !!state.me && state.me.permissions.includes(permission); }
// Shows a page, unless another route started since this one did (its answer came late).
function view(routeId, ...children) { if (routeId === state.routeId) fill($('#view'), ...children); }
function errorText(answer) { return (answer.json && answer.json.error && answer.json.error.message) || `HTTP ${answer.status}`; }

// No request goes out without a token (after signing out, a refresh that was pending sends
// nothing); a 401 signs out only if the token it refused is still the one in use.
async function api(path, { method = 'GET', body, headers = {} } = {}) {
  const token = state.token;
  if (!token) return { status: 0, ok: false, json: null, text: '' };
  const options = { method, headers: { Authorization: `Bearer ${token}`, ...headers } };
  if (body !== undefined) { options.headers['Content-Type'] = 'application/json'; options.body = JSON.stringify(body); }
  const response = await fetch(path, options);
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (_) { json = null; }
  if (response.status === 401 && token === state.token) { signOut('Your token was refused (expired or revoked?). Sign in again.'); }
  return { status: response.status, ok: response.ok, json, text };
}

// ---- live events over fetch (EventSource cannot send a token header) -----------------------
async function followEvents(query, onEvent, signal) {
  let last = null;
  while (!signal.aborted) {
    try {
      const headers = { Authorization: `Bearer ${state.token}` };
      if (last !== null) headers['Last-Event-ID'] = String(last);
      const response = await fetch(`/api/v1/events?${query}`, { headers, signal });
      if (!response.ok) { if (response.status < 500) return; throw new Error(`HTTP ${response.status}`); }
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;  // the server ended the stream: the deployment is over
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const message = { id: null, event: 'message', data: [] };
          for (const line of block.split('\n')) {
            if (line.startsWith('id: ')) message.id = Number(line.slice(4));
            else if (line.startsWith('event: ')) message.event = line.slice(7);
            else if (line.startsWith('data: ')) message.data.push(line.slice(6));
          }
          if (!message.data.length) continue;
          if (message.id !== null) last = message.id;
          onEvent(message.event, JSON.parse(message.data.join('\n')));
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, 1500));  // then resume after the last id
    }
  }
}
function stopLive() { if (state.live) { state.live.abort(); state.live = null; } }

// ---- dialogs ---------------------------------------------------------------------------------
function confirmAction(title, text, typed) {
  const dialog = $('#confirm');
  $('#confirm-title').textContent = title;
  $('#confirm-text').textContent = text;
  const input = $('#confirm-typed'), label = $('#confirm-typed-label'), ok = $('#confirm-ok');
  input.hidden = label.hidden = !typed;
  input.value = '';
  label.textContent = typed ? `Type ${typed} to confirm` : '';
  ok.disabled = !!typed;
  input.oninput = () => { ok.disabled = input.value !== typed; };
  return new Promise((resolve) => {
    dialog.onclose = () => resolve(dialog.returnValue === 'ok' && (!typed || input.value === typed));
    dialog.showModal();
    (typed ? input : ok).focus();
  });
}

// ---- environments (home) ---------------------------------------------------------------------
async function showEnvironments() {
  const mine = state.routeId;
  const answer = await api('/api/v1/environments');
  if (!answer.ok) return view(mine, el('p', { class: 'error' }, errorText(answer)));
  const environments = answer.json;
  const organisations = [...new Set(environments.map((e) => e.organization_id))];
  if (state.me.organization_id && !organisations.includes(state.me.organization_id)) organisations.push(state.me.organization_id);
  const gauges = el('div', { class: 'cards' });
  for (const id of organisations) {
    if (!may('org.quota.view')) break;
    const [quota, organisation] = await Promise.all([api(`/api/v1/organizations/${encodeURIComponent(id)}/quota`), api(`/api/v1/organizations/${encodeURIComponent(id)}`)]);
    if (!quota.ok) continue;
    const limits = (organisation.ok && organisation.json.quota) || {};
    const card = el('div', { class: 'card' }, el('h2', {}, `Quota of ${id}`));
    for (const [key, label, unit] of [['cpu_millicores', 'CPU', 'm'], ['memory_mb', 'Memory', ' MB'], ['disk_gb', 'Disk', ' GB']]) {
      const used = quota.json.used[key], max = limits[key];
      card.append(el('div', { class: 'gauge' },
        el('label', {}, `${label}: ${used}${unit}` + (max ? ` of ${max}${unit} (${Math.round((100 * used) / max)} %)` : ' (no quota)')),
        max ? el('meter', { min: 0, max, value: used, high: max * 0.9, 'aria-label': `${label} used` }) : null));
    }
    card.append(el('p', { class: 'muted' }, `${quota.json.active_environments} active environment(s)`));
    gauges.append(card);
  }
  const rows = environments.map((e) => {
    const current = e.current_release, stable = e.last_stable_release;
    return el('tr', {},
      el('td', {}, el('a', { href: `#/environments/${encodeURIComponent(e.id)}` }, e.id), el('div', { class: 'muted' }, `${e.project_id}`)),
      el('td', {}, badge(e.status || (e.active ? 'active' : 'inactive')), e.active ? '' : el('div', { class: 'muted' }, 'inactive'),
        e.in_flight ? el('div', {}, el('a', { href: `#/deployments/${e.in_flight}` }, 'deployment in flight')) : null),
      el('td', {}, current ? [el('a', { href: `#/deployments/${current.deployment_id}` }, `#${current.version}`), ' ', el('span', { class: 'mono' }, gitText(current)),
        current.git_author ? ` by ${current.git_author}` : '', ' ', ago(current.deployed_at)] : '—'),
      el('td', { class: 'optional' }, stable ? [el('a', { href: `#/deployments/${stable.deployment_id}` }, `#${stable.version}`), ' ', el('span', { class: 'mono' }, gitText(stable))] : '—'));
  });
  view(mine, el('h1', {}, 'Environments'), gauges,
    el('div', { class: 'scroll' }, el('table', {},
      el('thead', {}, el('tr', {}, el('th', {}, 'Environment'), el('th', {}, 'Status'), el('th', {}, 'Current release'), el('th', { class: 'optional' }, 'Last stable'))),
      el('tbody', {}, rows.length ? rows : el('tr', {}, el('td', { colspan: 4 }, 'No environments you may see.'))))));
}

// ---- deployments list --------------------------------------------------------------------------
async function showDeployments(params) {
  const mine = state.routeId;
  const query = new URLSearchParams({ limit: '50' });
  for (const key of ['environment_id', 'status', 'trigger']) if (params.get(key)) query.set(key, params.get(key));
  if (params.get('cursor')) query.set('cursor', params.get('cursor'));
  const response = await fetch(`/api/v1/deployments?${query}`, { headers: { Authorization: `Bearer ${state.token}` } });
  const list = response.ok ? await response.json() : [];
  const next = response.headers.get('X-Next-Cursor');
  const select = (name, values) => el('label', {}, name.replace('_id', ''),
    el('select', { name }, el('option', { value: '' }, 'any'), values.map((v) => el('option', { value: v, selected: params.get(name) === v }, v))));
  const filters = el('form', { class: 'filters', onsubmit: (event) => {
    event.preventDefault();
    const chosen = new URLSearchParams([...new FormData(event.target)].filter(([, v]) => v));
    location.hash = `#/deployments?${chosen}`;
  } },
    el('label', {}, 'environment', el('input', { name: 'environment_id', value: params.get('environment_id') || '', size: 14 })),
    select('status', ['pending', 'queued', 'building', 'deploying', 'success', 'failed', 'cancelled', 'rolled_back', 'timed_out', 'destroyed']),
    select('trigger', ['manual', 'git_push', 'retry', 'rollback', 'api', 'destroy']),
    el('button', { type: 'submit' }, 'Filter'));
  const rows = list.map((d) => el('tr', {},
    el('td', {}, el('a', { href: `#/deployments/${d.id}` }, `#${d.version} ${d.environment_id}`)),
    el('td', {}, badge(d.status)),
    el('td', { class: 'mono' }, gitText(d)),
    el('td', { class: 'optional' }, d.trigger),
    el('td', { class: 'optional' }, d.triggered_by || '—'),
    el('td', {}, ago(d.created_at))));
  view(mine, el('h1', {}, 'Deployments'), filters,
    el('div', { class: 'scroll' }, el('table', {},
      el('thead', {}, el('tr', {}, ['Deployment', 'Status', 'Git', 'Trigger', 'By', 'Requested'].map((h, i) => el('th', { class: i === 3 || i === 4 ? 'optional' : null }, h)))),
      el('tbody', {}, rows.length ? rows : el('tr', {}, el('td', { colspan: 6 }, 'No deployments.'))))),
    next ? el('p', {}, el('a', { href: `#/deployments?${new URLSearchParams([...[...params].filter(([k]) => k !== 'cursor'), ['cursor', next]])}` }, 'Older →')) : null);
}

// ---- one deployment, live ----------------------------------------------------------------------
async function showDeployment(id) {
  const mine = state.routeId;
  const [answer, progressAnswer] = await Promise.all([api(`/api/v1/deployments/${encodeURIComponent(id)}`), api(`/api/v1/deployments/${encodeURIComponent(id)}/progress`)]);
  if (!answer.ok) return view(mine, el('h1', {}, 'Deployment'), el('p', { class: 'error' }, answer.status === 404 ? 'No such deployment (or not yours to see).' : errorText(answer)));
  let deployment = answer.json;
  let progress = progressAnswer.ok ? progressAnswer.json : null;
  const header = el('div');
  const widget = el('div', { class: 'progress', 'aria-live': 'polite' });
  const steps = el('div', { class: 'steps' });
  const actions = el('div', { class: 'actions' });
  const notice = el('div', { role: 'status' });
  const stepViews = new Map();
  const history = await api(`/api/v1/deployments/${encodeURIComponent(id)}/history?position=${deployment.position}`);
  const configuration = history.ok && history.json.state && history.json.state.configuration;

  function renderHeader() {
    const extra = deployment.extra_data || {};
    fill(header, 
      el('h1', {}, `Deployment #${deployment.version} of `, el('a', { href: `#/environments/${encodeURIComponent(deployment.environment_id)}` }, deployment.environment_id), ' ', badge(deployment.status)),
      deployment.error ? el('div', { class: 'banner', role: 'alert' }, `Failed: ${deployment.error}`) : null,
      el('dl', { class: 'facts' },
        el('dt', {}, 'Git'), el('dd', { class: 'mono' }, gitText(deployment), deployment.git_message ? ` — ${deployment.git_message}` : '',
          deployment.resolved_ref ? ` (${deployment.resolved_ref} resolved to ${deployment.git_commit})` : ''),
        el('dt', {}, 'Trigger'), el('dd', {}, deployment.trigger, deployment.triggered_by ? ` by ${deployment.triggered_by}` : ''),
        el('dt', {}, 'Requested'), el('dd', {}, ago(deployment.created_at)),
        el('dt', {}, 'Finished'), el('dd', {}, deployment.completed_at ? [ago(deployment.completed_at), ` after ${deployment.duration_seconds?.toFixed(1)} s`] : '—'),
        extra.retry_of ? [el('dt', {}, 'Retry of'), el('dd', {}, el('a', { href: `#/deployments/${extra.retry_of}` }, extra.retry_of))] : null,
        extra.rollback_to ? [el('dt', {}, 'Rolls back to'), el('dd', {}, el('a', { href: `#/deployments/${extra.rollback_to}` }, extra.rollback_to))] : null,
        governanceFacts(deployment),
        configuration ? [el('dt', {}, 'Configuration'), el('dd', { class: 'mono' },
          `${configuration.ssh_user || ''}@${configuration.host || ''}${configuration.server ? ` (server ${configuration.server})` : ''}, branch ${configuration.branch}, `
          + `${configuration.resources ? `${configuration.resources.cpu_millicores}m CPU, ${configuration.resources.memory_mb} MB, ${configuration.resources.disk_gb} GB` : ''}`)] : null));
  }

  function renderWidget() {
    if (!progress) { fill(widget, el('p', { class: 'muted' }, 'No progress yet.')); return; }
    const current = progress.current_step ? progress.steps.find((s) => s.id === progress.current_step) : null;
    fill(widget, 
      el('div', { class: 'headline', id: 'progress-headline' }, `Step ${progress.step_number} of ${progress.total_steps} — `, el('span', { id: 'progress-percent' }, `${progress.progress_percent} %`)),
      bar(progress.progress_percent),
      current && IN_FLIGHT.includes(deployment.status) ? el('p', {}, 'Now: ', el('strong', {}, current.name), current.latest_message ? ` — ${current.latest_message}` : '') : null);
    // The step list is the progress's, in its order: a step it no longer lists (the executor
    // ran another pipeline file than the one planned) goes.
    const listed = new Set(progress.steps.map((s) => s.id));
    for (const [stepID, entry] of stepViews) if (!listed.has(stepID)) { entry.details.remove(); stepViews.delete(stepID); }
    for (const step of progress.steps) {
      let entry = stepViews.get(step.id);
      if (!entry) {
        entry = makeStepView(step);
        stepViews.set(step.id, entry);
      }
      steps.append(entry.details);
      entry.update(step);
    }
  }

  // The width is set through the CSSOM: the page's security policy allows no inline style.
  function bar(percent) {
    const fill = el('div');
    fill.style.width = `${percent}%`;
    return el('div', { class: 'bar', role: 'progressbar', 'aria-label': 'Deployment progress', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': percent }, fill);
  }

  function makeStepView(step) {
    const status = el('span'), time = el('span', { class: 'muted' }), latest = el('span', { class: 'latest' });
    const level = el('select', { 'aria-label': `Log level for ${step.name}` }, ['all', 'debug', 'info', 'warning', 'error'].map((l) => el('option', { value: l === 'all' ? '' : l }, l)));
    const log = el('div', { class: 'log', role: 'log', tabindex: 0, 'aria-label': `Log of ${step.name}` });
    const more = el('button', { type: 'button', hidden: true }, 'Load more');
    let loaded = 0, loading = false, fetched = false;
    async function load(reset) {
      if (loading) return;
      loading = true;
      if (reset) { loaded = 0; fetched = false; fill(log, ); }
      const query = new URLSearchParams({ step: step.id, skip: String(loaded), limit: '500' });
      if (level.value) query.set('level', level.value);
      const page = await api(`/api/v1/deployments/${encodeURIComponent(id)}/logs?${query}`);
      loading = false;
      if (!page.ok) return;
      fetched = true;
      const fragment = document.createDocumentFragment();
      for (const line of page.json.logs) fragment.append(logLine(line));
      log.append(fragment);
      loaded += page.json.logs.length;
      more.hidden = page.json.logs.length < 500;
    }
    level.addEventListener('change', () => load(true));
    more.addEventListener('click', () => load(false));
    const details = el('details', { 'data-step': step.id },
      el('summary', {}, el('span', { class: 'name' }, step.name), status, time, latest),
      el('div', { class: 'filters' }, el('label', {}, 'Level ', level)), log, more);
    details.addEventListener('toggle', () => { if (details.open && !fetched) load(true); });
    return {
      details,
      update(next) {
        fill(status, badge(next.status));
        time.textContent = duration(next.duration_ms);
        latest.textContent = next.latest_message || '';
        if (next.status === 'failed' && !details.dataset.opened) { details.dataset.opened = '1'; details.open = true; }
      },
      // A live line: shown at once when this step's log is open and the level matches.
      live(line) {
        if (!details.open || !fetched || (level.value && line.level !== level.value)) return;
        log.append(logLine(line));
        loaded += 1;
        log.scrollTop = log.scrollHeight;
      },
    };
  }

  function logLine(line) {
    return el('div', { class: `l-${line.level}` }, `${(line.timestamp || '').slice(11, 23)} ${line.level.toUpperCase().padEnd(7)} ${line.message}`);
  }

  // Rebuilt only when the status changes, not on every live event: a button stays put under
  // the pointer (and stays disabled once pressed) while the deployment streams on.
  let actionsFor = null;
  function renderActions() {
    if (actionsFor === deployment.status) return;
    actionsFor = deployment.status;
    const buttons = [];
    if (deployment.status === 'awaiting_approval') {
      const controls = approvalControls(deployment, (next) => { deployment = next; renderAll(); });
      if (controls) buttons.push(controls);
    }
    if ((IN_FLIGHT.includes(deployment.status) || deployment.status === 'awaiting_approval') && may('project.deployments.cancel')) {
      buttons.push(el('button', { type: 'button', class: 'danger', id: 'cancel', onclick: async (event) => {
        if (!(await confirmAction('Cancel this deployment?', 'The executor stops its running step and cleans up; the cancellation is recorded when it is done.'))) return;
        event.target.disabled = true;
        fill(notice, el('div', { class: 'notice' }, 'Cancellation requested — waiting for the executor to stop…'));
        const result = await api(`/api/v1/deployments/${encodeURIComponent(id)}/cancel`, { method: 'POST', body: { reason: 'cancelled from the dashboard' } });
        if (!result.ok) fill(notice, el('div', { class: 'banner', role: 'alert' }, errorText(result)));
        else { deployment = result.json; renderAll(); }
      } }, 'Cancel'));
    }
    if (['failed', 'cancelled', 'timed_out'].includes(deployment.status) && may('project.environments.deploy')) {
      buttons.push(el('button', { type: 'button', class: 'primary', onclick: () => act(`/api/v1/deployments/${encodeURIComponent(id)}/retry`) }, 'Retry'));
    }
    if (['success', 'rolled_back'].includes(deployment.status) && may('project.environments.deploy')) {
      buttons.push(el('button', { type: 'button', onclick: async () => {
        if (await confirmAction('Roll back to this release?', `Deploys release #${deployment.version} (${gitText(deployment)}) to ${deployment.environment_id} again.`)) act(`/api/v1/deployments/${encodeURIComponent(id)}/rollback`);
      } }, 'Roll back to this release'));
    }
    fill(actions, ...buttons);
  }

  async function act(path) {
    const result = await api(path, { method: 'POST', body: {} });
    if (result.ok) location.hash = `#/deployments/${result.json.id}`;
    else fill(notice, el('div', { class: 'banner', role: 'alert' }, errorText(result)));
  }

  function renderAll() { renderHeader(); renderWidget(); renderActions(); }
  renderAll();
  view(mine, header, actions, notice, widget, el('h2', {}, 'Steps'), steps);

  // Live: every status or progress event re-reads the progress (coalesced); log lines go
  // straight into the open step.
  let refreshing = null;
  async function refresh() {
    if (refreshing) return;
    refreshing = setTimeout(async () => {
      refreshing = null;
      if (mine !== state.routeId) return;  // signed out or moved on meanwhile
      const [d, p] = await Promise.all([api(`/api/v1/deployments/${encodeURIComponent(id)}`), api(`/api/v1/deployments/${encodeURIComponent(id)}/progress`)]);
      if (d.ok) deployment = d.json;
      if (p.ok) progress = p.json;
      renderAll();
      if (deployment.status !== 'cancelled' && notice.textContent.startsWith('Cancellation')) return;
      if (deployment.status === 'cancelled') fill(notice, el('div', { class: 'notice' }, 'Cancelled: the executor stopped the deployment.'));
    }, 150);
  }
  if (mine !== state.routeId) return;  // another page was asked for meanwhile
  stopLive();
  const controller = new AbortController();
  state.live = controller;
  followEvents(`deployment_id=${encodeURIComponent(id)}`, (event, data) => {
    if (event === 'deployment.log') {
      for (const line of data.lines) {
        const entry = line.step && stepViews.get(line.step);
        if (entry) entry.live(line);
      }
    }
    refresh();
  }, controller.signal).then(() => { if (!controller.signal.aborted) refresh(); });
}

// ---- one environment: releases, history, actions -----------------------------------------------
async function showEnvironment(id) {
  const mine = state.routeId;
  const [answer, releases] = await Promise.all([api(`/api/v1/environments/${encodeURIComponent(id)}`), api(`/api/v1/environments/${encodeURIComponent(id)}/releases`)]);
  if (!answer.ok) return view(mine, el('h1', {}, id), el('p', { class: 'error' }, answer.status === 404 ? 'No such environment (or not yours to see).' : errorText(answer)));
  const environment = answer.json;
  const notice = el('div', { role: 'status' });
  const buttons = [];
  if (may('project.environments.deploy') && environment.status !== 'destroyed') {
    const deploy = async (force) => {
      const result = await api(`/api/v1/environments/${encodeURIComponent(id)}/deploy`, { method: 'POST', body: force ? { force: true } : {} });
      if (result.ok) location.hash = `#/deployments/${result.json.id}`;
      else fill(notice, el('div', { class: 'banner', role: 'alert' }, errorText(result)));
    };
    buttons.push(el('button', { type: 'button', class: 'primary', onclick: () => deploy(false) }, `Deploy ${environment.configuration?.branch || ''}`));
    buttons.push(el('button', { type: 'button', onclick: () => deploy(true) }, 'Redeploy (force)'));
    const deleteData = el('input', { type: 'checkbox', id: 'delete-data' });
    buttons.push(el('button', { type: 'button', class: 'danger', onclick: async () => {
      if (!(await confirmAction(`Destroy ${id}?`, `Stops the application and removes its releases${deleteData.checked ? ' and its data' : ''}. This cannot be undone.`, id))) return;
      const result = await api(`/api/v1/deployments/environment/${encodeURIComponent(id)}/destroy?delete_data=${deleteData.checked}`, { method: 'DELETE' });
      if (result.ok) location.hash = `#/deployments/${result.json.id}`;
      else fill(notice, el('div', { class: 'banner', role: 'alert' }, errorText(result)));
    } }, 'Destroy…'), el('label', {}, deleteData, ' also delete its data'));
  }
  const rows = (releases.ok ? releases.json : []).map((r) => el('tr', {},
    el('td', {}, el('a', { href: `#/deployments/${r.deployment_id}` }, `#${r.version}`)),
    el('td', { class: 'mono' }, gitText(r), r.git_message ? ` — ${r.git_message}` : ''),
    el('td', {}, ago(r.deployed_at)),
    el('td', {}, r.rollback_target && may('project.environments.deploy') && environment.current_release?.deployment_id !== r.deployment_id
      ? el('button', { type: 'button', onclick: async () => {
        if (!(await confirmAction(`Roll back ${id} to #${r.version}?`, `Deploys ${gitText(r)} again.`))) return;
        const result = await api(`/api/v1/deployments/${encodeURIComponent(r.deployment_id)}/rollback`, { method: 'POST', body: {} });
        if (result.ok) location.hash = `#/deployments/${result.json.id}`;
        else fill(notice, el('div', { class: 'banner', role: 'alert' }, errorText(result)));
      } }, 'Roll back to this') : '')));

  // Time travel: the environment as it was at a chosen instant. The slider starts at the first
  // whole millisecond at or after its creation (the API's times have microseconds), so its
  // first position shows the environment's first state.
  const created = Date.parse(environment.created_at) + (/\.\d{4,}/.test(environment.created_at) ? 1 : 0);
  const slider = el('input', { type: 'range', min: created, max: Date.now(), value: Date.now(), step: 1000, 'aria-label': 'Point in time', class: 'wide' });
  const picker = el('input', { type: 'datetime-local', step: 1, 'aria-label': 'Date and time' });
  const past = el('div', { 'aria-live': 'polite' });
  const toLocal = (ms) => { const d = new Date(ms - new Date().getTimezoneOffset() * 60000); return d.toISOString().slice(0, 19); };
  picker.value = toLocal(Date.now());
  // One request per pause in the input, and only the answer to the latest one is shown.
  let pending = null, latest = 0;
  function travelSoon(ms) { clearTimeout(pending); pending = setTimeout(() => travel(ms), 300); }
  async function travel(ms) {
    const asked = ++latest;
    const answer = await api(`/api/v1/environments/${encodeURIComponent(id)}/history?at=${encodeURIComponent(new Date(ms).toISOString())}`);
    if (asked !== latest || mine !== state.routeId) return;
    if (!answer.ok) { fill(past, el('p', { class: 'muted' }, errorText(answer))); return; }
    const s = answer.json.state;
    fill(past, el('dl', { class: 'facts', 'data-at': new Date(ms).toISOString() },
      el('dt', {}, 'As of'), el('dd', {}, new Date(answer.json.as_of).toLocaleString(), ` (log position ${answer.json.as_of_position})`),
      el('dt', {}, 'Status'), el('dd', {}, badge(s.status || (s.active ? 'active' : 'inactive'))),
      el('dt', {}, 'Release'), el('dd', {}, s.current_release ? [el('a', { href: `#/deployments/${s.current_release.deployment_id}` }, `#${s.current_release.version}`), ' ', gitText(s.current_release)] : '—'),
      el('dt', {}, 'Branch'), el('dd', {}, s.configuration?.branch || '—')));
  }
  slider.addEventListener('input', () => { picker.value = toLocal(Number(slider.value)); travelSoon(Number(slider.value)); });
  picker.addEventListener('change', () => {
    const ms = Date.parse(picker.value);
    // A date being typed passes through years like 0002 and 0020: only a time in range is asked for.
    if (isNaN(ms) || ms < created - 86400000 || ms > Date.now() + 86400000) return;
    slider.value = ms;
    travelSoon(Math.max(ms, created));
  });

  view(mine, el('h1', {}, `Environment ${id} `, badge(environment.status || (environment.active ? 'active' : 'inactive'))),
    el('dl', { class: 'facts' },
      el('dt', {}, 'Project'), el('dd', {}, environment.project_id),
      el('dt', {}, 'Current release'), el('dd', {}, environment.current_release ? [el('a', { href: `#/deployments/${environment.current_release.deployment_id}` }, `#${environment.current_release.version}`), ' ', gitText(environment.current_release)] : '—'),
      el('dt', {}, 'Last stable'), el('dd', {}, environment.last_stable_release ? gitText(environment.last_stable_release) : '—'),
      el('dt', {}, 'Deploys'), el('dd', {}, `${environment.configuration?.branch || '—'}${environment.configuration?.auto_deploy ? ' (auto-deploy on push)' : ''}`)),
    el('div', { class: 'actions' }, buttons), notice,
    el('p', {}, el('a', { href: `#/deployments?environment_id=${encodeURIComponent(id)}` }, 'Its deployments →')),
    el('h2', {}, 'Releases (rollback targets)'),
    el('div', { class: 'scroll' }, el('table', {}, el('thead', {}, el('tr', {}, ['Release', 'Git', 'Deployed'].map((h) => el('th', {}, h)), el('th', {}, el('span', { class: 'visually-hidden' }, 'Action')))),
      el('tbody', {}, rows.length ? rows : el('tr', {}, el('td', { colspan: 4 }, 'No releases yet.'))))),
    ...(await governancePanel(environment)),
    el('h2', {}, 'History'), el('p', { class: 'muted' }, 'Move the slider or pick a date to see the environment as it was.'), slider, picker, past);
  travel(Date.now());
}

// ---- audit -------------------------------------------------------------------------------------
async function showAudit(params) {
  const mine = state.routeId;
  const query = new URLSearchParams({ limit: '100' });
  for (const key of ['actor', 'action', 'target', 'from', 'to', 'after', 'cursor']) if (params.get(key)) query.set(key, params.get(key));
  const answer = await api(`/api/v1/audit?${query}`);
  const field = (name, label, type = 'text') => el('label', {}, label, el('input', { name, type, value: params.get(name) || '', size: 14 }));
  const filters = el('form', { class: 'filters', onsubmit: (event) => {
    event.preventDefault();
    const chosen = new URLSearchParams([...new FormData(event.target)].filter(([, v]) => v));
    location.hash = `#/audit?${chosen}`;
  } }, field('actor', 'actor'), field('action', 'action'), field('target', 'target'), field('from', 'from (ISO time)'), field('to', 'to (ISO time)'), el('button', { type: 'submit' }, 'Filter'));
  async function download(format) {
    const selection = new URLSearchParams(query);
    selection.delete('after'); selection.delete('cursor'); selection.delete('limit'); selection.set('format', format);
    const response = await fetch(`/api/v1/audit?${selection}`, { headers: { Authorization: `Bearer ${state.token}` } });
    const blob = await response.blob();
    const link = el('a', { href: URL.createObjectURL(blob), download: `audit.${format}` });
    document.body.append(link); link.click(); link.remove();
  }
  if (!answer.ok) return view(mine, el('h1', {}, 'Audit trail'), el('p', { class: 'error' }, errorText(answer)));
  const rows = answer.json.entries.map((e) => el('tr', {},
    el('td', { class: 'mono' }, String(e.position)), el('td', {}, ago(e.at)), el('td', {}, e.actor || '—'),
    el('td', { class: 'optional' }, e.action), el('td', {}, e.summary)));
  const next = answer.json.next_cursor;
  view(mine, el('h1', {}, 'Audit trail'), filters,
    el('div', { class: 'actions' }, el('button', { type: 'button', onclick: () => download('csv') }, 'Download CSV'), el('button', { type: 'button', onclick: () => download('ndjson') }, 'Download NDJSON')),
    el('div', { class: 'scroll' }, el('table', {}, el('thead', {}, el('tr', {}, ['#', 'When', 'Who', 'Action', 'What'].map((h, i) => el('th', { class: i === 3 ? 'optional' : null }, h)))),
      el('tbody', {}, rows.length ? rows : el('tr', {}, el('td', { colspan: 5 }, 'Nothing recorded that you may see.'))))),
    next ? el('p', {}, el('a', { href: `#/audit?${new URLSearchParams([...[...params].filter(([k]) => k !== 'cursor' && k !== 'after'), ['cursor', next]])}` }, 'More →')) : null);
}

// ---- integrity -----------------------------------------------------------------------------------
async function showIntegrity() {
  const mine = state.routeId;
  const answer = await api('/api/v1/integrity');
  if (!answer.ok) return view(mine, el('h1', {}, 'Integrity'), el('p', { class: 'error' }, errorText(answer)));
  const i = answer.json;
  const result = el('div', { 'aria-live': 'polite' });
  const last = i.last_verification;
  view(mine, el('h1', {}, 'Integrity'),
    el('dl', { class: 'facts' },
      el('dt', {}, 'Events in the log'), el('dd', {}, `head at position ${i.head_position}`),
      el('dt', {}, 'Last seal'), el('dd', {}, i.last_seal ? [`#${i.last_seal.seal_number} through position ${i.last_seal.to_position}, `, ago(i.last_seal.sealed_at)] : 'none yet'),
      el('dt', {}, 'Not yet sealed'), el('dd', {}, `${i.unsealed_events} event(s)`),
      el('dt', {}, 'Last verification'), el('dd', {}, last ? [badge(last.ok ? 'success' : 'failed'), ` ${last.events_checked} events checked, `, ago(last.verified_at),
        last.ok ? '' : ` — first bad position ${last.first_bad_position}`] : 'never')),
    may('portal.admin') ? el('button', { type: 'button', onclick: async (event) => {
      event.target.disabled = true;
      fill(result, el('p', {}, 'Verifying every hash chain and seal…'));
      const verify = await api('/api/v1/verify');
      event.target.disabled = false;
      if (verify.ok) showIntegrity(); else fill(result, el('p', { class: 'error' }, errorText(verify)));
    } }, 'Verify now') : el('p', { class: 'muted' }, 'A portal admin can run a full verification from here; `ledger verify` does the same.'),
    result);
}

// ---- sign-in and routing -------------------------------------------------------------------------
function signOut(message) {
  stopLive();
  state.routeId++;  // whatever a page was still loading is not shown
  sessionStorage.removeItem('ledger.token');
  state.token = null; state.me = null;
  $('#nav').hidden = true;
  fill($('#view'), );
  $('#signin').hidden = false;
  $('#signin-error').textContent = message || '';
  $('#token').focus();
}

async function signIn(token) {
  state.token = token;
  const me = await api('/api/v1/me');
  if (!me.ok) { signOut(me.status === 401 ? 'That token was refused.' : errorText(me)); return false; }
  sessionStorage.setItem('ledger.token', token);
  state.me = me.json;
  $('#who').textContent = `${me.json.name} · ${me.json.role}${me.json.organization_id ? ` · ${me.json.organization_id}` : ''}${me.json.project_id ? `/${me.json.project_id}` : ''}`;
  $('#signin').hidden = true;
  $('#nav').hidden = false;
  return true;
}

async function route() {
  if (!state.me) return;
  stopLive();
  const mine = ++state.routeId;
  const [path, search] = location.hash.slice(1).split('?');
  const params = new URLSearchParams(search || '');
  const parts = (path || '/').split('/').filter(Boolean).map(decodeURIComponent);
  try {
    if (parts.length === 0) await showEnvironments();
    else if (parts[0] === 'deployments' && parts[1]) await showDeployment(parts[1]);
    else if (parts[0] === 'deployments') await showDeployments(params);
    else if (parts[0] === 'environments' && parts[1]) await showEnvironment(parts[1]);
    else if (parts[0] === 'approvals') await showApprovals();
    else if (parts[0] === 'audit') await showAudit(params);
    else if (parts[0] === 'integrity') await showIntegrity();
    else view(mine, el('h1', {}, 'Not found'), el('p', {}, el('a', { href: '#/' }, 'Back to the environments')));
  } catch (error) {
    view(mine, el('p', { class: 'error', role: 'alert' }, `Could not load this page: ${error.message}`));
  }
}

$('#signin-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  if (await signIn($('#token').value.trim())) { $('#token').value = ''; route(); }
});
$('#signout').addEventListener('click', () => signOut());
window.addEventListener('hashchange', route);
(async () => {
  if (state.token && (await signIn(state.token))) route(); else signOut();
})();
