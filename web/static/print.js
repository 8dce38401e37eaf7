// The certificate page's "Cetak" button (inline handlers are not allowed by the CSP).
document.addEventListener("click", function (e) {
  var b = e.target.closest && e.target.closest("[data-print]");
  if (b) { e.preventDefault(); window.print(); }
});
