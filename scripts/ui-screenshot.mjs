// Screenshots of the Temporal Web UI showing restores: the list filtered to restores, with the
// project's search attributes as columns, and one restore's page (summary, details, current step).
// Drives Debian's headless Chromium over the DevTools protocol (Node's WebSocket), because the
// column choice lives in the UI's localStorage. Usage: node scripts/ui-screenshot.mjs OUT_DIR [RESTORE_ID]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [outDir, restoreId] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: node scripts/ui-screenshot.mjs OUT_DIR [RESTORE_ID]');
  process.exit(2);
}
const ui = (process.env.PITR_TEMPORAL_UI || 'http://127.0.0.1:8233').replace(/\/$/, '');
const namespace = process.env.TEMPORAL_NAMESPACE || 'default';
const columns = ['Status', 'RestoreServer', 'RestoreTargetTime', 'RestoreBackupId', 'RestorePhase', 'RestoreDestination', 'Start', 'End'];

const port = await new Promise((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
});
const profile = mkdtempSync(join(tmpdir(), 'pitr-chromium-'));
const chromium = spawn(
  '/usr/bin/chromium',
  [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, `--remote-debugging-port=${port}`,
    '--remote-debugging-address=127.0.0.1', '--window-size=1900,900', 'about:blank',
  ],
  { stdio: 'ignore' },
);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
try {
  let pageUrl;
  for (let i = 0; i < 100 && !pageUrl; i++) {
    await sleep(100);
    const targets = await fetch(`http://127.0.0.1:${port}/json/list`).then((r) => r.json()).catch(() => []);
    pageUrl = targets.find((t) => t.type === 'page')?.webSocketDebuggerUrl;
  }
  if (!pageUrl) throw new Error('Chromium did not open a page for the DevTools protocol');
  const socket = new WebSocket(pageUrl);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  let nextId = 1;
  const pending = new Map();
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.id && pending.has(message.id)) {
      pending.get(message.id)(message);
      pending.delete(message.id);
    }
  };
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, (m) => (m.error ? reject(new Error(`${method}: ${m.error.message}`)) : resolve(m.result)));
      socket.send(JSON.stringify({ id, method, params }));
    });
  const shoot = async (url, file) => {
    await send('Page.navigate', { url });
    await sleep(5000);
    const { data } = await send('Page.captureScreenshot', { format: 'png' });
    writeFileSync(join(outDir, file), Buffer.from(data, 'base64'));
    console.log(`wrote ${join(outDir, file)}`);
  };

  await send('Page.enable');
  await send('Page.navigate', { url: `${ui}/namespaces/${namespace}/workflows` });
  await sleep(2000);
  const state = { [namespace]: columns.map((label, i) => ({ label, pinned: i < 1 })) };
  await send('Runtime.evaluate', { expression: `localStorage.setItem('namespace-workflow-table-columns', ${JSON.stringify(JSON.stringify(state))})` });
  const query = encodeURIComponent(`WorkflowType="restoreToPointInTime"`);
  await shoot(`${ui}/namespaces/${namespace}/workflows?query=${query}`, 'temporal-ui-restores.png');
  if (restoreId) await shoot(`${ui}/namespaces/${namespace}/workflows/${encodeURIComponent(restoreId)}`, 'temporal-ui-restore.png');
  socket.close();
} finally {
  chromium.kill();
  await sleep(300);
  rmSync(profile, { recursive: true, force: true });
}
