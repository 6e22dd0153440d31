import { expect, test, type APIRequestContext } from '@playwright/test';
import { hydrated, PASSWORD, signUp } from './fixtures';

async function apiKey(request: APIRequestContext): Promise<string> {
  const created = await request.post('/api/api-keys/create', { form: { name: 'apps', password: PASSWORD } });
  expect(created.status(), await created.text()).toBe(200);
  return (await created.json()) as string;
}

const contactForm = {
  name: 'Contact us',
  fields: [{ identifier: 'email', label: 'Email', type: 'email', required: true },
    { identifier: 'note', label: 'Note', type: 'short_text' }],
  fallback: { action: { type: 'message', value: 'Thanks!' } },
};

test('browse the App Store, install the spam guard with consent, see it refuse a domain, review, update, roll back and uninstall', async ({ page }) => {
  await signUp(page);
  const key = await apiKey(page.request);
  const created = await page.request.post('/api/v1/forms', {
    headers: { Authorization: `Bearer ${key}` }, data: contactForm,
  });
  expect(created.status(), await created.text()).toBe(201);
  const formId = (await created.json()).id as string;

  // Browse: the search and filters live in the URL and filter as you type.
  await page.getByRole('link', { name: 'App Store' }).click();
  await expect(page).toHaveURL(/\/apps$/);
  await hydrated(page);
  await expect(page.getByTestId('app-grid').locator('li')).toHaveCount(6);
  await page.getByTestId('app-search').fill('utm_source');
  await expect(page).toHaveURL(/\/apps\?q=utm_source$/);
  await expect(page.getByTestId('app-grid').locator('li')).toHaveCount(1);
  await expect(page.getByTestId('app-utm-attribution')).toBeVisible();
  await page.getByTestId('app-search').fill('');
  await page.getByTestId('app-type').selectOption('crm');
  await expect(page).toHaveURL(/type=crm/);
  await expect(page.getByTestId('app-grid').locator('li')).toHaveCount(1);
  await page.getByTestId('app-type').selectOption('');
  await page.getByTestId('app-category').selectOption('security');
  await expect(page.getByTestId('app-spam-guard')).toBeVisible();
  await expect(page.getByTestId('app-grid').locator('li')).toHaveCount(1);
  await page.goBack();
  await expect(page).not.toHaveURL(/category=/);
  await expect(page.getByTestId('app-grid').locator('li')).toHaveCount(6);

  // The detail page, then install an older version with consent.
  await page.getByRole('link', { name: 'Spam guard' }).click();
  await expect(page).toHaveURL(/\/apps\/spam-guard$/);
  await hydrated(page);
  await expect(page.getByTestId('permissions')).toContainText('Read the answers people send to your forms.');
  await expect(page.getByTestId('changelog')).toContainText('1.1.0');
  await page.getByTestId('install').click();
  await expect(page).toHaveURL(/\/apps\/spam-guard\/install$/);
  await hydrated(page);
  await expect(page.getByTestId('consent-permissions')).toContainText('Read the settings you give this app.');
  await page.getByTestId('install-version').selectOption('1.0.0');
  await page.getByTestId('allow').check();
  await page.getByTestId('confirm-install').click();
  await expect(page).toHaveURL(/\/apps\/installed\/[0-9a-f]+$/);
  await hydrated(page);
  const installation = page.url();
  await expect(page.getByTestId('version')).toHaveText('1.0.0');
  await expect(page.getByTestId('newer')).toContainText('per-address rate limit');

  // Configure, checked in the browser by the same code as on the server, then switch on.
  await page.getByTestId('setting-blocked_domains').fill('blocked.example');
  await page.getByTestId('save-settings').click();
  await expect(page.getByTestId('saved')).toBeVisible();
  await page.getByTestId('activate').click();
  await expect(page.getByTestId('state')).toHaveText('Active');
  await expect(page.getByTestId('audit')).toContainText('Changed blocked_domains');

  // A respondent from a blocked domain is refused, and keeps what they typed.
  await page.goto(`/f/${formId}`);
  await hydrated(page);
  await page.getByLabel('Email').fill('someone@blocked.example');
  await page.getByLabel('Note').fill('Please call me');
  await page.getByTestId('submit-answers').click();
  await expect(page.getByTestId('form-notice')).toHaveText('Submissions from this domain are not accepted.');
  await hydrated(page);
  await expect(page.getByLabel('Email')).toHaveValue('someone@blocked.example');
  await expect(page.getByLabel('Note')).toHaveValue('Please call me');
  await page.getByLabel('Email').fill('someone@fine.example');
  await page.getByTestId('submit-answers').click();
  await expect(page.getByTestId('thank-you')).toBeVisible();

  // A review.
  await page.goto('/apps/spam-guard');
  await hydrated(page);
  await page.getByTestId('review-stars').selectOption('4');
  const words = `Stopped the bots on day one (${Date.now()}).`;
  await page.getByTestId('review-body').fill(words);
  await page.getByTestId('save-review').click();
  await expect(page.getByTestId('review').filter({ hasText: words })).toContainText('★★★★');
  await expect(page.getByTestId('app-detail')).toContainText(/★ \d\.\d \(\d+ reviews?\)/);
  await expect(page.getByTestId('update-badge')).toContainText('1.0.0 → 1.2.0');

  // Update: 1.2.0 asks for one more permission, so the update asks for consent first; then
  // roll back (the old settings and permissions return), uninstall.
  await page.goto(installation);
  await hydrated(page);
  await expect(page.getByTestId('update-asks')).toHaveText('Send you notifications.');
  await page.getByTestId('update').click();
  await expect(page.getByTestId('allow-update')).toBeFocused(); // the browser asks for the box first
  await expect(page.getByTestId('version')).toHaveText('1.0.0');
  await page.getByTestId('allow-update').check();
  await page.getByTestId('update').click();
  await expect(page.getByTestId('version')).toHaveText('1.2.0');
  await expect(page.getByTestId('granted')).toContainText('Send you notifications.');
  await expect(page.getByTestId('audit')).toContainText('granted notifications:send');
  await expect(page.getByTestId('setting-max_per_minute')).toHaveValue('5');
  await page.getByTestId('setting-blocked_domains').fill('other.example');
  await page.getByTestId('save-settings').click();
  await expect(page.getByTestId('saved')).toBeVisible();
  await page.getByTestId('rollback').click();
  await expect(page.getByTestId('version')).toHaveText('1.0.0');
  await expect(page.getByTestId('setting-blocked_domains')).toHaveValue('blocked.example');
  await expect(page.getByTestId('granted')).not.toContainText('Send you notifications.');
  await page.getByTestId('uninstall').click();
  await expect(page).toHaveURL(/\/apps\?tab=installed$/);
  await expect(page.getByTestId('no-apps')).toBeVisible();
});

