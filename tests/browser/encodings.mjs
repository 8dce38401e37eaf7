// Compressed pages render exactly as uncompressed ones (issue 24), in a real browser (Debian's
// Chromium, driven by playwright-core). Logged in, the learner opens a module page, a course page
// and a certificate's public verification page three times: with Chromium's own Accept-Encoding
// (Cakap answers zstd: the module's body comes as a frame compressed once, the rest as frames
// compressed for this request), with "gzip, deflate, br" (gzip: deflate runs joined into one
// member) and with "identity" (uncompressed). The coding of each document is checked, and the
// three renderings must give the same DOM and the same screenshot, pixel for pixel, at phone
// size (360×740) and desktop size (1366×768).
//
// Run by tests/browser/run.sh after journey.mjs (which earns the certificate):
//   BASE=… EMAIL=… PASSWORD=… CODE=<certificate code> OUT=… node tests/browser/encodings.mjs
import { chromium } from "playwright-core";
import { mkdirSync, writeFileSync } from "node:fs";

const BASE = process.env.BASE;
const EMAIL = process.env.EMAIL;
const PASSWORD = process.env.PASSWORD;
const CODE = process.env.CODE;
const OUT = process.env.OUT || "target/browser";
const COURSE = process.env.COURSE || "komunikasi-efektif";
const MODULE = process.env.LESSON || "20-mendengarkan-aktif";
mkdirSync(OUT, { recursive: true });

let failures = 0;
function check(ok, what, detail) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}${detail !== undefined ? ": " + detail : ""}`);
  if (!ok) failures++;
  return ok;
}

const VARIANTS = [
  { name: "chromium", accept: null, coding: "zstd" },
  { name: "gzip", accept: "gzip, deflate, br", coding: "gzip" },
  { name: "identity", accept: "identity", coding: undefined },
];
const PAGES = [
  { name: "module", path: `/courses/${COURSE}/${MODULE}` },
  { name: "course", path: `/courses/${COURSE}` },
  { name: "verification", path: `/v/${CODE}` },
];
const SIZES = [
  { name: "phone", viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true },
  { name: "desktop", viewport: { width: 1366, height: 768 } },
];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

try {
  if (!CODE) throw new Error("CODE (a certificate's code) must be set; run.sh sets it");
  for (const size of SIZES) {
    const ctx = await browser.newContext({ viewport: size.viewport, isMobile: size.isMobile,
      hasTouch: size.hasTouch, locale: "id-ID", serviceWorkers: "block" });
    const page = await ctx.newPage();
    page.on("pageerror", (e) => { console.log("page error:", e.message); failures++; });
    await page.goto(BASE + "/login");
    await page.fill("input[name=email]", EMAIL);
    await page.fill("input[name=password]", PASSWORD);
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith("/login")),
      page.click('form[action="/login"] button[type=submit]')]);
    // each variant is fetched whole: a page cached from the previous variant would be revalidated
    // (one ETag for every coding) and come back as 304, not in the variant's coding
    const cdp = await ctx.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
    for (const p of PAGES) {
      const seen = [];
      for (const v of VARIANTS) {
        // every request of the page (document, stylesheet, script) asks with the variant's
        // header (a route's headers cannot replace Chromium's Accept-Encoding; these can)
        await ctx.setExtraHTTPHeaders(v.accept ? { "Accept-Encoding": v.accept } : {});
        // from a blank page: going to the page it is on would reuse what it has
        await page.goto("about:blank");
        const res = await page.goto(BASE + p.path, { waitUntil: "load" });
        await page.evaluate(() => document.fonts.ready);
        const coding = (await res.allHeaders())["content-encoding"];
        check(res.status() === 200, `${size.name} ${p.name} (${v.name}) answers 200`, res.status());
        check(coding === v.coding, `${size.name} ${p.name} (${v.name}) comes as ${v.coding || "identity"}`, `${coding} (asked ${(await res.request().allHeaders())["accept-encoding"]}, status ${res.status()})`);
        const dom = await page.evaluate(() => document.documentElement.outerHTML);
        const shot = await page.screenshot({ fullPage: true });
        writeFileSync(`${OUT}/encodings-${size.name}-${p.name}-${v.name}.png`, shot);
        seen.push({ v, dom, shot });
      }
      const [first, ...rest] = seen;
      check(first.dom.includes("</main>"), `${size.name} ${p.name}: the page is whole`);
      for (const other of rest) {
        check(other.dom === first.dom, `${size.name} ${p.name}: ${other.v.name} gives the DOM ${first.v.name} gives`,
          other.dom === first.dom ? undefined : `${other.dom.length} vs ${first.dom.length} characters`);
        check(Buffer.compare(other.shot, first.shot) === 0,
          `${size.name} ${p.name}: ${other.v.name} looks exactly as ${first.v.name}`);
      }
    }
    await ctx.close();
  }
} catch (e) {
  console.log("FAIL", e.stack || e);
  failures++;
} finally {
  await browser.close();
}
console.log(failures ? `${failures} check(s) failed` : "compressed pages render as uncompressed ones");
process.exit(failures ? 1 : 0);
