// The store console end to end: the real daemon on a demo-like config (a greeter, the
// sample POS files, a camera on OpenCV's sample video, a file sink), driven in Debian's
// headless Chromium through playwright-core. Screenshots of every page go to ARTIFACTS.
//
// Env: STOREGATED, PLUGIN_DIR, SOURCE_DIR, ARTIFACTS. Bounded: every wait has a deadline
// and the whole run is killed after 150 s; the daemon is ended by its PID.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const env = (name) => {
  if (!process.env[name]) throw new Error(`${name} is not set (run through tests/console/run.sh)`);
  return process.env[name];
};
const STOREGATED = env('STOREGATED');
const PLUGIN_DIR = env('PLUGIN_DIR');
const SOURCE_DIR = env('SOURCE_DIR');
const ARTIFACTS = env('ARTIFACTS');
const TOKENS = { admin: 'sg_console_admin_token_000000000000000000000000000001',
  operator: 'sg_console_operator_token_0000000000000000000000000002',
  viewer: 'sg_console_viewer_token_000000000000000000000000000003' };

let daemon = null;
let browser = null;
const watchdog = setTimeout(() => finish(new Error('the console test ran past 150 s')), 150_000);

async function finish(error) {
  clearTimeout(watchdog);
  if (browser) await browser.close().catch(() => {});
  if (daemon && daemon.exitCode === null) {
    process.kill(daemon.pid, 'SIGTERM');
    await new Promise((r) => setTimeout(r, 3000));
    if (daemon.exitCode === null) process.kill(daemon.pid, 'SIGKILL');
  }
  if (error) {
    console.error('FAILED:', error.stack || error);
    process.exit(1);
  }
  console.log('console e2e: all steps passed; screenshots in', ARTIFACTS);
  process.exit(0);
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function until(what, fn, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (await fn()) return;
    } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function startDaemon() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'storegate-console-'));
  const port = await freePort();
  const sha = (t) => createHash('sha256').update(t).digest('hex');
  fs.writeFileSync(path.join(dir, 'tokens'), Object.entries(TOKENS)
    .map(([role, t]) => `${sha(t)} ${role} ${role}-test\n`).join(''), { mode: 0o600 });
  fs.cpSync(path.join(SOURCE_DIR, 'config/samples/pos'), path.join(dir, 'pos'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'storegate.yaml'), `store_id: console-store
data_dir: data
plugin_dirs: ["${PLUGIN_DIR}"]
log: {level: info, file: daemon.log}
admin:
  listen: 127.0.0.1:${port}
  tokens_file: tokens
  rate_per_second: 1000
  burst: 1000
plugins:
  - name: greeter
    plugin: hello
    config: {greeting: hello, interval: 1s}
  - name: tills
    plugin: pos_file
    config: {dir: pos, after: keep, quarantine_dir: quarantine, settle_time: 0s}
  - name: door
    plugin: camera_footfall
    config:
      camera.url: /usr/share/doc/opencv-doc/examples/data/vtest.avi
      camera.loop: true
      camera.max_fps: 15
      person_aspect: 3
      lines: [{name: west, points: [[160, 110], [160, 250]]}, {name: east, points: [[560, 170], [560, 370]]}]
  - name: local_export
    plugin: file_sink
    config: {path: events.jsonl}
`);
  daemon = spawn(STOREGATED, ['--config', path.join(dir, 'storegate.yaml')],
    { cwd: dir, stdio: ['ignore', 'ignore', fs.openSync(path.join(dir, 'out.log'), 'w')] });
  const base = `http://127.0.0.1:${port}`;
  await until('the admin API', async () => (await fetch(base + '/v1/health')).ok);
  return base;
}

async function login(page, base, token) {
  await page.goto(base + '/');
  await page.fill('#token', token);
  await page.click('#login-form button[type=submit]');
}

const shot = (page, name) =>
  page.screenshot({ path: path.join(ARTIFACTS, name + '.png'), fullPage: true });
const tileValue = async (page, id) =>
  (await page.textContent(`#live-tiles [data-tile="${id}"] .value`)).trim();

