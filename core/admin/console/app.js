// storegate console: a page of the admin API, no dependencies. Everything it shows comes
// from the same endpoints as storegatectl, with the token the user logs in with (kept in
// this tab's sessionStorage only). Text is always set as text, never as HTML.
'use strict';

const RANK = { viewer: 1, operator: 2, admin: 3 };
const POLL_MS = 2000;
const state = { token: sessionStorage.getItem('sg_token'), role: null, tab: 'health',
  timer: null, lastCounts: new Map(), editing: new Set() };

const $ = (sel) => document.querySelector(sel);
const can = (role) => RANK[state.role] >= RANK[role];

// Builds an element: el('td', {class: 'x'}, 'text', child, ...).
function el(tag, attrs = {}, ...kids) {
  const ns = ['svg', 'rect', 'text', 'line'].includes(tag) ? 'http://www.w3.org/2000/svg' : null;
  const e = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids) if (kid !== null && kid !== undefined) e.append(kid);
  return e;
}

async function api(method, path, body, type = 'application/json') {
  const headers = { Authorization: 'Bearer ' + state.token };
  if (body !== undefined) headers['Content-Type'] = type;
  const res = await fetch(path, { method, headers, body });
  if (res.status === 401) {
    logout('The token was refused: log in again.');
    throw new Error('unauthorized');
  }
  return res;
}

async function apiJson(method, path, body) {
  const res = await api(method, path, body === undefined ? undefined : JSON.stringify(body));
  const data = await res.json().catch(() => ({}));
  return { status: res.status, data };
}

const errorText = (data) => (data && data.error ? data.error.message : 'unexpected answer');

// ---- Log in ----------------------------------------------------------------------------

async function login(token) {
  state.token = token;
  const res = await fetch('/v1/session', { headers: { Authorization: 'Bearer ' + token } });
  if (res.status !== 200) {
    $('#login-error').textContent = res.status === 401 ? 'Unknown token.' :
      'The gateway answered ' + res.status + '.';
    state.token = null;
    return;
  }
  const who = await res.json();
  state.role = who.role;
  sessionStorage.setItem('sg_token', token);
  $('#who').textContent = who.name + ' (' + who.role + ')';
  $('#login').hidden = true;
  $('#tabs').hidden = false;
  $('#logout').hidden = false;
  const status = await apiJson('GET', '/v1/status');
  $('#store').textContent = status.data.store_id || '';
  show(state.tab);
}

function logout(message) {
  sessionStorage.removeItem('sg_token');
  clearInterval(state.timer);
  Object.assign(state, { token: null, role: null });
  for (const s of document.querySelectorAll('.tab')) s.hidden = true;
  $('#tabs').hidden = true;
  $('#logout').hidden = true;
  $('#who').textContent = '';
  $('#login').hidden = false;
  $('#login-error').textContent = message || '';
}

function show(tab) {
  state.tab = tab;
  for (const b of document.querySelectorAll('#tabs button'))
    b.classList.toggle('active', b.dataset.tab === tab);
  for (const s of document.querySelectorAll('.tab')) s.hidden = s.id !== tab;
  clearInterval(state.timer);
  const refresh = { health: refreshHealth, live: refreshLive, operate: refreshOperate }[tab];
  refresh().catch(() => {});
  // Operate is refreshed on actions only, so that forms being edited are not replaced.
  if (tab !== 'operate') state.timer = setInterval(() => refresh().catch(() => {}), POLL_MS);
}

// ---- Health ----------------------------------------------------------------------------

function tile(label, value, id) {
  return el('div', { class: 'tile', 'data-tile': id },
    el('div', { class: 'value' }, String(value)), el('div', { class: 'label' }, label));
}

function age(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 120) return seconds + ' s';
  if (seconds < 7200) return Math.round(seconds / 60) + ' min';
  return Math.round(seconds / 3600) + ' h';
}

