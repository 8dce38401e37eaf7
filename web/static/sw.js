// Cakap's service worker. It caches only two things: the public static files (CSS, JS, icons)
// and the pages of courses the learner chose to save for offline reading (the page script fills
// the "cakap-course-*" caches; see app.js). Everything else goes to the network; when the network
// is gone, a saved page is served from its cache and any other page gets the offline notice.
// Logging out clears every cache (the server sends Clear-Site-Data, and app.js deletes them too).
"use strict";

var STATIC = "cakap-static-v1";
var OFFLINE_URL = "/offline";

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(STATIC).then(function (cache) {
      // the notice is fetched without cookies: it never holds anyone's data
      return fetch(OFFLINE_URL, { credentials: "omit" }).then(function (res) {
        if (res.ok) return cache.put(OFFLINE_URL, res);
      });
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) {
        return n.indexOf("cakap-static-") === 0 && n !== STATIC;
      }).map(function (n) { return caches.delete(n); }));
    }).then(function () { return self.clients.claim(); })
  );
});

// The saved course caches that hold this request, if any.
function holders(request) {
  return caches.keys().then(function (names) {
    var saved = names.filter(function (n) { return n.indexOf("cakap-course-") === 0 || n === "cakap-pages"; });
    return Promise.all(saved.map(function (n) {
      return caches.open(n).then(function (c) {
        return c.match(request).then(function (hit) { return hit ? c : null; });
      });
    })).then(function (list) { return list.filter(Boolean); });
  });
}

self.addEventListener("fetch", function (event) {
  var req = event.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;

  // content-addressed static files never change: cache first
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(
      caches.match(req).then(function (hit) {
        return hit || fetch(req).then(function (res) {
          if (res.ok && /\.[0-9a-f]{10}\./.test(url.pathname)) {
            var copy = res.clone();
            caches.open(STATIC).then(function (cache) { cache.put(req, copy); });
          }
          return res;
        });
      })
    );
    return;
  }

  // everything else: the network first; a saved copy is refreshed when the network answers,
  // and served when it does not
  event.respondWith(
    fetch(req).then(function (res) {
      if (res.ok && !res.redirected) {
        var copy = res.clone();
        holders(req).then(function (list) {
          list.forEach(function (c) { c.put(req, copy.clone()); });
        });
      }
      return res;
    }).catch(function () {
      return caches.match(req, { ignoreVary: true }).then(function (hit) {
        if (hit) return hit;
        if (req.mode === "navigate") {
          return caches.match(OFFLINE_URL).then(function (notice) {
            return notice || new Response(
              "<!doctype html><meta charset=utf-8><title>Offline</title><p>Anda sedang offline. Halaman ini memerlukan koneksi internet.</p><p>You are offline. This page needs an internet connection.</p>",
              { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
          });
        }
        return Response.error();
      });
    })
  );
});
