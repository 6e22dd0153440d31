import { expect, test, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hydrated, PASSWORD, signUp } from './fixtures';

// A receiver that checks signatures with the Standard Webhooks library (scripts/); the
// server under test runs with JUNCTION_ALLOW_PRIVATE_WEBHOOKS=1 so it may post to it.
class Receiver {
  private constructor(private readonly child: ChildProcess, readonly port: number, private readonly dir: string) {}

  static async start(): Promise<Receiver> {
    const dir = mkdtempSync(join(tmpdir(), 'receiver-'));
    const child = spawn('python3', ['../scripts/webhook-receiver.py', '--secrets', join(dir, 'secrets'), '--log', join(dir, 'log')],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.once('data', (chunk: Buffer) => {
        const found = /listening on (\d+)/.exec(chunk.toString());
        if (found) resolve(Number(found[1])); else reject(new Error(`receiver: ${chunk}`));
      });
      child.once('exit', (code) => reject(new Error(`the receiver exited with ${code}`)));
    });
    return new Receiver(child, port, dir);
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  trust(secret: string): void {
    writeFileSync(join(this.dir, 'secrets'), secret);
  }

  entries(): any[] {
    try {
      return readFileSync(join(this.dir, 'log'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    } catch {
      return [];
    }
  }

  stop(): void {
    this.child.kill();
  }
}

// Shown as text in the delivery log's body: it must not run.
const HOSTILE = `</pre></details><script>window.__xss="body"</script><img src=x onerror="window.__xss='img'">`;

async function noScriptRan(page: Page): Promise<void> {
  await page.waitForTimeout(100);
  expect(await page.evaluate(() => (window as any).__xss)).toBeUndefined();
}

test('install Webhooks, add an endpoint, submit a form and see the signed delivery in the log', async ({ page }) => {
  const receiver = await Receiver.start();
  try {
    page.on('dialog', (dialog) => { throw new Error(`a dialog opened: ${dialog.message()}`); });
    await signUp(page);
    const key = await page.request.post('/api/api-keys/create', { form: { name: 'hooks', password: PASSWORD } });
    const created = await page.request.post('/api/v1/forms', {
      headers: { Authorization: `Bearer ${await key.json()}` },
      data: {
        name: 'Contact us',
        fields: [{ identifier: 'email', label: 'Email', type: 'email', required: true },
          { identifier: 'note', label: 'Note', type: 'long_text' }],
        fallback: { action: { type: 'message', value: 'Thanks!' } },
      },
    });
    expect(created.status(), await created.text()).toBe(201);
    const formId = (await created.json()).id as string;

    // Install from the App Store, with consent.
    await page.goto('/apps/webhooks');
    await hydrated(page);
    await expect(page.getByTestId('permissions')).toContainText('Send data from Junction to other sites');
    await page.getByTestId('install').click();
    await hydrated(page);
    await page.getByTestId('allow').check();
    await page.getByTestId('confirm-install').click();
    await expect(page).toHaveURL(/\/apps\/installed\/[0-9a-f]+$/);
    await hydrated(page);
    await page.getByTestId('activate').click();
    await expect(page.getByTestId('state')).toHaveText('Active');
    await page.getByTestId('manage-endpoints').click();
    await expect(page).toHaveURL(/\/webhooks$/);
    await hydrated(page);
    await expect(page.getByTestId('no-endpoints')).toBeVisible();

    // A refused URL keeps what was typed and says why.
    await page.getByTestId('new-url').fill('ftp://example.com/hooks');
    await page.getByTestId('add-endpoint-button').click();
    await expect(page.getByTestId('url-error')).not.toBeEmpty();
    await expect(page.getByTestId('new-url')).toHaveValue('ftp://example.com/hooks');

    // Added: the secret is shown once.
    await page.getByTestId('new-url').fill(receiver.url('/hook'));
    await expect(page.getByTestId('new-event-form.submitted')).toBeChecked();
    await page.getByTestId('new-form').selectOption(formId);
    await page.getByTestId('add-endpoint-button').click();
    const secret = (await page.getByTestId('new-webhook-secret').textContent())!.trim();
    expect(secret).toMatch(/^whsec_/);
    receiver.trust(secret);
    await expect(page.getByTestId('endpoint')).toHaveCount(1);
    await expect(page.getByTestId('endpoint-url')).toHaveText(receiver.url('/hook'));
    await expect(page.getByTestId('endpoint-form')).toHaveText('Contact us');
    await expect(page.getByTestId('endpoint-state')).toHaveText('Active');
    await page.reload();
    await hydrated(page);
    await expect(page.getByTestId('new-webhook-secret')).toHaveCount(0);
    expect(await page.content()).not.toContain(secret);

    // A respondent submits; the worker delivers; the receiver's library verifies it.
    await page.goto(`/f/${formId}`);
    await hydrated(page);
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Note').fill(HOSTILE);
    await page.getByTestId('submit-answers').click();
    await expect(page.getByTestId('thank-you')).toBeVisible();
    await expect.poll(() => receiver.entries().length, { timeout: 15_000 }).toBe(1);
    const got = receiver.entries()[0];
    expect(got.verified, JSON.stringify(got)).toBe(true);
    expect(got.body.type).toBe('form.submitted');
    expect(got.body.data.answers.note.value).toBe(HOSTILE);

    // The delivery log shows it, its attempt and its body, as text.
    await page.goto('/webhooks');
    await hydrated(page);
    await page.getByTestId('endpoint-deliveries').click();
    await expect(page).toHaveURL(/\/webhooks\/[0-9a-f]+$/);
    await hydrated(page);
    const delivery = page.getByTestId('delivery').first();
    await expect(delivery.getByTestId('delivery-state')).toHaveText('delivered');
    await expect(delivery.getByTestId('delivery-outcome')).toHaveText('HTTP 204');
    await delivery.locator('summary').click();
    await expect(delivery.getByTestId('delivery-event-id')).toHaveText(got.id);
    // Pretty-printed JSON: the answer as a JSON string.
    await expect(delivery.getByTestId('delivery-body')).toContainText(JSON.stringify(HOSTILE).slice(1, -1));
    await noScriptRan(page);
    const served = await (await page.request.get(page.url())).text();
    expect(served).not.toContain('<script>window.__xss');

    // Send it again: the same event id arrives a second time.
    await delivery.getByTestId('redeliver').click();
    await expect.poll(() => receiver.entries().length, { timeout: 15_000 }).toBe(2);
    expect(receiver.entries()[1].id).toBe(got.id);

    // A test event, a rotation (the new secret verifies), switch off, delete.
    await page.goto('/webhooks');
    await hydrated(page);
    await page.getByTestId('endpoint-rotate').click();
    const rotated = (await page.getByTestId('new-webhook-secret').textContent())!.trim();
    expect(rotated).not.toBe(secret);
    await expect(page.getByTestId('old-secret')).toContainText('Also signs until');
    receiver.trust(rotated);
    await page.getByTestId('endpoint-test').click();
    await expect(page.getByTestId('test-queued')).toBeVisible();
    await expect.poll(() => receiver.entries().length, { timeout: 15_000 }).toBe(3);
    expect(receiver.entries()[2].body.type).toBe('webhook.test');
    expect(receiver.entries()[2].verified).toBe(true);
    await page.getByTestId('endpoint-off').click();
    await expect(page.getByTestId('endpoint-state')).toHaveText('Off');
    await expect(page.getByTestId('endpoint-test')).toHaveCount(0);
    await page.getByTestId('endpoint-delete').click();
    await expect(page.getByTestId('no-endpoints')).toBeVisible();
  } finally {
    receiver.stop();
  }
});
