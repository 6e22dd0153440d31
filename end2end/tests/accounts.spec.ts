import { expect, test } from '@playwright/test';
import { LoginPage, PASSWORD, SignupPage, hydrated, signUp, uniqueEmail } from './fixtures';

test('signing up lands on the dashboard', async ({ page }) => {
  const email = uniqueEmail('signup');
  const signup = new SignupPage(page);
  await signup.open();
  await signup.signUp(email);
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId('dashboard-email')).toHaveText(email);
  await expect(page.getByRole('navigation', { name: 'Main' })).toContainText('Settings');
});

test('signing up with a taken email is refused next to the field without saying it is taken', async ({ page, browser }) => {
  const email = await signUp(page);
  const other = await browser.newPage();
  const signup = new SignupPage(other);
  await signup.open();
  await signup.signUp(email);
  await expect(other.getByTestId('email-error')).toHaveText(
    'An account cannot be created with this email and password. If you have an account, log in instead.');
  await expect(other.getByLabel('Email')).toHaveValue(email);
  await other.close();
});

test('logging out returns to the login page', async ({ page }) => {
  await signUp(page);
  await page.getByTestId('user-menu').click();
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('navigation', { name: 'Main' })).toContainText('Log in');
  await page.goto('/dashboard');
  await expect(page).toHaveURL(/\/login\?next=%2Fdashboard$/);
});

test('a wrong password shows the error and keeps the email typed', async ({ page, browser }) => {
  const email = await signUp(page);
  const context = await browser.newContext();
  const fresh = await context.newPage();
  const login = new LoginPage(fresh);
  await login.open();
  await login.logIn(email, 'not my password');
  await expect(fresh.getByTestId('form-error')).toHaveText('That email and password do not match an account.');
  await expect(fresh.getByLabel('Email')).toHaveValue(email);
  await expect(fresh).toHaveURL(/\/login$/);

  await fresh.getByLabel('Password').fill(PASSWORD);
  await fresh.getByRole('button', { name: 'Log in' }).click();
  await expect(fresh).toHaveURL(/\/dashboard$/);
  await context.close();
});

test('a page that needs a user sends visitors to log in and back', async ({ page, browser }) => {
  const email = await signUp(page);
  const context = await browser.newContext();
  const fresh = await context.newPage();
  const login = new LoginPage(fresh);
  await login.open('/settings');
  await expect(fresh).toHaveURL(/\/login\?next=%2Fsettings$/);
  await login.logIn(email, PASSWORD);
  await expect(fresh).toHaveURL(/\/settings$/);
  await expect(fresh.getByTestId('settings-email')).toHaveText(email);
  await context.close();
});

test('the user menu reacts to clicks and the keyboard once hydrated', async ({ page }) => {
  await signUp(page);
  const button = page.getByTestId('user-menu');
  const panel = page.locator('#user-menu-panel');
  await expect(button).toHaveAttribute('aria-expanded', 'false');
  await expect(panel).toBeHidden();
  await button.click();
  await expect(button).toHaveAttribute('aria-expanded', 'true');
  await expect(panel).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(panel).toBeHidden();
  await expect(button).toBeFocused();
});

test('unknown pages show a 404', async ({ page }) => {
  const response = await page.goto('/definitely/not/here');
  expect(response?.status()).toBe(404);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
});

test('an API key is shown once, works, and stops working when revoked', async ({ page, request }) => {
  await signUp(page);
  await page.goto('/settings');
  await hydrated(page);
  await expect(page.getByTestId('no-api-keys')).toBeVisible();
  await page.getByTestId('api-key-name').fill('CRM sync');
  // A key acts as the account: the password is asked for again.
  await page.getByTestId('api-key-password').fill('not my password');
  await page.getByTestId('create-api-key').click();
  await expect(page.getByTestId('password-error')).toHaveText('This is not your password.');
  await expect(page.getByTestId('no-api-keys')).toBeVisible();
  await page.getByTestId('api-key-password').fill(PASSWORD);
  await page.getByTestId('create-api-key').click();
  const key = (await page.getByTestId('new-api-key').textContent())!.trim();
  expect(key).toMatch(/^jk_[0-9a-f]{64}$/);
  await expect(page.getByTestId('api-key-row')).toHaveCount(1);
  await expect(page.getByTestId('api-key-row')).toContainText('CRM sync');
  await expect(page.getByTestId('api-key-row')).toContainText(key.slice(0, 10));

  const auth = { headers: { Authorization: `Bearer ${key}` } };
  expect((await request.get('/api/v1/forms', auth)).status()).toBe(200);
  // After a reload the key is no longer on the page.
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('new-api-key')).toHaveCount(0);
  await expect(page.locator('body')).not.toContainText(key);

  await page.getByTestId('revoke-api-key').click();
  await expect(page.getByTestId('no-api-keys')).toBeVisible();
  expect((await request.get('/api/v1/forms', auth)).status()).toBe(401);
});