async function refreshHealth() {
  const [plugins, buffer] = await Promise.all([apiJson('GET', '/v1/plugins'),
    apiJson('GET', '/v1/buffer')]);
  const now = Date.now();
  const rows = plugins.data.plugins.map((p) => {
    const count = p.emitted + p.delivered;
    const last = state.lastCounts.get(p.name);
    state.lastCounts.set(p.name, { count, at: now });
    const rate = last && now > last.at ? ((count - last.count) * 1000 / (now - last.at)) : null;
    return el('tr', { 'data-plugin': p.name },
      el('td', {}, p.name), el('td', {}, p.plugin), el('td', {}, p.version || ''),
      el('td', {}, el('span', { class: 'badge ' + p.state }, p.state)),
      el('td', {}, el('span', { class: 'badge ' + p.health }, p.health)),
      el('td', {}, rate === null ? '…' : rate.toFixed(1)),
      el('td', { class: 'error' }, p.last_error || ''));
  });
  $('#plugins-table tbody').replaceChildren(...rows);
  const uplinks = plugins.data.plugins.filter((p) => p.plugin.startsWith('platform_'));
  const uplink = uplinks.length === 0 ? 'none configured' :
    uplinks.every((p) => p.state === 'running' && p.health === 'ok') ? 'up' : 'DOWN';
  const b = buffer.data;
  $('#health-tiles').replaceChildren(
    tile('events buffered', b.events, 'events'),
    tile('buffer MB', (b.bytes / 1048576).toFixed(1), 'bytes'),
    tile('dead letters', b.dead_letters, 'dead'),
    tile('uplink', uplink, 'uplink'));
  $('#sinks-table tbody').replaceChildren(...b.sinks.map((s) => el('tr', {},
    el('td', {}, s.sink), el('td', {}, String(s.lag)),
    el('td', {}, age(s.oldest_undelivered_age_s)))));
}

// ---- Live store ------------------------------------------------------------------------

const pct = (x) => (x === null || x === undefined ? '—' : (100 * x).toFixed(1) + ' %');

function chart(hours, now) {
  const max = Math.max(1, ...hours.map((h) => Math.max(h.in, h.out)));
  const svg = $('#chart');
  const kids = [];
  hours.forEach((h, i) => {
    const x = 20 + i * 29;
    const hin = 170 * h.in / max, hout = 170 * h.out / max;
    kids.push(el('rect', { class: 'in', x, y: 190 - hin, width: 12, height: hin }),
      el('rect', { class: 'out', x: x + 13, y: 190 - hout, width: 12, height: hout }),
      el('text', { x: x + 4, y: 205 }, String(i)));
    if (i === now) kids.push(el('line', { x1: x - 2, x2: x + 27, y1: 212, y2: 212, stroke: '#1d232b' }));
  });
  kids.push(el('text', { x: 20, y: 14 }, 'in (dark) / out (light), max ' + max + ' per hour'));
  svg.replaceChildren(...kids);
}

async function refreshLive() {
  const { data } = await apiJson('GET', '/v1/store/today');
  $('#live-note').textContent = data.caught_up ? '' : '(reading the backlog…)';
  $('#live-tiles').replaceChildren(
    tile('in today', data.in, 'in'), tile('out today', data.out, 'out'),
    tile('in the store now', data.occupancy, 'occupancy'),
    tile('receipts', data.receipts, 'receipts'),
    tile('conversion (receipts ÷ in)', pct(data.conversion), 'conversion'),
    tile('member scans', data.member_scans, 'scans'),
    tile('sensor alerts', data.alerts, 'alerts'));
  chart(data.hours, data.hour_now);
  const rows = data.hours.filter((h) => h.hour <= data.hour_now).reverse().map((h) =>
    el('tr', {}, el('td', {}, String(h.hour).padStart(2, '0') + ':00'), el('td', {}, String(h.in)),
      el('td', {}, String(h.out)), el('td', {}, String(h.receipts)), el('td', {}, pct(h.conversion)),
      el('td', {}, String(h.member_scans)), el('td', {}, String(h.alerts))));
  $('#hours-table tbody').replaceChildren(...rows);
}

// ---- Operate ---------------------------------------------------------------------------

function message(text, isError) {
  const m = $('#operate-message');
  m.textContent = text;
  m.className = isError ? 'error' : '';
}

// The value typed into a field, as the type the config had.
function typed(original, text) {
  if (typeof original === 'string') return text;
  try { return JSON.parse(text); } catch { return text; }
}

function configForm(p) {
  const form = el('form', { 'data-config': p.name });
  for (const [key, value] of Object.entries(p.config)) {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    form.append(el('label', {}, el('span', {}, key),
      el('input', { name: key, value: text, 'data-original': text, size: 40 }),
      el('span', { class: 'field-error', 'data-error-for': key })));
  }
  form.append(el('button', { type: 'submit', class: 'primary' }, 'Save'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const patch = {};
    for (const input of form.querySelectorAll('input')) {
      input.classList.remove('invalid');
      form.querySelector(`[data-error-for="${CSS.escape(input.name)}"]`).textContent = '';
      if (input.value !== input.dataset.original)
        patch[input.name] = typed(p.config[input.name], input.value);
    }
    if (Object.keys(patch).length === 0) return message('Nothing changed.');
    const { status, data } = await apiJson('PUT', `/v1/plugins/${encodeURIComponent(p.name)}/config`,
      { config: patch, merge: true });
    if (status === 200) return message(p.name + ': configuration saved.') || refreshOperate();
    // Each error next to its field: paths end in ".<property>".
    for (const e of (data.error && data.error.errors) || []) {
      const key = Object.keys(p.config).find((k) => e.path === k || e.path.endsWith('.' + k));
      const slot = key && form.querySelector(`[data-error-for="${CSS.escape(key)}"]`);
      if (slot) {
        slot.textContent = e.message;
        form.querySelector(`input[name="${CSS.escape(key)}"]`).classList.add('invalid');
      }
    }
    message(p.name + ': not saved: ' + errorText(data), true);
  });
  return form;
}

