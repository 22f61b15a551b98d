/**
 * The Temporal Web UI in a real browser (Debian's chromium driven by playwright-core) during a
 * live backfill: the parent and its children are listed, the list filters by the BackfillId search
 * attribute, and the parent's page shows its live markdown details. Screenshots go to
 * test-artifacts/ui/ (git-ignored).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startBackfill } from '../../client/backfills';
import { startTestEnv, type TestEnv } from '../../testkit/env';
import { prepareTransactionsBackfill } from '../../testkit/fixtures';
import { freePort } from '../../testkit/ports';
import { waitFor } from '../../testkit/wait';
import { startWorker, type RunningWorker } from '../../testkit/worker';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const artifacts = path.resolve(__dirname, '..', '..', '..', 'test-artifacts', 'ui');
// CI installs chromium (.ci/run); elsewhere the suite says why it skips instead of failing.
const skip =
  !existsSync(CHROMIUM) && !process.env.CI
    ? `no browser at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`
    : false;

describe('the Temporal UI in a real browser', { skip }, () => {
  let env: TestEnv;
  let worker: RunningWorker;
  let browser: Browser;
  let page: Page;
  let ui: string;

  before(async () => {
    env = await startTestEnv({ uiPort: await freePort() });
    // Slow commits keep the backfill running while the browser looks at it.
    worker = await startWorker(env, { faults: { delayBeforeCommitMs: () => 2500 } });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    ui = `${env.server.uiUrl}/namespaces/${env.server.namespace}`;
    mkdirSync(artifacts, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await worker?.stop();
    await env?.server.stop();
  });

  /** Six small partitions, two at a time, under a unique name beginning with `name`. */
  const spec = (name: string) =>
    prepareTransactionsBackfill({
      name,
      from: '2019-01',
      to: '2019-06',
      data: { rowsPerPartition: 40, filesPerPartition: 1 },
      extra: { maxConcurrency: 2 },
    }).spec;

  /** Reloads a page until its text satisfies the check (the UI fetches on load). */
  async function untilText(url: string, check: (text: string) => boolean, what: string) {
    return waitFor(
      what,
      async () => {
        await page.goto(url);
        await page.waitForLoadState('networkidle');
        const text = await page.innerText('body');
        return check(text) ? text : undefined;
      },
      60_000,
    );
  }

  it('lists the parent and its children, filters by BackfillId, and shows the live details', async () => {
    const [mine, others] = [spec('ui'), spec('other')];
    const [id, other] = [mine.name, others.name];
    const handle = await startBackfill(env.client, mine, { taskQueue: worker.taskQueue });
    const otherHandle = await startBackfill(env.client, others, { taskQueue: worker.taskQueue });

    // The workflow list: the parent and its readable child IDs.
    const list = await untilText(
      `${ui}/workflows`,
      (t) => t.includes(`${id}/2019-01`) && t.includes(`${other}/2019-01`),
      'the list to show both backfills',
    );
    assert.match(list, new RegExp(`${id}\\s+\\S+\\s+backfillWorkflow`));
    assert.match(list, new RegExp(`${id}/2019-02\\s+\\S+\\s+partitionWorkflow`));
    await page.screenshot({ path: path.join(artifacts, 'list.png') });

    // The search attribute filter: only this backfill's parent and children remain.
    const query = encodeURIComponent(`BackfillId="${id}"`);
    const filtered = await untilText(
      `${ui}/workflows?query=${query}`,
      (t) => t.includes(`${id}/2019-01`) && t.includes('BackfillId'),
      'the filtered list',
    );
    assert.ok(!filtered.includes(other), 'the other backfill is filtered out');
    const ids = [...filtered.matchAll(new RegExp(`^\\s*(${id}(/\\d{4}-\\d{2})?)\\s`, 'gm'))].map((m) => m[1]);
    assert.ok(ids.includes(id), `the parent is listed (saw ${ids.join(', ')})`);
    await page.screenshot({ path: path.join(artifacts, 'filtered.png') });

    // Open the parent from the list, then its user metadata: the live markdown details.
    await page.getByRole('link', { name: id, exact: true }).first().click();
    await page.waitForURL(new RegExp(`/workflows/${id}/`));
    await page.getByRole('tab', { name: /User Metadata/ }).click();
    const details = await waitFor('the live details', async () => {
      for (const frame of page.frames()) {
        const text = await frame.innerText('body').catch(() => '');
        if (text.includes(`Backfill ${id}`)) return text;
      }
      return undefined;
    });
    assert.match(details, new RegExp(`Backfill ${id} — running`));
    assert.match(details, /\d+ \/ 6\s+partitions done · \d+ running \(max 2\)/);
    assert.match(details, /rows read/);
    await page.screenshot({ path: path.join(artifacts, 'parent-details.png'), fullPage: true });

    // The relationships tab lists the children by their readable IDs.
    await page.getByRole('tab', { name: /Relationships/ }).click();
    await page.getByText(`${id}/2019-01`).first().waitFor();
    await page.screenshot({ path: path.join(artifacts, 'relationships.png'), fullPage: true });

    const [summary] = await Promise.all([handle.result(), otherHandle.result()]);
    assert.equal(summary.counts.succeeded, 6);

    // Once closed, the details say so (the UI shows what the workflow last set).
    const closed = await untilText(
      `${ui}/workflows?query=${query}`,
      (t) => !/Running/.test(t.split('Workflow ID')[1] ?? 'Running'),
      'every listed run to be closed',
    );
    assert.match(closed, /Completed/);
    await page.screenshot({ path: path.join(artifacts, 'closed.png') });
  });
});
