import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { check, hostile, hydrated, PASSWORD, short, signUp, watch } from './fixtures';

// Every string a user can type gets a value that would run script if any page wrote it raw.
// Each page is loaded as served (server-rendered) and after hydration; the test fails if a
// payload ran, if the raw HTML carries an unescaped `<script`, `</title>` or `</textarea>`,
// or if the page's Content-Security-Policy blocked anything (the app's own scripts, styles
// and wasm must all run under it).

const OPTION = hostile('option');

function hostileForm() {
  return {
    name: hostile('name'),
    description: hostile('description'),
    settings: { enabled: true, notify_owner: true },
    fields: [
      { identifier: 'about', label: hostile('label'), type: 'long_text',
        config: { placeholder: hostile('placeholder'), help_text: hostile('help') } },
      { identifier: 'title', label: 'Title', type: 'short_text', config: { placeholder: hostile('placeholder2') } },
      { identifier: 'pick', label: 'Pick', type: 'select',
        config: { options: [{ value: 'a', label: OPTION }, { value: 'b', label: 'Plain' }] } },
      { identifier: 'email', label: 'Email', type: 'email', required: true },
    ],
    routes: [
      { name: hostile('route'), rule: { '==': [{ var: 'pick' }, 'a'] },
        action: { type: 'message', value: hostile('message') } },
    ],
    fallback: { action: { type: 'message', value: hostile('fallback') } },
  };
}

async function apiKey(request: APIRequestContext): Promise<string> {
  const created = await request.post('/api/api-keys/create', {
    form: { name: short('key'), password: PASSWORD },
  });
  expect(created.status(), await created.text()).toBe(200);
  return (await created.json()) as string;
}

test('hostile values in every field a user types are shown as text on every page', async ({ page }) => {
  await watch(page);
  await signUp(page);
  const key = await apiKey(page.request);
  const auth = { Authorization: `Bearer ${key}` };
  const created = await page.request.post('/api/v1/forms', { headers: auth, data: hostileForm() });
  expect(created.status(), await created.text()).toBe(201);
  const id = (await created.json()).id as string;

  // A respondent: prefilled with hostile text, then answers with more of it.
  const prefill = encodeURIComponent(hostile('prefill'));
  await check(page, `/f/${id}?about=${prefill}&title=${prefill}`);
  await expect(page.getByLabel(hostile('label'))).toHaveValue(hostile('prefill'));
  await expect(page).toHaveTitle(`${hostile('name')} · Junction`);
  await page.getByLabel('Email').fill('respondent@example.com');
  await page.getByLabel('Pick').selectOption('a');
  await page.getByTestId('submit-answers').click();
  await expect(page.getByTestId('thank-you')).toBeVisible();
  await expect(page.getByTestId('thank-you')).toContainText(hostile('message'));
  await check(page, page.url().replace(/^https?:\/\/[^/]+/, ''), { wasm: false });

  // A refused post rendered again by the server (no JavaScript on the way).
  const refused = await page.request.post(`/f/${id}`, {
    form: { about: hostile('answer'), email: 'not an email' },
    headers: { Accept: 'text/html' },
  });
  expect(refused.status()).toBe(422);
  const refusedHtml = (await refused.text()).toLowerCase();
  expect(refusedHtml).not.toContain('</textarea><script');
  expect(refusedHtml).not.toContain('<script>window.__xss');

  // The owner's pages: list, builder, responses, insights, dashboard notice, settings.
  for (const path of ['/forms', `/forms/${id}/edit`, `/forms/${id}/responses`, `/forms/${id}/insights`, '/dashboard', '/settings']) {
    await check(page, path);
  }
  await page.goto(`/forms/${id}/responses`);
  await expect(page.getByTestId('responses-page')).toContainText(hostile('prefill'));
  await page.goto('/settings');
  await expect(page.getByTestId('api-key-list')).toContainText(short('key'));
  await page.goto(`/forms/${id}/edit`);
  await hydrated(page);
  await expect(page.getByTestId('route-name')).toHaveValue(hostile('route'));
});

test('an account email that carries markup is shown as text', async ({ page }) => {
  await watch(page);
  // A quoted local part may hold almost anything and is a valid address.
  const email = `"<script>window.__xss=1</script>${Date.now()}"@example.com`;
  const created = await page.request.post('/api/auth/signup', { form: { email, password: PASSWORD } });
  expect(created.status(), await created.text()).toBe(200);
  for (const path of ['/dashboard', '/forms', '/settings']) {
    await check(page, path);
  }
  await expect(page.getByTestId('settings-email')).toHaveText(email.toLowerCase());
});

test('hostile values in the App Store (search, installation name, review) are shown as text', async ({ page }) => {
  await watch(page);
  await signUp(page);
  // The search string is echoed in the search box.
  await check(page, `/apps?q=${encodeURIComponent(hostile('search'))}`);
  await expect(page.getByTestId('app-search')).toHaveValue(hostile('search'));
  // An installation named with markup: its page's title and heading, and the list.
  const installed = await page.request.post('/api/apps/install', {
    form: { slug: 'utm-attribution', allow: 'on', name: short('install'), version: '' },
  });
  expect(installed.status(), await installed.text()).toBe(200);
  const id = (await installed.json()) as string;
  await check(page, `/apps/installed/${id}`);
  await expect(page).toHaveTitle(`${short('install')} settings · Junction`);
  await expect(page.getByTestId('installation').locator('h1')).toHaveText(short('install'));
  await check(page, '/apps?tab=installed');
  // A review, on the app's page.
  const reviewed = await page.request.post('/api/apps/review', {
    form: { slug: 'utm-attribution', stars: '4', body: hostile('review') },
  });
  expect(reviewed.status(), await reviewed.text()).toBe(200);
  await check(page, '/apps/utm-attribution');
  await expect(page.getByTestId('review').filter({ hasText: hostile('review') })).toHaveCount(1);
});