function pluginCard(p) {
  const actions = el('div', { class: 'actions' });
  const card = el('div', { class: 'card', 'data-card': p.name },
    el('h3', {}, p.name + ' ', el('span', { class: 'badge ' + p.state }, p.state),
      ' ' + p.plugin + ' ' + (p.version || '')), actions);
  const path = '/v1/plugins/' + encodeURIComponent(p.name);
  if (can('operator')) {
    const running = p.state === 'running';
    actions.append(el('button', { onclick: async () => {
      const { status, data } = await apiJson('POST', path + (running ? '/stop' : '/start'));
      message(status === 200 ? `${p.name}: ${data.state}` : p.name + ': ' + errorText(data), status !== 200);
      refreshOperate();
    } }, running ? 'Stop' : 'Start'));
    actions.append(el('button', { onclick: () => {
      if (state.editing.has(p.name)) state.editing.delete(p.name); else state.editing.add(p.name);
      refreshOperate();
    } }, state.editing.has(p.name) ? 'Close config' : 'Edit config'));
  }
  if (can('admin')) {
    const file = el('input', { type: 'file', accept: '.so', 'aria-label': 'plugin build for ' + p.name });
    actions.append(file, el('button', { onclick: async () => {
      if (!file.files.length) return message('Choose a plugin build (.so) first.', true);
      const res = await api('POST', path + '/upload', file.files[0], 'application/octet-stream');
      const data = await res.json().catch(() => ({}));
      message(res.status === 200 ? `${p.name}: swapped to the uploaded build` :
        p.name + ': ' + errorText(data), res.status !== 200);
      refreshOperate();
    } }, 'Upload and swap'));
    if (p.plugin === 'camera_footfall') {
      const img = el('img', { class: 'snapshot', alt: 'calibration snapshot of ' + p.name, hidden: true });
      actions.append(el('button', { onclick: async () => {
        const res = await api('GET', path + '/snapshot');
        if (res.status !== 200) return message(p.name + ': ' + errorText(await res.json()), true);
        img.src = URL.createObjectURL(await res.blob());
        img.hidden = false;
      } }, 'Camera snapshot'));
      card.append(img);
    }
  }
  if (state.editing.has(p.name)) card.append(configForm(p));
  return card;
}

async function refreshOperate() {
  const [plugins, dead] = await Promise.all([apiJson('GET', '/v1/plugins'),
    apiJson('GET', '/v1/buffer/dead-letters')]);
  $('#operate-plugins').replaceChildren(...plugins.data.plugins.map(pluginCard));
  if (dead.data.dead_letters.length === 0) {
    $('#dead-table tbody').replaceChildren(el('tr', {}, el('td', { colspan: 5 }, 'none')));
    return;
  }
  $('#dead-table tbody').replaceChildren(...dead.data.dead_letters.map((d) => {
    const path = `/v1/buffer/dead-letters/${encodeURIComponent(d.sink)}/${d.sequence}`;
    const act = el('td', {});
    if (can('operator')) {
      act.append(el('button', { onclick: async () => {
        const { status, data } = await apiJson('POST', path + '/retry');
        message(status === 200 ? 'Queued for delivery again.' : errorText(data), status !== 200);
        refreshOperate();
      } }, 'Retry'), ' ', el('button', { onclick: async () => {
        const { status, data } = await apiJson('DELETE', path);
        message(status === 200 ? 'Discarded.' : errorText(data), status !== 200);
        refreshOperate();
      } }, 'Discard'));
    }
    return el('tr', {}, el('td', {}, d.sink), el('td', {}, String(d.sequence)),
      el('td', {}, d.type), el('td', {}, d.reason), act);
  }));
}

// ---- Start -----------------------------------------------------------------------------

document.addEventListener('DOMContentLoaded', () => {
  $('#login-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    login($('#token').value.trim()).catch((e) => { $('#login-error').textContent = String(e); });
  });
  $('#logout').addEventListener('click', () => logout());
  for (const b of document.querySelectorAll('#tabs button'))
    b.addEventListener('click', () => show(b.dataset.tab));
  if (state.token) login(state.token).catch(() => logout());
});
