// A learner's whole journey in a real browser (Debian's Chromium, driven by playwright-core), at
// phone size (360×740, touch) and desktop size (1366×768): a new person registers through the
// form, opens the verification link from the mail Cakap wrote to the data folder, logs in, finds
// a course in the catalog, enrols, reads every lesson (marking each done), takes the final quiz
// and passes it, opens the certificate, its public verification page (also without logging in)
// and the competency profile.
//
// Every page is screenshotted (full page) to $OUT/journey-<phone|desktop>-NN-<step>.png and
// checked with axe-core: a "serious" or "critical" violation fails the run, as does any response
// with status 500 or more, a console error or an uncaught page error.
//
// The quiz draws and shuffles its questions; the answers come from the course's quiz file (the
// key in courses/<slug>/, matched to the prompts and options shown), and, should an attempt
// still fail, from what its result page says was right.
//
// Run by tests/browser/run.sh, which starts `cakap serve` with the file mail transport:
//   BASE=http://127.0.0.1:PORT CAKAP_DATA_DIR=… OUT=target/browser node tests/browser/journey.mjs
// JOURNEY_COURSE picks another sample course (default pelayanan-publik-prima; all four pass).
import { chromium } from "playwright-core";
import { mkdirSync, readFileSync, readdirSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const BASE = process.env.BASE;
const DATA = process.env.CAKAP_DATA_DIR;
const OUT = process.env.OUT || "target/browser";
const COURSES = process.env.CAKAP_COURSES_DIR || "courses";
const COURSE = process.env.JOURNEY_COURSE || "pelayanan-publik-prima";
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const SIZES = [
  { name: "phone", viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true },
  { name: "desktop", viewport: { width: 1366, height: 768 } },
];
if (!BASE || !DATA) {
  console.log("BASE and CAKAP_DATA_DIR must be set (tests/browser/run.sh sets them)");
  process.exit(2);
}
mkdirSync(OUT, { recursive: true });

let failures = 0;
function check(ok, what, detail) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}${detail !== undefined ? ": " + detail : ""}`);
  if (!ok) failures++;
  return ok;
}

// ---- the mail Cakap wrote: <data dir>/mail/<time>-<id>.eml, MIME multipart/alternative ----

function unfoldHeaders(block) {
  const headers = {};
  for (const line of block.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return headers;
}

function param(value, name) {
  const m = (value || "").match(new RegExp(`;\\s*${name}="?([^";]+)"?`, "i"));
  return m ? m[1] : null;
}

// RFC 2047 encoded words (=?utf-8?b?…?= and =?utf-8?q?…?=) in a header
function decodeWords(value) {
  return (value || "").replace(/\?=\s+=\?/g, "?==?").replace(/=\?([^?]+)\?([bq])\?([^?]*)\?=/gi, (_, charset, enc, text) =>
    enc.toLowerCase() === "b" ? Buffer.from(text, "base64").toString("utf8")
      : Buffer.from(text.replace(/_/g, " ").replace(/=([0-9a-f]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16))), "latin1").toString("utf8"));
}

// `raw` is the message as latin1 text (one char per byte); the leaves come back decoded as UTF-8
function mimeParts(raw) {
  const split = raw.search(/\r?\n\r?\n/);
  const headers = unfoldHeaders(split < 0 ? raw : raw.slice(0, split));
  const body = split < 0 ? "" : raw.slice(split).replace(/^\r?\n\r?\n/, "");
  const type = (headers["content-type"] || "text/plain").split(";")[0].trim().toLowerCase();
  if (type.startsWith("multipart/")) {
    const boundary = param(headers["content-type"], "boundary");
    const chunks = body.split(new RegExp(`\\r?\\n?--${boundary.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?:--)?[ \\t]*\\r?\\n?`));
    return { headers, parts: chunks.slice(1, -1).flatMap((c) => mimeParts(c).parts) };
  }
  const encoding = (headers["content-transfer-encoding"] || "7bit").toLowerCase();
  const bytes = encoding === "base64" ? Buffer.from(body.replace(/\s+/g, ""), "base64")
    : encoding === "quoted-printable"
      ? Buffer.from(body.replace(/=\r?\n/g, "").replace(/=([0-9A-Fa-f]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))), "latin1")
      : Buffer.from(body, "latin1");
  return { headers, parts: [{ type, encoding, text: bytes.toString("utf8") }] };
}

