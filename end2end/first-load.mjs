// The bytes a respondent's first visit to a public form moves over the wire, in Debian's
// Chromium with a fresh profile: every response's headers and (encoded) body until the page
// has hydrated and the network is idle. Usage (in end2end/): node first-load.mjs URL
import { chromium } from '@playwright/test';

const url = process.argv[2];
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
const context = await browser.newContext();
const page = await context.newPage();
const seen = [];
page.on('requestfinished', async (request) => {
  const sizes = await request.sizes();
  const response = await request.response();
  seen.push({
    url: request.url().replace(/^https?:\/\/[^/]+/, ''),
    bytes: sizes.responseHeadersSize + sizes.responseBodySize,
    encoding: (await response?.headerValue('content-encoding')) ?? '',
  });
});
await page.goto(url);
await page.locator('body[data-hydrated="true"]').waitFor();
await page.waitForLoadState('networkidle');
await new Promise((resolve) => setTimeout(resolve, 300));
await browser.close();
let total = 0;
for (const { url, bytes, encoding } of seen.sort((a, b) => b.bytes - a.bytes)) {
  total += bytes;
  console.log(`${String(bytes).padStart(9)}  ${encoding.padEnd(4)}  ${url}`);
}
console.log(`${String(total).padStart(9)}  total over the wire, ${seen.length} responses`);
