import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, test } from '@playwright/test';
import { check, hostile, hydrated, LoginPage, PASSWORD, signUp, watch } from './fixtures';

// Publishing an app uploaded as a WebAssembly component, through the pages: the example
// app (examples/apps/domain-filter, built by scripts/test.sh) is uploaded with a manifest
// whose texts are hostile, verified, rejected by an administrator with a reason, submitted
// again and approved, then installed with consent, configured and run on a public form.

const WASM = process.env.JUNCTION_E2E_DOMAIN_FILTER;
const ADMIN_EMAIL = process.env.JUNCTION_E2E_ADMIN_EMAIL;
const ADMIN_PASSWORD = process.env.JUNCTION_E2E_ADMIN_PASSWORD;
const MANIFEST = path.resolve(__dirname, '../../examples/apps/domain-filter/manifest.json');

/** At most 80 characters, as a name may have. */
const NAME = 'Domain filter</title><script>window.__xss="name"</script>';

test('publish an app: upload, verification, rejection with a reason, approval, install and run', async ({ page, browser }) => {
  if (!WASM || !ADMIN_EMAIL || !ADMIN_PASSWORD) {
    throw new Error('set JUNCTION_E2E_DOMAIN_FILTER to the built example app and JUNCTION_E2E_ADMIN_EMAIL/_PASSWORD to an administrator (scripts/test.sh does)');
  }
  const manifest = JSON.parse(fs.readFileSync(MANIFEST, 'utf8'));
  manifest.name = NAME;
  manifest.summary = hostile('summary');
  manifest.description = hostile('description');
  manifest.publisher = hostile('publisher');
  manifest.releases[0].changes = hostile('changes');
  const manifestFile = { name: 'manifest.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(manifest)) };

  await watch(page);
  await signUp(page);
  await page.getByRole('link', { name: 'App Store' }).click();
  await hydrated(page);
  await page.getByTestId('publish-link').click();
  await expect(page).toHaveURL(/\/apps\/publish$/);
  await hydrated(page);
  await expect(page.getByTestId('no-versions')).toBeVisible();

  // A manifest that does not read is refused, naming the problem.
  await page.getByTestId('upload-manifest').setInputFiles({ name: 'manifest.json', mimeType: 'application/json', buffer: Buffer.from('{"slug": ') });
  await page.getByTestId('upload-component').setInputFiles(WASM);
  await page.getByTestId('upload').click();
  await expect(page.getByTestId('upload-error')).toContainText('manifest');
  await expect(page.getByTestId('no-versions')).toBeVisible();
  // The upload's answer comes back in the address: whatever it says is shown as text.
  await check(page, `/apps/publish?error=${encodeURIComponent(hostile('error'))}`);
  await expect(page.getByTestId('upload-error')).toHaveText(hostile('error'));

  // The real upload: verified at once.
  await page.getByTestId('upload-manifest').setInputFiles(manifestFile);
  await page.getByTestId('upload-component').setInputFiles(WASM);
  await page.getByTestId('upload').click();
  await expect(page).toHaveURL(/\/apps\/publish\?uploaded=domain-filter&version=1\.0\.0$/);
  await hydrated(page);
  await expect(page.getByTestId('uploaded')).toContainText('Uploaded domain-filter 1.0.0');
  const card = page.getByTestId('published-domain-filter-1.0.0');
  for (const section of ['security', 'compatibility', 'performance']) {
    await expect(card.getByTestId(`report-${section}`)).toContainText('passed');
  }
  await expect(card.getByTestId('trial-run')).toContainText('form.beforeSubmit');
  await expect(card.getByTestId('version-state')).toHaveText('draft');
  await card.getByTestId('submit').click();
  await expect(card.getByTestId('version-state')).toHaveText('submitted');

  // An administrator rejects it with a reason.
  const context = await browser.newContext();
  const admin = await context.newPage();
  await watch(admin);
  await new LoginPage(admin).open('/login?next=/admin/apps');
  await new LoginPage(admin).logIn(ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(admin).toHaveURL(/\/admin\/apps$/);
  await hydrated(admin);
  const review = admin.getByTestId('review-domain-filter-1.0.0');
  await expect(review.getByTestId('version-state')).toHaveText('submitted');
  await expect(review.getByTestId('report-security')).toContainText('passed');
  const reason = 'Say who runs it <b>in the description</b><script>window.__xss="reason"</script>';
  await review.getByTestId('reject-reason').fill(reason);
  await review.getByTestId('reject').click();
  await expect(review.getByTestId('version-state')).toHaveText('rejected');
  await check(admin, '/admin/apps');

  // Not in the App Store; the publisher reads why, as text, and submits it again.
  await page.goto('/apps');
  await hydrated(page);
  await expect(page.getByTestId('app-domain-filter')).toHaveCount(0);
  await check(page, '/apps/publish');
  await expect(card.getByTestId('version-state')).toHaveText('rejected');
  await expect(card.getByTestId('version-reason')).toHaveText(reason);
  await card.getByTestId('submit').click();
  await expect(card.getByTestId('version-state')).toHaveText('submitted');

  await admin.reload();
  await hydrated(admin);
  await review.getByTestId('approve').click();
  await expect(review.getByTestId('version-state')).toHaveText('approved');
  await context.close();

  // In the App Store within a second or two (each server rereads the approved versions).
  await expect(async () => {
    await page.goto('/apps?q=domain');
    await expect(page.getByTestId('app-domain-filter')).toBeVisible({ timeout: 1000 });
  }).toPass();
  await check(page, '/apps');
  await check(page, '/apps/domain-filter');
  await expect(page).toHaveTitle(`${NAME} · Junction`);
  await expect(page.getByTestId('app-detail')).toContainText(hostile('description'));
  await expect(page.getByTestId('permissions')).toContainText('Read the answers people send to your forms.');

  // Install with consent, configure, switch on.
  await page.getByTestId('install').click();
  await expect(page).toHaveURL(/\/apps\/domain-filter\/install$/);
  await hydrated(page);
  await expect(page.getByTestId('consent-permissions')).toContainText('Read the settings you give this app.');
  await page.getByTestId('allow').check();
  await page.getByTestId('confirm-install').click();
  await expect(page).toHaveURL(/\/apps\/installed\/[0-9a-f]+$/);
  await hydrated(page);
  const installation = new URL(page.url()).pathname;
  await page.getByTestId('setting-blocked_domains').fill('blocked.example');
  await page.getByTestId('save-settings').click();
  await expect(page.getByTestId('saved')).toBeVisible();
  await page.getByTestId('activate').click();
  await expect(page.getByTestId('state')).toHaveText('Active');
  await check(page, installation);

  // A respondent from a blocked domain is refused with the app's message and keeps the
  // answers; another domain passes.
  const key = await page.request.post('/api/api-keys/create', { form: { name: 'publish', password: PASSWORD } });
  expect(key.status(), await key.text()).toBe(200);
  const created = await page.request.post('/api/v1/forms', {
    headers: { Authorization: `Bearer ${(await key.json()) as string}` },
    data: {
      name: 'Contact us',
      fields: [{ identifier: 'email', label: 'Email', type: 'email', required: true },
        { identifier: 'note', label: 'Note', type: 'short_text' }],
      fallback: { action: { type: 'message', value: 'Thanks!' } },
    },
  });
  expect(created.status(), await created.text()).toBe(201);
  const formId = (await created.json()).id as string;
  await page.goto(`/f/${formId}`);
  await hydrated(page);
  await page.getByLabel('Email').fill('someone@blocked.example');
  await page.getByLabel('Note').fill('Please call me');
  await page.getByTestId('submit-answers').click();
  await expect(page.getByTestId('form-notice')).toHaveText('Submissions from blocked.example are not accepted');
  await expect(page.getByLabel('Email')).toHaveValue('someone@blocked.example');
  await expect(page.getByLabel('Note')).toHaveValue('Please call me');
  await page.getByLabel('Email').fill('someone@fine.example');
  await page.getByTestId('submit-answers').click();
  await expect(page.getByTestId('thank-you')).toBeVisible();
});

test('the guide for app authors lists the interfaces, the limits and the permissions', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('link', { name: 'Writing apps' }).click();
  await expect(page).toHaveURL(/\/docs\/apps$/);
  await hydrated(page);
  await expect(page.getByTestId('wit-interfaces')).toContainText('responses:read or responses:write');
  await expect(page.getByTestId('wit-world')).toContainText('export handle: func(event: event) -> result<outcome, string>;');
  await expect(page.getByTestId('limits')).toContainText('100 ms');
  await expect(page.getByText('not while it waits for a CPU')).toBeVisible();
  await expect(page.getByTestId('scopes')).toContainText('Send you notifications.');
  await expect(page.getByTestId('example-manifest')).toContainText('"slug": "domain-filter"');
});
