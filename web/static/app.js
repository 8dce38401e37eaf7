// Cakap in the browser, on top of pages that work without it: registers the service worker, saves
// a course for offline reading (course page), queues "lesson done" while offline and sends the
// queue when the connection returns (with an Idempotency-Key per action), helps through a quiz
// attempt (navigator, answers kept, review, countdown), and clears everything saved on this device
// at logout or when someone else logs in.
(function () {
  "use strict";
  var doc = document;
  var store = window.localStorage;
  var QUEUE = "cakap.queue";
  var OWNER = "cakap.owner";
  var SAVED = "cakap.saved.";
  var QUIZ = "cakap.quiz.";

  function meta(name) {
    var m = doc.querySelector('meta[name="' + name + '"]');
    return m ? m.getAttribute("content") : "";
  }
  var user = meta("cakap-user");
  var csrf = meta("csrf-token");
  var words = doc.getElementById("offline-text");

  function t(key, vars) {
    var s = (words && words.getAttribute("data-" + key)) || "";
    return s.replace(/\{(\w+)\}/g, function (_, k) { return vars && vars[k] != null ? vars[k] : ""; });
  }
  function read(key, fallback) {
    try { return JSON.parse(store.getItem(key)) || fallback; } catch (e) { return fallback; }
  }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").catch(function () {});
  }

  // ---- what this device keeps, and for whom ----
  function wipeSaved() {
    Object.keys(store).forEach(function (k) {
      if (k.indexOf(SAVED) === 0 || k.indexOf(QUIZ) === 0) store.removeItem(k);
    });
    if (!window.caches) return Promise.resolve();
    return caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) {
        return n.indexOf("cakap-course-") === 0 || n === "cakap-pages";
      }).map(function (n) { return caches.delete(n); }));
    });
  }
  if (user) {
    var owner = store.getItem(OWNER);
    if (owner && owner !== user) {
      // someone else used this device: their saved pages and unsendable queue go
      wipeSaved();
      store.removeItem(QUEUE);
    }
    store.setItem(OWNER, user);
  } else if (navigator.onLine && store.getItem(OWNER) && !doc.querySelector(".offline-page")) {
    // (the offline notice is anonymous and may be shown on a link that only seems online)
    // logged out (or the session ended): saved pages are someone's; the queue waits for its owner
    wipeSaved();
  }

  // ---- progress made offline ----
  function queue() { return read(QUEUE, []); }
  function mine() { return queue().filter(function (e) { return e.owner === user; }); }
  function keep(q) { store.setItem(QUEUE, JSON.stringify(q)); }
  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }

  function showQueue() {
    var pending = mine();
    var bar = doc.getElementById("sync-status");
    if (bar) {
      bar.hidden = pending.length === 0;
      bar.textContent = pending.length ? t(navigator.onLine ? "sending" : "pending", { n: pending.length }) : "";
    }
    pending.forEach(function (e) {
      var sel = '[data-module="' + e.module + '"][data-slug="' + e.slug + '"]';
      Array.prototype.forEach.call(doc.querySelectorAll(sel), function (el) {
        if (el.tagName === "FORM") {
          var note = doc.createElement("p");
          note.className = "notice ok";
          note.textContent = t("queued");
          el.parentNode.replaceChild(note, el);
        } else if (!el.querySelector(".queued")) {
          var mark = doc.createElement("span");
          mark.className = "queued muted small";
          mark.textContent = " " + t("queued_short");
          el.appendChild(mark);
        }
      });
    });
  }

  // One queued (or about to be queued) "lesson done", to the API under its own key.
  function sendDone(e, signal) {
    var url = "/api/v1/courses/" + encodeURIComponent(e.slug) + "/modules/" + encodeURIComponent(e.module) + "/done";
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, "Idempotency-Key": e.key },
      body: JSON.stringify({ done_at: e.at }),
      signal: signal || undefined
    });
  }

  var flushing = null;
  function flush() {
    if (flushing) return flushing;
    var todo = mine();
    if (!user || !navigator.onLine || !todo.length) return Promise.resolve();
    var chain = Promise.resolve();
    todo.forEach(function (e) {
      chain = chain.then(function () {
        return sendDone(e).then(function (res) {
          // sent, or refused for good (the module is gone): it leaves the queue
          var final = res.ok || res.status === 400 || res.status === 404;
          if (!final) throw new Error("later");
          keep(queue().filter(function (x) { return x.key !== e.key; }));
        });
      });
    });
    flushing = chain.catch(function () {}).then(function () {
      flushing = null;
      showQueue();
    });
    return flushing;
  }

  function enqueue(entry) {
    var q = queue();
    var already = q.some(function (e) { return e.owner === user && e.slug === entry.slug && e.module === entry.module; });
    if (!already) q.push(entry);
    keep(q);
    showQueue();
  }

  doc.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form.hasAttribute("data-done") && user && !form.hasAttribute("data-plain")) {
      // through the API with a key: online it goes straight through; when the network fails
      // (also on a link that only seems online) the action waits on the device
      ev.preventDefault();
      var slug = form.getAttribute("data-slug");
      var entry = { owner: user, slug: slug, module: form.getAttribute("data-module"), at: new Date().toISOString(), key: newKey() };
      if (!navigator.onLine) { enqueue(entry); return; }
      var button = form.querySelector("button");
      if (button) button.disabled = true;
      var abort = window.AbortController ? new AbortController() : null;
      var timer = abort && setTimeout(function () { abort.abort(); }, 15000);
      sendDone(entry, abort && abort.signal).then(function (res) {
        if (timer) clearTimeout(timer);
        if (res.status >= 500) throw new Error("later");
        if (!res.ok) { form.setAttribute("data-plain", ""); form.submit(); return; }
        return res.json().then(function (done) {
          var base = "/courses/" + encodeURIComponent(slug);
          location.href = done.completed ? base + "?notice=completed" : done.next ? base + "/" + encodeURIComponent(done.next) : base;
        });
      }).catch(function () {
        if (timer) clearTimeout(timer);
        enqueue(entry);
      });
    } else if (form.getAttribute("action") === "/logout" && !form.hasAttribute("data-leaving")) {
      // send what waits, forget what this device saved, then log out
      ev.preventDefault();
      form.setAttribute("data-leaving", "");
      flush().then(wipeSaved).catch(function () {}).then(function () { form.submit(); });
    }
  });
  window.addEventListener("online", function () { showQueue(); flush(); });
  window.addEventListener("offline", showQueue);
  showQueue();
  flush();

  // ---- saving a course for offline reading (course page) ----
  var box = doc.getElementById("offline");
  if (box && window.caches && "serviceWorker" in navigator) {
    var slug = box.getAttribute("data-slug");
    var name = "cakap-course-" + slug;
    var state = box.querySelector("[data-offline-state]");
    var save = box.querySelector("[data-offline-save]");
    var remove = box.querySelector("[data-offline-remove]");
    box.hidden = false;

    var size = function (bytes) {
      return bytes < 1024 * 1024 ? Math.max(1, Math.round(bytes / 1024)) + " KB"
        : (bytes / 1024 / 1024).toFixed(1).replace(".", doc.documentElement.lang === "id" ? "," : ".") + " MB";
    };
    var refresh = function () {
      return caches.open(name).then(function (cache) {
        return cache.keys().then(function (keys) {
          return Promise.all(keys.map(function (k) {
            return cache.match(k).then(function (r) { return r.blob(); }).then(function (b) { return b.size; });
          })).then(function (sizes) {
            var info = read(SAVED + slug, null);
            if (!keys.length || !info) {
              state.textContent = t("none");
              save.textContent = t("save");
              remove.hidden = true;
              return;
            }
            var bytes = sizes.reduce(function (a, b) { return a + b; }, 0);
            state.textContent = t("saved", { n: info.modules, size: size(bytes), date: info.date });
            if (info.version !== box.getAttribute("data-version")) state.textContent += " " + t("outdated");
            save.textContent = t("update");
            remove.hidden = false;
          });
        });
      });
    };
    save.addEventListener("click", function () {
      save.disabled = true;
      state.textContent = t("saving");
      fetch(box.getAttribute("data-api"), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (res) { if (!res.ok) throw new Error("plan"); return res.json(); })
        .then(function (plan) {
          var fill = function (cacheName, urls) {
            return caches.open(cacheName).then(function (cache) {
              return Promise.all(urls.map(function (u) {
                // marked as a prefetch, so saving does not count as opening each module
                return fetch(u, { credentials: "same-origin", headers: { "X-Cakap-Prefetch": "offline" } })
                  .then(function (res) { if (!res.ok) throw new Error(u); return cache.put(u, res); });
              }));
            });
          };
          return caches.delete(name)
            .then(function () { return fill(name, plan.urls); })
            .then(function () { return fill("cakap-pages", plan.shared); })
            .then(function () {
              store.setItem(SAVED + slug, JSON.stringify({
                version: plan.version,
                modules: plan.modules,
                date: new Date().toLocaleDateString(doc.documentElement.lang || "id")
              }));
            });
        })
        .catch(function () { return caches.delete(name).then(function () { store.removeItem(SAVED + slug); }); })
        .then(refresh)
        .then(function () { if (!read(SAVED + slug, null)) state.textContent = t("failed"); })
        .then(function () { save.disabled = false; });
    });
    remove.addEventListener("click", function () {
      caches.delete(name).then(function () { store.removeItem(SAVED + slug); }).then(refresh);
    });
    refresh();
  }

  // ---- a table or code block wider than the text scrolls sideways; while it does, it takes
  // keyboard focus, so it can be scrolled with the arrow keys too; a table that does says so
  // above it ----
  var HINT = doc.documentElement.lang === "en" ? "⇆ Scroll the table sideways to see every column"
    : "⇆ Geser tabel ke samping untuk melihat semua kolom";
  function scrollers() {
    Array.prototype.forEach.call(doc.querySelectorAll(".prose table, .prose pre"), function (el) {
      var wide = el.scrollWidth > el.clientWidth + 1;
      if (wide) el.setAttribute("tabindex", "0");
      else el.removeAttribute("tabindex");
      if (el.tagName !== "TABLE") return;
      var hint = el.previousElementSibling;
      var has = hint && hint.className === "table-hint";
      if (wide && !has) {
        hint = doc.createElement("p");
        hint.className = "table-hint";
        hint.textContent = HINT;
        el.parentNode.insertBefore(hint, el);
      } else if (!wide && has) {
        hint.parentNode.removeChild(hint);
      }
    });
  }
  scrollers();
  window.addEventListener("resize", scrollers);

  // ---- a quiz attempt: the navigator (answered / not yet), answers kept on this device until they
  // are sent (also through a reload), the review step before grading, and a live countdown that
  // names the deadline in the device's own time (the page already names it in the agency's) ----
  var quiz = doc.getElementById("quiz-form");
  if (quiz && user) {
    var kept = QUIZ + user + "." + quiz.getAttribute("data-attempt");
    var fieldsets = quiz.querySelectorAll("fieldset.question");
    var inputs = quiz.querySelectorAll("fieldset.question input");
    var count = doc.querySelector(".quiz-nav .quiz-count");
    var review = doc.getElementById("review-now");
    var each = function (list, f) { Array.prototype.forEach.call(list, f); };
    var isChoice = function (el) { return el.type === "radio" || el.type === "checkbox"; };
    var answered = function (fs) {
      return Array.prototype.some.call(fs.querySelectorAll("input"), function (el) {
        return isChoice(el) ? el.checked : el.value.trim() !== "";
      });
    };
    var mark = function () {
      var open = [];
      each(fieldsets, function (fs) {
        var q = fs.getAttribute("data-q");
        var done = answered(fs);
        if (!done) open.push(q);
        var link = doc.querySelector('.quiz-nav a[data-q="' + q + '"]');
        if (link) link.classList.toggle("answered", done);
      });
      if (count) {
        count.textContent = count.getAttribute("data-template")
          .replace("{n}", fieldsets.length - open.length).replace("{total}", fieldsets.length);
      }
      return open;
    };
    var snapshot = function () {
      var data = {};
      each(inputs, function (el) {
        if (isChoice(el) ? el.checked : el.value !== "") (data[el.name] = data[el.name] || []).push(el.value);
      });
      return data;
    };
    // a fresh page takes what this device kept; a page the server filled (the review step) keeps its own
    var filled = Array.prototype.some.call(inputs, function (el) { return isChoice(el) ? el.checked : el.value !== ""; });
    var saved = read(kept, null);
    if (saved && !filled) {
      each(inputs, function (el) {
        var v = saved[el.name];
        if (!v) return;
        if (isChoice(el)) el.checked = v.indexOf(el.value) >= 0;
        else el.value = v[0];
      });
    }
    mark();
    var keep = quiz.querySelector(".quiz-kept");
    if (keep) keep.hidden = false;
    var remember = function () { store.setItem(kept, JSON.stringify(snapshot())); mark(); };
    quiz.addEventListener("input", remember);
    quiz.addEventListener("change", remember);

    var sendButton = quiz.querySelector(".quiz-submit");
    var via = null;
    quiz.addEventListener("click", function (e) { via = e.target.closest ? e.target.closest("button") : null; });
    quiz.addEventListener("submit", function (e) {
      var open = mark();
      if ((via && via.name === "confirm") || open.length === 0) {
        store.removeItem(kept);
        return;
      }
      e.preventDefault();
      var summary = review.querySelector(".review-summary");
      summary.textContent = summary.getAttribute("data-unanswered").replace("{list}", open.join(", "))
        .replace("{n}", fieldsets.length - open.length).replace("{total}", fieldsets.length);
      review.hidden = false;
      sendButton.hidden = true;
      review.scrollIntoView({ block: "center" });
      review.querySelector('button[name="confirm"]').focus();
    });
    review.querySelector(".review-back").addEventListener("click", function () {
      review.hidden = true;
      sendButton.hidden = false;
      var first = doc.getElementById("q" + mark()[0]);
      if (first) {
        first.scrollIntoView();
        var field = first.querySelector("input");
        if (field) field.focus();
      }
    });

    var timer = doc.querySelector(".quiz-timer[data-deadline]");
    var end = timer ? Date.parse(timer.getAttribute("data-deadline")) : NaN;
    if (!isNaN(end)) {
      var clock = doc.createElement("span");
      clock.className = "clock";
      clock.setAttribute("aria-hidden", "true");
      // the deadline by this device's clock too, when its zone is not the agency's
      var at = "";
      if (-new Date(end).getTimezoneOffset() !== Number(timer.getAttribute("data-offset"))) {
        at = " · " + timer.getAttribute("data-device").replace("{time}",
          new Date(end).toLocaleTimeString(doc.documentElement.lang || "id", { hour: "2-digit", minute: "2-digit" }));
      }
      timer.appendChild(doc.createElement("br"));
      timer.appendChild(doc.createTextNode(timer.getAttribute("data-left") + ": "));
      timer.appendChild(clock);
      var tick = function () {
        var left = Math.max(0, Math.round((end - Date.now()) / 1000));
        clock.textContent = Math.floor(left / 60) + ":" + ("0" + (left % 60)).slice(-2) + at;
        timer.classList.toggle("urgent", left <= 60);
        if (left > 0) { setTimeout(tick, 1000); return; }
        // time is up: what is answered goes in now (the server grades it within its grace period)
        var go = doc.createElement("input");
        go.type = "hidden"; go.name = "confirm"; go.value = "1";
        quiz.appendChild(go);
        store.removeItem(kept);
        quiz.submit();
      };
      tick();
    }
  }

  // ---- the authors' Markdown toolbar (edit page): inserts the common Markdown at the cursor,
  // around the selection when there is one; without JavaScript the textarea alone works ----
  var bar = doc.querySelector("[data-md-toolbar]");
  var area = bar && bar.parentNode.querySelector("textarea.markdown");
  if (bar && area) {
    bar.hidden = false;
    var SNIPPETS = {
      heading: ["\n## ", "", "Judul bagian"],
      bold: ["**", "**", "teks tebal"],
      italic: ["*", "*", "teks miring"],
      list: ["\n- ", "", "butir"],
      quote: ["\n> ", "", "kutipan"],
      link: ["[", "](02-modul-lain.md)", "teks tautan"],
      image: ["![", "](assets/gambar.png)", "keterangan gambar"],
      table: ["\n| Kolom 1 | Kolom 2 |\n|---|---|\n| ", " | isi |\n", "isi"],
      question: ["\n## ", "\n\n- [x] Jawaban benar\n- [ ] Jawaban salah\n\n> Umpan balik.\n", "Pertanyaan?"]
    };
    bar.addEventListener("click", function (ev) {
      var button = ev.target.closest("button[data-md]");
      if (!button) return;
      var s = SNIPPETS[button.getAttribute("data-md")];
      var start = area.selectionStart, end = area.selectionEnd;
      var chosen = area.value.slice(start, end) || s[2];
      area.setRangeText(s[0] + chosen + s[1], start, end, "end");
      // the inserted text stays selected when it was the placeholder, ready to be typed over
      if (start === end) area.setSelectionRange(start + s[0].length, start + s[0].length + chosen.length);
      area.focus();
    });
  }

  // ---- the authors' settings form (edit page): the front matter's common keys as fields; a
  // field changed rewrites its `key = value` line between the `+++` lines of the text, and the
  // text edited by hand refills the fields. Without JavaScript the text alone works ----
  var settings = doc.querySelector("[data-md-settings]");
  var source = settings && settings.parentNode.querySelector("textarea.markdown");
  if (settings && source) {
    var forEach = function (list, f) { Array.prototype.forEach.call(list, f); };
    var isCourse = /(^|\/)course\.md$/.test(settings.getAttribute("data-file") || "");
    var fields = settings.querySelectorAll("[data-key]");
    var front = function () {
      var lines = source.value.split("\n");
      if ((lines[0] || "").trim() !== "+++") return null;
      for (var i = 1; i < lines.length; i++) {
        if (lines[i].trim() === "+++") {
          // top-level keys come before the first `[table]` header
          var top = i;
          for (var j = 1; j < i; j++) if (/^\s*\[/.test(lines[j])) { top = j; break; }
          return { lines: lines, top: top };
        }
      }
      return null;
    };
    var lineOf = function (fm, key) {
      var re = new RegExp("^\\s*\"?" + key + "\"?\\s*=");
      for (var i = 1; i < fm.top; i++) if (re.test(fm.lines[i])) return i;
      return -1;
    };
    var valueOf = function (line) {
      var v = line.replace(/^[^=]*=\s*/, "");
      if (v.charAt(0) === '"') {
        for (var i = 1; i < v.length; i++) {
          if (v.charAt(i) === "\\") { i++; continue; }
          if (v.charAt(i) === '"') { try { return JSON.parse(v.slice(0, i + 1)); } catch (e) { return ""; } }
        }
        return "";
      }
      if (v.charAt(0) === "'") { var end = v.indexOf("'", 1); return end > 0 ? v.slice(1, end) : ""; }
      return v.split(/[\s#]/)[0];
    };
    var show = function () {
      var kind = settings.querySelector('[data-key="kind"]').value;
      forEach(settings.querySelectorAll("[data-for]"), function (label) {
        var fors = label.getAttribute("data-for").split(" ");
        label.hidden = !(isCourse ? fors.indexOf("course") >= 0
          : fors.indexOf("module") >= 0 || (kind === "quiz" && fors.indexOf("quiz") >= 0));
      });
    };
    var fill = function () {
      var fm = front();
      settings.hidden = !fm;
      if (!fm) return;
      forEach(fields, function (f) {
        var at = lineOf(fm, f.getAttribute("data-key"));
        f.value = at < 0 ? "" : valueOf(fm.lines[at]);
      });
      show();
    };
    var write = function (f) {
      var fm = front();
      if (!fm) return;
      var key = f.getAttribute("data-key");
      var value = f.value.trim();
      var at = lineOf(fm, key);
      var line = value === "" && !f.hasAttribute("data-required") ? null
        : key + " = " + (f.getAttribute("data-type") === "int" && /^\d+$/.test(value) ? value : JSON.stringify(value));
      if (line === null) { if (at >= 0) fm.lines.splice(at, 1); }
      else if (at >= 0) fm.lines[at] = line;
      else fm.lines.splice(fm.top, 0, line);
      source.value = fm.lines.join("\n");
      show();
    };
    forEach(fields, function (f) { f.addEventListener("change", function () { write(f); }); });
    source.addEventListener("input", fill);
    fill();
  }

  // ---- saved courses marked wherever they are listed (dashboard) ----
  Array.prototype.forEach.call(doc.querySelectorAll("[data-saved-slug]"), function (el) {
    if (read(SAVED + el.getAttribute("data-saved-slug"), null)) el.hidden = false;
  });
})();
