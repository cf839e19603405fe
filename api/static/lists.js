// The lists: after an action (POST, then a redirect to the list with #row) focus the row acted on,
// and announce the result once more in a live region that exists before it changes.
(function () {
  function ready() {
    var live = document.getElementById("meddelande");
    var flash = document.querySelector(".flash");
    if (live && flash) {
      setTimeout(function () { live.textContent = flash.textContent.trim(); }, 150);
    }
    if (location.hash.length > 1) {
      var row = document.getElementById(decodeURIComponent(location.hash.slice(1)));
      if (row) {
        row.focus({ preventScroll: true });
        row.scrollIntoView({ block: "center" });
      }
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
