(function () {
  if (window.ttMarkers) { return; }
  window.ttMarkers = true;
  document.addEventListener("click", function (e) {
    var m = e.target.closest ? e.target.closest(".tt-marker[data-n]") : null;
    if (!m) { return; }
    e.preventDefault();
    var block = m.parentElement;
    while (block && !block.querySelector('[data-testid="stExpander"] details')) { block = block.parentElement; }
    if (!block) { return; }
    var box = block.querySelectorAll('[data-testid="stExpander"] details')[parseInt(m.dataset.n, 10) - 1];
    if (!box) { return; }
    if (!box.open) { box.querySelector("summary").click(); }
    box.setAttribute("data-opened-by-marker", m.dataset.n);
    box.scrollIntoView({block: "center"});
  }, true);
})();
