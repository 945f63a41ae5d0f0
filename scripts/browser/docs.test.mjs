// Opens GET /docs of a running service in headless Chromium and checks what a
// front-end developer sees: every operation of /openapi.json rendered, one
// "Try it out" of the styles route answered 200 by the same instance, no
// script error or blocked resource, and no request to any other origin.
//
// Usage: node docs.test.mjs BASE_URL [SCREENSHOT.png]
// (a screenshot also writes SCREENSHOT-try-it.png: the styles operation tried)
// CHROMIUM names the browser binary (default /usr/bin/chromium).
import puppeteer from "puppeteer-core";

const [base, screenshot] = process.argv.slice(2);
if (!base) {
  console.error("usage: node docs.test.mjs BASE_URL [SCREENSHOT.png]");
  process.exit(2);
}
const STYLES_PATH = "/products/{product_id}/styles";
const PATIENCE_MS = 60_000;

/** Every `method path` pair the service's document names. */
async function documentedOperations() {
  const answer = await fetch(`${base}/openapi.json`);
  if (!answer.ok) throw new Error(`/openapi.json answered ${answer.status}`);
  const document = await answer.json();
  const methods = new Set(["get", "put", "post", "patch", "delete"]);
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((method) => methods.has(method))
      .map((method) => `${method.toUpperCase()} ${path}`),
  );
}

function fail(message) {
  throw new Error(message);
}

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  // No sandbox: the suite may run as root, where Chromium's sandbox refuses to start.
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
const problems = [];
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const origin = new URL(base).origin;
  page.on("pageerror", (error) => problems.push(`script error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  page.on("requestfailed", (request) =>
    problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`),
  );
  page.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith("data:") && new URL(url).origin !== origin) {
      problems.push(`request to another origin: ${url}`);
    }
  });

  const expected = await documentedOperations();
  const opened = await page.goto(`${base}/docs`, { waitUntil: "domcontentloaded" });
  if (opened.status() !== 200) fail(`/docs answered ${opened.status()}`);

  // Rendered: one operation block per documented operation, read from the DOM.
  await page.waitForFunction(
    (count) => document.querySelectorAll(".opblock").length >= count,
    { timeout: PATIENCE_MS },
    expected.length,
  );
  const rendered = await page.$$eval(".opblock", (blocks) =>
    blocks.map((block) => {
      const method = block.querySelector(".opblock-summary-method").textContent.trim();
      const path = block.querySelector(".opblock-summary-path").getAttribute("data-path");
      return `${method} ${path}`;
    }),
  );
  const missing = expected.filter((operation) => !rendered.includes(operation));
  if (missing.length > 0) fail(`operations not rendered: ${missing.join(", ")}`);
  if (rendered.length !== expected.length) {
    fail(`rendered ${rendered.length} operations, the document has ${expected.length}`);
  }
  console.log(`rendered all ${rendered.length} operations of /openapi.json`);

  // Try it out: GET the styles of product 1 from this page.
  const styles = await page.evaluateHandle((path) => {
    const summary = [...document.querySelectorAll(".opblock-get .opblock-summary-path")].find(
      (element) => element.getAttribute("data-path") === path,
    );
    return summary.closest(".opblock");
  }, STYLES_PATH);
  await (await styles.$(".opblock-summary")).click();
  await (await styles.waitForSelector(".try-out__btn", { timeout: PATIENCE_MS })).click();
  const productId = await styles.waitForSelector('tr[data-param-name="product_id"] input', {
    timeout: PATIENCE_MS,
  });
  await productId.type("1");
  await (await styles.waitForSelector(".execute", { timeout: PATIENCE_MS })).click();
  const status = await styles.waitForSelector(".live-responses-table tr.response .response-col_status", {
    timeout: PATIENCE_MS,
  });
  const statusText = (await status.evaluate((element) => element.textContent)).trim();
  if (statusText !== "200") fail(`the styles request answered ${statusText}, not 200`);
  const body = await styles.$eval(
    ".live-responses-table tr.response .response-col_description",
    (element) => {
      const blocks = [...element.querySelectorAll("pre")].map((pre) => pre.textContent);
      return blocks.find((text) => text.trim().startsWith("{")) ?? element.innerHTML;
    },
  );
  const answer = JSON.parse(body);
  if (String(answer.product_id) !== "1" || !Array.isArray(answer.results)) {
    fail(`the styles answer is not product 1's styles: ${body.slice(0, 200)}`);
  }
  console.log(`try it out: GET /products/1/styles answered 200 with ${answer.results.length} styles`);

  if (problems.length > 0) fail(problems.join("\n"));
  if (screenshot) {
    // The page as it opens, then the styles operation with its answer.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: screenshot });
    const tried = screenshot.replace(/\.png$/, "-try-it.png");
    // From the operation's summary to the end of the live answer (the
    // documented answers below it are left out).
    const top = await styles.boundingBox();
    const live = await (await styles.$(".live-responses-table tr.response")).boundingBox();
    await page.screenshot({
      path: tried,
      captureBeyondViewport: true,
      clip: { x: top.x, y: top.y, width: top.width, height: live.y + live.height - top.y },
    });
    console.log(`screenshots: ${screenshot}, ${tried}`);
  }
} catch (error) {
  // What the page complained of usually says why it did not render.
  for (const problem of problems) console.error(problem);
  throw error;
} finally {
  await browser.close();
}
