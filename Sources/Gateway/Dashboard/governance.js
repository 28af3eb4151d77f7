// Governed change in the dashboard: the queue of deployments awaiting approval, approving and
// rejecting them with a comment, a deployment's approvals, and an environment's rules, freeze
// windows, schedules and compliance report. Loaded before app.js, whose helpers (el, api, fill,
// view, may, badge, ago…) it calls once the page runs. Data is only ever put in as text.
'use strict';

// Who the ledger takes the signed-in token for: its person, else the token itself.
function myself() { return state.me ? (state.me.user || `token:${state.me.name}`) : null; }

// A comment field with Approve and Reject, for deployment `d`; `after` runs once either worked.
function approvalControls(d, after) {
  const a = d.approval || {};
  if ((a.excluded || []).includes(myself())) return el('p', { class: 'muted' }, 'You requested this deployment (or wrote its commit): someone else approves it.');
  if (!may('project.deployments.approve')) return null;
  const label = `Comment on deployment #${d.version} of ${d.environment_id}`;
  const comment = el('input', { type: 'text', maxlength: 2000, 'aria-label': label, placeholder: 'why (kept with the approval)', class: 'comment' });
  const notice = el('span', { role: 'status' });
  async function act(verb, button) {
    if (!comment.value.trim()) { fill(notice, el('span', { class: 'error' }, 'A comment says why.')); comment.focus(); return; }
    button.disabled = true;
    const result = await api(`/api/v1/deployments/${encodeURIComponent(d.id)}/${verb}`, { method: 'POST', body: { comment: comment.value.trim() } });
    button.disabled = false;
    if (!result.ok) { fill(notice, el('span', { class: 'error' }, errorText(result))); return; }
    const next = result.json;
    fill(notice, el('span', { class: 'notice' }, next.status === 'pending' ? 'Approved: released to the executors.'
      : next.status === 'rejected' ? 'Rejected.' : `Approved: ${next.approval.standing_approvals} of ${next.approval.required_approvals}.`));
    if (after) after(next);
  }
  const approve = el('button', { type: 'button', class: 'primary', 'data-approve': d.id, onclick: (event) => act('approve', event.target) }, 'Approve');
  const reject = el('button', { type: 'button', class: 'danger', onclick: (event) => act('reject', event.target) }, 'Reject');
  return el('div', { class: 'actions approval' }, comment, approve, reject, notice);
}

// A deployment's approval, promotion and break-glass as facts (`dt`/`dd` pairs).
function governanceFacts(d) {
  const a = d.approval;
  const facts = [];
  if (a) {
    facts.push(el('dt', {}, 'Approvals'), el('dd', {}, `${a.standing_approvals} of ${a.required_approvals} for commit ${sha(a.commit)}`,
      a.not_before ? [', not before ', ago(a.not_before)] : '', a.last_void_reason ? ` — earlier approvals voided: ${a.last_void_reason}` : '',
      a.approvals.length ? el('ul', {}, a.approvals.map((v) => el('li', {}, `${v.user}${v.role ? ` (${v.role})` : ''} `, ago(v.at), `: ${v.comment}`,
        v.standing ? '' : ' (no longer counts)'))) : ''));
    facts.push(el('dt', {}, 'May not approve'), el('dd', {}, a.excluded.join(', ') || '—'));
    if (a.rejection) facts.push(el('dt', {}, 'Rejected'), el('dd', {}, `by ${a.rejection.user} `, ago(a.rejection.at), `: ${a.rejection.comment}`));
  }
  if (d.requester) facts.push(el('dt', {}, 'Requester'), el('dd', {}, d.requester));
  if (d.promotion) facts.push(el('dt', {}, 'Promoted from'), el('dd', {}, `${d.promotion.environment_id} (`, el('a', { href: `#/deployments/${d.promotion.deployment_id}` }, 'its deployment'), ')'));
  if (d.break_glass) facts.push(el('dt', {}, 'Break-glass'), el('dd', { class: 'error' }, `through ${d.break_glass.windows.join(', ')}: ${d.break_glass.reason}`));
  return facts;
}

// ---- the approval queue ------------------------------------------------------------------------
async function showApprovals() {
  const mine = state.routeId;
  let decided = 0;
  const answer = await api('/api/v1/deployments?status=awaiting_approval&limit=100');
  if (!answer.ok) return view(mine, el('h1', {}, 'Awaiting approval'), el('p', { class: 'error' }, errorText(answer)));
  const rows = answer.json.map((d) => el('tr', { 'data-deployment': d.id },
    el('td', {}, el('a', { href: `#/deployments/${encodeURIComponent(d.id)}` }, `#${d.version}`), ' ', d.environment_id),
    el('td', { class: 'mono' }, gitText(d)),
    el('td', {}, d.requester || d.triggered_by || '—'),
    el('td', {}, `${d.approval ? d.approval.standing_approvals : 0} of ${d.approval ? d.approval.required_approvals : 0}`),
    el('td', {}, ago(d.created_at)),
    // After a decision its notice stays a moment before the queue is read again.
    el('td', {}, approvalControls(d, () => { decided = Date.now(); setTimeout(() => { if (mine === state.routeId) route(); }, 2500); }))));
  view(mine, el('h1', {}, 'Awaiting approval'),
    el('p', { class: 'muted' }, 'Deployments their environment\'s rules hold until enough people other than their requester approve their exact commit and configuration.'),
    el('div', { class: 'scroll' }, el('table', {},
      el('thead', {}, el('tr', {}, ['Deployment', 'Git', 'Requester', 'Approvals', 'Requested', 'Decision'].map((h) => el('th', {}, h)))),
      el('tbody', {}, rows.length ? rows : el('tr', {}, el('td', { colspan: 6 }, 'Nothing waits for approval.'))))));
  // What starts or stops waiting shows up without a reload.
  if (mine !== state.routeId) return;
  stopLive();
  const controller = new AbortController();
  state.live = controller;
  let pending = null;
  followEvents('', (event) => {
    if (event !== 'deployment.approval' || pending) return;
    // Not while someone types a comment, nor over a decision's notice.
    pending = setTimeout(() => {
      pending = null;
      if (mine === state.routeId && !document.activeElement?.matches('input.comment') && Date.now() - decided > 2500) route();
    }, 500);
  }, controller.signal);
}