async function mailTo(address, timeoutMs = 20000) {
  const dir = join(DATA, "mail");
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    for (const name of existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith(".eml") && !n.startsWith(".")) : []) {
      const message = mimeParts(readFileSync(join(dir, name)).toString("latin1"));
      if ((message.headers.to || "").toLowerCase().includes(address)) return { file: name, ...message };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return null;
}

// ---- the quiz key, from the course's quiz module (see course-format.md, "Questions") ----

// what is compared: letters and digits only, so Markdown marks, typographic quotes and dashes,
// ellipses and spacing do not matter
function norm(s) {
  return s.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/[^a-z0-9]+/g, "");
}

function numberIn(text) {
  const n = "(-?\\d+(?:[.,]\\d+)?)";
  const value = (s) => parseFloat(s.replace(",", "."));
  let m = text.match(new RegExp(`^${n}\\s*(?:±|\\+-|\\+/-)\\s*${n}$`));
  if (m) return m[1];
  m = text.match(new RegExp(`^${n}\\s*\\.\\.\\s*${n}$`));
  if (m) {
    const [lo, hi] = [value(m[1]), value(m[2])];
    const mid = (lo + hi) / 2;
    const whole = Math.round(mid);
    return String(whole >= lo && whole <= hi ? whole : mid);
  }
  m = text.match(new RegExp(`^${n}$`));
  return m ? m[1] : null;
}

function quizKey(slug) {
  const dir = join(COURSES, slug);
  const file = readdirSync(dir).filter((f) => f.endsWith(".md") && f !== "course.md").sort()
    .find((f) => /^\+\+\+[\s\S]*?^kind\s*=\s*"quiz"[\s\S]*?^\+\+\+/m.test(readFileSync(join(dir, f), "utf8")));
  if (!file) throw new Error(`no quiz module in ${dir}`);
  const src = readFileSync(join(dir, file), "utf8").replace(/^\+\+\+[\s\S]*?\n\+\+\+\s*\n/, "");
  const questions = [];
  let q = null;
  for (const line of src.split(/\r?\n/)) {
    const heading = line.match(/^##\s+(.+?)\s*#*\s*$/);
    if (heading) {
      q = { heading: heading[1], prompt: norm(heading[1]), right: [], answer: null };
      questions.push(q);
      continue;
    }
    if (!q) continue;
    const option = line.match(/^\s*[-*+]\s+\[([ xX])\]\s+(.*)$/);
    if (option) {
      if (option[1] !== " ") q.right.push(norm(option[2].split(" -- ")[0]));
      continue;
    }
    const answer = line.match(/^=\s*(.+)$/);
    if (answer) q.answer = numberIn(answer[1].trim()) ?? answer[1].split("|")[0].trim();
  }
  return { file: join(dir, file), questions };
}

// the key question whose prompt the shown prompt starts with (the longest, should one prompt
// begin with another)
function findKey(questions, shown) {
  const s = norm(shown);
  return questions.filter((q) => q.prompt && s.startsWith(q.prompt)).sort((a, b) => b.prompt.length - a.prompt.length)[0] || null;
}

// ---- the browser ----

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

// Console errors, page errors and responses >= 500 fail the run; `watch` reports them with the
// page they happened on.
function watch(ctx, page, label) {
  ctx.on("response", (r) => {
    if (r.status() >= 500) check(false, `${label}: HTTP ${r.status()}`, `${r.request().method()} ${r.url()}`);
  });
  page.on("console", (m) => {
    if (m.type() === "error") check(false, `${label}: console error on ${page.url()}`, m.text());
  });
  page.on("pageerror", (e) => check(false, `${label}: page error on ${page.url()}`, e.message));
}

const IMPACT_FAILS = new Set(["serious", "critical"]);
const lesser = new Map(); // rule id → impact, pages: moderate and minor findings, reported at the end

async function axe(page, label) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) {
    // evaluated over the DevTools protocol, which the page's Content-Security-Policy does not
    // govern (a <script> tag would be refused by script-src 'self')
    await page.evaluate(AXE_SOURCE);
  }
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  const bad = result.violations.filter((v) => IMPACT_FAILS.has(v.impact));
  for (const v of result.violations.filter((v) => !IMPACT_FAILS.has(v.impact))) {
    const seen = lesser.get(v.id) || { impact: v.impact, help: v.help, pages: new Set() };
    seen.pages.add(new URL(page.url()).pathname);
    lesser.set(v.id, seen);
  }
  const detail = bad.map((v) => `\n       ${v.id} (${v.impact}): ${v.help}\n         ` +
    v.nodes.slice(0, 8).map((n) => `${n.target.join(" ")}${n.failureSummary ? " — " + n.failureSummary.split("\n").slice(1).join(" ").trim() : ""}`).join("\n         ") +
    (v.nodes.length > 8 ? `\n         … and ${v.nodes.length - 8} more` : "")).join("");
  check(bad.length === 0, `${label}: axe-core finds no serious or critical violation on ${new URL(page.url()).pathname}`,
    bad.length ? `${bad.length} rule(s)${detail}` : undefined);
}

