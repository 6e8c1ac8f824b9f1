/**
 * @jest-environment ./test/onnx-environment.cjs
 *
 * The web front end end to end, in Debian's Chromium: the real page, the real commands and engine
 * (tiny sizes), two fixture images in, a palette and a result out, 🔁 for finer tiles, and a bad file.
 * Saves a screenshot of the finished conversation: into docs/web-screenshot.png (the README's) when
 * TILESTYLE_SCREENSHOT=1, else into the temp directory, so a test run leaves the tree clean.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { start, type WebHandle } from '../src/bots/web/index.js';
import { FIXTURES } from './e2e/web-client.js';
import { makeTestCommands } from './helpers/commands.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT =
  process.env.TILESTYLE_SCREENSHOT === '1' ? new URL('../docs/web-screenshot.png', import.meta.url).pathname : join(tmpdir(), 'tilestyle-web-screenshot.png');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(`Skipping the web end-to-end test: ${CHROMIUM} is missing (run .ci/install-chromium.sh to install it).`);
}
const describeInBrowser = haveChromium ? describe : describe.skip;

/** The tile count in a thread's settings line ("Settings: tiles=2 size=64 …"). */
async function settingsTiles(thread: Locator): Promise<number> {
  const text = await thread.locator('.msg.bot').filter({ hasText: 'Settings:' }).innerText();
  const match = /tiles=(\d+)/.exec(text);
  if (!match) throw new Error(`no tile count in:\n${text}`);
  return Number(match[1]);
}

/** Waits for a thread's settings line (the last message of a finished job) and for its images to load. */
async function waitForFinished(thread: Locator): Promise<void> {
  await thread.locator('.msg.bot').filter({ hasText: 'Settings:' }).waitFor({ timeout: 300_000 });
  await thread
    .page()
    .waitForFunction(
      (nodes) => nodes.length > 0 && nodes.every((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0),
      await thread.locator('.msg.bot img').elementHandles(),
    );
}

describeInBrowser('web front end in Chromium', () => {
  let commands: Awaited<ReturnType<typeof makeTestCommands>>;
  let web: WebHandle;
  let browser: Browser;
  let page: Page;
  let dataDir: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tilestyle-web-e2e-'));
    commands = await makeTestCommands();
    web = await start({ host: '127.0.0.1', port: 0, dataDir }, commands.service);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await commands?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('stylizes, shows palette and result, re-runs with finer tiles, and explains a bad file', async () => {
    await page.goto(web.url);
    await page.getByText('Connected').waitFor();

    await page.getByLabel('Content image', { exact: true }).setInputFiles(`${FIXTURES}dog.jpg`);
    await page.getByLabel('Style image', { exact: true }).setInputFiles(`${FIXTURES}guitar.png`);
    await page.getByLabel('Tiles').fill('2');
    await page.getByLabel('Size (px)').fill('64');
    await page.getByLabel('Iterations').fill('30');
    await page.getByRole('button', { name: 'Send' }).click();

    const first = page.locator('.thread').nth(0);
    await first.getByText('Stylize dog.jpg in the style of guitar.png').waitFor();
    await waitForFinished(first);
    await expect(first.getByRole('img', { name: 'The palette of the style image' }).count()).resolves.toBe(1);
    const result = first.locator('.msg.bot').filter({ has: page.getByRole('img', { name: 'The content image redrawn in the style' }) });
    await expect(result.count()).resolves.toBe(1);
    expect(await settingsTiles(first)).toBe(2);
    // ❌ is offered only while the job can still be cancelled.
    await expect(first.getByRole('button', { name: /cancel/i }).count()).resolves.toBe(0);

    await result.getByRole('button', { name: /finer tiles/i }).click();
    const second = page.locator('.thread').nth(1);
    await second.getByText(/again, with finer tiles/i).waitFor();
    await waitForFinished(second);
    expect(await settingsTiles(second)).toBe(4);

    // The palette form: only a style image (the content picker is hidden).
    await page.getByLabel('Palette of a style').check();
    await expect(page.getByLabel('Content image', { exact: true }).isVisible()).resolves.toBe(false);
    await page.getByRole('button', { name: 'Show palette' }).click();
    const paletteThread = page.locator('.thread').nth(2);
    await paletteThread.getByText('Show the palette of guitar.png').waitFor();
    await waitForFinished(paletteThread);
    await expect(paletteThread.getByRole('img', { name: 'The palette of the style image' }).count()).resolves.toBe(1);
    await page.getByLabel('Stylized picture').check();

    // A text file dressed up as a PNG: the commands' own message appears in its thread.
    const fake = join(dataDir, 'notes.png');
    await writeFile(fake, 'these are notes, not a picture\n'.repeat(20));
    await page.getByLabel('Content image', { exact: true }).setInputFiles(fake);
    await page.getByRole('button', { name: 'Send' }).click();
    const third = page.locator('.thread').nth(3);
    await third.getByText('Stylize notes.png in the style of guitar.png').waitFor();
    await third.locator('.msg.bot').first().waitFor({ timeout: 300_000 });
    expect(await third.locator('.msg.bot').first().innerText()).toMatch(/The content image "notes\.png": /);
    expect(await third.locator('.msg.bot').first().innerText()).toContain('only you can see this');

    // A reload shows the same conversation.
    await page.reload();
    await page.getByText('Connected').waitFor();
    await page.locator('.thread').nth(3).locator('.msg.bot').first().waitFor();
    expect(await page.locator('.thread').count()).toBe(4);
    await waitForFinished(page.locator('.thread').nth(1));

    expect(pageErrors).toEqual([]);
    // The whole conversation in one picture: make the window as tall as its content.
    const height = await page.evaluate(() => {
      const conversation = document.querySelector('.conversation')!;
      return conversation.getBoundingClientRect().top + conversation.scrollHeight + 40;
    });
    await page.setViewportSize({ width: 1280, height: Math.min(Math.ceil(height), 4000) });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });
});