// ---- an environment's rules, freezes, schedules and report -------------------------------------
async function governancePanel(environment) {
  const id = environment.id;
  const [protection, freezes] = await Promise.all([
    api(`/api/v1/environments/${encodeURIComponent(id)}/protection`), api(`/api/v1/environments/${encodeURIComponent(id)}/freeze-windows`)]);
  const rules = protection.ok ? protection.json : null;
  const windows = freezes.ok ? freezes.json : { windows: [], project_windows: [], active_now: [] };
  const nodes = [];
  if (windows.active_now.length) {
    nodes.push(el('div', { class: 'banner', role: 'status', id: 'freeze-banner' }, `Frozen now (${windows.active_now.join(', ')}): nothing is deployed here unless glass is broken, with a reason.`));
  }
  nodes.push(el('h2', {}, 'Rules'));
  if (!rules || !rules.protected) nodes.push(el('p', { class: 'muted' }, 'No protection rules: a deployment begins when it is asked for.'));
  else {
    nodes.push(el('dl', { class: 'facts', id: 'rules' },
      el('dt', {}, 'Approvals'), el('dd', {}, rules.required_approvals ? `${rules.required_approvals}, by ${[...rules.reviewer_roles, ...rules.reviewer_users].join(', ') || 'anyone who may approve'}, valid ${rules.approval_lifetime_hours} h` : 'none'),
      el('dt', {}, 'Refs'), el('dd', {}, rules.allowed_refs.join(', ') || 'any'),
      el('dt', {}, 'Promotion'), el('dd', {}, rules.upstream_environment_id ? `from ${rules.upstream_environment_id} first` : '—'),
      el('dt', {}, 'Wait timer'), el('dd', {}, rules.wait_minutes ? `${rules.wait_minutes} min` : '—'),
      el('dt', {}, 'Deploying needs'), el('dd', {}, rules.require_deploy_permission ? 'project.production.deploy' : 'project.environments.deploy')));
  }
  const all = [...windows.windows.map((w) => [w, 'this environment']), ...windows.project_windows.map((w) => [w, 'the project'])];
  nodes.push(el('h2', {}, 'Freeze windows'), all.length
    ? el('ul', {}, all.map(([w, whose]) => el('li', {}, `${w.name} (${whose}): `, w.cron_start ? `from '${w.cron_start}' to '${w.cron_end}' (${w.time_zone || 'UTC'})` : `${w.from} to ${w.to}`,
      w.allow_rollbacks ? ', rollbacks allowed' : '', windows.active_now.includes(w.name) ? el('strong', {}, ' — in force now') : '')))
    : el('p', { class: 'muted' }, 'None.'));
  const schedules = environment.schedules || [];
  nodes.push(el('h2', {}, 'Schedules'), schedules.length
    ? el('ul', {}, schedules.map((s) => el('li', {}, `${s.id}: ${gitText(s)} `, s.cron ? `on '${s.cron}' (${s.timezone || 'UTC'})` : `at ${s.at}`,
      s.next_occurrence ? [', next ', el('time', { datetime: s.next_occurrence }, new Date(s.next_occurrence).toLocaleString())] : '', `; in a freeze: ${s.in_freeze}`,
      s.enabled ? '' : ' (disabled)')))
    : el('p', { class: 'muted' }, 'None.'));
  if (may('org.audit.view')) {
    const notice = el('span', { role: 'status' });
    nodes.push(el('h2', {}, 'Compliance report'), el('p', {}, el('button', { type: 'button', id: 'report', onclick: async () => {
      const response = await fetch(`/api/v1/compliance/report?environment_id=${encodeURIComponent(id)}&format=csv`, { headers: { Authorization: `Bearer ${state.token}` } });
      if (!response.ok) { fill(notice, el('span', { class: 'error' }, `HTTP ${response.status}`)); return; }
      const link = el('a', { href: URL.createObjectURL(await response.blob()), download: `compliance-${id}.csv` });
      document.body.append(link);
      link.click();
      link.remove();
      fill(notice, el('span', { class: 'notice' }, 'Downloaded: the last 30 days, with the integrity of the log they were read from.'));
    } }, 'Download the last 30 days (CSV)'), ' ', notice));
  }
  return nodes;
}