function stepper(size) {
  let n = 0;
  return async function step(page, name) {
    n++;
    const label = `${size}-${String(n).padStart(2, "0")}-${name}`;
    await page.waitForLoadState("load");
    await page.screenshot({ path: `${OUT}/journey-${label}.png`, fullPage: true });
    const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (wide > 1) console.log(`     note: ${label} is ${wide}px wider than the viewport`);
    await axe(page, label);
  };
}

async function clickAndWait(page, selector, urlTest) {
  await Promise.all([page.waitForURL(urlTest), page.click(selector)]);
}

// for a form that leads to an address like the one it is on (a quiz attempt to its result)
async function submitAndWait(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

async function h1(page) {
  return ((await page.textContent("h1")) || "").trim();
}

function nipFor(seed) {
  const r = (n) => Math.floor(Math.random() * n);
  const pad = (v, w) => String(v).padStart(w, "0");
  return `1990${pad(1 + r(12), 2)}${pad(1 + r(28), 2)} 2015${pad(1 + r(12), 2)} ${1 + (seed % 2)} ${pad(1 + r(999), 3)}`;
}

async function journey(size, index) {
  const started = Date.now();
  const step = stepper(size.name);
  const ctx = await browser.newContext({
    viewport: size.viewport, isMobile: !!size.isMobile, hasTouch: !!size.hasTouch,
    deviceScaleFactor: size.deviceScaleFactor || 1, locale: "id-ID",
  });
  const page = await ctx.newPage();
  watch(ctx, page, size.name);
  const stamp = Date.now().toString(36);
  const person = index === 0
    ? { name: "Dewi Lestari", email: `dewi.lestari.${stamp}@example.go.id` }
    : { name: "Agus Wibowo", email: `agus.wibowo.${stamp}@example.go.id` };
  const password = "Melayani-Sepenuh-Hati-2026";
  const nip = nipFor(index + 1);

  // home → catalog → the course, as a visitor → "Buat akun untuk mengikuti kursus ini"
  await page.goto(BASE + "/");
  check((await page.$('main a[href="/register"]')) !== null, `${size.name}: the home page invites to create an account`);
  await step(page, "home");
  await clickAndWait(page, 'header nav a[href="/courses"]', /\/courses$/);
  await step(page, "catalog");
  await clickAndWait(page, `main a[href="/courses/${COURSE}"]`, new RegExp(`/courses/${COURSE}$`));
  await step(page, "course-visitor");
  await clickAndWait(page, `main a.button[href="/register?next=/courses/${COURSE}"]`, /\/register\?next=/);
  await step(page, "register");
  check(await page.getAttribute("input[name=nip]", "inputmode") === "numeric", `${size.name}: the NIP field opens the number keyboard`);
  await page.fill("input[name=name]", person.name);
  await page.fill("input[name=email]", person.email);
  await page.fill("input[name=nip]", nip);
  await page.fill("input[name=password]", password);
  await page.fill("input[name=password_confirm]", password);
  const [registered] = await Promise.all([
    page.waitForResponse((r) => r.url() === BASE + "/register" && r.request().method() === "POST"),
    page.click('form[action="/register"] button[type=submit]'),
  ]);
  await page.waitForLoadState("load");
  check(registered.status() === 200 && (await page.$('form[action="/register"]')) === null,
    `${size.name}: the registration form is accepted`, `${registered.status()} "${await h1(page)}"`);
  await step(page, "registered");

  // the verification mail, from the data folder: its link keeps the course
  const mail = await mailTo(person.email);
  if (!check(mail !== null, `${size.name}: the verification mail is in ${DATA}/mail`, mail?.file)) throw new Error("no mail");
  const text = mail.parts.find((p) => p.type === "text/plain")?.text || "";
  const html = (mail.parts.find((p) => p.type === "text/html")?.text || "").replaceAll("&#x3D;", "=");
  const link = (text.match(/https?:\/\/[^\s<>"]+\/verify\/[A-Za-z0-9_-]+(\?next=[^\s<>"]+)?/) || [])[0];
  check(!!link && link.startsWith(BASE + "/verify/"), `${size.name}: the mail's text carries the verification link`,
    `${decodeWords(mail.headers.subject)} [${mail.parts.map((p) => `${p.type} ${p.encoding}`).join(", ")}]`);
  check(!!link && link.endsWith(`?next=%2Fcourses%2F${COURSE}`), `${size.name}: the link keeps the course`, link);
  check(!!link && html.includes(`href="${link}"`), `${size.name}: the mail's HTML links to the same address`);
  check(text.includes(person.name.split(" ")[0]), `${size.name}: the mail greets the person by name (UTF-8 decoded)`);
  const opened = await page.goto(link);
  // the link shows a button (a mail scanner opening it verifies nothing); pressing it verifies
  check(opened.status() === 200 && /konfirmasi/i.test(await h1(page)), `${size.name}: the link asks to confirm the address`,
    `${opened.status()} "${await h1(page)}"`);
  const [confirmed] = await Promise.all([
    page.waitForNavigation(),
    page.click('main form[action^="/verify/"] button[type=submit]'),
  ]);
  // "Email terverifikasi"; a refused link says "Tautan tidak dapat digunakan"
  check(confirmed?.status() === 200 && /terverifikasi/i.test(await h1(page)), `${size.name}: the button verifies the address`,
    `${confirmed?.status()} "${await h1(page)}"`);
  await step(page, "verified");

  // log in: back on the course they came from
  await clickAndWait(page, 'main a[href^="/login"]', /\/login/);
  await page.fill("input[name=email]", person.email);
  await page.fill("input[name=password]", password);
  await step(page, "login");
  await clickAndWait(page, 'form[action="/login"] button[type=submit]', (u) => !u.pathname.startsWith("/login"));
  check((await page.textContent("header .who")).includes(person.name), `${size.name}: logged in`, page.url());
  check(new URL(page.url()).pathname === `/courses/${COURSE}`, `${size.name}: the login leads back to the course`, page.url());
  await step(page, "course");
  await clickAndWait(page, 'form[action$="/enroll"] button', /notice=enrolled/);
  check((await page.$("section.learner")) !== null, `${size.name}: enrolled`, await h1(page));
  await step(page, "enrolled");

  // read every lesson, in order: "Lanjutkan" leads to the first unread, "Tandai selesai" on
  await clickAndWait(page, "section.learner a.button", new RegExp(`/courses/${COURSE}/`));
  let lessons = 0;
  let wideTables = 0;
  while (await page.$("form[data-done]")) {
    const here = new URL(page.url()).pathname;
    check((await page.$("article.prose")) !== null, `${size.name}: lesson "${await h1(page)}" shows its text`);
    // a long lesson: tables wider than the screen scroll inside themselves and say so, the page
    // itself never scrolls sideways, and previous / done / next stay in reach halfway down
    const layout = await page.evaluate(() => {
      const tables = [...document.querySelectorAll(".prose table")];
      const wide = tables.filter((t) => t.scrollWidth > t.clientWidth + 1);
      const hinted = wide.filter((t) => t.previousElementSibling?.className === "table-hint");
      window.scrollTo(0, document.body.scrollHeight / 2);
      const foot = document.querySelector(".lesson-foot").getBoundingClientRect();
      return { wide: wide.length, hinted: hinted.length, pageWidth: document.documentElement.scrollWidth,
        viewport: window.innerWidth, footTop: foot.top, footBottom: foot.bottom, height: window.innerHeight };
    });
    wideTables += layout.wide;
    check(layout.hinted === layout.wide && layout.pageWidth <= layout.viewport,
      `${size.name}: lesson "${await h1(page)}" fits the screen, ${layout.wide} wide table(s) scroll with a hint`, JSON.stringify(layout));
    check(layout.footTop >= 0 && layout.footBottom <= layout.height + 1,
      `${size.name}: previous / done / next are in reach halfway down "${await h1(page)}"`, JSON.stringify(layout));
    if (layout.wide && wideTables === layout.wide) {
      // the first lesson with a wide table, scrolled to it
      await page.evaluate(() => {
        const t = [...document.querySelectorAll(".prose table")].find((t) => t.scrollWidth > t.clientWidth + 1);
        window.scrollTo(0, t.getBoundingClientRect().top + window.scrollY - 150);
      });
      await readme(size, page, "lesson");
    }
    await page.evaluate(() => window.scrollTo(0, 0));
    await step(page, `lesson-${here.split("/").pop()}`);
    await clickAndWait(page, "form[data-done] button", (u) => u.pathname !== here);
    lessons++;
    if (lessons > 30) throw new Error("more lessons than any sample course has");
  }
  check(lessons > 0, `${size.name}: read and marked done ${lessons} lessons`, page.url());
  if (size.name === "phone") check(wideTables > 0, `${size.name}: the course's lessons held tables wider than the phone (${wideTables})`);

  // the quiz: its module page, the quiz page, attempts until passed
  const key = quizKey(COURSE);
  const learned = new Map(); // prompt → { right: [option], answer } from a failed attempt's result page
  check((await page.$("section.quiz-info")) !== null, `${size.name}: on to the quiz module`, await h1(page));
  await step(page, "quiz-module");
  await clickAndWait(page, 'main a.button[href$="/quiz"]', /\/quiz$/);
  const quizUrl = page.url();
  await step(page, "quiz");
  let passed = false;
  for (let attempt = 1; attempt <= 3 && !passed; attempt++) {
    if (attempt > 1) await page.goto(quizUrl);
    await clickAndWait(page, "form.quiz-start button", /\/quiz\/attempts\/\d+$/);
    if (attempt === 1) await step(page, "quiz-attempt");
    const unmatched = [];
    const fieldsets = await page.$$("form.quiz-form fieldset.question");
    // the first attempt leaves its last question for the review step
    const skipped = attempt === 1 ? await fieldsets[fieldsets.length - 1].getAttribute("data-q") : null;
    for (const fieldset of fieldsets) {
      if (skipped && (await fieldset.getAttribute("data-q")) === skipped) continue;
      const prompt = (await fieldset.$eval(".q-prompt", (e) => e.textContent)).trim();
      const k = learned.get(norm(prompt)) || findKey(key.questions, prompt);
      if (!k) { unmatched.push(prompt.slice(0, 60)); continue; }
      const options = await fieldset.$$("label.option");
      if (options.length) {
        let picked = 0;
        for (const label of options) {
          if (k.right.includes(norm(await label.$eval("span", (e) => e.textContent)))) {
            await (await label.$("input")).check();
            picked++;
          }
        }
        if (picked !== k.right.length) unmatched.push(`${prompt.slice(0, 60)} (${picked}/${k.right.length} options found)`);
      } else if (k.answer !== null) {
        await fieldset.$eval("input[type=text]", (e) => e.scrollIntoView());
        await (await fieldset.$("input[type=text]")).fill(k.answer);
      } else {
        unmatched.push(`${prompt.slice(0, 60)} (no answer in the key)`);
      }
    }
    if (unmatched.length) console.log(`     attempt ${attempt}: not answered from ${key.file}:\n       ${unmatched.join("\n       ")}`);
    if (skipped) {
      // the navigator counts what is answered; a reload keeps the answers (this device keeps them)
      const answeredBefore = (await page.$$(".quiz-nav a.answered")).length;
      check(answeredBefore > 0 && answeredBefore < fieldsets.length, `${size.name}: the navigator marks ${answeredBefore} of ${fieldsets.length} answered`);
      await page.reload();
      const answeredAfter = (await page.$$(".quiz-nav a.answered")).length;
      check(answeredAfter === answeredBefore, `${size.name}: a reload keeps the answers (${answeredAfter} of ${answeredBefore})`);
      // sending with a question open shows the review step instead of grading
      await page.click("form.quiz-form button.quiz-submit");
      await page.waitForSelector("#review-now:not([hidden])");
      const summary = (await page.textContent("#review-now .review-summary")).trim();
      check(summary.includes(skipped), `${size.name}: the review names the open question ${skipped}: ${summary}`);
      await step(page, "quiz-review");
      await readme(size, page, "quiz");
      await submitAndWait(page, '#review-now button[name="confirm"]');
    } else {
      await submitAndWait(page, "form.quiz-form button.quiz-submit");
    }
    passed = (await page.$("section.quiz-score.pass")) !== null;
    console.log(`     attempt ${attempt}: ${(await page.textContent("section.quiz-score .score")).trim()}${passed ? ", passed" : ", not passed"}`);
    if (!passed) {
      // learn from the result page what was right
      for (const section of await page.$$("section.question")) {
        const prompt = norm(await section.$eval(".q-prompt", (e) => e.textContent));
        const right = await section.$$eval("li.opt-right > span:last-of-type", (els) => els.map((e) => e.textContent));
        // "Jawaban yang diterima: <strong>a</strong> · <strong>b</strong>", the last paragraph with answers
        const accepted = await section.$$eval("p", (ps) => ps.filter((p) => p.querySelector("strong")).map((p) => p.querySelector("strong").textContent).pop() || null);
        learned.set(prompt, { right: right.map(norm), answer: accepted === null ? null : numberIn(accepted.trim()) ?? accepted.trim() });
      }
      await step(page, `quiz-result-${attempt}`);
    }
  }
  if (!check(passed, `${size.name}: passed the final quiz`)) throw new Error("the quiz was not passed");
  // the passing moment: the certificate, its PDF and its verification link lead, with the JP
  const momentBox = await page.$("section.moment");
  const moment = ((momentBox && (await momentBox.textContent())) || "").replace(/\s+/g, " ").trim();
  check(/JP/.test(moment) && (await page.$('section.moment a.button[href^="/me/certificates/"]')) !== null
    && (await page.$('section.moment a[href$="/pdf"]')) !== null && (await page.$('section.moment a[href*="/v/"]')) !== null,
    `${size.name}: passing shows the certificate, its PDF and verification link first`, moment.slice(0, 160));
  await step(page, "quiz-passed");
  await readme(size, page, "passed");

  // the course is complete and leads with its certificate; the certificate; the verification
  // page; the profile
  await clickAndWait(page, `main a[href="/courses/${COURSE}"]:not(.button)`, new RegExp(`/courses/${COURSE}$`));
  check((await page.$('.cert-box a.button[href^="/me/certificates/"]')) !== null
    && (await page.$(`section.learner a.button[href^="/courses/${COURSE}/"]`)) === null,
    `${size.name}: the completed course page leads with the certificate, not "continue"`,
    ((await page.textContent("section.learner")) || "").replace(/\s+/g, " ").trim().slice(0, 120));
  await step(page, "completed");
  await clickAndWait(page, '.cert-box a[href^="/me/certificates/"]', /\/me\/certificates\/[^/]+$/);
  const holder = ((await page.textContent(".sheet-name")) || "").trim();
  check(holder === person.name, `${size.name}: the certificate names the person`, holder);
  check(((await page.textContent(".sheet")) || "").replace(/\D/g, "").includes(nip.replace(/\D/g, "")),
    `${size.name}: the certificate carries the NIP given at registration`);
  check((await page.$(".sheet .qr svg")) !== null, `${size.name}: the certificate has its QR code`);
  await step(page, "certificate");
  await readme(size, page, "certificate");
  await clickAndWait(page, '.cert-links a[href^="/v/"]', /\/v\/[^/]+$/);
  const verifyUrl = page.url();
  check((await page.$(".verdict-valid")) !== null && (await page.textContent(".cert-facts")).includes(person.name),
    `${size.name}: the verification page says valid, for this person`, verifyUrl);
  await step(page, "verify");
  // logged in, a phone moves by the bottom tabs (the header keeps the brand and the language)
  const nav = (href) => size.isMobile ? `nav.tabbar a[href="${href}"]` : `header nav a[href="${href}"]`;
  if (size.isMobile) {
    const bar = await page.evaluate(() => {
      const r = document.querySelector("nav.tabbar")?.getBoundingClientRect();
      return r ? { top: r.top, bottom: r.bottom, height: window.innerHeight, tabs: document.querySelectorAll("nav.tabbar a").length } : null;
    });
    check(!!bar && bar.tabs === 5 && Math.abs(bar.bottom - bar.height) <= 1, `${size.name}: five tabs at the bottom of the screen`, JSON.stringify(bar));
  }
  await clickAndWait(page, nav("/me"), /\/me$/);
  await step(page, "dashboard");
  await clickAndWait(page, size.isMobile ? nav("/me/profile") : 'main a[href="/me/profile"]', /\/me\/profile$/);
  check((await page.textContent("main")).includes("M.PP") || (await page.$("main h3 code")) !== null,
    `${size.name}: the profile lists the course's competencies`);
  await step(page, "profile");
  // the home page, logged in: a welcome and the year's JP (nothing left in progress)
  await clickAndWait(page, nav("/"), (u) => u.pathname === "/");
  check((await page.$("section.resume .resume-card")) !== null, `${size.name}: the home page greets the learner`, await h1(page));
  await step(page, "home-learner");
  if (size.isMobile) {
    // the menu holds the rest: the learner's pages, the account, logging out
    await clickAndWait(page, nav("/menu"), /\/menu$/);
    check((await page.$('main a[href="/me/certificates"]')) !== null && (await page.$('main form[action="/logout"]')) !== null,
      `${size.name}: the menu page holds the learner's pages and logging out`);
    await step(page, "menu");
  }
  await ctx.close();

  // the verification page for anyone, without an account
  const anon = await browser.newContext({
    viewport: size.viewport, isMobile: !!size.isMobile, hasTouch: !!size.hasTouch,
    deviceScaleFactor: size.deviceScaleFactor || 1, locale: "id-ID",
  });
  const p = await anon.newPage();
  watch(anon, p, size.name);
  const res = await p.goto(verifyUrl);
  check(res.status() === 200 && (await p.$(".verdict-valid")) !== null && (await p.$('header a[href="/login"]')) !== null,
    `${size.name}: the verification page opens without logging in`, `${res.status()}`);
  await step(p, "verify-public");
  await anon.close();
  console.log(`     ${size.name} journey: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** The README's phone pictures: what the screen shows (not the whole page), at phone size only. */
async function readme(size, page, name) {
  if (!size.isMobile) return;
  await page.waitForTimeout(150);
  await page.screenshot({ path: `${OUT}/readme-${name}.png` });
}

const started = Date.now();
try {
  for (const [i, size] of SIZES.entries()) {
    try {
      await journey(size, i);
    } catch (e) {
      check(false, `${size.name} journey`, e.stack || e);
    }
  }
} finally {
  await browser.close();
}
if (lesser.size) {
  console.log("     axe-core, moderate and minor (not failing):");
  for (const [id, v] of lesser) console.log(`       ${id} (${v.impact}): ${v.help} — ${[...v.pages].join(", ")}`);
}
console.log(`     screenshots: ${OUT}/journey-*.png; ${((Date.now() - started) / 1000).toFixed(1)} s in all`);
console.log(failures ? `${failures} journey check(s) failed` : "all journey checks passed");
process.exit(failures ? 1 : 0);
