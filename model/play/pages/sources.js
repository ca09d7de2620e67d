// The passages of the source documents (issue 22): the server draws each "Source 原文" disclosure
// (decouple.passages.html) in the page's language; this script asks for them where a page shows
// them. Levers carry theirs in their controls; the team page's list of the debrief's mechanisms
// (#mechanisms) and the facilitator's debrief are filled from here.
"use strict";

// the page's language, as the pages set it on <html lang>, for the words around the passages
function sourcesLanguage() {
  return document.documentElement.lang || "en";
}

async function sourcesGet(path) {
  const sep = path.includes("?") ? "&" : "?";
  const response = await fetch(`${path}${sep}lang=${encodeURIComponent(sourcesLanguage())}`);
  let data = {};
  try { data = await response.json(); } catch (e) { data = {}; }
  if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
  return data;
}

// The debrief's mechanisms, each with the indicator it moves and its passages, into `box`
async function showMechanisms(box) {
  try {
    const data = await sourcesGet("/api/mechanisms");
    box.innerHTML = data.html;
    box.dataset.loaded = String(data.mechanisms.length);
  } catch (e) {
    box.textContent = e.message;
  }
}

// The passages `cite` names, as a disclosure at the end of `node`; nothing where it names none
async function showSources(node, cite) {
  try {
    const data = await sourcesGet(`/api/passages?cite=${encodeURIComponent(cite)}`);
    node.insertAdjacentHTML("beforeend", data.html);
  } catch (e) {
    /* a text without a passage keeps its plain citation */
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("mechanisms");
  if (box) showMechanisms(box);
});
