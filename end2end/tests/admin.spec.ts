import { expect, test } from '@playwright/test';
import { hydrated, LoginPage, PASSWORD, signUp } from './fixtures';

// scripts/test.sh creates this administrator before the browser tests run.
const ADMIN_EMAIL = process.env.JUNCTION_E2E_ADMIN_EMAIL;
const ADMIN_PASSWORD = process.env.JUNCTION_E2E_ADMIN_PASSWORD;

test('an administrator disables an app for everyone, its owner sees why, and it is enabled again; others get 403', async ({ page, browser }) => {
  if (!ADMIN_EMAIL || !ADMIN_PASSWORD) {
    throw new Error('set JUNCTION_E2E_ADMIN_EMAIL and JUNCTION_E2E_ADMIN_PASSWORD to an administrator (scripts/test.sh does)');
  }
  // An owner with UTM attribution installed and switched on.
  await signUp(page);
  const created = await page.request.post('/api/api-keys/create', { form: { name: 'admin journey', password: PASSWORD } });
  expect(created.status(), await created.text()).toBe(200);
  const auth = { Authorization: `Bearer ${(await created.json()) as string}` };
  const installed = await page.request.post('/api/v1/installations', {
    headers: auth, data: { app: 'utm-attribution', grant: ['responses:read', 'responses:write', 'config:read'] },
  });
  expect(installed.status(), await installed.text()).toBe(201);
  const installation = (await installed.json()).id as string;
  const on = await page.request.post(`/api/v1/installations/${installation}/activate`, { headers: auth });
  expect(on.status(), await on.text()).toBe(200);

  // Not an administrator: the admin page is refused.
  const refused = await page.request.get('/admin/apps');
  expect(refused.status()).toBe(403);

  const context = await browser.newContext();
  const admin = await context.newPage();
  const login = new LoginPage(admin);
  await login.open('/login?next=/admin/apps');
  await login.logIn(ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(admin).toHaveURL(/\/admin\/apps$/);
  await hydrated(admin);
  const row = admin.getByTestId('admin-app-utm-attribution');
  await expect(row).toContainText('approved');
  const reason = `Campaign data is being checked <b>${Date.now()}</b>`;
  await row.getByTestId('disable-reason').fill(reason);
  await row.getByTestId('disable-app').click();
  await expect(row).toContainText(`Disabled: ${reason}`);

  // The owner sees why on the installation's page, as text.
  await page.goto(`/apps/installed/${installation}`);
  await hydrated(page);
  await expect(page.getByTestId('disabled')).toContainText(reason);

  await row.getByTestId('enable-app').click();
  await expect(row.getByTestId('disable-app')).toBeVisible();
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('disabled')).toHaveCount(0);
  await context.close();
});
