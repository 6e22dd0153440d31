import { expect, type Page } from '@playwright/test';

/** A fresh email per call, so tests never collide in the shared database. */
export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

export const PASSWORD = 'correct horse battery';

/** Waits until the wasm has taken the page over (both entries set this attribute). */
export async function hydrated(page: Page): Promise<void> {
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
}

/** The sign-up page as a user sees it. */
export class SignupPage {
  constructor(private readonly page: Page) {}

  async open(): Promise<void> {
    await this.page.goto('/signup');
    await hydrated(this.page);
  }

  async signUp(email: string, password = PASSWORD): Promise<void> {
    await this.page.getByLabel('Email').fill(email);
    await this.page.getByLabel('Password').fill(password);
    await this.page.getByRole('button', { name: 'Create account' }).click();
  }
}

/** The login page as a user sees it. */
export class LoginPage {
  constructor(private readonly page: Page) {}

  async open(path = '/login'): Promise<void> {
    await this.page.goto(path);
    await hydrated(this.page);
  }

  async logIn(email: string, password: string): Promise<void> {
    await this.page.getByLabel('Email').fill(email);
    await this.page.getByLabel('Password').fill(password);
    await this.page.getByRole('button', { name: 'Log in' }).click();
  }
}

/** Signs up through the UI and waits for the dashboard. */
export async function signUp(page: Page, email = uniqueEmail()): Promise<string> {
  const signup = new SignupPage(page);
  await signup.open();
  await signup.signUp(email);
  await expect(page).toHaveURL(/\/dashboard$/);
  await hydrated(page);
  return email;
}

// Hostile values: every string a user can type gets one that would run script if a page
// wrote it raw (end2end/tests/hostile.spec.ts, publish.spec.ts).

export const hostile = (where: string) =>
  `${where}</title></textarea></style><script>window.__xss="${where}"</script><img src=x onerror="window.__xss='${where}'">`;

/** A shorter one, for strings limited to 100 characters. */
export const short = (where: string) => `${where}</textarea><script>window.__xss="${where}"</script>`;

/** Records script that ran from a payload, and every CSP violation. */
export async function watch(page: Page): Promise<void> {
  await page.addInitScript(() => {
    (window as any).__csp = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      (window as any).__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  page.on('dialog', (dialog) => {
    throw new Error(`a dialog opened: ${dialog.message()}`);
  });
}

/**
 * Fails if the served HTML has a raw payload, if one ran, or if the policy blocked anything.
 * A page that loads no wasm (`wasm: false`, the thank-you page) must carry no script at all.
 */
export async function check(page: Page, path: string, { wasm = true } = {}): Promise<void> {
  const response = await page.goto(path);
  expect(response, path).not.toBeNull();
  const html = (await response!.text()).toLowerCase();
  for (const raw of ['<script>window.__xss', '</title><script', '</textarea><script', '<img src=x onerror']) {
    expect(html, `${path}: ${raw} reached the HTML`).not.toContain(raw);
  }
  expect(response!.headers()['content-security-policy'], path).toContain("'nonce-");
  if (wasm) {
    await hydrated(page);
  } else {
    expect(html, `${path} runs no script`).not.toContain('<script');
  }
  // A moment for any stray handler to fire.
  await page.waitForTimeout(100);
  expect(await page.evaluate(() => (window as any).__xss), `${path}: a payload ran`).toBeUndefined();
  expect(await page.evaluate(() => (window as any).__csp), `${path}: blocked by the policy`).toEqual([]);
}