test('switch on Rating field, add a rating question in the builder, answer it, switch it off and keep it', async ({ page, browser }) => {
  await signUp(page);
  const key = await apiKey(page.request);
  const auth = { Authorization: `Bearer ${key}` };
  const created = await page.request.post('/api/v1/forms', { headers: auth, data: contactForm });
  expect(created.status(), await created.text()).toBe(201);
  const formId = (await created.json()).id as string;

  // Without the app, the palette has no Rating.
  await page.goto(`/forms/${formId}/edit`);
  await hydrated(page);
  await expect(page.getByTestId('add-short_text')).toBeVisible();
  await expect(page.getByTestId('add-rating')).toHaveCount(0);

  const installed = await page.request.post('/api/v1/installations', { headers: auth, data: { app: 'rating-field', grant: [] } });
  expect(installed.status(), await installed.text()).toBe(201);
  const installation = (await installed.json()).id as string;
  const on = await page.request.post(`/api/v1/installations/${installation}/activate`, { headers: auth });
  expect(on.status(), await on.text()).toBe(200);

  await page.reload();
  await hydrated(page);
  await page.getByTestId('add-rating').click();
  await page.getByTestId('field-label').fill('How did we do?');
  await page.getByTestId('field-required').check();
  await page.getByLabel('Scale').selectOption('10');
  await page.getByTestId('save-form').click();
  await expect(page.getByTestId('save-state')).toHaveText('Saved');

  // A respondent: the browser asks for the rating before anything is sent, then picks 9.
  const context = await browser.newContext();
  const respondent = await context.newPage();
  await respondent.goto(`/f/${formId}`);
  await hydrated(respondent);
  await respondent.getByLabel('Email').fill('rater@example.com');
  await respondent.getByTestId('submit-answers').click();
  await expect(respondent.getByTestId('error-how_did_we_do')).toHaveText('This field is required.');
  await respondent.getByLabel('9 of 10').check();
  await respondent.getByTestId('submit-answers').click();
  await expect(respondent.getByTestId('thank-you')).toBeVisible();

  await page.goto(`/forms/${formId}/responses`);
  const row = page.getByTestId('response-row').first();
  await expect(row).toContainText('rater@example.com');
  await expect(row.getByRole('cell', { name: '9', exact: true })).toHaveCount(1);

  // Switched off: the owner is told, the palette lacks it, respondents are not asked it.
  const off = await page.request.post(`/api/v1/installations/${installation}/deactivate`, { headers: auth });
  expect(off.status(), await off.text()).toBe(200);
  await page.goto(`/forms/${formId}/edit`);
  await hydrated(page);
  await expect(page.getByTestId('asleep-fields')).toContainText('Rating field');
  await expect(page.getByTestId('add-rating')).toHaveCount(0);
  await expect(page.getByTestId('field-item')).toHaveCount(3);
  await respondent.goto(`/f/${formId}`);
  await hydrated(respondent);
  await expect(respondent.getByText('How did we do?')).toHaveCount(0);
  await respondent.getByLabel('Email').fill('later@example.com');
  await respondent.getByTestId('submit-answers').click();
  await expect(respondent.getByTestId('thank-you')).toBeVisible();
  await context.close();
});
