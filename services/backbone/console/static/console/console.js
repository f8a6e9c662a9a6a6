// The breach board updates itself: every few seconds it asks /board/live (same filters) and,
// when the set of breaches changed, swaps in the rows the server rendered. No library, no CDN.
"use strict";

(function () {
  const board = document.querySelector("[data-live-url]");
  if (!board) {
    return;
  }
  const status = document.querySelector("[data-testid='live-status']");
  const every = Math.max(1, Number(board.dataset.pollSeconds || "5")) * 1000;

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  async function refresh() {
    try {
      const response = await fetch(board.dataset.liveUrl + window.location.search, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        redirect: "manual",
      });
      if (response.type === "opaqueredirect") {
        window.location.reload(); // the session ended: the server sends us to sign in
        return;
      }
      if (!response.ok) {
        say(response.status + " " + response.statusText);
        return;
      }
      const answer = await response.json();
      if (answer.signature !== board.dataset.signature) {
        board.innerHTML = answer.html;
        board.dataset.signature = answer.signature;
        board.dataset.updated = String(Date.now());
        say(new Date().toLocaleTimeString() + " ↻");
      }
    } catch (error) {
      say(String(error));
    } finally {
      window.setTimeout(refresh, every);
    }
  }

  window.setTimeout(refresh, every);
})();
