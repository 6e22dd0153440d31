import { expect, test, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hydrated, PASSWORD, signUp } from './fixtures';

// An SMTP server written independently of Junction's client (aiosmtpd, scripts/); the
// server under test runs with JUNCTION_ALLOW_PRIVATE_WEBHOOKS=1 so it may reach it.
class SmtpReceiver {
  private constructor(private readonly child: ChildProcess, readonly port: number, private readonly dir: string) {}

  static async start(args: string[]): Promise<SmtpReceiver> {
    const dir = mkdtempSync(join(tmpdir(), 'smtp-'));
    const child = spawn('python3', ['../scripts/smtp-receiver.py', '--log', join(dir, 'log'), ...args],
      { stdio: ['ignore', 'pipe', 'ignore'] });
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.once('data', (chunk: Buffer) => {
        const found = /listening on (\d+)/.exec(chunk.toString());
        if (found) resolve(Number(found[1])); else reject(new Error(`receiver: ${chunk}`));
      });
      child.once('exit', (code) => reject(new Error(`the receiver exited with ${code}`)));
    });
    return new SmtpReceiver(child, port, dir);
  }

  messages(): any[] {
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

const SMTP_PASSWORD = 'smtp-Pässword-<b>"kept"</b>';
// Shown as text in the e-mail log's body: it must not run.
const HOSTILE = `</pre></details><script>window.__xss="body"</script><img src=x onerror="window.__xss='img'">`;

async function noScriptRan(page: Page): Promise<void> {
  await page.waitForTimeout(100);
  expect(await page.evaluate(() => (window as any).__xss)).toBeUndefined();
}

test('install Email notifications, save SMTP settings with a password, send a test e-mail and a response, read the log', async ({ page }) => {
  const receiver = await SmtpReceiver.start(['--user', 'junction', '--password', SMTP_PASSWORD]);
  try {
    page.on('dialog', (dialog) => { throw new Error(`a dialog opened: ${dialog.message()}`); });
    await signUp(page);
    const key = await page.request.post('/api/api-keys/create', { form: { name: 'mail', password: PASSWORD } });
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

    // Install from the App Store, with consent; it stays off until it is configured.
    await page.goto('/apps/email-notifications');
    await hydrated(page);
    await expect(page.getByTestId('permissions')).toContainText('Send you notifications');
    await page.getByTestId('install').click();
    await hydrated(page);
    await page.getByTestId('allow').check();
    await page.getByTestId('confirm-install').click();
    await expect(page).toHaveURL(/\/apps\/installed\/[0-9a-f]+$/);
    const installation = page.url();
    await hydrated(page);
    await expect(page.getByText('Switch the app on to send e-mails.')).toBeVisible();

    // A server name no e-mail could go to is refused by name, and what was typed stays.
    await page.getByTestId('setting-to').fill(`sales@example.com`);
    await page.getByTestId('setting-from').fill('forms@example.com');
    await page.getByTestId('setting-host').fill('smtp example.com');
    await page.getByTestId('setting-port').fill(String(receiver.port));
    await page.getByTestId('setting-security').selectOption('none');
    await page.getByTestId('setting-username').fill('junction');
    await page.getByTestId('setting-password').fill(SMTP_PASSWORD);
    await page.getByTestId('save-settings').click();
    await expect(page.getByTestId('form-error').first()).toContainText('"smtp example.com" is not an SMTP server');
    await expect(page.getByTestId('setting-password')).toHaveValue(SMTP_PASSWORD);
    await expect(page.getByTestId('setting-port')).toHaveValue(String(receiver.port));
    await expect(page.getByTestId('setting-to')).toHaveValue('sales@example.com');

    await page.getByTestId('setting-host').fill('127.0.0.1');
    await page.getByTestId('save-settings').click();
    await expect(page.getByTestId('saved')).toBeVisible();
    await page.getByTestId('activate').click();
    await expect(page.getByTestId('state')).toHaveText('Active');
    await expect(page.getByTestId('no-deliveries')).toBeVisible();

    // The password is kept sealed: never in the page again, only that one is set.
    await page.reload();
    await hydrated(page);
    await expect(page.getByTestId('setting-password')).toHaveValue('');
    await expect(page.getByTestId('setting-password-state')).toContainText('Set.');
    await expect(page.getByTestId('setting-host')).toHaveValue('127.0.0.1');
    expect(await page.content()).not.toContain('Pässword');

    // A test e-mail reaches the server, logged in with the password.
    await page.getByTestId('send-test-email').click();
    await expect.poll(() => receiver.messages().length, { timeout: 15_000 }).toBe(1);
    const testMail = receiver.messages()[0];
    expect(testMail.subject).toBe('A test e-mail from Junction');
    expect(testMail.password).toBe(SMTP_PASSWORD);
    expect(testMail.rcpt_tos).toEqual(['sales@example.com']);

    // A respondent submits; the e-mail arrives with the answers.
    await page.goto(`/f/${formId}`);
    await hydrated(page);
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Note').fill(HOSTILE);
    await page.getByTestId('submit-answers').click();
    await expect(page.getByTestId('thank-you')).toBeVisible();
    await expect.poll(() => receiver.messages().length, { timeout: 15_000 }).toBe(2);
    const responseMail = receiver.messages()[1];
    expect(responseMail.subject).toBe('New response to Contact us');
    expect(responseMail.text).toContain('Email: ada@example.com');
    expect(responseMail.text).toContain(HOSTILE);

    // The log shows both, delivered with the server's reply, the body as text.
    await page.goto(installation);
    await hydrated(page);
    await expect(page.getByTestId('delivery')).toHaveCount(2);
    const newest = page.getByTestId('delivery').first();
    await expect(newest.getByTestId('delivery-state')).toHaveText('delivered');
    await expect(newest.getByTestId('delivery-outcome')).toHaveText('SMTP 250');
    await newest.locator('summary').click();
    await expect(newest.getByTestId('delivery-body')).toContainText(JSON.stringify(HOSTILE).slice(1, -1));
    await noScriptRan(page);

    // Sent again on request.
    await newest.getByTestId('redeliver').click();
    await expect.poll(() => receiver.messages().length, { timeout: 15_000 }).toBe(3);
  } finally {
    receiver.stop();
  }
});