async function main() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const base = await startDaemon();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
  page.setDefaultTimeout(15_000);
  // Script errors only: refused requests (the wrong token, the invalid config) are
  // logged by Chromium as failed loads on purpose.
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));

  // Log in: a wrong token is refused with a message, the admin token opens the console.
  await page.goto(base + '/');
  await shot(page, '1-login');
  await login(page, base, 'sg_not_a_token');
  await page.waitForSelector('#login-error:text("Unknown token.")');
  await login(page, base, TOKENS.admin);
  await page.waitForSelector('#who:text("admin-test (admin)")');

  // Health: every plugin with its state, the buffer and the sinks.
  for (const name of ['greeter', 'tills', 'door', 'local_export'])
    await page.waitForSelector(`#plugins-table tr[data-plugin="${name}"] .badge.running`);
  await page.waitForSelector('#sinks-table tbody tr:has-text("local_export")');
  await until('an events/s figure', async () =>
    /\d/.test(await page.textContent('#plugins-table tr[data-plugin="greeter"] td:nth-child(6)')));
  await shot(page, '2-health');

  // Live store: footfall from the camera rises while we watch; receipts from the POS files.
  await page.click('#tabs button[data-tab="live"]');
  await page.waitForSelector('#live-tiles [data-tile="in"]');
  const firstIn = Number(await tileValue(page, 'in'));
  await until('the entries count to rise', async () => Number(await tileValue(page, 'in')) > firstIn, 40_000);
  await until('receipts', async () => Number(await tileValue(page, 'receipts')) > 0);
  assert.match(await tileValue(page, 'conversion'), /%$/);
  assert.ok((await page.$$('#chart rect')).length >= 48, 'an in and an out bar per hour');
  await shot(page, '3-live');

  // Operate: stop and start a plugin.
  await page.click('#tabs button[data-tab="operate"]');
  const greeter = '[data-card="greeter"]';
  await page.click(`${greeter} button:text("Stop")`);
  await page.waitForSelector(`${greeter} .badge.stopped`);
  await page.click(`${greeter} button:text("Start")`);
  await page.waitForSelector(`${greeter} .badge.running`);

  // A config with an invalid value: the error shows next to the field, nothing changes.
  await page.click(`${greeter} button:text("Edit config")`);
  await page.fill(`${greeter} input[name="interval"]`, 'soon');
  await page.click(`${greeter} form button[type=submit]`);
  const fieldError = `${greeter} [data-error-for="interval"]`;
  await until('the field error', async () => (await page.textContent(fieldError)).length > 0);
  assert.ok(await page.$(`${greeter} input[name="interval"].invalid`), 'the field is marked');
  await shot(page, '4-operate-invalid-config');
  const after = await (await fetch(base + '/v1/plugins/greeter',
    { headers: { Authorization: 'Bearer ' + TOKENS.admin } })).json();
  assert.equal(after.config.interval, '1s', 'the refused change was not applied');

  // Hot swap to an uploaded build (this router does not require signatures).
  const card = '[data-card="local_export"]';
  await page.setInputFiles(`${card} input[type=file]`, path.join(PLUGIN_DIR, 'file_sink.so'));
  await page.click(`${card} button:text("Upload and swap")`);
  await page.waitForSelector('#operate-message:text("local_export: swapped to the uploaded build")');
  const swapped = await (await fetch(base + '/v1/plugins/local_export',
    { headers: { Authorization: 'Bearer ' + TOKENS.admin } })).json();
  assert.match(swapped.library, /data\/plugins\/file_sink-/, 'runs the uploaded copy');
  assert.equal(swapped.state, 'running');

  // The camera's calibration snapshot, with the lines drawn.
  await page.click('[data-card="door"] button:text("Camera snapshot")');
  await until('the snapshot', async () =>
    (await page.$eval('[data-card="door"] img.snapshot', (i) => i.naturalWidth)) === 640);
  await shot(page, '5-operate-snapshot');

  // A viewer sees the same pages without a single button that would be refused.
  const viewer = await (await browser.newContext()).newPage();
  await login(viewer, base, TOKENS.viewer);
  await viewer.waitForSelector('#who:text("viewer-test (viewer)")');
  await viewer.click('#tabs button[data-tab="operate"]');
  await viewer.waitForSelector('[data-card="greeter"]');
  assert.equal((await viewer.$$('#operate-plugins button')).length, 0, 'no buttons for a viewer');
  assert.equal((await viewer.$$('#operate-plugins input')).length, 0, 'no upload for a viewer');
  await shot(viewer, '6-viewer-operate');
  assert.deepEqual(pageErrors, [], 'no script errors in the page');
}

main().then(() => finish(), finish);
